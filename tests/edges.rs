//! Edge cases of the metric definitions, on a fixture around the ISO year end.
//! Every expected value is worked out by hand in the comments.

use common::run_json;
use serde_json::Value;

mod common;

// 2026 has 53 ISO weeks: W53 is Mon 2026-12-28 .. Sun 2027-01-03; 2027-W01 starts
// Mon 2027-01-04.
//   Y1  Sun 2026-12-27 (W52), never answered
//   Y2..Y4  W53, answered in 1 h each; Y5 Sun 2027-01-03 20:00 (still W53), 4 h
//   Y6  Mon 2027-01-04 (2027-W01), answered in exactly 2 h — a one-row cohort
const TICKETS: &str = "\
ticket_id,created_at,first_response_at,resolved_at,channel,priority,reopens,agent_replies
Y1,2026-12-27T10:00:00Z,,,chat,low,,
Y2,2026-12-28T00:00:00Z,2026-12-28T01:00:00Z,,chat,low,,
Y3,2026-12-29T00:00:00Z,2026-12-29T01:00:00Z,,chat,low,,
Y4,2026-12-30T00:00:00Z,2026-12-30T01:00:00Z,,chat,low,,
Y5,2027-01-03T20:00:00Z,2027-01-04T00:00:00Z,,chat,low,,
Y6,2027-01-04T00:00:00Z,2027-01-04T02:00:00Z,2027-01-04T02:00:00Z,chat,low,0,1
";

fn report(args: &[&str]) -> Value {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("tickets.csv"), TICKETS).unwrap();
    let mut all = vec!["report", "--tickets", "tickets.csv", "--format", "json"];
    all.extend(["--as-of", "2027-01-10T00:00:00Z"]);
    all.extend(args);
    run_json(dir.path(), &all)
}

fn overall<'a>(r: &'a Value, id: &str) -> &'a Value {
    r["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == id && m["group"].is_null())
        .unwrap_or_else(|| panic!("no {id}"))
}

// W53 holds Y2..Y5: durations 1, 1, 1, 4 h.
//   mean = 7 / 4 = 1.75; p50: rank 0.5 × 3 = 1.5 between 1 and 1 → 1 (a tie);
//   p90: rank 2.7 → 1 + 0.7 × (4 − 1) = 3.1.
//   Nothing resolved: resolution_rate = 0 / 4 = 0 (a value), but the resolution
//   times, fcr and reopen rate have a zero denominator → null, and the targeted
//   reopen_rate is "no_data", never 0.
#[test]
fn iso_week_53_ties_and_zero_denominators() {
    let r = report(&["--period", "2026-W53"]);
    assert_eq!(r["period"]["from"], "2026-12-28T00:00:00Z");
    assert_eq!(r["period"]["to"], "2027-01-04T00:00:00Z");
    assert_eq!(overall(&r, "tickets")["value"], 4.0);
    assert_eq!(overall(&r, "first_response_hours_mean")["value"], 1.75);
    assert_eq!(overall(&r, "first_response_hours_p50")["value"], 1.0);
    let p90 = overall(&r, "first_response_hours_p90")["value"]
        .as_f64()
        .unwrap();
    assert!((p90 - 3.1).abs() < 1e-12, "{p90}");
    assert_eq!(overall(&r, "resolution_rate")["value"], 0.0);
    assert_eq!(overall(&r, "resolution_rate")["n"], 4);
    for id in ["resolution_hours_mean", "fcr_rate", "reopen_rate"] {
        let m = overall(&r, id);
        assert!(m["value"].is_null(), "{id}: {}", m["value"]);
        assert_eq!(m["n"], 0, "{id}");
    }
    assert_eq!(overall(&r, "reopen_rate")["status"], "no_data");
    // The service index leaves the no-data target out and says so.
    let notes = r["notes"].to_string();
    assert!(notes.contains("reopen_rate"), "{notes}");
}

// 2027-W01 is Y6 alone: every statistic of one sample is that sample, exactly.
// Its previous week is 2026-W53 (--compare crosses the year end): 1.75 → 2.
#[test]
fn one_row_cohort_and_compare_across_the_year_end() {
    let r = report(&["--period", "2027-W01", "--compare"]);
    assert_eq!(r["previous_period"]["label"], "2026-W53");
    for id in [
        "first_response_hours_mean",
        "first_response_hours_p50",
        "first_response_hours_p90",
        "resolution_hours_p90",
    ] {
        assert_eq!(overall(&r, id)["value"], 2.0, "{id}");
        assert_eq!(overall(&r, id)["n"], 1, "{id}");
    }
    let m = overall(&r, "first_response_hours_mean");
    assert_eq!(m["previous"], 1.75);
    assert_eq!(m["delta"], 0.25);
    assert_eq!(overall(&r, "fcr_rate")["value"], 1.0);
}

// Weekly buckets across the year end: W52 holds Y1, W53 Y2..Y5, 2027-W01 Y6.
// Y1 was never answered: response_rate 0 of 1, first response "no data" (the
// default ≤ 6 h target cannot judge it), and 14 days old it is judged against the
// 24 h low-priority SLA and missed it: sla_response_rate 0 / 1.
#[test]
fn weekly_series_across_the_year_end() {
    let r = report(&["--from", "2026-12-21", "--to", "2027-01-11", "--by", "week"]);
    let series = |id: &str| -> Vec<(String, Value)> {
        r["metrics"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["id"] == id)
            .map(|m| {
                (
                    m["group"]["week"].as_str().unwrap().to_string(),
                    m["value"].clone(),
                )
            })
            .collect()
    };
    assert_eq!(
        series("tickets"),
        [
            ("2026-W52".to_string(), Value::from(1.0)),
            ("2026-W53".to_string(), Value::from(4.0)),
            ("2027-W01".to_string(), Value::from(1.0)),
        ]
    );
    assert_eq!(series("sla_response_rate")[0].1, 0.0);
    assert!(series("first_response_hours_mean")[0].1.is_null());
    let w52 = r["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == "first_response_hours_mean" && m["group"]["week"] == "2026-W52")
        .unwrap();
    assert_eq!(w52["status"], "no_data");
}
