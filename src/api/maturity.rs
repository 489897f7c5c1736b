//! MaturityService: each press agency's yearly self-assessment under the maturity index, checked
//! and scored against the framework in force for its period (domain::assessment), and kept with
//! every revision.

use std::collections::BTreeMap;
use std::sync::Arc;

use tonic::{Request, Response, Status};
use tracing::{info, instrument};

use super::access::caller_of;
use super::convert::{boundaries_from_proto, scope_resolution_to_proto, timestamp};
use crate::app::Caller;
use crate::app::access;
use crate::app::names::scope_or_own;
use crate::app::names::{find_period, parse_scope, require_reporting_agency};
use crate::app::off_the_workers;
use crate::app::{App, AppError, ReadModel};
use crate::domain::Catalog;
use crate::domain::access::Reach;
use crate::domain::assessment::{
    AnswerDraft, EvidenceDraft, Scores, SelfAssessment, SelfAssessmentDraft, score,
};
use crate::domain::formats::Field;
use crate::domain::maturity::{Answer, Framework, Hundredths, Points, framework_for_period};
use crate::domain::maturity_results::{
    self as maturity_results, AgencyResult, Aggregate, Assessed, Rank, Statistics, compare_pillars,
};
use crate::domain::naming::echo;
use crate::domain::period::Period;
use crate::domain::scope::{Boundaries, Coverage, Scope};
use crate::domain::stored_forms::SelfAssessmentForm;
use crate::domain::violation::FieldViolation;
use crate::proto::maturity_service_server::MaturityService;
use crate::proto::{
    self, AppraiseSelfAssessmentRequest, CompareMaturityResultsRequest, GetMaturityResultsRequest,
    GetSelfAssessmentRequest, SubmitSelfAssessmentRequest, criterion_answer,
};
use crate::store::{
    Appraised, MaturityAppraisal, NewAppraisal, NewSelfAssessment, Store, StoredSelfAssessment,
};

/// An appraisal's reason is a paragraph.
use crate::domain::limits::MAX_PARAGRAPH_CHARS as MAX_REASON_CHARS;

#[derive(Clone)]
pub struct MaturityApi {
    read_model: Arc<ReadModel>,
    store: Store,
}

impl MaturityApi {
    pub fn new(app: &App) -> MaturityApi {
        MaturityApi {
            read_model: app.read_model().clone(),
            store: app.store().clone(),
        }
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
        let catalog = self.read_model.catalog(Some(caller.counters())).await?;
        let period = find_period(&catalog, &request.period_code)?;
        let agency_code = request.agency_code.as_str();
        require_reporting_agency(&catalog, agency_code, period)?;
        let principal = &caller.principal();
        if access::send_reports(caller, &catalog, agency_code, period, false).is_none() {
            return Err(AppError::out_of_reach(format!(
                "{principal} may not assess {}: an agency assesses itself, or its province enters \
                 its form",
                echo(agency_code)
            )));
        }
        let (draft, mut violations) = draft_of(&request);
        let assessment = match SelfAssessment::parse(draft, &catalog.maturity_frameworks) {
            Ok(assessment) if violations.is_empty() => assessment,
            Ok(_) => return Err(AppError::InvalidArgument(violations)),
            Err(more) => {
                violations.extend(more.into_iter().map(named_as_in_the_request));
                return Err(AppError::InvalidArgument(violations));
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
                form: &SelfAssessmentForm::of(&assessment),
                content_hash: &content_hash,
                submitted_by: &submitted_by,
            })
            .await?;
        let (stored, replayed) = stored.stored_or(|taken| AppError::RequestIdReused {
            submission_id: (taken.agency_code == agency_code).then_some(taken.id),
            request_id: taken.request_id,
        })?;
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
        let catalog = self.read_model.catalog(Some(caller.counters())).await?;
        let period = find_period(&catalog, &request.period_code)?;
        let agency_code = request.agency_code.as_str();
        let principal = &caller.principal();
        if access::read_agency(caller, &catalog, agency_code, period).is_none() {
            return Err(AppError::out_of_reach(format!(
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
                AppError::not_found(
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
        Ok(served(&stored, &appraisals, &catalog))
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

        // Whose self-assessment: a missing one is refused like one out of reach.
        let principal = &caller.principal();
        let id = request.self_assessment_id;
        let out_of_reach = || {
            AppError::out_of_reach(format!(
                "{principal} does not reach self-assessment {id}: a province appraises its own \
                 agencies', the Ministry anyone's"
            ))
        };
        let catalog = self.read_model.catalog(Some(caller.counters())).await?;
        let stored = self
            .store
            .self_assessment_by_id(id)
            .await?
            .ok_or_else(out_of_reach)?;
        let reaches = catalog.period(&stored.period_code).is_some_and(|period| {
            access::read_agency(caller, &catalog, &stored.agency_code, period).is_some()
        });
        if !reaches {
            return Err(out_of_reach());
        }

        // A revision that no longer fits counts nowhere: there is nothing to appraise.
        let (_, framework) =
            fit(&decoded(&stored), &catalog).map_err(|_| AppError::FailedPrecondition {
                reason: "SELF_ASSESSMENT_OUTDATED",
                subject: format!("self-assessments/{id}"),
                message: format!(
                    "self-assessment {id} no longer fits the framework governing {} (the \
                     catalogue changed since it was sent): it counts as no self-assessment until \
                     {} sends a new revision",
                    stored.period_code, stored.agency_code
                ),
            })?;

        // What was given, against the criterion: every problem at once.
        let criterion_code = request.criterion_code.as_str();
        let criterion = framework
            .criteria
            .iter()
            .find(|criterion| criterion.code == criterion_code);
        let mut violations = Vec::new();
        if criterion.is_none() {
            violations.push(FieldViolation::new(
                "criterion_code",
                format!(
                    "{} is not a criterion of {}",
                    echo(criterion_code),
                    framework.code
                ),
            ));
        }
        let points_hundredths = match Hundredths::parse_decimal(&request.points) {
            None => {
                violations.push(FieldViolation::new(
                    "points",
                    format!(
                        "{} is not a decimal number with at most two decimals",
                        echo(&request.points)
                    ),
                ));
                0
            }
            Some(points) => {
                if let Some(criterion) = criterion
                    && (points.0 < 0 || points.0 > i64::from(criterion.points.hundredths()))
                {
                    violations.push(FieldViolation::new(
                        "points",
                        format!(
                            "{points} is not between 0 and the criterion's {} points",
                            criterion.points
                        ),
                    ));
                }
                i32::try_from(points.0).unwrap_or(i32::MAX)
            }
        };
        if !violations.is_empty() {
            return Err(AppError::InvalidArgument(violations));
        }

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
            Appraised::Superseded { latest_id } => Err(AppError::FailedPrecondition {
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

/// What a request for results names, checked: the period, its framework, the scope.
struct ResultsAsked {
    period: Period,
    framework_code: String,
    scope_text: String,
    scope: Scope,
}

impl MaturityApi {
    /// Checks what a results request names, in the order maturity.proto states: the period, the
    /// scope (the caller's own when empty), a framework governing the period. Whether the caller
    /// reaches the scope is [`require_reach`]'s, once the boundaries have placed it.
    fn results_asked(
        catalog: &Catalog,
        caller: &Caller,
        period_code: &str,
        scope: &str,
    ) -> Result<ResultsAsked, AppError> {
        let period = find_period(catalog, period_code)?.clone();
        let scope_text = scope_or_own(scope, caller.principal());
        let scope = parse_scope(catalog, "scope", &scope_text)?;
        let framework = framework_for_period(&catalog.maturity_frameworks, &period.code)
            .ok_or_else(|| AppError::FailedPrecondition {
                reason: "NO_MATURITY_FRAMEWORK",
                subject: format!("periods/{}", period.code),
                message: format!("no maturity framework governs {}", period.code),
            })?;
        Ok(ResultsAsked {
            framework_code: framework.code.clone(),
            period,
            scope_text,
            scope,
        })
    }

    /// Every agency's latest revision for an asked period that counts, scored with its
    /// appraisals.
    async fn assessed_in(
        &self,
        catalog: Arc<Catalog>,
        asked: &ResultsAsked,
    ) -> Result<BTreeMap<String, Assessed>, AppError> {
        assessed_in(
            &self.store,
            catalog,
            &asked.period.code,
            &asked.framework_code,
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
        let catalog = self.read_model.catalog(Some(caller.counters())).await?;
        let asked = Self::results_asked(&catalog, caller, &request.period_code, &request.scope)?;
        let coverage = asked.scope.in_period(&catalog, boundaries, &asked.period);
        require_reach(&catalog, caller, &asked.scope, &coverage, &asked.period)?;
        let assessed = self.assessed_in(catalog.clone(), &asked).await?;
        off_the_workers(move || {
            let framework = governing(&catalog, &asked)?;
            Ok(served_results(
                &catalog, framework, &asked, boundaries, &assessed,
            ))
        })
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
        let catalog = self.read_model.catalog(Some(caller.counters())).await?;
        let asked = Self::results_asked(&catalog, caller, &request.period_code, &request.scope)?;
        let baseline = Self::results_asked(
            &catalog,
            caller,
            &request.baseline_period_code,
            &request.scope,
        )?;
        if baseline.period.reference_date() >= asked.period.reference_date() {
            return Err(AppError::invalid_argument(
                "baseline_period_code",
                format!(
                    "{} does not end before {}: the baseline is the earlier period",
                    baseline.period.code, asked.period.code
                ),
            ));
        }
        let coverage = asked.scope.in_period(&catalog, boundaries, &asked.period);
        let baseline_coverage =
            asked
                .scope
                .in_previous_period(&catalog, boundaries, &asked.period, &baseline.period);
        require_reach(&catalog, caller, &asked.scope, &coverage, &asked.period)?;
        require_reach(
            &catalog,
            caller,
            &asked.scope,
            &baseline_coverage,
            &baseline.period,
        )?;
        let assessed = self.assessed_in(catalog.clone(), &asked).await?;
        let baseline_assessed = self.assessed_in(catalog.clone(), &baseline).await?;
        off_the_workers(move || {
            let framework = governing(&catalog, &asked)?;
            let baseline_framework = governing(&catalog, &baseline)?;
            let coverage = asked.scope.in_period(&catalog, boundaries, &asked.period);
            let baseline_coverage = asked.scope.in_previous_period(
                &catalog,
                boundaries,
                &asked.period,
                &baseline.period,
            );
            let now =
                maturity_results::results(&catalog, framework, &asked.period, &coverage, &assessed);
            let then = maturity_results::results(
                &catalog,
                baseline_framework,
                &baseline.period,
                &baseline_coverage,
                &baseline_assessed,
            );
            let (now, then) = (&now.aggregate, &then.aggregate);
            let frameworks_differ = framework.code != baseline_framework.code;
            // Totals compare only under one framework: across versions the maxima, criteria and
            // cut-offs behind them differ.
            let (mean_total, baseline_mean_total) = if frameworks_differ {
                (None, None)
            } else {
                (now.total.mean, then.total.mean)
            };
            Ok(proto::MaturityComparison {
                period_code: asked.period.code.clone(),
                baseline_period_code: baseline.period.code.clone(),
                scope: asked.scope_text.clone(),
                scope_resolution: Some(scope_resolution_to_proto(
                    boundaries,
                    coverage.absence.as_ref(),
                )),
                baseline_scope_resolution: Some(scope_resolution_to_proto(
                    boundaries,
                    baseline_coverage.absence.as_ref(),
                )),
                framework_code: framework.code.clone(),
                baseline_framework_code: baseline_framework.code.clone(),
                frameworks_differ,
                assessed: as_i32(now.assessed),
                baseline_assessed: as_i32(then.assessed),
                pillars: compare_pillars(now, then)
                    .into_iter()
                    .map(|pillar| proto::PillarComparison {
                        code: pillar.code,
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
            })
        })
        .await
    }
}

/// The results of a province in a period, for its yearly report (province_report.proto): under
/// HISTORICAL boundaries, as GetMaturityResults serves them; `None` when no framework governs
/// the period or no agency of the province assessed itself.
pub(super) async fn province_maturity_results(
    store: &Store,
    catalog: Arc<Catalog>,
    period: &Period,
    province_code: &str,
) -> Result<Option<proto::MaturityResults>, AppError> {
    let Some(framework) = framework_for_period(&catalog.maturity_frameworks, &period.code) else {
        return Ok(None);
    };
    let asked = ResultsAsked {
        period: period.clone(),
        framework_code: framework.code.clone(),
        scope_text: format!("province:{province_code}"),
        scope: Scope::Province(province_code.to_string()),
    };
    let assessed = assessed_in(store, catalog.clone(), &period.code, &framework.code).await?;
    off_the_workers(move || {
        let framework = governing(&catalog, &asked)?;
        let results = served_results(
            &catalog,
            framework,
            &asked,
            Boundaries::Historical,
            &assessed,
        );
        Ok((!results.agencies.is_empty()).then_some(results))
    })
    .await
}

/// Every agency's latest revision for a period that counts, scored with its appraisals.
async fn assessed_in(
    store: &Store,
    catalog: Arc<Catalog>,
    period_code: &str,
    framework_code: &str,
) -> Result<BTreeMap<String, Assessed>, AppError> {
    let stored = store.latest_self_assessments(period_code).await?;
    let framework_code = framework_code.to_string();
    off_the_workers(move || Ok(assessed_of(&catalog, &framework_code, &stored))).await
}

/// An asked scope's results under `framework`, as GetMaturityResults serves them.
fn served_results(
    catalog: &Catalog,
    framework: &Framework,
    asked: &ResultsAsked,
    boundaries: Boundaries,
    assessed: &BTreeMap<String, Assessed>,
) -> proto::MaturityResults {
    let coverage = asked.scope.in_period(catalog, boundaries, &asked.period);
    let found = maturity_results::results(catalog, framework, &asked.period, &coverage, assessed);
    proto::MaturityResults {
        period_code: asked.period.code.clone(),
        scope: asked.scope_text.clone(),
        scope_resolution: Some(scope_resolution_to_proto(
            boundaries,
            coverage.absence.as_ref(),
        )),
        framework_code: framework.code.clone(),
        agencies: found.agencies.iter().map(agency_result_to_proto).collect(),
        missing_agency_codes: found.missing.iter().map(|code| code.to_string()).collect(),
        aggregate: Some(aggregate_to_proto(&found.aggregate)),
    }
}

/// The framework governing an asked period, as checked when it was asked.
fn governing<'a>(catalog: &'a Catalog, asked: &ResultsAsked) -> Result<&'a Framework, AppError> {
    catalog
        .maturity_frameworks
        .iter()
        .find(|framework| framework.code == asked.framework_code)
        .ok_or_else(|| {
            AppError::Internal(format!(
                "framework {} vanished from the catalogue",
                asked.framework_code
            ))
        })
}

/// Refuses a caller results of a scope unless it reaches every agency the scope covers in the
/// period; "country" and the agency-type blocks only to a caller that reaches everything.
fn require_reach(
    catalog: &Catalog,
    caller: &Caller,
    scope: &Scope,
    coverage: &Coverage<'_>,
    period: &Period,
) -> Result<(), AppError> {
    let principal = &caller.principal();
    let reach = principal.reach(catalog, period);
    let reaches = match scope {
        Scope::Country | Scope::AgencyType(_) => reach == Reach::Everything,
        _ => coverage
            .agencies
            .iter()
            .all(|(agency, _)| reach.contains(&agency.code)),
    };
    if reaches {
        return Ok(());
    }
    Err(AppError::out_of_reach(format!(
        "{principal} does not reach every agency of {scope} in {}",
        period.code
    )))
}

/// The latest revisions of a period that count (those answered under `framework_code`, the
/// framework governing the period now), each parsed and scored with its appraisals.
fn assessed_of(
    catalog: &Catalog,
    framework_code: &str,
    stored: &[(StoredSelfAssessment, Vec<MaturityAppraisal>)],
) -> BTreeMap<String, Assessed> {
    let mut assessed = BTreeMap::new();
    for (revision, appraisals) in stored {
        if revision.framework_code != framework_code {
            continue;
        }
        // One that no longer fits (a criterion it answered changed since) counts as none either.
        let Ok((assessment, framework)) = fit(&decoded(revision), catalog) else {
            continue;
        };
        let final_scores = final_scores(&assessment, framework, appraisals);
        assessed.insert(
            revision.agency_code.clone(),
            Assessed {
                self_assessment_id: revision.id,
                revision: revision.revision,
                appraised: !appraisals.is_empty(),
                final_scores,
            },
        );
    }
    assessed
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

/// A stored revision as the contract has it: scored under the catalogue's framework now, with
/// its appraisals and the final score they make; or, when it no longer fits (the catalogue changed
/// since it was sent), unscored, with why (maturity.proto, SelfAssessment.misfits).
fn served(
    stored: &StoredSelfAssessment,
    appraisals: &[MaturityAppraisal],
    catalog: &Catalog,
) -> proto::SelfAssessment {
    let mut content = decoded(stored);
    let (score, final_score, misfits) = match fit(&content, catalog) {
        Ok((assessment, framework)) => (
            Some(score_to_proto(assessment.scores())),
            Some(score_to_proto(&final_scores(
                &assessment,
                framework,
                appraisals,
            ))),
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
    // In the order of the form the agency filled in: its framework's, as the catalogue lists
    // it now; what that framework no longer has (or all, if the catalogue lost it) after, by code.
    let order = criterion_order(catalog, &stored.framework_code);
    content
        .answers
        .sort_by_cached_key(|answer| order(&answer.criterion_code));
    content
        .evidence
        .sort_by_cached_key(|evidence| order(&evidence.criterion_code));
    let mut appraisals: Vec<&MaturityAppraisal> = appraisals.iter().collect();
    appraisals.sort_by_cached_key(|appraisal| order(&appraisal.criterion_code));
    proto::SelfAssessment {
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
            score,
        }),
        answers: content.answers,
        evidence: content.evidence,
        submitted_by: stored.submitted_by.clone(),
        appraisals: appraisals.into_iter().map(appraisal_to_proto).collect(),
        final_score,
        misfits,
    }
}

/// A criterion's place in `framework_code`'s order as the catalogue lists it now, then its code:
/// a criterion the framework does not have (or every one, without the framework) sorts after
/// those it has, by code.
fn criterion_order<'a>(
    catalog: &'a Catalog,
    framework_code: &str,
) -> impl Fn(&str) -> (usize, String) + 'a {
    let criteria = catalog
        .maturity_frameworks
        .iter()
        .find(|framework| framework.code == framework_code)
        .map(|framework| framework.criteria.as_slice())
        .unwrap_or_default();
    move |code: &str| {
        let position = criteria
            .iter()
            .position(|criterion| criterion.code == code)
            .unwrap_or(usize::MAX);
        (position, code.to_string())
    }
}

/// The stored content of a revision: the request that would send it again, its answers and
/// evidence in criterion order.
fn decoded(stored: &StoredSelfAssessment) -> SubmitSelfAssessmentRequest {
    content_of(stored.form.to_draft(), &stored.agency_code)
}

/// A stored revision's content parsed again under the catalogue as it is now, with the framework
/// governing its period; or, when it no longer fits (the period moved to another framework, or a
/// criterion it answered changed), every violation SubmitSelfAssessment would name today.
fn fit<'a>(
    content: &SubmitSelfAssessmentRequest,
    catalog: &'a Catalog,
) -> Result<(SelfAssessment, &'a Framework), Vec<FieldViolation>> {
    let (draft, mut violations) = draft_of(content);
    match SelfAssessment::parse(draft, &catalog.maturity_frameworks) {
        Ok(assessment) if violations.is_empty() => {
            let framework = catalog
                .maturity_frameworks
                .iter()
                .find(|framework| framework.code == assessment.framework());
            match framework {
                Some(framework) => Ok((assessment, framework)),
                None => Err(vec![FieldViolation::new(
                    "framework_code",
                    format!(
                        "the catalogue no longer has framework {}",
                        assessment.framework()
                    ),
                )]),
            }
        }
        Ok(_) => Err(violations),
        Err(more) => {
            violations.extend(more.into_iter().map(named_as_in_the_request));
            Err(violations)
        }
    }
}

/// The final score of a revision that fits `framework`: the appraised points in place of the
/// self-assessed ones, criterion by criterion.
fn final_scores(
    assessment: &SelfAssessment,
    framework: &Framework,
    appraisals: &[MaturityAppraisal],
) -> Scores {
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
    score(framework, &points)
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
