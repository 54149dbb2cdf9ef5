//! Snapshots of every rendered report format on the hand-worked week fixture, so a
//! change to what users read is a reviewed change (`cargo insta review`). The
//! numbers themselves are asserted one by one in tests/cli.rs.

use std::path::Path;

use common::run_ok;

mod common;

/// Runs `svcq report` on a copy of the fixture, with relative paths so the output
/// is the same on every machine.
fn report(args: &[&str]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let week = dir.path().join("week");
    std::fs::create_dir(&week).unwrap();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/week");
    for file in ["tickets.csv", "shipments.csv", "reviews.csv"] {
        std::fs::copy(fixture.join(file), week.join(file)).unwrap();
    }
    let mut all = vec!["report", "--data", "week", "--period", "2026-W47"];
    all.extend(["--as-of", "2026-11-23T00:00:00Z"]);
    all.extend(args);
    String::from_utf8(run_ok(dir.path(), &all)).unwrap()
}

#[test]
fn table() {
    insta::assert_snapshot!(report(&["--compare"]));
}

#[test]
fn table_by_channel() {
    insta::assert_snapshot!(report(&["--by", "channel"]));
}

#[test]
fn markdown() {
    insta::assert_snapshot!(report(&["--compare", "--format", "markdown"]));
}

#[test]
fn csv() {
    insta::assert_snapshot!(report(&["--format", "csv"]));
}

#[test]
fn json() {
    insta::assert_snapshot!(report(&["--compare", "--format", "json"]));
}
