//! The command layer: all command-line parsing (clap) lives here and is turned into
//! plain option structs for the layers below. One module per subcommand, each with
//! its arguments and its `exec`; `run` dispatches.

pub mod args;
pub mod calendar;
pub mod chart;
pub mod check;
pub mod complaints;
pub mod completions;
pub mod config;
pub mod ingest;
pub mod init;
pub mod inspect;
pub mod man;
pub mod report;
pub mod sample;
pub mod sql;
pub mod store;
pub mod validate;

use std::process::ExitCode;

use std::path::PathBuf;

use anyhow::Result;
use clap::{Parser, Subcommand};

use crate::commands;
pub use args::{emit, resolve_tz, AnalysisArgs};

pub use crate::exit::{ERROR as EXIT_ERROR, FINDING as EXIT_FINDING, OK as EXIT_OK};
use crate::ui::ColorWhen;

const AFTER_HELP: &str = "\
Exit codes:
  0  ok (for check: every target passed)
  1  a finding (for check: at least one target failed or had no data)
  2  an error: unreadable input, missing column, bad targets file or arguments

Environment:
  SVCQ_CONFIG        the config file when --config is not given
  SVCQ_MEMORY_LIMIT  the memory svcq may use (512M, 2G); with a cgroup limit or
                     the machine's free memory, whichever is least, it decides
                     when to read and compute in the slower, frugal way
  NO_COLOR           no colour (CLICOLOR_FORCE=1 forces it)

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
    long_about = "svcq reads the exports of support tickets, shipments (returns, refunds) and \
                  customer reviews (CSV, TSV or workbooks; its own layout, a mapping, or a preset for \
                  Zendesk, Shopify, Taobao and others), rejects bad rows with their line and reason, and \
                  computes response time, resolution, SLA attainment on calendar or business time, \
                  on-time delivery, returns, refund time, satisfaction and NPS against your targets. \
                  Every metric is defined in docs/metrics.md.",
    after_help = AFTER_HELP
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// When to colour: auto (on a terminal, unless NO_COLOR is set; CLICOLOR_FORCE
    /// forces it), always, never.
    #[arg(long, global = true, value_enum, default_value_t = ColorWhen::Auto, value_name = "WHEN")]
    pub color: ColorWhen,
    /// Print only errors and the requested output (no progress, no "wrote …").
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Say on stderr which config, files, mappings and period are used, and why.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// The config file (targets, mappings, schedules). Default: $SVCQ_CONFIG, else
    /// svcq.toml in the current directory or the nearest parent that has one.
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
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
    /// What customers complain about: complaint terms of negative reviews (Chinese
    /// and English), rising complaints, aspects, ticket words by category.
    ///
    /// The terms (Chinese words, English words and two-word phrases) that negative
    /// reviews (rating 1–2) use more than positive ones (4–5), ranked by the weighted
    /// log-odds ratio with an informative prior (z-score, counts, the latest
    /// examples); what customers praise; the complaints that rose most since the
    /// previous period; the share of negative reviews about delivery, quality,
    /// service, price, packaging and returns (catalogue metrics with targets); and,
    /// when tickets have a subject, the words of each ticket category. Reviews
    /// without text are counted, never dropped. Definitions: docs/complaints.md.
    Complaints(commands::complaints::ComplaintsArgs),
    /// Print the SQL (Spark or DuckDB) that computes the report's metrics, written
    /// from the metric catalogue: to run the same definitions where the data lives.
    Sql(commands::sql::SqlArgs),
    /// Draw a PNG chart: trend, breakdown, distribution, pareto, scorecard or complaints.
    Chart(commands::chart::ChartArgs),
    /// Generate realistic, deterministic sample exports.
    Sample(commands::sample::SampleArgs),
    /// Write a commented default targets file (svcq.toml).
    Init(commands::init::InitArgs),
    /// Upkeep of the Parquet store (vacuum).
    Store(commands::store::StoreArgs),
    /// Say what an export is: encoding, delimiter, the preset that reads it, its
    /// time formats, five rows as read, and the metrics it can and cannot feed.
    Inspect(commands::inspect::InspectArgs),
    /// Show a schedule's open hours, holidays and make-up working days, day by
    /// day: what the business clock will count.
    Calendar(commands::calendar::CalendarArgs),
    /// Show the effective settings and where each comes from (the config file
    /// found, or the default).
    Config(commands::config::ConfigArgs),
    /// Print a shell completion script: bash, zsh, fish, powershell or elvish.
    Completions(commands::completions::CompletionsArgs),
    /// Write the man pages (svcq.1 and one per subcommand).
    Man(commands::man::ManArgs),
}

pub fn run() -> Result<ExitCode> {
    let cli = Cli::parse();
    crate::ui::set(cli.color, cli.quiet, cli.verbose, cli.config);
    match cli.command {
        Command::Validate(args) => commands::validate::exec(args),
        Command::Ingest(args) => commands::ingest::exec(args),
        Command::Report(args) => commands::report::exec(args),
        Command::Check(args) => commands::check::exec(args),
        Command::Complaints(args) => commands::complaints::exec(args),
        Command::Chart(args) => commands::chart::exec(args),
        Command::Sample(args) => commands::sample::exec(args),
        Command::Sql(args) => commands::sql::exec(args),
        Command::Init(args) => commands::init::exec(args),
        Command::Inspect(args) => commands::inspect::exec(args),
        Command::Store(args) => commands::store::exec(args),
        Command::Calendar(args) => commands::calendar::exec(args),
        Command::Config(args) => commands::config::exec(args),
        Command::Completions(args) => commands::completions::exec(args),
        Command::Man(args) => commands::man::exec(args),
    }
}
