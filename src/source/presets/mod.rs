//! Presets: mappings shipped with svcq for the exports of known systems, one TOML
//! file each beside this one, documented in docs/presets.md. A preset names, per
//! source, the header columns that identify the export (`signature`, for
//! `svcq inspect`) and the mapping, in the keys of `[sources.<source>]`.

use std::collections::BTreeMap;

use anyhow::{bail, Context, Result};
use serde::Deserialize;

use super::mapping::MappingSpec;
use super::Source;

/// Every preset: its name and its file.
const FILES: &[(&str, &str)] = &[
    ("amazon-returns", include_str!("amazon-returns.toml")),
    ("douyin", include_str!("douyin.toml")),
    ("freshdesk", include_str!("freshdesk.toml")),
    ("jd", include_str!("jd.toml")),
    ("judgeme", include_str!("judgeme.toml")),
    ("olist", include_str!("olist.toml")),
    ("servicenow", include_str!("servicenow.toml")),
    ("servicenow-log", include_str!("servicenow-log.toml")),
    ("shopify", include_str!("shopify.toml")),
    ("taobao", include_str!("taobao.toml")),
    ("trustpilot", include_str!("trustpilot.toml")),
    ("zammad", include_str!("zammad.toml")),
    ("zendesk", include_str!("zendesk.toml")),
];

// `about` and `notes`, then one table per source (serde cannot deny unknown keys
// beside a flattened map; the test below parses every preset).
#[derive(Debug, Deserialize)]
struct PresetFile {
    about: String,
    #[serde(default)]
    notes: Vec<String>,
    #[serde(flatten)]
    sources: BTreeMap<String, PresetSource>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct PresetSource {
    signature: Vec<String>,
    mapping: MappingSpec,
}

/// One source of a preset.
#[derive(Debug, Clone)]
pub struct PresetPart {
    pub source: Source,
    /// Header columns whose presence identifies the export.
    pub signature: Vec<String>,
    pub mapping: MappingSpec,
}

#[derive(Debug, Clone)]
pub struct Preset {
    pub name: &'static str,
    pub about: String,
    pub notes: Vec<String>,
    pub parts: Vec<PresetPart>,
}

impl Preset {
    pub fn sources(&self) -> Vec<Source> {
        self.parts.iter().map(|p| p.source).collect()
    }
}

pub fn names() -> Vec<&'static str> {
    FILES.iter().map(|(n, _)| *n).collect()
}

fn load(name: &'static str, text: &str) -> Result<Preset> {
    let file: PresetFile =
        toml::from_str(text).with_context(|| format!("built-in preset {name}"))?;
    let mut parts = Vec::new();
    for (source_name, part) in file.sources {
        let source = Source::ALL
            .into_iter()
            .find(|s| s.name() == source_name)
            .with_context(|| format!("built-in preset {name}: unknown source {source_name}"))?;
        parts.push(PresetPart {
            source,
            signature: part.signature,
            mapping: part.mapping,
        });
    }
    Ok(Preset {
        name,
        about: file.about,
        notes: file.notes,
        parts,
    })
}

/// Every preset, parsed.
pub fn all() -> Result<Vec<Preset>> {
    FILES.iter().map(|(n, t)| load(n, t)).collect()
}

/// The preset called `name`, or an error listing the valid names.
pub fn find(name: &str) -> Result<Preset> {
    match FILES.iter().find(|(n, _)| *n == name) {
        Some((n, text)) => load(n, text),
        None => bail!(
            "unknown preset {name:?}; {}valid: {} (docs/presets.md)",
            crate::suggest::did_you_mean(name, names()),
            names().join(", ")
        ),
    }
}

/// The mapping a preset gives `source`.
pub fn mapping(name: &str, source: Source) -> Result<MappingSpec> {
    let preset = find(name)?;
    let sources: Vec<&str> = preset.parts.iter().map(|p| p.source.name()).collect();
    preset
        .parts
        .into_iter()
        .find(|p| p.source == source)
        .map(|p| p.mapping)
        .with_context(|| {
            format!(
                "preset {name:?} is for {}, not {source}",
                sources.join(" and ")
            )
        })
}

/// Adds `--preset` names to the `[sources.*]` of svcq.toml: each source a preset
/// covers starts from it, unless svcq.toml names another preset for it.
pub fn apply(specs: &mut BTreeMap<String, MappingSpec>, names: &[String]) -> Result<()> {
    for name in names {
        for source in find(name)?.sources() {
            specs
                .entry(source.name().to_string())
                .or_default()
                .set_preset(name);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every preset parses and validates as a mapping, and is documented.
    #[test]
    fn every_preset_is_a_valid_mapping_and_documented() {
        let docs = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/presets.md"),
        )
        .unwrap();
        for preset in all().unwrap() {
            assert!(!preset.parts.is_empty(), "{}", preset.name);
            for part in &preset.parts {
                assert!(!part.signature.is_empty(), "{}", preset.name);
                let mut specs = BTreeMap::new();
                specs.insert(
                    part.source.name().to_string(),
                    MappingSpec::preset(preset.name),
                );
                crate::source::mapping::parse(specs, None)
                    .unwrap_or_else(|e| panic!("{}: {e:#}", preset.name));
            }
            assert!(
                docs.contains(&format!("## `{}`", preset.name)),
                "docs/presets.md has no section for {}",
                preset.name
            );
        }
    }

    #[test]
    fn unknown_and_misapplied_presets_say_what_is_valid() {
        let err = format!("{:#}", find("zendeks").unwrap_err());
        assert!(
            err.contains("valid: amazon-returns, douyin, freshdesk"),
            "{err}"
        );
        let err = format!("{:#}", mapping("zendesk", Source::Reviews).unwrap_err());
        assert!(err.contains("is for tickets, not reviews"), "{err}");
    }
}
