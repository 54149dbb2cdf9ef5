//! A fuzzing suite for every parser of untrusted input: timestamps (built-in forms
//! and stated formats), durations, CSV rows of each source with and without a
//! mapping, and svcq.toml (targets, windows, mappings, value maps, folds).
//! Inputs are structure-aware mutations of valid ones. No input may panic; every
//! file read must reconcile (read = accepted + rejected).
//!
//! `cargo test --test fuzz` runs a short pass. `SVCQ_FUZZ_SECONDS=600 bash
//! tests/fuzz.sh` runs the four targets side by side for that long and prints
//! the cases run and the failures.

use std::io::Write;
use std::time::{Duration, Instant};

use chrono_tz::Tz;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use svcq::engine::targets::{Targets, DEFAULT_TOML};
use svcq::source::formats::{DurationUnit, TimestampFormat};
use svcq::source::load::Keep;
use svcq::source::mapping::{parse, Mapping, MappingSpec};
use svcq::source::read::read_source;
use svcq::source::timestamp::{parse_deadline, parse_timestamp};
use svcq::source::{Moment, Source};

/// Valid inputs that mutations start from.
const TIMESTAMPS: &[&str] = &[
    "2026-11-16T09:30:00Z",
    "2026-11-16 09:30:00.250+08:00",
    "2026/11/16 09:30",
    "2026-11-16",
    "16-11-2026 09:30",
    "11/16/2026 9:30",
    "Tue Oct 31 22:10:47 +0000 2017",
    "43037.2615",
    "1509487847",
];
const FORMATS: &[&str] = &[
    "%d-%m-%Y %H:%M",
    "%m/%d/%Y %H:%M:%S",
    "%Y/%m/%d",
    "%a %b %d %H:%M:%S %z %Y",
    "%Y-%m-%d %H:%M:%S UTC",
    "%d.%m.%Y %I:%M %p",
    "unix",
    "unix_ms",
    "excel",
];
const ROWS: &[(Source, &str, &str)] = &[
    (
        Source::Tickets,
        "ticket_id,created_at,first_response_at,resolved_at,channel,priority,reopens,agent_replies",
        "T1,2026-11-16T09:00:00Z,2026-11-16T09:30:00Z,2026-11-17T09:00:00Z,chat,high,1,3",
    ),
    (
        Source::Shipments,
        "order_id,carrier,shipped_at,promised_at,delivered_at,status,return_requested_at,refunded_at",
        "O1,SF,2026-11-16T09:00:00Z,2026-11-18,2026-11-17T10:00:00Z,,2026-11-19T10:00:00Z,2026-11-20T10:00:00Z",
    ),
    (
        Source::Reviews,
        "review_id,created_at,rating,nps,text,replied_at",
        "R1,2026-11-16T09:00:00Z,4,9,\"good, fast\",2026-11-16T12:00:00Z",
    ),
];
const MAPPING: &str = r#"[tickets]
path = "x-*.csv"
header_row = 2
timestamp_formats = ["%d-%m-%Y %H:%M", "excel"]
null = ["?", "-"]
timezone = "Asia/Shanghai"
[tickets.columns]
ticket_id = "number"
created_at = "opened_at"
first_response_at = { duration = "reply minutes", unit = "minutes" }
[tickets.values.priority]
"1 - Critical" = "urgent"
"" = "normal"
[tickets.fold]
order_by = "sys_updated_at"
max = ["reopens"]
resolved_at = { column = "incident_state", in = ["Resolved"] }
[reviews]
preset = "olist"
[reviews.columns]
text = ["a", "b"]
review_id = { hash = ["a", "b"] }
"#;

/// `seed` mutated by a few edits: bytes replaced, inserted, removed, or a run
/// copied elsewhere (repeated fields, separators, quotes).
fn mutated(seeds: &'static [&'static str]) -> impl Strategy<Value = Vec<u8>> {
    let edit = (
        0usize..4,
        any::<prop::sample::Index>(),
        any::<prop::sample::Index>(),
        any::<u8>(),
    );
    (
        prop::sample::select(seeds),
        prop::collection::vec(edit, 0..6),
    )
        .prop_map(|(seed, edits)| {
            let mut bytes = seed.as_bytes().to_vec();
            for (kind, a, b, byte) in edits {
                if bytes.is_empty() {
                    bytes.push(byte);
                    continue;
                }
                let i = a.index(bytes.len());
                match kind {
                    0 => bytes[i] = byte,
                    1 => bytes.insert(
                        i,
                        *b",;:-/\"\n\r TZ+0".get(byte as usize % 15).unwrap_or(&byte),
                    ),
                    2 => {
                        bytes.remove(i);
                    }
                    _ => {
                        let j = b.index(bytes.len());
                        let (lo, hi) = (i.min(j), i.max(j));
                        let run = bytes[lo..hi.min(lo + 16)].to_vec();
                        let at = b.index(bytes.len());
                        bytes.splice(at..at, run);
                    }
                }
            }
            bytes
        })
}

/// The lines of a CSV export built from a source's header and row, mutated.
fn export() -> impl Strategy<Value = (usize, Vec<u8>)> {
    static LINES: std::sync::OnceLock<Vec<&'static str>> = std::sync::OnceLock::new();
    let lines: &'static [&'static str] =
        LINES.get_or_init(|| ROWS.iter().flat_map(|(_, h, r)| [*h, *r]).collect());
    (
        0..ROWS.len(),
        prop::collection::vec(mutated(lines), 0..8),
        any::<bool>(),
    )
        .prop_map(|(source, rows, crlf)| {
            let mut text = ROWS[source].1.as_bytes().to_vec();
            for row in rows {
                text.extend_from_slice(if crlf { b"\r\n" } else { b"\n" });
                text.extend(row);
            }
            (source, text)
        })
}

fn runner(cases: u32) -> TestRunner {
    TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    })
}

/// Runs `test` on `strategy` for the short pass, or for `seconds` in the long
/// mode; returns the cases run. A failure panics with the case proptest shrank.
fn fuzz<S: Strategy>(name: &str, strategy: S, test: impl Fn(S::Value) -> Result<(), TestCaseError>)
where
    S::Value: std::fmt::Debug,
{
    let seconds: u64 = std::env::var("SVCQ_FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    // The four targets run side by side, each for the whole time.
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let (batch, mut cases) = (if seconds > 0 { 2_000 } else { 300 }, 0u64);
    loop {
        if let Err(e) = runner(batch).run(&strategy, &test) {
            println!("fuzz {name}: {cases} cases, 1 failure");
            panic!("fuzz {name}: {e}");
        }
        cases += u64::from(batch);
        if Instant::now() >= deadline {
            break;
        }
    }
    println!("fuzz {name}: {cases} cases, 0 failures");
}

#[test]
fn fuzz_timestamps_and_durations() {
    let strategy = (mutated(TIMESTAMPS), mutated(FORMATS), any::<bool>());
    fuzz("timestamps", strategy, |(text, format, deadline)| {
        let text = String::from_utf8_lossy(&text);
        let _ = parse_timestamp(&text, Tz::Europe__Berlin);
        let _ = parse_deadline(&text, Tz::America__New_York);
        if let Ok(f) = TimestampFormat::parse(&String::from_utf8_lossy(&format)) {
            let moment = if deadline {
                Moment::Deadline
            } else {
                Moment::Event
            };
            let _ = f.read(&text, Tz::Asia__Shanghai, moment);
        }
        for unit in ["seconds", "minutes", "hours", "days", "hh:mm:ss"] {
            let _ = DurationUnit::parse(unit).unwrap().read(&text);
        }
        Ok(())
    });
}

#[test]
fn fuzz_csv_rows() {
    fuzz("csv rows", export(), |(source, bytes)| {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all(&bytes).unwrap();
        if let Ok(data) = read_source(
            file.path(),
            ROWS[source].0,
            Tz::UTC,
            &Keep::All,
            &Mapping::default(),
        ) {
            let s = &data.stats;
            prop_assert_eq!(s.read, s.accepted + s.rejected);
            prop_assert_eq!(data.frame.height() as u64, s.accepted);
        }
        Ok(())
    });
}

#[test]
fn fuzz_targets_file() {
    static SEEDS: std::sync::OnceLock<Vec<&'static str>> = std::sync::OnceLock::new();
    let seeds: &'static [&'static str] = SEEDS.get_or_init(|| vec![DEFAULT_TOML]);
    fuzz("svcq.toml", mutated(seeds), |bytes| {
        let _ = Targets::parse(&String::from_utf8_lossy(&bytes), "fuzz.toml");
        Ok(())
    });
}

#[test]
fn fuzz_mappings() {
    fuzz("mappings", mutated(&[MAPPING]), |bytes| {
        if let Ok(specs) = toml::from_str::<std::collections::BTreeMap<String, MappingSpec>>(
            &String::from_utf8_lossy(&bytes),
        ) {
            let _ = parse(specs, None);
        }
        Ok(())
    });
}
