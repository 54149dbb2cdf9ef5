//! The aspects each negative review mentions, as one boolean column per aspect
//! (`mentions__delivery`, …) for `Cond::Mentions`. Only negative reviews (the
//! catalogue's `NEGATIVE`) with a text are read — the aspect rates count no
//! others; the other rows are null.

use anyhow::Result;
use polars::prelude::*;

use super::aggregate::cond_expr;
use super::catalogue::NEGATIVE;
use crate::text::{Lexicon, ASPECTS};

pub fn column(aspect: &str) -> String {
    format!("mentions__{aspect}")
}

/// `reviews` with the mention columns, when it has a text column (and has not
/// had them already: [`mentions_in_place_of_text`]).
pub fn with_mentions(reviews: &DataFrame, lexicon: &Lexicon) -> Result<DataFrame> {
    let Ok(text) = reviews.column("text") else {
        return Ok(reviews.clone());
    };
    if text.dtype() == &DataType::Boolean {
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
    for (i, aspect) in ASPECTS.iter().enumerate() {
        let values: BooleanChunked = masks.iter().map(|m| m.map(|m| m & (1 << i) != 0)).collect();
        frame.with_column(Column::from(
            values.into_series().with_name(column(aspect.id).into()),
        ))?;
    }
    Ok(frame)
}

/// Adds the mention columns and replaces the text by whether there is one (true,
/// or null as the text was): all the metrics read of it (`Cond::Present`), in
/// 2 bits a review instead of 16 bytes and the text. For a command that shows
/// no review text.
pub fn mentions_in_place_of_text(reviews: &mut DataFrame, lexicon: &Lexicon) -> Result<()> {
    if reviews.column("text").is_err() {
        return Ok(());
    }
    *reviews = with_mentions(reviews, lexicon)?;
    let present: BooleanChunked = reviews
        .column("text")?
        .str()?
        .iter()
        .map(|t| t.map(|_| true))
        .collect();
    reviews.with_column(Column::from(present.into_series().with_name("text".into())))?;
    Ok(())
}
