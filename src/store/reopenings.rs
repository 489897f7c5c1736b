//! Reopenings: a province lets one of its agencies submit for a closed period until an instant,
//! with a reason. Each is kept (the latest of an agency and period is in force), written in the
//! same transaction as its audit entry, and checked by `audit verify`.

use chrono::{DateTime, SecondsFormat, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

use super::audit_chain::{self, AuditAction, AuditRecord};
use super::database::Store;
use super::entities::period_reopening;
use super::error::StoreError;
use super::values::reopenings::NewReopening;
use crate::domain::canonical::sha256_hex;

/// A closed period reopened for one agency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reopening {
    pub id: i64,
    pub agency_code: String,
    pub period_code: String,
    /// The agency may submit until this instant (inclusive).
    pub until: DateTime<Utc>,
    pub reason: String,
    /// The principal who reopened it, as the audit log names them.
    pub reopened_by: String,
    pub reopened_at: DateTime<Utc>,
}

impl Reopening {
    /// Whether it lets the agency submit at `at`.
    pub fn allows(&self, at: DateTime<Utc>) -> bool {
        at <= self.until
    }
}

impl Store {
    /// Records a reopening and its audit entry in one transaction.
    pub async fn reopen_period(&self, new: NewReopening<'_>) -> Result<Reopening, StoreError> {
        let now = Utc::now();
        let transaction = self.begin_write().await?;
        let row = period_reopening::ActiveModel {
            id: sea_orm::NotSet,
            agency_code: sea_orm::Set(new.agency_code.to_string()),
            period_code: sea_orm::Set(new.period_code.to_string()),
            until: sea_orm::Set(new.until),
            reason: sea_orm::Set(new.reason.to_string()),
            reopened_by: sea_orm::Set(new.reopened_by.to_string()),
            reopened_at: sea_orm::Set(now),
        };
        let reopening = from_row(
            period_reopening::Entity::insert(row)
                .exec_with_returning(&transaction)
                .await?,
        );
        audit_chain::append(&transaction, &[audit_record(&reopening)], now).await?;
        transaction.commit().await?;
        Ok(reopening)
    }

    /// The reopening in force for an agency and period: its latest one, if any.
    pub async fn latest_reopening(
        &self,
        agency_code: &str,
        period_code: &str,
    ) -> Result<Option<Reopening>, StoreError> {
        Ok(period_reopening::Entity::find()
            .filter(period_reopening::Column::AgencyCode.eq(agency_code))
            .filter(period_reopening::Column::PeriodCode.eq(period_code))
            .order_by_desc(period_reopening::Column::Id)
            .one(&self.db)
            .await?
            .map(from_row))
    }

    /// The reopening in force of every agency that has one for a period.
    pub async fn reopenings(&self, period_code: &str) -> Result<Vec<Reopening>, StoreError> {
        let mut latest: Vec<Reopening> = Vec::new();
        for row in period_reopening::Entity::find()
            .filter(period_reopening::Column::PeriodCode.eq(period_code))
            .order_by_asc(period_reopening::Column::AgencyCode)
            .order_by_desc(period_reopening::Column::Id)
            .all(&self.db)
            .await?
        {
            if latest
                .last()
                .is_none_or(|kept| kept.agency_code != row.agency_code)
            {
                latest.push(from_row(row));
            }
        }
        Ok(latest)
    }
}

fn from_row(row: period_reopening::Model) -> Reopening {
    Reopening {
        id: row.id,
        agency_code: row.agency_code,
        period_code: row.period_code,
        until: row.until,
        reason: row.reason,
        reopened_by: row.reopened_by,
        reopened_at: row.reopened_at,
    }
}

/// The subject a reopening's audit entry names.
fn subject(id: i64) -> String {
    format!("reopening {id}")
}

/// A reopening's entry: its content hash covers everything the row says.
fn audit_record(reopening: &Reopening) -> AuditRecord {
    let at = |at: DateTime<Utc>| at.to_rfc3339_opts(SecondsFormat::Micros, true);
    let content = serde_json::json!([
        reopening.id,
        reopening.agency_code,
        reopening.period_code,
        at(reopening.until),
        reopening.reason,
        reopening.reopened_by,
        at(reopening.reopened_at),
    ]);
    AuditRecord {
        principal: reopening.reopened_by.clone(),
        action: AuditAction::PeriodReopened,
        subject: subject(reopening.id),
        request_id: String::new(),
        // sha256_hex writes the "sha256:" itself. Entries written before the counters were
        // recorded spell it twice; `audit verify` accepts that spelling for them only.
        content_hash: sha256_hex(content.to_string().as_bytes()),
    }
}

/// Every reopening stored, as `audit_verify::check_recorded` compares it with its entry.
pub(super) async fn recorded_reopenings(
    db: &impl ConnectionTrait,
) -> Result<Vec<audit_chain::RecordedRow>, StoreError> {
    Ok(period_reopening::Entity::find()
        .order_by_asc(period_reopening::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|row| {
            let reopening = from_row(row);
            audit_chain::RecordedRow {
                subject: subject(reopening.id),
                content_hash: audit_record(&reopening).content_hash,
                described: format!("{} {}", reopening.agency_code, reopening.period_code),
            }
        })
        .collect())
}
