//! What an operator meets running pressdx: commands that never create a database by mistake,
//! database URLs whose passwords stay hidden, and a database that cannot be reached reported at
//! once.

use std::process::{Command, Output};
use std::time::{Duration, Instant};

use pressdx::proto::ListTargetSummariesRequest;

use super::contract::raw_unary;
use super::fixtures::{OLD_AGENCY, complete_report, error_reason, new_id, request};
use crate::common::{Backend, TestApp};

fn pressdx(args: &[&str], environment: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_pressdx"));
    command
        .args(args)
        .env("RUST_LOG", "warn")
        .env_remove("PRESSDX_TOKEN")
        .env_remove("PRESSDX_DATABASE_URL");
    for (name, value) in environment {
        command.env(name, value);
    }
    tokio::task::block_in_place(|| command.output().expect("the pressdx binary runs"))
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// `token`, `catalog` and `audit` run where there is no database refuse, naming where they looked,
/// and create nothing; run on the real one, they name it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operator_commands_open_an_existing_database_only() {
    let backend = crate::BACKEND;
    let app = TestApp::spawn(backend).await;
    let elsewhere = tempfile::tempdir().unwrap();
    let missing = elsewhere.path().join("pressdx.db");
    let missing_url = format!("sqlite://{}?mode=rwc", missing.display());
    for args in [
        vec!["token", "create", "--role", "ministry"],
        vec!["token", "list"],
        vec!["catalog", "show"],
        vec!["audit", "verify"],
    ] {
        let mut with_url = args.clone();
        with_url.extend(["--database-url", &missing_url]);
        let output = pressdx(&with_url, &[]);
        assert!(!output.status.success(), "{args:?}: {}", text(&output));
        assert!(
            text(&output).contains(&format!("no pressdx database at {}", missing.display())),
            "{args:?}: {}",
            text(&output)
        );
        assert!(!missing.exists(), "{args:?} created {}", missing.display());
    }
    // The default URL, in a directory without a database.
    let output = tokio::task::block_in_place(|| {
        Command::new(env!("CARGO_BIN_EXE_pressdx"))
            .args(["token", "list"])
            .env_remove("PRESSDX_DATABASE_URL")
            .current_dir(elsewhere.path())
            .output()
            .unwrap()
    });
    assert!(!output.status.success());
    assert!(!missing.exists());

    let listed = pressdx(&["token", "list", "--database-url", &app.database_url], &[]);
    assert!(listed.status.success(), "{}", text(&listed));
    let named = String::from_utf8_lossy(&listed.stderr).into_owned();
    match backend {
        Backend::Sqlite => {
            let path = app
                .database_url
                .trim_start_matches("sqlite://")
                .split('?')
                .next()
                .unwrap();
            assert!(named.contains(&format!("database: {path}")), "{named}");
        }
        Backend::Postgres => assert!(named.contains("database: postgres://"), "{named}"),
    }
}

/// A database password given in the environment never shows in `--help`, nor in a failure.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn database_passwords_stay_hidden() {
    let secret_url = "postgres://pressdx:s3cret-p%40ss@127.0.0.1:1/pressdx";
    let help = pressdx(
        &["serve", "--help"],
        &[("PRESSDX_DATABASE_URL", secret_url)],
    );
    assert!(help.status.success());
    assert!(!text(&help).contains("s3cret"), "{}", text(&help));
    let failed = pressdx(&["token", "list"], &[("PRESSDX_DATABASE_URL", secret_url)]);
    assert!(!failed.status.success());
    assert!(!text(&failed).contains("s3cret"), "{}", text(&failed));
    assert!(
        text(&failed).contains("postgres://pressdx:***@127.0.0.1:1/pressdx"),
        "{}",
        text(&failed)
    );
}

/// A server whose database cannot be reached says so within seconds, naming it, and exits.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_database_is_reported_at_start() {
    let started = Instant::now();
    let output = pressdx(
        &[
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--database-url",
            "postgres://postgres@127.0.0.1:1/pressdx",
        ],
        &[],
    );
    let took = started.elapsed();
    assert!(!output.status.success());
    assert!(took < Duration::from_secs(15), "took {took:?}");
    assert!(
        text(&output)
            .contains("cannot reach the database at postgres://postgres@127.0.0.1:1/pressdx"),
        "{}",
        text(&output)
    );
}

/// The first log lines of a server started with `format`, up to the one saying it serves.
fn first_log_lines(format: &str) -> Vec<String> {
    use std::io::{BufRead, BufReader};
    let directory = tempfile::tempdir().unwrap();
    let url = format!(
        "sqlite://{}?mode=rwc",
        directory.path().join("pressdx.db").display()
    );
    let mut server = Command::new(env!("CARGO_BIN_EXE_pressdx"))
        .args(["--log-format", format, "serve", "--listen", "127.0.0.1:0"])
        .args(["--database-url", &url])
        .env("RUST_LOG", "info")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = server.stderr.take().unwrap();
    let lines = std::thread::spawn(move || {
        let mut lines = Vec::new();
        for line in BufReader::new(stderr).lines() {
            let line = line.unwrap();
            let serving = line.contains("serving gRPC");
            lines.push(line);
            if serving {
                break;
            }
        }
        lines
    });
    let lines = tokio::task::block_in_place(|| {
        for _ in 0..300 {
            if lines.is_finished() {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = server.kill();
        lines.join().unwrap()
    });
    let _ = server.wait();
    lines
}

/// Logs written to a file or a pipe carry no colour codes; `--log-format json` writes one JSON
/// object a line, with the message and its fields.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_are_plain_off_a_terminal_or_json_on_request() {
    let text = first_log_lines("text");
    assert!(
        text.iter().any(|line| line.contains("serving gRPC")),
        "{text:?}"
    );
    assert!(text.iter().all(|line| !line.contains('\u{1b}')), "{text:?}");

    let json = first_log_lines("json");
    let serving = json
        .iter()
        .map(|line| serde_json::from_str::<serde_json::Value>(line).expect("a JSON line"))
        .find(|line| line["fields"]["message"] == "serving gRPC and grpc-web")
        .unwrap_or_else(|| panic!("{json:?}"));
    assert_eq!(serving["level"], "INFO");
    assert!(serving["fields"]["address"].is_string(), "{serving}");
}

/// `serve --catalog FILE` loads that catalogue into an empty database instead of the default one;
/// a database that holds a catalogue keeps it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_loads_a_given_catalogue_into_an_empty_database() {
    let backend = crate::BACKEND;
    use crate::common::TEST_CATALOG;
    use pressdx::proto::GetOrganizationRequest;
    let directory = tempfile::tempdir().unwrap();
    let file = directory.path().join("province.toml");
    let small_province = include_str!("../fixtures/small-province.toml");
    std::fs::write(&file, format!("{TEST_CATALOG}\n{small_province}")).unwrap();
    let app = TestApp::spawn_with(backend, |config| config.catalog = Some(file.clone())).await;
    let organization = app
        .catalog
        .clone()
        .get_organization(GetOrganizationRequest {
            code: "test-province".into(),
            ..Default::default()
        })
        .await
        .expect("the given catalogue was loaded")
        .into_inner();
    assert_eq!(organization.code, "test-province");

    // Started again on the same database with the default catalogue's text only: nothing moves.
    let default_only = directory.path().join("default.toml");
    std::fs::write(&default_only, &*TEST_CATALOG).unwrap();
    let mut config = crate::common::test_config(&app.database_url);
    config.catalog = Some(default_only);
    let second = TestApp::spawn_sharing_with(&app, config).await;
    second
        .catalog
        .clone()
        .get_organization(GetOrganizationRequest {
            code: "test-province".into(),
            ..Default::default()
        })
        .await
        .expect("the catalogue in the database is kept");
    second.stop().await;
}

/// `--metrics-listen` serves Prometheus' text format: calls by method and status code, their
/// latency, submissions by outcome and refusal reason, the change feed's head, and summary cache
/// hits. Metrics are process-wide and the suite runs in parallel, so each count is checked to have
/// grown by at least what this test did.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_calls_submissions_and_cache_hits() {
    let backend = crate::BACKEND;
    let app = TestApp::spawn_with(backend, |config| {
        config.metrics_listen = Some("127.0.0.1:0".parse().unwrap());
    })
    .await;
    let address = app.metrics_address.expect("a metrics endpoint");
    let before = scrape(address).await;

    let accepted = app
        .submit(request(&new_id(), OLD_AGENCY, "2024", complete_report()))
        .await
        .unwrap()
        .into_inner();
    let mut broken = complete_report();
    broken.revenue_vnd = Some(-1);
    let refused = app
        .submit(request(&new_id(), OLD_AGENCY, "2024", broken))
        .await
        .unwrap_err();
    let reason = error_reason(&refused);
    let summaries = ListTargetSummariesRequest {
        plan_code: "national-348-qd-ttg".into(),
        period_code: "2024".into(),
        scope: "country".into(),
        ..Default::default()
    };
    for _ in 0..2 {
        app.summaries
            .clone()
            .list_target_summaries(summaries.clone())
            .await
            .unwrap();
    }

    let after = scrape(address).await;
    let grew = |series: &str, by: f64| {
        let (was, is) = (value(&before, series), value(&after, series));
        assert!(is >= was + by, "{series}: {was} then {is}\n{after}");
    };
    grew(
        r#"pressdx_rpc_requests_total{method="pressdx.v1.SubmissionService/SubmitReport",code="Ok"}"#,
        1.0,
    );
    grew(
        r#"pressdx_rpc_requests_total{method="pressdx.v1.SubmissionService/SubmitReport",code="InvalidArgument"}"#,
        1.0,
    );
    grew(
        r#"pressdx_rpc_duration_seconds_count{method="pressdx.v1.SummaryService/ListTargetSummaries"}"#,
        2.0,
    );
    grew(
        r#"pressdx_submissions_total{outcome="accepted",reason=""}"#,
        1.0,
    );
    grew(
        &format!(r#"pressdx_submissions_total{{outcome="refused",reason="{reason}"}}"#),
        1.0,
    );
    // The second read of the same figures is served from memory.
    grew(r#"pressdx_summary_cache_total{result="hit"}"#, 1.0);
    // A gauge, and the metrics recorder is one per process: in a test binary, every other test's
    // server sets it too (a fresh one to 0), so only its presence can be checked here.
    assert!(
        after.lines().any(|line| line
            .strip_prefix("pressdx_change_feed_head ")
            .is_some_and(|number| number.trim().parse::<f64>().is_ok())),
        "{after}"
    );

    // A path that is no method is counted under one label, whatever it is, so that callers
    // cannot grow the label set.
    let unknown = format!("/pressdx.v1.SummaryService/Get{}", accepted.submission_id);
    let status = raw_unary(&app, &app.ministry_token, &unknown, Vec::new()).await;
    assert_eq!(status.code(), tonic::Code::Unimplemented);
    let after = scrape(address).await;
    assert!(!after.contains(&unknown[1..]), "{after}");
    assert!(
        value(
            &after,
            r#"pressdx_rpc_requests_total{method="unknown",code="Unimplemented"}"#
        ) >= 1.0,
        "{after}"
    );
}

/// One scrape of the metrics endpoint, over plain HTTP/1.1.
async fn scrape(address: std::net::SocketAddr) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut connection = tokio::net::TcpStream::connect(address).await.unwrap();
    connection
        .write_all(b"GET /metrics HTTP/1.1\r\nhost: pressdx\r\nconnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut response = String::new();
    connection.read_to_string(&mut response).await.unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    response
}

/// A series' value in a scrape; 0 if it is not there yet.
fn value(scrape: &str, series: &str) -> f64 {
    scrape
        .lines()
        .find_map(|line| line.strip_prefix(series)?.trim().parse().ok())
        .unwrap_or(0.0)
}
