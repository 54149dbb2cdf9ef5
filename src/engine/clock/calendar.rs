//! Holiday calendars: the dates a country closes, and the weekend days it works
//! instead (make-up working days, 调休). Built in: `cn` (mainland China
//! 2025–2026). A user adds another country's as a TOML file in the same format
//! (docs/business-hours.md):
//!
//! ```toml
//! name = "de-by"
//! years = [2026]
//! [holidays]                       # a date or `first..last` = its name
//! "2026-12-25..2026-12-26" = "Weihnachten"
//! [working_days]                   # make-up working days, if the country has any
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use anyhow::{bail, Context, Result};
use chrono::{Datelike, NaiveDate};
use serde::Deserialize;
use toml::Spanned;

use super::line_of;

/// Every built-in calendar: its name and file.
const BUILT_IN: &[(&str, &str)] = &[("cn", include_str!("calendars/cn.toml"))];

#[derive(Debug, Clone)]
pub struct Calendar {
    pub name: String,
    pub first_year: i32,
    pub last_year: i32,
    pub holidays: BTreeMap<NaiveDate, String>,
    pub make_up: BTreeSet<NaiveDate>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CalendarFile {
    name: String,
    #[serde(default)]
    about: String,
    years: Vec<i32>,
    #[serde(default)]
    holidays: BTreeMap<Spanned<String>, String>,
    #[serde(default)]
    working_days: BTreeMap<Spanned<String>, String>,
}

/// The dates of `"2026-10-01"` or `"2026-10-01..2026-10-07"` (both included).
pub fn parse_dates(text: &str) -> Result<Vec<NaiveDate>, String> {
    let date = |t: &str| {
        NaiveDate::parse_from_str(t.trim(), "%Y-%m-%d")
            .map_err(|_| format!("{t:?} is not a date like 2026-10-01"))
    };
    let (first, last) = match text.split_once("..") {
        Some((a, b)) => (date(a)?, date(b)?),
        None => (date(text)?, date(text)?),
    };
    if last < first {
        return Err(format!("{text:?} ends before it starts"));
    }
    if (last - first).num_days() > 366 {
        return Err(format!("{text:?} is longer than a year"));
    }
    Ok(first.iter_days().take_while(|d| *d <= last).collect())
}

impl Calendar {
    /// A built-in calendar by name, or None.
    pub fn built_in(name: &str) -> Option<Calendar> {
        BUILT_IN
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(n, text)| Calendar::parse(text, &format!("built-in calendar {n}")))
            .map(|c| c.expect("built-in calendars are valid (tested)"))
    }

    pub fn built_in_names() -> Vec<&'static str> {
        BUILT_IN.iter().map(|(n, _)| *n).collect()
    }

    pub fn load(path: &Path) -> Result<Calendar> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read calendar file {}", path.display()))?;
        Calendar::parse(&text, &path.display().to_string())
    }

    /// Every date must lie in the years the file says it covers.
    pub fn parse(text: &str, origin: &str) -> Result<Calendar> {
        let file: CalendarFile =
            toml::from_str(text).with_context(|| format!("{origin}: invalid calendar file"))?;
        let _ = file.about;
        let (Some(&first_year), Some(&last_year)) =
            (file.years.iter().min(), file.years.iter().max())
        else {
            bail!("{origin}: `years` must name the years the calendar covers");
        };
        let dates = |table: &BTreeMap<Spanned<String>, String>, key: &str| {
            let mut out = Vec::new();
            for (spanned, name) in table {
                let at = format!(
                    "{origin}:{}: {key} {:?}",
                    line_of(text, spanned.span().start),
                    spanned.get_ref()
                );
                let days =
                    parse_dates(spanned.get_ref()).map_err(|e| anyhow::anyhow!("{at}: {e}"))?;
                if let Some(d) = days.iter().find(|d| !file.years.contains(&d.year())) {
                    bail!(
                        "{at}: {d} is outside the years the calendar covers ({})",
                        file.years
                            .iter()
                            .map(i32::to_string)
                            .collect::<Vec<_>>()
                            .join(", ")
                    );
                }
                out.extend(days.into_iter().map(|d| (d, name.clone())));
            }
            Ok(out)
        };
        let holidays: BTreeMap<NaiveDate, String> =
            dates(&file.holidays, "holidays")?.into_iter().collect();
        let make_up: BTreeSet<NaiveDate> = dates(&file.working_days, "working_days")?
            .into_iter()
            .map(|(d, _)| d)
            .collect();
        if let Some(d) = make_up.iter().find(|d| holidays.contains_key(d)) {
            bail!("{origin}: {d} is both a holiday and a working day");
        }
        Ok(Calendar {
            name: file.name,
            first_year,
            last_year,
            holidays,
            make_up,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_china_calendar_has_the_2026_spring_festival() {
        let cn = Calendar::built_in("cn").unwrap();
        let d = |t: &str| NaiveDate::parse_from_str(t, "%Y-%m-%d").unwrap();
        assert_eq!((cn.first_year, cn.last_year), (2025, 2026));
        for day in parse_dates("2026-02-15..2026-02-23").unwrap() {
            assert!(cn.holidays.contains_key(&day), "{day}");
        }
        assert!(cn.make_up.contains(&d("2026-02-14")));
        assert!(cn.make_up.contains(&d("2026-02-28")));
        assert!(!cn.holidays.contains_key(&d("2026-02-24")));
        // 2025: 8 days of Spring Festival, 8 of National Day; 2026: 9 and 7.
        let count = |from: &str, to: &str| {
            parse_dates(&format!("{from}..{to}"))
                .unwrap()
                .iter()
                .filter(|d| cn.holidays.contains_key(d))
                .count()
        };
        assert_eq!(count("2025-01-20", "2025-02-10"), 8);
        assert_eq!(count("2025-09-25", "2025-10-15"), 8);
        assert_eq!(count("2026-02-10", "2026-02-28"), 9);
        assert_eq!(count("2026-09-28", "2026-10-15"), 7);
        assert_eq!(cn.make_up.len(), 11);
    }

    #[test]
    fn a_date_outside_the_years_is_an_error_naming_its_line() {
        let text = "name = \"x\"\nyears = [2026]\n[holidays]\n\"2026-12-25\" = \"a\"\n\"2027-01-01\" = \"b\"\n";
        let err = format!("{:#}", Calendar::parse(text, "de.toml").unwrap_err());
        assert!(err.contains("de.toml:5: holidays \"2027-01-01\""), "{err}");
        assert!(
            err.contains("outside the years the calendar covers (2026)"),
            "{err}"
        );
        assert!(parse_dates("2026-10-07..2026-10-01")
            .unwrap_err()
            .contains("ends before"));
    }
}
