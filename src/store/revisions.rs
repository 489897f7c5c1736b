//! What the stores of revisioned records (annual reports, self-assessments, agency plans, task
//! progress reports) share: a submit either becomes the next revision, or finds its request id
//! taken before, by the same content (a retry, replayed) or by other content (refused). Writers queue for the write
//! lock before they read the latest revision (`Store::begin_write`), so two never pick the same
//! one; should an insert still collide on the unique index, it is CONTENTION, to retry.

use sea_orm::{DbErr, SqlErr};

use super::error::StoreError;

/// What became of a submit of a revisioned record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Revised<T> {
    /// Stored as the next revision.
    Stored(T),
    /// The request id was taken before by the same content: nothing new.
    Replayed(T),
    /// The request id was taken before by other content.
    RequestIdReused(T),
}

impl<T> Revised<T> {
    /// The outcome for a request id already taken by `taken`.
    pub fn taken(taken: T, same_content: bool) -> Revised<T> {
        if same_content {
            Revised::Replayed(taken)
        } else {
            Revised::RequestIdReused(taken)
        }
    }

    /// The record stored or replayed, and whether it was a replay; a request id reused by other
    /// content is `refused` (which names the record only to whoever may know it).
    pub fn stored_or<E>(self, refused: impl FnOnce(T) -> E) -> Result<(T, bool), E> {
        match self {
            Revised::Stored(stored) => Ok((stored, false)),
            Revised::Replayed(stored) => Ok((stored, true)),
            Revised::RequestIdReused(taken) => Err(refused(taken)),
        }
    }
}

/// An insert's error: CONTENTION when another process stored the same revision first (`what`
/// says of what), the database's error otherwise.
pub(super) fn lost_to_concurrent(error: DbErr, what: impl FnOnce() -> String) -> StoreError {
    if matches!(error.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) {
        StoreError::Contention(what())
    } else {
        error.into()
    }
}
