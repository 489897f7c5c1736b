//! Summary requests: what is refused, and every plan served for every period and scope kind.

use pressdx::proto::{
    Boundaries, GetTargetSummaryRequest, ListTargetSummariesRequest, TargetStatus,
};
use tonic::Code;

use super::facts::NATIONAL;
use crate::common::TestApp;
use crate::suite::fixtures::{new_id, request};

/// Unknown plans, targets and periods are NOT_FOUND; a malformed or unknown scope names the field.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn summary_requests_are_checked() {
    let backend = crate::BACKEND;
    let app = TestApp::spawn(backend).await;
    let mut client = app.summaries.clone();
    let ask = |plan: &str, target: &str, period: &str, scope: &str| GetTargetSummaryRequest {
        plan_code: plan.into(),
        target_code: target.into(),
        period_code: period.into(),
        scope: scope.into(),
        ..Default::default()
    };
    for (request, code) in [
        (
            ask("nope", "revenue_growth", "2025", "country"),
            Code::NotFound,
        ),
        (ask(NATIONAL, "nope", "2025", "country"), Code::NotFound),
        (
            ask(NATIONAL, "revenue_growth", "1999", "country"),
            Code::NotFound,
        ),
        (
            ask(NATIONAL, "revenue_growth", "2025", "region:x"),
            Code::InvalidArgument,
        ),
        (
            ask(NATIONAL, "revenue_growth", "2025", "province:bao-nam-dinh"),
            Code::InvalidArgument,
        ),
        (
            ask(NATIONAL, "revenue_growth", "2025", "province:atlantis"),
            Code::InvalidArgument,
        ),
        // as_of belongs to CURRENT boundaries; a date must be one; boundaries must be known.
        (
            GetTargetSummaryRequest {
                as_of: "2025-01-01".into(),
                ..ask(NATIONAL, "revenue_growth", "2025", "country")
            },
            Code::InvalidArgument,
        ),
        (
            GetTargetSummaryRequest {
                boundaries: Boundaries::Current.into(),
                as_of: "2025-02-30".into(),
                ..ask(NATIONAL, "revenue_growth", "2025", "country")
            },
            Code::InvalidArgument,
        ),
        (
            GetTargetSummaryRequest {
                boundaries: 9,
                ..ask(NATIONAL, "revenue_growth", "2025", "country")
            },
            Code::InvalidArgument,
        ),
    ] {
        let status = client
            .get_target_summary(request.clone())
            .await
            .unwrap_err();
        assert_eq!(status.code(), code, "{request:?}");
    }
    // With no reports at all, every target is NO_DATA, never a guessed 0%.
    let none = client
        .get_target_summary(ask(NATIONAL, "revenue_growth", "2025", "country"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(none.status(), TargetStatus::NoData);
    assert_eq!(none.reporting_agencies, 0);
    assert_eq!(
        none.scope_resolution.unwrap().boundaries(),
        Boundaries::Historical,
        "HISTORICAL by default"
    );
    // CURRENT without as_of takes today in Vietnam (give or take a midnight during the call).
    let today = client
        .get_target_summary(GetTargetSummaryRequest {
            boundaries: Boundaries::Current.into(),
            ..ask(NATIONAL, "revenue_growth", "2025", "country")
        })
        .await
        .unwrap()
        .into_inner()
        .scope_resolution
        .unwrap();
    let as_of: chrono::NaiveDate = today.as_of.parse().unwrap();
    let vietnam_now = (chrono::Utc::now() + chrono::TimeDelta::hours(7)).date_naive();
    assert!((vietnam_now - as_of).num_days().abs() <= 1, "{as_of}");
}

/// Every target of both shipped plans is served for every period 2023-2030 at every scope kind,
/// each with a status and an explanation.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_plan_is_served_for_every_period_and_scope_kind() {
    let backend = crate::BACKEND;
    let app = TestApp::spawn(backend).await;
    app.submit(request(
        &new_id(),
        "bao-nam-dinh",
        "2024",
        crate::suite::fixtures::complete_report(),
    ))
    .await
    .unwrap();
    let mut client = app.summaries.clone();
    for plan in [NATIONAL, "nam-dinh-cds-bao-chi"] {
        for year in 2023..=2030 {
            for scope in [
                "country",
                "province:nam-dinh",
                "province:ninh-binh-2025",
                "governing_body:tinh-uy-nam-dinh",
                "agency_type:local_newspaper",
                "agency:bao-nam-dinh",
            ] {
                let summaries = client
                    .list_target_summaries(ListTargetSummariesRequest {
                        plan_code: plan.into(),
                        period_code: year.to_string(),
                        scope: scope.into(),
                        ..Default::default()
                    })
                    .await
                    .unwrap_or_else(|status| panic!("{plan} {year} {scope}: {status:?}"))
                    .into_inner()
                    .summaries;
                assert_eq!(summaries.len(), 6, "{plan} {year} {scope}");
                for summary in &summaries {
                    assert_ne!(summary.status(), TargetStatus::Unspecified);
                    assert!(!summary.explanation.is_empty(), "{plan} {year} {scope}");
                }
            }
        }
    }
    // The one report counts where it belongs: Nam Định in 2024, under the Nam Định plan too.
    let nam_dinh_2024 = client
        .get_target_summary(GetTargetSummaryRequest {
            plan_code: "nam-dinh-cds-bao-chi".into(),
            target_code: "content_on_digital_platforms".into(),
            period_code: "2024".into(),
            scope: "province:nam-dinh".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!((nam_dinh_2024.numerator, nam_dinh_2024.denominator), (1, 2));
    assert_eq!(nam_dinh_2024.missing_agency_codes, ["ptth-nam-dinh"]);
}
