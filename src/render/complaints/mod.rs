//! Writers of `svcq complaints` (the engine's [`Complaints`]): a terminal table,
//! JSON, CSV and Markdown, one file each. They compute nothing.

pub mod csv;
pub mod markdown;
pub mod table;

use anyhow::Result;

use crate::engine::complaints::model::{Complaints, Example, TermGroup, TextCounts};
use crate::render::thousands;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Table,
    Json,
    Csv,
    Markdown,
}

pub fn render(c: &Complaints, format: Format, color: bool) -> Result<String> {
    match format {
        Format::Table => Ok(table::render(c, color)),
        Format::Json => Ok(serde_json::to_string_pretty(c)? + "\n"),
        Format::Csv => csv::render(c),
        Format::Markdown => Ok(markdown::render(c)),
    }
}

/// "512 reviews: 40 without text, 3 with no term; 70 negative and 380 positive
/// with terms".
pub fn counts_line(c: &TextCounts) -> String {
    format!(
        "{} reviews: {} without text, {} with no term; {} negative (1–2) and {} positive (4–5) with terms",
        thousands(c.reviews),
        thousands(c.without_text),
        thousands(c.without_terms),
        thousands(c.negative),
        thousands(c.positive)
    )
}

/// "channel = app", or "all reviews".
pub fn group_label(g: &TermGroup) -> String {
    match &g.group {
        Some(group) => crate::engine::targets::segment_label(group).replace('=', " = "),
        None => "all reviews".to_string(),
    }
}

pub fn percent(share: f64) -> String {
    format!("{:.1}%", share * 100.0)
}

/// A signed change in percentage points.
pub fn points(rise: f64) -> String {
    format!("{:+.1} pp", rise * 100.0)
}

/// The latest example's text, cut to `max` characters ("" without one).
pub fn latest_example(examples: &[Example], max: usize) -> String {
    examples
        .first()
        .map(|e| excerpt(&e.text, max))
        .unwrap_or_default()
}

/// The first `max` characters of a text on one line, with … when cut.
pub fn excerpt(text: &str, max: usize) -> String {
    let one_line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() <= max {
        return one_line;
    }
    let cut: String = one_line.chars().take(max.saturating_sub(1)).collect();
    format!("{cut}…")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpts_cut_on_characters() {
        assert_eq!(excerpt("物流太慢了，等了十天", 5), "物流太慢…");
        assert_eq!(excerpt("a\n b", 10), "a b");
    }

    #[test]
    fn shares_and_points() {
        assert_eq!(percent(0.1234), "12.3%");
        assert_eq!(points(0.05), "+5.0 pp");
        assert_eq!(points(-0.125), "-12.5 pp");
    }
}
