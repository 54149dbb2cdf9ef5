use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Result};
use clap::Args;

use crate::engine::targets::{DEFAULT_FILE, DEFAULT_TOML};
use crate::exit::OK as EXIT_OK;
use crate::fsutil::atomic_write_bytes;

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Where to write the targets file.
    #[arg(long, value_name = "FILE", default_value = DEFAULT_FILE)]
    pub out: PathBuf,
    /// Overwrite an existing file.
    #[arg(long)]
    pub force: bool,
}

pub fn exec(args: InitArgs) -> Result<ExitCode> {
    if args.out.exists() && !args.force {
        bail!(
            "{} already exists (use --force to overwrite)",
            args.out.display()
        );
    }
    atomic_write_bytes(&args.out, DEFAULT_TOML.as_bytes())?;
    if !crate::ui::quiet() {
        println!(
            "wrote {}: edit the targets, then run `svcq report`",
            args.out.display()
        );
    }
    Ok(ExitCode::from(EXIT_OK))
}
