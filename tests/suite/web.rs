//! Browsers: the example page (examples/web/summaries.html), loaded in headless Chromium from an
//! allowed origin, calls ListTargetSummaries over grpc-web and shows the figures; from an origin
//! that is not allowed, the browser keeps the answer from it.
//!
//! Chromium comes from Debian's `chromium` package (`.ci/run` installs it). Where it is missing
//! the test says so and passes, unless PRESSDX_REQUIRE_CHROMIUM is set, as CI sets it.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Command;

use crate::common::TEST_CATALOG;
use pressdx::domain::access::Role;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use super::summary::facts::{
    DEADLINE_2023, DEADLINE_2024, FAR_FUTURE, NATIONAL, PROVINCE, SMALL_PROVINCE, facts, submit,
    summaries,
};
use crate::common::TestApp;

const PAGE: &str = include_str!("../../examples/web/summaries.html");

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_browser_page_shows_the_figures_over_grpc_web() {
    let backend = crate::BACKEND;
    let Some(chromium) = chromium() else {
        return;
    };
    let (page_origin, page_server) = serve_the_page().await;
    let app = TestApp::spawn_with(backend, |config| {
        config.web.cors_allow_origins = vec![page_origin.clone()];
    })
    .await;
    // The small province in 2024, worked out by hand (as in summary/hand_worked.rs): content on
    // digital platforms at Đài PT-TH only, of the 5 agencies expected: 1 / 5; people trained
    // 0 + 10 + 5 of 10 + 20 + 5 employed: 15 / 35.
    let on_time = format!("{TEST_CATALOG}\n{SMALL_PROVINCE}")
        .replace(DEADLINE_2023, FAR_FUTURE)
        .replace(DEADLINE_2024, FAR_FUTURE);
    app.apply_catalog(&on_time).await;
    for (agency, content, trained) in [
        ("test-bao", false, (0, 10)),
        ("test-ptth", true, (10, 20)),
        ("test-tap-chi", false, (5, 5)),
    ] {
        // Not electronic press, so no security level is asked for.
        let (electronic, security_level) = (false, None);
        let (central, ai, converged, revenue) = (false, false, false, 1_000);
        let report = facts(
            content,
            central,
            ai,
            converged,
            revenue,
            trained,
            electronic,
            security_level,
        );
        submit(&app, agency, "2024", report).await;
    }
    let province_token = app.token(Role::Province, Some("test-province")).await;
    let fragment = |token: &str| {
        format!(
            "server=http://{}&token={token}&plan={NATIONAL}&period=2024&scope={PROVINCE}",
            app.address
        )
    };

    let page = chromium.load(&format!(
        "{page_origin}/summaries.html#{}",
        fragment(&province_token)
    ));
    assert_eq!(message_state(&page), "done", "{page}");
    assert_eq!(
        cell(&page, "content_on_digital_platforms", "fraction"),
        "1 / 5"
    );
    assert_eq!(
        cell(&page, "content_on_digital_platforms", "share"),
        "20.0%"
    );
    assert_eq!(cell(&page, "staff_trained", "fraction"), "15 / 35");
    // Every target as gRPC answers it, in the plan's order.
    let over_grpc = summaries(&app, "2024", PROVINCE).await;
    let targets: Vec<&str> = page
        .match_indices("data-target=\"")
        .map(|(at, marker)| {
            let rest = &page[at + marker.len()..];
            &rest[..rest.find('"').unwrap()]
        })
        .collect();
    assert_eq!(
        targets,
        over_grpc
            .iter()
            .map(|s| s.target_code.as_str())
            .collect::<Vec<_>>()
    );
    for summary in &over_grpc {
        assert_eq!(
            cell(&page, &summary.target_code, "fraction"),
            format!("{} / {}", summary.numerator, summary.denominator)
        );
    }

    // A refusal reaches the page with its code and message.
    let page = chromium.load(&format!(
        "{page_origin}/summaries.html#{}",
        fragment("pdx_forged")
    ));
    assert_eq!(message_state(&page), "error");
    assert!(page.contains("UNAUTHENTICATED: "), "{page}");

    // From an origin the server does not allow, the browser keeps the answer from the page.
    let app_elsewhere = TestApp::spawn_with(backend, |config| {
        config.web.cors_allow_origins = vec!["https://figures.example.org".into()];
    })
    .await;
    let token = app_elsewhere.token(Role::Ministry, None).await;
    let page = chromium.load(&format!(
        "{page_origin}/summaries.html#server=http://{}&token={token}&plan={NATIONAL}&period=2024",
        app_elsewhere.address
    ));
    assert_eq!(message_state(&page), "error", "{page}");
    assert!(!page.contains("data-target="), "{page}");
    // The browser tells the page only that the fetch failed: the page says what to do.
    assert!(
        page.contains(&format!(
            "does not allow this page's origin: start it with --cors-allow-origin {page_origin}."
        )),
        "{page}"
    );

    // Nothing listening: the same words, since the page cannot tell the two apart.
    let nothing_there = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = nothing_there.local_addr().unwrap();
    drop(nothing_there);
    let page = chromium.load(&format!(
        "{page_origin}/summaries.html#server=http://{address}&token={token}&plan={NATIONAL}&period=2024"
    ));
    assert_eq!(message_state(&page), "error", "{page}");
    assert!(
        page.contains(&format!("Could not call http://{address} (")),
        "{page}"
    );

    page_server.abort();
}

/// Serves the example page over HTTP on a port of its own, so that it has an origin of its own
/// (as it would on a real web server), and answers that origin.
async fn serve_the_page() -> (String, tokio::task::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address: SocketAddr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        while let Ok((mut connection, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut request = vec![0_u8; 4096];
                let _ = connection.read(&mut request).await;
                let response = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: text/html; charset=utf-8\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{PAGE}",
                    PAGE.len()
                );
                let _ = connection.write_all(response.as_bytes()).await;
                let _ = connection.shutdown().await;
            });
        }
    });
    (format!("http://{address}"), server)
}

struct Chromium(PathBuf);

/// Debian's Chromium, or `None` (with a note) where it is not installed and not required.
fn chromium() -> Option<Chromium> {
    let found = ["chromium", "chromium-browser"]
        .iter()
        .filter_map(|name| {
            std::env::split_paths(&std::env::var_os("PATH")?)
                .map(|dir| dir.join(name))
                .find(|path| path.is_file())
        })
        .next();
    match found {
        Some(path) => Some(Chromium(path)),
        None if std::env::var_os("PRESSDX_REQUIRE_CHROMIUM").is_some() => {
            panic!("PRESSDX_REQUIRE_CHROMIUM is set and no chromium is on PATH")
        }
        None => {
            eprintln!(
                "no chromium on PATH: the browser test is skipped (apt-get install chromium)"
            );
            None
        }
    }
}

impl Chromium {
    /// Loads a page headless, lets its scripts run, and answers the resulting document.
    fn load(&self, url: &str) -> String {
        let profile = tempfile::tempdir().unwrap();
        let output = tokio::task::block_in_place(|| {
            Command::new(&self.0)
                .args([
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--no-first-run",
                    // Virtual time runs until the page is idle: the calls and their answers.
                    "--virtual-time-budget=10000",
                    "--dump-dom",
                ])
                .arg(format!("--user-data-dir={}", profile.path().display()))
                .arg(url)
                .output()
                .expect("chromium runs")
        });
        assert!(output.status.success(), "chromium failed: {output:?}");
        String::from_utf8(output.stdout).expect("a UTF-8 document")
    }
}

/// The page's state: idle, loading, done or error.
fn message_state(page: &str) -> &str {
    let marker = "id=\"message\" data-state=\"";
    let at = page.find(marker).expect("the message line") + marker.len();
    &page[at..at + page[at..].find('"').unwrap()]
}

/// The text of a target row's cell.
fn cell<'a>(page: &'a str, target: &str, field: &str) -> &'a str {
    let row = page
        .find(&format!("data-target=\"{target}\""))
        .unwrap_or_else(|| panic!("no row for {target}: {page}"));
    let marker = format!("data-field=\"{field}\">");
    let at = row + page[row..].find(&marker).expect("the cell") + marker.len();
    &page[at..at + page[at..].find('<').unwrap()]
}
