//! The metric engine: the one place where KPIs are computed (docs/metrics.md).
//! Report, check, chart and HTML only render what it returns.

use std::collections::{BTreeSet, HashMap};

use anyhow::{bail, Result};
use chrono_tz::Tz;
use polars::prelude::*;

use crate::inputs::Dataset;
use crate::metrics::{self, DurationDef, MetricDef, Origin, Unit};
use crate::model::{Group, MetricRow, Report};
use crate::period::{self, Period, PeriodArgs};
use crate::schema::Source;
use crate::targets::{SlaHours, Status, Targets};
use crate::timestamp::{format_utc, parse_timestamp, MS_PER_HOUR};

/// How a report is split into rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Split {
    /// A text dimension such as channel or carrier.
    Dimension(String),
    /// Calendar buckets across the period (a time series).
    Time(period::Unit),
}

impl Split {
    pub fn parse(name: &str) -> Result<Split> {
        if let Some(unit) = period::Unit::parse(name) {
            return Ok(Split::Time(unit));
        }
        if Source::ALL.iter().any(|s| s.dimensions().contains(&name)) {
            return Ok(Split::Dimension(name.to_string()));
        }
        let mut valid: Vec<String> = vec!["week".into(), "day".into(), "month".into()];
        for s in Source::ALL {
            for d in s.dimensions() {
                if !valid.iter().any(|v| v == d) {
                    valid.push(d.to_string());
                }
            }
        }
        bail!(
            "unknown dimension {name:?} for --by; valid: {}",
            valid.join(", ")
        )
    }

    pub fn name(&self) -> &str {
        match self {
            Split::Dimension(d) => d,
            Split::Time(u) => u.name(),
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct ReportOptions {
    pub period: PeriodArgs,
    pub split: Option<Split>,
    pub compare: bool,
    /// Fewer samples than this make a targeted metric "no data" (a target's own
    /// `min_n` wins).
    pub min_n: u64,
}

/// Records per value of a text field (for Pareto charts).
#[derive(Debug, Clone)]
pub struct FieldCounts {
    pub source: Source,
    pub field: String,
    /// `(value, records)`, most first, ties by value.
    pub counts: Vec<(String, u64)>,
    /// Running share of the counted records, 0–1, aligned with `counts`.
    pub cumulative_share: Vec<f64>,
    /// Records of the period whose field is empty (not counted in the bars).
    pub without_value: u64,
}

/// The engine's view of the data, with the derived columns it needs.
pub struct Engine<'a> {
    dataset: &'a Dataset,
    reviews: Option<DataFrame>,
    pub tz: Tz,
    pub as_of: i64,
    sla: SlaHours,
}

/// Latest instant the data has seen: the ticket data when there is any, else the
/// other sources (promised_at is a deadline, not an event, and is left out).
fn latest_timestamp(dataset: &Dataset) -> Option<i64> {
    let columns: &[(Source, &[&str])] = if dataset.get(Source::Tickets).is_some() {
        &[(
            Source::Tickets,
            &["created_at", "first_response_at", "resolved_at"],
        )]
    } else {
        &[
            (
                Source::Shipments,
                &[
                    "shipped_at",
                    "delivered_at",
                    "return_requested_at",
                    "refunded_at",
                ],
            ),
            (Source::Reviews, &["created_at"]),
        ]
    };
    let mut latest: Option<i64> = None;
    for (source, names) in columns {
        if let Some(frame) = dataset.get(*source) {
            for name in *names {
                if let Ok(Some(v)) = frame.column(name).and_then(|c| c.i64().map(|c| c.max())) {
                    latest = Some(latest.map_or(v, |l| l.max(v)));
                }
            }
        }
    }
    latest
}

/// A duration family in milliseconds (null where its end is missing). Aggregates
/// stay in whole milliseconds and become hours only at the end, by one true
/// division: polars may turn a division by a literal into a multiplication by its
/// reciprocal, which makes exactly one hour 0.9999999999999999.
fn millis(family: &str) -> Expr {
    let d = metrics::duration(family).expect("a catalogued duration family");
    (col(d.later) - col(d.earlier)).cast(DataType::Float64)
}

fn count(condition: Expr) -> Expr {
    condition
        .fill_null(lit(false))
        .cast(DataType::Float64)
        .sum()
}

fn quantile(e: Expr, p: f64) -> Expr {
    e.quantile(lit(p), QuantileMethod::Linear)
}

/// The columns the metrics of `source` read (follow-ups join reviews to tickets by
/// ticket_id and order_id). Readers can leave every other column out.
pub fn columns_used(source: Source) -> &'static [&'static str] {
    match source {
        Source::Tickets => &[
            "ticket_id",
            "created_at",
            "first_response_at",
            "resolved_at",
            "priority",
            "order_id",
            "reopens",
            "agent_replies",
        ],
        Source::Shipments => &[
            "shipped_at",
            "promised_at",
            "delivered_at",
            "status",
            "return_requested_at",
            "refunded_at",
        ],
        Source::Reviews => &["created_at", "rating", "nps", "order_id", "ticket_id"],
    }
}

/// Ratings at or below this are negative reviews (negative_rate, followup_rate).
const NEGATIVE_RATING: i64 = 2;

/// Per-source aggregates; every one is a Float64 named by its alias.
fn aggregations(source: Source, sla: &SlaHours, as_of: i64) -> Vec<Expr> {
    match source {
        Source::Tickets => {
            let answered = col("first_response_at").is_not_null();
            let resolved = col("resolved_at").is_not_null();
            let frh = millis("first_response_hours");
            let rh = millis("resolution_hours");
            // The SLA window in milliseconds, compared with exact millisecond durations.
            let ms = |hours: f64| lit(hours * MS_PER_HOUR);
            let sla_ms = when(col("priority").eq(lit("urgent")))
                .then(ms(sla.urgent))
                .when(col("priority").eq(lit("high")))
                .then(ms(sla.high))
                .when(col("priority").eq(lit("normal")))
                .then(ms(sla.normal))
                .otherwise(ms(sla.low));
            let age = (lit(as_of) - col("created_at")).cast(DataType::Float64);
            vec![
                len().cast(DataType::Float64).alias("n"),
                count(answered.clone()).alias("answered"),
                frh.clone().mean().alias("frh_mean"),
                quantile(frh.clone(), 0.5).alias("frh_p50"),
                quantile(frh.clone(), 0.9).alias("frh_p90"),
                count(resolved.clone()).alias("resolved"),
                rh.clone().mean().alias("rh_mean"),
                quantile(rh.clone(), 0.5).alias("rh_p50"),
                quantile(rh, 0.9).alias("rh_p90"),
                count(
                    resolved
                        .clone()
                        .and(col("reopens").eq(lit(0i64)))
                        .and(col("agent_replies").lt_eq(lit(1i64))),
                )
                .alias("fcr"),
                count(resolved.and(col("reopens").gt(lit(0i64)))).alias("reopened"),
                count(answered.clone().and(frh.lt_eq(sla_ms.clone()))).alias("sla_met"),
                count(answered.or(age.gt(sla_ms))).alias("sla_judged"),
            ]
        }
        Source::Shipments => {
            let delivered = col("delivered_at").is_not_null();
            let dh = millis("delivery_hours");
            let fh = millis("refund_hours");
            vec![
                len().cast(DataType::Float64).alias("n"),
                count(delivered.clone()).alias("delivered"),
                count(
                    delivered
                        .clone()
                        .and(col("delivered_at").lt_eq(col("promised_at"))),
                )
                .alias("on_time"),
                dh.clone().mean().alias("dh_mean"),
                quantile(dh.clone(), 0.5).alias("dh_p50"),
                quantile(dh, 0.9).alias("dh_p90"),
                count(delivered.and(col("return_requested_at").is_not_null())).alias("returned"),
                count(col("refunded_at").is_not_null()).alias("refunded"),
                quantile(fh.clone(), 0.5).alias("fh_p50"),
                quantile(fh, 0.9).alias("fh_p90"),
                count(
                    col("status")
                        .eq(lit("lost"))
                        .or(col("status").eq(lit("damaged"))),
                )
                .alias("exceptions"),
            ]
        }
        Source::Reviews => {
            let negative = col("rating").lt_eq(lit(NEGATIVE_RATING));
            vec![
                len().cast(DataType::Float64).alias("n"),
                col("rating")
                    .cast(DataType::Float64)
                    .mean()
                    .alias("rating_mean"),
                count(col("rating").gt_eq(lit(4i64))).alias("csat"),
                count(negative.clone()).alias("negative"),
                count(col("nps").is_not_null()).alias("nps_n"),
                count(col("nps").gt_eq(lit(9i64))).alias("promoters"),
                count(col("nps").lt_eq(lit(6i64))).alias("detractors"),
                count(negative.and(col("followed_up"))).alias("followed_up"),
            ]
        }
    }
}

fn ratio(num: Option<f64>, den: Option<f64>) -> Option<f64> {
    match (num, den) {
        (Some(a), Some(b)) if b > 0.0 => Some(a / b),
        _ => None,
    }
}

/// Metric values `(id, value, n)` from one row of aggregates.
fn derive(
    source: Source,
    s: &HashMap<&str, Option<f64>>,
    has_tickets: bool,
) -> Vec<(&'static str, Option<f64>, u64)> {
    let g = |k: &str| s.get(k).copied().flatten();
    let n = |k: &str| g(k).unwrap_or(0.0) as u64;
    let mean_if = |k: &str, den: &str| if n(den) > 0 { g(k) } else { None };
    let hours_if = |k: &str, den: &str| mean_if(k, den).map(|ms| ms / MS_PER_HOUR);
    match source {
        Source::Tickets => vec![
            ("tickets", g("n"), n("n")),
            ("response_rate", ratio(g("answered"), g("n")), n("n")),
            (
                "first_response_hours_mean",
                hours_if("frh_mean", "answered"),
                n("answered"),
            ),
            (
                "first_response_hours_p50",
                hours_if("frh_p50", "answered"),
                n("answered"),
            ),
            (
                "first_response_hours_p90",
                hours_if("frh_p90", "answered"),
                n("answered"),
            ),
            ("resolution_rate", ratio(g("resolved"), g("n")), n("n")),
            (
                "resolution_hours_mean",
                hours_if("rh_mean", "resolved"),
                n("resolved"),
            ),
            (
                "resolution_hours_p50",
                hours_if("rh_p50", "resolved"),
                n("resolved"),
            ),
            (
                "resolution_hours_p90",
                hours_if("rh_p90", "resolved"),
                n("resolved"),
            ),
            ("fcr_rate", ratio(g("fcr"), g("resolved")), n("resolved")),
            (
                "reopen_rate",
                ratio(g("reopened"), g("resolved")),
                n("resolved"),
            ),
            (
                "sla_response_rate",
                ratio(g("sla_met"), g("sla_judged")),
                n("sla_judged"),
            ),
            ("unresolved", Some((n("n") - n("resolved")) as f64), n("n")),
        ],
        Source::Shipments => vec![
            ("shipments", g("n"), n("n")),
            ("delivered", g("delivered"), n("n")),
            (
                "on_time_rate",
                ratio(g("on_time"), g("delivered")),
                n("delivered"),
            ),
            (
                "delivery_hours_mean",
                hours_if("dh_mean", "delivered"),
                n("delivered"),
            ),
            (
                "delivery_hours_p50",
                hours_if("dh_p50", "delivered"),
                n("delivered"),
            ),
            (
                "delivery_hours_p90",
                hours_if("dh_p90", "delivered"),
                n("delivered"),
            ),
            (
                "return_rate",
                ratio(g("returned"), g("delivered")),
                n("delivered"),
            ),
            (
                "refund_hours_p50",
                hours_if("fh_p50", "refunded"),
                n("refunded"),
            ),
            (
                "refund_hours_p90",
                hours_if("fh_p90", "refunded"),
                n("refunded"),
            ),
            ("exception_rate", ratio(g("exceptions"), g("n")), n("n")),
        ],
        Source::Reviews => vec![
            ("reviews", g("n"), n("n")),
            ("rating_avg", mean_if("rating_mean", "n"), n("n")),
            ("csat_rate", ratio(g("csat"), g("n")), n("n")),
            ("negative_rate", ratio(g("negative"), g("n")), n("n")),
            (
                "nps",
                ratio(
                    g("promoters")
                        .zip(g("detractors"))
                        .map(|(p, d)| 100.0 * (p - d)),
                    g("nps_n"),
                ),
                n("nps_n"),
            ),
            (
                "followup_rate",
                if has_tickets {
                    ratio(g("followed_up"), g("negative"))
                } else {
                    None
                },
                if has_tickets { n("negative") } else { 0 },
            ),
        ],
    }
}

/// Marks each negative review that got a follow-up: a ticket it names that exists,
/// or a ticket on the same non-empty order created at or after the review. Only
/// negative reviews count for followup_rate, so only their links are looked up: the
/// maps hold those reviews' ids, not every ticket's.
fn with_followups(reviews: &DataFrame, tickets: Option<&DataFrame>) -> Result<DataFrame> {
    let rating = reviews.column("rating")?.i64()?;
    let named = reviews.column("ticket_id")?.str()?;
    let orders = reviews.column("order_id")?.str()?;
    let created = reviews.column("created_at")?.i64()?;
    let negative: Vec<usize> = rating
        .iter()
        .enumerate()
        .filter(|(_, r)| r.is_some_and(|r| r <= NEGATIVE_RATING))
        .map(|(i, _)| i)
        .collect();
    // Ticket ids the negative reviews name → whether such a ticket exists; their
    // orders → the latest ticket created on that order.
    let mut named_exists: PlHashMap<&str, bool> = PlHashMap::new();
    let mut latest_on_order: PlHashMap<&str, Option<i64>> = PlHashMap::new();
    for &i in &negative {
        if let Some(id) = named.get(i) {
            named_exists.insert(id, false);
        }
        if let Some(order) = orders.get(i).filter(|o| !o.is_empty()) {
            latest_on_order.insert(order, None);
        }
    }
    if let Some(t) = tickets {
        let ids = t.column("ticket_id")?.str()?;
        let ticket_orders = t.column("order_id")?.str()?;
        let ticket_created = t.column("created_at")?.i64()?;
        for ((id, order), at) in ids
            .iter()
            .zip(ticket_orders.iter())
            .zip(ticket_created.iter())
        {
            if let Some(exists) = id.and_then(|id| named_exists.get_mut(id)) {
                *exists = true;
            }
            if let (Some(latest), Some(at)) = (order.and_then(|o| latest_on_order.get_mut(o)), at) {
                *latest = Some(latest.map_or(at, |l| l.max(at)));
            }
        }
    }
    let mut followed = vec![false; reviews.height()];
    for i in negative {
        let by_ticket = named
            .get(i)
            .is_some_and(|id| named_exists.get(id) == Some(&true));
        let by_order = orders
            .get(i)
            .and_then(|o| latest_on_order.get(o).copied().flatten())
            .zip(created.get(i))
            .is_some_and(|(latest, created)| latest >= created);
        followed[i] = by_ticket || by_order;
    }
    let mut out = reviews.clone();
    out.with_column(Column::new("followed_up".into(), followed))?;
    Ok(out)
}

/// One group's key and its named aggregates.
type GroupStats<'a> = (Option<String>, HashMap<&'a str, Option<f64>>);

/// One computed cell before targets are attached.
struct Cell {
    id: &'static str,
    source: Source,
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
            Some(r) => Some(with_followups(r, dataset.get(Source::Tickets))?),
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

    pub fn frame(&self, source: Source) -> Option<&DataFrame> {
        match source {
            Source::Reviews => self.reviews.as_ref(),
            _ => self.dataset.get(source),
        }
    }

    /// The records of `source` in `period`, optionally filtered on dimensions.
    pub fn cohort(&self, source: Source, period: &Period, filters: &Group) -> Option<LazyFrame> {
        let frame = self.frame(source)?;
        let anchor = source.anchor_column();
        let mut predicate = col(anchor)
            .gt_eq(lit(period.from))
            .and(col(anchor).lt(lit(period.to)));
        for (dim, value) in filters {
            predicate = predicate.and(col(dim.as_str()).eq(lit(value.clone())));
        }
        Some(frame.clone().lazy().filter(predicate))
    }

    /// Every metric of `source` over a cohort, one group per value of `dimension`.
    fn source_cells(
        &self,
        source: Source,
        period: &Period,
        filters: &Group,
        dimension: Option<&str>,
    ) -> Result<Vec<Cell>> {
        let Some(cohort) = self.cohort(source, period, filters) else {
            return Ok(Vec::new());
        };
        let aggs = aggregations(source, &self.sla, self.as_of);
        let frame = match dimension {
            Some(d) => cohort.group_by([col(d)]).agg(aggs).collect()?,
            None => cohort.select(aggs).collect()?,
        };
        let names: Vec<String> = frame
            .get_column_names()
            .iter()
            .map(|s| s.to_string())
            .collect();
        let mut groups: Vec<GroupStats> = Vec::new();
        for row in 0..frame.height() {
            let mut stats = HashMap::new();
            for name in &names {
                if Some(name.as_str()) == dimension {
                    continue;
                }
                stats.insert(name.as_str(), frame.column(name)?.f64()?.get(row));
            }
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
            groups.push((key, stats));
        }
        groups.sort_by(|a, b| a.0.cmp(&b.0));
        let has_tickets = self.dataset.get(Source::Tickets).is_some();
        let mut cells = Vec::new();
        for (key, stats) in groups {
            let group = match (dimension, key) {
                (Some(d), Some(k)) => {
                    let mut g = filters.clone();
                    g.insert(d.to_string(), k);
                    Some(g)
                }
                _ if filters.is_empty() => None,
                _ => Some(filters.clone()),
            };
            for (id, value, n) in derive(source, &stats, has_tickets) {
                cells.push(Cell {
                    id,
                    source,
                    group: group.clone(),
                    value,
                    n,
                });
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
        let present: Vec<Source> = Source::ALL
            .into_iter()
            .filter(|s| self.frame(*s).is_some())
            .collect();
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
                if self.frame(s).is_some() {
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
                    .any(|c| c.id == cell.id && c.group == cell.group);
                if wanted.contains(&cell.id) && !exists {
                    cells.push(cell);
                }
            }
        }
        Ok(cells)
    }

    /// The period that `args` names, resolved against this data's as-of time and zone.
    pub fn period(&self, args: &PeriodArgs) -> Result<Period> {
        period::resolve(args, self.as_of, self.tz)
    }

    /// The duration samples behind a family's mean and percentiles, in hours, sorted;
    /// empty when the source is absent or nothing in the period has an end.
    pub fn durations(&self, family: &DurationDef, period: &Period) -> Result<Vec<f64>> {
        let Some(cohort) = self.cohort(family.source, period, &Group::new()) else {
            return Ok(Vec::new());
        };
        let frame = cohort
            .select([millis(family.family).alias("ms")])
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
    pub fn counts_by(&self, source: Source, field: &str, period: &Period) -> Result<FieldCounts> {
        if !source.categorical_fields().contains(&field) {
            bail!(
                "{source} has no field {field:?} to count; valid: {}",
                source.categorical_fields().join(", ")
            );
        }
        let Some(cohort) = self.cohort(source, period, &Group::new()) else {
            bail!("the {source} source was not given");
        };
        let frame = cohort
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
            counts,
            cumulative_share,
            without_value: missing,
        })
    }

    /// The whole report: every metric, targets judged, service index, comparison.
    pub fn report(&self, targets: &Targets, options: &ReportOptions) -> Result<Report> {
        let period = period::resolve(&options.period, self.as_of, self.tz)?;
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
        if self.dataset.get(Source::Tickets).is_none() && self.reviews.is_some() {
            notes.push("followup_rate needs the tickets source and has no data without it".into());
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
                let def = metrics::find(c.id).expect("engine ids are in the catalogue");
                let empty = Group::new();
                let target = targets.for_row(c.id, c.group.as_ref().unwrap_or(&empty));
                MetricRow {
                    id: c.id,
                    source: c.source.name(),
                    group: c.group,
                    value: c.value,
                    n: c.n,
                    unit: def.unit,
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
        rows.sort_by_key(|r| metrics::METRICS.iter().position(|m| m.id == r.id));
        self.add_service_index(&mut rows, split, targets, min_n, notes);
        Ok(rows)
    }

    /// The weighted mean attainment of targeted metrics, per split group.
    fn add_service_index(
        &self,
        rows: &mut Vec<MetricRow>,
        split: Option<&Split>,
        targets: &Targets,
        min_n: u64,
        notes: &mut Vec<String>,
    ) {
        let split_name = split.map(|s| s.name().to_string());
        // Overall rows and segment-target rows count towards the overall index; each
        // split group has its own.
        let groups: Vec<Option<Group>> = match &split_name {
            None => vec![None],
            Some(name) => {
                let mut seen: Vec<Option<Group>> = Vec::new();
                for r in rows.iter() {
                    if r.group.as_ref().is_some_and(|g| g.contains_key(name))
                        && !seen.contains(&r.group)
                    {
                        seen.push(r.group.clone());
                    }
                }
                seen
            }
        };
        let def: &MetricDef = metrics::find("service_index").expect("catalogued");
        let mut index_rows = Vec::new();
        for group in groups {
            let (mut sum, mut weights, mut used, mut missing) = (0.0, 0.0, 0u64, Vec::new());
            for row in rows.iter() {
                let in_group = match (&group, &split_name) {
                    (None, _) => true,
                    (Some(g), _) => row.group.as_ref() == Some(g),
                };
                if !in_group || (group.is_none() && split_name.is_some()) {
                    continue;
                }
                let empty = Group::new();
                let Some(target) = targets.for_row(row.id, row.group.as_ref().unwrap_or(&empty))
                else {
                    continue;
                };
                match row.value {
                    Some(v) if row.status != Status::NoData => {
                        sum += target.weight * target.attainment(v);
                        weights += target.weight;
                        used += 1;
                    }
                    _ => missing.push(format!("{}{}", row.id, segment_suffix(row))),
                }
            }
            let value = (weights > 0.0).then(|| 100.0 * sum / weights);
            if group.is_none() && !missing.is_empty() {
                notes.push(format!(
                    "service_index leaves out targets with no data: {}",
                    missing.join(", ")
                ));
            }
            let empty = Group::new();
            let target = targets.for_row(def.id, group.as_ref().unwrap_or(&empty));
            index_rows.push(MetricRow {
                id: def.id,
                source: Origin::Composite.name(),
                group: group.clone(),
                value,
                n: used,
                unit: Unit::Index,
                target: target.map(|t| t.view()),
                status: match target {
                    Some(t) => t.judge(value, used, min_n.max(1)),
                    None if value.is_none() => Status::NoData,
                    None => Status::NoTarget,
                },
                previous: None,
                delta: None,
            });
        }
        rows.extend(index_rows);
    }
}

fn segment_suffix(row: &MetricRow) -> String {
    match &row.group {
        Some(g) => format!(" ({})", crate::targets::segment_label(g)),
        None => String::new(),
    }
}
