//! Event logs: an export with one row per update of a record (ServiceNow's
//! incident log, a help desk's audit export) folded into one record per id.
//!
//! ```toml
//! [sources.tickets.fold]
//! order_by = "sys_updated_at"     # the update's time: rows may come in any order
//! earliest = ["created_at"]       # the earliest value over the updates
//! max = ["reopens"]               # the largest
//! filled = ["status"]             # the latest update where it is not empty
//! # set by the first update whose incident_state is not New
//! first_response_at = { column = "incident_state", not_in = ["New"] }
//! ```
//!
//! Every other field takes its value from the latest update (ties: the later row),
//! so a ticket reopened and not yet resolved again has no resolution.

use std::collections::BTreeMap;

use anyhow::{bail, Context, Result};
use chrono_tz::Tz;
use serde::Deserialize;

use super::fields::{field_text, RowError, Value};
use super::mapping::{field_spec, FieldFrom, Mapping};
use super::timestamp::parse_timestamp;
use super::{ColumnSpec, Kind, Moment, Source};

// Not deny_unknown_fields (serde cannot with flatten): an unknown key is taken
// as a field name and fails validation naming the valid fields.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct FoldSpec {
    order_by: String,
    #[serde(default)]
    earliest: Vec<String>,
    #[serde(default)]
    max: Vec<String>,
    #[serde(default)]
    filled: Vec<String>,
    /// Fields set by the first update that matches a condition.
    #[serde(flatten)]
    first: BTreeMap<String, FirstSpec>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct FirstSpec {
    column: String,
    #[serde(default, rename = "in")]
    is_in: Vec<String>,
    #[serde(default)]
    not_in: Vec<String>,
    /// The export column holding the time (default: `order_by`).
    at: Option<String>,
}

/// A field set by the first update whose `column` is (or is not) in `values`.
#[derive(Debug, Clone)]
pub struct FirstWhen {
    pub field: &'static str,
    pub column: String,
    pub values: Vec<String>,
    pub negate: bool,
    pub at: String,
}

/// Validated folding rules, by field name and export column.
#[derive(Debug, Clone)]
pub struct FoldRules {
    pub order_by: String,
    pub earliest: Vec<&'static str>,
    pub max: Vec<&'static str>,
    /// From the latest update where the field is not empty (an order's fields
    /// written on the first of its line-item rows only).
    pub filled: Vec<&'static str>,
    pub first: Vec<FirstWhen>,
}

impl FoldSpec {
    pub(super) fn validate(
        self,
        source: Source,
        columns: &BTreeMap<String, FieldFrom>,
    ) -> Result<FoldRules> {
        let mut earliest = Vec::new();
        for field in &self.earliest {
            let spec = field_spec(source, "earliest", field)?;
            if !matches!(spec.kind, Kind::Timestamp(_)) {
                bail!("earliest: {field} is not a timestamp field");
            }
            earliest.push(spec.name);
        }
        let mut max = Vec::new();
        for field in &self.max {
            let spec = field_spec(source, "max", field)?;
            if !matches!(
                spec.kind,
                Kind::Count | Kind::Integer { .. } | Kind::Timestamp(_)
            ) {
                bail!("max: {field} is not a number or timestamp field");
            }
            max.push(spec.name);
        }
        let filled = self
            .filled
            .iter()
            .map(|field| field_spec(source, "filled", field).map(|s| s.name))
            .collect::<Result<Vec<_>>>()?;
        let mut first = Vec::new();
        for (field, rule) in self.first {
            let spec = field_spec(source, &field, &field)?;
            if spec.kind != Kind::Timestamp(Moment::Event) {
                bail!("{field}: only event timestamps can be set by an update");
            }
            if columns.contains_key(&field) {
                bail!("{field}: mapped in [columns] and set by the fold; keep one");
            }
            let (values, negate) = match (rule.is_in.is_empty(), rule.not_in.is_empty()) {
                (false, true) => (rule.is_in, false),
                (true, false) => (rule.not_in, true),
                _ => bail!("{field}: give exactly one of `in` or `not_in`"),
            };
            first.push(FirstWhen {
                field: spec.name,
                column: rule.column,
                values,
                negate,
                at: rule.at.unwrap_or_else(|| self.order_by.clone()),
            });
        }
        Ok(FoldRules {
            order_by: self.order_by,
            earliest,
            max,
            filled,
            first,
        })
    }
}

/// One update as the fold reads it: its time, the candidate times of the fields
/// set by an update, and its parsed fields.
pub(super) type UpdateValues = (Option<i64>, Vec<Option<i64>>, Vec<Value<'static>>);

/// The fold rules with their columns found in the header.
pub(super) struct Folder {
    order_by: usize,
    earliest: Vec<usize>,
    max: Vec<usize>,
    filled: Vec<usize>,
    /// (field index, condition column, time column, values, negate)
    first: Vec<(usize, usize, usize, Vec<String>, bool)>,
}

impl Folder {
    /// `find` gives an export column's position in the header, or an error naming it.
    pub(super) fn new(
        rules: &FoldRules,
        specs: &[ColumnSpec],
        find: impl Fn(&str) -> Result<usize>,
    ) -> Result<Folder> {
        let index = |name: &str| specs.iter().position(|s| s.name == name).unwrap_or(0);
        Ok(Folder {
            order_by: find(&rules.order_by).context("fold.order_by")?,
            earliest: rules.earliest.iter().map(|f| index(f)).collect(),
            max: rules.max.iter().map(|f| index(f)).collect(),
            filled: rules.filled.iter().map(|f| index(f)).collect(),
            first: rules
                .first
                .iter()
                .map(|f| {
                    Ok((
                        index(f.field),
                        find(&f.column).with_context(|| format!("fold.{}", f.field))?,
                        find(&f.at).with_context(|| format!("fold.{}", f.field))?,
                        f.values.clone(),
                        f.negate,
                    ))
                })
                .collect::<Result<_>>()?,
        })
    }

    /// A timestamp column of an update (`key` names it in the fold), read with
    /// the mapping's formats.
    fn time(
        &self,
        record: &csv::ByteRecord,
        position: usize,
        key: &'static str,
        spec: &ColumnSpec,
        tz: Tz,
        mapping: &Mapping,
    ) -> Result<Option<i64>, RowError> {
        let text = field_text(record, position, spec, mapping)?;
        if text.is_empty() {
            return Ok(None);
        }
        mapping
            .parse_timestamp(text, tz, Moment::Event)
            .or_else(|| parse_timestamp(text, tz).ok())
            .map(Some)
            .ok_or_else(|| RowError {
                position: Some(position + 1),
                name: Some(key),
                reason: format!("{key} not a timestamp"),
                detail: format!("{text:?} (an update time of the event log) is not a timestamp"),
            })
    }

    /// The sort key of one update (its time; updates without one sort first) and
    /// the candidate times of the fields set by an update.
    pub(super) fn update_times(
        &self,
        record: &csv::ByteRecord,
        specs: &[ColumnSpec],
        tz: Tz,
        mapping: &Mapping,
    ) -> Result<(Option<i64>, Vec<Option<i64>>), RowError> {
        // Errors point at the id column's spec: the update columns are not fields.
        let spec = &specs[0];
        let order = self.time(record, self.order_by, "fold.order_by", spec, tz, mapping)?;
        let mut firsts = Vec::with_capacity(self.first.len());
        for (_, column, at, values, negate) in &self.first {
            let state = field_text(record, *column, spec, mapping)?;
            let listed = values.iter().any(|v| v.eq_ignore_ascii_case(state));
            firsts.push(if listed != *negate {
                self.time(record, *at, "fold.at", spec, tz, mapping)?
            } else {
                None
            });
        }
        Ok((order, firsts))
    }

    /// Folds one record's parsed updates, `(order, firsts, values)` in file order,
    /// into one row of values.
    pub(super) fn fold(&self, mut updates: Vec<UpdateValues>) -> Vec<Value<'static>> {
        // Stable: equal times keep file order, so the later row is the latest.
        updates.sort_by_key(|u| u.0);
        let ints = |i: usize| {
            updates.iter().filter_map(move |u| match u.2[i] {
                Value::Int(v) => v,
                Value::Text(_) => None,
            })
        };
        let earliest: Vec<(usize, Option<i64>)> =
            self.earliest.iter().map(|&i| (i, ints(i).min())).collect();
        let max: Vec<(usize, Option<i64>)> = self.max.iter().map(|&i| (i, ints(i).max())).collect();
        let firsts: Vec<(usize, Option<i64>)> = self
            .first
            .iter()
            .enumerate()
            .map(|(k, f)| (f.0, updates.iter().filter_map(|u| u.1[k]).min()))
            .collect();
        let filled: Vec<(usize, Value<'static>)> = self
            .filled
            .iter()
            .map(|&i| {
                let latest = updates
                    .iter_mut()
                    .rev()
                    .map(|u| &mut u.2[i])
                    .find(|v| !matches!(v, Value::Int(None) | Value::Text(None)));
                let empty = Value::Text(None);
                (
                    i,
                    latest.map_or(empty, |v| std::mem::replace(v, Value::Int(None))),
                )
            })
            .collect();
        let mut values = updates.pop().expect("a record has at least one update").2;
        for (i, v) in earliest.into_iter().chain(max).chain(firsts) {
            values[i] = Value::Int(v);
        }
        for (i, v) in filled {
            // None found: the latest update's own (empty) value stays.
            if !matches!(v, Value::Text(None)) {
                values[i] = v;
            }
        }
        values
    }
}
