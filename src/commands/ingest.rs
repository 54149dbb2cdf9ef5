use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Result;
use clap::Args;

use super::args::{resolve_tz, InputArgs, DEFAULT_REJECTS};
use crate::engine::targets::Targets;
use crate::exit::OK as EXIT_OK;
use crate::render::thousands;
use crate::source::load::stream_csv;
use crate::source::store::{Ingest, DEFAULT_STORE};

#[derive(Debug, Args)]
#[command(
    after_help = "Weekly exports overlap: a ticket exported last week as open comes again this week as \
                        resolved. The store keeps one row per id, the one from the latest ingest, so ingesting \
                        the same file twice changes nothing. Each store file is written aside and renamed, so \
                        an interrupted ingest leaves the previous store intact. Ingests into one store wait \
                        for each other (--lock-timeout); reports read it as it was before or after an ingest."
)]
pub struct IngestArgs {
    #[command(flatten)]
    pub inputs: InputArgs,
    /// The store directory (a version folder of one Parquet file per source, named
    /// in its CURRENT file).
    #[arg(long, value_name = "DIR", default_value = DEFAULT_STORE)]
    pub store: PathBuf,
    /// How long to wait for another ingest into the same store to finish.
    #[arg(long, value_name = "SECONDS", default_value_t = 600)]
    pub lock_timeout: u64,
}

pub fn exec(args: IngestArgs) -> Result<ExitCode> {
    let targets = Targets::load(None, &args.inputs.preset)?;
    let tz = resolve_tz(args.inputs.tz.as_deref(), &targets)?;
    // Ingests into one store run one after another: each merges into what the
    // previous one committed.
    let mut ingest = Ingest::begin(&args.store, Duration::from_secs(args.lock_timeout))?;
    // Each export is written aside as it is read, and merged into the new
    // version once read: what is held is a chunk of rows, not an export.
    let dataset = stream_csv(
        &args.inputs.csv_inputs(Some(DEFAULT_REJECTS)),
        tz,
        &targets.mappings,
        &mut ingest,
    )?;
    let mut lines = Vec::new();
    for (source, loaded) in &dataset.sources {
        let stats = ingest
            .upserted(*source)
            .expect("every source read is upserted");
        lines.push(format!(
            "{source}: {} read, {} accepted, {} rejected → {}: {} rows ({} new, {} updated)",
            thousands(loaded.stats.read),
            thousands(loaded.stats.accepted),
            thousands(loaded.stats.rejected),
            ingest.path(*source).display(),
            thousands(stats.after),
            thousands(stats.inserted),
            thousands(stats.updated),
        ));
    }
    ingest.commit()?;
    for line in lines {
        println!("{line}");
    }
    for (source, why) in &dataset.skipped {
        println!("{source}: skipped ({why})");
    }
    Ok(ExitCode::from(EXIT_OK))
}
