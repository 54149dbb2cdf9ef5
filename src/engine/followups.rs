//! Follow-ups: when each negative review got a ticket. Derived here once, as the
//! timestamp column [`COLUMN`] of the reviews frame (null: no follow-up), for
//! `Cond::FollowedUp` and `End::FollowUp`; built as the reader builds times
//! ([`TimeBuilder`]), so it is read through [`crate::source::times::ms`].

use std::sync::Arc;

use anyhow::Result;
use polars::prelude::*;

use super::aggregate::cond_expr;
use super::catalogue::NEGATIVE;
use crate::source::load::{Codes, LinkMap};
use crate::source::times::{TimeBuilder, Times};
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

/// The rows of `reviews` that are negative, as the catalogue's followup_rate
/// defines it.
fn negative_rows(reviews: &DataFrame) -> Result<Vec<usize>> {
    let mask = reviews
        .clone()
        .lazy()
        .select([cond_expr(&NEGATIVE).fill_null(lit(false)).alias("negative")])
        .collect()?;
    Ok(mask
        .column("negative")?
        .bool()?
        .iter()
        .enumerate()
        .filter(|(_, n)| *n == Some(true))
        .map(|(i, _)| i)
        .collect())
}

/// The follow-up time of each negative review: the earliest of a ticket it names
/// (at the ticket's creation, or the review's own time when the ticket is older)
/// and a ticket on the same non-empty order created at or after the review. Only
/// negative reviews count, so only their links are looked up: the maps hold those
/// reviews' ids and orders, not every ticket's.
///
/// The id columns are text as read, or the codes [`code_review_links`] gave them.
pub fn with_followups(reviews: &DataFrame, tickets: Option<&DataFrame>) -> Result<DataFrame> {
    let negative = negative_rows(reviews)?;
    let created = Times::of(reviews.column("created_at")?)?;
    // The same join on either kind of key column; an empty order links nothing.
    macro_rules! join_on {
        ($keys:ident, $linked:expr) => {{
            let named = reviews.column("ticket_id")?.$keys()?;
            let orders = reviews.column("order_id")?.$keys()?;
            let ticket_columns = match tickets {
                Some(t) => Some((
                    t.column("ticket_id")?.$keys()?,
                    t.column("order_id")?.$keys()?,
                    Times::of(t.column("created_at")?)?,
                )),
                None => None,
            };
            follow_up_times(
                &negative,
                |i| named.get(i),
                |i| orders.get(i).filter($linked),
                created,
                ticket_columns
                    .iter()
                    .flat_map(|(ids, orders, at)| ids.iter().zip(orders.iter()).zip(at.iter()))
                    .map(|((id, order), at)| (id, order, at)),
            )
        }};
    }
    let followed = if reviews.column("ticket_id")?.dtype() == &DataType::UInt32 {
        join_on!(u32, |_: &u32| true)
    } else {
        join_on!(str, |o: &&str| !o.is_empty())
    };
    // Built row by row from the few followed-up ones: no vector of every row's Option.
    let mut column = TimeBuilder::new(COLUMN.into(), reviews.height());
    let mut followed = followed.into_iter().peekable();
    for row in 0..reviews.height() {
        column.append(followed.next_if(|(r, _)| *r == row).map(|(_, at)| at));
    }
    let mut out = reviews.clone();
    out.with_column(column.finish().into_column())?;
    Ok(out)
}

/// The join itself, on any kind of key: `named` and `order` give a review's
/// links, `tickets` each ticket's id, order and creation time. The followed-up
/// rows, in row order, with their follow-up time.
fn follow_up_times<K: std::hash::Hash + Eq + Copy>(
    negative: &[usize],
    named: impl Fn(usize) -> Option<K>,
    order: impl Fn(usize) -> Option<K>,
    created: Times,
    tickets: impl Iterator<Item = (Option<K>, Option<K>, Option<i64>)>,
) -> Vec<(usize, i64)> {
    // Ticket ids the negative reviews name → that ticket's creation; their orders →
    // the creation times of the tickets on that order, sorted.
    let mut named_created: PlHashMap<K, Option<i64>> = PlHashMap::new();
    let mut on_order: PlHashMap<K, Vec<i64>> = PlHashMap::new();
    for &i in negative {
        if let Some(id) = named(i) {
            named_created.insert(id, None);
        }
        if let Some(o) = order(i) {
            on_order.insert(o, Vec::new());
        }
    }
    for (id, o, at) in tickets {
        let Some(at) = at else { continue };
        if let Some(slot) = id.and_then(|id| named_created.get_mut(&id)) {
            *slot = Some(at);
        }
        if let Some(times) = o.and_then(|o| on_order.get_mut(&o)) {
            times.push(at);
        }
    }
    on_order.values_mut().for_each(|t| t.sort_unstable());
    let mut followed = Vec::new();
    for &i in negative {
        let Some(review_at) = created.get(i) else {
            continue;
        };
        let by_ticket = named(i)
            .and_then(|id| named_created.get(&id).copied().flatten())
            .map(|ticket_at| ticket_at.max(review_at));
        let by_order = order(i).and_then(|o| on_order.get(&o)).and_then(|times| {
            let first = times.partition_point(|&t| t < review_at);
            times.get(first).copied()
        });
        let at = match (by_ticket, by_order) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        followed.extend(at.map(|at| (i, at)));
    }
    followed
}

/// Replaces the text ids the follow-up join reads (ticket_id and order_id of the
/// reviews; of the tickets, the CSV reader or [`code_ticket_links`]) by 4-byte codes, where
/// no command output needs their text: the same code for the same text, on the
/// negative reviews' links and on the tickets that match one; null everywhere
/// else. The join gives what it gave on the text, and the ids stop taking 16 bytes
/// a row and more (a UUID: 52). Done as each source is read, so the reviews' ids
/// are gone before the tickets are read; the codes returned are what the
/// tickets' reader keeps their ids as ([`crate::source::load::LinkCodes`]).
pub fn code_review_links(reviews: &mut DataFrame) -> Result<Codes> {
    let negative = negative_rows(reviews)?;
    let (mut tickets, mut orders) = (LinkMap::default(), LinkMap::default());
    let (named_codes, order_codes) = {
        let named = reviews.column("ticket_id")?.str()?;
        let order = reviews.column("order_id")?.str()?;
        let mut named_codes: Vec<Option<u32>> = vec![None; reviews.height()];
        let mut order_codes: Vec<Option<u32>> = vec![None; reviews.height()];
        for &i in &negative {
            if let Some(id) = named.get(i) {
                let next = tickets.len() as u32;
                named_codes[i] = Some(*tickets.entry(id.into()).or_insert(next));
            }
            if let Some(o) = order.get(i).filter(|o| !o.is_empty()) {
                let next = orders.len() as u32;
                order_codes[i] = Some(*orders.entry(o.into()).or_insert(next));
            }
        }
        (named_codes, order_codes)
    };
    reviews.with_column(Column::new("ticket_id".into(), named_codes))?;
    reviews.with_column(Column::new("order_id".into(), order_codes))?;
    Ok(Codes::from([
        ("ticket_id", Arc::new(tickets)),
        ("order_id", Arc::new(orders)),
    ]))
}

/// The tickets' side of [`code_review_links`]: a ticket whose id or order a
/// negative review links to gets its code, every other one null (without reviews,
/// `codes` empty: all of them). A column the reader already coded stays.
pub fn code_ticket_links(tickets: &mut DataFrame, codes: &Codes) -> Result<()> {
    let none = LinkMap::default();
    for name in ["ticket_id", "order_id"] {
        let column = tickets.column(name)?;
        if column.dtype() != &DataType::String {
            continue;
        }
        let map = codes.get(name).map_or(&none, |m| m.as_ref());
        let linked: UInt32Chunked = column
            .str()?
            .iter()
            .map(|v| v.and_then(|v| map.get(v).copied()))
            .collect();
        tickets.with_column(Column::from(linked.into_series().with_name(name.into())))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(columns: Vec<Column>) -> DataFrame {
        DataFrame::new(columns[0].len(), columns).unwrap()
    }

    /// Worked by hand (times in hours): review r1 (rating 1, at 10) names T1,
    /// created at 4, so it is followed up at 10, the review's own time; r2 (rating
    /// 2, at 20) names nothing, its order O2 has tickets at 15 and 30: followed up
    /// at 30; r3 (rating 5) names T1 but is not negative: null; r4 (rating 1, at
    /// 40) has an empty order and names T9, which no ticket has: null; r5 (rating
    /// 1, at 5) names T2 (created at 50) and has order O2 (tickets at 15 and 30):
    /// the earliest, 15. Linked codes give the same times as the text.
    #[test]
    fn linked_codes_join_as_the_text_does() {
        let h = |hours: i64| hours * 3_600_000;
        let reviews = frame(vec![
            Column::new("rating".into(), [1i64, 2, 5, 1, 1]),
            Column::new("nps".into(), [None::<i64>, None, None, None, None]),
            Column::new(
                "ticket_id".into(),
                [Some("T1"), None, Some("T1"), Some("T9"), Some("T2")],
            ),
            Column::new(
                "order_id".into(),
                [Some("O1"), Some("O2"), Some("O1"), Some(""), Some("O2")],
            ),
            Column::new("created_at".into(), [h(10), h(20), h(30), h(40), h(5)]),
        ]);
        let tickets = frame(vec![
            Column::new("ticket_id".into(), ["T1", "T2", "T3", "T4"]),
            Column::new(
                "order_id".into(),
                [Some("O9"), Some(""), Some("O2"), Some("O2")],
            ),
            Column::new("created_at".into(), [h(4), h(50), h(30), h(15)]),
        ]);
        let expected = vec![Some(h(10)), Some(h(30)), None, None, Some(h(15))];
        let times = |reviews: &DataFrame, tickets: &DataFrame| -> Vec<Option<i64>> {
            let out = with_followups(reviews, Some(tickets)).unwrap();
            let column = out.column(COLUMN).unwrap();
            crate::source::times::millis(column)
                .unwrap()
                .iter()
                .collect()
        };
        assert_eq!(times(&reviews, &tickets), expected);
        let (mut linked_reviews, mut linked_tickets) = (reviews.clone(), tickets.clone());
        let links = code_review_links(&mut linked_reviews).unwrap();
        code_ticket_links(&mut linked_tickets, &links).unwrap();
        assert_eq!(
            linked_tickets.column("ticket_id").unwrap().dtype(),
            &DataType::UInt32
        );
        // Only the tickets a negative review links to keep a code.
        let ticket_codes: Vec<Option<u32>> = linked_tickets
            .column("ticket_id")
            .unwrap()
            .u32()
            .unwrap()
            .iter()
            .collect();
        assert_eq!(ticket_codes.iter().filter(|c| c.is_some()).count(), 2);
        assert_eq!(times(&linked_reviews, &linked_tickets), expected);
        // No reviews: the tickets' ids become null codes.
        let mut alone = tickets.clone();
        code_ticket_links(&mut alone, &Codes::default()).unwrap();
        assert_eq!(alone.column("order_id").unwrap().null_count(), 4);
    }
}
