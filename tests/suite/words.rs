//! The contract's words, each on a case worked out by hand that would fail under the other
//! reading (issue 21, items 8, 9, 10, 13 and 14): what a self-assessment reads as once the
//! catalogue moves on, every violation at once, the order checks are made in, the words the
//! recomputation found open, and what `pressdx audit verify` says of the counters.

use pressdx::domain::access::Role;
use pressdx::proto::agency_plan_service_client::AgencyPlanServiceClient;
use pressdx::proto::maturity_service_client::MaturityServiceClient;
use pressdx::proto::province_report_service_client::ProvinceReportServiceClient;
use pressdx::proto::review_service_client::ReviewServiceClient;
use pressdx::proto::scope_absence::Reason;
use pressdx::proto::{
    AppraiseSelfAssessmentRequest, Boundaries, CompareMaturityResultsRequest,
    CreateProvinceReportRequest, CriterionAnswer, EvidenceReference, GetAgencyPlanRequest,
    GetMaturityResultsRequest, GetProvinceReportRequest, GetSelfAssessmentRequest,
    GetTargetSummaryRequest, ReopenPeriodRequest, ReviewDecision, ReviewSubmissionRequest,
    SubmitReportRequest, SubmitSelfAssessmentRequest, TargetStatus, criterion_answer::Answer,
};
use sea_orm::{ConnectionTrait, Database, Statement};
use tonic::Code;

use super::fixtures::{
    NEW_AGENCY, OLD_AGENCY, complete_report, error_reason, new_id, request, violated_fields,
};
use crate::common::{TEST_CATALOG, TestApp};

const PROVINCE: &str = "ninh-binh-2025";
const NATIONAL_PLAN: &str = "national-348-qd-ttg";

/// A 10-point framework for 2026 and 2027 whose order is not its codes' order: P1.C1.9 (a yes/no
/// worth 4) comes before P1.C1.10 (graded: none 0, some 1, full 2), then P2.C1.1 (a share in
/// bands: below 50 scores 0, 50 to 80 scores 2, from 80 scores 4). By code, "P1.C1.10" sorts
/// before "P1.C1.9". Levels from 0, 5 and 8; every agency type in one block.
const FRAMEWORK: &str = r#"
[[maturity_framework]]
code = "W2026"
name = "A framework listed out of code order"
periods = ["2026", "2027"]
points = 10
pillar = [{ code = "P1", name = "One", points = 6 }, { code = "P2", name = "Two", points = 4 }]
component = [
  { code = "P1.C1", pillar = "P1", name = "c1" },
  { code = "P2.C1", pillar = "P2", name = "c2" },
]
level = [
  { rank = 1, name = "Weak", from = 0 },
  { rank = 2, name = "Fair", from = 5 },
  { rank = 3, name = "Good", from = 8 },
]
block = [{ code = "all", name = "All", agency_types = [
  "central_newspaper", "local_newspaper", "magazine", "scientific_journal",
  "radio_tv", "local_newspaper_radio_tv",
] }]
criterion = [
  { code = "P1.C1.9", component = "P1.C1", label = "a", points = 4, scoring = "yes_no" },
  { code = "P1.C1.10", component = "P1.C1", label = "b", points = 2, scoring = "graded", choices = [
    { code = "none", points = 0 }, { code = "some", points = 1 }, { code = "full", points = 2 },
  ] },
  { code = "P2.C1.1", component = "P2.C1", label = "c", points = 4, scoring = "numeric_bands", unit = "%", bands = [
    { from = 0, until = 50, points = 0 }, { from = 50, until = 80, points = 2 }, { from = 80, points = 4 },
  ] },
]
"#;

fn answer(criterion: &str, answer: Answer) -> CriterionAnswer {
    CriterionAnswer {
        criterion_code: criterion.into(),
        answer: Some(answer),
    }
}

fn evidence(criterion: &str) -> EvidenceReference {
    EvidenceReference {
        criterion_code: criterion.into(),
        title: format!("Evidence of {criterion}"),
        link: "https://example.vn/evidence.pdf".into(),
        document_id: String::new(),
        sha256: "ef".repeat(32),
    }
}

/// NEW_AGENCY's self-assessment: the answers and evidence sent in code order, the share as
/// given.
fn assessment(
    request_id: &str,
    period: &str,
    choice: &str,
    share: &str,
) -> SubmitSelfAssessmentRequest {
    SubmitSelfAssessmentRequest {
        request_id: request_id.into(),
        agency_code: NEW_AGENCY.into(),
        period_code: period.into(),
        framework_code: "W2026".into(),
        answers: vec![
            answer("P1.C1.10", Answer::Choice(choice.into())),
            answer("P1.C1.9", Answer::Yes(true)),
            answer("P2.C1.1", Answer::Number(share.into())),
        ],
        evidence: vec![
            EvidenceReference {
                // Both a link and a document id: both are kept.
                document_id: "QD-17/2026".into(),
                ..evidence("P1.C1.10")
            },
            evidence("P1.C1.9"),
            evidence("P2.C1.1"),
        ],
        validate_only: false,
    }
}

fn codes_of(answers: &[CriterionAnswer]) -> Vec<&str> {
    answers
        .iter()
        .map(|answer| answer.criterion_code.as_str())
        .collect()
}

/// Items 8, 9 and 13 on self-assessments: names, order, a number's form, both evidence
/// references, every violation at once, a comparison's totals and baseline absence, and a
/// revision that no longer fits the catalogue read (never INTERNAL), counted as none and not
/// appraised.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_self_assessment_reads_as_the_proto_words_it() {
    let backend = crate::BACKEND;
    let app = TestApp::spawn(backend).await;
    app.apply_catalog(&format!("{TEST_CATALOG}\n{FRAMEWORK}"))
        .await;
    let token = app.agency_token(NEW_AGENCY).await;
    let mut agency = MaturityServiceClient::new(app.connection(Some(&token)));
    let province_token = app.token(Role::Province, Some(PROVINCE)).await;
    let mut council = MaturityServiceClient::new(app.connection(Some(&province_token)));
    let mut ministry = MaturityServiceClient::new(app.connection(Some(&app.ministry_token)));

    // A yes for the graded criterion is named by the oneof's field, "yes".
    let mut wrong_kind = assessment(&new_id(), "2026", "some", "72.50");
    wrong_kind.answers[0] = answer("P1.C1.10", Answer::Yes(true));
    let refused = agency.submit_self_assessment(wrong_kind).await.unwrap_err();
    assert_eq!(violated_fields(&refused), ["answers[P1.C1.10].yes"]);

    // By hand: yes 4 + "some" 1 + 72.50% in the middle band 2 = 7 of 10, level 2 (from 5).
    let request_id = new_id();
    let first = agency
        .submit_self_assessment(assessment(&request_id, "2026", "some", "72.50"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(first.score.as_ref().unwrap().total_hundredths, 700);
    // "72.5" is the same answer as "72.50": the same content, the same hash, a replay.
    let replayed = agency
        .submit_self_assessment(assessment(&request_id, "2026", "some", "72.5"))
        .await
        .unwrap()
        .into_inner();
    assert!(replayed.replayed, "{replayed:?}");
    assert_eq!(
        (replayed.id, &replayed.content_hash),
        (first.id, &first.content_hash)
    );
    let mut as_validated = assessment(&new_id(), "2026", "some", "72.5");
    as_validated.validate_only = true;
    let validated = agency
        .submit_self_assessment(as_validated)
        .await
        .unwrap()
        .into_inner();
    assert_eq!(validated.content_hash, first.content_hash);

    // Appraised out of code order: P1.C1.10 first, then P1.C1.9.
    let appraise = |criterion: &str, points: &str| AppraiseSelfAssessmentRequest {
        self_assessment_id: first.id,
        criterion_code: criterion.into(),
        points: points.into(),
        reason: "checked against the minutes".into(),
    };
    // An unknown criterion and points with three decimals: both named.
    let refused = council
        .appraise_self_assessment(appraise("P9.C9.9", "1.255"))
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&refused), ["criterion_code", "points"]);
    for (criterion, points) in [("P1.C1.10", "2"), ("P1.C1.9", "2")] {
        council
            .appraise_self_assessment(appraise(criterion, points))
            .await
            .unwrap();
    }

    let latest = |period: &str| GetSelfAssessmentRequest {
        agency_code: NEW_AGENCY.into(),
        period_code: period.into(),
        revision: 0,
    };
    let read = agency
        .get_self_assessment(latest("2026"))
        .await
        .unwrap()
        .into_inner();
    // The framework's order, not the codes'.
    assert_eq!(codes_of(&read.answers), ["P1.C1.9", "P1.C1.10", "P2.C1.1"]);
    let evidence_codes: Vec<&str> = read
        .evidence
        .iter()
        .map(|evidence| evidence.criterion_code.as_str())
        .collect();
    assert_eq!(evidence_codes, ["P1.C1.9", "P1.C1.10", "P2.C1.1"]);
    let appraised: Vec<&str> = read
        .appraisals
        .iter()
        .map(|appraisal| appraisal.criterion_code.as_str())
        .collect();
    assert_eq!(appraised, ["P1.C1.9", "P1.C1.10"]);
    // The number in its shortest form; both the link and the document id kept.
    assert_eq!(read.answers[2].answer, Some(Answer::Number("72.5".into())));
    assert_eq!(
        (
            read.evidence[1].link.as_str(),
            read.evidence[1].document_id.as_str()
        ),
        ("https://example.vn/evidence.pdf", "QD-17/2026")
    );
    // Final: 2 + 2 + 2 = 6, with the self-assessed 7 beside it; nothing misfits.
    assert_eq!(read.final_score.as_ref().unwrap().total_hundredths, 600);
    assert!(read.misfits.is_empty());

    // Every violation of the first group at once.
    let refused = ministry
        .get_maturity_results(GetMaturityResultsRequest {
            period_code: String::new(),
            scope: format!("province:{PROVINCE}"),
            boundaries: Boundaries::Historical.into(),
            as_of: "2026-01-01".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&refused), ["period_code", "as_of"]);
    let refused = ministry
        .compare_maturity_results(CompareMaturityResultsRequest {
            as_of: "2026-01-01".into(),
            ..CompareMaturityResultsRequest::default()
        })
        .await
        .unwrap_err();
    assert_eq!(
        violated_fields(&refused),
        ["period_code", "baseline_period_code", "as_of"]
    );

    // 2027 against 2026 under one framework: only 2026 has an assessed agency, final total 6.
    // Each side's mean is its own: the baseline's is set, the period's and the change are not.
    let compare = |scope: &str| CompareMaturityResultsRequest {
        period_code: "2027".into(),
        baseline_period_code: "2026".into(),
        scope: scope.into(),
        boundaries: Boundaries::Historical.into(),
        as_of: String::new(),
    };
    let compared = ministry
        .compare_maturity_results(compare(&format!("province:{PROVINCE}")))
        .await
        .unwrap()
        .into_inner();
    assert_eq!((compared.assessed, compared.baseline_assessed), (0, 1));
    assert_eq!(
        (
            compared.mean_total_hundredths,
            compared.baseline_mean_total_hundredths,
            compared.mean_total_change_hundredths
        ),
        (None, Some(600), None)
    );
    // The old Nam Định ended on 2025-07-01, before both reference dates: each side's absence is
    // dated its own period's, the baseline's 2026-12-14, with the new Ninh Bình standing for it.
    let ended = ministry
        .compare_maturity_results(compare("province:nam-dinh"))
        .await
        .unwrap()
        .into_inner();
    let absence_of = |resolution: Option<pressdx::proto::ScopeResolution>| {
        let absence = resolution.unwrap().absence.unwrap();
        let reason = absence.reason();
        (absence.date, reason, absence.instead_codes)
    };
    assert_eq!(
        absence_of(ended.scope_resolution),
        (
            "2027-12-14".to_string(),
            Reason::Ended,
            vec![PROVINCE.to_string()]
        )
    );
    assert_eq!(
        absence_of(ended.baseline_scope_resolution),
        (
            "2026-12-14".to_string(),
            Reason::Ended,
            vec![PROVINCE.to_string()]
        )
    );

    // A catalogue import moves 2026 to another framework of the same shape.
    let moved = FRAMEWORK.replace(r#"periods = ["2026", "2027"]"#, r#"periods = ["2027"]"#);
    let successor = FRAMEWORK
        .replace(r#"code = "W2026""#, r#"code = "X2026""#)
        .replace(r#"periods = ["2026", "2027"]"#, r#"periods = ["2026"]"#);
    app.apply_catalog(&format!("{TEST_CATALOG}\n{moved}\n{successor}"))
        .await;
    // The revision reads as stored, unscored, saying why; never INTERNAL.
    let outdated = agency
        .get_self_assessment(latest("2026"))
        .await
        .unwrap()
        .into_inner();
    let fields: Vec<&str> = outdated
        .misfits
        .iter()
        .map(|misfit| misfit.field.as_str())
        .collect();
    assert_eq!(fields, ["framework_code"]);
    assert!(outdated.receipt.as_ref().unwrap().score.is_none());
    assert!(outdated.final_score.is_none());
    assert_eq!(
        codes_of(&outdated.answers),
        ["P1.C1.9", "P1.C1.10", "P2.C1.1"]
    );
    // It counts as none, and is not appraised.
    let results = ministry
        .get_maturity_results(GetMaturityResultsRequest {
            period_code: "2026".into(),
            scope: format!("province:{PROVINCE}"),
            boundaries: Boundaries::Historical.into(),
            as_of: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(results.agencies.is_empty());
    assert_eq!(results.missing_agency_codes, [NEW_AGENCY]);
    let refused = council
        .appraise_self_assessment(appraise("P1.C1.9", "4"))
        .await
        .unwrap_err();
    assert_eq!(
        (refused.code(), error_reason(&refused).as_str()),
        (Code::FailedPrecondition, "SELF_ASSESSMENT_OUTDATED")
    );

    // Under W2026, which still governs 2027, a revision answering "some"; then an import renames
    // that choice. The framework still governs the period, but the answer no longer fits it.
    agency
        .submit_self_assessment(assessment(&new_id(), "2027", "some", "90"))
        .await
        .unwrap();
    let renamed = moved.replace(
        r#"{ code = "some", points = 1 }"#,
        r#"{ code = "part", points = 1 }"#,
    );
    assert_ne!(renamed, moved);
    app.apply_catalog(&format!("{TEST_CATALOG}\n{renamed}\n{successor}"))
        .await;
    let outdated = agency
        .get_self_assessment(latest("2027"))
        .await
        .unwrap()
        .into_inner();
    let fields: Vec<&str> = outdated
        .misfits
        .iter()
        .map(|misfit| misfit.field.as_str())
        .collect();
    assert_eq!(fields, ["answers[P1.C1.10].choice"]);
    let results = ministry
        .get_maturity_results(GetMaturityResultsRequest {
            period_code: "2027".into(),
            scope: format!("province:{PROVINCE}"),
            boundaries: Boundaries::Historical.into(),
            as_of: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (results.agencies.len(), results.missing_agency_codes),
        (0, vec![NEW_AGENCY.to_string()])
    );
}

/// Item 10, and GetProvinceReport's words: reach is checked before a plan's existence, and a
/// correction reason is refused while nothing was submitted (a first draft taken afresh too).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checks_come_in_the_order_the_proto_states() {
    let backend = crate::BACKEND;
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
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn summaries_read_as_the_proto_words_them() {
    let backend = crate::BACKEND;
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
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_successor_reviews_and_verify_names_every_counter() {
    let backend = crate::BACKEND;
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
