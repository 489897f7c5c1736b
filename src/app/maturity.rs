//! The maturity index: self-assessments, their appraisals, and the results and rankings of a
//! scope.
//!
//! Results borrow the catalogue and the scored revisions they are computed from, and computing
//! them takes a blocking thread: so a face does not receive them, it hands in how it presents
//! them (`present`), which runs where they are computed, off the workers.

mod requests;

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use tracing::info;

use super::access::{self, Appraiser};
use super::authentication::Caller;
use super::blocking::off_the_workers;
use super::error::AppError;
use super::names::{find_period, parse_scope, require_reporting_agency, scope_or_own};
use super::state::App;
use crate::domain::Catalog;
use crate::domain::assessment::{Scores, SelfAssessment, SelfAssessmentDraft, score};
use crate::domain::maturity::{Framework, Hundredths, Points, framework_for_period};
use crate::domain::maturity_results::{self, Assessed, PillarComparison, Results};
use crate::domain::naming::echo;
use crate::domain::period::Period;
use crate::domain::scope::{Absence, Boundaries, Coverage, Scope};
use crate::domain::stored_forms::SelfAssessmentForm;
use crate::domain::violation::FieldViolation;
use crate::store::{Appraised, NewAppraisal, NewSelfAssessment, Store};
pub use requests::{AppraisalAsked, SelfAssessmentSent};

pub use crate::store::{MaturityAppraisal, StoredSelfAssessment};

/// What was taken of a self-assessment sent (or, validated only, would be).
pub struct SelfAssessmentReceipt {
    /// 0 when validated only.
    pub id: i64,
    pub agency_code: String,
    pub period_code: String,
    pub framework_code: String,
    /// 0 when validated only.
    pub revision: i32,
    pub received_at: DateTime<Utc>,
    pub content_hash: String,
    pub replayed: bool,
    pub validated_only: bool,
    pub scores: Scores,
}

/// A stored revision as GetSelfAssessment serves it.
pub struct SelfAssessmentRead {
    pub stored: StoredSelfAssessment,
    /// Its answers and evidence in the order of the form the agency filled in: its framework's,
    /// as the catalogue lists it now; what that framework no longer has (or all, if the
    /// catalogue lost it) after, by code.
    pub content: SelfAssessmentDraft,
    /// In the same order.
    pub appraisals: Vec<MaturityAppraisal>,
    /// Or, when it no longer fits (the catalogue changed since it was sent), every violation
    /// SubmitSelfAssessment would name today (maturity.proto, SelfAssessment.misfits).
    pub scoring: Result<Scored, Vec<FieldViolation>>,
}

/// How a stored revision that fits the catalogue as it is now scores.
pub struct Scored {
    /// As the agency assessed itself.
    pub scores: Scores,
    /// With the appraised points in place of the self-assessed ones.
    pub final_scores: Scores,
}

/// The results of a scope in a period under the framework governing it, as GetMaturityResults
/// serves them.
pub struct ScopeResults<'a> {
    pub period: &'a Period,
    /// The scope as asked (or the caller's own, when none was).
    pub scope_text: &'a str,
    pub boundaries: Boundaries,
    /// Why the scope's organisation is not there in the period, if it is not.
    pub absence: Option<&'a Absence>,
    pub framework: &'a Framework,
    pub results: Results<'a>,
}

/// A scope's results against a baseline period, as CompareMaturityResults serves them.
pub struct ResultsComparison<'a> {
    pub now: ScopeResults<'a>,
    /// The baseline's, over what the scope covered then.
    pub then: ScopeResults<'a>,
    pub frameworks_differ: bool,
    pub pillars: Vec<PillarComparison>,
    /// Totals compare only under one framework: across versions the maxima, criteria and
    /// cut-offs behind them differ. `None` (both) otherwise.
    pub mean_total: Option<u32>,
    pub baseline_mean_total: Option<u32>,
}

/// What a request for results names, checked: the period, its framework, the scope.
struct ResultsAsked {
    period: Period,
    framework_code: String,
    scope_text: String,
    scope: Scope,
}

impl App {
    /// Scores `sent` against the framework governing its period and, unless validated only,
    /// stores it as the agency's next revision (or replays the revision its request id made).
    pub async fn submit_self_assessment(
        &self,
        caller: &Caller,
        sent: SelfAssessmentSent<'_>,
    ) -> Result<SelfAssessmentReceipt, AppError> {
        let catalog = self.read_model.catalog(Some(caller.counters())).await?;
        let period = find_period(&catalog, sent.period_code)?;
        let agency_code = sent.agency_code;
        require_reporting_agency(&catalog, agency_code, period)?;
        let principal = caller.principal();
        if access::send_reports(caller, &catalog, agency_code, period, false).is_none() {
            return Err(AppError::out_of_reach(format!(
                "{principal} may not assess {}: an agency assesses itself, or its province enters \
                 its form",
                echo(agency_code)
            )));
        }
        let mut violations = sent.violations;
        let assessment = match SelfAssessment::parse(sent.draft, &catalog.maturity_frameworks) {
            Ok(assessment) if violations.is_empty() => assessment,
            Ok(_) => return Err(AppError::InvalidArgument(violations)),
            Err(more) => {
                violations.extend(more.into_iter().map(named_as_in_the_request));
                return Err(AppError::InvalidArgument(violations));
            }
        };
        let content_hash = assessment.content_hash(agency_code);
        let mut receipt = SelfAssessmentReceipt {
            id: 0,
            agency_code: agency_code.to_string(),
            period_code: period.code.clone(),
            framework_code: assessment.framework().to_string(),
            revision: 0,
            received_at: Utc::now(),
            content_hash: content_hash.clone(),
            replayed: false,
            validated_only: sent.validate_only,
            scores: assessment.scores().clone(),
        };
        if sent.validate_only {
            return Ok(receipt);
        }
        let submitted_by = principal.to_string();
        let stored = self
            .store
            .submit_self_assessment(NewSelfAssessment {
                agency_code,
                period_code: &period.code,
                framework_code: assessment.framework(),
                request_id: sent.request_id.trim(),
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
        receipt.received_at = stored.received_at;
        receipt.replayed = replayed;
        Ok(receipt)
    }

    /// A revision of an agency's self-assessment for a period (`None`: the latest), scored under
    /// the catalogue as it is now, with its appraisals.
    pub async fn self_assessment(
        &self,
        caller: &Caller,
        agency_code: &str,
        period_code: &str,
        revision: Option<i32>,
    ) -> Result<SelfAssessmentRead, AppError> {
        let catalog = self.read_model.catalog(Some(caller.counters())).await?;
        let period = find_period(&catalog, period_code)?;
        if access::read_agency(caller, &catalog, agency_code, period).is_none() {
            return Err(AppError::out_of_reach(format!(
                "{} does not reach {} in {}",
                caller.principal(),
                echo(agency_code),
                period.code
            )));
        }
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
        Ok(read_as_served(stored, appraisals, &catalog))
    }

    /// Records a province's (or the Ministry's) points for one criterion of a self-assessment's
    /// latest revision, in place of the self-assessed ones.
    pub async fn appraise_self_assessment(
        &self,
        caller: &Caller,
        asked: AppraisalAsked<'_>,
    ) -> Result<MaturityAppraisal, AppError> {
        // Whose self-assessment: a missing one is refused like one out of reach.
        let id = asked.self_assessment_id;
        let out_of_reach = || {
            AppError::out_of_reach(format!(
                "{} does not reach self-assessment {id}: a province appraises its own \
                 agencies', the Ministry anyone's",
                caller.principal()
            ))
        };
        let catalog = self.read_model.catalog(Some(caller.counters())).await?;
        let stored = self
            .store
            .self_assessment_by_id(id)
            .await?
            .ok_or_else(out_of_reach)?;
        let appraiser = access::appraise_self_assessment(
            caller,
            &catalog,
            &stored.agency_code,
            &stored.period_code,
        )
        .ok_or_else(out_of_reach)?;

        // A revision that no longer fits counts nowhere: there is nothing to appraise.
        let (_, framework) =
            fit(stored.form.to_draft(), &catalog).map_err(|_| AppError::FailedPrecondition {
                reason: "SELF_ASSESSMENT_OUTDATED",
                subject: format!("self-assessments/{id}"),
                message: format!(
                    "self-assessment {id} no longer fits the framework governing {} (the \
                     catalogue changed since it was sent): it counts as no self-assessment until \
                     {} sends a new revision",
                    stored.period_code, stored.agency_code
                ),
            })?;
        let points_hundredths = appraised_points(framework, asked.criterion_code, asked.points)?;
        self.record_appraisal(appraiser, &stored, &asked, points_hundredths)
            .await?
            .ok_or_else(out_of_reach)
    }

    /// Stores an appraisal checked against its framework: `None` when the self-assessment is no
    /// more.
    async fn record_appraisal(
        &self,
        appraiser: Appraiser,
        stored: &StoredSelfAssessment,
        asked: &AppraisalAsked<'_>,
        points_hundredths: i32,
    ) -> Result<Option<MaturityAppraisal>, AppError> {
        let id = stored.id;
        match self
            .store
            .appraise_self_assessment(NewAppraisal {
                self_assessment_id: id,
                criterion_code: asked.criterion_code,
                points_hundredths,
                reason: asked.reason.trim(),
                appraised_by: appraiser.appraised_by(),
            })
            .await?
        {
            Appraised::Recorded(appraisal) => {
                info!(
                    self_assessment = id,
                    criterion = %asked.criterion_code,
                    points = points_hundredths,
                    "self-assessment appraised"
                );
                Ok(Some(appraisal))
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
            Appraised::NoSuchSelfAssessment => Ok(None),
        }
    }

    /// The results of a scope (the caller's own when `scope` is empty) in a period, within
    /// `boundaries`, as `present` makes of them.
    pub async fn maturity_results<T: Send + 'static>(
        &self,
        caller: &Caller,
        period_code: &str,
        scope: &str,
        boundaries: Boundaries,
        present: impl FnOnce(&ScopeResults<'_>) -> T + Send + 'static,
    ) -> Result<T, AppError> {
        let catalog = self.read_model.catalog(Some(caller.counters())).await?;
        let asked = results_asked(&catalog, caller, period_code, scope)?;
        let coverage = asked.scope.in_period(&catalog, boundaries, &asked.period);
        require_reach(&catalog, caller, &asked.scope, &coverage, &asked.period)?;
        let assessed = assessed_in(&self.store, catalog.clone(), &asked).await?;
        off_the_workers(move || {
            let framework = governing(&catalog, &asked)?;
            let coverage = asked.scope.in_period(&catalog, boundaries, &asked.period);
            let found = scope_results(
                &catalog, framework, &asked, boundaries, &coverage, &assessed,
            );
            Ok(present(&found))
        })
        .await
    }

    /// The results of a scope in a period against those of an earlier (baseline) period, as
    /// `present` makes of them.
    pub async fn compare_maturity_results<T: Send + 'static>(
        &self,
        caller: &Caller,
        period_code: &str,
        baseline_period_code: &str,
        scope: &str,
        boundaries: Boundaries,
        present: impl FnOnce(&ResultsComparison<'_>) -> T + Send + 'static,
    ) -> Result<T, AppError> {
        let catalog = self.read_model.catalog(Some(caller.counters())).await?;
        let asked = results_asked(&catalog, caller, period_code, scope)?;
        let baseline = results_asked(&catalog, caller, baseline_period_code, scope)?;
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
        let assessed = assessed_in(&self.store, catalog.clone(), &asked).await?;
        let baseline_assessed = assessed_in(&self.store, catalog.clone(), &baseline).await?;
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
            let now = scope_results(
                &catalog, framework, &asked, boundaries, &coverage, &assessed,
            );
            let mut then = scope_results(
                &catalog,
                baseline_framework,
                &baseline,
                boundaries,
                &baseline_coverage,
                &baseline_assessed,
            );
            // The baseline is the asked scope's, over what it covered then.
            then.scope_text = &asked.scope_text;
            let frameworks_differ = framework.code != baseline_framework.code;
            let (mean_total, baseline_mean_total) = if frameworks_differ {
                (None, None)
            } else {
                (
                    now.results.aggregate.total.mean,
                    then.results.aggregate.total.mean,
                )
            };
            let pillars =
                maturity_results::compare_pillars(&now.results.aggregate, &then.results.aggregate);
            Ok(present(&ResultsComparison {
                now,
                then,
                frameworks_differ,
                pillars,
                mean_total,
                baseline_mean_total,
            }))
        })
        .await
    }

    /// The results of a province in a period, for its yearly report (province_report.proto):
    /// under HISTORICAL boundaries, as GetMaturityResults serves them; `None` when no framework
    /// governs the period or no agency of the province assessed itself.
    pub(super) async fn province_maturity_results<T: Send + 'static>(
        &self,
        catalog: Arc<Catalog>,
        period: &Period,
        province_code: &str,
        present: impl FnOnce(&ScopeResults<'_>) -> T + Send + 'static,
    ) -> Result<Option<T>, AppError> {
        let Some(framework) = framework_for_period(&catalog.maturity_frameworks, &period.code)
        else {
            return Ok(None);
        };
        let asked = ResultsAsked {
            period: period.clone(),
            framework_code: framework.code.clone(),
            scope_text: format!("province:{province_code}"),
            scope: Scope::Province(province_code.to_string()),
        };
        let assessed = assessed_in(&self.store, catalog.clone(), &asked).await?;
        off_the_workers(move || {
            let framework = governing(&catalog, &asked)?;
            let boundaries = Boundaries::Historical;
            let coverage = asked.scope.in_period(&catalog, boundaries, &asked.period);
            let found = scope_results(
                &catalog, framework, &asked, boundaries, &coverage, &assessed,
            );
            Ok((!found.results.agencies.is_empty()).then(|| present(&found)))
        })
        .await
    }
}

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
    let framework =
        framework_for_period(&catalog.maturity_frameworks, &period.code).ok_or_else(|| {
            AppError::FailedPrecondition {
                reason: "NO_MATURITY_FRAMEWORK",
                subject: format!("periods/{}", period.code),
                message: format!("no maturity framework governs {}", period.code),
            }
        })?;
    Ok(ResultsAsked {
        framework_code: framework.code.clone(),
        period,
        scope_text,
        scope,
    })
}

/// Refuses a caller results of a scope unless its rule lets it read them
/// ([`access::read_maturity_results`]).
fn require_reach(
    catalog: &Catalog,
    caller: &Caller,
    scope: &Scope,
    coverage: &Coverage<'_>,
    period: &Period,
) -> Result<(), AppError> {
    match access::read_maturity_results(caller, catalog, scope, coverage, period) {
        Some(_) => Ok(()),
        None => Err(AppError::out_of_reach(format!(
            "{} does not reach every agency of {scope} in {}",
            caller.principal(),
            period.code
        ))),
    }
}

/// An asked scope's results under `framework`, over what `coverage` covers.
fn scope_results<'a>(
    catalog: &'a Catalog,
    framework: &'a Framework,
    asked: &'a ResultsAsked,
    boundaries: Boundaries,
    coverage: &'a Coverage<'a>,
    assessed: &'a BTreeMap<String, Assessed>,
) -> ScopeResults<'a> {
    ScopeResults {
        period: &asked.period,
        scope_text: &asked.scope_text,
        boundaries,
        absence: coverage.absence.as_ref(),
        framework,
        results: maturity_results::results(catalog, framework, &asked.period, coverage, assessed),
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

/// Every agency's latest revision for an asked period that counts, scored with its appraisals.
async fn assessed_in(
    store: &Store,
    catalog: Arc<Catalog>,
    asked: &ResultsAsked,
) -> Result<BTreeMap<String, Assessed>, AppError> {
    let stored = store.latest_self_assessments(&asked.period.code).await?;
    let framework_code = asked.framework_code.clone();
    off_the_workers(move || Ok(assessed_of(&catalog, &framework_code, &stored))).await
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
        let Ok((assessment, framework)) = fit(revision.form.to_draft(), catalog) else {
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

/// The points an appraisal gives, in hundredths, checked against the criterion it names in
/// `framework`: every problem at once.
fn appraised_points(
    framework: &Framework,
    criterion_code: &str,
    points: &str,
) -> Result<i32, AppError> {
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
    let points_hundredths = match Hundredths::parse_decimal(points) {
        None => {
            violations.push(FieldViolation::new(
                "points",
                format!(
                    "{} is not a decimal number with at most two decimals",
                    echo(points)
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
    Ok(points_hundredths)
}

/// A violation as SubmitSelfAssessment names its field: the domain says "period" and
/// "framework" where the request has period_code and framework_code.
fn named_as_in_the_request(mut violation: FieldViolation) -> FieldViolation {
    match violation.field.as_str() {
        "period" => violation.field = "period_code".into(),
        "framework" => violation.field = "framework_code".into(),
        _ => {}
    }
    violation
}

/// A stored revision as GetSelfAssessment serves it: scored under the catalogue's framework
/// now, with its appraisals and the final score they make; or, when it no longer fits, unscored,
/// with why; content and appraisals in the form's order.
fn read_as_served(
    stored: StoredSelfAssessment,
    mut appraisals: Vec<MaturityAppraisal>,
    catalog: &Catalog,
) -> SelfAssessmentRead {
    let mut content = stored.form.to_draft();
    let scoring = fit(content.clone(), catalog).map(|(assessment, framework)| Scored {
        scores: assessment.scores().clone(),
        final_scores: final_scores(&assessment, framework, &appraisals),
    });
    let order = criterion_order(catalog, &stored.framework_code);
    content
        .answers
        .sort_by_cached_key(|answer| order(&answer.criterion));
    content
        .evidence
        .sort_by_cached_key(|evidence| order(&evidence.criterion));
    appraisals.sort_by_cached_key(|appraisal| order(&appraisal.criterion_code));
    SelfAssessmentRead {
        stored,
        content,
        appraisals,
        scoring,
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

/// A stored revision's content parsed again under the catalogue as it is now, with the framework
/// governing its period; or, when it no longer fits (the period moved to another framework, or a
/// criterion it answered changed), every violation SubmitSelfAssessment would name today.
fn fit(
    draft: SelfAssessmentDraft,
    catalog: &Catalog,
) -> Result<(SelfAssessment, &Framework), Vec<FieldViolation>> {
    let assessment =
        SelfAssessment::parse(draft, &catalog.maturity_frameworks).map_err(|violations| {
            violations
                .into_iter()
                .map(named_as_in_the_request)
                .collect::<Vec<_>>()
        })?;
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
