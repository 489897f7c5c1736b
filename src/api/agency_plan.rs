//! AgencyPlanService: each press agency's own plan under a plan of the catalogue, checked against
//! that plan (domain::agency_plan), kept with every revision, approved or returned by the
//! agency's governing body, and read against the agency's reports beside its province's figure.

use tonic::{Request, Response, Status};
use tracing::instrument;

use super::access::caller_of;
use super::convert::{as_of_date, timestamp};
use super::summary::{standing_to_proto, summary_to_proto};
use crate::app::access::own_governing_body;
use crate::app::agency_plans::{
    AgencyPlanList, AgencyPlanProgress, AgencyPlanRead, AgencyPlanState, PlanDecision, PlanReason,
    PlanReceipt, StoredAgencyPlan, StoredPlanDecision,
};
use crate::app::{App, AppError, Caller};
use crate::domain::agency_plan::{
    AgencyPlanDraft, CommitmentDraft, CommitmentStanding, CommitmentValue, TaskDraft, ValueDraft,
};
use crate::domain::formats::{Field, check_fields};
use crate::domain::plan::TargetRule;
use crate::domain::stored_forms::AgencyPlanForm;
use crate::domain::violation::FieldViolation;
use crate::proto::agency_plan_service_server::AgencyPlanService;
use crate::proto::{
    self, DecideAgencyPlanRequest, GetAgencyPlanProgressRequest, GetAgencyPlanRequest,
    ListAgencyPlansRequest, SubmitAgencyPlanRequest, commitment,
};

/// A decision's reason is a paragraph.
use crate::domain::limits::{
    MAX_FIELD_PATH_CHARS, MAX_PARAGRAPH_CHARS as MAX_REASON_CHARS, MAX_REASONS,
};

#[derive(Clone)]
pub struct AgencyPlanApi {
    app: App,
}

impl AgencyPlanApi {
    pub fn new(app: &App) -> AgencyPlanApi {
        AgencyPlanApi { app: app.clone() }
    }

    async fn submit(
        &self,
        request: SubmitAgencyPlanRequest,
        caller: &Caller,
    ) -> Result<proto::AgencyPlanReceipt, AppError> {
        AppError::check_fields(&[
            ("request_id", Field::RequestId(&request.request_id)),
            ("agency_code", Field::Code(&request.agency_code)),
            ("plan_code", Field::Code(&request.plan_code)),
        ])?;
        let receipt = self
            .app
            .submit_agency_plan(
                caller,
                &request.agency_code,
                &request.plan_code,
                &request.request_id,
                draft_of(&request),
                request.validate_only,
            )
            .await?;
        Ok(receipt_to_proto(receipt, request.validate_only))
    }

    async fn decide(
        &self,
        request: DecideAgencyPlanRequest,
        caller: &Caller,
    ) -> Result<StoredPlanDecision, AppError> {
        let decision = match proto::AgencyPlanDecisionKind::try_from(request.decision) {
            Ok(proto::AgencyPlanDecisionKind::Approve) => Some(PlanDecision::Approve),
            Ok(proto::AgencyPlanDecisionKind::Return) => Some(PlanDecision::Return),
            _ => None,
        };
        let mut violations = Vec::new();
        if request.agency_plan_id <= 0 {
            violations.push(FieldViolation::new("agency_plan_id", "required"));
        }
        if decision.is_none() {
            violations.push(FieldViolation::new("decision", "APPROVE or RETURN"));
        }
        if decision == Some(PlanDecision::Return) && request.reasons.is_empty() {
            violations.push(FieldViolation::new(
                "reasons",
                "a plan is returned with at least one reason",
            ));
        }
        if request.reasons.len() > MAX_REASONS {
            violations.push(FieldViolation::new(
                "reasons",
                format!("at most {MAX_REASONS} reasons"),
            ));
        }
        for (index, reason) in request.reasons.iter().enumerate() {
            let text = reason.reason.trim();
            if text.is_empty() {
                violations.push(FieldViolation::new(
                    format!("reasons[{index}].reason"),
                    "required",
                ));
            } else if text.chars().count() > MAX_REASON_CHARS {
                violations.push(FieldViolation::new(
                    format!("reasons[{index}].reason"),
                    format!("at most {MAX_REASON_CHARS} characters"),
                ));
            }
            if reason.field.trim().chars().count() > MAX_FIELD_PATH_CHARS {
                violations.push(FieldViolation::new(
                    format!("reasons[{index}].field"),
                    format!("at most {MAX_FIELD_PATH_CHARS} characters"),
                ));
            }
        }
        let Some(decision) = decision.filter(|_| violations.is_empty()) else {
            return Err(AppError::InvalidArgument(violations));
        };
        let reasons = request
            .reasons
            .iter()
            .map(|reason| PlanReason {
                field: reason.field.trim().to_string(),
                reason: reason.reason.trim().to_string(),
            })
            .collect();
        self.app
            .decide_agency_plan(caller, request.agency_plan_id, decision, reasons)
            .await
    }

    async fn get(
        &self,
        request: GetAgencyPlanRequest,
        caller: &Caller,
    ) -> Result<proto::AgencyPlan, AppError> {
        AppError::check_fields(&[
            ("agency_code", Field::Code(&request.agency_code)),
            ("plan_code", Field::Code(&request.plan_code)),
        ])?;
        if request.revision < 0 {
            return Err(AppError::invalid_argument(
                "revision",
                "must not be negative",
            ));
        }
        let revision = (request.revision > 0).then_some(request.revision);
        let read = self
            .app
            .agency_plan(caller, &request.agency_code, &request.plan_code, revision)
            .await?;
        Ok(agency_plan_to_proto(&read))
    }

    async fn list(
        &self,
        request: ListAgencyPlansRequest,
        caller: &Caller,
    ) -> Result<proto::ListAgencyPlansResponse, AppError> {
        let governing_body_code = match request.governing_body_code.as_str() {
            "" => own_governing_body(caller).unwrap_or_default().to_string(),
            given => given.to_string(),
        };
        let mut missing = check_fields(&[
            ("plan_code", Field::Code(&request.plan_code)),
            ("governing_body_code", Field::Code(&governing_body_code)),
        ]);
        let as_of = match as_of_date(&request.as_of) {
            Ok(date) => Some(date),
            Err(AppError::InvalidArgument(violations)) => {
                missing.extend(violations);
                None
            }
            Err(other) => return Err(other),
        };
        let Some(as_of) = as_of.filter(|_| missing.is_empty()) else {
            return Err(AppError::InvalidArgument(missing));
        };
        let list = self
            .app
            .agency_plans(caller, &request.plan_code, &governing_body_code, as_of)
            .await?;
        Ok(list_to_proto(list))
    }

    async fn progress(
        &self,
        request: GetAgencyPlanProgressRequest,
        caller: &Caller,
    ) -> Result<proto::AgencyPlanProgress, AppError> {
        AppError::check_fields(&[
            ("agency_code", Field::Code(&request.agency_code)),
            ("plan_code", Field::Code(&request.plan_code)),
            ("period_code", Field::Code(&request.period_code)),
        ])?;
        if request.revision < 0 {
            return Err(AppError::invalid_argument(
                "revision",
                "must not be negative",
            ));
        }
        let revision = (request.revision > 0).then_some(request.revision);
        self.app
            .agency_plan_progress(
                caller,
                &request.agency_code,
                &request.plan_code,
                &request.period_code,
                revision,
                progress_to_proto,
            )
            .await
    }
}

/// The receipt of a submitted plan: its revision's facts, or only the checked content's hash
/// when validated.
fn receipt_to_proto(receipt: PlanReceipt, validated_only: bool) -> proto::AgencyPlanReceipt {
    let kept = receipt.kept.unwrap_or_default();
    proto::AgencyPlanReceipt {
        id: kept.id,
        agency_code: receipt.agency_code,
        plan_code: receipt.plan_code,
        revision: kept.revision,
        received_at: Some(timestamp(receipt.received_at)),
        content_hash: receipt.content_hash,
        replayed: kept.replayed,
        validated_only,
    }
}

fn agency_plan_to_proto(read: &AgencyPlanRead) -> proto::AgencyPlan {
    let stored = &read.stored;
    let (commitments, tasks) = form_to_proto(&stored.form);
    proto::AgencyPlan {
        receipt: Some(stored_receipt(stored)),
        commitments,
        tasks,
        submitted_by: stored.submitted_by.clone(),
        state: state_to_proto(read.state).into(),
        decisions: read.decisions.iter().map(decision_to_proto).collect(),
        latest_revision: read.history.map_or(0, |history| history.latest_revision),
        plan_in_force_revision: read
            .history
            .and_then(|history| history.in_force)
            .map_or(0, |(_, revision)| revision),
    }
}

fn list_to_proto(list: AgencyPlanList) -> proto::ListAgencyPlansResponse {
    let mut response = proto::ListAgencyPlansResponse {
        plan_code: list.plan_code,
        governing_body_code: list.governing_body_code,
        as_of: list.as_of.to_string(),
        ..Default::default()
    };
    for standing in list.agencies {
        let history = standing.history.as_ref();
        let state = match history.map(|history| history.latest_state) {
            None => {
                response.none += 1;
                proto::AgencyPlanState::None
            }
            Some(state) => {
                match state {
                    AgencyPlanState::Approved => response.approved += 1,
                    AgencyPlanState::AwaitingApproval => response.awaiting_approval += 1,
                    AgencyPlanState::Returned => response.returned += 1,
                }
                state_to_proto(state)
            }
        };
        let in_force = history.and_then(|history| history.in_force);
        response.with_plan_in_force += i32::from(in_force.is_some());
        response.agencies.push(proto::AgencyPlanStanding {
            agency_code: standing.agency_code,
            agency_name: standing.agency_name,
            state: state.into(),
            latest_revision: history.map_or(0, |history| history.latest_revision),
            latest_agency_plan_id: history.map_or(0, |history| history.latest_id),
            plan_in_force_revision: in_force.map_or(0, |(_, revision)| revision),
        });
    }
    response
}

fn progress_to_proto(progress: &AgencyPlanProgress<'_>) -> proto::AgencyPlanProgress {
    let targets = progress
        .targets
        .iter()
        .enumerate()
        .map(|(index, target)| {
            target_progress_to_proto(
                target,
                progress.period,
                progress
                    .province_summaries
                    .as_ref()
                    .and_then(|summaries| summaries.get(index))
                    .map(summary_to_proto),
            )
        })
        .collect();
    proto::AgencyPlanProgress {
        agency_code: progress.agency_code.to_string(),
        agency_name: progress.agency_name.clone(),
        plan_code: progress.plan.code.clone(),
        period_code: progress.period.code.clone(),
        year: progress.period.year,
        agency_plan_id: progress.agency_plan_id,
        revision: progress.revision,
        state: state_to_proto(progress.state).into(),
        province_code: progress.province_code.clone().unwrap_or_default(),
        targets,
        data_as_of: progress.data_as_of,
    }
}

/// The draft a request carries, its strings trimmed.
fn draft_of(request: &SubmitAgencyPlanRequest) -> AgencyPlanDraft {
    AgencyPlanDraft {
        commitments: request
            .commitments
            .iter()
            .map(|commitment| CommitmentDraft {
                target_code: commitment.target_code.clone(),
                year: commitment.year,
                value: commitment.value.as_ref().map(|value| match *value {
                    commitment::Value::Meets(meets) => ValueDraft::Meets(meets),
                    commitment::Value::GrowthBp(bp) => ValueDraft::GrowthBp(i64::from(bp)),
                    commitment::Value::ShareBp(bp) => ValueDraft::ShareBp(i64::from(bp)),
                }),
            })
            .collect(),
        tasks: request
            .tasks
            .iter()
            .map(|task| TaskDraft {
                // Codes and dates are taken as written; words without surrounding spaces.
                code: task.code.clone(),
                name: task.name.trim().to_string(),
                due_on: task.due_on.clone(),
                expected_output: task.expected_output.trim().to_string(),
            })
            .collect(),
    }
}

fn commitment_to_proto(target_code: &str, year: i32, value: CommitmentValue) -> proto::Commitment {
    let as_i32 = |bp: u32| i32::try_from(bp).unwrap_or(i32::MAX);
    proto::Commitment {
        target_code: target_code.to_string(),
        year,
        value: Some(match value {
            CommitmentValue::Meets(meets) => commitment::Value::Meets(meets),
            CommitmentValue::GrowthBp(bp) => commitment::Value::GrowthBp(as_i32(bp)),
            CommitmentValue::ShareBp(bp) => commitment::Value::ShareBp(as_i32(bp)),
        }),
    }
}

/// A stored plan's commitments and tasks, as the wire gives them (in canonical order).
fn form_to_proto(form: &AgencyPlanForm) -> (Vec<proto::Commitment>, Vec<proto::AgencyTask>) {
    let commitments = form
        .commitments
        .iter()
        .map(|commitment| {
            commitment_to_proto(&commitment.target_code, commitment.year, commitment.value)
        })
        .collect();
    let tasks = form
        .tasks
        .iter()
        .map(|task| proto::AgencyTask {
            code: task.code.clone(),
            name: task.name.clone(),
            due_on: task.due_on.to_string(),
            expected_output: task.expected_output.clone(),
        })
        .collect();
    (commitments, tasks)
}

fn stored_receipt(stored: &StoredAgencyPlan) -> proto::AgencyPlanReceipt {
    proto::AgencyPlanReceipt {
        id: stored.id,
        agency_code: stored.agency_code.clone(),
        plan_code: stored.plan_code.clone(),
        revision: stored.revision,
        received_at: Some(timestamp(stored.received_at)),
        content_hash: stored.content_hash.clone(),
        replayed: false,
        validated_only: false,
    }
}

fn state_to_proto(state: AgencyPlanState) -> proto::AgencyPlanState {
    match state {
        AgencyPlanState::AwaitingApproval => proto::AgencyPlanState::AwaitingApproval,
        AgencyPlanState::Approved => proto::AgencyPlanState::Approved,
        AgencyPlanState::Returned => proto::AgencyPlanState::Returned,
    }
}

fn decision_to_proto(decision: &StoredPlanDecision) -> proto::AgencyPlanDecision {
    let kind = match decision.decision {
        PlanDecision::Approve => proto::AgencyPlanDecisionKind::Approve,
        PlanDecision::Return => proto::AgencyPlanDecisionKind::Return,
    };
    proto::AgencyPlanDecision {
        id: decision.id,
        agency_plan_id: decision.agency_plan_id,
        agency_code: decision.agency_code.clone(),
        plan_code: decision.plan_code.clone(),
        revision: decision.revision,
        decision: kind.into(),
        reasons: decision
            .reasons
            .iter()
            .map(|reason| proto::AgencyPlanReason {
                field: reason.field.clone(),
                reason: reason.reason.clone(),
            })
            .collect(),
        decided_by: decision.decided_by.clone(),
        decided_at: Some(timestamp(decision.decided_at)),
    }
}

fn target_progress_to_proto(
    progress: &crate::domain::agency_plan::TargetProgress<'_>,
    period: &crate::domain::period::Period,
    province_summary: Option<proto::TargetSummary>,
) -> proto::TargetProgress {
    let target = progress.target;
    let requirement = crate::domain::status::requirement(&target.milestones, period.year);
    let standing = match &progress.standing {
        CommitmentStanding::Met => proto::CommitmentStanding::Met,
        CommitmentStanding::NotMet => proto::CommitmentStanding::NotMet,
        CommitmentStanding::NotReported => proto::CommitmentStanding::NotReported,
        CommitmentStanding::NotEvaluable => proto::CommitmentStanding::NotEvaluable,
        CommitmentStanding::NoCommitment => proto::CommitmentStanding::NoCommitment,
        CommitmentStanding::NotInPopulation => proto::CommitmentStanding::NotInPopulation,
    };
    let against_plan = progress.against_plan.as_ref();
    let (people_numerator, people_denominator) = against_plan
        .and_then(|result| result.people)
        .map_or((0, 0), |(counted, employed)| {
            (
                i64::try_from(counted).unwrap_or(i64::MAX),
                i64::try_from(employed).unwrap_or(i64::MAX),
            )
        });
    proto::TargetProgress {
        target_code: target.code.clone(),
        target_name: target.name.clone(),
        measure: match target.rule {
            TargetRule::AgencyShare { .. } => proto::TargetMeasure::AgencyShare,
            TargetRule::PeopleShare { .. } => proto::TargetMeasure::PeopleShare,
        }
        .into(),
        commitment: progress.commitment.map(|commitment| {
            commitment_to_proto(&commitment.target_code, commitment.year, commitment.value)
        }),
        commitment_standing: standing.into(),
        value: against_plan
            .map(|result| result.value.clone())
            .unwrap_or_default(),
        people_numerator,
        people_denominator,
        plan_standing: against_plan
            .map_or(proto::AgencyStanding::Unspecified, |result| {
                standing_to_proto(&result.standing)
            })
            .into(),
        requirement_applies: requirement.required.is_some(),
        required_share: requirement
            .required
            .map_or(0.0, crate::domain::ratio::Ratio::to_f64),
        required_share_interpolated: requirement.interpolated,
        parameter_bp: requirement
            .parameter_bp
            .map(|bp| i32::try_from(bp).unwrap_or(i32::MAX)),
        province_summary,
    }
}

#[tonic::async_trait]
impl AgencyPlanService for AgencyPlanApi {
    #[instrument(skip_all, fields(agency = %request.get_ref().agency_code, plan = %request.get_ref().plan_code))]
    async fn submit_agency_plan(
        &self,
        request: Request<SubmitAgencyPlanRequest>,
    ) -> Result<Response<proto::AgencyPlanReceipt>, Status> {
        let caller = caller_of(&request)?;
        Ok(Response::new(
            self.submit(request.into_inner(), &caller).await?,
        ))
    }

    #[instrument(skip_all, fields(agency_plan = request.get_ref().agency_plan_id))]
    async fn decide_agency_plan(
        &self,
        request: Request<DecideAgencyPlanRequest>,
    ) -> Result<Response<proto::AgencyPlanDecision>, Status> {
        let caller = caller_of(&request)?;
        let decision = self.decide(request.into_inner(), &caller).await?;
        Ok(Response::new(decision_to_proto(&decision)))
    }

    #[instrument(skip_all, fields(agency = %request.get_ref().agency_code, plan = %request.get_ref().plan_code))]
    async fn get_agency_plan(
        &self,
        request: Request<GetAgencyPlanRequest>,
    ) -> Result<Response<proto::AgencyPlan>, Status> {
        let caller = caller_of(&request)?;
        Ok(Response::new(
            self.get(request.into_inner(), &caller).await?,
        ))
    }

    #[instrument(skip_all, fields(plan = %request.get_ref().plan_code, governing_body = %request.get_ref().governing_body_code))]
    async fn list_agency_plans(
        &self,
        request: Request<ListAgencyPlansRequest>,
    ) -> Result<Response<proto::ListAgencyPlansResponse>, Status> {
        let caller = caller_of(&request)?;
        Ok(Response::new(
            self.list(request.into_inner(), &caller).await?,
        ))
    }

    #[instrument(skip_all, fields(agency = %request.get_ref().agency_code, plan = %request.get_ref().plan_code, period = %request.get_ref().period_code))]
    async fn get_agency_plan_progress(
        &self,
        request: Request<GetAgencyPlanProgressRequest>,
    ) -> Result<Response<proto::AgencyPlanProgress>, Status> {
        let caller = caller_of(&request)?;
        Ok(Response::new(
            self.progress(request.into_inner(), &caller).await?,
        ))
    }
}
