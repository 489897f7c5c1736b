//! The stored forms of the documents pressdx keeps whole: a self-assessment's answers and
//! evidence, an agency plan's commitments and tasks. They are pressdx's own, not an encoded
//! request message, so that the contract (`proto/`) can change without touching stored rows, and
//! a row reads back without the generated code. The serde shapes here are private mirrors of the
//! domain values: a change to a domain type cannot change the bytes stored.
//!
//! Each form is the canonical JSON ([`super::canonical`]) of one object, so its members come in
//! the byte order of their names, with no whitespace, and members that are null or empty are left
//! out. Its `form` member names the form and its version; a reader refuses any other, so that a
//! later version is always read by code that knows it.
//!
//! - `pressdx.self-assessment.stored.v1`: `answers` (criterion code to exactly one of
//!   `{"choice": code}`, `{"number": decimal text, at most two places}`, `{"yes_no": bool}`),
//!   `evidence` (criterion code to `{"document_id"?, "link"?, "sha256", "title"}`), `form`,
//!   `framework`, `period_code`. Its content hash (SelfAssessmentReceipt.content_hash) is the
//!   SHA-256 of the canonical JSON of the same members with `form` set to
//!   `pressdx.self-assessment.v1` and the agency's `agency_code` added.
//! - `pressdx.agency-plan.stored.v1`: `commitments` (an array in the plan's order of targets, then
//!   by year, each `{"target_code", "value": {"growth_bp": n} | {"meets": bool} | {"share_bp":
//!   n}, "year"}`), `form`, `tasks` (an array by code, each `{"code", "due_on": YYYY-MM-DD,
//!   "expected_output", "name"}`). Its content hash (AgencyPlanReceipt.content_hash) is the
//!   SHA-256 of the canonical JSON of `{"agency_code", "commitments": {"TARGET/YEAR": value},
//!   "form": "pressdx.agency-plan.v1", "plan_code", "tasks": {code: task}}`.
//!
//! Both hashes are the ones `SelfAssessment::content_hash` and `AgencyPlanContent::content_hash`
//! give the parsed value, computed here from the stored form so that `audit verify` can check a
//! row without the catalogue it was parsed under. A stored form's bytes are not themselves the
//! hashed bytes: a plan keeps its commitments in the plan's order, which the hash leaves out.
//!
//! Rows stored before these forms existed held the encoded request message that would send them
//! again; the migration `StoreFormsOwnedByPressdx` (`store::migration`) converted them. Their
//! content hashes did not change, and need no keeping aside: pressdx always computed them over
//! the parsed value, never over its encoding, so a retry of an old request id still replays.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::agency_plan::{self, AgencyPlanContent, AgencyTask, Commitment, CommitmentValue};
use super::assessment::{self, Evidence, SelfAssessment, SelfAssessmentDraft};
use super::canonical::to_canonical_json;
use super::maturity::{Answer, Hundredths};

/// The name and version of a self-assessment's stored form.
pub const SELF_ASSESSMENT_FORM: &str = "pressdx.self-assessment.stored.v1";

/// The name and version of an agency plan's stored form.
pub const AGENCY_PLAN_FORM: &str = "pressdx.agency-plan.stored.v1";

/// What is stored of a self-assessment: what it says, by criterion code. Read back, it is a draft
/// again, to be parsed under the catalogue as it is then (which may have moved since).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SelfAssessmentForm {
    pub period: String,
    pub framework: String,
    pub answers: BTreeMap<String, Answer>,
    pub evidence: BTreeMap<String, Evidence>,
}

/// The members a self-assessment's stored form and its hashed form share.
#[derive(Serialize, Deserialize)]
struct AssessmentBody {
    period_code: String,
    framework: String,
    #[serde(default)]
    answers: BTreeMap<String, StoredAnswer>,
    #[serde(default)]
    evidence: BTreeMap<String, StoredEvidence>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum StoredAnswer {
    YesNo(bool),
    Choice(String),
    /// As decimal text, so that no float rounding enters the form or its hash.
    Number(String),
}

#[derive(Serialize, Deserialize)]
struct StoredEvidence {
    title: String,
    link: Option<String>,
    document_id: Option<String>,
    sha256: String,
}

/// A stored form with its name: `{"form": ..., members of T}`.
#[derive(Serialize, Deserialize)]
struct Named<T> {
    form: String,
    #[serde(flatten)]
    body: T,
}

impl SelfAssessmentForm {
    /// What is stored of a parsed assessment.
    pub fn of(assessment: &SelfAssessment) -> SelfAssessmentForm {
        SelfAssessmentForm {
            period: assessment.period().to_string(),
            framework: assessment.framework().to_string(),
            answers: assessment.answers().clone(),
            evidence: assessment.evidence().clone(),
        }
    }

    /// The draft it reads back as, in criterion order: parsed under the same framework, it gives
    /// the assessment it was stored from.
    pub fn to_draft(&self) -> SelfAssessmentDraft {
        assessment::draft_of(&self.period, &self.framework, &self.answers, &self.evidence)
    }

    /// The bytes stored: form [`SELF_ASSESSMENT_FORM`].
    pub fn to_stored(&self) -> Vec<u8> {
        stored_bytes(SELF_ASSESSMENT_FORM, self.body())
    }

    /// Reads back bytes written by [`SelfAssessmentForm::to_stored`]; why not, if they are not.
    pub fn from_stored(bytes: &[u8]) -> Result<SelfAssessmentForm, String> {
        let body: AssessmentBody = read_stored(SELF_ASSESSMENT_FORM, bytes)?;
        let answers = body
            .answers
            .into_iter()
            .map(|(code, answer)| {
                let answer = match answer {
                    StoredAnswer::YesNo(yes) => Answer::YesNo(yes),
                    StoredAnswer::Choice(choice) => Answer::Choice(choice),
                    StoredAnswer::Number(text) => Answer::Number(
                        Hundredths::parse_decimal(&text)
                            .ok_or_else(|| format!("answers[{code}]: {text:?} is no decimal"))?,
                    ),
                };
                Ok((code, answer))
            })
            .collect::<Result<_, String>>()?;
        let evidence = body
            .evidence
            .into_iter()
            .map(|(code, evidence)| {
                let sha256 = evidence
                    .sha256
                    .try_into()
                    .map_err(|why| format!("evidence[{code}]: {why}"))?;
                let evidence = Evidence {
                    title: evidence.title,
                    link: evidence.link,
                    document_id: evidence.document_id,
                    sha256,
                };
                Ok((code, evidence))
            })
            .collect::<Result<_, String>>()?;
        Ok(SelfAssessmentForm {
            period: body.period_code,
            framework: body.framework,
            answers,
            evidence,
        })
    }

    /// The content hash of this assessment as `agency_code`'s: the one
    /// `SelfAssessment::content_hash` gives.
    pub fn content_hash(&self, agency_code: &str) -> String {
        assessment::content_hash_of(
            agency_code,
            &self.period,
            &self.framework,
            &self.answers,
            &self.evidence,
        )
    }

    fn body(&self) -> AssessmentBody {
        AssessmentBody {
            period_code: self.period.clone(),
            framework: self.framework.clone(),
            answers: self
                .answers
                .iter()
                .map(|(code, answer)| {
                    let answer = match answer {
                        Answer::YesNo(yes) => StoredAnswer::YesNo(*yes),
                        Answer::Choice(choice) => StoredAnswer::Choice(choice.clone()),
                        Answer::Number(number) => StoredAnswer::Number(number.to_string()),
                    };
                    (code.clone(), answer)
                })
                .collect(),
            evidence: self
                .evidence
                .iter()
                .map(|(code, evidence)| {
                    let stored = StoredEvidence {
                        title: evidence.title.clone(),
                        link: evidence.link.clone(),
                        document_id: evidence.document_id.clone(),
                        sha256: evidence.sha256.as_str().to_owned(),
                    };
                    (code.clone(), stored)
                })
                .collect(),
        }
    }
}

/// What is stored of an agency plan: its commitments in the plan's order (by target, then year)
/// and its tasks by code, as [`AgencyPlanContent`] holds them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgencyPlanForm {
    pub commitments: Vec<Commitment>,
    pub tasks: Vec<AgencyTask>,
}

#[derive(Serialize, Deserialize)]
struct PlanBody {
    #[serde(default)]
    commitments: Vec<StoredCommitment>,
    #[serde(default)]
    tasks: Vec<StoredTask>,
}

#[derive(Serialize, Deserialize)]
struct StoredCommitment {
    target_code: String,
    year: i32,
    value: StoredValue,
}

#[derive(Clone, Copy, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum StoredValue {
    Meets(bool),
    GrowthBp(u32),
    ShareBp(u32),
}

#[derive(Serialize, Deserialize)]
struct StoredTask {
    code: String,
    name: String,
    due_on: NaiveDate,
    expected_output: String,
}

impl AgencyPlanForm {
    /// What is stored of a checked plan.
    pub fn of(content: &AgencyPlanContent) -> AgencyPlanForm {
        AgencyPlanForm {
            commitments: content.commitments().to_vec(),
            tasks: content.tasks().to_vec(),
        }
    }

    /// The bytes stored: form [`AGENCY_PLAN_FORM`].
    pub fn to_stored(&self) -> Vec<u8> {
        let body = PlanBody {
            commitments: self
                .commitments
                .iter()
                .map(|commitment| StoredCommitment {
                    target_code: commitment.target_code.clone(),
                    year: commitment.year,
                    value: stored_value(commitment.value),
                })
                .collect(),
            tasks: self.tasks.iter().map(stored_task).collect(),
        };
        stored_bytes(AGENCY_PLAN_FORM, body)
    }

    /// Reads back bytes written by [`AgencyPlanForm::to_stored`]; why not, if they are not.
    pub fn from_stored(bytes: &[u8]) -> Result<AgencyPlanForm, String> {
        let body: PlanBody = read_stored(AGENCY_PLAN_FORM, bytes)?;
        Ok(AgencyPlanForm {
            commitments: body
                .commitments
                .into_iter()
                .map(|commitment| Commitment {
                    target_code: commitment.target_code,
                    year: commitment.year,
                    value: match commitment.value {
                        StoredValue::Meets(meets) => CommitmentValue::Meets(meets),
                        StoredValue::GrowthBp(bp) => CommitmentValue::GrowthBp(bp),
                        StoredValue::ShareBp(bp) => CommitmentValue::ShareBp(bp),
                    },
                })
                .collect(),
            tasks: body
                .tasks
                .into_iter()
                .map(|task| AgencyTask {
                    code: task.code,
                    name: task.name,
                    due_on: task.due_on,
                    expected_output: task.expected_output,
                })
                .collect(),
        })
    }

    /// The content hash of this plan as `agency_code`'s under `plan_code`: the one
    /// `AgencyPlanContent::content_hash` gives.
    pub fn content_hash(&self, agency_code: &str, plan_code: &str) -> String {
        agency_plan::content_hash_of(agency_code, plan_code, &self.commitments, &self.tasks)
    }
}

fn stored_value(value: CommitmentValue) -> StoredValue {
    match value {
        CommitmentValue::Meets(meets) => StoredValue::Meets(meets),
        CommitmentValue::GrowthBp(bp) => StoredValue::GrowthBp(bp),
        CommitmentValue::ShareBp(bp) => StoredValue::ShareBp(bp),
    }
}

fn stored_task(task: &AgencyTask) -> StoredTask {
    StoredTask {
        code: task.code.clone(),
        name: task.name.clone(),
        due_on: task.due_on,
        expected_output: task.expected_output.clone(),
    }
}

/// `body` under the name `form`, in canonical JSON.
fn stored_bytes(form: &str, body: impl Serialize) -> Vec<u8> {
    let named = Named {
        form: form.to_string(),
        body,
    };
    to_canonical_json(&named).into_bytes()
}

/// The members of a stored form named `form`; why not, if the bytes are not one.
fn read_stored<T: for<'de> Deserialize<'de>>(form: &str, bytes: &[u8]) -> Result<T, String> {
    let named: Named<T> = serde_json::from_slice(bytes)
        .map_err(|error| format!("not a stored form {form}: {error}"))?;
    if named.form != form {
        return Err(format!("stored as {:?}, not {form}", named.form));
    }
    Ok(named.body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::assessment::Sha256Hex;
    use crate::domain::canonical::sha256_hex;

    const SHA: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

    fn assessment() -> SelfAssessmentForm {
        SelfAssessmentForm {
            period: "2025".into(),
            framework: "V2025".into(),
            answers: BTreeMap::from([
                ("P1.C1.1".to_string(), Answer::YesNo(true)),
                ("P1.C1.2".to_string(), Answer::Choice("most".into())),
                ("P2.C1.1".to_string(), Answer::Number(Hundredths(7250))),
            ]),
            evidence: BTreeMap::from([(
                "P1.C1.1".to_string(),
                Evidence {
                    title: "Quyết định \"số 1\"".into(),
                    link: None,
                    document_id: Some("QĐ-1".into()),
                    sha256: Sha256Hex::parse(SHA).unwrap(),
                },
            )]),
        }
    }

    fn plan() -> AgencyPlanForm {
        AgencyPlanForm {
            commitments: vec![
                // In the plan's order, which is not the codes' order.
                Commitment {
                    target_code: "staff_trained".into(),
                    year: 2025,
                    value: CommitmentValue::ShareBp(7000),
                },
                Commitment {
                    target_code: "converged_newsroom".into(),
                    year: 2025,
                    value: CommitmentValue::Meets(true),
                },
            ],
            tasks: vec![AgencyTask {
                code: "T1".into(),
                name: "Tòa soạn hội tụ".into(),
                due_on: NaiveDate::from_ymd_opt(2025, 12, 31).unwrap(),
                expected_output: String::new(),
            }],
        }
    }

    #[test]
    fn a_self_assessment_is_stored_in_its_documented_form_and_reads_back() {
        let form = assessment();
        let stored = String::from_utf8(form.to_stored()).unwrap();
        assert_eq!(
            stored,
            format!(
                "{{\"answers\":{{\"P1.C1.1\":{{\"yes_no\":true}},\"P1.C1.2\":{{\"choice\":\"most\"}},\
                 \"P2.C1.1\":{{\"number\":\"72.5\"}}}},\"evidence\":{{\"P1.C1.1\":{{\"document_id\":\
                 \"QĐ-1\",\"sha256\":\"{SHA}\",\"title\":\"Quyết định \\\"số 1\\\"\"}}}},\"form\":\
                 \"pressdx.self-assessment.stored.v1\",\"framework\":\"V2025\",\"period_code\":\"2025\"}}"
            )
        );
        assert_eq!(SelfAssessmentForm::from_stored(stored.as_bytes()), Ok(form));
    }

    #[test]
    fn an_agency_plan_keeps_the_plans_order_and_reads_back() {
        let form = plan();
        let stored = String::from_utf8(form.to_stored()).unwrap();
        assert_eq!(
            stored,
            "{\"commitments\":[{\"target_code\":\"staff_trained\",\"value\":{\"share_bp\":7000},\
             \"year\":2025},{\"target_code\":\"converged_newsroom\",\"value\":{\"meets\":true},\
             \"year\":2025}],\"form\":\"pressdx.agency-plan.stored.v1\",\"tasks\":[{\"code\":\"T1\",\
             \"due_on\":\"2025-12-31\",\"expected_output\":\"\",\"name\":\"Tòa soạn hội tụ\"}]}"
        );
        assert_eq!(AgencyPlanForm::from_stored(stored.as_bytes()), Ok(form));
    }

    #[test]
    fn another_form_or_version_is_refused() {
        let stored = String::from_utf8(plan().to_stored()).unwrap();
        let later = stored.replace("stored.v1", "stored.v2");
        assert!(AgencyPlanForm::from_stored(later.as_bytes()).is_err());
        assert!(SelfAssessmentForm::from_stored(stored.as_bytes()).is_err());
        assert!(SelfAssessmentForm::from_stored(b"\x0a\x04V2025").is_err());
    }

    /// The hashes are pinned: they are what receipts gave and what the audit log recorded, so a
    /// change here would turn every retry of an old request id into a conflict.
    #[test]
    fn the_content_hashes_are_the_receipts() {
        assert_eq!(
            assessment().content_hash("bao-nam-dinh"),
            sha256_hex(
                format!(
                    "{{\"agency_code\":\"bao-nam-dinh\",\"answers\":{{\"P1.C1.1\":{{\"yes_no\":true}},\
                     \"P1.C1.2\":{{\"choice\":\"most\"}},\"P2.C1.1\":{{\"number\":\"72.5\"}}}},\
                     \"evidence\":{{\"P1.C1.1\":{{\"document_id\":\"QĐ-1\",\"sha256\":\"{SHA}\",\
                     \"title\":\"Quyết định \\\"số 1\\\"\"}}}},\"form\":\"pressdx.self-assessment.v1\",\
                     \"framework\":\"V2025\",\"period_code\":\"2025\"}}"
                )
                .as_bytes()
            )
        );
        assert_eq!(
            plan().content_hash("bao-nam-dinh", "kh-2025"),
            sha256_hex(
                "{\"agency_code\":\"bao-nam-dinh\",\"commitments\":{\"converged_newsroom/2025\":\
                 {\"meets\":true},\"staff_trained/2025\":{\"share_bp\":7000}},\"form\":\
                 \"pressdx.agency-plan.v1\",\"plan_code\":\"kh-2025\",\"tasks\":{\"T1\":{\"code\":\
                 \"T1\",\"due_on\":\"2025-12-31\",\"expected_output\":\"\",\"name\":\
                 \"Tòa soạn hội tụ\"}}}"
                    .as_bytes()
            )
        );
    }
}
