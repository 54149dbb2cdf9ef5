//! The metric catalogue: every KPI declared once, as data — id, label, unit, source,
//! cohort, filter, measure and its one-line definition. The engine derives from
//! these declarations the columns it reads, the polars expressions it runs and the
//! labels renderers show; the tables of docs/metrics.md are generated from them (a
//! test keeps the file equal to [`markdown_tables`]).
//!
//! Adding a metric on existing columns is one entry in [`METRICS`], its docs row
//! (regenerated), tests and the oracle lines (tests/crosscheck.rs, bench SQL).

use std::fmt::Write as _;

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
    fn records(&self) -> String {
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

    fn describe(&self) -> String {
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

use Source::{Reviews as R, Shipments as S, Tickets as T};
use Unit::*;

pub static FIRST_RESPONSE: Span = Span {
    family: "first_response_hours",
    source: T,
    start: "created_at",
    end: End::Column("first_response_at"),
    title: "First response time",
};
pub static RESOLUTION: Span = Span {
    family: "resolution_hours",
    source: T,
    start: "created_at",
    end: End::Column("resolved_at"),
    title: "Resolution time",
};
pub static BACKLOG_AGE: Span = Span {
    family: "backlog_age_hours",
    source: T,
    start: "created_at",
    end: End::Snapshot,
    title: "Age of open tickets",
};
pub static DELIVERY: Span = Span {
    family: "delivery_hours",
    source: S,
    start: "shipped_at",
    end: End::Column("delivered_at"),
    title: "Delivery time",
};
pub static REFUND: Span = Span {
    family: "refund_hours",
    source: S,
    start: "return_requested_at",
    end: End::Column("refunded_at"),
    title: "Refund time",
};
pub static REVIEW_REPLY: Span = Span {
    family: "review_reply_hours",
    source: R,
    start: "created_at",
    end: End::Column("replied_at"),
    title: "Review reply time",
};

/// Every duration family, for the distribution chart.
pub static DURATIONS: &[&Span] = &[
    &FIRST_RESPONSE,
    &RESOLUTION,
    &BACKLOG_AGE,
    &DELIVERY,
    &REFUND,
    &REVIEW_REPLY,
];

const OPEN_TICKETS: Cohort = Cohort::OpenAtEnd {
    start: "created_at",
    end: "resolved_at",
};
pub const NEGATIVE: Cond = Cond::Int("rating", Cmp::Le, 2);

const fn metric(
    id: &'static str,
    source: Source,
    unit: Unit,
    title: &'static str,
    filter: Cond,
    measure: Measure,
) -> MetricDef {
    MetricDef {
        id,
        origin: Origin::Source(source),
        unit,
        title,
        cohort: Cohort::Anchored,
        filter,
        measure,
        note: "",
    }
}

const fn count(id: &'static str, source: Source, title: &'static str, filter: Cond) -> MetricDef {
    metric(id, source, Count, title, filter, Measure::Count)
}

const fn rate(
    id: &'static str,
    source: Source,
    title: &'static str,
    filter: Cond,
    of: Cond,
) -> MetricDef {
    metric(id, source, Rate, title, filter, Measure::Rate { of })
}

const fn hours(
    id: &'static str,
    title: &'static str,
    span: &'static Span,
    stat: Stat,
) -> MetricDef {
    metric(
        id,
        span.source,
        Hours,
        title,
        Cond::All,
        Measure::Duration { span, stat },
    )
}

const fn with_note(mut m: MetricDef, note: &'static str) -> MetricDef {
    m.note = note;
    m
}

const fn open(mut m: MetricDef) -> MetricDef {
    m.cohort = OPEN_TICKETS;
    m
}

const P50: Stat = Stat::Quantile(0.5);
const P90: Stat = Stat::Quantile(0.9);

/// The catalogue, in the order reports list the metrics.
pub static METRICS: &[MetricDef] = &[
    count("tickets", T, "Tickets created", Cond::All),
    rate(
        "response_rate",
        T,
        "Answered",
        Cond::All,
        Cond::Present("first_response_at"),
    ),
    hours(
        "first_response_hours_mean",
        "First response, mean",
        &FIRST_RESPONSE,
        Stat::Mean,
    ),
    hours(
        "first_response_hours_p50",
        "First response, median",
        &FIRST_RESPONSE,
        P50,
    ),
    hours(
        "first_response_hours_p90",
        "First response, p90",
        &FIRST_RESPONSE,
        P90,
    ),
    rate(
        "resolution_rate",
        T,
        "Resolved",
        Cond::All,
        Cond::Present("resolved_at"),
    ),
    hours(
        "resolution_hours_mean",
        "Resolution time, mean",
        &RESOLUTION,
        Stat::Mean,
    ),
    hours(
        "resolution_hours_p50",
        "Resolution time, median",
        &RESOLUTION,
        P50,
    ),
    hours(
        "resolution_hours_p90",
        "Resolution time, p90",
        &RESOLUTION,
        P90,
    ),
    rate(
        "fcr_rate",
        T,
        "First-contact resolution",
        Cond::Present("resolved_at"),
        Cond::And(&[
            Cond::Int("reopens", Cmp::Eq, 0),
            Cond::Int("agent_replies", Cmp::Le, 1),
        ]),
    ),
    rate(
        "reopen_rate",
        T,
        "Reopened",
        Cond::Present("resolved_at"),
        Cond::Int("reopens", Cmp::Gt, 0),
    ),
    with_note(
        metric(
            "sla_response_rate",
            T,
            Rate,
            "Answered within SLA",
            Cond::All,
            Measure::WithinWindow {
                span: &FIRST_RESPONSE,
                window: Window::SlaResponse,
            },
        ),
        "The window is the `[sla_hours]` of the ticket's priority; a reply at exactly the SLA is within it.",
    ),
    count(
        "unresolved",
        T,
        "Unresolved tickets",
        Cond::Absent("resolved_at"),
    ),
    with_note(
        open(count("backlog", T, "Open tickets", Cond::All)),
        "Zendesk's \"unsolved tickets\": a stock at one moment, not a flow of the period.",
    ),
    open(hours(
        "backlog_age_hours_p50",
        "Backlog age, median",
        &BACKLOG_AGE,
        P50,
    )),
    open(hours(
        "backlog_age_hours_p90",
        "Backlog age, p90",
        &BACKLOG_AGE,
        P90,
    )),
    count("shipments", S, "Shipments", Cond::All),
    count("delivered", S, "Delivered", Cond::Present("delivered_at")),
    rate(
        "on_time_rate",
        S,
        "Delivered on time",
        Cond::Present("delivered_at"),
        Cond::NotAfter("delivered_at", "promised_at"),
    ),
    hours(
        "delivery_hours_mean",
        "Delivery time, mean",
        &DELIVERY,
        Stat::Mean,
    ),
    hours(
        "delivery_hours_p50",
        "Delivery time, median",
        &DELIVERY,
        P50,
    ),
    hours("delivery_hours_p90", "Delivery time, p90", &DELIVERY, P90),
    rate(
        "return_rate",
        S,
        "Returned",
        Cond::Present("delivered_at"),
        Cond::Present("return_requested_at"),
    ),
    hours("refund_hours_p50", "Refund time, median", &REFUND, P50),
    hours("refund_hours_p90", "Refund time, p90", &REFUND, P90),
    rate(
        "exception_rate",
        S,
        "Lost or damaged",
        Cond::All,
        Cond::TextIn("status", &["lost", "damaged"]),
    ),
    count("reviews", R, "Reviews", Cond::All),
    metric(
        "rating_avg",
        R,
        Rating,
        "Average rating",
        Cond::All,
        Measure::Mean { column: "rating" },
    ),
    rate(
        "csat_rate",
        R,
        "Satisfied (4–5)",
        Cond::All,
        Cond::Int("rating", Cmp::Ge, 4),
    ),
    rate("negative_rate", R, "Negative (1–2)", Cond::All, NEGATIVE),
    metric(
        "nps",
        R,
        Nps,
        "Net promoter score",
        Cond::All,
        Measure::NetScore {
            column: "nps",
            promoter: 9,
            detractor: 6,
        },
    ),
    with_note(
        rate(
            "followup_rate",
            R,
            "Negative reviews followed up",
            NEGATIVE,
            Cond::FollowedUp,
        ),
        "A follow-up is a ticket (any period) whose ticket_id the review names, or a ticket on the same non-empty order_id created at or after the review. No data without the tickets source.",
    ),
    with_note(
        hours(
            "review_reply_hours_p50",
            "Review reply time, median",
            &REVIEW_REPLY,
            P50,
        ),
        "The shop's public answer to the review (Olist `review_answer_timestamp`, Judge.me `reply_date`, Trustpilot `Business Reply Date`); no data when the export has no replied_at.",
    ),
    hours(
        "review_reply_hours_p90",
        "Review reply time, p90",
        &REVIEW_REPLY,
        P90,
    ),
    MetricDef {
        id: "service_index",
        origin: Origin::Composite,
        unit: Index,
        title: "Service index",
        cohort: Cohort::Anchored,
        filter: Cond::All,
        measure: Measure::ServiceIndex,
        note: "",
    },
];

/// Every origin, in the order reports list them.
pub const ORIGINS: [Origin; 4] = [
    Origin::Source(T),
    Origin::Source(S),
    Origin::Source(R),
    Origin::Composite,
];

/// The heading of an origin's section in a report.
pub fn section_title(origin: Origin) -> &'static str {
    match origin {
        Origin::Source(T) => "Support tickets (created in the period; the backlog at its end)",
        Origin::Source(S) => "Shipments (shipped in the period)",
        Origin::Source(R) => "Reviews (written in the period)",
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

/// What the metric's value is, in words, generated from its declaration.
pub fn formula(m: &MetricDef) -> String {
    let base = match m.measure {
        Measure::Count => m.filter.records(),
        Measure::Rate { of } => {
            let num = match m.filter {
                Cond::All => of.records(),
                f => format!("{} and {}", f.records(), of.describe()),
            };
            format!("{num} / {}", m.filter.records())
        }
        Measure::Duration { span, stat } => {
            let stat = match stat {
                Stat::Mean => "mean".to_string(),
                Stat::Quantile(p) => format!("p{}", (p * 100.0).round()),
            };
            format!("{stat} of {} in hours", span.describe())
        }
        Measure::Mean { column } => format!("mean {column}"),
        Measure::WithinWindow { span, .. } => format!(
            "records whose {} ≤ the window / records judged (ended, or older than the window at the as-of time; the others are pending)",
            span.describe()
        ),
        Measure::NetScore {
            column,
            promoter,
            detractor,
        } => format!(
            "100 × (records where {column} ≥ {promoter} − records where {column} ≤ {detractor}) / records where {column} is set"
        ),
        Measure::ServiceIndex => "weighted mean attainment of the targeted metrics × 100".into(),
    };
    if m.note.is_empty() {
        base
    } else {
        format!("{base}. {}", m.note)
    }
}

/// What `n` counts, generated from the declaration.
pub fn denominator(m: &MetricDef) -> String {
    match m.measure {
        Measure::Count => "records of the cohort".into(),
        Measure::Rate { .. } => m.filter.records(),
        Measure::Duration { span, .. } => match span.ended() {
            Cond::All => "records of the cohort".into(),
            ended => ended.records(),
        },
        Measure::Mean { column } | Measure::NetScore { column, .. } => {
            Cond::Present(column).records()
        }
        Measure::WithinWindow { .. } => "records judged".into(),
        Measure::ServiceIndex => "targets with data".into(),
    }
}

fn cohort_words(source: Source, cohort: Cohort) -> String {
    match cohort {
        Cohort::Anchored => format!("{source} whose {} is in the period", source.anchor_column()),
        Cohort::OpenAtEnd { start, end } => format!(
            "{source} open at the snapshot time: {start} before it, {end} empty or after it"
        ),
    }
}

/// The generated tables of docs/metrics.md, one per source and the composite.
pub fn markdown_tables() -> String {
    let mut out = String::new();
    for origin in ORIGINS {
        let _ = writeln!(out, "### {}\n", origin.name());
        out.push_str("| id | label | unit | cohort | value | n |\n|---|---|---|---|---|---|\n");
        for m in METRICS.iter().filter(|m| m.origin == origin) {
            let cohort = match origin {
                Origin::Source(s) => cohort_words(s, m.cohort),
                Origin::Composite => "the report's rows".into(),
            };
            let _ = writeln!(
                out,
                "| `{}` | {} | {} | {} | {} | {} |",
                m.id,
                m.title,
                serde_json::to_value(m.unit)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default(),
                cohort,
                formula(m).replace('|', "\\|"),
                denominator(m)
            );
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::Kind;

    fn kind_of(source: Source, column: &str) -> Option<Kind> {
        source
            .columns()
            .iter()
            .find(|c| c.name == column)
            .map(|c| c.kind)
    }

    fn is_timestamp(source: Source, column: &str) -> bool {
        matches!(kind_of(source, column), Some(Kind::Timestamp { .. }))
    }

    #[test]
    fn ids_are_unique_and_snake_case() {
        let mut seen = std::collections::BTreeSet::new();
        for m in METRICS {
            assert!(seen.insert(m.id), "{} declared twice", m.id);
            assert!(
                m.id.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
                "{}",
                m.id
            );
        }
    }

    /// A misspelt column in a declaration fails here, not as silent "no data".
    #[test]
    fn every_referenced_column_is_in_the_contract_with_the_right_kind() {
        for m in METRICS {
            let Origin::Source(source) = m.origin else {
                continue;
            };
            for column in m.columns() {
                assert!(
                    kind_of(source, column).is_some(),
                    "{}: {source} has no column {column}",
                    m.id
                );
            }
            let mut conds = vec![m.filter];
            if let Measure::Rate { of } = m.measure {
                conds.push(of);
            }
            while let Some(c) = conds.pop() {
                match c {
                    Cond::Int(col, ..) => assert!(
                        matches!(
                            kind_of(source, col),
                            Some(Kind::Count | Kind::Integer { .. })
                        ),
                        "{}: {col} is not an integer column",
                        m.id
                    ),
                    Cond::TextIn(col, values) => {
                        assert!(
                            matches!(kind_of(source, col), Some(Kind::ShipmentStatus)),
                            "{}: {col}",
                            m.id
                        );
                        for v in values {
                            assert!(crate::source::SHIPMENT_STATUSES.contains(v), "{v}");
                        }
                    }
                    Cond::NotAfter(a, b) => {
                        assert!(
                            is_timestamp(source, a) && is_timestamp(source, b),
                            "{}",
                            m.id
                        )
                    }
                    Cond::And(parts) => conds.extend(parts.iter().copied()),
                    _ => {}
                }
            }
            if let Cohort::OpenAtEnd { start, end } = m.cohort {
                assert!(is_timestamp(source, start) && is_timestamp(source, end));
            }
            if let Measure::Duration { span, .. } | Measure::WithinWindow { span, .. } = m.measure {
                assert_eq!(span.source, source, "{}", m.id);
                let is_duration = matches!(m.measure, Measure::Duration { .. });
                assert!(
                    !is_duration || m.id.starts_with(span.family),
                    "{} is not named after its family {}",
                    m.id,
                    span.family
                );
                assert!(is_timestamp(source, span.start), "{}", m.id);
                if let End::Column(c) = span.end {
                    assert!(is_timestamp(source, c), "{}", m.id);
                }
                if span.end == End::Snapshot {
                    assert_ne!(
                        m.cohort,
                        Cohort::Anchored,
                        "{}: a snapshot needs a stock",
                        m.id
                    );
                }
            }
        }
    }

    #[test]
    fn every_duration_family_has_metrics() {
        for span in DURATIONS {
            assert!(
                METRICS.iter().any(
                    |m| matches!(m.measure, Measure::Duration { span: s, .. } if std::ptr::eq(s, *span))
                ),
                "{}",
                span.family
            );
        }
    }

    #[test]
    fn followup_rate_needs_tickets() {
        assert_eq!(find("followup_rate").unwrap().requires(), Some(T));
        assert_eq!(find("return_rate").unwrap().requires(), None);
    }

    /// docs/metrics.md holds the generated tables; regenerate them with
    /// `SVCQ_BLESS=1 cargo test --lib catalogue`.
    #[test]
    fn docs_tables_match_the_catalogue() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/metrics.md");
        let docs = std::fs::read_to_string(path).unwrap();
        let (start, end) = ("<!-- catalogue:start -->\n", "<!-- catalogue:end -->");
        let a = docs.find(start).expect("start marker") + start.len();
        let b = docs.find(end).expect("end marker");
        let generated = markdown_tables();
        if docs[a..b] != generated && std::env::var_os("SVCQ_BLESS").is_some() {
            std::fs::write(path, format!("{}{generated}{}", &docs[..a], &docs[b..])).unwrap();
            return;
        }
        assert!(
            docs[a..b] == generated,
            "docs/metrics.md is out of date; run SVCQ_BLESS=1 cargo test --lib catalogue"
        );
    }
}
