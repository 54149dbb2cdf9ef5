//! The command line's fit with its surroundings: completions and man pages from
//! the clap definitions, colour control, quiet and verbose, config discovery,
//! `svcq config`, and "did you mean" for mistyped names.

use std::path::Path;

use assert_cmd::Command;
use common::fixture;

mod common;

fn svcq(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::cargo_bin("svcq")
        .unwrap()
        .current_dir(dir)
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .env_remove("SVCQ_CONFIG")
        .args(args)
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn sample_dir() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("sample-data")
        .display()
        .to_string()
}

#[test]
fn completions_and_man_pages_come_from_the_clap_definitions() {
    let dir = tempfile::tempdir().unwrap();
    for (shell, marker) in [
        ("bash", "_svcq()"),
        ("zsh", "#compdef svcq"),
        ("fish", "complete -c svcq"),
        ("powershell", "Register-ArgumentCompleter"),
        ("elvish", "edit:completion:arg-completer[svcq]"),
    ] {
        let out = svcq(dir.path(), &["completions", shell]);
        assert!(out.status.success(), "{shell}");
        let script = text(&out.stdout);
        assert!(script.contains(marker), "{shell}: {script}");
        // Every subcommand is completed, including those added later.
        for sub in ["report", "calendar", "config", "inspect"] {
            assert!(script.contains(sub), "{shell} lacks {sub}");
        }
    }
    let out = svcq(dir.path(), &["man", "--out", "man"]);
    assert!(out.status.success());
    let report = std::fs::read_to_string(dir.path().join("man/svcq-report.1")).unwrap();
    assert!(report.starts_with(".ie"), "{report}");
    assert!(report.contains("\\-\\-period"), "{report}");
    assert!(dir.path().join("man/svcq-store-vacuum.1").exists());
    assert!(dir.path().join("man/svcq-chart-trend.1").exists());
    let out = svcq(dir.path(), &["man"]);
    assert!(text(&out.stdout).contains(".TH svcq 1"));
}

#[test]
fn colour_is_decided_by_the_flag_the_environment_and_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let data = sample_dir();
    let ansi = |out: &std::process::Output| text(&out.stdout).contains('\x1b');
    // Not a terminal: no colour, unless forced.
    assert!(!ansi(&svcq(dir.path(), &["check", "--data", &data])));
    assert!(ansi(&svcq(
        dir.path(),
        &["check", "--data", &data, "--color", "always"]
    )));
    assert!(ansi(&svcq(
        dir.path(),
        &["report", "--data", &data, "--color=always"]
    )));
    let forced = Command::cargo_bin("svcq")
        .unwrap()
        .current_dir(dir.path())
        .env("CLICOLOR_FORCE", "1")
        .env_remove("NO_COLOR")
        .args(["check", "--data", &data])
        .output()
        .unwrap();
    assert!(ansi(&forced));
    let off = Command::cargo_bin("svcq")
        .unwrap()
        .current_dir(dir.path())
        .env("CLICOLOR_FORCE", "1")
        .env("NO_COLOR", "1")
        .args(["check", "--data", &data])
        .output()
        .unwrap();
    assert!(!ansi(&off));
    assert!(!ansi(&svcq(
        dir.path(),
        &["check", "--data", &data, "--color", "never"]
    )));
}

#[test]
fn quiet_keeps_only_the_output_and_verbose_says_what_was_used() {
    let dir = tempfile::tempdir().unwrap();
    let data = sample_dir();
    let out = svcq(
        dir.path(),
        &["-q", "sample", "--out", "s", "--tickets", "50"],
    );
    assert!(out.status.success());
    assert!(out.stdout.is_empty() && out.stderr.is_empty());
    let out = svcq(
        dir.path(),
        &["report", "--data", &data, "--html", "site", "--quiet"],
    );
    assert!(text(&out.stderr).is_empty(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("svcq report"));
    let out = svcq(
        dir.path(),
        &["report", "--data", &data, "-v", "--format", "json"],
    );
    let err = text(&out.stderr);
    assert!(err.contains("svcq: config: none found"), "{err}");
    assert!(
        err.contains("tickets.csv read through svcq's own layout"),
        "{err}"
    );
    assert!(
        err.contains("period 2026-W47: 2026-11-16T00:00:00Z to 2026-11-23T00:00:00Z (UTC), the last complete ISO week"),
        "{err}"
    );
    // What the kept columns hold: a report shows no review text, so the reviews
    // keep its aspect mentions instead.
    let reviews = err
        .lines()
        .find(|l| l.starts_with("svcq: reviews: ") && l.contains(" rows kept in "))
        .unwrap_or_else(|| panic!("no memory line for the reviews: {err}"));
    assert!(reviews.contains("mentions__service"), "{reviews}");
    serde_json::from_slice::<serde_json::Value>(&out.stdout).expect("stdout stays JSON");
    let out = svcq(dir.path(), &["-q", "-v", "config"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn the_config_is_found_like_cargo_and_ripgrep_find_theirs() {
    let dir = tempfile::tempdir().unwrap();
    let deep = dir.path().join("a/b");
    std::fs::create_dir_all(&deep).unwrap();
    std::fs::write(
        dir.path().join("svcq.toml"),
        "timezone = \"Asia/Shanghai\"\n",
    )
    .unwrap();
    let out = svcq(&deep, &["config"]);
    let shown = text(&out.stdout);
    assert!(shown.contains("(in a parent directory)"), "{shown}");
    assert!(shown.contains("Asia/Shanghai"), "{shown}");
    std::fs::write(deep.join("other.toml"), "timezone = \"Europe/Berlin\"\n").unwrap();
    let via_env = Command::cargo_bin("svcq")
        .unwrap()
        .current_dir(&deep)
        .env("SVCQ_CONFIG", "other.toml")
        .arg("config")
        .output()
        .unwrap();
    let shown = text(&via_env.stdout);
    assert!(
        shown.contains("named by SVCQ_CONFIG") && shown.contains("Europe/Berlin"),
        "{shown}"
    );
    // --config wins over both; a report uses the same file.
    let out = svcq(&deep, &["--config", "other.toml", "config"]);
    assert!(text(&out.stdout).contains("named by --config"));
    let config = fixture("business-hours/svcq.toml");
    let tickets = fixture("business-hours/tickets.csv");
    let out = svcq(
        dir.path(),
        &[
            "report",
            "--config",
            &config,
            "--tickets",
            &tickets,
            "--period",
            "2026-W47",
            "--as-of",
            "2026-11-25T00:00:00Z",
            "--format",
            "json",
        ],
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(report["targets"]
        .as_str()
        .unwrap()
        .ends_with("business-hours/svcq.toml"));
    let shown = text(&svcq(dir.path(), &["--config", &config, "config"]).stdout);
    assert!(shown.contains("business for high, low, normal"), "{shown}");
    assert!(shown.contains("cn-support"), "{shown}");
}

#[test]
fn mistyped_names_get_the_closest_valid_one() {
    let dir = tempfile::tempdir().unwrap();
    let data = sample_dir();
    let err = |args: &[&str]| {
        let out = svcq(dir.path(), args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        text(&out.stderr)
    };
    assert!(err(&["report", "--data", &data, "--by", "chanel"]).contains("did you mean `channel`?"));
    assert!(err(&["report", "--preset", "zendeks", "--data", &data])
        .contains("did you mean `zendesk`?"));
    assert!(err(&[
        "chart",
        "trend",
        "--data",
        &data,
        "--metric",
        "first_reponse_hours_p90",
        "--out",
        "x.png"
    ])
    .contains("did you mean `first_response_hours_p90`?"));
    std::fs::write(
        dir.path().join("svcq.toml"),
        "[[target]]\nmetric = \"rating_avgg\"\nmin = 4\n",
    )
    .unwrap();
    assert!(err(&["check", "--data", &data]).contains("did you mean `rating_avg`?"));
    // clap's own suggestions stay on.
    assert!(err(&["reprot"]).contains("similar subcommand"));
}
