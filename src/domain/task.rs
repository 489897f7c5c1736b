//! A plan's tasks and their progress (issue 14, items 1 and 2): the tasks as catalogue data with
//! their lead and cooperating parties and dates (read from the catalogue file by
//! src/catalog_file/tasks.rs), and a lead's progress report, parsed with every violation at once.
//! Who leads which line and the follow-up of a plan read the whole catalogue: task_follow_up.rs.
//! The rules are written out for integrators in proto/pressdx/v1/task.proto.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use super::assessment::{Evidence, EvidenceDraft, parse_reference};
use super::canonical::{sha256_hex, to_canonical_json};
use super::formats::is_code;
use super::limits::{MAX_PARAGRAPH_CHARS, MAX_TASK_EVIDENCE};
use super::organization::{OrganizationKind, vocabulary};
use super::violation::{FieldViolation, Violations};

/// Names the form a progress report's content hash was computed in.
const CONTENT_HASH_FORM: &str = "pressdx.task-progress.v1";

/// Who leads or cooperates on a task. In the catalogue file: "department", "every_agency",
/// "agency:CODE" or "governing_body:CODE".
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Party {
    /// The province's department in charge of the plan, for which a province credential stands.
    Department,
    GoverningBody(String),
    Agency(String),
    /// Every press agency of the province, each for itself.
    EveryAgency,
}

impl Party {
    pub fn parse(text: &str) -> Result<Party, String> {
        match text {
            "department" => Ok(Party::Department),
            "every_agency" => Ok(Party::EveryAgency),
            other => match other.split_once(':') {
                Some(("agency", code)) if is_code(code) => Ok(Party::Agency(code.to_string())),
                Some(("governing_body", code)) if is_code(code) => {
                    Ok(Party::GoverningBody(code.to_string()))
                }
                _ => Err(format!(
                    "{text:?} is not one of: department, every_agency, agency:CODE, \
                     governing_body:CODE"
                )),
            },
        }
    }

    /// The organisation it names, with the kind that organisation must be.
    pub fn organization(&self) -> Option<(&str, OrganizationKind)> {
        match self {
            Party::GoverningBody(code) => Some((code, OrganizationKind::GoverningBody)),
            Party::Agency(code) => Some((code, OrganizationKind::PressAgency)),
            Party::Department | Party::EveryAgency => None,
        }
    }
}

impl TryFrom<String> for Party {
    type Error = String;

    fn try_from(text: String) -> Result<Party, String> {
        Party::parse(&text)
    }
}

impl From<Party> for String {
    fn from(party: Party) -> String {
        match party {
            Party::Department => "department".into(),
            Party::EveryAgency => "every_agency".into(),
            Party::Agency(code) => format!("agency:{code}"),
            Party::GoverningBody(code) => format!("governing_body:{code}"),
        }
    }
}

/// A task of a plan, as the catalogue holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Task {
    pub code: String,
    pub name: String,
    /// The plan's section it belongs to.
    pub group: String,
    pub lead: Party,
    pub cooperating: Vec<Party>,
    /// Both inclusive; for a yearly task, those of its first occurrence.
    pub starts_on: NaiveDate,
    pub due_on: NaiveDate,
    pub expected_output: String,
    pub recurs_yearly: bool,
    pub illustrative: bool,
    pub note: String,
}

impl Task {
    /// Whether the task is followed in a period of `year`: from the year it starts on.
    pub fn followed_in(&self, year: i32) -> bool {
        year >= self.starts_on.year()
    }

    /// The due date of the occurrence followed in a period of `year`: `due_on` for a one-off
    /// task; for a yearly one, `due_on` moved by as many years as `year` is after the first
    /// occurrence's, 29 February becoming 28 February in a year without it.
    pub fn due_in(&self, year: i32) -> NaiveDate {
        if !self.recurs_yearly {
            return self.due_on;
        }
        let shift = year - self.starts_on.year();
        let target_year = self.due_on.year() + shift;
        NaiveDate::from_ymd_opt(target_year, self.due_on.month(), self.due_on.day())
            .or_else(|| NaiveDate::from_ymd_opt(target_year, self.due_on.month(), 28))
            .unwrap_or(self.due_on)
    }
}

vocabulary! {
    /// Where a line of a task stands.
    TaskStatus {
        NotStarted = "not_started",
        InProgress = "in_progress",
        Done = "done",
        Cancelled = "cancelled",
    }
}

impl TaskStatus {
    /// Neither done nor cancelled: still to be carried out.
    pub fn is_open(self) -> bool {
        matches!(self, TaskStatus::NotStarted | TaskStatus::InProgress)
    }
}

/// A progress report as a client sends it: nothing checked yet. `status` is `None` when the
/// client sent none (or one this server does not know).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProgressDraft {
    pub status: Option<TaskStatus>,
    pub percent_complete: Option<i32>,
    pub cancellation_reason: String,
    pub account: String,
    pub evidence: Vec<EvidenceDraft>,
}

/// A progress report that holds together.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Progress {
    pub status: TaskStatus,
    /// 0 for not started, 100 for done, 0-99 in progress, none for cancelled.
    pub percent_complete: Option<u8>,
    pub cancellation_reason: Option<String>,
    pub account: String,
    pub evidence: Vec<Evidence>,
}

impl Progress {
    /// Checks a draft, every violation at once (paths as in task.proto: "percent_complete",
    /// "evidence[2].sha256").
    pub fn parse(draft: &ProgressDraft) -> Result<Progress, Vec<FieldViolation>> {
        let mut violations = Violations::new();
        let percent = draft.percent_complete;
        if percent.is_some_and(|percent| !(0..=100).contains(&percent)) {
            violations.add("percent_complete", "from 0 to 100");
        }
        let percent_complete = match (draft.status, percent) {
            (None, _) => {
                violations.add(
                    "status",
                    "required: NOT_STARTED, IN_PROGRESS, DONE or CANCELLED",
                );
                None
            }
            (Some(TaskStatus::NotStarted), None | Some(0)) => Some(0),
            (Some(TaskStatus::NotStarted), Some(_)) => {
                violations.add("percent_complete", "a task not started is 0% complete");
                None
            }
            (Some(TaskStatus::InProgress), None) => {
                violations.add(
                    "percent_complete",
                    "required for a task in progress, from 0 to 99",
                );
                None
            }
            (Some(TaskStatus::InProgress), Some(100)) => {
                violations.add(
                    "percent_complete",
                    "a task 100% complete is DONE; in progress is 0 to 99",
                );
                None
            }
            (Some(TaskStatus::InProgress), Some(percent)) => u8::try_from(percent).ok(),
            (Some(TaskStatus::Done), None | Some(100)) => Some(100),
            (Some(TaskStatus::Done), Some(_)) => {
                violations.add("percent_complete", "a task done is 100% complete");
                None
            }
            (Some(TaskStatus::Cancelled), None) => None,
            (Some(TaskStatus::Cancelled), Some(_)) => {
                violations.add(
                    "percent_complete",
                    "a cancelled task has no share complete: leave it unset",
                );
                None
            }
        };
        let reason = draft.cancellation_reason.trim();
        match (draft.status, reason.is_empty()) {
            (Some(TaskStatus::Cancelled), true) => {
                violations.add("cancellation_reason", "required for a cancelled task")
            }
            (Some(status), false) if status != TaskStatus::Cancelled => violations.add(
                "cancellation_reason",
                "only a cancelled task has a cancellation reason",
            ),
            _ => {}
        }
        for (field, text) in [
            ("cancellation_reason", reason),
            ("account", draft.account.as_str()),
        ] {
            if text.trim().chars().count() > MAX_PARAGRAPH_CHARS {
                violations.add(field, format!("at most {MAX_PARAGRAPH_CHARS} characters"));
            }
        }
        if draft.evidence.len() > MAX_TASK_EVIDENCE {
            violations.add(
                "evidence",
                format!(
                    "at most {MAX_TASK_EVIDENCE} references, not {}",
                    draft.evidence.len()
                ),
            );
        }
        let evidence: Vec<Evidence> = draft
            .evidence
            .iter()
            .enumerate()
            .filter_map(|(index, reference)| {
                parse_reference(reference, &format!("evidence[{index}]"), &mut violations)
            })
            .collect();
        let Some(status) = draft.status else {
            return Err(violations.into_result(()).err().unwrap_or_default());
        };
        violations.into_result(Progress {
            status,
            percent_complete,
            cancellation_reason: (!reason.is_empty()).then(|| reason.to_string()),
            account: draft.account.trim().to_string(),
            evidence,
        })
    }

    /// "sha256:" and the hex SHA-256 of the report's canonical JSON with what it is about: what
    /// it says, never how a client spelt it.
    pub fn content_hash(&self, line: &LineKey<'_>) -> String {
        let hashed = serde_json::json!({
            "form": CONTENT_HASH_FORM,
            "plan_code": line.plan_code,
            "task_code": line.task_code,
            "period_code": line.period_code,
            "reporter_code": line.reporter_code,
            "progress": self,
        });
        sha256_hex(to_canonical_json(&hashed).as_bytes())
    }
}

/// What a report is about: one task's line, for one reporter, in one period.
#[derive(Debug, Clone, Copy)]
pub struct LineKey<'a> {
    pub plan_code: &'a str,
    pub task_code: &'a str,
    pub period_code: &'a str,
    pub reporter_code: &'a str,
}

/// The same day a year later, when the next occurrence of a yearly task starting on `start`
/// begins: 29 February is followed by 1 March, the day after 28 February, in a common year.
pub(crate) fn next_start_of(start: NaiveDate) -> NaiveDate {
    start.with_year(start.year() + 1).unwrap_or_else(|| {
        NaiveDate::from_ymd_opt(start.year() + 1, 3, 1).unwrap_or(NaiveDate::MAX)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn a_yearly_task_falls_due_every_year_and_a_one_off_task_once() {
        let yearly = task("2023-01-01", "2023-11-14", true);
        assert_eq!(yearly.due_in(2026), date("2026-11-14"));
        assert!(!yearly.followed_in(2022));
        assert!(yearly.followed_in(2023));
        let leap = task("2024-01-01", "2024-02-29", true);
        assert_eq!(leap.due_in(2025), date("2025-02-28"));
        assert_eq!(leap.due_in(2028), date("2028-02-29"));
        let once = task("2023-06-01", "2025-12-31", false);
        assert_eq!(once.due_in(2027), date("2025-12-31"));
    }

    #[test]
    fn parties_read_and_print_back() {
        for text in [
            "department",
            "every_agency",
            "agency:bao-nam-dinh",
            "governing_body:x",
        ] {
            assert_eq!(String::from(Party::parse(text).unwrap()), text);
        }
        assert!(Party::parse("agency:").is_err());
        assert!(Party::parse("ministry").is_err());
    }

    #[test]
    fn every_progress_violation_is_reported_at_once() {
        let draft = ProgressDraft {
            status: Some(TaskStatus::InProgress),
            percent_complete: Some(100),
            cancellation_reason: "no budget".into(),
            account: "x".repeat(MAX_PARAGRAPH_CHARS + 1),
            evidence: vec![EvidenceDraft {
                criterion: String::new(),
                title: String::new(),
                link: "ftp://example.vn/a".into(),
                document_id: String::new(),
                sha256: "AB".repeat(32),
            }],
        };
        let mut fields: Vec<String> = Progress::parse(&draft)
            .unwrap_err()
            .into_iter()
            .map(|violation| violation.field)
            .collect();
        fields.sort();
        assert_eq!(
            fields,
            [
                "account",
                "cancellation_reason",
                "evidence[0].link",
                "evidence[0].sha256",
                "evidence[0].title",
                "percent_complete",
            ]
        );
        let missing = Progress::parse(&ProgressDraft::default()).unwrap_err();
        assert_eq!(missing[0].field, "status");
    }

    #[test]
    fn percentages_follow_the_status() {
        let parsed = |status, percent_complete| {
            Progress::parse(&ProgressDraft {
                status: Some(status),
                percent_complete,
                cancellation_reason: if status == TaskStatus::Cancelled {
                    "merged into another task".into()
                } else {
                    String::new()
                },
                ..ProgressDraft::default()
            })
            .map(|progress| progress.percent_complete)
            .map_err(|violations| violations[0].field.clone())
        };
        assert_eq!(parsed(TaskStatus::NotStarted, None), Ok(Some(0)));
        assert_eq!(
            parsed(TaskStatus::NotStarted, Some(5)).unwrap_err(),
            "percent_complete"
        );
        assert_eq!(parsed(TaskStatus::InProgress, Some(0)), Ok(Some(0)));
        assert_eq!(parsed(TaskStatus::InProgress, Some(99)), Ok(Some(99)));
        assert!(parsed(TaskStatus::InProgress, None).is_err());
        assert_eq!(parsed(TaskStatus::Done, None), Ok(Some(100)));
        assert!(parsed(TaskStatus::Done, Some(90)).is_err());
        assert_eq!(parsed(TaskStatus::Cancelled, None), Ok(None));
        assert!(parsed(TaskStatus::Cancelled, Some(10)).is_err());
        assert!(parsed(TaskStatus::InProgress, Some(101)).is_err());
        assert!(parsed(TaskStatus::InProgress, Some(-1)).is_err());
    }
}
