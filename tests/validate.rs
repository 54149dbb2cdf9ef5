//! `svcq validate` on fixtures with one bad row per reject rule. Every expected
//! count below was worked out by hand from the rows written in each test.

use std::path::Path;

use assert_cmd::Command;
use serde_json::Value;

fn write(dir: &Path, name: &str, body: &str) {
    std::fs::write(dir.join(name), body).unwrap();
}

fn validate(dir: &Path, extra: &[&str]) -> (i32, Value, String) {
    let out = Command::cargo_bin("svcq")
        .unwrap()
        .current_dir(dir)
        .args(["validate", "--data", ".", "--format", "json"])
        .args(extra)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    let json = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (out.status.code().unwrap(), json, stderr)
}

/// Asserts read/accepted/rejected and that the reasons are exactly `reasons`.
fn assert_source(inputs: &Value, source: &str, read: u64, reasons: &[(&str, u64)]) {
    let s = &inputs[source];
    let rejected: u64 = reasons.iter().map(|(_, n)| n).sum();
    assert_eq!(s["read"], read, "{source} read");
    assert_eq!(s["rejected"], rejected, "{source} rejected");
    assert_eq!(s["accepted"], read - rejected, "{source} accepted");
    let got = s["reasons"].as_object().unwrap();
    for (reason, n) in reasons {
        assert_eq!(
            got.get(*reason),
            Some(&Value::from(*n)),
            "{source}: {reason}"
        );
    }
    assert_eq!(got.len(), reasons.len(), "{source} reasons: {got:?}");
}

// Rows 2..: G1, G2 are good; every other row breaks exactly one rule; the second G1
// is a duplicate (first wins). 14 rows read, 2 accepted, 12 rejected.
const TICKETS: &str = "\
ticket_id,created_at,first_response_at,resolved_at,channel,priority,reopens,agent_replies
G1,2026-11-16T00:00:00Z,2026-11-16T01:00:00Z,,chat,urgent,0,1
G2,2026-11-16,,,email,p4,,
,2026-11-16,,,chat,low,,
E1,,,,chat,low,,
E2,16.11.2026,,,chat,low,,
E3,2026-11-16,tomorrow,,chat,low,,
E4,2026-11-16,,2026-13-01,chat,low,,
E5,2026-11-16T10:00:00Z,2026-11-16T09:59:00Z,,chat,low,,
E6,2026-11-16T10:00:00Z,,2026-11-15T10:00:00Z,chat,low,,
E7,2026-11-16,,,chat,blue,,
E8,2026-11-16,,,chat,low,-1,
E9,2026-11-16,,,chat,low,,two
E10,2026-11-16,,,chat,,,
G1,2026-11-17,,,chat,low,,
";

// S1 good with a return and refund, S2 good in transit, C1 an order cancelled before
// shipping (no ship time, no promise: its status says why); then one broken rule
// per row and a duplicate S1. 12 rows read, 3 accepted, 9 rejected. X1 has no ship
// time and no status saying why; X2 shipped without a promised date.
const SHIPMENTS: &str = "\
order_id,carrier,shipped_at,promised_at,delivered_at,status,return_requested_at,refunded_at
S1,SF,2026-11-16,2026-11-18,2026-11-17,,2026-11-19,2026-11-20
S2,SF,2026-11-16,2026-11-18,,,,
C1,SF,,,,Canceled,,
,SF,2026-11-16,2026-11-18,,,,
X1,SF,,2026-11-18,,,,
X2,SF,2026-11-16,,,,,
X3,SF,2026-11-16,2026-11-18,soon,,,
X4,SF,2026-11-16,2026-11-18,2026-11-15,,,
X5,SF,2026-11-16,2026-11-18,2026-11-17,,,2026-11-20
X6,SF,2026-11-16,2026-11-18,2026-11-17,,2026-11-19,2026-11-18
X7,SF,2026-11-16,2026-11-18,,stolen,,
S1,SF,2026-11-20,2026-11-22,,,,
";

// V1 good (nps empty is fine), V2 good; then one broken rule per row and a duplicate
// V2. 10 rows read, 2 accepted, 8 rejected.
const REVIEWS: &str = "\
review_id,created_at,rating,nps,text
V1,2026-11-16,5,,ok
V2,2026-11-16,1,0,差评
,2026-11-16,3,,
W1,,3,,
W2,yesterday,3,,
W3,2026-11-16,0,,
W4,2026-11-16,4.5,,
W5,2026-11-16,3,11,
W6,2026-11-16,3,x,
V2,2026-11-17,2,,
";

#[test]
fn every_reject_rule_is_counted_and_reconciles() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "tickets.csv", TICKETS);
    write(dir.path(), "shipments.csv", SHIPMENTS);
    write(dir.path(), "reviews.csv", REVIEWS);
    let (code, json, stderr) = validate(dir.path(), &[]);
    assert_eq!(code, 0, "{stderr}");
    let inputs = &json["inputs"];
    assert_source(
        inputs,
        "tickets",
        14,
        &[
            ("ticket_id empty", 1),
            ("created_at empty", 1),
            ("created_at not a timestamp", 1),
            ("first_response_at not a timestamp", 1),
            ("resolved_at not a timestamp", 1),
            ("first_response_at before created_at", 1),
            ("resolved_at before created_at", 1),
            ("priority not a known priority", 1),
            ("reopens not a non-negative integer", 1),
            ("agent_replies not a non-negative integer", 1),
            ("priority empty", 1),
            ("duplicate ticket_id", 1),
        ],
    );
    assert_source(
        inputs,
        "shipments",
        12,
        &[
            ("order_id empty", 1),
            ("shipped_at empty without a status saying why", 1),
            ("shipped_at without promised_at", 1),
            ("delivered_at not a timestamp", 1),
            ("delivered_at before shipped_at", 1),
            ("refunded_at without return_requested_at", 1),
            ("refunded_at before return_requested_at", 1),
            ("status not a known status", 1),
            ("duplicate order_id", 1),
        ],
    );
    assert_source(
        inputs,
        "reviews",
        10,
        &[
            ("review_id empty", 1),
            ("created_at empty", 1),
            ("created_at not a timestamp", 1),
            ("rating not an integer", 2),
            ("nps not an integer", 2),
            ("duplicate review_id", 1),
        ],
    );
    // Each rejected row is kept with its line number and reason, in file order.
    let rejects = std::fs::read_to_string(dir.path().join("rejects/tickets.rejects.csv")).unwrap();
    let mut lines = rejects.lines();
    let header = lines.next().unwrap();
    assert!(
        header.starts_with("svcq_line,svcq_column,svcq_reason,ticket_id,"),
        "{header}"
    );
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), 12);
    assert!(rows[0].starts_with("4,ticket_id,"), "{}", rows[0]);
    assert!(rows[11].starts_with("15,ticket_id,"), "{}", rows[11]);
}

#[test]
fn header_only_files_are_zero_rows_and_absent_files_are_skipped() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "tickets.csv",
        "ticket_id,created_at,channel,priority\r\n",
    );
    let (code, json, stderr) = validate(dir.path(), &[]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(json["inputs"]["tickets"]["read"], 0);
    assert_eq!(json["inputs"]["tickets"]["accepted"], 0);
    assert!(json["inputs"]["shipments"]["skipped"].is_string(), "{json}");
}

#[test]
fn max_rejects_pct_turns_rejects_into_an_error() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "reviews.csv", REVIEWS);
    // 8 of 10 review rows rejected = 80 %.
    let (code, _, stderr) = validate(dir.path(), &["--max-rejects-pct", "79"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("reviews"), "{stderr}");
    let (code, _, stderr) = validate(dir.path(), &["--max-rejects-pct", "80"]);
    assert_eq!(code, 0, "{stderr}");
}

#[test]
fn table_output_names_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "tickets.csv", TICKETS);
    let out = Command::cargo_bin("svcq")
        .unwrap()
        .current_dir(dir.path())
        .args(["validate", "--data", "."])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    // E3 is on line 7; first_response_at is the third column. The first five
    // rejects are listed, the rest counted.
    assert!(
        text.contains("tickets.csv:7:3: first_response_at: \"tomorrow\" is not a timestamp"),
        "{text}"
    );
    assert!(text.contains("… and 7 more in rejects"), "{text}");
    // Only the rows shown are kept once read; the count of the others stands.
    let out = Command::cargo_bin("svcq")
        .unwrap()
        .current_dir(dir.path())
        .args(["validate", "--data", ".", "--show", "2"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(text.matches("tickets.csv:").count(), 2, "{text}");
    assert!(text.contains("… and 10 more in rejects"), "{text}");
    let rejects = std::fs::read_to_string(dir.path().join("rejects/tickets.rejects.csv")).unwrap();
    assert_eq!(rejects.lines().count(), 1 + 12, "{rejects}");
}

// CRLF line endings (what Excel and Windows tools write), blank lines and a quoted
// field spanning two lines. Physical lines: 1 header, 2 T1, 3 T2 (bad created_at),
// 4 blank, 5–6 T3 (the quoted field breaks the line), 7 T4 (unknown priority),
// 8–9 blank, 10 T5 (empty priority). Rejects name lines 3, 7 and 10.
#[test]
fn reject_lines_are_physical_lines_on_crlf_and_after_blank_lines() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "tickets.csv",
        "ticket_id,created_at,channel,priority\r\n\
         T1,2026-11-16T00:00:00Z,chat,normal\r\n\
         T2,bad,chat,normal\r\n\
         \r\n\
         T3,2026-11-16T00:00:00Z,\"multi\r\nline\",normal\r\n\
         T4,2026-11-16T00:00:00Z,chat,nope\r\n\
         \r\n\
         \r\n\
         T5,2026-11-16T00:00:00Z,chat,\r\n",
    );
    let (code, json, stderr) = validate(dir.path(), &[]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(json["inputs"]["tickets"]["read"], 5);
    assert_eq!(json["inputs"]["tickets"]["rejected"], 3);
    let rejects = std::fs::read_to_string(dir.path().join("rejects/tickets.rejects.csv")).unwrap();
    let lines: Vec<&str> = rejects
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap())
        .collect();
    assert_eq!(lines, ["3", "7", "10"], "{rejects}");
}

// Counts are held in 32 bits: the largest, 4294967295, is accepted; one more is a
// reject that says so, never a value cut short.
#[test]
fn a_count_too_large_to_hold_is_a_reject() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "tickets.csv",
        "ticket_id,created_at,channel,priority,reopens,agent_replies\n\
         T1,2026-11-16T00:00:00Z,chat,normal,4294967295,0\n\
         T2,2026-11-16T00:00:00Z,chat,normal,0,4294967296\n",
    );
    let (code, json, stderr) = validate(dir.path(), &[]);
    assert_eq!(code, 0, "{stderr}");
    assert_source(
        &json["inputs"],
        "tickets",
        2,
        &[("agent_replies count too large", 1)],
    );
}

/// What a read keeps of its rejected rows: every one where a rejects file is
/// written, the first `shown_rejects` once read, none where they are only
/// counted. The counts and reasons are the same either way.
#[test]
fn rejected_rows_are_kept_only_where_written_or_shown() {
    use svcq::source::load::{load_csv, CsvInputs, Keep};
    use svcq::source::Source;
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "tickets.csv", TICKETS);
    let targets = svcq::engine::targets::Targets::parse("", "test").unwrap();
    let read = |rejects: Option<std::path::PathBuf>, shown_rejects: usize| {
        let inputs = CsvInputs {
            data: Some(dir.path().to_path_buf()),
            rejects,
            shown_rejects,
            ..CsvInputs::default()
        };
        let dataset = load_csv(
            &inputs,
            chrono_tz::Tz::UTC,
            &Keep::Nothing,
            &targets.mappings,
            &mut |_, _| Ok(()),
        )
        .unwrap();
        let loaded = &dataset.sources[&Source::Tickets];
        let lines: Vec<u64> = loaded.rejects.iter().map(|r| r.line).collect();
        (loaded.stats.rejected, loaded.stats.reasons.clone(), lines)
    };
    let (written, reasons, _) = read(Some(dir.path().join("rejects")), 0);
    assert_eq!(written, 12);
    assert_eq!(reasons.values().sum::<u64>(), 12);
    let (shown, shown_reasons, lines) = read(Some(dir.path().join("rejects")), 2);
    // E1 (line 5) is the first reject after the two good rows and the empty id (line 4).
    assert_eq!((shown, &shown_reasons, lines), (12, &reasons, vec![4, 5]));
    let (counted, counted_reasons, lines) = read(None, 0);
    assert_eq!((counted, &counted_reasons, lines), (12, &reasons, vec![]));
}
