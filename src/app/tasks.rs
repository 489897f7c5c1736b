//! Tasks of a plan: the catalogue's tasks, the progress their leads report on each line (every
//! revision kept), and the province's follow-up of them.

pub(super) mod requests;

use chrono::{NaiveDate, Utc};
use tracing::info;

use super::access::{self, FollowUpReader, LineReader, LineReporter};
use super::authentication::Caller;
use super::error::AppError;
use super::names::{find_period, find_plan};
use super::state::App;
use crate::domain::Catalog;
use crate::domain::formats::is_code;
use crate::domain::naming::{did_you_mean, echo};
use crate::domain::period::{Period, today_in_vietnam};
use crate::domain::plan::Plan;
use crate::domain::province_report::reporting_provinces;
use crate::domain::task::{LineKey, Progress, Task};
use crate::domain::task_follow_up::{FollowUp, ReportedLine, follow_up};
use crate::store::{NewTaskProgress, Store, StoreError};
pub use requests::{KeptRevision, LineReport, ProgressReport};

pub use crate::store::StoredTaskProgress;

impl App {
    /// The tasks of plan `plan_code`, in the catalogue's order.
    pub async fn plan_tasks(
        &self,
        caller: &Caller,
        plan_code: &str,
    ) -> Result<Vec<Task>, AppError> {
        let catalog = self.read_model.catalog(Some(caller.counters())).await?;
        Ok(find_plan(&catalog, plan_code)?.tasks.clone())
    }

    /// Task `task_code` of plan `plan_code`.
    pub async fn plan_task(
        &self,
        caller: &Caller,
        plan_code: &str,
        task_code: &str,
    ) -> Result<Task, AppError> {
        let catalog = self.read_model.catalog(Some(caller.counters())).await?;
        let plan = find_plan(&catalog, plan_code)?;
        Ok(find_task(plan, task_code)?.clone())
    }

    /// Checks a lead's report on its line and, unless only validating, keeps it as the line's
    /// next revision (or answers the revision its request id already made, for the same content).
    pub async fn report_task_progress(
        &self,
        caller: &Caller,
        report: LineReport<'_>,
    ) -> Result<ProgressReport, AppError> {
        let catalog = self.read_model.catalog(Some(caller.counters())).await?;
        let plan = find_plan(&catalog, report.plan_code)?;
        let task = find_task(plan, report.task_code)?;
        let period = find_period(&catalog, report.period_code)?;
        require_followed(task, period)?;
        let principal = caller.principal();
        let Some(reporter) = access::report_on_line(caller, &catalog, plan, task, period) else {
            return Err(AppError::out_of_reach(format!(
                "{principal} does not lead task {} of {} in {}: the lead reports on its own \
                 tasks",
                task.code, plan.code, period.code
            )));
        };
        let progress = Progress::parse(report.draft).map_err(AppError::InvalidArgument)?;
        let mut checked = ProgressReport {
            plan_code: plan.code.clone(),
            task_code: task.code.clone(),
            period_code: period.code.clone(),
            reporter_code: reporter.reporter_code().to_string(),
            content_hash: progress.content_hash(&LineKey {
                plan_code: &plan.code,
                task_code: &task.code,
                period_code: &period.code,
                reporter_code: reporter.reporter_code(),
            }),
            progress,
            received_at: Utc::now(),
            kept: None,
        };
        if report.validate_only {
            return Ok(checked);
        }
        let (stored, replayed) = self
            .keep_task_progress(caller, &reporter, &checked, report.request_id.trim())
            .await?;
        info!(
            plan = %plan.code,
            task = %task.code,
            period = %period.code,
            reporter = %reporter.reporter_code(),
            revision = stored.revision,
            replayed,
            "task progress stored"
        );
        // A replay has the same content hash, so only the row's own facts differ.
        checked.received_at = stored.received_at;
        checked.kept = Some(KeptRevision {
            id: stored.id,
            revision: stored.revision,
            replayed,
        });
        Ok(checked)
    }

    /// Stores `checked` for the line `reporter` leads: the row, and whether it was a replay.
    async fn keep_task_progress(
        &self,
        caller: &Caller,
        reporter: &LineReporter,
        checked: &ProgressReport,
        request_id: &str,
    ) -> Result<(StoredTaskProgress, bool), AppError> {
        let content = serde_json::to_vec(&checked.progress)
            .map_err(|error| StoreError::Corrupt(format!("task progress: {error}")))?;
        let submitted_by = caller.principal().to_string();
        let reporter_code = reporter.reporter_code();
        let stored = self
            .store
            .report_task_progress(NewTaskProgress {
                plan_code: &checked.plan_code,
                task_code: &checked.task_code,
                period_code: &checked.period_code,
                reporter_code,
                request_id,
                content,
                content_hash: &checked.content_hash,
                submitted_by: &submitted_by,
            })
            .await?;
        stored.stored_or(|taken| AppError::RequestIdReused {
            submission_id: (taken.reporter_code == reporter_code).then_some(taken.id),
            request_id: taken.request_id,
        })
    }

    /// A line's report for a period: the latest revision, or `revision`.
    pub async fn task_progress(
        &self,
        caller: &Caller,
        plan_code: &str,
        task_code: &str,
        period_code: &str,
        reporter_code: &str,
        revision: Option<i32>,
    ) -> Result<StoredTaskProgress, AppError> {
        let catalog = self.read_model.catalog(Some(caller.counters())).await?;
        let plan = find_plan(&catalog, plan_code)?;
        let task = find_task(plan, task_code)?;
        let period = find_period(&catalog, period_code)?;
        let Some(reader) = access::read_line(caller, &catalog, reporter_code, period) else {
            return Err(AppError::out_of_reach(format!(
                "{} does not reach the progress of {} in {}",
                caller.principal(),
                echo(reporter_code),
                period.code
            )));
        };
        self.line_progress(&reader, &plan.code, &task.code, revision)
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
            })
    }

    async fn line_progress(
        &self,
        reader: &LineReader,
        plan_code: &str,
        task_code: &str,
        revision: Option<i32>,
    ) -> Result<Option<StoredTaskProgress>, AppError> {
        Ok(self
            .store
            .task_progress(
                plan_code,
                task_code,
                reader.period_code(),
                reader.reporter_code(),
                revision,
            )
            .await?)
    }

    /// The follow-up of plan `plan_code` in a province for a period, as of a day, handed to
    /// `present` (it borrows the catalogue it is read from). The province is "province:CODE", or
    /// the caller's own for an empty scope.
    pub async fn task_follow_up<T>(
        &self,
        caller: &Caller,
        plan_code: &str,
        period_code: &str,
        scope: &str,
        as_of: NaiveDate,
        present: impl FnOnce(&FollowUp<'_>, &Plan, &Period) -> T,
    ) -> Result<T, AppError> {
        let catalog = self.read_model.catalog(Some(caller.counters())).await?;
        let plan = find_plan(&catalog, plan_code)?;
        let period = find_period(&catalog, period_code)?;
        let province_code =
            followed_province(&catalog, plan, period, scope, access::own_province(caller))?;
        let Some(reader) = access::read_follow_up(caller, &province_code) else {
            return Err(AppError::out_of_reach(format!(
                "{} does not follow province {province_code}: a province follows its own",
                caller.principal()
            )));
        };
        let followed = self
            .follow_province(&reader, &catalog, plan, period, as_of)
            .await?;
        Ok(present(&followed, plan, period))
    }

    async fn follow_province<'a>(
        &self,
        reader: &FollowUpReader,
        catalog: &'a Catalog,
        plan: &'a Plan,
        period: &Period,
        as_of: NaiveDate,
    ) -> Result<FollowUp<'a>, AppError> {
        let reported = reported_lines(&self.store, catalog, plan).await?;
        Ok(follow_up(
            catalog,
            plan,
            period,
            reader.province_code(),
            &reported,
            as_of,
        ))
    }
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

/// The follow-up a province's yearly report holds (province_report.proto): lateness counted on
/// the day the snapshot is taken, in Vietnam; `None` when the plan has no task followed in the
/// period, so that such a report encodes as before tasks existed.
pub(crate) async fn province_task_follow_up<'a>(
    store: &Store,
    catalog: &'a Catalog,
    plan: &'a Plan,
    period: &Period,
    province_code: &str,
) -> Result<Option<FollowUp<'a>>, AppError> {
    if !plan.tasks.iter().any(|task| task.followed_in(period.year)) {
        return Ok(None);
    }
    let reported = reported_lines(store, catalog, plan).await?;
    let followed = follow_up(
        catalog,
        plan,
        period,
        province_code,
        &reported,
        today_in_vietnam(),
    );
    Ok(Some(followed))
}

/// The latest revision of every line's report on `plan`, as the follow-up reads them. Reports for
/// a period the catalogue no longer has are left out.
pub(crate) async fn reported_lines(
    store: &Store,
    catalog: &Catalog,
    plan: &Plan,
) -> Result<Vec<ReportedLine>, AppError> {
    let mut reported = Vec::new();
    for stored in store.latest_task_progress(&plan.code).await? {
        let Some(period) = catalog.period(&stored.period_code) else {
            continue;
        };
        let progress = stored.progress()?;
        reported.push(ReportedLine {
            task_code: stored.task_code,
            reporter_code: stored.reporter_code,
            period_code: stored.period_code,
            period_year: period.year,
            progress_id: stored.id,
            revision: stored.revision,
            status: progress.status,
            percent_complete: progress.percent_complete,
        });
    }
    Ok(reported)
}
