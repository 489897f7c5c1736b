//! Whether the server is draining: asked to stop, it lets the requests in flight finish, but a
//! stream that would run for ever (a summary watch, an import the client keeps feeding) is told
//! to end, so that stopping never waits on a client.

use std::sync::Arc;

use tokio::sync::watch;

/// Shared by every service; cloning shares the same state.
#[derive(Clone, Debug)]
pub struct Draining {
    started: Arc<watch::Sender<bool>>,
}

impl Default for Draining {
    fn default() -> Self {
        Draining::new()
    }
}

impl Draining {
    pub fn new() -> Draining {
        Draining {
            started: Arc::new(watch::Sender::new(false)),
        }
    }

    /// The server was asked to stop: open streams end.
    pub fn start(&self) {
        self.started.send_replace(true);
    }

    /// Completes once draining has started (at once if it has).
    pub async fn started(&self) {
        let mut started = self.started.subscribe();
        // The sender lives as long as `self`, so waiting can only end with `true`.
        let _ = started.wait_for(|draining| *draining).await;
    }
}
