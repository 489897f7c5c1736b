//! Credentials: bearer tokens and client certificates, each acting as one role for one
//! organisation. Only the SHA-256 of a secret is stored; a token is shown once, when created.
//! Creating or revoking one moves the counters' credential revision, so that every server sharing
//! the database reloads its credentials before its next request, and appends to the audit log.

use chrono::{DateTime, SecondsFormat, Utc};
use sea_orm::{
    ActiveModelBehavior, ActiveModelTrait, ConnectionTrait, DatabaseTransaction, EntityTrait,
    IntoActiveModel, QueryOrder,
};
use sha2::{Digest, Sha256};

use super::audit_chain::{self, AuditAction, AuditRecord};
use super::database::Store;
use super::entities::credential;
use super::error::StoreError;
use super::values::credentials::{CredentialKind, NewCredential};
use crate::domain::access::Role;

/// Every bearer token starts with this, so that secret scanners and people can tell one.
pub const TOKEN_PREFIX: &str = "pdx_";

/// A credential as listed: everything but its secret's hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credential {
    pub id: i64,
    pub kind: CredentialKind,
    pub role: Role,
    pub organization: Option<String>,
    pub label: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl Credential {
    /// Whether it may be used at `now`.
    pub fn is_usable_at(&self, now: DateTime<Utc>) -> bool {
        self.revoked_at.is_none() && self.expires_at.is_none_or(|expires_at| now < expires_at)
    }
}

/// A fresh bearer token: 256 random bits from the operating system, as hex after the prefix.
pub fn new_token() -> Result<String, StoreError> {
    let mut secret = [0_u8; 32];
    getrandom::fill(&mut secret).map_err(|error| {
        StoreError::Unavailable(format!("the system has no randomness to give: {error}"))
    })?;
    Ok(format!("{TOKEN_PREFIX}{}", hex::encode(secret)))
}

/// The hash a secret (a token's text, a certificate's DER bytes) is stored and looked up by.
pub fn secret_sha256(secret: &[u8]) -> String {
    hex::encode(Sha256::digest(secret))
}

impl Store {
    /// Stores a new credential and records who created it.
    pub async fn create_credential(
        &self,
        new: &NewCredential,
        created_by: &str,
    ) -> Result<Credential, StoreError> {
        let now = Utc::now();
        let transaction = self.begin_write().await?;
        let row = credential::ActiveModel {
            kind: sea_orm::Set(new.kind.as_str().to_string()),
            secret_sha256: sea_orm::Set(new.secret_sha256.clone()),
            role: sea_orm::Set(new.role.as_str().to_string()),
            organization_code: sea_orm::Set(new.organization.clone()),
            label: sea_orm::Set(new.label.clone()),
            created_at: sea_orm::Set(now),
            expires_at: sea_orm::Set(new.expires_at),
            revoked_at: sea_orm::Set(None),
            ..credential::ActiveModel::new()
        }
        .insert(&transaction)
        .await?;
        let created = from_row(row)?;
        let record = audit_record(
            &created,
            &new.secret_sha256,
            AuditAction::CredentialCreated,
            created_by,
        );
        audit_chain::append(&transaction, &[record], now).await?;
        bump_credential_revision(&transaction).await?;
        transaction.commit().await?;
        self.commits.changed();
        Ok(created)
    }

    /// Creates a bearer token acting as `role` for `organization`, and returns the token with its
    /// credential: the token itself is kept nowhere, so this is the one chance to hand it over.
    pub async fn create_token(
        &self,
        role: Role,
        organization: Option<String>,
        label: &str,
        expires_at: Option<DateTime<Utc>>,
        created_by: &str,
    ) -> Result<(String, Credential), StoreError> {
        let token = new_token()?;
        let new = NewCredential {
            kind: CredentialKind::Token,
            secret_sha256: secret_sha256(token.as_bytes()),
            role,
            organization,
            label: label.to_string(),
            expires_at,
        };
        let credential = self.create_credential(&new, created_by).await?;
        Ok((token, credential))
    }

    /// Every credential ever created, oldest first.
    pub async fn list_credentials(&self) -> Result<Vec<Credential>, StoreError> {
        credential::Entity::find()
            .order_by_asc(credential::Column::Id)
            .all(&self.db)
            .await?
            .into_iter()
            .map(from_row)
            .collect()
    }

    /// Every credential, revoked ones too (so that a caller can be told theirs was revoked), by
    /// the SHA-256 of its secret.
    pub async fn credentials_by_secret(&self) -> Result<Vec<(String, Credential)>, StoreError> {
        credential_rows(&self.db).await
    }

    /// Revokes a credential at once, for every server sharing the database. `None` if there is no
    /// such credential; one already revoked stays as it was.
    pub async fn revoke_credential(
        &self,
        id: i64,
        revoked_by: &str,
    ) -> Result<Option<Credential>, StoreError> {
        let now = Utc::now();
        let transaction = self.begin_write().await?;
        let Some(row) = credential::Entity::find_by_id(id).one(&transaction).await? else {
            return Ok(None);
        };
        if row.revoked_at.is_some() {
            return from_row(row).map(Some);
        }
        let secret_hash = row.secret_sha256.clone();
        let mut revoked = row.into_active_model();
        revoked.revoked_at = sea_orm::Set(Some(now));
        let revoked = from_row(revoked.update(&transaction).await?)?;
        let record = audit_record(
            &revoked,
            &secret_hash,
            AuditAction::CredentialRevoked,
            revoked_by,
        );
        audit_chain::append(&transaction, &[record], now).await?;
        bump_credential_revision(&transaction).await?;
        transaction.commit().await?;
        self.commits.changed();
        Ok(Some(revoked))
    }
}

/// A credential's audit entry: its content hash covers what the credential grants and the hash its
/// secret is known by (never the secret), so that `audit verify` can tell an altered or forged
/// credential row.
pub(super) fn audit_record(
    credential: &Credential,
    secret_hash: &str,
    action: AuditAction,
    by: &str,
) -> AuditRecord {
    let at =
        |at: Option<DateTime<Utc>>| at.map(|at| at.to_rfc3339_opts(SecondsFormat::Micros, true));
    let grants = serde_json::json!([
        credential.id,
        credential.kind.as_str(),
        secret_hash,
        credential.role.as_str(),
        credential.organization,
        credential.label,
        at(Some(credential.created_at)),
        at(credential.expires_at),
        at(credential.revoked_at),
    ]);
    AuditRecord {
        principal: by.to_string(),
        action,
        subject: credential_subject(credential.id),
        request_id: String::new(),
        content_hash: format!("sha256:{}", secret_sha256(grants.to_string().as_bytes())),
    }
}

/// The subject a credential's entries name.
pub(super) fn credential_subject(id: i64) -> String {
    format!("credential {id}")
}

/// Every credential row, with its secret's hash, for `audit verify`.
pub(super) async fn credential_rows(
    db: &impl ConnectionTrait,
) -> Result<Vec<(String, Credential)>, StoreError> {
    credential::Entity::find()
        .order_by_asc(credential::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|row| {
            let hash = row.secret_sha256.clone();
            from_row(row).map(|credential| (hash, credential))
        })
        .collect()
}

async fn bump_credential_revision(transaction: &DatabaseTransaction) -> Result<(), StoreError> {
    transaction
        .execute_unprepared(
            "UPDATE counters SET credential_revision = credential_revision + 1 WHERE id = 1",
        )
        .await?;
    Ok(())
}

fn from_row(row: credential::Model) -> Result<Credential, StoreError> {
    let corrupt = |what: &str, value: &str| {
        StoreError::Corrupt(format!("credential {}: {what} {value:?}", row.id))
    };
    Ok(Credential {
        id: row.id,
        kind: CredentialKind::parse(&row.kind).ok_or_else(|| corrupt("kind", &row.kind))?,
        role: Role::parse(&row.role).ok_or_else(|| corrupt("role", &row.role))?,
        organization: row.organization_code.clone(),
        label: row.label.clone(),
        created_at: row.created_at,
        expires_at: row.expires_at,
        revoked_at: row.revoked_at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_carry_256_random_bits_and_are_never_the_same() {
        let (first, second) = (new_token().unwrap(), new_token().unwrap());
        assert_ne!(first, second);
        assert!(first.starts_with(TOKEN_PREFIX));
        assert_eq!(first.len(), TOKEN_PREFIX.len() + 64);
        assert_eq!(secret_sha256(first.as_bytes()).len(), 64);
    }
}
