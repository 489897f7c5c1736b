//! The test harness: a real pressdx server on 127.0.0.1:0 with its own fresh database, and gRPC
//! clients connected to it.

// Each test binary (sqlite, postgres) uses one backend of this shared harness.
#![allow(dead_code)]

use std::net::SocketAddr;

use pressdx::config::{DatabaseArgs, ServeConfig};
use pressdx::domain::Catalog;
use pressdx::proto::catalog_service_client::CatalogServiceClient;
use pressdx::proto::submission_service_client::SubmissionServiceClient;
use pressdx::proto::summary_service_client::SummaryServiceClient;
use pressdx::server::Server;
use pressdx::store::Store;
use sea_orm::{ConnectionTrait, Database};
use tempfile::TempDir;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tonic::transport::Channel;

/// Which database a run of the behavioural suite uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The PostgreSQL server the PostgreSQL run uses: a maintenance database on it, in which each test
/// creates its own fresh database.
fn postgres_admin_url() -> String {
    std::env::var("PRESSDX_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_string())
}

/// A database that exists for one test only.
enum TestDatabase {
    Sqlite(TempDir),
    Postgres { admin_url: String, name: String },
}

impl TestDatabase {
    async fn create(backend: Backend) -> (TestDatabase, String) {
        match backend {
            Backend::Sqlite => {
                let directory = tempfile::tempdir().expect("a temporary directory");
                let url = format!(
                    "sqlite://{}?mode=rwc",
                    directory.path().join("pressdx.db").display()
                );
                (TestDatabase::Sqlite(directory), url)
            }
            Backend::Postgres => {
                let admin_url = postgres_admin_url();
                // Fails loudly: a PostgreSQL run without PostgreSQL is a failed run, never a skip.
                let admin = Database::connect(&admin_url).await.unwrap_or_else(|error| {
                    panic!("the PostgreSQL suite needs a server at {admin_url}: {error}")
                });
                let name = format!("pressdx_test_{}", uuid::Uuid::new_v4().simple());
                admin
                    .execute_unprepared(&format!("CREATE DATABASE {name}"))
                    .await
                    .expect("create the test database");
                admin.close().await.ok();
                let (base, _) = admin_url
                    .rsplit_once('/')
                    .expect("a PostgreSQL URL ends with /database");
                let url = format!("{base}/{name}");
                (TestDatabase::Postgres { admin_url, name }, url)
            }
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let TestDatabase::Postgres { admin_url, name } = self else {
            return;
        };
        let (admin_url, name) = (admin_url.clone(), name.clone());
        // Drop cannot await, and the test's runtime may be shutting down: use a runtime of our own.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime");
            runtime.block_on(async {
                if let Ok(admin) = Database::connect(&admin_url).await {
                    let _ = admin
                        .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .await;
                    admin.close().await.ok();
                }
            });
        });
        let _ = dropped.join();
    }
}

/// A running server, its clients, and its database.
pub struct TestApp {
    pub address: SocketAddr,
    pub database_url: String,
    pub submissions: SubmissionServiceClient<Channel>,
    pub catalog: CatalogServiceClient<Channel>,
    pub summaries: SummaryServiceClient<Channel>,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<()>>,
    // Dropped last: the server must stop before its database goes. `None` for a server that
    // shares another's database.
    _database: Option<TestDatabase>,
}

impl TestApp {
    /// Starts a server on a fresh database of the given kind, loaded with the default catalogue.
    pub async fn spawn(backend: Backend) -> TestApp {
        let (database, database_url) = TestDatabase::create(backend).await;
        let mut app = TestApp::start(database_url).await;
        app._database = Some(database);
        app
    }

    /// Starts a second server on the same database as `other`, as a second process would.
    pub async fn spawn_sharing(other: &TestApp) -> TestApp {
        TestApp::start(other.database_url.clone()).await
    }

    async fn start(database_url: String) -> TestApp {
        let config = ServeConfig {
            listen: "127.0.0.1:0".parse().expect("an address"),
            database: DatabaseArgs {
                database_url: database_url.clone(),
            },
        };
        let server = Server::build(&config).await.expect("the server starts");
        let address = server.local_addr();
        let (shutdown, stop) = oneshot::channel::<()>();
        let server = tokio::spawn(async move {
            server
                .run_until_stopped(async {
                    let _ = stop.await;
                })
                .await
                .expect("the server runs");
        });
        let channel = Channel::from_shared(format!("http://{address}"))
            .expect("a URI")
            .connect()
            .await
            .expect("the client connects");
        TestApp {
            address,
            database_url,
            submissions: SubmissionServiceClient::new(channel.clone()),
            catalog: CatalogServiceClient::new(channel.clone()),
            summaries: SummaryServiceClient::new(channel),
            shutdown: Some(shutdown),
            server: Some(server),
            _database: None,
        }
    }

    /// Applies a catalogue to the database directly, as `pressdx catalog import` does.
    pub async fn apply_catalog(&self, text: &str) {
        let catalog = Catalog::from_toml(text).unwrap_or_else(|error| panic!("{error:?}"));
        let store = Store::connect(&self.database_url)
            .await
            .expect("the store connects");
        store
            .apply_catalog(&catalog, false)
            .await
            .expect("the catalogue applies");
        store.close().await.expect("the store closes");
    }

    /// Stops the server gracefully and waits until it has.
    pub async fn stop(mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(server) = self.server.take() {
            server.await.expect("the server stops cleanly");
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(server) = self.server.take() {
            server.abort();
        }
    }
}
