//! After-sales aspects (delivery, quality, service, price, packaging, returns) and
//! the lexicon that says which a text mentions. The aspects are fixed, because each
//! is a catalogue metric (`negative_mentions_<aspect>_rate`); their terms are the
//! built-in lexicon (`aspects.toml`) plus the user's.

use std::collections::BTreeMap;

use aho_corasick::AhoCorasick;
use anyhow::{bail, Context, Result};

use super::{is_han, normalise};

const BUILTIN: &str = include_str!("aspects.toml");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Aspect {
    pub id: &'static str,
    pub title: &'static str,
}

/// In the order reports list them; a mention mask has bit i for `ASPECTS[i]`.
pub const ASPECTS: [Aspect; 6] = [
    Aspect {
        id: "delivery",
        title: "Delivery / 物流",
    },
    Aspect {
        id: "quality",
        title: "Quality / 质量",
    },
    Aspect {
        id: "service",
        title: "Service / 服务态度",
    },
    Aspect {
        id: "price",
        title: "Price / 价格",
    },
    Aspect {
        id: "packaging",
        title: "Packaging / 包装",
    },
    Aspect {
        id: "returns",
        title: "Returns / 退货",
    },
];

pub fn aspect(id: &str) -> Option<usize> {
    ASPECTS.iter().position(|a| a.id == id)
}

#[derive(Debug, Clone)]
pub struct Lexicon {
    /// Each aspect's terms, normalised, in `ASPECTS` order.
    terms: Vec<Vec<String>>,
    matcher: AhoCorasick,
    /// For each pattern of the matcher: its aspect, and whether it must match whole
    /// words (a term of a space-separated language).
    patterns: Vec<(usize, bool)>,
}

impl Lexicon {
    pub fn builtin() -> Lexicon {
        Lexicon::with(&BTreeMap::new()).expect("the built-in lexicon is valid")
    }

    /// The built-in terms plus `extra` (aspect id → terms), from svcq.toml.
    pub fn with(extra: &BTreeMap<String, Vec<String>>) -> Result<Lexicon> {
        let builtin: BTreeMap<String, Vec<String>> =
            toml::from_str(BUILTIN).context("internal: the built-in aspect lexicon")?;
        let mut terms: Vec<Vec<String>> = vec![Vec::new(); ASPECTS.len()];
        for (source, lists) in [("built-in", &builtin), ("config", extra)] {
            for (id, list) in lists {
                let Some(i) = aspect(id) else {
                    let ids = ASPECTS.iter().map(|a| a.id);
                    bail!(
                        "[complaints.aspects]: unknown aspect {id:?} ({source}); {}the aspects are: {}",
                        crate::suggest::did_you_mean(id, ids.clone()),
                        ids.collect::<Vec<_>>().join(", ")
                    );
                };
                for term in list {
                    let term = collapse(&normalise(term));
                    if term.is_empty() {
                        bail!("[complaints.aspects] {id}: an empty term");
                    }
                    if !terms[i].contains(&term) {
                        terms[i].push(term);
                    }
                }
            }
        }
        let mut patterns = Vec::new();
        let mut strings = Vec::new();
        for (i, list) in terms.iter().enumerate() {
            for term in list {
                patterns.push((i, !term.chars().any(is_han)));
                strings.push(term.clone());
            }
        }
        let matcher = AhoCorasick::new(&strings).context("building the aspect matcher")?;
        Ok(Lexicon {
            terms,
            matcher,
            patterns,
        })
    }

    /// Terms over every aspect.
    /// The terms of the aspect at `index` of [`ASPECTS`], normalised.
    pub fn terms(&self, index: usize) -> &[String] {
        &self.terms[index]
    }

    pub fn term_count(&self) -> usize {
        self.terms.iter().map(Vec::len).sum()
    }

    /// The Chinese terms, for the segmenter's dictionary.
    pub fn han_terms(&self) -> Vec<String> {
        self.terms
            .iter()
            .flatten()
            .filter(|t| t.chars().any(is_han))
            .cloned()
            .collect()
    }

    /// The aspects `text` mentions, as a mask (bit i: `ASPECTS[i]`).
    pub fn mentions(&self, text: &str) -> u8 {
        let text = collapse(&normalise(text));
        let mut mask = 0u8;
        for m in self.matcher.find_overlapping_iter(&text) {
            let (aspect, whole_words) = self.patterns[m.pattern().as_usize()];
            if mask & (1 << aspect) != 0 {
                continue;
            }
            if whole_words && (joins_before(&text[..m.start()]) || joins_after(&text[m.end()..])) {
                continue;
            }
            mask |= 1 << aspect;
        }
        mask
    }
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() && !is_han(c)
}

/// Whether the text before a match continues its word: a letter or digit, or an
/// apostrophe after one ("don't"); a quote mark after a space does not.
fn joins_before(before: &str) -> bool {
    let mut chars = before.chars().rev();
    match chars.next() {
        Some('\'') => chars.next().is_some_and(is_word_char),
        Some(c) => is_word_char(c),
        None => false,
    }
}

fn joins_after(after: &str) -> bool {
    let mut chars = after.chars();
    match chars.next() {
        Some('\'') => chars.next().is_some_and(is_word_char),
        Some(c) => is_word_char(c),
        None => false,
    }
}

/// Runs of white space as one space, so "customer  service" matches.
fn collapse(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mentioned(text: &str) -> Vec<&'static str> {
        let mask = Lexicon::builtin().mentions(text);
        ASPECTS
            .iter()
            .enumerate()
            .filter(|(i, _)| mask & (1 << i) != 0)
            .map(|(_, a)| a.id)
            .collect()
    }

    #[test]
    fn chinese_terms_match_anywhere() {
        assert_eq!(mentioned("物流太慢了"), ["delivery"]);
        assert_eq!(mentioned("非常失望，客服不回复"), ["service"]);
        assert_eq!(
            mentioned("包装破损，申请退款"),
            ["quality", "packaging", "returns"]
        );
    }

    #[test]
    fn english_terms_match_whole_words_only() {
        assert_eq!(mentioned("Slow DELIVERY!"), ["delivery"]);
        // "boxing" is not "box", "priceless" not "price", "returned" is listed.
        assert!(mentioned("boxing day priceless").is_empty());
        assert_eq!(mentioned("I returned it"), ["returns"]);
        // A quoted word is a whole word; an apostrophe inside a word is not an edge.
        assert_eq!(mentioned("the 'refund' never came"), ["returns"]);
        assert!(mentioned("o'box").is_empty());
        assert_eq!(mentioned("customer   service was rude"), ["service"]);
        assert_eq!(mentioned("ＤＨＬ courier没来"), ["delivery"]);
    }

    #[test]
    fn empty_text_mentions_nothing() {
        assert_eq!(Lexicon::builtin().mentions(""), 0);
        assert_eq!(Lexicon::builtin().mentions("👍"), 0);
    }

    #[test]
    fn the_users_terms_are_added_and_unknown_aspects_refused() {
        let extra = BTreeMap::from([("delivery".to_string(), vec!["顺丰".to_string()])]);
        let lexicon = Lexicon::with(&extra).unwrap();
        assert_eq!(lexicon.mentions("顺丰也不行"), 1);
        let bad = BTreeMap::from([("deliver".to_string(), vec!["x".to_string()])]);
        let err = Lexicon::with(&bad).err().unwrap().to_string();
        assert!(
            err.contains("unknown aspect \"deliver\"") && err.contains("delivery"),
            "{err}"
        );
    }
}
