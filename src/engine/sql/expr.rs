//! Catalogue declarations as SQL expressions: the same conditions, spans, windows
//! and aggregates as `aggregate.rs` writes for polars, over a record `r` joined
//! with its period `p` (`p.snapshot` is the moment an open-at-end cohort is looked
//! at). Null semantics match: a comparison with a missing value is null, and a
//! count takes null as false.

use super::dialect::Dialect;
use crate::engine::aggregate::Agg;
use crate::engine::catalogue::{Clock, Cmp, Cond, End, Settled, Span, Stat, Window};
use crate::engine::clock::{age_column, elapsed_column};
use crate::engine::followups;
use crate::engine::mentions;
use crate::engine::targets::{SlaHours, Windows};
use crate::source::timestamp::MS_PER_HOUR;

/// What the expressions need besides the records.
pub struct Ctx<'a> {
    pub dialect: Dialect,
    pub windows: &'a Windows,
    /// The priorities whose SLA runs on business time (`[sla] clock`).
    pub sla_business: &'a [&'static str],
    pub as_of: i64,
}

/// A double constant (a bare `1.5` is a DECIMAL in Spark SQL).
pub fn num(v: f64) -> String {
    format!("CAST({v:?} AS DOUBLE)")
}

fn column(name: &str) -> String {
    format!("r.{name}")
}

impl Ctx<'_> {
    /// The predicate of a condition (null where polars' is null).
    pub fn cond(&self, cond: &Cond) -> String {
        match *cond {
            Cond::All => "TRUE".into(),
            Cond::Present(c) => format!("({} IS NOT NULL)", column(c)),
            Cond::Absent(c) => format!("({} IS NULL)", column(c)),
            Cond::Int(c, cmp, v) => {
                let op = match cmp {
                    Cmp::Eq => "=",
                    Cmp::Le => "<=",
                    Cmp::Ge => ">=",
                    Cmp::Gt => ">",
                };
                format!("({} {op} {v})", column(c))
            }
            Cond::TextIn(c, values) => {
                let list: Vec<String> = values.iter().map(|v| self.dialect.text(v)).collect();
                format!("({} IN ({}))", column(c), list.join(", "))
            }
            Cond::NotAfter(a, b) => format!("({} <= {})", column(a), column(b)),
            Cond::FollowedUp => format!("({} IS NOT NULL)", column(followups::COLUMN)),
            Cond::Mentions(aspect) => column(&mentions::column(aspect)),
            Cond::And(parts) => {
                let parts: Vec<String> = parts.iter().map(|p| self.cond(p)).collect();
                format!("({})", parts.join(" AND "))
            }
        }
    }

    /// A count of the records where the predicate holds.
    fn count(&self, predicate: &str) -> String {
        format!("CAST(sum(CASE WHEN {predicate} THEN 1 ELSE 0 END) AS DOUBLE)")
    }

    /// The instant a span ends, in UTC milliseconds (null where it has not).
    pub fn span_end(&self, span: &Span) -> String {
        match span.end {
            End::Column(c) => column(c),
            End::Snapshot => "p.snapshot".into(),
            End::FollowUp => column(followups::COLUMN),
        }
    }

    /// A span in milliseconds; on a schedule's clock, the view's clocked column.
    pub fn span_ms(&self, span: &Span) -> String {
        match span.clock {
            Clock::Calendar => format!(
                "CAST({} - {} AS DOUBLE)",
                self.span_end(span),
                column(span.start)
            ),
            _ => format!("CAST({} AS DOUBLE)", column(&elapsed_column(span))),
        }
    }

    fn age_ms(&self, span: &Span) -> String {
        match span.clock {
            Clock::Calendar => format!("CAST({} - {} AS DOUBLE)", self.as_of, column(span.start)),
            _ => format!("CAST({} AS DOUBLE)", column(&age_column(span))),
        }
    }

    /// Whether a ticket's SLA runs on business time: its priority is on that clock.
    fn on_business_clock(&self, window: Window, span: &Span) -> Option<(String, &'static Span)> {
        let twin = span.business?;
        if !matches!(window, Window::SlaResponse | Window::SlaResolution)
            || self.sla_business.is_empty()
        {
            return None;
        }
        let list: Vec<String> = self
            .sla_business
            .iter()
            .map(|p| self.dialect.text(p))
            .collect();
        Some((format!("(r.priority IN ({}))", list.join(", ")), twin))
    }

    /// `measure` of the span on the clock its window is judged on: the business
    /// twin for priorities whose SLA runs on business time.
    fn on_window_clock(
        &self,
        span: &Span,
        window: Window,
        measure: impl Fn(&Span) -> String,
    ) -> String {
        match self.on_business_clock(window, span) {
            Some((business, twin)) => format!(
                "(CASE WHEN {business} THEN {} ELSE {} END)",
                measure(twin),
                measure(span)
            ),
            None => measure(span),
        }
    }

    /// A span in ms on the clock its window is judged on.
    fn window_span_ms(&self, span: &Span, window: Window) -> String {
        self.on_window_clock(span, window, |s| self.span_ms(s))
    }

    /// A record's age at the as-of time on the clock its window is judged on.
    fn window_age_ms(&self, span: &Span, window: Window) -> String {
        self.on_window_clock(span, window, |s| self.age_ms(s))
    }

    fn window_ms(&self, window: Window) -> String {
        let ms = |hours: f64| num(hours * MS_PER_HOUR);
        let by_priority = |h: &SlaHours| {
            format!(
                "(CASE WHEN r.priority = 'urgent' THEN {} WHEN r.priority = 'high' THEN {} WHEN r.priority = 'normal' THEN {} ELSE {} END)",
                ms(h.urgent),
                ms(h.high),
                ms(h.normal),
                ms(h.low)
            )
        };
        let w = self.windows;
        match window {
            Window::SlaResponse => by_priority(&w.sla),
            Window::Resolution => by_priority(&w.resolution),
            Window::Return => ms(w.return_days * 24.0),
            Window::FollowUp => ms(w.followup_hours),
            Window::SlaResolution => by_priority(&w.sla_resolution),
            Window::RefundSla => ms(w.refund_sla_days * 24.0),
        }
    }

    fn judged(&self, span: &Span, window: Window, settled: Settled) -> String {
        let passed = format!(
            "({} > {})",
            self.window_age_ms(span, window),
            self.window_ms(window)
        );
        match settled {
            Settled::EndedOrPassed => format!("({} OR {passed})", self.cond(&span.ended())),
            Settled::Passed => passed,
        }
    }

    /// The aggregate (a DOUBLE), or None for a survival quantile (see `survival`).
    pub fn agg(&self, agg: &Agg) -> Option<String> {
        let both = |a: &Cond, e: String| match a {
            Cond::All => e,
            a => format!("({} AND {e})", self.cond(a)),
        };
        Some(match *agg {
            Agg::Count(Cond::All, Cond::All) => "CAST(count(*) AS DOUBLE)".into(),
            Agg::Count(a, Cond::All) => self.count(&self.cond(&a)),
            Agg::Count(a, b) => self.count(&format!("({} AND {})", self.cond(&a), self.cond(&b))),
            Agg::Span(span, filter, stat) => {
                let ms = match filter {
                    Cond::All => self.span_ms(span),
                    f => format!(
                        "(CASE WHEN {} THEN {} END)",
                        self.cond(&f),
                        self.span_ms(span)
                    ),
                };
                match stat {
                    Stat::Mean => format!("avg({ms})"),
                    Stat::Quantile(p) => self.dialect.quantile(&ms, p),
                }
            }
            Agg::MeanOf(c) => format!("avg(CAST({} AS DOUBLE))", column(c)),
            Agg::Within(span, window, settled, filter) => self.count(&both(
                &filter,
                format!(
                    "({} AND {} AND {} <= {})",
                    self.judged(span, window, settled),
                    self.cond(&span.ended()),
                    self.window_span_ms(span, window),
                    self.window_ms(window)
                ),
            )),
            Agg::Judged(span, window, settled, filter) => {
                self.count(&both(&filter, self.judged(span, window, settled)))
            }
            Agg::Pending(span, window, settled, filter) => {
                let open = format!(
                    "({} <= {})",
                    self.window_age_ms(span, window),
                    self.window_ms(window)
                );
                self.count(&both(
                    &filter,
                    match settled {
                        Settled::EndedOrPassed => {
                            format!("(NOT {} AND {open})", self.cond(&span.ended()))
                        }
                        Settled::Passed => open,
                    },
                ))
            }
            Agg::Survival(..) => return None,
        })
    }

    /// The Kaplan–Meier `p` quantile in ms per (job, grp), over `samples` rows of
    /// (job, grp, t, e): the duration (or the age at the as-of time, censored, e =
    /// 0). As in `survival.rs`: at each duration with events, the estimate is
    /// multiplied by (at risk − events) / at risk, where a record censored at t is
    /// at risk at t; the quantile is the first duration where the estimate is
    /// ≤ 1 − p (within 1e-12). The running product is a running sum of logs, with
    /// the factor 0 counted apart.
    pub fn survival(&self, samples: &str, p: f64) -> String {
        let threshold = num(1.0 - p + 1e-12);
        let upto = "ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW";
        format!(
            "SELECT job, grp, min(CASE WHEN d > 0 AND (zeros > 0 OR exp(log_s) <= {threshold}) THEN t END) AS v FROM (\
             SELECT job, grp, t, d, \
             sum(CASE WHEN d > 0 AND at_risk = d THEN 1 ELSE 0 END) OVER (PARTITION BY job, grp ORDER BY t {upto}) AS zeros, \
             sum(CASE WHEN d > 0 AND at_risk > d THEN ln((at_risk - d) / at_risk) ELSE CAST(0 AS DOUBLE) END) OVER (PARTITION BY job, grp ORDER BY t {upto}) AS log_s \
             FROM (SELECT job, grp, t, d, sum(c) OVER (PARTITION BY job, grp ORDER BY t DESC {upto}) AS at_risk \
             FROM (SELECT job, grp, t, CAST(sum(e) AS DOUBLE) AS d, CAST(count(*) AS DOUBLE) AS c FROM ({samples}) s GROUP BY job, grp, t) x) y) z \
             GROUP BY job, grp"
        )
    }

    /// The rows (job, grp, t, e) behind a survival quantile of `span` over the
    /// records matching `filter`; `from` joins the records with their period.
    pub fn survival_samples(&self, span: &Span, filter: &Cond, from: &str, grp: &str) -> String {
        let ended = self.cond(&span.ended());
        let start = column(span.start);
        format!(
            "SELECT p.job AS job, {grp} AS grp, \
             CASE WHEN {ended} THEN {end} - {start} ELSE {as_of} - {start} END AS t, \
             CASE WHEN {ended} THEN 1 ELSE 0 END AS e {from} AND COALESCE({filter}, FALSE) AND {start} IS NOT NULL",
            end = self.span_end(span),
            as_of = self.as_of,
            filter = self.cond(filter),
        )
    }
}
