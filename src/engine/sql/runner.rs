//! A running SQL engine: svcq's session script under `spark-submit`, a Python
//! with pyspark talking Spark Connect, or a Python with DuckDB. The script
//! connects back to svcq on a loopback port (spark-submit does not pass stdin on
//! to a Python driver); statements go out and rows come back as JSON lines. The
//! engine's own output (Spark's log) is kept for error messages and shown with `-v`.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use serde::Deserialize;
use serde_json::Value;

const SCRIPT: &str = include_str!("svcq_sql_session.py");
/// Lines of the engine's log kept for an error message.
const LOG_LINES: usize = 30;
/// How long an engine may take to start (a cold JVM, a remote cluster).
const START_TIMEOUT: Duration = Duration::from_secs(300);

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
    requests: Option<TcpStream>,
    answers: BufReader<TcpStream>,
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
        let listener =
            TcpListener::bind("127.0.0.1:0").context("opening a loopback port for the engine")?;
        all.push("--svcq".into());
        all.push(listener.local_addr()?.to_string());
        let what = format!("{program} {}", all.join(" "));
        crate::ui::detail(format!("starting {what}"));
        let mut child = Command::new(program)
            .args(&all)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .with_context(|| format!("could not start `{what}`"))?;
        let log = Arc::new(Mutex::new(VecDeque::new()));
        if let Some(stdout) = child.stdout.take() {
            keep_log(stdout, Arc::clone(&log));
        }
        if let Some(stderr) = child.stderr.take() {
            keep_log(stderr, Arc::clone(&log));
        }
        let stream = match accept(&listener, &mut child) {
            Ok(stream) => stream,
            Err(e) => {
                let _ = child.kill();
                let _ = child.wait();
                std::thread::sleep(Duration::from_millis(200));
                bail!("`{what}` {e}{}", tail(&log));
            }
        };
        let answers = BufReader::new(stream.try_clone()?);
        let mut session = Session {
            child,
            requests: Some(stream),
            answers,
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
        tail(&self.log)
    }

    fn answer(&mut self) -> Result<Answer> {
        let mut line = String::new();
        loop {
            line.clear();
            let read = self.answers.read_line(&mut line).unwrap_or(0);
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
            if text.starts_with('{') {
                return serde_json::from_str(text)
                    .with_context(|| format!("`{}` answered {text:?}", self.what));
            }
        }
    }

    /// Runs one statement and returns its rows.
    pub fn query(&mut self, sql: &str) -> Result<Rows> {
        let request = serde_json::json!({ "sql": sql }).to_string();
        let requests = self
            .requests
            .as_mut()
            .context("internal: the session is closed")?;
        writeln!(requests, "{request}")
            .and_then(|()| requests.flush())
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
        if let Some(requests) = self.requests.take() {
            let _ = requests.shutdown(std::net::Shutdown::Write);
        }
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

/// Keeps the last lines of an engine's output, echoing them with `-v`.
fn keep_log(stream: impl Read + Send + 'static, log: Arc<Mutex<VecDeque<String>>>) {
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines().map_while(|l| l.ok()) {
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

fn tail(log: &Mutex<VecDeque<String>>) -> String {
    let log = log.lock().unwrap_or_else(|e| e.into_inner());
    if log.is_empty() {
        String::new()
    } else {
        let lines: Vec<&str> = log.iter().map(String::as_str).collect();
        format!("\nits last output:\n  {}", lines.join("\n  "))
    }
}

/// The session script's connection, unless the engine exits or times out first.
fn accept(listener: &TcpListener, child: &mut Child) -> Result<TcpStream> {
    listener.set_nonblocking(true)?;
    let started = Instant::now();
    loop {
        match listener.accept() {
            Ok((stream, _)) => {
                stream.set_nonblocking(false)?;
                return Ok(stream);
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(e) => return Err(e.into()),
        }
        if let Some(status) = child.try_wait()? {
            bail!("ended before its session started ({status})");
        }
        if started.elapsed() > START_TIMEOUT {
            bail!(
                "did not start its session within {} s",
                START_TIMEOUT.as_secs()
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}
