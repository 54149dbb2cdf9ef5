//! svcq: after-sales service quality KPIs from help-desk, logistics and review
//! exports. The binary is a thin shell over this library; tests use it directly.

pub mod chart;
pub mod cli;
pub mod commands;
pub mod engine;
pub mod export;
pub mod fsutil;
pub mod gate;
pub mod html;
pub mod inputs;
pub mod metrics;
pub mod model;
pub mod period;
pub mod read;
pub mod sample;
pub mod schema;
pub mod store;
pub mod targets;
pub mod timestamp;
