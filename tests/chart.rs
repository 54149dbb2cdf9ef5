//! `svcq chart` and `report --html` on the hand-worked week fixture. The PNGs are
//! decoded and checked by pixels: size, not blank, status colours where the numbers
//! say they must be, bar lengths in proportion to the values, CJK labels drawn.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use common::run_ok;

mod common;

// Exact colours the charts fill with (src/chart/mod.rs).
const PASS: [u8; 3] = [46, 125, 50];
const FAIL: [u8; 3] = [198, 40, 40];
const WHITE: [u8; 3] = [255, 255, 255];

fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/week")
}

struct Image {
    width: u32,
    height: u32,
    pixels: Vec<[u8; 3]>,
}

impl Image {
    fn read(path: &Path) -> Image {
        let decoder =
            png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).unwrap()));
        let mut reader = decoder.read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size()];
        let info = reader.next_frame(&mut buf).unwrap();
        assert_eq!(info.color_type, png::ColorType::Rgb);
        let pixels = buf[..info.buffer_size()]
            .chunks(3)
            .map(|c| [c[0], c[1], c[2]])
            .collect();
        Image {
            width: info.width,
            height: info.height,
            pixels,
        }
    }

    fn count(&self, color: [u8; 3]) -> usize {
        self.pixels.iter().filter(|p| **p == color).count()
    }

    fn non_white_share(&self) -> f64 {
        (self.pixels.len() - self.count(WHITE)) as f64 / self.pixels.len() as f64
    }

    /// Mid-grey pixels (muted text) inside a box given as fractions of the image.
    fn grey_in(&self, x0: f64, x1: f64, y0: f64, y1: f64) -> usize {
        self.count_in(x0, x1, y0, y1, |p| p.iter().all(|c| (90..200).contains(c)))
    }

    /// Dark pixels (text and axes) inside a box given as fractions of the image.
    fn dark_in(&self, x0: f64, x1: f64, y0: f64, y1: f64) -> usize {
        self.count_in(x0, x1, y0, y1, |p| p.iter().all(|c| *c < 120))
    }

    fn count_in(
        &self,
        x0: f64,
        x1: f64,
        y0: f64,
        y1: f64,
        test: impl Fn(&[u8; 3]) -> bool,
    ) -> usize {
        let (w, h) = (self.width as f64, self.height as f64);
        let mut n = 0;
        for y in (y0 * h) as u32..(y1 * h) as u32 {
            for x in (x0 * w) as u32..(x1 * w) as u32 {
                if test(&self.pixels[(y * self.width + x) as usize]) {
                    n += 1;
                }
            }
        }
        n
    }
}

fn chart(dir: &Path, args: &[&str]) -> Image {
    let mut all = vec!["chart"];
    all.extend(args);
    all.extend(["--as-of", "2026-11-23T00:00:00Z", "--out", "chart.png"]);
    run_ok(dir, &all);
    Image::read(&dir.join("chart.png"))
}

fn targets(dir: &Path, body: &str) -> String {
    let path = dir.join("targets.toml");
    std::fs::write(&path, body).unwrap();
    path.display().to_string()
}

/// Every kind renders a PNG of the requested size with something on it.
#[test]
fn every_kind_renders_at_the_requested_size() {
    let dir = tempfile::tempdir().unwrap();
    let data = fixture_dir();
    let data = data.to_str().unwrap();
    let kinds: [&[&str]; 5] = [
        &[
            "trend",
            "--metric",
            "first_response_hours_mean",
            "--by",
            "day",
        ],
        &["breakdown", "--metric", "response_rate", "--by", "channel"],
        &["distribution", "--metric", "resolution_hours"],
        &["pareto", "--source", "tickets", "--field", "channel"],
        &["scorecard"],
    ];
    for kind in kinds {
        for (w, h) in [("800", "450"), ("1600", "900")] {
            let mut args = kind.to_vec();
            args.extend([
                "--data", data, "--period", "2026-W47", "--width", w, "--height", h,
            ]);
            let img = chart(dir.path(), &args);
            assert_eq!(
                (img.width.to_string(), img.height.to_string()),
                (w.into(), h.into())
            );
            let share = img.non_white_share();
            assert!(share > 0.01, "{kind:?} at {w}: blank ({share})");
        }
    }
}

// W47 by channel: chat answered T1 in 1 h (T4, T5 unanswered) → mean 1 h;
// email T2 3 h and T3 5 h → mean 4 h. With a 2 h target chat passes and email fails,
// and the two bars have equal height, so the red bar has 4× the green one's pixels.
#[test]
fn breakdown_bars_are_coloured_by_status_and_proportional() {
    let dir = tempfile::tempdir().unwrap();
    let t = targets(
        dir.path(),
        "[[target]]\nmetric = \"first_response_hours_mean\"\nmax = 2.0\n",
    );
    let img = chart(
        dir.path(),
        &[
            "breakdown",
            "--metric",
            "first_response_hours_mean",
            "--by",
            "channel",
            "--data",
            fixture_dir().to_str().unwrap(),
            "--period",
            "2026-W47",
            "--targets",
            &t,
        ],
    );
    let (green, red) = (img.count(PASS), img.count(FAIL));
    assert!(green > 1000, "pass bar missing: {green}");
    let ratio = red as f64 / green as f64;
    assert!(
        (ratio - 4.0).abs() < 0.15,
        "red/green = {ratio} ({red}/{green})"
    );
}

#[test]
fn chinese_segment_names_render_as_text() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("tickets.csv"),
        "ticket_id,created_at,first_response_at,channel,priority\n\
         A,2026-11-16T00:00:00Z,2026-11-16T01:00:00Z,微信客服,normal\n\
         B,2026-11-16T00:00:00Z,2026-11-16T03:00:00Z,电话,normal\n",
    )
    .unwrap();
    let img = chart(
        dir.path(),
        &[
            "breakdown",
            "--metric",
            "first_response_hours_mean",
            "--by",
            "channel",
            "--data",
            ".",
            "--period",
            "2026-W47",
        ],
    );
    // The segment names are the y labels, left of the bars.
    let labels = img.dark_in(0.0, 0.08, 0.2, 0.9);
    assert!(labels > 200, "no label pixels: {labels}");
}

#[test]
fn empty_period_says_no_data_and_one_point_still_draws() {
    let dir = tempfile::tempdir().unwrap();
    let data = fixture_dir();
    let data = data.to_str().unwrap();
    // Nothing in 2026-W30: a chart that says so, not an error.
    for kind in [
        vec!["trend", "--metric", "on_time_rate"],
        vec!["breakdown", "--metric", "on_time_rate", "--by", "carrier"],
        vec!["distribution", "--metric", "delivery_hours"],
        vec!["pareto"],
    ] {
        let mut args = kind.clone();
        args.extend(["--data", data, "--period", "2026-W30"]);
        let img = chart(dir.path(), &args);
        // The centred grey "no data" message; no axes, bars or status colours.
        assert_eq!(img.dark_in(0.3, 0.7, 0.3, 0.7), 0, "{kind:?}");
        assert!(
            img.grey_in(0.3, 0.7, 0.3, 0.7) > 100,
            "{kind:?}: no message"
        );
        assert!(img.non_white_share() > 0.005, "{kind:?}");
        assert_eq!(img.count(FAIL) + img.count(PASS), 0, "{kind:?}");
    }
    // One week, one point: on-time 2 of 3 delivered fails the 97 % default target.
    let img = chart(
        dir.path(),
        &[
            "trend",
            "--metric",
            "on_time_rate",
            "--data",
            data,
            "--period",
            "2026-W47",
        ],
    );
    assert!(img.count(FAIL) > 50, "the single point is drawn");
}

#[test]
fn bad_chart_requests_are_errors_that_say_why() {
    let dir = tempfile::tempdir().unwrap();
    let data = fixture_dir();
    let data = data.to_str().unwrap();
    let cases: [(&[&str], &str); 4] = [
        (&["trend", "--metric", "nope"], "unknown metric \"nope\""),
        (
            &["breakdown", "--metric", "rating_avg", "--by", "carrier"],
            "rating_avg cannot be split by \"carrier\"",
        ),
        (
            &["distribution", "--metric", "rating_avg"],
            "not a duration",
        ),
        (
            &["pareto", "--source", "reviews", "--field", "text"],
            "reviews has no field \"text\"",
        ),
    ];
    for (args, message) in cases {
        let out = Command::cargo_bin("svcq")
            .unwrap()
            .current_dir(dir.path())
            .arg("chart")
            .args(args)
            .args(["--data", data, "--out", "x.png"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(message), "{args:?}: {stderr}");
        assert!(!dir.path().join("x.png").exists());
    }
}

#[test]
fn html_report_is_self_contained() {
    let dir = tempfile::tempdir().unwrap();
    let data = fixture_dir();
    run_ok(
        dir.path(),
        &[
            "report",
            "--data",
            data.to_str().unwrap(),
            "--period",
            "2026-W47",
            "--as-of",
            "2026-11-23T00:00:00Z",
            "--html",
            "site",
        ],
    );
    let site = dir.path().join("site");
    let index = std::fs::read_to_string(site.join("index.html")).unwrap();
    // Every image it shows is a file beside it, and nothing comes from the network.
    let images: Vec<&str> = index
        .split("<img src=\"")
        .skip(1)
        .map(|s| s.split('"').next().unwrap())
        .collect();
    // Seven charts of the KPIs and the complaint terms of the reviews.
    assert_eq!(images.len(), 8, "{images:?}");
    assert!(images.contains(&"complaints.png"));
    assert!(index.contains("<h2 id=\"complaints\">What customers complain about</h2>"));
    for img in &images {
        let png = Image::read(&site.join(img));
        assert_eq!((png.width, png.height), (1600, 900), "{img}");
    }
    assert!(!index.contains("http://") && !index.contains("https://"));
    assert!(index.contains("<a href=\"metrics.html\">"));
    assert!(site.join("metrics.html").exists());
    // The scorecard table carries the engine's numbers: 5 tickets, 3 h mean response.
    assert!(index.contains("<code>first_response_hours_mean</code></th><td class=\"num\">3.00 h</td><td class=\"num\">3</td>"), "{index}");
    assert!(index.contains("<th scope=\"row\">tickets</th>"));
    // Each chart's text alternative names what it shows, values included.
    assert!(
        index.contains("alt=\"Bar chart of first response, mean by channel, 2026-W47: "),
        "{index}"
    );
    for landmark in ["<header>", "<main>", "<footer>"] {
        assert!(index.contains(landmark), "{landmark}");
    }
}
