//! Business hours and working days (docs/business-hours.md): named schedules in
//! svcq.toml, the rule that picks one per ticket, the SLA clock per priority, and
//! the working-day calendar of deliveries and refunds. Every mistake is an error
//! naming the key and its line in svcq.toml.
//!
//! ```toml
//! schedule = "support"                       # the tickets' default schedule
//! [[schedule_rule]]
//! where = { channel = "chat" }
//! schedule = "24x7"
//! [schedules.support]
//! timezone = "Asia/Shanghai"
//! hours = { mon-fri = ["09:00-12:00", "13:00-18:00"] }
//! holidays = ["cn", "2026-12-24"]            # a built-in calendar, dates, ranges, files
//! dates = { "2026-12-31" = ["09:00-12:00"] } # a date's own hours ([] = closed)
//! [sla]
//! clock = "business"                         # or "calendar" (default)
//! ```

mod calendar;
mod derive;
pub mod schedule;

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{bail, Result};
use chrono::NaiveDate;
use chrono_tz::Tz;
use serde::Deserialize;
use toml::Spanned;

pub use calendar::{parse_dates, Calendar};
pub use derive::{add_clock_columns, age_column, elapsed_column};
use schedule::{sorted_day, Interval, Schedule, Week};

use super::targets::normalize_dimension_value;
use crate::source::{Source, PRIORITIES};

/// The line (from 1) of byte `offset` in `text`.
pub fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

/// The keys of svcq.toml this module reads (the targets file reads them).
#[derive(Debug, Default)]
pub struct ClockSpec {
    pub schedule: Option<Spanned<String>>,
    pub rules: Vec<RuleSpec>,
    pub schedules: BTreeMap<String, ScheduleSpec>,
    pub sla: SlaSpec,
    pub working_days: WorkingDaysSpec,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    #[serde(rename = "where")]
    segment: BTreeMap<String, Spanned<String>>,
    schedule: Spanned<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduleSpec {
    timezone: Spanned<String>,
    #[serde(default)]
    hours: BTreeMap<Spanned<String>, Vec<Spanned<String>>>,
    /// A working-day calendar without hours: these days open all day.
    days: Option<Spanned<String>>,
    #[serde(default)]
    holidays: Vec<Spanned<String>>,
    #[serde(default)]
    dates: BTreeMap<Spanned<String>, Vec<Spanned<String>>>,
    make_up_hours: Option<Vec<Spanned<String>>>,
    #[serde(default)]
    change: Vec<ChangeSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ChangeSpec {
    from: Spanned<String>,
    hours: BTreeMap<Spanned<String>, Vec<Spanned<String>>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlaSpec {
    clock: Option<Spanned<String>>,
    #[serde(default)]
    clock_by_priority: BTreeMap<Spanned<String>, Spanned<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkingDaysSpec {
    schedule: Option<Spanned<String>>,
    refund_sla: Option<f64>,
}

/// Validated clocks.
#[derive(Debug, Clone, Default)]
pub struct Clocks {
    pub schedules: Vec<Schedule>,
    /// The tickets' default schedule (an index into `schedules`); None: no
    /// business hours, and business-time metrics have no data.
    pub tickets: Option<usize>,
    /// `(where, schedule)`: the first rule whose dimensions all match wins.
    pub rules: Vec<(BTreeMap<String, String>, usize)>,
    /// The priorities whose SLA runs on business time.
    pub sla_business: Vec<&'static str>,
    /// The working-day calendar of deliveries and refunds; None: working-day
    /// metrics have no data.
    pub working_days: Option<usize>,
    /// Working days a refund may take (`refund_within_sla_rate`).
    pub refund_sla_days: f64,
}

impl Clocks {
    pub fn schedule(&self, name: &str) -> Option<&Schedule> {
        self.schedules.iter().find(|s| s.name == name)
    }

    /// The dimensions the schedule rules read.
    pub fn rule_fields(&self) -> Vec<&str> {
        let mut out: Vec<&str> = self
            .rules
            .iter()
            .flat_map(|(w, _)| w.keys().map(String::as_str))
            .collect();
        if !self.sla_business.is_empty() {
            out.push("priority");
        }
        out.sort_unstable();
        out.dedup();
        out
    }
}

/// Where a mistake is: `svcq.toml:12: schedules.support.hours`.
struct At<'a> {
    origin: &'a str,
    text: &'a str,
}

impl At<'_> {
    fn err<T>(
        &self,
        span: std::ops::Range<usize>,
        key: &str,
        msg: impl std::fmt::Display,
    ) -> Result<T> {
        bail!(
            "{}:{}: {key}: {msg}",
            self.origin,
            line_of(self.text, span.start)
        )
    }
}

const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// `mon`, `mon-fri`, `sat-sun`, `daily`: the weekday indexes (Monday 0).
fn weekdays(key: &str) -> Option<Vec<usize>> {
    let day = |d: &str| DAYS.iter().position(|x| *x == d.trim().to_lowercase());
    match key.trim().to_lowercase().as_str() {
        "daily" => Some((0..7).collect()),
        k => match k.split_once('-') {
            Some((a, b)) => {
                let (a, b) = (day(a)?, day(b)?);
                (a <= b).then(|| (a..=b).collect())
            }
            None => day(k).map(|d| vec![d]),
        },
    }
}

fn intervals(at: &At, key: &str, list: &[Spanned<String>]) -> Result<Vec<Interval>> {
    let mut day = Vec::new();
    for item in list {
        match Interval::parse(item.get_ref()) {
            Ok(iv) => day.push(iv),
            Err(e) => return at.err(item.span(), key, e),
        }
    }
    match sorted_day(day) {
        Ok(day) => Ok(day),
        Err(e) => match list.first() {
            Some(first) => at.err(first.span(), key, e),
            None => Ok(Vec::new()),
        },
    }
}

fn week(
    at: &At,
    key: &str,
    hours: &BTreeMap<Spanned<String>, Vec<Spanned<String>>>,
) -> Result<Week> {
    let mut week: Week = Default::default();
    let mut given = [false; 7];
    for (days, list) in hours {
        let Some(indexes) = weekdays(days.get_ref()) else {
            return at.err(
                days.span(),
                key,
                format!(
                    "{:?} is not a day or range of days (mon, mon-fri, sat-sun, daily)",
                    days.get_ref()
                ),
            );
        };
        let day = intervals(at, &format!("{key}.{}", days.get_ref()), list)?;
        for i in indexes {
            if given[i] {
                return at.err(days.span(), key, format!("{} is given twice", DAYS[i]));
            }
            given[i] = true;
            week[i] = day.clone();
        }
    }
    Ok(week)
}

fn date(at: &At, key: &str, text: &Spanned<String>) -> Result<NaiveDate> {
    match NaiveDate::parse_from_str(text.get_ref().trim(), "%Y-%m-%d") {
        Ok(d) => Ok(d),
        Err(_) => at.err(
            text.span(),
            key,
            format!("{:?} is not a date like 2026-10-01", text.get_ref()),
        ),
    }
}

fn schedule(at: &At, name: &str, spec: &ScheduleSpec, base: Option<&Path>) -> Result<Schedule> {
    let key = format!("schedules.{name}");
    let tz: Tz = match spec.timezone.get_ref().parse() {
        Ok(tz) => tz,
        Err(_) => {
            return at.err(
                spec.timezone.span(),
                &format!("{key}.timezone"),
                format!(
                    "unknown time zone {:?}: use an IANA name such as Asia/Shanghai",
                    spec.timezone.get_ref()
                ),
            )
        }
    };
    let weekly = match &spec.days {
        Some(days) if !spec.hours.is_empty() => {
            return at.err(
                days.span(),
                &format!("{key}.days"),
                "give `hours` or `days`, not both",
            )
        }
        Some(days) => {
            let Some(indexes) = weekdays(days.get_ref()) else {
                return at.err(
                    days.span(),
                    &format!("{key}.days"),
                    format!(
                        "{:?} is not a day or range of days (mon-fri, mon-sat, daily)",
                        days.get_ref()
                    ),
                );
            };
            let mut week: Week = Default::default();
            for i in indexes {
                week[i] = schedule::full_day();
            }
            week
        }
        None => week(at, &format!("{key}.hours"), &spec.hours)?,
    };
    if weekly.iter().all(Vec::is_empty) && spec.dates.is_empty() && spec.change.is_empty() {
        return at.err(
            spec.timezone.span(),
            &key,
            "no open hours: give `hours = { mon-fri = [\"09:00-18:00\"] }` or, for working days, `days = \"mon-fri\"`",
        );
    }
    let mut s = Schedule::weekly(name, tz, weekly);
    let mut changes = Vec::new();
    for (i, change) in spec.change.iter().enumerate() {
        let ckey = format!("{key}.change[{}]", i + 1);
        let from = date(at, &format!("{ckey}.from"), &change.from)?;
        changes.push((from, week(at, &format!("{ckey}.hours"), &change.hours)?));
    }
    changes.sort_by_key(|(from, _)| *from);
    if let Some(pair) = changes.windows(2).find(|p| p[0].0 == p[1].0) {
        bail!(
            "{}: {key}.change: two changes from {}",
            at.origin,
            pair[0].0
        );
    }
    s.weeks.extend(changes);
    for entry in &spec.holidays {
        let text = entry.get_ref().trim();
        let hkey = format!("{key}.holidays");
        if text.ends_with(".toml") {
            let path = match base {
                Some(b) if Path::new(text).is_relative() => b.join(text),
                _ => Path::new(text).to_path_buf(),
            };
            match Calendar::load(&path) {
                Ok(c) => add_calendar(&mut s, c),
                Err(e) => return at.err(entry.span(), &hkey, format!("{e:#}")),
            }
        } else if text.chars().next().is_some_and(|c| c.is_ascii_digit()) {
            match parse_dates(text) {
                Ok(days) => {
                    for d in days {
                        s.holidays.insert(d, "holiday".into());
                    }
                }
                Err(e) => return at.err(entry.span(), &hkey, e),
            }
        } else {
            match Calendar::built_in(text) {
                Some(c) => add_calendar(&mut s, c),
                None => {
                    return at.err(
                        entry.span(),
                        &hkey,
                        format!(
                            "{text:?} is not a built-in calendar ({}), a date, a range or a .toml calendar file",
                            Calendar::built_in_names().join(", ")
                        ),
                    )
                }
            }
        }
    }
    for (d, list) in &spec.dates {
        let dkey = format!("{key}.dates.{}", d.get_ref());
        let days = match parse_dates(d.get_ref()) {
            Ok(days) => days,
            Err(e) => return at.err(d.span(), &dkey, e),
        };
        let hours = intervals(at, &dkey, list)?;
        for day in days {
            s.special.insert(day, hours.clone());
        }
    }
    if let Some(list) = &spec.make_up_hours {
        s.make_up_hours = Some(intervals(at, &format!("{key}.make_up_hours"), list)?);
    }
    Ok(s)
}

fn add_calendar(s: &mut Schedule, c: Calendar) {
    s.holidays.extend(c.holidays);
    s.make_up.extend(c.make_up);
    s.coverage.push((c.name, c.first_year, c.last_year));
}

impl ClockSpec {
    /// Validates against the text of svcq.toml (for line numbers); relative
    /// calendar files are read from `base`, the folder of svcq.toml.
    pub fn validate(self, text: &str, origin: &str, base: Option<&Path>) -> Result<Clocks> {
        let at = At { origin, text };
        let mut clocks = Clocks {
            refund_sla_days: 3.0,
            ..Clocks::default()
        };
        for (name, spec) in &self.schedules {
            clocks.schedules.push(schedule(&at, name, spec, base)?);
        }
        let names = || {
            let names: Vec<&str> = self.schedules.keys().map(String::as_str).collect();
            if names.is_empty() {
                "none is defined; add a [schedules.NAME] table".to_string()
            } else {
                format!("valid: {}", names.join(", "))
            }
        };
        let find = |key: &str, name: &Spanned<String>| -> Result<usize> {
            match clocks
                .schedules
                .iter()
                .position(|s| s.name == *name.get_ref())
            {
                Some(i) => Ok(i),
                None => at.err(
                    name.span(),
                    key,
                    format!(
                        "unknown schedule {:?}; {}{}",
                        name.get_ref(),
                        crate::suggest::did_you_mean(
                            name.get_ref(),
                            self.schedules.keys().map(String::as_str)
                        ),
                        names()
                    ),
                ),
            }
        };
        clocks.tickets = self
            .schedule
            .as_ref()
            .map(|n| find("schedule", n))
            .transpose()?;
        for (i, rule) in self.rules.iter().enumerate() {
            let key = format!("schedule_rule[{}]", i + 1);
            let index = find(&format!("{key}.schedule"), &rule.schedule)?;
            if clocks.tickets.is_none() {
                return at.err(
                    rule.schedule.span(),
                    &key,
                    "a schedule rule needs a default: add `schedule = \"NAME\"` at the top",
                );
            }
            let mut segment = BTreeMap::new();
            for (dim, value) in &rule.segment {
                let dims = Source::Tickets.dimensions();
                if !dims.contains(&dim.as_str()) {
                    return at.err(
                        value.span(),
                        &format!("{key}.where"),
                        format!("unknown dimension {dim:?}; valid: {}", dims.join(", ")),
                    );
                }
                match normalize_dimension_value(dim, value.get_ref()) {
                    Ok(v) => segment.insert(dim.clone(), v),
                    Err(e) => return at.err(value.span(), &format!("{key}.where.{dim}"), e),
                };
            }
            clocks.rules.push((segment, index));
        }
        let clock = |value: &Spanned<String>, key: &str| -> Result<bool> {
            match value.get_ref().as_str() {
                "business" => Ok(true),
                "calendar" => Ok(false),
                other => at.err(
                    value.span(),
                    key,
                    format!("{other:?} is not a clock; use \"business\" or \"calendar\""),
                ),
            }
        };
        let default_business = match &self.sla.clock {
            Some(v) => clock(v, "sla.clock")?,
            None => false,
        };
        let mut business: BTreeMap<&'static str, bool> =
            PRIORITIES.iter().map(|p| (*p, default_business)).collect();
        for (priority, value) in &self.sla.clock_by_priority {
            let Some(p) = PRIORITIES
                .iter()
                .find(|p| **p == priority.get_ref().as_str())
            else {
                return at.err(
                    priority.span(),
                    "sla.clock_by_priority",
                    format!(
                        "{:?} is not a priority; valid: {}",
                        priority.get_ref(),
                        PRIORITIES.join(", ")
                    ),
                );
            };
            business.insert(p, clock(value, &format!("sla.clock_by_priority.{p}"))?);
        }
        clocks.sla_business = business
            .into_iter()
            .filter(|(_, b)| *b)
            .map(|(p, _)| p)
            .collect();
        if !clocks.sla_business.is_empty() && clocks.tickets.is_none() {
            let (span, key) = match (&self.sla.clock, self.sla.clock_by_priority.keys().next()) {
                (Some(c), _) => (c.span(), "sla.clock"),
                (None, Some(p)) => (p.span(), "sla.clock_by_priority"),
                (None, None) => (0..0, "sla"),
            };
            return at.err(span, key, "a business clock needs business hours: add `schedule = \"NAME\"` and a [schedules.NAME] table");
        }
        clocks.working_days = self
            .working_days
            .schedule
            .as_ref()
            .map(|n| find("working_days.schedule", n))
            .transpose()?;
        // Working days are open time in days of 24 h: part-day hours would count
        // a 9-hour day as 0.375 of one.
        if let (Some(i), Some(name)) = (clocks.working_days, &self.working_days.schedule) {
            let s = &clocks.schedules[i];
            let days = s
                .weeks
                .iter()
                .flat_map(|(_, w)| w.iter())
                .chain(s.special.values())
                .chain(s.make_up_hours.iter());
            if let Some(part) = days.flatten().find(|iv| (iv.start, iv.end) != (0, 1440)) {
                return at.err(
                    name.span(),
                    "working_days.schedule",
                    format!(
                        "schedule {:?} opens {}, not whole days; a working-day calendar opens whole days (`days = \"mon-fri\"`)",
                        s.name,
                        part.describe()
                    ),
                );
            }
        }
        if let Some(days) = self.working_days.refund_sla {
            if !(days.is_finite() && days > 0.0) {
                bail!("{origin}: working_days.refund_sla = {days} must be a positive number of working days");
            }
            clocks.refund_sla_days = days;
        }
        Ok(clocks)
    }
}
