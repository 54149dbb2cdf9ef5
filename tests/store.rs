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
    let tickets = store_report(root.path(), "store")
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == "tickets" && m["group"].is_null())
        .unwrap()["value"]
        .as_f64()
        .unwrap();
    assert_eq!(tickets as u64, expected);
    // Nothing left over but the store's files and its locks.
    let mut left: Vec<String> = std::fs::read_dir(root.path().join("store"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(left, [".commit.lock", ".ingest.lock", "CURRENT", "v000004"]);
}

/// The report over a store, its metrics only (the inputs name the version folder).
fn store_report(root: &Path, store: &str) -> serde_json::Value {
    let mut r = common::run_json(
        root,
        &[
            "report",
            "--store",
            store,
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
    r["metrics"].take()
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

// An ingest killed (SIGKILL) at 50 moments spread over its run leaves the store as
// it was before or as it is after; the next ingest succeeds and removes what the
// killed one left.
#[test]
fn an_ingest_killed_at_any_moment_leaves_the_store_before_or_after() {
    let root = tempfile::tempdir().unwrap();
    let r = root.path();
    for (name, seed) in [("a", "1"), ("b", "2")] {
        std::fs::create_dir(r.join(name)).unwrap();
        run_ok(
            &r.join(name),
            &["sample", "--out", ".", "--tickets", "4000", "--seed", seed],
        );
    }
    run_ok(
        r,
        &[
            "ingest",
            "--data",
            "a",
            "--store",
            "before",
            "--rejects",
            "rj",
        ],
    );
    let before = store_report(r, "before");
    copy_dir(&r.join("before"), &r.join("after"));
    let start = std::time::Instant::now();
    run_ok(
        r,
        &[
            "ingest",
            "--data",
            "b",
            "--store",
            "after",
            "--rejects",
            "rj",
        ],
    );
    let took = start.elapsed();
    let after = store_report(r, "after");
    assert_ne!(before, after, "the second export must change the store");
    let (mut seen_before, mut seen_after) = (0, 0);
    let mut state = 0x2545_f491_4f6c_dd1du64;
    for i in 0..50 {
        let store = format!("w{i}");
        copy_dir(&r.join("before"), &r.join(&store));
        let mut child = Command::new(assert_cmd::cargo::cargo_bin("svcq"))
            .current_dir(r)
            .args([
                "ingest",
                "--data",
                "b",
                "--rejects",
                "rj",
                "--store",
                &store,
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // A moment between the start and a little past the usual end.
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let at = took.mul_f64((state % 1000) as f64 / 1000.0 * 1.1);
        std::thread::sleep(at);
        let _ = child.kill();
        let _ = child.wait();
        let now = store_report(r, &store);
        if now == before {
            seen_before += 1;
        } else {
            assert_eq!(
                now, after,
                "kill {i} at {at:?} left a store neither before nor after"
            );
            seen_after += 1;
        }
        run_ok(
            r,
            &[
                "ingest",
                "--data",
                "b",
                "--rejects",
                "rj",
                "--store",
                &store,
            ],
        );
        assert_eq!(store_report(r, &store), after);
        let left = std::fs::read_dir(r.join(&store))
            .unwrap()
            .filter(|e| {
                let name = e
                    .as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .into_owned();
                name.starts_with('v') || name.ends_with(".tmp")
            })
            .count();
        assert_eq!(left, 1, "kill {i}: leftovers besides the live version");
        std::fs::remove_dir_all(r.join(&store)).unwrap();
    }
    // The kills landed on both sides of the commit.
    assert!(
        seen_before > 0 && seen_after > 0,
        "{seen_before} before, {seen_after} after"
    );
}

/// The live version's folder of a store.
fn live(store: &Path) -> std::path::PathBuf {
    store.join(
        std::fs::read_to_string(store.join("CURRENT"))
            .unwrap()
            .trim(),
    )
}

/// `svcq ingest --tickets FILE --store STORE` in `dir`; what it printed.
fn ingest_tickets(dir: &Path, file: &str, store: &str) -> String {
    let args = [
        "ingest",
        "--tickets",
        file,
        "--store",
        store,
        "--rejects",
        "rj",
    ];
    String::from_utf8(run_ok(dir, &args)).unwrap()
}

// Months as Hive partitions: an ingest rewrites the months its rows fall in and
// carries the others over as links; a ticket whose creation moved to another month
// leaves its old partition.
#[test]
fn partitions_by_month_rewrite_only_what_an_ingest_touches() {
    use std::os::unix::fs::MetadataExt;
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    let header = "ticket_id,created_at,channel,priority\n";
    std::fs::write(
        p.join("a.csv"),
        format!("{header}T1,2026-09-10,chat,low\nT2,2026-10-30,chat,low\nT3,2026-11-16,chat,low\n"),
    )
    .unwrap();
    // T2 was created in November after all; T4 is new.
    std::fs::write(
        p.join("b.csv"),
        format!("{header}T2,2026-11-02,chat,low\nT4,2026-11-17,email,high\n"),
    )
    .unwrap();
    ingest_tickets(p, "a.csv", "s");
    let first = live(&p.join("s"));
    let september = |v: &Path| v.join("tickets/month=2026-09/part.parquet");
    assert!(first.join("tickets/month=2026-10/part.parquet").exists());
    let september_inode = std::fs::metadata(september(&first)).unwrap().ino();
    let out = ingest_tickets(p, "b.csv", "s");
    assert!(out.contains("4 rows (1 new, 1 updated)"), "{out}");
    let second = live(&p.join("s"));
    // September was not touched: the same file, linked into the new version.
    assert_eq!(
        std::fs::metadata(september(&second)).unwrap().ino(),
        september_inode
    );
    assert!(!first.exists(), "the previous version is removed");
    // October lost its only row, T2, which moved to November.
    assert!(!second.join("tickets/month=2026-10").exists());
    let r = common::run_json(
        p,
        &[
            "report",
            "--store",
            "s",
            "--period",
            "2026-11",
            "--as-of",
            "2026-11-30T00:00:00Z",
            "--format",
            "json",
        ],
    );
    let tickets = r["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == "tickets" && m["group"].is_null())
        .unwrap()["value"]
        .as_f64();
    assert_eq!(tickets, Some(3.0));
}

// What a killed ingest leaves, vacuum removes without an ingest.
#[test]
fn vacuum_removes_what_an_interrupted_ingest_left() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    std::fs::write(
        p.join("t.csv"),
        "ticket_id,created_at,channel,priority\nT1,2026-11-16,chat,low\n",
    )
    .unwrap();
    run_ok(
        p,
        &[
            "ingest",
            "--tickets",
            "t.csv",
            "--store",
            "s",
            "--rejects",
            "rj",
        ],
    );
    // As a killed ingest leaves them: a version CURRENT does not name, a temp file.
    std::fs::create_dir_all(p.join("s/v000009/tickets")).unwrap();
    std::fs::write(p.join("s/.CURRENT.tmp"), "v000009\n").unwrap();
    let before = store_report(p, "s");
    let out = String::from_utf8(run_ok(p, &["store", "vacuum", "--store", "s"])).unwrap();
    assert!(
        out.contains("2 left over by interrupted ingests removed"),
        "{out}"
    );
    assert!(!p.join("s/v000009").exists() && !p.join("s/.CURRENT.tmp").exists());
    assert_eq!(store_report(p, "s"), before);
}

/// A store reads its times in four bytes where a month's file allows it, and in
/// milliseconds where it does not: here October's file holds a reply half a
/// second after the minute and November's only whole seconds. No time is rounded,
/// and the report over the store is the report over the export.
#[test]
fn a_store_whose_months_differ_in_precision_reads_every_time_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    std::fs::write(
        p.join("tickets.csv"),
        "ticket_id,created_at,first_response_at,channel,priority\n\
         T1,2026-10-05T10:00:00Z,2026-10-05T10:30:00.500Z,chat,low\n\
         T2,2026-11-02T08:00:00Z,2026-11-02T09:00:00Z,chat,low\n\
         T3,2026-11-03T08:00:00Z,2026-11-03T08:15:00Z,email,low\n",
    )
    .unwrap();
    run_ok(
        p,
        &["ingest", "--data", ".", "--store", "s", "--rejects", "rj"],
    );
    let stored = store_report(p, "s");
    let mut exported = common::run_json(
        p,
        &[
            "report",
            "--data",
            ".",
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
    assert_eq!(stored, exported["metrics"].take());
    let value = |id: &str| {
        stored
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["id"] == id && m["group"].is_null())
            .unwrap()["value"]
            .as_f64()
            .unwrap()
    };
    // 1800.5 s, 3600 s and 900 s, in hours.
    let (t1, t2, t3) = (1800.5 / 3600.0, 1.0, 0.25);
    assert!((value("first_response_hours_mean") - (t1 + t2 + t3) / 3.0).abs() < 1e-12);
    assert!((value("first_response_hours_p50") - t1).abs() < 1e-12);
}

/// A column an export did not have is absent from the store's rows of that
/// export, not a column of nulls: its metrics have no data (never a resolution
/// rate of 0) while a month file holds a row from an export without it, even
/// beside rows from one that has it, until an ingest replaces the whole month.
#[test]
fn a_column_the_export_lacked_stays_absent_until_its_rows_are_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    std::fs::write(
        p.join("a.csv"),
        "ticket_id,created_at,channel,priority\n\
         T1,2026-10-05T10:00:00Z,chat,low\n\
         T2,2026-11-02T08:00:00Z,chat,low\n\
         T3,2026-11-03T08:00:00Z,chat,low\n",
    )
    .unwrap();
    // October whole and half of November again, now with resolutions: November's
    // file then mixes T3, from the export without them, with T2.
    std::fs::write(
        p.join("b.csv"),
        "ticket_id,created_at,resolved_at,channel,priority\n\
         T1,2026-10-05T10:00:00Z,2026-10-05T12:00:00Z,chat,low\n\
         T2,2026-11-02T08:00:00Z,2026-11-02T12:00:00Z,chat,low\n",
    )
    .unwrap();
    // November whole: the mark is a month file's, so it goes when no row of the
    // month is kept from before.
    std::fs::write(
        p.join("c.csv"),
        "ticket_id,created_at,resolved_at,channel,priority\n\
         T2,2026-11-02T08:00:00Z,2026-11-02T12:00:00Z,chat,low\n\
         T3,2026-11-03T08:00:00Z,,chat,low\n",
    )
    .unwrap();
    let resolution_rate = || {
        let metrics = store_report(p, "s");
        let row = metrics
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["id"] == "resolution_rate" && m["group"].is_null())
            .unwrap()
            .clone();
        (
            row["status"].as_str().unwrap().to_string(),
            row["value"].as_f64(),
        )
    };
    let ingest = |file: &str| ingest_tickets(p, file, "s");
    ingest("a.csv");
    assert_eq!(resolution_rate(), ("no_data".to_string(), None));
    ingest("b.csv");
    assert_eq!(resolution_rate(), ("no_data".to_string(), None));
    // Every row now comes from an export with it: T1 and T2 resolved, T3 not.
    ingest("c.csv");
    let (status, value) = resolution_rate();
    assert_ne!(status, "no_data");
    assert!((value.unwrap() - 2.0 / 3.0).abs() < 1e-12, "{value:?}");
}

/// A store written before versions and partitions (one flat `tickets.parquet`) is
/// merged into month partitions by the next ingest: its rows are kept or
/// replaced by id like any other's.
#[test]
fn an_ingest_into_a_flat_store_of_before_partitions_merges_by_id() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    let header = "ticket_id,created_at,channel,priority\n";
    std::fs::write(
        p.join("a.csv"),
        format!("{header}T1,2026-10-05T10:00:00Z,chat,low\nT2,2026-10-06T10:00:00Z,chat,low\n"),
    )
    .unwrap();
    // T1 moved to November; T3 is new.
    std::fs::write(
        p.join("b.csv"),
        format!("{header}T1,2026-11-05T10:00:00Z,email,low\nT3,2026-10-07T10:00:00Z,chat,high\n"),
    )
    .unwrap();
    ingest_tickets(p, "a.csv", "s");
    // The one month file of that store, laid out as a store before versions.
    std::fs::create_dir(p.join("flat")).unwrap();
    std::fs::copy(
        live(&p.join("s")).join("tickets/month=2026-10/part.parquet"),
        p.join("flat/tickets.parquet"),
    )
    .unwrap();
    let out = ingest_tickets(p, "b.csv", "flat");
    assert!(out.contains("3 rows (1 new, 1 updated)"), "{out}");
    let version = live(&p.join("flat"));
    assert!(!p.join("flat/tickets.parquet").exists());
    for month in ["2026-10", "2026-11"] {
        assert!(version
            .join(format!("tickets/month={month}/part.parquet"))
            .exists());
    }
    let count = |period: &str, by_channel: Option<&str>| {
        let r = common::run_json(
            p,
            &[
                "report",
                "--store",
                "flat",
                "--period",
                period,
                "--by",
                "channel",
                "--as-of",
                "2026-11-30T00:00:00Z",
                "--format",
                "json",
            ],
        );
        r["metrics"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["id"] == "tickets" && m["group"]["channel"].as_str() == by_channel)
            .map(|m| m["value"].as_f64().unwrap())
    };
    // October: T2 and T3 by chat; November: T1, now by email.
    assert_eq!(count("2026-10", Some("chat")), Some(2.0));
    assert_eq!(count("2026-10", Some("email")), None);
    assert_eq!(count("2026-11", Some("email")), Some(1.0));
}
