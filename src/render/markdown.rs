//! Markdown tables for wikis and pull-request comments.

use anyhow::Result;

use super::{
    format_delta, format_n, format_target, format_value, status_word, thousands, Document, Exporter,
};
use crate::engine::targets::Status;

pub struct MarkdownExporter;

fn escape(text: &str) -> String {
    text.replace('|', "\\|")
}

fn badge(status: Status) -> String {
    match status {
        Status::Pass => "✅ pass".into(),
        Status::Warn => "⚠️ warn".into(),
        Status::Fail => "❌ fail".into(),
        Status::NoData => "⬜ no data".into(),
        Status::NoTarget => String::new(),
    }
}

impl Exporter for MarkdownExporter {
    fn render(&self, doc: &Document) -> Result<String> {
        let r = doc.report;
        let mut out = String::new();
        if let Some(gate) = doc.gate {
            let s = &gate.summary;
            out.push_str(&format!(
                "### svcq check · {}\n\n{} targets: {} pass, {} warn, {} fail, {} no data\n\n",
                r.period.label, s.targets, s.pass, s.warn, s.fail, s.no_data
            ));
            out.push_str("| status | metric | segment | actual | n | target |\n|---|---|---|---:|---:|---|\n");
            for o in &gate.outcomes {
                out.push_str(&format!(
                    "| {} | `{}` | {} | {} | {} | {} |\n",
                    badge(o.status),
                    o.row.id,
                    escape(&o.segment),
                    format_value(o.row.unit, o.row.value),
                    thousands(o.row.n),
                    escape(&format_target(o.row.target.as_ref(), o.row.unit)),
                ));
            }
            return Ok(out);
        }
        out.push_str(&format!(
            "## Service quality · {}\n\n{} → {} ({}), as of {}\n\n",
            r.period.label, r.period.from, r.period.to, r.period.timezone, r.as_of
        ));
        let compare = r.previous_period.is_some();
        out.push_str("| metric | segment | value | n | target | status |");
        out.push_str(if compare {
            " previous | change |\n"
        } else {
            "\n"
        });
        out.push_str("|---|---|---:|---:|---|---|");
        out.push_str(if compare { "---:|---|\n" } else { "\n" });
        for m in &r.metrics {
            out.push_str(&format!(
                "| `{}` | {} | {} | {} | {} | {} |",
                m.id,
                escape(&m.group_label()),
                format_value(m.unit, m.value),
                format_n(m.n, m.pending),
                escape(&format_target(m.target.as_ref(), m.unit)),
                status_word(m.status),
            ));
            if compare {
                out.push_str(&format!(
                    " {} | {} |",
                    format_value(m.unit, m.previous),
                    format_delta(m.unit, m.delta)
                ));
            }
            out.push('\n');
        }
        for note in &r.notes {
            out.push_str(&format!("\n> {note}\n"));
        }
        Ok(out)
    }
}
