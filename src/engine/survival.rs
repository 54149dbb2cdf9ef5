//! Kaplan–Meier quantiles (docs/metrics.md, "Kaplan–Meier"): durations where
//! records whose outcome has not happened count as censored at their age at the
//! as-of time.

use polars::prelude::*;

use super::aggregate::{cond_expr, span_end, Context};
use super::catalogue::Span;
use crate::source::times::ms;

/// One integer per record behind a survival estimate: twice the span in
/// milliseconds when it ended, twice the age at the as-of time plus one when it has
/// not (censored). Sorted, these order by duration with outcomes before censorings
/// at equal durations, and polars sorts them on every core.
pub fn survival_key(span: &Span, ctx: &Context) -> Expr {
    let (start, end) = (ms(span.start), span_end(span, ctx));
    when(cond_expr(&span.ended()).fill_null(lit(false)))
        .then((end - start.clone()) * lit(2i64))
        .otherwise((lit(ctx.as_of) - start) * lit(2i64) + lit(1i64))
        .alias("key")
}

/// The `ps` quantiles, in milliseconds, of the Kaplan–Meier estimate over sorted
/// [`survival_key`]s: the smallest duration at which the estimated share still
/// waiting is ≤ 1 − p. A record censored at t was at risk at t. None where the
/// estimate never falls that far. The comparison allows 1e-12 for the rounding of
/// the running product.
pub fn survival_quantiles(sorted_keys: &[i64], ps: &[f64]) -> Vec<Option<f64>> {
    let mut out = vec![None; ps.len()];
    let mut at_risk = sorted_keys.len() as f64;
    let mut surviving = 1.0;
    let mut i = 0;
    while i < sorted_keys.len() && out.iter().any(Option::is_none) {
        let t = sorted_keys[i] >> 1;
        let same = sorted_keys[i..].iter().take_while(|k| *k >> 1 == t).count();
        let events = sorted_keys[i..i + same]
            .iter()
            .filter(|k| *k & 1 == 0)
            .count() as f64;
        if events > 0.0 {
            surviving *= (at_risk - events) / at_risk;
            for (q, p) in out.iter_mut().zip(ps) {
                if q.is_none() && surviving <= 1.0 - p + 1e-12 {
                    *q = Some(t as f64);
                }
            }
        }
        at_risk -= same as f64;
        i += same;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::survival_quantiles;

    /// `(duration, ended)` samples as sorted survival keys.
    fn keys(samples: &[(i64, bool)]) -> Vec<i64> {
        let mut k: Vec<i64> = samples
            .iter()
            .map(|&(d, ended)| d * 2 + i64::from(!ended))
            .collect();
        k.sort_unstable();
        k
    }

    /// Eight durations, three censored (+): 1, 2, 3+, 4, 5+, 6, 7+, 8. At risk and
    /// the estimate at each event: t=1 8 → 7/8; t=2 7 → 3/4; t=4 5 → 3/5; t=6 3 →
    /// 2/5 (≤ 1/2: the median is 6); t=8 1 → 0 (≤ 1/10: p90 is 8). The completed
    /// durations alone (1, 2, 4, 6, 8) would say a median of 4.
    #[test]
    fn kaplan_meier_by_hand() {
        let mut samples = vec![
            (8, true),
            (7, false),
            (6, true),
            (5, false),
            (4, true),
            (3, false),
            (2, true),
            (1, true),
        ];
        assert_eq!(
            survival_quantiles(&keys(&samples), &[0.5, 0.9, 0.25]),
            [Some(6.0), Some(8.0), Some(2.0)]
        );
        // When the longest is censored the estimate stays at 2/5: no p90.
        samples[0].1 = false;
        assert_eq!(
            survival_quantiles(&keys(&samples), &[0.5, 0.9]),
            [Some(6.0), None]
        );
        // Nothing censored: the smallest t with the share ≤ 1 − p.
        let done = keys(&[(1, true), (2, true), (3, true), (4, true)]);
        assert_eq!(survival_quantiles(&done, &[0.5]), [Some(2.0)]);
        // A censoring tied with an event is still at risk at that time: 2 at risk at
        // t=1 (one event, one censored) → 1/2.
        assert_eq!(
            survival_quantiles(&keys(&[(1, false), (1, true)]), &[0.5]),
            [Some(1.0)]
        );
        assert_eq!(survival_quantiles(&[], &[0.5]), [None]);
    }
}
