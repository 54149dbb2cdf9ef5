//! `svcq complaints --format markdown`: headings and pipe tables, for a wiki or
//! a pull-request comment.

use super::{counts_line, group_label, latest_example, percent, points};
use crate::engine::catalogue;
use crate::engine::complaints::model::{Complaints, TermRow};
use crate::render::{format_delta, format_target, format_value, status_word, thousands};

fn cell(text: &str) -> String {
    text.replace('|', "\\|")
}

fn terms(out: &mut String, rows: &[TermRow]) {
    out.push_str(
        "| term | z | negative | positive | share | latest example |\n|---|--:|--:|--:|--:|---|\n",
    );
    for r in rows {
        out.push_str(&format!(
            "| {} | {:.2} | {} | {} | {} | {} |\n",
            cell(&r.term),
            r.z,
            thousands(r.negative),
            thousands(r.positive),
            percent(r.share),
            cell(&latest_example(&r.examples, 80))
        ));
    }
}

pub fn render(c: &Complaints) -> String {
    let mut out = format!(
        "# Complaints · {}\n\n{} → {} ({}), as of {}; compared with {}. Terms used by at least {} reviews of their side.\n",
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
            "\n## {}\n\n{}.\n",
            group_label(g),
            counts_line(&g.counts)
        ));
        if !g.complaints.is_empty() {
            out.push_str("\n### What customers complain about\n\n");
            terms(&mut out, &g.complaints);
        }
        if !g.praise.is_empty() {
            out.push_str("\n### What customers praise\n\n");
            terms(&mut out, &g.praise);
        }
        if !g.rising.is_empty() {
            out.push_str(&format!(
                "\n### Rising since {}\n\n| term | negative | share | before | previous share | change |\n|---|--:|--:|--:|--:|--:|\n",
                c.previous_period.label
            ));
            for r in &g.rising {
                out.push_str(&format!(
                    "| {} | {} | {} | {} | {} | {} |\n",
                    cell(&r.term),
                    thousands(r.negative),
                    percent(r.share),
                    thousands(r.previous_negative),
                    percent(r.previous_share),
                    points(r.rise)
                ));
            }
        }
    }
    if !c.aspects.is_empty() {
        out.push_str("\n## Aspects\n\n| aspect | segment | value | n | target | status | previous | change |\n|---|---|--:|--:|---|---|--:|---|\n");
        for r in &c.aspects {
            let title = catalogue::find(r.id).map_or(r.id, |d| d.title);
            out.push_str(&format!(
                "| {title} (`{}`) | {} | {} | {} | {} | {} | {} | {} |\n",
                r.id,
                cell(&r.group_label()),
                format_value(r.unit, r.value),
                thousands(r.n),
                format_target(r.target.as_ref(), r.unit),
                status_word(r.status),
                format_value(r.unit, r.previous),
                format_delta(r.unit, r.delta)
            ));
        }
    }
    for cat in c.ticket_categories.iter().filter(|c| !c.terms.is_empty()) {
        out.push_str(&format!(
            "\n## Tickets about {} ({} with terms in their subject)\n\n| term | z | tickets | other tickets | share | latest example |\n|---|--:|--:|--:|--:|---|\n",
            cell(&cat.category),
            thousands(cat.tickets)
        ));
        for r in &cat.terms {
            out.push_str(&format!(
                "| {} | {:.2} | {} | {} | {} | {} |\n",
                cell(&r.term),
                r.z,
                thousands(r.tickets),
                thousands(r.other_tickets),
                percent(r.share),
                cell(&latest_example(&r.examples, 80))
            ));
        }
    }
    for note in &c.notes {
        out.push_str(&format!("\n> {}\n", note));
    }
    out
}
