//! What the review workflows are asked: a review and a reopening, as sent.

use crate::app::submissions::requests::GivenInstant;
use crate::store::{ReviewDecision, ReviewReason};

/// What a province asks of a reopening (the fields' formats already checked).
#[derive(Debug, Clone)]
pub struct ReopeningAsked {
    pub agency_code: String,
    pub period_code: String,
    /// The agency may submit until then.
    pub until: GivenInstant,
    pub reason: String,
}

/// What a province decides of a submission, as asked: every problem with it is found here, at
/// once.
#[derive(Debug, Clone)]
pub struct ReviewAsked {
    pub submission_id: i64,
    /// `None`: no decision, or one that is not ACCEPT or RETURN.
    pub decision: Option<ReviewDecision>,
    /// As sent, before trimming.
    pub reasons: Vec<ReviewReason>,
}
