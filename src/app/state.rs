//! The [`App`] itself: the store and the state kept in memory in front of it, made once when
//! the server starts; and what it runs in the background meanwhile. The workflows are its
//! methods, each in the module of its room.

use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinHandle;

use super::authentication::{AuthenticationSettings, Authenticator};
use super::error::AppError;
use super::feed::FeedWatcher;
use super::figures_cache::FiguresCache;
use super::pagination::PageTokens;
use super::read_model::ReadModel;
use super::writer::SubmissionWriter;
use crate::store::Store;

/// How often the server looks for submissions committed by other processes sharing its database,
/// to wake summary watchers; reads never wait for it.
const FEED_POLL_INTERVAL: Duration = Duration::from_millis(500);

/// The application: the store, the state kept in memory in front of it (the read model, the
/// change feed's head, the credentials), and the workflows over them. Cloning shares it.
#[derive(Clone)]
pub struct App {
    pub(super) store: Store,
    pub(super) read_model: Arc<ReadModel>,
    pub(super) feed: FeedWatcher,
    pub(super) page_tokens: PageTokens,
    pub(super) authenticator: Arc<Authenticator>,
    /// The one task of this process that writes submissions (group commit).
    pub(super) writer: SubmissionWriter,
    /// The figures computed, kept between commits.
    pub(super) figures: Arc<FiguresCache>,
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
            figures: Arc::new(FiguresCache::default()),
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
