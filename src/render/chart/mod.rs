//! PNG charts of the engine's results, drawn with plotters into memory and encoded
//! here, so a file is written atomically or not at all. Charts compute nothing: they
//! lay out values, targets and statuses the engine returned.
//!
//! Text uses the bundled WenQuanYi Micro Hei (Apache-2.0, `assets/fonts/`), which
//! covers Latin and CJK, so Chinese segment names never render as boxes and no
//! system font is needed.

pub mod breakdown;
pub mod complaints;
pub mod distribution;
pub mod pareto;
pub mod scorecard;
pub mod trend;

use std::sync::Once;

use anyhow::{anyhow, bail, Result};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::engine::catalogue::Unit;
use crate::engine::targets::{Status, TargetView};
use crate::render::thousands;

static FONT: &[u8] = include_bytes!("../../../assets/fonts/wqy-microhei.ttf");
/// Registered under plotters' default family name, so every label uses it.
pub const FAMILY: &str = "sans-serif";

pub type Area<'a> = DrawingArea<BitMapBackend<'a>, Shift>;

/// The size and title of one chart.
#[derive(Debug, Clone)]
pub struct Canvas {
    pub width: u32,
    pub height: u32,
    /// Replaces the chart's own title when given.
    pub title: Option<String>,
}

impl Canvas {
    pub fn title_or(&self, default: String) -> String {
        self.title.clone().unwrap_or(default)
    }
}

/// Sizes scale with the canvas height, so 800×450 and 1600×900 read the same.
pub struct Theme {
    scale: f64,
}

pub const INK: RGBColor = RGBColor(33, 37, 41);
pub const MUTED: RGBColor = RGBColor(108, 117, 125);
pub const GRID: RGBColor = RGBColor(222, 226, 230);
pub const NEUTRAL: RGBColor = RGBColor(52, 101, 164);
/// Darker than the fail colour, so a target line never reads as a failing bar.
pub const TARGET: RGBColor = RGBColor(140, 20, 20);
pub const WARN_BAND: RGBColor = RGBColor(255, 236, 179);

impl Theme {
    fn new(height: u32) -> Theme {
        Theme {
            scale: (height as f64 / 450.0).max(0.5),
        }
    }

    pub fn px(&self, base: f64) -> i32 {
        (base * self.scale).round() as i32
    }

    pub fn font(&self, base: f64) -> TextStyle<'static> {
        (FAMILY, base * self.scale).into_font().color(&INK)
    }

    pub fn muted(&self, base: f64) -> TextStyle<'static> {
        (FAMILY, base * self.scale).into_font().color(&MUTED)
    }

    pub fn title(&self) -> TextStyle<'static> {
        self.font(20.0)
    }

    pub fn label(&self) -> TextStyle<'static> {
        self.font(13.0)
    }
}

pub fn status_color(status: Status) -> RGBColor {
    match status {
        Status::Pass => RGBColor(46, 125, 50),
        Status::Warn => RGBColor(239, 160, 0),
        Status::Fail => RGBColor(198, 40, 40),
        Status::NoTarget => NEUTRAL,
        Status::NoData => RGBColor(173, 181, 189),
    }
}

fn register_font() -> Result<()> {
    static ONCE: Once = Once::new();
    let mut result = Ok(());
    ONCE.call_once(|| {
        result = plotters::style::register_font(FAMILY, FontStyle::Normal, FONT)
            .map_err(|_| anyhow!("the bundled chart font could not be loaded"));
    });
    result
}

/// Draws onto a white canvas and returns the PNG bytes.
pub fn render(canvas: &Canvas, draw: impl FnOnce(&Area, &Theme) -> Result<()>) -> Result<Vec<u8>> {
    let (width, height) = (canvas.width, canvas.height);
    if !(200..=8000).contains(&width) || !(150..=8000).contains(&height) {
        bail!("chart size {width}×{height} is out of range (200–8000 × 150–8000 pixels)");
    }
    register_font()?;
    let mut pixels = vec![255u8; width as usize * height as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut pixels, (width, height)).into_drawing_area();
        root.fill(&WHITE).map_err(plot_error)?;
        draw(&root, &Theme::new(height))?;
        root.present().map_err(plot_error)?;
    }
    encode_png(&pixels, width, height)
}

fn encode_png(rgb: &[u8], width: u32, height: u32) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header()?;
    writer.write_image_data(rgb)?;
    writer.finish()?;
    Ok(out)
}

/// plotters' errors borrow the backend; keep their message only.
pub fn plot_error<E: std::fmt::Display>(e: E) -> anyhow::Error {
    anyhow!("drawing the chart failed: {e}")
}

/// Title on top, returns the area below it.
pub fn titled<'a>(root: &Area<'a>, theme: &Theme, title: &str, subtitle: &str) -> Result<Area<'a>> {
    let top = theme.px(12.0);
    root.draw_text(title, &theme.title(), (theme.px(16.0), top))
        .map_err(plot_error)?;
    let mut used = top + theme.px(26.0);
    if !subtitle.is_empty() {
        root.draw_text(subtitle, &theme.muted(12.0), (theme.px(16.0), used))
            .map_err(plot_error)?;
        used += theme.px(20.0);
    }
    Ok(root.split_vertically(used).1)
}

/// The whole area says "no data" and why, instead of an empty frame.
pub fn no_data(area: &Area, theme: &Theme, why: &str) -> Result<()> {
    let (w, h) = area.dim_in_pixel();
    let centre = Pos::new(HPos::Center, VPos::Center);
    area.draw_text(
        "no data",
        &theme.font(28.0).color(&MUTED).pos(centre),
        (w as i32 / 2, h as i32 / 2 - theme.px(14.0)),
    )
    .map_err(plot_error)?;
    area.draw_text(
        why,
        &theme.muted(13.0).pos(centre),
        (w as i32 / 2, h as i32 / 2 + theme.px(18.0)),
    )
    .map_err(plot_error)?;
    Ok(())
}

/// An axis tick for a value of `unit`: `85 %`, `6 h`, `30 min`, `1,200`.
pub fn axis_value(unit: Unit, v: f64) -> String {
    match unit {
        Unit::Rate => format!("{} %", trim_number(v * 100.0)),
        Unit::Hours if v.abs() < 1.0 && v != 0.0 => format!("{:.0} min", v * 60.0),
        Unit::Hours => format!("{} h", trim_number(v)),
        Unit::Count if v >= 0.0 && v.fract() == 0.0 => thousands(v as u64),
        _ => trim_number(v),
    }
}

/// `6`, `6.5`, `1,250` — no trailing zeros.
fn trim_number(v: f64) -> String {
    if v.abs() >= 1000.0 && v.fract() == 0.0 && v > 0.0 {
        return thousands(v as u64);
    }
    let text = format!("{:.2}", v + 0.0);
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// The target's line value and warn level, if any.
pub fn target_lines(target: Option<&TargetView>) -> (Option<f64>, Option<f64>) {
    match target {
        Some(t) => (t.min.or(t.max), t.warn),
        None => (None, None),
    }
}

/// Cuts labels that would crowd an axis, keeping whole characters.
pub fn shorten(label: &str, max_chars: usize) -> String {
    if label.chars().count() <= max_chars {
        return label.to_string();
    }
    let mut out: String = label.chars().take(max_chars.saturating_sub(1)).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axis_ticks_read_well() {
        assert_eq!(axis_value(Unit::Rate, 0.85), "85 %");
        assert_eq!(axis_value(Unit::Hours, 0.5), "30 min");
        assert_eq!(axis_value(Unit::Hours, 6.0), "6 h");
        assert_eq!(axis_value(Unit::Hours, 2.5), "2.5 h");
        assert_eq!(axis_value(Unit::Count, 1200.0), "1,200");
        assert_eq!(axis_value(Unit::Rating, 4.25), "4.25");
        assert_eq!(shorten("退货原因很长很长", 5), "退货原因…");
        assert_eq!(shorten("chat", 5), "chat");
    }

    /// Every character the charts print, and common Chinese segment names, have a
    /// glyph in the bundled font (glyph 0 is the "missing" box).
    #[test]
    fn bundled_font_covers_latin_symbols_and_chinese() {
        use ab_glyph::{Font, FontRef};
        let font = FontRef::try_from_slice(FONT).unwrap();
        let text = "AZaz09 %,.:·…–—≤≥▲▼=×()n \
                    退货原因尺码不合适质量问题物流慢微信客服电话邮件顺丰京东圆通中通韵达申通";
        for c in text.chars().filter(|c| !c.is_whitespace()) {
            assert_ne!(font.glyph_id(c).0, 0, "no glyph for {c:?}");
        }
    }
}
