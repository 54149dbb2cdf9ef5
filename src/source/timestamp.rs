//! Timestamp parsing and formatting. Every instant inside svcq is an `i64` of
//! milliseconds since the Unix epoch, UTC.

use chrono::{DateTime, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

pub const MS_PER_HOUR: f64 = 3_600_000.0;
pub const MS_PER_DAY: i64 = 86_400_000;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimestampError {
    #[error("not a timestamp (expected e.g. 2026-11-16T09:30:00Z, 2026-11-16 09:30, 2026/11/16 09:30 or 2026-11-16)")]
    Malformed,
    #[error("local time does not exist in {0} (daylight-saving gap)")]
    Nonexistent(Tz),
}

/// Parses one of the accepted forms: a date (`2026-11-16`, `2026/11/16`), optionally
/// followed by `T` or a space and `HH:MM[:SS[.fff]]`, optionally followed by `Z` or an
/// offset (`+08:00`, `+0800`, `+08`). Without an offset the wall time is in `tz`.
pub fn parse_timestamp(text: &str, tz: Tz) -> Result<i64, TimestampError> {
    parse(text, tz, false)
}

/// A deadline (a promised or due date): like [`parse_timestamp`], but a date without
/// a time means the end of that day in `tz` (its last millisecond), so a parcel
/// delivered at 15:00 on the promised day is on time.
pub fn parse_deadline(text: &str, tz: Tz) -> Result<i64, TimestampError> {
    parse(text, tz, true)
}

fn parse(text: &str, tz: Tz, date_means_end_of_day: bool) -> Result<i64, TimestampError> {
    let s = text.trim().as_bytes();
    let (date, rest) = parse_date(s).ok_or(TimestampError::Malformed)?;
    if rest.is_empty() && date_means_end_of_day {
        let next = date.succ_opt().ok_or(TimestampError::Malformed)?;
        // The first existing instant of the next day (midnight may fall in a DST gap).
        let start = (0..24)
            .find_map(|h| local_to_utc_ms(next.and_hms_opt(h, 0, 0)?, tz).ok())
            .ok_or(TimestampError::Malformed)?;
        return Ok(start - 1);
    }
    let (time, offset_ms) = if rest.is_empty() {
        (NaiveTime::MIN, None)
    } else {
        if rest[0] != b'T' && rest[0] != b't' && rest[0] != b' ' {
            return Err(TimestampError::Malformed);
        }
        let (time, rest) = parse_time(&rest[1..]).ok_or(TimestampError::Malformed)?;
        let offset = parse_offset(rest).ok_or(TimestampError::Malformed)?;
        (time, offset)
    };
    let naive = NaiveDateTime::new(date, time);
    match offset_ms {
        Some(offset) => Ok(naive.and_utc().timestamp_millis() - offset),
        None => local_to_utc_ms(naive, tz),
    }
}

/// A wall-clock time in `tz` as UTC milliseconds. In a daylight-saving overlap the
/// earlier instant is taken; a time inside a gap does not exist and is an error.
pub fn local_to_utc_ms(naive: NaiveDateTime, tz: Tz) -> Result<i64, TimestampError> {
    if tz == Tz::UTC {
        return Ok(naive.and_utc().timestamp_millis());
    }
    match tz.from_local_datetime(&naive) {
        LocalResult::Single(t) => Ok(t.timestamp_millis()),
        LocalResult::Ambiguous(earlier, _) => Ok(earlier.timestamp_millis()),
        LocalResult::None => Err(TimestampError::Nonexistent(tz)),
    }
}

/// The wall-clock time in `tz` of a UTC instant.
pub fn to_local(ms: i64, tz: Tz) -> NaiveDateTime {
    let utc = DateTime::<Utc>::from_timestamp_millis(ms).unwrap_or_default();
    utc.with_timezone(&tz).naive_local()
}

fn digits(s: &[u8], n: usize) -> Option<u32> {
    if s.len() < n || !s[..n].iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(
        s[..n]
            .iter()
            .fold(0, |acc, d| acc * 10 + u32::from(d - b'0')),
    )
}

fn parse_date(s: &[u8]) -> Option<(NaiveDate, &[u8])> {
    let year = digits(s, 4)?;
    let sep = *s.get(4)?;
    if (sep != b'-' && sep != b'/') || s.get(7) != Some(&sep) {
        return None;
    }
    let month = digits(&s[5..], 2)?;
    let day = digits(&s[8..], 2)?;
    let date = NaiveDate::from_ymd_opt(year as i32, month, day)?;
    Some((date, &s[10..]))
}

fn parse_time(s: &[u8]) -> Option<(NaiveTime, &[u8])> {
    let hour = digits(s, 2)?;
    if s.get(2) != Some(&b':') {
        return None;
    }
    let minute = digits(&s[3..], 2)?;
    let mut rest = &s[5..];
    let mut second = 0;
    let mut milli = 0;
    if rest.first() == Some(&b':') {
        second = digits(&rest[1..], 2)?;
        rest = &rest[3..];
        if rest.first() == Some(&b'.') || rest.first() == Some(&b',') {
            let frac_len = rest[1..].iter().take_while(|b| b.is_ascii_digit()).count();
            if frac_len == 0 {
                return None;
            }
            // Milliseconds are the resolution; finer digits are truncated.
            let frac = &rest[1..1 + frac_len];
            for i in 0..3 {
                milli = milli * 10 + frac.get(i).map_or(0, |d| u32::from(d - b'0'));
            }
            rest = &rest[1 + frac_len..];
        }
    }
    let time = NaiveTime::from_hms_milli_opt(hour, minute, second, milli)?;
    Some((time, rest))
}

/// `Some(None)`: no offset; `Some(Some(ms))`: an offset east of UTC; `None`: malformed.
fn parse_offset(s: &[u8]) -> Option<Option<i64>> {
    match s {
        [] => Some(None),
        [b'Z' | b'z'] => Some(Some(0)),
        [sign @ (b'+' | b'-'), rest @ ..] => {
            let hours = digits(rest, 2)?;
            let minutes = match &rest[2..] {
                [] => 0,
                [b':', m @ ..] if m.len() == 2 => digits(m, 2)?,
                m if m.len() == 2 => digits(m, 2)?,
                _ => return None,
            };
            if hours > 23 || minutes > 59 {
                return None;
            }
            let ms = i64::from(hours * 60 + minutes) * 60_000;
            Some(Some(if *sign == b'-' { -ms } else { ms }))
        }
        _ => None,
    }
}

/// RFC 3339 in UTC with second precision (milliseconds when present).
pub fn format_utc(ms: i64) -> String {
    let t = DateTime::<Utc>::from_timestamp_millis(ms).unwrap_or_default();
    if ms.rem_euclid(1000) == 0 {
        t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
    } else {
        t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
    }
}

/// Parses a time zone name (IANA, e.g. `Asia/Shanghai`, or `UTC`).
pub fn parse_tz(name: &str) -> anyhow::Result<Tz> {
    name.parse::<Tz>().map_err(|_| {
        anyhow::anyhow!("unknown time zone {name:?}: use an IANA name such as UTC, Europe/Berlin or Asia/Shanghai")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_only_deadlines_are_the_end_of_the_day() {
        let utc = |t: &str| parse_timestamp(t, Tz::UTC).unwrap();
        assert_eq!(
            parse_deadline("2017-08-01", Tz::UTC).unwrap(),
            utc("2017-08-02") - 1
        );
        // A time given is kept as it is.
        assert_eq!(
            parse_deadline("2017-08-01 00:00", Tz::UTC).unwrap(),
            utc("2017-08-01")
        );
        // In the deadline's zone: the end of 1 August in Shanghai is 15:59:59.999Z.
        assert_eq!(
            parse_deadline("2017-08-01", Tz::Asia__Shanghai).unwrap(),
            utc("2017-08-01T16:00:00Z") - 1
        );
    }

    const BASE: i64 = 1_763_285_400_000; // 2025-11-16T09:30:00Z

    fn utc(s: &str) -> i64 {
        parse_timestamp(s, Tz::UTC).unwrap()
    }

    #[test]
    fn accepts_every_documented_form() {
        assert_eq!(utc("2025-11-16T09:30:00Z"), BASE);
        assert_eq!(utc("2025-11-16T09:30:00"), BASE);
        assert_eq!(utc("2025-11-16 09:30:00"), BASE);
        assert_eq!(utc("2025-11-16 09:30"), BASE);
        assert_eq!(utc("2025/11/16 09:30:00"), BASE);
        assert_eq!(utc("2025/11/16 09:30"), BASE);
        assert_eq!(utc("2025-11-16"), BASE - 9 * 3_600_000 - 30 * 60_000);
        assert_eq!(utc(" 2025-11-16T09:30:00.250Z "), BASE + 250);
    }

    #[test]
    fn honours_offsets_over_the_zone() {
        let shanghai: Tz = "Asia/Shanghai".parse().unwrap();
        assert_eq!(utc("2025-11-16T17:30:00+08:00"), BASE);
        assert_eq!(utc("2025-11-16T17:30:00+0800"), BASE);
        assert_eq!(utc("2025-11-16T04:30:00-05"), BASE);
        assert_eq!(
            parse_timestamp("2025-11-16T09:30:00Z", shanghai).unwrap(),
            BASE
        );
        assert_eq!(parse_timestamp("2025-11-16 17:30", shanghai).unwrap(), BASE);
    }

    #[test]
    fn daylight_saving_gap_and_overlap() {
        let berlin: Tz = "Europe/Berlin".parse().unwrap();
        // 2025-03-30 02:30 does not exist in Berlin.
        assert_eq!(
            parse_timestamp("2025-03-30 02:30", berlin),
            Err(TimestampError::Nonexistent(berlin))
        );
        // 2025-10-26 02:30 happens twice; the earlier (CEST, +02:00) is taken.
        assert_eq!(
            parse_timestamp("2025-10-26 02:30", berlin).unwrap(),
            utc("2025-10-26T00:30:00Z")
        );
    }

    #[test]
    fn rejects_malformed_text() {
        for bad in [
            "",
            "2025-13-01",
            "2025-02-30",
            "16/11/2025",
            "2025-11-16X09:30",
            "2025-11-16 9:30",
            "2025-11-16 25:00",
            "2025-11-16T09:30:00+8",
            "2025-11-16T09:30:00 UTC",
            "yesterday",
            "2025-11/16",
            "2025-11-16T09:30:00.Z",
        ] {
            assert_eq!(
                parse_timestamp(bad, Tz::UTC),
                Err(TimestampError::Malformed),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn formats_utc() {
        assert_eq!(format_utc(BASE), "2025-11-16T09:30:00Z");
        assert_eq!(format_utc(BASE + 5), "2025-11-16T09:30:00.005Z");
    }
}
