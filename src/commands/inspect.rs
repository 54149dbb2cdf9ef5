//! `svcq inspect FILE…`: what an export is, which preset reads it, how its times
//! are written, five rows as svcq reads them, and which metrics it can feed.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use chrono_tz::Tz;
use clap::Args;
use polars::prelude::{AnyValue, DataFrame};

use crate::engine::aggregate::Inputs;
use crate::engine::catalogue::METRICS;
use crate::exit::OK as EXIT_OK;
use crate::source::inspect::{inspect, Guess, Inspection, TimeForms};
use crate::source::load::Keep;
use crate::source::mapping::{self, MappingSpec};
use crate::source::read::read_source;
use crate::source::timestamp::format_utc;
use crate::source::{codes, times, Kind, Source};

#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  svcq inspect export.csv\n  svcq inspect olist/*.csv\n  \
                        svcq inspect incidents.csv --write-config"
)]
pub struct InspectArgs {
    /// Export files (CSV, TSV, xlsx…).
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Append the mapping each file needs to svcq.toml (a preset, or a skeleton
    /// to fill in).
    /// (To the file of --config or $SVCQ_CONFIG, else ./svcq.toml.)
    #[arg(long)]
    pub write_config: bool,
}

pub fn exec(args: InspectArgs) -> Result<ExitCode> {
    let mut out = String::new();
    let mut config = String::new();
    for path in &args.files {
        let found = inspect(path)?;
        let (text, toml) = describe(path, &found)?;
        out.push_str(&text);
        // One table per source: a second file of the same source is left out.
        match Source::ALL.into_iter().find(|s| {
            toml.contains(&format!("[sources.{s}]")) && config.contains(&format!("[sources.{s}]"))
        }) {
            Some(source) => out.push_str(&format!(
                "  (not written to the config: {source} is mapped by an earlier file)\n\n"
            )),
            None => config.push_str(&toml),
        }
    }
    print!("{out}");
    if args.write_config {
        let target = crate::ui::config()
            .map(Path::to_path_buf)
            .or_else(|| {
                std::env::var_os("SVCQ_CONFIG")
                    .filter(|p| !p.is_empty())
                    .map(PathBuf::from)
            })
            .unwrap_or_else(|| PathBuf::from(crate::engine::targets::DEFAULT_FILE));
        append_config(&target, &config)?;
        crate::ui::note(format!("appended the mappings to {}", target.display()));
    }
    Ok(ExitCode::from(EXIT_OK))
}

/// The report for one file, and the TOML it needs.
fn describe(path: &Path, found: &Inspection) -> Result<(String, String)> {
    let mut out = String::new();
    let shown = path.display();
    writeln!(out, "{shown}")?;
    writeln!(
        out,
        "  encoding {}{} · {} columns: {}",
        found.encoding,
        found
            .delimiter
            .map(|d| format!(" · delimiter {d:?}"))
            .unwrap_or_default(),
        found.header.len(),
        found.header.join(", ")
    )?;
    for (column, forms) in &found.times {
        let what = match forms {
            TimeForms::Iso => "ISO 8601 (read as it is)".to_string(),
            TimeForms::Formats(f) if f.len() == 1 => format!("{:?}", f[0]),
            TimeForms::Formats(f) => format!(
                "ambiguous: {} — state the right one in timestamp_formats",
                f.iter()
                    .map(|x| format!("{x:?}"))
                    .collect::<Vec<_>>()
                    .join(" or ")
            ),
        };
        writeln!(out, "  times in {column:?}: {what}")?;
    }
    let (source, spec, toml) = match &found.guess {
        Guess::Preset { name, part } => {
            let preset = crate::source::presets::find(name)?;
            writeln!(
                out,
                "  recognised: preset {name} ({}) — {}",
                part.source, preset.about
            )?;
            let toml = format!(
                "\n[sources.{}]\npreset = \"{name}\"\npath = {}\n",
                part.source,
                toml_path(path)
            );
            (part.source, MappingSpec::preset(name), toml)
        }
        Guess::Contract(source) => {
            writeln!(out, "  recognised: svcq's own {source} layout")?;
            let toml = format!("\n[sources.{source}]\npath = {}\n", toml_path(path));
            (*source, MappingSpec::default(), toml)
        }
        Guess::Unknown(likely) => {
            writeln!(
                out,
                "  unknown: no preset matches. A mapping to fill in (field = \"export column\"):"
            )?;
            let toml = skeleton(path, found, *likely);
            for line in toml.lines() {
                writeln!(out, "    {line}")?;
            }
            return Ok((out, toml));
        }
    };
    let mut specs = BTreeMap::new();
    specs.insert(source.name().to_string(), spec);
    let mappings = mapping::parse(specs, None)?;
    let data = read_source(path, source, Tz::UTC, &Keep::All, &mappings[&source])
        .with_context(|| format!("reading {shown} as {source}"))?;
    let s = &data.stats;
    writeln!(
        out,
        "  read {} rows: {} accepted, {} rejected{}",
        s.read,
        s.accepted,
        s.rejected,
        s.folded_records
            .map(|n| format!(", folded into {n} records"))
            .unwrap_or_default()
    )?;
    for (reason, n) in &s.reasons {
        writeln!(out, "    {n:>6}  {reason}")?;
    }
    writeln!(out, "  first rows as svcq reads them (times in UTC):")?;
    out.push_str(&first_rows(&data.frame, source, &s.absent_columns)?);
    let (can, cannot) = feeds(source, &s.absent_columns, &s.cannot_say);
    writeln!(out, "  can feed: {}", can.join(", "))?;
    if !cannot.is_empty() {
        writeln!(out, "  cannot feed (no data):")?;
        for (metric, why) in cannot {
            writeln!(out, "    {metric}: {why}")?;
        }
    }
    writeln!(out)?;
    Ok((out, toml))
}

/// The first five rows of the fields the export has, as a small table: times in
/// UTC, coded labels (priority, status) as their labels, text without quotes.
fn first_rows(frame: &DataFrame, source: Source, absent: &[String]) -> Result<String> {
    let head = codes::decode(frame.head(Some(5)))?;
    let mut table = comfy_table::Table::new();
    table.load_preset(comfy_table::presets::UTF8_FULL_CONDENSED);
    let columns: Vec<_> = head
        .columns()
        .iter()
        .filter(|c| !absent.iter().any(|a| a == c.name().as_str()))
        .collect();
    table.set_header(columns.iter().map(|c| c.name().to_string()));
    for i in 0..head.height() {
        table.add_row(columns.iter().map(|c| {
            let timestamp = source
                .columns()
                .iter()
                .any(|s| s.name == c.name().as_str() && matches!(s.kind, Kind::Timestamp(_)));
            if timestamp {
                let ms = times::Times::of(c).ok().and_then(|t| t.get(i));
                return ms.map(format_utc).unwrap_or_default();
            }
            if let Ok(text) = c.str() {
                return text
                    .get(i)
                    .map(|t| t.chars().take(40).collect())
                    .unwrap_or_default();
            }
            match c.get(i) {
                Ok(AnyValue::Null) | Err(_) => String::new(),
                Ok(v) => v.to_string(),
            }
        }));
    }
    let mut out = String::new();
    for line in table.to_string().lines() {
        out.push_str("    ");
        out.push_str(line);
        out.push('\n');
    }
    Ok(out)
}

/// The metrics of `source` it can feed, and those it cannot with the columns missing.
/// The metrics of `source` the export can feed, and why it cannot feed the others.
fn feeds(
    source: Source,
    absent: &[String],
    cannot_say: &BTreeMap<String, Vec<String>>,
) -> (Vec<&'static str>, Vec<(&'static str, String)>) {
    let inputs = Inputs {
        sources: vec![source],
        absent: BTreeMap::from([(source, absent.to_vec())]),
        cannot_say: BTreeMap::from([(source, cannot_say.clone())]),
        unscheduled: Vec::new(),
    };
    let mut can = Vec::new();
    let mut cannot = Vec::new();
    for metric in METRICS.iter().filter(|m| m.source() == Some(source)) {
        let missing: Vec<&str> = metric
            .columns()
            .into_iter()
            .filter(|c| absent.iter().any(|a| a == c))
            .collect();
        if !missing.is_empty() {
            cannot.push((metric.id, format!("needs {}", missing.join(", "))));
        } else if let Some((field, values)) = inputs.unsayable(metric) {
            let why = format!("the export cannot say {field} is {}", values.join(" or "));
            cannot.push((metric.id, why));
        } else {
            can.push(metric.id);
        }
    }
    (can, cannot)
}

/// Words in an export's column names that suggest each field.
const HINTS: &[(&str, &[&str])] = &[
    ("ticket_id", &["ticket", "number", "工单", "id"]),
    ("review_id", &["review", "评论", "id"]),
    ("order_id", &["order", "订单"]),
    (
        "created_at",
        &["created", "opened", "creation", "创建", "提交", "date"],
    ),
    (
        "first_response_at",
        &["first response", "first reply", "首次"],
    ),
    (
        "resolved_at",
        &["resolved", "solved", "closed", "解决", "完结"],
    ),
    ("priority", &["priority", "优先"]),
    (
        "channel",
        &["channel", "via", "source", "contact", "渠道", "来源"],
    ),
    ("category", &["category", "type", "类别", "类目"]),
    ("agent", &["agent", "assignee", "assigned", "owner", "客服"]),
    ("rating", &["rating", "score", "stars", "评分"]),
    (
        "text",
        &["text", "content", "comment", "body", "message", "内容"],
    ),
    ("shipped_at", &["shipped", "carrier date", "发货"]),
    ("promised_at", &["promised", "estimated", "承诺"]),
    ("delivered_at", &["delivered", "签收"]),
    ("carrier", &["carrier", "courier", "快递", "物流公司"]),
    ("status", &["status", "state", "状态"]),
];

/// A `[sources.*]` table to fill in: each field with the column that looks like
/// it, or commented out.
fn skeleton(path: &Path, found: &Inspection, likely: Option<Source>) -> String {
    let source = likely.unwrap_or(Source::Tickets);
    let mut out = format!("\n[sources.{source}]\npath = {}\n", toml_path(path));
    let formats: Vec<&str> = found
        .times
        .iter()
        .filter_map(|(_, f)| match f {
            TimeForms::Formats(f) => Some(f[0]),
            TimeForms::Iso => None,
        })
        .collect();
    if let Some(first) = formats.first() {
        writeln!(
            out,
            "timestamp_formats = [{first:?}]   # check the day/month order"
        )
        .unwrap();
    }
    out.push_str(&format!("[sources.{source}.columns]\n"));
    let mut used: Vec<String> = Vec::new();
    for spec in source.columns() {
        let hint = HINTS.iter().find(|(f, _)| *f == spec.name).map(|h| h.1);
        let column = hint.and_then(|words| {
            found.header.iter().find(|h| {
                let lower = h.to_lowercase();
                !used.contains(h) && words.iter().any(|w| lower.contains(w))
            })
        });
        match column {
            Some(c) => {
                used.push(c.clone());
                let column = toml::Value::String(c.clone()).to_string();
                writeln!(out, "{} = {column}", spec.name).unwrap();
            }
            None if spec.in_header => writeln!(out, "{} = \"?\"   # required", spec.name).unwrap(),
            None => writeln!(out, "# {} = \"?\"", spec.name).unwrap(),
        }
    }
    out
}

/// A path as a TOML string, absolute so it holds wherever svcq.toml is.
fn toml_path(path: &Path) -> String {
    let absolute = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    toml::Value::String(absolute.display().to_string()).to_string()
}

/// Appends `text` to the config file, refusing to map a source twice.
fn append_config(path: &Path, text: &str) -> Result<()> {
    let existing = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    for source in Source::ALL {
        let table = format!("[sources.{source}]");
        if existing.contains(&table) && text.contains(&table) {
            bail!(
                "{} already has {table}: edit it by hand (svcq inspect prints what to write)",
                path.display()
            );
        }
    }
    crate::fsutil::atomic_write_bytes(path, format!("{existing}{text}").as_bytes())
}
