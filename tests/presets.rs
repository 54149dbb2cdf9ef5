//! Every built-in preset on a fixture in its export's shape
//! (tests/fixtures/presets/), through `report --preset`, with values worked out by
//! hand from the rows; `inspect` names the right preset for each, and "unknown"
//! with a skeleton for a file of no known system. W47 2026 is 16–22 November.

use std::path::Path;

use assert_cmd::Command;
use common::{assert_row, row, run_json, run_ok};

mod common;

const AS_OF: &str = "2026-11-23T00:00:00Z";

fn preset_file(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/presets")
        .join(name)
        .display()
        .to_string()
}

fn report(preset: &str, input: &[&str], extra: &[&str]) -> serde_json::Value {
    let dir = tempfile::tempdir().unwrap();
    let mut args = vec![
        "report", "--preset", preset, "--period", "2026-W47", "--as-of", AS_OF, "--format", "json",
    ];
    args.extend(input);
    args.extend(extra);
    run_json(dir.path(), &args)
}

fn no_data(r: &serde_json::Value, id: &str) {
    assert!(
        row(r, id, None)["value"].is_null(),
        "{id} should have no data"
    );
}

// 1042 answered after 30 min, solved; 1043 after 120 min, open; 999 after 15 min,
// solved, reopened once; 1044 has no priority (`-`) and is rejected.
// Answered 3/3, mean (0.5 + 2 + 0.25) / 3 h, solved 2/3, reopened 1/2.
#[test]
fn zendesk() {
    let r = report("zendesk", &["--tickets", &preset_file("zendesk.csv")], &[]);
    assert_eq!(r["inputs"]["tickets"]["rejected"], 1);
    assert_eq!(r["inputs"]["tickets"]["reasons"]["priority empty"], 1);
    assert_row(&r, "tickets", None, Some(3.0), 3);
    assert_row(&r, "response_rate", None, Some(1.0), 3);
    assert_row(&r, "first_response_hours_mean", None, Some(2.75 / 3.0), 3);
    assert_row(&r, "resolution_rate", None, Some(2.0 / 3.0), 3);
    assert_row(&r, "reopen_rate", None, Some(0.5), 2);
    let by = report(
        "zendesk",
        &["--tickets", &preset_file("zendesk.csv")],
        &["--by", "channel"],
    );
    assert_row(&by, "tickets", Some(("channel", "web form")), Some(1.0), 1);
}

// The Subject is the ticket's text: `complaints` contrasts ticket types by it.
// 1042 (incident) "Late parcel" gives late, parcel and "late parcel"; the words
// have the phrase's counts and are left out for it.
#[test]
fn zendesk_subjects_feed_ticket_words() {
    let dir = tempfile::tempdir().unwrap();
    let c = run_json(
        dir.path(),
        &[
            "complaints",
            "--preset",
            "zendesk",
            "--tickets",
            &preset_file("zendesk.csv"),
            "--period",
            "2026-W47",
            "--as-of",
            AS_OF,
            "--min-count",
            "1",
            "--format",
            "json",
        ],
    );
    let categories = c["ticket_categories"].as_array().unwrap();
    let incident = categories
        .iter()
        .find(|k| k["category"] == "incident")
        .unwrap_or_else(|| panic!("{categories:?}"));
    assert_eq!(incident["tickets"], 1);
    let terms: Vec<&str> = incident["terms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["term"].as_str().unwrap())
        .collect();
    assert_eq!(terms, ["late parcel"]);
}

// 17 answered after 1 h, resolved after 4 h; 18 unanswered, open; 19 answered
// after 30 min, resolved after 24 h. Answered 2/3, mean 0.75 h; resolved 2/3 in
// a mean of 14 h. Medium is normal.
#[test]
fn freshdesk() {
    let r = report(
        "freshdesk",
        &["--tickets", &preset_file("freshdesk.csv")],
        &[],
    );
    assert_eq!(r["inputs"]["tickets"]["rejected"], 0);
    assert_row(&r, "response_rate", None, Some(2.0 / 3.0), 3);
    assert_row(&r, "first_response_hours_mean", None, Some(0.75), 2);
    assert_row(&r, "resolution_rate", None, Some(2.0 / 3.0), 3);
    assert_row(&r, "resolution_hours_mean", None, Some(14.0), 2);
    let by = report(
        "freshdesk",
        &["--tickets", &preset_file("freshdesk.csv")],
        &["--by", "priority"],
    );
    assert_row(&by, "tickets", Some(("priority", "normal")), Some(1.0), 1);
}

// Resolved after 4 h and 48 h, one open: 2/3, mean 26 h; 5 - Planning is low;
// one of the two resolved was reopened. A list export has no first response.
#[test]
fn servicenow_list() {
    let r = report(
        "servicenow",
        &["--tickets", &preset_file("servicenow.csv")],
        &[],
    );
    assert_row(&r, "resolution_rate", None, Some(2.0 / 3.0), 3);
    assert_row(&r, "resolution_hours_mean", None, Some(26.0), 2);
    assert_row(&r, "reopen_rate", None, Some(0.5), 2);
    no_data(&r, "response_rate");
    no_data(&r, "first_response_hours_mean");
    let by = report(
        "servicenow",
        &["--tickets", &preset_file("servicenow.csv")],
        &["--by", "priority"],
    );
    assert_row(&by, "tickets", Some(("priority", "low")), Some(1.0), 1);
}

// INC0000045: New at 01:23, Active at 03:16 → first response 2 h after opening at
// 01:16; its latest update resolves it. INC0000047: only New → unanswered, open.
#[test]
fn servicenow_event_log() {
    let r = report(
        "servicenow-log",
        &["--tickets", &preset_file("servicenow-log.csv")],
        &[],
    );
    assert_eq!(r["inputs"]["tickets"]["read"], 4);
    assert_eq!(r["inputs"]["tickets"]["folded_records"], 2);
    assert_row(&r, "response_rate", None, Some(0.5), 2);
    assert_row(&r, "first_response_hours_mean", None, Some(2.0), 1);
    assert_row(&r, "resolution_rate", None, Some(0.5), 2);
}

// Zammad's report: title on row 1, blank row 2, header on row 3, date-time cells,
// a footer. 31001 answered after 45 min and closed; 31002 answered after 2 h,
// open. The footer row is rejected (no creation time).
#[test]
fn zammad_xlsx() {
    use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
    let dir = tempfile::tempdir().unwrap();
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    let stamp = Format::new().set_num_format("yyyy-mm-dd hh:mm:ss");
    sheet.write_string(0, 0, "2026-11").unwrap();
    let header = [
        "#",
        "Title",
        "State",
        "Priority",
        "Group",
        "Owner",
        "Create Channel",
        "Created At",
        "Closed At",
        "First Response At",
    ];
    for (c, h) in header.iter().enumerate() {
        sheet.write_string(2, c as u16, *h).unwrap();
    }
    let tickets = [
        (
            "31001",
            "closed",
            "2 normal",
            "2026-11-16 08:00:00",
            "2026-11-16 12:00:00",
            "2026-11-16 08:45:00",
        ),
        (
            "31002",
            "open",
            "3 high",
            "2026-11-18 10:00:00",
            "",
            "2026-11-18 12:00:00",
        ),
    ];
    for (i, (number, state, priority, created, closed, first)) in tickets.iter().enumerate() {
        let r = i as u32 + 3;
        sheet.write_string(r, 0, *number).unwrap();
        sheet.write_string(r, 1, "Parcel question").unwrap();
        sheet.write_string(r, 2, *state).unwrap();
        sheet.write_string(r, 3, *priority).unwrap();
        sheet.write_string(r, 4, "Users").unwrap();
        sheet.write_string(r, 5, "Agent One").unwrap();
        sheet.write_string(r, 6, "email").unwrap();
        for (c, text) in [(7, created), (8, closed), (9, first)] {
            if !text.is_empty() {
                let t = ExcelDateTime::parse_from_str(text).unwrap();
                sheet.write_datetime_with_format(r, c, &t, &stamp).unwrap();
            }
        }
    }
    sheet.write_string(6, 0, "Timezone: UTC").unwrap();
    let path = dir.path().join("zammad.xlsx");
    book.save(&path).unwrap();
    let r = report("zammad", &["--tickets", path.to_str().unwrap()], &[]);
    assert_eq!(r["inputs"]["tickets"]["read"], 3);
    assert_eq!(r["inputs"]["tickets"]["rejected"], 1);
    assert_row(&r, "tickets", None, Some(2.0), 2);
    assert_row(&r, "first_response_hours_mean", None, Some(1.375), 2);
    assert_row(&r, "resolution_rate", None, Some(0.5), 2);
    let out = run_ok(dir.path(), &["inspect", path.to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&out).contains("preset zammad"));
}

// São Paulo time. Shipped in W47: the first three orders (16, 17 and 18 Nov).
// Delivered: the first on the promised day (a date: on time), the second a day
// late → 1/2. Ordered in W47: orders 2–5, one canceled → 1/4. No returns column:
// no data. Reviews: 4, 1, 5 (the repeated review_id is rejected) → 10/3.
#[test]
fn olist_directory() {
    let r = report(
        "olist",
        &["--data", &preset_file("olist")],
        &["--tz", "America/Sao_Paulo"],
    );
    assert_eq!(r["inputs"]["shipments"]["read"], 5);
    assert_eq!(r["inputs"]["shipments"]["rejected"], 0);
    assert_row(&r, "shipments", None, Some(3.0), 3);
    assert_row(&r, "on_time_rate", None, Some(0.5), 2);
    assert_row(&r, "cancel_rate", None, Some(0.25), 4);
    no_data(&r, "return_rate");
    no_data(&r, "exception_rate");
    assert!(r["inputs"]["shipments"]["absent_columns"]
        .to_string()
        .contains("return_requested_at"));
    assert_eq!(r["inputs"]["reviews"]["rejected"], 1);
    assert_eq!(r["inputs"]["reviews"]["reasons"]["duplicate review_id"], 1);
    assert_row(&r, "reviews", None, Some(3.0), 3);
    assert_row(&r, "rating_avg", None, Some(10.0 / 3.0), 3);
    // The tickets source is simply not there.
    assert!(r["inputs"]["tickets"]["skipped"].is_string());
    // The customer's state, joined from olist_customers_dataset.csv: the three
    // orders shipped in W47 went to SP, RJ and SP.
    let by = report(
        "olist",
        &["--data", &preset_file("olist")],
        &["--tz", "America/Sao_Paulo", "--by", "region"],
    );
    assert_row(&by, "shipments", Some(("region", "SP")), Some(2.0), 2);
    assert_row(&by, "shipments", Some(("region", "RJ")), Some(1.0), 1);
    // Without the customers file beside the orders, region has no data.
    let dir = tempfile::tempdir().unwrap();
    let orders = dir.path().join("olist_orders_dataset.csv");
    std::fs::copy(preset_file("olist/olist_orders_dataset.csv"), &orders).unwrap();
    let r = report("olist", &["--shipments", orders.to_str().unwrap()], &[]);
    assert!(r["inputs"]["shipments"]["absent_columns"]
        .to_string()
        .contains("region"));
}

// Beijing time; ids with a leading tab; `-` empty. Shipped: 17 and 18 Nov; the
// third order was closed unshipped → cancelled 1/3. No promise: on-time has no data.
#[test]
fn douyin() {
    let r = report(
        "douyin",
        &["--shipments", &preset_file("douyin.csv")],
        &["--tz", "Asia/Shanghai"],
    );
    assert_eq!(r["inputs"]["shipments"]["rejected"], 0);
    assert_row(&r, "shipments", None, Some(2.0), 2);
    assert_row(&r, "cancel_rate", None, Some(1.0 / 3.0), 3);
    no_data(&r, "on_time_rate");
    no_data(&r, "exception_rate");
    let by = report(
        "douyin",
        &["--shipments", &preset_file("douyin.csv")],
        &["--tz", "Asia/Shanghai", "--by", "region"],
    );
    assert_row(&by, "shipments", Some(("region", "浙江省")), Some(1.0), 1);
}

// Five orders on eight line-item rows (Created at repeated on every row, the
// order's own columns on its first row only). Shipped in W47: #1001 (Nov 17),
// #1003 (partial, Nov 20) and #1005 (ordered in W46, shipped Nov 16). Placed in
// W47: #1001–#1004, of which #1002 has a Cancelled at → 1/4. #1004 is unfulfilled
// and not cancelled: pending, no ship time, accepted.
#[test]
fn shopify() {
    let input = ["--shipments", &preset_file("shopify.csv")];
    let r = report("shopify", &input, &[]);
    assert_eq!(r["inputs"]["shipments"]["read"], 8);
    assert_eq!(r["inputs"]["shipments"]["folded_records"], 5);
    assert_eq!(r["inputs"]["shipments"]["rejected"], 0);
    assert_row(&r, "shipments", None, Some(3.0), 3);
    assert_row(&r, "cancel_rate", None, Some(0.25), 4);
    no_data(&r, "on_time_rate");
    no_data(&r, "delivery_hours_p50");
    no_data(&r, "refund_hours_p50");
    // Its statuses have no word for a lost parcel: no data, not 0 %.
    no_data(&r, "exception_rate");
    // The province is on the first row of each order only.
    let by = report("shopify", &input, &["--by", "region"]);
    assert_row(&by, "shipments", Some(("region", "BY")), Some(1.0), 1);
    assert_row(&by, "shipments", Some(("region", "HH")), Some(1.0), 1);
    assert_row(&by, "shipments", Some(("region", "BE")), Some(1.0), 1);
}

// GBK, CRLF, one row per refund request, Beijing time. Requested in W47: 001
// (refunded after 24 h), 002 (12 h), 003 (closed: an end time but no refund),
// 004 (waiting). 005 was requested in W46; 006 ends before its request and is
// rejected. Refunded: median of 12 and 24 = 18 h, p90 12 + 0.9 × 12 = 22.8 h.
// Kaplan–Meier over the four: 12 h → 3/4, 24 h → 1/2 (003 and 004 censored at
// 120 h and 68 h at the as-of time): median 24 h, p90 never reached.
#[test]
fn taobao_refunds() {
    let r = report(
        "taobao",
        &["--shipments", &preset_file("taobao-refunds.csv")],
        &["--tz", "Asia/Shanghai"],
    );
    assert_eq!(r["inputs"]["shipments"]["read"], 6);
    assert_eq!(r["inputs"]["shipments"]["rejected"], 1);
    assert_eq!(
        r["inputs"]["shipments"]["reasons"]["refunded_at before return_requested_at"],
        1
    );
    assert_row(&r, "return_requests", None, Some(4.0), 4);
    assert_row(&r, "refund_hours_p50", None, Some(18.0), 2);
    assert_row(&r, "refund_hours_p90", None, Some(22.8), 2);
    assert_row(&r, "refund_hours_km_p50", None, Some(24.0), 4);
    assert_row(&r, "refund_hours_km_p90", None, None, 4);
    // Refund requests are not shipments: what needs a ship time has no data.
    no_data(&r, "shipments");
    no_data(&r, "exception_rate");
    no_data(&r, "cancel_rate");
}

// Tab-separated; the report has no id, so a row is a hash of order, SKU, date
// and license plate: the repeated first row is a duplicate. Received in W47: the
// scarf (Nov 16) and two items of one order (Nov 18); the Nov 9 return is W46.
#[test]
fn amazon_returns() {
    let r = report(
        "amazon-returns",
        &["--shipments", &preset_file("amazon-returns.tsv")],
        &[],
    );
    assert_eq!(r["inputs"]["shipments"]["read"], 5);
    assert_eq!(r["inputs"]["shipments"]["rejected"], 1);
    assert_row(&r, "return_requests", None, Some(3.0), 3);
    // Its `status` column (Reimbursed, …) is not a shipment status, and it has
    // no refund time.
    no_data(&r, "exception_rate");
    no_data(&r, "refund_hours_p50");
}

// Comment fields as crawled, Beijing time, a comment with a line break and an
// emoji. W47: scores 5, 1, 3 → 3.0, one negative of three; 小米手环8 has two.
#[test]
fn jd_comments() {
    let input = ["--reviews", &preset_file("jd-comments.csv")];
    let r = report("jd", &input, &["--tz", "Asia/Shanghai"]);
    assert_eq!(r["inputs"]["reviews"]["rejected"], 0);
    assert_row(&r, "reviews", None, Some(3.0), 3);
    assert_row(&r, "rating_avg", None, Some(3.0), 3);
    assert_row(&r, "negative_rate", None, Some(1.0 / 3.0), 3);
    no_data(&r, "review_reply_hours_p50");
    let by = report("jd", &input, &["--tz", "Asia/Shanghai", "--by", "product"]);
    assert_row(&by, "reviews", Some(("product", "小米手环8")), Some(2.0), 2);
    assert_row(
        &by,
        "rating_avg",
        Some(("product", "小米手环8")),
        Some(3.0),
        2,
    );
}

// Ratings 5, 2, 4 → 11/3; by product: blue-shirt 5 and 4 → 4.5, red-hat 2; the
// one reply came 2 h after its review.
#[test]
fn judgeme() {
    let r = report("judgeme", &["--reviews", &preset_file("judgeme.csv")], &[]);
    assert_row(&r, "reviews", None, Some(3.0), 3);
    assert_row(&r, "rating_avg", None, Some(11.0 / 3.0), 3);
    assert_row(&r, "review_reply_hours_p50", None, Some(2.0), 1);
    let by = report(
        "judgeme",
        &["--reviews", &preset_file("judgeme.csv")],
        &["--by", "product"],
    );
    assert_row(
        &by,
        "rating_avg",
        Some(("product", "blue-shirt")),
        Some(4.5),
        2,
    );
    assert_row(
        &by,
        "rating_avg",
        Some(("product", "red-hat")),
        Some(2.0),
        1,
    );
}

// Stars 5 and 1 → 3.0, one negative of two; the reply 6 h after its review.
#[test]
fn trustpilot() {
    let r = report(
        "trustpilot",
        &["--reviews", &preset_file("trustpilot.csv")],
        &[],
    );
    assert_row(&r, "rating_avg", None, Some(3.0), 2);
    assert_row(&r, "negative_rate", None, Some(0.5), 2);
    assert_row(&r, "review_reply_hours_p50", None, Some(6.0), 1);
}

// A preset on another system's file names what is missing.
#[test]
fn a_preset_on_the_wrong_file_is_an_error_naming_the_column() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::cargo_bin("svcq")
        .unwrap()
        .current_dir(dir.path())
        .args(["report", "--preset", "zendesk", "--tickets"])
        .arg(preset_file("freshdesk.csv"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("freshdesk.csv") && err.contains("\"Id\" (mapped to ticket_id)"),
        "{err}"
    );
    let out = Command::cargo_bin("svcq")
        .unwrap()
        .current_dir(dir.path())
        .args(["report", "--preset", "zendeks", "--tickets"])
        .arg(preset_file("zendesk.csv"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown preset \"zendeks\""));
}

#[test]
fn inspect_names_the_preset_of_every_fixture() {
    let dir = tempfile::tempdir().unwrap();
    for (file, preset, source) in [
        ("zendesk.csv", "zendesk", "tickets"),
        ("freshdesk.csv", "freshdesk", "tickets"),
        ("servicenow.csv", "servicenow", "tickets"),
        ("servicenow-log.csv", "servicenow-log", "tickets"),
        ("olist/olist_orders_dataset.csv", "olist", "shipments"),
        ("olist/olist_order_reviews_dataset.csv", "olist", "reviews"),
        ("douyin.csv", "douyin", "shipments"),
        ("judgeme.csv", "judgeme", "reviews"),
        ("trustpilot.csv", "trustpilot", "reviews"),
        ("shopify.csv", "shopify", "shipments"),
        ("taobao-refunds.csv", "taobao", "shipments"),
        ("amazon-returns.tsv", "amazon-returns", "shipments"),
        ("jd-comments.csv", "jd", "reviews"),
    ] {
        let out = String::from_utf8(run_ok(dir.path(), &["inspect", &preset_file(file)])).unwrap();
        assert!(
            out.contains(&format!("recognised: preset {preset} ({source})")),
            "{file}: {out}"
        );
        assert!(out.contains("can feed:"), "{file}: {out}");
    }
    // What an export cannot feed, and why.
    let out = String::from_utf8(run_ok(
        dir.path(),
        &["inspect", &preset_file("olist/olist_orders_dataset.csv")],
    ))
    .unwrap();
    assert!(
        out.contains("return_rate: needs return_requested_at"),
        "{out}"
    );
    // The day-first times of the event log are found and stated.
    let out = String::from_utf8(run_ok(
        dir.path(),
        &["inspect", &preset_file("servicenow-log.csv")],
    ))
    .unwrap();
    assert!(
        out.contains("times in \"opened_at\": \"%d-%m-%Y %H:%M\""),
        "{out}"
    );
}

#[test]
fn inspect_gives_a_skeleton_for_an_unknown_export_and_writes_it() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("desk.csv"),
        "Case Number;Opened;Urgency;First Reply;Closed\n\
         C-1;03/11/2026 09:00;P1;03/11/2026 09:20;04/11/2026 10:00\n\
         C-2;13/11/2026 10:00;P3;;\n",
    )
    .unwrap();
    let out = String::from_utf8(run_ok(
        dir.path(),
        &["inspect", "desk.csv", "--write-config"],
    ))
    .unwrap();
    assert!(out.contains("unknown: no preset matches"), "{out}");
    assert!(out.contains("delimiter ';'"), "{out}");
    // 13/11 can only be day-first.
    assert!(
        out.contains("times in \"Opened\": \"%d/%m/%Y %H:%M\""),
        "{out}"
    );
    let config = std::fs::read_to_string(dir.path().join("svcq.toml")).unwrap();
    assert!(
        config.contains("[sources.tickets]") && config.contains("desk.csv\""),
        "{config}"
    );
    assert!(
        config.contains("first_response_at = \"First Reply\""),
        "{config}"
    );
    // Writing it again would map the source twice.
    let out = Command::cargo_bin("svcq")
        .unwrap()
        .current_dir(dir.path())
        .args(["inspect", "desk.csv", "--write-config"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

// A list export carrying the event log's columns, one row per incident, is a list:
// only an export that repeats its ids is folded.
#[test]
fn inspect_tells_a_list_from_an_event_log() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("list.csv"),
        "number,incident_state,active,reopen_count,opened_at,sys_updated_at,contact_type,priority,resolved_at\n\
         INC1,Closed,FALSE,0,16-11-2026 01:16,17-11-2026 08:00,Phone,3 - Moderate,16-11-2026 09:00\n\
         INC2,Active,TRUE,0,17-11-2026 10:00,17-11-2026 12:00,Email,2 - High,?\n",
    )
    .unwrap();
    let out = String::from_utf8(run_ok(dir.path(), &["inspect", "list.csv"])).unwrap();
    assert!(
        out.contains("recognised: preset servicenow (tickets)"),
        "{out}"
    );
}

// The first rows as svcq reads them: times in UTC, whether held as whole seconds
// (created_at) or with milliseconds (first_response_at); a priority alias as its
// canonical label, not its code; text without quotes.
#[test]
fn inspect_shows_the_first_rows_as_read() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("tickets.csv"),
        "ticket_id,created_at,first_response_at,resolved_at,channel,priority\n\
         7,2026-11-02T09:00:00+08:00,2026-11-02T01:30:00.250Z,,chat,P1\n",
    )
    .unwrap();
    let out = String::from_utf8(run_ok(dir.path(), &["inspect", "tickets.csv"])).unwrap();
    let row = out
        .lines()
        .find(|l| l.contains("2026-11-02T01:00:00Z"))
        .unwrap_or_else(|| panic!("{out}"));
    let cells: Vec<&str> = row
        .split(['│', '┆'])
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect();
    assert_eq!(
        cells,
        [
            "7",
            "2026-11-02T01:00:00Z",
            "2026-11-02T01:30:00.250Z",
            "chat",
            "urgent"
        ],
        "{out}"
    );
}

// Judge.me has no review id: the id is a hash of the review's date, reviewer and
// product, so a second export holding one old and one new review adds one.
#[test]
fn judgeme_exports_merge_in_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    let header = "title,body,rating,review_date,source,curated,reviewer_name,reviewer_email,product_id,product_handle,reply,reply_date,picture_urls,ip_address,location\n";
    std::fs::write(
        p.join("second.csv"),
        format!(
            "{header}Too small,\"Runs small, returned\",2,2026-11-18 09:00:00 UTC,email,ok,Bob,bob@example.com,102,red-hat,,,,,\n\
             New,Nice,5,2026-11-20 09:00:00 UTC,web,ok,Di,di@example.com,103,cap,,,,,\n"
        ),
    )
    .unwrap();
    for file in [preset_file("judgeme.csv"), "second.csv".to_string()] {
        run_ok(
            p,
            &[
                "ingest",
                "--preset",
                "judgeme",
                "--reviews",
                &file,
                "--rejects",
                "rj",
            ],
        );
    }
    let r = run_json(
        p,
        &[
            "report", "--store", ".svcq", "--period", "2026-W47", "--as-of", AS_OF, "--format",
            "json",
        ],
    );
    assert_row(&r, "reviews", None, Some(4.0), 4);
}

// A join the user asked for must be there and unambiguous: exit 2 naming the file.
#[test]
fn join_mistakes_are_errors_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        preset_file("olist/olist_orders_dataset.csv"),
        dir.path().join("orders.csv"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("svcq.toml"),
        "[sources.shipments]\npath = \"orders.csv\"\ntimestamp_formats = [\"%Y-%m-%d 00:00:00\"]\n\
         [sources.shipments.columns]\nstatus = \"order_status\"\nshipped_at = \"order_delivered_carrier_date\"\n\
         promised_at = \"order_estimated_delivery_date\"\nregion = \"customer_state\"\n\
         [sources.shipments.values.status]\nshipped = \"in_transit\"\ncanceled = \"cancelled\"\ninvoiced = \"pending\"\n\
         [sources.shipments.join]\nfile = \"customers.csv\"\non = \"customer_id\"\ncolumns = [\"customer_state\"]\n",
    )
    .unwrap();
    let fails = |needle: &str| {
        let out = Command::cargo_bin("svcq")
            .unwrap()
            .current_dir(dir.path())
            .args(["validate"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(err.contains(needle), "{err}");
    };
    fails("customers.csv");
    std::fs::write(
        dir.path().join("customers.csv"),
        "customer_id,customer_state\n9ef432eb6251297304e76186b10a928d,SP\n9ef432eb6251297304e76186b10a928d,RJ\n",
    )
    .unwrap();
    fails("customer_id \"9ef432eb6251297304e76186b10a928d\" appears twice with different values");
    std::fs::write(
        dir.path().join("customers.csv"),
        "customer_id,state\n9ef432eb6251297304e76186b10a928d,SP\n",
    )
    .unwrap();
    fails("has no column `customer_state`; found: customer_id, state");
}

// A field read only under a condition is still required when the contract says so:
// a row whose condition fails has no id, and is rejected, not a crash.
#[test]
fn a_conditional_required_field_rejects_the_row_that_lacks_it() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("t.csv"),
        "id,type,opened,prio,via\n1,incident,2026-11-17 10:00,high,web\n2,request,2026-11-17 11:00,low,web\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("svcq.toml"),
        "[sources.tickets]\npath = \"t.csv\"\n[sources.tickets.columns]\n\
         ticket_id = { column = \"id\", when = { column = \"type\", in = [\"incident\"] } }\n\
         created_at = \"opened\"\npriority = \"prio\"\nchannel = \"via\"\n",
    )
    .unwrap();
    let r = run_json(dir.path(), &["validate", "--format", "json"]);
    assert_eq!(r["inputs"]["tickets"]["read"], 2, "{r}");
    assert_eq!(r["inputs"]["tickets"]["rejected"], 1, "{r}");
    assert_eq!(
        r["inputs"]["tickets"]["reasons"]["ticket_id empty"], 1,
        "{r}"
    );
}

// Shopify exports whose user left `Cancelled at` out still read the fulfilment
// status; a user's own join on a preset must find its file.
#[test]
fn a_preset_condition_falls_back_to_its_otherwise_column() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(preset_file("shopify.csv")).unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header = reader.headers().unwrap().clone();
    let drop = header.iter().position(|h| h == "Cancelled at").unwrap();
    let mut writer = csv::Writer::from_path(dir.path().join("orders.csv")).unwrap();
    let keep = |r: &csv::StringRecord| {
        r.iter()
            .enumerate()
            .filter(|(i, _)| *i != drop)
            .map(|(_, f)| f.to_string())
            .collect::<Vec<_>>()
    };
    writer.write_record(keep(&header)).unwrap();
    for record in reader.records() {
        writer.write_record(keep(&record.unwrap())).unwrap();
    }
    writer.flush().unwrap();
    let r = report(
        "shopify",
        &[
            "--shipments",
            dir.path().join("orders.csv").to_str().unwrap(),
        ],
        &[],
    );
    // #1002's cancellation is gone with its column: unfulfilled → pending, 0 of 4.
    assert_row(&r, "cancel_rate", None, Some(0.0), 4);
    assert_row(&r, "shipments", None, Some(3.0), 3);
    std::fs::copy(
        preset_file("olist/olist_orders_dataset.csv"),
        dir.path().join("olist_orders_dataset.csv"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("svcq.toml"),
        "[sources.shipments]\npreset = \"olist\"\npath = \"olist_orders_dataset.csv\"\n\
         [sources.shipments.join]\nfile = \"customers.csv\"\non = \"customer_id\"\ncolumns = [\"customer_state\"]\n",
    )
    .unwrap();
    let out = Command::cargo_bin("svcq")
        .unwrap()
        .current_dir(dir.path())
        .arg("validate")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("customers.csv"));
}
