//! Agency plans: an agency's own plan against a catalogue plan, its revisions, and its governing
//! body's decisions; and the agency's progress against the plan in force, beside its province's
//! figure.

mod requests;

use std::collections::{BTreeSet, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use tracing::info;

use super::access::{self, AgencyPlanLister, PlanWriter};
use super::authentication::Caller;
use super::blocking::off_the_workers;
use super::error::AppError;
use super::names::{find_period, find_plan, require_reporting_agency};
use super::state::App;
use super::tasks::KeptRevision;
use crate::domain::Catalog;
use crate::domain::agency_plan::{
    AgencyPlanContent, AgencyPlanDraft, CommitmentDraft, CommitmentValue, TargetProgress,
    TaskDraft, ValueDraft, commitment_key, progress, task_key,
};
use crate::domain::naming::echo;
use crate::domain::organization::OrganizationKind;
use crate::domain::period::{Period, today_in_vietnam, vietnam_time};
use crate::domain::plan::Plan;
use crate::domain::scope::{Boundaries, Scope};
use crate::domain::stored_forms::AgencyPlanForm;
use crate::domain::summary::{PeriodAndScope, TargetSummary, summarize};
use crate::domain::violation::FieldViolation;
use crate::store::{NewAgencyPlan, NewPlanDecision, PlanDecided};
pub use requests::PlanReceipt;

pub use crate::store::{
    AgencyPlanHistory, AgencyPlanState, PlanDecision, PlanReason, StoredAgencyPlan,
    StoredPlanDecision,
};

/// One revision of an agency's plan as it is read: the revision, its decisions (oldest first),
/// the state they leave it in, and where the agency's plan under that plan code stands.
#[derive(Debug, Clone)]
pub struct AgencyPlanRead {
    pub stored: StoredAgencyPlan,
    pub decisions: Vec<StoredPlanDecision>,
    pub state: AgencyPlanState,
    pub history: Option<AgencyPlanHistory>,
}

/// Where the plans of a governing body's agencies stand on one day, agency by agency.
#[derive(Debug, Clone)]
pub struct AgencyPlanList {
    pub plan_code: String,
    pub governing_body_code: String,
    pub as_of: NaiveDate,
    pub agencies: Vec<AgencyPlanStanding>,
}

#[derive(Debug, Clone)]
pub struct AgencyPlanStanding {
    pub agency_code: String,
    pub agency_name: String,
    /// `None` when the agency has no plan under the plan code.
    pub history: Option<AgencyPlanHistory>,
}

/// An agency's progress against one revision of its plan in a period, target by target in the
/// plan's order.
pub struct AgencyPlanProgress<'a> {
    pub agency_code: &'a str,
    pub agency_name: String,
    pub plan: &'a Plan,
    pub period: &'a Period,
    pub agency_plan_id: i64,
    pub revision: i32,
    pub state: AgencyPlanState,
    pub province_code: Option<String>,
    pub targets: Vec<TargetProgress<'a>>,
    /// The province's figure of each target, in the same order: only for whom SummaryService
    /// would show them.
    pub province_summaries: Option<Vec<TargetSummary>>,
    pub data_as_of: i64,
}

impl App {
    /// Checks an agency's plan against catalogue plan `plan_code` and, unless only validating,
    /// keeps it as the agency's next revision (or answers the revision its request id already
    /// made, for the same content).
    pub async fn submit_agency_plan(
        &self,
        caller: &Caller,
        agency_code: &str,
        plan_code: &str,
        request_id: &str,
        draft: AgencyPlanDraft,
        validate_only: bool,
    ) -> Result<PlanReceipt, AppError> {
        let catalog = self.read_model.catalog(Some(caller.counters())).await?;
        let plan = find_plan(&catalog, plan_code)?;
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
        let Some(writer) = access::write_agency_plan(caller, &catalog, agency_code, today) else {
            return Err(AppError::out_of_reach(format!(
                "{} may not write the plan of {}: an agency writes its own, or its province \
                 enters it",
                caller.principal(),
                echo(agency_code)
            )));
        };
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
        let content = AgencyPlanContent::parse(draft, plan).map_err(AppError::InvalidArgument)?;
        let mut receipt = PlanReceipt {
            agency_code: agency_code.to_string(),
            plan_code: plan.code.clone(),
            content_hash: content.content_hash(agency_code, &plan.code),
            received_at: Utc::now(),
            kept: None,
        };
        if validate_only {
            return Ok(receipt);
        }
        let (stored, replayed) = self
            .keep_agency_plan(caller, &writer, &receipt, &content, request_id.trim())
            .await?;
        info!(
            agency = %agency_code,
            plan = %plan.code,
            revision = stored.revision,
            replayed,
            "agency plan stored"
        );
        receipt.received_at = stored.received_at;
        receipt.kept = Some(KeptRevision {
            id: stored.id,
            revision: stored.revision,
            replayed,
        });
        Ok(receipt)
    }

    /// Stores `content` as the next revision of the plan `writer` writes: the row, and whether
    /// it was a replay.
    async fn keep_agency_plan(
        &self,
        caller: &Caller,
        writer: &PlanWriter,
        receipt: &PlanReceipt,
        content: &AgencyPlanContent,
        request_id: &str,
    ) -> Result<(StoredAgencyPlan, bool), AppError> {
        let agency_code = writer.agency_code();
        let submitted_by = caller.principal().to_string();
        let stored = self
            .store
            .submit_agency_plan(NewAgencyPlan {
                agency_code,
                plan_code: &receipt.plan_code,
                request_id,
                form: &AgencyPlanForm::of(content),
                content_hash: &receipt.content_hash,
                submitted_by: &submitted_by,
            })
            .await?;
        stored.stored_or(|taken| AppError::RequestIdReused {
            submission_id: (taken.agency_code == agency_code).then_some(taken.id),
            request_id: taken.request_id,
        })
    }

    /// Records a governing body's decision on revision `agency_plan_id`, its reasons naming
    /// entries of that revision (or, empty, the plan as a whole).
    pub async fn decide_agency_plan(
        &self,
        caller: &Caller,
        agency_plan_id: i64,
        decision: PlanDecision,
        reasons: Vec<PlanReason>,
    ) -> Result<StoredPlanDecision, AppError> {
        // Whose plan: a missing one is refused like one out of reach.
        let id = agency_plan_id;
        let out_of_reach = || {
            AppError::out_of_reach(format!(
                "{} does not decide on agency plan {id}: a governing body decides on the plans \
                 of its own agencies",
                caller.principal()
            ))
        };
        let stored = self
            .store
            .agency_plan_by_id(id)
            .await?
            .ok_or_else(out_of_reach)?;
        let catalog = self.read_model.catalog(Some(caller.counters())).await?;
        let decider = access::decide_agency_plan(
            caller,
            &catalog,
            id,
            &stored.agency_code,
            today_in_vietnam(),
        )
        .ok_or_else(out_of_reach)?;

        // The reasons' fields, against what the revision says.
        let entries: HashSet<String> = stored
            .form
            .commitments
            .iter()
            .map(|commitment| commitment_key(&commitment.target_code, commitment.year))
            .chain(stored.form.tasks.iter().map(|task| task_key(&task.code)))
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
            if let Err(violations) = AgencyPlanContent::parse(draft_of_form(&stored.form), plan) {
                return Err(outdated(&stored, &plan.code, violations.len()));
            }
        }

        let decided_by = caller.principal().to_string();
        match self
            .store
            .decide_agency_plan(NewPlanDecision {
                agency_plan_id: decider.agency_plan_id(),
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

    /// The plan of `agency_code` under `plan_code`: its latest revision, or `revision`.
    pub async fn agency_plan(
        &self,
        caller: &Caller,
        agency_code: &str,
        plan_code: &str,
        revision: Option<i32>,
    ) -> Result<AgencyPlanRead, AppError> {
        let catalog = self.read_model.catalog(Some(caller.counters())).await?;
        // Looked up by the code as asked, before the catalogue is asked whether the plan exists:
        // a code it does not have stores nothing, and the answer must not tell a caller out of
        // reach which plans exist. The day the revision was received decides who reads it.
        let stored = self
            .store
            .agency_plan(agency_code, plan_code, revision)
            .await?;
        // Checked before saying whether a plan or a revision exists.
        let received_on = stored
            .as_ref()
            .map(|stored| received_day(stored.received_at));
        let Some(reader) = access::read_agency_plan(
            caller,
            &catalog,
            agency_code,
            today_in_vietnam(),
            received_on,
        ) else {
            return Err(AppError::out_of_reach(format!(
                "{} does not reach {}",
                caller.principal(),
                echo(agency_code)
            )));
        };
        let plan = find_plan(&catalog, plan_code)?;
        let stored = stored.ok_or_else(|| no_agency_plan(agency_code, &plan.code, revision))?;
        let decisions = self.store.agency_plan_decisions(stored.id).await?;
        let history = self.history(&plan.code, reader.agency_code()).await?;
        Ok(AgencyPlanRead {
            stored,
            state: state_of(&decisions),
            decisions,
            history,
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

    /// Where the plans of the agencies of `governing_body_code` under `plan_code` stand on
    /// `as_of`.
    pub async fn agency_plans(
        &self,
        caller: &Caller,
        plan_code: &str,
        governing_body_code: &str,
        as_of: NaiveDate,
    ) -> Result<AgencyPlanList, AppError> {
        let catalog = self.read_model.catalog(Some(caller.counters())).await?;
        let plan = find_plan(&catalog, plan_code)?;
        let is_governing_body = catalog
            .organization(governing_body_code)
            .is_some_and(|organization| organization.kind == OrganizationKind::GoverningBody);
        if !is_governing_body {
            return Err(AppError::invalid_argument(
                "governing_body_code",
                format!(
                    "{} is not a governing body of the catalogue",
                    echo(governing_body_code)
                ),
            ));
        }
        let lister = access::list_agency_plans(caller, &catalog, governing_body_code, as_of)
            .map_err(|outside| {
                AppError::out_of_reach(format!(
                    "{} does not reach {} of {governing_body_code} on {as_of}",
                    caller.principal(),
                    outside.agency_code
                ))
            })?;
        self.list_standings(&lister, &catalog, plan).await
    }

    async fn list_standings(
        &self,
        lister: &AgencyPlanLister,
        catalog: &Catalog,
        plan: &Plan,
    ) -> Result<AgencyPlanList, AppError> {
        let agencies = Scope::GoverningBody(lister.governing_body_code().to_string())
            .lineage_on(catalog, lister.as_of());
        let codes: Vec<String> = agencies
            .iter()
            .map(|(agency, _)| agency.code.clone())
            .collect();
        let mut histories = self.store.agency_plan_histories(&plan.code, &codes).await?;
        Ok(AgencyPlanList {
            plan_code: plan.code.clone(),
            governing_body_code: lister.governing_body_code().to_string(),
            as_of: lister.as_of(),
            agencies: agencies
                .iter()
                .map(|(agency, version)| AgencyPlanStanding {
                    agency_code: agency.code.clone(),
                    agency_name: version.name.clone(),
                    history: histories.remove(&agency.code),
                })
                .collect(),
        })
    }

    /// An agency's progress in period `period_code` against its plan under `plan_code` (the
    /// plan in force, or `revision`), handed to `present` on tokio's blocking threads, where
    /// the figures are computed (it borrows what they are computed from).
    pub async fn agency_plan_progress<T: Send + 'static>(
        &self,
        caller: &Caller,
        agency_code: &str,
        plan_code: &str,
        period_code: &str,
        revision: Option<i32>,
        present: impl FnOnce(&AgencyPlanProgress<'_>) -> T + Send + 'static,
    ) -> Result<T, AppError> {
        let view = self.read_model.current(Some(caller.counters())).await?;
        let catalog = view.catalog.clone();
        let plan = find_plan(&catalog, plan_code)?.clone();
        let period = find_period(&catalog, period_code)?.clone();
        require_reporting_agency(&catalog, agency_code, &period)?;
        let Some(reader) = access::read_agency(caller, &catalog, agency_code, &period) else {
            return Err(AppError::out_of_reach(format!(
                "{} does not reach {} in {}",
                caller.principal(),
                echo(agency_code),
                period.code
            )));
        };

        // The revision read: the one asked, or the plan in force.
        let not_found = || no_agency_plan(agency_code, &plan.code, revision);
        let stored = match revision {
            Some(revision) => self
                .store
                .agency_plan(reader.agency_code(), &plan.code, Some(revision))
                .await?
                .ok_or_else(not_found)?,
            None => {
                let history = self
                    .history(&plan.code, reader.agency_code())
                    .await?
                    .ok_or_else(not_found)?;
                let Some((in_force_id, _)) = history.in_force else {
                    return Err(AppError::FailedPrecondition {
                        reason: "AGENCY_PLAN_NOT_APPROVED",
                        subject: format!("agency-plans/{}", history.latest_id),
                        message: format!(
                            "{agency_code} has no approved plan under {}: its governing body \
                             has not approved revision {}",
                            plan.code, history.latest_revision
                        ),
                    });
                };
                self.store
                    .agency_plan_by_id(in_force_id)
                    .await?
                    .ok_or_else(not_found)?
            }
        };
        let decisions = self.store.agency_plan_decisions(stored.id).await?;
        let content = AgencyPlanContent::parse(draft_of_form(&stored.form), &plan)
            .map_err(|violations| outdated(&stored, &plan.code, violations.len()))?;

        let (agency_plan_id, revision) = (stored.id, stored.revision);
        let state = state_of(&decisions);
        let reports = view.reports.clone();
        let agency_code = agency_code.to_string();
        let seer = caller.clone();
        off_the_workers(move || {
            let (targets, reads) =
                progress(&catalog, &reports, &plan, &content, &period, &agency_code);
            if access::see_reports(&seer, &catalog, &reads).is_none() {
                return Err(AppError::out_of_reach(format!(
                    "{} does not reach every report behind {agency_code}'s values",
                    seer.principal()
                )));
            }
            let version = catalog
                .organization(&agency_code)
                .and_then(|agency| agency.version_on(period.reference_date()));
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
                access::see_reports(&seer, &catalog, &reads).map(|_| summaries)
            });
            Ok(present(&AgencyPlanProgress {
                agency_code: &agency_code,
                agency_name: version
                    .map(|version| version.name.clone())
                    .unwrap_or_default(),
                plan: &plan,
                period: &period,
                agency_plan_id,
                revision,
                state,
                province_code,
                targets,
                province_summaries,
                data_as_of: reports.data_as_of,
            }))
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

/// The day an instant falls on in Vietnam.
fn received_day(instant: DateTime<Utc>) -> NaiveDate {
    instant.with_timezone(&vietnam_time()).date_naive()
}

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

/// A stored revision as the draft that would send it again, to be checked against the plan as
/// the catalogue holds it now. A value beyond what the wire carries (i32) reads as the most it
/// carries, as a client resending it would have sent it.
fn draft_of_form(form: &AgencyPlanForm) -> AgencyPlanDraft {
    let as_sent = |bp: u32| i64::from(i32::try_from(bp).unwrap_or(i32::MAX));
    AgencyPlanDraft {
        commitments: form
            .commitments
            .iter()
            .map(|commitment| CommitmentDraft {
                target_code: commitment.target_code.clone(),
                year: commitment.year,
                value: Some(match commitment.value {
                    CommitmentValue::Meets(meets) => ValueDraft::Meets(meets),
                    CommitmentValue::GrowthBp(bp) => ValueDraft::GrowthBp(as_sent(bp)),
                    CommitmentValue::ShareBp(bp) => ValueDraft::ShareBp(as_sent(bp)),
                }),
            })
            .collect(),
        tasks: form
            .tasks
            .iter()
            .map(|task| TaskDraft {
                code: task.code.clone(),
                name: task.name.trim().to_string(),
                due_on: task.due_on.to_string(),
                expected_output: task.expected_output.trim().to_string(),
            })
            .collect(),
    }
}

/// A revision's state: its latest decision's, awaiting approval without one.
fn state_of(decisions: &[StoredPlanDecision]) -> AgencyPlanState {
    AgencyPlanState::of(decisions.last().map(|decision| decision.decision))
}

/// NOT_FOUND (AGENCY_PLAN_NOT_FOUND): the agency has no plan under `plan_code`, or not that
/// revision of it.
fn no_agency_plan(agency_code: &str, plan_code: &str, revision: Option<i32>) -> AppError {
    AppError::not_found(
        "AGENCY_PLAN_NOT_FOUND",
        format!(
            "{} has no plan under {plan_code}{}",
            echo(agency_code),
            revision
                .map(|revision| format!(" in revision {revision}"))
                .unwrap_or_default()
        ),
    )
}
