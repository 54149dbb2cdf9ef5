//! A histogram of a duration family (first response, resolution, delivery, refund),
//! with the engine's p50 and p90 and the target marked. Bins are logarithmic when
//! the tail is long, so the bulk and the tail are both visible.

use anyhow::Result;
use plotters::coord::combinators::IntoLogRange;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{
    axis_value, no_data, plot_error, render, titled, Canvas, Theme, GRID, MUTED, NEUTRAL, TARGET,
};
use crate::engine::catalogue::{self, Span, Unit};
use crate::engine::model::Report;
use crate::render::{format_hours, thousands};

const BINS: usize = 30;
/// The smallest duration a log axis shows: one minute (shorter ones join the first bin).
const LOG_FLOOR_HOURS: f64 = 1.0 / 60.0;

pub struct Distribution {
    pub family: &'static Span,
    /// Sorted samples in hours, from the engine.
    pub samples: Vec<f64>,
    pub p50: Option<f64>,
    pub p90: Option<f64>,
    /// Targets on any of the family's metrics, as `(label, value)`.
    pub targets: Vec<(String, f64)>,
    pub period: String,
}

impl Distribution {
    pub fn new(report: &Report, family: &'static Span, samples: Vec<f64>) -> Distribution {
        let value = |suffix: &str| {
            report
                .find(&format!("{}_{suffix}", family.family), None)
                .and_then(|r| r.value)
        };
        let mut targets = Vec::new();
        for suffix in ["mean", "p50", "p90"] {
            let id = format!("{}_{suffix}", family.family);
            if let Some(t) = report.find(&id, None).and_then(|r| r.target.as_ref()) {
                if let Some(v) = t.max.or(t.min) {
                    let sign = if t.max.is_some() { "≤" } else { "≥" };
                    targets.push((format!("target {suffix} {sign} {}", format_hours(v)), v));
                }
            }
        }
        Distribution {
            family,
            samples,
            p50: value("p50"),
            p90: value("p90"),
            targets,
            period: report.period.label.clone(),
        }
    }

    /// Logarithmic bins when the slowest is more than 20× the median.
    fn long_tail(&self) -> bool {
        let max = self.samples.last().copied().unwrap_or(0.0);
        match self.p50 {
            Some(p50) if p50 > 0.0 => max / p50 > 20.0,
            _ => max > 0.0,
        }
    }
}

/// Bin edges and counts; every sample lands in exactly one bin.
fn bins(samples: &[f64], log: bool) -> (Vec<f64>, Vec<u64>) {
    let max = samples.last().copied().unwrap_or(0.0);
    let edges: Vec<f64> = if log {
        let lo = LOG_FLOOR_HOURS.ln();
        let hi = (max.max(LOG_FLOOR_HOURS * 2.0) * 1.0001).ln();
        (0..=BINS)
            .map(|i| (lo + (hi - lo) * i as f64 / BINS as f64).exp())
            .collect()
    } else {
        let hi = if max > 0.0 { max * 1.0001 } else { 1.0 };
        (0..=BINS).map(|i| hi * i as f64 / BINS as f64).collect()
    };
    let mut counts = vec![0u64; BINS];
    for &s in samples {
        let i = edges[1..].partition_point(|e| *e <= s).min(BINS - 1);
        counts[i] += 1;
    }
    (edges, counts)
}

pub fn draw(d: &Distribution, canvas: &Canvas) -> Result<Vec<u8>> {
    render(canvas, |root, theme| draw_on(root, theme, d, canvas))
}

fn draw_on(root: &super::Area, theme: &Theme, d: &Distribution, canvas: &Canvas) -> Result<()> {
    let title = canvas.title_or(format!("{} distribution", d.family.title));
    let log = d.long_tail();
    let subtitle = format!(
        "{} · {} {} · {}",
        d.period,
        thousands(d.samples.len() as u64),
        d.family.source.name(),
        if log { "log-scaled hours" } else { "hours" }
    );
    let area = titled(root, theme, &title, &subtitle)?;
    if d.samples.is_empty() {
        return no_data(&area, theme, "no record of this period has this duration");
    }
    let (edges, counts) = bins(&d.samples, log);
    let top = counts.iter().copied().max().unwrap_or(1).max(1) as f64 * 1.2;
    let mut marks: Vec<(String, f64, &'static RGBColor)> = Vec::new();
    if let Some(v) = d.p50 {
        marks.push((format!("p50 {}", format_hours(v)), v, &NEUTRAL));
    }
    if let Some(v) = d.p90 {
        marks.push((format!("p90 {}", format_hours(v)), v, &MUTED));
    }
    for (label, v) in &d.targets {
        marks.push((label.clone(), *v, &TARGET));
    }
    let lo_edge = edges[0];
    let hi_edge = marks.iter().map(|m| m.1 * 1.05).fold(edges[BINS], f64::max);
    let y_desc = "records";
    let x_desc = "hours";
    let bar_style = NEUTRAL.mix(0.55).filled();
    let mark_width = theme.px(2.0).max(1) as u32;
    let label_style = |c: &'static RGBColor| {
        theme
            .font(11.0)
            .color(c)
            .pos(Pos::new(HPos::Left, VPos::Top))
    };

    macro_rules! body {
        ($chart:expr) => {{
            let mut chart = $chart;
            chart
                .configure_mesh()
                .light_line_style(TRANSPARENT)
                .bold_line_style(GRID)
                .x_desc(x_desc)
                .y_desc(y_desc)
                .x_label_formatter(&|v| axis_value(Unit::Hours, *v))
                .y_label_formatter(&|v| axis_value(Unit::Count, v.round()))
                .label_style(theme.label())
                .axis_desc_style(theme.label())
                .draw()
                .map_err(plot_error)?;
            chart
                .draw_series(
                    counts
                        .iter()
                        .enumerate()
                        .filter(|(_, c)| **c > 0)
                        .map(|(i, c)| {
                            let mut r = Rectangle::new(
                                [(edges[i], 0.0), (edges[i + 1], *c as f64)],
                                bar_style,
                            );
                            r.set_margin(0, 0, 1, 1);
                            r
                        }),
                )
                .map_err(plot_error)?;
            for (k, (label, v, color)) in marks.iter().enumerate() {
                let x = v.max(lo_edge);
                chart
                    .draw_series(LineSeries::new(
                        [(x, 0.0), (x, top)],
                        color.stroke_width(mark_width),
                    ))
                    .map_err(plot_error)?;
                let y = top * (0.98 - 0.07 * k as f64);
                chart
                    .draw_series(std::iter::once(Text::new(
                        format!(" {label}"),
                        (x, y),
                        label_style(color),
                    )))
                    .map_err(plot_error)?;
            }
        }};
    }
    let builder = |area| {
        let mut b = ChartBuilder::on(area);
        b.margin(theme.px(16.0))
            .x_label_area_size(theme.px(44.0))
            .y_label_area_size(theme.px(64.0));
        b
    };
    if log {
        body!(builder(&area)
            .build_cartesian_2d((lo_edge..hi_edge).log_scale(), 0.0..top)
            .map_err(plot_error)?);
    } else {
        body!(builder(&area)
            .build_cartesian_2d(lo_edge..hi_edge, 0.0..top)
            .map_err(plot_error)?);
    }
    Ok(())
}

/// The duration family a `distribution --metric` names: the family itself or any of
/// its metric ids (`first_response_hours_p90` → `first_response_hours`).
pub fn family_of(name: &str) -> Option<&'static Span> {
    catalogue::duration(name).or_else(|| {
        catalogue::DURATIONS.iter().copied().find(|d| {
            name.strip_prefix(d.family)
                .is_some_and(|rest| rest.starts_with('_'))
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_sample_lands_in_one_bin() {
        let samples = vec![0.0, 0.01, 0.5, 1.0, 2.0, 48.0, 400.0];
        for log in [false, true] {
            let (edges, counts) = bins(&samples, log);
            assert_eq!(edges.len(), BINS + 1);
            assert_eq!(
                counts.iter().sum::<u64>(),
                samples.len() as u64,
                "log={log}"
            );
            assert!(edges.windows(2).all(|w| w[0] < w[1]));
        }
        // Linear: 0..400.04 in 30 bins of 13.33 h; 0, 0.01, 0.5, 1, 2 share the first.
        let (_, counts) = bins(&samples, false);
        assert_eq!(counts[0], 5);
        assert_eq!(counts[29], 1);
    }

    #[test]
    fn families_by_name_or_metric_id() {
        assert_eq!(family_of("refund_hours").unwrap().family, "refund_hours");
        assert_eq!(
            family_of("first_response_hours_p90").unwrap().family,
            "first_response_hours"
        );
        assert!(family_of("rating_avg").is_none());
    }
}
