//! How svcq talks besides its output, decided once from the command line: colour
//! (`--color`, `NO_COLOR`, `CLICOLOR_FORCE`, whether stdout is a terminal),
//! `--quiet` (only errors and the requested output) and `--verbose` (which config,
//! files, mappings and period, and why), and the `--config` file named.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI8, AtomicU8, Ordering};
use std::sync::OnceLock;

use anstyle::{AnsiColor, Style};

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ColorWhen {
    /// On a terminal, unless NO_COLOR is set; always when CLICOLOR_FORCE is.
    #[default]
    Auto,
    Always,
    Never,
}

static COLOR: AtomicU8 = AtomicU8::new(0);
/// −1 quiet, 0 normal, 1 and up verbose.
static VERBOSITY: AtomicI8 = AtomicI8::new(0);
static CONFIG: OnceLock<Option<PathBuf>> = OnceLock::new();

pub fn set(color: ColorWhen, quiet: bool, verbose: u8, config: Option<PathBuf>) {
    COLOR.store(color as u8, Ordering::Relaxed);
    let level = if quiet { -1 } else { verbose.min(3) as i8 };
    VERBOSITY.store(level, Ordering::Relaxed);
    let _ = CONFIG.set(config);
}

/// Whether `when` colours a stream that is (or is not) a terminal, given the
/// environment's `NO_COLOR` and `CLICOLOR_FORCE` (https://no-color.org,
/// https://bixense.com/clicolors).
pub fn colors(when: ColorWhen, terminal: bool, env: impl Fn(&str) -> Option<String>) -> bool {
    match when {
        ColorWhen::Always => true,
        ColorWhen::Never => false,
        ColorWhen::Auto => {
            let set = |name: &str| env(name).is_some_and(|v| !v.is_empty());
            if set("NO_COLOR") {
                false
            } else if env("CLICOLOR_FORCE").is_some_and(|v| !v.is_empty() && v != "0") {
                true
            } else {
                terminal && env("TERM").as_deref() != Some("dumb")
            }
        }
    }
}

/// Whether output written to stdout gets colour.
pub fn color_stdout() -> bool {
    let when = match COLOR.load(Ordering::Relaxed) {
        1 => ColorWhen::Always,
        2 => ColorWhen::Never,
        _ => ColorWhen::Auto,
    };
    colors(when, std::io::stdout().is_terminal(), |k| {
        std::env::var(k).ok()
    })
}

pub fn quiet() -> bool {
    VERBOSITY.load(Ordering::Relaxed) < 0
}

pub fn verbose() -> bool {
    VERBOSITY.load(Ordering::Relaxed) > 0
}

/// The `--config` file, when one was named.
pub fn config() -> Option<&'static Path> {
    CONFIG.get().and_then(|c| c.as_deref())
}

/// A message about what was done (`wrote …`): on stderr, unless `--quiet`.
pub fn note(message: impl std::fmt::Display) {
    if !quiet() {
        eprintln!("{message}");
    }
}

/// What `--verbose` adds: which files, which mapping, which period, and why.
pub fn detail(message: impl std::fmt::Display) {
    if verbose() {
        eprintln!("svcq: {message}");
    }
}

/// A status word's style: green pass, yellow warn, red fail, grey no data.
pub fn status_style(word: &str) -> Style {
    let color = match word.trim() {
        "PASS" => Some(AnsiColor::Green),
        "WARN" => Some(AnsiColor::Yellow),
        "FAIL" => Some(AnsiColor::Red),
        "NO DATA" => Some(AnsiColor::BrightBlack),
        _ => None,
    };
    Style::new().fg_color(color.map(Into::into))
}

/// `text` in `style` when `color`, else as it is.
pub fn paint(text: &str, style: Style, color: bool) -> String {
    if color && style != Style::new() {
        format!("{}{text}{}", style.render(), style.render_reset())
    } else {
        text.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_follows_the_flag_then_the_environment_then_the_terminal() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| v.to_string())
            }
        };
        assert!(colors(ColorWhen::Auto, true, env(&[])));
        assert!(!colors(ColorWhen::Auto, false, env(&[])));
        assert!(!colors(ColorWhen::Auto, true, env(&[("NO_COLOR", "1")])));
        assert!(colors(ColorWhen::Auto, true, env(&[("NO_COLOR", "")])));
        assert!(colors(
            ColorWhen::Auto,
            false,
            env(&[("CLICOLOR_FORCE", "1")])
        ));
        assert!(!colors(
            ColorWhen::Auto,
            false,
            env(&[("CLICOLOR_FORCE", "0")])
        ));
        assert!(!colors(ColorWhen::Auto, true, env(&[("TERM", "dumb")])));
        assert!(colors(ColorWhen::Always, false, env(&[("NO_COLOR", "1")])));
        assert!(!colors(
            ColorWhen::Never,
            true,
            env(&[("CLICOLOR_FORCE", "1")])
        ));
    }

    #[test]
    fn painting_wraps_only_when_asked() {
        let red = status_style("FAIL");
        assert_eq!(paint("FAIL", red, false), "FAIL");
        assert_eq!(paint("FAIL", red, true), "\x1b[31mFAIL\x1b[0m");
        assert_eq!(paint("x", status_style(""), true), "x");
    }
}
