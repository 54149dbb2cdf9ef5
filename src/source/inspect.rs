//! What a file is: its encoding, delimiter and header, the source and preset it
//! matches, and how its timestamp columns are written — for `svcq inspect`.

use std::collections::HashSet;
use std::path::Path;

use anyhow::{Context, Result};
use chrono_tz::Tz;

use super::formats::TimestampFormat;
use super::mapping::Mapping;
use super::presets::{self, PresetPart};
use super::records::{is_workbook, Records};
use super::timestamp::parse_timestamp;
use super::{decode, Moment, Source};

/// What the file looks like.
#[derive(Debug)]
pub struct Inspection {
    pub encoding: String,
    /// None for a workbook.
    pub delimiter: Option<char>,
    pub header: Vec<String>,
    /// Up to five records after the header, as text.
    pub rows: Vec<Vec<String>>,
    pub guess: Guess,
    /// Columns whose values look like times, with the formats that read them all.
    pub times: Vec<(String, TimeForms)>,
}

#[derive(Debug, Clone)]
pub enum Guess {
    /// A preset whose signature columns are all in the header (the one with the
    /// most such columns when several are).
    Preset {
        name: &'static str,
        part: Box<PresetPart>,
    },
    /// svcq's own layout: the source's required columns are all there.
    Contract(Source),
    /// Neither; the source whose field names the header resembles most, if any.
    Unknown(Option<Source>),
}

/// How one column's sample values are written.
#[derive(Debug, Clone, PartialEq)]
pub enum TimeForms {
    /// ISO 8601 forms svcq reads without a format.
    Iso,
    /// These stated formats read every sample; more than one day/month order is
    /// ambiguous and must be chosen.
    Formats(Vec<&'static str>),
}

/// Formats tried on columns that are not ISO 8601: day-first, month-first and
/// year-first with `/`, `-` and `.`, with and without seconds.
const CANDIDATES: &[&str] = &[
    "%d-%m-%Y %H:%M",
    "%d-%m-%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%d/%m/%Y %H:%M:%S",
    "%d.%m.%Y %H:%M",
    "%d.%m.%Y %H:%M:%S",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %I:%M %p",
    "%Y/%m/%d %H:%M",
    "%Y/%m/%d %H:%M:%S",
    "%Y-%m-%d %H:%M:%S %z",
    "%Y-%m-%d %H:%M:%S UTC",
    "%a %b %d %H:%M:%S %z %Y",
    "%d-%m-%Y",
    "%d/%m/%Y",
    "%m/%d/%Y",
    "%d.%m.%Y",
];

pub fn inspect(path: &Path) -> Result<Inspection> {
    let display = path.display().to_string();
    let (encoding, delimiter) = if is_workbook(path) {
        ("workbook".to_string(), None)
    } else {
        let decoding =
            decode::detect(path, None).with_context(|| format!("cannot read {display}"))?;
        let delimiter = decode::sniff_delimiter(path, decoding)
            .with_context(|| format!("cannot read {display}"))?;
        (
            decoding.label().unwrap_or("utf-8").to_string(),
            Some(delimiter as char),
        )
    };
    let mut records = Records::open(path, &Mapping::default())?;
    let mut record = csv::ByteRecord::new();
    let mut header = Vec::new();
    let mut rows = Vec::new();
    let mut samples: Vec<Vec<String>> = Vec::new();
    // A title row above the header (Zammad) is told apart by its field count: the
    // header is the first record as wide as the widest of the first few.
    let mut head: Vec<Vec<String>> = Vec::new();
    while head.len() < 200
        && records
            .next(&mut record)
            .with_context(|| format!("cannot read {display}"))?
            .is_some()
    {
        head.push(
            record
                .iter()
                .map(|f| String::from_utf8_lossy(f).trim().to_string())
                .collect(),
        );
    }
    let width = head
        .iter()
        .map(|r| r.iter().filter(|f| !f.is_empty()).count())
        .max()
        .unwrap_or(0);
    if let Some(h) = head
        .iter()
        .position(|r| r.iter().filter(|f| !f.is_empty()).count() == width)
    {
        header = head[h].clone();
        if let Some(first) = header.first_mut() {
            *first = first.trim_start_matches('\u{feff}').to_string();
        }
        for r in &head[h + 1..] {
            if rows.len() < 5 {
                rows.push(r.clone());
            }
            samples.push(r.clone());
        }
    }
    let times = header
        .iter()
        .enumerate()
        .filter_map(|(i, name)| {
            let values: Vec<&str> = samples
                .iter()
                .filter_map(|r| r.get(i).map(String::as_str))
                .filter(|v| !v.is_empty() && !["?", "-", "N/A", "null"].contains(v))
                .collect();
            time_forms(&values).map(|f| (name.clone(), f))
        })
        .collect();
    Ok(Inspection {
        encoding,
        delimiter,
        guess: guess(&header, &samples)?,
        header,
        rows,
        times,
    })
}

/// How `values` are written, if they are all times in one form.
fn time_forms(values: &[&str]) -> Option<TimeForms> {
    // Numbers are counts or ids far more often than serial days or epochs.
    if values.is_empty() || values.iter().all(|v| v.parse::<f64>().is_ok()) {
        return None;
    }
    if values.iter().all(|v| parse_timestamp(v, Tz::UTC).is_ok()) {
        return Some(TimeForms::Iso);
    }
    let fits: Vec<&'static str> = CANDIDATES
        .iter()
        .copied()
        .filter(|f| {
            let format = TimestampFormat::parse(f).expect("candidate formats are valid");
            values
                .iter()
                .all(|v| format.read(v, Tz::UTC, Moment::Event).is_some())
        })
        .collect();
    (!fits.is_empty()).then_some(TimeForms::Formats(fits))
}

fn guess(header: &[String], samples: &[Vec<String>]) -> Result<Guess> {
    let names: HashSet<String> = header.iter().map(|h| h.to_lowercase()).collect();
    let has = |c: &String| names.contains(&c.to_lowercase());
    // An event log repeats its ids; a list export with the same columns does not.
    let repeats = |column: Option<&str>| {
        let Some(i) = column.and_then(|c| header.iter().position(|h| h.eq_ignore_ascii_case(c)))
        else {
            return false;
        };
        let mut seen = HashSet::new();
        samples
            .iter()
            .any(|r| r.get(i).is_some_and(|v| !seen.insert(v.clone())))
    };
    // Ranked by (ids as the preset expects them, signature columns matched): a
    // log preset whose ids do not repeat fits only when nothing else does.
    let mut best: Option<((bool, usize), &'static str, PresetPart)> = None;
    for preset in presets::all()? {
        for part in preset.parts {
            let ids_fit = !part.mapping.is_event_log()
                || repeats(part.mapping.column_of(part.source.id_column()));
            let matched = part.signature.iter().filter(|c| has(c)).count();
            let rank = (ids_fit, matched);
            if matched == part.signature.len() && best.as_ref().is_none_or(|(r, _, _)| rank > *r) {
                best = Some((rank, preset.name, part));
            }
        }
    }
    if let Some((_, name, part)) = best {
        return Ok(Guess::Preset {
            name,
            part: Box::new(part),
        });
    }
    for source in Source::ALL {
        let required = source.columns().iter().filter(|c| c.in_header);
        if required.clone().all(|c| names.contains(c.name)) {
            return Ok(Guess::Contract(source));
        }
    }
    // The source sharing the most field names, for the skeleton.
    let likely = Source::ALL
        .into_iter()
        .map(|s| {
            let shared = s
                .columns()
                .iter()
                .filter(|c| {
                    names
                        .iter()
                        .any(|n| n.contains(c.name.split('_').next().unwrap_or("")))
                })
                .count();
            (shared, s)
        })
        .filter(|(shared, _)| *shared > 0)
        .max_by_key(|(shared, _)| *shared)
        .map(|(_, s)| s);
    Ok(Guess::Unknown(likely))
}
