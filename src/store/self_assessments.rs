//! Self-assessments under the maturity index: every revision an agency sends for a period is kept,
//! the latest counts. A request id is taken once: the same content replays, other content is
//! refused. Every revision goes in the same transaction as its audit entry, and `audit verify`
//! checks each against it.
//!
//! What an assessment answered is opaque bytes here, with its content hash: what they say is the
//! API's and the domain's business.

use chrono::{DateTime, SecondsFormat, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, SqlErr,
};

use super::audit::{self, AuditAction, AuditRecord};
use super::entities::self_assessment;
use super::{Store, StoreError};
use crate::domain::canonical::sha256_hex;

/// One stored revision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredSelfAssessment {
    pub id: i64,
    pub agency_code: String,
    pub period_code: String,
    pub framework_code: String,
    pub revision: i32,
    pub request_id: String,
    pub content: Vec<u8>,
    pub content_hash: String,
    pub received_at: DateTime<Utc>,
    /// Who sent it, as the audit log names them.
    pub submitted_by: String,
}

/// A self-assessment to store.
#[derive(Debug, Clone)]
pub struct NewSelfAssessment<'a> {
    pub agency_code: &'a str,
    pub period_code: &'a str,
    pub framework_code: &'a str,
    pub request_id: &'a str,
    pub content: Vec<u8>,
    pub content_hash: &'a str,
    pub submitted_by: &'a str,
}

/// What became of a submit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SelfAssessmentStored {
    Stored(StoredSelfAssessment),
    /// The request id was taken before by the same content: nothing new.
    Replayed(StoredSelfAssessment),
    /// The request id was taken before by other content.
    RequestIdReused(StoredSelfAssessment),
}

impl Store {
    /// Stores the next revision and its audit entry in one transaction, unless the request id was
    /// taken. Two processes storing the same agency's next revision at once: one of them gets
    /// CONTENTION, to retry.
    pub async fn submit_self_assessment(
        &self,
        new: NewSelfAssessment<'_>,
    ) -> Result<SelfAssessmentStored, StoreError> {
        let now = Utc::now();
        let transaction = self.begin_write().await?;
        if let Some(taken) = self_assessment::Entity::find()
            .filter(self_assessment::Column::RequestId.eq(new.request_id))
            .one(&transaction)
            .await?
        {
            let taken = from_row(taken);
            return Ok(
                if taken.content_hash == new.content_hash && taken.agency_code == new.agency_code {
                    SelfAssessmentStored::Replayed(taken)
                } else {
                    SelfAssessmentStored::RequestIdReused(taken)
                },
            );
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
            content: sea_orm::Set(new.content),
            content_hash: sea_orm::Set(new.content_hash.to_string()),
            received_at: sea_orm::Set(now),
            submitted_by: sea_orm::Set(new.submitted_by.to_string()),
        };
        let stored = match self_assessment::Entity::insert(row)
            .exec_with_returning(&transaction)
            .await
        {
            Ok(row) => from_row(row),
            Err(error) if matches!(error.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
                return Err(StoreError::Contention(format!(
                    "another self-assessment of {} for {} was stored at the same time",
                    new.agency_code, new.period_code
                )));
            }
            Err(error) => return Err(error.into()),
        };
        audit::append(&transaction, &[audit_record(&stored)], now).await?;
        transaction.commit().await?;
        Ok(SelfAssessmentStored::Stored(stored))
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
        Ok(query
            .order_by_desc(self_assessment::Column::Revision)
            .one(&self.db)
            .await?
            .map(from_row))
    }
}

fn from_row(row: self_assessment::Model) -> StoredSelfAssessment {
    StoredSelfAssessment {
        id: row.id,
        agency_code: row.agency_code,
        period_code: row.period_code,
        framework_code: row.framework_code,
        revision: row.revision,
        request_id: row.request_id,
        content: row.content,
        content_hash: row.content_hash,
        received_at: row.received_at,
        submitted_by: row.submitted_by,
    }
}

/// The subject a revision's audit entry names.
fn subject(id: i64) -> String {
    format!("self-assessment {id}")
}

/// A revision's entry: its content hash covers everything the row says, its bytes hashed afresh.
fn audit_record(stored: &StoredSelfAssessment) -> AuditRecord {
    let content = serde_json::json!([
        stored.id,
        stored.agency_code,
        stored.period_code,
        stored.framework_code,
        stored.revision,
        stored.request_id,
        sha256_hex(&stored.content),
        stored.content_hash,
        stored
            .received_at
            .to_rfc3339_opts(SecondsFormat::Micros, true),
        stored.submitted_by,
    ]);
    AuditRecord {
        principal: stored.submitted_by.clone(),
        action: AuditAction::SelfAssessmentAccepted,
        subject: subject(stored.id),
        request_id: stored.request_id.clone(),
        content_hash: sha256_hex(content.to_string().as_bytes()),
    }
}

/// Every revision stored, as `audit::check_recorded` compares it with its entry.
pub(super) async fn recorded_self_assessments(
    db: &impl ConnectionTrait,
) -> Result<Vec<audit::RecordedRow>, StoreError> {
    Ok(self_assessment::Entity::find()
        .order_by_asc(self_assessment::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|row| {
            let stored = from_row(row);
            audit::RecordedRow {
                subject: subject(stored.id),
                content_hash: audit_record(&stored).content_hash,
                described: format!(
                    "{} {} revision {}",
                    stored.agency_code, stored.period_code, stored.revision
                ),
            }
        })
        .collect())
}
