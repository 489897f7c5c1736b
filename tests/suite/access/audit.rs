//! The audit chain: every write recorded, and `audit verify` catching tampering and every edit
//! behind a figure.

use std::process::Command;

use pressdx::catalog_file;
use pressdx::store::CatalogSource;
use sea_orm::{ConnectionTrait, Database, Statement};
use tonic::Code;

use crate::common::{TEST_CATALOG, TestApp};
use crate::suite::fixtures::{OLD_AGENCY, complete_report, error_reason, new_id, request};

/// `pressdx audit verify` on the app's database: its exit status and what it printed.
fn audit_verify(app: &TestApp) -> (bool, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_pressdx"))
        .args(["audit", "verify", "--database-url", &app.database_url])
        .output()
        .expect("pressdx runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_audit_chain_records_every_write_and_catches_tampering() {
    let backend = crate::BACKEND;
    let app = TestApp::spawn(backend).await;
    // Written so far: the counters as the new database found them, the default catalogue, the
    // harness's Ministry token.
    for period in ["2023", "2024"] {
        app.submit(request(&new_id(), OLD_AGENCY, period, complete_report()))
            .await
            .unwrap();
    }
    // The agency's token was created by the first submit: entry 4, then submissions 5 and 6.
    let verification = app.store().verify_audit().await.unwrap();
    assert_eq!(verification.problems, vec![]);
    assert_eq!((verification.entries, verification.submissions), (6, 2));
    let (ok, text) = audit_verify(&app);
    assert!(ok, "{text}");
    assert!(text.contains("6 entries, 2 submissions"), "{text}");
    assert!(text.contains("head: entry 6 sha256:"), "{text}");

    let database = Database::connect(&app.database_url).await.unwrap();
    let run = |sql: &'static str| {
        let database = database.clone();
        async move { database.execute_unprepared(sql).await.unwrap() }
    };

    // Someone rewrites who submitted the 2023 report: entry 5 no longer hashes right.
    run("UPDATE audit_entry SET principal = 'ministry (credential 1)' WHERE seq = 5").await;
    let (ok, text) = audit_verify(&app);
    assert!(!ok, "{text}");
    assert!(text.contains("BROKEN at entry 5"), "{text}");
    assert!(text.contains("altered"), "{text}");
    run("UPDATE audit_entry SET principal = 'agency bao-nam-dinh (credential 2)' WHERE seq = 5")
        .await;
    assert_eq!(app.store().verify_audit().await.unwrap().problems, vec![]);

    // Someone edits the stored 2024 report itself: the entry that recorded it (6) is named.
    run(
        "UPDATE submission SET report = replace(report, '25000000000', '95000000000') \
         WHERE period_code = '2024'",
    )
    .await;
    let (ok, text) = audit_verify(&app);
    assert!(!ok, "{text}");
    assert!(text.contains("BROKEN at entry 6"), "{text}");
    assert!(
        text.contains("no longer holds what this entry recorded"),
        "{text}"
    );
    run(
        "UPDATE submission SET report = replace(report, '95000000000', '25000000000') \
         WHERE period_code = '2024'",
    )
    .await;
    assert_eq!(app.store().verify_audit().await.unwrap().problems, vec![]);

    // Someone makes a late report look on time: its arrival is part of what was recorded.
    run("UPDATE submission SET late = NOT late WHERE period_code = '2023'").await;
    let (ok, text) = audit_verify(&app);
    assert!(!ok && text.contains("BROKEN at entry 5"), "{text}");
    run("UPDATE submission SET late = NOT late WHERE period_code = '2023'").await;

    // Someone turns an agency's credential into a Ministry one.
    run("UPDATE credential SET role = 'ministry', organization_code = NULL WHERE id = 2").await;
    let (ok, text) = audit_verify(&app);
    assert!(!ok && text.contains("no longer grants"), "{text}");
    assert!(text.contains("BROKEN at entry 4"), "{text}");
    run("UPDATE credential SET role = 'agency', organization_code = 'bao-nam-dinh' WHERE id = 2")
        .await;
    assert_eq!(app.store().verify_audit().await.unwrap().problems, vec![]);

    // Someone deletes a submission: its entry outlives it.
    run("DELETE FROM latest_submission WHERE period_code = '2023'").await;
    run("DELETE FROM submission WHERE period_code = '2023'").await;
    let (ok, text) = audit_verify(&app);
    assert!(!ok, "{text}");
    assert!(text.contains("BROKEN at entry 5"), "{text}");
    assert!(text.contains("no longer stored"), "{text}");

    // Someone deletes the last entry too: the chain is cut short of the head the counters keep,
    // which is found before anything the entries recorded.
    run("DELETE FROM audit_entry WHERE seq = 6").await;
    let (ok, text) = audit_verify(&app);
    assert!(!ok, "{text}");
    assert!(text.contains("should end at entry 6"), "{text}");
    database.close().await.ok();
}

/// Each edit made directly in the database to what a published figure is computed from, or to
/// what lets submissions go on, is caught by `pressdx audit verify`, which names what changed;
/// undone, the database verifies again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_verify_catches_every_edit_behind_a_figure() {
    let backend = crate::BACKEND;
    let app = TestApp::spawn(backend).await;
    // Two revisions of the 2024 report and one of 2023; every default deadline has passed, so the
    // first revisions arrived late.
    let mut ids = Vec::new();
    for period in ["2023", "2024", "2024"] {
        let receipt = app
            .submit(request(&new_id(), OLD_AGENCY, period, complete_report()))
            .await
            .unwrap()
            .into_inner();
        ids.push(receipt.submission_id);
    }
    let first_2024 = ids[1];
    let (ok, text) = audit_verify(&app);
    assert!(ok, "{text}");

    let database = Database::connect(&app.database_url).await.unwrap();
    let run = |sql: String| {
        let database = database.clone();
        async move { database.execute_unprepared(&sql).await.unwrap() }
    };
    // The 2024 deadline as the database spells it, to put it back.
    let deadline_2024: String = database
        .query_one_raw(Statement::from_string(
            database.get_database_backend(),
            "SELECT CAST(deadline AS TEXT) FROM period WHERE code = '2024'",
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get_by_index(0)
        .unwrap();
    let national = "plan_code = 'national-348-qd-ttg'";
    // (what is done, how it is undone, what verify must say)
    let edits: Vec<(String, String, &str)> = vec![
        (
            format!(
                "UPDATE latest_submission SET revision = 1, submission_id = {first_2024} \
                 WHERE agency_code = '{OLD_AGENCY}' AND period_code = '2024'"
            ),
            format!(
                "UPDATE latest_submission SET revision = 2, submission_id = {} \
                 WHERE agency_code = '{OLD_AGENCY}' AND period_code = '2024'",
                ids[2]
            ),
            "the latest revision of bao-nam-dinh 2024 is said to be revision 1",
        ),
        (
            "UPDATE latest_submission SET first_late = NOT first_late WHERE period_code = '2023'"
                .into(),
            "UPDATE latest_submission SET first_late = NOT first_late WHERE period_code = '2023'"
                .into(),
            "bao-nam-dinh 2023: the first revision is said to have arrived",
        ),
        (
            "UPDATE period SET deadline = (SELECT deadline FROM period WHERE code = '2025') \
             WHERE code = '2024'"
                .into(),
            format!("UPDATE period SET deadline = '{deadline_2024}' WHERE code = '2024'"),
            "the catalogue changed since entry 2 recorded it: periods.2024.deadline: recorded \"2024-11-14T17:00:00.000000Z\", found \"2025-11-14T17:00:00.000000Z\"",
        ),
        (
            "UPDATE indicator SET max_value = 7 WHERE code = 'security_level'".into(),
            "UPDATE indicator SET max_value = 5 WHERE code = 'security_level'".into(),
            "indicators.security_level.max: recorded 5, found 7",
        ),
        (
            format!(
                "UPDATE milestone SET required_share_bp = 1000 WHERE {national} \
                 AND target_code = 'content_on_digital_platforms' AND year = 2025"
            ),
            format!(
                "UPDATE milestone SET required_share_bp = 7000 WHERE {national} \
                 AND target_code = 'content_on_digital_platforms' AND year = 2025"
            ),
            "targets.content_on_digital_platforms.milestones.2025.required_share_bp: recorded 7000, found 1000",
        ),
        (
            format!(
                "UPDATE target SET rule = replace(rule, 'all_agencies', \
                 'electronic_press_agencies') WHERE {national} AND code = 'converged_newsroom'"
            ),
            format!(
                "UPDATE target SET rule = replace(rule, 'electronic_press_agencies', \
                 'all_agencies') WHERE {national} AND code = 'converged_newsroom'"
            ),
            "targets.converged_newsroom.rule.population: recorded \"all_agencies\", found \"electronic_press_agencies\"",
        ),
        (
            "UPDATE organization_version SET province_code = 'ha-nam' \
             WHERE organization_code = 'bao-nam-dinh'"
                .into(),
            "UPDATE organization_version SET province_code = 'nam-dinh' \
             WHERE organization_code = 'bao-nam-dinh'"
                .into(),
            "organizations.bao-nam-dinh.versions[0].province: recorded \"nam-dinh\", found \"ha-nam\"",
        ),
        (
            "UPDATE organization_link SET effective_on = '2025-01-01' \
             WHERE successor_code = 'bao-nam-dinh' AND predecessor_code = 'ptth-nam-dinh'"
                .into(),
            "UPDATE organization_link SET effective_on = '2025-04-15' \
             WHERE successor_code = 'bao-nam-dinh' AND predecessor_code = 'ptth-nam-dinh'"
                .into(),
            "organizations.bao-nam-dinh.predecessors[ptth-nam-dinh].effective_on: recorded \"2025-04-15\", found \"2025-01-01\"",
        ),
        (
            "INSERT INTO organization_link (predecessor_code, successor_code, effective_on, kind) \
             VALUES ('ptth-nam-dinh', 'bao-nam-dinh', '2024-06-01', 'merger')"
                .into(),
            "DELETE FROM organization_link WHERE effective_on = '2024-06-01'".into(),
            "organizations.bao-nam-dinh.predecessors: found {\"code\":\"ptth-nam-dinh\",\"effective_on\":\"2024-06-01\",\"kind\":\"merger\"}, never recorded",
        ),
        (
            "UPDATE counters SET feed_position = feed_position - 2 WHERE id = 1".into(),
            "UPDATE counters SET feed_position = feed_position + 2 WHERE id = 1".into(),
            "the counters row says the change feed ends at position 1, but the stored submissions end at position 3",
        ),
    ];
    for (edit, undo, named) in edits {
        run(edit.clone()).await;
        let (ok, text) = audit_verify(&app);
        assert!(!ok, "{edit}\n{text}");
        assert!(text.contains(named), "{edit}\nexpected: {named}\n{text}");
        if edit.starts_with("UPDATE counters") {
            // A submit trips over the lowered feed head: told what is wrong, not to retry.
            let status = app
                .submit(request(&new_id(), OLD_AGENCY, "2024", complete_report()))
                .await
                .unwrap_err();
            assert_eq!(status.code(), Code::Internal, "{status:?}");
            assert_eq!(error_reason(&status), "DATABASE_INCONSISTENT");
            assert!(status.message().contains("inconsistent"), "{status:?}");
        }
        run(undo).await;
        let verification = app.store().verify_audit().await.unwrap();
        assert_eq!(verification.problems, vec![], "after undoing {edit}");
    }

    // An import never records an edit made outside it as its own: refused, unless told to accept
    // it, and then its entry names the edit.
    run("UPDATE indicator SET max_value = 7 WHERE code = 'security_level'".into()).await;
    let moved_2030 = TEST_CATALOG.replace(
        "deadline = \"2030-11-15T00:00:00+07:00\"",
        "deadline = \"2030-11-20T00:00:00+07:00\"",
    );
    let catalog = catalog_file::parse(&moved_2030).unwrap();
    let source = |accept_unrecorded_changes| CatalogSource {
        text: &moved_2030,
        applied_by: "an operator",
        accept_unrecorded_changes,
    };
    let refused = app
        .store()
        .apply_catalog(&catalog, &source(false), false)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        refused.contains("indicators.security_level.max: recorded 5, found 7"),
        "{refused}"
    );
    let (ok, text) = audit_verify(&app);
    assert!(!ok, "the refused import recorded nothing: {text}");
    let import = app
        .store()
        .apply_catalog(&catalog, &source(true), false)
        .await
        .unwrap();
    assert_eq!(import.unrecorded_changes.len(), 1);
    assert_eq!(app.store().verify_audit().await.unwrap().problems, vec![]);
    let subject: String = database
        .query_one_raw(Statement::from_string(
            database.get_database_backend(),
            "SELECT subject FROM audit_entry ORDER BY seq DESC LIMIT 1",
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get_by_index(0)
        .unwrap();
    assert!(
        subject.contains("accepted as found") && subject.contains("security_level.max"),
        "{subject}"
    );
    database.close().await.ok();
}
