//! What this process knows of commits to the database: enough for a reader to tell, without
//! asking the database, that its copy of the counters (change feed head, catalogue and credential
//! revisions) may be behind.
//!
//! A *generation* moves whenever this process may have missed a change to the counters:
//! - after every write this process commits (before the writer answers its caller, so that a
//!   read following a receipt from this server includes what the receipt names);
//! - on PostgreSQL, whenever the database notifies channel [`COUNTERS_CHANNEL`] of counters this
//!   process does not know yet (a trigger on the counters row notifies at the commit of every
//!   transaction that moves them, whichever process made it: another server, or an operator's
//!   `pressdx token` or `pressdx catalog` command);
//! - on SQLite, which has no notifications and whose other writers are the operator's commands,
//!   every [`SQLITE_LOOK_INTERVAL`].
//!
//! A reader that finds the generation where it was when the counters were last read needs no
//! query. Nor does one after a commit whose counters this process knows: its own writer's, which
//! read them under the counters row's lock ([`Commits::committed`]), or one PostgreSQL notified
//! with its counters in the notification ([`Commits::notified`]). The newest counters known are
//! kept with the generation up to which they hold every commit heard of
//! ([`Commits::known_covering`]), and no reader is given older ones ([`Commits::newest`]).
//!
//! The submissions this process commits are kept here for a while, reports and all
//! ([`Commits::committed_here`]), so that the read model applies them without reading them back
//! from the database: only another process's submissions cost a query.
//!
//! While the process is not sure to hear of other processes' commits (before the listener runs,
//! or while its connection is lost), [`Commits::listening`] is false and readers ask the
//! database every time, as they would without any of this.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use sea_orm::sqlx::postgres::PgListener;
use tokio::task::JoinHandle;
use tracing::{info, warn};

use super::feed::{Change, Counters};
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
/// applies them. Readers apply them as they come, so this is a bound on memory while nobody
/// reads (a back-fill); older ones are read back from the database, as another process's are.
const COMMITTED_HERE_KEPT: usize = 1024;

#[derive(Debug, Default)]
pub struct Commits {
    generation: AtomicU64,
    listening: AtomicBool,
    /// The submissions this process committed and the read model has not applied yet, by feed
    /// position.
    committed_here: Mutex<BTreeMap<i64, (Change, AnnualReport)>>,
    known: Mutex<Option<Known>>,
}

/// The newest counters this process knows.
#[derive(Debug, Clone, Copy)]
struct Known {
    counters: Counters,
    /// They hold every commit this process had heard of when the generation was `covers`.
    covers: u64,
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

    /// The newest counters known, if they hold every commit heard of up to generation
    /// `generation`.
    pub fn known_covering(&self, generation: u64) -> Option<Counters> {
        self.known()
            .filter(|known| known.covers >= generation)
            .map(|known| known.counters)
    }

    /// The newest counters known, if any.
    pub fn newest(&self) -> Option<Counters> {
        self.known().map(|known| known.counters)
    }

    /// Learns the counters a query read, which started when the generation was `generation`,
    /// and answers the newest counters known since.
    pub fn learned(&self, generation: u64, counters: Counters) -> Counters {
        let mut known = self.known_lock();
        let newest = match *known {
            Some(before) => Known {
                counters: before.counters.later(counters),
                covers: before.covers.max(generation),
            },
            None => Known {
                counters,
                covers: generation,
            },
        };
        *known = Some(newest);
        newest.counters
    }

    /// Records a commit of this process, whose transaction read `counters` (as they are at its
    /// commit) under the counters row's lock after the generation was `heard` (so they hold
    /// every commit heard of by then). If nothing else was heard of since, they are known to
    /// hold everything heard of, this commit included; else the generation just moves.
    pub(super) fn committed(&self, heard: u64, counters: Counters) {
        let mut known = self.known_lock();
        match self
            .generation
            .compare_exchange(heard, heard + 1, Ordering::SeqCst, Ordering::SeqCst)
        {
            Ok(_) => {
                *known = Some(Known {
                    counters: known.map_or(counters, |before| before.counters.later(counters)),
                    covers: heard + 1,
                });
            }
            Err(_) => {
                self.generation.fetch_add(1, Ordering::SeqCst);
            }
        }
    }

    /// Records PostgreSQL's notification of a commit that left the counters at `counters`
    /// (`None`: not said). A commit the newest known counters already hold changes nothing; one
    /// they do not moves the generation, and if they held every commit heard of before it, the
    /// newer counters now do.
    fn notified(&self, counters: Option<Counters>) {
        let mut known = self.known_lock();
        let (Some(counters), Some(before)) = (counters, *known) else {
            self.changed();
            return;
        };
        if before.counters.later(counters) == before.counters {
            return;
        }
        let generation = self.generation();
        if before.covers == generation
            && self
                .generation
                .compare_exchange(
                    generation,
                    generation + 1,
                    Ordering::SeqCst,
                    Ordering::SeqCst,
                )
                .is_ok()
        {
            *known = Some(Known {
                counters: before.counters.later(counters),
                covers: generation + 1,
            });
        } else {
            self.changed();
        }
    }

    fn known(&self) -> Option<Known> {
        *self.known_lock()
    }

    fn known_lock(&self) -> std::sync::MutexGuard<'_, Option<Known>> {
        self.known.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Keeps the submissions a commit of this process just stored, for the read model. Called
    /// before [`Commits::committed`], so that a reader that learns of the commit finds them
    /// here.
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

    pub fn set_listening(&self, listening: bool) {
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
        // On a lost connection, say so at once: sqlx would otherwise reconnect inside try_recv,
        // waiting as long as the database is away while readers trust counters that may be old.
        listener.eager_reconnect(false);
        if let Err(error) = listener.listen(COUNTERS_CHANNEL).await {
            warn!(%error, "cannot listen for the database's commits; reads ask the database");
            return;
        }
        self.set_listening(true);
        info!("listening for commits on channel {COUNTERS_CHANNEL}");
        loop {
            match listener.try_recv().await {
                Ok(Some(notification)) => {
                    self.notified(Counters::from_notification(notification.payload()));
                }
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

    fn counters(feed_position: i64, catalog_revision: i64) -> Counters {
        Counters {
            feed_position,
            catalog_revision,
            credential_revision: 1,
        }
    }

    /// Counters learnt without a query serve a reader only while nothing else was heard of.
    #[test]
    fn counters_known_without_a_query_hold_every_commit_heard_of() {
        let commits = Commits::default();
        let asked = commits.generation();
        assert_eq!(commits.learned(asked, counters(10, 1)), counters(10, 1));
        assert_eq!(commits.known_covering(asked), Some(counters(10, 1)));

        // This process's writer commits feed positions 11 and 12, nothing else heard of meanwhile.
        let heard = commits.generation();
        commits.committed(heard, counters(12, 1));
        assert_eq!(
            commits.known_covering(commits.generation()),
            Some(counters(12, 1))
        );
        // Its notification tells nothing new and moves nothing.
        let generation = commits.generation();
        commits.notified(Some(counters(12, 1)));
        assert_eq!(commits.generation(), generation);
        // Another process imports a catalogue: the notification says so.
        commits.notified(Some(counters(12, 2)));
        assert_eq!(
            commits.known_covering(commits.generation()),
            Some(counters(12, 2))
        );

        // A commit heard of without its counters (SQLite's look, a credential created here)...
        commits.changed();
        assert_eq!(commits.known_covering(commits.generation()), None);
        // ...makes a writer that began before it unable to vouch for it,
        commits.committed(heard, counters(13, 2));
        assert_eq!(commits.known_covering(commits.generation()), None);
        // and a notification too, until a query is made.
        commits.notified(Some(counters(14, 2)));
        assert_eq!(commits.known_covering(commits.generation()), None);
        let asked = commits.generation();
        assert_eq!(commits.learned(asked, counters(14, 2)), counters(14, 2));
        assert_eq!(commits.known_covering(asked), Some(counters(14, 2)));
        // An older answer never takes the counters back.
        assert_eq!(commits.learned(asked, counters(13, 2)), counters(14, 2));
        assert_eq!(commits.newest(), Some(counters(14, 2)));
    }

    #[test]
    fn a_notification_carries_the_counters_or_nothing() {
        assert_eq!(
            Counters::from_notification("5 2 7"),
            Some(Counters {
                feed_position: 5,
                catalog_revision: 2,
                credential_revision: 7
            })
        );
        for payload in ["", "5 2", "5 2 7 1", "5 x 7", "5  2 7"] {
            assert_eq!(Counters::from_notification(payload), None, "{payload:?}");
        }
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
