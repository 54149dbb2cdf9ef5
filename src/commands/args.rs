//! Arguments several subcommands share, and their conversion to the plain option
//! structs of the layers below.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{bail, Result};
use chrono_tz::Tz;
use clap::{Args, ValueEnum};

use crate::engine::period::PeriodSpec;
use crate::engine::sql::{Dialect, SqlEngine};
use crate::engine::targets::Targets;
use crate::engine::{columns_needed, parse_as_of, Engine, Reducer, ReportOptions};
use crate::source::load::{load_csv, load_store, CsvInputs, Dataset, Loaded};
use crate::source::timestamp::parse_tz;
use crate::source::Source;

#[derive(Debug, Clone, Args, Default)]
#[command(next_help_heading = "Inputs")]
pub struct InputArgs {
    /// Directory holding tickets.csv, shipments.csv and reviews.csv (each optional).
    #[arg(long, value_name = "DIR")]
    pub data: Option<PathBuf>,
    /// Tickets export (overrides DIR/tickets.csv).
    #[arg(long, value_name = "FILE")]
    pub tickets: Option<PathBuf>,
    /// Shipments export (overrides DIR/shipments.csv).
    #[arg(long, value_name = "FILE")]
    pub shipments: Option<PathBuf>,
    /// Reviews export (overrides DIR/reviews.csv).
    #[arg(long, value_name = "FILE")]
    pub reviews: Option<PathBuf>,
    /// Write rejected rows to DIR/<source>.rejects.csv. validate and ingest write
    /// them to ./rejects unless told otherwise; report, check and chart write
    /// nothing but their output unless this is given.
    #[arg(long, value_name = "DIR")]
    pub rejects: Option<PathBuf>,
    /// Read the exports of a known system through its built-in mapping (zendesk,
    /// freshdesk, zammad, servicenow, servicenow-log, olist, douyin, judgeme,
    /// trustpilot; docs/presets.md). With --data DIR, a preset's usual file names
    /// are looked for in DIR. Repeat for several systems.
    #[arg(long, value_name = "NAME")]
    pub preset: Vec<String>,
    /// Time zone for timestamps without an offset and for week/day boundaries
    /// (IANA name, e.g. Asia/Shanghai). Default: `timezone` in the targets file, else UTC.
    #[arg(long, value_name = "TZ")]
    pub tz: Option<String>,
}

/// Where validate and ingest write rejected rows unless --rejects says.
pub const DEFAULT_REJECTS: &str = "rejects";

impl InputArgs {
    /// The inputs; rejects files go to --rejects, else to `default_rejects`.
    pub fn csv_inputs(&self, default_rejects: Option<&str>) -> CsvInputs {
        CsvInputs {
            data: self.data.clone(),
            tickets: self.tickets.clone(),
            shipments: self.shipments.clone(),
            reviews: self.reviews.clone(),
            rejects: self
                .rejects
                .clone()
                .or_else(|| default_rejects.map(PathBuf::from)),
            unused: Vec::new(),
            shown_rejects: 0,
        }
    }
}

#[derive(Debug, Clone, Args, Default)]
#[command(next_help_heading = "Period")]
pub struct PeriodArgs {
    /// An ISO week (2026-W47) or a month (2026-11). Default: the last complete ISO week.
    #[arg(long, value_name = "PERIOD", conflicts_with_all = ["from", "last"])]
    pub period: Option<String>,
    /// Start of a custom period (date or timestamp, inclusive); needs --to.
    #[arg(long, value_name = "WHEN", requires = "to", conflicts_with = "last")]
    pub from: Option<String>,
    /// End of a custom period (date or timestamp, exclusive).
    #[arg(long, value_name = "WHEN", requires = "from")]
    pub to: Option<String>,
    /// The last N complete weeks, days or months before the as-of time: 4w, 14d, 3m.
    #[arg(long, value_name = "N{w|d|m}")]
    pub last: Option<String>,
    /// The "now" of the report: the data is taken as it stood then (later records and
    /// events are left out, so last month's report can be reproduced), windows and
    /// SLA clocks run until here, and --last/default periods end here. Default: the
    /// latest timestamp in the ticket data, with nothing left out.
    #[arg(long, value_name = "WHEN")]
    pub as_of: Option<String>,
}

impl PeriodArgs {
    pub fn spec(&self) -> PeriodSpec {
        PeriodSpec {
            period: self.period.clone(),
            from: self.from.clone(),
            to: self.to.clone(),
            last: self.last.clone(),
        }
    }

    /// Whether any of --period, --from or --last was given.
    pub fn given(&self) -> bool {
        self.period.is_some() || self.from.is_some() || self.last.is_some()
    }
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

/// Which engine computes the metrics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum EngineArg {
    /// svcq's own (polars), over the CSV exports or the store.
    #[default]
    Embedded,
    /// Apache Spark, through `spark-submit` or Spark Connect (`[engine.spark]`).
    Spark,
    /// DuckDB, through a Python with the duckdb package (`[engine.duckdb]`).
    Duckdb,
}

impl EngineArg {
    pub fn dialect(self) -> Option<Dialect> {
        match self {
            EngineArg::Embedded => None,
            EngineArg::Spark => Some(Dialect::Spark),
            EngineArg::Duckdb => Some(Dialect::Duckdb),
        }
    }
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
    /// Where the metrics are computed: svcq itself, or the same definitions as SQL
    /// on Spark or DuckDB over a store (--store) or the tables named in svcq.toml
    /// (`[engine.spark]`; docs/scaling.md).
    #[arg(long, value_enum, default_value = "embedded", help_heading = "Engine")]
    pub engine: EngineArg,
}

/// What an analysis reads: the data (or, with an SQL engine, its columns and
/// counts), the targets, and the SQL engine holding the rows.
pub struct Analysis {
    pub dataset: Dataset,
    pub targets: Targets,
    pub sql: Option<SqlEngine>,
}

impl AnalysisArgs {
    /// Reads the targets and the data, keeping the columns the metrics use, the
    /// dimensions of segment targets, and `fields` (a split, a chart's field).
    pub fn load(&self, fields: &[&str]) -> Result<Analysis> {
        self.load_without(fields, &[])
    }

    /// [`load`](Self::load), leaving the CSV exports of `unused` sources unread.
    pub fn load_without(&self, fields: &[&str], unused: &[Source]) -> Result<Analysis> {
        let targets = Targets::load(self.targets.as_deref(), &self.data.csv.preset)?;
        let tz = resolve_tz(self.data.csv.tz.as_deref(), &targets)?;
        if let Some(dialect) = self.engine.dialect() {
            let csv = &self.data.csv;
            if csv.data.is_some()
                || csv.tickets.is_some()
                || csv.shipments.is_some()
                || csv.reviews.is_some()
            {
                bail!("--engine {dialect} reads tables, not CSV exports: `svcq ingest` them into a store and give --store, or name tables in svcq.toml [engine.{dialect}] (docs/scaling.md)");
            }
            let sql = SqlEngine::connect(
                dialect,
                targets.engines.get(dialect),
                self.data.store.as_deref(),
            )?;
            let dataset = sql.dataset(tz)?;
            return Ok(Analysis {
                dataset,
                targets,
                sql: Some(sql),
            });
        }
        let segment_dims = targets
            .targets
            .iter()
            .flat_map(|t| t.segment.keys().map(String::as_str));
        let clock_dims = targets.clocks.rule_fields();
        let keep = columns_needed(
            fields
                .iter()
                .copied()
                .chain(segment_dims)
                .chain(clock_dims.iter().copied()),
            &targets.text.lexicon,
        );
        let as_of = self.period.as_of.as_deref();
        let as_of = as_of.map(|text| parse_as_of(text, tz)).transpose()?;
        let mut reducer = Reducer::new(fields, &keep, &targets.text.lexicon, as_of);
        let reduce = &mut |source, loaded: &mut Loaded| reducer.reduce(source, &mut loaded.frame);
        let dataset = match &self.data.store {
            Some(dir) => load_store(dir, tz, &keep, reduce)?,
            None => load_csv(
                &CsvInputs {
                    unused: unused.to_vec(),
                    ..self.data.csv.csv_inputs(None)
                },
                tz,
                &keep,
                &targets.mappings,
                reduce,
            )?,
        };
        dataset
            .memory_details()
            .into_iter()
            .for_each(crate::ui::detail);
        Ok(Analysis {
            dataset,
            targets,
            sql: None,
        })
    }

    /// The engine over what [`load`](Self::load) read, with this command's as-of time.
    pub fn engine<'a>(&self, analysis: &'a Analysis) -> Result<Engine<'a>> {
        let targets = &analysis.targets;
        let as_of = self.period.as_of.as_deref();
        match &analysis.sql {
            Some(sql) => Engine::over_sql(
                &analysis.dataset,
                targets.windows,
                &targets.clocks,
                &targets.text.lexicon,
                as_of,
                sql,
            ),
            None => Engine::new(
                &analysis.dataset,
                targets.windows,
                &targets.clocks,
                &targets.text.lexicon,
                as_of,
            ),
        }
    }

    pub fn options(&self) -> ReportOptions {
        ReportOptions {
            period: self.period.spec(),
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
