//! Follow-ups: which negative reviews got a ticket. Derived here once, as the
//! boolean column [`COLUMN`] of the reviews frame, for `Cond::FollowedUp`.

use anyhow::Result;
use polars::prelude::*;

use super::aggregate::cond_expr;
use super::catalogue::NEGATIVE;
use crate::source::Source;

pub const COLUMN: &str = "followed_up";

/// The columns the join reads, beyond what the catalogue's metrics declare.
pub fn columns(source: Source) -> &'static [&'static str] {
    match source {
        Source::Tickets => &["ticket_id", "order_id", "created_at"],
        Source::Shipments => &[],
        Source::Reviews => &["rating", "ticket_id", "order_id", "created_at"],
    }
}

/// Marks each negative review that got a follow-up: a ticket it names that exists,
/// or a ticket on the same non-empty order created at or after the review. Only
/// negative reviews count for followup_rate, so only their links are looked up: the
/// maps hold those reviews' ids, not every ticket's.
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
    // Ticket ids the negative reviews name → whether such a ticket exists; their
    // orders → the latest ticket created on that order.
    let mut named_exists: PlHashMap<&str, bool> = PlHashMap::new();
    let mut latest_on_order: PlHashMap<&str, Option<i64>> = PlHashMap::new();
    for &i in &negative {
        if let Some(id) = named.get(i) {
            named_exists.insert(id, false);
        }
        if let Some(order) = orders.get(i).filter(|o| !o.is_empty()) {
            latest_on_order.insert(order, None);
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
            if let Some(exists) = id.and_then(|id| named_exists.get_mut(id)) {
                *exists = true;
            }
            if let (Some(latest), Some(at)) = (order.and_then(|o| latest_on_order.get_mut(o)), at) {
                *latest = Some(latest.map_or(at, |l| l.max(at)));
            }
        }
    }
    let mut followed = vec![false; reviews.height()];
    for i in negative {
        let by_ticket = named
            .get(i)
            .is_some_and(|id| named_exists.get(id) == Some(&true));
        let by_order = orders
            .get(i)
            .and_then(|o| latest_on_order.get(o).copied().flatten())
            .zip(created.get(i))
            .is_some_and(|(latest, created)| latest >= created);
        followed[i] = by_ticket || by_order;
    }
    let mut out = reviews.clone();
    out.with_column(Column::new(COLUMN.into(), followed))?;
    Ok(out)
}
