//! Reviews: a province accepts its agency's latest revision, or returns it with reasons. Each
//! review is kept (the latest of a submission is in force), written in the same transaction as
//! its audit entry, and checked by `audit verify`.

use std::collections::{HashMap, HashSet};

use chrono::{SecondsFormat, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

use super::audit_chain::{self, AuditAction, AuditRecord};
use super::database::Store;
use super::entities::{latest_submission, review, submission};
use super::error::StoreError;
use super::values::reviews::{NewReview, Review, ReviewDecision, ReviewState};
use crate::domain::canonical::sha256_hex;

/// What became of a review.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reviewed {
    Recorded(Review),
    /// The submission is not its agency's latest revision for the period any more.
    Superseded {
        latest_submission_id: i64,
    },
    NoSuchSubmission,
}

impl Store {
    /// Records a review and its audit entry in one transaction, if the submission is still its
    /// agency's latest revision for the period.
    pub async fn review_submission(&self, new: NewReview<'_>) -> Result<Reviewed, StoreError> {
        let now = Utc::now();
        let transaction = self.begin_write().await?;
        let Some(reviewed) = submission::Entity::find_by_id(new.submission_id)
            .one(&transaction)
            .await?
        else {
            return Ok(Reviewed::NoSuchSubmission);
        };
        let latest = latest_submission::Entity::find_by_id((
            reviewed.agency_code.clone(),
            reviewed.period_code.clone(),
        ))
        .one(&transaction)
        .await?
        .ok_or_else(|| {
            StoreError::Corrupt(format!(
                "submission {} has no latest-revision row",
                reviewed.id
            ))
        })?;
        if latest.submission_id != reviewed.id {
            return Ok(Reviewed::Superseded {
                latest_submission_id: latest.submission_id,
            });
        }
        let reasons = serde_json::to_string(new.reasons)
            .map_err(|error| StoreError::Corrupt(format!("review reasons: {error}")))?;
        let row = review::ActiveModel {
            id: sea_orm::NotSet,
            submission_id: sea_orm::Set(reviewed.id),
            agency_code: sea_orm::Set(reviewed.agency_code),
            period_code: sea_orm::Set(reviewed.period_code),
            revision: sea_orm::Set(reviewed.revision),
            decision: sea_orm::Set(new.decision.as_str().to_string()),
            reasons: sea_orm::Set(reasons),
            reviewed_by: sea_orm::Set(new.reviewed_by.to_string()),
            reviewed_at: sea_orm::Set(now),
        };
        let recorded = from_row(
            review::Entity::insert(row)
                .exec_with_returning(&transaction)
                .await?,
        )?;
        audit_chain::append(&transaction, &[audit_record(&recorded)], now).await?;
        transaction.commit().await?;
        Ok(Reviewed::Recorded(recorded))
    }

    /// The latest review of each of these submissions that has one.
    pub async fn latest_reviews(
        &self,
        submission_ids: &[i64],
    ) -> Result<HashMap<i64, Review>, StoreError> {
        let mut latest = HashMap::new();
        for batch in submission_ids.chunks(500) {
            let rows = review::Entity::find()
                .filter(review::Column::SubmissionId.is_in(batch.iter().copied()))
                .order_by_asc(review::Column::Id)
                .all(&self.db)
                .await?;
            for row in rows {
                let review = from_row(row)?;
                latest.insert(review.submission_id, review);
            }
        }
        Ok(latest)
    }

    /// The submissions whose latest review accepted them.
    pub async fn accepted_submissions(&self) -> Result<HashSet<i64>, StoreError> {
        let mut decisions = HashMap::new();
        for row in review::Entity::find()
            .order_by_asc(review::Column::Id)
            .all(&self.db)
            .await?
        {
            decisions.insert(row.submission_id, row.decision);
        }
        Ok(decisions
            .into_iter()
            .filter(|(_, decision)| decision == ReviewDecision::Accept.as_str())
            .map(|(id, _)| id)
            .collect())
    }

    /// The latest review of every reviewed revision of a period, by agency and revision.
    pub async fn period_reviews(
        &self,
        period_code: &str,
    ) -> Result<HashMap<(String, i32), Review>, StoreError> {
        let mut latest = HashMap::new();
        for row in review::Entity::find()
            .filter(review::Column::PeriodCode.eq(period_code))
            .order_by_asc(review::Column::Id)
            .all(&self.db)
            .await?
        {
            let review = from_row(row)?;
            latest.insert((review.agency_code.clone(), review.revision), review);
        }
        Ok(latest)
    }
}

/// The SQL condition on `submission.id` that keeps the submissions in `state` (of those that are
/// latest revisions: the caller restricts to those). The decision names are the fixed words of
/// [`ReviewDecision::as_str`], never input.
pub(super) fn review_state_condition(state: ReviewState) -> String {
    let decided = |decision: ReviewDecision| {
        format!(
            "submission.id IN (SELECT r.submission_id FROM review r WHERE r.decision = '{}' \
             AND r.id = (SELECT MAX(l.id) FROM review l WHERE l.submission_id = r.submission_id))",
            decision.as_str()
        )
    };
    match state {
        ReviewState::AwaitingReview => {
            "submission.id NOT IN (SELECT submission_id FROM review)".to_string()
        }
        ReviewState::Accepted => decided(ReviewDecision::Accept),
        ReviewState::Returned => decided(ReviewDecision::Return),
    }
}

fn from_row(row: review::Model) -> Result<Review, StoreError> {
    let decision = ReviewDecision::parse(&row.decision).ok_or_else(|| {
        StoreError::Corrupt(format!("review {}: decision {:?}", row.id, row.decision))
    })?;
    let reasons = serde_json::from_str(&row.reasons)
        .map_err(|error| StoreError::Corrupt(format!("review {}: reasons: {error}", row.id)))?;
    Ok(Review {
        id: row.id,
        submission_id: row.submission_id,
        agency_code: row.agency_code,
        period_code: row.period_code,
        revision: row.revision,
        decision,
        reasons,
        reviewed_by: row.reviewed_by,
        reviewed_at: row.reviewed_at,
    })
}

/// The subject a review's audit entry names.
fn subject(id: i64) -> String {
    format!("review {id}")
}

/// A review's entry: its content hash covers everything the row says.
fn audit_record(review: &Review) -> AuditRecord {
    let content = serde_json::json!([
        review.id,
        review.submission_id,
        review.agency_code,
        review.period_code,
        review.revision,
        review.decision.as_str(),
        review.reasons,
        review.reviewed_by,
        review
            .reviewed_at
            .to_rfc3339_opts(SecondsFormat::Micros, true),
    ]);
    AuditRecord {
        principal: review.reviewed_by.clone(),
        action: AuditAction::SubmissionReviewed,
        subject: subject(review.id),
        request_id: String::new(),
        // sha256_hex writes the "sha256:" itself. Entries written before the counters were
        // recorded spell it twice; `audit verify` accepts that spelling for them only.
        content_hash: sha256_hex(content.to_string().as_bytes()),
    }
}

/// Every review stored, as `audit_verify::check_recorded` compares it with its entry.
pub(super) async fn recorded_reviews(
    db: &impl ConnectionTrait,
) -> Result<Vec<audit_chain::RecordedRow>, StoreError> {
    let mut rows = Vec::new();
    for row in review::Entity::find()
        .order_by_asc(review::Column::Id)
        .all(db)
        .await?
    {
        let id = row.id;
        let described = format!(
            "{} {} revision {}",
            row.agency_code, row.period_code, row.revision
        );
        // A row that no longer reads is altered as surely as one that reads differently.
        let content_hash = from_row(row)
            .map(|review| audit_record(&review).content_hash)
            .unwrap_or_default();
        rows.push(audit_chain::RecordedRow {
            subject: subject(id),
            content_hash,
            described,
        });
    }
    Ok(rows)
}
