//! The data contract: the three sources, their canonical columns, how each
//! column's text is read and the rules across a row's fields. The one place that
//! knows which columns exist; the metric catalogue refers to them by name, and its
//! tests check every name against this contract.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    Tickets,
    Shipments,
    Reviews,
}

impl Source {
    pub const ALL: [Source; 3] = [Source::Tickets, Source::Shipments, Source::Reviews];

    pub fn name(self) -> &'static str {
        match self {
            Source::Tickets => "tickets",
            Source::Shipments => "shipments",
            Source::Reviews => "reviews",
        }
    }

    /// Rules across the fields of one row, checked in order: the first one broken
    /// is the row's reject reason.
    pub fn row_rules(self) -> &'static [RowRule] {
        match self {
            Source::Tickets => &[
                RowRule::NotBefore {
                    later: "first_response_at",
                    earlier: "created_at",
                },
                RowRule::NotBefore {
                    later: "resolved_at",
                    earlier: "created_at",
                },
            ],
            Source::Shipments => &[
                RowRule::EmptyNeedsStatus {
                    field: "shipped_at",
                    allowed: &NOT_SHIPPED,
                },
                RowRule::Needs {
                    field: "shipped_at",
                    needs: "promised_at",
                    why: "a shipped order needs its promised delivery date",
                },
                RowRule::NotBefore {
                    later: "shipped_at",
                    earlier: "ordered_at",
                },
                RowRule::NotBefore {
                    later: "delivered_at",
                    earlier: "shipped_at",
                },
                RowRule::Needs {
                    field: "refunded_at",
                    needs: "return_requested_at",
                    why: "a refund needs a return request",
                },
                RowRule::NotBefore {
                    later: "refunded_at",
                    earlier: "return_requested_at",
                },
            ],
            Source::Reviews => &[RowRule::NotBefore {
                later: "replied_at",
                earlier: "created_at",
            }],
        }
    }

    /// The column that identifies a record (unique per file, the upsert key).
    pub fn id_column(self) -> &'static str {
        match self {
            Source::Tickets => "ticket_id",
            Source::Shipments => "order_id",
            Source::Reviews => "review_id",
        }
    }

    /// The timestamp that puts a record into a period (the cohort rule).
    pub fn anchor_column(self) -> &'static str {
        match self {
            Source::Tickets | Source::Reviews => "created_at",
            Source::Shipments => "shipped_at",
        }
    }

    pub fn columns(self) -> &'static [ColumnSpec] {
        match self {
            Source::Tickets => TICKETS,
            Source::Shipments => SHIPMENTS,
            Source::Reviews => REVIEWS,
        }
    }

    /// Text columns a report can be split by (`--by`) or a target filtered on (`where`).
    /// Text fields whose values can be counted: the dimensions plus descriptive fields.
    pub fn categorical_fields(self) -> &'static [&'static str] {
        match self {
            Source::Tickets => &["category", "channel", "priority", "agent", "team"],
            Source::Shipments => &[
                "return_reason",
                "carrier",
                "region",
                "status",
                "seller",
                "category",
            ],
            Source::Reviews => &["channel", "product", "category", "seller", "region"],
        }
    }

    pub fn dimensions(self) -> &'static [&'static str] {
        match self {
            Source::Tickets => &["channel", "priority", "category", "agent", "team"],
            Source::Shipments => &["carrier", "region", "seller", "category"],
            Source::Reviews => &["channel", "product", "category", "seller", "region"],
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A rule across the fields of one row.
#[derive(Debug, Clone, Copy)]
pub enum RowRule {
    /// When both are present, `later` must not be before `earlier`.
    NotBefore {
        later: &'static str,
        earlier: &'static str,
    },
    /// `field` may only be present when `needs` is.
    Needs {
        field: &'static str,
        needs: &'static str,
        why: &'static str,
    },
    /// `field` may only be empty when the row's status is one of `allowed`.
    EmptyNeedsStatus {
        field: &'static str,
        allowed: &'static [&'static str],
    },
}

/// What a timestamp column records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Moment {
    /// Something that happened; the latest one is the data's default as-of time.
    Event,
    /// A promise or due date, which may lie in the future.
    Deadline,
}

/// How a column's text becomes a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Kept as written, trimmed.
    Text,
    /// Trimmed and lower-cased (channels, categories: `Chat ` and `chat` are one segment).
    Label,
    Timestamp(Moment),
    /// urgent/high/normal/low with aliases red/yellow/green and p1..p4.
    Priority,
    /// in_transit/delivered/lost/damaged; empty is derived from delivered_at.
    ShipmentStatus,
    /// A whole number ≥ 0 where empty means 0 (reopens, agent replies).
    Count,
    /// An integer in `min..=max`; empty means no answer.
    Integer {
        min: i64,
        max: i64,
    },
}

impl Kind {
    /// The polars type a column of this kind is held in: timestamps as UTC
    /// milliseconds (or, read from CSV, whole seconds in four bytes where they
    /// are: [`super::times`]), counts and answers in the narrowest integer their values fit
    /// (a count above `u32::MAX` is rejected when read), priorities and statuses
    /// and labels as codes ([`super::codes`]), everything else as text (a
    /// dimension's text is coded too: [`ColumnSpec::dtype`]).
    pub fn dtype(self) -> polars::prelude::DataType {
        use polars::prelude::DataType;
        match self {
            Kind::Timestamp(_) => DataType::Int64,
            Kind::Count | Kind::Label => DataType::UInt32,
            Kind::Integer { .. } | Kind::Priority | Kind::ShipmentStatus => DataType::Int8,
            Kind::Text => DataType::String,
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub struct ColumnSpec {
    pub name: &'static str,
    pub kind: Kind,
    /// The column must be in the header.
    pub in_header: bool,
    /// A row with this field empty is rejected.
    pub required: bool,
}

impl ColumnSpec {
    /// The polars type the column is held in: its kind's, or codes for text
    /// that names a group ([`super::codes::is_open`]: an agent, a carrier).
    pub fn dtype(&self) -> polars::prelude::DataType {
        match super::codes::is_open(self.name) {
            true => polars::prelude::DataType::UInt32,
            false => self.kind.dtype(),
        }
    }
}

const fn col(name: &'static str, kind: Kind, in_header: bool, required: bool) -> ColumnSpec {
    ColumnSpec {
        name,
        kind,
        in_header,
        required,
    }
}

static TICKETS: &[ColumnSpec] = &[
    col("ticket_id", Kind::Text, true, true),
    col("created_at", Kind::Timestamp(Moment::Event), true, true),
    col(
        "first_response_at",
        Kind::Timestamp(Moment::Event),
        false,
        false,
    ),
    col("resolved_at", Kind::Timestamp(Moment::Event), false, false),
    col("channel", Kind::Label, true, false),
    col("priority", Kind::Priority, true, true),
    col("category", Kind::Label, false, false),
    col("agent", Kind::Text, false, false),
    col("order_id", Kind::Text, false, false),
    col("reopens", Kind::Count, false, false),
    col("agent_replies", Kind::Count, false, false),
    // The agent's group (ServiceNow's assignment_group, Zendesk's Group).
    col("team", Kind::Text, false, false),
    // What the customer wrote: a subject or description, for complaint terms.
    col("subject", Kind::Text, false, false),
];

static SHIPMENTS: &[ColumnSpec] = &[
    col("order_id", Kind::Text, true, true),
    // Order exports often have neither: carrier and promise metrics then have no data.
    col("carrier", Kind::Text, false, false),
    col("region", Kind::Text, false, false),
    // An order that never shipped has no ship time, and a status saying why. An
    // export of return or refund requests has no ship time at all: its shipped
    // metrics have no data, its refund metrics count from the request.
    col("ordered_at", Kind::Timestamp(Moment::Event), false, false),
    col("shipped_at", Kind::Timestamp(Moment::Event), false, false),
    col(
        "promised_at",
        Kind::Timestamp(Moment::Deadline),
        false,
        false,
    ),
    col("delivered_at", Kind::Timestamp(Moment::Event), false, false),
    col("status", Kind::ShipmentStatus, false, false),
    col(
        "return_requested_at",
        Kind::Timestamp(Moment::Event),
        false,
        false,
    ),
    col("refunded_at", Kind::Timestamp(Moment::Event), false, false),
    col("return_reason", Kind::Label, false, false),
    col("seller", Kind::Text, false, false),
    col("category", Kind::Label, false, false),
];

static REVIEWS: &[ColumnSpec] = &[
    col("review_id", Kind::Text, true, true),
    col("created_at", Kind::Timestamp(Moment::Event), true, true),
    col("rating", Kind::Integer { min: 1, max: 5 }, true, true),
    col("nps", Kind::Integer { min: 0, max: 10 }, false, false),
    col("order_id", Kind::Text, false, false),
    col("ticket_id", Kind::Text, false, false),
    col("channel", Kind::Label, false, false),
    col("text", Kind::Text, false, false),
    // The shop's public answer to the review.
    col("replied_at", Kind::Timestamp(Moment::Event), false, false),
    // What was reviewed and who sold it, for --by and where.
    col("product", Kind::Text, false, false),
    col("category", Kind::Label, false, false),
    col("seller", Kind::Text, false, false),
    col("region", Kind::Text, false, false),
];

/// The fields of every source as a Markdown table, for docs/metrics.md (a test
/// keeps the file equal to it).
pub fn markdown_fields() -> String {
    let mut out = String::from(
        "| source | field | read as | in the header | a row needs it |\n|---|---|---|---|---|\n",
    );
    for source in Source::ALL {
        for c in source.columns() {
            let kind = match c.kind {
                Kind::Text => "text".to_string(),
                Kind::Label => "label (trimmed, lower-cased)".into(),
                Kind::Timestamp(Moment::Event) => "timestamp".into(),
                Kind::Timestamp(Moment::Deadline) => {
                    "deadline (a date alone: the end of that day)".into()
                }
                Kind::Priority => format!("priority: {}", PRIORITIES.join(", ")),
                Kind::ShipmentStatus => format!(
                    "status: {} (empty: from delivered_at)",
                    SHIPMENT_STATUSES.join(", ")
                ),
                Kind::Count => "whole number 0–4294967295 (empty: 0)".into(),
                Kind::Integer { min, max } => format!("whole number {min}–{max}"),
            };
            let yes = |b: bool| if b { "yes" } else { "" };
            out.push_str(&format!(
                "| {source} | `{}` | {kind} | {} | {} |\n",
                c.name,
                yes(c.in_header),
                yes(c.required)
            ));
        }
    }
    out
}

pub const PRIORITIES: [&str; 4] = ["urgent", "high", "normal", "low"];
pub const SHIPMENT_STATUSES: [&str; 7] = [
    "in_transit",
    "delivered",
    "lost",
    "damaged",
    "cancelled",
    "unavailable",
    "pending",
];

/// Statuses that say why an order has no ship time.
pub const NOT_SHIPPED: [&str; 3] = ["cancelled", "unavailable", "pending"];

/// Canonical priority for a (trimmed, any-case) value, or `None` if unknown.
pub fn canonical_priority(value: &str) -> Option<&'static str> {
    match value.to_ascii_lowercase().as_str() {
        "urgent" | "red" | "p1" => Some("urgent"),
        "high" | "yellow" | "p2" => Some("high"),
        "normal" | "green" | "p3" => Some("normal"),
        "low" | "p4" => Some("low"),
        _ => None,
    }
}

pub fn canonical_status(value: &str) -> Option<&'static str> {
    let lower = value.to_ascii_lowercase();
    // The American spelling, as Olist and Shopify write it.
    let lower = if lower == "canceled" {
        "cancelled".to_string()
    } else {
        lower
    };
    SHIPMENT_STATUSES.into_iter().find(|s| *s == lower)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn priority_aliases() {
        assert_eq!(canonical_priority("RED"), Some("urgent"));
        assert_eq!(canonical_priority("yellow"), Some("high"));
        assert_eq!(canonical_priority("Green"), Some("normal"));
        assert_eq!(canonical_priority("p4"), Some("low"));
        assert_eq!(canonical_priority("medium"), None);
        assert_eq!(canonical_priority(""), None);
    }

    #[test]
    fn docs_match_the_code() {
        crate::docs_check::check_section("docs/metrics.md", "contract", &markdown_fields());
    }

    #[test]
    fn every_dimension_is_a_text_column_of_its_source() {
        for source in Source::ALL {
            for dim in source.dimensions() {
                let spec = source.columns().iter().find(|c| c.name == *dim).unwrap();
                assert!(matches!(
                    spec.kind,
                    Kind::Text | Kind::Label | Kind::Priority
                ));
            }
        }
    }
}
