//! The aspect mentions of `mentions.rs` in SQL: the text folded as `normalise`
//! folds it (full-width ASCII to ASCII, curly apostrophes straight, lower case,
//! runs of spaces as one), then each term of the lexicon — a Chinese term
//! anywhere, any other between non-word characters, where an apostrophe joins a
//! word only with a letter or digit on its far side.

use super::dialect::Dialect;
use crate::engine::mentions;
use crate::text::{is_han, Lexicon, ASPECTS};

const REGEX_META: &str = "\\.^$|?*+()[]{}";

fn escape(term: &str) -> String {
    let mut out = String::new();
    for c in term.chars() {
        if REGEX_META.contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The folded review text, as `normalise` then `collapse` make it.
fn folded(dialect: Dialect) -> String {
    let mut from = String::new();
    let mut to = String::new();
    for c in '\u{FF01}'..='\u{FF5E}' {
        from.push(c);
        to.push(char::from_u32(c as u32 - 0xFEE0).unwrap_or(c));
    }
    from.push_str("\u{3000}\u{2018}\u{2019}");
    to.push_str(" ''");
    dialect.collapse_spaces(&format!(
        "lower(translate(r.text, {}, {}))",
        dialect.text(&from),
        dialect.text(&to)
    ))
}

/// One `mentions__<aspect>` column per aspect: null unless the review is
/// negative (`negative`) and has a text.
pub fn mention_columns(dialect: Dialect, lexicon: &Lexicon, negative: &str) -> String {
    let han = dialect.han_class();
    let word = r"\p{L}\p{N}";
    let before = format!("(^|[^{word}']|{han}|(^|[^{word}]|{han})')");
    let after = format!("($|[^{word}']|{han}|'($|[^{word}]|{han}))");
    let text = folded(dialect);
    ASPECTS
        .iter()
        .enumerate()
        .map(|(i, aspect)| {
            let tests: Vec<String> = lexicon
                .terms(i)
                .iter()
                .map(|term| {
                    if term.chars().any(is_han) {
                        format!("instr({text}, {}) > 0", dialect.text(term))
                    } else {
                        dialect.matches(&text, &format!("{before}{}{after}", escape(term)))
                    }
                })
                .collect();
            let tests = if tests.is_empty() {
                "FALSE".to_string()
            } else {
                tests.join(" OR ")
            };
            format!(
                "CASE WHEN COALESCE({negative}, FALSE) AND r.text IS NOT NULL THEN ({tests}) END AS {}",
                mentions::column(aspect.id)
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}
