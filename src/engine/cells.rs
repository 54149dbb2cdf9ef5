//! Cohorts and cells: the records a metric counts in a period, aggregated per
//! group; also the raw samples and counts behind charts.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{bail, Context as _, Result};
use polars::prelude::*;

use super::aggregate::{cond_expr, span_ms, Context, Plan};
use super::catalogue::{self, Cohort, Cond, MetricDef, Origin, Span, METRICS};
use super::model::Group;
use super::parts::{aggregate_in_parts, group_key, per_group, Records};
use super::period::Period;
use super::query::{FieldCounts, Split};
use super::sql::{GroupRows, Job};
use super::survival::{survival_key, survival_quantiles};
use super::targets::Targets;
use super::Engine;
use crate::source::times::{compared, Order};
use crate::source::timestamp::MS_PER_HOUR;
use crate::source::{codes, Source};

/// Where a cohort's aggregates come from: polars over the frames, or an SQL
/// engine in two passes — the first writes down the jobs, one statement answers
/// them all, the second takes the answers in the same order.
pub(super) enum Fetch {
    Polars,
    Plan(Vec<Job>),
    Answer(std::vec::IntoIter<GroupRows>),
}

/// One computed value before targets are attached.
pub(super) struct Cell {
    pub metric: &'static MetricDef,
    pub group: Option<Group>,
    pub value: Option<f64>,
    pub n: u64,
    pub pending: Option<u64>,
}

impl Engine<'_> {
    /// The SQL job of one unsplit cohort over a period.
    fn job(&self, source: Source, cohort: Cohort, period: &Period) -> Job {
        Job {
            source,
            cohort,
            from: period.from,
            to: period.to,
            snapshot: self.context(period).snapshot,
            dimension: None,
            filters: Group::new(),
        }
    }

    /// The records of `source` in the cohort of `period`, filtered on dimensions.
    fn cohort(
        &self,
        source: Source,
        cohort: Cohort,
        period: &Period,
        filters: &Group,
    ) -> Result<Option<Records>> {
        let Some(frame) = self.frame(source) else {
            return Ok(None);
        };
        let mut predicate = match cohort {
            Cohort::Anchored | Cohort::AnchoredOn(_) => {
                let anchor = match cohort {
                    Cohort::AnchoredOn(anchor) => anchor,
                    _ => source.anchor_column(),
                };
                compared(anchor, Order::AtOrAfter, period.from).and(compared(
                    anchor,
                    Order::Before,
                    period.to,
                ))
            }
            Cohort::OpenAtEnd { start, end } => {
                let at = self.context(period).snapshot;
                compared(start, Order::Before, at).and(col(end).is_null().or(compared(
                    end,
                    Order::After,
                    at,
                )))
            }
        };
        for (dim, value) in filters {
            predicate = predicate.and(codes::equals(dim, value));
        }
        Records::new(frame, predicate.fill_null(lit(false))).map(Some)
    }

    /// One row of aggregates per group: `None` is the whole cohort.
    fn aggregate(
        &self,
        plan: &Plan,
        cohort: &Records,
        period: &Period,
        dimension: Option<&str>,
    ) -> Result<BTreeMap<Option<String>, Vec<Option<f64>>>> {
        let ctx = self.context(period);
        // What the previous cohort's temporaries left free goes back first: the
        // peak is then this cohort's temporaries over the frames, not over them too.
        crate::memory::release_freed();
        let mut rows = aggregate_in_parts(plan, cohort, &ctx, dimension)?;
        // One sorted sample per (span, filter), every quantile asked of it at once.
        let mut done: Vec<(&Span, Cond)> = Vec::new();
        let survivals: Vec<_> = plan.survivals().collect();
        for &(_, span, filter, _) in &survivals {
            if done.contains(&(span, filter)) {
                continue;
            }
            done.push((span, filter));
            let wanted: Vec<(usize, f64)> = survivals
                .iter()
                .filter(|s| std::ptr::eq(s.1, span) && s.2 == filter)
                .map(|s| (s.0, s.3))
                .collect();
            let ps: Vec<f64> = wanted.iter().map(|w| w.1).collect();
            for (key, keys) in sorted_survival_keys(cohort, span, filter, &ctx, dimension)? {
                if let Some(row) = rows.get_mut(&key) {
                    for ((index, _), q) in wanted.iter().zip(survival_quantiles(&keys, &ps)) {
                        row[*index] = q;
                    }
                }
            }
        }
        Ok(rows)
    }

    /// Every metric of `source` over a period, one group per value of `dimension`.
    fn source_cells(
        &self,
        fetch: &mut Fetch,
        source: Source,
        period: &Period,
        filters: &Group,
        dimension: Option<&str>,
    ) -> Result<Vec<Cell>> {
        let cohorts: BTreeSet<Cohort> = METRICS
            .iter()
            .filter(|m| m.source() == Some(source))
            .map(|m| m.cohort)
            .collect();
        let mut computed = Vec::new();
        let mut keys: BTreeSet<Option<String>> = BTreeSet::new();
        for cohort in cohorts {
            let plan = Plan::new(source, cohort);
            let Some(records) = self.cohort(source, cohort, period, filters)? else {
                return Ok(Vec::new());
            };
            let rows = match fetch {
                Fetch::Polars => self.aggregate(&plan, &records, period, dimension)?,
                Fetch::Plan(jobs) => {
                    jobs.push(Job {
                        source,
                        cohort,
                        from: period.from,
                        to: period.to,
                        snapshot: self.context(period).snapshot,
                        dimension: dimension.map(str::to_string),
                        filters: filters.clone(),
                    });
                    GroupRows::new()
                }
                Fetch::Answer(answers) => answers
                    .next()
                    .context("internal: fewer SQL answers than jobs")?,
            };
            keys.extend(rows.keys().cloned());
            computed.push((plan, rows));
        }
        let mut cells = Vec::new();
        for key in keys {
            let group = match (dimension, &key) {
                (Some(d), Some(k)) => {
                    let mut g = filters.clone();
                    g.insert(d.to_string(), k.clone());
                    Some(g)
                }
                _ if filters.is_empty() => None,
                _ => Some(filters.clone()),
            };
            // A group can be in one cohort and not another (a channel with open
            // tickets but none created in the period): counts 0, statistics none.
            for (plan, rows) in &computed {
                let row = rows.get(&key).cloned().unwrap_or_else(|| plan.empty_row());
                for v in plan.values(&row, &self.inputs) {
                    cells.push(Cell {
                        metric: v.metric,
                        group: group.clone(),
                        value: v.value,
                        n: v.n,
                        pending: v.pending,
                    });
                }
            }
        }
        Ok(cells)
    }

    /// All metric cells for a period: overall (or split) rows plus segment-target rows.
    pub(super) fn cells(
        &self,
        period: &Period,
        split: Option<&Split>,
        targets: &Targets,
        notes: &mut Vec<String>,
    ) -> Result<Vec<Cell>> {
        let Some(sql) = self.sql else {
            return self.cells_from(&mut Fetch::Polars, period, split, targets, notes);
        };
        let mut plan = Fetch::Plan(Vec::new());
        self.cells_from(&mut plan, period, split, targets, &mut Vec::new())?;
        let Fetch::Plan(jobs) = plan else {
            unreachable!("the first pass only writes down jobs")
        };
        let answers = sql.aggregates(&self.statement(sql), &jobs)?;
        let mut answer = Fetch::Answer(answers.into_iter());
        self.cells_from(&mut answer, period, split, targets, notes)
    }

    fn cells_from(
        &self,
        fetch: &mut Fetch,
        period: &Period,
        split: Option<&Split>,
        targets: &Targets,
        notes: &mut Vec<String>,
    ) -> Result<Vec<Cell>> {
        let mut cells = Vec::new();
        let present: Vec<Source> = Source::ALL.into_iter().filter(|s| self.has(*s)).collect();
        match split {
            None => {
                for &s in &present {
                    cells.extend(self.source_cells(fetch, s, period, &Group::new(), None)?);
                }
            }
            Some(Split::Dimension(d)) => {
                let mut left_out = Vec::new();
                for &s in &present {
                    if !s.dimensions().contains(&d.as_str()) {
                        left_out.push(s.name());
                    } else if self.lacks(s, d) {
                        // One "(none)" segment would pass for a split: no data instead.
                        notes.push(format!(
                            "{s} metrics are left out of the split: the {s} data has no {d}"
                        ));
                    } else {
                        cells.extend(self.source_cells(
                            fetch,
                            s,
                            period,
                            &Group::new(),
                            Some(d),
                        )?);
                    }
                }
                if !left_out.is_empty() {
                    notes.push(format!(
                        "{} metrics cannot be split by {d} and are left out",
                        left_out.join(" and ")
                    ));
                }
            }
            Some(Split::Time(unit)) => {
                for bucket in period.buckets(*unit, self.tz) {
                    for &s in &present {
                        let label = Group::from([(unit.name().to_string(), bucket.label.clone())]);
                        for mut cell in self.source_cells(fetch, s, &bucket, &Group::new(), None)? {
                            cell.group = Some(label.clone());
                            cells.push(cell);
                        }
                    }
                }
            }
        }
        // Segment targets are judged on their own cohort, computed once per segment.
        let mut segments: BTreeSet<(Source, Group)> = BTreeSet::new();
        for t in &targets.targets {
            if let (Origin::Source(s), false) = (t.metric.origin, t.segment.is_empty()) {
                if self.has(s) {
                    segments.insert((s, t.segment.clone()));
                }
            }
        }
        for (source, segment) in segments {
            let wanted: Vec<&str> = targets
                .targets
                .iter()
                .filter(|t| t.segment == segment)
                .map(|t| t.metric.id)
                .collect();
            for cell in self.source_cells(fetch, source, period, &segment, None)? {
                let exists = cells
                    .iter()
                    .any(|c| c.metric.id == cell.metric.id && c.group == cell.group);
                if wanted.contains(&cell.metric.id) && !exists {
                    cells.push(cell);
                }
            }
        }
        Ok(cells)
    }

    /// The duration samples behind a family's statistics, in hours, sorted; empty
    /// when the source is absent or nothing in the period has the duration.
    pub(super) fn durations(&self, span: &Span, period: &Period) -> Result<Vec<f64>> {
        let cohort = catalogue::family_cohort(span);
        let Some(records) = self.cohort(span.source, cohort, period, &Group::new())? else {
            return Ok(Vec::new());
        };
        if let Some(sql) = self.sql {
            let job = self.job(span.source, cohort, period);
            let statement = self.statement(sql);
            sql.prepare(&statement, std::slice::from_ref(&job))?;
            let rows = sql.query(&statement.samples_sql(&job, span)?)?;
            let mut samples: Vec<f64> = rows
                .rows
                .iter()
                .filter_map(|r| r.first().and_then(super::sql::runner::number))
                .map(|ms| ms / MS_PER_HOUR)
                .collect();
            samples.sort_by(f64::total_cmp);
            return Ok(samples);
        }
        // Gathered part by part into room for every record: a column of the
        // cohort's spans beside the vector was a second copy of them.
        let ctx = self.context(period);
        let mut samples: Vec<f64> = Vec::with_capacity(records.rows());
        for part in records.parts() {
            let part = part.select([span_ms(span, &ctx).alias("ms")]).collect()?;
            let spans = part.column("ms")?.f64()?.iter().flatten();
            samples.extend(spans.map(|ms| ms / MS_PER_HOUR));
        }
        // In place: a stable sort takes half the vector again. Values that
        // compare equal under total_cmp are the same bits, so the order is one.
        samples.sort_unstable_by(f64::total_cmp);
        Ok(samples)
    }

    /// How many records of the period carry each value of a text field, most first.
    pub(super) fn counts_by(
        &self,
        source: Source,
        field: &str,
        period: &Period,
    ) -> Result<FieldCounts> {
        if !source.categorical_fields().contains(&field) {
            bail!(
                "{source} has no field {field:?} to count; valid: {}",
                source.categorical_fields().join(", ")
            );
        }
        let Some(records) = self.cohort(source, Cohort::Anchored, period, &Group::new())? else {
            bail!("the {source} source was not given");
        };
        // Each value's count: null and empty are without a value.
        let mut per_value: BTreeMap<String, u64> = BTreeMap::new();
        let mut missing = 0;
        let mut tally = |value: Option<&str>, count: u64| match value {
            Some(v) if !v.is_empty() => *per_value.entry(v.to_string()).or_default() += count,
            _ => missing += count,
        };
        match self.sql {
            Some(sql) => {
                let job = self.job(source, Cohort::Anchored, period);
                let statement = self.statement(sql);
                sql.prepare(&statement, std::slice::from_ref(&job))?;
                let rows = sql.query(&statement.counts_sql(&job, field)?)?;
                for r in &rows.rows {
                    let count = r.get(1).and_then(super::sql::runner::number).unwrap_or(0.0);
                    tally(r.first().and_then(|v| v.as_str()), count as u64);
                }
            }
            // Part by part, as the aggregates are.
            None => {
                for part in records.parts() {
                    let count = len().cast(DataType::UInt64).alias("count");
                    let part = per_group(part, Some(field), vec![count])?;
                    let values = part.column(field)?.str()?;
                    for (value, count) in values.iter().zip(part.column("count")?.u64()?.iter()) {
                        tally(value, count.unwrap_or(0));
                    }
                }
            }
        }
        let mut counts: Vec<(String, u64)> = per_value.into_iter().collect();
        counts.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        let counted: u64 = counts.iter().map(|c| c.1).sum();
        let mut running = 0;
        let cumulative_share = counts
            .iter()
            .map(|(_, c)| {
                running += c;
                running as f64 / counted as f64
            })
            .collect();
        Ok(FieldCounts {
            source,
            field: field.to_string(),
            period: period.info(self.tz).label,
            counts,
            cumulative_share,
            without_value: missing,
        })
    }
}

/// The sorted [`survival_key`]s of the cohort's records matching `filter`, per
/// group (`None`: not split).
fn sorted_survival_keys(
    cohort: &Records,
    span: &Span,
    filter: Cond,
    ctx: &Context,
    dimension: Option<&str>,
) -> Result<Vec<(Option<String>, Vec<i64>)>> {
    let with_key = |records: LazyFrame| {
        records.filter(
            cond_expr(&filter)
                .fill_null(lit(false))
                .and(col(span.start).is_not_null()),
        )
    };
    Ok(match dimension {
        None => {
            // Gathered part by part into room for every record, and sorted in
            // place: polars' frame of keys and its sort were two more copies.
            let mut keys: Vec<i64> = Vec::with_capacity(cohort.rows());
            for part in cohort.parts() {
                let part = with_key(part).select([survival_key(span, ctx)]).collect()?;
                keys.extend(part.column("key")?.i64()?.into_no_null_iter());
            }
            keys.sort_unstable();
            vec![(None, keys)]
        }
        Some(_) => {
            // Part by part as the aggregates are: each part's keys per group.
            let mut groups: BTreeMap<Option<String>, Vec<i64>> = BTreeMap::new();
            for part in cohort.parts() {
                let part = per_group(with_key(part), dimension, vec![survival_key(span, ctx)])?;
                let lists = part.column("key")?.list()?;
                for row in 0..part.height() {
                    let group = groups.entry(group_key(&part, dimension, row)?).or_default();
                    if let Some(list) = lists.get_as_series(row) {
                        group.extend(list.i64()?.into_no_null_iter());
                    }
                }
            }
            groups
                .into_iter()
                .map(|(key, mut keys)| {
                    keys.sort_unstable();
                    (key, keys)
                })
                .collect()
        }
    })
}
