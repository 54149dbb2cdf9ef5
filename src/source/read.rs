//! Reading one source's CSV export: header check, per-row validation, rejects.
//! Every row read is either accepted into the frame or rejected with its line and
//! reason; `read == accepted + rejected` always holds.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fs::File;
use std::path::Path;

use anyhow::{bail, Context, Result};
use chrono_tz::Tz;
use polars::prelude::*;
use serde::Serialize;

use super::decode;
use super::fields::{parse_row, RowError, Value};
use super::load::Keep;
use super::mapping::Mapping;
use super::rejects::Reject;
use super::rules::CrossRules;
use super::seen_ids::SeenIds;
use super::{Kind, Source};
use crate::fsutil::progress_bar;

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
    /// Optional contract columns the export does not have: the metrics that read
    /// them have no data (never a false zero).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub absent_columns: Vec<String>,
    /// The encoding it was decoded from, when not UTF-8.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encoding: Option<&'static str>,
}

/// A validated source: the accepted rows as a frame in canonical columns.
pub struct SourceData {
    pub source: Source,
    pub frame: DataFrame,
    pub stats: InputStats,
    pub header: Vec<String>,
    pub rejects: Vec<Reject>,
}

/// Accepted values go straight into polars' column builders: no per-field `String`.
/// A column the command does not keep is validated and then dropped.
enum Buffer {
    Text(StringChunkedBuilder),
    Int(PrimitiveChunkedBuilder<Int64Type>),
    Dropped,
}

/// Reads and validates `path` as `source`, through its `mapping` (the contract's
/// own layout when the mapping is empty). Errors (exit 2) only for what makes the
/// whole file unreadable: I/O, a missing required or mapped column, an ambiguous
/// header, labels a value map leaves unmapped.
pub fn read_source(
    path: &Path,
    source: Source,
    tz: Tz,
    keep: &Keep,
    mapping: &Mapping,
) -> Result<SourceData> {
    let display = path.display().to_string();
    let size = File::open(path)
        .and_then(|f| f.metadata())
        .with_context(|| format!("cannot open {} file {display}", source))?
        .len();
    let tz = mapping.timezone.unwrap_or(tz);
    let decoding =
        decode::detect(path, mapping.encoding).with_context(|| format!("cannot read {display}"))?;
    let delimiter = match mapping.delimiter {
        Some(d) => d,
        None => decode::sniff_delimiter(path, decoding)
            .with_context(|| format!("cannot read {display}"))?,
    };
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .has_headers(false)
        .delimiter(delimiter)
        .from_reader(decode::open(path, decoding)?);

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
    let positions = locate_columns(&display, source, &header, mapping)?;
    let mut unmapped: BTreeSet<(&'static str, String)> = BTreeSet::new();

    let specs = source.columns();
    let capacity = estimate_rows(path, size);
    let mut buffers: Vec<Buffer> = specs
        .iter()
        .map(|s| match s.kind {
            _ if !keep.keeps(source, s.name) => Buffer::Dropped,
            Kind::Timestamp(_) | Kind::Count | Kind::Integer { .. } => {
                Buffer::Int(PrimitiveChunkedBuilder::new(s.name.into(), capacity))
            }
            _ => Buffer::Text(StringChunkedBuilder::new(s.name.into(), capacity)),
        })
        .collect();
    let mut accepted = 0u64;
    let mut seen_ids = SeenIds::with_capacity(capacity);
    let rules = CrossRules::new(source, specs);
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
        // Where the parser started this record; the physical line is worked out
        // from it for rejected rows only (see `physical_lines`).
        let start = record.position().map_or(0, |p| p.byte());
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
            parse_row(
                specs,
                &positions,
                &rules,
                &record,
                tz,
                mapping,
                &mut unmapped,
            )
        };
        let outcome = outcome.and_then(|values| {
            let Value::Text(Some(id)) = &values[0] else {
                unreachable!("the id column is required text")
            };
            if !seen_ids.insert(id) {
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
            Ok(values)
        });
        match outcome {
            Ok(values) => {
                accepted += 1;
                for (buffer, value) in buffers.iter_mut().zip(values) {
                    match (buffer, value) {
                        (Buffer::Text(b), Value::Text(v)) => b.append_option(v),
                        (Buffer::Int(b), Value::Int(v)) => b.append_option(v),
                        (Buffer::Dropped, _) => {}
                        _ => unreachable!("buffer and value kinds follow the same spec"),
                    }
                }
            }
            Err(e) => rejects.push(Reject {
                line: start,
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
    if !unmapped.is_empty() {
        let labels: Vec<String> = unmapped
            .iter()
            .map(|(field, label)| format!("{field} {label:?}"))
            .collect();
        bail!(
            "{display}: the value map leaves labels unmapped: {}; add them to \
             [sources.{source}.values.<field>]",
            labels.join(", ")
        );
    }
    if !rejects.is_empty() {
        let starts: Vec<u64> = rejects.iter().map(|r| r.line).collect();
        let lines = decode::physical_lines(path, decoding, &starts)
            .with_context(|| format!("cannot read {display} again to locate rejected rows"))?;
        for (reject, line) in rejects.iter_mut().zip(lines) {
            reject.line = line;
        }
    }

    let columns: Vec<Column> = buffers
        .into_iter()
        .filter_map(|buffer| match buffer {
            Buffer::Text(b) => Some(b.finish().into_column()),
            Buffer::Int(b) => Some(b.finish().into_column()),
            Buffer::Dropped => None,
        })
        .collect();
    let frame = DataFrame::new(accepted as usize, columns)?;
    let mut reasons = BTreeMap::new();
    for r in &rejects {
        *reasons.entry(r.reason.clone()).or_insert(0) += 1;
    }
    let absent_columns = specs
        .iter()
        .zip(&positions)
        .filter(|(_, p)| p.is_none())
        .map(|(s, _)| s.name.to_string())
        .collect();
    let stats = InputStats {
        path: display,
        read,
        accepted,
        rejected: rejects.len() as u64,
        rejects_file: None,
        reasons,
        absent_columns,
        encoding: decoding.label(),
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

/// Rows to reserve in the column builders: the file size over the average line
/// length of its first 256 KiB, plus a margin. A builder that runs out doubles, so
/// a good guess saves up to half the memory of every column.
fn estimate_rows(path: &Path, size: u64) -> usize {
    use std::io::Read;
    let mut head = Vec::with_capacity(256 * 1024);
    let sampled = File::open(path)
        .and_then(|f| f.take(256 * 1024).read_to_end(&mut head))
        .unwrap_or(0);
    let lines = head.iter().filter(|&&b| b == b'\n').count();
    if sampled == 0 || lines == 0 {
        return 1024;
    }
    let per_line = sampled as f64 / lines as f64;
    // Capped: a wrong guess must not reserve more than the file could hold.
    ((size as f64 / per_line * 1.02) as usize + 16).min(size as usize / 2 + 16)
}

/// Index of each canonical column in the header (`None` for absent optional ones).
fn locate_columns(
    path: &str,
    source: Source,
    header: &[String],
    mapping: &Mapping,
) -> Result<Vec<Option<usize>>> {
    let mut by_name: HashMap<String, usize> = HashMap::new();
    for (i, name) in header.iter().enumerate() {
        if by_name.insert(name.to_lowercase(), i).is_some() {
            bail!("{path}: column {name:?} appears more than once in the header");
        }
    }
    let mut positions = Vec::new();
    for spec in source.columns() {
        let column = mapping.column(spec.name);
        let position = by_name.get(&column.to_lowercase()).copied();
        if position.is_none() && mapping.columns.contains_key(spec.name) {
            bail!(
                "{path}: column {column:?} (mapped to {}) is not in the header; found columns: {}",
                spec.name,
                header.join(", ")
            );
        }
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
