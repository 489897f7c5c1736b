//! Who may see and do what: the roles a credential acts in, and the agencies each principal can
//! reach in a period, as the organisation tree stands in that period.
//!
//! An agency reaches its own reports, and those of the agencies merged into it. A province or
//! governing body reaches the agencies in it on the period's reference date, and those of the
//! organisations it goes on to continue ([`Scope::lineage_on`]), so a merged province reads its
//! predecessors' history and a dissolved one reads nothing after its end. The Ministry reaches
//! every agency. An admin credential reaches no report: it reads the catalogue,
//! while the catalogue and the credentials are managed with the CLI on the database directly.
//!
//! A figure is shown only to a principal that reaches every report behind it (this period's, the
//! previous period's for the trend, the baselines of a growth target): a share can reveal any of
//! them.

use std::collections::HashSet;
use std::fmt;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::catalog::Catalog;
use super::organization::{OrganizationKind, vocabulary};
use super::period::Period;
use super::scope::{Boundaries, Scope};
use super::summary::ReportsRead;

vocabulary! {
    /// What a credential lets its holder do.
    Role {
        Agency = "agency",
        Province = "province",
        GoverningBody = "governing_body",
        Ministry = "ministry",
        Admin = "admin",
    }
}

impl Role {
    /// The kind of organisation a credential of this role must name, if any.
    pub fn organization_kind(self) -> Option<OrganizationKind> {
        match self {
            Role::Agency => Some(OrganizationKind::PressAgency),
            Role::Province => Some(OrganizationKind::Province),
            Role::GoverningBody => Some(OrganizationKind::GoverningBody),
            Role::Ministry | Role::Admin => None,
        }
    }
}

/// Checks that a credential's role and organisation fit together and that the organisation is in
/// the catalogue.
pub fn check_role(catalog: &Catalog, role: Role, organization: Option<&str>) -> Result<(), String> {
    match (role.organization_kind(), organization) {
        (None, None) => Ok(()),
        (None, Some(code)) => Err(format!(
            "a {role} credential acts for no organisation, but {code:?} was given"
        )),
        (Some(kind), None) => Err(format!("a {role} credential needs the {kind} it acts for")),
        (Some(kind), Some(code)) => match catalog.organization(code) {
            Some(organization) if organization.kind == kind => Ok(()),
            Some(organization) => Err(format!("{code:?} is a {}, not a {kind}", organization.kind)),
            None => Err(format!("no organisation {code:?} in the catalogue")),
        },
    }
}

/// The caller of a request, as its credential says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub credential_id: i64,
    pub role: Role,
    /// The agency, province or governing body it acts for (none for the Ministry and admins).
    pub organization: Option<String>,
}

/// Who sends a report: the agency itself, or a province or the Ministry on its behalf (who may
/// also assert when the report was originally received).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Submitter {
    TheAgency,
    OnBehalf,
}

/// The agencies a principal reaches in one period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reach {
    Everything,
    Agencies(HashSet<String>),
}

impl Reach {
    pub fn contains(&self, agency_code: &str) -> bool {
        match self {
            Reach::Everything => true,
            Reach::Agencies(codes) => codes.contains(agency_code),
        }
    }
}

impl Principal {
    /// The agencies whose reports this principal may read for `period`.
    pub fn reach(&self, catalog: &Catalog, period: &Period) -> Reach {
        self.reach_on(catalog, period.reference_date())
    }

    /// The agencies this principal reaches on a date: as in a period whose reference date it is.
    pub fn reach_on(&self, catalog: &Catalog, on: NaiveDate) -> Reach {
        let organization = self.organization.clone().unwrap_or_default();
        let scope = match self.role {
            Role::Ministry => return Reach::Everything,
            Role::Admin => return Reach::Agencies(HashSet::new()),
            // Itself, and the agencies it goes on to absorb: after a merger their history is its.
            Role::Agency => Scope::Agency(organization),
            Role::Province => Scope::Province(organization),
            Role::GoverningBody => Scope::GoverningBody(organization),
        };
        Reach::Agencies(
            scope
                .lineage_on(catalog, on)
                .into_iter()
                .map(|(agency, _)| agency.code.clone())
                .collect(),
        )
    }

    /// Whether this principal may read the reports of `agency_code` for `period`.
    pub fn may_read(&self, catalog: &Catalog, agency_code: &str, period: &Period) -> bool {
        self.reach(catalog, period).contains(agency_code)
    }

    /// Whether this principal may read who reported in `scope` for `period`, read within
    /// `boundaries`: every agency the scope covers must be within its reach. The whole country and
    /// the agency-type blocks span every province, so only a principal that reaches everything may
    /// read them. (Figures are checked against every report behind them instead:
    /// [`Principal::may_see`].)
    pub fn may_read_scope(
        &self,
        catalog: &Catalog,
        scope: &Scope,
        boundaries: Boundaries,
        period: &Period,
    ) -> bool {
        let reach = self.reach(catalog, period);
        match scope {
            Scope::Country | Scope::AgencyType(_) => reach == Reach::Everything,
            _ => scope
                .in_period(catalog, boundaries, period)
                .agencies
                .iter()
                .all(|(agency, _)| reach.contains(&agency.code)),
        }
    }

    /// Whether this principal reaches every report a figure looked up: a figure (a share, a
    /// trend, a growth against a baseline) can reveal any report behind it.
    pub fn may_see(&self, catalog: &Catalog, reads: &ReportsRead) -> bool {
        if self.role == Role::Ministry {
            return true;
        }
        reads.by_period().all(|(period_code, agencies)| {
            let Some(period) = catalog.period(period_code) else {
                return false;
            };
            let reach = self.reach(catalog, period);
            agencies.iter().all(|agency| reach.contains(agency))
        })
    }

    /// How this principal may submit reports for `agency_code` in `period`: an agency its own; a
    /// province those of the agencies it reaches in the period (the department typing in a paper
    /// report); the Ministry anyone's, but only over an import of history (`importing`). `None`
    /// when it may not.
    pub fn may_submit_for(
        &self,
        agency_code: &str,
        catalog: &Catalog,
        period: &Period,
        importing: bool,
    ) -> Option<Submitter> {
        let own = self.organization.as_deref() == Some(agency_code);
        match self.role {
            Role::Agency if own => Some(Submitter::TheAgency),
            Role::Province if self.reach(catalog, period).contains(agency_code) => {
                Some(Submitter::OnBehalf)
            }
            Role::Ministry if importing => Some(Submitter::OnBehalf),
            _ => None,
        }
    }
}

/// How the principal appears in the audit log and the server's log: "agency bao-nam-dinh
/// (credential 3)".
impl fmt::Display for Principal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.organization {
            Some(code) => write!(f, "{} {code}", self.role)?,
            None => write!(f, "{}", self.role)?,
        }
        write!(f, " (credential {})", self.credential_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog_file::{self, DEFAULT_CATALOG};

    fn principal(role: Role, organization: Option<&str>) -> Principal {
        Principal {
            credential_id: 1,
            role,
            organization: organization.map(str::to_string),
        }
    }

    #[test]
    fn a_province_reaches_its_agencies_as_the_tree_stood_in_each_period() {
        let catalog = catalog_file::parse(DEFAULT_CATALOG).unwrap();
        let (p2024, p2025) = (
            catalog.period("2024").unwrap(),
            catalog.period("2025").unwrap(),
        );
        let old_province = principal(Role::Province, Some("nam-dinh"));
        assert!(old_province.may_read(&catalog, "bao-nam-dinh", p2024));
        assert!(!old_province.may_read(&catalog, "bao-ha-nam", p2024));
        // Nam Định province ended on 1 July 2025: it reads nothing of 2025.
        assert!(!old_province.may_read(&catalog, "bao-ptth-ninh-binh-2025", p2025));
        // The merged province reads its own agencies, and stands for its predecessors in 2024.
        let merged = principal(Role::Province, Some("ninh-binh-2025"));
        assert!(merged.may_read(&catalog, "bao-ptth-ninh-binh-2025", p2025));
        assert!(merged.may_read(&catalog, "bao-nam-dinh", p2024));
        let historical = Boundaries::Historical;
        let nam_dinh = Scope::Province("nam-dinh".into());
        assert!(merged.may_read_scope(&catalog, &nam_dinh, historical, p2024));
        assert!(!merged.may_read_scope(&catalog, &Scope::Country, historical, p2025));
        let ha_nam = Scope::Province("ha-nam".into());
        assert!(!old_province.may_read_scope(&catalog, &ha_nam, historical, p2024));
    }

    #[test]
    fn an_agency_submits_its_own_only_and_the_ministry_reads_everything() {
        let catalog = catalog_file::parse(DEFAULT_CATALOG).unwrap();
        let p2024 = catalog.period("2024").unwrap();
        let agency = principal(Role::Agency, Some("bao-nam-dinh"));
        let submits = |principal: &Principal, code: &str, importing: bool| {
            principal.may_submit_for(code, &catalog, p2024, importing)
        };
        assert_eq!(
            submits(&agency, "bao-nam-dinh", false),
            Some(Submitter::TheAgency)
        );
        assert_eq!(submits(&agency, "bao-ha-nam", true), None);
        let historical = Boundaries::Historical;
        let own = Scope::Agency("bao-nam-dinh".into());
        assert!(agency.may_read_scope(&catalog, &own, historical, p2024));
        let ha_nam = Scope::Province("ha-nam".into());
        assert!(!agency.may_read_scope(&catalog, &ha_nam, historical, p2024));
        assert!(!agency.may_read_scope(&catalog, &Scope::Country, historical, p2024));
        // Báo Nam Định absorbed the Nam Định radio-TV station in 2025: the station's history is
        // its own, but it still submits only for itself.
        assert!(agency.may_read(&catalog, "ptth-nam-dinh", p2024));
        assert_eq!(submits(&agency, "ptth-nam-dinh", false), None);
        // A province enters the reports of its own agencies, the Ministry imports anyone's.
        let province = principal(Role::Province, Some("nam-dinh"));
        assert_eq!(
            submits(&province, "bao-nam-dinh", false),
            Some(Submitter::OnBehalf)
        );
        assert_eq!(submits(&province, "bao-ha-nam", false), None);
        let ministry = principal(Role::Ministry, None);
        assert_eq!(submits(&ministry, "bao-nam-dinh", false), None);
        assert_eq!(
            submits(&ministry, "bao-nam-dinh", true),
            Some(Submitter::OnBehalf)
        );
        let body = principal(Role::GoverningBody, Some("tinh-uy-nam-dinh"));
        assert_eq!(submits(&body, "bao-nam-dinh", true), None);
        assert!(ministry.may_read_scope(&catalog, &Scope::Country, historical, p2024));
        let admin = principal(Role::Admin, None);
        assert!(!admin.may_read(&catalog, "bao-nam-dinh", p2024));
    }

    #[test]
    fn a_role_names_an_organisation_of_its_kind() {
        let catalog = catalog_file::parse(DEFAULT_CATALOG).unwrap();
        assert!(check_role(&catalog, Role::Agency, Some("bao-nam-dinh")).is_ok());
        assert!(check_role(&catalog, Role::Ministry, None).is_ok());
        assert!(check_role(&catalog, Role::Agency, Some("nam-dinh")).is_err());
        assert!(check_role(&catalog, Role::Province, None).is_err());
        assert!(check_role(&catalog, Role::Ministry, Some("nam-dinh")).is_err());
        assert!(check_role(&catalog, Role::Agency, Some("no-such-agency")).is_err());
    }
}
