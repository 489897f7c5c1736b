//! The following of a plan's tasks (issue 14, items 2 and 3): who leads which line of a task in a
//! period; and the follow-up of a plan in a province: lines by status, the overdue ones and how
//! late, and each lead's load. It reads the catalogue, so it sits above it, while a task itself
//! (task.rs) is part of what the catalogue holds. The rules are written out for integrators in
//! proto/pressdx/v1/task.proto.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use super::access::{Principal, Role};
use super::catalog::Catalog;
use super::period::Period;
use super::plan::Plan;
use super::province_report::reporting_provinces;
use super::scope::{Boundaries, Scope};
use super::task::{Party, Task, TaskStatus};

/// The line `principal` leads for `task` of `plan` in `period`, by its reporter code (the
/// caller's organisation), or `None` when it leads none: see ReportTaskProgress in task.proto.
pub fn line_led_by<'a>(
    principal: &'a Principal,
    catalog: &Catalog,
    plan: &Plan,
    task: &Task,
    period: &Period,
) -> Option<&'a str> {
    let own = principal.organization.as_deref()?;
    let follows = |province: &str| {
        reporting_provinces(catalog, plan, period)
            .iter()
            .any(|followed| followed.code == province)
    };
    let leads = match (&task.lead, principal.role) {
        (Party::Department, Role::Province) => follows(own),
        (Party::EveryAgency, Role::Agency) => catalog
            .organization(own)
            .and_then(|agency| agency.version_on(period.reference_date()))
            .and_then(|version| version.province_code.as_deref())
            .is_some_and(follows),
        (Party::Agency(code), Role::Agency) | (Party::GoverningBody(code), Role::GoverningBody) => {
            code == own
        }
        _ => false,
    };
    leads.then_some(own)
}

/// The latest revision of one line's report for one period, as the follow-up reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportedLine {
    pub task_code: String,
    pub reporter_code: String,
    pub period_code: String,
    pub period_year: i32,
    pub progress_id: i64,
    pub revision: i32,
    pub status: TaskStatus,
    pub percent_complete: Option<u8>,
}

/// One line of the follow-up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line<'a> {
    pub task: &'a Task,
    /// The kind of the task's lead (an every-agency task's line is led by one agency).
    pub lead: &'a Party,
    pub lead_code: String,
    pub lead_name: String,
    pub due_on: NaiveDate,
    pub status: TaskStatus,
    pub percent_complete: Option<u8>,
    /// The report that counts.
    pub report: Option<ReportedLine>,
    /// Whole days past the due date on as_of while open; 0 otherwise.
    pub days_late: i64,
}

impl Line<'_> {
    pub fn is_overdue(&self) -> bool {
        self.days_late > 0
    }
}

/// One lead organisation's lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeadLoad<'a> {
    pub lead: &'a Party,
    pub lead_code: String,
    pub lead_name: String,
    pub lines: u32,
    pub open: u32,
    pub overdue: u32,
}

/// A plan's tasks in one province and period, as GetTaskFollowUp states.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FollowUp<'a> {
    pub province_code: String,
    pub as_of: NaiveDate,
    /// By task, in the plan's order, then by lead code.
    pub lines: Vec<Line<'a>>,
    /// Every status with its lines, in the vocabulary's order.
    pub by_status: Vec<(TaskStatus, u32)>,
    /// Indices into `lines`: most days late first, then by task code and lead code.
    pub overdue: Vec<usize>,
    /// By lead code.
    pub leads: Vec<LeadLoad<'a>>,
}

/// Follows `plan` in `province_code` for `period` on `as_of`, from the latest revision of every
/// line's report for every period of the plan (`reported`). The province must follow the plan in
/// the period (the caller checks it).
pub fn follow_up<'a>(
    catalog: &'a Catalog,
    plan: &'a Plan,
    period: &Period,
    province_code: &str,
    reported: &[ReportedLine],
    as_of: NaiveDate,
) -> FollowUp<'a> {
    let on = period.reference_date();
    let name_of = |code: &str| {
        catalog
            .organization(code)
            .map(|org| org.version_nearest(on).name.clone())
            .unwrap_or_default()
    };
    // The organisation a one-organisation lead names carries the task in this province when it
    // exists on the reference date and, for a national plan, belongs to the province then.
    let carries = |code: &str| {
        catalog
            .organization(code)
            .and_then(|org| org.version_on(on))
            .is_some_and(|version| {
                plan.province_code.is_some()
                    || version.province_code.as_deref() == Some(province_code)
            })
    };
    let mut lines = Vec::new();
    for task in plan
        .tasks
        .iter()
        .filter(|task| task.followed_in(period.year))
    {
        let mut leads: Vec<String> = match &task.lead {
            Party::Department => vec![province_code.to_string()],
            Party::EveryAgency => Scope::Province(province_code.to_string())
                .in_period(catalog, Boundaries::Historical, period)
                .agencies
                .iter()
                .map(|(agency, _)| agency.code.clone())
                .collect(),
            Party::Agency(code) | Party::GoverningBody(code) if carries(code) => vec![code.clone()],
            Party::Agency(_) | Party::GoverningBody(_) => Vec::new(),
        };
        leads.sort();
        let due_on = task.due_in(period.year);
        for lead_code in leads {
            let report = counting_report(task, &lead_code, period, reported);
            let (status, percent_complete) = report
                .as_ref()
                .map_or((TaskStatus::NotStarted, None), |report| {
                    (report.status, report.percent_complete)
                });
            let days_late = if status.is_open() && as_of > due_on {
                (as_of - due_on).num_days()
            } else {
                0
            };
            lines.push(Line {
                task,
                lead: &task.lead,
                lead_name: name_of(&lead_code),
                lead_code,
                due_on,
                status,
                percent_complete,
                report,
                days_late,
            });
        }
    }
    let by_status = TaskStatus::ALL
        .iter()
        .map(|status| {
            let count = lines.iter().filter(|line| line.status == *status).count();
            (*status, u32::try_from(count).unwrap_or(u32::MAX))
        })
        .collect();
    let mut overdue: Vec<usize> = (0..lines.len())
        .filter(|index| lines[*index].is_overdue())
        .collect();
    overdue.sort_by(|a, b| {
        let (a, b) = (&lines[*a], &lines[*b]);
        b.days_late
            .cmp(&a.days_late)
            .then_with(|| a.task.code.cmp(&b.task.code))
            .then_with(|| a.lead_code.cmp(&b.lead_code))
    });
    let mut loads: BTreeMap<&str, LeadLoad<'a>> = BTreeMap::new();
    for line in &lines {
        let load = loads
            .entry(line.lead_code.as_str())
            .or_insert_with(|| LeadLoad {
                lead: line.lead,
                lead_code: line.lead_code.clone(),
                lead_name: line.lead_name.clone(),
                lines: 0,
                open: 0,
                overdue: 0,
            });
        load.lines += 1;
        load.open += u32::from(line.status.is_open());
        load.overdue += u32::from(line.is_overdue());
    }
    let leads = loads.into_values().collect();
    FollowUp {
        province_code: province_code.to_string(),
        as_of,
        lines,
        by_status,
        overdue,
        leads,
    }
}

/// The report that gives a line its status in `period`: for a yearly task, that period's own; for
/// a one-off task, that of the latest period up to this one with a report.
fn counting_report(
    task: &Task,
    lead_code: &str,
    period: &Period,
    reported: &[ReportedLine],
) -> Option<ReportedLine> {
    reported
        .iter()
        .filter(|report| report.task_code == task.code && report.reporter_code == lead_code)
        .filter(|report| {
            if task.recurs_yearly {
                report.period_code == period.code
            } else {
                report.period_year <= period.year
            }
        })
        .max_by_key(|report| (report.period_year, report.period_code.clone()))
        .cloned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog_file::{self, DEFAULT_CATALOG};

    fn date(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    fn task(starts_on: &str, due_on: &str, recurs_yearly: bool) -> Task {
        Task {
            code: "T1".into(),
            name: "a task".into(),
            group: "III.1".into(),
            lead: Party::EveryAgency,
            cooperating: vec![Party::Department],
            starts_on: date(starts_on),
            due_on: date(due_on),
            expected_output: String::new(),
            recurs_yearly,
            illustrative: false,
            note: String::new(),
        }
    }

    /// A one-off task done in 2023 is still done in 2024; a yearly one starts afresh each year.
    #[test]
    fn a_one_off_status_carries_over_and_a_yearly_one_starts_afresh() {
        let catalog = catalog_file::parse(DEFAULT_CATALOG).unwrap();
        let mut once = task("2023-01-01", "2023-06-30", false);
        once.code = "ONCE".into();
        once.lead = Party::Department;
        let mut yearly = task("2023-01-01", "2023-11-14", true);
        yearly.code = "YEARLY".into();
        yearly.lead = Party::Department;
        let plan = Plan {
            code: "p".into(),
            name: "p".into(),
            decision: String::new(),
            issued_on: None,
            province_code: Some("ha-nam".into()),
            targets: Vec::new(),
            tasks: vec![once, yearly],
        };
        let done_in_2023 = |task: &str| ReportedLine {
            task_code: task.into(),
            reporter_code: "ha-nam".into(),
            period_code: "2023".into(),
            period_year: 2023,
            progress_id: 1,
            revision: 1,
            status: TaskStatus::Done,
            percent_complete: Some(100),
        };
        let reported = [done_in_2023("ONCE"), done_in_2023("YEARLY")];
        let period = catalog.period("2024").unwrap();
        let followed = follow_up(
            &catalog,
            &plan,
            period,
            "ha-nam",
            &reported,
            date("2024-12-01"),
        );
        let statuses: Vec<(&str, TaskStatus, i64)> = followed
            .lines
            .iter()
            .map(|line| (line.task.code.as_str(), line.status, line.days_late))
            .collect();
        // YEARLY is due 2024-11-14 in 2024, not reported for it: 14 Nov -> 1 Dec is 17 days.
        assert_eq!(
            statuses,
            [
                ("ONCE", TaskStatus::Done, 0),
                ("YEARLY", TaskStatus::NotStarted, 17)
            ]
        );
        assert_eq!(followed.leads.len(), 1);
        assert_eq!((followed.leads[0].lines, followed.leads[0].open), (2, 1));
    }
}
