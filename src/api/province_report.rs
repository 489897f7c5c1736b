//! ProvinceReportService: the province's yearly report to the Ministry. A draft freezes the
//! province's figures at one state of the data; the province writes its narrative; submitting
//! signs it; a correction is a new version. The Ministry reads the submitted versions and sees
//! which provinces have reported.

use tonic::{Request, Response, Status};
use tracing::instrument;

use prost::Message;

use super::access::caller_of;
use super::convert::{timeliness_of_flag, timestamp};
use super::maturity::results_to_proto;
use super::summary::{reviewed_status_to_proto, summary_to_proto};
use super::task::follow_up_to_proto;
use crate::app::figures::ReviewedStatus;
use crate::app::maturity::ScopeResults;
use crate::app::pagination;
use crate::app::province_reports::{
    DraftAsked, FiguresForm, NarrativeChange, ProvinceReportRead, ProvinceReportState, ReportsAsked,
};
use crate::app::{App, AppError, Caller};
use crate::domain::formats::{Field, check_code};
use crate::domain::limits::{MAX_CONTENT_HASH_CHARS, MAX_NARRATIVE_CHARS};
use crate::domain::period::{Period, Timeliness};
use crate::domain::plan::Plan;
use crate::domain::summary::TargetSummary;
use crate::domain::task_follow_up::FollowUp;
use crate::domain::violation::FieldViolation;
use crate::proto::province_report_service_server::ProvinceReportService;
use crate::proto::{
    self, CreateProvinceReportRequest, GetProvinceReportRequest, GetProvinceReportingStatusRequest,
    ListProvinceReportsRequest, SubmitProvinceReportRequest, UpdateProvinceReportNarrativeRequest,
};

#[derive(Clone)]
pub struct ProvinceReportApi {
    app: App,
}

/// A draft's figures in the messages this face serves them in.
struct ServedForm;

impl FiguresForm for ServedForm {
    fn summaries(summaries: &[TargetSummary]) -> Vec<proto::TargetSummary> {
        summaries.iter().map(summary_to_proto).collect()
    }

    fn reporting_status(reviewed: &ReviewedStatus, period: &Period) -> proto::ReportingStatus {
        reviewed_status_to_proto(reviewed, period)
    }

    fn maturity_results(results: &ScopeResults<'_>) -> proto::MaturityResults {
        results_to_proto(results)
    }

    fn task_follow_up(
        followed: &FollowUp<'_>,
        plan: &Plan,
        period: &Period,
    ) -> proto::TaskFollowUp {
        follow_up_to_proto(followed, plan, period)
    }

    fn timestamp(instant: chrono::DateTime<chrono::Utc>) -> prost_types::Timestamp {
        timestamp(instant)
    }
}

/// A filter as given: `None` when left empty.
fn given(code: &str) -> Option<&str> {
    Some(code).filter(|code| !code.is_empty())
}

impl ProvinceReportApi {
    pub fn new(app: &App) -> ProvinceReportApi {
        ProvinceReportApi { app: app.clone() }
    }

    async fn create(
        &self,
        request: CreateProvinceReportRequest,
        caller: &Caller,
    ) -> Result<ProvinceReportRead, AppError> {
        AppError::check_fields(&[
            ("plan_code", Field::Code(&request.plan_code)),
            ("period_code", Field::Code(&request.period_code)),
            ("province_code", Field::OptionalCode(&request.province_code)),
        ])?;
        self.app
            .draft_province_report::<ServedForm>(
                caller,
                DraftAsked {
                    plan_code: &request.plan_code,
                    period_code: &request.period_code,
                    province_code: &request.province_code,
                    correction_reason: &request.correction_reason,
                    accepted_only: request.accepted_only,
                    min_data_as_of: request.min_data_as_of,
                },
            )
            .await
    }

    async fn update_narrative(
        &self,
        request: UpdateProvinceReportNarrativeRequest,
        caller: &Caller,
    ) -> Result<ProvinceReportRead, AppError> {
        let mut violations = Vec::new();
        if request.id <= 0 {
            violations.push(FieldViolation::new("id", "required"));
        }
        let sections = [
            ("results", &request.results),
            ("difficulties", &request.difficulties),
            ("proposals", &request.proposals),
        ];
        for (field, text) in sections {
            if text
                .as_ref()
                .is_some_and(|text| text.chars().count() > MAX_NARRATIVE_CHARS)
            {
                violations.push(FieldViolation::new(
                    field,
                    format!("at most {MAX_NARRATIVE_CHARS} characters"),
                ));
            }
        }
        if !violations.is_empty() {
            return Err(AppError::InvalidArgument(violations));
        }
        let change = NarrativeChange {
            results: request.results,
            difficulties: request.difficulties,
            proposals: request.proposals,
        };
        self.app
            .update_province_report_narrative(caller, request.id, change)
            .await
    }

    async fn submit(
        &self,
        request: SubmitProvinceReportRequest,
        caller: &Caller,
    ) -> Result<ProvinceReportRead, AppError> {
        let mut violations = Vec::new();
        if request.id <= 0 {
            violations.push(FieldViolation::new("id", "required"));
        }
        if request.content_hash.is_empty() {
            violations.push(FieldViolation::new(
                "content_hash",
                "required: the draft's content_hash as the signer read it",
            ));
        } else if request.content_hash.chars().count() > MAX_CONTENT_HASH_CHARS {
            violations.push(FieldViolation::new(
                "content_hash",
                format!(
                    "at most {MAX_CONTENT_HASH_CHARS} characters: \"sha256:\" and 64 hex digits"
                ),
            ));
        }
        if !violations.is_empty() {
            return Err(AppError::InvalidArgument(violations));
        }
        self.app
            .submit_province_report(caller, request.id, &request.content_hash)
            .await
    }

    async fn get(
        &self,
        request: GetProvinceReportRequest,
        caller: &Caller,
    ) -> Result<ProvinceReportRead, AppError> {
        if request.id > 0 {
            return self.app.province_report(caller, request.id).await;
        }
        let version = request.version;
        let check_series = |province_code: &str| {
            let mut missing = Vec::new();
            for (field, value) in [
                ("province_code", province_code),
                ("plan_code", request.plan_code.as_str()),
                ("period_code", request.period_code.as_str()),
            ] {
                if value.is_empty() {
                    missing.push(FieldViolation::new(field, "required when id is not given"));
                } else if let Err(why) = check_code(value) {
                    missing.push(FieldViolation::new(field, why));
                }
            }
            if version < 0 {
                missing.push(FieldViolation::new("version", "must not be negative"));
            }
            if missing.is_empty() {
                Ok(())
            } else {
                Err(AppError::InvalidArgument(missing))
            }
        };
        self.app
            .province_report_version(
                caller,
                request.id,
                (
                    &request.province_code,
                    &request.plan_code,
                    &request.period_code,
                ),
                (version > 0).then_some(version),
                check_series,
            )
            .await
    }

    async fn list(
        &self,
        request: ListProvinceReportsRequest,
        caller: &Caller,
    ) -> Result<proto::ListProvinceReportsResponse, AppError> {
        AppError::check_fields(&[
            ("province_code", Field::OptionalCode(&request.province_code)),
            ("plan_code", Field::OptionalCode(&request.plan_code)),
            ("period_code", Field::OptionalCode(&request.period_code)),
        ])?;
        let page_size = pagination::page_size(request.page_size)?;
        let filters = format!(
            "province-reports;province={};plan={};period={}",
            request.province_code, request.plan_code, request.period_code
        );
        let page_tokens = self.app.page_tokens();
        let after = page_tokens.resume_after(&request.page_token, &filters)?;
        let after_id = match after {
            None => 0,
            Some(key) => key.parse().map_err(|_| {
                AppError::invalid_argument("page_token", "not a token this list gave out")
            })?,
        };
        let (reports, more) = self
            .app
            .list_province_reports(
                caller,
                ReportsAsked {
                    province_code: given(&request.province_code),
                    plan_code: given(&request.plan_code),
                    period_code: given(&request.period_code),
                    after_id,
                    page_size,
                },
            )
            .await?;
        let next_page_token = match reports.last() {
            Some(last) if more => page_tokens.next(&last.report.id.to_string(), &filters),
            _ => String::new(),
        };
        Ok(proto::ListProvinceReportsResponse {
            reports: reports
                .iter()
                .map(|report| {
                    let mut header = report_to_proto(report);
                    header.content = None;
                    header.signed_content = Vec::new();
                    header
                })
                .collect(),
            next_page_token,
        })
    }

    async fn reporting_status(
        &self,
        request: GetProvinceReportingStatusRequest,
        caller: &Caller,
    ) -> Result<proto::ProvinceReportingStatus, AppError> {
        AppError::check_fields(&[
            ("plan_code", Field::Code(&request.plan_code)),
            ("period_code", Field::Code(&request.period_code)),
        ])?;
        let reporting = self
            .app
            .province_reporting_status(caller, &request.plan_code, &request.period_code)
            .await?;
        let count = |timeliness: Timeliness| reporting.submitted(timeliness) as i32;
        let (on_time, late) = (count(Timeliness::OnTime), count(Timeliness::Late));
        let expected_count = reporting.provinces.len() as i32;
        let rate = |count: i32| {
            if expected_count == 0 {
                0.0
            } else {
                f64::from(count) / f64::from(expected_count)
            }
        };
        let period = &reporting.period;
        Ok(proto::ProvinceReportingStatus {
            plan_code: reporting.plan_code.clone(),
            period_code: period.code.clone(),
            deadline: Some(timestamp(period.province_report_deadline())),
            expected: expected_count,
            submitted_on_time: on_time,
            submitted_late: late,
            missing: expected_count - on_time - late,
            reporting_rate: rate(on_time + late),
            reporting_rate_on_time: rate(on_time),
            provinces: reporting
                .provinces
                .into_iter()
                .map(|province| {
                    let submitted = province.submitted.as_ref();
                    proto::ProvinceReportingEntry {
                        province_code: province.province_code,
                        province_name: province.name,
                        submitted: submitted.is_some(),
                        timeliness: submitted
                            .map_or(proto::Timeliness::Unspecified, |submitted| {
                                timeliness_of_flag(submitted.timeliness == Timeliness::Late)
                            })
                            .into(),
                        first_submitted_at: submitted
                            .map(|submitted| timestamp(submitted.first_submitted_at)),
                        latest_version: submitted.map_or(0, |submitted| submitted.latest_version),
                        latest_submitted_at: submitted
                            .map(|submitted| timestamp(submitted.latest_submitted_at)),
                    }
                })
                .collect(),
        })
    }
}

/// A stored version as the contract has it.
fn report_to_proto(read: &ProvinceReportRead) -> proto::ProvinceReport {
    let report = &read.report;
    let timeliness = read
        .timeliness
        .map_or(proto::Timeliness::Unspecified, |timeliness| {
            timeliness_of_flag(timeliness == Timeliness::Late)
        });
    proto::ProvinceReport {
        id: report.id,
        province_code: report.province_code.clone(),
        plan_code: report.plan_code.clone(),
        period_code: report.period_code.clone(),
        version: report.version,
        state: match report.state {
            ProvinceReportState::Draft => proto::ProvinceReportState::Draft,
            ProvinceReportState::Submitted => proto::ProvinceReportState::Submitted,
        }
        .into(),
        // Stored bytes that do not decode are still served as signed_content, for inspection.
        content: proto::ProvinceReportContent::decode(report.content.as_slice()).ok(),
        signed_content: report.content.clone(),
        content_hash: report.content_hash.clone(),
        created_by: report.created_by.clone(),
        created_at: Some(timestamp(report.created_at)),
        updated_at: Some(timestamp(report.updated_at)),
        submitted_by: report.submitted_by.clone().unwrap_or_default(),
        submitted_at: report.submitted_at.map(timestamp),
        deadline: read.deadline.map(timestamp),
        timeliness: timeliness.into(),
    }
}

#[tonic::async_trait]
impl ProvinceReportService for ProvinceReportApi {
    #[instrument(skip_all, fields(province = %request.get_ref().province_code, plan = %request.get_ref().plan_code, period = %request.get_ref().period_code))]
    async fn create_province_report(
        &self,
        request: Request<CreateProvinceReportRequest>,
    ) -> Result<Response<proto::ProvinceReport>, Status> {
        let caller = caller_of(&request)?;
        let report = self.create(request.into_inner(), &caller).await?;
        Ok(Response::new(report_to_proto(&report)))
    }

    #[instrument(skip_all, fields(id = request.get_ref().id))]
    async fn update_province_report_narrative(
        &self,
        request: Request<UpdateProvinceReportNarrativeRequest>,
    ) -> Result<Response<proto::ProvinceReport>, Status> {
        let caller = caller_of(&request)?;
        let report = self.update_narrative(request.into_inner(), &caller).await?;
        Ok(Response::new(report_to_proto(&report)))
    }

    #[instrument(skip_all, fields(id = request.get_ref().id))]
    async fn submit_province_report(
        &self,
        request: Request<SubmitProvinceReportRequest>,
    ) -> Result<Response<proto::ProvinceReport>, Status> {
        let caller = caller_of(&request)?;
        let report = self.submit(request.into_inner(), &caller).await?;
        Ok(Response::new(report_to_proto(&report)))
    }

    #[instrument(skip_all, fields(id = request.get_ref().id, province = %request.get_ref().province_code))]
    async fn get_province_report(
        &self,
        request: Request<GetProvinceReportRequest>,
    ) -> Result<Response<proto::ProvinceReport>, Status> {
        let caller = caller_of(&request)?;
        let report = self.get(request.into_inner(), &caller).await?;
        Ok(Response::new(report_to_proto(&report)))
    }

    #[instrument(skip_all, fields(province = %request.get_ref().province_code, plan = %request.get_ref().plan_code, period = %request.get_ref().period_code))]
    async fn list_province_reports(
        &self,
        request: Request<ListProvinceReportsRequest>,
    ) -> Result<Response<proto::ListProvinceReportsResponse>, Status> {
        let caller = caller_of(&request)?;
        Ok(Response::new(
            self.list(request.into_inner(), &caller).await?,
        ))
    }

    #[instrument(skip_all, fields(plan = %request.get_ref().plan_code, period = %request.get_ref().period_code))]
    async fn get_province_reporting_status(
        &self,
        request: Request<GetProvinceReportingStatusRequest>,
    ) -> Result<Response<proto::ProvinceReportingStatus>, Status> {
        let caller = caller_of(&request)?;
        Ok(Response::new(
            self.reporting_status(request.into_inner(), &caller).await?,
        ))
    }
}
