//! Reading one source's CSV export: header check, per-row validation, rejects.
//! Every row read is either accepted into the frame or rejected with its line and
//! reason; `read == accepted + rejected` always holds. (A little over 400 lines:
//! `read_files` is one pass over the records and keeps its state in one place.)

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use chrono_tz::Tz;
use polars::prelude::*;
use serde::Serialize;

use super::fields::{parse_row, Locator, RowError, Value};
use super::fold::Folder;
use super::header::{header_names, locate_columns, same_header};
use super::load::Keep;
use super::lookup::Lookup;
use super::mapping::Mapping;
use super::records::{FileStamp, Records};
use super::rejects::{locate_rejects, Pending, Reject};
use super::rules::CrossRules;
use super::seen_ids::SeenIds;
use super::{Kind, Source};
use crate::fsutil::{progress_bar, rows_read};

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
    /// Values the export has no way to write, by field (its mapping's
    /// `cannot_say`): a rate of them has no data rather than a false 0.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub cannot_say: BTreeMap<String, Vec<String>>,
    /// The encoding it was decoded from, when not UTF-8.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encoding: Option<&'static str>,
    /// An event log: how many records its rows were folded into.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub folded_records: Option<u64>,
}

impl InputStats {
    /// A source read whole from a table or store: no file of rejects, no
    /// encoding, no folded event log.
    pub fn of_table(
        path: String,
        accepted: u64,
        reasons: BTreeMap<String, u64>,
        absent_columns: Vec<String>,
    ) -> InputStats {
        let rejected = reasons.values().sum();
        InputStats {
            path,
            read: accepted + rejected,
            accepted,
            rejected,
            rejects_file: None,
            reasons,
            absent_columns,
            cannot_say: BTreeMap::new(),
            encoding: None,
            folded_records: None,
        }
    }
}

/// A validated source: the accepted rows as a frame in canonical columns.
pub struct SourceData {
    pub source: Source,
    pub frame: DataFrame,
    pub stats: InputStats,
    pub header: Vec<String>,
    /// The files read, in order (a glob's matches).
    pub files: Vec<String>,
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
/// own layout when the mapping is empty).
pub fn read_source(
    path: &Path,
    source: Source,
    tz: Tz,
    keep: &Keep,
    mapping: &Mapping,
) -> Result<SourceData> {
    read_files(&[path.to_path_buf()], source, tz, keep, mapping)
}

/// Where each field is: its locator, the column a reject points at, and the fold
/// of an event log.
type Located = (Vec<Locator>, Vec<Option<usize>>, Option<Folder>);

/// One update of an event log, parsed, kept until its record is folded.
struct Update {
    file: usize,
    start: u64,
    record: csv::ByteRecord,
    order: Option<i64>,
    firsts: Vec<Option<i64>>,
    values: Vec<Value<'static>>,
}

/// Reads and validates the files of one export (one file, or a glob's matches
/// sharing a header) as `source`. Errors (exit 2) only for what makes the export
/// unreadable: I/O, a missing required or mapped column, headers that differ, an
/// ambiguous header, labels a value map leaves unmapped.
pub fn read_files(
    files: &[PathBuf],
    source: Source,
    tz: Tz,
    keep: &Keep,
    mapping: &Mapping,
) -> Result<SourceData> {
    let displays: Vec<String> = files.iter().map(|p| p.display().to_string()).collect();
    let mut size = 0;
    let mut stamps = Vec::with_capacity(files.len());
    for (path, display) in files.iter().zip(&displays) {
        let stamp =
            FileStamp::of(path).with_context(|| format!("cannot open {source} file {display}"))?;
        size += stamp.len;
        stamps.push(stamp);
    }
    let tz = mapping.timezone.unwrap_or(tz);
    let specs = source.columns();
    let capacity = files
        .iter()
        .zip(&stamps)
        .map(|(p, s)| estimate_rows(p, s.len))
        .sum::<usize>();
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
    let mut push = |values: Vec<Value>| {
        for (buffer, value) in buffers.iter_mut().zip(values) {
            match (buffer, value) {
                (Buffer::Text(b), Value::Text(v)) => b.append_option(v),
                (Buffer::Int(b), Value::Int(v)) => b.append_option(v),
                (Buffer::Dropped, _) => {}
                _ => unreachable!("buffer and value kinds follow the same spec"),
            }
        }
    };
    let rules = CrossRules::new(source, specs);
    let mut seen_ids = SeenIds::with_capacity(capacity);
    let mut unmapped: BTreeSet<(&'static str, String)> = BTreeSet::new();
    let mut pending: Vec<Pending> = Vec::new();
    let mut header: Vec<String> = Vec::new();
    let mut lookup: Option<Lookup> = None;
    // Where each field is, from the first file's header (the others must match).
    let mut located: Option<Located> = None;
    let mut groups: Vec<Vec<Update>> = Vec::new();
    let mut group_of: PlHashMap<Box<str>, usize> = PlHashMap::new();
    let mut line_maps = Vec::with_capacity(files.len());
    let mut encoding = None;
    let (mut read, mut accepted) = (0u64, 0u64);
    let bar = progress_bar(size, source.name());
    let mut done_bytes = 0;
    let mut record = csv::ByteRecord::new();
    // A glob's files newest first (by name: monthly or weekly exports), so where
    // exports overlap the newest row wins, as it does in the store; within one
    // file the first row wins.
    for (file, (path, display)) in files.iter().zip(&displays).enumerate().rev() {
        let mut records = Records::open(path, mapping)?;
        encoding = encoding.or(records.encoding());
        // The header: the first record, or the first at or after `header_row`.
        loop {
            let Some(start) = records
                .next(&mut record)
                .with_context(|| format!("cannot read {display}"))?
            else {
                bail!(
                    "{display}: no header row{}; a {source} export needs at least a header row",
                    mapping
                        .header_row
                        .map_or(" (the file is empty)".to_string(), |h| format!(
                            " at or after line {h}"
                        ))
                );
            };
            let Some(header_row) = mapping.header_row else {
                break;
            };
            if records.lines(path, &[start])?[0] >= header_row {
                break;
            }
        }
        let this_header = header_names(&record);
        if located.is_none() {
            if let Some(join) = &mapping.join {
                let dir = path.parent().unwrap_or(Path::new(""));
                lookup = Lookup::load(join, dir, &this_header, mapping.join_optional)
                    .with_context(|| display.to_string())?;
            }
            // Joined columns come after the export's own.
            let mut located_header = this_header.clone();
            if lookup.is_some() {
                located_header.extend(mapping.join.iter().flat_map(|j| j.columns.clone()));
            }
            let (locators, folder) = locate_columns(display, source, &located_header, mapping)?;
            let positions = locators.iter().map(Locator::position).collect();
            located = Some((locators, positions, folder));
            header = this_header;
        } else if !same_header(&header, &this_header) {
            bail!(
                "{display}: its header differs from {}'s; the files of one export must share \
                 their columns (found: {})",
                displays[files.len() - 1],
                this_header.join(", ")
            );
        }
        let (locators, positions, folder) = located.as_ref().expect("located with the first file");
        while let Some(start) = records
            .next(&mut record)
            .with_context(|| format!("cannot read {display}"))?
        {
            read += 1;
            if read.is_multiple_of(65_536) {
                bar.set_position(done_bytes + records.progress(&record));
                bar.set_message(rows_read(source.name(), read, bar.elapsed()));
            }
            let reject = |error: RowError, record: &csv::ByteRecord| Pending {
                file,
                start,
                error,
                record: record.clone(),
            };
            // Files concatenated with their headers (`cat a.csv b.csv`) repeat it.
            let first = String::from_utf8_lossy(record.get(0).unwrap_or_default());
            if record.len() == header.len()
                && first
                    .trim_start_matches('\u{feff}')
                    .trim()
                    .eq_ignore_ascii_case(&header[0])
                && same_header(&header, &header_names(&record))
            {
                let error = RowError {
                    position: None,
                    name: None,
                    reason: "header repeated".into(),
                    detail: "the header row appears again inside the file".into(),
                };
                pending.push(reject(error, &record));
                continue;
            }
            if record.len() != header.len() {
                let error = RowError {
                    position: None,
                    name: None,
                    reason: "wrong number of fields".into(),
                    detail: format!(
                        "row has {} fields, the header has {}",
                        record.len(),
                        header.len()
                    ),
                };
                pending.push(reject(error, &record));
                continue;
            }
            if let Some(lookup) = &lookup {
                lookup.extend(&mut record);
            }
            let parsed = parse_row(specs, locators, &record, tz, mapping, &mut unmapped);
            if let Some(folder) = folder {
                // An event log: rules across fields hold for the folded record.
                let update = parsed.and_then(|values| {
                    let (order, firsts) = folder.update_times(&record, specs, tz, mapping)?;
                    Ok((
                        order,
                        firsts,
                        values
                            .into_iter()
                            .map(Value::into_owned)
                            .collect::<Vec<_>>(),
                    ))
                });
                match update {
                    Ok((order, firsts, values)) => {
                        let Value::Text(Some(id)) = &values[0] else {
                            unreachable!("the id column is required text")
                        };
                        let next = groups.len();
                        let group = *group_of.entry(id.as_ref().into()).or_insert(next);
                        if group == next {
                            groups.push(Vec::new());
                        }
                        groups[group].push(Update {
                            file,
                            start,
                            record: record.clone(),
                            order,
                            firsts,
                            values,
                        });
                    }
                    Err(error) => pending.push(reject(error, &record)),
                }
                continue;
            }
            let outcome = parsed.and_then(|mut values| {
                rules.check(specs, positions, &mut values)?;
                let Value::Text(Some(id)) = &values[0] else {
                    unreachable!("the id column is required text")
                };
                if !seen_ids.insert(id) {
                    let spec = &specs[0];
                    return Err(RowError {
                        position: positions[0].map(|p| p + 1),
                        name: Some(spec.name),
                        reason: format!("duplicate {}", spec.name),
                        detail: if files.len() > 1 {
                            format!(
                                "{} {id:?} already seen earlier in this file or in a newer file \
                                 of the export (the newest file wins, then the first row)",
                                spec.name
                            )
                        } else {
                            format!(
                                "{} {id:?} already seen earlier in the export (the first row wins)",
                                spec.name
                            )
                        },
                    });
                }
                Ok(values)
            });
            match outcome {
                Ok(values) => {
                    accepted += 1;
                    push(values);
                }
                Err(error) => pending.push(reject(error, &record)),
            }
        }
        done_bytes += stamps[file].len;
        stamps[file].unchanged(path, display)?;
        line_maps.push(records);
    }
    // Read newest first: back in file order, as `Pending::file` counts.
    line_maps.reverse();
    bar.finish_and_clear();
    let (locators, positions, folder) = located.expect("at least one file");
    let mut folded_records = None;
    if let Some(folder) = &folder {
        let mut records = 0;
        for updates in groups {
            let rows: Vec<_> = updates
                .iter()
                .map(|u| (u.file, u.start, u.record.clone()))
                .collect();
            let mut values = folder.fold(
                updates
                    .into_iter()
                    .map(|u| (u.order, u.firsts, u.values))
                    .collect(),
            );
            match rules.check(specs, &positions, &mut values) {
                Ok(()) => {
                    records += 1;
                    accepted += rows.len() as u64;
                    push(values);
                }
                Err(e) => {
                    let n = rows.len();
                    for (file, start, record) in rows {
                        pending.push(Pending {
                            file,
                            start,
                            record,
                            error: RowError {
                                position: e.position,
                                name: e.name,
                                reason: e.reason.clone(),
                                detail: format!("{} (the record folded from {n} rows)", e.detail),
                            },
                        });
                    }
                }
            }
        }
        folded_records = Some(records);
    }
    if !unmapped.is_empty() {
        let labels: Vec<String> = unmapped
            .iter()
            .map(|(field, label)| format!("{field} {label:?}"))
            .collect();
        bail!(
            "{}: the value map leaves labels unmapped: {}; add them to \
             [sources.{source}.values.<field>]",
            displays.join(", "),
            labels.join(", ")
        );
    }
    let rejects = locate_rejects(files, &displays, &line_maps, pending)?;

    let columns: Vec<Column> = buffers
        .into_iter()
        .filter_map(|buffer| match buffer {
            Buffer::Text(b) => Some(b.finish().into_column()),
            Buffer::Int(b) => Some(b.finish().into_column()),
            Buffer::Dropped => None,
        })
        .collect();
    let frame = DataFrame::new(folded_records.unwrap_or(accepted) as usize, columns)?;
    let mut reasons = BTreeMap::new();
    for r in &rejects {
        *reasons.entry(r.reason.clone()).or_insert(0) += 1;
    }
    let absent_columns = specs
        .iter()
        .zip(&locators)
        .filter(|(_, l)| matches!(l, Locator::Absent))
        .map(|(s, _)| s.name.to_string())
        .collect();
    let stats = InputStats {
        path: displays.join(", "),
        read,
        accepted,
        rejected: rejects.len() as u64,
        rejects_file: None,
        reasons,
        absent_columns,
        cannot_say: mapping.cannot_say.clone(),
        encoding,
        folded_records,
    };
    debug_assert_eq!(stats.read, stats.accepted + stats.rejected);
    // The rejects file shows the joined columns too.
    if lookup.is_some() {
        header.extend(mapping.join.iter().flat_map(|j| j.columns.clone()));
    }
    Ok(SourceData {
        source,
        frame,
        stats,
        header,
        files: displays,
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
