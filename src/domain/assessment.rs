//! An agency's self-assessment under the maturity index (item 2 of issue 13): its answer to each
//! criterion of the framework in force for a period and the evidence for each criterion it claims
//! points on, parsed against that framework with every violation reported at once, and scored
//! per criterion, component index, pillar and in total, with the level the total reaches.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::canonical::{sha256_hex, to_canonical_json};
use super::formats::check_link;
use super::limits::{MAX_CRITERIA, MAX_LINK_CHARS, MAX_NAME_CHARS, MAX_TITLE_CHARS};
use super::maturity::{Answer, Criterion, Framework, Level, Points, Scoring, framework_for_period};
use super::violation::{FieldViolation, Violations};

/// Names the form a content hash was computed in: a change to the hashed shape is a new form, so
/// that a stored hash is never compared with one of another shape.
const CONTENT_HASH_FORM: &str = "pressdx.self-assessment.v1";

/// A self-assessment as a client sends it: nothing checked yet.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SelfAssessmentDraft {
    /// The catalogue period assessed, such as "2024".
    pub period: String,
    /// The framework the agency answered, such as "V2024". It must be the one in force for the
    /// period: the index changes every year or two, and answers prepared against last year's
    /// criteria would otherwise be scored silently against this year's.
    pub framework: String,
    pub answers: Vec<AnswerDraft>,
    pub evidence: Vec<EvidenceDraft>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnswerDraft {
    pub criterion: String,
    /// `None` when the client sent no answer at all (an empty oneof).
    pub answer: Option<Answer>,
}

/// An evidence reference as sent; empty strings stand for absent fields, as in proto3.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EvidenceDraft {
    pub criterion: String,
    pub title: String,
    pub link: String,
    pub document_id: String,
    pub sha256: String,
}

/// The SHA-256 of an evidence file, as 64 lowercase hex digits. Lowercase only, so that one file
/// has one spelling and a content hash over the assessment does not depend on the client's case.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Sha256Hex(String);

impl Sha256Hex {
    pub fn parse(text: &str) -> Option<Sha256Hex> {
        let sound = text.len() == 64
            && text
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        sound.then(|| Sha256Hex(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Sha256Hex {
    type Error = String;

    fn try_from(text: String) -> Result<Sha256Hex, String> {
        Sha256Hex::parse(&text).ok_or_else(|| format!("{text:?} is not a SHA-256 in lowercase hex"))
    }
}

impl From<Sha256Hex> for String {
    fn from(hash: Sha256Hex) -> String {
        hash.0
    }
}

/// Where an evidence document can be found: a link, a document id in the agency's records, or
/// both. At least one, or the council appraising the claim has nothing to open.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    pub title: String,
    /// An absolute http or https address.
    pub link: Option<String>,
    pub document_id: Option<String>,
    pub sha256: Sha256Hex,
}

/// A self-assessment that holds together under the framework in force for its period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SelfAssessment {
    period: String,
    framework: String,
    answers: BTreeMap<String, Answer>,
    evidence: BTreeMap<String, Evidence>,
    scores: Scores,
}

/// Points and their sums, in the framework's order; a criterion left unanswered scores 0 and is
/// listed all the same, so that every row of the framework has its figure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scores {
    pub criteria: Vec<Subtotal>,
    /// One per component index.
    pub components: Vec<Subtotal>,
    pub pillars: Vec<Subtotal>,
    pub total: Points,
    /// The level the total reaches; `None` only for a framework without levels, which the
    /// catalogue does not admit.
    pub level: Option<Level>,
}

/// The points scored under one code (criterion, component index or pillar) and the most it can
/// score, so that a share of the maximum can be worked out where versions differ.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subtotal {
    pub code: String,
    pub points: Points,
    /// For a component index without a stated cap, the sum of its criteria's maxima.
    pub maximum: Points,
}

impl SelfAssessment {
    /// Parses a draft against the catalogue's frameworks: the framework must be the one in force
    /// for the period, and every answer and evidence reference must fit it. Every violation is
    /// returned at once, each with a path such as `answers[P2.C1.3].choice`.
    pub fn parse(
        draft: SelfAssessmentDraft,
        frameworks: &[Framework],
    ) -> Result<SelfAssessment, Vec<FieldViolation>> {
        let mut violations = Violations::new();
        for (field, count) in [
            ("answers", draft.answers.len()),
            ("evidence", draft.evidence.len()),
        ] {
            if count > MAX_CRITERIA {
                violations.add(
                    field,
                    format!("at most {MAX_CRITERIA}, one per criterion, not {count}"),
                );
            }
        }
        let framework = framework_in_force(&draft, frameworks, &mut violations);
        let answers = parse_answers(&draft.answers, framework, &mut violations);
        let evidence = parse_evidence(&draft.evidence, framework, &mut violations);

        // Without the framework, nothing can be scored; its absence is already a violation.
        let Some(framework) = framework else {
            return Err(into_violations(violations));
        };
        let mut points = BTreeMap::new();
        for (code, (criterion, answer)) in &answers {
            // An answer that does not fit was reported while parsing and is not in `answers`.
            if let Some(scored) = criterion.points_for(answer) {
                points.insert(code.clone(), scored);
            }
        }
        // A reference sent but malformed is reported at its own fields, not again as missing.
        let referenced: BTreeSet<&str> = draft
            .evidence
            .iter()
            .map(|reference| reference.criterion.as_str())
            .collect();
        for (code, scored) in &points {
            if *scored > Points::ZERO && !referenced.contains(code.as_str()) {
                violations.add(
                    format!("evidence[{code}]"),
                    format!(
                        "the answer claims {scored} points: a claimed criterion needs an evidence \
                         reference"
                    ),
                );
            }
        }
        let scores = score(framework, &points);
        violations.into_result(SelfAssessment {
            period: draft.period,
            framework: framework.code.clone(),
            answers: answers
                .into_iter()
                .map(|(code, (_, answer))| (code, answer))
                .collect(),
            evidence,
            scores,
        })
    }

    pub fn period(&self) -> &str {
        &self.period
    }

    pub fn framework(&self) -> &str {
        &self.framework
    }

    /// The answers by criterion code; a criterion absent here was not answered.
    pub fn answers(&self) -> &BTreeMap<String, Answer> {
        &self.answers
    }

    pub fn evidence(&self) -> &BTreeMap<String, Evidence> {
        &self.evidence
    }

    pub fn scores(&self) -> &Scores {
        &self.scores
    }

    /// The draft this assessment was parsed from, in criterion order and with its text trimmed:
    /// parsing it again against the same framework gives this assessment back, which is how a
    /// stored assessment is read and scored again.
    pub fn to_draft(&self) -> SelfAssessmentDraft {
        draft_of(&self.period, &self.framework, &self.answers, &self.evidence)
    }

    /// "sha256:" and the hex SHA-256 of the assessment's canonical JSON (see `canonical.rs`)
    /// with the agency's code: what it says, never how a client spelt or ordered it. Numbers
    /// are hashed as their decimal text, so that no float rounding enters the hash.
    pub fn content_hash(&self, agency_code: &str) -> String {
        content_hash_of(
            agency_code,
            &self.period,
            &self.framework,
            &self.answers,
            &self.evidence,
        )
    }
}

/// The content hash of an assessment's parts as `agency_code`'s (see
/// [`SelfAssessment::content_hash`]): the one hash of a self-assessment, whether it is computed
/// from a parsed assessment or from its stored form.
pub fn content_hash_of(
    agency_code: &str,
    period: &str,
    framework: &str,
    answers: &BTreeMap<String, Answer>,
    evidence: &BTreeMap<String, Evidence>,
) -> String {
    #[derive(Serialize)]
    struct Hashed<'a> {
        form: &'static str,
        agency_code: &'a str,
        period_code: &'a str,
        framework: &'a str,
        answers: BTreeMap<&'a str, HashedAnswer>,
        evidence: BTreeMap<&'a str, HashedEvidence<'a>>,
    }
    #[derive(Serialize)]
    #[serde(rename_all = "snake_case")]
    enum HashedAnswer {
        YesNo(bool),
        Choice(String),
        Number(String),
    }
    #[derive(Serialize)]
    struct HashedEvidence<'a> {
        title: &'a str,
        link: Option<&'a str>,
        document_id: Option<&'a str>,
        sha256: &'a str,
    }
    let hashed = Hashed {
        form: CONTENT_HASH_FORM,
        agency_code,
        period_code: period,
        framework,
        answers: answers
            .iter()
            .map(|(code, answer)| {
                let answer = match answer {
                    Answer::YesNo(yes) => HashedAnswer::YesNo(*yes),
                    Answer::Choice(choice) => HashedAnswer::Choice(choice.clone()),
                    Answer::Number(number) => HashedAnswer::Number(number.to_string()),
                };
                (code.as_str(), answer)
            })
            .collect(),
        evidence: evidence
            .iter()
            .map(|(code, evidence)| {
                let hashed = HashedEvidence {
                    title: &evidence.title,
                    link: evidence.link.as_deref(),
                    document_id: evidence.document_id.as_deref(),
                    sha256: evidence.sha256.as_str(),
                };
                (code.as_str(), hashed)
            })
            .collect(),
    };
    sha256_hex(to_canonical_json(&hashed).as_bytes())
}

/// The draft of an assessment's parts, in criterion order: what [`SelfAssessment::to_draft`] and a
/// stored form read back as.
pub fn draft_of(
    period: &str,
    framework: &str,
    answers: &BTreeMap<String, Answer>,
    evidence: &BTreeMap<String, Evidence>,
) -> SelfAssessmentDraft {
    SelfAssessmentDraft {
        period: period.to_string(),
        framework: framework.to_string(),
        answers: answers
            .iter()
            .map(|(code, answer)| AnswerDraft {
                criterion: code.clone(),
                answer: Some(answer.clone()),
            })
            .collect(),
        evidence: evidence
            .iter()
            .map(|(code, evidence)| EvidenceDraft {
                criterion: code.clone(),
                title: evidence.title.clone(),
                link: evidence.link.clone().unwrap_or_default(),
                document_id: evidence.document_id.clone().unwrap_or_default(),
                sha256: evidence.sha256.as_str().to_owned(),
            })
            .collect(),
    }
}

fn into_violations(violations: Violations) -> Vec<FieldViolation> {
    match violations.into_result(()) {
        Ok(()) => Vec::new(),
        Err(found) => found,
    }
}

/// The framework governing the draft's period, when the draft names that one.
fn framework_in_force<'a>(
    draft: &SelfAssessmentDraft,
    frameworks: &'a [Framework],
    violations: &mut Violations,
) -> Option<&'a Framework> {
    if draft.period.is_empty() {
        violations.add("period", "required");
        return None;
    }
    let Some(framework) = framework_for_period(frameworks, &draft.period) else {
        violations.add(
            "period",
            format!(
                "no maturity framework governs period {:?}: it has no self-assessment",
                draft.period
            ),
        );
        return None;
    };
    if draft.framework != framework.code {
        violations.add(
            "framework",
            format!(
                "period {:?} is assessed under framework {:?}, not {:?}",
                draft.period, framework.code, draft.framework
            ),
        );
        return None;
    }
    Some(framework)
}

/// The answers that fit their criterion, by code, each with its criterion.
fn parse_answers<'a>(
    drafts: &[AnswerDraft],
    framework: Option<&'a Framework>,
    violations: &mut Violations,
) -> BTreeMap<String, (&'a Criterion, Answer)> {
    let mut seen = BTreeSet::new();
    let mut answers = BTreeMap::new();
    for (index, draft) in drafts.iter().enumerate() {
        let code = draft.criterion.as_str();
        if code.is_empty() {
            violations.add(
                format!("answers[#{index}].criterion"),
                "a criterion code is required",
            );
            continue;
        }
        let at = format!("answers[{code}]");
        if !seen.insert(code) {
            violations.add(at, "the criterion is answered twice");
            continue;
        }
        let criterion = match framework {
            Some(framework) => match framework.criteria.iter().find(|c| c.code == code) {
                Some(criterion) => Some(criterion),
                None => {
                    violations.add(
                        at.clone(),
                        format!("framework {:?} has no criterion {code:?}", framework.code),
                    );
                    continue;
                }
            },
            // The period or framework is wrong; the answer can only be checked for presence.
            None => None,
        };
        let Some(answer) = &draft.answer else {
            violations.add(
                at,
                "an answer is required: yes, choice or number (leave an unanswered criterion \
                 out; it scores 0)",
            );
            continue;
        };
        let Some(criterion) = criterion else {
            continue;
        };
        if check_answer(criterion, answer, &at, violations) {
            answers.insert(code.to_owned(), (criterion, answer.clone()));
        }
    }
    answers
}

/// Whether the answer fits the criterion's scoring; if not, says why at the answer's field.
fn check_answer(
    criterion: &Criterion,
    answer: &Answer,
    at: &str,
    violations: &mut Violations,
) -> bool {
    // The names of the request's oneof fields (CriterionAnswer.yes, .choice, .number), so that a
    // path names the field the client set.
    let given = match answer {
        Answer::YesNo(_) => "yes",
        Answer::Choice(_) => "choice",
        Answer::Number(_) => "number",
    };
    let field = format!("{at}.{given}");
    match (&criterion.scoring, answer) {
        (Scoring::YesNo, Answer::YesNo(_)) => true,
        (Scoring::Graded { choices }, Answer::Choice(code)) => {
            let known = choices.iter().any(|choice| &choice.code == code);
            if !known {
                let codes: Vec<&str> = choices.iter().map(|c| c.code.as_str()).collect();
                violations.add(
                    field,
                    format!(
                        "{code:?} is not a choice of criterion {}: one of {}",
                        criterion.code,
                        codes.join(", ")
                    ),
                );
            }
            known
        }
        (Scoring::NumericBands { bands, unit }, Answer::Number(number)) => {
            // Bands are contiguous and the last is open-ended, so only a number below the
            // first is out of range; `points_for` is the single rule for where a number falls.
            let placed = criterion.points_for(answer).is_some();
            if !placed {
                let first = bands.first().map(|band| band.from.to_string());
                violations.add(
                    field,
                    format!(
                        "{number} is below the first band of criterion {} (from {} {unit})",
                        criterion.code,
                        first.unwrap_or_default()
                    ),
                );
            }
            placed
        }
        (scoring, _) => {
            let expected = match scoring {
                Scoring::YesNo => "yes (true or false)",
                Scoring::Graded { .. } => "choice (one of its choices' codes)",
                Scoring::NumericBands { .. } => "number (placed in a band)",
            };
            violations.add(
                field,
                format!(
                    "criterion {} is answered with {expected}, not with {given}",
                    criterion.code
                ),
            );
            false
        }
    }
}

/// The evidence references that are well formed, by criterion code.
fn parse_evidence(
    drafts: &[EvidenceDraft],
    framework: Option<&Framework>,
    violations: &mut Violations,
) -> BTreeMap<String, Evidence> {
    let mut seen = BTreeSet::new();
    let mut evidence = BTreeMap::new();
    for (index, draft) in drafts.iter().enumerate() {
        let code = draft.criterion.as_str();
        if code.is_empty() {
            violations.add(
                format!("evidence[#{index}].criterion"),
                "a criterion code is required",
            );
            continue;
        }
        let at = format!("evidence[{code}]");
        if !seen.insert(code) {
            violations.add(at, "the criterion has two evidence references: send one");
            continue;
        }
        let before = violations.len();
        if let Some(framework) = framework
            && !framework.criteria.iter().any(|c| c.code == code)
        {
            violations.add(
                at.clone(),
                format!("framework {:?} has no criterion {code:?}", framework.code),
            );
        }
        let Some(reference) = parse_reference(draft, &at, violations) else {
            continue;
        };
        if violations.len() > before {
            continue;
        }
        evidence.insert(code.to_owned(), reference);
    }
    evidence
}

/// Checks one evidence reference's title, link or document id, and file hash (its criterion is
/// the caller's business), each violation under `at` ("evidence[P2.C1.3].title"). `None` when any
/// is wrong. The progress reports of a plan's tasks (domain::task) check theirs by the same rules.
pub fn parse_reference(
    draft: &EvidenceDraft,
    at: &str,
    violations: &mut Violations,
) -> Option<Evidence> {
    let before = violations.len();
    let title = draft.title.trim();
    if title.is_empty() {
        violations.add(format!("{at}.title"), "required");
    }
    // A link is taken as written (its format admits no whitespace); a document id is words.
    let link = Some(draft.link.as_str()).filter(|link| !link.is_empty());
    let document_id = present(&draft.document_id);
    for (field, text, most) in [
        ("title", Some(title), MAX_TITLE_CHARS),
        ("link", link, MAX_LINK_CHARS),
        ("document_id", document_id, MAX_NAME_CHARS),
    ] {
        if text.is_some_and(|text| text.chars().count() > most) {
            violations.add(
                format!("{at}.{field}"),
                format!("at most {most} characters"),
            );
        }
    }
    if link.is_none() && document_id.is_none() {
        violations.add(
            at,
            "a link or a document id is required, to find the evidence by",
        );
    }
    if let Some(Err(why)) = link.map(check_link) {
        violations.add(format!("{at}.link"), why);
    }
    let sha256 = Sha256Hex::parse(&draft.sha256);
    if sha256.is_none() {
        violations.add(
            format!("{at}.sha256"),
            "the file's SHA-256 is 64 lowercase hexadecimal digits",
        );
    }
    if violations.len() > before {
        return None;
    }
    Some(Evidence {
        title: title.to_owned(),
        link: link.map(str::to_owned),
        document_id: document_id.map(str::to_owned),
        sha256: sha256?,
    })
}

fn present(text: &str) -> Option<&str> {
    let trimmed = text.trim();
    (!trimmed.is_empty()).then_some(trimmed)
}

/// Sums points scored per criterion (absent: 0) over the framework's structure, and finds the
/// level the total reaches. Kept apart from parsing so that appraised points (item 3 of issue
/// 13) are summed by the same rule.
pub fn score(framework: &Framework, points: &BTreeMap<String, Points>) -> Scores {
    let scored = |criterion: &Criterion| points.get(&criterion.code).copied().unwrap_or_default();
    let criteria: Vec<Subtotal> = framework
        .criteria
        .iter()
        .map(|criterion| Subtotal {
            code: criterion.code.clone(),
            points: scored(criterion),
            maximum: criterion.points,
        })
        .collect();
    let components = framework
        .components
        .iter()
        .map(|component| {
            let of_component = || {
                framework
                    .criteria
                    .iter()
                    .filter(|criterion| criterion.component == component.code)
            };
            Subtotal {
                code: component.code.clone(),
                points: of_component().map(scored).sum(),
                maximum: component
                    .points
                    .unwrap_or_else(|| of_component().map(|c| c.points).sum()),
            }
        })
        .collect();
    let pillars = framework
        .pillars
        .iter()
        .map(|pillar| Subtotal {
            code: pillar.code.clone(),
            points: framework.criteria_of_pillar(&pillar.code).map(scored).sum(),
            maximum: pillar.points,
        })
        .collect();
    let total: Points = criteria.iter().map(|criterion| criterion.points).sum();
    Scores {
        criteria,
        components,
        pillars,
        total,
        level: framework.level_for(total).cloned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog_file::{self, DEFAULT_CATALOG};
    use crate::domain::maturity::{Band, Choice, Component, Hundredths, Pillar};

    /// A framework small enough to work out by hand: 10 points, P1 (4) and P2 (6), one
    /// criterion of each scoring kind, levels from 0, 5 and 8.5.
    fn small() -> Framework {
        let criterion = |code: &str, component: &str, points: u32, scoring: Scoring| Criterion {
            code: code.into(),
            component: component.into(),
            label: code.into(),
            points: Points::from_hundredths(points),
            scoring,
            illustrative: false,
            note: String::new(),
        };
        let choice = |code: &str, points: u32| Choice {
            code: code.into(),
            label: String::new(),
            points: Points::from_hundredths(points),
        };
        let band = |from: i64, until: Option<i64>, points: u32| Band {
            from: Hundredths(from),
            until: until.map(Hundredths),
            points: Points::from_hundredths(points),
        };
        let pillar = |code: &str, points: u32| Pillar {
            code: code.into(),
            name: code.into(),
            points: Points::whole(points),
            illustrative: false,
            note: String::new(),
        };
        let component = |code: &str, pillar: &str, points: Option<u32>| Component {
            code: code.into(),
            pillar: pillar.into(),
            name: code.into(),
            points: points.map(Points::whole),
            illustrative: false,
            note: String::new(),
        };
        let level = |rank: u32, from: u32| Level {
            rank,
            name: format!("L{rank}"),
            from: Points::from_hundredths(from),
            illustrative: false,
            note: String::new(),
        };
        Framework {
            code: "T1".into(),
            name: "test".into(),
            decision: String::new(),
            issued_on: None,
            issuer: String::new(),
            periods: vec!["2024".into()],
            points: Points::whole(10),
            pillars: vec![pillar("P1", 4), pillar("P2", 6)],
            components: vec![
                component("P1.C1", "P1", None),
                component("P2.C1", "P2", Some(5)),
                component("P2.C2", "P2", None),
            ],
            criteria: vec![
                criterion("P1.C1.1", "P1.C1", 200, Scoring::YesNo),
                criterion("P1.C1.2", "P1.C1", 200, Scoring::YesNo),
                criterion(
                    "P2.C1.1",
                    "P2.C1",
                    300,
                    Scoring::Graded {
                        choices: vec![choice("none", 0), choice("some", 150), choice("all", 300)],
                    },
                ),
                criterion(
                    "P2.C1.2",
                    "P2.C1",
                    200,
                    Scoring::NumericBands {
                        unit: "%".into(),
                        bands: vec![
                            band(0, Some(4000), 0),
                            band(4000, Some(7000), 100),
                            band(7000, None, 200),
                        ],
                    },
                ),
                criterion("P2.C2.1", "P2.C2", 100, Scoring::YesNo),
            ],
            levels: vec![level(1, 0), level(2, 500), level(3, 850)],
            blocks: Vec::new(),
            illustrative: false,
            note: String::new(),
        }
    }

    const SHA: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

    fn answer(criterion: &str, answer: Answer) -> AnswerDraft {
        AnswerDraft {
            criterion: criterion.into(),
            answer: Some(answer),
        }
    }

    fn evidence(criterion: &str) -> EvidenceDraft {
        EvidenceDraft {
            criterion: criterion.into(),
            title: format!("Minutes for {criterion}"),
            link: format!("https://example.org/{criterion}.pdf"),
            document_id: String::new(),
            sha256: SHA.into(),
        }
    }

    fn draft(answers: Vec<AnswerDraft>, evidence: Vec<EvidenceDraft>) -> SelfAssessmentDraft {
        SelfAssessmentDraft {
            period: "2024".into(),
            framework: "T1".into(),
            answers,
            evidence,
        }
    }

    fn fields(draft: SelfAssessmentDraft, frameworks: &[Framework]) -> Vec<String> {
        match SelfAssessment::parse(draft, frameworks) {
            Ok(parsed) => panic!("accepted: {parsed:?}"),
            Err(violations) => {
                assert!(violations.iter().all(|v| !v.description.is_empty()));
                violations.into_iter().map(|v| v.field).collect()
            }
        }
    }

    fn parsed(draft: SelfAssessmentDraft) -> SelfAssessment {
        match SelfAssessment::parse(draft, &[small()]) {
            Ok(parsed) => parsed,
            Err(violations) => panic!("{violations:?}"),
        }
    }

    fn points(scores: &[Subtotal]) -> Vec<(&str, u32, u32)> {
        scores
            .iter()
            .map(|s| {
                (
                    s.code.as_str(),
                    s.points.hundredths(),
                    s.maximum.hundredths(),
                )
            })
            .collect()
    }

    #[test]
    fn every_violation_is_reported_at_once_with_its_field() {
        let upper = SHA.to_uppercase();
        let draft = draft(
            vec![
                // A number for a yes/no criterion, then the same criterion again.
                answer("P1.C1.1", Answer::Number(Hundredths(500))),
                answer("P1.C1.1", Answer::YesNo(true)),
                AnswerDraft {
                    criterion: "P1.C1.2".into(),
                    answer: None,
                },
                answer("P2.C1.1", Answer::Choice("most".into())),
                answer("P2.C1.2", Answer::Number(Hundredths(-1))),
                answer("X9", Answer::YesNo(true)),
                answer("", Answer::YesNo(true)),
                // Sound and claimed, but without evidence.
                answer("P2.C2.1", Answer::YesNo(true)),
            ],
            vec![
                EvidenceDraft {
                    title: " ".into(),
                    link: String::new(),
                    document_id: String::new(),
                    sha256: upper,
                    ..evidence("P1.C1.1")
                },
                EvidenceDraft {
                    link: "ftp://example.org/a.pdf".into(),
                    sha256: SHA[1..].into(),
                    ..evidence("P2.C1.1")
                },
                evidence("P2.C1.1"),
                evidence("X9"),
                EvidenceDraft {
                    link: "example.org/a.pdf".into(),
                    sha256: format!("{}g", &SHA[1..]),
                    ..evidence("P2.C1.2")
                },
            ],
        );
        assert_eq!(
            fields(draft, &[small()]),
            [
                "answers[P1.C1.1].number",
                "answers[P1.C1.1]",
                "answers[P1.C1.2]",
                "answers[P2.C1.1].choice",
                "answers[P2.C1.2].number",
                "answers[X9]",
                "answers[#6].criterion",
                "evidence[P1.C1.1].title",
                "evidence[P1.C1.1]",
                "evidence[P1.C1.1].sha256",
                "evidence[P2.C1.1].link",
                "evidence[P2.C1.1].sha256",
                "evidence[P2.C1.1]",
                "evidence[X9]",
                "evidence[P2.C1.2].link",
                "evidence[P2.C1.2].sha256",
                "evidence[P2.C2.1]",
            ]
        );
    }

    /// A violation names the oneof field the client set, as CriterionAnswer names it.
    #[test]
    fn an_answer_of_the_wrong_kind_is_named_by_its_field() {
        let draft = draft(
            vec![answer("P2.C1.1", Answer::YesNo(true))],
            vec![evidence("P2.C1.1")],
        );
        assert_eq!(fields(draft, &[small()]), ["answers[P2.C1.1].yes"]);
    }

    #[test]
    fn the_framework_must_be_the_one_in_force_for_the_period() {
        let frameworks = [small()];
        let mut other_period = draft(vec![answer("P1.C1.1", Answer::YesNo(true))], vec![]);
        other_period.period = "2023".into();
        assert_eq!(fields(other_period, &frameworks), ["period"]);

        let mut no_period = draft(vec![], vec![]);
        no_period.period = String::new();
        assert_eq!(fields(no_period, &frameworks), ["period"]);

        // Answers and evidence are still checked as far as they can be without the framework.
        let mut other_framework = draft(
            vec![AnswerDraft {
                criterion: "P1.C1.1".into(),
                answer: None,
            }],
            vec![EvidenceDraft {
                sha256: "abc".into(),
                ..evidence("P1.C1.1")
            }],
        );
        other_framework.framework = "V2023".into();
        assert_eq!(
            fields(other_framework, &frameworks),
            ["framework", "answers[P1.C1.1]", "evidence[P1.C1.1].sha256"]
        );
    }

    #[test]
    fn each_scoring_kind_is_scored_and_summed() {
        let assessment = parsed(draft(
            vec![
                answer("P1.C1.1", Answer::YesNo(true)),
                answer("P1.C1.2", Answer::YesNo(false)),
                answer("P2.C1.1", Answer::Choice("some".into())),
                answer("P2.C1.2", Answer::Number(Hundredths(4000))),
            ],
            vec![
                evidence("P1.C1.1"),
                // A document id alone is enough; evidence for a criterion scoring 0 is kept.
                EvidenceDraft {
                    link: String::new(),
                    document_id: "CV-123/2024".into(),
                    ..evidence("P2.C1.1")
                },
                EvidenceDraft {
                    document_id: "CV-124/2024".into(),
                    ..evidence("P2.C1.2")
                },
                evidence("P1.C1.2"),
            ],
        ));
        let scores = assessment.scores();
        assert_eq!(
            points(&scores.criteria),
            [
                ("P1.C1.1", 200, 200),
                ("P1.C1.2", 0, 200),
                ("P2.C1.1", 150, 300),
                ("P2.C1.2", 100, 200),
                ("P2.C2.1", 0, 100),
            ]
        );
        assert_eq!(
            points(&scores.components),
            [("P1.C1", 200, 400), ("P2.C1", 250, 500), ("P2.C2", 0, 100)]
        );
        assert_eq!(
            points(&scores.pillars),
            [("P1", 200, 400), ("P2", 250, 600)]
        );
        assert_eq!(scores.total, Points::from_hundredths(450));
        assert_eq!(scores.level.as_ref().map(|l| l.rank), Some(1));
        assert_eq!(assessment.framework(), "T1");
        assert_eq!(assessment.period(), "2024");
        assert_eq!(assessment.answers().len(), 4);
        assert_eq!(assessment.evidence().len(), 4);
        let by_document = &assessment.evidence()["P2.C1.1"];
        assert_eq!(by_document.link, None);
        assert_eq!(by_document.document_id.as_deref(), Some("CV-123/2024"));
        assert_eq!(by_document.sha256.as_str(), SHA);

        // Each band's lower bound is inclusive, and the last band is open-ended.
        for (number, expected) in [
            (0, 0),
            (3999, 0),
            (6999, 100),
            (7000, 200),
            (1_000_000, 200),
        ] {
            let assessment = parsed(draft(
                vec![answer("P2.C1.2", Answer::Number(Hundredths(number)))],
                vec![evidence("P2.C1.2")],
            ));
            assert_eq!(assessment.scores().total.hundredths(), expected, "{number}");
        }
    }

    #[test]
    fn a_total_exactly_on_a_cut_off_reaches_that_level() {
        let yes = |code: &str| answer(code, Answer::YesNo(true));
        let everything = |answers: Vec<AnswerDraft>| {
            let evidence = answers.iter().map(|a| evidence(&a.criterion)).collect();
            parsed(draft(answers, evidence))
        };
        // 2 + 2 + 1 = 5: the cut-off of level 2.
        let five = everything(vec![yes("P1.C1.1"), yes("P1.C1.2"), yes("P2.C2.1")]);
        assert_eq!(five.scores().total, Points::whole(5));
        assert_eq!(five.scores().level.as_ref().map(|l| l.rank), Some(2));
        // 2 + 2 + 1.5 + 2 + 1 = 8.5: the cut-off of level 3.
        let eight_and_a_half = everything(vec![
            yes("P1.C1.1"),
            yes("P1.C1.2"),
            answer("P2.C1.1", Answer::Choice("some".into())),
            answer("P2.C1.2", Answer::Number(Hundredths(7000))),
            yes("P2.C2.1"),
        ]);
        assert_eq!(
            eight_and_a_half.scores().total,
            Points::from_hundredths(850)
        );
        assert_eq!(
            eight_and_a_half.scores().level.as_ref().map(|l| l.rank),
            Some(3)
        );
        // Nothing answered scores 0: the weakest level.
        let nothing = parsed(draft(vec![], vec![]));
        assert_eq!(nothing.scores().total, Points::ZERO);
        assert_eq!(nothing.scores().level.as_ref().map(|l| l.rank), Some(1));
    }

    #[test]
    fn evidence_text_has_limits() {
        let long = |n: usize| "x".repeat(n);
        let draft = draft(
            vec![],
            vec![EvidenceDraft {
                title: long(501),
                link: format!("https://example.org/{}", long(2000)),
                document_id: long(201),
                ..evidence("P1.C1.1")
            }],
        );
        assert_eq!(
            fields(draft, &[small()]),
            [
                "evidence[P1.C1.1].title",
                "evidence[P1.C1.1].link",
                "evidence[P1.C1.1].document_id"
            ]
        );
    }

    #[test]
    fn the_content_hash_depends_on_what_is_said_not_how() {
        let sent = draft(
            vec![
                answer("P2.C1.2", Answer::Number(Hundredths(7250))),
                answer("P1.C1.1", Answer::YesNo(true)),
                answer("P1.C1.2", Answer::YesNo(false)),
            ],
            vec![
                EvidenceDraft {
                    title: "  Minutes  ".into(),
                    ..evidence("P2.C1.2")
                },
                evidence("P1.C1.1"),
            ],
        );
        let assessment = parsed(sent.clone());
        // Read back as the store would: to a draft, parsed again.
        let again = parsed(assessment.to_draft());
        assert_eq!(again, assessment);
        let hash = assessment.content_hash("bao-nam-dinh");
        assert!(hash.starts_with("sha256:") && hash.len() == 71);
        assert_eq!(again.content_hash("bao-nam-dinh"), hash);
        // Reordered and spelt with other spaces: the same assessment, the same hash.
        let mut reordered = sent.clone();
        reordered.answers.reverse();
        reordered.evidence.reverse();
        reordered.evidence[1].title = "Minutes".into();
        assert_eq!(parsed(reordered).content_hash("bao-nam-dinh"), hash);
        // Another agency, another number, a no left out: another hash each.
        assert_ne!(assessment.content_hash("bao-ninh-binh"), hash);
        let mut other_number = sent.clone();
        other_number.answers[0].answer = Some(Answer::Number(Hundredths(7251)));
        assert_ne!(parsed(other_number).content_hash("bao-nam-dinh"), hash);
        let mut without_no = sent;
        without_no.answers.pop();
        assert_ne!(parsed(without_no).content_hash("bao-nam-dinh"), hash);
    }

    /// The best answer to every criterion of the shipped 2024 framework scores its 100 points.
    #[test]
    fn the_best_answers_under_the_shipped_v2024_score_everything() {
        let frameworks = match catalog_file::parse(DEFAULT_CATALOG) {
            Ok(catalog) => catalog.maturity_frameworks,
            Err(error) => panic!("{error}"),
        };
        let Some(v2024) = framework_for_period(&frameworks, "2024") else {
            panic!("no framework for 2024");
        };
        let best = |criterion: &Criterion| match &criterion.scoring {
            Scoring::YesNo => Answer::YesNo(true),
            Scoring::Graded { choices } => {
                let best = choices.iter().max_by_key(|choice| choice.points);
                Answer::Choice(best.map(|c| c.code.clone()).unwrap_or_default())
            }
            Scoring::NumericBands { bands, .. } => {
                Answer::Number(bands.last().map(|band| band.from).unwrap_or(Hundredths(0)))
            }
        };
        let answers = v2024
            .criteria
            .iter()
            .map(|criterion| answer(&criterion.code, best(criterion)))
            .collect();
        let evidence = v2024.criteria.iter().map(|c| evidence(&c.code)).collect();
        let assessment = match SelfAssessment::parse(
            SelfAssessmentDraft {
                period: "2024".into(),
                framework: v2024.code.clone(),
                answers,
                evidence,
            },
            &frameworks,
        ) {
            Ok(assessment) => assessment,
            Err(violations) => panic!("{violations:?}"),
        };
        let scores = assessment.scores();
        assert_eq!(scores.total, Points::whole(100));
        assert!(scores.pillars.iter().all(|p| p.points == p.maximum));
        assert!(scores.components.iter().all(|c| c.points == c.maximum));
        assert_eq!(
            scores.level.as_ref().map(|l| l.name.as_str()),
            Some("Xuất sắc")
        );
    }
}
