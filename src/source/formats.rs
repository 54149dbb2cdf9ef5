//! The stated forms a mapping may give for timestamps and durations: strftime
//! patterns (with or without an offset), Unix seconds or milliseconds, Excel serial
//! days; and durations in seconds, minutes, hours, days or `H:MM[:SS]`. (Over 400
//! lines: about 150 are its tests.)

use anyhow::{bail, Context, Result};
use chrono::format::{Fixed, Item, Parsed, StrftimeItems};
use chrono::NaiveDate;
use chrono_tz::Tz;

use super::timestamp::{local_to_utc_ms, parse_deadline, MS_PER_DAY};
use super::Moment;

/// One entry of `timestamp_formats`.
#[derive(Debug, Clone, PartialEq)]
pub enum TimestampFormat {
    /// A strftime pattern, parsed once (chrono's `parse_from_str` parses the
    /// pattern again for every field); `offset` when it reads the offset too
    /// (`%z`), so the instant does not depend on the time zone.
    Strftime {
        items: Vec<Item<'static>>,
        offset: bool,
        /// The same pattern as plain digits and separators, when it is only
        /// that: read without chrono's general parser (a third of the time).
        digits: Option<Vec<Piece>>,
    },
    /// Seconds since 1970-01-01T00:00:00Z (`unix`).
    UnixSeconds,
    /// Milliseconds since the epoch (`unix_ms`).
    UnixMillis,
    /// Days since 1899-12-30 with the time as a fraction (`excel`), in local time:
    /// what a spreadsheet stores for a date cell.
    ExcelSerial,
}

impl TimestampFormat {
    pub fn parse(text: &str) -> Result<TimestampFormat> {
        Ok(match text {
            "unix" => TimestampFormat::UnixSeconds,
            "unix_ms" => TimestampFormat::UnixMillis,
            "excel" => TimestampFormat::ExcelSerial,
            pattern => {
                let items = StrftimeItems::new(pattern)
                    .parse_to_owned()
                    .ok()
                    .filter(|items| !items.contains(&Item::Error))
                    .with_context(|| {
                        format!(
                            "{pattern:?} is not a valid strftime format (or unix, unix_ms, excel)"
                        )
                    })?;
                let offset = items.iter().any(|i| {
                    matches!(
                        i,
                        Item::Fixed(
                            Fixed::TimezoneOffset
                                | Fixed::TimezoneOffsetColon
                                | Fixed::TimezoneOffsetColonZ
                                | Fixed::TimezoneOffsetZ
                                | Fixed::TimezoneOffsetDoubleColon
                                | Fixed::TimezoneOffsetTripleColon
                        )
                    )
                });
                let digits = Piece::compile(&items);
                TimestampFormat::Strftime {
                    items,
                    offset,
                    digits,
                }
            }
        })
    }

    /// The instant in UTC milliseconds, or None when the text is not in this form.
    /// A form without a time of day gives midnight, or the end of the day for a
    /// deadline.
    pub fn read(&self, text: &str, tz: Tz, moment: Moment) -> Option<i64> {
        match self {
            TimestampFormat::Strftime {
                items,
                offset,
                digits,
            } => {
                let (d, time) = match digits.as_deref().and_then(|p| read_digits(p, text)) {
                    Some(read) => read,
                    None => {
                        let mut parsed = Parsed::new();
                        chrono::format::parse(&mut parsed, text, items.iter()).ok()?;
                        if *offset {
                            return parsed.to_datetime().ok().map(|t| t.timestamp_millis());
                        }
                        let time = parsed
                            .to_naive_datetime_with_offset(0)
                            .ok()
                            .map(|t| t.time());
                        (parsed.to_naive_date().ok()?, time)
                    }
                };
                if let Some(time) = time {
                    return local_to_utc_ms(d.and_time(time), tz).ok();
                }
                match moment {
                    Moment::Event => local_to_utc_ms(d.and_hms_opt(0, 0, 0)?, tz).ok(),
                    Moment::Deadline => parse_deadline(&d.to_string(), tz).ok(),
                }
            }
            TimestampFormat::UnixSeconds => instant((number(text)? * 1000.0).round()),
            TimestampFormat::UnixMillis => instant(text.parse::<i64>().ok()? as f64),
            TimestampFormat::ExcelSerial => {
                let days = number(text)?;
                // Serial days of years 1900 to 2200.
                if !(1.0..=110_000.0).contains(&days) {
                    return None;
                }
                let epoch = NaiveDate::from_ymd_opt(1899, 12, 30)?.and_hms_opt(0, 0, 0)?;
                let ms = (days * MS_PER_DAY as f64).round() as i64;
                let local = epoch.checked_add_signed(chrono::TimeDelta::try_milliseconds(ms)?)?;
                // A whole number is a date cell: a deadline lasts to the day's end.
                if moment == Moment::Deadline && days.fract() == 0.0 {
                    return parse_deadline(&local.date().to_string(), tz).ok();
                }
                local_to_utc_ms(local, tz).ok()
            }
        }
    }
}

/// One piece of a pattern made only of numbers and separators.
#[derive(Debug, Clone, PartialEq)]
pub enum Piece {
    /// A number of 1 to `max` digits (exactly 4 for a year) going to `slot`:
    /// 0 year, 1 month, 2 day, 3 hour, 4 minute, 5 second.
    Number {
        slot: usize,
        max: usize,
    },
    Literal(u8),
}

impl Piece {
    /// The pieces of a pattern, or None when it has anything else (names, %p,
    /// offsets, fractions): those go through chrono.
    fn compile(items: &[Item]) -> Option<Vec<Piece>> {
        use chrono::format::Numeric;
        let mut pieces = Vec::new();
        for item in items {
            match item {
                Item::Numeric(n, _) => {
                    let (slot, max) = match n {
                        Numeric::Year => (0, 4),
                        Numeric::Month => (1, 2),
                        Numeric::Day => (2, 2),
                        Numeric::Hour => (3, 2),
                        Numeric::Minute => (4, 2),
                        Numeric::Second => (5, 2),
                        _ => return None,
                    };
                    pieces.push(Piece::Number { slot, max });
                }
                Item::Literal(s) | Item::Space(s) => pieces.extend(s.bytes().map(Piece::Literal)),
                Item::OwnedLiteral(s) | Item::OwnedSpace(s) => {
                    pieces.extend(s.bytes().map(Piece::Literal))
                }
                _ => return None,
            }
        }
        // A date is needed; a time needs its hour and minute.
        let has = |slot| {
            pieces.contains(&Piece::Number {
                slot,
                max: if slot == 0 { 4 } else { 2 },
            })
        };
        let date = has(0) && has(1) && has(2);
        let time = has(3) == has(4) && (has(3) || !has(5));
        (date && time).then_some(pieces)
    }
}

/// Reads `text` by `pieces`: the date, and the time when the pattern has one.
/// None when it does not fit exactly (chrono then decides).
fn read_digits(pieces: &[Piece], text: &str) -> Option<(NaiveDate, Option<chrono::NaiveTime>)> {
    let bytes = text.as_bytes();
    let mut at = 0;
    let mut slots: [Option<u32>; 6] = [None; 6];
    for piece in pieces {
        match *piece {
            Piece::Literal(b) => {
                if bytes.get(at) != Some(&b) {
                    return None;
                }
                at += 1;
            }
            Piece::Number { slot, max } => {
                let len = bytes[at..]
                    .iter()
                    .take(max)
                    .take_while(|b| b.is_ascii_digit())
                    .count();
                if len == 0 || (slot == 0 && len != 4) {
                    return None;
                }
                let value = bytes[at..at + len]
                    .iter()
                    .fold(0u32, |v, d| v * 10 + u32::from(d - b'0'));
                slots[slot] = Some(value);
                at += len;
            }
        }
    }
    if at != bytes.len() {
        return None;
    }
    let date = NaiveDate::from_ymd_opt(slots[0]? as i32, slots[1]?, slots[2]?)?;
    let time = match slots[3] {
        Some(h) => Some(chrono::NaiveTime::from_hms_opt(
            h,
            slots[4]?,
            slots[5].unwrap_or(0),
        )?),
        None => None,
    };
    Some((date, time))
}

/// A finite number, or None.
fn number(text: &str) -> Option<f64> {
    text.parse::<f64>().ok().filter(|v| v.is_finite())
}

/// The longest duration read (a century), and the instants a number may give
/// (years 1900 to 2200): past them a column holds something else, and the
/// arithmetic on them would overflow.
const MAX_DURATION_MS: i64 = 100 * 366 * MS_PER_DAY;
const MIN_INSTANT_MS: i64 = -2_208_988_800_000;
const MAX_INSTANT_MS: i64 = 7_258_118_400_000;

fn instant(ms: f64) -> Option<i64> {
    (MIN_INSTANT_MS as f64..=MAX_INSTANT_MS as f64)
        .contains(&ms)
        .then_some(ms as i64)
}

/// The unit of a duration column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DurationUnit {
    Seconds,
    Minutes,
    Hours,
    Days,
    /// `H:MM:SS` or `H:MM`, hours not limited to 24 (Freshdesk's "in hrs" columns).
    Clock,
}

impl DurationUnit {
    pub const NAMES: &'static str = "seconds, minutes, hours, days, hh:mm:ss";

    pub fn parse(text: &str) -> Result<DurationUnit> {
        Ok(match text {
            "seconds" => DurationUnit::Seconds,
            "minutes" => DurationUnit::Minutes,
            "hours" => DurationUnit::Hours,
            "days" => DurationUnit::Days,
            "hh:mm:ss" | "hh:mm" => DurationUnit::Clock,
            other => bail!("unit {other:?} is unknown; valid: {}", Self::NAMES),
        })
    }

    /// The duration in milliseconds; None when the text is not one, or negative.
    pub fn read(self, text: &str) -> Option<i64> {
        let ms = match self {
            DurationUnit::Clock => {
                let mut parts = text.split(':');
                let hours: i64 = parts.next()?.trim().parse().ok()?;
                let minutes: i64 = parts.next()?.parse().ok()?;
                let seconds: f64 = parts.next().map_or(Some(0.0), |s| s.parse().ok())?;
                if parts.next().is_some()
                    || !(0..60).contains(&minutes)
                    || !(0.0..60.0).contains(&seconds)
                    || hours < 0
                {
                    return None;
                }
                hours
                    .checked_mul(3_600_000)?
                    .checked_add(minutes * 60_000 + (seconds * 1000.0).round() as i64)?
            }
            unit => {
                let per = match unit {
                    DurationUnit::Seconds => 1_000.0,
                    DurationUnit::Minutes => 60_000.0,
                    DurationUnit::Hours => 3_600_000.0,
                    _ => MS_PER_DAY as f64,
                };
                let ms = (number(text)? * per).round();
                // Past a century it is not a duration but a wrong column.
                if ms > MAX_DURATION_MS as f64 {
                    return None;
                }
                ms as i64
            }
        };
        (0..=MAX_DURATION_MS).contains(&ms).then_some(ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::timestamp::parse_timestamp;

    fn utc(s: &str) -> i64 {
        parse_timestamp(s, Tz::UTC).unwrap()
    }

    fn read(format: &str, text: &str, tz: Tz, moment: Moment) -> Option<i64> {
        TimestampFormat::parse(format)
            .unwrap()
            .read(text, tz, moment)
    }

    #[test]
    fn stated_forms() {
        let ev = Moment::Event;
        // US/Excel month-first, unpadded, minutes only.
        assert_eq!(
            read("%m/%d/%Y %H:%M", "10/2/2017 10:56", Tz::UTC, ev),
            Some(utc("2017-10-02T10:56:00Z"))
        );
        // Tmall's unpadded year-first.
        assert_eq!(
            read("%Y/%m/%d %H:%M", "2019/2/20 16:13", Tz::UTC, ev),
            Some(utc("2019-02-20T16:13:00Z"))
        );
        // Twitter: the offset in the text wins over the zone.
        let shanghai = Tz::Asia__Shanghai;
        assert_eq!(
            read(
                "%a %b %d %H:%M:%S %z %Y",
                "Tue Oct 31 22:10:47 +0000 2017",
                shanghai,
                ev
            ),
            Some(utc("2017-10-31T22:10:47Z"))
        );
        assert_eq!(
            read("unix", "1509487847", shanghai, ev),
            Some(utc("2017-10-31T22:10:47Z"))
        );
        assert_eq!(
            read("unix_ms", "1509487847250", Tz::UTC, ev),
            Some(utc("2017-10-31T22:10:47.250Z"))
        );
        // 43037.2615 days after 1899-12-30: 2017-10-29, 0.2615 × 24 h = 06:16:33.6.
        assert_eq!(
            read("excel", "43037.2615", Tz::UTC, ev),
            Some(utc("2017-10-29T06:16:33.600Z"))
        );
        // Excel stores wall time: in Shanghai that is 8 h earlier in UTC.
        assert_eq!(
            read("excel", "43037.25", shanghai, ev),
            Some(utc("2017-10-28T22:00:00Z"))
        );
        // A whole serial day as a deadline lasts to the end of that day.
        assert_eq!(
            read("excel", "43037", Tz::UTC, Moment::Deadline),
            Some(utc("2017-10-30") - 1)
        );
        assert_eq!(read("excel", "abc", Tz::UTC, ev), None);
        assert_eq!(read("unix", "12:00", Tz::UTC, ev), None);
        assert!(TimestampFormat::parse("%Q").is_err());
    }

    /// The digits-only reader gives what chrono gives, and leaves to chrono what
    /// it cannot read.
    #[test]
    fn digit_patterns_agree_with_chrono() {
        for (pattern, texts) in [
            (
                "%d-%m-%Y %H:%M:%S",
                &[
                    "29-02-2016 01:16:05",
                    "1-2-2016 1:16:05",
                    "29-02-2016 01:16",
                    "31-02-2016 01:16:05",
                    "29-02-16 01:16:05",
                    " 29-02-2016 01:16:05",
                ][..],
            ),
            (
                "%m/%d/%Y %H:%M",
                &["10/2/2017 10:56", "13/2/2017 10:56", "10/2/2017 10:56:00"][..],
            ),
            ("%Y/%m/%d", &["2019/2/20", "2019/02/20 00:00"][..]),
        ] {
            let format = TimestampFormat::parse(pattern).unwrap();
            let TimestampFormat::Strftime { items, digits, .. } = &format else {
                panic!()
            };
            assert!(digits.is_some(), "{pattern}");
            for text in texts {
                let mut parsed = Parsed::new();
                let chrono = chrono::format::parse(&mut parsed, text, items.iter())
                    .ok()
                    .and_then(|_| parsed.to_naive_date().ok());
                let fast = read_digits(digits.as_ref().unwrap(), text).map(|(d, _)| d);
                // Where the fast reader answers, chrono agrees.
                if fast.is_some() {
                    assert_eq!(fast, chrono, "{pattern} {text:?}");
                }
                for moment in [Moment::Event, Moment::Deadline] {
                    let _ = format.read(text, Tz::UTC, moment);
                }
            }
        }
        assert!(Piece::compile(
            &StrftimeItems::new("%a %b %d %H:%M:%S %z %Y")
                .parse_to_owned()
                .unwrap()
        )
        .is_none());
        assert_eq!(
            read(
                "%d-%m-%Y %H:%M:%S",
                "29-02-2016 01:16:05",
                Tz::UTC,
                Moment::Event
            ),
            Some(utc("2016-02-29T01:16:05Z"))
        );
        assert_eq!(
            read(
                "%d-%m-%Y %H:%M:%S",
                "31-02-2016 01:16:05",
                Tz::UTC,
                Moment::Event
            ),
            None
        );
    }

    #[test]
    fn durations() {
        assert_eq!(DurationUnit::Minutes.read("90"), Some(5_400_000));
        assert_eq!(DurationUnit::Hours.read("1.5"), Some(5_400_000));
        assert_eq!(DurationUnit::Seconds.read("0.25"), Some(250));
        assert_eq!(DurationUnit::Days.read("2"), Some(2 * MS_PER_DAY));
        assert_eq!(DurationUnit::Clock.read("26:15:30"), Some(94_530_000));
        assert_eq!(DurationUnit::Clock.read("0:05"), Some(300_000));
        assert_eq!(DurationUnit::Clock.read("1:60:00"), None);
        assert_eq!(DurationUnit::Minutes.read("-5"), None);
        assert_eq!(DurationUnit::Minutes.read("soon"), None);
        // Found by the fuzzer: numbers too large to be durations overflowed.
        assert_eq!(DurationUnit::Clock.read("99999999999999999:00"), None);
        assert_eq!(DurationUnit::Minutes.read("1e300"), None);
        assert_eq!(read("unix", "1e300", Tz::UTC, Moment::Event), None);
        assert_eq!(
            read("unix_ms", "-9223372036854775808", Tz::UTC, Moment::Event),
            None
        );
        assert_eq!(read("excel", "1e12", Tz::UTC, Moment::Event), None);
        assert!(DurationUnit::parse("weeks").is_err());
    }
}
