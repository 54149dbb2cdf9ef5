//! Real export shapes that need more than a column map: an event log folded into
//! tickets (ServiceNow), an xlsx workbook with date cells (an Olist-style orders
//! sheet), monthly files read as one export through a glob with a duration column
//! (Zendesk), and joined text columns. Expected values worked out by hand from the
//! rows written in each test.

use std::path::Path;

use common::{assert_row, run_json};
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};

mod common;

fn write(dir: &Path, name: &str, text: &str) {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

const AS_OF: &str = "2026-11-23T00:00:00Z";

fn report(dir: &Path, extra: &[&str]) -> serde_json::Value {
    let mut args = vec![
        "report", "--format", "json", "--period", "2026-W47", "--as-of", AS_OF,
    ];
    args.extend(extra);
    run_json(dir, &args)
}

// A ServiceNow incident event log: one row per update, CRLF, `?` for empty,
// day-first times, rows in no order. Folded by the mapping:
// - INC0000045 opened 16-11 01:16; first update not New: Active at 02:16 → 1.0 h;
//   its latest update (Closed) carries resolved_at → resolved, 0 reopens.
// - INC0000047 opened 17-11 10:00; Awaiting User Info at 12:00 → 2.0 h; resolved,
//   reopened (reopen_count 1), resolved again at 20-11 10:00 → resolved, 1 reopen.
// - INC0000050 opened 18-11 08:00; Resolved at 09:00 → 1.0 h; reopened at 10:00
//   and not resolved again: the latest update wins → open. One more row of it has
//   31-02 as its update time → that row alone is rejected.
// - INC0000051 opened 19-11 10:00 with an update at 09:30 → first response before
//   creation once folded → both its rows are rejected.
// Tickets 3; answered 3/3; mean (1 + 2 + 1) / 3 h; resolved 2/3; reopened 1/2.
// Rows 15 = 12 accepted (folded into 3 tickets) + 3 rejected.
#[test]
fn servicenow_event_log_folds_into_tickets() {
    let dir = tempfile::tempdir().unwrap();
    let header = "number,incident_state,active,reopen_count,opened_at,sys_updated_at,contact_type,priority,resolved_at,closed_at";
    let rows = [
        "INC0000047,Resolved,TRUE,1,17-11-2026 10:00,20-11-2026 10:00,Email,2 - High,20-11-2026 10:00,?",
        "INC0000045,Closed,FALSE,0,16-11-2026 01:16,21-11-2026 12:00,Phone,3 - Moderate,16-11-2026 08:53,21-11-2026 12:00",
        "INC0000050,Active,TRUE,1,18-11-2026 08:00,18-11-2026 10:00,Phone,1 - Critical,?,?",
        "INC0000045,New,TRUE,0,16-11-2026 01:16,16-11-2026 01:23,Phone,3 - Moderate,?,?",
        "INC0000051,Active,TRUE,0,19-11-2026 10:00,19-11-2026 09:30,Phone,3 - Moderate,?,?",
        "INC0000047,New,TRUE,0,17-11-2026 10:00,17-11-2026 10:05,Email,2 - High,?,?",
        "INC0000045,Active,TRUE,0,16-11-2026 01:16,16-11-2026 02:16,Phone,3 - Moderate,?,?",
        "INC0000050,Closed,FALSE,1,18-11-2026 08:00,31-02-2026 10:00,Phone,1 - Critical,?,?",
        "INC0000047,Awaiting User Info,TRUE,0,17-11-2026 10:00,17-11-2026 12:00,Email,2 - High,?,?",
        "INC0000050,New,TRUE,0,18-11-2026 08:00,18-11-2026 08:10,Phone,1 - Critical,?,?",
        "INC0000047,Resolved,TRUE,0,17-11-2026 10:00,18-11-2026 10:00,Email,2 - High,18-11-2026 10:00,?",
        "INC0000051,Resolved,TRUE,0,19-11-2026 10:00,19-11-2026 11:00,Phone,3 - Moderate,19-11-2026 11:00,?",
        "INC0000045,Resolved,TRUE,0,16-11-2026 01:16,16-11-2026 08:53,Phone,3 - Moderate,16-11-2026 08:53,?",
        "INC0000050,Resolved,TRUE,0,18-11-2026 08:00,18-11-2026 09:00,Phone,1 - Critical,18-11-2026 09:00,?",
        "INC0000047,Active,TRUE,1,17-11-2026 10:00,19-11-2026 09:00,Email,2 - High,?,?",
    ];
    let text = std::iter::once(header)
        .chain(rows)
        .map(|l| format!("{l}\r\n"))
        .collect::<String>();
    write(dir.path(), "incident_event_log.csv", &text);
    write(
        dir.path(),
        "svcq.toml",
        r#"
[sources.tickets]
path = "incident_event_log.csv"
timestamp_formats = ["%d-%m-%Y %H:%M"]
null = ["?"]
[sources.tickets.columns]
ticket_id = "number"
created_at = "opened_at"
channel = "contact_type"
reopens = "reopen_count"
[sources.tickets.values.priority]
"1 - Critical" = "urgent"
"2 - High" = "high"
"3 - Moderate" = "normal"
"4 - Low" = "low"
[sources.tickets.fold]
order_by = "sys_updated_at"
max = ["reopens"]
first_response_at = { column = "incident_state", not_in = ["New"] }
"#,
    );
    let r = report(dir.path(), &["--rejects", "out"]);
    let inputs = &r["inputs"]["tickets"];
    assert_eq!(inputs["read"], 15);
    assert_eq!(inputs["accepted"], 12);
    assert_eq!(inputs["rejected"], 3);
    assert_eq!(inputs["folded_records"], 3);
    assert_eq!(inputs["reasons"]["fold.order_by not a timestamp"], 1);
    assert_eq!(inputs["reasons"]["first_response_at before created_at"], 2);
    assert_row(&r, "tickets", None, Some(3.0), 3);
    assert_row(&r, "response_rate", None, Some(1.0), 3);
    assert_row(&r, "first_response_hours_mean", None, Some(4.0 / 3.0), 3);
    assert_row(&r, "resolution_rate", None, Some(2.0 / 3.0), 3);
    assert_row(&r, "reopen_rate", None, Some(0.5), 2);
    // The bad update is line 9 (header, then the 8th row); INC0000051's rows are
    // lines 6 and 13. Rejects in file order.
    let rejects = std::fs::read_to_string(dir.path().join("out/tickets.rejects.csv")).unwrap();
    let lines: Vec<&str> = rejects
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap())
        .collect();
    assert_eq!(lines, ["6", "9", "13"]);
    assert!(rejects.contains("folded from 2 rows"));
    let by = report(dir.path(), &["--by", "priority", "--rejects", "out"]);
    assert_row(
        &by,
        "resolution_rate",
        Some(("priority", "urgent")),
        Some(0.0),
        1,
    );
    assert_row(
        &by,
        "resolution_rate",
        Some(("priority", "high")),
        Some(1.0),
        1,
    );
}

// An orders workbook: a notes sheet first, the orders on the sheet named in the
// mapping; ids as number cells, times as date-time cells, the promise as a date
// cell (the end of that day). W47 ships:
// - 1001 shipped 16-11 10:00, promised 18-11, delivered 18-11 15:00 → on time
//   (a date-only promise lasts the whole day);
// - 1002 shipped 17-11 09:00, promised 19-11, delivered 20-11 08:00 → late;
// - 1004 shipped 18-11 09:00, promised 21-11, not delivered.
// 1003 was ordered 17-11 and canceled: not shipped. On time 1/2 delivered;
// ordered in W47: 1002, 1003, 1004 (1001 was ordered on 15-11) → cancelled 1/3.
#[test]
fn xlsx_workbook_with_date_cells() {
    let dir = tempfile::tempdir().unwrap();
    let mut book = Workbook::new();
    book.add_worksheet()
        .set_name("Notes")
        .unwrap()
        .write_string(0, 0, "exported by the shop's back office")
        .unwrap();
    let sheet = book.add_worksheet().set_name("Orders").unwrap();
    let stamp = Format::new().set_num_format("yyyy-mm-dd hh:mm");
    let day = Format::new().set_num_format("yyyy-mm-dd");
    let header = [
        "order_id",
        "order_status",
        "order_purchase_timestamp",
        "order_delivered_carrier_date",
        "order_estimated_delivery_date",
        "order_delivered_customer_date",
        "carrier",
    ];
    for (c, h) in header.iter().enumerate() {
        sheet.write_string(0, c as u16, *h).unwrap();
    }
    let orders: [(f64, &str, &str, &str, &str, &str); 4] = [
        (
            1001.0,
            "delivered",
            "2026-11-15 20:00",
            "2026-11-16 10:00",
            "2026-11-18",
            "2026-11-18 15:00",
        ),
        (
            1002.0,
            "delivered",
            "2026-11-16 12:00",
            "2026-11-17 09:00",
            "2026-11-19",
            "2026-11-20 08:00",
        ),
        (1003.0, "canceled", "2026-11-17 12:00", "", "", ""),
        (
            1004.0,
            "shipped",
            "2026-11-17 18:00",
            "2026-11-18 09:00",
            "2026-11-21",
            "",
        ),
    ];
    for (r, (id, status, ordered, shipped, promised, delivered)) in orders.iter().enumerate() {
        let r = r as u32 + 1;
        sheet.write_number(r, 0, *id).unwrap();
        sheet.write_string(r, 1, *status).unwrap();
        for (c, text, format) in [
            (2, ordered, &stamp),
            (3, shipped, &stamp),
            (4, promised, &day),
            (5, delivered, &stamp),
        ] {
            if !text.is_empty() {
                let t = ExcelDateTime::parse_from_str(text).unwrap();
                sheet.write_datetime_with_format(r, c, &t, format).unwrap();
            }
        }
        sheet.write_string(r, 6, "Correios").unwrap();
    }
    book.save(dir.path().join("orders.xlsx")).unwrap();
    write(
        dir.path(),
        "svcq.toml",
        r#"
[sources.shipments]
sheet = "Orders"
[sources.shipments.columns]
status = "order_status"
ordered_at = "order_purchase_timestamp"
shipped_at = "order_delivered_carrier_date"
promised_at = "order_estimated_delivery_date"
delivered_at = "order_delivered_customer_date"
[sources.shipments.values.status]
delivered = "delivered"
shipped = "in_transit"
canceled = "cancelled"
"#,
    );
    let r = report(
        dir.path(),
        &["--shipments", "orders.xlsx", "--rejects", "out"],
    );
    let inputs = &r["inputs"]["shipments"];
    assert_eq!(inputs["read"], 4);
    assert_eq!(inputs["rejected"], 0, "{inputs}");
    assert_row(&r, "shipments", None, Some(3.0), 3);
    assert_row(&r, "on_time_rate", None, Some(0.5), 2);
    assert_row(&r, "cancel_rate", None, Some(1.0 / 3.0), 3);
    // The id cells read as the text an export holds: 1001, not 1001.0.
    let by = report(
        dir.path(),
        &[
            "--shipments",
            "orders.xlsx",
            "--by",
            "carrier",
            "--rejects",
            "out",
        ],
    );
    assert_row(
        &by,
        "shipments",
        Some(("carrier", "Correios")),
        Some(3.0),
        3,
    );
    // A sheet that is not there names the ones that are.
    let out = assert_cmd::Command::cargo_bin("svcq")
        .unwrap()
        .current_dir(dir.path())
        .args(["report", "--shipments", "orders.xlsx", "--rejects", "out"])
        .arg("--targets")
        .arg(write_config(
            dir.path(),
            "[sources.shipments]\nsheet = \"Sheet9\"\n",
        ))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no sheet \"Sheet9\"") && err.contains("Notes, Orders"),
        "{err}"
    );
}

fn write_config(dir: &Path, text: &str) -> String {
    let path = dir.join("other.toml");
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

// Zendesk-style monthly exports matched by a glob, the first reply given in
// minutes after creation. October's file holds 7 (W44); November's 8 (W47,
// 90 min), 9 (W47, no reply yet) and 7 again, re-exported with its creation
// moved into W47 and a 5-minute reply: the newest file wins, so October's row is
// rejected, and the rejects file names the file.
// W47: 3 tickets, answered 2/3, mean (1.5 + 5/60) / 2 h.
#[test]
fn monthly_files_through_a_glob_with_a_duration_column() {
    let dir = tempfile::tempdir().unwrap();
    let header = "Id,Created at,Priority,Via,First reply time in minutes,Solved at\n";
    write(
        dir.path(),
        "exports/tickets-2026-10.csv",
        &format!("{header}7,2026-10-27 09:00,Normal,Mail,30,2026-10-28 09:00\n"),
    );
    write(
        dir.path(),
        "exports/tickets-2026-11.csv",
        &format!(
            "{header}8,2026-11-17 09:00,High,Web form,90,\n\
             9,2026-11-18 09:00,Normal,Mail,,\n\
             7,2026-11-18 10:00,Normal,Mail,5,\n"
        ),
    );
    write(
        dir.path(),
        "svcq.toml",
        r#"
[sources.tickets]
path = "exports/tickets-*.csv"
[sources.tickets.columns]
ticket_id = "Id"
created_at = "Created at"
priority = "Priority"
channel = "Via"
resolved_at = "Solved at"
first_response_at = { duration = "First reply time in minutes", unit = "minutes" }
"#,
    );
    let r = report(dir.path(), &["--rejects", "out"]);
    let inputs = &r["inputs"]["tickets"];
    assert_eq!(inputs["read"], 4);
    assert_eq!(inputs["accepted"], 3);
    assert_eq!(inputs["reasons"]["duplicate ticket_id"], 1);
    assert_row(&r, "tickets", None, Some(3.0), 3);
    assert_row(&r, "response_rate", None, Some(2.0 / 3.0), 3);
    assert_row(
        &r,
        "first_response_hours_mean",
        None,
        Some((1.5 + 5.0 / 60.0) / 2.0),
        2,
    );
    let rejects = std::fs::read_to_string(dir.path().join("out/tickets.rejects.csv")).unwrap();
    let mut lines = rejects.lines();
    assert!(lines.next().unwrap().starts_with("svcq_file,svcq_line,"));
    let reject = lines.next().unwrap();
    assert!(
        reject.contains("tickets-2026-10.csv,2,ticket_id,"),
        "{reject}"
    );
    // A glob that matches nothing is an error naming it.
    let out = assert_cmd::Command::cargo_bin("svcq")
        .unwrap()
        .current_dir(dir.path())
        .args([
            "report",
            "--tickets",
            "exports/nothing-*.csv",
            "--rejects",
            "out",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nothing-*.csv: no file matches"));
    // Files of one export must share their header.
    write(
        dir.path(),
        "exports/tickets-2026-12.csv",
        "Id,Created at,Priority,Via,First reply time in minutes,Solved at,Satisfaction\n10,2026-12-01 09:00,Low,Mail,,,Good\n",
    );
    let out = assert_cmd::Command::cargo_bin("svcq")
        .unwrap()
        .current_dir(dir.path())
        .args(["report", "--rejects", "out"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("its header differs from") && err.contains("tickets-2026-12.csv"),
        "{err}"
    );
}

// Olist-style reviews: the title and the message joined as the review's text;
// a review with neither has no text. Read through the library to see the column.
#[test]
fn joined_text_columns() {
    use svcq::source::load::Keep;
    use svcq::source::mapping::{parse, MappingSpec};
    use svcq::source::read::read_source;
    use svcq::source::Source;
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "reviews.csv",
        "review_id,review_score,review_comment_title,review_comment_message,review_creation_date\n\
         a1,5,Ótimo,chegou antes do prazo,2026-11-17 00:00:00\n\
         a2,1,,produto errado,2026-11-18 00:00:00\n\
         a3,4,,,2026-11-18 00:00:00\n",
    );
    let specs: std::collections::BTreeMap<String, MappingSpec> = toml::from_str(
        "[reviews.columns]\nrating = \"review_score\"\ncreated_at = \"review_creation_date\"\n\
         text = [\"review_comment_title\", \"review_comment_message\"]\n",
    )
    .unwrap();
    let mappings = parse(specs, None).unwrap();
    let data = read_source(
        &dir.path().join("reviews.csv"),
        Source::Reviews,
        chrono_tz::Tz::UTC,
        &Keep::All,
        &mappings[&Source::Reviews],
    )
    .unwrap();
    let text: Vec<Option<String>> = data
        .frame
        .column("text")
        .unwrap()
        .str()
        .unwrap()
        .iter()
        .map(|t| t.map(str::to_string))
        .collect();
    assert_eq!(
        text,
        [
            Some("Ótimo chegou antes do prazo".to_string()),
            Some("produto errado".to_string()),
            None
        ]
    );
    assert!(!data.stats.absent_columns.contains(&"text".to_string()));
}

// Reviews split by a dimension the export carries (Olist's product category) and,
// when it does not, left out with a note rather than shown as one "(none)" group.
// W47: cama_mesa_banho 5 and 4 → 4.5 (n 2); informatica 1 → 1.0 (n 1).
#[test]
fn reviews_split_by_category_and_not_by_a_missing_column() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "reviews.csv",
        "review_id,review_score,review_creation_date,product_category_name\n\
         a1,5,2026-11-17 00:00:00,cama_mesa_banho\n\
         a2,1,2026-11-18 00:00:00,informatica\n\
         a3,4,2026-11-19 00:00:00,cama_mesa_banho\n",
    );
    write(
        dir.path(),
        "svcq.toml",
        "[sources.reviews.columns]\nrating = \"review_score\"\ncreated_at = \"review_creation_date\"\n\
         category = \"product_category_name\"\n",
    );
    let r = report(
        dir.path(),
        &["--data", ".", "--by", "category", "--rejects", "out"],
    );
    assert_row(
        &r,
        "rating_avg",
        Some(("category", "cama_mesa_banho")),
        Some(4.5),
        2,
    );
    assert_row(
        &r,
        "rating_avg",
        Some(("category", "informatica")),
        Some(1.0),
        1,
    );
    let r = report(
        dir.path(),
        &["--data", ".", "--by", "product", "--rejects", "out"],
    );
    assert!(
        r["metrics"].as_array().unwrap().is_empty(),
        "{}",
        r["metrics"]
    );
    let notes = r["notes"].to_string();
    assert!(notes.contains("the reviews data has no product"), "{notes}");
}
