//! The engine: the one place where KPIs are computed, from the declarations of the
//! metric catalogue (docs/metrics.md). It takes validated frames from the source
//! layer and returns the result model; report, check, chart and HTML only render
//! what it returns.

pub mod aggregate;
pub mod catalogue;
mod followups;
pub mod format;
pub mod gate;
mod index;
pub mod model;
pub mod period;
pub mod query;
pub mod targets;

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{bail, Result};
use chrono_tz::Tz;
use polars::prelude::*;

use aggregate::{span_ms, Context, Plan};
use catalogue::{Cohort, MetricDef, Origin, Span, METRICS};
use model::{Group, MetricRow, Report};
use period::{Period, PeriodSpec};
pub use query::{Answer, FieldCounts, Query, ReportOptions, Split};
use targets::{SlaHours, Status, Targets};

use crate::source::load::{Dataset, Keep};
use crate::source::timestamp::{format_utc, parse_timestamp, MS_PER_HOUR};
use crate::source::{Kind, Moment, Source};

/// The columns each source's metrics read (their declarations and the follow-up
/// join), plus `extra` fields (a split, a segment target's dimensions, a chart's
/// field). Readers leave every other column out.
pub fn columns_needed<'a>(extra: impl IntoIterator<Item = &'a str>) -> Keep {
    let extra: Vec<&str> = extra.into_iter().collect();
    let mut columns: BTreeMap<Source, BTreeSet<String>> = BTreeMap::new();
    for source in Source::ALL {
        let set = columns.entry(source).or_default();
        for m in METRICS.iter().filter(|m| m.source() == Some(source)) {
            set.extend(m.columns().into_iter().map(str::to_string));
        }
        set.extend(followups::columns(source).iter().map(|c| c.to_string()));
        set.extend(extra.iter().map(|c| c.to_string()));
    }
    Keep::Only(columns)
}

/// The engine's view of the data, with the derived columns it needs.
pub struct Engine<'a> {
    dataset: &'a Dataset,
    reviews: Option<DataFrame>,
    pub tz: Tz,
    pub as_of: i64,
    sla: SlaHours,
}

/// Latest event the data has seen: the ticket data when there is any, else the
/// other sources (deadlines such as promised_at are not events).
fn latest_timestamp(dataset: &Dataset) -> Option<i64> {
    let sources: &[Source] = if dataset.get(Source::Tickets).is_some() {
        &[Source::Tickets]
    } else {
        &[Source::Shipments, Source::Reviews]
    };
    let mut latest: Option<i64> = None;
    for &source in sources {
        let Some(frame) = dataset.get(source) else {
            continue;
        };
        for spec in source.columns() {
            if spec.kind != Kind::Timestamp(Moment::Event) {
                continue;
            }
            if let Ok(Some(v)) = frame
                .column(spec.name)
                .and_then(|c| c.i64().map(|c| c.max()))
            {
                latest = Some(latest.map_or(v, |l| l.max(v)));
            }
        }
    }
    latest
}

/// One computed value before targets are attached.
struct Cell {
    metric: &'static MetricDef,
    group: Option<Group>,
    value: Option<f64>,
    n: u64,
}

impl<'a> Engine<'a> {
    pub fn new(dataset: &'a Dataset, sla: SlaHours, as_of: Option<&str>) -> Result<Engine<'a>> {
        let tz = dataset.tz;
        let as_of = match as_of {
            Some(text) => {
                parse_timestamp(text, tz).map_err(|e| anyhow::anyhow!("--as-of {text:?}: {e}"))?
            }
            None => match latest_timestamp(dataset) {
                Some(t) => t,
                None => bail!(
                    "the inputs hold no accepted rows, so there is no as-of time; give --as-of"
                ),
            },
        };
        let reviews = match dataset.get(Source::Reviews) {
            Some(r) => Some(followups::with_followups(r, dataset.get(Source::Tickets))?),
            None => None,
        };
        Ok(Engine {
            dataset,
            reviews,
            tz,
            as_of,
            sla,
        })
    }

    fn frame(&self, source: Source) -> Option<&DataFrame> {
        match source {
            Source::Reviews => self.reviews.as_ref(),
            _ => self.dataset.get(source),
        }
    }

    pub fn has(&self, source: Source) -> bool {
        self.frame(source).is_some()
    }

    /// The period that `spec` names, resolved against this data's as-of time and zone.
    pub fn period(&self, spec: &PeriodSpec) -> Result<Period> {
        period::resolve(spec, self.as_of, self.tz)
    }

    fn context(&self, period: &Period) -> Context<'_> {
        Context {
            sla: &self.sla,
            as_of: self.as_of,
            snapshot: period.to.min(self.as_of),
        }
    }

    /// The records of `source` in the cohort of `period`, filtered on dimensions.
    fn cohort(
        &self,
        source: Source,
        cohort: Cohort,
        period: &Period,
        filters: &Group,
    ) -> Option<LazyFrame> {
        let frame = self.frame(source)?;
        let mut predicate = match cohort {
            Cohort::Anchored => {
                let anchor = source.anchor_column();
                col(anchor)
                    .gt_eq(lit(period.from))
                    .and(col(anchor).lt(lit(period.to)))
            }
            Cohort::OpenAtEnd { start, end } => {
                let at = self.context(period).snapshot;
                col(start)
                    .lt(lit(at))
                    .and(col(end).is_null().or(col(end).gt(lit(at))))
            }
        };
        for (dim, value) in filters {
            predicate = predicate.and(col(dim.as_str()).eq(lit(value.clone())));
        }
        Some(frame.clone().lazy().filter(predicate))
    }

    /// One row of aggregates per group: `None` is the whole cohort.
    fn aggregate(
        &self,
        plan: &Plan,
        cohort: LazyFrame,
        period: &Period,
        dimension: Option<&str>,
    ) -> Result<BTreeMap<Option<String>, Vec<Option<f64>>>> {
        let exprs = plan.exprs(&self.context(period));
        let frame = match dimension {
            Some(d) => cohort.group_by([col(d)]).agg(exprs).collect()?,
            None => cohort.select(exprs).collect()?,
        };
        let columns = (0..plan.width())
            .map(|i| {
                frame
                    .column(&format!("a{i}"))
                    .and_then(|c| c.f64().cloned())
            })
            .collect::<PolarsResult<Vec<_>>>()?;
        let mut rows = BTreeMap::new();
        for row in 0..frame.height() {
            let key = match dimension {
                Some(d) => Some(
                    frame
                        .column(d)?
                        .str()?
                        .get(row)
                        .unwrap_or("(none)")
                        .to_string(),
                ),
                None => None,
            };
            rows.insert(key, columns.iter().map(|c| c.get(row)).collect());
        }
        Ok(rows)
    }

    /// Every metric of `source` over a period, one group per value of `dimension`.
    fn source_cells(
        &self,
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
            let Some(records) = self.cohort(source, cohort, period, filters) else {
                return Ok(Vec::new());
            };
            let rows = self.aggregate(&plan, records, period, dimension)?;
            keys.extend(rows.keys().cloned());
            computed.push((plan, rows));
        }
        let present = |s: Source| self.has(s);
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
                for v in plan.values(&row, present) {
                    cells.push(Cell {
                        metric: v.metric,
                        group: group.clone(),
                        value: v.value,
                        n: v.n,
                    });
                }
            }
        }
        Ok(cells)
    }

    /// All metric cells for a period: overall (or split) rows plus segment-target rows.
    fn cells(
        &self,
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
                    cells.extend(self.source_cells(s, period, &Group::new(), None)?);
                }
            }
            Some(Split::Dimension(d)) => {
                let mut left_out = Vec::new();
                for &s in &present {
                    if s.dimensions().contains(&d.as_str()) {
                        cells.extend(self.source_cells(s, period, &Group::new(), Some(d))?);
                    } else {
                        left_out.push(s.name());
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
                        for mut cell in self.source_cells(s, &bucket, &Group::new(), None)? {
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
            for cell in self.source_cells(source, period, &segment, None)? {
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

    /// Answers a batch of queries; identical report queries are computed once.
    pub fn run(&self, targets: &Targets, queries: &[Query]) -> Result<Vec<Answer>> {
        let mut reports: Vec<(&ReportOptions, Report)> = Vec::new();
        let mut answers = Vec::new();
        for query in queries {
            answers.push(match query {
                Query::Report(options) => {
                    if let Some((_, r)) = reports.iter().find(|(o, _)| *o == options) {
                        Answer::Report(Box::new(r.clone()))
                    } else {
                        let report = self.report(targets, options)?;
                        reports.push((options, report.clone()));
                        Answer::Report(Box::new(report))
                    }
                }
                Query::Durations { span, period } => {
                    Answer::Durations(self.durations(span, &self.period(period)?)?)
                }
                Query::Counts {
                    source,
                    field,
                    period,
                } => Answer::Counts(self.counts_by(*source, field, &self.period(period)?)?),
            });
        }
        Ok(answers)
    }

    /// The duration samples behind a family's statistics, in hours, sorted; empty
    /// when the source is absent or nothing in the period has the duration.
    fn durations(&self, span: &Span, period: &Period) -> Result<Vec<f64>> {
        let cohort = catalogue::family_cohort(span);
        let Some(records) = self.cohort(span.source, cohort, period, &Group::new()) else {
            return Ok(Vec::new());
        };
        let frame = records
            .select([span_ms(span, &self.context(period)).alias("ms")])
            .drop_nulls(None)
            .collect()?;
        let mut samples: Vec<f64> = frame
            .column("ms")?
            .f64()?
            .iter()
            .flatten()
            .map(|ms| ms / MS_PER_HOUR)
            .collect();
        samples.sort_by(f64::total_cmp);
        Ok(samples)
    }

    /// How many records of the period carry each value of a text field, most first.
    fn counts_by(&self, source: Source, field: &str, period: &Period) -> Result<FieldCounts> {
        if !source.categorical_fields().contains(&field) {
            bail!(
                "{source} has no field {field:?} to count; valid: {}",
                source.categorical_fields().join(", ")
            );
        }
        let Some(records) = self.cohort(source, Cohort::Anchored, period, &Group::new()) else {
            bail!("the {source} source was not given");
        };
        let frame = records
            .group_by([col(field)])
            .agg([len().cast(DataType::UInt64).alias("count")])
            .collect()?;
        let mut counts: Vec<(String, u64)> = Vec::new();
        let mut missing = 0;
        for (value, count) in frame
            .column(field)?
            .str()?
            .iter()
            .zip(frame.column("count")?.u64()?.iter())
        {
            match (value, count.unwrap_or(0)) {
                (Some(v), c) if !v.is_empty() => counts.push((v.to_string(), c)),
                (_, c) => missing += c,
            }
        }
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

    /// The whole report: every metric, targets judged, service index, comparison.
    pub fn report(&self, targets: &Targets, options: &ReportOptions) -> Result<Report> {
        let period = self.period(&options.period)?;
        let mut notes = Vec::new();
        let split = options.split.as_ref();
        let mut rows = self.judged_rows(&period, split, targets, options.min_n, &mut notes)?;
        let previous_period = options.compare.then(|| period.previous(self.tz));
        if let Some(prev) = &previous_period {
            let before = self.judged_rows(prev, split, targets, options.min_n, &mut Vec::new())?;
            for row in &mut rows {
                row.previous = before
                    .iter()
                    .find(|b| b.id == row.id && b.group == row.group)
                    .and_then(|b| b.value);
                row.delta = row.value.zip(row.previous).map(|(v, p)| v - p);
            }
        }
        for m in METRICS {
            if let (Some(own), Some(needed)) = (m.source(), m.requires()) {
                if self.has(own) && !self.has(needed) {
                    notes.push(format!(
                        "{} needs the {needed} source and has no data without it",
                        m.id
                    ));
                }
            }
        }
        Ok(Report {
            period: period.info(self.tz),
            previous_period: previous_period.map(|p| p.info(self.tz)),
            as_of: format_utc(self.as_of),
            targets: targets.origin.clone(),
            inputs: self.dataset.entries(),
            by: options.split.as_ref().map(|s| s.name().to_string()),
            metrics: rows,
            notes,
        })
    }

    fn judged_rows(
        &self,
        period: &Period,
        split: Option<&Split>,
        targets: &Targets,
        min_n: u64,
        notes: &mut Vec<String>,
    ) -> Result<Vec<MetricRow>> {
        let cells = self.cells(period, split, targets, notes)?;
        let mut rows: Vec<MetricRow> = cells
            .into_iter()
            .map(|c| {
                let empty = Group::new();
                let target = targets.for_row(c.metric.id, c.group.as_ref().unwrap_or(&empty));
                MetricRow {
                    id: c.metric.id,
                    source: c.metric.origin.name(),
                    group: c.group,
                    value: c.value,
                    n: c.n,
                    unit: c.metric.unit,
                    target: target.map(|t| t.view()),
                    status: match target {
                        Some(t) => t.judge(c.value, c.n, min_n.max(1)),
                        None if c.value.is_none() => Status::NoData,
                        None => Status::NoTarget,
                    },
                    previous: None,
                    delta: None,
                }
            })
            .collect();
        // Metric by metric, groups in their computed order, so segments sit side by side.
        rows.sort_by_key(|r| METRICS.iter().position(|m| m.id == r.id));
        index::add_service_index(&mut rows, split, targets, min_n, notes);
        Ok(rows)
    }
}
