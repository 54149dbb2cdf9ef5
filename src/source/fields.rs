//! One row's fields: null tokens, value maps, and each column's text read as its
//! contract kind, with the reason when it cannot be.

use std::borrow::Cow;
use std::collections::BTreeSet;

use chrono_tz::Tz;

use super::mapping::Mapping;
use super::rules::CrossRules;
use super::timestamp::{parse_deadline, parse_timestamp, TimestampError};
use super::{canonical_priority, canonical_status, ColumnSpec, Kind, Moment};

/// One parsed field, borrowing the record's text where it can.
pub(super) enum Value<'r> {
    Text(Option<Cow<'r, str>>),
    Int(Option<i64>),
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

pub(super) fn parse_row<'r>(
    specs: &[ColumnSpec],
    positions: &[Option<usize>],
    rules: &CrossRules,
    record: &'r csv::ByteRecord,
    tz: Tz,
    mapping: &'r Mapping,
    unmapped: &mut BTreeSet<(&'static str, String)>,
) -> Result<Vec<Value<'r>>, RowError> {
    let mut values = Vec::with_capacity(specs.len());
    for (spec, position) in specs.iter().zip(positions) {
        let Some(position) = *position else {
            values.push(empty_value(spec.kind));
            continue;
        };
        let raw = record.get(position).unwrap_or_default();
        let text = std::str::from_utf8(raw).map_err(|_| {
            RowError::field(
                position,
                spec,
                "not valid UTF-8",
                "the field is not valid UTF-8 text".into(),
            )
        })?;
        let mut text = text.trim();
        if mapping.is_null(text) {
            text = "";
        }
        if !text.is_empty() {
            match mapping.value(spec.name, text) {
                Some(mapped) => text = mapped,
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
    rules.check(specs, positions, &mut values)?;
    Ok(values)
}

/// The value of an empty field (or of an absent optional column).
fn empty_value(kind: Kind) -> Value<'static> {
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
            Ok(v) if v >= 0 => Ok(Value::Int(Some(v))),
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
