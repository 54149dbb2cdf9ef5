//! Timestamp columns in four bytes where the data allows. A column whose times are
//! all whole seconds within ±68 years of 2000 (what exports hold: seconds, or
//! minutes) is kept as Int32 seconds since 2000-01-01T00:00:00Z, half the memory
//! of milliseconds. Any other column (milliseconds in the export, a date-only
//! deadline's last millisecond) stays Int64 UTC milliseconds, so no time is ever
//! rounded. The dtype says which: whatever reads a timestamp column reads it
//! through [`millis`], [`max_millis`] or the expression [`ms`].

use polars::chunked_array::ops::arity::unary_elementwise_values;
use polars::prelude::*;

use super::{Kind, Source};

/// 2000-01-01T00:00:00Z in Unix milliseconds: second 0 of an Int32 column.
const EPOCH_MS: i64 = 946_684_800_000;

/// The seconds since [`EPOCH_MS`] of `ms`, when it is a whole second that fits.
fn seconds(ms: i64) -> Option<i32> {
    let since = ms.checked_sub(EPOCH_MS)?;
    (since % 1000 == 0)
        .then(|| i32::try_from(since / 1000).ok())
        .flatten()
}

/// A timestamp column as it is read: whole seconds in four bytes until a value is
/// not one, when the values so far are widened to milliseconds (once per column).
pub struct TimeBuilder {
    name: PlSmallStr,
    capacity: usize,
    form: Form,
}

enum Form {
    Seconds(PrimitiveChunkedBuilder<Int32Type>),
    Millis(PrimitiveChunkedBuilder<Int64Type>),
}

impl TimeBuilder {
    pub fn new(name: PlSmallStr, capacity: usize) -> TimeBuilder {
        let form = Form::Seconds(PrimitiveChunkedBuilder::new(name.clone(), capacity));
        TimeBuilder {
            name,
            capacity,
            form,
        }
    }

    pub fn append(&mut self, ms: Option<i64>) {
        if let Form::Seconds(b) = &mut self.form {
            match ms.map(seconds) {
                None => return b.append_null(),
                Some(Some(s)) => return b.append_value(s),
                Some(None) => self.widen(),
            }
        }
        if let Form::Millis(b) = &mut self.form {
            b.append_option(ms);
        }
    }

    fn widen(&mut self) {
        let wide = PrimitiveChunkedBuilder::new(self.name.clone(), self.capacity);
        if let Form::Seconds(b) = std::mem::replace(&mut self.form, Form::Millis(wide)) {
            let secs = b.finish();
            if let Form::Millis(wide) = &mut self.form {
                for s in secs.iter() {
                    wide.append_option(s.map(|s| EPOCH_MS + i64::from(s) * 1000));
                }
            }
        }
    }

    pub fn finish(self) -> Series {
        match self.form {
            Form::Seconds(b) => b.finish().into_series(),
            Form::Millis(b) => b.finish().into_series(),
        }
    }
}

/// The column in four bytes when every time in it is a whole second that fits;
/// otherwise (or when it is not Int64 milliseconds) the column unchanged.
pub fn compact(column: Column) -> PolarsResult<Column> {
    let Ok(ms) = column.i64() else {
        return Ok(column);
    };
    if !ms.iter().flatten().all(|v| seconds(v).is_some()) {
        return Ok(column);
    }
    let secs: Int32Chunked =
        unary_elementwise_values(ms, |v| seconds(v).expect("every value was checked to fit"));
    Ok(secs.into_column())
}

/// Each timestamp column of a `source` frame in four bytes where it can be, one
/// column at a time (a column's two forms exist together only while it is made).
pub fn compact_frame(frame: &mut DataFrame, source: Source) -> PolarsResult<()> {
    for spec in source.columns() {
        if !matches!(spec.kind, Kind::Timestamp(_)) {
            continue;
        }
        let Some(index) = frame.get_column_index(spec.name) else {
            continue;
        };
        let column = frame.column(spec.name)?.clone();
        frame.replace_column(index, compact(column)?)?;
    }
    Ok(())
}

/// A timestamp column as UTC milliseconds, whichever form it is held in.
pub fn millis(column: &Column) -> PolarsResult<Int64Chunked> {
    match column.dtype() {
        DataType::Int32 => {
            let secs = column.i32()?;
            Ok(unary_elementwise_values(secs, |s| {
                EPOCH_MS + i64::from(s) * 1000
            }))
        }
        _ => column.i64().cloned(),
    }
}

/// Each timestamp column of a `source` frame as Int64 milliseconds (for stacking
/// with a frame read from elsewhere).
pub fn widen_frame(frame: &mut DataFrame, source: Source) -> PolarsResult<()> {
    for spec in source.columns() {
        if !matches!(spec.kind, Kind::Timestamp(_)) {
            continue;
        }
        let Some(index) = frame.get_column_index(spec.name) else {
            continue;
        };
        let wide = millis(frame.column(spec.name)?)?.into_column();
        frame.replace_column(index, wide)?;
    }
    Ok(())
}

/// The latest time of a timestamp column in UTC milliseconds.
pub fn max_millis(column: &Column) -> PolarsResult<Option<i64>> {
    Ok(match column.dtype() {
        DataType::Int32 => column.i32()?.max().map(|s| EPOCH_MS + i64::from(s) * 1000),
        _ => column.i64()?.max(),
    })
}

/// The timestamp column `name` as UTC milliseconds, in an expression.
pub fn ms(name: &str) -> Expr {
    col(name).map(
        |c| {
            let name = c.name().clone();
            Ok(millis(&c)?.with_name(name).into_column())
        },
        |_, field| Ok(Field::new(field.name().clone(), DataType::Int64)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn column(values: &[Option<i64>]) -> Column {
        Column::new("t".into(), values)
    }

    fn as_millis(c: &Column) -> Vec<Option<i64>> {
        millis(c).unwrap().iter().collect()
    }

    #[test]
    fn whole_seconds_are_held_in_four_bytes_and_read_back_exactly() {
        // 2026-11-23T00:00:00Z, 1999-12-31T23:59:59Z, a null, 2000-01-01T00:00:00Z.
        let values = [
            Some(1_795_392_000_000),
            Some(946_684_799_000),
            None,
            Some(EPOCH_MS),
        ];
        let compacted = compact(column(&values)).unwrap();
        assert_eq!(compacted.dtype(), &DataType::Int32);
        assert_eq!(
            compacted.i32().unwrap().iter().collect::<Vec<_>>(),
            [Some(848_707_200), Some(-1), None, Some(0)]
        );
        assert_eq!(as_millis(&compacted), values);
        assert_eq!(max_millis(&compacted).unwrap(), Some(1_795_392_000_000));
    }

    #[test]
    fn a_column_with_one_millisecond_or_a_far_year_stays_in_milliseconds() {
        // A date-only deadline is its day's last millisecond.
        let deadline = [Some(1_795_391_999_999), Some(1_795_392_000_000)];
        // 2069-01-01 is past the last second Int32 holds (2068-01-19).
        let far = [Some(3_124_137_600_000)];
        for values in [&deadline[..], &far[..]] {
            let kept = compact(column(values)).unwrap();
            assert_eq!(kept.dtype(), &DataType::Int64);
            assert_eq!(as_millis(&kept), values);
            assert_eq!(
                max_millis(&kept).unwrap(),
                values.iter().flatten().max().copied()
            );
        }
    }

    #[test]
    fn the_expression_reads_either_form_as_milliseconds() {
        let values = [Some(1_795_392_000_000), None];
        let frame = DataFrame::new(
            2,
            vec![
                compact(column(&values)).unwrap().with_name("a".into()),
                column(&[Some(1_795_391_999_999), Some(5)]).with_name("b".into()),
            ],
        )
        .unwrap();
        let out = frame
            .lazy()
            .select([(ms("a") - ms("b")).alias("d")])
            .collect()
            .unwrap();
        assert_eq!(
            out.column("d")
                .unwrap()
                .i64()
                .unwrap()
                .iter()
                .collect::<Vec<_>>(),
            [Some(1), None]
        );
    }
}
