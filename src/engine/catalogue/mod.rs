//! The metric catalogue: every KPI declared once, as data — id, label, unit, source,
//! cohort, filter, measure and its one-line definition. The engine derives from
//! these declarations the columns it reads, the polars expressions it runs and the
//! labels renderers show; the tables of docs/metrics.md are generated from them (a
//! test keeps the file equal to [`markdown_tables`]).
//!
//! Adding a metric on existing columns is one entry in [`METRICS`], its docs row
//! (regenerated), tests and the oracle lines (tests/crosscheck.rs, bench SQL).

mod docs;
mod metrics;

use serde::Serialize;

use crate::source::Source;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    Count,
    /// A fraction 0–1 (shown as a percentage in tables).
    Rate,
    Hours,
    /// A 1–5 rating.
    Rating,
    /// Net promoter score, −100 to 100.
    Nps,
    /// The 0–100 composite.
    Index,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    Source(Source),
    Composite,
}

impl Origin {
    pub fn name(self) -> &'static str {
        match self {
            Origin::Source(s) => s.name(),
            Origin::Composite => "composite",
        }
    }

    pub fn source(self) -> Option<Source> {
        match self {
            Origin::Source(s) => Some(s),
            Origin::Composite => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cmp {
    Eq,
    Le,
    Ge,
    Gt,
}

impl Cmp {
    fn symbol(self) -> &'static str {
        match self {
            Cmp::Eq => "=",
            Cmp::Le => "≤",
            Cmp::Ge => "≥",
            Cmp::Gt => ">",
        }
    }
}

/// A condition on one record. A missing value never satisfies a comparison.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Cond {
    All,
    Present(&'static str),
    Absent(&'static str),
    /// An integer column compared with a constant.
    Int(&'static str, Cmp, i64),
    /// A text column equal to one of the values.
    TextIn(&'static str, &'static [&'static str]),
    /// Both timestamps present and the first not after the second.
    NotAfter(&'static str, &'static str),
    /// A negative review that got a follow-up ticket (derived by joining the tickets
    /// source; see `followups`).
    FollowedUp,
    And(&'static [Cond]),
}

impl Cond {
    /// The contract columns the condition reads.
    pub fn columns(&self, out: &mut Vec<&'static str>) {
        match *self {
            Cond::All | Cond::FollowedUp => {}
            Cond::Present(c) | Cond::Absent(c) | Cond::Int(c, ..) | Cond::TextIn(c, _) => {
                out.push(c)
            }
            Cond::NotAfter(a, b) => out.extend([a, b]),
            Cond::And(parts) => parts.iter().for_each(|p| p.columns(out)),
        }
    }

    /// Another source the condition needs (follow-ups need tickets).
    pub fn requires(&self) -> Option<Source> {
        match self {
            Cond::FollowedUp => Some(Source::Tickets),
            Cond::And(parts) => parts.iter().find_map(Cond::requires),
            _ => None,
        }
    }

    /// The condition in words, for the generated definitions.
    pub fn describe(&self) -> String {
        match *self {
            Cond::All => "true".into(),
            Cond::Present(c) => format!("{c} is set"),
            Cond::Absent(c) => format!("{c} is empty"),
            Cond::Int(c, cmp, v) => format!("{c} {} {v}", cmp.symbol()),
            Cond::TextIn(c, values) => format!("{c} is {}", values.join(" or ")),
            Cond::NotAfter(a, b) => format!("{a} ≤ {b}"),
            Cond::FollowedUp => "a follow-up exists".into(),
            Cond::And(parts) => parts
                .iter()
                .map(Cond::describe)
                .collect::<Vec<_>>()
                .join(" and "),
        }
    }

    /// "records where …", or "records" for every record of the cohort.
    pub(crate) fn records(&self) -> String {
        match self {
            Cond::All => "records".into(),
            c => format!("records where {}", c.describe()),
        }
    }
}

/// Where a duration ends: a timestamp column, or the moment the cohort is looked
/// at (the end of the period, capped at the as-of time).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum End {
    Column(&'static str),
    Snapshot,
}

/// A duration family: `end − start` in hours, behind `<family>_mean/_p50/_p90`.
#[derive(Debug, PartialEq)]
pub struct Span {
    pub family: &'static str,
    pub source: Source,
    pub start: &'static str,
    pub end: End,
    pub title: &'static str,
}

impl Span {
    /// The records that have the duration.
    pub fn ended(&self) -> Cond {
        match self.end {
            End::Column(c) => Cond::Present(c),
            End::Snapshot => Cond::All,
        }
    }

    pub(crate) fn describe(&self) -> String {
        match self.end {
            End::Column(c) => format!("{c} − {}", self.start),
            End::Snapshot => format!("the snapshot time − {}", self.start),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Stat {
    Mean,
    /// Linear interpolation between closest ranks.
    Quantile(f64),
}

/// How long an outcome may take before a record is judged without it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Window {
    /// `[sla_hours]` of the record's priority.
    SlaResponse,
}

/// Which records of a source a metric counts in a period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Cohort {
    /// Records whose anchor timestamp (`Source::anchor_column`) is in the period.
    Anchored,
    /// Records open at the snapshot time (the end of the period, capped at the
    /// as-of time), whatever their start: `start` before it, `end` empty or after it.
    OpenAtEnd {
        start: &'static str,
        end: &'static str,
    },
}

/// What a metric computes over the records of its cohort that match its filter.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Measure {
    /// How many records match; n is the whole cohort.
    Count,
    /// Records also matching `of`, over the records matching the filter (n).
    Rate { of: Cond },
    /// A statistic of the span in hours over the records that have it (n).
    Duration { span: &'static Span, stat: Stat },
    /// The mean of an integer column over the records that have it (n).
    Mean { column: &'static str },
    /// Spans that ended within the window, over the records judged (n): ended, or
    /// older than the window at the as-of time. Records still inside it are pending.
    WithinWindow { span: &'static Span, window: Window },
    /// 100 × (records with column ≥ promoter − records with column ≤ detractor) over
    /// the records with the column (n).
    NetScore {
        column: &'static str,
        promoter: i64,
        detractor: i64,
    },
    /// The weighted mean attainment of the targeted metrics (see `index`).
    ServiceIndex,
}

#[derive(Debug)]
pub struct MetricDef {
    pub id: &'static str,
    pub origin: Origin,
    pub unit: Unit,
    /// The label renderers show.
    pub title: &'static str,
    pub cohort: Cohort,
    pub filter: Cond,
    pub measure: Measure,
    /// What the docs add to the generated formula, when it needs words.
    pub note: &'static str,
}

impl MetricDef {
    /// The contract columns of its source this metric reads.
    pub fn columns(&self) -> Vec<&'static str> {
        let mut out = Vec::new();
        if let Origin::Source(source) = self.origin {
            out.push(source.anchor_column());
        }
        if let Cohort::OpenAtEnd { start, end } = self.cohort {
            out.extend([start, end]);
        }
        self.filter.columns(&mut out);
        match self.measure {
            Measure::Count | Measure::ServiceIndex => {}
            Measure::Rate { of } => of.columns(&mut out),
            Measure::Duration { span, .. } | Measure::WithinWindow { span, .. } => {
                out.push(span.start);
                if let End::Column(c) = span.end {
                    out.push(c);
                }
                if matches!(self.measure, Measure::WithinWindow { .. }) {
                    out.push("priority");
                }
            }
            Measure::Mean { column } | Measure::NetScore { column, .. } => out.push(column),
        }
        out.sort_unstable();
        out.dedup();
        out
    }

    /// Another source whose absence leaves this metric without data.
    pub fn requires(&self) -> Option<Source> {
        let of = match self.measure {
            Measure::Rate { of } => of.requires(),
            _ => None,
        };
        self.filter.requires().or(of)
    }

    pub fn source(&self) -> Option<Source> {
        self.origin.source()
    }
}

pub use docs::{denominator, formula, markdown_tables};
pub use metrics::*;

/// Every origin, in the order reports list them.
pub const ORIGINS: [Origin; 4] = [
    Origin::Source(Source::Tickets),
    Origin::Source(Source::Shipments),
    Origin::Source(Source::Reviews),
    Origin::Composite,
];

/// The heading of an origin's section in a report.
pub fn section_title(origin: Origin) -> &'static str {
    match origin {
        Origin::Source(Source::Tickets) => {
            "Support tickets (created in the period; the backlog at its end)"
        }
        Origin::Source(Source::Shipments) => "Shipments (shipped in the period)",
        Origin::Source(Source::Reviews) => "Reviews (written in the period)",
        Origin::Composite => "Composite",
    }
}

pub fn find(id: &str) -> Option<&'static MetricDef> {
    METRICS.iter().find(|m| m.id == id)
}

pub fn ids() -> Vec<&'static str> {
    METRICS.iter().map(|m| m.id).collect()
}

pub fn duration(family: &str) -> Option<&'static Span> {
    DURATIONS.iter().copied().find(|d| d.family == family)
}

/// The cohort a duration family's metrics are computed over.
pub fn family_cohort(span: &Span) -> Cohort {
    METRICS
        .iter()
        .find(|m| matches!(m.measure, Measure::Duration { span: s, .. } if std::ptr::eq(s, span)))
        .map_or(Cohort::Anchored, |m| m.cohort)
}
