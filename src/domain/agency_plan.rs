//! An agency's own digital transformation plan under a plan of the catalogue (item 4 of issue
//! 14): what it commits to for the plan's targets, year by year, in each target's own terms, and
//! its own tasks; parsed with every violation at once, and read against the agency's reports.
//! The rules are written out for integrators in proto/pressdx/v1/agency_plan.proto.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use serde::Serialize;

use super::canonical::{sha256_hex, to_canonical_json};
use super::catalog::Catalog;
use super::evaluation::{AgencyResult, AgencyStanding};
use super::formats::{check_code, parse_date};
use super::limits::{MAX_AGENCY_TASKS, MAX_COMMITMENTS, MAX_PARAGRAPH_CHARS, MAX_TITLE_CHARS};
use super::period::Period;
use super::plan::{FULL_SHARE_BP, Plan, Target, TargetRule};
use super::ratio::Ratio;
use super::status::requirement;
use super::summary::{ReportSnapshot, ReportsRead, agency_standing};
use super::violation::{FieldViolation, Violations};

/// Names the form a content hash was computed in: a change to the hashed shape is a new form.
const CONTENT_HASH_FORM: &str = "pressdx.agency-plan.v1";

const FIRST_YEAR: i32 = 2000;
const LAST_YEAR: i32 = 2100;
/// +1000%: a growth beyond it is a typing error, not a commitment.
const MAX_GROWTH_BP: i64 = 100_000;

/// How a target's commitment is written: in the target's own terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommitmentKind {
    /// An agency-share target without a growth: it meets the condition, or not yet.
    Meets,
    /// An agency-share target whose condition reads a growth: the growth it commits to.
    Growth,
    /// A people-share target: the share of its own people.
    Share,
}

impl CommitmentKind {
    pub fn of(rule: &TargetRule) -> CommitmentKind {
        match rule {
            TargetRule::AgencyShare { condition, .. } if condition.needs_parameter() => {
                CommitmentKind::Growth
            }
            TargetRule::AgencyShare { .. } => CommitmentKind::Meets,
            TargetRule::PeopleShare { .. } => CommitmentKind::Share,
        }
    }

    /// The request's field for a value of this kind.
    pub fn field(self) -> &'static str {
        match self {
            CommitmentKind::Meets => "meets",
            CommitmentKind::Growth => "growth_bp",
            CommitmentKind::Share => "share_bp",
        }
    }
}

/// A commitment's value as sent: not yet checked against its target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueDraft {
    Meets(bool),
    GrowthBp(i64),
    ShareBp(i64),
}

impl ValueDraft {
    fn kind(self) -> CommitmentKind {
        match self {
            ValueDraft::Meets(_) => CommitmentKind::Meets,
            ValueDraft::GrowthBp(_) => CommitmentKind::Growth,
            ValueDraft::ShareBp(_) => CommitmentKind::Share,
        }
    }
}

/// A commitment's value, checked against its target's kind and range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CommitmentValue {
    Meets(bool),
    GrowthBp(u32),
    ShareBp(u32),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitmentDraft {
    pub target_code: String,
    pub year: i32,
    /// `None` when the client set no value at all (an empty oneof).
    pub value: Option<ValueDraft>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TaskDraft {
    pub code: String,
    pub name: String,
    pub due_on: String,
    pub expected_output: String,
}

/// An agency plan as a client sends it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AgencyPlanDraft {
    pub commitments: Vec<CommitmentDraft>,
    pub tasks: Vec<TaskDraft>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Commitment {
    pub target_code: String,
    pub year: i32,
    pub value: CommitmentValue,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AgencyTask {
    pub code: String,
    pub name: String,
    pub due_on: NaiveDate,
    pub expected_output: String,
}

/// A checked agency plan: commitments by target (in the plan's order) then year, tasks by code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgencyPlanContent {
    commitments: Vec<Commitment>,
    tasks: Vec<AgencyTask>,
}

/// How field paths name a commitment: "commitments[converged_newsroom/2025]".
pub fn commitment_key(target_code: &str, year: i32) -> String {
    format!("commitments[{target_code}/{year}]")
}

/// How field paths name a task: "tasks[T1]".
pub fn task_key(code: &str) -> String {
    format!("tasks[{code}]")
}

impl AgencyPlanContent {
    /// Checks a draft against the plan it carries out, reporting every violation at once.
    pub fn parse(
        draft: AgencyPlanDraft,
        plan: &Plan,
    ) -> Result<AgencyPlanContent, Vec<FieldViolation>> {
        let mut violations = Violations::new();
        if draft.commitments.is_empty() {
            violations.add("commitments", "at least one commitment is required");
        }
        if draft.commitments.len() > MAX_COMMITMENTS {
            violations.add(
                "commitments",
                format!("at most {MAX_COMMITMENTS} commitments"),
            );
        }
        if draft.tasks.len() > MAX_AGENCY_TASKS {
            violations.add("tasks", format!("at most {MAX_AGENCY_TASKS} tasks"));
        }
        let mut commitments: BTreeMap<(usize, i32), Commitment> = BTreeMap::new();
        let mut seen_commitments = BTreeSet::new();
        for commitment in &draft.commitments {
            let key = commitment_key(&commitment.target_code, commitment.year);
            if !seen_commitments.insert((commitment.target_code.clone(), commitment.year)) {
                violations.add(key, "given more than once");
                continue;
            }
            if let Some((position, checked)) = check_commitment(commitment, plan, &mut violations) {
                commitments.insert((position, checked.year), checked);
            }
        }
        let mut tasks: BTreeMap<String, AgencyTask> = BTreeMap::new();
        let mut seen_tasks = BTreeSet::new();
        for task in &draft.tasks {
            if !seen_tasks.insert(task.code.clone()) {
                violations.add(task_key(&task.code), "given more than once");
                continue;
            }
            if let Some(checked) = check_task(task, &mut violations) {
                tasks.insert(checked.code.clone(), checked);
            }
        }
        violations.into_result(AgencyPlanContent {
            commitments: commitments.into_values().collect(),
            tasks: tasks.into_values().collect(),
        })
    }

    pub fn commitments(&self) -> &[Commitment] {
        &self.commitments
    }

    pub fn tasks(&self) -> &[AgencyTask] {
        &self.tasks
    }

    /// "sha256:" and the hex SHA-256 of the plan's canonical JSON with the agency's and the
    /// plan's codes: commitments keyed by target and year, tasks by code, so that the order a
    /// client sent them in changes nothing.
    pub fn content_hash(&self, agency_code: &str, plan_code: &str) -> String {
        content_hash_of(agency_code, plan_code, &self.commitments, &self.tasks)
    }

    /// The codes of the targets committed to, in the plan's order, each once.
    pub fn committed_targets(&self) -> Vec<&str> {
        let mut codes: Vec<&str> = Vec::new();
        for commitment in &self.commitments {
            if codes.last() != Some(&commitment.target_code.as_str()) {
                codes.push(&commitment.target_code);
            }
        }
        codes
    }

    /// The commitment in force for a target in `year`: the one of that year, else the latest
    /// before it; none before the first. Never interpolated: an agency answers for what it wrote.
    pub fn in_force(&self, target_code: &str, year: i32) -> Option<&Commitment> {
        self.commitments
            .iter()
            .filter(|commitment| commitment.target_code == target_code && commitment.year <= year)
            .max_by_key(|commitment| commitment.year)
    }
}

/// The content hash of a plan's commitments and tasks as `agency_code`'s under `plan_code` (see
/// [`AgencyPlanContent::content_hash`]): the one hash of an agency plan, whether it is computed
/// from parsed content or from its stored form.
pub fn content_hash_of(
    agency_code: &str,
    plan_code: &str,
    commitments: &[Commitment],
    tasks: &[AgencyTask],
) -> String {
    #[derive(Serialize)]
    struct Hashed<'a> {
        form: &'static str,
        agency_code: &'a str,
        plan_code: &'a str,
        commitments: BTreeMap<String, CommitmentValue>,
        tasks: BTreeMap<&'a str, &'a AgencyTask>,
    }
    let hashed = Hashed {
        form: CONTENT_HASH_FORM,
        agency_code,
        plan_code,
        commitments: commitments
            .iter()
            .map(|commitment| {
                (
                    format!("{}/{}", commitment.target_code, commitment.year),
                    commitment.value,
                )
            })
            .collect(),
        tasks: tasks
            .iter()
            .map(|task| (task.code.as_str(), task))
            .collect(),
    };
    sha256_hex(to_canonical_json(&hashed).as_bytes())
}

/// A commitment checked against the plan: its target's position in the plan (for the canonical
/// order) and the commitment, or `None` with the violations recorded.
fn check_commitment(
    commitment: &CommitmentDraft,
    plan: &Plan,
    violations: &mut Violations,
) -> Option<(usize, Commitment)> {
    let key = commitment_key(&commitment.target_code, commitment.year);
    let found = violations.len();
    let target = plan
        .targets
        .iter()
        .position(|target| target.code == commitment.target_code);
    if target.is_none() {
        let known: Vec<&str> = plan.targets.iter().map(|t| t.code.as_str()).collect();
        violations.add(
            format!("{key}.target_code"),
            format!(
                "plan {} has no target {:?}: one of {}",
                plan.code,
                commitment.target_code,
                known.join(", ")
            ),
        );
    }
    if !(FIRST_YEAR..=LAST_YEAR).contains(&commitment.year) {
        violations.add(
            format!("{key}.year"),
            format!("a year from {FIRST_YEAR} to {LAST_YEAR}"),
        );
    }
    let value = match (target, commitment.value) {
        (_, None) => {
            let expected = target.map_or("meets, growth_bp or share_bp", |position| {
                CommitmentKind::of(&plan.targets[position].rule).field()
            });
            violations.add(
                key.clone(),
                format!("a commitment needs its value: {expected}"),
            );
            None
        }
        (None, Some(_)) => None,
        (Some(position), Some(value)) => {
            check_value(&plan.targets[position], value, &key, violations)
        }
    };
    if violations.len() > found {
        return None;
    }
    Some((
        target?,
        Commitment {
            target_code: commitment.target_code.clone(),
            year: commitment.year,
            value: value?,
        },
    ))
}

/// A value of the target's kind, within its range.
fn check_value(
    target: &Target,
    value: ValueDraft,
    key: &str,
    violations: &mut Violations,
) -> Option<CommitmentValue> {
    let kind = CommitmentKind::of(&target.rule);
    if value.kind() != kind {
        violations.add(
            format!("{key}.{}", value.kind().field()),
            format!(
                "target {} is committed to with {}, not {}",
                target.code,
                kind.field(),
                value.kind().field()
            ),
        );
        return None;
    }
    let mut in_range = |bp: i64, most: i64| -> Option<u32> {
        if (0..=most).contains(&bp) {
            u32::try_from(bp).ok()
        } else {
            violations.add(
                format!("{key}.{}", kind.field()),
                format!("from 0 to {most} basis points"),
            );
            None
        }
    };
    match value {
        ValueDraft::Meets(meets) => Some(CommitmentValue::Meets(meets)),
        ValueDraft::GrowthBp(bp) => in_range(bp, MAX_GROWTH_BP).map(CommitmentValue::GrowthBp),
        ValueDraft::ShareBp(bp) => {
            in_range(bp, i64::from(FULL_SHARE_BP)).map(CommitmentValue::ShareBp)
        }
    }
}

fn check_task(task: &TaskDraft, violations: &mut Violations) -> Option<AgencyTask> {
    let key = task_key(&task.code);
    let found = violations.len();
    if task.code.is_empty() {
        violations.add(format!("{key}.code"), "required");
    } else if let Err(why) = check_code(&task.code) {
        violations.add(format!("{key}.code"), why);
    }
    for (field, text, most) in [
        ("name", &task.name, MAX_TITLE_CHARS),
        (
            "expected_output",
            &task.expected_output,
            MAX_PARAGRAPH_CHARS,
        ),
    ] {
        if text.is_empty() {
            violations.add(format!("{key}.{field}"), "required");
        } else if text.chars().count() > most {
            violations.add(
                format!("{key}.{field}"),
                format!("at most {most} characters"),
            );
        }
    }
    let due_on = if task.due_on.is_empty() {
        violations.add(format!("{key}.due_on"), "required");
        None
    } else {
        parse_date(&task.due_on)
            .map_err(|why| violations.add(format!("{key}.due_on"), why))
            .ok()
    };
    if violations.len() > found {
        return None;
    }
    Some(AgencyTask {
        code: task.code.clone(),
        name: task.name.clone(),
        due_on: due_on?,
        expected_output: task.expected_output.clone(),
    })
}

/// Where an agency stands against its own commitment in a period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommitmentStanding {
    Met,
    NotMet,
    NotReported,
    /// Its value cannot be judged (no baseline, a count left unset); why is the drill-down's
    /// value, [`TargetProgress::against_plan`].
    NotEvaluable,
    /// None in force this year, or one to not meet the condition yet.
    NoCommitment,
    /// Not in the target's population on the period's reference date.
    NotInPopulation,
}

/// One target of an agency's progress: its commitment in force and where it stands against it,
/// and its standing against the plan's own requirement, as the drill-down gives it.
#[derive(Debug, Clone)]
pub struct TargetProgress<'a> {
    pub target: &'a Target,
    pub commitment: Option<&'a Commitment>,
    pub standing: CommitmentStanding,
    /// Against the plan's requirement for the year; `None` outside the target's population.
    pub against_plan: Option<AgencyResult>,
}

/// An agency's progress in `period` against its plan's commitments, target by target in the
/// plan's order, and every report the values read.
pub fn progress<'a>(
    catalog: &Catalog,
    snapshot: &ReportSnapshot,
    plan: &'a Plan,
    content: &'a AgencyPlanContent,
    period: &Period,
    agency_code: &str,
) -> (Vec<TargetProgress<'a>>, ReportsRead) {
    let mut reads = ReportsRead::default();
    let committed = content.committed_targets();
    let mut progress = Vec::new();
    for target in plan
        .targets
        .iter()
        .filter(|target| committed.contains(&target.code.as_str()))
    {
        let required = requirement(&target.milestones, period.year);
        let (against_plan, read) = agency_standing(
            catalog,
            snapshot,
            period,
            target,
            agency_code,
            required.parameter_bp,
            required.required,
        );
        reads.extend(read);
        let commitment = content.in_force(&target.code, period.year);
        let standing = match commitment.map(|commitment| commitment.value) {
            None | Some(CommitmentValue::Meets(false)) => CommitmentStanding::NoCommitment,
            Some(value) => {
                // The plan's parameter and requirement give way to the agency's own.
                let (parameter_bp, required) = match value {
                    CommitmentValue::GrowthBp(bp) => (Some(bp), None),
                    CommitmentValue::ShareBp(bp) => (None, Some(Ratio::from_basis_points(bp))),
                    CommitmentValue::Meets(_) => (required.parameter_bp, None),
                };
                let (own, read) = agency_standing(
                    catalog,
                    snapshot,
                    period,
                    target,
                    agency_code,
                    parameter_bp,
                    required,
                );
                reads.extend(read);
                match own.map(|own| own.standing) {
                    None => CommitmentStanding::NotInPopulation,
                    Some(AgencyStanding::Meets) => CommitmentStanding::Met,
                    Some(AgencyStanding::DoesNotMeet) => CommitmentStanding::NotMet,
                    Some(AgencyStanding::NotReported) => CommitmentStanding::NotReported,
                    Some(AgencyStanding::NotEvaluable(_)) => CommitmentStanding::NotEvaluable,
                }
            }
        };
        progress.push(TargetProgress {
            target,
            commitment,
            standing,
            against_plan,
        });
    }
    (progress, reads)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog_file::{self, DEFAULT_CATALOG};

    fn national() -> Plan {
        let catalog = catalog_file::parse(DEFAULT_CATALOG).unwrap();
        catalog
            .plans
            .iter()
            .find(|plan| plan.code == "national-348-qd-ttg")
            .unwrap()
            .clone()
    }

    fn commitment(target: &str, year: i32, value: ValueDraft) -> CommitmentDraft {
        CommitmentDraft {
            target_code: target.into(),
            year,
            value: Some(value),
        }
    }

    fn task(code: &str, due_on: &str) -> TaskDraft {
        TaskDraft {
            code: code.into(),
            name: format!("task {code}"),
            due_on: due_on.into(),
            expected_output: "a decision".into(),
        }
    }

    #[test]
    fn each_target_is_committed_to_in_its_own_terms() {
        let plan = national();
        let kinds: Vec<(&str, CommitmentKind)> = plan
            .targets
            .iter()
            .map(|target| (target.code.as_str(), CommitmentKind::of(&target.rule)))
            .collect();
        assert!(kinds.contains(&("converged_newsroom", CommitmentKind::Meets)));
        assert!(kinds.contains(&("revenue_growth", CommitmentKind::Growth)));
        assert!(kinds.contains(&("staff_trained", CommitmentKind::Share)));
    }

    #[test]
    fn every_violation_is_named_at_once_by_its_entry() {
        let draft = AgencyPlanDraft {
            commitments: vec![
                commitment("converged_newsroom", 2025, ValueDraft::ShareBp(5000)),
                commitment("staff_trained", 2025, ValueDraft::ShareBp(10_001)),
                commitment("no_such_target", 2025, ValueDraft::Meets(true)),
                commitment("revenue_growth", 1999, ValueDraft::GrowthBp(2000)),
                commitment("converged_newsroom", 2025, ValueDraft::Meets(true)),
                CommitmentDraft {
                    target_code: "staff_trained".into(),
                    year: 2030,
                    value: None,
                },
            ],
            tasks: vec![
                task("T1", "2025-13-01"),
                task("T1", "2025-12-01"),
                TaskDraft {
                    code: "bad code".into(),
                    ..task("x", "2025-01-01")
                },
            ],
        };
        let violations = AgencyPlanContent::parse(draft, &national()).unwrap_err();
        let fields: Vec<&str> = violations.iter().map(|v| v.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "commitments[converged_newsroom/2025].share_bp",
                "commitments[staff_trained/2025].share_bp",
                "commitments[no_such_target/2025].target_code",
                "commitments[revenue_growth/1999].year",
                "commitments[converged_newsroom/2025]",
                "commitments[staff_trained/2030]",
                "tasks[T1].due_on",
                "tasks[T1]",
                "tasks[bad code].code",
            ]
        );
    }

    #[test]
    fn order_does_not_change_the_content_nor_its_hash() {
        let plan = national();
        let a = AgencyPlanDraft {
            commitments: vec![
                commitment("staff_trained", 2030, ValueDraft::ShareBp(10_000)),
                commitment("staff_trained", 2025, ValueDraft::ShareBp(7000)),
                commitment("converged_newsroom", 2025, ValueDraft::Meets(true)),
            ],
            tasks: vec![task("T2", "2026-06-30"), task("T1", "2025-12-31")],
        };
        let mut b = a.clone();
        b.commitments.reverse();
        b.tasks.reverse();
        let a = AgencyPlanContent::parse(a, &plan).unwrap();
        let b = AgencyPlanContent::parse(b, &plan).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.content_hash("x", "p"), b.content_hash("x", "p"));
        assert_ne!(a.content_hash("x", "p"), a.content_hash("y", "p"));
    }

    /// Worked out by hand on the default catalogue's Ninh Bình agency in 2026, whose only report
    /// is 2026's (revenue 12 bn, 24 of 40 people trained, a converged newsroom): a growth
    /// commitment has no 2025 baseline to be judged against; 24/40 is exactly 60%, which meets a
    /// 60% commitment (at least) and misses the plan's 100%; a "not yet" is no commitment; in
    /// 2027, with no report, the commitments in force are not reported.
    #[test]
    fn progress_reads_each_commitment_as_the_drill_down_reads_the_agency() {
        use crate::domain::report::tests::complete_report;
        use crate::domain::summary::LatestReport;

        let catalog = catalog_file::parse(DEFAULT_CATALOG).unwrap();
        let plan = catalog
            .plans
            .iter()
            .find(|plan| plan.code == "nam-dinh-cds-bao-chi")
            .unwrap();
        let agency = "bao-ptth-ninh-binh-2025";
        let mut snapshot = ReportSnapshot::new(1);
        snapshot.insert(
            "2026",
            agency,
            LatestReport {
                submission_id: 1,
                revision: 1,
                report: complete_report(),
                first_received_at: chrono::Utc::now(),
                first_late: false,
            },
        );
        let draft = AgencyPlanDraft {
            commitments: vec![
                commitment("revenue_growth", 2026, ValueDraft::GrowthBp(2000)),
                commitment("staff_trained", 2026, ValueDraft::ShareBp(6000)),
                commitment("converged_newsroom", 2026, ValueDraft::Meets(false)),
            ],
            tasks: Vec::new(),
        };
        let content = AgencyPlanContent::parse(draft, plan).unwrap();
        let standings = |period_code: &str| {
            let period = catalog.period(period_code).unwrap();
            let (progress, reads) = progress(&catalog, &snapshot, plan, &content, period, agency);
            let standings: Vec<(&str, CommitmentStanding, Option<AgencyStanding>)> = progress
                .iter()
                .map(|target| {
                    (
                        target.target.code.as_str(),
                        target.standing.clone(),
                        target
                            .against_plan
                            .as_ref()
                            .map(|plan| plan.standing.clone()),
                    )
                })
                .collect();
            (standings, reads)
        };
        let (in_2026, reads) = standings("2026");
        let no_baseline = AgencyStanding::NotEvaluable(
            "no revenue_vnd reported for 2025 by bao-ptth-ninh-binh-2025".into(),
        );
        assert_eq!(
            in_2026,
            [
                (
                    "converged_newsroom",
                    CommitmentStanding::NoCommitment,
                    Some(AgencyStanding::Meets)
                ),
                (
                    "revenue_growth",
                    CommitmentStanding::NotEvaluable,
                    Some(no_baseline)
                ),
                (
                    "staff_trained",
                    CommitmentStanding::Met,
                    Some(AgencyStanding::DoesNotMeet)
                ),
            ]
        );
        // The baseline looked up is among the reports read: a reader must reach it too.
        let periods: Vec<&str> = reads.by_period().map(|(period, _)| period).collect();
        assert_eq!(periods, ["2025", "2026"]);
        let (in_2027, _) = standings("2027");
        assert!(
            in_2027.iter().all(|(_, standing, _)| matches!(
                standing,
                CommitmentStanding::NotReported | CommitmentStanding::NoCommitment
            )),
            "{in_2027:?}"
        );
        assert_eq!(in_2027[1].1, CommitmentStanding::NotReported);
    }

    #[test]
    fn a_commitment_holds_until_the_next_and_is_never_interpolated() {
        let draft = AgencyPlanDraft {
            commitments: vec![
                commitment("staff_trained", 2025, ValueDraft::ShareBp(7000)),
                commitment("staff_trained", 2030, ValueDraft::ShareBp(10_000)),
            ],
            tasks: Vec::new(),
        };
        let content = AgencyPlanContent::parse(draft, &national()).unwrap();
        let in_force = |year| {
            content
                .in_force("staff_trained", year)
                .map(|c| (c.year, c.value))
        };
        assert_eq!(in_force(2024), None);
        assert_eq!(in_force(2025), Some((2025, CommitmentValue::ShareBp(7000))));
        assert_eq!(in_force(2027), Some((2025, CommitmentValue::ShareBp(7000))));
        assert_eq!(
            in_force(2031),
            Some((2030, CommitmentValue::ShareBp(10_000)))
        );
        assert_eq!(content.in_force("converged_newsroom", 2030), None);
    }
}
