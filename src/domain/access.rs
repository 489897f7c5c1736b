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
use super::scope::Scope;

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
