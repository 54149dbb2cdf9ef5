//! A tickets export large enough to be read in byte ranges on every core (a part
//! is at least 4 MiB): the outcome must be the one a reading from start to end
//! gives. Each export is read twice — as it is (split), and stated as GB18030,
//! whose transcoded stream is read in one piece (the rows are ASCII, so the bytes
//! decode the same) — and the inputs, the rejects files and the report must
//! match; the counts and lines of the rejects are also worked out from the rows
//! written.

mod common;

use std::path::Path;

use common::run_ok;
use serde_json::Value;

const ROWS: usize = 130_000;

/// What a test export holds besides its rows: the rows rejected and their lines.
struct Export {
    text: String,
    /// (physical line, ticket id, reason) of each rejected row, in line order.
    rejected: Vec<(u64, String, &'static str)>,
}

/// Unpadded ids; every seventh subject quoted over two lines with a doubled
/// quote; ids repeated across the file (their later rows are duplicates), one
/// impossible time, and optionally a stray quote in an unquoted field early on.
fn export(newline: &str, stray_quote: bool) -> Export {
    let mut text = format!(
        "ticket_id,created_at,first_response_at,resolved_at,channel,priority,agent_replies,subject{newline}"
    );
    let at = |share: f64| (ROWS as f64 * share) as usize;
    // row index → the earlier row whose id it repeats
    let repeats = [
        (at(0.75), at(0.25)),
        (at(0.9), at(0.6)),
        (at(0.95), at(0.6)),
        (at(0.85), at(0.84)),
    ];
    let invalid = at(0.8);
    let mut line = 2u64;
    let mut rejected = Vec::new();
    for row in 0..ROWS {
        let id_of = |r: usize| format!("T{}", r * 3 + 7);
        let id = repeats
            .iter()
            .find(|(later, _)| *later == row)
            .map_or_else(|| id_of(row), |(_, first)| id_of(*first));
        let created = if row == invalid {
            "2026-13-45T10:00:00Z".to_string()
        } else {
            format!(
                "2026-11-{:02}T{:02}:{:02}:00Z",
                row % 28 + 1,
                row % 24,
                row % 60
            )
        };
        let subject = if row % 7 == 0 {
            format!("\"Box \"\"damaged\"\"{newline}second line {row}\"")
        } else if stray_quote && row == 1_000 {
            "a 5\" screen".to_string()
        } else {
            format!("where is order {row}")
        };
        text.push_str(&format!(
            "{id},{created},,,chat,normal,{},{subject}{newline}",
            row % 5
        ));
        if row == invalid {
            rejected.push((line, id.clone(), "created_at not a timestamp"));
        } else if repeats.iter().any(|(later, _)| *later == row) {
            rejected.push((line, id.clone(), "duplicate ticket_id"));
        }
        line += if row % 7 == 0 { 2 } else { 1 };
    }
    assert!(
        text.len() > 8 << 20,
        "two parts at least: {} bytes",
        text.len()
    );
    Export { text, rejected }
}

/// `svcq validate` then `svcq report` on `dir`: the inputs, the rejects file and
/// the report's metrics.
fn read(dir: &Path, config: &str) -> (Value, Vec<Vec<String>>, Value) {
    let validated: Value = serde_json::from_slice(&run_ok(
        dir,
        &[
            "validate", "--data", ".", "--config", config, "--format", "json",
        ],
    ))
    .unwrap();
    let mut rejects = csv::Reader::from_path(dir.join("rejects/tickets.rejects.csv")).unwrap();
    let rows = rejects
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect();
    let report: Value = serde_json::from_slice(&run_ok(
        dir,
        &[
            "report",
            "--data",
            ".",
            "--config",
            config,
            "--from",
            "2026-11-01",
            "--to",
            "2026-12-01",
            "--as-of",
            "2026-12-01",
            "--format",
            "json",
        ],
    ))
    .unwrap();
    let mut tickets = validated["inputs"]["tickets"].clone();
    tickets.as_object_mut().unwrap().remove("encoding");
    (tickets, rows, report["metrics"].clone())
}

/// What `svcq -v validate` says of how the export was read.
fn how_read(dir: &Path, config: &str) -> String {
    let out = assert_cmd::Command::cargo_bin("svcq")
        .unwrap()
        .current_dir(dir)
        .args(["-v", "validate", "--data", ".", "--config", config])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    stderr
        .lines()
        .filter(|l| l.contains("parts"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn check(export: Export, falls_back: bool) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("tickets.csv"), &export.text).unwrap();
    std::fs::write(dir.path().join("split.toml"), "").unwrap();
    std::fs::write(
        dir.path().join("whole.toml"),
        "[sources.tickets]\nencoding = \"gb18030\"\n",
    )
    .unwrap();
    let how = how_read(dir.path(), "split.toml");
    // One part per core: a machine with one core reads the file in one piece.
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    assert_eq!(how.contains("read in"), cores > 1, "{how}");
    assert_eq!(
        how.contains("did not meet"),
        falls_back && cores > 1,
        "{how}"
    );
    assert_eq!(
        how_read(dir.path(), "whole.toml"),
        "",
        "a transcoded stream is one piece"
    );
    let (split, split_rejects, split_report) = read(dir.path(), "split.toml");
    let (whole, whole_rejects, whole_report) = read(dir.path(), "whole.toml");
    assert_eq!(split, whole, "inputs read in parts and in one piece");
    assert_eq!(
        split_rejects, whole_rejects,
        "rejects read in parts and in one piece"
    );
    assert_eq!(
        split_report, whole_report,
        "metrics read in parts and in one piece"
    );
    // And against the rows written: read = accepted + rejected, each reject on its line.
    assert_eq!(split["read"], ROWS as u64);
    assert_eq!(split["rejected"], export.rejected.len() as u64);
    // svcq_line, svcq_column, svcq_reason (its detail), then the row: ticket_id first.
    assert_eq!(split_rejects.len(), export.rejected.len());
    for ((line, id, reason), got) in export.rejected.iter().zip(&split_rejects) {
        let detail = &got[2];
        assert_eq!(got[0], line.to_string(), "{detail}");
        assert_eq!(&got[3], id, "{detail}");
        if reason.starts_with("duplicate") {
            assert_eq!(got[1], "ticket_id");
            assert!(detail.contains("already seen earlier"), "{detail}");
        } else {
            assert_eq!(got[1], "created_at", "{detail}");
        }
    }
    let reasons = split["reasons"].as_object().unwrap();
    assert_eq!(reasons["duplicate ticket_id"], 4);
    assert_eq!(reasons["created_at not a timestamp"], 1);
}

#[test]
fn a_file_read_in_parts_gives_what_one_reading_gives() {
    check(export("\n", false), false);
}

#[test]
fn crlf_line_ends_meet_at_the_cuts() {
    check(export("\r\n", false), false);
}

/// A quote inside an unquoted field throws the quote count off, so the cut lands
/// inside a quoted field; the parts then do not meet and the file is read on
/// from the first part, with the same outcome.
#[test]
fn a_stray_quote_falls_back_to_one_reading() {
    check(export("\n", true), true);
}
