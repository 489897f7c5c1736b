//! Reports through the command line: submitting a file, importing a directory, and printing
//! summaries and reporting status for people and, as JSON and CSV, for programs.

use std::collections::HashMap;

use pressdx::proto::{ListSubmissionsRequest, ListTargetSummariesRequest};

use super::command::{EXAMPLE_PERIOD, create_token, pressdx, pressdx_into_a_closed_pipe, text};
use crate::common::TestApp;

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
