//! Page sizes and page tokens (https://google.aip.dev/158). A token names the last item of the
//! page it ends and the filters it was made under, so that changing filters mid-way is refused
//! instead of silently skipping or repeating items; it is signed with a key the database holds, so
//! it is opaque to clients and one made up or altered is refused.

use std::sync::Arc;

use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::error::AppError;

/// Every list's page size when the request leaves it unset.
pub const DEFAULT_PAGE_SIZE: u64 = 100;
/// The most any list returns in one page.
pub const MAX_PAGE_SIZE: u64 = 1000;

/// How many bytes of the signature a token carries: enough that a forged one is never accepted.
const SIGNATURE_BYTES: usize = 16;
/// The longest token read: a forged one is not decoded at length.
const MAX_TOKEN_CHARS: usize = 4096;

/// Resolves a requested page size: 0 means the default, more than the maximum is the maximum.
pub fn page_size(requested: i32) -> Result<u64, AppError> {
    match u64::try_from(requested) {
        Err(_) => Err(AppError::invalid_argument(
            "page_size",
            "must not be negative",
        )),
        Ok(0) => Ok(DEFAULT_PAGE_SIZE),
        Ok(size) => Ok(size.min(MAX_PAGE_SIZE)),
    }
}

/// Makes and reads page tokens with the database's key.
#[derive(Clone)]
pub struct PageTokens {
    key: Arc<[u8]>,
}

impl PageTokens {
    pub fn new(key: &[u8]) -> PageTokens {
        PageTokens { key: key.into() }
    }

    fn signature(&self, payload: &[u8]) -> Hmac<Sha256> {
        // HMAC takes a key of any length.
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key)
            .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
        mac.update(b"pressdx page token v1\n");
        mac.update(payload);
        mac
    }

    /// The token for the page after the one ending at `last_key`.
    pub fn next(&self, last_key: &str, filters: &str) -> String {
        let payload = format!("{filters}\n{last_key}");
        let signature = self.signature(payload.as_bytes()).finalize().into_bytes();
        format!(
            "{}.{}",
            hex::encode(payload.as_bytes()),
            hex::encode(&signature[..SIGNATURE_BYTES])
        )
    }

    /// The key a page token resumes after; `None` for the first page.
    pub fn resume_after(&self, token: &str, filters: &str) -> Result<Option<String>, AppError> {
        if token.is_empty() {
            return Ok(None);
        }
        let invalid = || AppError::invalid_argument("page_token", "not a token this list gave out");
        if token.len() > MAX_TOKEN_CHARS {
            return Err(invalid());
        }
        let (payload, signature) = token.split_once('.').ok_or_else(invalid)?;
        let (payload, signature) = (
            hex::decode(payload).map_err(|_| invalid())?,
            hex::decode(signature).map_err(|_| invalid())?,
        );
        // The whole signature, compared in constant time: a shorter one would let a forger try
        // a few hundred guesses of one byte instead of 2^128 of sixteen.
        if signature.len() != SIGNATURE_BYTES {
            return Err(invalid());
        }
        self.signature(&payload)
            .verify_truncated_left(&signature)
            .map_err(|_| invalid())?;
        let text = String::from_utf8(payload).map_err(|_| invalid())?;
        let (token_filters, last_key) = text.split_once('\n').ok_or_else(invalid)?;
        if token_filters != filters {
            return Err(AppError::invalid_argument(
                "page_token",
                "the token was made for other filters: repeat the request with the same filters",
            ));
        }
        Ok(Some(last_key.to_string()))
    }
}

/// One page of `items`, in their listing order, after the item whose key a page token named
/// (`after`): the page, and the key to resume after if more follow. A key no longer in the list
/// (the list changed between pages) is refused rather than guessed at.
pub fn page_after<'a, T>(
    items: &'a [T],
    key: impl Fn(&T) -> &str,
    after: Option<&str>,
    size: u64,
) -> Result<(&'a [T], Option<&'a str>), AppError> {
    let start = match after {
        None => 0,
        Some(after) => {
            items
                .iter()
                .position(|item| key(item) == after)
                .ok_or_else(|| {
                    AppError::invalid_argument(
                        "page_token",
                        "the list changed since the token was made: start again without one",
                    )
                })?
                + 1
        }
    };
    let end = items.len().min(start.saturating_add(size as usize));
    let page = &items[start..end];
    let resume = (end < items.len()).then(|| page.last().map(key)).flatten();
    Ok((page, resume))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_resumes_after_its_key_under_the_same_filters_only() {
        let tokens = PageTokens::new(b"key");
        let token = tokens.next("42", "agency=a;period=");
        assert_eq!(
            tokens.resume_after(&token, "agency=a;period=").unwrap(),
            Some("42".into())
        );
        assert!(tokens.resume_after(&token, "agency=b;period=").is_err());
        assert!(tokens.resume_after("zz", "agency=a;period=").is_err());
        assert!(tokens.resume_after("é", "").is_err());
        assert_eq!(tokens.resume_after("", "anything").unwrap(), None);
    }

    #[test]
    fn a_forged_or_altered_token_is_refused() {
        let tokens = PageTokens::new(b"key");
        let token = tokens.next("42", "f");
        // The old plain-hex form, a payload changed under its signature, another key's token.
        let plain = hex::encode(b"f\n99");
        let (_, signature) = token.split_once('.').unwrap();
        let altered = format!("{plain}.{signature}");
        let other_key = PageTokens::new(b"another").next("42", "f");
        for forged in [plain, altered, other_key] {
            assert!(tokens.resume_after(&forged, "f").is_err(), "{forged}");
        }
    }

    #[test]
    fn a_signature_cut_short_or_lengthened_is_refused() {
        let tokens = PageTokens::new(b"key");
        let token = tokens.next("42", "f");
        let (payload, signature) = token.split_once('.').unwrap();
        // Every prefix of the true signature, down to none at all, and the signature with a
        // byte more: only the whole signature is a signature.
        for cut in (0..signature.len()).step_by(2) {
            let shortened = format!("{payload}.{}", &signature[..cut]);
            assert!(tokens.resume_after(&shortened, "f").is_err(), "{shortened}");
        }
        let lengthened = format!("{token}00");
        assert!(tokens.resume_after(&lengthened, "f").is_err());
        assert!(tokens.resume_after(&token, "f").is_ok());
    }

    #[test]
    fn pages_follow_the_listing_order_and_resume_after_a_key() {
        let items: Vec<String> = ["c", "a", "b", "d", "e"].map(String::from).to_vec();
        let page = |after: Option<&str>| {
            page_after(&items, |item| item.as_str(), after, 2)
                .map(|(page, resume)| (page.to_vec(), resume.map(str::to_string)))
        };
        assert_eq!(page(None).unwrap(), (items[..2].to_vec(), Some("a".into())));
        assert_eq!(
            page(Some("a")).unwrap(),
            (items[2..4].to_vec(), Some("d".into()))
        );
        assert_eq!(page(Some("d")).unwrap(), (items[4..].to_vec(), None));
        assert!(page(Some("gone")).is_err());
    }

    #[test]
    fn page_sizes_default_and_cap() {
        assert_eq!(page_size(0).unwrap(), DEFAULT_PAGE_SIZE);
        assert_eq!(page_size(5000).unwrap(), MAX_PAGE_SIZE);
        assert!(page_size(-1).is_err());
    }
}
