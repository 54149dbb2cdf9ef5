//! `svcq store vacuum`: upkeep of the Parquet store.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Result;
use clap::{Args, Subcommand};

use crate::exit::OK as EXIT_OK;
use crate::source::store::{vacuum, DEFAULT_STORE};

#[derive(Debug, Args)]
pub struct StoreArgs {
    #[command(subcommand)]
    pub command: StoreCommand,
}

#[derive(Debug, Subcommand)]
pub enum StoreCommand {
    /// Remove what interrupted ingests left (unfinished versions, temporary files).
    /// Ingests do this themselves before they write; vacuum does it without one.
    Vacuum {
        /// The store directory.
        #[arg(long, value_name = "DIR", default_value = DEFAULT_STORE)]
        store: PathBuf,
        /// How long to wait for an ingest into the store to finish.
        #[arg(long, value_name = "SECONDS", default_value_t = 600)]
        lock_timeout: u64,
    },
}

pub fn exec(args: StoreArgs) -> Result<ExitCode> {
    match args.command {
        StoreCommand::Vacuum {
            store,
            lock_timeout,
        } => {
            let removed = vacuum(&store, Duration::from_secs(lock_timeout))?;
            for path in &removed {
                println!("removed {}", path.display());
            }
            println!(
                "{}: {} left over by interrupted ingests removed",
                store.display(),
                removed.len()
            );
        }
    }
    Ok(ExitCode::from(EXIT_OK))
}
