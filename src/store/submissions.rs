//! Keeping submissions: every revision, the latest one per agency and period, and the request ids
//! that make a retried submit harmless.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, OnConflict, Query};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, DbErr, EntityTrait,
    IntoActiveModel, QueryFilter, QueryOrder, QuerySelect, SqlErr, Statement,
};
use tracing::debug;

use super::audit_chain::{self, AuditAction, AuditHead, AuditRecord};
use super::database::Store;
use super::entities::{audit_entry, latest_submission, submission};
use super::error::StoreError;
use super::feed::Counters;
use super::reviews::review_state_condition;
use super::revisions::Revised;
use super::values::submissions::{HeldForBatch, ListSubmissionsQuery, StoredSubmission};
use crate::domain::report::AnnualReport;
use crate::domain::submission::ValidSubmission;

/// The most a list returns in one page.
pub const MAX_PAGE_SIZE: u64 = 1000;

/// How often a batch is retried when a concurrent writer took a revision or request id it chose.
const MAX_ATTEMPTS: usize = 20;

/// What becomes of one submit of a batch, as planned before anything is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubmitPlan {
    /// Its request id was taken before this batch: replayed or refused, nothing written.
    TakenBefore(Box<Revised<StoredSubmission>>),
    /// Its request id was taken by the submit of this batch at that index: replayed or refused.
    TakenInBatch(Revised<usize>),
    /// Stored as this revision of its agency and period.
    New { revision: i32, late: bool },
}

/// Plans a batch from what the database holds of it: what becomes of each submit, in order.
/// The application's rules, handed to the store so that it applies them under its lock.
pub type PlanBatch = fn(&[(&ValidSubmission, DateTime<Utc>)], &HeldForBatch) -> Vec<SubmitPlan>;

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
        Ok(find_by_request_ids(&self.db, &[request_id])
            .await?
            .remove(request_id))
    }

    /// The submissions these request ids were accepted as, keyed by request id (empty ids are
    /// never looked up).
    pub async fn find_by_request_ids(
        &self,
        request_ids: &[&str],
    ) -> Result<HashMap<String, StoredSubmission>, StoreError> {
        find_by_request_ids(&self.db, request_ids).await
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

    /// Stores a batch of checked submissions in one transaction (one commit, one sync to disk),
    /// each as `plan` decides from what the database holds under the write lock: replayed or
    /// refused under a request id taken before, or a new revision of its agency and period. A
    /// handful of statements serve the whole batch, however long.
    pub async fn store_submissions(
        &self,
        batch: &[(&ValidSubmission, DateTime<Utc>)],
        plan: PlanBatch,
    ) -> Result<Vec<Revised<StoredSubmission>>, StoreError> {
        for attempt in 1..=MAX_ATTEMPTS {
            // What this process had heard of before the counters row is locked, all of which the
            // counters read under the lock hold.
            let heard = self.commits.generation();
            let transaction = self.begin_write().await?;
            match store_batch(&transaction, batch, plan).await {
                Ok((outcomes, counters)) => {
                    transaction.commit().await?;
                    self.commits.keep_committed(outcomes.iter().filter_map(
                        |outcome| match outcome {
                            Revised::Stored(stored) => {
                                Some((stored.change(), stored.report.clone()))
                            }
                            _ => None,
                        },
                    ));
                    self.commits.committed(heard, counters);
                    return Ok(outcomes);
                }
                // Writers queue on the counters row, so this takes a writer that ignores it
                // (a hand-run statement): start over, and the next round sees what it stored.
                // Unless the rows that choose revisions and positions disagree with what is
                // stored: then every round would collide again.
                Err(Stored::Conflict) => {
                    transaction.rollback().await?;
                    if let Some(disagreement) = self.disagreement(batch).await? {
                        return Err(StoreError::Inconsistent(disagreement));
                    }
                    debug!(
                        attempt,
                        "revision or request id taken concurrently, retrying"
                    );
                }
                Err(Stored::Failed(error)) => return Err(error),
            }
        }
        Err(StoreError::Contention(format!(
            "a revision or request id stayed taken after {MAX_ATTEMPTS} attempts"
        )))
    }

    /// Whether the counters row disagrees with the stored submissions: its feed head must be the
    /// last position stored. A lower head (a row edited behind pressdx's back) makes every submit
    /// collide with a stored position; a higher one leaves a gap in the feed. Checked when a
    /// server starts.
    pub async fn feed_disagreement(&self) -> Result<Option<String>, StoreError> {
        feed_disagreement(&self.db).await
    }

    /// Why a batch keeps colliding, if the database disagrees with itself: the counters row
    /// behind the stored feed, or a latest-revision row behind the revisions stored for one of
    /// the batch's reports.
    async fn disagreement(
        &self,
        batch: &[(&ValidSubmission, DateTime<Utc>)],
    ) -> Result<Option<String>, StoreError> {
        if let Some(disagreement) = feed_disagreement(&self.db).await? {
            return Ok(Some(disagreement));
        }
        let keys: HashSet<(&str, &str)> = batch
            .iter()
            .map(|(valid, _)| (valid.agency_code.as_str(), valid.period.code.as_str()))
            .collect();
        for (agency_code, period_code) in keys {
            let stored = submission::Entity::find()
                .filter(submission::Column::AgencyCode.eq(agency_code))
                .filter(submission::Column::PeriodCode.eq(period_code))
                .order_by_desc(submission::Column::Revision)
                .one(&self.db)
                .await?
                .map_or(0, |row| row.revision);
            let latest = self.latest_revision(agency_code, period_code).await?;
            if latest < stored {
                return Ok(Some(format!(
                    "the latest revision of {agency_code} {period_code} is said to be {latest}, \
                     but revision {stored} is stored"
                )));
            }
        }
        Ok(None)
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
        if let Some(state) = query.review_state {
            select = select.filter(Expr::cust(review_state_condition(state)));
        }
        if query.with_warnings {
            select = select.filter(submission::Column::Warnings.ne("[]"));
        }
        if query.latest_only || query.review_state.is_some() {
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

/// The counters a batch reads first, locking them until it commits (on PostgreSQL; SQLite's
/// write lock is already held): every writer of every process queues here, so the revisions,
/// request ids and feed positions a batch reads next cannot change under it, feed positions
/// follow commit order, and the counters are as read until the batch moves the feed.
async fn lock_counters(
    transaction: &DatabaseTransaction,
) -> Result<(Counters, AuditHead), StoreError> {
    let row = transaction
        .query_one_raw(Statement::from_string(
            transaction.get_database_backend(),
            "UPDATE counters SET feed_position = feed_position WHERE id = 1 \
             RETURNING feed_position, catalog_revision, credential_revision, audit_seq, audit_head",
        ))
        .await?
        .ok_or_else(|| StoreError::Corrupt("the counters row is missing".into()))?;
    let counters = Counters {
        feed_position: row.try_get_by_index(0)?,
        catalog_revision: row.try_get_by_index(1)?,
        credential_revision: row.try_get_by_index(2)?,
    };
    let head = AuditHead {
        seq: row.try_get_by_index(3)?,
        hash: row.try_get_by_index(4)?,
    };
    Ok((counters, head))
}

/// Stores a batch inside `transaction` as `plan` decides (see [`Store::store_submissions`]), and
/// answers the counters as they are once it commits.
async fn store_batch(
    transaction: &DatabaseTransaction,
    batch: &[(&ValidSubmission, DateTime<Utc>)],
    plan: PlanBatch,
) -> Result<(Vec<Revised<StoredSubmission>>, Counters), Stored> {
    let (counters, audit_head) = lock_counters(transaction).await?;
    let mut feed_position = counters.feed_position;

    // What the database already holds of this batch: its request ids, and the latest revision of
    // each agency and period it touches.
    let request_ids: Vec<&str> = batch
        .iter()
        .map(|(valid, _)| valid.request_id.as_str())
        .collect();
    let latest = latest_of(transaction, batch).await?;
    let held = HeldForBatch {
        earlier: find_by_request_ids(transaction, &request_ids).await?,
        latest_revisions: latest
            .iter()
            .map(|(key, (revision, _))| (key.clone(), *revision))
            .collect(),
    };
    let plans = plan(batch, &held);
    if plans.len() != batch.len() {
        return Err(Stored::Failed(StoreError::Corrupt(format!(
            "a batch of {} submits was planned as {}",
            batch.len(),
            plans.len()
        ))));
    }

    // The rows to insert, named by their feed position until they have an id; the first
    // revision of each agency and period keeps its arrival as stored, or takes this batch's.
    let mut positions: HashMap<usize, i64> = HashMap::new();
    let mut first_arrivals = latest
        .into_iter()
        .map(|(key, (_, first))| (key, first))
        .collect::<HashMap<_, _>>();
    let mut rows = Vec::new();
    for (index, (plan, (valid, received_at))) in plans.iter().zip(batch).enumerate() {
        let SubmitPlan::New { revision, late } = *plan else {
            continue;
        };
        feed_position += 1;
        positions.insert(index, feed_position);
        first_arrivals
            .entry((valid.agency_code.clone(), valid.period.code.clone()))
            .or_insert((*received_at, late));
        rows.push(submission::Model {
            id: 0,
            request_id: valid.request_id.clone(),
            agency_code: valid.agency_code.clone(),
            period_code: valid.period.code.clone(),
            revision,
            received_at: *received_at,
            late,
            content_hash: valid.content_hash.clone(),
            report: valid.report.to_stored_json(),
            feed_position,
            entered_by: valid.on_behalf.then(|| valid.submitted_by.clone()),
            received_at_asserted: valid.asserted_received_at.is_some(),
            warnings: serde_json::to_string(&valid.warnings)
                .map_err(|error| StoreError::Corrupt(format!("warnings: {error}")))?,
        });
    }
    if rows.is_empty() {
        // Nothing new: every submit was answered from what is stored.
        let outcomes = plans
            .into_iter()
            .map(|plan| match plan {
                SubmitPlan::TakenBefore(outcome) => Ok(*outcome),
                _ => Err(StoreError::Corrupt(
                    "a submit was planned after a row that is not in its batch".into(),
                )),
            })
            .collect::<Result<_, _>>()?;
        return Ok((outcomes, counters));
    }

    let inserted: HashMap<i64, submission::Model> =
        submission::Entity::insert_many(rows.into_iter().map(|row| {
            let mut active = row.into_active_model();
            active.id = sea_orm::NotSet;
            active
        }))
        .exec_with_returning(transaction)
        .await?
        .into_iter()
        .map(|row| (row.feed_position, row))
        .collect();
    // A row of this batch as stored, superseded if a later revision is in the batch too.
    let stored = |position: &i64| {
        let row = inserted.get(position).cloned().ok_or_else(|| {
            StoreError::Corrupt(format!("feed position {position} was not inserted"))
        })?;
        let superseded = inserted.values().any(|other| {
            other.agency_code == row.agency_code
                && other.period_code == row.period_code
                && other.revision > row.revision
        });
        from_row(row, superseded)
    };

    // The latest revision of each agency and period touched, one row each; the first revision's
    // arrival stays as it was.
    let mut newest: HashMap<(String, String), &submission::Model> = HashMap::new();
    for row in inserted.values() {
        let key = (row.agency_code.clone(), row.period_code.clone());
        if newest
            .get(&key)
            .is_none_or(|kept| kept.revision < row.revision)
        {
            newest.insert(key, row);
        }
    }
    let latest_rows = newest.into_iter().map(|(key, row)| {
        let (first_received_at, first_late) = first_arrivals[&key];
        latest_submission::ActiveModel {
            agency_code: sea_orm::Set(row.agency_code.clone()),
            period_code: sea_orm::Set(row.period_code.clone()),
            revision: sea_orm::Set(row.revision),
            submission_id: sea_orm::Set(row.id),
            first_received_at: sea_orm::Set(first_received_at),
            first_late: sea_orm::Set(first_late),
        }
    });
    latest_submission::Entity::insert_many(latest_rows)
        .on_conflict(
            OnConflict::columns([
                latest_submission::Column::AgencyCode,
                latest_submission::Column::PeriodCode,
            ])
            .update_columns([
                latest_submission::Column::Revision,
                latest_submission::Column::SubmissionId,
            ])
            .to_owned(),
        )
        .exec_without_returning(transaction)
        .await?;

    // The audit entries, in the batch's order, and the new heads of the feed and the chain.
    let position_of = |index: &usize| {
        positions.get(index).ok_or_else(|| {
            StoreError::Corrupt(format!(
                "submit {index} of the batch was not planned as new"
            ))
        })
    };
    let mut outcomes = Vec::with_capacity(plans.len());
    let mut records = Vec::new();
    for (index, (plan, (valid, _))) in plans.into_iter().zip(batch).enumerate() {
        outcomes.push(match plan {
            SubmitPlan::TakenBefore(outcome) => *outcome,
            SubmitPlan::TakenInBatch(Revised::Replayed(first)) => {
                Revised::Replayed(stored(position_of(&first)?)?)
            }
            SubmitPlan::TakenInBatch(Revised::RequestIdReused(first)) => {
                Revised::RequestIdReused(stored(position_of(&first)?)?)
            }
            SubmitPlan::TakenInBatch(Revised::Stored(first)) => {
                return Err(Stored::Failed(StoreError::Corrupt(format!(
                    "submit {index} of the batch was planned as stored by submit {first}"
                ))));
            }
            SubmitPlan::New { .. } => {
                let position = position_of(&index)?;
                let stored = stored(position)?;
                let row = &inserted[position];
                records.push(AuditRecord {
                    principal: valid.submitted_by.clone(),
                    action: AuditAction::SubmissionAccepted,
                    subject: audit_chain::submission_subject(row),
                    request_id: stored.request_id.clone(),
                    content_hash: stored.content_hash.clone(),
                });
                Revised::Stored(stored)
            }
        });
    }
    let (entries, audit_head) = audit_chain::chain(audit_head, &records, Utc::now());
    audit_entry::Entity::insert_many(entries)
        .exec_without_returning(transaction)
        .await?;
    let backend = transaction.get_database_backend();
    transaction
        .execute_raw(Statement::from_sql_and_values(
            backend,
            super::database::numbered_placeholders(
                backend,
                "UPDATE counters SET feed_position = ?, audit_seq = ?, audit_head = ? WHERE id = 1",
            ),
            [
                feed_position.into(),
                audit_head.seq.into(),
                audit_head.hash.into(),
            ],
        ))
        .await?;
    Ok((
        outcomes,
        Counters {
            feed_position,
            ..counters
        },
    ))
}

async fn feed_disagreement(db: &impl ConnectionTrait) -> Result<Option<String>, StoreError> {
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT (SELECT feed_position FROM counters WHERE id = 1), \
             (SELECT COALESCE(MAX(feed_position), 0) FROM submission)",
        ))
        .await?
        .ok_or_else(|| StoreError::Corrupt("the counters row is missing".into()))?;
    let (head, stored): (Option<i64>, i64) = (row.try_get_by_index(0)?, row.try_get_by_index(1)?);
    let head = head.ok_or_else(|| StoreError::Corrupt("the counters row is missing".into()))?;
    let consequence = match head.cmp(&stored) {
        std::cmp::Ordering::Equal => return Ok(None),
        std::cmp::Ordering::Less => "every submit collides with a stored position",
        std::cmp::Ordering::Greater => "the next submit leaves a gap in the change feed",
    };
    Ok(Some(format!(
        "the counters row says the change feed ends at position {head}, but the stored \
         submissions end at position {stored}: {consequence}"
    )))
}

/// The latest revision of each agency and period in `batch`, with the first revision's arrival
/// and lateness.
async fn latest_of(
    db: &impl ConnectionTrait,
    batch: &[(&ValidSubmission, DateTime<Utc>)],
) -> Result<LatestRevisions, StoreError> {
    let agencies: HashSet<&str> = batch
        .iter()
        .map(|(valid, _)| valid.agency_code.as_str())
        .collect();
    let periods: HashSet<&str> = batch
        .iter()
        .map(|(valid, _)| valid.period.code.as_str())
        .collect();
    let rows = latest_submission::Entity::find()
        .filter(latest_submission::Column::AgencyCode.is_in(agencies))
        .filter(latest_submission::Column::PeriodCode.is_in(periods))
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            (
                (row.agency_code, row.period_code),
                (row.revision, (row.first_received_at, row.first_late)),
            )
        })
        .collect())
}

/// Per agency and period: the latest revision, and when the first arrived and whether late.
type LatestRevisions = HashMap<(String, String), (i32, (DateTime<Utc>, bool))>;

async fn find_by_request_ids(
    db: &impl ConnectionTrait,
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
            .all(db)
            .await?;
        let ids: Vec<i64> = rows.iter().map(|row| row.id).collect();
        let latest = latest_ids(db, &ids).await?;
        for row in rows {
            let superseded = !latest.contains(&row.id);
            let stored = from_row(row, superseded)?;
            found.insert(stored.request_id.clone(), stored);
        }
    }
    Ok(found)
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
    let warnings = serde_json::from_str(&row.warnings).map_err(|error| {
        StoreError::Corrupt(format!("submission {}: warnings: {error}", row.id))
    })?;
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
        entered_by: row.entered_by,
        received_at_asserted: row.received_at_asserted,
        warnings,
    })
}
