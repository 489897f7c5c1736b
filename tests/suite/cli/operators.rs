//! The operators' commands: catalogue imports, tokens, and reopening a closed period.

use std::process::Output;

use super::command::{create_token, pressdx, text};
use crate::common::TestApp;

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
