//! Invariants of the reader, the store and the engine over generated exports of
//! random size and seed: row order changes nothing; an export ingested in two
//! parts equals it ingested whole, and ingesting again changes nothing; the CSV
//! and the store give the same report; rates lie in [0, 1] and p50 ≤ p90; two
//! weeks' counts add up to the fortnight's.

use std::collections::BTreeMap;
use std::path::Path;

use common::run_json;
use proptest::prelude::*;

mod common;

const AS_OF: &str = "2026-11-23T00:00:00Z";
const SPAN: [&str; 4] = ["--from", "2026-11-02", "--to", "2026-11-23"];

/// `svcq sample` into `dir`, then each source's rows deduplicated by id (the first
/// row wins, so which duplicate is kept depends on order) and shuffled by `seed`.
fn export(dir: &Path, tickets: u32, seed: u64, shuffle: Option<u64>) {
    let seed_text = seed.to_string();
    let tickets_text = tickets.to_string();
    common::run_ok(
        dir,
        &[
            "sample",
            "--out",
            ".",
            "--tickets",
            &tickets_text,
            "--seed",
            &seed_text,
            "--weeks",
            "3",
        ],
    );
    for name in ["tickets", "shipments", "reviews"] {
        let path = dir.join(format!("{name}.csv"));
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true)
            .from_path(&path)
            .unwrap();
        let header = reader.byte_headers().unwrap().clone();
        let mut seen = std::collections::HashSet::new();
        let mut rows: Vec<csv::ByteRecord> = reader
            .byte_records()
            .map(Result::unwrap)
            .filter(|r| seen.insert(r.get(0).unwrap_or_default().to_vec()))
            .collect();
        if let Some(s) = shuffle {
            // A Fisher–Yates shuffle driven by SplitMix64: the same seed, the same order.
            let mut state = s;
            for i in (1..rows.len()).rev() {
                state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
                let mut z = state;
                z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
                z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
                rows.swap(i, ((z ^ (z >> 31)) % (i as u64 + 1)) as usize);
            }
        }
        let mut writer = csv::WriterBuilder::new()
            .flexible(true)
            .from_path(&path)
            .unwrap();
        writer.write_byte_record(&header).unwrap();
        for r in rows {
            writer.write_byte_record(&r).unwrap();
        }
        writer.flush().unwrap();
    }
}

/// Every metric row of a report: (id, group) → (value, n).
fn metrics(dir: &Path, input: &[&str], period: &[&str]) -> BTreeMap<String, (Option<f64>, u64)> {
    let mut args = vec!["report", "--format", "json", "--as-of", AS_OF];
    args.extend(input);
    args.extend(period);
    let r = run_json(dir, &args);
    r["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                format!("{} {}", m["id"], m["group"]),
                (m["value"].as_f64(), m["n"].as_u64().unwrap()),
            )
        })
        .collect()
}

fn assert_same(a: &BTreeMap<String, (Option<f64>, u64)>, b: &BTreeMap<String, (Option<f64>, u64)>) {
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    for (key, (va, na)) in a {
        let (vb, nb) = &b[key];
        assert_eq!(na, nb, "{key} n");
        match (va, vb) {
            (Some(x), Some(y)) => assert!(
                (x - y).abs() <= 1e-12 * x.abs().max(1.0),
                "{key}: {x} vs {y}"
            ),
            _ => assert_eq!(va, vb, "{key}"),
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 5, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn row_order_changes_no_metric(tickets in 50u32..400, seed in 0u64..1000, order in any::<u64>()) {
        let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        export(a.path(), tickets, seed, None);
        export(b.path(), tickets, seed, Some(order));
        for by in [&[][..], &["--by", "channel"][..]] {
            let period: Vec<&str> = SPAN.iter().copied().chain(by.iter().copied()).collect();
            assert_same(&metrics(a.path(), &["--data", "."], &period), &metrics(b.path(), &["--data", "."], &period));
        }
    }

    #[test]
    fn store_equals_csv_and_ingest_in_parts_equals_whole(tickets in 50u32..400, seed in 0u64..1000) {
        let dir = tempfile::tempdir().unwrap();
        export(dir.path(), tickets, seed, None);
        let p = dir.path();
        common::run_ok(p, &["ingest", "--data", ".", "--store", "whole", "--rejects", "rj"]);
        let csv = metrics(p, &["--data", "."], &SPAN);
        let whole = metrics(p, &["--store", "whole"], &SPAN);
        assert_same(&csv, &whole);
        // Ingesting again changes no byte of the store.
        let before = store_files(&p.join("whole"));
        common::run_ok(p, &["ingest", "--data", ".", "--store", "whole", "--rejects", "rj"]);
        prop_assert_eq!(before, store_files(&p.join("whole")));
        // The tickets in two halves, one ingest each, into a fresh store.
        let text = std::fs::read_to_string(p.join("tickets.csv")).unwrap();
        let mut lines = text.lines();
        let header = lines.next().unwrap();
        let rows: Vec<&str> = lines.collect();
        let (first, second) = rows.split_at(rows.len() / 2);
        std::fs::create_dir_all(p.join("a")).unwrap();
        std::fs::create_dir_all(p.join("b")).unwrap();
        for (d, part) in [("a", first), ("b", second)] {
            std::fs::write(p.join(d).join("tickets.csv"), format!("{header}\n{}\n", part.join("\n"))).unwrap();
            for other in ["shipments.csv", "reviews.csv"] {
                std::fs::copy(p.join(other), p.join(d).join(other)).unwrap();
            }
            common::run_ok(p, &["ingest", "--data", d, "--store", "parts", "--rejects", "rj"]);
        }
        assert_same(&whole, &metrics(p, &["--store", "parts"], &SPAN));
    }

    #[test]
    fn rates_are_fractions_p50_is_at_most_p90_and_weeks_add_up(tickets in 50u32..400, seed in 0u64..1000) {
        let dir = tempfile::tempdir().unwrap();
        export(dir.path(), tickets, seed, None);
        let p = dir.path();
        let input = ["--data", "."];
        let weekly = metrics(p, &input, &["--from", "2026-11-09", "--to", "2026-11-23", "--by", "week"]);
        let r = run_json(p, &["report", "--format", "json", "--as-of", AS_OF, "--data", ".", "--from", "2026-11-09", "--to", "2026-11-23", "--by", "week"]);
        for m in r["metrics"].as_array().unwrap() {
            if let (Some(v), "rate") = (m["value"].as_f64(), m["unit"].as_str().unwrap()) {
                prop_assert!((0.0..=1.0).contains(&v), "{} {}", m["id"], v);
            }
            let id = m["id"].as_str().unwrap();
            if let Some(family) = id.strip_suffix("_p50") {
                let p90 = r["metrics"].as_array().unwrap().iter().find(|x| {
                    x["id"] == format!("{family}_p90") && x["group"] == m["group"]
                });
                if let (Some(lo), Some(hi)) = (m["value"].as_f64(), p90.and_then(|x| x["value"].as_f64())) {
                    prop_assert!(lo <= hi, "{id}: {lo} > {hi}");
                }
            }
        }
        let fortnight = metrics(p, &input, &["--from", "2026-11-09", "--to", "2026-11-23"]);
        for id in ["tickets", "shipments", "reviews", "unresolved"] {
            let week = |w: &str| weekly[&format!("\"{id}\" {{\"week\":\"{w}\"}}")].0.unwrap();
            let whole = fortnight[&format!("\"{id}\" null")].0.unwrap();
            prop_assert_eq!(week("2026-W46") + week("2026-W47"), whole, "{}", id);
        }
    }
}

/// The store's live Parquet files and their bytes, in path order.
fn store_files(dir: &Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    let version = std::fs::read_to_string(dir.join("CURRENT")).unwrap();
    common::files_under(&dir.join(version.trim()))
}
