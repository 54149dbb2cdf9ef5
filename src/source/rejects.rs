//! Rejected rows: what a user reads to find and fix them, and the rejects file.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use super::fields::RowError;
use super::read::SourceData;
use super::records::Records;
use crate::fsutil::atomic_write;

/// One rejected row, with enough to find and fix it.
#[derive(Debug, Clone)]
pub struct Reject {
    /// The file it is in (one of an export's files).
    pub file: std::sync::Arc<str>,
    pub line: u64,
    /// 1-based field position and canonical column name, when one field is at fault.
    pub column: Option<(usize, &'static str)>,
    /// Short, countable reason (`first_response_at before created_at`).
    pub reason: String,
    /// The specifics: the offending value and what was expected.
    pub detail: String,
    /// The row's fields as read.
    pub fields: RejectedRow,
}

/// A rejected row's fields as read, in two exact-size buffers: an export with
/// many bad rows holds them all until they are written (a `csv::ByteRecord`
/// took 88 bytes more a row, its field ends 8 bytes each).
#[derive(Debug, Clone)]
pub struct RejectedRow {
    bytes: Box<[u8]>,
    ends: Ends,
}

/// Where each field ends: in 4 bytes, unless the record passes 4 GiB (a quoted
/// field can span any number of lines).
#[derive(Debug, Clone)]
enum Ends {
    Short(Box<[u32]>),
    Long(Box<[usize]>),
}

impl RejectedRow {
    /// A copy of a record's fields.
    pub(super) fn of(record: &csv::ByteRecord) -> RejectedRow {
        let bytes: Box<[u8]> = record.iter().flatten().copied().collect();
        let ends = record.iter().scan(0, |end, field| {
            *end += field.len();
            Some(*end)
        });
        let ends = match u32::try_from(bytes.len()) {
            Ok(_) => Ends::Short(ends.map(|end| end as u32).collect()),
            Err(_) => Ends::Long(ends.collect()),
        };
        RejectedRow { bytes, ends }
    }

    pub fn fields(&self) -> impl Iterator<Item = &[u8]> {
        let ends: Box<dyn Iterator<Item = usize>> = match &self.ends {
            Ends::Short(ends) => Box::new(ends.iter().map(|&end| end as usize)),
            Ends::Long(ends) => Box::new(ends.iter().copied()),
        };
        let mut start = 0;
        ends.map(move |end| {
            let field = &self.bytes[start..end];
            start = end;
            field
        })
    }
}

impl Reject {
    /// `file:line:column: name: reason: detail`, the form editors and CI logs link.
    pub fn describe(&self) -> String {
        let path = &self.file;
        match self.column {
            Some((position, name)) => {
                format!("{path}:{}:{position}: {name}: {}", self.line, self.detail)
            }
            None => format!("{path}:{}: {}", self.line, self.detail),
        }
    }
}

/// Writes the rejected rows of one source to `dir/<source>.rejects.csv` (atomically;
/// a header-only file when nothing was rejected, so no stale file misleads).
pub fn write_rejects(dir: &Path, data: &mut SourceData) -> Result<PathBuf> {
    crate::fsutil::create_dir(dir)?;
    let path = dir.join(format!("{}.rejects.csv", data.source.name()));
    atomic_write(&path, |out| {
        let mut writer = csv::WriterBuilder::new().flexible(true).from_writer(out);
        // The file column only when an export spans several files.
        let several = data.files.len() > 1;
        let mut head = Vec::new();
        if several {
            head.push("svcq_file".to_string());
        }
        head.extend([
            "svcq_line".into(),
            "svcq_column".into(),
            "svcq_reason".into(),
        ]);
        head.extend(data.header.iter().cloned());
        writer.write_record(&head)?;
        for r in &data.rejects {
            if several {
                writer.write_field(r.file.as_bytes())?;
            }
            writer.write_field(r.line.to_string())?;
            writer.write_field(r.column.map_or("", |c| c.1))?;
            writer.write_field(&r.detail)?;
            for field in r.fields.fields() {
                writer.write_field(String::from_utf8_lossy(field).as_bytes())?;
            }
            writer.write_record(None::<&[u8]>)?;
        }
        writer.flush()?;
        Ok(())
    })?;
    data.stats.rejects_file = Some(path.display().to_string());
    Ok(path)
}

/// A row that is rejected, before its line is known.
pub(super) struct Pending {
    pub file: usize,
    pub start: u64,
    pub error: RowError,
    /// The row's fields; None where no rejects file is written and no reject
    /// shown (the error's detail is then dropped too: only its reason is counted).
    pub record: Option<RejectedRow>,
}

impl Pending {
    /// The reject of `record`, kept whole when `rows` (the rejected rows are
    /// written or shown), else as its reason alone.
    pub fn new(rows: bool, at: (usize, u64), error: RowError, record: &csv::ByteRecord) -> Pending {
        Pending::with_row(at, error, rows.then(|| RejectedRow::of(record)))
    }

    /// The reject of a row kept as `row` (None: as its reason alone).
    pub fn with_row(
        (file, start): (usize, u64),
        mut error: RowError,
        row: Option<RejectedRow>,
    ) -> Pending {
        if row.is_none() {
            error.detail = String::new();
        }
        Pending {
            file,
            start,
            error,
            record: row,
        }
    }
}

/// Turns each pending reject's start into its physical line, file by file.
pub(super) fn locate_rejects(
    files: &[PathBuf],
    displays: &[String],
    line_maps: &[Records],
    pending: Vec<Pending>,
) -> Result<Vec<Reject>> {
    let mut lines = vec![0u64; pending.len()];
    for (file, (path, records)) in files.iter().zip(line_maps).enumerate() {
        let mut order: Vec<usize> = (0..pending.len())
            .filter(|&i| pending[i].file == file)
            .collect();
        if order.is_empty() {
            continue;
        }
        order.sort_by_key(|&i| pending[i].start);
        let starts: Vec<u64> = order.iter().map(|&i| pending[i].start).collect();
        let found = records.lines(path, &starts).with_context(|| {
            format!(
                "cannot read {} again to locate rejected rows",
                displays[file]
            )
        })?;
        for (i, line) in order.into_iter().zip(found) {
            lines[i] = line;
        }
    }
    let files: Vec<std::sync::Arc<str>> = displays.iter().map(|d| d.as_str().into()).collect();
    let mut rejects: Vec<Reject> = pending
        .into_iter()
        .zip(lines)
        .map(|(p, line)| Reject {
            file: files[p.file].clone(),
            line,
            column: p.error.position.zip(p.error.name),
            reason: p.error.reason,
            detail: p.error.detail,
            fields: p.record.expect("the rows of rejects to locate are kept"),
        })
        .collect();
    // In the export's order: by file, then line (folded records come last otherwise).
    let rank: std::collections::HashMap<&str, usize> = displays
        .iter()
        .enumerate()
        .map(|(i, d)| (d.as_str(), i))
        .collect();
    rejects.sort_by_key(|r| (rank[r.file.as_ref()], r.line));
    Ok(rejects)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rejected_row_keeps_its_fields() {
        for fields in [
            vec![],
            vec![""],
            vec!["T1", "", "a,b", "订单"],
            vec!["", ""],
        ] {
            let record = csv::ByteRecord::from(fields.clone());
            let row = RejectedRow::of(&record);
            let back: Vec<&[u8]> = row.fields().collect();
            let expected: Vec<&[u8]> = fields.iter().map(|f| f.as_bytes()).collect();
            assert_eq!(back, expected);
        }
    }
}
