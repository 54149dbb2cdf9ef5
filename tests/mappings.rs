//! Real export shapes read through `[sources.*]` mappings: GBK with Chinese
//! headers, UTF-16 tab-separated (Excel "Unicode text"), `;`-separated day-first
//! with `?` for empty and ServiceNow's priority labels. Expected values worked out
//! by hand from the rows written in each test.

use std::path::Path;

use assert_cmd::Command;
use common::{assert_row, row, run_json};

mod common;

fn write(dir: &Path, name: &str, bytes: &[u8]) {
    std::fs::write(dir.join(name), bytes).unwrap();
}

fn report(dir: &Path, args: &[&str]) -> serde_json::Value {
    let mut all = vec!["report", "--format", "json"];
    all.extend(args);
    run_json(dir, &all)
}

// A Chinese help desk's export in GBK with Chinese headers, CRLF, unpadded hours
// and `?` for empty, times in Shanghai. W47 holds all three tickets: 1001 answered
// after 30 min, 998 after 2 h, 1002 not at all → response 2/3, mean 1.25 h; 1001
// resolved → 1/3.
#[test]
fn gbk_export_with_chinese_headers() {
    let dir = tempfile::tempdir().unwrap();
    let text = "工单编号,创建时间,首次响应时间,解决时间,渠道,优先级\r\n\
                1001,2026/11/16 9:00,2026/11/16 9:30,2026/11/17 9:00,在线客服,紧急\r\n\
                998,2026/11/17 10:00,2026/11/17 12:00,,电话,普通\r\n\
                1002,2026/11/18 8:00,?,?,在线客服,普通\r\n";
    let (gbk, _, unmappable) = encoding_rs::GBK.encode(text);
    assert!(!unmappable);
    write(dir.path(), "tickets.csv", &gbk);
    write(
        dir.path(),
        "svcq.toml",
        "timezone = \"Asia/Shanghai\"\n\
         [sources.tickets]\n\
         timestamp_formats = [\"%Y/%m/%d %H:%M\"]\n\
         null = [\"?\"]\n\
         [sources.tickets.columns]\n\
         ticket_id = \"工单编号\"\ncreated_at = \"创建时间\"\nfirst_response_at = \"首次响应时间\"\n\
         resolved_at = \"解决时间\"\nchannel = \"渠道\"\npriority = \"优先级\"\n\
         [sources.tickets.values.priority]\n\"紧急\" = \"urgent\"\n\"普通\" = \"normal\"\n"
            .as_bytes(),
    );
    let r = report(
        dir.path(),
        &[
            "--data",
            ".",
            "--period",
            "2026-W47",
            "--as-of",
            "2026-11-23T00:00:00+08:00",
        ],
    );
    assert_eq!(r["inputs"]["tickets"]["encoding"], "gb18030");
    assert_eq!(r["inputs"]["tickets"]["rejected"], 0);
    assert_row(&r, "tickets", None, Some(3.0), 3);
    assert_row(&r, "response_rate", None, Some(2.0 / 3.0), 3);
    assert_row(&r, "first_response_hours_mean", None, Some(1.25), 2);
    assert_row(&r, "resolution_rate", None, Some(1.0 / 3.0), 3);
    let by = report(
        dir.path(),
        &[
            "--data",
            ".",
            "--period",
            "2026-W47",
            "--as-of",
            "2026-11-23T00:00:00+08:00",
            "--by",
            "channel",
        ],
    );
    assert_row(&by, "tickets", Some(("channel", "在线客服")), Some(2.0), 2);
}

// Trustpilot-like reviews saved by Excel as "Unicode text": UTF-16 LE with a BOM,
// tab-separated. Replies after 4 h and 24 h: p50 14 h, n 2; ratings 5, 1, 4 → 10/3.
#[test]
fn utf16_tab_separated_export() {
    let dir = tempfile::tempdir().unwrap();
    let text = "Review Id\tReview Created (UTC)\tReview Stars\tBusiness Reply Date\r\n\
                5f2a\t2026-11-16T10:00:00Z\t5\t2026-11-16T14:00:00Z\r\n\
                5f2b\t2026-11-17T10:00:00Z\t1\t\r\n\
                5f2c\t2026-11-18T09:00:00Z\t4\t2026-11-19T09:00:00Z\r\n";
    let mut bytes = vec![0xFF, 0xFE];
    for unit in text.encode_utf16() {
        bytes.extend(unit.to_le_bytes());
    }
    write(dir.path(), "reviews.csv", &bytes);
    write(
        dir.path(),
        "svcq.toml",
        b"[sources.reviews.columns]\nreview_id = \"Review Id\"\n\
          created_at = \"Review Created (UTC)\"\nrating = \"Review Stars\"\n\
          replied_at = \"Business Reply Date\"\n",
    );
    let r = report(
        dir.path(),
        &[
            "--data",
            ".",
            "--period",
            "2026-W47",
            "--as-of",
            "2026-11-23T00:00:00Z",
        ],
    );
    assert_eq!(r["inputs"]["reviews"]["encoding"], "UTF-16LE");
    assert_row(&r, "reviews", None, Some(3.0), 3);
    assert_row(&r, "rating_avg", None, Some(10.0 / 3.0), 3);
    assert_row(&r, "review_reply_hours_p50", None, Some(14.0), 2);
}

/// A ServiceNow-like incident export: `;`-separated (sniffed), day-first dates, `?`
/// for empty, labelled priorities.
const INCIDENTS: &str = "number;opened_at;first_response;resolved_at;contact_type;priority\r\n\
    INC001;29-02-2016 01:16;29-02-2016 02:16;?;Phone;1 - Critical\r\n\
    INC002;01-03-2016 10:00;01-03-2016 10:30;02-03-2016 10:00;Email;3 - Moderate\r\n\
    INC003;02-03-2016 09:00;?;?;Phone;4 - Low\r\n";

const INCIDENT_MAPPING: &str = "[sources.tickets]\n\
    timestamp_formats = [\"%d-%m-%Y %H:%M\"]\n\
    null = [\"?\"]\n\
    [sources.tickets.columns]\n\
    ticket_id = \"number\"\ncreated_at = \"opened_at\"\nfirst_response_at = \"first_response\"\n\
    channel = \"contact_type\"\n\
    [sources.tickets.values.priority]\n\
    \"1 - Critical\" = \"urgent\"\n\"2 - High\" = \"high\"\n\"3 - Moderate\" = \"normal\"\n\
    \"4 - Low\" = \"low\"\n";

// 2016-W09 (29 Feb – 6 Mar 2016; day-first, so 01-03 is 1 March, not 3 January):
// INC001 answered after 1 h, INC002 after 30 min and resolved after 24 h, INC003
// neither → tickets 3, response 2/3, mean 0.75 h, resolution 1/3.
#[test]
fn semicolon_day_first_export_with_labels() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "tickets.csv", INCIDENTS.as_bytes());
    write(dir.path(), "svcq.toml", INCIDENT_MAPPING.as_bytes());
    let r = report(
        dir.path(),
        &[
            "--data",
            ".",
            "--period",
            "2016-W09",
            "--as-of",
            "2016-03-07T00:00:00Z",
        ],
    );
    assert_eq!(r["inputs"]["tickets"]["rejected"], 0);
    assert_row(&r, "tickets", None, Some(3.0), 3);
    assert_row(&r, "response_rate", None, Some(2.0 / 3.0), 3);
    assert_row(&r, "first_response_hours_mean", None, Some(0.75), 2);
    assert_row(&r, "resolution_rate", None, Some(1.0 / 3.0), 3);
    // Priorities came through the value map: INC001 is urgent.
    let by = report(
        dir.path(),
        &[
            "--data",
            ".",
            "--period",
            "2016-W09",
            "--as-of",
            "2016-03-07T00:00:00Z",
            "--by",
            "priority",
        ],
    );
    assert_eq!(
        row(&by, "tickets", Some(("priority", "urgent")))["value"],
        1.0
    );
}

/// Runs `svcq validate` in `dir` and returns (exit code, stderr).
fn validate(dir: &Path) -> (i32, String) {
    let out = Command::cargo_bin("svcq")
        .unwrap()
        .current_dir(dir)
        .args(["validate", "--data", "."])
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

// A mapping mistake is exit 2 naming the file, the column and the valid choices —
// not a run full of rejects.
#[test]
fn mapping_mistakes_are_errors_that_name_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "tickets.csv", INCIDENTS.as_bytes());
    let mistake = |from: &str, to: &str| {
        assert!(INCIDENT_MAPPING.contains(from), "{from}");
        write(
            dir.path(),
            "svcq.toml",
            INCIDENT_MAPPING.replace(from, to).as_bytes(),
        );
        validate(dir.path())
    };
    let (code, err) = mistake("ticket_id = \"number\"", "ticket_id = \"numero\"");
    assert_eq!(code, 2);
    assert!(
        err.contains("tickets.csv: column \"numero\" (mapped to ticket_id) is not in the header; found columns: number, opened_at"),
        "{err}"
    );
    let (code, err) = mistake("ticket_id = \"number\"", "ticket = \"number\"");
    assert_eq!(code, 2);
    assert!(
        err.contains("\"ticket\" is not a tickets field; valid: ticket_id"),
        "{err}"
    );
    let (code, err) = mistake("\"4 - Low\" = \"low\"\n", "");
    assert_eq!(code, 2);
    assert!(
        err.contains("the value map leaves labels unmapped: priority \"4 - Low\""),
        "{err}"
    );
}
