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
    /// The row's fields as read: one buffer, not a string per field (an export
    /// with many bad rows holds them all until they are written).
    pub fields: csv::ByteRecord,
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
            for field in &r.fields {
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

/// A copy of a record's fields alone, for a reject to keep: the reader's record
/// keeps room to spare.
pub(super) fn exact_copy(record: &csv::ByteRecord) -> csv::ByteRecord {
    let mut copy = csv::ByteRecord::with_capacity(record.as_slice().len(), record.len());
    copy.extend(record);
    copy
}

/// A row that is rejected, before its line is known.
pub(super) struct Pending {
    pub file: usize,
    pub start: u64,
    pub error: RowError,
    pub record: csv::ByteRecord,
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
            fields: p.record,
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
