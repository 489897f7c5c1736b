//! Tasks of a plan: the progress reported on each line, and the province's follow-up of them.

use super::error::AppError;
use crate::domain::Catalog;
use crate::domain::period::{Period, today_in_vietnam};
use crate::domain::plan::Plan;
use crate::domain::task_follow_up::{FollowUp, ReportedLine, follow_up};
use crate::store::Store;

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
