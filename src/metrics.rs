//! The metric catalogue: every KPI's stable id, source and unit. Definitions are
//! in docs/metrics.md; the computation is in `engine`.

use serde::Serialize;

use crate::schema::Source;

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

#[derive(Debug)]
pub struct MetricDef {
    pub id: &'static str,
    pub origin: Origin,
    pub unit: Unit,
    pub title: &'static str,
}

const fn m(id: &'static str, source: Source, unit: Unit, title: &'static str) -> MetricDef {
    MetricDef {
        id,
        origin: Origin::Source(source),
        unit,
        title,
    }
}

use Source::{Reviews as R, Shipments as S, Tickets as T};
use Unit::*;

pub static METRICS: &[MetricDef] = &[
    m("tickets", T, Count, "Tickets created"),
    m("response_rate", T, Rate, "Answered"),
    m(
        "first_response_hours_mean",
        T,
        Hours,
        "First response, mean",
    ),
    m(
        "first_response_hours_p50",
        T,
        Hours,
        "First response, median",
    ),
    m("first_response_hours_p90", T, Hours, "First response, p90"),
    m("resolution_rate", T, Rate, "Resolved"),
    m("resolution_hours_mean", T, Hours, "Resolution time, mean"),
    m("resolution_hours_p50", T, Hours, "Resolution time, median"),
    m("resolution_hours_p90", T, Hours, "Resolution time, p90"),
    m("fcr_rate", T, Rate, "First-contact resolution"),
    m("reopen_rate", T, Rate, "Reopened"),
    m("sla_response_rate", T, Rate, "Answered within SLA"),
    m("unresolved", T, Count, "Unresolved tickets"),
    m("shipments", S, Count, "Shipments"),
    m("delivered", S, Count, "Delivered"),
    m("on_time_rate", S, Rate, "Delivered on time"),
    m("delivery_hours_mean", S, Hours, "Delivery time, mean"),
    m("delivery_hours_p50", S, Hours, "Delivery time, median"),
    m("delivery_hours_p90", S, Hours, "Delivery time, p90"),
    m("return_rate", S, Rate, "Returned"),
    m("refund_hours_p50", S, Hours, "Refund time, median"),
    m("refund_hours_p90", S, Hours, "Refund time, p90"),
    m("exception_rate", S, Rate, "Lost or damaged"),
    m("reviews", R, Count, "Reviews"),
    m("rating_avg", R, Rating, "Average rating"),
    m("csat_rate", R, Rate, "Satisfied (4–5)"),
    m("negative_rate", R, Rate, "Negative (1–2)"),
    m("nps", R, Nps, "Net promoter score"),
    m("followup_rate", R, Rate, "Negative reviews followed up"),
    MetricDef {
        id: "service_index",
        origin: Origin::Composite,
        unit: Index,
        title: "Service index",
    },
];

/// A duration family: the samples behind `<family>_mean`, `_p50` and `_p90`, in hours
/// from `earlier` to `later`, over the records where `later` is present.
#[derive(Debug)]
pub struct DurationDef {
    pub family: &'static str,
    pub source: Source,
    pub later: &'static str,
    pub earlier: &'static str,
    pub title: &'static str,
}

pub static DURATIONS: &[DurationDef] = &[
    DurationDef {
        family: "first_response_hours",
        source: T,
        later: "first_response_at",
        earlier: "created_at",
        title: "First response time",
    },
    DurationDef {
        family: "resolution_hours",
        source: T,
        later: "resolved_at",
        earlier: "created_at",
        title: "Resolution time",
    },
    DurationDef {
        family: "delivery_hours",
        source: S,
        later: "delivered_at",
        earlier: "shipped_at",
        title: "Delivery time",
    },
    DurationDef {
        family: "refund_hours",
        source: S,
        later: "refunded_at",
        earlier: "return_requested_at",
        title: "Refund time",
    },
];

pub fn duration(family: &str) -> Option<&'static DurationDef> {
    DURATIONS.iter().find(|d| d.family == family)
}

pub fn find(id: &str) -> Option<&'static MetricDef> {
    METRICS.iter().find(|m| m.id == id)
}

pub fn ids() -> Vec<&'static str> {
    METRICS.iter().map(|m| m.id).collect()
}
