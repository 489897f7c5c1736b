//! The command line a person uses, run as the real binary against a real server and database.

use std::process::{Command, Output};

use crate::common::{Backend, TestApp};

fn pressdx(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pressdx"))
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .expect("the pressdx binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

pub async fn the_cli_submits_a_report_file_and_lists_it(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let server = format!("http://{}", app.address);
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/report.toml");

    let submit = |extra: &[&str]| {
        let mut args = vec!["submit", "--file", example, "--server", &server];
        args.extend_from_slice(extra);
        pressdx(&args)
    };
    let checked = tokio::task::block_in_place(|| submit(&["--validate-only"]));
    assert!(checked.status.success(), "{}", text(&checked.stderr));
    assert!(text(&checked.stdout).contains("valid (validate only"));

    let first = tokio::task::block_in_place(|| submit(&[]));
    assert!(first.status.success(), "{}", text(&first.stderr));
    let stdout = text(&first.stdout);
    assert!(stdout.starts_with("accepted"), "{stdout}");
    assert!(stdout.contains("revision     1"));

    // The same file again: the derived request id makes it a harmless retry.
    let again = tokio::task::block_in_place(|| submit(&[]));
    assert!(
        text(&again.stdout).contains("already accepted"),
        "{}",
        text(&again.stdout)
    );

    let listed = tokio::task::block_in_place(|| {
        pressdx(&[
            "submissions",
            "list",
            "--server",
            &server,
            "--agency",
            "bao-ptth-ninh-binh-2025",
        ])
    });
    assert!(listed.status.success(), "{}", text(&listed.stderr));
    let lines: Vec<String> = text(&listed.stdout).lines().map(String::from).collect();
    assert_eq!(lines.len(), 2, "a header and one submission: {lines:?}");
    assert!(lines[1].contains("2026") && lines[1].contains("latest"));

    // A broken report prints every violation and exits with 2.
    let directory = tempfile::tempdir().unwrap();
    let broken = directory.path().join("broken.toml");
    let example_text = std::fs::read_to_string(example).unwrap();
    std::fs::write(
        &broken,
        example_text
            .replace("security_level = 3", "security_level = 7")
            .replace("editors = 55", "editors = 61"),
    )
    .unwrap();
    let refused = tokio::task::block_in_place(|| {
        pressdx(&[
            "submit",
            "--file",
            broken.to_str().unwrap(),
            "--server",
            &server,
        ])
    });
    assert_eq!(refused.status.code(), Some(2));
    let stderr = text(&refused.stderr);
    assert!(
        stderr.contains("report.security_level") && stderr.contains("report.trained.editors"),
        "{stderr}"
    );
}

pub async fn catalog_import_is_idempotent_and_reports_every_problem(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let catalog = concat!(env!("CARGO_MANIFEST_DIR"), "/catalog/default.toml");
    let url = app.database_url.clone();

    // The server loaded the default catalogue already: importing it again changes nothing.
    let again = tokio::task::block_in_place(|| {
        pressdx(&["catalog", "import", catalog, "--database-url", &url])
    });
    assert!(again.status.success(), "{}", text(&again.stderr));
    assert!(
        text(&again.stdout).contains("nothing: the database already holds this catalogue"),
        "{}",
        text(&again.stdout)
    );

    // A changed deadline is one changed period; --dry-run says so and changes nothing.
    let directory = tempfile::tempdir().unwrap();
    let changed = directory.path().join("changed.toml");
    let original = std::fs::read_to_string(catalog).unwrap();
    std::fs::write(
        &changed,
        original.replace("2026-11-15T00:00:00+07:00", "2026-11-20T00:00:00+07:00"),
    )
    .unwrap();
    let changed = changed.to_str().unwrap();
    for dry_run in [true, false] {
        let mut args = vec!["catalog", "import", changed, "--database-url", &url];
        if dry_run {
            args.push("--dry-run");
        }
        let output = tokio::task::block_in_place(|| pressdx(&args));
        assert!(output.status.success(), "{}", text(&output.stderr));
        assert!(
            text(&output.stdout).contains("periods        0 added, 1 changed, 7 unchanged"),
            "{}",
            text(&output.stdout)
        );
    }

    // A broken file: every problem, each with where it is, and nothing applied.
    let broken = directory.path().join("broken.toml");
    std::fs::write(
        &broken,
        original
            .replacen(
                "window_end = \"2025-12-14\"",
                "window_end = \"2025-13-14\"",
                1,
            )
            .replacen("kind = \"press_agency\"", "kind = \"newspaper\"", 1),
    )
    .unwrap();
    let refused = tokio::task::block_in_place(|| {
        pressdx(&[
            "catalog",
            "import",
            broken.to_str().unwrap(),
            "--database-url",
            &url,
        ])
    });
    assert_eq!(refused.status.code(), Some(2));
    let stderr = text(&refused.stderr);
    assert!(
        stderr.contains(r#"period[2] "2025".window_end"#),
        "{stderr}"
    );
    assert!(
        stderr.contains(r#".kind: "newspaper" is not one of"#),
        "{stderr}"
    );

    let shown =
        tokio::task::block_in_place(|| pressdx(&["catalog", "show", "--database-url", &url]));
    assert!(shown.status.success(), "{}", text(&shown.stderr));
    let shown = text(&shown.stdout);
    assert!(
        shown.contains("2026-11-20 00:00 +07:00"),
        "the applied change is there"
    );
    assert!(shown.contains("national-348-qd-ttg"));
}

pub async fn the_cli_prints_summaries_and_reporting_status(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let server = format!("http://{}", app.address);
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/report.toml");
    let submitted = tokio::task::block_in_place(|| {
        pressdx(&["submit", "--file", example, "--server", &server])
    });
    assert!(submitted.status.success(), "{}", text(&submitted.stderr));

    let summary = tokio::task::block_in_place(|| {
        pressdx(&[
            "summary",
            "--plan",
            "national-348-qd-ttg",
            "--period",
            "2026",
            "--scope",
            "province:ninh-binh-2025",
            "--server",
            &server,
        ])
    });
    assert!(summary.status.success(), "{}", text(&summary.stderr));
    let stdout = text(&summary.stdout);
    let content_line = stdout
        .lines()
        .find(|line| line.starts_with("content_on_digital_platforms"))
        .unwrap_or_else(|| panic!("{stdout}"));
    assert!(
        content_line.contains("1/1") && content_line.contains("achieved"),
        "{content_line}"
    );
    let trained_line = stdout
        .lines()
        .find(|line| line.starts_with("staff_trained"))
        .unwrap();
    assert!(
        trained_line.contains("207/260"),
        "12+120+55+20 of 12+140+60+48: {trained_line}"
    );

    let status = tokio::task::block_in_place(|| {
        pressdx(&[
            "status",
            "--period",
            "2024",
            "--scope",
            "province:nam-dinh",
            "--server",
            &server,
        ])
    });
    assert!(status.status.success(), "{}", text(&status.stderr));
    let stdout = text(&status.stdout);
    assert!(
        stdout.contains("expected 2, received on time 0, late 0, missing 2"),
        "{stdout}"
    );
    assert!(stdout.contains("bao-nam-dinh") && stdout.contains("MISSING"));

    let unknown = tokio::task::block_in_place(|| {
        pressdx(&[
            "summary", "--plan", "nope", "--period", "2026", "--server", &server,
        ])
    });
    assert!(!unknown.status.success());
    assert!(
        text(&unknown.stderr).contains("no plan"),
        "{}",
        text(&unknown.stderr)
    );
}
