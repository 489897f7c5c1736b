//! SubmissionService: agencies submit their annual report and read back what they sent.

use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use prost::Message;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tokio_stream::{Stream, StreamExt};
use tonic::{Request, Response, Status, Streaming};
use tracing::{info, instrument};

use super::access::caller_of;
use super::convert::{
    instant, receipt, report_from_proto, submission_to_proto, timeliness_of, timestamp,
    warnings_to_proto,
};
use super::draining::Draining;
use super::error::shutting_down;
use super::review::review_to_proto;
use crate::app::FeedWatcher;
use crate::app::access::{self, Capacity as Submitter};
use crate::app::pagination::{self, PageTokens};
use crate::app::{App, Authenticator, Caller};
use crate::app::{AppError, ReadModel};
use crate::domain::Catalog;
use crate::domain::access::{Principal, Reach, Role};
use crate::domain::formats::Field;
use crate::domain::naming::echo;
use crate::domain::period::{Period, vietnam_time};
use crate::domain::plausibility::{self, Check, Previous, Warning};
use crate::domain::submission::{
    SubmissionContext, SubmissionDraft, ValidSubmission, check_submission,
};
use crate::domain::summary::ReportSnapshot;
use crate::metrics;
use crate::proto::submission_service_server::SubmissionService;
use crate::proto::{
    self, GetSubmissionRequest, ImportReportsResponse, ListSubmissionsRequest,
    ListSubmissionsResponse, Submission, SubmissionReceipt, SubmitReportRequest,
    import_reports_response,
};
use crate::store::{
    Counters, ListSubmissionsQuery, ReviewState, Store, StoredSubmission, SubmissionWriter,
    SubmitOutcome,
};

/// How many import results may wait for a slow reader before the import pauses reading.
const IMPORT_BUFFER: usize = 256;

/// At most this many reports of an import are stored in one transaction...
const IMPORT_BATCH: usize = 256;
/// ...gathered for at most this long after the first of them arrives.
const IMPORT_BATCH_WAIT: Duration = Duration::from_millis(2);

/// What checking a submit request leaves to do.
enum Checked {
    /// Answered without storing anything: a replay, or a validate-only request.
    Answered(Box<SubmissionReceipt>),
    /// A valid report to store.
    ToStore {
        valid: Box<ValidSubmission>,
        received_at: DateTime<Utc>,
    },
}

#[derive(Clone)]
pub struct SubmissionApi {
    store: Store,
    read_model: Arc<ReadModel>,
    feed: FeedWatcher,
    writer: SubmissionWriter,
    /// To check, batch by batch, that an import stream's credential still holds.
    access: Arc<Authenticator>,
    /// The request size limit, to name in an import stream's refusal of a larger message.
    max_message_bytes: usize,
    /// Ends import streams when the server stops.
    draining: Draining,
    page_tokens: PageTokens,
}

impl SubmissionApi {
    pub fn new(app: &App, max_message_bytes: usize, draining: Draining) -> Self {
        let store = app.store().clone();
        SubmissionApi {
            writer: app.writer().clone(),
            store,
            read_model: app.read_model().clone(),
            feed: app.feed().clone(),
            access: app.shared_authenticator(),
            page_tokens: app.page_tokens().clone(),
            max_message_bytes,
            draining,
        }
    }

    /// Everything SubmitReport does (or ImportReports, `importing`, for one report), for a caller
    /// whose counters are `known` (none: read them).
    async fn submit(
        &self,
        request: SubmitReportRequest,
        caller: &Caller,
        known: Option<Counters>,
        importing: bool,
    ) -> Result<SubmissionReceipt, AppError> {
        // The catalogue, and the latest reports for the plausibility warnings: the read model
        // holds this process's commits without a query, so asking it costs a submit no database
        // round trip unless another process wrote since.
        let view = self.read_model.current(known).await?;
        let catalog = &view.catalog;
        let principal = caller.principal();
        let submitter = may_submit(caller, &request, catalog, importing)?;
        // A valid report goes straight to the writer, which answers a retried request id from
        // what is stored. Only a refused (or validate-only) request first looks for an earlier
        // acceptance of its request id, so that a retry gets its original answer even if the
        // catalogue changed since (https://google.aip.dev/155): the common case costs no look-up.
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
            principal,
            submitter,
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

    /// A batch of an import stream: each request checked as SubmitReport would, the valid ones
    /// stored in one transaction, and every answer in the order asked.
    async fn submit_batch(
        &self,
        requests: Vec<SubmitReportRequest>,
        caller: &Caller,
    ) -> Vec<Result<SubmissionReceipt, AppError>> {
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
            let submitter = match may_submit(caller, &request, catalog, true) {
                Ok(submitter) => submitter,
                Err(refused) => {
                    answers.push(Err(refused));
                    continue;
                }
            };
            let sender = Sender {
                principal,
                submitter,
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
                        Ok(SubmissionReceipt::default())
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
        match self.store.store_submissions(&batch).await {
            Ok(outcomes) => {
                for ((index, valid, _), outcome) in to_store.iter().zip(outcomes) {
                    answers[*index] = self
                        .answer(outcome, &valid.agency_code, &valid.period)
                        .await;
                }
            }
            // Nothing of the batch was stored: try each alone, so that each gets its own answer.
            Err(_) => {
                for (index, valid, received_at) in &to_store {
                    answers[*index] = match self.store.store_submission(valid, *received_at).await {
                        Ok(outcome) => {
                            self.answer(outcome, &valid.agency_code, &valid.period)
                                .await
                        }
                        Err(error) => Err(error.into()),
                    };
                }
            }
        }
        answers
    }

    /// Checks a request as far as it can be without storing anything, against the catalogue and
    /// the submission its request id was accepted as before, if any.
    async fn check(
        &self,
        request: SubmitReportRequest,
        sender: Sender<'_>,
        catalog: &Catalog,
        earlier: Option<StoredSubmission>,
        reports: &ReportSnapshot,
    ) -> Result<Checked, AppError> {
        let now = Utc::now();
        let asserted_received_at =
            match &request.received_at {
                None => None,
                Some(asserted) => Some(instant(asserted).ok_or_else(|| {
                    AppError::invalid_argument("received_at", "not a valid instant")
                })?),
            };
        if asserted_received_at.is_some() && sender.submitter == Submitter::TheAgency {
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
            report: request.report.map(report_from_proto),
            submitted_by: sender.principal.to_string(),
            on_behalf: sender.submitter == Submitter::OnBehalf,
            asserted_received_at,
        };

        let period = catalog.period(&draft.period_code);
        // A retried request gets its original answer, even if the catalogue changed meanwhile
        // (https://google.aip.dev/155); a validate-only one is checked first, against the
        // catalogue as it is now.
        let draft_hash = draft
            .report
            .clone()
            .unwrap_or_default()
            .content_hash(&draft.agency_code, &draft.period_code);
        let earlier = match earlier {
            Some(existing) if existing.content_hash != draft_hash => {
                return Err(AppError::request_id_reused(&existing, &draft.agency_code));
            }
            Some(existing) if !request.validate_only => {
                if let Some(original_period) = catalog.period(&existing.period_code) {
                    let latest = self.latest_revision_of(&existing).await?;
                    return Ok(Checked::Answered(Box::new(receipt(
                        &existing,
                        original_period,
                        true,
                        latest,
                    ))));
                }
                None
            }
            earlier => earlier,
        };

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
        valid.warnings = Self::plausibility_warnings(&valid, catalog, reports);

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
        if let Some(existing) = earlier {
            return Ok(Checked::Answered(Box::new(SubmissionReceipt {
                validated_only: true,
                ..receipt(&existing, &valid.period, true, latest_revision)
            })));
        }
        Ok(Checked::Answered(Box::new(SubmissionReceipt {
            submission_id: 0,
            agency_code: valid.agency_code,
            period_code: valid.period.code.clone(),
            revision: latest_revision + 1,
            received_at: Some(timestamp(received_at)),
            timeliness: timeliness_of(&valid.period, received_at).into(),
            deadline: Some(timestamp(valid.period.deadline)),
            content_hash: valid.content_hash,
            validated_only: true,
            replayed: false,
            request_id: valid.request_id,
            latest_revision,
            entered_by: if valid.on_behalf {
                valid.submitted_by
            } else {
                String::new()
            },
            received_at_asserted: valid.asserted_received_at.is_some(),
            warnings: warnings_to_proto(&valid.warnings),
            feed_position: 0,
        })))
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
        outcome: SubmitOutcome,
        agency_code: &str,
        period: &Period,
    ) -> Result<SubmissionReceipt, AppError> {
        match outcome {
            SubmitOutcome::Accepted(stored) => {
                self.feed.advance(stored.feed_position);
                info!(
                    agency = %stored.agency_code,
                    period = %stored.period_code,
                    revision = stored.revision,
                    late = stored.late,
                    "submission stored"
                );
                let latest = self.latest_revision_of(&stored).await?;
                Ok(receipt(&stored, period, false, latest))
            }
            SubmitOutcome::Replayed(stored) => {
                let latest = self.latest_revision_of(&stored).await?;
                Ok(receipt(&stored, period, true, latest))
            }
            SubmitOutcome::RequestIdReused(stored) => {
                Err(AppError::request_id_reused(&stored, agency_code))
            }
        }
    }

    /// One submission, if the caller reaches its agency in its period. Like a submission out of
    /// reach, a missing one is PERMISSION_DENIED to a caller that does not reach everything, so
    /// that ids cannot be probed (https://google.aip.dev/211).
    async fn get(&self, id: i64, caller: &Caller) -> Result<Submission, AppError> {
        let catalog = self.read_model.catalog(Some(caller.counters())).await?;
        let stored = self.store.get_submission(id).await?;
        let reachable = stored.as_ref().is_some_and(|stored| {
            catalog.period(&stored.period_code).is_some_and(|period| {
                access::read_agency(caller, &catalog, &stored.agency_code, period).is_some()
            })
        });
        match stored {
            Some(stored) if reachable => {
                let reviews = self.store.latest_reviews(&[stored.id]).await?;
                let mut submission = submission_to_proto(&stored);
                submission.review = reviews.get(&stored.id).map(review_to_proto);
                Ok(submission)
            }
            None if visible_reports(caller.principal(), &catalog).is_none() => Err(
                AppError::not_found("SUBMISSION_NOT_FOUND", format!("no submission {id}")),
            ),
            _ => Err(AppError::out_of_reach(format!(
                "{} does not reach submission {id}",
                caller.principal()
            ))),
        }
    }

    async fn list(
        &self,
        request: ListSubmissionsRequest,
        caller: &Caller,
    ) -> Result<ListSubmissionsResponse, AppError> {
        AppError::check_fields(&[
            ("agency_code", Field::OptionalCode(&request.agency_code)),
            ("period_code", Field::OptionalCode(&request.period_code)),
        ])?;
        let page_size = pagination::page_size(request.page_size)?;
        let review_state = match proto::ReviewState::try_from(request.review_state) {
            Ok(proto::ReviewState::Unspecified) => None,
            Ok(proto::ReviewState::AwaitingReview) => Some(ReviewState::AwaitingReview),
            Ok(proto::ReviewState::Accepted) => Some(ReviewState::Accepted),
            Ok(proto::ReviewState::Returned) => Some(ReviewState::Returned),
            Err(_) => {
                return Err(AppError::invalid_argument(
                    "review_state",
                    format!("{} is not a ReviewState", request.review_state),
                ));
            }
        };
        // Later filters are named only when set, so that tokens given out before they existed
        // still work.
        let mut filters = format!(
            "agency={};period={};latest={}",
            request.agency_code, request.period_code, request.latest_only
        );
        if request.with_warnings {
            filters.push_str(";with_warnings");
        }
        if review_state.is_some() {
            filters.push_str(&format!(";review={}", request.review_state));
        }
        let after_id = self
            .page_tokens
            .resume_after(&request.page_token, &filters)?
            .map(|key| {
                key.parse::<i64>().map_err(|_| {
                    AppError::invalid_argument("page_token", "not a token this list gave out")
                })
            })
            .transpose()?;
        let catalog = self.read_model.catalog(Some(caller.counters())).await?;
        let visible = visible_reports(caller.principal(), &catalog);
        if let Some(visible) = &visible {
            let agency = request.agency_code.as_str();
            if !agency.is_empty()
                && !visible
                    .iter()
                    .any(|(_, agencies)| agencies.iter().any(|code| code == agency))
            {
                return Err(AppError::out_of_reach(format!(
                    "{} does not reach the reports of {agency:?}",
                    caller.principal()
                )));
            }
            if visible.is_empty() {
                return Ok(ListSubmissionsResponse::default());
            }
        }
        let non_empty = |text: String| (!text.is_empty()).then_some(text);
        let page = self
            .store
            .list_submissions(&ListSubmissionsQuery {
                agency_code: non_empty(request.agency_code),
                period_code: non_empty(request.period_code),
                latest_only: request.latest_only,
                after_id,
                page_size,
                visible,
                review_state,
                with_warnings: request.with_warnings,
            })
            .await?;
        let ids: Vec<i64> = page.submissions.iter().map(|stored| stored.id).collect();
        let reviews = self.store.latest_reviews(&ids).await?;
        let next_page_token = match page.submissions.last() {
            Some(last) if page.more => self.page_tokens.next(&last.id.to_string(), &filters),
            _ => String::new(),
        };
        let submissions = page
            .submissions
            .iter()
            .map(|stored| proto::Submission {
                review: reviews.get(&stored.id).map(review_to_proto),
                ..submission_to_proto(stored)
            })
            .collect();
        Ok(ListSubmissionsResponse {
            submissions,
            next_page_token,
        })
    }
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

/// Who sends a report, and in what capacity.
#[derive(Clone, Copy)]
struct Sender<'a> {
    principal: &'a Principal,
    submitter: Submitter,
}

/// Whether `principal` may send this report (over an import: `importing`), and in what capacity:
/// an agency its own; a province its agencies'; the Ministry, importing, anyone's.
fn may_submit(
    caller: &Caller,
    request: &SubmitReportRequest,
    catalog: &Catalog,
    importing: bool,
) -> Result<Submitter, AppError> {
    let principal = caller.principal();
    let agency = request.agency_code.as_str();
    let capacity = if principal.role == Role::Agency {
        Submitter::TheAgency
    } else {
        Submitter::OnBehalf
    };
    // A request that names no agency or no known period is incomplete or wrong, not out of
    // reach: the checks that follow refuse it with every field named.
    let Some(period) = catalog.period(&request.period_code) else {
        return Ok(capacity);
    };
    if agency.is_empty() {
        return Ok(capacity);
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

/// The (period, agencies) whose reports a principal may list; `None` for a principal that
/// reaches everything.
fn visible_reports(principal: &Principal, catalog: &Catalog) -> Option<Vec<(String, Vec<String>)>> {
    let mut visible = Vec::new();
    for period in &catalog.periods {
        match principal.reach(catalog, period) {
            Reach::Everything => return None,
            Reach::Agencies(agencies) if agencies.is_empty() => {}
            Reach::Agencies(agencies) => {
                let mut agencies: Vec<String> = agencies.into_iter().collect();
                agencies.sort();
                visible.push((period.code.clone(), agencies));
            }
        }
    }
    Some(visible)
}

/// A broken import stream's status, with tonic's terse refusal of an oversized message replaced
/// by pressdx's own (RESOURCE_EXHAUSTED, with the limit).
fn explain_stream_error(status: Status, max_message_bytes: usize) -> Status {
    if status.code() == tonic::Code::OutOfRange && status.message().contains("too large") {
        return AppError::MessageTooLarge { max_message_bytes }.into();
    }
    status
}

/// The google.rpc.Status a failed submit answers with, details included, to put in an import
/// result.
fn status_message(status: &Status) -> tonic_types::pb::Status {
    tonic_types::pb::Status::decode(status.details()).unwrap_or_else(|_| tonic_types::pb::Status {
        code: status.code() as i32,
        message: status.message().to_string(),
        details: Vec::new(),
    })
}

type ImportStream = Pin<Box<dyn Stream<Item = Result<ImportReportsResponse, Status>> + Send>>;

#[tonic::async_trait]
impl SubmissionService for SubmissionApi {
    #[instrument(skip_all, fields(agency = %request.get_ref().agency_code, period = %request.get_ref().period_code))]
    async fn submit_report(
        &self,
        request: Request<SubmitReportRequest>,
    ) -> Result<Response<SubmissionReceipt>, Status> {
        let caller = caller_of(&request)?;
        let answer = self
            .submit(
                request.into_inner(),
                &caller,
                Some(caller.counters()),
                false,
            )
            .await
            .map_err(Status::from);
        metrics::count_submission(&answer);
        Ok(Response::new(answer?))
    }

    #[instrument(skip_all, fields(submission_id = request.get_ref().submission_id))]
    async fn get_submission(
        &self,
        request: Request<GetSubmissionRequest>,
    ) -> Result<Response<Submission>, Status> {
        let caller = caller_of(&request)?;
        let id = request.into_inner().submission_id;
        Ok(Response::new(self.get(id, &caller).await?))
    }

    #[instrument(skip_all)]
    async fn list_submissions(
        &self,
        request: Request<ListSubmissionsRequest>,
    ) -> Result<Response<ListSubmissionsResponse>, Status> {
        let caller = caller_of(&request)?;
        Ok(Response::new(
            self.list(request.into_inner(), &caller).await?,
        ))
    }

    type ImportReportsStream = ImportStream;

    #[instrument(skip_all)]
    async fn import_reports(
        &self,
        request: Request<Streaming<SubmitReportRequest>>,
    ) -> Result<Response<Self::ImportReportsStream>, Status> {
        let caller = caller_of(&request)?;
        let principal = caller.principal().clone();
        // Reports that arrive together are stored together: one transaction, one sync to disk.
        let mut batches = Box::pin(
            request
                .into_inner()
                .chunks_timeout(IMPORT_BATCH, IMPORT_BATCH_WAIT),
        );
        let (results, outbound) = mpsc::channel(IMPORT_BUFFER);
        let api = self.clone();
        tokio::spawn(async move {
            let mut index: i64 = 0;
            let (mut accepted, mut refused) = (0_u64, 0_u64);
            loop {
                // A stopping server answers what it read, then ends the stream: the client
                // resumes with the reports not yet answered, each under its own request id.
                let messages = tokio::select! {
                    biased;
                    () = api.draining.started() => {
                        let _ = results.send(Err(shutting_down())).await;
                        break;
                    }
                    messages = batches.next() => match messages {
                        Some(messages) => messages,
                        None => break,
                    },
                };
                // The stream itself may break (an undecodable message, a reset): what came
                // before is answered, then the break, and nothing after it can be read.
                let mut broken = None;
                let mut requests = Vec::with_capacity(messages.len());
                for message in messages {
                    match message {
                        Ok(request) if broken.is_none() => requests.push(request),
                        Ok(_) => {}
                        Err(status) => {
                            broken
                                .get_or_insert(explain_stream_error(status, api.max_message_bytes));
                        }
                    }
                }
                // A credential revoked or expired while the stream runs ends it.
                if let Err(error) = api.access.recheck(&principal).await {
                    let _ = results.send(Err(Status::from(error))).await;
                    break;
                }
                // Each report counts against the credential's rate, as a SubmitReport would: an
                // import goes no faster than its limit.
                for _ in &requests {
                    api.access.wait_for_report(&principal).await;
                }
                for answer in api.submit_batch(requests, &caller).await {
                    let answer = answer.map_err(Status::from);
                    metrics::count_submission(&answer);
                    let outcome = match answer {
                        Ok(receipt) => {
                            accepted += 1;
                            import_reports_response::Outcome::Receipt(receipt)
                        }
                        Err(status) => {
                            refused += 1;
                            import_reports_response::Outcome::Error(status_message(&status))
                        }
                    };
                    let response = ImportReportsResponse {
                        index,
                        outcome: Some(outcome),
                    };
                    if results.send(Ok(response)).await.is_err() {
                        return;
                    }
                    index += 1;
                }
                if let Some(status) = broken {
                    let _ = results.send(Err(status)).await;
                    break;
                }
            }
            info!(accepted, refused, "import finished");
        });
        Ok(Response::new(Box::pin(ReceiverStream::new(outbound))))
    }
}
