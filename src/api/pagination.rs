//! Page sizes and page tokens (https://google.aip.dev/158). A token names the last item of the
//! page it ends and the filters it was made under, so that changing filters mid-way is refused
//! instead of silently skipping or repeating items.

use super::error::ApiError;

/// Resolves a requested page size: 0 means the default, more than the maximum is the maximum.
pub fn page_size(requested: i32, default: u64, max: u64) -> Result<u64, ApiError> {
    match u64::try_from(requested) {
        Err(_) => Err(ApiError::invalid_argument(
            "page_size",
            "must not be negative",
        )),
        Ok(0) => Ok(default),
        Ok(size) => Ok(size.min(max)),
    }
}

/// Makes the token for the page after the one ending at `last_key`.
pub fn next_page_token(last_key: &str, filters: &str) -> String {
    hex_encode(format!("{filters}\n{last_key}").as_bytes())
}

/// Reads a page token back into the key it resumes after; `None` for the first page.
pub fn resume_after(token: &str, filters: &str) -> Result<Option<String>, ApiError> {
    if token.is_empty() {
        return Ok(None);
    }
    let invalid = || ApiError::invalid_argument("page_token", "not a token this list gave out");
    let text = hex_decode(token)
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .ok_or_else(invalid)?;
    let (token_filters, last_key) = text.split_once('\n').ok_or_else(invalid)?;
    if token_filters != filters {
        return Err(ApiError::invalid_argument(
            "page_token",
            "the token was made for other filters: repeat the request with the same filters",
        ));
    }
    Ok(Some(last_key.to_string()))
}

fn hex_encode(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

fn hex_decode(text: &str) -> Option<Vec<u8>> {
    if text.len() % 2 != 0 || text.len() > 4096 {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|start| u8::from_str_radix(text.get(start..start + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_resumes_after_its_key_under_the_same_filters_only() {
        let token = next_page_token("42", "agency=a;period=");
        assert_eq!(
            resume_after(&token, "agency=a;period=").unwrap(),
            Some("42".into())
        );
        assert!(resume_after(&token, "agency=b;period=").is_err());
        assert!(resume_after("zz", "agency=a;period=").is_err());
        assert!(resume_after("é", "").is_err());
        assert_eq!(resume_after("", "anything").unwrap(), None);
    }

    #[test]
    fn page_sizes_default_and_cap() {
        assert_eq!(page_size(0, 50, 1000).unwrap(), 50);
        assert_eq!(page_size(5000, 50, 1000).unwrap(), 1000);
        assert!(page_size(-1, 50, 1000).is_err());
    }
}
