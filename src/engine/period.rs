//! Periods: half-open `[from, to)` intervals of UTC milliseconds, aligned to local
//! calendar days, ISO weeks or months in the configured time zone.

use anyhow::{anyhow, bail, Context, Result};
use chrono::{Datelike, Duration, NaiveDate, NaiveTime, Weekday};
use chrono_tz::Tz;
use serde::Serialize;

use crate::source::timestamp::{format_utc, local_to_utc_ms, parse_timestamp, to_local};

/// Which period a report covers, as the user named it; [`resolve`] turns it into
/// instants against the data's as-of time. Nothing given: the last complete ISO week.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PeriodSpec {
    /// An ISO week (2026-W47) or a month (2026-11).
    pub period: Option<String>,
    /// A custom period: start (inclusive) and end (exclusive), dates or timestamps.
    pub from: Option<String>,
    pub to: Option<String>,
    /// The last N complete weeks, days or months before the as-of time: 4w, 14d, 3m.
    pub last: Option<String>,
}

/// A calendar unit for periods and time series.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Day,
    Week,
    Month,
}

impl Unit {
    pub fn name(self) -> &'static str {
        match self {
            Unit::Day => "day",
            Unit::Week => "week",
            Unit::Month => "month",
        }
    }

    pub fn parse(name: &str) -> Option<Unit> {
        match name {
            "day" => Some(Unit::Day),
            "week" => Some(Unit::Week),
            "month" => Some(Unit::Month),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Span {
    /// Whole local days `[from, to)`; a week or a run of weeks or days.
    Days {
        from: NaiveDate,
        to: NaiveDate,
    },
    Months {
        from: NaiveDate,
        to: NaiveDate,
    },
    /// Arbitrary instants (a custom --from/--to with times).
    Instants,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Period {
    pub from: i64,
    pub to: i64,
    pub label: String,
    span: Span,
}

/// The period as the JSON contract shows it.
#[derive(Debug, Clone, Serialize)]
pub struct PeriodInfo {
    pub from: String,
    pub to: String,
    pub timezone: String,
    pub label: String,
}

/// Local midnight at the start of `date` (the first existing instant of that day).
pub fn local_midnight(date: NaiveDate, tz: Tz) -> i64 {
    (0..24)
        .find_map(|h| local_to_utc_ms(date.and_time(NaiveTime::from_hms_opt(h, 0, 0)?), tz).ok())
        .expect("every day has an existing hour")
}

fn iso_week_label(date: NaiveDate) -> String {
    let w = date.iso_week();
    format!("{}-W{:02}", w.year(), w.week())
}

fn week_start(date: NaiveDate) -> NaiveDate {
    date - Duration::days(i64::from(date.weekday().num_days_from_monday()))
}

fn month_start(date: NaiveDate) -> NaiveDate {
    date.with_day(1).expect("day 1 exists")
}

fn add_months(date: NaiveDate, months: i32) -> NaiveDate {
    let index = date.year() * 12 + date.month0() as i32 + months;
    NaiveDate::from_ymd_opt(index.div_euclid(12), index.rem_euclid(12) as u32 + 1, 1)
        .expect("valid month")
}

impl Period {
    fn days(from: NaiveDate, to: NaiveDate, tz: Tz) -> Period {
        let label = if to - from == Duration::days(7) && from.weekday() == Weekday::Mon {
            iso_week_label(from)
        } else if to - from == Duration::days(1) {
            from.to_string()
        } else if from.weekday() == Weekday::Mon && (to - from).num_days() % 7 == 0 {
            format!(
                "{}..{}",
                iso_week_label(from),
                iso_week_label(to - Duration::days(1))
            )
        } else {
            format!("{from}..{}", to - Duration::days(1))
        };
        Period {
            from: local_midnight(from, tz),
            to: local_midnight(to, tz),
            label,
            span: Span::Days { from, to },
        }
    }

    fn months(from: NaiveDate, to: NaiveDate, tz: Tz) -> Period {
        let last = add_months(to, -1);
        let label = if last == from {
            from.format("%Y-%m").to_string()
        } else {
            format!("{}..{}", from.format("%Y-%m"), last.format("%Y-%m"))
        };
        Period {
            from: local_midnight(from, tz),
            to: local_midnight(to, tz),
            label,
            span: Span::Months { from, to },
        }
    }

    /// The period of equal calendar length just before this one.
    pub fn previous(&self, tz: Tz) -> Period {
        match self.span {
            Span::Days { from, to } => Period::days(from - (to - from), from, tz),
            Span::Months { from, to } => {
                let n = (to.year() * 12 + to.month0() as i32)
                    - (from.year() * 12 + from.month0() as i32);
                Period::months(add_months(from, -n), from, tz)
            }
            Span::Instants => {
                let len = self.to - self.from;
                Period {
                    from: self.from - len,
                    to: self.from,
                    label: format!("{}..{}", format_utc(self.from - len), format_utc(self.from)),
                    span: Span::Instants,
                }
            }
        }
    }

    /// Consecutive buckets of `unit` covering the period, clipped to it.
    pub fn buckets(&self, unit: Unit, tz: Tz) -> Vec<Period> {
        let first = to_local(self.from, tz).date();
        let mut start = match unit {
            Unit::Day => first,
            Unit::Week => week_start(first),
            Unit::Month => month_start(first),
        };
        let mut out = Vec::new();
        loop {
            let end = match unit {
                Unit::Day => start + Duration::days(1),
                Unit::Week => start + Duration::days(7),
                Unit::Month => add_months(start, 1),
            };
            let mut bucket = match unit {
                Unit::Month => Period::months(start, end, tz),
                _ => Period::days(start, end, tz),
            };
            bucket.from = bucket.from.max(self.from);
            bucket.to = bucket.to.min(self.to);
            if bucket.from >= self.to {
                break;
            }
            if bucket.from < bucket.to {
                out.push(bucket);
            }
            start = end;
        }
        out
    }

    pub fn info(&self, tz: Tz) -> PeriodInfo {
        PeriodInfo {
            from: format_utc(self.from),
            to: format_utc(self.to),
            timezone: tz.name().to_string(),
            label: self.label.clone(),
        }
    }
}

/// The local date whose midnight ends the as-of day: an export whose latest record is
/// on a Sunday covers that whole week.
fn end_of_day(as_of: i64, tz: Tz) -> NaiveDate {
    let local = to_local(as_of, tz);
    if local_midnight(local.date(), tz) == as_of {
        local.date()
    } else {
        local.date() + Duration::days(1)
    }
}

/// `2026-W47` or `2026-11`.
pub fn parse_named(text: &str, tz: Tz) -> Result<Period> {
    let t = text.trim();
    let bad =
        || anyhow!("--period {t:?}: expected an ISO week like 2026-W47 or a month like 2026-11");
    if let Some((year, week)) = t.split_once(['W', 'w']) {
        let year: i32 = year.trim_end_matches('-').parse().map_err(|_| bad())?;
        let week: u32 = week.parse().map_err(|_| bad())?;
        let monday = NaiveDate::from_isoywd_opt(year, week, Weekday::Mon)
            .ok_or_else(|| anyhow!("--period {t:?}: {year} has no ISO week {week}"))?;
        return Ok(Period::days(monday, monday + Duration::days(7), tz));
    }
    let (year, month) = t.split_once('-').ok_or_else(bad)?;
    let first = NaiveDate::from_ymd_opt(
        year.parse().map_err(|_| bad())?,
        month.parse().map_err(|_| bad())?,
        1,
    )
    .ok_or_else(bad)?;
    Ok(Period::months(first, add_months(first, 1), tz))
}

/// `4w`, `14d`, `3m`: the last N complete units that end by the as-of day.
pub fn parse_last(text: &str, as_of: i64, tz: Tz) -> Result<Period> {
    let t = text.trim();
    let bad = || anyhow!("--last {t:?}: expected a count and a unit, like 4w, 14d or 3m");
    let (count, unit) = t.split_at(t.len().saturating_sub(1));
    let n: i64 = count.parse().map_err(|_| bad())?;
    if !(1..=10_000).contains(&n) {
        bail!("--last {t:?}: the count must be from 1 to 10000");
    }
    let end = end_of_day(as_of, tz);
    Ok(match unit {
        "w" | "W" => {
            let to = week_start(end);
            Period::days(to - Duration::weeks(n), to, tz)
        }
        "d" | "D" => Period::days(end - Duration::days(n), end, tz),
        "m" | "M" => {
            let to = month_start(end);
            Period::months(add_months(to, -(n as i32)), to, tz)
        }
        _ => return Err(bad()),
    })
}

fn parse_bound(flag: &str, text: &str, tz: Tz) -> Result<(i64, Option<NaiveDate>)> {
    let ms = parse_timestamp(text, tz).with_context(|| format!("{flag} {text:?}"))?;
    let date = NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").ok();
    Ok((ms, date))
}

/// Resolves the period options against the as-of time.
pub fn resolve(args: &PeriodSpec, as_of: i64, tz: Tz) -> Result<Period> {
    if let Some(p) = &args.period {
        return parse_named(p, tz);
    }
    if let Some(last) = &args.last {
        return parse_last(last, as_of, tz);
    }
    if let (Some(from), Some(to)) = (&args.from, &args.to) {
        let (from_ms, from_date) = parse_bound("--from", from, tz)?;
        let (to_ms, to_date) = parse_bound("--to", to, tz)?;
        if to_ms <= from_ms {
            bail!("--to {to:?} must be after --from {from:?} (the period is [from, to))");
        }
        return Ok(match (from_date, to_date) {
            (Some(f), Some(t)) => Period::days(f, t, tz),
            _ => Period {
                from: from_ms,
                to: to_ms,
                label: format!("{}..{}", format_utc(from_ms), format_utc(to_ms)),
                span: Span::Instants,
            },
        });
    }
    parse_last("1w", as_of, tz)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> i64 {
        parse_timestamp(s, Tz::UTC).unwrap()
    }

    #[test]
    fn iso_week_across_a_year_end() {
        // ISO week 2026-W01 starts on Monday 2025-12-29.
        let p = parse_named("2026-W01", Tz::UTC).unwrap();
        assert_eq!((p.from, p.to), (utc("2025-12-29"), utc("2026-01-05")));
        assert_eq!(p.label, "2026-W01");
        assert_eq!(p.previous(Tz::UTC).label, "2025-W52");
    }

    #[test]
    fn week_in_a_time_zone() {
        let tz: Tz = "Asia/Shanghai".parse().unwrap();
        let p = parse_named("2026-W47", tz).unwrap();
        assert_eq!(p.from, utc("2026-11-15T16:00:00Z"));
        assert_eq!(p.to, utc("2026-11-22T16:00:00Z"));
    }

    #[test]
    fn month_and_previous_month() {
        let p = parse_named("2026-03", Tz::UTC).unwrap();
        assert_eq!((p.from, p.to), (utc("2026-03-01"), utc("2026-04-01")));
        let prev = p.previous(Tz::UTC);
        assert_eq!(
            (prev.from, prev.to, prev.label.as_str()),
            (utc("2026-02-01"), utc("2026-03-01"), "2026-02")
        );
    }

    #[test]
    fn default_is_last_complete_week() {
        // Sunday 23:59:10 completes the week; Monday 00:00 exactly starts a new one.
        let p = resolve(&PeriodSpec::default(), utc("2026-11-22T23:59:10Z"), Tz::UTC).unwrap();
        assert_eq!((p.from, p.to), (utc("2026-11-16"), utc("2026-11-23")));
        let p = resolve(&PeriodSpec::default(), utc("2026-11-23T00:00:00Z"), Tz::UTC).unwrap();
        assert_eq!(p.label, "2026-W47");
        let p = resolve(&PeriodSpec::default(), utc("2026-11-21T12:00:00Z"), Tz::UTC).unwrap();
        assert_eq!(p.label, "2026-W46");
    }

    #[test]
    fn last_weeks_and_buckets() {
        let p = parse_last("4w", utc("2026-11-22T10:00:00Z"), Tz::UTC).unwrap();
        assert_eq!((p.from, p.to), (utc("2026-10-26"), utc("2026-11-23")));
        assert_eq!(p.label, "2026-W44..2026-W47");
        let weeks: Vec<_> = p
            .buckets(Unit::Week, Tz::UTC)
            .into_iter()
            .map(|b| b.label)
            .collect();
        assert_eq!(weeks, ["2026-W44", "2026-W45", "2026-W46", "2026-W47"]);
        let months = p.buckets(Unit::Month, Tz::UTC);
        assert_eq!(months.len(), 2);
        assert_eq!(
            (months[0].from, months[0].to),
            (utc("2026-10-26"), utc("2026-11-01"))
        );
        assert_eq!(p.buckets(Unit::Day, Tz::UTC).len(), 28);
        assert_eq!(p.previous(Tz::UTC).label, "2026-W40..2026-W43");
    }

    #[test]
    fn custom_bounds() {
        let args = PeriodSpec {
            from: Some("2026-11-02".into()),
            to: Some("2026-11-05".into()),
            ..Default::default()
        };
        let p = resolve(&args, 0, Tz::UTC).unwrap();
        assert_eq!((p.from, p.to), (utc("2026-11-02"), utc("2026-11-05")));
        assert_eq!(p.previous(Tz::UTC).from, utc("2026-10-30"));
        let bad = PeriodSpec {
            from: Some("2026-11-05".into()),
            to: Some("2026-11-02".into()),
            ..Default::default()
        };
        assert!(resolve(&bad, 0, Tz::UTC).is_err());
        assert!(parse_named("2026-W54", Tz::UTC).is_err());
        assert!(parse_last("0w", 0, Tz::UTC).is_err());
    }
}
