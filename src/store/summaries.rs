//! What the summaries read: the latest report of every agency for some periods, as one consistent
//! snapshot with the change-feed position it is complete up to; and the change feed itself.

use std::collections::HashMap;

use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Statement,
};

use super::database::Store;
use super::entities::{latest_submission, submission};
use super::error::StoreError;
use super::feed::{Change, Counters};
use super::submissions::parse_report;
use crate::domain::report::AnnualReport;
use crate::domain::summary::{LatestReport, ReportSnapshot};

impl Store {
    /// The latest report of every agency for every period and the feed position they are
    /// complete up to, read in one snapshot: a submission is either wholly in it (and at or
    /// before `data_as_of`) or not.
    pub async fn report_snapshot(&self) -> Result<ReportSnapshot, StoreError> {
        let transaction = self.begin_snapshot().await?;
        let data_as_of = counters(&transaction).await?.feed_position;
        let latest_rows = latest_submission::Entity::find().all(&transaction).await?;
        let ids: Vec<i64> = latest_rows
            .iter()
            .map(|latest| latest.submission_id)
            .collect();
        let mut report_json: HashMap<i64, String> = HashMap::with_capacity(ids.len());
        // Bounded batches keep each statement within every backend's parameter limit.
        for batch in ids.chunks(500) {
            let rows: Vec<(i64, String)> = submission::Entity::find()
                .select_only()
                .column(submission::Column::Id)
                .column(submission::Column::Report)
                .filter(submission::Column::Id.is_in(batch.iter().copied()))
                .into_tuple()
                .all(&transaction)
                .await?;
            report_json.extend(rows);
        }
        transaction.commit().await?;

        let mut snapshot = ReportSnapshot::new(data_as_of);
        for latest in latest_rows {
            let json = report_json.get(&latest.submission_id).ok_or_else(|| {
                StoreError::Corrupt(format!(
                    "latest submission {} is missing",
                    latest.submission_id
                ))
            })?;
            let report = parse_report(latest.submission_id, json)?;
            snapshot.insert(
                &latest.period_code,
                &latest.agency_code,
                LatestReport {
                    submission_id: latest.submission_id,
                    revision: latest.revision,
                    report,
                    first_received_at: latest.first_received_at,
                    first_late: latest.first_late,
                },
            );
        }
        Ok(snapshot)
    }

    /// The change feed's head: the position of the last committed submission.
    pub async fn feed_head(&self) -> Result<i64, StoreError> {
        Ok(counters(&self.db).await?.feed_position)
    }

    /// The key page tokens are signed with, the same for every process sharing the database.
    pub async fn page_token_key(&self) -> Result<Vec<u8>, StoreError> {
        let row = self
            .db
            .query_one_raw(Statement::from_string(
                self.db.get_database_backend(),
                "SELECT page_token_key FROM counters WHERE id = 1",
            ))
            .await?
            .ok_or_else(|| StoreError::Corrupt("the counters row is missing".into()))?;
        let key: String = row.try_get_by_index(0)?;
        Ok(key.into_bytes())
    }

    /// The change feed's head and the catalogue's revision, in one read.
    pub async fn counters(&self) -> Result<Counters, StoreError> {
        counters(&self.db).await
    }

    /// Like [`Store::list_changes`], with each change's report: what a reader needs to bring a
    /// copy of the latest reports up to date.
    pub async fn changes_with_reports(
        &self,
        after_position: i64,
        limit: u64,
    ) -> Result<Vec<(Change, AnnualReport)>, StoreError> {
        self.feed_rows(after_position, limit)
            .await?
            .into_iter()
            .map(|row| {
                let report = parse_report(row.id, &row.report)?;
                Ok((change_from_row(row), report))
            })
            .collect()
    }

    /// Accepted submissions after `after_position`, in feed order, at most `limit`. Positions are
    /// handed out in commit order without gaps, so a reader that resumes after the last position it
    /// saw never misses one.
    pub async fn list_changes(
        &self,
        after_position: i64,
        limit: u64,
    ) -> Result<Vec<Change>, StoreError> {
        let rows = self.feed_rows(after_position, limit).await?;
        Ok(rows.into_iter().map(change_from_row).collect())
    }

    async fn feed_rows(
        &self,
        after_position: i64,
        limit: u64,
    ) -> Result<Vec<submission::Model>, StoreError> {
        Ok(submission::Entity::find()
            .filter(submission::Column::FeedPosition.gt(after_position))
            .order_by_asc(submission::Column::FeedPosition)
            .limit(limit)
            .all(&self.db)
            .await?)
    }
}

fn change_from_row(row: submission::Model) -> Change {
    Change {
        position: row.feed_position,
        submission_id: row.id,
        agency_code: row.agency_code,
        period_code: row.period_code,
        revision: row.revision,
        request_id: row.request_id,
        content_hash: row.content_hash,
        received_at: row.received_at,
        late: row.late,
    }
}

async fn counters(db: &impl ConnectionTrait) -> Result<Counters, StoreError> {
    let statement = Statement::from_string(
        db.get_database_backend(),
        "SELECT feed_position, catalog_revision, credential_revision FROM counters WHERE id = 1",
    );
    let row = db
        .query_one_raw(statement)
        .await?
        .ok_or_else(|| StoreError::Corrupt("the counters row is missing".into()))?;
    Ok(Counters {
        feed_position: row.try_get_by_index::<i64>(0)?,
        catalog_revision: row.try_get_by_index::<i64>(1)?,
        credential_revision: row.try_get_by_index::<i64>(2)?,
    })
}
