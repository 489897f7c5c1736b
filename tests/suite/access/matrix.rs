//! The table of who may call what: every RPC, called by each kind of caller, answers as the
//! table says.

use chrono::Utc;
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
use pressdx::store::new_token;
use tonic::metadata::MetadataValue;
use tonic::service::Interceptor;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;
use tonic::{Code, Request, Status};
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_client::HealthClient;
use tonic_reflection::pb::v1::ServerReflectionRequest;
use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;

use super::subjects::{AGENCY, PERIOD, PLAN, SCOPE, TARGET};
use crate::common::TestApp;
use crate::suite::fixtures::{OLD_AGENCY, complete_report, new_id, request};

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_rpc_answers_each_kind_of_caller_as_the_table_says() {
    let backend = crate::BACKEND;
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
