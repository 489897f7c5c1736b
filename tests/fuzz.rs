//! Fuzzing the way in: arbitrary bytes and arbitrary field values through the decode-validate path
//! (in process, many thousands of inputs), then arbitrary bytes through a real server's
//! SubmitReport and ImportReports. Nothing may panic or hang, and every refusal must be a clean
//! gRPC error. The number of inputs is bounded so that CI stays quick; raise it with
//! `PRESSDX_FUZZ_CASES` (each property runs that many) for a longer hunt.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::LazyLock;
use std::sync::atomic::{AtomicU64, Ordering};

use pressdx::api::convert::report_from_proto;
use pressdx::catalog_file::{self, DEFAULT_CATALOG};
use pressdx::domain::Catalog;
use pressdx::domain::access::Role;
use pressdx::domain::submission::{SubmissionContext, SubmissionDraft, check_submission};
use pressdx::proto::{AnnualReport, DigitalPlatform, StaffCounts, SubmitReportRequest};
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::TestRunner;
use prost::Message;
use tonic::Code;

use common::draws::Draws;
use common::{Backend, RawCodec, TestApp};

static CATALOG: LazyLock<Catalog> =
    LazyLock::new(|| catalog_file::parse(DEFAULT_CATALOG).expect("the default catalogue"));

/// How many inputs each in-process property tries.
fn cases() -> u32 {
    std::env::var("PRESSDX_FUZZ_CASES")
        .ok()
        .and_then(|cases| cases.parse().ok())
        .unwrap_or(20_000)
}

/// What the server does with a decoded request before storing it: convert, look up, check every
/// rule. Returns whether the request was accepted.
fn check_request(request: SubmitReportRequest) -> bool {
    let draft = SubmissionDraft {
        request_id: request.request_id,
        agency_code: request.agency_code,
        period_code: request.period_code,
        report: request.report.map(report_from_proto),
        submitted_by: "fuzz".into(),
        on_behalf: false,
        asserted_received_at: None,
    };
    let context = SubmissionContext {
        period: CATALOG.period(&draft.period_code),
        agency: CATALOG.organization(&draft.agency_code),
        indicators: &CATALOG.indicators,
        known: Some(&CATALOG),
        now: chrono::Utc::now(),
    };
    match check_submission(draft, &context) {
        Ok(valid) => {
            // An accepted report serialises and hashes as the store would.
            assert!(serde_json::to_string(&valid.report).is_ok());
            assert!(valid.content_hash.starts_with("sha256:"));
            true
        }
        Err(rejection) => {
            assert!(!rejection.violations.is_empty(), "a refusal names a field");
            false
        }
    }
}

/// A value that is usually `valid` and sometimes anything `wild` produces: inputs near the valid
/// ones reach every rule, not just the first that random values break.
fn mostly<T: Clone + std::fmt::Debug + 'static>(
    valid: T,
    wild: impl Strategy<Value = T> + 'static,
) -> BoxedStrategy<T> {
    prop_oneof![12 => Just(valid), 1 => wild].boxed()
}

fn count(valid: i64) -> BoxedStrategy<Option<i64>> {
    mostly(
        Some(valid),
        proptest::option::of(prop_oneof![any::<i64>(), -3_i64..300]),
    )
}

fn staff(valid: [i64; 4]) -> BoxedStrategy<Option<StaffCounts>> {
    let counts = (
        count(valid[0]),
        count(valid[1]),
        count(valid[2]),
        count(valid[3]),
    )
        .prop_map(|(leaders, reporters, editors, other)| StaffCounts {
            leaders,
            reporters,
            editors,
            other,
        });
    prop_oneof![9 => counts.prop_map(Some), 1 => Just(None)].boxed()
}

fn flag(valid: bool) -> BoxedStrategy<Option<bool>> {
    mostly(Some(valid), proptest::option::of(any::<bool>()))
}

/// Reports near a valid one: each field is usually its valid value and sometimes arbitrary.
fn report() -> impl Strategy<Value = AnnualReport> {
    let money = |valid: i64| {
        mostly(
            Some(valid),
            proptest::option::of(prop_oneof![any::<i64>(), 0_i64..100_000_000_000]),
        )
    };
    let platform = (".{0,40}", prop_oneof![1_i32..4, any::<i32>()])
        .prop_map(|(name, origin)| DigitalPlatform { name, origin });
    let platforms = mostly(
        vec![DigitalPlatform {
            name: "baonamdinh.vn".into(),
            origin: 1,
        }],
        proptest::collection::vec(platform, 0..4),
    );
    (
        (
            flag(true),
            platforms,
            flag(true),
            flag(false),
            flag(true),
            flag(true),
        ),
        (money(25_000_000_000), money(4_000_000_000)),
        (staff([6, 40, 20, 14]), staff([6, 30, 12, 2])),
        (flag(true), count(3), count(2), flag(false)),
    )
        .prop_map(
            |(
                (content, digital_platforms, data_platform, ai, converged, management),
                (revenue_vnd, digital_revenue_vnd),
                (headcount, trained),
                (electronic, security_level, digital_products_launched, radio),
            )| AnnualReport {
                content_on_digital_platforms: content,
                digital_platforms,
                central_data_platform: data_platform,
                ai_in_operations: ai,
                converged_newsroom: converged,
                newsroom_management_platform: management,
                revenue_vnd,
                digital_revenue_vnd,
                headcount,
                trained,
                publishes_electronic_press: electronic,
                security_level,
                digital_products_launched,
                digital_radio_platform: radio,
                digital_tv_platform: None,
            },
        )
}

fn submit_request() -> impl Strategy<Value = SubmitReportRequest> {
    let agency = prop_oneof![
        6 => Just("bao-nam-dinh".to_string()),
        1 => Just("bao-ptth-ninh-binh-2025".to_string()),
        1 => Just("nam-dinh".to_string()),
        1 => ".{0,20}",
    ];
    let period =
        prop_oneof![6 => Just("2024".to_string()), 1 => Just("2025".to_string()), 1 => ".{0,8}"];
    let request_id = prop_oneof![4 => "[a-z0-9-]{1,36}", 1 => ".{0,140}"];
    (
        request_id,
        agency,
        period,
        mostly(true, any::<bool>()),
        report(),
        any::<bool>(),
    )
        .prop_map(
            |(request_id, agency_code, period_code, has_report, report, validate_only)| {
                SubmitReportRequest {
                    request_id,
                    agency_code,
                    period_code,
                    report: has_report.then_some(report),
                    validate_only,
                    received_at: None,
                }
            },
        )
}

/// Bytes: anything at all, or a valid request's encoding with some bytes changed and its end
/// cut, which gets past the decoder's first byte far more often.
fn bytes() -> impl Strategy<Value = Vec<u8>> {
    let valid = (
        submit_request(),
        proptest::collection::vec((any::<usize>(), any::<u8>()), 1..8),
        any::<usize>(),
    )
        .prop_map(|(request, changes, cut)| {
            let mut bytes = request.encode_to_vec();
            if bytes.is_empty() {
                return bytes;
            }
            for (at, value) in changes {
                let at = at % bytes.len();
                bytes[at] = value;
            }
            if cut % 4 == 0 {
                bytes.truncate(cut / 4 % (bytes.len() + 1));
            }
            bytes
        });
    prop_oneof![proptest::collection::vec(any::<u8>(), 0..512), valid]
}

fn runner() -> TestRunner {
    TestRunner::new(ProptestConfig {
        cases: cases(),
        failure_persistence: None,
        ..ProptestConfig::default()
    })
}

/// Any bytes at all: they decode or they do not, and a decoded request is checked cleanly.
#[test]
fn arbitrary_bytes_never_panic_the_decode_and_check() {
    let decoded = AtomicU64::new(0);
    runner()
        .run(&bytes(), |bytes| {
            if let Ok(request) = SubmitReportRequest::decode(bytes.as_slice()) {
                decoded.fetch_add(1, Ordering::Relaxed);
                check_request(request);
            }
            Ok(())
        })
        .unwrap();
    println!(
        "{} arbitrary byte strings, {} of them decoded and checked",
        cases(),
        decoded.load(Ordering::Relaxed)
    );
}

/// Well-formed messages with arbitrary field values: the checks accept or refuse, never panic,
/// and a request survives encoding and decoding unchanged.
#[test]
fn arbitrary_field_values_never_panic_the_checks() {
    let accepted = AtomicU64::new(0);
    runner()
        .run(&submit_request(), |request| {
            let bytes = request.encode_to_vec();
            prop_assert_eq!(
                SubmitReportRequest::decode(bytes.as_slice()).unwrap(),
                request.clone()
            );
            if check_request(request) {
                accepted.fetch_add(1, Ordering::Relaxed);
            }
            Ok(())
        })
        .unwrap();
    println!(
        "{} arbitrary requests, {} of them accepted",
        cases(),
        accepted.load(Ordering::Relaxed)
    );
}

/// Random bytes, or a valid request with some bytes flipped or cut, so that the inputs reach past
/// the first byte of the decoder.
fn payloads(valid: Vec<u8>) -> impl Strategy<Value = Vec<u8>> {
    let noise = proptest::collection::vec(any::<u8>(), 0..600);
    let flips = proptest::collection::vec((any::<Index>(), any::<u8>()), 1..=8);
    let mutated = (flips, any::<Index>()).prop_map(move |(flips, cut)| {
        let mut bytes = valid.clone();
        for (at, byte) in flips {
            let at = at.index(bytes.len());
            bytes[at] = byte;
        }
        bytes.truncate(cut.index(bytes.len() + 1));
        bytes
    });
    prop_oneof![noise, mutated]
}

/// A refusal a client can act on: not a crash, a reset or an unknown error.
fn is_clean_refusal(status: &tonic::Status) -> bool {
    match status.code() {
        Code::InvalidArgument | Code::PermissionDenied | Code::AlreadyExists => true,
        // Bytes that are not a protobuf message are the caller's error too (src/api/codec.rs).
        _ => false,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn arbitrary_bytes_over_grpc_get_clean_errors_and_the_server_stays_up() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let token = app.token(Role::Agency, Some("bao-nam-dinh")).await;
    let connection = app.connection(Some(&token));
    let valid = SubmitReportRequest {
        request_id: "fuzz".into(),
        agency_code: "bao-nam-dinh".into(),
        period_code: "2024".into(),
        report: Some(AnnualReport {
            revenue_vnd: Some(1),
            ..AnnualReport::default()
        }),
        validate_only: true,
        received_at: None,
    }
    .encode_to_vec();
    let inputs: u64 = std::env::var("PRESSDX_FUZZ_WIRE_CASES")
        .ok()
        .and_then(|cases| cases.parse().ok())
        .unwrap_or(2_000);
    let mut draws = Draws::seeded(0x5EED);
    let payloads = payloads(valid);
    let (mut answered, mut refused) = (0_u64, 0_u64);
    let mut grpc = tonic::client::Grpc::new(connection);
    for input in 0..inputs {
        let payload = draws.draw(&payloads);
        grpc.ready().await.expect("the server is up");
        let path = if input % 10 == 0 {
            // Streams too: the import reads the same bytes as a one-message stream.
            http::uri::PathAndQuery::from_static("/pressdx.v1.SubmissionService/ImportReports")
        } else {
            http::uri::PathAndQuery::from_static("/pressdx.v1.SubmissionService/SubmitReport")
        };
        let result = if input % 10 == 0 {
            match grpc
                .streaming(
                    tonic::Request::new(tokio_stream::iter([payload.clone()])),
                    path,
                    RawCodec,
                )
                .await
            {
                Ok(response) => {
                    let mut stream = response.into_inner();
                    loop {
                        match stream.message().await {
                            Ok(Some(_)) => {}
                            Ok(None) => break Ok(()),
                            Err(status) => break Err(status),
                        }
                    }
                }
                Err(status) => Err(status),
            }
        } else {
            grpc.unary(tonic::Request::new(payload.clone()), path, RawCodec)
                .await
                .map(drop)
        };
        match result {
            Ok(()) => answered += 1,
            Err(status) => {
                assert!(
                    is_clean_refusal(&status),
                    "input {input} (seed 0x5EED) got {status:?} for {payload:?}"
                );
                refused += 1;
            }
        }
    }
    // Still serving, and still storing nothing it should not have: only validate-only or
    // refused inputs, unless a mutation happened to produce a complete valid report.
    app.summaries
        .clone()
        .list_target_summaries(pressdx::proto::ListTargetSummariesRequest {
            plan_code: "national-348-qd-ttg".into(),
            period_code: "2024".into(),
            scope: "country".into(),
            ..Default::default()
        })
        .await
        .expect("the server still answers");
    println!("over gRPC: {inputs} inputs, {answered} answered, {refused} refused cleanly");
}
