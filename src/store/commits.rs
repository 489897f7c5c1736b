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
//! query. While the process is not sure to hear of other processes' commits (before the listener
//! runs, or while its connection is lost), [`Commits::listening`] is false and readers ask the
//! database every time, as they would without any of this.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use sea_orm::sqlx::postgres::PgListener;
use tokio::task::JoinHandle;
use tracing::{info, warn};

/// The PostgreSQL channel the counters trigger notifies (see the `NotifyCounterChanges`
/// migration).
pub const COUNTERS_CHANNEL: &str = "pressdx_counters";

/// How often a server on SQLite assumes another process may have committed: the longest a
/// credential revoked, or a catalogue imported, by an operator's command goes unseen.
pub const SQLITE_LOOK_INTERVAL: Duration = Duration::from_millis(20);

/// How long the PostgreSQL listener waits before connecting again after losing its connection.
const RECONNECT_DELAY: Duration = Duration::from_secs(1);

#[derive(Debug, Default)]
pub struct Commits {
    generation: AtomicU64,
    listening: AtomicBool,
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
