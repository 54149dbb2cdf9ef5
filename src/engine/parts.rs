//! A cohort's aggregates over parts of its rows, so that what an aggregate holds
//! while it is evaluated (a span's column, a window's, a filtered copy) is a
//! part's rows, not the cohort's: at 4 M tickets those columns were the
//! engine's peak. Counts and a mean's sums add up over the parts; a quantile's
//! values are gathered part by part into one vector and selected in place.

use std::collections::BTreeMap;

use anyhow::Result;
use polars::prelude::*;

use super::aggregate::{Agg, Context, Partial, Plan};
use super::catalogue::Stat;
use crate::source::codes;

/// A cohort's rows per part: 256 Ki, 2 MiB for a column of 8 bytes a row. At
/// 4 M tickets, parts of 512 Ki left the engine's peak 16 MiB higher; 128 Ki
/// no lower than the reading's.
const PART_ROWS: usize = 1 << 18;

/// The frame's rows whose matches are counted at once when a cohort is cut
/// into parts: a part ends where the next block would take it over [`PART_ROWS`].
const BLOCK_ROWS: usize = 1 << 16;

/// A cohort: the rows of a source's frame its predicate matches.
pub(super) struct Records {
    frame: DataFrame,
    /// None when every row matches: the cohort is the frame itself, no copy.
    predicate: Option<Expr>,
    /// How many rows match.
    rows: usize,
    /// Where the frame is cut into parts: the first row of each, then the
    /// frame's height.
    bounds: Vec<usize>,
}

impl Records {
    pub(super) fn new(frame: &DataFrame, predicate: Expr) -> Result<Records> {
        let height = frame.height();
        let mask = frame
            .clone()
            .lazy()
            .select([predicate.clone().alias("matches")])
            .collect()?;
        let mask = mask.column("matches")?.bool()?;
        // A predicate that names no column is one value, not one a row.
        let mask = match mask.len() == height {
            true => mask.clone(),
            false => mask.new_from_index(0, height),
        };
        let rows = mask.sum().unwrap_or(0) as usize;
        // Cut by the rows that match, not by the frame's: a week's cohort of a
        // year's frame is then a part or two, not a filter of every part.
        let mut bounds = vec![0];
        if rows > PART_ROWS {
            let mut in_part = 0;
            for start in (0..height).step_by(BLOCK_ROWS) {
                let matches = mask.slice(start as i64, BLOCK_ROWS).sum().unwrap_or(0) as usize;
                if in_part + matches > PART_ROWS {
                    bounds.push(start);
                    in_part = 0;
                }
                in_part += matches;
            }
        }
        bounds.push(height);
        Ok(Records {
            frame: frame.clone(),
            predicate: (rows != height).then_some(predicate),
            rows,
            bounds,
        })
    }

    /// The cohort in one piece.
    pub(super) fn lazy(&self) -> LazyFrame {
        self.filtered(self.frame.clone())
    }

    fn filtered(&self, frame: DataFrame) -> LazyFrame {
        match &self.predicate {
            Some(predicate) => frame.lazy().filter(predicate.clone()),
            None => frame.lazy(),
        }
    }

    /// The cohort in parts of at most [`PART_ROWS`] matching rows, each a slice
    /// of the frame's rows, filtered; in one piece when it has no more rows
    /// than a part.
    pub(super) fn parts(&self) -> Vec<LazyFrame> {
        self.bounds
            .windows(2)
            .map(|part| match (part[0], part[1]) {
                (0, end) if end == self.frame.height() => self.lazy(),
                (start, end) => self.filtered(self.frame.slice(start as i64, end - start)),
            })
            .collect()
    }

    /// How many rows match: room for every value a cohort's column can give.
    pub(super) fn rows(&self) -> usize {
        self.rows
    }
}

/// A part's rows aggregated by `exprs`: one row when not split, else one a
/// value of `dimension`, named by its label under the dimension's name.
pub(super) fn per_group(
    part: LazyFrame,
    dimension: Option<&str>,
    exprs: Vec<Expr>,
) -> Result<DataFrame> {
    Ok(match dimension {
        // One at a time under a tight memory budget: side by side, each holds
        // its temporaries at once.
        None if crate::memory::frugal() => part.select_seq(exprs).collect()?,
        None => part.select(exprs).collect()?,
        Some(d) => codes::decode(part.group_by([col(d)]).agg(exprs).collect()?)?,
    })
}

/// The group a row of a [`per_group`] frame belongs to (`None`: not split).
pub(super) fn group_key(
    frame: &DataFrame,
    dimension: Option<&str>,
    row: usize,
) -> Result<Option<String>> {
    Ok(match dimension {
        Some(d) => Some(
            frame
                .column(d)?
                .str()?
                .get(row)
                .unwrap_or("(none)")
                .to_string(),
        ),
        None => None,
    })
}

/// What the parts of one group have added up so far.
struct Tally {
    /// The group's records.
    rows: usize,
    counts: Vec<f64>,
    sums: Vec<i64>,
}

/// The plan's aggregates over the cohort, one row per group (`None` alone when
/// not split), `None` in a row for the survival quantiles, which come from
/// samples. A split cohort is taken in parts as a whole one is: each part is
/// grouped, and a group's counts and sums add up over the parts.
pub(super) fn aggregate_in_parts(
    plan: &Plan,
    records: &Records,
    ctx: &Context,
    dimension: Option<&str>,
) -> Result<BTreeMap<Option<String>, Vec<Option<f64>>>> {
    let partials: Vec<Partial> = plan.aggs().iter().map(|a| Partial::of(a, ctx)).collect();
    let mut exprs = vec![len().cast(DataType::Float64).alias("rows")];
    for (i, partial) in partials.iter().enumerate() {
        match partial {
            Partial::Count(e) => exprs.push(e.clone().alias(format!("a{i}"))),
            Partial::Mean { sum, n } => {
                exprs.push(sum.clone().alias(format!("a{i}")));
                exprs.push(n.clone().alias(format!("n{i}")));
            }
            Partial::Quantile { .. } | Partial::Samples => {}
        }
    }
    let blank = || Tally {
        rows: 0,
        counts: vec![0.0; partials.len()],
        sums: vec![0; partials.len()],
    };
    let mut tallies: BTreeMap<Option<String>, Tally> = BTreeMap::new();
    if dimension.is_none() {
        tallies.insert(None, blank());
    }
    for part in records.parts() {
        let part = per_group(part, dimension, exprs.clone())?;
        for row in 0..part.height() {
            let number = |name: &str| -> Result<f64> {
                Ok(part.column(name)?.f64()?.get(row).unwrap_or(0.0))
            };
            let key = group_key(&part, dimension, row)?;
            let tally = tallies.entry(key).or_insert_with(blank);
            tally.rows += number("rows")? as usize;
            for (i, partial) in partials.iter().enumerate() {
                match partial {
                    Partial::Count(_) => tally.counts[i] += number(&format!("a{i}"))?,
                    Partial::Mean { .. } => {
                        let sum = part.column(&format!("a{i}"))?.i64()?.get(row);
                        tally.sums[i] += sum.unwrap_or(0);
                        tally.counts[i] += number(&format!("n{i}"))?;
                    }
                    Partial::Quantile { .. } | Partial::Samples => {}
                }
            }
        }
    }
    let mut rows: BTreeMap<Option<String>, Vec<Option<f64>>> = tallies
        .iter()
        .map(|(key, tally)| {
            let row = partials
                .iter()
                .enumerate()
                .map(|(i, partial)| match partial {
                    Partial::Count(_) => Some(tally.counts[i]),
                    Partial::Mean { .. } => {
                        (tally.counts[i] > 0.0).then(|| tally.sums[i] as f64 / tally.counts[i])
                    }
                    Partial::Quantile { .. } | Partial::Samples => None,
                })
                .collect();
            (key.clone(), row)
        })
        .collect();
    // One vector of values per group, span and filter, every quantile asked of
    // it at once; one span and filter at a time.
    let mut done = vec![false; partials.len()];
    for (i, partial) in partials.iter().enumerate() {
        let (Partial::Quantile { values: expr, .. }, false) = (partial, done[i]) else {
            continue;
        };
        let Agg::Span(span, filter, _) = plan.aggs()[i] else {
            unreachable!("a quantile is a span's")
        };
        let mut values: BTreeMap<Option<String>, Vec<f64>> = BTreeMap::new();
        if dimension.is_none() {
            values.insert(None, Vec::with_capacity(records.rows()));
        }
        for part in records.parts() {
            let Some(_) = dimension else {
                let part = part.select([expr.clone().alias("v")]).collect()?;
                let whole = values.get_mut(&None).expect("not split: one group");
                whole.extend(part.column("v")?.f64()?.into_no_null_iter());
                continue;
            };
            let part = per_group(part, dimension, vec![expr.clone().alias("v")])?;
            let lists = part.column("v")?.list()?;
            for row in 0..part.height() {
                let group = values.entry(group_key(&part, dimension, row)?).or_default();
                if let Some(list) = lists.get_as_series(row) {
                    group.extend(list.f64()?.into_no_null_iter());
                }
            }
        }
        for (key, mut group) in values {
            // The group's records without a value: polars' column held them as nulls.
            let nulls = tallies.get(&key).map_or(0, |t| t.rows) - group.len();
            let row = rows.get_mut(&key).expect("every group is tallied");
            for (j, agg) in plan.aggs().iter().enumerate() {
                if let (Agg::Span(s, f, Stat::Quantile(p)), Partial::Quantile { .. }) =
                    (*agg, &partials[j])
                {
                    if std::ptr::eq(s, span) && f == filter {
                        row[j] = quantile_linear(&mut group, p, nulls);
                        done[j] = true;
                    }
                }
            }
        }
    }
    Ok(rows)
}

/// The `p` quantile of `values`, interpolated linearly, as polars 0.55 computes
/// it over a column of these values and `nulls` nulls (`quantile_idx`): the
/// nulls sort first and shift the position, which rounds the weight as polars
/// does. Selected in place.
pub(super) fn quantile_linear(values: &mut [f64], p: f64, nulls: usize) -> Option<f64> {
    let n = values.len();
    match n {
        0 => return None,
        1 => return Some(values[0]),
        _ => {}
    }
    let float_idx = (n as f64 - 1.0) * p + nulls as f64;
    let idx = (float_idx as usize).clamp(0, n + nulls - 1);
    let top_idx = float_idx.ceil() as usize;
    let (_, lower, above) =
        values.select_nth_unstable_by(idx.saturating_sub(nulls), f64::total_cmp);
    let lower = *lower;
    if idx == top_idx {
        return Some(lower);
    }
    let upper = above.iter().copied().min_by(f64::total_cmp)?;
    Some(if lower == upper {
        lower
    } else {
        (float_idx - idx as f64) * (upper - lower) + lower
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn quantiles_worked_by_hand() {
        // Sorted: 1 2 3 4 10. p50 at index 2 → 3; p90 at 3.6 → 4 + 0.6 × 6 = 7.6.
        let mut v = vec![10.0, 2.0, 4.0, 1.0, 3.0];
        assert_eq!(quantile_linear(&mut v, 0.5, 0), Some(3.0));
        let p90 = quantile_linear(&mut v, 0.9, 0).unwrap();
        assert!((p90 - 7.6).abs() < 1e-12, "{p90}");
        assert_eq!(quantile_linear(&mut v, 0.0, 0), Some(1.0));
        assert_eq!(quantile_linear(&mut v, 1.0, 0), Some(10.0));
        assert_eq!(quantile_linear(&mut [], 0.5, 3), None);
        assert_eq!(quantile_linear(&mut [7.0], 0.9, 2), Some(7.0));
        // 0 1000 2000 3000 3600000 ms: the p90 at 3.6, 3000 + 0.6 × 3597000 =
        // 2161200. With a null beside them polars places it at 4.6 among the
        // nulls first, and 4.6 − 4 rounds the weight differently from 3.6 − 3.
        let mut v = vec![3_600_000.0, 0.0, 2000.0, 1000.0, 3000.0];
        assert_eq!(quantile_linear(&mut v, 0.9, 0), Some(2161200.0000000005));
        assert_eq!(quantile_linear(&mut v, 0.9, 1), Some(2161199.9999999986));
    }

    /// The rows of each part that match, counted on the part itself.
    fn matches_per_part(records: &Records) -> Vec<usize> {
        records
            .parts()
            .into_iter()
            .map(|part| part.collect().unwrap().height())
            .collect()
    }

    #[test]
    fn a_cohort_is_cut_by_the_rows_it_matches() {
        let x: Vec<i64> = (0..1_000_000).map(|r| r % 10).collect();
        let frame = df!("x" => x).unwrap();
        // Rows ending in 0-2: 255,591 before row 851,968 (13 blocks: 85,196
        // decades and 0-7 of the next), where the 14th block would take the
        // part over 262,144; 44,409 after.
        let some = Records::new(&frame, col("x").lt(lit(3))).unwrap();
        assert_eq!(some.rows(), 300_000);
        assert_eq!(some.bounds, [0, 851_968, 1_000_000]);
        assert_eq!(matches_per_part(&some), [255_591, 44_409]);
        // Every row: parts of 262,144 rows, no filter.
        let every = Records::new(&frame, col("x").gt_eq(lit(0))).unwrap();
        assert!(every.predicate.is_none());
        assert_eq!(every.bounds, [0, 262_144, 524_288, 786_432, 1_000_000]);
        // No more rows than a part: one piece.
        let few = Records::new(&frame, col("x").eq(lit(0))).unwrap();
        assert_eq!(few.rows(), 100_000);
        assert_eq!(matches_per_part(&few), [100_000]);
        // A predicate of no column holds for every row or none.
        let none = Records::new(&frame, lit(false)).unwrap();
        assert_eq!((none.rows(), matches_per_part(&none)), (0, vec![0]));
    }

    proptest! {
        /// Per group as well: polars' quantile over a group's rows is this over
        /// the group's values and its nulls, as the split aggregates take it.
        #[test]
        fn grouped_quantiles_equal_polars(
            rows in proptest::collection::vec(
                (0usize..3, proptest::option::weighted(0.8, 0i64..1_000_000_000)),
                0..300,
            ),
            p in prop_oneof![Just(0.5), Just(0.9), 0.0f64..=1.0],
        ) {
            let groups: Vec<&str> = rows.iter().map(|r| ["a", "b", "c"][r.0]).collect();
            let values: Vec<Option<f64>> = rows.iter().map(|r| r.1.map(|v| v as f64)).collect();
            let polars = df!("g" => &groups, "v" => &values)
                .unwrap()
                .lazy()
                .group_by([col("g")])
                .agg([col("v").quantile(lit(p), QuantileMethod::Linear)])
                .collect()
                .unwrap();
            let keys = polars.column("g").unwrap().str().unwrap();
            let quantiles = polars.column("v").unwrap().f64().unwrap();
            for (key, quantile) in keys.iter().flatten().zip(quantiles.iter()) {
                let group: Vec<Option<f64>> = groups
                    .iter()
                    .zip(&values)
                    .filter(|(g, _)| **g == key)
                    .map(|(_, v)| *v)
                    .collect();
                let mut present: Vec<f64> = group.iter().flatten().copied().collect();
                let nulls = group.len() - present.len();
                let ours = quantile_linear(&mut present, p, nulls);
                prop_assert_eq!(ours.map(f64::to_bits), quantile.map(f64::to_bits), "group {}", key);
            }
        }

        /// Bit for bit what polars gives over the column, nulls and all,
        /// whatever the order of the values.
        #[test]
        fn quantiles_equal_polars(
            column in proptest::collection::vec(
                proptest::option::weighted(0.8, 0i64..1_000_000_000),
                0..300,
            ),
            p in prop_oneof![Just(0.5), Just(0.9), Just(0.95), 0.0f64..=1.0],
        ) {
            let column: Vec<Option<f64>> = column.into_iter().map(|v| v.map(|v| v as f64)).collect();
            let polars = Float64Chunked::from_slice_options("v".into(), &column)
                .quantile(p, QuantileMethod::Linear)
                .unwrap();
            let mut values: Vec<f64> = column.iter().flatten().copied().collect();
            let nulls = column.len() - values.len();
            let ours = quantile_linear(&mut values, p, nulls);
            prop_assert_eq!(ours.map(f64::to_bits), polars.map(f64::to_bits));
        }
    }
}
