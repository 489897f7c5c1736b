//! Fuzzing the way in: arbitrary bytes and arbitrary field values through the decode-validate path
//! (in process, many thousands of inputs), then arbitrary bytes through a real server's
//! SubmitReport and ImportReports. Nothing may panic or hang, and every refusal must be a clean
//! gRPC error. The number of inputs is bounded so that CI stays quick; raise it with
//! `PRESSDX_FUZZ_CASES` (each property runs that many) for a longer hunt.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::LazyLock;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::{Buf, BufMut};
use pressdx::api::convert::report_from_proto;
use pressdx::domain::Catalog;
use pressdx::domain::access::Role;
use pressdx::domain::catalog::DEFAULT_CATALOG;
use pressdx::domain::submission::{SubmissionContext, SubmissionDraft, check_submission};
use pressdx::proto::{AnnualReport, DigitalPlatform, StaffCounts, SubmitReportRequest};
use proptest::prelude::*;
use proptest::test_runner::TestRunner;
use prost::Message;
use tonic::Code;
use tonic::codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};

use common::{Backend, TestApp};

static CATALOG: LazyLock<Catalog> =
    LazyLock::new(|| Catalog::from_toml(DEFAULT_CATALOG).expect("the default catalogue"));

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
    };
    let context = SubmissionContext {
        period: CATALOG.period(&draft.period_code),
        agency: CATALOG.organization(&draft.agency_code),
        indicators: &CATALOG.indicators,
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

fn staff() -> impl Strategy<Value = Option<StaffCounts>> {
    proptest::option::of(
        (
            proptest::option::of(any::<i64>()),
            proptest::option::of(-5_i64..500),
            proptest::option::of(any::<i64>()),
            proptest::option::of(-5_i64..500),
        )
            .prop_map(|(leaders, reporters, editors, other)| StaffCounts {
                leaders,
                reporters,
                editors,
                other,
            }),
    )
}

/// Reports with every field arbitrary, drawn often enough from plausible ranges that some pass.
fn report() -> impl Strategy<Value = AnnualReport> {
    let booleans = proptest::collection::vec(proptest::option::of(any::<bool>()), 7);
    let money = prop_oneof![any::<i64>(), 0_i64..100_000_000_000];
    let platform =
        (".{0,40}", any::<i32>()).prop_map(|(name, origin)| DigitalPlatform { name, origin });
    (
        booleans,
        proptest::collection::vec(platform, 0..4),
        proptest::option::of(money.clone()),
        proptest::option::of(money),
        staff(),
        staff(),
        proptest::option::of(prop_oneof![any::<i64>(), 0_i64..6]),
        proptest::option::of(prop_oneof![any::<i64>(), 0_i64..10]),
    )
        .prop_map(
            |(
                booleans,
                digital_platforms,
                revenue,
                digital_revenue,
                headcount,
                trained,
                level,
                products,
            )| {
                AnnualReport {
                    content_on_digital_platforms: booleans[0],
                    digital_platforms,
                    central_data_platform: booleans[1],
                    ai_in_operations: booleans[2],
                    converged_newsroom: booleans[3],
                    newsroom_management_platform: booleans[4],
                    revenue_vnd: revenue,
                    digital_revenue_vnd: digital_revenue,
                    headcount,
                    trained,
                    publishes_electronic_press: booleans[5],
                    security_level: level,
                    digital_products_launched: products,
                    digital_radio_platform: booleans[6],
                    digital_tv_platform: None,
                }
            },
        )
}

fn submit_request() -> impl Strategy<Value = SubmitReportRequest> {
    let agency = prop_oneof![
        Just("bao-nam-dinh".to_string()),
        Just("bao-ptth-ninh-binh-2025".to_string()),
        Just("nam-dinh".to_string()),
        ".{0,20}",
    ];
    let period = prop_oneof![Just("2024".to_string()), Just("2025".to_string()), ".{0,8}"];
    (
        ".{0,140}",
        agency,
        period,
        proptest::option::of(report()),
        any::<bool>(),
    )
        .prop_map(
            |(request_id, agency_code, period_code, report, validate_only)| SubmitReportRequest {
                request_id,
                agency_code,
                period_code,
                report,
                validate_only,
            },
        )
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
        .run(&proptest::collection::vec(any::<u8>(), 0..512), |bytes| {
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

/// Sends and receives message bodies as raw bytes, whatever they hold.
#[derive(Debug, Clone, Default)]
struct RawCodec;

impl Codec for RawCodec {
    type Encode = Vec<u8>;
    type Decode = Vec<u8>;
    type Encoder = RawCodec;
    type Decoder = RawCodec;

    fn encoder(&mut self) -> Self::Encoder {
        RawCodec
    }

    fn decoder(&mut self) -> Self::Decoder {
        RawCodec
    }
}

impl Encoder for RawCodec {
    type Item = Vec<u8>;
    type Error = tonic::Status;

    fn encode(
        &mut self,
        item: Vec<u8>,
        destination: &mut EncodeBuf<'_>,
    ) -> Result<(), Self::Error> {
        destination.put_slice(&item);
        Ok(())
    }
}

impl Decoder for RawCodec {
    type Item = Vec<u8>;
    type Error = tonic::Status;

    fn decode(&mut self, source: &mut DecodeBuf<'_>) -> Result<Option<Vec<u8>>, Self::Error> {
        Ok(Some(source.copy_to_bytes(source.remaining()).to_vec()))
    }
}

/// A tiny deterministic generator, so that a failure can be replayed from its seed.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Random bytes, or a valid request with some bytes flipped or cut, so that the inputs reach
    /// past the first byte of the decoder.
    fn payload(&mut self, valid: &[u8]) -> Vec<u8> {
        let length = (self.next() % 600) as usize;
        if self.next() % 2 == 0 {
            return (0..length).map(|_| self.next() as u8).collect();
        }
        let mut bytes = valid.to_vec();
        for _ in 0..=(self.next() % 8) {
            let at = (self.next() as usize) % bytes.len();
            bytes[at] = self.next() as u8;
        }
        bytes.truncate((self.next() as usize) % (bytes.len() + 1));
        bytes
    }
}

/// A refusal a client can act on: not a crash, a reset or an unknown error.
fn is_clean_refusal(status: &tonic::Status) -> bool {
    match status.code() {
        Code::InvalidArgument | Code::PermissionDenied | Code::AlreadyExists => true,
        // tonic's answer to bytes that are not a protobuf message.
        Code::Internal => status.message().contains("decode"),
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
    }
    .encode_to_vec();
    let inputs: u64 = std::env::var("PRESSDX_FUZZ_WIRE_CASES")
        .ok()
        .and_then(|cases| cases.parse().ok())
        .unwrap_or(2_000);
    let mut generator = SplitMix(0x5EED);
    let (mut answered, mut refused) = (0_u64, 0_u64);
    let mut grpc = tonic::client::Grpc::new(connection);
    for input in 0..inputs {
        let payload = generator.payload(&valid);
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
        })
        .await
        .expect("the server still answers");
    println!("over gRPC: {inputs} inputs, {answered} answered, {refused} refused cleanly");
}
