//! What the maturity workflows are asked: a self-assessment sent and an appraisal, in the
//! request's own words.

use crate::domain::assessment::SelfAssessmentDraft;
use crate::domain::violation::FieldViolation;

/// A self-assessment as SubmitSelfAssessment sends it.
pub struct SelfAssessmentSent<'a> {
    pub request_id: &'a str,
    pub agency_code: &'a str,
    pub period_code: &'a str,
    pub draft: SelfAssessmentDraft,
    /// What the face found wrong already in answers that are not even of a kind (a number that
    /// is not a decimal): reported first, with the draft's own violations.
    pub violations: Vec<FieldViolation>,
    pub validate_only: bool,
}

/// An appraisal as AppraiseSelfAssessment asks it, its fields present (the face checked them).
pub struct AppraisalAsked<'a> {
    pub self_assessment_id: i64,
    pub criterion_code: &'a str,
    /// A decimal with at most two decimals, as written.
    pub points: &'a str,
    pub reason: &'a str,
}
