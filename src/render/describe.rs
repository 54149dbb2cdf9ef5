//! Charts in words: the text alternative of each chart of the HTML report, naming
//! what it shows (its values, not only its title), for screen readers and for
//! anyone the image does not reach.

use super::chart::breakdown::Breakdown;
use super::chart::complaints::{Diverging, TermBar};
use super::chart::distribution::Distribution;
use super::chart::trend::Trend;
use super::{format_value, status_word};
use crate::engine::catalogue::Unit;
use crate::engine::model::Report;
use crate::engine::query::FieldCounts;
use crate::engine::targets::Status;

/// At most this many values are named; the rest are counted.
const NAMED: usize = 8;

fn listed(items: Vec<String>) -> String {
    let more = items.len().saturating_sub(NAMED);
    let mut text = items.into_iter().take(NAMED).collect::<Vec<_>>().join("; ");
    if more > 0 {
        text.push_str(&format!("; and {more} more"));
    }
    text
}

fn with_status(value: String, status: Status) -> String {
    match status_word(status) {
        "" => value,
        word => format!("{value} ({})", word.to_lowercase()),
    }
}

pub fn trend(t: &Trend) -> String {
    let points = t
        .points
        .iter()
        .map(|p| {
            format!(
                "{} {}",
                p.label,
                with_status(format_value(t.metric.unit, p.value), p.status)
            )
        })
        .collect();
    format!(
        "Line chart of {} per {}: {}.",
        t.metric.title.to_lowercase(),
        t.unit,
        listed(points)
    )
}

pub fn breakdown(b: &Breakdown) -> String {
    let bars = b
        .bars
        .iter()
        .map(|bar| {
            format!(
                "{} {} (n {})",
                bar.segment,
                with_status(format_value(b.metric.unit, bar.value), bar.status),
                bar.n
            )
        })
        .collect();
    format!(
        "Bar chart of {} by {}, {}: {}.",
        b.metric.title.to_lowercase(),
        b.dimension,
        b.period,
        listed(bars)
    )
}

pub fn distribution(d: &Distribution) -> String {
    format!(
        "Histogram of {} over {} records, {}: median {}, p90 {}.",
        d.family.title.to_lowercase(),
        d.samples.len(),
        d.period,
        format_value(Unit::Hours, d.p50),
        format_value(Unit::Hours, d.p90)
    )
}

pub fn counts(c: &FieldCounts) -> String {
    let total: u64 = c.counts.iter().map(|x| x.1).sum();
    let bars = c.counts.iter().map(|(v, n)| format!("{v} {n}")).collect();
    format!(
        "Pareto chart of {} by {}, {}, {total} records: {}.",
        c.source,
        c.field.replace('_', " "),
        c.period,
        listed(bars)
    )
}

pub fn scorecard(r: &Report) -> String {
    let targeted: Vec<_> = r
        .metrics
        .iter()
        .filter(|m| m.group.is_none() && m.target.is_some())
        .collect();
    let count = |s: Status| targeted.iter().filter(|m| m.status == s).count();
    let rows = targeted
        .iter()
        .map(|m| {
            format!(
                "{} {}",
                m.id,
                with_status(format_value(m.unit, m.value), m.status)
            )
        })
        .collect();
    format!(
        "Scorecard of {} targeted KPIs for {}: {} pass, {} warn, {} fail, {} no data. {}.",
        targeted.len(),
        r.period.label,
        count(Status::Pass),
        count(Status::Warn),
        count(Status::Fail),
        count(Status::NoData),
        listed(rows)
    )
}

pub fn complaints(d: &Diverging) -> String {
    let terms = |bars: &[TermBar]| {
        listed(
            bars.iter()
                .map(|b| format!("{} (z {:.1}, n={})", b.term, b.z, b.n))
                .collect(),
        )
    };
    if d.complaints.is_empty() && d.praise.is_empty() {
        return format!(
            "Complaint terms, {}: no term is used by enough reviews.",
            d.period
        );
    }
    format!(
        "Complaint and praise terms, {}. Used more in negative reviews: {}. Used more in positive reviews: {}.",
        d.period,
        if d.complaints.is_empty() { "none".to_string() } else { terms(&d.complaints) },
        if d.praise.is_empty() { "none".to_string() } else { terms(&d.praise) }
    )
}
