//! What this process knows of commits to the database: enough for a reader to tell, without
//! asking the database, that its copy of the counters (change feed head, catalogue and credential
//! revisions) may be behind.
//!
//! A *generation* moves whenever this process may have missed a change to the counters:
//! - after every write this process commits (before the writer answers its caller, so that a
//!   read following a receipt from this server includes what the receipt names);
//! - on PostgreSQL, whenever the database notifies channel [`COUNTERS_CHANNEL`] (a trigger on the
//!   counters row notifies at the commit of every transaction that moves them, whichever process
//!   made it: another server, or an operator's `pressdx token` or `pressdx catalog` command);
//! - on SQLite, which has no notifications and whose other writers are the operator's commands,
//!   every [`SQLITE_LOOK_INTERVAL`].
//!
//! A reader that finds the generation where it was when the counters were last read needs no
//! query. And the submissions this process commits are kept here for a while, reports and all
//! ([`Commits::committed_here`]), so that the read model applies them without reading them back
//! from the database: only another process's submissions cost a query. While the process is not sure to hear of other processes' commits (before the listener
//! runs, or while its connection is lost), [`Commits::listening`] is false and readers ask the
//! database every time, as they would without any of this.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use sea_orm::sqlx::postgres::PgListener;
use tokio::task::JoinHandle;
use tracing::{info, warn};

use super::summaries::Change;
use crate::domain::report::AnnualReport;

/// The PostgreSQL channel the counters trigger notifies (see the `NotifyCounterChanges`
/// migration).
pub const COUNTERS_CHANNEL: &str = "pressdx_counters";

/// How often a server on SQLite assumes another process may have committed: the longest a
/// credential revoked, or a catalogue imported, by an operator's command goes unseen.
pub const SQLITE_LOOK_INTERVAL: Duration = Duration::from_millis(20);

/// How long the PostgreSQL listener waits before connecting again after losing its connection.
const RECONNECT_DELAY: Duration = Duration::from_secs(1);

/// How many of the submissions this process committed are kept for the read model until it
/// applies them: a few seconds of the busiest writing. Older ones are read back from the database,
/// as another process's are.
const COMMITTED_HERE_KEPT: usize = 4096;

#[derive(Debug, Default)]
pub struct Commits {
    generation: AtomicU64,
    listening: AtomicBool,
    /// The submissions this process committed and the read model has not applied yet, by feed
    /// position.
    committed_here: Mutex<BTreeMap<i64, (Change, AnnualReport)>>,
}

impl Commits {
    /// Moves at every commit this process makes or hears of.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    /// Records that the counters may have moved.
    pub fn changed(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
    }

    /// Keeps the submissions a commit of this process just stored, for the read model. Called
    /// before [`Commits::changed`], so that a reader that learns of the commit finds them here.
    pub(super) fn keep_committed(&self, stored: impl IntoIterator<Item = (Change, AnnualReport)>) {
        let mut kept = self.committed_kept();
        for (change, report) in stored {
            kept.insert(change.position, (change, report));
        }
        while kept.len() > COMMITTED_HERE_KEPT {
            kept.pop_first();
        }
    }

    /// The submissions this process committed right after feed position `position`, in feed
    /// order and without a gap, taken out of the keeping; those at or before `position` are
    /// dropped (already applied). Stops at the first position another process committed, or
    /// one no longer kept.
    pub fn committed_here(&self, position: i64) -> Vec<(Change, AnnualReport)> {
        let mut kept = self.committed_kept();
        let mut later = kept.split_off(&(position + 1));
        let mut run = Vec::new();
        while let Some(entry) = later.first_entry()
            && *entry.key() == position + 1 + run.len() as i64
        {
            run.push(entry.remove());
        }
        *kept = later;
        run
    }

    fn committed_kept(&self) -> std::sync::MutexGuard<'_, BTreeMap<i64, (Change, AnnualReport)>> {
        self.committed_here
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether every commit, whichever process made it, moves the generation (within
    /// [`SQLITE_LOOK_INTERVAL`] on SQLite).
    pub fn listening(&self) -> bool {
        self.listening.load(Ordering::SeqCst)
    }

    pub(super) fn set_listening(&self, listening: bool) {
        self.listening.store(listening, Ordering::SeqCst);
        // Whatever happened while the state changed counts as a change.
        self.changed();
    }

    /// Hears of other processes' commits until the returned task is aborted: LISTEN on
    /// PostgreSQL (`database_url`), a timer on SQLite.
    pub fn spawn_listener(self: &Arc<Self>, database_url: &str) -> JoinHandle<()> {
        let commits = self.clone();
        if !database_url.starts_with("postgres") {
            return tokio::spawn(async move {
                commits.set_listening(true);
                let mut ticks = tokio::time::interval(SQLITE_LOOK_INTERVAL);
                loop {
                    ticks.tick().await;
                    commits.changed();
                }
            });
        }
        let database_url = database_url.to_string();
        tokio::spawn(async move {
            loop {
                commits.listen_on_postgres(&database_url).await;
                commits.set_listening(false);
                tokio::time::sleep(RECONNECT_DELAY).await;
            }
        })
    }

    /// Listens until the connection fails. Listening is declared only once LISTEN is in place,
    /// and that declaration moves the generation: a commit made before LISTEN, unnotified, is
    /// still found by the next reader's query.
    async fn listen_on_postgres(&self, database_url: &str) {
        let mut listener = match PgListener::connect(database_url).await {
            Ok(listener) => listener,
            Err(error) => {
                warn!(%error, "cannot listen for the database's commits; reads ask the database");
                return;
            }
        };
        if let Err(error) = listener.listen(COUNTERS_CHANNEL).await {
            warn!(%error, "cannot listen for the database's commits; reads ask the database");
            return;
        }
        self.set_listening(true);
        info!("listening for commits on channel {COUNTERS_CHANNEL}");
        loop {
            match listener.try_recv().await {
                Ok(Some(_)) => self.changed(),
                // The connection was lost: notifications may have been missed.
                Ok(None) => {
                    warn!("lost the connection that listens for commits; reads ask the database");
                    return;
                }
                Err(error) => {
                    warn!(%error, "lost the connection that listens for commits; reads ask the database");
                    return;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::*;

    fn committed(position: i64) -> (Change, AnnualReport) {
        let change = Change {
            position,
            submission_id: position,
            agency_code: "bao-nam-dinh".into(),
            period_code: "2026".into(),
            revision: 1,
            request_id: format!("request-{position}"),
            content_hash: String::new(),
            received_at: Utc::now(),
            late: false,
        };
        (change, AnnualReport::default())
    }

    fn positions(taken: Vec<(Change, AnnualReport)>) -> Vec<i64> {
        taken
            .into_iter()
            .map(|(change, _)| change.position)
            .collect()
    }

    /// The read model gets this process's submissions only as an unbroken run after its own
    /// position: position 5 was another process's, so 6 waits until 5 is read from the database.
    #[test]
    fn kept_submissions_are_handed_over_in_an_unbroken_run() {
        let commits = Commits::default();
        commits.keep_committed([committed(2), committed(3), committed(4), committed(6)]);
        assert_eq!(positions(commits.committed_here(2)), [3, 4]);
        assert_eq!(positions(commits.committed_here(4)), [] as [i64; 0]);
        assert_eq!(positions(commits.committed_here(5)), [6]);
        assert_eq!(positions(commits.committed_here(6)), [] as [i64; 0]);

        // Beyond what is kept, the oldest go: the read model reads them back instead.
        let many = COMMITTED_HERE_KEPT as i64 + 10;
        commits.keep_committed((7..7 + many).map(committed));
        assert_eq!(positions(commits.committed_here(6)), [] as [i64; 0]);
        assert_eq!(commits.committed_here(16).len(), COMMITTED_HERE_KEPT);
    }
}
