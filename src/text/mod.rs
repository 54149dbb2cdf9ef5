//! Reading what customers write: terms (words and English bigrams, Chinese segmented
//! with jieba), the after-sales aspects a text mentions, and the weighted log-odds
//! that rank complaint terms (docs/complaints.md). Pure functions over strings; the
//! engine applies them to the review and ticket frames.

pub mod aspects;
pub mod logodds;
pub mod tokenize;

pub use aspects::{Aspect, Lexicon, ASPECTS};
pub use logodds::{log_odds, Score};
pub use tokenize::{Term, Tokenizer};

/// Full-width ASCII (ＡＢＣ，１２３) to ASCII, curly apostrophes to straight,
/// lower case: Chinese keyboards type full-width Latin and digits.
pub fn normalise(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        let c = match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '\u{3000}' => ' ',
            '\u{2018}' | '\u{2019}' => '\'',
            c => c,
        };
        out.extend(c.to_lowercase());
    }
    out
}

/// A CJK ideograph (the unified blocks and compatibility ideographs).
pub fn is_han(c: char) -> bool {
    matches!(c as u32,
        0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2EBEF | 0x30000..=0x3134F)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_width_and_case_are_folded() {
        assert_eq!(normalise("ＤＨＬ　太慢！Don’t"), "dhl 太慢!don't");
    }

    #[test]
    fn han_is_told_from_kana_and_punctuation() {
        assert!(is_han('物') && is_han('流'));
        assert!(!is_han('の') && !is_han('，') && !is_han('a'));
    }
}
