//! What a command asks the engine: reports (with a split, a comparison), duration
//! samples and value counts — several at once, answered by one [`Engine::run`].
//!
//! [`Engine::run`]: super::Engine::run

use anyhow::{bail, Result};

use super::catalogue::MetricDef;
use super::catalogue::Span;
use super::complaints::model::Complaints;
use super::complaints::ComplaintOptions;
use super::model::Report;
use super::period::{self, PeriodSpec};
use crate::source::Source;

/// How a report is split into rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Split {
    /// A text dimension such as channel or carrier.
    Dimension(String),
    /// Calendar buckets across the period (a time series).
    Time(period::Unit),
}

impl Split {
    pub fn parse(name: &str) -> Result<Split> {
        if let Some(unit) = period::Unit::parse(name) {
            return Ok(Split::Time(unit));
        }
        if Source::ALL.iter().any(|s| s.dimensions().contains(&name)) {
            return Ok(Split::Dimension(name.to_string()));
        }
        let mut valid: Vec<String> = vec!["week".into(), "day".into(), "month".into()];
        for s in Source::ALL {
            for d in s.dimensions() {
                if !valid.iter().any(|v| v == d) {
                    valid.push(d.to_string());
                }
            }
        }
        bail!(
            "unknown dimension {name:?} for --by; {}valid: {}",
            crate::suggest::did_you_mean(name, valid.iter().map(String::as_str)),
            valid.join(", ")
        )
    }

    /// A split by `dimension` for one metric's breakdown, if its source has it.
    pub fn for_metric(metric: &MetricDef, dimension: &str) -> Result<Split> {
        let valid = metric.source().map(|s| s.dimensions()).unwrap_or(&[]);
        if !valid.contains(&dimension) {
            bail!(
                "{} cannot be split by {dimension:?}; it can be split by: {}",
                metric.id,
                if valid.is_empty() {
                    "nothing (it is a composite)".to_string()
                } else {
                    valid.join(", ")
                }
            );
        }
        Ok(Split::Dimension(dimension.to_string()))
    }

    pub fn name(&self) -> &str {
        match self {
            Split::Dimension(d) => d,
            Split::Time(u) => u.name(),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReportOptions {
    pub period: PeriodSpec,
    pub split: Option<Split>,
    pub compare: bool,
    /// Fewer samples than this make a targeted metric "no data" (a target's own
    /// `min_n` wins).
    pub min_n: u64,
}

/// One question for the engine.
#[derive(Debug, Clone)]
pub enum Query {
    Report(ReportOptions),
    /// The samples behind a duration family's statistics, in hours, sorted.
    Durations {
        span: &'static Span,
        period: PeriodSpec,
    },
    /// Records per value of a text field, most first.
    Counts {
        source: Source,
        field: String,
        period: PeriodSpec,
    },
    /// Complaint terms, rising complaints and the aspect metrics.
    Complaints(ComplaintOptions),
}

/// The answer to a [`Query`], in the same position of the batch.
#[derive(Debug, Clone)]
pub enum Answer {
    Report(Box<Report>),
    Durations(Vec<f64>),
    Counts(FieldCounts),
    Complaints(Box<Complaints>),
}

impl Answer {
    pub fn into_report(self) -> Result<Report> {
        match self {
            Answer::Report(r) => Ok(*r),
            _ => bail!("internal: expected a report answer"),
        }
    }

    pub fn into_durations(self) -> Result<Vec<f64>> {
        match self {
            Answer::Durations(d) => Ok(d),
            _ => bail!("internal: expected duration samples"),
        }
    }

    pub fn into_complaints(self) -> Result<Complaints> {
        match self {
            Answer::Complaints(c) => Ok(*c),
            _ => bail!("internal: expected complaints"),
        }
    }

    pub fn into_counts(self) -> Result<FieldCounts> {
        match self {
            Answer::Counts(c) => Ok(c),
            _ => bail!("internal: expected field counts"),
        }
    }
}

/// Records per value of a text field (for Pareto charts).
#[derive(Debug, Clone)]
pub struct FieldCounts {
    pub source: Source,
    pub field: String,
    /// The period's label.
    pub period: String,
    /// `(value, records)`, most first, ties by value.
    pub counts: Vec<(String, u64)>,
    /// Running share of the counted records, 0–1, aligned with `counts`.
    pub cumulative_share: Vec<f64>,
    /// Records of the period whose field is empty (not counted in the bars).
    pub without_value: u64,
}
