//! The database a [`Store`] holds: connecting to it (an embedded SQLite file, or PostgreSQL shared
//! by several pressdx processes), naming it for a person, and the transactions every repository
//! begins. Bringing its schema up to date is `store::open`'s.

use std::sync::Arc;
use std::time::Duration;

use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    AccessMode, ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction,
    DbBackend, DbErr, IsolationLevel, SqliteTransactionMode, TransactionOptions, TransactionTrait,
};
use tokio::task::JoinHandle;

use super::availability::Availability;
use super::commits::Commits;
use super::error::StoreError;

/// The database URL used when none is given: a SQLite file in the working directory, created if
/// missing.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://pressdx.db?mode=rwc";

/// The repository: every query and write pressdx makes.
#[derive(Clone, Debug)]
pub struct Store {
    pub(super) db: DatabaseConnection,
    pub(super) database_url: Arc<str>,
    /// Moved by every write of this process that changes the counters, and by what the
    /// listener hears of other processes' (see [`Store::listen_for_commits`]).
    pub(super) commits: Arc<Commits>,
    /// Whether the database answers (see [`Store::watch_availability`]).
    pub(super) availability: Arc<Availability>,
}

/// How long connecting to the database, or waiting for a free connection, may take before the
/// database counts as unreachable: a request then answers UNAVAILABLE instead of hanging, and a
/// server that cannot reach its database says so at start.
const DATABASE_WAIT: Duration = Duration::from_secs(5);

/// The database a URL names, for a person: a SQLite file's absolute path, or the URL with its
/// password hidden.
pub fn describe_database(database_url: &str) -> String {
    match sqlite_path(database_url) {
        Some(path) => std::path::absolute(&path)
            .unwrap_or(path)
            .display()
            .to_string(),
        None => redact_password(database_url),
    }
}

/// `postgres://user:secret@host/db` -> `postgres://user:***@host/db`, whatever characters the
/// password holds.
pub fn redact_password(database_url: &str) -> String {
    match url::Url::parse(database_url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            // Only a URL that cannot have a password refuses one.
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        Ok(_) => database_url.to_string(),
        // Not a URL we can read: hide everything between the scheme and the last '@'.
        Err(_) => match (
            database_url.split_once("://"),
            database_url.rsplit_once('@'),
        ) {
            (Some((scheme, _)), Some((_, host))) => format!("{scheme}://***@{host}"),
            _ => database_url.to_string(),
        },
    }
}

/// Why a PostgreSQL server refuses a connection ("connection refused", "password
/// authentication failed"...), found by connecting once directly: the pool only says it timed
/// out. `None` for another backend, or when the direct attempt says nothing more.
async fn why_postgres_refuses(database_url: &str) -> Option<String> {
    use sea_orm::sqlx::Connection;
    if !database_url.starts_with("postgres") {
        return None;
    }
    let attempt = sea_orm::sqlx::PgConnection::connect(database_url);
    match tokio::time::timeout(DATABASE_WAIT, attempt).await {
        Ok(Err(error)) => Some(error.to_string()),
        Ok(Ok(_)) | Err(_) => None,
    }
}

/// The file a sqlite:// URL names, if it is one (and not an in-memory database).
pub(super) fn sqlite_path(database_url: &str) -> Option<std::path::PathBuf> {
    let rest = database_url.strip_prefix("sqlite://")?;
    let path = rest.split('?').next().unwrap_or(rest);
    (!path.is_empty() && path != ":memory:").then(|| std::path::PathBuf::from(path))
}

impl Store {
    /// Connects, without touching the schema. A database that cannot be reached within
    /// [`DATABASE_WAIT`] is an error that names it.
    pub(super) async fn connect_only(database_url: &str) -> Result<Store, StoreError> {
        let mut options = ConnectOptions::new(database_url);
        options
            .sqlx_logging(false)
            .connect_timeout(DATABASE_WAIT)
            .acquire_timeout(DATABASE_WAIT)
            // Durability first: every acknowledged submission is on disk. WAL lets readers go on
            // while one writer commits; a writer waits its turn rather than failing.
            .map_sqlx_sqlite_opts(|sqlite| {
                sqlite
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Full)
                    .busy_timeout(Duration::from_secs(30))
                    .foreign_keys(true)
            });
        let unreachable = |cause: String| {
            StoreError::Unreachable(format!(
                "cannot reach the database at {}: {cause}",
                describe_database(database_url)
            ))
        };
        let db = match tokio::time::timeout(DATABASE_WAIT * 2, Database::connect(options)).await {
            Ok(Ok(db)) => db,
            Ok(Err(error)) => {
                return Err(unreachable(
                    why_postgres_refuses(database_url)
                        .await
                        .unwrap_or_else(|| error.to_string()),
                ));
            }
            Err(_) => {
                return Err(unreachable(format!(
                    "no answer within {} s",
                    (DATABASE_WAIT * 2).as_secs()
                )));
            }
        };
        Ok(Store {
            db,
            database_url: database_url.into(),
            commits: Arc::default(),
            availability: Arc::default(),
        })
    }

    /// What this process knows of commits to the counters.
    pub fn commits(&self) -> &Arc<Commits> {
        &self.commits
    }

    /// This store, telling `commits` (a server's, [`crate::server::Server::commits`]) of its
    /// commits as that server's own would: for a program that writes beside a server it runs in
    /// the same process, whose reads then include those writes at once.
    pub fn with_commits(mut self, commits: Arc<Commits>) -> Store {
        self.commits = commits;
        self
    }

    /// Hears of other processes' commits until the returned task is aborted; until it runs,
    /// readers ask the database every time (see `store::commits`).
    pub fn listen_for_commits(&self) -> JoinHandle<()> {
        self.commits.spawn_listener(&self.database_url)
    }

    /// Pings the database until the returned task is aborted (PostgreSQL only: `None` for SQLite),
    /// so that [`Store::database_down`] says whether it answers.
    pub fn watch_availability(&self) -> Option<JoinHandle<()>> {
        self.database_url.starts_with("postgres").then(|| {
            self.availability
                .spawn_heartbeat(&self.database_url, self.commits.clone())
        })
    }

    /// Whether the database failed to answer its last heartbeat: nothing it would answer can be
    /// relied on now.
    pub fn database_down(&self) -> bool {
        self.availability.is_down()
    }

    /// Completes when the database is found down (at once if it is).
    pub async fn database_went_down(&self) {
        self.availability.went_down().await;
    }

    /// Begins a write transaction, holding the database's one write lock from its first
    /// statement: on SQLite the file's (BEGIN IMMEDIATE, so that two writers queue instead of
    /// deadlocking when both upgrade from reading), on PostgreSQL the counters row's, which every
    /// write takes anyway to extend the audit chain. Writers of every process so queue before
    /// they read what they build on (the latest revision, a request id), and never collide on it
    /// at the insert: this is the one write path of every record.
    pub(super) async fn begin_write(&self) -> Result<DatabaseTransaction, DbErr> {
        let transaction = self
            .db
            .begin_with_options(TransactionOptions {
                sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
                ..TransactionOptions::default()
            })
            .await?;
        if transaction.get_database_backend() == DbBackend::Postgres {
            transaction
                .execute_unprepared("SELECT id FROM counters WHERE id = 1 FOR UPDATE")
                .await?;
        }
        Ok(transaction)
    }

    /// Begins a read-only transaction in which every statement sees the same snapshot of the
    /// database.
    pub(super) async fn begin_snapshot(&self) -> Result<DatabaseTransaction, DbErr> {
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
pub(super) fn numbered_placeholders(backend: sea_orm::DatabaseBackend, sql: &str) -> String {
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
