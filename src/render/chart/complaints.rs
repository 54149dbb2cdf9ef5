//! Diverging bars of the top terms: complaint terms (used more in negative
//! reviews) to the right in red, praise terms to the left in green, bar length the
//! z-score, the number of reviews using the term beside each bar.

use anyhow::Result;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{no_data, plot_error, render, shorten, status_color, titled, Canvas, Theme, GRID, INK};
use crate::engine::complaints::model::{Complaints, TermRow};
use crate::engine::targets::Status;
use crate::render::thousands;

/// Terms per side in the chart.
pub const PER_SIDE: usize = 10;

pub struct TermBar {
    pub term: String,
    pub z: f64,
    /// Reviews of its side that use it.
    pub n: u64,
}

pub struct Diverging {
    pub period: String,
    /// Complaint terms, strongest first.
    pub complaints: Vec<TermBar>,
    /// Praise terms, strongest first.
    pub praise: Vec<TermBar>,
    pub negative: u64,
    pub positive: u64,
}

impl Diverging {
    /// The whole period's lists (the first group).
    pub fn from_complaints(c: &Complaints) -> Diverging {
        let bars = |rows: &[TermRow], negative: bool| {
            rows.iter()
                .take(PER_SIDE)
                .map(|r| TermBar {
                    term: r.term.clone(),
                    z: r.z,
                    n: if negative { r.negative } else { r.positive },
                })
                .collect()
        };
        let whole = c.groups.iter().find(|g| g.group.is_none());
        Diverging {
            period: c.period.label.clone(),
            complaints: whole.map_or_else(Vec::new, |g| bars(&g.complaints, true)),
            praise: whole.map_or_else(Vec::new, |g| bars(&g.praise, false)),
            negative: whole.map_or(0, |g| g.counts.negative),
            positive: whole.map_or(0, |g| g.counts.positive),
        }
    }
}

pub fn draw(d: &Diverging, canvas: &Canvas) -> Result<Vec<u8>> {
    render(canvas, |root, theme| draw_on(root, theme, d, canvas))
}

fn draw_on(root: &super::Area, theme: &Theme, d: &Diverging, canvas: &Canvas) -> Result<()> {
    let title = canvas.title_or("What customers complain about, and praise".to_string());
    let subtitle = format!(
        "{} · weighted log-odds z of each term, {} negative (1–2) against {} positive (4–5) reviews · n: reviews using it",
        d.period,
        thousands(d.negative),
        thousands(d.positive)
    );
    let area = titled(root, theme, &title, &subtitle)?;
    if d.complaints.is_empty() && d.praise.is_empty() {
        return no_data(
            &area,
            theme,
            "no term is used by enough reviews of either side",
        );
    }
    // Complaints on top (strongest first), then praise (strongest last, nearest
    // the bottom edge).
    let bars: Vec<&TermBar> = d.complaints.iter().chain(d.praise.iter().rev()).collect();
    let count = bars.len();
    let reach = bars
        .iter()
        .map(|b| b.z.abs())
        .fold(0.0_f64, f64::max)
        .max(1.0)
        * 1.35;
    let mut chart = ChartBuilder::on(&area)
        .margin(theme.px(16.0))
        .x_label_area_size(theme.px(30.0))
        .build_cartesian_2d(-reach..reach, (0..count - 1).into_segmented())
        .map_err(plot_error)?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(count)
        .y_label_formatter(&|_| String::new())
        .light_line_style(TRANSPARENT)
        .bold_line_style(GRID)
        .x_label_formatter(&|v| format!("{v:.0}"))
        .x_desc("← praised · z · complained about →")
        .label_style(theme.label())
        .draw()
        .map_err(plot_error)?;
    let gap = theme.px(3.0).max(1) as u32;
    for (i, bar) in bars.iter().enumerate() {
        let r = count - 1 - i;
        let colour = if bar.z > 0.0 {
            status_color(Status::Fail)
        } else {
            status_color(Status::Pass)
        };
        let mut rect = Rectangle::new(
            [
                (0.0, SegmentValue::Exact(r)),
                (bar.z, SegmentValue::Exact(r + 1)),
            ],
            colour.filled(),
        );
        rect.set_margin(gap, gap, 0, 0);
        chart
            .draw_series(std::iter::once(rect))
            .map_err(plot_error)?;
        let label = format!(" {}  n={} ", shorten(&bar.term, 24), thousands(bar.n));
        let anchor = if bar.z > 0.0 { HPos::Left } else { HPos::Right };
        chart
            .draw_series(std::iter::once(Text::new(
                label,
                (bar.z, SegmentValue::CenterOf(r)),
                theme
                    .font(12.0)
                    .color(&INK)
                    .pos(Pos::new(anchor, VPos::Center)),
            )))
            .map_err(plot_error)?;
    }
    chart
        .draw_series(LineSeries::new(
            [(0.0, SegmentValue::Exact(0)), (0.0, SegmentValue::Last)],
            INK.stroke_width(1),
        ))
        .map_err(plot_error)?;
    Ok(())
}
