//! What one client can take from the server, and how the server lets go of its clients when it
//! stops: connections that never speak, imports that count each report against the rate, floods
//! of made-up credentials, and streams that end when the server is asked to stop.

use std::time::Duration;

use pressdx::domain::access::Role;
use pressdx::proto::submission_service_client::SubmissionServiceClient;
use pressdx::proto::{ListPeriodsRequest, WatchSummariesRequest};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tonic::Code;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

use super::fixtures::{OLD_AGENCY, complete_report, error_reason, new_id, request};
use crate::common::TestApp;

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

/// Sockets opened and left silent take no more than their share: each new one past the places
/// for waiting connections closes the longest waiting, the rest are closed at the
/// authentication timeout, and a real client then gets in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_connections_cannot_lock_clients_out() {
    let backend = crate::BACKEND;
    let app = TestApp::spawn_with(backend, |config| {
        config.limits.max_connections = 8;
        config.limits.max_unauthenticated_connections = 4;
        config.limits.authentication_timeout = 1;
    })
    .await;
    let mut silent = Vec::new();
    for _ in 0..20 {
        silent.push(TcpStream::connect(app.address).await.unwrap());
    }
    // Only the last four can still be waiting: the first sixteen were pushed out on arrival.
    let mut closed_at_once = 0;
    for socket in silent.iter_mut().take(16) {
        if closed_by_server(socket, Duration::from_millis(500)).await {
            closed_at_once += 1;
        }
    }
    assert_eq!(closed_at_once, 16, "newer connections push the oldest out");
    for socket in &mut silent {
        assert!(
            closed_by_server(socket, Duration::from_secs(3)).await,
            "a silent connection outlived the authentication timeout"
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

/// A connection from 127.0.0.2 (another address than the real clients' 127.0.0.1).
async fn connect_from_elsewhere(address: std::net::SocketAddr) -> std::io::Result<TcpStream> {
    let socket = tokio::net::TcpSocket::new_v4()?;
    socket.bind("127.0.0.2:0".parse().unwrap())?;
    socket.connect(address).await
}

/// The HTTP/2 connection preface and an empty SETTINGS frame: a client that has said hello and
/// then nothing.
const HTTP2_PREFACE_AND_SETTINGS: &[u8] =
    b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00";

/// Connections that speak but never authenticate (an HTTP/2 preface and settings and nothing
/// else, an open health check and then silence, HTTP/1.1 headers sent a byte at a time), more of
/// them than the server has places, and reopened as fast as they close, neither outlive the
/// authentication timeout nor keep a single real client out.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_without_a_credential_cannot_take_the_places_of_clients_with_one() {
    let backend = crate::BACKEND;
    let app = TestApp::spawn_with(backend, |config| {
        config.limits.max_connections = 16;
        config.limits.max_unauthenticated_connections = 8;
        config.limits.authentication_timeout = 2;
    })
    .await;
    // Twenty of each kind, held open from another address.
    let mut talkers = Vec::new();
    for _ in 0..20 {
        let mut socket = connect_from_elsewhere(app.address).await.unwrap();
        socket.write_all(HTTP2_PREFACE_AND_SETTINGS).await.unwrap();
        talkers.push(socket);
    }
    let mut health_checkers = Vec::new();
    for _ in 0..20 {
        let channel = tonic::transport::Endpoint::from_shared(format!("http://{}", app.address))
            .unwrap()
            .local_address(Some("127.0.0.2".parse().unwrap()))
            .connect()
            .await;
        if let Ok(channel) = channel {
            let mut health = HealthClient::new(channel.clone());
            // Pushed out by the next one, perhaps, before it asks: that is the point.
            let _ = health.check(HealthCheckRequest::default()).await;
            health_checkers.push(channel);
        }
    }
    let slow_writer = {
        let address = app.address;
        tokio::spawn(async move {
            let mut sockets = Vec::new();
            for _ in 0..20 {
                sockets.push(connect_from_elsewhere(address).await.unwrap());
            }
            for byte in b"POST /pressdx.v1.CatalogService/ListPeriods HTTP/1.1\r\nhost: x\r\n" {
                for socket in &mut sockets {
                    let _ = socket.write_all(&[*byte]).await;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
    };
    // And one that keeps reopening sockets as fast as it can, each with a preface.
    let reopener = {
        let address = app.address;
        tokio::spawn(async move {
            let mut open = std::collections::VecDeque::new();
            loop {
                let Ok(mut socket) = connect_from_elsewhere(address).await else {
                    continue;
                };
                let _ = socket.write_all(HTTP2_PREFACE_AND_SETTINGS).await;
                open.push_back(socket);
                if open.len() > 40 {
                    open.pop_front();
                }
                tokio::task::yield_now().await;
            }
        })
    };
    // Fifteen real clients, each on a fresh connection, are all served while the attack goes on.
    let mut served = 0;
    for _ in 0..15 {
        let client = TestApp::client_of(app.address, &app.ministry_token).await;
        let mut catalog = pressdx::proto::catalog_service_client::CatalogServiceClient::new(client);
        let answer = tokio::time::timeout(
            Duration::from_secs(5),
            catalog.list_periods(ListPeriodsRequest::default()),
        )
        .await;
        if matches!(answer, Ok(Ok(_))) {
            served += 1;
        }
    }
    assert!(!reopener.is_finished(), "the attack went on throughout");
    reopener.abort();
    slow_writer.abort();
    assert_eq!(served, 15, "every real client is served during the attack");
    // None of the connections that never authenticated outlives the timeout (two seconds).
    for socket in &mut talkers {
        assert!(
            closed_by_server(socket, Duration::from_secs(4)).await,
            "a connection that only said hello outlived the authentication timeout"
        );
    }
    drop(health_checkers);
}

/// Each report of an import counts against the credential's rate, as a SubmitReport would: an
/// import of 4 reports under 1 a second (bursts of 2) goes at that pace, and leaves the
/// credential nothing to spend for a second after.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_counts_each_report_against_the_rate() {
    let backend = crate::BACKEND;
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

/// An address that keeps presenting credentials pressdx never issued has them refused without
/// the database being asked, until its allowance refills; a good credential from it is served.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_authentications_are_limited_per_address() {
    let backend = crate::BACKEND;
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
    // The same address with a good credential is served: a proxy in front of many clients must
    // not lock them all out for one client's bad tokens.
    app.catalog
        .clone()
        .list_periods(ListPeriodsRequest::default())
        .await
        .expect("a valid credential from the refused address is served");
}

/// Asked to stop, the server says NOT_SERVING at once, ends an open summary watch with
/// UNAVAILABLE, keeps answering during its grace, and then stops: an open stream never holds it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stopping_ends_open_streams_and_says_not_serving() {
    let backend = crate::BACKEND;
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

/// A back-fill sent as grpc-python sends a stream, each message in a DATA frame of its own,
/// faster than the server answers: eight thousand reports go through one ImportReports stream,
/// every one answered. (h2 counts small frames that wait unread against a budget and ends the
/// connection with ENHANCE_YOUR_CALM when it runs out; the server's flow-control windows must
/// keep what may wait within it.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_back_fill_sent_a_frame_a_message_goes_through_one_stream() {
    let backend = crate::BACKEND;
    use prost::Message;
    const REPORTS: usize = 8_000;
    let app = TestApp::spawn(backend).await;
    let token = app.agency_token(OLD_AGENCY).await;
    let tcp = TcpStream::connect(app.address).await.unwrap();
    let (client, connection) = h2::client::handshake(tcp).await.unwrap();
    tokio::spawn(connection);
    let mut client = client.ready().await.unwrap();
    let import = http::Request::builder()
        .method("POST")
        .uri(format!(
            "http://{}/pressdx.v1.SubmissionService/ImportReports",
            app.address
        ))
        .header("content-type", "application/grpc")
        .header("te", "trailers")
        .header("authorization", format!("Bearer {token}"))
        .body(())
        .unwrap();
    let (response, mut sending) = client.send_request(import, false).unwrap();
    let sender = tokio::spawn(async move {
        for _ in 0..REPORTS {
            let message = pressdx::proto::SubmitReportRequest {
                validate_only: true,
                ..request(&new_id(), OLD_AGENCY, "2024", complete_report())
            }
            .encode_to_vec();
            let mut frame = Vec::with_capacity(5 + message.len());
            frame.push(0);
            frame.extend_from_slice(&u32::try_from(message.len()).unwrap().to_be_bytes());
            frame.extend_from_slice(&message);
            // As a well-behaved client does: wait for the window, then send the message alone.
            sending.reserve_capacity(frame.len());
            while sending.capacity() < frame.len() {
                match std::future::poll_fn(|context| sending.poll_capacity(context)).await {
                    Some(Ok(_)) => {}
                    _ => return Err("the stream closed while sending"),
                }
            }
            if sending.send_data(frame.into(), false).is_err() {
                return Err("the stream closed while sending");
            }
        }
        sending
            .send_data(Default::default(), true)
            .map_err(|_| "the stream closed at its end")
    });
    let response = response.await.expect("the server answers");
    let mut body = response.into_body();
    let mut buffered = Vec::new();
    let mut receipts = 0;
    while let Some(data) = body.data().await {
        let data = data
            .unwrap_or_else(|error| panic!("the stream ended after {receipts} receipts: {error}"));
        let _ = body.flow_control().release_capacity(data.len());
        buffered.extend_from_slice(&data);
        while buffered.len() >= 5 {
            let length = u32::from_be_bytes(buffered[1..5].try_into().unwrap()) as usize;
            if buffered.len() < 5 + length {
                break;
            }
            let answer =
                pressdx::proto::ImportReportsResponse::decode(&buffered[5..5 + length]).unwrap();
            assert!(
                matches!(
                    answer.outcome,
                    Some(pressdx::proto::import_reports_response::Outcome::Receipt(_))
                ),
                "{answer:?}"
            );
            receipts += 1;
            buffered.drain(..5 + length);
        }
    }
    let trailers = body.trailers().await.unwrap().unwrap_or_default();
    assert_eq!(
        trailers.get("grpc-status").map(|status| status.as_bytes()),
        Some(&b"0"[..]),
        "{trailers:?}"
    );
    sender.await.unwrap().unwrap();
    assert_eq!(receipts, REPORTS);
}
