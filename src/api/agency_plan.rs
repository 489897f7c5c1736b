//! AgencyPlanService: each press agency's own plan under a plan of the catalogue, checked against
//! that plan (domain::agency_plan), kept with every revision, approved or returned by the
//! agency's governing body, and read against the agency's reports beside its province's figure.

use std::collections::{BTreeSet, HashSet};
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use tonic::{Request, Response, Status};
use tracing::{info, instrument};

use super::access::caller_of;
use super::convert::{as_of_date, timestamp};
use super::summary::{standing_to_proto, summary_to_proto};
use crate::app::Caller;
use crate::app::access;
use crate::app::names::{find_period, find_plan, require_reporting_agency};
use crate::app::off_the_workers;
use crate::app::{App, AppError, ReadModel};
use crate::domain::Catalog;
use crate::domain::access::{Principal, Role};
use crate::domain::agency_plan::{
    AgencyPlanContent, AgencyPlanDraft, CommitmentDraft, CommitmentStanding, CommitmentValue,
    TaskDraft, ValueDraft, commitment_key, progress, task_key,
};
use crate::domain::formats::{Field, check_fields};
use crate::domain::naming::echo;
use crate::domain::organization::OrganizationKind;
use crate::domain::period::today_in_vietnam;
use crate::domain::plan::{Plan, TargetRule};
use crate::domain::scope::{Boundaries, Scope};
use crate::domain::stored_forms::AgencyPlanForm;
use crate::domain::summary::{PeriodAndScope, summarize};
use crate::domain::violation::FieldViolation;
use crate::proto::agency_plan_service_server::AgencyPlanService;
use crate::proto::{
    self, DecideAgencyPlanRequest, GetAgencyPlanProgressRequest, GetAgencyPlanRequest,
    ListAgencyPlansRequest, SubmitAgencyPlanRequest, commitment,
};
use crate::store::{
    AgencyPlanHistory, AgencyPlanState, NewAgencyPlan, NewPlanDecision, PlanDecided, PlanDecision,
    PlanReason, Store, StoredAgencyPlan, StoredPlanDecision,
};

/// A decision's reason is a paragraph.
use crate::domain::limits::{
    MAX_FIELD_PATH_CHARS, MAX_PARAGRAPH_CHARS as MAX_REASON_CHARS, MAX_REASONS,
};

#[derive(Clone)]
pub struct AgencyPlanApi {
    read_model: Arc<ReadModel>,
    store: Store,
}

impl AgencyPlanApi {
    pub fn new(app: &App) -> AgencyPlanApi {
        AgencyPlanApi {
            read_model: app.read_model().clone(),
            store: app.store().clone(),
        }
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
        let catalog = self.read_model.catalog(Some(caller.counters())).await?;
        let plan = find_plan(&catalog, &request.plan_code)?;
        let agency_code = request.agency_code.as_str();
        let today = today_in_vietnam();
        let province = agency_province_on(&catalog, agency_code, today).ok_or_else(|| {
            AppError::invalid_argument(
                "agency_code",
                format!(
                    "{} is not a press agency existing on {today}",
                    echo(agency_code)
                ),
            )
        })?;
        let principal = &caller.principal();
        let may_write = match principal.role {
            Role::Agency => principal.organization.as_deref() == Some(agency_code),
            Role::Province => principal.reach_on(&catalog, today).contains(agency_code),
            Role::GoverningBody | Role::Ministry | Role::Admin => false,
        };
        if !may_write {
            return Err(AppError::out_of_reach(format!(
                "{principal} may not write the plan of {}: an agency writes its own, or its \
                 province enters it",
                echo(agency_code)
            )));
        }
        if !plan_is_for(&catalog, plan, province.as_deref()) {
            return Err(AppError::invalid_argument(
                "plan_code",
                format!(
                    "plan {} is for province {}, and {} is in {} on {today}",
                    plan.code,
                    plan.province_code.as_deref().unwrap_or_default(),
                    agency_code,
                    province.as_deref().unwrap_or("no province")
                ),
            ));
        }
        let content = AgencyPlanContent::parse(draft_of(&request), plan)
            .map_err(AppError::InvalidArgument)?;
        let content_hash = content.content_hash(agency_code, &plan.code);
        let mut receipt = proto::AgencyPlanReceipt {
            id: 0,
            agency_code: agency_code.to_string(),
            plan_code: plan.code.clone(),
            revision: 0,
            received_at: Some(timestamp(Utc::now())),
            content_hash: content_hash.clone(),
            replayed: false,
            validated_only: request.validate_only,
        };
        if request.validate_only {
            return Ok(receipt);
        }
        let submitted_by = principal.to_string();
        let stored = self
            .store
            .submit_agency_plan(NewAgencyPlan {
                agency_code,
                plan_code: &plan.code,
                request_id: request.request_id.trim(),
                form: &AgencyPlanForm::of(&content),
                content_hash: &content_hash,
                submitted_by: &submitted_by,
            })
            .await?;
        let (stored, replayed) = stored.stored_or(|taken| AppError::RequestIdReused {
            submission_id: (taken.agency_code == agency_code).then_some(taken.id),
            request_id: taken.request_id,
        })?;
        info!(
            agency = %agency_code,
            plan = %plan.code,
            revision = stored.revision,
            replayed,
            "agency plan stored"
        );
        receipt.id = stored.id;
        receipt.revision = stored.revision;
        receipt.received_at = Some(timestamp(stored.received_at));
        receipt.replayed = replayed;
        Ok(receipt)
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

        // Whose plan: a missing one is refused like one out of reach.
        let principal = &caller.principal();
        let id = request.agency_plan_id;
        let out_of_reach = || {
            AppError::out_of_reach(format!(
                "{principal} does not decide on agency plan {id}: a governing body decides on \
                 the plans of its own agencies"
            ))
        };
        let stored = self
            .store
            .agency_plan_by_id(id)
            .await?
            .ok_or_else(out_of_reach)?;
        let catalog = self.read_model.catalog(Some(caller.counters())).await?;
        if !governs_on(&catalog, principal, &stored.agency_code, today_in_vietnam()) {
            return Err(out_of_reach());
        }

        // The reasons' fields, against what the revision says.
        let content = decoded(&stored);
        let entries: HashSet<String> = content
            .commitments
            .iter()
            .map(|commitment| commitment_key(&commitment.target_code, commitment.year))
            .chain(content.tasks.iter().map(|task| task_key(&task.code)))
            .collect();
        let reasons: Vec<PlanReason> = request
            .reasons
            .iter()
            .map(|reason| PlanReason {
                field: reason.field.trim().to_string(),
                reason: reason.reason.trim().to_string(),
            })
            .collect();
        let unknown: Vec<FieldViolation> = reasons
            .iter()
            .enumerate()
            .filter(|(_, reason)| !reason.field.is_empty() && !entries.contains(&reason.field))
            .map(|(index, reason)| {
                FieldViolation::new(
                    format!("reasons[{index}].field"),
                    format!(
                        "{} is not an entry of revision {}: \"commitments[TARGET/YEAR]\", \
                         \"tasks[CODE]\", or empty for the plan as a whole",
                        echo(&reason.field),
                        stored.revision
                    ),
                )
            })
            .collect();
        if !unknown.is_empty() {
            return Err(AppError::InvalidArgument(unknown));
        }
        // An approved revision becomes the plan in force, read against the catalogue as it is
        // now: one that no longer fits it (a target removed or its rule changed since) may be
        // returned, never approved.
        if decision == PlanDecision::Approve {
            let plan = find_plan(&catalog, &stored.plan_code)?;
            if let Err(violations) = AgencyPlanContent::parse(draft_of(&content), plan) {
                return Err(outdated(&stored, &plan.code, violations.len()));
            }
        }

        let decided_by = principal.to_string();
        match self
            .store
            .decide_agency_plan(NewPlanDecision {
                agency_plan_id: id,
                decision,
                reasons: &reasons,
                decided_by: &decided_by,
            })
            .await?
        {
            PlanDecided::Recorded(recorded) => {
                info!(
                    agency_plan = id,
                    decision = recorded.decision.as_str(),
                    "agency plan decided"
                );
                Ok(recorded)
            }
            PlanDecided::Superseded { latest_id } => Err(AppError::FailedPrecondition {
                reason: "REVISION_SUPERSEDED",
                subject: format!("agency-plans/{latest_id}"),
                message: format!(
                    "agency plan {id} is not the latest revision of {} under {} any more: \
                     decide on agency plan {latest_id}",
                    stored.agency_code, stored.plan_code
                ),
            }),
            PlanDecided::NoSuchPlan => Err(out_of_reach()),
        }
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
        let catalog = self.read_model.catalog(Some(caller.counters())).await?;
        let plan_code = request.plan_code.as_str();
        let agency_code = request.agency_code.as_str();
        let principal = &caller.principal();
        let reaches_today = principal
            .reach_on(&catalog, today_in_vietnam())
            .contains(agency_code);
        let revision = (request.revision > 0).then_some(request.revision);
        // Looked up by the code as asked, before the catalogue is asked whether the plan exists:
        // a code it does not have stores nothing, and the answer must not tell a caller out of
        // reach which plans exist.
        let stored = self
            .store
            .agency_plan(agency_code, plan_code, revision)
            .await?;
        // Checked before saying whether a plan or a revision exists: the day it was received
        // reaches it too, so that a merged agency's province still reads the plans it approved.
        let reaches = reaches_today
            || stored.as_ref().is_some_and(|stored| {
                principal
                    .reach_on(&catalog, received_day(stored.received_at))
                    .contains(agency_code)
            });
        if !reaches {
            return Err(AppError::out_of_reach(format!(
                "{principal} does not reach {}",
                echo(agency_code)
            )));
        }
        let plan = find_plan(&catalog, plan_code)?;
        let stored = stored.ok_or_else(|| {
            AppError::not_found(
                "AGENCY_PLAN_NOT_FOUND",
                format!(
                    "{} has no plan under {}{}",
                    echo(agency_code),
                    plan.code,
                    revision
                        .map(|revision| format!(" in revision {revision}"))
                        .unwrap_or_default()
                ),
            )
        })?;
        let decisions = self.store.agency_plan_decisions(stored.id).await?;
        let history = self.history(&plan.code, agency_code).await?;
        let content = decoded(&stored);
        Ok(proto::AgencyPlan {
            receipt: Some(stored_receipt(&stored)),
            commitments: content.commitments,
            tasks: content.tasks,
            submitted_by: stored.submitted_by.clone(),
            state: state_to_proto(state_of(&decisions)).into(),
            decisions: decisions.iter().map(decision_to_proto).collect(),
            latest_revision: history.map_or(0, |history| history.latest_revision),
            plan_in_force_revision: history
                .and_then(|history| history.in_force)
                .map_or(0, |(_, revision)| revision),
        })
    }

    /// Where one agency's plan under `plan_code` stands, if it has one.
    async fn history(
        &self,
        plan_code: &str,
        agency_code: &str,
    ) -> Result<Option<AgencyPlanHistory>, AppError> {
        Ok(self
            .store
            .agency_plan_histories(plan_code, &[agency_code.to_string()])
            .await?
            .remove(agency_code))
    }

    async fn list(
        &self,
        request: ListAgencyPlansRequest,
        caller: &Caller,
    ) -> Result<proto::ListAgencyPlansResponse, AppError> {
        let principal = &caller.principal();
        let own = (principal.role == Role::GoverningBody)
            .then(|| principal.organization.clone())
            .flatten();
        let governing_body_code = match request.governing_body_code.as_str() {
            "" => own.unwrap_or_default(),
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
        let catalog = self.read_model.catalog(Some(caller.counters())).await?;
        let plan = find_plan(&catalog, &request.plan_code)?;
        let is_governing_body = catalog
            .organization(&governing_body_code)
            .is_some_and(|organization| organization.kind == OrganizationKind::GoverningBody);
        if !is_governing_body {
            return Err(AppError::invalid_argument(
                "governing_body_code",
                format!(
                    "{} is not a governing body of the catalogue",
                    echo(&governing_body_code)
                ),
            ));
        }
        let agencies =
            Scope::GoverningBody(governing_body_code.clone()).lineage_on(&catalog, as_of);
        let reach = principal.reach_on(&catalog, as_of);
        if let Some((outside, _)) = agencies
            .iter()
            .find(|(agency, _)| !reach.contains(&agency.code))
        {
            return Err(AppError::out_of_reach(format!(
                "{principal} does not reach {} of {governing_body_code} on {as_of}",
                outside.code
            )));
        }
        let codes: Vec<String> = agencies
            .iter()
            .map(|(agency, _)| agency.code.clone())
            .collect();
        let histories = self.store.agency_plan_histories(&plan.code, &codes).await?;
        let mut response = proto::ListAgencyPlansResponse {
            plan_code: plan.code.clone(),
            governing_body_code,
            as_of: as_of.to_string(),
            ..Default::default()
        };
        for (agency, version) in &agencies {
            let history = histories.get(&agency.code);
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
                agency_code: agency.code.clone(),
                agency_name: version.name.clone(),
                state: state.into(),
                latest_revision: history.map_or(0, |history| history.latest_revision),
                latest_agency_plan_id: history.map_or(0, |history| history.latest_id),
                plan_in_force_revision: in_force.map_or(0, |(_, revision)| revision),
            });
        }
        Ok(response)
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
        let view = self.read_model.current(Some(caller.counters())).await?;
        let catalog = view.catalog.clone();
        let plan = find_plan(&catalog, &request.plan_code)?.clone();
        let period = find_period(&catalog, &request.period_code)?.clone();
        let agency_code = request.agency_code.clone();
        require_reporting_agency(&catalog, &agency_code, &period)?;
        let principal = caller.principal().clone();
        if access::read_agency(caller, &catalog, &agency_code, &period).is_none() {
            return Err(AppError::out_of_reach(format!(
                "{principal} does not reach {} in {}",
                echo(&agency_code),
                period.code
            )));
        }

        // The revision read: the one asked, or the plan in force.
        let not_found = || {
            AppError::not_found(
                "AGENCY_PLAN_NOT_FOUND",
                format!(
                    "{} has no plan under {}{}",
                    echo(&agency_code),
                    plan.code,
                    if request.revision > 0 {
                        format!(" in revision {}", request.revision)
                    } else {
                        String::new()
                    }
                ),
            )
        };
        let stored = if request.revision > 0 {
            self.store
                .agency_plan(&agency_code, &plan.code, Some(request.revision))
                .await?
                .ok_or_else(not_found)?
        } else {
            let history = self
                .history(&plan.code, &agency_code)
                .await?
                .ok_or_else(not_found)?;
            let Some((in_force_id, _)) = history.in_force else {
                return Err(AppError::FailedPrecondition {
                    reason: "AGENCY_PLAN_NOT_APPROVED",
                    subject: format!("agency-plans/{}", history.latest_id),
                    message: format!(
                        "{agency_code} has no approved plan under {}: its governing body has \
                         not approved revision {}",
                        plan.code, history.latest_revision
                    ),
                });
            };
            self.store
                .agency_plan_by_id(in_force_id)
                .await?
                .ok_or_else(not_found)?
        };
        let decisions = self.store.agency_plan_decisions(stored.id).await?;
        let content = AgencyPlanContent::parse(draft_of(&decoded(&stored)), &plan)
            .map_err(|violations| outdated(&stored, &plan.code, violations.len()))?;

        let (agency_plan_id, revision) = (stored.id, stored.revision);
        let state = state_to_proto(state_of(&decisions));
        let reports = view.reports.clone();
        let data_as_of = reports.data_as_of;
        let seer = caller.clone();
        off_the_workers(move || {
            let (targets, reads) =
                progress(&catalog, &reports, &plan, &content, &period, &agency_code);
            if access::see_reports(&seer, &catalog, &reads).is_none() {
                return Err(AppError::out_of_reach(format!(
                    "{principal} does not reach every report behind {agency_code}'s values"
                )));
            }
            let version = catalog
                .organization(&agency_code)
                .and_then(|agency| agency.version_on(period.reference_date()));
            let agency_name = version
                .map(|version| version.name.clone())
                .unwrap_or_default();
            let province_code = version.and_then(|version| version.province_code.clone());
            // The province's figures, shown only to whom SummaryService would show them.
            let province_summaries = province_code.as_ref().and_then(|province| {
                let committed: Vec<_> = targets.iter().map(|progress| progress.target).collect();
                let scope = Scope::Province(province.clone());
                let about = PeriodAndScope {
                    period: &period,
                    scope: &scope,
                    boundaries: Boundaries::Historical,
                };
                let (summaries, reads) =
                    summarize(&catalog, &reports, &plan, &committed, about, false);
                access::see_reports(&seer, &catalog, &reads)
                    .map(|_| summaries.iter().map(summary_to_proto).collect::<Vec<_>>())
            });
            let targets = targets
                .iter()
                .enumerate()
                .map(|(index, progress)| {
                    target_progress_to_proto(
                        progress,
                        &period,
                        province_summaries
                            .as_ref()
                            .and_then(|summaries| summaries.get(index).cloned()),
                    )
                })
                .collect();
            Ok(proto::AgencyPlanProgress {
                agency_code: agency_code.clone(),
                agency_name,
                plan_code: plan.code.clone(),
                period_code: period.code.clone(),
                year: period.year,
                agency_plan_id,
                revision,
                state: state.into(),
                province_code: province_code.unwrap_or_default(),
                targets,
                data_as_of,
            })
        })
        .await
    }
}

/// The agency's province on `on`, if it is a press agency existing then (`Some(None)` for one in
/// no province); `None` otherwise.
fn agency_province_on(
    catalog: &Catalog,
    agency_code: &str,
    on: NaiveDate,
) -> Option<Option<String>> {
    let agency = catalog.organization(agency_code)?;
    if agency.kind != OrganizationKind::PressAgency {
        return None;
    }
    agency
        .version_on(on)
        .map(|version| version.province_code.clone())
}

/// Whether a plan is one an agency in `province` writes its own under: a national plan, or its
/// province's, or that of a province its province continues through predecessor links.
fn plan_is_for(catalog: &Catalog, plan: &Plan, province: Option<&str>) -> bool {
    let Some(plan_province) = plan.province_code.as_deref() else {
        return true;
    };
    let Some(province) = province else {
        return false;
    };
    let mut seen = BTreeSet::new();
    let mut next = vec![province.to_string()];
    while let Some(code) = next.pop() {
        if code == plan_province {
            return true;
        }
        if seen.insert(code.clone()) {
            next.extend(
                catalog
                    .links_to(&code)
                    .iter()
                    .map(|link| link.predecessor_code.clone()),
            );
        }
    }
    false
}

/// Whether the principal is the agency's governing body on `on`.
fn governs_on(catalog: &Catalog, principal: &Principal, agency_code: &str, on: NaiveDate) -> bool {
    principal.role == Role::GoverningBody
        && catalog
            .organization(agency_code)
            .and_then(|agency| agency.version_on(on))
            .and_then(|version| version.governing_body_code.as_deref())
            .is_some_and(|code| principal.organization.as_deref() == Some(code))
}

/// The day an instant falls on in Vietnam.
fn received_day(instant: DateTime<Utc>) -> NaiveDate {
    instant
        .with_timezone(&crate::domain::period::vietnam_time())
        .date_naive()
}

/// The draft a request carries, its strings trimmed.
/// The refusal of a revision that no longer fits its plan as the catalogue holds it now.
fn outdated(stored: &StoredAgencyPlan, plan_code: &str, problems: usize) -> AppError {
    AppError::FailedPrecondition {
        reason: "AGENCY_PLAN_OUTDATED",
        subject: format!("agency-plans/{}", stored.id),
        message: format!(
            "revision {} no longer fits plan {plan_code} as the catalogue holds it now \
             ({problems} problems): submit a new revision",
            stored.revision
        ),
    }
}

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

/// A stored plan as the request that would send it again.
fn content_of(
    form: &AgencyPlanForm,
    agency_code: &str,
    plan_code: &str,
) -> SubmitAgencyPlanRequest {
    SubmitAgencyPlanRequest {
        request_id: String::new(),
        agency_code: agency_code.to_string(),
        plan_code: plan_code.to_string(),
        commitments: form
            .commitments
            .iter()
            .map(|commitment| {
                commitment_to_proto(&commitment.target_code, commitment.year, commitment.value)
            })
            .collect(),
        tasks: form
            .tasks
            .iter()
            .map(|task| proto::AgencyTask {
                code: task.code.clone(),
                name: task.name.clone(),
                due_on: task.due_on.to_string(),
                expected_output: task.expected_output.clone(),
            })
            .collect(),
        validate_only: false,
    }
}

/// A stored revision's content, as it was sent (in canonical order).
fn decoded(stored: &StoredAgencyPlan) -> SubmitAgencyPlanRequest {
    content_of(&stored.form, &stored.agency_code, &stored.plan_code)
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

/// A revision's state: its latest decision's, awaiting approval without one.
fn state_of(decisions: &[StoredPlanDecision]) -> AgencyPlanState {
    AgencyPlanState::of(decisions.last().map(|decision| decision.decision))
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
