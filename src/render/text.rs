//! `check`'s default output: one line per target, then a summary line.

use anyhow::{bail, Result};

use super::{status_word, Document, Exporter};

pub struct TextExporter {
    pub color: bool,
}

impl Exporter for TextExporter {
    fn render(&self, doc: &Document) -> Result<String> {
        let Some(gate) = doc.gate else {
            bail!("the text format is for `svcq check`")
        };
        let mut out = format!(
            "svcq check · {} ({} → {})\n",
            doc.report.period.label, doc.report.period.from, doc.report.period.to
        );
        for o in &gate.outcomes {
            let word = format!("{:<7}", status_word(o.status));
            let word = crate::ui::paint(&word, crate::ui::status_style(&word), self.color);
            out.push_str(&format!("{word} {}\n", o.message));
        }
        for note in &gate.notes {
            out.push_str(&format!("note: {note}\n"));
        }
        let s = &gate.summary;
        out.push_str(&format!(
            "{} targets: {} pass, {} warn, {} fail, {} no data → exit {}\n",
            s.targets, s.pass, s.warn, s.fail, s.no_data, s.exit_code
        ));
        Ok(out)
    }
}
