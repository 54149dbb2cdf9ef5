//! The declarations: every metric and duration family svcq computes. Long for a
//! reason: rustfmt gives each declaration several lines, and the tests at the end
//! check every declaration against the data contract.

use super::{
    Clock, Cmp, Cohort, Cond, End, Measure, MetricDef, Origin, Pending, Settled, Span, Stat, Unit,
    Window,
};
use crate::source::Source;

use Source::{Reviews as R, Shipments as S, Tickets as T};
use Unit::{Count, Days, Hours, Index, Nps, Rate, Rating};

pub static FIRST_RESPONSE: Span = Span {
    family: "first_response_hours",
    source: T,
    start: "created_at",
    end: End::Column("first_response_at"),
    title: "First response time",
    clock: Clock::Calendar,
    business: Some(&FIRST_RESPONSE_BUSINESS),
};
pub static RESOLUTION: Span = Span {
    family: "resolution_hours",
    source: T,
    start: "created_at",
    end: End::Column("resolved_at"),
    title: "Resolution time",
    clock: Clock::Calendar,
    business: Some(&RESOLUTION_BUSINESS),
};
pub static BACKLOG_AGE: Span = Span {
    family: "backlog_age_hours",
    source: T,
    start: "created_at",
    end: End::Snapshot,
    title: "Age of open tickets",
    clock: Clock::Calendar,
    business: None,
};
pub static DELIVERY: Span = Span {
    family: "delivery_hours",
    source: S,
    start: "shipped_at",
    end: End::Column("delivered_at"),
    title: "Delivery time",
    clock: Clock::Calendar,
    business: None,
};
pub static REFUND: Span = Span {
    family: "refund_hours",
    source: S,
    start: "return_requested_at",
    end: End::Column("refunded_at"),
    title: "Refund time",
    clock: Clock::Calendar,
    business: None,
};
pub static REVIEW_REPLY: Span = Span {
    family: "review_reply_hours",
    source: R,
    start: "created_at",
    end: End::Column("replied_at"),
    title: "Review reply time",
    clock: Clock::Calendar,
    business: None,
};

/// The time to a return request after delivery (return windows).
pub static RETURN_REQUEST: Span = Span {
    family: "return_request_hours",
    source: S,
    start: "delivered_at",
    end: End::Column("return_requested_at"),
    title: "Time to a return request",
    clock: Clock::Calendar,
    business: None,
};
/// The time from a review to its first follow-up ticket.
pub static FOLLOWUP: Span = Span {
    family: "followup_hours",
    source: R,
    start: "created_at",
    end: End::FollowUp,
    title: "Time to follow-up",
    clock: Clock::Calendar,
    business: None,
};

pub static FIRST_RESPONSE_BUSINESS: Span = Span {
    family: "first_response_business_hours",
    source: T,
    start: "created_at",
    end: End::Column("first_response_at"),
    title: "First response time in business hours",
    clock: Clock::Business,
    business: None,
};
pub static RESOLUTION_BUSINESS: Span = Span {
    family: "resolution_business_hours",
    source: T,
    start: "created_at",
    end: End::Column("resolved_at"),
    title: "Resolution time in business hours",
    clock: Clock::Business,
    business: None,
};
pub static DELIVERY_WORKING: Span = Span {
    family: "delivery_working_days",
    source: S,
    start: "shipped_at",
    end: End::Column("delivered_at"),
    title: "Delivery time in working days",
    clock: Clock::WorkingDays,
    business: None,
};
pub static REFUND_WORKING: Span = Span {
    family: "refund_working_days",
    source: S,
    start: "return_requested_at",
    end: End::Column("refunded_at"),
    title: "Refund time in working days",
    clock: Clock::WorkingDays,
    business: None,
};

/// Every span measured on a schedule rather than the calendar.
pub static CLOCKED: &[&Span] = &[
    &FIRST_RESPONSE_BUSINESS,
    &RESOLUTION_BUSINESS,
    &DELIVERY_WORKING,
    &REFUND_WORKING,
];

/// Every duration family with duration metrics, for the distribution chart.
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
/// Negative reviews that have a text: the reviews an aspect rate is over.
const NEGATIVE_WITH_TEXT: Cond = Cond::And(&[NEGATIVE, Cond::Present("text")]);

/// The share of negative reviews with a text that mention an aspect.
const fn mentions(id: &'static str, title: &'static str, aspect: &'static str) -> MetricDef {
    rate(id, R, title, NEGATIVE_WITH_TEXT, Cond::Mentions(aspect))
}

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
        pending: None,
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

const fn days(id: &'static str, title: &'static str, span: &'static Span, stat: Stat) -> MetricDef {
    metric(
        id,
        span.source,
        Days,
        title,
        Cond::All,
        Measure::Duration { span, stat },
    )
}

const fn with_note(mut m: MetricDef, note: &'static str) -> MetricDef {
    m.note = note;
    m
}

const fn pending(mut m: MetricDef, span: &'static Span, window: Window) -> MetricDef {
    m.pending = Some(Pending {
        span,
        window,
        settled: Settled::EndedOrPassed,
    });
    m
}

const fn within(
    id: &'static str,
    title: &'static str,
    filter: Cond,
    span: &'static Span,
    window: Window,
) -> MetricDef {
    metric(
        id,
        span.source,
        Rate,
        title,
        filter,
        Measure::WithinWindow {
            span,
            window,
            settled: Settled::Passed,
        },
    )
}

const fn survival(
    id: &'static str,
    title: &'static str,
    filter: Cond,
    span: &'static Span,
    p: f64,
) -> MetricDef {
    metric(
        id,
        span.source,
        Hours,
        title,
        filter,
        Measure::Survival { span, p },
    )
}

/// Orders by when they were placed, shipped or not.
const fn placed(mut m: MetricDef) -> MetricDef {
    m.cohort = Cohort::AnchoredOn("ordered_at");
    m
}

/// Returns by when they were requested, whenever the parcel shipped (a refund
/// export has no ship time).
const fn requested(mut m: MetricDef) -> MetricDef {
    m.cohort = Cohort::AnchoredOn("return_requested_at");
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
    hours(
        "first_response_business_hours_mean",
        "First response in business hours, mean",
        &FIRST_RESPONSE_BUSINESS,
        Stat::Mean,
    ),
    hours(
        "first_response_business_hours_p50",
        "First response in business hours, median",
        &FIRST_RESPONSE_BUSINESS,
        P50,
    ),
    hours(
        "first_response_business_hours_p90",
        "First response in business hours, p90",
        &FIRST_RESPONSE_BUSINESS,
        P90,
    ),
    pending(
        rate(
            "resolution_rate",
            T,
            "Resolved",
            Cond::All,
            Cond::Present("resolved_at"),
        ),
        &RESOLUTION,
        Window::Resolution,
    ),
    within(
        "resolved_within_window_rate",
        "Resolved in window",
        Cond::All,
        &RESOLUTION,
        Window::Resolution,
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
    hours(
        "resolution_business_hours_mean",
        "Resolution in business hours, mean",
        &RESOLUTION_BUSINESS,
        Stat::Mean,
    ),
    hours(
        "resolution_business_hours_p50",
        "Resolution in business hours, median",
        &RESOLUTION_BUSINESS,
        P50,
    ),
    hours(
        "resolution_business_hours_p90",
        "Resolution in business hours, p90",
        &RESOLUTION_BUSINESS,
        P90,
    ),
    survival(
        "resolution_hours_km_p50",
        "Resolution time, median (Kaplan–Meier)",
        Cond::All,
        &RESOLUTION,
        0.5,
    ),
    survival(
        "resolution_hours_km_p90",
        "Resolution time, p90 (Kaplan–Meier)",
        Cond::All,
        &RESOLUTION,
        0.9,
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
                settled: Settled::EndedOrPassed,
            },
        ),
        "The window is the `[sla_hours]` of the ticket's priority; a reply at exactly the SLA is within it. Elapsed time and age run on the SLA clock of the priority (`[sla] clock`): calendar time, or business time on the ticket's schedule.",
    ),
    with_note(
        metric(
            "sla_resolution_rate",
            T,
            Rate,
            "Resolved within SLA",
            Cond::All,
            Measure::WithinWindow {
                span: &RESOLUTION,
                window: Window::SlaResolution,
                settled: Settled::EndedOrPassed,
            },
        ),
        "Elapsed time and age run on the SLA clock of the priority, as for sla_response_rate.",
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
    days(
        "delivery_working_days_p50",
        "Delivery in working days, median",
        &DELIVERY_WORKING,
        P50,
    ),
    days(
        "delivery_working_days_p90",
        "Delivery in working days, p90",
        &DELIVERY_WORKING,
        P90,
    ),
    pending(
        rate(
            "return_rate",
            S,
            "Returned",
            Cond::Present("delivered_at"),
            Cond::Present("return_requested_at"),
        ),
        &RETURN_REQUEST,
        Window::Return,
    ),
    with_note(
        within(
            "return_within_window_rate",
            "Returned in window",
            Cond::Present("delivered_at"),
            &RETURN_REQUEST,
            Window::Return,
        ),
        "Deliveries still inside the window may yet be returned, so they are pending, not counted as kept.",
    ),
    requested(count(
        "return_requests",
        S,
        "Return requests",
        Cond::All,
    )),
    requested(hours(
        "refund_hours_p50",
        "Refund time, median",
        &REFUND,
        P50,
    )),
    requested(hours("refund_hours_p90", "Refund time, p90", &REFUND, P90)),
    requested(days(
        "refund_working_days_p50",
        "Refund in working days, median",
        &REFUND_WORKING,
        P50,
    )),
    requested(days(
        "refund_working_days_p90",
        "Refund in working days, p90",
        &REFUND_WORKING,
        P90,
    )),
    with_note(
        requested(metric(
            "refund_within_sla_rate",
            S,
            Rate,
            "Refunded within SLA",
            Cond::All,
            Measure::WithinWindow {
                span: &REFUND_WORKING,
                window: Window::RefundSla,
                settled: Settled::EndedOrPassed,
            },
        )),
        "Refunds are judged once made, or once the request is older than the SLA in working days.",
    ),
    requested(survival(
        "refund_hours_km_p50",
        "Refund time, median (Kaplan–Meier)",
        Cond::Present("return_requested_at"),
        &REFUND,
        0.5,
    )),
    requested(survival(
        "refund_hours_km_p90",
        "Refund time, p90 (Kaplan–Meier)",
        Cond::Present("return_requested_at"),
        &REFUND,
        0.9,
    )),
    rate(
        "exception_rate",
        S,
        "Lost or damaged",
        Cond::All,
        Cond::TextIn("status", &["lost", "damaged"]),
    ),
    with_note(
        placed(rate(
            "cancel_rate",
            S,
            "Cancelled or unavailable",
            Cond::All,
            Cond::TextIn("status", &["cancelled", "unavailable"]),
        )),
        "No data when the export has no ordered_at.",
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
        within(
            "followup_within_window_rate",
            "Followed up in window",
            NEGATIVE,
            &FOLLOWUP,
            Window::FollowUp,
        ),
        "The follow-up's time is the earliest such ticket's created_at, or the review's own time when the named ticket is older.",
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
    with_note(
        mentions(
            "negative_mentions_delivery_rate",
            "Negative reviews about delivery",
            "delivery",
        ),
        "A review mentions an aspect when its text holds one of the aspect's terms (docs/complaints.md: a Chinese term anywhere, other terms as whole words; `[complaints.aspects]` in svcq.toml adds terms). No data without a text column.",
    ),
    mentions(
        "negative_mentions_quality_rate",
        "Negative reviews about quality",
        "quality",
    ),
    mentions(
        "negative_mentions_service_rate",
        "Negative reviews about service",
        "service",
    ),
    mentions(
        "negative_mentions_price_rate",
        "Negative reviews about price",
        "price",
    ),
    mentions(
        "negative_mentions_packaging_rate",
        "Negative reviews about packaging",
        "packaging",
    ),
    mentions(
        "negative_mentions_returns_rate",
        "Negative reviews about returns",
        "returns",
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
        pending: None,
    },
];

#[cfg(test)]
mod tests {
    use super::super::*;
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
            if let Cohort::AnchoredOn(anchor) = m.cohort {
                assert!(is_timestamp(source, anchor), "{}", m.id);
            }
            if let Cohort::OpenAtEnd { start, end } = m.cohort {
                assert!(is_timestamp(source, start) && is_timestamp(source, end));
            }
            if let Measure::Duration { span, .. }
            | Measure::WithinWindow { span, .. }
            | Measure::Survival { span, .. } = m.measure
            {
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
        assert_eq!(
            find("followup_rate").unwrap().requires(),
            Some(Source::Tickets)
        );
        assert_eq!(find("return_rate").unwrap().requires(), None);
    }
}
