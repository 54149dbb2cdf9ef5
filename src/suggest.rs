//! "Did you mean …?" for the names a user types: metrics, dimensions, presets,
//! schedules.

/// The candidate closest to `name`, when one is close enough to be a typo.
pub fn closest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let name = name.to_lowercase();
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(&name, &c.to_lowercase()), c))
        .filter(|(score, _)| *score >= 0.85)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

/// `did you mean `x`? ` or nothing, to put before the list of valid names.
pub fn did_you_mean<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    closest(name, candidates)
        .map(|c| format!("did you mean `{c}`? "))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typos_find_their_name_and_strangers_find_none() {
        let metrics = [
            "first_response_hours_p90",
            "first_response_hours_p50",
            "rating_avg",
        ];
        assert_eq!(
            closest("first_reponse_hours_p90", metrics),
            Some("first_response_hours_p90")
        );
        assert_eq!(closest("ratng_avg", metrics), Some("rating_avg"));
        assert_eq!(closest("weather", metrics), None);
        assert_eq!(
            did_you_mean("zendeks", ["zendesk", "zammad"]),
            "did you mean `zendesk`? "
        );
    }
}
