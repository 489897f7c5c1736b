//! The application layer: every workflow and every piece of state pressdx keeps between
//! requests, behind one [`App`] that every face (the gRPC services of `api`, the CLI, and the
//! faces to come) calls. A face turns its wire format into domain values and back, and maps
//! [`AppError`] to its own codes; it never reaches the store.
//!
//! Access is by capability: a function that reads or changes what only some principals may
//! touch takes a value of `access` that only the check of that rule can make, so a caller that
//! skips the check does not compile. Authentication makes the [`Caller`] that every capability
//! starts from.

pub mod access;
pub mod admin;
pub mod agency_plans;
mod authentication;
pub mod catalog;
mod error;
mod feed;
pub mod figures;
pub mod maturity;
pub mod names;
pub mod pagination;
pub mod province_reports;
mod read_model;
pub mod reviews;
pub mod submissions;
pub mod tasks;
mod writer;

use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinHandle;

pub use authentication::{Access, AuthenticationSettings, Authenticator, Caller, Presented};
pub use error::AppError;
pub use feed::FeedWatcher;
pub use pagination::PageTokens;
pub use read_model::{ReadModel, ReadView};

use crate::store::Store;
use writer::SubmissionWriter;

/// How often the server looks for submissions committed by other processes sharing its database,
/// to wake summary watchers; reads never wait for it.
const FEED_POLL_INTERVAL: Duration = Duration::from_millis(500);

/// The application: the store, the state kept in memory in front of it (the read model, the
/// change feed's head, the credentials), and the workflows over them. Cloning shares it.
#[derive(Clone)]
pub struct App {
    store: Store,
    read_model: Arc<ReadModel>,
    feed: FeedWatcher,
    page_tokens: PageTokens,
    authenticator: Arc<Authenticator>,
    /// The one task of this process that writes submissions (group commit).
    writer: SubmissionWriter,
    /// The figures computed, kept between commits.
    figures: Arc<figures::FiguresCache>,
}

/// What an [`App`] runs in the background while it serves: stopped by [`Background::stop`].
pub struct Background {
    tasks: Vec<JoinHandle<()>>,
}

impl Background {
    pub fn stop(self) {
        for task in self.tasks {
            task.abort();
        }
    }
}

impl App {
    /// The application over `store`, with its in-memory state read from it.
    pub async fn new(store: Store, settings: AuthenticationSettings) -> Result<App, AppError> {
        let read_model = Arc::new(ReadModel::new(store.clone()));
        let feed = FeedWatcher::new(store.feed_head().await?);
        let page_tokens = PageTokens::new(&store.page_token_key().await?);
        let authenticator = Arc::new(Authenticator::new(
            store.clone(),
            read_model.clone(),
            settings,
        ));
        Ok(App {
            writer: SubmissionWriter::spawn(store.clone()),
            store,
            read_model,
            feed,
            page_tokens,
            authenticator,
            figures: Arc::new(figures::FiguresCache::default()),
        })
    }

    /// Starts listening for commits (of this process and, on PostgreSQL, of the others), polling
    /// the change feed's head, and the database heartbeat. From here on reads trust their copy
    /// until a commit is made or heard of.
    pub fn start_background(&self) -> Background {
        let mut tasks = vec![
            self.feed
                .spawn_poller(self.store.clone(), FEED_POLL_INTERVAL),
            self.store.listen_for_commits(),
        ];
        tasks.extend(self.store.watch_availability());
        Background { tasks }
    }

    /// Who is calling: the one way to a [`Caller`].
    pub fn authenticator(&self) -> &Authenticator {
        &self.authenticator
    }

    /// The change feed's head, as this process knows it, for those who wait on it.
    pub fn feed(&self) -> &FeedWatcher {
        &self.feed
    }

    /// Signs and reads page tokens.
    pub fn page_tokens(&self) -> &PageTokens {
        &self.page_tokens
    }

    /// Whether the database failed its last heartbeat: nothing but the health check is answered
    /// then, since the server can no longer show that what memory holds is current.
    pub fn database_down(&self) -> bool {
        self.store.database_down()
    }

    /// Completes when the database stops answering its heartbeat.
    pub async fn database_went_down(&self) {
        self.store.database_went_down().await
    }

    /// Closes the database once nothing uses it any more.
    pub async fn close(self) -> Result<(), AppError> {
        Ok(self.store.close().await?)
    }
}

/// Runs `work` on tokio's blocking threads: computing figures over every agency of a scope takes
/// milliseconds at national scale, longer than an async worker should be held (Quickwit's 500 µs
/// rule), and would stall every other request on that worker meanwhile.
pub async fn off_the_workers<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, AppError> + Send + 'static,
) -> Result<T, AppError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|error| AppError::Internal(format!("a computation of figures failed: {error}")))?
}
