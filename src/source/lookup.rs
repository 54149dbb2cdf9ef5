//! A second file joined onto an export by a key column: Olist keeps a customer's
//! state in `olist_customers_dataset.csv`, not in its orders.
//!
//! ```toml
//! [sources.shipments.join]
//! file = "olist_customers_dataset.csv"   # beside the export
//! on = "customer_id"                      # a column of both files
//! columns = ["customer_state"]            # then usable in [columns]
//! ```
//!
//! The joined columns are appended to each row of the export, so the mapping,
//! the rejects file and `inspect` see them as the export's own.

use std::collections::HashMap;
use std::path::Path;

use anyhow::{bail, Context, Result};
use serde::Deserialize;

use super::header::header_names;
use super::mapping::Mapping;
use super::records::Records;

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Join {
    pub file: String,
    pub on: String,
    pub columns: Vec<String>,
}

/// The joined file in memory: key → the values of `columns`.
pub(super) struct Lookup {
    /// The key column's position in the export's header.
    key_at: usize,
    rows: HashMap<Box<[u8]>, Vec<Box<[u8]>>>,
    width: usize,
}

fn position(header: &[String], name: &str) -> Option<usize> {
    header.iter().position(|h| h.eq_ignore_ascii_case(name))
}

impl Lookup {
    /// Loads `join.file` from `dir` for an export whose header is `header`. None
    /// when the file is missing and `optional` (a preset's join: the columns are
    /// then absent, and the metrics that read them have no data).
    pub(super) fn load(
        join: &Join,
        dir: &Path,
        header: &[String],
        optional: bool,
    ) -> Result<Option<Lookup>> {
        let path = dir.join(&join.file);
        let display = path.display();
        if optional && !path.exists() {
            return Ok(None);
        }
        let key_at = position(header, &join.on).with_context(|| {
            format!(
                "join: the export has no column `{}` to join {} on",
                join.on, join.file
            )
        })?;
        let mut records = Records::open(&path, &Mapping::default())
            .with_context(|| format!("join: cannot open {display}"))?;
        let mut record = csv::ByteRecord::new();
        if records.next(&mut record)?.is_none() {
            bail!("join: {display} is empty");
        }
        let names = header_names(&record);
        let find = |name: &str| {
            position(&names, name).with_context(|| {
                format!(
                    "join: {display} has no column `{name}`; found: {}",
                    names.join(", ")
                )
            })
        };
        let key = find(&join.on)?;
        let wanted = join
            .columns
            .iter()
            .map(|c| find(c))
            .collect::<Result<Vec<_>>>()?;
        let mut rows: HashMap<Box<[u8]>, Vec<Box<[u8]>>> = HashMap::new();
        while records
            .next(&mut record)
            .with_context(|| format!("join: cannot read {display}"))?
            .is_some()
        {
            let field =
                |i: usize| -> Box<[u8]> { record.get(i).unwrap_or_default().trim_ascii().into() };
            let values: Vec<Box<[u8]>> = wanted.iter().map(|&i| field(i)).collect();
            match rows.get(&field(key)) {
                Some(seen) if *seen != values => bail!(
                    "join: {display}: {} {:?} appears twice with different values",
                    join.on,
                    String::from_utf8_lossy(&field(key))
                ),
                Some(_) => {}
                None => {
                    rows.insert(field(key), values);
                }
            }
        }
        Ok(Some(Lookup {
            key_at,
            rows,
            width: wanted.len(),
        }))
    }

    /// Appends the joined values to a row of the export (empty when its key is
    /// not in the joined file).
    pub(super) fn extend(&self, record: &mut csv::ByteRecord) {
        let key = record.get(self.key_at).unwrap_or_default().trim_ascii();
        match self.rows.get(key) {
            Some(values) => values.iter().for_each(|v| record.push_field(v)),
            None => (0..self.width).for_each(|_| record.push_field(b"")),
        }
    }
}
