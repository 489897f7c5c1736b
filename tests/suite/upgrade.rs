//! A database the previous release made (`tests/fixtures/upgrade`, made by its `make.sh` with
//! pressdx 9e9a765) upgrades in place: the current server migrates it, answers a retry of every
//! old request id as a replay and stores nothing new, reads the old self-assessments and agency
//! plans back as it reads the same files submitted to it afresh, and `audit verify` holds. On
//! PostgreSQL the same records, made by the same release there, are loaded from its dump.

use std::process::Command;

use pressdx::domain::access::Role;
use pressdx::proto::agency_plan_service_client::AgencyPlanServiceClient;
use pressdx::proto::maturity_service_client::MaturityServiceClient;
use pressdx::proto::{AgencyPlan, GetAgencyPlanRequest, GetSelfAssessmentRequest, SelfAssessment};
use pressdx::server::Server;
use pressdx::store::Store;
use sea_orm::{ConnectionTrait, Database};
use tokio::sync::oneshot;
use tonic::transport::Channel;

use crate::common::{Backend, TestApp, authorized, fresh_database, test_config};

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/upgrade");
const AGENCY: &str = "bao-ptth-ninh-binh-2025";
const PLAN: &str = "nam-dinh-cds-bao-chi";

/// The entries the previous release wrote (make.sh's records), and the conversion's: one for
/// each of the two self-assessments and the one agency plan.
const ENTRIES_BEFORE_THE_UPGRADE: u64 = 15;
const ENTRIES_OF_THE_CONVERSION: u64 = 3;

/// Every record make.sh stored, sent again as it sent it, with the words the current client
/// prints for a replay.
fn retries() -> Vec<(Vec<String>, &'static str)> {
    let file = |name: &str| format!("{FIXTURE}/{name}");
    let args = |list: &[&str]| list.iter().map(|arg| arg.to_string()).collect::<Vec<_>>();
    vec![
        (
            args(&[
                "submit",
                "--file",
                &file("report.toml"),
                "--request-id",
                "fixture-report-1",
            ]),
            "already accepted",
        ),
        (
            args(&[
                "submit",
                "--file",
                &file("report-corrected.toml"),
                "--request-id",
                "fixture-report-2",
            ]),
            "already accepted",
        ),
        (
            args(&["maturity", "submit", "--file", &file("tu-danh-gia.toml")]),
            "already stored",
        ),
        (
            args(&["maturity", "submit", "--file", &file("tu-danh-gia-2.toml")]),
            "already stored",
        ),
        (
            args(&["agency-plan", "submit", "--file", &file("agency-plan.toml")]),
            "already stored",
        ),
        (
            args(&[
                "tasks",
                "report",
                "--plan",
                "national-348-qd-ttg",
                "--task",
                "N.2",
                "--period",
                "2025",
                "--status",
                "in_progress",
                "--percent",
                "60",
                "--account",
                "Nội dung đã lên hai nền tảng trong nước",
                "--request-id",
                "fixture-task-progress-1",
            ]),
            "replayed",
        ),
    ]
}

/// Runs the client with `token` against the server at `address`; its standard output.
fn pressdx(args: &[String], token: &str, address: std::net::SocketAddr) -> String {
    let output = tokio::task::block_in_place(|| {
        Command::new(env!("CARGO_BIN_EXE_pressdx"))
            .args(args)
            .args(["--server", &format!("http://{address}")])
            .env("PRESSDX_TOKEN", token)
            .env("RUST_LOG", "warn")
            .output()
            .expect("the pressdx binary runs")
    });
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{args:?}: {stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_of_the_previous_release_upgrades_in_place() {
    let backend = crate::BACKEND;
    match backend {
        Backend::Sqlite => {
            let directory = tempfile::tempdir().unwrap();
            let file = directory.path().join("pressdx.db");
            std::fs::copy(format!("{FIXTURE}/pressdx-9e9a765.db"), &file).unwrap();
            upgrades_in_place(backend, &format!("sqlite://{}?mode=rwc", file.display())).await;
        }
        Backend::Postgres => {
            let (_database, url) = fresh_database(backend).await;
            let dump =
                std::fs::read_to_string(format!("{FIXTURE}/pressdx-9e9a765.postgres.sql")).unwrap();
            let db = Database::connect(&url).await.unwrap();
            db.execute_unprepared(&dump).await.unwrap();
            db.close().await.unwrap();
            upgrades_in_place(backend, &url).await;
        }
    }
}

async fn upgrades_in_place(backend: Backend, database_url: &str) {
    // The current server migrates the old database as it starts.
    let server = Server::build(&test_config(database_url))
        .await
        .expect("the server starts on the old database");
    let address = server.local_addr();
    let (stop, stopped) = oneshot::channel::<()>();
    let running = tokio::spawn(async move {
        server
            .run_until_stopped(async {
                let _ = stopped.await;
            })
            .await
            .expect("the server runs");
    });
    let store = Store::connect(database_url).await.unwrap();
    let upgraded = store.verify_audit().await.unwrap();
    assert!(upgraded.holds(), "{:?}", upgraded.problems);
    assert_eq!(
        upgraded.entries,
        ENTRIES_BEFORE_THE_UPGRADE + ENTRIES_OF_THE_CONVERSION
    );

    // Every old request id replays, and nothing is stored twice: every write has an entry.
    let token = |role, organization: Option<&str>| {
        let store = store.clone();
        let organization = organization.map(str::to_string);
        async move {
            store
                .create_token(role, organization, "test", None, "the upgrade test")
                .await
                .unwrap()
                .0
        }
    };
    let agency = token(Role::Agency, Some(AGENCY)).await;
    let ministry = token(Role::Ministry, None).await;
    for (args, replayed) in retries() {
        let said = pressdx(&args, &agency, address);
        assert!(said.contains(replayed), "{args:?}: {said}");
    }
    let retried = store.verify_audit().await.unwrap();
    assert!(retried.holds(), "{:?}", retried.problems);
    // Two credentials created, each with its entry; nothing else.
    assert_eq!(retried.entries, upgraded.entries + 2);
    assert_eq!(retried.submissions, 2);

    // The old forms read back as the current server reads the same files sent to it afresh.
    let fresh = TestApp::spawn(backend).await;
    let fresh_agency = fresh.agency_token(AGENCY).await;
    for (args, _) in retries()
        .into_iter()
        .filter(|(args, _)| args[0] == "maturity" || args[0] == "agency-plan")
    {
        pressdx(&args, &fresh_agency, fresh.address);
    }
    let old = Channel::from_shared(format!("http://{address}"))
        .unwrap()
        .connect()
        .await
        .unwrap();
    let old = authorized(&old, Some(&ministry));
    let new = fresh.connection(Some(&fresh.ministry_token));
    for revision in [1, 2] {
        let request = GetSelfAssessmentRequest {
            agency_code: AGENCY.into(),
            period_code: "2025".into(),
            revision,
        };
        let read = |connection| {
            let request = request.clone();
            async move {
                MaturityServiceClient::new(connection)
                    .get_self_assessment(request)
                    .await
                    .unwrap()
                    .into_inner()
            }
        };
        let (was, is) = (read(old.clone()).await, read(new.clone()).await);
        let said = |assessment: &SelfAssessment| {
            let receipt = assessment.receipt.clone().unwrap();
            (
                assessment.answers.clone(),
                assessment.evidence.clone(),
                receipt.revision,
                receipt.content_hash,
                receipt.score,
                assessment.misfits.clone(),
            )
        };
        assert!(!was.answers.is_empty() && !was.evidence.is_empty());
        assert_eq!(said(&was), said(&is), "revision {revision}");
        // The appraisal the old server recorded on revision 2 is still there.
        assert_eq!(was.appraisals.len(), usize::try_from(revision - 1).unwrap());
    }
    let read = |connection| async move {
        AgencyPlanServiceClient::new(connection)
            .get_agency_plan(GetAgencyPlanRequest {
                agency_code: AGENCY.into(),
                plan_code: PLAN.into(),
                revision: 1,
            })
            .await
            .unwrap()
            .into_inner()
    };
    let (was, is) = (read(old.clone()).await, read(new.clone()).await);
    let said = |plan: &AgencyPlan| {
        (
            plan.commitments.clone(),
            plan.tasks.clone(),
            plan.receipt.clone().unwrap().content_hash,
        )
    };
    assert_eq!(was.commitments.len(), 4);
    assert_eq!(said(&was), said(&is));
    // Approved by the old server's governing body: still the plan in force.
    assert_eq!(was.plan_in_force_revision, 1);

    let verified = store.verify_audit().await.unwrap();
    assert!(verified.holds(), "{:?}", verified.problems);
    fresh.stop().await;
    store.close().await.unwrap();
    let _ = stop.send(());
    running.await.unwrap();
}
