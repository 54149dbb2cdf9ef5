//! Integration tests: the real binary on small hand-made fixtures. Expected values
//! are worked out by hand in the comments.

use assert_cmd::Command;
use serde_json::Value;

fn svcq() -> Command {
    Command::cargo_bin("svcq").unwrap()
}

fn run_json(args: &[&str], dir: &std::path::Path) -> (i32, Value) {
    let out = svcq().current_dir(dir).args(args).output().unwrap();
    let code = out.status.code().unwrap();
    let json = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    (code, json)
}

fn fixture() -> String {
    format!(
        "{}/tests/fixtures/week/tickets.csv",
        env!("CARGO_MANIFEST_DIR")
    )
}

/// Asserts each `(id, value, n)` of the overall rows, values to 1e-9.
fn assert_metrics(report: &Value, expect: &[(&str, f64, u64)]) {
    for &(id, value, n) in expect {
        let m = metric(report, id);
        assert!(
            (m["value"].as_f64().unwrap() - value).abs() < 1e-9,
            "{id}: {}",
            m["value"]
        );
        assert_eq!(m["n"], n, "{id}");
    }
}

fn metric<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == id && m["group"].is_null())
        .unwrap()
}

// Week 2026-W47 holds T1..T5 (T6 is in W46; T7 has a bad timestamp; the second T1 is
// a duplicate). As of 2026-11-23T00:00Z:
//   answered: T1 1 h, T2 3 h, T3 5 h (08:00+08:00 = 00:00Z)  → mean 3, p50 3,
//   p90 = 3 + 0.8 × (5 − 3) = 4.6 (rank 1.8 of [1, 3, 5])
//   resolved: T1 10 h, T2 24 h → rate 2/5, mean 17, p90 = 10 + 0.9 × 14 = 22.6
//   fcr: T1 only (T2 reopened, 3 replies) → 1/2; reopen 1/2
//   SLA: T1 urgent 1 h > 0.5 miss; T2 normal 3 ≤ 6 met; T3 low 5 ≤ 24 met;
//        T4 high unanswered, 24 h old > 2 → judged, missed; T5 low, 4 h old < 24 → not judged
//        → 2/4 = 0.5
#[test]
fn report_computes_every_ticket_metric_by_hand() {
    let dir = tempfile::tempdir().unwrap();
    let (code, r) = run_json(
        &[
            "report",
            "--tickets",
            &fixture(),
            "--period",
            "2026-W47",
            "--as-of",
            "2026-11-23T00:00:00Z",
            "--format",
            "json",
            "--compare",
            "--rejects",
            "rejects",
        ],
        dir.path(),
    );
    assert_eq!(code, 0);
    assert_eq!(r["inputs"]["tickets"]["read"], 8);
    assert_eq!(r["inputs"]["tickets"]["accepted"], 6);
    assert_eq!(r["inputs"]["tickets"]["rejected"], 2);
    assert_eq!(r["inputs"]["tickets"]["reasons"]["duplicate ticket_id"], 1);
    assert_eq!(
        r["inputs"]["tickets"]["reasons"]["created_at not a timestamp"],
        1
    );
    let expect = [
        ("tickets", 5.0, 5),
        ("response_rate", 0.6, 5),
        ("first_response_hours_mean", 3.0, 3),
        ("first_response_hours_p50", 3.0, 3),
        ("first_response_hours_p90", 4.6, 3),
        ("resolution_rate", 0.4, 5),
        ("resolution_hours_mean", 17.0, 2),
        ("resolution_hours_p50", 17.0, 2),
        ("resolution_hours_p90", 22.6, 2),
        ("fcr_rate", 0.5, 2),
        ("reopen_rate", 0.5, 2),
        ("sla_response_rate", 0.5, 4),
        ("unresolved", 3.0, 5),
    ];
    assert_metrics(&r, &expect);
    // W46 holds only T6, answered in 2 h: the mean moved by +1 h.
    let frt = metric(&r, "first_response_hours_mean");
    assert_eq!(frt["previous"], 2.0);
    assert_eq!(frt["delta"], 1.0);
    // Resolution in W46: nothing resolved → no data, never 0.
    assert!(metric(&r, "resolution_hours_mean")["previous"].is_null());
    let rejects = std::fs::read_to_string(dir.path().join("rejects/tickets.rejects.csv")).unwrap();
    assert_eq!(rejects.lines().count(), 3);
    assert!(rejects.contains(",T7,not-a-date"));
}

#[test]
fn report_by_channel_and_priority_aliases() {
    let dir = tempfile::tempdir().unwrap();
    let (_, r) = run_json(
        &[
            "report",
            "--tickets",
            &fixture(),
            "--period",
            "2026-W47",
            "--as-of",
            "2026-11-23T00:00:00Z",
            "--format",
            "json",
            "--by",
            "channel",
        ],
        dir.path(),
    );
    // chat: T1, T4, T5; email: T2 ("Email" lower-cased), T3.
    let rows = r["metrics"].as_array().unwrap();
    let tickets = |ch: &str| {
        rows.iter()
            .find(|m| m["id"] == "tickets" && m["group"]["channel"] == ch)
            .unwrap()["value"]
            .clone()
    };
    assert_eq!(tickets("chat"), 3.0);
    assert_eq!(tickets("email"), 2.0);
}

fn targets(dir: &std::path::Path, body: &str) -> String {
    let path = dir.join("t.toml");
    std::fs::write(&path, body).unwrap();
    path.display().to_string()
}

#[test]
fn check_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let base = [
        "check",
        "--tickets",
        &fixture(),
        "--period",
        "2026-W47",
        "--as-of",
        "2026-11-23T00:00:00Z",
    ];
    // mean 3 h: past warn 2, within max 6 → warn, exit 0; with --fail-on warn exit 1.
    let warn = targets(
        dir.path(),
        "[[target]]\nmetric = \"first_response_hours_mean\"\nmax = 6\nwarn = 2\n",
    );
    let out = svcq()
        .current_dir(dir.path())
        .args(base)
        .args(["--targets", &warn])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("WARN"));
    let out = svcq()
        .current_dir(dir.path())
        .args(base)
        .args(["--targets", &warn, "--fail-on", "warn"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    // All pass: response 60 % ≥ 50 %, reopen 50 % ≤ 50 % → exit 0, and GitHub output has no annotation.
    let pass = targets(dir.path(), "[[target]]\nmetric = \"response_rate\"\nmin = 0.5\n[[target]]\nmetric = \"reopen_rate\"\nmax = 0.5\n");
    let out = svcq()
        .current_dir(dir.path())
        .args(base)
        .args(["--targets", &pass, "--format", "github"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        !text.contains("::error") && text.contains("2 targets: 2 pass, 0 warn, 0 fail, 0 no data"),
        "{text}"
    );
    // resolution 40 % < 85 % → fail, exit 1, an ::error annotation.
    let fail = targets(
        dir.path(),
        "[[target]]\nmetric = \"resolution_rate\"\nmin = 0.85\n",
    );
    let out = svcq()
        .current_dir(dir.path())
        .args(base)
        .args(["--targets", &fail, "--format", "github"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout)
        .starts_with("::error title=svcq fail%3A resolution_rate::resolution_rate: 40.0 %"));
    let fail = targets(
        dir.path(),
        "[[target]]\nmetric = \"resolution_rate\"\nmin = 0.85\n",
    );
    assert_eq!(
        svcq()
            .current_dir(dir.path())
            .args(base)
            .args(["--targets", &fail])
            .output()
            .unwrap()
            .status
            .code(),
        Some(1)
    );
    // Segment target: urgent tickets (T1 only) first response p90 = 1 h > 0.5 h → fail.
    let seg = targets(dir.path(), "[[target]]\nmetric = \"first_response_hours_p90\"\nmax = 0.5\nwhere = { priority = \"urgent\" }\n");
    let out = svcq()
        .current_dir(dir.path())
        .args(base)
        .args(["--targets", &seg])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("[priority=urgent]: 1.00 h"));
    // No data: nothing resolved in W45 → exit 1, or 0 with --allow-no-data.
    let nodata = [
        "check",
        "--tickets",
        &fixture(),
        "--period",
        "2026-W45",
        "--as-of",
        "2026-11-23T00:00:00Z",
        "--targets",
        &fail,
    ];
    assert_eq!(
        svcq()
            .current_dir(dir.path())
            .args(nodata)
            .output()
            .unwrap()
            .status
            .code(),
        Some(1)
    );
    assert_eq!(
        svcq()
            .current_dir(dir.path())
            .args(nodata)
            .arg("--allow-no-data")
            .output()
            .unwrap()
            .status
            .code(),
        Some(0)
    );
    // Unknown metric, malformed file, missing input → exit 2.
    let unknown = targets(dir.path(), "[[target]]\nmetric = \"frt\"\nmax = 1\n");
    let out = svcq()
        .current_dir(dir.path())
        .args(base)
        .args(["--targets", &unknown])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("valid metrics"));
    let broken = targets(dir.path(), "[[target]\nmetric = ");
    assert_eq!(
        svcq()
            .current_dir(dir.path())
            .args(base)
            .args(["--targets", &broken])
            .output()
            .unwrap()
            .status
            .code(),
        Some(2)
    );
    let out = svcq()
        .current_dir(dir.path())
        .args(["check", "--tickets", "nope.csv", "--targets", &fail])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn check_junit_is_valid_xml() {
    let dir = tempfile::tempdir().unwrap();
    let t = targets(dir.path(), "[[target]]\nmetric = \"resolution_rate\"\nmin = 0.85\n[[target]]\nmetric = \"response_rate\"\nmin = 0.5\n");
    let out = svcq()
        .current_dir(dir.path())
        .args([
            "check",
            "--tickets",
            &fixture(),
            "--period",
            "2026-W47",
            "--as-of",
            "2026-11-23T00:00:00Z",
            "--targets",
            &t,
            "--format",
            "junit",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    let doc = roxmltree::Document::parse(&text).unwrap();
    assert_eq!(
        doc.descendants()
            .filter(|n| n.has_tag_name("testcase"))
            .count(),
        2
    );
    assert_eq!(
        doc.descendants()
            .filter(|n| n.has_tag_name("failure"))
            .count(),
        1
    );
}

#[test]
fn missing_column_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("t.csv"),
        "\u{feff}ticket_id,created_at,channel\r\nT1,2026-11-16,chat\r\n",
    )
    .unwrap();
    let out = svcq()
        .current_dir(dir.path())
        .args(["validate", "--tickets", "t.csv"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("missing required column `priority`")
            && err.contains("found columns: ticket_id, created_at, channel"),
        "{err}"
    );
}

#[test]
fn ingest_upserts_and_is_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    std::fs::write(p.join("a.csv"), "ticket_id,created_at,channel,priority,resolved_at\nT1,2026-11-16,chat,low,\nT2,2026-11-16,chat,low,\n").unwrap();
    std::fs::write(p.join("b.csv"), "ticket_id,created_at,channel,priority,resolved_at\nT2,2026-11-16,chat,low,2026-11-17\nT3,2026-11-17,chat,low,\n").unwrap();
    let ingest = |f: &str| {
        String::from_utf8(
            svcq()
                .current_dir(p)
                .args(["ingest", "--tickets", f])
                .output()
                .unwrap()
                .stdout,
        )
        .unwrap()
    };
    // The live version's file, as CURRENT names it.
    let live = || {
        let version = std::fs::read_to_string(p.join(".svcq/CURRENT")).unwrap();
        let month = p
            .join(".svcq")
            .join(version.trim())
            .join("tickets/month=2026-11");
        std::fs::read(month.join("part.parquet")).unwrap()
    };
    assert!(ingest("a.csv").contains("2 rows (2 new, 0 updated)"));
    let first = live();
    assert!(ingest("a.csv").contains("2 rows (0 new, 2 updated)"));
    assert_eq!(live(), first);
    // Only the live version is kept.
    let versions = std::fs::read_dir(p.join(".svcq"))
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with('v')
        })
        .count();
    assert_eq!(versions, 1);
    assert!(ingest("b.csv").contains("3 rows (1 new, 1 updated)"));
    // T2 is now resolved: 1 of 3 tickets in W47.
    let (_, r) = run_json(
        &[
            "report",
            "--store",
            ".svcq",
            "--period",
            "2026-W47",
            "--as-of",
            "2026-11-23",
            "--format",
            "json",
        ],
        p,
    );
    assert_eq!(metric(&r, "tickets")["value"], 3.0);
    assert!((metric(&r, "resolution_rate")["value"].as_f64().unwrap() - 1.0 / 3.0).abs() < 1e-12);
}

#[test]
fn sample_is_byte_identical_for_a_seed() {
    let dir = tempfile::tempdir().unwrap();
    for d in ["a", "b"] {
        svcq()
            .current_dir(dir.path())
            .args(["sample", "--out", d, "--tickets", "200", "--seed", "7"])
            .assert()
            .success();
    }
    for f in ["tickets.csv", "shipments.csv", "reviews.csv"] {
        assert_eq!(
            std::fs::read(dir.path().join("a").join(f)).unwrap(),
            std::fs::read(dir.path().join("b").join(f)).unwrap()
        );
    }
}

// Shipments in W47: O1..O4 (O5 is rejected: a refund without a return request).
//   delivered O1 24 h (on time), O2 72 h (late), O4 48 h (on time, deadline equal)
//   → on time 2/3; mean 48; p90 = 48 + 0.8 × 24 = 67.2; returns O1, O4 → 2/3
//   refunds O1 24 h, O4 48 h → p50 36, p90 = 24 + 0.9 × 24 = 45.6; lost O3 + damaged O4 → 2/4
// Reviews: R1..R4 (R5 rating 6 rejected; R2's text has a quoted newline).
//   ratings 5,1,2,4 → mean 3, csat 2/4, negative 2/4; nps answers 10,3,8 → (1 − 1)/3 × 100 = 0
//   negatives R2 (no ticket on O9), R3 (names T1, which exists) → follow-up 1/2
#[test]
fn report_computes_shipment_and_review_metrics_by_hand() {
    let dir = tempfile::tempdir().unwrap();
    let data = format!("{}/tests/fixtures/week", env!("CARGO_MANIFEST_DIR"));
    let (code, r) = run_json(
        &[
            "report",
            "--data",
            &data,
            "--period",
            "2026-W47",
            "--as-of",
            "2026-11-23T00:00:00Z",
            "--format",
            "json",
        ],
        dir.path(),
    );
    assert_eq!(code, 0);
    assert_eq!(
        r["inputs"]["shipments"]["reasons"]["refunded_at without return_requested_at"],
        1
    );
    assert_eq!(
        r["inputs"]["reviews"]["reasons"]["rating not an integer"],
        1
    );
    assert_eq!(r["inputs"]["reviews"]["accepted"], 4);
    let expect = [
        ("shipments", 4.0, 4),
        ("delivered", 3.0, 4),
        ("on_time_rate", 2.0 / 3.0, 3),
        ("delivery_hours_mean", 48.0, 3),
        ("delivery_hours_p50", 48.0, 3),
        ("delivery_hours_p90", 67.2, 3),
        ("return_rate", 2.0 / 3.0, 3),
        ("refund_hours_p50", 36.0, 2),
        ("refund_hours_p90", 45.6, 2),
        ("exception_rate", 0.5, 4),
        ("reviews", 4.0, 4),
        ("rating_avg", 3.0, 4),
        ("csat_rate", 0.5, 4),
        ("negative_rate", 0.5, 4),
        ("nps", 0.0, 3),
        ("followup_rate", 0.5, 2),
    ];
    assert_metrics(&r, &expect);
}

// In Asia/Shanghai, W47 is [2026-11-15T16:00Z, 2026-11-22T16:00Z): T1, T2 (naive 11-17 00:00
// = 11-16T16:00Z), T3 (explicit offset) and T4 (naive 11-22 = 11-21T16:00Z) are in; T5
// (11-22T20:00Z) falls into W48. Weekly buckets of --last 2w put T6 alone in W46.
#[test]
fn time_zone_moves_week_boundaries() {
    let dir = tempfile::tempdir().unwrap();
    let args = [
        "report",
        "--tickets",
        &fixture(),
        "--period",
        "2026-W47",
        "--tz",
        "Asia/Shanghai",
        "--format",
        "json",
    ];
    let (_, r) = run_json(&args, dir.path());
    assert_eq!(metric(&r, "tickets")["value"], 4.0);
    assert_eq!(r["period"]["from"], "2026-11-15T16:00:00Z");
    let args = [
        "report",
        "--tickets",
        &fixture(),
        "--last",
        "2w",
        "--as-of",
        "2026-11-23",
        "--by",
        "week",
        "--format",
        "json",
    ];
    let (_, r) = run_json(&args, dir.path());
    let weekly: Vec<(String, f64)> = r["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["id"] == "tickets")
        .map(|m| {
            (
                m["group"]["week"].as_str().unwrap().to_string(),
                m["value"].as_f64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        weekly,
        [("2026-W46".to_string(), 1.0), ("2026-W47".to_string(), 5.0)]
    );
}

// `--out` to a device or pipe (`/dev/null`, `/dev/stdout`, a FIFO) must write into
// it, not rename a file over it: that once turned /dev/null into a regular file.
#[cfg(unix)]
#[test]
fn out_to_a_pipe_writes_in_place() {
    use std::os::unix::fs::FileTypeExt;
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("report.pipe");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read_to_string(fifo).unwrap())
    };
    let out = svcq()
        .current_dir(dir.path())
        .args(["report", "--tickets", &fixture(), "--format", "json"])
        .args(["--as-of", "2026-11-23T00:00:00Z", "--out"])
        .arg(&fifo)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Checked before joining: had svcq renamed a file over the pipe, the reader
    // would wait forever for a writer.
    let kind = std::fs::metadata(&fifo).unwrap().file_type();
    assert!(kind.is_fifo(), "the pipe was replaced: {kind:?}");
    let text = reader.join().unwrap();
    assert!(text.contains("\"first_response_hours_mean\""), "{text}");
}
