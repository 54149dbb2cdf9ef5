//! The frugal plan svcq follows under a small memory budget (src/memory.rs):
//! one source at a time, a file in one part, one aggregate at a time. It must
//! give the usual plan's report, inputs and rejects to the last digit; only the
//! memory and the time differ. `SVCQ_MEMORY_LIMIT=1K` forces it here, as a
//! cgroup limit below the data's need would.

mod common;

use std::path::Path;

use assert_cmd::Command;
use common::fixture;

/// `svcq -v ARGS` in `dir` with `SVCQ_MEMORY_LIMIT` set to `limit` (None: unset):
/// (exit code, stdout, stderr).
fn svcq(dir: &Path, limit: Option<&str>, args: &[&str]) -> (i32, String, String) {
    let mut command = Command::cargo_bin("svcq").unwrap();
    command
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("SVCQ_MEMORY_LIMIT");
    if let Some(limit) = limit {
        command.env("SVCQ_MEMORY_LIMIT", limit);
    }
    let out = command.arg("-v").args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

const FRUGAL: &str = "reading one source at a time";

/// Both plans over the week fixture (all three sources: follow-ups, mentions,
/// backlog and cohorts anchored on other columns), whole and split by channel.
#[test]
fn the_frugal_plan_gives_the_usual_report() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let data = fixture("week");
    for by in [None, Some("channel")] {
        let mut args = vec![
            "report",
            "--data",
            &data,
            "--period",
            "2026-W47",
            "--as-of",
            "2026-11-23T00:00:00Z",
            "--format",
            "json",
        ];
        args.extend(by.iter().flat_map(|b| ["--by", *b]));
        let (usual_code, usual, usual_log) = svcq(dir, None, &args);
        let (frugal_code, frugal, frugal_log) = svcq(dir, Some("1K"), &args);
        assert_eq!(
            (usual_code, frugal_code),
            (0, 0),
            "{usual_log}\n{frugal_log}"
        );
        assert!(!usual_log.contains(FRUGAL), "{usual_log}");
        assert!(
            frugal_log.contains("0 MiB allowed (SVCQ_MEMORY_LIMIT=1K)")
                && frugal_log.contains(FRUGAL),
            "{frugal_log}"
        );
        assert!(usual.contains("\"first_response_hours_mean\""), "{usual}");
        assert!(usual == frugal, "the reports differ (--by {by:?})");
    }
}

/// A tickets export large enough to be read in parts (two 4 MiB parts at
/// least), with repeated ids far apart and one bad row: read in one part under
/// the frugal plan, with the same inputs, rejects and report.
#[test]
fn the_frugal_plan_reads_a_large_file_in_one_part_alike() {
    const ROWS: usize = 130_000;
    let mut text = String::from(
        "ticket_id,created_at,first_response_at,resolved_at,channel,priority,agent_replies,subject\n",
    );
    for row in 0..ROWS {
        // Rows 100_000.. repeat the ids of rows 0..: duplicates across the parts.
        let id = if row >= 100_000 && row % 1_000 == 0 {
            row - 100_000
        } else {
            row
        };
        let created = if row == 70_000 {
            "2026-11-31T10:00:00Z".to_string()
        } else {
            format!(
                "2026-11-{:02}T{:02}:{:02}:00Z",
                row % 28 + 1,
                row % 24,
                row % 60
            )
        };
        let responded = format!("{}:{:02}Z", &created[..16], row % 50 + 5);
        text.push_str(&format!(
            "{id},{created},{responded},,chat,normal,{},where is order {row}\n",
            row % 5
        ));
    }
    assert!(text.len() > 8 << 20, "two parts at least: {}", text.len());
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("tickets.csv"), &text).unwrap();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut outputs = Vec::new();
    for limit in [None, Some("1K")] {
        let rejects = "rejects";
        let args = [
            "report",
            "--tickets",
            "tickets.csv",
            "--rejects",
            rejects,
            "--from",
            "2026-11-01",
            "--to",
            "2026-12-01",
            "--as-of",
            "2026-12-01",
            "--format",
            "json",
        ];
        let (code, report, log) = svcq(dir.path(), limit, &args);
        assert_eq!(code, 0, "{log}");
        assert_eq!(
            log.contains("read in 2 parts"),
            limit.is_none() && cores > 1,
            "{log}"
        );
        let rejected =
            std::fs::read_to_string(dir.path().join(rejects).join("tickets.rejects.csv")).unwrap();
        outputs.push((report, rejected));
    }
    let (usual, frugal) = (&outputs[0], &outputs[1]);
    // 30 repeats (rows 100_000, 101_000, … 129_000) and the 31st of November.
    assert_eq!(usual.1.lines().count(), 1 + 30 + 1, "{}", usual.1);
    assert_eq!(
        usual.1.matches("already seen earlier").count(),
        30,
        "{}",
        usual.1
    );
    assert!(
        usual
            .1
            .contains("\"\"2026-11-31T10:00:00Z\"\" is not a timestamp"),
        "{}",
        usual.1
    );
    assert!(usual.0 == frugal.0, "the reports differ");
    assert!(usual.1 == frugal.1, "the rejects differ");
}

/// A budget that is not a size is an input error naming the variable.
#[test]
fn a_memory_limit_that_is_not_a_size_is_an_error() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let data = fixture("week");
    let (code, _, log) = svcq(dir, Some("lots"), &["report", "--data", &data]);
    assert_eq!(code, 2, "{log}");
    assert!(
        log.contains("SVCQ_MEMORY_LIMIT=lots") && log.contains("not a size"),
        "{log}"
    );
}
