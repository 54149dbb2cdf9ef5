//! The definitions tables of docs/metrics.md, generated from the declarations.

use std::fmt::Write as _;

use super::{Cohort, Cond, Measure, MetricDef, Origin, Settled, Stat, METRICS, ORIGINS};
use crate::source::Source;

/// What the metric's value is, in words, generated from its declaration.
pub fn formula(m: &MetricDef) -> String {
    let base = match m.measure {
        Measure::Count => m.filter.records(),
        Measure::Rate { of } => {
            let num = match m.filter {
                Cond::All => of.records(),
                f => format!("{} and {}", f.records(), of.describe()),
            };
            format!("{num} / {}", m.filter.records())
        }
        Measure::Duration { span, stat } => {
            let stat = match stat {
                Stat::Mean => "mean".to_string(),
                Stat::Quantile(p) => format!("p{}", (p * 100.0).round()),
            };
            format!("{stat} of {} in hours", span.describe())
        }
        Measure::Mean { column } => format!("mean {column}"),
        Measure::WithinWindow {
            span,
            window,
            settled,
        } => format!(
            "{} judged whose {} ≤ the window / those judged. Judged: {}; the others are pending. Window: {}",
            m.filter.records(),
            span.describe(),
            match settled {
                Settled::EndedOrPassed => "ended, or older than the window at the as-of time",
                Settled::Passed => "older than the window at the as-of time",
            },
            window.describe()
        ),
        Measure::Survival { span, p } => format!(
            "p{} of the Kaplan–Meier estimate of {} in hours over {}, unfinished ones censored at their age at the as-of time; null when the estimate does not fall that far",
            (p * 100.0).round(),
            span.describe(),
            m.filter.records()
        ),
        Measure::NetScore {
            column,
            promoter,
            detractor,
        } => format!(
            "100 × (records where {column} ≥ {promoter} − records where {column} ≤ {detractor}) / records where {column} is set"
        ),
        Measure::ServiceIndex => "weighted mean attainment of the targeted metrics × 100".into(),
    };
    if m.note.is_empty() {
        base
    } else {
        format!("{base}. {}", m.note)
    }
}

/// What `n` counts, generated from the declaration.
pub fn denominator(m: &MetricDef) -> String {
    match m.measure {
        Measure::Count => "records of the cohort".into(),
        Measure::Rate { .. } => m.filter.records(),
        Measure::Duration { span, .. } => match span.ended() {
            Cond::All => "records of the cohort".into(),
            ended => ended.records(),
        },
        Measure::Mean { column } | Measure::NetScore { column, .. } => {
            Cond::Present(column).records()
        }
        Measure::WithinWindow { .. } => "records judged".into(),
        Measure::Survival { .. } => m.filter.records(),
        Measure::ServiceIndex => "targets with data".into(),
    }
}

/// The pending rule in words: which records are counted as `pending`.
fn pending_words(m: &MetricDef) -> String {
    match m.pending_rule() {
        Some(p) if p.settled == Settled::Passed => format!(
            "{} younger than {}",
            m.filter.records(),
            p.window.describe()
        ),
        Some(p) => format!(
            "{} where {} is empty and younger than {}",
            m.filter.records(),
            p.span.describe().split(" − ").next().unwrap_or_default(),
            p.window.describe()
        ),
        None => "—".into(),
    }
}

fn cohort_words(source: Source, cohort: Cohort) -> String {
    match cohort {
        Cohort::Anchored => format!("{source} whose {} is in the period", source.anchor_column()),
        Cohort::AnchoredOn(anchor) => format!("{source} whose {anchor} is in the period"),
        Cohort::OpenAtEnd { start, end } => format!(
            "{source} open at the snapshot time: {start} before it, {end} empty or after it"
        ),
    }
}

/// The generated tables of docs/metrics.md, one per source and the composite.
pub fn markdown_tables() -> String {
    let mut out = String::new();
    for origin in ORIGINS {
        let _ = writeln!(out, "### {}\n", origin.name());
        out.push_str(
            "| id | label | unit | cohort | value | n | pending |\n|---|---|---|---|---|---|---|\n",
        );
        for m in METRICS.iter().filter(|m| m.origin == origin) {
            let cohort = match origin {
                Origin::Source(s) => cohort_words(s, m.cohort),
                Origin::Composite => "the report's rows".into(),
            };
            let _ = writeln!(
                out,
                "| `{}` | {} | {} | {} | {} | {} | {} |",
                m.id,
                m.title,
                serde_json::to_value(m.unit)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default(),
                cohort,
                formula(m).replace('|', "\\|"),
                denominator(m),
                pending_words(m)
            );
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docs_match_the_code() {
        crate::docs_check::check_section("docs/metrics.md", "catalogue", &markdown_tables());
    }
}
