//! How a real export maps onto the contract: `[sources.<source>]` in svcq.toml.
//! Which files, column names, value labels, timestamp formats, empty-value tokens,
//! time zone, encoding and delimiter — everything stated, nothing guessed per row.
//! (Over 400 lines: about 130 are its tests.)
//!
//! ```toml
//! [sources.tickets]
//! path = "exports/tickets-*.csv"         # a file or a glob, read as one export
//! encoding = "gbk"                       # utf-8 (default), utf-16, gbk, gb18030
//! delimiter = ";"                        # sniffed among , ; tab | when not set
//! timestamp_formats = ["%d-%m-%Y %H:%M"] # tried in order, then ISO 8601
//! null = ["?", "-", "N/A"]               # read as empty
//! timezone = "Europe/Lisbon"
//! [sources.tickets.columns]              # svcq field = "export column"
//! ticket_id = "number"
//! first_response_at = { duration = "First reply time in minutes", unit = "minutes" }
//! [sources.tickets.values.priority]      # export label = svcq value
//! "1 - Critical" = "urgent"
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use anyhow::{bail, Context, Result};
use chrono_tz::Tz;
use encoding_rs::Encoding;
use serde::Deserialize;

use super::fold::{FoldRules, FoldSpec};
use super::formats::{DurationUnit, TimestampFormat};
use super::lookup::Join;
use super::timestamp::parse_tz;
use super::{ColumnSpec, Kind, Moment, Source};

/// One source's mapping as written in svcq.toml.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MappingSpec {
    /// A built-in mapping this one starts from (src/source/presets/).
    preset: Option<String>,
    /// The export's usual file name, looked for in --data DIR.
    file: Option<String>,
    path: Option<String>,
    sheet: Option<String>,
    header_row: Option<u64>,
    encoding: Option<String>,
    delimiter: Option<String>,
    #[serde(default)]
    timestamp_formats: Vec<String>,
    #[serde(default)]
    null: Vec<String>,
    timezone: Option<String>,
    #[serde(default)]
    columns: BTreeMap<String, toml::Value>,
    #[serde(default)]
    values: BTreeMap<String, BTreeMap<String, String>>,
    #[serde(default)]
    cannot_say: BTreeMap<String, Vec<String>>,
    join: Option<Join>,
    fold: Option<FoldSpec>,
}

/// Where a field's value comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldFrom {
    /// One export column.
    Column(String),
    /// Text columns joined with a space, empty ones left out (a review's title and
    /// body).
    Joined(Vec<String>),
    /// A duration column added to another timestamp field of the row (Zendesk's
    /// "First reply time in minutes" after `created_at`).
    Duration {
        column: String,
        unit: DurationUnit,
        after: &'static str,
    },
    /// A hash of these columns: an id for exports that have none, the same in
    /// every export that holds the record (so the store's upsert keeps meaning).
    Hash(Vec<String>),
    /// Read only on rows where another column says so (a refund's end time when
    /// its status is "refund succeeded"); else `otherwise`'s column, or empty.
    When {
        then: Then,
        when: Condition,
        otherwise: Option<String>,
    },
}

/// What a field is on the rows where its condition holds.
#[derive(Debug, Clone, PartialEq)]
pub enum Then {
    Column(String),
    /// A fixed value of the contract (`status = "cancelled"`).
    Value(String),
}

/// Whether a column's trimmed text (empty for null tokens) is, or is not, one of
/// `values`, ignoring ASCII case. `not_in = [""]`: the column is not empty.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    pub column: String,
    pub values: Vec<String>,
    pub negate: bool,
}

impl Condition {
    pub fn holds(values: &[String], negate: bool, text: &str) -> bool {
        values.iter().any(|v| v.eq_ignore_ascii_case(text)) != negate
    }

    /// `{ column = "…", in = [...] }` or `{ column = "…", not_in = [...] }`.
    fn parse(value: &toml::Value) -> Result<Condition> {
        const FORM: &str = "write `when = { column = \"…\", in = [\"…\"] }` (or `not_in`)";
        let table = value.as_table().context(FORM)?;
        let list = |key: &str| -> Result<Option<Vec<String>>> {
            table
                .get(key)
                .map(|v| {
                    v.as_array()
                        .and_then(|a| {
                            a.iter()
                                .map(|v| v.as_str().map(str::to_string))
                                .collect::<Option<Vec<_>>>()
                        })
                        .with_context(|| format!("`{key}` must be a list of labels"))
                })
                .transpose()
        };
        for key in table.keys() {
            if !["column", "in", "not_in"].contains(&key.as_str()) {
                bail!("when: unknown key {key:?}; valid: column, in, not_in");
            }
        }
        let column = table
            .get("column")
            .and_then(toml::Value::as_str)
            .context(FORM)?
            .to_string();
        let (values, negate) = match (list("in")?, list("not_in")?) {
            (Some(v), None) => (v, false),
            (None, Some(v)) => (v, true),
            _ => bail!("when: give exactly one of `in` or `not_in`"),
        };
        Ok(Condition {
            column,
            values,
            negate,
        })
    }
}

/// A validated mapping for one source.
#[derive(Debug, Clone, Default)]
pub struct Mapping {
    /// The export's file, or a glob of files read as one export (resolved against
    /// the folder of svcq.toml).
    pub path: Option<String>,
    /// The export's usual file name (a preset's), looked for in --data DIR.
    pub file: Option<String>,
    /// The preset it came from.
    pub preset: Option<String>,
    /// The worksheet of a workbook (default: the first).
    pub sheet: Option<String>,
    /// The line (sheet row) the header is on, when title rows come first.
    pub header_row: Option<u64>,
    /// None: UTF-8, or detected from a byte-order mark or bytes that are not UTF-8.
    pub encoding: Option<&'static Encoding>,
    pub delimiter: Option<u8>,
    pub timestamp_formats: Vec<TimestampFormat>,
    pub null: Vec<String>,
    pub timezone: Option<Tz>,
    /// svcq field → where it comes from.
    pub columns: BTreeMap<String, FieldFrom>,
    /// svcq field → (export label → svcq value).
    pub values: BTreeMap<String, BTreeMap<String, String>>,
    /// svcq field → values the export has no way to write (Shopify's statuses
    /// have no "lost"): metrics that count them have no data, never 0.
    pub cannot_say: BTreeMap<String, Vec<String>>,
    /// A second file whose columns are appended to each row by a key.
    pub join: Option<Join>,
    /// The join came from a preset (not restated in svcq.toml): its file may be
    /// missing, and its columns are then absent.
    pub join_optional: bool,
    /// An event log: rows sharing an id are one record's updates.
    pub fold: Option<FoldRules>,
    /// Fields mapped by a preset (not restated in svcq.toml): their column may be
    /// missing from an export whose user left it out, and is then absent.
    pub optional: BTreeSet<String>,
}

/// The mappings of every source named in svcq.toml.
pub type Mappings = BTreeMap<Source, Mapping>;

impl MappingSpec {
    /// A mapping that only names a preset.
    pub fn preset(name: &str) -> MappingSpec {
        MappingSpec {
            preset: Some(name.to_string()),
            ..MappingSpec::default()
        }
    }

    /// Whether it folds an event log (several rows per record).
    pub fn is_event_log(&self) -> bool {
        self.fold.is_some()
    }

    /// The export column a field is read from, when it is one column.
    pub fn column_of(&self, field: &str) -> Option<&str> {
        self.columns.get(field).and_then(toml::Value::as_str)
    }

    /// Starts from preset `name` unless another one is named already.
    pub fn set_preset(&mut self, name: &str) {
        self.preset.get_or_insert_with(|| name.to_string());
    }

    /// This mapping over `base`: what this one states wins, key by key.
    fn over(self, base: MappingSpec) -> MappingSpec {
        let mut columns = base.columns;
        columns.extend(self.columns);
        let mut values = base.values;
        for (field, labels) in self.values {
            values.entry(field).or_default().extend(labels);
        }
        let mut cannot_say = base.cannot_say;
        cannot_say.extend(self.cannot_say);
        let or_vec = |mine: Vec<String>, theirs: Vec<String>| {
            if mine.is_empty() {
                theirs
            } else {
                mine
            }
        };
        MappingSpec {
            preset: base.preset.or(self.preset),
            file: self.file.or(base.file),
            path: self.path.or(base.path),
            sheet: self.sheet.or(base.sheet),
            header_row: self.header_row.or(base.header_row),
            encoding: self.encoding.or(base.encoding),
            delimiter: self.delimiter.or(base.delimiter),
            timestamp_formats: or_vec(self.timestamp_formats, base.timestamp_formats),
            null: or_vec(self.null, base.null),
            timezone: self.timezone.or(base.timezone),
            columns,
            values,
            cannot_say,
            join: self.join.or(base.join),
            fold: self.fold.or(base.fold),
        }
    }
}

/// Validates `[sources.*]`: unknown sources, fields, encodings or time zones are
/// errors that list the valid choices. Relative paths are taken from `base` (the
/// folder of svcq.toml). A `preset` is expanded first, and the keys written
/// beside it override the preset's.
pub fn parse(specs: BTreeMap<String, MappingSpec>, base: Option<&Path>) -> Result<Mappings> {
    let mut out = Mappings::new();
    for (name, spec) in specs {
        let Some(source) = Source::ALL.into_iter().find(|s| s.name() == name) else {
            bail!("[sources.{name}]: unknown source; valid: tickets, shipments, reviews");
        };
        let join_optional = spec.join.is_none();
        let (spec, optional) = match spec.preset.clone() {
            Some(preset) => {
                let base = super::presets::mapping(&preset, source)
                    .with_context(|| format!("[sources.{name}] preset"))?;
                let optional = base
                    .columns
                    .keys()
                    .filter(|k| !spec.columns.contains_key(*k))
                    .cloned()
                    .collect();
                (spec.over(base), optional)
            }
            None => (spec, BTreeSet::new()),
        };
        let mut mapping = validate(source, spec).with_context(|| format!("[sources.{name}]"))?;
        mapping.optional = optional;
        mapping.join_optional = join_optional && mapping.preset.is_some();
        if let (Some(path), Some(base)) = (&mapping.path, base) {
            if Path::new(path).is_relative() && !base.as_os_str().is_empty() {
                mapping.path = Some(base.join(path).display().to_string());
            }
        }
        out.insert(source, mapping);
    }
    Ok(out)
}

/// The contract column of `source` named `field`, or an error listing the valid ones.
pub(super) fn field_spec(source: Source, key: &str, field: &str) -> Result<&'static ColumnSpec> {
    source
        .columns()
        .iter()
        .find(|c| c.name == field)
        .with_context(|| {
            let fields: Vec<&str> = source.columns().iter().map(|c| c.name).collect();
            format!(
                "{key}: {field:?} is not a {source} field; valid: {}",
                fields.join(", ")
            )
        })
}

fn validate(source: Source, spec: MappingSpec) -> Result<Mapping> {
    let mut columns = BTreeMap::new();
    for (field, value) in &spec.columns {
        let target = field_spec(source, "columns", field)?;
        let from = field_from(source, target, value).with_context(|| format!("columns.{field}"))?;
        columns.insert(field.clone(), from);
    }
    // A duration counts from a time read from a column, not from another duration.
    for (field, from) in &columns {
        if let FieldFrom::Duration { after, .. } = from {
            if matches!(columns.get(*after), Some(FieldFrom::Duration { .. })) {
                bail!("columns.{field}: `after = \"{after}\"` is itself a duration; count from a time column");
            }
        }
    }
    for (field, labels) in &spec.values {
        let kind = field_spec(source, "values", field)?.kind;
        let allowed: &[&str] = match kind {
            Kind::Priority => &super::PRIORITIES,
            Kind::ShipmentStatus => &super::SHIPMENT_STATUSES,
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
    // Stored as the contract writes the values, so metrics compare them exactly.
    let mut cannot_say = BTreeMap::new();
    for (field, never) in &spec.cannot_say {
        let target = field_spec(source, "cannot_say", field)?;
        let mut canonical = Vec::new();
        for value in never {
            check_value(target, value).context("cannot_say")?;
            canonical.push(match target.kind {
                Kind::ShipmentStatus => super::canonical_status(value).unwrap_or(value).to_string(),
                Kind::Priority => super::canonical_priority(value)
                    .unwrap_or(value)
                    .to_string(),
                Kind::Label => value.trim().to_lowercase(),
                _ => value.clone(),
            });
        }
        cannot_say.insert(field.clone(), canonical);
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
    let timestamp_formats = spec
        .timestamp_formats
        .iter()
        .map(|f| TimestampFormat::parse(f))
        .collect::<Result<Vec<_>>>()
        .context("timestamp_formats")?;
    let timezone = spec
        .timezone
        .as_deref()
        .map(parse_tz)
        .transpose()
        .context("timezone")?;
    let fold = spec
        .fold
        .map(|f| f.validate(source, &columns))
        .transpose()
        .context("fold")?;
    if spec.header_row == Some(0) {
        bail!("header_row counts from 1 (the first line)");
    }
    Ok(Mapping {
        path: spec.path,
        file: spec.file,
        preset: spec.preset,
        sheet: spec.sheet,
        header_row: spec.header_row,
        encoding,
        delimiter,
        timestamp_formats,
        null: spec.null,
        timezone,
        columns,
        values: spec.values,
        cannot_say,
        join: spec.join,
        join_optional: false,
        fold,
        optional: BTreeSet::new(),
    })
}

/// A fixed value must be one the contract reads as the field's kind.
fn check_value(target: &ColumnSpec, value: &str) -> Result<()> {
    let known = match target.kind {
        Kind::Priority => super::canonical_priority(value).is_some(),
        Kind::ShipmentStatus => super::canonical_status(value).is_some(),
        Kind::Text | Kind::Label => true,
        _ => bail!("`value` is for text, label, priority and status fields"),
    };
    if !known {
        bail!("value {value:?} is not a valid {}", target.name);
    }
    Ok(())
}

/// `"column"`, `["title", "body"]` (text fields) or
/// `{ duration = "column", unit = "minutes", after = "created_at" }` (timestamps),
/// `{ hash = [...] }` (ids), or `{ column | value, when = {…}, otherwise }`.
fn field_from(source: Source, target: &ColumnSpec, value: &toml::Value) -> Result<FieldFrom> {
    const FORMS: &str = "a column name, a list of columns to join, or \
                         { duration = \"column\", unit = \"minutes\" }";
    match value {
        toml::Value::String(column) => Ok(FieldFrom::Column(column.clone())),
        toml::Value::Array(items) => {
            if !matches!(target.kind, Kind::Text | Kind::Label) {
                bail!("only text fields can join several columns");
            }
            let names = items
                .iter()
                .map(|i| i.as_str().map(str::to_string))
                .collect::<Option<Vec<_>>>()
                .filter(|n| !n.is_empty())
                .with_context(|| format!("expected {FORMS}"))?;
            Ok(FieldFrom::Joined(names))
        }
        toml::Value::Table(table) if table.contains_key("hash") => {
            let columns = table["hash"]
                .as_array()
                .and_then(|a| {
                    a.iter()
                        .map(|v| v.as_str().map(str::to_string))
                        .collect::<Option<Vec<_>>>()
                })
                .filter(|c| !c.is_empty() && table.len() == 1)
                .context(
                    "write `{ hash = [\"column\", …] }`: the columns that identify a record",
                )?;
            if target.kind != Kind::Text {
                bail!("only text fields (ids) can be a hash of columns");
            }
            Ok(FieldFrom::Hash(columns))
        }
        toml::Value::Table(table) if table.contains_key("when") => {
            for key in table.keys() {
                if !["column", "value", "when", "otherwise"].contains(&key.as_str()) {
                    bail!("unknown key {key:?}; valid: column, value, when, otherwise");
                }
            }
            let text = |key: &str| -> Result<Option<String>> {
                match table.get(key) {
                    None => Ok(None),
                    Some(v) => Ok(Some(
                        v.as_str()
                            .with_context(|| format!("`{key}` must be text"))?
                            .to_string(),
                    )),
                }
            };
            let then = match (text("column")?, text("value")?) {
                (Some(column), None) => Then::Column(column),
                (None, Some(value)) => {
                    check_value(target, &value)?;
                    Then::Value(value)
                }
                _ => {
                    bail!("give exactly one of `column` (read when the condition holds) or `value`")
                }
            };
            Ok(FieldFrom::When {
                then,
                when: Condition::parse(&table["when"])?,
                otherwise: text("otherwise")?,
            })
        }
        toml::Value::Table(table) => {
            if target.kind != Kind::Timestamp(Moment::Event) {
                bail!("only event timestamps can be given as a duration");
            }
            for key in table.keys() {
                if !["duration", "unit", "after"].contains(&key.as_str()) {
                    bail!("unknown key {key:?}; valid: duration, unit, after");
                }
            }
            let text = |key: &str| table.get(key).and_then(toml::Value::as_str);
            let column = text("duration").with_context(|| format!("expected {FORMS}"))?;
            let unit =
                DurationUnit::parse(text("unit").with_context(|| {
                    format!("a duration needs its unit: {}", DurationUnit::NAMES)
                })?)?;
            let after_name = text("after").unwrap_or("created_at");
            let after = field_spec(source, "after", after_name)?;
            if !matches!(after.kind, Kind::Timestamp(_)) || after.name == target.name {
                bail!("after: {after_name:?} must be another timestamp field");
            }
            Ok(FieldFrom::Duration {
                column: column.to_string(),
                unit,
                after: after.name,
            })
        }
        _ => bail!("expected {FORMS}"),
    }
}

impl Mapping {
    /// Whether the value map of `field` has an entry for the empty label.
    pub fn maps_empty(&self, field: &str) -> bool {
        self.values.get(field).is_some_and(|m| m.contains_key(""))
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
    /// format matches (the built-in ISO 8601 forms are tried next).
    pub fn parse_timestamp(&self, text: &str, tz: Tz, moment: Moment) -> Option<i64> {
        self.timestamp_formats
            .iter()
            .find_map(|f| f.read(text, tz, moment))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mapping(toml_text: &str) -> Result<Mappings> {
        let specs: BTreeMap<String, MappingSpec> = toml::from_str(toml_text)?;
        parse(specs, None)
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
        assert!(err("[tickets.columns]\npriority = [\"a\", \"b\"]\n")
            .contains("only text fields can join"));
        assert!(
            err("[tickets.columns]\nfirst_response_at = { duration = \"x\" }\n")
                .contains("needs its unit")
        );
        assert!(err(
            "[tickets.columns]\nfirst_response_at = { duration = \"x\", unit = \"weeks\" }\n"
        )
        .contains("valid: seconds, minutes"));
        assert!(err(
            "[tickets.columns]\nfirst_response_at = { duration = \"x\", unit = \"hours\", after = \"agent\" }\n"
        )
        .contains("another timestamp field"));
        assert!(err("[tickets.columns]\nchannel = 3\n").contains("a column name"));
    }

    #[test]
    fn conditional_fields_say_what_is_wrong() {
        let err = |t: &str| format!("{:#}", mapping(t).unwrap_err());
        let shipments = |field: &str| format!("[shipments.columns]\n{field}\n");
        assert!(err(&shipments(
            r#"refunded_at = { column = "a", when = { column = "s", in = ["x"], not_in = ["y"] } }"#
        ))
        .contains("exactly one of `in` or `not_in`"));
        assert!(err(&shipments(
            r#"refunded_at = { column = "a", when = { column = "s", is = ["x"] } }"#
        ))
        .contains("valid: column, in, not_in"));
        assert!(err(&shipments(
            r#"status = { value = "gone", when = { column = "s", not_in = [""] } }"#
        ))
        .contains("\"gone\" is not a valid status"));
        assert!(err(&shipments(
            r#"status = { column = "a", value = "lost", when = { column = "s", in = ["x"] } }"#
        ))
        .contains("exactly one of `column`"));
        assert!(err("[shipments.cannot_say]\nstatus = [\"missing\"]\n")
            .contains("\"missing\" is not a valid status"));
        // Kept as the contract writes them, whatever spelling svcq.toml used.
        let said = mapping("[shipments.cannot_say]\nstatus = [\"Lost\", \"canceled\"]\n").unwrap();
        assert_eq!(
            said[&Source::Shipments].cannot_say["status"],
            vec!["lost".to_string(), "cancelled".to_string()]
        );
        let ok = mapping(&shipments(
            r#"status = { value = "cancelled", when = { column = "Cancelled at", not_in = [""] }, otherwise = "Fulfillment Status" }"#,
        ))
        .unwrap();
        assert_eq!(
            ok[&Source::Shipments].columns["status"],
            FieldFrom::When {
                then: Then::Value("cancelled".into()),
                when: Condition {
                    column: "Cancelled at".into(),
                    values: vec![String::new()],
                    negate: true,
                },
                otherwise: Some("Fulfillment Status".into()),
            }
        );
        assert!(Condition::holds(&["退款成功".into()], false, "退款成功"));
        assert!(!Condition::holds(&["退款成功".into()], false, "退款关闭"));
        assert!(Condition::holds(
            &[String::new()],
            true,
            "2026-11-18 15:00:00 +0100"
        ));
        assert!(!Condition::holds(&[String::new()], true, ""));
    }

    #[test]
    fn joined_and_duration_fields() {
        let m = mapping(
            "[reviews.columns]\ntext = [\"review_comment_title\", \"review_comment_message\"]\n\
             [tickets.columns]\nfirst_response_at = { duration = \"First reply time in minutes\", unit = \"minutes\" }\n",
        )
        .unwrap();
        assert_eq!(
            m[&Source::Reviews].columns["text"],
            FieldFrom::Joined(vec![
                "review_comment_title".into(),
                "review_comment_message".into()
            ])
        );
        assert_eq!(
            m[&Source::Tickets].columns["first_response_at"],
            FieldFrom::Duration {
                column: "First reply time in minutes".into(),
                unit: DurationUnit::Minutes,
                after: "created_at"
            }
        );
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
