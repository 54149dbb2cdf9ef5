//! One ingest into the store: a new version written aside, then named live.
//! Each export is written aside by month as it is read ([`Spill`]) and merged
//! into the version a month at a time once it is read whole, beside the next
//! export's read: an ingest holds chunks of rows, never an export.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{sync_channel, SyncSender};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use polars::prelude::*;
use polars_io::parquet::read::ParquetReader;
use polars_io::parquet::write::{ParquetCompression, ParquetWriter};

use super::{
    absent_metadata, current_version, flat_file, lock_file, partition_file, read_store,
    source_files, StoredRows, UpsertStats, COMMIT_LOCK, CURRENT,
};
use crate::source::load::{Keep, Loaded, Streamed};
use crate::source::read::CHUNK_ROWS;
use crate::source::seen_ids::SeenIds;
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
    upserted: BTreeMap<Source, UpsertStats>,
    /// The export being read, written aside as it comes, `chunk_rows` at a time.
    spill: Option<Spill>,
    /// The merge of the export read before, beside the next one's read.
    merging: Option<(Source, JoinHandle<Result<UpsertStats>>)>,
    chunk_rows: usize,
    committed: bool,
}

/// An ingest takes each export as it is read: its rows spilled a chunk at a
/// time, then merged into the store a month at a time once the export is read
/// whole (and so known to be readable).
impl Streamed for Ingest {
    fn chunk_rows(&self) -> usize {
        self.chunk_rows
    }

    fn rows(&mut self, source: Source, chunk: DataFrame) -> Result<()> {
        if self.spill.is_none() {
            // Only rows already stored can be replaced: a first ingest needs no ids.
            let with_ids = !source_files(&self.live, source)?.is_empty();
            self.spill = Some(Spill::start(self.spill_dir(source), source, with_ids));
        }
        let spill = self.spill.as_mut().expect("started above");
        if spill.chunks.as_ref().is_some_and(|c| c.send(chunk).is_ok()) {
            return Ok(());
        }
        // The writer stopped: its error says why.
        let spill = self.spill.take().expect("started above");
        Err(spill
            .finish()
            .err()
            .unwrap_or_else(|| anyhow::anyhow!("the store's writer stopped")))
    }

    fn read(&mut self, source: Source, loaded: &mut Loaded) -> Result<()> {
        let spilled = match self.spill.take() {
            Some(spill) => spill.finish()?,
            None => Spilled::default(),
        };
        // One merge at a time, each beside the next export's read.
        self.wait_for_merge()?;
        let (live, next, spill_dir) =
            (self.live.clone(), self.next.clone(), self.spill_dir(source));
        let absent = loaded.stats.absent_columns.clone();
        self.touched.push(source);
        let merging = std::thread::spawn(move || {
            let stats = upsert(&live, &next, source, spilled, &absent)?;
            if spill_dir.exists() {
                std::fs::remove_dir_all(&spill_dir)
                    .with_context(|| format!("cannot remove {}", spill_dir.display()))?;
            }
            Ok(stats)
        });
        self.merging = Some((source, merging));
        Ok(())
    }

    fn done(&mut self) -> Result<()> {
        self.wait_for_merge()
    }
}

/// An export's rows on their way into the store, written aside as they are
/// read, on a thread of their own while the reader reads on: each chunk split
/// by month into `month=…/<n>.parquet` files, uncompressed and in the form
/// they are merged in, so no month is held whole before it is written.
struct Spill {
    /// Where the reader sends each chunk (one waits while another is written).
    chunks: Option<SyncSender<DataFrame>>,
    writer: JoinHandle<Result<Spilled>>,
}

/// What an export's spill holds.
#[derive(Default)]
struct Spilled {
    /// Each month's files, in the export's order.
    months: BTreeMap<String, Vec<PathBuf>>,
    /// The export's ids, when the store holds rows they may replace.
    ids: Option<SeenIds>,
    rows: u64,
}

impl Spill {
    fn start(dir: PathBuf, source: Source, with_ids: bool) -> Spill {
        let (chunks, received) = sync_channel::<DataFrame>(1);
        let writer = std::thread::spawn(move || -> Result<Spilled> {
            let mut spilled = Spilled {
                // Looked up once for each stored row.
                ids: with_ids.then(SeenIds::hashed),
                ..Spilled::default()
            };
            for mut chunk in received {
                if let Some(ids) = &mut spilled.ids {
                    for id in chunk.column(source.id_column())?.str()?.iter().flatten() {
                        ids.insert(id);
                    }
                }
                spilled.rows += chunk.height() as u64;
                // The store's times are milliseconds; a chunk's may be seconds.
                times::widen_frame(&mut chunk, source)?;
                for (month, rows) in month_rows(&chunk, source)? {
                    let path = dir.join(format!("month={month}"));
                    let parts = spilled.months.entry(month).or_default();
                    let path = path.join(format!("{}.parquet", parts.len()));
                    write_spilled(&path, &mut chunk.take(&rows)?)?;
                    parts.push(path);
                }
            }
            Ok(spilled)
        });
        Spill {
            chunks: Some(chunks),
            writer,
        }
    }

    /// Waits for the last chunk to be written.
    fn finish(mut self) -> Result<Spilled> {
        drop(self.chunks.take());
        match self.writer.join() {
            Ok(spilled) => spilled,
            Err(panic) => std::panic::resume_unwind(panic),
        }
    }
}

/// A spilled part of an export: uncompressed, unsynced (it is read back within
/// the ingest), the columns as they are held.
fn write_spilled(path: &Path, frame: &mut DataFrame) -> Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
    }
    let file = File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
    let mut writer = std::io::BufWriter::new(file);
    if let Err(e) = ParquetWriter::new(&mut writer)
        .with_compression(ParquetCompression::Uncompressed)
        .finish(frame)
    {
        bail!("cannot write {}: {e}", path.display());
    }
    writer
        .into_inner()
        .map_err(|e| e.into_error())
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

/// A spilled part, removed once read: its pages, most not yet written back,
/// need never reach the disk.
fn take_spilled(path: &Path) -> Result<DataFrame> {
    let file = File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    let rows = ParquetReader::new(file)
        .finish()
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
    std::fs::remove_file(path).with_context(|| format!("cannot remove {}", path.display()))?;
    Ok(rows)
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
            upserted: BTreeMap::new(),
            spill: None,
            merging: None,
            chunk_rows: CHUNK_ROWS,
            committed: false,
        })
    }

    /// Takes the exports in chunks of `rows` rows rather than [`CHUNK_ROWS`]
    /// (the store written is the same: tests take a few rows at a time).
    pub fn with_chunk_rows(mut self, rows: usize) -> Ingest {
        self.chunk_rows = rows.max(1);
        self
    }

    /// The upsert of each source merged so far.
    pub fn upserted(&self, source: Source) -> Option<UpsertStats> {
        self.upserted.get(&source).copied()
    }

    /// Waits for the merge of the export read before, if any.
    fn wait_for_merge(&mut self) -> Result<()> {
        if let Some((source, merging)) = self.merging.take() {
            let stats = match merging.join() {
                Ok(stats) => stats?,
                Err(panic) => std::panic::resume_unwind(panic),
            };
            self.upserted.insert(source, stats);
        }
        Ok(())
    }

    /// Makes the new version live: the sources this ingest did not touch are
    /// linked from the live version, then `CURRENT` is switched by one rename and
    /// the previous version removed.
    pub fn commit(mut self) -> Result<()> {
        self.wait_for_merge()?;
        // Every export read must be merged whole: never a version with a
        // source half written.
        if self.spill.is_some() || self.touched.iter().any(|s| !self.upserted.contains_key(s)) {
            bail!(
                "the ingest into {} did not merge every export it read",
                self.dir.display()
            );
        }
        for source in Source::ALL
            .into_iter()
            .filter(|s| !self.touched.contains(s))
        {
            for from in source_files(&self.live, source)? {
                let to = self.next.join(from.strip_prefix(&self.live)?);
                carry(&from, &to)?;
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

    /// Where `source`'s export is spilled while it is read.
    fn spill_dir(&self, source: Source) -> PathBuf {
        self.next.join(format!(".spill-{}", source.name()))
    }

    /// Where `source` is once committed.
    pub fn path(&self, source: Source) -> PathBuf {
        self.next.join(source.name())
    }
}

impl Drop for Ingest {
    fn drop(&mut self) {
        // Nothing may write into the new version while it is removed.
        if let Some(mut spill) = self.spill.take() {
            drop(spill.chunks.take());
            let _ = spill.writer.join();
        }
        if let Some((_, merging)) = self.merging.take() {
            let _ = merging.join();
        }
        if !self.committed {
            let _ = std::fs::remove_dir_all(&self.next);
        }
    }
}

/// Merges what was spilled of `source`'s export into the version `next`, from
/// the `live` one: rows whose id the
/// export has are replaced (wherever their month was), new ids are appended.
/// Only the months the export has, and those holding one of its ids, are
/// rewritten; the others are linked into the new version as they are.
/// `absent` are the columns the export did not have: each month file written
/// names those of its rows' exports, so a report over the store says they have
/// no data.
fn upsert(
    live: &Path,
    next: &Path,
    source: Source,
    incoming: Spilled,
    absent: &[String],
) -> Result<UpsertStats> {
    let id = source.id_column();
    let live = source_files(live, source)?;
    let replaced = |v: &str| incoming.ids.as_ref().is_some_and(|ids| ids.contains(v));
    // The live month files to rewrite, and the rows of an older store's flat
    // file by month.
    let mut stored: BTreeMap<String, PathBuf> = BTreeMap::new();
    let mut flat: BTreeMap<String, Option<(DataFrame, BTreeSet<String>)>> = BTreeMap::new();
    let (mut before, mut kept) = (0u64, 0u64);
    for path in live {
        match partition_month(&path) {
            Some(m) if incoming.months.contains_key(&m) => {
                stored.insert(m, path);
            }
            // A month the export does not touch is carried over, unless one of
            // its rows is replaced (its anchor moved to another month).
            Some(m) => {
                let ids = read_store(
                    &path,
                    source,
                    File::open(&path)?,
                    &Keep::columns([(source, [id.to_string()].into())].into()),
                )?
                .frame;
                let hit = ids.column(id)?.str()?.iter().flatten().any(replaced);
                if hit {
                    stored.insert(m, path);
                } else {
                    before += ids.height() as u64;
                    kept += ids.height() as u64;
                    carry(&path, &partition_file(next, source, &m))?;
                }
            }
            None => {
                let file = kept_rows(&path, source, &replaced)?;
                before += file.held;
                kept += file.rows.height() as u64;
                for (m, part) in split_by_month(&file.rows, source)? {
                    merge(flat.entry(m).or_default(), part, &file.absent)?;
                }
            }
        }
    }
    let absent: BTreeSet<String> = absent.iter().cloned().collect();
    let months_to_write: BTreeSet<String> = incoming
        .months
        .keys()
        .chain(stored.keys())
        .chain(flat.keys())
        .cloned()
        .collect();
    // One month at a time, a batch of its rows at a time: what is kept of
    // the stored rows, then the export's parts.
    for m in &months_to_write {
        let mut batches = Vec::new();
        let mut lacking = BTreeSet::new();
        if let Some((rows, absent)) = flat.remove(m).flatten() {
            batches.push(rows);
            lacking.extend(absent);
        }
        if let Some(path) = stored.get(m) {
            let file = kept_rows(path, source, &replaced)?;
            before += file.held;
            kept += file.rows.height() as u64;
            if file.rows.height() > 0 {
                batches.push(file.rows);
                lacking.extend(file.absent);
            }
        }
        let parts = incoming.months.get(m).map_or(&[][..], Vec::as_slice);
        if !parts.is_empty() {
            lacking.extend(absent.iter().cloned());
        }
        // A month with no row left (each replaced, or moved to another month)
        // is not written.
        if batches.is_empty() && parts.is_empty() {
            continue;
        }
        let batches = batches
            .into_iter()
            .map(Ok)
            .chain(parts.iter().map(|part| take_spilled(part)));
        write_month(&partition_file(next, source, m), source, &lacking, batches)?;
    }
    let updated = before - kept;
    Ok(UpsertStats {
        before,
        inserted: incoming.rows - updated,
        updated,
        after: kept + incoming.rows,
    })
}

/// Links a file of the live version into the new one (a copy where links
/// cannot be made).
fn carry(from: &Path, to: &Path) -> Result<()> {
    if let Some(parent) = to.parent() {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
    }
    std::fs::hard_link(from, to)
        .or_else(|_| std::fs::copy(from, to).map(|_| ()))
        .with_context(|| format!("cannot carry {} over", from.display()))
}

/// Adds rows to a month's rows to be written, with the columns their export
/// lacked.
fn merge(
    month: &mut Option<(DataFrame, BTreeSet<String>)>,
    rows: DataFrame,
    absent: &BTreeSet<String>,
) -> Result<()> {
    match month {
        Some((frame, lacking)) => {
            frame.vstack_mut(&rows)?;
            lacking.extend(absent.iter().cloned());
        }
        None => *month = Some((rows, absent.clone())),
    }
    Ok(())
}

/// Writes a month's file from its rows in batches, one batch held at a time, in
/// row groups of at most [`CHUNK_ROWS`] rows; synced before it is named live.
fn write_month(
    path: &Path,
    source: Source,
    absent: &BTreeSet<String>,
    batches: impl Iterator<Item = Result<DataFrame>>,
) -> Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
    }
    let file = File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
    let mut out = std::io::BufWriter::new(file);
    let written = (|| -> Result<()> {
        // The writer takes the file at the first row group (its schema).
        let mut unopened = Some(&mut out);
        let mut writer = None;
        let mut write = |group: &DataFrame| -> Result<()> {
            let mut group = store_form(group, source)?;
            // A row group is written from whole chunks.
            group.rechunk_mut();
            let (batched, schema) = match &mut writer {
                Some((batched, schema)) => (batched, schema),
                None => {
                    let schema = group.schema().clone();
                    let batched = ParquetWriter::new(unopened.take().expect("opened once"))
                        .with_key_value_metadata(absent_metadata(absent))
                        .batched(&schema)?;
                    let (batched, schema) = writer.insert((batched, schema));
                    (batched, schema)
                }
            };
            // The file's schema is its first row group's: every group must match.
            if group.schema() != schema {
                bail!(
                    "rows of two forms in one month: {schema:?} and {:?}",
                    group.schema()
                );
            }
            batched.write_batch(&group)?;
            Ok(())
        };
        // Rows gathered into row groups of CHUNK_ROWS, whatever the batches'
        // sizes (a month's part of a chunk may be a few rows).
        let mut pending: Option<DataFrame> = None;
        for batch in batches {
            let batch = batch?;
            for offset in (0..batch.height()).step_by(CHUNK_ROWS) {
                let rows = batch.slice(offset as i64, CHUNK_ROWS);
                let gathered = match pending.as_mut() {
                    Some(gathered) => {
                        gathered.vstack_mut(&rows)?;
                        gathered
                    }
                    None => pending.insert(rows),
                };
                if gathered.height() >= CHUNK_ROWS {
                    let rest = gathered.slice(CHUNK_ROWS as i64, usize::MAX);
                    write(&gathered.slice(0, CHUNK_ROWS))?;
                    pending = (rest.height() > 0).then_some(rest);
                }
            }
        }
        if let Some(rest) = pending {
            write(&rest)?;
        }
        if let Some((batched, _)) = writer {
            batched.finish()?;
        }
        Ok(())
    })();
    written.with_context(|| format!("cannot write {}", path.display()))?;
    let file = out.into_inner().map_err(|e| e.into_error())?;
    file.sync_all()
        .with_context(|| format!("cannot write {}", path.display()))
}

/// Rows as the store holds them, so other tools read them as they are: times
/// as datetimes of UTC milliseconds (written without a zone, as every store
/// file has held them), coded columns as their labels.
fn store_form(frame: &DataFrame, source: Source) -> Result<DataFrame> {
    let mut columns = Vec::new();
    for spec in source.columns() {
        let column = frame.column(spec.name)?;
        columns.push(match spec.kind {
            Kind::Timestamp(_) => times::millis(column)?
                .into_column()
                .cast(&DataType::Datetime(TimeUnit::Milliseconds, None))?,
            _ => column.clone(),
        });
    }
    codes::decode(DataFrame::new_infer_height(columns)?)
}

/// The month of a partition file (`…/month=2026-11/part.parquet`); None for the
/// flat file of an older store.
fn partition_month(path: &Path) -> Option<String> {
    let dir = path.parent()?.file_name()?.to_str()?;
    dir.strip_prefix("month=").map(str::to_string)
}

/// What is kept of a stored file: the rows whose id the export does not hold.
struct Kept {
    /// The rows the file held.
    held: u64,
    rows: DataFrame,
    /// The columns the file names absent.
    absent: BTreeSet<String>,
}

fn kept_rows(path: &Path, source: Source, replaced: &dyn Fn(&str) -> bool) -> Result<Kept> {
    let StoredRows { frame, absent } = read_store(path, source, File::open(path)?, &Keep::All)?;
    let mask: BooleanChunked = frame
        .column(source.id_column())?
        .str()?
        .iter()
        .map(|v| Some(!v.is_some_and(replaced)))
        .collect();
    Ok(Kept {
        held: frame.height() as u64,
        rows: frame.filter(&mask)?,
        absent,
    })
}

/// The rows of `frame` by the UTC month of their anchor (`none` without one).
fn split_by_month(frame: &DataFrame, source: Source) -> Result<BTreeMap<String, DataFrame>> {
    let mut out = BTreeMap::new();
    for (month, idx) in month_rows(frame, source)? {
        out.insert(month, frame.take(&idx)?);
    }
    Ok(out)
}

/// The row numbers of `frame` by the UTC month of their anchor (`none` without
/// one): the rows are copied a month at a time, when that month is written.
fn month_rows(frame: &DataFrame, source: Source) -> Result<BTreeMap<String, IdxCa>> {
    let anchor = times::Times::of(frame.column(source.anchor_column())?)?;
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
    Ok(rows
        .into_iter()
        .map(|(month, idx)| (month, IdxCa::from_vec("idx".into(), idx)))
        .collect())
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
