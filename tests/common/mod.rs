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
