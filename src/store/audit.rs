//! The audit log: every write (an accepted submission, a catalogue change, a credential created or
//! revoked) appends an entry in the same transaction, naming who did it, when, under which request
//! id, and the SHA-256 of what was written. Each entry's hash covers its fields and the previous
//! entry's hash, and the counters row holds the last entry's number and hash.
//! [`Store::verify_audit`] recomputes the chain and checks the stored submissions and credentials
//! against it, so that a row edited, added or deleted behind pressdx's back is found. Someone who
//! can write the database can also rewrite the whole chain consistently: against that, the
//! operator keeps the head that `pressdx audit verify` prints somewhere else, and compares.

use std::collections::HashMap;

use chrono::{DateTime, SecondsFormat, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Statement,
};
use sha2::{Digest, Sha256};

use super::credentials::{audit_record, credential_rows, credential_subject};
use super::entities::{audit_entry, submission};
use super::submissions::parse_report;
use super::{Store, StoreError};

/// The previous hash of the first entry.
const GENESIS: &str = "";

/// How many rows `verify_audit` reads per query.
const VERIFY_BATCH: u64 = 1000;

/// What was done.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditAction {
    SubmissionAccepted,
    /// A stored submission's content hash recomputed in a newer canonical form (an upgrade).
    SubmissionRehashed,
    CatalogApplied,
    CredentialCreated,
    CredentialRevoked,
}

impl AuditAction {
    pub fn as_str(self) -> &'static str {
        match self {
            AuditAction::SubmissionAccepted => "submission.accepted",
            AuditAction::SubmissionRehashed => "submission.rehashed",
            AuditAction::CatalogApplied => "catalog.applied",
            AuditAction::CredentialCreated => "credential.created",
            AuditAction::CredentialRevoked => "credential.revoked",
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
pub(super) fn submission_subject(row: &submission::Model) -> String {
    format!(
        "submission {} ({} {} revision {}, received {}{}, feed position {})",
        row.id,
        row.agency_code,
        row.period_code,
        row.revision,
        row.received_at.to_rfc3339_opts(SecondsFormat::Micros, true),
        if row.late { ", late" } else { "" },
        row.feed_position
    )
}

/// The submission id a subject written by [`submission_subject`] names.
fn submission_id_of(subject: &str) -> Option<i64> {
    subject
        .strip_prefix("submission ")?
        .split(' ')
        .next()?
        .parse()
        .ok()
}

/// The outcome of `pressdx audit verify`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditVerification {
    pub entries: u64,
    pub submissions: u64,
    /// The last entry's hash, for the operator to keep outside the database: anyone who can
    /// rewrite rows can rewrite a whole chain, but not a head written down elsewhere.
    pub head: String,
    /// The first entry (or submission) that does not match its chain, and how.
    pub first_broken: Option<BrokenEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokenEntry {
    /// The entry's number in the chain (for a submission, the entry that recorded it).
    pub seq: i64,
    pub problem: String,
}

/// The hash of an entry: SHA-256 over a JSON array of its fields and the previous hash. JSON makes
/// the encoding unambiguous whatever characters a field holds.
fn entry_hash(entry: &audit_entry::Model) -> String {
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

/// Appends `records` to the chain inside `transaction`, which must be a write transaction.
pub(super) async fn append(
    transaction: &DatabaseTransaction,
    records: &[AuditRecord],
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    if records.is_empty() {
        return Ok(());
    }
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
    audit_entry::Entity::insert_many(entries)
        .exec_without_returning(transaction)
        .await?;
    save_head(transaction, head).await?;
    Ok(())
}

/// Moves the chain's head, as the counters row keeps it, to `head`.
pub(super) async fn save_head(db: &impl ConnectionTrait, head: AuditHead) -> Result<(), DbErr> {
    let backend = db.get_database_backend();
    db.execute_raw(Statement::from_sql_and_values(
        backend,
        super::numbered_placeholders(
            backend,
            "UPDATE counters SET audit_seq = ?, audit_head = ? WHERE id = 1",
        ),
        [head.seq.into(), head.hash.into()],
    ))
    .await?;
    Ok(())
}

impl Store {
    /// Recomputes the whole audit chain, and checks what it recorded against what is stored, all
    /// in one snapshot of the database (so that writes going on meanwhile cannot look like
    /// tampering): every stored submission must be recorded and still hash to what was accepted,
    /// with the same agency, period, revision, arrival and lateness; every recorded submission
    /// must still be stored; every credential must match its last entry.
    pub async fn verify_audit(&self) -> Result<AuditVerification, StoreError> {
        let snapshot = self.begin_snapshot().await?;
        let verification = verify(&snapshot).await;
        snapshot.rollback().await?;
        verification
    }
}

async fn verify(db: &impl ConnectionTrait) -> Result<AuditVerification, StoreError> {
    let mut verification = AuditVerification {
        entries: 0,
        submissions: 0,
        head: String::new(),
        first_broken: None,
    };
    let broken = |seq, problem: String| Some(BrokenEntry { seq, problem });

    // The chain, entry by entry; the entry that recorded each submission, and each credential's
    // last entry.
    let mut submissions_recorded = HashMap::new();
    let mut credentials_recorded = HashMap::new();
    let mut previous_hash = GENESIS.to_string();
    let mut expected_seq = 1;
    loop {
        let batch = audit_entry::Entity::find()
            .filter(audit_entry::Column::Seq.gte(expected_seq))
            .order_by_asc(audit_entry::Column::Seq)
            .limit(VERIFY_BATCH)
            .all(db)
            .await?;
        let complete = (batch.len() as u64) < VERIFY_BATCH;
        for entry in batch {
            let problem = if entry.seq != expected_seq {
                Some(format!("entry {expected_seq} is missing"))
            } else if entry.previous_hash != previous_hash {
                Some("its previous_hash is not the hash of the entry before it".to_string())
            } else if entry.entry_hash != entry_hash(&entry) {
                Some("its fields do not hash to its entry_hash: it was altered".to_string())
            } else {
                None
            };
            if let Some(problem) = problem {
                verification.first_broken = broken(expected_seq, problem);
                return Ok(verification);
            }
            // A submission is checked against the last entry that recorded it.
            if (entry.action == AuditAction::SubmissionAccepted.as_str()
                || entry.action == AuditAction::SubmissionRehashed.as_str())
                && let Some(id) = submission_id_of(&entry.subject)
            {
                submissions_recorded.insert(id, entry.clone());
            } else if entry.action == AuditAction::CredentialCreated.as_str()
                || entry.action == AuditAction::CredentialRevoked.as_str()
            {
                credentials_recorded.insert(entry.subject.clone(), entry.clone());
            }
            previous_hash = entry.entry_hash;
            verification.entries += 1;
            expected_seq += 1;
        }
        if complete {
            break;
        }
    }

    // The head the counters row keeps: entries cut off the end are caught here.
    let head = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT audit_seq, audit_head FROM counters WHERE id = 1",
        ))
        .await?
        .ok_or_else(|| StoreError::Corrupt("the counters row is missing".into()))?;
    let (head_seq, head_hash): (i64, String) =
        (head.try_get_by_index(0)?, head.try_get_by_index(1)?);
    if head_seq != expected_seq - 1 || head_hash != previous_hash {
        verification.first_broken = broken(
            expected_seq,
            format!(
                "the chain should end at entry {head_seq}, but ends at {}",
                expected_seq - 1
            ),
        );
        return Ok(verification);
    }
    verification.head = head_hash;

    // Every stored submission recorded, unchanged.
    let mut after_id = 0;
    loop {
        let batch = submission::Entity::find()
            .filter(submission::Column::Id.gt(after_id))
            .order_by_asc(submission::Column::Id)
            .limit(VERIFY_BATCH)
            .all(db)
            .await?;
        let complete = (batch.len() as u64) < VERIFY_BATCH;
        for row in batch {
            after_id = row.id;
            verification.submissions += 1;
            let Some(entry) = submissions_recorded.remove(&row.id) else {
                verification.first_broken = broken(
                    expected_seq,
                    format!("submission {} is stored but no entry records it", row.id),
                );
                return Ok(verification);
            };
            let content_hash = parse_report(row.id, &row.report)
                .map(|report| report.content_hash(&row.agency_code, &row.period_code))
                .unwrap_or_default();
            if content_hash != entry.content_hash
                || row.content_hash != entry.content_hash
                || submission_subject(&row) != entry.subject
                || row.request_id != entry.request_id
            {
                verification.first_broken = broken(
                    entry.seq,
                    format!(
                        "submission {} no longer holds what this entry recorded",
                        row.id
                    ),
                );
                return Ok(verification);
            }
        }
        if complete {
            break;
        }
    }
    // Every recorded submission still stored.
    if let Some(entry) = submissions_recorded.values().min_by_key(|entry| entry.seq) {
        verification.first_broken = broken(
            entry.seq,
            format!("{} was recorded but is no longer stored", entry.subject),
        );
        return Ok(verification);
    }

    // Every credential as its last entry left it.
    for (secret_hash, credential) in credential_rows(db).await? {
        let subject = credential_subject(credential.id);
        let Some(entry) = credentials_recorded.get(&subject) else {
            verification.first_broken = broken(
                expected_seq,
                format!("{subject} exists but no entry records it"),
            );
            return Ok(verification);
        };
        let action = if credential.revoked_at.is_some() {
            AuditAction::CredentialRevoked
        } else {
            AuditAction::CredentialCreated
        };
        let expected = audit_record(&credential, &secret_hash, action, "");
        if entry.action != action.as_str() || entry.content_hash != expected.content_hash {
            verification.first_broken = broken(
                entry.seq,
                format!("{subject} no longer grants what this entry recorded"),
            );
            return Ok(verification);
        }
    }
    Ok(verification)
}
