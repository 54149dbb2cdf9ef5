//! One row's fields: null tokens, value maps, and each column's text read as its
//! contract kind, with the reason when it cannot be.

use std::borrow::Cow;
use std::collections::BTreeSet;

use chrono_tz::Tz;

use super::formats::DurationUnit;
use super::mapping::{Condition, Mapping};
use super::timestamp::{parse_deadline, parse_timestamp, TimestampError};
use super::{canonical_priority, canonical_status, ColumnSpec, Kind, Moment};

/// One parsed field, borrowing the record's text where it can.
pub(super) enum Value<'r> {
    Text(Option<Cow<'r, str>>),
    Int(Option<i64>),
}

impl Value<'_> {
    pub(super) fn into_owned(self) -> Value<'static> {
        match self {
            Value::Text(t) => Value::Text(t.map(|c| Cow::Owned(c.into_owned()))),
            Value::Int(v) => Value::Int(v),
        }
    }
}

pub(super) struct RowError {
    pub position: Option<usize>,
    pub name: Option<&'static str>,
    pub reason: String,
    pub detail: String,
}

impl RowError {
    pub(super) fn field(position: usize, spec: &ColumnSpec, reason: &str, detail: String) -> Self {
        RowError {
            position: Some(position + 1),
            name: Some(spec.name),
            reason: format!("{} {reason}", spec.name),
            detail,
        }
    }
}

/// Where a contract field is found in a record.
#[derive(Debug, Clone)]
pub(super) enum Locator {
    /// An optional column the export does not have: empty on every row.
    Absent,
    At(usize),
    /// Text columns joined with a space.
    Joined(Vec<usize>),
    /// A duration column added to the timestamp field at `after` (contract index).
    Duration {
        at: usize,
        unit: DurationUnit,
        after: usize,
    },
    /// Set by folding an event log (`[sources.*.fold]`), not read from a column.
    Folded,
    /// A hash of these columns' text (`{ hash = [...] }`): an id for exports
    /// without one, the same in every export that holds the record.
    Hash(Vec<usize>),
    /// `then` on rows whose column at `test_at` is (or, negated, is not) one of
    /// `values`; else the column at `otherwise`, or empty.
    When {
        then: WhenThen,
        test_at: usize,
        values: Vec<String>,
        negate: bool,
        otherwise: Option<usize>,
    },
}

#[derive(Debug, Clone)]
pub(super) enum WhenThen {
    At(usize),
    Value(String),
}

impl Locator {
    /// The column a reject points at.
    pub(super) fn position(&self) -> Option<usize> {
        match self {
            Locator::At(p) | Locator::Duration { at: p, .. } => Some(*p),
            Locator::Joined(ps) => ps.first().copied(),
            Locator::Hash(ps) => ps.first().copied(),
            Locator::When {
                then: WhenThen::At(p),
                ..
            } => Some(*p),
            Locator::When { test_at, .. } => Some(*test_at),
            Locator::Absent | Locator::Folded => None,
        }
    }
}

/// A field's trimmed text, empty for the mapping's null tokens.
pub(super) fn field_text<'r>(
    record: &'r csv::ByteRecord,
    position: usize,
    spec: &ColumnSpec,
    mapping: &Mapping,
) -> Result<&'r str, RowError> {
    let raw = record.get(position).unwrap_or_default();
    let text = std::str::from_utf8(raw).map_err(|_| {
        RowError::field(
            position,
            spec,
            "not valid UTF-8",
            "the field is not valid UTF-8 text".into(),
        )
    })?;
    let text = text.trim();
    Ok(if mapping.is_null(text) { "" } else { text })
}

/// Reads every field of one record as its contract kind. The rules across fields
/// are the caller's (an event log checks them on the folded record).
pub(super) fn parse_row<'r>(
    specs: &[ColumnSpec],
    locators: &[Locator],
    record: &'r csv::ByteRecord,
    tz: Tz,
    mapping: &'r Mapping,
    unmapped: &mut BTreeSet<(&'static str, String)>,
) -> Result<Vec<Value<'r>>, RowError> {
    let mut values = Vec::with_capacity(specs.len());
    for (spec, locator) in specs.iter().zip(locators) {
        let position = match locator {
            Locator::At(p) => *p,
            Locator::When {
                then,
                test_at,
                values: labels,
                negate,
                otherwise,
            } => {
                let test = field_text(record, *test_at, spec, mapping)?;
                match (Condition::holds(labels, *negate, test), then, otherwise) {
                    (true, WhenThen::At(p), _) | (false, _, Some(p)) => *p,
                    (true, WhenThen::Value(v), _) => {
                        let value =
                            parse_field(spec, v, tz, mapping).map_err(|(reason, detail)| {
                                RowError::field(*test_at, spec, reason, detail)
                            })?;
                        values.push(value.into_owned());
                        continue;
                    }
                    // Empty, and so a row error when the field is required.
                    (false, _, None) => {
                        let value =
                            parse_field(spec, "", tz, mapping).map_err(|(reason, detail)| {
                                RowError::field(*test_at, spec, reason, detail)
                            })?;
                        values.push(value);
                        continue;
                    }
                }
            }
            Locator::Hash(positions) => {
                values.push(Value::Text(Some(Cow::Owned(content_id(
                    positions, record, spec, mapping,
                )?))));
                continue;
            }
            Locator::Joined(positions) => {
                values.push(joined(spec, positions, record, mapping)?);
                continue;
            }
            // Filled in below, once the field it is added to is read.
            Locator::Absent | Locator::Folded | Locator::Duration { .. } => {
                values.push(empty_value(spec.kind));
                continue;
            }
        };
        let mut text = field_text(record, position, spec, mapping)?;
        // A value map may give empty fields a value too (`"" = "normal"`).
        if !text.is_empty() || mapping.maps_empty(spec.name) {
            match mapping.value(spec.name, text) {
                Some(mapped) => text = mapped,
                // The contract's own labels and aliases need no entry in a value map.
                None if builtin_label(spec.kind, text) => {}
                None => {
                    unmapped.insert((spec.name, text.to_string()));
                    return Err(RowError::field(
                        position,
                        spec,
                        "label not in the value map",
                        format!("{text:?} is not in the value map"),
                    ));
                }
            }
        }
        values.push(
            parse_field(spec, text, tz, mapping)
                .map_err(|(reason, detail)| RowError::field(position, spec, reason, detail))?,
        );
    }
    for (i, (spec, locator)) in specs.iter().zip(locators).enumerate() {
        if let Locator::Duration { at, unit, after } = locator {
            let text = field_text(record, *at, spec, mapping)?;
            if text.is_empty() {
                continue;
            }
            let ms = unit.read(text).ok_or_else(|| {
                RowError::field(
                    *at,
                    spec,
                    "not a duration",
                    format!("{text:?} is not a duration ({unit:?}, ≥ 0)"),
                )
            })?;
            if let Value::Int(Some(start)) = values[*after] {
                values[i] = Value::Int(start.checked_add(ms));
            }
        }
    }
    Ok(values)
}

/// A stable id from the text of `positions` (FNV-1a, 64 bits, fields separated
/// so `ab|c` and `a|bc` differ): `h` and 16 hex digits.
fn content_id(
    positions: &[usize],
    record: &csv::ByteRecord,
    spec: &ColumnSpec,
    mapping: &Mapping,
) -> Result<String, RowError> {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &p in positions {
        for &b in field_text(record, p, spec, mapping)?
            .as_bytes()
            .iter()
            .chain(&[0x1f])
        {
            hash ^= u64::from(b);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    Ok(format!("h{hash:016x}"))
}

/// Whether the contract reads `text` as a value of `kind` without a value map.
fn builtin_label(kind: Kind, text: &str) -> bool {
    match kind {
        Kind::Priority => canonical_priority(text).is_some(),
        Kind::ShipmentStatus => canonical_status(text).is_some(),
        _ => false,
    }
}

/// Text columns joined with a space; empty ones are left out.
fn joined<'r>(
    spec: &ColumnSpec,
    positions: &[usize],
    record: &'r csv::ByteRecord,
    mapping: &Mapping,
) -> Result<Value<'r>, RowError> {
    let mut parts = Vec::with_capacity(positions.len());
    for &p in positions {
        let text = field_text(record, p, spec, mapping)?;
        if !text.is_empty() {
            parts.push(text);
        }
    }
    if parts.is_empty() {
        if spec.required {
            return Err(RowError::field(
                positions[0],
                spec,
                "empty",
                format!("{} is required but empty", spec.name),
            ));
        }
        return Ok(Value::Text(None));
    }
    let text = parts.join(" ");
    Ok(Value::Text(Some(Cow::Owned(if spec.kind == Kind::Label {
        text.to_lowercase()
    } else {
        text
    }))))
}

/// The value of an empty field (or of an absent optional column).
pub(super) fn empty_value(kind: Kind) -> Value<'static> {
    match kind {
        Kind::Count => Value::Int(Some(0)),
        Kind::Timestamp(_) | Kind::Integer { .. } => Value::Int(None),
        _ => Value::Text(None),
    }
}

fn parse_field<'r>(
    spec: &ColumnSpec,
    text: &'r str,
    tz: Tz,
    mapping: &Mapping,
) -> Result<Value<'r>, (&'static str, String)> {
    if text.is_empty() {
        if spec.required {
            return Err(("empty", format!("{} is required but empty", spec.name)));
        }
        return Ok(empty_value(spec.kind));
    }
    match spec.kind {
        Kind::Text => Ok(Value::Text(Some(Cow::Borrowed(text)))),
        Kind::Label if text.chars().any(char::is_uppercase) => {
            Ok(Value::Text(Some(Cow::Owned(text.to_lowercase()))))
        }
        Kind::Label => Ok(Value::Text(Some(Cow::Borrowed(text)))),
        Kind::Timestamp(moment) => match mapping
            .parse_timestamp(text, tz, moment)
            .map(Ok)
            .unwrap_or_else(|| match moment {
                Moment::Event => parse_timestamp(text, tz),
                Moment::Deadline => parse_deadline(text, tz),
            }) {
            Ok(ms) => Ok(Value::Int(Some(ms))),
            Err(e @ TimestampError::Malformed) => {
                Err(("not a timestamp", format!("{text:?} is {e}")))
            }
            Err(e @ TimestampError::Nonexistent(_)) => {
                Err(("nonexistent local time", format!("{text:?}: {e}")))
            }
        },
        Kind::Priority => canonical_priority(text)
            .map(|p| Value::Text(Some(Cow::Borrowed(p))))
            .ok_or_else(|| {
                (
                    "not a known priority",
                    format!(
                        "{text:?} is not urgent, high, normal, low, red, yellow, green or p1..p4"
                    ),
                )
            }),
        Kind::ShipmentStatus => canonical_status(text)
            .map(|s| Value::Text(Some(Cow::Borrowed(s))))
            .ok_or_else(|| {
                (
                    "not a known status",
                    format!("{text:?} is not in_transit, delivered, lost or damaged"),
                )
            }),
        Kind::Count => match text.parse::<i64>() {
            Ok(v) if (0..=i64::from(u32::MAX)).contains(&v) => Ok(Value::Int(Some(v))),
            Ok(v) if v > 0 => Err((
                "count too large",
                format!(
                    "{text:?} is above {}, the largest count svcq holds",
                    u32::MAX
                ),
            )),
            _ => Err((
                "not a non-negative integer",
                format!("{text:?} is not a whole number ≥ 0"),
            )),
        },
        Kind::Integer { min, max } => match text.parse::<i64>() {
            Ok(v) if (min..=max).contains(&v) => Ok(Value::Int(Some(v))),
            _ => Err((
                "not an integer",
                format!("{text:?} is not a whole number from {min} to {max}"),
            )),
        },
    }
}
