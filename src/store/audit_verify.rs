//! `pressdx audit verify`: [`Store::verify_audit`] recomputes the audit chain (`audit_chain`) and
//! checks what every repository stores against it, so that a row edited, added or deleted behind
//! pressdx's back is found. Someone who can write the database can also rewrite the whole chain
//! consistently: against that, the operator keeps the head that `pressdx audit verify` prints
//! somewhere else, and compares.
//!
//! It reads every repository, and nothing in `store` depends on it: only its callers (the CLI)
//! do.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, SecondsFormat, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Statement,
};

use super::agency_plans::{recorded_agency_plan_decisions, recorded_agency_plans};
use super::audit_chain::{
    AuditAction, GENESIS, RecordedRow, counters_of, entry_hash, page_token_key_hash,
    submission_id_of, submission_subject,
};
use super::catalog::{load_catalog, unrecorded_changes};
use super::credentials::{audit_record, credential_rows, credential_subject};
use super::database::Store;
use super::entities::{audit_entry, latest_submission, submission};
use super::error::StoreError;
use super::province_reports::recorded_province_reports;
use super::reopenings::recorded_reopenings;
use super::reviews::recorded_reviews;
use super::self_assessments::{recorded_appraisals, recorded_self_assessments};
use super::submissions::parse_report;
use super::task_progress::recorded_task_progress;

/// How many rows `verify_audit` reads per query.
const VERIFY_BATCH: u64 = 1000;

/// The outcome of `pressdx audit verify`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditVerification {
    pub entries: u64,
    pub submissions: u64,
    /// The last entry's hash, for the operator to keep outside the database: anyone who can
    /// rewrite rows can rewrite a whole chain, but not a head written down elsewhere.
    pub head: String,
    /// Everything found not to match, in the order checked; empty when the chain holds and the
    /// data is what it recorded. A break in the chain itself stops the checks there, since the
    /// entries after it cannot be trusted.
    pub problems: Vec<AuditProblem>,
}

impl AuditVerification {
    pub fn holds(&self) -> bool {
        self.problems.is_empty()
    }
}

/// One thing that does not match what the audit log recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditProblem {
    /// The entry concerned (for a submission, the entry that recorded it), if one is.
    pub seq: Option<i64>,
    pub problem: String,
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
        problems: Vec::new(),
    };
    // The chain, entry by entry; the last entry that recorded each submission, each credential's
    // last entry, and the last catalogue entry.
    let mut submissions_recorded = HashMap::new();
    let mut credentials_recorded = HashMap::new();
    let mut reopenings_recorded = HashMap::new();
    let mut reviews_recorded = HashMap::new();
    let mut province_reports_recorded = HashMap::new();
    let mut self_assessments_recorded = HashMap::new();
    let mut appraisals_recorded = HashMap::new();
    let mut agency_plans_recorded = HashMap::new();
    let mut task_progress_recorded = HashMap::new();
    let mut catalog_recorded = None;
    // The last counters.recorded entry, and what moved each revision after it.
    let mut counters_recorded: Option<audit_entry::Model> = None;
    let mut catalog_imports_since = 0_i64;
    let mut credential_changes_since = 0_i64;
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
            let broken = if entry.seq != expected_seq {
                Some(format!("entry {expected_seq} is missing"))
            } else if entry.previous_hash != previous_hash {
                Some("its previous_hash is not the hash of the entry before it".to_string())
            } else if entry.entry_hash != entry_hash(&entry) {
                Some("its fields do not hash to its entry_hash: it was altered".to_string())
            } else {
                None
            };
            if let Some(broken) = broken {
                verification.problems.push(AuditProblem {
                    seq: Some(expected_seq),
                    problem: broken,
                });
                return Ok(verification);
            }
            let action = entry.action.as_str();
            if action == AuditAction::SubmissionAccepted.as_str()
                || action == AuditAction::SubmissionRehashed.as_str()
            {
                if let Some(id) = submission_id_of(&entry.subject) {
                    submissions_recorded.insert(id, entry.clone());
                }
            } else if action == AuditAction::CredentialCreated.as_str()
                || action == AuditAction::CredentialRevoked.as_str()
            {
                credentials_recorded.insert(entry.subject.clone(), entry.clone());
                credential_changes_since += 1;
            } else if action == AuditAction::CountersRecorded.as_str() {
                counters_recorded = Some(entry.clone());
                catalog_imports_since = 0;
                credential_changes_since = 0;
            } else if action == AuditAction::PeriodReopened.as_str() {
                reopenings_recorded.insert(entry.subject.clone(), entry.clone());
            } else if action == AuditAction::SubmissionReviewed.as_str() {
                reviews_recorded.insert(entry.subject.clone(), entry.clone());
            } else if action == AuditAction::ProvinceReportDrafted.as_str()
                || action == AuditAction::ProvinceReportSubmitted.as_str()
            {
                province_reports_recorded.insert(entry.subject.clone(), entry.clone());
            } else if action == AuditAction::SelfAssessmentAccepted.as_str()
                || action == AuditAction::SelfAssessmentConverted.as_str()
            {
                // A conversion records the revision again under the same subject: the latest
                // entry of a revision is the one its row must match.
                self_assessments_recorded.insert(entry.subject.clone(), entry.clone());
            } else if action == AuditAction::SelfAssessmentAppraised.as_str() {
                appraisals_recorded.insert(entry.subject.clone(), entry.clone());
            } else if action == AuditAction::AgencyPlanAccepted.as_str()
                || action == AuditAction::AgencyPlanConverted.as_str()
                || action == AuditAction::AgencyPlanDecided.as_str()
            {
                // The two actions name distinct subjects ("agency plan 3", "agency plan
                // decision 3"), so one map holds both.
                agency_plans_recorded.insert(entry.subject.clone(), entry.clone());
            } else if action == AuditAction::TaskProgressReported.as_str() {
                task_progress_recorded.insert(entry.subject.clone(), entry.clone());
            } else if action == AuditAction::CatalogApplied.as_str()
                || action == AuditAction::CatalogRecorded.as_str()
            {
                if action == AuditAction::CatalogApplied.as_str() {
                    catalog_imports_since += 1;
                }
                catalog_recorded = Some(entry.clone());
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
    let counters = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT audit_seq, audit_head, feed_position, catalog_revision, credential_revision, \
             page_token_key FROM counters WHERE id = 1",
        ))
        .await?
        .ok_or_else(|| StoreError::Corrupt("the counters row is missing".into()))?;
    let (head_seq, head_hash, feed_head): (i64, String, i64) = (
        counters.try_get_by_index(0)?,
        counters.try_get_by_index(1)?,
        counters.try_get_by_index(2)?,
    );
    let revisions = Revisions {
        catalog: counters.try_get_by_index(3)?,
        credential: counters.try_get_by_index(4)?,
        page_token_key: counters.try_get_by_index(5)?,
    };
    let last_seq = expected_seq - 1;
    if head_seq != last_seq {
        verification.problems.push(AuditProblem {
            seq: Some(expected_seq),
            problem: format!("the chain should end at entry {head_seq}, but ends at {last_seq}"),
        });
        return Ok(verification);
    }
    if head_hash != previous_hash {
        verification.problems.push(AuditProblem {
            seq: Some(last_seq),
            problem: format!(
                "the counters row says the chain's head, entry {head_seq}, hashes to {}, but \
                 entry {last_seq} hashes to {}: the head was replaced",
                capped_hash(&head_hash),
                previous_hash
            ),
        });
        return Ok(verification);
    }
    verification.head = head_hash;
    if let Some(recorded) = &counters_recorded {
        check_counters(
            recorded,
            (catalog_imports_since, credential_changes_since),
            &revisions,
            &mut verification,
        );
    }
    // Entries written before the counters were recorded may spell a review's or a reopening's
    // hash "sha256:sha256:<hex>"; every entry since spells it once.
    let spelt_twice_before = counters_recorded
        .as_ref()
        .map_or(i64::MAX, |entry| entry.seq);

    let recorded_seq: HashMap<i64, i64> = submissions_recorded
        .iter()
        .map(|(id, entry)| (*id, entry.seq))
        .collect();
    let derived = check_submissions(db, submissions_recorded, &mut verification).await?;
    check_credentials(db, &credentials_recorded, expected_seq, &mut verification).await?;
    let reopenings = recorded_reopenings(db).await?;
    check_recorded_spelt(
        &reopenings,
        &reopenings_recorded,
        expected_seq,
        spelt_twice_before,
        &mut verification,
    );
    let reviews = recorded_reviews(db).await?;
    check_recorded_spelt(
        &reviews,
        &reviews_recorded,
        expected_seq,
        spelt_twice_before,
        &mut verification,
    );
    let province_reports = recorded_province_reports(db).await?;
    check_recorded(
        &province_reports,
        &province_reports_recorded,
        expected_seq,
        &mut verification,
    );
    let self_assessments = recorded_self_assessments(db).await?;
    check_recorded(
        &self_assessments,
        &self_assessments_recorded,
        expected_seq,
        &mut verification,
    );
    let appraisals = recorded_appraisals(db).await?;
    check_recorded(
        &appraisals,
        &appraisals_recorded,
        expected_seq,
        &mut verification,
    );
    let mut agency_plans = recorded_agency_plans(db).await?;
    agency_plans.extend(recorded_agency_plan_decisions(db).await?);
    check_recorded(
        &agency_plans,
        &agency_plans_recorded,
        expected_seq,
        &mut verification,
    );
    let task_progress = recorded_task_progress(db).await?;
    check_recorded(
        &task_progress,
        &task_progress_recorded,
        expected_seq,
        &mut verification,
    );
    check_latest_revisions(db, &derived, &recorded_seq, &mut verification).await?;
    if feed_head != derived.feed_head {
        verification.problems.push(AuditProblem {
            seq: None,
            problem: format!(
                "the counters row says the change feed ends at position {feed_head}, but the \
                 stored submissions end at position {}",
                derived.feed_head
            ),
        });
    }
    // Positions are unique, so consecutive from 1 exactly when the last equals the count.
    if derived.feed_head != verification.submissions as i64 {
        verification.problems.push(AuditProblem {
            seq: None,
            problem: format!(
                "the change feed has gaps: {} submissions are stored, but their positions run up \
                 to {}",
                verification.submissions, derived.feed_head
            ),
        });
    }
    check_catalog(db, catalog_recorded.as_ref(), &mut verification).await?;
    Ok(verification)
}

/// What the stored submissions say the derived rows must hold.
#[derive(Default)]
struct Derived {
    /// Per agency and period: the latest revision and its submission, and the first revision's
    /// arrival and lateness (if revision 1 is stored).
    reports: HashMap<(String, String), DerivedReport>,
    /// The largest feed position stored (0 without submissions).
    feed_head: i64,
}

struct DerivedReport {
    revision: i32,
    submission_id: i64,
    first: Option<(DateTime<Utc>, bool)>,
}

/// Every stored submission recorded, unchanged; every recorded submission still stored. Returns
/// what the submissions say the derived rows must hold.
async fn check_submissions(
    db: &impl ConnectionTrait,
    mut recorded: HashMap<i64, audit_entry::Model>,
    verification: &mut AuditVerification,
) -> Result<Derived, StoreError> {
    let mut derived = Derived::default();
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
            derived.feed_head = derived.feed_head.max(row.feed_position);
            let report = derived
                .reports
                .entry((row.agency_code.clone(), row.period_code.clone()))
                .or_insert(DerivedReport {
                    revision: 0,
                    submission_id: 0,
                    first: None,
                });
            if row.revision > report.revision {
                report.revision = row.revision;
                report.submission_id = row.id;
            }
            if row.revision == 1 {
                report.first = Some((row.received_at, row.late));
            }
            let Some(entry) = recorded.remove(&row.id) else {
                verification.problems.push(AuditProblem {
                    seq: None,
                    problem: format!("submission {} is stored but no entry records it", row.id),
                });
                continue;
            };
            let content_hash = parse_report(row.id, &row.report)
                .map(|report| report.content_hash(&row.agency_code, &row.period_code))
                .unwrap_or_default();
            if content_hash != entry.content_hash
                || row.content_hash != entry.content_hash
                || submission_subject(&row) != entry.subject
                || row.request_id != entry.request_id
            {
                verification.problems.push(AuditProblem {
                    seq: Some(entry.seq),
                    problem: format!(
                        "submission {} no longer holds what this entry recorded",
                        row.id
                    ),
                });
            }
        }
        if complete {
            break;
        }
    }
    let mut gone: Vec<_> = recorded.into_values().collect();
    gone.sort_by_key(|entry| entry.seq);
    for entry in gone {
        verification.problems.push(AuditProblem {
            seq: Some(entry.seq),
            problem: format!("{} was recorded but is no longer stored", entry.subject),
        });
    }
    Ok(derived)
}

/// Rows of one kind against the entries that recorded them (`recorded`, by subject): none added,
/// altered or removed behind pressdx's back.
fn check_recorded(
    rows: &[RecordedRow],
    recorded: &HashMap<String, audit_entry::Model>,
    next_seq: i64,
    verification: &mut AuditVerification,
) {
    check_recorded_spelt(rows, recorded, next_seq, 0, verification);
}

/// As [`check_recorded`], an entry before `spelt_twice_before` also matching a row whose hash it
/// spells "sha256:sha256:<hex>" (how reviews and reopenings were recorded until the counters
/// were): the same digest of the same content, so nothing an edit could exploit, and new
/// entries must spell it once.
fn check_recorded_spelt(
    rows: &[RecordedRow],
    recorded: &HashMap<String, audit_entry::Model>,
    next_seq: i64,
    spelt_twice_before: i64,
    verification: &mut AuditVerification,
) {
    let matches = |entry: &audit_entry::Model, row: &RecordedRow| {
        entry.content_hash == row.content_hash
            || (entry.seq < spelt_twice_before
                && entry.content_hash.strip_prefix("sha256:") == Some(row.content_hash.as_str()))
    };
    let mut seen = HashSet::new();
    for row in rows {
        seen.insert(row.subject.as_str());
        match recorded.get(&row.subject) {
            None => verification.problems.push(AuditProblem {
                seq: Some(next_seq),
                problem: format!("{} exists but no entry records it", row.subject),
            }),
            Some(entry) if !matches(entry, row) => {
                verification.problems.push(AuditProblem {
                    seq: Some(entry.seq),
                    problem: format!(
                        "{} ({}) no longer says what this entry recorded",
                        row.subject, row.described
                    ),
                });
            }
            Some(_) => {}
        }
    }
    let mut vanished: Vec<&audit_entry::Model> = recorded
        .iter()
        .filter(|(subject, _)| !seen.contains(subject.as_str()))
        .map(|(_, entry)| entry)
        .collect();
    vanished.sort_by_key(|entry| entry.seq);
    for entry in vanished {
        verification.problems.push(AuditProblem {
            seq: Some(entry.seq),
            problem: format!("{} was recorded but is no longer stored", entry.subject),
        });
    }
}

/// The counters the chain does not otherwise record, as the counters row holds them now.
struct Revisions {
    catalog: i64,
    credential: i64,
    page_token_key: String,
}

/// A hash as found, cut short if it is long enough to flood a line: what was written there is for
/// an operator to recognise, not to read whole.
fn capped_hash(hash: &str) -> String {
    if hash.chars().count() <= 80 {
        return format!("{hash:?}");
    }
    let kept: String = hash.chars().take(80).collect();
    format!("{kept:?}... (cut)")
}

/// The catalogue and credential revisions and the page token key against the last
/// `counters.recorded` entry and what moved the revisions since: each catalogue import that
/// changed something moves the catalogue revision by one, each credential created or revoked the
/// credential revision, and nothing changes the key. A revision set back makes servers keep a
/// catalogue or credentials they should reload (or serve figures cached under another
/// catalogue); a key replaced lets whoever chose it forge page tokens.
fn check_counters(
    recorded: &audit_entry::Model,
    (catalog_imports, credential_changes): (i64, i64),
    found: &Revisions,
    verification: &mut AuditVerification,
) {
    let Some((catalog, credential)) = counters_of(&recorded.subject) else {
        verification.problems.push(AuditProblem {
            seq: Some(recorded.seq),
            problem: format!(
                "the entry's subject {:?} names no counters",
                recorded.subject
            ),
        });
        return;
    };
    for (column, was, moved, what, now) in [
        (
            "catalog_revision",
            catalog,
            catalog_imports,
            "catalogue imports",
            found.catalog,
        ),
        (
            "credential_revision",
            credential,
            credential_changes,
            "credentials created or revoked",
            found.credential,
        ),
    ] {
        let expected = was + moved;
        if now != expected {
            verification.problems.push(AuditProblem {
                seq: Some(recorded.seq),
                problem: format!(
                    "the counters row says {column} is {now}, but the chain says {expected} \
                     ({was} when this entry recorded it, and {moved} {what} since)"
                ),
            });
        }
    }
    if page_token_key_hash(&found.page_token_key) != recorded.content_hash {
        verification.problems.push(AuditProblem {
            seq: Some(recorded.seq),
            problem: "the counters row's page_token_key is not the page token key this entry \
                      recorded: it was replaced, so page tokens given out before no longer \
                      verify, and whoever chose the new key can forge them"
                .to_string(),
        });
    }
}

/// Every credential as its last entry left it.
async fn check_credentials(
    db: &impl ConnectionTrait,
    recorded: &HashMap<String, audit_entry::Model>,
    next_seq: i64,
    verification: &mut AuditVerification,
) -> Result<(), StoreError> {
    for (secret_hash, credential) in credential_rows(db).await? {
        let subject = credential_subject(credential.id);
        let Some(entry) = recorded.get(&subject) else {
            verification.problems.push(AuditProblem {
                seq: Some(next_seq),
                problem: format!("{subject} exists but no entry records it"),
            });
            continue;
        };
        let action = if credential.revoked_at.is_some() {
            AuditAction::CredentialRevoked
        } else {
            AuditAction::CredentialCreated
        };
        let expected = audit_record(&credential, &secret_hash, action, "");
        if entry.action != action.as_str() || entry.content_hash != expected.content_hash {
            verification.problems.push(AuditProblem {
                seq: Some(entry.seq),
                problem: format!("{subject} no longer grants what this entry recorded"),
            });
        }
    }
    Ok(())
}

/// The latest-revision rows (which revision counts, and whether the report came on time) against
/// what the stored submissions say.
async fn check_latest_revisions(
    db: &impl ConnectionTrait,
    derived: &Derived,
    recorded_seq: &HashMap<i64, i64>,
    verification: &mut AuditVerification,
) -> Result<(), StoreError> {
    let mut seen = HashSet::new();
    for row in latest_submission::Entity::find()
        .order_by_asc(latest_submission::Column::AgencyCode)
        .order_by_asc(latest_submission::Column::PeriodCode)
        .all(db)
        .await?
    {
        let key = (row.agency_code.clone(), row.period_code.clone());
        let report = format!("{} {}", row.agency_code, row.period_code);
        let Some(expected) = derived.reports.get(&key) else {
            verification.problems.push(AuditProblem {
                seq: None,
                problem: format!(
                    "the latest revision of {report} is said to be submission {}, but no \
                     submission of it is stored",
                    row.submission_id
                ),
            });
            continue;
        };
        seen.insert(key);
        let seq = recorded_seq.get(&expected.submission_id).copied();
        if (row.revision, row.submission_id) != (expected.revision, expected.submission_id) {
            verification.problems.push(AuditProblem {
                seq,
                problem: format!(
                    "the latest revision of {report} is said to be revision {} (submission {}), \
                     but revision {} (submission {}) is the latest stored: another revision \
                     counts in the figures",
                    row.revision, row.submission_id, expected.revision, expected.submission_id
                ),
            });
        }
        let kept = (row.first_received_at, row.first_late);
        if expected.first.is_some_and(|first| first != kept) {
            let in_words = |(at, late): (DateTime<Utc>, bool)| {
                format!(
                    "{} ({})",
                    at.to_rfc3339_opts(SecondsFormat::Micros, true),
                    if late { "late" } else { "on time" }
                )
            };
            verification.problems.push(AuditProblem {
                seq,
                problem: format!(
                    "{report}: the first revision is said to have arrived {}, but revision 1 \
                     arrived {}",
                    in_words(kept),
                    expected.first.map(in_words).unwrap_or_default()
                ),
            });
        }
    }
    let mut missing: Vec<_> = derived
        .reports
        .iter()
        .filter(|(key, _)| !seen.contains(*key))
        .collect();
    missing.sort_by_key(|(key, _)| (*key).clone());
    for ((agency, period), expected) in missing {
        verification.problems.push(AuditProblem {
            seq: recorded_seq.get(&expected.submission_id).copied(),
            problem: format!(
                "{agency} {period} has stored submissions but no latest revision: it counts \
                 nowhere"
            ),
        });
    }
    Ok(())
}

/// The catalogue tables against the state the last catalogue entry recorded, naming every
/// difference.
async fn check_catalog(
    db: &impl ConnectionTrait,
    recorded: Option<&audit_entry::Model>,
    verification: &mut AuditVerification,
) -> Result<(), StoreError> {
    let seq = recorded.map(|entry| entry.seq);
    let found = match load_catalog(db).await {
        Ok(found) => found,
        Err(StoreError::Corrupt(why)) => {
            verification.problems.push(AuditProblem {
                seq,
                problem: format!("the catalogue tables cannot be read: {why}"),
            });
            return Ok(());
        }
        Err(error) => return Err(error),
    };
    let recorded = recorded.map(|entry| (entry.seq, entry.content_hash.as_str()));
    for problem in unrecorded_changes(db, recorded, &found).await? {
        verification.problems.push(AuditProblem { seq, problem });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(seq: i64, content_hash: &str) -> audit_entry::Model {
        audit_entry::Model {
            seq,
            recorded_at: String::new(),
            principal: "province nam-dinh (credential 2)".into(),
            action: AuditAction::SubmissionReviewed.as_str().into(),
            subject: "review 1".into(),
            request_id: String::new(),
            content_hash: content_hash.into(),
            previous_hash: String::new(),
            entry_hash: String::new(),
        }
    }

    /// A review recorded as "sha256:sha256:<hex>" verifies when its entry is older than the
    /// counters' (entry 4 here), and never after it; the one-prefix spelling always does.
    #[test]
    fn a_hash_spelt_twice_verifies_only_in_entries_before_the_counters_were_recorded() {
        let row = RecordedRow {
            subject: "review 1".into(),
            content_hash: "sha256:ab".into(),
            described: "bao-nam-dinh 2024 revision 1".into(),
        };
        for (seq, spelt, holds) in [
            (3, "sha256:sha256:ab", true),
            (3, "sha256:ab", true),
            (5, "sha256:sha256:ab", false),
            (5, "sha256:ab", true),
            (3, "sha256:sha256:cd", false),
        ] {
            let recorded = HashMap::from([("review 1".to_string(), entry(seq, spelt))]);
            let mut verification = AuditVerification {
                entries: 0,
                submissions: 0,
                head: String::new(),
                problems: Vec::new(),
            };
            check_recorded_spelt(
                std::slice::from_ref(&row),
                &recorded,
                9,
                4,
                &mut verification,
            );
            assert_eq!(verification.holds(), holds, "entry {seq} {spelt}");
            // Kinds that never spelt it twice accept one spelling only.
            check_recorded(std::slice::from_ref(&row), &recorded, 9, &mut verification);
            assert_eq!(verification.holds(), holds && spelt == "sha256:ab");
        }
    }
}
