//! Keeping submissions: every revision, the latest one per agency and period, and the request ids
//! that make a retried submit harmless.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Query;
use sea_orm::{
    ActiveModelBehavior, ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait,
    DatabaseTransaction, DbErr, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, QuerySelect,
    SqlErr, Statement,
};
use tracing::debug;

use super::audit::{self, AuditAction, AuditRecord};
use super::entities::{latest_submission, submission};
use super::{Store, StoreError};
use crate::domain::period::Timeliness;
use crate::domain::report::AnnualReport;
use crate::domain::submission::ValidSubmission;

/// The most a list returns in one page.
pub const MAX_PAGE_SIZE: u64 = 1000;

/// How often a submit is retried when a concurrent submit took the revision it chose.
const MAX_REVISION_ATTEMPTS: usize = 20;

/// One stored revision of a report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredSubmission {
    pub id: i64,
    pub request_id: String,
    pub agency_code: String,
    pub period_code: String,
    pub revision: i32,
    pub received_at: DateTime<Utc>,
    pub late: bool,
    pub content_hash: String,
    pub report: AnnualReport,
    /// A later revision for the same agency and period exists.
    pub superseded: bool,
    /// Its place in the change feed.
    pub feed_position: i64,
}

/// What became of a submit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubmitOutcome {
    /// Stored as a new revision.
    Accepted(StoredSubmission),
    /// The request id was already accepted with the same content: this is that submission, and
    /// nothing new was stored.
    Replayed(StoredSubmission),
    /// The request id was already accepted with different content: nothing was stored.
    RequestIdReused(StoredSubmission),
}

#[derive(Debug, Clone, Default)]
pub struct ListSubmissionsQuery {
    pub agency_code: Option<String>,
    pub period_code: Option<String>,
    pub latest_only: bool,
    /// Only submissions with a larger id (the previous page's last).
    pub after_id: Option<i64>,
    pub page_size: u64,
    /// Only these agencies' reports for each of these periods (`None`: every report).
    pub visible: Option<Vec<(String, Vec<String>)>>,
}

#[derive(Debug, Clone)]
pub struct SubmissionPage {
    pub submissions: Vec<StoredSubmission>,
    /// Whether more submissions follow the last one of this page.
    pub more: bool,
}

impl Store {
    /// The submission a request id was accepted as, if any.
    pub async fn find_by_request_id(
        &self,
        request_id: &str,
    ) -> Result<Option<StoredSubmission>, StoreError> {
        find_by_request_id(&self.db, request_id).await
    }

    /// The submissions these request ids were accepted as, keyed by request id (empty ids are
    /// never looked up).
    pub async fn find_by_request_ids(
        &self,
        request_ids: &[&str],
    ) -> Result<HashMap<String, StoredSubmission>, StoreError> {
        let mut found = HashMap::new();
        let wanted: Vec<&str> = request_ids
            .iter()
            .copied()
            .filter(|id| !id.is_empty())
            .collect();
        for batch in wanted.chunks(500) {
            let rows = submission::Entity::find()
                .filter(submission::Column::RequestId.is_in(batch.iter().copied()))
                .all(&self.db)
                .await?;
            let ids: Vec<i64> = rows.iter().map(|row| row.id).collect();
            let latest = latest_ids(&self.db, &ids).await?;
            for row in rows {
                let superseded = !latest.contains(&row.id);
                let stored = from_row(row, superseded)?;
                found.insert(stored.request_id.clone(), stored);
            }
        }
        Ok(found)
    }

    /// The latest revision stored for an agency and period; 0 if none.
    pub async fn latest_revision(
        &self,
        agency_code: &str,
        period_code: &str,
    ) -> Result<i32, StoreError> {
        Ok(latest_submission::Entity::find_by_id((
            agency_code.to_string(),
            period_code.to_string(),
        ))
        .one(&self.db)
        .await?
        .map_or(0, |latest| latest.revision))
    }

    /// Stores a checked submission as the next revision of its agency and period, in one
    /// transaction, unless its request id was used before.
    pub async fn store_submission(
        &self,
        valid: &ValidSubmission,
        received_at: DateTime<Utc>,
    ) -> Result<SubmitOutcome, StoreError> {
        for attempt in 1..=MAX_REVISION_ATTEMPTS {
            let transaction = self.begin_write().await?;
            match store_one(&transaction, valid, received_at).await {
                Ok(outcome) => {
                    audit::append(
                        &transaction,
                        &audit_records(&[valid], &[&outcome]),
                        Utc::now(),
                    )
                    .await?;
                    transaction.commit().await?;
                    return Ok(outcome);
                }
                // A concurrent submit took this revision, or this request id, first: start over,
                // and the next round sees what it stored.
                Err(Stored::Conflict) => {
                    transaction.rollback().await?;
                    debug!(attempt, agency = %valid.agency_code, "revision or request id taken concurrently, retrying");
                }
                Err(Stored::Failed(error)) => return Err(error),
            }
        }
        Err(StoreError::Contention(format!(
            "no free revision for {} {} after {MAX_REVISION_ATTEMPTS} attempts",
            valid.agency_code, valid.period.code
        )))
    }

    /// Stores a batch of checked submissions in one transaction (one commit, one sync to disk),
    /// each as [`Store::store_submission`] would, in order. Should a concurrent writer collide
    /// with the batch, it is stored one submission at a time instead.
    pub async fn store_submissions(
        &self,
        batch: &[(&ValidSubmission, DateTime<Utc>)],
    ) -> Result<Vec<SubmitOutcome>, StoreError> {
        let transaction = self.begin_write().await?;
        let mut outcomes = Vec::with_capacity(batch.len());
        for (valid, received_at) in batch {
            match store_one(&transaction, valid, *received_at).await {
                Ok(outcome) => outcomes.push(outcome),
                Err(Stored::Conflict) => {
                    transaction.rollback().await?;
                    let mut outcomes = Vec::with_capacity(batch.len());
                    for (valid, received_at) in batch {
                        outcomes.push(self.store_submission(valid, *received_at).await?);
                    }
                    return Ok(outcomes);
                }
                Err(Stored::Failed(error)) => return Err(error),
            }
        }
        let valids: Vec<&ValidSubmission> = batch.iter().map(|(valid, _)| *valid).collect();
        let outcome_refs: Vec<&SubmitOutcome> = outcomes.iter().collect();
        audit::append(
            &transaction,
            &audit_records(&valids, &outcome_refs),
            Utc::now(),
        )
        .await?;
        transaction.commit().await?;
        Ok(outcomes)
    }

    pub async fn get_submission(&self, id: i64) -> Result<Option<StoredSubmission>, StoreError> {
        let Some(row) = submission::Entity::find_by_id(id).one(&self.db).await? else {
            return Ok(None);
        };
        let latest = latest_ids(&self.db, &[row.id]).await?;
        from_row(row, latest.is_empty()).map(Some)
    }

    /// Submissions in id order (the order they were stored in), filtered, one page at a time.
    pub async fn list_submissions(
        &self,
        query: &ListSubmissionsQuery,
    ) -> Result<SubmissionPage, StoreError> {
        let mut select = submission::Entity::find().order_by_asc(submission::Column::Id);
        if let Some(agency_code) = &query.agency_code {
            select = select.filter(submission::Column::AgencyCode.eq(agency_code.as_str()));
        }
        if let Some(period_code) = &query.period_code {
            select = select.filter(submission::Column::PeriodCode.eq(period_code.as_str()));
        }
        if let Some(visible) = &query.visible {
            let mut any = Condition::any();
            for (period_code, agency_codes) in visible {
                any = any.add(
                    Condition::all()
                        .add(submission::Column::PeriodCode.eq(period_code.as_str()))
                        .add(
                            submission::Column::AgencyCode
                                .is_in(agency_codes.iter().map(String::as_str)),
                        ),
                );
            }
            select = select.filter(any);
        }
        if let Some(after_id) = query.after_id {
            select = select.filter(submission::Column::Id.gt(after_id));
        }
        if query.latest_only {
            select = select.filter(
                submission::Column::Id.in_subquery(
                    Query::select()
                        .column(latest_submission::Column::SubmissionId)
                        .from(latest_submission::Entity)
                        .to_owned(),
                ),
            );
        }
        let page_size = query.page_size.clamp(1, MAX_PAGE_SIZE);
        // One more than asked for tells whether another page follows.
        let mut rows = select.limit(page_size + 1).all(&self.db).await?;
        let more = rows.len() as u64 > page_size;
        rows.truncate(page_size as usize);

        let ids: Vec<i64> = rows.iter().map(|row| row.id).collect();
        let latest = latest_ids(&self.db, &ids).await?;
        let submissions = rows
            .into_iter()
            .map(|row| {
                let superseded = !latest.contains(&row.id);
                from_row(row, superseded)
            })
            .collect::<Result<_, _>>()?;
        Ok(SubmissionPage { submissions, more })
    }
}

/// The audit entries of the submissions a transaction accepted (replays and refusals wrote
/// nothing, so they record nothing).
fn audit_records(valids: &[&ValidSubmission], outcomes: &[&SubmitOutcome]) -> Vec<AuditRecord> {
    valids
        .iter()
        .zip(outcomes)
        .filter_map(|(valid, outcome)| match outcome {
            SubmitOutcome::Accepted(stored) => Some(AuditRecord {
                principal: valid.submitted_by.clone(),
                action: AuditAction::SubmissionAccepted,
                subject: audit::submission_subject(
                    stored.id,
                    &stored.agency_code,
                    &stored.period_code,
                    stored.revision,
                ),
                request_id: stored.request_id.clone(),
                content_hash: stored.content_hash.clone(),
            }),
            _ => None,
        })
        .collect()
}

/// Why storing one submission inside a transaction did not succeed.
enum Stored {
    /// A unique index refused the row: a concurrent writer took the revision or the request id.
    /// The transaction is spoilt; start it over.
    Conflict,
    Failed(StoreError),
}

impl From<DbErr> for Stored {
    fn from(error: DbErr) -> Stored {
        match error.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(_)) => Stored::Conflict,
            _ => Stored::Failed(error.into()),
        }
    }
}

impl From<StoreError> for Stored {
    fn from(error: StoreError) -> Stored {
        Stored::Failed(error)
    }
}

/// Stores one checked submission inside `transaction`: the original's outcome for a request id
/// seen before, else a new revision with the next change-feed position.
async fn store_one(
    transaction: &DatabaseTransaction,
    valid: &ValidSubmission,
    received_at: DateTime<Utc>,
) -> Result<SubmitOutcome, Stored> {
    if let Some(existing) = find_by_request_id(transaction, &valid.request_id).await? {
        return Ok(if existing.content_hash == valid.content_hash {
            SubmitOutcome::Replayed(existing)
        } else {
            SubmitOutcome::RequestIdReused(existing)
        });
    }
    let report_json = serde_json::to_string(&valid.report)
        .map_err(|error| StoreError::Corrupt(format!("report: {error}")))?;
    let late = valid.period.timeliness(received_at) == Timeliness::Late;

    // The next feed position locks the counter row until the transaction ends, so positions
    // follow commit order across every process sharing the database.
    let feed_position = next_feed_position(transaction).await?;
    let previous = latest_submission::Entity::find_by_id((
        valid.agency_code.clone(),
        valid.period.code.clone(),
    ))
    .one(transaction)
    .await?;
    let revision = previous.as_ref().map_or(0, |latest| latest.revision) + 1;

    let inserted = submission::ActiveModel {
        request_id: sea_orm::Set(valid.request_id.clone()),
        agency_code: sea_orm::Set(valid.agency_code.clone()),
        period_code: sea_orm::Set(valid.period.code.clone()),
        revision: sea_orm::Set(revision),
        received_at: sea_orm::Set(received_at),
        late: sea_orm::Set(late),
        content_hash: sea_orm::Set(valid.content_hash.clone()),
        report: sea_orm::Set(report_json),
        feed_position: sea_orm::Set(feed_position),
        ..submission::ActiveModel::new()
    }
    .insert(transaction)
    .await?;

    match previous {
        Some(previous) => {
            let mut latest = previous.into_active_model();
            latest.revision = sea_orm::Set(inserted.revision);
            latest.submission_id = sea_orm::Set(inserted.id);
            latest.update(transaction).await?;
        }
        None => {
            latest_submission::ActiveModel {
                agency_code: sea_orm::Set(inserted.agency_code.clone()),
                period_code: sea_orm::Set(inserted.period_code.clone()),
                revision: sea_orm::Set(inserted.revision),
                submission_id: sea_orm::Set(inserted.id),
                first_received_at: sea_orm::Set(received_at),
                first_late: sea_orm::Set(late),
            }
            .insert(transaction)
            .await?;
        }
    }
    Ok(SubmitOutcome::Accepted(from_row(inserted, false)?))
}

/// Takes the change feed's next position, locking the counter until the transaction ends.
async fn next_feed_position(transaction: &DatabaseTransaction) -> Result<i64, StoreError> {
    let statement = Statement::from_string(
        transaction.get_database_backend(),
        "UPDATE counters SET feed_position = feed_position + 1 WHERE id = 1 RETURNING feed_position",
    );
    let row = transaction
        .query_one_raw(statement)
        .await?
        .ok_or_else(|| StoreError::Corrupt("the counters row is missing".into()))?;
    Ok(row.try_get_by_index::<i64>(0)?)
}

async fn find_by_request_id(
    db: &impl ConnectionTrait,
    request_id: &str,
) -> Result<Option<StoredSubmission>, StoreError> {
    let Some(row) = submission::Entity::find()
        .filter(submission::Column::RequestId.eq(request_id))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let latest = latest_ids(db, &[row.id]).await?;
    from_row(row, latest.is_empty()).map(Some)
}

/// Which of these submissions are the latest revision of their agency and period.
async fn latest_ids(db: &impl ConnectionTrait, ids: &[i64]) -> Result<HashSet<i64>, StoreError> {
    if ids.is_empty() {
        return Ok(HashSet::new());
    }
    Ok(latest_submission::Entity::find()
        .filter(latest_submission::Column::SubmissionId.is_in(ids.iter().copied()))
        .all(db)
        .await?
        .into_iter()
        .map(|latest| latest.submission_id)
        .collect())
}

/// Reads back the report stored as JSON with submission `id`.
pub(super) fn parse_report(id: i64, json: &str) -> Result<AnnualReport, StoreError> {
    serde_json::from_str(json)
        .map_err(|error| StoreError::Corrupt(format!("submission {id}: report: {error}")))
}

fn from_row(row: submission::Model, superseded: bool) -> Result<StoredSubmission, StoreError> {
    let report = parse_report(row.id, &row.report)?;
    Ok(StoredSubmission {
        id: row.id,
        request_id: row.request_id,
        agency_code: row.agency_code,
        period_code: row.period_code,
        revision: row.revision,
        received_at: row.received_at,
        late: row.late,
        content_hash: row.content_hash,
        report,
        superseded,
        feed_position: row.feed_position,
    })
}
