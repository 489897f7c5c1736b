//! Scopes a summary is asked for (the whole country, a province, a governing body, an agency type,
//! one agency), and which agencies they cover in a period: as the organisation tree stood then
//! (HISTORICAL boundaries), or as the scope's organisation stands on a later date, back-cast to
//! the organisations it continues (CURRENT). The rules are written out for integrators in
//! proto/pressdx/v1/summary.proto.

use std::collections::{BTreeSet, HashSet};
use std::fmt;

use chrono::NaiveDate;

use super::catalog::Catalog;
use super::formats::check_code;
use super::naming::echo;
use super::organization::{AgencyType, Organization, OrganizationKind, OrganizationVersion};
use super::period::Period;

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
    /// "agency:CODE", exactly as written: CODE is a code ([`check_code`]), and nothing is trimmed,
    /// as no code is anywhere else. The caller gives an empty scope its meaning (the caller's own
    /// organisation) before it gets here.
    pub fn parse(text: &str) -> Result<Scope, String> {
        if text == "country" {
            return Ok(Scope::Country);
        }
        let (kind, code) = text.split_once(':').ok_or_else(|| {
            format!(
                "{} is not a scope such as country or province:CODE",
                echo(text)
            )
        })?;
        if code.is_empty() {
            return Err(format!("{} names no {}", echo(text), echo(kind)));
        }
        if kind != "agency_type" {
            check_code(code)?;
        }
        match kind {
            "province" => Ok(Scope::Province(code.into())),
            "governing_body" => Ok(Scope::GoverningBody(code.into())),
            "agency" => Ok(Scope::Agency(code.into())),
            "agency_type" => AgencyType::parse(code)
                .map(Scope::AgencyType)
                .ok_or_else(|| format!("{} is not an agency type", echo(code))),
            other => Err(format!(
                "{} is not a scope kind: country, province, governing_body, agency_type or agency",
                echo(other)
            )),
        }
    }

    /// Whether the scope names organisations that the catalogue has, of the right kind.
    pub fn check(&self, catalog: &Catalog) -> Result<(), String> {
        let (Some(code), Some(kind)) = (self.organization_code(), self.organization_kind()) else {
            return Ok(());
        };
        match catalog.organization(code) {
            Some(organization) if organization.kind == kind => Ok(()),
            Some(organization) => Err(format!("{code:?} is a {}, not a {kind}", organization.kind)),
            None => Err(format!("no organisation {code:?}")),
        }
    }

    /// The code of the organisation the scope names, if it names one.
    pub fn organization_code(&self) -> Option<&str> {
        match self {
            Scope::Province(code) | Scope::GoverningBody(code) | Scope::Agency(code) => Some(code),
            Scope::Country | Scope::AgencyType(_) => None,
        }
    }

    /// The kind of organisation the scope names, if it names one.
    pub fn organization_kind(&self) -> Option<OrganizationKind> {
        match self {
            Scope::Province(_) => Some(OrganizationKind::Province),
            Scope::GoverningBody(_) => Some(OrganizationKind::GoverningBody),
            Scope::Agency(_) => Some(OrganizationKind::PressAgency),
            Scope::Country | Scope::AgencyType(_) => None,
        }
    }

    /// What the scope covers in `period` under `boundaries` (see [`Boundaries`]).
    pub fn in_period<'a>(
        &self,
        catalog: &'a Catalog,
        boundaries: Boundaries,
        period: &Period,
    ) -> Coverage<'a> {
        let on = period.reference_date();
        let taken_on = match boundaries {
            Boundaries::Historical => on,
            Boundaries::Current { as_of } => as_of,
        };
        self.covering(catalog, taken_on, on)
    }

    /// What the scope of a figure for `period` covers in `previous`, the period its trend is
    /// measured against: under the same boundaries, except that under HISTORICAL an organisation
    /// that did not exist yet in `previous` is taken as it stood in `period`, and so covers the
    /// organisations it continues, as they stood in `previous`. One that existed on neither
    /// reference date covers nothing, and its absence is dated `previous`'s: the baseline is read
    /// on its own date, and who stood for the organisation then is whom to ask about it.
    pub fn in_previous_period<'a>(
        &self,
        catalog: &'a Catalog,
        boundaries: Boundaries,
        period: &Period,
        previous: &Period,
    ) -> Coverage<'a> {
        let on = previous.reference_date();
        let taken_on = match boundaries {
            Boundaries::Historical => {
                let existed_then = self
                    .organization_code()
                    .and_then(|code| catalog.organization(code))
                    .is_none_or(|organization| organization.exists_on(on));
                if existed_then {
                    on
                } else {
                    period.reference_date()
                }
            }
            Boundaries::Current { as_of } => as_of,
        };
        let mut coverage = self.covering(catalog, taken_on, on);
        if boundaries == Boundaries::Historical
            && let (Some(code), Some(absence)) = (self.organization_code(), &coverage.absence)
            && absence.on != on
        {
            coverage.absence = Some(Absence::of(catalog, code, on));
        }
        coverage
    }

    /// The agencies the scope covers on `on` when its organisation is taken as it stood on
    /// `taken_on`. The organisation must exist on `taken_on`. Looking back (`on` before
    /// `taken_on`) it covers the organisations it was made of on `on` ([`made_of`]); looking
    /// forward it covers itself if it still exists on `on`. Otherwise it covers nothing, and the
    /// coverage says who stood for it.
    fn covering<'a>(
        &self,
        catalog: &'a Catalog,
        taken_on: NaiveDate,
        on: NaiveDate,
    ) -> Coverage<'a> {
        let Some(code) = self.organization_code() else {
            return Coverage {
                agencies: self.agencies_among(catalog, &BTreeSet::new(), on),
                absence: None,
            };
        };
        let absent = |date| Coverage {
            agencies: Vec::new(),
            absence: Some(Absence::of(catalog, code, date)),
        };
        let Some(organization) = catalog.organization(code) else {
            return absent(taken_on);
        };
        if !organization.exists_on(taken_on) {
            return absent(taken_on);
        }
        let organizations = if on <= taken_on {
            made_of(catalog, code, on, Some(taken_on))
        } else if organization.exists_on(on) {
            BTreeSet::from([code.to_string()])
        } else {
            return absent(on);
        };
        Coverage {
            agencies: self.agencies_among(catalog, &organizations, on),
            absence: None,
        }
    }

    /// The agencies a principal acting for the scope's organisation reaches on `on`: those of
    /// the organisations it was, at any time, made of ([`made_of`] with no end), as they stood on
    /// `on`. An agency reaches the history of the agencies it went on to absorb; a merged province
    /// reaches its predecessors' history.
    pub fn lineage_on<'a>(
        &self,
        catalog: &'a Catalog,
        on: NaiveDate,
    ) -> Vec<(&'a Organization, &'a OrganizationVersion)> {
        let organizations = match self.organization_code() {
            Some(code) => made_of(catalog, code, on, None),
            None => BTreeSet::new(),
        };
        self.agencies_among(catalog, &organizations, on)
    }

    /// The press agencies existing on `on` that the scope's kind selects, each with its attributes
    /// that day, in the catalogue's order (by code): for an organisation's scope, those belonging
    /// (province, governing body) or equal (agency) to one of `organizations` that day.
    fn agencies_among<'a>(
        &self,
        catalog: &'a Catalog,
        organizations: &BTreeSet<String>,
        on: NaiveDate,
    ) -> Vec<(&'a Organization, &'a OrganizationVersion)> {
        let belongs =
            |code: &Option<String>| code.as_ref().is_some_and(|c| organizations.contains(c));
        catalog
            .organizations
            .iter()
            .filter(|organization| organization.kind == OrganizationKind::PressAgency)
            .filter_map(|organization| Some((organization, organization.version_on(on)?)))
            .filter(|(organization, version)| match self {
                Scope::Country => true,
                Scope::Province(_) => belongs(&version.province_code),
                Scope::GoverningBody(_) => belongs(&version.governing_body_code),
                Scope::AgencyType(agency_type) => version.agency_type == Some(*agency_type),
                Scope::Agency(_) => organizations.contains(&organization.code),
            })
            .collect()
    }
}

/// Which organisation tree a scope is read in (pressdx.v1.Boundaries).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Boundaries {
    /// As the tree stood on each period's reference date: `agency:X` is X alone, and a period's
    /// figure never changes because the tree changed after it.
    Historical,
    /// As the scope's organisation stood on `as_of`, back-cast over earlier periods to the
    /// organisations it continues: a time series over comparable boundaries.
    Current { as_of: NaiveDate },
}

/// What a scope covers in one period.
#[derive(Debug, Clone)]
pub struct Coverage<'a> {
    /// The press agencies covered, with their attributes on the period's reference date, by code.
    pub agencies: Vec<(&'a Organization, &'a OrganizationVersion)>,
    /// Set when the scope's organisation did not exist on the date it had to be taken on: it then
    /// covers nothing.
    pub absence: Option<Absence>,
}

/// A scope's organisation that did not exist on a date, and who stood for it then.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Absence {
    pub organization_code: String,
    pub on: NaiveDate,
    pub reason: AbsenceReason,
    /// The organisations existing on `on` that stood for it: those it continues (formed later),
    /// or those that continue it (ended), through any chain of links; by code.
    pub instead: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AbsenceReason {
    NotYetFormed,
    Ended,
}

impl Absence {
    fn of(catalog: &Catalog, code: &str, on: NaiveDate) -> Absence {
        let formed_later = catalog
            .organization(code)
            .and_then(|organization| organization.valid_from)
            .is_some_and(|from| on < from);
        let (reason, instead) = if formed_later {
            (
                AbsenceReason::NotYetFormed,
                made_of(catalog, code, on, None),
            )
        } else {
            (AbsenceReason::Ended, continued_by(catalog, code, on))
        };
        Absence {
            organization_code: code.to_string(),
            on,
            reason,
            instead: instead.into_iter().collect(),
        }
    }
}

/// The organisations that `code`, as it stood on `taken_on` (at the end of the catalogue's time
/// when `None`), was made of on `on`, a date no later: itself if it existed on `on`, and each
/// organisation existing on `on` that it continues through a chain of predecessor links, every
/// one of them taking effect after `on` and no later than `taken_on`.
///
/// Báo Nam Định absorbed the Nam Định radio-TV station on 2025-04-15: taken as it stood at the end
/// of 2024 it was made of itself alone on 2023-12-14; taken as it stood on 2025-06-30, of both.
pub fn made_of(
    catalog: &Catalog,
    code: &str,
    on: NaiveDate,
    taken_on: Option<NaiveDate>,
) -> BTreeSet<String> {
    let predecessors = |current: &str| -> Vec<String> {
        catalog
            .links_to(current)
            .iter()
            .filter(|link| link.effective_on > on)
            .filter(|link| taken_on.is_none_or(|taken_on| link.effective_on <= taken_on))
            .map(|link| link.predecessor_code.clone())
            .collect()
    };
    // Going on past an organisation that exists: it may have absorbed others in the meantime.
    existing_along(catalog, code, on, predecessors, false)
}

/// The nearest organisations existing on `on` that continue `code`: following successor links
/// that take effect no later than `on`, and going no further from one that exists on `on`. Whom
/// to ask for instead of an organisation that had ended.
pub fn continued_by(catalog: &Catalog, code: &str, on: NaiveDate) -> BTreeSet<String> {
    let successors = |current: &str| -> Vec<String> {
        catalog
            .links
            .iter()
            .filter(|link| link.predecessor_code == current && link.effective_on <= on)
            .map(|link| link.successor_code.clone())
            .collect()
    };
    existing_along(catalog, code, on, successors, true)
}

/// The organisations existing on `on` among `code` and those reached from it, one link at a time,
/// by `next`; with `stop_where_found`, going no further from an organisation that exists on `on`.
fn existing_along(
    catalog: &Catalog,
    code: &str,
    on: NaiveDate,
    next: impl Fn(&str) -> Vec<String>,
    stop_where_found: bool,
) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut to_visit = vec![code.to_string()];
    let mut visited = HashSet::new();
    while let Some(current) = to_visit.pop() {
        if !visited.insert(current.clone()) {
            continue;
        }
        let exists = catalog
            .organization(&current)
            .is_some_and(|organization| organization.exists_on(on));
        if exists {
            found.insert(current.clone());
            if stop_where_found {
                continue;
            }
        }
        to_visit.extend(next(&current));
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
    use crate::catalog_file::{self, DEFAULT_CATALOG};

    fn date(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    fn codes(coverage: &Coverage<'_>) -> Vec<String> {
        coverage
            .agencies
            .iter()
            .map(|(organization, _)| organization.code.clone())
            .collect()
    }

    const SIX_OLD_AGENCIES: [&str; 6] = [
        "bao-ha-nam",
        "bao-nam-dinh",
        "bao-ninh-binh",
        "ptth-ha-nam",
        "ptth-nam-dinh",
        "ptth-ninh-binh",
    ];

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
        for untrimmed in [
            "",
            " country",
            "country ",
            " province:nam-dinh",
            "province:nam-dinh ",
            "province: nam-dinh",
            "province :nam-dinh",
            "agency_type: radio_tv",
            "province:nam dinh",
        ] {
            assert!(Scope::parse(untrimmed).is_err(), "{untrimmed:?} was taken");
        }
        assert!(Scope::parse(&format!("agency:{}", "x".repeat(65))).is_err());
        assert!(Scope::parse("region:x").is_err());
        assert!(Scope::parse("agency_type:tv").is_err());
    }

    #[test]
    fn historical_boundaries_read_the_tree_as_it_stood_in_the_period() {
        let catalog = catalog_file::parse(DEFAULT_CATALOG).unwrap();
        let (p2024, p2025) = (
            catalog.period("2024").unwrap(),
            catalog.period("2025").unwrap(),
        );
        let in_period = |scope: &str, period| {
            Scope::parse(scope)
                .unwrap()
                .in_period(&catalog, Boundaries::Historical, period)
        };
        let merged = in_period("province:ninh-binh-2025", p2025);
        assert_eq!(codes(&merged), ["bao-ptth-ninh-binh-2025"]);
        assert_eq!(merged.absence, None);
        // Not formed yet in 2024: it covers nothing and names whom to ask for instead.
        let before = in_period("province:ninh-binh-2025", p2024);
        assert!(before.agencies.is_empty());
        assert_eq!(
            before.absence,
            Some(Absence {
                organization_code: "ninh-binh-2025".into(),
                on: date("2024-12-14"),
                reason: AbsenceReason::NotYetFormed,
                instead: vec!["ha-nam".into(), "nam-dinh".into(), "ninh-binh".into()],
            })
        );
        assert_eq!(
            codes(&in_period("province:nam-dinh", p2024)),
            ["bao-nam-dinh", "ptth-nam-dinh"]
        );
        // Báo Nam Định alone in 2024: the station it absorbed in 2025 was not part of it yet.
        assert_eq!(
            codes(&in_period("agency:bao-nam-dinh", p2024)),
            ["bao-nam-dinh"]
        );
        // Ended by the end of 2025: its successors, through every link, are named.
        let ended = in_period("agency:ptth-nam-dinh", p2025);
        assert!(ended.agencies.is_empty());
        let absence = ended.absence.unwrap();
        assert_eq!(absence.reason, AbsenceReason::Ended);
        assert_eq!(absence.instead, ["bao-ptth-ninh-binh-2025"]);
        assert_eq!(
            in_period("province:nam-dinh", p2025)
                .absence
                .unwrap()
                .instead,
            ["ninh-binh-2025"]
        );
    }

    #[test]
    fn current_boundaries_back_cast_the_scope_to_what_it_continues() {
        let catalog = catalog_file::parse(DEFAULT_CATALOG).unwrap();
        let (p2023, p2024, p2025) = (
            catalog.period("2023").unwrap(),
            catalog.period("2024").unwrap(),
            catalog.period("2025").unwrap(),
        );
        let current = |as_of: &str| Boundaries::Current { as_of: date(as_of) };
        let in_period = |scope: &str, as_of: &str, period| {
            Scope::parse(scope)
                .unwrap()
                .in_period(&catalog, current(as_of), period)
        };
        assert_eq!(
            codes(&in_period("province:ninh-binh-2025", "2026-11-27", p2023)),
            SIX_OLD_AGENCIES
        );
        assert_eq!(
            codes(&in_period("province:ninh-binh-2025", "2026-11-27", p2025)),
            ["bao-ptth-ninh-binh-2025"]
        );
        // Báo Nam Định as it stood in June 2025, with the station it had absorbed.
        assert_eq!(
            codes(&in_period("agency:bao-nam-dinh", "2025-06-30", p2024)),
            ["bao-nam-dinh", "ptth-nam-dinh"]
        );
        // As it stood in 2024, alone; in 2025 it had ended, so the later period covers nothing.
        assert_eq!(
            codes(&in_period("agency:bao-nam-dinh", "2024-06-01", p2023)),
            ["bao-nam-dinh"]
        );
        let later = in_period("agency:bao-nam-dinh", "2024-06-01", p2025);
        assert!(later.agencies.is_empty());
        assert_eq!(later.absence.unwrap().on, date("2025-12-14"));
        // An organisation that no longer exists on as_of covers nothing in any period.
        let dissolved = in_period("province:nam-dinh", "2026-11-27", p2024);
        assert!(dissolved.agencies.is_empty());
        assert_eq!(dissolved.absence.unwrap().instead, ["ninh-binh-2025"]);
    }

    #[test]
    fn the_trend_of_a_scope_formed_in_the_period_covers_what_it_continues() {
        let catalog = catalog_file::parse(DEFAULT_CATALOG).unwrap();
        let (p2024, p2025) = (
            catalog.period("2024").unwrap(),
            catalog.period("2025").unwrap(),
        );
        let merged = Scope::Province("ninh-binh-2025".into());
        let trend = merged.in_previous_period(&catalog, Boundaries::Historical, p2025, p2024);
        assert_eq!(codes(&trend), SIX_OLD_AGENCIES);
        // A scope that existed then is read as it stood then.
        let bao = Scope::Agency("bao-nam-dinh".into());
        let p2023 = catalog.period("2023").unwrap();
        let trend = bao.in_previous_period(&catalog, Boundaries::Historical, p2024, p2023);
        assert_eq!(codes(&trend), ["bao-nam-dinh"]);
        // Ended before both (on 2025-07-01): nothing, and the absence is the earlier period's,
        // 2025-12-14, not the later one's.
        let p2026 = catalog.period("2026").unwrap();
        let ended = Scope::Province("nam-dinh".into());
        let trend = ended.in_previous_period(&catalog, Boundaries::Historical, p2026, p2025);
        assert!(trend.agencies.is_empty());
        let absence = trend.absence.unwrap();
        assert_eq!(
            (absence.on, absence.reason, absence.instead),
            (
                date("2025-12-14"),
                AbsenceReason::Ended,
                vec!["ninh-binh-2025".to_string()]
            )
        );
    }

    #[test]
    fn an_organisation_is_made_of_what_it_absorbed_by_the_date_it_is_taken_on() {
        let catalog = catalog_file::parse(DEFAULT_CATALOG).unwrap();
        let made_of = |code, on, taken_on: Option<&str>| {
            made_of(&catalog, code, date(on), taken_on.map(date))
                .into_iter()
                .collect::<Vec<_>>()
        };
        assert_eq!(
            made_of("bao-nam-dinh", "2023-12-14", Some("2024-12-14")),
            ["bao-nam-dinh"]
        );
        assert_eq!(
            made_of("bao-nam-dinh", "2024-12-14", Some("2025-12-14")),
            ["bao-nam-dinh", "ptth-nam-dinh"]
        );
        // Through bao-ptth-ninh-binh, which itself did not exist yet in 2024.
        assert_eq!(
            made_of("bao-ptth-ninh-binh-2025", "2024-12-14", Some("2025-12-14")),
            SIX_OLD_AGENCIES
        );
        // A principal's reach: whatever it goes on to continue.
        let lineage: Vec<_> = Scope::Agency("bao-nam-dinh".into())
            .lineage_on(&catalog, date("2024-12-14"))
            .into_iter()
            .map(|(organization, _)| organization.code.as_str())
            .collect();
        assert_eq!(lineage, ["bao-nam-dinh", "ptth-nam-dinh"]);
    }
}
