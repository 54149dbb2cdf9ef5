//! svcq's exit codes (documented in `svcq --help` and the README).

/// Every target passed (warnings allowed unless asked otherwise).
pub const OK: u8 = 0;
/// A finding: a KPI target failed or had no data (`check`).
pub const FINDING: u8 = 1;
/// svcq could not do its job: unreadable input, bad arguments or targets file.
pub const ERROR: u8 = 2;
