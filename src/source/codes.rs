//! Columns whose values come from a closed list (priority, shipment status) are
//! held as 1-byte codes, a label's place in its list: 1 byte a row where a
//! string view takes 16. The labels are what every user sees: the store keeps
//! them as text, and a split or a count names them.

use polars::prelude::{col, lit, when, DataType, Expr, NULL};

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

/// A label's code.
pub fn code(labels: &[&str], label: &str) -> Option<i8> {
    let at = labels.iter().position(|l| *l == label)?;
    Some(i8::try_from(at).expect("a list of labels is short"))
}

/// Whether `column` equals `value`, on its codes when it is coded: a value that
/// is not one of its labels matches no row.
pub fn equals(column: &str, value: &str) -> Expr {
    match labels_of(column) {
        Some(labels) => match code(labels, value) {
            Some(code) => col(column).eq(lit(code)),
            None => lit(false),
        },
        None => col(column).eq(lit(value.to_string())),
    }
}

/// A coded column as its labels (text), under its own name; any other column as
/// it is.
pub fn decoded(column: &str) -> Expr {
    let Some(labels) = labels_of(column) else {
        return col(column);
    };
    let mut labelled = lit(NULL).cast(DataType::String);
    for (at, label) in labels.iter().enumerate().rev() {
        let code = i8::try_from(at).expect("a list of labels is short");
        labelled = when(col(column).eq(lit(code)))
            .then(lit(*label))
            .otherwise(labelled);
    }
    labelled.alias(column)
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
        let back = coded
            .lazy()
            .select([decoded("priority")])
            .collect()
            .unwrap();
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
