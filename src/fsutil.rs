//! Small file-system helpers: atomic writes and the progress bar.

use std::fs::{self, File};
use std::io::{BufWriter, IsTerminal, Write};
use std::path::Path;

use anyhow::{Context, Result};
use std::sync::OnceLock;

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};

/// Writes `path` through a temporary file in the same directory and renames it into
/// place, so a reader (or a crash, or Ctrl-C) never sees a half-written file.
pub fn atomic_write<F>(path: &Path, write: F) -> Result<()>
where
    F: FnOnce(&mut BufWriter<File>) -> Result<()>,
{
    // A device or pipe (`--out /dev/null`, `--out /dev/stdout`) is written in place:
    // renaming over it would replace the device with a regular file.
    if fs::metadata(path).is_ok_and(|m| !m.is_file() && !m.is_dir()) {
        let file = fs::OpenOptions::new()
            .write(true)
            .open(path)
            .with_context(|| format!("cannot write {}", path.display()))?;
        let mut out = BufWriter::new(file);
        return write(&mut out)
            .and_then(|()| Ok(out.flush()?))
            .with_context(|| format!("cannot write {}", path.display()));
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    // An output's folder is not created on a guess (a typo would scatter files);
    // the commands that own a folder (rejects, the HTML report, samples) make it.
    if !dir.is_dir() {
        anyhow::bail!(
            "cannot write {}: there is no directory {}",
            path.display(),
            dir.display()
        );
    }
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{file_name}.{}.tmp", std::process::id()));
    let result = (|| {
        let file =
            File::create(&tmp).with_context(|| format!("cannot create {}", tmp.display()))?;
        let mut out = BufWriter::new(file);
        write(&mut out)?;
        let file = out.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        Ok::<(), anyhow::Error>(fs::rename(&tmp, path)?)
    })()
    .with_context(|| format!("cannot write {}", path.display()));
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// Creates a folder a command writes its files into (and its parents).
pub fn create_dir(dir: &Path) -> Result<()> {
    fs::create_dir_all(dir).with_context(|| format!("cannot create directory {}", dir.display()))
}

pub fn atomic_write_bytes(path: &Path, bytes: &[u8]) -> Result<()> {
    atomic_write(path, |w| Ok(w.write_all(bytes)?))
}

/// A progress bar on stderr when stderr is a terminal; hidden otherwise. Bars of
/// sources read in parallel stack under each other.
pub fn progress_bar(total: u64, message: &str) -> ProgressBar {
    static BARS: OnceLock<MultiProgress> = OnceLock::new();
    if !std::io::stderr().is_terminal() || crate::ui::quiet() {
        return ProgressBar::hidden();
    }
    let bar = BARS
        .get_or_init(MultiProgress::new)
        .add(ProgressBar::new(total));
    bar.set_style(
        ProgressStyle::with_template("{msg:<36} [{bar:30}] {bytes}/{total_bytes}, {eta} left")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar.set_message(message.to_string());
    bar
}

/// A spinner with the elapsed time on stderr when it is a terminal (hidden
/// otherwise), for work whose size svcq cannot know: a statement on Spark.
pub fn spinner(message: &str) -> ProgressBar {
    if !std::io::stderr().is_terminal() || crate::ui::quiet() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new_spinner();
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    bar.set_message(message.to_string());
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    bar
}

/// A progress bar's words for rows read so far: `tickets: 1,234,567 rows, 812,000/s`.
pub fn rows_read(name: &str, rows: u64, elapsed: std::time::Duration) -> String {
    let group = |n: u64| {
        let digits = n.to_string();
        let mut out = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                out.push(',');
            }
            out.push(c);
        }
        out
    };
    let seconds = elapsed.as_secs_f64();
    match (seconds > 0.0).then(|| (rows as f64 / seconds) as u64) {
        Some(rate) => format!("{name}: {} rows, {}/s", group(rows), group(rate)),
        None => format!("{name}: {} rows", group(rows)),
    }
}

#[cfg(test)]
mod progress_tests {
    use super::rows_read;
    use std::time::Duration;

    #[test]
    fn rows_and_rate_read_with_thousands_separators() {
        assert_eq!(
            rows_read("tickets", 1_234_567, Duration::from_millis(1_500)),
            "tickets: 1,234,567 rows, 823,044/s"
        );
        assert_eq!(
            rows_read("reviews", 999, Duration::ZERO),
            "reviews: 999 rows"
        );
    }
}
