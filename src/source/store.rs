//! The Parquet store: one file per source, upserted by id so overlapping weekly
//! exports merge (the row from the latest ingest wins).
//!
//! Concurrency: an ingest holds `.ingest.lock` for its whole read-merge-write, so
//! ingests run one after another and none overwrites another's rows. It writes
//! every source's new file aside, then renames them all while holding
//! `.commit.lock`; a reader opens all the files under a shared hold of that lock,
//! so it sees the store before or after an ingest, never a mix of sources from
//! two. Readers wait only for the renames.

use std::collections::HashSet;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use polars::prelude::*;
use serde::Serialize;

use super::load::Keep;
use super::{Kind, Source};

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

/// An ingest's exclusive hold on a store, released when dropped.
pub struct IngestLock {
    _file: File,
}

fn lock_file(dir: &Path, name: &str) -> Result<File> {
    if dir.exists() && !dir.is_dir() {
        bail!("store {} is not a directory", dir.display());
    }
    std::fs::create_dir_all(dir)
        .with_context(|| format!("cannot create store {}", dir.display()))?;
    let path = dir.join(name);
    std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .with_context(|| format!("cannot open {}", path.display()))
}

/// Waits (up to `timeout`) until no other ingest is writing into `dir`, saying so
/// once on stderr, and holds the store until the returned lock is dropped.
pub fn lock_for_ingest(dir: &Path, timeout: Duration) -> Result<IngestLock> {
    let file = lock_file(dir, ".ingest.lock")?;
    let start = Instant::now();
    let mut said = false;
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(IngestLock { _file: file }),
            Err(std::fs::TryLockError::WouldBlock) => {
                if start.elapsed() >= timeout {
                    bail!(
                        "another ingest into {} has held it for {} s; try again later or raise \
                         --lock-timeout",
                        dir.display(),
                        timeout.as_secs()
                    );
                }
                if !said {
                    eprintln!("svcq: waiting for another ingest into {}…", dir.display());
                    said = true;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            Err(std::fs::TryLockError::Error(e)) => {
                return Err(e).with_context(|| format!("cannot lock store {}", dir.display()))
            }
        }
    }
}

/// Opens every source's store file at one moment between commits (None: the
/// source is not in the store).
pub fn open_store(dir: &Path) -> Result<Vec<(Source, Option<File>)>> {
    let commit = lock_file(dir, ".commit.lock")?;
    commit
        .lock_shared()
        .with_context(|| format!("cannot lock store {}", dir.display()))?;
    let mut files = Vec::new();
    for source in Source::ALL {
        let path = store_file(dir, source);
        let file = match File::open(&path) {
            Ok(f) => Some(f),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => {
                return Err(e).with_context(|| format!("cannot open store file {}", path.display()))
            }
        };
        files.push((source, file));
    }
    Ok(files)
}

/// Reads a source's store file into canonical columns.
pub fn read_store(dir: &Path, source: Source, file: File, keep: &Keep) -> Result<DataFrame> {
    let path = store_file(dir, source);
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
    Ok(DataFrame::new(frame.height(), columns)?)
}

/// A source's new store file, written aside until [`commit`].
pub struct Prepared {
    tmp: PathBuf,
    path: PathBuf,
}

impl Drop for Prepared {
    /// A file never committed (an error elsewhere) is not left behind.
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.tmp);
    }
}

/// Renames the prepared files into place together, so a reader sees all or none.
pub fn commit(dir: &Path, prepared: Vec<Prepared>) -> Result<()> {
    let lock = lock_file(dir, ".commit.lock")?;
    lock.lock()
        .with_context(|| format!("cannot lock store {}", dir.display()))?;
    for p in &prepared {
        std::fs::rename(&p.tmp, &p.path)
            .with_context(|| format!("cannot write {}", p.path.display()))?;
    }
    Ok(())
}

/// Merges `incoming` into the store file of `source` (held by `_lock`): existing
/// rows whose id is in `incoming` are replaced, new ids are appended. The result
/// is written aside; [`commit`] puts it in place.
pub fn upsert(
    _lock: &IngestLock,
    dir: &Path,
    source: Source,
    incoming: &DataFrame,
) -> Result<(Prepared, UpsertStats)> {
    let path = store_file(dir, source);
    let existing = match File::open(&path) {
        Ok(file) => Some(read_store(dir, source, file, &Keep::All)?),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(e).with_context(|| format!("cannot open {}", path.display())),
    };
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
    Ok((write_store(dir, source, &merged)?, stats))
}

fn write_store(dir: &Path, source: Source, frame: &DataFrame) -> Result<Prepared> {
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
    let prepared = Prepared {
        tmp: dir.join(format!(".{}.{}.tmp", source.name(), std::process::id())),
        path,
    };
    let file = File::create(&prepared.tmp)
        .with_context(|| format!("cannot create {}", prepared.tmp.display()))?;
    let mut writer = std::io::BufWriter::new(file);
    if let Err(e) = ParquetWriter::new(&mut writer).finish(&mut out) {
        bail!("cannot write {}: {e}", prepared.tmp.display());
    }
    let file = writer.into_inner().map_err(|e| e.into_error())?;
    file.sync_all()
        .with_context(|| format!("cannot write {}", prepared.tmp.display()))?;
    Ok(prepared)
}
