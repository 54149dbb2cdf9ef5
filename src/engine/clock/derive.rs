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
use crate::source::Source;

pub fn elapsed_column(span: &Span) -> String {
    format!("{}__ms", span.family)
}

pub fn age_column(span: &Span) -> String {
    format!("{}__age", span.family)
}

/// Which schedule each record runs on (an index into `clocks.schedules`).
fn schedule_of_rows(frame: &DataFrame, source: Source, clocks: &Clocks) -> Option<Vec<usize>> {
    match source {
        Source::Tickets => {
            let default = clocks.tickets?;
            let mut rows = vec![default; frame.height()];
            // The first matching rule wins: apply them last to first.
            for (segment, schedule) in clocks.rules.iter().rev() {
                let mut matches = vec![true; frame.height()];
                for (dim, value) in segment {
                    let column = frame.column(dim).ok().and_then(|c| c.str().ok().cloned());
                    for (i, m) in matches.iter_mut().enumerate() {
                        *m &= column
                            .as_ref()
                            .is_some_and(|c| c.get(i) == Some(value.as_str()));
                    }
                }
                for (row, m) in rows.iter_mut().zip(matches) {
                    if m {
                        *row = *schedule;
                    }
                }
            }
            Some(rows)
        }
        Source::Shipments => clocks.working_days.map(|w| vec![w; frame.height()]),
        Source::Reviews => None,
    }
}

fn ints(frame: &DataFrame, name: &str) -> Option<Vec<Option<i64>>> {
    let column = frame.column(name).ok()?.i64().ok()?.clone();
    Some(column.iter().collect())
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
        let rows = schedule_of_rows(frame, source, clocks);
        let mut added = Vec::new();
        for span in spans {
            debug_assert_ne!(span.clock, Clock::Calendar);
            let end_name = match span.end {
                End::Column(c) => Some(c),
                _ => None,
            };
            let columns = end_name.and_then(|e| Some((ints(frame, span.start)?, ints(frame, e)?)));
            let (Some(rows), Some((start, end))) = (&rows, columns) else {
                let empty = vec![None::<i64>; frame.height()];
                added.push(Column::new(elapsed_column(span).into(), empty.clone()));
                added.push(Column::new(age_column(span).into(), empty));
                continue;
            };
            let lo = start.iter().flatten().min().copied().unwrap_or(as_of);
            let hi = end
                .iter()
                .flatten()
                .max()
                .copied()
                .unwrap_or(as_of)
                .max(as_of);
            let mut timelines: BTreeMap<usize, Timeline> = BTreeMap::new();
            for &s in rows {
                timelines
                    .entry(s)
                    .or_insert_with(|| Timeline::new(&clocks.schedules[s], lo, hi));
            }
            let mut elapsed = Vec::with_capacity(rows.len());
            let mut age = Vec::with_capacity(rows.len());
            for ((&s, a), b) in rows.iter().zip(&start).zip(&end) {
                let timeline = &timelines[&s];
                elapsed.push(a.zip(*b).map(|(a, b)| timeline.elapsed(a, b)));
                age.push(a.map(|a| timeline.elapsed(a, as_of)));
            }
            added.push(Column::new(elapsed_column(span).into(), elapsed));
            added.push(Column::new(age_column(span).into(), age));
        }
        for column in added {
            frame.with_column(column)?;
        }
    }
    Ok(())
}
