//! Priorities and shipment statuses are held as codes; what a user sees are
//! their canonical labels: a field's counts (the pareto chart) and the store.

use std::path::Path;

use svcq::engine::period::PeriodSpec;
use svcq::engine::query::Query;
use svcq::engine::targets::Targets;
use svcq::engine::Engine;
use svcq::source::load::{load_csv, CsvInputs, Keep};
use svcq::source::Source;

/// Five tickets whose priorities are written three ways: urgent as `P1`,
/// `urgent` and `RED`; normal as `green`; low as `low`.
const TICKETS: &str = "\
ticket_id,created_at,first_response_at,resolved_at,channel,priority
T1,2026-11-16T09:00:00Z,,,chat,P1
T2,2026-11-16T10:00:00Z,,,chat,urgent
T3,2026-11-17T09:00:00Z,,,email,RED
T4,2026-11-17T10:00:00Z,,,email,green
T5,2026-11-18T09:00:00Z,,,email,low
";

/// Three shipments: one delivered, one whose empty status is derived from its
/// delivery time (delivered), one lost.
const SHIPMENTS: &str = "\
order_id,ordered_at,shipped_at,promised_at,delivered_at,status
O1,2026-11-16T09:00:00Z,2026-11-16T12:00:00Z,2026-11-20,2026-11-18T09:00:00Z,delivered
O2,2026-11-16T10:00:00Z,2026-11-16T12:00:00Z,2026-11-20,2026-11-19T09:00:00Z,
O3,2026-11-17T09:00:00Z,2026-11-17T12:00:00Z,2026-11-21,,LOST
";

fn counts(dir: &Path, source: Source, field: &str) -> Vec<(String, u64)> {
    let inputs = CsvInputs {
        data: Some(dir.to_path_buf()),
        ..CsvInputs::default()
    };
    let targets = Targets::parse("", "test").unwrap();
    let dataset = load_csv(
        &inputs,
        chrono_tz::Tz::UTC,
        &Keep::All,
        &targets.mappings,
        &mut |_, _| Ok(()),
    )
    .unwrap();
    let engine = Engine::new(
        &dataset,
        targets.windows,
        &targets.clocks,
        &targets.text.lexicon,
        Some("2026-11-23T00:00:00Z"),
    )
    .unwrap();
    let query = Query::Counts {
        source,
        field: field.to_string(),
        period: PeriodSpec {
            period: Some("2026-W47".to_string()),
            ..PeriodSpec::default()
        },
    };
    let answer = engine.run(&targets, &[query]).unwrap().remove(0);
    answer.into_counts().unwrap().counts
}

#[test]
fn a_fields_counts_name_the_canonical_labels() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("tickets.csv"), TICKETS).unwrap();
    std::fs::write(dir.path().join("shipments.csv"), SHIPMENTS).unwrap();
    let label = |v: &[(&str, u64)]| -> Vec<(String, u64)> {
        v.iter().map(|(l, n)| (l.to_string(), *n)).collect()
    };
    assert_eq!(
        counts(dir.path(), Source::Tickets, "priority"),
        label(&[("urgent", 3), ("low", 1), ("normal", 1)])
    );
    assert_eq!(
        counts(dir.path(), Source::Shipments, "status"),
        label(&[("delivered", 2), ("lost", 1)])
    );
}
