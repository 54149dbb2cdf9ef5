//! From catalogue declarations to polars aggregates, and from one row of
//! aggregates back to metric values. Metrics that share an aggregate (every rate
//! over the same denominator, the three statistics of a duration family) compute
//! it once.

use polars::prelude::*;

use super::catalogue::{Cmp, Cohort, Cond, End, Measure, MetricDef, Span, Stat, Window, METRICS};
use super::targets::SlaHours;
use crate::source::timestamp::MS_PER_HOUR;
use crate::source::Source;

/// What the expressions need besides the records.
pub struct Context<'a> {
    pub sla: &'a SlaHours,
    pub as_of: i64,
    /// The moment an open-at-end cohort is looked at.
    pub snapshot: i64,
}

/// One aggregate over a cohort.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Agg {
    /// Records matching both conditions.
    Count(Cond, Cond),
    /// A statistic of a span in milliseconds, over the records matching the filter.
    Span(&'static Span, Cond, Stat),
    MeanOf(&'static str),
    /// Spans ended within the window.
    Within(&'static Span, Window),
    /// Records judged against the window: ended, or older than it at the as-of time.
    Judged(&'static Span, Window),
}

/// How a metric's value comes from the aggregates (by index).
#[derive(Debug, Clone, Copy)]
enum Formula {
    Count { value: usize, n: usize },
    Ratio { num: usize, den: usize },
    Hours { value: usize, n: usize },
    Mean { value: usize, n: usize },
    Net { up: usize, down: usize, n: usize },
}

/// The aggregates of one source's metrics over one kind of cohort.
pub struct Plan {
    aggs: Vec<Agg>,
    metrics: Vec<(&'static MetricDef, Formula)>,
}

/// One computed value before targets are attached.
pub struct Value {
    pub metric: &'static MetricDef,
    pub value: Option<f64>,
    pub n: u64,
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
                plan.metrics.push((m, formula));
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
            Measure::WithinWindow { span, window } => Formula::Ratio {
                num: self.agg(Agg::Within(span, window)),
                den: self.agg(Agg::Judged(span, window)),
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

    /// The aggregates as Float64 expressions named `a0`, `a1`, …
    pub fn exprs(&self, ctx: &Context) -> Vec<Expr> {
        self.aggs
            .iter()
            .enumerate()
            .map(|(i, agg)| agg_expr(agg, ctx).alias(format!("a{i}")))
            .collect()
    }

    pub fn width(&self) -> usize {
        self.aggs.len()
    }

    /// The aggregates of a group with no records: counts 0, statistics null.
    pub fn empty_row(&self) -> Vec<Option<f64>> {
        self.aggs
            .iter()
            .map(|a| matches!(a, Agg::Count(..) | Agg::Within(..) | Agg::Judged(..)).then_some(0.0))
            .collect()
    }

    /// Metric values from one row of aggregates. `present` says which sources were
    /// given: a metric that needs a missing one has no data.
    pub fn values(&self, row: &[Option<f64>], present: impl Fn(Source) -> bool) -> Vec<Value> {
        let g = |i: usize| row[i];
        let count = |i: usize| g(i).unwrap_or(0.0) as u64;
        let ratio = |a: Option<f64>, b: Option<f64>| match (a, b) {
            (Some(a), Some(b)) if b > 0.0 => Some(a / b),
            _ => None,
        };
        self.metrics
            .iter()
            .map(|&(metric, formula)| {
                let (value, n) = match formula {
                    Formula::Count { value, n } => (g(value), count(n)),
                    Formula::Ratio { num, den } => (ratio(g(num), g(den)), count(den)),
                    // Whole milliseconds, divided once (see `span_ms`).
                    Formula::Hours { value, n } => (
                        (count(n) > 0)
                            .then(|| g(value))
                            .flatten()
                            .map(|ms| ms / MS_PER_HOUR),
                        count(n),
                    ),
                    Formula::Mean { value, n } => {
                        ((count(n) > 0).then(|| g(value)).flatten(), count(n))
                    }
                    Formula::Net { up, down, n } => (
                        ratio(g(up).zip(g(down)).map(|(p, d)| 100.0 * (p - d)), g(n)),
                        count(n),
                    ),
                };
                match metric.requires() {
                    Some(s) if !present(s) => Value {
                        metric,
                        value: None,
                        n: 0,
                    },
                    _ => Value { metric, value, n },
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
            .map(|v| col(c).eq(lit(*v)))
            .reduce(Expr::or)
            .unwrap_or(lit(false)),
        Cond::NotAfter(a, b) => col(a).lt_eq(col(b)),
        Cond::FollowedUp => col(super::followups::COLUMN),
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
    let end = match span.end {
        End::Column(c) => col(c),
        End::Snapshot => lit(ctx.snapshot),
    };
    (end - col(span.start)).cast(DataType::Float64)
}

fn count(condition: Expr) -> Expr {
    condition
        .fill_null(lit(false))
        .cast(DataType::Float64)
        .sum()
}

/// The window in milliseconds per record, compared with exact millisecond durations.
fn window_ms(window: Window, ctx: &Context) -> Expr {
    match window {
        Window::SlaResponse => {
            let ms = |hours: f64| lit(hours * MS_PER_HOUR);
            let sla = ctx.sla;
            when(col("priority").eq(lit("urgent")))
                .then(ms(sla.urgent))
                .when(col("priority").eq(lit("high")))
                .then(ms(sla.high))
                .when(col("priority").eq(lit("normal")))
                .then(ms(sla.normal))
                .otherwise(ms(sla.low))
        }
    }
}

fn agg_expr(agg: &Agg, ctx: &Context) -> Expr {
    match *agg {
        Agg::Count(Cond::All, Cond::All) => len().cast(DataType::Float64),
        Agg::Count(a, Cond::All) => count(cond_expr(&a)),
        Agg::Count(a, b) => count(cond_expr(&a).and(cond_expr(&b))),
        Agg::Span(span, filter, stat) => {
            let ms = match filter {
                Cond::All => span_ms(span, ctx),
                f => when(cond_expr(&f))
                    .then(span_ms(span, ctx))
                    .otherwise(lit(NULL).cast(DataType::Float64)),
            };
            match stat {
                Stat::Mean => ms.mean(),
                Stat::Quantile(p) => ms.quantile(lit(p), QuantileMethod::Linear),
            }
        }
        Agg::MeanOf(c) => col(c).cast(DataType::Float64).mean(),
        Agg::Within(span, window) => {
            count(cond_expr(&span.ended()).and(span_ms(span, ctx).lt_eq(window_ms(window, ctx))))
        }
        Agg::Judged(span, window) => {
            let age = (lit(ctx.as_of) - col(span.start)).cast(DataType::Float64);
            count(cond_expr(&span.ended()).or(age.gt(window_ms(window, ctx))))
        }
    }
}
