//! ReviewService and the province's checks: closing a period, and reopening it for one agency.

use pressdx::domain::access::Role;
use pressdx::proto::review_service_client::ReviewServiceClient;
use pressdx::proto::submission_service_client::SubmissionServiceClient;
use pressdx::proto::summary_service_client::SummaryServiceClient;
use pressdx::proto::{
    GetReportingStatusRequest, ListPeriodsRequest, ListTargetSummariesRequest, ReopenPeriodRequest,
};
use sea_orm::{ConnectionTrait, Database};
use tonic::Code;
use tonic_types::StatusExt;

use super::fixtures::{complete_report, error_reason, new_id, request, violated_fields};
use crate::common::{TEST_CATALOG, TestApp};

const AGENCY: &str = "bao-ptth-ninh-binh-2025";
/// A second agency of the same province, from the day it was formed.
const OTHER_AGENCY: &str = "tap-chi-thu-nghiem";
const PROVINCE: &str = "ninh-binh-2025";
const DEADLINE_2026: &str = "deadline = \"2026-11-15T00:00:00+07:00\"\n";
/// Five days after the 2026 deadline: in the past whenever this test runs.
const CLOSED_2026: &str = "closes_at = \"2026-11-20T00:00:00+07:00\"\n";

/// The test catalogue with a second agency in the merged province, and 2026 closed or not.
fn catalog(closed: bool) -> String {
    let closing = if closed { CLOSED_2026 } else { "" };
    format!(
        "{}\n[[organization]]\ncode = \"{OTHER_AGENCY}\"\nkind = \"press_agency\"\n\
         name = \"Tạp chí Thử nghiệm\"\nvalid_from = \"2025-07-01\"\nprovince = \"{PROVINCE}\"\n\
         governing_body = \"tinh-uy-ninh-binh-2025\"\nagency_type = \"magazine\"\n\
         publishes_electronic_press = false\nnote = \"a test agency\"\nillustrative = true\n",
        TEST_CATALOG.replace(DEADLINE_2026, &format!("{DEADLINE_2026}{closing}"))
    )
}

fn reopen(agency: &str, period: &str, until_seconds: i64, reason: &str) -> ReopenPeriodRequest {
    ReopenPeriodRequest {
        agency_code: agency.into(),
        period_code: period.into(),
        until: Some(prost_types::Timestamp {
            seconds: until_seconds,
            nanos: 0,
        }),
        reason: reason.into(),
    }
}

/// What `audit verify` finds after `edit` (SQL run on the database behind pressdx's back), if any.
async fn audit_problems_after(app: &TestApp, edit: Option<&str>) -> Vec<String> {
    if let Some(edit) = edit {
        let database = Database::connect(&app.database_url).await.unwrap();
        database.execute_unprepared(edit).await.unwrap();
        database.close().await.unwrap();
    }
    let verification = app.store().verify_audit().await.unwrap();
    verification
        .problems
        .into_iter()
        .map(|problem| problem.problem)
        .collect()
}

/// After a period closes, an agency's submit is FAILED_PRECONDITION (PERIOD_CLOSED, with a
/// PreconditionFailure naming the period and when it closed), while a request accepted before
/// still replays. Its province reopens it for one agency until an instant, with a reason: that
/// agency submits again, the others stay closed, the reporting status shows it, and `audit
/// verify` checks the reopening against its entry.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closed_period_takes_reports_only_where_the_province_reopened_it() {
    let backend = crate::BACKEND;
    let app = TestApp::spawn(backend).await;
    app.apply_catalog(&catalog(false)).await;
    let sent_while_open = request(&new_id(), AGENCY, "2026", complete_report());
    app.submit(sent_while_open.clone()).await.unwrap();
    app.apply_catalog(&catalog(true)).await;

    // The catalogue says when the period closed.
    let periods = app
        .catalog
        .clone()
        .list_periods(ListPeriodsRequest::default())
        .await
        .unwrap()
        .into_inner()
        .periods;
    let period_2026 = periods.iter().find(|period| period.code == "2026").unwrap();
    // 2026-11-20 00:00 in Vietnam.
    assert_eq!(period_2026.closes_at.unwrap().seconds, 1_795_107_600);
    let period_2024 = periods.iter().find(|period| period.code == "2024").unwrap();
    assert_eq!(period_2024.closes_at, None);

    let replayed = app.submit(sent_while_open).await.unwrap().into_inner();
    assert!(
        replayed.replayed,
        "a request accepted before closing replays"
    );
    let refused = app
        .submit(request(&new_id(), AGENCY, "2026", complete_report()))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::FailedPrecondition, "{refused:?}");
    assert_eq!(error_reason(&refused), "PERIOD_CLOSED");
    let details = refused.get_error_details();
    let violation = &details.precondition_failure().unwrap().violations[0];
    assert_eq!(
        (violation.r#type.as_str(), violation.subject.as_str()),
        ("PERIOD_CLOSED", "periods/2026")
    );
    assert!(violation.description.contains("2026-11-20T00:00:00+07:00"));

    let province_token = app.token(Role::Province, Some(PROVINCE)).await;
    let mut province = ReviewServiceClient::new(app.connection(Some(&province_token)));
    let tomorrow = chrono::Utc::now().timestamp() + 86_400;
    // Refused: the reason missing; an instant already past; a period that never closes; another
    // province's credential.
    let status = province
        .reopen_period(reopen(AGENCY, "2026", tomorrow, " "))
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&status), ["reason"]);
    let status = province
        .reopen_period(reopen(AGENCY, "2026", 1_795_107_600, "paper report"))
        .await
        .unwrap_err();
    assert_eq!(
        (status.code(), violated_fields(&status)),
        (Code::InvalidArgument, vec!["until".to_string()])
    );
    let status = province
        .reopen_period(reopen("bao-nam-dinh", "2024", tomorrow, "paper report"))
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&status), ["period_code"]);
    let stranger = app.token(Role::Province, Some("nam-dinh")).await;
    let status = ReviewServiceClient::new(app.connection(Some(&stranger)))
        .reopen_period(reopen(AGENCY, "2026", tomorrow, "paper report"))
        .await
        .unwrap_err();
    assert_eq!(
        (status.code(), error_reason(&status).as_str()),
        (Code::PermissionDenied, "OUT_OF_SCOPE")
    );

    let reopening = province
        .reopen_period(reopen(
            AGENCY,
            "2026",
            tomorrow,
            "the report was sent by post before the closing",
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(
        reopening
            .reopened_by
            .starts_with(&format!("province {PROVINCE} (credential ")),
        "{reopening:?}"
    );
    assert_eq!(reopening.until.unwrap().seconds, tomorrow);

    // That agency submits again; the other agency of the province does not.
    let accepted = app
        .submit(request(&new_id(), AGENCY, "2026", complete_report()))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(accepted.revision, 2);
    let other = app
        .submit(request(&new_id(), OTHER_AGENCY, "2026", complete_report()))
        .await
        .unwrap_err();
    assert_eq!(error_reason(&other), "PERIOD_CLOSED");
    // Nor does the province enter a paper report for it, without a reopening.
    let entered = SubmissionServiceClient::new(app.connection(Some(&province_token)))
        .submit_report(request(&new_id(), OTHER_AGENCY, "2026", complete_report()))
        .await
        .unwrap_err();
    assert_eq!(error_reason(&entered), "PERIOD_CLOSED");

    // The reporting status shows when the period closed and whom it was reopened for.
    let status = SummaryServiceClient::new(app.connection(Some(&province_token)))
        .get_reporting_status(GetReportingStatusRequest {
            period_code: "2026".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(status.closes_at.unwrap().seconds, 1_795_107_600);
    let reopened: Vec<(&str, &str)> = status
        .agencies
        .iter()
        .filter_map(|agency| {
            let reopening = agency.reopening.as_ref()?;
            Some((agency.agency_code.as_str(), reopening.reason.as_str()))
        })
        .collect();
    assert_eq!(
        reopened,
        [(AGENCY, "the report was sent by post before the closing")]
    );

    // The audit log recorded the reopening, and catches an edit to it.
    assert_eq!(audit_problems_after(&app, None).await, Vec::<String>::new());
    assert_eq!(
        audit_problems_after(
            &app,
            Some("UPDATE period_reopening SET reason = 'nothing to see'")
        )
        .await,
        [format!(
            "reopening 1 ({AGENCY} 2026) no longer says what this entry recorded"
        )]
    );
}

/// The province returns its agency's report with a reason tied to a field; the agency reads it on
/// its submission and corrects; the correction awaits review again, the old revision can no
/// longer be reviewed, and the province accepts the new one. The reporting status counts the
/// states, ListSubmissions filters on them, and `audit verify` checks every review.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_province_returns_a_report_and_accepts_its_correction() {
    let backend = crate::BACKEND;
    use pressdx::proto::{
        GetSubmissionRequest, ListSubmissionsRequest, ReviewDecision, ReviewReason, ReviewState,
        ReviewSubmissionRequest,
    };
    let app = TestApp::spawn(backend).await;
    let agency = "bao-nam-dinh";
    let first = app
        .submit(request(&new_id(), agency, "2024", complete_report()))
        .await
        .unwrap()
        .into_inner()
        .submission_id;
    let province_token = app.token(Role::Province, Some("nam-dinh")).await;
    let mut province = ReviewServiceClient::new(app.connection(Some(&province_token)));
    let decide = |submission_id: i64, decision: ReviewDecision, reasons: Vec<ReviewReason>| {
        ReviewSubmissionRequest {
            submission_id,
            decision: decision.into(),
            reasons,
        }
    };
    let reason = |field: &str, reason: &str| ReviewReason {
        field: field.into(),
        reason: reason.into(),
    };

    // Every problem of a review at once.
    let status = province
        .review_submission(decide(0, ReviewDecision::Unspecified, vec![]))
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&status), ["submission_id", "decision"]);
    let status = province
        .review_submission(decide(first, ReviewDecision::Return, vec![]))
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&status), ["reasons"]);
    let status = province
        .review_submission(decide(
            first,
            ReviewDecision::Return,
            vec![reason("report.no_such_thing", " ")],
        ))
        .await
        .unwrap_err();
    assert_eq!(
        violated_fields(&status),
        ["reasons[0].reason", "reasons[0].field"]
    );
    // Not another province's agency; an unknown id is refused the same way.
    let stranger = app.token(Role::Province, Some("ha-nam")).await;
    let mut stranger = ReviewServiceClient::new(app.connection(Some(&stranger)));
    // The words say it may be either, and the same words for both, apart from the id.
    let mut messages = Vec::new();
    for id in [first, 999_999] {
        let status = stranger
            .review_submission(decide(id, ReviewDecision::Accept, vec![]))
            .await
            .unwrap_err();
        assert_eq!(error_reason(&status), "OUT_OF_SCOPE", "{id}");
        assert!(
            status.message().starts_with(&format!(
                "submission {id} does not exist or is not within reach"
            )),
            "{}",
            status.message()
        );
        messages.push(
            status
                .message()
                .replacen(&format!("submission {id} "), "submission N ", 1),
        );
    }
    assert_eq!(messages[0], messages[1]);

    let returned = province
        .review_submission(decide(
            first,
            ReviewDecision::Return,
            vec![reason(
                "report.revenue_vnd",
                "lower than the audited accounts",
            )],
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(returned.revision, 1);
    assert!(
        returned
            .reviewed_by
            .starts_with("province nam-dinh (credential ")
    );

    // The agency reads why on its own submission.
    let mut own = app.agency(agency).await;
    let seen = own
        .get_submission(GetSubmissionRequest {
            submission_id: first,
        })
        .await
        .unwrap()
        .into_inner()
        .review
        .unwrap();
    assert_eq!(seen.decision(), ReviewDecision::Return);
    assert_eq!(
        seen.reasons,
        [reason(
            "report.revenue_vnd",
            "lower than the audited accounts"
        )]
    );

    let counts = |app: &TestApp| {
        let token = province_token.clone();
        let channel = app.connection(Some(&token));
        async move {
            let status = SummaryServiceClient::new(channel)
                .get_reporting_status(GetReportingStatusRequest {
                    period_code: "2024".into(),
                    ..Default::default()
                })
                .await
                .unwrap()
                .into_inner();
            let state = status
                .agencies
                .iter()
                .find(|status| status.agency_code == agency)
                .unwrap()
                .review_state();
            (
                status.awaiting_review,
                status.accepted,
                status.returned,
                status.missing,
                status.expected,
                state,
            )
        }
    };
    let (awaiting, accepted, returned_count, missing, expected, state) = counts(&app).await;
    assert_eq!(
        (awaiting, accepted, returned_count, state),
        (0, 0, 1, ReviewState::Returned)
    );
    assert_eq!(missing, expected - 1);
    // Counting accepted reports only, Nam Định's one report is not counted while returned.
    let reporting = |accepted_only: bool| {
        let channel = app.connection(Some(&province_token));
        async move {
            SummaryServiceClient::new(channel)
                .list_target_summaries(ListTargetSummariesRequest {
                    plan_code: "national-348-qd-ttg".into(),
                    period_code: "2024".into(),
                    accepted_only,
                    ..Default::default()
                })
                .await
                .unwrap()
                .into_inner()
                .summaries[0]
                .reporting_agencies
        }
    };
    assert_eq!((reporting(false).await, reporting(true).await), (1, 0));
    let in_state = |state: ReviewState| ListSubmissionsRequest {
        period_code: "2024".into(),
        review_state: state.into(),
        ..Default::default()
    };
    let ids = |response: pressdx::proto::ListSubmissionsResponse| -> Vec<i64> {
        response
            .submissions
            .iter()
            .map(|submission| submission.submission_id)
            .collect()
    };
    let mut listing = app.submissions.clone();
    let listed = listing
        .list_submissions(in_state(ReviewState::Returned))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(ids(listed), [first]);

    // The correction awaits review; the returned revision can no longer be reviewed.
    let second = app
        .submit(request(&new_id(), agency, "2024", complete_report()))
        .await
        .unwrap()
        .into_inner()
        .submission_id;
    let (awaiting, _, returned_count, _, _, state) = counts(&app).await;
    assert_eq!(
        (awaiting, returned_count, state),
        (1, 0, ReviewState::AwaitingReview)
    );
    let listed = listing
        .list_submissions(in_state(ReviewState::AwaitingReview))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(ids(listed), [second]);
    let stale = province
        .review_submission(decide(first, ReviewDecision::Accept, vec![]))
        .await
        .unwrap_err();
    assert_eq!(stale.code(), Code::FailedPrecondition);
    assert_eq!(error_reason(&stale), "REVISION_SUPERSEDED");
    let details = stale.get_error_details();
    assert_eq!(
        details.precondition_failure().unwrap().violations[0].subject,
        format!("submissions/{second}")
    );

    province
        .review_submission(decide(second, ReviewDecision::Accept, vec![]))
        .await
        .unwrap();
    let (awaiting, accepted, returned_count, _, _, state) = counts(&app).await;
    assert_eq!(
        (awaiting, accepted, returned_count, state),
        (0, 1, 0, ReviewState::Accepted)
    );
    assert_eq!((reporting(false).await, reporting(true).await), (1, 1));
    let listed = listing
        .list_submissions(in_state(ReviewState::Accepted))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(ids(listed), [second]);

    // Every review is in the audit log, and an edit to one is found.
    assert_eq!(audit_problems_after(&app, None).await, Vec::<String>::new());
    assert_eq!(
        audit_problems_after(
            &app,
            Some("UPDATE review SET decision = 'accept' WHERE revision = 1")
        )
        .await,
        [format!(
            "review 1 ({agency} 2024 revision 1) no longer says what this entry recorded"
        )]
    );
}
