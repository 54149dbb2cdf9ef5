//! Business hours and working days (docs/business-hours.md) through `svcq report`
//! on tests/fixtures/business-hours/, with values worked out by hand. Its
//! svcq.toml: tickets on `cn-support` (Asia/Shanghai, Mon–Fri 09:00–18:00, the
//! China calendar plus 2026-11-18 as a holiday), chat on `24x7`; the SLA on
//! business time except for urgent tickets; refunds and deliveries on working
//! days (Mon–Fri, whole days, the China calendar); a refund SLA of 3 working days.
//! Times below are Beijing time; the report runs in UTC as of 2026-11-25 08:00.

use assert_cmd::Command;
use common::{assert_row, fixture, row, run_json};

mod common;

const MIN: f64 = 1.0 / 60.0;

/// `svcq report` on the fixture's tickets and shipments, as JSON, with `config`
/// (a path) as the targets file (None: none, so no schedules).
fn run_report(
    config: Option<&str>,
    period: &str,
    as_of: &str,
    extra: &[&str],
) -> serde_json::Value {
    let dir = tempfile::tempdir().unwrap();
    let tickets = fixture("business-hours/tickets.csv");
    let shipments = fixture("business-hours/shipments.csv");
    let mut args = vec![
        "report",
        "--tickets",
        &tickets,
        "--shipments",
        &shipments,
        "--period",
        period,
        "--as-of",
        as_of,
        "--format",
        "json",
    ];
    if let Some(c) = config {
        args.extend(["--targets", c]);
    }
    args.extend(extra);
    run_json(dir.path(), &args)
}

fn report(period: &str, extra: &[&str]) -> serde_json::Value {
    run_report(
        Some(&fixture("business-hours/svcq.toml")),
        period,
        "2026-11-25T00:00:00Z",
        extra,
    )
}

// 1: Fri 17:50 → Mon 09:10 = 10 + 10 = 20 min; resolved Mon 10:10 = 80 min.
// 2: opened on the 18th (a holiday) 10:00, answered Thu 09:30 = 30 min; resolved
//    Thu 12:00 = 180 min.
// 3: chat, so 24×7: Sat 10:00 → 10:05 = 5 min; resolved 11:00 = 60 min.
// 4: Tue 19:00 → 23:00, outside hours: 0 min; open.
// 5: Mon 09:00, unanswered and open.
// First response: 20, 30, 5, 0 → mean 13.75 min, median 12.5, p90 27 (linear).
// Resolution: 80, 180, 60 → mean 320/3 min, median 80, p90 80 + 0.8 × 100 = 160.
#[test]
fn business_time_of_tickets() {
    let r = report("2026-W47", &[]);
    assert_row(
        &r,
        "first_response_business_hours_mean",
        None,
        Some(13.75 * MIN),
        4,
    );
    assert_row(
        &r,
        "first_response_business_hours_p50",
        None,
        Some(12.5 * MIN),
        4,
    );
    assert_row(
        &r,
        "first_response_business_hours_p90",
        None,
        Some(27.0 * MIN),
        4,
    );
    assert_row(
        &r,
        "resolution_business_hours_mean",
        None,
        Some(320.0 / 3.0 * MIN),
        3,
    );
    assert_row(
        &r,
        "resolution_business_hours_p50",
        None,
        Some(80.0 * MIN),
        3,
    );
    assert_row(
        &r,
        "resolution_business_hours_p90",
        None,
        Some(160.0 * MIN),
        3,
    );
    // The calendar figures stay beside them: ticket 1 alone waited 63 h 20 min.
    assert_row(
        &r,
        "first_response_hours_p90",
        None,
        Some(23.5 + 0.7 * (63.0 + 20.0 * MIN - 23.5)),
        4,
    );
}

/// A rule on the priority, which is held as a code and not as text, matches as
/// one on the channel does: ticket 3 is urgent as well as chat, so the figures
/// are the fixture's (on the default clock its Saturday answer would be 0 min,
/// the mean 12.5).
#[test]
fn a_schedule_rule_on_the_priority_matches() {
    let config = std::fs::read_to_string(fixture("business-hours/svcq.toml"))
        .unwrap()
        .replace(
            "where = { channel = \"chat\" }",
            "where = { priority = \"urgent\" }",
        );
    assert!(config.contains("priority = \"urgent\" }"), "{config}");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("svcq.toml");
    std::fs::write(&path, config).unwrap();
    let r = run_report(
        Some(path.to_str().unwrap()),
        "2026-W47",
        "2026-11-25T00:00:00Z",
        &[],
    );
    assert_row(
        &r,
        "first_response_business_hours_mean",
        None,
        Some(13.75 * MIN),
        4,
    );
    assert_row(
        &r,
        "resolution_business_hours_mean",
        None,
        Some(320.0 / 3.0 * MIN),
        3,
    );
}

// The SLA clock: business for all but urgent. Windows 6 h (normal), 2 h (high),
// 30 min (urgent), 24 h (low). 1: 20 min met; 2: 30 min met; 3: 5 min met;
// 4: 0 met; 5: unanswered, 54 business hours old at the as-of time (Mon–Tue of
// both weeks and Thu–Fri, the 18th a holiday) → missed. 4/5. On the calendar
// clock, 1 (63 h) and 2 (23.5 h) miss too: 2/5.
// Resolution SLA (72 h, the resolution window): 1, 2, 3 resolved within it; 4
// and 5 are open at 36 and 54 business hours: pending.
#[test]
fn the_sla_runs_on_the_clock_of_the_priority() {
    let r = report("2026-W47", &[]);
    assert_row(&r, "sla_response_rate", None, Some(0.8), 5);
    assert_eq!(row(&r, "sla_response_rate", None)["pending"], 0);
    assert_row(&r, "sla_resolution_rate", None, Some(1.0), 3);
    assert_eq!(row(&r, "sla_resolution_rate", None)["pending"], 2);
    // The same data with the calendar clock.
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(fixture("business-hours/svcq.toml")).unwrap();
    let calendar = dir.path().join("svcq.toml");
    std::fs::write(
        &calendar,
        text.replace("clock = \"business\"", "clock = \"calendar\""),
    )
    .unwrap();
    let r = run_report(calendar.to_str(), "2026-W47", "2026-11-25T00:00:00Z", &[]);
    assert_row(&r, "sla_response_rate", None, Some(0.4), 5);
}

// W41 of 2026: National Day holidays Oct 1–7, Saturday Oct 10 a make-up working
// day (调休). 6: Sat Oct 10 10:00 → 10:30 = 30 min (the Saturday counts). 7: Sun
// Oct 11 10:00 → Mon 09:15 = 15 min. 8: Wed Oct 7 (a holiday) 10:00 → Thu 09:20 =
// 20 min. Mean 65/3 min.
#[test]
fn china_holidays_and_make_up_days() {
    let r = report("2026-W41", &[]);
    assert_row(
        &r,
        "first_response_business_hours_mean",
        None,
        Some(65.0 / 3.0 * MIN),
        3,
    );
    assert_row(
        &r,
        "first_response_business_hours_p50",
        None,
        Some(20.0 * MIN),
        3,
    );
}

// Working days: Mon–Fri, whole days. D1: Fri 20:00 → Mon 10:00 = 4 + 10 h = 14 h;
// D2: Mon 10:00 → Wed 16:00 = 14 + 24 + 16 = 54 h. Median 34 h, p90 14 + 0.9 × 40
// = 50 h, in days of 24 h.
// Refunds requested in W47: R1 Fri 15:00 → Tue 10:00 = 9 + 24 + 10 = 43 h (within
// 3 days); R2 Mon 12:00 → Fri 18:00 = 102 h (not); R3 Thu 09:00, not refunded,
// 95 h old at the as-of time: judged, missed; R4 Sun 10:00, 56 h old: pending.
// Median (43 + 102) / 2 h, p90 43 + 0.9 × 59 h; within SLA 1/3, 1 pending.
#[test]
fn working_days_of_deliveries_and_refunds() {
    let r = report("2026-W47", &[]);
    assert_row(&r, "delivery_working_days_p50", None, Some(34.0 / 24.0), 2);
    assert_row(&r, "delivery_working_days_p90", None, Some(50.0 / 24.0), 2);
    assert_row(&r, "refund_working_days_p50", None, Some(72.5 / 24.0), 2);
    assert_row(
        &r,
        "refund_working_days_p90",
        None,
        Some((43.0 + 0.9 * 59.0) / 24.0),
        2,
    );
    assert_row(&r, "refund_within_sla_rate", None, Some(1.0 / 3.0), 3);
    assert_eq!(row(&r, "refund_within_sla_rate", None)["pending"], 1);
}

// A schedule rule per segment: the chat ticket (3) runs on 24×7 even on a Saturday.
#[test]
fn a_rule_picks_the_schedule_per_ticket() {
    let r = report("2026-W47", &["--by", "channel"]);
    assert_row(
        &r,
        "first_response_business_hours_mean",
        Some(("channel", "chat")),
        Some(5.0 * MIN),
        1,
    );
    assert_row(
        &r,
        "first_response_business_hours_mean",
        Some(("channel", "email")),
        Some(50.0 / 3.0 * MIN),
        3,
    );
}

// Without schedules the clocked metrics have no data, with the reason.
#[test]
fn without_schedules_there_is_no_data_and_a_note_says_why() {
    let r = run_report(None, "2026-W47", "2026-11-25T00:00:00Z", &[]);
    assert_row(&r, "first_response_business_hours_mean", None, None, 0);
    assert_row(&r, "refund_within_sla_rate", None, None, 0);
    let notes = r["notes"].to_string();
    assert!(notes.contains("no business hours in svcq.toml"), "{notes}");
    assert!(
        notes.contains("no working-day calendar in svcq.toml"),
        "{notes}"
    );
}

// A period past the years the calendar covers is reported, not silently zero.
#[test]
fn a_period_past_the_calendar_is_a_warning() {
    let r = run_report(
        Some(&fixture("business-hours/svcq.toml")),
        "2027-W02",
        "2027-01-20T00:00:00Z",
        &[],
    );
    let notes = r["notes"].to_string();
    assert!(
        notes.contains("schedule cn-support: the holiday calendar cn covers 2025–2026"),
        "{notes}"
    );
}

/// Runs `svcq validate` with `config` as svcq.toml; returns stderr of the exit 2.
fn config_error(config: &str, extra_files: &[(&str, &str)]) -> String {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("svcq.toml"), config).unwrap();
    for (name, text) in extra_files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    std::fs::copy(
        fixture("business-hours/tickets.csv"),
        dir.path().join("tickets.csv"),
    )
    .unwrap();
    let out = Command::cargo_bin("svcq")
        .unwrap()
        .current_dir(dir.path())
        .args(["report", "--tickets", "tickets.csv"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn schedule_mistakes_name_the_key_and_the_line() {
    let base = "[schedules.office]\ntimezone = \"Europe/Berlin\"\nhours = { mon-fri = [\"09:00-18:00\"] }\n";
    let err = config_error(&format!("schedule = \"ofice\"\n{base}"), &[]);
    assert!(
        err.contains(
            "svcq.toml:1: schedule: unknown schedule \"ofice\"; did you mean `office`? valid: office"
        ),
        "{err}"
    );
    let err = config_error(
        &format!("schedule = \"office\"\n{base}[[schedule_rule]]\nwhere = {{ channel = \"chat\" }}\nschedule = \"24x7\"\n"),
        &[],
    );
    assert!(
        err.contains("svcq.toml:7: schedule_rule[1].schedule: unknown schedule \"24x7\""),
        "{err}"
    );
    let err = config_error(
        "[schedules.office]\ntimezone = \"UTC\"\nhours = { mon-fri = [\"09:00-13:00\", \"12:00-18:00\"] }\n",
        &[],
    );
    assert!(
        err.contains(
            "svcq.toml:3: schedules.office.hours.mon-fri: 09:00-13:00 and 12:00-18:00 overlap"
        ),
        "{err}"
    );
    let err = config_error(
        "[schedules.office]\ntimezone = \"UTC\"\n\nhours = { sat = [\"18:00-09:00\"] }\n",
        &[],
    );
    assert!(
        err.contains(
            "svcq.toml:4: schedules.office.hours.sat: \"18:00-09:00\" ends before it starts"
        ),
        "{err}"
    );
    let err = config_error(
        "[schedules.office]\ntimezone = \"UTC\"\nholidays = [\"de.toml\"]\ndays = \"mon-fri\"\n",
        &[(
            "de.toml",
            "name = \"de\"\nyears = [2026]\n[holidays]\n\"2027-01-01\" = \"Neujahr\"\n",
        )],
    );
    assert!(
        err.contains("svcq.toml:3: schedules.office.holidays"),
        "{err}"
    );
    assert!(err.contains("de.toml:4: holidays \"2027-01-01\": 2027-01-01 is outside the years the calendar covers (2026)"), "{err}");
    let err = config_error("[schedules.office]\ntimezone = \"UTC\"\n", &[]);
    assert!(
        err.contains("svcq.toml:2: schedules.office: no open hours"),
        "{err}"
    );
    let err = config_error(
        "[schedules.wh]\ntimezone = \"UTC\"\nhours = { mon-fri = [\"09:00-18:00\"] }\n[working_days]\nschedule = \"wh\"\n",
        &[],
    );
    assert!(
        err.contains(
            "svcq.toml:5: working_days.schedule: schedule \"wh\" opens 09:00-18:00, not whole days"
        ),
        "{err}"
    );
    let err = config_error(
        "[sla]\nclock_by_priority = { urgent = \"business\" }\n",
        &[],
    );
    assert!(
        err.contains("svcq.toml:2: sla.clock_by_priority: a business clock needs business hours"),
        "{err}"
    );
    let err = config_error("[sla]\nclock = \"business\"\n", &[]);
    assert!(
        err.contains("a business clock needs business hours"),
        "{err}"
    );
}

// `svcq calendar` shows what the clock counts: the 2026 Spring Festival, its
// make-up Saturdays, and a daylight-saving day of 25 hours.
#[test]
fn calendar_shows_holidays_make_up_days_and_daylight_saving() {
    let dir = tempfile::tempdir().unwrap();
    let config = fixture("business-hours/svcq.toml");
    let out = common::run_ok(
        dir.path(),
        &[
            "calendar",
            "--targets",
            &config,
            "--from",
            "2026-02-13",
            "--to",
            "2026-02-16",
        ],
    );
    let text = String::from_utf8(out).unwrap();
    assert_eq!(
        text,
        "schedule cn-support · Asia/Shanghai · holiday calendars: cn (2025–2026)\n\
         2026-02-13 Fri  09:00-18:00                    9h00\n\
         2026-02-14 Sat  09:00-18:00                    9h00  make-up working day\n\
         2026-02-15 Sun  closed                         0h00  holiday: 春节 Spring Festival\n\
         2026-02-16 Mon  closed                         0h00  holiday: 春节 Spring Festival\n\
         open in all: 18h00\n"
    );
    std::fs::write(
        dir.path().join("svcq.toml"),
        "[schedules.ny]\ntimezone = \"America/New_York\"\nhours = { daily = [\"00:00-24:00\"] }\n",
    )
    .unwrap();
    let out = common::run_ok(
        dir.path(),
        &[
            "calendar",
            "--schedule",
            "ny",
            "--from",
            "2026-11-01",
            "--to",
            "2026-11-01",
        ],
    );
    let text = String::from_utf8(out).unwrap();
    assert!(
        text.contains("2026-11-01 Sun  00:00-24:00                   25h00"),
        "{text}"
    );
    let out = Command::cargo_bin("svcq")
        .unwrap()
        .current_dir(dir.path())
        .args(["calendar", "--schedule", "paris"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown schedule \"paris\"; valid: ny"));
}

// A schedule whose hours start with a change is valid: before it, closed.
#[test]
fn a_schedule_may_open_only_from_a_change() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("svcq.toml"),
        "[schedules.new]\ntimezone = \"UTC\"\n[[schedules.new.change]]\nfrom = \"2026-12-01\"\nhours = { mon-fri = [\"09:00-17:00\"] }\n",
    )
    .unwrap();
    let out = common::run_ok(
        dir.path(),
        &[
            "calendar",
            "--schedule",
            "new",
            "--from",
            "2026-11-30",
            "--to",
            "2026-12-01",
        ],
    );
    let text = String::from_utf8(out).unwrap();
    assert!(text.contains("2026-11-30 Mon  closed"), "{text}");
    assert!(
        text.contains("2026-12-01 Tue  09:00-17:00                    8h00"),
        "{text}"
    );
}
