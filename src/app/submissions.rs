//! Annual reports: the submit workflow (validation, request ids, lateness, the writer), and the
//! reads of kept submissions.
//!
//! A valid report goes to the writer, which stores it under the write lock as [`plan_batch`]
//! decides from what the database holds then: a request id taken before is a retry (replayed) or
//! a mistake (refused), anything else the next revision of its agency and period. A refused or
//! validate-only request looks its request id up first, so that a retry gets its original answer
//! even if the catalogue changed since (<https://google.aip.dev/155>).

pub(super) mod batch;
pub(super) mod requests;

use chrono::{DateTime, Utc};
use tracing::info;

use super::access::{self, Capacity};
use super::authentication::Caller;
use super::error::AppError;
use super::state::App;
use super::writer::store_each_answered;
use crate::domain::Catalog;
use crate::domain::access::{Principal, Role};
use crate::domain::naming::echo;
use crate::domain::period::{Period, vietnam_time};
use crate::domain::plausibility::{self, Check, Previous, Warning};
use crate::domain::submission::{
    SubmissionContext, SubmissionDraft, ValidSubmission, check_submission,
};
use crate::domain::summary::ReportSnapshot;
use crate::store::{Counters, ListSubmissionsQuery};
pub use crate::store::{Review, ReviewState, Revised, StoredSubmission};
pub use batch::{plan_batch, request_id_taken};
use requests::Sender;
pub use requests::{GivenInstant, ReportToSubmit, SubmissionFilter};

/// What a submit answers.
#[derive(Debug, Clone)]
pub enum Receipt {
    /// The submission stored, now or under the same request id before (`replayed`); or, for a
    /// validate-only request (`validated_only`), the one its request id would replay.
    Stored {
        submission: Box<StoredSubmission>,
        /// The deadline of its period.
        deadline: DateTime<Utc>,
        replayed: bool,
        validated_only: bool,
        /// The revision of its agency and period that counts now.
        latest_revision: i32,
    },
    /// A validate-only request that is valid: storing it would make revision
    /// `latest_revision + 1`, received at `received_at`.
    Valid {
        valid: Box<ValidSubmission>,
        received_at: DateTime<Utc>,
        latest_revision: i32,
    },
}

/// A page of submissions, each with its latest review if any.
#[derive(Debug, Clone, Default)]
pub struct ListedSubmissions {
    pub submissions: Vec<(StoredSubmission, Option<Review>)>,
    /// Whether more submissions follow the last one of this page.
    pub more: bool,
}

/// What checking a submit request leaves to do.
enum Checked {
    /// Answered without storing anything: a replay, or a validate-only request.
    Answered(Box<Receipt>),
    /// A valid report to store.
    ToStore {
        valid: Box<ValidSubmission>,
        received_at: DateTime<Utc>,
    },
}

impl App {
    /// SubmitReport: checks a report and, unless validate only, stores it as the next revision
    /// of its agency and period (through the writer, with whatever else is waiting).
    pub async fn submit_report(
        &self,
        caller: &Caller,
        request: ReportToSubmit,
    ) -> Result<Receipt, AppError> {
        self.submit(request, caller, Some(caller.counters()), false)
            .await
    }

    /// A batch of an import stream: each request checked as SubmitReport would (the Ministry may
    /// send anyone's), the valid ones stored in one transaction, and every answer in the order
    /// asked.
    pub async fn import_reports(
        &self,
        caller: &Caller,
        requests: Vec<ReportToSubmit>,
    ) -> Vec<Result<Receipt, AppError>> {
        let principal = caller.principal();
        // One catalogue, one copy of the latest reports (for the plausibility warnings; a report
        // earlier in the same batch is not yet among them) and one look-up of earlier request ids
        // for the whole batch.
        let request_ids: Vec<&str> = requests.iter().map(|r| r.request_id.trim()).collect();
        let looked_up = match self.read_model.current(None).await {
            Ok(view) => self
                .store
                .find_by_request_ids(&request_ids)
                .await
                .map(|earlier| (view, earlier)),
            Err(error) => Err(error),
        };
        let Ok((view, earlier)) = looked_up else {
            // The database failed us: each request gets its own attempt, and its own answer.
            let mut answers = Vec::with_capacity(requests.len());
            for request in requests {
                answers.push(self.submit(request, caller, None, true).await);
            }
            return answers;
        };

        let catalog = &view.catalog;
        let mut answers = Vec::with_capacity(requests.len());
        let mut to_store = Vec::new();
        for (index, request) in requests.into_iter().enumerate() {
            let capacity = match may_submit(caller, &request, catalog, true) {
                Ok(capacity) => capacity,
                Err(refused) => {
                    answers.push(Err(refused));
                    continue;
                }
            };
            let sender = Sender {
                principal,
                capacity,
            };
            let earlier = earlier.get(request.request_id.trim()).cloned();
            answers.push(
                match self
                    .check(request, sender, catalog, earlier, &view.reports)
                    .await
                {
                    Ok(Checked::Answered(receipt)) => Ok(*receipt),
                    Ok(Checked::ToStore { valid, received_at }) => {
                        to_store.push((index, *valid, received_at));
                        // Replaced below, once stored.
                        Err(AppError::Internal("not stored yet".into()))
                    }
                    Err(error) => Err(error),
                },
            );
        }
        if to_store.is_empty() {
            return answers;
        }
        let batch: Vec<_> = to_store
            .iter()
            .map(|(_, valid, received_at)| (valid, *received_at))
            .collect();
        let outcomes = store_each_answered(&self.store, &batch).await;
        for ((index, valid, _), outcome) in to_store.iter().zip(outcomes) {
            answers[*index] = match outcome {
                Ok(outcome) => {
                    self.answer(outcome, &valid.agency_code, &valid.period)
                        .await
                }
                Err(error) => Err(error.into()),
            };
        }
        answers
    }

    /// One submission and its latest review, if the caller reaches its agency in its period.
    /// Like a submission out of reach, a missing one is PERMISSION_DENIED to a caller that does
    /// not reach everything, so that ids cannot be probed (https://google.aip.dev/211).
    pub async fn get_submission(
        &self,
        caller: &Caller,
        id: i64,
    ) -> Result<(StoredSubmission, Option<Review>), AppError> {
        let catalog = self.read_model.catalog(Some(caller.counters())).await?;
        let stored = self.store.get_submission(id).await?;
        let reader = stored.as_ref().and_then(|stored| {
            let period = catalog.period(&stored.period_code)?;
            access::read_agency(caller, &catalog, &stored.agency_code, period)
        });
        match stored {
            Some(stored) if reader.is_some() => {
                let review = self
                    .store
                    .latest_reviews(&[stored.id])
                    .await?
                    .remove(&stored.id);
                Ok((stored, review))
            }
            None if access::list_submissions(caller, &catalog)
                .is_some_and(|lister| lister.lists_everything()) =>
            {
                Err(AppError::not_found(
                    "SUBMISSION_NOT_FOUND",
                    format!("no submission {id}"),
                ))
            }
            _ => Err(AppError::out_of_reach(format!(
                "{} does not reach submission {id}",
                caller.principal()
            ))),
        }
    }

    /// A page of the submissions the caller may list, in the order they were stored, each with
    /// its latest review.
    pub async fn list_submissions(
        &self,
        caller: &Caller,
        filter: SubmissionFilter,
    ) -> Result<ListedSubmissions, AppError> {
        let catalog = self.read_model.catalog(Some(caller.counters())).await?;
        let lister = access::list_submissions(caller, &catalog);
        if let Some(agency) = &filter.agency_code {
            if !lister
                .as_ref()
                .is_some_and(|lister| lister.lists_agency(agency))
            {
                return Err(AppError::out_of_reach(format!(
                    "{} does not reach the reports of {agency:?}",
                    caller.principal()
                )));
            }
        }
        let Some(lister) = lister else {
            return Ok(ListedSubmissions::default());
        };
        let page = self
            .store
            .list_submissions(&ListSubmissionsQuery {
                agency_code: filter.agency_code,
                period_code: filter.period_code,
                latest_only: filter.latest_only,
                after_id: filter.after_id,
                page_size: filter.page_size,
                visible: lister.visible().map(<[_]>::to_vec),
                review_state: filter.review_state,
                with_warnings: filter.with_warnings,
            })
            .await?;
        let ids: Vec<i64> = page.submissions.iter().map(|stored| stored.id).collect();
        let mut reviews = self.store.latest_reviews(&ids).await?;
        let submissions = page
            .submissions
            .into_iter()
            .map(|stored| {
                let review = reviews.remove(&stored.id);
                (stored, review)
            })
            .collect();
        Ok(ListedSubmissions {
            submissions,
            more: page.more,
        })
    }

    /// Everything SubmitReport does (or ImportReports, `importing`, for one report), for a caller
    /// whose counters are `known` (none: read them).
    async fn submit(
        &self,
        request: ReportToSubmit,
        caller: &Caller,
        known: Option<Counters>,
        importing: bool,
    ) -> Result<Receipt, AppError> {
        // The catalogue, and the latest reports for the plausibility warnings: the read model
        // holds this process's commits without a query, so asking it costs a submit no database
        // round trip unless another process wrote since.
        let view = self.read_model.current(known).await?;
        let catalog = &view.catalog;
        let capacity = may_submit(caller, &request, catalog, importing)?;
        // A valid report goes straight to the writer, which answers a retried request id from
        // what is stored. Only a refused (or validate-only) request first looks for an earlier
        // acceptance of its request id: the common case costs no look-up.
        let request_id = request.request_id.trim().to_string();
        let look_up = |request_id: String| async move {
            if request_id.is_empty() {
                return Ok(None);
            }
            self.store.find_by_request_id(&request_id).await
        };
        let earlier = if request.validate_only {
            look_up(request_id.clone()).await?
        } else {
            None
        };
        let sender = Sender {
            principal: caller.principal(),
            capacity,
        };
        let checked = match self
            .check(request.clone(), sender, catalog, earlier, &view.reports)
            .await
        {
            Err(refusal) if !request.validate_only => match look_up(request_id).await? {
                Some(earlier) => {
                    self.check(request, sender, catalog, Some(earlier), &view.reports)
                        .await?
                }
                None => return Err(refusal),
            },
            checked => checked?,
        };
        match checked {
            Checked::Answered(receipt) => Ok(*receipt),
            Checked::ToStore { valid, received_at } => {
                let (agency_code, period) = (valid.agency_code.clone(), valid.period.clone());
                let outcome = self.writer.submit(*valid, received_at).await?;
                self.answer(outcome, &agency_code, &period).await
            }
        }
    }

    /// Checks a request as far as it can be without storing anything, against the catalogue and
    /// the submission its request id was accepted as before, if any.
    async fn check(
        &self,
        request: ReportToSubmit,
        sender: Sender<'_>,
        catalog: &Catalog,
        earlier: Option<StoredSubmission>,
        reports: &ReportSnapshot,
    ) -> Result<Checked, AppError> {
        let now = Utc::now();
        let asserted_received_at = match request.received_at {
            GivenInstant::Absent => None,
            GivenInstant::NotAnInstant => {
                return Err(AppError::invalid_argument(
                    "received_at",
                    "not a valid instant",
                ));
            }
            GivenInstant::At(instant) => Some(instant),
        };
        if asserted_received_at.is_some() && sender.capacity == Capacity::TheAgency {
            return Err(AppError::PermissionDenied {
                reason: "RECEIPT_TIME_NOT_ALLOWED",
                message: format!(
                    "{} may not assert when a report was received: only a province or the \
                     Ministry entering a report received before pressdx may",
                    sender.principal
                ),
            });
        }
        let draft = SubmissionDraft {
            request_id: request.request_id,
            agency_code: request.agency_code,
            period_code: request.period_code,
            report: request.report,
            submitted_by: sender.principal.to_string(),
            on_behalf: sender.capacity == Capacity::OnBehalf,
            asserted_received_at,
        };

        let period = catalog.period(&draft.period_code);
        // A retried request gets its original answer, even if the catalogue changed meanwhile;
        // a validate-only one is checked first, against the catalogue as it is now.
        let draft_hash = draft
            .report
            .clone()
            .unwrap_or_default()
            .content_hash(&draft.agency_code, &draft.period_code);
        let earlier = match earlier {
            None => None,
            Some(existing) => {
                let taken_hash = existing.content_hash.clone();
                let (existing, _) = request_id_taken(existing, &taken_hash, &draft_hash)
                    .stored_or(|taken| AppError::request_id_reused(&taken, &draft.agency_code))?;
                Some(existing)
            }
        };
        if let (Some(existing), false) = (&earlier, request.validate_only) {
            if let Some(original_period) = catalog.period(&existing.period_code) {
                let latest_revision = self.latest_revision_of(existing).await?;
                return Ok(Checked::Answered(Box::new(Receipt::Stored {
                    submission: Box::new(existing.clone()),
                    deadline: original_period.deadline,
                    replayed: true,
                    validated_only: false,
                    latest_revision,
                })));
            }
        }

        let context = SubmissionContext {
            period,
            agency: catalog.organization(&draft.agency_code),
            indicators: &catalog.indicators,
            known: Some(catalog),
            now,
        };
        let mut valid = check_submission(draft, &context).map_err(AppError::Rejected)?;
        let received_at = valid.received_at(now);
        if valid.period.is_closed_at(received_at) {
            let reopened = self
                .store
                .latest_reopening(&valid.agency_code, &valid.period.code)
                .await?
                .is_some_and(|reopening| reopening.allows(now));
            if !reopened {
                return Err(period_closed(&valid.period, &valid.agency_code));
            }
        }

        // Never a refusal: the report is stored (or found acceptable) with them.
        valid.warnings = plausibility_warnings(&valid, catalog, reports);

        if !request.validate_only {
            return Ok(Checked::ToStore {
                valid: Box::new(valid),
                received_at,
            });
        }
        let latest_revision = self
            .store
            .latest_revision(&valid.agency_code, &valid.period.code)
            .await?;
        // Valid now; submitted, a known request id would replay what it stored.
        let receipt = match earlier {
            Some(existing) => Receipt::Stored {
                submission: Box::new(existing),
                deadline: valid.period.deadline,
                replayed: true,
                validated_only: true,
                latest_revision,
            },
            None => Receipt::Valid {
                valid: Box::new(valid),
                received_at,
                latest_revision,
            },
        };
        Ok(Checked::Answered(Box::new(receipt)))
    }

    /// The revision of `stored`'s agency and period that counts now.
    async fn latest_revision_of(&self, stored: &StoredSubmission) -> Result<i32, AppError> {
        if !stored.superseded {
            return Ok(stored.revision);
        }
        Ok(self
            .store
            .latest_revision(&stored.agency_code, &stored.period_code)
            .await?)
    }

    /// The answer to a stored (or replayed, or refused) submission of `agency_code`'s.
    async fn answer(
        &self,
        outcome: Revised<StoredSubmission>,
        agency_code: &str,
        period: &Period,
    ) -> Result<Receipt, AppError> {
        let (stored, replayed) =
            outcome.stored_or(|taken| AppError::request_id_reused(&taken, agency_code))?;
        if !replayed {
            self.feed.advance(stored.feed_position);
            info!(
                agency = %stored.agency_code,
                period = %stored.period_code,
                revision = stored.revision,
                late = stored.late,
                "submission stored"
            );
        }
        let latest_revision = self.latest_revision_of(&stored).await?;
        Ok(Receipt::Stored {
            submission: Box::new(stored),
            deadline: period.deadline,
            replayed,
            validated_only: false,
            latest_revision,
        })
    }
}

/// The catalogue's plausibility warnings for a valid report, against the same agency's latest
/// report for the period of the year before, as `reports` hold it.
fn plausibility_warnings(
    valid: &ValidSubmission,
    catalog: &Catalog,
    reports: &ReportSnapshot,
) -> Vec<Warning> {
    if catalog.plausibility.is_empty() {
        return Vec::new();
    }
    let previous = catalog
        .periods
        .iter()
        .find(|period| period.year == valid.period.year - 1)
        .filter(|_| compares_with_previous(catalog))
        .and_then(|period| {
            let latest = reports.latest(&period.code, &valid.agency_code)?;
            Some(Previous {
                period_code: &period.code,
                report: &latest.report,
            })
        });
    plausibility::warnings(&valid.report, previous, &catalog.plausibility)
}

/// Whether some plausibility rule of the catalogue compares with the previous period's report.
fn compares_with_previous(catalog: &Catalog) -> bool {
    catalog
        .plausibility
        .iter()
        .any(|rule| !matches!(rule.check, Check::OutsideRange { .. }))
}

/// The refusal of a report for a period that closed before it was received.
fn period_closed(period: &Period, agency_code: &str) -> AppError {
    let closed_at = period
        .closes_at
        .map(|instant| instant.with_timezone(&vietnam_time()).to_rfc3339())
        .unwrap_or_default();
    AppError::FailedPrecondition {
        reason: "PERIOD_CLOSED",
        subject: format!("periods/{}", period.code),
        message: format!(
            "period {} closed at {closed_at}: no report is taken for it any more; the province \
             can reopen it for {agency_code} (ReviewService.ReopenPeriod)",
            period.code
        ),
    }
}

/// Whether the caller may send this report (over an import: `importing`), and in what capacity:
/// an agency its own; a province its agencies'; the Ministry, importing, anyone's.
fn may_submit(
    caller: &Caller,
    request: &ReportToSubmit,
    catalog: &Catalog,
    importing: bool,
) -> Result<Capacity, AppError> {
    let principal = caller.principal();
    let agency = request.agency_code.as_str();
    // A request that names no agency or no known period is incomplete or wrong, not out of
    // reach: the checks that follow refuse it with every field named.
    let Some(period) = catalog.period(&request.period_code) else {
        return Ok(capacity_claimed(principal));
    };
    if agency.is_empty() {
        return Ok(capacity_claimed(principal));
    }
    access::send_reports(caller, catalog, agency, period, importing)
        .map(|sender| sender.capacity())
        .ok_or_else(|| {
            AppError::out_of_reach(format!(
                "{principal} may not submit for {} in period {}: an agency submits its own \
                 reports, a province those of its agencies, the Ministry imports anyone's",
                echo(agency),
                period.code
            ))
        })
}

/// The capacity a principal would send in, for a request that will be refused before it is
/// stored: only its refusals depend on it.
fn capacity_claimed(principal: &Principal) -> Capacity {
    if principal.role == Role::Agency {
        Capacity::TheAgency
    } else {
        Capacity::OnBehalf
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::catalog_file::{self, DEFAULT_CATALOG};
    use crate::domain::report::AnnualReport;
    use crate::store::{HeldForBatch, SubmitPlan};

    fn valid(request_id: &str, agency_code: &str, revenue_vnd: i64) -> ValidSubmission {
        let catalog = catalog_file::parse(DEFAULT_CATALOG).unwrap();
        let period = catalog.period("2024").unwrap().clone();
        let report = AnnualReport {
            revenue_vnd: Some(revenue_vnd),
            ..AnnualReport::default()
        };
        ValidSubmission {
            request_id: request_id.into(),
            agency_code: agency_code.into(),
            content_hash: report.content_hash(agency_code, &period.code),
            period,
            report,
            submitted_by: "test".into(),
            on_behalf: false,
            asserted_received_at: None,
            warnings: Vec::new(),
        }
    }

    fn stored(valid: &ValidSubmission, id: i64, revision: i32) -> StoredSubmission {
        StoredSubmission {
            id,
            request_id: valid.request_id.clone(),
            agency_code: valid.agency_code.clone(),
            period_code: valid.period.code.clone(),
            revision,
            received_at: valid.period.deadline,
            late: false,
            content_hash: valid.content_hash.clone(),
            report: valid.report.clone(),
            superseded: false,
            feed_position: id,
            entered_by: None,
            received_at_asserted: false,
            warnings: Vec::new(),
        }
    }

    #[test]
    fn a_batch_numbers_the_revisions_of_each_agency_after_the_latest_stored() {
        let (first, second, other) = (
            valid("r-1", "bao-nam-dinh", 1),
            valid("r-2", "bao-nam-dinh", 2),
            valid("r-3", "bao-ha-nam", 3),
        );
        let on_time = first.period.deadline;
        let late = on_time + chrono::Duration::days(1);
        let held = HeldForBatch {
            earlier: HashMap::new(),
            latest_revisions: HashMap::from([(("bao-nam-dinh".into(), "2024".into()), 4)]),
        };
        let plans = plan_batch(
            &[(&first, on_time), (&second, late), (&other, on_time)],
            &held,
        );
        assert_eq!(
            plans,
            vec![
                SubmitPlan::New {
                    revision: 5,
                    late: false
                },
                SubmitPlan::New {
                    revision: 6,
                    late: true
                },
                SubmitPlan::New {
                    revision: 1,
                    late: false
                },
            ]
        );
    }

    #[test]
    fn a_request_id_taken_is_replayed_for_the_same_report_and_refused_for_another() {
        let (original, retry, other) = (
            valid("r-1", "bao-nam-dinh", 1),
            valid("r-1", "bao-nam-dinh", 1),
            valid("r-1", "bao-nam-dinh", 2),
        );
        let at = original.period.deadline;
        let taken = stored(&original, 7, 1);
        let held = HeldForBatch {
            earlier: HashMap::from([("r-1".into(), taken.clone())]),
            latest_revisions: HashMap::from([(("bao-nam-dinh".into(), "2024".into()), 1)]),
        };
        assert_eq!(
            plan_batch(&[(&retry, at), (&other, at)], &held),
            vec![
                SubmitPlan::TakenBefore(Box::new(Revised::Replayed(taken.clone()))),
                SubmitPlan::TakenBefore(Box::new(Revised::RequestIdReused(taken))),
            ]
        );
        // Within one batch, the first submit under a request id is stored; the later ones are
        // retries of it, or mistakes.
        let plans = plan_batch(
            &[(&original, at), (&retry, at), (&other, at)],
            &HeldForBatch::default(),
        );
        assert_eq!(
            plans,
            vec![
                SubmitPlan::New {
                    revision: 1,
                    late: false
                },
                SubmitPlan::TakenInBatch(Revised::Replayed(0)),
                SubmitPlan::TakenInBatch(Revised::RequestIdReused(0)),
            ]
        );
    }

    #[test]
    fn a_province_lists_the_reports_of_its_agencies_and_the_ministry_every_one() {
        let catalog = catalog_file::parse(DEFAULT_CATALOG).unwrap();
        let caller = |role, organization: Option<&str>| {
            Caller::for_tests(Principal {
                credential_id: 1,
                role,
                organization: organization.map(str::to_string),
            })
        };
        let province =
            access::list_submissions(&caller(Role::Province, Some("nam-dinh")), &catalog).unwrap();
        assert!(!province.lists_everything());
        assert!(province.lists_agency("bao-nam-dinh"));
        assert!(!province.lists_agency("bao-ha-nam"));
        let ministry = access::list_submissions(&caller(Role::Ministry, None), &catalog).unwrap();
        assert!(ministry.lists_everything() && ministry.lists_agency("bao-ha-nam"));
        // An administrator reaches no agency: it lists nothing, and learns of no submission.
        assert!(access::list_submissions(&caller(Role::Admin, None), &catalog).is_none());
    }
}
