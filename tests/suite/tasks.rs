//! TaskService: a plan's tasks, the leads' progress reports with revisions, request ids, every
//! violation at once and the audit log, and the following of a plan in a province with its
//! overdue lines, worked out by hand on a small plan of Hà Nam for 2024.

use pressdx::domain::access::Role;
use pressdx::proto::province_report_service_client::ProvinceReportServiceClient;
use pressdx::proto::task_service_client::TaskServiceClient;
use pressdx::proto::{
    CreateProvinceReportRequest, GetPlanTaskRequest, GetTaskFollowUpRequest,
    GetTaskProgressRequest, ListPlanTasksRequest, ReportTaskProgressRequest, TaskEvidence,
    TaskFollowUp, TaskPartyKind, TaskStatus,
};
use tonic::Code;

use super::fixtures::{error_reason, new_id, violated_fields};
use crate::common::{TEST_CATALOG, TestApp};

const PLAN: &str = "test-tasks";

/// Hà Nam's own plan with three tasks for 2024. In 2024 Hà Nam has two agencies, bao-ha-nam and
/// ptth-ha-nam, so T2 (every agency) is two lines and the plan has four: T1 ha-nam, T2 bao-ha-nam,
/// T2 ptth-ha-nam, T3 bao-ha-nam.
pub(super) const TASK_PLAN: &str = r#"
[[plan]]
code = "test-tasks"
name = "A test plan of Hà Nam"
province = "ha-nam"

[[plan.task]]
code = "T1"
name = "Train the press"
group = "III.4"
lead = "department"
cooperating = ["every_agency"]
starts_on = "2024-01-01"
due_on = "2024-06-30"

[[plan.task]]
code = "T2"
name = "Report the year"
group = "V.4"
lead = "every_agency"
starts_on = "2024-01-01"
due_on = "2024-11-14"
recurs_yearly = true

[[plan.task]]
code = "T3"
name = "Open a converged newsroom"
group = "PL"
lead = "agency:bao-ha-nam"
cooperating = ["department"]
starts_on = "2024-01-01"
due_on = "2024-09-30"

[[plan]]
code = "test-no-tasks"
name = "A test plan of Hà Nam without tasks"
province = "ha-nam"
"#;

pub(super) fn report(
    task: &str,
    status: TaskStatus,
    percent: Option<i32>,
) -> ReportTaskProgressRequest {
    ReportTaskProgressRequest {
        request_id: new_id(),
        plan_code: PLAN.into(),
        task_code: task.into(),
        period_code: "2024".into(),
        status: status as i32,
        percent_complete: percent,
        cancellation_reason: String::new(),
        account: "courses held in March and May".into(),
        evidence: vec![TaskEvidence {
            title: "Minutes of the course".into(),
            link: String::new(),
            document_id: "BB-12/2024".into(),
            sha256: "cd".repeat(32),
        }],
        validate_only: false,
    }
}

fn follow_up_request(as_of: &str) -> GetTaskFollowUpRequest {
    GetTaskFollowUpRequest {
        plan_code: PLAN.into(),
        period_code: "2024".into(),
        scope: "province:ha-nam".into(),
        as_of: as_of.into(),
    }
}

/// (task, lead, status, days late) of each line, as listed.
fn lines(follow_up: &TaskFollowUp) -> Vec<(String, String, TaskStatus, i32)> {
    follow_up
        .lines
        .iter()
        .map(|line| {
            (
                line.task_code.clone(),
                line.lead_code.clone(),
                line.status(),
                line.days_late,
            )
        })
        .collect()
}

fn owned(rows: &[(&str, &str, TaskStatus, i32)]) -> Vec<(String, String, TaskStatus, i32)> {
    rows.iter()
        .map(|(task, lead, status, late)| (task.to_string(), lead.to_string(), *status, *late))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tasks_are_reported_kept_followed_and_audited() {
    let backend = crate::BACKEND;
    let app = TestApp::spawn(backend).await;
    app.apply_catalog(&format!("{TEST_CATALOG}\n{TASK_PLAN}"))
        .await;
    let province_token = app.token(Role::Province, Some("ha-nam")).await;
    let mut province = TaskServiceClient::new(app.connection(Some(&province_token)));
    let newspaper_token = app.agency_token("bao-ha-nam").await;
    let mut newspaper = TaskServiceClient::new(app.connection(Some(&newspaper_token)));
    let station_token = app.agency_token("ptth-ha-nam").await;
    let mut station = TaskServiceClient::new(app.connection(Some(&station_token)));

    // The tasks are catalogue data; the shipped plans have theirs too.
    let listed = newspaper
        .list_plan_tasks(ListPlanTasksRequest {
            plan_code: PLAN.into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let codes: Vec<&str> = listed.tasks.iter().map(|task| task.code.as_str()).collect();
    assert_eq!(codes, ["T1", "T2", "T3"]);
    let t3 = newspaper
        .get_plan_task(GetPlanTaskRequest {
            plan_code: PLAN.into(),
            code: "T3".into(),
        })
        .await
        .unwrap()
        .into_inner();
    let lead = t3.lead.unwrap();
    assert_eq!(
        (lead.kind(), lead.organization_code.as_str()),
        (TaskPartyKind::Agency, "bao-ha-nam")
    );
    let shipped = newspaper
        .get_plan_task(GetPlanTaskRequest {
            plan_code: "nam-dinh-cds-bao-chi".into(),
            code: "V.4.2".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(shipped.recurs_yearly);
    let unknown = newspaper
        .get_plan_task(GetPlanTaskRequest {
            plan_code: PLAN.into(),
            code: "T4".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(error_reason(&unknown), "TASK_NOT_FOUND");

    // Every violation at once, and nothing stored.
    let mut broken = report("T1", TaskStatus::InProgress, Some(100));
    broken.cancellation_reason = "no budget".into();
    broken.account = "x".repeat(2001);
    broken.evidence[0].sha256 = "not a hash".into();
    broken.evidence[0].document_id = String::new();
    let refused = province.report_task_progress(broken).await.unwrap_err();
    assert_eq!(refused.code(), Code::InvalidArgument, "{refused:?}");
    let mut fields = violated_fields(&refused);
    fields.sort();
    assert_eq!(
        fields,
        [
            "account",
            "cancellation_reason",
            "evidence[0]",
            "evidence[0].sha256",
            "percent_complete",
        ]
    );
    let mut cancelled = report("T1", TaskStatus::Cancelled, None);
    cancelled.validate_only = true;
    let refused = province.report_task_progress(cancelled).await.unwrap_err();
    assert_eq!(violated_fields(&refused), ["cancellation_reason"]);

    // Only the lead reports, on its own line.
    let not_lead = newspaper
        .report_task_progress(report("T1", TaskStatus::Done, None))
        .await
        .unwrap_err();
    assert_eq!(error_reason(&not_lead), "OUT_OF_SCOPE");
    let not_lead = station
        .report_task_progress(report("T3", TaskStatus::Done, None))
        .await
        .unwrap_err();
    assert_eq!(error_reason(&not_lead), "OUT_OF_SCOPE");
    let not_lead = province
        .report_task_progress(report("T2", TaskStatus::Done, None))
        .await
        .unwrap_err();
    assert_eq!(error_reason(&not_lead), "OUT_OF_SCOPE");
    let mut too_early = report("T1", TaskStatus::Done, None);
    too_early.period_code = "2023".into();
    let refused = province.report_task_progress(too_early).await.unwrap_err();
    assert_eq!(violated_fields(&refused), ["period_code"]);

    // validate_only checks and stores nothing.
    let mut checked = report("T1", TaskStatus::InProgress, Some(40));
    checked.validate_only = true;
    let receipt = province
        .report_task_progress(checked)
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (receipt.id, receipt.revision, receipt.validated_only),
        (0, 0, true)
    );
    assert_eq!(receipt.reporter_code, "ha-nam");

    // T1: in progress at 40%, then done (100% implied); both revisions kept.
    let first_request = report("T1", TaskStatus::InProgress, Some(40));
    let first = province
        .report_task_progress(first_request.clone())
        .await
        .unwrap()
        .into_inner();
    assert_eq!((first.revision, first.replayed), (1, false));
    let replayed = province
        .report_task_progress(first_request.clone())
        .await
        .unwrap()
        .into_inner();
    assert!(replayed.replayed);
    assert_eq!((replayed.id, replayed.revision), (first.id, 1));
    let mut reused = first_request;
    reused.percent_complete = Some(45);
    let reused = province.report_task_progress(reused).await.unwrap_err();
    assert_eq!(
        (reused.code(), error_reason(&reused).as_str()),
        (Code::AlreadyExists, "REQUEST_ID_REUSED")
    );
    let done = province
        .report_task_progress(report("T1", TaskStatus::Done, None))
        .await
        .unwrap()
        .into_inner();
    assert_eq!((done.revision, done.percent_complete), (2, Some(100)));
    let progress = |revision| GetTaskProgressRequest {
        plan_code: PLAN.into(),
        task_code: "T1".into(),
        period_code: "2024".into(),
        reporter_code: "ha-nam".into(),
        revision,
    };
    let latest = province
        .get_task_progress(progress(0))
        .await
        .unwrap()
        .into_inner();
    let receipt = latest.receipt.unwrap();
    assert_eq!((receipt.revision, receipt.status()), (2, TaskStatus::Done));
    assert_eq!(latest.evidence[0].document_id, "BB-12/2024");
    let earlier = province
        .get_task_progress(progress(1))
        .await
        .unwrap()
        .into_inner()
        .receipt
        .unwrap();
    assert_eq!(
        (earlier.status(), earlier.percent_complete),
        (TaskStatus::InProgress, Some(40))
    );
    // The reporter and its province read it; an agency does not read the department's line.
    let refused = newspaper.get_task_progress(progress(0)).await.unwrap_err();
    assert_eq!(error_reason(&refused), "OUT_OF_SCOPE");

    // T2 is every agency's: each reports its own line. The newspaper is done, the station half way.
    newspaper
        .report_task_progress(report("T2", TaskStatus::Done, Some(100)))
        .await
        .unwrap();
    let station_receipt = station
        .report_task_progress(report("T2", TaskStatus::InProgress, Some(50)))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(station_receipt.reporter_code, "ptth-ha-nam");
    // The province reads its agencies' lines.
    province
        .get_task_progress(GetTaskProgressRequest {
            task_code: "T2".into(),
            reporter_code: "ptth-ha-nam".into(),
            ..progress(0)
        })
        .await
        .unwrap();

    // On 1 December 2024, worked out by hand. T1 (ha-nam) is done: not late. T2 is due
    // 2024-11-14: the newspaper is done; the station is open, 14 Nov -> 1 Dec = 16 + 1 = 17 days
    // late. T3 (bao-ha-nam) was never reported: not started, due 2024-09-30, 30 Sep -> 31 Oct =
    // 31 days, -> 30 Nov = 61, -> 1 Dec = 62 days late.
    let followed = province
        .get_task_follow_up(follow_up_request("2024-12-01"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        lines(&followed),
        owned(&[
            ("T1", "ha-nam", TaskStatus::Done, 0),
            ("T2", "bao-ha-nam", TaskStatus::Done, 0),
            ("T2", "ptth-ha-nam", TaskStatus::InProgress, 17),
            ("T3", "bao-ha-nam", TaskStatus::NotStarted, 62),
        ])
    );
    assert_eq!(followed.lines[0].revision, 2);
    assert_eq!(followed.lines[2].percent_complete, Some(50));
    let by_status: Vec<(TaskStatus, i32)> = followed
        .by_status
        .iter()
        .map(|count| (count.status(), count.lines))
        .collect();
    assert_eq!(
        by_status,
        [
            (TaskStatus::NotStarted, 1),
            (TaskStatus::InProgress, 1),
            (TaskStatus::Done, 2),
            (TaskStatus::Cancelled, 0),
        ]
    );
    // Most days late first, each with its lead.
    let overdue: Vec<(&str, &str, i32)> = followed
        .overdue
        .iter()
        .map(|line| {
            (
                line.task_code.as_str(),
                line.lead_code.as_str(),
                line.days_late,
            )
        })
        .collect();
    assert_eq!(
        overdue,
        [("T3", "bao-ha-nam", 62), ("T2", "ptth-ha-nam", 17)]
    );
    assert_eq!(followed.overdue[0].lead_name, "Báo Hà Nam");
    // Per lead: the newspaper has T2 (done) and T3 (open, late); the department T1 (done); the
    // station T2 (open, late).
    let leads: Vec<(&str, i32, i32, i32)> = followed
        .leads
        .iter()
        .map(|load| (load.lead_code.as_str(), load.lines, load.open, load.overdue))
        .collect();
    assert_eq!(
        leads,
        [
            ("bao-ha-nam", 2, 1, 1),
            ("ha-nam", 1, 0, 0),
            ("ptth-ha-nam", 1, 1, 1)
        ]
    );

    // On the due date itself T2 is not late; T3 is 30 Sep -> 31 Oct = 31, -> 14 Nov = 45 days.
    let on_due_date = province
        .get_task_follow_up(follow_up_request("2024-11-14"))
        .await
        .unwrap()
        .into_inner();
    let late: Vec<i32> = on_due_date
        .lines
        .iter()
        .map(|line| line.days_late)
        .collect();
    assert_eq!(late, [0, 0, 0, 45]);

    // The province follows its own, the Ministry any; a neighbour does not follow Hà Nam, and
    // Nam Định does not follow Hà Nam's plan.
    let ministry = app.token(Role::Ministry, None).await;
    let mut ministry = TaskServiceClient::new(app.connection(Some(&ministry)));
    ministry
        .get_task_follow_up(follow_up_request("2024-12-01"))
        .await
        .unwrap();
    let neighbour = app.token(Role::Province, Some("nam-dinh")).await;
    let refused = TaskServiceClient::new(app.connection(Some(&neighbour)))
        .get_task_follow_up(follow_up_request("2024-12-01"))
        .await
        .unwrap_err();
    assert_eq!(error_reason(&refused), "OUT_OF_SCOPE");
    let refused = ministry
        .get_task_follow_up(GetTaskFollowUpRequest {
            scope: "province:nam-dinh".into(),
            ..follow_up_request("2024-12-01")
        })
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&refused), ["scope"]);
    let mut bad = follow_up_request("yesterday");
    bad.plan_code = String::new();
    let refused = province.get_task_follow_up(bad).await.unwrap_err();
    let mut fields = violated_fields(&refused);
    fields.sort();
    assert_eq!(fields, ["as_of", "plan_code"]);

    // The province's yearly report holds the follow-up, lateness counted on the day it is drafted
    // (after 2024-11-14 whenever this runs: T2 of the station and T3 are overdue); a plan without
    // tasks holds none, so that its report encodes as before tasks existed.
    let mut reports = ProvinceReportServiceClient::new(app.connection(Some(&province_token)));
    let draft = |plan: &str| CreateProvinceReportRequest {
        plan_code: plan.into(),
        period_code: "2024".into(),
        ..Default::default()
    };
    let content = reports
        .create_province_report(draft(PLAN))
        .await
        .unwrap()
        .into_inner()
        .content
        .unwrap();
    let held = content.task_follow_up.unwrap();
    assert_eq!((held.lines.len(), held.overdue.len()), (4, 2));
    let without = reports
        .create_province_report(draft("test-no-tasks"))
        .await
        .unwrap()
        .into_inner()
        .content
        .unwrap();
    assert_eq!(without.task_follow_up, None);

    let verification = app.store().verify_audit().await.unwrap();
    assert!(
        verification.problems.is_empty(),
        "{:?}",
        verification.problems
    );
}
