//! One CSV row per metric row, raw numbers (rates as fractions, hours as hours).

use anyhow::Result;

use super::{Document, Exporter};

pub struct CsvExporter;

fn number(v: Option<f64>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

impl Exporter for CsvExporter {
    fn render(&self, doc: &Document) -> Result<String> {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record([
            "period",
            "id",
            "source",
            "group",
            "value",
            "n",
            "unit",
            "target_min",
            "target_max",
            "target_warn",
            "status",
            "previous",
            "delta",
            "pending",
        ])?;
        for m in &doc.report.metrics {
            let t = m.target.as_ref();
            w.write_record([
                doc.report.period.label.clone(),
                m.id.to_string(),
                m.source.to_string(),
                m.group_label(),
                number(m.value),
                m.n.to_string(),
                serde_json::to_value(m.unit)?
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                number(t.and_then(|t| t.min)),
                number(t.and_then(|t| t.max)),
                number(t.and_then(|t| t.warn)),
                serde_json::to_value(m.status)?
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                number(m.previous),
                number(m.delta),
                m.pending.map(|p| p.to_string()).unwrap_or_default(),
            ])?;
        }
        Ok(String::from_utf8(
            w.into_inner().map_err(|e| e.into_error())?,
        )?)
    }
}
