//! Hostile inputs, each with a clear outcome: accepted, rejected with a reason, or
//! an error (exit 2) naming the file — never a panic, never a silent drop. And
//! commands that only read write nothing they were not asked for.

use std::path::Path;
use std::process::Output;

use assert_cmd::Command;

mod common;

const HEADER: &str = "ticket_id,created_at,first_response_at,resolved_at,channel,priority";
const ROW: &str = "T1,2026-11-17T09:00:00Z,2026-11-17T10:00:00Z,,chat,high";

fn svcq(dir: &Path, args: &[&str]) -> Output {
    Command::cargo_bin("svcq")
        .unwrap()
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .args(args)
        .output()
        .unwrap()
}

/// `report --format json` over `bytes` as the tickets export: (exit code, JSON or
/// stderr).
fn report(bytes: &[u8]) -> (i32, String) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("t.csv"), bytes).unwrap();
    let out = svcq(
        dir.path(),
        &[
            "report",
            "--tickets",
            "t.csv",
            "--period",
            "2026-W47",
            "--as-of",
            "2026-11-23T00:00:00Z",
            "--format",
            "json",
        ],
    );
    let text = if out.status.success() {
        String::from_utf8(out.stdout).unwrap()
    } else {
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    (out.status.code().unwrap(), text)
}

fn inputs(json: &str) -> serde_json::Value {
    serde_json::from_str::<serde_json::Value>(json).unwrap()["inputs"]["tickets"].clone()
}

#[test]
fn a_ten_megabyte_field_is_read() {
    let big = "x".repeat(10 << 20);
    let text = format!("{HEADER},agent\n{ROW},{big}\n");
    let (code, out) = report(text.as_bytes());
    assert_eq!(code, 0, "{out}");
    assert_eq!(inputs(&out)["accepted"], 1);
}

#[test]
fn a_hundred_thousand_columns_are_read() {
    let extra: String = (0..100_000).map(|i| format!(",c{i}")).collect();
    let empty = ",".repeat(100_000);
    let text = format!("{HEADER}{extra}\n{ROW}{empty}\n");
    let (code, out) = report(text.as_bytes());
    assert_eq!(code, 0, "{out}");
    assert_eq!(inputs(&out)["accepted"], 1);
}

// A gigabyte without a newline (a sparse file: no disk, no memory to write it) is
// stopped at the line limit with an error naming the file.
#[test]
fn an_endless_line_is_an_error_in_bounded_memory() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.csv");
    std::fs::File::create(&path)
        .unwrap()
        .set_len(1 << 30)
        .unwrap();
    let out = svcq(dir.path(), &["validate", "--tickets", "t.csv"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("t.csv") && err.contains("longer than 64 MiB"),
        "{err}"
    );
    assert!(!dir.path().join("rejects").exists());
}

#[test]
fn nul_bytes_and_truncated_rows_are_rejected_or_read_never_dropped() {
    let text = format!(
        "{HEADER}\n{ROW}\nT2\0,2026-11-17T09:00:00Z,,,chat,\0high\nT3,2026-11-18T09:00:00Z,,"
    );
    let (code, out) = report(text.as_bytes());
    assert_eq!(code, 0, "{out}");
    let i = inputs(&out);
    assert_eq!(i["read"], 3);
    assert_eq!(i["accepted"], 1);
    assert_eq!(i["reasons"]["priority not a known priority"], 1);
    assert_eq!(i["reasons"]["wrong number of fields"], 1);
}

#[test]
fn a_header_repeated_inside_the_file_is_rejected_as_such() {
    let text = format!("{HEADER}\n{ROW}\n{HEADER}\nT2,2026-11-18T09:00:00Z,,,email,low\n");
    let (code, out) = report(text.as_bytes());
    assert_eq!(code, 0, "{out}");
    let i = inputs(&out);
    assert_eq!(i["accepted"], 2);
    assert_eq!(i["reasons"]["header repeated"], 1);
}

#[test]
fn unreadable_headers_are_errors_naming_the_file() {
    for (bytes, says) in [
        (Vec::new(), "the file is empty"),
        (
            format!("{HEADER},channel\n{ROW},x\n").into_bytes(),
            "appears more than once",
        ),
        (
            b"ticket_id,cr\xc3\x28ated_at,priority\nT1,2026-11-17,low\n".to_vec(),
            "missing required column",
        ),
    ] {
        let (code, out) = report(&bytes);
        assert_eq!(code, 2, "{out}");
        assert!(out.contains("t.csv") && out.contains(says), "{out}");
    }
    let (code, out) = report(format!("{HEADER}\n").as_bytes());
    assert_eq!(code, 0, "{out}");
    assert_eq!(inputs(&out)["read"], 0);
}

// report, check and chart read; the only file they write is the one asked for.
#[test]
fn reading_commands_leave_the_directory_as_they_found_it() {
    let dir = tempfile::tempdir().unwrap();
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-data");
    let data = data.to_str().unwrap();
    for args in [
        vec!["report", "--data", data],
        vec![
            "report", "--data", data, "--format", "json", "--by", "channel",
        ],
        vec!["check", "--data", data],
    ] {
        let out = svcq(dir.path(), &args);
        assert!(out.status.code().unwrap() <= 1, "{args:?}");
    }
    let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert!(left.is_empty(), "{left:?}");
    let out = svcq(
        dir.path(),
        &["chart", "scorecard", "--data", data, "--out", "s.png"],
    );
    assert!(out.status.success());
    let left: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(left, ["s.png"]);
    // validate writes its rejects files, and says where.
    let out = svcq(dir.path(), &["validate", "--data", data]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("rejects/tickets.rejects.csv"));
    assert!(dir.path().join("rejects/tickets.rejects.csv").exists());
}
