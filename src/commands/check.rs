use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Args, ValueEnum};

use super::args::{emit, AnalysisArgs};
use crate::engine::gate::{evaluate, FailOn, Policy};
use crate::render::{self, Document, Exporter};

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum CheckFormat {
    Text,
    Json,
    Junit,
    Github,
    Markdown,
}

/// What breaks the gate (`--fail-on`).
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum FailOnArg {
    /// Only failed targets (and no data) break the gate.
    Fail,
    /// Warnings break the gate too.
    Warn,
}

impl From<FailOnArg> for FailOn {
    fn from(arg: FailOnArg) -> FailOn {
        match arg {
            FailOnArg::Fail => FailOn::Fail,
            FailOnArg::Warn => FailOn::Warn,
        }
    }
}

#[derive(Debug, Args)]
#[command(
    after_help = "Exit codes:\n  0  every target passed (warnings allowed unless --fail-on warn)\n  1  at least one target failed, or had no data (unless --allow-no-data); a target whose records are all still inside their window is pending, not a failure\n  2  svcq could not judge: unreadable input, bad targets file, unknown metric or dimension\n\nWith the built-in targets, targets on a source not given are left out (the output says which); targets you wrote on it count as no data."
)]
pub struct CheckArgs {
    #[command(flatten)]
    pub analysis: AnalysisArgs,
    #[arg(long, value_enum, default_value = "text")]
    pub format: CheckFormat,
    /// Write to FILE (atomically) instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// What breaks the gate: failed targets only, or warnings too.
    #[arg(long, value_enum, default_value = "fail")]
    pub fail_on: FailOnArg,
    /// Fewer samples than N count as no data (a target's `min_n` wins).
    #[arg(long, value_name = "N", default_value = "1")]
    pub min_n: u64,
    /// A target with no data is a warning instead of a failure.
    #[arg(long)]
    pub allow_no_data: bool,
}

pub fn exec(args: CheckArgs) -> Result<ExitCode> {
    let analysis = args.analysis.load(&[])?;
    let engine = args.analysis.engine(&analysis)?;
    let mut options = args.analysis.options();
    options.min_n = args.min_n;
    let report = engine.report(&analysis.targets, &options)?;
    let gate = evaluate(
        &report,
        &analysis.targets,
        Policy {
            fail_on: args.fail_on.into(),
            allow_no_data: args.allow_no_data,
        },
    )?;
    let doc = Document {
        report: &report,
        gate: Some(&gate),
    };
    let color = args.out.is_none() && crate::ui::color_stdout();
    let exporter: Box<dyn Exporter> = match args.format {
        CheckFormat::Text => Box::new(render::text::TextExporter { color }),
        CheckFormat::Json => Box::new(render::json::JsonExporter),
        CheckFormat::Junit => Box::new(render::junit::JunitExporter),
        CheckFormat::Github => Box::new(render::github::GithubExporter),
        CheckFormat::Markdown => Box::new(render::markdown::MarkdownExporter),
    };
    emit(args.out.as_deref(), &exporter.render(&doc)?)?;
    if let (CheckFormat::Github, Some(path)) =
        (args.format, std::env::var_os("GITHUB_STEP_SUMMARY"))
    {
        let summary = render::markdown::MarkdownExporter.render(&doc)?;
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .with_context(|| {
                format!(
                    "cannot append to GITHUB_STEP_SUMMARY {}",
                    PathBuf::from(&path).display()
                )
            })?;
        file.write_all(summary.as_bytes())?;
    }
    Ok(ExitCode::from(gate.summary.exit_code))
}
