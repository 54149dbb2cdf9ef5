//! No input, however malformed, makes the reader panic: random bytes, and random
//! rows under a valid header, are read into accepted rows, rejected rows or a clear
//! error — and the counts always reconcile.

use std::io::Write;

use chrono_tz::Tz;
use proptest::prelude::*;
use svcq::source::load::Keep;
use svcq::source::mapping::Mapping;
use svcq::source::read::read_source;
use svcq::source::Source;

const HEADERS: [(Source, &str); 3] = [
    (
        Source::Tickets,
        "ticket_id,created_at,first_response_at,resolved_at,channel,priority,reopens,agent_replies\n",
    ),
    (
        Source::Shipments,
        "order_id,carrier,shipped_at,promised_at,delivered_at,status,return_requested_at,refunded_at\n",
    ),
    (Source::Reviews, "review_id,created_at,rating,nps,text\n"),
];

/// Reads `bytes` as each source; an error is fine, a panic is not.
fn read_all_ways(bytes: &[u8]) {
    for (source, _) in HEADERS {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all(bytes).unwrap();
        if let Ok(data) = read_source(
            file.path(),
            source,
            Tz::America__New_York,
            &Keep::All,
            &Mapping::default(),
        ) {
            let s = &data.stats;
            assert_eq!(s.read, s.accepted + s.rejected);
            assert_eq!(data.frame.height() as u64, s.accepted);
        }
    }
}

/// Field text that is often almost right: timestamps, numbers, labels, quotes.
fn field() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        "[0-9]{4}[-/][0-9]{1,2}[-/][0-9]{1,2}([ T][0-9]{1,2}:[0-9]{2}(:[0-9]{2})?)?(Z|[+-][0-9]{2}:?[0-9]{2})?",
        "-?[0-9]{1,20}",
        "(urgent|P2|Red|low|lost|Delivered|in_transit|x)",
        "[ -~]{0,12}",
        "\"[a-z,\"\n]{0,8}\"",
        "[\u{4e00}-\u{4e20}]{1,4}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        read_all_ways(&bytes);
    }

    #[test]
    fn random_rows_never_panic(rows in proptest::collection::vec(proptest::collection::vec(field(), 0..10), 0..20)) {
        for (_, header) in HEADERS {
            let mut text = header.to_string();
            for row in &rows {
                text.push_str(&row.join(","));
                text.push('\n');
            }
            read_all_ways(text.as_bytes());
        }
    }
}
