//! Reading one source's CSV export: header check, per-row validation, rejects.
//! Every row read is either accepted into the frame or rejected with its line and
//! reason; `read == accepted + rejected` always holds.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs::File;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use chrono_tz::Tz;
use polars::prelude::*;
use serde::Serialize;

use crate::fsutil::{atomic_write, progress_bar};
use crate::schema::{canonical_priority, canonical_status, ColumnSpec, Kind, Source};
use crate::timestamp::{parse_timestamp, TimestampError};

/// What happened to one input: the reconciliation a user checks first.
#[derive(Debug, Clone, Serialize)]
pub struct InputStats {
    pub path: String,
    pub read: u64,
    pub accepted: u64,
    pub rejected: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rejects_file: Option<String>,
    pub reasons: BTreeMap<String, u64>,
}

/// One rejected row, with enough to find and fix it.
#[derive(Debug, Clone)]
pub struct Reject {
    pub line: u64,
    /// 1-based field position and canonical column name, when one field is at fault.
    pub column: Option<(usize, &'static str)>,
    /// Short, countable reason (`first_response_at before created_at`).
    pub reason: String,
    /// The specifics: the offending value and what was expected.
    pub detail: String,
    pub fields: Vec<String>,
}

impl Reject {
    /// `file:line:column: name: reason: detail`, the form editors and CI logs link.
    pub fn describe(&self, path: &str) -> String {
        match self.column {
            Some((position, name)) => {
                format!("{path}:{}:{position}: {name}: {}", self.line, self.detail)
            }
            None => format!("{path}:{}: {}", self.line, self.detail),
        }
    }
}

/// A validated source: the accepted rows as a frame in canonical columns.
pub struct SourceData {
    pub source: Source,
    pub frame: DataFrame,
    pub stats: InputStats,
    pub header: Vec<String>,
    pub rejects: Vec<Reject>,
}

enum Buffer {
    Text(Vec<Option<String>>),
    Int(Vec<Option<i64>>),
}

enum Value {
    Text(Option<String>),
    Int(Option<i64>),
}

struct RowError {
    position: Option<usize>,
    name: Option<&'static str>,
    reason: String,
    detail: String,
}

impl RowError {
    fn field(position: usize, spec: &ColumnSpec, reason: &str, detail: String) -> Self {
        RowError {
            position: Some(position + 1),
            name: Some(spec.name),
            reason: format!("{} {reason}", spec.name),
            detail,
        }
    }
}

/// Reads and validates `path` as `source`. Errors (exit 2) only for what makes the
/// whole file unreadable: I/O, a missing required column, an ambiguous header.
pub fn read_source(path: &Path, source: Source, tz: Tz) -> Result<SourceData> {
    let display = path.display().to_string();
    let file =
        File::open(path).with_context(|| format!("cannot open {} file {display}", source))?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .has_headers(false)
        .from_reader(file);

    let mut header_record = csv::ByteRecord::new();
    if !reader
        .read_byte_record(&mut header_record)
        .with_context(|| format!("cannot read {display}"))?
    {
        bail!("{display}: the file is empty; a {source} export needs at least a header row");
    }
    let header: Vec<String> = header_record
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let text = String::from_utf8_lossy(f);
            let text = if i == 0 {
                text.trim_start_matches('\u{feff}')
            } else {
                &text
            };
            text.trim().to_string()
        })
        .collect();
    let positions = locate_columns(&display, source, &header)?;

    let specs = source.columns();
    let mut buffers: Vec<Buffer> = specs
        .iter()
        .map(|s| match s.kind {
            Kind::Timestamp | Kind::Count | Kind::Integer { .. } => Buffer::Int(Vec::new()),
            _ => Buffer::Text(Vec::new()),
        })
        .collect();
    let mut seen_ids: HashSet<String> = HashSet::new();
    let mut rejects = Vec::new();
    let mut read = 0u64;
    let bar = progress_bar(size, source.name());
    let mut record = csv::ByteRecord::new();
    while reader
        .read_byte_record(&mut record)
        .with_context(|| format!("cannot read {display}"))?
    {
        read += 1;
        if read.is_multiple_of(65_536) {
            bar.set_position(record.position().map_or(0, |p| p.byte()));
        }
        let line = record.position().map_or(0, |p| p.line());
        let outcome = if record.len() != header.len() {
            Err(RowError {
                position: None,
                name: None,
                reason: "wrong number of fields".into(),
                detail: format!(
                    "row has {} fields, the header has {}",
                    record.len(),
                    header.len()
                ),
            })
        } else {
            parse_row(source, specs, &positions, &record, tz)
        };
        let outcome = outcome.and_then(|values| {
            let Value::Text(Some(id)) = &values[0] else {
                unreachable!("the id column is required text")
            };
            if seen_ids.contains(id) {
                let spec = &specs[0];
                let position = positions[0].unwrap_or(0);
                return Err(RowError {
                    position: Some(position + 1),
                    name: Some(spec.name),
                    reason: format!("duplicate {}", spec.name),
                    detail: format!(
                        "{} {id:?} already seen earlier in the file (the first row wins)",
                        spec.name
                    ),
                });
            }
            seen_ids.insert(id.clone());
            Ok(values)
        });
        match outcome {
            Ok(values) => {
                for (buffer, value) in buffers.iter_mut().zip(values) {
                    match (buffer, value) {
                        (Buffer::Text(b), Value::Text(v)) => b.push(v),
                        (Buffer::Int(b), Value::Int(v)) => b.push(v),
                        _ => unreachable!("buffer and value kinds follow the same spec"),
                    }
                }
            }
            Err(e) => rejects.push(Reject {
                line,
                column: e.position.zip(e.name),
                reason: e.reason,
                detail: e.detail,
                fields: record
                    .iter()
                    .map(|f| String::from_utf8_lossy(f).into_owned())
                    .collect(),
            }),
        }
    }
    bar.finish_and_clear();

    let columns: Vec<Column> = specs
        .iter()
        .zip(buffers)
        .map(|(spec, buffer)| match buffer {
            Buffer::Text(v) => Column::new(spec.name.into(), v),
            Buffer::Int(v) => Column::new(spec.name.into(), v),
        })
        .collect();
    let frame = DataFrame::new_infer_height(columns)?;
    let mut reasons = BTreeMap::new();
    for r in &rejects {
        *reasons.entry(r.reason.clone()).or_insert(0) += 1;
    }
    let stats = InputStats {
        path: display,
        read,
        accepted: frame.height() as u64,
        rejected: rejects.len() as u64,
        rejects_file: None,
        reasons,
    };
    debug_assert_eq!(stats.read, stats.accepted + stats.rejected);
    Ok(SourceData {
        source,
        frame,
        stats,
        header,
        rejects,
    })
}

/// Index of each canonical column in the header (`None` for absent optional ones).
fn locate_columns(path: &str, source: Source, header: &[String]) -> Result<Vec<Option<usize>>> {
    let mut by_name: HashMap<String, usize> = HashMap::new();
    for (i, name) in header.iter().enumerate() {
        if by_name.insert(name.to_lowercase(), i).is_some() {
            bail!("{path}: column {name:?} appears more than once in the header");
        }
    }
    let mut positions = Vec::new();
    for spec in source.columns() {
        let position = by_name.get(spec.name).copied();
        if position.is_none() && spec.in_header {
            bail!(
                "{path}: missing required column `{}` for {source}; found columns: {}",
                spec.name,
                header.join(", ")
            );
        }
        positions.push(position);
    }
    Ok(positions)
}

fn parse_row(
    source: Source,
    specs: &[ColumnSpec],
    positions: &[Option<usize>],
    record: &csv::ByteRecord,
    tz: Tz,
) -> Result<Vec<Value>, RowError> {
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
        values.push(
            parse_field(spec, text.trim(), tz)
                .map_err(|(reason, detail)| RowError::field(position, spec, reason, detail))?,
        );
    }
    check_row(source, specs, positions, &mut values)?;
    Ok(values)
}

/// The value of an empty field (or of an absent optional column).
fn empty_value(kind: Kind) -> Value {
    match kind {
        Kind::Count => Value::Int(Some(0)),
        Kind::Timestamp | Kind::Integer { .. } => Value::Int(None),
        _ => Value::Text(None),
    }
}

fn parse_field(spec: &ColumnSpec, text: &str, tz: Tz) -> Result<Value, (&'static str, String)> {
    if text.is_empty() {
        if spec.required {
            return Err(("empty", format!("{} is required but empty", spec.name)));
        }
        return Ok(empty_value(spec.kind));
    }
    match spec.kind {
        Kind::Text => Ok(Value::Text(Some(text.to_string()))),
        Kind::Label => Ok(Value::Text(Some(text.to_lowercase()))),
        Kind::Timestamp => match parse_timestamp(text, tz) {
            Ok(ms) => Ok(Value::Int(Some(ms))),
            Err(e @ TimestampError::Malformed) => {
                Err(("not a timestamp", format!("{text:?} is {e}")))
            }
            Err(e @ TimestampError::Nonexistent(_)) => {
                Err(("nonexistent local time", format!("{text:?}: {e}")))
            }
        },
        Kind::Priority => canonical_priority(text)
            .map(|p| Value::Text(Some(p.into())))
            .ok_or_else(|| {
                (
                    "not a known priority",
                    format!(
                        "{text:?} is not urgent, high, normal, low, red, yellow, green or p1..p4"
                    ),
                )
            }),
        Kind::ShipmentStatus => canonical_status(text)
            .map(|s| Value::Text(Some(s.into())))
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

/// Rules across fields of one row, and derived defaults.
fn check_row(
    source: Source,
    specs: &[ColumnSpec],
    positions: &[Option<usize>],
    values: &mut [Value],
) -> Result<(), RowError> {
    let index = |name: &str| {
        specs
            .iter()
            .position(|s| s.name == name)
            .expect("known column")
    };
    let ts = |values: &[Value], name: &str| match values[index(name)] {
        Value::Int(v) => v,
        Value::Text(_) => None,
    };
    let order = |later: &'static str, earlier: &'static str, values: &[Value]| {
        if let (Some(a), Some(b)) = (ts(values, later), ts(values, earlier)) {
            if a < b {
                let i = index(later);
                return Err(RowError {
                    position: positions[i].map(|p| p + 1),
                    name: Some(specs[i].name),
                    reason: format!("{later} before {earlier}"),
                    detail: format!(
                        "{later} is {} hours before {earlier}",
                        (b - a) as f64 / 3_600_000.0
                    ),
                });
            }
        }
        Ok(())
    };
    match source {
        Source::Tickets => {
            order("first_response_at", "created_at", values)?;
            order("resolved_at", "created_at", values)?;
        }
        Source::Shipments => {
            order("delivered_at", "shipped_at", values)?;
            if ts(values, "refunded_at").is_some() && ts(values, "return_requested_at").is_none() {
                let i = index("refunded_at");
                return Err(RowError {
                    position: positions[i].map(|p| p + 1),
                    name: Some("refunded_at"),
                    reason: "refunded_at without return_requested_at".into(),
                    detail: "a refund needs a return request (return_requested_at is empty)".into(),
                });
            }
            order("refunded_at", "return_requested_at", values)?;
            let status = index("status");
            if matches!(values[status], Value::Text(None)) {
                let derived = if ts(values, "delivered_at").is_some() {
                    "delivered"
                } else {
                    "in_transit"
                };
                values[status] = Value::Text(Some(derived.into()));
            }
        }
        Source::Reviews => {}
    }
    Ok(())
}

/// Writes the rejected rows of one source to `dir/<source>.rejects.csv` (atomically;
/// a header-only file when nothing was rejected, so no stale file misleads).
pub fn write_rejects(dir: &Path, data: &mut SourceData) -> Result<PathBuf> {
    let path = dir.join(format!("{}.rejects.csv", data.source.name()));
    atomic_write(&path, |out| {
        let mut writer = csv::WriterBuilder::new().flexible(true).from_writer(out);
        let mut head = vec![
            "svcq_line".to_string(),
            "svcq_column".into(),
            "svcq_reason".into(),
        ];
        head.extend(data.header.iter().cloned());
        writer.write_record(&head)?;
        for r in &data.rejects {
            let mut row = vec![
                r.line.to_string(),
                r.column.map(|c| c.1).unwrap_or("").to_string(),
                r.detail.clone(),
            ];
            row.extend(r.fields.iter().cloned());
            writer.write_record(&row)?;
        }
        writer.flush()?;
        Ok(())
    })?;
    data.stats.rejects_file = Some(path.display().to_string());
    Ok(path)
}
