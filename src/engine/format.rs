//! How values read: counts with thousands separators, hours as minutes or hours,
//! rates as percentages. Shared by the gate's messages and every renderer.

use super::catalogue::Unit;
use super::targets::{Status, TargetView};

/// `1234567` → `1,234,567`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `n`, with the records still inside their window when there are any:
/// `636 (+112 pending)`.
pub fn format_n(n: u64, pending: Option<u64>) -> String {
    match pending {
        Some(p) if p > 0 => format!("{} (+{} pending)", thousands(n), thousands(p)),
        _ => thousands(n),
    }
}

/// Hours as a person reads them: `45 min` below one hour, `5.64 h` above.
pub fn format_hours(h: f64) -> String {
    if h.abs() < 1.0 {
        format!("{:.0} min", h * 60.0)
    } else if h.abs() < 1000.0 {
        format!("{h:.2} h")
    } else {
        format!("{} h", thousands(h.round() as u64))
    }
}

pub fn format_value(unit: Unit, value: Option<f64>) -> String {
    let Some(v) = value else {
        return "no data".to_string();
    };
    match unit {
        Unit::Count => thousands(v.round() as u64),
        Unit::Rate => format!("{:.1} %", v * 100.0),
        Unit::Hours => format_hours(v),
        Unit::Days => format!("{v:.2} d"),
        Unit::Rating => format!("{v:.2}"),
        Unit::Nps => format!("{v:+.1}"),
        Unit::Index => format!("{v:.1}"),
    }
}

/// `≤ 6.00 h (warn > 5.00 h)`, `≥ 85.0 %`, or `—`.
pub fn format_target(target: Option<&TargetView>, unit: Unit) -> String {
    let Some(t) = target else {
        return "—".to_string();
    };
    let (sign, value, warn_sign) = match (t.min, t.max) {
        (Some(v), _) => ("≥", v, "<"),
        (_, Some(v)) => ("≤", v, ">"),
        _ => return "—".to_string(),
    };
    let mut out = format!("{sign} {}", format_value(unit, Some(value)));
    if let Some(w) = t.warn {
        out.push_str(&format!(
            " (warn {warn_sign} {})",
            format_value(unit, Some(w))
        ));
    }
    out
}

/// The change against the previous period, with an arrow: rates in percentage points.
pub fn format_delta(unit: Unit, delta: Option<f64>) -> String {
    let Some(d) = delta else { return String::new() };
    let arrow = if d > 0.0 {
        "▲"
    } else if d < 0.0 {
        "▼"
    } else {
        "="
    };
    let amount = match unit {
        Unit::Rate => format!("{:+.1} pp", d * 100.0),
        Unit::Hours if d.abs() < 1.0 => format!("{:+.0} min", d * 60.0),
        Unit::Hours => format!("{d:+.2} h"),
        Unit::Days => format!("{d:+.2} d"),
        Unit::Count => format!("{d:+.0}"),
        _ => format!("{d:+.2}"),
    };
    format!("{arrow} {amount}")
}

pub fn status_word(status: Status) -> &'static str {
    match status {
        Status::Pass => "PASS",
        Status::Warn => "WARN",
        Status::Fail => "FAIL",
        Status::NoData => "NO DATA",
        Status::NoTarget => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_well() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1234567), "1,234,567");
        assert_eq!(format_value(Unit::Hours, Some(0.5)), "30 min");
        assert_eq!(format_value(Unit::Hours, Some(5.644)), "5.64 h");
        assert_eq!(format_value(Unit::Rate, Some(0.8734)), "87.3 %");
        assert_eq!(format_value(Unit::Nps, Some(32.46)), "+32.5");
        assert_eq!(format_value(Unit::Rate, None), "no data");
        assert_eq!(format_delta(Unit::Rate, Some(-0.012)), "▼ -1.2 pp");
        assert_eq!(format_delta(Unit::Hours, Some(-0.27)), "▼ -16 min");
        let t = TargetView {
            min: None,
            max: Some(6.0),
            warn: Some(5.0),
        };
        assert_eq!(
            format_target(Some(&t), Unit::Hours),
            "≤ 6.00 h (warn > 5.00 h)"
        );
    }
}
