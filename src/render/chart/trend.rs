//! A KPI's time series: one point per week/day/month, the target as a line, the
//! warn band shaded, points coloured by status.

use anyhow::Result;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{
    axis_value, no_data, plot_error, render, status_color, target_lines, titled, Canvas, Theme,
    GRID, MUTED, NEUTRAL, TARGET, WARN_BAND,
};
use crate::engine::catalogue::MetricDef;
use crate::engine::model::Report;
use crate::engine::targets::{Status, TargetView};
use crate::render::{format_target, format_value};

pub struct TrendPoint {
    pub label: String,
    pub value: Option<f64>,
    pub status: Status,
}

pub struct Trend {
    pub metric: &'static MetricDef,
    /// week, day or month.
    pub unit: String,
    pub points: Vec<TrendPoint>,
    pub target: Option<TargetView>,
    pub period: String,
}

impl Trend {
    /// The metric's rows of a report split by time.
    pub fn from_report(report: &Report, metric: &'static MetricDef) -> Trend {
        let unit = report.by.clone().unwrap_or_else(|| "week".into());
        let rows: Vec<_> = report
            .metrics
            .iter()
            .filter(|r| {
                r.id == metric.id && r.group.as_ref().is_some_and(|g| g.contains_key(&unit))
            })
            .collect();
        Trend {
            metric,
            target: rows.iter().find_map(|r| r.target.clone()),
            points: rows
                .iter()
                .map(|r| TrendPoint {
                    label: r
                        .group
                        .as_ref()
                        .map(|g| g[&unit].clone())
                        .unwrap_or_default(),
                    value: r.value,
                    status: r.status,
                })
                .collect(),
            unit,
            period: report.period.label.clone(),
        }
    }
}

pub fn draw(trend: &Trend, canvas: &Canvas) -> Result<Vec<u8>> {
    render(canvas, |root, theme| draw_on(root, theme, trend, canvas))
}

/// Where a value label sits around its point, so it never lies on the line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    Above,
    Below,
    /// Above and to the left: the line rises through the point.
    AboveLeft,
    /// Above and to the right: the line falls through the point.
    AboveRight,
}

/// A peak or a lone point: above; a valley: below; on a rising or falling run:
/// above on the side the line does not go; at an end: away from its one segment.
fn place(points: &[TrendPoint], i: usize, v: f64) -> Place {
    let at = |j: Option<usize>| j.and_then(|j| points.get(j)).and_then(|p| p.value);
    match (at(i.checked_sub(1)), at(Some(i + 1))) {
        (Some(a), Some(b)) if a > v && b > v => Place::Below,
        (Some(a), Some(b)) if a < v && b > v => Place::AboveLeft,
        (Some(a), Some(b)) if a > v && b < v => Place::AboveRight,
        (None, Some(b)) | (Some(b), None) if b > v => Place::Below,
        _ => Place::Above,
    }
}

fn draw_on(root: &super::Area, theme: &Theme, trend: &Trend, canvas: &Canvas) -> Result<()> {
    let unit = trend.metric.unit;
    let title = canvas.title_or(format!("{} by {}", trend.metric.title, trend.unit));
    let subtitle = format!(
        "{} · target {}",
        trend.period,
        format_target(trend.target.as_ref(), unit)
    );
    let area = titled(root, theme, &title, &subtitle)?;
    let values: Vec<f64> = trend.points.iter().filter_map(|p| p.value).collect();
    if values.is_empty() {
        return no_data(&area, theme, "no record of this period has this metric");
    }
    let (target, warn) = target_lines(trend.target.as_ref());
    let mut lo = values.iter().copied().fold(f64::INFINITY, f64::min);
    let mut hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    for v in [target, warn].into_iter().flatten() {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    let pad = if hi > lo {
        (hi - lo) * 0.15
    } else {
        hi.abs().max(1.0) * 0.1
    };
    let (lo, hi) = (
        if lo >= 0.0 {
            (lo - pad).max(0.0)
        } else {
            lo - pad
        },
        hi + pad,
    );
    let count = trend.points.len();
    let labels: Vec<&str> = trend.points.iter().map(|p| p.label.as_str()).collect();
    let max_labels = ((canvas.width as f64 / theme.px(90.0) as f64) as usize).max(2);

    let mut chart = ChartBuilder::on(&area)
        .margin(theme.px(16.0))
        .x_label_area_size(theme.px(34.0))
        .y_label_area_size(theme.px(64.0))
        .build_cartesian_2d((0..count - 1).into_segmented(), lo..hi)
        .map_err(plot_error)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .light_line_style(TRANSPARENT)
        .bold_line_style(GRID)
        .x_labels(count.min(max_labels))
        .x_label_formatter(&|x| match x {
            SegmentValue::CenterOf(i) | SegmentValue::Exact(i) => {
                labels.get(*i).map(|s| s.to_string()).unwrap_or_default()
            }
            SegmentValue::Last => String::new(),
        })
        .y_label_formatter(&|v| axis_value(unit, *v))
        .label_style(theme.label())
        .draw()
        .map_err(plot_error)?;

    if let (Some(t), Some(w)) = (target, warn) {
        chart
            .draw_series(std::iter::once(Rectangle::new(
                [(SegmentValue::Exact(0), t), (SegmentValue::Last, w)],
                WARN_BAND.filled(),
            )))
            .map_err(plot_error)?;
    }
    if let Some(t) = target {
        chart
            .draw_series(LineSeries::new(
                [(SegmentValue::Exact(0), t), (SegmentValue::Last, t)],
                TARGET.stroke_width(theme.px(2.0).max(1) as u32),
            ))
            .map_err(plot_error)?;
        chart
            .draw_series(std::iter::once(Text::new(
                format!("target {}", format_value(unit, Some(t))),
                (SegmentValue::Last, t),
                theme
                    .font(11.0)
                    .color(&TARGET)
                    .pos(Pos::new(HPos::Right, VPos::Bottom)),
            )))
            .map_err(plot_error)?;
    }
    // The line breaks where a bucket has no data rather than bridging the gap.
    let mut run: Vec<(SegmentValue<usize>, f64)> = Vec::new();
    let mut runs = Vec::new();
    for (i, p) in trend.points.iter().enumerate() {
        match p.value {
            Some(v) => run.push((SegmentValue::CenterOf(i), v)),
            None => runs.push(std::mem::take(&mut run)),
        }
    }
    runs.push(run);
    for run in runs.into_iter().filter(|r| !r.is_empty()) {
        chart
            .draw_series(LineSeries::new(
                run,
                NEUTRAL.stroke_width(theme.px(2.5).max(1) as u32),
            ))
            .map_err(plot_error)?;
    }
    let radius = theme.px(5.0).max(2);
    let show_values = count <= 16;
    let gap = radius + theme.px(4.0);
    for (i, p) in trend.points.iter().enumerate() {
        let Some(v) = p.value else { continue };
        let label = if show_values {
            format_value(unit, Some(v))
        } else {
            String::new()
        };
        let (h, vpos, dx, dy) = match place(&trend.points, i, v) {
            Place::Above => (HPos::Center, VPos::Bottom, 0, -gap),
            Place::Below => (HPos::Center, VPos::Top, 0, gap),
            Place::AboveLeft => (HPos::Right, VPos::Bottom, -gap, -gap),
            Place::AboveRight => (HPos::Left, VPos::Bottom, gap, -gap),
        };
        let style = theme.font(11.0).color(&MUTED).pos(Pos::new(h, vpos));
        let point = EmptyElement::at((SegmentValue::CenterOf(i), v))
            + Circle::new((0, 0), radius, status_color(p.status).filled())
            + Text::new(label, (dx, dy), style);
        chart
            .draw_series(std::iter::once(point))
            .map_err(plot_error)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn points(values: &[Option<f64>]) -> Vec<TrendPoint> {
        values
            .iter()
            .map(|v| TrendPoint {
                label: String::new(),
                value: *v,
                status: Status::NoTarget,
            })
            .collect()
    }

    #[test]
    fn labels_go_on_the_side_away_from_the_line() {
        let p = points(&[
            Some(2.0),
            Some(1.0),
            Some(3.0),
            Some(4.0),
            Some(2.5),
            Some(2.0),
            None,
            Some(5.0),
        ]);
        let at = |i: usize| place(&p, i, p[i].value.unwrap());
        assert_eq!(at(0), Place::Above); // the line goes down from it
        assert_eq!(at(1), Place::Below); // a valley
        assert_eq!(at(2), Place::AboveLeft); // rising through it
        assert_eq!(at(3), Place::Above); // a peak
        assert_eq!(at(4), Place::AboveRight); // falling through it
        assert_eq!(at(5), Place::Below); // the end of a run that came down
        assert_eq!(at(7), Place::Above); // alone after a gap
    }
}
