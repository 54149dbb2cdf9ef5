//! Pareto chart: records per value of a field (return reason, ticket category…),
//! most first, with the engine's cumulative share as a line on a 0–100 % axis.

use anyhow::Result;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{
    no_data, plot_error, render, shorten, titled, Canvas, Theme, GRID, MUTED, NEUTRAL, TARGET,
};
use crate::engine::FieldCounts;
use crate::render::thousands;

/// Bars beyond this many are left off the chart (the subtitle says how many).
const MAX_BARS: usize = 15;

pub fn draw(counts: &FieldCounts, canvas: &Canvas) -> Result<Vec<u8>> {
    render(canvas, |root, theme| draw_on(root, theme, counts, canvas))
}

fn draw_on(root: &super::Area, theme: &Theme, c: &FieldCounts, canvas: &Canvas) -> Result<()> {
    let period = &c.period;
    let title = canvas.title_or(format!("{} by {}", c.source, c.field));
    let counted: u64 = c.counts.iter().map(|x| x.1).sum();
    let mut subtitle = format!(
        "{period} · {} {} with a {}",
        thousands(counted),
        c.source,
        c.field
    );
    if c.without_value > 0 {
        subtitle.push_str(&format!(", {} without", thousands(c.without_value)));
    }
    let shown = c.counts.len().min(MAX_BARS);
    if shown < c.counts.len() {
        subtitle.push_str(&format!(" · top {shown} of {} values", c.counts.len()));
    }
    let area = titled(root, theme, &title, &subtitle)?;
    if c.counts.is_empty() {
        return no_data(
            &area,
            theme,
            &format!("no {} in this period has a {}", c.source, c.field),
        );
    }
    let top = c.counts[0].1 as f64 * 1.15;
    let max_chars =
        ((canvas.width as usize / shown.max(1)) / theme.px(9.0).max(1) as usize).clamp(4, 16);
    let names: Vec<String> = c.counts[..shown]
        .iter()
        .map(|(n, _)| shorten(n, max_chars))
        .collect();

    let mut chart = ChartBuilder::on(&area)
        .margin(theme.px(16.0))
        .x_label_area_size(theme.px(34.0))
        .y_label_area_size(theme.px(64.0))
        .right_y_label_area_size(theme.px(56.0))
        .build_cartesian_2d((0..shown - 1).into_segmented(), 0.0..top)
        .map_err(plot_error)?
        .set_secondary_coord((0..shown - 1).into_segmented(), 0.0..1.05);
    chart
        .configure_mesh()
        .disable_x_mesh()
        .light_line_style(TRANSPARENT)
        .bold_line_style(GRID)
        .x_labels(shown)
        .x_label_formatter(&|x| match x {
            SegmentValue::CenterOf(i) | SegmentValue::Exact(i) if *i < shown => names[*i].clone(),
            _ => String::new(),
        })
        .y_desc("records")
        .y_label_formatter(&|v| thousands(v.round() as u64))
        .label_style(theme.label())
        .axis_desc_style(theme.label())
        .draw()
        .map_err(plot_error)?;
    chart
        .configure_secondary_axes()
        .y_label_formatter(&|v| format!("{:.0} %", v * 100.0))
        .label_style(theme.label())
        .draw()
        .map_err(plot_error)?;

    let gap = theme.px(6.0).max(1) as u32;
    for (i, (_, count)) in c.counts[..shown].iter().enumerate() {
        let mut rect = Rectangle::new(
            [
                (SegmentValue::Exact(i), 0.0),
                (SegmentValue::Exact(i + 1), *count as f64),
            ],
            NEUTRAL.mix(0.8).filled(),
        );
        rect.set_margin(0, 0, gap, gap);
        chart
            .draw_series(std::iter::once(rect))
            .map_err(plot_error)?;
        chart
            .draw_series(std::iter::once(Text::new(
                thousands(*count),
                (SegmentValue::CenterOf(i), *count as f64),
                theme.font(11.0).pos(Pos::new(HPos::Center, VPos::Bottom)),
            )))
            .map_err(plot_error)?;
    }
    // The 80 % reference that gives the chart its name.
    chart
        .draw_secondary_series(LineSeries::new(
            [(SegmentValue::Exact(0), 0.8), (SegmentValue::Last, 0.8)],
            MUTED.stroke_width(1),
        ))
        .map_err(plot_error)?;
    let line: Vec<_> = c.cumulative_share[..shown]
        .iter()
        .enumerate()
        .map(|(i, s)| (SegmentValue::CenterOf(i), *s))
        .collect();
    let width = theme.px(2.5).max(1) as u32;
    chart
        .draw_secondary_series(LineSeries::new(line.clone(), TARGET.stroke_width(width)))
        .map_err(plot_error)?;
    chart
        .draw_secondary_series(
            line.into_iter()
                .map(|p| Circle::new(p, theme.px(4.0).max(2), TARGET.filled())),
        )
        .map_err(plot_error)?;
    Ok(())
}
