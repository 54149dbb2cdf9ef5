//! A deterministic generator of realistic exports: same seed and sizes, same bytes.

mod text;

use std::path::Path;

use anyhow::Result;

use crate::fsutil::atomic_write;
use crate::source::timestamp::{format_utc, parse_timestamp};

/// SplitMix64: tiny, fast and stable across versions, so sample bytes never drift.
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }
    fn normal(&mut self) -> f64 {
        let u1 = self.unit().max(1e-12);
        let u2 = self.unit();
        (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
    }
    /// Log-normal with the given median and spread (σ of the log).
    fn lognormal(&mut self, median: f64, sigma: f64) -> f64 {
        median * (sigma * self.normal()).exp()
    }
    fn pick<'a>(&mut self, weighted: &[(&'a str, f64)]) -> &'a str {
        let total: f64 = weighted.iter().map(|w| w.1).sum();
        let mut x = self.unit() * total;
        for (v, w) in weighted {
            if x < *w {
                return v;
            }
            x -= w;
        }
        weighted[weighted.len() - 1].0
    }
}

#[derive(Debug, Clone)]
pub struct SampleSpec {
    pub tickets: u64,
    pub seed: u64,
    pub weeks: u32,
    /// Exclusive end of the generated span (a Monday midnight, UTC).
    pub end: String,
}

const HOUR: f64 = 3_600_000.0;

fn ts(ms: f64) -> String {
    format_utc(((ms / 1000.0).floor() * 1000.0) as i64)
}

/// Writes tickets.csv, shipments.csv and reviews.csv into `dir`.
pub fn generate(dir: &Path, spec: &SampleSpec) -> Result<()> {
    crate::fsutil::create_dir(dir)?;
    let end = parse_timestamp(&spec.end, chrono_tz::Tz::UTC)
        .map_err(|e| anyhow::anyhow!("--end: {e}"))? as f64;
    let start = end - f64::from(spec.weeks) * 7.0 * 24.0 * HOUR;
    let shipments = spec.tickets * 8 / 5;
    let reviews = spec.tickets * 9 / 10;
    let mut rng = Rng(spec.seed);
    // Business follows the clock: more activity in the day than at night.
    let when = |rng: &mut Rng| loop {
        let t = start + rng.unit() * (end - start);
        let hour_of_day = ((t / HOUR) as i64).rem_euclid(24);
        if (8..22).contains(&hour_of_day) || rng.chance(0.3) {
            return t;
        }
    };

    atomic_write(&dir.join("shipments.csv"), |out| {
        let mut w = csv::Writer::from_writer(out);
        w.write_record([
            "order_id",
            "carrier",
            "region",
            "shipped_at",
            "promised_at",
            "delivered_at",
            "status",
            "return_requested_at",
            "refunded_at",
            "return_reason",
            "ordered_at",
        ])?;
        // Order times and the orders that never shipped draw from their own stream,
        // so adding them left every other value of the same seed unchanged.
        let mut orders = Rng(spec.seed ^ 0x0000_0DE2_5EED_0001);
        let carriers = [
            ("SF Express", 0.3),
            ("ZTO", 0.25),
            ("YTO", 0.2),
            ("JD Logistics", 0.15),
            ("DHL", 0.1),
        ];
        let regions = [
            ("east", 0.3),
            ("south", 0.25),
            ("north", 0.2),
            ("west", 0.15),
            ("central", 0.1),
        ];
        let reasons = [
            ("wrong size", 0.3),
            ("quality", 0.2),
            ("damaged", 0.1),
            ("not as described", 0.15),
            ("changed mind", 0.15),
            ("尺码不合适", 0.05),
            ("质量问题", 0.05),
        ];
        for i in 0..shipments {
            let carrier = rng.pick(&carriers);
            let shipped = when(&mut rng);
            let (median, promise) = match carrier {
                "SF Express" | "JD Logistics" => (30.0, 48.0),
                "DHL" => (70.0, 120.0),
                _ => (50.0, 72.0),
            };
            let promised = shipped + promise * HOUR;
            let delivery = shipped + rng.lognormal(median, 0.35) * HOUR;
            let fate = rng.unit();
            let (delivered, status) = if fate < 0.005 {
                (None, "lost")
            } else if delivery >= end {
                (None, "")
            } else if fate < 0.012 {
                (Some(delivery), "damaged")
            } else {
                (Some(delivery), "")
            };
            let mut ret = None;
            let mut refund = None;
            if let Some(d) = delivered {
                if rng.chance(if status == "damaged" { 0.9 } else { 0.14 }) {
                    let r = d + rng.unit() * 10.0 * 24.0 * HOUR;
                    if r < end {
                        ret = Some(r);
                        let f = r + rng.lognormal(40.0, 0.6) * HOUR;
                        if f < end && rng.chance(0.9) {
                            refund = Some(f);
                        }
                    }
                }
            }
            let mut refunded = refund.map(ts).unwrap_or_default();
            let mut returned = ret.map(ts).unwrap_or_default();
            if i % 997 == 500 {
                // A refund the export lost its return request for: quarantined by validate.
                refunded = ts(shipped + 100.0 * HOUR);
                returned = String::new();
            }
            w.write_record([
                format!("ORD{:07}", i + 1),
                carrier.to_string(),
                rng.pick(&regions).to_string(),
                ts(shipped),
                ts(promised),
                delivered.map(ts).unwrap_or_default(),
                status.to_string(),
                returned,
                refunded,
                if ret.is_some() {
                    rng.pick(&reasons).to_string()
                } else {
                    String::new()
                },
                ts(shipped - orders.lognormal(18.0, 0.7) * HOUR),
            ])?;
        }
        // About 2 % of orders never ship: cancelled, out of stock, or still waiting.
        for k in 0..shipments / 50 {
            let fate = orders.pick(&[("cancelled", 0.7), ("unavailable", 0.2), ("pending", 0.1)]);
            w.write_record([
                format!("ORD{:07}", shipments + k + 1),
                orders.pick(&carriers).to_string(),
                orders.pick(&regions).to_string(),
                String::new(),
                String::new(),
                String::new(),
                fate.to_string(),
                String::new(),
                String::new(),
                String::new(),
                ts(when(&mut orders)),
            ])?;
        }
        w.flush()?;
        Ok(())
    })?;

    atomic_write(&dir.join("tickets.csv"), |out| {
        let mut w = csv::Writer::from_writer(out);
        w.write_record([
            "ticket_id",
            "created_at",
            "first_response_at",
            "resolved_at",
            "channel",
            "priority",
            "category",
            "agent",
            "order_id",
            "reopens",
            "agent_replies",
            "subject",
        ])?;
        let mut subjects = Rng(spec.seed ^ 0x0000_5B1E_C75E_ED01);
        let channels = [
            ("chat", 0.35),
            ("email", 0.3),
            ("phone", 0.15),
            ("app", 0.12),
            ("social", 0.08),
        ];
        let priorities = [
            ("urgent", 0.05),
            ("high", 0.2),
            ("normal", 0.6),
            ("low", 0.15),
        ];
        let categories = [
            ("delivery", 0.3),
            ("return", 0.2),
            ("refund", 0.15),
            ("quality", 0.15),
            ("complaint", 0.1),
            ("other", 0.1),
        ];
        let agents = [
            "Ana",
            "Ben",
            "Chen Jing",
            "Dara",
            "Eli",
            "Fatima",
            "Gao Wei",
            "Hugo",
            "Iris",
            "Jonas",
            "Li Na",
            "Mia",
        ];
        for i in 0..spec.tickets {
            let created = when(&mut rng);
            let channel = rng.pick(&channels);
            let priority = rng.pick(&priorities);
            let median = match channel {
                "chat" => 0.15,
                "phone" => 0.05,
                "app" => 2.0,
                "social" => 10.0,
                _ => 7.0,
            } * match priority {
                "urgent" => 0.3,
                "high" => 0.6,
                "normal" => 1.0,
                _ => 1.6,
            };
            let first = created + rng.lognormal(median, 1.0) * HOUR;
            let answered = first < end && !rng.chance(0.03);
            let resolved_at = first + rng.lognormal(18.0, 0.9) * HOUR;
            let resolved = answered && resolved_at < end && rng.chance(0.88);
            let reopens = if resolved && rng.chance(0.07) {
                1 + rng.below(2)
            } else {
                0
            };
            let replies = if answered { 1 + rng.below(4) } else { 0 };
            let order = if rng.chance(0.7) && shipments > 0 {
                format!("ORD{:07}", 1 + rng.below(shipments))
            } else {
                String::new()
            };
            // Real exports mix spellings; a few rows carry aliases.
            let priority_text = match (priority, i % 41) {
                ("urgent", 0) => "P1",
                ("high", 0) => "yellow",
                (p, _) => p,
            };
            let mut record = vec![
                format!("T{:07}", i + 1),
                ts(created),
                if answered { ts(first) } else { String::new() },
                if resolved {
                    ts(resolved_at)
                } else {
                    String::new()
                },
                channel.to_string(),
                priority_text.to_string(),
                rng.pick(&categories).to_string(),
                agents[rng.below(agents.len() as u64) as usize].to_string(),
                order,
                reopens.to_string(),
                replies.to_string(),
            ];
            record.push(text::subject(&mut subjects, &record[6]));
            match i % 613 {
                100 => record[1] = "2026-13-45 25:00".into(),
                200 => record[5] = "medium".into(),
                300 if answered => record[2] = ts(created - 2.0 * HOUR),
                400 if i > 0 => record[0] = format!("T{i:07}"),
                _ => {}
            }
            w.write_record(&record)?;
        }
        w.flush()?;
        Ok(())
    })?;

    atomic_write(&dir.join("reviews.csv"), |out| {
        let mut w = csv::Writer::from_writer(out);
        w.write_record([
            "review_id",
            "created_at",
            "rating",
            "nps",
            "order_id",
            "ticket_id",
            "channel",
            "text",
            "replied_at",
        ])?;
        // Replies draw from their own stream, so adding them left every other
        // column of the same seed unchanged.
        let mut replies = Rng(spec.seed ^ 0x0005_EED0_F2E9_11E5);
        let ratings = [
            ("1", 0.07),
            ("2", 0.06),
            ("3", 0.12),
            ("4", 0.3),
            ("5", 0.45),
        ];
        let channels = [("marketplace", 0.5), ("app", 0.3), ("web", 0.2)];
        let mut texts = Rng(spec.seed ^ 0x0000_7E27_5EED_0001);
        for i in 0..reviews {
            let created = when(&mut rng);
            let rating: u64 = rng.pick(&ratings).parse().unwrap_or(5);
            let nps = if rng.chance(0.6) {
                let base = (rating as f64 - 1.0) * 2.5 + rng.normal() * 1.5;
                base.round().clamp(0.0, 10.0).to_string()
            } else {
                String::new()
            };
            let ticket = if rng.chance(0.2) && spec.tickets > 0 {
                format!("T{:07}", 1 + rng.below(spec.tickets))
            } else {
                String::new()
            };
            let order = if rng.chance(0.8) && shipments > 0 {
                format!("ORD{:07}", 1 + rng.below(shipments))
            } else {
                String::new()
            };
            // The main stream keeps the draw the canned texts once took, so the other
            // columns stay as they were; the text comes from its own stream.
            let _ = rng.below(3);
            let late = (created - start) / (end - start);
            let text = text::review(&mut texts, rating, late);
            let rating_text = if i % 769 == 300 {
                "6".to_string()
            } else {
                rating.to_string()
            };
            // Shops answer most complaints and some praise, within a day or two.
            let replied = created + replies.lognormal(20.0, 0.8) * HOUR;
            let answered = replies.chance(if rating <= 2 { 0.7 } else { 0.35 });
            let replied = if answered && replied < end {
                ts(replied)
            } else {
                String::new()
            };
            w.write_record([
                format!("R{:07}", i + 1),
                ts(created),
                rating_text,
                nps,
                order,
                ticket,
                rng.pick(&channels).to_string(),
                text,
                replied,
            ])?;
        }
        w.flush()?;
        Ok(())
    })?;
    Ok(())
}
