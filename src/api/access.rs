//! The gRPC face of access control, in front of every RPC: which roles each method is open to
//! ([`RULES`]), the credential a request presents (a bearer token, or a TLS client certificate),
//! and the tower layer that has `app::Authenticator` admit it, puts the [`Caller`] in the
//! request's extensions, and holds the server's own request deadline. Deny by default: a method
//! missing from [`RULES`] is refused to everyone.
//!
//! What a caller may then touch (an agency, a scope, a record) is decided by the application
//! (`app::access`), which knows the request's content.

use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use http::header::AUTHORIZATION;
use tonic::Status;
use tonic::body::Body;
use tonic::transport::server::TlsConnectInfo;
use tonic_types::{ErrorDetails, StatusExt};
use tower::{Layer, Service};
use tracing::info;

use super::error::ERROR_DOMAIN;
use crate::app::{Access, App, AppError, Caller, Presented};
use crate::domain::access::Role;
use crate::domain::naming::echo;

/// The roles that read reports and figures, each within its reach.
const READERS: &[Role] = &[
    Role::Agency,
    Role::Province,
    Role::GoverningBody,
    Role::Ministry,
];

/// Every method served, by `service/method` or `service/*`, and who may call it. The proto
/// comments of each RPC say the same.
pub const RULES: &[(&str, Access)] = &[
    ("grpc.health.v1.Health/*", Access::Open),
    ("grpc.reflection.v1.ServerReflection/*", Access::AnyRole),
    (
        "grpc.reflection.v1alpha.ServerReflection/*",
        Access::AnyRole,
    ),
    ("pressdx.v1.CatalogService/*", Access::AnyRole),
    // Each for its own agency; a province for its agencies; the Ministry imports anyone's.
    (
        "pressdx.v1.SubmissionService/SubmitReport",
        Access::Roles(&[Role::Agency, Role::Province]),
    ),
    (
        "pressdx.v1.SubmissionService/ImportReports",
        Access::Roles(&[Role::Agency, Role::Province, Role::Ministry]),
    ),
    (
        "pressdx.v1.SubmissionService/GetSubmission",
        Access::Roles(READERS),
    ),
    (
        "pressdx.v1.SubmissionService/ListSubmissions",
        Access::Roles(READERS),
    ),
    (
        "pressdx.v1.SummaryService/GetTargetSummary",
        Access::Roles(READERS),
    ),
    (
        "pressdx.v1.SummaryService/ListTargetSummaries",
        Access::Roles(READERS),
    ),
    (
        "pressdx.v1.SummaryService/ListTargetAgencies",
        Access::Roles(READERS),
    ),
    (
        "pressdx.v1.SummaryService/GetReportingStatus",
        Access::Roles(READERS),
    ),
    (
        "pressdx.v1.SummaryService/WatchSummaries",
        Access::Roles(READERS),
    ),
    (
        "pressdx.v1.SummaryService/ListChanges",
        Access::Roles(&[Role::Ministry]),
    ),
    (
        "pressdx.v1.ReviewService/ReopenPeriod",
        Access::Roles(&[Role::Province]),
    ),
    (
        "pressdx.v1.ReviewService/ReviewSubmission",
        Access::Roles(&[Role::Province]),
    ),
    // An agency assesses itself; its province may enter the form for it.
    (
        "pressdx.v1.MaturityService/SubmitSelfAssessment",
        Access::Roles(&[Role::Agency, Role::Province]),
    ),
    (
        "pressdx.v1.MaturityService/GetSelfAssessment",
        Access::Roles(READERS),
    ),
    // The council's appraisal: the province for its agencies, the Ministry for all.
    (
        "pressdx.v1.MaturityService/AppraiseSelfAssessment",
        Access::Roles(&[Role::Province, Role::Ministry]),
    ),
    // Results of a scope, to a reader that reaches every agency of it.
    (
        "pressdx.v1.MaturityService/GetMaturityResults",
        Access::Roles(READERS),
    ),
    (
        "pressdx.v1.MaturityService/CompareMaturityResults",
        Access::Roles(READERS),
    ),
    // An agency writes its own plan; its province may enter it. Only its governing body decides.
    (
        "pressdx.v1.AgencyPlanService/SubmitAgencyPlan",
        Access::Roles(&[Role::Agency, Role::Province]),
    ),
    (
        "pressdx.v1.AgencyPlanService/DecideAgencyPlan",
        Access::Roles(&[Role::GoverningBody]),
    ),
    (
        "pressdx.v1.AgencyPlanService/GetAgencyPlan",
        Access::Roles(READERS),
    ),
    // Per governing body: the body itself, a province reaching its agencies, the Ministry.
    (
        "pressdx.v1.AgencyPlanService/ListAgencyPlans",
        Access::Roles(&[Role::Province, Role::GoverningBody, Role::Ministry]),
    ),
    (
        "pressdx.v1.AgencyPlanService/GetAgencyPlanProgress",
        Access::Roles(READERS),
    ),
    // A plan's tasks are catalogue data. The lead reports on its own lines (checked per task);
    // reports are read by their reporter, its province and the Ministry; a province follows its
    // own province, the Ministry any.
    ("pressdx.v1.TaskService/ListPlanTasks", Access::AnyRole),
    ("pressdx.v1.TaskService/GetPlanTask", Access::AnyRole),
    (
        "pressdx.v1.TaskService/ReportTaskProgress",
        Access::Roles(&[Role::Agency, Role::Province, Role::GoverningBody]),
    ),
    (
        "pressdx.v1.TaskService/GetTaskProgress",
        Access::Roles(READERS),
    ),
    (
        "pressdx.v1.TaskService/GetTaskFollowUp",
        Access::Roles(&[Role::Province, Role::Ministry]),
    ),
    // The province writes and signs its own report; the Ministry reads the submitted ones.
    (
        "pressdx.v1.ProvinceReportService/CreateProvinceReport",
        Access::Roles(&[Role::Province]),
    ),
    (
        "pressdx.v1.ProvinceReportService/UpdateProvinceReportNarrative",
        Access::Roles(&[Role::Province]),
    ),
    (
        "pressdx.v1.ProvinceReportService/SubmitProvinceReport",
        Access::Roles(&[Role::Province]),
    ),
    (
        "pressdx.v1.ProvinceReportService/GetProvinceReport",
        Access::Roles(&[Role::Province, Role::Ministry]),
    ),
    (
        "pressdx.v1.ProvinceReportService/ListProvinceReports",
        Access::Roles(&[Role::Province, Role::Ministry]),
    ),
    (
        "pressdx.v1.ProvinceReportService/GetProvinceReportingStatus",
        Access::Roles(&[Role::Ministry]),
    ),
];

/// The rule for a request path (`/service/method`); `None` for a method no rule names.
pub fn access_rule(path: &str) -> Option<Access> {
    let method = path.strip_prefix('/')?;
    let (service, _) = method.split_once('/')?;
    let wildcard = format!("{service}/*");
    RULES
        .iter()
        .find(|(pattern, _)| *pattern == method || *pattern == wildcard)
        .map(|(_, access)| *access)
}

/// The secret a request presents: its bearer token, else its TLS client certificate. A malformed
/// `authorization` header is refused rather than ignored.
fn presented_secret(request: &http::Request<Body>) -> Result<Option<Presented>, AppError> {
    if let Some(header) = request.headers().get(AUTHORIZATION) {
        let malformed = || AppError::Unauthenticated {
            reason: "CREDENTIAL_MALFORMED",
            message: "the authorization header must be `Bearer <token>`".into(),
        };
        let value = header.to_str().map_err(|_| malformed())?;
        let (scheme, token) = value.trim().split_once(' ').ok_or_else(malformed)?;
        if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
            return Err(malformed());
        }
        return Ok(Some(Presented::bearer_token(token.trim())));
    }
    let certificate = request
        .extensions()
        .get::<TlsConnectInfo<PeerConnection>>()
        .and_then(TlsConnectInfo::peer_certs)
        .and_then(|chain| {
            chain
                .first()
                .map(|leaf| Presented::certificate(leaf.as_ref()))
        });
    Ok(certificate)
}

/// What the listener says of the connection a request came on (tonic hands it to the services in
/// each request's extensions, wrapped in a [`TlsConnectInfo`] over TLS).
#[derive(Clone)]
pub struct PeerConnection {
    pub remote_addr: Option<SocketAddr>,
    /// Told when a request on the connection passed authentication; `None` where the listener
    /// does not care.
    pub authentication: Option<Arc<dyn AuthenticationListener>>,
}

/// A listener that treats connections with a valid credential apart from the others.
pub trait AuthenticationListener: Send + Sync {
    /// A request on the connection passed authentication.
    fn authenticated(&self);
}

/// The connection a request came on, over plaintext or TLS.
fn peer_connection(request: &http::Request<Body>) -> Option<&PeerConnection> {
    let extensions = request.extensions();
    extensions.get::<PeerConnection>().or_else(|| {
        extensions
            .get::<TlsConnectInfo<PeerConnection>>()
            .map(TlsConnectInfo::get_ref)
    })
}

/// The caller of a request that passed the access layer. A request that did not (which only a
/// wiring mistake could produce) is refused.
pub fn caller_of<T>(request: &tonic::Request<T>) -> Result<Caller, Status> {
    request
        .extensions()
        .get::<Caller>()
        .cloned()
        .ok_or_else(|| Status::permission_denied("the request carries no checked credential"))
}

/// The limits the access layer holds every request to.
#[derive(Debug, Clone, Copy)]
pub struct RequestLimits {
    /// The largest request message accepted, in bytes.
    pub max_message_bytes: usize,
    /// How long a request may run before it is answered DEADLINE_EXCEEDED (a caller's own shorter
    /// deadline ends it sooner).
    pub request_timeout: Duration,
}

/// The tower layer that puts authentication in front of every service.
#[derive(Clone)]
pub struct AccessLayer {
    control: Arc<AccessControl>,
}

struct AccessControl {
    app: App,
    limits: RequestLimits,
}

impl AccessLayer {
    pub fn new(app: App, limits: RequestLimits) -> Self {
        AccessLayer {
            control: Arc::new(AccessControl { app, limits }),
        }
    }
}

impl<S> Layer<S> for AccessLayer {
    type Service = AccessService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        AccessService {
            inner,
            control: self.control.clone(),
        }
    }
}

#[derive(Clone)]
pub struct AccessService<S> {
    inner: S,
    control: Arc<AccessControl>,
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

impl<S> Service<http::Request<Body>> for AccessService<S>
where
    S: Service<http::Request<Body>, Response = http::Response<Body>, Error = Infallible>
        + Clone
        + Send
        + 'static,
    S::Future: Send,
{
    type Response = http::Response<Body>;
    type Error = Infallible;
    type Future = BoxFuture<Result<Self::Response, Infallible>>;

    fn poll_ready(&mut self, context: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(context)
    }

    fn call(&mut self, mut request: http::Request<Body>) -> Self::Future {
        // The clone that was polled ready serves this request; the fresh clone waits for the next.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let control = self.control.clone();
        Box::pin(async move {
            let method = request.uri().path().to_string();
            let access = access_rule(&method);
            let Some(access) = access else {
                // No rule, no method: nothing is revealed by saying so before authentication.
                info!(%method, "unknown method");
                let status = Status::with_error_details(
                    tonic::Code::Unimplemented,
                    format!("pressdx serves no method {}", echo(&method)),
                    ErrorDetails::with_error_info("METHOD_UNKNOWN", ERROR_DOMAIN, HashMap::new()),
                );
                return Ok(status.into_http());
            };
            // A database that stopped answering answers nothing else: not even what memory
            // holds, which the server can no longer show is current (the health check still
            // answers, for whoever watches the process).
            let database_down = || {
                Status::from(AppError::DatabaseUnavailable(
                    "the database did not answer the server's last heartbeat".into(),
                ))
                .into_http()
            };
            if access != Access::Open && control.app.database_down() {
                return Ok(database_down());
            }
            if access != Access::Open {
                let connection = peer_connection(&request).cloned();
                let peer = connection
                    .as_ref()
                    .and_then(|connection| connection.remote_addr)
                    .map(|address| address.ip());
                // Read before awaiting: a request body may not be shared across threads.
                let admitted = match presented_secret(&request) {
                    Ok(presented) => {
                        control
                            .app
                            .authenticator()
                            .admit(&method, presented, Some(access), peer)
                            .await
                    }
                    Err(error) => Err(error),
                };
                match admitted {
                    Ok(caller) => {
                        if let Some(listener) = connection.and_then(|c| c.authentication) {
                            listener.authenticated();
                        }
                        request.extensions_mut().insert(caller);
                    }
                    Err(error) => {
                        // Who was refused and why, never the credential itself.
                        info!(%method, %error, "request refused");
                        return Ok(Status::from(error).into_http());
                    }
                }
            }
            // The server's own deadline, answered as one: DEADLINE_EXCEEDED, not the CANCELLED
            // that tonic's timeout gives. (A stream's deadline covers opening it.)
            // A call in flight when the database goes down is answered at once too, rather than
            // after each of its queries waits out its own connection timeout. Whatever it was
            // writing is rolled back or committed whole, and a retry with its request id stores
            // it once.
            let answered = tokio::select! {
                biased;
                answered = tokio::time::timeout(control.limits.request_timeout, inner.call(request)) => answered,
                () = control.app.database_went_down(), if access != Access::Open => {
                    info!(%method, "the database went down during the request");
                    return Ok(database_down());
                }
            };
            match answered {
                Ok(response) => Ok(explain_oversized(
                    response?,
                    control.limits.max_message_bytes,
                )),
                Err(_) => {
                    info!(%method, timeout = ?control.limits.request_timeout, "request timed out");
                    let status = Status::with_error_details(
                        tonic::Code::DeadlineExceeded,
                        format!(
                            "the request took longer than the server's limit of {} s",
                            control.limits.request_timeout.as_secs_f64()
                        ),
                        ErrorDetails::with_error_info(
                            "SERVER_TIMEOUT",
                            ERROR_DOMAIN,
                            HashMap::new(),
                        ),
                    );
                    Ok(status.into_http())
                }
            }
        })
    }
}

/// tonic refuses a message over the size limit with OUT_OF_RANGE and a terse text; callers are
/// owed RESOURCE_EXHAUSTED (https://grpc.io/docs/guides/status-codes/) and the limit.
fn explain_oversized(
    mut response: http::Response<Body>,
    max_message_bytes: usize,
) -> http::Response<Body> {
    let headers = response.headers();
    let out_of_range = (tonic::Code::OutOfRange as i32).to_string();
    let is_oversized = headers
        .get("grpc-status")
        .is_some_and(|status| status.as_bytes() == out_of_range.as_bytes())
        && headers
            .get("grpc-message")
            .and_then(|message| message.to_str().ok())
            .is_some_and(|message| message.contains("message%20length%20too%20large"));
    if !is_oversized {
        return response;
    }
    let status = Status::from(AppError::MessageTooLarge { max_message_bytes });
    let mut replacement = status.into_http::<Body>();
    std::mem::swap(response.headers_mut(), replacement.headers_mut());
    response
}

#[cfg(test)]
mod tests {
    use prost::Message;

    use super::*;

    /// Every method of every service the server offers has a rule: none is open by omission, and
    /// none is closed by omission either.
    #[test]
    fn every_method_served_has_a_rule() {
        let descriptors =
            prost_types::FileDescriptorSet::decode(crate::proto::FILE_DESCRIPTOR_SET).unwrap();
        let mut methods = 0;
        for file in &descriptors.file {
            for service in &file.service {
                for method in &service.method {
                    let path = format!("/{}.{}/{}", file.package(), service.name(), method.name());
                    assert!(access_rule(&path).is_some(), "{path} has no access rule");
                    methods += 1;
                }
            }
        }
        assert_eq!(methods, 40);
        assert_eq!(
            access_rule("/grpc.health.v1.Health/Check"),
            Some(Access::Open)
        );
        assert_eq!(access_rule("/pressdx.v1.SubmissionService/Unknown"), None);
        assert_eq!(access_rule("garbage"), None);
    }
}
