//! Reading one source's CSV export: header check, per-row validation (`rows`),
//! rejects. Every row read is either accepted into the frame or rejected with its
//! line and reason; `read == accepted + rejected` always holds. A large UTF-8 file
//! is read in byte ranges on every core (`split`).

use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::{bail, Context, Result};
use chrono_tz::Tz;
use polars::prelude::*;
use serde::Serialize;

use super::fields::{Locator, RowError, Value};
use super::fold::Folder;
use super::header::{header_names, locate_columns, same_header};
use super::load::Keep;
use super::lookup::Lookup;
use super::mapping::Mapping;
use super::records::{FileStamp, Records};
use super::rejects::{locate_rejects, Pending, Reject, RejectedRow};
use super::rows::{Layout, Run};
use super::rules::CrossRules;
use super::split::{self, Reported};
use super::{times, Source};
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

/// One update of an event log, parsed, kept until its record is folded (its row
/// only where rejected rows are kept).
struct Update {
    file: usize,
    start: u64,
    record: Option<RejectedRow>,
    order: Option<i64>,
    firsts: Vec<Option<i64>>,
    values: Vec<Value<'static>>,
}

/// Reads and validates the files of one export (one file, or a glob's matches
/// sharing a header) as `source`. Errors (exit 2) only for what makes the export
/// unreadable: I/O, a missing required or mapped column, headers that differ, an
/// ambiguous header, labels a value map leaves unmapped. A large UTF-8 file is
/// read in byte ranges on every core (`split`), with the same outcome.
pub fn read_files(
    files: &[PathBuf],
    source: Source,
    tz: Tz,
    keep: &Keep,
    mapping: &Mapping,
) -> Result<SourceData> {
    read_unfinished(files, source, tz, keep, mapping, true)?.finish()
}

/// A source read and validated whose rejects are not yet found in its files (a
/// scan of each file) and whose columns are not yet one chunk each (a copy):
/// [`Unfinished::finish`] does that, on a thread of its own while the next
/// source is read.
pub struct Unfinished {
    source: Source,
    files: Vec<PathBuf>,
    displays: Vec<String>,
    line_maps: Vec<Records>,
    pending: Vec<Pending>,
    /// Whether the pending rejects keep their rows ([`read_unfinished`]).
    rejected_rows: bool,
    /// The kept columns' chunks, in row order.
    chunks: Vec<Vec<Series>>,
    height: usize,
    stats: InputStats,
    header: Vec<String>,
}

/// [`read_files`] up to what [`Unfinished::finish`] does.
/// `rejected_rows`: whether each rejected row is kept to be written or shown
/// (else only its reason is counted, and its line is not looked for).
pub fn read_unfinished(
    files: &[PathBuf],
    source: Source,
    tz: Tz,
    keep: &Keep,
    mapping: &Mapping,
    rejected_rows: bool,
) -> Result<Unfinished> {
    read_into(files, source, tz, keep, mapping, rejected_rows, None)
}

/// Where a streamed read hands its accepted rows, every column kept, in the
/// order a whole read keeps them: `rows` at a time, the last chunk fewer.
pub struct Chunks<'a> {
    pub rows: usize,
    pub sink: Box<dyn FnMut(DataFrame) -> Result<()> + 'a>,
}

/// The rows of a streamed read's chunk: about 40 MB of tickets with every
/// column as it is read, small beside an export of millions of rows, large
/// enough that a month is written in a few parts.
pub const CHUNK_ROWS: usize = 1 << 18;

/// [`read_unfinished`] with every column kept, the accepted rows handed to
/// `chunks` as they are read (`ingest` writes them aside): what is held is the
/// duplicate check and a chunk, not the export (an event log's updates are
/// held until they are folded, as in any read). The file is read in one part,
/// so that rows come in the order a whole read keeps them; the frame left has
/// no rows.
pub fn read_streamed(
    files: &[PathBuf],
    source: Source,
    tz: Tz,
    mapping: &Mapping,
    chunks: &mut Chunks,
) -> Result<Unfinished> {
    read_into(files, source, tz, &Keep::All, mapping, true, Some(chunks))
}

fn read_into(
    files: &[PathBuf],
    source: Source,
    tz: Tz,
    keep: &Keep,
    mapping: &Mapping,
    rejected_rows: bool,
    mut sink: Option<&mut Chunks>,
) -> Result<Unfinished> {
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
    let estimates: Vec<usize> = files
        .iter()
        .zip(&stamps)
        .map(|(p, s)| estimate_rows(p, s.len))
        .collect();
    // Room for every row: a file read in parts leaves most of it untouched, and
    // pages never written are never resident.
    let capacity = estimates.iter().sum::<usize>();
    // The frugal plan reads a file in one part: a later part holds its rows'
    // offsets and its ids' rows until it is joined (about 80 MB at 6.5 M rows).
    let cores = match crate::memory::frugal() || sink.is_some() {
        true => 1,
        false => std::thread::available_parallelism().map_or(1, |n| n.get()),
    };
    let rules = CrossRules::new(source, specs);
    let buffered = sink.as_ref().map_or(capacity, |chunks| chunks.rows);
    let mut run = Run::new(source, keep, (capacity, buffered), false);
    // Columns finished before a split file's later parts, in row order.
    let mut chunks: Vec<Vec<Series>> = specs.iter().map(|_| Vec::new()).collect();
    let mut header: Vec<String> = Vec::new();
    let mut lookup: Option<Lookup> = None;
    // Where each field is, from the first file's header (the others must match).
    let mut located: Option<Located> = None;
    let mut groups: Vec<Vec<Update>> = Vec::new();
    let mut group_of: PlHashMap<Box<str>, usize> = PlHashMap::new();
    let mut line_maps = Vec::with_capacity(files.len());
    let mut encoding = None;
    let bar = progress_bar(size, source.name());
    let rows_seen = AtomicU64::new(0);
    let progress = |rows: u64, bytes: u64| {
        let seen = rows_seen.fetch_add(rows, Ordering::Relaxed) + rows;
        bar.inc(bytes);
        bar.set_message(rows_read(source.name(), seen, bar.elapsed()));
    };
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
        let layout = Layout {
            source,
            specs,
            locators,
            positions,
            header: &header,
            tz,
            mapping,
            rules: &rules,
            lookup: lookup.as_ref(),
            files: files.len(),
            rejected_rows,
        };
        // An event log folds rows across the whole file: read in one piece.
        let split = match (folder, records.splittable()) {
            (None, Some(delimiter)) => {
                let cuts = split::cut_points(path, records.position(), stamps[file].len, cores)
                    .with_context(|| format!("cannot read {display}"))?;
                if !cuts.is_empty() {
                    crate::ui::detail(format!(
                        "{display}: read in {} parts, one per core",
                        cuts.len() + 1
                    ));
                }
                (!cuts.is_empty()).then_some((delimiter, cuts))
            }
            _ => None,
        };
        debug_assert!(
            sink.is_none() || split.is_none(),
            "a streamed read is in one part"
        );
        let (parts, held) = std::thread::scope(|scope| -> Result<_> {
            let workers: Vec<_> = split
                .iter()
                .flat_map(|(delimiter, cuts)| {
                    let ends = cuts.iter().skip(1).map(|&c| Some(c)).chain([None]);
                    cuts.iter()
                        .zip(ends)
                        .map(|(&from, to)| (*delimiter, from, to))
                })
                .map(|(delimiter, from, to)| {
                    let (layout, progress) = (&layout, &progress);
                    let capacity = estimates[file] / cores + 16;
                    scope.spawn(move || {
                        split::read_part(
                            path,
                            delimiter,
                            layout,
                            keep,
                            file,
                            (from, to),
                            capacity,
                            progress,
                        )
                    })
                })
                .collect();
            let first_cut = split.as_ref().map(|(_, cuts)| cuts[0]);
            let held = read_records(
                &mut run,
                &layout,
                (file, display),
                &mut records,
                &mut record,
                first_cut,
                folder.as_ref().map(|f| (f, &mut groups, &mut group_of)),
                sink.as_deref_mut(),
                &progress,
            )?;
            let parts: Vec<_> = workers
                .into_iter()
                .map(|w| w.join().expect("a reader thread panicked"))
                .collect();
            Ok((parts, held))
        })?;
        if let Some((delimiter, _)) = split {
            // The boundaries and duplicates are found again in the file: it must
            // be the file the parts read.
            stamps[file].unchanged(path, display)?;
            // A part that failed is read again by the reader of the first part.
            let parts: Option<Vec<_>> = parts.into_iter().map(Result::ok).collect();
            let joined = match parts {
                Some(parts)
                    if split::boundaries_hold(path, held, &parts)
                        .with_context(|| format!("cannot read {display}"))? =>
                {
                    let left = estimates[..file].iter().sum::<usize>() + 16;
                    split::join_parts(
                        &mut run,
                        parts,
                        &layout,
                        (file, path, delimiter),
                        file > 0,
                        left,
                        &mut chunks,
                    )
                    .with_context(|| format!("cannot read {display}"))?;
                    true
                }
                _ => false,
            };
            if !joined {
                crate::ui::detail(format!(
                    "{display}: its parts did not meet at record boundaries (a quote inside an \
                     unquoted field?); read in one piece"
                ));
                if let Some(start) = held {
                    if run.well_formed(&layout, file, start, &mut record) {
                        run.validate(&layout, file, start, &record);
                    }
                    read_records(
                        &mut run,
                        &layout,
                        (file, display),
                        &mut records,
                        &mut record,
                        None,
                        None,
                        None,
                        &progress,
                    )?;
                }
            }
        }
        bar.set_position(stamps[file..].iter().map(|s| s.len).sum::<u64>());
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
            let (rows, updates): (Vec<_>, Vec<_>) = updates
                .into_iter()
                .map(|u| ((u.file, u.start, u.record), (u.order, u.firsts, u.values)))
                .unzip();
            let mut values = folder.fold(updates);
            match rules.check(specs, &positions, &mut values) {
                Ok(()) => {
                    records += 1;
                    run.accepted += rows.len() as u64;
                    run.push(values);
                    hand_over_full(&mut run, source, sink.as_deref_mut())?;
                }
                Err(e) => {
                    let n = rows.len();
                    for (file, start, record) in rows {
                        let error = RowError {
                            position: e.position,
                            name: e.name,
                            reason: e.reason.clone(),
                            detail: format!("{} (the record folded from {n} rows)", e.detail),
                        };
                        run.pending
                            .push(Pending::with_row((file, start), error, record));
                    }
                }
            }
        }
        folded_records = Some(records);
    }
    if !run.unmapped.is_empty() {
        let labels: Vec<String> = run
            .unmapped
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
    let (read, accepted) = (run.read, run.accepted);
    let streamed = sink.is_some();
    if let Some(sink) = sink.filter(|_| run.buffered > 0) {
        hand_over(&mut run, source, sink, 0)?;
    }
    let mut kept = Vec::new();
    for (mut chunks, last) in chunks.into_iter().zip(run.take_columns(source, 0)) {
        let Some(last) = last else { continue };
        chunks.push(last);
        kept.push(chunks);
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
        rejected: run.pending.len() as u64,
        rejects_file: None,
        reasons: BTreeMap::new(),
        absent_columns,
        cannot_say: mapping.cannot_say.clone(),
        encoding,
        folded_records,
    };
    // The rejects file shows the joined columns too.
    if lookup.is_some() {
        header.extend(mapping.join.iter().flat_map(|j| j.columns.clone()));
    }
    Ok(Unfinished {
        source,
        files: files.to_vec(),
        displays,
        line_maps,
        pending: std::mem::take(&mut run.pending),
        rejected_rows,
        chunks: kept,
        height: match streamed {
            true => 0,
            false => folded_records.unwrap_or(accepted) as usize,
        },
        stats,
        header,
    })
}

impl Unfinished {
    /// Finds the rejects in the files and makes each column one chunk.
    pub fn finish(self) -> Result<SourceData> {
        let Unfinished {
            source,
            files,
            displays,
            line_maps,
            pending,
            rejected_rows,
            chunks,
            height,
            mut stats,
            header,
        } = self;
        for p in &pending {
            *stats.reasons.entry(p.error.reason.clone()).or_insert(0) += 1;
        }
        debug_assert_eq!(stats.rejected, pending.len() as u64);
        let rejects = match rejected_rows {
            true => locate_rejects(&files, &displays, &line_maps, pending)?,
            false => Vec::new(),
        };
        let mut columns = Vec::new();
        for mut chunks in chunks {
            // A file part whose times were all whole seconds, another's not: all in ms.
            if chunks.iter().any(|c| c.dtype() != chunks[0].dtype()) {
                chunks = chunks
                    .into_iter()
                    .map(|c| Ok(times::millis(&c.into_column())?.into_series()))
                    .collect::<PolarsResult<_>>()?;
            }
            let mut chunks = chunks.into_iter();
            let mut column = chunks.next().expect("the last chunk at least");
            for chunk in chunks {
                column.append_owned(chunk)?;
            }
            // One chunk per column, one column at a time: polars copies a frame whose
            // columns are chunked differently (a derived column has one chunk) in
            // many operations, all columns at once.
            // The parts freed go back to the system at once: glibc keeps them
            // (they are too small for the mmap threshold it has raised) and
            // each joined column would otherwise take new pages.
            if column.n_chunks() > 1 {
                column = column.rechunk();
                crate::memory::release_freed();
            }
            columns.push(column.into_column());
        }
        let frame = DataFrame::new(height, columns)?;
        debug_assert_eq!(stats.read, stats.accepted + stats.rejected);
        Ok(SourceData {
            source,
            frame,
            stats,
            header,
            files: displays,
            rejects,
        })
    }
}

/// An event log's state while its rows are read: the updates grouped by record.
type Groups<'g> = (
    &'g Folder,
    &'g mut Vec<Vec<Update>>,
    &'g mut PlHashMap<Box<str>, usize>,
);

/// Hands the rows `run` has built to `chunks` as one frame, its builders
/// started again with room for `capacity` rows.
fn hand_over(run: &mut Run, source: Source, chunks: &mut Chunks, capacity: usize) -> Result<()> {
    let height = run.buffered;
    let columns = run
        .take_columns(source, capacity)
        .into_iter()
        .flatten()
        .map(Series::into_column)
        .collect();
    (chunks.sink)(DataFrame::new(height, columns)?)
}

/// [`hand_over`] once `run` holds a whole chunk (a streamed read's).
fn hand_over_full(run: &mut Run, source: Source, chunks: Option<&mut Chunks>) -> Result<()> {
    match chunks {
        Some(chunks) if run.buffered >= chunks.rows => {
            let rows = chunks.rows;
            hand_over(run, source, chunks, rows)
        }
        _ => Ok(()),
    }
}

/// Reads the records of one file into `run` (an event log's into `groups`), up
/// to the record that reaches `cut` (a later part's), which is left in `record`
/// and whose start is returned. A streamed read's rows go to `sink` a chunk at
/// a time.
#[allow(clippy::too_many_arguments)]
fn read_records(
    run: &mut Run,
    layout: &Layout,
    (file, display): (usize, &str),
    records: &mut Records,
    record: &mut csv::ByteRecord,
    cut: Option<u64>,
    mut groups: Option<Groups>,
    mut sink: Option<&mut Chunks>,
    progress: &dyn Fn(u64, u64),
) -> Result<Option<u64>> {
    let mut reported = Reported::new(run.read, records.position());
    while let Some(start) = records
        .next(record)
        .with_context(|| format!("cannot read {display}"))?
    {
        if cut.is_some_and(|cut| split::reached(start, cut)) {
            reported.up_to(progress, run.read, start);
            return Ok(Some(start));
        }
        if reported.due(run.read) {
            reported.up_to(progress, run.read, start);
        }
        if !run.well_formed(layout, file, start, record) {
            continue;
        }
        let Some((folder, groups, group_of)) = &mut groups else {
            run.validate(layout, file, start, record);
            hand_over_full(run, layout.source, sink.as_deref_mut())?;
            continue;
        };
        // An event log: rules across fields hold for the folded record.
        let parsed = run.parse(layout, record);
        let update = parsed.and_then(|values| {
            let (order, firsts) =
                folder.update_times(record, layout.specs, layout.tz, layout.mapping)?;
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
                    record: layout.rejected_rows.then(|| RejectedRow::of(record)),
                    order,
                    firsts,
                    values,
                });
            }
            Err(error) => run.reject(layout, (file, start), error, record),
        }
    }
    reported.up_to(progress, run.read, records.position());
    Ok(None)
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
