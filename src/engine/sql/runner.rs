//! A running SQL engine: svcq's session script under `spark-submit`, a Python
//! with pyspark talking Spark Connect, or a Python with DuckDB. Statements go in
//! as JSON lines on its stdin and rows come back as JSON lines on its stdout; its
//! stderr (Spark's log) is kept for error messages and shown with `-v`.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::{Arc, Mutex};

use anyhow::{bail, Context, Result};
use serde::Deserialize;
use serde_json::Value;

const SCRIPT: &str = include_str!("svcq_sql_session.py");
/// Lines of the engine's log kept for an error message.
const LOG_LINES: usize = 30;

/// Rows of one statement.
#[derive(Debug, Deserialize)]
pub struct Rows {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Value>>,
}

impl Rows {
    pub fn index(&self, name: &str) -> Result<usize> {
        self.columns
            .iter()
            .position(|c| c.eq_ignore_ascii_case(name))
            .with_context(|| format!("internal: no column {name} in the engine's answer"))
    }
}

/// A number of an answer (engines may send integers, doubles or decimals as text).
pub fn number(value: &Value) -> Option<f64> {
    match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Answer {
    Ready { ready: String },
    Error { error: String },
    Rows(Rows),
}

pub struct Session {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
    log: Arc<Mutex<VecDeque<String>>>,
    /// The command line, for messages.
    what: String,
    pub version: String,
    _script: tempfile::TempDir,
}

impl Session {
    /// Starts `command` followed by the session script's path and `args`.
    pub fn start(command: &[String], args: &[String]) -> Result<Session> {
        let Some((program, leading)) = command.split_first() else {
            bail!("the engine's command is empty");
        };
        let dir = tempfile::tempdir().context("creating a folder for the session script")?;
        let script = dir.path().join("svcq_sql_session.py");
        std::fs::write(&script, SCRIPT).context("writing the session script")?;
        let mut all: Vec<String> = leading.to_vec();
        all.push(script.display().to_string());
        all.extend(args.iter().cloned());
        let what = format!("{program} {}", all.join(" "));
        crate::ui::detail(format!("starting {what}"));
        let mut child = Command::new(program)
            .args(&all)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .with_context(|| format!("could not start `{what}`"))?;
        let log = Arc::new(Mutex::new(VecDeque::new()));
        if let Some(stderr) = child.stderr.take() {
            let log = Arc::clone(&log);
            std::thread::spawn(move || {
                for line in BufReader::new(stderr).lines().map_while(|l| l.ok()) {
                    if crate::ui::verbose() {
                        eprintln!("  | {line}");
                    }
                    let mut log = log.lock().unwrap_or_else(|e| e.into_inner());
                    if log.len() == LOG_LINES {
                        log.pop_front();
                    }
                    log.push_back(line);
                }
            });
        }
        let stdin = child.stdin.take().context("internal: no stdin")?;
        let stdout = BufReader::new(child.stdout.take().context("internal: no stdout")?);
        let mut session = Session {
            child,
            stdin: Some(stdin),
            stdout,
            log,
            what,
            version: String::new(),
            _script: dir,
        };
        match session.answer()? {
            Answer::Ready { ready } => session.version = ready,
            Answer::Error { error } => bail!("{} could not start: {error}", session.what),
            Answer::Rows(_) => bail!("{}: an answer before any statement", session.what),
        }
        crate::ui::detail(format!("connected to {}", session.version));
        Ok(session)
    }

    fn log_tail(&self) -> String {
        let log = self.log.lock().unwrap_or_else(|e| e.into_inner());
        if log.is_empty() {
            String::new()
        } else {
            let lines: Vec<&str> = log.iter().map(String::as_str).collect();
            format!("\nits last output:\n  {}", lines.join("\n  "))
        }
    }

    fn answer(&mut self) -> Result<Answer> {
        let mut line = String::new();
        loop {
            line.clear();
            let read = self.stdout.read_line(&mut line)?;
            if read == 0 {
                // Give the log thread a moment to take the last lines.
                std::thread::sleep(std::time::Duration::from_millis(200));
                let status = self.child.wait().ok();
                bail!(
                    "`{}` ended without answering ({}){}",
                    self.what,
                    status.map_or("no exit status".into(), |s| s.to_string()),
                    self.log_tail()
                );
            }
            let text = line.trim();
            // A launcher may print to stdout before the script starts.
            if text.starts_with('{') {
                return serde_json::from_str(text)
                    .with_context(|| format!("`{}` answered {text:?}", self.what));
            }
        }
    }

    /// Runs one statement and returns its rows.
    pub fn query(&mut self, sql: &str) -> Result<Rows> {
        let request = serde_json::json!({ "sql": sql }).to_string();
        let stdin = self
            .stdin
            .as_mut()
            .context("internal: the session is closed")?;
        writeln!(stdin, "{request}")
            .and_then(|()| stdin.flush())
            .with_context(|| format!("`{}` stopped reading{}", self.what, self.log_tail()))?;
        match self.answer()? {
            Answer::Rows(rows) => Ok(rows),
            Answer::Error { error } => bail!("{} failed: {error}", self.version),
            Answer::Ready { .. } => bail!("{}: an unexpected second greeting", self.what),
        }
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        // End of input ends the session script, which stops Spark; an engine that
        // does not finish within a while is killed, so none outlives svcq.
        drop(self.stdin.take());
        for _ in 0..300 {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
