//! The figures computed, kept between commits: shared by every request of the process, held by
//! the [`App`](super::App).

use std::sync::{Arc, Mutex, PoisonError};

use moka::sync::Cache;

use super::read_model::ReadView;
use crate::domain::scope::{Boundaries, Scope};
use crate::domain::summary::{PlanFigures, ReportsRead, TargetSummary};

/// Beyond this many (plan, period, scope, boundaries) combinations the least used are forgotten:
/// the cache serves the handful of views that dashboards poll, not every scope ever asked for.
const MAX_CACHED_FIGURES: u64 = 512;

/// (plan, period, scope, boundaries) of some figures.
pub(super) type FiguresKey = (String, String, Scope, Boundaries);

/// The figures computed, kept between commits: shared by every request of the process.
pub struct FiguresCache {
    pub(super) entries: Cache<FiguresKey, Arc<FiguresEntry>>,
}

impl Default for FiguresCache {
    fn default() -> FiguresCache {
        FiguresCache {
            entries: Cache::new(MAX_CACHED_FIGURES),
        }
    }
}

/// What is kept of one (plan, period, scope, boundaries).
#[derive(Default)]
pub(super) struct FiguresEntry {
    /// The latest summaries computed, read without waiting for a computation.
    pub(super) latest: Mutex<Option<Arc<ComputedFigures>>>,
    /// The figures agency by agency, held while they are brought up to date: readers that miss
    /// together (after a commit, all of them) wait here for the first and share what it computed.
    pub(super) kept: tokio::sync::Mutex<Option<KeptFigures>>,
}

/// The summaries of some figures as of one state of the data.
pub(super) struct ComputedFigures {
    pub(super) catalog_revision: i64,
    pub(super) data_as_of: i64,
    pub(super) summaries: Arc<Vec<TargetSummary>>,
    /// Every report they looked up: a reader must reach them all.
    pub(super) reads: Arc<ReportsRead>,
}

impl ComputedFigures {
    /// Whether these include every commit a reader of `catalog_revision` and `data_as_of` must
    /// see. Fresher figures serve as well.
    pub(super) fn serve(&self, catalog_revision: i64, data_as_of: i64) -> bool {
        self.catalog_revision >= catalog_revision && self.data_as_of >= data_as_of
    }
}

/// The figures of a subject agency by agency, kept between commits so that the next ones update
/// them rather than compute them again.
pub(super) struct KeptFigures {
    pub(super) catalog_revision: i64,
    pub(super) figures: PlanFigures,
}

impl FiguresEntry {
    pub(super) fn latest_serving(&self, view: &ReadView) -> Option<Arc<ComputedFigures>> {
        let latest = self.latest.lock().unwrap_or_else(PoisonError::into_inner);
        latest
            .as_ref()
            .filter(|latest| latest.serve(view.catalog_revision, view.reports.data_as_of))
            .cloned()
    }

    /// Keeps `computed` unless figures at least as fresh are kept already.
    pub(super) fn offer(&self, computed: &Arc<ComputedFigures>) {
        let mut latest = self.latest.lock().unwrap_or_else(PoisonError::into_inner);
        let fresher_kept = latest
            .as_ref()
            .is_some_and(|kept| kept.serve(computed.catalog_revision, computed.data_as_of));
        if !fresher_kept {
            *latest = Some(computed.clone());
        }
    }
}
