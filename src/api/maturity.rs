//! MaturityService: each press agency's yearly self-assessment under the maturity index, checked
//! and scored against the framework in force for its period (domain::assessment), and kept with
//! every revision.

use tonic::{Request, Response, Status};
use tracing::instrument;

use super::access::caller_of;
use super::convert::{boundaries_from_proto, scope_resolution_to_proto, timestamp};
use crate::app::maturity::{
    AppraisalAsked, MaturityAppraisal, ResultsComparison, ScopeResults, Scored, SelfAssessmentRead,
    SelfAssessmentReceipt, SelfAssessmentSent,
};
use crate::app::{App, AppError, Caller};
use crate::domain::assessment::{AnswerDraft, EvidenceDraft, Scores, SelfAssessmentDraft};
use crate::domain::formats::Field;
use crate::domain::maturity::{Answer, Hundredths};
use crate::domain::maturity_results::{AgencyResult, Aggregate, Rank, Statistics};
use crate::domain::naming::echo;
use crate::domain::violation::FieldViolation;
use crate::proto::maturity_service_server::MaturityService;
use crate::proto::{
    self, AppraiseSelfAssessmentRequest, CompareMaturityResultsRequest, GetMaturityResultsRequest,
    GetSelfAssessmentRequest, SubmitSelfAssessmentRequest, criterion_answer,
};

/// An appraisal's reason is a paragraph.
use crate::domain::limits::MAX_PARAGRAPH_CHARS as MAX_REASON_CHARS;

#[derive(Clone)]
pub struct MaturityApi {
    app: App,
}

impl MaturityApi {
    pub fn new(app: &App) -> MaturityApi {
        MaturityApi { app: app.clone() }
    }

    async fn submit(
        &self,
        request: SubmitSelfAssessmentRequest,
        caller: &Caller,
    ) -> Result<proto::SelfAssessmentReceipt, AppError> {
        AppError::check_fields(&[
            ("request_id", Field::RequestId(&request.request_id)),
            ("agency_code", Field::Code(&request.agency_code)),
            ("period_code", Field::Code(&request.period_code)),
        ])?;
        let (draft, violations) = draft_of(&request);
        let receipt = self
            .app
            .submit_self_assessment(
                caller,
                SelfAssessmentSent {
                    request_id: &request.request_id,
                    agency_code: &request.agency_code,
                    period_code: &request.period_code,
                    draft,
                    violations,
                    validate_only: request.validate_only,
                },
            )
            .await?;
        Ok(receipt_to_proto(&receipt))
    }

    async fn get(
        &self,
        request: GetSelfAssessmentRequest,
        caller: &Caller,
    ) -> Result<proto::SelfAssessment, AppError> {
        AppError::check_fields(&[
            ("agency_code", Field::Code(&request.agency_code)),
            ("period_code", Field::Code(&request.period_code)),
        ])?;
        if request.revision < 0 {
            return Err(AppError::invalid_argument(
                "revision",
                "must not be negative",
            ));
        }
        let revision = (request.revision > 0).then_some(request.revision);
        let read = self
            .app
            .self_assessment(caller, &request.agency_code, &request.period_code, revision)
            .await?;
        Ok(self_assessment_to_proto(read))
    }

    async fn appraise(
        &self,
        request: AppraiseSelfAssessmentRequest,
        caller: &Caller,
    ) -> Result<MaturityAppraisal, AppError> {
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
            return Err(AppError::InvalidArgument(violations));
        }
        self.app
            .appraise_self_assessment(
                caller,
                AppraisalAsked {
                    self_assessment_id: request.self_assessment_id,
                    criterion_code: &request.criterion_code,
                    points: &request.points,
                    reason: &request.reason,
                },
            )
            .await
    }

    async fn results(
        &self,
        request: GetMaturityResultsRequest,
        caller: &Caller,
    ) -> Result<proto::MaturityResults, AppError> {
        let boundaries = AppError::all_at_once(
            AppError::check_fields(&[("period_code", Field::Code(&request.period_code))]),
            boundaries_from_proto(request.boundaries, &request.as_of),
        )?;
        self.app
            .maturity_results(
                caller,
                &request.period_code,
                &request.scope,
                boundaries,
                results_to_proto,
            )
            .await
    }

    async fn compare(
        &self,
        request: CompareMaturityResultsRequest,
        caller: &Caller,
    ) -> Result<proto::MaturityComparison, AppError> {
        let boundaries = AppError::all_at_once(
            AppError::check_fields(&[
                ("period_code", Field::Code(&request.period_code)),
                (
                    "baseline_period_code",
                    Field::Code(&request.baseline_period_code),
                ),
            ]),
            boundaries_from_proto(request.boundaries, &request.as_of),
        )?;
        self.app
            .compare_maturity_results(
                caller,
                &request.period_code,
                &request.baseline_period_code,
                &request.scope,
                boundaries,
                comparison_to_proto,
            )
            .await
    }
}

/// A scope's results as GetMaturityResults serves them (and a province's report holds them).
pub(super) fn results_to_proto(found: &ScopeResults<'_>) -> proto::MaturityResults {
    proto::MaturityResults {
        period_code: found.period.code.clone(),
        scope: found.scope_text.to_string(),
        scope_resolution: Some(scope_resolution_to_proto(found.boundaries, found.absence)),
        framework_code: found.framework.code.clone(),
        agencies: found
            .results
            .agencies
            .iter()
            .map(agency_result_to_proto)
            .collect(),
        missing_agency_codes: found
            .results
            .missing
            .iter()
            .map(|code| code.to_string())
            .collect(),
        aggregate: Some(aggregate_to_proto(&found.results.aggregate)),
    }
}

fn comparison_to_proto(compared: &ResultsComparison<'_>) -> proto::MaturityComparison {
    let (now, then) = (&compared.now, &compared.then);
    let (mean_total, baseline_mean_total) = (compared.mean_total, compared.baseline_mean_total);
    proto::MaturityComparison {
        period_code: now.period.code.clone(),
        baseline_period_code: then.period.code.clone(),
        scope: now.scope_text.to_string(),
        scope_resolution: Some(scope_resolution_to_proto(now.boundaries, now.absence)),
        baseline_scope_resolution: Some(scope_resolution_to_proto(then.boundaries, then.absence)),
        framework_code: now.framework.code.clone(),
        baseline_framework_code: then.framework.code.clone(),
        frameworks_differ: compared.frameworks_differ,
        assessed: as_i32(now.results.aggregate.assessed),
        baseline_assessed: as_i32(then.results.aggregate.assessed),
        pillars: compared
            .pillars
            .iter()
            .map(|pillar| proto::PillarComparison {
                code: pillar.code.clone(),
                share_bp: pillar.share_bp.map(as_i32),
                baseline_share_bp: pillar.baseline_share_bp.map(as_i32),
                change_bp: pillar
                    .change_bp
                    .map(|change| i32::try_from(change).unwrap_or(i32::MAX)),
            })
            .collect(),
        mean_total_hundredths: mean_total.map(as_i32),
        baseline_mean_total_hundredths: baseline_mean_total.map(as_i32),
        mean_total_change_hundredths: mean_total
            .zip(baseline_mean_total)
            .map(|(now, then)| as_i32(now) - as_i32(then)),
    }
}

fn receipt_to_proto(receipt: &SelfAssessmentReceipt) -> proto::SelfAssessmentReceipt {
    proto::SelfAssessmentReceipt {
        id: receipt.id,
        agency_code: receipt.agency_code.clone(),
        period_code: receipt.period_code.clone(),
        framework_code: receipt.framework_code.clone(),
        revision: receipt.revision,
        received_at: Some(timestamp(receipt.received_at)),
        content_hash: receipt.content_hash.clone(),
        replayed: receipt.replayed,
        validated_only: receipt.validated_only,
        score: Some(score_to_proto(&receipt.scores)),
    }
}

/// A stored revision as the contract has it (maturity.proto, SelfAssessment).
fn self_assessment_to_proto(read: SelfAssessmentRead) -> proto::SelfAssessment {
    let SelfAssessmentRead {
        stored,
        content,
        appraisals,
        scoring,
    } = read;
    let (score, final_score, misfits) = match scoring {
        Ok(Scored {
            scores,
            final_scores,
        }) => (
            Some(score_to_proto(&scores)),
            Some(score_to_proto(&final_scores)),
            Vec::new(),
        ),
        Err(violations) => (
            None,
            None,
            violations
                .into_iter()
                .map(|violation| proto::FrameworkMisfit {
                    field: violation.field,
                    description: violation.description,
                })
                .collect(),
        ),
    };
    let content = content_of(content, &stored.agency_code);
    proto::SelfAssessment {
        receipt: Some(proto::SelfAssessmentReceipt {
            id: stored.id,
            agency_code: stored.agency_code,
            period_code: stored.period_code,
            framework_code: stored.framework_code,
            revision: stored.revision,
            received_at: Some(timestamp(stored.received_at)),
            content_hash: stored.content_hash,
            replayed: false,
            validated_only: false,
            score,
        }),
        answers: content.answers,
        evidence: content.evidence,
        submitted_by: stored.submitted_by,
        appraisals: appraisals.iter().map(appraisal_to_proto).collect(),
        final_score,
        misfits,
    }
}

/// Points, counts, ranks and shares are far below `i32::MAX`.
fn as_i32(value: u32) -> i32 {
    i32::try_from(value).unwrap_or(i32::MAX)
}

fn agency_result_to_proto(result: &AgencyResult<'_>) -> proto::AgencyMaturityResult {
    let mut score = score_to_proto(&result.assessed.final_scores);
    // The criteria are GetSelfAssessment's: a results table would carry ~40 rows per agency.
    score.criteria.clear();
    let (national_rank, national_ranked) = rank_to_proto(result.national);
    let (province_rank, province_ranked) = rank_to_proto(result.province);
    proto::AgencyMaturityResult {
        agency_code: result.agency.code.clone(),
        agency_name: result.version.name.clone(),
        province_code: result.version.province_code.clone().unwrap_or_default(),
        block_code: result
            .block
            .map(|block| block.code.clone())
            .unwrap_or_default(),
        self_assessment_id: result.assessed.self_assessment_id,
        revision: result.assessed.revision,
        appraised: result.assessed.appraised,
        score: Some(score),
        national_rank,
        national_ranked,
        province_rank,
        province_ranked,
    }
}

fn rank_to_proto(rank: Option<Rank>) -> (i32, i32) {
    rank.map_or((0, 0), |rank| (as_i32(rank.rank), as_i32(rank.ranked)))
}

fn aggregate_to_proto(aggregate: &Aggregate) -> proto::MaturityAggregate {
    let statistics = |part: &Statistics| proto::PartStatistics {
        code: part.code.clone(),
        maximum_hundredths: as_i32(part.maximum.hundredths()),
        mean_hundredths: part.mean.map(as_i32),
        median_hundredths: part.median.map(as_i32),
        mean_share_bp: part.mean_share_bp.map(as_i32),
    };
    proto::MaturityAggregate {
        covered: as_i32(aggregate.assessed + aggregate.missing),
        assessed: as_i32(aggregate.assessed),
        missing: as_i32(aggregate.missing),
        levels: aggregate
            .levels
            .iter()
            .map(|(rank, name, agencies)| proto::LevelCount {
                level_rank: as_i32(*rank),
                level_name: name.clone(),
                agencies: as_i32(*agencies),
            })
            .collect(),
        pillars: aggregate.pillars.iter().map(statistics).collect(),
        total: Some(statistics(&aggregate.total)),
    }
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
        let criterion = answer.criterion_code.clone();
        let parsed = match &answer.answer {
            None => None,
            Some(criterion_answer::Answer::Yes(yes)) => Some(Answer::YesNo(*yes)),
            Some(criterion_answer::Answer::Choice(code)) => Some(Answer::Choice(code.clone())),
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
            // Codes, links and hashes are taken as written; words without surrounding spaces.
            criterion: reference.criterion_code.clone(),
            title: reference.title.trim().to_string(),
            link: reference.link.clone(),
            document_id: reference.document_id.trim().to_string(),
            sha256: reference.sha256.clone(),
        })
        .collect();
    let draft = SelfAssessmentDraft {
        period: request.period_code.clone(),
        framework: request.framework_code.clone(),
        answers,
        evidence,
    };
    (draft, violations)
}

/// A draft as the request that would send it again.
fn content_of(draft: SelfAssessmentDraft, agency_code: &str) -> SubmitSelfAssessmentRequest {
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
        let caller = caller_of(&request)?;
        Ok(Response::new(
            self.submit(request.into_inner(), &caller).await?,
        ))
    }

    #[instrument(skip_all, fields(self_assessment = request.get_ref().self_assessment_id, criterion = %request.get_ref().criterion_code))]
    async fn appraise_self_assessment(
        &self,
        request: Request<AppraiseSelfAssessmentRequest>,
    ) -> Result<Response<proto::Appraisal>, Status> {
        let caller = caller_of(&request)?;
        let appraisal = self.appraise(request.into_inner(), &caller).await?;
        Ok(Response::new(appraisal_to_proto(&appraisal)))
    }

    #[instrument(skip_all, fields(period = %request.get_ref().period_code, scope = %request.get_ref().scope))]
    async fn get_maturity_results(
        &self,
        request: Request<GetMaturityResultsRequest>,
    ) -> Result<Response<proto::MaturityResults>, Status> {
        let caller = caller_of(&request)?;
        Ok(Response::new(
            self.results(request.into_inner(), &caller).await?,
        ))
    }

    #[instrument(skip_all, fields(period = %request.get_ref().period_code, baseline = %request.get_ref().baseline_period_code, scope = %request.get_ref().scope))]
    async fn compare_maturity_results(
        &self,
        request: Request<CompareMaturityResultsRequest>,
    ) -> Result<Response<proto::MaturityComparison>, Status> {
        let caller = caller_of(&request)?;
        Ok(Response::new(
            self.compare(request.into_inner(), &caller).await?,
        ))
    }

    #[instrument(skip_all, fields(agency = %request.get_ref().agency_code, period = %request.get_ref().period_code))]
    async fn get_self_assessment(
        &self,
        request: Request<GetSelfAssessmentRequest>,
    ) -> Result<Response<proto::SelfAssessment>, Status> {
        let caller = caller_of(&request)?;
        Ok(Response::new(
            self.get(request.into_inner(), &caller).await?,
        ))
    }
}
