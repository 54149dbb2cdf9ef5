//! `svcq complaints` on a terminal: one table per list.

use comfy_table::{presets::UTF8_FULL_CONDENSED, Cell, CellAlignment, Table};

use super::{counts_line, group_label, latest_example, percent, points};
use crate::engine::catalogue;
use crate::engine::complaints::model::{Complaints, TermRow};
use crate::render::table::status_cell;
use crate::render::{format_delta, format_target, format_value, thousands};

const EXAMPLE_CHARS: usize = 48;

fn table(header: &[&str], color: bool) -> Table {
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED);
    if color {
        t.enforce_styling();
    }
    t.set_header(header.to_vec());
    t
}

fn num(text: String) -> Cell {
    Cell::new(text).set_alignment(CellAlignment::Right)
}

fn terms_table(rows: &[TermRow], color: bool) -> Table {
    let mut t = table(
        &[
            "term",
            "z",
            "negative",
            "positive",
            "share",
            "latest example",
        ],
        color,
    );
    for r in rows {
        t.add_row(vec![
            Cell::new(&r.term),
            num(format!("{:.2}", r.z)),
            num(thousands(r.negative)),
            num(thousands(r.positive)),
            num(percent(r.share)),
            Cell::new(latest_example(&r.examples, EXAMPLE_CHARS)),
        ]);
    }
    t
}

pub fn render(c: &Complaints, color: bool) -> String {
    let mut out = format!(
        "svcq complaints · {} · {} → {} ({}) · as of {}\ncompared with {} · terms used by at least {} reviews of their side\n",
        c.period.label,
        c.period.from,
        c.period.to,
        c.period.timezone,
        c.as_of,
        c.previous_period.label,
        c.min_count
    );
    for g in &c.groups {
        out.push_str(&format!(
            "\n## {} — {}\n",
            group_label(g),
            counts_line(&g.counts)
        ));
        if g.complaints.is_empty() {
            out.push_str("No complaint term reaches the minimum count.\n");
        } else {
            out.push_str(&format!(
                "\nWhat customers complain about (used more in negative than positive reviews)\n{}\n",
                terms_table(&g.complaints, color)
            ));
        }
        if !g.praise.is_empty() {
            out.push_str(&format!(
                "\nWhat customers praise (used more in positive reviews)\n{}\n",
                terms_table(&g.praise, color)
            ));
        }
        if !g.rising.is_empty() {
            let mut t = table(
                &[
                    "term",
                    "negative",
                    "share",
                    "before",
                    "previous share",
                    "change",
                ],
                color,
            );
            for r in &g.rising {
                t.add_row(vec![
                    Cell::new(&r.term),
                    num(thousands(r.negative)),
                    num(percent(r.share)),
                    num(thousands(r.previous_negative)),
                    num(percent(r.previous_share)),
                    num(points(r.rise)),
                ]);
            }
            out.push_str(&format!(
                "\nRising complaints since {}\n{t}\n",
                c.previous_period.label
            ));
        }
    }
    if !c.aspects.is_empty() {
        let split = c.aspects.iter().any(|r| r.group.is_some());
        let mut header = vec!["aspect"];
        if split {
            header.push(c.by.as_deref().unwrap_or("segment"));
        }
        header.extend(["value", "n", "target", "status", "previous", "change"]);
        let mut t = table(&header, color);
        for r in &c.aspects {
            let title = catalogue::find(r.id).map_or(r.id, |d| d.title);
            let mut cells = vec![Cell::new(format!("{title} ({})", r.id))];
            if split {
                cells.push(Cell::new(r.group_label()));
            }
            cells.extend([
                num(format_value(r.unit, r.value)),
                num(thousands(r.n)),
                Cell::new(format_target(r.target.as_ref(), r.unit)),
                status_cell(r.status, color),
                num(format_value(r.unit, r.previous)),
                Cell::new(format_delta(r.unit, r.delta)),
            ]);
            t.add_row(cells);
        }
        out.push_str(&format!(
            "\nAspects: the share of negative reviews (with a text) that mention each\n{t}\n"
        ));
    }
    for cat in &c.ticket_categories {
        if cat.terms.is_empty() {
            continue;
        }
        let mut t = table(
            &[
                "term",
                "z",
                "tickets",
                "other tickets",
                "share",
                "latest example",
            ],
            color,
        );
        for r in &cat.terms {
            t.add_row(vec![
                Cell::new(&r.term),
                num(format!("{:.2}", r.z)),
                num(thousands(r.tickets)),
                num(thousands(r.other_tickets)),
                num(percent(r.share)),
                Cell::new(latest_example(&r.examples, EXAMPLE_CHARS)),
            ]);
        }
        out.push_str(&format!(
            "\nTickets about {} ({} with terms in their subject): their words against other categories'\n{t}\n",
            cat.category,
            thousands(cat.tickets)
        ));
    }
    for note in &c.notes {
        out.push_str(&format!("note: {note}\n"));
    }
    out
}
