//! The validation of one run of records: a whole export, or a part of a large
//! file read on a core of its own. Each row is accepted into the column builders
//! or kept as a pending reject with its reason.

use std::collections::BTreeSet;
use std::sync::Arc;

use chrono_tz::Tz;
use polars::prelude::*;

use super::fields::{parse_row, Locator, RowError, Value};
use super::header::{header_names, same_header};
use super::load::{Keep, LinkMap, TextMentions, NOT_GATED};
use super::lookup::Lookup;
use super::mapping::Mapping;
use super::rejects::Pending;
use super::rules::CrossRules;
use super::seen_ids::SeenIds;
use super::times::TimeBuilder;
use super::{codes, ColumnSpec, Kind, Source};

/// What every run of one export shares: where its fields are and how they are
/// checked.
pub(super) struct Layout<'a> {
    pub source: Source,
    pub specs: &'static [ColumnSpec],
    pub locators: &'a [Locator],
    pub positions: &'a [Option<usize>],
    pub header: &'a [String],
    pub tz: Tz,
    pub mapping: &'a Mapping,
    pub rules: &'a CrossRules,
    pub lookup: Option<&'a Lookup>,
    /// How many files the export has (the duplicate message says which wins).
    pub files: usize,
    /// Whether a rejected row is kept whole, to be written or shown ([`Pending::new`]).
    pub rejected_rows: bool,
}

impl Layout<'_> {
    /// The reject of a row whose id an earlier row already has.
    pub fn duplicate(&self, id: &str) -> RowError {
        let spec = &self.specs[0];
        RowError {
            position: self.positions[0].map(|p| p + 1),
            name: Some(spec.name),
            reason: format!("duplicate {}", spec.name),
            detail: if self.files > 1 {
                format!(
                    "{} {id:?} already seen earlier in this file or in a newer file of the \
                     export (the newest file wins, then the first row)",
                    spec.name
                )
            } else {
                format!(
                    "{} {id:?} already seen earlier in the export (the first row wins)",
                    spec.name
                )
            },
        }
    }
}

/// Accepted values go straight into polars' column builders: no per-field `String`.
/// A column the command does not keep is validated and then dropped.
/// Integers go into the narrowest type of their kind ([`Kind::dtype`]).
pub(super) enum Buffer {
    Text(StringChunkedBuilder),
    Int64(PrimitiveChunkedBuilder<Int64Type>),
    UInt32(PrimitiveChunkedBuilder<UInt32Type>),
    Int8(PrimitiveChunkedBuilder<Int8Type>),
    /// A text as what it mentions ([`TextMentions`]).
    Mentions(PrimitiveChunkedBuilder<Int8Type>),
    /// A label of a closed list, as its code.
    Code(PrimitiveChunkedBuilder<Int8Type>, &'static [&'static str]),
    /// An open label or a dimension's text, as its code in the run's
    /// dictionary ([`codes::is_open`]).
    Open(PrimitiveChunkedBuilder<UInt32Type>, codes::OpenCoder),
    /// UTC milliseconds, held as whole seconds where they are ([`super::times`]).
    Time(TimeBuilder),
    /// A link id as the code the command gave it ([`super::load::LinkCodes`]), null when it
    /// gave none.
    Link(PrimitiveChunkedBuilder<UInt32Type>, Arc<LinkMap>),
    Dropped,
}

impl Buffer {
    fn new(spec: &ColumnSpec, kept: bool, mentions: bool, capacity: usize) -> Buffer {
        let name = spec.name.into();
        if !kept {
            return Buffer::Dropped;
        }
        if mentions {
            return Buffer::Mentions(PrimitiveChunkedBuilder::new(name, capacity));
        }
        if matches!(spec.kind, Kind::Timestamp(_)) {
            return Buffer::Time(TimeBuilder::new(name, capacity));
        }
        if let Some(labels) = codes::labels(spec.kind) {
            return Buffer::Code(PrimitiveChunkedBuilder::new(name, capacity), labels);
        }
        if codes::is_open(spec.name) {
            let coder = codes::OpenCoder::new(spec.name);
            return Buffer::Open(PrimitiveChunkedBuilder::new(name, capacity), coder);
        }
        match spec.kind.dtype() {
            DataType::Int64 => Buffer::Int64(PrimitiveChunkedBuilder::new(name, capacity)),
            DataType::UInt32 => Buffer::UInt32(PrimitiveChunkedBuilder::new(name, capacity)),
            DataType::Int8 => Buffer::Int8(PrimitiveChunkedBuilder::new(name, capacity)),
            _ => Buffer::Text(StringChunkedBuilder::new(name, capacity)),
        }
    }

    pub fn push(&mut self, value: Value) {
        match (self, value) {
            (Buffer::Text(b), Value::Text(v)) => b.append_option(v),
            (Buffer::Int64(b), Value::Int(v)) => b.append_option(v),
            (Buffer::Time(b), Value::Int(v)) => b.append(v),
            (Buffer::UInt32(b), Value::Int(v)) => b.append_option(v.map(narrow)),
            (Buffer::Int8(b), Value::Int(v)) => b.append_option(v.map(narrow)),
            (Buffer::Mentions(b), Value::Int(v)) => b.append_option(v.map(narrow)),
            (Buffer::Code(b, labels), Value::Text(v)) => b.append_option(v.map(|label| {
                codes::code(labels, &label).expect("a coded kind's values are its labels")
            })),
            (Buffer::Open(b, coder), Value::Text(v)) => {
                b.append_option(v.map(|label| coder.code(&label)))
            }
            (Buffer::Link(b, codes), Value::Text(v)) => {
                b.append_option(v.and_then(|id| codes.get(&*id).copied()))
            }
            (Buffer::Dropped, _) => {}
            _ => unreachable!("buffer and value kinds follow the same spec"),
        }
    }

    /// A buffer of the same kind, empty, with room for `capacity` rows.
    fn renewed(&self, spec: &ColumnSpec, capacity: usize) -> Buffer {
        match self {
            Buffer::Dropped => Buffer::Dropped,
            Buffer::Link(_, codes) => Buffer::link(spec, codes.clone(), capacity),
            Buffer::Mentions(_) => Buffer::new(spec, true, true, capacity),
            _ => Buffer::new(spec, true, false, capacity),
        }
    }

    fn link(spec: &ColumnSpec, codes: Arc<LinkMap>, capacity: usize) -> Buffer {
        Buffer::Link(
            PrimitiveChunkedBuilder::new(spec.name.into(), capacity),
            codes,
        )
    }

    /// The column built so far (None when dropped).
    pub fn finish(self) -> Option<Series> {
        match self {
            Buffer::Text(b) => Some(b.finish().into_series()),
            Buffer::Int64(b) => Some(b.finish().into_series()),
            Buffer::Time(b) => Some(b.finish()),
            Buffer::UInt32(b) | Buffer::Open(b, _) | Buffer::Link(b, _) => {
                Some(b.finish().into_series())
            }
            Buffer::Int8(b) | Buffer::Code(b, _) | Buffer::Mentions(b) => {
                Some(b.finish().into_series())
            }
            Buffer::Dropped => None,
        }
    }
}

/// A value in a narrower integer type. It cannot fail: each kind's parsing bounds
/// its values to what [`Kind::dtype`] holds.
fn narrow<T: TryFrom<i64>>(v: i64) -> T {
    T::try_from(v)
        .ok()
        .expect("a value parsed within its kind's bounds")
}

/// The state of one run of records.
pub(super) struct Run {
    pub buffers: Vec<Buffer>,
    pub seen_ids: SeenIds,
    pub unmapped: BTreeSet<(&'static str, String)>,
    pub pending: Vec<Pending>,
    pub read: u64,
    pub accepted: u64,
    /// The rows the builders hold (since they were last taken).
    pub buffered: usize,
    /// Where each accepted row starts, for a part that is not a file's first: its
    /// rows may repeat an id an earlier part accepted, and are then found again.
    pub starts: Option<Vec<u64>>,
    /// The text read as what it mentions, when the command keeps it so.
    mentions: Option<Mentioned>,
}

/// Where a row's text and the integer that gates its matching are.
struct Mentioned {
    text: usize,
    gate: usize,
    how: Arc<TextMentions>,
}

impl Mentioned {
    fn of(source: Source, keep: &Keep) -> Option<Mentioned> {
        let how = keep.mentions(source)?;
        let at = |name| source.columns().iter().position(|c| c.name == name);
        Some(Mentioned {
            text: at(how.column)?,
            gate: at(how.gate.0)?,
            how: how.clone(),
        })
    }

    /// The row's text replaced by its [`TextMentions`] value.
    fn condense(&self, values: &mut [Value]) {
        let matched = matches!(values[self.gate], Value::Int(Some(v)) if v <= self.how.gate.1);
        let value = match &values[self.text] {
            Value::Text(Some(text)) if matched => {
                let mask = (self.how.mask)(text);
                assert!(
                    mask < 0x80,
                    "a mention mask has at most 7 aspects, not {mask:#x}"
                );
                Some(i64::from(mask))
            }
            Value::Text(Some(_)) => Some(i64::from(NOT_GATED)),
            _ => None,
        };
        values[self.text] = Value::Int(value);
    }
}

impl Run {
    /// A run keeping the columns `keep` names of `source`, with room for
    /// `capacity` rows (`buffered` in the builders, when fewer: a streamed read's
    /// chunk); `part` keeps each accepted row's start and each id's row as well,
    /// for joining the parts.
    pub fn new(
        source: Source,
        keep: &Keep,
        (capacity, buffered): (usize, usize),
        part: bool,
    ) -> Run {
        let mentions = Mentioned::of(source, keep);
        let links = keep.link_codes(source).and_then(|l| l.get());
        let buffers = source
            .columns()
            .iter()
            .enumerate()
            .map(|(i, spec)| {
                let kept = keep.keeps(source, spec.name);
                let codes = links.as_ref().and_then(|l| l.get(spec.name));
                match codes {
                    Some(codes) if kept => Buffer::link(spec, codes.clone(), buffered),
                    _ => {
                        let mentioned = mentions.as_ref().is_some_and(|m| m.text == i);
                        Buffer::new(spec, kept, mentioned, buffered)
                    }
                }
            })
            .collect();
        Run {
            buffers,
            seen_ids: match part {
                true => SeenIds::with_rows(capacity),
                false => SeenIds::with_capacity(capacity),
            },
            unmapped: BTreeSet::new(),
            pending: Vec::new(),
            read: 0,
            accepted: 0,
            buffered: 0,
            starts: part.then(|| Vec::with_capacity(capacity)),
            mentions,
        }
    }

    /// The columns built so far (None for a dropped one), the builders started
    /// again with room for `capacity` more rows.
    pub fn take_columns(&mut self, source: Source, capacity: usize) -> Vec<Option<Series>> {
        self.buffered = 0;
        self.buffers
            .iter_mut()
            .zip(source.columns())
            .map(|(buffer, spec)| {
                let renewed = buffer.renewed(spec, capacity);
                std::mem::replace(buffer, renewed).finish()
            })
            .collect()
    }

    /// Counts a record read and makes the checks every row gets first: not the
    /// header again, as many fields as the header; then appends the joined
    /// columns. False when the row is rejected.
    pub fn well_formed(
        &mut self,
        layout: &Layout,
        file: usize,
        start: u64,
        record: &mut csv::ByteRecord,
    ) -> bool {
        self.read += 1;
        let header = layout.header;
        // Files concatenated with their headers (`cat a.csv b.csv`) repeat it.
        let first = String::from_utf8_lossy(record.get(0).unwrap_or_default());
        let error = if record.len() == header.len()
            && first
                .trim_start_matches('\u{feff}')
                .trim()
                .eq_ignore_ascii_case(&header[0])
            && same_header(header, &header_names(record))
        {
            RowError {
                position: None,
                name: None,
                reason: "header repeated".into(),
                detail: "the header row appears again inside the file".into(),
            }
        } else if record.len() != header.len() {
            RowError {
                position: None,
                name: None,
                reason: "wrong number of fields".into(),
                detail: format!(
                    "row has {} fields, the header has {}",
                    record.len(),
                    header.len()
                ),
            }
        } else {
            if let Some(lookup) = layout.lookup {
                lookup.extend(record);
            }
            return true;
        };
        self.reject(layout, (file, start), error, record);
        false
    }

    pub fn reject(
        &mut self,
        layout: &Layout,
        at: (usize, u64),
        error: RowError,
        record: &csv::ByteRecord,
    ) {
        let pending = Pending::new(layout.rejected_rows, at, error, record);
        self.pending.push(pending);
    }

    /// Reads every field of a well-formed row as its contract kind (labels a
    /// value map leaves unmapped are collected).
    pub fn parse<'r>(
        &mut self,
        layout: &Layout<'r>,
        record: &'r csv::ByteRecord,
    ) -> Result<Vec<Value<'r>>, RowError> {
        parse_row(
            layout.specs,
            layout.locators,
            record,
            layout.tz,
            layout.mapping,
            &mut self.unmapped,
        )
    }

    /// Validates a well-formed row of an export that is not an event log: its
    /// fields, the rules across them, its id not seen before.
    pub fn validate(&mut self, layout: &Layout, file: usize, start: u64, record: &csv::ByteRecord) {
        let parsed = self.parse(layout, record);
        let seen_ids = &mut self.seen_ids;
        let outcome = parsed.and_then(|mut values| {
            layout
                .rules
                .check(layout.specs, layout.positions, &mut values)?;
            let Value::Text(Some(id)) = &values[0] else {
                unreachable!("the id column is required text")
            };
            if !seen_ids.insert(id) {
                return Err(layout.duplicate(id));
            }
            Ok(values)
        });
        match outcome {
            Ok(values) => {
                if let Some(starts) = &mut self.starts {
                    starts.push(start);
                }
                self.accepted += 1;
                self.push(values);
            }
            Err(error) => self.reject(layout, (file, start), error, record),
        }
    }

    /// Appends a record's values to the columns (the caller counts the rows).
    pub fn push(&mut self, mut values: Vec<Value>) {
        if let Some(mentions) = &self.mentions {
            mentions.condense(&mut values);
        }
        self.buffered += 1;
        for (buffer, value) in self.buffers.iter_mut().zip(values) {
            buffer.push(value);
        }
    }
}
