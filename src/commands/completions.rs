//! `svcq completions SHELL`: a completion script from the same clap definitions.

use std::process::ExitCode;

use anyhow::Result;
use clap::{Args, CommandFactory};
use clap_complete::Shell;

use super::Cli;
use crate::exit::OK as EXIT_OK;

#[derive(Debug, Args)]
#[command(after_help = "Install, for example:\n  \
    svcq completions bash > ~/.local/share/bash-completion/completions/svcq\n  \
    svcq completions zsh > ~/.zfunc/_svcq        # with fpath+=~/.zfunc before compinit\n  \
    svcq completions fish > ~/.config/fish/completions/svcq.fish")]
pub struct CompletionsArgs {
    /// The shell to complete in.
    #[arg(value_enum)]
    pub shell: Shell,
}

pub fn exec(args: CompletionsArgs) -> Result<ExitCode> {
    let mut command = Cli::command();
    let mut out = Vec::new();
    clap_complete::generate(args.shell, &mut command, "svcq", &mut out);
    super::emit(None, &String::from_utf8_lossy(&out))?;
    Ok(ExitCode::from(EXIT_OK))
}
