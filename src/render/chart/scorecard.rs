//! One tile per targeted KPI: value, target, status colour, change against the
//! previous period.

use anyhow::Result;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{
    no_data, plot_error, render, shorten, status_color, titled, Canvas, Theme, FAMILY, INK, MUTED,
};
use crate::engine::catalogue;
use crate::engine::model::{MetricRow, Report};
use crate::render::{format_delta, format_n, format_target, format_value, status_word};

/// The overall rows that have a target, in catalogue order, and the service index.
pub fn tiles(report: &Report) -> Vec<&MetricRow> {
    report
        .metrics
        .iter()
        .filter(|r| r.group.is_none() && (r.target.is_some() || r.id == "service_index"))
        .collect()
}

pub fn draw(report: &Report, canvas: &Canvas) -> Result<Vec<u8>> {
    render(canvas, |root, theme| draw_on(root, theme, report, canvas))
}

fn draw_on(root: &super::Area, theme: &Theme, report: &Report, canvas: &Canvas) -> Result<()> {
    let title = canvas.title_or("Service scorecard".to_string());
    let mut subtitle = report.period.label.clone();
    if let Some(p) = &report.previous_period {
        subtitle.push_str(&format!(" · change against {}", p.label));
    }
    let area = titled(root, theme, &title, &subtitle)?;
    let rows = tiles(report);
    if rows.is_empty() {
        return no_data(&area, theme, "no metric has a target");
    }
    let columns = match rows.len() {
        0..=4 => rows.len(),
        5..=6 => 3,
        7..=12 => 4,
        _ => 5,
    };
    let lines = rows.len().div_ceil(columns);
    let area = area.margin(
        theme.px(4.0),
        theme.px(12.0),
        theme.px(12.0),
        theme.px(12.0),
    );
    let cells = area.split_evenly((lines, columns));
    for (row, cell) in rows.iter().zip(cells.iter()) {
        tile(cell, theme, row)?;
    }
    Ok(())
}

fn tile(cell: &super::Area, theme: &Theme, row: &MetricRow) -> Result<()> {
    let (w, h) = cell.dim_in_pixel();
    let (w, h) = (w as i32, h as i32);
    let pad = theme.px(6.0);
    let color = status_color(row.status);
    let def = catalogue::find(row.id).expect("report ids are catalogued");
    cell.draw(&Rectangle::new(
        [(pad, pad), (w - pad, h - pad)],
        color.mix(0.10).filled(),
    ))
    .map_err(plot_error)?;
    cell.draw(&Rectangle::new(
        [(pad, pad), (pad + theme.px(5.0), h - pad)],
        color.filled(),
    ))
    .map_err(plot_error)?;
    // Text is sized to the tile, so four columns fit at 800 px as at 1600 px.
    let unit = (w as f64 / 17.0).min(h as f64 / 7.5).max(6.0);
    let font = |scale: f64| (FAMILY, unit * scale).into_font().color(&INK);
    let left = pad + (unit * 1.1) as i32;
    let right = w - pad - (unit * 0.6) as i32;
    let top = pad + (unit * 0.6) as i32;
    let word = status_word(row.status);
    let word_style = font(0.8)
        .color(&color)
        .pos(Pos::new(HPos::Right, VPos::Top));
    cell.draw_text(word, &word_style, (right, top))
        .map_err(plot_error)?;
    let word_width = cell
        .estimate_text_size(word, &word_style)
        .map(|s| s.0 as i32)
        .unwrap_or(0);
    let title_room = ((right - word_width - left) as f64 / (unit * 0.55)).max(4.0) as usize;
    cell.draw_text(&shorten(def.title, title_room), &font(1.0), (left, top))
        .map_err(plot_error)?;
    cell.draw_text(
        &format_value(row.unit, row.value),
        &font(2.4)
            .color(&color)
            .pos(Pos::new(HPos::Left, VPos::Center)),
        (left, top + (unit * 3.0) as i32),
    )
    .map_err(plot_error)?;
    let target = match &row.target {
        Some(t) => format!("target {}", format_target(Some(t), row.unit)),
        None => "no target".to_string(),
    };
    let muted = |scale: f64| font(scale).color(&MUTED);
    cell.draw_text(
        &format!("{target} · n={}", format_n(row.n, row.pending)),
        &muted(0.75),
        (left, top + (unit * 4.7) as i32),
    )
    .map_err(plot_error)?;
    let delta = format_delta(row.unit, row.delta);
    if !delta.is_empty() {
        cell.draw_text(
            &format!("{delta} vs previous"),
            &muted(0.75),
            (left, top + (unit * 5.8) as i32),
        )
        .map_err(plot_error)?;
    }
    Ok(())
}
