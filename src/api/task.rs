//! TaskService: a plan's tasks from the catalogue, the leads' progress reports on them (checked by
//! domain::task, kept with every revision), and the following of a plan in a province.

use std::sync::Arc;

use tonic::{Request, Response, Status};
use tracing::{info, instrument};

use super::access::caller_of;
use super::catalog::paged;
use super::convert::{as_of_date, timestamp};
use crate::app::Caller;
use crate::app::names::{find_period, find_plan};
use crate::app::pagination::PageTokens;
use crate::app::{App, AppError, ReadModel};
use crate::domain::Catalog;
use crate::domain::access::Role;
use crate::domain::assessment::EvidenceDraft;
use crate::domain::formats::{Field, check_fields, is_code};
use crate::domain::naming::{did_you_mean, echo};
use crate::domain::period::Period;
use crate::domain::plan::Plan;
use crate::domain::province_report::reporting_provinces;
use crate::domain::task::{LineKey, Party, Progress, ProgressDraft, Task, TaskStatus};
use crate::domain::task_follow_up::{FollowUp, Line, follow_up, line_led_by, may_read_line};
use crate::proto::task_service_server::TaskService;
use crate::proto::{
    self, GetPlanTaskRequest, GetTaskFollowUpRequest, GetTaskProgressRequest, ListPlanTasksRequest,
    ListPlanTasksResponse, ReportTaskProgressRequest,
};
use crate::store::{NewTaskProgress, Store, StoreError, StoredTaskProgress};

pub struct TaskApi {
    read_model: Arc<ReadModel>,
    store: Store,
    page_tokens: PageTokens,
}

/// The task `code` names in `plan`; NOT_FOUND (TASK_NOT_FOUND) naming the closest otherwise.
fn find_task<'a>(plan: &'a Plan, code: &str) -> Result<&'a Task, AppError> {
    plan.tasks
        .iter()
        .find(|task| task.code == code)
        .ok_or_else(|| {
            let known = plan.tasks.iter().map(|task| task.code.as_str());
            AppError::not_found(
                "TASK_NOT_FOUND",
                format!(
                    "plan {:?} has no task {}{}",
                    plan.code,
                    echo(code),
                    did_you_mean(code, known)
                ),
            )
        })
}

impl TaskApi {
    pub fn new(app: &App) -> TaskApi {
        TaskApi {
            read_model: app.read_model().clone(),
            store: app.store().clone(),
            page_tokens: app.page_tokens().clone(),
        }
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
        let catalog = self.read_model.catalog(Some(caller.counters())).await?;
        let plan = find_plan(&catalog, &request.plan_code)?;
        let task = find_task(plan, &request.task_code)?;
        let period = find_period(&catalog, &request.period_code)?;
        require_followed(task, period)?;
        let principal = &caller.principal();
        let Some(reporter_code) = line_led_by(principal, &catalog, plan, task, period) else {
            return Err(AppError::out_of_reach(format!(
                "{principal} does not lead task {} of {} in {}: the lead reports on its own \
                 tasks",
                task.code, plan.code, period.code
            )));
        };
        let progress = Progress::parse(&draft_of(&request)).map_err(AppError::InvalidArgument)?;
        let line = LineKey {
            plan_code: &plan.code,
            task_code: &task.code,
            period_code: &period.code,
            reporter_code,
        };
        let content_hash = progress.content_hash(&line);
        let mut receipt = proto::TaskProgressReceipt {
            id: 0,
            plan_code: plan.code.clone(),
            task_code: task.code.clone(),
            period_code: period.code.clone(),
            reporter_code: reporter_code.to_string(),
            revision: 0,
            received_at: Some(timestamp(chrono::Utc::now())),
            content_hash: content_hash.clone(),
            replayed: false,
            validated_only: request.validate_only,
            status: status_to_proto(progress.status) as i32,
            percent_complete: progress.percent_complete.map(i32::from),
        };
        if request.validate_only {
            return Ok(receipt);
        }
        let content = serde_json::to_vec(&progress)
            .map_err(|error| StoreError::Corrupt(format!("task progress: {error}")))?;
        let submitted_by = principal.to_string();
        let stored = self
            .store
            .report_task_progress(NewTaskProgress {
                plan_code: &plan.code,
                task_code: &task.code,
                period_code: &period.code,
                reporter_code,
                request_id: request.request_id.trim(),
                content,
                content_hash: &content_hash,
                submitted_by: &submitted_by,
            })
            .await?;
        let (stored, replayed) = stored.stored_or(|taken| AppError::RequestIdReused {
            submission_id: (taken.reporter_code == reporter_code).then_some(taken.id),
            request_id: taken.request_id,
        })?;
        info!(
            plan = %plan.code,
            task = %task.code,
            period = %period.code,
            reporter = %reporter_code,
            revision = stored.revision,
            replayed,
            "task progress stored"
        );
        // A replay has the same content hash, so only the row's own facts differ.
        receipt.id = stored.id;
        receipt.revision = stored.revision;
        receipt.received_at = Some(timestamp(stored.received_at));
        receipt.replayed = replayed;
        Ok(receipt)
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
        let catalog = self.read_model.catalog(Some(caller.counters())).await?;
        let plan = find_plan(&catalog, &request.plan_code)?;
        let task = find_task(plan, &request.task_code)?;
        let period = find_period(&catalog, &request.period_code)?;
        let reporter_code = request.reporter_code.as_str();
        let principal = &caller.principal();
        if !may_read_line(principal, &catalog, reporter_code, period) {
            return Err(AppError::out_of_reach(format!(
                "{principal} does not reach the progress of {} in {}",
                echo(reporter_code),
                period.code
            )));
        }
        let revision = (request.revision > 0).then_some(request.revision);
        let stored = self
            .store
            .task_progress(
                &plan.code,
                &task.code,
                &period.code,
                reporter_code,
                revision,
            )
            .await?
            .ok_or_else(|| {
                AppError::not_found(
                    "TASK_PROGRESS_NOT_FOUND",
                    format!(
                        "{} has reported no progress on task {} of {} for {}{}",
                        echo(reporter_code),
                        task.code,
                        plan.code,
                        period.code,
                        revision
                            .map(|revision| format!(" in revision {revision}"))
                            .unwrap_or_default()
                    ),
                )
            })?;
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
        let as_of = as_of?;
        let catalog = self.read_model.catalog(Some(caller.counters())).await?;
        let plan = find_plan(&catalog, &request.plan_code)?;
        let period = find_period(&catalog, &request.period_code)?;
        let principal = &caller.principal();
        let own_province = (principal.role == Role::Province)
            .then_some(principal.organization.as_deref())
            .flatten();
        let province_code =
            followed_province(&catalog, plan, period, &request.scope, own_province)?;
        if principal.role != Role::Ministry && own_province != Some(province_code.as_str()) {
            return Err(AppError::out_of_reach(format!(
                "{principal} does not follow province {province_code}: a province follows its own"
            )));
        }
        let reported = crate::app::tasks::reported_lines(&self.store, &catalog, plan).await?;
        let followed = follow_up(&catalog, plan, period, &province_code, &reported, as_of);
        Ok(follow_up_to_proto(&followed, plan, period))
    }
}

/// Refuses a period before the task starts (INVALID_ARGUMENT, period_code).
fn require_followed(task: &Task, period: &Period) -> Result<(), AppError> {
    if task.followed_in(period.year) {
        return Ok(());
    }
    Err(AppError::invalid_argument(
        "period_code",
        format!(
            "task {} starts on {}: it is not followed in period {}",
            task.code, task.starts_on, period.code
        ),
    ))
}

/// The province a follow-up asks for: "province:CODE", or the caller's own for an empty scope; it
/// must follow the plan in the period (INVALID_ARGUMENT, scope, naming those that do).
fn followed_province(
    catalog: &Catalog,
    plan: &Plan,
    period: &Period,
    scope: &str,
    own_province: Option<&str>,
) -> Result<String, AppError> {
    let code = if scope.is_empty() {
        own_province
            .ok_or_else(|| AppError::invalid_argument("scope", "required: province:CODE"))?
    } else {
        scope
            .strip_prefix("province:")
            .filter(|code| is_code(code))
            .ok_or_else(|| {
                AppError::invalid_argument(
                    "scope",
                    format!("{} is not a scope such as province:CODE", echo(scope)),
                )
            })?
    };
    let provinces = reporting_provinces(catalog, plan, period);
    if provinces.iter().any(|province| province.code == code) {
        return Ok(code.to_string());
    }
    let following: Vec<&str> = provinces.iter().map(|p| p.code.as_str()).collect();
    Err(AppError::invalid_argument(
        "scope",
        format!(
            "province {} does not follow plan {} in {}; these do: {}",
            echo(code),
            plan.code,
            period.code,
            following.join(", ")
        ),
    ))
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
            let catalog = self.read_model.catalog(Some(caller.counters())).await?;
            let plan = find_plan(&catalog, &request.plan_code)?;
            let (tasks, next_page_token) = paged(
                &self.page_tokens,
                &plan.tasks,
                |task| &task.code,
                |task| task_to_proto(&plan.code, task),
                (request.page_size, &request.page_token),
                &format!("tasks;plan={}", plan.code),
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
            let catalog = self.read_model.catalog(Some(caller.counters())).await?;
            let plan = find_plan(&catalog, &request.plan_code)?;
            let task = find_task(plan, &request.code)?;
            Ok::<_, AppError>(task_to_proto(&plan.code, task))
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
