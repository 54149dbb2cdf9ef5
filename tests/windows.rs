//! Recent periods judged fairly: window rates, pending counts, Kaplan–Meier
//! quantiles and `--as-of` censoring, on fixtures worked out by hand below.

use assert_cmd::Command;
use common::{assert_row, fixture, row, run_json};
use serde_json::Value;

mod common;

fn report(dir: &std::path::Path, args: &[&str]) -> Value {
    let mut all = vec![
        "report",
        "--format",
        "json",
        "--as-of",
        "2026-11-23T00:00:00Z",
    ];
    all.extend(args);
    run_json(dir, &all)
}

// tests/fixtures/maturing/tickets.csv, 2026-W47, as of 2026-11-23T00:00Z, default
// resolution window 72 h. Ages at the as-of time and outcomes:
//   A 168 h, resolved after 24 h      → judged, within
//   B 156 h, resolved after 96 h      → judged, late
//   C 144 h, open                     → judged, missed
//   D  48 h, open                     → pending
//   E  12 h, resolved after 6 h       → pending (its window is still open)
//   F   4 h, open                     → pending
// resolved_within_window_rate = 1/3, n 3, pending 3. resolution_rate = 3/6 with the
// two open young tickets (D, F) pending.
// Kaplan–Meier: 4+ (F), 6 (E), 24 (A), 48+ (D), 96 (B), 144+ (C). t=6: 5 at risk →
// 4/5; t=24: 4 → 3/5; t=96: 2 → 3/10 ≤ 1/2: median 96 h (the completed ones alone
// say 24 h); never ≤ 1/10 (C is still open): p90 null.
#[test]
fn window_rates_pending_and_kaplan_meier_by_hand() {
    let dir = tempfile::tempdir().unwrap();
    let r = report(
        dir.path(),
        &[
            "--tickets",
            &fixture("maturing/tickets.csv"),
            "--period",
            "2026-W47",
        ],
    );
    assert_row(&r, "resolved_within_window_rate", None, Some(1.0 / 3.0), 3);
    assert_eq!(row(&r, "resolved_within_window_rate", None)["pending"], 3);
    assert_row(&r, "resolution_rate", None, Some(0.5), 6);
    assert_eq!(row(&r, "resolution_rate", None)["pending"], 2);
    assert_row(&r, "resolution_hours_p50", None, Some(24.0), 3);
    assert_row(&r, "resolution_hours_km_p50", None, Some(96.0), 6);
    assert_row(&r, "resolution_hours_km_p90", None, None, 6);
    // Plain metrics carry no pending field at all.
    assert!(row(&r, "tickets", None).get("pending").is_none());
    let notes = r["notes"].to_string();
    assert!(
        notes.contains("resolution_rate: the period is still maturing — 2 of its 6 tickets"),
        "{notes}"
    );
}

// The same tickets with a 24 h window for normal priority: judged are those older
// than 24 h (A, B, C, D); within: A only (exactly 24 h counts) → 1/4; E and F are
// pending; for resolution_rate only F (open, 4 h old) is, as D is past 24 h.
#[test]
fn resolution_window_per_priority_from_the_targets_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("t.toml"),
        "[windows.resolution_hours]\nnormal = 24\n",
    )
    .unwrap();
    let r = report(
        dir.path(),
        &[
            "--tickets",
            &fixture("maturing/tickets.csv"),
            "--period",
            "2026-W47",
            "--targets",
            "t.toml",
        ],
    );
    assert_row(&r, "resolved_within_window_rate", None, Some(0.25), 4);
    assert_eq!(row(&r, "resolved_within_window_rate", None)["pending"], 2);
    assert_eq!(row(&r, "resolution_rate", None)["pending"], 1);
}

// tests/fixtures/maturing/shipments.csv, 2026-W46, as of 2026-11-23T00:00Z, return
// window 7 days (168 h). Delivered orders, age at the as-of time, return:
//   1 13 d, returned after 2 d   → judged, within
//   2 12 d, kept                 → judged
//   3 11 d, returned after 8 d   → judged, outside the window
//   4  7 d exactly, kept         → pending (the window has not passed)
//   5  6 d, returned after 1 d   → pending (counted once its window closes)
//   6 not delivered              → not in the rate
// return_within_window_rate = 1/3, n 3, pending 2; return_rate = 3/5 (1, 3, 5) with
// order 4 pending (kept so far, window open).
#[test]
fn return_window_judges_only_closed_windows() {
    let dir = tempfile::tempdir().unwrap();
    let r = report(
        dir.path(),
        &[
            "--shipments",
            &fixture("maturing/shipments.csv"),
            "--period",
            "2026-W46",
        ],
    );
    assert_row(&r, "return_within_window_rate", None, Some(1.0 / 3.0), 3);
    assert_eq!(row(&r, "return_within_window_rate", None)["pending"], 2);
    assert_row(&r, "return_rate", None, Some(0.6), 5);
    assert_eq!(row(&r, "return_rate", None)["pending"], 1);
}

// A week whose every delivery is still inside its return window: no value yet, and
// the gate says so without failing (no --allow-no-data needed).
#[test]
fn a_maturing_target_does_not_fail_the_gate() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("t.toml"),
        "[[target]]\nmetric = \"return_within_window_rate\"\nmax = 0.15\n",
    )
    .unwrap();
    let shipments = fixture("maturing/shipments.csv");
    let args = [
        "check",
        "--shipments",
        &shipments,
        "--period",
        "2026-W47",
        "--as-of",
        "2026-11-23T00:00:00Z",
        "--targets",
        "t.toml",
    ];
    let out = Command::cargo_bin("svcq")
        .unwrap()
        .current_dir(dir.path())
        .args(args)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(
        text.contains("return_within_window_rate: no data yet: 1 pending"),
        "{text}"
    );
    // A target with no data for another reason still breaks the gate.
    std::fs::write(
        dir.path().join("t.toml"),
        "[[target]]\nmetric = \"refund_hours_p90\"\nmax = 72\n",
    )
    .unwrap();
    let out = Command::cargo_bin("svcq")
        .unwrap()
        .current_dir(dir.path())
        .args(args)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
}

// tests/fixtures/followups, 2026-W47, as of 2026-11-23T00:00Z, window 48 h. Negative
// reviews and their first follow-up:
//   R1 ticket T1 on order O1 10 h later                 → judged, within
//   R2 names T9, created before the review: at once (0 h) → judged, within
//   R3 T3 on O3 72 h later (T0 on O3 is older: no)      → judged, late
//   R4 nothing                                           → judged, missed
//   R5 T5 on O5 12 h later, but the review is 36 h old   → pending
// followup_within_window_rate = 2/4, pending 1; followup_rate = 4/5.
#[test]
fn followup_window_by_hand() {
    let dir = tempfile::tempdir().unwrap();
    let r = report(
        dir.path(),
        &["--data", &fixture("followups"), "--period", "2026-W47"],
    );
    assert_row(&r, "followup_within_window_rate", None, Some(0.5), 4);
    assert_eq!(row(&r, "followup_within_window_rate", None)["pending"], 1);
    assert_row(&r, "followup_rate", None, Some(0.8), 5);
}

// --as-of censors: as of 2026-11-18T00:00Z the week fixture had T1, T2 and T3 (T3
// created at exactly that instant: it has happened); T4 and T5 did not exist. T2's
// resolution at exactly the as-of time has happened; T3's first response
// (05:00Z that day) has not. tickets 3; answered T1, T2 → 2/3; resolved 2/3.
#[test]
fn as_of_censors_later_events_and_records() {
    let dir = tempfile::tempdir().unwrap();
    let r = run_json(
        dir.path(),
        &[
            "report",
            "--tickets",
            &fixture("week/tickets.csv"),
            "--period",
            "2026-W47",
            "--as-of",
            "2026-11-18T00:00:00Z",
            "--format",
            "json",
        ],
    );
    assert_row(&r, "tickets", None, Some(3.0), 3);
    assert_row(&r, "response_rate", None, Some(2.0 / 3.0), 3);
    assert_row(&r, "resolution_rate", None, Some(2.0 / 3.0), 3);
}

// Every renderer shows pending where it is non-zero.
#[test]
fn renderers_show_pending() {
    let dir = tempfile::tempdir().unwrap();
    let tickets = fixture("maturing/tickets.csv");
    let base = [
        "report",
        "--tickets",
        &tickets,
        "--period",
        "2026-W47",
        "--as-of",
        "2026-11-23T00:00:00Z",
    ];
    let render = |format: &str| {
        let mut args = base.to_vec();
        args.extend(["--format", format]);
        String::from_utf8(common::run_ok(dir.path(), &args)).unwrap()
    };
    let table = render("table");
    assert!(table.contains("pending"), "{table}");
    let markdown = render("markdown");
    assert!(markdown.contains("| 3 (+3 pending) |"), "{markdown}");
    let csv = render("csv");
    assert!(csv.lines().next().unwrap().ends_with(",pending"), "{csv}");
    assert!(
        csv.lines()
            .any(|l| l.contains(",resolved_within_window_rate,") && l.ends_with(",3")),
        "{csv}"
    );
    let html = tempfile::tempdir().unwrap();
    let mut args = base.to_vec();
    let out = html.path().join("r");
    let out = out.to_str().unwrap();
    args.extend(["--html", out]);
    common::run_ok(dir.path(), &args);
    let page = std::fs::read_to_string(html.path().join("r/index.html")).unwrap();
    assert!(page.contains("3 (+3 pending)"), "{page}");
}
