//! The documents through the command line: the province's report, self-assessments and their
//! results, agency plans, and task progress.

use super::command::{EXAMPLE_PERIOD, create_token, pressdx, text};
use crate::common::TestApp;

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
        crate::suite::assessment::FRAMEWORK_2026
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
    app.submit(crate::suite::fixtures::request(
        &crate::suite::fixtures::new_id(),
        "bao-ptth-ninh-binh-2025",
        "2026",
        crate::suite::fixtures::complete_report(),
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
        crate::suite::tasks::TASK_PLAN
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
