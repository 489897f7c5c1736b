//! The values the agency plans repository (`store::agency_plans`) works with,
//! kept apart from it (see `store::values`).

use serde::{Deserialize, Serialize};

use crate::domain::stored_forms::AgencyPlanForm;

/// What a governing body decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlanDecision {
    Approve,
    /// Back to the agency, to revise.
    Return,
}

impl PlanDecision {
    pub fn as_str(self) -> &'static str {
        match self {
            PlanDecision::Approve => "approve",
            PlanDecision::Return => "return",
        }
    }

    pub(in crate::store) fn parse(text: &str) -> Option<PlanDecision> {
        match text {
            "approve" => Some(PlanDecision::Approve),
            "return" => Some(PlanDecision::Return),
            _ => None,
        }
    }
}

/// One reason of a decision: about an entry of the plan, or (empty field) the whole of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanReason {
    pub field: String,
    pub reason: String,
}

/// A plan revision to store.
#[derive(Debug, Clone)]
pub struct NewAgencyPlan<'a> {
    pub agency_code: &'a str,
    pub plan_code: &'a str,
    pub request_id: &'a str,
    pub form: &'a AgencyPlanForm,
    pub content_hash: &'a str,
    pub submitted_by: &'a str,
}

/// A decision to record.
#[derive(Debug, Clone)]
pub struct NewPlanDecision<'a> {
    pub agency_plan_id: i64,
    pub decision: PlanDecision,
    pub reasons: &'a [PlanReason],
    pub decided_by: &'a str,
}
