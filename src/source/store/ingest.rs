//! One ingest into the store: a new version written aside, then named live.

use std::collections::HashSet;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use polars::prelude::*;

use super::{current_version, file_name, lock_file, read_store, UpsertStats, COMMIT_LOCK, CURRENT};
use crate::source::load::Keep;
use crate::source::{Kind, Source};

/// An ingest in progress: the store held against other ingests, the live version
/// it merges into and the new one it writes. Dropped before [`Ingest::commit`],
/// it removes what it wrote.
pub struct Ingest {
    dir: PathBuf,
    _lock: File,
    live: PathBuf,
    next: PathBuf,
    committed: bool,
}

impl Ingest {
    /// Waits (up to `timeout`) until no other ingest is writing into `dir`, saying
    /// so once on stderr; removes what an interrupted ingest left; starts a version.
    pub fn begin(dir: &Path, timeout: Duration) -> Result<Ingest> {
        let file = lock_file(dir, ".ingest.lock")?;
        let start = Instant::now();
        let mut said = false;
        loop {
            match file.try_lock() {
                Ok(()) => break,
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
        let live = current_version(dir)?;
        let mut last = 0u64;
        for entry in
            std::fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))?
        {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let number = name.strip_prefix('v').and_then(|n| n.parse::<u64>().ok());
            if let Some(n) = number {
                last = last.max(n);
                // A version no CURRENT names: what an interrupted ingest left.
                if entry.path() != live {
                    std::fs::remove_dir_all(entry.path()).with_context(|| {
                        format!(
                            "cannot remove the unfinished version {}",
                            entry.path().display()
                        )
                    })?;
                }
            } else if name.ends_with(".tmp") {
                std::fs::remove_file(entry.path())?;
            }
        }
        let next = dir.join(format!("v{:06}", last + 1));
        std::fs::create_dir(&next).with_context(|| format!("cannot create {}", next.display()))?;
        Ok(Ingest {
            dir: dir.to_path_buf(),
            _lock: file,
            live,
            next,
            committed: false,
        })
    }

    /// Merges `incoming` into `source`: rows whose id is in `incoming` are
    /// replaced, new ids are appended; written into the new version.
    pub fn upsert(&self, source: Source, incoming: &DataFrame) -> Result<UpsertStats> {
        let path = self.live.join(file_name(source));
        let existing = match File::open(&path) {
            Ok(file) => Some(read_store(&path, source, file, &Keep::All)?),
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
        write_parquet(&self.next.join(file_name(source)), source, &merged)?;
        Ok(stats)
    }

    /// Makes the new version live: the sources this ingest did not touch are
    /// linked from the live version, then `CURRENT` is switched by one rename and
    /// the previous version removed.
    pub fn commit(mut self) -> Result<()> {
        for source in Source::ALL {
            let (from, to) = (
                self.live.join(file_name(source)),
                self.next.join(file_name(source)),
            );
            if from.exists() && !to.exists() {
                std::fs::hard_link(&from, &to)
                    .or_else(|_| std::fs::copy(&from, &to).map(|_| ()))
                    .with_context(|| format!("cannot carry {} over", from.display()))?;
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
        std::fs::rename(&tmp, self.dir.join(CURRENT))
            .with_context(|| format!("cannot write {}", self.dir.join(CURRENT).display()))?;
        self.committed = true;
        // The previous version (or the files of a store written before versions).
        if self.live == self.dir {
            for source in Source::ALL {
                let _ = std::fs::remove_file(self.dir.join(file_name(source)));
            }
        } else {
            let _ = std::fs::remove_dir_all(&self.live);
        }
        Ok(())
    }

    /// Where `source` is once committed.
    pub fn file(&self, source: Source) -> PathBuf {
        self.next.join(file_name(source))
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
            Kind::Timestamp(_) => column.cast(&DataType::Datetime(
                TimeUnit::Milliseconds,
                Some(TimeZone::UTC),
            ))?,
            _ => column.clone(),
        });
    }
    let mut out = DataFrame::new_infer_height(columns)?;
    let file = File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
    let mut writer = std::io::BufWriter::new(file);
    if let Err(e) = ParquetWriter::new(&mut writer).finish(&mut out) {
        bail!("cannot write {}: {e}", path.display());
    }
    let file = writer.into_inner().map_err(|e| e.into_error())?;
    file.sync_all()
        .with_context(|| format!("cannot write {}", path.display()))
}
