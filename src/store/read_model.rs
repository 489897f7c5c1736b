//! The read model: the catalogue and the latest report of every agency for every period, kept in
//! memory and brought up to date on every read.
//!
//! Each read first asks the database for its counters (one single-row query). A new catalogue
//! revision reloads the catalogue; a feed head past the copy's position applies the submissions
//! committed since, in feed order. Feed positions are handed out in commit order without gaps, so
//! the copy always equals the database as of its `data_as_of`, whichever process wrote, and a read
//! that follows a submit includes it. Reading a summary never rescans the stored reports.

use std::sync::Arc;

use tokio::sync::Mutex;

use super::{Store, StoreError};
use crate::domain::Catalog;
use crate::domain::summary::{LatestReport, ReportSnapshot};

/// How many changes a catch-up reads per query.
const CATCH_UP_BATCH: u64 = 1000;

/// The catalogue and the latest reports as of one moment. `catalog_revision` and
/// `reports.data_as_of` together name the moment: equal names, equal data.
#[derive(Clone)]
pub struct ReadView {
    pub catalog: Arc<Catalog>,
    pub catalog_revision: i64,
    pub reports: Arc<ReportSnapshot>,
}

pub struct ReadModel {
    store: Store,
    /// Held while refreshing, so that concurrent readers refresh once, not each.
    cached: Mutex<Cached>,
}

#[derive(Default)]
struct Cached {
    catalog: Option<(i64, Arc<Catalog>)>,
    reports: Option<Arc<ReportSnapshot>>,
}

impl ReadModel {
    pub fn new(store: Store) -> ReadModel {
        ReadModel {
            store,
            cached: Mutex::new(Cached::default()),
        }
    }

    /// The catalogue as it stands now.
    pub async fn catalog(&self) -> Result<Arc<Catalog>, StoreError> {
        let counters = self.store.counters().await?;
        let mut cached = self.cached.lock().await;
        self.refresh_catalog(&mut cached, counters.catalog_revision)
            .await
    }

    /// The catalogue and the latest reports, including every submission committed before the call.
    pub async fn current(&self) -> Result<ReadView, StoreError> {
        let counters = self.store.counters().await?;
        let mut cached = self.cached.lock().await;
        let catalog = self
            .refresh_catalog(&mut cached, counters.catalog_revision)
            .await?;
        let reports = match cached.reports.take() {
            None => Arc::new(self.store.report_snapshot(None).await?),
            Some(reports) if reports.data_as_of >= counters.feed_position => reports,
            Some(mut reports) => {
                self.catch_up(Arc::make_mut(&mut reports)).await?;
                reports
            }
        };
        cached.reports = Some(reports.clone());
        Ok(ReadView {
            catalog,
            catalog_revision: counters.catalog_revision,
            reports,
        })
    }

    async fn refresh_catalog(
        &self,
        cached: &mut Cached,
        revision: i64,
    ) -> Result<Arc<Catalog>, StoreError> {
        if let Some((cached_revision, catalog)) = &cached.catalog
            && *cached_revision == revision
        {
            return Ok(catalog.clone());
        }
        let catalog = Arc::new(self.store.load_catalog().await?);
        cached.catalog = Some((revision, catalog.clone()));
        Ok(catalog)
    }

    /// Applies every change after the copy's position, in feed order.
    async fn catch_up(&self, reports: &mut ReportSnapshot) -> Result<(), StoreError> {
        loop {
            let changes = self
                .store
                .changes_with_reports(reports.data_as_of, CATCH_UP_BATCH)
                .await?;
            let complete = (changes.len() as u64) < CATCH_UP_BATCH;
            for (change, report) in changes {
                let previous = reports.latest(&change.period_code, &change.agency_code);
                // The first revision's arrival is what makes a report on time or late.
                let (first_received_at, first_late) = match previous {
                    Some(previous) if change.revision > 1 => {
                        (previous.first_received_at, previous.first_late)
                    }
                    _ => (change.received_at, change.late),
                };
                reports.insert(
                    &change.period_code,
                    &change.agency_code,
                    LatestReport {
                        submission_id: change.submission_id,
                        revision: change.revision,
                        report,
                        first_received_at,
                        first_late,
                    },
                );
                reports.data_as_of = change.position;
            }
            if complete {
                return Ok(());
            }
        }
    }
}
