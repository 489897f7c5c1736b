//! The values the submissions repository (`store::submissions`) works with,
//! kept apart from it (see `store::values`).

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::reviews::ReviewState;
use crate::domain::plausibility::Warning;
use crate::domain::report::AnnualReport;
use crate::store::feed::Change;

/// One stored revision of a report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredSubmission {
    pub id: i64,
    pub request_id: String,
    pub agency_code: String,
    pub period_code: String,
    pub revision: i32,
    pub received_at: DateTime<Utc>,
    pub late: bool,
    pub content_hash: String,
    pub report: AnnualReport,
    /// A later revision for the same agency and period exists.
    pub superseded: bool,
    /// Its place in the change feed.
    pub feed_position: i64,
    /// Who entered it for the agency (a province, the Ministry); `None` when the agency did.
    pub entered_by: Option<String>,
    /// `received_at` is the original receipt time `entered_by` asserted.
    pub received_at_asserted: bool,
    /// The plausibility warnings it was accepted with.
    pub warnings: Vec<Warning>,
}

impl StoredSubmission {
    /// This revision as the change feed lists it.
    pub fn change(&self) -> Change {
        Change {
            position: self.feed_position,
            submission_id: self.id,
            agency_code: self.agency_code.clone(),
            period_code: self.period_code.clone(),
            revision: self.revision,
            request_id: self.request_id.clone(),
            content_hash: self.content_hash.clone(),
            received_at: self.received_at,
            late: self.late,
        }
    }
}

/// What the database holds that the plan of a batch rests on, read under the write lock (so
/// that it cannot change before the batch commits).
#[derive(Debug, Clone, Default)]
pub struct HeldForBatch {
    /// The submissions the batch's request ids were accepted as before, by request id.
    pub earlier: HashMap<String, StoredSubmission>,
    /// The latest revision stored of each agency and period the batch touches.
    pub latest_revisions: HashMap<(String, String), i32>,
}

#[derive(Debug, Clone, Default)]
pub struct ListSubmissionsQuery {
    pub agency_code: Option<String>,
    pub period_code: Option<String>,
    pub latest_only: bool,
    /// Only submissions with a larger id (the previous page's last).
    pub after_id: Option<i64>,
    pub page_size: u64,
    /// Only these agencies' reports for each of these periods (`None`: every report).
    pub visible: Option<Vec<(String, Vec<String>)>>,
    /// Only the latest revisions in this review state.
    pub review_state: Option<ReviewState>,
    /// Only submissions accepted with at least one plausibility warning.
    pub with_warnings: bool,
}
