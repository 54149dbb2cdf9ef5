//! `svcq complaints --format csv`: one row per listed term (and per aspect), full
//! precision, for a spreadsheet. `list` is complaint, praise, rising, aspect or
//! ticket; `group` the `--by` value or the ticket category.

use anyhow::Result;

use crate::engine::complaints::model::Complaints;

const HEADER: [&str; 15] = [
    "list",
    "group",
    "rank",
    "term",
    "z",
    "log_odds",
    "negative",
    "positive",
    "share",
    "previous_negative",
    "previous_share",
    "rise",
    "n",
    "example_id",
    "example",
];

fn opt(v: Option<f64>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

pub fn render(c: &Complaints) -> Result<String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(HEADER)?;
    for g in &c.groups {
        let group = g
            .group
            .as_ref()
            .map(crate::engine::targets::segment_label)
            .unwrap_or_default();
        for (list, rows) in [("complaint", &g.complaints), ("praise", &g.praise)] {
            for (i, r) in rows.iter().enumerate() {
                let example = r.examples.first();
                w.write_record([
                    list.to_string(),
                    group.clone(),
                    (i + 1).to_string(),
                    r.term.clone(),
                    r.z.to_string(),
                    r.log_odds.to_string(),
                    r.negative.to_string(),
                    r.positive.to_string(),
                    r.share.to_string(),
                    String::new(),
                    String::new(),
                    String::new(),
                    String::new(),
                    example.map(|e| e.id.clone()).unwrap_or_default(),
                    example.map(|e| e.text.clone()).unwrap_or_default(),
                ])?;
            }
        }
        for (i, r) in g.rising.iter().enumerate() {
            w.write_record([
                "rising".to_string(),
                group.clone(),
                (i + 1).to_string(),
                r.term.clone(),
                String::new(),
                String::new(),
                r.negative.to_string(),
                String::new(),
                r.share.to_string(),
                r.previous_negative.to_string(),
                r.previous_share.to_string(),
                r.rise.to_string(),
                String::new(),
                String::new(),
                String::new(),
            ])?;
        }
    }
    let mut rank = 0;
    let mut group = None;
    for r in &c.aspects {
        // Ranked within each group, as the term lists are.
        if group != Some(&r.group) {
            group = Some(&r.group);
            rank = 0;
        }
        rank += 1;
        w.write_record([
            "aspect".to_string(),
            r.group_label(),
            rank.to_string(),
            r.id.to_string(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            opt(r.value),
            String::new(),
            opt(r.previous),
            opt(r.delta),
            r.n.to_string(),
            String::new(),
            String::new(),
        ])?;
    }
    for cat in &c.ticket_categories {
        for (i, r) in cat.terms.iter().enumerate() {
            let example = r.examples.first();
            w.write_record([
                "ticket".to_string(),
                format!("category={}", cat.category),
                (i + 1).to_string(),
                r.term.clone(),
                r.z.to_string(),
                r.log_odds.to_string(),
                r.tickets.to_string(),
                r.other_tickets.to_string(),
                r.share.to_string(),
                String::new(),
                String::new(),
                String::new(),
                cat.tickets.to_string(),
                example.map(|e| e.id.clone()).unwrap_or_default(),
                example.map(|e| e.text.clone()).unwrap_or_default(),
            ])?;
        }
    }
    Ok(String::from_utf8(w.into_inner()?)?)
}
