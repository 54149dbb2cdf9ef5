//! Terms of a text: lower-cased words of space-separated languages and their
//! bigrams ("late delivery"), Chinese words segmented by jieba with its bundled
//! dictionary (plus the user's words). Stop words, numbers, links, e-mail
//! addresses, @handles, punctuation and emoji are never terms.

use std::borrow::Cow;

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
    #[cfg(test)]
    pub fn terms(&self, text: &str) -> Vec<String> {
        let mut seen = std::collections::HashSet::new();
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
        // A Chinese character right after a number is its measure word (5星, 10天).
        let mut after_number = false;
        while let Some(c) = rest.chars().next() {
            let len = if is_han(c) {
                let end = rest.find(|c: char| !is_han(c)).unwrap_or(rest.len());
                out.clause_break();
                self.han_terms(&rest[..end], after_number, out);
                after_number = false;
                end
            } else if is_word_char(c) {
                let end = rest
                    .find(|c: char| !is_word_char(c) || is_han(c))
                    .unwrap_or(rest.len());
                let word = rest[..end].trim_matches('\'');
                after_number = word.chars().any(char::is_numeric);
                self.word(word, out);
                end
            } else {
                // Punctuation, symbols and emoji end a clause: no bigram across them.
                out.clause_break();
                after_number = false;
                c.len_utf8()
            };
            rest = &rest[len..];
        }
    }

    /// The words of a run of Chinese. A negation (不, 没有, …) is not a term but
    /// makes one with the word after it (不回复), which is a term too.
    fn han_terms(&self, run: &str, after_number: bool, out: &mut Clause) {
        let mut negation: Option<&str> = None;
        for (i, token) in self.jieba().cut(run, true).into_iter().enumerate() {
            if i == 0 && after_number && token.word.chars().count() == 1 {
                continue;
            }
            if HAN_NEGATIONS.contains(&token.word) {
                negation = Some(token.word);
                continue;
            }
            let w = self.strip_degree(token.word);
            if w.is_empty() || !w.chars().all(is_han) || self.is_stop(w) {
                negation = None;
                continue;
            }
            (out.emit)(w);
            if let Some(neg) = negation.take() {
                out.bigram.clear();
                out.bigram.push_str(neg);
                out.bigram.push_str(w);
                (out.emit)(&out.bigram);
            }
        }
    }

    /// 太慢 → 慢: an adverb of degree that jieba keeps on an adjective is dropped;
    /// 太阳 and 很多 stay (the rest is not an adjective).
    fn strip_degree<'w>(&self, word: &'w str) -> &'w str {
        for prefix in DEGREE {
            if let Some(rest) = word.strip_prefix(prefix) {
                if rest.is_empty() {
                    continue;
                }
                let tags = self.jieba().tag(rest, false);
                if tags.len() == 1 && tags[0].tag.starts_with('a') {
                    return rest;
                }
            }
        }
        word
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

/// Chinese negations: they join the word after them (不回复, 没有发货).
const HAN_NEGATIONS: &[&str] = &["不", "没", "没有", "未", "别", "无"];

/// Adverbs of degree that jieba keeps on the word they modify (太慢, 很差): the
/// word is the term, so 太慢 and 很慢 count as 慢.
const DEGREE: &[&str] = &[
    "非常", "特别", "十分", "相当", "有点", "比较", "太", "很", "挺",
];

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '\''
}

const LINK_MARKERS: [&str; 3] = ["http://", "https://", "www."];

/// The chunk without its links, e-mail addresses and @handles. A link runs from
/// its scheme or `www.` to the end of the chunk or the first Chinese character
/// (Chinese is written without spaces around a link); a space takes its place.
fn strip_links(chunk: &str) -> Cow<'_, str> {
    let has_link = LINK_MARKERS.iter().any(|m| chunk.contains(m));
    if !has_link && !chunk.contains('@') {
        return Cow::Borrowed(chunk);
    }
    let mut text = chunk.to_string();
    while let Some(i) = LINK_MARKERS.iter().filter_map(|m| text.find(m)).min() {
        let end = text[i..].find(is_han).map_or(text.len(), |j| i + j);
        text.replace_range(i..end, " ");
    }
    if !text.contains('@') {
        return Cow::Owned(text);
    }
    let handle_char = |c: char| (c.is_alphanumeric() && !is_han(c)) || matches!(c, '.' | '_' | '-');
    let mut out = String::with_capacity(text.len());
    let mut skipping = false;
    for c in text.chars() {
        if c == '@' {
            // The user part of an address before it goes too.
            let keep = out.trim_end_matches(handle_char);
            out.truncate(keep.len());
            out.push(' ');
            skipping = true;
        } else if !(skipping && handle_char(c)) {
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
        // 不 makes a term with the word after it; 非常 is a stop word.
        assert_eq!(
            terms("客服不回复，非常失望"),
            ["客服", "回复", "不回复", "失望"]
        );
    }

    #[test]
    fn degree_is_dropped_only_before_an_adjective() {
        assert_eq!(terms("太贵"), ["贵"]);
        assert_eq!(terms("很差"), ["差"]);
        assert_eq!(terms("太阳"), ["太阳"]);
        assert_eq!(terms("太太"), ["太太"]);
    }

    #[test]
    fn a_measure_word_after_a_number_is_not_a_term() {
        assert!(terms("5星").is_empty());
        assert!(!terms("等了10天才到货").contains(&"天".to_string()));
        assert!(terms("等了10天才到货").contains(&"到货".to_string()));
    }

    #[test]
    fn chinese_around_links_and_handles_is_kept() {
        assert_eq!(terms("见http://t.cn/x物流太慢"), ["见", "物流", "慢"]);
        assert_eq!(terms("客服太差@京东客服"), ["客服", "差", "京东"]);
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
