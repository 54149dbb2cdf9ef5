//! A schedule's open time: which local intervals of each date are open, and the
//! arithmetic of business time over them — the overlap of `[start, end)` with the
//! open intervals, from prefix sums of open time (no minute walking), in the
//! schedule's time zone and correct across daylight-saving changes.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, TimeZone};
use chrono_tz::Tz;

/// Local open time within one day, in minutes from midnight: `[start, end)`,
/// `end` up to 1440 (midnight of the next day).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Interval {
    pub start: u32,
    pub end: u32,
}

impl Interval {
    /// `"09:00-18:00"`; `24:00` ends at midnight.
    pub fn parse(text: &str) -> Result<Interval, String> {
        let minutes = |t: &str| -> Option<u32> {
            let (h, m) = t.trim().split_once(':')?;
            let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
            (m < 60 && (h < 24 || (h == 24 && m == 0))).then_some(h * 60 + m)
        };
        let bad = || format!("{text:?} is not an interval like \"09:00-18:00\"");
        let (a, b) = text.split_once('-').ok_or_else(bad)?;
        let (start, end) = (minutes(a).ok_or_else(bad)?, minutes(b).ok_or_else(bad)?);
        if end <= start {
            return Err(format!("{text:?} ends before it starts (or is empty)"));
        }
        Ok(Interval { start, end })
    }

    pub fn describe(&self) -> String {
        let hm = |m: u32| format!("{:02}:{:02}", m / 60, m % 60);
        format!("{}-{}", hm(self.start), hm(self.end))
    }
}

/// Sorted, non-overlapping intervals, or an error naming the two that overlap.
pub fn sorted_day(mut day: Vec<Interval>) -> Result<Vec<Interval>, String> {
    day.sort();
    for pair in day.windows(2) {
        if pair[1].start < pair[0].end {
            return Err(format!(
                "{} and {} overlap",
                pair[0].describe(),
                pair[1].describe()
            ));
        }
    }
    Ok(day)
}

/// Open intervals per weekday, Monday first.
pub type Week = [Vec<Interval>; 7];

/// Why a date has the hours it has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DayKind {
    Regular,
    /// A date with hours of its own (a holiday with special hours, an extra day).
    Special,
    Holiday,
    /// A weekend day worked to make up for a holiday (调休).
    MakeUp,
}

#[derive(Debug, Clone)]
pub struct Schedule {
    pub name: String,
    pub tz: Tz,
    /// The weekly hours from each date on, sorted by date (the first from the
    /// beginning of time): a schedule that changes on a date.
    pub weeks: Vec<(NaiveDate, Week)>,
    pub special: BTreeMap<NaiveDate, Vec<Interval>>,
    /// Holidays and their names.
    pub holidays: BTreeMap<NaiveDate, String>,
    pub make_up: BTreeSet<NaiveDate>,
    /// The hours of a make-up working day; None: that week's Monday hours.
    pub make_up_hours: Option<Vec<Interval>>,
    /// The calendars it uses and the years each covers.
    pub coverage: Vec<(String, i32, i32)>,
}

impl Schedule {
    /// Open every hour of every day.
    pub fn always(name: &str, tz: Tz) -> Schedule {
        Schedule::weekly(name, tz, std::array::from_fn(|_| full_day()))
    }

    pub fn weekly(name: &str, tz: Tz, week: Week) -> Schedule {
        Schedule {
            name: name.to_string(),
            tz,
            weeks: vec![(NaiveDate::MIN, week)],
            special: BTreeMap::new(),
            holidays: BTreeMap::new(),
            make_up: BTreeSet::new(),
            make_up_hours: None,
            coverage: Vec::new(),
        }
    }

    fn week_of(&self, date: NaiveDate) -> &Week {
        let i = self.weeks.partition_point(|(from, _)| *from <= date);
        &self.weeks[i.saturating_sub(1)].1
    }

    /// The local open intervals of a date, and why.
    pub fn hours_on(&self, date: NaiveDate) -> (&[Interval], DayKind) {
        if let Some(hours) = self.special.get(&date) {
            return (hours, DayKind::Special);
        }
        if self.holidays.contains_key(&date) {
            return (&[], DayKind::Holiday);
        }
        let week = self.week_of(date);
        if self.make_up.contains(&date) {
            let hours = self.make_up_hours.as_deref().unwrap_or(&week[0]);
            return (hours, DayKind::MakeUp);
        }
        (
            &week[date.weekday().num_days_from_monday() as usize],
            DayKind::Regular,
        )
    }

    /// The first date, if any, in `[from, to]` outside every calendar's years.
    pub fn uncovered(&self, from: NaiveDate, to: NaiveDate) -> Option<(&str, i32, i32, NaiveDate)> {
        self.coverage.iter().find_map(|(name, first, last)| {
            if from.year() < *first {
                Some((name.as_str(), *first, *last, from))
            } else if to.year() > *last {
                let date = NaiveDate::from_ymd_opt(last + 1, 1, 1)?.max(from);
                Some((name.as_str(), *first, *last, date))
            } else {
                None
            }
        })
    }
}

pub fn full_day() -> Vec<Interval> {
    vec![Interval {
        start: 0,
        end: 1440,
    }]
}

/// A local time of `date` (minute `minute`, 1440 = next midnight) as a UTC
/// instant in ms. A time skipped by a daylight-saving change is the first instant
/// after the gap; a time that occurs twice is its first occurrence when `first`,
/// else its second (so an interval covers both).
pub fn instant(tz: Tz, date: NaiveDate, minute: u32, first: bool) -> i64 {
    let local = NaiveDateTime::new(date, NaiveTime::MIN) + Duration::minutes(i64::from(minute));
    for shift in 0..=180 {
        let t = local + Duration::minutes(shift);
        let found = match tz.from_local_datetime(&t) {
            chrono::LocalResult::Single(t) => Some(t),
            chrono::LocalResult::Ambiguous(a, b) => Some(if first { a } else { b }),
            chrono::LocalResult::None => None,
        };
        if let Some(t) = found {
            return t.timestamp_millis();
        }
    }
    // No zone skips three hours; fall back to reading the wall time as UTC.
    local.and_utc().timestamp_millis()
}

/// The open intervals of a schedule between two instants, in UTC ms, with the
/// open time before each: business time between two instants is a difference of
/// two lookups.
#[derive(Debug, Clone)]
pub struct Timeline {
    starts: Vec<i64>,
    ends: Vec<i64>,
    before: Vec<i64>,
}

impl Timeline {
    /// Covers every instant from `from` to `to` (UTC ms), a day of margin each side.
    pub fn new(schedule: &Schedule, from: i64, to: i64) -> Timeline {
        let date = |ms: i64| {
            chrono::DateTime::from_timestamp_millis(ms).map_or(NaiveDate::MIN, |t| {
                t.with_timezone(&schedule.tz).date_naive()
            })
        };
        let (first, last) = (date(from).pred_opt(), date(to).succ_opt());
        let mut raw: Vec<(i64, i64)> = Vec::new();
        if let (Some(first), Some(last)) = (first, last) {
            let mut day = first;
            while day <= last {
                for iv in schedule.hours_on(day).0 {
                    let a = instant(schedule.tz, day, iv.start, true);
                    let b = instant(schedule.tz, day, iv.end, false);
                    if b > a {
                        raw.push((a, b));
                    }
                }
                let Some(next) = day.succ_opt() else { break };
                day = next;
            }
        }
        raw.sort_unstable();
        // Merge touching or overlapping intervals (midnight to midnight, DST).
        let mut timeline = Timeline {
            starts: Vec::with_capacity(raw.len()),
            ends: Vec::with_capacity(raw.len()),
            before: Vec::with_capacity(raw.len()),
        };
        let mut open = 0;
        for (a, b) in raw {
            match timeline.ends.last_mut() {
                Some(end) if a <= *end => *end = (*end).max(b),
                _ => {
                    if let (Some(s), Some(e)) = (timeline.starts.last(), timeline.ends.last()) {
                        open += e - s;
                    }
                    timeline.starts.push(a);
                    timeline.ends.push(b);
                    timeline.before.push(open);
                }
            }
        }
        timeline
    }

    /// Open time before instant `t`, in ms.
    pub fn open_until(&self, t: i64) -> i64 {
        let i = self.starts.partition_point(|&s| s <= t);
        if i == 0 {
            return 0;
        }
        let j = i - 1;
        self.before[j] + (t.min(self.ends[j]) - self.starts[j])
    }

    /// Open time in `[a, b)`, in ms (0 when b ≤ a).
    pub fn elapsed(&self, a: i64, b: i64) -> i64 {
        if b <= a {
            return 0;
        }
        self.open_until(b) - self.open_until(a)
    }

    /// The open intervals overlapping `[from, to)`, clipped to it.
    pub fn intervals(&self, from: i64, to: i64) -> Vec<(i64, i64)> {
        let first = self.ends.partition_point(|&e| e <= from);
        (first..self.starts.len())
            .take_while(|&i| self.starts[i] < to)
            .map(|i| (self.starts[i].max(from), self.ends[i].min(to)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: i64 = 60_000;

    fn at(tz: Tz, text: &str) -> i64 {
        let t = NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M").unwrap();
        tz.from_local_datetime(&t)
            .earliest()
            .unwrap()
            .timestamp_millis()
    }

    fn hours(list: &[&str]) -> Vec<Interval> {
        sorted_day(list.iter().map(|t| Interval::parse(t).unwrap()).collect()).unwrap()
    }

    /// Mon–Fri with the given hours, closed at weekends.
    fn office(tz: Tz, day: &[&str]) -> Schedule {
        let mut week: Week = Default::default();
        for d in week.iter_mut().take(5) {
            *d = hours(day);
        }
        Schedule::weekly("office", tz, week)
    }

    fn business(s: &Schedule, a: &str, b: &str) -> i64 {
        let (a, b) = (at(s.tz, a), at(s.tz, b));
        Timeline::new(s, a, b).elapsed(a, b)
    }

    #[test]
    fn friday_evening_to_monday_morning_is_twenty_minutes() {
        let s = office(chrono_tz::Europe::Berlin, &["09:00-18:00"]);
        // 2026-11-20 is a Friday: 10 min on Friday, 10 on Monday.
        assert_eq!(
            business(&s, "2026-11-20 17:50", "2026-11-23 09:10"),
            20 * MIN
        );
    }

    #[test]
    fn outside_hours_is_zero() {
        let s = office(chrono_tz::Europe::Berlin, &["09:00-18:00"]);
        assert_eq!(business(&s, "2026-11-20 19:00", "2026-11-20 23:30"), 0);
        assert_eq!(business(&s, "2026-11-21 10:00", "2026-11-22 16:00"), 0);
    }

    #[test]
    fn a_holiday_is_closed_and_the_next_working_day_counts() {
        let mut s = office(chrono_tz::Asia::Shanghai, &["09:00-18:00"]);
        let d = |t: &str| NaiveDate::parse_from_str(t, "%Y-%m-%d").unwrap();
        s.holidays.insert(d("2026-10-01"), "国庆节".into());
        // Opened on the holiday (a Thursday), answered Friday 09:30.
        assert_eq!(
            business(&s, "2026-10-01 10:00", "2026-10-02 09:30"),
            30 * MIN
        );
    }

    #[test]
    fn a_make_up_saturday_counts() {
        let mut s = office(chrono_tz::Asia::Shanghai, &["09:00-18:00"]);
        let d = |t: &str| NaiveDate::parse_from_str(t, "%Y-%m-%d").unwrap();
        s.make_up.insert(d("2026-02-14"));
        // Saturday 2026-02-14 is worked: 10:00–12:00 is two hours.
        assert_eq!(
            business(&s, "2026-02-14 10:00", "2026-02-14 12:00"),
            120 * MIN
        );
        // The next Saturday is not.
        assert_eq!(business(&s, "2026-02-21 10:00", "2026-02-21 12:00"), 0);
    }

    #[test]
    fn a_split_shift_leaves_out_the_break() {
        let s = office(chrono_tz::Europe::Berlin, &["13:00-18:00", "09:00-12:00"]);
        // 11:00 → 14:00: 11–12 and 13–14.
        assert_eq!(
            business(&s, "2026-11-18 11:00", "2026-11-18 14:00"),
            120 * MIN
        );
    }

    #[test]
    fn daylight_saving_changes_are_counted_in_real_time() {
        // America/New_York falls back on Sunday 2026-11-01 at 02:00: 24×7, the
        // local day 00:00–24:00 lasts 25 real hours.
        let s = Schedule::always("24x7", chrono_tz::America::New_York);
        assert_eq!(
            business(&s, "2026-11-01 00:00", "2026-11-02 00:00"),
            25 * 60 * MIN
        );
        // And springs forward on 2026-03-08: 23 hours.
        assert_eq!(
            business(&s, "2026-03-08 00:00", "2026-03-09 00:00"),
            23 * 60 * MIN
        );
        // Office hours across the change: Friday 17:00 → Monday 10:00 is 2 h.
        let s = office(chrono_tz::America::New_York, &["09:00-18:00"]);
        assert_eq!(
            business(&s, "2026-10-30 17:00", "2026-11-02 10:00"),
            120 * MIN
        );
    }

    #[test]
    fn a_schedule_can_change_on_a_date() {
        let mut s = office(chrono_tz::UTC, &["09:00-18:00"]);
        let from = NaiveDate::from_ymd_opt(2026, 6, 1).unwrap();
        let mut longer: Week = Default::default();
        for d in longer.iter_mut().take(5) {
            *d = hours(&["08:00-20:00"]);
        }
        s.weeks.push((from, longer));
        assert_eq!(
            business(&s, "2026-05-29 07:00", "2026-05-29 21:00"),
            9 * 60 * MIN
        );
        assert_eq!(
            business(&s, "2026-06-01 07:00", "2026-06-01 21:00"),
            12 * 60 * MIN
        );
    }

    #[test]
    fn intervals_are_checked() {
        assert!(Interval::parse("18:00-09:00")
            .unwrap_err()
            .contains("ends before"));
        assert!(Interval::parse("9-18")
            .unwrap_err()
            .contains("not an interval"));
        assert_eq!(Interval::parse("00:00-24:00").unwrap().end, 1440);
        let overlap = sorted_day(vec![
            Interval::parse("09:00-13:00").unwrap(),
            Interval::parse("12:00-18:00").unwrap(),
        ]);
        assert_eq!(overlap.unwrap_err(), "09:00-13:00 and 12:00-18:00 overlap");
    }
}
