//! Columns whose values come from a closed list (priority, shipment status) are
//! held as 1-byte codes, a label's place in its list: 1 byte a row where a
//! string view takes 16. Open labels (channel, category, return reason) and
//! the text of a dimension (agent, team, carrier, region, seller, product) are
//! held as 4-byte codes into a dictionary of the run, one per column name,
//! which every source and part of a file codes into. The labels are what every
//! user sees: the store keeps them as text, and a split or a count names them
//! ([`decode`]).

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, RwLock};

use anyhow::Result;
use polars::prelude::{
    col, lit, when, ChunkedArray, Column, DataFrame, DataType, Expr, IntoColumn, StringChunked,
    NULL,
};
use rustc_hash::FxHashMap;

use super::{Kind, Source, PRIORITIES, SHIPMENT_STATUSES};

/// The labels a column of this kind is coded by (None: not coded).
pub fn labels(kind: Kind) -> Option<&'static [&'static str]> {
    match kind {
        Kind::Priority => Some(&PRIORITIES),
        Kind::ShipmentStatus => Some(&SHIPMENT_STATUSES),
        _ => None,
    }
}

/// The labels of a coded column, by its name in whichever source has it (a name
/// means one kind in every source: a unit test holds it).
pub fn labels_of(column: &str) -> Option<&'static [&'static str]> {
    Source::ALL.iter().find_map(|source| {
        let spec = source.columns().iter().find(|spec| spec.name == column)?;
        labels(spec.kind)
    })
}

/// Whether a column of this name is coded by the run's dictionary: open labels,
/// and text a split or a count can name (a source's categorical fields). A
/// name means one kind in every source: a unit test holds it.
pub fn is_open(column: &str) -> bool {
    Source::ALL.iter().any(|source| open_in(*source, column))
}

fn open_in(source: Source, column: &str) -> bool {
    source.columns().iter().any(|spec| {
        spec.name == column
            && match spec.kind {
                Kind::Label => true,
                Kind::Text => source.categorical_fields().contains(&column),
                _ => false,
            }
    })
}

/// The labels of one open column in the order they were first met: a code is a
/// place in `labels`.
#[derive(Default)]
struct Dictionary {
    labels: Vec<Arc<str>>,
    codes: HashMap<Arc<str>, u32>,
}

static DICTIONARIES: LazyLock<RwLock<HashMap<String, Dictionary>>> =
    LazyLock::new(Default::default);

/// The code of an open label, given one when it is new.
fn open_code(column: &str, label: &str) -> u32 {
    let mut dictionaries = DICTIONARIES.write().unwrap_or_else(|e| e.into_inner());
    let dictionary = dictionaries.entry(column.to_string()).or_default();
    if let Some(code) = dictionary.codes.get(label) {
        return *code;
    }
    let code = u32::try_from(dictionary.labels.len()).expect("fewer labels than rows");
    let label: Arc<str> = label.into();
    dictionary.labels.push(label.clone());
    dictionary.codes.insert(label, code);
    code
}

/// The code of an open label the run has met (None: no row has it).
fn known_code(column: &str, label: &str) -> Option<u32> {
    let dictionaries = DICTIONARIES.read().unwrap_or_else(|e| e.into_inner());
    dictionaries.get(column)?.codes.get(label).copied()
}

/// Codes one open column's labels as a reader meets them; a label it has coded
/// before is found without the dictionary's lock, which the parts read on
/// every core share.
pub struct OpenCoder {
    column: String,
    seen: FxHashMap<Box<str>, u32>,
}

impl OpenCoder {
    pub fn new(column: &str) -> OpenCoder {
        OpenCoder {
            column: column.to_string(),
            seen: FxHashMap::default(),
        }
    }

    pub fn code(&mut self, label: &str) -> u32 {
        if let Some(code) = self.seen.get(label) {
            return *code;
        }
        let code = open_code(&self.column, label);
        self.seen.insert(label.into(), code);
        code
    }
}

/// Open labels (text) as their codes, each new one given its code.
pub fn open_encoded(column: &Column) -> Result<Column> {
    let name = column.name().as_str();
    let text = column.cast(&DataType::String)?;
    let mut coder = OpenCoder::new(name);
    let codes: ChunkedArray<polars::prelude::UInt32Type> = text
        .str()?
        .iter()
        .map(|v| v.map(|v| coder.code(v)))
        .collect();
    Ok(codes.with_name(name.into()).into_column())
}

/// The frame with every coded column (closed lists and open labels) as its
/// labels, under its own name: what a split, a count or a file shows.
pub fn decode(frame: DataFrame) -> Result<DataFrame> {
    let mut frame = frame;
    let names: Vec<String> = frame
        .get_column_names()
        .iter()
        .map(|n| n.to_string())
        .collect();
    for name in names {
        let column = frame.column(&name)?;
        let labelled: Option<StringChunked> =
            if let (Some(labels), DataType::Int8) = (labels_of(&name), column.dtype()) {
                let codes = column.i8()?;
                Some(
                    codes
                        .iter()
                        .map(|c| c.and_then(|c| labels.get(c as usize).copied()))
                        .collect(),
                )
            } else if is_open(&name) && column.dtype() == &DataType::UInt32 {
                let dictionaries = DICTIONARIES.read().unwrap_or_else(|e| e.into_inner());
                let labels = dictionaries.get(&name).map_or(&[][..], |d| &d.labels[..]);
                let codes = column.u32()?;
                Some(
                    codes
                        .iter()
                        .map(|c| c.and_then(|c| labels.get(c as usize).map(|l| &**l)))
                        .collect(),
                )
            } else {
                None
            };
        if let Some(labelled) = labelled {
            frame.with_column(labelled.with_name(name.as_str().into()).into_column())?;
        }
    }
    Ok(frame)
}

/// A label's code.
pub fn code(labels: &[&str], label: &str) -> Option<i8> {
    let at = labels.iter().position(|l| *l == label)?;
    Some(i8::try_from(at).expect("a list of labels is short"))
}

/// Whether `column` equals `value`, on its codes when it is coded: a value that
/// is not one of its labels (or no row's) matches no row.
pub fn equals(column: &str, value: &str) -> Expr {
    let matched = |code: Option<Expr>| match code {
        Some(code) => col(column).eq(code),
        None => lit(false),
    };
    match labels_of(column) {
        Some(labels) => matched(code(labels, value).map(lit)),
        None if is_open(column) => matched(known_code(column, value).map(lit)),
        None => col(column).eq(lit(value.to_string())),
    }
}

/// A column of labels (text) as its codes: a text that is not one of the labels
/// becomes null, so a caller that must not lose one compares the null counts.
pub fn encoded(column: &str, labels: &[&str]) -> Expr {
    let mut coded = lit(NULL).cast(DataType::Int8);
    for (at, label) in labels.iter().enumerate().rev() {
        let code = i8::try_from(at).expect("a list of labels is short");
        coded = when(col(column).eq(lit(label.to_string())))
            .then(lit(code))
            .otherwise(coded);
    }
    coded.alias(column)
}

#[cfg(test)]
mod tests {
    use super::*;
    use polars::prelude::*;

    #[test]
    fn a_coded_name_means_one_kind_in_every_source() {
        for source in Source::ALL {
            for spec in source.columns() {
                assert_eq!(
                    labels(spec.kind),
                    labels_of(spec.name),
                    "{source}: {}",
                    spec.name
                );
                assert_eq!(
                    open_in(source, spec.name),
                    is_open(spec.name),
                    "{source}: {}",
                    spec.name
                );
            }
        }
    }

    #[test]
    fn codes_are_places_in_the_list() {
        assert_eq!(code(&PRIORITIES, "urgent"), Some(0));
        assert_eq!(code(&PRIORITIES, "low"), Some(3));
        assert_eq!(code(&SHIPMENT_STATUSES, "damaged"), Some(3));
        assert_eq!(code(&PRIORITIES, "p1"), None);
        assert_eq!(labels_of("channel"), None);
        for open in ["channel", "return_reason", "agent", "carrier", "product"] {
            assert!(is_open(open), "{open}");
        }
        for not_open in ["ticket_id", "order_id", "subject", "text", "priority"] {
            assert!(!is_open(not_open), "{not_open}");
        }
    }

    #[test]
    fn open_labels_go_to_codes_and_back() {
        // A column name of its own: the run's dictionary is shared by the tests.
        let text = Column::new(
            "return_reason".into(),
            [Some("damaged"), None, Some("late"), Some("damaged")],
        );
        let coded = open_encoded(&text).unwrap();
        let codes: Vec<Option<u32>> = coded.u32().unwrap().iter().collect();
        assert_eq!(codes[0], codes[3]);
        assert_ne!(codes[0], codes[2]);
        assert_eq!(codes[1], None);
        let frame = DataFrame::new(4, vec![coded]).unwrap();
        let matched = frame
            .clone()
            .lazy()
            .select([
                equals("return_reason", "damaged").alias("damaged"),
                equals("return_reason", "never seen").alias("unseen"),
            ])
            .collect()
            .unwrap();
        let damaged: Vec<Option<bool>> = matched
            .column("damaged")
            .unwrap()
            .bool()
            .unwrap()
            .iter()
            .collect();
        assert_eq!(damaged, [Some(true), None, Some(false), Some(true)]);
        let unseen = matched.column("unseen").unwrap().bool().unwrap();
        assert!(unseen.iter().all(|m| m == Some(false)), "{unseen:?}");
        let back = decode(frame).unwrap();
        let labels: Vec<Option<&str>> = back
            .column("return_reason")
            .unwrap()
            .str()
            .unwrap()
            .iter()
            .collect();
        assert_eq!(
            labels,
            [Some("damaged"), None, Some("late"), Some("damaged")]
        );
    }

    #[test]
    fn labels_go_to_codes_and_back() {
        let frame = df!("priority" => [Some("low"), Some("urgent"), None, Some("medium")]).unwrap();
        let coded = frame
            .lazy()
            .select([encoded("priority", &PRIORITIES)])
            .collect()
            .unwrap();
        let codes: Vec<Option<i8>> = coded
            .column("priority")
            .unwrap()
            .i8()
            .unwrap()
            .iter()
            .collect();
        assert_eq!(codes, [Some(3), Some(0), None, None]);
        let back = decode(coded).unwrap();
        let labels: Vec<Option<&str>> = back
            .column("priority")
            .unwrap()
            .str()
            .unwrap()
            .iter()
            .collect();
        assert_eq!(labels, [Some("low"), Some("urgent"), None, None]);
    }

    #[test]
    fn equality_on_codes() {
        let frame = df!("status" => [Some(1i8), Some(3), None]).unwrap();
        let matched = |value: &str| -> Vec<Option<bool>> {
            let out = frame
                .clone()
                .lazy()
                .with_column(equals("status", value).alias("m"))
                .collect()
                .unwrap();
            out.column("m").unwrap().bool().unwrap().iter().collect()
        };
        assert_eq!(matched("damaged"), [Some(false), Some(true), None]);
        assert_eq!(matched("teleported"), [Some(false); 3]);
    }
}
