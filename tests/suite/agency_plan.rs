//! AgencyPlanService: an agency's own plan under the Nam Định plan (which the new Ninh Bình
//! province carries on), every violation at once, request ids, revisions, its governing body's
//! return and approval (and another body's refusal), the list per governing body, and the
//! agency's progress against its own commitments beside the plan and its province, worked out by
//! hand; with the audit log verified.

use pressdx::domain::access::Role;
use pressdx::proto::agency_plan_service_client::AgencyPlanServiceClient;
use pressdx::proto::{
    AgencyPlanDecisionKind, AgencyPlanReason, AgencyPlanState, AgencyStanding, AgencyTask,
    Commitment, CommitmentStanding, DecideAgencyPlanRequest, GetAgencyPlanProgressRequest,
    GetAgencyPlanRequest, ListAgencyPlansRequest, StaffCounts, SubmitAgencyPlanRequest,
    TargetProgress, commitment::Value,
};
use sea_orm::{ConnectionTrait, Database};
use tonic::Code;

use super::fixtures::{complete_report, error_reason, new_id, request, violated_fields};
use crate::common::{TEST_CATALOG, TestApp};

/// The new Ninh Bình province's merged newspaper and radio-TV, governed by the provincial Party
/// Committee.
const AGENCY: &str = "bao-ptth-ninh-binh-2025";
const BODY: &str = "tinh-uy-ninh-binh-2025";
const OTHER_BODY: &str = "ubnd-ninh-binh-2025";
const PROVINCE: &str = "ninh-binh-2025";
/// The old Nam Định province's plan: the new province continues Nam Định.
const PLAN: &str = "nam-dinh-cds-bao-chi";

/// Two magazines of the same body (illustrative, for the test): one writes a plan, one does not.
const MAGAZINES: &str = r#"
[[organization]]
code = "tap-chi-a"
kind = "press_agency"
name = "Tạp chí A"
valid_from = "2025-07-01"
province = "ninh-binh-2025"
governing_body = "tinh-uy-ninh-binh-2025"
agency_type = "magazine"
publishes_electronic_press = false
illustrative = true

[[organization]]
code = "tap-chi-b"
kind = "press_agency"
name = "Tạp chí B"
valid_from = "2025-07-01"
province = "ninh-binh-2025"
governing_body = "tinh-uy-ninh-binh-2025"
agency_type = "magazine"
publishes_electronic_press = false
illustrative = true
"#;

fn commitment(target: &str, year: i32, value: Value) -> Commitment {
    Commitment {
        target_code: target.into(),
        year,
        value: Some(value),
    }
}

fn task(code: &str, due_on: &str) -> AgencyTask {
    AgencyTask {
        code: code.into(),
        name: format!("Task {code}"),
        due_on: due_on.into(),
        expected_output: "a converged newsroom in operation".into(),
    }
}

/// The agency's plan; `growth_2025` is its revenue growth commitment for 2025.
pub(super) fn plan(request_id: &str, growth_2025: i32) -> SubmitAgencyPlanRequest {
    SubmitAgencyPlanRequest {
        request_id: request_id.into(),
        agency_code: AGENCY.into(),
        plan_code: PLAN.into(),
        commitments: vec![
            commitment("converged_newsroom", 2026, Value::Meets(true)),
            commitment("revenue_growth", 2025, Value::GrowthBp(growth_2025)),
            commitment("staff_trained", 2026, Value::ShareBp(6000)),
            commitment("staff_trained", 2030, Value::ShareBp(10_000)),
            commitment("data_platform_with_ai", 2027, Value::Meets(true)),
            commitment("information_security", 2026, Value::Meets(true)),
        ],
        tasks: vec![task("T1", "2026-06-30"), task("T2", "2027-12-31")],
        validate_only: false,
    }
}

fn decide(
    id: i64,
    decision: AgencyPlanDecisionKind,
    reasons: &[(&str, &str)],
) -> DecideAgencyPlanRequest {
    DecideAgencyPlanRequest {
        agency_plan_id: id,
        decision: decision.into(),
        reasons: reasons
            .iter()
            .map(|(field, reason)| AgencyPlanReason {
                field: (*field).into(),
                reason: (*reason).into(),
            })
            .collect(),
    }
}

fn target<'a>(targets: &'a [TargetProgress], code: &str) -> &'a TargetProgress {
    targets
        .iter()
        .find(|target| target.target_code == code)
        .unwrap_or_else(|| panic!("no {code} in {targets:?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agency_plan_is_returned_revised_approved_and_followed_beside_the_province() {
    let backend = crate::BACKEND;
    let app = TestApp::spawn(backend).await;
    app.apply_catalog(&format!("{TEST_CATALOG}\n{MAGAZINES}"))
        .await;
    let agency_token = app.agency_token(AGENCY).await;
    let mut agency = AgencyPlanServiceClient::new(app.connection(Some(&agency_token)));
    let body_token = app.token(Role::GoverningBody, Some(BODY)).await;
    let mut body = AgencyPlanServiceClient::new(app.connection(Some(&body_token)));
    let other_token = app.token(Role::GoverningBody, Some(OTHER_BODY)).await;
    let mut other_body = AgencyPlanServiceClient::new(app.connection(Some(&other_token)));
    let province_token = app.token(Role::Province, Some(PROVINCE)).await;
    let mut province = AgencyPlanServiceClient::new(app.connection(Some(&province_token)));
    let latest = GetAgencyPlanRequest {
        agency_code: AGENCY.into(),
        plan_code: PLAN.into(),
        revision: 0,
    };

    // Every problem at once, named by its entry, and nothing stored.
    let mut broken = plan(&new_id(), 3000);
    broken.commitments.extend([
        commitment("converged_newsroom", 2026, Value::Meets(false)),
        commitment("converged_newsroom", 2027, Value::ShareBp(5000)),
        commitment("staff_trained", 2025, Value::ShareBp(10_001)),
        commitment("revenue_growth", 1999, Value::GrowthBp(-1)),
        commitment("no_such_target", 2026, Value::Meets(true)),
        Commitment {
            target_code: "staff_trained".into(),
            year: 2027,
            value: None,
        },
    ]);
    broken.tasks.extend([
        task("T1", "2026-07-01"),
        task("T3", "31/12/2026"),
        AgencyTask {
            name: String::new(),
            ..task("T4", "2026-01-01")
        },
    ]);
    let refused = agency.submit_agency_plan(broken).await.unwrap_err();
    assert_eq!(refused.code(), Code::InvalidArgument, "{refused:?}");
    assert_eq!(
        violated_fields(&refused),
        [
            "commitments[converged_newsroom/2026]",
            "commitments[converged_newsroom/2027].share_bp",
            "commitments[staff_trained/2025].share_bp",
            "commitments[revenue_growth/1999].year",
            "commitments[revenue_growth/1999].growth_bp",
            "commitments[no_such_target/2026].target_code",
            "commitments[staff_trained/2027]",
            "tasks[T1]",
            "tasks[T3].due_on",
            "tasks[T4].name",
        ]
    );
    let none = agency.get_agency_plan(latest.clone()).await.unwrap_err();
    assert_eq!(error_reason(&none), "AGENCY_PLAN_NOT_FOUND");
    let empty = SubmitAgencyPlanRequest {
        commitments: Vec::new(),
        ..plan(&new_id(), 3000)
    };
    let refused = agency.submit_agency_plan(empty).await.unwrap_err();
    assert_eq!(violated_fields(&refused), ["commitments"]);

    // validate_only checks and stores nothing.
    let checked = agency
        .submit_agency_plan(SubmitAgencyPlanRequest {
            validate_only: true,
            ..plan(&new_id(), 3000)
        })
        .await
        .unwrap()
        .into_inner();
    assert!(checked.validated_only);
    assert_eq!((checked.id, checked.revision), (0, 0));

    // Revision 1; a retry replays it, in any order; the id with other content is refused.
    let request_id = new_id();
    let first = agency
        .submit_agency_plan(plan(&request_id, 3000))
        .await
        .unwrap()
        .into_inner();
    assert_eq!((first.revision, first.replayed), (1, false));
    assert_eq!(first.content_hash, checked.content_hash);
    let mut reordered = plan(&request_id, 3000);
    reordered.commitments.reverse();
    reordered.tasks.reverse();
    let replayed = agency
        .submit_agency_plan(reordered)
        .await
        .unwrap()
        .into_inner();
    assert!(replayed.replayed);
    assert_eq!(replayed.id, first.id);
    let reused = agency
        .submit_agency_plan(plan(&request_id, 2500))
        .await
        .unwrap_err();
    assert_eq!(
        (reused.code(), error_reason(&reused).as_str()),
        (Code::AlreadyExists, "REQUEST_ID_REUSED")
    );

    // Another governing body cannot decide on it; the province reads but does not decide.
    let refused = other_body
        .decide_agency_plan(decide(first.id, AgencyPlanDecisionKind::Approve, &[]))
        .await
        .unwrap_err();
    assert_eq!(
        (refused.code(), error_reason(&refused).as_str()),
        (Code::PermissionDenied, "OUT_OF_SCOPE")
    );
    let refused = province
        .decide_agency_plan(decide(first.id, AgencyPlanDecisionKind::Approve, &[]))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::PermissionDenied);
    // A return needs a reason, and a reason's field must name an entry of the revision.
    let refused = body
        .decide_agency_plan(decide(first.id, AgencyPlanDecisionKind::Return, &[]))
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&refused), ["reasons"]);
    let refused = body
        .decide_agency_plan(decide(
            first.id,
            AgencyPlanDecisionKind::Return,
            &[("tasks[T9]", "no such task"), ("", "")],
        ))
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&refused), ["reasons[1].reason"]);
    let refused = body
        .decide_agency_plan(decide(
            first.id,
            AgencyPlanDecisionKind::Return,
            &[("tasks[T9]", "no such task")],
        ))
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&refused), ["reasons[0].field"]);

    // Its governing body returns it: 30% a year is beyond what the paper plan can fund.
    let returned = body
        .decide_agency_plan(decide(
            first.id,
            AgencyPlanDecisionKind::Return,
            &[(
                "commitments[revenue_growth/2025]",
                "30% a year is beyond the budget; the province asks 20%",
            )],
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(
        returned
            .decided_by
            .starts_with(&format!("governing_body {BODY}"))
    );
    let read = agency
        .get_agency_plan(latest.clone())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(read.state(), AgencyPlanState::Returned);
    assert_eq!(read.decisions.len(), 1);
    assert_eq!(
        read.decisions[0].reasons[0].field,
        "commitments[revenue_growth/2025]"
    );
    assert_eq!((read.latest_revision, read.plan_in_force_revision), (1, 0));
    // Stored in the canonical order: by the plan's targets, then year; tasks by code.
    let order: Vec<(&str, i32)> = read
        .commitments
        .iter()
        .map(|c| (c.target_code.as_str(), c.year))
        .collect();
    assert_eq!(
        order,
        [
            ("data_platform_with_ai", 2027),
            ("converged_newsroom", 2026),
            ("revenue_growth", 2025),
            ("staff_trained", 2026),
            ("staff_trained", 2030),
            ("information_security", 2026),
        ]
    );

    // No plan in force yet: progress is refused, saying which revision awaits.
    let progress_request = GetAgencyPlanProgressRequest {
        agency_code: AGENCY.into(),
        plan_code: PLAN.into(),
        period_code: "2026".into(),
        revision: 0,
    };
    let refused = agency
        .get_agency_plan_progress(progress_request.clone())
        .await
        .unwrap_err();
    assert_eq!(
        (refused.code(), error_reason(&refused).as_str()),
        (Code::FailedPrecondition, "AGENCY_PLAN_NOT_APPROVED")
    );

    // The list of the body's agencies: the agency's plan returned, magazine A's awaiting,
    // magazine B without one.
    let magazine_token = app.agency_token("tap-chi-a").await;
    AgencyPlanServiceClient::new(app.connection(Some(&magazine_token)))
        .submit_agency_plan(SubmitAgencyPlanRequest {
            agency_code: "tap-chi-a".into(),
            ..plan(&new_id(), 2000)
        })
        .await
        .unwrap();
    let listed = body
        .list_agency_plans(ListAgencyPlansRequest {
            plan_code: PLAN.into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let states: Vec<(&str, AgencyPlanState, i32)> = listed
        .agencies
        .iter()
        .map(|a| (a.agency_code.as_str(), a.state(), a.plan_in_force_revision))
        .collect();
    assert_eq!(
        states,
        [
            (AGENCY, AgencyPlanState::Returned, 0),
            ("tap-chi-a", AgencyPlanState::AwaitingApproval, 0),
            ("tap-chi-b", AgencyPlanState::None, 0),
        ]
    );
    assert_eq!(
        (
            listed.approved,
            listed.awaiting_approval,
            listed.returned,
            listed.none,
            listed.with_plan_in_force
        ),
        (0, 1, 1, 1, 0)
    );
    // Another body does not reach them.
    let refused = other_body
        .list_agency_plans(ListAgencyPlansRequest {
            plan_code: PLAN.into(),
            governing_body_code: BODY.into(),
            as_of: String::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(error_reason(&refused), "OUT_OF_SCOPE");

    // Revision 2 at 20%: the first can no longer be decided on; the body approves the second.
    let second = agency
        .submit_agency_plan(plan(&new_id(), 2000))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(second.revision, 2);
    let refused = body
        .decide_agency_plan(decide(first.id, AgencyPlanDecisionKind::Approve, &[]))
        .await
        .unwrap_err();
    assert_eq!(
        (refused.code(), error_reason(&refused).as_str()),
        (Code::FailedPrecondition, "REVISION_SUPERSEDED")
    );
    let refused = other_body
        .decide_agency_plan(decide(second.id, AgencyPlanDecisionKind::Approve, &[]))
        .await
        .unwrap_err();
    assert_eq!(error_reason(&refused), "OUT_OF_SCOPE");
    body.decide_agency_plan(decide(second.id, AgencyPlanDecisionKind::Approve, &[]))
        .await
        .unwrap();
    let read = province
        .get_agency_plan(latest.clone())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(read.state(), AgencyPlanState::Approved);
    assert_eq!((read.latest_revision, read.plan_in_force_revision), (2, 2));
    let earlier = agency
        .get_agency_plan(GetAgencyPlanRequest {
            revision: 1,
            ..latest.clone()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(earlier.state(), AgencyPlanState::Returned);
    let listed = body
        .list_agency_plans(ListAgencyPlansRequest {
            plan_code: PLAN.into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (
            listed.approved,
            listed.awaiting_approval,
            listed.returned,
            listed.none
        ),
        (1, 1, 0, 1)
    );
    assert_eq!(listed.with_plan_in_force, 1);

    // The reports. The agency in 2025: revenue 20 bn; in 2026 the fixture's report: revenue
    // 25 bn, headcount 6 + 40 + 20 + 14 = 80, trained 6 + 30 + 12 + 2 = 50, a converged
    // newsroom, a central data platform without AI, security level 3. Magazine A in 2026: no
    // converged newsroom, 10 people all trained. Magazine B sends nothing.
    let mut last_year = complete_report();
    last_year.revenue_vnd = Some(20_000_000_000);
    app.submit(request(&new_id(), AGENCY, "2025", last_year))
        .await
        .unwrap();
    app.submit(request(&new_id(), AGENCY, "2026", complete_report()))
        .await
        .unwrap();
    let mut magazine = complete_report();
    magazine.converged_newsroom = Some(false);
    let ten = || StaffCounts {
        leaders: Some(1),
        reporters: Some(2),
        editors: Some(3),
        other: Some(4),
    };
    magazine.headcount = Some(ten());
    magazine.trained = Some(ten());
    magazine.publishes_electronic_press = Some(false);
    app.submit(request(&new_id(), "tap-chi-a", "2026", magazine))
        .await
        .unwrap();

    // Worked out by hand, 2026 (reference date 2026-12-14), against revision 2:
    // converged newsroom: committed for 2026, it has one: MET; the plan requires 50% + (100% -
    // 50%) * 1/5 = 60% (interpolated between 2025 and 2030), and the province has 1 of its 3
    // agencies with one (B, silent, counts against): 1/3.
    // revenue growth: the 2025 commitment of 20% holds in 2026; (25 - 20) / 20 = +25%: MET; the
    // plan's threshold for 2026 is the next milestone's (2030), 20%: it meets it too.
    // staff trained: committed 60% for 2026; 50/80 = 62.5%: MET; the plan asks 100% (its last
    // milestone, 2025, stays): DOES_NOT_MEET; the province: (50 + 10) / (80 + 10) = 2/3.
    // data platform with AI: committed only from 2027: NO_COMMITMENT; against the plan, no AI:
    // DOES_NOT_MEET.
    // information security: committed for 2026, level 3: MET.
    let read = province
        .get_agency_plan_progress(progress_request.clone())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (read.revision, read.state()),
        (2, AgencyPlanState::Approved)
    );
    assert_eq!(read.province_code, PROVINCE);
    let codes: Vec<&str> = read
        .targets
        .iter()
        .map(|t| t.target_code.as_str())
        .collect();
    assert_eq!(
        codes,
        [
            "data_platform_with_ai",
            "converged_newsroom",
            "revenue_growth",
            "staff_trained",
            "information_security",
        ]
    );
    let converged = target(&read.targets, "converged_newsroom");
    assert_eq!(converged.commitment_standing(), CommitmentStanding::Met);
    assert_eq!(converged.plan_standing(), AgencyStanding::Meets);
    assert!(converged.required_share_interpolated);
    assert!((converged.required_share - 0.6).abs() < 1e-12);
    let province_figure = converged.province_summary.as_ref().unwrap();
    assert_eq!(
        (province_figure.numerator, province_figure.denominator),
        (1, 3)
    );
    let growth = target(&read.targets, "revenue_growth");
    assert_eq!(growth.commitment_standing(), CommitmentStanding::Met);
    assert_eq!(growth.commitment.as_ref().unwrap().year, 2025);
    assert_eq!(growth.plan_standing(), AgencyStanding::Meets);
    assert_eq!(growth.parameter_bp, Some(2000));
    assert_eq!(growth.value, "+25.00% (25000000000 against 20000000000)");
    let trained = target(&read.targets, "staff_trained");
    assert_eq!(trained.commitment_standing(), CommitmentStanding::Met);
    assert_eq!(trained.plan_standing(), AgencyStanding::DoesNotMeet);
    assert_eq!(
        (trained.people_numerator, trained.people_denominator),
        (50, 80)
    );
    assert_eq!(trained.value, "50/80");
    assert!((trained.required_share - 1.0).abs() < 1e-12);
    let province_trained = trained.province_summary.as_ref().unwrap();
    assert_eq!(
        (province_trained.numerator, province_trained.denominator),
        (60, 90)
    );
    let ai = target(&read.targets, "data_platform_with_ai");
    assert_eq!(ai.commitment_standing(), CommitmentStanding::NoCommitment);
    assert!(ai.commitment.is_none());
    assert_eq!(ai.plan_standing(), AgencyStanding::DoesNotMeet);
    assert_eq!(
        target(&read.targets, "information_security").commitment_standing(),
        CommitmentStanding::Met
    );

    // Against revision 1's 30%: +25% falls short of its own commitment, not of the plan.
    let against_first = province
        .get_agency_plan_progress(GetAgencyPlanProgressRequest {
            revision: 1,
            ..progress_request.clone()
        })
        .await
        .unwrap()
        .into_inner();
    let growth = target(&against_first.targets, "revenue_growth");
    assert_eq!(
        (against_first.revision, against_first.state()),
        (1, AgencyPlanState::Returned)
    );
    assert_eq!(growth.commitment_standing(), CommitmentStanding::NotMet);
    assert_eq!(growth.plan_standing(), AgencyStanding::Meets);

    // The agency reads its own progress, but not the province's figures, which read other
    // agencies' reports; another body does not reach it at all.
    let own = agency
        .get_agency_plan_progress(progress_request.clone())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        target(&own.targets, "staff_trained").commitment_standing(),
        CommitmentStanding::Met
    );
    assert!(own.targets.iter().all(|t| t.province_summary.is_none()));
    let refused = other_body
        .get_agency_plan_progress(progress_request.clone())
        .await
        .unwrap_err();
    assert_eq!(error_reason(&refused), "OUT_OF_SCOPE");

    // The catalogue makes the Nam Định plan's revenue target a yes/no (a converged newsroom)
    // after revision 2 was approved: its growth commitment no longer fits the plan. Its progress
    // says so rather than read a growth against a yes/no, it cannot be approved again, and it can
    // still be returned for a new revision. The import is another process's commit: the server
    // hears of it within moments (summary.proto, Freshness), so the test allows a second.
    let catalogue = format!("{TEST_CATALOG}\n{MAGAZINES}");
    let nam_dinh_revenue = catalogue.rfind("code = \"revenue_growth\"").unwrap();
    let (before, target_onwards) = catalogue.split_at(nam_dinh_revenue);
    let target_end = target_onwards.find("[[plan.target]]").unwrap();
    let (target_text, after) = target_onwards.split_at(target_end);
    let as_yes_no = target_text
        .replace(
            "condition = { growth_of = \"revenue_vnd\", baseline = \"previous_year\" }",
            "condition = { yes = \"converged_newsroom\" }",
        )
        .replace(", parameter = \"20%\" }", " }");
    assert_ne!(as_yes_no, target_text);
    app.apply_catalog(&format!("{before}{as_yes_no}{after}"))
        .await;
    let heard_by = tokio::time::Instant::now() + std::time::Duration::from_secs(1);
    let outdated = loop {
        match agency
            .get_agency_plan_progress(progress_request.clone())
            .await
        {
            Err(status) => break status,
            Ok(_) if tokio::time::Instant::now() < heard_by => {
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            }
            Ok(_) => panic!("progress still read against the old plan a second later"),
        }
    };
    assert_eq!(
        (outdated.code(), error_reason(&outdated).as_str()),
        (Code::FailedPrecondition, "AGENCY_PLAN_OUTDATED")
    );
    let refused = body
        .decide_agency_plan(decide(second.id, AgencyPlanDecisionKind::Approve, &[]))
        .await
        .unwrap_err();
    assert_eq!(
        (refused.code(), error_reason(&refused).as_str()),
        (Code::FailedPrecondition, "AGENCY_PLAN_OUTDATED")
    );
    body.decide_agency_plan(decide(
        second.id,
        AgencyPlanDecisionKind::Return,
        &[(
            "commitments[revenue_growth/2025]",
            "the target is a yes/no now",
        )],
    ))
    .await
    .unwrap();

    let verification = app.store().verify_audit().await.unwrap();
    assert!(
        verification.problems.is_empty(),
        "{:?}",
        verification.problems
    );

    // A return turned into an approval behind pressdx's back, and a commitment's revision
    // renumbered, are both found.
    let database = Database::connect(&app.database_url).await.unwrap();
    database
        .execute_unprepared(&format!(
            "UPDATE agency_plan_decision SET decision = 'approve' WHERE id = {}",
            returned.id
        ))
        .await
        .unwrap();
    database
        .execute_unprepared(&format!(
            "UPDATE agency_plan SET revision = 9 WHERE id = {}",
            first.id
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
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(
        problems[0].starts_with(&format!("agency plan {} ", first.id))
            && problems[1].starts_with(&format!("agency plan decision {} ", returned.id)),
        "{problems:?}"
    );
}
