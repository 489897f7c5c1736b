//! The served figures against a recomputation written from the words of
//! proto/pressdx/v1/summary.proto alone (Dates, Made of, Scopes, Boundaries, How a figure is
//! computed, the trend, Status) and the catalogue format in the header of catalog/default.toml.
//!
//! Each seed draws a catalogue on top of the default one: provinces merged into new ones or
//! absorbed by a neighbour, governing bodies merged, press agencies absorbed, merged into new
//! agencies, renamed, closed, founded, moving province and changing type or electronic press on
//! dates that fall on, just before and just after the periods' reference dates. Every agency
//! existing on a period's reference date may report for it (sometimes twice, sometimes with
//! revenue or a staff count unset). Then every scope (country, each agency type, province,
//! governing body and agency) is read for 2024-2026 under HISTORICAL and under CURRENT with
//! several as_of dates, and every figure of the national plan is compared with the
//! recomputation. Nothing here reads the server's own rules (src/domain/scope.rs, summary.rs,
//! evaluation.rs, status.rs): the model below parses the catalogue file itself. The default
//! catalogue's revenue, digital revenue, headcount.editors and trained.other are made optional
//! in the copy loaded here, so that reports can leave them unset. Failures are gathered and
//! reported together, grouped by the field that differs, each naming seed, scope, period,
//! boundaries and target; the test also insists that the seeds reach every case the rules
//! distinguish (`REACHED`), so that a change to the generator cannot quietly thin it out.
//!
//! Where the proto is silent the most literal reading is taken: repeated fields whose order it
//! does not give (missing_agency_codes, not_evaluable, instead_codes) are compared as sets.

use std::cell::RefCell;
use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use crate::common::TEST_CATALOG;
use chrono::{Days, NaiveDate};
use pressdx::cli::client::Connection;
use pressdx::proto::summary_service_client::SummaryServiceClient;
use pressdx::proto::{
    AnnualReport, Boundaries, DigitalPlatform, ListTargetSummariesRequest, PlatformOrigin,
    StaffCounts, TargetStatus, TargetSummary, scope_absence,
};
use serde::Deserialize;
use tokio::task::JoinSet;

use super::fixtures::{new_id, request};
use crate::common::{Backend, TestApp};

const NATIONAL: &str = "national-348-qd-ttg";
const SEEDS: [u64; 4] = [3, 2_024, 31_337, 777_777];
/// The report years, and the years whose figures are read (their trend reads the year before).
const REPORT_YEARS: [i32; 4] = [2023, 2024, 2025, 2026];
const READ_YEARS: [i32; 3] = [2024, 2025, 2026];
const AGENCY_TYPES: [&str; 6] = [
    "central_newspaper",
    "local_newspaper",
    "magazine",
    "scientific_journal",
    "radio_tv",
    "local_newspaper_radio_tv",
];
/// Dates next to the periods' reference dates (window_end, 14 December), where boundaries bite.
const EDGE_DATES: [&str; 9] = [
    "2024-12-13",
    "2024-12-14",
    "2024-12-15",
    "2025-12-13",
    "2025-12-14",
    "2025-12-15",
    "2026-12-13",
    "2026-12-14",
    "2026-12-15",
];
/// The cases the seeds must reach between them (see `Model::count`).
const REACHED: [&str; 25] = [
    "status: share exactly the requirement",
    "made of: a link taking effect on the date, its predecessor there",
    "absence: not yet formed, from nothing",
    "absence: not yet formed, made of others",
    "absence: ended, no successor",
    "absence: ended, continued",
    "CURRENT: read back over other organisations",
    "CURRENT: reference date after as_of, ended by then",
    "HISTORICAL trend: taken as it stood on R",
    "growth: baseline of other organisations",
    "growth: short of the threshold",
    "growth: exactly the threshold",
    "growth: above the threshold",
    "growth: baseline not above zero",
    "growth: baseline unknown",
    "growth: x not set",
    "people: a count left unset",
    "population: the catalogue, not the report, says electronic",
    "status: achieved",
    "status: on track",
    "status: acceleration needed",
    "status: limited progress",
    "status: deterioration",
    "status: no data",
    "status: no trend",
];
/// How many summary requests are in flight at once.
const IN_FLIGHT: usize = 16;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn figures_equal_a_recomputation_from_the_proto_under_both_boundaries() {
    let backend = crate::BACKEND;
    let mut failures = Vec::new();
    let mut tally: BTreeMap<&'static str, usize> = BTreeMap::new();
    for seed in SEEDS {
        check_seed(backend, seed, &mut failures, &mut tally).await;
    }
    // The random data must reach every case the rules distinguish.
    let unreached: Vec<&str> = REACHED
        .into_iter()
        .filter(|case| !tally.contains_key(case))
        .collect();
    if failures.is_empty() && unreached.is_empty() {
        return;
    }
    // Grouped by what differs, a few cases of each, so that one disagreement does not hide
    // another.
    let mut by_kind: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (what, message) in &failures {
        by_kind.entry(what).or_default().push(message);
    }
    let mut report = format!(
        "{} figure(s) differ from the recomputation from the proto\n",
        failures.len()
    );
    for (what, messages) in by_kind {
        report.push_str(&format!(
            "-- {what}: {} case(s), for example\n",
            messages.len()
        ));
        for message in messages.iter().take(5) {
            report.push_str(&format!("   {message}\n"));
        }
    }
    if !unreached.is_empty() {
        report.push_str(&format!(
            "the seeds never reach {unreached:?}; reached: {tally:#?}\n"
        ));
    }
    panic!("{report}");
}

async fn check_seed(
    backend: Backend,
    seed: u64,
    failures: &mut Vec<(String, String)>,
    tally: &mut BTreeMap<&'static str, usize>,
) {
    let mut random = Random::new(seed);
    let base_text = base_catalog();
    let base = Model::parse(&base_text);
    let generated = generate_catalog(&mut random, &base);
    let text = format!("{base_text}\n{}", generated.text);
    let model = Model::parse(&text);

    let app = TestApp::spawn(backend).await;
    app.apply_catalog(&text).await;

    // Reports: every agency existing on a period's reference date may report for it.
    let mut reports: BTreeMap<(String, i32), AnnualReport> = BTreeMap::new();
    for year in REPORT_YEARS {
        let reference = model.period(year).expect("a report year").reference;
        for org in model.agencies() {
            if !org.exists(reference) || !random.chance(85) {
                continue;
            }
            let revisions = if random.chance(15) { 2 } else { 1 };
            for _ in 0..revisions {
                let report = random_report(&mut random);
                app.submit(request(
                    &new_id(),
                    &org.code,
                    &year.to_string(),
                    report.clone(),
                ))
                .await
                .unwrap_or_else(|status| {
                    panic!("seed {seed}: {} {year} was refused: {status:?}", org.code)
                });
                reports.insert((org.code.clone(), year), report);
            }
        }
    }

    // Scopes: the country, every block, every province, governing body and agency.
    let mut scopes = vec![Scope::Country];
    scopes.extend(AGENCY_TYPES.iter().map(|t| Scope::Type(t.to_string())));
    for org in model.orgs.values() {
        match org.kind.as_str() {
            "province" => scopes.push(Scope::Province(org.code.clone())),
            "governing_body" => scopes.push(Scope::Body(org.code.clone())),
            "press_agency" => scopes.push(Scope::Agency(org.code.clone())),
            _ => {}
        }
    }
    let mut withins = vec![Within::Historical];
    withins.extend(generated.as_of.iter().map(|date| Within::Current(*date)));

    let mut cases = Vec::new();
    for scope in &scopes {
        for year in READ_YEARS {
            for within in &withins {
                cases.push((scope.clone(), year, *within));
            }
        }
    }
    let served = serve_all(&app.summaries, &cases).await;

    for ((scope, year, within), response) in cases.iter().zip(served) {
        let context = format!(
            "seed {seed}, scope {}, period {year}, {within}",
            scope.text()
        );
        let summaries = match response {
            Ok(summaries) => summaries,
            Err(status) => {
                failures.push((
                    "the request".to_string(),
                    format!("{context}: the request failed: {status:?}"),
                ));
                continue;
            }
        };
        for target in &model.targets {
            let context = format!("{context}, target {}", target.code);
            let Some(summary) = summaries.iter().find(|s| s.target_code == target.code) else {
                failures.push(("served".to_string(), format!("{context}: not served")));
                continue;
            };
            let expected = model.expected(target, scope, *within, *year, &reports);
            compare(&context, &expected, *within, summary, failures);
        }
    }
    for (case, count) in model.tally.take() {
        *tally.entry(case).or_default() += count;
    }
}

/// Every case's ListTargetSummaries, in the order of `cases`, a few at a time.
async fn serve_all(
    client: &SummaryServiceClient<Connection>,
    cases: &[(Scope, i32, Within)],
) -> Vec<Result<Vec<TargetSummary>, tonic::Status>> {
    let mut results: Vec<Option<Result<Vec<TargetSummary>, tonic::Status>>> =
        (0..cases.len()).map(|_| None).collect();
    let mut running = JoinSet::new();
    let mut next = 0;
    loop {
        while running.len() < IN_FLIGHT && next < cases.len() {
            let (scope, year, within) = &cases[next];
            let (boundaries, as_of) = match within {
                // UNSPECIFIED is HISTORICAL: 2025 is asked for without boundaries.
                Within::Historical if *year == 2025 => (Boundaries::Unspecified, String::new()),
                Within::Historical => (Boundaries::Historical, String::new()),
                Within::Current(date) => (Boundaries::Current, date.to_string()),
            };
            let request = ListTargetSummariesRequest {
                plan_code: NATIONAL.into(),
                period_code: year.to_string(),
                scope: scope.text(),
                boundaries: boundaries.into(),
                as_of,
                ..Default::default()
            };
            let mut client = client.clone();
            let index = next;
            running.spawn(async move {
                let response = client.list_target_summaries(request).await;
                (index, response.map(|r| r.into_inner().summaries))
            });
            next += 1;
        }
        match running.join_next().await {
            Some(done) => {
                let (index, response) = done.expect("a summary request task");
                results[index] = Some(response);
            }
            None => break,
        }
    }
    results
        .into_iter()
        .map(|result| result.expect("every case answered"))
        .collect()
}

// ---- The comparison ------------------------------------------------------------------------

fn compare(
    context: &str,
    expected: &Expected,
    within: Within,
    served: &TargetSummary,
    failures: &mut Vec<(String, String)>,
) {
    let mut differ = |what: &str, expected: String, served: String| {
        if expected != served {
            failures.push((
                what.to_string(),
                format!("{context}: {what}: recomputed {expected}, served {served}"),
            ));
        }
    };
    let figure = &expected.figure;
    differ(
        "numerator/denominator",
        format!("{}/{}", figure.numerator, figure.denominator),
        format!("{}/{}", served.numerator, served.denominator),
    );
    differ(
        "evaluated_denominator",
        figure.evaluated_denominator.to_string(),
        served.evaluated_denominator.to_string(),
    );
    differ(
        "expected/reporting/evaluated agencies",
        format!(
            "{}/{}/{}",
            figure.expected, figure.reporting, figure.evaluated
        ),
        format!(
            "{}/{}/{}",
            served.expected_agencies, served.reporting_agencies, served.evaluated_agencies
        ),
    );
    differ(
        "missing_agency_codes",
        format!("{:?}", figure.missing),
        format!(
            "{:?}",
            served
                .missing_agency_codes
                .iter()
                .cloned()
                .collect::<BTreeSet<_>>()
        ),
    );
    differ(
        "not_evaluable",
        format!("{:?}", figure.not_evaluable),
        format!(
            "{:?}",
            served
                .not_evaluable
                .iter()
                .map(|n| n.agency_code.clone())
                .collect::<BTreeSet<_>>()
        ),
    );
    if let Some(share) = expected.share {
        differ("share", show(Some(share)), show_f64(Some(served.share)));
    }
    differ(
        "previous_share",
        show(expected.previous),
        show_f64(served.previous_share),
    );
    differ(
        "status",
        format!("{:?}", expected.status),
        format!("{:?}", served.status()),
    );
    let (applies, interpolated) = match expected.requirement {
        Some((_, interpolated)) => (true, interpolated),
        None => (false, false),
    };
    differ(
        "requirement_applies/required_share_interpolated",
        format!("{applies}/{interpolated}"),
        format!(
            "{}/{}",
            served.requirement_applies, served.required_share_interpolated
        ),
    );
    if let Some((required, _)) = expected.requirement {
        differ(
            "required_share",
            show(Some(required)),
            show_f64(Some(served.required_share)),
        );
    }
    differ(
        "parameter_bp",
        format!("{:?}", expected.parameter),
        format!("{:?}", served.parameter_bp.map(i64::from)),
    );
    // The figures behind the status, where the status was reached through them.
    if matches!(
        expected.status,
        TargetStatus::OnTrack
            | TargetStatus::AccelerationNeeded
            | TargetStatus::LimitedProgress
            | TargetStatus::Deterioration
    ) {
        if let Some((year, share)) = expected.next {
            differ(
                "next milestone",
                format!("{year} {}", show(Some(share))),
                format!(
                    "{} {}",
                    served.next_milestone_year,
                    show_f64(Some(served.next_milestone_share))
                ),
            );
        }
        differ(
            "needed_yearly_progress",
            show(expected.needed),
            show_f64(served.needed_yearly_progress),
        );
        differ(
            "observed_yearly_progress",
            show(expected.observed),
            show_f64(served.observed_yearly_progress),
        );
    }

    // How the scope was read.
    let resolution = served.scope_resolution.clone().unwrap_or_default();
    let (boundaries, as_of) = match within {
        Within::Historical => (Boundaries::Historical, String::new()),
        Within::Current(date) => (Boundaries::Current, date.to_string()),
    };
    differ(
        "scope_resolution boundaries/as_of",
        format!("{boundaries:?} {as_of:?}"),
        format!("{:?} {:?}", resolution.boundaries(), resolution.as_of),
    );
    let served_absence = resolution.absence.map(|absence| {
        format!(
            "{} on {}: {:?} instead {:?}",
            absence.organization_code,
            absence.date,
            absence.reason(),
            absence.instead_codes.into_iter().collect::<BTreeSet<_>>()
        )
    });
    let expected_absence = expected.absence.as_ref().map(|absence| {
        format!(
            "{} on {}: {:?} instead {:?}",
            absence.code, absence.date, absence.reason, absence.instead
        )
    });
    differ(
        "scope_resolution.absence",
        format!("{expected_absence:?}"),
        format!("{served_absence:?}"),
    );
}

/// A fraction as the double the server sends, to 9 decimals (the doubles are for display).
fn show(value: Option<Frac>) -> String {
    show_f64(value.map(Frac::to_f64))
}

fn show_f64(value: Option<f64>) -> String {
    match value {
        // Adding 0.0 turns -0.0 into 0.0.
        Some(value) => format!("{:.9}", value + 0.0),
        None => "none".to_string(),
    }
}

// ---- The catalogue, as the file format documents it ------------------------------------------

#[derive(Deserialize)]
struct CatalogFile {
    #[serde(default)]
    period: Vec<PeriodEntry>,
    #[serde(default)]
    organization: Vec<OrganizationEntry>,
    #[serde(default)]
    plan: Vec<PlanEntry>,
}

#[derive(Deserialize)]
struct PeriodEntry {
    year: i32,
    window_end: String,
}

#[derive(Deserialize)]
struct OrganizationEntry {
    code: String,
    kind: String,
    valid_from: Option<String>,
    valid_until: Option<String>,
    province: Option<String>,
    governing_body: Option<String>,
    agency_type: Option<String>,
    #[serde(default)]
    publishes_electronic_press: bool,
    #[serde(default)]
    predecessors: Vec<LinkEntry>,
    #[serde(default)]
    changes: Vec<ChangeEntry>,
}

#[derive(Deserialize)]
struct LinkEntry {
    code: String,
    effective_on: Option<String>,
}

#[derive(Deserialize)]
struct ChangeEntry {
    from: String,
    province: Option<String>,
    governing_body: Option<String>,
    agency_type: Option<String>,
    publishes_electronic_press: Option<bool>,
}

#[derive(Deserialize)]
struct PlanEntry {
    code: String,
    #[serde(default)]
    target: Vec<TargetEntry>,
}

#[derive(Deserialize)]
struct TargetEntry {
    code: String,
    measure: String,
    population: String,
    condition: Option<toml::Value>,
    #[serde(default)]
    numerator: Vec<String>,
    #[serde(default)]
    denominator: Vec<String>,
    milestones: Vec<MilestoneEntry>,
}

#[derive(Deserialize)]
struct MilestoneEntry {
    year: i32,
    required: String,
    parameter: Option<String>,
}

struct Org {
    code: String,
    kind: String,
    from: Option<NaiveDate>,
    until: Option<NaiveDate>,
    /// Oldest first; the first starts with the organisation.
    versions: Vec<Version>,
}

#[derive(Clone, PartialEq)]
struct Version {
    from: Option<NaiveDate>,
    province: Option<String>,
    body: Option<String>,
    agency_type: Option<String>,
    electronic: bool,
}

impl Org {
    /// valid_from <= d < valid_until, an empty bound being open.
    fn exists(&self, date: NaiveDate) -> bool {
        self.from.is_none_or(|from| from <= date) && self.until.is_none_or(|until| date < until)
    }

    /// The version in force on a date within the lifetime.
    fn on(&self, date: NaiveDate) -> &Version {
        self.versions
            .iter()
            .rev()
            .find(|version| version.from.is_none_or(|from| from <= date))
            .unwrap_or(&self.versions[0])
    }
}

/// "successor continues predecessor from effective".
struct Link {
    successor: String,
    predecessor: String,
    effective: NaiveDate,
}

struct Period {
    year: i32,
    reference: NaiveDate,
}

struct Target {
    code: String,
    rule: Rule,
    electronic_only: bool,
    milestones: Vec<Milestone>,
}

enum Rule {
    Agencies(Condition),
    People {
        numerator: Vec<String>,
        denominator: Vec<String>,
    },
}

enum Condition {
    Yes(String),
    AtLeast(String, i64),
    All(Vec<Condition>),
    /// The baseline year is fixed, or (None) the previous year.
    Growth(String, Option<i32>),
}

struct Milestone {
    year: i32,
    required_bp: i64,
    parameter_bp: Option<i64>,
}

struct Model {
    orgs: BTreeMap<String, Org>,
    links: Vec<Link>,
    periods: Vec<Period>,
    targets: Vec<Target>,
    /// How often each kind of case came up in the recomputation, so that the test can insist
    /// that the random data reach them all.
    tally: RefCell<BTreeMap<&'static str, usize>>,
}

fn date(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap_or_else(|_| panic!("a date: {text}"))
}

/// "70%", "12.5%" in basis points.
fn percent(text: &str) -> i64 {
    let number = text.strip_suffix('%').expect("a percentage");
    let (whole, decimals) = number.split_once('.').unwrap_or((number, ""));
    let decimals = format!("{decimals:0<2}");
    whole.parse::<i64>().expect("a percentage") * 100
        + decimals.parse::<i64>().expect("a percentage")
}

fn condition(value: &toml::Value) -> Condition {
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
    fn parse(text: &str) -> Model {
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

    fn count(&self, case: &'static str) {
        *self.tally.borrow_mut().entry(case).or_default() += 1;
    }

    fn period(&self, year: i32) -> Option<&Period> {
        self.periods.iter().find(|period| period.year == year)
    }

    fn agencies(&self) -> impl Iterator<Item = &Org> {
        self.orgs.values().filter(|org| org.kind == "press_agency")
    }

    fn exists(&self, code: &str, date: NaiveDate) -> bool {
        self.orgs.get(code).is_some_and(|org| org.exists(date))
    }

    /// Made of: the organisations X, taken as it stood on `taken_on` (None: the end of the
    /// catalogue's time), was made of on `on`: X itself if it exists on `on`, and every
    /// organisation existing on `on` that X continues through a chain of links each taking
    /// effect after `on` and on or before `taken_on`.
    fn made_of(&self, x: &str, taken_on: Option<NaiveDate>, on: NaiveDate) -> BTreeSet<String> {
        let mut made_of = BTreeSet::new();
        if self.exists(x, on) {
            made_of.insert(x.to_string());
        }
        let mut seen = BTreeSet::from([x.to_string()]);
        let mut to_follow = vec![x.to_string()];
        while let Some(successor) = to_follow.pop() {
            for link in &self.links {
                if link.successor == successor
                    && link.effective == on
                    && self.exists(&link.predecessor, on)
                {
                    self.count("made of: a link taking effect on the date, its predecessor there");
                }
                if link.successor == successor
                    && link.effective > on
                    && taken_on.is_none_or(|taken_on| link.effective <= taken_on)
                    && seen.insert(link.predecessor.clone())
                {
                    if self.exists(&link.predecessor, on) {
                        made_of.insert(link.predecessor.clone());
                    }
                    to_follow.push(link.predecessor.clone());
                }
            }
        }
        made_of
    }

    /// ScopeAbsence.instead_codes for ENDED: the organisations existing on `on` that continue X
    /// through a chain of links taking effect on or before it.
    fn continuing(&self, x: &str, on: NaiveDate) -> BTreeSet<String> {
        let mut continuing = BTreeSet::new();
        let mut seen = BTreeSet::from([x.to_string()]);
        let mut to_follow = vec![x.to_string()];
        while let Some(predecessor) = to_follow.pop() {
            for link in &self.links {
                if link.predecessor == predecessor
                    && link.effective <= on
                    && seen.insert(link.successor.clone())
                {
                    if self.exists(&link.successor, on) {
                        continuing.insert(link.successor.clone());
                    }
                    to_follow.push(link.successor.clone());
                }
            }
        }
        continuing
    }

    /// X did not exist on `on`: why, and who stood for it.
    fn absence(&self, x: &str, on: NaiveDate) -> Absence {
        let org = &self.orgs[x];
        if org.from.is_some_and(|from| on < from) {
            self.count(if self.made_of(x, None, on).is_empty() {
                "absence: not yet formed, from nothing"
            } else {
                "absence: not yet formed, made of others"
            });
            Absence {
                code: x.to_string(),
                date: on,
                reason: scope_absence::Reason::NotYetFormed,
                instead: self.made_of(x, None, on),
            }
        } else {
            self.count(if self.continuing(x, on).is_empty() {
                "absence: ended, no successor"
            } else {
                "absence: ended, continued"
            });
            Absence {
                code: x.to_string(),
                date: on,
                reason: scope_absence::Reason::Ended,
                instead: self.continuing(x, on),
            }
        }
    }

    /// The agencies existing on `reference` whose attribute named by the scope is in `parts`
    /// ("agency": the agencies in `parts`).
    fn agencies_of(
        &self,
        scope: &Scope,
        parts: &BTreeSet<String>,
        reference: NaiveDate,
    ) -> BTreeSet<String> {
        self.agencies()
            .filter(|org| org.exists(reference))
            .filter(|org| {
                let version = org.on(reference);
                let attribute = match scope {
                    Scope::Province(_) => version.province.as_ref(),
                    Scope::Body(_) => version.body.as_ref(),
                    Scope::Agency(_) => Some(&org.code),
                    Scope::Country | Scope::Type(_) => unreachable!("not an organisation's scope"),
                };
                attribute.is_some_and(|code| parts.contains(code))
            })
            .map(|org| org.code.clone())
            .collect()
    }

    /// Boundaries: the agencies a scope covers in a period whose reference date is `reference`,
    /// and the absence of its organisation if there is one.
    fn covers(
        &self,
        scope: &Scope,
        within: Within,
        reference: NaiveDate,
    ) -> (BTreeSet<String>, Option<Absence>) {
        let every = |keep: &dyn Fn(&Org) -> bool| -> BTreeSet<String> {
            self.agencies()
                .filter(|org| org.exists(reference) && keep(org))
                .map(|org| org.code.clone())
                .collect()
        };
        let x = match scope {
            // "country" and "agency_type:T" cover the same under both boundaries.
            Scope::Country => return (every(&|_| true), None),
            Scope::Type(agency_type) => {
                return (
                    every(&|org| org.on(reference).agency_type.as_deref() == Some(agency_type)),
                    None,
                );
            }
            Scope::Province(x) | Scope::Body(x) | Scope::Agency(x) => x.as_str(),
        };
        match within {
            Within::Historical => {
                if !self.exists(x, reference) {
                    return (BTreeSet::new(), Some(self.absence(x, reference)));
                }
                let alone = BTreeSet::from([x.to_string()]);
                (self.agencies_of(scope, &alone, reference), None)
            }
            Within::Current(as_of) => {
                if !self.exists(x, as_of) {
                    return (BTreeSet::new(), Some(self.absence(x, as_of)));
                }
                if reference <= as_of {
                    let parts = self.made_of(x, Some(as_of), reference);
                    if parts.len() > 1 || !parts.contains(x) {
                        self.count("CURRENT: read back over other organisations");
                    }
                    (self.agencies_of(scope, &parts, reference), None)
                } else if self.exists(x, reference) {
                    let alone = BTreeSet::from([x.to_string()]);
                    (self.agencies_of(scope, &alone, reference), None)
                } else {
                    self.count("CURRENT: reference date after as_of, ended by then");
                    // "Nothing otherwise"; ScopeResolution.absence: under CURRENT, "for a period
                    // whose reference date is after as_of, that reference date too (it had ended
                    // by then)".
                    (BTreeSet::new(), Some(self.absence(x, reference)))
                }
            }
        }
    }

    /// The trend's coverage: the period of year Y-1 (reference `previous`) read under the same
    /// boundaries, except that under HISTORICAL a scope whose organisation did not exist on
    /// `previous` is taken as it stood on `reference`.
    fn previous_covers(
        &self,
        scope: &Scope,
        within: Within,
        reference: NaiveDate,
        previous: NaiveDate,
    ) -> BTreeSet<String> {
        if let (Within::Historical, Some(x)) = (within, scope.organization())
            && !self.exists(x, previous)
        {
            if !self.exists(x, reference) {
                return BTreeSet::new();
            }
            let covered = self.covers(scope, Within::Current(reference), previous).0;
            if !covered.is_empty() {
                self.count("HISTORICAL trend: taken as it stood on R");
            }
            return covered;
        }
        self.covers(scope, within, previous).0
    }

    /// What applies in Y: the required share, and whether it was interpolated.
    fn requirement(&self, target: &Target, year: i32) -> Option<(Frac, bool)> {
        if let Some(m) = target.milestones.iter().find(|m| m.year == year) {
            return Some((Frac::new(m.required_bp.into(), 10_000), false));
        }
        let before = target.milestones.iter().rev().find(|m| m.year < year)?;
        match target.milestones.iter().find(|m| m.year > year) {
            Some(after) => {
                let span = i128::from(after.year - before.year);
                let numerator = i128::from(before.required_bp) * span
                    + i128::from(after.required_bp - before.required_bp)
                        * i128::from(year - before.year);
                Some((Frac::new(numerator, span * 10_000), true))
            }
            None => Some((Frac::new(before.required_bp.into(), 10_000), false)),
        }
    }

    /// The parameter in force: that of the milestone of Y, else of the next milestone after Y,
    /// else of the last.
    fn parameter(&self, target: &Target, year: i32) -> Option<i64> {
        let milestone = target
            .milestones
            .iter()
            .find(|m| m.year == year)
            .or_else(|| target.milestones.iter().find(|m| m.year > year))
            .or_else(|| target.milestones.last())?;
        milestone.parameter_bp
    }

    /// The baseline of a growth condition: x in the baseline period, summed over the
    /// organisations the agency was made of on its reference date, taken as it stood on the
    /// evaluated period's reference date, each by its own latest report.
    fn baseline(
        &self,
        field: &str,
        agency: &str,
        year: i32,
        base_year: Option<i32>,
        reports: &Reports,
    ) -> Option<i128> {
        let base_year = base_year.unwrap_or(year - 1);
        let base = self.period(base_year)?;
        let reference = self.period(year)?.reference;
        let parts = self.made_of(agency, Some(reference), base.reference);
        if parts.is_empty() {
            return None;
        }
        if parts.len() > 1 || !parts.contains(agency) {
            self.count("growth: baseline of other organisations");
        }
        let mut sum = 0;
        for part in parts {
            sum += i128::from(number(reports.get(&(part, base_year))?, field)?);
        }
        Some(sum)
    }

    fn judge(
        &self,
        target: &Target,
        condition: &Condition,
        agency: &str,
        year: i32,
        report: &AnnualReport,
        reports: &Reports,
    ) -> Judgement {
        let met = |yes: bool| {
            if yes {
                Judgement::Meets
            } else {
                Judgement::DoesNotMeet
            }
        };
        match condition {
            Condition::Yes(field) => met(boolean(report, field) == Some(true)),
            Condition::AtLeast(field, at_least) => {
                met(number(report, field).is_some_and(|x| x >= *at_least))
            }
            Condition::All(parts) => {
                let judgements: Vec<Judgement> = parts
                    .iter()
                    .map(|part| self.judge(target, part, agency, year, report, reports))
                    .collect();
                if judgements.contains(&Judgement::CannotBeJudged) {
                    Judgement::CannotBeJudged
                } else {
                    met(judgements.iter().all(|j| *j == Judgement::Meets))
                }
            }
            Condition::Growth(field, base_year) => {
                let Some(x) = number(report, field) else {
                    self.count("growth: x not set");
                    return Judgement::CannotBeJudged;
                };
                let Some(parameter) = self.parameter(target, year) else {
                    return Judgement::CannotBeJudged;
                };
                match self.baseline(field, agency, year, *base_year, reports) {
                    Some(baseline) if baseline > 0 => {
                        let growth = (i128::from(x) - baseline) * 10_000;
                        let needed = i128::from(parameter) * baseline;
                        self.count(match growth.cmp(&needed) {
                            Ordering::Less => "growth: short of the threshold",
                            Ordering::Equal => "growth: exactly the threshold",
                            Ordering::Greater => "growth: above the threshold",
                        });
                        met(growth >= needed)
                    }
                    Some(_) => {
                        self.count("growth: baseline not above zero");
                        Judgement::CannotBeJudged
                    }
                    None => {
                        self.count("growth: baseline unknown");
                        Judgement::CannotBeJudged
                    }
                }
            }
        }
    }

    /// How a figure is computed, over the agencies a scope covers.
    fn figure(
        &self,
        target: &Target,
        year: i32,
        covered: &BTreeSet<String>,
        reports: &Reports,
    ) -> Figure {
        let reference = self.period(year).expect("a period").reference;
        let mut figure = Figure::default();
        for agency in covered {
            if target.electronic_only && !self.orgs[agency].on(reference).electronic {
                if reports
                    .get(&(agency.clone(), year))
                    .is_some_and(|report| report.publishes_electronic_press == Some(true))
                {
                    self.count("population: the catalogue, not the report, says electronic");
                }
                continue;
            }
            figure.expected += 1;
            let Some(report) = reports.get(&(agency.clone(), year)) else {
                figure.missing.insert(agency.clone());
                continue;
            };
            figure.reporting += 1;
            match &target.rule {
                Rule::Agencies(condition) => {
                    match self.judge(target, condition, agency, year, report, reports) {
                        Judgement::Meets => {
                            figure.numerator += 1;
                            figure.evaluated += 1;
                        }
                        Judgement::DoesNotMeet => figure.evaluated += 1,
                        Judgement::CannotBeJudged => {
                            figure.not_evaluable.insert(agency.clone());
                        }
                    }
                }
                Rule::People {
                    numerator,
                    denominator,
                } => {
                    let sum = |fields: &[String]| -> Option<i128> {
                        fields
                            .iter()
                            .map(|field| number(report, field).map(i128::from))
                            .sum()
                    };
                    match (sum(numerator), sum(denominator)) {
                        (Some(trained), Some(employed)) => {
                            figure.numerator += trained;
                            figure.denominator += employed;
                            figure.evaluated += 1;
                        }
                        _ => {
                            self.count("people: a count left unset");
                            figure.not_evaluable.insert(agency.clone());
                        }
                    }
                }
            }
        }
        match target.rule {
            Rule::Agencies(_) => {
                figure.denominator = figure.expected as i128;
                figure.evaluated_denominator = figure.evaluated as i128;
            }
            Rule::People { .. } => figure.evaluated_denominator = figure.denominator,
        }
        figure
    }

    fn expected(
        &self,
        target: &Target,
        scope: &Scope,
        within: Within,
        year: i32,
        reports: &Reports,
    ) -> Expected {
        let reference = self.period(year).expect("a period").reference;
        let (covered, absence) = self.covers(scope, within, reference);
        let figure = self.figure(target, year, &covered, reports);
        let share = figure.share();
        let previous = self.period(year - 1).and_then(|previous| {
            let covered = self.previous_covers(scope, within, reference, previous.reference);
            self.figure(target, year - 1, &covered, reports).share()
        });
        let requirement = self.requirement(target, year);

        // Status, in the proto's order.
        let mut next = None;
        let mut needed = None;
        let mut observed = None;
        let status = 'status: {
            let Some(share) = share else {
                break 'status TargetStatus::NoData;
            };
            if let Some((required, _)) = requirement
                && share.cmp(required) != Ordering::Less
            {
                if share.cmp(required) == Ordering::Equal {
                    self.count("status: share exactly the requirement");
                }
                break 'status TargetStatus::Achieved;
            }
            let Some(milestone) = target
                .milestones
                .iter()
                .find(|m| m.year > year)
                .or_else(|| target.milestones.last())
            else {
                break 'status TargetStatus::NoTrend;
            };
            let next_share = Frac::new(milestone.required_bp.into(), 10_000);
            next = Some((milestone.year, next_share));
            let need = next_share
                .minus(share)
                .divided_by(i128::from((milestone.year - year).max(1)));
            needed = Some(need);
            let Some(previous) = previous else {
                break 'status TargetStatus::NoTrend;
            };
            let seen = share.minus(previous);
            observed = Some(seen);
            if seen.n < 0 {
                TargetStatus::Deterioration
            } else if need.n <= 0 || seen.n * 100 * need.d >= 95 * need.n * seen.d {
                TargetStatus::OnTrack
            } else if seen.n * 100 * need.d >= 60 * need.n * seen.d {
                TargetStatus::AccelerationNeeded
            } else {
                TargetStatus::LimitedProgress
            }
        };
        self.count(match status {
            TargetStatus::Achieved => "status: achieved",
            TargetStatus::OnTrack => "status: on track",
            TargetStatus::AccelerationNeeded => "status: acceleration needed",
            TargetStatus::LimitedProgress => "status: limited progress",
            TargetStatus::Deterioration => "status: deterioration",
            TargetStatus::NoData => "status: no data",
            TargetStatus::NoTrend => "status: no trend",
            TargetStatus::Unspecified => "status: unspecified",
        });
        Expected {
            figure,
            share,
            previous,
            status,
            requirement,
            parameter: self.parameter(target, year),
            next,
            needed,
            observed,
            absence,
        }
    }
}

type Reports = BTreeMap<(String, i32), AnnualReport>;

#[derive(Clone, Copy, PartialEq)]
enum Judgement {
    Meets,
    DoesNotMeet,
    CannotBeJudged,
}

#[derive(Default)]
struct Figure {
    numerator: i128,
    denominator: i128,
    evaluated_denominator: i128,
    expected: usize,
    reporting: usize,
    evaluated: usize,
    missing: BTreeSet<String>,
    not_evaluable: BTreeSet<String>,
}

impl Figure {
    /// share = numerator / denominator, none when the denominator is 0 or no agency reported.
    fn share(&self) -> Option<Frac> {
        (self.reporting > 0 && self.denominator > 0)
            .then(|| Frac::new(self.numerator, self.denominator))
    }
}

struct Absence {
    code: String,
    date: NaiveDate,
    reason: scope_absence::Reason,
    instead: BTreeSet<String>,
}

struct Expected {
    figure: Figure,
    share: Option<Frac>,
    previous: Option<Frac>,
    status: TargetStatus,
    requirement: Option<(Frac, bool)>,
    parameter: Option<i64>,
    next: Option<(i32, Frac)>,
    needed: Option<Frac>,
    observed: Option<Frac>,
    absence: Option<Absence>,
}

/// An exact fraction, denominator positive.
#[derive(Clone, Copy)]
struct Frac {
    n: i128,
    d: i128,
}

fn gcd(a: i128, b: i128) -> i128 {
    if b == 0 {
        a.abs().max(1)
    } else {
        gcd(b, a % b)
    }
}

impl Frac {
    fn new(n: i128, d: i128) -> Frac {
        assert!(d != 0, "a fraction over zero");
        let sign = if d < 0 { -1 } else { 1 };
        let divisor = gcd(n, d);
        Frac {
            n: sign * n / divisor,
            d: sign * d / divisor,
        }
    }

    fn minus(self, other: Frac) -> Frac {
        Frac::new(self.n * other.d - other.n * self.d, self.d * other.d)
    }

    fn divided_by(self, by: i128) -> Frac {
        Frac::new(self.n, self.d * by)
    }

    fn cmp(self, other: Frac) -> Ordering {
        (self.n * other.d).cmp(&(other.n * self.d))
    }

    fn to_f64(self) -> f64 {
        self.n as f64 / self.d as f64
    }
}

/// A number field of a report by its indicator code.
fn number(report: &AnnualReport, field: &str) -> Option<i64> {
    let staff = |counts: &Option<StaffCounts>, category: &str| {
        counts.as_ref().and_then(|counts| match category {
            "leaders" => counts.leaders,
            "reporters" => counts.reporters,
            "editors" => counts.editors,
            "other" => counts.other,
            other => panic!("no staff category {other}"),
        })
    };
    match field.split_once('.') {
        Some(("headcount", category)) => staff(&report.headcount, category),
        Some(("trained", category)) => staff(&report.trained, category),
        _ => match field {
            "revenue_vnd" => report.revenue_vnd,
            "digital_revenue_vnd" => report.digital_revenue_vnd,
            "security_level" => report.security_level,
            "digital_products_launched" => report.digital_products_launched,
            other => panic!("no number field {other}"),
        },
    }
}

/// A yes/no field of a report by its indicator code.
fn boolean(report: &AnnualReport, field: &str) -> Option<bool> {
    match field {
        "content_on_digital_platforms" => report.content_on_digital_platforms,
        "central_data_platform" => report.central_data_platform,
        "ai_in_operations" => report.ai_in_operations,
        "converged_newsroom" => report.converged_newsroom,
        "newsroom_management_platform" => report.newsroom_management_platform,
        "publishes_electronic_press" => report.publishes_electronic_press,
        "digital_radio_platform" => report.digital_radio_platform,
        "digital_tv_platform" => report.digital_tv_platform,
        other => panic!("no yes/no field {other}"),
    }
}

#[derive(Clone)]
enum Scope {
    Country,
    Type(String),
    Province(String),
    Body(String),
    Agency(String),
}

impl Scope {
    fn text(&self) -> String {
        match self {
            Scope::Country => "country".to_string(),
            Scope::Type(t) => format!("agency_type:{t}"),
            Scope::Province(code) => format!("province:{code}"),
            Scope::Body(code) => format!("governing_body:{code}"),
            Scope::Agency(code) => format!("agency:{code}"),
        }
    }

    fn organization(&self) -> Option<&str> {
        match self {
            Scope::Country | Scope::Type(_) => None,
            Scope::Province(code) | Scope::Body(code) | Scope::Agency(code) => Some(code),
        }
    }
}

#[derive(Clone, Copy)]
enum Within {
    Historical,
    Current(NaiveDate),
}

impl fmt::Display for Within {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Within::Historical => write!(f, "HISTORICAL"),
            Within::Current(as_of) => write!(f, "CURRENT as_of {as_of}"),
        }
    }
}

// ---- Random data ----------------------------------------------------------------------------

/// A tiny deterministic generator, so that a failing case can be replayed from its seed.
struct Random(u64);

impl Random {
    fn new(seed: u64) -> Random {
        Random(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, bound: usize) -> usize {
        (self.next() % bound as u64) as usize
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// A date in 2024-2026: often one next to a period's reference date, else any day.
    fn event_date(&mut self) -> NaiveDate {
        if self.chance(40) {
            date(self.pick::<&str>(&EDGE_DATES))
        } else {
            date("2024-01-01") + Days::new(self.below(1_096) as u64)
        }
    }
}

/// The default catalogue, with revenue and two staff counts made optional so that reports can
/// leave them unset (the proto's rules say what an unset field does).
fn base_catalog() -> String {
    let mut text = TEST_CATALOG.to_string();
    for code in [
        "revenue_vnd",
        "digital_revenue_vnd",
        "headcount.editors",
        "trained.other",
    ] {
        let start = text
            .find(&format!("code = \"{code}\"\n"))
            .expect("the indicator");
        let offset = text[start..]
            .find("required = true")
            .expect("a required indicator");
        text.replace_range(
            start + offset..start + offset + "required = true".len(),
            "required = false",
        );
    }
    text
}

fn random_report(random: &mut Random) -> AnnualReport {
    let content = random.chance(60);
    let revenue = if random.chance(10) {
        None
    } else {
        // Round figures, so that growth often lands exactly on a threshold (10%, 20%).
        let revenue = [0, 900, 1_000, 1_000, 1_100, 1_200, 1_500, 2_000][random.below(8)];
        let extra = if random.chance(20) {
            random.below(300)
        } else {
            0
        };
        Some((revenue + extra) as i64)
    };
    let mut count = |bound: usize| random.below(bound + 1) as i64;
    let headcount = StaffCounts {
        leaders: Some(count(4)),
        reporters: Some(count(25)),
        editors: Some(count(10)),
        other: Some(count(8)),
    };
    let mut trained = StaffCounts {
        leaders: Some(count(headcount.leaders.unwrap_or(0) as usize)),
        reporters: Some(count(headcount.reporters.unwrap_or(0) as usize)),
        editors: Some(count(headcount.editors.unwrap_or(0) as usize)),
        other: Some(count(headcount.other.unwrap_or(0) as usize)),
    };
    let mut headcount = headcount;
    if random.chance(8) {
        headcount.editors = None;
    }
    if random.chance(8) {
        trained.other = None;
    }
    let electronic = random.chance(60);
    let security = if electronic || random.chance(30) {
        Some(1 + random.below(5) as i64)
    } else {
        None
    };
    AnnualReport {
        content_on_digital_platforms: Some(content),
        digital_platforms: if content {
            vec![DigitalPlatform {
                name: "Zalo".into(),
                origin: PlatformOrigin::Domestic.into(),
            }]
        } else {
            vec![]
        },
        central_data_platform: Some(random.chance(50)),
        ai_in_operations: Some(random.chance(50)),
        converged_newsroom: Some(random.chance(55)),
        newsroom_management_platform: Some(random.chance(50)),
        revenue_vnd: revenue,
        digital_revenue_vnd: revenue.map(|revenue| revenue / 4),
        headcount: Some(headcount),
        trained: Some(trained),
        publishes_electronic_press: Some(electronic),
        security_level: security,
        digital_products_launched: None,
        digital_radio_platform: None,
        digital_tv_platform: None,
    }
}

/// An organisation being drawn.
struct Draft {
    code: String,
    kind: &'static str,
    from: Option<NaiveDate>,
    until: Option<NaiveDate>,
    /// (code, kind, effective_on; None: the default, this organisation's valid_from).
    predecessors: Vec<(String, &'static str, Option<NaiveDate>)>,
    /// The date of the last event it took part in: later events come strictly after.
    busy: Option<NaiveDate>,
    /// Agencies: dates its type changes (as when a newspaper absorbs a radio-TV station).
    type_changes: Vec<NaiveDate>,
    versions: Vec<Version>,
}

impl Draft {
    fn new(code: String, kind: &'static str, from: Option<NaiveDate>) -> Draft {
        Draft {
            code,
            kind,
            from,
            until: None,
            predecessors: Vec::new(),
            busy: from,
            type_changes: Vec::new(),
            versions: Vec::new(),
        }
    }

    /// Exists just before `on` and on `on`, and takes part in nothing on or after it yet.
    fn free_on(&self, on: NaiveDate) -> bool {
        self.until.is_none() && self.busy.is_none_or(|busy| busy < on)
    }
}

struct Lifetime {
    code: String,
    from: Option<NaiveDate>,
    until: Option<NaiveDate>,
}

impl Lifetime {
    /// Exists on `on` (None: since before the catalogue's time).
    fn alive(&self, on: Option<NaiveDate>) -> bool {
        match on {
            None => self.from.is_none(),
            Some(on) => {
                self.from.is_none_or(|from| from <= on) && self.until.is_none_or(|u| on < u)
            }
        }
    }
}

struct Generated {
    text: String,
    as_of: Vec<NaiveDate>,
}

/// Provinces merged into a new one or absorbed, governing bodies merged, agencies absorbed,
/// merged, renamed, closed and founded on random dates in 2024-2026, moving as their provinces
/// end and at random; every version refers only to organisations existing all along it.
fn generate_catalog(random: &mut Random, base: &Model) -> Generated {
    let mut events = Vec::new();

    // Provinces.
    let mut provinces: Vec<Draft> = (1..=2 + random.below(3))
        .map(|i| Draft::new(format!("gen-province-{i}"), "province", None))
        .collect();
    let mut dates: Vec<NaiveDate> = (0..1 + random.below(3))
        .map(|_| random.event_date())
        .collect();
    dates.sort();
    for (index, on) in dates.into_iter().enumerate() {
        let free: Vec<usize> = (0..provinces.len())
            .filter(|&i| provinces[i].free_on(on))
            .collect();
        if free.len() < 2 {
            continue;
        }
        let first = free[random.below(free.len())];
        let second = **random.pick(&free.iter().filter(|&&i| i != first).collect::<Vec<_>>());
        events.push(on);
        if random.chance(60) {
            // Two provinces become a new one.
            let mut merged = Draft::new(format!("gen-province-m{index}"), "province", Some(on));
            for i in [first, second] {
                provinces[i].until = Some(on);
                merged
                    .predecessors
                    .push((provinces[i].code.clone(), "merger", None));
            }
            provinces.push(merged);
        } else {
            // One absorbs the other.
            provinces[second].until = Some(on);
            let absorbed = provinces[second].code.clone();
            provinces[first]
                .predecessors
                .push((absorbed, "merger", Some(on)));
            provinces[first].busy = Some(on);
        }
    }

    // Governing bodies (central: no province), perhaps two merged into a new one.
    let mut bodies: Vec<Draft> = (1..=3)
        .map(|i| Draft::new(format!("gen-body-{i}"), "governing_body", None))
        .collect();
    if random.chance(60) {
        let on = random.event_date();
        events.push(on);
        let mut merged = Draft::new("gen-body-m".to_string(), "governing_body", Some(on));
        for body in bodies.iter_mut().take(2) {
            body.until = Some(on);
            merged
                .predecessors
                .push((body.code.clone(), "merger", None));
        }
        bodies.push(merged);
    }

    // Agencies: lifetimes and links first.
    let mut agencies: Vec<Draft> = (1..=6 + random.below(8))
        .map(|i| {
            let from = random.chance(15).then(|| random.event_date());
            Draft::new(format!("gen-agency-{i}"), "press_agency", from)
        })
        .collect();
    let mut dates: Vec<NaiveDate> = (0..2 + random.below(6))
        .map(|_| random.event_date())
        .collect();
    // And one absorption on a reference date whose absorbed agency ends the next day: a link
    // taking effect on the very date a figure is read, its predecessor still there.
    let mut planted = Some(date(random.pick::<&str>(&["2024-12-14", "2025-12-14"])));
    dates.extend(planted);
    dates.sort();
    for (index, on) in dates.into_iter().enumerate() {
        let free: Vec<usize> = (0..agencies.len())
            .filter(|&i| agencies[i].free_on(on) && agencies[i].from.is_none_or(|f| f < on))
            .collect();
        let plant = planted == Some(on);
        if plant {
            planted = None;
        }
        let roll = if plant { 40 } else { random.below(100) };
        if roll < 20 && !free.is_empty() {
            // Closed, with no successor.
            let closed = *random.pick(&free);
            agencies[closed].until = Some(on);
        } else if roll < 30 && !free.is_empty() {
            // Renamed: a new code continues it.
            let old = *random.pick(&free);
            agencies[old].until = Some(on);
            let mut renamed = Draft::new(format!("gen-agency-r{index}"), "press_agency", Some(on));
            renamed
                .predecessors
                .push((agencies[old].code.clone(), "rename", None));
            agencies.push(renamed);
        } else if free.len() >= 2 {
            let first = free[random.below(free.len())];
            let second = **random.pick(&free.iter().filter(|&&i| i != first).collect::<Vec<_>>());
            if roll < 65 {
                // One absorbs the other on `on`; now and then the absorbed one formally ends a
                // day later, so that it still exists on the link's date.
                agencies[second].until = Some(if plant || random.chance(25) {
                    on + Days::new(1)
                } else {
                    on
                });
                let absorbed = agencies[second].code.clone();
                let absorber = &mut agencies[first];
                absorber.predecessors.push((absorbed, "merger", Some(on)));
                absorber.busy = Some(on);
                if random.chance(50) {
                    absorber.type_changes.push(on);
                }
            } else {
                // Two become a new agency.
                let mut merged =
                    Draft::new(format!("gen-agency-m{index}"), "press_agency", Some(on));
                let overlap = random.chance(25);
                for i in [first, second] {
                    agencies[i].until = Some(if overlap { on + Days::new(1) } else { on });
                    merged
                        .predecessors
                        .push((agencies[i].code.clone(), "merger", None));
                }
                agencies.push(merged);
            }
        } else {
            continue;
        }
        events.push(on);
    }

    // Then each agency's versions: its province and governing body must exist all along each.
    let lifetimes = |drafts: &[Draft], kind: &str| -> Vec<Lifetime> {
        let mut lifetimes: Vec<Lifetime> = base
            .orgs
            .values()
            .filter(|org| org.kind == kind)
            .map(|org| Lifetime {
                code: org.code.clone(),
                from: org.from,
                until: org.until,
            })
            .collect();
        lifetimes.extend(drafts.iter().map(|draft| Lifetime {
            code: draft.code.clone(),
            from: draft.from,
            until: draft.until,
        }));
        lifetimes
    };
    let province_lifetimes = lifetimes(&provinces, "province");
    let body_lifetimes = lifetimes(&bodies, "governing_body");
    for agency in &mut agencies {
        draw_versions(random, agency, &province_lifetimes, &body_lifetimes);
    }

    // CURRENT is read as of: a day in 2024 (before some mergers), one of the events' own
    // dates, a reference date or its neighbour, and a day after everything.
    let as_of = vec![
        date("2024-01-01") + Days::new(random.below(366) as u64),
        *random.pick(&events),
        date(random.pick::<&str>(&EDGE_DATES)),
        date("2027-06-30"),
    ];

    let mut text = String::new();
    for draft in provinces.iter().chain(&bodies).chain(&agencies) {
        render(&mut text, draft);
    }
    Generated { text, as_of }
}

fn draw_versions(
    random: &mut Random,
    agency: &mut Draft,
    provinces: &[Lifetime],
    bodies: &[Lifetime],
) {
    let (born, ends) = (agency.from, agency.until);
    let within = move |on: NaiveDate| {
        born.is_none_or(|from| from < on) && ends.is_none_or(|until| on < until)
    };
    let mut moves: Vec<NaiveDate> = (0..random.below(3)).map(|_| random.event_date()).collect();
    moves.retain(|on| within(*on));
    let flips: Vec<NaiveDate> = if random.chance(20) {
        vec![random.event_date()]
    } else {
        vec![]
    };
    let flips: Vec<NaiveDate> = flips.into_iter().filter(|on| within(*on)).collect();
    let central = random.chance(15);
    let has_body = random.chance(80);
    let mut agency_type = if central {
        *random.pick(&["central_newspaper", "magazine", "scientific_journal"])
    } else {
        *random.pick(&AGENCY_TYPES[1..])
    };
    let mut electronic = random.chance(60);
    let alive = |lifetimes: &[Lifetime], on: Option<NaiveDate>| -> Vec<String> {
        lifetimes
            .iter()
            .filter(|lifetime| lifetime.alive(on))
            .map(|lifetime| lifetime.code.clone())
            .collect()
    };
    let until_of = |lifetimes: &[Lifetime], code: &Option<String>| {
        code.as_ref().and_then(|code| {
            lifetimes
                .iter()
                .find(|lifetime| &lifetime.code == code)
                .and_then(|lifetime| lifetime.until)
        })
    };

    let mut start = agency.from;
    let mut province: Option<String> = None;
    let mut body: Option<String> = None;
    loop {
        let first = agency.versions.is_empty();
        let moving = start.is_some_and(|on| moves.contains(&on));
        if !central {
            let gone = province
                .as_ref()
                .is_none_or(|code| !alive(provinces, start).contains(code));
            if first || gone || moving {
                let candidates = alive(provinces, start);
                assert!(!candidates.is_empty(), "a province on {start:?}");
                province = Some(random.pick(&candidates).clone());
            }
        }
        if has_body {
            let gone = body
                .as_ref()
                .is_none_or(|code| !alive(bodies, start).contains(code));
            if first || gone || (moving && random.chance(50)) {
                let candidates = alive(bodies, start);
                assert!(!candidates.is_empty(), "a governing body on {start:?}");
                body = Some(random.pick(&candidates).clone());
            }
        }
        if start.is_some_and(|on| agency.type_changes.contains(&on)) {
            agency_type = "local_newspaper_radio_tv";
        }
        if start.is_some_and(|on| flips.contains(&on)) {
            electronic = !electronic;
        }
        let version = Version {
            from: start,
            province: province.clone(),
            body: body.clone(),
            agency_type: Some(agency_type.to_string()),
            electronic,
        };
        let unchanged = agency.versions.last().is_some_and(|last| {
            Version {
                from: start,
                ..last.clone()
            } == version
        });
        if !unchanged {
            agency.versions.push(version);
        }
        // The next day anything changes: a province or body ends, or a planned change.
        let planned = moves
            .iter()
            .chain(&flips)
            .chain(&agency.type_changes)
            .copied()
            .filter(|on| within(*on) && start.is_none_or(|start| start < *on));
        let next = [until_of(provinces, &province), until_of(bodies, &body)]
            .into_iter()
            .flatten()
            .chain(planned)
            .filter(|on| ends.is_none_or(|until| *on < until))
            .min();
        match next {
            Some(on) => start = Some(on),
            None => break,
        }
    }
}

fn render(text: &mut String, draft: &Draft) {
    let quoted = |value: &str| format!("\"{value}\"");
    let mut lines = vec![
        "[[organization]]".to_string(),
        format!("code = {}", quoted(&draft.code)),
        format!("kind = {}", quoted(draft.kind)),
        format!("name = {}", quoted(&draft.code.to_uppercase())),
    ];
    if let Some(from) = draft.from {
        lines.push(format!("valid_from = \"{from}\""));
    }
    if let Some(until) = draft.until {
        lines.push(format!("valid_until = \"{until}\""));
    }
    if let Some(first) = draft.versions.first() {
        if let Some(province) = &first.province {
            lines.push(format!("province = {}", quoted(province)));
        }
        if let Some(body) = &first.body {
            lines.push(format!("governing_body = {}", quoted(body)));
        }
        if let Some(agency_type) = &first.agency_type {
            lines.push(format!("agency_type = {}", quoted(agency_type)));
        }
        lines.push(format!("publishes_electronic_press = {}", first.electronic));
    }
    if !draft.predecessors.is_empty() {
        let links: Vec<String> = draft
            .predecessors
            .iter()
            .map(|(code, kind, effective_on)| match effective_on {
                Some(on) => {
                    format!("{{ code = \"{code}\", kind = \"{kind}\", effective_on = \"{on}\" }}")
                }
                None => format!("{{ code = \"{code}\", kind = \"{kind}\" }}"),
            })
            .collect();
        lines.push(format!("predecessors = [{}]", links.join(", ")));
    }
    let changes: Vec<String> = draft
        .versions
        .windows(2)
        .map(|pair| {
            let (before, after) = (&pair[0], &pair[1]);
            let mut fields = vec![format!(
                "from = \"{}\"",
                after.from.expect("a change has a date")
            )];
            if after.province != before.province
                && let Some(province) = &after.province
            {
                fields.push(format!("province = {}", quoted(province)));
            }
            if after.body != before.body
                && let Some(body) = &after.body
            {
                fields.push(format!("governing_body = {}", quoted(body)));
            }
            if after.agency_type != before.agency_type
                && let Some(agency_type) = &after.agency_type
            {
                fields.push(format!("agency_type = {}", quoted(agency_type)));
            }
            if after.electronic != before.electronic {
                fields.push(format!("publishes_electronic_press = {}", after.electronic));
            }
            format!("{{ {} }}", fields.join(", "))
        })
        .collect();
    if !changes.is_empty() {
        lines.push(format!("changes = [{}]", changes.join(", ")));
    }
    text.push_str(&lines.join("\n"));
    text.push_str("\n\n");
}
