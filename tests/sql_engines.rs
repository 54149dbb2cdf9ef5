//! The SQL backend against real engines: the statement `svcq sql` writes from the
//! catalogue, run on a local Spark (`local[2]`, PySpark from PyPI) and on DuckDB,
//! must give every metric the embedded engine gives — value, n and pending, to
//! 1e-9 relative — for the whole period, `--by` segments, `--compare`, weekly
//! trends and `--as-of` censoring, over the sample store and over stores of
//! mapped exports (Olist, follow-ups, complaint texts). `check --engine spark`
//! must give the embedded verdict, exit code and JUnit file.
//!
//! The engines live in target/sql-venv (`bash tests/sql/setup.sh`, which
//! `.ci/run` runs). Without it these tests print why and pass; under CI=true a
//! missing engine is a failure.

use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;
use serde_json::Value;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// The venv with pyspark and duckdb, or None (with the reason printed).
fn venv() -> Option<PathBuf> {
    let dir = std::env::var_os("SVCQ_SQL_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(ROOT).join("target/sql-venv"));
    let ready = dir.join("bin/spark-submit").is_file() && dir.join("bin/python").is_file();
    if ready {
        return Some(dir);
    }
    let why = format!(
        "no SQL engines at {} (run `bash tests/sql/setup.sh`)",
        dir.display()
    );
    assert!(
        std::env::var_os("CI").is_none(),
        "CI must run the SQL engine tests: {why}"
    );
    eprintln!("skipped: {why}");
    None
}

struct Workspace {
    dir: tempfile::TempDir,
    venv: PathBuf,
}

impl Workspace {
    fn new(venv: PathBuf) -> Workspace {
        let dir = tempfile::tempdir().unwrap();
        let bin = venv.join("bin");
        std::fs::write(
            dir.path().join("svcq.toml"),
            format!(
                "[engine.spark]\nsubmit = [{:?}, \"--master\", \"local[2]\", \"--conf\", \"spark.ui.enabled=false\"]\n\n[engine.duckdb]\npython = {:?}\n",
                bin.join("spark-submit").display().to_string(),
                bin.join("python").display().to_string()
            ),
        )
        .unwrap();
        Workspace { dir, venv }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn run(&self, args: &[&str]) -> Output {
        // spark-submit from a venv finds Spark through the venv's python.
        let path = format!(
            "{}:{}",
            self.venv.join("bin").display(),
            std::env::var("PATH").unwrap_or_default()
        );
        Command::cargo_bin("svcq")
            .unwrap()
            .current_dir(self.path())
            .env("PATH", path)
            .args(args)
            .output()
            .unwrap()
    }

    fn ok(&self, args: &[&str]) -> Output {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "svcq {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }

    fn json(&self, args: &[&str]) -> Value {
        serde_json::from_slice(&self.ok(args).stdout).unwrap()
    }

    /// `svcq ingest` of `inputs` into the store `name`.
    fn ingest(&self, name: &str, inputs: &[&str]) -> String {
        let mut args = vec!["-q", "ingest", "--store", name];
        args.extend(inputs);
        self.ok(&args);
        name.to_string()
    }
}

fn close(a: &Value, b: &Value) -> bool {
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => (x - y).abs() <= 1e-9 * x.abs().max(1.0),
        _ => a == b,
    }
}

/// Every metric row equal: the same rows, values, n, pending, previous values,
/// statuses and notes; and not a comparison of empty reports (at least `least`
/// rows with values).
fn assert_same(embedded: &Value, other: &Value, what: &str, least: usize) {
    let valued = assert_same_values(embedded, other, what);
    assert!(valued >= least, "{what}: only {valued} rows have values");
}

/// [`assert_same`] for any size; returns how many rows have values.
fn assert_same_values(embedded: &Value, other: &Value, what: &str) -> usize {
    let rows = |r: &Value| -> Vec<Value> { r["metrics"].as_array().unwrap().clone() };
    let (a, b) = (rows(embedded), rows(other));
    assert_eq!(a.len(), b.len(), "{what}: row counts");
    let mut valued = 0;
    for (x, y) in a.iter().zip(&b) {
        let id = format!("{what}: {} {}", x["id"], x["group"]);
        assert_eq!(x["id"], y["id"], "{id}");
        assert_eq!(x["group"], y["group"], "{id}");
        for field in ["value", "n", "pending", "previous", "status"] {
            assert!(
                close(&x[field], &y[field]),
                "{id} {field}: {} vs {}",
                x[field],
                y[field]
            );
        }
        valued += usize::from(!x["value"].is_null());
    }
    assert_eq!(embedded["notes"], other["notes"], "{what}: notes");
    assert_eq!(embedded["period"], other["period"], "{what}: period");
    assert_eq!(embedded["as_of"], other["as_of"], "{what}: as of");
    valued
}

/// The report over `store` with `options` on the embedded engine and each of
/// `engines`, compared.
fn compare(ws: &Workspace, store: &str, options: &[&str], engines: &[&str]) {
    compare_valued(ws, store, options, engines, 10);
}

/// [`compare`] for a store whose exports lack columns, so that fewer than ten
/// metrics have values: at least `least` must.
fn compare_valued(ws: &Workspace, store: &str, options: &[&str], engines: &[&str], least: usize) {
    let mut args = vec!["report", "--store", store, "--format", "json"];
    args.extend(options);
    let embedded = ws.json(&args);
    for engine in engines {
        let mut with = args.clone();
        with.extend(["--engine", engine]);
        let other = ws.json(&with);
        assert_same(
            &embedded,
            &other,
            &format!("{engine} {}", options.join(" ")),
            least,
        );
    }
}

fn sample_store(ws: &Workspace) -> String {
    ws.ok(&["-q", "sample", "--out", "sample"]);
    ws.ingest("store", &["--data", "sample"])
}

#[test]
fn spark_and_duckdb_equal_the_embedded_engine_on_the_sample_store() {
    let Some(venv) = venv() else { return };
    let ws = Workspace::new(venv);
    let store = sample_store(&ws);
    let both = ["duckdb", "spark"];
    compare(&ws, &store, &[], &both);
    compare(&ws, &store, &["--by", "channel", "--compare"], &both);
    compare(&ws, &store, &["--last", "6w", "--by", "week"], &both);
    // Censored as of a moment inside the data: later events are not yet known.
    compare(
        &ws,
        &store,
        &["--by", "carrier", "--as-of", "2026-11-12T15:30:00Z"],
        &both,
    );
    compare(
        &ws,
        &store,
        &["--period", "2026-11", "--by", "region"],
        &["duckdb"],
    );
}

#[test]
fn spark_and_duckdb_equal_the_embedded_engine_on_mapped_exports() {
    let Some(venv) = venv() else { return };
    let ws = Workspace::new(venv);
    let fixtures = format!("{ROOT}/tests/fixtures");
    // Olist: hex-hash ids, orders without a ship time, reviews in Portuguese.
    let olist = ws.ingest(
        "olist",
        &[
            "--preset",
            "olist",
            "--data",
            &format!("{fixtures}/presets/olist"),
        ],
    );
    compare(&ws, &olist, &["--period", "2026-W47"], &["duckdb", "spark"]);
    // Follow-ups of negative reviews by named ticket and by order, and the aspect
    // mentions of English and Chinese review texts.
    let followups = ws.ingest("followups", &["--data", &format!("{fixtures}/followups")]);
    // Neither export has a reply or resolution time, nor a rating's NPS: only the
    // counts, ratings and follow-ups have values.
    compare_valued(&ws, &followups, &["--period", "2026-W47"], &["duckdb"], 7);
    let complaints = ws.ingest("complaints", &["--data", &format!("{fixtures}/complaints")]);
    compare(
        &ws,
        &complaints,
        &["--period", "2026-W47", "--compare"],
        &["duckdb", "spark"],
    );
}

/// A raw table (text timestamps, `P1` for urgent, `Email ` for email, rows that
/// break the contract) is validated by the engine as the CSV reader validates
/// the same rows: read 7 = accepted 4 + rejected 3, with the reasons, and the
/// same metrics over the accepted rows.
#[test]
fn engines_validate_a_raw_table_as_the_csv_reader_does() {
    let Some(venv) = venv() else { return };
    let ws = Workspace::new(venv.clone());
    let csv = format!("{ROOT}/tests/fixtures/sql/tickets.csv");
    let to_parquet = format!(
        "import duckdb; duckdb.sql(\"COPY (SELECT * FROM read_csv('{csv}', all_varchar = true)) TO 'tickets.parquet' (FORMAT parquet)\")"
    );
    let made = std::process::Command::new(venv.join("bin/python"))
        .current_dir(ws.path())
        .args(["-c", &to_parquet])
        .status()
        .unwrap();
    assert!(made.success());
    let config = std::fs::read_to_string(ws.path().join("svcq.toml")).unwrap();
    let config = config
        .replace(
            "[engine.duckdb]\n",
            "[engine.duckdb]\ntickets = \"./tickets.parquet\"\n",
        )
        .replace(
            "[engine.spark]\n",
            "[engine.spark]\ntickets = \"./tickets.parquet\"\n",
        );
    std::fs::write(ws.path().join("svcq.toml"), config).unwrap();
    let options = ["report", "--period", "2026-W47", "--format", "json"];
    let mut from_csv = options.to_vec();
    from_csv.extend(["--tickets", &csv]);
    let embedded = ws.json(&from_csv);
    let expected = serde_json::json!({
        "read": 7, "accepted": 4, "rejected": 3,
        "reasons": {
            "priority empty": 1,
            "priority not a known priority": 1,
            "resolved_at before created_at": 1
        }
    });
    for engine in ["duckdb", "spark"] {
        let mut args = options.to_vec();
        args.extend(["--engine", engine]);
        let report = ws.json(&args);
        let tickets = &report["inputs"]["tickets"];
        for field in ["read", "accepted", "rejected", "reasons"] {
            assert_eq!(tickets[field], expected[field], "{engine} {field}");
            assert_eq!(
                tickets[field], embedded["inputs"]["tickets"][field],
                "{engine} {field}"
            );
        }
        assert_same_values(&embedded, &report, engine);
    }
}

#[test]
fn check_on_spark_gives_the_embedded_verdict_exit_code_and_junit() {
    let Some(venv) = venv() else { return };
    let ws = Workspace::new(venv);
    let store = sample_store(&ws);
    let check = |engine: &str| {
        let out = ws.run(&[
            "check", "--store", &store, "--engine", engine, "--format", "junit",
        ]);
        assert_eq!(
            out.status.code().map(|c| c < 2),
            Some(true),
            "{engine}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status.code(), String::from_utf8(out.stdout).unwrap())
    };
    let (code, junit) = check("embedded");
    assert!(junit.contains("<testsuite"), "{junit}");
    assert_eq!(check("spark"), (code, junit.clone()));
    assert_eq!(check("duckdb"), (code, junit));
}

#[test]
fn an_unreachable_engine_is_exit_2_with_what_was_tried() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("svcq.toml"),
        "[engine.spark]\nsubmit = [\"/nonexistent/spark-submit\", \"--master\", \"local[2]\"]\n",
    )
    .unwrap();
    let out = Command::cargo_bin("svcq")
        .unwrap()
        .current_dir(dir.path())
        .args(["-q", "sample", "--out", "sample"])
        .output()
        .unwrap();
    assert!(out.status.success());
    Command::cargo_bin("svcq")
        .unwrap()
        .current_dir(dir.path())
        .args(["-q", "ingest", "--data", "sample", "--store", "store"])
        .assert()
        .success();
    let out = Command::cargo_bin("svcq")
        .unwrap()
        .current_dir(dir.path())
        .args(["report", "--store", "store", "--engine", "spark"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("spark is not reachable"), "{err}");
    assert!(err.contains("/nonexistent/spark-submit"), "{err}");
}

/// `svcq sql` needs no engine: it prints the statement for the period (and the
/// previous one with --compare), with the exact percentile, never the
/// approximate one; without --as-of it says why it cannot.
#[test]
fn sql_prints_the_statements_from_the_catalogue() {
    let dir = tempfile::tempdir().unwrap();
    let svcq = |args: &[&str]| {
        Command::cargo_bin("svcq")
            .unwrap()
            .current_dir(dir.path())
            .args(args)
            .output()
            .unwrap()
    };
    assert!(
        svcq(&["-q", "sample", "--out", "sample", "--tickets", "300"])
            .status
            .success()
    );
    assert!(
        svcq(&["-q", "ingest", "--data", "sample", "--store", "store"])
            .status
            .success()
    );
    let as_of = ["--store", "store", "--as-of", "2026-11-23T00:00:00Z"];
    let out = svcq(&[&["sql", "--dialect", "spark", "--compare"][..], &as_of].concat());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text.matches("-- svcq").count(), 2, "{text}");
    assert!(text.contains("the previous period"));
    assert!(text.contains("percentile(") && !text.contains("percentile_approx"));
    assert!(
        text.contains("parquet.`"),
        "reads the store's Parquet folders"
    );
    let out = svcq(
        &[
            &["sql", "--dialect", "duckdb", "--by", "week", "--last", "4w"][..],
            &as_of,
        ]
        .concat(),
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("quantile_cont(") && text.contains("read_parquet("));
    assert_eq!(text.matches("-- svcq").count(), 1);
    let out = svcq(&["sql", "--store", "store"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--as-of"));
}

/// The weekly HTML report from DuckDB's numbers: every chart the same image as
/// from the embedded engine (trend, breakdowns, the duration distribution, the
/// Pareto counts), the complaints section left out with a note.
#[test]
fn the_html_report_draws_the_same_charts_from_an_sql_engine() {
    let Some(venv) = venv() else { return };
    let ws = Workspace::new(venv);
    let store = sample_store(&ws);
    ws.ok(&["-q", "report", "--store", &store, "--html", "embedded"]);
    let out = ws.ok(&[
        "report", "--store", &store, "--engine", "duckdb", "--html", "duckdb",
    ]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("complaints section is left out"));
    let mut charts = 0;
    for entry in std::fs::read_dir(ws.path().join("duckdb")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "png") {
            let name = path.file_name().unwrap();
            let embedded = std::fs::read(ws.path().join("embedded").join(name)).unwrap();
            assert!(
                std::fs::read(&path).unwrap() == embedded,
                "{name:?} differs"
            );
            charts += 1;
        }
    }
    assert_eq!(
        charts, 7,
        "trend, two breakdowns, distribution, two Paretos, scorecard"
    );
}

/// Spark Connect: a local Connect server (the one PySpark ships), svcq's session
/// as its client through `connect = "sc://…"`; the same report as embedded.
#[test]
fn spark_connect_equals_the_embedded_engine() {
    let Some(venv) = venv() else { return };
    let ws = Workspace::new(venv.clone());
    let store = sample_store(&ws);
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let path = format!(
        "{}:{}",
        venv.join("bin").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let server = std::process::Command::new(venv.join("bin/spark-submit"))
        .env("PATH", path)
        .current_dir(ws.path())
        .args([
            "--class",
            "org.apache.spark.sql.connect.service.SparkConnectServer",
            "--master",
            "local[2]",
            "--conf",
            &format!("spark.connect.grpc.binding.port={port}"),
            "--conf",
            "spark.ui.enabled=false",
            "spark-internal",
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Stopped however the test ends.
    struct Server(std::process::Child);
    impl Drop for Server {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let _server = Server(server);
    std::fs::write(
        ws.path().join("connect.toml"),
        format!(
            "[engine.spark]\nconnect = \"sc://127.0.0.1:{port}\"\npython = {:?}\n",
            venv.join("bin/python").display().to_string()
        ),
    )
    .unwrap();
    let started = std::time::Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            started.elapsed().as_secs() < 180,
            "the Connect server did not start"
        );
        std::thread::sleep(std::time::Duration::from_millis(500));
    }
    let args = [
        "report",
        "--store",
        &store,
        "--targets",
        "connect.toml",
        "--by",
        "channel",
        "--format",
        "json",
    ];
    let embedded = ws.json(&args);
    let mut with = args.to_vec();
    with.extend(["--engine", "spark"]);
    let connected = ws.json(&with);
    assert_same(&embedded, &connected, "spark connect --by channel", 10);
}
