//! Terms of a text: lower-cased words of space-separated languages and their
//! bigrams ("late delivery"), Chinese words segmented by jieba with its bundled
//! dictionary (plus the user's words). Stop words, numbers, links, e-mail
//! addresses, @handles, punctuation and emoji are never terms.

use std::borrow::Cow;
use std::collections::HashSet;

use rustc_hash::FxHashSet;
use std::sync::OnceLock;

use anyhow::{bail, Result};
use jieba_rs::Jieba;

use super::{is_han, normalise};

const STOP_EN: &str = include_str!("stopwords/en.txt");
const STOP_ZH: &str = include_str!("stopwords/zh.txt");

/// Words that may start a bigram although they are stop words: "not working" and
/// "never arrived" say what "working" and "arrived" alone do not.
const NEGATIONS: &[&str] = &[
    "not", "no", "never", "don't", "didn't", "doesn't", "isn't", "wasn't", "won't", "can't",
    "cannot", "couldn't", "wouldn't", "haven't", "hasn't",
];

/// A term and the language family it came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Term {
    /// A word or bigram of a space-separated language.
    Word,
    /// A Chinese word.
    Han,
}

impl Term {
    pub fn of(term: &str) -> Term {
        if term.chars().any(is_han) {
            Term::Han
        } else {
            Term::Word
        }
    }
}

/// One word of the user's dictionary (jieba's format: `word [freq] [tag]`).
#[derive(Debug, Clone)]
struct UserWord {
    word: String,
    freq: Option<usize>,
    tag: Option<String>,
}

pub struct Tokenizer {
    /// Loaded on the first Chinese text: English-only data never pays for it.
    jieba: OnceLock<Jieba>,
    user_words: Vec<UserWord>,
    stop: FxHashSet<String>,
}

impl Default for Tokenizer {
    fn default() -> Self {
        Tokenizer::new(&[], &[], None).expect("the built-in lists parse")
    }
}

impl Tokenizer {
    /// `words`: extra words for the segmenter (aspect terms, brands); `stop`:
    /// extra stop words; `user_dict`: the text of a jieba user dictionary and the
    /// name to cite in its errors.
    pub fn new(words: &[String], stop: &[String], user_dict: Option<(&str, &str)>) -> Result<Self> {
        let mut user_words: Vec<UserWord> = words
            .iter()
            .filter(|w| w.chars().any(is_han))
            .map(|w| UserWord {
                word: normalise(w),
                freq: None,
                tag: None,
            })
            .collect();
        if let Some((name, text)) = user_dict {
            user_words.extend(parse_user_dict(name, text)?);
        }
        let stop = STOP_EN
            .lines()
            .chain(STOP_ZH.lines())
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(str::to_string)
            .chain(stop.iter().map(|s| normalise(s.trim())))
            .collect();
        Ok(Tokenizer {
            jieba: OnceLock::new(),
            user_words,
            stop,
        })
    }

    fn jieba(&self) -> &Jieba {
        self.jieba.get_or_init(|| {
            let mut jieba = Jieba::new();
            for w in &self.user_words {
                jieba.add_word(&w.word, w.freq, w.tag.as_deref());
            }
            jieba
        })
    }

    pub fn is_stop(&self, word: &str) -> bool {
        self.stop.contains(word)
    }

    /// The distinct terms of `text`, in the order they first appear.
    pub fn terms(&self, text: &str) -> Vec<String> {
        let mut seen = HashSet::new();
        let mut list = Vec::new();
        self.each_term(text, &mut |t| {
            if seen.insert(t.to_string()) {
                list.push(t.to_string());
            }
        });
        list
    }

    /// Calls `emit` with every term of `text`, in order, repeats included; no
    /// allocation per term (the engine interns them as they come).
    pub fn each_term(&self, text: &str, emit: &mut dyn FnMut(&str)) {
        let text = normalise(text);
        let mut out = Clause {
            emit,
            previous: String::new(),
            has_previous: false,
            bigram: String::new(),
        };
        for chunk in text.split_whitespace() {
            let stripped = strip_links(chunk);
            self.chunk_terms(&stripped, &mut out);
            if stripped.len() != chunk.len() {
                // No bigram across a link or a handle.
                out.clause_break();
            }
        }
    }

    fn chunk_terms(&self, chunk: &str, out: &mut Clause) {
        let mut rest = chunk;
        while let Some(c) = rest.chars().next() {
            let len = if is_han(c) {
                let end = rest.find(|c: char| !is_han(c)).unwrap_or(rest.len());
                out.clause_break();
                for token in self.jieba().cut(&rest[..end], true) {
                    let w = strip_degree(token.word);
                    if !w.is_empty() && w.chars().all(is_han) && !self.is_stop(w) {
                        (out.emit)(w);
                    }
                }
                end
            } else if is_word_char(c) {
                let end = rest
                    .find(|c: char| !is_word_char(c) || is_han(c))
                    .unwrap_or(rest.len());
                self.word(rest[..end].trim_matches('\''), out);
                end
            } else {
                // Punctuation, symbols and emoji end a clause: no bigram across them.
                out.clause_break();
                c.len_utf8()
            };
            rest = &rest[len..];
        }
    }

    fn word(&self, word: &str, out: &mut Clause) {
        let has_digit = word.chars().any(|c| c.is_numeric());
        if has_digit || word.chars().count() < 2 {
            // Order numbers, sizes, times, stray letters.
            out.clause_break();
            return;
        }
        let negation = NEGATIONS.contains(&word);
        if self.is_stop(word) && !negation {
            out.clause_break();
            return;
        }
        if !negation {
            (out.emit)(word);
            if out.has_previous {
                out.bigram.clear();
                out.bigram.push_str(&out.previous);
                out.bigram.push(' ');
                out.bigram.push_str(word);
                (out.emit)(&out.bigram);
            }
        }
        out.previous.clear();
        out.previous.push_str(word);
        out.has_previous = true;
    }
}

/// Adverbs of degree that jieba keeps on the word they modify (太慢, 很差): the
/// word is the term, so 太慢 and 很慢 count as 慢.
const DEGREE: &[&str] = &[
    "非常", "特别", "十分", "相当", "有点", "比较", "太", "很", "挺",
];

fn strip_degree(word: &str) -> &str {
    for prefix in DEGREE {
        if let Some(rest) = word.strip_prefix(prefix) {
            if !rest.is_empty() {
                return rest;
            }
        }
    }
    word
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '\''
}

/// The chunk without a link (from its scheme or `www.` on), an e-mail address or
/// an @handle.
fn strip_links(chunk: &str) -> Cow<'_, str> {
    let mut chunk = chunk;
    for marker in ["http://", "https://", "www."] {
        if let Some(i) = chunk.find(marker) {
            chunk = &chunk[..i];
        }
    }
    if !chunk.contains('@') {
        return Cow::Borrowed(chunk);
    }
    let mut out = String::new();
    let mut skipping = false;
    for c in chunk.chars() {
        if c == '@' {
            // The user part of an address before it goes too.
            let keep = out.trim_end_matches(|c: char| c.is_alphanumeric() || c == '.' || c == '_');
            out.truncate(keep.len());
            skipping = true;
        } else if skipping && (c.is_alphanumeric() && !is_han(c) || matches!(c, '.' | '_' | '-')) {
        } else {
            skipping = false;
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Where terms go, and the word a bigram may start with (buffers reused across
/// words).
struct Clause<'e> {
    emit: &'e mut dyn FnMut(&str),
    previous: String,
    has_previous: bool,
    bigram: String,
}

impl Clause<'_> {
    fn clause_break(&mut self) {
        self.has_previous = false;
    }
}

fn parse_user_dict(name: &str, text: &str) -> Result<Vec<UserWord>> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim_start_matches('\u{feff}').trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut parts = line.split_whitespace();
        let word = parts.next().unwrap_or_default();
        let freq = match parts.next() {
            Some(f) => match f.parse::<usize>() {
                Ok(f) => Some(f),
                Err(_) => bail!(
                    "{name}:{}: the frequency {f:?} of {word:?} is not a whole number \
                     (a line is `word [frequency] [tag]`)",
                    i + 1
                ),
            },
            None => None,
        };
        let tag = parts.next().map(str::to_string);
        if parts.next().is_some() {
            bail!(
                "{name}:{}: more than `word [frequency] [tag]` on the line",
                i + 1
            );
        }
        out.push(UserWord {
            word: normalise(word),
            freq,
            tag,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(text: &str) -> Vec<String> {
        Tokenizer::default().terms(text)
    }

    #[test]
    fn chinese_is_segmented_and_stop_words_dropped() {
        assert_eq!(terms("物流太慢了"), ["物流", "慢"]);
        assert_eq!(terms("客服不回复，非常失望"), ["客服", "回复", "失望"]);
    }

    #[test]
    fn english_has_words_and_bigrams_within_a_clause() {
        assert_eq!(
            terms("Slow delivery, support was unhelpful."),
            ["slow", "delivery", "slow delivery", "support", "unhelpful"]
        );
        // A negation starts a bigram but is not a term alone.
        assert_eq!(terms("It never arrived"), ["arrived", "never arrived"]);
    }

    #[test]
    fn numbers_links_handles_and_emoji_are_not_terms() {
        assert_eq!(
            terms("Order 12345 late 😡 see https://x.example/a @shopbot mail me@x.com 3rd"),
            ["order", "late", "see", "mail"]
        );
        assert_eq!(terms("看这里http://t.cn/abc 差评"), ["看", "差评"]);
    }

    #[test]
    fn mixed_text_and_full_width() {
        assert_eq!(
            terms("ＤＨＬ太慢, refund slow"),
            ["dhl", "慢", "refund", "slow", "refund slow"]
        );
    }

    #[test]
    fn empty_and_punctuation_only_texts_have_no_terms() {
        assert!(terms("").is_empty());
        assert!(terms("  !!! 。。。 👍👍").is_empty());
        assert!(terms("the and of 的 了").is_empty());
    }

    #[test]
    fn user_words_and_dictionary_are_used() {
        let plain = Tokenizer::default();
        let t = Tokenizer::new(&["喵喵熊".into()], &[], None).unwrap();
        assert!(plain.terms("喵喵熊很好").iter().all(|w| w != "喵喵熊"));
        assert_eq!(t.terms("喵喵熊很好")[0], "喵喵熊");
        let err = Tokenizer::new(&[], &[], Some(("words.txt", "好物\n小米 many\n")))
            .err()
            .unwrap();
        assert!(err.to_string().starts_with("words.txt:2:"), "{err}");
    }
}
