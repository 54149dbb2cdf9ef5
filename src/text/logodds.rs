//! The weighted log-odds ratio with an informative Dirichlet prior (Monroe,
//! Colaresi & Quinn 2008, "Fightin' Words", §3.5): which terms one group of texts
//! uses more than another, shrunk towards the background so rare terms do not top
//! the list by chance.
//!
//! For term w with counts y_a, y_b in groups a and b (totals n_a, n_b) and prior
//! α_w from the background (total α_0):
//!
//! δ_w = ln((y_a+α_w) / (n_a+α_0−y_a−α_w)) − ln((y_b+α_w) / (n_b+α_0−y_b−α_w))
//! σ²_w ≈ 1/(y_a+α_w) + 1/(y_b+α_w),  z_w = δ_w / σ_w

use std::collections::HashMap;
use std::hash::{BuildHasher, Hash};

/// One term's score: positive when group a uses it more.
#[derive(Debug, Clone, PartialEq)]
pub struct Score<T> {
    pub term: T,
    pub log_odds: f64,
    pub z: f64,
    pub a: u64,
    pub b: u64,
}

/// Scores every term of the background. Counts of a and b must be part of the
/// background's (so α_w > 0 wherever y_a or y_b is).
pub fn log_odds<T: Copy + Eq + Hash, S: BuildHasher>(
    a: &HashMap<T, u64, S>,
    b: &HashMap<T, u64, S>,
    prior: &HashMap<T, u64, S>,
) -> Vec<Score<T>> {
    let n_a: u64 = a.values().sum();
    let n_b: u64 = b.values().sum();
    let alpha_0: u64 = prior.values().sum();
    let mut out = Vec::with_capacity(prior.len());
    for (&term, &alpha) in prior {
        if alpha == 0 {
            continue;
        }
        let y_a = a.get(&term).copied().unwrap_or(0);
        let y_b = b.get(&term).copied().unwrap_or(0);
        let (ya, yb, al) = (y_a as f64, y_b as f64, alpha as f64);
        let (na, nb, a0) = (n_a as f64, n_b as f64, alpha_0 as f64);
        let log_odds =
            ((ya + al) / (na + a0 - ya - al)).ln() - ((yb + al) / (nb + a0 - yb - al)).ln();
        let variance = 1.0 / (ya + al) + 1.0 / (yb + al);
        out.push(Score {
            term,
            log_odds,
            z: log_odds / variance.sqrt(),
            a: y_a,
            b: y_b,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Worked by hand. Negative reviews: {slow, late}, {slow}; positive: {good},
    /// {good}, {good, slow}; the background is both groups: slow 3, late 1, good 3
    /// (α_0 = 7); n_a = 3, n_b = 4.
    ///   slow: ln(5/5) − ln(4/7) = ln(7/4),          σ² = 1/5 + 1/4 = 0.45
    ///   late: ln(2/8) − ln(1/10) = ln(2.5),          σ² = 1/2 + 1/1 = 1.5
    ///   good: ln(3/7) − ln(6/5) = ln(15/42),         σ² = 1/3 + 1/6 = 0.5
    #[test]
    fn hand_worked_scores() {
        let a = HashMap::from([("slow", 2), ("late", 1)]);
        let b = HashMap::from([("good", 3), ("slow", 1)]);
        let prior = HashMap::from([("slow", 3), ("late", 1), ("good", 3)]);
        let mut scores = log_odds(&a, &b, &prior);
        scores.sort_by(|x, y| y.z.total_cmp(&x.z));
        let got: Vec<(&str, f64, f64, u64, u64)> = scores
            .iter()
            .map(|s| (s.term, s.log_odds, s.z, s.a, s.b))
            .collect();
        let want = [
            ("slow", 0.5596157879354227, 0.8342259620704745, 2, 1),
            ("late", 0.9162907318741551, 0.7481482497110115, 1, 0),
            ("good", -1.0296194171811581, -1.4561017438602755, 0, 3),
        ];
        assert_eq!(got.len(), want.len());
        for (g, w) in got.iter().zip(want) {
            assert_eq!((g.0, g.3, g.4), (w.0, w.3, w.4));
            assert!(
                (g.1 - w.1).abs() < 1e-12 && (g.2 - w.2).abs() < 1e-12,
                "{g:?} vs {w:?}"
            );
        }
    }

    #[test]
    fn a_term_used_equally_scores_zero() {
        let a = HashMap::from([("ok", 1), ("x", 1)]);
        let b = HashMap::from([("ok", 1), ("y", 1)]);
        let prior = HashMap::from([("ok", 2), ("x", 1), ("y", 1)]);
        let ok = log_odds(&a, &b, &prior)
            .into_iter()
            .find(|s| s.term == "ok")
            .unwrap();
        assert_eq!(ok.log_odds, 0.0);
        assert_eq!(ok.z, 0.0);
    }

    #[test]
    fn empty_groups_score_nothing() {
        let none: HashMap<&str, u64> = HashMap::new();
        assert!(log_odds(&none, &none, &none).is_empty());
    }
}
