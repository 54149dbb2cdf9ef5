//! The metrics added through the catalogue alone (backlog, backlog age, review
//! reply time), on fixtures whose expected values are worked out by hand below.

use std::path::Path;

use common::{assert_row, fixture, row, run_json};
use serde_json::Value;

mod common;

fn tickets_report(dir: &Path, extra: &[&str]) -> Value {
    let tickets = fixture("week/tickets.csv");
    let mut args = vec!["report", "--tickets", &tickets, "--format", "json"];
    args.extend(extra);
    run_json(dir, &args)
}

// tests/fixtures/week/tickets.csv, period 2026-W47, as of 2026-11-23T00:00Z: the
// snapshot is the period's end, 2026-11-23T00:00Z. Open then: T3 (created
// 11-18T00:00Z, 120 h), T4 (11-22, 24 h), T5 (11-22T20:00, 4 h) and T6 (11-10, 312 h,
// created in W46 but still open); T1 and T2 were resolved. Backlog 4; ages sorted
// 4, 24, 120, 312: p50 at rank 1.5 = 24 + 0.5 × 96 = 72, p90 at rank 2.7 =
// 120 + 0.7 × 192 = 254.4. The week before ends 11-16T00:00Z: only T6 is open (144 h);
// T1 was created at that instant, not before it.
#[test]
fn backlog_is_the_stock_open_at_the_end_of_the_period() {
    let dir = tempfile::tempdir().unwrap();
    let r = tickets_report(
        dir.path(),
        &[
            "--period",
            "2026-W47",
            "--as-of",
            "2026-11-23T00:00:00Z",
            "--compare",
        ],
    );
    assert_row(&r, "backlog", None, Some(4.0), 4);
    assert_row(&r, "backlog_age_hours_p50", None, Some(72.0), 4);
    assert_row(&r, "backlog_age_hours_p90", None, Some(254.4), 4);
    assert_eq!(row(&r, "backlog", None)["previous"], 1.0);
    assert_eq!(row(&r, "backlog_age_hours_p50", None)["previous"], 144.0);
    assert_eq!(row(&r, "backlog_age_hours_p90", None)["previous"], 144.0);
}

// By channel: chat holds T4 (24 h), T5 (4 h) and T6 (312 h): p90 at rank 1.8 =
// 24 + 0.8 × 288 = 254.4; email holds T3 (120 h).
#[test]
fn backlog_splits_by_channel() {
    let dir = tempfile::tempdir().unwrap();
    let r = tickets_report(
        dir.path(),
        &[
            "--period",
            "2026-W47",
            "--as-of",
            "2026-11-23T00:00:00Z",
            "--by",
            "channel",
        ],
    );
    assert_row(&r, "backlog", Some(("channel", "chat")), Some(3.0), 3);
    assert_row(
        &r,
        "backlog_age_hours_p50",
        Some(("channel", "chat")),
        Some(24.0),
        3,
    );
    assert_row(
        &r,
        "backlog_age_hours_p90",
        Some(("channel", "chat")),
        Some(254.4),
        3,
    );
    assert_row(&r, "backlog", Some(("channel", "email")), Some(1.0), 1);
    assert_row(
        &r,
        "backlog_age_hours_p90",
        Some(("channel", "email")),
        Some(120.0),
        1,
    );
}

// An as-of inside the period caps the snapshot: as of 2026-11-18T00:00Z, T2 was
// resolved at exactly that instant (not open) and T3 was created at it (not yet
// created before it); T4 and T5 do not exist yet. Only T6 is open: 8 days = 192 h.
#[test]
fn backlog_snapshot_is_capped_at_the_as_of_time_and_boundaries_are_exact() {
    let dir = tempfile::tempdir().unwrap();
    let r = tickets_report(
        dir.path(),
        &["--period", "2026-W47", "--as-of", "2026-11-18T00:00:00Z"],
    );
    assert_row(&r, "backlog", None, Some(1.0), 1);
    assert_row(&r, "backlog_age_hours_p50", None, Some(192.0), 1);
}

// tests/fixtures/replies/reviews.csv (CRLF, unpadded ids out of order). W47 holds
// reviews 17 (replied after 2 h), 3 (24 h), 105 (no reply) and 9 (0.5 h); 42 replied
// before it was written and is rejected; 8 is in W46 (5 h). Replies sorted 0.5, 2,
// 24: p50 = 2, p90 at rank 1.8 = 2 + 0.8 × 22 = 19.6, n = 3 of 4 reviews.
#[test]
fn review_reply_time_from_replied_at() {
    let dir = tempfile::tempdir().unwrap();
    let reviews = fixture("replies/reviews.csv");
    let r = run_json(
        dir.path(),
        &[
            "report",
            "--reviews",
            &reviews,
            "--period",
            "2026-W47",
            "--format",
            "json",
            "--compare",
            "--rejects",
            "rejects",
        ],
    );
    assert_eq!(r["inputs"]["reviews"]["read"], 6);
    assert_eq!(r["inputs"]["reviews"]["rejected"], 1);
    assert_eq!(
        r["inputs"]["reviews"]["reasons"]["replied_at before created_at"],
        1
    );
    assert_row(&r, "reviews", None, Some(4.0), 4);
    assert_row(&r, "review_reply_hours_p50", None, Some(2.0), 3);
    assert_row(&r, "review_reply_hours_p90", None, Some(19.6), 3);
    assert_eq!(row(&r, "review_reply_hours_p90", None)["previous"], 5.0);
    let rejects = std::fs::read_to_string(dir.path().join("rejects/reviews.rejects.csv")).unwrap();
    assert!(
        rejects.contains(",42,2026-11-19T00:00:00Z,3,2026-11-18T00:00:00Z"),
        "{rejects}"
    );
}

// An export without the column says nothing about replies: no data, never 0.
#[test]
fn review_reply_time_without_the_column_is_no_data() {
    let dir = tempfile::tempdir().unwrap();
    let r = run_json(
        dir.path(),
        &[
            "report",
            "--reviews",
            &fixture("week/reviews.csv"),
            "--period",
            "2026-W47",
            "--as-of",
            "2026-11-23T00:00:00Z",
            "--format",
            "json",
        ],
    );
    assert_row(&r, "review_reply_hours_p50", None, None, 0);
    assert_eq!(row(&r, "review_reply_hours_p50", None)["status"], "no_data");
}
