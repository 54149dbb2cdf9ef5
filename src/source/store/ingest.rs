//! One ingest into the store: a new version written aside, then named live.

use std::collections::{BTreeMap, HashSet};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use polars::prelude::*;
use polars_io::parquet::write::ParquetWriter;

use super::{
    current_version, flat_file, lock_file, partition_file, read_store, source_files, UpsertStats,
    COMMIT_LOCK, CURRENT,
};
use crate::source::load::Keep;
use crate::source::{codes, times, Kind, Source};

/// An ingest in progress: the store held against other ingests, the live version
/// it merges into and the new one it writes. Dropped before [`Ingest::commit`],
/// it removes what it wrote.
pub struct Ingest {
    dir: PathBuf,
    _lock: File,
    live: PathBuf,
    next: PathBuf,
    /// The sources upserted (the others are carried over whole at commit).
    touched: Vec<Source>,
    committed: bool,
}

impl Ingest {
    /// Waits (up to `timeout`) until no other ingest is writing into `dir`, saying
    /// so once on stderr; removes what an interrupted ingest left; starts a version.
    pub fn begin(dir: &Path, timeout: Duration) -> Result<Ingest> {
        let file = hold(dir, timeout)?;
        let (live, last, _) = tidy(dir)?;
        let next = dir.join(format!("v{:06}", last + 1));
        std::fs::create_dir(&next).with_context(|| format!("cannot create {}", next.display()))?;
        Ok(Ingest {
            dir: dir.to_path_buf(),
            _lock: file,
            live,
            next,
            touched: Vec::new(),
            committed: false,
        })
    }

    /// Merges `incoming` into `source`: rows whose id is in `incoming` are
    /// replaced (wherever their month was), new ids are appended. Only the months
    /// `incoming` has, and those holding one of its ids, are rewritten; the others
    /// are linked into the new version as they are.
    pub fn upsert(&mut self, source: Source, incoming: &DataFrame) -> Result<UpsertStats> {
        let id = source.id_column();
        let incoming_ids: HashSet<&str> = incoming.column(id)?.str()?.iter().flatten().collect();
        let mut months = split_by_month(incoming, source)?;
        // The store's times read as milliseconds; the export's may be seconds.
        for part in months.values_mut() {
            times::widen_frame(part, source)?;
        }
        let mut rewrite: BTreeMap<String, DataFrame> = BTreeMap::new();
        let (mut before, mut kept) = (0u64, 0u64);
        for path in source_files(&self.live, source)? {
            let month = partition_month(&path);
            // A month the export does not touch is carried over, unless one of its
            // rows is replaced (its anchor moved to another month).
            if let Some(m) = month.as_deref().filter(|m| !months.contains_key(*m)) {
                let ids = read_store(
                    &path,
                    source,
                    File::open(&path)?,
                    &Keep::Only([(source, [id.to_string()].into())].into()),
                )?;
                before += ids.height() as u64;
                let hit = ids
                    .column(id)?
                    .str()?
                    .iter()
                    .flatten()
                    .any(|v| incoming_ids.contains(v));
                if !hit {
                    kept += ids.height() as u64;
                    self.carry(&path, &partition_file(&self.next, source, m))?;
                    continue;
                }
                before -= ids.height() as u64;
            }
            let existing = read_store(&path, source, File::open(&path)?, &Keep::All)?;
            before += existing.height() as u64;
            let mask: BooleanChunked = existing
                .column(id)?
                .str()?
                .iter()
                .map(|v| Some(!v.is_some_and(|v| incoming_ids.contains(v))))
                .collect();
            let remaining = existing.filter(&mask)?;
            kept += remaining.height() as u64;
            for (m, part) in split_by_month(&remaining, source)? {
                match rewrite.get_mut(&m) {
                    Some(frame) => {
                        frame.vstack_mut(&part)?;
                    }
                    None => {
                        rewrite.insert(m, part);
                    }
                }
            }
        }
        for (m, part) in std::mem::take(&mut months) {
            match rewrite.get_mut(&m) {
                Some(frame) => {
                    frame.vstack_mut(&part)?;
                }
                None => {
                    rewrite.insert(m, part);
                }
            }
        }
        for (m, mut frame) in rewrite {
            frame.rechunk_mut();
            write_parquet(&partition_file(&self.next, source, &m), source, &frame)?;
        }
        self.touched.push(source);
        let updated = before - kept;
        Ok(UpsertStats {
            before,
            inserted: incoming.height() as u64 - updated,
            updated,
            after: kept + incoming.height() as u64,
        })
    }

    /// Links a file of the live version into the new one (a copy where links
    /// cannot be made).
    fn carry(&self, from: &Path, to: &Path) -> Result<()> {
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        std::fs::hard_link(from, to)
            .or_else(|_| std::fs::copy(from, to).map(|_| ()))
            .with_context(|| format!("cannot carry {} over", from.display()))
    }

    /// Makes the new version live: the sources this ingest did not touch are
    /// linked from the live version, then `CURRENT` is switched by one rename and
    /// the previous version removed.
    pub fn commit(mut self) -> Result<()> {
        for source in Source::ALL
            .into_iter()
            .filter(|s| !self.touched.contains(s))
        {
            for from in source_files(&self.live, source)? {
                let to = self.next.join(from.strip_prefix(&self.live)?);
                self.carry(&from, &to)?;
            }
        }
        let name = self
            .next
            .file_name()
            .expect("a version folder")
            .to_string_lossy()
            .into_owned();
        let tmp = self.dir.join(".CURRENT.tmp");
        std::fs::write(&tmp, format!("{name}\n"))
            .and_then(|_| File::open(&tmp)?.sync_all())
            .with_context(|| format!("cannot write {}", tmp.display()))?;
        let commit = lock_file(&self.dir, COMMIT_LOCK)?;
        commit
            .lock()
            .with_context(|| format!("cannot lock store {}", self.dir.display()))?;
        // The new version's folders reach the disk before CURRENT names them, and
        // the rename itself after: a power cut leaves one whole version named.
        sync_tree(&self.next)?;
        std::fs::rename(&tmp, self.dir.join(CURRENT))
            .with_context(|| format!("cannot write {}", self.dir.join(CURRENT).display()))?;
        sync_dir(&self.dir)?;
        self.committed = true;
        // The previous version (or the files of a store written before versions).
        if self.live == self.dir {
            for source in Source::ALL {
                let _ = std::fs::remove_file(flat_file(&self.dir, source));
            }
        } else {
            let _ = std::fs::remove_dir_all(&self.live);
        }
        Ok(())
    }

    /// Where `source` is once committed.
    pub fn path(&self, source: Source) -> PathBuf {
        self.next.join(source.name())
    }
}

impl Drop for Ingest {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_dir_all(&self.next);
        }
    }
}

fn write_parquet(path: &Path, source: Source, frame: &DataFrame) -> Result<()> {
    // Timestamps are stored as real UTC datetimes so other tools read them as such.
    let mut columns = Vec::new();
    for spec in source.columns() {
        let column = frame.column(spec.name)?;
        columns.push(match spec.kind {
            Kind::Timestamp(_) => {
                times::millis(column)?
                    .into_column()
                    .cast(&DataType::Datetime(
                        TimeUnit::Milliseconds,
                        Some(TimeZone::UTC),
                    ))?
            }
            _ => column.clone(),
        });
    }
    // Coded columns are stored as their labels, as every other tool reads them.
    let coded: Vec<Expr> = source
        .columns()
        .iter()
        .filter(|spec| codes::labels(spec.kind).is_some())
        .map(|spec| codes::decoded(spec.name))
        .collect();
    let mut out = DataFrame::new_infer_height(columns)?
        .lazy()
        .with_columns(coded)
        .collect()?;
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
    }
    let file = File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
    let mut writer = std::io::BufWriter::new(file);
    if let Err(e) = ParquetWriter::new(&mut writer).finish(&mut out) {
        bail!("cannot write {}: {e}", path.display());
    }
    let file = writer.into_inner().map_err(|e| e.into_error())?;
    file.sync_all()
        .with_context(|| format!("cannot write {}", path.display()))
}

/// The month of a partition file (`…/month=2026-11/part.parquet`); None for the
/// flat file of an older store.
fn partition_month(path: &Path) -> Option<String> {
    let dir = path.parent()?.file_name()?.to_str()?;
    dir.strip_prefix("month=").map(str::to_string)
}

/// The rows of `frame` by the UTC month of their anchor (`none` without one).
fn split_by_month(frame: &DataFrame, source: Source) -> Result<BTreeMap<String, DataFrame>> {
    let anchor = times::millis(frame.column(source.anchor_column())?)?;
    let mut rows: BTreeMap<String, Vec<IdxSize>> = BTreeMap::new();
    let mut last: Option<(i64, String)> = None;
    for (i, ms) in anchor.iter().enumerate() {
        let month = match ms {
            None => "none".to_string(),
            // Rows come mostly in time order: reuse the last month's name.
            Some(ms) => match &last {
                Some((l, name)) if l.div_euclid(86_400_000) == ms.div_euclid(86_400_000) => {
                    name.clone()
                }
                _ => {
                    let name = chrono::DateTime::from_timestamp_millis(ms)
                        .map_or("none".to_string(), |t| t.format("%Y-%m").to_string());
                    last = Some((ms, name.clone()));
                    name
                }
            },
        };
        rows.entry(month).or_default().push(i as IdxSize);
    }
    let mut out = BTreeMap::new();
    for (month, idx) in rows {
        let idx = IdxCa::from_vec("idx".into(), idx);
        out.insert(month, frame.take(&idx)?);
    }
    Ok(out)
}

fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .with_context(|| format!("cannot write {}", dir.display()))
}

/// Syncs a version folder and the folders below it (their entries).
fn sync_tree(dir: &Path) -> Result<()> {
    for entry in std::fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))? {
        let path = entry?.path();
        if path.is_dir() {
            sync_tree(&path)?;
        }
    }
    sync_dir(dir)
}

/// Waits (up to `timeout`) for the store's ingest lock, saying so once on stderr.
fn hold(dir: &Path, timeout: Duration) -> Result<File> {
    let file = lock_file(dir, ".ingest.lock")?;
    let start = Instant::now();
    let mut said = false;
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(file),
            Err(std::fs::TryLockError::WouldBlock) => {
                if start.elapsed() >= timeout {
                    bail!(
                        "another ingest into {} has held it for {} s; try again later or \
                         raise --lock-timeout",
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

/// Removes what interrupted ingests left (versions no CURRENT names, temporary
/// files); returns the live version, the highest version number and what was
/// removed. Called with the ingest lock held.
fn tidy(dir: &Path) -> Result<(PathBuf, u64, Vec<PathBuf>)> {
    let live = current_version(dir)?;
    let mut last = 0u64;
    let mut removed = Vec::new();
    for entry in std::fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let number = name.strip_prefix('v').and_then(|n| n.parse::<u64>().ok());
        if let Some(n) = number {
            last = last.max(n);
            // A version no CURRENT names: what an interrupted ingest left.
            if entry.path() != live {
                removed.push(entry.path());
                std::fs::remove_dir_all(entry.path()).with_context(|| {
                    format!(
                        "cannot remove the unfinished version {}",
                        entry.path().display()
                    )
                })?;
            }
        } else if name.ends_with(".tmp") {
            removed.push(entry.path());
            std::fs::remove_file(entry.path())?;
        }
    }
    Ok((live, last, removed))
}

/// `svcq store vacuum`: waits for any ingest, then removes what interrupted ones
/// left; returns the paths removed.
pub fn vacuum(dir: &Path, timeout: Duration) -> Result<Vec<PathBuf>> {
    if !dir.is_dir() {
        bail!("store {}: no such directory", dir.display());
    }
    let _lock = hold(dir, timeout)?;
    Ok(tidy(dir)?.2)
}
