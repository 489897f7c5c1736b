//! Storage: the database (an embedded SQLite file, or PostgreSQL shared by several pressdx
//! processes), its migrations, and the repository the services call. Every write is one
//! transaction.

mod audit;
mod catalog;
mod credentials;
mod entities;
mod migration;
mod read_model;
mod submissions;
mod summaries;
mod writer;

use std::time::Duration;

use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    AccessMode, ConnectOptions, Database, DatabaseConnection, DatabaseTransaction, DbBackend,
    DbErr, IsolationLevel, SqliteTransactionMode, TransactionOptions, TransactionTrait,
};
use sea_orm_migration::MigratorTrait;

pub use audit::{AuditProblem, AuditVerification};
pub use catalog::{CatalogImport, CatalogSource, ImportCounts};
pub use credentials::{
    Credential, CredentialKind, NewCredential, TOKEN_PREFIX, new_token, secret_sha256,
};
pub use read_model::{ReadModel, ReadView};
pub use submissions::{
    ListSubmissionsQuery, MAX_PAGE_SIZE, StoredSubmission, SubmissionPage, SubmitOutcome,
};
pub use summaries::{Change, Counters};
pub use writer::SubmissionWriter;

/// The database URL used when none is given: a SQLite file in the working directory, created if
/// missing.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://pressdx.db?mode=rwc";

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Database(#[from] DbErr),
    /// A stored value that the code cannot read back: a bug or a hand-edited row.
    #[error("stored data cannot be read: {0}")]
    Corrupt(String),
    /// Too many concurrent writers competed for the same row; the caller may retry.
    #[error("too much contention: {0}")]
    Contention(String),
    /// The server is shutting down.
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// The database disagrees with itself (a row edited behind pressdx's back): retrying will
    /// not help; an operator must repair it (`pressdx audit verify` names what changed).
    #[error("the database is inconsistent: {0}")]
    Inconsistent(String),
}

/// The repository: every query and write pressdx makes.
#[derive(Clone, Debug)]
pub struct Store {
    db: DatabaseConnection,
}

impl Store {
    /// Connects to `database_url` (sqlite:// or postgres://) and brings its schema up to date.
    pub async fn connect(database_url: &str) -> Result<Store, StoreError> {
        let mut options = ConnectOptions::new(database_url);
        options
            .sqlx_logging(false)
            .connect_timeout(Duration::from_secs(10))
            .acquire_timeout(Duration::from_secs(30))
            // Durability first: every acknowledged submission is on disk. WAL lets readers go on
            // while one writer commits; a writer waits its turn rather than failing.
            .map_sqlx_sqlite_opts(|sqlite| {
                sqlite
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Full)
                    .busy_timeout(Duration::from_secs(30))
                    .foreign_keys(true)
            });
        let db = Database::connect(options).await?;
        migration::Migrator::up(&db, None).await?;
        Ok(Store { db })
    }

    /// Begins a write transaction. On SQLite it takes the write lock at once (BEGIN IMMEDIATE), so
    /// that two writers queue instead of deadlocking when both upgrade from reading.
    async fn begin_write(&self) -> Result<DatabaseTransaction, DbErr> {
        self.db
            .begin_with_options(TransactionOptions {
                sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
                ..TransactionOptions::default()
            })
            .await
    }

    /// Begins a read-only transaction in which every statement sees the same snapshot of the
    /// database.
    async fn begin_snapshot(&self) -> Result<DatabaseTransaction, DbErr> {
        match self.db.get_database_backend() {
            // Repeatable read makes every statement see the same snapshot.
            DbBackend::Postgres => {
                self.db
                    .begin_with_config(
                        Some(IsolationLevel::RepeatableRead),
                        Some(AccessMode::ReadOnly),
                    )
                    .await
            }
            // A SQLite read transaction in WAL mode is a snapshot from its first read on.
            _ => self.db.begin().await,
        }
    }

    /// Closes the pool, waiting for connections in use to be returned.
    pub async fn close(self) -> Result<(), StoreError> {
        self.db.close().await?;
        Ok(())
    }
}

/// `sql` with its `?` placeholders numbered as PostgreSQL wants them ($1, $2, ...).
fn numbered_placeholders(backend: sea_orm::DatabaseBackend, sql: &str) -> String {
    if backend != sea_orm::DatabaseBackend::Postgres {
        return sql.to_string();
    }
    let mut numbered = String::with_capacity(sql.len() + 8);
    let mut number = 0;
    for character in sql.chars() {
        if character == '?' {
            number += 1;
            numbered.push_str(&format!("${number}"));
        } else {
            numbered.push(character);
        }
    }
    numbered
}
