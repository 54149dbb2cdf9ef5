//! `svcq config`: the effective settings and where each comes from — the config
//! file found (and how), or the built-in default.

use std::fmt::Write as _;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Args;

use crate::engine::sql::settings::Location;
use crate::engine::sql::Dialect;
use crate::engine::targets::{locate, SlaHours, Targets, DEFAULT_TOML};
use crate::exit::OK as EXIT_OK;
use crate::source::Source;

#[derive(Debug, Args)]
pub struct ConfigArgs {}

fn hours(h: &SlaHours) -> String {
    format!(
        "urgent {} h, high {} h, normal {} h, low {} h",
        h.urgent, h.high, h.normal, h.low
    )
}

pub fn exec(_args: ConfigArgs) -> Result<ExitCode> {
    let targets = Targets::load(None, &[])?;
    let found = locate(None);
    // Which keys the file itself sets: those are "(svcq.toml)", the rest defaults.
    let raw: toml::Table = match &found {
        Some((path, _)) => toml::from_str(
            &std::fs::read_to_string(path)
                .with_context(|| format!("cannot read config file {}", path.display()))?,
        )?,
        None => toml::from_str(DEFAULT_TOML)?,
    };
    let file = match &found {
        Some((path, _)) => path.display().to_string(),
        None => "built-in defaults".to_string(),
    };
    let has = |path: &[&str]| {
        let mut table = &raw;
        for (i, key) in path.iter().enumerate() {
            match table.get(*key) {
                Some(toml::Value::Table(t)) if i + 1 < path.len() => table = t,
                Some(_) if i + 1 == path.len() => return true,
                _ => return false,
            }
        }
        false
    };
    let from = |set: bool| {
        if set {
            file.clone()
        } else {
            "default".to_string()
        }
    };
    let mut out = String::new();
    match &found {
        Some((path, how)) => writeln!(out, "config file: {} ({how})", path.display())?,
        None => writeln!(
            out,
            "config file: none (no --config, no SVCQ_CONFIG, no svcq.toml here or above); the built-in goals apply"
        )?,
    }
    let mut line = |key: &str, value: String, source: String| {
        writeln!(out, "{key:<26} {value:<60} ({source})").map_err(anyhow::Error::from)
    };
    line(
        "timezone",
        targets.timezone.clone().unwrap_or_else(|| "UTC".into()),
        from(has(&["timezone"])),
    )?;
    let w = &targets.windows;
    line("sla_hours", hours(&w.sla), from(has(&["sla_hours"])))?;
    line(
        "windows.resolution_hours",
        hours(&w.resolution),
        from(has(&["windows", "resolution_hours"])),
    )?;
    line(
        "windows.return_days",
        w.return_days.to_string(),
        from(has(&["windows", "return_days"])),
    )?;
    line(
        "windows.followup_hours",
        w.followup_hours.to_string(),
        from(has(&["windows", "followup_hours"])),
    )?;
    line(
        "sla_resolution_hours",
        hours(&w.sla_resolution),
        from(has(&["sla_resolution_hours"])),
    )?;
    let c = &targets.clocks;
    let schedules: Vec<String> = c
        .schedules
        .iter()
        .map(|s| format!("{} ({})", s.name, s.tz))
        .collect();
    line(
        "schedules",
        if schedules.is_empty() {
            "none: business-time metrics have no data".into()
        } else {
            schedules.join(", ")
        },
        from(has(&["schedules"])),
    )?;
    line(
        "schedule",
        c.tickets
            .map_or("none".into(), |i| c.schedules[i].name.clone()),
        from(has(&["schedule"])),
    )?;
    line(
        "schedule_rule",
        format!("{} rule(s)", c.rules.len()),
        from(has(&["schedule_rule"])),
    )?;
    line(
        "sla.clock",
        if c.sla_business.is_empty() {
            "calendar for every priority".into()
        } else {
            format!("business for {}", c.sla_business.join(", "))
        },
        from(has(&["sla"])),
    )?;
    line(
        "working_days",
        format!(
            "{}; refund_sla {} working days",
            c.working_days
                .map_or("none".into(), |i| c.schedules[i].name.clone()),
            c.refund_sla_days
        ),
        from(has(&["working_days"])),
    )?;
    let text = &targets.text;
    line(
        "complaints",
        format!(
            "min_count {}, top {}; {} aspect terms{}",
            text.min_count,
            text.top,
            text.lexicon.term_count(),
            if text.has_user_dict() {
                "; a user dictionary"
            } else {
                ""
            }
        ),
        from(has(&["complaints"])),
    )?;
    for dialect in [Dialect::Spark, Dialect::Duckdb] {
        let e = targets.engines.get(dialect);
        let start = match (dialect, &e.connect) {
            (Dialect::Spark, None) => e.submit.join(" "),
            (Dialect::Spark, Some(url)) => format!("Spark Connect {url} through {}", e.python),
            (Dialect::Duckdb, _) => e.python.clone(),
        };
        let tables = if !e.sources.is_empty() {
            let named: Vec<String> = e
                .sources
                .iter()
                .map(|(s, l)| match l {
                    Location::Table(t) | Location::Parquet(t) | Location::Store(t) => {
                        format!("{s} {t}")
                    }
                })
                .collect();
            named.join(", ")
        } else if let Some(store) = &e.store {
            format!("the store {}", store.display())
        } else {
            "--store DIR".into()
        };
        line(
            &format!("engine.{dialect}"),
            format!("{start}; reads {tables}"),
            from(has(&["engine", &dialect.to_string()])),
        )?;
    }
    line(
        "targets",
        format!("{} target(s)", targets.targets.len()),
        if has(&["target"]) && found.is_some() {
            file.clone()
        } else {
            "built-in goals".into()
        },
    )?;
    for source in Source::ALL {
        let value = match targets.mappings.get(&source) {
            Some(m) => match (&m.preset, &m.path) {
                (Some(p), _) => format!("preset {p}"),
                (None, Some(path)) => format!("mapping, files {path}"),
                (None, None) => "mapping".into(),
            },
            None => "svcq's own layout".into(),
        };
        line(
            &format!("sources.{source}"),
            value,
            from(has(&["sources", source.name()])),
        )?;
    }
    super::emit(None, &out)?;
    Ok(ExitCode::from(EXIT_OK))
}
