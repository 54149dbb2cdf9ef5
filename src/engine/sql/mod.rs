//! The metric catalogue as SQL, for engines past one machine (Spark) and as a
//! second engine (DuckDB): `svcq sql` prints it, `--engine spark|duckdb` runs it
//! and reads the aggregates back into the same result model.
//!
//! The SQL is not written by hand per metric: it is generated from the same
//! aggregation plans (`aggregate::Plan`) the polars engine runs, so a metric
//! added to the catalogue is in both. The statement answers *jobs* — a source's
//! cohort over a period, maybe split by a dimension or narrowed to a segment — one
//! row of aggregates per job and group; the engine turns them into metric values
//! exactly as it does the polars aggregates. Every kind of aggregate has its SQL
//! in one exhaustive match (`expr.rs`), so a new kind cannot be left out of the
//! SQL silently: it does not compile until it has one.

mod backend;
mod clock;
mod dialect;
mod expr;
pub mod runner;
pub mod settings;
mod text;
mod validate;

use std::collections::BTreeMap;

use anyhow::{bail, Result};

pub use backend::{GroupRows, SqlEngine};
pub use dialect::Dialect;
use expr::Ctx;

use super::aggregate::{Agg, Plan};
use super::catalogue::{Cohort, Span, NEGATIVE};
use super::clock::Clocks;
use super::followups;
use super::model::Group;
use super::targets::Windows;
use crate::source::{Kind, Moment, Source};
use crate::text::Lexicon;

/// How one source is read: a table expression and the columns it has.
#[derive(Debug, Clone)]
pub struct Table {
    /// A table name (`warehouse.support.tickets`) or a Parquet reference.
    pub sql: String,
    /// What it was named as, for messages and the report's inputs.
    pub origin: String,
    /// Its columns; None: assume every contract column is there.
    pub columns: Option<Vec<String>>,
    /// Written by `svcq ingest`, so validated already: the rules are not run again.
    pub validated: bool,
}

impl Table {
    fn has(&self, column: &str) -> bool {
        self.columns
            .as_ref()
            .is_none_or(|cs| cs.iter().any(|c| c.eq_ignore_ascii_case(column)))
    }
}

/// A source's cohort over one period, maybe split or narrowed.
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    pub source: Source,
    pub cohort: Cohort,
    pub from: i64,
    pub to: i64,
    /// The moment an open-at-end cohort is looked at.
    pub snapshot: i64,
    pub dimension: Option<String>,
    pub filters: Group,
}

/// Everything a statement is generated from.
pub struct Statement<'a> {
    pub dialect: Dialect,
    pub tables: &'a BTreeMap<Source, Table>,
    pub windows: &'a Windows,
    pub clocks: &'a Clocks,
    pub lexicon: &'a Lexicon,
    pub as_of: i64,
    /// Whether the data is taken as it stood at `as_of` (`--as-of` given).
    pub censor: bool,
    /// The first and last timestamp of each source, when known: the business
    /// calendar covers them (else the periods, a year each side).
    pub ranges: &'a BTreeMap<Source, (i64, i64)>,
    /// The session already holds the views ([`Statement::views`]): statements
    /// name them instead of repeating them.
    pub prepared: bool,
}

/// A named view a statement reads: a CTE, or created once in the session.
#[derive(Debug, Clone)]
pub struct View {
    pub name: String,
    pub sql: String,
    /// The engine computes it once and keeps it (the derived sources every job
    /// reads), rather than recomputing it per reference.
    pub keep: bool,
}

impl View {
    fn new(name: String, sql: String) -> View {
        View {
            name,
            sql,
            keep: false,
        }
    }
}

/// The result columns: job, grp, then a0 … a{width-1}.
pub fn width(jobs: &[Job]) -> usize {
    jobs.iter()
        .map(|j| Plan::new(j.source, j.cohort).width())
        .max()
        .unwrap_or(0)
}

impl Statement<'_> {
    fn ctx(&self) -> Ctx<'_> {
        Ctx {
            dialect: self.dialect,
            windows: self.windows,
            sla_business: &self.clocks.sla_business,
            as_of: self.as_of,
        }
    }

    fn view_name(source: Source) -> String {
        format!("svcq_{}", source.name())
    }

    /// A source's accepted rows as the contract's columns (`validate`), as
    /// they stood at the as-of time when censored.
    fn source_view(&self, source: Source, table: &Table) -> String {
        let read = validate::accepted(source, table);
        if !self.censor {
            return read;
        }
        let anchor = source.anchor_column();
        let censored: Vec<String> = source
            .columns()
            .iter()
            .map(|spec| {
                if spec.kind == Kind::Timestamp(Moment::Event) && spec.name != anchor {
                    format!(
                        "CASE WHEN {c} > {t} THEN NULL ELSE {c} END AS {c}",
                        c = spec.name,
                        t = self.as_of
                    )
                } else {
                    spec.name.to_string()
                }
            })
            .collect();
        format!(
            "SELECT {} FROM ({read}) c WHERE {anchor} <= {t} OR {anchor} IS NULL",
            censored.join(", "),
            t = self.as_of
        )
    }

    /// Reviews with their follow-up time (`followups.rs`) and aspect mentions
    /// (`mentions.rs`).
    fn reviews_view(&self) -> String {
        let ctx = self.ctx();
        let negative = ctx.cond(&NEGATIVE);
        // The folded text once per row, for every aspect's test.
        let texts = text::folded_text(self.dialect, &negative);
        let from = format!("FROM (SELECT r.*, {texts} FROM svcq_reviews_base r) r");
        let followed = if self.tables.contains_key(&Source::Tickets) {
            let tickets = Self::view_name(Source::Tickets);
            // The earliest of: the ticket the review names (at its creation, or the
            // review's own time when older) and a ticket on the same non-empty
            // order created at or after the review.
            let named = "CASE WHEN nt.at IS NULL THEN NULL WHEN nt.at > r.created_at THEN nt.at ELSE r.created_at END";
            format!(
                "CASE WHEN COALESCE({negative}, FALSE) THEN \
                 CASE WHEN ({named}) IS NULL THEN ot.at WHEN ot.at IS NULL THEN ({named}) \
                 WHEN ot.at < ({named}) THEN ot.at ELSE ({named}) END END AS {col} {from} \
                 LEFT JOIN (SELECT ticket_id, max(created_at) AS at FROM {tickets} WHERE created_at IS NOT NULL AND ticket_id IS NOT NULL GROUP BY ticket_id) nt ON nt.ticket_id = r.ticket_id \
                 LEFT JOIN (SELECT o.order_id, o.created_at, min(t.created_at) AS at FROM \
                 (SELECT DISTINCT r.order_id, r.created_at FROM svcq_reviews_base r WHERE COALESCE({negative}, FALSE) AND r.order_id <> '') o \
                 JOIN {tickets} t ON t.order_id = o.order_id AND t.created_at >= o.created_at GROUP BY o.order_id, o.created_at) ot \
                 ON ot.order_id = r.order_id AND ot.created_at = r.created_at",
                col = followups::COLUMN
            )
        } else {
            format!("CAST(NULL AS BIGINT) AS {} {from}", followups::COLUMN)
        };
        let mentions = text::mention_columns(self.dialect, self.lexicon);
        format!("SELECT r.*, {mentions}, {followed}")
    }

    /// The source views every statement starts from: each table as the contract
    /// (`svcq_<source>_base`), then with what the engine derives (`svcq_<source>`):
    /// business-time columns, follow-ups, mentions. `jobs` bound the business
    /// calendar when the data's own range is not known.
    pub fn views(&self, jobs: &[Job]) -> Vec<View> {
        let mut ctes = Vec::new();
        for (&source, table) in self.tables {
            let name = source.name();
            let raw = validate::raw_view(self.dialect, source, table);
            ctes.push(View::new(format!("svcq_{name}_raw"), raw));
            ctes.push(View::new(
                format!("svcq_{name}_base"),
                self.source_view(source, table),
            ));
        }
        for &source in self.tables.keys() {
            let view = match source {
                Source::Reviews => self.reviews_view(),
                _ => {
                    let (from, to) = self.calendar_range(source, jobs);
                    let schedule = clock::schedule_of(self.dialect, source, self.clocks);
                    let calendar = clock::Calendar::new(
                        self.dialect,
                        source,
                        self.clocks,
                        from,
                        to,
                        self.as_of,
                    );
                    match (schedule, calendar) {
                        (Some(schedule), Some(calendar)) => {
                            let view = calendar.view(self.dialect, source, &schedule, self.as_of);
                            ctes.push(View::new(calendar.name, calendar.sql));
                            view
                        }
                        _ => clock::null_columns(source),
                    }
                }
            };
            ctes.push(View {
                name: Self::view_name(source),
                sql: view,
                keep: true,
            });
        }
        ctes
    }

    /// `WITH` the views (none when the session holds them) and `more` CTEs.
    fn with(&self, jobs: &[Job], more: Vec<String>) -> String {
        let views = if self.prepared {
            Vec::new()
        } else {
            self.views(jobs)
        };
        let ctes: Vec<String> = views
            .into_iter()
            .map(|v| format!("{} AS ({})", v.name, v.sql))
            .chain(more)
            .collect();
        if ctes.is_empty() {
            String::new()
        } else {
            format!("WITH {}\n", ctes.join(",\n"))
        }
    }

    /// The instants a source's business calendar covers.
    fn calendar_range(&self, source: Source, jobs: &[Job]) -> (i64, i64) {
        if let Some(&range) = self.ranges.get(&source) {
            return range;
        }
        const YEAR: i64 = 366 * crate::source::timestamp::MS_PER_DAY;
        let from = jobs.iter().map(|j| j.from).min().unwrap_or(self.as_of);
        let to = jobs.iter().map(|j| j.to).max().unwrap_or(self.as_of);
        (from - YEAR, to.max(self.as_of) + YEAR)
    }

    /// `FROM` the job's records joined with the periods of `members` (jobs that
    /// differ only in their period), narrowed to its segment.
    fn from(&self, jobs: &[Job], members: &[usize]) -> Result<String> {
        let d = self.dialect;
        let job = &jobs[members[0]];
        if !self.tables.contains_key(&job.source) {
            bail!("internal: a job on {} without its table", job.source);
        }
        let periods: Vec<String> = members
            .iter()
            .map(|&i| {
                let j = &jobs[i];
                format!("({i}, {}, {}, {})", j.from, j.to, j.snapshot)
            })
            .collect();
        let cohort = match job.cohort {
            Cohort::Anchored | Cohort::AnchoredOn(_) => {
                let anchor = match job.cohort {
                    Cohort::AnchoredOn(a) => a,
                    _ => job.source.anchor_column(),
                };
                format!("r.{anchor} >= p.p_from AND r.{anchor} < p.p_to")
            }
            Cohort::OpenAtEnd { start, end } => {
                format!("r.{start} < p.snapshot AND (r.{end} IS NULL OR r.{end} > p.snapshot)")
            }
        };
        let mut filter = vec!["TRUE".to_string()];
        for (dim, value) in &job.filters {
            filter.push(format!("r.{} = {}", d.ident(dim), d.text(value)));
        }
        Ok(format!(
            "FROM {} r JOIN {} p ON {cohort} WHERE {}",
            Self::view_name(job.source),
            d.values(&periods, &["job", "p_from", "p_to", "snapshot"]),
            filter.join(" AND ")
        ))
    }

    /// The durations of `span` in ms over the job's records that have one.
    pub fn samples_sql(&self, job: &Job, span: &Span) -> Result<String> {
        let jobs = std::slice::from_ref(job);
        let ms = self.ctx().span_ms(span);
        Ok(format!(
            "{}SELECT {ms} AS ms {} AND {ms} IS NOT NULL",
            self.with(jobs, Vec::new()),
            self.from(jobs, &[0])?
        ))
    }

    /// Records per value of `field` over the job's records.
    pub fn counts_sql(&self, job: &Job, field: &str) -> Result<String> {
        let jobs = std::slice::from_ref(job);
        let f = format!("r.{}", self.dialect.ident(field));
        Ok(format!(
            "{}SELECT {f} AS v, CAST(count(*) AS BIGINT) AS n {} GROUP BY {f}",
            self.with(jobs, Vec::new()),
            self.from(jobs, &[0])?
        ))
    }

    /// The whole statement for `jobs`: rows (job, grp, a0 … a{width-1}).
    pub fn sql(&self, jobs: &[Job]) -> Result<String> {
        if jobs.is_empty() {
            bail!("internal: no SQL jobs");
        }
        let mut ctes = Vec::new();
        // Jobs that differ only in their period share one scan, joined with a
        // table of their periods.
        let mut groups: Vec<(&Job, Vec<usize>)> = Vec::new();
        for (i, job) in jobs.iter().enumerate() {
            match groups.iter_mut().find(|(j, _)| {
                j.source == job.source
                    && j.cohort == job.cohort
                    && j.dimension == job.dimension
                    && j.filters == job.filters
            }) {
                Some((_, members)) => members.push(i),
                None => groups.push((job, vec![i])),
            }
        }
        let width = width(jobs);
        let ctx = self.ctx();
        let d = self.dialect;
        let mut parts = Vec::new();
        for (k, (job, members)) in groups.iter().enumerate() {
            let plan = Plan::new(job.source, job.cohort);
            let from = self.from(jobs, members)?;
            let grp = match &job.dimension {
                Some(dim) => format!("COALESCE(r.{}, '(none)')", d.ident(dim)),
                None => format!("CAST('' AS {})", d.string_type()),
            };
            let mut selected = Vec::new();
            let mut survivals = Vec::new();
            for (i, agg) in plan.aggs().iter().enumerate() {
                match ctx.agg(agg) {
                    Some(sql) => selected.push(format!("{sql} AS a{i}")),
                    None => {
                        if let Agg::Survival(span, filter, p) = *agg {
                            let samples = ctx.survival_samples(span, &filter, &from, &grp);
                            ctes.push(format!("s{k}_{i} AS ({})", ctx.survival(&samples, p)));
                            survivals.push(i);
                        }
                    }
                }
            }
            ctes.push(format!(
                "g{k} AS (SELECT p.job AS job, {grp} AS grp, {} {from} GROUP BY p.job, {grp})",
                selected.join(", ")
            ));
            let columns: Vec<String> = (0..width)
                .map(|i| {
                    if survivals.contains(&i) {
                        format!("s{i}.v AS a{i}")
                    } else if i < plan.width() {
                        format!("g.a{i}")
                    } else {
                        format!("CAST(NULL AS DOUBLE) AS a{i}")
                    }
                })
                .collect();
            let joins: Vec<String> = survivals
                .iter()
                .map(|i| {
                    format!(" LEFT JOIN s{k}_{i} s{i} ON s{i}.job = g.job AND s{i}.grp = g.grp")
                })
                .collect();
            parts.push(format!(
                "SELECT g.job, g.grp, {} FROM g{k} g{}",
                columns.join(", "),
                joins.concat()
            ));
        }
        Ok(format!(
            "{}{}\nORDER BY job, grp",
            self.with(jobs, ctes),
            parts.join("\nUNION ALL\n")
        ))
    }

    /// Per source and rejection reason (null: accepted): rows, non-empty values
    /// per column, and the first and last of each timestamp (the as-of time, the
    /// business calendar's range, what a split can use).
    pub fn profile_sql(dialect: Dialect, source: Source, table: &Table) -> String {
        let d = dialect;
        let mut columns = vec![
            "svcq_reason".to_string(),
            "CAST(count(*) AS BIGINT) AS svcq_rows".to_string(),
        ];
        for spec in source.columns() {
            if !table.has(spec.name) {
                continue;
            }
            columns.push(format!(
                "CAST(count({c}) AS BIGINT) AS {}",
                d.ident(&format!("n__{}", spec.name)),
                c = spec.name
            ));
            if matches!(spec.kind, Kind::Timestamp(_)) {
                for f in ["min", "max"] {
                    columns.push(format!(
                        "{f}({}) AS {}",
                        spec.name,
                        d.ident(&format!("{f}__{}", spec.name))
                    ));
                }
            }
        }
        format!(
            "SELECT {} FROM ({}) r GROUP BY svcq_reason",
            columns.join(", "),
            validate::raw_view(dialect, source, table)
        )
    }
}
