//! The examples pass: for each listed term, the latest texts of the period that
//! use it (ties by id, then by row). Run once the lists are known, and only when
//! examples are shown: the period's texts are tokenized again, on every core, and
//! each list keeps its few latest — nothing per text is held.

use std::cmp::Ordering;

use anyhow::Result;
use rustc_hash::FxHashMap;

use super::model::Example;
use super::tally::{each_row, negative, positive, Row, Texts};
use crate::source::timestamp::format_utc;
use crate::text::Tokenizer;

/// Examples shown per term.
const EXAMPLES: usize = 2;

/// The texts of a group a list's examples come from.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Side {
    /// Rated at most 2.
    Negative,
    /// Rated at least 4.
    Positive,
    /// Every text (a ticket category's).
    Any,
}

/// A listed term whose examples are wanted, from the texts of `side` with
/// `segment` (`None`: of every segment).
pub(super) struct Wanted {
    pub term: String,
    pub segment: Option<String>,
    pub side: Side,
}

/// A text kept as an example so far.
struct Kept {
    created: i64,
    id: Option<String>,
    row: usize,
    rating: Option<i64>,
    text: String,
}

/// Latest first, then by id, then by row.
fn order(a: (i64, Option<&str>, usize), b: (i64, Option<&str>, usize)) -> Ordering {
    b.0.cmp(&a.0)
        .then_with(|| a.1.cmp(&b.1))
        .then_with(|| a.2.cmp(&b.2))
}

fn key(k: &Kept) -> (i64, Option<&str>, usize) {
    (k.created, k.id.as_deref(), k.row)
}

/// Keeps `row` among the latest few of `kept` (kept in order).
fn offer(kept: &mut Vec<Kept>, row: &Row) {
    let at = kept.partition_point(|k| order(key(k), (row.created, row.id, row.row)).is_lt());
    if at >= EXAMPLES {
        return;
    }
    kept.insert(
        at,
        Kept {
            created: row.created,
            id: row.id.map(str::to_string),
            row: row.row,
            rating: row.rating,
            text: row.text.unwrap_or_default().to_string(),
        },
    );
    kept.truncate(EXAMPLES);
}

/// The examples of each of `wanted`, in its order, from the texts of
/// `texts.period` (never of the period before), named by their `id` column.
pub(super) fn examples(
    texts: &Texts,
    id: &str,
    tokenizer: &Tokenizer,
    wanted: &[Wanted],
) -> Result<Vec<Vec<Example>>> {
    if wanted.is_empty() {
        return Ok(Vec::new());
    }
    let texts = &Texts {
        id: Some(id),
        previous: None,
        ..*texts
    };
    let mut by_term: FxHashMap<&str, Vec<usize>> = FxHashMap::default();
    for (i, w) in wanted.iter().enumerate() {
        by_term.entry(w.term.as_str()).or_default().push(i);
    }
    let parts = crate::parallel::map_parts(texts.frame.height(), |start, len| {
        let mut kept: Vec<Vec<Kept>> = (0..wanted.len()).map(|_| Vec::new()).collect();
        let mut hits = Vec::new();
        each_row(texts, start, len, &mut |_, row| {
            // Only the period's rows come: `previous` is None.
            let Some(text) = row.text else { return };
            hits.clear();
            tokenizer.each_term(text, &mut |term| {
                if let Some(lists) = by_term.get(term) {
                    hits.extend_from_slice(lists);
                }
            });
            // A term a text repeats makes it an example once.
            hits.sort_unstable();
            hits.dedup();
            for &i in &hits {
                let w = &wanted[i];
                let of_side = match w.side {
                    Side::Negative => negative(row.rating),
                    Side::Positive => positive(row.rating),
                    Side::Any => true,
                };
                if of_side && (w.segment.is_none() || w.segment.as_deref() == row.segment) {
                    offer(&mut kept[i], &row);
                }
            }
        })?;
        anyhow::Ok(kept)
    });
    let mut all: Vec<Vec<Kept>> = (0..wanted.len()).map(|_| Vec::new()).collect();
    for part in parts {
        for (i, kept) in part?.into_iter().enumerate() {
            all[i].extend(kept);
        }
    }
    Ok(all
        .into_iter()
        .map(|mut kept| {
            kept.sort_by(|a, b| order(key(a), key(b)));
            kept.truncate(EXAMPLES);
            kept.into_iter()
                .map(|k| Example {
                    id: k.id.unwrap_or_default(),
                    created_at: format_utc(k.created),
                    rating: k.rating,
                    text: k.text,
                })
                .collect()
        })
        .collect())
}
