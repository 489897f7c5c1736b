//! The one error every store call returns, and whether it says the database cannot be reached.

use sea_orm::{DbErr, RuntimeErr};

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
    /// The database cannot be reached (at connection time).
    #[error("{0}")]
    Unreachable(String),
    /// The database reached is not one pressdx has set up.
    #[error("{0}")]
    NotSetUp(String),
    /// A catalogue import that would leave the catalogue wrong: nothing of it was applied.
    #[error("{0}")]
    ImportRefused(String),
    /// The database disagrees with itself (a row edited behind pressdx's back): retrying will
    /// not help; an operator must repair it (`pressdx audit verify` names what changed).
    #[error("the database is inconsistent: {0}")]
    Inconsistent(String),
}

impl StoreError {
    /// Whether this says the database cannot be reached (now, or at its last heartbeat: down,
    /// restarting, the connection dropped or the pool exhausted), rather than a statement that
    /// failed.
    pub fn is_unreachable(&self) -> bool {
        match self {
            StoreError::Unreachable(_) => true,
            StoreError::Database(database_error) => database_unreachable(database_error),
            _ => false,
        }
    }
}

fn database_unreachable(error: &DbErr) -> bool {
    use sea_orm::sqlx;
    let sqlx_error = match error {
        // Opening a connection failed, or none was free in time.
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => return true,
        DbErr::Exec(RuntimeErr::SqlxError(error)) | DbErr::Query(RuntimeErr::SqlxError(error)) => {
            error
        }
        _ => return false,
    };
    match sqlx_error.as_ref() {
        sqlx::Error::Io(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed
        | sqlx::Error::Tls(_) => true,
        // PostgreSQL's connection exceptions (08...), and "the server is shutting down or starting
        // up" (57P01-57P03).
        sqlx::Error::Database(database) => database
            .code()
            .is_some_and(|code| code.starts_with("08") || code.starts_with("57P")),
        _ => false,
    }
}
