//! svcq: after-sales service quality KPIs from help-desk, logistics and review
//! exports. The binary is a thin shell over this library; tests use it directly.
//!
//! Layers, each depending only on those above it in this list (docs/architecture.md):
//! `fsutil`, `memory` and `exit` (foundations) → `source` (contract, reader, rejects, store)
//! and `text` (terms, aspects, log-odds) → `engine` (catalogue, periods, aggregation, targets, the result model) →
//! `render` (tables, JSON, CSV, Markdown, JUnit, GitHub, charts, HTML) →
//! `commands` (clap arguments, one file per subcommand). `sample` writes demo
//! exports in the contract's layout.

pub mod commands;
#[cfg(test)]
mod docs_check;
pub mod engine;
pub mod exit;
pub mod fsutil;
pub mod memory;
mod parallel;
pub mod render;
pub mod sample;
pub mod source;
pub mod suggest;
pub mod text;
pub mod ui;
