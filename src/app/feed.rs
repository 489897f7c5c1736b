//! Tells interested readers when the change feed's head moves: at once for submits committed by
//! this process, and within a poll interval for those committed by other processes sharing the
//! database. Built on a watch channel, so a slow reader only ever misses intermediate positions
//! and a writer never waits for anyone.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;
use tracing::warn;

use crate::metrics;
use crate::store::Store;

#[derive(Clone)]
pub struct FeedWatcher {
    head: Arc<watch::Sender<i64>>,
}

impl FeedWatcher {
    pub fn new(head: i64) -> FeedWatcher {
        metrics::set_feed_head(head);
        FeedWatcher {
            head: Arc::new(watch::Sender::new(head)),
        }
    }

    /// Records that the feed reached `position` (positions only ever move forward).
    pub fn advance(&self, position: i64) {
        self.head.send_if_modified(|head| {
            let moved = position > *head;
            if moved {
                *head = position;
                metrics::set_feed_head(position);
            }
            moved
        });
    }

    pub fn subscribe(&self) -> watch::Receiver<i64> {
        self.head.subscribe()
    }

    /// Polls the database's feed head, to hear of submits committed by other processes.
    pub fn spawn_poller(&self, store: Store, every: Duration) -> JoinHandle<()> {
        let watcher = self.clone();
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval(every);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                ticks.tick().await;
                match store.feed_head().await {
                    Ok(head) => watcher.advance(head),
                    Err(error) => warn!(%error, "cannot read the change feed's head"),
                }
            }
        })
    }
}
