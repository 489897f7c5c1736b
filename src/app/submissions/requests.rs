//! What the submit and list workflows are asked: a report as sent, who sends it, and which
//! submissions a list wants.

use chrono::{DateTime, Utc};

use crate::app::access::Capacity;
use crate::domain::access::Principal;
use crate::domain::report::AnnualReport;
use crate::store::ReviewState;

/// An instant a request gives, as read off the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GivenInstant {
    Absent,
    /// Given, but not a valid instant.
    NotAnInstant,
    At(DateTime<Utc>),
}

/// A report as sent (SubmitReport, or one message of ImportReports).
#[derive(Debug, Clone)]
pub struct ReportToSubmit {
    pub request_id: String,
    pub agency_code: String,
    pub period_code: String,
    pub report: Option<AnnualReport>,
    /// When a province or the Ministry says the report was originally received.
    pub received_at: GivenInstant,
    pub validate_only: bool,
}

/// Which submissions a list asks for, one page after `after_id`.
#[derive(Debug, Clone, Default)]
pub struct SubmissionFilter {
    pub agency_code: Option<String>,
    pub period_code: Option<String>,
    pub latest_only: bool,
    pub with_warnings: bool,
    pub review_state: Option<ReviewState>,
    pub after_id: Option<i64>,
    pub page_size: u64,
}

/// Who sends a report, and in what capacity.
#[derive(Clone, Copy)]
pub(super) struct Sender<'a> {
    pub(super) principal: &'a Principal,
    pub(super) capacity: Capacity,
}
