//! The gRPC server: binds the listener, wires the services, health and reflection, and runs until
//! asked to stop, finishing the requests in flight.

mod connections;
mod web;

use connections::{ConnectionLimits, accept_within};

use std::future::Future;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tonic::server::NamedService;
use tonic::transport::{Certificate, Identity, ServerTlsConfig};
use tonic_health::ServingStatus;
use tracing::{error, info, warn};

use crate::api::access::{AccessLayer, RequestLimits};
use crate::api::{
    AgencyPlanApi, CatalogApi, Draining, MaturityApi, ProvinceReportApi, ReviewApi, SubmissionApi,
    SummaryApi, TaskApi,
};
use crate::app::admin::{Admin, CatalogSource, Commits, StoreError, describe_database};
use crate::app::{AppError, AuthenticationSettings};
use crate::catalog_file::{self, CatalogError, DEFAULT_CATALOG};
use crate::config::{LimitArgs, ServeConfig, TlsArgs, WebArgs};
use crate::metrics::{MetricsEndpoint, RpcMetricsLayer};
use crate::proto::agency_plan_service_server::AgencyPlanServiceServer;
use crate::proto::catalog_service_server::CatalogServiceServer;
use crate::proto::maturity_service_server::MaturityServiceServer;
use crate::proto::province_report_service_server::ProvinceReportServiceServer;
use crate::proto::review_service_server::ReviewServiceServer;
use crate::proto::submission_service_server::SubmissionServiceServer;
use crate::proto::summary_service_server::SummaryServiceServer;
use crate::proto::task_service_server::TaskServiceServer;

/// How often an HTTP/2 connection is pinged, and how long the peer has to answer before the
/// connection is closed.
const KEEPALIVE_INTERVAL: Duration = Duration::from_secs(30);
const KEEPALIVE_TIMEOUT: Duration = Duration::from_secs(10);

/// HTTP/2 flow-control windows. h2 counts the framing overhead of small DATA frames that wait
/// unread (a frame under 256 bytes costs 256 less its size) against a budget of half the
/// connection window, and ends the connection with ENHANCE_YOUR_CALM (`too_many_data_frames`)
/// when it runs out. A client that sends each message of a stream in a frame of its own (as
/// grpc-python does) faster than the server answers fills the stream's window with such frames;
/// with hyper's defaults (1 MiB each) a back-fill of small reports ran out after a few hundred.
/// A stream window of 256 KiB holds at most about 1 400 reports of 190 bytes (90 KiB of overhead),
/// well within the 2 MiB budget of a 4 MiB connection window, even with several imports on one
/// connection; a 1 MiB message still arrives, in four windows.
const STREAM_WINDOW_BYTES: u32 = 256 * 1024;
const CONNECTION_WINDOW_BYTES: u32 = 4 * 1024 * 1024;

/// The longest the server waits, once asked to stop, for the requests in flight.
const DRAIN_LIMIT: Duration = Duration::from_secs(20);

#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    App(#[from] AppError),
    #[error("cannot listen on {address}: {source}")]
    Bind {
        address: SocketAddr,
        source: std::io::Error,
    },
    #[error("the catalogue to load is invalid: {0}")]
    Catalog(String),
    #[error("reflection cannot be built: {0}")]
    Reflection(#[from] tonic_reflection::server::Error),
    #[error("TLS: {0}")]
    Tls(String),
    #[error("the server failed: {0}")]
    Transport(#[from] tonic::transport::Error),
}

/// A server with its listener bound and its database ready, not yet serving.
pub struct Server {
    listener: TcpListener,
    local_addr: SocketAddr,
    database: Admin,
    tls: Option<ServerTlsConfig>,
    limits: LimitArgs,
    shutdown_grace: Duration,
    web: WebArgs,
    metrics: Option<MetricsEndpoint>,
}

impl Server {
    /// Connects to the database (migrating it, and loading a catalogue into an empty one), reads
    /// the TLS files, and binds the listen address.
    pub async fn build(config: &ServeConfig) -> Result<Server, ServerError> {
        let tls = server_tls(&config.tls)?;
        let database = Admin::connect(&config.database.database_url).await?;
        info!(database = %describe_database(&config.database.database_url), "database ready");
        load_catalog_if_empty(&database, config.catalog.as_deref()).await?;
        // Serving goes on (reads are right as of the stored submissions), but submits go wrong
        // until it is repaired: say so where the operator looks first.
        if let Some(disagreement) = database.feed_disagreement().await? {
            error!(
                problem = %disagreement,
                "the database is inconsistent (pressdx audit verify names what changed)"
            );
        }
        let bind_error = |source| ServerError::Bind {
            address: config.listen,
            source,
        };
        let listener = TcpListener::bind(config.listen).await.map_err(bind_error)?;
        let local_addr = listener.local_addr().map_err(bind_error)?;
        if tls.is_none() && !local_addr.ip().is_loopback() {
            warn!(%local_addr, "serving plaintext on a network address: bearer tokens cross the network in the clear; use --tls-cert and --tls-key");
        }
        let metrics = match config.metrics_listen {
            Some(address) => Some(
                MetricsEndpoint::bind(address)
                    .await
                    .map_err(|source| ServerError::Bind { address, source })?,
            ),
            None => None,
        };
        Ok(Server {
            listener,
            local_addr,
            database,
            tls,
            limits: config.limits,
            shutdown_grace: Duration::from_secs(config.shutdown_grace),
            web: config.web.clone(),
            metrics,
        })
    }

    /// The address actually bound (the port is chosen by the system when asked for port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// What this server knows of commits to its database; a store given it
    /// (`Store::with_commits`) writes as this server's own writers do.
    pub fn commits(&self) -> Arc<Commits> {
        self.database.commits()
    }

    /// The address the metrics endpoint is bound to, if there is one.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics
            .as_ref()
            .and_then(|metrics| metrics.local_addr().ok())
    }

    /// Serves until `shutdown` completes; then drains: health answers NOT_SERVING and open
    /// streams (summary watches, imports) end with UNAVAILABLE at once; requests are still served
    /// for the shutdown grace, so that load balancers move away first; then no new request is
    /// taken, and those in flight finish (for at most [`DRAIN_LIMIT`]) before the database is
    /// closed.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send,
    ) -> Result<(), ServerError> {
        let address = self.local_addr();
        let (health_reporter, health_service) = tonic_health::server::health_reporter();
        set_health(&health_reporter, true).await;

        let limits = self.limits;
        let app = self
            .database
            .app(AuthenticationSettings {
                rate_per_second: limits.rate_limit,
                failed_authentications_per_minute: limits.max_failed_authentications,
            })
            .await?;
        let background = app.start_background();
        let draining = Draining::new();

        // Metrics are served until the gRPC server has stopped, drain included.
        let (metrics_stop, metrics_stopped) = tokio::sync::oneshot::channel::<()>();
        let metrics = self.metrics.map(|metrics| {
            if let Ok(address) = metrics.local_addr() {
                info!(%address, "serving metrics at /metrics");
            }
            tokio::spawn(metrics.serve(async {
                let _ = metrics_stopped.await;
            }))
        });

        let reflection_v1 = reflection().build_v1()?;
        let reflection_v1alpha = reflection().build_v1alpha()?;

        let mut builder = tonic::transport::Server::builder()
            // grpc-web from browsers comes over HTTP/1.1 as well as HTTP/2.
            .accept_http1(true)
            .max_concurrent_streams(limits.max_streams_per_connection)
            .initial_stream_window_size(STREAM_WINDOW_BYTES)
            .initial_connection_window_size(CONNECTION_WINDOW_BYTES)
            // Pings find the peers that vanished without closing their connection.
            .http2_keepalive_interval(Some(KEEPALIVE_INTERVAL))
            .http2_keepalive_timeout(Some(KEEPALIVE_TIMEOUT));
        let tls = self.tls.is_some();
        if let Some(config) = self.tls {
            builder = builder.tls_config(config)?;
        }
        info!(
            %address,
            tls,
            max_connections = limits.max_connections,
            max_unauthenticated_connections = limits.max_unauthenticated_connections,
            cors_allow_origins = ?self.web.cors_allow_origins,
            "serving gRPC and grpc-web"
        );
        let incoming = accept_within(
            self.listener,
            ConnectionLimits {
                max_connections: limits.max_connections,
                max_waiting: limits.max_unauthenticated_connections,
                authentication_timeout: Duration::from_secs(limits.authentication_timeout),
            },
        );
        // Once asked to stop: health says so first, then the open streams are told to end.
        let (drain_started, drain_started_at) = tokio::sync::oneshot::channel::<()>();
        let grace = self.shutdown_grace;
        let stop_signal = {
            let draining = draining.clone();
            async move {
                shutdown.await;
                info!(grace = ?grace, "shutdown requested: health says NOT_SERVING, open streams end");
                set_health(&health_reporter, false).await;
                draining.start();
                tokio::time::sleep(grace).await;
                info!("draining: no new requests; finishing those in flight");
                let _ = drain_started.send(());
            }
        };
        // The server's own request timeout is the access layer's, answered DEADLINE_EXCEEDED;
        // tonic still ends a request at the caller's shorter deadline (grpc-timeout).
        // Outermost first: CORS answers a browser's preflight, grpc-web becomes gRPC, and then
        // every call, whichever way it came, is measured and goes through access control.
        let serving = builder
            .layer(web::cors_layer(&self.web.cors_allow_origins))
            .layer(tonic_web::GrpcWebLayer::new())
            .layer(RpcMetricsLayer)
            .layer(AccessLayer::new(
                app.clone(),
                RequestLimits {
                    max_message_bytes: limits.max_message_bytes,
                    request_timeout: Duration::from_secs(limits.request_timeout),
                },
            ))
            .add_service(health_service)
            .add_service(reflection_v1)
            .add_service(reflection_v1alpha)
            .add_service(
                SubmissionServiceServer::new(SubmissionApi::new(
                    &app,
                    limits.max_message_bytes,
                    draining.clone(),
                ))
                .max_decoding_message_size(limits.max_message_bytes),
            )
            .add_service(
                CatalogServiceServer::new(CatalogApi::new(&app))
                    .max_decoding_message_size(limits.max_message_bytes),
            )
            .add_service(
                ReviewServiceServer::new(ReviewApi::new(&app))
                    .max_decoding_message_size(limits.max_message_bytes),
            )
            .add_service(
                MaturityServiceServer::new(MaturityApi::new(&app))
                    .max_decoding_message_size(limits.max_message_bytes),
            )
            .add_service(
                AgencyPlanServiceServer::new(AgencyPlanApi::new(&app))
                    .max_decoding_message_size(limits.max_message_bytes),
            )
            .add_service(
                TaskServiceServer::new(TaskApi::new(&app))
                    .max_decoding_message_size(limits.max_message_bytes),
            )
            .add_service(
                ProvinceReportServiceServer::new(ProvinceReportApi::new(&app))
                    .max_decoding_message_size(limits.max_message_bytes),
            )
            .add_service(
                SummaryServiceServer::new(SummaryApi::new(&app, draining))
                    .max_decoding_message_size(limits.max_message_bytes),
            )
            .serve_with_incoming_shutdown(incoming, stop_signal);
        // A client that keeps a connection busy cannot hold the stop up for ever.
        let drain_limit = async {
            if drain_started_at.await.is_ok() {
                tokio::time::sleep(DRAIN_LIMIT).await;
            } else {
                std::future::pending::<()>().await;
            }
        };
        let served = tokio::select! {
            served = serving => served,
            () = drain_limit => {
                warn!(limit = ?DRAIN_LIMIT, "requests still in flight after the drain limit: stopping anyway");
                Ok(())
            }
        };
        background.stop();
        let _ = metrics_stop.send(());
        if let Some(metrics) = metrics {
            let _ = metrics.await;
        }
        served?;
        info!("stopped serving; closing the database");
        drop(self.database);
        app.close().await?;
        Ok(())
    }
}

/// Marks every service SERVING, or NOT_SERVING while the server drains.
async fn set_health(reporter: &tonic_health::server::HealthReporter, serving: bool) {
    let status = if serving {
        ServingStatus::Serving
    } else {
        ServingStatus::NotServing
    };
    for service in [
        "",
        <SubmissionServiceServer<SubmissionApi> as NamedService>::NAME,
        <CatalogServiceServer<CatalogApi> as NamedService>::NAME,
        <SummaryServiceServer<SummaryApi> as NamedService>::NAME,
        <ReviewServiceServer<ReviewApi> as NamedService>::NAME,
        <ProvinceReportServiceServer<ProvinceReportApi> as NamedService>::NAME,
        <MaturityServiceServer<MaturityApi> as NamedService>::NAME,
        <AgencyPlanServiceServer<AgencyPlanApi> as NamedService>::NAME,
        <TaskServiceServer<TaskApi> as NamedService>::NAME,
    ] {
        reporter.set_service_status(service, status).await;
    }
}

/// The TLS configuration the flags ask for, with the files read now so that a wrong path fails
/// the start rather than the first connection.
fn server_tls(args: &TlsArgs) -> Result<Option<ServerTlsConfig>, ServerError> {
    let (Some(cert), Some(key)) = (&args.tls_cert, &args.tls_key) else {
        return Ok(None);
    };
    let read = |path: &std::path::Path| {
        std::fs::read(path)
            .map_err(|error| ServerError::Tls(format!("{}: {error}", path.display())))
    };
    let mut tls = ServerTlsConfig::new().identity(Identity::from_pem(read(cert)?, read(key)?));
    if let Some(client_ca) = &args.tls_client_ca {
        tls = tls.client_ca_root(Certificate::from_pem(read(client_ca)?));
    }
    Ok(Some(tls))
}

/// Server reflection over everything served, and over the error details a refusal carries, so
/// that a tool like grpcurl can decode google.rpc.BadRequest without being given the protos.
fn reflection() -> tonic_reflection::server::Builder<'static> {
    tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(crate::proto::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_types::pb::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_reflection::pb::v1::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_reflection::pb::v1alpha::FILE_DESCRIPTOR_SET)
}

/// Loads a catalogue into an empty database: the file `--catalog` names, or the default one. A
/// database that holds a catalogue already keeps it (`pressdx catalog import` changes it).
async fn load_catalog_if_empty(database: &Admin, file: Option<&Path>) -> Result<(), ServerError> {
    if !database.catalog_is_empty().await? {
        if let Some(file) = file {
            warn!(file = %file.display(), "the database holds a catalogue already: --catalog loads one into an empty database only; use `pressdx catalog import` to change it");
        }
        return Ok(());
    }
    let (text, origin) = match file {
        Some(file) => {
            let text = std::fs::read_to_string(file).map_err(|error| {
                ServerError::Catalog(format!("cannot read {}: {error}", file.display()))
            })?;
            (text, file.display().to_string())
        }
        None => (
            DEFAULT_CATALOG.to_string(),
            "the default catalogue".to_string(),
        ),
    };
    let catalog = catalog_file::parse(&text).map_err(|error| {
        let problems = match error {
            CatalogError::Syntax(message) => message,
            CatalogError::Invalid(violations) => violations
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; "),
        };
        ServerError::Catalog(format!("{origin}: {problems}"))
    })?;
    let applied_by = format!("pressdx serve ({origin}, into an empty database)");
    let source = CatalogSource {
        text: &text,
        applied_by: &applied_by,
        accept_unrecorded_changes: false,
    };
    database.import_catalog(&catalog, &source, false).await?;
    info!(
        catalogue = %origin,
        organizations = catalog.organizations.len(),
        plans = catalog.plans.len(),
        periods = catalog.periods.len(),
        "empty database: loaded the catalogue"
    );
    Ok(())
}

/// Completes on Ctrl-C or, on Unix, SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::error!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    info!("shutdown requested: finishing requests in flight");
}
