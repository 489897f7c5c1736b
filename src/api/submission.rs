//! SubmissionService: agencies submit their annual report and read back what they sent.

use std::pin::Pin;
use std::time::Duration;

use prost::Message;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tokio_stream::{Stream, StreamExt};
use tonic::{Request, Response, Status, Streaming};
use tracing::{info, instrument};

use super::access::caller_of;
use super::convert::{given_instant, receipt_to_proto, report_from_proto, submission_to_proto};
use super::draining::Draining;
use super::error::shutting_down;
use super::review::review_to_proto;
use crate::app::pagination;
use crate::app::submissions::{
    ListedSubmissions, ReportToSubmit, Review, ReviewState, StoredSubmission, SubmissionFilter,
};
use crate::app::{App, AppError, Caller};
use crate::domain::formats::Field;
use crate::metrics;
use crate::proto::submission_service_server::SubmissionService;
use crate::proto::{
    self, GetSubmissionRequest, ImportReportsResponse, ListSubmissionsRequest,
    ListSubmissionsResponse, Submission, SubmissionReceipt, SubmitReportRequest,
    import_reports_response,
};

/// How many import results may wait for a slow reader before the import pauses reading.
const IMPORT_BUFFER: usize = 256;

/// At most this many reports of an import are stored in one transaction...
const IMPORT_BATCH: usize = 256;
/// ...gathered for at most this long after the first of them arrives.
const IMPORT_BATCH_WAIT: Duration = Duration::from_millis(2);

#[derive(Clone)]
pub struct SubmissionApi {
    app: App,
    /// The request size limit, to name in an import stream's refusal of a larger message.
    max_message_bytes: usize,
    /// Ends import streams when the server stops.
    draining: Draining,
}

impl SubmissionApi {
    pub fn new(app: &App, max_message_bytes: usize, draining: Draining) -> Self {
        SubmissionApi {
            app: app.clone(),
            max_message_bytes,
            draining,
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
        let page_tokens = self.app.page_tokens();
        let after_id = page_tokens
            .resume_after(&request.page_token, &filters)?
            .map(|key| {
                key.parse::<i64>().map_err(|_| {
                    AppError::invalid_argument("page_token", "not a token this list gave out")
                })
            })
            .transpose()?;
        let non_empty = |text: String| (!text.is_empty()).then_some(text);
        let ListedSubmissions { submissions, more } = self
            .app
            .list_submissions(
                caller,
                SubmissionFilter {
                    agency_code: non_empty(request.agency_code),
                    period_code: non_empty(request.period_code),
                    latest_only: request.latest_only,
                    with_warnings: request.with_warnings,
                    review_state,
                    after_id,
                    page_size,
                },
            )
            .await?;
        let next_page_token = match submissions.last() {
            Some((last, _)) if more => page_tokens.next(&last.id.to_string(), &filters),
            _ => String::new(),
        };
        Ok(ListSubmissionsResponse {
            submissions: submissions
                .iter()
                .map(|(stored, review)| reviewed_submission(stored, review.as_ref()))
                .collect(),
            next_page_token,
        })
    }
}

/// A submit request in the application's words.
fn report_to_submit(request: SubmitReportRequest) -> ReportToSubmit {
    ReportToSubmit {
        received_at: given_instant(request.received_at.as_ref()),
        request_id: request.request_id,
        agency_code: request.agency_code,
        period_code: request.period_code,
        report: request.report.map(report_from_proto),
        validate_only: request.validate_only,
    }
}

/// A submission with its latest review, if any.
fn reviewed_submission(stored: &StoredSubmission, review: Option<&Review>) -> Submission {
    Submission {
        review: review.map(review_to_proto),
        ..submission_to_proto(stored)
    }
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
            .app
            .submit_report(&caller, report_to_submit(request.into_inner()))
            .await
            .map(receipt_to_proto)
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
        let (stored, review) = self.app.get_submission(&caller, id).await?;
        Ok(Response::new(reviewed_submission(&stored, review.as_ref())))
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
                if let Err(error) = api.app.authenticator().recheck(&principal).await {
                    let _ = results.send(Err(Status::from(error))).await;
                    break;
                }
                // Each report counts against the credential's rate, as a SubmitReport would: an
                // import goes no faster than its limit.
                for _ in &requests {
                    api.app.authenticator().wait_for_report(&principal).await;
                }
                let requests = requests.into_iter().map(report_to_submit).collect();
                for answer in api.app.import_reports(&caller, requests).await {
                    let answer = answer.map(receipt_to_proto).map_err(Status::from);
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
