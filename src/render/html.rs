//! The weekly HTML report: `DIR/index.html` with the scorecard, the charts as PNG
//! files beside it, the inputs' counts and the metric definitions. Self-contained:
//! no scripts, no fonts or styles from the network, so it opens from disk offline.

use std::path::{Path, PathBuf};

use anyhow::Result;
use chrono::Duration;

use chrono_tz::Tz;

use super::chart::breakdown::{self, Breakdown};
use super::chart::complaints::Diverging;
use super::chart::distribution::{self, Distribution};
use super::chart::trend::{self, Trend};
use super::chart::{self, pareto, scorecard, Canvas};
use super::complaints::{counts_line, latest_example, percent, points};
use super::{
    describe, format_delta, format_n, format_target, format_value, status_word, thousands,
};
use crate::engine::catalogue::{self, FIRST_RESPONSE};
use crate::engine::complaints::model::{Complaints, TermRow};
use crate::engine::complaints::ComplaintOptions;
use crate::engine::model::Report;
use crate::engine::period::{self, Period, PeriodSpec};
use crate::engine::targets::Status;
use crate::engine::{Answer, Query, ReportOptions, Split};
use crate::fsutil::atomic_write_bytes;
use crate::source::load::InputEntry;
use crate::source::timestamp::to_local;
use crate::source::Source;

/// The fields the page's charts split or count by, beyond the metrics' columns.
pub const FIELDS: &[&str] = &[
    "channel",
    "carrier",
    "return_reason",
    "category",
    // The complaints section's texts and the ids of its examples.
    "review_id",
    "ticket_id",
    "text",
    "subject",
];

const DEFINITIONS: &str = include_str!("../../docs/metrics.md");
/// Weeks of history in the report's trend chart.
const TREND_WEEKS: i64 = 12;

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

struct Written {
    file: String,
    caption: String,
    /// What the chart shows, in words (its `alt`).
    alt: String,
}

/// One chart of the page; [`plan`] pairs it with the query whose answer it draws.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Figure {
    /// The whole period against the previous one: also the page's table.
    Scorecard,
    FirstResponseTrend,
    FirstResponseByChannel,
    FirstResponseSamples,
    OnTimeByCarrier,
    ReturnReasons,
    TicketCategories,
    /// The complaint terms chart and the section's tables.
    Complaints,
}

/// The queries the page needs, for the sources that were read. `period` is the
/// report's period resolved (the trend ends where it ends).
pub fn plan(
    options: &ReportOptions,
    period: &Period,
    tz: Tz,
    has: impl Fn(Source) -> bool,
) -> Vec<(Figure, Query)> {
    let whole = ReportOptions {
        split: None,
        compare: true,
        ..options.clone()
    };
    let split = |by: &str| {
        Query::Report(ReportOptions {
            split: Some(Split::Dimension(by.into())),
            compare: false,
            ..options.clone()
        })
    };
    let counts = |source: Source, field: &str| Query::Counts {
        source,
        field: field.into(),
        period: options.period.clone(),
    };
    let mut figures = vec![(Figure::Scorecard, Query::Report(whole))];
    if has(Source::Tickets) {
        let end = to_local(period.to, tz).date();
        let weeks = PeriodSpec {
            from: Some((end - Duration::weeks(TREND_WEEKS)).to_string()),
            to: Some(end.to_string()),
            ..Default::default()
        };
        figures.push((
            Figure::FirstResponseTrend,
            Query::Report(ReportOptions {
                period: weeks,
                split: Some(Split::Time(period::Unit::Week)),
                compare: false,
                ..options.clone()
            }),
        ));
        figures.push((Figure::FirstResponseByChannel, split("channel")));
        figures.push((
            Figure::FirstResponseSamples,
            Query::Durations {
                span: &FIRST_RESPONSE,
                period: options.period.clone(),
            },
        ));
    }
    if has(Source::Shipments) {
        figures.push((Figure::OnTimeByCarrier, split("carrier")));
        figures.push((
            Figure::ReturnReasons,
            counts(Source::Shipments, "return_reason"),
        ));
    }
    if has(Source::Tickets) {
        figures.push((
            Figure::TicketCategories,
            counts(Source::Tickets, "category"),
        ));
    }
    if has(Source::Reviews) {
        figures.push((
            Figure::Complaints,
            Query::Complaints(ComplaintOptions {
                period: options.period.clone(),
                examples: true,
                ..Default::default()
            }),
        ));
    }
    figures
}

/// Writes the report directory from the answers to [`plan`]'s queries; returns the
/// files written.
pub fn write(dir: &Path, answers: Vec<(Figure, Answer)>) -> Result<Vec<PathBuf>> {
    crate::fsutil::create_dir(dir)?;
    let mut answers = answers.into_iter();
    let report = match answers.next() {
        Some((Figure::Scorecard, answer)) => answer.into_report()?,
        _ => anyhow::bail!("internal: the page starts with its scorecard"),
    };
    let canvas = Canvas {
        width: 1600,
        height: 900,
        title: None,
    };
    let mut written = Vec::new();
    let mut figures = Vec::new();
    let mut complaints = None;
    let mut save = |file: &str, caption: String, alt: String, png: Vec<u8>| -> Result<()> {
        let path = dir.join(file);
        atomic_write_bytes(&path, &png)?;
        written.push(path);
        figures.push(Written {
            file: file.to_string(),
            caption,
            alt,
        });
        Ok(())
    };
    save(
        "scorecard.png",
        "Targeted KPIs against the previous period".into(),
        describe::scorecard(&report),
        scorecard::draw(&report, &canvas)?,
    )?;
    let frt = catalogue::find("first_response_hours_mean").expect("catalogued");
    let on_time = catalogue::find("on_time_rate").expect("catalogued");
    for (figure, answer) in answers {
        match figure {
            Figure::Scorecard => {}
            Figure::FirstResponseTrend => {
                let t = Trend::from_report(&answer.into_report()?, frt);
                save(
                    "trend-first-response.png",
                    format!("Mean first response per week, the last {TREND_WEEKS} weeks"),
                    describe::trend(&t),
                    trend::draw(&t, &canvas)?,
                )?
            }
            Figure::FirstResponseByChannel => {
                let b = Breakdown::from_report(&answer.into_report()?, frt, "channel");
                save(
                    "breakdown-first-response-by-channel.png",
                    "Mean first response per channel".into(),
                    describe::breakdown(&b),
                    breakdown::draw(&b, &canvas)?,
                )?
            }
            Figure::FirstResponseSamples => {
                let d = Distribution::new(&report, &FIRST_RESPONSE, answer.into_durations()?);
                save(
                    "distribution-first-response.png",
                    "How first response times are spread".into(),
                    describe::distribution(&d),
                    distribution::draw(&d, &canvas)?,
                )?
            }
            Figure::OnTimeByCarrier => {
                let b = Breakdown::from_report(&answer.into_report()?, on_time, "carrier");
                save(
                    "breakdown-on-time-by-carrier.png",
                    "On-time delivery per carrier".into(),
                    describe::breakdown(&b),
                    breakdown::draw(&b, &canvas)?,
                )?
            }
            Figure::ReturnReasons => {
                let c = answer.into_counts()?;
                save(
                    "pareto-return-reasons.png",
                    "Why customers return things".into(),
                    describe::counts(&c),
                    pareto::draw(&c, &canvas)?,
                )?
            }
            Figure::TicketCategories => {
                let c = answer.into_counts()?;
                save(
                    "pareto-ticket-categories.png",
                    "What customers contact support about".into(),
                    describe::counts(&c),
                    pareto::draw(&c, &canvas)?,
                )?
            }
            Figure::Complaints => {
                let c = answer.into_complaints()?;
                let d = Diverging::from_complaints(&c);
                save(
                    "complaints.png",
                    "Terms used more in negative reviews (right) and in positive ones (left)"
                        .into(),
                    describe::complaints(&d),
                    chart::complaints::draw(&d, &canvas)?,
                )?;
                complaints = Some(c);
            }
        }
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
    atomic_write_bytes(
        &index,
        page(&report, &figures, complaints.as_ref()).as_bytes(),
    )?;
    written.push(index);
    Ok(written)
}

fn page(report: &Report, figures: &[Written], complaints: Option<&Complaints>) -> String {
    let mut html = String::new();
    let title = format!("Service quality · {}", report.period.label);
    html.push_str(&format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<header>\n",
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
        "<p class=\"meta\">{} · targets: {}</p>\n</header>\n<main>\n",
        escape(&period),
        escape(&report.targets)
    ));
    html.push_str("<section aria-labelledby=\"scorecard\">\n<h2 id=\"scorecard\">Scorecard</h2>\n<table>\n<thead><tr><th scope=\"col\">Metric</th><th scope=\"col\">Actual</th><th scope=\"col\">n</th><th scope=\"col\">Target</th><th scope=\"col\">Status</th><th scope=\"col\">Previous</th><th scope=\"col\">Change</th></tr></thead>\n<tbody>\n");
    for row in report.metrics.iter().filter(|r| r.group.is_none()) {
        let def = catalogue::find(row.id).expect("catalogued");
        html.push_str(&format!(
            "<tr><th scope=\"row\">{} <code>{}</code></th><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td><td class=\"{}\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>\n",
            escape(def.title),
            row.id,
            escape(&format_value(row.unit, row.value)),
            format_n(row.n, row.pending),
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
    html.push_str(
        "</section>\n<section aria-labelledby=\"charts\">\n<h2 id=\"charts\">Charts</h2>\n",
    );
    for f in figures {
        html.push_str(&format!(
            "<figure><img src=\"{}\" alt=\"{}\" width=\"1600\" height=\"900\"><figcaption>{}</figcaption></figure>\n",
            escape(&f.file),
            escape(&f.alt),
            escape(&f.caption)
        ));
    }
    if let Some(c) = complaints {
        html.push_str(&complaints_section(c));
    }
    html.push_str("</section>\n<section aria-labelledby=\"inputs\">\n<h2 id=\"inputs\">Inputs</h2>\n<table>\n<thead><tr><th scope=\"col\">Source</th><th scope=\"col\">File</th><th scope=\"col\">Read</th><th scope=\"col\">Accepted</th><th scope=\"col\">Rejected</th><th scope=\"col\">Rejected rows</th></tr></thead>\n<tbody>\n");
    for (name, entry) in &report.inputs {
        match entry {
            InputEntry::Read(s) => html.push_str(&format!(
                "<tr><th scope=\"row\">{name}</th><td><code>{}</code></td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td></tr>\n",
                escape(&s.path),
                thousands(s.read),
                thousands(s.accepted),
                thousands(s.rejected),
                s.rejects_file.as_deref().map(|f| format!("<code>{}</code>", escape(f))).unwrap_or_default()
            )),
            InputEntry::Skipped { skipped } => html.push_str(&format!(
                "<tr><th scope=\"row\">{name}</th><td colspan=\"5\">skipped: {}</td></tr>\n",
                escape(skipped)
            )),
        }
    }
    html.push_str("</tbody>\n</table>\n</section>\n</main>\n");
    html.push_str(&format!(
        "<footer>\n<p class=\"meta\">Every number is defined in <a href=\"metrics.html\">the metric definitions</a>. \
         Written by svcq {}.</p>\n</footer>\n</body>\n</html>\n",
        env!("CARGO_PKG_VERSION")
    ));
    html
}

/// A term in its language, so a screen reader reads 物流 as Chinese.
fn term_html(term: &str) -> String {
    match crate::text::Term::of(term) {
        crate::text::Term::Han => format!("<span lang=\"zh\">{}</span>", escape(term)),
        crate::text::Term::Word => escape(term),
    }
}

fn terms_table(rows: &[TermRow], caption: &str) -> String {
    let mut html = format!(
        "<table>\n<caption>{}</caption>\n<thead><tr><th scope=\"col\">Term</th><th scope=\"col\">z</th><th scope=\"col\">Negative</th><th scope=\"col\">Positive</th><th scope=\"col\">Share</th><th scope=\"col\">Latest example</th></tr></thead>\n<tbody>\n",
        escape(caption)
    );
    for r in rows {
        html.push_str(&format!(
            "<tr><th scope=\"row\">{}</th><td class=\"num\">{:.2}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td></tr>\n",
            term_html(&r.term),
            r.z,
            thousands(r.negative),
            thousands(r.positive),
            percent(r.share),
            escape(&latest_example(&r.examples, 90))
        ));
    }
    html.push_str("</tbody>\n</table>\n");
    html
}

/// The complaints section: what the chart shows, as tables with examples, the
/// rising terms, the aspect metrics and the ticket words by category.
fn complaints_section(c: &Complaints) -> String {
    let mut html = String::from(
        "</section>\n<section aria-labelledby=\"complaints\">\n<h2 id=\"complaints\">What customers complain about</h2>\n",
    );
    let Some(whole) = c.groups.iter().find(|g| g.group.is_none()) else {
        for note in &c.notes {
            html.push_str(&format!("<p class=\"meta\">{}</p>\n", escape(note)));
        }
        return html;
    };
    html.push_str(&format!(
        "<p class=\"meta\">{}. Terms ranked by the weighted log-odds z of negative (1–2) against positive (4–5) reviews; a term is listed when at least {} reviews of its side use it (docs/complaints.md).</p>\n",
        escape(&counts_line(&whole.counts)),
        c.min_count
    ));
    if whole.complaints.is_empty() {
        html.push_str("<p>No complaint term reaches the minimum count.</p>\n");
    } else {
        html.push_str(&terms_table(
            &whole.complaints,
            "Used more in negative reviews",
        ));
    }
    if !whole.rising.is_empty() {
        html.push_str(&format!(
            "<table>\n<caption>Rising since {}</caption>\n<thead><tr><th scope=\"col\">Term</th><th scope=\"col\">Negative</th><th scope=\"col\">Share</th><th scope=\"col\">Before</th><th scope=\"col\">Previous share</th><th scope=\"col\">Change</th></tr></thead>\n<tbody>\n",
            escape(&c.previous_period.label)
        ));
        for r in &whole.rising {
            html.push_str(&format!(
                "<tr><th scope=\"row\">{}</th><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>\n",
                term_html(&r.term),
                thousands(r.negative),
                percent(r.share),
                thousands(r.previous_negative),
                percent(r.previous_share),
                points(r.rise)
            ));
        }
        html.push_str("</tbody>\n</table>\n");
    }
    if !c.aspects.is_empty() {
        html.push_str("<table>\n<caption>Negative reviews that mention each aspect</caption>\n<thead><tr><th scope=\"col\">Aspect</th><th scope=\"col\">Actual</th><th scope=\"col\">n</th><th scope=\"col\">Target</th><th scope=\"col\">Status</th><th scope=\"col\">Previous</th><th scope=\"col\">Change</th></tr></thead>\n<tbody>\n");
        for r in c.aspects.iter().filter(|r| r.group.is_none()) {
            let title = catalogue::find(r.id).map_or(r.id, |d| d.title);
            html.push_str(&format!(
                "<tr><th scope=\"row\">{} <code>{}</code></th><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td><td class=\"{}\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>\n",
                escape(title),
                r.id,
                escape(&format_value(r.unit, r.value)),
                thousands(r.n),
                escape(&format_target(r.target.as_ref(), r.unit)),
                status_class(r.status),
                status_word(r.status),
                escape(&format_value(r.unit, r.previous)),
                escape(&format_delta(r.unit, r.delta))
            ));
        }
        html.push_str("</tbody>\n</table>\n");
    }
    let categories: Vec<_> = c
        .ticket_categories
        .iter()
        .filter(|t| !t.terms.is_empty())
        .collect();
    if !categories.is_empty() {
        html.push_str("<table>\n<caption>Ticket subjects: the words of each category against the others</caption>\n<thead><tr><th scope=\"col\">Category</th><th scope=\"col\">Tickets</th><th scope=\"col\">Its words (tickets using each)</th></tr></thead>\n<tbody>\n");
        for cat in categories {
            let words: Vec<String> = cat
                .terms
                .iter()
                .take(6)
                .map(|t| format!("{} ({})", term_html(&t.term), thousands(t.tickets)))
                .collect();
            html.push_str(&format!(
                "<tr><th scope=\"row\">{}</th><td class=\"num\">{}</td><td>{}</td></tr>\n",
                escape(&cat.category),
                thousands(cat.tickets),
                words.join(", ")
            ));
        }
        html.push_str("</tbody>\n</table>\n");
    }
    for note in &c.notes {
        html.push_str(&format!("<p class=\"meta\">{}</p>\n", escape(note)));
    }
    html
}

const STYLE: &str = "body{font:15px/1.5 system-ui,-apple-system,'Segoe UI','PingFang SC','Microsoft YaHei',sans-serif;color:#212529;max-width:1100px;margin:2em auto;padding:0 1em}\
h1{font-size:1.6em;margin-bottom:.2em}h2{margin-top:1.6em;border-bottom:1px solid #dee2e6}\
.meta{color:#5c636a}table{border-collapse:collapse;width:100%}th,td{padding:.3em .6em;border-bottom:1px solid #e9ecef;text-align:left}\
td.num{text-align:right;font-variant-numeric:tabular-nums}code{font-size:.85em;color:#495057}\
th[scope=row]{font-weight:normal}\
.pass{color:#2e7d32;font-weight:600}.warn{color:#8a5100;font-weight:600}.fail{color:#c62828;font-weight:600}.nodata{color:#5c636a}\
caption{text-align:left;font-weight:600;margin:1em 0 .3em}\
figure{margin:1.5em 0;break-inside:avoid}img{max-width:100%;height:auto;border:1px solid #e9ecef}figcaption{color:#5c636a}\
@page{size:A4;margin:15mm}\
@media print{body{max-width:none;margin:0;font-size:11pt}figure{break-inside:avoid;page-break-inside:avoid}\
tr,th,td{break-inside:avoid}h2{break-after:avoid}a{color:inherit}}";
