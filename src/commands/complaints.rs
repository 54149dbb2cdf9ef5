use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Args;

use super::args::{emit, AnalysisArgs};
use super::report::ReportFormat;
use crate::engine::complaints::ComplaintOptions;
use crate::engine::Query;
use crate::exit::OK as EXIT_OK;
use crate::render::complaints::{self, Format};
use crate::source::Source;

#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  svcq complaints --data sample-data\n  svcq complaints --data sample-data --last 4w --by channel\n  svcq complaints --reviews reviews.csv --period 2026-11 --format json\n\nMore words for the segmenter, stop words and aspect terms go in svcq.toml's [complaints]."
)]
pub struct ComplaintsArgs {
    #[command(flatten)]
    pub analysis: AnalysisArgs,
    /// One list per value of a reviews field: channel, product, category, seller, region.
    #[arg(long, value_name = "DIM")]
    pub by: Option<String>,
    /// Terms per list. Default: `top` in [complaints], else 15.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub top: Option<u64>,
    /// List a term only when at least N reviews of its side use it. Default:
    /// `min_count` in [complaints], else 3.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub min_count: Option<u64>,
    #[arg(long, value_enum, default_value = "table")]
    pub format: ReportFormat,
    /// Write to FILE (atomically) instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

pub fn exec(args: ComplaintsArgs) -> Result<ExitCode> {
    let options = ComplaintOptions {
        period: args.analysis.period.spec(),
        by: args.by.clone(),
        top: args.top.map(|t| t as usize),
        min_count: args.min_count,
        examples: true,
    };
    let mut fields = vec!["review_id", "ticket_id", "text", "subject", "category"];
    fields.extend(args.by.as_deref());
    // Shipments feed no complaint list and no aspect: not read.
    let analysis = args.analysis.load_without(&fields, &[Source::Shipments])?;
    let engine = args.analysis.engine(&analysis)?;
    let result = engine
        .run(&analysis.targets, &[Query::Complaints(options)])?
        .into_iter()
        .next()
        .context("internal: an answer per query")?
        .into_complaints()?;
    let color = args.out.is_none() && crate::ui::color_stdout();
    let format = match args.format {
        ReportFormat::Table => Format::Table,
        ReportFormat::Json => Format::Json,
        ReportFormat::Csv => Format::Csv,
        ReportFormat::Markdown => Format::Markdown,
    };
    emit(
        args.out.as_deref(),
        &complaints::render(&result, format, color)?,
    )?;
    Ok(ExitCode::from(EXIT_OK))
}
