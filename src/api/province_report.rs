//! ProvinceReportService: the province's yearly report to the Ministry. A draft freezes the
//! province's figures at one state of the data; the province writes its narrative; submitting
//! signs it; a correction is a new version. The Ministry reads the submitted versions and sees
//! which provinces have reported.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use prost::Message;
use tonic::{Request, Response, Status};
use tracing::{info, instrument};

use super::access::caller_of;
use super::convert::{timeliness_of_flag, timestamp};
use super::maturity::province_maturity_results;
use super::summary::{reviewed_status_to_proto, summary_to_proto};
use super::task::follow_up_to_proto;
use crate::app::Caller;
use crate::app::figures::{accepted_reports, plan_summaries, reviewed_status};
use crate::app::names::{find_period, find_plan};
use crate::app::off_the_workers;
use crate::app::pagination::{self, PageTokens};
use crate::app::tasks::province_task_follow_up;
use crate::app::{App, AppError, ReadModel};
use crate::domain::Catalog;
use crate::domain::access::{Principal, Role};
use crate::domain::formats::{Field, check_code};
use crate::domain::limits::{MAX_CONTENT_HASH_CHARS, MAX_NARRATIVE_CHARS};
use crate::domain::naming::echo;
use crate::domain::period::{Period, Timeliness};
use crate::domain::province_report::{self, Drafting, Latest, SubmittedVersion};
use crate::domain::scope::{Boundaries, Scope};
use crate::domain::summary::PeriodAndScope;
use crate::domain::violation::FieldViolation;
use crate::proto::province_report_service_server::ProvinceReportService;
use crate::proto::{
    self, CreateProvinceReportRequest, GetProvinceReportRequest, GetProvinceReportingStatusRequest,
    ListProvinceReportsRequest, SubmitProvinceReportRequest, UpdateProvinceReportNarrativeRequest,
};
use crate::store::{
    ProvinceReportDraft, ProvinceReportFilter, ProvinceReportState, ProvinceReportSubmit, Store,
    StoredProvinceReport,
};

#[derive(Clone)]
pub struct ProvinceReportApi {
    read_model: Arc<ReadModel>,
    store: Store,
    page_tokens: PageTokens,
}

/// Who reads province reports, and which.
enum Reader<'a> {
    /// A province: its own reports, drafts included.
    Province(&'a str),
    /// The Ministry: every province's submitted versions.
    Ministry,
}

impl<'a> Reader<'a> {
    fn of(principal: &'a Principal) -> Option<Reader<'a>> {
        match (principal.role, principal.organization.as_deref()) {
            (Role::Province, Some(province)) => Some(Reader::Province(province)),
            (Role::Ministry, _) => Some(Reader::Ministry),
            _ => None,
        }
    }

    fn reads(&self, report: &StoredProvinceReport) -> bool {
        match self {
            Reader::Province(province) => report.province_code == *province,
            Reader::Ministry => report.state == ProvinceReportState::Submitted,
        }
    }
}

/// The province a principal writes reports for: its own, if it is a province.
fn writing_province(principal: &Principal) -> Option<&str> {
    match principal.role {
        Role::Province => principal.organization.as_deref(),
        _ => None,
    }
}

/// The refusal of a report id the caller does not reach, or that does not exist: alike, so that
/// ids cannot be probed.
fn out_of_reach(principal: &Principal, id: i64) -> AppError {
    AppError::out_of_reach(format!(
        "{principal} does not reach province report {id}: a province reaches its own reports, \
         the Ministry every submitted one"
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

/// A filter as given: `None` when left empty.
fn given(code: &str) -> Option<&str> {
    Some(code).filter(|code| !code.is_empty())
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

impl ProvinceReportApi {
    pub fn new(app: &App) -> ProvinceReportApi {
        ProvinceReportApi {
            read_model: app.read_model().clone(),
            store: app.store().clone(),
            page_tokens: app.page_tokens().clone(),
        }
    }

    async fn create(
        &self,
        request: CreateProvinceReportRequest,
        caller: &Caller,
    ) -> Result<StoredProvinceReport, AppError> {
        AppError::check_fields(&[
            ("plan_code", Field::Code(&request.plan_code)),
            ("period_code", Field::Code(&request.period_code)),
            ("province_code", Field::OptionalCode(&request.province_code)),
        ])?;
        let principal = &caller.principal();
        // One state of the data for everything the snapshot holds.
        let counters = caller
            .counters_reaching(&self.read_model, request.min_data_as_of)
            .await?;
        let view = self.read_model.current(Some(counters)).await?;
        let catalog = &view.catalog;
        let plan = find_plan(catalog, &request.plan_code)?;
        let period = find_period(catalog, &request.period_code)?;
        let province_code = match request.province_code.as_str() {
            "" => writing_province(principal).unwrap_or_default(),
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
        if writing_province(principal) != Some(province_code) {
            return Err(AppError::out_of_reach(format!(
                "{principal} may not draft the report of {province_code}: a province drafts its \
                 own"
            )));
        }
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
        let correction_reason = request.correction_reason.trim();
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

        let shared_reports = if request.accepted_only {
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
                .map(|summaries| summaries.iter().map(summary_to_proto).collect::<Vec<_>>())
            })
            .await?
        };
        let about = PeriodAndScope {
            period,
            scope: &scope,
            boundaries: Boundaries::Historical,
        };
        let reporting_status = reviewed_status_to_proto(
            &reviewed_status(&self.store, catalog, reports, about).await?,
            period,
        );
        let maturity_results =
            province_maturity_results(&self.store, view.catalog.clone(), period, province_code)
                .await?;
        let task_follow_up =
            province_task_follow_up(&self.store, catalog, plan, period, province_code)
                .await?
                .map(|followed| follow_up_to_proto(&followed, plan, period));
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
            figures_taken_at: Some(timestamp(Utc::now())),
            accepted_only: request.accepted_only,
            summaries,
            reporting_status: Some(reporting_status),
            narrative,
            maturity_results,
            task_follow_up,
        };
        let written_by = principal.to_string();
        let draft = ProvinceReportDraft {
            province_code,
            plan_code: &plan.code,
            period_code: &period.code,
            version,
            correction_reason: &correction_reason,
            content: content.encode_to_vec(),
            data_as_of: reports.data_as_of,
            written_by: &written_by,
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
        Ok(saved)
    }

    /// The report `id` if the caller writes it.
    async fn writable(
        &self,
        id: i64,
        principal: &Principal,
    ) -> Result<StoredProvinceReport, AppError> {
        let report = self
            .store
            .province_report(id)
            .await?
            .filter(|report| writing_province(principal) == Some(report.province_code.as_str()))
            .ok_or_else(|| out_of_reach(principal, id))?;
        Ok(report)
    }

    async fn update_narrative(
        &self,
        request: UpdateProvinceReportNarrativeRequest,
        caller: &Caller,
    ) -> Result<StoredProvinceReport, AppError> {
        let mut violations = Vec::new();
        if request.id <= 0 {
            violations.push(FieldViolation::new("id", "required"));
        }
        let sections = [
            ("results", &request.results),
            ("difficulties", &request.difficulties),
            ("proposals", &request.proposals),
        ];
        for (field, text) in sections {
            if text
                .as_ref()
                .is_some_and(|text| text.chars().count() > MAX_NARRATIVE_CHARS)
            {
                violations.push(FieldViolation::new(
                    field,
                    format!("at most {MAX_NARRATIVE_CHARS} characters"),
                ));
            }
        }
        if !violations.is_empty() {
            return Err(AppError::InvalidArgument(violations));
        }
        let principal = &caller.principal();
        let report = self.writable(request.id, principal).await?;
        if report.state == ProvinceReportState::Submitted {
            return Err(already_submitted(&report));
        }
        let mut content = content_of(&report)?;
        let narrative = content.narrative.get_or_insert_default();
        if let Some(results) = request.results {
            narrative.results = results;
        }
        if let Some(difficulties) = request.difficulties {
            narrative.difficulties = difficulties;
        }
        if let Some(proposals) = request.proposals {
            narrative.proposals = proposals;
        }
        let written_by = principal.to_string();
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
                written_by: &written_by,
                replacing: Some((report.id, &report.content_hash)),
            })
            .await?
            .ok_or_else(draft_changed_meanwhile)?;
        info!(id = saved.id, "province report narrative written");
        Ok(saved)
    }

    async fn submit(
        &self,
        request: SubmitProvinceReportRequest,
        caller: &Caller,
    ) -> Result<StoredProvinceReport, AppError> {
        let mut violations = Vec::new();
        if request.id <= 0 {
            violations.push(FieldViolation::new("id", "required"));
        }
        if request.content_hash.is_empty() {
            violations.push(FieldViolation::new(
                "content_hash",
                "required: the draft's content_hash as the signer read it",
            ));
        } else if request.content_hash.chars().count() > MAX_CONTENT_HASH_CHARS {
            violations.push(FieldViolation::new(
                "content_hash",
                format!(
                    "at most {MAX_CONTENT_HASH_CHARS} characters: \"sha256:\" and 64 hex digits"
                ),
            ));
        }
        if !violations.is_empty() {
            return Err(AppError::InvalidArgument(violations));
        }
        let principal = &caller.principal();
        let id = request.id;
        self.writable(id, principal).await?;
        let submitted_by = principal.to_string();
        match self
            .store
            .submit_province_report(id, &request.content_hash, &submitted_by)
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
                Ok(report)
            }
            ProvinceReportSubmit::AlreadySubmitted(report) => Ok(report),
            ProvinceReportSubmit::SubmittedOtherwise(report) => Err(already_submitted(&report)),
            ProvinceReportSubmit::DraftChanged(report) => Err(AppError::FailedPrecondition {
                reason: "DRAFT_CHANGED",
                subject: format!("province-reports/{id}"),
                message: format!(
                    "the draft is now {}, not {}: it changed since it was read; read it again \
                     before signing",
                    report.content_hash,
                    echo(&request.content_hash)
                ),
            }),
            ProvinceReportSubmit::NoSuchReport => Err(out_of_reach(principal, id)),
        }
    }

    async fn get(
        &self,
        request: GetProvinceReportRequest,
        caller: &Caller,
    ) -> Result<StoredProvinceReport, AppError> {
        let principal = &caller.principal();
        let reader = Reader::of(principal).ok_or_else(|| out_of_reach(principal, request.id))?;
        if request.id > 0 {
            return self
                .store
                .province_report(request.id)
                .await?
                .filter(|report| reader.reads(report))
                .ok_or_else(|| out_of_reach(principal, request.id));
        }
        let province_code = match (request.province_code.as_str(), &reader) {
            ("", Reader::Province(own)) => own,
            (code, _) => code,
        };
        let mut missing = Vec::new();
        for (field, value) in [
            ("province_code", province_code),
            ("plan_code", request.plan_code.as_str()),
            ("period_code", request.period_code.as_str()),
        ] {
            if value.is_empty() {
                missing.push(FieldViolation::new(field, "required when id is not given"));
            } else if let Err(why) = check_code(value) {
                missing.push(FieldViolation::new(field, why));
            }
        }
        if request.version < 0 {
            missing.push(FieldViolation::new("version", "must not be negative"));
        }
        if !missing.is_empty() {
            return Err(AppError::InvalidArgument(missing));
        }
        if let Reader::Province(own) = reader
            && own != province_code
        {
            return Err(AppError::out_of_reach(format!(
                "{principal} does not reach the reports of {}: a province reads its own",
                echo(province_code)
            )));
        }
        let series = (
            province_code,
            request.plan_code.as_str(),
            request.period_code.as_str(),
        );
        let version = (request.version > 0).then_some(request.version);
        let submitted_only = matches!(reader, Reader::Ministry);
        self.store
            .province_report_version(series, version, submitted_only)
            .await?
            .filter(|report| reader.reads(report))
            .ok_or_else(|| {
                AppError::not_found(
                    "PROVINCE_REPORT_NOT_FOUND",
                    format!(
                        "{} has no {}report on plan {} for period {}{}",
                        echo(province_code),
                        if submitted_only { "submitted " } else { "" },
                        echo(series.1),
                        echo(series.2),
                        version
                            .map(|version| format!(" in version {version}"))
                            .unwrap_or_default()
                    ),
                )
            })
    }

    async fn list(
        &self,
        request: ListProvinceReportsRequest,
        caller: &Caller,
    ) -> Result<proto::ListProvinceReportsResponse, AppError> {
        AppError::check_fields(&[
            ("province_code", Field::OptionalCode(&request.province_code)),
            ("plan_code", Field::OptionalCode(&request.plan_code)),
            ("period_code", Field::OptionalCode(&request.period_code)),
        ])?;
        let principal = &caller.principal();
        let page_size = pagination::page_size(request.page_size)?;
        let filters = format!(
            "province-reports;province={};plan={};period={}",
            request.province_code, request.plan_code, request.period_code
        );
        let after = self
            .page_tokens
            .resume_after(&request.page_token, &filters)?;
        let after_id = match after {
            None => 0,
            Some(key) => key.parse().map_err(|_| {
                AppError::invalid_argument("page_token", "not a token this list gave out")
            })?,
        };
        let reader = Reader::of(principal).ok_or_else(|| {
            AppError::out_of_reach(format!("{principal} does not read province reports"))
        })?;
        let province_code = match (&reader, given(&request.province_code)) {
            (Reader::Province(own), Some(asked)) if asked != *own => {
                return Err(AppError::out_of_reach(format!(
                    "{principal} does not reach the reports of {}: a province reads its own",
                    echo(asked)
                )));
            }
            (Reader::Province(own), _) => Some(*own),
            (Reader::Ministry, asked) => asked,
        };
        let filter = ProvinceReportFilter {
            province_code,
            plan_code: given(&request.plan_code),
            period_code: given(&request.period_code),
            submitted_only: matches!(reader, Reader::Ministry),
        };
        // One more than a page, to know whether another follows.
        let mut reports = self
            .store
            .list_province_reports(&filter, after_id, page_size + 1)
            .await?;
        let more = reports.len() as u64 > page_size;
        reports.truncate(page_size as usize);
        let catalog = self.read_model.catalog(Some(caller.counters())).await?;
        let mut firsts = FirstSubmissions::default();
        let mut listed = Vec::with_capacity(reports.len());
        for report in &reports {
            let first = firsts.of(&self.store, report).await?;
            let mut header = report_to_proto(report, &catalog, first);
            header.content = None;
            header.signed_content = Vec::new();
            listed.push(header);
        }
        let next_page_token = match reports.last() {
            Some(last) if more => self.page_tokens.next(&last.id.to_string(), &filters),
            _ => String::new(),
        };
        Ok(proto::ListProvinceReportsResponse {
            reports: listed,
            next_page_token,
        })
    }

    /// A report as served: with the catalogue's deadline and the timeliness of its series.
    async fn served(
        &self,
        report: &StoredProvinceReport,
        caller: &Caller,
    ) -> Result<proto::ProvinceReport, AppError> {
        let catalog = self.read_model.catalog(Some(caller.counters())).await?;
        let first = FirstSubmissions::default().of(&self.store, report).await?;
        Ok(report_to_proto(report, &catalog, first))
    }

    async fn reporting_status(
        &self,
        request: GetProvinceReportingStatusRequest,
        caller: &Caller,
    ) -> Result<proto::ProvinceReportingStatus, AppError> {
        AppError::check_fields(&[
            ("plan_code", Field::Code(&request.plan_code)),
            ("period_code", Field::Code(&request.period_code)),
        ])?;
        let catalog = self.read_model.catalog(Some(caller.counters())).await?;
        let plan = find_plan(&catalog, &request.plan_code)?;
        let period = find_period(&catalog, &request.period_code)?;
        let expected = province_report::reporting_provinces(&catalog, plan, period);
        let versions = self
            .store
            .submitted_province_reports(&plan.code, &period.code)
            .await?;
        let provinces = province_report::province_reporting(&expected, period, &versions);
        let count = |timeliness: Timeliness| {
            provinces
                .iter()
                .filter(|province| {
                    province
                        .submitted
                        .as_ref()
                        .is_some_and(|submitted| submitted.timeliness == timeliness)
                })
                .count() as i32
        };
        let (on_time, late) = (count(Timeliness::OnTime), count(Timeliness::Late));
        let expected_count = provinces.len() as i32;
        let rate = |count: i32| {
            if expected_count == 0 {
                0.0
            } else {
                f64::from(count) / f64::from(expected_count)
            }
        };
        Ok(proto::ProvinceReportingStatus {
            plan_code: plan.code.clone(),
            period_code: period.code.clone(),
            deadline: Some(timestamp(period.province_report_deadline())),
            expected: expected_count,
            submitted_on_time: on_time,
            submitted_late: late,
            missing: expected_count - on_time - late,
            reporting_rate: rate(on_time + late),
            reporting_rate_on_time: rate(on_time),
            provinces: provinces
                .into_iter()
                .map(|province| {
                    let submitted = province.submitted.as_ref();
                    proto::ProvinceReportingEntry {
                        province_code: province.province.code.clone(),
                        province_name: province.name,
                        submitted: submitted.is_some(),
                        timeliness: submitted
                            .map_or(proto::Timeliness::Unspecified, |submitted| {
                                timeliness_of_flag(submitted.timeliness == Timeliness::Late)
                            })
                            .into(),
                        first_submitted_at: submitted
                            .map(|submitted| timestamp(submitted.first_submitted_at)),
                        latest_version: submitted.map_or(0, |submitted| submitted.latest_version),
                        latest_submitted_at: submitted
                            .map(|submitted| timestamp(submitted.latest_submitted_at)),
                    }
                })
                .collect(),
        })
    }
}

/// When each series (province, plan, period) was first submitted, read once per series.
#[derive(Default)]
struct FirstSubmissions(HashMap<(String, String, String), Option<DateTime<Utc>>>);

impl FirstSubmissions {
    async fn of(
        &mut self,
        store: &Store,
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
        let first = store
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

/// A stored version as the contract has it; `first_submitted_at` is its series' first
/// submission, which decides timeliness.
fn report_to_proto(
    report: &StoredProvinceReport,
    catalog: &Catalog,
    first_submitted_at: Option<DateTime<Utc>>,
) -> proto::ProvinceReport {
    let period: Option<&Period> = catalog.period(&report.period_code);
    let deadline = period.map(Period::province_report_deadline);
    let timeliness = match (first_submitted_at, deadline) {
        (Some(first), Some(deadline)) => timeliness_of_flag(first > deadline),
        _ => proto::Timeliness::Unspecified,
    };
    proto::ProvinceReport {
        id: report.id,
        province_code: report.province_code.clone(),
        plan_code: report.plan_code.clone(),
        period_code: report.period_code.clone(),
        version: report.version,
        state: match report.state {
            ProvinceReportState::Draft => proto::ProvinceReportState::Draft,
            ProvinceReportState::Submitted => proto::ProvinceReportState::Submitted,
        }
        .into(),
        // Stored bytes that do not decode are still served as signed_content, for inspection.
        content: proto::ProvinceReportContent::decode(report.content.as_slice()).ok(),
        signed_content: report.content.clone(),
        content_hash: report.content_hash.clone(),
        created_by: report.created_by.clone(),
        created_at: Some(timestamp(report.created_at)),
        updated_at: Some(timestamp(report.updated_at)),
        submitted_by: report.submitted_by.clone().unwrap_or_default(),
        submitted_at: report.submitted_at.map(timestamp),
        deadline: deadline.map(timestamp),
        timeliness: timeliness.into(),
    }
}

#[tonic::async_trait]
impl ProvinceReportService for ProvinceReportApi {
    #[instrument(skip_all, fields(province = %request.get_ref().province_code, plan = %request.get_ref().plan_code, period = %request.get_ref().period_code))]
    async fn create_province_report(
        &self,
        request: Request<CreateProvinceReportRequest>,
    ) -> Result<Response<proto::ProvinceReport>, Status> {
        let caller = caller_of(&request)?;
        let report = self.create(request.into_inner(), &caller).await?;
        Ok(Response::new(self.served(&report, &caller).await?))
    }

    #[instrument(skip_all, fields(id = request.get_ref().id))]
    async fn update_province_report_narrative(
        &self,
        request: Request<UpdateProvinceReportNarrativeRequest>,
    ) -> Result<Response<proto::ProvinceReport>, Status> {
        let caller = caller_of(&request)?;
        let report = self.update_narrative(request.into_inner(), &caller).await?;
        Ok(Response::new(self.served(&report, &caller).await?))
    }

    #[instrument(skip_all, fields(id = request.get_ref().id))]
    async fn submit_province_report(
        &self,
        request: Request<SubmitProvinceReportRequest>,
    ) -> Result<Response<proto::ProvinceReport>, Status> {
        let caller = caller_of(&request)?;
        let report = self.submit(request.into_inner(), &caller).await?;
        Ok(Response::new(self.served(&report, &caller).await?))
    }

    #[instrument(skip_all, fields(id = request.get_ref().id, province = %request.get_ref().province_code))]
    async fn get_province_report(
        &self,
        request: Request<GetProvinceReportRequest>,
    ) -> Result<Response<proto::ProvinceReport>, Status> {
        let caller = caller_of(&request)?;
        let report = self.get(request.into_inner(), &caller).await?;
        Ok(Response::new(self.served(&report, &caller).await?))
    }

    #[instrument(skip_all, fields(province = %request.get_ref().province_code, plan = %request.get_ref().plan_code, period = %request.get_ref().period_code))]
    async fn list_province_reports(
        &self,
        request: Request<ListProvinceReportsRequest>,
    ) -> Result<Response<proto::ListProvinceReportsResponse>, Status> {
        let caller = caller_of(&request)?;
        Ok(Response::new(
            self.list(request.into_inner(), &caller).await?,
        ))
    }

    #[instrument(skip_all, fields(plan = %request.get_ref().plan_code, period = %request.get_ref().period_code))]
    async fn get_province_reporting_status(
        &self,
        request: Request<GetProvinceReportingStatusRequest>,
    ) -> Result<Response<proto::ProvinceReportingStatus>, Status> {
        let caller = caller_of(&request)?;
        Ok(Response::new(
            self.reporting_status(request.into_inner(), &caller).await?,
        ))
    }
}
