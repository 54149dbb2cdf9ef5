//! The engine: the one place where KPIs are computed, from the declarations of the
//! metric catalogue (docs/metrics.md). It takes validated frames from the source
//! layer and returns the result model; report, check, chart and HTML only render
//! what it returns.

pub mod aggregate;
pub mod catalogue;
mod cells;
pub mod clock;
pub mod complaints;
mod followups;
pub mod format;
pub mod gate;
mod index;
mod mentions;
pub mod model;
mod parts;
pub mod period;
pub mod query;
pub mod sql;
mod survival;
pub mod targets;
mod windows;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use anyhow::{bail, Result};
use chrono_tz::Tz;
use polars::prelude::*;

use aggregate::{Context, Inputs};
use catalogue::{Clock, Cmp, Cond, Measure, METRICS};
use clock::Clocks;
use model::{Group, MetricRow, Report};
use period::{Period, PeriodSpec};
pub use query::{Answer, FieldCounts, Query, ReportOptions, Split};
use targets::{Status, Targets, Windows};

use crate::source::load::{Dataset, Keep, LinkCodes, TextMentions};
use crate::source::times::{self, max_millis, Order};
use crate::source::timestamp::{format_utc, parse_timestamp};
use crate::source::{Kind, Moment, Source};
use crate::text::Lexicon;

/// The columns each source's metrics read (their declarations and the follow-up
/// join), plus `extra` fields (a split, a segment target's dimensions, a chart's
/// field). Readers leave every other column out. Unless `extra` shows the review
/// text, a CSV reader keeps it only as what each negative review mentions
/// (`lexicon`'s aspects): all the metrics read of it.
pub fn columns_needed<'a>(extra: impl IntoIterator<Item = &'a str>, lexicon: &Lexicon) -> Keep {
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
    // A mask of the aspects is an Int8 of the reader's, 7 bits at most.
    const { assert!(crate::text::ASPECTS.len() <= 7) };
    let mentions = mentions_only(&extra).then(|| {
        let lexicon = lexicon.clone();
        let Cond::Int(gate, Cmp::Le, at_most) = catalogue::NEGATIVE else {
            unreachable!("a negative review is a rating at most 2")
        };
        Arc::new(TextMentions {
            source: Source::Reviews,
            column: mentions::TEXT,
            gate: (gate, at_most),
            mask: Box::new(move |text| lexicon.mentions(text)),
        })
    });
    let links = links_coded(&extra).then(|| Arc::new(LinkCodes::new(Source::Tickets)));
    Keep::Only {
        columns,
        mentions,
        links,
    }
}

/// Whether a command that shows `fields` reads the ticket and order ids only
/// for the follow-up join, so that they can be held as codes
/// ([`followups::code_review_links`]).
fn links_coded(fields: &[&str]) -> bool {
    !fields
        .iter()
        .any(|f| matches!(*f, "ticket_id" | "order_id"))
}

/// Whether a command that shows `fields` needs of the review text only what it
/// mentions.
fn mentions_only(fields: &[&str]) -> bool {
    !fields.contains(&mentions::TEXT)
}

/// Reduces each source, as soon as it is read, to the forms the metrics read
/// where the command shows no ticket or order id ([`followups::code_review_links`])
/// or no review text ([`mentions::mentions_in_place_of_text`]): what keeps memory
/// down on large exports. The reviews must come before the tickets
/// ([`crate::source::load::READ_ORDER`]): their links decide the tickets' codes,
/// which a CSV reader then keeps the tickets' ids as.
/// With `--as-of`, each source is censored at it here too, as the engine would:
/// the frame as it stood then replaces the one read instead of sitting beside it.
pub struct Reducer<'a> {
    as_of: Option<i64>,
    links: Option<Arc<LinkCodes>>,
    mentions: Option<&'a Lexicon>,
}

impl<'a> Reducer<'a> {
    /// For a command whose output shows `fields`, reading what `keep` says
    /// ([`columns_needed`]), as of `as_of` when given.
    pub fn new(
        fields: &[&str],
        keep: &Keep,
        lexicon: &'a Lexicon,
        as_of: Option<i64>,
    ) -> Reducer<'a> {
        Reducer {
            as_of,
            links: keep.link_codes(Source::Tickets).cloned(),
            mentions: mentions_only(fields).then_some(lexicon),
        }
    }

    pub fn reduce(&mut self, source: Source, frame: &mut DataFrame) -> Result<()> {
        if let Some(as_of) = self.as_of {
            censor_in_place(frame, source, as_of)?;
        }
        match (source, &self.links) {
            (Source::Reviews, links) => {
                if let Some(links) = links {
                    links.give(followups::code_review_links(frame)?);
                }
                if let Some(lexicon) = self.mentions {
                    mentions::mentions_in_place_of_text(frame, lexicon)?;
                }
            }
            // The codes are not needed once the tickets have theirs: their maps
            // (a text id per negative review) go before the shipments are read.
            (Source::Tickets, Some(links)) => {
                followups::code_ticket_links(frame, &links.take().unwrap_or_default())?
            }
            (Source::Tickets | Source::Shipments, _) => {}
        }
        Ok(())
    }
}

/// The engine's view of the data: the frames as they stood at the as-of time, with
/// the derived columns it needs (frames share their columns with the dataset).
pub struct Engine<'a> {
    dataset: &'a Dataset,
    frames: BTreeMap<Source, DataFrame>,
    inputs: Inputs,
    pub tz: Tz,
    pub as_of: i64,
    windows: Windows,
    clocks: &'a Clocks,
    lexicon: &'a Lexicon,
    /// Aggregates come from this SQL engine instead of polars (`--engine`).
    sql: Option<&'a sql::SqlEngine>,
    /// Whether `--as-of` censors the data.
    censored: bool,
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
            if let Ok(Some(v)) = frame.column(spec.name).and_then(max_millis) {
                latest = Some(latest.map_or(v, |l| l.max(v)));
            }
        }
    }
    latest
}

/// The `--as-of` time in UTC milliseconds, read in the data's time zone.
pub fn parse_as_of(text: &str, tz: Tz) -> Result<i64> {
    parse_timestamp(text, tz).map_err(|e| anyhow::anyhow!("--as-of {text:?}: {e}"))
}

/// The frame as it stood at `as_of`: records whose anchor is later are dropped
/// and later events are emptied (deadlines stay). Columns with nothing later are
/// shared, not copied.
fn censor(frame: &DataFrame, source: Source, as_of: i64) -> Result<DataFrame> {
    let mut censored = frame.clone();
    censor_in_place(&mut censored, source, as_of)?;
    Ok(censored)
}

/// [`censor`] a few columns at a time, one per core: a column the frame alone
/// holds (a source just read) is dropped as soon as its censored copy is made, so
/// censoring takes a few columns' memory more, not the frame's.
fn censor_in_place(frame: &mut DataFrame, source: Source, as_of: i64) -> Result<()> {
    let later = |frame: &DataFrame, name: &str| {
        frame
            .column(name)
            .ok()
            .and_then(|c| max_millis(c).ok().flatten())
            .is_some_and(|max| max > as_of)
    };
    let anchor = source.anchor_column();
    let events: Vec<&str> = source
        .columns()
        .iter()
        .filter(|c| c.kind == Kind::Timestamp(Moment::Event) && c.name != anchor)
        .map(|c| c.name)
        .filter(|c| later(frame, c))
        .collect();
    if later(frame, anchor) {
        // Orders that never shipped have no anchor; their other times still count.
        let later = times::compare(frame.column(anchor)?, Order::After, as_of)?;
        let keep = (!later).fill_null_with_values(true)?;
        let height = keep.sum().unwrap_or(0) as usize;
        let mut columns = std::mem::take(frame).into_columns();
        let mut filtered = Vec::with_capacity(columns.len());
        while !columns.is_empty() {
            let batch: Vec<Column> = columns.drain(..cores().min(columns.len())).collect();
            let parts = crate::parallel::map_parts(batch.len(), |start, len| {
                batch[start..start + len]
                    .iter()
                    .map(|c| c.filter(&keep))
                    .collect::<PolarsResult<Vec<_>>>()
            });
            drop(batch);
            for part in parts {
                filtered.extend(part?);
            }
        }
        *frame = DataFrame::new(height, filtered)?;
    }
    for batch in events.chunks(cores()) {
        let parts = crate::parallel::map_parts(batch.len(), |start, len| {
            batch[start..start + len]
                .iter()
                .map(|&name| -> Result<Column> {
                    let column = frame.column(name)?;
                    let later = times::compare(column, Order::After, as_of)?;
                    Ok(times::emptied(
                        column,
                        &later.fill_null_with_values(false)?,
                    )?)
                })
                .collect::<Result<Vec<_>>>()
        });
        for part in parts {
            for column in part? {
                frame.with_column(column)?;
            }
        }
    }
    Ok(())
}

/// How many columns are censored at once, one per core.
fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

impl<'a> Engine<'a> {
    /// With `as_of` given, the data is censored at it: a report as of T over
    /// today's export equals the report over the export as it stood at T. Without
    /// it, the as-of time is the data's latest event and nothing is censored.
    pub fn new(
        dataset: &'a Dataset,
        windows: Windows,
        clocks: &'a Clocks,
        lexicon: &'a Lexicon,
        as_of: Option<&str>,
    ) -> Result<Engine<'a>> {
        Engine::build(dataset, windows, clocks, lexicon, as_of, None)
    }

    /// An engine whose aggregates an SQL engine computes over its tables;
    /// `dataset` holds their columns without rows ([`sql::SqlEngine::dataset`]).
    pub fn over_sql(
        dataset: &'a Dataset,
        windows: Windows,
        clocks: &'a Clocks,
        lexicon: &'a Lexicon,
        as_of: Option<&str>,
        sql: &'a sql::SqlEngine,
    ) -> Result<Engine<'a>> {
        Engine::build(dataset, windows, clocks, lexicon, as_of, Some(sql))
    }

    fn build(
        dataset: &'a Dataset,
        windows: Windows,
        clocks: &'a Clocks,
        lexicon: &'a Lexicon,
        as_of: Option<&str>,
        sql: Option<&'a sql::SqlEngine>,
    ) -> Result<Engine<'a>> {
        let tz = dataset.tz;
        let given = as_of.map(|text| parse_as_of(text, tz)).transpose()?;
        crate::ui::detail(match given {
            Some(_) => "as of the time given by --as-of".to_string(),
            None => "as of the latest event in the data (tickets when given)".to_string(),
        });
        let latest = match sql {
            Some(sql) => sql.latest(),
            None => latest_timestamp(dataset),
        };
        let as_of = match given.or(latest) {
            Some(t) => t,
            None => {
                bail!("the inputs hold no accepted rows, so there is no as-of time; give --as-of")
            }
        };
        let mut frames = BTreeMap::new();
        for source in Source::ALL {
            if let Some(frame) = dataset.get(source) {
                let frame = match given {
                    Some(t) => censor(frame, source, t)?,
                    None => frame.clone(),
                };
                frames.insert(source, frame);
            }
        }
        clock::add_clock_columns(&mut frames, clocks, as_of)?;
        let mut unscheduled = Vec::new();
        if clocks.tickets.is_none() {
            unscheduled.push(Clock::Business);
        }
        if clocks.working_days.is_none() {
            unscheduled.push(Clock::WorkingDays);
        }
        let inputs = Inputs {
            unscheduled,
            sources: frames.keys().copied().collect(),
            absent: dataset
                .sources
                .iter()
                .map(|(s, l)| (*s, l.stats.absent_columns.clone()))
                .collect(),
            cannot_say: dataset
                .sources
                .iter()
                .map(|(s, l)| (*s, l.stats.cannot_say.clone()))
                .collect(),
        };
        if let Some(reviews) = frames.get(&Source::Reviews) {
            let reviews = followups::with_followups(reviews, frames.get(&Source::Tickets))?;
            let reviews = mentions::with_mentions(&reviews, lexicon)?;
            frames.insert(Source::Reviews, reviews);
        }
        Ok(Engine {
            dataset,
            frames,
            inputs,
            tz,
            as_of,
            windows,
            clocks,
            lexicon,
            sql,
            censored: given.is_some(),
        })
    }

    /// The statement builder of this engine's SQL backend.
    fn statement<'s>(&'s self, sql: &'s sql::SqlEngine) -> sql::Statement<'s> {
        sql::Statement {
            dialect: sql.dialect,
            tables: &sql.tables,
            windows: &self.windows,
            clocks: self.clocks,
            lexicon: self.lexicon,
            as_of: self.as_of,
            censor: self.censored,
            ranges: &sql.ranges,
            prepared: sql.is_live(),
        }
    }

    fn frame(&self, source: Source) -> Option<&DataFrame> {
        self.frames.get(&source)
    }

    pub fn has(&self, source: Source) -> bool {
        self.frame(source).is_some()
    }

    /// Whether `source` has no value at all in `column`: the export lacks it, or
    /// (a store) every row has it empty.
    pub fn lacks(&self, source: Source, column: &str) -> bool {
        let absent = self
            .inputs
            .absent
            .get(&source)
            .is_some_and(|a| a.iter().any(|c| c == column));
        if let Some(sql) = self.sql {
            return absent || sql.lacks(source, column);
        }
        absent
            || self.frame(source).is_some_and(|f| {
                f.height() > 0 && f.column(column).is_ok_and(|c| c.null_count() == c.len())
            })
    }

    /// The period that `spec` names, resolved against this data's as-of time and zone.
    pub fn period(&self, spec: &PeriodSpec) -> Result<Period> {
        let period = period::resolve(spec, self.as_of, self.tz)?;
        let why = if spec.period.is_some() {
            "named by --period"
        } else if spec.last.is_some() {
            "the last complete periods before the as-of time (--last)"
        } else if spec.from.is_some() {
            "given by --from/--to"
        } else {
            "the last complete ISO week at the as-of time (the default)"
        };
        crate::ui::detail(format!(
            "period {}: {} to {} ({}), {why}",
            period.label,
            format_utc(period.from),
            format_utc(period.to),
            self.tz
        ));
        Ok(period)
    }

    fn context(&self, period: &Period) -> Context<'_> {
        Context {
            windows: &self.windows,
            sla_business: &self.clocks.sla_business,
            as_of: self.as_of,
            snapshot: period.to.min(self.as_of),
        }
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
                Query::Complaints(options) => {
                    if let Some(sql) = self.sql {
                        bail!(
                            "complaint terms are read from the review texts by svcq itself; --engine {} computes the aspect rates of the report, not the term lists (run complaints with the embedded engine)",
                            sql.dialect
                        );
                    }
                    Answer::Complaints(Box::new(self.complaints(targets, options)?))
                }
            });
        }
        Ok(answers)
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
        maturing_notes(&rows, &mut notes);
        self.missing_input_notes(&mut notes);
        self.calendar_coverage_notes(&period, &mut notes);
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

    /// Why metrics of a given source have no data: another source or a column of
    /// the export is missing.
    fn missing_input_notes(&self, notes: &mut Vec<String>) {
        let mut by_column: BTreeMap<(Source, &str), Vec<&str>> = BTreeMap::new();
        let mut by_clock: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for m in METRICS {
            let Some(own) = m.source().filter(|s| self.has(*s)) else {
                continue;
            };
            if let Some(needed) = m.requires().filter(|s| !self.has(*s)) {
                notes.push(format!(
                    "{} needs the {needed} source and has no data without it",
                    m.id
                ));
            } else if let Some(column) = self.inputs.absent_column(m) {
                by_column.entry((own, column)).or_default().push(m.id);
            } else if let Some(clock) = self.inputs.unscheduled(m) {
                let why = match clock {
                    Clock::Business => "no business hours in svcq.toml (`schedule = \"NAME\"` and a [schedules.NAME] table; docs/business-hours.md)",
                    _ => "no working-day calendar in svcq.toml (`[working_days] schedule = \"NAME\"`; docs/business-hours.md)",
                };
                by_clock.entry(why).or_default().push(m.id);
            } else if let Some((field, values)) = self.inputs.unsayable(m) {
                notes.push(format!(
                    "no data for {}: the {own} export cannot say {field} is {}",
                    m.id,
                    values.join(" or ")
                ));
            }
        }
        for ((source, column), ids) in by_column {
            notes.push(format!(
                "no data for {}: the {source} export has no column {column}",
                ids.join(", ")
            ));
        }
        for (why, ids) in by_clock {
            notes.push(format!("no data for {}: {why}", ids.join(", ")));
        }
    }

    /// A warning, not a silent gap, when the period reaches past the years a
    /// schedule's holiday calendar covers.
    fn calendar_coverage_notes(&self, period: &Period, notes: &mut Vec<String>) {
        let used = self
            .clocks
            .tickets
            .filter(|_| self.has(Source::Tickets))
            .into_iter()
            .chain(
                self.clocks
                    .rules
                    .iter()
                    .map(|(_, s)| *s)
                    .filter(|_| self.has(Source::Tickets)),
            )
            .chain(
                self.clocks
                    .working_days
                    .filter(|_| self.has(Source::Shipments)),
            );
        let mut seen = BTreeSet::new();
        for index in used {
            if !seen.insert(index) {
                continue;
            }
            let schedule = &self.clocks.schedules[index];
            let date = |ms: i64| {
                chrono::DateTime::from_timestamp_millis(ms)
                    .map(|t| t.with_timezone(&schedule.tz).date_naive())
            };
            let (Some(from), Some(to)) = (date(period.from), date(period.to - 1)) else {
                continue;
            };
            if let Some((calendar, first, last, day)) = schedule.uncovered(from, to) {
                notes.push(format!(
                    "schedule {}: the holiday calendar {calendar} covers {first}–{last}, and the period reaches {day}: holidays there are not known, so business time counts them as regular days",
                    schedule.name
                ));
            }
        }
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
                    pending: c.pending,
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

/// A note for each rate of the whole period whose outcome has not had time to
/// happen for some records, naming the window rate that judges only the others.
fn maturing_notes(rows: &[MetricRow], notes: &mut Vec<String>) {
    for row in rows.iter().filter(|r| r.group.is_none()) {
        let (Some(pending), Some(def)) = (row.pending.filter(|p| *p > 0), catalogue::find(row.id))
        else {
            continue;
        };
        let (Some(rule), false) = (
            def.pending_rule(),
            matches!(def.measure, Measure::WithinWindow { .. }),
        ) else {
            continue;
        };
        let twin = METRICS.iter().find(|m| {
            matches!(m.measure, Measure::WithinWindow { span, .. } if std::ptr::eq(span, rule.span))
        });
        notes.push(format!(
            "{}: the period is still maturing — {pending} of its {} {} are inside their window ({}){}",
            row.id,
            row.n,
            def.origin.name(),
            rule.window.describe(),
            twin.map(|t| format!("; {} judges only those whose window has passed", t.id))
                .unwrap_or_default()
        ));
    }
}
