//! The province's yearly report: drafting from the figures, the narrative, signing and reading.
//!
//! A report's content is stored as an encoded `proto::ProvinceReportContent`, the documented
//! stored form of province_report.proto, and what the province signs: so this module builds and
//! decodes that message, the only one of the application layer that uses proto types. The
//! figures in it are written in the messages the face serves them in, through the face's own
//! conversions ([`FiguresForm`]), so that a report holds what the services would serve.

mod requests;

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use prost::Message;
use tracing::info;

use super::access::{self, ProvinceReportReader, ProvinceReportWriter};
use super::authentication::Caller;
use super::blocking::off_the_workers;
use super::error::AppError;
use super::figures::{ReviewedStatus, accepted_reports, plan_summaries, reviewed_status};
use super::maturity::ScopeResults;
use super::names::{find_period, find_plan};
use super::state::App;
use super::tasks::province_task_follow_up;
use crate::domain::Catalog;
use crate::domain::naming::echo;
use crate::domain::period::{Period, Timeliness};
use crate::domain::plan::Plan;
use crate::domain::province_report::{self, Drafting, Latest, Submitted, SubmittedVersion};
use crate::domain::scope::{Boundaries, Scope};
use crate::domain::summary::{PeriodAndScope, TargetSummary};
use crate::domain::task_follow_up::FollowUp;
use crate::proto;
use crate::store::{ProvinceReportDraft, ProvinceReportFilter, ProvinceReportSubmit};
pub use requests::{DraftAsked, NarrativeChange, ReportsAsked};

pub use crate::store::{ProvinceReportState, StoredProvinceReport};

/// The messages a draft's figures are written in: the face's conversions of the figures, the
/// same that serve them alone.
pub trait FiguresForm: 'static {
    fn summaries(summaries: &[TargetSummary]) -> Vec<proto::TargetSummary>;
    fn reporting_status(reviewed: &ReviewedStatus, period: &Period) -> proto::ReportingStatus;
    fn maturity_results(results: &ScopeResults<'_>) -> proto::MaturityResults;
    fn task_follow_up(followed: &FollowUp<'_>, plan: &Plan, period: &Period)
    -> proto::TaskFollowUp;
    fn timestamp(instant: DateTime<Utc>) -> prost_types::Timestamp;
}

/// A stored version as served: with the catalogue's deadline and the timeliness of its series.
pub struct ProvinceReportRead {
    pub report: StoredProvinceReport,
    /// `None` when the catalogue no longer has the period.
    pub deadline: Option<DateTime<Utc>>,
    /// Decided by the series' first submission; `None` before one (or without the deadline).
    pub timeliness: Option<Timeliness>,
}

/// Which provinces reported on a plan for a period, and when.
pub struct ProvincesReporting {
    pub plan_code: String,
    pub period: Period,
    pub provinces: Vec<ProvinceReporting>,
}

/// One province expected to report, and its submission if it made one.
pub struct ProvinceReporting {
    pub province_code: String,
    pub name: String,
    pub submitted: Option<Submitted>,
}

impl ProvincesReporting {
    /// How many provinces submitted with `timeliness`.
    pub fn submitted(&self, timeliness: Timeliness) -> usize {
        self.provinces
            .iter()
            .filter(|province| {
                province
                    .submitted
                    .as_ref()
                    .is_some_and(|submitted| submitted.timeliness == timeliness)
            })
            .count()
    }
}

impl App {
    /// Drafts the province's report on a plan for a period from its figures as they stand (a
    /// first version, a refresh of the draft, or a correction of the submitted version).
    pub async fn draft_province_report<F: FiguresForm>(
        &self,
        caller: &Caller,
        asked: DraftAsked<'_>,
    ) -> Result<ProvinceReportRead, AppError> {
        let principal = caller.principal();
        // One state of the data for everything the snapshot holds.
        let counters = caller
            .counters_reaching(&self.read_model, asked.min_data_as_of)
            .await?;
        let view = self.read_model.current(Some(counters)).await?;
        let catalog = &view.catalog;
        let plan = find_plan(catalog, asked.plan_code)?;
        let period = find_period(catalog, asked.period_code)?;
        let province_code = match asked.province_code {
            "" => access::province_written_by(caller).unwrap_or_default(),
            code => code,
        };
        let reporting = province_report::reporting_provinces(catalog, plan, period);
        if !reporting
            .iter()
            .any(|province| province.code == province_code)
        {
            let who: Vec<&str> = reporting
                .iter()
                .map(|province| province.code.as_str())
                .collect();
            return Err(AppError::invalid_argument(
                "province_code",
                format!(
                    "{} does not report on plan {} for period {}: {} {}",
                    if province_code.is_empty() {
                        "(none given)".to_string()
                    } else {
                        echo(province_code)
                    },
                    plan.code,
                    period.code,
                    if who.is_empty() {
                        "no province".to_string()
                    } else {
                        who.join(", ")
                    },
                    if who.len() == 1 { "does" } else { "do" }
                ),
            ));
        }
        let writer = access::write_province_report(caller, province_code).ok_or_else(|| {
            AppError::out_of_reach(format!(
                "{principal} may not draft the report of {province_code}: a province drafts its \
                 own"
            ))
        })?;
        let series = (province_code, plan.code.as_str(), period.code.as_str());
        let latest = self
            .store
            .province_report_version(series, None, false)
            .await?;
        let latest_state = match &latest {
            None => Latest::None,
            Some(report) if report.state == ProvinceReportState::Draft => Latest::Draft {
                version: report.version,
            },
            Some(report) => Latest::Submitted {
                version: report.version,
            },
        };
        let correction_reason = asked.correction_reason.trim();
        let drafting = province_report::drafting(latest_state, correction_reason)
            .map_err(|why| AppError::invalid_argument("correction_reason", why))?;

        // What the draft keeps of the version before: its narrative, and a refreshed draft's
        // correction reason unless a new one is given.
        let (narrative, correction_reason) = match (&latest, drafting) {
            (Some(previous), Drafting::Refresh { .. } | Drafting::Correction { .. }) => {
                let previous_content = content_of(previous)?;
                let reason = match drafting {
                    Drafting::Refresh { .. } if correction_reason.is_empty() => {
                        previous_content.correction_reason
                    }
                    _ => correction_reason.to_string(),
                };
                (previous_content.narrative, reason)
            }
            _ => (None, correction_reason.to_string()),
        };

        let shared_reports = if asked.accepted_only {
            Arc::new(accepted_reports(&self.store, &view).await?)
        } else {
            view.reports.clone()
        };
        let reports = shared_reports.as_ref();
        let scope = Scope::Province(province_code.to_string());
        let summaries = {
            let (catalog, reports) = (view.catalog.clone(), shared_reports.clone());
            let (plan_code, period, scope) = (plan.code.clone(), period.clone(), scope.clone());
            off_the_workers(move || {
                plan_summaries(
                    &catalog,
                    &reports,
                    &plan_code,
                    &period,
                    scope,
                    Boundaries::Historical,
                )
                .map(|summaries| F::summaries(&summaries))
            })
            .await?
        };
        let about = PeriodAndScope {
            period,
            scope: &scope,
            boundaries: Boundaries::Historical,
        };
        let reporting_status = F::reporting_status(
            &reviewed_status(&self.store, catalog, reports, about).await?,
            period,
        );
        let maturity_results = self
            .province_maturity_results(
                view.catalog.clone(),
                period,
                province_code,
                F::maturity_results,
            )
            .await?;
        let task_follow_up =
            province_task_follow_up(&self.store, catalog, plan, period, province_code)
                .await?
                .map(|followed| F::task_follow_up(&followed, plan, period));
        let province_name = catalog
            .organization(province_code)
            .and_then(|province| province.version_on(period.reference_date()))
            .map(|version| version.name.clone())
            .unwrap_or_default();
        let version = drafting.version();
        let content = proto::ProvinceReportContent {
            province_code: province_code.to_string(),
            province_name,
            plan_code: plan.code.clone(),
            plan_name: plan.name.clone(),
            plan_decision: plan.decision.clone(),
            period_code: period.code.clone(),
            year: period.year,
            version,
            correction_reason: correction_reason.clone(),
            data_as_of: reports.data_as_of,
            figures_taken_at: Some(F::timestamp(Utc::now())),
            accepted_only: asked.accepted_only,
            summaries,
            reporting_status: Some(reporting_status),
            narrative,
            maturity_results,
            task_follow_up,
        };
        let draft = ProvinceReportDraft {
            province_code,
            plan_code: &plan.code,
            period_code: &period.code,
            version,
            correction_reason: &correction_reason,
            content: content.encode_to_vec(),
            data_as_of: reports.data_as_of,
            written_by: writer.written_by(),
            replacing: match (&latest, drafting) {
                (Some(draft), Drafting::Refresh { .. }) => {
                    Some((draft.id, draft.content_hash.as_str()))
                }
                _ => None,
            },
        };
        let saved = self
            .store
            .save_province_report_draft(draft)
            .await?
            .ok_or_else(draft_changed_meanwhile)?;
        info!(
            province = %province_code,
            plan = %plan.code,
            period = %period.code,
            version,
            data_as_of = saved.data_as_of,
            "province report drafted"
        );
        self.served(caller, saved).await
    }

    /// Writes the sections of the narrative given into draft `id`.
    pub async fn update_province_report_narrative(
        &self,
        caller: &Caller,
        id: i64,
        change: NarrativeChange,
    ) -> Result<ProvinceReportRead, AppError> {
        let (writer, report) = self.writable(caller, id).await?;
        if report.state == ProvinceReportState::Submitted {
            return Err(already_submitted(&report));
        }
        let mut content = content_of(&report)?;
        let narrative = content.narrative.get_or_insert_default();
        if let Some(results) = change.results {
            narrative.results = results;
        }
        if let Some(difficulties) = change.difficulties {
            narrative.difficulties = difficulties;
        }
        if let Some(proposals) = change.proposals {
            narrative.proposals = proposals;
        }
        let saved = self
            .store
            .save_province_report_draft(ProvinceReportDraft {
                province_code: &report.province_code,
                plan_code: &report.plan_code,
                period_code: &report.period_code,
                version: report.version,
                correction_reason: &report.correction_reason,
                content: content.encode_to_vec(),
                data_as_of: report.data_as_of,
                written_by: writer.written_by(),
                replacing: Some((report.id, &report.content_hash)),
            })
            .await?
            .ok_or_else(draft_changed_meanwhile)?;
        info!(id = saved.id, "province report narrative written");
        self.served(caller, saved).await
    }

    /// Signs draft `id` as read with `content_hash`: submitted, it never changes.
    pub async fn submit_province_report(
        &self,
        caller: &Caller,
        id: i64,
        content_hash: &str,
    ) -> Result<ProvinceReportRead, AppError> {
        let (writer, _) = self.writable(caller, id).await?;
        let submitted = match self
            .store
            .submit_province_report(id, content_hash, writer.written_by())
            .await?
        {
            ProvinceReportSubmit::Submitted(report) => {
                info!(
                    id,
                    province = %report.province_code,
                    plan = %report.plan_code,
                    period = %report.period_code,
                    version = report.version,
                    hash = %report.content_hash,
                    "province report submitted"
                );
                report
            }
            ProvinceReportSubmit::AlreadySubmitted(report) => report,
            ProvinceReportSubmit::SubmittedOtherwise(report) => {
                return Err(already_submitted(&report));
            }
            ProvinceReportSubmit::DraftChanged(report) => {
                return Err(AppError::FailedPrecondition {
                    reason: "DRAFT_CHANGED",
                    subject: format!("province-reports/{id}"),
                    message: format!(
                        "the draft is now {}, not {}: it changed since it was read; read it \
                         again before signing",
                        report.content_hash,
                        echo(content_hash)
                    ),
                });
            }
            ProvinceReportSubmit::NoSuchReport => return Err(out_of_reach(caller, id)),
        };
        self.served(caller, submitted).await
    }

    /// Report `id`, if the caller reads it.
    pub async fn province_report(
        &self,
        caller: &Caller,
        id: i64,
    ) -> Result<ProvinceReportRead, AppError> {
        let reader = self.reader(caller, id)?;
        let report = self
            .store
            .province_report(id)
            .await?
            .filter(|report| reads(&reader, report))
            .ok_or_else(|| out_of_reach(caller, id))?;
        self.served(caller, report).await
    }

    /// The version of a series (province, plan, period) asked (`None`: the latest the caller
    /// reads). An empty `province_code` is the caller's own; `check_series` is the face's check
    /// of the series' fields, once that province is known. `asked_id` is the id the request gave
    /// instead (none: 0 or less), which a refusal of the caller names.
    pub async fn province_report_version(
        &self,
        caller: &Caller,
        asked_id: i64,
        series: (&str, &str, &str),
        version: Option<i32>,
        check_series: impl FnOnce(&str) -> Result<(), AppError>,
    ) -> Result<ProvinceReportRead, AppError> {
        let reader = self.reader(caller, asked_id)?;
        let (asked_province, plan_code, period_code) = series;
        let province_code = match asked_province {
            "" => reader.own_province().unwrap_or_default(),
            code => code,
        };
        check_series(province_code)?;
        if !reader.reaches_province(province_code) {
            return Err(AppError::out_of_reach(format!(
                "{} does not reach the reports of {}: a province reads its own",
                caller.principal(),
                echo(province_code)
            )));
        }
        let submitted_only = reader.submitted_only();
        let report = self
            .store
            .province_report_version(
                (province_code, plan_code, period_code),
                version,
                submitted_only,
            )
            .await?
            .filter(|report| reads(&reader, report))
            .ok_or_else(|| {
                AppError::not_found(
                    "PROVINCE_REPORT_NOT_FOUND",
                    format!(
                        "{} has no {}report on plan {} for period {}{}",
                        echo(province_code),
                        if submitted_only { "submitted " } else { "" },
                        echo(plan_code),
                        echo(period_code),
                        version
                            .map(|version| format!(" in version {version}"))
                            .unwrap_or_default()
                    ),
                )
            })?;
        self.served(caller, report).await
    }

    /// A page of the reports the caller reads, by id, and whether another page follows.
    pub async fn list_province_reports(
        &self,
        caller: &Caller,
        asked: ReportsAsked<'_>,
    ) -> Result<(Vec<ProvinceReportRead>, bool), AppError> {
        let principal = caller.principal();
        let reader = access::read_province_reports(caller).ok_or_else(|| {
            AppError::out_of_reach(format!("{principal} does not read province reports"))
        })?;
        let province_code = match (reader.own_province(), asked.province_code) {
            (Some(own), Some(asked)) if asked != own => {
                return Err(AppError::out_of_reach(format!(
                    "{principal} does not reach the reports of {}: a province reads its own",
                    echo(asked)
                )));
            }
            (Some(own), _) => Some(own),
            (None, asked) => asked,
        };
        let filter = ProvinceReportFilter {
            province_code,
            plan_code: asked.plan_code,
            period_code: asked.period_code,
            submitted_only: reader.submitted_only(),
        };
        // One more than a page, to know whether another follows.
        let mut reports = self
            .store
            .list_province_reports(&filter, asked.after_id, asked.page_size + 1)
            .await?;
        let more = reports.len() as u64 > asked.page_size;
        reports.truncate(asked.page_size as usize);
        let catalog = self.read_model.catalog(Some(caller.counters())).await?;
        let mut firsts = FirstSubmissions::default();
        let mut listed = Vec::with_capacity(reports.len());
        for report in reports {
            let first = firsts.of(self, &report).await?;
            listed.push(read_with(report, &catalog, first));
        }
        Ok((listed, more))
    }

    /// Which provinces reported on a plan for a period, and when.
    pub async fn province_reporting_status(
        &self,
        caller: &Caller,
        plan_code: &str,
        period_code: &str,
    ) -> Result<ProvincesReporting, AppError> {
        let catalog = self.read_model.catalog(Some(caller.counters())).await?;
        let plan = find_plan(&catalog, plan_code)?;
        let period = find_period(&catalog, period_code)?;
        let expected = province_report::reporting_provinces(&catalog, plan, period);
        let versions = self
            .store
            .submitted_province_reports(&plan.code, &period.code)
            .await?;
        let provinces = province_report::province_reporting(&expected, period, &versions)
            .into_iter()
            .map(|province| ProvinceReporting {
                province_code: province.province.code.clone(),
                name: province.name,
                submitted: province.submitted,
            })
            .collect();
        Ok(ProvincesReporting {
            plan_code: plan.code.clone(),
            period: period.clone(),
            provinces,
        })
    }

    /// The report `id` if the caller writes it.
    async fn writable(
        &self,
        caller: &Caller,
        id: i64,
    ) -> Result<(ProvinceReportWriter, StoredProvinceReport), AppError> {
        self.store
            .province_report(id)
            .await?
            .and_then(|report| {
                access::write_province_report(caller, &report.province_code)
                    .map(|writer| (writer, report))
            })
            .ok_or_else(|| out_of_reach(caller, id))
    }

    /// The caller's reading of province reports, refused as about report `id`.
    fn reader(&self, caller: &Caller, id: i64) -> Result<ProvinceReportReader, AppError> {
        access::read_province_reports(caller).ok_or_else(|| out_of_reach(caller, id))
    }

    /// A report as served: with the catalogue's deadline and the timeliness of its series.
    async fn served(
        &self,
        caller: &Caller,
        report: StoredProvinceReport,
    ) -> Result<ProvinceReportRead, AppError> {
        let catalog = self.read_model.catalog(Some(caller.counters())).await?;
        let first = FirstSubmissions::default().of(self, &report).await?;
        Ok(read_with(report, &catalog, first))
    }
}

/// Whether `reader` reads `report`.
fn reads(reader: &ProvinceReportReader, report: &StoredProvinceReport) -> bool {
    reader.reads(
        &report.province_code,
        report.state == ProvinceReportState::Submitted,
    )
}

/// `report` with its period's deadline and, from `first_submitted_at` (its series' first
/// submission), its timeliness.
fn read_with(
    report: StoredProvinceReport,
    catalog: &Catalog,
    first_submitted_at: Option<DateTime<Utc>>,
) -> ProvinceReportRead {
    let deadline = catalog
        .period(&report.period_code)
        .map(Period::province_report_deadline);
    let timeliness = match (first_submitted_at, deadline) {
        (Some(first), Some(deadline)) if first > deadline => Some(Timeliness::Late),
        (Some(_), Some(_)) => Some(Timeliness::OnTime),
        _ => None,
    };
    ProvinceReportRead {
        report,
        deadline,
        timeliness,
    }
}

/// When each series (province, plan, period) was first submitted, read once per series.
#[derive(Default)]
struct FirstSubmissions(HashMap<(String, String, String), Option<DateTime<Utc>>>);

impl FirstSubmissions {
    async fn of(
        &mut self,
        app: &App,
        report: &StoredProvinceReport,
    ) -> Result<Option<DateTime<Utc>>, AppError> {
        let key = (
            report.province_code.clone(),
            report.plan_code.clone(),
            report.period_code.clone(),
        );
        if let Some(first) = self.0.get(&key) {
            return Ok(*first);
        }
        let first = app
            .store
            .submitted_province_reports(&report.plan_code, &report.period_code)
            .await?
            .into_iter()
            .filter(|version| version.province_code == report.province_code)
            .min_by_key(|version| version.version)
            .map(|version: SubmittedVersion| version.submitted_at);
        self.0.insert(key, first);
        Ok(first)
    }
}

/// The refusal of a report id the caller does not reach, or that does not exist: alike, so that
/// ids cannot be probed.
fn out_of_reach(caller: &Caller, id: i64) -> AppError {
    AppError::out_of_reach(format!(
        "{} does not reach province report {id}: a province reaches its own reports, the \
         Ministry every submitted one",
        caller.principal()
    ))
}

fn already_submitted(report: &StoredProvinceReport) -> AppError {
    AppError::FailedPrecondition {
        reason: "REPORT_SUBMITTED",
        subject: format!("province-reports/{}", report.id),
        message: format!(
            "province report {} (version {}) was submitted and never changes: draft a correction \
             with CreateProvinceReport and a correction_reason",
            report.id, report.version
        ),
    }
}

/// A draft that changed under its writer: another writer got there first.
fn draft_changed_meanwhile() -> AppError {
    AppError::Contention("the province report changed while it was being written".into())
}

/// The stored content, decoded.
fn content_of(report: &StoredProvinceReport) -> Result<proto::ProvinceReportContent, AppError> {
    proto::ProvinceReportContent::decode(report.content.as_slice()).map_err(|error| {
        AppError::Internal(format!("province report {} content: {error}", report.id))
    })
}
