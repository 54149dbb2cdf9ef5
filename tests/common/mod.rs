//! What the integration test files share: running the real binary.
// Each test file is its own crate and uses only some of these.
#![allow(dead_code)]

use std::path::Path;

use assert_cmd::Command;
use serde_json::Value;

/// Runs `svcq ARGS` in `dir` (colour off); fails the test with svcq's stderr unless
/// it succeeds; returns stdout.
pub fn run_ok(dir: &Path, args: &[&str]) -> Vec<u8> {
    let out = Command::cargo_bin("svcq")
        .unwrap()
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "svcq {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// [`run_ok`] for a command that prints JSON.
pub fn run_json(dir: &Path, args: &[&str]) -> Value {
    serde_json::from_slice(&run_ok(dir, args)).unwrap()
}

/// The path of a file under tests/fixtures.
pub fn fixture(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
        .display()
        .to_string()
}

/// The row of `id` for `group` (`None`: the whole cohort).
pub fn row<'a>(report: &'a Value, id: &str, group: Option<(&str, &str)>) -> &'a Value {
    report["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| {
            m["id"] == id
                && match group {
                    None => m["group"].is_null(),
                    Some((k, v)) => m["group"][k] == v,
                }
        })
        .unwrap_or_else(|| panic!("no row {id} {group:?}"))
}

pub fn assert_row(
    report: &Value,
    id: &str,
    group: Option<(&str, &str)>,
    value: Option<f64>,
    n: u64,
) {
    let r = row(report, id, group);
    match value {
        Some(v) => assert!(
            (r["value"].as_f64().unwrap() - v).abs() < 1e-9,
            "{id} {group:?}: {}",
            r["value"]
        ),
        None => assert!(r["value"].is_null(), "{id} {group:?}: {}", r["value"]),
    }
    assert_eq!(r["n"], n, "{id} {group:?} n");
}

/// Every file under `dir`, as a path relative to it, with its bytes, in path order.
pub fn files_under(dir: &Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(d).unwrap() {
            let path = e.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let bytes = std::fs::read(&path).unwrap();
                out.push((path.strip_prefix(dir).unwrap().to_path_buf(), bytes));
            }
        }
    }
    out.sort();
    out
}
