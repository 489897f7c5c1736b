//! The read model: the catalogue and the latest report of every agency for every period, kept in
//! memory and brought up to date on every read.
//!
//! Each read first learns the database's counters (change feed head, catalogue and credential
//! revisions). It asks the database (one single-row query, shared by the readers that arrive
//! while it runs) only if a commit may have happened since the counters were last known, and
//! this process does not know what that commit left them at: the counters of its own writer's
//! commits, and on PostgreSQL those each notification carries, are known without a query; a
//! catalogue import or credential change, or on SQLite the short interval in which another
//! process may have committed, makes the next read ask (`store::commits`). A read so includes
//! every commit made by this server before it arrived, and every other process's commit this
//! server had heard of; [`ReadModel::fresh_counters`] asks the database regardless, for a reader
//! that must see a given commit of another process.
//!
//! A new catalogue revision reloads the catalogue; a feed head past the copy's position applies
//! the submissions committed since, in feed order: those this process committed from what the
//! writer kept of them (`Commits::committed_here`), the others read from the database. Feed
//! positions are handed out in commit order without gaps, so the copy always equals the database
//! as of its `data_as_of`, whichever process wrote. Reading a summary never rescans the stored
//! reports.

use std::collections::VecDeque;
use std::sync::Arc;

use tokio::sync::{Mutex, Notify};

use crate::domain::Catalog;
use crate::domain::report::AnnualReport;
use crate::domain::summary::{LatestReport, ReportSnapshot};
use crate::store::{Change, Counters, Store, StoreError};

/// How many changes a catch-up reads per query.
const CATCH_UP_BATCH: u64 = 1000;

/// How many of the latest changes the read model remembers, for figures kept up to date to
/// learn which reports changed since they were computed. Figures older than that are computed
/// afresh: a few seconds of the busiest writing, since kept figures are brought up to date by
/// the first read after each commit.
const RECENT_CHANGES_KEPT: usize = 16_384;

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
    head_checks: std::sync::Mutex<HeadChecks>,
    head_checked: Notify,
    recent: std::sync::Mutex<RecentChanges>,
}

/// The reports the latest changes applied, in feed order: (period code, agency code) of each
/// position after `after`.
#[derive(Default)]
struct RecentChanges {
    /// The position before the first one kept; `None` until the reports are first loaded.
    after: Option<i64>,
    changes: VecDeque<(String, String)>,
}

/// Reads of the database's counters, shared by the readers that arrive while one is under way.
///
/// A reader may use a check that *started* after the reader arrived: that check sees every
/// commit that finished before the reader came, while a crowd of readers costs one query per
/// round trip instead of one each. While the process hears of every commit, a reader may also use
/// a check that started after the latest commit it had heard of when it arrived, or counters the
/// process learnt without a query that hold that commit (`Commits::known_covering`). Whichever
/// it uses, it is answered the newest counters the process knows, so that no reader sees the
/// feed go back.
#[derive(Default)]
struct HeadChecks {
    /// How many checks have started.
    started: u64,
    in_flight: bool,
    /// The latest finished check.
    finished: Option<FinishedCheck>,
}

#[derive(Clone, Copy)]
struct FinishedCheck {
    number: u64,
    /// The commits' generation when it started.
    generation: u64,
    /// Whether it read the counters.
    succeeded: bool,
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
            head_checks: std::sync::Mutex::new(HeadChecks::default()),
            head_checked: Notify::new(),
            recent: std::sync::Mutex::new(RecentChanges::default()),
        }
    }

    /// The database's counters, including every commit this process made before the call, and
    /// every commit of another process it had heard of (see the module's comment).
    pub async fn counters(&self) -> Result<Counters, StoreError> {
        let commits = self.store.commits();
        let heard_up_to = commits.listening().then(|| commits.generation());
        self.counters_checked(heard_up_to).await
    }

    /// The database's counters as of some moment after this call began, whichever process
    /// committed.
    pub async fn fresh_counters(&self) -> Result<Counters, StoreError> {
        self.counters_checked(None).await
    }

    /// Counters that include change-feed position `position`: `known` if they do, else the
    /// database's, read now (which may still not, if no commit has that position yet).
    pub async fn counters_reaching(
        &self,
        known: Counters,
        position: i64,
    ) -> Result<Counters, StoreError> {
        if known.feed_position >= position {
            return Ok(known);
        }
        self.fresh_counters().await
    }

    /// Counters from a check that started after the call (or after the generation
    /// `heard_up_to`).
    async fn counters_checked(&self, heard_up_to: Option<u64>) -> Result<Counters, StoreError> {
        let lock = || {
            self.head_checks
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
        };
        let usable_from = lock().started + 1;
        let usable = |check: &FinishedCheck| {
            check.number >= usable_from
                || heard_up_to.is_some_and(|generation| check.generation >= generation)
        };
        let commits = self.store.commits();
        if let Some(generation) = heard_up_to
            && let Some(counters) = commits.known_covering(generation)
        {
            return Ok(counters);
        }
        loop {
            let notified = self.head_checked.notified();
            tokio::pin!(notified);
            // Registered before looking, so that a check finishing in between still wakes us.
            notified.as_mut().enable();
            let our_check = {
                let mut checks = lock();
                if let Some(check) = checks.finished
                    && check.succeeded
                    && usable(&check)
                    && let Some(counters) = commits.newest()
                {
                    return Ok(counters);
                }
                if checks.in_flight {
                    None
                } else {
                    checks.started += 1;
                    checks.in_flight = true;
                    Some(checks.started)
                }
            };
            let Some(number) = our_check else {
                notified.await;
                continue;
            };
            // Clears `in_flight` and wakes the waiters even if this future is dropped mid-query.
            let _finish = FinishCheck { read_model: self };
            let generation = commits.generation();
            let result = self
                .store
                .counters()
                .await
                .map(|counters| commits.learned(generation, counters));
            lock().finished = Some(FinishedCheck {
                number,
                generation,
                succeeded: result.is_ok(),
            });
            return result;
        }
    }

    /// The catalogue as it stands now, or as of `known` counters read after the request arrived.
    pub async fn catalog(&self, known: Option<Counters>) -> Result<Arc<Catalog>, StoreError> {
        let counters = match known {
            Some(counters) => counters,
            None => self.counters().await?,
        };
        let mut cached = self.cached.lock().await;
        let (_, catalog) = self
            .refresh_catalog(&mut cached, counters.catalog_revision)
            .await?;
        Ok(catalog)
    }

    /// The catalogue and the latest reports, including every submission committed before the call
    /// (or before `known` counters, read after the request arrived, were read).
    pub async fn current(&self, known: Option<Counters>) -> Result<ReadView, StoreError> {
        let counters = match known {
            Some(counters) => counters,
            None => self.counters().await?,
        };
        let mut cached = self.cached.lock().await;
        let (catalog_revision, catalog) = self
            .refresh_catalog(&mut cached, counters.catalog_revision)
            .await?;
        let reports = match cached.reports.take() {
            None => {
                let reports = self.store.report_snapshot().await?;
                *self.recent() = RecentChanges {
                    after: Some(reports.data_as_of),
                    changes: VecDeque::new(),
                };
                Arc::new(reports)
            }
            Some(reports) if reports.data_as_of >= counters.feed_position => reports,
            Some(mut reports) => {
                self.catch_up(Arc::make_mut(&mut reports), counters.feed_position)
                    .await?;
                reports
            }
        };
        cached.reports = Some(reports.clone());
        Ok(ReadView {
            catalog,
            catalog_revision,
            reports,
        })
    }

    async fn refresh_catalog(
        &self,
        cached: &mut Cached,
        revision: i64,
    ) -> Result<(i64, Arc<Catalog>), StoreError> {
        // A copy newer than asked for (read for a request that arrived later) serves as well.
        if let Some((cached_revision, catalog)) = &cached.catalog
            && *cached_revision >= revision
        {
            return Ok((*cached_revision, catalog.clone()));
        }
        let catalog = Arc::new(self.store.load_catalog().await?);
        cached.catalog = Some((revision, catalog.clone()));
        Ok((revision, catalog))
    }

    /// Applies every change after the copy's position up to `head` at least, in feed order: those
    /// this process committed from what it kept of them, the others read from the database.
    async fn catch_up(&self, reports: &mut ReportSnapshot, head: i64) -> Result<(), StoreError> {
        loop {
            for (change, report) in self.store.commits().committed_here(reports.data_as_of) {
                self.apply(reports, change, report);
            }
            if reports.data_as_of >= head {
                return Ok(());
            }
            // Another process's commit comes next, or one of ours no longer kept.
            let changes = self
                .store
                .changes_with_reports(reports.data_as_of, CATCH_UP_BATCH)
                .await?;
            let complete = (changes.len() as u64) < CATCH_UP_BATCH;
            for (change, report) in changes {
                self.apply(reports, change, report);
            }
            if complete {
                return Ok(());
            }
        }
    }

    /// Applies the change at the position after the copy's.
    fn apply(&self, reports: &mut ReportSnapshot, change: Change, report: AnnualReport) {
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
        self.remember(change.period_code, change.agency_code);
    }
}

impl ReadModel {
    fn recent(&self) -> std::sync::MutexGuard<'_, RecentChanges> {
        self.recent
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Notes the report the next position changed, forgetting the oldest beyond
    /// [`RECENT_CHANGES_KEPT`].
    fn remember(&self, period_code: String, agency_code: String) {
        let mut recent = self.recent();
        recent.changes.push_back((period_code, agency_code));
        if recent.changes.len() > RECENT_CHANGES_KEPT {
            recent.changes.pop_front();
            recent.after = recent.after.map(|after| after + 1);
        }
    }

    /// The reports (period code, agency code) that the changes after position `from`, up to and
    /// including `to`, replaced, in feed order; `None` if they are no longer remembered, or not
    /// yet applied.
    pub fn changed_between(&self, from: i64, to: i64) -> Option<Vec<(String, String)>> {
        let recent = self.recent();
        let after = recent.after?;
        let last = after + recent.changes.len() as i64;
        if from < after || to > last || from > to {
            return None;
        }
        let skip = usize::try_from(from - after).ok()?;
        let take = usize::try_from(to - from).ok()?;
        Some(
            recent
                .changes
                .iter()
                .skip(skip)
                .take(take)
                .cloned()
                .collect(),
        )
    }
}

/// Ends a counters check, however it ends: clears `in_flight` and wakes the readers waiting.
struct FinishCheck<'a> {
    read_model: &'a ReadModel,
}

impl Drop for FinishCheck<'_> {
    fn drop(&mut self) {
        self.read_model
            .head_checks
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .in_flight = false;
        self.read_model.head_checked.notify_waiters();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::access::Role;

    /// What a read includes, step by step: another process's commit only once this process has
    /// heard of it (or asks afresh), its own commits at once.
    #[tokio::test]
    async fn a_reader_asks_the_database_only_after_a_commit_made_or_heard_of() {
        let directory = tempfile::tempdir().unwrap();
        let url = format!(
            "sqlite://{}/pressdx.db?mode=rwc",
            directory.path().display()
        );
        let store = Store::connect(&url).await.unwrap();
        // Another process on the same database: its commits move only its own generation.
        let other = Store::connect(&url).await.unwrap();
        let read_model = ReadModel::new(store.clone());
        let create_token = |store: Store| async move {
            store
                .create_token(Role::Ministry, None, "test", None, "test")
                .await
                .unwrap();
        };
        let credentials = |counters: Counters| counters.credential_revision;

        // Not listening: every read asks the database.
        let start = credentials(read_model.counters().await.unwrap());
        create_token(other.clone()).await;
        assert_eq!(credentials(read_model.counters().await.unwrap()), start + 1);

        // Listening: a commit nobody told this process of is not seen...
        store.commits().set_listening(true);
        assert_eq!(credentials(read_model.counters().await.unwrap()), start + 1);
        create_token(other.clone()).await;
        assert_eq!(credentials(read_model.counters().await.unwrap()), start + 1);
        // ...unless the reader asks afresh (min_data_as_of),
        assert_eq!(
            credentials(read_model.fresh_counters().await.unwrap()),
            start + 2
        );
        // or the process hears of it (a notification, SQLite's next look).
        create_token(other.clone()).await;
        store.commits().changed();
        assert_eq!(credentials(read_model.counters().await.unwrap()), start + 3);
        // Its own commits are seen at once.
        create_token(store.clone()).await;
        assert_eq!(credentials(read_model.counters().await.unwrap()), start + 4);

        // Losing the listener makes every read ask again.
        create_token(other.clone()).await;
        store.commits().set_listening(false);
        create_token(other).await;
        assert_eq!(credentials(read_model.counters().await.unwrap()), start + 6);
    }
}
