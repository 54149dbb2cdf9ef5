//! The Parquet store: one file per source, upserted by id so overlapping weekly
//! exports merge (the row from the latest ingest wins).

use std::collections::HashSet;
use std::fs::File;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use polars::prelude::*;
use serde::Serialize;

use super::load::Keep;
use super::{Kind, Source};
use crate::fsutil::atomic_write;

pub const DEFAULT_STORE: &str = ".svcq";

pub fn store_file(dir: &Path, source: Source) -> PathBuf {
    dir.join(format!("{}.parquet", source.name()))
}

#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
pub struct UpsertStats {
    pub before: u64,
    pub inserted: u64,
    pub updated: u64,
    pub after: u64,
}

/// Reads a source's store file into canonical columns, or `None` if it does not exist.
pub fn read_store(dir: &Path, source: Source, keep: &Keep) -> Result<Option<DataFrame>> {
    let path = store_file(dir, source);
    if !path.exists() {
        return Ok(None);
    }
    let file =
        File::open(&path).with_context(|| format!("cannot open store file {}", path.display()))?;
    let mut reader = ParquetReader::new(file);
    let stored = reader
        .schema()
        .map_err(|e| anyhow::anyhow!("{}: not a readable Parquet file: {e}", path.display()))?;
    let kept: Vec<_> = source
        .columns()
        .iter()
        .filter(|spec| keep.keeps(source, spec.name))
        .collect();
    let wanted: Vec<String> = kept
        .iter()
        .filter(|spec| stored.contains(spec.name))
        .map(|spec| spec.name.to_string())
        .collect();
    let frame = reader
        .with_columns(Some(wanted))
        .finish()
        .map_err(|e| anyhow::anyhow!("{}: not a readable Parquet file: {e}", path.display()))?;
    let mut columns = Vec::new();
    for spec in kept {
        let wanted = match spec.kind {
            Kind::Timestamp(_) | Kind::Count | Kind::Integer { .. } => DataType::Int64,
            _ => DataType::String,
        };
        let column = match frame.column(spec.name) {
            Ok(column) => column.cast(&wanted)?,
            // An optional column added to the contract after this store was written.
            Err(_) if !spec.in_header => {
                Column::full_null(spec.name.into(), frame.height(), &wanted)
            }
            Err(_) => bail!(
                "{}: not an svcq {source} store (no column `{}`)",
                path.display(),
                spec.name
            ),
        };
        columns.push(column);
    }
    Ok(Some(DataFrame::new(frame.height(), columns)?))
}

/// Merges `incoming` into the store file of `source`: existing rows whose id is in
/// `incoming` are replaced, new ids are appended. Written aside, then renamed.
pub fn upsert(dir: &Path, source: Source, incoming: &DataFrame) -> Result<UpsertStats> {
    let existing = read_store(dir, source, &Keep::All)?;
    let id = source.id_column();
    let incoming_ids: HashSet<&str> = incoming.column(id)?.str()?.iter().flatten().collect();
    let (mut merged, before, kept) = match existing {
        Some(existing) => {
            let mask: BooleanChunked = existing
                .column(id)?
                .str()?
                .iter()
                .map(|v| Some(!v.is_some_and(|v| incoming_ids.contains(v))))
                .collect();
            let kept = existing.filter(&mask)?;
            let before = existing.height() as u64;
            let kept_rows = kept.height() as u64;
            (kept.vstack(incoming)?, before, kept_rows)
        }
        None => (incoming.clone(), 0, 0),
    };
    let updated = before - kept;
    let stats = UpsertStats {
        before,
        inserted: incoming.height() as u64 - updated,
        updated,
        after: merged.height() as u64,
    };
    merged.rechunk_mut();
    write_store(dir, source, &merged)?;
    Ok(stats)
}

fn write_store(dir: &Path, source: Source, frame: &DataFrame) -> Result<()> {
    // Timestamps are stored as real UTC datetimes so other tools read them as such.
    let mut columns = Vec::new();
    for spec in source.columns() {
        let column = frame.column(spec.name)?;
        columns.push(match spec.kind {
            Kind::Timestamp(_) => column.cast(&DataType::Datetime(
                TimeUnit::Milliseconds,
                Some(TimeZone::UTC),
            ))?,
            _ => column.clone(),
        });
    }
    let mut out = DataFrame::new_infer_height(columns)?;
    let path = store_file(dir, source);
    if dir.exists() && !dir.is_dir() {
        bail!("store {} is not a directory", dir.display());
    }
    atomic_write(&path, |w| {
        ParquetWriter::new(w).finish(&mut out)?;
        Ok(())
    })
}
