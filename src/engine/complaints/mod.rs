//! What customers complain about (docs/complaints.md): the terms over-represented
//! in negative reviews against positive ones (weighted log-odds, `text::logodds`),
//! the rising ones against the previous period, the terms of ticket texts by
//! category, and the aspect metrics from the catalogue. Computed here, rendered by
//! `render::complaints`.

mod examples;
pub mod model;
pub mod settings;
mod tally;

use anyhow::{bail, Result};
use rustc_hash::FxHashMap;

use super::model::Group;
use super::period::PeriodSpec;
use super::query::{ReportOptions, Split};
use super::targets::Targets;
use super::Engine;
use crate::source::timestamp::format_utc;
use crate::source::Source;
use crate::text::{log_odds, Score};
use examples::Wanted;
use model::{CategoryTermRow, CategoryTerms, Complaints, RisingRow, TermGroup, TermRow};
use tally::{GroupTally, Tally, Texts, Vocab};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ComplaintOptions {
    pub period: PeriodSpec,
    /// A reviews dimension: one group of terms per value.
    pub by: Option<String>,
    pub top: Option<usize>,
    pub min_count: Option<u64>,
    /// Examples for each listed term (a second pass over the texts, which needs
    /// the ids as text); the chart shows none.
    pub examples: bool,
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
                let texts = Texts {
                    frame,
                    text: "text",
                    segment: by,
                    id: None,
                    period: &period,
                    previous: Some(&previous),
                };
                let reviews = tally::tally(&texts, &tokenizer, &mut vocab)?;
                if reviews.whole.before_negative == 0 {
                    notes.push(format!(
                        "{} has no negative review with terms: no rising complaints.",
                        previous.label
                    ));
                }
                groups = review_groups(&reviews, by, &vocab, limits);
                if options.examples {
                    let mut wanted = Vec::new();
                    for g in &groups {
                        let segment = g.group.as_ref().and_then(|g| g.values().next().cloned());
                        for (rows, side) in [
                            (&g.complaints, examples::Side::Negative),
                            (&g.praise, examples::Side::Positive),
                        ] {
                            wanted.extend(rows.iter().map(|r| Wanted {
                                term: r.term.clone(),
                                segment: segment.clone(),
                                side,
                            }));
                        }
                    }
                    let mut found =
                        examples::examples(&texts, "review_id", &tokenizer, &wanted)?.into_iter();
                    for g in &mut groups {
                        for r in g.complaints.iter_mut().chain(g.praise.iter_mut()) {
                            r.examples = found.next().unwrap_or_default();
                        }
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
                let texts = Texts {
                    frame,
                    text: "subject",
                    segment: Some("category"),
                    id: None,
                    period: &period,
                    previous: None,
                };
                let tickets = tally::tally(&texts, &tokenizer, &mut vocab)?;
                let mut categories = category_terms(&tickets, &vocab, limits, &mut notes);
                if options.examples {
                    let wanted: Vec<Wanted> = categories
                        .iter()
                        .flat_map(|c| {
                            c.terms.iter().map(|t| Wanted {
                                term: t.term.clone(),
                                segment: Some(c.category.clone()),
                                side: examples::Side::Any,
                            })
                        })
                        .collect();
                    let mut found =
                        examples::examples(&texts, "ticket_id", &tokenizer, &wanted)?.into_iter();
                    for t in categories.iter_mut().flat_map(|c| c.terms.iter_mut()) {
                        t.examples = found.next().unwrap_or_default();
                    }
                }
                categories
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

/// The whole period's lists, then each segment's (in the order of its value)
/// that has reviews in the period.
fn review_groups(
    reviews: &Tally,
    by: Option<&str>,
    vocab: &Vocab,
    limits: Limits,
) -> Vec<TermGroup> {
    let mut groups = vec![term_group(Group::new(), &reviews.whole, vocab, limits)];
    if let Some(by) = by {
        for (value, tally) in &reviews.segments {
            if tally.counts.reviews > 0 {
                let group = Group::from([(by.to_string(), value.clone())]);
                groups.push(term_group(group, tally, vocab, limits));
            }
        }
    }
    groups
}

/// The lists of one group of reviews (examples are added after).
fn term_group(group: Group, tally: &GroupTally, vocab: &Vocab, limits: Limits) -> TermGroup {
    let counts = tally.counts;
    let scores = log_odds(&tally.negative, &tally.positive, &tally.all);
    let rows = |side: Side| -> Vec<TermRow> {
        let total = match side {
            Side::A => counts.negative,
            Side::B => counts.positive,
        };
        top_terms(&scores, side, limits, vocab)
            .into_iter()
            .map(|s| {
                let used = if side == Side::A { s.a } else { s.b };
                TermRow {
                    term: vocab.words[s.term as usize].clone(),
                    log_odds: s.log_odds,
                    z: s.z,
                    negative: s.a,
                    positive: s.b,
                    share: used as f64 / total as f64,
                    examples: Vec::new(),
                }
            })
            .collect()
    };
    let complaints = rows(Side::A);
    let praise = rows(Side::B);
    let group = (!group.is_empty()).then_some(group);
    if tally.before_negative == 0 {
        // Every term would "rise" by its whole share: nothing to compare with.
        return TermGroup {
            group,
            counts,
            complaints,
            praise,
            rising: Vec::new(),
        };
    }
    let mut rising: Vec<RisingRow> = tally
        .negative
        .iter()
        .filter(|(_, &n)| n >= limits.min_count)
        .map(|(&term, &n)| {
            let previous_negative = tally.before_negative_terms.get(&term).copied().unwrap_or(0);
            let share = n as f64 / counts.negative as f64;
            let previous_share = previous_negative as f64 / tally.before_negative as f64;
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
    TermGroup {
        group,
        counts,
        complaints,
        praise,
        rising,
    }
}

/// For each ticket category, the terms its tickets use more than the others'
/// (examples are added after).
fn category_terms(
    tickets: &Tally,
    vocab: &Vocab,
    limits: Limits,
    notes: &mut Vec<String>,
) -> Vec<CategoryTerms> {
    let background = &tickets.whole.all;
    let categorised: u64 = tickets.segments.values().map(GroupTally::with_terms).sum();
    let uncategorised = tickets.whole.with_terms() - categorised;
    if uncategorised > 0 {
        notes.push(format!(
            "{uncategorised} ticket(s) with terms have no category: in the prior of every category, listed under none."
        ));
    }
    let mut out = Vec::new();
    for (category, tally) in &tickets.segments {
        let tickets = tally.with_terms();
        if tickets == 0 {
            continue;
        }
        let inside = &tally.all;
        // Every other ticket: all of them but this category's.
        let outside: FxHashMap<u32, u64> = background
            .iter()
            .map(|(t, n)| (*t, n - inside.get(t).copied().unwrap_or(0)))
            .filter(|(_, n)| *n > 0)
            .collect();
        let scores = log_odds(inside, &outside, background);
        let terms = top_terms(&scores, Side::A, limits, vocab)
            .into_iter()
            .map(|s| CategoryTermRow {
                term: vocab.words[s.term as usize].clone(),
                log_odds: s.log_odds,
                z: s.z,
                tickets: s.a,
                other_tickets: s.b,
                share: s.a as f64 / tickets as f64,
                examples: Vec::new(),
            })
            .collect();
        out.push(CategoryTerms {
            category: category.clone(),
            tickets,
            terms,
        });
    }
    out
}
