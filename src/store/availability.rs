//! Whether the database answers, as a heartbeat on a connection of its own sees it: every
//! [`HEARTBEAT_INTERVAL`] it pings, and a ping that fails or goes unanswered for
//! [`HEARTBEAT_TIMEOUT`] marks the database down until one succeeds again. While it is down the
//! server answers every call UNAVAILABLE (DATABASE_UNAVAILABLE) at once, and the calls in flight
//! when it went down too, rather than letting each wait out its own connection timeouts one
//! after another, or serving figures from memory that it can no longer show are current.
//!
//! The heartbeat has a connection of its own so that a busy pool (every connection lent out
//! under load) is never mistaken for an outage. Only PostgreSQL has one: an embedded SQLite file
//! has no server to lose.

use std::sync::Arc;
use std::time::Duration;

use sea_orm::sqlx::{Connection, PgConnection};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tracing::{info, warn};

use super::commits::Commits;

/// How often the heartbeat pings the database.
pub const HEARTBEAT_INTERVAL: Duration = Duration::from_secs(1);
/// How long a ping (or connecting again) may take before the database counts as down. With the
/// interval, an outage is noticed within about three seconds of its start.
pub const HEARTBEAT_TIMEOUT: Duration = Duration::from_secs(2);

#[derive(Debug)]
pub struct Availability {
    down: watch::Sender<bool>,
}

impl Default for Availability {
    fn default() -> Self {
        Availability {
            down: watch::Sender::new(false),
        }
    }
}

impl Availability {
    /// Whether the last heartbeat found the database down.
    pub fn is_down(&self) -> bool {
        *self.down.borrow()
    }

    /// Completes when the database is found down (at once if it is).
    pub async fn went_down(&self) {
        let mut down = self.down.subscribe();
        // The sender lives as long as `self`: the wait can only end with the database down.
        let _ = down.wait_for(|down| *down).await;
    }

    fn set_down(&self, down: bool) -> bool {
        self.down.send_if_modified(|current| {
            let changed = *current != down;
            *current = down;
            changed
        })
    }

    /// Pings the PostgreSQL database at `database_url` until the returned task is aborted. When
    /// the database is back, `commits` hears of it: whatever was committed meanwhile is read
    /// afresh.
    pub fn spawn_heartbeat(
        self: &Arc<Self>,
        database_url: &str,
        commits: Arc<Commits>,
    ) -> JoinHandle<()> {
        let availability = self.clone();
        let database_url = database_url.to_string();
        tokio::spawn(async move {
            let mut connection: Option<PgConnection> = None;
            let mut ticks = tokio::time::interval(HEARTBEAT_INTERVAL);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                ticks.tick().await;
                let answered = match connection.as_mut() {
                    Some(open) => matches!(
                        tokio::time::timeout(HEARTBEAT_TIMEOUT, open.ping()).await,
                        Ok(Ok(()))
                    ),
                    None => {
                        let attempt = PgConnection::connect(&database_url);
                        match tokio::time::timeout(HEARTBEAT_TIMEOUT, attempt).await {
                            Ok(Ok(open)) => {
                                connection = Some(open);
                                true
                            }
                            _ => false,
                        }
                    }
                };
                if !answered {
                    // Connect afresh next time: this one may be half-dead.
                    connection = None;
                }
                if availability.set_down(!answered) {
                    if answered {
                        commits.changed();
                        info!("the database answers again");
                    } else {
                        warn!(
                            timeout = ?HEARTBEAT_TIMEOUT,
                            "the database does not answer: every call answers UNAVAILABLE until it does"
                        );
                    }
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_wait_for_the_database_to_go_down_ends_when_it_does() {
        let availability = Arc::new(Availability::default());
        assert!(!availability.is_down());
        let waiting = tokio::spawn({
            let availability = availability.clone();
            async move { availability.went_down().await }
        });
        tokio::task::yield_now().await;
        assert!(!waiting.is_finished());
        assert!(availability.set_down(true));
        assert!(!availability.set_down(true), "no change, no news");
        tokio::time::timeout(Duration::from_secs(1), waiting)
            .await
            .expect("the waiter hears of it")
            .unwrap();
        assert!(availability.is_down());
        // Already down: the wait ends at once.
        tokio::time::timeout(Duration::from_millis(10), availability.went_down())
            .await
            .expect("at once");
    }
}
