//! The contract's validation rules in SQL, so a table is judged as svcq judges
//! an export: each row gets the reason of the first rule it breaks (`svcq_reason`,
//! null when accepted), in the reader's order — field rules in column order,
//! then the rules across fields, then duplicate ids — and only accepted rows are
//! counted; read = accepted + rejected comes back with the reasons.
//!
//! One difference a table forces: it has no row order, so where an export keeps
//! the first row of a duplicated id, SQL rejects every row of it.

use super::dialect::Dialect;
use super::Table;
use crate::source::{Kind, RowRule, Source, PRIORITIES, SHIPMENT_STATUSES};

/// The table's columns as the contract's (timestamps in UTC ms, labels trimmed
/// and lower-cased, priority and status aliases made canonical, absent columns
/// null), plus `svcq_reason` (always null for an svcq store, whose rows were
/// validated when ingested).
pub fn raw_view(dialect: Dialect, source: Source, table: &Table) -> String {
    let d = dialect;
    let text = |c: &str| {
        format!(
            "nullif(trim(CAST({} AS {})), '')",
            d.ident(c),
            d.string_type()
        )
    };
    let columns: Vec<String> = source
        .columns()
        .iter()
        .map(|spec| {
            let value = if !table.has(spec.name) {
                let ty = match spec.kind {
                    Kind::Timestamp(_) | Kind::Count | Kind::Integer { .. } => "BIGINT",
                    _ => d.string_type(),
                };
                format!("CAST(NULL AS {ty})")
            } else {
                match spec.kind {
                    Kind::Timestamp(_) => d.millis(&d.ident(spec.name)),
                    Kind::Count | Kind::Integer { .. } => format!("CAST({} AS BIGINT)", d.ident(spec.name)),
                    Kind::Text => text(spec.name),
                    Kind::Label => format!("lower({})", text(spec.name)),
                    Kind::Priority => format!(
                        "CASE lower({}) WHEN 'red' THEN 'urgent' WHEN 'p1' THEN 'urgent' WHEN 'yellow' THEN 'high' \
                         WHEN 'p2' THEN 'high' WHEN 'green' THEN 'normal' WHEN 'p3' THEN 'normal' WHEN 'p4' THEN 'low' \
                         ELSE lower({0}) END",
                        text(spec.name)
                    ),
                    Kind::ShipmentStatus => format!(
                        "CASE lower({}) WHEN 'canceled' THEN 'cancelled' ELSE lower({0}) END",
                        text(spec.name)
                    ),
                }
            };
            format!("{value} AS {}", spec.name)
        })
        .collect();
    if table.validated {
        return format!(
            "SELECT {}, CAST(NULL AS {}) AS svcq_reason FROM {}",
            columns.join(", "),
            d.string_type(),
            table.sql
        );
    }
    let read = format!(
        "SELECT {}, count(*) OVER (PARTITION BY {id}) AS svcq_copies FROM {}",
        columns.join(", "),
        table.sql,
        id = text(source.id_column()),
    );
    format!(
        "SELECT n.*, {} AS svcq_reason FROM ({read}) n",
        reason(d, source, table)
    )
}

fn list(d: Dialect, values: &[&str]) -> String {
    values
        .iter()
        .map(|v| d.text(v))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The first broken rule of a row of the normalised columns `n`, as text.
fn reason(d: Dialect, source: Source, table: &Table) -> String {
    let mut cases: Vec<(String, String)> = Vec::new();
    for spec in source.columns() {
        let c = format!("n.{}", spec.name);
        if spec.required {
            cases.push((format!("{c} IS NULL"), format!("{} empty", spec.name)));
        }
        let broken = match spec.kind {
            Kind::Priority => Some((
                format!("{c} NOT IN ({})", list(d, &PRIORITIES)),
                "not a known priority",
            )),
            Kind::ShipmentStatus => Some((
                format!("{c} NOT IN ({})", list(d, &SHIPMENT_STATUSES)),
                "not a known status",
            )),
            Kind::Count => Some((format!("{c} < 0"), "not a non-negative integer")),
            Kind::Integer { min, max } => {
                Some((format!("({c} < {min} OR {c} > {max})"), "not an integer"))
            }
            _ => None,
        };
        if let Some((test, why)) = broken {
            cases.push((test, format!("{} {why}", spec.name)));
        }
    }
    for rule in source.row_rules() {
        match *rule {
            RowRule::NotBefore { later, earlier } => {
                cases.push((
                    format!("n.{later} < n.{earlier}"),
                    format!("{later} before {earlier}"),
                ));
            }
            // An export without the needed column cannot break the rule.
            RowRule::Needs { field, needs, .. } if table.has(needs) => {
                cases.push((
                    format!("n.{field} IS NOT NULL AND n.{needs} IS NULL"),
                    format!("{field} without {needs}"),
                ));
            }
            RowRule::Needs { .. } => {}
            // An export without the column (refund requests) has nothing to explain.
            RowRule::EmptyNeedsStatus { field, allowed } if table.has(field) => {
                cases.push((
                    format!(
                        "n.{field} IS NULL AND (n.status IS NULL OR n.status NOT IN ({}))",
                        list(d, allowed)
                    ),
                    format!("{field} empty without a status saying why"),
                ));
            }
            RowRule::EmptyNeedsStatus { .. } => {}
        }
    }
    let id = source.id_column();
    cases.push(("n.svcq_copies > 1".into(), format!("duplicate {id}")));
    let whens: String = cases
        .iter()
        .map(|(test, why)| format!(" WHEN {test} THEN {}", d.text(why)))
        .collect();
    format!("CASE{whens} END")
}

/// The accepted rows with the reader's derived defaults: a shipment's empty
/// status is delivered or in transit by its delivery time.
pub fn accepted(source: Source, table: &Table) -> String {
    let columns: Vec<String> = source
        .columns()
        .iter()
        .map(|spec| match spec.kind {
            Kind::ShipmentStatus if table.has("shipped_at") => format!(
                "CASE WHEN {c} IS NULL THEN CASE WHEN delivered_at IS NOT NULL THEN 'delivered' ELSE 'in_transit' END ELSE {c} END AS {c}",
                c = spec.name
            ),
            _ => spec.name.to_string(),
        })
        .collect();
    format!(
        "SELECT {} FROM svcq_{}_raw WHERE svcq_reason IS NULL",
        columns.join(", "),
        source.name()
    )
}
