//! The catalogue, read from its file as the format in the header of catalog/default.toml
//! documents it, into the model the recomputation works on.

use std::cell::RefCell;
use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Deserialize;

use super::NATIONAL;

#[derive(Deserialize)]
pub(super) struct CatalogFile {
    #[serde(default)]
    pub(super) period: Vec<PeriodEntry>,
    #[serde(default)]
    pub(super) organization: Vec<OrganizationEntry>,
    #[serde(default)]
    pub(super) plan: Vec<PlanEntry>,
}

#[derive(Deserialize)]
pub(super) struct PeriodEntry {
    pub(super) year: i32,
    pub(super) window_end: String,
}

#[derive(Deserialize)]
pub(super) struct OrganizationEntry {
    pub(super) code: String,
    pub(super) kind: String,
    pub(super) valid_from: Option<String>,
    pub(super) valid_until: Option<String>,
    pub(super) province: Option<String>,
    pub(super) governing_body: Option<String>,
    pub(super) agency_type: Option<String>,
    #[serde(default)]
    pub(super) publishes_electronic_press: bool,
    #[serde(default)]
    pub(super) predecessors: Vec<LinkEntry>,
    #[serde(default)]
    pub(super) changes: Vec<ChangeEntry>,
}

#[derive(Deserialize)]
pub(super) struct LinkEntry {
    pub(super) code: String,
    pub(super) effective_on: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct ChangeEntry {
    pub(super) from: String,
    pub(super) province: Option<String>,
    pub(super) governing_body: Option<String>,
    pub(super) agency_type: Option<String>,
    pub(super) publishes_electronic_press: Option<bool>,
}

#[derive(Deserialize)]
pub(super) struct PlanEntry {
    pub(super) code: String,
    #[serde(default)]
    pub(super) target: Vec<TargetEntry>,
}

#[derive(Deserialize)]
pub(super) struct TargetEntry {
    pub(super) code: String,
    pub(super) measure: String,
    pub(super) population: String,
    pub(super) condition: Option<toml::Value>,
    #[serde(default)]
    pub(super) numerator: Vec<String>,
    #[serde(default)]
    pub(super) denominator: Vec<String>,
    pub(super) milestones: Vec<MilestoneEntry>,
}

#[derive(Deserialize)]
pub(super) struct MilestoneEntry {
    pub(super) year: i32,
    pub(super) required: String,
    pub(super) parameter: Option<String>,
}

pub(super) struct Org {
    pub(super) code: String,
    pub(super) kind: String,
    pub(super) from: Option<NaiveDate>,
    pub(super) until: Option<NaiveDate>,
    /// Oldest first; the first starts with the organisation.
    pub(super) versions: Vec<Version>,
}

#[derive(Clone, PartialEq)]
pub(super) struct Version {
    pub(super) from: Option<NaiveDate>,
    pub(super) province: Option<String>,
    pub(super) body: Option<String>,
    pub(super) agency_type: Option<String>,
    pub(super) electronic: bool,
}

impl Org {
    /// valid_from <= d < valid_until, an empty bound being open.
    pub(super) fn exists(&self, date: NaiveDate) -> bool {
        self.from.is_none_or(|from| from <= date) && self.until.is_none_or(|until| date < until)
    }

    /// The version in force on a date within the lifetime.
    pub(super) fn on(&self, date: NaiveDate) -> &Version {
        self.versions
            .iter()
            .rev()
            .find(|version| version.from.is_none_or(|from| from <= date))
            .unwrap_or(&self.versions[0])
    }
}

/// "successor continues predecessor from effective".
pub(super) struct Link {
    pub(super) successor: String,
    pub(super) predecessor: String,
    pub(super) effective: NaiveDate,
}

pub(super) struct Period {
    pub(super) year: i32,
    pub(super) reference: NaiveDate,
}

pub(super) struct Target {
    pub(super) code: String,
    pub(super) rule: Rule,
    pub(super) electronic_only: bool,
    pub(super) milestones: Vec<Milestone>,
}

pub(super) enum Rule {
    Agencies(Condition),
    People {
        numerator: Vec<String>,
        denominator: Vec<String>,
    },
}

pub(super) enum Condition {
    Yes(String),
    AtLeast(String, i64),
    All(Vec<Condition>),
    /// The baseline year is fixed, or (None) the previous year.
    Growth(String, Option<i32>),
}

pub(super) struct Milestone {
    pub(super) year: i32,
    pub(super) required_bp: i64,
    pub(super) parameter_bp: Option<i64>,
}

pub(super) struct Model {
    pub(super) orgs: BTreeMap<String, Org>,
    pub(super) links: Vec<Link>,
    pub(super) periods: Vec<Period>,
    pub(super) targets: Vec<Target>,
    /// How often each kind of case came up in the recomputation, so that the test can insist
    /// that the random data reach them all.
    pub(super) tally: RefCell<BTreeMap<&'static str, usize>>,
}

pub(super) fn date(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap_or_else(|_| panic!("a date: {text}"))
}

/// "70%", "12.5%" in basis points.
pub(super) fn percent(text: &str) -> i64 {
    let number = text.strip_suffix('%').expect("a percentage");
    let (whole, decimals) = number.split_once('.').unwrap_or((number, ""));
    let decimals = format!("{decimals:0<2}");
    whole.parse::<i64>().expect("a percentage") * 100
        + decimals.parse::<i64>().expect("a percentage")
}

pub(super) fn condition(value: &toml::Value) -> Condition {
    let table = value.as_table().expect("a condition is a table");
    let text = |key: &str| table.get(key).and_then(|v| v.as_str()).map(str::to_string);
    if let Some(field) = text("yes") {
        Condition::Yes(field)
    } else if let Some(field) = text("indicator") {
        let at_least = table.get("at_least").and_then(|v| v.as_integer());
        Condition::AtLeast(field, at_least.expect("at_least"))
    } else if let Some(parts) = table.get("all").and_then(|v| v.as_array()) {
        Condition::All(parts.iter().map(condition).collect())
    } else if let Some(field) = text("growth_of") {
        let baseline = table.get("baseline").expect("a baseline");
        let year = baseline.as_integer().map(|year| year as i32);
        assert!(year.is_some() || baseline.as_str() == Some("previous_year"));
        Condition::Growth(field, year)
    } else {
        panic!("an unknown condition: {value}")
    }
}

impl Model {
    pub(super) fn parse(text: &str) -> Model {
        let file: CatalogFile = toml::from_str(text).expect("the catalogue parses");
        let mut orgs = BTreeMap::new();
        let mut links = Vec::new();
        for entry in file.organization {
            let from = entry.valid_from.as_deref().map(date);
            let until = entry.valid_until.as_deref().map(date);
            let mut versions = vec![Version {
                from,
                province: entry.province.clone(),
                body: entry.governing_body.clone(),
                agency_type: entry.agency_type.clone(),
                electronic: entry.publishes_electronic_press,
            }];
            for change in &entry.changes {
                let mut next = versions.last().expect("a first version").clone();
                next.from = Some(date(&change.from));
                if let Some(province) = &change.province {
                    next.province = Some(province.clone());
                }
                if let Some(body) = &change.governing_body {
                    next.body = Some(body.clone());
                }
                if let Some(agency_type) = &change.agency_type {
                    next.agency_type = Some(agency_type.clone());
                }
                if let Some(electronic) = change.publishes_electronic_press {
                    next.electronic = electronic;
                }
                versions.push(next);
            }
            for link in &entry.predecessors {
                // effective_on defaults to this organisation's valid_from.
                let effective = link.effective_on.as_deref().map(date).or(from);
                links.push(Link {
                    successor: entry.code.clone(),
                    predecessor: link.code.clone(),
                    effective: effective.expect("a link's date"),
                });
            }
            orgs.insert(
                entry.code.clone(),
                Org {
                    code: entry.code,
                    kind: entry.kind,
                    from,
                    until,
                    versions,
                },
            );
        }
        let periods = file
            .period
            .iter()
            .map(|period| Period {
                year: period.year,
                reference: date(&period.window_end),
            })
            .collect();
        let plan = file
            .plan
            .into_iter()
            .find(|plan| plan.code == NATIONAL)
            .expect("the national plan");
        let targets = plan
            .target
            .into_iter()
            .map(|target| {
                let rule = match target.measure.as_str() {
                    "agency_share" => {
                        Rule::Agencies(condition(target.condition.as_ref().expect("a condition")))
                    }
                    "people_share" => Rule::People {
                        numerator: target.numerator,
                        denominator: target.denominator,
                    },
                    other => panic!("an unknown measure {other}"),
                };
                let mut milestones: Vec<Milestone> = target
                    .milestones
                    .iter()
                    .map(|m| Milestone {
                        year: m.year,
                        required_bp: percent(&m.required),
                        parameter_bp: m.parameter.as_deref().map(percent),
                    })
                    .collect();
                milestones.sort_by_key(|m| m.year);
                Target {
                    code: target.code,
                    rule,
                    electronic_only: target.population == "electronic_press_agencies",
                    milestones,
                }
            })
            .collect();
        Model {
            orgs,
            links,
            periods,
            targets,
            tally: RefCell::default(),
        }
    }

    pub(super) fn count(&self, case: &'static str) {
        *self.tally.borrow_mut().entry(case).or_default() += 1;
    }

    pub(super) fn period(&self, year: i32) -> Option<&Period> {
        self.periods.iter().find(|period| period.year == year)
    }

    pub(super) fn agencies(&self) -> impl Iterator<Item = &Org> {
        self.orgs.values().filter(|org| org.kind == "press_agency")
    }

    pub(super) fn exists(&self, code: &str, date: NaiveDate) -> bool {
        self.orgs.get(code).is_some_and(|org| org.exists(date))
    }
}
