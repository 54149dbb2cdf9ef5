//! The weekly HTML report: `DIR/index.html` with the scorecard, the charts as PNG
//! files beside it, the inputs' counts and the metric definitions. Self-contained:
//! no scripts, no fonts or styles from the network, so it opens from disk offline.

use std::path::{Path, PathBuf};

use anyhow::Result;
use chrono::Duration;

use crate::chart::breakdown::{self, Breakdown};
use crate::chart::distribution::{self, Distribution};
use crate::chart::trend::{self, Trend};
use crate::chart::{pareto, scorecard, Canvas};
use crate::engine::{Engine, ReportOptions};
use crate::export::{format_delta, format_target, format_value, status_word, thousands};
use crate::fsutil::atomic_write_bytes;
use crate::inputs::InputEntry;
use crate::metrics;
use crate::model::Report;
use crate::period::{self, PeriodArgs};
use crate::schema::Source;
use crate::targets::{Status, Targets};
use crate::timestamp::to_local;

/// The fields the report's charts split or count by, beyond the metrics' columns.
pub const FIELDS: &[&str] = &["channel", "carrier", "return_reason", "category"];

const DEFINITIONS: &str = include_str!("../docs/metrics.md");
/// Weeks of history in the report's trend chart.
const TREND_WEEKS: i64 = 8;

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn status_class(status: Status) -> &'static str {
    match status {
        Status::Pass => "pass",
        Status::Warn => "warn",
        Status::Fail => "fail",
        Status::NoData => "nodata",
        Status::NoTarget => "",
    }
}

struct Figure {
    file: String,
    caption: String,
}

/// Writes the report directory; returns the files written. The page shows the
/// whole cohort against the previous period: `printed` is reused when it is that.
pub fn write(
    dir: &Path,
    engine: &Engine,
    targets: &Targets,
    options: &ReportOptions,
    printed: &Report,
) -> Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let options = ReportOptions {
        split: None,
        compare: true,
        ..options.clone()
    };
    let computed;
    let report = if printed.by.is_none() && printed.previous_period.is_some() {
        printed
    } else {
        computed = engine.report(targets, &options)?;
        &computed
    };
    let canvas = Canvas {
        width: 1600,
        height: 900,
        title: None,
    };
    let mut written = Vec::new();
    let mut figures = Vec::new();
    let mut save = |file: &str, caption: String, png: Vec<u8>| -> Result<()> {
        let path = dir.join(file);
        atomic_write_bytes(&path, &png)?;
        written.push(path);
        figures.push(Figure {
            file: file.to_string(),
            caption,
        });
        Ok(())
    };
    save(
        "scorecard.png",
        "Targeted KPIs against the previous period".into(),
        scorecard::draw(report, &canvas)?,
    )?;
    let has = |s: Source| engine.frame(s).is_some();
    if has(Source::Tickets) {
        let frt = metrics::find("first_response_hours_mean").expect("catalogued");
        let weeks = trend_weeks(engine, &options)?;
        let t = Trend::build(engine, targets, &weeks, frt, period::Unit::Week)?;
        save(
            "trend-first-response.png",
            format!("Mean first response per week, the last {TREND_WEEKS} weeks"),
            trend::draw(&t, &canvas)?,
        )?;
        let b = Breakdown::build(engine, targets, &options, frt, "channel")?;
        save(
            "breakdown-first-response-by-channel.png",
            "Mean first response per channel".into(),
            breakdown::draw(&b, &canvas)?,
        )?;
        let family = metrics::duration("first_response_hours").expect("catalogued");
        let d = Distribution::build(engine, targets, &options, family)?;
        save(
            "distribution-first-response.png",
            "How first response times are spread".into(),
            distribution::draw(&d, &canvas)?,
        )?;
    }
    let period = engine.period(&options.period)?;
    let label = period.info(engine.tz).label;
    if has(Source::Shipments) {
        let on_time = metrics::find("on_time_rate").expect("catalogued");
        let b = Breakdown::build(engine, targets, &options, on_time, "carrier")?;
        save(
            "breakdown-on-time-by-carrier.png",
            "On-time delivery per carrier".into(),
            breakdown::draw(&b, &canvas)?,
        )?;
        let counts = engine.counts_by(Source::Shipments, "return_reason", &period)?;
        save(
            "pareto-return-reasons.png",
            "Why customers return things".into(),
            pareto::draw(&counts, &label, &canvas)?,
        )?;
    }
    if has(Source::Tickets) {
        let counts = engine.counts_by(Source::Tickets, "category", &period)?;
        save(
            "pareto-ticket-categories.png",
            "What customers contact support about".into(),
            pareto::draw(&counts, &label, &canvas)?,
        )?;
    }
    let definitions = dir.join("metrics.html");
    atomic_write_bytes(
        &definitions,
        format!(
            "<!doctype html><meta charset=\"utf-8\"><title>svcq metric definitions</title>\
             <pre style=\"white-space:pre-wrap;font:14px/1.5 monospace;max-width:60em;margin:2em auto\">{}</pre>\n",
            escape(DEFINITIONS)
        )
        .as_bytes(),
    )?;
    written.push(definitions);
    let index = dir.join("index.html");
    atomic_write_bytes(&index, page(report, &figures).as_bytes())?;
    written.push(index);
    Ok(written)
}

/// The eight whole weeks that end where the report's period ends.
fn trend_weeks(engine: &Engine, options: &ReportOptions) -> Result<ReportOptions> {
    let period = engine.period(&options.period)?;
    let end = to_local(period.to, engine.tz).date();
    let start = end - Duration::weeks(TREND_WEEKS);
    Ok(ReportOptions {
        period: PeriodArgs {
            period: None,
            from: Some(start.to_string()),
            to: Some(end.to_string()),
            last: None,
            as_of: options.period.as_of.clone(),
        },
        ..options.clone()
    })
}

fn page(report: &Report, figures: &[Figure]) -> String {
    let mut html = String::new();
    let title = format!("Service quality · {}", report.period.label);
    html.push_str(&format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n",
        escape(&title)
    ));
    html.push_str(&format!("<h1>{}</h1>\n", escape(&title)));
    let mut period = format!(
        "{} to {} ({}), as of {}",
        report.period.from, report.period.to, report.period.timezone, report.as_of
    );
    if let Some(p) = &report.previous_period {
        period.push_str(&format!("; compared with {}", p.label));
    }
    html.push_str(&format!(
        "<p class=\"meta\">{} · targets: {}</p>\n",
        escape(&period),
        escape(&report.targets)
    ));
    html.push_str("<h2>Scorecard</h2>\n<table>\n<thead><tr><th>Metric</th><th>Actual</th><th>n</th><th>Target</th><th>Status</th><th>Previous</th><th>Change</th></tr></thead>\n<tbody>\n");
    for row in report.metrics.iter().filter(|r| r.group.is_none()) {
        let def = metrics::find(row.id).expect("catalogued");
        html.push_str(&format!(
            "<tr><td>{} <code>{}</code></td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td><td class=\"{}\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>\n",
            escape(def.title),
            row.id,
            escape(&format_value(row.unit, row.value)),
            thousands(row.n),
            escape(&format_target(row.target.as_ref(), row.unit)),
            status_class(row.status),
            status_word(row.status),
            if row.previous.is_some() { escape(&format_value(row.unit, row.previous)) } else { String::new() },
            escape(&format_delta(row.unit, row.delta)),
        ));
    }
    html.push_str("</tbody>\n</table>\n");
    if !report.notes.is_empty() {
        html.push_str("<ul class=\"notes\">\n");
        for note in &report.notes {
            html.push_str(&format!("<li>{}</li>\n", escape(note)));
        }
        html.push_str("</ul>\n");
    }
    html.push_str("<h2>Charts</h2>\n");
    for f in figures {
        html.push_str(&format!(
            "<figure><img src=\"{0}\" alt=\"{1}\" width=\"1600\" height=\"900\"><figcaption>{1}</figcaption></figure>\n",
            escape(&f.file),
            escape(&f.caption)
        ));
    }
    html.push_str("<h2>Inputs</h2>\n<table>\n<thead><tr><th>Source</th><th>File</th><th>Read</th><th>Accepted</th><th>Rejected</th><th>Rejected rows</th></tr></thead>\n<tbody>\n");
    for (name, entry) in &report.inputs {
        match entry {
            InputEntry::Read(s) => html.push_str(&format!(
                "<tr><td>{name}</td><td><code>{}</code></td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td></tr>\n",
                escape(&s.path),
                thousands(s.read),
                thousands(s.accepted),
                thousands(s.rejected),
                s.rejects_file.as_deref().map(|f| format!("<code>{}</code>", escape(f))).unwrap_or_default()
            )),
            InputEntry::Skipped { skipped } => html.push_str(&format!(
                "<tr><td>{name}</td><td colspan=\"5\">skipped: {}</td></tr>\n",
                escape(skipped)
            )),
        }
    }
    html.push_str("</tbody>\n</table>\n");
    html.push_str(&format!(
        "<p class=\"meta\">Every number is defined in <a href=\"metrics.html\">the metric definitions</a>. \
         Written by svcq {}.</p>\n</body>\n</html>\n",
        env!("CARGO_PKG_VERSION")
    ));
    html
}

const STYLE: &str = "body{font:15px/1.5 system-ui,-apple-system,'Segoe UI','PingFang SC','Microsoft YaHei',sans-serif;color:#212529;max-width:1100px;margin:2em auto;padding:0 1em}\
h1{font-size:1.6em;margin-bottom:.2em}h2{margin-top:1.6em;border-bottom:1px solid #dee2e6}\
.meta{color:#6c757d}table{border-collapse:collapse;width:100%}th,td{padding:.3em .6em;border-bottom:1px solid #e9ecef;text-align:left}\
td.num{text-align:right;font-variant-numeric:tabular-nums}code{font-size:.85em;color:#495057}\
.pass{color:#2e7d32;font-weight:600}.warn{color:#b26a00;font-weight:600}.fail{color:#c62828;font-weight:600}.nodata{color:#868e96}\
figure{margin:1.5em 0}img{max-width:100%;height:auto;border:1px solid #e9ecef}figcaption{color:#6c757d}";
