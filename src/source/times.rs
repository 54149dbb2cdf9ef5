//! Timestamp columns in four bytes where the data allows. The reader builds each
//! timestamp column as Int32 whole seconds since 2000-01-01T00:00:00Z (±68 years:
//! what exports hold, seconds or minutes), half the memory of milliseconds; at the
//! first value that is not such a second (milliseconds in the export, a date-only
//! deadline's last millisecond, a far year) the column becomes Int64 UTC
//! milliseconds, so no time is ever rounded. A store holds milliseconds. The dtype
//! says which: whatever reads a timestamp column reads it through [`Times`],
//! [`millis`] or [`max_millis`], and expressions through [`ms`], [`elapsed_ms`] or
//! [`compared`].

use polars::chunked_array::ops::arity::{binary_elementwise_values, unary_elementwise_values};
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
                    wide.append_option(s.map(from_seconds));
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

/// A timestamp column as UTC milliseconds, whichever form it is held in.
pub fn millis(column: &Column) -> PolarsResult<Int64Chunked> {
    match column.dtype() {
        DataType::Int32 => {
            let secs = column.i32()?;
            Ok(unary_elementwise_values(secs, from_seconds))
        }
        _ => column.i64().cloned(),
    }
}

/// A timestamp column of milliseconds (as a store holds them) in the reader's
/// four-byte form when every value is a whole second that fits; as it is
/// otherwise, so no time is ever rounded.
pub fn narrow(column: Column) -> PolarsResult<Column> {
    if column.dtype() != &DataType::Int64 {
        return Ok(column);
    }
    let ms = column.i64()?;
    if !ms.iter().all(|v| v.is_none_or(|v| seconds(v).is_some())) {
        return Ok(column);
    }
    // Every value was checked to be such a second: the default is never taken.
    let secs: Int32Chunked = unary_elementwise_values(ms, |v| seconds(v).unwrap_or_default());
    Ok(secs.with_name(column.name().clone()).into_column())
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

/// Each timestamp column of a `source` frame read from the store, narrowed.
pub fn narrow_frame(frame: &mut DataFrame, source: Source) -> PolarsResult<()> {
    for spec in source.columns() {
        if !matches!(spec.kind, Kind::Timestamp(_)) {
            continue;
        }
        let Some(index) = frame.get_column_index(spec.name) else {
            continue;
        };
        let wide = frame.column(spec.name)?.clone();
        frame.replace_column(index, narrow(wide)?)?;
    }
    Ok(())
}

/// A timestamp column read in place, in whichever form it is held.
#[derive(Clone, Copy)]
pub enum Times<'a> {
    Seconds(&'a Int32Chunked),
    Millis(&'a Int64Chunked),
}

impl<'a> Times<'a> {
    pub fn of(column: &'a Column) -> PolarsResult<Times<'a>> {
        Ok(match column.dtype() {
            DataType::Int32 => Times::Seconds(column.i32()?),
            _ => Times::Millis(column.i64()?),
        })
    }

    /// The time of `row` in UTC milliseconds.
    pub fn get(self, row: usize) -> Option<i64> {
        match self {
            Times::Seconds(s) => s.get(row).map(from_seconds),
            Times::Millis(ms) => ms.get(row),
        }
    }

    /// Every row's time in UTC milliseconds.
    pub fn iter(self) -> Box<dyn Iterator<Item = Option<i64>> + 'a> {
        match self {
            Times::Seconds(s) => Box::new(s.iter().map(|s| s.map(from_seconds))),
            Times::Millis(ms) => Box::new(ms.iter()),
        }
    }
}

fn from_seconds(s: i32) -> i64 {
    EPOCH_MS + i64::from(s) * 1000
}

/// The latest time of a timestamp column in UTC milliseconds.
pub fn max_millis(column: &Column) -> PolarsResult<Option<i64>> {
    Ok(match column.dtype() {
        DataType::Int32 => column.i32()?.max().map(from_seconds),
        _ => column.i64()?.max(),
    })
}

/// A time in either form, as UTC milliseconds.
trait Millis: Copy {
    fn millis(self) -> i64;
}

impl Millis for i32 {
    fn millis(self) -> i64 {
        from_seconds(self)
    }
}

impl Millis for i64 {
    fn millis(self) -> i64 {
        self
    }
}

/// `end − start` in ms as f64, per row (`end` may be one value for every row).
fn elapsed<S, E>(start: &ChunkedArray<S>, end: &ChunkedArray<E>) -> Float64Chunked
where
    S: PolarsNumericType,
    E: PolarsNumericType,
    S::Native: Millis,
    E::Native: Millis,
{
    if end.len() == 1 && start.len() != 1 {
        return match end.get(0) {
            Some(end) => {
                let end = end.millis();
                unary_elementwise_values(start, |s: S::Native| (end - s.millis()) as f64)
            }
            None => Float64Chunked::full_null(start.name().clone(), start.len()),
        };
    }
    binary_elementwise_values(start, end, |s: S::Native, e: E::Native| {
        (e.millis() - s.millis()) as f64
    })
}

/// The time from the timestamp column `start` to `end` (a timestamp column or a
/// literal of UTC milliseconds) in milliseconds, as Float64: null where either is.
/// One pass and one column made, whichever form each side is held in.
pub fn elapsed_ms(start: &str, end: Expr) -> Expr {
    col(start).map_many(
        |columns| {
            let (start, end) = (&columns[0], &columns[1]);
            let out = match (start.dtype(), end.dtype()) {
                (DataType::Int32, DataType::Int32) => elapsed(start.i32()?, end.i32()?),
                (DataType::Int32, _) => elapsed(start.i32()?, end.i64()?),
                (_, DataType::Int32) => elapsed(start.i64()?, end.i32()?),
                _ => elapsed(start.i64()?, end.i64()?),
            };
            Ok(out.with_name(start.name().clone()).into_column())
        },
        &[end],
        |_, fields| Ok(Field::new(fields[0].name().clone(), DataType::Float64)),
    )
}

/// How a time compares with an instant, in [`compared`].
#[derive(Debug, Clone, Copy)]
pub enum Order {
    Before,
    AtOrAfter,
    After,
}

/// Whether each time of a timestamp column is in `order` to `at` (UTC
/// milliseconds); null where the time is. Compared in the column's own form: a
/// column of seconds against the second that `at` falls in, so no column of
/// milliseconds is made.
pub fn compare(column: &Column, order: Order, at: i64) -> PolarsResult<BooleanChunked> {
    let mut out = match column.dtype() {
        DataType::Int32 => {
            // t = E + 1000 s: t < at ⇔ s < ⌈(at − E)/1000⌉, t ≥ at ⇔ s ≥ that,
            // t > at ⇔ s > ⌊(at − E)/1000⌋.
            let since = at - EPOCH_MS;
            let floor = since.div_euclid(1000);
            let ceil = -(-since).div_euclid(1000);
            let secs = column.i32()?;
            match order {
                Order::Before => unary_elementwise_values(secs, |s| i64::from(s) < ceil),
                Order::AtOrAfter => unary_elementwise_values(secs, |s| i64::from(s) >= ceil),
                Order::After => unary_elementwise_values(secs, |s| i64::from(s) > floor),
            }
        }
        _ => {
            let ms = column.i64()?;
            match order {
                Order::Before => ms.lt(at),
                Order::AtOrAfter => ms.gt_eq(at),
                Order::After => ms.gt(at),
            }
        }
    };
    out.rename(column.name().clone());
    Ok(out)
}

/// [`compare`] on the timestamp column `name`, in an expression.
pub fn compared(name: &str, order: Order, at: i64) -> Expr {
    col(name).map(
        move |c| Ok(compare(&c, order, at)?.into_column()),
        |_, field| Ok(Field::new(field.name().clone(), DataType::Boolean)),
    )
}

/// The timestamp column with the times `later` marks emptied, in its own form.
pub fn emptied(column: &Column, later: &BooleanChunked) -> PolarsResult<Column> {
    let out = match column.dtype() {
        DataType::Int32 => column.i32()?.set(later, None)?.into_series(),
        _ => column.i64()?.set(later, None)?.into_series(),
    };
    Ok(out.with_name(column.name().clone()).into_column())
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

    /// The times as the reader builds them.
    fn built(values: &[Option<i64>]) -> Column {
        let mut builder = TimeBuilder::new("t".into(), 1);
        values.iter().for_each(|v| builder.append(*v));
        builder.finish().into_column()
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
        let seconds = built(&values);
        assert_eq!(seconds.dtype(), &DataType::Int32);
        assert_eq!(
            seconds.i32().unwrap().iter().collect::<Vec<_>>(),
            [Some(848_707_200), Some(-1), None, Some(0)]
        );
        assert_eq!(as_millis(&seconds), values);
        assert_eq!(max_millis(&seconds).unwrap(), Some(1_795_392_000_000));
    }

    #[test]
    fn a_column_with_one_millisecond_or_a_far_year_stays_in_milliseconds() {
        // A date-only deadline is its day's last millisecond.
        let deadline = [Some(1_795_391_999_999), Some(1_795_392_000_000)];
        // 2069-01-01 is past the last second Int32 holds (2068-01-19).
        let far = [Some(3_124_137_600_000)];
        for values in [&deadline[..], &far[..]] {
            let kept = built(values);
            assert_eq!(kept.dtype(), &DataType::Int64);
            assert_eq!(as_millis(&kept), values);
            assert_eq!(
                max_millis(&kept).unwrap(),
                values.iter().flatten().max().copied()
            );
        }
    }

    #[test]
    fn a_stored_column_narrows_only_when_every_time_is_a_whole_second_that_fits() {
        let whole = [Some(1_795_392_000_000), None, Some(946_684_799_000)];
        let narrowed = narrow(column(&whole)).unwrap();
        assert_eq!(narrowed.dtype(), &DataType::Int32);
        assert_eq!(narrowed.name().as_str(), "t");
        assert_eq!(as_millis(&narrowed), whole);
        let deadline = [Some(1_795_392_000_000), Some(1_795_391_999_999)];
        let far = [Some(3_124_137_600_000)];
        for values in [&deadline[..], &far[..]] {
            let kept = narrow(column(values)).unwrap();
            assert_eq!(kept.dtype(), &DataType::Int64);
            assert_eq!(as_millis(&kept), values);
        }
    }

    #[test]
    fn a_builder_widens_to_milliseconds_at_the_first_value_that_is_not_a_whole_second() {
        let t = 1_795_392_000_000;
        let whole = [Some(t), None, Some(t + 1000)];
        assert_eq!(built(&whole).dtype(), &DataType::Int32);
        assert_eq!(as_millis(&built(&whole)), whole);
        let one_ms = [Some(t), None, Some(t + 1), Some(t + 1000), None];
        assert_eq!(built(&one_ms).dtype(), &DataType::Int64);
        assert_eq!(as_millis(&built(&one_ms)), one_ms);
    }

    /// Both forms of the same times, as columns `a` (seconds) and `b` (ms).
    fn both_forms(values: &[Option<i64>]) -> DataFrame {
        let seconds = built(values).with_name("a".into());
        assert_eq!(seconds.dtype(), &DataType::Int32);
        let millis = column(values).with_name("b".into());
        DataFrame::new(values.len(), vec![seconds, millis]).unwrap()
    }

    fn bools(frame: &DataFrame, expr: Expr) -> Vec<Option<bool>> {
        let out = frame.clone().lazy().select([expr.alias("x")]).collect();
        out.unwrap()
            .column("x")
            .unwrap()
            .bool()
            .unwrap()
            .iter()
            .collect()
    }

    #[test]
    fn comparisons_in_seconds_agree_with_milliseconds_at_every_boundary() {
        // Seconds around the instants compared with, a second before 2000, a null.
        let t = 1_795_392_000_000;
        let values = [
            Some(t - 1000),
            Some(t),
            Some(t + 1000),
            Some(EPOCH_MS - 1000),
            None,
        ];
        let frame = both_forms(&values);
        // At a whole second, half a second either side, and a millisecond either side.
        for at in [t, t - 500, t + 500, t - 1, t + 1, EPOCH_MS - 1500, EPOCH_MS] {
            for (order, by_hand) in [
                (
                    Order::Before,
                    (|v: i64, at: i64| v < at) as fn(i64, i64) -> bool,
                ),
                (Order::AtOrAfter, |v, at| v >= at),
                (Order::After, |v, at| v > at),
            ] {
                let expected: Vec<Option<bool>> =
                    values.iter().map(|v| v.map(|v| by_hand(v, at))).collect();
                assert_eq!(
                    bools(&frame, compared("a", order, at)),
                    expected,
                    "{order:?} {at}"
                );
                assert_eq!(
                    bools(&frame, compared("b", order, at)),
                    expected,
                    "{order:?} {at}"
                );
            }
        }
    }

    #[test]
    fn elapsed_time_is_the_same_from_either_form_to_either_form_or_a_literal() {
        let start = [Some(1_795_392_000_000), Some(1_795_392_060_000), None];
        let end = [Some(1_795_395_600_000), None, Some(1_795_392_000_000)];
        let frame = DataFrame::new(
            3,
            vec![
                built(&start).with_name("s32".into()),
                column(&start).with_name("s64".into()),
                built(&end).with_name("e32".into()),
                column(&end).with_name("e64".into()),
            ],
        )
        .unwrap();
        let floats = |expr: Expr| -> Vec<Option<f64>> {
            let out = frame.clone().lazy().select([expr.alias("x")]).collect();
            out.unwrap()
                .column("x")
                .unwrap()
                .f64()
                .unwrap()
                .iter()
                .collect()
        };
        for s in ["s32", "s64"] {
            for e in ["e32", "e64"] {
                // An hour; no end; no start.
                assert_eq!(
                    floats(elapsed_ms(s, col(e))),
                    [Some(3_600_000.0), None, None]
                );
            }
            assert_eq!(
                floats(elapsed_ms(s, lit(1_795_392_000_500i64))),
                [Some(500.0), Some(-59_500.0), None]
            );
        }
    }

    #[test]
    fn the_expression_reads_either_form_as_milliseconds() {
        let values = [Some(1_795_392_000_000), None];
        let frame = DataFrame::new(
            2,
            vec![
                built(&values).with_name("a".into()),
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
