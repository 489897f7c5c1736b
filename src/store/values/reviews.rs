//! The values the reviews repository (`store::reviews`) works with,
//! kept apart from it (see `store::values`).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// What the province decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReviewDecision {
    Accept,
    /// Back to the agency, to correct with a new revision.
    Return,
}

impl ReviewDecision {
    pub fn as_str(self) -> &'static str {
        match self {
            ReviewDecision::Accept => "accept",
            ReviewDecision::Return => "return",
        }
    }

    pub(in crate::store) fn parse(text: &str) -> Option<ReviewDecision> {
        match text {
            "accept" => Some(ReviewDecision::Accept),
            "return" => Some(ReviewDecision::Return),
            _ => None,
        }
    }
}

/// Where an agency's report for a period stands with its province: that of its latest revision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReviewState {
    AwaitingReview,
    Accepted,
    Returned,
}

impl ReviewState {
    /// The state of a latest revision whose latest review is `review`.
    pub fn of(review: Option<&Review>) -> ReviewState {
        match review.map(|review| review.decision) {
            None => ReviewState::AwaitingReview,
            Some(ReviewDecision::Accept) => ReviewState::Accepted,
            Some(ReviewDecision::Return) => ReviewState::Returned,
        }
    }
}

/// One reason of a review: about a field of the report, or (empty field) the whole of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewReason {
    pub field: String,
    pub reason: String,
}

/// A province's decision on one submission.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Review {
    pub id: i64,
    pub submission_id: i64,
    pub agency_code: String,
    pub period_code: String,
    pub revision: i32,
    pub decision: ReviewDecision,
    pub reasons: Vec<ReviewReason>,
    /// The principal who reviewed it, as the audit log names them.
    pub reviewed_by: String,
    pub reviewed_at: DateTime<Utc>,
}

/// What a province decides, about which submission.
#[derive(Debug, Clone)]
pub struct NewReview<'a> {
    pub submission_id: i64,
    pub decision: ReviewDecision,
    pub reasons: &'a [ReviewReason],
    pub reviewed_by: &'a str,
}
