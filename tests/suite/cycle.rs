//! The province's check-and-report cycle from end to end: an agency's warning, a return and a
//! correction, the accepting review, a closed period and a reopening, a paper report entered on
//! behalf, and the province's signed report to the Ministry, which stays as signed.

use pressdx::domain::access::Role;
use pressdx::proto::province_report_service_client::ProvinceReportServiceClient;
use pressdx::proto::review_service_client::ReviewServiceClient;
use pressdx::proto::submission_service_client::SubmissionServiceClient;
use pressdx::proto::summary_service_client::SummaryServiceClient;
use pressdx::proto::{
    CreateProvinceReportRequest, GetProvinceReportRequest, GetProvinceReportingStatusRequest,
    ListProvinceReportsRequest, ListTargetSummariesRequest, ProvinceReport, ProvinceReportState,
    ReopenPeriodRequest, ReviewDecision, ReviewReason, ReviewSubmissionRequest,
    SubmitProvinceReportRequest, TargetSummary, Timeliness, UpdateProvinceReportNarrativeRequest,
};
use prost::Message;
use sha2::{Digest, Sha256};
use tonic::Code;

use super::fixtures::{complete_report, error_reason, new_id, request, violated_fields};
use crate::common::{TEST_CATALOG, TestApp};

const PROVINCE: &str = "ninh-binh-2025";
/// A province formed with the new one, that never reports in this test.
const SILENT_PROVINCE: &str = "tinh-thu-nghiem";
const PLAN: &str = "national-348-qd-ttg";
/// The one press agency of the merged province in the default catalogue.
const AGENCY: &str = "bao-ptth-ninh-binh-2025";
/// Late: it reports after the period closed, once its province reopened it.
const LATE_AGENCY: &str = "tap-chi-thu-nghiem";
/// It sends a paper report that the province types in.
const PAPER_AGENCY: &str = "ban-tin-thu-nghiem";
const DEADLINE_2026: &str = "deadline = \"2026-11-15T00:00:00+07:00\"\n";
/// Five days after the 2026 deadline: in the past whenever this test runs.
const CLOSED_2026: &str = "closes_at = \"2026-11-20T00:00:00+07:00\"\n";

/// The test catalogue with two more agencies in the merged province, a second province, and
/// 2026 closed or not.
fn catalog(closed: bool) -> String {
    let closing = if closed { CLOSED_2026 } else { "" };
    let agency = |code: &str, name: &str| {
        format!(
            "\n[[organization]]\ncode = \"{code}\"\nkind = \"press_agency\"\nname = \"{name}\"\n\
             valid_from = \"2025-07-01\"\nprovince = \"{PROVINCE}\"\n\
             governing_body = \"tinh-uy-ninh-binh-2025\"\nagency_type = \"magazine\"\n\
             publishes_electronic_press = false\nnote = \"a test agency\"\nillustrative = true\n"
        )
    };
    format!(
        "{}{}{}\n[[organization]]\ncode = \"{SILENT_PROVINCE}\"\nkind = \"province\"\n\
         name = \"Tỉnh Thử nghiệm\"\nvalid_from = \"2025-07-01\"\nnote = \"a test province\"\n\
         illustrative = true\n",
        TEST_CATALOG.replace(DEADLINE_2026, &format!("{DEADLINE_2026}{closing}")),
        agency(LATE_AGENCY, "Tạp chí Thử nghiệm"),
        agency(PAPER_AGENCY, "Bản tin Thử nghiệm"),
    )
}

fn summary<'a>(summaries: &'a [TargetSummary], target: &str) -> &'a TargetSummary {
    summaries
        .iter()
        .find(|summary| summary.target_code == target)
        .unwrap_or_else(|| panic!("no summary of {target}"))
}

fn sha256_of(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let hex: String = digest.iter().map(|byte| format!("{byte:02x}")).collect();
    format!("sha256:{hex}")
}

/// The "done when", in order, on one server.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_province_checks_reports_and_signs_its_report_to_the_ministry() {
    let backend = crate::BACKEND;
    let app = TestApp::spawn(backend).await;
    app.apply_catalog(&catalog(false)).await;
    let province_token = app.token(Role::Province, Some(PROVINCE)).await;
    let mut review = ReviewServiceClient::new(app.connection(Some(&province_token)));
    let mut reports = ProvinceReportServiceClient::new(app.connection(Some(&province_token)));

    // An agency submits and gets a warning: its revenue quadrupled since 2025.
    app.submit(request(&new_id(), AGENCY, "2025", complete_report()))
        .await
        .unwrap();
    let mut quadrupled = complete_report();
    quadrupled.revenue_vnd = Some(100_000_000_000);
    let receipt = app
        .submit(request(&new_id(), AGENCY, "2026", quadrupled))
        .await
        .unwrap()
        .into_inner();
    let warned: Vec<(&str, &str)> = receipt
        .warnings
        .iter()
        .map(|warning| (warning.field.as_str(), warning.rule.as_str()))
        .collect();
    assert_eq!(warned, [("report.revenue_vnd", "revenue_factor")]);

    // The province returns it with a reason on that field; the agency corrects; the province
    // accepts the correction.
    review
        .review_submission(ReviewSubmissionRequest {
            submission_id: receipt.submission_id,
            decision: ReviewDecision::Return.into(),
            reasons: vec![ReviewReason {
                field: "report.revenue_vnd".into(),
                reason: "the audited accounts say 26 billion".into(),
            }],
        })
        .await
        .unwrap();
    let mut corrected = complete_report();
    corrected.revenue_vnd = Some(26_000_000_000);
    let correction = app
        .submit(request(&new_id(), AGENCY, "2026", corrected))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(correction.revision, 2);
    assert!(correction.warnings.is_empty(), "{:?}", correction.warnings);
    review
        .review_submission(ReviewSubmissionRequest {
            submission_id: correction.submission_id,
            decision: ReviewDecision::Accept.into(),
            reasons: vec![],
        })
        .await
        .unwrap();

    // The period closes: a late agency is refused; its province reopens the period for it, and
    // it submits.
    app.apply_catalog(&catalog(true)).await;
    let late = app
        .submit(request(&new_id(), LATE_AGENCY, "2026", complete_report()))
        .await
        .unwrap_err();
    assert_eq!(
        (late.code(), error_reason(&late).as_str()),
        (Code::FailedPrecondition, "PERIOD_CLOSED")
    );
    review
        .reopen_period(ReopenPeriodRequest {
            agency_code: LATE_AGENCY.into(),
            period_code: "2026".into(),
            until: Some(prost_types::Timestamp {
                seconds: chrono::Utc::now().timestamp() + 86_400,
                nanos: 0,
            }),
            reason: "its editor was ill".into(),
        })
        .await
        .unwrap();
    app.submit(request(&new_id(), LATE_AGENCY, "2026", complete_report()))
        .await
        .unwrap();

    // The province types in another agency's paper report, received on 10 November: the
    // period's closing and the deadline are judged on that date.
    let mut paper = request(&new_id(), PAPER_AGENCY, "2026", complete_report());
    paper.received_at = Some(prost_types::Timestamp {
        // 2026-11-10 09:00 in Vietnam.
        seconds: 1_794_276_000,
        nanos: 0,
    });
    let entered = SubmissionServiceClient::new(app.connection(Some(&province_token)))
        .submit_report(paper)
        .await
        .unwrap()
        .into_inner();
    assert!(entered.received_at_asserted);
    assert_eq!(entered.timeliness(), Timeliness::OnTime);
    assert!(
        entered
            .entered_by
            .starts_with(&format!("province {PROVINCE} (credential ")),
        "{}",
        entered.entered_by
    );

    // The province drafts its report: every target of the plan for the province, as the
    // summaries serve them at that moment, and the reporting status with its review counts.
    let draft = reports
        .create_province_report(CreateProvinceReportRequest {
            plan_code: PLAN.into(),
            period_code: "2026".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (draft.province_code.as_str(), draft.version, draft.state()),
        (PROVINCE, 1, ProvinceReportState::Draft)
    );
    let content = draft.content.clone().unwrap();
    let live = |app: &TestApp| {
        let token = province_token.clone();
        let channel = app.connection(Some(&token));
        async move {
            SummaryServiceClient::new(channel)
                .list_target_summaries(ListTargetSummariesRequest {
                    plan_code: PLAN.into(),
                    period_code: "2026".into(),
                    ..Default::default()
                })
                .await
                .unwrap()
                .into_inner()
        }
    };
    let served = live(&app).await;
    assert_eq!(content.data_as_of, served.data_as_of);
    assert_eq!(content.summaries, served.summaries);
    // Worked out by hand: three agencies, each with content on digital platforms and 50 of 80
    // people trained.
    let platforms = summary(&content.summaries, "content_on_digital_platforms");
    assert_eq!((platforms.numerator, platforms.denominator), (3, 3));
    let trained = summary(&content.summaries, "staff_trained");
    assert_eq!((trained.numerator, trained.denominator), (150, 240));
    let status = content.reporting_status.as_ref().unwrap();
    assert_eq!(
        (
            status.expected,
            status.missing,
            status.accepted,
            status.awaiting_review,
            status.returned
        ),
        (3, 0, 1, 2, 0)
    );
    assert_eq!(draft.content_hash, sha256_of(&draft.signed_content));

    // The narrative; signing needs the hash of the draft as read.
    let written = reports
        .update_province_report_narrative(UpdateProvinceReportNarrativeRequest {
            id: draft.id,
            results: Some("Ba cơ quan báo chí đã đưa nội dung lên nền tảng số.".into()),
            difficulties: Some("Thiếu nhân lực kỹ thuật.".into()),
            proposals: Some("Đề nghị Bộ hỗ trợ đào tạo.".into()),
        })
        .await
        .unwrap()
        .into_inner();
    assert_ne!(written.content_hash, draft.content_hash);
    let too_long = reports
        .update_province_report_narrative(UpdateProvinceReportNarrativeRequest {
            id: draft.id,
            results: Some("x".repeat(20_001)),
            proposals: Some("y".repeat(20_001)),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&too_long), ["results", "proposals"]);
    let stale = reports
        .submit_province_report(SubmitProvinceReportRequest {
            id: draft.id,
            content_hash: draft.content_hash.clone(),
        })
        .await
        .unwrap_err();
    assert_eq!(
        (stale.code(), error_reason(&stale).as_str()),
        (Code::FailedPrecondition, "DRAFT_CHANGED")
    );
    let signed = reports
        .submit_province_report(SubmitProvinceReportRequest {
            id: draft.id,
            content_hash: written.content_hash.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(signed.state(), ProvinceReportState::Submitted);
    assert_eq!(signed.content_hash, written.content_hash);
    assert_eq!(signed.signed_content, written.signed_content);
    assert!(signed.submitted_by.starts_with("province ninh-binh-2025"));
    let deadline = signed.deadline.unwrap();
    // 15 December 2026 00:00 in Vietnam.
    assert_eq!(deadline.seconds, 1_797_267_600);
    let expected_timeliness = if chrono::Utc::now().timestamp() <= deadline.seconds {
        Timeliness::OnTime
    } else {
        Timeliness::Late
    };
    assert_eq!(signed.timeliness(), expected_timeliness);
    // A retried submit is the same signature; a signed report is never written again.
    let retried = reports
        .submit_province_report(SubmitProvinceReportRequest {
            id: draft.id,
            content_hash: signed.content_hash.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(retried, signed);
    let refused = reports
        .update_province_report_narrative(UpdateProvinceReportNarrativeRequest {
            id: draft.id,
            results: Some("changed after signing".into()),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(error_reason(&refused), "REPORT_SUBMITTED");

    // A later submission changes the live figures and leaves the signed report as signed.
    let mut dropped = complete_report();
    dropped.content_on_digital_platforms = Some(false);
    dropped.digital_platforms.clear();
    app.submit(request(&new_id(), LATE_AGENCY, "2026", dropped))
        .await
        .unwrap();
    let now_served = live(&app).await;
    let platforms_now = summary(&now_served.summaries, "content_on_digital_platforms");
    assert_eq!((platforms_now.numerator, platforms_now.denominator), (2, 3));
    let read_later = reports
        .get_province_report(GetProvinceReportRequest {
            id: signed.id,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(read_later.signed_content, signed.signed_content);
    assert_eq!(read_later.content, signed.content);
    assert_eq!(
        read_later.content_hash,
        sha256_of(&read_later.signed_content)
    );

    // A correction is a new version, with a reason, starting from the signed narrative.
    let no_reason = reports
        .create_province_report(CreateProvinceReportRequest {
            plan_code: PLAN.into(),
            period_code: "2026".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&no_reason), ["correction_reason"]);
    let version_2 = reports
        .create_province_report(CreateProvinceReportRequest {
            plan_code: PLAN.into(),
            period_code: "2026".into(),
            correction_reason: "Tạp chí Thử nghiệm corrected its report".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let version_2_content = version_2.content.clone().unwrap();
    assert_eq!(version_2.version, 2);
    assert_eq!(
        version_2_content.narrative,
        signed.content.as_ref().unwrap().narrative
    );
    assert_eq!(
        summary(&version_2_content.summaries, "content_on_digital_platforms").numerator,
        2
    );

    // Drafting again refreshes the draft: same version, narrative and reason kept. Counting
    // accepted reports only, two of the three agencies count as not reported.
    let refreshed = reports
        .create_province_report(CreateProvinceReportRequest {
            plan_code: PLAN.into(),
            period_code: "2026".into(),
            accepted_only: true,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let refreshed_content = refreshed.content.clone().unwrap();
    assert_eq!((refreshed.id, refreshed.version), (version_2.id, 2));
    assert_eq!(refreshed_content.narrative, version_2_content.narrative);
    assert_eq!(
        refreshed_content.correction_reason,
        "Tạp chí Thử nghiệm corrected its report"
    );
    assert!(refreshed_content.accepted_only);
    let accepted_platforms = summary(&refreshed_content.summaries, "content_on_digital_platforms");
    assert_eq!(
        (accepted_platforms.numerator, accepted_platforms.denominator),
        (1, 3)
    );

    // The Ministry: this province submitted, the other is missing; it reads version 1 (version
    // 2 is a draft, which the Ministry does not see).
    let ministry_token = app.token(Role::Ministry, None).await;
    let mut ministry = ProvinceReportServiceClient::new(app.connection(Some(&ministry_token)));
    let status = ministry
        .get_province_reporting_status(GetProvinceReportingStatusRequest {
            plan_code: PLAN.into(),
            period_code: "2026".into(),
        })
        .await
        .unwrap()
        .into_inner();
    let lines: Vec<(&str, bool, i32)> = status
        .provinces
        .iter()
        .map(|line| {
            (
                line.province_code.as_str(),
                line.submitted,
                line.latest_version,
            )
        })
        .collect();
    assert_eq!(lines, [(PROVINCE, true, 1), (SILENT_PROVINCE, false, 0)]);
    assert_eq!((status.expected, status.missing), (2, 1));
    assert_eq!(
        status.submitted_on_time + status.submitted_late,
        1,
        "{status:?}"
    );
    let seen: ProvinceReport = ministry
        .get_province_report(GetProvinceReportRequest {
            province_code: PROVINCE.into(),
            plan_code: PLAN.into(),
            period_code: "2026".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!((seen.id, seen.version), (signed.id, 1));
    assert_eq!(seen.signed_content, signed.signed_content);
    let draft_refused = ministry
        .get_province_report(GetProvinceReportRequest {
            id: version_2.id,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(error_reason(&draft_refused), "OUT_OF_SCOPE");
    let listed = ministry
        .list_province_reports(ListProvinceReportsRequest::default())
        .await
        .unwrap()
        .into_inner();
    let versions: Vec<i32> = listed.reports.iter().map(|report| report.version).collect();
    assert_eq!(versions, [1]);
    assert!(listed.reports[0].signed_content.is_empty() && listed.reports[0].content.is_none());

    // Another province neither reads nor writes it.
    let stranger = app.token(Role::Province, Some(SILENT_PROVINCE)).await;
    let mut stranger = ProvinceReportServiceClient::new(app.connection(Some(&stranger)));
    let status = stranger
        .get_province_report(GetProvinceReportRequest {
            id: signed.id,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(error_reason(&status), "OUT_OF_SCOPE");
    let status = stranger
        .create_province_report(CreateProvinceReportRequest {
            province_code: PROVINCE.into(),
            plan_code: PLAN.into(),
            period_code: "2026".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(error_reason(&status), "OUT_OF_SCOPE");

    // The decoded content is what the bytes say.
    let decoded =
        pressdx::proto::ProvinceReportContent::decode(seen.signed_content.as_slice()).unwrap();
    assert_eq!(Some(decoded), seen.content);

    // Every write is in the audit log, and a signed report altered behind pressdx's back is
    // caught.
    let verification = app.store().verify_audit().await.unwrap();
    assert!(
        verification.problems.is_empty(),
        "{:?}",
        verification.problems
    );
    let database = sea_orm::Database::connect(&app.database_url).await.unwrap();
    use sea_orm::ConnectionTrait;
    database
        .execute_unprepared(&format!(
            "UPDATE province_report SET correction_reason = 'edited' WHERE id = {}",
            signed.id
        ))
        .await
        .unwrap();
    database.close().await.unwrap();
    let problems: Vec<String> = app
        .store()
        .verify_audit()
        .await
        .unwrap()
        .problems
        .into_iter()
        .map(|problem| problem.problem)
        .collect();
    assert_eq!(
        problems,
        [format!(
            "province report {} ({PROVINCE} {PLAN} 2026 version 1) no longer says what this \
             entry recorded",
            signed.id
        )]
    );
}
