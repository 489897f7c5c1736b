//! The one format of each kind of value written as text, in requests and in the catalogue file:
//! dates, decimal numbers, codes and links, and the request id. Each is strict and taken exactly
//! as written, never trimmed, so that a value has one spelling and what is refused in one field is
//! refused in every other. proto/pressdx/v1/submission.proto states them once, under "Formats".

use chrono::NaiveDate;

use super::limits::{MAX_CODE_CHARS, MAX_REQUEST_ID_CHARS, MAX_WHOLE_DIGITS};
use super::naming::echo;
use super::violation::{FieldViolation, Violations};

/// A calendar date written exactly as YYYY-MM-DD: a four-digit year, a two-digit month and day, no
/// sign and nothing around it. chrono's own parser also takes "2026-1-1", "+10000-01-01" and
/// "-2026-01-01", which are no dates a person means.
pub fn parse_date(text: &str) -> Result<NaiveDate, String> {
    let bytes = text.as_bytes();
    let shaped = bytes.len() == 10
        && bytes
            .iter()
            .enumerate()
            .all(|(position, byte)| match position {
                4 | 7 => *byte == b'-',
                _ => byte.is_ascii_digit(),
            });
    if !shaped {
        return Err(format!("{} is not a date as YYYY-MM-DD", echo(text)));
    }
    let number = |digits: &[u8]| {
        digits
            .iter()
            .fold(0, |number, digit| number * 10 + u32::from(digit - b'0'))
    };
    let (year, month, day) = (
        number(&bytes[..4]),
        number(&bytes[5..7]),
        number(&bytes[8..]),
    );
    i32::try_from(year)
        .ok()
        .and_then(|year| NaiveDate::from_ymd_opt(year, month, day))
        .ok_or_else(|| format!("{} is not a day of the calendar", echo(text)))
}

/// Whether a number may be written with a leading "-".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sign {
    NonNegative,
    Signed,
}

/// A decimal number written as text, scaled by 10^`decimals` ("72.5" with two decimals is 7250):
/// a leading "-" only where `sign` allows it, 1 to [`MAX_WHOLE_DIGITS`] digits, and optionally a
/// "." followed by 1 to `decimals` digits. No spaces, no "+", no exponent, nothing before or after
/// the point left out ("72." and ".5" are refused). Text rather than a float, so that a number on a
/// bound is on it exactly.
pub fn parse_decimal(text: &str, decimals: usize, sign: Sign) -> Option<i64> {
    let (negative, unsigned) = match (text.strip_prefix('-'), sign) {
        (Some(rest), Sign::Signed) => (true, rest),
        (Some(_), Sign::NonNegative) => return None,
        (None, _) => (false, text),
    };
    let (whole, fraction) = match unsigned.split_once('.') {
        Some((whole, fraction)) if !fraction.is_empty() => (whole, fraction),
        Some(_) => return None,
        None => (unsigned, ""),
    };
    let digits = |text: &str| text.bytes().all(|byte| byte.is_ascii_digit());
    if whole.is_empty()
        || whole.len() > MAX_WHOLE_DIGITS
        || fraction.len() > decimals
        || !digits(whole)
        || !digits(fraction)
    {
        return None;
    }
    let mut scaled: i64 = 0;
    let fraction = fraction.bytes().chain(std::iter::repeat(b'0'));
    for digit in whole.bytes().chain(fraction.take(decimals)) {
        scaled = scaled
            .checked_mul(10)?
            .checked_add(i64::from(digit - b'0'))?;
    }
    Some(if negative { -scaled } else { scaled })
}

/// Whether `text` is a code: 1 to [`MAX_CODE_CHARS`] ASCII letters, digits, ".", "-" or "_". Every
/// code of the catalogue is one (organisations, periods, plans, targets, tasks, criteria, choices,
/// frameworks), so a text that is not can name nothing.
pub fn is_code(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= MAX_CODE_CHARS
        && text
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || matches!(byte, b'.' | b'-' | b'_'))
}

/// [`is_code`], with the rule said when it is not.
pub fn check_code(text: &str) -> Result<(), String> {
    if is_code(text) {
        return Ok(());
    }
    Err(format!(
        "{} is not a code: 1 to {MAX_CODE_CHARS} letters, digits, \".\", \"-\" or \"_\"",
        echo(text)
    ))
}

/// A link: an absolute http or https address with a host, without whitespace or control
/// characters anywhere. The URL standard's parser drops tabs and line breaks and trims spaces and
/// control characters, so "https://a.example/x\r\n" would parse; the text kept is the text sent,
/// so it is refused instead. Its length is [`super::limits::MAX_LINK_CHARS`]'s business.
pub fn check_link(text: &str) -> Result<(), String> {
    let refused = || {
        format!(
            "{} is not an absolute http or https address without spaces or control characters",
            echo(text)
        )
    };
    if text
        .chars()
        .any(|character| character.is_whitespace() || character.is_control())
    {
        return Err(refused());
    }
    let scheme = text.split_once("://").map(|(scheme, _)| scheme);
    if !scheme.is_some_and(|scheme| {
        scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https")
    }) {
        return Err(refused());
    }
    let sound = url::Url::parse(text).is_ok_and(|url| {
        matches!(url.scheme(), "http" | "https") && url.host_str().is_some_and(|h| !h.is_empty())
    });
    if sound { Ok(()) } else { Err(refused()) }
}

/// A request id as the client chose it, without surrounding whitespace: required, and at most
/// [`MAX_REQUEST_ID_CHARS`] characters (the database indexes it).
pub fn parse_request_id(text: &str) -> Result<&str, String> {
    let request_id = text.trim();
    if request_id.is_empty() {
        return Err(
            "required: a unique id per request, such as a UUID, so that a retry is recognised"
                .into(),
        );
    }
    if request_id.chars().count() > MAX_REQUEST_ID_CHARS {
        return Err(format!("at most {MAX_REQUEST_ID_CHARS} characters"));
    }
    Ok(request_id)
}

/// A field a request checks before anything is looked up.
#[derive(Debug, Clone, Copy)]
pub enum Field<'a> {
    /// A code that must be given.
    Code(&'a str),
    /// A code that may be left empty (a filter; the caller's own organisation).
    OptionalCode(&'a str),
    /// A request id ([`parse_request_id`]).
    RequestId(&'a str),
    /// Words that must be given (not only whitespace); their length is checked with the rest of
    /// what the request says.
    Text(&'a str),
}

/// Every violation of `fields` (name, field), in their order: what a request's first check
/// refuses, all at once.
pub fn check_fields(fields: &[(&str, Field<'_>)]) -> Vec<FieldViolation> {
    let mut violations = Violations::new();
    for (name, field) in fields {
        let checked = match *field {
            Field::Code("") | Field::Text("") => Err("required".to_string()),
            Field::OptionalCode("") => Ok(()),
            Field::Code(code) | Field::OptionalCode(code) => check_code(code),
            Field::RequestId(request_id) => parse_request_id(request_id).map(|_| ()),
            Field::Text(text) if text.trim().is_empty() => Err("required".to_string()),
            Field::Text(_) => Ok(()),
        };
        if let Err(description) = checked {
            violations.add(*name, description);
        }
    }
    violations.into_result(()).err().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn a_date_is_exactly_yyyy_mm_dd() {
        assert_eq!(
            parse_date("2026-01-01"),
            Ok(NaiveDate::from_ymd_opt(2026, 1, 1).unwrap())
        );
        assert_eq!(
            parse_date("0001-12-31"),
            Ok(NaiveDate::from_ymd_opt(1, 12, 31).unwrap())
        );
        assert_eq!(
            parse_date("2024-02-29"),
            Ok(NaiveDate::from_ymd_opt(2024, 2, 29).unwrap())
        );
        for refused in [
            "",
            "-2026-01-01",
            "+2026-01-01",
            "+10000-01-01",
            "10000-01-01",
            "2026-1-1",
            "2026-01-1",
            "26-01-01",
            " 2026-01-01",
            "2026-01-01 ",
            "2026-01-01\n",
            "2026/01/01",
            "2026-01-01T00:00:00",
            "20260101",
            "2026-13-01",
            "2026-00-10",
            "2026-02-29",
            "2026-04-31",
            "２０２６-01-01",
        ] {
            assert!(parse_date(refused).is_err(), "{refused:?} was taken");
        }
    }

    #[test]
    fn a_number_is_digits_and_at_most_its_decimals() {
        for (text, decimals, sign, scaled) in [
            ("72.5", 2, Sign::NonNegative, 7250),
            ("72.50", 2, Sign::NonNegative, 7250),
            ("0", 2, Sign::NonNegative, 0),
            ("007", 2, Sign::NonNegative, 700),
            ("0.25", 2, Sign::NonNegative, 25),
            ("-10", 2, Sign::Signed, -1000),
            ("-0.5", 2, Sign::Signed, -50),
            ("3", 0, Sign::NonNegative, 3),
            (
                "999999999999999.99",
                2,
                Sign::Signed,
                99_999_999_999_999_999,
            ),
        ] {
            assert_eq!(parse_decimal(text, decimals, sign), Some(scaled), "{text}");
        }
        for (text, decimals, sign) in [
            (" 72.5", 2, Sign::Signed),
            ("72.5 ", 2, Sign::Signed),
            ("+72.5", 2, Sign::Signed),
            ("-72.5", 2, Sign::NonNegative),
            ("72.", 2, Sign::Signed),
            (".5", 2, Sign::Signed),
            ("-", 2, Sign::Signed),
            ("--1", 2, Sign::Signed),
            ("", 2, Sign::Signed),
            ("1.234", 2, Sign::Signed),
            ("1.5", 0, Sign::Signed),
            ("1e3", 2, Sign::Signed),
            ("1,5", 2, Sign::Signed),
            ("1 000", 2, Sign::Signed),
            ("1.2.3", 2, Sign::Signed),
            ("٣", 2, Sign::Signed),
            ("1234567890123456", 2, Sign::Signed),
        ] {
            assert_eq!(parse_decimal(text, decimals, sign), None, "{text:?}");
        }
    }

    #[test]
    fn a_code_is_ascii_letters_digits_and_three_marks() {
        for code in ["bao-nam-dinh", "2025", "P2.C1.3", "III.2.a", "V2024", "a_b"] {
            assert!(check_code(code).is_ok(), "{code}");
        }
        let longest = "x".repeat(MAX_CODE_CHARS);
        assert!(is_code(&longest));
        for refused in [
            "",
            " bao-nam-dinh",
            "bao-nam-dinh ",
            "bao nam dinh",
            "bao-nam-dinh\n",
            "báo",
            "province:x",
            "a/b",
            &format!("{longest}x"),
        ] {
            assert!(check_code(refused).is_err(), "{refused:?} was taken");
        }
    }

    #[test]
    fn a_link_is_an_absolute_web_address_without_whitespace() {
        for link in [
            "https://example.org/a.pdf",
            "http://example.org",
            "HTTPS://example.org/x?y=1#z",
            "https://báo.vn/tài-liệu",
        ] {
            assert!(check_link(link).is_ok(), "{link}");
        }
        for refused in [
            "",
            "https://example.org/a\r\nb",
            "https://example.org/a\r\n",
            " https://example.org",
            "https://example.org/a b",
            "https://example.org/\ta",
            "https://example.org/\u{0}",
            "https://example.org/\u{a0}",
            "example.org/a.pdf",
            "https:example.org",
            "https:/example.org",
            "ftp://example.org/a",
            "mailto:a@example.org",
            "file:///etc/passwd",
            "https://",
        ] {
            assert!(check_link(refused).is_err(), "{refused:?} was taken");
        }
    }

    #[test]
    fn a_request_id_is_trimmed_required_and_bounded() {
        assert_eq!(parse_request_id(" abc "), Ok("abc"));
        assert!(parse_request_id("  ").is_err());
        assert!(parse_request_id(&"é".repeat(MAX_REQUEST_ID_CHARS)).is_ok());
        assert_eq!(
            parse_request_id(&"é".repeat(MAX_REQUEST_ID_CHARS + 1)),
            Err(format!("at most {MAX_REQUEST_ID_CHARS} characters"))
        );
    }

    #[test]
    fn fields_are_checked_all_at_once_in_order() {
        let violations = check_fields(&[
            ("request_id", Field::RequestId(&"x".repeat(900_000))),
            ("agency_code", Field::Code("")),
            ("period_code", Field::Code(" 2025")),
            ("province_code", Field::OptionalCode("")),
            ("plan_code", Field::OptionalCode("national")),
            ("reason", Field::Text("  ")),
        ]);
        let fields: Vec<&str> = violations.iter().map(|v| v.field.as_str()).collect();
        assert_eq!(
            fields,
            ["request_id", "agency_code", "period_code", "reason"]
        );
        assert!(violations.iter().all(|v| v.description.len() < 200));
    }

    proptest! {
        #[test]
        fn every_date_reads_back_as_written(days in 0i64..3_652_059) {
            let date = NaiveDate::from_ymd_opt(1, 1, 1).unwrap() + chrono::Days::new(days as u64);
            let written = date.format("%Y-%m-%d").to_string();
            prop_assert_eq!(parse_date(&written), Ok(date));
        }

        #[test]
        fn every_number_reads_back_as_written(scaled in -99_999_999_999_999_999i64..=99_999_999_999_999_999) {
            let magnitude = scaled.unsigned_abs();
            let sign = if scaled < 0 { "-" } else { "" };
            let written = format!("{sign}{}.{:02}", magnitude / 100, magnitude % 100);
            prop_assert_eq!(parse_decimal(&written, 2, Sign::Signed), Some(scaled));
            prop_assert_eq!(parse_decimal(&format!(" {written}"), 2, Sign::Signed), None);
        }

        #[test]
        fn a_code_never_holds_whitespace(text in "\\PC{0,80}") {
            if is_code(&text) {
                prop_assert!(!text.chars().any(char::is_whitespace));
                prop_assert!(text.chars().count() <= MAX_CODE_CHARS);
            }
        }
    }
}
