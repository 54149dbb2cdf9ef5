//! `[engine.spark]` and `[engine.duckdb]` in svcq.toml: how to reach the engine
//! and which tables hold the three sources.

use std::path::{Path, PathBuf};

use anyhow::{bail, Result};
use serde::Deserialize;

use super::Dialect;
use crate::source::Source;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnginesSpec {
    spark: Option<EngineSpec>,
    duckdb: Option<EngineSpec>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct EngineSpec {
    submit: Option<Vec<String>>,
    connect: Option<String>,
    python: Option<String>,
    store: Option<String>,
    tickets: Option<String>,
    shipments: Option<String>,
    reviews: Option<String>,
}

/// Where a source is read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A table the engine knows (`warehouse.support.tickets`).
    Table(String),
    /// A Parquet file or a folder of Hive-style partitions.
    Parquet(String),
    /// A source's folder in an svcq store (validated when ingested).
    Store(String),
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EngineSettings {
    /// The command that runs a PySpark script (spark; default `spark-submit`).
    pub submit: Vec<String>,
    /// A Spark Connect URL: the session runs under `python` instead of `submit`.
    pub connect: Option<String>,
    /// The Python the session runs under (duckdb, or spark with `connect`).
    pub python: String,
    /// An svcq store (`svcq ingest`) the engine can read by path.
    pub store: Option<PathBuf>,
    /// Tables or Parquet paths per source (they win over `store`).
    pub sources: Vec<(Source, Location)>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Engines {
    pub spark: EngineSettings,
    pub duckdb: EngineSettings,
}

impl Engines {
    pub fn get(&self, dialect: Dialect) -> &EngineSettings {
        match dialect {
            Dialect::Spark => &self.spark,
            Dialect::Duckdb => &self.duckdb,
        }
    }
}

impl EnginesSpec {
    /// Paths relative to the targets file's folder (`base`).
    pub fn validate(self, origin: &str, base: Option<&Path>) -> Result<Engines> {
        Ok(Engines {
            spark: settings(self.spark, origin, "engine.spark", base)?,
            duckdb: settings(self.duckdb, origin, "engine.duckdb", base)?,
        })
    }
}

fn settings(
    spec: Option<EngineSpec>,
    origin: &str,
    key: &str,
    base: Option<&Path>,
) -> Result<EngineSettings> {
    let spec = spec.unwrap_or_default();
    let resolve = |p: &str| match base {
        Some(b) if Path::new(p).is_relative() && !p.contains("://") => b.join(p),
        _ => PathBuf::from(p),
    };
    let submit = spec.submit.unwrap_or_else(|| vec!["spark-submit".into()]);
    if submit.is_empty() {
        bail!("{origin}: [{key}] submit is empty; give the command, e.g. [\"spark-submit\", \"--master\", \"local[2]\"]");
    }
    let mut sources = Vec::new();
    for (source, value) in [
        (Source::Tickets, spec.tickets),
        (Source::Shipments, spec.shipments),
        (Source::Reviews, spec.reviews),
    ] {
        let Some(value) = value else { continue };
        let looks_like_path = value.contains('/') || value.ends_with(".parquet");
        let location = if looks_like_path {
            Location::Parquet(resolve(&value).display().to_string())
        } else {
            Location::Table(value)
        };
        sources.push((source, location));
    }
    Ok(EngineSettings {
        submit,
        connect: spec.connect,
        python: spec.python.map_or_else(
            || "python3".to_string(),
            |p| {
                if p.contains('/') {
                    resolve(&p).display().to_string()
                } else {
                    p
                }
            },
        ),
        store: spec.store.map(|s| resolve(&s)),
        sources,
    })
}

impl EngineSettings {
    /// The command that starts the session script (its path goes after it).
    pub fn command(&self, dialect: Dialect) -> (Vec<String>, Vec<String>) {
        match (dialect, &self.connect) {
            (Dialect::Spark, None) => {
                (self.submit.clone(), vec!["--engine".into(), "spark".into()])
            }
            (Dialect::Spark, Some(url)) => (
                vec![self.python.clone()],
                vec![
                    "--engine".into(),
                    "spark".into(),
                    "--remote".into(),
                    url.clone(),
                ],
            ),
            (Dialect::Duckdb, _) => (
                vec![self.python.clone()],
                vec!["--engine".into(), "duckdb".into()],
            ),
        }
    }
}
