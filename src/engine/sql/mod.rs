//! The metric catalogue as SQL, for engines past one machine (Spark) and as a
//! second engine (DuckDB): `svcq sql` prints it, `--engine spark|duckdb` runs it
//! and reads the aggregates back into the same result model.
//!
//! The SQL is not written by hand per metric: it is generated from the same
//! aggregation plans (`aggregate::Plan`) the polars engine runs, so a metric
//! added to the catalogue is in both. The statement answers *jobs* — a source's
//! cohort over a period, maybe split by a dimension or narrowed to a segment — one
//! row of aggregates per job and group; the engine turns them into metric values
//! exactly as it does the polars aggregates. What SQL cannot express yet
//! (business-hours clocks) fails with the metrics' names.

mod backend;
mod dialect;
mod expr;
pub mod runner;
pub mod settings;
mod text;

use std::collections::BTreeMap;

use anyhow::{bail, Result};

pub use backend::{GroupRows, SqlEngine};
pub use dialect::Dialect;
use expr::Ctx;

use super::aggregate::{Agg, Inputs, Plan};
use super::catalogue::{Clock, Cohort, Measure, Span, METRICS, NEGATIVE};
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
    pub lexicon: &'a Lexicon,
    pub as_of: i64,
    /// Whether the data is taken as it stood at `as_of` (`--as-of` given).
    pub censor: bool,
}

/// Metrics SQL cannot compute yet on this configuration, with the reason; the
/// engine refuses them by name rather than leave them out.
pub fn inexpressible(inputs: &Inputs, sla_business: &[&str]) -> Vec<(&'static str, &'static str)> {
    let mut out = Vec::new();
    for m in METRICS {
        if m.source().is_none() || !inputs.can_compute(m) {
            continue;
        }
        if m.clock() != Clock::Calendar {
            out.push((
                m.id,
                "business-hours and working-day clocks are not in the SQL backend yet",
            ));
        } else if !sla_business.is_empty() {
            if let Measure::WithinWindow { span, .. } = m.measure {
                if span.business.is_some() {
                    out.push((m.id, "an SLA on the business clock (`[sla] clock`) is not in the SQL backend yet"));
                }
            }
        }
    }
    out
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
            as_of: self.as_of,
        }
    }

    fn view_name(source: Source) -> String {
        format!("svcq_{}", source.name())
    }

    /// A source's contract columns, timestamps as UTC ms, absent ones null; as it
    /// stood at the as-of time when censored.
    fn source_view(&self, source: Source, table: &Table) -> String {
        let d = self.dialect;
        let columns: Vec<String> = source
            .columns()
            .iter()
            .map(|spec| {
                let ty = match spec.kind {
                    Kind::Timestamp(_) | Kind::Count | Kind::Integer { .. } => "BIGINT",
                    _ => d.string_type(),
                };
                let value = if !table.has(spec.name) {
                    format!("CAST(NULL AS {ty})")
                } else if matches!(spec.kind, Kind::Timestamp(_)) {
                    d.millis(&d.ident(spec.name))
                } else {
                    format!("CAST({} AS {ty})", d.ident(spec.name))
                };
                format!("{value} AS {}", spec.name)
            })
            .collect();
        let read = format!("SELECT {} FROM {}", columns.join(", "), table.sql);
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
        let followed = if self.tables.contains_key(&Source::Tickets) {
            let tickets = Self::view_name(Source::Tickets);
            // The earliest of: the ticket the review names (at its creation, or the
            // review's own time when older) and a ticket on the same non-empty
            // order created at or after the review.
            let named = "CASE WHEN nt.at IS NULL THEN NULL WHEN nt.at > r.created_at THEN nt.at ELSE r.created_at END";
            format!(
                "CASE WHEN COALESCE({negative}, FALSE) THEN \
                 CASE WHEN ({named}) IS NULL THEN ot.at WHEN ot.at IS NULL THEN ({named}) \
                 WHEN ot.at < ({named}) THEN ot.at ELSE ({named}) END END AS {col} \
                 FROM svcq_reviews_base r \
                 LEFT JOIN (SELECT ticket_id, max(created_at) AS at FROM {tickets} WHERE created_at IS NOT NULL AND ticket_id IS NOT NULL GROUP BY ticket_id) nt ON nt.ticket_id = r.ticket_id \
                 LEFT JOIN (SELECT o.order_id, o.created_at, min(t.created_at) AS at FROM \
                 (SELECT DISTINCT r.order_id, r.created_at FROM svcq_reviews_base r WHERE COALESCE({negative}, FALSE) AND r.order_id <> '') o \
                 JOIN {tickets} t ON t.order_id = o.order_id AND t.created_at >= o.created_at GROUP BY o.order_id, o.created_at) ot \
                 ON ot.order_id = r.order_id AND ot.created_at = r.created_at",
                col = followups::COLUMN
            )
        } else {
            format!(
                "CAST(NULL AS BIGINT) AS {} FROM svcq_reviews_base r",
                followups::COLUMN
            )
        };
        let mentions = text::mention_columns(self.dialect, self.lexicon, &negative);
        format!("SELECT r.*, {mentions}, {followed}")
    }

    /// The source views every statement starts from.
    fn views(&self) -> Vec<String> {
        let mut ctes = Vec::new();
        for (&source, table) in self.tables {
            let name = if source == Source::Reviews {
                "svcq_reviews_base".to_string()
            } else {
                Self::view_name(source)
            };
            ctes.push(format!("{name} AS ({})", self.source_view(source, table)));
        }
        if self.tables.contains_key(&Source::Reviews) {
            ctes.push(format!("svcq_reviews AS ({})", self.reviews_view()));
        }
        ctes
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
            "WITH {}\nSELECT {ms} AS ms {} AND {ms} IS NOT NULL",
            self.views().join(",\n"),
            self.from(jobs, &[0])?
        ))
    }

    /// Records per value of `field` over the job's records.
    pub fn counts_sql(&self, job: &Job, field: &str) -> Result<String> {
        let jobs = std::slice::from_ref(job);
        let f = format!("r.{}", self.dialect.ident(field));
        Ok(format!(
            "WITH {}\nSELECT {f} AS v, CAST(count(*) AS BIGINT) AS n {} GROUP BY {f}",
            self.views().join(",\n"),
            self.from(jobs, &[0])?
        ))
    }

    /// The whole statement for `jobs`: rows (job, grp, a0 … a{width-1}).
    pub fn sql(&self, jobs: &[Job]) -> Result<String> {
        if jobs.is_empty() {
            bail!("internal: no SQL jobs");
        }
        let mut ctes = self.views();
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
            "WITH {}\n{}\nORDER BY job, grp",
            ctes.join(",\n"),
            parts.join("\nUNION ALL\n")
        ))
    }

    /// Per source: rows, non-empty values per column, and the latest of each event
    /// timestamp (the as-of time and what a split can use).
    pub fn profile_sql(dialect: Dialect, source: Source, table: &Table) -> String {
        let d = dialect;
        let mut columns = vec!["CAST(count(*) AS BIGINT) AS svcq_rows".to_string()];
        for spec in source.columns() {
            if !table.has(spec.name) {
                continue;
            }
            columns.push(format!(
                "CAST(count({c}) AS BIGINT) AS {}",
                d.ident(&format!("n__{}", spec.name)),
                c = d.ident(spec.name)
            ));
            if spec.kind == Kind::Timestamp(Moment::Event) {
                columns.push(format!(
                    "max({}) AS {}",
                    d.millis(&d.ident(spec.name)),
                    d.ident(&format!("max__{}", spec.name))
                ));
            }
        }
        format!("SELECT {} FROM {}", columns.join(", "), table.sql)
    }
}
