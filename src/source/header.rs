//! An export's header: its names, and where each contract field is in it.

use std::collections::HashMap;

use anyhow::{bail, Context, Result};

use super::fields::{Locator, WhenThen};
use super::fold::Folder;
use super::mapping::{FieldFrom, Mapping, Then};
use super::Source;

/// The header's names, trimmed, without a byte-order mark.
pub(super) fn header_names(record: &csv::ByteRecord) -> Vec<String> {
    record
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let text = String::from_utf8_lossy(f);
            let text = if i == 0 {
                text.trim_start_matches('\u{feff}')
            } else {
                &text
            };
            text.trim().to_string()
        })
        .collect()
}

pub(super) fn same_header(a: &[String], b: &[String]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.eq_ignore_ascii_case(y))
}

/// Where each contract field is in the header, and the fold's columns for an
/// event log. A mapped column not in the header is an error naming the columns
/// found; so is a required one.
pub(super) fn locate_columns(
    path: &str,
    source: Source,
    header: &[String],
    mapping: &Mapping,
) -> Result<(Vec<Locator>, Option<Folder>)> {
    let mut by_name: HashMap<String, usize> = HashMap::new();
    for (i, name) in header.iter().enumerate() {
        // Unnamed columns (a trailing comma, a sheet's empty leading columns)
        // cannot be mapped, so two of them are no ambiguity.
        if name.is_empty() {
            continue;
        }
        if by_name.insert(name.to_lowercase(), i).is_some() {
            bail!("{path}: column {name:?} appears more than once in the header");
        }
    }
    let find = |column: &str, why: &str| -> Result<usize> {
        by_name
            .get(&column.to_lowercase())
            .copied()
            .with_context(|| {
                format!(
                    "{path}: column {column:?} ({why}) is not in the header; found columns: {}",
                    header.join(", ")
                )
            })
    };
    let specs = source.columns();
    let index = |name: &str| {
        specs
            .iter()
            .position(|s| s.name == name)
            .expect("a contract field")
    };
    let folded: Vec<&str> = mapping
        .fold
        .iter()
        .flat_map(|f| f.first.iter().map(|w| w.field))
        .collect();
    let mut locators = Vec::new();
    for spec in specs {
        let mapped = |column: &str| find(column, &format!("mapped to {}", spec.name));
        // A preset maps columns an export may leave out: those are absent.
        let optional = !spec.in_header && mapping.optional.contains(spec.name);
        let present = |from: &FieldFrom| match from {
            FieldFrom::Column(c) | FieldFrom::Duration { column: c, .. } => {
                by_name.contains_key(&c.to_lowercase())
            }
            FieldFrom::Joined(cs) => cs.iter().any(|c| by_name.contains_key(&c.to_lowercase())),
            FieldFrom::Hash(cs) => cs.iter().all(|c| by_name.contains_key(&c.to_lowercase())),
            FieldFrom::When {
                then,
                when,
                otherwise,
            } => {
                let has = |c: &str| by_name.contains_key(&c.to_lowercase());
                has(&when.column)
                    && match then {
                        Then::Column(c) => has(c),
                        Then::Value(_) => true,
                    }
                    && otherwise.as_deref().is_none_or(has)
            }
        };
        let locator = match mapping.columns.get(spec.name) {
            // A preset's condition whose columns the export lacks: its `otherwise`
            // column alone when that is there (Shopify without `Cancelled at`).
            Some(FieldFrom::When {
                otherwise: Some(other),
                ..
            }) if optional
                && !present(mapping.columns.get(spec.name).expect("matched"))
                && by_name.contains_key(&other.to_lowercase()) =>
            {
                Locator::At(mapped(other)?)
            }
            Some(from) if optional && !present(from) => Locator::Absent,
            Some(FieldFrom::Joined(columns)) if optional => Locator::Joined(
                columns
                    .iter()
                    .filter_map(|c| by_name.get(&c.to_lowercase()).copied())
                    .collect(),
            ),
            Some(FieldFrom::Column(column)) => Locator::At(mapped(column)?),
            Some(FieldFrom::Joined(columns)) => {
                Locator::Joined(columns.iter().map(|c| mapped(c)).collect::<Result<_>>()?)
            }
            Some(FieldFrom::Duration {
                column,
                unit,
                after,
            }) => Locator::Duration {
                at: mapped(column)?,
                unit: *unit,
                after: index(after),
            },
            Some(FieldFrom::Hash(columns)) => {
                Locator::Hash(columns.iter().map(|c| mapped(c)).collect::<Result<_>>()?)
            }
            Some(FieldFrom::When {
                then,
                when,
                otherwise,
            }) => Locator::When {
                then: match then {
                    Then::Column(c) => WhenThen::At(mapped(c)?),
                    Then::Value(v) => WhenThen::Value(v.clone()),
                },
                test_at: mapped(&when.column)?,
                values: when.values.clone(),
                negate: when.negate,
                otherwise: otherwise.as_deref().map(mapped).transpose()?,
            },
            None if folded.contains(&spec.name) => Locator::Folded,
            // A preset states every field it reads: an export column that merely
            // shares a field's name (Amazon's return `status`) is not that field.
            None if mapping.preset.is_some() && !spec.in_header => Locator::Absent,
            None => match by_name.get(spec.name) {
                Some(&p) => Locator::At(p),
                None if spec.in_header => bail!(
                    "{path}: missing required column `{}` for {source}; found columns: {}",
                    spec.name,
                    header.join(", ")
                ),
                None => Locator::Absent,
            },
        };
        locators.push(locator);
    }
    let folder = match &mapping.fold {
        Some(rules) => Some(Folder::new(rules, specs, |c| find(c, "named in the fold"))?),
        None => None,
    };
    Ok((locators, folder))
}
