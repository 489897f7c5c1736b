//! What one client can take from the server, and how the server lets go of its clients when it
//! stops: connections that never speak, imports that count each report against the rate, floods
//! of made-up credentials, and streams that end when the server is asked to stop.

use std::time::Duration;

use pressdx::domain::access::Role;
use pressdx::proto::submission_service_client::SubmissionServiceClient;
use pressdx::proto::{ListPeriodsRequest, WatchSummariesRequest};
use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;
use tonic::Code;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

use super::fixtures::{OLD_AGENCY, complete_report, error_reason, new_id, request};
use crate::common::{Backend, TestApp};

/// Whether the server closes `socket` within `within` (whatever it sends first: an HTTP/2
/// server greets a connection with its settings).
async fn closed_by_server(socket: &mut TcpStream, within: Duration) -> bool {
    let until_closed = async {
        let mut buffer = [0_u8; 256];
        loop {
            match socket.read(&mut buffer).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    };
    tokio::time::timeout(within, until_closed).await.is_ok()
}

/// Sockets opened and left silent take no more than their share: those over --max-connections
/// are closed at once, the others after the handshake timeout, and a real client then gets in.
pub async fn silent_connections_cannot_lock_clients_out(backend: Backend) {
    let app = TestApp::spawn_with(backend, |config| {
        config.limits.max_connections = 8;
        config.limits.handshake_timeout = 1;
    })
    .await;
    let mut silent = Vec::new();
    for _ in 0..20 {
        silent.push(TcpStream::connect(app.address).await.unwrap());
    }
    // The test's own client holds one place; at least the last dozen found none left.
    let mut closed_at_once = 0;
    for socket in silent.iter_mut().rev().take(12) {
        if closed_by_server(socket, Duration::from_millis(500)).await {
            closed_at_once += 1;
        }
    }
    assert_eq!(
        closed_at_once, 12,
        "connections over the limit are closed at once"
    );
    for socket in &mut silent {
        assert!(
            closed_by_server(socket, Duration::from_secs(3)).await,
            "a silent connection outlived the handshake timeout"
        );
    }
    // A new client gets in.
    let client = TestApp::client_of(app.address, &app.ministry_token).await;
    let mut catalog = pressdx::proto::catalog_service_client::CatalogServiceClient::new(client);
    catalog
        .list_periods(ListPeriodsRequest::default())
        .await
        .expect("a real client is served");
}

/// Each report of an import counts against the credential's rate, as a SubmitReport would: an
/// import of 4 reports under 1 a second (bursts of 2) goes at that pace, and leaves the
/// credential nothing to spend for a second after.
pub async fn an_import_counts_each_report_against_the_rate(backend: Backend) {
    let app = TestApp::spawn_with(backend, |config| config.limits.rate_limit = 1).await;
    let token = app.token(Role::Agency, Some(OLD_AGENCY)).await;
    let mut agency = SubmissionServiceClient::new(app.connection(Some(&token)));
    let reports: Vec<_> = (0..4)
        .map(|_| pressdx::proto::SubmitReportRequest {
            validate_only: true,
            ..request(&new_id(), OLD_AGENCY, "2024", complete_report())
        })
        .collect();
    let mut answers = agency
        .import_reports(tokio_stream::iter(reports))
        .await
        .unwrap()
        .into_inner();
    let mut answered = 0;
    while let Some(answer) = answers.message().await.unwrap() {
        assert!(matches!(
            answer.outcome,
            Some(pressdx::proto::import_reports_response::Outcome::Receipt(_))
        ));
        answered += 1;
    }
    assert_eq!(answered, 4);
    let limited = agency
        .submit_report(request(&new_id(), OLD_AGENCY, "2024", complete_report()))
        .await
        .unwrap_err();
    assert_eq!(limited.code(), Code::ResourceExhausted, "{limited:?}");
    assert_eq!(error_reason(&limited), "RATE_LIMITED");
}

/// An address that keeps presenting credentials pressdx never issued is refused before any
/// credential is looked at, even a good one, until its allowance refills.
pub async fn failed_authentications_are_limited_per_address(backend: Backend) {
    let app = TestApp::spawn_with(backend, |config| {
        config.limits.max_failed_authentications = 5;
    })
    .await;
    let mut refused_for_failures = None;
    for _ in 0..8 {
        let status =
            pressdx::proto::catalog_service_client::CatalogServiceClient::new(app.connection(
                Some("pdx_0000000000000000000000000000000000000000000000000000000000000000"),
            ))
            .list_periods(ListPeriodsRequest::default())
            .await
            .unwrap_err();
        if status.code() == Code::ResourceExhausted {
            refused_for_failures = Some(status);
            break;
        }
        assert_eq!(status.code(), Code::Unauthenticated);
    }
    let status = refused_for_failures.expect("the address is refused after 5 failures");
    assert_eq!(error_reason(&status), "TOO_MANY_FAILED_AUTHENTICATIONS");
    // The same address with a good credential: refused too, for now.
    let good = app
        .catalog
        .clone()
        .list_periods(ListPeriodsRequest::default())
        .await
        .unwrap_err();
    assert_eq!(good.code(), Code::ResourceExhausted);
}

/// Asked to stop, the server says NOT_SERVING at once, ends an open summary watch with
/// UNAVAILABLE, keeps answering during its grace, and then stops: an open stream never holds it.
pub async fn stopping_ends_open_streams_and_says_not_serving(backend: Backend) {
    let mut app = TestApp::spawn_with(backend, |config| config.shutdown_grace = 2).await;
    let mut watch = app
        .summaries
        .clone()
        .watch_summaries(WatchSummariesRequest {
            plan_code: "national-348-qd-ttg".into(),
            period_code: "2026".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    watch.message().await.unwrap().expect("the first summaries");
    let mut health = HealthClient::new(app.channel.clone());
    let serving = health
        .check(HealthCheckRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(serving.status(), ServingStatus::Serving);

    app.ask_to_stop();
    let ended = tokio::time::timeout(Duration::from_secs(5), watch.message())
        .await
        .expect("the watch ends at once")
        .unwrap_err();
    assert_eq!(ended.code(), Code::Unavailable, "{ended:?}");
    let draining = health
        .check(HealthCheckRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(draining.status(), ServingStatus::NotServing);
    tokio::time::timeout(Duration::from_secs(30), app.stop())
        .await
        .expect("the server stops");
}
