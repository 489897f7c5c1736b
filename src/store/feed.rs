//! What the change feed and the counters row hand out: one accepted submission as the feed lists
//! it, and the counters read together. A leaf, so that the submissions, the summaries and the
//! commits this process knows of can all name them.

use chrono::{DateTime, Utc};

/// One accepted submission as the change feed lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub position: i64,
    pub submission_id: i64,
    pub agency_code: String,
    pub period_code: String,
    pub revision: i32,
    pub request_id: String,
    pub content_hash: String,
    pub received_at: DateTime<Utc>,
    pub late: bool,
}

/// The database's counters, read together.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counters {
    /// The change feed's head.
    pub feed_position: i64,
    /// Moves whenever a catalogue import changes something.
    pub catalog_revision: i64,
    /// Moves whenever a credential is created or revoked.
    pub credential_revision: i64,
}

impl Counters {
    /// The later of two states of the counters row. Each counter only grows, and every commit
    /// that moves the row grows one, so of two states the later holds each counter's larger
    /// value.
    pub fn later(self, other: Counters) -> Counters {
        Counters {
            feed_position: self.feed_position.max(other.feed_position),
            catalog_revision: self.catalog_revision.max(other.catalog_revision),
            credential_revision: self.credential_revision.max(other.credential_revision),
        }
    }

    /// The counters a PostgreSQL notification on the counters channel carries: the feed head,
    /// the catalogue revision and the credential revision, separated by spaces (see the
    /// `CountersInNotifications` migration); `None` for any other payload.
    pub fn from_notification(payload: &str) -> Option<Counters> {
        let mut values = payload.split(' ').map(|value| value.parse::<i64>().ok());
        let counters = Counters {
            feed_position: values.next()??,
            catalog_revision: values.next()??,
            credential_revision: values.next()??,
        };
        values.next().is_none().then_some(counters)
    }
}
