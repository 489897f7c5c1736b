//! The test harness: a real pressdx server on 127.0.0.1:0 with its own fresh database, and gRPC
//! clients connected to it.

// Each test binary (sqlite, postgres) uses one backend of this shared harness.
#![allow(dead_code)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use bytes::{Buf, BufMut};
use pressdx::catalog_file;
use pressdx::cli::client::{BearerToken, Connection};
use pressdx::config::{DatabaseArgs, LimitArgs, ServeConfig, TlsArgs, WebArgs};
use pressdx::domain::access::Role;
use pressdx::proto::catalog_service_client::CatalogServiceClient;
use pressdx::proto::submission_service_client::SubmissionServiceClient;
use pressdx::proto::summary_service_client::SummaryServiceClient;
use pressdx::proto::{SubmissionReceipt, SubmitReportRequest};
use pressdx::server::Server;
use pressdx::store::{CatalogSource, Store};
use sea_orm::{ConnectionTrait, Database};
use tempfile::TempDir;
use tokio::sync::{Mutex, oneshot};
use tokio::task::JoinHandle;
use tonic::codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

pub mod draws;

/// The default catalogue with its periods never closing, so that what a test may submit does not
/// depend on the day it runs; closing has tests of its own, which set closing times.
pub static TEST_CATALOG: TestCatalog = TestCatalog(LazyLock::new(|| {
    use pressdx::catalog_file::{DEFAULT_CATALOG, without_closing_times};
    without_closing_times(DEFAULT_CATALOG)
}));

/// The text of [`TEST_CATALOG`], made once; it reads like the `&str` of the default catalogue.
pub struct TestCatalog(LazyLock<String>);

impl std::ops::Deref for TestCatalog {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for TestCatalog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self)
    }
}

/// [`TEST_CATALOG`] in a file, as `serve --catalog` and `catalog import` read it.
pub fn test_catalog_file() -> &'static Path {
    static FILE: LazyLock<PathBuf> = LazyLock::new(|| {
        let file =
            std::env::temp_dir().join(format!("pressdx-test-catalog-{}.toml", std::process::id()));
        std::fs::write(&file, &*TEST_CATALOG).expect("the test catalogue is written");
        file
    });
    &FILE
}

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

/// A fresh database of the given kind for a server run apart from the harness (a `pressdx
/// serve` process): its URL, and a guard that drops it when the test is done with it.
pub async fn fresh_database(backend: Backend) -> (impl Sized, String) {
    TestDatabase::create(backend).await
}

/// A running server, its clients, and its database.
///
/// The ready-made clients call with a Ministry token, which reads everything and submits nothing
/// live (it may import history);
/// an agency submits through [`TestApp::agency`] or [`TestApp::submit`], with its own token.
pub struct TestApp {
    pub address: SocketAddr,
    /// Where the server serves its metrics, when asked to (`metrics_listen`).
    pub metrics_address: Option<SocketAddr>,
    pub database_url: String,
    pub submissions: SubmissionServiceClient<Connection>,
    pub catalog: CatalogServiceClient<Connection>,
    pub summaries: SummaryServiceClient<Connection>,
    pub ministry_token: String,
    /// A plaintext connection to the server, carrying no credential.
    pub channel: Channel,
    store: Store,
    agency_tokens: Mutex<HashMap<String, String>>,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<()>>,
    // Dropped last: the server must stop before its database goes. `None` for a server that
    // shares another's database.
    _database: Option<TestDatabase>,
}

/// The settings every test server starts with: no rate limit and no limit on failed
/// authentications (tests call in bursts, and try bad credentials on purpose; the limits have
/// their own tests), the default message size and timeout, plaintext.
pub fn test_config(database_url: &str) -> ServeConfig {
    ServeConfig {
        listen: "127.0.0.1:0".parse().expect("an address"),
        database: DatabaseArgs {
            database_url: database_url.to_string(),
        },
        tls: TlsArgs::default(),
        limits: LimitArgs {
            rate_limit: 0,
            max_failed_authentications: 0,
            ..LimitArgs::default()
        },
        shutdown_grace: 0,
        catalog: Some(test_catalog_file().to_path_buf()),
        web: WebArgs::default(),
        metrics_listen: None,
    }
}

impl TestApp {
    /// Starts a server on a fresh database of the given kind, loaded with [`TEST_CATALOG`].
    pub async fn spawn(backend: Backend) -> TestApp {
        TestApp::spawn_with(backend, |_| {}).await
    }

    /// Like [`TestApp::spawn`], with settings changed by `configure`.
    pub async fn spawn_with(backend: Backend, configure: impl FnOnce(&mut ServeConfig)) -> TestApp {
        let (database, database_url) = TestDatabase::create(backend).await;
        let mut config = test_config(&database_url);
        configure(&mut config);
        let mut app = TestApp::start(config).await;
        app._database = Some(database);
        app
    }

    /// Starts a second server on the same database as `other`, as a second process would.
    pub async fn spawn_sharing(other: &TestApp) -> TestApp {
        TestApp::start(test_config(&other.database_url)).await
    }

    /// Like [`TestApp::spawn_sharing`], with settings of its own (on `other`'s database).
    pub async fn spawn_sharing_with(_other: &TestApp, config: ServeConfig) -> TestApp {
        TestApp::start(config).await
    }

    async fn start(config: ServeConfig) -> TestApp {
        let database_url = config.database.database_url.clone();
        let server = Server::build(&config).await.expect("the server starts");
        let address = server.local_addr();
        let metrics_address = server.metrics_addr();
        let server_commits = server.commits();
        let (shutdown, stop) = oneshot::channel::<()>();
        let server = tokio::spawn(async move {
            server
                .run_until_stopped(async {
                    let _ = stop.await;
                })
                .await
                .expect("the server runs");
        });
        // The operator's writes (tokens, catalogue imports) are made beside the server, as if
        // in its process: its next read includes them. Other servers of the same database hear
        // of them as they would of another process's (summary.proto, Freshness).
        let store = Store::connect(&database_url)
            .await
            .expect("the store connects")
            .with_commits(server_commits);
        let ministry_token = create_token(&store, Role::Ministry, None).await;
        let channel = Channel::from_shared(format!("http://{address}"))
            .expect("a URI")
            .connect()
            .await
            .expect("the client connects");
        let connection = authorized(&channel, Some(&ministry_token));
        TestApp {
            address,
            metrics_address,
            database_url,
            submissions: SubmissionServiceClient::new(connection.clone()),
            catalog: CatalogServiceClient::new(connection.clone()),
            summaries: SummaryServiceClient::new(connection),
            ministry_token,
            channel,
            store,
            agency_tokens: Mutex::new(HashMap::new()),
            shutdown: Some(shutdown),
            server: Some(server),
            _database: None,
        }
    }

    /// Creates a credential on the database directly, as `pressdx token create` does, and returns
    /// its token.
    pub async fn token(&self, role: Role, organization: Option<&str>) -> String {
        create_token(&self.store, role, organization).await
    }

    /// The store of the server's database, for what only the operator does.
    /// Lets no connection into a PostgreSQL test database (and ends the ones open), or lets them
    /// in again: a database outage, as the server sees one. `false` on SQLite, which has no
    /// server to lose.
    pub async fn cut_off_database(&self, cut_off: bool) -> bool {
        let Some(TestDatabase::Postgres { admin_url, name }) = &self._database else {
            return false;
        };
        let admin = Database::connect(admin_url.as_str())
            .await
            .expect("the admin database");
        admin
            .execute_unprepared(&format!(
                "ALTER DATABASE {name} WITH ALLOW_CONNECTIONS {}",
                !cut_off
            ))
            .await
            .expect("alter the test database");
        if cut_off {
            admin
                .execute_unprepared(&format!(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"
                ))
                .await
                .expect("end the connections");
        }
        admin.close().await.ok();
        true
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// A connection to this server that calls with `token` (none: no credential).
    pub fn connection(&self, token: Option<&str>) -> Connection {
        authorized(&self.channel, token)
    }

    /// The agency's own token, created on first use.
    pub async fn agency_token(&self, agency_code: &str) -> String {
        let mut tokens = self.agency_tokens.lock().await;
        if let Some(token) = tokens.get(agency_code) {
            return token.clone();
        }
        let token = create_token(&self.store, Role::Agency, Some(agency_code)).await;
        tokens.insert(agency_code.to_string(), token.clone());
        token
    }

    /// A submission client acting as the agency (whose own reports it submits and reads).
    pub async fn agency(&self, agency_code: &str) -> SubmissionServiceClient<Connection> {
        let token = self.agency_token(agency_code).await;
        SubmissionServiceClient::new(self.connection(Some(&token)))
    }

    /// Submits a report as the agency it is for.
    pub async fn submit(
        &self,
        request: SubmitReportRequest,
    ) -> Result<tonic::Response<SubmissionReceipt>, tonic::Status> {
        self.agency(&request.agency_code)
            .await
            .submit_report(request)
            .await
    }

    /// Applies a catalogue to the database directly, as `pressdx catalog import` does.
    pub async fn apply_catalog(&self, text: &str) {
        let catalog = catalog_file::parse(text).unwrap_or_else(|error| panic!("{error:?}"));
        let source = CatalogSource {
            text,
            applied_by: "the test harness",
            accept_unrecorded_changes: false,
        };
        self.store
            .apply_catalog(&catalog, &source, false)
            .await
            .expect("the catalogue applies");
    }

    /// Stops the server gracefully and waits until it has.
    pub async fn stop(mut self) {
        self.ask_to_stop();
        if let Some(server) = self.server.take() {
            server.await.expect("the server stops cleanly");
        }
    }

    /// A connection of its own to the server at `address`, calling with `token`.
    pub async fn client_of(address: SocketAddr, token: &str) -> Connection {
        let channel = Channel::from_shared(format!("http://{address}"))
            .expect("a URI")
            .connect()
            .await
            .expect("the client connects");
        authorized(&channel, Some(token))
    }

    /// Asks the server to stop, as Ctrl-C would, without waiting for it to.
    pub fn ask_to_stop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}

/// A token for a new credential of `role`, created on the database directly. The organisation is
/// not checked against the catalogue, so that tests can submit for agencies that do not exist.
async fn create_token(store: &Store, role: Role, organization: Option<&str>) -> String {
    let (token, _) = store
        .create_token(
            role,
            organization.map(str::to_string),
            "test",
            None,
            "the test harness",
        )
        .await
        .expect("the credential is created");
    token
}

/// `channel`, sending `authorization: Bearer <token>` with every request if there is a token.
pub fn authorized(channel: &Channel, token: Option<&str>) -> Connection {
    InterceptedService::new(
        channel.clone(),
        BearerToken::new(token).expect("a token fit for a header"),
    )
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

/// Sends and receives message bodies as raw bytes, whatever they hold.
#[derive(Debug, Clone, Default)]
pub struct RawCodec;

impl Codec for RawCodec {
    type Encode = Vec<u8>;
    type Decode = Vec<u8>;
    type Encoder = RawCodec;
    type Decoder = RawCodec;

    fn encoder(&mut self) -> Self::Encoder {
        RawCodec
    }

    fn decoder(&mut self) -> Self::Decoder {
        RawCodec
    }
}

impl Encoder for RawCodec {
    type Item = Vec<u8>;
    type Error = tonic::Status;

    fn encode(
        &mut self,
        item: Vec<u8>,
        destination: &mut EncodeBuf<'_>,
    ) -> Result<(), Self::Error> {
        destination.put_slice(&item);
        Ok(())
    }
}

impl Decoder for RawCodec {
    type Item = Vec<u8>;
    type Error = tonic::Status;

    fn decode(&mut self, source: &mut DecodeBuf<'_>) -> Result<Option<Vec<u8>>, Self::Error> {
        Ok(Some(source.copy_to_bytes(source.remaining()).to_vec()))
    }
}

/// What a [`DatabaseProxy`] does with the connections through it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProxyMode {
    /// Passes every byte both ways.
    Forward,
    /// Passes nothing and closes nothing: the database's machine went silent (it died, or the
    /// network between was cut), and no connection learns of it but by waiting. When forwarding
    /// resumes, every connection made before or during the silence is closed, as a machine that
    /// came back would have forgotten them.
    Silent,
}

/// A TCP proxy in front of the PostgreSQL server, for tests of what the server does when its
/// database goes away without a word.
pub struct DatabaseProxy {
    pub address: SocketAddr,
    mode: tokio::sync::watch::Sender<ProxyMode>,
    accepting: JoinHandle<()>,
}

impl DatabaseProxy {
    /// A proxy on 127.0.0.1:0 forwarding to `target`.
    pub async fn start(target: SocketAddr) -> DatabaseProxy {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("the proxy binds");
        let address = listener.local_addr().expect("a local address");
        let (mode, _) = tokio::sync::watch::channel(ProxyMode::Forward);
        let modes = mode.clone();
        let accepting = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let mut mode = modes.subscribe();
                tokio::spawn(async move {
                    let mut client = client;
                    let forwarding = *mode.borrow_and_update() == ProxyMode::Forward;
                    if !forwarding {
                        // Accepted by a silent machine: held until it comes back, then closed.
                        let _ = mode
                            .wait_for(|mode| *mode == ProxyMode::Forward)
                            .await
                            .is_ok();
                        return;
                    }
                    let Ok(mut upstream) = tokio::net::TcpStream::connect(target).await else {
                        return;
                    };
                    let silenced = tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut client, &mut upstream) => false,
                        silenced = mode.wait_for(|mode| *mode != ProxyMode::Forward) => silenced.is_ok(),
                    };
                    if silenced {
                        let _ = mode
                            .wait_for(|mode| *mode == ProxyMode::Forward)
                            .await
                            .is_ok();
                    }
                });
            }
        });
        DatabaseProxy {
            address,
            mode,
            accepting,
        }
    }

    pub fn set(&self, mode: ProxyMode) {
        self.mode.send_replace(mode);
    }

    /// `database_url` with its host and port replaced by the proxy's.
    pub fn url_through(&self, database_url: &str) -> String {
        let mut url = url::Url::parse(database_url).expect("a database URL");
        url.set_ip_host(self.address.ip()).expect("a host");
        url.set_port(Some(self.address.port())).expect("a port");
        url.to_string()
    }
}

impl Drop for DatabaseProxy {
    fn drop(&mut self) {
        self.accepting.abort();
    }
}

/// The address of the PostgreSQL server the suite runs on.
pub fn postgres_address() -> SocketAddr {
    let url = url::Url::parse(&postgres_admin_url()).expect("a PostgreSQL URL");
    let host = url.host_str().unwrap_or("127.0.0.1");
    let port = url.port().unwrap_or(5432);
    std::net::ToSocketAddrs::to_socket_addrs(&(host, port))
        .expect("the PostgreSQL host resolves")
        .next()
        .expect("an address")
}
