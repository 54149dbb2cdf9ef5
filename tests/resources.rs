//! Resource errors: a full disk, a read-only store, an output that cannot be
//! written. Each is exit 2 with a message naming the path; the store and every
//! output stay as they were and no temporary file is left.
//!
//! The store cases mount a small tmpfs, which needs root: elsewhere they are
//! skipped with a note, except in CI (CI set), where a skip is a failure.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::run_ok;

mod common;

fn svcq(dir: &Path, args: &[&str]) -> Output {
    Command::new(assert_cmd::cargo::cargo_bin("svcq"))
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap()
}

/// A tmpfs of `kib` KiB at `at`, unmounted when dropped; None where mounting is
/// not allowed.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(at: &Path, kib: u32) -> Option<Tmpfs> {
        std::fs::create_dir_all(at).unwrap();
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={kib}k"), "tmpfs"])
            .arg(at)
            .output()
            .is_ok_and(|o| o.status.success());
        if !ok {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI must run the resource tests: mounting a tmpfs failed (not root?)"
            );
            eprintln!("skipped: mounting a tmpfs needs root");
            return None;
        }
        Some(Tmpfs(at.to_path_buf()))
    }

    fn read_only(&self) {
        let ok = Command::new("mount")
            .args(["-o", "remount,ro"])
            .arg(&self.0)
            .status()
            .unwrap();
        assert!(ok.success());
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

#[test]
fn a_full_disk_or_a_read_only_store_leaves_the_store_as_it_was() {
    let root = tempfile::tempdir().unwrap();
    let r = root.path();
    for (name, tickets) in [("small", "200"), ("big", "20000")] {
        std::fs::create_dir(r.join(name)).unwrap();
        run_ok(
            &r.join(name),
            &["sample", "--out", ".", "--tickets", tickets],
        );
    }
    let Some(disk) = Tmpfs::mount(&r.join("disk"), 1024) else {
        return;
    };
    let store = r.join("disk/store");
    let store_arg = store.to_str().unwrap();
    run_ok(
        r,
        &[
            "ingest",
            "--data",
            "small",
            "--store",
            store_arg,
            "--rejects",
            "rj",
        ],
    );
    let before = common::files_under(&store);
    // The big export does not fit in what is left of the 1 MiB disk.
    let out = svcq(
        r,
        &[
            "ingest",
            "--data",
            "big",
            "--store",
            store_arg,
            "--rejects",
            "rj",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(store_arg), "{err}");
    assert_eq!(common::files_under(&store), before, "the store changed");
    // Read-only: the same, and the store can still be read.
    disk.read_only();
    let out = svcq(
        r,
        &[
            "ingest",
            "--data",
            "small",
            "--store",
            store_arg,
            "--rejects",
            "rj",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains(store_arg));
    assert_eq!(common::files_under(&store), before);
    let out = svcq(
        r,
        &[
            "report",
            "--store",
            store_arg,
            "--as-of",
            "2026-11-23T00:00:00Z",
            "--format",
            "json",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

// /dev/full fails every write with "no space left on device".
#[test]
fn an_output_that_cannot_be_written_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-data");
    let data = data.to_str().unwrap();
    for args in [
        vec!["report", "--data", data, "--out", "/dev/full"],
        vec!["chart", "scorecard", "--data", data, "--out", "/dev/full"],
    ] {
        let out = svcq(dir.path(), &args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("/dev/full"), "{args:?}: {err}");
    }
    // An output in a folder that does not exist is not created on a guess.
    let out = svcq(
        dir.path(),
        &["report", "--data", data, "--out", "no/such/dir/r.txt"],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no/such/dir"), "{err}");
    assert!(!dir.path().join("no").exists());
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}
