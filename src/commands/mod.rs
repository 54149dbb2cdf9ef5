//! One module per subcommand, each with its arguments and its `exec`.

pub mod chart;
pub mod check;
pub mod ingest;
pub mod init;
pub mod report;
pub mod sample;
pub mod validate;
