//! Where the data comes from: `--data DIR`, per-source files or the store. Every
//! command that reads data goes through [`load`], so all read the same way.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use anyhow::{bail, Result};
use chrono_tz::Tz;
use polars::prelude::{DataFrame, PlHashMap, Series};
use serde::Serialize;

use super::mapping::{Mapping, Mappings};
use super::read::{read_streamed, read_unfinished, Chunks, InputStats, Unfinished, CHUNK_ROWS};
use super::records::expand;
use super::rejects::{write_rejects, Reject};
use super::store::{open_store, read_source_files};
use super::Source;

/// Where the CSV exports are: a directory of `<source>.csv` files and/or one file
/// per source (which wins over the directory's).
#[derive(Debug, Clone, Default)]
pub struct CsvInputs {
    pub data: Option<PathBuf>,
    pub tickets: Option<PathBuf>,
    pub shipments: Option<PathBuf>,
    pub reviews: Option<PathBuf>,
    /// Where rejected rows are written, as `<source>.rejects.csv` (None: not written).
    pub rejects: Option<PathBuf>,
    /// Sources the command has no use for: not read, listed as skipped.
    pub unused: Vec<Source>,
    /// How many rejected rows of each source the dataset keeps once read
    /// (`validate` shows a few): the others are in the rejects file when it is
    /// written, their count and reasons in the stats. An export with many bad
    /// rows would otherwise hold every one to the end of the run.
    pub shown_rejects: usize,
}

impl CsvInputs {
    fn explicit(&self, source: Source) -> Option<&PathBuf> {
        match source {
            Source::Tickets => self.tickets.as_ref(),
            Source::Shipments => self.shipments.as_ref(),
            Source::Reviews => self.reviews.as_ref(),
        }
    }
}

/// Which columns a reader keeps in memory. Every column is validated either way;
/// keeping only what a command uses is what keeps peak memory below the input size.
#[derive(Debug, Clone)]
pub enum Keep {
    /// Every canonical column (ingest writes them all to the store).
    All,
    /// These columns of each source (the engine says which its metrics read),
    /// and a text kept only as what it mentions, when given.
    Only {
        columns: BTreeMap<Source, BTreeSet<String>>,
        mentions: Option<Arc<TextMentions>>,
        links: Option<Arc<LinkCodes>>,
    },
    /// None: validation only counts.
    Nothing,
}

impl Keep {
    /// These columns of each source.
    pub fn columns(columns: BTreeMap<Source, BTreeSet<String>>) -> Keep {
        Keep::Only {
            columns,
            mentions: None,
            links: None,
        }
    }

    pub fn keeps(&self, source: Source, column: &str) -> bool {
        match self {
            Keep::All => true,
            Keep::Only { columns, .. } => columns.get(&source).is_some_and(|c| c.contains(column)),
            Keep::Nothing => false,
        }
    }

    /// The text column of `source` a reader keeps as what it mentions.
    pub fn mentions(&self, source: Source) -> Option<&Arc<TextMentions>> {
        match self {
            Keep::Only {
                mentions: Some(m), ..
            } if m.source == source && self.keeps(source, m.column) => Some(m),
            _ => None,
        }
    }

    /// The codes `source`'s link columns are kept as, once they are given.
    pub fn link_codes(&self, source: Source) -> Option<&Arc<LinkCodes>> {
        match self {
            Keep::Only { links: Some(l), .. } if l.source == source => Some(l),
            _ => None,
        }
    }
}

/// The text ids a link column is coded by: a value the map holds reads as its
/// code, any other as null.
pub type LinkMap = PlHashMap<Box<str>, u32>;

/// Each link column's map.
pub type Codes = BTreeMap<&'static str, Arc<LinkMap>>;

/// Link columns a reader keeps as 4-byte codes instead of their text, with codes
/// the command gives once an earlier source is read: the follow-up links, where
/// the reviews decide which ticket ids and orders matter
/// ([`crate::engine::Reducer`]). A UUID held as text takes 52 bytes a row while
/// its file is read; its code, 4. Until the codes are given (no reviews, or a
/// plan that reads the tickets first) the columns are read as text.
pub struct LinkCodes {
    pub source: Source,
    codes: Mutex<Option<Arc<Codes>>>,
}

impl LinkCodes {
    pub fn new(source: Source) -> LinkCodes {
        LinkCodes {
            source,
            codes: Mutex::new(None),
        }
    }

    /// Gives the codes: the columns of every later read of the source hold them.
    pub fn give(&self, codes: Codes) {
        *self.lock() = Some(Arc::new(codes));
    }

    /// The codes, when given.
    pub fn get(&self) -> Option<Arc<Codes>> {
        self.lock().clone()
    }

    /// The codes, no longer given to later reads: their maps are freed once the
    /// reads holding them are done.
    pub fn take(&self) -> Option<Arc<Codes>> {
        self.lock().take()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Arc<Codes>>> {
        self.codes.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl std::fmt::Debug for LinkCodes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LinkCodes")
            .field("source", &self.source)
            .field("given", &self.lock().is_some())
            .finish()
    }
}

/// A text column a reader keeps as the mask of what each text mentions, found
/// as the row is read, instead of as the text: a byte a row instead of the
/// text, which is most of a review export's bytes. Only rows whose `gate`
/// integer column is at most its bound are matched (the engine's negative
/// reviews: no other row's mentions are counted).
///
/// The column read is `Int8`: null where there is no text, [`NOT_GATED`]
/// where the row is not matched, else the mask (bit i: aspect i; at most 7).
pub struct TextMentions {
    pub source: Source,
    pub column: &'static str,
    pub gate: (&'static str, i64),
    pub mask: Box<dyn Fn(&str) -> u8 + Send + Sync>,
}

/// A [`TextMentions`] value: the row has a text, but is not matched.
pub const NOT_GATED: i8 = -1;

impl std::fmt::Debug for TextMentions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TextMentions")
            .field("source", &self.source)
            .field("column", &self.column)
            .field("gate", &self.gate)
            .finish_non_exhaustive()
    }
}

/// What was done with one source.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum InputEntry {
    Read(InputStats),
    Skipped { skipped: String },
}

/// One source's accepted rows, ready for the engine.
pub struct Loaded {
    pub frame: DataFrame,
    pub stats: InputStats,
    pub rejects: Vec<Reject>,
}

pub struct Dataset {
    pub tz: Tz,
    pub sources: BTreeMap<Source, Loaded>,
    pub skipped: BTreeMap<Source, String>,
}

impl Dataset {
    pub fn get(&self, source: Source) -> Option<&DataFrame> {
        self.sources.get(&source).map(|l| &l.frame)
    }

    /// The `inputs` object of the JSON contract, one entry per source.
    pub fn entries(&self) -> BTreeMap<&'static str, InputEntry> {
        Source::ALL
            .into_iter()
            .filter_map(|s| {
                let entry = match (self.sources.get(&s), self.skipped.get(&s)) {
                    (Some(l), _) => InputEntry::Read(l.stats.clone()),
                    (None, Some(why)) => InputEntry::Skipped {
                        skipped: why.clone(),
                    },
                    (None, None) => return None,
                };
                Some((s.name(), entry))
            })
            .collect()
    }
}

/// Each source's export: `--tickets FILE` (a file or a quoted glob), else the
/// mapping's `path`, else DIR/<its usual file name> (a preset's), else
/// DIR/<source>.csv (or .xlsx when only that is there).
/// The flag says whether it was named (a named file that is missing is an error;
/// a file the directory lacks is a skipped source).
fn csv_paths(args: &CsvInputs, mappings: &Mappings) -> BTreeMap<Source, (PathBuf, bool)> {
    let mut paths = BTreeMap::new();
    for source in Source::ALL {
        if let Some(p) = args.explicit(source) {
            paths.insert(source, (p.clone(), true));
        } else if let Some(p) = mappings.get(&source).and_then(|m| m.path.as_ref()) {
            paths.insert(source, (PathBuf::from(p), true));
        } else if let Some((dir, file)) = args
            .data
            .as_ref()
            .zip(mappings.get(&source).and_then(|m| m.file.as_ref()))
            .filter(|(dir, file)| dir.join(file).exists())
        {
            // A preset's usual file name (olist_orders_dataset.csv).
            paths.insert(source, (dir.join(file), false));
        } else if let Some(dir) = &args.data {
            let csv = dir.join(format!("{}.csv", source.name()));
            let xlsx = dir.join(format!("{}.xlsx", source.name()));
            let path = if !csv.exists() && xlsx.exists() {
                xlsx
            } else {
                csv
            };
            paths.insert(source, (path, false));
        }
    }
    paths
}

/// Runs `read` for each job on its own thread (the sources are independent files),
/// results in the jobs' order.
fn in_parallel<J: Sync, T: Send>(
    jobs: &[J],
    read: impl Fn(&J) -> Result<T> + Sync,
) -> Vec<Result<T>> {
    std::thread::scope(|scope| {
        let handles: Vec<_> = jobs.iter().map(|job| scope.spawn(|| read(job))).collect();
        handles
            .into_iter()
            .map(|h| match h.join() {
                Ok(result) => result,
                Err(panic) => std::panic::resume_unwind(panic),
            })
            .collect()
    })
}

/// The order the sources are read in. The reviews come first: their follow-up
/// links decide which tickets keep an id.
pub const READ_ORDER: [Source; 3] = [Source::Reviews, Source::Tickets, Source::Shipments];

/// The rounds a store's sources are read in, each round's sources at the same
/// time: reading two together keeps both cores busy through each table's
/// single-threaded moments; shipments, the largest, are read alone so that what
/// a source holds only while it is read adds up with no other's where it is
/// largest.
pub const STORE_ROUNDS: [&[Source]; 2] =
    [&[Source::Reviews, Source::Tickets], &[Source::Shipments]];

/// One source at a time: CSV exports always (a large file is itself read on
/// every core, so a round of one keeps both busy), a store under the frugal plan
/// ([`crate::memory`]). Each source is reduced before the next is read, so the
/// tickets' reader is given the codes the reviews' links decide
/// ([`LinkCodes`]): a UUID id then takes 4 bytes while its file is read, not 52.
/// At 4 M tickets with UUID ids the report peaked at 1,059 MiB reading the
/// reviews and tickets together, 673 MiB this way, in the same time; on the
/// generated layout 480 MiB against 496, 5.6–6.0 s against 5.8–6.5.
pub const ONE_AT_A_TIME: [&[Source]; 3] =
    [&[Source::Reviews], &[Source::Tickets], &[Source::Shipments]];

/// What a command does to each source as soon as it is read, before the next
/// round is read (in [`READ_ORDER`]): reduce it to the forms its metrics read.
pub type Reduce<'a> = dyn FnMut(Source, &mut Loaded) -> Result<()> + Send + 'a;

/// Reads and validates the CSV inputs, writing each source's rejects file when
/// asked to, and hands each source to `reduce` as soon as it is read.
pub fn load_csv(
    args: &CsvInputs,
    tz: Tz,
    keep: &Keep,
    mappings: &Mappings,
    reduce: &mut Reduce,
) -> Result<Dataset> {
    let (mut dataset, jobs) = csv_jobs(args, tz, mappings)?;
    if !matches!(keep, Keep::Nothing) {
        crate::memory::plan_for(csv_peak(csv_bytes(&jobs), keep))?;
    }
    let no_mapping = Mapping::default();
    let rejects = args.rejects.as_deref();
    // Without a rejects file or a reject shown, a rejected row is only counted.
    let rejected_rows = rejects.is_some() || args.shown_rejects > 0;
    read_in_rounds(
        &mut dataset,
        &jobs,
        &ONE_AT_A_TIME,
        |source, files| {
            let mapping = mappings.get(&source).unwrap_or(&no_mapping);
            read_unfinished(files, source, tz, keep, mapping, rejected_rows)
        },
        |read| finish_csv(read, rejects, args.shown_rejects),
        reduce,
    )?;
    Ok(dataset)
}

/// Where [`stream_csv`] hands what it reads: each source's accepted rows, a
/// chunk at a time as they are read, then the source itself once read.
pub trait Streamed {
    /// The rows of a chunk.
    fn chunk_rows(&self) -> usize {
        CHUNK_ROWS
    }
    /// The next [`Streamed::chunk_rows`] accepted rows of `source` (the last
    /// chunk fewer), every column kept, in the order a read keeps them.
    fn rows(&mut self, source: Source, chunk: DataFrame) -> Result<()>;
    /// `source` read whole: its counts and rejects (its frame has no rows).
    fn read(&mut self, source: Source, loaded: &mut Loaded) -> Result<()>;
    /// Every source read.
    fn done(&mut self) -> Result<()> {
        Ok(())
    }
}

/// Reads and validates the CSV inputs as [`load_csv`] does with every column
/// kept, one source at a time, handing the accepted rows to `to` in chunks as
/// they are read (`ingest` writes them aside): what is held is one source's
/// duplicate check and a few chunks, whatever the size of the exports (and an
/// event log's updates until they are folded). The dataset's frames have no
/// rows.
pub fn stream_csv(
    args: &CsvInputs,
    tz: Tz,
    mappings: &Mappings,
    to: &mut dyn Streamed,
) -> Result<Dataset> {
    let (mut dataset, jobs) = csv_jobs(args, tz, mappings)?;
    crate::memory::plan_for(stream_peak(csv_bytes(&jobs)))?;
    let no_mapping = Mapping::default();
    for source in READ_ORDER {
        let Some((_, files)) = jobs.iter().find(|(s, _)| *s == source) else {
            continue;
        };
        let mapping = mappings.get(&source).unwrap_or(&no_mapping);
        let mut chunks = Chunks {
            rows: to.chunk_rows(),
            sink: Box::new(|chunk| to.rows(source, chunk)),
        };
        let read = read_streamed(files, source, tz, mapping, &mut chunks)?;
        drop(chunks);
        let mut loaded = finish_csv(read, args.rejects.as_deref(), args.shown_rejects)?;
        to.read(source, &mut loaded)?;
        dataset.sources.insert(source, loaded);
    }
    to.done()?;
    Ok(dataset)
}

/// A CSV source's rejects found (and written to `rejects`, when given; the
/// first `shown` kept) and its columns joined.
fn finish_csv(read: Unfinished, rejects: Option<&Path>, shown: usize) -> Result<Loaded> {
    let mut data = read.finish()?;
    if let Some(dir) = rejects {
        write_rejects(dir, &mut data)?;
    }
    if data.rejects.len() > shown {
        data.rejects.truncate(shown);
        data.rejects.shrink_to_fit();
    }
    Ok(Loaded {
        frame: data.frame,
        stats: data.stats,
        rejects: data.rejects,
    })
}

/// The bytes of the files to read.
fn csv_bytes(jobs: &[CsvJob]) -> u64 {
    jobs.iter()
        .flat_map(|(_, files)| files)
        .filter_map(|f| std::fs::metadata(f).ok())
        .map(|m| m.len())
        .sum()
}

/// A source to read, and its files.
type CsvJob = (Source, Vec<PathBuf>);

/// The files of each source to read, and the dataset with the sources skipped.
fn csv_jobs(args: &CsvInputs, tz: Tz, mappings: &Mappings) -> Result<(Dataset, Vec<CsvJob>)> {
    if let Some(dir) = &args.data {
        if !dir.is_dir() {
            bail!("--data {}: no such directory", dir.display());
        }
    }
    let paths = csv_paths(args, mappings);
    if paths.is_empty() {
        bail!(
            "no input given: use --data DIR, --tickets/--shipments/--reviews FILE, --store DIR, \
             or `path` in [sources.<source>] of svcq.toml"
        );
    }
    let mut dataset = Dataset {
        tz,
        sources: BTreeMap::new(),
        skipped: BTreeMap::new(),
    };
    let mut jobs = Vec::new();
    for source in Source::ALL {
        if args.unused.contains(&source) {
            dataset
                .skipped
                .insert(source, "not used by this command".to_string());
            continue;
        }
        let Some((path, explicit)) = paths.get(&source) else {
            dataset
                .skipped
                .insert(source, format!("no --{} given", source.name()));
            continue;
        };
        if !explicit && !path.exists() {
            dataset
                .skipped
                .insert(source, format!("{} not found", path.display()));
            continue;
        }
        let files = expand(path)?;
        let how = match mappings.get(&source) {
            Some(m) => match &m.preset {
                Some(p) => format!("preset {p}"),
                None => "the mapping in svcq.toml".to_string(),
            },
            None => "svcq's own layout".to_string(),
        };
        let names: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
        crate::ui::detail(format!("{source}: {} read through {how}", names.join(", ")));
        jobs.push((source, files));
    }
    Ok((dataset, jobs))
}

/// What the usual plan is expected to peak at over `bytes` of exports: half of
/// them. It took 0.32–0.34× the CSV at 4 M on every id shape and 0.33× at 100 M
/// in its last runs, and 0.41× at 4 M with 5 % of rows rejected into a rejects
/// file (bench/RESULTS.md); more on small files, where the program itself
/// counts. When every column is kept (no command does since `ingest` streams),
/// an estimate: `ingest` took 1.17× reading one source at a time.
fn csv_peak(bytes: u64, keep: &Keep) -> u64 {
    match keep {
        Keep::All => bytes / 2 * 3 + (64 << 20),
        _ => bytes / 2 + (64 << 20),
    }
}

/// What a streamed read ([`stream_csv`]) is expected to peak at over `bytes` of
/// exports: 0.21–0.25× the CSV for the 4 M `ingest` (bench/RESULTS.md), most of
/// it the duplicate checks, which grow with the rows; a fifth of them and the
/// 64 MiB cover.
fn stream_peak(bytes: u64) -> u64 {
    bytes / 5 + (64 << 20)
}

/// What the usual plan is expected to peak at over `bytes` of a store's Parquet
/// files, which are compressed: 3.1× them at 4 M tickets (bench/RESULTS.md),
/// which three times them and the 64 MiB cover.
fn store_peak(bytes: u64) -> u64 {
    bytes * 3 + (64 << 20)
}

/// Reads each job's source in `rounds`, a round's sources at the same time, in
/// [`READ_ORDER`] within it. Each round is finished (`finish`: a CSV's rejects
/// found, its columns joined) and reduced before the next is read: what a round
/// holds until then (its parts before they are joined, a store's text ids
/// before they are coded) would otherwise add up with the next round's read,
/// and the reviews' reduction gives the tickets' reader their codes.
fn read_in_rounds<J: Sync, R: Send>(
    dataset: &mut Dataset,
    jobs: &[(Source, J)],
    rounds: &[&[Source]],
    read: impl Fn(Source, &J) -> Result<R> + Sync,
    finish: impl Fn(R) -> Result<Loaded>,
    reduce: &mut Reduce,
) -> Result<()> {
    for round in rounds {
        let round: Vec<&(Source, J)> = READ_ORDER
            .iter()
            .filter(|s| round.contains(s))
            .filter_map(|s| jobs.iter().find(|(source, _)| source == s))
            .collect();
        if round.is_empty() {
            continue;
        }
        let reads = in_parallel(&round, |(source, job)| read(*source, job));
        let reads = round
            .iter()
            .map(|(source, _)| *source)
            .zip(reads)
            .map(|(source, read)| Ok((source, read?)))
            .collect::<Result<Vec<_>>>()?;
        for (source, read) in reads {
            let mut loaded = finish(read)?;
            reduce(source, &mut loaded)?;
            crate::memory::release_freed();
            dataset.sources.insert(source, loaded);
        }
    }
    Ok(())
}

impl Dataset {
    /// What each source's kept columns hold in memory, largest first (`-v`): where
    /// the memory of a run goes.
    pub fn memory_details(&self) -> Vec<String> {
        self.sources
            .iter()
            .map(|(source, loaded)| held_in_memory(*source, &loaded.frame))
            .collect()
    }
}

/// A column's bytes in memory, validity bits left out. polars' estimate counts a
/// string column's text, not its 16-byte views: most of it for labels and ids.
fn column_bytes(series: &Series) -> usize {
    match series.str() {
        Ok(text) => text
            .downcast_iter()
            .map(|a| a.len() * 16 + a.total_buffer_len())
            .sum(),
        Err(_) => series.estimated_size(),
    }
}

fn held_in_memory(source: Source, frame: &DataFrame) -> String {
    let mut columns: Vec<(usize, String)> = frame
        .columns()
        .iter()
        .map(|c| {
            (
                column_bytes(c.as_materialized_series()),
                c.name().to_string(),
            )
        })
        .collect();
    columns.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    let mib = |bytes: usize| bytes as f64 / (1024.0 * 1024.0);
    let total: usize = columns.iter().map(|c| c.0).sum();
    let each: Vec<String> = columns
        .iter()
        .map(|(bytes, name)| format!("{name} {:.1}", mib(*bytes)))
        .collect();
    format!(
        "{source}: {} rows kept in {:.1} MiB ({})",
        frame.height(),
        mib(total),
        if each.is_empty() {
            "no columns".to_string()
        } else {
            each.join(", ") + " MiB"
        }
    )
}

/// Reads the sources present in a store directory in [`STORE_ROUNDS`] (one at a
/// time when frugal), each handed to `reduce` as soon as its round is read (in
/// [`READ_ORDER`]).
pub fn load_store(dir: &Path, tz: Tz, keep: &Keep, reduce: &mut Reduce) -> Result<Dataset> {
    if !dir.is_dir() {
        bail!(
            "store {}: no such directory (create it with `svcq ingest`)",
            dir.display()
        );
    }
    let mut dataset = Dataset {
        tz,
        sources: BTreeMap::new(),
        skipped: BTreeMap::new(),
    };
    let mut jobs = Vec::new();
    for stored in open_store(dir)? {
        if stored.files.is_empty() {
            dataset.skipped.insert(
                stored.source,
                format!("{} not in the store", stored.source.name()),
            );
        } else {
            jobs.push((stored.source, stored));
        }
    }
    let bytes: u64 = jobs
        .iter()
        .flat_map(|(_, stored)| &stored.files)
        // The files opened, not their paths: a writer may commit a new version.
        .filter_map(|(_, file)| file.metadata().ok())
        .map(|m| m.len())
        .sum();
    crate::memory::plan_for(store_peak(bytes))?;
    let rounds: &[&[Source]] = match crate::memory::frugal() {
        true => &ONE_AT_A_TIME,
        false => &STORE_ROUNDS,
    };
    read_in_rounds(
        &mut dataset,
        &jobs,
        rounds,
        |_, stored| {
            let read = read_source_files(stored, keep)?;
            Ok((stored.path.display().to_string(), read))
        },
        |(path, read)| {
            // The rows read, before `reduce` censors any.
            let rows = read.frame.height() as u64;
            let absent = read.absent.into_iter().collect();
            Ok(Loaded {
                frame: read.frame,
                stats: InputStats::of_table(path, rows, BTreeMap::new(), absent),
                rejects: Vec::new(),
            })
        },
        reduce,
    )?;
    Ok(dataset)
}
