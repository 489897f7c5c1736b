//! What the summary tests share: the small province's catalogue and deadlines, the facts of a
//! report that the national plan's targets read, and helpers to submit them and read the figures.

use pressdx::proto::{
    AnnualReport, DigitalPlatform, ListTargetSummariesRequest, PlatformOrigin, StaffCounts,
    TargetSummary,
};

use crate::common::TestApp;
use crate::suite::fixtures::{new_id, request};

pub(in crate::suite) const NATIONAL: &str = "national-348-qd-ttg";
pub(in crate::suite) const PROVINCE: &str = "province:test-province";
pub(in crate::suite) const SMALL_PROVINCE: &str =
    include_str!("../../fixtures/small-province.toml");
pub(in crate::suite) const DEADLINE_2023: &str = "2023-11-15T00:00:00+07:00";
pub(in crate::suite) const DEADLINE_2024: &str = "2024-11-15T00:00:00+07:00";
pub(in crate::suite) const FAR_FUTURE: &str = "2100-01-01T00:00:00+07:00";

/// The facts of a report that the national plan's targets read.
#[derive(Clone, Copy, Debug)]
pub(in crate::suite) struct Facts {
    pub(in crate::suite) content: bool,
    pub(in crate::suite) central: bool,
    pub(in crate::suite) ai: bool,
    pub(in crate::suite) converged: bool,
    pub(in crate::suite) revenue: i64,
    pub(in crate::suite) headcount: i64,
    pub(in crate::suite) trained: i64,
    pub(in crate::suite) electronic: bool,
    pub(in crate::suite) security: Option<i64>,
}

fn report(facts: Facts) -> AnnualReport {
    // Everybody is counted as a reporter: the target sums the four categories anyway.
    let staff = |reporters| StaffCounts {
        leaders: Some(0),
        reporters: Some(reporters),
        editors: Some(0),
        other: Some(0),
    };
    AnnualReport {
        content_on_digital_platforms: Some(facts.content),
        digital_platforms: if facts.content {
            vec![DigitalPlatform {
                name: "Zalo".into(),
                origin: PlatformOrigin::Domestic.into(),
            }]
        } else {
            vec![]
        },
        central_data_platform: Some(facts.central),
        ai_in_operations: Some(facts.ai),
        converged_newsroom: Some(facts.converged),
        newsroom_management_platform: Some(true),
        revenue_vnd: Some(facts.revenue),
        digital_revenue_vnd: Some(0),
        headcount: Some(staff(facts.headcount)),
        trained: Some(staff(facts.trained)),
        publishes_electronic_press: Some(facts.electronic),
        security_level: facts.security,
        digital_products_launched: None,
        digital_radio_platform: None,
        digital_tv_platform: None,
    }
}

#[allow(clippy::too_many_arguments)]
pub(in crate::suite) fn facts(
    content: bool,
    central: bool,
    ai: bool,
    converged: bool,
    revenue: i64,
    (trained, headcount): (i64, i64),
    electronic: bool,
    security: Option<i64>,
) -> Facts {
    Facts {
        content,
        central,
        ai,
        converged,
        revenue,
        headcount,
        trained,
        electronic,
        security,
    }
}

/// Submits a report as the agency it is for.
pub(in crate::suite) async fn submit(app: &TestApp, agency: &str, period: &str, facts: Facts) {
    app.submit(request(&new_id(), agency, period, report(facts)))
        .await
        .unwrap_or_else(|status| panic!("{agency} {period}: {status:?}"));
}

pub(in crate::suite) async fn summaries(
    app: &TestApp,
    period: &str,
    scope: &str,
) -> Vec<TargetSummary> {
    app.summaries
        .clone()
        .list_target_summaries(ListTargetSummariesRequest {
            plan_code: NATIONAL.into(),
            period_code: period.into(),
            scope: scope.into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .summaries
}

pub(in crate::suite) fn find<'a>(
    summaries: &'a [TargetSummary],
    target: &str,
) -> &'a TargetSummary {
    summaries.iter().find(|s| s.target_code == target).unwrap()
}

pub(in crate::suite) fn fraction(summary: &TargetSummary) -> (i64, i64) {
    (summary.numerator, summary.denominator)
}
