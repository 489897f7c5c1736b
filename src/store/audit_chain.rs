//! The audit chain: every write (an accepted submission, a catalogue change, a credential created
//! or revoked, a period reopened, a submission reviewed, a province report drafted or submitted, a
//! self-assessment stored or appraised, an agency's plan stored or decided on) appends an entry in
//! the same transaction, naming who did it, when, under which request id, and the SHA-256 of what
//! was written. Each entry's hash covers its fields and the previous entry's hash, and the counters
//! row holds the last entry's number and hash. An upgrade that rewrites stored rows (a content hash
//! recomputed, a self-assessment or plan converted to pressdx's own stored form) records each
//! again, in an entry of its own.
//!
//! This is what every repository calls to append, and the subjects and hashes they record; the
//! verifier that reads them all back is `audit_verify`, which depends on the repositories, never
//! the other way round.

use chrono::{DateTime, SecondsFormat, Utc};
use sea_orm::{ConnectionTrait, DbErr, EntityTrait, Statement};
use sha2::{Digest, Sha256};

use super::entities::{audit_entry, submission};
use super::error::StoreError;

/// The previous hash of the first entry.
pub(super) const GENESIS: &str = "";

/// What was done.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditAction {
    SubmissionAccepted,
    /// A stored submission's content hash recomputed in a newer canonical form (an upgrade).
    SubmissionRehashed,
    CatalogApplied,
    /// The catalogue's state as found when the audit log began recording it (an upgrade).
    CatalogRecorded,
    CredentialCreated,
    CredentialRevoked,
    /// A closed period reopened for one agency.
    PeriodReopened,
    /// A province's decision on a submission.
    SubmissionReviewed,
    /// A version of a province's report drafted: created, its snapshot taken afresh, or its
    /// narrative edited.
    ProvinceReportDrafted,
    /// A version of a province's report submitted (signed).
    ProvinceReportSubmitted,
    /// A revision of an agency's maturity self-assessment stored.
    SelfAssessmentAccepted,
    /// A stored self-assessment converted to pressdx's own stored form (an upgrade): its bytes
    /// are new, what it says and its content hash are not.
    SelfAssessmentConverted,
    /// A criterion of a self-assessment appraised.
    SelfAssessmentAppraised,
    /// A revision of an agency's own plan stored.
    AgencyPlanAccepted,
    /// A stored agency plan converted to pressdx's own stored form (an upgrade), as
    /// [`AuditAction::SelfAssessmentConverted`].
    AgencyPlanConverted,
    /// A governing body's decision on an agency's plan.
    AgencyPlanDecided,
    /// A revision of a lead's progress report on a plan's task stored.
    TaskProgressReported,
    /// The counters the chain does not otherwise record, as found when the audit log began
    /// recording them (an upgrade): the catalogue and credential revisions, and the page token
    /// key's hash. From this entry on, each revision moves only with an entry of its own.
    CountersRecorded,
}

impl AuditAction {
    pub fn as_str(self) -> &'static str {
        match self {
            AuditAction::SubmissionAccepted => "submission.accepted",
            AuditAction::SubmissionRehashed => "submission.rehashed",
            AuditAction::CatalogApplied => "catalog.applied",
            AuditAction::CatalogRecorded => "catalog.recorded",
            AuditAction::CredentialCreated => "credential.created",
            AuditAction::CredentialRevoked => "credential.revoked",
            AuditAction::PeriodReopened => "period.reopened",
            AuditAction::SubmissionReviewed => "submission.reviewed",
            AuditAction::ProvinceReportDrafted => "province_report.drafted",
            AuditAction::ProvinceReportSubmitted => "province_report.submitted",
            AuditAction::SelfAssessmentAccepted => "self_assessment.accepted",
            AuditAction::SelfAssessmentConverted => "self_assessment.converted",
            AuditAction::SelfAssessmentAppraised => "self_assessment.appraised",
            AuditAction::AgencyPlanAccepted => "agency_plan.accepted",
            AuditAction::AgencyPlanConverted => "agency_plan.converted",
            AuditAction::AgencyPlanDecided => "agency_plan.decided",
            AuditAction::TaskProgressReported => "task_progress.reported",
            AuditAction::CountersRecorded => "counters.recorded",
        }
    }
}

/// An entry to append.
#[derive(Debug, Clone)]
pub struct AuditRecord {
    pub principal: String,
    pub action: AuditAction,
    /// What was written: "submission 42", "catalogue", "credential 3".
    pub subject: String,
    pub request_id: String,
    pub content_hash: String,
}

/// The subject an accepted submission's entry names: which row, what it is a revision of, when it
/// arrived, whether late, and its place in the feed, so that none of them can change unseen.
/// A submission entered for its agency names who entered it, and whether they asserted its
/// receipt time; one the agency sent reads as it always did.
pub(super) fn submission_subject(row: &submission::Model) -> String {
    let entered_by = match &row.entered_by {
        Some(principal) => format!(", entered by {principal}"),
        None => String::new(),
    };
    format!(
        "submission {} ({} {} revision {}, received {}{}{}{}, feed position {})",
        row.id,
        row.agency_code,
        row.period_code,
        row.revision,
        row.received_at.to_rfc3339_opts(SecondsFormat::Micros, true),
        if row.received_at_asserted {
            " as asserted"
        } else {
            ""
        },
        if row.late { ", late" } else { "" },
        entered_by,
        row.feed_position
    ) + &warnings_subject(&row.warnings)
}

/// What a submission's subject says of its plausibility warnings: nothing when it has none (so
/// that the entries of submissions stored before warnings existed still verify), else the SHA-256
/// of their stored JSON, so that they cannot change unseen either.
fn warnings_subject(warnings: &str) -> String {
    if warnings.is_empty() || warnings == "[]" {
        return String::new();
    }
    format!(
        ", warnings {}",
        crate::domain::canonical::sha256_hex(warnings.as_bytes())
    )
}

/// The subject of a `counters.recorded` entry: the two revisions as found. Its content hash is
/// the page token key's ([`page_token_key_hash`]).
pub(super) fn counters_subject(catalog_revision: i64, credential_revision: i64) -> String {
    format!(
        "counters (catalogue revision {catalog_revision}, credential revision {credential_revision})"
    )
}

/// The two revisions a subject written by [`counters_subject`] names.
pub(super) fn counters_of(subject: &str) -> Option<(i64, i64)> {
    let inner = subject
        .strip_prefix("counters (catalogue revision ")?
        .strip_suffix(')')?;
    let (catalog, credential) = inner.split_once(", credential revision ")?;
    Some((catalog.parse().ok()?, credential.parse().ok()?))
}

/// What a `counters.recorded` entry records of the page token key: its SHA-256, never the key,
/// which signs the page tokens every server gives out.
pub(super) fn page_token_key_hash(key: &str) -> String {
    crate::domain::canonical::sha256_hex(key.as_bytes())
}

/// The submission id a subject written by [`submission_subject`] names.
pub(super) fn submission_id_of(subject: &str) -> Option<i64> {
    subject
        .strip_prefix("submission ")?
        .split(' ')
        .next()?
        .parse()
        .ok()
}

/// The hash of an entry: SHA-256 over a JSON array of its fields and the previous hash. JSON makes
/// the encoding unambiguous whatever characters a field holds.
pub(super) fn entry_hash(entry: &audit_entry::Model) -> String {
    let fields = serde_json::json!([
        "pressdx-audit-v1",
        entry.seq,
        entry.recorded_at,
        entry.principal,
        entry.action,
        entry.subject,
        entry.request_id,
        entry.content_hash,
        entry.previous_hash,
    ]);
    format!("sha256:{:x}", Sha256::digest(fields.to_string().as_bytes()))
}

/// The audit chain's last entry, as the counters row keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct AuditHead {
    pub seq: i64,
    pub hash: String,
}

/// Links `records` onto the chain after `head`: the entries to insert, and the new head.
pub(super) fn chain(
    head: AuditHead,
    records: &[AuditRecord],
    at: DateTime<Utc>,
) -> (Vec<audit_entry::ActiveModel>, AuditHead) {
    let recorded_at = at.to_rfc3339_opts(SecondsFormat::Micros, true);
    let AuditHead {
        mut seq,
        hash: mut previous_hash,
    } = head;
    let mut entries = Vec::with_capacity(records.len());
    for record in records {
        seq += 1;
        let mut entry = audit_entry::Model {
            seq,
            recorded_at: recorded_at.clone(),
            principal: record.principal.clone(),
            action: record.action.as_str().to_string(),
            subject: record.subject.clone(),
            request_id: record.request_id.clone(),
            content_hash: record.content_hash.clone(),
            previous_hash,
            entry_hash: String::new(),
        };
        entry.entry_hash = entry_hash(&entry);
        previous_hash = entry.entry_hash.clone();
        entries.push(audit_entry::ActiveModel::from(entry));
    }
    (
        entries,
        AuditHead {
            seq,
            hash: previous_hash,
        },
    )
}

/// Appends `records` to the chain inside `transaction`, which must be a write transaction (or a
/// migration's connection); returns the chain's new head.
pub(super) async fn append(
    transaction: &impl ConnectionTrait,
    records: &[AuditRecord],
    at: DateTime<Utc>,
) -> Result<AuditHead, StoreError> {
    let backend = transaction.get_database_backend();
    // A no-op update: it locks the counters row until commit on PostgreSQL (SQLite's write lock is
    // already held), so two processes never both extend the same head.
    let row = transaction
        .query_one_raw(Statement::from_string(
            backend,
            "UPDATE counters SET audit_seq = audit_seq WHERE id = 1 RETURNING audit_seq, audit_head",
        ))
        .await?
        .ok_or_else(|| StoreError::Corrupt("the counters row is missing".into()))?;
    let head = AuditHead {
        seq: row.try_get_by_index(0)?,
        hash: row.try_get_by_index(1)?,
    };
    let (entries, head) = chain(head, records, at);
    if !entries.is_empty() {
        audit_entry::Entity::insert_many(entries)
            .exec_without_returning(transaction)
            .await?;
        save_head(transaction, head.clone()).await?;
    }
    Ok(head)
}

/// Moves the chain's head, as the counters row keeps it, to `head`.
pub(super) async fn save_head(db: &impl ConnectionTrait, head: AuditHead) -> Result<(), DbErr> {
    let backend = db.get_database_backend();
    db.execute_raw(Statement::from_sql_and_values(
        backend,
        super::database::numbered_placeholders(
            backend,
            "UPDATE counters SET audit_seq = ?, audit_head = ? WHERE id = 1",
        ),
        [head.seq.into(), head.hash.into()],
    ))
    .await?;
    Ok(())
}

/// A stored row that an audit entry recorded once and for all (a reopening, a review): the subject
/// its entry names, the content hash the row gives now, and what it is, for a person. Each
/// repository gives its rows so, for the verifier to compare with their entries.
pub(super) struct RecordedRow {
    pub subject: String,
    pub content_hash: String,
    pub described: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_counters_subject_reads_back() {
        assert_eq!(counters_of(&counters_subject(3, 17)), Some((3, 17)));
        assert_eq!(counters_of("counters (catalogue revision x)"), None);
    }
}
