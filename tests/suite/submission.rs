//! SubmissionService, end to end.

use std::collections::HashSet;

use pressdx::proto::{
    GetSubmissionRequest, ListSubmissionsRequest, SubmitReportRequest, Timeliness,
    import_reports_response::Outcome,
};
use prost::Message;
use tonic::Code;
use tonic_types::pb::BadRequest;

use super::fixtures::*;
use crate::common::TestApp;

async fn stored_count(app: &TestApp) -> usize {
    let mut client = app.submissions.clone();
    let mut count = 0;
    let mut request = ListSubmissionsRequest {
        page_size: 1000,
        ..Default::default()
    };
    loop {
        let page = client
            .list_submissions(request.clone())
            .await
            .unwrap()
            .into_inner();
        count += page.submissions.len();
        if page.next_page_token.is_empty() {
            return count;
        }
        request.page_token = page.next_page_token;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_valid_report_is_accepted_with_a_full_receipt() {
    let backend = crate::BACKEND;
    let app = TestApp::spawn(backend).await;
    let mut client = app.agency(OLD_AGENCY).await;
    let before = chrono::Utc::now();
    let receipt = client
        .submit_report(request("r-1", OLD_AGENCY, "2024", complete_report()))
        .await
        .unwrap()
        .into_inner();

    assert!(receipt.submission_id > 0);
    assert_eq!(receipt.agency_code, OLD_AGENCY);
    assert_eq!(receipt.period_code, "2024");
    assert_eq!(receipt.revision, 1);
    assert_eq!(receipt.request_id, "r-1");
    assert!(!receipt.replayed && !receipt.validated_only);
    // "before 15 November 2024" in Vietnam is 2024-11-14T17:00:00Z.
    assert_eq!(receipt.deadline.unwrap().seconds, 1_731_603_600);
    let received = receipt.received_at.unwrap().seconds;
    assert!(received >= before.timestamp() - 1 && received <= chrono::Utc::now().timestamp() + 1);
    assert_eq!(
        receipt.timeliness(),
        Timeliness::Late,
        "2024's deadline has passed"
    );
    let hex = receipt.content_hash.strip_prefix("sha256:").unwrap();
    assert!(hex.len() == 64 && hex.chars().all(|c| c.is_ascii_hexdigit()));

    let stored = client
        .get_submission(GetSubmissionRequest {
            submission_id: receipt.submission_id,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        stored.report,
        Some(complete_report()),
        "the report reads back as sent"
    );
    assert_eq!(stored.content_hash, receipt.content_hash);
    assert!(!stored.superseded);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_report_breaking_many_rules_gets_every_violation_and_leaves_nothing() {
    let backend = crate::BACKEND;
    let app = TestApp::spawn(backend).await;
    let mut client = app.agency(OLD_AGENCY).await;
    let mut report = complete_report();
    report.converged_newsroom = None; // required
    report.digital_revenue_vnd = Some(30_000_000_000); // more than the 25 bn total
    report.trained.as_mut().unwrap().editors = Some(21); // headcount 20
    report.security_level = Some(6); // 1..5
    report.revenue_vnd = Some(-1); // negative money, and now digital > total too

    let status = client
        .submit_report(request("r-bad", OLD_AGENCY, "2024", report))
        .await
        .unwrap_err();

    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(error_reason(&status), "REPORT_INVALID");
    let fields: HashSet<String> = violated_fields(&status).into_iter().collect();
    let expected: HashSet<String> = [
        "report.converged_newsroom",
        "report.revenue_vnd",
        "report.security_level",
        "report.digital_revenue_vnd",
        "report.trained.editors",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    assert_eq!(fields, expected);
    assert_eq!(
        stored_count(&app).await,
        0,
        "nothing of a refused report is stored"
    );
}

/// Each rule alone, with the one field path it must name.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_validation_rule_names_its_field() {
    let backend = crate::BACKEND;
    let app = TestApp::spawn(backend).await;
    let mut client = app.agency(OLD_AGENCY).await;
    type Breaker = fn(&mut SubmitReportRequest);
    let cases: Vec<(&str, Breaker)> = vec![
        ("request_id", |r| r.request_id = String::new()),
        ("request_id", |r| r.request_id = "x".repeat(129)),
        ("report", |r| r.report = None),
        ("report.content_on_digital_platforms", |r| {
            r.report.as_mut().unwrap().content_on_digital_platforms = None
        }),
        ("report.digital_platforms", |r| {
            r.report.as_mut().unwrap().content_on_digital_platforms = Some(false)
        }),
        ("report.digital_platforms", |r| {
            r.report.as_mut().unwrap().digital_platforms.clear()
        }),
        ("report.digital_platforms[1].origin", |r| {
            r.report.as_mut().unwrap().digital_platforms[1].origin = 0
        }),
        ("report.digital_platforms[0].origin", |r| {
            r.report.as_mut().unwrap().digital_platforms[0].origin = 99
        }),
        ("report.digital_platforms[0].name", |r| {
            r.report.as_mut().unwrap().digital_platforms[0].name = "  ".into()
        }),
        ("report.revenue_vnd", |r| {
            r.report.as_mut().unwrap().revenue_vnd = None
        }),
        ("report.digital_revenue_vnd", |r| {
            r.report.as_mut().unwrap().digital_revenue_vnd = Some(25_000_000_001)
        }),
        ("report.headcount.leaders", |r| {
            r.report.as_mut().unwrap().headcount = None;
        }),
        ("report.trained.reporters", |r| {
            r.report
                .as_mut()
                .unwrap()
                .trained
                .as_mut()
                .unwrap()
                .reporters = Some(41)
        }),
        ("report.trained.other", |r| {
            r.report.as_mut().unwrap().trained.as_mut().unwrap().other = Some(-3)
        }),
        ("report.security_level", |r| {
            r.report.as_mut().unwrap().security_level = Some(0)
        }),
        ("report.security_level", |r| {
            r.report.as_mut().unwrap().security_level = None
        }),
        ("report.publishes_electronic_press", |r| {
            let report = r.report.as_mut().unwrap();
            report.publishes_electronic_press = None;
        }),
        ("report.digital_products_launched", |r| {
            r.report.as_mut().unwrap().digital_products_launched = Some(-1)
        }),
    ];
    for (expected_field, breaker) in cases {
        let mut bad = request(&new_id(), OLD_AGENCY, "2024", complete_report());
        breaker(&mut bad);
        let status = client.submit_report(bad).await.unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument, "{expected_field}");
        let fields = violated_fields(&status);
        assert!(
            fields.contains(&expected_field.to_string()),
            "expected {expected_field} among {fields:?}"
        );
    }

    // Without electronic press, a security level is not needed.
    let mut report = complete_report();
    report.publishes_electronic_press = Some(false);
    report.security_level = None;
    client
        .submit_report(request(&new_id(), OLD_AGENCY, "2024", report))
        .await
        .expect("no security level is needed without electronic press");
    assert_eq!(stored_count(&app).await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_agency_period_and_non_agencies_are_refused() {
    let backend = crate::BACKEND;
    let app = TestApp::spawn(backend).await;

    // Each submits as the "agency" it names, so that the refusal is the catalogue's, not access's.
    let status = app
        .submit(request(
            &new_id(),
            "no-such-agency",
            "1999",
            complete_report(),
        ))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(error_reason(&status), "UNKNOWN_PERIOD");
    assert_eq!(violated_fields(&status), ["period_code", "agency_code"]);

    let status = app
        .submit(request(&new_id(), "nam-dinh", "2024", complete_report()))
        .await
        .unwrap_err();
    assert_eq!(error_reason(&status), "NOT_A_PRESS_AGENCY");
    assert_eq!(violated_fields(&status), ["agency_code"]);
    assert_eq!(stored_count(&app).await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retried_request_id_stores_nothing_new() {
    let backend = crate::BACKEND;
    let app = TestApp::spawn(backend).await;
    let mut client = app.agency(OLD_AGENCY).await;
    let first = client
        .submit_report(request("retry-me", OLD_AGENCY, "2024", complete_report()))
        .await
        .unwrap()
        .into_inner();
    for _ in 0..3 {
        let again = client
            .submit_report(request("retry-me", OLD_AGENCY, "2024", complete_report()))
            .await
            .unwrap()
            .into_inner();
        assert!(again.replayed);
        assert_eq!(again.submission_id, first.submission_id);
        assert_eq!(again.revision, 1);
        assert_eq!(again.received_at, first.received_at, "the original receipt");
        assert_eq!(again.content_hash, first.content_hash);
    }
    assert_eq!(stored_count(&app).await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reused_request_id_with_other_content_is_refused() {
    let backend = crate::BACKEND;
    let app = TestApp::spawn(backend).await;
    let mut client = app.agency(OLD_AGENCY).await;
    let first = client
        .submit_report(request("once", OLD_AGENCY, "2024", complete_report()))
        .await
        .unwrap()
        .into_inner();
    let mut changed = complete_report();
    changed.revenue_vnd = Some(26_000_000_000);
    let status = client
        .submit_report(request("once", OLD_AGENCY, "2024", changed))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::AlreadyExists);
    assert_eq!(error_reason(&status), "REQUEST_ID_REUSED");
    assert!(status.message().contains(&first.submission_id.to_string()));
    assert_eq!(stored_count(&app).await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn corrections_become_revisions_and_the_latest_counts() {
    let backend = crate::BACKEND;
    let app = TestApp::spawn(backend).await;
    let mut client = app.agency(OLD_AGENCY).await;
    let mut receipts = Vec::new();
    for revenue in [20_000_000_000, 21_000_000_000, 22_000_000_000] {
        let mut report = complete_report();
        report.revenue_vnd = Some(revenue);
        receipts.push(
            client
                .submit_report(request(&new_id(), OLD_AGENCY, "2024", report))
                .await
                .unwrap()
                .into_inner(),
        );
    }
    let revisions: Vec<i32> = receipts.iter().map(|r| r.revision).collect();
    assert_eq!(revisions, [1, 2, 3]);

    // Every revision stays readable, with its own content.
    for (receipt, revenue) in receipts
        .iter()
        .zip([20_000_000_000, 21_000_000_000, 22_000_000_000])
    {
        let stored = client
            .get_submission(GetSubmissionRequest {
                submission_id: receipt.submission_id,
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(stored.report.unwrap().revenue_vnd, Some(revenue));
        assert_eq!(stored.superseded, receipt.revision != 3);
    }

    // Another period of the same agency starts at revision 1.
    let other = client
        .submit_report(request(&new_id(), OLD_AGENCY, "2023", complete_report()))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(other.revision, 1);

    let latest = client
        .list_submissions(ListSubmissionsRequest {
            agency_code: OLD_AGENCY.into(),
            latest_only: true,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let latest: Vec<(String, i32)> = latest
        .submissions
        .iter()
        .map(|s| (s.period_code.clone(), s.revision))
        .collect();
    assert_eq!(latest, [("2024".to_string(), 3), ("2023".to_string(), 1)]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn validate_only_checks_everything_and_stores_nothing() {
    let backend = crate::BACKEND;
    let app = TestApp::spawn(backend).await;
    let mut client = app.agency(OLD_AGENCY).await;
    client
        .submit_report(request(&new_id(), OLD_AGENCY, "2024", complete_report()))
        .await
        .unwrap();

    let mut dry = request(&new_id(), OLD_AGENCY, "2024", complete_report());
    dry.validate_only = true;
    let receipt = client
        .submit_report(dry.clone())
        .await
        .unwrap()
        .into_inner();
    assert!(receipt.validated_only);
    assert_eq!(receipt.submission_id, 0);
    assert_eq!(receipt.revision, 2, "the revision it would become");

    dry.report.as_mut().unwrap().security_level = Some(9);
    let status = client.submit_report(dry).await.unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(violated_fields(&status), ["report.security_level"]);
    assert_eq!(stored_count(&app).await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_merged_agency_corrects_old_reports_but_cannot_report_after_its_merger() {
    let backend = crate::BACKEND;
    let app = TestApp::spawn(backend).await;
    let mut client = app.agency(OLD_AGENCY).await;
    let mut successor = app.agency(NEW_AGENCY).await;

    // Báo Nam Định existed through period 2024 and may correct that report, even today.
    client
        .submit_report(request(&new_id(), OLD_AGENCY, "2024", complete_report()))
        .await
        .unwrap();
    let mut corrected = complete_report();
    corrected.converged_newsroom = Some(false);
    let correction = client
        .submit_report(request(&new_id(), OLD_AGENCY, "2024", corrected))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(correction.revision, 2);

    // It no longer exists at the end of 2025's data window, nor later.
    for period in ["2025", "2026"] {
        let status = client
            .submit_report(request(&new_id(), OLD_AGENCY, period, complete_report()))
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument, "{period}");
        assert_eq!(error_reason(&status), "AGENCY_NOT_IN_PERIOD");
        assert_eq!(violated_fields(&status), ["agency_code"]);
    }

    // Its successor reports from 2025 on, and not for the years before it existed.
    successor
        .submit_report(request(&new_id(), NEW_AGENCY, "2025", complete_report()))
        .await
        .unwrap();
    let status = successor
        .submit_report(request(&new_id(), NEW_AGENCY, "2024", complete_report()))
        .await
        .unwrap_err();
    assert_eq!(error_reason(&status), "AGENCY_NOT_IN_PERIOD");
    assert_eq!(stored_count(&app).await, 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn late_reports_are_kept_and_flagged() {
    let backend = crate::BACKEND;
    let app = TestApp::spawn(backend).await;
    let mut client = app.agency(NEW_AGENCY).await;
    for period in ["2025", "2030"] {
        let receipt = client
            .submit_report(request(&new_id(), NEW_AGENCY, period, complete_report()))
            .await
            .unwrap()
            .into_inner();
        let received = receipt.received_at.unwrap();
        let deadline = receipt.deadline.unwrap();
        let expected = if (received.seconds, received.nanos) <= (deadline.seconds, deadline.nanos) {
            Timeliness::OnTime
        } else {
            Timeliness::Late
        };
        assert_eq!(receipt.timeliness(), expected, "{period}");
        let stored = client
            .get_submission(GetSubmissionRequest {
                submission_id: receipt.submission_id,
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(
            stored.timeliness(),
            expected,
            "stored as received: {period}"
        );
    }
    // 2025's deadline (15 November 2025) is past, for certain.
    let late = client
        .list_submissions(ListSubmissionsRequest {
            period_code: "2025".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(late.submissions[0].timeliness(), Timeliness::Late);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listing_pages_through_everything_exactly_once() {
    let backend = crate::BACKEND;
    let app = TestApp::spawn(backend).await;
    // Each agency submits its own reports; the Ministry lists them all.
    let mut client = app.submissions.clone();
    let mut submitted = Vec::new();
    for (agency, period) in [
        (OLD_AGENCY, "2023"),
        (OLD_AGENCY, "2024"),
        ("bao-ha-nam", "2023"),
        ("bao-ha-nam", "2024"),
        ("ptth-ha-nam", "2024"),
        (NEW_AGENCY, "2025"),
        (NEW_AGENCY, "2026"),
    ] {
        let receipt = app
            .submit(request(&new_id(), agency, period, complete_report()))
            .await
            .unwrap()
            .into_inner();
        submitted.push(receipt.submission_id);
    }

    let mut seen = Vec::new();
    let mut request = ListSubmissionsRequest {
        page_size: 3,
        ..Default::default()
    };
    let mut pages = 0;
    loop {
        let page = client
            .list_submissions(request.clone())
            .await
            .unwrap()
            .into_inner();
        pages += 1;
        seen.extend(page.submissions.iter().map(|s| s.submission_id));
        if page.next_page_token.is_empty() {
            break;
        }
        // A token is only good for the filters it was made under.
        let mismatched = ListSubmissionsRequest {
            agency_code: OLD_AGENCY.into(),
            page_token: page.next_page_token.clone(),
            ..request.clone()
        };
        let status = client.list_submissions(mismatched).await.unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument);
        request.page_token = page.next_page_token;
    }
    assert_eq!(pages, 3);
    assert_eq!(
        seen, submitted,
        "every submission once, in the order stored"
    );

    let filtered = client
        .list_submissions(ListSubmissionsRequest {
            agency_code: "bao-ha-nam".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(filtered.submissions.len(), 2);
    assert!(filtered.next_page_token.is_empty());

    for bad in [
        ListSubmissionsRequest {
            page_size: -1,
            ..Default::default()
        },
        ListSubmissionsRequest {
            page_token: "not-a-token".into(),
            ..Default::default()
        },
    ] {
        let status = client.list_submissions(bad).await.unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_stream_answers_each_report_in_order() {
    let backend = crate::BACKEND;
    let app = TestApp::spawn(backend).await;
    // An import carries one agency's reports: its credential submits for it alone.
    let mut client = app.agency(OLD_AGENCY).await;
    let mut bad_trained = complete_report();
    bad_trained.trained.as_mut().unwrap().leaders = Some(7);
    let requests = vec![
        request(&new_id(), OLD_AGENCY, "2023", complete_report()),
        request(&new_id(), OLD_AGENCY, "2026", complete_report()), // after its merger
        request(&new_id(), OLD_AGENCY, "2024", complete_report()),
        request(&new_id(), OLD_AGENCY, "2024", bad_trained), // 7 trained of 6 leaders
        request(&new_id(), OLD_AGENCY, "2023", complete_report()), // a correction
    ];
    let responses: Vec<_> = {
        let mut stream = client
            .import_reports(tokio_stream::iter(requests))
            .await
            .unwrap()
            .into_inner();
        let mut responses = Vec::new();
        while let Some(response) = stream.message().await.unwrap() {
            responses.push(response);
        }
        responses
    };

    let indexes: Vec<i64> = responses.iter().map(|r| r.index).collect();
    assert_eq!(indexes, [0, 1, 2, 3, 4]);
    let accepted: Vec<bool> = responses
        .iter()
        .map(|r| matches!(r.outcome, Some(Outcome::Receipt(_))))
        .collect();
    assert_eq!(accepted, [true, false, true, false, true]);

    let Some(Outcome::Error(error)) = &responses[3].outcome else {
        panic!("report 3 is refused");
    };
    assert_eq!(error.code, Code::InvalidArgument as i32);
    let bad_request = error
        .details
        .iter()
        .find(|any| any.type_url.ends_with("google.rpc.BadRequest"))
        .map(|any| BadRequest::decode(any.value.as_slice()).unwrap())
        .expect("the error carries its field violations");
    let fields: Vec<_> = bad_request
        .field_violations
        .iter()
        .map(|v| v.field.as_str())
        .collect();
    assert_eq!(fields, ["report.trained.leaders"]);
    assert_eq!(stored_count(&app).await, 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_submission_is_not_found() {
    let backend = crate::BACKEND;
    let app = TestApp::spawn(backend).await;
    let mut client = app.submissions.clone();
    let status = client
        .get_submission(GetSubmissionRequest {
            submission_id: 4242,
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
}

/// Many corrections of one report at once: each gets its own revision, none is lost.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_submits_get_distinct_revisions() {
    let backend = crate::BACKEND;
    let app = TestApp::spawn(backend).await;
    let agency = app.agency(OLD_AGENCY).await;
    let writers = 12;
    let tasks: Vec<_> = (0..writers)
        .map(|writer| {
            let mut client = agency.clone();
            tokio::spawn(async move {
                let mut report = complete_report();
                report.revenue_vnd = Some(20_000_000_000 + writer);
                // Each writer also retries its own request once, as a client would on a timeout.
                let id = new_id();
                let first = client
                    .submit_report(request(&id, OLD_AGENCY, "2024", report.clone()))
                    .await
                    .unwrap()
                    .into_inner();
                let retry = client
                    .submit_report(request(&id, OLD_AGENCY, "2024", report))
                    .await
                    .unwrap()
                    .into_inner();
                assert_eq!(retry.submission_id, first.submission_id);
                first.revision
            })
        })
        .collect();
    let mut revisions = Vec::new();
    for task in tasks {
        revisions.push(task.await.unwrap());
    }
    revisions.sort_unstable();
    assert_eq!(revisions, (1..=writers as i32).collect::<Vec<_>>());
    assert_eq!(stored_count(&app).await, writers as usize);
}

/// Twelve writers of the same self-assessment, the same task's progress and the same agency
/// plan at once, each with its own content: every one is stored, with revisions 1 to 12, none
/// refused with ABORTED (CONTENTION). Every revisioned record takes the same write path as
/// reports: its transaction queues for the database's one write lock before it reads the latest
/// revision, instead of two of them reading the same one and colliding on it at the insert.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_writers_of_any_revisioned_record_queue_and_none_aborts() {
    let backend = crate::BACKEND;
    use pressdx::proto::TaskStatus;
    use pressdx::proto::agency_plan_service_client::AgencyPlanServiceClient;
    use pressdx::proto::maturity_service_client::MaturityServiceClient;
    use pressdx::proto::task_service_client::TaskServiceClient;

    let app = TestApp::spawn(backend).await;
    app.apply_catalog(&format!(
        "{}\n{}\n{}",
        crate::common::TEST_CATALOG,
        super::assessment::FRAMEWORK_2026,
        super::tasks::TASK_PLAN
    ))
    .await;
    const WRITERS: i32 = 12;
    let assessor = MaturityServiceClient::new(
        app.connection(Some(&app.agency_token("bao-ptth-ninh-binh-2025").await)),
    );
    let planner = AgencyPlanServiceClient::new(
        app.connection(Some(&app.agency_token("bao-ptth-ninh-binh-2025").await)),
    );
    let reporter =
        TaskServiceClient::new(app.connection(Some(&app.agency_token("bao-ha-nam").await)));
    let mut writers = Vec::new();
    for writer in 0..WRITERS {
        let (mut assessor, mut planner, mut reporter) =
            (assessor.clone(), planner.clone(), reporter.clone());
        writers.push(tokio::spawn(async move {
            let assessment = super::assessment::assessment(&new_id(), &format!("{}", 40 + writer));
            let plan = super::agency_plan::plan(&new_id(), 2000 + writer);
            let mut progress = super::tasks::report("T3", TaskStatus::InProgress, Some(writer));
            progress.account = format!("step {writer}");
            let (assessed, planned, reported) = tokio::join!(
                assessor.submit_self_assessment(assessment),
                planner.submit_agency_plan(plan),
                reporter.report_task_progress(progress),
            );
            let revision = |answer: Result<i32, tonic::Status>, what: &str| {
                answer.unwrap_or_else(|status| panic!("{what}: {status:?}"))
            };
            (
                revision(
                    assessed.map(|answer| answer.into_inner().revision),
                    "a self-assessment",
                ),
                revision(
                    planned.map(|answer| answer.into_inner().revision),
                    "an agency plan",
                ),
                revision(
                    reported.map(|answer| answer.into_inner().revision),
                    "a progress report",
                ),
            )
        }));
    }
    let (mut assessed, mut planned, mut reported) = (Vec::new(), Vec::new(), Vec::new());
    for writer in writers {
        let (assessment, plan, progress) = writer.await.unwrap();
        assessed.push(assessment);
        planned.push(plan);
        reported.push(progress);
    }
    for (what, mut revisions) in [
        ("self-assessment", assessed),
        ("agency plan", planned),
        ("progress report", reported),
    ] {
        revisions.sort_unstable();
        assert_eq!(revisions, (1..=WRITERS).collect::<Vec<_>>(), "{what}");
    }
}

/// Reports that arrive together in an import are stored together, and still one by one in
/// meaning: corrections in the same batch become successive revisions, a repeated request id
/// replays, a reused one is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_batch_keeps_revisions_and_request_ids() {
    let backend = crate::BACKEND;
    let app = TestApp::spawn(backend).await;
    let mut client = app.agency(OLD_AGENCY).await;
    let mut corrected = complete_report();
    corrected.revenue_vnd = Some(26_000_000_000);
    let requests = vec![
        request("batch-1", OLD_AGENCY, "2024", complete_report()),
        request("batch-2", OLD_AGENCY, "2024", corrected.clone()),
        request("batch-1", OLD_AGENCY, "2024", complete_report()), // a retry: replays
        request("batch-2", OLD_AGENCY, "2023", complete_report()), // reuse: refused
        request("batch-3", OLD_AGENCY, "2024", corrected),
    ];
    let mut stream = client
        .import_reports(tokio_stream::iter(requests))
        .await
        .unwrap()
        .into_inner();
    let mut outcomes = Vec::new();
    while let Some(response) = stream.message().await.unwrap() {
        outcomes.push(match response.outcome {
            Some(Outcome::Receipt(receipt)) => (receipt.revision, receipt.replayed, 0),
            Some(Outcome::Error(error)) => (0, false, error.code),
            None => panic!("an empty outcome"),
        });
    }
    assert_eq!(
        outcomes,
        [
            (1, false, 0),
            (2, false, 0),
            (1, true, 0),
            (0, false, Code::AlreadyExists as i32),
            (3, false, 0)
        ]
    );
    assert_eq!(stored_count(&app).await, 3);
    // Stored together, several revisions of one report still verify, latest revision included.
    assert_eq!(app.store().verify_audit().await.unwrap().problems, vec![]);
}

/// A replay of an older revision says which revision counts now; validate-only checks the report
/// against the catalogue as it is now, and says that sending it would replay.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replay_says_which_revision_counts_now() {
    let backend = crate::BACKEND;
    let app = TestApp::spawn(backend).await;
    let mut agency = app.agency(OLD_AGENCY).await;
    let first = request(&new_id(), OLD_AGENCY, "2024", complete_report());
    let mut corrected = complete_report();
    corrected.revenue_vnd = Some(26_000_000_000);
    let receipt = agency
        .submit_report(first.clone())
        .await
        .unwrap()
        .into_inner();
    assert_eq!((receipt.revision, receipt.latest_revision), (1, 1));
    agency
        .submit_report(request(&new_id(), OLD_AGENCY, "2024", corrected))
        .await
        .unwrap();

    let replay = agency
        .submit_report(first.clone())
        .await
        .unwrap()
        .into_inner();
    assert!(replay.replayed);
    assert_eq!((replay.revision, replay.latest_revision), (1, 2));

    let checked = agency
        .submit_report(SubmitReportRequest {
            validate_only: true,
            ..first.clone()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(checked.validated_only && checked.replayed, "{checked:?}");
    assert_eq!((checked.revision, checked.latest_revision), (1, 2));

    // Validate-only still refuses what a submit would refuse: the id with other content.
    let mut other = complete_report();
    other.revenue_vnd = Some(1);
    let reused = agency
        .submit_report(SubmitReportRequest {
            validate_only: true,
            ..request(&first.request_id, OLD_AGENCY, "2024", other)
        })
        .await
        .unwrap_err();
    assert_eq!(reused.code(), Code::AlreadyExists);
}

/// A province types in its agencies' paper reports, and may give the time each was originally
/// received; the Ministry back-fills anyone's history over an import. The receipt, the stored
/// submission and the audit log say who entered it, and timeliness is judged on the asserted
/// time: Báo Nam Định's 2024 paper report, received on 10 November 2024, is on time, where the
/// same report judged on the day it was typed in would be late.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_province_enters_paper_reports_and_the_ministry_imports_history() {
    let backend = crate::BACKEND;
    use pressdx::domain::access::Role;
    use pressdx::proto::submission_service_client::SubmissionServiceClient;
    let app = TestApp::spawn(backend).await;
    let province_token = app.token(Role::Province, Some("nam-dinh")).await;
    let mut province = SubmissionServiceClient::new(app.connection(Some(&province_token)));
    // 10 November 2024, 09:30 in Vietnam: five days before the 2024 deadline.
    let paper_received = prost_types::Timestamp {
        seconds: 1_731_205_800,
        nanos: 0,
    };
    let mut paper = request(&new_id(), OLD_AGENCY, "2024", complete_report());
    paper.received_at = Some(paper_received);
    let receipt = province.submit_report(paper).await.unwrap().into_inner();
    assert!(receipt.received_at_asserted);
    assert_eq!(receipt.received_at, Some(paper_received));
    assert_eq!(receipt.timeliness(), Timeliness::OnTime);
    assert!(
        receipt
            .entered_by
            .starts_with("province nam-dinh (credential "),
        "{}",
        receipt.entered_by
    );
    let stored = app
        .submissions
        .clone()
        .get_submission(GetSubmissionRequest {
            submission_id: receipt.submission_id,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (
            stored.entered_by.as_str(),
            stored.received_at_asserted,
            stored.timeliness()
        ),
        (receipt.entered_by.as_str(), true, Timeliness::OnTime)
    );

    // Typed in without a time, it counts as received now: 2024's deadline is long past.
    let typed_now = province
        .submit_report(request(&new_id(), OLD_AGENCY, "2024", complete_report()))
        .await
        .unwrap()
        .into_inner();
    assert!(!typed_now.received_at_asserted);
    assert_eq!(typed_now.timeliness(), Timeliness::Late);
    assert_eq!(typed_now.entered_by, receipt.entered_by);

    // Not another province's agency; no time an agency asserts; no time in the future or before
    // the period began.
    let refused = province
        .submit_report(request(&new_id(), "bao-ha-nam", "2024", complete_report()))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::PermissionDenied);
    assert_eq!(error_reason(&refused), "OUT_OF_SCOPE");
    let mut asserted_by_agency = request(&new_id(), OLD_AGENCY, "2024", complete_report());
    asserted_by_agency.received_at = Some(paper_received);
    let refused = app.submit(asserted_by_agency).await.unwrap_err();
    assert_eq!(refused.code(), Code::PermissionDenied);
    assert_eq!(error_reason(&refused), "RECEIPT_TIME_NOT_ALLOWED");
    for (seconds, why) in [
        (4_102_444_800, "in the future"),     // 2100-01-01
        (1_700_000_000, "before its window"), // 2023-11-15, before 15 December 2023
    ] {
        let mut wrong = request(&new_id(), OLD_AGENCY, "2024", complete_report());
        wrong.received_at = Some(prost_types::Timestamp { seconds, nanos: 0 });
        let refused = province.submit_report(wrong).await.unwrap_err();
        assert_eq!(refused.code(), Code::InvalidArgument, "{why}");
        assert_eq!(violated_fields(&refused), ["received_at"], "{why}");
    }

    // The Ministry submits nothing live, but imports anyone's history: Báo Hà Nam's 2023 report,
    // received on 20 November 2023, after that year's deadline.
    let ministry = app.submissions.clone();
    let refused = ministry
        .clone()
        .submit_report(request(&new_id(), "bao-ha-nam", "2023", complete_report()))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::PermissionDenied);
    let mut history = request(&new_id(), "bao-ha-nam", "2023", complete_report());
    history.received_at = Some(prost_types::Timestamp {
        seconds: 1_700_449_200, // 2023-11-20 10:00 in Vietnam
        nanos: 0,
    });
    let answer = ministry
        .clone()
        .import_reports(tokio_stream::iter([history]))
        .await
        .unwrap()
        .into_inner()
        .message()
        .await
        .unwrap()
        .unwrap();
    let Some(Outcome::Receipt(imported)) = answer.outcome else {
        panic!("{answer:?}");
    };
    assert!(imported.received_at_asserted);
    assert_eq!(imported.timeliness(), Timeliness::Late);
    assert!(imported.entered_by.starts_with("ministry (credential "));

    // Every entry of the audit log still matches what it recorded.
    let verification = app.store().verify_audit().await.unwrap();
    assert_eq!(verification.problems, vec![]);
}

/// Plausibility warnings never refuse a report: an agency whose 2024 revenue is four times its
/// 2023 revenue (beyond the default catalogue's ×3) and whose converged newsroom went from yes to
/// no is accepted, with both warnings in its receipt (validate-only too) and in the stored
/// submission; a reviewer listing with_warnings finds it and not the clean 2023 report.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plausibility_warnings_are_returned_stored_and_listed_never_blocking() {
    let backend = crate::BACKEND;
    let app = TestApp::spawn(backend).await;
    let clean = app
        .submit(request("w-2023", OLD_AGENCY, "2023", complete_report()))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        clean.warnings,
        vec![],
        "a first report has nothing to compare with"
    );

    let mut unlikely = complete_report();
    unlikely.revenue_vnd = Some(4 * complete_report().revenue_vnd.unwrap());
    unlikely.converged_newsroom = Some(false);
    let expected = [
        ("report.revenue_vnd", "revenue_factor"),
        ("report.converged_newsroom", "converged_newsroom_dropped"),
    ];
    let fields_and_rules = |warnings: &[pressdx::proto::Warning]| {
        warnings
            .iter()
            .map(|warning| (warning.field.clone(), warning.rule.clone()))
            .collect::<Vec<_>>()
    };
    let expected: Vec<_> = expected
        .iter()
        .map(|(field, rule)| (field.to_string(), rule.to_string()))
        .collect();

    let mut validate_only = request("w-2024", OLD_AGENCY, "2024", unlikely.clone());
    validate_only.validate_only = true;
    let validated = app.submit(validate_only).await.unwrap().into_inner();
    assert!(validated.validated_only);
    assert_eq!(fields_and_rules(&validated.warnings), expected);

    let receipt = app
        .submit(request("w-2024", OLD_AGENCY, "2024", unlikely.clone()))
        .await
        .expect("warnings never refuse a report")
        .into_inner();
    assert!(receipt.submission_id > 0 && !receipt.validated_only);
    assert_eq!(fields_and_rules(&receipt.warnings), expected);
    assert!(
        receipt.warnings[0].message.contains("more than 3 times"),
        "{:?}",
        receipt.warnings[0]
    );
    assert!(receipt.warnings.iter().all(|w| w.message.contains("2023")));

    let mut client = app.agency(OLD_AGENCY).await;
    let stored = client
        .get_submission(GetSubmissionRequest {
            submission_id: receipt.submission_id,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(stored.warnings, receipt.warnings);
    assert_eq!(stored.report, Some(unlikely.clone()));

    // A retry replays the stored warnings.
    let replayed = app
        .submit(request("w-2024", OLD_AGENCY, "2024", unlikely))
        .await
        .unwrap()
        .into_inner();
    assert!(replayed.replayed);
    assert_eq!(replayed.warnings, receipt.warnings);

    let listed = app
        .submissions
        .clone()
        .list_submissions(ListSubmissionsRequest {
            with_warnings: true,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .submissions;
    let ids: Vec<_> = listed.iter().map(|s| s.submission_id).collect();
    assert_eq!(ids, vec![receipt.submission_id]);
    assert_eq!(listed[0].warnings, receipt.warnings);
    let everything = app
        .submissions
        .clone()
        .list_submissions(ListSubmissionsRequest::default())
        .await
        .unwrap()
        .into_inner()
        .submissions;
    assert_eq!(
        everything.len(),
        2,
        "the clean report is listed without the filter"
    );

    // The audit log still verifies with warnings stored.
    let verification = app.store().verify_audit().await.unwrap();
    assert_eq!(verification.problems, vec![]);
}
