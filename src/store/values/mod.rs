//! The values the repositories' methods are given, area by area, and the ones those are made of.
//! They live apart from the repositories (the `impl Store` blocks that read and write them), so
//! that [`Store`](super::Store), whose methods take them, depends on no repository that uses it.

pub(super) mod agency_plans;
pub(super) mod catalog;
pub(super) mod credentials;
pub(super) mod province_reports;
pub(super) mod reopenings;
pub(super) mod reviews;
pub(super) mod self_assessments;
pub(super) mod submissions;
pub(super) mod task_progress;
