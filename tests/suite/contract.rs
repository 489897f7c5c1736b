//! The error contract clients' retry logic and monitoring depend on: the right gRPC code for each
//! kind of failure, a google.rpc.ErrorInfo on every error, every missing field named before
//! anything else is looked at, answers that stay readable whatever the caller sent, and the
//! closest valid codes named for an unknown one.

use pressdx::domain::access::Role;
use pressdx::proto::summary_service_client::SummaryServiceClient;
use pressdx::proto::{
    GetOrganizationRequest, GetReportingStatusRequest, GetTargetSummaryRequest,
    ListTargetSummariesRequest, SubmitReportRequest,
};
use prost::Message;
use tonic::{Code, Status};
use tonic_types::StatusExt;

use super::fixtures::{
    OLD_AGENCY, complete_report, error_reason, new_id, request, violated_fields,
};
use crate::common::{Backend, RawCodec, TestApp};

const NATIONAL: &str = "national-348-qd-ttg";

/// Sends `body` as the request message of `method`, over a connection with `token`.
pub(super) async fn raw_unary(app: &TestApp, token: &str, method: &str, body: Vec<u8>) -> Status {
    let mut grpc = tonic::client::Grpc::new(app.connection(Some(token)));
    grpc.ready().await.unwrap();
    let path = http::uri::PathAndQuery::try_from(method).expect("a path");
    match grpc.unary(tonic::Request::new(body), path, RawCodec).await {
        Ok(_) => panic!("{method} accepted what it was sent"),
        Err(status) => status,
    }
}

/// Sends `body` as the one message of an ImportReports stream; the status the stream ends with.
async fn raw_import(app: &TestApp, token: &str, body: Vec<u8>) -> Status {
    let mut grpc = tonic::client::Grpc::new(app.connection(Some(token)));
    grpc.ready().await.unwrap();
    let path = http::uri::PathAndQuery::from_static("/pressdx.v1.SubmissionService/ImportReports");
    let request = tonic::Request::new(tokio_stream::iter([body]));
    match grpc.streaming(request, path, RawCodec).await {
        Err(status) => status,
        Ok(response) => {
            let mut stream = response.into_inner();
            loop {
                match stream.message().await {
                    Ok(Some(_)) => {}
                    Ok(None) => panic!("the import accepted what it was sent"),
                    Err(status) => return status,
                }
            }
        }
    }
}

/// A message that does not decode (truncated, a wrong wire type, invalid UTF-8 in a string) is
/// the caller's error: INVALID_ARGUMENT with reason MALFORMED_MESSAGE, unary and streamed alike.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_messages_are_the_callers_error() {
    let backend = crate::BACKEND;
    let app = TestApp::spawn(backend).await;
    let agency = app.agency_token(OLD_AGENCY).await;
    let valid = request(&new_id(), OLD_AGENCY, "2024", complete_report()).encode_to_vec();
    let truncated = valid[..valid.len() - 3].to_vec();
    // Field 1 (request_id, a string) sent as a varint.
    let wrong_wire_type = vec![0x08, 0x01];
    // Field 1 as a string of bytes that are not UTF-8.
    let not_utf8 = vec![0x0a, 0x02, 0xff, 0xfe];
    for (what, body) in [
        ("truncated", truncated),
        ("wrong wire type", wrong_wire_type),
        ("invalid UTF-8", not_utf8),
    ] {
        for status in [
            raw_unary(
                &app,
                &agency,
                "/pressdx.v1.SubmissionService/SubmitReport",
                body.clone(),
            )
            .await,
            raw_import(&app, &agency, body.clone()).await,
            raw_unary(
                &app,
                &app.ministry_token,
                "/pressdx.v1.SummaryService/GetTargetSummary",
                body.clone(),
            )
            .await,
        ] {
            assert_eq!(status.code(), Code::InvalidArgument, "{what}: {status:?}");
            assert_eq!(error_reason(&status), "MALFORMED_MESSAGE", "{what}");
        }
    }
}

/// Missing required fields are INVALID_ARGUMENT, every one named in a BadRequest, before who may
/// ask for what is looked at.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_fields_are_named_before_anything_else() {
    let backend = crate::BACKEND;
    let app = TestApp::spawn(backend).await;
    let empty_submit = app
        .agency(OLD_AGENCY)
        .await
        .submit_report(SubmitReportRequest::default())
        .await
        .unwrap_err();
    assert_eq!(
        empty_submit.code(),
        Code::InvalidArgument,
        "{empty_submit:?}"
    );
    assert_eq!(
        violated_fields(&empty_submit),
        ["request_id", "period_code", "agency_code", "report"]
    );

    let mut summaries = app.summaries.clone();
    let empty_summary = summaries
        .get_target_summary(GetTargetSummaryRequest::default())
        .await
        .unwrap_err();
    assert_eq!(empty_summary.code(), Code::InvalidArgument);
    assert_eq!(
        violated_fields(&empty_summary),
        ["plan_code", "target_code", "period_code"]
    );
    assert_eq!(error_reason(&empty_summary), "REQUEST_INVALID");
    let empty_list = summaries
        .list_target_summaries(ListTargetSummariesRequest::default())
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&empty_list), ["plan_code", "period_code"]);
    let empty_status = summaries
        .get_reporting_status(GetReportingStatusRequest::default())
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&empty_status), ["period_code"]);
    let empty_organization = app
        .catalog
        .clone()
        .get_organization(GetOrganizationRequest::default())
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&empty_organization), ["code"]);
}

/// Thousands of characters where a code belongs come back cut short: the answer's trailers stay
/// small enough for the client to read its details.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn long_input_is_echoed_short() {
    let backend = crate::BACKEND;
    let app = TestApp::spawn(backend).await;
    let long = "x".repeat(7_000);
    let mut agency = app.agency(OLD_AGENCY).await;
    let refused = agency
        .submit_report(SubmitReportRequest {
            request_id: long.clone(),
            period_code: long.clone(),
            ..request(&new_id(), OLD_AGENCY, "2024", complete_report())
        })
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::InvalidArgument);
    assert!(
        refused.message().len() < 1_100,
        "{}",
        refused.message().len()
    );
    assert_eq!(violated_fields(&refused), ["request_id", "period_code"]);
    assert!(
        refused
            .get_error_details()
            .bad_request()
            .unwrap()
            .field_violations
            .iter()
            .all(|violation| violation.description.len() < 400)
    );

    // A code longer than any code can be is a malformed field (submission.proto, Formats), not
    // an unknown one: it is named, and echoed short.
    let malformed = app
        .summaries
        .clone()
        .get_target_summary(GetTargetSummaryRequest {
            plan_code: long.clone(),
            target_code: "revenue_growth".into(),
            period_code: "2024".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(malformed.code(), Code::InvalidArgument);
    assert_eq!(violated_fields(&malformed), ["plan_code"]);
    assert!(
        malformed.message().contains("(7000 characters)"),
        "{malformed:?}"
    );
    assert!(malformed.message().len() < 300);
    // An unknown code of the right form is NOT_FOUND, naming it.
    let not_found = app
        .summaries
        .clone()
        .get_target_summary(GetTargetSummaryRequest {
            plan_code: "x".repeat(64),
            target_code: "revenue_growth".into(),
            period_code: "2024".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(not_found.code(), Code::NotFound);
    assert_eq!(error_reason(&not_found), "PLAN_NOT_FOUND");
    assert!(not_found.message().len() < 200);
}

/// A method pressdx does not serve is UNIMPLEMENTED, with or without a credential.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_method_is_unimplemented() {
    let backend = crate::BACKEND;
    let app = TestApp::spawn(backend).await;
    for token in [app.ministry_token.as_str(), "not-a-token"] {
        let status = raw_unary(
            &app,
            token,
            "/pressdx.v1.SummaryService/GetEverything",
            Vec::new(),
        )
        .await;
        assert_eq!(status.code(), Code::Unimplemented, "{status:?}");
        assert_eq!(error_reason(&status), "METHOD_UNKNOWN");
    }
}

/// An unknown plan, period, target, organisation or scope names the closest valid codes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_codes_name_the_closest_valid_ones() {
    let backend = crate::BACKEND;
    let app = TestApp::spawn(backend).await;
    let mut summaries = app.summaries.clone();
    let ask = |plan: &str, target: &str, period: &str, scope: &str| GetTargetSummaryRequest {
        plan_code: plan.into(),
        target_code: target.into(),
        period_code: period.into(),
        scope: scope.into(),
        ..Default::default()
    };
    for (request, code, reason, suggestion) in [
        (
            ask("national-348", "revenue_growth", "2024", "country"),
            Code::NotFound,
            "PLAN_NOT_FOUND",
            "did you mean \"national-348-qd-ttg\"?",
        ),
        (
            ask(NATIONAL, "revenue_grwth", "2024", "country"),
            Code::NotFound,
            "TARGET_NOT_FOUND",
            "did you mean \"revenue_growth\"?",
        ),
        (
            ask(NATIONAL, "revenue_growth", "2204", "country"),
            Code::NotFound,
            "PERIOD_NOT_FOUND",
            "did you mean \"2024\"",
        ),
        (
            ask(NATIONAL, "revenue_growth", "2024", "province:nam-dnh"),
            Code::InvalidArgument,
            "REQUEST_INVALID",
            "did you mean \"nam-dinh\"",
        ),
    ] {
        let status = summaries
            .get_target_summary(request.clone())
            .await
            .unwrap_err();
        assert_eq!(status.code(), code, "{request:?}");
        assert_eq!(error_reason(&status), reason, "{request:?}");
        assert!(
            status.message().contains(suggestion),
            "{request:?}: {}",
            status.message()
        );
    }
    let organization = app
        .catalog
        .clone()
        .get_organization(GetOrganizationRequest {
            code: "bao-nam-din".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(error_reason(&organization), "ORGANIZATION_NOT_FOUND");
    assert!(
        organization
            .message()
            .contains("did you mean \"bao-nam-dinh\""),
        "{organization:?}"
    );
}

/// The server's own request timeout answers DEADLINE_EXCEEDED, not CANCELLED.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_servers_timeout_is_deadline_exceeded() {
    let backend = crate::BACKEND;
    // No request can finish within no time at all: every one that must wait for the database
    // meets the limit.
    let app = TestApp::spawn_with(backend, |config| config.limits.request_timeout = 0).await;
    let status = app
        .summaries
        .clone()
        .list_target_summaries(ListTargetSummariesRequest {
            plan_code: NATIONAL.into(),
            period_code: "2024".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::DeadlineExceeded, "{status:?}");
    assert_eq!(error_reason(&status), "SERVER_TIMEOUT");
}

/// While the database cannot be reached, reads and submits answer UNAVAILABLE with a RetryInfo
/// within seconds, never hang and never answer INTERNAL; once it is back, they succeed again.
/// (PostgreSQL only: an embedded SQLite file has no server to lose.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_outage_is_unavailable_with_a_retry_delay() {
    let backend = crate::BACKEND;
    let app = TestApp::spawn(backend).await;
    let mut agency = app.agency(OLD_AGENCY).await;
    if !app.cut_off_database(true).await {
        return;
    }
    let read = app
        .summaries
        .clone()
        .list_target_summaries(ListTargetSummariesRequest {
            plan_code: NATIONAL.into(),
            period_code: "2024".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    let submit = agency
        .submit_report(request(&new_id(), OLD_AGENCY, "2024", complete_report()))
        .await
        .unwrap_err();
    for status in [read, submit] {
        assert_eq!(status.code(), Code::Unavailable, "{status:?}");
        assert_eq!(error_reason(&status), "DATABASE_UNAVAILABLE");
        let details = status.get_error_details();
        let delay = details.retry_info().unwrap().retry_delay.unwrap();
        assert!(delay >= std::time::Duration::from_millis(500), "{delay:?}");
    }
    app.cut_off_database(false).await;
    // As a client does: retry after the delay it was given, until the server has seen the
    // database answer again (its next heartbeat).
    let retried = request(&new_id(), OLD_AGENCY, "2024", complete_report());
    for attempt in 1.. {
        match agency.submit_report(retried.clone()).await {
            Ok(_) => break,
            Err(status) if status.code() == Code::Unavailable && attempt < 5 => {
                tokio::time::sleep(std::time::Duration::from_secs(1)).await;
            }
            Err(status) => panic!("the database is back, yet: {status:?}"),
        }
    }
}

/// A database that goes silent (its machine dies, or the network to it is cut: no connection is
/// closed, nothing answers) for longer than the promised five seconds. Every call answers within
/// about five seconds, and only UNAVAILABLE (DATABASE_UNAVAILABLE, with a RetryInfo) or, in the
/// first seconds before the server can have noticed, what it answered before; once the heartbeat
/// has had its interval and timeout (three seconds), every call is UNAVAILABLE, reads that memory
/// could serve included. When the database is back, calls succeed again, and a submit retried
/// with its request id is stored once. PostgreSQL only: an embedded file cannot go silent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_that_goes_silent_is_unavailable_within_seconds() {
    let backend = crate::BACKEND;
    use std::time::{Duration, Instant};

    use crate::common::{DatabaseProxy, ProxyMode, postgres_address};
    if backend != Backend::Postgres {
        return;
    }
    let proxy = DatabaseProxy::start(postgres_address()).await;
    let app = TestApp::spawn_with(backend, |config| {
        config.database.database_url = proxy.url_through(&config.database.database_url);
    })
    .await;
    let mut agency = app.agency(OLD_AGENCY).await;
    agency
        .submit_report(request(&new_id(), OLD_AGENCY, "2024", complete_report()))
        .await
        .unwrap();
    let figures = ListTargetSummariesRequest {
        plan_code: NATIONAL.into(),
        period_code: "2024".into(),
        ..Default::default()
    };
    let mut summaries = app.summaries.clone();
    let mut catalog = app.catalog.clone();
    // Twice: the second is served from memory, as the calls during the silence could be.
    for _ in 0..2 {
        summaries
            .list_target_summaries(figures.clone())
            .await
            .unwrap();
    }
    let mut corrected = complete_report();
    corrected.revenue_vnd = Some(corrected.revenue_vnd.unwrap_or_default() + 1);
    let retried = request(&new_id(), OLD_AGENCY, "2024", corrected);

    proxy.set(ProxyMode::Silent);
    let silent_since = Instant::now();
    let noticed_by = pressdx::store::HEARTBEAT_INTERVAL + pressdx::store::HEARTBEAT_TIMEOUT;
    let mut unavailable_after_notice = 0;
    while silent_since.elapsed() < Duration::from_secs(8) {
        for call in ["a read memory could serve", "a catalogue read", "a submit"] {
            let started = Instant::now();
            let answer = tokio::time::timeout(Duration::from_secs(20), async {
                match call {
                    "a read memory could serve" => summaries
                        .list_target_summaries(figures.clone())
                        .await
                        .map(drop),
                    "a catalogue read" => catalog
                        .list_periods(pressdx::proto::ListPeriodsRequest::default())
                        .await
                        .map(drop),
                    _ => agency.submit_report(retried.clone()).await.map(drop),
                }
            })
            .await
            .unwrap_or_else(|_| panic!("{call} hung for 20 s"));
            let took = started.elapsed();
            assert!(took <= Duration::from_millis(5500), "{call} took {took:?}");
            match answer {
                Ok(()) => assert!(
                    started.duration_since(silent_since) < noticed_by,
                    "{call} was answered from memory {:?} into the silence",
                    started.duration_since(silent_since)
                ),
                Err(status) => {
                    assert_eq!(status.code(), Code::Unavailable, "{call}: {status:?}");
                    assert_eq!(error_reason(&status), "DATABASE_UNAVAILABLE", "{call}");
                    assert!(status.get_error_details().retry_info().is_some(), "{call}");
                    if started.duration_since(silent_since) >= noticed_by {
                        unavailable_after_notice += 1;
                    }
                }
            }
        }
    }
    assert!(unavailable_after_notice >= 9, "{unavailable_after_notice}");

    proxy.set(ProxyMode::Forward);
    let back_since = Instant::now();
    let receipt = loop {
        match agency.submit_report(retried.clone()).await {
            Ok(receipt) => break receipt.into_inner(),
            Err(status) => {
                assert_eq!(status.code(), Code::Unavailable, "{status:?}");
                assert!(
                    back_since.elapsed() < Duration::from_secs(10),
                    "still unavailable 10 s after the database came back: {status:?}"
                );
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    };
    assert_eq!(receipt.revision, 2, "stored once, after the first report");
    let listed = app
        .submissions
        .clone()
        .list_submissions(pressdx::proto::ListSubmissionsRequest {
            agency_code: OLD_AGENCY.into(),
            period_code: "2024".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.submissions.len(), 2, "nothing stored twice");
    summaries.list_target_summaries(figures).await.unwrap();
}

/// A request that names no scope reads the caller's own organisation (every agency for the
/// Ministry), where it used to be the whole country, out of reach for all but the Ministry.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_scope_is_the_callers_own_organisation() {
    let backend = crate::BACKEND;
    let app = TestApp::spawn(backend).await;
    let ask = ListTargetSummariesRequest {
        plan_code: NATIONAL.into(),
        period_code: "2024".into(),
        ..Default::default()
    };
    for (role, organization, scope) in [
        (Role::Province, Some("nam-dinh"), "province:nam-dinh"),
        (
            Role::GoverningBody,
            Some("tinh-uy-nam-dinh"),
            "governing_body:tinh-uy-nam-dinh",
        ),
        (Role::Agency, Some(OLD_AGENCY), "agency:bao-nam-dinh"),
        (Role::Ministry, None, "country"),
    ] {
        let token = app.token(role, organization).await;
        let summaries = SummaryServiceClient::new(app.connection(Some(&token)))
            .list_target_summaries(ask.clone())
            .await
            .unwrap_or_else(|status| panic!("{role:?}: {status:?}"))
            .into_inner()
            .summaries;
        assert_eq!(summaries[0].scope, scope, "{role:?}");
    }
}

/// The lists that once answered everything at once (ListIndicators, ListPlans, ListPeriods,
/// ListTargetSummaries) page like every other: one page of everything by default, and walked a
/// page of one at a time, the same items in the same order. A made-up token, an altered one, or
/// one from another list or other filters is INVALID_ARGUMENT.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_list_pages_with_signed_tokens() {
    let backend = crate::BACKEND;
    use pressdx::proto::{ListIndicatorsRequest, ListPeriodsRequest, ListPlansRequest};
    let app = TestApp::spawn(backend).await;
    let mut catalog = app.catalog.clone();
    let mut summaries = app.summaries.clone();

    // Walks a list a page of one at a time, answering the codes seen and the tokens given.
    macro_rules! walk {
        ($client:ident . $method:ident, $request:expr, $items:ident, $code:ident) => {{
            let whole_list = $request;
            let mut request = whole_list.clone();
            request.page_size = 1;
            let (mut codes, mut tokens) = (Vec::new(), Vec::new());
            loop {
                let page = $client.$method(request.clone()).await.unwrap().into_inner();
                assert!(page.$items.len() <= 1);
                codes.extend(page.$items.iter().map(|item| item.$code.clone()));
                if page.next_page_token.is_empty() {
                    break;
                }
                tokens.push(page.next_page_token.clone());
                request.page_token = page.next_page_token;
            }
            let whole = $client.$method(whole_list).await.unwrap().into_inner();
            assert!(
                whole.next_page_token.is_empty(),
                "one default page holds them all"
            );
            let all: Vec<String> = whole.$items.iter().map(|item| item.$code.clone()).collect();
            assert_eq!(codes, all);
            assert!(all.len() > 1, "a list of one proves nothing");
            (all, tokens)
        }};
    }
    let (_, indicator_tokens) = walk!(
        catalog.list_indicators,
        ListIndicatorsRequest::default(),
        indicators,
        code
    );
    let (plans, _) = walk!(catalog.list_plans, ListPlansRequest::default(), plans, code);
    let (periods, _) = walk!(
        catalog.list_periods,
        ListPeriodsRequest::default(),
        periods,
        code
    );
    assert_eq!(periods.first().map(String::as_str), Some("2023"));
    let reader = app.token(Role::Ministry, None).await;
    let mut tasks =
        pressdx::proto::task_service_client::TaskServiceClient::new(app.connection(Some(&reader)));
    let (national_tasks, _) = walk!(
        tasks.list_plan_tasks,
        pressdx::proto::ListPlanTasksRequest {
            plan_code: NATIONAL.into(),
            ..Default::default()
        },
        tasks,
        code
    );
    assert_eq!(national_tasks.first().map(String::as_str), Some("N.1"));
    let ask = ListTargetSummariesRequest {
        plan_code: NATIONAL.into(),
        period_code: "2024".into(),
        scope: "country".into(),
        ..Default::default()
    };
    let (targets, target_tokens) = walk!(
        summaries.list_target_summaries,
        ask.clone(),
        summaries,
        target_code
    );
    assert_eq!(targets.len(), 6, "the national plan's six targets");
    assert!(plans.contains(&NATIONAL.to_string()));

    // Tokens that this list did not give out for this request.
    let real = &target_tokens[0];
    let mut altered = real.clone().into_bytes();
    let last = altered.len() - 1;
    altered[last] = if altered[last] == b'0' { b'1' } else { b'0' };
    let forged_hex: String = "2024\nrevenue_growth"
        .bytes()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    for (token, other_period) in [
        (String::from_utf8(altered).unwrap(), false),
        (forged_hex, false),
        (indicator_tokens[0].clone(), false),
        (real.clone(), true),
    ] {
        let mut request = ask.clone();
        request.page_size = 1;
        request.page_token = token.clone();
        if other_period {
            request.period_code = "2025".into();
        }
        let status = summaries.list_target_summaries(request).await.unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument, "{token}: {status:?}");
        assert_eq!(violated_fields(&status), ["page_token"], "{token}");
    }
}
