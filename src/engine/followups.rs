//! Follow-ups: when each negative review got a ticket. Derived here once, as the
//! timestamp column [`COLUMN`] of the reviews frame (null: no follow-up), for
//! `Cond::FollowedUp` and `End::FollowUp`.

use anyhow::Result;
use polars::prelude::*;

use super::aggregate::cond_expr;
use super::catalogue::NEGATIVE;
use crate::source::Source;

pub const COLUMN: &str = "followed_up_at";

/// The columns the join reads, beyond what the catalogue's metrics declare.
pub fn columns(source: Source) -> &'static [&'static str] {
    match source {
        Source::Tickets => &["ticket_id", "order_id", "created_at"],
        Source::Shipments => &[],
        Source::Reviews => &["rating", "ticket_id", "order_id", "created_at"],
    }
}

/// The follow-up time of each negative review: the earliest of a ticket it names
/// (at the ticket's creation, or the review's own time when the ticket is older)
/// and a ticket on the same non-empty order created at or after the review. Only
/// negative reviews count, so only their links are looked up: the maps hold those
/// reviews' ids and orders, not every ticket's.
pub fn with_followups(reviews: &DataFrame, tickets: Option<&DataFrame>) -> Result<DataFrame> {
    let named = reviews.column("ticket_id")?.str()?;
    let orders = reviews.column("order_id")?.str()?;
    let created = reviews.column("created_at")?.i64()?;
    // Negative as the catalogue's followup_rate defines it.
    let mask = reviews
        .clone()
        .lazy()
        .select([cond_expr(&NEGATIVE).fill_null(lit(false)).alias("negative")])
        .collect()?;
    let negative: Vec<usize> = mask
        .column("negative")?
        .bool()?
        .iter()
        .enumerate()
        .filter(|(_, n)| *n == Some(true))
        .map(|(i, _)| i)
        .collect();
    // Ticket ids the negative reviews name → that ticket's creation; their orders →
    // the creation times of the tickets on that order, sorted.
    let mut named_created: PlHashMap<&str, Option<i64>> = PlHashMap::new();
    let mut on_order: PlHashMap<&str, Vec<i64>> = PlHashMap::new();
    for &i in &negative {
        if let Some(id) = named.get(i) {
            named_created.insert(id, None);
        }
        if let Some(order) = orders.get(i).filter(|o| !o.is_empty()) {
            on_order.insert(order, Vec::new());
        }
    }
    if let Some(t) = tickets {
        let ids = t.column("ticket_id")?.str()?;
        let ticket_orders = t.column("order_id")?.str()?;
        let ticket_created = t.column("created_at")?.i64()?;
        for ((id, order), at) in ids
            .iter()
            .zip(ticket_orders.iter())
            .zip(ticket_created.iter())
        {
            let Some(at) = at else { continue };
            if let Some(slot) = id.and_then(|id| named_created.get_mut(id)) {
                *slot = Some(at);
            }
            if let Some(times) = order.and_then(|o| on_order.get_mut(o)) {
                times.push(at);
            }
        }
    }
    on_order.values_mut().for_each(|t| t.sort_unstable());
    let mut followed: Vec<Option<i64>> = vec![None; reviews.height()];
    for i in negative {
        let Some(review_at) = created.get(i) else {
            continue;
        };
        let by_ticket = named
            .get(i)
            .and_then(|id| named_created.get(id).copied().flatten())
            .map(|ticket_at| ticket_at.max(review_at));
        let by_order = orders
            .get(i)
            .and_then(|o| on_order.get(o))
            .and_then(|times| {
                let first = times.partition_point(|&t| t < review_at);
                times.get(first).copied()
            });
        followed[i] = match (by_ticket, by_order) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
    }
    let mut out = reviews.clone();
    out.with_column(Column::new(COLUMN.into(), followed))?;
    Ok(out)
}
