//! Scopes a summary is asked for (the whole country, a province, a governing body, an agency type,
//! one agency), resolved as the organisation tree stood on a date.

use std::collections::HashSet;
use std::fmt;

use chrono::NaiveDate;

use super::catalog::Catalog;
use super::organization::{AgencyType, Organization, OrganizationKind, OrganizationVersion};

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Scope {
    Country,
    Province(String),
    GoverningBody(String),
    AgencyType(AgencyType),
    Agency(String),
}

impl Scope {
    /// Reads "country", "province:CODE", "governing_body:CODE", "agency_type:TYPE" or
    /// "agency:CODE".
    pub fn parse(text: &str) -> Result<Scope, String> {
        let text = text.trim();
        if text.is_empty() || text == "country" {
            return Ok(Scope::Country);
        }
        let (kind, code) = text
            .split_once(':')
            .ok_or_else(|| format!("{text:?} is not a scope such as country or province:CODE"))?;
        let code = code.trim();
        if code.is_empty() {
            return Err(format!("{text:?} names no {kind}"));
        }
        match kind.trim() {
            "province" => Ok(Scope::Province(code.into())),
            "governing_body" => Ok(Scope::GoverningBody(code.into())),
            "agency" => Ok(Scope::Agency(code.into())),
            "agency_type" => AgencyType::parse(code)
                .map(Scope::AgencyType)
                .ok_or_else(|| format!("{code:?} is not an agency type")),
            other => Err(format!(
                "{other:?} is not a scope kind: country, province, governing_body, agency_type or agency"
            )),
        }
    }

    /// Whether the scope names organisations that the catalogue has, of the right kind.
    pub fn check(&self, catalog: &Catalog) -> Result<(), String> {
        let (code, kind) = match self {
            Scope::Country | Scope::AgencyType(_) => return Ok(()),
            Scope::Province(code) => (code, OrganizationKind::Province),
            Scope::GoverningBody(code) => (code, OrganizationKind::GoverningBody),
            Scope::Agency(code) => (code, OrganizationKind::PressAgency),
        };
        match catalog.organization(code) {
            Some(organization) if organization.kind == kind => Ok(()),
            Some(organization) => Err(format!("{code:?} is a {}, not a {kind}", organization.kind)),
            None => Err(format!("no organisation {code:?}")),
        }
    }

    /// The press agencies in scope on `date`, each with its attributes that day, in the catalogue's
    /// order (by code).
    ///
    /// A province, governing body or agency that no longer (or not yet) exists on `date` stands for
    /// the organisations it continues: last year's figure for today's merged province is the sum of
    /// the provinces it was made of.
    pub fn agencies_on<'a>(
        &self,
        catalog: &'a Catalog,
        date: NaiveDate,
    ) -> Vec<(&'a Organization, &'a OrganizationVersion)> {
        let codes = match self {
            Scope::Province(code) | Scope::GoverningBody(code) | Scope::Agency(code) => {
                standing_for(catalog, code, date)
            }
            Scope::Country | Scope::AgencyType(_) => HashSet::new(),
        };
        catalog
            .organizations
            .iter()
            .filter(|organization| organization.kind == OrganizationKind::PressAgency)
            .filter_map(|organization| Some((organization, organization.version_on(date)?)))
            .filter(|(organization, version)| match self {
                Scope::Country => true,
                Scope::Province(_) => version
                    .province_code
                    .as_ref()
                    .is_some_and(|code| codes.contains(code)),
                Scope::GoverningBody(_) => version
                    .governing_body_code
                    .as_ref()
                    .is_some_and(|code| codes.contains(code)),
                Scope::AgencyType(agency_type) => version.agency_type == Some(*agency_type),
                Scope::Agency(_) => codes.contains(&organization.code),
            })
            .collect()
    }
}

/// The organisations that `code` stands for on `date`: itself if it exists then, and, through the
/// predecessor links that take effect after `date`, the organisations it goes on to continue. So a
/// figure for an earlier year is summed over what the organisation is made of today: Báo Nam
/// Định's 2024 includes the radio-TV station it absorbed in 2025.
pub fn standing_for(catalog: &Catalog, code: &str, date: NaiveDate) -> HashSet<String> {
    let mut found = HashSet::new();
    let mut to_visit = vec![code.to_string()];
    let mut visited = HashSet::new();
    while let Some(current) = to_visit.pop() {
        if !visited.insert(current.clone()) {
            continue;
        }
        if catalog
            .organization(&current)
            .is_some_and(|organization| organization.exists_on(date))
        {
            found.insert(current.clone());
        }
        to_visit.extend(
            catalog
                .links_to(&current)
                .iter()
                .filter(|link| link.effective_on > date)
                .map(|link| link.predecessor_code.clone()),
        );
    }
    found
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scope::Country => f.write_str("country"),
            Scope::Province(code) => write!(f, "province:{code}"),
            Scope::GoverningBody(code) => write!(f, "governing_body:{code}"),
            Scope::AgencyType(agency_type) => write!(f, "agency_type:{agency_type}"),
            Scope::Agency(code) => write!(f, "agency:{code}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::catalog::DEFAULT_CATALOG;

    fn date(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    fn codes(scope: &Scope, catalog: &Catalog, on: &str) -> Vec<String> {
        scope
            .agencies_on(catalog, date(on))
            .into_iter()
            .map(|(organization, _)| organization.code.clone())
            .collect()
    }

    #[test]
    fn scopes_parse_and_print_back() {
        for text in [
            "country",
            "province:nam-dinh",
            "governing_body:x",
            "agency_type:radio_tv",
            "agency:a",
        ] {
            assert_eq!(Scope::parse(text).unwrap().to_string(), text);
        }
        assert!(Scope::parse("province:").is_err());
        assert!(Scope::parse("region:x").is_err());
        assert!(Scope::parse("agency_type:tv").is_err());
    }

    #[test]
    fn a_merged_province_stands_for_its_predecessors_before_the_merger() {
        let catalog = Catalog::from_toml(DEFAULT_CATALOG).unwrap();
        let new_province = Scope::Province("ninh-binh-2025".into());
        assert_eq!(
            codes(&new_province, &catalog, "2025-12-14"),
            ["bao-ptth-ninh-binh-2025"]
        );
        assert_eq!(
            codes(&new_province, &catalog, "2024-12-14"),
            [
                "bao-ha-nam",
                "bao-nam-dinh",
                "bao-ninh-binh",
                "ptth-ha-nam",
                "ptth-nam-dinh",
                "ptth-ninh-binh"
            ]
        );
        let old_province = Scope::Province("nam-dinh".into());
        assert_eq!(
            codes(&old_province, &catalog, "2024-12-14"),
            ["bao-nam-dinh", "ptth-nam-dinh"]
        );
        assert_eq!(
            codes(&old_province, &catalog, "2025-12-14"),
            Vec::<String>::new()
        );
    }
}
