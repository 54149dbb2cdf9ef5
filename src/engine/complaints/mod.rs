//! What customers complain about (docs/complaints.md): the terms over-represented
//! in negative reviews against positive ones (weighted log-odds, `text::logodds`),
//! the rising ones against the previous period, the terms of ticket texts by
//! category, and the aspect metrics from the catalogue. Computed here, rendered by
//! `render::complaints`.

pub mod model;
pub mod settings;

use std::collections::BTreeMap;

use anyhow::{bail, Result};
use polars::prelude::*;
use rustc_hash::FxHashMap;

use super::model::Group;
use super::period::{Period, PeriodSpec};
use super::query::{ReportOptions, Split};
use super::targets::Targets;
use super::Engine;
use crate::source::times::{compared, millis, Order};
use crate::source::timestamp::format_utc;
use crate::source::{codes, Source};
use crate::text::{log_odds, Score, Tokenizer};
use model::{
    CategoryTermRow, CategoryTerms, Complaints, Example, RisingRow, TermGroup, TermRow, TextCounts,
};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ComplaintOptions {
    pub period: PeriodSpec,
    /// A reviews dimension: one group of terms per value.
    pub by: Option<String>,
    pub top: Option<usize>,
    pub min_count: Option<u64>,
}

/// Examples shown per term.
const EXAMPLES: usize = 2;

/// One text of the period: its row in the period's frame and its terms.
struct Doc {
    row: usize,
    created: i64,
    rating: Option<i64>,
    /// `None`: no text (or only white space).
    terms: Option<Vec<u32>>,
    segment: Option<String>,
}

impl Doc {
    fn negative(&self) -> bool {
        self.rating.is_some_and(|r| r <= 2) && self.has_terms()
    }

    fn positive(&self) -> bool {
        self.rating.is_some_and(|r| r >= 4) && self.has_terms()
    }

    fn has_terms(&self) -> bool {
        self.terms.as_ref().is_some_and(|t| !t.is_empty())
    }

    fn terms(&self) -> &[u32] {
        self.terms.as_deref().unwrap_or(&[])
    }
}

/// Every term seen, interned.
#[derive(Default)]
struct Vocab {
    ids: FxHashMap<String, u32>,
    words: Vec<String>,
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

/// The texts of one period: the frame's rows and their terms.
struct Corpus {
    frame: DataFrame,
    docs: Vec<Doc>,
}

/// Term ids of every text of a string column, on every core: each worker interns
/// into its own vocabulary, merged into `vocab` after. `None` for an empty or
/// blank text; ids sorted, each once.
fn tokenize(
    tokenizer: &Tokenizer,
    texts: &StringChunked,
    vocab: &mut Vocab,
) -> Vec<Option<Vec<u32>>> {
    let height = texts.len();
    let parts = crate::parallel::map_parts(height, |start, len| {
        let mut local = Vocab::default();
        let docs = texts
            .slice(start as i64, len)
            .iter()
            .map(|t| {
                let t = t.filter(|t| !t.trim().is_empty())?;
                let mut ids = Vec::new();
                tokenizer.each_term(t, &mut |term| ids.push(local.id_of(term)));
                ids.sort_unstable();
                ids.dedup();
                Some(ids)
            })
            .collect::<Vec<_>>();
        (docs, local.words)
    });
    let mut out = Vec::with_capacity(height);
    for (docs, words) in parts {
        let global: Vec<u32> = words.into_iter().map(|w| vocab.id(w)).collect();
        out.extend(docs.into_iter().map(|d| {
            d.map(|mut ids| {
                for id in &mut ids {
                    *id = global[*id as usize];
                }
                ids
            })
        }));
    }
    out
}

/// The rows of `frame` whose `created_at` is in `period`, with their terms.
fn corpus(
    frame: &DataFrame,
    period: &Period,
    text: &str,
    segment: Option<&str>,
    tokenizer: &Tokenizer,
    vocab: &mut Vocab,
) -> Result<Corpus> {
    let frame = frame
        .clone()
        .lazy()
        .filter(
            compared("created_at", Order::AtOrAfter, period.from).and(compared(
                "created_at",
                Order::Before,
                period.to,
            )),
        )
        .collect()?;
    let texts = frame.column(text)?.str()?;
    let terms = tokenize(tokenizer, texts, vocab);
    let created = millis(frame.column("created_at")?)?;
    let rating = match frame.column("rating") {
        Ok(r) => Some(r.cast(&DataType::Int64)?),
        Err(_) => None,
    };
    let rating = rating.as_ref().map(|r| r.i64()).transpose()?;
    let segment = match segment {
        // As its labels: an open label is held as a code.
        Some(s) => Some(codes::decode(frame.select([s])?)?.column(s)?.str()?.clone()),
        None => None,
    };
    let docs = terms
        .into_iter()
        .enumerate()
        .map(|(row, terms)| Doc {
            row,
            created: created.get(row).unwrap_or_default(),
            rating: rating.and_then(|r| r.get(row)),
            terms,
            segment: segment
                .as_ref()
                .and_then(|s| s.get(row))
                .map(str::to_string),
        })
        .collect();
    Ok(Corpus { frame, docs })
}

/// Per term, the number of `docs` that use it (counted densely by term id).
fn doc_counts<'a>(docs: impl Iterator<Item = &'a Doc>, vocab: &Vocab) -> FxHashMap<u32, u64> {
    let mut dense = vec![0u64; vocab.words.len()];
    for d in docs {
        for &t in d.terms() {
            dense[t as usize] += 1;
        }
    }
    dense
        .into_iter()
        .enumerate()
        .filter(|(_, n)| *n > 0)
        .map(|(t, n)| (t as u32, n))
        .collect()
}

/// What the lists keep and how long they are.
#[derive(Clone, Copy)]
struct Limits {
    top: usize,
    min_count: u64,
}

/// The listed side of a score: complaints (a) or praise (b).
#[derive(Clone, Copy, PartialEq)]
enum Side {
    A,
    B,
}

/// The top terms of one side, strongest first, ties by term. A word is left out
/// when a two-word phrase with the same counts contains it: the phrase says more.
fn top_terms<'s>(
    scores: &'s [Score<u32>],
    side: Side,
    limits: Limits,
    vocab: &Vocab,
) -> Vec<&'s Score<u32>> {
    let mut kept: Vec<&Score<u32>> = scores
        .iter()
        // A term every text of both sides uses has no odds (z is not a number).
        .filter(|s| s.z.is_finite())
        .filter(|s| match side {
            Side::A => s.z > 0.0 && s.a >= limits.min_count,
            Side::B => s.z < 0.0 && s.b >= limits.min_count,
        })
        .collect();
    let word = |s: &Score<u32>| vocab.words[s.term as usize].as_str();
    let phrases: std::collections::HashSet<(&str, u64, u64)> = kept
        .iter()
        .filter(|s| word(s).contains(' '))
        .flat_map(|s| word(s).split(' ').map(move |w| (w, s.a, s.b)))
        .collect();
    kept.retain(|s| word(s).contains(' ') || !phrases.contains(&(word(s), s.a, s.b)));
    kept.sort_by(|x, y| {
        let strength = match side {
            Side::A => y.z.total_cmp(&x.z),
            Side::B => x.z.total_cmp(&y.z),
        };
        strength.then_with(|| word(x).cmp(word(y)))
    });
    kept.truncate(limits.top);
    kept
}

impl Engine<'_> {
    /// Complaint terms, rising complaints, ticket terms by category and the aspect
    /// metrics for a period.
    pub fn complaints(&self, targets: &Targets, options: &ComplaintOptions) -> Result<Complaints> {
        let period = self.period(&options.period)?;
        let previous = period.previous(self.tz);
        let limits = Limits {
            top: options.top.unwrap_or(targets.text.top),
            min_count: options.min_count.unwrap_or(targets.text.min_count),
        };
        if let Some(by) = &options.by {
            if !Source::Reviews.dimensions().contains(&by.as_str()) {
                bail!(
                    "complaints cannot be split by {by:?}; reviews can be split by: {}",
                    Source::Reviews.dimensions().join(", ")
                );
            }
        }
        let tokenizer = targets.text.tokenizer()?;
        let mut notes = Vec::new();
        let mut groups = Vec::new();
        let mut vocab = Vocab::default();
        match self.frame(Source::Reviews) {
            None => notes.push("No reviews source: no complaint terms.".to_string()),
            Some(_) if self.lacks(Source::Reviews, "text") => notes.push(
                "The reviews export has no text: no complaint terms, and the aspect rates have no data."
                    .to_string(),
            ),
            Some(frame) => {
                let by = options.by.as_deref();
                let now = corpus(frame, &period, "text", by, &tokenizer, &mut vocab)?;
                let before = corpus(frame, &previous, "text", by, &tokenizer, &mut vocab)?;
                let all: Vec<&Doc> = now.docs.iter().collect();
                let all_before: Vec<&Doc> = before.docs.iter().collect();
                if counts_of(&all_before).negative == 0 {
                    notes.push(format!(
                        "{} has no negative review with terms: no rising complaints.",
                        previous.label
                    ));
                }
                groups.push(segment_group(
                    Group::new(),
                    &now,
                    &all,
                    &all_before,
                    &vocab,
                    limits,
                )?);
                if let Some(by) = by {
                    let mut values: Vec<&str> =
                        now.docs.iter().filter_map(|d| d.segment.as_deref()).collect();
                    values.sort_unstable();
                    values.dedup();
                    for value in values {
                        let docs: Vec<&Doc> = now
                            .docs
                            .iter()
                            .filter(|d| d.segment.as_deref() == Some(value))
                            .collect();
                        let before_docs: Vec<&Doc> = before
                            .docs
                            .iter()
                            .filter(|d| d.segment.as_deref() == Some(value))
                            .collect();
                        let group = Group::from([(by.to_string(), value.to_string())]);
                        groups.push(segment_group(
                            group,
                            &now,
                            &docs,
                            &before_docs,
                            &vocab,
                            limits,
                        )?);
                    }
                }
            }
        }
        let ticket_categories = match self.frame(Source::Tickets) {
            Some(frame)
                if !self.lacks(Source::Tickets, "subject")
                    && frame.column("subject").is_ok()
                    && frame.column("category").is_ok() =>
            {
                let tickets = corpus(
                    frame,
                    &period,
                    "subject",
                    Some("category"),
                    &tokenizer,
                    &mut vocab,
                )?;
                category_terms(&tickets, &vocab, limits, &mut notes)?
            }
            Some(_) => {
                notes.push(
                    "The tickets export has no subject (or no category): no ticket terms."
                        .to_string(),
                );
                Vec::new()
            }
            None => Vec::new(),
        };
        let report = self.report(
            targets,
            &ReportOptions {
                period: options.period.clone(),
                split: options.by.clone().map(Split::Dimension),
                compare: true,
                min_n: 0,
            },
        )?;
        let aspects = report
            .metrics
            .into_iter()
            .filter(|r| r.id.starts_with("negative_mentions_"))
            .collect();
        // What the report says about the aspect rows (a missing text column, a
        // split its reviews lack) is said here too.
        notes.extend(
            report
                .notes
                .into_iter()
                .filter(|n| n.contains("negative_mentions_")),
        );
        Ok(Complaints {
            period: period.info(self.tz),
            previous_period: previous.info(self.tz),
            as_of: format_utc(self.as_of),
            inputs: self.dataset.entries(),
            by: options.by.clone(),
            min_count: limits.min_count,
            top: limits.top,
            groups,
            aspects,
            ticket_categories,
            notes,
        })
    }
}

fn counts_of(docs: &[&Doc]) -> TextCounts {
    let mut c = TextCounts {
        reviews: docs.len() as u64,
        ..Default::default()
    };
    for d in docs {
        match &d.terms {
            None => c.without_text += 1,
            Some(t) if t.is_empty() => c.without_terms += 1,
            Some(_) => {
                c.negative += u64::from(d.negative());
                c.positive += u64::from(d.positive());
            }
        }
    }
    c
}

/// The lists of one group of reviews: `docs` of the period, `before` of the
/// previous one.
fn segment_group(
    group: Group,
    now: &Corpus,
    docs: &[&Doc],
    before: &[&Doc],
    vocab: &Vocab,
    limits: Limits,
) -> Result<TermGroup> {
    let counts = counts_of(docs);
    let negative = doc_counts(docs.iter().copied().filter(|d| d.negative()), vocab);
    let positive = doc_counts(docs.iter().copied().filter(|d| d.positive()), vocab);
    let background = doc_counts(docs.iter().copied(), vocab);
    let scores = log_odds(&negative, &positive, &background);
    let rows = |side: Side| -> Result<Vec<TermRow>> {
        let total = match side {
            Side::A => counts.negative,
            Side::B => counts.positive,
        };
        top_terms(&scores, side, limits, vocab)
            .into_iter()
            .map(|s| {
                let used = if side == Side::A { s.a } else { s.b };
                let of_side = |d: &Doc| match side {
                    Side::A => d.negative(),
                    Side::B => d.positive(),
                };
                Ok(TermRow {
                    term: vocab.words[s.term as usize].clone(),
                    log_odds: s.log_odds,
                    z: s.z,
                    negative: s.a,
                    positive: s.b,
                    share: used as f64 / total as f64,
                    examples: examples(
                        now,
                        docs.iter().copied().filter(|d| of_side(d)),
                        s.term,
                        "review_id",
                    )?,
                })
            })
            .collect()
    };
    let complaints = rows(Side::A)?;
    let praise = rows(Side::B)?;
    let before_counts = counts_of(before);
    if before_counts.negative == 0 {
        // Every term would "rise" by its whole share: nothing to compare with.
        return Ok(TermGroup {
            group: (!group.is_empty()).then_some(group),
            counts,
            complaints,
            praise,
            rising: Vec::new(),
        });
    }
    let before_negative = doc_counts(before.iter().copied().filter(|d| d.negative()), vocab);
    let mut rising: Vec<RisingRow> = negative
        .iter()
        .filter(|(_, &n)| n >= limits.min_count)
        .map(|(&term, &n)| {
            let previous_negative = before_negative.get(&term).copied().unwrap_or(0);
            let share = n as f64 / counts.negative as f64;
            let previous_share = previous_negative as f64 / before_counts.negative as f64;
            RisingRow {
                term: vocab.words[term as usize].clone(),
                negative: n,
                previous_negative,
                share,
                previous_share,
                rise: share - previous_share,
            }
        })
        .filter(|r| r.rise > 0.0)
        .collect();
    // As in the lists: a word goes when a phrase with its counts contains it.
    let phrases: std::collections::HashSet<(String, u64, u64)> = rising
        .iter()
        .filter(|r| r.term.contains(' '))
        .flat_map(|r| {
            r.term
                .split(' ')
                .map(|w| (w.to_string(), r.negative, r.previous_negative))
                .collect::<Vec<_>>()
        })
        .collect();
    rising.retain(|r| {
        r.term.contains(' ')
            || !phrases.contains(&(r.term.clone(), r.negative, r.previous_negative))
    });
    rising.sort_by(|x, y| y.rise.total_cmp(&x.rise).then_with(|| x.term.cmp(&y.term)));
    rising.truncate(limits.top);
    Ok(TermGroup {
        group: (!group.is_empty()).then_some(group),
        counts,
        complaints,
        praise,
        rising,
    })
}

/// The latest reviews (or tickets) among `docs` that use `term`; ties by id.
fn examples<'a>(
    corpus: &Corpus,
    docs: impl Iterator<Item = &'a Doc>,
    term: u32,
    id_column: &str,
) -> Result<Vec<Example>> {
    let ids = corpus.frame.column(id_column)?.str()?;
    let texts = match id_column {
        "review_id" => corpus.frame.column("text")?.str()?,
        _ => corpus.frame.column("subject")?.str()?,
    };
    let latest_first = |x: &&Doc, y: &&Doc| {
        y.created
            .cmp(&x.created)
            .then_with(|| ids.get(x.row).cmp(&ids.get(y.row)))
    };
    // One pass keeping the latest few: a common term is used by many reviews.
    let mut using: Vec<&Doc> = Vec::with_capacity(EXAMPLES + 1);
    for d in docs.filter(|d| d.terms().binary_search(&term).is_ok()) {
        using.push(d);
        using.sort_by(latest_first);
        using.truncate(EXAMPLES);
    }
    Ok(using
        .into_iter()
        .take(EXAMPLES)
        .map(|d| Example {
            id: ids.get(d.row).unwrap_or_default().to_string(),
            created_at: format_utc(d.created),
            rating: d.rating,
            text: texts.get(d.row).unwrap_or_default().to_string(),
        })
        .collect())
}

/// For each ticket category, the terms its tickets use more than the others'.
fn category_terms(
    tickets: &Corpus,
    vocab: &Vocab,
    limits: Limits,
    notes: &mut Vec<String>,
) -> Result<Vec<CategoryTerms>> {
    let with_terms: Vec<&Doc> = tickets.docs.iter().filter(|d| d.has_terms()).collect();
    let background = doc_counts(with_terms.iter().copied(), vocab);
    let mut by_category: BTreeMap<&str, Vec<&Doc>> = BTreeMap::new();
    let mut uncategorised = 0u64;
    for d in &with_terms {
        match d.segment.as_deref() {
            Some(c) => by_category.entry(c).or_default().push(d),
            None => uncategorised += 1,
        }
    }
    if uncategorised > 0 {
        notes.push(format!(
            "{uncategorised} ticket(s) with terms have no category: in the prior of every category, listed under none."
        ));
    }
    let mut out = Vec::new();
    for (category, docs) in by_category {
        let inside = doc_counts(docs.iter().copied(), vocab);
        // Every other ticket: all of them but this category's.
        let outside: FxHashMap<u32, u64> = background
            .iter()
            .map(|(t, n)| (*t, n - inside.get(t).copied().unwrap_or(0)))
            .filter(|(_, n)| *n > 0)
            .collect();
        let scores = log_odds(&inside, &outside, &background);
        let terms = top_terms(&scores, Side::A, limits, vocab)
            .into_iter()
            .map(|s| {
                Ok(CategoryTermRow {
                    term: vocab.words[s.term as usize].clone(),
                    log_odds: s.log_odds,
                    z: s.z,
                    tickets: s.a,
                    other_tickets: s.b,
                    share: s.a as f64 / docs.len() as f64,
                    examples: examples(tickets, docs.iter().copied(), s.term, "ticket_id")?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        out.push(CategoryTerms {
            category: category.to_string(),
            tickets: docs.len() as u64,
            terms,
        });
    }
    Ok(out)
}
