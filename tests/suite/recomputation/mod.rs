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

mod catalog;
mod compare;
mod figures;
mod generate;
mod scopes;

use std::collections::BTreeMap;

use pressdx::cli::client::Connection;
use pressdx::proto::summary_service_client::SummaryServiceClient;
use pressdx::proto::{AnnualReport, Boundaries, ListTargetSummariesRequest, TargetSummary};
use tokio::task::JoinSet;

use crate::common::draws::Draws;
use crate::common::{Backend, TestApp};
use crate::suite::fixtures::{new_id, request};
use catalog::Model;
use compare::compare;
use generate::{any_report, base_catalog, chance, generate_catalog};
use scopes::{Scope, Within};

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
    let mut random = Draws::seeded(seed);
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
            if !org.exists(reference) || !random.draw(chance(85)) {
                continue;
            }
            let revisions = if random.draw(chance(15)) { 2 } else { 1 };
            for _ in 0..revisions {
                let report = random.draw(any_report());
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
