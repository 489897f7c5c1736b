//! The values the credentials repository (`store::credentials`) works with,
//! kept apart from it (see `store::values`).

use chrono::{DateTime, Utc};

use crate::domain::access::Role;

/// How a credential is presented.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialKind {
    /// `authorization: Bearer <token>`.
    Token,
    /// A TLS client certificate, by its SHA-256 fingerprint.
    Certificate,
}

impl CredentialKind {
    pub fn as_str(self) -> &'static str {
        match self {
            CredentialKind::Token => "token",
            CredentialKind::Certificate => "certificate",
        }
    }

    pub(in crate::store) fn parse(text: &str) -> Option<CredentialKind> {
        [CredentialKind::Token, CredentialKind::Certificate]
            .into_iter()
            .find(|kind| kind.as_str() == text)
    }
}

/// A credential to create.
#[derive(Debug, Clone)]
pub struct NewCredential {
    pub kind: CredentialKind,
    /// The SHA-256 of the token, or of the certificate's DER bytes (see
    /// [`secret_sha256`](crate::store::secret_sha256)).
    pub secret_sha256: String,
    pub role: Role,
    pub organization: Option<String>,
    pub label: String,
    pub expires_at: Option<DateTime<Utc>>,
}
