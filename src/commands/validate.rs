use std::process::ExitCode;

use anyhow::Result;
use clap::{Args, ValueEnum};
use comfy_table::{presets::UTF8_FULL_CONDENSED, Table};

use super::args::{emit, resolve_tz, InputArgs, DEFAULT_REJECTS};
use crate::engine::targets::Targets;
use crate::exit::{ERROR as EXIT_ERROR, OK as EXIT_OK};
use crate::render::thousands;
use crate::source::load::{load_csv, CsvInputs, Dataset, InputEntry, Keep};
use crate::source::Source;

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ValidateFormat {
    Table,
    Json,
}

#[derive(Debug, Args)]
#[command(
    after_help = "Exit codes: 0 everything could be read (rejected rows are findings, listed in the \
                        rejects files); 2 an unreadable file, a missing required column, or a source whose \
                        rejected share exceeds --max-rejects-pct."
)]
pub struct ValidateArgs {
    #[command(flatten)]
    pub inputs: InputArgs,
    #[arg(long, value_enum, default_value = "table")]
    pub format: ValidateFormat,
    /// Fail (exit 2) when a source rejects more than P percent of its rows.
    #[arg(long, value_name = "P")]
    pub max_rejects_pct: Option<f64>,
    /// How many rejected rows to show per source.
    #[arg(long, value_name = "N", default_value = "5")]
    pub show: usize,
}

pub fn exec(args: ValidateArgs) -> Result<ExitCode> {
    let targets = Targets::load(None, &args.inputs.preset)?;
    let tz = resolve_tz(args.inputs.tz.as_deref(), &targets)?;
    let dataset = load_csv(
        &CsvInputs {
            shown_rejects: args.show,
            ..args.inputs.csv_inputs(Some(DEFAULT_REJECTS))
        },
        tz,
        &Keep::Nothing,
        &targets.mappings,
        &mut |_, _| Ok(()),
    )?;
    let text = match args.format {
        ValidateFormat::Json => {
            serde_json::to_string_pretty(&serde_json::json!({ "inputs": dataset.entries() }))?
                + "\n"
        }
        ValidateFormat::Table => render_table(&dataset, args.show),
    };
    emit(None, &text)?;
    if let Some(limit) = args.max_rejects_pct {
        let mut over = false;
        for (source, loaded) in &dataset.sources {
            let s = &loaded.stats;
            let pct = if s.read == 0 {
                0.0
            } else {
                100.0 * s.rejected as f64 / s.read as f64
            };
            if pct > limit {
                eprintln!("svcq: {source}: {pct:.2} % of rows rejected, more than --max-rejects-pct {limit}");
                over = true;
            }
        }
        if over {
            return Ok(ExitCode::from(EXIT_ERROR));
        }
    }
    Ok(ExitCode::from(EXIT_OK))
}

fn render_table(dataset: &Dataset, show: usize) -> String {
    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED);
    table.set_header([
        "source",
        "file",
        "read",
        "accepted",
        "rejected",
        "rejects file",
    ]);
    let mut details = String::new();
    for (name, entry) in dataset.entries() {
        match entry {
            InputEntry::Read(s) => {
                table.add_row([
                    name.to_string(),
                    s.path.clone(),
                    thousands(s.read),
                    thousands(s.accepted),
                    thousands(s.rejected),
                    s.rejects_file.clone().unwrap_or_default(),
                ]);
                let source = Source::ALL
                    .into_iter()
                    .find(|x| x.name() == name)
                    .expect("known source");
                let rejects = &dataset.sources[&source].rejects;
                if s.rejected > 0 {
                    details.push_str(&format!("\n{name}: {} rejected\n", thousands(s.rejected)));
                    for (reason, count) in &s.reasons {
                        details.push_str(&format!("  {:>7}  {reason}\n", thousands(*count)));
                    }
                    for r in rejects.iter().take(show) {
                        details.push_str(&format!("  {}\n", r.describe()));
                    }
                    if s.rejected > show as u64 {
                        details.push_str(&format!(
                            "  … and {} more in {}\n",
                            thousands(s.rejected - show as u64),
                            s.rejects_file.as_deref().unwrap_or("the rejects file")
                        ));
                    }
                }
            }
            InputEntry::Skipped { skipped } => {
                table.add_row([
                    name.to_string(),
                    format!("skipped: {skipped}"),
                    "".into(),
                    "".into(),
                    "".into(),
                    "".into(),
                ]);
            }
        }
    }
    format!("{table}\n{details}")
}
