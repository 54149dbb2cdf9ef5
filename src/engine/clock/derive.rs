//! The business-time and working-day columns the engine aggregates: per record,
//! the open time of its schedule between a span's start and end (`<family>__ms`)
//! and between its start and the as-of time (`<family>__age`, for pending and
//! judged records). Computed once per engine from the timelines' prefix sums.

use std::collections::BTreeMap;

use anyhow::Result;
use polars::prelude::*;

use super::schedule::Timeline;
use super::Clocks;
use crate::engine::catalogue::{Clock, End, Span, CLOCKED};
use crate::source::times::Times;
use crate::source::{codes, Source};

pub fn elapsed_column(span: &Span) -> String {
    format!("{}__ms", span.family)
}

pub fn age_column(span: &Span) -> String {
    format!("{}__age", span.family)
}

/// Which schedule each record runs on (an index into `clocks.schedules`).
fn schedule_of_rows(
    frame: &DataFrame,
    source: Source,
    clocks: &Clocks,
) -> Result<Option<Vec<u16>>> {
    let rows = frame.height();
    Ok(match source {
        Source::Tickets => {
            let Some(default) = clocks.tickets else {
                return Ok(None);
            };
            let mut out = vec![default as u16; rows];
            // The first matching rule wins: apply them last to first.
            for (segment, schedule) in clocks.rules.iter().rev() {
                // On the column's codes where it is coded (a priority): its
                // text would match nothing.
                let mut matches = lit(true);
                for (dim, value) in segment {
                    matches = match frame.column(dim) {
                        Ok(_) => matches.and(codes::equals(dim, value).fill_null(lit(false))),
                        Err(_) => lit(false),
                    };
                }
                let matches = frame
                    .clone()
                    .lazy()
                    .select([matches.alias("matches")])
                    .collect()?;
                let matches = matches.column("matches")?.bool()?;
                // A rule of no column the frame has is one value, not one a row.
                let matches = match matches.len() == rows {
                    true => matches.clone(),
                    false => matches.new_from_index(0, rows),
                };
                for (row, m) in out.iter_mut().zip(matches.iter()) {
                    if m == Some(true) {
                        *row = *schedule as u16;
                    }
                }
            }
            Some(out)
        }
        Source::Shipments => clocks.working_days.map(|w| vec![w as u16; rows]),
        Source::Reviews => None,
    })
}

/// A column's values, `None` as `i64::MIN`.
fn ints(frame: &DataFrame, name: &str) -> Option<Vec<i64>> {
    let times = Times::of(frame.column(name).ok()?).ok()?;
    Some(times.iter().map(|v| v.unwrap_or(i64::MIN)).collect())
}

/// Per row: the open time of its span, and of its age at the as-of time (ms).
type Clocked = (Vec<Option<i64>>, Vec<Option<i64>>);

/// `(elapsed, age)` of each row in ms, split across the cores.
fn clocked(
    rows: &[u16],
    start: &[i64],
    end: &[i64],
    timelines: &[Option<Timeline>],
    as_of: i64,
) -> Clocked {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunk = rows.len().div_ceil(threads).max(1 << 16);
    let parts: Vec<Clocked> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..rows.len())
            .step_by(chunk)
            .map(|from| {
                let to = (from + chunk).min(rows.len());
                scope.spawn(move || {
                    let mut elapsed = Vec::with_capacity(to - from);
                    let mut age = Vec::with_capacity(to - from);
                    for i in from..to {
                        let timeline = timelines[rows[i] as usize]
                            .as_ref()
                            .expect("a timeline for every schedule in use");
                        let (a, b) = (start[i], end[i]);
                        let known = |t: i64| t != i64::MIN;
                        elapsed.push((known(a) && known(b)).then(|| timeline.elapsed(a, b)));
                        age.push(known(a).then(|| timeline.elapsed(a, as_of)));
                    }
                    (elapsed, age)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a clock thread does not panic"))
            .collect()
    });
    let mut elapsed = Vec::with_capacity(rows.len());
    let mut age = Vec::with_capacity(rows.len());
    for (e, a) in parts {
        elapsed.extend(e);
        age.extend(a);
    }
    (elapsed, age)
}

/// Adds the columns of every clocked span of each source. Without a schedule (or
/// the span's columns) they are empty: the metrics reading them have no data.
pub fn add_clock_columns(
    frames: &mut BTreeMap<Source, DataFrame>,
    clocks: &Clocks,
    as_of: i64,
) -> Result<()> {
    for (&source, frame) in frames.iter_mut() {
        let spans: Vec<&Span> = CLOCKED
            .iter()
            .copied()
            .filter(|s| s.source == source)
            .collect();
        let rows = schedule_of_rows(frame, source, clocks)?;
        let mut added = Vec::new();
        for span in spans {
            debug_assert_ne!(span.clock, Clock::Calendar);
            let end_name = match span.end {
                End::Column(c) => Some(c),
                _ => None,
            };
            // Read only where a schedule applies: each is a column of i64 per row.
            let columns = match (&rows, end_name) {
                (Some(_), Some(e)) => ints(frame, span.start).zip(ints(frame, e)),
                _ => None,
            };
            let (Some(rows), Some((start, end))) = (&rows, columns) else {
                // One null scalar each, not a column of nulls per row.
                let height = frame.height();
                for name in [elapsed_column(span), age_column(span)] {
                    added.push(Column::full_null(name.into(), height, &DataType::Int64));
                }
                continue;
            };
            let known = |v: &&i64| **v != i64::MIN;
            let lo = start.iter().filter(known).min().copied().unwrap_or(as_of);
            let hi = end
                .iter()
                .filter(known)
                .max()
                .copied()
                .unwrap_or(as_of)
                .max(as_of);
            let mut timelines: Vec<Option<Timeline>> = vec![None; clocks.schedules.len()];
            for &s in rows.iter() {
                let slot = &mut timelines[s as usize];
                if slot.is_none() {
                    *slot = Some(Timeline::new(&clocks.schedules[s as usize], lo, hi));
                }
            }
            let (elapsed, age) = clocked(rows, &start, &end, &timelines, as_of);
            added.push(Column::new(elapsed_column(span).into(), elapsed));
            added.push(Column::new(age_column(span).into(), age));
        }
        for column in added {
            frame.with_column(column)?;
        }
    }
    Ok(())
}
