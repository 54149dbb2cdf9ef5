//! The files of one export and their records: a path or glob expanded to files,
//! each read as delimited text (decoded as a stream) or as a workbook's sheet
//! (xlsx, xls, xlsb, ods through calamine), one `ByteRecord` at a time.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use calamine::{open_workbook_auto, Data, Reader};

use super::decode::{self, Decoding};
use super::mapping::Mapping;

/// The files a path names: itself, or a glob's matches in name order (monthly
/// exports then read oldest first). No match is an error naming the pattern.
pub fn expand(path: &Path) -> Result<Vec<PathBuf>> {
    let text = path.to_string_lossy();
    // A file that exists is itself, even with glob characters in its name.
    if !text.contains(['*', '?', '[']) || path.exists() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut files = glob::glob(&text)
        .with_context(|| format!("{text}: not a valid glob pattern"))?
        .collect::<Result<Vec<_>, _>>()
        .with_context(|| format!("cannot list the files of {text}"))?;
    // Not folders, and not the lock files Excel leaves beside an open workbook.
    files.retain(|f| {
        f.is_file()
            && !f
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("~$"))
    });
    files.sort();
    if files.is_empty() {
        bail!("{text}: no file matches the pattern");
    }
    Ok(files)
}

/// Whether a file is a workbook, by its extension.
pub fn is_workbook(path: &Path) -> bool {
    path.extension().and_then(|e| e.to_str()).is_some_and(|e| {
        ["xlsx", "xlsm", "xls", "xlsb", "ods"].contains(&e.to_ascii_lowercase().as_str())
    })
}

/// One file's records.
pub enum Records {
    Text {
        reader: csv::Reader<Box<dyn Read + Send>>,
        decoding: Decoding,
        delimiter: u8,
    },
    /// A worksheet, already in memory (calamine reads a sheet whole), with the
    /// sheet row number of each record.
    Sheet {
        rows: std::vec::IntoIter<(u64, csv::ByteRecord)>,
    },
}

impl Records {
    pub fn open(path: &Path, mapping: &Mapping) -> Result<Records> {
        let display = path.display();
        if is_workbook(path) {
            return read_sheet(path, mapping.sheet.as_deref())
                .with_context(|| format!("cannot read workbook {display}"));
        }
        let decoding = decode::detect(path, mapping.encoding)
            .with_context(|| format!("cannot read {display}"))?;
        let delimiter = match mapping.delimiter {
            Some(d) => d,
            None => decode::sniff_delimiter(path, decoding)
                .with_context(|| format!("cannot read {display}"))?,
        };
        Ok(Records::Text {
            reader: csv_reader(delimiter, decode::open(path, decoding)?),
            decoding,
            delimiter,
        })
    }

    /// The UTF-8 text of `path` from byte `offset` on, its delimiter known: a part of
    /// a file split across cores. Record starts are counted from `offset`.
    pub fn open_at(path: &Path, delimiter: u8, offset: u64) -> Result<Records> {
        Ok(Records::Text {
            reader: csv_reader(delimiter, decode::open_at(path, offset)?),
            decoding: Decoding::Utf8,
            delimiter,
        })
    }

    /// The delimiter of a file that can be read in byte ranges: UTF-8 text (a
    /// transcoded stream has no byte offsets to seek to; a sheet is in memory).
    pub fn splittable(&self) -> Option<u8> {
        match self {
            Records::Text {
                decoding: Decoding::Utf8,
                delimiter,
                ..
            } => Some(*delimiter),
            _ => None,
        }
    }

    /// Where the reader stands: the byte after the records read so far.
    pub fn position(&self) -> u64 {
        match self {
            Records::Text { reader, .. } => reader.position().byte(),
            Records::Sheet { .. } => 0,
        }
    }

    /// The encoding decoded from, when not UTF-8.
    pub fn encoding(&self) -> Option<&'static str> {
        match self {
            Records::Text { decoding, .. } => decoding.label(),
            Records::Sheet { .. } => None,
        }
    }

    /// Reads the next record into `record`; returns where it starts (a byte
    /// offset in text, to be turned into a line by [`Records::lines`]; the row
    /// number in a sheet), or None at the end.
    pub fn next(&mut self, record: &mut csv::ByteRecord) -> Result<Option<u64>, csv::Error> {
        match self {
            Records::Text { reader, .. } => Ok(reader
                .read_byte_record(record)?
                .then(|| record.position().map_or(0, |p| p.byte()))),
            Records::Sheet { rows } => Ok(rows.next().map(|(line, row)| {
                *record = row;
                line
            })),
        }
    }

    /// How far into the file the reader is, in bytes (for the progress bar).
    pub fn progress(&self, record: &csv::ByteRecord) -> u64 {
        match self {
            Records::Text { .. } => record.position().map_or(0, |p| p.byte()),
            Records::Sheet { .. } => 0,
        }
    }

    /// The physical lines of records that start at `starts` (ascending).
    pub fn lines(&self, path: &Path, starts: &[u64]) -> Result<Vec<u64>> {
        match self {
            Records::Text { decoding, .. } => decode::physical_lines(path, *decoding, starts),
            Records::Sheet { .. } => Ok(starts.to_vec()),
        }
    }
}

fn csv_reader(delimiter: u8, text: Box<dyn Read + Send>) -> csv::Reader<Box<dyn Read + Send>> {
    csv::ReaderBuilder::new()
        .flexible(true)
        .has_headers(false)
        .delimiter(delimiter)
        .from_reader(text)
}

fn read_sheet(path: &Path, sheet: Option<&str>) -> Result<Records> {
    let mut workbook = open_workbook_auto(path)?;
    let names = workbook.sheet_names();
    let name = match sheet {
        Some(name) if names.iter().any(|n| n == name) => name.to_string(),
        Some(name) => bail!("no sheet {name:?}; the workbook has {}", names.join(", ")),
        None => names
            .first()
            .cloned()
            .context("the workbook has no sheet")?,
    };
    let range = workbook.worksheet_range(&name)?;
    let first_row = range.start().map_or(0, |(row, _)| u64::from(row));
    let first_col = range.start().map_or(0, |(_, col)| col as usize);
    let mut rows = Vec::with_capacity(range.height());
    for (i, cells) in range.rows().enumerate() {
        // A blank row is skipped, as a blank line of a CSV file is.
        if cells.iter().all(|c| matches!(c, Data::Empty)) {
            continue;
        }
        let mut record = csv::ByteRecord::new();
        // Columns left of the used range are empty: keep the sheet's positions.
        for _ in 0..first_col {
            record.push_field(b"");
        }
        for cell in cells {
            record.push_field(cell_text(cell).as_bytes());
        }
        rows.push((first_row + i as u64 + 1, record));
    }
    Ok(Records::Sheet {
        rows: rows.into_iter(),
    })
}

/// A cell as the text an export would have held: dates as ISO 8601 wall time (a
/// date alone when it has no time of day), whole numbers without a fraction.
fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_string(),
        Data::DateTime(t) if t.is_duration() => {
            let ms = (t.as_f64() * 86_400_000.0).round() as i64;
            let s = ms / 1000;
            format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
        }
        Data::DateTime(t) => {
            let (y, mo, d, h, mi, s, ms) = t.to_ymd_hms_milli();
            match (h, mi, s, ms) {
                (0, 0, 0, 0) => format!("{y:04}-{mo:02}-{d:02}"),
                (_, _, _, 0) => format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}"),
                _ => format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}.{ms:03}"),
            }
        }
        Data::Error(e) => format!("#{e:?}"),
    }
}

/// A file's size and modification time, to tell that it changed while it was
/// read (an export still being written, a sync tool replacing it): its rows
/// would then be a mix of two versions.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct FileStamp {
    pub len: u64,
    modified: Option<std::time::SystemTime>,
}

impl FileStamp {
    pub fn of(path: &Path) -> std::io::Result<FileStamp> {
        let meta = File::open(path)?.metadata()?;
        Ok(FileStamp {
            len: meta.len(),
            modified: meta.modified().ok(),
        })
    }

    pub fn unchanged(&self, path: &Path, display: &str) -> Result<()> {
        let now = FileStamp::of(path).with_context(|| format!("cannot read {display}"))?;
        if now != *self {
            bail!(
                "{display} changed while it was read ({} bytes before, {} after): read it again \
                 once whatever writes it has finished",
                self.len,
                now.len
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_that_changes_while_read_is_an_error() {
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), "a,b\n1,2\n").unwrap();
        let stamp = FileStamp::of(file.path()).unwrap();
        assert!(stamp.unchanged(file.path(), "t.csv").is_ok());
        std::fs::write(file.path(), "a,b\n1,2\n3,4\n").unwrap();
        let err = format!("{:#}", stamp.unchanged(file.path(), "t.csv").unwrap_err());
        assert!(err.contains("t.csv changed while it was read"), "{err}");
    }
}
