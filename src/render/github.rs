//! GitHub Actions workflow commands: `::error` for what breaks the gate,
//! `::warning` for the rest that is not a pass.

use anyhow::{bail, Result};

use super::{Document, Exporter};
use crate::engine::targets::Status;

pub struct GithubExporter;

/// Escaping GitHub requires in workflow command data and properties.
fn data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn property(text: &str) -> String {
    data(text).replace(':', "%3A").replace(',', "%2C")
}

impl Exporter for GithubExporter {
    fn render(&self, doc: &Document) -> Result<String> {
        let Some(gate) = doc.gate else {
            bail!("the github format is for `svcq check`")
        };
        let mut out = String::new();
        for o in &gate.outcomes {
            if o.status == Status::Pass {
                continue;
            }
            let level = if o.breaks_gate { "error" } else { "warning" };
            let title = format!("svcq {}: {}", o.status.label(), o.row.id);
            out.push_str(&format!(
                "::{level} title={}::{}\n",
                property(&title),
                data(&o.message)
            ));
        }
        let s = &gate.summary;
        out.push_str(&format!(
            "svcq check: {} targets: {} pass, {} warn, {} fail, {} no data\n",
            s.targets, s.pass, s.warn, s.fail, s.no_data
        ));
        Ok(out)
    }
}
