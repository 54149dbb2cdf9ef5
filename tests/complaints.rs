//! `svcq complaints`, the aspect metrics and the complaints chart on
//! tests/fixtures/complaints/, with values worked out by hand (docs/complaints.md).
//!
//! reviews.csv (CRLF, +08:00 offsets), week 2026-W47 in Asia/Shanghai:
//!   R1 1★ 物流太慢了                      → 物流, 慢
//!   R2 2★ Delivery was slow, support never replied
//!                                         → delivery, slow, support, replied, never replied
//!   R3 1★ 物流慢，客服不回复              → 物流, 慢, 客服, 回复, 不回复
//!   R4 1★ (no text)    R5 2★ 😡😡 (a text without terms)
//!   R6 5★ Fast delivery, great support    → fast, delivery, fast delivery, great, support, great support
//!   R7 4★ 物流很快                        → 物流, 快
//!   R8 5★ Great!                          → great
//!   R9 3★ 一般                            → 一般 (background only)
//! and in 2026-W46: R10 1★ 物流太慢 (物流, 慢), R11 2★ Bad quality.
//!
//! Counts are reviews using a term. Negative (R1–R3): n_a = 12; positive (R6–R8):
//! n_b = 9; the prior is every review with terms: α_0 = 22, α(物流) = 3, α(慢) = 2,
//! α(great) = 2, α(slow) = 1.
//!   慢:    ln(4/30) − ln(2/29) = ln(29/15),     σ² = 1/4 + 1/2 → z = ln(29/15) / √0.75
//!   slow:  ln(2/32) − ln(1/30) = ln(15/8),      σ² = 1/2 + 1   → z = ln(15/8) / √1.5
//!   物流:  ln(5/29) − ln(4/27) = ln(135/116),   σ² = 1/5 + 1/4 → z = ln(135/116) / √0.45
//!   great: ln(2/32) − ln(4/27) = ln(27/64),     σ² = 1/2 + 1/4 → z = ln(27/64) / √0.75

use assert_cmd::Command;
use common::{assert_row, fixture, run_json};
use serde_json::Value;

mod common;

fn complaints(extra: &[&str]) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let reviews = fixture("complaints/reviews.csv");
    let mut args = vec![
        "complaints",
        "--reviews",
        &reviews,
        "--tz",
        "Asia/Shanghai",
        "--period",
        "2026-W47",
        "--format",
        "json",
    ];
    args.extend(extra);
    run_json(dir.path(), &args)
}

fn terms(list: &Value) -> Vec<(String, f64, u64, u64)> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["term"].as_str().unwrap().to_string(),
                t["z"].as_f64().unwrap(),
                t["negative"].as_u64().unwrap(),
                t["positive"].as_u64().unwrap(),
            )
        })
        .collect()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

#[test]
fn complaint_terms_are_ranked_by_hand_worked_z_scores() {
    let c = complaints(&["--min-count", "1"]);
    let whole = &c["groups"][0];
    assert!(whole["group"].is_null());
    let got = terms(&whole["complaints"]);
    let z_slow = (15.0_f64 / 8.0).ln() / 1.5_f64.sqrt();
    // "replied" is left out: the phrase "never replied" has its counts. Ties by term.
    let want = [
        ("慢", (29.0_f64 / 15.0).ln() / 0.75_f64.sqrt(), 2, 0),
        ("never replied", z_slow, 1, 0),
        ("slow", z_slow, 1, 0),
        ("不回复", z_slow, 1, 0),
        ("回复", z_slow, 1, 0),
        ("客服", z_slow, 1, 0),
        ("物流", (135.0_f64 / 116.0).ln() / 0.45_f64.sqrt(), 2, 1),
    ];
    assert_eq!(got.len(), want.len(), "{got:?}");
    for (g, w) in got.iter().zip(want) {
        assert_eq!((g.0.as_str(), g.2, g.3), (w.0, w.2, w.3), "{got:?}");
        assert!(close(g.1, w.1), "{}: z {} against {}", w.0, g.1, w.1);
    }
    let slow = &whole["complaints"][0];
    assert!(close(
        slow["log_odds"].as_f64().unwrap(),
        (29.0_f64 / 15.0).ln()
    ));
    // Share of the three negative reviews with terms; the latest example first.
    assert!(close(slow["share"].as_f64().unwrap(), 2.0 / 3.0));
    let examples: Vec<&str> = slow["examples"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap())
        .collect();
    assert_eq!(examples, ["R3", "R1"]);
    assert_eq!(slow["examples"][0]["text"], "物流慢，客服不回复");
}

#[test]
fn praise_terms_are_the_other_side() {
    let c = complaints(&["--min-count", "2"]);
    let praise = terms(&c["groups"][0]["praise"]);
    assert_eq!(praise.len(), 1, "{praise:?}");
    assert_eq!(
        (praise[0].0.as_str(), praise[0].2, praise[0].3),
        ("great", 0, 2)
    );
    assert!(close(praise[0].1, (27.0_f64 / 64.0).ln() / 0.75_f64.sqrt()));
    // With two reviews needed, only 慢 and 物流 are complaint terms.
    let complaints: Vec<String> = terms(&c["groups"][0]["complaints"])
        .into_iter()
        .map(|t| t.0)
        .collect();
    assert_eq!(complaints, ["慢", "物流"]);
}

#[test]
fn reviews_without_text_or_terms_are_counted_not_dropped() {
    let c = complaints(&[]);
    let counts = &c["groups"][0]["counts"];
    assert_eq!(counts["reviews"], 9);
    assert_eq!(counts["without_text"], 1);
    assert_eq!(counts["without_terms"], 1);
    assert_eq!(counts["negative"], 3);
    assert_eq!(counts["positive"], 3);
}

#[test]
fn rising_complaints_compare_shares_with_the_previous_week() {
    // 慢 and 物流: 2 of 3 negative reviews now, 1 of 2 in 2026-W46 → +1/6.
    let c = complaints(&["--min-count", "2"]);
    assert_eq!(c["previous_period"]["label"], "2026-W46");
    let rising = c["groups"][0]["rising"].as_array().unwrap();
    let got: Vec<(&str, u64, u64, f64)> = rising
        .iter()
        .map(|r| {
            (
                r["term"].as_str().unwrap(),
                r["negative"].as_u64().unwrap(),
                r["previous_negative"].as_u64().unwrap(),
                r["rise"].as_f64().unwrap(),
            )
        })
        .collect();
    assert_eq!(got.len(), 2, "{got:?}");
    for (r, term) in got.iter().zip(["慢", "物流"]) {
        assert_eq!((r.0, r.1, r.2), (term, 2, 1));
        assert!(close(r.3, 2.0 / 3.0 - 0.5), "{r:?}");
    }
    // With one review enough, terms new this week rise by 1/3 and lead.
    let c = complaints(&["--min-count", "1"]);
    let first = &c["groups"][0]["rising"][0];
    assert!(close(first["rise"].as_f64().unwrap(), 1.0 / 3.0));
    assert_eq!(first["previous_negative"], 0);
}

#[test]
fn aspect_rates_are_catalogue_metrics() {
    // Negative reviews with a text: R1, R2, R3, R5 (R4 has none). Delivery: R1 物流,
    // R2 delivery, R3 物流 → 3/4. Service: R2 support/replied, R3 客服/回复 → 2/4.
    let dir = tempfile::tempdir().unwrap();
    let reviews = fixture("complaints/reviews.csv");
    let base = [
        "--reviews",
        &reviews,
        "--tz",
        "Asia/Shanghai",
        "--period",
        "2026-W47",
    ];
    let report = run_json(
        dir.path(),
        &[&["report", "--format", "json"][..], &base[..]].concat(),
    );
    assert_row(
        &report,
        "negative_mentions_delivery_rate",
        None,
        Some(0.75),
        4,
    );
    assert_row(
        &report,
        "negative_mentions_service_rate",
        None,
        Some(0.5),
        4,
    );
    assert_row(
        &report,
        "negative_mentions_quality_rate",
        None,
        Some(0.0),
        4,
    );
    assert_row(
        &report,
        "negative_mentions_returns_rate",
        None,
        Some(0.0),
        4,
    );
    // The same rows in complaints' JSON, compared with W46 (R10 物流, R11 quality).
    let c = complaints(&[]);
    let delivery = c["aspects"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "negative_mentions_delivery_rate")
        .unwrap();
    assert_eq!(delivery["value"], 0.75);
    assert_eq!(delivery["previous"], 0.5);
    // A target on an aspect is a CI gate like any other.
    std::fs::write(
        dir.path().join("svcq.toml"),
        "[[target]]\nmetric = \"negative_mentions_delivery_rate\"\nmax = 0.5\n",
    )
    .unwrap();
    let out = Command::cargo_bin("svcq")
        .unwrap()
        .current_dir(dir.path())
        .args([&["check"][..], &base[..]].concat())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    // Split by channel: app has R1, R3, R5 → delivery 2/3.
    let by = run_json(
        dir.path(),
        &[
            &["report", "--format", "json", "--by", "channel"][..],
            &base[..],
        ]
        .concat(),
    );
    assert_row(
        &by,
        "negative_mentions_delivery_rate",
        Some(("channel", "app")),
        Some(2.0 / 3.0),
        3,
    );
}

#[test]
fn an_export_without_text_has_no_aspect_data_and_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("reviews.csv");
    std::fs::write(
        &file,
        "review_id,created_at,rating\nR1,2026-11-17T10:00:00Z,1\nR2,2026-11-18T10:00:00Z,5\n",
    )
    .unwrap();
    let path = file.display().to_string();
    let args = [
        "--reviews",
        &path,
        "--period",
        "2026-W47",
        "--format",
        "json",
    ];
    let report = run_json(dir.path(), &[&["report"][..], &args[..]].concat());
    assert_row(&report, "negative_mentions_delivery_rate", None, None, 0);
    let notes = report["notes"].to_string();
    assert!(notes.contains("text"), "{notes}");
    let c = run_json(dir.path(), &[&["complaints"][..], &args[..]].concat());
    assert!(c["groups"].as_array().unwrap().is_empty());
    assert!(
        c["notes"][0].as_str().unwrap().contains("no text"),
        "{}",
        c["notes"]
    );
}

#[test]
fn ticket_subjects_are_contrasted_by_category() {
    // delivery: "Where is my parcel", 包裹还没到, "Parcel lost"; refund: "Refund not
    // received", 退款还没到账, "Refund not received yet".
    let dir = tempfile::tempdir().unwrap();
    let tickets = fixture("complaints/tickets.csv");
    let c = run_json(
        dir.path(),
        &[
            "complaints",
            "--tickets",
            &tickets,
            "--period",
            "2026-W47",
            "--min-count",
            "2",
            "--format",
            "json",
        ],
    );
    let categories = c["ticket_categories"].as_array().unwrap();
    let find = |name: &str| {
        categories
            .iter()
            .find(|k| k["category"] == name)
            .unwrap_or_else(|| panic!("no {name}: {categories:?}"))
    };
    let delivery = find("delivery");
    assert_eq!(delivery["tickets"], 3);
    assert_eq!(delivery["terms"][0]["term"], "parcel");
    assert_eq!(delivery["terms"][0]["tickets"], 2);
    assert_eq!(delivery["terms"][0]["other_tickets"], 0);
    let refund = find("refund");
    let words: Vec<&str> = refund["terms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["term"].as_str().unwrap())
        .collect();
    // "received" has the counts of "not received", which says more; a negation
    // starts a phrase but ends none, so there is no "refund not".
    assert_eq!(words, ["not received", "refund"], "{refund}");
    // Each term's latest tickets of its category: parcel in 101 (11-17 09:00)
    // and 44 (11-19 12:00, the last row); refund and "not received" in 25
    // (11-18 10:00) and 12 (11-19 11:00).
    assert_eq!(example_ids(&delivery["terms"], "parcel"), ["44", "101"]);
    assert_eq!(example_ids(&refund["terms"], "refund"), ["12", "25"]);
    assert_eq!(example_ids(&refund["terms"], "not received"), ["12", "25"]);
    assert_eq!(
        delivery["terms"][0]["examples"][1]["text"],
        "Where is my parcel"
    );
}

#[test]
fn by_channel_gives_a_group_per_value() {
    let c = complaints(&["--by", "channel", "--min-count", "1"]);
    let groups = c["groups"].as_array().unwrap();
    let labels: Vec<Value> = groups.iter().map(|g| g["group"].clone()).collect();
    assert_eq!(
        labels,
        [
            Value::Null,
            serde_json::json!({"channel": "app"}),
            serde_json::json!({"channel": "web"})
        ]
    );
    // app: R1, R3 negative with terms; R7 positive.
    assert_eq!(groups[1]["counts"]["negative"], 2);
    assert_eq!(groups[1]["counts"]["positive"], 1);
}

#[test]
fn every_format_and_the_chart_render() {
    let dir = tempfile::tempdir().unwrap();
    let reviews = fixture("complaints/reviews.csv");
    let base = [
        "complaints",
        "--reviews",
        &reviews,
        "--period",
        "2026-W47",
        "--tz",
        "Asia/Shanghai",
        "--min-count",
        "2",
    ];
    let table = String::from_utf8(common::run_ok(dir.path(), &base)).unwrap();
    assert!(
        table.contains("What customers complain about") && table.contains("慢"),
        "{table}"
    );
    let csv = String::from_utf8(common::run_ok(
        dir.path(),
        &[&base[..], &["--format", "csv"]].concat(),
    ))
    .unwrap();
    assert!(csv.starts_with("list,group,rank,term,z,"), "{csv}");
    assert!(csv.contains("\ncomplaint,,1,慢,"), "{csv}");
    let md = String::from_utf8(common::run_ok(
        dir.path(),
        &[&base[..], &["--format", "markdown"]].concat(),
    ))
    .unwrap();
    assert!(md.contains("### What customers complain about"), "{md}");
    let png = dir.path().join("c.png");
    let png_arg = png.display().to_string();
    // Like `svcq complaints`, the chart reads no shipments (they feed no
    // complaint list): a shipments file that is not there is never opened.
    common::run_ok(
        dir.path(),
        &[
            "chart",
            "complaints",
            "--reviews",
            &reviews,
            "--shipments",
            "no-such-shipments.csv",
            "--period",
            "2026-W47",
            "--out",
            &png_arg,
        ],
    );
    assert!(std::fs::read(&png).unwrap().starts_with(b"\x89PNG"));
    // With --as-of the tickets decide nothing the chart draws: they go unread,
    // and the chart is the one drawn with them.
    let tickets = fixture("complaints/tickets.csv");
    let chart = |tickets: &str, out: &str| {
        common::run_ok(
            dir.path(),
            &[
                "chart",
                "complaints",
                "--reviews",
                &reviews,
                "--tickets",
                tickets,
                "--period",
                "2026-W47",
                "--as-of",
                "2026-11-23T00:00:00+08:00",
                "--out",
                out,
            ],
        );
        std::fs::read(dir.path().join(out)).unwrap()
    };
    let read = chart(&tickets, "with-tickets.png");
    assert!(read.starts_with(b"\x89PNG"));
    assert_eq!(read, chart("no-such-tickets.csv", "unread.png"));
}

#[test]
fn config_mistakes_are_errors_that_say_where() {
    let dir = tempfile::tempdir().unwrap();
    let reviews = fixture("complaints/reviews.csv");
    let run = |toml: &str| {
        std::fs::write(dir.path().join("svcq.toml"), toml).unwrap();
        let out = Command::cargo_bin("svcq")
            .unwrap()
            .current_dir(dir.path())
            .args(["complaints", "--reviews", &reviews])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
        String::from_utf8_lossy(&out.stderr).to_string()
    };
    let err = run("[complaints.aspects]\ndeliverry = [\"顺丰\"]\n");
    assert!(
        err.contains("unknown aspect \"deliverry\"") && err.contains("delivery"),
        "{err}"
    );
    std::fs::write(dir.path().join("words.txt"), "喵喵熊 10 nz\n好物 lots\n").unwrap();
    let err = run("[complaints]\nuser_dict = \"words.txt\"\n");
    assert!(
        err.contains("words.txt:2:") && err.contains("\"lots\""),
        "{err}"
    );
    let err = run("[complaints]\nuser_dict = \"nowhere.txt\"\n");
    assert!(err.contains("nowhere.txt"), "{err}");
}

#[test]
fn the_users_words_and_aspect_terms_are_used() {
    // 喵喵熊 is a brand jieba does not know; as an aspect term of quality it is
    // matched and, from the dictionary, kept as one word.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("reviews.csv");
    std::fs::write(
        &file,
        "review_id,created_at,rating,text\nR1,2026-11-17T10:00:00Z,1,喵喵熊不行\nR2,2026-11-17T11:00:00Z,1,喵喵熊很差\nR3,2026-11-18T10:00:00Z,5,很好\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("svcq.toml"),
        "[complaints]\nmin_count = 2\n[complaints.aspects]\nquality = [\"喵喵熊\"]\n",
    )
    .unwrap();
    let path = file.display().to_string();
    let args = [
        "--reviews",
        &path,
        "--period",
        "2026-W47",
        "--format",
        "json",
    ];
    let c = run_json(dir.path(), &[&["complaints"][..], &args[..]].concat());
    assert_eq!(c["groups"][0]["complaints"][0]["term"], "喵喵熊");
    assert_eq!(c["min_count"], 2);
    let report = run_json(dir.path(), &[&["report"][..], &args[..]].concat());
    assert_row(
        &report,
        "negative_mentions_quality_rate",
        None,
        Some(1.0),
        2,
    );
}

#[test]
fn nothing_rises_from_a_period_without_negative_reviews() {
    // 2026-W46 has R10 and R11; 2026-W45 has nothing to compare with.
    let dir = tempfile::tempdir().unwrap();
    let reviews = fixture("complaints/reviews.csv");
    let c = run_json(
        dir.path(),
        &[
            "complaints",
            "--reviews",
            &reviews,
            "--tz",
            "Asia/Shanghai",
            "--period",
            "2026-W46",
            "--min-count",
            "1",
            "--format",
            "json",
        ],
    );
    assert_eq!(c["groups"][0]["counts"]["negative"], 2);
    assert!(c["groups"][0]["rising"].as_array().unwrap().is_empty());
    let notes = c["notes"].to_string();
    assert!(notes.contains("2026-W45 has no negative review"), "{notes}");
}

/// The ids of the examples of `term` in `list`.
fn example_ids<'a>(list: &'a Value, term: &str) -> Vec<&'a str> {
    let row = list
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["term"] == term)
        .unwrap_or_else(|| panic!("no {term}: {list}"));
    row["examples"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap())
        .collect()
}

#[test]
fn examples_are_the_latest_texts_using_the_term_wherever_they_are_read() {
    // Rows in no order, read in parts: a text of any part can be an example.
    //   R3 2★ 23:51:24 客服态度很差，发货太慢！ web → 客服, 态度, 差, 发货, 慢
    //   R4 5★ 20:00:00 质量不错，发货快。         app → 质量, 不错, 发货, 快
    //   R2 1★ 23:48:10 物流太慢了！               web → 物流, 慢
    //   R1 2★ 23:58:44 发货太慢！                 app → 发货, 慢
    //   R0 1★ 23:58:44 物流太慢                   app → 物流, 慢
    //   R5 5★ 11-21    Great service               web → great, service, great service
    //   R9 1★ 11-10    态度差 (the week before: never an example)
    // 慢: R0 and R1 are the latest, at the same second: by id, R0 first. 发货 is
    // a complaint (2 negative, 1 positive): its examples are negative reviews.
    let dir = tempfile::tempdir().unwrap();
    let reviews = dir.path().join("reviews.csv");
    std::fs::write(
        &reviews,
        "review_id,created_at,rating,text,channel\n\
         R3,2026-11-22T23:51:24Z,2,客服态度很差，发货太慢！,web\n\
         R4,2026-11-22T20:00:00Z,5,质量不错，发货快。,app\n\
         R2,2026-11-22T23:48:10Z,1,物流太慢了！,web\n\
         R1,2026-11-22T23:58:44Z,2,发货太慢！,app\n\
         R0,2026-11-22T23:58:44Z,1,物流太慢,app\n\
         R5,2026-11-21T10:00:00Z,5,Great service,web\n\
         R9,2026-11-10T10:00:00Z,1,态度差,web\n",
    )
    .unwrap();
    let reviews = reviews.display().to_string();
    let c = run_json(
        dir.path(),
        &[
            "complaints",
            "--reviews",
            &reviews,
            "--from",
            "2026-11-16",
            "--to",
            "2026-11-23",
            "--by",
            "channel",
            "--min-count",
            "1",
            "--format",
            "json",
        ],
    );
    let whole = &c["groups"][0];
    assert_eq!(example_ids(&whole["complaints"], "慢"), ["R0", "R1"]);
    assert_eq!(example_ids(&whole["complaints"], "物流"), ["R0", "R2"]);
    assert_eq!(example_ids(&whole["complaints"], "差"), ["R3"]);
    assert_eq!(example_ids(&whole["complaints"], "态度"), ["R3"]);
    assert_eq!(example_ids(&whole["complaints"], "发货"), ["R1", "R3"]);
    assert_eq!(example_ids(&whole["praise"], "快"), ["R4"]);
    assert_eq!(whole["complaints"][0]["examples"][0]["text"], "物流太慢");
    assert_eq!(whole["complaints"][0]["examples"][0]["rating"], 1);
    assert_eq!(
        whole["complaints"][0]["examples"][0]["created_at"],
        "2026-11-22T23:58:44Z"
    );
    // A channel's examples come from its own reviews.
    let of = |channel: &str| {
        c["groups"]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["group"]["channel"] == channel)
            .unwrap_or_else(|| panic!("no {channel}"))
    };
    assert_eq!(example_ids(&of("web")["complaints"], "慢"), ["R3", "R2"]);
    assert_eq!(example_ids(&of("app")["complaints"], "慢"), ["R0", "R1"]);
}
