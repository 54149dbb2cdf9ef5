//! From catalogue declarations to polars aggregates, and from one row of
//! aggregates back to metric values. Metrics that share an aggregate (every rate
//! over the same denominator, the three statistics of a duration family) compute
//! it once.

use std::collections::BTreeMap;

use polars::prelude::*;

use super::catalogue::{
    Clock, Cmp, Cohort, Cond, End, Measure, MetricDef, Pending, Settled, Span, Stat, Unit, Window,
    METRICS,
};
use super::clock::{age_column, elapsed_column};
use super::targets::{SlaHours, Windows};
use crate::source::times::{elapsed_ms, ms};
use crate::source::timestamp::{MS_PER_DAY, MS_PER_HOUR};
use crate::source::{codes, Source};

/// What the expressions need besides the records.
pub struct Context<'a> {
    pub windows: &'a Windows,
    /// The priorities whose SLA runs on business time (`[sla] clock`).
    pub sla_business: &'a [&'static str],
    pub as_of: i64,
    /// The moment an open-at-end cohort is looked at.
    pub snapshot: i64,
}

/// What the inputs hold: the sources given and the optional columns each export
/// lacks.
#[derive(Debug, Clone, Default)]
pub struct Inputs {
    pub sources: Vec<Source>,
    pub absent: BTreeMap<Source, Vec<String>>,
    /// Values an export has no way to write, by field (`cannot_say` in its mapping).
    pub cannot_say: BTreeMap<Source, BTreeMap<String, Vec<String>>>,
    /// Clocks svcq.toml gives no schedule for: their metrics have no data.
    pub unscheduled: Vec<Clock>,
}

impl Inputs {
    /// The test a metric makes that its export cannot answer: every value it
    /// looks for is one the export never writes (Shopify has no "lost" status).
    pub fn unsayable(&self, metric: &MetricDef) -> Option<(&'static str, &'static [&'static str])> {
        let cannot = self.cannot_say.get(&metric.source()?)?;
        metric.text_tests().into_iter().find(|(field, values)| {
            cannot
                .get(*field)
                .is_some_and(|never| values.iter().all(|v| never.iter().any(|n| n == v)))
        })
    }

    /// The column of its source a metric reads that the export lacks, if any.
    pub fn absent_column(&self, metric: &MetricDef) -> Option<&str> {
        let absent = self.absent.get(&metric.source()?)?;
        metric
            .columns()
            .into_iter()
            .find_map(|c| absent.iter().find(|a| a.as_str() == c))
            .map(String::as_str)
    }

    pub fn can_compute(&self, metric: &MetricDef) -> bool {
        let needs = metric.requires().is_none_or(|s| self.sources.contains(&s));
        needs
            && self.absent_column(metric).is_none()
            && self.unsayable(metric).is_none()
            && self.unscheduled(metric).is_none()
    }

    /// The clock a metric runs on that has no schedule, if any.
    pub fn unscheduled(&self, metric: &MetricDef) -> Option<Clock> {
        let clock = metric.clock();
        (clock != Clock::Calendar && self.unscheduled.contains(&clock)).then_some(clock)
    }
}

/// One aggregate over a cohort.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Agg {
    /// Records matching both conditions.
    Count(Cond, Cond),
    /// A statistic of a span in milliseconds, over the records matching the filter.
    Span(&'static Span, Cond, Stat),
    MeanOf(&'static str),
    /// Records judged whose span ended within the window.
    Within(&'static Span, Window, Settled, Cond),
    /// Records judged against the window (see [`Settled`]).
    Judged(&'static Span, Window, Settled, Cond),
    /// Records not final: not judged yet, or (for a plain rate) without the outcome
    /// inside the window.
    Pending(&'static Span, Window, Settled, Cond),
    /// A quantile of the Kaplan–Meier estimate of the span; computed from the
    /// samples after the polars pass (see `survival_quantile`).
    Survival(&'static Span, Cond, f64),
}

/// How a metric's value comes from the aggregates (by index).
#[derive(Debug, Clone, Copy)]
enum Formula {
    Count { value: usize, n: usize },
    Ratio { num: usize, den: usize },
    Survival { value: usize, n: usize },
    Hours { value: usize, n: usize },
    Mean { value: usize, n: usize },
    Net { up: usize, down: usize, n: usize },
}

/// The aggregates of one source's metrics over one kind of cohort.
pub struct Plan {
    aggs: Vec<Agg>,
    /// Each metric with its formula and the index of its pending count.
    metrics: Vec<(&'static MetricDef, Formula, Option<usize>)>,
}

/// One computed value before targets are attached.
pub struct Value {
    pub metric: &'static MetricDef,
    pub value: Option<f64>,
    pub n: u64,
    /// Records still inside the metric's window, for rates whose outcome takes time.
    pub pending: Option<u64>,
}

impl Plan {
    /// Every metric of `source` whose cohort is `cohort`, in catalogue order.
    pub fn new(source: Source, cohort: Cohort) -> Plan {
        let mut plan = Plan {
            aggs: Vec::new(),
            metrics: Vec::new(),
        };
        for m in METRICS {
            if m.source() == Some(source) && m.cohort == cohort {
                let formula = plan.formula(m);
                let pending = m.pending_rule().map(
                    |Pending {
                         span,
                         window,
                         settled,
                     }| {
                        plan.agg(Agg::Pending(span, window, settled, m.filter))
                    },
                );
                plan.metrics.push((m, formula, pending));
            }
        }
        plan
    }

    pub fn is_empty(&self) -> bool {
        self.metrics.is_empty()
    }

    fn agg(&mut self, agg: Agg) -> usize {
        let agg = match agg {
            Agg::Count(Cond::All, b) => Agg::Count(b, Cond::All),
            other => other,
        };
        match self.aggs.iter().position(|a| *a == agg) {
            Some(i) => i,
            None => {
                self.aggs.push(agg);
                self.aggs.len() - 1
            }
        }
    }

    fn formula(&mut self, m: &MetricDef) -> Formula {
        let filter = m.filter;
        match m.measure {
            Measure::Count => Formula::Count {
                value: self.agg(Agg::Count(filter, Cond::All)),
                n: self.agg(Agg::Count(Cond::All, Cond::All)),
            },
            Measure::Rate { of } => Formula::Ratio {
                num: self.agg(Agg::Count(filter, of)),
                den: self.agg(Agg::Count(filter, Cond::All)),
            },
            Measure::Duration { span, stat } => Formula::Hours {
                value: self.agg(Agg::Span(span, filter, stat)),
                n: self.agg(Agg::Count(filter, span.ended())),
            },
            Measure::Mean { column } => Formula::Mean {
                value: self.agg(Agg::MeanOf(column)),
                n: self.agg(Agg::Count(filter, Cond::Present(column))),
            },
            Measure::WithinWindow {
                span,
                window,
                settled,
            } => Formula::Ratio {
                num: self.agg(Agg::Within(span, window, settled, filter)),
                den: self.agg(Agg::Judged(span, window, settled, filter)),
            },
            Measure::Survival { span, p } => Formula::Survival {
                value: self.agg(Agg::Survival(span, filter, p)),
                n: self.agg(Agg::Count(filter, Cond::All)),
            },
            Measure::NetScore {
                column,
                promoter,
                detractor,
            } => Formula::Net {
                up: self.agg(Agg::Count(filter, Cond::Int(column, Cmp::Ge, promoter))),
                down: self.agg(Agg::Count(filter, Cond::Int(column, Cmp::Le, detractor))),
                n: self.agg(Agg::Count(filter, Cond::Present(column))),
            },
            Measure::ServiceIndex => unreachable!("the service index has no source"),
        }
    }

    /// The survival aggregates: `(index, span, filter, p)`, computed from samples.
    pub fn survivals(&self) -> impl Iterator<Item = (usize, &'static Span, Cond, f64)> + '_ {
        self.aggs.iter().enumerate().filter_map(|(i, a)| match *a {
            Agg::Survival(span, filter, p) => Some((i, span, filter, p)),
            _ => None,
        })
    }

    /// The aggregates, by index (the SQL backend writes the same ones).
    pub fn aggs(&self) -> &[Agg] {
        &self.aggs
    }

    pub fn width(&self) -> usize {
        self.aggs.len()
    }

    /// The aggregates of a group with no records: counts 0, statistics null.
    pub fn empty_row(&self) -> Vec<Option<f64>> {
        self.aggs
            .iter()
            .map(|a| {
                matches!(
                    a,
                    Agg::Count(..) | Agg::Within(..) | Agg::Judged(..) | Agg::Pending(..)
                )
                .then_some(0.0)
            })
            .collect()
    }

    /// Metric values from one row of aggregates. A metric that needs a source that
    /// was not given, or a column its export does not have, has no data.
    pub fn values(&self, row: &[Option<f64>], inputs: &Inputs) -> Vec<Value> {
        let g = |i: usize| row[i];
        let count = |i: usize| g(i).unwrap_or(0.0) as u64;
        let ratio = |a: Option<f64>, b: Option<f64>| match (a, b) {
            (Some(a), Some(b)) if b > 0.0 => Some(a / b),
            _ => None,
        };
        self.metrics
            .iter()
            .map(|&(metric, formula, pending)| {
                let (value, n) = match formula {
                    Formula::Count { value, n } => (g(value), count(n)),
                    Formula::Ratio { num, den } => (ratio(g(num), g(den)), count(den)),
                    Formula::Survival { value, n } => {
                        (g(value).map(|ms| ms / MS_PER_HOUR), count(n))
                    }
                    // Whole milliseconds, divided once (see `span_ms`).
                    Formula::Hours { value, n } => {
                        let per = if metric.unit == Unit::Days {
                            MS_PER_DAY as f64
                        } else {
                            MS_PER_HOUR
                        };
                        (
                            (count(n) > 0)
                                .then(|| g(value))
                                .flatten()
                                .map(|ms| ms / per),
                            count(n),
                        )
                    }
                    Formula::Mean { value, n } => {
                        ((count(n) > 0).then(|| g(value)).flatten(), count(n))
                    }
                    Formula::Net { up, down, n } => (
                        ratio(g(up).zip(g(down)).map(|(p, d)| 100.0 * (p - d)), g(n)),
                        count(n),
                    ),
                };
                let pending = pending.map(count);
                if inputs.can_compute(metric) {
                    Value {
                        metric,
                        value,
                        n,
                        pending,
                    }
                } else {
                    Value {
                        metric,
                        value: None,
                        n: 0,
                        pending: None,
                    }
                }
            })
            .collect()
    }
}

/// The polars predicate of a condition (null counts as false where it is used).
pub fn cond_expr(cond: &Cond) -> Expr {
    match *cond {
        Cond::All => lit(true),
        Cond::Present(c) => col(c).is_not_null(),
        Cond::Absent(c) => col(c).is_null(),
        Cond::Int(c, cmp, v) => match cmp {
            Cmp::Eq => col(c).eq(lit(v)),
            Cmp::Le => col(c).lt_eq(lit(v)),
            Cmp::Ge => col(c).gt_eq(lit(v)),
            Cmp::Gt => col(c).gt(lit(v)),
        },
        Cond::TextIn(c, values) => values
            .iter()
            .map(|v| codes::equals(c, v))
            .reduce(Expr::or)
            .unwrap_or(lit(false)),
        Cond::NotAfter(a, b) => elapsed_ms(a, col(b)).gt_eq(lit(0.0)),
        Cond::FollowedUp => col(super::followups::COLUMN).is_not_null(),
        Cond::Mentions(aspect) => col(super::mentions::column(aspect)),
        Cond::And(parts) => parts
            .iter()
            .map(cond_expr)
            .reduce(Expr::and)
            .unwrap_or(lit(true)),
    }
}

/// A span in milliseconds (null where it has not ended). Aggregates stay in whole
/// milliseconds and become hours only at the end, by one true division: polars may
/// turn a division by a literal into a multiplication by its reciprocal, which
/// makes exactly one hour 0.9999999999999999.
pub fn span_ms(span: &Span, ctx: &Context) -> Expr {
    match span.clock {
        Clock::Calendar => elapsed_ms(span.start, span_end_as_held(span, ctx)),
        _ => col(elapsed_column(span)).cast(DataType::Float64),
    }
}

/// Whether a ticket's SLA runs on business time: its priority is on that clock.
fn on_business_clock(window: Window, span: &Span, ctx: &Context) -> Option<(Expr, &'static Span)> {
    let twin = span.business?;
    if !matches!(window, Window::SlaResponse | Window::SlaResolution) || ctx.sla_business.is_empty()
    {
        return None;
    }
    let business = ctx
        .sla_business
        .iter()
        .map(|p| codes::equals("priority", p))
        .reduce(Expr::or)?;
    Some((business, twin))
}

/// A span in ms on the clock its window is judged on.
fn window_span_ms(span: &Span, window: Window, ctx: &Context) -> Expr {
    match on_business_clock(window, span, ctx) {
        Some((business, twin)) => when(business)
            .then(span_ms(twin, ctx))
            .otherwise(span_ms(span, ctx)),
        None => span_ms(span, ctx),
    }
}

/// A record's age at the as-of time on the clock its window is judged on.
fn window_age_ms(span: &Span, window: Window, ctx: &Context) -> Expr {
    match on_business_clock(window, span, ctx) {
        Some((business, twin)) => when(business)
            .then(age_ms(twin, ctx))
            .otherwise(age_ms(span, ctx)),
        None => age_ms(span, ctx),
    }
}

/// The instant a span ends, in UTC milliseconds (null where it has not).
pub fn span_end(span: &Span, ctx: &Context) -> Expr {
    match span.end {
        End::Column(c) => ms(c),
        End::Snapshot => lit(ctx.snapshot),
        End::FollowUp => ms(super::followups::COLUMN),
    }
}

/// [`span_end`] in the form its column is held in, for [`elapsed_ms`].
fn span_end_as_held(span: &Span, ctx: &Context) -> Expr {
    match span.end {
        End::Column(c) => col(c),
        End::Snapshot => lit(ctx.snapshot),
        End::FollowUp => col(super::followups::COLUMN),
    }
}

/// How many rows meet `condition`: a sum of the booleans themselves, bits where
/// a cohort is not split (a column of 0.0 and 1.0 was 8 bytes a row while it
/// was summed; split by a dimension, polars counts in 4 bytes a row).
fn count(condition: Expr) -> Expr {
    condition
        .fill_null(lit(false))
        .sum()
        .cast(DataType::Float64)
}

/// The window in milliseconds per record, compared with exact millisecond durations.
fn window_ms(window: Window, ctx: &Context) -> Expr {
    let ms = |hours: f64| lit(hours * MS_PER_HOUR);
    let by_priority = |hours: &SlaHours| {
        when(codes::equals("priority", "urgent"))
            .then(ms(hours.urgent))
            .when(codes::equals("priority", "high"))
            .then(ms(hours.high))
            .when(codes::equals("priority", "normal"))
            .then(ms(hours.normal))
            .otherwise(ms(hours.low))
    };
    match window {
        Window::SlaResponse => by_priority(&ctx.windows.sla),
        Window::Resolution => by_priority(&ctx.windows.resolution),
        Window::Return => ms(ctx.windows.return_days * 24.0),
        Window::FollowUp => ms(ctx.windows.followup_hours),
        Window::SlaResolution => by_priority(&ctx.windows.sla_resolution),
        Window::RefundSla => ms(ctx.windows.refund_sla_days * 24.0),
    }
}

/// Whether a record counts for a window rate at the as-of time.
fn judged(span: &Span, window: Window, settled: Settled, ctx: &Context) -> Expr {
    let passed = window_age_ms(span, window, ctx).gt(window_ms(window, ctx));
    match settled {
        Settled::EndedOrPassed => cond_expr(&span.ended()).or(passed),
        Settled::Passed => passed,
    }
}

/// The age of a record's span start at the as-of time, in milliseconds.
fn age_ms(span: &Span, ctx: &Context) -> Expr {
    match span.clock {
        Clock::Calendar => elapsed_ms(span.start, lit(ctx.as_of)),
        _ => col(age_column(span)).cast(DataType::Float64),
    }
}

/// A span in milliseconds where a record matches `filter`, else null.
fn filtered_span_ms(span: &Span, filter: Cond, ctx: &Context) -> Expr {
    match filter {
        Cond::All => span_ms(span, ctx),
        f => when(cond_expr(&f))
            .then(span_ms(span, ctx))
            .otherwise(lit(NULL).cast(DataType::Float64)),
    }
}

/// How an aggregate is computed over a cohort taken in parts of its rows
/// ([`super::parts`]), each part's expressions evaluated on the part alone.
pub enum Partial {
    /// A count (Float64): the parts' counts add up.
    Count(Expr),
    /// A mean: the sum of its values (whole numbers, summed exactly as Int64)
    /// and how many values there are (Float64); the cohort's mean is the sum
    /// of sums over the sum of counts, as polars divides its sum by its count.
    Mean { sum: Expr, n: Expr },
    /// A quantile needs every value at once: `values` are a part's (non-null),
    /// gathered into one vector.
    Quantile { values: Expr, p: f64 },
    /// Not a polars aggregate (a survival quantile, from samples).
    Samples,
}

impl Partial {
    pub fn of(agg: &Agg, ctx: &Context) -> Partial {
        let mean = |values: Expr| Partial::Mean {
            sum: values.clone().cast(DataType::Int64).sum(),
            n: count(values.is_not_null()),
        };
        match *agg {
            Agg::Span(span, filter, Stat::Mean) => mean(filtered_span_ms(span, filter, ctx)),
            Agg::Span(span, filter, Stat::Quantile(p)) => Partial::Quantile {
                values: filtered_span_ms(span, filter, ctx).drop_nulls(),
                p,
            },
            Agg::MeanOf(c) => mean(col(c)),
            Agg::Survival(..) => Partial::Samples,
            Agg::Count(..) | Agg::Within(..) | Agg::Judged(..) | Agg::Pending(..) => {
                Partial::Count(count_expr(agg, ctx).expect("a count is a polars aggregate"))
            }
        }
    }
}

/// A counting aggregate as a Float64 polars expression (None: not a count).
fn count_expr(agg: &Agg, ctx: &Context) -> Option<Expr> {
    let both = |a: &Cond, e: Expr| match a {
        Cond::All => e,
        a => cond_expr(a).and(e),
    };
    Some(match *agg {
        Agg::Count(Cond::All, Cond::All) => len().cast(DataType::Float64),
        Agg::Count(a, Cond::All) => count(cond_expr(&a)),
        Agg::Count(a, b) => count(cond_expr(&a).and(cond_expr(&b))),
        Agg::Within(span, window, settled, filter) => count(both(
            &filter,
            judged(span, window, settled, ctx)
                .and(cond_expr(&span.ended()))
                .and(window_span_ms(span, window, ctx).lt_eq(window_ms(window, ctx))),
        )),
        Agg::Judged(span, window, settled, filter) => {
            count(both(&filter, judged(span, window, settled, ctx)))
        }
        Agg::Pending(span, window, settled, filter) => {
            let open = window_age_ms(span, window, ctx).lt_eq(window_ms(window, ctx));
            count(both(
                &filter,
                match settled {
                    Settled::EndedOrPassed => cond_expr(&span.ended()).not().and(open),
                    Settled::Passed => open,
                },
            ))
        }
        Agg::Span(..) | Agg::MeanOf(_) | Agg::Survival(..) => return None,
    })
}
