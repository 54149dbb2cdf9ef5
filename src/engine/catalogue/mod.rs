//! The metric catalogue: every KPI declared once, as data — id, label, unit, source,
//! cohort, filter, measure and its one-line definition. The engine derives from
//! these declarations the columns it reads, the polars expressions it runs and the
//! labels renderers show; the tables of docs/metrics.md are generated from them (a
//! test keeps the file equal to [`markdown_tables`]).
//!
//! Adding a metric on existing columns is one entry in [`METRICS`], its docs row
//! (regenerated), tests and the oracle lines (tests/crosscheck.rs, bench SQL).
//!
//! This file holds the vocabulary of the declarations (conditions, spans, windows,
//! cohorts, measures) with what each derives; it is long because each kind is
//! documented where it is defined. The declarations are in `metrics.rs`.

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
    /// Working days (24 h of working-day time each).
    Days,
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
    /// The text mentions the aspect (`text::ASPECTS`): one of its lexicon terms is
    /// in it (derived in `mentions`).
    Mentions(&'static str),
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
            Cond::Mentions(_) => out.push("text"),
            Cond::And(parts) => parts.iter().for_each(|p| p.columns(out)),
        }
    }

    /// The tests of a text column against values (`status` is lost or damaged).
    pub fn text_tests(&self, out: &mut Vec<(&'static str, &'static [&'static str])>) {
        match *self {
            Cond::TextIn(c, values) => out.push((c, values)),
            Cond::And(parts) => parts.iter().for_each(|p| p.text_tests(out)),
            _ => {}
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
            Cond::Mentions(aspect) => format!("text mentions {aspect}"),
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

/// Where a duration ends: a timestamp column, the moment the cohort is looked at
/// (the end of the period, capped at the as-of time), or the first follow-up ticket
/// of a review (derived by joining the tickets source; see `followups`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum End {
    Column(&'static str),
    Snapshot,
    FollowUp,
}

/// What a span's time is counted on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Clock {
    /// Real elapsed time.
    Calendar,
    /// The open hours of the record's schedule (docs/business-hours.md).
    Business,
    /// Whole working days of the working-day calendar, in days.
    WorkingDays,
}

/// A duration family: `end − start` in hours, behind `<family>_mean/_p50/_p90`.
#[derive(Debug, PartialEq)]
pub struct Span {
    pub family: &'static str,
    pub source: Source,
    pub start: &'static str,
    pub end: End,
    pub title: &'static str,
    pub clock: Clock,
    /// The same span on business time, for an SLA on the business clock.
    pub business: Option<&'static Span>,
}

impl Span {
    /// The records that have the duration.
    pub fn ended(&self) -> Cond {
        match self.end {
            End::Column(c) => Cond::Present(c),
            End::Snapshot => Cond::All,
            End::FollowUp => Cond::FollowedUp,
        }
    }

    pub(crate) fn describe(&self) -> String {
        match (self.clock, self.end) {
            (Clock::Business, End::Column(c)) => {
                format!("the business time from {} to {c}", self.start)
            }
            (Clock::WorkingDays, End::Column(c)) => {
                format!("the working time from {} to {c}", self.start)
            }
            _ => self.describe_calendar(),
        }
    }

    fn describe_calendar(&self) -> String {
        match self.end {
            End::Column(c) => format!("{c} − {}", self.start),
            End::Snapshot => format!("the snapshot time − {}", self.start),
            End::FollowUp => format!("the first follow-up − {}", self.start),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Stat {
    Mean,
    /// Linear interpolation between closest ranks.
    Quantile(f64),
}

/// How long an outcome may take before a record is judged without it (the
/// targets file's `[sla_hours]` and `[windows]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Window {
    /// `[sla_hours]` of the ticket's priority.
    SlaResponse,
    /// `[windows.resolution_hours]` of the ticket's priority (default 72 h).
    Resolution,
    /// `[windows] return_days` after delivery (default 7 days).
    Return,
    /// `[windows] followup_hours` after a review (default 48 h).
    FollowUp,
    /// `[sla_resolution_hours]` of the ticket's priority (default: the
    /// resolution window).
    SlaResolution,
    /// `[working_days] refund_sla` working days (default 3).
    RefundSla,
}

impl Window {
    /// The columns the window itself reads.
    pub fn columns(self) -> &'static [&'static str] {
        match self {
            Window::SlaResponse | Window::Resolution | Window::SlaResolution => &["priority"],
            Window::Return | Window::FollowUp | Window::RefundSla => &[],
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            Window::SlaResponse => "the `[sla_hours]` of the ticket's priority",
            Window::Resolution => {
                "`[windows.resolution_hours]` of the ticket's priority (default 72 h)"
            }
            Window::Return => "`[windows] return_days` (default 7 days)",
            Window::FollowUp => "`[windows] followup_hours` (default 48 h)",
            Window::SlaResolution => {
                "the `[sla_resolution_hours]` of the ticket's priority (default: the resolution window)"
            }
            Window::RefundSla => "`[working_days] refund_sla` working days (default 3)",
        }
    }
}

/// Which records of a source a metric counts in a period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Cohort {
    /// Records whose anchor timestamp (`Source::anchor_column`) is in the period.
    Anchored,
    /// Records whose given timestamp is in the period (orders by when they were
    /// placed, shipped or not).
    AnchoredOn(&'static str),
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
    /// Spans that ended within the window, over the records judged (n); which
    /// records are judged is `settled`. The others are pending.
    WithinWindow {
        span: &'static Span,
        window: Window,
        settled: Settled,
    },
    /// 100 × (records with column ≥ promoter − records with column ≤ detractor) over
    /// the records with the column (n).
    NetScore {
        column: &'static str,
        promoter: i64,
        detractor: i64,
    },
    /// A quantile of the span's Kaplan–Meier estimate in hours: records whose span
    /// has not ended count as censored at their age at the as-of time. None when
    /// the estimate does not fall to that quantile. n: the records.
    Survival { span: &'static Span, p: f64 },
    /// The weighted mean attainment of the targeted metrics (see `index`).
    ServiceIndex,
}

/// When a record's outcome counts for a window rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settled {
    /// Once the outcome happened, or once the window has passed (the help-desk SLA
    /// convention; early outcomes count at once).
    EndedOrPassed,
    /// Only once the window has passed, whatever happened: the unbiased choice when
    /// early outcomes would be over-represented (returns requested in the first days
    /// of a 7-day window are known, the deliveries kept are not yet).
    Passed,
}

/// Records whose contribution is not final at the as-of time, shown as `pending`
/// beside n: for a window rate, the records not judged yet; for a plain rate
/// (resolution_rate, return_rate), the records without the outcome whose window
/// is still open — they may yet change the rate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pending {
    pub span: &'static Span,
    pub window: Window,
    pub settled: Settled,
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
    /// For a rate whose outcome takes time: which records are still pending.
    pub pending: Option<Pending>,
}

impl MetricDef {
    /// The contract columns of its source this metric reads.
    pub fn columns(&self) -> Vec<&'static str> {
        let mut out = Vec::new();
        if let Origin::Source(source) = self.origin {
            match self.cohort {
                Cohort::Anchored => out.push(source.anchor_column()),
                Cohort::AnchoredOn(anchor) => out.push(anchor),
                Cohort::OpenAtEnd { start, end } => out.extend([start, end]),
            }
        }
        self.filter.columns(&mut out);
        let mut span_columns = |span: &Span| {
            out.push(span.start);
            if let End::Column(c) = span.end {
                out.push(c);
            }
        };
        match self.measure {
            Measure::Count | Measure::ServiceIndex | Measure::Rate { .. } => {}
            Measure::Duration { span, .. } | Measure::Survival { span, .. } => span_columns(span),
            Measure::WithinWindow { span, .. } => span_columns(span),
            Measure::Mean { .. } | Measure::NetScore { .. } => {}
        }
        if let Some(p) = self.pending_rule() {
            span_columns(p.span);
            out.extend(p.window.columns());
        }
        match self.measure {
            Measure::Rate { of } => of.columns(&mut out),
            Measure::Mean { column } | Measure::NetScore { column, .. } => out.push(column),
            _ => {}
        }
        out.sort_unstable();
        out.dedup();
        out
    }

    /// The clock its duration runs on (calendar for metrics without one).
    pub fn clock(&self) -> Clock {
        match self.measure {
            Measure::Duration { span, .. }
            | Measure::Survival { span, .. }
            | Measure::WithinWindow { span, .. } => span.clock,
            _ => Clock::Calendar,
        }
    }

    /// The text-value tests of its filter and outcome.
    pub fn text_tests(&self) -> Vec<(&'static str, &'static [&'static str])> {
        let mut out = Vec::new();
        self.filter.text_tests(&mut out);
        if let Measure::Rate { of } = self.measure {
            of.text_tests(&mut out);
        }
        out
    }

    /// Another source whose absence leaves this metric without data.
    pub fn requires(&self) -> Option<Source> {
        let of = match self.measure {
            Measure::Rate { of } => of.requires(),
            Measure::WithinWindow { span, .. } => span.ended().requires(),
            _ => None,
        };
        self.filter.requires().or(of)
    }

    /// Which records are pending: a window rate's own window, or the one declared
    /// for a plain rate whose outcome takes time (resolution_rate, return_rate).
    pub fn pending_rule(&self) -> Option<Pending> {
        match self.measure {
            Measure::WithinWindow {
                span,
                window,
                settled,
            } => Some(Pending {
                span,
                window,
                settled,
            }),
            _ => self.pending,
        }
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
        Origin::Source(Source::Shipments) => {
            "Shipments (shipped in the period; returns requested and orders placed in it)"
        }
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
