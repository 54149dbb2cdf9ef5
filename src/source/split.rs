//! A large UTF-8 export read on every core: the file cut into byte ranges at
//! record boundaries, each range validated on a thread of its own, the parts
//! joined in file order. The outcome is the one reading the file from start to
//! end gives: a row whose id an earlier part accepted becomes a duplicate reject,
//! and each boundary is checked against where the parsers found records, so a
//! file whose quoting the cut misjudged is read on from the first part instead.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use anyhow::{bail, Context, Result};
use polars::prelude::*;

use super::load::Keep;
use super::records::Records;
use super::rejects::{Pending, RejectedRow};
use super::rows::{Buffer, Layout, Run};
use super::seen_ids::SeenIds;

/// The smallest part worth a thread of its own.
pub const MIN_PART_BYTES: u64 = 4 << 20;

/// Where to cut a file of `size` bytes into at most `parts` byte ranges after
/// `data_start`: each cut just after a newline outside quotes (an even count of
/// `"` before it, as RFC 4180 doubles a quote inside a quoted field) between two
/// lines that are not blank. None when the file is too small for the threads to
/// pay.
pub fn cut_points(
    path: &Path,
    data_start: u64,
    size: u64,
    parts: usize,
) -> std::io::Result<Vec<u64>> {
    let body = size.saturating_sub(data_start);
    let parts = parts.min((body / MIN_PART_BYTES) as usize);
    if parts < 2 {
        return Ok(Vec::new());
    }
    let targets: Vec<u64> = (1..parts as u64)
        .map(|i| data_start + body * i / parts as u64)
        .collect();
    let mut file = File::open(path)?;
    file.seek(SeekFrom::Start(data_start))?;
    let mut buf = vec![0u8; 1 << 20];
    let (mut offset, mut quotes) = (data_start, 0u64);
    let mut cuts = Vec::with_capacity(targets.len());
    'read: loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        let mut i = 0;
        while i < n {
            let Some(&target) = targets.get(cuts.len()) else {
                break 'read;
            };
            if offset + (i as u64) < target {
                let end = n.min((target - offset) as usize);
                quotes += memchr::memchr_iter(b'"', &buf[i..end]).count() as u64;
                i = end;
                continue;
            }
            match memchr::memchr2(b'"', b'\n', &buf[i..n]) {
                Some(j) => {
                    let at = i + j;
                    if buf[at] == b'"' {
                        quotes += 1;
                    } else if quotes % 2 == 0 && between_lines(&buf[..n], at) {
                        cuts.push(offset + at as u64 + 1);
                    }
                    i = at + 1;
                }
                None => i = n,
            }
        }
        offset += n as u64;
    }
    // A cut at the very end would leave an empty part.
    cuts.retain(|&c| c < size);
    Ok(cuts)
}

/// Whether the newline at `at` ends a line that is not blank and is followed by
/// one that is not blank either (both within `buf`). The parsers skip blank
/// lines, and on CRLF files a record after blank lines is placed at the first of
/// them: the record after a cut must start right at it.
fn between_lines(buf: &[u8], at: usize) -> bool {
    let line_end = |b: &u8| *b == b'\r' || *b == b'\n';
    let next = buf.get(at + 1).is_some_and(|b| !line_end(b));
    let before = match at.checked_sub(1).map(|i| buf[i]) {
        Some(b'\r') => at.checked_sub(2).is_some_and(|i| buf[i] != b'\n'),
        Some(b'\n') | None => false,
        Some(_) => true,
    };
    next && before
}

/// What a reader has told the progress bar: rows and bytes so far.
pub(super) struct Reported {
    rows: u64,
    bytes: u64,
}

impl Reported {
    pub fn new(rows: u64, bytes: u64) -> Reported {
        Reported { rows, bytes }
    }

    /// Whether enough rows were read since the last report to make another.
    pub fn due(&self, rows: u64) -> bool {
        rows - self.rows >= 65_536
    }

    /// Reports the rows and bytes read since the last report.
    pub fn up_to(&mut self, progress: &dyn Fn(u64, u64), rows: u64, bytes: u64) {
        progress(rows - self.rows, bytes.saturating_sub(self.bytes));
        (self.rows, self.bytes) = (rows, bytes);
    }
}

/// One part of a file after its first: its run, and where its first record and
/// the record it stopped before start (None: it has none / it read to the end).
pub(super) struct Part {
    run: Run,
    first: Option<u64>,
    stop: Option<u64>,
}

/// Whether a reader that met a record at `start` has reached the part beginning
/// at `cut`. On CRLF files a record's position is the `\n` of the line ending
/// before it, one byte before the cut.
pub fn reached(start: u64, cut: u64) -> bool {
    start + 1 >= cut
}

/// Reads and validates the records of `path` from `from` up to the record at
/// `to` (to the end when None).
#[allow(clippy::too_many_arguments)]
pub(super) fn read_part(
    path: &Path,
    delimiter: u8,
    layout: &Layout,
    keep: &Keep,
    file: usize,
    (from, to): (u64, Option<u64>),
    capacity: usize,
    progress: &dyn Fn(u64, u64),
) -> Result<Part> {
    let mut records = Records::open_at(path, delimiter, from)?;
    let mut run = Run::new(layout.source, keep, (capacity, capacity), true);
    let mut record = csv::ByteRecord::new();
    let (mut first, mut stop) = (None, None);
    let mut reported = Reported::new(0, 0);
    while let Some(at) = records.next(&mut record)? {
        let start = from + at;
        if to.is_some_and(|cut| reached(start, cut)) {
            stop = Some(start);
            break;
        }
        first.get_or_insert(start);
        if run.well_formed(layout, file, start, &mut record) {
            run.validate(layout, file, start, &record);
        }
        if reported.due(run.read) {
            reported.up_to(progress, run.read, at);
        }
    }
    reported.up_to(progress, run.read, records.position());
    if run.seen_ids.rows_overflowed() {
        bail!("more than {} rows in one part", u32::MAX);
    }
    Ok(Part { run, first, stop })
}

/// Whether the parts meet where the reader of the whole file would have found
/// records: each part stops before the record the next one starts with (the
/// bytes between the two positions only line ends).
pub(super) fn boundaries_hold(
    path: &Path,
    first_stop: Option<u64>,
    parts: &[Part],
) -> Result<bool> {
    let mut stop = first_stop;
    for part in parts {
        let holds = match (stop, part.first) {
            (None, None) => true,
            (Some(a), Some(b)) => only_line_ends(path, a.min(b), a.max(b))?,
            _ => false,
        };
        if !holds {
            return Ok(false);
        }
        stop = part.stop;
    }
    Ok(stop.is_none())
}

fn only_line_ends(path: &Path, from: u64, to: u64) -> Result<bool> {
    if to - from > 1 << 20 {
        return Ok(false);
    }
    let mut bytes = vec![0u8; (to - from) as usize];
    let mut file = File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    file.seek(SeekFrom::Start(from))?;
    file.read_exact(&mut bytes)?;
    Ok(bytes.iter().all(|&b| b == b'\r' || b == b'\n'))
}

/// Joins a file's later parts into `run`, in file order, each part's columns a
/// chunk of their own after the rows `run` holds (`chunks`, per column). A part's
/// row whose id `run` or an earlier part accepted is rejected as a duplicate,
/// its record read again from the file. With `more_files` the parts' ids go into
/// `run`'s for the files read next.
#[allow(clippy::too_many_arguments)]
pub(super) fn join_parts(
    run: &mut Run,
    parts: Vec<Part>,
    layout: &Layout,
    (file, path, delimiter): (usize, &Path, u8),
    more_files: bool,
    capacity: usize,
    chunks: &mut [Vec<Series>],
) -> Result<()> {
    for (chunk, column) in chunks
        .iter_mut()
        .zip(run.take_columns(layout.source, capacity))
    {
        chunk.extend(column);
    }
    let mut earlier: Vec<SeenIds> = Vec::new();
    for part in parts {
        let Part { run: part, .. } = part;
        let seen: Vec<&SeenIds> = std::iter::once(&run.seen_ids).chain(&earlier).collect();
        let repeats = part.seen_ids.found_in(&seen);
        drop(seen);
        let starts = part.starts.expect("a part keeps its row starts");
        let mut pending = part.pending;
        // The repeats' records are read again only to be written or shown.
        let rows: Vec<u64> = match layout.rejected_rows {
            true => repeats.iter().map(|r| starts[r.row]).collect(),
            false => Vec::new(),
        };
        let mut records = records_at(path, delimiter, &rows)?.into_iter();
        for repeat in &repeats {
            let error = layout.duplicate(&repeat.id);
            let start = starts[repeat.row];
            let row = records.next().map(|mut record| {
                if let Some(lookup) = layout.lookup {
                    lookup.extend(&mut record);
                }
                RejectedRow::of(&record)
            });
            pending.push(Pending::with_row((file, start), error, row));
        }
        // In record order, as one reading finds them (two records can share a
        // line, ended by a lone `\r`).
        pending.sort_by_key(|p| p.start);
        run.read += part.read;
        run.accepted += part.accepted - repeats.len() as u64;
        run.pending.extend(pending);
        run.unmapped.extend(part.unmapped);
        let keep = (!repeats.is_empty()).then(|| {
            let mut keep = vec![true; starts.len()];
            repeats.iter().for_each(|r| keep[r.row] = false);
            BooleanChunked::from_slice("keep".into(), &keep)
        });
        drop(starts);
        let columns = part.buffers.into_iter().map(Buffer::finish);
        for (chunk, column) in chunks.iter_mut().zip(columns) {
            let Some(column) = column else {
                continue;
            };
            chunk.push(match &keep {
                Some(keep) => column.filter(keep)?,
                None => column,
            });
        }
        if more_files {
            run.seen_ids.extend_from(&part.seen_ids);
        }
        earlier.push(part.seen_ids);
    }
    Ok(())
}

/// The records of a UTF-8 file at `starts` (ascending): read on from the last one
/// when the next is near, else from a reader opened at its start (an export
/// concatenated with itself repeats every row of its second half).
fn records_at(path: &Path, delimiter: u8, starts: &[u64]) -> Result<Vec<csv::ByteRecord>> {
    const NEAR: u64 = 1 << 20;
    let mut found = Vec::with_capacity(starts.len());
    let mut open: Option<(Records, u64)> = None;
    let mut record = csv::ByteRecord::new();
    for &start in starts {
        let mut hit = false;
        if let Some((records, from)) = &mut open {
            let here = *from + records.position();
            if start >= here && start - here <= NEAR {
                while let Some(at) = records.next(&mut record)? {
                    if *from + at >= start {
                        hit = *from + at == start;
                        break;
                    }
                }
            }
        }
        if !hit {
            let mut records = Records::open_at(path, delimiter, start)?;
            if records.next(&mut record)?.is_none() {
                bail!("{}: no record at byte {start}", path.display());
            }
            open = Some((records, start));
        }
        found.push(record.clone());
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file_with(text: &str) -> tempfile::NamedTempFile {
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), text).unwrap();
        file
    }

    #[test]
    fn cuts_fall_after_a_newline_outside_quotes() {
        // Rows of 100 bytes; every tenth has a quoted field with a newline in it.
        let mut text = String::from("id,text\n");
        let mut row = 0;
        while text.len() < 3 * MIN_PART_BYTES as usize {
            let body = if row % 10 == 0 {
                "\"two\nlines\""
            } else {
                "one line"
            };
            let line = format!("{row},{body}");
            text.push_str(&format!("{line:<99}\n"));
            row += 1;
        }
        let file = file_with(&text);
        let size = text.len() as u64;
        let cuts = cut_points(file.path(), 8, size, 3).unwrap();
        assert_eq!(cuts.len(), 2, "{cuts:?}");
        for &cut in &cuts {
            let before = &text.as_bytes()[..cut as usize];
            assert_eq!(before.last(), Some(&b'\n'));
            assert_eq!(before.iter().filter(|&&b| b == b'"').count() % 2, 0);
            // The next record is a whole row: it starts with its number.
            assert!(
                text.as_bytes()[cut as usize].is_ascii_digit(),
                "cut at {cut}"
            );
        }
    }

    #[test]
    fn no_cut_next_to_a_blank_line() {
        let text = b"a\nb\n\nc\r\n\r\nd\r\ne";
        let cuttable: Vec<usize> = (0..text.len())
            .filter(|&i| text[i] == b'\n' && between_lines(text, i))
            .collect();
        // After "a" (before "b"), and after "d\r" (before "e"): not around the
        // blank lines, not where the buffer ends.
        assert_eq!(cuttable, vec![1, 12]);
    }

    #[test]
    fn small_files_are_not_cut() {
        let file = file_with("id\n1\n2\n");
        assert!(cut_points(file.path(), 3, 7, 8).unwrap().is_empty());
    }

    #[test]
    fn a_crlf_record_is_reached_from_the_line_end_before_it() {
        assert!(reached(99, 100) && reached(100, 100) && reached(150, 100));
        assert!(!reached(98, 100));
    }
}
