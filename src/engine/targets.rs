//! The targets file (`svcq.toml`): time zone, SLA hours per priority, and the
//! targets each KPI is judged against. Everything in it is validated up front so a
//! target can never silently not fire. (A hundred lines over 340 are its tests.)

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};
use toml::Spanned;

use super::clock::{ClockSpec, Clocks, RuleSpec, ScheduleSpec, SlaSpec, WorkingDaysSpec};
use super::complaints::settings::{ComplaintsSpec, TextSettings};
use super::sql::settings::{Engines, EnginesSpec};
use super::windows::{PriorityHoursSpec, WindowsSpec};
pub use super::windows::{SlaHours, Windows};
use crate::engine::catalogue::{self as metrics, MetricDef, Origin, Unit};
use crate::source::canonical_priority;
use crate::source::mapping::{self, Mappings};

pub const DEFAULT_FILE: &str = "svcq.toml";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSpec {
    timezone: Option<String>,
    #[serde(default)]
    sla_hours: SlaHours,
    #[serde(default)]
    windows: WindowsSpec,
    #[serde(default)]
    sources: BTreeMap<String, mapping::MappingSpec>,
    #[serde(default, rename = "target")]
    targets: Vec<TargetSpec>,
    // Business hours and working days (engine/clock).
    schedule: Option<Spanned<String>>,
    #[serde(default)]
    schedule_rule: Vec<RuleSpec>,
    #[serde(default)]
    schedules: BTreeMap<String, ScheduleSpec>,
    #[serde(default)]
    sla: SlaSpec,
    #[serde(default)]
    working_days: WorkingDaysSpec,
    sla_resolution_hours: Option<PriorityHoursSpec>,
    #[serde(default)]
    complaints: ComplaintsSpec,
    #[serde(default)]
    engine: EnginesSpec,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TargetSpec {
    metric: String,
    min: Option<f64>,
    max: Option<f64>,
    warn: Option<f64>,
    #[serde(rename = "where", default)]
    segment: BTreeMap<String, String>,
    weight: Option<f64>,
    min_n: Option<u64>,
}

/// Which side of the target value is good.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Bound {
    Min(f64),
    Max(f64),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Pass,
    Warn,
    Fail,
    NoTarget,
    NoData,
}

impl Status {
    pub fn label(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Warn => "warn",
            Status::Fail => "fail",
            Status::NoTarget => "no target",
            Status::NoData => "no data",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Target {
    pub metric: &'static MetricDef,
    pub bound: Bound,
    pub warn: Option<f64>,
    /// Equality filters on dimensions (`where = { priority = "urgent" }`); empty = all.
    pub segment: BTreeMap<String, String>,
    pub weight: f64,
    pub min_n: Option<u64>,
}

/// The target as the JSON contract shows it: `{"max": 6.0, "warn": 5.0}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TargetView {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warn: Option<f64>,
}

impl Target {
    pub fn view(&self) -> TargetView {
        let (min, max) = match self.bound {
            Bound::Min(v) => (Some(v), None),
            Bound::Max(v) => (None, Some(v)),
        };
        TargetView {
            min,
            max,
            warn: self.warn,
        }
    }

    /// pass / warn / fail for a value with `n` samples; no_data below `min_n`.
    pub fn judge(&self, value: Option<f64>, n: u64, min_n: u64) -> Status {
        let Some(v) = value else {
            return Status::NoData;
        };
        if n < self.min_n.unwrap_or(min_n) {
            return Status::NoData;
        }
        let (failed, warned) = match self.bound {
            Bound::Min(t) => (v < t, self.warn.is_some_and(|w| v < w)),
            Bound::Max(t) => (v > t, self.warn.is_some_and(|w| v > w)),
        };
        if failed {
            Status::Fail
        } else if warned {
            Status::Warn
        } else {
            Status::Pass
        }
    }

    /// How far the target is met, 0–1, for the service index.
    pub fn attainment(&self, v: f64) -> f64 {
        match self.bound {
            Bound::Min(t) if t <= 0.0 => 1.0,
            Bound::Min(t) => (v / t).clamp(0.0, 1.0),
            Bound::Max(_) if v <= 0.0 => 1.0,
            Bound::Max(t) => (t / v).clamp(0.0, 1.0),
        }
    }

    pub fn describe_segment(&self) -> String {
        segment_label(&self.segment)
    }
}

pub fn segment_label(segment: &BTreeMap<String, String>) -> String {
    segment
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[derive(Debug, Clone)]
pub struct Targets {
    pub timezone: Option<String>,
    pub windows: Windows,
    /// Business hours, working days and the SLA clock.
    pub clocks: Clocks,
    pub targets: Vec<Target>,
    /// Where they came from: a file path, or "built-in defaults".
    pub origin: String,
    /// How that file was found (`named by --config`, `in a parent directory`…).
    pub found: &'static str,
    /// The built-in goals (no targets file): targets on a source that was not given
    /// are left out rather than judged.
    pub builtin: bool,
    /// How each source's export maps onto the contract (`[sources.*]`).
    pub mappings: Mappings,
    /// Terms, aspects and complaint lists (`[complaints]`).
    pub text: TextSettings,
    /// How to reach Spark and DuckDB (`[engine.*]`).
    pub engines: Engines,
}

/// The published industry goals, used when there is no targets file.
pub const DEFAULT_TOML: &str = include_str!("default_targets.toml");

impl Targets {
    /// The config file ([`locate`]), else the built-in goals; the sources of
    /// `presets` (`--preset`) start from those presets' mappings.
    pub fn load(explicit: Option<&Path>, presets: &[String]) -> Result<Targets> {
        match locate(explicit) {
            Some((p, found)) => {
                crate::ui::detail(format!("config: {} ({found})", p.display()));
                let text = std::fs::read_to_string(&p)
                    .with_context(|| format!("cannot read config file {}", p.display()))?;
                Ok(Targets {
                    found,
                    ..Targets::parse_with(&text, &p.display().to_string(), presets)?
                })
            }
            None => {
                crate::ui::detail("config: none found; the built-in goals apply");
                Ok(Targets {
                    builtin: true,
                    ..Targets::parse_with(DEFAULT_TOML, "built-in defaults", presets)?
                })
            }
        }
    }

    pub fn parse(text: &str, origin: &str) -> Result<Targets> {
        Targets::parse_with(text, origin, &[])
    }

    fn parse_with(text: &str, origin: &str, presets: &[String]) -> Result<Targets> {
        let mut spec: FileSpec =
            toml::from_str(text).with_context(|| format!("{origin}: invalid targets file"))?;
        crate::source::presets::apply(&mut spec.sources, presets).context("--preset")?;
        let clocks = ClockSpec {
            schedule: spec.schedule,
            rules: spec.schedule_rule,
            schedules: spec.schedules,
            sla: spec.sla,
            working_days: spec.working_days,
        }
        .validate(text, origin, Path::new(origin).parent())?;
        let defaults = Windows::default();
        let resolution = spec
            .windows
            .resolution_hours
            .unwrap_or_default()
            .over(defaults.resolution);
        let windows = Windows {
            sla: spec.sla_hours,
            resolution,
            sla_resolution: spec
                .sla_resolution_hours
                .unwrap_or_default()
                .over(resolution),
            refund_sla_days: clocks.refund_sla_days,
            return_days: spec.windows.return_days.unwrap_or(defaults.return_days),
            followup_hours: spec
                .windows
                .followup_hours
                .unwrap_or(defaults.followup_hours),
        };
        windows.sla.check(origin, "sla_hours")?;
        windows
            .resolution
            .check(origin, "windows.resolution_hours")?;
        windows
            .sla_resolution
            .check(origin, "sla_resolution_hours")?;
        for (key, v) in [
            ("windows.return_days", windows.return_days),
            ("windows.followup_hours", windows.followup_hours),
        ] {
            if !(v.is_finite() && v > 0.0) {
                bail!("{origin}: {key} = {v} must be a positive number");
            }
        }
        if let Some(tz) = &spec.timezone {
            crate::source::timestamp::parse_tz(tz)
                .with_context(|| format!("{origin}: timezone"))?;
        }
        let targets = spec
            .targets
            .into_iter()
            .enumerate()
            .map(|(i, t)| validate(t).with_context(|| format!("{origin}: target #{}", i + 1)))
            .collect::<Result<Vec<_>>>()?;
        let text = spec
            .complaints
            .validate(origin, Path::new(origin).parent())?;
        let engines = spec.engine.validate(origin, Path::new(origin).parent())?;
        Ok(Targets {
            engines,
            text,
            timezone: spec.timezone,
            windows,
            clocks,
            targets,
            origin: origin.to_string(),
            found: "built in",
            builtin: false,
            mappings: mapping::parse(spec.sources, Path::new(origin).parent())
                .with_context(|| origin.to_string())?,
        })
    }

    /// The most specific target for a metric row: the one whose segment is the
    /// largest subset of the row's group.
    pub fn for_row(&self, id: &str, group: &BTreeMap<String, String>) -> Option<&Target> {
        self.targets
            .iter()
            .filter(|t| t.metric.id == id && t.segment.iter().all(|(k, v)| group.get(k) == Some(v)))
            .max_by_key(|t| t.segment.len())
    }
}

/// The config file: `explicit` (`--targets`), else `--config`, else
/// `$SVCQ_CONFIG`, else svcq.toml in the current directory or the nearest parent
/// that has one (as cargo and ripgrep users expect); with how it was found.
pub fn locate(explicit: Option<&Path>) -> Option<(PathBuf, &'static str)> {
    if let Some(p) = explicit {
        return Some((p.to_path_buf(), "named by --targets"));
    }
    if let Some(p) = crate::ui::config() {
        return Some((p.to_path_buf(), "named by --config"));
    }
    if let Some(p) = std::env::var_os("SVCQ_CONFIG").filter(|p| !p.is_empty()) {
        return Some((PathBuf::from(p), "named by SVCQ_CONFIG"));
    }
    let here = std::env::current_dir().ok()?;
    for dir in here.ancestors() {
        let candidate = dir.join(DEFAULT_FILE);
        if candidate.is_file() {
            return Some(if dir == here {
                (PathBuf::from(DEFAULT_FILE), "in the current directory")
            } else {
                (candidate, "in a parent directory")
            });
        }
    }
    None
}

fn validate(spec: TargetSpec) -> Result<Target> {
    let metric = metrics::find(&spec.metric).ok_or_else(|| {
        anyhow::anyhow!(
            "unknown metric {:?}; {}valid metrics: {}",
            spec.metric,
            crate::suggest::did_you_mean(&spec.metric, metrics::ids()),
            metrics::ids().join(", ")
        )
    })?;
    let bound = match (spec.min, spec.max) {
        (Some(v), None) => Bound::Min(v),
        (None, Some(v)) => Bound::Max(v),
        _ => bail!(
            "metric {}: give exactly one of `min` (at least) or `max` (at most)",
            metric.id
        ),
    };
    let value = match bound {
        Bound::Min(v) | Bound::Max(v) => v,
    };
    for v in std::iter::once(value).chain(spec.warn) {
        if !v.is_finite() {
            bail!("metric {}: {v} is not a number", metric.id);
        }
        if metric.unit == Unit::Rate && !(0.0..=1.0).contains(&v) {
            bail!(
                "metric {}: {v} is not a rate; rates are fractions from 0 to 1 (0.85 means 85 %)",
                metric.id
            );
        }
    }
    if let Some(w) = spec.warn {
        match bound {
            Bound::Min(t) if w < t => bail!(
                "metric {}: warn {w} must be ≥ min {t} (warn before failing)",
                metric.id
            ),
            Bound::Max(t) if w > t => bail!(
                "metric {}: warn {w} must be ≤ max {t} (warn before failing)",
                metric.id
            ),
            _ => {}
        }
    }
    let weight = spec.weight.unwrap_or(1.0);
    if !(weight.is_finite() && weight >= 0.0) {
        bail!("metric {}: weight {weight} must be ≥ 0", metric.id);
    }
    let mut segment = BTreeMap::new();
    for (dim, value) in spec.segment {
        let dims: &[&str] = match metric.origin {
            Origin::Source(s) => s.dimensions(),
            Origin::Composite => &[],
        };
        if !dims.contains(&dim.as_str()) {
            bail!(
                "metric {}: unknown dimension {dim:?} in `where`; {}{} can be filtered by: {}",
                metric.id,
                crate::suggest::did_you_mean(&dim, dims.iter().copied()),
                metric.origin.name(),
                if dims.is_empty() {
                    "nothing".to_string()
                } else {
                    dims.join(", ")
                }
            );
        }
        let value = normalize_dimension_value(&dim, &value)
            .with_context(|| format!("metric {}", metric.id))?;
        segment.insert(dim, value);
    }
    Ok(Target {
        metric,
        bound,
        warn: spec.warn,
        segment,
        weight,
        min_n: spec.min_n,
    })
}

/// A dimension value as the data holds it (priorities canonical, labels lower-case).
pub fn normalize_dimension_value(dim: &str, value: &str) -> Result<String> {
    let value = value.trim();
    Ok(match dim {
        "priority" => canonical_priority(value)
            .ok_or_else(|| {
                anyhow::anyhow!("priority {value:?} is not urgent, high, normal or low")
            })?
            .to_string(),
        "channel" | "category" => value.to_lowercase(),
        _ => value.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_parse_and_hold_the_published_goals() {
        let t = Targets::parse(DEFAULT_TOML, "defaults").unwrap();
        assert_eq!(t.targets.len(), 9);
        let frt = t
            .targets
            .iter()
            .find(|t| t.metric.id == "first_response_hours_mean")
            .unwrap();
        assert_eq!(frt.bound, Bound::Max(6.0));
        assert_eq!(t.windows, Windows::default());
    }

    #[test]
    fn windows_default_per_key() {
        let t = Targets::parse(
            "[windows]\nfollowup_hours = 24\n[windows.resolution_hours]\nurgent = 8\n",
            "t",
        )
        .unwrap();
        assert_eq!(t.windows.followup_hours, 24.0);
        assert_eq!(t.windows.return_days, 7.0);
        assert_eq!(t.windows.resolution.urgent, 8.0);
        assert_eq!(t.windows.resolution.low, 72.0);
        assert_eq!(t.windows.sla, SlaHours::default());
    }

    #[test]
    fn judge_and_attainment() {
        let t = Targets::parse(
            "[[target]]\nmetric = \"first_response_hours_mean\"\nmax = 6.0\nwarn = 5.0\n",
            "t",
        )
        .unwrap()
        .targets
        .remove(0);
        assert_eq!(t.judge(Some(4.0), 10, 1), Status::Pass);
        assert_eq!(t.judge(Some(5.0), 10, 1), Status::Pass);
        assert_eq!(t.judge(Some(5.5), 10, 1), Status::Warn);
        assert_eq!(t.judge(Some(6.0), 10, 1), Status::Warn);
        assert_eq!(t.judge(Some(6.1), 10, 1), Status::Fail);
        assert_eq!(t.judge(None, 0, 1), Status::NoData);
        assert_eq!(t.judge(Some(1.0), 4, 5), Status::NoData);
        assert_eq!(t.attainment(12.0), 0.5);
        assert_eq!(t.attainment(0.0), 1.0);
    }

    #[test]
    fn bad_files_are_errors_that_say_why() {
        let err = |s: &str| format!("{:#}", Targets::parse(s, "f").unwrap_err());
        assert!(err("[[target]]\nmetric = \"frt\"\nmax = 1\n").contains("valid metrics: tickets"));
        assert!(
            err("[[target]]\nmetric = \"tickets\"\nmax = 1\nwhere = { carrier = \"x\" }\n")
                .contains("can be filtered by: channel, priority, category, agent")
        );
        assert!(err("[[target]]\nmetric = \"return_rate\"\nmax = 15\n").contains("fractions"));
        assert!(err("[[target]]\nmetric = \"tickets\"\n").contains("exactly one"));
        assert!(
            err("[[target]]\nmetric = \"rating_avg\"\nmin = 4.5\nwarn = 4.0\n").contains("warn")
        );
        assert!(err("[[targets]]\nmetric = \"tickets\"\n").contains("unknown field"));
        assert!(err("timezone = \"Mars/Olympus\"\n").contains("unknown time zone"));
        assert!(err("[sla_hours]\nurgent = 0\n").contains("positive"));
        assert!(err("[windows]\nreturn_days = -1\n").contains("windows.return_days"));
        assert!(err("[windows.resolution_hours]\nlow = 0\n").contains("resolution_hours.low"));
        assert!(err("[windows]\nreturn_day = 7\n").contains("unknown field"));
    }

    #[test]
    fn most_specific_target_wins() {
        let t = Targets::parse(
            "[[target]]\nmetric = \"first_response_hours_p90\"\nmax = 6\n\
             [[target]]\nmetric = \"first_response_hours_p90\"\nmax = 0.5\nwhere = { priority = \"RED\" }\n",
            "t",
        )
        .unwrap();
        let urgent = BTreeMap::from([("priority".to_string(), "urgent".to_string())]);
        let low = BTreeMap::from([("priority".to_string(), "low".to_string())]);
        assert_eq!(
            t.for_row("first_response_hours_p90", &urgent)
                .unwrap()
                .bound,
            Bound::Max(0.5)
        );
        assert_eq!(
            t.for_row("first_response_hours_p90", &low).unwrap().bound,
            Bound::Max(6.0)
        );
        assert_eq!(
            t.for_row("first_response_hours_p90", &BTreeMap::new())
                .unwrap()
                .bound,
            Bound::Max(6.0)
        );
    }
}
