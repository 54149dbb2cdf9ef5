//! Business hours and working days in SQL: the same columns `clock/derive.rs`
//! adds for polars (`<family>__ms`, `<family>__age`), from a calendar table svcq
//! writes from the schedules. Each row is one schedule's UTC day: the open time
//! before the day starts (`base`) and the day's open intervals, so the open time
//! before any instant t of the day is `base + Σ clamp(t − s, 0, e − s)` — the
//! timeline's own prefix sum — and a span's business time is the difference of
//! two such lookups, joined on (schedule, day).

use std::collections::BTreeMap;

use super::dialect::Dialect;
use crate::engine::catalogue::{End, Span, CLOCKED};
use crate::engine::clock::schedule::Timeline;
use crate::engine::clock::{age_column, elapsed_column, Clocks};
use crate::source::timestamp::MS_PER_DAY;
use crate::source::Source;

/// One schedule's UTC day: (schedule, day number, open time before it, its open
/// intervals).
type Day = (usize, i64, i64, Vec<(i64, i64)>);

/// The calendar of the schedules `source` uses over `[from, to]`: its CTE and
/// the open time before the as-of time per schedule.
pub struct Calendar {
    pub name: String,
    pub sql: String,
    slots: usize,
    at_as_of: BTreeMap<usize, i64>,
}

/// Which schedule each record runs on, as SQL over the base view `t` (None:
/// the source has no schedule, and its clocked columns are null).
pub fn schedule_of(dialect: Dialect, source: Source, clocks: &Clocks) -> Option<String> {
    match source {
        Source::Tickets => {
            let default = clocks.tickets?;
            // The first matching rule wins.
            let mut cases = String::new();
            for (segment, schedule) in &clocks.rules {
                let tests: Vec<String> = segment
                    .iter()
                    .map(|(dim, value)| {
                        format!("t.{} = {}", dialect.ident(dim), dialect.text(value))
                    })
                    .collect();
                let test = if tests.is_empty() {
                    "TRUE".to_string()
                } else {
                    tests.join(" AND ")
                };
                cases.push_str(&format!(" WHEN {test} THEN {schedule}"));
            }
            Some(if cases.is_empty() {
                default.to_string()
            } else {
                format!("(CASE{cases} ELSE {default} END)")
            })
        }
        Source::Shipments => clocks.working_days.map(|w| w.to_string()),
        Source::Reviews => None,
    }
}

/// The schedules a source's records can run on.
fn schedules_of(source: Source, clocks: &Clocks) -> Vec<usize> {
    let mut out: Vec<usize> = match source {
        Source::Tickets => clocks
            .tickets
            .into_iter()
            .chain(clocks.rules.iter().map(|(_, s)| *s))
            .collect(),
        Source::Shipments => clocks.working_days.into_iter().collect(),
        Source::Reviews => Vec::new(),
    };
    out.sort_unstable();
    out.dedup();
    out
}

impl Calendar {
    /// Days of every schedule of `source` covering `[from, to]` (UTC ms).
    pub fn new(
        dialect: Dialect,
        source: Source,
        clocks: &Clocks,
        from: i64,
        to: i64,
        as_of: i64,
    ) -> Option<Calendar> {
        let schedules = schedules_of(source, clocks);
        if schedules.is_empty() {
            return None;
        }
        let (first, last) = (
            from.div_euclid(MS_PER_DAY),
            to.max(as_of).div_euclid(MS_PER_DAY),
        );
        let mut days: Vec<Day> = Vec::new();
        let mut at_as_of = BTreeMap::new();
        for &s in &schedules {
            let timeline = Timeline::new(
                &clocks.schedules[s],
                first * MS_PER_DAY,
                (last + 1) * MS_PER_DAY,
            );
            at_as_of.insert(s, timeline.open_until(as_of));
            for day in first..=last {
                let (a, b) = (day * MS_PER_DAY, (day + 1) * MS_PER_DAY);
                days.push((s, day, timeline.open_until(a), timeline.intervals(a, b)));
            }
        }
        let slots = days.iter().map(|d| d.3.len()).max().unwrap_or(0).max(1);
        let mut names = vec!["sched".to_string(), "day".to_string(), "base".to_string()];
        for k in 0..slots {
            names.push(format!("s{k}"));
            names.push(format!("e{k}"));
        }
        let rows: Vec<String> = days
            .iter()
            .map(|(s, day, base, intervals)| {
                let mut values = vec![s.to_string(), day.to_string(), base.to_string()];
                for k in 0..slots {
                    let (a, b) = intervals.get(k).copied().unwrap_or((0, 0));
                    values.push(a.to_string());
                    values.push(b.to_string());
                }
                format!("({})", values.join(", "))
            })
            .collect();
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        Some(Calendar {
            name: Self::name(source),
            sql: format!("SELECT * FROM {}", dialect.values(&rows, &names)),
            slots,
            at_as_of,
        })
    }

    fn name(source: Source) -> String {
        format!("svcq_calendar_{}", source.name())
    }

    /// Open time before `t` (a column of `v`), through the calendar row `b`.
    fn open_until(&self, b: &str, t: &str) -> String {
        let mut sum = format!("{b}.base");
        for k in 0..self.slots {
            sum.push_str(&format!(
                " + greatest(0, least(v.{t}, {b}.e{k}) - {b}.s{k})"
            ));
        }
        sum
    }

    /// The view `svcq_<source>` over `svcq_<source>_base` with the clocked
    /// columns; a timestamp outside the calendar is an error, never a null.
    pub fn view(&self, dialect: Dialect, source: Source, schedule: &str, as_of: i64) -> String {
        let spans: Vec<&Span> = clocked(source);
        let mut columns: Vec<&str> = Vec::new();
        for span in &spans {
            columns.push(span.start);
            if let End::Column(c) = span.end {
                columns.push(c);
            }
        }
        columns.sort_unstable();
        columns.dedup();
        let day = |c: &str| {
            format!(
                "CAST(floor(v.{c} / {}) AS BIGINT)",
                super::expr::num(MS_PER_DAY as f64)
            )
        };
        let joins: Vec<String> = columns
            .iter()
            .map(|c| {
                format!(
                    " LEFT JOIN {cal} b_{c} ON b_{c}.sched = v.svcq_schedule AND b_{c}.day = {d}",
                    cal = Self::name(source),
                    d = day(c)
                )
            })
            .collect();
        let outside: Vec<String> = columns
            .iter()
            .map(|c| format!("(v.{c} IS NOT NULL AND b_{c}.day IS NULL)"))
            .collect();
        let at_as_of = {
            let cases: String = self
                .at_as_of
                .iter()
                .map(|(s, open)| format!(" WHEN {s} THEN {open}"))
                .collect();
            format!("(CASE v.svcq_schedule{cases} END)")
        };
        let mut derived = Vec::new();
        for span in &spans {
            let End::Column(end) = span.end else { continue };
            let start = span.start;
            derived.push(format!(
                "CASE WHEN v.{start} IS NULL OR v.{end} IS NULL THEN NULL WHEN v.{end} <= v.{start} THEN 0 \
                 ELSE ({}) - ({}) END AS {}",
                self.open_until(&format!("b_{end}"), end),
                self.open_until(&format!("b_{start}"), start),
                elapsed_column(span)
            ));
            derived.push(format!(
                "CASE WHEN v.{start} IS NULL THEN NULL WHEN {as_of} <= v.{start} THEN 0 ELSE {at_as_of} - ({}) END AS {}",
                self.open_until(&format!("b_{start}"), start),
                age_column(span)
            ));
        }
        format!(
            "SELECT v.*, {} FROM (SELECT t.*, {schedule} AS svcq_schedule FROM svcq_{s}_base t) v{} WHERE {} IS NULL",
            derived.join(", "),
            joins.concat(),
            format_args!(
                "(CASE WHEN {} THEN {} END)",
                outside.join(" OR "),
                dialect.raise("svcq: a timestamp outside the business calendar svcq wrote (give --as-of, or report an svcq bug)")
            ),
            s = source.name()
        )
    }
}

/// The clocked spans of a source that end on a column.
pub fn clocked(source: Source) -> Vec<&'static Span> {
    CLOCKED
        .iter()
        .copied()
        .filter(|s| s.source == source && matches!(s.end, End::Column(_)))
        .collect()
}

/// The clocked columns as nulls, for a source without a schedule.
pub fn null_columns(source: Source) -> String {
    let columns: Vec<String> = clocked(source)
        .iter()
        .flat_map(|s| [elapsed_column(s), age_column(s)])
        .map(|c| format!("CAST(NULL AS BIGINT) AS {c}"))
        .collect();
    if columns.is_empty() {
        format!("SELECT * FROM svcq_{}_base", source.name())
    } else {
        format!(
            "SELECT b.*, {} FROM svcq_{}_base b",
            columns.join(", "),
            source.name()
        )
    }
}
