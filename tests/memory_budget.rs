//! The frugal plan svcq follows under a small memory budget (src/memory.rs):
//! one source at a time, a file in one part, one aggregate at a time. It must
//! give the usual plan's report, inputs and rejects to the last digit; only the
//! memory and the time differ. `SVCQ_MEMORY_LIMIT=1K` forces it here, as a
//! cgroup limit below the data's need would.

mod common;

use std::path::Path;

use assert_cmd::Command;
use common::{assert_row, fixture};

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

/// A cohort of more rows than a part (256 Ki, src/engine/parts.rs) is
/// aggregated part by part, whole and split by channel: its counts, mean and
/// quantiles are the whole cohort's and each group's, worked out by hand,
/// under both plans.
#[test]
fn a_cohort_larger_than_a_part_is_aggregated_whole() {
    // Rows come in blocks of ten (b = r / 10): the tenth is October's, outside
    // the period, so every part is filtered too. A block's nine November rows
    // are rated 1 2 3 4 5 1 2 3 4, have NPS b % 11, were replied to b % 100
    // hours after they were written, and came by chat when b is even, else by
    // email: every part holds both channels.
    const ROWS: usize = 600_000;
    let mut text = String::from("review_id,created_at,rating,nps,replied_at,channel\n");
    for r in 0..ROWS {
        let b = r / 10;
        let rating = 1 + r % 5;
        let channel = ["chat", "email"][b % 2];
        if r % 10 == 9 {
            text.push_str(&format!(
                "{r},2026-10-15T12:00:00Z,{rating},{},,{channel}\n",
                b % 11
            ));
            continue;
        }
        let (day, hour) = (1 + b % 28, r % 9);
        let replied = (day - 1) * 24 + hour + b % 100;
        let (month, replied_day) = match replied / 24 {
            d if d < 30 => (11, d + 1),
            d => (12, d - 29),
        };
        text.push_str(&format!(
            "{r},2026-11-{day:02}T{hour:02}:00:00Z,{rating},{},2026-{month}-{replied_day:02}T{:02}:00:00Z,{channel}\n",
            b % 11,
            replied % 24
        ));
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("reviews.csv"), &text).unwrap();
    let report = |by: &[&str]| {
        let mut args = vec![
            "report",
            "--reviews",
            "reviews.csv",
            "--from",
            "2026-11-01",
            "--to",
            "2026-12-01",
            "--as-of",
            "2026-12-10",
            "--format",
            "json",
        ];
        args.extend(by);
        let mut reports = Vec::new();
        for limit in [None, Some("1K")] {
            let (code, report, log) = svcq(dir.path(), limit, &args);
            assert_eq!(code, 0, "{log}");
            reports.push(report);
        }
        assert!(
            reports[0] == reports[1],
            "the plans' reports differ ({by:?})"
        );
        serde_json::from_str::<serde_json::Value>(&reports[0]).unwrap()
    };
    let r = report(&[]);
    // 60,000 blocks of nine: 540,000 reviews, 1,500,000 stars (25 a block).
    let n = 540_000;
    assert_row(&r, "reviews", None, Some(n as f64), n);
    assert_row(&r, "rating_avg", None, Some(25.0 / 9.0), n);
    assert_row(&r, "csat_rate", None, Some(3.0 / 9.0), n);
    assert_row(&r, "negative_rate", None, Some(4.0 / 9.0), n);
    // b % 11 over 60,000 blocks: 0-5 in 5,455 blocks, 6-10 in 5,454.
    // Promoters (9, 10): 10,908 blocks; detractors (0-6): 38,184.
    assert_row(
        &r,
        "nps",
        None,
        Some(100.0 * (10_908.0 - 38_184.0) / 60_000.0),
        n,
    );
    // 5,400 replies at each of 0-99 hours. Sorted, the p50 falls at 269,999.5,
    // between the last 49 and the first 50; the p90 at 485,999.1, a tenth of the
    // way from the last 89 to the first 90.
    assert_row(&r, "review_reply_hours_p50", None, Some(49.5), n);
    assert_row(&r, "review_reply_hours_p90", None, Some(89.1), n);

    let r = report(&["--by", "channel"]);
    // 30,000 blocks a channel, 270,000 reviews, more than a part each.
    let n = 270_000;
    // b % 11 runs through every remainder in 11 even blocks (or odd): 2,727
    // rounds of 29,997 blocks, then 0 2 4 for chat (59,994 59,996 59,998) and
    // 1 3 5 for email. Each: 5,454 promoters, 7 × 2,727 + 3 = 19,092 detractors.
    // Chat was replied to in the even hours 0-98, email in the odd 1-99, 5,400
    // replies an hour. The p50 at 134,999.5 falls between the 25th hour and
    // the 26th (48 and 50 for chat); the p90 at 242,999.1 a tenth of the way
    // from the 45th to the 46th (88 and 90).
    for (channel, p50, p90) in [("chat", 49.0, 88.2), ("email", 50.0, 89.2)] {
        let group = Some(("channel", channel));
        assert_row(&r, "reviews", group, Some(n as f64), n);
        assert_row(&r, "rating_avg", group, Some(25.0 / 9.0), n);
        assert_row(&r, "csat_rate", group, Some(3.0 / 9.0), n);
        let nps = 100.0 * (5_454.0 - 19_092.0) / 30_000.0;
        assert_row(&r, "nps", group, Some(nps), n);
        assert_row(&r, "review_reply_hours_p50", group, Some(p50), n);
        assert_row(&r, "review_reply_hours_p90", group, Some(p90), n);
    }
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
