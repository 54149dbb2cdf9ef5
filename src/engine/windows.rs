//! Windows: how long each outcome may take before a record is judged without it
//! (`[sla_hours]` and `[windows]` in svcq.toml; docs/metrics.md, "Windows").

use anyhow::{bail, Result};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct SlaHours {
    pub urgent: f64,
    pub high: f64,
    pub normal: f64,
    pub low: f64,
}

impl Default for SlaHours {
    fn default() -> Self {
        SlaHours {
            urgent: 0.5,
            high: 2.0,
            normal: 6.0,
            low: 24.0,
        }
    }
}

impl SlaHours {
    pub fn uniform(hours: f64) -> SlaHours {
        SlaHours {
            urgent: hours,
            high: hours,
            normal: hours,
            low: hours,
        }
    }

    pub(super) fn check(&self, origin: &str, key: &str) -> Result<()> {
        for (name, v) in [
            ("urgent", self.urgent),
            ("high", self.high),
            ("normal", self.normal),
            ("low", self.low),
        ] {
            if !(v.is_finite() && v > 0.0) {
                bail!("{origin}: {key}.{name} = {v} must be a positive number of hours");
            }
        }
        Ok(())
    }
}

/// Hours per priority where each one left out keeps its default.
#[derive(Debug, Clone, Copy, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PriorityHoursSpec {
    urgent: Option<f64>,
    high: Option<f64>,
    normal: Option<f64>,
    low: Option<f64>,
}

impl PriorityHoursSpec {
    pub(super) fn over(self, default: SlaHours) -> SlaHours {
        SlaHours {
            urgent: self.urgent.unwrap_or(default.urgent),
            high: self.high.unwrap_or(default.high),
            normal: self.normal.unwrap_or(default.normal),
            low: self.low.unwrap_or(default.low),
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct WindowsSpec {
    pub(super) resolution_hours: Option<PriorityHoursSpec>,
    pub(super) return_days: Option<f64>,
    pub(super) followup_hours: Option<f64>,
}

/// How long each outcome may take before a record is judged without it
/// (docs/metrics.md, "Windows").
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Windows {
    /// First response, per priority (`[sla_hours]`).
    pub sla: SlaHours,
    /// Resolution, per priority (`[windows.resolution_hours]`, default 72 h).
    pub resolution: SlaHours,
    /// A return request after delivery (`return_days`, default 7).
    pub return_days: f64,
    /// A follow-up of a negative review (`followup_hours`, default 48).
    pub followup_hours: f64,
    /// Resolution SLA, per priority (`[sla_resolution_hours]`, default: `resolution`).
    pub sla_resolution: SlaHours,
    /// Working days a refund may take (`[working_days] refund_sla`, default 3).
    pub refund_sla_days: f64,
}

impl Default for Windows {
    fn default() -> Self {
        Windows {
            sla: SlaHours::default(),
            resolution: SlaHours::uniform(72.0),
            return_days: 7.0,
            followup_hours: 48.0,
            sla_resolution: SlaHours::uniform(72.0),
            refund_sla_days: 3.0,
        }
    }
}
