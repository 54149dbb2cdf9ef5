//! The counting pass over a source's texts: each text of the period, or a
//! negative one of the period before, is tokenized once, on every core, and only
//! counts are kept — per group and term, how many texts use it. Nothing per text
//! outlives the pass, so its memory follows the vocabulary, not the rows.

use std::collections::BTreeMap;

use anyhow::Result;
use polars::prelude::*;
use rustc_hash::FxHashMap;

use super::model::TextCounts;
use crate::engine::period::Period;
use crate::source::codes;
use crate::source::times::millis;
use crate::text::Tokenizer;

/// Every term seen, interned.
#[derive(Default)]
pub(super) struct Vocab {
    ids: FxHashMap<String, u32>,
    pub words: Vec<String>,
}

impl Vocab {
    /// The id of a term seen as a borrowed string (allocates only when new).
    fn id_of(&mut self, term: &str) -> u32 {
        match self.ids.get(term) {
            Some(&id) => id,
            None => self.id(term.to_string()),
        }
    }

    fn id(&mut self, term: String) -> u32 {
        if let Some(&id) = self.ids.get(&term) {
            return id;
        }
        let id = self.words.len() as u32;
        self.words.push(term.clone());
        self.ids.insert(term, id);
        id
    }
}

/// Per term id, how many texts use it (terms no text uses are absent).
pub(super) type TermCounts = FxHashMap<u32, u64>;

/// What one group of texts adds up to.
#[derive(Default)]
pub(super) struct GroupTally {
    /// The period's texts.
    pub counts: TextCounts,
    /// Negative texts with terms in the period before.
    pub before_negative: u64,
    /// Per term, texts of the period that use it: all, the negative, the positive.
    pub all: TermCounts,
    pub negative: TermCounts,
    pub positive: TermCounts,
    /// Per term, negative texts of the period before that use it.
    pub before_negative_terms: TermCounts,
}

impl GroupTally {
    /// Texts of the period with at least one term.
    pub fn with_terms(&self) -> u64 {
        self.counts.reviews - self.counts.without_text - self.counts.without_terms
    }
}

/// A source's texts, whole and per value of a segment column.
#[derive(Default)]
pub(super) struct Tally {
    pub whole: GroupTally,
    pub segments: BTreeMap<String, GroupTally>,
}

/// Where to read a source's texts.
#[derive(Clone, Copy)]
pub(super) struct Texts<'a> {
    pub frame: &'a DataFrame,
    /// The text column.
    pub text: &'a str,
    /// Texts are grouped by its values (decoded when held as codes).
    pub segment: Option<&'a str>,
    /// The id column the examples name (read only when given: the examples
    /// pass gives it).
    pub id: Option<&'a str>,
    pub period: &'a Period,
    /// Its negative texts are counted for the rising terms.
    pub previous: Option<&'a Period>,
}

/// A text's rating side: at most 2 is negative, at least 4 positive.
pub(super) fn negative(rating: Option<i64>) -> bool {
    rating.is_some_and(|r| r <= 2)
}

pub(super) fn positive(rating: Option<i64>) -> bool {
    rating.is_some_and(|r| r >= 4)
}

/// One row of a part, as the passes read it.
pub(super) struct Row<'p> {
    /// Its row in the whole frame.
    pub row: usize,
    pub created: i64,
    pub rating: Option<i64>,
    /// `None`: no text, or only white space.
    pub text: Option<&'p str>,
    pub segment: Option<&'p str>,
    pub id: Option<&'p str>,
}

/// Rows whose times, ratings and segment labels are materialised at once.
const SLICE: usize = 1 << 16;

/// Calls `each` with every row of `frame[start..start + len]` created in
/// `period` (`true`) or in `previous` (`false`), a slice of rows at a time.
pub(super) fn each_row(
    texts: &Texts,
    start: usize,
    len: usize,
    each: &mut dyn FnMut(bool, Row),
) -> Result<()> {
    for at in (start..start + len).step_by(SLICE) {
        each_row_of_slice(texts, at, SLICE.min(start + len - at), each)?;
    }
    Ok(())
}

fn each_row_of_slice(
    texts: &Texts,
    start: usize,
    len: usize,
    each: &mut dyn FnMut(bool, Row),
) -> Result<()> {
    let part = texts.frame.slice(start as i64, len);
    let text = part.column(texts.text)?.str()?.clone();
    let created = millis(part.column("created_at")?)?;
    let rating = match part.column("rating") {
        Ok(r) => Some(r.cast(&DataType::Int64)?.i64()?.clone()),
        Err(_) => None,
    };
    let segment = match texts.segment {
        // As its labels: an open label is held as a code.
        Some(s) => Some(
            codes::decode(part.select([s])?)?
                .column(s)?
                .cast(&DataType::String)?
                .str()?
                .clone(),
        ),
        None => None,
    };
    let id = match texts.id {
        Some(id) => Some(part.column(id)?.str()?.clone()),
        None => None,
    };
    let mut ratings = rating.iter().flat_map(|r| r.iter());
    let mut segments = segment.iter().flat_map(|s| s.iter());
    let mut ids = id.iter().flat_map(|s| s.iter());
    let inside = |p: &Period, at: i64| p.from <= at && at < p.to;
    for (i, (created, text)) in created.iter().zip(text.iter()).enumerate() {
        let rating = ratings.next().flatten();
        let segment = segments.next().flatten();
        let id = ids.next().flatten();
        let Some(created) = created else { continue };
        let now = if inside(texts.period, created) {
            true
        } else if texts.previous.is_some_and(|p| inside(p, created)) {
            false
        } else {
            continue;
        };
        each(
            now,
            Row {
                row: start + i,
                created,
                rating,
                text: text.filter(|t| !t.trim().is_empty()),
                segment,
                id,
            },
        );
    }
    Ok(())
}

/// The counts [`tally`] gathers for a group within one part, by the part's own
/// term ids: `[all, negative, positive, negative before]`.
#[derive(Default)]
struct LocalGroup<T> {
    counts: TextCounts,
    before_negative: u64,
    terms: T,
}

const ALL: usize = 0;
const NEGATIVE: usize = 1;
const POSITIVE: usize = 2;
const BEFORE_NEGATIVE: usize = 3;

/// Term counts a group keeps: dense for the whole source (every term is in it),
/// sparse for a segment.
trait Counter {
    fn add(&mut self, term: u32, kind: usize);
}

impl Counter for Vec<[u64; 4]> {
    fn add(&mut self, term: u32, kind: usize) {
        let term = term as usize;
        if term >= self.len() {
            self.resize(term + 1, [0; 4]);
        }
        self[term][kind] += 1;
    }
}

impl Counter for FxHashMap<u32, [u64; 4]> {
    fn add(&mut self, term: u32, kind: usize) {
        self.entry(term).or_default()[kind] += 1;
    }
}

impl<T: Counter> LocalGroup<T> {
    /// Counts a text of the period (`now`) or a negative one with terms of the
    /// period before.
    fn count(&mut self, now: bool, row: &Row, terms: Option<&[u32]>) {
        if !now {
            self.before_negative += 1;
            for &t in terms.unwrap_or_default() {
                self.terms.add(t, BEFORE_NEGATIVE);
            }
            return;
        }
        self.counts.reviews += 1;
        match terms {
            None => self.counts.without_text += 1,
            Some([]) => self.counts.without_terms += 1,
            Some(terms) => {
                let (neg, pos) = (negative(row.rating), positive(row.rating));
                self.counts.negative += u64::from(neg);
                self.counts.positive += u64::from(pos);
                for &t in terms {
                    self.terms.add(t, ALL);
                    if neg {
                        self.terms.add(t, NEGATIVE);
                    }
                    if pos {
                        self.terms.add(t, POSITIVE);
                    }
                }
            }
        }
    }
}

/// What one part counted, by its own term ids (`words`).
struct Part {
    words: Vec<String>,
    whole: LocalGroup<Vec<[u64; 4]>>,
    segments: FxHashMap<String, LocalGroup<FxHashMap<u32, [u64; 4]>>>,
}

/// Counts the texts of `texts.period` (and the negative ones of the period
/// before) on every core; each part interns into its own vocabulary, merged into
/// `vocab` after.
pub(super) fn tally(texts: &Texts, tokenizer: &Tokenizer, vocab: &mut Vocab) -> Result<Tally> {
    let parts = crate::parallel::map_parts(texts.frame.height(), |start, len| {
        let mut local = Vocab::default();
        let mut whole = LocalGroup::<Vec<[u64; 4]>>::default();
        let mut segments: FxHashMap<String, LocalGroup<FxHashMap<u32, [u64; 4]>>> =
            FxHashMap::default();
        let mut ids = Vec::new();
        each_row(texts, start, len, &mut |now, row| {
            // Of the period before, only the negative texts count.
            if !now && !negative(row.rating) {
                return;
            }
            let terms = match row.text {
                Some(t) => {
                    ids.clear();
                    tokenizer.each_term(t, &mut |term| ids.push(local.id_of(term)));
                    ids.sort_unstable();
                    ids.dedup();
                    Some(&ids[..])
                }
                None => None,
            };
            if !now && terms.is_none_or(<[u32]>::is_empty) {
                return;
            }
            whole.count(now, &row, terms);
            if let Some(s) = row.segment {
                if !segments.contains_key(s) {
                    segments.insert(s.to_string(), LocalGroup::default());
                }
                if let Some(group) = segments.get_mut(s) {
                    group.count(now, &row, terms);
                }
            }
        })?;
        anyhow::Ok(Part {
            words: local.words,
            whole,
            segments,
        })
    });
    let mut tally = Tally::default();
    for part in parts {
        let part = part?;
        let global: Vec<u32> = part.words.into_iter().map(|w| vocab.id(w)).collect();
        merge(
            &mut tally.whole,
            &part.whole,
            part.whole
                .terms
                .iter()
                .enumerate()
                .map(|(t, c)| (t as u32, c)),
            &global,
        );
        for (value, group) in &part.segments {
            merge(
                tally.segments.entry(value.clone()).or_default(),
                group,
                group.terms.iter().map(|(t, c)| (*t, c)),
                &global,
            );
        }
    }
    Ok(tally)
}

/// Adds a part's group into the source's, its term ids made global.
fn merge<'a, T>(
    into: &mut GroupTally,
    from: &LocalGroup<T>,
    terms: impl Iterator<Item = (u32, &'a [u64; 4])>,
    global: &[u32],
) {
    let c = &mut into.counts;
    c.reviews += from.counts.reviews;
    c.without_text += from.counts.without_text;
    c.without_terms += from.counts.without_terms;
    c.negative += from.counts.negative;
    c.positive += from.counts.positive;
    into.before_negative += from.before_negative;
    for (term, counts) in terms {
        let term = global[term as usize];
        for (kind, map) in [
            (ALL, &mut into.all),
            (NEGATIVE, &mut into.negative),
            (POSITIVE, &mut into.positive),
            (BEFORE_NEGATIVE, &mut into.before_negative_terms),
        ] {
            if counts[kind] > 0 {
                *map.entry(term).or_default() += counts[kind];
            }
        }
    }
}
