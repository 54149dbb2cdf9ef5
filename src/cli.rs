//! Command-line interface: the argument model and dispatch to one module per
//! subcommand (`commands::*`).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Result;
use chrono_tz::Tz;
use clap::{Args, Parser, Subcommand};

use crate::commands;
use crate::engine::ReportOptions;
use crate::inputs::{load_csv, load_store, Dataset, InputArgs, Keep};
use crate::period::PeriodArgs;
use crate::targets::Targets;
use crate::timestamp::parse_tz;

/// Every target passed (warnings allowed unless asked otherwise).
pub const EXIT_OK: u8 = 0;
/// A finding: a KPI target failed (`check`).
pub const EXIT_FINDING: u8 = 1;
/// svcq could not do its job: unreadable input, bad arguments or targets file.
pub const EXIT_ERROR: u8 = 2;

const AFTER_HELP: &str = "\
Exit codes:
  0  ok (for check: every target passed)
  1  a finding (for check: at least one target failed or had no data)
  2  an error: unreadable input, missing column, bad targets file or arguments

Start with:
  svcq sample --out data          # realistic demo exports
  svcq validate --data data       # what would be read, what is rejected and why
  svcq report --data data         # last week's scorecard
  svcq check --data data          # the same targets as a CI gate";

#[derive(Debug, Parser)]
#[command(
    name = "svcq",
    version,
    about = "After-sales service quality KPIs from help-desk, shipment and review exports",
    long_about = "svcq reads the CSV exports of support tickets, shipments (returns, refunds) and \
                  customer reviews, rejects bad rows with their line and reason, and computes response \
                  time, resolution, SLA attainment, on-time delivery, returns, refund time, satisfaction \
                  and NPS against your targets. Every metric is defined in docs/metrics.md.",
    after_help = AFTER_HELP
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Read and validate the exports; write rejected rows with their reasons.
    Validate(commands::validate::ValidateArgs),
    /// Validate and merge the exports into a Parquet store (upsert by id).
    Ingest(commands::ingest::IngestArgs),
    /// Compute every KPI for a period, against targets.
    Report(commands::report::ReportArgs),
    /// Judge the targets as a CI gate (exit 1 when one fails).
    Check(commands::check::CheckArgs),
    /// Draw a PNG chart: trend, breakdown, distribution, pareto or scorecard.
    Chart(commands::chart::ChartArgs),
    /// Generate realistic, deterministic sample exports.
    Sample(commands::sample::SampleArgs),
    /// Write a commented default targets file (svcq.toml).
    Init(commands::init::InitArgs),
}

/// Where data is read from: CSV exports or the store.
#[derive(Debug, Clone, Args)]
pub struct DataArgs {
    #[command(flatten)]
    pub csv: InputArgs,
    /// Read from a Parquet store written by `svcq ingest` instead of CSV files.
    #[arg(long, value_name = "DIR", conflicts_with_all = ["data", "tickets", "shipments", "reviews"], help_heading = "Inputs")]
    pub store: Option<PathBuf>,
}

/// What report, check and chart share: data, period and targets.
#[derive(Debug, Clone, Args)]
pub struct AnalysisArgs {
    #[command(flatten)]
    pub data: DataArgs,
    #[command(flatten)]
    pub period: PeriodArgs,
    /// Targets file. Default: ./svcq.toml when present, else the built-in goals.
    #[arg(long, value_name = "FILE", help_heading = "Targets")]
    pub targets: Option<PathBuf>,
}

impl AnalysisArgs {
    /// Reads the targets and the data, keeping the columns the metrics use, the
    /// dimensions of segment targets, and `fields` (a split, a chart's field).
    pub fn load(&self, fields: &[&str]) -> Result<(Dataset, Targets)> {
        let targets = Targets::load(self.targets.as_deref())?;
        let tz = resolve_tz(self.data.csv.tz.as_deref(), &targets)?;
        let segment_dims = targets
            .targets
            .iter()
            .flat_map(|t| t.segment.keys().map(String::as_str));
        let keep = Keep::metrics_and(fields.iter().copied().chain(segment_dims));
        let dataset = match &self.data.store {
            Some(dir) => load_store(dir, tz, &keep)?,
            None => load_csv(&self.data.csv, tz, &keep)?,
        };
        Ok((dataset, targets))
    }

    pub fn options(&self) -> ReportOptions {
        ReportOptions {
            period: self.period.clone(),
            ..Default::default()
        }
    }
}

/// `--tz` wins, then the targets file's `timezone`, then UTC.
pub fn resolve_tz(cli: Option<&str>, targets: &Targets) -> Result<Tz> {
    match cli.or(targets.timezone.as_deref()) {
        Some(name) => parse_tz(name),
        None => Ok(Tz::UTC),
    }
}

/// Writes a command's output to `--out` (atomically) or to stdout.
pub fn emit(out: Option<&Path>, text: &str) -> Result<()> {
    match out {
        Some(path) => crate::fsutil::atomic_write_bytes(path, text.as_bytes()),
        None => {
            let mut stdout = std::io::stdout().lock();
            stdout.write_all(text.as_bytes())?;
            stdout.flush()?;
            Ok(())
        }
    }
}

pub fn run() -> Result<ExitCode> {
    let cli = Cli::parse();
    match cli.command {
        Command::Validate(args) => commands::validate::exec(args),
        Command::Ingest(args) => commands::ingest::exec(args),
        Command::Report(args) => commands::report::exec(args),
        Command::Check(args) => commands::check::exec(args),
        Command::Chart(args) => commands::chart::exec(args),
        Command::Sample(args) => commands::sample::exec(args),
        Command::Init(args) => commands::init::exec(args),
    }
}
