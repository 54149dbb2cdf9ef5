//! `svcq calendar`: a schedule's open hours, holidays and make-up days, day by
//! day, so a user can see what the business clock will count.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use chrono::{Datelike, Duration, NaiveDate};
use clap::Args;

use crate::engine::clock::schedule::{instant, DayKind, Schedule, Timeline};
use crate::engine::targets::Targets;
use crate::exit::OK as EXIT_OK;

#[derive(Debug, Args)]
pub struct CalendarArgs {
    /// The schedule (a `[schedules.NAME]` of svcq.toml). Default: the tickets'
    /// schedule (`schedule = "…"`).
    #[arg(long, value_name = "NAME")]
    pub schedule: Option<String>,
    /// First day shown (YYYY-MM-DD). Default: today in the schedule's time zone.
    #[arg(long, value_name = "DATE")]
    pub from: Option<String>,
    /// Last day shown (YYYY-MM-DD, included). Default: 13 days after --from.
    #[arg(long, value_name = "DATE")]
    pub to: Option<String>,
    /// Config file (same as --config). Default: $SVCQ_CONFIG, else svcq.toml here
    /// or in the nearest parent.
    #[arg(long, value_name = "FILE")]
    pub targets: Option<PathBuf>,
}

fn parse_date(flag: &str, text: &str) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .with_context(|| format!("{flag} {text:?} is not a date like 2026-10-01"))
}

pub fn exec(args: CalendarArgs) -> Result<ExitCode> {
    let targets = Targets::load(args.targets.as_deref(), &[])?;
    let clocks = &targets.clocks;
    let names: Vec<&str> = clocks.schedules.iter().map(|s| s.name.as_str()).collect();
    if names.is_empty() {
        bail!(
            "{} defines no schedule; add a [schedules.NAME] table (docs/business-hours.md)",
            targets.origin
        );
    }
    let schedule = match (&args.schedule, clocks.tickets) {
        (Some(name), _) => clocks.schedule(name).with_context(|| {
            format!(
                "unknown schedule {name:?}; {}valid: {}",
                crate::suggest::did_you_mean(name, names.iter().copied()),
                names.join(", ")
            )
        })?,
        (None, Some(i)) => &clocks.schedules[i],
        (None, None) => bail!("give --schedule NAME; valid: {}", names.join(", ")),
    };
    let from = match &args.from {
        Some(t) => parse_date("--from", t)?,
        None => chrono::Utc::now().with_timezone(&schedule.tz).date_naive(),
    };
    let to = match &args.to {
        Some(t) => parse_date("--to", t)?,
        None => from + Duration::days(13),
    };
    if to < from {
        bail!("--to {to} is before --from {from}");
    }
    if (to - from).num_days() > 3660 {
        bail!("--from {from} to --to {to} is more than ten years; show less at a time");
    }
    print!("{}", render(schedule, from, to));
    Ok(ExitCode::from(EXIT_OK))
}

/// One line per day: its open intervals (local time), the real open time, and why.
fn render(schedule: &Schedule, from: NaiveDate, to: NaiveDate) -> String {
    // A midnight skipped by a daylight-saving change is the first instant after it.
    let midnight = |d: NaiveDate| instant(schedule.tz, d, 0, true);
    let end = to.succ_opt().unwrap_or(to);
    let timeline = Timeline::new(schedule, midnight(from), midnight(end));
    let mut out = String::new();
    let coverage: Vec<String> = schedule
        .coverage
        .iter()
        .map(|(name, a, b)| format!("{name} ({a}–{b})"))
        .collect();
    writeln!(
        out,
        "schedule {} · {}{}",
        schedule.name,
        schedule.tz,
        if coverage.is_empty() {
            String::new()
        } else {
            format!(" · holiday calendars: {}", coverage.join(", "))
        }
    )
    .unwrap();
    let mut total = 0;
    for day in from.iter_days().take_while(|d| *d <= to) {
        let (hours, kind) = schedule.hours_on(day);
        let next = day.succ_opt().unwrap_or(day);
        let open = timeline.elapsed(midnight(day), midnight(next));
        total += open;
        let intervals = if hours.is_empty() {
            "closed".to_string()
        } else {
            hours
                .iter()
                .map(|i| i.describe())
                .collect::<Vec<_>>()
                .join(", ")
        };
        let why = match kind {
            DayKind::Regular => String::new(),
            DayKind::Special => "hours of this date".into(),
            DayKind::Holiday => format!(
                "holiday: {}",
                schedule.holidays.get(&day).map_or("", String::as_str)
            ),
            DayKind::MakeUp => "make-up working day".into(),
        };
        let line = format!(
            "{day} {}  {intervals:<28} {:>6}  {why}",
            weekday(day),
            duration(open)
        );
        writeln!(out, "{}", line.trim_end()).unwrap();
    }
    writeln!(out, "open in all: {}", duration(total)).unwrap();
    if let Some((name, first, last, date)) = schedule.uncovered(from, to) {
        writeln!(
            out,
            "warning: the holiday calendar {name} covers {first}–{last}; from {date} its holidays are not known"
        )
        .unwrap();
    }
    out
}

fn weekday(day: NaiveDate) -> &'static str {
    ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"][day.weekday().num_days_from_monday() as usize]
}

/// `9h00`, `0h00`, `25h00` (a day of a daylight-saving change can be longer).
fn duration(ms: i64) -> String {
    let minutes = ms / 60_000;
    format!("{}h{:02}", minutes / 60, minutes % 60)
}
