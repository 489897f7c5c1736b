//! The command line a person uses, run as the real binary against a real server and database.

use std::collections::HashMap;
use std::process::{Command, Output, Stdio};

use pressdx::proto::{ListSubmissionsRequest, ListTargetSummariesRequest};

use crate::common::TestApp;

/// The pressdx binary, ready to run with `args`.
fn pressdx_command(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_pressdx"));
    command
        .args(args)
        .env("RUST_LOG", "warn")
        // Each command calls with the token it is given, never one from whoever runs the tests.
        .env_remove("PRESSDX_TOKEN");
    command
}

fn pressdx(args: &[&str]) -> Output {
    pressdx_command(args)
        .output()
        .expect("the pressdx binary runs")
}

/// Runs pressdx with its standard output going into a pipe whose reader has already gone, as
/// `pressdx ... | head` leaves it once head has read enough.
fn pressdx_into_a_closed_pipe(args: &[&str]) -> Output {
    let mut child = pressdx_command(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the pressdx binary runs");
    // Closed before pressdx has a word to write: its first write meets the broken pipe.
    drop(child.stdout.take());
    child.wait_with_output().expect("pressdx ends")
}

/// The period of examples/report.toml, which several tests submit: the README's, open on any day.
const EXAMPLE_PERIOD: &str = "2025";

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Creates a credential as an operator does, with `pressdx token create --role ROLE [--org ORG]`:
/// its id, from "created credential N: ..." on stderr, and its token, alone on stdout.
fn create_token(database_url: &str, role: &str, organization: Option<&str>) -> (i64, String) {
    let mut args = vec![
        "token",
        "create",
        "--role",
        role,
        "--database-url",
        database_url,
    ];
    if let Some(organization) = organization {
        args.extend(["--org", organization]);
    }
    let created = tokio::task::block_in_place(|| pressdx(&args));
    assert!(created.status.success(), "{}", text(&created.stderr));
    let stderr = text(&created.stderr);
    let id = stderr
        .lines()
        .find_map(|line| line.strip_prefix("created credential "))
        .and_then(|rest| rest.split_once(':'))
        .and_then(|(id, _)| id.parse().ok())
        .unwrap_or_else(|| panic!("no credential id in {stderr:?}"));
    let token = text(&created.stdout).trim().to_string();
    assert!(
        !token.is_empty() && !token.contains(char::is_whitespace),
        "{token:?}"
    );
    (id, token)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_submits_a_report_file_and_lists_it() {
    let backend = crate::BACKEND;
    let app = TestApp::spawn(backend).await;
    let server = format!("http://{}", app.address);
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/report.toml");
    // The example is the report of this agency, which submits and lists its own reports.
    let (_, token) = create_token(&app.database_url, "agency", Some("bao-ptth-ninh-binh-2025"));

    let submit = |extra: &[&str]| {
        let mut args = vec![
            "submit", "--file", example, "--server", &server, "--token", &token,
        ];
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
            "--token",
            &token,
            "--agency",
            "bao-ptth-ninh-binh-2025",
        ])
    });
    assert!(listed.status.success(), "{}", text(&listed.stderr));
    let lines: Vec<String> = text(&listed.stdout).lines().map(String::from).collect();
    assert_eq!(lines.len(), 2, "a header and one submission: {lines:?}");
    assert!(lines[1].contains(&format!(" {EXAMPLE_PERIOD} ")) && lines[1].contains("latest"));

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
            "--token",
            &token,
        ])
    });
    assert_eq!(refused.status.code(), Some(2));
    let stderr = text(&refused.stderr);
    assert!(
        stderr.contains("report.security_level") && stderr.contains("report.trained.editors"),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn catalog_import_is_idempotent_and_reports_every_problem() {
    let backend = crate::BACKEND;
    let app = TestApp::spawn(backend).await;
    let catalog = crate::common::test_catalog_file()
        .to_str()
        .expect("a UTF-8 path");
    let url = app.database_url.clone();

    // The server loaded this catalogue already: importing it again changes nothing.
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
        // Which one, too.
        assert!(
            text(&output.stdout).contains("    changed: 2026\n"),
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_prints_summaries_and_reporting_status() {
    let backend = crate::BACKEND;
    let app = TestApp::spawn(backend).await;
    let server = format!("http://{}", app.address);
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/report.toml");
    // The agency submits; the Ministry reads the figures of any scope.
    let (_, agency) = create_token(&app.database_url, "agency", Some("bao-ptth-ninh-binh-2025"));
    let (_, ministry) = create_token(&app.database_url, "ministry", None);
    let submitted = tokio::task::block_in_place(|| {
        pressdx(&[
            "submit", "--file", example, "--server", &server, "--token", &agency,
        ])
    });
    assert!(submitted.status.success(), "{}", text(&submitted.stderr));

    let summary = tokio::task::block_in_place(|| {
        pressdx(&[
            "summary",
            "--plan",
            "national-348-qd-ttg",
            "--period",
            EXAMPLE_PERIOD,
            "--scope",
            "province:ninh-binh-2025",
            "--server",
            &server,
            "--token",
            &ministry,
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
            "--token",
            &ministry,
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
            "summary", "--plan", "nope", "--period", "2026", "--server", &server, "--token",
            &ministry,
        ])
    });
    assert!(!unknown.status.success());
    assert!(
        text(&unknown.stderr).contains("no plan"),
        "{}",
        text(&unknown.stderr)
    );
}

/// The operator's token tools: created credentials are listed, a revoked token stops working on
/// the running server at once, and a client command without a token fails, saying why.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_creates_lists_and_revokes_tokens() {
    let backend = crate::BACKEND;
    let app = TestApp::spawn(backend).await;
    let server = format!("http://{}", app.address);
    let url = app.database_url.clone();
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/report.toml");
    let (agency_id, agency) = create_token(&url, "agency", Some("bao-ptth-ninh-binh-2025"));
    let (ministry_id, ministry) = create_token(&url, "ministry", None);
    assert_ne!(agency, ministry);

    // A role and an organisation that do not fit together are refused, and nothing is printed
    // that could pass for a token.
    let misfit = tokio::task::block_in_place(|| {
        pressdx(&[
            "token",
            "create",
            "--role",
            "agency",
            "--org",
            "nam-dinh",
            "--database-url",
            &url,
        ])
    });
    assert_eq!(misfit.status.code(), Some(2), "{}", text(&misfit.stderr));
    assert!(text(&misfit.stdout).is_empty(), "{}", text(&misfit.stdout));

    let listed =
        tokio::task::block_in_place(|| pressdx(&["token", "list", "--database-url", &url]));
    assert!(listed.status.success(), "{}", text(&listed.stderr));
    let listed = text(&listed.stdout);
    let line_of = |listing: &str, id: i64| {
        listing
            .lines()
            .find(|line| line.starts_with(&format!("credential {id}: ")))
            .map(String::from)
            .unwrap_or_else(|| panic!("credential {id} is not listed: {listing}"))
    };
    let agency_line = line_of(&listed, agency_id);
    assert!(
        agency_line.contains("agency bao-ptth-ninh-binh-2025") && !agency_line.contains("REVOKED"),
        "{agency_line}"
    );
    assert!(line_of(&listed, ministry_id).contains("ministry"));
    assert!(
        !listed.contains(&agency) && !listed.contains(&ministry),
        "a token is never shown again"
    );

    let submit = |token: Option<&str>| {
        let mut args = vec!["submit", "--file", example, "--server", &server];
        if let Some(token) = token {
            args.extend(["--token", token]);
        }
        tokio::task::block_in_place(|| pressdx(&args))
    };
    let submitted = submit(Some(&agency));
    assert!(submitted.status.success(), "{}", text(&submitted.stderr));

    // Without a token, the server refuses and the command says so and how to get one.
    let anonymous = submit(None);
    assert!(!anonymous.status.success());
    let stderr = text(&anonymous.stderr);
    assert!(
        stderr.contains("Unauthenticated") && stderr.contains("pressdx token create"),
        "{stderr}"
    );

    let revoked = tokio::task::block_in_place(|| {
        pressdx(&[
            "token",
            "revoke",
            &agency_id.to_string(),
            "--database-url",
            &url,
        ])
    });
    assert!(revoked.status.success(), "{}", text(&revoked.stderr));
    assert!(
        text(&revoked.stdout).contains(&format!("revoked credential {agency_id}: ")),
        "{}",
        text(&revoked.stdout)
    );
    let listed =
        tokio::task::block_in_place(|| pressdx(&["token", "list", "--database-url", &url]));
    assert!(line_of(&text(&listed.stdout), agency_id).contains("REVOKED"));

    // The running server refuses the revoked token from the next request on; the other still works.
    let refused = submit(Some(&agency));
    assert!(!refused.status.success());
    let output = format!("{}{}", text(&refused.stdout), text(&refused.stderr));
    assert!(
        output.to_lowercase().contains("unauthenticated") || output.contains("revoked"),
        "{output}"
    );
    let listed_by_ministry = tokio::task::block_in_place(|| {
        pressdx(&[
            "submissions",
            "list",
            "--server",
            &server,
            "--token",
            &ministry,
        ])
    });
    assert!(
        listed_by_ministry.status.success(),
        "{}",
        text(&listed_by_ministry.stderr)
    );
    assert_eq!(text(&listed_by_ministry.stdout).lines().count(), 2);

    // Revoking an id that does not exist is refused.
    let unknown = tokio::task::block_in_place(|| {
        pressdx(&["token", "revoke", "999999", "--database-url", &url])
    });
    assert_eq!(unknown.status.code(), Some(2));
}

/// `pressdx submit ... | head` and `pressdx summary ... | head -1`: a reader that stops reading
/// ends the command quietly, never with a panic.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_ends_quietly_when_its_reader_goes_away() {
    let backend = crate::BACKEND;
    let app = TestApp::spawn(backend).await;
    let server = format!("http://{}", app.address);
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/report.toml");
    let (_, agency) = create_token(&app.database_url, "agency", Some("bao-ptth-ninh-binh-2025"));
    let (_, ministry) = create_token(&app.database_url, "ministry", None);

    let submitted = tokio::task::block_in_place(|| {
        pressdx_into_a_closed_pipe(&[
            "submit", "--file", example, "--server", &server, "--token", &agency,
        ])
    });
    assert!(submitted.status.success(), "{}", text(&submitted.stderr));
    assert_eq!(text(&submitted.stderr), "");

    let summary = tokio::task::block_in_place(|| {
        pressdx_into_a_closed_pipe(&[
            "summary",
            "--plan",
            "national-348-qd-ttg",
            "--period",
            EXAMPLE_PERIOD,
            "--server",
            &server,
            "--token",
            &ministry,
        ])
    });
    assert!(summary.status.success(), "{}", text(&summary.stderr));
    assert_eq!(text(&summary.stderr), "");

    // The report went in all the same: the receipt was lost, not the submission.
    let listed = tokio::task::block_in_place(|| {
        pressdx(&[
            "submissions",
            "list",
            "--server",
            &server,
            "--token",
            &ministry,
        ])
    });
    assert_eq!(
        text(&listed.stdout).lines().count(),
        2,
        "{}",
        text(&listed.stdout)
    );
}

/// `--output json` prints what the server answered, field for field with the proto's names, and
/// `--output csv` one row per target, agency or submission after a header, quoted where needed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_prints_json_and_csv_for_programs() {
    let backend = crate::BACKEND;
    let app = TestApp::spawn(backend).await;
    let server = format!("http://{}", app.address);
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/report.toml");
    let (_, agency) = create_token(&app.database_url, "agency", Some("bao-ptth-ninh-binh-2025"));
    let (_, ministry) = create_token(&app.database_url, "ministry", None);
    let submitted = tokio::task::block_in_place(|| {
        pressdx(&[
            "submit", "--file", example, "--server", &server, "--token", &agency,
        ])
    });
    assert!(submitted.status.success(), "{}", text(&submitted.stderr));
    let read = |command: &[&str], output: &str| {
        let mut args = command.to_vec();
        args.extend([
            "--output", output, "--server", &server, "--token", &ministry,
        ]);
        let printed = tokio::task::block_in_place(|| pressdx(&args));
        assert!(printed.status.success(), "{}", text(&printed.stderr));
        text(&printed.stdout)
    };
    let csv_rows = |printed: &str| -> Vec<HashMap<String, String>> {
        csv::Reader::from_reader(printed.as_bytes())
            .deserialize()
            .collect::<Result<_, _>>()
            .unwrap_or_else(|error| panic!("{error}: {printed}"))
    };

    let summary = [
        "summary",
        "--plan",
        "national-348-qd-ttg",
        "--period",
        EXAMPLE_PERIOD,
        "--scope",
        "province:ninh-binh-2025",
    ];
    let answered = app
        .summaries
        .clone()
        .list_target_summaries(ListTargetSummariesRequest {
            plan_code: "national-348-qd-ttg".into(),
            period_code: EXAMPLE_PERIOD.into(),
            scope: "province:ninh-binh-2025".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let json = read(&summary, "json");
    let document: serde_json::Value = serde_json::from_str(&json).unwrap();
    let summaries = document["summaries"].as_array().unwrap();
    assert_eq!(summaries.len(), answered.summaries.len());
    for (printed, summary) in summaries.iter().zip(&answered.summaries) {
        assert_eq!(printed["target_code"], summary.target_code.as_str());
        assert_eq!(printed["numerator"], summary.numerator);
        assert_eq!(printed["denominator"], summary.denominator);
        assert_eq!(printed["share"], summary.share);
        assert_eq!(printed["status"], summary.status().as_str_name());
    }
    assert_eq!(document["data_as_of"], answered.data_as_of);
    // The proto's order, not the alphabet's: a diff between two runs stays readable.
    assert!(
        json.find("\"plan_code\"") < json.find("\"data_as_of\""),
        "{json}"
    );

    let rows = csv_rows(&read(&summary, "csv"));
    let targets: Vec<&str> = rows.iter().map(|row| row["target_code"].as_str()).collect();
    let expected: Vec<&str> = answered
        .summaries
        .iter()
        .map(|summary| summary.target_code.as_str())
        .collect();
    assert_eq!(targets, expected);
    let trained = rows
        .iter()
        .find(|row| row["target_code"] == "staff_trained")
        .unwrap();
    assert_eq!(
        (&*trained["numerator"], &*trained["denominator"]),
        ("207", "260")
    );
    assert_eq!(
        trained["scope_resolution.boundaries"],
        "BOUNDARIES_HISTORICAL"
    );

    // The agency's name holds a comma: quoted, it stays one field.
    let status = [
        "status",
        "--period",
        EXAMPLE_PERIOD,
        "--scope",
        "province:ninh-binh-2025",
    ];
    let rows = csv_rows(&read(&status, "csv"));
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["agency_code"], "bao-ptth-ninh-binh-2025");
    assert_eq!(
        rows[0]["agency_name"],
        "Báo và Phát thanh, Truyền hình Ninh Bình"
    );
    assert_eq!(rows[0]["received"], "true");
    let document: serde_json::Value = serde_json::from_str(&read(&status, "json")).unwrap();
    assert_eq!(document["expected"], 1);
    assert_eq!(document["agencies"][0]["latest_revision"], 1);

    let list = ["submissions", "list"];
    let document: serde_json::Value = serde_json::from_str(&read(&list, "json")).unwrap();
    let submissions = document["submissions"].as_array().unwrap();
    assert_eq!(submissions.len(), 1);
    assert_eq!(submissions[0]["report"]["headcount"]["reporters"], 140);
    let rows = csv_rows(&read(&list, "csv"));
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["content_hash"], submissions[0]["content_hash"]);
    assert_eq!(rows[0]["report.headcount.reporters"], "140");

    // The table stays the default.
    assert!(read(&list, "table").starts_with("      id  agency"));
}

/// `pressdx import` sends a directory's reports (a JSON Lines file's lines, TOML and JSON files)
/// over one ImportReports stream, names every refusal by file and line, totals what became of
/// them, and stores nothing on a dry run.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_imports_a_directory_of_reports() {
    let backend = crate::BACKEND;
    let app = TestApp::spawn(backend).await;
    let server = format!("http://{}", app.address);
    let (_, agency) = create_token(&app.database_url, "agency", Some("bao-ptth-ninh-binh-2025"));
    let example =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/report.toml"))
            .unwrap();
    let report: serde_json::Value = toml::from_str(&example).unwrap();
    let json_line = |edit: &dyn Fn(&mut serde_json::Value)| {
        let mut report = report.clone();
        edit(&mut report);
        serde_json::to_string(&report).unwrap()
    };
    let directory = tempfile::tempdir().unwrap();
    let lines = [
        json_line(&|_| {}),
        String::new(),
        json_line(&|report| report["report"]["security_level"] = 7.into()),
        r#"{"agency": "bao-ptth-ninh-binh-2025", "period": "#.to_string(),
        json_line(&|report| report["request_id"] = "back-fill-a".into()),
    ];
    std::fs::write(directory.path().join("a.jsonl"), lines.join("\n")).unwrap();
    // A corrected report, as its own TOML file.
    std::fs::write(
        directory.path().join("b.toml"),
        example.replace("editors = 55", "editors = 50"),
    )
    .unwrap();
    std::fs::write(directory.path().join("notes.txt"), "not a report").unwrap();
    let path = directory.path().to_str().unwrap();

    let import = |extra: &[&str]| {
        let mut args = vec!["import", path, "--server", &server, "--token", &agency];
        args.extend_from_slice(extra);
        let output = tokio::task::block_in_place(|| pressdx(&args));
        (
            output.status.code(),
            text(&output.stdout),
            text(&output.stderr),
        )
    };
    let stored = || async {
        app.submissions
            .clone()
            .list_submissions(ListSubmissionsRequest::default())
            .await
            .unwrap()
            .into_inner()
            .submissions
            .len()
    };

    let (code, stdout, stderr) = import(&["--dry-run"]);
    assert_eq!(code, Some(2), "{stdout}{stderr}");
    assert!(stdout.contains("5 report(s)"), "{stdout}");
    assert!(stdout.contains("valid      3"), "{stdout}");
    assert!(stdout.contains("refused    2"), "{stdout}");
    let invalid = stderr
        .lines()
        .position(|line| {
            line.contains(&format!(
                "a.jsonl:3, bao-ptth-ninh-binh-2025 for {EXAMPLE_PERIOD}"
            ))
        })
        .unwrap_or_else(|| panic!("{stderr}"));
    assert!(
        stderr
            .lines()
            .nth(invalid + 2)
            .unwrap()
            .contains("report.security_level"),
        "{stderr}"
    );
    assert!(stderr.contains("a.jsonl:4: cannot be read"), "{stderr}");
    // The progress bar is drawn only on a terminal.
    assert!(!stderr.contains('█'), "{stderr}");
    assert_eq!(stored().await, 0, "a dry run stores nothing");

    let (code, stdout, stderr) = import(&[]);
    assert_eq!(code, Some(2), "{stdout}{stderr}");
    // The first line and b.toml are revisions 1 and 2; the line with its own request id carries
    // the first line's content under another id: revision 3.
    assert!(stdout.contains("stored     3"), "{stdout}");
    assert!(stdout.contains("refused    2"), "{stdout}");
    assert_eq!(stored().await, 3);

    // Again: every request id is known, so nothing is stored twice.
    let (_, stdout, _) = import(&[]);
    assert!(
        stdout.contains("stored     0") && stdout.contains("replayed   3"),
        "{stdout}"
    );
    assert_eq!(stored().await, 3);

    // Nothing refused: exit 0.
    let (code, stdout, stderr) = {
        let file = directory.path().join("b.toml");
        let output = tokio::task::block_in_place(|| {
            pressdx(&[
                "import",
                file.to_str().unwrap(),
                "--server",
                &server,
                "--token",
                &agency,
            ])
        });
        (
            output.status.code(),
            text(&output.stdout),
            text(&output.stderr),
        )
    };
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert!(stdout.contains("replayed   1"), "{stdout}");
}

/// A CA with a server certificate for localhost and a client certificate, and another CA with a
/// client certificate of its own, as PEM files: ca.pem, server.pem and .key, client.pem and .key;
/// other-ca.pem, stranger.pem and .key.
fn write_test_pki(directory: &std::path::Path) {
    use rcgen::{
        BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer,
        KeyPair, KeyUsagePurpose,
    };
    let certificate_authority = |name: &str| {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        params.distinguished_name.push(DnType::CommonName, name);
        let pem = params.self_signed(&key).unwrap().pem();
        (pem, Issuer::new(params, key))
    };
    let (ca, issuer) = certificate_authority("pressdx test CA");
    let (other_ca, other_issuer) = certificate_authority("someone else's CA");
    let leaf = |name: &str, usage, issuer: &Issuer<KeyPair>| {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(vec![name.to_string()]).unwrap();
        params.distinguished_name.push(DnType::CommonName, name);
        params.extended_key_usages = vec![usage];
        let certificate = params.signed_by(&key, issuer).unwrap();
        (certificate.pem(), key.serialize_pem())
    };
    let server = leaf("localhost", ExtendedKeyUsagePurpose::ServerAuth, &issuer);
    let client = leaf(
        "newsroom.example",
        ExtendedKeyUsagePurpose::ClientAuth,
        &issuer,
    );
    let stranger = leaf(
        "stranger.example",
        ExtendedKeyUsagePurpose::ClientAuth,
        &other_issuer,
    );
    for (name, pem) in [
        ("ca.pem", &ca),
        ("other-ca.pem", &other_ca),
        ("server.pem", &server.0),
        ("server.key", &server.1),
        ("client.pem", &client.0),
        ("client.key", &client.1),
        ("stranger.pem", &stranger.0),
        ("stranger.key", &stranger.1),
    ] {
        std::fs::write(directory.join(name), pem).unwrap();
    }
}

/// `review reopen --for 7d` gives the agency seven days from the period's closing while the
/// period is open, and from now once it has closed: the same words work on any day.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_reopens_a_period_for_a_time_counted_from_its_closing() {
    let backend = crate::BACKEND;
    use crate::common::TEST_CATALOG;
    let app = TestApp::spawn(backend).await;
    // 2026 closed five days after its deadline, in the past whenever this runs; 2030 closes
    // long after any run.
    let deadline = |year: u32| format!("deadline = \"{year}-11-15T00:00:00+07:00\"\n");
    let catalog = TEST_CATALOG
        .replace(
            &deadline(2026),
            &format!(
                "{}closes_at = \"2026-11-20T00:00:00+07:00\"\n",
                deadline(2026)
            ),
        )
        .replace(
            &deadline(2030),
            &format!(
                "{}closes_at = \"2099-12-15T00:00:00+07:00\"\n",
                deadline(2030)
            ),
        );
    app.apply_catalog(&catalog).await;
    let (_, province) = create_token(&app.database_url, "province", Some("ninh-binh-2025"));
    let server = format!("http://{}", app.address);
    let reopen = |period: &str, ends: &[&str]| {
        let mut args = vec![
            "review",
            "reopen",
            "--agency",
            "bao-ptth-ninh-binh-2025",
            "--period",
            period,
            "--reason",
            "sent by post before the closing",
            "--server",
            &server,
            "--token",
            &province,
        ];
        args.extend_from_slice(ends);
        tokio::task::block_in_place(|| pressdx(&args))
    };
    let until = |output: &Output| {
        assert!(output.status.success(), "{}", text(&output.stderr));
        let stdout = text(&output.stdout);
        let (_, until) = stdout
            .lines()
            .next()
            .and_then(|line| line.split_once(" until "))
            .unwrap_or_else(|| panic!("{stdout}"));
        chrono::DateTime::parse_from_str(until, "%Y-%m-%d %H:%M %:z")
            .unwrap_or_else(|error| panic!("{until:?}: {error}"))
    };

    let open = until(&reopen("2030", &["--for", "7d"]));
    assert_eq!(open.to_rfc3339(), "2099-12-22T00:00:00+07:00");
    let asked_at = chrono::Utc::now();
    let closed = until(&reopen("2026", &["--for", "7d"]));
    let from_now = closed.with_timezone(&chrono::Utc) - asked_at;
    assert!(
        from_now > chrono::Duration::days(7) - chrono::Duration::minutes(2)
            && from_now <= chrono::Duration::days(7),
        "{closed} is not 7 days from {asked_at}"
    );
    // --until is refused where it ends before the closing, and both at once are refused.
    let early = reopen("2030", &["--until", "7d"]);
    assert_eq!(early.status.code(), Some(1), "{}", text(&early.stdout));
    assert!(
        text(&early.stderr).contains("must be after the period closes"),
        "{}",
        text(&early.stderr)
    );
    let both = reopen("2030", &["--until", "7d", "--for", "7d"]);
    assert_eq!(both.status.code(), Some(2));
    assert!(
        text(&both.stderr).contains("cannot be used with"),
        "{}",
        text(&both.stderr)
    );
}

/// A command missing an argument names it, with a usage line of what the command line holds:
/// a token or server taken from the environment is used, never shown as though it were required.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_usage_names_only_what_the_command_line_lacks() {
    let backend = crate::BACKEND;
    let app = TestApp::spawn(backend).await;
    let (_, province) = create_token(&app.database_url, "province", Some("ninh-binh-2025"));
    let server = format!("http://{}", app.address);
    let run = |args: &[&str]| {
        tokio::task::block_in_place(|| {
            pressdx_command(args)
                .env("PRESSDX_TOKEN", &province)
                .env("PRESSDX_SERVER", &server)
                .output()
                .unwrap()
        })
    };
    let incomplete = run(&["review", "list"]);
    assert_eq!(incomplete.status.code(), Some(2));
    let stderr = text(&incomplete.stderr);
    assert!(
        stderr
            .contains("the following required arguments were not provided:\n  --period <PERIOD>\n"),
        "{stderr}"
    );
    let usage = stderr
        .lines()
        .find(|line| line.starts_with("Usage:"))
        .unwrap_or_else(|| panic!("{stderr}"));
    assert_eq!(usage, "Usage: pressdx review list --period <PERIOD>");
    // The environment still gives the token and the server.
    let complete = run(&["review", "list", "--period", "2025"]);
    assert!(complete.status.success(), "{}", text(&complete.stderr));
}

/// A connection that fails says why and what to do, not "transport error": nothing listening,
/// plaintext against TLS and TLS against plaintext, https without a CA, a CA that did not sign
/// the server's certificate, a certificate for another name, and a server that requires a client
/// certificate or refuses the one given.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_names_the_cause_of_a_failed_connection() {
    let backend = crate::BACKEND;
    let directory = tempfile::tempdir().unwrap();
    write_test_pki(directory.path());
    let pem = |name: &str| directory.path().join(name).to_str().unwrap().to_string();
    let plaintext = TestApp::spawn(backend).await;
    let tls = TestApp::spawn_with(backend, |config| {
        config.tls.tls_cert = Some(pem("server.pem").into());
        config.tls.tls_key = Some(pem("server.key").into());
    })
    .await;
    let mutual_tls = TestApp::spawn_with(backend, |config| {
        config.tls.tls_cert = Some(pem("server.pem").into());
        config.tls.tls_key = Some(pem("server.key").into());
        config.tls.tls_client_ca = Some(pem("ca.pem").into());
    })
    .await;
    // The certificate is for localhost; the test servers listen on 127.0.0.1.
    let https = |app: &TestApp| format!("https://localhost:{}", app.address.port());
    let nothing_there = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", listener.local_addr().unwrap())
    };

    let failure = |server: &str, tls_args: &[&str]| {
        let mut args = vec!["status", "--period", "2024", "--server", server];
        args.extend_from_slice(tls_args);
        args.extend(["--token", "any"]);
        let output = tokio::task::block_in_place(|| pressdx(&args));
        assert_eq!(output.status.code(), Some(1), "{}", text(&output.stdout));
        let stderr = text(&output.stderr);
        assert!(!stderr.contains("transport error"), "{stderr}");
        stderr
    };
    let says = |stderr: &str, words: &[&str]| {
        for word in words {
            assert!(stderr.contains(word), "{word:?} is not in: {stderr}");
        }
    };
    let ca = pem("ca.pem");

    let refused = failure(&nothing_there, &[]);
    says(
        &refused,
        &["connection refused", "running there", "PRESSDX_SERVER"],
    );

    let plaintext_to_tls = failure(&format!("http://{}", tls.address), &[]);
    says(&plaintext_to_tls, &["serves TLS", "https://", "--tls-ca"]);

    let tls_to_plaintext = failure(&https(&plaintext), &["--tls-ca", &ca]);
    says(&tls_to_plaintext, &["does not speak TLS", "http://"]);

    let no_ca = failure(&https(&tls), &[]);
    says(&no_ca, &["give --tls-ca"]);

    let unknown_ca = failure(&https(&tls), &["--tls-ca", &pem("other-ca.pem")]);
    says(
        &unknown_ca,
        &["not signed by the CA in --tls-ca", "other-ca.pem"],
    );

    let by_address = failure(&format!("https://{}", tls.address), &["--tls-ca", &ca]);
    says(&by_address, &["issued for localhost, not for the name in"]);

    // tonic would speak plaintext without a word.
    let tls_settings_on_plaintext =
        failure(&format!("http://{}", plaintext.address), &["--tls-ca", &ca]);
    says(
        &tls_settings_on_plaintext,
        &["is plaintext; --tls-ca applies only"],
    );

    let no_client_certificate = failure(&https(&mutual_tls), &["--tls-ca", &ca]);
    says(
        &no_client_certificate,
        &[
            "requires a client certificate",
            "--tls-client-cert",
            "--tls-client-key",
        ],
    );

    let refused_certificate = failure(
        &https(&mutual_tls),
        &[
            "--tls-ca",
            &ca,
            "--tls-client-cert",
            &pem("stranger.pem"),
            "--tls-client-key",
            &pem("stranger.key"),
        ],
    );
    says(
        &refused_certificate,
        &["does not accept the client certificate", "--tls-client-ca"],
    );

    // With its certificate, the client gets through to the server, which judges the token.
    let through = tokio::task::block_in_place(|| {
        pressdx(&[
            "status",
            "--period",
            "2024",
            "--server",
            &https(&mutual_tls),
            "--tls-ca",
            &ca,
            "--tls-client-cert",
            &pem("client.pem"),
            "--tls-client-key",
            &pem("client.key"),
            "--token",
            "any",
        ])
    });
    says(
        &text(&through.stderr),
        &["the server answered Unauthenticated"],
    );
}

/// The province's report from the command line: drafted, its narrative written from a file,
/// signed, listed by the Ministry with the province-level status, and rendered as an HTML page
/// and a CSV that carry the figures worked out by hand.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_drafts_signs_and_renders_the_province_report() {
    let backend = crate::BACKEND;
    let app = TestApp::spawn(backend).await;
    let server = format!("http://{}", app.address);
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/report.toml");
    let (_, agency) = create_token(&app.database_url, "agency", Some("bao-ptth-ninh-binh-2025"));
    let (_, province) = create_token(&app.database_url, "province", Some("ninh-binh-2025"));
    let (_, ministry) = create_token(&app.database_url, "ministry", None);
    let run = |args: &[&str], token: &str| {
        let mut args = args.to_vec();
        args.extend(["--server", &server, "--token", token]);
        let output = tokio::task::block_in_place(|| pressdx(&args));
        assert!(
            output.status.success(),
            "pressdx {args:?}: {}{}",
            text(&output.stdout),
            text(&output.stderr)
        );
        text(&output.stdout)
    };
    run(&["submit", "--file", example], &agency);
    let awaiting = run(&["review", "list", "--period", EXAMPLE_PERIOD], &province);
    assert!(awaiting.contains("bao-ptth-ninh-binh-2025"), "{awaiting}");
    let accepted = run(
        &[
            "review",
            "list",
            "--period",
            EXAMPLE_PERIOD,
            "--state",
            "accepted",
        ],
        &province,
    );
    assert!(!accepted.contains("bao-ptth-ninh-binh-2025"), "{accepted}");

    let drafted = run(
        &[
            "report",
            "create",
            "--plan",
            "national-348-qd-ttg",
            "--period",
            EXAMPLE_PERIOD,
        ],
        &province,
    );
    assert!(drafted.contains("province report 1"), "{drafted}");
    let workdir = tempfile::tempdir().unwrap();
    let results = workdir.path().join("ket-qua.txt");
    std::fs::write(&results, "Toàn bộ nội dung đã lên nền tảng số.\n").unwrap();
    run(
        &[
            "report",
            "narrative",
            "--id",
            "1",
            "--results-file",
            results.to_str().unwrap(),
            "--proposals",
            "Đề nghị Bộ hỗ trợ đào tạo.",
        ],
        &province,
    );
    let signed = run(&["report", "submit", "--id", "1"], &province);
    assert!(
        signed.contains("submitted province report 1 version 1"),
        "{signed}"
    );

    let status = run(
        &[
            "report",
            "status",
            "--plan",
            "national-348-qd-ttg",
            "--period",
            EXAMPLE_PERIOD,
        ],
        &ministry,
    );
    assert!(
        status.contains("expected 1,") && status.contains("missing 0"),
        "{status}"
    );
    let listed = run(&["report", "list"], &ministry);
    assert!(
        listed.contains("ninh-binh-2025") && listed.contains("submitted"),
        "{listed}"
    );

    let html = workdir.path().join("bao-cao.html");
    let csv = workdir.path().join("bao-cao.csv");
    run(
        &[
            "report",
            "render",
            "--id",
            "1",
            "--html",
            html.to_str().unwrap(),
            "--csv",
            csv.to_str().unwrap(),
        ],
        &ministry,
    );
    let page = std::fs::read_to_string(&html).unwrap();
    for words in [
        // Upper-cased by the style sheet, as a Vietnamese report's headings are.
        "Báo cáo kết quả chuyển đổi số báo chí",
        "Kết quả thực hiện",
        "Khó khăn, vướng mắc",
        "Đề xuất, kiến nghị",
        "Toàn bộ nội dung đã lên nền tảng số.",
        "<svg",
    ] {
        assert!(page.contains(words), "the page lacks {words:?}");
    }
    assert!(!page.contains("<script"), "the page needs no JavaScript");
    // The example report: 12+120+55+20 of 12+140+60+48 people trained.
    let figures = std::fs::read_to_string(&csv).unwrap();
    let trained = figures
        .lines()
        .find(|line| {
            line.contains(",staff_trained,")
                && line.contains(&format!(",{EXAMPLE_PERIOD},observed,"))
        })
        .unwrap_or_else(|| panic!("{figures}"));
    assert!(trained.contains(",207,260,"), "{trained}");
}

/// `pressdx maturity`: a self-assessment sent from a TOML file and scored, appraised by the
/// province, and shown with both scores, against a real server.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_submits_appraises_and_shows_a_self_assessment_and_results() {
    let backend = crate::BACKEND;
    let app = TestApp::spawn(backend).await;
    app.apply_catalog(&format!(
        "{}\n{}",
        crate::common::TEST_CATALOG,
        super::assessment::FRAMEWORK_2026
    ))
    .await;
    let server = format!("http://{}", app.address);
    let (_, agency) = create_token(&app.database_url, "agency", Some("bao-ptth-ninh-binh-2025"));
    let (_, province) = create_token(&app.database_url, "province", Some("ninh-binh-2025"));
    let workdir = tempfile::tempdir().unwrap();
    let file = workdir.path().join("tu-danh-gia.toml");
    let hash = "ab".repeat(32);
    std::fs::write(
        &file,
        format!(
            "agency = \"bao-ptth-ninh-binh-2025\"\nperiod = \"2026\"\nframework = \"T2026\"\n\
             [[answer]]\ncriterion = \"P1.C1.1\"\nyes = true\n\
             [[answer]]\ncriterion = \"P1.C1.2\"\nchoice = \"some\"\n\
             [[answer]]\ncriterion = \"P2.C1.1\"\nnumber = \"80\"\n\
             [[evidence]]\ncriterion = \"P1.C1.1\"\ntitle = \"Quyết định\"\ndocument_id = \"QD-1\"\nsha256 = \"{hash}\"\n\
             [[evidence]]\ncriterion = \"P1.C1.2\"\ntitle = \"Chiến lược\"\ndocument_id = \"CL-1\"\nsha256 = \"{hash}\"\n\
             [[evidence]]\ncriterion = \"P2.C1.1\"\ntitle = \"Thống kê\"\nlink = \"https://example.vn/tk.pdf\"\nsha256 = \"{hash}\"\n"
        ),
    )
    .unwrap();
    let run = |args: &[&str], token: &str| {
        let mut args = args.to_vec();
        args.extend(["--server", &server, "--token", token]);
        let output = tokio::task::block_in_place(|| pressdx(&args));
        assert!(
            output.status.success(),
            "pressdx {args:?}: {}{}",
            text(&output.stdout),
            text(&output.stderr)
        );
        text(&output.stdout)
    };
    // By hand: 4 + 1 + 4 = 9 of 10, level 3.
    let stored = run(
        &["maturity", "submit", "--file", file.to_str().unwrap()],
        &agency,
    );
    assert!(stored.contains("revision 1"), "{stored}");
    assert!(
        stored.contains("9 of 10 points, level 3 (Good)"),
        "{stored}"
    );
    // The same file again is a retry.
    let again = run(
        &["maturity", "submit", "--file", file.to_str().unwrap()],
        &agency,
    );
    assert!(again.contains("already stored"), "{again}");
    let id = stored
        .split("self-assessment ")
        .nth(1)
        .and_then(|rest| rest.split(',').next())
        .unwrap()
        .to_string();
    run(
        &[
            "maturity",
            "appraise",
            "--id",
            &id,
            "--criterion",
            "P1.C1.1",
            "--points",
            "2",
            "--reason",
            "only in October",
        ],
        &province,
    );
    // 9 - 4 + 2 = 7, level 2.
    let shown = run(
        &[
            "maturity",
            "show",
            "--agency",
            "bao-ptth-ninh-binh-2025",
            "--period",
            "2026",
        ],
        &province,
    );
    assert!(shown.contains("self-assessed 9 of 10 points"), "{shown}");
    assert!(
        shown.contains("final         7 of 10 points, level 2 (Fair)"),
        "{shown}"
    );

    // The province's results of 2026: its one agency, final 7 (P1 2 + 1 = 3 of 6, 50%; P2 4 of
    // 4, 100%), alone in its block in the country and in the province.
    let scope = ["--period", "2026", "--scope", "province:ninh-binh-2025"];
    let results = run(&[&["maturity", "results"][..], &scope].concat(), &province);
    let row = results
        .lines()
        .find(|line| line.starts_with("bao-ptth-ninh-binh-2025"))
        .unwrap_or_else(|| panic!("{results}"));
    for cell in ["all", "7 of 10", "2 Fair", "1 of 1", "(appraised)"] {
        assert!(row.contains(cell), "{cell:?} in {row}");
    }
    assert!(
        results.contains("agencies: 1 covered, 1 assessed, 0 missing"),
        "{results}"
    );
    let pillar = |name: &str| {
        results
            .lines()
            .find(|line| line.starts_with(name))
            .map(|line| line.split_whitespace().collect::<Vec<_>>())
            .unwrap_or_else(|| panic!("{name} in {results}"))
    };
    assert_eq!(pillar("P1 "), ["P1", "6", "3", "3", "50%"]);
    assert_eq!(pillar("P2 "), ["P2", "4", "4", "4", "100%"]);
    assert_eq!(pillar("total"), ["total", "10", "7", "7", "70%"]);
    let rankings = run(&[&["maturity", "rankings"][..], &scope].concat(), &province);
    assert!(rankings.contains("block all"), "{rankings}");
    assert!(
        rankings
            .lines()
            .any(|line| line.contains("1 of 1") && line.contains("bao-ptth-ninh-binh-2025")),
        "{rankings}"
    );
    // Against 2024, governed by V2024: the versions differ, and no agency of the three old
    // provinces assessed itself in 2024, so no share compares.
    let compared = run(
        &[&["maturity", "compare", "--baseline", "2024"][..], &scope].concat(),
        &province,
    );
    assert!(
        compared.contains("frameworks differ (T2026 against V2024)"),
        "{compared}"
    );
    assert!(
        compared.contains("assessed agencies: 1 against 0"),
        "{compared}"
    );
}

/// `pressdx agency-plan`: the example file submitted by the agency (again: a retry), returned
/// with a reason about an entry, resubmitted, approved by its governing body, shown, listed, and
/// read against the agency's 2026 report.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_submits_decides_lists_and_follows_an_agency_plan() {
    let backend = crate::BACKEND;
    let app = TestApp::spawn(backend).await;
    let server = format!("http://{}", app.address);
    let (_, agency) = create_token(&app.database_url, "agency", Some("bao-ptth-ninh-binh-2025"));
    let (_, body) = create_token(
        &app.database_url,
        "governing_body",
        Some("tinh-uy-ninh-binh-2025"),
    );
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/agency-plan.toml");
    let run = |args: &[&str], token: &str| {
        let mut args = args.to_vec();
        args.extend(["--server", &server, "--token", token]);
        let output = tokio::task::block_in_place(|| pressdx(&args));
        assert!(
            output.status.success(),
            "pressdx {args:?}: {}{}",
            text(&output.stdout),
            text(&output.stderr)
        );
        text(&output.stdout)
    };
    let id_in = |receipt: &str| {
        receipt
            .split("agency plan ")
            .nth(1)
            .and_then(|rest| rest.split(',').next())
            .unwrap_or_else(|| panic!("{receipt}"))
            .to_string()
    };
    let stored = run(&["agency-plan", "submit", "--file", example], &agency);
    assert!(stored.contains("revision 1, awaiting approval"), "{stored}");
    let again = run(&["agency-plan", "submit", "--file", example], &agency);
    assert!(again.contains("already stored"), "{again}");
    let first = id_in(&stored);
    let returned = run(
        &[
            "agency-plan",
            "return",
            "--id",
            &first,
            "--reason",
            "tasks[T2]: name the courses",
        ],
        &body,
    );
    assert!(returned.starts_with("returned agency plan"), "{returned}");
    assert!(
        returned.contains("tasks[T2]: name the courses"),
        "{returned}"
    );

    // The same plan with a request id of its own is the next revision.
    let workdir = tempfile::tempdir().unwrap();
    let revised = workdir.path().join("ke-hoach.toml");
    let text_of_example = std::fs::read_to_string(example).unwrap();
    std::fs::write(
        &revised,
        format!("request_id = \"revision-2\"\n{text_of_example}"),
    )
    .unwrap();
    let second = run(
        &["agency-plan", "submit", "--file", revised.to_str().unwrap()],
        &agency,
    );
    assert!(second.contains("revision 2"), "{second}");
    run(&["agency-plan", "approve", "--id", &id_in(&second)], &body);

    let shown = run(
        &[
            "agency-plan",
            "show",
            "--agency",
            "bao-ptth-ninh-binh-2025",
            "--plan",
            "nam-dinh-cds-bao-chi",
        ],
        &agency,
    );
    assert!(
        shown.contains("state         approved (plan in force: revision 2)"),
        "{shown}"
    );
    assert!(shown.contains("70% of its people"), "{shown}");
    let listed = run(
        &["agency-plan", "list", "--plan", "nam-dinh-cds-bao-chi"],
        &body,
    );
    assert!(
        listed.contains("1 approved, 0 awaiting approval, 0 returned, 0 without a plan"),
        "{listed}"
    );

    // 2026's report: 50 of 80 people trained (62.5%) falls short of the 70% committed; a
    // converged newsroom, as committed.
    app.submit(super::fixtures::request(
        &super::fixtures::new_id(),
        "bao-ptth-ninh-binh-2025",
        "2026",
        super::fixtures::complete_report(),
    ))
    .await
    .unwrap();
    let progress = run(
        &[
            "agency-plan",
            "progress",
            "--agency",
            "bao-ptth-ninh-binh-2025",
            "--plan",
            "nam-dinh-cds-bao-chi",
            "--period",
            "2026",
        ],
        &agency,
    );
    let line = |target: &str| {
        progress
            .lines()
            .find(|line| line.trim_start().starts_with(target))
            .unwrap_or_else(|| panic!("{target} in {progress}"))
            .to_string()
    };
    assert!(
        line("staff_trained").contains("not met; own value 50/80"),
        "{progress}"
    );
    assert!(
        line("converged_newsroom").contains(": met; own value yes"),
        "{progress}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_reports_task_progress_and_follows_the_plan() {
    let backend = crate::BACKEND;
    let app = TestApp::spawn(backend).await;
    app.apply_catalog(&format!(
        "{}\n{}",
        crate::common::TEST_CATALOG,
        super::tasks::TASK_PLAN
    ))
    .await;
    let server = format!("http://{}", app.address);
    let (_, newspaper) = create_token(&app.database_url, "agency", Some("bao-ha-nam"));
    let (_, province) = create_token(&app.database_url, "province", Some("ha-nam"));
    let run = |args: &[&str], token: &str| {
        let mut args = args.to_vec();
        args.extend(["--server", &server, "--token", token]);
        let output = tokio::task::block_in_place(|| pressdx(&args));
        (
            output.status.code(),
            text(&output.stdout),
            text(&output.stderr),
        )
    };
    let listed = run(&["tasks", "list", "--plan", "test-tasks"], &newspaper);
    assert!(
        listed.1.contains("T3") && listed.1.contains("bao-ha-nam"),
        "{listed:?}"
    );

    let report = [
        "tasks",
        "report",
        "--plan",
        "test-tasks",
        "--task",
        "T2",
        "--period",
        "2024",
        "--status",
        "in_progress",
        "--percent",
        "60",
        "--account",
        "drafted",
        "--evidence",
        "Draft|https://example.vn/draft.pdf|cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd",
    ];
    let stored = run(&report, &newspaper);
    assert_eq!(stored.0, Some(0), "{stored:?}");
    assert!(stored.1.contains("revision     1"), "{stored:?}");
    assert!(stored.1.contains("in progress, 60%"), "{stored:?}");
    // The same report again is a retry: its request id is derived from what it says.
    let again = run(&report, &newspaper);
    assert!(again.1.contains("replayed"), "{again:?}");
    // A refusal names every violation and exits with 2.
    let refused = run(
        &[
            "tasks",
            "report",
            "--plan",
            "test-tasks",
            "--task",
            "T2",
            "--period",
            "2024",
            "--status",
            "in_progress",
        ],
        &newspaper,
    );
    assert_eq!(refused.0, Some(2), "{refused:?}");
    assert!(refused.2.contains("percent_complete"), "{refused:?}");

    // On 1 December 2024, nothing but the newspaper's T2 reported: T1 (the department's, due
    // 30 June) is 31 + 31 + 30 + 31 + 30 + 1 = 154 days late, T3 (due 30 September) 62, and T2
    // (due 14 November) 17 for each agency, as the behavioural test works them out.
    let followed = run(
        &[
            "tasks",
            "follow-up",
            "--plan",
            "test-tasks",
            "--period",
            "2024",
            "--as-of",
            "2024-12-01",
        ],
        &province,
    );
    assert_eq!(followed.0, Some(0), "{followed:?}");
    let overdue: Vec<(&str, &str)> = followed
        .1
        .lines()
        .skip_while(|line| !line.starts_with("overdue"))
        .skip(1)
        .take(4)
        .map(|line| {
            let line = line.trim();
            (
                line.split(' ').next().unwrap_or_default(),
                line.rsplit("  ").next().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        overdue,
        [
            // Over 99 days, the due date says more than the count.
            ("T1", "overdue since 2024-06-30 (Tỉnh Hà Nam)"),
            ("T3", "62 days late (Báo Hà Nam)"),
            ("T2", "17 days late (Báo Hà Nam)"),
            ("T2", "17 days late (Đài Phát thanh và Truyền hình Hà Nam)"),
        ],
        "{followed:?}"
    );
    assert!(
        followed
            .1
            .contains("lines: 3 not started, 1 in progress, 0 done, 0 cancelled"),
        "{followed:?}"
    );
    let csv = run(
        &[
            "tasks",
            "follow-up",
            "--plan",
            "test-tasks",
            "--period",
            "2024",
            "--as-of",
            "2024-12-01",
            "--output",
            "csv",
        ],
        &province,
    );
    assert_eq!(
        csv.1.lines().count(),
        1 + 4,
        "a header and four lines: {csv:?}"
    );
}
