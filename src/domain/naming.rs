//! Naming what a caller named, in an answer: the caller's text echoed back only so far (a code of
//! thousands of characters must not make an answer's trailers too large for the client to read),
//! and, for a code nothing has, the closest codes that exist.

/// At most this many characters of a caller's text are echoed back.
const MAX_ECHOED_CHARS: usize = 64;

/// At most this many suggestions are offered.
const MAX_SUGGESTIONS: usize = 3;

/// `text` quoted for a message, cut after [`MAX_ECHOED_CHARS`] characters with the length said.
pub fn echo(text: &str) -> String {
    let length = text.chars().count();
    if length <= MAX_ECHOED_CHARS {
        return format!("{text:?}");
    }
    let start: String = text.chars().take(MAX_ECHOED_CHARS).collect();
    format!("{:?}… ({length} characters)", start)
}

/// The known codes closest to `code`, best first, as " (did you mean \"a\" or \"b\"?)"; empty when
/// none is close enough to be a likely typo.
pub fn did_you_mean<'a>(code: &str, known: impl IntoIterator<Item = &'a str>) -> String {
    let code = code.trim();
    if code.is_empty() || code.chars().count() > 4 * MAX_ECHOED_CHARS {
        return String::new();
    }
    let mut close: Vec<(f64, &str)> = known
        .into_iter()
        .map(|candidate| {
            (
                strsim::normalized_damerau_levenshtein(code, candidate),
                candidate,
            )
        })
        // Close in spelling, or one is the other with something left out ("nam-dinh" for
        // "bao-nam-dinh").
        .filter(|(similarity, candidate)| {
            *similarity >= 0.6 || candidate.contains(code) || code.contains(candidate)
        })
        .collect();
    close.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(b.1)));
    close.dedup_by(|a, b| a.1 == b.1);
    let names: Vec<String> = close
        .iter()
        .take(MAX_SUGGESTIONS)
        .map(|(_, candidate)| format!("{candidate:?}"))
        .collect();
    match names.as_slice() {
        [] => String::new(),
        [one] => format!(" (did you mean {one}?)"),
        [first @ .., last] => format!(" (did you mean {} or {last}?)", first.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_text_is_cut_and_its_length_said() {
        assert_eq!(echo("2024"), "\"2024\"");
        let long = "x".repeat(7_000);
        let echoed = echo(&long);
        assert!(echoed.len() < 100, "{echoed}");
        assert!(echoed.ends_with("(7000 characters)"));
    }

    #[test]
    fn close_codes_are_suggested_and_far_ones_are_not() {
        let plans = ["national-348-qd-ttg", "nam-dinh-cds-bao-chi"];
        assert_eq!(
            did_you_mean("national-348", plans),
            " (did you mean \"national-348-qd-ttg\"?)"
        );
        assert_eq!(
            did_you_mean("nationl-348-qd-ttg", plans),
            " (did you mean \"national-348-qd-ttg\"?)"
        );
        assert_eq!(did_you_mean("budget-2026", plans), "");
        assert_eq!(did_you_mean("", plans), "");
        let periods = ["2023", "2024", "2025", "2026"];
        assert_eq!(did_you_mean("2205", periods), " (did you mean \"2025\"?)");
    }
}
