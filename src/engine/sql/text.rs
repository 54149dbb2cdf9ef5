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

/// The folded review text, as `normalise` then `collapse` make it, of the
/// negative reviews (`negative`) that have one; null for the others. Computed
/// once per row, as `svcq_text`, for every aspect's test.
pub fn folded_text(dialect: Dialect, negative: &str) -> String {
    let mut from = String::new();
    let mut to = String::new();
    for c in '\u{FF01}'..='\u{FF5E}' {
        from.push(c);
        to.push(char::from_u32(c as u32 - 0xFEE0).unwrap_or(c));
    }
    from.push_str("\u{3000}\u{2018}\u{2019}");
    to.push_str(" ''");
    let folded = dialect.collapse_spaces(&format!(
        "lower(translate(r.text, {}, {}))",
        dialect.text(&from),
        dialect.text(&to)
    ));
    format!("CASE WHEN COALESCE({negative}, FALSE) THEN {folded} END AS svcq_text")
}

/// One `mentions__<aspect>` column per aspect over `r.svcq_text`: one regular
/// expression for the aspect's Chinese terms (anywhere) and one for the others
/// (between word edges); null where the text is.
pub fn mention_columns(dialect: Dialect, lexicon: &Lexicon) -> String {
    let han = dialect.han_class();
    let word = r"\p{L}\p{N}";
    let before = format!("(^|[^{word}']|{han}|(^|[^{word}]|{han})')");
    let after = format!("($|[^{word}']|{han}|'($|[^{word}]|{han}))");
    let text = "r.svcq_text";
    ASPECTS
        .iter()
        .enumerate()
        .map(|(i, aspect)| {
            let (chinese, other): (Vec<&String>, Vec<&String>) =
                lexicon.terms(i).iter().partition(|t| t.chars().any(is_han));
            let alternatives = |terms: &[&String]| {
                terms
                    .iter()
                    .map(|t| escape(t))
                    .collect::<Vec<_>>()
                    .join("|")
            };
            let mut tests = Vec::new();
            if !chinese.is_empty() {
                tests.push(dialect.matches(text, &alternatives(&chinese)));
            }
            if !other.is_empty() {
                tests.push(
                    dialect.matches(text, &format!("{before}({}){after}", alternatives(&other))),
                );
            }
            let tests = if tests.is_empty() {
                "FALSE".to_string()
            } else {
                tests.join(" OR ")
            };
            format!(
                "CASE WHEN {text} IS NOT NULL THEN ({tests}) END AS {}",
                mentions::column(aspect.id)
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}
