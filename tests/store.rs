//! The store loses nothing when ingests run at once: each waits for the other,
//! and the store ends as the union of disjoint exports.

use std::path::Path;
use std::process::{Command, Stdio};

use common::run_ok;

mod common;

/// A tickets export of `n` tickets whose ids carry `prefix`, so exports are disjoint.
fn export(dir: &Path, prefix: &str, n: u32, seed: u32) -> u64 {
    run_ok(
        dir,
        &[
            "sample",
            "--out",
            ".",
            "--tickets",
            &n.to_string(),
            "--seed",
            &seed.to_string(),
        ],
    );
    std::fs::remove_file(dir.join("shipments.csv")).unwrap();
    std::fs::remove_file(dir.join("reviews.csv")).unwrap();
    let text = std::fs::read_to_string(dir.join("tickets.csv")).unwrap();
    let mut lines = text.lines();
    let mut out = format!("{}\n", lines.next().unwrap());
    for line in lines {
        out.push_str(&format!("{prefix}{line}\n"));
    }
    std::fs::write(dir.join("tickets.csv"), out).unwrap();
    let v = common::run_json(dir, &["validate", "--data", ".", "--format", "json"]);
    v["inputs"]["tickets"]["accepted"].as_u64().unwrap()
}

#[test]
fn parallel_ingests_of_disjoint_exports_keep_their_union() {
    let root = tempfile::tempdir().unwrap();
    let mut expected = 0;
    let mut dirs = Vec::new();
    for (k, prefix) in ["A", "B", "C", "D"].iter().enumerate() {
        let dir = root.path().join(prefix);
        std::fs::create_dir(&dir).unwrap();
        expected += export(&dir, prefix, 3_000, k as u32 + 1);
        dirs.push(dir);
    }
    let children: Vec<_> = dirs
        .iter()
        .map(|d| {
            Command::new(assert_cmd::cargo::cargo_bin("svcq"))
                .current_dir(root.path())
                .args(["ingest", "--store", "store", "--rejects", "rj", "--data"])
                .arg(d)
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let r = common::run_json(
        root.path(),
        &[
            "report",
            "--store",
            "store",
            "--from",
            "2026-01-01",
            "--to",
            "2027-01-01",
            "--as-of",
            "2026-11-23T00:00:00Z",
            "--format",
            "json",
        ],
    );
    assert_eq!(r["inputs"]["tickets"]["read"].as_u64().unwrap(), expected);
    // Nothing left over but the store's files and its locks.
    let mut left: Vec<String> = std::fs::read_dir(root.path().join("store"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(left, [".commit.lock", ".ingest.lock", "tickets.parquet"]);
}
