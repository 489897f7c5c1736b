//! `[[organization]]` with its predecessors and changes, and `[[withdrawn]]`: who reports, who
//! governs whom, and which organisation continues which.

use std::collections::HashMap;

use chrono::NaiveDate;
use serde::Deserialize;

use super::{check_codes, parse_date, parse_optional_date, parse_word};
use crate::domain::catalog::Withdrawal;
use crate::domain::organization::{
    AgencyType, LinkKind, Organization, OrganizationKind, OrganizationLink, OrganizationVersion,
};
use crate::domain::plan::Plan;
use crate::domain::violation::Violations;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct WithdrawnEntry {
    code: String,
    note: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct OrganizationEntry {
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

pub(super) fn check_organizations(
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
pub(super) fn check_withdrawn(
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
