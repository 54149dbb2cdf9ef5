//! The result model every writer renders: one [`Report`] of [`MetricRow`]s.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::engine::catalogue::Unit;
use crate::engine::period::PeriodInfo;
use crate::engine::targets::{Status, TargetView};
use crate::source::load::InputEntry;

pub type Group = BTreeMap<String, String>;

#[derive(Debug, Clone, Serialize)]
pub struct MetricRow {
    pub id: &'static str,
    pub source: &'static str,
    /// `None` for the whole cohort; `{"channel": "chat"}` for a split or segment row.
    pub group: Option<Group>,
    /// `None` when the denominator is zero ("no data").
    pub value: Option<f64>,
    /// The denominator: how many records the value is computed over.
    pub n: u64,
    /// Records still inside the metric's window (their outcome may yet happen), for
    /// rates whose outcome takes time; not part of n.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pending: Option<u64>,
    pub unit: Unit,
    pub target: Option<TargetView>,
    pub status: Status,
    pub previous: Option<f64>,
    pub delta: Option<f64>,
}

impl MetricRow {
    pub fn group_label(&self) -> String {
        self.group
            .as_ref()
            .map(crate::engine::targets::segment_label)
            .unwrap_or_default()
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub period: PeriodInfo,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous_period: Option<PeriodInfo>,
    pub as_of: String,
    pub targets: String,
    pub inputs: BTreeMap<&'static str, InputEntry>,
    /// The `--by` dimension, if any.
    pub by: Option<String>,
    pub metrics: Vec<MetricRow>,
    /// What a reader must know: metrics left out of a split, of the index, and why.
    pub notes: Vec<String>,
}

impl Report {
    pub fn find(&self, id: &str, group: Option<&Group>) -> Option<&MetricRow> {
        self.metrics
            .iter()
            .find(|m| m.id == id && m.group.as_ref() == group)
    }
}
