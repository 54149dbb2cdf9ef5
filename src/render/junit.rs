//! JUnit XML: a testsuite per source, a testcase per target and segment.

use std::collections::BTreeMap;

use anyhow::{bail, Result};

use super::{Document, Exporter};
use crate::engine::gate::Outcome;
use crate::engine::targets::Status;

pub struct JunitExporter;

fn xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 && !matches!(c, '\n' | '\t' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}

impl Exporter for JunitExporter {
    fn render(&self, doc: &Document) -> Result<String> {
        let Some(gate) = doc.gate else {
            bail!("the junit format is for `svcq check`")
        };
        let mut suites: BTreeMap<&str, Vec<&Outcome>> = BTreeMap::new();
        for o in &gate.outcomes {
            suites.entry(o.row.source).or_default().push(o);
        }
        let failures = |os: &[&Outcome]| os.iter().filter(|o| o.breaks_gate).count();
        let skipped = |os: &[&Outcome]| {
            os.iter()
                .filter(|o| !o.breaks_gate && o.status == Status::NoData)
                .count()
        };
        let all: Vec<&Outcome> = gate.outcomes.iter().collect();
        let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        out.push_str(&format!(
            "<testsuites name=\"svcq check {}\" tests=\"{}\" failures=\"{}\" skipped=\"{}\" errors=\"0\">\n",
            xml(&doc.report.period.label),
            all.len(),
            failures(&all),
            skipped(&all)
        ));
        for (source, outcomes) in &suites {
            out.push_str(&format!(
                "  <testsuite name=\"{source}\" tests=\"{}\" failures=\"{}\" skipped=\"{}\" errors=\"0\">\n",
                outcomes.len(),
                failures(outcomes),
                skipped(outcomes)
            ));
            for o in outcomes {
                let name = if o.segment.is_empty() {
                    o.row.id.to_string()
                } else {
                    format!("{} [{}]", o.row.id, o.segment)
                };
                out.push_str(&format!(
                    "    <testcase classname=\"svcq.{source}\" name=\"{}\">\n",
                    xml(&name)
                ));
                let kind = match o.status {
                    Status::Fail => "fail",
                    Status::Warn => "warn",
                    _ => "no_data",
                };
                match (o.status, o.breaks_gate) {
                    (Status::Pass, _) => {}
                    (_, true) => out.push_str(&format!(
                        "      <failure type=\"{kind}\" message=\"{}\">{}</failure>\n",
                        xml(&o.message),
                        xml(&o.message)
                    )),
                    (Status::NoData, false) => out.push_str(&format!(
                        "      <skipped message=\"{}\"/>\n",
                        xml(&o.message)
                    )),
                    _ => out.push_str(&format!(
                        "      <system-out>WARN {}</system-out>\n",
                        xml(&o.message)
                    )),
                }
                out.push_str("    </testcase>\n");
            }
            out.push_str("  </testsuite>\n");
        }
        out.push_str("</testsuites>\n");
        Ok(out)
    }
}
