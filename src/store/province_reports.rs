//! Province reports: the versions of each province's yearly report to the Ministry. A draft is
//! written over (a fresh snapshot, an edited narrative) only if it still holds what its writer
//! read; a submitted version is never written again. Every write goes in the same transaction as
//! its audit entry, and `audit verify` checks each row against its last entry.
//!
//! The store keeps a report's content as opaque bytes with their hash: what they say is the API's
//! business (pressdx.v1.ProvinceReportContent).

use chrono::{DateTime, SecondsFormat, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, SqlErr,
};

use super::audit_chain::{self, AuditAction, AuditRecord};
use super::database::Store;
use super::entities::province_report;
use super::error::StoreError;
use super::values::province_reports::{ProvinceReportDraft, ProvinceReportFilter};
use crate::domain::canonical::sha256_hex;
use crate::domain::province_report::SubmittedVersion;

/// Where a version stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProvinceReportState {
    Draft,
    Submitted,
}

impl ProvinceReportState {
    fn as_str(self) -> &'static str {
        match self {
            ProvinceReportState::Draft => "draft",
            ProvinceReportState::Submitted => "submitted",
        }
    }

    fn parse(text: &str) -> Option<ProvinceReportState> {
        match text {
            "draft" => Some(ProvinceReportState::Draft),
            "submitted" => Some(ProvinceReportState::Submitted),
            _ => None,
        }
    }
}

/// One version of a province's report, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredProvinceReport {
    pub id: i64,
    pub province_code: String,
    pub plan_code: String,
    pub period_code: String,
    pub version: i32,
    pub state: ProvinceReportState,
    pub correction_reason: String,
    /// The content's bytes, exactly as hashed.
    pub content: Vec<u8>,
    /// "sha256:" and the hex SHA-256 of `content`.
    pub content_hash: String,
    pub data_as_of: i64,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub submitted_by: Option<String>,
    pub submitted_at: Option<DateTime<Utc>>,
}

/// The content hash of a report's bytes.
pub fn province_report_hash(content: &[u8]) -> String {
    sha256_hex(content)
}

/// What became of a submit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProvinceReportSubmit {
    Submitted(StoredProvinceReport),
    /// It was submitted before with the very hash asked for: the same signature, retried.
    AlreadySubmitted(StoredProvinceReport),
    /// It was submitted before, with another content than the one asked for.
    SubmittedOtherwise(StoredProvinceReport),
    /// The draft no longer has the hash the signer read.
    DraftChanged(StoredProvinceReport),
    NoSuchReport,
}

impl Store {
    /// One version by id.
    pub async fn province_report(
        &self,
        id: i64,
    ) -> Result<Option<StoredProvinceReport>, StoreError> {
        province_report::Entity::find_by_id(id)
            .one(&self.db)
            .await?
            .map(from_row)
            .transpose()
    }

    /// The latest version of a province's report on a plan for a period, or with `version` that
    /// one; submitted ones only with `submitted_only`.
    pub async fn province_report_version(
        &self,
        (province_code, plan_code, period_code): (&str, &str, &str),
        version: Option<i32>,
        submitted_only: bool,
    ) -> Result<Option<StoredProvinceReport>, StoreError> {
        let mut query = province_report::Entity::find()
            .filter(province_report::Column::ProvinceCode.eq(province_code))
            .filter(province_report::Column::PlanCode.eq(plan_code))
            .filter(province_report::Column::PeriodCode.eq(period_code));
        if let Some(version) = version {
            query = query.filter(province_report::Column::Version.eq(version));
        }
        if submitted_only {
            query = query
                .filter(province_report::Column::State.eq(ProvinceReportState::Submitted.as_str()));
        }
        query
            .order_by_desc(province_report::Column::Version)
            .one(&self.db)
            .await?
            .map(from_row)
            .transpose()
    }

    /// The versions `filter` selects with an id above `after_id`, by id, at most `limit`.
    pub async fn list_province_reports(
        &self,
        filter: &ProvinceReportFilter<'_>,
        after_id: i64,
        limit: u64,
    ) -> Result<Vec<StoredProvinceReport>, StoreError> {
        let mut query =
            province_report::Entity::find().filter(province_report::Column::Id.gt(after_id));
        if let Some(code) = filter.province_code {
            query = query.filter(province_report::Column::ProvinceCode.eq(code));
        }
        if let Some(code) = filter.plan_code {
            query = query.filter(province_report::Column::PlanCode.eq(code));
        }
        if let Some(code) = filter.period_code {
            query = query.filter(province_report::Column::PeriodCode.eq(code));
        }
        if filter.submitted_only {
            query = query
                .filter(province_report::Column::State.eq(ProvinceReportState::Submitted.as_str()));
        }
        query
            .order_by_asc(province_report::Column::Id)
            .limit(limit)
            .all(&self.db)
            .await?
            .into_iter()
            .map(from_row)
            .collect()
    }

    /// Every submitted version on a plan for a period, of every province.
    pub async fn submitted_province_reports(
        &self,
        plan_code: &str,
        period_code: &str,
    ) -> Result<Vec<SubmittedVersion>, StoreError> {
        let rows: Vec<(String, i32, Option<DateTime<Utc>>)> = province_report::Entity::find()
            .select_only()
            .column(province_report::Column::ProvinceCode)
            .column(province_report::Column::Version)
            .column(province_report::Column::SubmittedAt)
            .filter(province_report::Column::PlanCode.eq(plan_code))
            .filter(province_report::Column::PeriodCode.eq(period_code))
            .filter(province_report::Column::State.eq(ProvinceReportState::Submitted.as_str()))
            .into_tuple()
            .all(&self.db)
            .await?;
        rows.into_iter()
            .map(|(province_code, version, submitted_at)| {
                let submitted_at = submitted_at.ok_or_else(|| {
                    StoreError::Corrupt(format!(
                        "province report {province_code} version {version} is submitted but has \
                         no submitted_at"
                    ))
                })?;
                Ok(SubmittedVersion {
                    province_code,
                    version,
                    submitted_at,
                })
            })
            .collect()
    }

    /// Writes a draft and its audit entry in one transaction. `None` when another writer got
    /// there first: the version exists already, or the draft replaced no longer has the hash
    /// read (changed, or submitted). The caller reads again and decides.
    pub async fn save_province_report_draft(
        &self,
        draft: ProvinceReportDraft<'_>,
    ) -> Result<Option<StoredProvinceReport>, StoreError> {
        let now = Utc::now();
        let content_hash = province_report_hash(&draft.content);
        let transaction = self.begin_write().await?;
        let id = match draft.replacing {
            None => {
                let row = province_report::ActiveModel {
                    id: sea_orm::NotSet,
                    province_code: sea_orm::Set(draft.province_code.to_string()),
                    plan_code: sea_orm::Set(draft.plan_code.to_string()),
                    period_code: sea_orm::Set(draft.period_code.to_string()),
                    version: sea_orm::Set(draft.version),
                    state: sea_orm::Set(ProvinceReportState::Draft.as_str().to_string()),
                    correction_reason: sea_orm::Set(draft.correction_reason.to_string()),
                    content: sea_orm::Set(draft.content),
                    content_hash: sea_orm::Set(content_hash),
                    data_as_of: sea_orm::Set(draft.data_as_of),
                    created_by: sea_orm::Set(draft.written_by.to_string()),
                    created_at: sea_orm::Set(now),
                    updated_at: sea_orm::Set(now),
                    submitted_by: sea_orm::Set(None),
                    submitted_at: sea_orm::Set(None),
                };
                match province_report::Entity::insert(row)
                    .exec(&transaction)
                    .await
                {
                    Ok(inserted) => inserted.last_insert_id,
                    Err(error)
                        if matches!(
                            error.sql_err(),
                            Some(SqlErr::UniqueConstraintViolation(_))
                        ) =>
                    {
                        return Ok(None);
                    }
                    Err(error) => return Err(error.into()),
                }
            }
            Some((id, read_hash)) => {
                let updated = province_report::Entity::update_many()
                    .col_expr(
                        province_report::Column::CorrectionReason,
                        Expr::value(draft.correction_reason),
                    )
                    .col_expr(province_report::Column::Content, Expr::value(draft.content))
                    .col_expr(
                        province_report::Column::ContentHash,
                        Expr::value(content_hash),
                    )
                    .col_expr(
                        province_report::Column::DataAsOf,
                        Expr::value(draft.data_as_of),
                    )
                    .col_expr(province_report::Column::UpdatedAt, Expr::value(now))
                    .filter(province_report::Column::Id.eq(id))
                    .filter(province_report::Column::State.eq(ProvinceReportState::Draft.as_str()))
                    .filter(province_report::Column::ContentHash.eq(read_hash))
                    .exec(&transaction)
                    .await?;
                if updated.rows_affected == 0 {
                    return Ok(None);
                }
                id
            }
        };
        let saved = read_back(&transaction, id).await?;
        audit_chain::append(
            &transaction,
            &[audit_record(
                &saved,
                AuditAction::ProvinceReportDrafted,
                draft.written_by,
            )],
            now,
        )
        .await?;
        transaction.commit().await?;
        Ok(Some(saved))
    }

    /// Submits (signs) a draft that still has `content_hash`, and audits it, in one transaction.
    pub async fn submit_province_report(
        &self,
        id: i64,
        content_hash: &str,
        submitted_by: &str,
    ) -> Result<ProvinceReportSubmit, StoreError> {
        let now = Utc::now();
        let transaction = self.begin_write().await?;
        let Some(row) = province_report::Entity::find_by_id(id)
            .one(&transaction)
            .await?
        else {
            return Ok(ProvinceReportSubmit::NoSuchReport);
        };
        let stored = from_row(row)?;
        match stored.state {
            ProvinceReportState::Submitted if stored.content_hash == content_hash => {
                return Ok(ProvinceReportSubmit::AlreadySubmitted(stored));
            }
            ProvinceReportState::Submitted => {
                return Ok(ProvinceReportSubmit::SubmittedOtherwise(stored));
            }
            ProvinceReportState::Draft if stored.content_hash != content_hash => {
                return Ok(ProvinceReportSubmit::DraftChanged(stored));
            }
            ProvinceReportState::Draft => {}
        }
        let updated = province_report::Entity::update_many()
            .col_expr(
                province_report::Column::State,
                Expr::value(ProvinceReportState::Submitted.as_str()),
            )
            .col_expr(
                province_report::Column::SubmittedBy,
                Expr::value(submitted_by),
            )
            .col_expr(province_report::Column::SubmittedAt, Expr::value(now))
            .col_expr(province_report::Column::UpdatedAt, Expr::value(now))
            .filter(province_report::Column::Id.eq(id))
            .filter(province_report::Column::State.eq(ProvinceReportState::Draft.as_str()))
            .filter(province_report::Column::ContentHash.eq(content_hash))
            .exec(&transaction)
            .await?;
        if updated.rows_affected == 0 {
            // Another process wrote it between our read and our write: cannot happen while every
            // write holds the write lock from its first statement (`Store::begin_write`), kept
            // as a guard that refuses rather than signs something else.
            return Err(StoreError::Contention(format!(
                "province report {id} changed while it was being submitted"
            )));
        }
        let submitted = read_back(&transaction, id).await?;
        audit_chain::append(
            &transaction,
            &[audit_record(
                &submitted,
                AuditAction::ProvinceReportSubmitted,
                submitted_by,
            )],
            now,
        )
        .await?;
        transaction.commit().await?;
        Ok(ProvinceReportSubmit::Submitted(submitted))
    }
}

async fn read_back(db: &impl ConnectionTrait, id: i64) -> Result<StoredProvinceReport, StoreError> {
    let row = province_report::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| StoreError::Corrupt(format!("province report {id} vanished")))?;
    from_row(row)
}

fn from_row(row: province_report::Model) -> Result<StoredProvinceReport, StoreError> {
    let state = ProvinceReportState::parse(&row.state).ok_or_else(|| {
        StoreError::Corrupt(format!(
            "province report {} has state {:?}",
            row.id, row.state
        ))
    })?;
    Ok(StoredProvinceReport {
        id: row.id,
        province_code: row.province_code,
        plan_code: row.plan_code,
        period_code: row.period_code,
        version: row.version,
        state,
        correction_reason: row.correction_reason,
        content: row.content,
        content_hash: row.content_hash,
        data_as_of: row.data_as_of,
        created_by: row.created_by,
        created_at: row.created_at,
        updated_at: row.updated_at,
        submitted_by: row.submitted_by,
        submitted_at: row.submitted_at,
    })
}

/// The subject a report version's audit entries name.
fn subject(id: i64) -> String {
    format!("province report {id}")
}

/// A version's entry: its content hash covers everything the row says, its content's bytes
/// hashed afresh (so that bytes changed together with their stored hash are caught too).
fn audit_record(
    report: &StoredProvinceReport,
    action: AuditAction,
    principal: &str,
) -> AuditRecord {
    let at = |at: DateTime<Utc>| at.to_rfc3339_opts(SecondsFormat::Micros, true);
    let content = serde_json::json!([
        report.id,
        report.province_code,
        report.plan_code,
        report.period_code,
        report.version,
        report.state.as_str(),
        report.correction_reason,
        province_report_hash(&report.content),
        report.content_hash,
        report.data_as_of,
        report.created_by,
        at(report.created_at),
        at(report.updated_at),
        report.submitted_by,
        report.submitted_at.map(at),
    ]);
    AuditRecord {
        principal: principal.to_string(),
        action,
        subject: subject(report.id),
        request_id: String::new(),
        content_hash: sha256_hex(content.to_string().as_bytes()),
    }
}

/// Every version stored, as `audit_verify::check_recorded` compares it with its last entry.
pub(super) async fn recorded_province_reports(
    db: &impl ConnectionTrait,
) -> Result<Vec<audit_chain::RecordedRow>, StoreError> {
    province_report::Entity::find()
        .order_by_asc(province_report::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|row| {
            let report = from_row(row)?;
            Ok(audit_chain::RecordedRow {
                subject: subject(report.id),
                // The principal is not part of the content hash, so any will do here.
                content_hash: audit_record(&report, AuditAction::ProvinceReportDrafted, "")
                    .content_hash,
                described: format!(
                    "{} {} {} version {}",
                    report.province_code, report.plan_code, report.period_code, report.version
                ),
            })
        })
        .collect()
}
