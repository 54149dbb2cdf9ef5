//! A command that shows no review text keeps it, from a CSV, only as what each
//! negative review mentions, found as the row is read: the text is never held.
//! That column must say what matching the text afterwards says, whether the
//! file is read in one piece or in parts on every core, and the report must be
//! the one the store (which keeps the text) gives.

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;

use common::{fixture, run_json, run_ok};
use polars::prelude::*;
use serde_json::Value;
use svcq::source::load::{Keep, TextMentions, NOT_GATED};
use svcq::source::mapping::Mapping;
use svcq::source::read::read_files;
use svcq::source::Source;

/// A mask anyone can work out by hand: bit 0 "late", bit 1 "rude", bit 5 "刮花".
fn hand_mask(text: &str) -> u8 {
    u8::from(text.contains("late"))
        | u8::from(text.contains("rude")) << 1
        | u8::from(text.contains("刮花")) << 5
}

fn keep_as_mentions(columns: &[&str]) -> Keep {
    let columns: BTreeSet<String> = columns.iter().map(|c| c.to_string()).collect();
    Keep::Only {
        columns: [(Source::Reviews, columns)].into(),
        mentions: Some(Arc::new(TextMentions {
            source: Source::Reviews,
            column: "text",
            gate: ("rating", 2),
            mask: Box::new(hand_mask),
        })),
        links: None,
    }
}

fn read_mentions(path: &Path) -> (Vec<Option<String>>, Vec<Option<i8>>) {
    let keep = keep_as_mentions(&["review_id", "text"]);
    let data = read_files(
        &[path.to_path_buf()],
        Source::Reviews,
        chrono_tz::UTC,
        &keep,
        &Mapping::default(),
    )
    .unwrap();
    let ids = data.frame.column("review_id").unwrap().str().unwrap();
    let text = data.frame.column("text").unwrap();
    assert_eq!(text.dtype(), &DataType::Int8);
    (
        ids.iter().map(|i| i.map(str::to_string)).collect(),
        text.i8().unwrap().iter().collect(),
    )
}

#[test]
fn a_text_is_read_as_what_it_mentions_when_the_review_is_negative() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("reviews.csv");
    // CRLF, rows in no order, a quoted text with a comma and a line break, a
    // duplicate (its row rejected, its text not read), an empty text.
    std::fs::write(
        &path,
        "review_id,created_at,rating,text\r\n\
         r9,2026-11-20T10:00:00Z,1,\"late, and rude\r\nvery late\"\r\n\
         r2,2026-11-19T10:00:00Z,5,late but fine\r\n\
         r5,2026-11-18T10:00:00Z,2,\r\n\
         r9,2026-11-21T10:00:00Z,1,rude\r\n\
         r7,2026-11-17T10:00:00Z,2,外壳刮花了\r\n\
         r1,2026-11-16T10:00:00Z,1,fine\r\n",
    )
    .unwrap();
    let (ids, masks) = read_mentions(&path);
    assert_eq!(
        ids,
        ["r9", "r2", "r5", "r7", "r1"].map(|i| Some(i.to_string()))
    );
    // r9: late + rude = 0b11; r2 is not negative; r5 has no text; r7: 刮花 = bit 5;
    // r1: nothing.
    assert_eq!(masks, [Some(3), Some(NOT_GATED), None, Some(32), Some(0)]);
}

#[test]
fn a_file_read_in_parts_finds_the_mentions_one_reading_finds() {
    // 180,000 reviews, over 9 MiB: read in two parts (of at least 4 MiB each)
    // where there are two cores.
    let dir = tempfile::tempdir().unwrap();
    let texts = [
        "arrived late",
        "agent was rude, and late",
        "",
        "屏幕刮花，送得很late",
        "nothing to say about this order at all",
    ];
    let mut csv = String::from("review_id,created_at,rating,text\n");
    let mut expected = Vec::new();
    for r in 0..180_000usize {
        let rating = 1 + (r * 7) % 5;
        let text = texts[(r / 5) % texts.len()];
        csv.push_str(&format!(
            "{},2026-11-{:02}T{:02}:00:00Z,{rating},\"{text} #{r}\"\n",
            r * 13 % 1_000_003,
            1 + r % 28,
            r % 24
        ));
        expected.push(match rating {
            1 | 2 => Some(hand_mask(text) as i8),
            _ => Some(NOT_GATED),
        });
    }
    let path = dir.path().join("reviews.csv");
    std::fs::write(&path, &csv).unwrap();
    assert!(csv.len() > 9 << 20, "{} bytes", csv.len());
    let (_, masks) = read_mentions(&path);
    assert_eq!(masks, expected);
    // Every mask the hand rule gives: not matched, 0, late, late+rude, late+刮花.
    let distinct: BTreeSet<_> = masks.iter().collect();
    assert_eq!(distinct.len(), 5, "{distinct:?}");
}

fn aspect_rows(report: &Value) -> Vec<(String, Value, Value)> {
    report["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| {
            let id = m["id"].as_str().unwrap();
            id.starts_with("negative_mentions_") || id == "negative_rate"
        })
        .map(|m| {
            (
                m["id"].as_str().unwrap().to_string(),
                m["value"].clone(),
                m["n"].clone(),
            )
        })
        .collect()
}

#[test]
fn the_store_which_keeps_the_text_gives_the_same_aspect_rates() {
    let dir = tempfile::tempdir().unwrap();
    let reviews = fixture("complaints/reviews.csv");
    let period = [
        "--tz",
        "Asia/Shanghai",
        "--period",
        "2026-W47",
        "--format",
        "json",
    ];
    let from_csv = run_json(
        dir.path(),
        &[&["report", "--reviews", &reviews][..], &period[..]].concat(),
    );
    run_ok(
        dir.path(),
        &["ingest", "--reviews", &reviews, "--store", "store"],
    );
    let from_store = run_json(
        dir.path(),
        &[&["report", "--store", "store"][..], &period[..]].concat(),
    );
    let rows = aspect_rows(&from_csv);
    // As tests/complaints.rs works out: delivery 3/4, service 2/4 of the negative
    // reviews with a text.
    let delivery = rows
        .iter()
        .find(|r| r.0 == "negative_mentions_delivery_rate")
        .unwrap();
    assert_eq!(
        (&delivery.1, &delivery.2),
        (&Value::from(0.75), &Value::from(4))
    );
    assert!(rows.len() >= 7, "{rows:?}");
    assert_eq!(rows, aspect_rows(&from_store));
}
