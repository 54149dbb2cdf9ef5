//! Rejected rows: what a user reads to find and fix them, and the rejects file.

use std::path::{Path, PathBuf};

use anyhow::Result;

use super::read::SourceData;
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
    pub fields: Vec<String>,
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
            let mut row = Vec::new();
            if several {
                row.push(r.file.to_string());
            }
            row.extend([
                r.line.to_string(),
                r.column.map(|c| c.1).unwrap_or("").to_string(),
                r.detail.clone(),
            ]);
            row.extend(r.fields.iter().cloned());
            writer.write_record(&row)?;
        }
        writer.flush()?;
        Ok(())
    })?;
    data.stats.rejects_file = Some(path.display().to_string());
    Ok(path)
}
