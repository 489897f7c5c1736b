//! Who may call what: the table of every RPC against every kind of caller, revocation seen by every
//! server at once, TLS and mutual TLS, the request limits, and the audit chain catching a row edited
//! behind pressdx's back.

use std::process::Command;
use std::time::Duration;

use crate::common::TEST_CATALOG;
use chrono::Utc;
use pressdx::catalog_file;
use pressdx::domain::access::Role;
use pressdx::proto::agency_plan_service_client::AgencyPlanServiceClient;
use pressdx::proto::catalog_service_client::CatalogServiceClient;
use pressdx::proto::maturity_service_client::MaturityServiceClient;
use pressdx::proto::province_report_service_client::ProvinceReportServiceClient;
use pressdx::proto::review_service_client::ReviewServiceClient;
use pressdx::proto::submission_service_client::SubmissionServiceClient;
use pressdx::proto::summary_service_client::SummaryServiceClient;
use pressdx::proto::task_service_client::TaskServiceClient;
use pressdx::proto::{
    AppraiseSelfAssessmentRequest, CompareMaturityResultsRequest, CreateProvinceReportRequest,
    DecideAgencyPlanRequest, GetAgencyPlanProgressRequest, GetAgencyPlanRequest,
    GetMaturityFrameworkRequest, GetMaturityResultsRequest, GetOrganizationRequest,
    GetProvinceReportRequest, GetProvinceReportingStatusRequest, GetReportingStatusRequest,
    GetSelfAssessmentRequest, GetSubmissionRequest, GetTargetSummaryRequest,
    ListAgencyPlansRequest, ListChangesRequest, ListIndicatorsRequest,
    ListMaturityFrameworksRequest, ListOrganizationsRequest, ListPeriodsRequest, ListPlansRequest,
    ListProvinceReportsRequest, ListSubmissionsRequest, ListTargetAgenciesRequest,
    ListTargetSummariesRequest, ReopenPeriodRequest, ReviewDecision, ReviewSubmissionRequest,
    SubmitAgencyPlanRequest, SubmitProvinceReportRequest, SubmitSelfAssessmentRequest,
    UpdateProvinceReportNarrativeRequest, WatchSummariesRequest, import_reports_response,
};
use pressdx::proto::{
    GetPlanTaskRequest, GetTaskFollowUpRequest, GetTaskProgressRequest, ListPlanTasksRequest,
    ReportTaskProgressRequest, TaskStatus,
};
use pressdx::store::{CatalogSource, CredentialKind, NewCredential, new_token, secret_sha256};
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;
use sea_orm::{ConnectionTrait, Database, Statement};
use tonic::metadata::MetadataValue;
use tonic::service::Interceptor;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Identity};
use tonic::{Code, Request, Status};
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_client::HealthClient;
use tonic_reflection::pb::v1::ServerReflectionRequest;
use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
use tonic_types::StatusExt;

use super::fixtures::{OLD_AGENCY, complete_report, error_reason, new_id, request};
use crate::common::{Backend, TestApp};

const PLAN: &str = "national-348-qd-ttg";
const TARGET: &str = "content_on_digital_platforms";
const PERIOD: &str = "2024";
/// The agency whose report the table's calls submit and read. It absorbed no other agency, so its
/// scope holds itself alone.
const AGENCY: &str = "bao-ha-nam";
/// The scope of the summary calls in the table.
const SCOPE: &str = "agency:bao-ha-nam";

/// Sends an `authorization` header exactly as given, well-formed or not.
#[derive(Clone)]
struct RawAuthorization(Option<String>);

impl Interceptor for RawAuthorization {
    fn call(&mut self, mut request: Request<()>) -> Result<Request<()>, Status> {
        if let Some(value) = &self.0 {
            let value = MetadataValue::try_from(value.as_str()).expect("an ASCII header");
            request.metadata_mut().insert("authorization", value);
        }
        Ok(request)
    }
}

type Caller = InterceptedService<Channel, RawAuthorization>;

/// One column of the table: a kind of caller and the credential it presents.
struct Column {
    name: &'static str,
    authorization: Option<String>,
}

/// Creates every kind of caller the table has columns for.
async fn columns(app: &TestApp) -> Vec<Column> {
    let bearer = |token: String| Some(format!("Bearer {token}"));
    let expired = {
        let expires_at = Some(Utc::now() - chrono::Duration::seconds(1));
        let (token, _) = app
            .store()
            .create_token(
                Role::Agency,
                Some(AGENCY.into()),
                "expired",
                expires_at,
                "test",
            )
            .await
            .unwrap();
        token
    };
    let revoked = {
        let token = app.token(Role::Agency, Some(AGENCY)).await;
        let id = app
            .store()
            .list_credentials()
            .await
            .unwrap()
            .last()
            .unwrap()
            .id;
        app.store().revoke_credential(id, "test").await.unwrap();
        token
    };
    let token = |role, organization| app.token(role, organization);
    vec![
        Column {
            name: "none",
            authorization: None,
        },
        Column {
            name: "malformed",
            authorization: Some("Token abc".into()),
        },
        Column {
            name: "unknown",
            authorization: bearer(new_token().unwrap()),
        },
        Column {
            name: "expired",
            authorization: bearer(expired),
        },
        Column {
            name: "revoked",
            authorization: bearer(revoked),
        },
        Column {
            name: "agency",
            authorization: bearer(token(Role::Agency, Some(AGENCY)).await),
        },
        Column {
            name: "other agency",
            authorization: bearer(token(Role::Agency, Some(OLD_AGENCY)).await),
        },
        Column {
            name: "province",
            authorization: bearer(token(Role::Province, Some("ha-nam")).await),
        },
        Column {
            name: "other province",
            authorization: bearer(token(Role::Province, Some("nam-dinh")).await),
        },
        Column {
            name: "governing body",
            authorization: bearer(token(Role::GoverningBody, Some("tinh-uy-ha-nam")).await),
        },
        Column {
            name: "other body",
            authorization: bearer(token(Role::GoverningBody, Some("tinh-uy-nam-dinh")).await),
        },
        Column {
            name: "ministry",
            authorization: bearer(token(Role::Ministry, None).await),
        },
        Column {
            name: "admin",
            authorization: bearer(token(Role::Admin, None).await),
        },
    ]
}

/// The code an RPC answered with. A stream's first message (or, in an import, its first result)
/// counts, so that a refusal inside the stream is seen too.
async fn call(rpc: &str, caller: Caller, submission_id: i64) -> Code {
    let mut submissions = SubmissionServiceClient::new(caller.clone());
    let mut summaries = SummaryServiceClient::new(caller.clone());
    let mut catalog = CatalogServiceClient::new(caller.clone());
    let mut tasks = TaskServiceClient::new(caller.clone());
    let code =
        |result: Result<(), Status>| result.map_or_else(|status| status.code(), |()| Code::Ok);
    let summary_request = || ListTargetSummariesRequest {
        plan_code: PLAN.into(),
        period_code: PERIOD.into(),
        scope: SCOPE.into(),
        ..Default::default()
    };
    match rpc {
        "SubmitReport" => code(
            submissions
                .submit_report(request(&new_id(), AGENCY, PERIOD, complete_report()))
                .await
                .map(drop),
        ),
        "ImportReports" => {
            let reports = vec![request(&new_id(), AGENCY, PERIOD, complete_report())];
            match submissions
                .import_reports(tokio_stream::iter(reports))
                .await
            {
                Err(status) => status.code(),
                Ok(response) => {
                    let first = response.into_inner().message().await.unwrap().unwrap();
                    match first.outcome.unwrap() {
                        import_reports_response::Outcome::Receipt(_) => Code::Ok,
                        import_reports_response::Outcome::Error(status) => Code::from(status.code),
                    }
                }
            }
        }
        "GetSubmission" => code(
            submissions
                .get_submission(GetSubmissionRequest { submission_id })
                .await
                .map(drop),
        ),
        "ListSubmissions" => code(
            submissions
                .list_submissions(ListSubmissionsRequest {
                    agency_code: AGENCY.into(),
                    ..Default::default()
                })
                .await
                .map(drop),
        ),
        "GetTargetSummary" => code(
            summaries
                .get_target_summary(GetTargetSummaryRequest {
                    plan_code: PLAN.into(),
                    target_code: TARGET.into(),
                    period_code: PERIOD.into(),
                    scope: SCOPE.into(),
                    ..Default::default()
                })
                .await
                .map(drop),
        ),
        "ListTargetSummaries" => code(
            summaries
                .list_target_summaries(summary_request())
                .await
                .map(drop),
        ),
        "ListTargetSummaries country" => code(
            summaries
                .list_target_summaries(ListTargetSummariesRequest {
                    scope: "country".into(),
                    ..summary_request()
                })
                .await
                .map(drop),
        ),
        "ListTargetAgencies" => code(
            summaries
                .list_target_agencies(ListTargetAgenciesRequest {
                    plan_code: PLAN.into(),
                    target_code: TARGET.into(),
                    period_code: PERIOD.into(),
                    scope: SCOPE.into(),
                    ..Default::default()
                })
                .await
                .map(drop),
        ),
        "GetReportingStatus" => code(
            summaries
                .get_reporting_status(GetReportingStatusRequest {
                    period_code: PERIOD.into(),
                    scope: SCOPE.into(),
                    ..Default::default()
                })
                .await
                .map(drop),
        ),
        "WatchSummaries" => {
            let watched = summaries
                .watch_summaries(WatchSummariesRequest {
                    plan_code: PLAN.into(),
                    period_code: PERIOD.into(),
                    scope: SCOPE.into(),
                    ..Default::default()
                })
                .await;
            match watched {
                Err(status) => status.code(),
                Ok(response) => code(response.into_inner().message().await.map(drop)),
            }
        }
        "ReopenPeriod" => code(
            ReviewServiceClient::new(caller)
                .reopen_period(ReopenPeriodRequest {
                    agency_code: AGENCY.into(),
                    period_code: PERIOD.into(),
                    until: Some(prost_types::Timestamp {
                        seconds: 4_102_444_800,
                        nanos: 0,
                    }),
                    reason: "a test".into(),
                })
                .await
                .map(drop),
        ),
        "ReviewSubmission" => code(
            ReviewServiceClient::new(caller)
                .review_submission(ReviewSubmissionRequest {
                    submission_id,
                    decision: ReviewDecision::Accept.into(),
                    reasons: vec![],
                })
                .await
                .map(drop),
        ),
        "SubmitSelfAssessment" => code(
            MaturityServiceClient::new(caller)
                .submit_self_assessment(SubmitSelfAssessmentRequest {
                    request_id: new_id(),
                    agency_code: AGENCY.into(),
                    period_code: PERIOD.into(),
                    framework_code: "V2024".into(),
                    ..Default::default()
                })
                .await
                .map(drop),
        ),
        "GetSelfAssessment" => code(
            MaturityServiceClient::new(caller)
                .get_self_assessment(GetSelfAssessmentRequest {
                    agency_code: AGENCY.into(),
                    period_code: PERIOD.into(),
                    revision: 0,
                })
                .await
                .map(drop),
        ),
        // The self-assessment submitted in the row above is the first: id 1. The call appraises
        // a criterion that V2024 does not have, so a caller let through gets INVALID_ARGUMENT.
        "AppraiseSelfAssessment" => code(
            MaturityServiceClient::new(caller)
                .appraise_self_assessment(AppraiseSelfAssessmentRequest {
                    self_assessment_id: 1,
                    criterion_code: "no-such-criterion".into(),
                    points: "1".into(),
                    reason: "a test".into(),
                })
                .await
                .map(drop),
        ),
        // The table's agency ended with the 2025 merger: on the day the tests run it no longer
        // exists, so a caller let through to write its plan is told so (INVALID_ARGUMENT), and
        // one let through to read it finds none, or does not reach it on the day.
        "SubmitAgencyPlan" => code(
            AgencyPlanServiceClient::new(caller)
                .submit_agency_plan(SubmitAgencyPlanRequest {
                    request_id: new_id(),
                    agency_code: AGENCY.into(),
                    plan_code: PLAN.into(),
                    ..Default::default()
                })
                .await
                .map(drop),
        ),
        // No decision given: a governing body let through is told so.
        "DecideAgencyPlan" => code(
            AgencyPlanServiceClient::new(caller)
                .decide_agency_plan(DecideAgencyPlanRequest {
                    agency_plan_id: 1,
                    ..Default::default()
                })
                .await
                .map(drop),
        ),
        "GetAgencyPlan" => code(
            AgencyPlanServiceClient::new(caller)
                .get_agency_plan(GetAgencyPlanRequest {
                    agency_code: AGENCY.into(),
                    plan_code: PLAN.into(),
                    revision: 0,
                })
                .await
                .map(drop),
        ),
        // The governing body's agencies on the table's period's reference date: the agency alone.
        "ListAgencyPlans" => code(
            AgencyPlanServiceClient::new(caller)
                .list_agency_plans(ListAgencyPlansRequest {
                    plan_code: PLAN.into(),
                    governing_body_code: "tinh-uy-ha-nam".into(),
                    as_of: "2024-12-14".into(),
                })
                .await
                .map(drop),
        ),
        "GetAgencyPlanProgress" => code(
            AgencyPlanServiceClient::new(caller)
                .get_agency_plan_progress(GetAgencyPlanProgressRequest {
                    agency_code: AGENCY.into(),
                    plan_code: PLAN.into(),
                    period_code: PERIOD.into(),
                    revision: 0,
                })
                .await
                .map(drop),
        ),
        "GetMaturityResults" => code(
            MaturityServiceClient::new(caller)
                .get_maturity_results(GetMaturityResultsRequest {
                    period_code: PERIOD.into(),
                    scope: SCOPE.into(),
                    ..Default::default()
                })
                .await
                .map(drop),
        ),
        "GetMaturityResults country" => code(
            MaturityServiceClient::new(caller)
                .get_maturity_results(GetMaturityResultsRequest {
                    period_code: PERIOD.into(),
                    scope: "country".into(),
                    ..Default::default()
                })
                .await
                .map(drop),
        ),
        "CompareMaturityResults" => code(
            MaturityServiceClient::new(caller)
                .compare_maturity_results(CompareMaturityResultsRequest {
                    period_code: PERIOD.into(),
                    baseline_period_code: "2023".into(),
                    scope: SCOPE.into(),
                    ..Default::default()
                })
                .await
                .map(drop),
        ),
        "CreateProvinceReport" => code(
            ProvinceReportServiceClient::new(caller)
                .create_province_report(CreateProvinceReportRequest {
                    province_code: "ha-nam".into(),
                    plan_code: PLAN.into(),
                    period_code: PERIOD.into(),
                    ..Default::default()
                })
                .await
                .map(drop),
        ),
        // The draft the province created in the row above has id 1.
        "UpdateProvinceReportNarrative" => code(
            ProvinceReportServiceClient::new(caller)
                .update_province_report_narrative(UpdateProvinceReportNarrativeRequest {
                    id: 1,
                    results: Some("a test".into()),
                    ..Default::default()
                })
                .await
                .map(drop),
        ),
        "SubmitProvinceReport" => code(
            ProvinceReportServiceClient::new(caller)
                .submit_province_report(SubmitProvinceReportRequest {
                    id: 1,
                    content_hash: "sha256:not-what-was-read".into(),
                })
                .await
                .map(drop),
        ),
        "GetProvinceReport" => code(
            ProvinceReportServiceClient::new(caller)
                .get_province_report(GetProvinceReportRequest {
                    id: 1,
                    ..Default::default()
                })
                .await
                .map(drop),
        ),
        "ListProvinceReports" => code(
            ProvinceReportServiceClient::new(caller)
                .list_province_reports(ListProvinceReportsRequest::default())
                .await
                .map(drop),
        ),
        "GetProvinceReportingStatus" => code(
            ProvinceReportServiceClient::new(caller)
                .get_province_reporting_status(GetProvinceReportingStatusRequest {
                    plan_code: PLAN.into(),
                    period_code: PERIOD.into(),
                })
                .await
                .map(drop),
        ),
        "ListChanges" => code(
            summaries
                .list_changes(ListChangesRequest::default())
                .await
                .map(drop),
        ),
        "ListOrganizations" => code(
            catalog
                .list_organizations(ListOrganizationsRequest::default())
                .await
                .map(drop),
        ),
        "GetOrganization" => code(
            catalog
                .get_organization(GetOrganizationRequest {
                    code: AGENCY.into(),
                    ..Default::default()
                })
                .await
                .map(drop),
        ),
        "ListIndicators" => code(
            catalog
                .list_indicators(ListIndicatorsRequest::default())
                .await
                .map(drop),
        ),
        "ListPlans" => code(
            catalog
                .list_plans(ListPlansRequest::default())
                .await
                .map(drop),
        ),
        "ListPeriods" => code(
            catalog
                .list_periods(ListPeriodsRequest::default())
                .await
                .map(drop),
        ),
        "ListPlanTasks" => code(
            tasks
                .list_plan_tasks(ListPlanTasksRequest {
                    plan_code: PLAN.into(),
                    ..Default::default()
                })
                .await
                .map(drop),
        ),
        "GetPlanTask" => code(
            tasks
                .get_plan_task(GetPlanTaskRequest {
                    plan_code: PLAN.into(),
                    code: "N.2".into(),
                })
                .await
                .map(drop),
        ),
        "ReportTaskProgress" | "ReportTaskProgress department" => code(
            tasks
                .report_task_progress(ReportTaskProgressRequest {
                    request_id: new_id(),
                    plan_code: PLAN.into(),
                    task_code: if rpc == "ReportTaskProgress" {
                        "N.2"
                    } else {
                        "N.6"
                    }
                    .into(),
                    period_code: PERIOD.into(),
                    status: TaskStatus::NotStarted as i32,
                    ..Default::default()
                })
                .await
                .map(drop),
        ),
        "GetTaskProgress" => code(
            tasks
                .get_task_progress(GetTaskProgressRequest {
                    plan_code: PLAN.into(),
                    task_code: "N.2".into(),
                    period_code: PERIOD.into(),
                    reporter_code: AGENCY.into(),
                    revision: 0,
                })
                .await
                .map(drop),
        ),
        "GetTaskFollowUp" => code(
            tasks
                .get_task_follow_up(GetTaskFollowUpRequest {
                    plan_code: PLAN.into(),
                    period_code: PERIOD.into(),
                    scope: "province:ha-nam".into(),
                    as_of: "2024-12-01".into(),
                })
                .await
                .map(drop),
        ),
        "ListMaturityFrameworks" => code(
            catalog
                .list_maturity_frameworks(ListMaturityFrameworksRequest::default())
                .await
                .map(drop),
        ),
        "GetMaturityFramework" => code(
            catalog
                .get_maturity_framework(GetMaturityFrameworkRequest {
                    code: "V2024".into(),
                })
                .await
                .map(drop),
        ),
        "ServerReflectionInfo" => {
            let asked = ServerReflectionRequest {
                host: String::new(),
                message_request: Some(MessageRequest::ListServices(String::new())),
            };
            match ServerReflectionClient::new(caller)
                .server_reflection_info(tokio_stream::iter([asked]))
                .await
            {
                Err(status) => status.code(),
                Ok(response) => code(response.into_inner().message().await.map(drop)),
            }
        }
        "Health.Check" => code(
            HealthClient::new(caller)
                .check(HealthCheckRequest::default())
                .await
                .map(drop),
        ),
        other => panic!("no call for {other}"),
    }
}

/// The table: for each RPC, the code each column of callers gets. U = UNAUTHENTICATED,
/// D = PERMISSION_DENIED, ok = OK. The calls are about Báo Hà Nam's 2024 report: the agency
/// itself, its province (Hà Nam) and its governing body (the Hà Nam Party Committee) reach it;
/// their neighbours in Nam Định do not; the Ministry reaches everything; an admin no report. A
/// province enters its agencies' reports; the Ministry imports anyone's, and submits none live.
/// I = INVALID_ARGUMENT and P = FAILED_PRECONDITION: let through, then refused for what it asks
/// (2024 never closes; the submission reviewed was superseded by the submits above it; the
/// province report is signed with a hash that is not its draft's). Hà Nam's report on the
/// national plan is a draft: its province reads and writes it, the Ministry does not see it.
#[rustfmt::skip]
const MATRIX: &[(&str, [&str; 13])] = &[
    //                                none malformed unknown expired revoked agency other-ag province other-pr body other-body ministry admin
    ("SubmitReport",                ["U", "U", "U", "U", "U", "ok", "D",  "ok", "D", "D",  "D", "D",  "D"]),
    ("ImportReports",               ["U", "U", "U", "U", "U", "ok", "D",  "ok", "D", "D",  "D", "ok", "D"]),
    ("GetSubmission",               ["U", "U", "U", "U", "U", "ok", "D",  "ok", "D", "ok", "D", "ok", "D"]),
    ("ListSubmissions",             ["U", "U", "U", "U", "U", "ok", "D",  "ok", "D", "ok", "D", "ok", "D"]),
    ("GetTargetSummary",            ["U", "U", "U", "U", "U", "ok", "D",  "ok", "D", "ok", "D", "ok", "D"]),
    ("ListTargetSummaries",         ["U", "U", "U", "U", "U", "ok", "D",  "ok", "D", "ok", "D", "ok", "D"]),
    ("ListTargetSummaries country", ["U", "U", "U", "U", "U", "D",  "D",  "D",  "D", "D",  "D", "ok", "D"]),
    ("ListTargetAgencies",          ["U", "U", "U", "U", "U", "ok", "D",  "ok", "D", "ok", "D", "ok", "D"]),
    ("GetReportingStatus",          ["U", "U", "U", "U", "U", "ok", "D",  "ok", "D", "ok", "D", "ok", "D"]),
    ("WatchSummaries",              ["U", "U", "U", "U", "U", "ok", "D",  "ok", "D", "ok", "D", "ok", "D"]),
    ("ListChanges",                 ["U", "U", "U", "U", "U", "D",  "D",  "D",  "D", "D",  "D", "ok", "D"]),
    ("ReopenPeriod",                ["U", "U", "U", "U", "U", "D",  "D",  "I",  "D", "D",  "D", "D",  "D"]),
    ("ReviewSubmission",            ["U", "U", "U", "U", "U", "D",  "D",  "P",  "D", "D",  "D", "D",  "D"]),
    ("SubmitSelfAssessment",        ["U", "U", "U", "U", "U", "ok", "D",  "ok", "D", "D",  "D", "D",  "D"]),
    ("GetSelfAssessment",           ["U", "U", "U", "U", "U", "ok", "D",  "ok", "D", "ok", "D", "ok", "D"]),
    ("AppraiseSelfAssessment",      ["U", "U", "U", "U", "U", "D",  "D",  "I",  "D", "D",  "D", "I",  "D"]),
    ("GetMaturityResults",          ["U", "U", "U", "U", "U", "ok", "D",  "ok", "D", "ok", "D", "ok", "D"]),
    ("GetMaturityResults country",  ["U", "U", "U", "U", "U", "D",  "D",  "D",  "D", "D",  "D", "ok", "D"]),
    ("CompareMaturityResults",      ["U", "U", "U", "U", "U", "ok", "D",  "ok", "D", "ok", "D", "ok", "D"]),
    ("SubmitAgencyPlan",            ["U", "U", "U", "U", "U", "I",  "I",  "I",  "I", "D",  "D", "D",  "D"]),
    ("DecideAgencyPlan",            ["U", "U", "U", "U", "U", "D",  "D",  "D",  "D", "I",  "I", "D",  "D"]),
    ("GetAgencyPlan",               ["U", "U", "U", "U", "U", "D",  "D",  "D",  "D", "D",  "D", "N",  "D"]),
    ("ListAgencyPlans",             ["U", "U", "U", "U", "U", "D",  "D",  "ok", "D", "ok", "D", "ok", "D"]),
    ("GetAgencyPlanProgress",       ["U", "U", "U", "U", "U", "N",  "D",  "N",  "D", "N",  "D", "N",  "D"]),
    ("CreateProvinceReport",        ["U", "U", "U", "U", "U", "D",  "D",  "ok", "D", "D",  "D", "D",  "D"]),
    ("UpdateProvinceReportNarrative", ["U", "U", "U", "U", "U", "D", "D",  "ok", "D", "D",  "D", "D",  "D"]),
    ("SubmitProvinceReport",        ["U", "U", "U", "U", "U", "D",  "D",  "P",  "D", "D",  "D", "D",  "D"]),
    ("GetProvinceReport",           ["U", "U", "U", "U", "U", "D",  "D",  "ok", "D", "D",  "D", "D",  "D"]),
    ("ListProvinceReports",         ["U", "U", "U", "U", "U", "D",  "D",  "ok", "ok", "D", "D", "ok", "D"]),
    ("GetProvinceReportingStatus",  ["U", "U", "U", "U", "U", "D",  "D",  "D",  "D", "D",  "D", "ok", "D"]),
    ("ListPlanTasks",               ["U", "U", "U", "U", "U", "ok", "ok", "ok", "ok", "ok", "ok", "ok", "ok"]),
    ("GetPlanTask",                 ["U", "U", "U", "U", "U", "ok", "ok", "ok", "ok", "ok", "ok", "ok", "ok"]),
    // Each agency reports its own line of an every-agency task; each province its department's.
    ("ReportTaskProgress",          ["U", "U", "U", "U", "U", "ok", "ok", "D",  "D", "D",  "D", "D",  "D"]),
    ("ReportTaskProgress department", ["U", "U", "U", "U", "U", "D", "D",  "ok", "ok", "D", "D", "D",  "D"]),
    // The agency's line, reported in the row above.
    ("GetTaskProgress",             ["U", "U", "U", "U", "U", "ok", "D",  "ok", "D", "D",  "D", "ok", "D"]),
    ("GetTaskFollowUp",             ["U", "U", "U", "U", "U", "D",  "D",  "ok", "D", "D",  "D", "ok", "D"]),
    ("ListOrganizations",           ["U", "U", "U", "U", "U", "ok", "ok", "ok", "ok", "ok", "ok", "ok", "ok"]),
    ("GetOrganization",             ["U", "U", "U", "U", "U", "ok", "ok", "ok", "ok", "ok", "ok", "ok", "ok"]),
    ("ListIndicators",              ["U", "U", "U", "U", "U", "ok", "ok", "ok", "ok", "ok", "ok", "ok", "ok"]),
    ("ListPlans",                   ["U", "U", "U", "U", "U", "ok", "ok", "ok", "ok", "ok", "ok", "ok", "ok"]),
    ("ListPeriods",                 ["U", "U", "U", "U", "U", "ok", "ok", "ok", "ok", "ok", "ok", "ok", "ok"]),
    ("ListMaturityFrameworks",      ["U", "U", "U", "U", "U", "ok", "ok", "ok", "ok", "ok", "ok", "ok", "ok"]),
    ("GetMaturityFramework",        ["U", "U", "U", "U", "U", "ok", "ok", "ok", "ok", "ok", "ok", "ok", "ok"]),
    ("ServerReflectionInfo",        ["U", "U", "U", "U", "U", "ok", "ok", "ok", "ok", "ok", "ok", "ok", "ok"]),
    ("Health.Check",                ["ok", "ok", "ok", "ok", "ok", "ok", "ok", "ok", "ok", "ok", "ok", "ok", "ok"]),
];

fn expected_code(cell: &str) -> Code {
    match cell {
        "ok" => Code::Ok,
        "U" => Code::Unauthenticated,
        "I" => Code::InvalidArgument,
        "P" => Code::FailedPrecondition,
        "D" => Code::PermissionDenied,
        "N" => Code::NotFound,
        other => panic!("unknown cell {other:?}"),
    }
}

pub async fn every_rpc_answers_each_kind_of_caller_as_the_table_says(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let submission_id = app
        .submit(request(&new_id(), AGENCY, PERIOD, complete_report()))
        .await
        .unwrap()
        .into_inner()
        .submission_id;
    let columns = columns(&app).await;
    let mut mismatches = Vec::new();
    for (rpc, cells) in MATRIX {
        for (column, cell) in columns.iter().zip(cells) {
            let caller = InterceptedService::new(
                app.channel.clone(),
                RawAuthorization(column.authorization.clone()),
            );
            let got = call(rpc, caller, submission_id).await;
            if got != expected_code(cell) {
                mismatches.push(format!(
                    "{rpc} as {}: expected {cell}, got {got:?}",
                    column.name
                ));
            }
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

pub async fn refusals_say_why_and_never_confuse_unauthenticated_with_denied(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let summary = |token: Option<String>, scope: &str| {
        let mut client = SummaryServiceClient::new(app.connection(token.as_deref()));
        let scope = scope.to_string();
        async move {
            client
                .list_target_summaries(ListTargetSummariesRequest {
                    plan_code: PLAN.into(),
                    period_code: PERIOD.into(),
                    scope,
                    ..Default::default()
                })
                .await
                .unwrap_err()
        }
    };
    let missing = summary(None, "country").await;
    assert_eq!(missing.code(), Code::Unauthenticated);
    assert_eq!(error_reason(&missing), "CREDENTIAL_MISSING");
    let unknown = summary(Some(new_token().unwrap()), "country").await;
    assert_eq!(unknown.code(), Code::Unauthenticated);
    assert_eq!(error_reason(&unknown), "CREDENTIAL_UNKNOWN");

    let admin = app.token(Role::Admin, None).await;
    let wrong_role = summary(Some(admin), "country").await;
    assert_eq!(wrong_role.code(), Code::PermissionDenied);
    assert_eq!(error_reason(&wrong_role), "ROLE_NOT_ALLOWED");
    let province = app.token(Role::Province, Some("nam-dinh")).await;
    let out_of_scope = summary(Some(province), "province:ha-nam").await;
    assert_eq!(out_of_scope.code(), Code::PermissionDenied);
    assert_eq!(error_reason(&out_of_scope), "OUT_OF_SCOPE");
    // Nam Định province has no agency left in 2025, but its 2025 summary carries 2024's share as
    // the trend: a figure is refused to whoever does not reach every report behind it.
    let neighbour = app.token(Role::Province, Some("ha-nam")).await;
    let status = SummaryServiceClient::new(app.connection(Some(&neighbour)))
        .list_target_summaries(ListTargetSummariesRequest {
            plan_code: PLAN.into(),
            period_code: "2025".into(),
            scope: "province:nam-dinh".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied);
    assert_eq!(error_reason(&status), "OUT_OF_SCOPE");
    // The merged province reads its own 2025 figures, trend over its predecessors included.
    let merged = app.token(Role::Province, Some("ninh-binh-2025")).await;
    SummaryServiceClient::new(app.connection(Some(&merged)))
        .list_target_summaries(ListTargetSummariesRequest {
            plan_code: PLAN.into(),
            period_code: "2025".into(),
            scope: "province:ninh-binh-2025".into(),
            ..Default::default()
        })
        .await
        .unwrap();

    // Request ids are unique across agencies, but whose submission holds one is not told.
    let mut nam_dinh = app.agency(OLD_AGENCY).await;
    let held = nam_dinh
        .submit_report(request("shared-id", OLD_AGENCY, PERIOD, complete_report()))
        .await
        .unwrap()
        .into_inner();
    let status = app
        .agency(AGENCY)
        .await
        .submit_report(request("shared-id", AGENCY, PERIOD, complete_report()))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::AlreadyExists);
    let info = status.get_error_details().error_info().cloned().unwrap();
    assert_eq!(info.reason, "REQUEST_ID_REUSED");
    assert!(!info.metadata.contains_key("submission_id"), "{info:?}");
    assert!(!status.message().contains(&held.submission_id.to_string()));

    // An agency cannot submit for another one, and nothing is stored.
    let status = app
        .agency("bao-ha-nam")
        .await
        .submit_report(request(&new_id(), OLD_AGENCY, PERIOD, complete_report()))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied);
    assert_eq!(error_reason(&status), "OUT_OF_SCOPE");
    let listed = app
        .submissions
        .clone()
        .list_submissions(ListSubmissionsRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        listed.submissions.len(),
        1,
        "only the first shared-id report"
    );
}

pub async fn a_province_lists_only_its_own_agencies_reports(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for agency in [OLD_AGENCY, "ptth-nam-dinh", "bao-ha-nam"] {
        app.submit(request(&new_id(), agency, "2023", complete_report()))
            .await
            .unwrap();
    }
    let province = app.token(Role::Province, Some("nam-dinh")).await;
    let listed = SubmissionServiceClient::new(app.connection(Some(&province)))
        .list_submissions(ListSubmissionsRequest::default())
        .await
        .unwrap()
        .into_inner();
    let mut agencies: Vec<_> = listed
        .submissions
        .iter()
        .map(|submission| submission.agency_code.as_str())
        .collect();
    agencies.sort_unstable();
    assert_eq!(agencies, ["bao-nam-dinh", "ptth-nam-dinh"]);
}

/// A revocation made by another process (here, the test's own connection, as `pressdx token
/// revoke` would) reaches every server as it hears of the commit: a notification on PostgreSQL,
/// its next look on SQLite (every 20 ms). The test allows a generous second for that.
pub async fn a_revoked_token_is_refused_by_every_server_as_soon_as_it_hears_of_it(
    backend: Backend,
) {
    let first = TestApp::spawn(backend).await;
    let second = TestApp::spawn_sharing(&first).await;
    let token = first.token(Role::Ministry, None).await;
    let list_plans = |app: &TestApp| {
        let mut client = CatalogServiceClient::new(app.connection(Some(&token)));
        async move { client.list_plans(ListPlansRequest::default()).await }
    };
    list_plans(&first).await.unwrap();
    list_plans(&second).await.unwrap();
    // A watch opened before the revocation...
    let mut watch = SummaryServiceClient::new(first.connection(Some(&token)))
        .watch_summaries(WatchSummariesRequest {
            plan_code: PLAN.into(),
            period_code: PERIOD.into(),
            scope: "country".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    watch.message().await.unwrap().expect("the first figures");

    let id = first
        .store()
        .list_credentials()
        .await
        .unwrap()
        .last()
        .unwrap()
        .id;
    first.store().revoke_credential(id, "test").await.unwrap();
    for app in [&first, &second] {
        let heard_by = tokio::time::Instant::now() + Duration::from_secs(1);
        let status = loop {
            match list_plans(app).await {
                Err(status) => break status,
                Ok(_) if tokio::time::Instant::now() < heard_by => {
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
                Ok(_) => panic!("the revoked token is still accepted a second later"),
            }
        };
        assert_eq!(status.code(), Code::Unauthenticated);
        assert_eq!(error_reason(&status), "CREDENTIAL_REVOKED");
    }
    // ...ends at its next update instead of sending it.
    first
        .submit(request(&new_id(), OLD_AGENCY, PERIOD, complete_report()))
        .await
        .unwrap();
    let status = watch.message().await.unwrap_err();
    assert_eq!(status.code(), Code::Unauthenticated);
    second.stop().await;
}

/// `pressdx audit verify` on the app's database: its exit status and what it printed.
fn audit_verify(app: &TestApp) -> (bool, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_pressdx"))
        .args(["audit", "verify", "--database-url", &app.database_url])
        .output()
        .expect("pressdx runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

pub async fn the_audit_chain_records_every_write_and_catches_tampering(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    // Written so far: the counters as the new database found them, the default catalogue, the
    // harness's Ministry token.
    for period in ["2023", "2024"] {
        app.submit(request(&new_id(), OLD_AGENCY, period, complete_report()))
            .await
            .unwrap();
    }
    // The agency's token was created by the first submit: entry 4, then submissions 5 and 6.
    let verification = app.store().verify_audit().await.unwrap();
    assert_eq!(verification.problems, vec![]);
    assert_eq!((verification.entries, verification.submissions), (6, 2));
    let (ok, text) = audit_verify(&app);
    assert!(ok, "{text}");
    assert!(text.contains("6 entries, 2 submissions"), "{text}");
    assert!(text.contains("head: entry 6 sha256:"), "{text}");

    let database = Database::connect(&app.database_url).await.unwrap();
    let run = |sql: &'static str| {
        let database = database.clone();
        async move { database.execute_unprepared(sql).await.unwrap() }
    };

    // Someone rewrites who submitted the 2023 report: entry 5 no longer hashes right.
    run("UPDATE audit_entry SET principal = 'ministry (credential 1)' WHERE seq = 5").await;
    let (ok, text) = audit_verify(&app);
    assert!(!ok, "{text}");
    assert!(text.contains("BROKEN at entry 5"), "{text}");
    assert!(text.contains("altered"), "{text}");
    run("UPDATE audit_entry SET principal = 'agency bao-nam-dinh (credential 2)' WHERE seq = 5")
        .await;
    assert_eq!(app.store().verify_audit().await.unwrap().problems, vec![]);

    // Someone edits the stored 2024 report itself: the entry that recorded it (6) is named.
    run(
        "UPDATE submission SET report = replace(report, '25000000000', '95000000000') \
         WHERE period_code = '2024'",
    )
    .await;
    let (ok, text) = audit_verify(&app);
    assert!(!ok, "{text}");
    assert!(text.contains("BROKEN at entry 6"), "{text}");
    assert!(
        text.contains("no longer holds what this entry recorded"),
        "{text}"
    );
    run(
        "UPDATE submission SET report = replace(report, '95000000000', '25000000000') \
         WHERE period_code = '2024'",
    )
    .await;
    assert_eq!(app.store().verify_audit().await.unwrap().problems, vec![]);

    // Someone makes a late report look on time: its arrival is part of what was recorded.
    run("UPDATE submission SET late = NOT late WHERE period_code = '2023'").await;
    let (ok, text) = audit_verify(&app);
    assert!(!ok && text.contains("BROKEN at entry 5"), "{text}");
    run("UPDATE submission SET late = NOT late WHERE period_code = '2023'").await;

    // Someone turns an agency's credential into a Ministry one.
    run("UPDATE credential SET role = 'ministry', organization_code = NULL WHERE id = 2").await;
    let (ok, text) = audit_verify(&app);
    assert!(!ok && text.contains("no longer grants"), "{text}");
    assert!(text.contains("BROKEN at entry 4"), "{text}");
    run("UPDATE credential SET role = 'agency', organization_code = 'bao-nam-dinh' WHERE id = 2")
        .await;
    assert_eq!(app.store().verify_audit().await.unwrap().problems, vec![]);

    // Someone deletes a submission: its entry outlives it.
    run("DELETE FROM latest_submission WHERE period_code = '2023'").await;
    run("DELETE FROM submission WHERE period_code = '2023'").await;
    let (ok, text) = audit_verify(&app);
    assert!(!ok, "{text}");
    assert!(text.contains("BROKEN at entry 5"), "{text}");
    assert!(text.contains("no longer stored"), "{text}");

    // Someone deletes the last entry too: the chain is cut short of the head the counters keep,
    // which is found before anything the entries recorded.
    run("DELETE FROM audit_entry WHERE seq = 6").await;
    let (ok, text) = audit_verify(&app);
    assert!(!ok, "{text}");
    assert!(text.contains("should end at entry 6"), "{text}");
    database.close().await.ok();
}

/// Each edit made directly in the database to what a published figure is computed from, or to
/// what lets submissions go on, is caught by `pressdx audit verify`, which names what changed;
/// undone, the database verifies again.
pub async fn audit_verify_catches_every_edit_behind_a_figure(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    // Two revisions of the 2024 report and one of 2023; every default deadline has passed, so the
    // first revisions arrived late.
    let mut ids = Vec::new();
    for period in ["2023", "2024", "2024"] {
        let receipt = app
            .submit(request(&new_id(), OLD_AGENCY, period, complete_report()))
            .await
            .unwrap()
            .into_inner();
        ids.push(receipt.submission_id);
    }
    let first_2024 = ids[1];
    let (ok, text) = audit_verify(&app);
    assert!(ok, "{text}");

    let database = Database::connect(&app.database_url).await.unwrap();
    let run = |sql: String| {
        let database = database.clone();
        async move { database.execute_unprepared(&sql).await.unwrap() }
    };
    // The 2024 deadline as the database spells it, to put it back.
    let deadline_2024: String = database
        .query_one_raw(Statement::from_string(
            database.get_database_backend(),
            "SELECT CAST(deadline AS TEXT) FROM period WHERE code = '2024'",
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get_by_index(0)
        .unwrap();
    let national = "plan_code = 'national-348-qd-ttg'";
    // (what is done, how it is undone, what verify must say)
    let edits: Vec<(String, String, &str)> = vec![
        (
            format!(
                "UPDATE latest_submission SET revision = 1, submission_id = {first_2024} \
                 WHERE agency_code = '{OLD_AGENCY}' AND period_code = '2024'"
            ),
            format!(
                "UPDATE latest_submission SET revision = 2, submission_id = {} \
                 WHERE agency_code = '{OLD_AGENCY}' AND period_code = '2024'",
                ids[2]
            ),
            "the latest revision of bao-nam-dinh 2024 is said to be revision 1",
        ),
        (
            "UPDATE latest_submission SET first_late = NOT first_late WHERE period_code = '2023'"
                .into(),
            "UPDATE latest_submission SET first_late = NOT first_late WHERE period_code = '2023'"
                .into(),
            "bao-nam-dinh 2023: the first revision is said to have arrived",
        ),
        (
            "UPDATE period SET deadline = (SELECT deadline FROM period WHERE code = '2025') \
             WHERE code = '2024'"
                .into(),
            format!("UPDATE period SET deadline = '{deadline_2024}' WHERE code = '2024'"),
            "the catalogue changed since entry 2 recorded it: periods.2024.deadline: recorded \"2024-11-14T17:00:00.000000Z\", found \"2025-11-14T17:00:00.000000Z\"",
        ),
        (
            "UPDATE indicator SET max_value = 7 WHERE code = 'security_level'".into(),
            "UPDATE indicator SET max_value = 5 WHERE code = 'security_level'".into(),
            "indicators.security_level.max: recorded 5, found 7",
        ),
        (
            format!(
                "UPDATE milestone SET required_share_bp = 1000 WHERE {national} \
                 AND target_code = 'content_on_digital_platforms' AND year = 2025"
            ),
            format!(
                "UPDATE milestone SET required_share_bp = 7000 WHERE {national} \
                 AND target_code = 'content_on_digital_platforms' AND year = 2025"
            ),
            "targets.content_on_digital_platforms.milestones.2025.required_share_bp: recorded 7000, found 1000",
        ),
        (
            format!(
                "UPDATE target SET rule = replace(rule, 'all_agencies', \
                 'electronic_press_agencies') WHERE {national} AND code = 'converged_newsroom'"
            ),
            format!(
                "UPDATE target SET rule = replace(rule, 'electronic_press_agencies', \
                 'all_agencies') WHERE {national} AND code = 'converged_newsroom'"
            ),
            "targets.converged_newsroom.rule.population: recorded \"all_agencies\", found \"electronic_press_agencies\"",
        ),
        (
            "UPDATE organization_version SET province_code = 'ha-nam' \
             WHERE organization_code = 'bao-nam-dinh'"
                .into(),
            "UPDATE organization_version SET province_code = 'nam-dinh' \
             WHERE organization_code = 'bao-nam-dinh'"
                .into(),
            "organizations.bao-nam-dinh.versions[0].province: recorded \"nam-dinh\", found \"ha-nam\"",
        ),
        (
            "UPDATE organization_link SET effective_on = '2025-01-01' \
             WHERE successor_code = 'bao-nam-dinh' AND predecessor_code = 'ptth-nam-dinh'"
                .into(),
            "UPDATE organization_link SET effective_on = '2025-04-15' \
             WHERE successor_code = 'bao-nam-dinh' AND predecessor_code = 'ptth-nam-dinh'"
                .into(),
            "organizations.bao-nam-dinh.predecessors[ptth-nam-dinh].effective_on: recorded \"2025-04-15\", found \"2025-01-01\"",
        ),
        (
            "INSERT INTO organization_link (predecessor_code, successor_code, effective_on, kind) \
             VALUES ('ptth-nam-dinh', 'bao-nam-dinh', '2024-06-01', 'merger')"
                .into(),
            "DELETE FROM organization_link WHERE effective_on = '2024-06-01'".into(),
            "organizations.bao-nam-dinh.predecessors: found {\"code\":\"ptth-nam-dinh\",\"effective_on\":\"2024-06-01\",\"kind\":\"merger\"}, never recorded",
        ),
        (
            "UPDATE counters SET feed_position = feed_position - 2 WHERE id = 1".into(),
            "UPDATE counters SET feed_position = feed_position + 2 WHERE id = 1".into(),
            "the counters row says the change feed ends at position 1, but the stored submissions end at position 3",
        ),
    ];
    for (edit, undo, named) in edits {
        run(edit.clone()).await;
        let (ok, text) = audit_verify(&app);
        assert!(!ok, "{edit}\n{text}");
        assert!(text.contains(named), "{edit}\nexpected: {named}\n{text}");
        if edit.starts_with("UPDATE counters") {
            // A submit trips over the lowered feed head: told what is wrong, not to retry.
            let status = app
                .submit(request(&new_id(), OLD_AGENCY, "2024", complete_report()))
                .await
                .unwrap_err();
            assert_eq!(status.code(), Code::Internal, "{status:?}");
            assert_eq!(error_reason(&status), "DATABASE_INCONSISTENT");
            assert!(status.message().contains("inconsistent"), "{status:?}");
        }
        run(undo).await;
        let verification = app.store().verify_audit().await.unwrap();
        assert_eq!(verification.problems, vec![], "after undoing {edit}");
    }

    // An import never records an edit made outside it as its own: refused, unless told to accept
    // it, and then its entry names the edit.
    run("UPDATE indicator SET max_value = 7 WHERE code = 'security_level'".into()).await;
    let moved_2030 = TEST_CATALOG.replace(
        "deadline = \"2030-11-15T00:00:00+07:00\"",
        "deadline = \"2030-11-20T00:00:00+07:00\"",
    );
    let catalog = catalog_file::parse(&moved_2030).unwrap();
    let source = |accept_unrecorded_changes| CatalogSource {
        text: &moved_2030,
        applied_by: "an operator",
        accept_unrecorded_changes,
    };
    let refused = app
        .store()
        .apply_catalog(&catalog, &source(false), false)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        refused.contains("indicators.security_level.max: recorded 5, found 7"),
        "{refused}"
    );
    let (ok, text) = audit_verify(&app);
    assert!(!ok, "the refused import recorded nothing: {text}");
    let import = app
        .store()
        .apply_catalog(&catalog, &source(true), false)
        .await
        .unwrap();
    assert_eq!(import.unrecorded_changes.len(), 1);
    assert_eq!(app.store().verify_audit().await.unwrap().problems, vec![]);
    let subject: String = database
        .query_one_raw(Statement::from_string(
            database.get_database_backend(),
            "SELECT subject FROM audit_entry ORDER BY seq DESC LIMIT 1",
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get_by_index(0)
        .unwrap();
    assert!(
        subject.contains("accepted as found") && subject.contains("security_level.max"),
        "{subject}"
    );
    database.close().await.ok();
}

pub async fn oversized_messages_and_bursts_are_refused_with_resource_exhausted(backend: Backend) {
    let app = TestApp::spawn_with(backend, |config| {
        config.limits.max_message_bytes = 4096;
        config.limits.rate_limit = 5;
    })
    .await;
    let mut agency = app.agency(OLD_AGENCY).await;
    let mut huge = complete_report();
    huge.digital_platforms[0].name = "x".repeat(10_000);
    let status = agency
        .submit_report(request(&new_id(), OLD_AGENCY, PERIOD, huge.clone()))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");
    assert_eq!(error_reason(&status), "MESSAGE_TOO_LARGE");
    assert!(status.message().contains("4096"), "{status:?}");

    // In an import stream, the oversized message ends the stream with the same refusal.
    let outcome = agency
        .import_reports(tokio_stream::iter([request(
            &new_id(),
            OLD_AGENCY,
            PERIOD,
            huge,
        )]))
        .await;
    let status = match outcome {
        Err(status) => status,
        Ok(response) => response.into_inner().message().await.unwrap_err(),
    };
    assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");

    // 5 a second in bursts of 10: a quick run of 30 calls meets the limit, with a retry delay.
    let mut catalog = CatalogServiceClient::new(app.connection(Some(&app.ministry_token)));
    let mut limited = None;
    for _ in 0..30 {
        if let Err(status) = catalog.list_periods(ListPeriodsRequest::default()).await {
            limited = Some(status);
            break;
        }
    }
    let status = limited.expect("the burst meets the rate limit");
    assert_eq!(status.code(), Code::ResourceExhausted);
    assert_eq!(error_reason(&status), "RATE_LIMITED");
    let retry = status.get_error_details().retry_info().cloned();
    assert!(retry.and_then(|retry| retry.retry_delay).is_some());
    // Another credential has its own allowance.
    agency
        .submit_report(request(&new_id(), OLD_AGENCY, PERIOD, complete_report()))
        .await
        .unwrap();
}

pub async fn a_deadline_is_honoured(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut summaries = app.summaries.clone();
    let mut hurried = Request::new(ListTargetSummariesRequest {
        plan_code: PLAN.into(),
        period_code: PERIOD.into(),
        scope: "country".into(),
        ..Default::default()
    });
    hurried.set_timeout(Duration::from_nanos(1));
    let status = summaries.list_target_summaries(hurried).await.unwrap_err();
    // The server drops the work when the caller's deadline passes. tonic's server answers that
    // with CANCELLED; a client that keeps its own timer (as grpc-go and grpc-java do) reports
    // DEADLINE_EXCEEDED. Either way nothing is computed past the deadline.
    assert!(
        matches!(status.code(), Code::DeadlineExceeded | Code::Cancelled),
        "{status:?}"
    );
    // The server is none the worse for it.
    let mut patient = Request::new(ListTargetSummariesRequest {
        plan_code: PLAN.into(),
        period_code: PERIOD.into(),
        scope: "country".into(),
        ..Default::default()
    });
    patient.set_timeout(Duration::from_secs(30));
    summaries.list_target_summaries(patient).await.unwrap();
}

/// A test CA, a server certificate for localhost, and client certificates, as PEM files.
struct TestPki {
    directory: tempfile::TempDir,
    ca: String,
    /// A client certificate signed by the CA, and its key.
    client: (String, String),
    /// Another one, signed by the CA but registered with no credential.
    stranger: (String, String),
}

impl TestPki {
    fn new() -> TestPki {
        use rcgen::{
            BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer,
            KeyPair, KeyUsagePurpose,
        };
        let ca_key = KeyPair::generate().unwrap();
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "pressdx test CA");
        let ca = ca_params.self_signed(&ca_key).unwrap().pem();
        let issuer = Issuer::new(ca_params, ca_key);
        let leaf = |name: &str, usage| {
            let key = KeyPair::generate().unwrap();
            let mut params = CertificateParams::new(vec![name.to_string()]).unwrap();
            params.distinguished_name.push(DnType::CommonName, name);
            params.extended_key_usages = vec![usage];
            let certificate = params.signed_by(&key, &issuer).unwrap();
            (certificate.pem(), key.serialize_pem())
        };
        let server = leaf("localhost", ExtendedKeyUsagePurpose::ServerAuth);
        let client = leaf(
            "newsroom.baonamdinh.vn",
            ExtendedKeyUsagePurpose::ClientAuth,
        );
        let stranger = leaf("someone.example", ExtendedKeyUsagePurpose::ClientAuth);
        let directory = tempfile::tempdir().unwrap();
        for (name, text) in [
            ("ca.pem", &ca),
            ("server.pem", &server.0),
            ("server.key", &server.1),
        ] {
            std::fs::write(directory.path().join(name), text).unwrap();
        }
        TestPki {
            directory,
            ca,
            client,
            stranger,
        }
    }

    fn path(&self, name: &str) -> std::path::PathBuf {
        self.directory.path().join(name)
    }

    /// A TLS connection to `app`, with a client certificate if given.
    async fn connect(
        &self,
        app: &TestApp,
        client: Option<&(String, String)>,
    ) -> Result<Channel, tonic::transport::Error> {
        let mut tls = ClientTlsConfig::new()
            .ca_certificate(Certificate::from_pem(&self.ca))
            .domain_name("localhost");
        if let Some((certificate, key)) = client {
            tls = tls.identity(Identity::from_pem(certificate, key));
        }
        Channel::from_shared(format!("https://{}", app.address))
            .unwrap()
            .tls_config(tls)?
            .connect()
            .await
    }
}

async fn list_plans(channel: &Channel, token: Option<&str>) -> Result<(), Status> {
    CatalogServiceClient::new(crate::common::authorized(channel, token))
        .list_plans(ListPlansRequest::default())
        .await
        .map(drop)
}

pub async fn tls_serves_encrypted_and_plaintext_clients_are_turned_away(backend: Backend) {
    let pki = TestPki::new();
    let app = TestApp::spawn_with(backend, |config| {
        config.tls.tls_cert = Some(pki.path("server.pem"));
        config.tls.tls_key = Some(pki.path("server.key"));
    })
    .await;
    let channel = pki.connect(&app, None).await.unwrap();
    list_plans(&channel, Some(&app.ministry_token))
        .await
        .unwrap();
    // Still no way in without a token.
    let status = list_plans(&channel, None).await.unwrap_err();
    assert_eq!(status.code(), Code::Unauthenticated);
    // A plaintext client gets nowhere (the harness's own channel speaks plaintext).
    assert!(
        list_plans(&app.channel, Some(&app.ministry_token))
            .await
            .is_err()
    );
}

pub async fn mutual_tls_requires_a_client_certificate_that_can_act_as_an_agency(backend: Backend) {
    let pki = TestPki::new();
    let app = TestApp::spawn_with(backend, |config| {
        config.tls.tls_cert = Some(pki.path("server.pem"));
        config.tls.tls_key = Some(pki.path("server.key"));
        config.tls.tls_client_ca = Some(pki.path("ca.pem"));
    })
    .await;
    // No client certificate: the handshake fails, or the first call does.
    let refused = match pki.connect(&app, None).await {
        Err(_) => true,
        Ok(channel) => list_plans(&channel, Some(&app.ministry_token))
            .await
            .is_err(),
    };
    assert!(refused, "mutual TLS lets a client without a certificate in");

    // The newsroom's certificate, registered as Báo Nam Định's credential, acts as that agency.
    let der = CertificateDer::from_pem_slice(pki.client.0.as_bytes()).unwrap();
    app.store()
        .create_credential(
            &NewCredential {
                kind: CredentialKind::Certificate,
                secret_sha256: secret_sha256(der.as_ref()),
                role: Role::Agency,
                organization: Some(OLD_AGENCY.into()),
                label: "newsroom certificate".into(),
                expires_at: None,
            },
            "test",
        )
        .await
        .unwrap();
    let newsroom = pki.connect(&app, Some(&pki.client)).await.unwrap();
    let mut agency = SubmissionServiceClient::new(crate::common::authorized(&newsroom, None));
    agency
        .submit_report(request(&new_id(), OLD_AGENCY, PERIOD, complete_report()))
        .await
        .unwrap();
    let status = agency
        .submit_report(request(&new_id(), "bao-ha-nam", PERIOD, complete_report()))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied);
    // A bearer token, when sent, is who the caller is, whatever the certificate.
    list_plans(&newsroom, Some(&app.ministry_token))
        .await
        .unwrap();

    // A certificate the CA signed but no one registered identifies no one.
    let stranger = pki.connect(&app, Some(&pki.stranger)).await.unwrap();
    let status = list_plans(&stranger, None).await.unwrap_err();
    assert_eq!(status.code(), Code::Unauthenticated);
    assert_eq!(error_reason(&status), "CREDENTIAL_UNKNOWN");
}
