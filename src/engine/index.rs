//! The service index: the weighted mean attainment of the targeted metrics, per
//! split group (docs/metrics.md, "Composite").

use super::catalogue::{self, MetricDef, Origin, Unit};
use super::model::{Group, MetricRow};
use super::query::Split;
use super::targets::{Status, Targets};

/// The weighted mean attainment of targeted metrics, per split group.
pub fn add_service_index(
    rows: &mut Vec<MetricRow>,
    split: Option<&Split>,
    targets: &Targets,
    min_n: u64,
    notes: &mut Vec<String>,
) {
    let split_name = split.map(|s| s.name().to_string());
    // Overall rows and segment-target rows count towards the overall index; each
    // split group has its own.
    let groups: Vec<Option<Group>> = match &split_name {
        None => vec![None],
        Some(name) => {
            let mut seen: Vec<Option<Group>> = Vec::new();
            for r in rows.iter() {
                if r.group.as_ref().is_some_and(|g| g.contains_key(name))
                    && !seen.contains(&r.group)
                {
                    seen.push(r.group.clone());
                }
            }
            seen
        }
    };
    let def: &MetricDef = catalogue::find("service_index").expect("catalogued");
    let mut index_rows = Vec::new();
    for group in groups {
        let (mut sum, mut weights, mut used, mut missing) = (0.0, 0.0, 0u64, Vec::new());
        for row in rows.iter() {
            let in_group = match (&group, &split_name) {
                (None, _) => true,
                (Some(g), _) => row.group.as_ref() == Some(g),
            };
            if !in_group || (group.is_none() && split_name.is_some()) {
                continue;
            }
            let empty = Group::new();
            let Some(target) = targets.for_row(row.id, row.group.as_ref().unwrap_or(&empty)) else {
                continue;
            };
            match row.value {
                Some(v) if row.status != Status::NoData => {
                    sum += target.weight * target.attainment(v);
                    weights += target.weight;
                    used += 1;
                }
                _ => missing.push(format!("{}{}", row.id, segment_suffix(row))),
            }
        }
        let value = (weights > 0.0).then(|| 100.0 * sum / weights);
        if group.is_none() && !missing.is_empty() {
            notes.push(format!(
                "service_index leaves out targets with no data: {}",
                missing.join(", ")
            ));
        }
        let empty = Group::new();
        let target = targets.for_row(def.id, group.as_ref().unwrap_or(&empty));
        index_rows.push(MetricRow {
            id: def.id,
            source: Origin::Composite.name(),
            group: group.clone(),
            value,
            n: used,
            pending: None,
            unit: Unit::Index,
            target: target.map(|t| t.view()),
            status: match target {
                Some(t) => t.judge(value, used, min_n.max(1)),
                None if value.is_none() => Status::NoData,
                None => Status::NoTarget,
            },
            previous: None,
            delta: None,
        });
    }
    rows.extend(index_rows);
}

fn segment_suffix(row: &MetricRow) -> String {
    match &row.group {
        Some(g) => format!(" ({})", super::targets::segment_label(g)),
        None => String::new(),
    }
}
