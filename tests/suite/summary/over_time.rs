//! Scopes over time: the east-west fixtures, where organisations merge between periods, and
//! growth baselines under both boundaries, worked out by hand.

use pressdx::proto::{
    AgencyStanding, Boundaries, GetReportingStatusRequest, ListTargetAgenciesRequest,
    ListTargetSummariesRequest, ListTargetSummariesResponse, TargetStatus, WatchSummariesRequest,
    scope_absence,
};

use super::facts::{NATIONAL, SMALL_PROVINCE, facts, find, fraction, submit};
use crate::common::{TEST_CATALOG, TestApp};

const EAST_WEST_2024: &str = include_str!("../../fixtures/east-west-2024.toml");
const EAST_WEST_2025: &str = include_str!("../../fixtures/east-west-2025.toml");

/// A plan's summaries for a scope within boundaries ("" for HISTORICAL, else CURRENT's as_of).
async fn summaries_within(
    app: &TestApp,
    period: &str,
    scope: &str,
    current_as_of: Option<&str>,
) -> ListTargetSummariesResponse {
    let (boundaries, as_of) = match current_as_of {
        None => (Boundaries::Unspecified, String::new()),
        Some(as_of) => (Boundaries::Current, as_of.to_string()),
    };
    app.summaries
        .clone()
        .list_target_summaries(ListTargetSummariesRequest {
            plan_code: NATIONAL.into(),
            period_code: period.into(),
            scope: scope.into(),
            boundaries: boundaries.into(),
            as_of,
            ..Default::default()
        })
        .await
        .unwrap_or_else(|status| panic!("{period} {scope}: {status:?}"))
        .into_inner()
}

/// The revenue-growth figure of a response, as (numerator, denominator).
fn revenue(response: &ListTargetSummariesResponse) -> (i64, i64) {
    fraction(find(&response.summaries, "revenue_growth"))
}

/// The drill-down of the revenue-growth figure: (agency, standing, value).
async fn revenue_agencies(
    app: &TestApp,
    period: &str,
    scope: &str,
    current_as_of: Option<&str>,
) -> Vec<(String, AgencyStanding, String)> {
    let (boundaries, as_of) = match current_as_of {
        None => (Boundaries::Unspecified, String::new()),
        Some(as_of) => (Boundaries::Current, as_of.to_string()),
    };
    app.summaries
        .clone()
        .list_target_agencies(ListTargetAgenciesRequest {
            plan_code: NATIONAL.into(),
            target_code: "revenue_growth".into(),
            period_code: period.into(),
            scope: scope.into(),
            boundaries: boundaries.into(),
            as_of,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .agencies
        .into_iter()
        .map(|a| (a.agency_code.clone(), a.standing(), a.value))
        .collect()
}

/// Scopes over time, worked out by hand on two neighbouring provinces (tests/fixtures/
/// east-west-*.toml): an absorption (test-west-bao takes in test-west-ptth on 2025-04-15), a
/// province formed by merger (test-united from 2025-07-01) and an agency formed by merger
/// (test-united-ptth). Revenue, with the national growth thresholds (2024: 10%, 2025: 20%):
///
/// | agency            | 2023   | 2024   | 2025   |
/// | test-east-bao     | 10 000 | 11 000 | 13 200 |
/// | test-east-ptth    |  6 000 |  6 600 |        |
/// | test-east-journal |  2 000 |  2 000 |        |
/// | test-west-bao     |  8 000 |  8 800 | 14 400 |
/// | test-west-ptth    |  4 000 |  4 000 |        |
/// | test-united-ptth  |        |        | 10 320 |
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scopes_over_time_and_baselines_worked_out_by_hand() {
    let backend = crate::BACKEND;
    let app = TestApp::spawn(backend).await;
    let before = format!("{TEST_CATALOG}\n{SMALL_PROVINCE}\n{EAST_WEST_2024}");
    app.apply_catalog(&before).await;
    let revenue_facts = |revenue| facts(true, true, true, true, revenue, (1, 2), true, Some(3));
    for (agency, revenues) in [
        ("test-east-bao", [10_000, 11_000]),
        ("test-east-ptth", [6_000, 6_600]),
        ("test-east-journal", [2_000, 2_000]),
        ("test-west-bao", [8_000, 8_800]),
        ("test-west-ptth", [4_000, 4_000]),
    ] {
        for (period, revenue) in ["2023", "2024"].into_iter().zip(revenues) {
            submit(&app, agency, period, revenue_facts(revenue)).await;
        }
    }

    // 2024, as the catalogue knew it then. test-west-bao grew 10% (8 800 against 8 000): it meets
    // the 2024 threshold; test-west-ptth did not grow.
    let signed_scopes = [
        "province:test-west",
        "province:test-east",
        "agency:test-west-bao",
        "agency:test-east-ptth",
    ];
    let mut signed = Vec::new();
    for scope in signed_scopes {
        signed.push(summaries_within(&app, "2024", scope, None).await);
    }
    assert_eq!(revenue(&signed[0]), (1, 2));
    assert_eq!(revenue(&signed[1]), (2, 3), "Báo and Đài Đông grew 10%");
    assert_eq!(revenue(&signed[2]), (1, 1));
    let west_drill_down = revenue_agencies(&app, "2024", "province:test-west", None).await;

    // The 2025 reorganisation is imported: no 2024 figure moves.
    app.apply_catalog(&format!(
        "{TEST_CATALOG}\n{SMALL_PROVINCE}\n{EAST_WEST_2025}"
    ))
    .await;
    for (scope, before) in signed_scopes.iter().zip(&signed) {
        assert_eq!(
            &summaries_within(&app, "2024", scope, None).await,
            before,
            "{scope} 2024 changed with a 2025 merger"
        );
    }
    assert_eq!(
        revenue_agencies(&app, "2024", "province:test-west", None).await,
        west_drill_down
    );
    // The absorber's growth before its absorption compares with itself alone.
    assert_eq!(
        west_drill_down,
        [
            (
                "test-west-bao".to_string(),
                AgencyStanding::Meets,
                "+10.00% (8800 against 8000)".to_string()
            ),
            (
                "test-west-ptth".to_string(),
                AgencyStanding::DoesNotMeet,
                "+0.00% (4000 against 4000)".to_string()
            ),
        ]
    );

    // HISTORICAL: the new province did not exist at the end of 2024. It covers nothing, and says
    // whom to ask for instead.
    let united_2024 = summaries_within(&app, "2024", "province:test-united", None).await;
    assert_eq!(revenue(&united_2024), (0, 0));
    let united = find(&united_2024.summaries, "revenue_growth");
    assert_eq!(united.status(), TargetStatus::NoData);
    let resolution = united.scope_resolution.clone().unwrap();
    assert_eq!(resolution.boundaries(), Boundaries::Historical);
    let absence = resolution.absence.unwrap();
    assert_eq!(absence.reason(), scope_absence::Reason::NotYetFormed);
    assert_eq!(absence.date, "2024-12-14");
    assert_eq!(absence.instead_codes, ["test-east", "test-west"]);

    // CURRENT, as of 2026-01-01: the new province's 2024 is the five agencies of the provinces it
    // continues. Growth: Báo Đông, Đài Đông and Báo Tây +10%; the journal and Đài Tây 0%.
    let as_of = Some("2026-01-01");
    let united_2024 = summaries_within(&app, "2024", "province:test-united", as_of).await;
    assert_eq!(revenue(&united_2024), (3, 5));
    let resolution = united_2024.summaries[0].scope_resolution.clone().unwrap();
    assert_eq!(
        (resolution.boundaries(), resolution.as_of.as_str()),
        (Boundaries::Current, "2026-01-01")
    );
    assert_eq!(resolution.absence, None);
    // test-west-bao as it stands today includes the station it absorbed; test-united-ptth, the
    // two agencies it was formed from.
    let west_bao_2024 = summaries_within(&app, "2024", "agency:test-west-bao", as_of).await;
    assert_eq!(revenue(&west_bao_2024), (1, 2));
    let united_ptth = summaries_within(&app, "2024", "agency:test-united-ptth", as_of).await;
    assert_eq!(
        revenue(&united_ptth),
        (1, 2),
        "Đài Đông +10%, the journal 0%"
    );
    let status = app
        .summaries
        .clone()
        .get_reporting_status(GetReportingStatusRequest {
            period_code: "2024".into(),
            scope: "province:test-united".into(),
            boundaries: Boundaries::Current.into(),
            as_of: "2026-01-01".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!((status.expected, status.missing), (5, 0));

    // 2025 (threshold 20%). Báo Đông +20% (13 200 against 11 000) meets. Báo Tây, having absorbed
    // Đài Tây, is compared with both: 14 400 against 8 800 + 4 000 = 12 800 is +12.5%, short.
    // Đài Hợp nhất, formed by merger, against its two predecessors: 10 320 against 6 600 + 2 000 =
    // 8 600 is +20% exactly, which meets.
    submit(&app, "test-east-bao", "2025", revenue_facts(13_200)).await;
    submit(&app, "test-west-bao", "2025", revenue_facts(14_400)).await;
    submit(&app, "test-united-ptth", "2025", revenue_facts(10_320)).await;
    let united_2025 = summaries_within(&app, "2025", "province:test-united", None).await;
    assert_eq!(revenue(&united_2025), (2, 3));
    // Its trend under HISTORICAL: it did not exist in 2024, so it compares with what it continues
    // (3 of 5 in 2024).
    assert_eq!(
        find(&united_2025.summaries, "revenue_growth").previous_share,
        Some(0.6)
    );
    assert_eq!(
        revenue_agencies(&app, "2025", "province:test-united", None).await,
        [
            (
                "test-east-bao".to_string(),
                AgencyStanding::Meets,
                "+20.00% (13200 against 11000)".to_string()
            ),
            (
                "test-united-ptth".to_string(),
                AgencyStanding::Meets,
                "+20.00% (10320 against 8600)".to_string()
            ),
            (
                "test-west-bao".to_string(),
                AgencyStanding::DoesNotMeet,
                "+12.50% (14400 against 12800)".to_string()
            ),
        ]
    );

    // The trend keeps the figure's boundaries: Báo Tây's 2024 was itself alone (1 of 1) under
    // HISTORICAL, itself and Đài Tây (1 of 2) under CURRENT.
    let historical = summaries_within(&app, "2025", "agency:test-west-bao", None).await;
    let current = summaries_within(&app, "2025", "agency:test-west-bao", as_of).await;
    for (response, previous) in [(&historical, 1.0), (&current, 0.5)] {
        let figure = find(&response.summaries, "revenue_growth");
        assert_eq!(fraction(figure), (0, 1));
        assert_eq!(figure.previous_share, Some(previous));
        assert_eq!(figure.status(), TargetStatus::Deterioration);
    }

    // A province that had ended by the end of 2025 covers nothing then, names its successor, and
    // still carries its own 2024 share as the trend.
    let west_2025 = summaries_within(&app, "2025", "province:test-west", None).await;
    let west = find(&west_2025.summaries, "revenue_growth");
    assert_eq!((fraction(west), west.previous_share), ((0, 0), Some(0.5)));
    let absence = west.scope_resolution.clone().unwrap().absence.unwrap();
    assert_eq!(
        (absence.reason(), absence.instead_codes.as_slice()),
        (
            scope_absence::Reason::Ended,
            ["test-united".to_string()].as_slice()
        )
    );

    // A watch reads within the boundaries it asked for.
    let mut stream = app
        .summaries
        .clone()
        .watch_summaries(WatchSummariesRequest {
            plan_code: NATIONAL.into(),
            period_code: "2024".into(),
            scope: "province:test-united".into(),
            boundaries: Boundaries::Current.into(),
            as_of: "2026-01-01".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let first = stream.message().await.unwrap().unwrap();
    assert_eq!(fraction(find(&first.summaries, "revenue_growth")), (3, 5));
}
