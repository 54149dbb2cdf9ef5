//! One horizontal bar per segment (channel, carrier, agent…), sorted by value,
//! coloured by status against the target, with n on each bar.

use anyhow::Result;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{
    axis_value, no_data, plot_error, render, shorten, status_color, target_lines, titled, Canvas,
    Theme, GRID, TARGET,
};
use crate::engine::catalogue::MetricDef;
use crate::engine::model::Report;
use crate::engine::targets::{Status, TargetView};
use crate::render::{format_n, format_target, format_value};

pub struct Bar {
    pub segment: String,
    pub value: Option<f64>,
    pub n: u64,
    pub pending: Option<u64>,
    pub status: Status,
}

pub struct Breakdown {
    pub metric: &'static MetricDef,
    pub dimension: String,
    /// Highest value first; segments without data last.
    pub bars: Vec<Bar>,
    pub target: Option<TargetView>,
    pub period: String,
}

impl Breakdown {
    /// The metric's rows of a report split by `dimension`.
    pub fn from_report(report: &Report, metric: &'static MetricDef, dimension: &str) -> Breakdown {
        let rows: Vec<_> = report
            .metrics
            .iter()
            .filter(|r| {
                r.id == metric.id
                    && r.group
                        .as_ref()
                        .is_some_and(|g| g.len() == 1 && g.contains_key(dimension))
            })
            .collect();
        let mut bars: Vec<Bar> = rows
            .iter()
            .map(|r| Bar {
                segment: r
                    .group
                    .as_ref()
                    .map(|g| g[dimension].clone())
                    .unwrap_or_default(),
                value: r.value,
                n: r.n,
                pending: r.pending,
                status: r.status,
            })
            .collect();
        bars.sort_by(|a, b| match (a.value, b.value) {
            (Some(x), Some(y)) => y.total_cmp(&x).then_with(|| a.segment.cmp(&b.segment)),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => a.segment.cmp(&b.segment),
        });
        Breakdown {
            metric,
            dimension: dimension.to_string(),
            target: rows.iter().find_map(|r| r.target.clone()),
            bars,
            period: report.period.label.clone(),
        }
    }
}

pub fn draw(breakdown: &Breakdown, canvas: &Canvas) -> Result<Vec<u8>> {
    render(canvas, |root, theme| {
        draw_on(root, theme, breakdown, canvas)
    })
}

fn draw_on(root: &super::Area, theme: &Theme, b: &Breakdown, canvas: &Canvas) -> Result<()> {
    let unit = b.metric.unit;
    let title = canvas.title_or(format!("{} by {}", b.metric.title, b.dimension));
    let subtitle = format!(
        "{} · target {}",
        b.period,
        format_target(b.target.as_ref(), unit)
    );
    let area = titled(root, theme, &title, &subtitle)?;
    let values: Vec<f64> = b.bars.iter().filter_map(|bar| bar.value).collect();
    if values.is_empty() {
        return no_data(
            &area,
            theme,
            &format!("no {} segment has data", b.dimension),
        );
    }
    let (target, _) = target_lines(b.target.as_ref());
    let hi = values.iter().copied().chain(target).fold(0.0_f64, f64::max);
    let lo = values.iter().copied().fold(0.0_f64, f64::min);
    // Room on the right for the value and n printed after each bar.
    let hi = if hi > 0.0 { hi * 1.3 } else { 1.0 };
    let count = b.bars.len();
    let names: Vec<String> = b.bars.iter().map(|bar| shorten(&bar.segment, 18)).collect();
    let label_width = names
        .iter()
        .map(|n| {
            area.estimate_text_size(n, &theme.label())
                .map(|s| s.0)
                .unwrap_or(0)
        })
        .max()
        .unwrap_or(0) as i32
        + theme.px(12.0);

    let mut chart = ChartBuilder::on(&area)
        .margin(theme.px(16.0))
        .x_label_area_size(theme.px(30.0))
        .y_label_area_size(label_width)
        .build_cartesian_2d(lo..hi, (0..count - 1).into_segmented())
        .map_err(plot_error)?;
    // Row 0 is drawn at the bottom: the first bar goes on top.
    let row = |i: usize| count - 1 - i;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .light_line_style(TRANSPARENT)
        .bold_line_style(GRID)
        .y_labels(count)
        .y_label_formatter(&|y| match y {
            SegmentValue::CenterOf(r) | SegmentValue::Exact(r) if *r < count => {
                names[count - 1 - r].clone()
            }
            _ => String::new(),
        })
        .x_label_formatter(&|v| axis_value(unit, *v))
        .label_style(theme.label())
        .draw()
        .map_err(plot_error)?;

    let gap = theme.px(4.0).max(1) as u32;
    for (i, bar) in b.bars.iter().enumerate() {
        let r = row(i);
        let end = bar.value.unwrap_or(0.0);
        let mut rect = Rectangle::new(
            [
                (0.0, SegmentValue::Exact(r)),
                (end, SegmentValue::Exact(r + 1)),
            ],
            status_color(bar.status).filled(),
        );
        rect.set_margin(gap, gap, 0, 0);
        chart
            .draw_series(std::iter::once(rect))
            .map_err(plot_error)?;
        let label = format!(
            "{}  n={}",
            format_value(unit, bar.value),
            format_n(bar.n, bar.pending)
        );
        chart
            .draw_series(std::iter::once(Text::new(
                format!(" {label}"),
                (end.max(0.0), SegmentValue::CenterOf(r)),
                theme.font(11.0).pos(Pos::new(HPos::Left, VPos::Center)),
            )))
            .map_err(plot_error)?;
    }
    if let Some(t) = target {
        chart
            .draw_series(LineSeries::new(
                [(t, SegmentValue::Exact(0)), (t, SegmentValue::Last)],
                TARGET.stroke_width(theme.px(2.0).max(1) as u32),
            ))
            .map_err(plot_error)?;
    }
    Ok(())
}
