use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::Args;

use crate::exit::OK as EXIT_OK;
use crate::sample::{generate, SampleSpec};

#[derive(Debug, Args)]
#[command(
    after_help = "The same seed and sizes always give the same bytes. A few rows are deliberately \
                        malformed (bad timestamps, unknown priority, duplicate ids, refunds without a return \
                        request, a rating of 6) so `svcq validate` has something to quarantine."
)]
pub struct SampleArgs {
    /// Directory to write tickets.csv, shipments.csv and reviews.csv into.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Number of tickets (shipments ≈ 1.6×, reviews ≈ 0.9×).
    #[arg(long, value_name = "N", default_value = "10000")]
    pub tickets: u64,
    #[arg(long, value_name = "S", default_value = "42")]
    pub seed: u64,
    /// How many weeks of history, ending at --end (a quarter by default, so
    /// trends have something to show).
    #[arg(long, value_name = "W", default_value = "13")]
    pub weeks: u32,
    /// Exclusive end of the data (UTC).
    #[arg(long, value_name = "WHEN", default_value = "2026-11-23")]
    pub end: String,
}

pub fn exec(args: SampleArgs) -> Result<ExitCode> {
    if args.weeks == 0 {
        anyhow::bail!("--weeks must be at least 1");
    }
    let spec = SampleSpec {
        tickets: args.tickets,
        seed: args.seed,
        weeks: args.weeks,
        end: args.end,
    };
    generate(&args.out, &spec)?;
    if !crate::ui::quiet() {
        println!(
            "wrote {} tickets, {} shipments (and {} orders that never shipped), {} reviews to {}",
            spec.tickets,
            spec.tickets * 8 / 5,
            spec.tickets * 8 / 5 / 50,
            spec.tickets * 9 / 10,
            args.out.display()
        );
    }
    Ok(ExitCode::from(EXIT_OK))
}
