//! The catalogue as a whole: the periods, indicators, organisations, plans, plausibility rules and
//! maturity frameworks that every rule reads. It is read from a file (src/catalog_file/).

use super::indicator::Indicator;
use super::maturity::Framework;
use super::organization::{Organization, OrganizationLink};
use super::period::Period;
use super::plan::Plan;
use super::plausibility::PlausibilityRule;

/// Everything the catalogue holds, checked: every reference resolves and every range is sound.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Catalog {
    pub periods: Vec<Period>,
    pub indicators: Vec<Indicator>,
    pub organizations: Vec<Organization>,
    pub links: Vec<OrganizationLink>,
    pub plans: Vec<Plan>,
    /// Organisations taken out of the catalogue, by code.
    pub withdrawn: Vec<Withdrawal>,
    /// The plausibility rules, in the file's order: warnings at submit, never a refusal.
    pub plausibility: Vec<PlausibilityRule>,
    /// The versions of the maturity index, in the file's order (src/domain/maturity.rs).
    pub maturity_frameworks: Vec<Framework>,
}

/// An organisation taken out of the catalogue because it should never have been in it: an
/// illustrative stand-in that a real catalogue replaces. Unlike one that ended (`valid_until`),
/// it no longer exists at any date, so it counts in no figure; its entry is kept apart, with why,
/// and an organisation with stored reports cannot be withdrawn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Withdrawal {
    pub code: String,
    /// Why it was withdrawn.
    pub note: String,
}

impl Catalog {
    pub fn period(&self, code: &str) -> Option<&Period> {
        self.periods.iter().find(|period| period.code == code)
    }

    /// Organisations are kept sorted by code, so this is a binary search.
    pub fn organization(&self, code: &str) -> Option<&Organization> {
        self.organizations
            .binary_search_by(|org| org.code.as_str().cmp(code))
            .ok()
            .map(|index| &self.organizations[index])
    }

    /// The links by which `code` continues other organisations. Links are kept sorted, successor
    /// first, so this is a binary search.
    pub fn links_to(&self, code: &str) -> &[OrganizationLink] {
        let start = self
            .links
            .partition_point(|link| link.successor_code.as_str() < code);
        let end = start
            + self.links[start..]
                .iter()
                .take_while(|link| link.successor_code == code)
                .count();
        &self.links[start..end]
    }
}
