//! TaskService: a plan's tasks from the catalogue, the leads' progress reports on them (checked by
//! domain::task, kept with every revision), and the following of a plan in a province.

use tonic::{Request, Response, Status};
use tracing::instrument;

use super::access::caller_of;
use super::catalog::paged;
use super::convert::{as_of_date, timestamp};
use crate::app::tasks::{LineReport, ProgressReport, StoredTaskProgress};
use crate::app::{App, AppError, Caller};
use crate::domain::assessment::EvidenceDraft;
use crate::domain::formats::{Field, check_fields};
use crate::domain::period::Period;
use crate::domain::plan::Plan;
use crate::domain::task::{Party, ProgressDraft, Task, TaskStatus};
use crate::domain::task_follow_up::{FollowUp, Line};
use crate::proto::task_service_server::TaskService;
use crate::proto::{
    self, GetPlanTaskRequest, GetTaskFollowUpRequest, GetTaskProgressRequest, ListPlanTasksRequest,
    ListPlanTasksResponse, ReportTaskProgressRequest,
};

pub struct TaskApi {
    app: App,
}

impl TaskApi {
    pub fn new(app: &App) -> TaskApi {
        TaskApi { app: app.clone() }
    }

    async fn report(
        &self,
        request: ReportTaskProgressRequest,
        caller: &Caller,
    ) -> Result<proto::TaskProgressReceipt, AppError> {
        AppError::check_fields(&[
            ("request_id", Field::RequestId(&request.request_id)),
            ("plan_code", Field::Code(&request.plan_code)),
            ("task_code", Field::Code(&request.task_code)),
            ("period_code", Field::Code(&request.period_code)),
        ])?;
        let draft = draft_of(&request);
        let report = self
            .app
            .report_task_progress(
                caller,
                LineReport {
                    plan_code: &request.plan_code,
                    task_code: &request.task_code,
                    period_code: &request.period_code,
                    request_id: &request.request_id,
                    draft: &draft,
                    validate_only: request.validate_only,
                },
            )
            .await?;
        Ok(receipt_to_proto(report, request.validate_only))
    }

    async fn get_progress(
        &self,
        request: GetTaskProgressRequest,
        caller: &Caller,
    ) -> Result<proto::TaskProgress, AppError> {
        AppError::check_fields(&[
            ("plan_code", Field::Code(&request.plan_code)),
            ("task_code", Field::Code(&request.task_code)),
            ("period_code", Field::Code(&request.period_code)),
            ("reporter_code", Field::Code(&request.reporter_code)),
        ])?;
        if request.revision < 0 {
            return Err(AppError::invalid_argument(
                "revision",
                "must not be negative",
            ));
        }
        let revision = (request.revision > 0).then_some(request.revision);
        let stored = self
            .app
            .task_progress(
                caller,
                &request.plan_code,
                &request.task_code,
                &request.period_code,
                &request.reporter_code,
                revision,
            )
            .await?;
        progress_to_proto(&stored)
    }

    async fn follow(
        &self,
        request: GetTaskFollowUpRequest,
        caller: &Caller,
    ) -> Result<proto::TaskFollowUp, AppError> {
        // The request's own fields, every problem at once.
        let mut violations = check_fields(&[
            ("plan_code", Field::Code(&request.plan_code)),
            ("period_code", Field::Code(&request.period_code)),
        ]);
        let as_of = as_of_date(&request.as_of);
        if let Err(AppError::InvalidArgument(more)) = &as_of {
            violations.extend(more.iter().cloned());
        }
        if !violations.is_empty() {
            return Err(AppError::InvalidArgument(violations));
        }
        self.app
            .task_follow_up(
                caller,
                &request.plan_code,
                &request.period_code,
                &request.scope,
                as_of?,
                follow_up_to_proto,
            )
            .await
    }
}

/// The receipt of a report: its revision's facts, or only the checked content when validated.
fn receipt_to_proto(report: ProgressReport, validated_only: bool) -> proto::TaskProgressReceipt {
    let kept = report.kept.unwrap_or_default();
    proto::TaskProgressReceipt {
        id: kept.id,
        plan_code: report.plan_code,
        task_code: report.task_code,
        period_code: report.period_code,
        reporter_code: report.reporter_code,
        revision: kept.revision,
        received_at: Some(timestamp(report.received_at)),
        content_hash: report.content_hash,
        replayed: kept.replayed,
        validated_only,
        status: status_to_proto(report.progress.status) as i32,
        percent_complete: report.progress.percent_complete.map(i32::from),
    }
}

fn draft_of(request: &ReportTaskProgressRequest) -> ProgressDraft {
    ProgressDraft {
        status: status_from_proto(request.status),
        percent_complete: request.percent_complete,
        cancellation_reason: request.cancellation_reason.clone(),
        account: request.account.clone(),
        evidence: request
            .evidence
            .iter()
            .map(|evidence| EvidenceDraft {
                criterion: String::new(),
                title: evidence.title.clone(),
                link: evidence.link.clone(),
                document_id: evidence.document_id.clone(),
                sha256: evidence.sha256.clone(),
            })
            .collect(),
    }
}

pub(super) fn status_from_proto(status: i32) -> Option<TaskStatus> {
    match proto::TaskStatus::try_from(status) {
        Ok(proto::TaskStatus::NotStarted) => Some(TaskStatus::NotStarted),
        Ok(proto::TaskStatus::InProgress) => Some(TaskStatus::InProgress),
        Ok(proto::TaskStatus::Done) => Some(TaskStatus::Done),
        Ok(proto::TaskStatus::Cancelled) => Some(TaskStatus::Cancelled),
        Ok(proto::TaskStatus::Unspecified) | Err(_) => None,
    }
}

pub fn status_to_proto(status: TaskStatus) -> proto::TaskStatus {
    match status {
        TaskStatus::NotStarted => proto::TaskStatus::NotStarted,
        TaskStatus::InProgress => proto::TaskStatus::InProgress,
        TaskStatus::Done => proto::TaskStatus::Done,
        TaskStatus::Cancelled => proto::TaskStatus::Cancelled,
    }
}

fn party_kind(party: &Party) -> proto::TaskPartyKind {
    match party {
        Party::Department => proto::TaskPartyKind::Department,
        Party::GoverningBody(_) => proto::TaskPartyKind::GoverningBody,
        Party::Agency(_) => proto::TaskPartyKind::Agency,
        Party::EveryAgency => proto::TaskPartyKind::EveryAgency,
    }
}

fn party_to_proto(party: &Party) -> proto::TaskParty {
    proto::TaskParty {
        kind: party_kind(party) as i32,
        organization_code: party
            .organization()
            .map(|(code, _)| code.to_string())
            .unwrap_or_default(),
    }
}

fn task_to_proto(plan_code: &str, task: &Task) -> proto::PlanTask {
    proto::PlanTask {
        plan_code: plan_code.to_string(),
        code: task.code.clone(),
        name: task.name.clone(),
        group: task.group.clone(),
        lead: Some(party_to_proto(&task.lead)),
        cooperating: task.cooperating.iter().map(party_to_proto).collect(),
        starts_on: task.starts_on.to_string(),
        due_on: task.due_on.to_string(),
        expected_output: task.expected_output.clone(),
        recurs_yearly: task.recurs_yearly,
        illustrative: task.illustrative,
        note: task.note.clone(),
    }
}

fn progress_to_proto(stored: &StoredTaskProgress) -> Result<proto::TaskProgress, AppError> {
    let progress = stored.progress()?;
    Ok(proto::TaskProgress {
        receipt: Some(proto::TaskProgressReceipt {
            id: stored.id,
            plan_code: stored.plan_code.clone(),
            task_code: stored.task_code.clone(),
            period_code: stored.period_code.clone(),
            reporter_code: stored.reporter_code.clone(),
            revision: stored.revision,
            received_at: Some(timestamp(stored.received_at)),
            content_hash: stored.content_hash.clone(),
            replayed: false,
            validated_only: false,
            status: status_to_proto(progress.status) as i32,
            percent_complete: progress.percent_complete.map(i32::from),
        }),
        cancellation_reason: progress.cancellation_reason.unwrap_or_default(),
        account: progress.account,
        evidence: progress
            .evidence
            .into_iter()
            .map(|evidence| proto::TaskEvidence {
                title: evidence.title,
                link: evidence.link.unwrap_or_default(),
                document_id: evidence.document_id.unwrap_or_default(),
                sha256: evidence.sha256.as_str().to_string(),
            })
            .collect(),
        submitted_by: stored.submitted_by.clone(),
    })
}

fn line_to_proto(line: &Line<'_>) -> proto::TaskLine {
    let report = line.report.as_ref();
    proto::TaskLine {
        task_code: line.task.code.clone(),
        task_name: line.task.name.clone(),
        group: line.task.group.clone(),
        lead_kind: party_kind(line.lead) as i32,
        lead_code: line.lead_code.clone(),
        lead_name: line.lead_name.clone(),
        due_on: line.due_on.to_string(),
        status: status_to_proto(line.status) as i32,
        percent_complete: line.percent_complete.map(i32::from),
        progress_id: report.map_or(0, |report| report.progress_id),
        reported_period_code: report
            .map(|report| report.period_code.clone())
            .unwrap_or_default(),
        revision: report.map_or(0, |report| report.revision),
        overdue: line.is_overdue(),
        days_late: i32::try_from(line.days_late).unwrap_or(i32::MAX),
    }
}

/// The follow-up as task.proto serves it (and the province's report holds it).
pub fn follow_up_to_proto(
    followed: &FollowUp<'_>,
    plan: &Plan,
    period: &Period,
) -> proto::TaskFollowUp {
    let count = |value: u32| i32::try_from(value).unwrap_or(i32::MAX);
    proto::TaskFollowUp {
        plan_code: plan.code.clone(),
        period_code: period.code.clone(),
        province_code: followed.province_code.clone(),
        as_of: followed.as_of.to_string(),
        lines: followed.lines.iter().map(line_to_proto).collect(),
        by_status: followed
            .by_status
            .iter()
            .map(|(status, lines)| proto::StatusCount {
                status: status_to_proto(*status) as i32,
                lines: count(*lines),
            })
            .collect(),
        overdue: followed
            .overdue
            .iter()
            .map(|index| line_to_proto(&followed.lines[*index]))
            .collect(),
        leads: followed
            .leads
            .iter()
            .map(|load| proto::LeadLoad {
                lead_kind: party_kind(load.lead) as i32,
                lead_code: load.lead_code.clone(),
                lead_name: load.lead_name.clone(),
                lines: count(load.lines),
                open: count(load.open),
                overdue: count(load.overdue),
            })
            .collect(),
    }
}

#[tonic::async_trait]
impl TaskService for TaskApi {
    #[instrument(skip_all, fields(plan = %request.get_ref().plan_code))]
    async fn list_plan_tasks(
        &self,
        request: Request<ListPlanTasksRequest>,
    ) -> Result<Response<ListPlanTasksResponse>, Status> {
        let caller = caller_of(&request)?;
        let request = request.into_inner();
        let listed = async {
            AppError::check_fields(&[("plan_code", Field::Code(&request.plan_code))])?;
            let tasks = self.app.plan_tasks(&caller, &request.plan_code).await?;
            let plan_code = &request.plan_code;
            let (tasks, next_page_token) = paged(
                self.app.page_tokens(),
                &tasks,
                |task| &task.code,
                |task| task_to_proto(plan_code, task),
                (request.page_size, &request.page_token),
                &format!("tasks;plan={plan_code}"),
            )?;
            Ok::<_, AppError>(ListPlanTasksResponse {
                tasks,
                next_page_token,
            })
        };
        Ok(Response::new(listed.await?))
    }

    #[instrument(skip_all, fields(plan = %request.get_ref().plan_code, task = %request.get_ref().code))]
    async fn get_plan_task(
        &self,
        request: Request<GetPlanTaskRequest>,
    ) -> Result<Response<proto::PlanTask>, Status> {
        let caller = caller_of(&request)?;
        let request = request.into_inner();
        let found = async {
            AppError::check_fields(&[
                ("plan_code", Field::Code(&request.plan_code)),
                ("code", Field::Code(&request.code)),
            ])?;
            let task = self
                .app
                .plan_task(&caller, &request.plan_code, &request.code)
                .await?;
            Ok::<_, AppError>(task_to_proto(&request.plan_code, &task))
        };
        Ok(Response::new(found.await?))
    }

    #[instrument(skip_all, fields(plan = %request.get_ref().plan_code, task = %request.get_ref().task_code, period = %request.get_ref().period_code))]
    async fn report_task_progress(
        &self,
        request: Request<ReportTaskProgressRequest>,
    ) -> Result<Response<proto::TaskProgressReceipt>, Status> {
        let caller = caller_of(&request)?;
        Ok(Response::new(
            self.report(request.into_inner(), &caller).await?,
        ))
    }

    #[instrument(skip_all, fields(plan = %request.get_ref().plan_code, task = %request.get_ref().task_code, period = %request.get_ref().period_code))]
    async fn get_task_progress(
        &self,
        request: Request<GetTaskProgressRequest>,
    ) -> Result<Response<proto::TaskProgress>, Status> {
        let caller = caller_of(&request)?;
        Ok(Response::new(
            self.get_progress(request.into_inner(), &caller).await?,
        ))
    }

    #[instrument(skip_all, fields(plan = %request.get_ref().plan_code, period = %request.get_ref().period_code))]
    async fn get_task_follow_up(
        &self,
        request: Request<GetTaskFollowUpRequest>,
    ) -> Result<Response<proto::TaskFollowUp>, Status> {
        let caller = caller_of(&request)?;
        Ok(Response::new(
            self.follow(request.into_inner(), &caller).await?,
        ))
    }
}
