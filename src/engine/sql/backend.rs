//! The engine's side of an SQL engine: the tables of the three sources, what
//! they hold (rows, filled columns, latest events), and the statements' rows
//! turned back into the aggregates the polars engine would have computed.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Mutex;

use anyhow::{bail, Context, Result};
use chrono_tz::Tz;
use polars::prelude::*;

use super::runner::{number, Session};
use super::settings::{EngineSettings, Location};
use super::{Dialect, Job, Statement, Table};
use crate::engine::aggregate::Plan;
use crate::source::load::{Dataset, Loaded};
use crate::source::read::InputStats;
use crate::source::{Kind, Moment, Source};

/// Aggregates per group of one job (`None`: not split).
pub type GroupRows = BTreeMap<Option<String>, Vec<Option<f64>>>;

pub struct SqlEngine {
    pub dialect: Dialect,
    /// None: nothing runs, the statements are written down (`svcq sql`).
    session: Option<Mutex<Session>>,
    written: Mutex<Vec<String>>,
    pub tables: BTreeMap<Source, Table>,
    rows: BTreeMap<Source, u64>,
    filled: BTreeMap<Source, BTreeMap<String, u64>>,
    latest: BTreeMap<Source, Option<i64>>,
    /// The first and last timestamp of each source.
    pub ranges: BTreeMap<Source, (i64, i64)>,
    /// Rows the contract's rules reject, per source and reason.
    rejects: BTreeMap<Source, BTreeMap<String, u64>>,
    /// Whether the session holds the views yet.
    prepared: Mutex<bool>,
}

/// The tables of the sources: those named in the settings, else the store's,
/// each with the columns the store's files name absent (their exports lacked
/// them; the files hold them as nulls).
fn locations(
    settings: &EngineSettings,
    store: Option<&Path>,
) -> Result<Vec<(Source, Location, BTreeSet<String>)>> {
    if !settings.sources.is_empty() {
        let named = settings.sources.iter().cloned();
        return Ok(named.map(|(s, l)| (s, l, BTreeSet::new())).collect());
    }
    let Some(dir) = store.or(settings.store.as_deref()) else {
        bail!("no tables to read: give --store DIR, or name them in svcq.toml (`[engine.spark]` tickets = \"db.tickets\", or a Parquet path; docs/scaling.md)");
    };
    // An absolute path: the engine's working folder is not svcq's.
    let dir = &std::fs::canonicalize(dir).with_context(|| format!("store {}", dir.display()))?;
    let mut out = Vec::new();
    for stored in crate::source::store::open_store(dir)? {
        if !stored.files.is_empty() {
            out.push((
                stored.source,
                Location::Store(stored.path.display().to_string()),
                crate::source::store::absent_columns(&stored)?,
            ));
        }
    }
    if out.is_empty() {
        bail!(
            "store {}: holds no source yet (svcq ingest writes them)",
            dir.display()
        );
    }
    Ok(out)
}

impl SqlEngine {
    pub fn connect(
        dialect: Dialect,
        settings: &EngineSettings,
        store: Option<&Path>,
    ) -> Result<SqlEngine> {
        let locations = locations(settings, store)?;
        let (command, args) = settings.command(dialect);
        let spinner = crate::fsutil::spinner(&format!("{dialect}: starting a session"));
        let session = Session::start(&command, &args);
        spinner.finish_and_clear();
        let mut session = session.with_context(|| {
            format!("{dialect} is not reachable (the command is set in svcq.toml [engine.{dialect}]; docs/scaling.md)")
        })?;
        let mut tables = BTreeMap::new();
        let (mut rows, mut filled, mut latest) =
            (BTreeMap::new(), BTreeMap::new(), BTreeMap::new());
        let mut ranges = BTreeMap::new();
        let mut rejects = BTreeMap::new();
        for (source, location, absent) in locations {
            let (sql, origin) = match &location {
                Location::Table(name) => (name.clone(), name.clone()),
                Location::Parquet(path) | Location::Store(path) => {
                    (dialect.parquet(path), path.clone())
                }
            };
            let from_store = matches!(location, Location::Store(_));
            let schema = session
                .query(&format!("SELECT * FROM {sql} LIMIT 0"))
                .with_context(|| format!("reading the {source} table {origin}"))?;
            let table = Table {
                sql,
                origin,
                columns: Some(
                    schema
                        .columns
                        .into_iter()
                        .filter(|c| !absent.iter().any(|a| a.eq_ignore_ascii_case(c)))
                        .collect(),
                ),
                validated: from_store,
            };
            let statement = Statement::profile_sql(dialect, source, &table);
            let spinner =
                crate::fsutil::spinner(&format!("{dialect}: profiling the {source} table"));
            let profile = session.query(&statement);
            spinner.finish_and_clear();
            let profile = profile
                .with_context(|| format!("profiling the {source} table {}", table.origin))?;
            // The accepted rows' statistics; the other rows are the rejects.
            let reason = profile.index("svcq_reason")?;
            let count = profile.index("svcq_rows")?;
            let mut reasons = BTreeMap::new();
            for r in &profile.rows {
                if let Some(why) = r[reason].as_str() {
                    reasons.insert(why.to_string(), number(&r[count]).unwrap_or(0.0) as u64);
                }
            }
            rejects.insert(source, reasons);
            let empty = vec![serde_json::Value::Null; profile.columns.len()];
            let row = profile
                .rows
                .iter()
                .find(|r| r[reason].is_null())
                .unwrap_or(&empty);
            let value = |name: &str| profile.index(name).ok().and_then(|i| number(&row[i]));
            rows.insert(source, value("svcq_rows").unwrap_or(0.0) as u64);
            let mut counts = BTreeMap::new();
            let mut last: Option<i64> = None;
            let mut range: Option<(i64, i64)> = None;
            for spec in source.columns() {
                if let Some(n) = value(&format!("n__{}", spec.name)) {
                    counts.insert(spec.name.to_string(), n as u64);
                }
                let (Some(lo), Some(hi)) = (
                    value(&format!("min__{}", spec.name)),
                    value(&format!("max__{}", spec.name)),
                ) else {
                    continue;
                };
                let (lo, hi) = (lo as i64, hi as i64);
                range = Some(range.map_or((lo, hi), |(a, b)| (a.min(lo), b.max(hi))));
                if spec.kind == Kind::Timestamp(Moment::Event) {
                    last = Some(last.map_or(hi, |l| l.max(hi)));
                }
            }
            if let Some(range) = range {
                ranges.insert(source, range);
            }
            filled.insert(source, counts);
            latest.insert(source, last);
            tables.insert(source, table);
        }
        Ok(SqlEngine {
            dialect,
            session: Some(Mutex::new(session)),
            written: Mutex::new(Vec::new()),
            tables,
            rows,
            filled,
            latest,
            ranges,
            rejects,
            prepared: Mutex::new(false),
        })
    }

    /// An engine that runs nothing and writes its statements down, over the
    /// tables as named, assuming each has every contract column.
    pub fn dry(
        dialect: Dialect,
        settings: &EngineSettings,
        store: Option<&Path>,
    ) -> Result<SqlEngine> {
        let mut tables = BTreeMap::new();
        for (source, location, absent) in locations(settings, store)? {
            let (sql, origin) = match &location {
                Location::Table(name) => (name.clone(), name.clone()),
                Location::Parquet(path) | Location::Store(path) => {
                    (dialect.parquet(path), path.clone())
                }
            };
            let validated = matches!(location, Location::Store(_));
            tables.insert(
                source,
                Table {
                    sql,
                    origin,
                    // Every contract column but those a store's files name absent.
                    columns: (!absent.is_empty()).then(|| {
                        let names = source.columns().iter().map(|c| c.name.to_string());
                        names.filter(|c| !absent.contains(c)).collect()
                    }),
                    validated,
                },
            );
        }
        Ok(SqlEngine {
            dialect,
            session: None,
            written: Mutex::new(Vec::new()),
            tables,
            rows: BTreeMap::new(),
            filled: BTreeMap::new(),
            latest: BTreeMap::new(),
            ranges: BTreeMap::new(),
            rejects: BTreeMap::new(),
            prepared: Mutex::new(false),
        })
    }

    /// Whether statements run (not a dry engine).
    pub fn is_live(&self) -> bool {
        self.session.is_some()
    }

    /// Creates the views in the session once — the validated, derived sources
    /// computed once and kept (Spark's `CACHE TABLE`, a DuckDB temporary table)
    /// — so every later statement reads them instead of recomputing them.
    pub fn prepare(&self, statement: &Statement, jobs: &[Job]) -> Result<()> {
        if !self.is_live() {
            return Ok(());
        }
        let mut prepared = self.prepared.lock().unwrap_or_else(|e| e.into_inner());
        if *prepared {
            return Ok(());
        }
        let started = std::time::Instant::now();
        for view in statement.views(jobs) {
            let create = match (self.dialect, view.keep) {
                (Dialect::Spark, false) => format!(
                    "CREATE OR REPLACE TEMPORARY VIEW {} AS {}",
                    view.name, view.sql
                ),
                (Dialect::Spark, true) => format!("CACHE TABLE {} AS {}", view.name, view.sql),
                (Dialect::Duckdb, false) => format!(
                    "CREATE OR REPLACE TEMPORARY VIEW {} AS {}",
                    view.name, view.sql
                ),
                (Dialect::Duckdb, true) => format!(
                    "CREATE OR REPLACE TEMPORARY TABLE {} AS {}",
                    view.name, view.sql
                ),
            };
            self.run(&create, "validating and deriving the sources")
                .with_context(|| format!("preparing {}", view.name))?;
        }
        crate::ui::detail(format!(
            "{}: sources validated and derived in {:.2} s",
            self.dialect,
            started.elapsed().as_secs_f64()
        ));
        *prepared = true;
        Ok(())
    }

    /// The statements a dry engine was asked to run, in order.
    pub fn written(&self) -> Vec<String> {
        self.written
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The dataset the engine sees: each source's columns with no rows (the rows
    /// stay in the engine) and its counts.
    pub fn dataset(&self, tz: Tz) -> Result<Dataset> {
        let mut dataset = Dataset {
            tz,
            sources: BTreeMap::new(),
            skipped: BTreeMap::new(),
        };
        for source in Source::ALL {
            let Some(table) = self.tables.get(&source) else {
                dataset
                    .skipped
                    .insert(source, format!("no {source} table given"));
                continue;
            };
            let columns: Vec<Column> = source
                .columns()
                .iter()
                .map(|spec| Column::new_empty(spec.name.into(), &spec.dtype()))
                .collect();
            let rows = self.rows.get(&source).copied().unwrap_or(0);
            let reasons = self.rejects.get(&source).cloned().unwrap_or_default();
            let absent = source
                .columns()
                .iter()
                .filter(|c| !table.has(c.name))
                .map(|c| c.name.to_string())
                .collect();
            let stats = InputStats::of_table(
                format!("{} ({})", table.origin, self.dialect),
                rows,
                reasons,
                absent,
            );
            dataset.sources.insert(
                source,
                Loaded {
                    frame: DataFrame::new(0, columns)?,
                    stats,
                    rejects: Vec::new(),
                },
            );
        }
        Ok(dataset)
    }

    /// The latest event: of the tickets when given, else of the other sources.
    pub fn latest(&self) -> Option<i64> {
        let sources: &[Source] = if self.tables.contains_key(&Source::Tickets) {
            &[Source::Tickets]
        } else {
            &[Source::Shipments, Source::Reviews]
        };
        sources
            .iter()
            .filter_map(|s| self.latest.get(s).copied().flatten())
            .max()
    }

    /// Whether a source has rows and none with a value in `column`.
    pub fn lacks(&self, source: Source, column: &str) -> bool {
        let rows = self.rows.get(&source).copied().unwrap_or(0);
        let filled = self
            .filled
            .get(&source)
            .and_then(|f| f.get(column))
            .copied()
            .unwrap_or(0);
        rows > 0 && filled == 0
    }

    pub fn query(&self, sql: &str) -> Result<super::runner::Rows> {
        self.run(sql, "running a statement")
    }

    /// Runs a statement with a spinner saying `what` on a terminal.
    fn run(&self, sql: &str, what: &str) -> Result<super::runner::Rows> {
        let Some(session) = &self.session else {
            self.written
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(sql.to_string());
            return Ok(super::runner::Rows {
                columns: Vec::new(),
                rows: Vec::new(),
            });
        };
        let mut session = session.lock().unwrap_or_else(|e| e.into_inner());
        let spinner = crate::fsutil::spinner(&format!("{}: {what}", self.dialect));
        let rows = session.query(sql);
        spinner.finish_and_clear();
        rows
    }

    /// The aggregates of each job, in the jobs' order.
    pub fn aggregates(&self, statement: &Statement, jobs: &[Job]) -> Result<Vec<GroupRows>> {
        let mut out: Vec<GroupRows> = vec![GroupRows::new(); jobs.len()];
        if jobs.is_empty() {
            return Ok(out);
        }
        self.prepare(statement, jobs)?;
        let sql = statement.sql(jobs)?;
        let started = std::time::Instant::now();
        let answer = self.run(&sql, &format!("{} jobs", jobs.len()))?;
        if self.session.is_none() {
            return Ok(out);
        }
        crate::ui::detail(format!(
            "{}: {} jobs, {} rows in {:.2} s",
            self.dialect,
            jobs.len(),
            answer.rows.len(),
            started.elapsed().as_secs_f64()
        ));
        let (job_col, grp_col) = (answer.index("job")?, answer.index("grp")?);
        let width = super::width(jobs);
        let value_cols: Vec<usize> = (0..width)
            .map(|i| answer.index(&format!("a{i}")))
            .collect::<Result<_>>()?;
        for row in &answer.rows {
            let job = number(&row[job_col]).context("internal: a row without its job")? as usize;
            let Some(spec) = jobs.get(job) else {
                bail!("internal: an answer for job {job}")
            };
            let plan_width = Plan::new(spec.source, spec.cohort).width();
            let key = spec
                .dimension
                .as_ref()
                .map(|_| row[grp_col].as_str().unwrap_or("(none)").to_string());
            let values = value_cols
                .iter()
                .take(plan_width)
                .map(|&i| number(&row[i]))
                .collect();
            out[job].insert(key, values);
        }
        // An unsplit cohort always has its row, empty or not (as polars selects one).
        for (job, rows) in jobs.iter().zip(out.iter_mut()) {
            if job.dimension.is_none() && rows.is_empty() {
                rows.insert(None, Plan::new(job.source, job.cohort).empty_row());
            }
        }
        Ok(out)
    }
}
