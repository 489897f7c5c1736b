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
//! ```compile_fail
//! // A capability cannot be made but by its check.
//! let reader = pressdx::app::access::AgencyReader {
//!     agency_code: "bao-nam-dinh".into(),
//!     period_code: "2025".into(),
//! };
//! ```

use super::authentication::Caller;
use crate::domain::Catalog;
use crate::domain::access::{Principal, Reach, Role};
use crate::domain::period::Period;
use crate::domain::scope::{Boundaries, Scope};
use crate::domain::summary::ReportsRead;

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

// ── Agency plans: writing and deciding ──────────────────────────────────────────────────────

// ── Tasks: reporting on a line and following up ─────────────────────────────────────────────

// ── Province reports: drafting, signing, reading ────────────────────────────────────────────

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
