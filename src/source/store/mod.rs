//! The Parquet store: one file per source, upserted by id so overlapping weekly
//! exports merge (the row from the latest ingest wins).
//!
//! Layout: each ingest writes a new version, a folder `v000001/` holding each
//! source's rows in Hive-style partitions by the month of their cohort anchor
//! (`tickets/month=2026-11/part.parquet`, `month=none` for rows without one), and
//! then names it in `CURRENT` by an atomic rename. Partitions an ingest does not
//! touch are hard links to the previous version's files, so a weekly export
//! rewrites a month or two, not the history.
//! So a crash at any moment leaves the store as it was before or after the
//! ingest; the next ingest removes the unfinished version.
//!
//! Concurrency: an ingest holds `.ingest.lock` for its whole read-merge-write, so
//! ingests run one after another and none overwrites another's rows. Readers
//! resolve `CURRENT` and open the files under a shared hold of `.commit.lock`,
//! which the ingest holds exclusively only to switch `CURRENT` and remove the
//! previous version: readers see one version whole and wait only for that switch.
//! (A store written before versions, with its files at the top, is still read,
//! and the next ingest moves it into a version.)

mod ingest;

use std::collections::BTreeSet;
use std::fs::File;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use polars::prelude::*;
use polars_io::parquet::read::ParquetReader;
use polars_io::parquet::write::KeyValueMetadata;
use serde::Serialize;

use super::load::Keep;
use super::{codes, times, Kind, Source};

pub use ingest::{vacuum, Ingest};

pub const DEFAULT_STORE: &str = ".svcq";
const CURRENT: &str = "CURRENT";
const COMMIT_LOCK: &str = ".commit.lock";

#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
pub struct UpsertStats {
    pub before: u64,
    pub inserted: u64,
    pub updated: u64,
    pub after: u64,
}

/// The flat file of a store written before partitions.
fn flat_file(version: &Path, source: Source) -> PathBuf {
    version.join(format!("{}.parquet", source.name()))
}

/// The partition of `month` (`2026-11`, or `none`) of `source` in a version.
fn partition_file(version: &Path, source: Source, month: &str) -> PathBuf {
    version
        .join(source.name())
        .join(format!("month={month}"))
        .join("part.parquet")
}

/// The files holding `source` in a version, in month order: its partitions, or
/// the flat file of an older store.
fn source_files(version: &Path, source: Source) -> Result<Vec<PathBuf>> {
    let dir = version.join(source.name());
    let mut files = Vec::new();
    match std::fs::read_dir(&dir) {
        Ok(entries) => {
            for entry in entries {
                let path = entry?.path().join("part.parquet");
                if path.is_file() {
                    files.push(path);
                }
            }
            files.sort();
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let flat = flat_file(version, source);
            if flat.is_file() {
                files.push(flat);
            }
        }
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", dir.display())),
    }
    Ok(files)
}

/// Creates the store folder if needed and opens one of its lock files.
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

/// The folder of the live version: the one `CURRENT` names, else the store itself
/// (a store written before versions, or none yet).
fn current_version(dir: &Path) -> Result<PathBuf> {
    match std::fs::read_to_string(dir.join(CURRENT)) {
        Ok(name) => {
            let name = name.trim();
            if name.is_empty() || name.contains(['/', '\\']) || name.starts_with('.') {
                bail!("{}: {CURRENT} names no version ({name:?})", dir.display());
            }
            Ok(dir.join(name))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(dir.to_path_buf()),
        Err(e) => Err(e).with_context(|| format!("cannot read {}", dir.join(CURRENT).display())),
    }
}

/// One source's files in the live version, opened.
pub struct StoredSource {
    pub source: Source,
    /// Where the source is (its folder, or the flat file of an older store).
    pub path: PathBuf,
    pub files: Vec<(PathBuf, File)>,
}

/// Opens every file of the live version at one moment between commits (a source
/// with no file is not in the store).
pub fn open_store(dir: &Path) -> Result<Vec<StoredSource>> {
    // Opened for reading, so a read-only store can be read; a store no versioned
    // ingest has written has no lock file yet, and no writer to wait for.
    let _commit = match File::open(dir.join(COMMIT_LOCK)) {
        Ok(lock) => {
            lock.lock_shared()
                .with_context(|| format!("cannot lock store {}", dir.display()))?;
            Some(lock)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => {
            return Err(e)
                .with_context(|| format!("cannot open {}", dir.join(COMMIT_LOCK).display()))
        }
    };
    let version = current_version(dir)?;
    let mut sources = Vec::new();
    for source in Source::ALL {
        let mut files = Vec::new();
        for path in source_files(&version, source)? {
            let file = File::open(&path)
                .with_context(|| format!("cannot open store file {}", path.display()))?;
            files.push((path, file));
        }
        let path = match files.as_slice() {
            [(flat, _)] if flat.parent() == Some(version.as_path()) => flat.clone(),
            _ => version.join(source.name()),
        };
        sources.push(StoredSource {
            source,
            path,
            files,
        });
    }
    Ok(sources)
}

/// Reads all of a source's files into one frame of canonical columns, its times
/// in four bytes where they allow it ([`times::narrow`]), as the CSV reader holds
/// them: a store's months are read at the memory their export is. A column is
/// absent if it is absent from any month's rows: its metrics have no data rather
/// than counting those rows' nulls.
pub fn read_source_files(stored: &StoredSource, keep: &Keep) -> Result<StoredRows> {
    let mut frames = Vec::with_capacity(stored.files.len());
    let mut absent = BTreeSet::new();
    for (path, file) in &stored.files {
        let mut read = read_store(path, stored.source, file.try_clone()?, keep)?;
        times::narrow_frame(&mut read.frame, stored.source)?;
        frames.push(read.frame);
        absent.extend(read.absent);
    }
    Ok(StoredRows {
        frame: stack(frames)?,
        absent,
    })
}

/// The frames of one source's files, one below the other. The columns are made
/// whole one at a time, each one's parts dropped as soon as it is: the stack
/// costs one column more than the frames, not a second copy of them all.
fn stack(frames: Vec<DataFrame>) -> Result<DataFrame> {
    let mut frames = frames;
    if frames.len() <= 1 {
        return frames.pop().context("a stored source has a file");
    }
    let height = frames.iter().map(DataFrame::height).sum();
    let names = frames[0].get_column_names_owned();
    let mut columns = Vec::with_capacity(names.len());
    for name in names {
        let mut parts = frames
            .iter_mut()
            .map(|f| f.drop_in_place(&name))
            .collect::<PolarsResult<Vec<_>>>()?;
        // A time narrowed in one month's file and not another's: milliseconds.
        if parts.iter().any(|p| p.dtype() != parts[0].dtype()) {
            let times = |p: &Column| matches!(p.dtype(), DataType::Int32 | DataType::Int64);
            if !parts.iter().all(times) {
                bail!("the store's month files disagree on the type of column `{name}`");
            }
            parts = parts
                .iter()
                .map(|p| Ok(times::millis(p)?.with_name(name.clone()).into_column()))
                .collect::<PolarsResult<_>>()?;
        }
        let mut parts = parts.into_iter();
        let mut whole = parts.next().context("a stored source has a file")?;
        for part in parts {
            whole.append_owned(part)?;
        }
        columns.push(whole.rechunk());
    }
    Ok(DataFrame::new(height, columns)?)
}

/// A store file's rows, and the columns the exports they came from did not have
/// (held as nulls).
pub struct StoredRows {
    pub frame: DataFrame,
    pub absent: BTreeSet<String>,
}

/// The key-value entry of a store file's Parquet footer naming its absent
/// columns, comma-separated.
const ABSENT_KEY: &str = "svcq:absent_columns";

/// Reads a source's store file into canonical columns.
pub fn read_store(path: &Path, source: Source, file: File, keep: &Keep) -> Result<StoredRows> {
    let unreadable =
        |e: PolarsError| anyhow::anyhow!("{}: not a readable Parquet file: {e}", path.display());
    let mut reader = ParquetReader::new(file);
    let stored = reader.schema().map_err(unreadable)?;
    let absent = absent_from(&mut reader, source).map_err(unreadable)?;
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
        .map_err(unreadable)?;
    let mut columns = Vec::new();
    for spec in kept {
        let wanted = spec.dtype();
        let column = match frame.column(spec.name) {
            Ok(column) if codes::labels(spec.kind).is_some() => {
                encode_labels(path, spec.name, spec.kind, column)?
            }
            Ok(column) if codes::is_open(spec.name) => codes::open_encoded(column)?,
            // Strict: a value the type cannot hold is an error, never a null.
            Ok(column) => column.strict_cast(&wanted).map_err(|e| {
                anyhow::anyhow!(
                    "{}: column `{}` does not fit {wanted}: {e}",
                    path.display(),
                    spec.name
                )
            })?,
            // An optional column added to the contract after this store was
            // written: absent (`absent_from`).
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
    Ok(StoredRows {
        frame: DataFrame::new(frame.height(), columns)?,
        absent,
    })
}

/// The columns of a store file that are absent: those its footer names (its
/// rows' exports lacked them), and the optional columns it does not hold at all
/// (added to the contract after it was written).
fn absent_from(reader: &mut ParquetReader<File>, source: Source) -> PolarsResult<BTreeSet<String>> {
    let schema = reader.schema()?;
    let mut absent: BTreeSet<String> = reader
        .get_metadata()?
        .key_value_metadata()
        .iter()
        .flatten()
        .filter(|kv| kv.key == ABSENT_KEY)
        .filter_map(|kv| kv.value.as_deref())
        .flat_map(|names| names.split(','))
        .filter(|name| !name.is_empty())
        .map(str::to_string)
        .collect();
    let unwritten = source
        .columns()
        .iter()
        .filter(|spec| !spec.in_header && !schema.contains(spec.name));
    absent.extend(unwritten.map(|spec| spec.name.to_string()));
    Ok(absent)
}

/// The columns absent from any of a stored source's files, from their footers
/// and schemas only: what an engine reading the files by path must treat as
/// missing, as svcq's own reader does.
pub fn absent_columns(stored: &StoredSource) -> Result<BTreeSet<String>> {
    let mut absent = BTreeSet::new();
    for (path, file) in &stored.files {
        let mut reader = ParquetReader::new(file.try_clone()?);
        let file_absent = absent_from(&mut reader, stored.source)
            .map_err(|e| anyhow::anyhow!("{}: not a readable Parquet file: {e}", path.display()))?;
        absent.extend(file_absent);
    }
    Ok(absent)
}

/// The footer entry that names `absent` columns in a store file (none if none).
pub(crate) fn absent_metadata(absent: &BTreeSet<String>) -> Option<KeyValueMetadata> {
    (!absent.is_empty()).then(|| {
        let names: Vec<&str> = absent.iter().map(String::as_str).collect();
        KeyValueMetadata::from_static(vec![(ABSENT_KEY.to_string(), names.join(","))])
    })
}

/// A stored column of labels as its codes; a label the list does not hold (a
/// store edited by hand) is an error naming it, never a null.
fn encode_labels(path: &Path, name: &str, kind: Kind, column: &Column) -> Result<Column> {
    let labels = codes::labels(kind).expect("a coded kind");
    let text = column.cast(&DataType::String)?;
    let frame = DataFrame::new(text.len(), vec![text])?;
    let coded = frame
        .clone()
        .lazy()
        .select([codes::encoded(name, labels)])
        .collect()?;
    let coded = coded.column(name)?;
    if coded.null_count() != frame.column(name)?.null_count() {
        let unknown = frame
            .column(name)?
            .str()?
            .iter()
            .zip(coded.i8()?.iter())
            .find_map(|(text, code)| text.filter(|_| code.is_none()))
            .unwrap_or_default()
            .to_string();
        bail!(
            "{}: column `{name}` holds {unknown:?}, not one of {}",
            path.display(),
            labels.join(", ")
        );
    }
    Ok(coded.clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use polars_io::parquet::write::ParquetWriter;

    /// A one-ticket store file written as stores were before counts were 32-bit.
    fn read_old_store(priority: &str, reopens: i64) -> Result<DataFrame> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("tickets.parquet");
        let mut frame = df!(
            "ticket_id" => ["T1"],
            "created_at" => [1_700_000_000_000i64],
            "channel" => ["chat"],
            "priority" => [priority],
            "reopens" => [reopens],
            "agent_replies" => [1i64],
        )?;
        ParquetWriter::new(File::create(&path)?).finish(&mut frame)?;
        Ok(read_store(&path, Source::Tickets, File::open(&path)?, &Keep::All)?.frame)
    }

    /// The optional columns a store file does not hold are absent, as are those
    /// its footer names; the columns it holds and its footer does not name are not.
    #[test]
    fn a_store_files_absent_columns_are_its_unwritten_and_its_named_ones() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tickets.parquet");
        let mut frame = df!(
            "ticket_id" => ["T1"],
            "created_at" => [1_700_000_000_000i64],
            "resolved_at" => [None::<i64>],
            "reopens" => [None::<i64>],
            "channel" => ["chat"],
            "priority" => ["normal"],
        )
        .unwrap();
        let named = BTreeSet::from(["reopens".to_string()]);
        ParquetWriter::new(File::create(&path).unwrap())
            .with_key_value_metadata(absent_metadata(&named))
            .finish(&mut frame)
            .unwrap();
        let read = read_store(
            &path,
            Source::Tickets,
            File::open(&path).unwrap(),
            &Keep::All,
        );
        let absent = read.unwrap().absent;
        for column in ["reopens", "first_response_at", "agent_replies"] {
            assert!(absent.contains(column), "{column}: {absent:?}");
        }
        for column in ["resolved_at", "channel", "ticket_id"] {
            assert!(!absent.contains(column), "{column}: {absent:?}");
        }
    }

    /// Its counts are read in today's type and its priorities as codes; a count
    /// too large for the type, or a priority not in the list, is an error naming
    /// the column, never a null.
    #[test]
    fn an_old_store_reads_in_todays_types() {
        let frame = read_old_store("normal", 3).unwrap();
        let reopens = frame.column("reopens").unwrap();
        assert_eq!(reopens.dtype(), &DataType::UInt32);
        assert_eq!(reopens.u32().unwrap().get(0), Some(3));
        assert_eq!(
            frame.column("priority").unwrap().i8().unwrap().get(0),
            Some(2)
        );
        let err = read_old_store("normal", 1 << 32).unwrap_err();
        assert!(
            format!("{err:#}").contains("column `reopens` does not fit u32"),
            "{err:#}"
        );
        let err = read_old_store("medium", 3).unwrap_err();
        assert!(
            format!("{err:#}").contains("column `priority` holds \"medium\", not one of urgent"),
            "{err:#}"
        );
    }
}
