//! The JSON contract (docs/json.md): the report, plus `check` for the gate.

use anyhow::Result;

use super::{Document, Exporter};

pub struct JsonExporter;

impl Exporter for JsonExporter {
    fn render(&self, doc: &Document) -> Result<String> {
        let mut value = serde_json::to_value(doc.report)?;
        if let (Some(gate), Some(object)) = (doc.gate, value.as_object_mut()) {
            object.insert("check".into(), serde_json::to_value(gate)?);
        }
        Ok(serde_json::to_string_pretty(&value)? + "\n")
    }
}
