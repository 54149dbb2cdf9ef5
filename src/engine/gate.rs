//! The CI gate: judges each target once, from the engine's report, under a policy
//! (`--fail-on`, `--allow-no-data`). Every check output format renders this.

use anyhow::{bail, Result};
use serde::Serialize;

use super::format::{format_target, format_value, thousands};
use crate::engine::model::{Group, MetricRow, Report};
use crate::engine::targets::{Status, Targets};
use crate::source::load::InputEntry;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FailOn {
    /// Only failed targets (and no data) break the gate.
    Fail,
    /// Warnings break the gate too.
    Warn,
}

#[derive(Debug, Clone, Copy)]
pub struct Policy {
    pub fail_on: FailOn,
    pub allow_no_data: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    pub row: MetricRow,
    pub segment: String,
    pub status: Status,
    /// Whether this outcome makes the gate exit 1.
    pub breaks_gate: bool,
    pub message: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub targets: usize,
    pub pass: usize,
    pub warn: usize,
    pub fail: usize,
    pub no_data: usize,
    pub exit_code: u8,
}

#[derive(Debug, Clone, Serialize)]
pub struct Gate {
    pub outcomes: Vec<Outcome>,
    pub summary: Summary,
    /// Targets left out, and why.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// Judges every target of `targets` on the rows of `report` (computed without a split).
pub fn evaluate(report: &Report, targets: &Targets, policy: Policy) -> Result<Gate> {
    let mut outcomes = Vec::new();
    let mut notes = Vec::new();
    let mut skipped_builtin: Vec<&str> = Vec::new();
    for target in &targets.targets {
        let group: Option<Group> = (!target.segment.is_empty()).then(|| target.segment.clone());
        let missing = target
            .metric
            .origin
            .source()
            .filter(|s| !matches!(report.inputs.get(s.name()), Some(InputEntry::Read(_))));
        let absent_row;
        let row = match (report.find(target.metric.id, group.as_ref()), missing) {
            (Some(row), _) => row,
            // The built-in goals cover every source; an export of some of them is
            // judged on those only.
            (None, Some(_)) if targets.builtin => {
                skipped_builtin.push(target.metric.id);
                continue;
            }
            // A target the user wrote on a source not given: no data.
            (None, Some(_)) => {
                absent_row = MetricRow {
                    id: target.metric.id,
                    source: target.metric.origin.name(),
                    group,
                    value: None,
                    n: 0,
                    pending: None,
                    unit: target.metric.unit,
                    target: Some(target.view()),
                    status: Status::NoData,
                    previous: None,
                    delta: None,
                };
                &absent_row
            }
            (None, None) => bail!(
                "internal: the report has no row for target {}",
                target.metric.id
            ),
        };
        let segment = target.describe_segment();
        // Nothing judged yet but records pending: the period is still maturing,
        // which is not a failure.
        let maturing = row.value.is_none() && row.pending.is_some_and(|p| p > 0);
        let (status, breaks_gate) = match row.status {
            Status::Fail => (Status::Fail, true),
            Status::Warn => (Status::Warn, policy.fail_on == FailOn::Warn),
            Status::NoData | Status::NoTarget => {
                (Status::NoData, !policy.allow_no_data && !maturing)
            }
            Status::Pass => (Status::Pass, false),
        };
        let min_n = target
            .min_n
            .map(|m| format!(" (min_n {m})"))
            .unwrap_or_default();
        let actual = match status {
            Status::NoData if row.value.is_some() => {
                format!("too few samples: n = {}{min_n}", thousands(row.n))
            }
            Status::NoData if missing.is_some() => format!(
                "no data: the {} source was not given",
                missing.map(|s| s.name()).unwrap_or_default()
            ),
            Status::NoData => match row.pending.filter(|p| *p > 0) {
                Some(p) => format!(
                    "no data yet: {} pending (the period is still maturing)",
                    thousands(p)
                ),
                None => "no data in the period".to_string(),
            },
            _ => format!(
                "{} (n = {}{})",
                format_value(row.unit, row.value),
                thousands(row.n),
                match row.pending.filter(|p| *p > 0) {
                    Some(p) => format!(", {} pending", thousands(p)),
                    None => String::new(),
                }
            ),
        };
        let message = format!(
            "{}{}: {actual}; target {}",
            row.id,
            if segment.is_empty() {
                String::new()
            } else {
                format!(" [{segment}]")
            },
            format_target(row.target.as_ref(), row.unit)
        );
        outcomes.push(Outcome {
            row: row.clone(),
            segment,
            status,
            breaks_gate,
            message,
        });
    }
    if !skipped_builtin.is_empty() {
        notes.push(format!(
            "built-in targets on sources not given are left out: {}",
            skipped_builtin.join(", ")
        ));
    }
    let count = |s: Status| outcomes.iter().filter(|o| o.status == s).count();
    let summary = Summary {
        targets: outcomes.len(),
        pass: count(Status::Pass),
        warn: count(Status::Warn),
        fail: count(Status::Fail),
        no_data: count(Status::NoData),
        exit_code: if outcomes.iter().any(|o| o.breaks_gate) {
            crate::exit::FINDING
        } else {
            crate::exit::OK
        },
    };
    Ok(Gate {
        outcomes,
        summary,
        notes,
    })
}
