//! What keeping an agency plan is given: the plan as received.

use chrono::{DateTime, Utc};

use crate::app::tasks::requests::KeptRevision;

/// What a submitted plan came to: its checked content's hash, and the revision kept for it (none
/// when it was only validated).
#[derive(Debug, Clone)]
pub struct PlanReceipt {
    pub agency_code: String,
    pub plan_code: String,
    pub content_hash: String,
    /// When the kept revision was received; now, for a plan only validated.
    pub received_at: DateTime<Utc>,
    pub kept: Option<KeptRevision>,
}
