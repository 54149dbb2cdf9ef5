use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};

use super::args::AnalysisArgs;
use crate::engine::catalogue::{self, MetricDef};
use crate::engine::complaints::ComplaintOptions;
use crate::engine::period;
use crate::engine::{Query, ReportOptions, Split};
use crate::exit::OK as EXIT_OK;
use crate::fsutil::atomic_write_bytes;
use crate::render::chart::breakdown::{self, Breakdown};
use crate::render::chart::complaints::{self, Diverging};
use crate::render::chart::distribution::{self, Distribution};
use crate::render::chart::trend::{self, Trend};
use crate::render::chart::{pareto, scorecard, Canvas};
use crate::source::Source;

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  svcq chart trend --data sample-data --metric first_response_hours_mean --last 4w --out frt.png
  svcq chart breakdown --data sample-data --metric on_time_rate --by carrier --out carriers.png
  svcq chart distribution --data sample-data --metric first_response_hours --out frt-hist.png
  svcq chart pareto --data sample-data --source shipments --field return_reason --out returns.png
  svcq chart scorecard --data sample-data --out scorecard.png
  svcq chart complaints --data sample-data --out complaints.png

Charts draw the same numbers `svcq report` prints, with the bundled Latin + CJK font.")]
pub struct ChartArgs {
    #[command(subcommand)]
    pub kind: ChartKind,
}

#[derive(Debug, Subcommand)]
pub enum ChartKind {
    /// A KPI per week, day or month across the period (default: the last 8 weeks),
    /// with the target line, the warn band and points coloured by status.
    Trend {
        /// Metric id, e.g. first_response_hours_mean (see docs/metrics.md).
        #[arg(long, value_name = "ID")]
        metric: String,
        /// One point per week, day or month.
        #[arg(long, value_name = "UNIT", default_value = "week")]
        by: String,
        #[command(flatten)]
        common: Common,
    },
    /// A KPI per segment as sorted horizontal bars, coloured by status, n on each bar.
    Breakdown {
        #[arg(long, value_name = "ID")]
        metric: String,
        /// channel, priority, category, agent (tickets); carrier, region (shipments);
        /// channel (reviews).
        #[arg(long, value_name = "DIM")]
        by: String,
        #[command(flatten)]
        common: Common,
    },
    /// A histogram of a duration with p50, p90 and the target marked.
    Distribution {
        /// first_response_hours, resolution_hours, delivery_hours or refund_hours
        /// (a metric id such as first_response_hours_p90 names its family too).
        #[arg(long, value_name = "DURATION")]
        metric: String,
        #[command(flatten)]
        common: Common,
    },
    /// Records per value of a field, most first, with the cumulative share.
    Pareto {
        #[arg(long, value_enum, value_name = "SOURCE", default_value = "shipments")]
        source: SourceArg,
        /// shipments: return_reason, carrier, region, status; tickets: category,
        /// channel, priority, agent; reviews: channel.
        #[arg(long, value_name = "FIELD", default_value = "return_reason")]
        field: String,
        #[command(flatten)]
        common: Common,
    },
    /// Diverging bars of the top complaint terms (right) and praise terms (left)
    /// of the period's reviews, with the number of reviews using each.
    Complaints {
        #[command(flatten)]
        common: Common,
    },
    /// One tile per targeted KPI: value, target, status and change against the
    /// previous period.
    Scorecard {
        #[command(flatten)]
        common: Common,
    },
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum SourceArg {
    Tickets,
    Shipments,
    Reviews,
}

impl From<SourceArg> for Source {
    fn from(s: SourceArg) -> Source {
        match s {
            SourceArg::Tickets => Source::Tickets,
            SourceArg::Shipments => Source::Shipments,
            SourceArg::Reviews => Source::Reviews,
        }
    }
}

/// What every chart kind takes: data, period, targets and the picture's size.
#[derive(Debug, Args)]
pub struct Common {
    #[command(flatten)]
    pub analysis: AnalysisArgs,
    /// The PNG file to write (atomically).
    #[arg(long, value_name = "FILE.png", help_heading = "Output")]
    pub out: PathBuf,
    #[arg(
        long,
        value_name = "PX",
        default_value = "1600",
        help_heading = "Output"
    )]
    pub width: u32,
    #[arg(
        long,
        value_name = "PX",
        default_value = "900",
        help_heading = "Output"
    )]
    pub height: u32,
    /// Replaces the chart's title.
    #[arg(long, help_heading = "Output")]
    pub title: Option<String>,
}

impl Common {
    fn canvas(&self) -> Canvas {
        Canvas {
            width: self.width,
            height: self.height,
            title: self.title.clone(),
        }
    }
}

fn metric(id: &str) -> Result<&'static MetricDef> {
    match catalogue::find(id) {
        Some(m) => Ok(m),
        None => bail!(
            "unknown metric {id:?}; {}valid: {}",
            crate::suggest::did_you_mean(id, catalogue::ids()),
            catalogue::ids().join(", ")
        ),
    }
}

pub fn exec(args: ChartArgs) -> Result<ExitCode> {
    let common = match &args.kind {
        ChartKind::Trend { common, .. }
        | ChartKind::Breakdown { common, .. }
        | ChartKind::Distribution { common, .. }
        | ChartKind::Pareto { common, .. }
        | ChartKind::Complaints { common }
        | ChartKind::Scorecard { common } => common,
    };
    let canvas = common.canvas();
    let fields: Vec<&str> = match &args.kind {
        ChartKind::Breakdown { by, .. } => vec![by.as_str()],
        ChartKind::Pareto { field, .. } => vec![field.as_str()],
        // The chart shows no examples: the ids need not be held as text.
        ChartKind::Complaints { .. } => vec!["text"],
        _ => Vec::new(),
    };
    // Arguments are checked before any data is read.
    let mut options: ReportOptions = common.analysis.options();
    let period = options.period.clone();
    let queries = match &args.kind {
        ChartKind::Trend { metric: id, by, .. } => {
            metric(id)?;
            let Some(unit) = period::Unit::parse(by) else {
                bail!("--by {by:?}: a trend is by week, day or month");
            };
            if !common.analysis.period.given() {
                options.period.last = Some("8w".into());
            }
            options.split = Some(Split::Time(unit));
            vec![Query::Report(options)]
        }
        ChartKind::Breakdown { metric: id, by, .. } => {
            options.split = Some(Split::for_metric(metric(id)?, by)?);
            vec![Query::Report(options)]
        }
        ChartKind::Distribution { metric: name, .. } => {
            let Some(span) = distribution::family_of(name) else {
                let valid: Vec<&str> = catalogue::DURATIONS.iter().map(|d| d.family).collect();
                bail!(
                    "--metric {name:?} is not a duration; valid: {}",
                    valid.join(", ")
                );
            };
            vec![Query::Report(options), Query::Durations { span, period }]
        }
        ChartKind::Pareto { source, field, .. } => vec![Query::Counts {
            source: (*source).into(),
            field: field.clone(),
            period,
        }],
        ChartKind::Scorecard { .. } => {
            options.compare = true;
            vec![Query::Report(options)]
        }
        ChartKind::Complaints { .. } => vec![Query::Complaints(ComplaintOptions {
            period,
            ..Default::default()
        })],
    };
    let analysis = match &args.kind {
        // It draws the review terms. Shipments feed none; the tickets only the
        // default as-of time (their latest event), so with --as-of they go unread.
        ChartKind::Complaints { .. } => {
            let mut unused = vec![Source::Shipments];
            if common.analysis.period.as_of.is_some() {
                unused.push(Source::Tickets);
            }
            common.analysis.load_without(&fields, &unused)?
        }
        _ => common.analysis.load(&fields)?,
    };
    let engine = common.analysis.engine(&analysis)?;
    let mut answers = engine.run(&analysis.targets, &queries)?.into_iter();
    let mut next = || answers.next().context("internal: an answer per query");
    let png = match &args.kind {
        ChartKind::Trend { metric: id, .. } => trend::draw(
            &Trend::from_report(&next()?.into_report()?, metric(id)?),
            &canvas,
        )?,
        ChartKind::Breakdown { metric: id, by, .. } => breakdown::draw(
            &Breakdown::from_report(&next()?.into_report()?, metric(id)?, by),
            &canvas,
        )?,
        ChartKind::Distribution { metric: name, .. } => {
            let report = next()?.into_report()?;
            let span = distribution::family_of(name).context("checked above")?;
            let samples = next()?.into_durations()?;
            distribution::draw(&Distribution::new(&report, span, samples), &canvas)?
        }
        ChartKind::Pareto { .. } => pareto::draw(&next()?.into_counts()?, &canvas)?,
        ChartKind::Scorecard { .. } => scorecard::draw(&next()?.into_report()?, &canvas)?,
        ChartKind::Complaints { .. } => complaints::draw(
            &Diverging::from_complaints(&next()?.into_complaints()?),
            &canvas,
        )?,
    };
    atomic_write_bytes(&common.out, &png)?;
    crate::ui::note(format!("wrote {}", common.out.display()));
    Ok(ExitCode::from(EXIT_OK))
}
