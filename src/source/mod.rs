//! The source layer: the data contract, timestamp parsing, the CSV reader with
//! its rejects, and the Parquet store. It knows nothing of metrics: the engine
//! tells it which columns to keep.

pub mod codes;
mod contract;
pub mod decode;
mod fields;
mod fold;
pub mod formats;
mod header;
pub mod inspect;
pub mod load;
mod lookup;
pub mod mapping;
pub mod presets;
pub mod read;
pub mod records;
pub mod rejects;
mod rows;
mod rules;
mod seen_ids;
mod split;
pub mod store;
pub mod times;
pub mod timestamp;

pub use contract::*;
