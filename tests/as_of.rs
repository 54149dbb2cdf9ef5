//! `--as-of T` reproduces the past: a report as of T over today's export equals the
//! report over the export as it stood at T (records created later absent, later
//! events not yet written), for every metric, its n and its pending count.

use std::collections::BTreeMap;
use std::path::Path;

use chrono_tz::Tz;
use common::run_json;
use proptest::prelude::*;
use serde_json::Value;
use svcq::sample::{generate, SampleSpec};
use svcq::source::load::Keep;
use svcq::source::mapping::Mapping;
use svcq::source::read::read_source;
use svcq::source::timestamp::{format_utc, parse_timestamp};
use svcq::source::{Kind, Moment, Source};

mod common;

/// The sample's span: 4 weeks before 2026-11-23T00:00Z.
const START: i64 = 1_792_972_800_000;
const END: i64 = 1_795_392_000_000;

/// Today's export: the sample without the rows it deliberately makes invalid, so a
/// row never turns valid by losing a later event.
fn today(dir: &Path) {
    let spec = SampleSpec {
        tickets: 400,
        seed: 7,
        weeks: 4,
        end: "2026-11-23".into(),
    };
    generate(dir, &spec).unwrap();
    for source in Source::ALL {
        let path = dir.join(format!("{}.csv", source.name()));
        let rejected: Vec<u64> =
            read_source(&path, source, Tz::UTC, &Keep::Nothing, &Mapping::default())
                .unwrap()
                .rejects
                .iter()
                .map(|r| r.line)
                .collect();
        let text = std::fs::read_to_string(&path).unwrap();
        let kept: Vec<&str> = text
            .lines()
            .enumerate()
            .filter(|(i, _)| !rejected.contains(&(*i as u64 + 1)))
            .map(|(_, l)| l)
            .collect();
        std::fs::write(&path, kept.join("\n") + "\n").unwrap();
    }
}

/// The export as it stood at `t`: rows whose anchor is later dropped, later events
/// emptied.
fn truncate(from: &Path, to: &Path, t: i64) {
    std::fs::create_dir_all(to).unwrap();
    for source in Source::ALL {
        let name = format!("{}.csv", source.name());
        let mut reader = csv::Reader::from_path(from.join(&name)).unwrap();
        let header = reader.headers().unwrap().clone();
        let index = |column: &str| header.iter().position(|h| h == column);
        let anchor = index(source.anchor_column()).unwrap();
        let events: Vec<usize> = source
            .columns()
            .iter()
            .filter(|c| c.kind == Kind::Timestamp(Moment::Event))
            .filter_map(|c| index(c.name))
            .collect();
        let after = |text: &str| parse_timestamp(text, Tz::UTC).is_ok_and(|ms| ms > t);
        let mut writer = csv::Writer::from_path(to.join(&name)).unwrap();
        writer.write_record(&header).unwrap();
        for record in reader.records() {
            let record = record.unwrap();
            if after(&record[anchor]) {
                continue;
            }
            let fields: Vec<&str> = record
                .iter()
                .enumerate()
                .map(|(i, f)| {
                    if events.contains(&i) && after(f) {
                        ""
                    } else {
                        f
                    }
                })
                .collect();
            writer.write_record(&fields).unwrap();
        }
        writer.flush().unwrap();
    }
}

/// Every metric row of a report: (id, group) → (value, n, pending).
fn metrics(dir: &Path, data: &Path, as_of: &str) -> BTreeMap<String, (Value, Value, Value)> {
    let data = data.to_str().unwrap();
    let r = run_json(
        dir,
        &[
            "report",
            "--data",
            data,
            "--as-of",
            as_of,
            "--from",
            "2026-10-01",
            "--to",
            "2026-12-01",
            "--by",
            "week",
            "--format",
            "json",
        ],
    );
    let mut out = BTreeMap::new();
    for m in r["metrics"].as_array().unwrap() {
        out.insert(
            format!("{} {}", m["id"], m["group"]),
            (m["value"].clone(), m["n"].clone(), m["pending"].clone()),
        );
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    #[test]
    fn report_as_of_equals_the_export_truncated_there(fraction in 0.05f64..1.0) {
        let dir = tempfile::tempdir().unwrap();
        let full = dir.path().join("today");
        today(&full);
        // A whole second, so the export's second-resolution timestamps meet it.
        let t = (START + ((END - START) as f64 * fraction) as i64) / 1000 * 1000;
        let as_of = format_utc(t);
        let past = dir.path().join("past");
        truncate(&full, &past, t);
        let now = metrics(dir.path(), &full, &as_of);
        let then = metrics(dir.path(), &past, &as_of);
        prop_assert!(now.len() > 40);
        for (key, row) in &now {
            prop_assert_eq!(Some(row), then.get(key), "{} as of {}", key, as_of);
        }
        prop_assert_eq!(now.len(), then.len());
    }
}
