//! SubmissionService: agencies submit their annual report and read back what they sent.

use std::pin::Pin;
use std::sync::Arc;

use chrono::Utc;
use prost::Message;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tokio_stream::{Stream, StreamExt};
use tonic::{Request, Response, Status, Streaming};
use tracing::{info, instrument};

use super::convert::{receipt, report_from_proto, submission_to_proto, timeliness_of, timestamp};
use super::error::ApiError;
use super::feed::FeedWatcher;
use super::pagination;
use crate::domain::submission::{SubmissionContext, SubmissionDraft, check_submission};
use crate::proto::submission_service_server::SubmissionService;
use crate::proto::{
    GetSubmissionRequest, ImportReportsResponse, ListSubmissionsRequest, ListSubmissionsResponse,
    Submission, SubmissionReceipt, SubmitReportRequest, import_reports_response,
};
use crate::store::{ListSubmissionsQuery, MAX_PAGE_SIZE, ReadModel, Store, SubmitOutcome};

const DEFAULT_PAGE_SIZE: u64 = 50;

/// How many import results may wait for a slow reader before the import pauses reading.
const IMPORT_BUFFER: usize = 32;

#[derive(Clone)]
pub struct SubmissionApi {
    store: Store,
    read_model: Arc<ReadModel>,
    feed: FeedWatcher,
}

impl SubmissionApi {
    pub fn new(store: Store, read_model: Arc<ReadModel>, feed: FeedWatcher) -> Self {
        SubmissionApi {
            store,
            read_model,
            feed,
        }
    }

    /// Everything a submit does, shared by SubmitReport and ImportReports.
    async fn submit(&self, request: SubmitReportRequest) -> Result<SubmissionReceipt, ApiError> {
        let received_at = Utc::now();
        let draft = SubmissionDraft {
            request_id: request.request_id,
            agency_code: request.agency_code,
            period_code: request.period_code,
            report: request.report.map(report_from_proto),
        };

        let catalog = self.read_model.catalog().await?;
        let period = catalog.period(&draft.period_code);
        // A retried request gets its original answer, even if the catalogue changed meanwhile
        // (https://google.aip.dev/155).
        let request_id = draft.request_id.trim();
        let earlier = if request_id.is_empty() {
            None
        } else {
            self.store.find_by_request_id(request_id).await?
        };
        if let Some(existing) = earlier {
            let draft_hash = draft
                .report
                .clone()
                .unwrap_or_default()
                .content_hash(&draft.agency_code, &draft.period_code);
            if existing.content_hash != draft_hash {
                return Err(ApiError::RequestIdReused {
                    request_id: existing.request_id,
                    submission_id: existing.id,
                });
            }
            if let Some(original_period) = catalog.period(&existing.period_code) {
                return Ok(receipt(&existing, original_period, true));
            }
        }

        let context = SubmissionContext {
            period,
            agency: catalog.organization(&draft.agency_code),
            indicators: &catalog.indicators,
        };
        let valid = check_submission(draft, &context).map_err(ApiError::Rejected)?;

        if request.validate_only {
            let revision = self
                .store
                .latest_revision(&valid.agency_code, &valid.period.code)
                .await?
                + 1;
            return Ok(SubmissionReceipt {
                submission_id: 0,
                agency_code: valid.agency_code,
                period_code: valid.period.code.clone(),
                revision,
                received_at: Some(timestamp(received_at)),
                timeliness: timeliness_of(&valid.period, received_at).into(),
                deadline: Some(timestamp(valid.period.deadline)),
                content_hash: valid.content_hash,
                validated_only: true,
                replayed: false,
                request_id: valid.request_id,
            });
        }

        match self.store.store_submission(&valid, received_at).await? {
            SubmitOutcome::Accepted(stored) => {
                self.feed.advance(stored.feed_position);
                info!(
                    agency = %stored.agency_code,
                    period = %stored.period_code,
                    revision = stored.revision,
                    late = stored.late,
                    "submission stored"
                );
                Ok(receipt(&stored, &valid.period, false))
            }
            SubmitOutcome::Replayed(stored) => Ok(receipt(&stored, &valid.period, true)),
            SubmitOutcome::RequestIdReused(stored) => Err(ApiError::RequestIdReused {
                request_id: stored.request_id,
                submission_id: stored.id,
            }),
        }
    }

    async fn list(
        &self,
        request: ListSubmissionsRequest,
    ) -> Result<ListSubmissionsResponse, ApiError> {
        let page_size = pagination::page_size(request.page_size, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)?;
        let filters = format!(
            "agency={};period={};latest={}",
            request.agency_code, request.period_code, request.latest_only
        );
        let after_id = pagination::resume_after(&request.page_token, &filters)?
            .map(|key| {
                key.parse::<i64>().map_err(|_| {
                    ApiError::invalid_argument("page_token", "not a token this list gave out")
                })
            })
            .transpose()?;
        let non_empty = |text: String| (!text.is_empty()).then_some(text);
        let page = self
            .store
            .list_submissions(&ListSubmissionsQuery {
                agency_code: non_empty(request.agency_code),
                period_code: non_empty(request.period_code),
                latest_only: request.latest_only,
                after_id,
                page_size,
            })
            .await?;
        let next_page_token = match page.submissions.last() {
            Some(last) if page.more => pagination::next_page_token(&last.id.to_string(), &filters),
            _ => String::new(),
        };
        Ok(ListSubmissionsResponse {
            submissions: page.submissions.iter().map(submission_to_proto).collect(),
            next_page_token,
        })
    }
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
        Ok(Response::new(self.submit(request.into_inner()).await?))
    }

    #[instrument(skip_all, fields(submission_id = request.get_ref().submission_id))]
    async fn get_submission(
        &self,
        request: Request<GetSubmissionRequest>,
    ) -> Result<Response<Submission>, Status> {
        let id = request.into_inner().submission_id;
        match self
            .store
            .get_submission(id)
            .await
            .map_err(ApiError::from)?
        {
            Some(stored) => Ok(Response::new(submission_to_proto(&stored))),
            None => Err(ApiError::NotFound(format!("no submission {id}")).into()),
        }
    }

    #[instrument(skip_all)]
    async fn list_submissions(
        &self,
        request: Request<ListSubmissionsRequest>,
    ) -> Result<Response<ListSubmissionsResponse>, Status> {
        Ok(Response::new(self.list(request.into_inner()).await?))
    }

    type ImportReportsStream = ImportStream;

    #[instrument(skip_all)]
    async fn import_reports(
        &self,
        request: Request<Streaming<SubmitReportRequest>>,
    ) -> Result<Response<Self::ImportReportsStream>, Status> {
        let mut inbound = request.into_inner();
        let (results, outbound) = mpsc::channel(IMPORT_BUFFER);
        let api = self.clone();
        tokio::spawn(async move {
            let mut index: i64 = 0;
            let (mut accepted, mut refused) = (0_u64, 0_u64);
            while let Some(message) = inbound.next().await {
                let result = match message {
                    Ok(request) => {
                        let outcome = match api.submit(request).await {
                            Ok(receipt) => {
                                accepted += 1;
                                import_reports_response::Outcome::Receipt(receipt)
                            }
                            Err(error) => {
                                refused += 1;
                                import_reports_response::Outcome::Error(status_message(
                                    &Status::from(error),
                                ))
                            }
                        };
                        Ok(ImportReportsResponse {
                            index,
                            outcome: Some(outcome),
                        })
                    }
                    // The stream itself broke (an undecodable message, a reset): nothing after it
                    // can be read, so say so and stop.
                    Err(status) => Err(status),
                };
                let stream_broke = result.is_err();
                if results.send(result).await.is_err() || stream_broke {
                    break;
                }
                index += 1;
            }
            info!(accepted, refused, "import finished");
        });
        Ok(Response::new(Box::pin(ReceiverStream::new(outbound))))
    }
}
