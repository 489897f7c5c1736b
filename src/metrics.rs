//! Prometheus metrics (the `metrics` facade, rendered by metrics-exporter-prometheus) and the
//! endpoint that serves them when `pressdx serve --metrics-listen ADDRESS` asks for one.
//!
//! What is measured, by name (README, "Metrics", says the same):
//! - `pressdx_rpc_requests_total{method, code}`: every call, by method and the gRPC status code it
//!   ended with (a stream counts when it ends; a call the client gave up on is `Cancelled`).
//! - `pressdx_rpc_duration_seconds{method}`: from the request's arrival to its status.
//! - `pressdx_submissions_total{outcome, reason}`: reports handled by SubmitReport and
//!   ImportReports: `accepted`, `replayed`, `validated` (validate-only) or `refused`, with the
//!   refusal's ErrorInfo reason (`REPORT_INVALID`, `REQUEST_ID_REUSED`...; empty otherwise).
//! - `pressdx_change_feed_head`: the newest change-feed position this process knows of.
//! - `pressdx_summary_cache_total{result}`: figures served from memory (`hit`) or computed
//!   (`miss`).
//!
//! Method labels are the served methods only: any other path counts as `unknown`, so that a
//! caller cannot grow the label set without bound.

use std::collections::HashSet;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::OnceLock;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use http_body::{Body as HttpBody, Frame, SizeHint};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use tokio::net::TcpListener;
use tonic::body::Body;
use tower::{Layer, Service};

use crate::proto::SubmissionReceipt;

const RPC_REQUESTS: &str = "pressdx_rpc_requests_total";
const RPC_DURATION: &str = "pressdx_rpc_duration_seconds";
const SUBMISSIONS: &str = "pressdx_submissions_total";
const FEED_HEAD: &str = "pressdx_change_feed_head";
const SUMMARY_CACHE: &str = "pressdx_summary_cache_total";

/// Latency buckets, in seconds: from a cached read (about a millisecond) to the server's timeout.
const DURATION_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// How often histograms are folded, so that what they hold stays bounded between scrapes.
const UPKEEP_INTERVAL: Duration = Duration::from_secs(5);

/// The process's recorder, installed on first use: metrics are process-wide, and several servers
/// in one process (the tests) share them.
fn recorder() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Full(RPC_DURATION.into()), DURATION_BUCKETS)
            .unwrap_or_else(|_| PrometheusBuilder::new())
            .build_recorder();
        let handle = recorder.handle();
        // Only this function installs a recorder, once; should anything else have installed one
        // first, that one keeps counting and this endpoint serves an empty page.
        let _ = metrics::set_global_recorder(recorder);
        describe();
        handle
    })
}

fn describe() {
    metrics::describe_counter!(RPC_REQUESTS, "gRPC calls, by method and status code");
    metrics::describe_histogram!(
        RPC_DURATION,
        metrics::Unit::Seconds,
        "gRPC call duration, from arrival to status"
    );
    metrics::describe_counter!(
        SUBMISSIONS,
        "Reports handled, by outcome and refusal reason"
    );
    metrics::describe_gauge!(
        FEED_HEAD,
        "The newest change-feed position this process knows of"
    );
    metrics::describe_counter!(
        SUMMARY_CACHE,
        "Figures served from memory (hit) or computed (miss)"
    );
}

/// The metrics endpoint, bound and not yet serving: `GET /metrics` in Prometheus' text format.
pub struct MetricsEndpoint {
    listener: TcpListener,
    handle: PrometheusHandle,
}

impl MetricsEndpoint {
    pub async fn bind(address: SocketAddr) -> std::io::Result<MetricsEndpoint> {
        let handle = recorder().clone();
        Ok(MetricsEndpoint {
            listener: TcpListener::bind(address).await?,
            handle,
        })
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves until `shutdown` completes.
    pub async fn serve(self, shutdown: impl Future<Output = ()> + Send + 'static) {
        let upkeep = {
            let handle = self.handle.clone();
            tokio::spawn(async move {
                let mut every = tokio::time::interval(UPKEEP_INTERVAL);
                loop {
                    every.tick().await;
                    handle.run_upkeep();
                }
            })
        };
        let handle = self.handle;
        let routes = axum::Router::new().route(
            "/metrics",
            axum::routing::get(move || std::future::ready(handle.render())),
        );
        if let Err(error) = axum::serve(self.listener, routes)
            .with_graceful_shutdown(shutdown)
            .await
        {
            tracing::error!(%error, "the metrics endpoint failed");
        }
        upkeep.abort();
    }
}

/// Counts a report SubmitReport or ImportReports answered.
pub fn count_submission(answer: &Result<SubmissionReceipt, tonic::Status>) {
    let (outcome, reason) = match answer {
        Ok(receipt) if receipt.validated_only => ("validated", String::new()),
        Ok(receipt) if receipt.replayed => ("replayed", String::new()),
        Ok(_) => ("accepted", String::new()),
        Err(status) => {
            use tonic_types::StatusExt;
            let reason = status
                .get_error_details()
                .error_info()
                .map(|info| info.reason.clone())
                .unwrap_or_default();
            ("refused", reason)
        }
    };
    metrics::counter!(SUBMISSIONS, "outcome" => outcome, "reason" => reason).increment(1);
}

/// Records the newest change-feed position this process knows of.
pub fn set_feed_head(position: i64) {
    // A gauge is a float: positions are exact up to 2^53.
    #[allow(clippy::cast_precision_loss)]
    metrics::gauge!(FEED_HEAD).set(position as f64);
}

/// Counts figures served from memory or computed.
pub fn count_summary_cache(hit: bool) {
    let result = if hit { "hit" } else { "miss" };
    metrics::counter!(SUMMARY_CACHE, "result" => result).increment(1);
}

/// The path (`/package.Service/Method`) of every method served, read from the descriptors that
/// reflection serves too.
fn served_methods() -> &'static HashSet<String> {
    static METHODS: OnceLock<HashSet<String>> = OnceLock::new();
    METHODS.get_or_init(|| {
        let descriptor_sets = [
            crate::proto::FILE_DESCRIPTOR_SET,
            tonic_health::pb::FILE_DESCRIPTOR_SET,
            tonic_reflection::pb::v1::FILE_DESCRIPTOR_SET,
            tonic_reflection::pb::v1alpha::FILE_DESCRIPTOR_SET,
        ];
        let mut methods = HashSet::new();
        for descriptor_set in descriptor_sets {
            let Ok(pool) = prost_reflect::DescriptorPool::decode(descriptor_set) else {
                continue;
            };
            for service in pool.services() {
                for method in service.methods() {
                    methods.insert(format!("/{}/{}", service.full_name(), method.name()));
                }
            }
        }
        methods
    })
}

/// Measures every gRPC call: its count by status code, and its duration.
#[derive(Debug, Clone, Copy, Default)]
pub struct RpcMetricsLayer;

impl<S> Layer<S> for RpcMetricsLayer {
    type Service = RpcMetrics<S>;

    fn layer(&self, inner: S) -> RpcMetrics<S> {
        RpcMetrics { inner }
    }
}

#[derive(Debug, Clone)]
pub struct RpcMetrics<S> {
    inner: S,
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

impl<S> Service<http::Request<Body>> for RpcMetrics<S>
where
    S: Service<http::Request<Body>, Response = http::Response<Body>> + Send,
    S::Future: Send + 'static,
{
    type Response = http::Response<Body>;
    type Error = S::Error;
    type Future = BoxFuture<Result<Self::Response, S::Error>>;

    fn poll_ready(&mut self, context: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(context)
    }

    fn call(&mut self, request: http::Request<Body>) -> Self::Future {
        let started = Instant::now();
        let path = request.uri().path();
        let method = if served_methods().contains(path) {
            path.trim_start_matches('/').to_string()
        } else {
            "unknown".to_string()
        };
        let response = self.inner.call(request);
        Box::pin(async move {
            let response = response.await?;
            // An error answered at once carries its status in the headers ("trailers-only");
            // otherwise the status comes in the trailers, at the end of the body.
            let mut call = Call {
                method,
                started,
                recorded: false,
            };
            if let Some(code) = response.headers().get("grpc-status") {
                call.record(code.as_bytes());
                return Ok(response);
            }
            Ok(response.map(|body| Body::new(ObservedBody { inner: body, call })))
        })
    }
}

/// One call being measured: recorded once, when its status is known, or as cancelled if the
/// response is dropped before.
struct Call {
    method: String,
    started: Instant,
    recorded: bool,
}

impl Call {
    fn record(&mut self, code: &[u8]) {
        if self.recorded {
            return;
        }
        self.recorded = true;
        let code = std::str::from_utf8(code)
            .ok()
            .and_then(|code| code.trim().parse::<i32>().ok())
            .map_or(tonic::Code::Unknown, tonic::Code::from);
        metrics::counter!(RPC_REQUESTS, "method" => self.method.clone(), "code" => format!("{code:?}"))
            .increment(1);
        metrics::histogram!(RPC_DURATION, "method" => self.method.clone())
            .record(self.started.elapsed().as_secs_f64());
    }
}

impl Drop for Call {
    fn drop(&mut self) {
        let cancelled = (tonic::Code::Cancelled as i32).to_string();
        self.record(cancelled.as_bytes());
    }
}

/// A response body that records its call's status when the trailers pass.
struct ObservedBody {
    inner: Body,
    call: Call,
}

impl HttpBody for ObservedBody {
    type Data = <Body as HttpBody>::Data;
    type Error = <Body as HttpBody>::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        context: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let this = &mut *self;
        let frame = Pin::new(&mut this.inner).poll_frame(context);
        match &frame {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(code) = frame
                    .trailers_ref()
                    .and_then(|trailers| trailers.get("grpc-status"))
                {
                    this.call.record(code.as_bytes());
                }
            }
            Poll::Ready(Some(Err(_))) => {
                let internal = (tonic::Code::Internal as i32).to_string();
                this.call.record(internal.as_bytes());
            }
            // A gRPC body ends with its trailers: one that ends without them says nothing.
            Poll::Ready(None) => {
                let unknown = (tonic::Code::Unknown as i32).to_string();
                this.call.record(unknown.as_bytes());
            }
            Poll::Pending => {}
        }
        frame
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::served_methods;

    #[test]
    fn the_served_methods_are_known_by_path_and_nothing_else() {
        let methods = served_methods();
        for path in [
            "/pressdx.v1.SubmissionService/SubmitReport",
            "/pressdx.v1.CatalogService/ListPlans",
            "/pressdx.v1.SummaryService/WatchSummaries",
            "/grpc.health.v1.Health/Check",
            "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
        ] {
            assert!(methods.contains(path), "{path}");
        }
        for path in [
            "/pressdx.v1.CatalogService/DropEverything",
            "pressdx.v1.SubmissionService/SubmitReport",
            "/",
        ] {
            assert!(!methods.contains(path), "{path}");
        }
    }
}
