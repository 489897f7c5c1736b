//! Who may do what: every rule of access, each as the one way to make the capability that the
//! application's functions take. A capability is a value with private fields, made here only
//! after its rule held, so a face (or a workflow) that skips a check does not compile: the
//! function it wanted to call needs the value the check makes (lldap's
//! `get_readable_handler(..) -> Option<..>` is the model). Each check answers `None` when the
//! rule refuses; the caller says why in its own words, since it knows what was asked.
//!
//! The facts the rules read (which agencies a principal reaches in a period, as the organisation
//! tree stands) are the domain's: [`Principal::reach`]. The roles a method is open to at all are
//! checked before, at authentication (`app::authentication`).
//!
//! ```compile_fail,E0451
//! // A capability cannot be made but by its check: its fields are private (E0451).
//! let reader = pressdx::app::access::AgencyReader {
//!     agency_code: "bao-nam-dinh".into(),
//!     period_code: "2025".into(),
//! };
//! ```

use chrono::NaiveDate;

use super::authentication::Caller;
use crate::domain::Catalog;
use crate::domain::access::{Principal, Reach, Role};
use crate::domain::period::Period;
use crate::domain::plan::Plan;
use crate::domain::scope::{Boundaries, Coverage, Scope};
use crate::domain::summary::ReportsRead;
use crate::domain::task::Task;
use crate::domain::task_follow_up::line_led_by;

// ── Reading reports and figures ──────────────────────────────────────────────────────────────

/// May read the reports (and the other records) of one agency for one period: the agency itself
/// and those it absorbed, a province or governing body reaching it, the Ministry.
#[derive(Debug, Clone)]
pub struct AgencyReader {
    agency_code: String,
    period_code: String,
}

impl AgencyReader {
    pub fn agency_code(&self) -> &str {
        &self.agency_code
    }

    pub fn period_code(&self) -> &str {
        &self.period_code
    }
}

/// Whether `caller` may read the reports of `agency_code` for `period`.
pub fn read_agency(
    caller: &Caller,
    catalog: &Catalog,
    agency_code: &str,
    period: &Period,
) -> Option<AgencyReader> {
    reaches(caller.principal(), catalog, agency_code, period).then(|| AgencyReader {
        agency_code: agency_code.to_string(),
        period_code: period.code.clone(),
    })
}

/// Whether `principal` reaches `agency_code` in `period`.
fn reaches(principal: &Principal, catalog: &Catalog, agency_code: &str, period: &Period) -> bool {
    principal.reach(catalog, period).contains(agency_code)
}

/// May read who reported in one scope for one period, read within some boundaries: every agency
/// the scope covers is within the caller's reach. The whole country and the agency-type blocks
/// span every province, so only a principal that reaches everything may read them. (Figures are
/// checked against every report behind them instead: [`see_reports`].)
#[derive(Debug, Clone)]
pub struct ScopeReader {
    scope: Scope,
    boundaries: Boundaries,
    period_code: String,
}

impl ScopeReader {
    pub fn scope(&self) -> &Scope {
        &self.scope
    }

    pub fn boundaries(&self) -> Boundaries {
        self.boundaries
    }

    pub fn period_code(&self) -> &str {
        &self.period_code
    }
}

/// Whether `caller` may read who reported in `scope` for `period`, within `boundaries`.
pub fn read_scope(
    caller: &Caller,
    catalog: &Catalog,
    scope: &Scope,
    boundaries: Boundaries,
    period: &Period,
) -> Option<ScopeReader> {
    let reach = caller.principal().reach(catalog, period);
    let allowed = match scope {
        Scope::Country | Scope::AgencyType(_) => reach == Reach::Everything,
        _ => scope
            .in_period(catalog, boundaries, period)
            .agencies
            .iter()
            .all(|(agency, _)| reach.contains(&agency.code)),
    };
    allowed.then(|| ScopeReader {
        scope: scope.clone(),
        boundaries,
        period_code: period.code.clone(),
    })
}

/// May be shown what was computed from a set of reports (a share, a trend, a growth against a
/// baseline): it can reveal any report behind it, so the caller reaches every one.
#[derive(Debug, Clone, Copy)]
pub struct ReportsSeen {
    _made_by_see_reports: (),
}

/// Whether `caller` reaches every report in `reads`.
pub fn see_reports(caller: &Caller, catalog: &Catalog, reads: &ReportsRead) -> Option<ReportsSeen> {
    let principal = caller.principal();
    let allowed = principal.role == Role::Ministry
        || reads.by_period().all(|(period_code, agencies)| {
            let Some(period) = catalog.period(period_code) else {
                return false;
            };
            let reach = principal.reach(catalog, period);
            agencies.iter().all(|agency| reach.contains(agency))
        });
    allowed.then_some(ReportsSeen {
        _made_by_see_reports: (),
    })
}

// ── Sending reports and self-assessments ────────────────────────────────────────────────────

/// In what capacity a report is sent: by the agency itself, or by a province or the Ministry on
/// its behalf (who may also assert when the report was originally received).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Capacity {
    TheAgency,
    OnBehalf,
}

/// May send the reports (or the self-assessment) of one agency for one period.
#[derive(Debug, Clone)]
pub struct ReportSender {
    agency_code: String,
    period_code: String,
    capacity: Capacity,
}

impl ReportSender {
    pub fn agency_code(&self) -> &str {
        &self.agency_code
    }

    pub fn period_code(&self) -> &str {
        &self.period_code
    }

    pub fn capacity(&self) -> Capacity {
        self.capacity
    }
}

/// Whether, and how, `caller` may send reports for `agency_code` in `period`: an agency its own;
/// a province those of the agencies it reaches in the period (the department typing in a paper
/// report); the Ministry anyone's, but only over an import of history (`importing`).
pub fn send_reports(
    caller: &Caller,
    catalog: &Catalog,
    agency_code: &str,
    period: &Period,
    importing: bool,
) -> Option<ReportSender> {
    let principal = caller.principal();
    let own = principal.organization.as_deref() == Some(agency_code);
    let capacity = match principal.role {
        Role::Agency if own => Capacity::TheAgency,
        Role::Province if reaches(principal, catalog, agency_code, period) => Capacity::OnBehalf,
        Role::Ministry if importing => Capacity::OnBehalf,
        _ => return None,
    };
    Some(ReportSender {
        agency_code: agency_code.to_string(),
        period_code: period.code.clone(),
        capacity,
    })
}

/// May list the submissions of some agencies in some periods: those the caller reaches in each
/// period, or every one.
#[derive(Debug, Clone)]
pub struct SubmissionLister {
    /// The (period, agencies) listed, agencies sorted; `None`: every report.
    visible: Option<Vec<(String, Vec<String>)>>,
}

impl SubmissionLister {
    /// The (period, agencies) whose reports may be listed; `None` for a principal that reaches
    /// everything.
    pub fn visible(&self) -> Option<&[(String, Vec<String>)]> {
        self.visible.as_deref()
    }

    /// Whether every report may be listed.
    pub fn lists_everything(&self) -> bool {
        self.visible.is_none()
    }

    /// Whether some report of `agency_code` may be listed, in some period.
    pub fn lists_agency(&self, agency_code: &str) -> bool {
        self.visible.as_ref().is_none_or(|visible| {
            visible
                .iter()
                .any(|(_, agencies)| agencies.iter().any(|code| code == agency_code))
        })
    }
}

/// Which submissions `caller` may list: in each period of the catalogue, those of the agencies
/// it reaches then; `None` when it reaches no agency in any period.
pub fn list_submissions(caller: &Caller, catalog: &Catalog) -> Option<SubmissionLister> {
    let mut visible = Vec::new();
    for period in &catalog.periods {
        match caller.principal().reach(catalog, period) {
            Reach::Everything => return Some(SubmissionLister { visible: None }),
            Reach::Agencies(agencies) if agencies.is_empty() => {}
            Reach::Agencies(agencies) => {
                let mut agencies: Vec<String> = agencies.into_iter().collect();
                agencies.sort();
                visible.push((period.code.clone(), agencies));
            }
        }
    }
    (!visible.is_empty()).then_some(SubmissionLister {
        visible: Some(visible),
    })
}

// ── Reviews and reopenings ──────────────────────────────────────────────────────────────────

/// May review the reports of one agency for one period, and reopen the period for it once
/// closed: the province that reaches the agency in that period (only provinces review, as
/// authentication checks).
#[derive(Debug, Clone)]
pub struct Reviewer {
    agency_code: String,
    period_code: String,
}

impl Reviewer {
    pub fn agency_code(&self) -> &str {
        &self.agency_code
    }

    pub fn period_code(&self) -> &str {
        &self.period_code
    }
}

/// Whether `caller` may review the reports of `agency_code` for `period`: it reaches the agency
/// in that period.
pub fn review_agency(
    caller: &Caller,
    catalog: &Catalog,
    agency_code: &str,
    period: &Period,
) -> Option<Reviewer> {
    reaches(caller.principal(), catalog, agency_code, period).then(|| Reviewer {
        agency_code: agency_code.to_string(),
        period_code: period.code.clone(),
    })
}

// ── Maturity: appraisals and results ────────────────────────────────────────────────────────

/// May appraise the self-assessments of one agency for one period: a province those of the
/// agencies it reaches, the Ministry anyone's (the roles AppraiseSelfAssessment is open to are
/// checked at authentication).
#[derive(Debug, Clone)]
pub struct Appraiser {
    appraised_by: String,
}

impl Appraiser {
    /// Who appraises, as the appraisal records it.
    pub fn appraised_by(&self) -> &str {
        &self.appraised_by
    }
}

/// Whether `caller` may appraise the self-assessment of `agency_code` for `period_code`; never
/// for a period the catalogue no longer has.
pub fn appraise_self_assessment(
    caller: &Caller,
    catalog: &Catalog,
    agency_code: &str,
    period_code: &str,
) -> Option<Appraiser> {
    let principal = caller.principal();
    let period = catalog.period(period_code)?;
    reaches(principal, catalog, agency_code, period).then(|| Appraiser {
        appraised_by: principal.to_string(),
    })
}

/// May read the maturity results of one scope for one period, over what the scope covers then.
#[derive(Debug, Clone, Copy)]
pub struct MaturityResultsReader {
    _made_by_read_maturity_results: (),
}

/// Whether `caller` may read the results of `scope` in `period`, covering `coverage`: it reaches
/// every agency covered; "country" and the agency-type blocks only a caller that reaches
/// everything.
pub fn read_maturity_results(
    caller: &Caller,
    catalog: &Catalog,
    scope: &Scope,
    coverage: &Coverage<'_>,
    period: &Period,
) -> Option<MaturityResultsReader> {
    let reach = caller.principal().reach(catalog, period);
    let allowed = match scope {
        Scope::Country | Scope::AgencyType(_) => reach == Reach::Everything,
        _ => coverage
            .agencies
            .iter()
            .all(|(agency, _)| reach.contains(&agency.code)),
    };
    allowed.then_some(MaturityResultsReader {
        _made_by_read_maturity_results: (),
    })
}

// ── Agency plans: writing and deciding ──────────────────────────────────────────────────────

/// May submit revisions of one agency's own plan.
#[derive(Debug, Clone)]
pub struct PlanWriter {
    agency_code: String,
}

impl PlanWriter {
    pub fn agency_code(&self) -> &str {
        &self.agency_code
    }
}

/// Whether `caller` may write the plan of `agency_code` on `today`: an agency writes its own, or
/// its province (reaching it today) enters it.
pub fn write_agency_plan(
    caller: &Caller,
    catalog: &Catalog,
    agency_code: &str,
    today: NaiveDate,
) -> Option<PlanWriter> {
    let principal = caller.principal();
    let allowed = match principal.role {
        Role::Agency => principal.organization.as_deref() == Some(agency_code),
        Role::Province => principal.reach_on(catalog, today).contains(agency_code),
        Role::GoverningBody | Role::Ministry | Role::Admin => false,
    };
    allowed.then(|| PlanWriter {
        agency_code: agency_code.to_string(),
    })
}

/// May approve or return one revision of an agency's plan.
#[derive(Debug, Clone)]
pub struct PlanDecider {
    agency_plan_id: i64,
}

impl PlanDecider {
    pub fn agency_plan_id(&self) -> i64 {
        self.agency_plan_id
    }
}

/// Whether `caller` may decide on revision `agency_plan_id`, a plan of `agency_code`: the
/// agency's governing body on `today`.
pub fn decide_agency_plan(
    caller: &Caller,
    catalog: &Catalog,
    agency_plan_id: i64,
    agency_code: &str,
    today: NaiveDate,
) -> Option<PlanDecider> {
    let principal = caller.principal();
    let governs = principal.role == Role::GoverningBody
        && catalog
            .organization(agency_code)
            .and_then(|agency| agency.version_on(today))
            .and_then(|version| version.governing_body_code.as_deref())
            .is_some_and(|code| principal.organization.as_deref() == Some(code));
    governs.then_some(PlanDecider { agency_plan_id })
}

/// May read the plans of one agency, with their decisions.
#[derive(Debug, Clone)]
pub struct PlanReader {
    agency_code: String,
}

impl PlanReader {
    pub fn agency_code(&self) -> &str {
        &self.agency_code
    }
}

/// Whether `caller` may read the plans of `agency_code`: it reaches the agency `today`, or on
/// the day the revision asked for was received (`received_on`), so that a merged agency's
/// province still reads the plans it approved.
pub fn read_agency_plan(
    caller: &Caller,
    catalog: &Catalog,
    agency_code: &str,
    today: NaiveDate,
    received_on: Option<NaiveDate>,
) -> Option<PlanReader> {
    let principal = caller.principal();
    let reaches_on = |day: NaiveDate| principal.reach_on(catalog, day).contains(agency_code);
    let allowed = reaches_on(today) || received_on.is_some_and(reaches_on);
    allowed.then(|| PlanReader {
        agency_code: agency_code.to_string(),
    })
}

/// May list where the plans of a governing body's agencies stand on one day.
#[derive(Debug, Clone)]
pub struct AgencyPlanLister {
    governing_body_code: String,
    as_of: NaiveDate,
}

impl AgencyPlanLister {
    pub fn governing_body_code(&self) -> &str {
        &self.governing_body_code
    }

    pub fn as_of(&self) -> NaiveDate {
        self.as_of
    }
}

/// The agency a caller does not reach, which a refused listing names.
#[derive(Debug, Clone)]
pub struct OutsideReach {
    pub agency_code: String,
}

/// The governing body `caller` is, when it is one: the agencies it lists when it names none.
pub fn own_governing_body(caller: &Caller) -> Option<&str> {
    let principal = caller.principal();
    (principal.role == Role::GoverningBody)
        .then_some(principal.organization.as_deref())
        .flatten()
}

/// Whether `caller` may list the plans of the agencies of `governing_body_code` on `as_of`: it
/// reaches every one of them then. A refusal names the first it does not reach.
pub fn list_agency_plans(
    caller: &Caller,
    catalog: &Catalog,
    governing_body_code: &str,
    as_of: NaiveDate,
) -> Result<AgencyPlanLister, OutsideReach> {
    let reach = caller.principal().reach_on(catalog, as_of);
    let agencies = Scope::GoverningBody(governing_body_code.to_string()).lineage_on(catalog, as_of);
    if let Some((outside, _)) = agencies
        .iter()
        .find(|(agency, _)| !reach.contains(&agency.code))
    {
        return Err(OutsideReach {
            agency_code: outside.code.clone(),
        });
    }
    Ok(AgencyPlanLister {
        governing_body_code: governing_body_code.to_string(),
        as_of,
    })
}

// ── Tasks: reporting on a line and following up ─────────────────────────────────────────────

/// May report progress on one line of a task: the line's lead, whose organisation is the line's
/// reporter (see ReportTaskProgress in task.proto; the domain says who leads,
/// [`line_led_by`]).
#[derive(Debug, Clone)]
pub struct LineReporter {
    reporter_code: String,
}

impl LineReporter {
    pub fn reporter_code(&self) -> &str {
        &self.reporter_code
    }
}

/// Whether `caller` leads a line of `task` of `plan` in `period`, and which.
pub fn report_on_line(
    caller: &Caller,
    catalog: &Catalog,
    plan: &Plan,
    task: &Task,
    period: &Period,
) -> Option<LineReporter> {
    line_led_by(caller.principal(), catalog, plan, task, period).map(|reporter_code| LineReporter {
        reporter_code: reporter_code.to_string(),
    })
}

/// May read the progress reports of one reporter for one period.
#[derive(Debug, Clone)]
pub struct LineReader {
    reporter_code: String,
    period_code: String,
}

impl LineReader {
    pub fn reporter_code(&self) -> &str {
        &self.reporter_code
    }

    pub fn period_code(&self) -> &str {
        &self.period_code
    }
}

/// Whether `caller` may read the reports of `reporter_code` in `period`: the reporter itself,
/// the province it belongs to on the period's reference date (or that is it), the Ministry.
pub fn read_line(
    caller: &Caller,
    catalog: &Catalog,
    reporter_code: &str,
    period: &Period,
) -> Option<LineReader> {
    let principal = caller.principal();
    let own = principal.organization.as_deref();
    let allowed = match principal.role {
        Role::Ministry => true,
        Role::Province => {
            own == Some(reporter_code)
                || catalog
                    .organization(reporter_code)
                    .and_then(|org| org.version_on(period.reference_date()))
                    .is_some_and(|version| version.province_code.as_deref() == own)
        }
        Role::Agency | Role::GoverningBody => own == Some(reporter_code),
        Role::Admin => false,
    };
    allowed.then(|| LineReader {
        reporter_code: reporter_code.to_string(),
        period_code: period.code.clone(),
    })
}

/// May read the follow-up of a plan's tasks in one province: the province itself, the Ministry.
#[derive(Debug, Clone)]
pub struct FollowUpReader {
    province_code: String,
}

impl FollowUpReader {
    pub fn province_code(&self) -> &str {
        &self.province_code
    }
}

/// The province `caller` is, when it is one: the follow-up it reads when it names none.
pub fn own_province(caller: &Caller) -> Option<&str> {
    let principal = caller.principal();
    (principal.role == Role::Province)
        .then_some(principal.organization.as_deref())
        .flatten()
}

/// Whether `caller` may read the follow-up of `province_code`.
pub fn read_follow_up(caller: &Caller, province_code: &str) -> Option<FollowUpReader> {
    let allowed =
        caller.principal().role == Role::Ministry || own_province(caller) == Some(province_code);
    allowed.then(|| FollowUpReader {
        province_code: province_code.to_string(),
    })
}

// ── Province reports: drafting, signing, reading ────────────────────────────────────────────

/// The province whose reports `caller` writes: its own, if it is a province.
pub fn province_written_by(caller: &Caller) -> Option<&str> {
    let principal = caller.principal();
    match principal.role {
        Role::Province => principal.organization.as_deref(),
        _ => None,
    }
}

/// May draft, write and sign the reports of one province: the province itself.
#[derive(Debug, Clone)]
pub struct ProvinceReportWriter {
    written_by: String,
}

impl ProvinceReportWriter {
    /// Who writes, as the report records it.
    pub fn written_by(&self) -> &str {
        &self.written_by
    }
}

/// Whether `caller` writes the reports of `province_code`.
pub fn write_province_report(caller: &Caller, province_code: &str) -> Option<ProvinceReportWriter> {
    (province_written_by(caller) == Some(province_code)).then(|| ProvinceReportWriter {
        written_by: caller.principal().to_string(),
    })
}

/// May read province reports: a province its own, drafts included; the Ministry every
/// province's submitted versions.
#[derive(Debug, Clone)]
pub struct ProvinceReportReader {
    /// The province read for; `None` for the Ministry.
    own_province: Option<String>,
}

impl ProvinceReportReader {
    /// The province whose reports alone are read; `None` when every province's are.
    pub fn own_province(&self) -> Option<&str> {
        self.own_province.as_deref()
    }

    /// Whether only submitted versions are read.
    pub fn submitted_only(&self) -> bool {
        self.own_province.is_none()
    }

    /// Whether the reports of `province_code` are read at all.
    pub fn reaches_province(&self, province_code: &str) -> bool {
        self.own_province
            .as_deref()
            .is_none_or(|own| own == province_code)
    }

    /// Whether a report of `province_code`, `submitted` or not, is read.
    pub fn reads(&self, province_code: &str, submitted: bool) -> bool {
        match &self.own_province {
            Some(own) => own == province_code,
            None => submitted,
        }
    }
}

/// Whether `caller` reads province reports.
pub fn read_province_reports(caller: &Caller) -> Option<ProvinceReportReader> {
    let principal = caller.principal();
    match (principal.role, principal.organization.as_deref()) {
        (Role::Province, Some(province)) => Some(ProvinceReportReader {
            own_province: Some(province.to_string()),
        }),
        (Role::Ministry, _) => Some(ProvinceReportReader { own_province: None }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog_file::{self, DEFAULT_CATALOG};

    fn caller(role: Role, organization: Option<&str>) -> Caller {
        Caller::for_tests(Principal {
            credential_id: 1,
            role,
            organization: organization.map(str::to_string),
        })
    }

    #[test]
    fn a_line_is_read_by_its_reporter_its_province_and_the_ministry() {
        let catalog = catalog_file::parse(DEFAULT_CATALOG).unwrap();
        let p2024 = catalog.period("2024").unwrap();
        let reads = |caller: &Caller, reporter: &str| {
            read_line(caller, &catalog, reporter, p2024).is_some()
        };
        let agency = caller(Role::Agency, Some("bao-nam-dinh"));
        assert!(reads(&agency, "bao-nam-dinh"));
        assert!(!reads(&agency, "bao-ha-nam"));
        let province = caller(Role::Province, Some("nam-dinh"));
        assert!(reads(&province, "bao-nam-dinh"));
        assert!(reads(&province, "nam-dinh"));
        assert!(!reads(&province, "bao-ha-nam"));
        assert!(reads(&caller(Role::Ministry, None), "bao-ha-nam"));
        assert!(!reads(&caller(Role::Admin, None), "bao-nam-dinh"));
    }

    #[test]
    fn a_province_follows_its_own_and_the_ministry_any() {
        let province = caller(Role::Province, Some("nam-dinh"));
        assert_eq!(own_province(&province), Some("nam-dinh"));
        assert!(read_follow_up(&province, "nam-dinh").is_some());
        assert!(read_follow_up(&province, "ha-nam").is_none());
        let ministry = caller(Role::Ministry, None);
        assert_eq!(own_province(&ministry), None);
        assert!(read_follow_up(&ministry, "ha-nam").is_some());
        let agency = caller(Role::Agency, Some("bao-nam-dinh"));
        assert!(read_follow_up(&agency, "nam-dinh").is_none());
    }

    #[test]
    fn an_agency_writes_its_own_plan_and_its_province_enters_it() {
        let catalog = catalog_file::parse(DEFAULT_CATALOG).unwrap();
        let day = NaiveDate::from_ymd_opt(2024, 6, 1).unwrap();
        let writes = |caller: &Caller, agency: &str| {
            write_agency_plan(caller, &catalog, agency, day).is_some()
        };
        let agency = caller(Role::Agency, Some("bao-nam-dinh"));
        assert!(writes(&agency, "bao-nam-dinh"));
        assert!(!writes(&agency, "bao-ha-nam"));
        let province = caller(Role::Province, Some("nam-dinh"));
        assert!(writes(&province, "bao-nam-dinh"));
        assert!(!writes(&province, "bao-ha-nam"));
        assert!(!writes(&caller(Role::Ministry, None), "bao-nam-dinh"));
        // Only a governing body decides, and the Ministry reads every plan.
        assert!(
            decide_agency_plan(
                &caller(Role::Ministry, None),
                &catalog,
                1,
                "bao-nam-dinh",
                day
            )
            .is_none()
        );
        assert!(
            read_agency_plan(
                &caller(Role::Ministry, None),
                &catalog,
                "bao-ha-nam",
                day,
                None
            )
            .is_some()
        );
        assert!(read_agency_plan(&agency, &catalog, "bao-ha-nam", day, None).is_none());
    }

    #[test]
    fn a_province_reaches_its_agencies_as_the_tree_stood_in_each_period() {
        let catalog = catalog_file::parse(DEFAULT_CATALOG).unwrap();
        let (p2024, p2025) = (
            catalog.period("2024").unwrap(),
            catalog.period("2025").unwrap(),
        );
        let reads = |caller: &Caller, agency: &str, period: &Period| {
            read_agency(caller, &catalog, agency, period).is_some()
        };
        let reads_scope = |caller: &Caller, scope: &Scope, period: &Period| {
            read_scope(caller, &catalog, scope, Boundaries::Historical, period).is_some()
        };
        let old_province = caller(Role::Province, Some("nam-dinh"));
        assert!(reads(&old_province, "bao-nam-dinh", p2024));
        assert!(!reads(&old_province, "bao-ha-nam", p2024));
        // Nam Định province ended on 1 July 2025: it reads nothing of 2025.
        assert!(!reads(&old_province, "bao-ptth-ninh-binh-2025", p2025));
        // The merged province reads its own agencies, and stands for its predecessors in 2024.
        let merged = caller(Role::Province, Some("ninh-binh-2025"));
        assert!(reads(&merged, "bao-ptth-ninh-binh-2025", p2025));
        assert!(reads(&merged, "bao-nam-dinh", p2024));
        assert!(reads_scope(
            &merged,
            &Scope::Province("nam-dinh".into()),
            p2024
        ));
        assert!(!reads_scope(&merged, &Scope::Country, p2025));
        let ha_nam = Scope::Province("ha-nam".into());
        assert!(!reads_scope(&old_province, &ha_nam, p2024));
    }

    #[test]
    fn an_agency_submits_its_own_only_and_the_ministry_reads_everything() {
        let catalog = catalog_file::parse(DEFAULT_CATALOG).unwrap();
        let p2024 = catalog.period("2024").unwrap();
        let submits = |caller: &Caller, code: &str, importing: bool| {
            send_reports(caller, &catalog, code, p2024, importing).map(|sender| sender.capacity())
        };
        let reads_scope = |caller: &Caller, scope: &Scope| {
            read_scope(caller, &catalog, scope, Boundaries::Historical, p2024).is_some()
        };
        let agency = caller(Role::Agency, Some("bao-nam-dinh"));
        assert_eq!(
            submits(&agency, "bao-nam-dinh", false),
            Some(Capacity::TheAgency)
        );
        assert_eq!(submits(&agency, "bao-ha-nam", true), None);
        assert!(reads_scope(&agency, &Scope::Agency("bao-nam-dinh".into())));
        assert!(!reads_scope(&agency, &Scope::Province("ha-nam".into())));
        assert!(!reads_scope(&agency, &Scope::Country));
        // Báo Nam Định absorbed the Nam Định radio-TV station in 2025: the station's history is
        // its own, but it still submits only for itself.
        assert!(read_agency(&agency, &catalog, "ptth-nam-dinh", p2024).is_some());
        assert_eq!(submits(&agency, "ptth-nam-dinh", false), None);
        // A province enters the reports of its own agencies, the Ministry imports anyone's.
        let province = caller(Role::Province, Some("nam-dinh"));
        assert_eq!(
            submits(&province, "bao-nam-dinh", false),
            Some(Capacity::OnBehalf)
        );
        assert_eq!(submits(&province, "bao-ha-nam", false), None);
        let ministry = caller(Role::Ministry, None);
        assert_eq!(submits(&ministry, "bao-nam-dinh", false), None);
        assert_eq!(
            submits(&ministry, "bao-nam-dinh", true),
            Some(Capacity::OnBehalf)
        );
        let body = caller(Role::GoverningBody, Some("tinh-uy-nam-dinh"));
        assert_eq!(submits(&body, "bao-nam-dinh", true), None);
        assert!(reads_scope(&ministry, &Scope::Country));
        let admin = caller(Role::Admin, None);
        assert!(read_agency(&admin, &catalog, "bao-nam-dinh", p2024).is_none());
    }
}
