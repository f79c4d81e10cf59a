//! "Did you mean …?" for misspelt keys, environment names and selectors.

/// The candidate closest to `name`, if it is close enough to be a plausible typo.
pub fn nearest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let lower = name.to_lowercase();
    candidates
        .into_iter()
        .map(|c| (strsim::damerau_levenshtein(&lower, &c.to_lowercase()), c))
        .filter(|(distance, c)| {
            // One edit for short names, about a third of the length for longer ones.
            let allowed = (c.chars().count().max(name.chars().count()) / 3).max(1);
            *distance <= allowed
        })
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, c)| c)
}

/// `did you mean `x`?` for a hint line, when there is a near candidate.
pub fn did_you_mean<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    nearest(name, candidates).map(|c| format!("did you mean `{c}`?"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_typos_and_ignores_strangers() {
        assert_eq!(nearest("regoin", ["region", "endpoint"]), Some("region"));
        assert_eq!(
            nearest("stagin", ["production", "staging"]),
            Some("staging")
        );
        assert_eq!(nearest("latets", ["latest", "live"]), Some("latest"));
        assert_eq!(nearest("PRODUCTION", ["production"]), Some("production"));
        assert_eq!(nearest("qa", ["production", "staging"]), None);
        assert_eq!(nearest("x", Vec::<&str>::new()), None);
    }
}
