//! Administration: opening the database, the catalogue, credentials and the audit chain, for the
//! CLI and the server's start. An operator works on the database directly (whoever holds its file
//! or URL is the operator), so nothing here asks for a capability: these are the tools of the one
//! who runs pressdx, not of its callers.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::authentication::AuthenticationSettings;
use super::error::AppError;
use super::state::App;
use crate::domain::Catalog;
use crate::domain::access::Role;
use crate::store::Store;

// What the CLI prints and the server's start reports, in the store's own words: the errors of
// administration are the database's, shown to the operator as they are.
pub use crate::store::{
    AuditVerification, CatalogImport, CatalogSource, Commits, Credential, CredentialKind,
    ImportCounts, NewCredential, StoreError, describe_database, secret_sha256,
};

/// The database, as its operator works on it.
pub struct Admin {
    store: Store,
}

impl Admin {
    /// Connects to the database, creating and migrating it as needed: what a server (or the bench
    /// loading its own database) starts from.
    pub async fn connect(database_url: &str) -> Result<Admin, StoreError> {
        Ok(Admin {
            store: Store::connect(database_url).await?,
        })
    }

    /// Opens an existing database only, for an operator's command: a mistyped URL creates
    /// nothing.
    pub async fn open_existing(database_url: &str) -> Result<Admin, StoreError> {
        Ok(Admin {
            store: Store::open_existing(database_url).await?,
        })
    }

    /// The application serving this database.
    pub async fn app(&self, settings: AuthenticationSettings) -> Result<App, AppError> {
        App::new(self.store.clone(), settings).await
    }

    /// What this process knows of commits to the database: a store given it writes as this
    /// process's own writers do.
    pub fn commits(&self) -> Arc<Commits> {
        self.store.commits().clone()
    }

    /// Why the change feed disagrees with the stored submissions, if it does.
    pub async fn feed_disagreement(&self) -> Result<Option<String>, StoreError> {
        self.store.feed_disagreement().await
    }

    pub async fn catalog_is_empty(&self) -> Result<bool, StoreError> {
        self.store.catalog_is_empty().await
    }

    pub async fn load_catalog(&self) -> Result<Catalog, StoreError> {
        self.store.load_catalog().await
    }

    /// Applies a checked catalogue (or, with `dry_run`, says what it would change).
    pub async fn import_catalog(
        &self,
        catalog: &Catalog,
        source: &CatalogSource<'_>,
        dry_run: bool,
    ) -> Result<CatalogImport, StoreError> {
        self.store.apply_catalog(catalog, source, dry_run).await
    }

    /// Creates a bearer token, returned with its credential: this is the one chance to hand it
    /// over, since only its hash is kept.
    pub async fn create_token(
        &self,
        role: Role,
        organization: Option<String>,
        label: &str,
        expires_at: Option<DateTime<Utc>>,
        created_by: &str,
    ) -> Result<(String, Credential), StoreError> {
        self.store
            .create_token(role, organization, label, expires_at, created_by)
            .await
    }

    pub async fn create_credential(
        &self,
        new: &NewCredential,
        created_by: &str,
    ) -> Result<Credential, StoreError> {
        self.store.create_credential(new, created_by).await
    }

    pub async fn list_credentials(&self) -> Result<Vec<Credential>, StoreError> {
        self.store.list_credentials().await
    }

    /// Revokes a credential; `None` if there is no such credential.
    pub async fn revoke_credential(
        &self,
        id: i64,
        revoked_by: &str,
    ) -> Result<Option<Credential>, StoreError> {
        self.store.revoke_credential(id, revoked_by).await
    }

    /// Recomputes the audit chain and checks what it recorded against the data.
    pub async fn verify_audit(&self) -> Result<AuditVerification, StoreError> {
        self.store.verify_audit().await
    }

    /// Closes the database once nothing uses it any more.
    pub async fn close(self) -> Result<(), StoreError> {
        self.store.close().await
    }
}
