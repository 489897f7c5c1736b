//! The catalogue as a whole, and its file format: a TOML file that describes periods, indicators,
//! organisations and plans. Parsing checks the whole file and reports every problem at once, each
//! with where it is (`organization[4] "bao-nam-dinh".province`).

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;

use super::formats::{self, Sign};
use super::indicator::{Indicator, IndicatorType, REPORT_FIELDS, report_field_type};
use super::maturity::{self, Framework};
use super::organization::{
    AgencyType, LinkKind, Organization, OrganizationKind, OrganizationLink, OrganizationVersion,
};
use super::period::Period;
use super::plan::{
    Baseline, Condition, ConditionUse, FULL_SHARE_BP, Milestone, Plan, Population, Target,
    TargetRule, parse_percent,
};
use super::plausibility::{Check, PlausibilityRule, SUM_INDICATORS};
use super::task::{TaskEntry, check_tasks};
use super::violation::{FieldViolation, Violations};

/// The default catalogue a fresh database is loaded with: the Nam Định plan, the national plan with
/// its yearly milestones, periods 2023-2030, and the organisations of Nam Định, Hà Nam and Ninh Bình
/// through the 2025 mergers.
pub const DEFAULT_CATALOG: &str = include_str!("../../catalog/default.toml");

/// A catalogue's text with its periods' closing times taken out, so that every period stays open:
/// for the bench and the tests, which submit for any year whatever the day they run.
pub fn without_closing_times(text: &str) -> String {
    text.lines()
        .filter(|line| !line.trim_start().starts_with("closes_at"))
        .map(|line| format!("{line}\n"))
        .collect()
}

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

#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("the catalogue file is not valid TOML of the expected shape: {0}")]
    Syntax(String),
    #[error("the catalogue file has {} problem(s)", .0.len())]
    Invalid(Vec<FieldViolation>),
}

impl Catalog {
    /// Parses and checks a catalogue file.
    pub fn from_toml(text: &str) -> Result<Catalog, CatalogError> {
        let file: CatalogFile =
            toml::from_str(text).map_err(|error| CatalogError::Syntax(error.to_string()))?;
        file.check().map_err(CatalogError::Invalid)
    }

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

// ---- The file format -------------------------------------------------------------------------
// Dates, kinds and percentages are read as strings and checked here rather than by serde, so that
// one pass finds every problem instead of stopping at the first.

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CatalogFile {
    #[serde(default)]
    period: Vec<PeriodEntry>,
    #[serde(default)]
    indicator: Vec<IndicatorEntry>,
    #[serde(default)]
    organization: Vec<OrganizationEntry>,
    #[serde(default)]
    plan: Vec<PlanEntry>,
    #[serde(default)]
    withdrawn: Vec<WithdrawnEntry>,
    #[serde(default)]
    plausibility: Vec<PlausibilityEntry>,
    #[serde(default)]
    maturity_framework: Vec<maturity::FrameworkEntry>,
}

/// `code`, `indicator`, `kind` and the kind's parameters: `factor` (change_beyond_factor),
/// `stable` and `tolerance` (decrease_while_stable), `min` / `max` (outside_range).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PlausibilityEntry {
    code: String,
    indicator: String,
    kind: String,
    factor: Option<toml::Value>,
    stable: Option<String>,
    tolerance: Option<String>,
    min: Option<i64>,
    max: Option<i64>,
    #[serde(default)]
    description: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WithdrawnEntry {
    code: String,
    note: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PeriodEntry {
    code: String,
    year: i32,
    window_start: String,
    window_end: String,
    deadline: String,
    #[serde(default)]
    closes_at: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct IndicatorEntry {
    code: String,
    name: String,
    #[serde(default)]
    description: String,
    #[serde(rename = "type")]
    indicator_type: String,
    #[serde(default)]
    unit: String,
    min: Option<i64>,
    max: Option<i64>,
    #[serde(default)]
    required: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OrganizationEntry {
    code: String,
    kind: String,
    name: String,
    valid_from: Option<String>,
    valid_until: Option<String>,
    province: Option<String>,
    governing_body: Option<String>,
    agency_type: Option<String>,
    #[serde(default)]
    publishes_electronic_press: bool,
    #[serde(default)]
    illustrative: bool,
    #[serde(default)]
    note: String,
    #[serde(default)]
    predecessors: Vec<LinkEntry>,
    /// Attribute changes during the organisation's life, each from a date on.
    #[serde(default)]
    changes: Vec<ChangeEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LinkEntry {
    code: String,
    kind: String,
    /// Defaults to the successor's valid_from.
    effective_on: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ChangeEntry {
    from: String,
    name: Option<String>,
    province: Option<String>,
    governing_body: Option<String>,
    agency_type: Option<String>,
    publishes_electronic_press: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PlanEntry {
    code: String,
    name: String,
    #[serde(default)]
    decision: String,
    issued_on: Option<String>,
    province: Option<String>,
    #[serde(default)]
    target: Vec<TargetEntry>,
    #[serde(default)]
    task: Vec<TaskEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TargetEntry {
    code: String,
    name: String,
    measure: String,
    population: String,
    condition: Option<ConditionEntry>,
    #[serde(default)]
    numerator: Vec<String>,
    #[serde(default)]
    denominator: Vec<String>,
    #[serde(default)]
    milestones: Vec<MilestoneEntry>,
}

/// One of: `{ yes = "indicator" }`, `{ indicator = "x", at_least = 3 }`, `{ all = [...] }`,
/// `{ growth_of = "revenue_vnd", baseline = "previous_year" }` (or `baseline = 2023`).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConditionEntry {
    yes: Option<String>,
    indicator: Option<String>,
    at_least: Option<i64>,
    all: Option<Vec<ConditionEntry>>,
    growth_of: Option<String>,
    baseline: Option<toml::Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MilestoneEntry {
    year: i32,
    required: String,
    parameter: Option<String>,
}

fn parse_date(text: &str, field: &str, violations: &mut Violations) -> Option<NaiveDate> {
    formats::parse_date(text)
        .map_err(|why| violations.add(field, why))
        .ok()
}

fn parse_optional_date(
    text: &Option<String>,
    field: &str,
    violations: &mut Violations,
) -> Option<NaiveDate> {
    text.as_deref()
        .and_then(|text| parse_date(text, field, violations))
}

fn parse_word<T>(
    text: &str,
    parse: fn(&str) -> Option<T>,
    all: &[T],
    as_str: fn(T) -> &'static str,
    field: &str,
    violations: &mut Violations,
) -> Option<T>
where
    T: Copy,
{
    let parsed = parse(text);
    if parsed.is_none() {
        let words: Vec<_> = all.iter().map(|word| as_str(*word)).collect();
        violations.add(
            field,
            format!("{text:?} is not one of: {}", words.join(", ")),
        );
    }
    parsed
}

/// Checks codes are codes ([`formats::check_code`]: what a request can name) and unique within
/// one list.
pub(super) fn check_codes<'a>(
    codes: impl Iterator<Item = (String, &'a str)>,
    violations: &mut Violations,
) -> HashSet<&'a str> {
    let mut seen = HashSet::new();
    for (location, code) in codes {
        if let Err(why) = formats::check_code(code) {
            violations.add(format!("{location}.code"), why);
        } else if !seen.insert(code) {
            violations.add(
                format!("{location}.code"),
                format!("{code:?} appears twice"),
            );
        }
    }
    seen
}

/// Whether `[from, until)` lies within `[outer_from, outer_until)`, open ends being unbounded.
fn range_within(
    (from, until): (Option<NaiveDate>, Option<NaiveDate>),
    (outer_from, outer_until): (Option<NaiveDate>, Option<NaiveDate>),
) -> bool {
    let starts_inside = match (outer_from, from) {
        (None, _) => true,
        (Some(_), None) => false,
        (Some(outer), Some(inner)) => outer <= inner,
    };
    let ends_inside = match (outer_until, until) {
        (None, _) => true,
        (Some(_), None) => false,
        (Some(outer), Some(inner)) => inner <= outer,
    };
    starts_inside && ends_inside
}

impl CatalogFile {
    fn check(self) -> Result<Catalog, Vec<FieldViolation>> {
        let mut violations = Violations::new();
        let periods = check_periods(&self.period, &mut violations);
        let indicators = check_indicators(&self.indicator, &mut violations);
        let (organizations, links) = check_organizations(&self.organization, &mut violations);
        let plans = check_plans(&self.plan, &indicators, &organizations, &mut violations);
        let withdrawn = check_withdrawn(
            &self.withdrawn,
            &organizations,
            &links,
            &plans,
            &mut violations,
        );
        let plausibility = check_plausibility(&self.plausibility, &indicators, &mut violations);
        let maturity_frameworks =
            maturity::check_frameworks(&self.maturity_framework, &periods, &mut violations);
        violations.into_result(Catalog {
            periods,
            indicators,
            organizations,
            links,
            plans,
            withdrawn,
            plausibility,
            maturity_frameworks,
        })
    }
}

fn check_periods(entries: &[PeriodEntry], violations: &mut Violations) -> Vec<Period> {
    let located = |index: usize, entry: &PeriodEntry| format!("period[{index}] {:?}", entry.code);
    check_codes(
        entries
            .iter()
            .enumerate()
            .map(|(index, entry)| (located(index, entry), entry.code.as_str())),
        violations,
    );
    let mut periods = Vec::new();
    for (index, entry) in entries.iter().enumerate() {
        let at = located(index, entry);
        let start = parse_date(
            &entry.window_start,
            &format!("{at}.window_start"),
            violations,
        );
        let end = parse_date(&entry.window_end, &format!("{at}.window_end"), violations);
        let deadline = match DateTime::parse_from_rfc3339(&entry.deadline) {
            Ok(instant) => Some(instant.with_timezone(&Utc)),
            Err(_) => {
                violations.add(
                    format!("{at}.deadline"),
                    format!(
                        "{:?} is not an instant with its offset, such as 2025-11-15T00:00:00+07:00",
                        entry.deadline
                    ),
                );
                None
            }
        };
        let closes_at = entry.closes_at.as_ref().and_then(|text| {
            let field = format!("{at}.closes_at");
            match DateTime::parse_from_rfc3339(text) {
                Ok(instant) => Some(instant.with_timezone(&Utc)),
                Err(_) => {
                    violations.add(
                        field,
                        format!(
                            "{text:?} is not an instant with its offset, such as 2025-12-15T00:00:00+07:00"
                        ),
                    );
                    None
                }
            }
        });
        if let (Some(deadline), Some(closes_at)) = (deadline, closes_at)
            && closes_at < deadline
        {
            violations.add(
                format!("{at}.closes_at"),
                format!(
                    "the period closes ({}) before its deadline ({}): late reports must have a chance",
                    entry.closes_at.as_deref().unwrap_or_default(),
                    entry.deadline
                ),
            );
        }
        if let (Some(start), Some(end)) = (start, end)
            && start > end
        {
            violations.add(
                format!("{at}.window_end"),
                format!("the window ends ({end}) before it starts ({start})"),
            );
        }
        if let (Some(window_start), Some(window_end), Some(deadline)) = (start, end, deadline) {
            periods.push(Period {
                code: entry.code.clone(),
                year: entry.year,
                window_start,
                window_end,
                deadline,
                closes_at,
            });
        }
    }
    periods.sort_by(|a, b| (a.window_start, &a.code).cmp(&(b.window_start, &b.code)));
    periods
}

fn check_indicators(entries: &[IndicatorEntry], violations: &mut Violations) -> Vec<Indicator> {
    let located =
        |index: usize, entry: &IndicatorEntry| format!("indicator[{index}] {:?}", entry.code);
    let codes = check_codes(
        entries
            .iter()
            .enumerate()
            .map(|(index, entry)| (located(index, entry), entry.code.as_str())),
        violations,
    );
    for (field, _) in REPORT_FIELDS {
        if !codes.contains(field) {
            violations.add(
                "indicator",
                format!("the report field {field:?} has no indicator: describe it"),
            );
        }
    }

    let mut indicators = Vec::new();
    for (index, entry) in entries.iter().enumerate() {
        let at = located(index, entry);
        let declared = parse_word(
            &entry.indicator_type,
            IndicatorType::parse,
            IndicatorType::ALL,
            IndicatorType::as_str,
            &format!("{at}.type"),
            violations,
        );
        let Some(wire_type) = report_field_type(&entry.code) else {
            violations.add(
                format!("{at}.code"),
                format!("the report has no field {:?}", entry.code),
            );
            continue;
        };
        let Some(declared) = declared else { continue };
        if declared != wire_type {
            violations.add(
                format!("{at}.type"),
                format!("the report field {:?} is of type {wire_type}", entry.code),
            );
        }
        if !declared.is_numeric() && (entry.min.is_some() || entry.max.is_some()) {
            violations.add(
                format!("{at}.min"),
                format!("a {declared} indicator has no limits"),
            );
        }
        if let (Some(min), Some(max)) = (entry.min, entry.max)
            && min > max
        {
            violations.add(format!("{at}.max"), format!("max {max} is below min {min}"));
        }
        if entry.name.trim().is_empty() {
            violations.add(format!("{at}.name"), "required");
        }
        indicators.push(Indicator {
            code: entry.code.clone(),
            name: entry.name.clone(),
            description: entry.description.clone(),
            indicator_type: declared,
            unit: entry.unit.clone(),
            min: entry.min,
            max: entry.max,
            required: entry.required,
        });
    }
    indicators
}

fn check_organizations(
    entries: &[OrganizationEntry],
    violations: &mut Violations,
) -> (Vec<Organization>, Vec<OrganizationLink>) {
    let located =
        |index: usize, entry: &OrganizationEntry| format!("organization[{index}] {:?}", entry.code);
    check_codes(
        entries
            .iter()
            .enumerate()
            .map(|(index, entry)| (located(index, entry), entry.code.as_str())),
        violations,
    );

    // First pass: each organisation on its own.
    let mut organizations = Vec::new();
    let mut locations = HashMap::new();
    for (index, entry) in entries.iter().enumerate() {
        let at = located(index, entry);
        if let Some(organization) = check_organization(entry, &at, violations) {
            locations.insert(entry.code.clone(), at);
            organizations.push(organization);
        }
    }

    // Second pass: references between them, each version against what it points at.
    let by_code: HashMap<&str, &Organization> = organizations
        .iter()
        .map(|org| (org.code.as_str(), org))
        .collect();
    for organization in &organizations {
        let at = &locations[&organization.code];
        for (version_index, version) in organization.versions.iter().enumerate() {
            let version_at = if version_index == 0 {
                at.clone()
            } else {
                format!("{at}.changes[{}]", version_index - 1)
            };
            let span = (version.valid_from, version.valid_until);
            let references = [
                (
                    "province",
                    version.province_code.as_deref(),
                    &[OrganizationKind::Province][..],
                ),
                (
                    "governing_body",
                    version.governing_body_code.as_deref(),
                    &[OrganizationKind::GoverningBody, OrganizationKind::Ministry][..],
                ),
            ];
            for (field, code, kinds) in references {
                let Some(code) = code else { continue };
                let field = format!("{version_at}.{field}");
                match by_code.get(code) {
                    None => violations.add(field, format!("no organisation {code:?}")),
                    Some(target) if !kinds.contains(&target.kind) => violations.add(
                        field,
                        format!("{code:?} is a {}, not a {}", target.kind, kinds[0]),
                    ),
                    Some(target)
                        if !range_within(span, (target.valid_from, target.valid_until)) =>
                    {
                        violations.add(
                            field,
                            format!(
                                "{code:?} does not exist for the whole of {}",
                                describe_span(span)
                            ),
                        )
                    }
                    Some(_) => {}
                }
            }
        }
    }

    let mut links = Vec::new();
    for (index, entry) in entries.iter().enumerate() {
        let at = located(index, entry);
        for (link_index, link) in entry.predecessors.iter().enumerate() {
            let link_at = format!("{at}.predecessors[{link_index}]");
            let kind = parse_word(
                &link.kind,
                LinkKind::parse,
                LinkKind::ALL,
                LinkKind::as_str,
                &format!("{link_at}.kind"),
                violations,
            );
            if !by_code.contains_key(link.code.as_str()) {
                violations.add(
                    format!("{link_at}.code"),
                    format!("no organisation {:?}", link.code),
                );
            }
            if link.code == entry.code {
                violations.add(
                    format!("{link_at}.code"),
                    "an organisation cannot continue itself",
                );
            }
            if entry.predecessors[..link_index]
                .iter()
                .any(|earlier| earlier.code == link.code)
            {
                violations.add(
                    format!("{link_at}.code"),
                    format!("{:?} is already a predecessor", link.code),
                );
            }
            let successor_start = by_code
                .get(entry.code.as_str())
                .and_then(|org| org.valid_from);
            let effective_on = match &link.effective_on {
                Some(text) => parse_date(text, &format!("{link_at}.effective_on"), violations),
                None => {
                    if successor_start.is_none() {
                        violations.add(
                            format!("{link_at}.effective_on"),
                            "required when the organisation has no valid_from",
                        );
                    }
                    successor_start
                }
            };
            if let (Some(kind), Some(effective_on)) = (kind, effective_on) {
                links.push(OrganizationLink {
                    predecessor_code: link.code.clone(),
                    successor_code: entry.code.clone(),
                    effective_on,
                    kind,
                });
            }
        }
    }
    links.sort();
    organizations.sort_by(|a, b| a.code.cmp(&b.code));
    (organizations, links)
}

fn describe_span((from, until): (Option<NaiveDate>, Option<NaiveDate>)) -> String {
    let from = from.map_or("the beginning".to_string(), |date| date.to_string());
    let until = until.map_or("now".to_string(), |date| date.to_string());
    format!("{from} to {until}")
}

/// Checks one organisation on its own and builds its versions.
fn check_organization(
    entry: &OrganizationEntry,
    at: &str,
    violations: &mut Violations,
) -> Option<Organization> {
    let kind = parse_word(
        &entry.kind,
        OrganizationKind::parse,
        OrganizationKind::ALL,
        OrganizationKind::as_str,
        &format!("{at}.kind"),
        violations,
    );
    let valid_from =
        parse_optional_date(&entry.valid_from, &format!("{at}.valid_from"), violations);
    let valid_until =
        parse_optional_date(&entry.valid_until, &format!("{at}.valid_until"), violations);
    if let (Some(from), Some(until)) = (valid_from, valid_until)
        && from >= until
    {
        violations.add(
            format!("{at}.valid_until"),
            format!("{until} is not after valid_from {from}"),
        );
    }
    if entry.name.trim().is_empty() {
        violations.add(format!("{at}.name"), "required");
    }

    let parse_agency_type = |text: &Option<String>, field: String, violations: &mut Violations| {
        text.as_deref().and_then(|text| {
            parse_word(
                text,
                AgencyType::parse,
                AgencyType::ALL,
                AgencyType::as_str,
                &field,
                violations,
            )
        })
    };
    let is_agency = kind == Some(OrganizationKind::PressAgency);
    let agency_type =
        parse_agency_type(&entry.agency_type, format!("{at}.agency_type"), violations);
    if is_agency && entry.agency_type.is_none() {
        violations.add(format!("{at}.agency_type"), "required for a press agency");
    }
    if !is_agency
        && kind.is_some()
        && (entry.agency_type.is_some() || entry.governing_body.is_some())
    {
        violations.add(
            format!("{at}.agency_type"),
            "agency_type and governing_body belong to press agencies only",
        );
    }

    let mut versions = vec![OrganizationVersion {
        valid_from,
        valid_until,
        name: entry.name.clone(),
        province_code: entry.province.clone(),
        governing_body_code: entry.governing_body.clone(),
        agency_type,
        publishes_electronic_press: entry.publishes_electronic_press,
    }];
    for (change_index, change) in entry.changes.iter().enumerate() {
        let change_at = format!("{at}.changes[{change_index}]");
        let Some(from) = parse_date(&change.from, &format!("{change_at}.from"), violations) else {
            continue;
        };
        let Some(previous) = versions.last_mut() else {
            continue;
        };
        let starts_after_previous = previous.valid_from.is_none_or(|start| start < from);
        let ends_before_death = valid_until.is_none_or(|until| from < until);
        if !starts_after_previous || !ends_before_death {
            violations.add(
                format!("{change_at}.from"),
                "changes come in date order, within the organisation's lifetime",
            );
            continue;
        }
        let mut next = previous.clone();
        previous.valid_until = Some(from);
        next.valid_from = Some(from);
        if let Some(name) = &change.name {
            next.name = name.clone();
        }
        if let Some(province) = &change.province {
            next.province_code = Some(province.clone());
        }
        if let Some(body) = &change.governing_body {
            next.governing_body_code = Some(body.clone());
        }
        if change.agency_type.is_some() {
            next.agency_type = parse_agency_type(
                &change.agency_type,
                format!("{change_at}.agency_type"),
                violations,
            );
        }
        if let Some(electronic) = change.publishes_electronic_press {
            next.publishes_electronic_press = electronic;
        }
        versions.push(next);
    }

    Some(Organization {
        code: entry.code.clone(),
        kind: kind?,
        valid_from,
        valid_until,
        versions,
        illustrative: entry.illustrative,
        note: entry.note.clone(),
    })
}

/// Checks the withdrawals: each names a code, says why, and is neither defined nor referred to
/// elsewhere in the file (references in the database are checked when the file is applied).
fn check_withdrawn(
    entries: &[WithdrawnEntry],
    organizations: &[Organization],
    links: &[OrganizationLink],
    plans: &[Plan],
    violations: &mut Violations,
) -> Vec<Withdrawal> {
    let mut withdrawn = Vec::new();
    for (index, entry) in entries.iter().enumerate() {
        let at = format!("withdrawn[{index}] {:?}", entry.code);
        let code = entry.code.as_str();
        if code.trim().is_empty() {
            violations.add(format!("{at}.code"), "required");
            continue;
        }
        if entry.note.trim().is_empty() {
            violations.add(format!("{at}.note"), "say why it is withdrawn");
        }
        if organizations
            .iter()
            .any(|organization| organization.code == code)
        {
            violations.add(
                format!("{at}.code"),
                "this file also defines it as an organisation",
            );
        }
        let referred = organizations.iter().any(|organization| {
            organization.versions.iter().any(|version| {
                version.province_code.as_deref() == Some(code)
                    || version.governing_body_code.as_deref() == Some(code)
            })
        }) || links
            .iter()
            .any(|link| link.predecessor_code == code || link.successor_code == code)
            || plans
                .iter()
                .any(|plan| plan.province_code.as_deref() == Some(code));
        if referred {
            violations.add(
                format!("{at}.code"),
                "another entry of this file refers to it",
            );
        }
        withdrawn.push(Withdrawal {
            code: entry.code.clone(),
            note: entry.note.clone(),
        });
    }
    withdrawn.sort_by(|a, b| a.code.cmp(&b.code));
    withdrawn
}

fn check_plans(
    entries: &[PlanEntry],
    indicators: &[Indicator],
    organizations: &[Organization],
    violations: &mut Violations,
) -> Vec<Plan> {
    let located = |index: usize, entry: &PlanEntry| format!("plan[{index}] {:?}", entry.code);
    check_codes(
        entries
            .iter()
            .enumerate()
            .map(|(index, entry)| (located(index, entry), entry.code.as_str())),
        violations,
    );
    let indicator_types: HashMap<&str, IndicatorType> = indicators
        .iter()
        .map(|indicator| (indicator.code.as_str(), indicator.indicator_type))
        .collect();

    let mut plans = Vec::new();
    for (index, entry) in entries.iter().enumerate() {
        let at = located(index, entry);
        let issued_on =
            parse_optional_date(&entry.issued_on, &format!("{at}.issued_on"), violations);
        if let Some(province) = &entry.province {
            let is_province = organizations
                .iter()
                .any(|org| &org.code == province && org.kind == OrganizationKind::Province);
            if !is_province {
                violations.add(
                    format!("{at}.province"),
                    format!("no province {province:?}"),
                );
            }
        }
        check_codes(
            entry
                .target
                .iter()
                .enumerate()
                .map(|(target_index, target)| {
                    (format!("{at}.target[{target_index}]"), target.code.as_str())
                }),
            violations,
        );
        let targets = entry
            .target
            .iter()
            .enumerate()
            .filter_map(|(target_index, target)| {
                let target_at = format!("{at}.target[{target_index}] {:?}", target.code);
                check_target(target, &target_at, &indicator_types, violations)
            })
            .collect();
        let tasks = check_tasks(&entry.task, &at, organizations, violations);
        plans.push(Plan {
            code: entry.code.clone(),
            name: entry.name.clone(),
            decision: entry.decision.clone(),
            issued_on,
            province_code: entry.province.clone(),
            targets,
            tasks,
        });
    }
    plans.sort_by(|a, b| a.code.cmp(&b.code));
    plans
}

fn check_target(
    entry: &TargetEntry,
    at: &str,
    indicator_types: &HashMap<&str, IndicatorType>,
    violations: &mut Violations,
) -> Option<Target> {
    let population = parse_word(
        &entry.population,
        Population::parse,
        Population::ALL,
        Population::as_str,
        &format!("{at}.population"),
        violations,
    );
    let check_indicator =
        |code: &str, usage: ConditionUse, field: &str, violations: &mut Violations| match (
            indicator_types.get(code),
            usage,
        ) {
            (None, _) => violations.add(field, format!("no indicator {code:?}")),
            (Some(IndicatorType::Boolean), ConditionUse::Boolean) => {}
            (Some(found), ConditionUse::Numeric) if found.is_numeric() => {}
            (Some(found), _) => violations.add(
                field,
                format!("{code:?} is a {found} indicator, which this rule cannot read"),
            ),
        };

    let rule = match entry.measure.as_str() {
        "agency_share" => {
            let Some(condition_entry) = &entry.condition else {
                violations.add(
                    format!("{at}.condition"),
                    "an agency_share target needs a condition",
                );
                return None;
            };
            let condition =
                parse_condition(condition_entry, &format!("{at}.condition"), violations)?;
            for (code, usage) in condition.indicators() {
                check_indicator(code, usage, &format!("{at}.condition"), violations);
            }
            TargetRule::AgencyShare {
                population: population?,
                condition,
            }
        }
        "people_share" => {
            for (field, codes) in [
                ("numerator", &entry.numerator),
                ("denominator", &entry.denominator),
            ] {
                if codes.is_empty() {
                    violations.add(format!("{at}.{field}"), "list the count indicators to sum");
                }
                for code in codes {
                    check_indicator(
                        code,
                        ConditionUse::Numeric,
                        &format!("{at}.{field}"),
                        violations,
                    );
                }
            }
            TargetRule::PeopleShare {
                population: population?,
                numerator: entry.numerator.clone(),
                denominator: entry.denominator.clone(),
            }
        }
        other => {
            violations.add(
                format!("{at}.measure"),
                format!("{other:?} is not one of: agency_share, people_share"),
            );
            return None;
        }
    };

    let mut milestones: Vec<Milestone> = Vec::new();
    let mut years = HashSet::new();
    for (milestone_index, milestone) in entry.milestones.iter().enumerate() {
        let milestone_at = format!("{at}.milestones[{milestone_index}]");
        if !years.insert(milestone.year) {
            violations.add(
                format!("{milestone_at}.year"),
                format!("{} has two milestones", milestone.year),
            );
        }
        let required = parse_share(
            &milestone.required,
            &format!("{milestone_at}.required"),
            violations,
        );
        let parameter = milestone
            .parameter
            .as_deref()
            .and_then(|text| parse_share(text, &format!("{milestone_at}.parameter"), violations));
        match (rule.needs_parameter(), &milestone.parameter) {
            (true, None) => violations.add(
                format!("{milestone_at}.parameter"),
                "this target's rule needs the milestone's parameter (such as the growth threshold)",
            ),
            (false, Some(_)) => violations.add(
                format!("{milestone_at}.parameter"),
                "this target's rule reads no parameter",
            ),
            _ => {}
        }
        if let Some(required_share_bp) = required {
            milestones.push(Milestone {
                year: milestone.year,
                required_share_bp,
                parameter_bp: parameter,
            });
        }
    }
    if entry.milestones.is_empty() {
        violations.add(
            format!("{at}.milestones"),
            "a target needs at least one milestone",
        );
    }
    milestones.sort_by_key(|milestone| milestone.year);

    Some(Target {
        code: entry.code.clone(),
        name: entry.name.clone(),
        rule,
        milestones,
    })
}

/// Checks the plausibility rules: known indicators of the right type, the parameters their kind
/// reads and no others, and expected ranges within the indicator's hard limits.
fn check_plausibility(
    entries: &[PlausibilityEntry],
    indicators: &[Indicator],
    violations: &mut Violations,
) -> Vec<PlausibilityRule> {
    let located =
        |index: usize, entry: &PlausibilityEntry| format!("plausibility[{index}] {:?}", entry.code);
    check_codes(
        entries
            .iter()
            .enumerate()
            .map(|(index, entry)| (located(index, entry), entry.code.as_str())),
        violations,
    );
    // An indicator a rule may name: its type, and its hard limits (none for a sum).
    let lookup = |code: &str| -> Option<(IndicatorType, Option<i64>, Option<i64>)> {
        if SUM_INDICATORS.contains(&code) {
            return Some((IndicatorType::Count, None, None));
        }
        indicators
            .iter()
            .find(|indicator| indicator.code == code)
            .map(|indicator| (indicator.indicator_type, indicator.min, indicator.max))
    };
    let mut rules = Vec::new();
    for (index, entry) in entries.iter().enumerate() {
        let at = located(index, entry);
        let given = [
            ("factor", entry.factor.is_some()),
            ("stable", entry.stable.is_some()),
            ("tolerance", entry.tolerance.is_some()),
            ("min", entry.min.is_some()),
            ("max", entry.max.is_some()),
        ];
        let reads: &[&str] = match entry.kind.as_str() {
            "change_beyond_factor" => &["factor"],
            "decrease_while_stable" => &["stable", "tolerance"],
            "yes_to_no" => &[],
            "outside_range" => &["min", "max"],
            other => {
                violations.add(
                    format!("{at}.kind"),
                    format!("{other:?} is not one of: {}", Check::KINDS.join(", ")),
                );
                continue;
            }
        };
        for (parameter, present) in given {
            if present && !reads.contains(&parameter) {
                violations.add(
                    format!("{at}.{parameter}"),
                    format!("a {} rule reads no {parameter}", entry.kind),
                );
            }
        }
        let check = match entry.kind.as_str() {
            "change_beyond_factor" => {
                let factor = match &entry.factor {
                    Some(toml::Value::Integer(whole)) => whole.checked_mul(100),
                    Some(toml::Value::String(text)) => {
                        formats::parse_decimal(text, 2, Sign::NonNegative)
                    }
                    _ => None,
                };
                match factor {
                    Some(hundredths) if hundredths > 100 => Some(Check::ChangeBeyondFactor {
                        factor_hundredths: hundredths,
                    }),
                    _ => {
                        violations.add(
                            format!("{at}.factor"),
                            "a factor above 1 is required: a whole number (3) or a string with at \
                             most two decimals (\"1.5\")",
                        );
                        None
                    }
                }
            }
            "decrease_while_stable" => {
                let tolerance = match &entry.tolerance {
                    Some(text) => parse_share(text, &format!("{at}.tolerance"), violations),
                    None => {
                        violations.add(
                            format!("{at}.tolerance"),
                            "required: how far the stable indicator may move, such as \"10%\"",
                        );
                        None
                    }
                };
                let stable = match &entry.stable {
                    Some(stable) => match lookup(stable) {
                        Some((found, _, _)) if found.is_numeric() => Some(stable.clone()),
                        Some((found, _, _)) => {
                            violations.add(
                                format!("{at}.stable"),
                                format!("{stable:?} is a {found} indicator, not a number"),
                            );
                            None
                        }
                        None => {
                            violations
                                .add(format!("{at}.stable"), format!("no indicator {stable:?}"));
                            None
                        }
                    },
                    None => {
                        violations.add(
                            format!("{at}.stable"),
                            "required: the indicator that must be stable",
                        );
                        None
                    }
                };
                match (stable, tolerance) {
                    (Some(stable), Some(tolerance_bp)) => Some(Check::DecreaseWhileStable {
                        stable,
                        tolerance_bp,
                    }),
                    _ => None,
                }
            }
            "yes_to_no" => Some(Check::YesToNo),
            _ => {
                if entry.min.is_none() && entry.max.is_none() {
                    violations.add(format!("{at}.min"), "give min, max or both");
                }
                if let (Some(min), Some(max)) = (entry.min, entry.max)
                    && min > max
                {
                    violations.add(format!("{at}.max"), format!("max {max} is below min {min}"));
                }
                if let Some((_, hard_min, hard_max)) = lookup(&entry.indicator) {
                    for (name, bound) in [("min", entry.min), ("max", entry.max)] {
                        let Some(bound) = bound else { continue };
                        if hard_min.is_some_and(|hard| bound < hard)
                            || hard_max.is_some_and(|hard| bound > hard)
                        {
                            violations.add(
                                format!("{at}.{name}"),
                                format!(
                                    "{bound} is outside the indicator's hard limits: the \
                                     expected range lies within them"
                                ),
                            );
                        }
                    }
                }
                Some(Check::OutsideRange {
                    min: entry.min,
                    max: entry.max,
                })
            }
        };
        match lookup(&entry.indicator) {
            None => violations.add(
                format!("{at}.indicator"),
                format!(
                    "no indicator {:?}: a field path of the report, or headcount / trained \
                     for the sum of the staff counts",
                    entry.indicator
                ),
            ),
            Some((found, _, _)) => {
                let fits = match &check {
                    Some(check) if check.reads_boolean() => found == IndicatorType::Boolean,
                    Some(_) => found.is_numeric(),
                    None => true,
                };
                if !fits {
                    violations.add(
                        format!("{at}.indicator"),
                        format!(
                            "{:?} is a {found} indicator, which a {} rule cannot read",
                            entry.indicator, entry.kind
                        ),
                    );
                }
            }
        }
        if let Some(check) = check {
            rules.push(PlausibilityRule {
                code: entry.code.clone(),
                indicator: entry.indicator.clone(),
                check,
                description: entry.description.clone(),
            });
        }
    }
    rules
}

fn parse_share(text: &str, field: &str, violations: &mut Violations) -> Option<u32> {
    match parse_percent(text) {
        Some(bp) if bp <= FULL_SHARE_BP => Some(bp),
        Some(_) => {
            violations.add(field, format!("{text:?} is more than 100%"));
            None
        }
        None => {
            violations.add(
                field,
                format!("{text:?} is not a percentage such as \"70%\""),
            );
            None
        }
    }
}

fn parse_condition(
    entry: &ConditionEntry,
    at: &str,
    violations: &mut Violations,
) -> Option<Condition> {
    let condition = match entry {
        ConditionEntry {
            yes: Some(indicator),
            indicator: None,
            at_least: None,
            all: None,
            growth_of: None,
            baseline: None,
        } => Condition::Yes {
            indicator: indicator.clone(),
        },
        ConditionEntry {
            yes: None,
            indicator: Some(indicator),
            at_least: Some(value),
            all: None,
            growth_of: None,
            baseline: None,
        } => Condition::AtLeast {
            indicator: indicator.clone(),
            value: *value,
        },
        ConditionEntry {
            yes: None,
            indicator: None,
            at_least: None,
            all: Some(all),
            growth_of: None,
            baseline: None,
        } => {
            let parsed: Vec<_> = all
                .iter()
                .enumerate()
                .map(|(index, part)| {
                    parse_condition(part, &format!("{at}.all[{index}]"), violations)
                })
                .collect();
            Condition::All {
                all: parsed.into_iter().collect::<Option<_>>()?,
            }
        }
        ConditionEntry {
            yes: None,
            indicator: None,
            at_least: None,
            all: None,
            growth_of: Some(indicator),
            baseline: Some(baseline),
        } => {
            let baseline = match baseline {
                toml::Value::String(text) if text == "previous_year" => Baseline::PreviousYear,
                toml::Value::Integer(year) => Baseline::Year(i32::try_from(*year).ok()?),
                other => {
                    violations.add(
                        format!("{at}.baseline"),
                        format!("{other} is neither \"previous_year\" nor a year"),
                    );
                    return None;
                }
            };
            Condition::GrowthAtLeastParameter {
                indicator: indicator.clone(),
                baseline,
            }
        }
        _ => {
            violations.add(
                at,
                "a condition is one of { yes = \"indicator\" }, { indicator = \"x\", at_least = 3 }, \
                 { all = [...] } or { growth_of = \"indicator\", baseline = \"previous_year\" | YEAR }",
            );
            return None;
        }
    };
    Some(condition)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_catalogue_is_valid() {
        let catalog = Catalog::from_toml(DEFAULT_CATALOG).unwrap_or_else(|error| match error {
            CatalogError::Invalid(violations) => panic!(
                "{}",
                violations
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("\n")
            ),
            other => panic!("{other}"),
        });
        let years: Vec<_> = catalog.periods.iter().map(|period| period.year).collect();
        assert_eq!(years, (2023..=2030).collect::<Vec<_>>());
        assert_eq!(catalog.indicators.len(), REPORT_FIELDS.len());
        assert!(catalog.plans.len() >= 2);
    }

    #[test]
    fn plausibility_rules_are_checked_every_problem_at_once() {
        let catalog = Catalog::from_toml(DEFAULT_CATALOG).unwrap();
        let codes: Vec<_> = catalog
            .plausibility
            .iter()
            .map(|rule| rule.code.as_str())
            .collect();
        assert!(codes.contains(&"revenue_factor") && codes.contains(&"fewer_trained"));
        let revenue = &catalog.plausibility[0];
        assert_eq!(
            revenue.check,
            Check::ChangeBeyondFactor {
                factor_hundredths: 300
            }
        );

        let rules = r#"
            [[plausibility]]
            code = "a"
            indicator = "revenue"
            kind = "change_beyond_factor"
            factor = 1

            [[plausibility]]
            code = "b"
            indicator = "revenue_vnd"
            kind = "yes_to_no"

            [[plausibility]]
            code = "c"
            indicator = "trained"
            kind = "decrease_while_stable"
            stable = "converged_newsroom"
            tolerance = "10"

            [[plausibility]]
            code = "d"
            indicator = "security_level"
            kind = "outside_range"
            min = 0
            factor = "1.5"

            [[plausibility]]
            code = "a"
            indicator = "headcount"
            kind = "sometimes"
        "#;
        let text = format!(
            "{DEFAULT_CATALOG}
{rules}"
        );
        let Err(CatalogError::Invalid(violations)) = Catalog::from_toml(&text) else {
            panic!("expected problems");
        };
        let fields: Vec<_> = violations.iter().map(|v| v.field.as_str()).collect();
        for expected in [
            r#"plausibility[9] "a".indicator"#,
            r#"plausibility[9] "a".factor"#,
            r#"plausibility[10] "b".indicator"#,
            r#"plausibility[11] "c".stable"#,
            r#"plausibility[11] "c".tolerance"#,
            r#"plausibility[12] "d".min"#,
            r#"plausibility[12] "d".factor"#,
            r#"plausibility[13] "a".code"#,
            r#"plausibility[13] "a".kind"#,
        ] {
            assert!(
                fields.contains(&expected),
                "{expected} missing from {fields:#?}"
            );
        }
    }

    #[test]
    fn every_problem_is_reported_with_where_it_is() {
        let file = r#"
            [[period]]
            code = "2025"
            year = 2025
            window_start = "2025-12-15"
            window_end = "2025-02-30"
            deadline = "15 November"

            [[organization]]
            code = "bao-x"
            kind = "press_agency"
            name = "Báo X"
            province = "nowhere"

            [[organization]]
            code = "bao-x"
            kind = "newspaper"
            name = ""

            [[organization]]
            code = "bao-y"
            kind = "press_agency"
            name = "Báo Y"
            agency_type = "local_newspaper"
            valid_from = "2025-07-01"
            predecessors = [
              { code = "bao-x", kind = "merger" },
              { code = "bao-x", kind = "merger", effective_on = "2025-01-01" },
            ]
        "#;
        let Err(CatalogError::Invalid(violations)) = Catalog::from_toml(file) else {
            panic!("expected problems");
        };
        let fields: Vec<_> = violations.iter().map(|v| v.field.as_str()).collect();
        for expected in [
            r#"period[0] "2025".window_end"#,
            r#"period[0] "2025".deadline"#,
            r#"organization[1] "bao-x".code"#,
            r#"organization[1] "bao-x".kind"#,
            r#"organization[1] "bao-x".name"#,
            r#"organization[0] "bao-x".agency_type"#,
            r#"organization[0] "bao-x".province"#,
            r#"organization[2] "bao-y".predecessors[1].code"#,
            "indicator",
        ] {
            assert!(
                fields.contains(&expected),
                "{expected} missing from {fields:#?}"
            );
        }
    }
}
