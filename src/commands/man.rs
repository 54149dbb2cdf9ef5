//! `svcq man`: roff man pages generated from the same clap definitions.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::{Args, CommandFactory};

use super::Cli;
use crate::exit::OK as EXIT_OK;
use crate::fsutil::{atomic_write_bytes, create_dir};

#[derive(Debug, Args)]
#[command(after_help = "Install, for example:\n  \
    svcq man --out ~/.local/share/man/man1 && man svcq-report")]
pub struct ManArgs {
    /// Write svcq.1 and svcq-<subcommand>.1 into DIR. Without it, svcq.1 goes to
    /// stdout.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

/// A page for `command` and, recursively, one for each of its subcommands.
fn pages(command: clap::Command, name: String, out: &mut Vec<(String, Vec<u8>)>) -> Result<()> {
    let command = command.name(name.clone());
    let mut page = Vec::new();
    clap_mangen::Man::new(command.clone()).render(&mut page)?;
    out.push((format!("{name}.1"), page));
    for sub in command.get_subcommands().filter(|s| s.get_name() != "help") {
        pages(sub.clone(), format!("{name}-{}", sub.get_name()), out)?;
    }
    Ok(())
}

pub fn exec(args: ManArgs) -> Result<ExitCode> {
    let mut command = Cli::command();
    command.build();
    let mut all = Vec::new();
    pages(command, "svcq".into(), &mut all)?;
    match &args.out {
        None => super::emit(None, &String::from_utf8_lossy(&all[0].1))?,
        Some(dir) => {
            create_dir(dir)?;
            for (file, page) in &all {
                atomic_write_bytes(&dir.join(file), page)?;
            }
            crate::ui::note(format!(
                "wrote {} man pages to {}",
                all.len(),
                dir.display()
            ));
        }
    }
    Ok(ExitCode::from(EXIT_OK))
}
