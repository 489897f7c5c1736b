//! Progress reports on the plans' tasks: every revision a lead sends for a line (task, period,
//! reporter) is kept, the latest counts. A request id is taken once: the same content replays,
//! other content is refused. Every revision goes in the same transaction as its audit entry, and
//! `audit verify` checks each against it.

use std::collections::BTreeMap;

use chrono::{DateTime, SecondsFormat, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::audit_chain::{self, AuditAction, AuditRecord};
use super::database::Store;
use super::entities::task_progress;
use super::error::StoreError;
use super::revisions::{Revised, lost_to_concurrent};
use super::values::task_progress::NewTaskProgress;
use crate::domain::canonical::sha256_hex;
use crate::domain::task::Progress;

/// One stored revision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredTaskProgress {
    pub id: i64,
    pub plan_code: String,
    pub task_code: String,
    pub period_code: String,
    pub reporter_code: String,
    pub revision: i32,
    pub request_id: String,
    /// The report's JSON, as the audit entry hashed it.
    pub content: Vec<u8>,
    pub content_hash: String,
    pub received_at: DateTime<Utc>,
    /// Who sent it, as the audit log names them.
    pub submitted_by: String,
}

impl StoredTaskProgress {
    /// What the stored bytes say.
    pub fn progress(&self) -> Result<Progress, StoreError> {
        serde_json::from_slice(&self.content)
            .map_err(|error| StoreError::Corrupt(format!("task progress {}: {error}", self.id)))
    }
}

impl Store {
    /// Stores the line's next revision and its audit entry in one transaction, unless the request
    /// id was taken. Writers of any process queue for the write lock first, so concurrent
    /// ones are stored one after another.
    pub async fn report_task_progress(
        &self,
        new: NewTaskProgress<'_>,
    ) -> Result<Revised<StoredTaskProgress>, StoreError> {
        let now = Utc::now();
        let transaction = self.begin_write().await?;
        if let Some(taken) = task_progress::Entity::find()
            .filter(task_progress::Column::RequestId.eq(new.request_id))
            .one(&transaction)
            .await?
        {
            let taken = from_row(taken);
            let same =
                taken.content_hash == new.content_hash && taken.reporter_code == new.reporter_code;
            return Ok(Revised::taken(taken, same));
        }
        let latest: Option<i32> = task_progress::Entity::find()
            .select_only()
            .column_as(task_progress::Column::Revision.max(), "revision")
            .filter(task_progress::Column::PlanCode.eq(new.plan_code))
            .filter(task_progress::Column::TaskCode.eq(new.task_code))
            .filter(task_progress::Column::PeriodCode.eq(new.period_code))
            .filter(task_progress::Column::ReporterCode.eq(new.reporter_code))
            .into_tuple::<Option<i32>>()
            .one(&transaction)
            .await?
            .flatten();
        let row = task_progress::ActiveModel {
            id: sea_orm::NotSet,
            plan_code: sea_orm::Set(new.plan_code.to_string()),
            task_code: sea_orm::Set(new.task_code.to_string()),
            period_code: sea_orm::Set(new.period_code.to_string()),
            reporter_code: sea_orm::Set(new.reporter_code.to_string()),
            revision: sea_orm::Set(latest.unwrap_or(0) + 1),
            request_id: sea_orm::Set(new.request_id.to_string()),
            content: sea_orm::Set(new.content),
            content_hash: sea_orm::Set(new.content_hash.to_string()),
            received_at: sea_orm::Set(now),
            submitted_by: sea_orm::Set(new.submitted_by.to_string()),
        };
        let stored = task_progress::Entity::insert(row)
            .exec_with_returning(&transaction)
            .await
            .map(from_row)
            .map_err(|error| {
                lost_to_concurrent(error, || {
                    format!(
                        "another progress report of {} on task {} for {} was stored at the same \
                         time",
                        new.reporter_code, new.task_code, new.period_code
                    )
                })
            })?;
        audit_chain::append(&transaction, &[audit_record(&stored)], now).await?;
        transaction.commit().await?;
        Ok(Revised::Stored(stored))
    }

    /// A line's report for a period: the latest revision, or `revision`.
    pub async fn task_progress(
        &self,
        plan_code: &str,
        task_code: &str,
        period_code: &str,
        reporter_code: &str,
        revision: Option<i32>,
    ) -> Result<Option<StoredTaskProgress>, StoreError> {
        let mut query = task_progress::Entity::find()
            .filter(task_progress::Column::PlanCode.eq(plan_code))
            .filter(task_progress::Column::TaskCode.eq(task_code))
            .filter(task_progress::Column::PeriodCode.eq(period_code))
            .filter(task_progress::Column::ReporterCode.eq(reporter_code));
        if let Some(revision) = revision {
            query = query.filter(task_progress::Column::Revision.eq(revision));
        }
        Ok(query
            .order_by_desc(task_progress::Column::Revision)
            .one(&self.db)
            .await?
            .map(from_row))
    }

    /// The latest revision of every line's report on a plan, for every period: what a follow-up
    /// is made of (a one-off task's status carries over from earlier periods).
    pub async fn latest_task_progress(
        &self,
        plan_code: &str,
    ) -> Result<Vec<StoredTaskProgress>, StoreError> {
        let mut latest = BTreeMap::new();
        for row in task_progress::Entity::find()
            .filter(task_progress::Column::PlanCode.eq(plan_code))
            .order_by_asc(task_progress::Column::Revision)
            .all(&self.db)
            .await?
        {
            let key = (
                row.task_code.clone(),
                row.period_code.clone(),
                row.reporter_code.clone(),
            );
            latest.insert(key, from_row(row));
        }
        Ok(latest.into_values().collect())
    }
}

fn from_row(row: task_progress::Model) -> StoredTaskProgress {
    StoredTaskProgress {
        id: row.id,
        plan_code: row.plan_code,
        task_code: row.task_code,
        period_code: row.period_code,
        reporter_code: row.reporter_code,
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
    format!("task progress {id}")
}

/// A revision's entry: its content hash covers everything the row says, its bytes hashed afresh.
fn audit_record(stored: &StoredTaskProgress) -> AuditRecord {
    let content = serde_json::json!([
        stored.id,
        stored.plan_code,
        stored.task_code,
        stored.period_code,
        stored.reporter_code,
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
        action: AuditAction::TaskProgressReported,
        subject: subject(stored.id),
        request_id: stored.request_id.clone(),
        content_hash: sha256_hex(content.to_string().as_bytes()),
    }
}

/// Every revision stored, as `audit_verify::check_recorded` compares it with its entry.
pub(super) async fn recorded_task_progress(
    db: &impl ConnectionTrait,
) -> Result<Vec<audit_chain::RecordedRow>, StoreError> {
    Ok(task_progress::Entity::find()
        .order_by_asc(task_progress::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|row| {
            let stored = from_row(row);
            audit_chain::RecordedRow {
                subject: subject(stored.id),
                content_hash: audit_record(&stored).content_hash,
                described: format!(
                    "{} on {} {} for {} revision {}",
                    stored.reporter_code,
                    stored.plan_code,
                    stored.task_code,
                    stored.period_code,
                    stored.revision
                ),
            }
        })
        .collect())
}
