//! The contract's rules across a row's fields ([`RowRule`]), with column indexes
//! looked up once per file.

use std::borrow::Cow;

use super::fields::{RowError, Value};
use super::{ColumnSpec, RowRule, Source};
use crate::source::timestamp::MS_PER_HOUR;

/// A [`RowRule`] with its columns' indexes in the contract.
enum Rule {
    NotBefore {
        later: usize,
        earlier: usize,
    },
    Needs {
        field: usize,
        needs: usize,
        why: &'static str,
    },
    EmptyNeedsStatus {
        field: usize,
        status: usize,
        allowed: &'static [&'static str],
    },
}

/// The rules across fields of one row, checked in order (the first broken rule is
/// the row's reason), and the derived defaults.
pub struct CrossRules {
    rules: Vec<Rule>,
    /// Shipments: `(status, delivered_at, shipped_at)`, to derive an empty status.
    status: Option<(usize, usize, usize)>,
}

impl CrossRules {
    pub fn new(source: Source, specs: &[ColumnSpec]) -> CrossRules {
        let index = |name: &str| {
            specs
                .iter()
                .position(|s| s.name == name)
                .expect("row rules name contract columns")
        };
        let rules = source
            .row_rules()
            .iter()
            .map(|rule| match *rule {
                RowRule::NotBefore { later, earlier } => Rule::NotBefore {
                    later: index(later),
                    earlier: index(earlier),
                },
                RowRule::Needs { field, needs, why } => Rule::Needs {
                    field: index(field),
                    needs: index(needs),
                    why,
                },
                RowRule::EmptyNeedsStatus { field, allowed } => Rule::EmptyNeedsStatus {
                    field: index(field),
                    status: index("status"),
                    allowed,
                },
            })
            .collect();
        let status = (source == Source::Shipments)
            .then(|| (index("status"), index("delivered_at"), index("shipped_at")));
        CrossRules { rules, status }
    }

    /// Checks one parsed row and fills derived defaults.
    pub fn check(
        &self,
        specs: &[ColumnSpec],
        positions: &[Option<usize>],
        values: &mut [Value<'_>],
    ) -> Result<(), RowError> {
        let ts = |values: &[Value], i: usize| match values[i] {
            Value::Int(v) => v,
            Value::Text(_) => None,
        };
        let at = |i: usize| (positions[i].map(|p| p + 1), Some(specs[i].name));
        for rule in &self.rules {
            match *rule {
                Rule::NotBefore { later, earlier } => {
                    if let (Some(a), Some(b)) = (ts(values, later), ts(values, earlier)) {
                        if a < b {
                            let (position, name) = at(later);
                            let (later, earlier) = (specs[later].name, specs[earlier].name);
                            return Err(RowError {
                                position,
                                name,
                                reason: format!("{later} before {earlier}"),
                                detail: format!(
                                    "{later} is {} hours before {earlier}",
                                    (b - a) as f64 / MS_PER_HOUR
                                ),
                            });
                        }
                    }
                }
                Rule::EmptyNeedsStatus {
                    field,
                    status,
                    allowed,
                } => {
                    let said = match &values[status] {
                        Value::Text(Some(s)) => allowed.contains(&s.as_ref()),
                        _ => false,
                    };
                    // An export without the column (refund requests) has nothing to explain.
                    if positions[field].is_some() && ts(values, field).is_none() && !said {
                        let (position, name) = at(field);
                        let field = specs[field].name;
                        return Err(RowError {
                            position,
                            name,
                            reason: format!("{field} empty without a status saying why"),
                            detail: format!(
                                "{field} is empty and status is not {}",
                                allowed.join(", ")
                            ),
                        });
                    }
                }
                // An export without the needed column cannot break the rule: the
                // metrics that read it have no data instead (no promise, no on-time).
                Rule::Needs { field, needs, why } => {
                    if positions[needs].is_some()
                        && ts(values, field).is_some()
                        && ts(values, needs).is_none()
                    {
                        let (position, name) = at(field);
                        let (field, needs) = (specs[field].name, specs[needs].name);
                        return Err(RowError {
                            position,
                            name,
                            reason: format!("{field} without {needs}"),
                            detail: format!("{why} ({needs} is empty)"),
                        });
                    }
                }
            }
        }
        if let Some((status, delivered, shipped)) = self.status {
            // Without a ship time nothing says whether the parcel is under way.
            if positions[shipped].is_some() && matches!(values[status], Value::Text(None)) {
                let derived = if ts(values, delivered).is_some() {
                    "delivered"
                } else {
                    "in_transit"
                };
                values[status] = Value::Text(Some(Cow::Borrowed(derived)));
            }
        }
        Ok(())
    }
}
