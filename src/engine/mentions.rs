//! The aspects each negative review mentions, as one boolean column per aspect
//! (`mentions__delivery`, …) for `Cond::Mentions`. Only negative reviews (the
//! catalogue's `NEGATIVE`) with a text are read — the aspect rates count no
//! others; the other rows are null.

use anyhow::Result;
use polars::prelude::*;

use super::aggregate::cond_expr;
use super::catalogue::NEGATIVE;
use crate::source::load::NOT_GATED;
use crate::text::{Lexicon, ASPECTS};

/// The review text column.
pub const TEXT: &str = "text";

pub fn column(aspect: &str) -> String {
    format!("mentions__{aspect}")
}

/// `reviews` with the mention columns, when it has a text column (and has not
/// had them already: [`mentions_in_place_of_text`]).
pub fn with_mentions(reviews: &DataFrame, lexicon: &Lexicon) -> Result<DataFrame> {
    let Ok(text) = reviews.column(TEXT) else {
        return Ok(reviews.clone());
    };
    if text.dtype() != &DataType::String {
        return Ok(reviews.clone());
    }
    let text = text.str()?;
    let negative = reviews
        .clone()
        .lazy()
        .select([cond_expr(&NEGATIVE).fill_null(lit(false)).alias("negative")])
        .collect()?;
    let negative = negative.column("negative")?.bool()?;
    let masks: Vec<Option<u8>> = crate::parallel::map_parts(reviews.height(), |start, len| {
        let text = text.slice(start as i64, len);
        let negative = negative.slice(start as i64, len);
        text.iter()
            .zip(negative.iter())
            .map(|(t, negative)| match (t, negative) {
                (Some(t), Some(true)) => Some(lexicon.mentions(t)),
                _ => None,
            })
            .collect::<Vec<_>>()
    })
    .into_iter()
    .flatten()
    .collect();
    let mut frame = reviews.clone();
    add_mention_columns(&mut frame, &masks)?;
    Ok(frame)
}

/// One boolean column per aspect from each row's mask (null: not matched).
fn add_mention_columns(frame: &mut DataFrame, masks: &[Option<u8>]) -> Result<()> {
    for (i, aspect) in ASPECTS.iter().enumerate() {
        let values: BooleanChunked = masks.iter().map(|m| m.map(|m| m & (1 << i) != 0)).collect();
        frame.with_column(Column::from(
            values.into_series().with_name(column(aspect.id).into()),
        ))?;
    }
    Ok(())
}

/// Adds the mention columns and replaces the text by whether there is one (true,
/// or null as the text was): all the metrics read of it (`Cond::Present`), in
/// 2 bits a review instead of 16 bytes and the text. For a command that shows
/// no review text. A CSV reader may have kept the text as what it mentions
/// already ([`crate::source::load::TextMentions`]): its masks are spread into the same columns.
pub fn mentions_in_place_of_text(reviews: &mut DataFrame, lexicon: &Lexicon) -> Result<()> {
    let Ok(text) = reviews.column(TEXT) else {
        return Ok(());
    };
    let present: BooleanChunked = if text.dtype() == &DataType::Int8 {
        let read = text.i8()?;
        let masks: Vec<Option<u8>> = read
            .iter()
            .map(|m| m.filter(|&m| m != NOT_GATED).map(|m| m as u8))
            .collect();
        let present = read.iter().map(|m| m.map(|_| true)).collect();
        add_mention_columns(reviews, &masks)?;
        present
    } else {
        *reviews = with_mentions(reviews, lexicon)?;
        reviews
            .column(TEXT)?
            .str()?
            .iter()
            .map(|t| t.map(|_| true))
            .collect()
    };
    reviews.with_column(Column::from(present.into_series().with_name(TEXT.into())))?;
    Ok(())
}
