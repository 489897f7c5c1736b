//! `pressdx token create | list | revoke`: the operator's credential tools, working on the
//! database directly.

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;

use super::{CliResult, EXIT_REFUSED, operator};
use crate::app::admin::{Credential, CredentialKind, NewCredential, secret_sha256};
use crate::domain::access::{Role, check_role};
use crate::domain::period::vietnam_time;

/// What `pressdx token create` was asked for.
pub struct NewToken {
    pub role: Role,
    pub organization: Option<String>,
    pub expires: Option<String>,
    pub label: String,
    pub client_cert: Option<PathBuf>,
}

pub async fn create(new: NewToken, database_url: &str) -> CliResult {
    let expires_at = match new.expires.as_deref().map(parse_instant).transpose() {
        Ok(expires_at) => expires_at,
        Err(message) => {
            eprintln!("--expires: {message}");
            return Ok(ExitCode::from(EXIT_REFUSED));
        }
    };
    // Read before touching the database: a wrong path changes nothing.
    let certificate = match &new.client_cert {
        Some(path) => Some(
            CertificateDer::from_pem_file(path)
                .map_err(|error| format!("{}: not a PEM certificate: {error}", path.display()))?,
        ),
        None => None,
    };

    let store = super::open_database(database_url).await?;
    let catalog = store.load_catalog().await?;
    if let Err(message) = check_role(&catalog, new.role, new.organization.as_deref()) {
        eprintln!("refused: {message}");
        store.close().await?;
        return Ok(ExitCode::from(EXIT_REFUSED));
    }
    let (token, credential) = match certificate {
        Some(certificate) => {
            let registered = NewCredential {
                kind: CredentialKind::Certificate,
                secret_sha256: secret_sha256(certificate.as_ref()),
                role: new.role,
                organization: new.organization,
                label: new.label,
                expires_at,
            };
            (
                None,
                store.create_credential(&registered, &operator()).await?,
            )
        }
        None => {
            let (token, credential) = store
                .create_token(
                    new.role,
                    new.organization,
                    &new.label,
                    expires_at,
                    &operator(),
                )
                .await?;
            (Some(token), credential)
        }
    };
    // Shown before anything else can fail: the credential exists from here on.
    eprintln!("created {}", describe(&credential));
    match token {
        Some(token) => {
            eprintln!("the token follows; it is shown this once and kept only as a hash:");
            writeln!(io::stdout(), "{token}")?;
        }
        None => eprintln!("a client presenting that certificate over mutual TLS now acts as it"),
    }
    store.close().await?;
    Ok(ExitCode::SUCCESS)
}

pub async fn list(database_url: &str) -> CliResult {
    let store = super::open_database(database_url).await?;
    let credentials = store.list_credentials().await?;
    store.close().await?;
    let mut out = io::stdout().lock();
    if credentials.is_empty() {
        writeln!(
            out,
            "no credentials yet: create one with `pressdx token create --role ...`"
        )?;
    }
    for credential in &credentials {
        writeln!(out, "{}", describe(credential))?;
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn revoke(id: i64, database_url: &str) -> CliResult {
    let store = super::open_database(database_url).await?;
    let revoked = store.revoke_credential(id, &operator()).await?;
    store.close().await?;
    match revoked {
        Some(credential) => {
            writeln!(io::stdout(), "revoked {}", describe(&credential))?;
            Ok(ExitCode::SUCCESS)
        }
        None => {
            eprintln!("no credential {id}");
            Ok(ExitCode::from(EXIT_REFUSED))
        }
    }
}

/// One line: "credential 3: token, agency bao-nam-dinh, "CMS of Báo Nam Định", created ...,
/// expires ..., revoked ...".
fn describe(credential: &Credential) -> String {
    let local = |at: DateTime<Utc>| {
        at.with_timezone(&vietnam_time())
            .format("%Y-%m-%d %H:%M %:z")
            .to_string()
    };
    let mut line = format!(
        "credential {}: {}, {}",
        credential.id,
        credential.kind.as_str(),
        credential.role
    );
    if let Some(organization) = &credential.organization {
        line.push_str(&format!(" {organization}"));
    }
    if !credential.label.is_empty() {
        line.push_str(&format!(", {:?}", credential.label));
    }
    line.push_str(&format!(", created {}", local(credential.created_at)));
    match credential.expires_at {
        Some(at) => line.push_str(&format!(", expires {}", local(at))),
        None => line.push_str(", never expires"),
    }
    if let Some(at) = credential.revoked_at {
        line.push_str(&format!(", REVOKED {}", local(at)));
    }
    line
}

/// A duration given in days or hours ("7d", "12h"), from 1 to 36,500 of them.
pub(super) fn parse_duration(text: &str) -> Option<Duration> {
    let text = text.trim();
    let count = |digits: &str| {
        digits
            .parse::<i64>()
            .ok()
            .filter(|count| *count > 0 && *count <= 36_500)
    };
    if let Some(days) = text.strip_suffix('d') {
        return count(days).map(Duration::days);
    }
    text.strip_suffix('h').and_then(count).map(Duration::hours)
}

/// An instant given as a duration from now ("90d", "12h"), a date ("2027-01-01", the start of
/// that day in Vietnam) or an RFC 3339 instant: when a credential expires, until when a period is
/// reopened.
pub(super) fn parse_instant(text: &str) -> Result<DateTime<Utc>, String> {
    let text = text.trim();
    if let Some(duration) = parse_duration(text) {
        return Ok(Utc::now() + duration);
    }
    if let Ok(date) = text.parse::<NaiveDate>() {
        return date
            .and_hms_opt(0, 0, 0)
            .and_then(|midnight| midnight.and_local_timezone(vietnam_time()).single())
            .map(|at| at.with_timezone(&Utc))
            .ok_or_else(|| format!("{text:?} is not a day"));
    }
    DateTime::parse_from_rfc3339(text)
        .map(|at| at.with_timezone(&Utc))
        .map_err(|_| {
            format!("{text:?} is neither a duration (90d, 12h), a date (2027-01-01) nor an RFC 3339 instant")
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiry_reads_durations_dates_and_instants() {
        let in_90_days = parse_instant("90d").unwrap() - Utc::now();
        assert!(in_90_days > Duration::days(89) && in_90_days <= Duration::days(90));
        assert_eq!(
            parse_instant("2027-01-01").unwrap().to_rfc3339(),
            "2026-12-31T17:00:00+00:00"
        );
        assert_eq!(
            parse_instant("2027-01-01T08:00:00+07:00")
                .unwrap()
                .to_rfc3339(),
            "2027-01-01T01:00:00+00:00"
        );
        assert!(parse_instant("soon").is_err());
        assert!(parse_instant("0d").is_err());
        assert_eq!(parse_duration(" 7d"), Some(Duration::days(7)));
        assert_eq!(parse_duration("12h"), Some(Duration::hours(12)));
        assert_eq!(parse_duration("36501d"), None);
        assert_eq!(parse_duration("2027-01-01"), None);
    }
}
