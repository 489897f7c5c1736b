//! What a request may carry (issue 21, items 3 and 12): every field has a stated limit, and dates,
//! numbers, codes and links have one strict format each (submission.proto, "Formats"). Over a
//! limit or off its format is INVALID_ARGUMENT naming the field, on both databases alike, and
//! nothing is stored.

use pressdx::domain::access::Role;
use pressdx::proto::agency_plan_service_client::AgencyPlanServiceClient;
use pressdx::proto::catalog_service_client::CatalogServiceClient;
use pressdx::proto::maturity_service_client::MaturityServiceClient;
use pressdx::proto::review_service_client::ReviewServiceClient;
use pressdx::proto::task_service_client::TaskServiceClient;
use pressdx::proto::{
    AgencyTask, AppraiseSelfAssessmentRequest, Boundaries, Commitment, CriterionAnswer,
    EvidenceReference, GetAgencyPlanRequest, GetMaturityResultsRequest, GetOrganizationRequest,
    GetReportingStatusRequest, GetSelfAssessmentRequest, GetSubmissionRequest,
    GetTargetSummaryRequest, GetTaskFollowUpRequest, GetTaskProgressRequest,
    ListAgencyPlansRequest, ListOrganizationsRequest, ReportTaskProgressRequest, ReviewDecision,
    ReviewReason, ReviewSubmissionRequest, SubmitAgencyPlanRequest, SubmitSelfAssessmentRequest,
    TaskEvidence, TaskStatus, commitment, criterion_answer::Answer,
};
use tonic::{Code, Status};

use super::assessment::FRAMEWORK_2026;
use super::fixtures::violated_fields;
use super::fixtures::{OLD_AGENCY, complete_report, error_reason, new_id, request};
use super::tasks::TASK_PLAN;
use crate::common::{Backend, TEST_CATALOG, TestApp};

/// The agency that assesses itself for 2026 and writes a plan under the Nam Định plan.
const AGENCY: &str = "bao-ptth-ninh-binh-2025";
const AGENCY_PROVINCE: &str = "ninh-binh-2025";
const AGENCY_PLAN: &str = "nam-dinh-cds-bao-chi";
/// The agency that leads task T3 of TASK_PLAN in 2024.
const TASK_LEAD: &str = "bao-ha-nam";
const NATIONAL: &str = "national-348-qd-ttg";

/// The dates item 12 found taken, and their near kin.
const LENIENT_DATES: [&str; 6] = [
    "-2026-01-01",
    "2026-1-1",
    "+10000-01-01",
    " 2026-01-01",
    "2026-01-01\n",
    "2026-01-01T00:00:00",
];

async fn spawn(backend: Backend) -> TestApp {
    let app = TestApp::spawn(backend).await;
    app.apply_catalog(&format!("{TEST_CATALOG}\n{FRAMEWORK_2026}\n{TASK_PLAN}"))
        .await;
    app
}

/// INVALID_ARGUMENT naming exactly `fields`, in that order, whatever else it says.
#[track_caller]
fn assert_refused(status: &Status, fields: &[&str], what: &str) {
    assert_eq!(status.code(), Code::InvalidArgument, "{what}: {status:?}");
    assert_eq!(violated_fields(status), fields, "{what}");
    assert!(status.message().len() < 1_100, "{what}: a long answer");
}

fn self_assessment(request_id: &str) -> SubmitSelfAssessmentRequest {
    let answer = |criterion: &str, answer: Answer| CriterionAnswer {
        criterion_code: criterion.into(),
        answer: Some(answer),
    };
    let evidence = |criterion: &str| EvidenceReference {
        criterion_code: criterion.into(),
        title: format!("Decision on {criterion}"),
        link: "https://example.vn/evidence.pdf".into(),
        document_id: String::new(),
        sha256: "ab".repeat(32),
    };
    SubmitSelfAssessmentRequest {
        request_id: request_id.into(),
        agency_code: AGENCY.into(),
        period_code: "2026".into(),
        framework_code: "T2026".into(),
        answers: vec![
            answer("P1.C1.1", Answer::Yes(true)),
            answer("P2.C1.1", Answer::Number("72.5".into())),
        ],
        evidence: vec![evidence("P1.C1.1"), evidence("P2.C1.1")],
        validate_only: false,
    }
}

fn task_report(request_id: &str) -> ReportTaskProgressRequest {
    ReportTaskProgressRequest {
        request_id: request_id.into(),
        plan_code: "test-tasks".into(),
        task_code: "T3".into(),
        period_code: "2024".into(),
        status: TaskStatus::InProgress as i32,
        percent_complete: Some(40),
        cancellation_reason: String::new(),
        account: "the newsroom's rooms are fitted".into(),
        evidence: vec![TaskEvidence {
            title: "Minutes of the works".into(),
            link: "https://example.vn/minutes.pdf".into(),
            document_id: String::new(),
            sha256: "cd".repeat(32),
        }],
        validate_only: false,
    }
}

fn agency_plan(request_id: &str) -> SubmitAgencyPlanRequest {
    SubmitAgencyPlanRequest {
        request_id: request_id.into(),
        agency_code: AGENCY.into(),
        plan_code: AGENCY_PLAN.into(),
        commitments: vec![Commitment {
            target_code: "converged_newsroom".into(),
            year: 2026,
            value: Some(commitment::Value::Meets(true)),
        }],
        tasks: vec![AgencyTask {
            code: "T1".into(),
            name: "Open the converged newsroom".into(),
            due_on: "2026-06-30".into(),
            expected_output: "a converged newsroom in operation".into(),
        }],
        validate_only: false,
    }
}

/// A 900 KB request id is refused on every submit, never stored (SQLite kept it whole) and never
/// INTERNAL (PostgreSQL's index refused the row); 128 characters are taken, 129 are not.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_id_over_128_characters_is_refused_on_every_submit() {
    let backend = crate::BACKEND;
    let app = spawn(backend).await;
    let huge = "x".repeat(900_000);
    let too_long = "y".repeat(129);
    let longest = "z".repeat(128);

    let agency_token = app.agency_token(AGENCY).await;
    let mut maturity = MaturityServiceClient::new(app.connection(Some(&agency_token)));
    let mut plans = AgencyPlanServiceClient::new(app.connection(Some(&agency_token)));
    let lead_token = app.agency_token(TASK_LEAD).await;
    let mut tasks = TaskServiceClient::new(app.connection(Some(&lead_token)));
    let mut reports = app.agency(OLD_AGENCY).await;

    for request_id in [&huge, &too_long] {
        let what = format!("a request id of {} characters", request_id.len());
        let status = maturity
            .submit_self_assessment(self_assessment(request_id))
            .await
            .unwrap_err();
        assert_refused(
            &status,
            &["request_id"],
            &format!("SubmitSelfAssessment, {what}"),
        );
        let status = tasks
            .report_task_progress(task_report(request_id))
            .await
            .unwrap_err();
        assert_refused(
            &status,
            &["request_id"],
            &format!("ReportTaskProgress, {what}"),
        );
        let status = plans
            .submit_agency_plan(agency_plan(request_id))
            .await
            .unwrap_err();
        assert_refused(
            &status,
            &["request_id"],
            &format!("SubmitAgencyPlan, {what}"),
        );
        let status = reports
            .submit_report(request(request_id, OLD_AGENCY, "2024", complete_report()))
            .await
            .unwrap_err();
        assert_refused(&status, &["request_id"], &format!("SubmitReport, {what}"));
    }

    // Nothing was stored.
    let status = maturity
        .get_self_assessment(GetSelfAssessmentRequest {
            agency_code: AGENCY.into(),
            period_code: "2026".into(),
            revision: 0,
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound, "{status:?}");
    let status = tasks
        .get_task_progress(GetTaskProgressRequest {
            plan_code: "test-tasks".into(),
            task_code: "T3".into(),
            period_code: "2024".into(),
            reporter_code: TASK_LEAD.into(),
            revision: 0,
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound, "{status:?}");
    let status = plans
        .get_agency_plan(GetAgencyPlanRequest {
            agency_code: AGENCY.into(),
            plan_code: AGENCY_PLAN.into(),
            revision: 0,
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound, "{status:?}");

    // The longest request id is kept whole, on both databases.
    let receipt = maturity
        .submit_self_assessment(self_assessment(&longest))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(receipt.revision, 1);
    let receipt = tasks
        .report_task_progress(task_report(&longest))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(receipt.revision, 1);
    let receipt = plans
        .submit_agency_plan(agency_plan(&longest))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(receipt.revision, 1);
}

/// A review gives at most 100 reasons, as a decision on an agency plan does: 20,000 (520 KB,
/// served on every read of the submission) are refused and nothing is stored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_review_gives_at_most_100_reasons() {
    let backend = crate::BACKEND;
    let app = spawn(backend).await;
    let submission_id = app
        .submit(request(&new_id(), OLD_AGENCY, "2024", complete_report()))
        .await
        .unwrap()
        .into_inner()
        .submission_id;
    let province_token = app.token(Role::Province, Some("nam-dinh")).await;
    let mut province = ReviewServiceClient::new(app.connection(Some(&province_token)));
    let review = |reasons: usize| ReviewSubmissionRequest {
        submission_id,
        decision: ReviewDecision::Return.into(),
        reasons: (0..reasons)
            .map(|index| ReviewReason {
                field: "report.revenue_vnd".into(),
                reason: index.to_string(),
            })
            .collect(),
    };
    for count in [20_000, 101] {
        let status = province.review_submission(review(count)).await.unwrap_err();
        assert_refused(&status, &["reasons"], &format!("{count} reasons"));
    }
    let submission = app
        .submissions
        .clone()
        .get_submission(GetSubmissionRequest { submission_id })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(submission.review, None, "a refused review was stored");

    let reviewed = province.review_submission(review(100)).await.unwrap();
    assert_eq!(reviewed.into_inner().reasons.len(), 100);

    // A reason's field is a field path of at most 200 characters, and its text a paragraph.
    let status = province
        .review_submission(ReviewSubmissionRequest {
            reasons: vec![ReviewReason {
                field: format!("report.{}", "x".repeat(300)),
                reason: "r".repeat(2_001),
            }],
            ..review(0)
        })
        .await
        .unwrap_err();
    assert_refused(
        &status,
        &["reasons[0].reason", "reasons[0].field"],
        "an over-long reason",
    );
}

/// The lenient readings item 12 found are refused, each naming its field: `as_of` signed, with
/// one-digit months and days or five-digit years; a number with a leading space; an evidence link
/// with CR LF; a scope or a code with spaces around it, wherever it is given.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dates_numbers_codes_and_links_are_read_strictly() {
    let backend = crate::BACKEND;
    let app = spawn(backend).await;
    let mut summaries = app.summaries.clone();
    let ministry = app.ministry_token.clone();
    let mut ministry_maturity = MaturityServiceClient::new(app.connection(Some(&ministry)));
    let mut ministry_tasks = TaskServiceClient::new(app.connection(Some(&ministry)));
    let mut ministry_plans = AgencyPlanServiceClient::new(app.connection(Some(&ministry)));
    let mut catalog = CatalogServiceClient::new(app.connection(Some(&ministry)));

    // Dates: exactly YYYY-MM-DD, wherever a date is asked.
    for as_of in LENIENT_DATES {
        let what = format!("as_of {as_of:?}");
        let status = summaries
            .get_target_summary(GetTargetSummaryRequest {
                plan_code: NATIONAL.into(),
                target_code: "revenue_growth".into(),
                period_code: "2024".into(),
                scope: "country".into(),
                boundaries: Boundaries::Current.into(),
                as_of: as_of.into(),
                ..Default::default()
            })
            .await
            .unwrap_err();
        assert_refused(&status, &["as_of"], &format!("GetTargetSummary, {what}"));
        let status = ministry_maturity
            .get_maturity_results(GetMaturityResultsRequest {
                period_code: "2026".into(),
                scope: "country".into(),
                boundaries: Boundaries::Current.into(),
                as_of: as_of.into(),
            })
            .await
            .unwrap_err();
        assert_refused(&status, &["as_of"], &format!("GetMaturityResults, {what}"));
        let status = ministry_tasks
            .get_task_follow_up(GetTaskFollowUpRequest {
                plan_code: "test-tasks".into(),
                period_code: "2024".into(),
                scope: "province:ha-nam".into(),
                as_of: as_of.into(),
            })
            .await
            .unwrap_err();
        assert_refused(&status, &["as_of"], &format!("GetTaskFollowUp, {what}"));
        let status = ministry_plans
            .list_agency_plans(ListAgencyPlansRequest {
                plan_code: AGENCY_PLAN.into(),
                governing_body_code: "tinh-uy-ninh-binh-2025".into(),
                as_of: as_of.into(),
            })
            .await
            .unwrap_err();
        assert_refused(&status, &["as_of"], &format!("ListAgencyPlans, {what}"));
        let status = catalog
            .list_organizations(ListOrganizationsRequest {
                as_of: as_of.into(),
                ..Default::default()
            })
            .await
            .unwrap_err();
        assert_refused(&status, &["as_of"], &format!("ListOrganizations, {what}"));
        let status = catalog
            .get_organization(GetOrganizationRequest {
                code: OLD_AGENCY.into(),
                as_of: as_of.into(),
            })
            .await
            .unwrap_err();
        assert_refused(&status, &["as_of"], &format!("GetOrganization, {what}"));
    }
    // A task of an agency's plan is due on a date of the same form.
    let agency_token = app.agency_token(AGENCY).await;
    let mut plans = AgencyPlanServiceClient::new(app.connection(Some(&agency_token)));
    for due_on in ["2026-6-30", " 2026-06-30", "+2026-06-30"] {
        let mut lenient = agency_plan(&new_id());
        lenient.tasks[0].due_on = due_on.into();
        let status = plans.submit_agency_plan(lenient).await.unwrap_err();
        assert_refused(
            &status,
            &["tasks[T1].due_on"],
            &format!("due_on {due_on:?}"),
        );
    }

    // Numbers: digits, a point and at most two decimals, nothing around them.
    let mut maturity = MaturityServiceClient::new(app.connection(Some(&agency_token)));
    for number in [" 72.5", "72.5 ", "+72.5", "72.", ".5", "7 2.5", "72.5\n"] {
        let mut lenient = self_assessment(&new_id());
        lenient.answers[1].answer = Some(Answer::Number(number.into()));
        let status = maturity.submit_self_assessment(lenient).await.unwrap_err();
        assert_refused(
            &status,
            &["answers[P2.C1.1].number"],
            &format!("number {number:?}"),
        );
    }
    let assessed = maturity
        .submit_self_assessment(self_assessment(&new_id()))
        .await
        .unwrap()
        .into_inner();
    let province_token = app.token(Role::Province, Some(AGENCY_PROVINCE)).await;
    let mut appraiser = MaturityServiceClient::new(app.connection(Some(&province_token)));
    for points in [" 2", "2 ", "+2", "2."] {
        let status = appraiser
            .appraise_self_assessment(AppraiseSelfAssessmentRequest {
                self_assessment_id: assessed.id,
                criterion_code: "P1.C1.1".into(),
                points: points.into(),
                reason: "the minutes do not show it".into(),
            })
            .await
            .unwrap_err();
        assert_refused(&status, &["points"], &format!("points {points:?}"));
    }

    // Links: an absolute http(s) address, with no whitespace or control character anywhere.
    let lead_token = app.agency_token(TASK_LEAD).await;
    let mut lead = TaskServiceClient::new(app.connection(Some(&lead_token)));
    for link in [
        "https://example.vn/evidence.pdf\r\n",
        "https://example.vn/evi\r\ndence.pdf",
        " https://example.vn/evidence.pdf",
        "https://example.vn/evi dence.pdf",
        "https:example.vn/evidence.pdf",
    ] {
        let mut lenient = self_assessment(&new_id());
        lenient.evidence[0].link = link.into();
        let status = maturity.submit_self_assessment(lenient).await.unwrap_err();
        assert_refused(
            &status,
            &["evidence[P1.C1.1].link"],
            &format!("SubmitSelfAssessment, link {link:?}"),
        );
        let mut lenient = task_report(&new_id());
        lenient.evidence[0].link = link.into();
        let status = lead.report_task_progress(lenient).await.unwrap_err();
        assert_refused(
            &status,
            &["evidence[0].link"],
            &format!("ReportTaskProgress, link {link:?}"),
        );
    }

    // Scopes and codes: never trimmed, a code with a space is refused wherever it is given.
    for scope in [
        " province:nam-dinh",
        "province:nam-dinh ",
        "province: nam-dinh",
        "province :nam-dinh",
        " country",
    ] {
        let status = summaries
            .get_reporting_status(GetReportingStatusRequest {
                period_code: "2024".into(),
                scope: scope.into(),
                ..Default::default()
            })
            .await
            .unwrap_err();
        assert_refused(&status, &["scope"], &format!("scope {scope:?}"));
    }
    let spaced = format!(" {AGENCY}");
    let status = maturity
        .submit_self_assessment(SubmitSelfAssessmentRequest {
            agency_code: spaced.clone(),
            ..self_assessment(&new_id())
        })
        .await
        .unwrap_err();
    assert_refused(
        &status,
        &["agency_code"],
        "SubmitSelfAssessment, a spaced agency",
    );
    let status = plans
        .submit_agency_plan(SubmitAgencyPlanRequest {
            agency_code: spaced.clone(),
            ..agency_plan(&new_id())
        })
        .await
        .unwrap_err();
    assert_refused(
        &status,
        &["agency_code"],
        "SubmitAgencyPlan, a spaced agency",
    );
    let status = maturity
        .get_self_assessment(GetSelfAssessmentRequest {
            agency_code: AGENCY.into(),
            period_code: "2026 ".into(),
            revision: 0,
        })
        .await
        .unwrap_err();
    assert_refused(
        &status,
        &["period_code"],
        "GetSelfAssessment, a spaced period",
    );
    let mut spaced_criterion = self_assessment(&new_id());
    spaced_criterion.answers[0].criterion_code = "P1.C1.1 ".into();
    let status = maturity
        .submit_self_assessment(spaced_criterion)
        .await
        .unwrap_err();
    assert!(
        violated_fields(&status).contains(&"answers[P1.C1.1 ]".to_string()),
        "a spaced criterion: {status:?}"
    );
    let status = lead
        .report_task_progress(ReportTaskProgressRequest {
            task_code: " T3".into(),
            ..task_report(&new_id())
        })
        .await
        .unwrap_err();
    assert_refused(&status, &["task_code"], "ReportTaskProgress, a spaced task");
    // A code of more than 64 characters names nothing, and says so as a malformed field.
    let status = summaries
        .get_target_summary(GetTargetSummaryRequest {
            plan_code: "n".repeat(65),
            target_code: "revenue_growth".into(),
            period_code: "2024".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_refused(&status, &["plan_code"], "a 65-character plan code");
    assert_eq!(error_reason(&status), "REQUEST_INVALID");
    // What was well formed all along is still taken.
    summaries
        .get_reporting_status(GetReportingStatusRequest {
            period_code: "2024".into(),
            scope: "province:nam-dinh".into(),
            boundaries: Boundaries::Current.into(),
            as_of: "2024-12-31".into(),
            ..Default::default()
        })
        .await
        .unwrap();
}
