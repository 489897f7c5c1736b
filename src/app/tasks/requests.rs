//! What the task workflows are asked and given: a line's report as sent, a progress report as
//! received, and the revision a request id kept before.

use chrono::{DateTime, Utc};

use crate::domain::task::{Progress, ProgressDraft};

/// What a report of progress on a line came to: the progress as checked, and the revision kept
/// for it (none when the report was only validated).
#[derive(Debug, Clone)]
pub struct ProgressReport {
    pub plan_code: String,
    pub task_code: String,
    pub period_code: String,
    pub reporter_code: String,
    pub progress: Progress,
    pub content_hash: String,
    /// When the kept revision was received; now, for a report only validated.
    pub received_at: DateTime<Utc>,
    pub kept: Option<KeptRevision>,
}

/// One line's report to send: which line (by its codes), what it says, under which request id.
#[derive(Debug, Clone, Copy)]
pub struct LineReport<'a> {
    pub plan_code: &'a str,
    pub task_code: &'a str,
    pub period_code: &'a str,
    pub request_id: &'a str,
    pub draft: &'a ProgressDraft,
    pub validate_only: bool,
}
/// The revision a report (of progress, or an agency plan) was kept as.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct KeptRevision {
    pub id: i64,
    pub revision: i32,
    /// The request id was taken by this same content: the first revision answers again.
    pub replayed: bool,
}
