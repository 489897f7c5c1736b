//! The values the self assessments repository (`store::self_assessments`) works with,
//! kept apart from it (see `store::values`).

use crate::domain::stored_forms::SelfAssessmentForm;

/// A self-assessment to store.
#[derive(Debug, Clone)]
pub struct NewSelfAssessment<'a> {
    pub agency_code: &'a str,
    pub period_code: &'a str,
    pub framework_code: &'a str,
    pub request_id: &'a str,
    pub form: &'a SelfAssessmentForm,
    pub content_hash: &'a str,
    pub submitted_by: &'a str,
}

/// An appraisal to record.
#[derive(Debug, Clone)]
pub struct NewAppraisal<'a> {
    pub self_assessment_id: i64,
    pub criterion_code: &'a str,
    pub points_hundredths: i32,
    pub reason: &'a str,
    pub appraised_by: &'a str,
}
