//! The render layer: writers of the engine's result model. They compute nothing.
//! Writers: one result model ([`Report`], and for `check` a [`Gate`]), a small
//! [`Exporter`] trait, one file per output format.

pub mod complaints;
pub mod csv;
pub mod github;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod table;
pub mod text;

pub mod chart;
mod describe;
pub mod html;

use anyhow::Result;

pub use crate::engine::format::{
    format_delta, format_hours, format_n, format_target, format_value, status_word, thousands,
};
use crate::engine::gate::Gate;
use crate::engine::model::Report;

/// What a writer renders: the report, and the gate when `check` runs.
pub struct Document<'a> {
    pub report: &'a Report,
    pub gate: Option<&'a Gate>,
}

pub trait Exporter {
    fn render(&self, doc: &Document) -> Result<String>;
}
