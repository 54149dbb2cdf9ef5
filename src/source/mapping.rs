//! How a real export maps onto the contract: `[sources.<source>]` in svcq.toml.
//! Column names, value labels, timestamp formats, empty-value tokens, time zone,
//! encoding and delimiter — everything stated, nothing guessed per row.
//!
//! ```toml
//! [sources.tickets]
//! encoding = "gbk"                       # utf-8 (default), utf-16, gbk, gb18030
//! delimiter = ";"                        # sniffed among , ; tab | when not set
//! timestamp_formats = ["%d-%m-%Y %H:%M"] # tried in order, then ISO 8601
//! null = ["?", "-", "N/A"]               # read as empty
//! timezone = "Europe/Lisbon"
//! [sources.tickets.columns]              # svcq field = "export column"
//! ticket_id = "number"
//! [sources.tickets.values.priority]      # export label = svcq value
//! "1 - Critical" = "urgent"
//! ```

use std::collections::BTreeMap;

use anyhow::{bail, Context, Result};
use chrono::{NaiveDate, NaiveDateTime};
use chrono_tz::Tz;
use encoding_rs::Encoding;
use serde::Deserialize;

use super::timestamp::{local_to_utc_ms, parse_tz};
use super::{Kind, Moment, Source};

/// One source's mapping as written in svcq.toml.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MappingSpec {
    encoding: Option<String>,
    delimiter: Option<String>,
    #[serde(default)]
    timestamp_formats: Vec<String>,
    #[serde(default)]
    null: Vec<String>,
    timezone: Option<String>,
    #[serde(default)]
    columns: BTreeMap<String, String>,
    #[serde(default)]
    values: BTreeMap<String, BTreeMap<String, String>>,
}

/// A validated mapping for one source.
#[derive(Debug, Clone, Default)]
pub struct Mapping {
    /// None: UTF-8, or detected from a byte-order mark or bytes that are not UTF-8.
    pub encoding: Option<&'static Encoding>,
    pub delimiter: Option<u8>,
    pub timestamp_formats: Vec<String>,
    pub null: Vec<String>,
    pub timezone: Option<Tz>,
    /// svcq field → export column.
    pub columns: BTreeMap<String, String>,
    /// svcq field → (export label → svcq value).
    pub values: BTreeMap<String, BTreeMap<String, String>>,
}

/// The mappings of every source named in svcq.toml.
pub type Mappings = BTreeMap<Source, Mapping>;

/// Validates `[sources.*]`: unknown sources, fields, encodings or time zones are
/// errors that list the valid choices.
pub fn parse(specs: BTreeMap<String, MappingSpec>) -> Result<Mappings> {
    let mut out = Mappings::new();
    for (name, spec) in specs {
        let Some(source) = Source::ALL.into_iter().find(|s| s.name() == name) else {
            bail!("[sources.{name}]: unknown source; valid: tickets, shipments, reviews");
        };
        let mapping = validate(source, spec).with_context(|| format!("[sources.{name}]"))?;
        out.insert(source, mapping);
    }
    Ok(out)
}

fn validate(source: Source, spec: MappingSpec) -> Result<Mapping> {
    let fields: Vec<&str> = source.columns().iter().map(|c| c.name).collect();
    let known = |key: &str, field: &str| -> Result<()> {
        if !fields.contains(&field) {
            bail!(
                "{key}: {field:?} is not a {source} field; valid: {}",
                fields.join(", ")
            );
        }
        Ok(())
    };
    for field in spec.columns.keys() {
        known("columns", field)?;
    }
    for (field, labels) in &spec.values {
        known("values", field)?;
        let kind = source
            .columns()
            .iter()
            .find(|c| c.name == field)
            .map(|c| c.kind);
        let allowed: &[&str] = match kind {
            Some(Kind::Priority) => &super::PRIORITIES,
            Some(Kind::ShipmentStatus) => &super::SHIPMENT_STATUSES,
            _ => &[],
        };
        for (label, value) in labels {
            if !allowed.is_empty() && !allowed.contains(&value.as_str()) {
                bail!(
                    "values.{field}: {label:?} maps to {value:?}, which is not one of {}",
                    allowed.join(", ")
                );
            }
        }
    }
    let encoding =
        match spec.encoding.as_deref() {
            None => None,
            Some(label) => Some(Encoding::for_label(label.trim().as_bytes()).with_context(
                || format!("encoding {label:?} is unknown; use utf-8, utf-16, gbk or gb18030"),
            )?),
        };
    let delimiter = match spec.delimiter.as_deref() {
        None => None,
        Some("\\t") | Some("tab") => Some(b'\t'),
        Some(d) if d.len() == 1 && d.is_ascii() => Some(d.as_bytes()[0]),
        Some(d) => bail!("delimiter {d:?} must be one ASCII character (or \"tab\")"),
    };
    for format in &spec.timestamp_formats {
        if chrono::format::StrftimeItems::new(format).any(|i| i == chrono::format::Item::Error) {
            bail!("timestamp_formats: {format:?} is not a valid strftime format");
        }
    }
    let timezone = spec
        .timezone
        .as_deref()
        .map(parse_tz)
        .transpose()
        .context("timezone")?;
    Ok(Mapping {
        encoding,
        delimiter,
        timestamp_formats: spec.timestamp_formats,
        null: spec.null,
        timezone,
        columns: spec.columns,
        values: spec.values,
    })
}

impl Mapping {
    /// The export column a field is read from.
    pub fn column<'a>(&'a self, field: &'a str) -> &'a str {
        self.columns.get(field).map_or(field, String::as_str)
    }

    pub fn is_null(&self, text: &str) -> bool {
        self.null.iter().any(|n| n == text)
    }

    /// The svcq value of a label, when the field has a value map: exact, else
    /// ignoring case; the text itself when it has none. None: no entry maps it.
    pub fn value<'t>(&'t self, field: &str, text: &'t str) -> Option<&'t str> {
        let Some(labels) = self.values.get(field) else {
            return Some(text);
        };
        labels
            .get(text)
            .or_else(|| {
                labels
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(text))
                    .map(|(_, v)| v)
            })
            .map(String::as_str)
    }

    /// A timestamp in one of the stated formats, in UTC milliseconds; None when no
    /// format matches (the built-in ISO 8601 forms are tried next). A format
    /// without a time of day gives midnight, or the end of the day for deadlines.
    pub fn parse_timestamp(&self, text: &str, tz: Tz, moment: Moment) -> Option<i64> {
        for format in &self.timestamp_formats {
            if let Ok(t) = NaiveDateTime::parse_from_str(text, format) {
                return local_to_utc_ms(t, tz).ok();
            }
            if let Ok(d) = NaiveDate::parse_from_str(text, format) {
                return match moment {
                    Moment::Event => local_to_utc_ms(d.and_hms_opt(0, 0, 0)?, tz).ok(),
                    Moment::Deadline => super::timestamp::parse_deadline(&d.to_string(), tz).ok(),
                };
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mapping(toml_text: &str) -> Result<Mappings> {
        let specs: BTreeMap<String, MappingSpec> = toml::from_str(toml_text)?;
        parse(specs)
    }

    #[test]
    fn mistakes_name_the_valid_choices() {
        let err = |t: &str| format!("{:#}", mapping(t).unwrap_err());
        assert!(err("[tickets.columns]\nticket = \"number\"\n").contains("valid: ticket_id"));
        assert!(err("[orders]\n").contains("valid: tickets, shipments, reviews"));
        assert!(
            err("[tickets.values.priority]\n\"1 - Critical\" = \"critical\"\n")
                .contains("not one of urgent, high, normal, low")
        );
        assert!(err("[tickets]\nencoding = \"latin-9x\"\n").contains("unknown"));
        assert!(err("[tickets]\ndelimiter = \";;\"\n").contains("one ASCII character"));
        assert!(err("[tickets]\ntimestamp_formats = [\"%Q\"]\n").contains("strftime"));
        assert!(err("[tickets]\nnulls = []\n").contains("unknown field"));
    }

    #[test]
    fn values_and_timestamps() {
        let m = mapping(
            "[tickets]\ntimestamp_formats = [\"%d-%m-%Y %H:%M\", \"%m/%d/%Y\"]\nnull = [\"?\"]\n\
             [tickets.values.priority]\n\"1 - Critical\" = \"urgent\"\n\"紧急\" = \"urgent\"\n",
        )
        .unwrap();
        let t = &m[&Source::Tickets];
        assert_eq!(t.value("priority", "1 - critical"), Some("urgent"));
        assert_eq!(t.value("priority", "紧急"), Some("urgent"));
        assert_eq!(t.value("priority", "5 - Planning"), None);
        assert_eq!(t.value("channel", "Email"), Some("Email"));
        assert!(t.is_null("?"));
        let utc = |s: &str| crate::source::timestamp::parse_timestamp(s, Tz::UTC).unwrap();
        // Day-first as stated: 29-02-2016 is 29 February.
        assert_eq!(
            t.parse_timestamp("29-02-2016 01:16", Tz::UTC, Moment::Event),
            Some(utc("2016-02-29T01:16:00Z"))
        );
        // A date-only format: midnight for events, the day's end for deadlines.
        assert_eq!(
            t.parse_timestamp("10/02/2017", Tz::UTC, Moment::Event),
            Some(utc("2017-10-02"))
        );
        assert_eq!(
            t.parse_timestamp("10/02/2017", Tz::UTC, Moment::Deadline),
            Some(utc("2017-10-03") - 1)
        );
        assert_eq!(
            t.parse_timestamp("2017-10-02", Tz::UTC, Moment::Event),
            None
        );
    }
}
