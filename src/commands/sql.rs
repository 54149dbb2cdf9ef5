//! `svcq sql`: the SQL that computes the report's metrics, from the catalogue.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Result};
use clap::Args;

use super::args::{emit, resolve_tz, PeriodArgs};
use crate::engine::sql::{Dialect, SqlEngine};
use crate::engine::targets::Targets;
use crate::engine::{Engine, Query, ReportOptions, Split};
use crate::exit::OK as EXIT_OK;

#[derive(Debug, Args)]
#[command(
    after_help = "The statement answers jobs — a source's cohort over a period, maybe split or narrowed to a segment — with one row of aggregates (a0, a1, …) per job and group; svcq turns them into metric values exactly as it does its own. `--engine spark|duckdb` on report, check and chart runs it and renders the result.\n\nExamples:\n  svcq sql --dialect spark --store .svcq --period 2026-W47 --as-of 2026-11-23T00:00:00Z\n  svcq sql --dialect duckdb --store .svcq --last 4w --by week --as-of 2026-11-23"
)]
pub struct SqlArgs {
    /// The engine the SQL is written for.
    #[arg(long, value_enum, default_value = "spark")]
    pub dialect: Dialect,
    /// A store written by `svcq ingest` whose Parquet folders the SQL reads
    /// (default: the tables named in svcq.toml [engine.<dialect>]).
    #[arg(long, value_name = "DIR", help_heading = "Inputs")]
    pub store: Option<PathBuf>,
    #[command(flatten)]
    pub period: PeriodArgs,
    /// Targets file (windows, SLA hours, segment targets, [engine.*] tables).
    #[arg(long, value_name = "FILE", help_heading = "Targets")]
    pub targets: Option<PathBuf>,
    /// Time zone of week and day boundaries (default: the targets file's, else UTC).
    #[arg(long, value_name = "TZ")]
    pub tz: Option<String>,
    /// One row per value: channel, priority, category, agent, carrier, region, or week/day/month.
    #[arg(long, value_name = "DIM")]
    pub by: Option<String>,
    /// Also the previous period of equal length (a second statement).
    #[arg(long)]
    pub compare: bool,
    /// Write to FILE (atomically) instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

pub fn exec(args: SqlArgs) -> Result<ExitCode> {
    let Some(as_of) = args.period.as_of.as_deref() else {
        bail!("svcq sql needs --as-of: the periods, windows and SLA clocks are fixed in the SQL text (report/check/chart --engine find it from the data)");
    };
    let targets = Targets::load(args.targets.as_deref(), &[])?;
    let tz = resolve_tz(args.tz.as_deref(), &targets)?;
    let sql = SqlEngine::dry(
        args.dialect,
        targets.engines.get(args.dialect),
        args.store.as_deref(),
    )?;
    let dataset = sql.dataset(tz)?;
    let engine = Engine::over_sql(
        &dataset,
        targets.windows,
        &targets.clocks,
        &targets.text.lexicon,
        Some(as_of),
        &sql,
    )?;
    let options = ReportOptions {
        period: args.period.spec(),
        split: args.by.as_deref().map(Split::parse).transpose()?,
        compare: args.compare,
        ..Default::default()
    };
    engine.run(&targets, &[Query::Report(options)])?;
    let statements = sql.written();
    let labels = ["the period", "the previous period"];
    let mut text = String::new();
    for (i, statement) in statements.iter().enumerate() {
        text.push_str(&format!(
            "-- svcq {} metrics SQL ({}) for {}, as of {as_of}\n{statement};\n",
            env!("CARGO_PKG_VERSION"),
            args.dialect,
            labels.get(i).unwrap_or(&"a further period")
        ));
    }
    emit(args.out.as_deref(), &text)?;
    Ok(ExitCode::from(EXIT_OK))
}
