//! Refusals: why a call is refused, what a province may list, and a revoked token refused by
//! every server.

use std::time::Duration;

use pressdx::domain::access::Role;
use pressdx::proto::catalog_service_client::CatalogServiceClient;
use pressdx::proto::submission_service_client::SubmissionServiceClient;
use pressdx::proto::summary_service_client::SummaryServiceClient;
use pressdx::proto::{
    ListPlansRequest, ListSubmissionsRequest, ListTargetSummariesRequest, WatchSummariesRequest,
};
use pressdx::store::new_token;
use tonic::Code;
use tonic_types::StatusExt;

use super::subjects::{AGENCY, PERIOD, PLAN};
use crate::common::TestApp;
use crate::suite::fixtures::{OLD_AGENCY, complete_report, error_reason, new_id, request};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_say_why_and_never_confuse_unauthenticated_with_denied() {
    let backend = crate::BACKEND;
    let app = TestApp::spawn(backend).await;
    let summary = |token: Option<String>, scope: &str| {
        let mut client = SummaryServiceClient::new(app.connection(token.as_deref()));
        let scope = scope.to_string();
        async move {
            client
                .list_target_summaries(ListTargetSummariesRequest {
                    plan_code: PLAN.into(),
                    period_code: PERIOD.into(),
                    scope,
                    ..Default::default()
                })
                .await
                .unwrap_err()
        }
    };
    let missing = summary(None, "country").await;
    assert_eq!(missing.code(), Code::Unauthenticated);
    assert_eq!(error_reason(&missing), "CREDENTIAL_MISSING");
    let unknown = summary(Some(new_token().unwrap()), "country").await;
    assert_eq!(unknown.code(), Code::Unauthenticated);
    assert_eq!(error_reason(&unknown), "CREDENTIAL_UNKNOWN");

    let admin = app.token(Role::Admin, None).await;
    let wrong_role = summary(Some(admin), "country").await;
    assert_eq!(wrong_role.code(), Code::PermissionDenied);
    assert_eq!(error_reason(&wrong_role), "ROLE_NOT_ALLOWED");
    let province = app.token(Role::Province, Some("nam-dinh")).await;
    let out_of_scope = summary(Some(province), "province:ha-nam").await;
    assert_eq!(out_of_scope.code(), Code::PermissionDenied);
    assert_eq!(error_reason(&out_of_scope), "OUT_OF_SCOPE");
    // Nam Định province has no agency left in 2025, but its 2025 summary carries 2024's share as
    // the trend: a figure is refused to whoever does not reach every report behind it.
    let neighbour = app.token(Role::Province, Some("ha-nam")).await;
    let status = SummaryServiceClient::new(app.connection(Some(&neighbour)))
        .list_target_summaries(ListTargetSummariesRequest {
            plan_code: PLAN.into(),
            period_code: "2025".into(),
            scope: "province:nam-dinh".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied);
    assert_eq!(error_reason(&status), "OUT_OF_SCOPE");
    // The merged province reads its own 2025 figures, trend over its predecessors included.
    let merged = app.token(Role::Province, Some("ninh-binh-2025")).await;
    SummaryServiceClient::new(app.connection(Some(&merged)))
        .list_target_summaries(ListTargetSummariesRequest {
            plan_code: PLAN.into(),
            period_code: "2025".into(),
            scope: "province:ninh-binh-2025".into(),
            ..Default::default()
        })
        .await
        .unwrap();

    // Request ids are unique across agencies, but whose submission holds one is not told.
    let mut nam_dinh = app.agency(OLD_AGENCY).await;
    let held = nam_dinh
        .submit_report(request("shared-id", OLD_AGENCY, PERIOD, complete_report()))
        .await
        .unwrap()
        .into_inner();
    let status = app
        .agency(AGENCY)
        .await
        .submit_report(request("shared-id", AGENCY, PERIOD, complete_report()))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::AlreadyExists);
    let info = status.get_error_details().error_info().cloned().unwrap();
    assert_eq!(info.reason, "REQUEST_ID_REUSED");
    assert!(!info.metadata.contains_key("submission_id"), "{info:?}");
    assert!(!status.message().contains(&held.submission_id.to_string()));

    // An agency cannot submit for another one, and nothing is stored.
    let status = app
        .agency("bao-ha-nam")
        .await
        .submit_report(request(&new_id(), OLD_AGENCY, PERIOD, complete_report()))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied);
    assert_eq!(error_reason(&status), "OUT_OF_SCOPE");
    let listed = app
        .submissions
        .clone()
        .list_submissions(ListSubmissionsRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        listed.submissions.len(),
        1,
        "only the first shared-id report"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_province_lists_only_its_own_agencies_reports() {
    let backend = crate::BACKEND;
    let app = TestApp::spawn(backend).await;
    for agency in [OLD_AGENCY, "ptth-nam-dinh", "bao-ha-nam"] {
        app.submit(request(&new_id(), agency, "2023", complete_report()))
            .await
            .unwrap();
    }
    let province = app.token(Role::Province, Some("nam-dinh")).await;
    let listed = SubmissionServiceClient::new(app.connection(Some(&province)))
        .list_submissions(ListSubmissionsRequest::default())
        .await
        .unwrap()
        .into_inner();
    let mut agencies: Vec<_> = listed
        .submissions
        .iter()
        .map(|submission| submission.agency_code.as_str())
        .collect();
    agencies.sort_unstable();
    assert_eq!(agencies, ["bao-nam-dinh", "ptth-nam-dinh"]);
}

/// A revocation made by another process (here, the test's own connection, as `pressdx token
/// revoke` would) reaches every server as it hears of the commit: a notification on PostgreSQL,
/// its next look on SQLite (every 20 ms). The test allows a generous second for that.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_token_is_refused_by_every_server_as_soon_as_it_hears_of_it() {
    let backend = crate::BACKEND;
    let first = TestApp::spawn(backend).await;
    let second = TestApp::spawn_sharing(&first).await;
    let token = first.token(Role::Ministry, None).await;
    let list_plans = |app: &TestApp| {
        let mut client = CatalogServiceClient::new(app.connection(Some(&token)));
        async move { client.list_plans(ListPlansRequest::default()).await }
    };
    list_plans(&first).await.unwrap();
    list_plans(&second).await.unwrap();
    // A watch opened before the revocation...
    let mut watch = SummaryServiceClient::new(first.connection(Some(&token)))
        .watch_summaries(WatchSummariesRequest {
            plan_code: PLAN.into(),
            period_code: PERIOD.into(),
            scope: "country".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    watch.message().await.unwrap().expect("the first figures");

    let id = first
        .store()
        .list_credentials()
        .await
        .unwrap()
        .last()
        .unwrap()
        .id;
    first.store().revoke_credential(id, "test").await.unwrap();
    for app in [&first, &second] {
        let heard_by = tokio::time::Instant::now() + Duration::from_secs(1);
        let status = loop {
            match list_plans(app).await {
                Err(status) => break status,
                Ok(_) if tokio::time::Instant::now() < heard_by => {
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
                Ok(_) => panic!("the revoked token is still accepted a second later"),
            }
        };
        assert_eq!(status.code(), Code::Unauthenticated);
        assert_eq!(error_reason(&status), "CREDENTIAL_REVOKED");
    }
    // ...ends at its next update instead of sending it.
    first
        .submit(request(&new_id(), OLD_AGENCY, PERIOD, complete_report()))
        .await
        .unwrap();
    let status = watch.message().await.unwrap_err();
    assert_eq!(status.code(), Code::Unauthenticated);
    second.stop().await;
}
