//! Self-assessments under the maturity index: every revision an agency sends for a period is kept,
//! the latest counts. A request id is taken once: the same content replays, other content is
//! refused. The council's appraisals of a revision's criteria are kept too, the latest of each
//! criterion in force. Every write goes in the same transaction as its audit entry, and
//! `audit verify` checks each against it.
//!
//! What an assessment answered is stored in pressdx's own form (`domain::stored_forms`, form
//! `pressdx.self-assessment.stored.v1`), written and read here; whether it still fits the
//! catalogue is the API's and the domain's business.

use chrono::{DateTime, SecondsFormat, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::audit_chain::{self, AuditAction, AuditRecord};
use super::database::Store;
use super::entities::{maturity_appraisal, self_assessment};
use super::error::StoreError;
use super::revisions::{Revised, lost_to_concurrent};
use super::values::self_assessments::{NewAppraisal, NewSelfAssessment};
use crate::domain::canonical::sha256_hex;
use crate::domain::stored_forms::SelfAssessmentForm;

/// One stored revision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredSelfAssessment {
    pub id: i64,
    pub agency_code: String,
    pub period_code: String,
    pub framework_code: String,
    pub revision: i32,
    pub request_id: String,
    /// What it says.
    pub form: SelfAssessmentForm,
    /// As its receipt gave it.
    pub content_hash: String,
    pub received_at: DateTime<Utc>,
    /// Who sent it, as the audit log names them.
    pub submitted_by: String,
}

/// The points given one criterion of one revision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MaturityAppraisal {
    pub id: i64,
    pub self_assessment_id: i64,
    pub criterion_code: String,
    pub points_hundredths: i32,
    pub reason: String,
    /// Who appraised, as the audit log names them.
    pub appraised_by: String,
    pub appraised_at: DateTime<Utc>,
}

/// What became of an appraisal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Appraised {
    Recorded(MaturityAppraisal),
    /// The revision is not its agency's latest for the period any more.
    Superseded {
        latest_id: i64,
    },
    NoSuchSelfAssessment,
}

impl Store {
    /// One revision by id.
    pub async fn self_assessment_by_id(
        &self,
        id: i64,
    ) -> Result<Option<StoredSelfAssessment>, StoreError> {
        self_assessment::Entity::find_by_id(id)
            .one(&self.db)
            .await?
            .map(from_row)
            .transpose()
    }

    /// Records an appraisal and its audit entry in one transaction, if the revision is still its
    /// agency's latest for the period.
    pub async fn appraise_self_assessment(
        &self,
        new: NewAppraisal<'_>,
    ) -> Result<Appraised, StoreError> {
        let now = Utc::now();
        let transaction = self.begin_write().await?;
        let Some(appraised) = self_assessment::Entity::find_by_id(new.self_assessment_id)
            .one(&transaction)
            .await?
        else {
            return Ok(Appraised::NoSuchSelfAssessment);
        };
        let latest = self_assessment::Entity::find()
            .filter(self_assessment::Column::AgencyCode.eq(&appraised.agency_code))
            .filter(self_assessment::Column::PeriodCode.eq(&appraised.period_code))
            .order_by_desc(self_assessment::Column::Revision)
            .one(&transaction)
            .await?;
        if let Some(latest) = latest
            && latest.id != appraised.id
        {
            return Ok(Appraised::Superseded {
                latest_id: latest.id,
            });
        }
        let row = maturity_appraisal::ActiveModel {
            id: sea_orm::NotSet,
            self_assessment_id: sea_orm::Set(appraised.id),
            criterion_code: sea_orm::Set(new.criterion_code.to_string()),
            points_hundredths: sea_orm::Set(new.points_hundredths),
            reason: sea_orm::Set(new.reason.to_string()),
            appraised_by: sea_orm::Set(new.appraised_by.to_string()),
            appraised_at: sea_orm::Set(now),
        };
        let recorded = appraisal_from_row(
            maturity_appraisal::Entity::insert(row)
                .exec_with_returning(&transaction)
                .await?,
        );
        audit_chain::append(&transaction, &[appraisal_record(&recorded)], now).await?;
        transaction.commit().await?;
        Ok(Appraised::Recorded(recorded))
    }

    /// The appraisals in force for a revision: the latest of each criterion, by criterion code.
    pub async fn appraisals(
        &self,
        self_assessment_id: i64,
    ) -> Result<Vec<MaturityAppraisal>, StoreError> {
        let mut latest = std::collections::BTreeMap::new();
        for row in maturity_appraisal::Entity::find()
            .filter(maturity_appraisal::Column::SelfAssessmentId.eq(self_assessment_id))
            .order_by_asc(maturity_appraisal::Column::Id)
            .all(&self.db)
            .await?
        {
            latest.insert(row.criterion_code.clone(), appraisal_from_row(row));
        }
        Ok(latest.into_values().collect())
    }

    /// Stores the next revision and its audit entry in one transaction, unless the request id was
    /// taken. Writers of any process queue for the write lock first, so concurrent
    /// ones are stored one after another.
    pub async fn submit_self_assessment(
        &self,
        new: NewSelfAssessment<'_>,
    ) -> Result<Revised<StoredSelfAssessment>, StoreError> {
        let now = Utc::now();
        let transaction = self.begin_write().await?;
        if let Some(taken) = self_assessment::Entity::find()
            .filter(self_assessment::Column::RequestId.eq(new.request_id))
            .one(&transaction)
            .await?
        {
            let taken = from_row(taken)?;
            let same =
                taken.content_hash == new.content_hash && taken.agency_code == new.agency_code;
            return Ok(Revised::taken(taken, same));
        }
        let latest: Option<i32> = self_assessment::Entity::find()
            .select_only()
            .column_as(self_assessment::Column::Revision.max(), "revision")
            .filter(self_assessment::Column::AgencyCode.eq(new.agency_code))
            .filter(self_assessment::Column::PeriodCode.eq(new.period_code))
            .into_tuple::<Option<i32>>()
            .one(&transaction)
            .await?
            .flatten();
        let row = self_assessment::ActiveModel {
            id: sea_orm::NotSet,
            agency_code: sea_orm::Set(new.agency_code.to_string()),
            period_code: sea_orm::Set(new.period_code.to_string()),
            framework_code: sea_orm::Set(new.framework_code.to_string()),
            revision: sea_orm::Set(latest.unwrap_or(0) + 1),
            request_id: sea_orm::Set(new.request_id.to_string()),
            content: sea_orm::Set(new.form.to_stored()),
            content_hash: sea_orm::Set(new.content_hash.to_string()),
            received_at: sea_orm::Set(now),
            submitted_by: sea_orm::Set(new.submitted_by.to_string()),
        };
        let inserted = self_assessment::Entity::insert(row)
            .exec_with_returning(&transaction)
            .await
            .map_err(|error| {
                lost_to_concurrent(error, || {
                    format!(
                        "another self-assessment of {} for {} was stored at the same time",
                        new.agency_code, new.period_code
                    )
                })
            })?;
        audit_chain::append(&transaction, &[audit_record(&inserted)], now).await?;
        let stored = from_row(inserted)?;
        transaction.commit().await?;
        Ok(Revised::Stored(stored))
    }

    /// Every agency's latest revision for a period, by agency code, each with the appraisals in
    /// force for it (as [`Store::appraisals`] gives them): what a period's results are made of.
    pub async fn latest_self_assessments(
        &self,
        period_code: &str,
    ) -> Result<Vec<(StoredSelfAssessment, Vec<MaturityAppraisal>)>, StoreError> {
        let mut latest: std::collections::BTreeMap<String, StoredSelfAssessment> =
            std::collections::BTreeMap::new();
        for row in self_assessment::Entity::find()
            .filter(self_assessment::Column::PeriodCode.eq(period_code))
            .order_by_asc(self_assessment::Column::Revision)
            .all(&self.db)
            .await?
        {
            latest.insert(row.agency_code.clone(), from_row(row)?);
        }
        let ids: Vec<i64> = latest.values().map(|stored| stored.id).collect();
        let mut appraisals: std::collections::HashMap<
            i64,
            std::collections::BTreeMap<String, MaturityAppraisal>,
        > = std::collections::HashMap::new();
        // In slices, so that a national period stays under every backend's limit of bound
        // parameters.
        for some in ids.chunks(500) {
            for row in maturity_appraisal::Entity::find()
                .filter(maturity_appraisal::Column::SelfAssessmentId.is_in(some.to_vec()))
                .order_by_asc(maturity_appraisal::Column::Id)
                .all(&self.db)
                .await?
            {
                appraisals
                    .entry(row.self_assessment_id)
                    .or_default()
                    .insert(row.criterion_code.clone(), appraisal_from_row(row));
            }
        }
        Ok(latest
            .into_values()
            .map(|stored| {
                let in_force = appraisals
                    .remove(&stored.id)
                    .map(|by_criterion| by_criterion.into_values().collect())
                    .unwrap_or_default();
                (stored, in_force)
            })
            .collect())
    }

    /// An agency's self-assessment for a period: the latest revision, or `revision`.
    pub async fn self_assessment(
        &self,
        agency_code: &str,
        period_code: &str,
        revision: Option<i32>,
    ) -> Result<Option<StoredSelfAssessment>, StoreError> {
        let mut query = self_assessment::Entity::find()
            .filter(self_assessment::Column::AgencyCode.eq(agency_code))
            .filter(self_assessment::Column::PeriodCode.eq(period_code));
        if let Some(revision) = revision {
            query = query.filter(self_assessment::Column::Revision.eq(revision));
        }
        query
            .order_by_desc(self_assessment::Column::Revision)
            .one(&self.db)
            .await?
            .map(from_row)
            .transpose()
    }
}

fn from_row(row: self_assessment::Model) -> Result<StoredSelfAssessment, StoreError> {
    let form = SelfAssessmentForm::from_stored(&row.content)
        .map_err(|why| StoreError::Corrupt(format!("self-assessment {}: {why}", row.id)))?;
    Ok(StoredSelfAssessment {
        id: row.id,
        agency_code: row.agency_code,
        period_code: row.period_code,
        framework_code: row.framework_code,
        revision: row.revision,
        request_id: row.request_id,
        form,
        content_hash: row.content_hash,
        received_at: row.received_at,
        submitted_by: row.submitted_by,
    })
}

fn appraisal_from_row(row: maturity_appraisal::Model) -> MaturityAppraisal {
    MaturityAppraisal {
        id: row.id,
        self_assessment_id: row.self_assessment_id,
        criterion_code: row.criterion_code,
        points_hundredths: row.points_hundredths,
        reason: row.reason,
        appraised_by: row.appraised_by,
        appraised_at: row.appraised_at,
    }
}

/// An appraisal's entry: its content hash covers everything the row says.
fn appraisal_record(appraisal: &MaturityAppraisal) -> AuditRecord {
    let content = serde_json::json!([
        appraisal.id,
        appraisal.self_assessment_id,
        appraisal.criterion_code,
        appraisal.points_hundredths,
        appraisal.reason,
        appraisal.appraised_by,
        appraisal
            .appraised_at
            .to_rfc3339_opts(SecondsFormat::Micros, true),
    ]);
    AuditRecord {
        principal: appraisal.appraised_by.clone(),
        action: AuditAction::SelfAssessmentAppraised,
        subject: format!("appraisal {}", appraisal.id),
        request_id: String::new(),
        content_hash: sha256_hex(content.to_string().as_bytes()),
    }
}

/// Every appraisal stored, as `audit_verify::check_recorded` compares it with its entry.
pub(super) async fn recorded_appraisals(
    db: &impl ConnectionTrait,
) -> Result<Vec<audit_chain::RecordedRow>, StoreError> {
    Ok(maturity_appraisal::Entity::find()
        .order_by_asc(maturity_appraisal::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|row| {
            let appraisal = appraisal_from_row(row);
            let record = appraisal_record(&appraisal);
            audit_chain::RecordedRow {
                subject: record.subject,
                content_hash: record.content_hash,
                described: format!(
                    "self-assessment {} criterion {}",
                    appraisal.self_assessment_id, appraisal.criterion_code
                ),
            }
        })
        .collect())
}

/// The subject a revision's audit entry names.
fn subject(id: i64) -> String {
    format!("self-assessment {id}")
}

/// A revision's entry: its content hash covers everything the row says, its bytes hashed afresh.
pub(super) fn audit_record(row: &self_assessment::Model) -> AuditRecord {
    let content = serde_json::json!([
        row.id,
        row.agency_code,
        row.period_code,
        row.framework_code,
        row.revision,
        row.request_id,
        sha256_hex(&row.content),
        row.content_hash,
        row.received_at.to_rfc3339_opts(SecondsFormat::Micros, true),
        row.submitted_by,
    ]);
    AuditRecord {
        principal: row.submitted_by.clone(),
        action: AuditAction::SelfAssessmentAccepted,
        subject: subject(row.id),
        request_id: row.request_id.clone(),
        content_hash: sha256_hex(content.to_string().as_bytes()),
    }
}

/// Every revision stored, as `audit_verify::check_recorded` compares it with its entry. A row
/// whose stored form does not read back, or does not hash to the content hash its receipt gave,
/// gives no content hash, so that it matches no entry: what it says is not what was accepted.
pub(super) async fn recorded_self_assessments(
    db: &impl ConnectionTrait,
) -> Result<Vec<audit_chain::RecordedRow>, StoreError> {
    Ok(self_assessment::Entity::find()
        .order_by_asc(self_assessment::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|row| {
            let holds = SelfAssessmentForm::from_stored(&row.content)
                .is_ok_and(|form| form.content_hash(&row.agency_code) == row.content_hash);
            audit_chain::RecordedRow {
                subject: subject(row.id),
                content_hash: if holds {
                    audit_record(&row).content_hash
                } else {
                    String::new()
                },
                described: format!(
                    "{} {} revision {}",
                    row.agency_code, row.period_code, row.revision
                ),
            }
        })
        .collect())
}
