use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Args, ValueEnum};

use super::args::{emit, AnalysisArgs};
use crate::engine::{Query, Split};
use crate::exit::OK as EXIT_OK;
use crate::render::{self, html, Document, Exporter};

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ReportFormat {
    Table,
    Json,
    Csv,
    Markdown,
}

#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  svcq report --data sample-data\n  svcq report --data sample-data --period 2026-W46 --compare\n  svcq report --data sample-data --by channel\n  svcq report --store .svcq --last 4w --by week --format json\n  svcq report --data sample-data --html reports/sample"
)]
pub struct ReportArgs {
    #[command(flatten)]
    pub analysis: AnalysisArgs,
    /// One row per value: channel, priority, category, agent, carrier, region, or week/day/month.
    #[arg(long, value_name = "DIM")]
    pub by: Option<String>,
    /// Add the previous period of equal length, the change and an arrow.
    #[arg(long)]
    pub compare: bool,
    #[arg(long, value_enum, default_value = "table")]
    pub format: ReportFormat,
    /// Write to FILE (atomically) instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Also write a self-contained weekly report to DIR: index.html with the
    /// scorecard, PNG charts beside it and the metric definitions.
    #[arg(long, value_name = "DIR")]
    pub html: Option<PathBuf>,
}

pub fn exec(args: ReportArgs) -> Result<ExitCode> {
    let mut options = args.analysis.options();
    options.split = args.by.as_deref().map(Split::parse).transpose()?;
    options.compare = args.compare;
    let mut fields: Vec<&str> = args.by.as_deref().into_iter().collect();
    if args.html.is_some() {
        fields.extend(html::FIELDS);
    }
    let analysis = args.analysis.load(&fields)?;
    let engine = args.analysis.engine(&analysis)?;
    // One engine call: the printed report and, with --html, the page's figures
    // (a query asked twice is answered once).
    let mut queries = vec![Query::Report(options.clone())];
    let figures = match &args.html {
        Some(_) => {
            let period = engine.period(&options.period)?;
            let mut figures = html::plan(&options, &period, engine.tz, |s| engine.has(s));
            if analysis.sql.is_some() {
                figures.retain(|(f, _)| !matches!(f, html::Figure::Complaints));
                crate::ui::note("the complaints section is left out: its term lists are read from the review texts by the embedded engine only");
            }
            figures
        }
        None => Vec::new(),
    };
    queries.extend(figures.iter().map(|(_, q)| q.clone()));
    let mut answers = engine.run(&analysis.targets, &queries)?.into_iter();
    let report = answers
        .next()
        .context("internal: an answer per query")?
        .into_report()?;
    if let Some(dir) = &args.html {
        let page = figures.into_iter().map(|(f, _)| f).zip(answers).collect();
        let written = html::write(dir, page)?;
        crate::ui::note(format!(
            "wrote {} ({} files)",
            dir.join("index.html").display(),
            written.len()
        ));
    }
    let color = args.out.is_none() && crate::ui::color_stdout();
    let exporter: Box<dyn Exporter> = match args.format {
        ReportFormat::Table => Box::new(render::table::TableExporter { color }),
        ReportFormat::Json => Box::new(render::json::JsonExporter),
        ReportFormat::Csv => Box::new(render::csv::CsvExporter),
        ReportFormat::Markdown => Box::new(render::markdown::MarkdownExporter),
    };
    emit(
        args.out.as_deref(),
        &exporter.render(&Document {
            report: &report,
            gate: None,
        })?,
    )?;
    Ok(ExitCode::from(EXIT_OK))
}
