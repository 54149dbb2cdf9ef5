//! What `svcq complaints` returns: per group (the whole period, or each `--by`
//! value) the complaint and praise terms, the rising complaints and how many texts
//! there were; the aspect metrics as the report computes them.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::engine::model::{Group, MetricRow};
use crate::engine::period::PeriodInfo;
use crate::source::load::InputEntry;

#[derive(Debug, Clone, Serialize)]
pub struct Complaints {
    pub period: PeriodInfo,
    pub previous_period: PeriodInfo,
    pub as_of: String,
    pub inputs: BTreeMap<&'static str, InputEntry>,
    pub by: Option<String>,
    pub min_count: u64,
    pub top: usize,
    pub groups: Vec<TermGroup>,
    /// `negative_mentions_*_rate` rows, judged against their targets and compared
    /// with the previous period, exactly as `report` gives them.
    pub aspects: Vec<MetricRow>,
    /// Terms of ticket texts over-represented in each category.
    pub ticket_categories: Vec<CategoryTerms>,
    pub notes: Vec<String>,
}

/// How many reviews there were, and how many had something to read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct TextCounts {
    pub reviews: u64,
    /// No text, or only white space.
    pub without_text: u64,
    /// A text with no term (only stop words, numbers, emoji, links).
    pub without_terms: u64,
    /// Rated 1–2 with at least one term: the complaint side.
    pub negative: u64,
    /// Rated 4–5 with at least one term: the praise side.
    pub positive: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct TermGroup {
    /// `None` for the whole period; `{"channel": "app"}` for a `--by` value.
    pub group: Option<Group>,
    pub counts: TextCounts,
    /// Terms over-represented in negative reviews, highest z first.
    pub complaints: Vec<TermRow>,
    /// Terms over-represented in positive reviews, lowest z first.
    pub praise: Vec<TermRow>,
    /// Terms of negative reviews whose share of them rose most since the previous
    /// period (empty when that period has no negative reviews with terms).
    pub rising: Vec<RisingRow>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TermRow {
    pub term: String,
    /// The weighted log-odds ratio, negative against positive.
    pub log_odds: f64,
    pub z: f64,
    /// Negative reviews that use the term.
    pub negative: u64,
    /// Positive reviews that use the term.
    pub positive: u64,
    /// Reviews of the listed side that use it, over that side's reviews.
    pub share: f64,
    /// The latest two reviews of the listed side that use it.
    pub examples: Vec<Example>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Example {
    pub id: String,
    pub created_at: String,
    pub rating: Option<i64>,
    pub text: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct RisingRow {
    pub term: String,
    pub negative: u64,
    pub previous_negative: u64,
    /// Share of the period's negative reviews that use the term.
    pub share: f64,
    pub previous_share: f64,
    /// share − previous_share.
    pub rise: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct CategoryTerms {
    pub category: String,
    /// Tickets of the category with at least one term in their subject.
    pub tickets: u64,
    /// Terms over-represented in this category against all other tickets.
    pub terms: Vec<CategoryTermRow>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CategoryTermRow {
    pub term: String,
    /// The weighted log-odds ratio, this category against the others.
    pub log_odds: f64,
    pub z: f64,
    /// Tickets of the category that use the term.
    pub tickets: u64,
    /// Tickets of other categories that use it.
    pub other_tickets: u64,
    /// `tickets` over the category's tickets with a term.
    pub share: f64,
    /// The latest two tickets of the category that use it.
    pub examples: Vec<Example>,
}
