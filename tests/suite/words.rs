//! The contract's words, each on a case worked out by hand that would fail under the other
//! reading (issue 21): the order checks are made in, the words the recomputation found open in
//! the summaries and reviews, and what `pressdx audit verify` says of the audit chain's head and
//! of the counters.

use pressdx::domain::access::Role;
use pressdx::proto::agency_plan_service_client::AgencyPlanServiceClient;
use pressdx::proto::province_report_service_client::ProvinceReportServiceClient;
use pressdx::proto::review_service_client::ReviewServiceClient;
use pressdx::proto::scope_absence::Reason;
use pressdx::proto::{
    Boundaries, CreateProvinceReportRequest, GetAgencyPlanRequest, GetProvinceReportRequest,
    GetTargetSummaryRequest, ReopenPeriodRequest, ReviewDecision, ReviewSubmissionRequest,
    SubmitReportRequest, TargetStatus,
};
use sea_orm::{ConnectionTrait, Database, Statement};
use tonic::Code;

use super::fixtures::{
    NEW_AGENCY, OLD_AGENCY, complete_report, error_reason, new_id, request, violated_fields,
};
use crate::common::{Backend, TEST_CATALOG, TestApp};

const PROVINCE: &str = "ninh-binh-2025";
const NATIONAL_PLAN: &str = "national-348-qd-ttg";

/// Item 10, and GetProvinceReport's words: reach is checked before a plan's existence, and a
/// correction reason is refused while nothing was submitted (a first draft taken afresh too).
pub async fn checks_come_in_the_order_the_proto_states(backend: Backend) {
    let app = TestApp::spawn(backend).await;

    // GetAgencyPlan for an unknown plan: a province that does not reach the agency is refused
    // before it learns whether the plan exists; one that reaches it learns the plan is unknown.
    let ended_province = app.token(Role::Province, Some("ha-nam")).await;
    let asked = GetAgencyPlanRequest {
        agency_code: NEW_AGENCY.into(),
        plan_code: "no-such-plan".into(),
        revision: 0,
    };
    let refused = AgencyPlanServiceClient::new(app.connection(Some(&ended_province)))
        .get_agency_plan(asked.clone())
        .await
        .unwrap_err();
    assert_eq!(
        (refused.code(), error_reason(&refused).as_str()),
        (Code::PermissionDenied, "OUT_OF_SCOPE")
    );
    let province_token = app.token(Role::Province, Some(PROVINCE)).await;
    let unknown = AgencyPlanServiceClient::new(app.connection(Some(&province_token)))
        .get_agency_plan(asked)
        .await
        .unwrap_err();
    assert_eq!(
        (unknown.code(), error_reason(&unknown).as_str()),
        (Code::NotFound, "PLAN_NOT_FOUND")
    );

    // A first draft with a reason, and a first draft taken afresh with one: nothing was
    // submitted, so there is nothing to correct.
    let mut reports = ProvinceReportServiceClient::new(app.connection(Some(&province_token)));
    let create = |reason: &str| CreateProvinceReportRequest {
        plan_code: NATIONAL_PLAN.into(),
        period_code: "2026".into(),
        correction_reason: reason.into(),
        ..Default::default()
    };
    let refused = reports
        .create_province_report(create("a typo"))
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&refused), ["correction_reason"]);
    let draft = reports
        .create_province_report(create(""))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(draft.version, 1);
    let refused = reports
        .create_province_report(create("a typo"))
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&refused), ["correction_reason"]);
    let refreshed = reports
        .create_province_report(create(""))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(refreshed.version, 1);
    assert!(refreshed.content.unwrap().correction_reason.is_empty());

    // Asked by province, plan and period: another province is out of reach whether or not it
    // has a report; the province's own missing version is NOT_FOUND.
    let by_series = |province: &str, version: i32| GetProvinceReportRequest {
        province_code: province.into(),
        plan_code: NATIONAL_PLAN.into(),
        period_code: "2026".into(),
        version,
        ..Default::default()
    };
    let refused = reports
        .get_province_report(by_series("ha-nam", 0))
        .await
        .unwrap_err();
    assert_eq!(
        (refused.code(), error_reason(&refused).as_str()),
        (Code::PermissionDenied, "OUT_OF_SCOPE")
    );
    let missing = reports
        .get_province_report(by_series(PROVINCE, 2))
        .await
        .unwrap_err();
    assert_eq!(
        (missing.code(), error_reason(&missing).as_str()),
        (Code::NotFound, "PROVINCE_REPORT_NOT_FOUND")
    );

    // An empty SubmitReport is an incomplete request, not an unknown period.
    let empty = app
        .agency(OLD_AGENCY)
        .await
        .submit_report(SubmitReportRequest::default())
        .await
        .unwrap_err();
    assert_eq!(error_reason(&empty), "REQUEST_INVALID");
    assert_eq!(
        violated_fields(&empty),
        ["request_id", "period_code", "agency_code", "report"]
    );
}

/// Item 13 in summary.proto: an ended scope keeps its own trend and history, the next milestone
/// is given whichever step decides, and a future as_of is a date like any other.
pub async fn summaries_read_as_the_proto_words_them(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    // The old Nam Định's agencies on 2024-12-14: Báo Nam Định and Đài PT-TH Nam Định. Báo Nam
    // Định distributes content on digital platforms: 1 of 2.
    app.submit(request(&new_id(), OLD_AGENCY, "2024", complete_report()))
        .await
        .unwrap();
    let mut summaries = app.summaries.clone();
    let ask = |period: &str, scope: &str| GetTargetSummaryRequest {
        plan_code: NATIONAL_PLAN.into(),
        target_code: "content_on_digital_platforms".into(),
        period_code: period.into(),
        scope: scope.into(),
        ..Default::default()
    };

    // 2024: 1/2 = 50% meets the 50% required: ACHIEVED, and the next milestone is 2025's 70%.
    let achieved = summaries
        .get_target_summary(ask("2024", "province:nam-dinh"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(achieved.status(), TargetStatus::Achieved);
    assert_eq!(
        (achieved.next_milestone_year, achieved.next_milestone_share),
        (2025, 0.7)
    );
    // 2025: the province had ended (2025-07-01), so it covers nothing: NO_DATA. Its own 2024 is
    // its previous share and its history; the next milestone is 2030's 100%.
    let ended = summaries
        .get_target_summary(ask("2025", "province:nam-dinh"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(ended.status(), TargetStatus::NoData);
    assert_eq!(ended.expected_agencies, 0);
    let absence = ended.scope_resolution.clone().unwrap().absence.unwrap();
    assert_eq!(
        (absence.date.as_str(), absence.reason()),
        ("2025-12-14", Reason::Ended)
    );
    assert_eq!(ended.previous_share, Some(0.5));
    let history: Vec<(i32, i64, i64)> = ended
        .history
        .iter()
        .map(|year| (year.year, year.numerator, year.denominator))
        .collect();
    assert_eq!(history, [(2024, 1, 2)]);
    assert_eq!(
        (ended.next_milestone_year, ended.next_milestone_share),
        (2030, 1.0)
    );

    // A future as_of is read as any date; one that is not a date is INVALID_ARGUMENT.
    let future = summaries
        .get_target_summary(GetTargetSummaryRequest {
            boundaries: Boundaries::Current.into(),
            as_of: "2099-01-01".into(),
            ..ask("2024", &format!("province:{PROVINCE}"))
        })
        .await
        .unwrap()
        .into_inner();
    let resolution = future.scope_resolution.unwrap();
    assert_eq!(resolution.as_of, "2099-01-01");
    assert!(resolution.absence.is_none());
    // The new Ninh Bình as it stands in 2099 back-cast to 2024: the three old provinces'
    // agencies, Báo Nam Định's content among them.
    assert_eq!(future.numerator, 1);
    for malformed in ["not-a-date", "2026-02-30"] {
        let refused = summaries
            .get_target_summary(GetTargetSummaryRequest {
                boundaries: Boundaries::Current.into(),
                as_of: malformed.into(),
                ..ask("2024", &format!("province:{PROVINCE}"))
            })
            .await
            .unwrap_err();
        assert_eq!(refused.code(), Code::InvalidArgument, "{malformed}");
        assert_eq!(violated_fields(&refused), ["as_of"], "{malformed}");
    }
}

/// Item 13 in review.proto and item 14: the successor province reviews and reopens its
/// predecessor's agencies' earlier reports; reviews and reopenings are recorded with one
/// "sha256:"; a replaced head and edited counters are named by `audit verify`.
pub async fn a_successor_reviews_and_verify_names_every_counter(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    // 2024 closed at the start of 2025, so that it can be reopened.
    let closing_2024 = TEST_CATALOG.replace(
        "window_end = \"2024-12-14\"\n",
        "window_end = \"2024-12-14\"\ncloses_at = \"2025-01-01T00:00:00+07:00\"\n",
    );
    assert_ne!(closing_2024, *TEST_CATALOG);
    app.apply_catalog(&closing_2024).await;
    // Báo Nam Định's 2024 report comes after 2024 closed: refused until its province reopens
    // the period. Its province is the new Ninh Bình now, which continues the old Nam Định.
    let refused = app
        .submit(request(&new_id(), OLD_AGENCY, "2024", complete_report()))
        .await
        .unwrap_err();
    assert_eq!(
        (refused.code(), error_reason(&refused).as_str()),
        (Code::FailedPrecondition, "PERIOD_CLOSED")
    );
    let province_token = app.token(Role::Province, Some(PROVINCE)).await;
    let mut successor = ReviewServiceClient::new(app.connection(Some(&province_token)));
    let tomorrow = chrono::Utc::now().timestamp() + 86_400;
    let reopening = successor
        .reopen_period(ReopenPeriodRequest {
            agency_code: OLD_AGENCY.into(),
            period_code: "2024".into(),
            until: Some(prost_types::Timestamp {
                seconds: tomorrow,
                nanos: 0,
            }),
            reason: "the 2024 report of a merged agency".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(reopening.agency_code, OLD_AGENCY);
    let receipt = app
        .submit(request(&new_id(), OLD_AGENCY, "2024", complete_report()))
        .await
        .unwrap()
        .into_inner();
    successor
        .review_submission(ReviewSubmissionRequest {
            submission_id: receipt.submission_id,
            decision: ReviewDecision::Accept.into(),
            reasons: vec![],
        })
        .await
        .unwrap();
    // Another province never reaches it.
    let stranger = app.token(Role::Province, Some("ha-nam")).await;
    let refused = ReviewServiceClient::new(app.connection(Some(&stranger)))
        .review_submission(ReviewSubmissionRequest {
            submission_id: receipt.submission_id,
            decision: ReviewDecision::Accept.into(),
            reasons: vec![],
        })
        .await
        .unwrap_err();
    assert_eq!(error_reason(&refused), "OUT_OF_SCOPE");

    let verification = app.store().verify_audit().await.unwrap();
    assert_eq!(verification.problems, vec![]);

    let database = Database::connect(&app.database_url).await.unwrap();
    let one = |sql: String| {
        let database = database.clone();
        async move {
            database
                .query_one_raw(Statement::from_string(database.get_database_backend(), sql))
                .await
                .unwrap()
                .unwrap()
                .try_get_by_index::<String>(0)
                .unwrap()
        }
    };
    let run = |sql: String| {
        let database = database.clone();
        async move { database.execute_unprepared(&sql).await.unwrap() }
    };
    // "sha256:" once, then 64 hex digits.
    for subject in ["review 1", "reopening 1"] {
        let hash = one(format!(
            "SELECT content_hash FROM audit_entry WHERE subject = '{subject}'"
        ))
        .await;
        let hex = hash.strip_prefix("sha256:").unwrap_or_default();
        assert!(
            hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()),
            "{subject}: {hash}"
        );
    }

    // The head replaced: what differs is named, the head's hash.
    let head = one("SELECT audit_head FROM counters WHERE id = 1".into()).await;
    let head_seq = verification.entries;
    run("UPDATE counters SET audit_head = 'sha256:forged' WHERE id = 1".into()).await;
    let problems = app.store().verify_audit().await.unwrap().problems;
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0].problem.starts_with(&format!(
            "the counters row says the chain's head, entry {head_seq}, hashes to \"sha256:forged\", \
             but entry {head_seq} hashes to {head}"
        )),
        "{problems:?}"
    );
    run(format!(
        "UPDATE counters SET audit_head = '{head}' WHERE id = 1"
    ))
    .await;

    // By hand. Catalogue imports: the test catalogue at start, then the one closing 2024: 2.
    // Credentials: the harness's Ministry token, Báo Nam Định's, the two provinces': 4. Both were
    // 0 when the new database recorded them, in its first entry.
    let key = one("SELECT page_token_key FROM counters WHERE id = 1".into()).await;
    let edits = [
        (
            "UPDATE counters SET catalog_revision = 0 WHERE id = 1".to_string(),
            "UPDATE counters SET catalog_revision = 2 WHERE id = 1".to_string(),
            "the counters row says catalog_revision is 0, but the chain says 2 (0 when this \
             entry recorded it, and 2 catalogue imports since)",
        ),
        (
            "UPDATE counters SET credential_revision = 9 WHERE id = 1".to_string(),
            "UPDATE counters SET credential_revision = 4 WHERE id = 1".to_string(),
            "the counters row says credential_revision is 9, but the chain says 4 (0 when this \
             entry recorded it, and 4 credentials created or revoked since)",
        ),
        (
            format!(
                "UPDATE counters SET page_token_key = '{}' WHERE id = 1",
                "ab".repeat(32)
            ),
            format!("UPDATE counters SET page_token_key = '{key}' WHERE id = 1"),
            "the counters row's page_token_key is not the page token key this entry recorded",
        ),
    ];
    for (edit, undo, named) in edits {
        run(edit.clone()).await;
        let problems = app.store().verify_audit().await.unwrap().problems;
        assert_eq!(problems.len(), 1, "{edit}: {problems:?}");
        assert_eq!(problems[0].seq, Some(1), "{edit}: {problems:?}");
        assert!(
            problems[0].problem.starts_with(named),
            "{edit}: {problems:?}"
        );
        run(undo).await;
        assert_eq!(app.store().verify_audit().await.unwrap().problems, vec![]);
    }
    database.close().await.ok();
}
