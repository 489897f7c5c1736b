//! MaturityService: each press agency's yearly self-assessment under the maturity index, checked
//! and scored against the framework in force for its period (domain::assessment), and kept with
//! every revision.

use std::collections::BTreeMap;
use std::sync::Arc;

use prost::Message;
use tonic::{Request, Response, Status};
use tracing::{info, instrument};

use super::access::Caller;
use super::convert::timestamp;
use super::error::ApiError;
use super::names::{find_period, require_reporting_agency};
use crate::domain::Catalog;
use crate::domain::assessment::{
    AnswerDraft, EvidenceDraft, Scores, SelfAssessment, SelfAssessmentDraft, score,
};
use crate::domain::maturity::{Answer, Framework, Hundredths, Points};
use crate::domain::naming::echo;
use crate::domain::violation::FieldViolation;
use crate::proto::maturity_service_server::MaturityService;
use crate::proto::{
    self, AppraiseSelfAssessmentRequest, GetSelfAssessmentRequest, SubmitSelfAssessmentRequest,
    criterion_answer,
};
use crate::store::{
    Appraised, MaturityAppraisal, NewAppraisal, NewSelfAssessment, ReadModel, SelfAssessmentStored,
    Store, StoredSelfAssessment,
};

/// The longest appraisal reason kept: a paragraph, not a document.
const MAX_REASON_CHARS: usize = 2000;

#[derive(Clone)]
pub struct MaturityApi {
    read_model: Arc<ReadModel>,
    store: Store,
}

impl MaturityApi {
    pub fn new(read_model: Arc<ReadModel>, store: Store) -> MaturityApi {
        MaturityApi { read_model, store }
    }

    async fn submit(
        &self,
        request: SubmitSelfAssessmentRequest,
        caller: &Caller,
    ) -> Result<proto::SelfAssessmentReceipt, ApiError> {
        ApiError::require(&[
            ("request_id", &request.request_id),
            ("agency_code", &request.agency_code),
            ("period_code", &request.period_code),
        ])?;
        let catalog = self.read_model.catalog(Some(caller.counters)).await?;
        let period = find_period(&catalog, request.period_code.trim())?;
        let agency_code = request.agency_code.trim();
        require_reporting_agency(&catalog, agency_code, period)?;
        let principal = &caller.principal;
        if principal
            .may_submit_for(agency_code, &catalog, period, false)
            .is_none()
        {
            return Err(ApiError::out_of_reach(format!(
                "{principal} may not assess {}: an agency assesses itself, or its province enters \
                 its form",
                echo(agency_code)
            )));
        }
        let (draft, mut violations) = draft_of(&request);
        let assessment = match SelfAssessment::parse(draft, &catalog.maturity_frameworks) {
            Ok(assessment) if violations.is_empty() => assessment,
            Ok(_) => return Err(ApiError::InvalidArgument(violations)),
            Err(more) => {
                violations.extend(more.into_iter().map(named_as_in_the_request));
                return Err(ApiError::InvalidArgument(violations));
            }
        };
        let content_hash = assessment.content_hash(agency_code);
        let mut receipt = proto::SelfAssessmentReceipt {
            id: 0,
            agency_code: agency_code.to_string(),
            period_code: period.code.clone(),
            framework_code: assessment.framework().to_string(),
            revision: 0,
            received_at: Some(timestamp(chrono::Utc::now())),
            content_hash: content_hash.clone(),
            replayed: false,
            validated_only: request.validate_only,
            score: Some(score_to_proto(assessment.scores())),
        };
        if request.validate_only {
            return Ok(receipt);
        }
        let submitted_by = principal.to_string();
        let stored = self
            .store
            .submit_self_assessment(NewSelfAssessment {
                agency_code,
                period_code: &period.code,
                framework_code: assessment.framework(),
                request_id: request.request_id.trim(),
                content: content_of(&assessment, agency_code).encode_to_vec(),
                content_hash: &content_hash,
                submitted_by: &submitted_by,
            })
            .await?;
        let (stored, replayed) = match stored {
            SelfAssessmentStored::Stored(stored) => (stored, false),
            SelfAssessmentStored::Replayed(stored) => (stored, true),
            SelfAssessmentStored::RequestIdReused(taken) => {
                return Err(ApiError::RequestIdReused {
                    request_id: taken.request_id.clone(),
                    submission_id: (taken.agency_code == agency_code).then_some(taken.id),
                });
            }
        };
        info!(
            agency = %agency_code,
            period = %period.code,
            revision = stored.revision,
            replayed,
            "self-assessment stored"
        );
        receipt.id = stored.id;
        receipt.revision = stored.revision;
        receipt.received_at = Some(timestamp(stored.received_at));
        receipt.replayed = replayed;
        Ok(receipt)
    }

    async fn get(
        &self,
        request: GetSelfAssessmentRequest,
        caller: &Caller,
    ) -> Result<proto::SelfAssessment, ApiError> {
        ApiError::require(&[
            ("agency_code", &request.agency_code),
            ("period_code", &request.period_code),
        ])?;
        if request.revision < 0 {
            return Err(ApiError::invalid_argument(
                "revision",
                "must not be negative",
            ));
        }
        let catalog = self.read_model.catalog(Some(caller.counters)).await?;
        let period = find_period(&catalog, request.period_code.trim())?;
        let agency_code = request.agency_code.trim();
        let principal = &caller.principal;
        if !principal.may_read(&catalog, agency_code, period) {
            return Err(ApiError::out_of_reach(format!(
                "{principal} does not reach {} in {}",
                echo(agency_code),
                period.code
            )));
        }
        let revision = (request.revision > 0).then_some(request.revision);
        let stored = self
            .store
            .self_assessment(agency_code, &period.code, revision)
            .await?
            .ok_or_else(|| {
                ApiError::not_found(
                    "SELF_ASSESSMENT_NOT_FOUND",
                    format!(
                        "{} has no self-assessment for {}{}",
                        echo(agency_code),
                        period.code,
                        revision
                            .map(|revision| format!(" in revision {revision}"))
                            .unwrap_or_default()
                    ),
                )
            })?;
        let appraisals = self.store.appraisals(stored.id).await?;
        served(&stored, &appraisals, &catalog)
    }

    async fn appraise(
        &self,
        request: AppraiseSelfAssessmentRequest,
        caller: &Caller,
    ) -> Result<MaturityAppraisal, ApiError> {
        let mut violations = Vec::new();
        if request.self_assessment_id <= 0 {
            violations.push(FieldViolation::new("self_assessment_id", "required"));
        }
        for (field, value) in [
            ("criterion_code", &request.criterion_code),
            ("points", &request.points),
            ("reason", &request.reason),
        ] {
            if value.trim().is_empty() {
                violations.push(FieldViolation::new(field, "required"));
            }
        }
        if request.reason.chars().count() > MAX_REASON_CHARS {
            violations.push(FieldViolation::new(
                "reason",
                format!("at most {MAX_REASON_CHARS} characters"),
            ));
        }
        if !violations.is_empty() {
            return Err(ApiError::InvalidArgument(violations));
        }

        // Whose self-assessment: a missing one is refused like one out of reach.
        let principal = &caller.principal;
        let id = request.self_assessment_id;
        let out_of_reach = || {
            ApiError::out_of_reach(format!(
                "{principal} does not reach self-assessment {id}: a province appraises its own \
                 agencies', the Ministry anyone's"
            ))
        };
        let catalog = self.read_model.catalog(Some(caller.counters)).await?;
        let stored = self
            .store
            .self_assessment_by_id(id)
            .await?
            .ok_or_else(out_of_reach)?;
        let reaches = catalog
            .period(&stored.period_code)
            .is_some_and(|period| principal.may_read(&catalog, &stored.agency_code, period));
        if !reaches {
            return Err(out_of_reach());
        }

        // What was given, against the criterion.
        let criterion_code = request.criterion_code.trim();
        let criterion = framework_of(&stored, &catalog)?
            .criteria
            .iter()
            .find(|criterion| criterion.code == criterion_code);
        let points = Hundredths::parse_decimal(&request.points);
        let points_hundredths = match (criterion, points) {
            (None, _) => Err(FieldViolation::new(
                "criterion_code",
                format!(
                    "{} is not a criterion of {}",
                    echo(criterion_code),
                    stored.framework_code
                ),
            )),
            (Some(_), None) => Err(FieldViolation::new(
                "points",
                format!(
                    "{} is not a decimal number with at most two decimals",
                    echo(&request.points)
                ),
            )),
            (Some(criterion), Some(points))
                if points.0 < 0 || points.0 > i64::from(criterion.points.hundredths()) =>
            {
                Err(FieldViolation::new(
                    "points",
                    format!(
                        "{points} is not between 0 and the criterion's {} points",
                        criterion.points
                    ),
                ))
            }
            (Some(_), Some(points)) => Ok(i32::try_from(points.0).unwrap_or(i32::MAX)),
        }
        .map_err(|violation| ApiError::InvalidArgument(vec![violation]))?;

        let appraised_by = principal.to_string();
        match self
            .store
            .appraise_self_assessment(NewAppraisal {
                self_assessment_id: id,
                criterion_code,
                points_hundredths,
                reason: request.reason.trim(),
                appraised_by: &appraised_by,
            })
            .await?
        {
            Appraised::Recorded(appraisal) => {
                info!(
                    self_assessment = id,
                    criterion = %criterion_code,
                    points = points_hundredths,
                    "self-assessment appraised"
                );
                Ok(appraisal)
            }
            Appraised::Superseded { latest_id } => Err(ApiError::FailedPrecondition {
                reason: "REVISION_SUPERSEDED",
                subject: format!("self-assessments/{latest_id}"),
                message: format!(
                    "self-assessment {id} is not the latest revision of {} {} any more: appraise \
                     self-assessment {latest_id}",
                    stored.agency_code, stored.period_code
                ),
            }),
            Appraised::NoSuchSelfAssessment => Err(out_of_reach()),
        }
    }
}

/// The framework a stored revision was answered under, as the catalogue holds it now.
fn framework_of<'a>(
    stored: &StoredSelfAssessment,
    catalog: &'a Catalog,
) -> Result<&'a Framework, ApiError> {
    catalog
        .maturity_frameworks
        .iter()
        .find(|framework| framework.code == stored.framework_code)
        .ok_or_else(|| {
            ApiError::Store(crate::store::StoreError::Corrupt(format!(
                "self-assessment {} names framework {}, which the catalogue no longer has",
                stored.id, stored.framework_code
            )))
        })
}

fn appraisal_to_proto(appraisal: &MaturityAppraisal) -> proto::Appraisal {
    proto::Appraisal {
        self_assessment_id: appraisal.self_assessment_id,
        criterion_code: appraisal.criterion_code.clone(),
        points_hundredths: appraisal.points_hundredths,
        reason: appraisal.reason.clone(),
        appraised_by: appraisal.appraised_by.clone(),
        appraised_at: Some(timestamp(appraisal.appraised_at)),
    }
}

/// The draft a request carries, and the violations of answers that are not even of a kind (a
/// number that is not a decimal).
fn draft_of(request: &SubmitSelfAssessmentRequest) -> (SelfAssessmentDraft, Vec<FieldViolation>) {
    let mut violations = Vec::new();
    let mut answers = Vec::with_capacity(request.answers.len());
    for answer in &request.answers {
        let criterion = answer.criterion_code.trim().to_string();
        let parsed = match &answer.answer {
            None => None,
            Some(criterion_answer::Answer::Yes(yes)) => Some(Answer::YesNo(*yes)),
            Some(criterion_answer::Answer::Choice(code)) => {
                Some(Answer::Choice(code.trim().to_string()))
            }
            Some(criterion_answer::Answer::Number(text)) => match Hundredths::parse_decimal(text) {
                Some(number) => Some(Answer::Number(number)),
                None => {
                    // Reported here, and left out of the draft so as not to be reported again as
                    // an answer missing.
                    violations.push(FieldViolation::new(
                        format!("answers[{criterion}].number"),
                        format!(
                            "{} is not a decimal number with at most two decimals",
                            echo(text)
                        ),
                    ));
                    continue;
                }
            },
        };
        answers.push(AnswerDraft {
            criterion,
            answer: parsed,
        });
    }
    let evidence = request
        .evidence
        .iter()
        .map(|reference| EvidenceDraft {
            criterion: reference.criterion_code.trim().to_string(),
            title: reference.title.trim().to_string(),
            link: reference.link.trim().to_string(),
            document_id: reference.document_id.trim().to_string(),
            sha256: reference.sha256.trim().to_string(),
        })
        .collect();
    let draft = SelfAssessmentDraft {
        period: request.period_code.trim().to_string(),
        framework: request.framework_code.trim().to_string(),
        answers,
        evidence,
    };
    (draft, violations)
}

/// A violation as the request names its field: the domain says "period" and "framework" where
/// the request has period_code and framework_code.
fn named_as_in_the_request(mut violation: FieldViolation) -> FieldViolation {
    match violation.field.as_str() {
        "period" => violation.field = "period_code".into(),
        "framework" => violation.field = "framework_code".into(),
        _ => {}
    }
    violation
}

/// What is stored of an assessment: its answers and evidence in criterion order, as the request
/// that would send them again.
fn content_of(assessment: &SelfAssessment, agency_code: &str) -> SubmitSelfAssessmentRequest {
    let draft = assessment.to_draft();
    SubmitSelfAssessmentRequest {
        request_id: String::new(),
        agency_code: agency_code.to_string(),
        period_code: draft.period,
        framework_code: draft.framework,
        answers: draft
            .answers
            .into_iter()
            .map(|answer| proto::CriterionAnswer {
                criterion_code: answer.criterion,
                answer: answer.answer.map(|answer| match answer {
                    Answer::YesNo(yes) => criterion_answer::Answer::Yes(yes),
                    Answer::Choice(code) => criterion_answer::Answer::Choice(code),
                    Answer::Number(number) => criterion_answer::Answer::Number(number.to_string()),
                }),
            })
            .collect(),
        evidence: draft
            .evidence
            .into_iter()
            .map(|evidence| proto::EvidenceReference {
                criterion_code: evidence.criterion,
                title: evidence.title,
                link: evidence.link,
                document_id: evidence.document_id,
                sha256: evidence.sha256,
            })
            .collect(),
        validate_only: false,
    }
}

/// A stored revision as the contract has it, scored under the catalogue's framework now, with
/// its appraisals and the final score they make.
fn served(
    stored: &StoredSelfAssessment,
    appraisals: &[MaturityAppraisal],
    catalog: &Catalog,
) -> Result<proto::SelfAssessment, ApiError> {
    let corrupt = |why: String| {
        ApiError::Store(crate::store::StoreError::Corrupt(format!(
            "self-assessment {}: {why}",
            stored.id
        )))
    };
    let content = SubmitSelfAssessmentRequest::decode(stored.content.as_slice())
        .map_err(|error| corrupt(error.to_string()))?;
    let (draft, _) = draft_of(&content);
    let assessment =
        SelfAssessment::parse(draft, &catalog.maturity_frameworks).map_err(|violations| {
            corrupt(format!(
                "no longer fits its framework ({} problems)",
                violations.len()
            ))
        })?;
    // The appraised points in place of the self-assessed ones, criterion by criterion.
    let mut points: BTreeMap<String, Points> = assessment
        .scores()
        .criteria
        .iter()
        .map(|criterion| (criterion.code.clone(), criterion.points))
        .collect();
    for appraisal in appraisals {
        let appraised = u32::try_from(appraisal.points_hundredths).unwrap_or(0);
        points.insert(
            appraisal.criterion_code.clone(),
            Points::from_hundredths(appraised),
        );
    }
    let final_score = score(framework_of(stored, catalog)?, &points);
    Ok(proto::SelfAssessment {
        receipt: Some(proto::SelfAssessmentReceipt {
            id: stored.id,
            agency_code: stored.agency_code.clone(),
            period_code: stored.period_code.clone(),
            framework_code: stored.framework_code.clone(),
            revision: stored.revision,
            received_at: Some(timestamp(stored.received_at)),
            content_hash: stored.content_hash.clone(),
            replayed: false,
            validated_only: false,
            score: Some(score_to_proto(assessment.scores())),
        }),
        answers: content.answers,
        evidence: content.evidence,
        submitted_by: stored.submitted_by.clone(),
        appraisals: appraisals.iter().map(appraisal_to_proto).collect(),
        final_score: Some(score_to_proto(&final_score)),
    })
}

fn score_to_proto(scores: &Scores) -> proto::MaturityScore {
    let hundredths = |points: crate::domain::maturity::Points| {
        i32::try_from(points.hundredths()).unwrap_or(i32::MAX)
    };
    let parts = |subtotals: &[crate::domain::assessment::Subtotal]| {
        subtotals
            .iter()
            .map(|subtotal| proto::ScoredPart {
                code: subtotal.code.clone(),
                points_hundredths: hundredths(subtotal.points),
                maximum_hundredths: hundredths(subtotal.maximum),
            })
            .collect()
    };
    let maximum = scores
        .pillars
        .iter()
        .map(|pillar| pillar.maximum.hundredths())
        .sum::<u32>();
    proto::MaturityScore {
        total_hundredths: hundredths(scores.total),
        maximum_hundredths: i32::try_from(maximum).unwrap_or(i32::MAX),
        level_rank: scores
            .level
            .as_ref()
            .map_or(0, |level| i32::try_from(level.rank).unwrap_or(0)),
        level_name: scores
            .level
            .as_ref()
            .map(|level| level.name.clone())
            .unwrap_or_default(),
        pillars: parts(&scores.pillars),
        components: parts(&scores.components),
        criteria: parts(&scores.criteria),
    }
}

#[tonic::async_trait]
impl MaturityService for MaturityApi {
    #[instrument(skip_all, fields(agency = %request.get_ref().agency_code, period = %request.get_ref().period_code))]
    async fn submit_self_assessment(
        &self,
        request: Request<SubmitSelfAssessmentRequest>,
    ) -> Result<Response<proto::SelfAssessmentReceipt>, Status> {
        let caller = Caller::of(&request)?;
        Ok(Response::new(
            self.submit(request.into_inner(), &caller).await?,
        ))
    }

    #[instrument(skip_all, fields(self_assessment = request.get_ref().self_assessment_id, criterion = %request.get_ref().criterion_code))]
    async fn appraise_self_assessment(
        &self,
        request: Request<AppraiseSelfAssessmentRequest>,
    ) -> Result<Response<proto::Appraisal>, Status> {
        let caller = Caller::of(&request)?;
        let appraisal = self.appraise(request.into_inner(), &caller).await?;
        Ok(Response::new(appraisal_to_proto(&appraisal)))
    }

    #[instrument(skip_all, fields(agency = %request.get_ref().agency_code, period = %request.get_ref().period_code))]
    async fn get_self_assessment(
        &self,
        request: Request<GetSelfAssessmentRequest>,
    ) -> Result<Response<proto::SelfAssessment>, Status> {
        let caller = Caller::of(&request)?;
        Ok(Response::new(
            self.get(request.into_inner(), &caller).await?,
        ))
    }
}
