//! `[complaints]` in svcq.toml: the user's dictionary, stop words, aspect terms
//! and the thresholds of the complaint lists.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{bail, Context, Result};
use serde::Deserialize;

use crate::text::{Lexicon, Tokenizer};

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ComplaintsSpec {
    /// A jieba user dictionary (`word [frequency] [tag]` per line), relative to
    /// the config file.
    user_dict: Option<String>,
    #[serde(default)]
    stop_words: Vec<String>,
    min_count: Option<u64>,
    top: Option<usize>,
    #[serde(default)]
    aspects: BTreeMap<String, Vec<String>>,
}

#[derive(Debug, Clone)]
pub struct TextSettings {
    pub lexicon: Lexicon,
    stop_words: Vec<String>,
    /// The user dictionary's path (as cited in errors) and text.
    user_dict: Option<(String, String)>,
    /// A term is listed only when at least this many reviews of its side use it.
    pub min_count: u64,
    /// How many terms each list shows.
    pub top: usize,
}

pub const DEFAULT_MIN_COUNT: u64 = 3;
pub const DEFAULT_TOP: usize = 15;

impl Default for TextSettings {
    fn default() -> Self {
        TextSettings {
            lexicon: Lexicon::builtin(),
            stop_words: Vec::new(),
            user_dict: None,
            min_count: DEFAULT_MIN_COUNT,
            top: DEFAULT_TOP,
        }
    }
}

impl ComplaintsSpec {
    pub fn validate(self, origin: &str, dir: Option<&Path>) -> Result<TextSettings> {
        let lexicon = Lexicon::with(&self.aspects).with_context(|| origin.to_string())?;
        let user_dict = match &self.user_dict {
            Some(name) => {
                let path = dir.map_or_else(|| Path::new(name).to_path_buf(), |d| d.join(name));
                let text = std::fs::read_to_string(&path).with_context(|| {
                    format!(
                        "{origin}: [complaints] user_dict: cannot read {}",
                        path.display()
                    )
                })?;
                Some((path.display().to_string(), text))
            }
            None => None,
        };
        if self.min_count == Some(0) {
            bail!("{origin}: [complaints] min_count must be at least 1");
        }
        if self.top == Some(0) {
            bail!("{origin}: [complaints] top must be at least 1");
        }
        let settings = TextSettings {
            lexicon,
            stop_words: self.stop_words,
            user_dict,
            min_count: self.min_count.unwrap_or(DEFAULT_MIN_COUNT),
            top: self.top.unwrap_or(DEFAULT_TOP),
        };
        // A bad dictionary line is an error now, not in the middle of a report.
        settings.tokenizer()?;
        Ok(settings)
    }
}

impl TextSettings {
    pub fn has_user_dict(&self) -> bool {
        self.user_dict.is_some()
    }

    /// A tokenizer that knows the aspect terms and the user's words.
    pub fn tokenizer(&self) -> Result<Tokenizer> {
        Tokenizer::new(
            &self.lexicon.han_terms(),
            &self.stop_words,
            self.user_dict
                .as_ref()
                .map(|(name, text)| (name.as_str(), text.as_str())),
        )
    }
}
