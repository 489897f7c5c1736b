//! Agencies' own plans: every revision an agency sends under a plan of the catalogue is kept, and
//! so is every decision its governing body takes on one (the latest of a revision in force). A
//! request id is taken once: the same content replays, other content is refused. Every write
//! goes in the same transaction as its audit entry, and `audit verify` checks each against it.
//!
//! What a plan says is stored in pressdx's own form (`domain::stored_forms`, form
//! `pressdx.agency-plan.stored.v1`), written and read here; whether it still fits the catalogue is
//! the API's and the domain's business.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, SecondsFormat, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::audit_chain::{self, AuditAction, AuditRecord};
use super::database::Store;
use super::entities::{agency_plan, agency_plan_decision};
use super::error::StoreError;
use super::revisions::{Revised, lost_to_concurrent};
use super::values::agency_plans::{NewAgencyPlan, NewPlanDecision, PlanDecision, PlanReason};
use crate::domain::canonical::sha256_hex;
use crate::domain::stored_forms::AgencyPlanForm;

/// One stored revision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredAgencyPlan {
    pub id: i64,
    pub agency_code: String,
    pub plan_code: String,
    pub revision: i32,
    pub request_id: String,
    /// What it says.
    pub form: AgencyPlanForm,
    /// As its receipt gave it.
    pub content_hash: String,
    pub received_at: DateTime<Utc>,
    /// Who sent it, as the audit log names them.
    pub submitted_by: String,
}

/// Where a revision stands: its latest decision, or none yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AgencyPlanState {
    AwaitingApproval,
    Approved,
    Returned,
}

impl AgencyPlanState {
    pub fn of(latest_decision: Option<PlanDecision>) -> AgencyPlanState {
        match latest_decision {
            None => AgencyPlanState::AwaitingApproval,
            Some(PlanDecision::Approve) => AgencyPlanState::Approved,
            Some(PlanDecision::Return) => AgencyPlanState::Returned,
        }
    }
}

/// A governing body's decision on one revision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredPlanDecision {
    pub id: i64,
    pub agency_plan_id: i64,
    pub agency_code: String,
    pub plan_code: String,
    pub revision: i32,
    pub decision: PlanDecision,
    pub reasons: Vec<PlanReason>,
    /// Who decided, as the audit log names them.
    pub decided_by: String,
    pub decided_at: DateTime<Utc>,
}

/// What became of a decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlanDecided {
    Recorded(StoredPlanDecision),
    /// The revision is not its agency's latest under the plan any more.
    Superseded {
        latest_id: i64,
    },
    NoSuchPlan,
}

/// Where an agency's plan under one plan code stands: its latest revision, that revision's
/// state, and the revision in force (the latest approved one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AgencyPlanHistory {
    pub latest_id: i64,
    pub latest_revision: i32,
    pub latest_state: AgencyPlanState,
    /// (id, revision) of the plan in force.
    pub in_force: Option<(i64, i32)>,
}

impl Store {
    /// Stores the next revision and its audit entry in one transaction, unless the request id was
    /// taken. Writers of any process queue for the write lock first, so concurrent
    /// ones are stored one after another.
    pub async fn submit_agency_plan(
        &self,
        new: NewAgencyPlan<'_>,
    ) -> Result<Revised<StoredAgencyPlan>, StoreError> {
        let now = Utc::now();
        let transaction = self.begin_write().await?;
        if let Some(taken) = agency_plan::Entity::find()
            .filter(agency_plan::Column::RequestId.eq(new.request_id))
            .one(&transaction)
            .await?
        {
            let taken = from_row(taken)?;
            let same = taken.content_hash == new.content_hash
                && taken.agency_code == new.agency_code
                && taken.plan_code == new.plan_code;
            return Ok(Revised::taken(taken, same));
        }
        let latest: Option<i32> = agency_plan::Entity::find()
            .select_only()
            .column_as(agency_plan::Column::Revision.max(), "revision")
            .filter(agency_plan::Column::AgencyCode.eq(new.agency_code))
            .filter(agency_plan::Column::PlanCode.eq(new.plan_code))
            .into_tuple::<Option<i32>>()
            .one(&transaction)
            .await?
            .flatten();
        let row = agency_plan::ActiveModel {
            id: sea_orm::NotSet,
            agency_code: sea_orm::Set(new.agency_code.to_string()),
            plan_code: sea_orm::Set(new.plan_code.to_string()),
            revision: sea_orm::Set(latest.unwrap_or(0) + 1),
            request_id: sea_orm::Set(new.request_id.to_string()),
            content: sea_orm::Set(new.form.to_stored()),
            content_hash: sea_orm::Set(new.content_hash.to_string()),
            received_at: sea_orm::Set(now),
            submitted_by: sea_orm::Set(new.submitted_by.to_string()),
        };
        let inserted = agency_plan::Entity::insert(row)
            .exec_with_returning(&transaction)
            .await
            .map_err(|error| {
                lost_to_concurrent(error, || {
                    format!(
                        "another plan of {} under {} was stored at the same time",
                        new.agency_code, new.plan_code
                    )
                })
            })?;
        audit_chain::append(&transaction, &[audit_record(&inserted)], now).await?;
        let stored = from_row(inserted)?;
        transaction.commit().await?;
        Ok(Revised::Stored(stored))
    }

    /// One revision by id.
    pub async fn agency_plan_by_id(&self, id: i64) -> Result<Option<StoredAgencyPlan>, StoreError> {
        agency_plan::Entity::find_by_id(id)
            .one(&self.db)
            .await?
            .map(from_row)
            .transpose()
    }

    /// An agency's plan under a plan code: the latest revision, or `revision`.
    pub async fn agency_plan(
        &self,
        agency_code: &str,
        plan_code: &str,
        revision: Option<i32>,
    ) -> Result<Option<StoredAgencyPlan>, StoreError> {
        let mut query = agency_plan::Entity::find()
            .filter(agency_plan::Column::AgencyCode.eq(agency_code))
            .filter(agency_plan::Column::PlanCode.eq(plan_code));
        if let Some(revision) = revision {
            query = query.filter(agency_plan::Column::Revision.eq(revision));
        }
        query
            .order_by_desc(agency_plan::Column::Revision)
            .one(&self.db)
            .await?
            .map(from_row)
            .transpose()
    }

    /// Records a decision and its audit entry in one transaction, if the revision is still its
    /// agency's latest under the plan.
    pub async fn decide_agency_plan(
        &self,
        new: NewPlanDecision<'_>,
    ) -> Result<PlanDecided, StoreError> {
        let now = Utc::now();
        let transaction = self.begin_write().await?;
        let Some(decided) = agency_plan::Entity::find_by_id(new.agency_plan_id)
            .one(&transaction)
            .await?
        else {
            return Ok(PlanDecided::NoSuchPlan);
        };
        let latest = agency_plan::Entity::find()
            .filter(agency_plan::Column::AgencyCode.eq(&decided.agency_code))
            .filter(agency_plan::Column::PlanCode.eq(&decided.plan_code))
            .order_by_desc(agency_plan::Column::Revision)
            .one(&transaction)
            .await?;
        if let Some(latest) = latest
            && latest.id != decided.id
        {
            return Ok(PlanDecided::Superseded {
                latest_id: latest.id,
            });
        }
        let reasons = serde_json::to_string(new.reasons)
            .map_err(|error| StoreError::Corrupt(format!("decision reasons: {error}")))?;
        let row = agency_plan_decision::ActiveModel {
            id: sea_orm::NotSet,
            agency_plan_id: sea_orm::Set(decided.id),
            agency_code: sea_orm::Set(decided.agency_code),
            plan_code: sea_orm::Set(decided.plan_code),
            revision: sea_orm::Set(decided.revision),
            decision: sea_orm::Set(new.decision.as_str().to_string()),
            reasons: sea_orm::Set(reasons),
            decided_by: sea_orm::Set(new.decided_by.to_string()),
            decided_at: sea_orm::Set(now),
        };
        let recorded = decision_from_row(
            agency_plan_decision::Entity::insert(row)
                .exec_with_returning(&transaction)
                .await?,
        )?;
        audit_chain::append(&transaction, &[decision_record(&recorded)], now).await?;
        transaction.commit().await?;
        Ok(PlanDecided::Recorded(recorded))
    }

    /// Every decision on a revision, oldest first.
    pub async fn agency_plan_decisions(
        &self,
        agency_plan_id: i64,
    ) -> Result<Vec<StoredPlanDecision>, StoreError> {
        agency_plan_decision::Entity::find()
            .filter(agency_plan_decision::Column::AgencyPlanId.eq(agency_plan_id))
            .order_by_asc(agency_plan_decision::Column::Id)
            .all(&self.db)
            .await?
            .into_iter()
            .map(decision_from_row)
            .collect()
    }

    /// Where the plans of these agencies under `plan_code` stand, for those that have one.
    pub async fn agency_plan_histories(
        &self,
        plan_code: &str,
        agency_codes: &[String],
    ) -> Result<HashMap<String, AgencyPlanHistory>, StoreError> {
        // (agency) -> revision -> id, and id -> latest decision.
        let mut revisions: HashMap<String, BTreeMap<i32, i64>> = HashMap::new();
        // In slices, so that a long list stays under every backend's limit of bound parameters.
        for some in agency_codes.chunks(500) {
            let rows: Vec<(i64, String, i32)> = agency_plan::Entity::find()
                .select_only()
                .column(agency_plan::Column::Id)
                .column(agency_plan::Column::AgencyCode)
                .column(agency_plan::Column::Revision)
                .filter(agency_plan::Column::PlanCode.eq(plan_code))
                .filter(agency_plan::Column::AgencyCode.is_in(some.to_vec()))
                .into_tuple()
                .all(&self.db)
                .await?;
            for (id, agency, revision) in rows {
                revisions.entry(agency).or_default().insert(revision, id);
            }
        }
        let mut latest_decisions: HashMap<i64, PlanDecision> = HashMap::new();
        for row in agency_plan_decision::Entity::find()
            .filter(agency_plan_decision::Column::PlanCode.eq(plan_code))
            .order_by_asc(agency_plan_decision::Column::Id)
            .all(&self.db)
            .await?
        {
            let decision = decision_from_row(row)?;
            latest_decisions.insert(decision.agency_plan_id, decision.decision);
        }
        Ok(revisions
            .into_iter()
            .filter_map(|(agency, by_revision)| {
                let (&latest_revision, &latest_id) = by_revision.last_key_value()?;
                let state_of = |id: &i64| AgencyPlanState::of(latest_decisions.get(id).copied());
                let in_force = by_revision
                    .iter()
                    .rev()
                    .find(|(_, id)| state_of(id) == AgencyPlanState::Approved)
                    .map(|(revision, id)| (*id, *revision));
                let history = AgencyPlanHistory {
                    latest_id,
                    latest_revision,
                    latest_state: state_of(&latest_id),
                    in_force,
                };
                Some((agency, history))
            })
            .collect())
    }
}

fn from_row(row: agency_plan::Model) -> Result<StoredAgencyPlan, StoreError> {
    let form = AgencyPlanForm::from_stored(&row.content)
        .map_err(|why| StoreError::Corrupt(format!("agency plan {}: {why}", row.id)))?;
    Ok(StoredAgencyPlan {
        id: row.id,
        agency_code: row.agency_code,
        plan_code: row.plan_code,
        revision: row.revision,
        request_id: row.request_id,
        form,
        content_hash: row.content_hash,
        received_at: row.received_at,
        submitted_by: row.submitted_by,
    })
}

fn decision_from_row(row: agency_plan_decision::Model) -> Result<StoredPlanDecision, StoreError> {
    let decision = PlanDecision::parse(&row.decision).ok_or_else(|| {
        StoreError::Corrupt(format!(
            "agency plan decision {}: decision {:?}",
            row.id, row.decision
        ))
    })?;
    let reasons = serde_json::from_str(&row.reasons).map_err(|error| {
        StoreError::Corrupt(format!("agency plan decision {}: reasons: {error}", row.id))
    })?;
    Ok(StoredPlanDecision {
        id: row.id,
        agency_plan_id: row.agency_plan_id,
        agency_code: row.agency_code,
        plan_code: row.plan_code,
        revision: row.revision,
        decision,
        reasons,
        decided_by: row.decided_by,
        decided_at: row.decided_at,
    })
}

/// The subject a revision's audit entry names.
fn subject(id: i64) -> String {
    format!("agency plan {id}")
}

/// The subject a decision's audit entry names.
fn decision_subject(id: i64) -> String {
    format!("agency plan decision {id}")
}

/// A revision's entry: its content hash covers everything the row says, its bytes hashed afresh.
pub(super) fn audit_record(row: &agency_plan::Model) -> AuditRecord {
    let content = serde_json::json!([
        row.id,
        row.agency_code,
        row.plan_code,
        row.revision,
        row.request_id,
        sha256_hex(&row.content),
        row.content_hash,
        row.received_at.to_rfc3339_opts(SecondsFormat::Micros, true),
        row.submitted_by,
    ]);
    AuditRecord {
        principal: row.submitted_by.clone(),
        action: AuditAction::AgencyPlanAccepted,
        subject: subject(row.id),
        request_id: row.request_id.clone(),
        content_hash: sha256_hex(content.to_string().as_bytes()),
    }
}

/// A decision's entry: its content hash covers everything the row says.
fn decision_record(decision: &StoredPlanDecision) -> AuditRecord {
    let content = serde_json::json!([
        decision.id,
        decision.agency_plan_id,
        decision.agency_code,
        decision.plan_code,
        decision.revision,
        decision.decision.as_str(),
        decision.reasons,
        decision.decided_by,
        decision
            .decided_at
            .to_rfc3339_opts(SecondsFormat::Micros, true),
    ]);
    AuditRecord {
        principal: decision.decided_by.clone(),
        action: AuditAction::AgencyPlanDecided,
        subject: decision_subject(decision.id),
        request_id: String::new(),
        content_hash: sha256_hex(content.to_string().as_bytes()),
    }
}

/// Every revision stored, as `audit_verify::check_recorded` compares it with its entry. A row
/// whose stored form does not read back, or does not hash to the content hash its receipt gave,
/// gives no content hash, so that it matches no entry: what it says is not what was accepted.
pub(super) async fn recorded_agency_plans(
    db: &impl ConnectionTrait,
) -> Result<Vec<audit_chain::RecordedRow>, StoreError> {
    Ok(agency_plan::Entity::find()
        .order_by_asc(agency_plan::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|row| {
            let holds = AgencyPlanForm::from_stored(&row.content).is_ok_and(|form| {
                form.content_hash(&row.agency_code, &row.plan_code) == row.content_hash
            });
            audit_chain::RecordedRow {
                subject: subject(row.id),
                content_hash: if holds {
                    audit_record(&row).content_hash
                } else {
                    String::new()
                },
                described: format!(
                    "{} {} revision {}",
                    row.agency_code, row.plan_code, row.revision
                ),
            }
        })
        .collect())
}

/// Every decision stored, as `audit_verify::check_recorded` compares it with its entry.
pub(super) async fn recorded_agency_plan_decisions(
    db: &impl ConnectionTrait,
) -> Result<Vec<audit_chain::RecordedRow>, StoreError> {
    let mut rows = Vec::new();
    for row in agency_plan_decision::Entity::find()
        .order_by_asc(agency_plan_decision::Column::Id)
        .all(db)
        .await?
    {
        let id = row.id;
        let described = format!(
            "decision on {} {} revision {}",
            row.agency_code, row.plan_code, row.revision
        );
        // A row that no longer reads is altered as surely as one that reads differently.
        let content_hash = decision_from_row(row)
            .map(|decision| decision_record(&decision).content_hash)
            .unwrap_or_default();
        rows.push(audit_chain::RecordedRow {
            subject: decision_subject(id),
            content_hash,
            described,
        });
    }
    Ok(rows)
}
