//! `ingest` reads each export in chunks of rows and writes them aside as they
//! come, so that no export is held whole. Whatever the chunk size, the rows, the
//! counts and rejects, and the store written must be those of a read of the
//! whole export.

use std::path::{Path, PathBuf};
use std::time::Duration;

use polars::prelude::*;
use svcq::engine::targets::Targets;
use svcq::source::load::{stream_csv, CsvInputs, Keep};
use svcq::source::mapping::Mapping;
use svcq::source::read::{read_files, read_streamed, Chunks, SourceData, CHUNK_ROWS};
use svcq::source::store::{read_store, Ingest, UpsertStats};
use svcq::source::{times, Source};

/// Tickets in no month order, unpadded ids, CRLF: a repeated id (its later row
/// rejected), an impossible time (rejected), a reply at .250 s (milliseconds)
/// among whole seconds. Accepted: 17, 3, 42, 5, 100, 9, 11.
const FIRST: &str = "ticket_id,created_at,first_response_at,resolved_at,channel,priority\r\n\
17,2026-10-05T09:00:00Z,2026-10-05T09:30:00.250Z,,chat,low\r\n\
3,2026-09-12T08:00:00Z,2026-09-12T10:00:00Z,2026-09-13T08:00:00Z,email,high\r\n\
42,2026-11-02T12:00:00Z,,,chat,urgent\r\n\
5,2026-09-30T23:59:59Z,2026-10-01T00:10:00Z,,email,low\r\n\
17,2026-10-06T09:00:00Z,,,chat,low\r\n\
8,2026-13-01T00:00:00Z,,,chat,low\r\n\
100,2026-11-20T07:00:00Z,2026-11-20T07:05:00Z,2026-11-21T07:00:00Z,chat,normal\r\n\
9,2026-10-31T23:00:00Z,,,email,normal\r\n\
11,2026-09-01T00:00:00Z,2026-09-01T00:00:01Z,,chat,high\r\n";

/// The next week's export: 9 was created in November after all (it leaves
/// October), 3 was resolved a day later, 250 and 12 are new.
const SECOND: &str = "ticket_id,created_at,first_response_at,resolved_at,channel,priority\n\
9,2026-11-01T01:00:00Z,2026-11-01T02:00:00Z,,email,normal\n\
3,2026-09-12T08:00:00Z,2026-09-12T10:00:00Z,2026-09-14T08:00:00Z,email,high\n\
250,2026-12-01T00:00:00Z,,,chat,low\n\
12,2026-10-15T10:00:00Z,,,chat,low\n";

fn fixture(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn repo_fixture(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(path)
}

/// Times as milliseconds: a chunk holds them as seconds where it can.
fn in_millis(mut frame: DataFrame, source: Source) -> DataFrame {
    times::widen_frame(&mut frame, source).unwrap();
    frame
}

/// What a read found: counts, reasons and each reject's line.
fn outcome(data: &SourceData) -> (u64, u64, u64, Vec<(String, u64)>, Vec<u64>) {
    let reasons = data
        .stats
        .reasons
        .iter()
        .map(|(r, n)| (r.clone(), *n))
        .collect();
    let lines = data.rejects.iter().map(|r| r.line).collect();
    (
        data.stats.read,
        data.stats.accepted,
        data.stats.rejected,
        reasons,
        lines,
    )
}

#[test]
fn a_streamed_read_in_any_chunk_size_keeps_what_a_whole_read_keeps() {
    let dir = tempfile::tempdir().unwrap();
    let first = fixture(dir.path(), "tickets.csv", FIRST);
    let servicenow = Targets::parse("[sources.tickets]\npreset = \"servicenow-log\"\n", "test")
        .unwrap()
        .mappings
        .remove(&Source::Tickets)
        .unwrap();
    let plain = Mapping::default();
    // An export in two files: the newer (by name) is read first, and wins.
    let older = fixture(dir.path(), "tickets-1.csv", FIRST);
    let newer = fixture(dir.path(), "tickets-2.csv", SECOND);
    let exports = [
        (vec![first], Source::Tickets, &plain, 7),
        // 4 of the newer; 17, 42, 5, 100, 11 of the older (9 and 3 are the newer's).
        (vec![older, newer], Source::Tickets, &plain, 9),
        (
            vec![repo_fixture("week/shipments.csv")],
            Source::Shipments,
            &plain,
            4,
        ),
        (
            vec![repo_fixture("week/reviews.csv")],
            Source::Reviews,
            &plain,
            4,
        ),
        // An event log: its rows are folded into records before they are kept.
        (
            vec![repo_fixture("presets/servicenow-log.csv")],
            Source::Tickets,
            &servicenow,
            2,
        ),
    ];
    for (files, source, mapping, accepted) in exports {
        let path = files[0].clone();
        let whole = read_files(&files, source, chrono_tz::UTC, &Keep::All, mapping).unwrap();
        assert_eq!(whole.frame.height(), accepted, "{}", path.display());
        for rows in [1, 2, 3, CHUNK_ROWS] {
            let mut frames = Vec::new();
            let mut chunks = Chunks {
                rows,
                sink: Box::new(|chunk| {
                    frames.push(chunk);
                    Ok(())
                }),
            };
            let read = read_streamed(&files, source, chrono_tz::UTC, mapping, &mut chunks).unwrap();
            drop(chunks);
            let streamed = read.finish().unwrap();
            let what = format!("{} in chunks of {rows}", path.display());
            assert_eq!(outcome(&streamed), outcome(&whole), "{what}");
            assert_eq!(
                streamed.frame.height(),
                0,
                "{what}: the rows went to the chunks"
            );
            // Every chunk but the last is whole, and none is empty.
            let heights: Vec<usize> = frames.iter().map(DataFrame::height).collect();
            assert_eq!(heights.iter().sum::<usize>(), accepted, "{what}");
            let (last, full) = heights.split_last().unwrap();
            assert!(full.iter().all(|&h| h == rows), "{what}: {heights:?}");
            assert!((1..=rows).contains(last), "{what}: {heights:?}");
            let mut joined = frames.into_iter().map(|f| in_millis(f, source));
            let mut stacked = joined.next().unwrap();
            for frame in joined {
                stacked.vstack_mut(&frame).unwrap();
            }
            assert!(
                stacked.equals_missing(&in_millis(whole.frame.clone(), source)),
                "{what}:\n{stacked}\n{}",
                whole.frame
            );
        }
    }
}

/// Ingests `exports` in turn through the library in chunks of `rows`; the
/// upsert of each.
fn ingest(store: &Path, exports: &[&Path], rows: usize) -> Vec<UpsertStats> {
    let targets = Targets::parse("", "test").unwrap();
    let mut stats = Vec::new();
    for export in exports {
        let mut ingest = Ingest::begin(store, Duration::from_secs(5))
            .unwrap()
            .with_chunk_rows(rows);
        let inputs = CsvInputs {
            tickets: Some(export.to_path_buf()),
            ..CsvInputs::default()
        };
        stream_csv(&inputs, chrono_tz::UTC, &targets.mappings, &mut ingest).unwrap();
        stats.push(ingest.upserted(Source::Tickets).unwrap());
        ingest.commit().unwrap();
    }
    stats
}

/// Each month partition of the store's tickets, its rows in the order stored.
fn months(store: &Path) -> Vec<(String, DataFrame)> {
    let live = store.join(
        std::fs::read_to_string(store.join("CURRENT"))
            .unwrap()
            .trim(),
    );
    let mut months = Vec::new();
    let mut dirs: Vec<_> = std::fs::read_dir(live.join("tickets"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    dirs.sort();
    for dir in dirs {
        let file = dir.join("part.parquet");
        let rows = read_store(
            &file,
            Source::Tickets,
            std::fs::File::open(&file).unwrap(),
            &Keep::All,
        )
        .unwrap()
        .frame;
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        months.push((name, rows));
    }
    months
}

#[test]
fn an_ingest_in_chunks_writes_the_store_a_whole_ingest_writes() {
    let dir = tempfile::tempdir().unwrap();
    let first = fixture(dir.path(), "first.csv", FIRST);
    let second = fixture(dir.path(), "second.csv", SECOND);
    let exports = [first.as_path(), second.as_path()];
    let whole = dir.path().join("whole");
    let stats = ingest(&whole, &exports, CHUNK_ROWS);
    // 7 accepted of the first export; the second replaces 9 and 3 and adds two.
    let upsert = |before, inserted, updated, after| UpsertStats {
        before,
        inserted,
        updated,
        after,
    };
    assert_eq!(stats, [upsert(0, 7, 0, 7), upsert(7, 2, 2, 9)]);
    let expected = months(&whole);
    let ids: Vec<(String, Vec<String>)> = expected
        .iter()
        .map(|(month, rows)| {
            let ids = rows.column("ticket_id").unwrap().str().unwrap();
            (
                month.clone(),
                ids.iter().flatten().map(String::from).collect(),
            )
        })
        .collect();
    let month = |m: &str, ids: &[&str]| {
        (
            format!("month={m}"),
            ids.iter().map(|i| i.to_string()).collect::<Vec<_>>(),
        )
    };
    // A month holds the rows it kept, in their order, then the export's new ones.
    assert_eq!(
        ids,
        [
            month("2026-09", &["5", "11", "3"]),
            month("2026-10", &["17", "12"]),
            month("2026-11", &["42", "100", "9"]),
            month("2026-12", &["250"]),
        ]
    );
    // Ticket 3 as the second export has it: resolved on 2026-09-14 08:00 UTC.
    let september = &expected[0].1;
    let resolved = times::millis(september.column("resolved_at").unwrap()).unwrap();
    assert_eq!(resolved.get(2), Some(1_789_372_800_000));
    // Ticket 17's reply at .250 s is kept to the millisecond.
    let october = &expected[1].1;
    let reply = times::millis(october.column("first_response_at").unwrap()).unwrap();
    assert_eq!(reply.get(0), Some(1_791_192_600_250));
    for rows in [1, 2, 3] {
        let store = dir.path().join(format!("chunks-{rows}"));
        assert_eq!(ingest(&store, &exports, rows), stats, "chunks of {rows}");
        let written = months(&store);
        assert_eq!(written.len(), expected.len(), "chunks of {rows}");
        for ((month, got), (_, want)) in written.iter().zip(&expected) {
            assert!(
                got.equals_missing(want),
                "chunks of {rows}, {month}:\n{got}\n{want}"
            );
        }
        // Nothing spilled is left in the store.
        let live = store.join(
            std::fs::read_to_string(store.join("CURRENT"))
                .unwrap()
                .trim(),
        );
        let spilled = std::fs::read_dir(&live).unwrap().any(|e| {
            e.unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with(".spill")
        });
        assert!(!spilled, "chunks of {rows}");
    }
}

// An export that cannot be read, after another was spilled and is being merged:
// the ingest fails and the store is as it was.
#[test]
fn an_ingest_that_fails_after_a_merge_began_leaves_the_store_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let first = fixture(dir.path(), "first.csv", FIRST);
    let second = fixture(dir.path(), "second.csv", SECOND);
    // No order_id: the shipments cannot be read, and are read after the tickets.
    let shipments = fixture(
        dir.path(),
        "shipments.csv",
        "carrier,shipped_at\nSF,2026-11-16T00:00:00Z\n",
    );
    let store = dir.path().join("store");
    ingest(&store, &[first.as_path()], 1);
    let before = months(&store);
    let targets = Targets::parse("", "test").unwrap();
    let mut ingest = Ingest::begin(&store, Duration::from_secs(5))
        .unwrap()
        .with_chunk_rows(1);
    let inputs = CsvInputs {
        tickets: Some(second),
        shipments: Some(shipments),
        ..CsvInputs::default()
    };
    let error = stream_csv(&inputs, chrono_tz::UTC, &targets.mappings, &mut ingest)
        .err()
        .expect("the shipments have no order_id");
    assert!(format!("{error:#}").contains("order_id"), "{error:#}");
    drop(ingest);
    let after = months(&store);
    assert_eq!(after.len(), before.len());
    for ((month, got), (_, want)) in after.iter().zip(&before) {
        assert!(got.equals_missing(want), "{month}:\n{got}\n{want}");
    }
    let mut left: Vec<String> = std::fs::read_dir(&store)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(left, [".commit.lock", ".ingest.lock", "CURRENT", "v000001"]);
}
