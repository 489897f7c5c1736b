//! Access control in front of every RPC: who is calling (a bearer token, or a TLS client
//! certificate), whether their role may call this method at all, and whether they are within
//! their request rate. Deny by default: a method missing from [`RULES`] is refused to everyone.
//!
//! Whether a principal may touch a particular agency or scope is decided by the services, which
//! know the request's content, through [`Caller`].
//!
//! The credentials are read from the database whenever its credential revision moves, checked on
//! the same single-row counters query that keeps the read model fresh, so a token revoked on any
//! server sharing the database is refused from the next request on.

use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use chrono::{SecondsFormat, Utc};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter as GovernorLimiter};
use http::header::AUTHORIZATION;
use tokio::sync::RwLock;
use tonic::Status;
use tonic::body::Body;
use tonic::transport::server::TlsConnectInfo;
use tonic_types::{ErrorDetails, StatusExt};
use tower::{Layer, Service};
use tracing::info;

use super::error::{ApiError, ERROR_DOMAIN};
use crate::domain::access::{Principal, Role};
use crate::domain::naming::echo;
use crate::store::{
    Counters, Credential, CredentialKind, ReadModel, Store, StoreError, secret_sha256,
};

/// Who may call a method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, with no credential: the health check, for load balancers and orchestrators.
    Open,
    /// Any valid credential.
    AnyRole,
    /// A valid credential of one of these roles.
    Roles(&'static [Role]),
}

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

/// What the access layer learnt about a request, handed to the service in its extensions.
#[derive(Debug, Clone)]
pub struct Caller {
    pub principal: Principal,
    /// The database's counters as the server knew them when the request arrived (see
    /// `store::read_model`): the service reads as of them rather than asking again.
    pub counters: Counters,
}

impl Caller {
    /// The caller of a request that passed the access layer. A request that did not (which only a
    /// wiring mistake could produce) is refused.
    pub fn of<T>(request: &tonic::Request<T>) -> Result<Caller, Status> {
        request
            .extensions()
            .get::<Caller>()
            .cloned()
            .ok_or_else(|| Status::permission_denied("the request carries no checked credential"))
    }

    /// The counters a read asking for `min_data_as_of` uses: the caller's when they reach that
    /// change-feed position, else the database's, read now (the position may be another
    /// server's commit this one has not heard of yet). A position past the database's head is
    /// OUT_OF_RANGE (DATA_AS_OF_AHEAD): no receipt ever named it.
    pub async fn counters_reaching(
        &self,
        read_model: &ReadModel,
        min_data_as_of: i64,
    ) -> Result<Counters, ApiError> {
        if min_data_as_of < 0 {
            return Err(ApiError::invalid_argument(
                "min_data_as_of",
                "a change-feed position is 0 or more",
            ));
        }
        let counters = read_model
            .counters_reaching(self.counters, min_data_as_of)
            .await?;
        if counters.feed_position < min_data_as_of {
            return Err(ApiError::OutOfRange {
                reason: "DATA_AS_OF_AHEAD",
                message: format!(
                    "min_data_as_of {min_data_as_of} is past the change feed's head {}: no \
                     submission has that position yet",
                    counters.feed_position
                ),
            });
        }
        Ok(counters)
    }
}

/// Settings of the access layer.
#[derive(Debug, Clone, Copy)]
pub struct AccessSettings {
    /// Requests per second each credential may make on average; 0 for no limit.
    pub rate_per_second: u32,
    /// The largest request message accepted, in bytes.
    pub max_message_bytes: usize,
    /// How long a request may run before it is answered DEADLINE_EXCEEDED (a caller's own shorter
    /// deadline ends it sooner).
    pub request_timeout: Duration,
    /// Failed authentications a client address may make a minute; 0 for no limit.
    pub failed_authentications_per_minute: u32,
}

/// The state the access layer shares across requests and connections.
pub struct AccessControl {
    store: Store,
    read_model: Arc<ReadModel>,
    credentials: RwLock<Option<Arc<CredentialTable>>>,
    limiter: RateLimiter,
    failures: FailedAuthentications,
    max_message_bytes: usize,
    request_timeout: Duration,
}

/// The credentials as of one credential revision, by the SHA-256 of their secret.
struct CredentialTable {
    revision: i64,
    by_secret: HashMap<String, Credential>,
}

impl AccessControl {
    pub fn new(store: Store, read_model: Arc<ReadModel>, settings: AccessSettings) -> Self {
        AccessControl {
            store,
            read_model,
            credentials: RwLock::new(None),
            limiter: RateLimiter::new(settings.rate_per_second),
            failures: FailedAuthentications::new(settings.failed_authentications_per_minute),
            max_message_bytes: settings.max_message_bytes,
            request_timeout: settings.request_timeout,
        }
    }

    /// Checks a request from `peer` against the rule of its method; the caller if it may go on.
    async fn admit(
        &self,
        method: &str,
        presented: Option<(CredentialKind, String)>,
        access: Option<Access>,
        peer: Option<IpAddr>,
    ) -> Result<Caller, ApiError> {
        let mut counters = self.read_model.counters().await?;
        let mut table = self.credentials_at(counters.credential_revision).await?;
        // A credential another process created a moment ago may not have been heard of yet:
        // the database is asked before it is refused, unless its address has failed too often
        // (a flood of made-up tokens then costs a map look-up each). A credential this server
        // knows is never refused for its address: a proxy in front of many clients must not
        // lock them all out for one client's mistakes.
        if let Some((_, secret)) = &presented
            && !table.by_secret.contains_key(secret)
        {
            if let Some(wait) = peer.and_then(|peer| self.failures.refusing(peer)) {
                return Err(ApiError::RateLimited {
                    reason: "TOO_MANY_FAILED_AUTHENTICATIONS",
                    retry_after: wait.max(MIN_RETRY_AFTER),
                    message: "too many failed authentications from this address".into(),
                });
            }
            counters = self.read_model.fresh_counters().await?;
            table = self.credentials_at(counters.credential_revision).await?;
        }
        let credential = match &presented {
            None => {
                return Err(ApiError::Unauthenticated {
                    reason: "CREDENTIAL_MISSING",
                    message: "no credential: send `authorization: Bearer <token>` (see `pressdx token create`), or a client certificate registered with pressdx".into(),
                });
            }
            Some((kind, secret)) => table
                .by_secret
                .get(secret)
                .filter(|credential| credential.kind == *kind)
                .ok_or_else(|| ApiError::Unauthenticated {
                    reason: "CREDENTIAL_UNKNOWN",
                    message: format!("this {} is not one pressdx issued", kind.as_str()),
                })?,
        };
        if let Some(revoked_at) = credential.revoked_at {
            return Err(ApiError::Unauthenticated {
                reason: "CREDENTIAL_REVOKED",
                message: format!(
                    "credential {} was revoked at {}",
                    credential.id,
                    revoked_at.to_rfc3339_opts(SecondsFormat::Secs, true)
                ),
            });
        }
        if !credential.is_usable_at(Utc::now()) {
            return Err(ApiError::Unauthenticated {
                reason: "CREDENTIAL_EXPIRED",
                message: format!(
                    "credential {} expired at {}",
                    credential.id,
                    credential
                        .expires_at
                        .unwrap_or_default()
                        .to_rfc3339_opts(SecondsFormat::Secs, true)
                ),
            });
        }
        let principal = Principal {
            credential_id: credential.id,
            role: credential.role,
            organization: credential.organization.clone(),
        };
        let allowed = match access {
            Some(Access::Open | Access::AnyRole) => true,
            Some(Access::Roles(roles)) => roles.contains(&principal.role),
            None => false,
        };
        if !allowed {
            return Err(ApiError::PermissionDenied {
                reason: "ROLE_NOT_ALLOWED",
                message: format!("a {} credential may not call {method}", principal.role),
            });
        }
        if let Err(retry_after) = self.limiter.take(principal.credential_id) {
            return Err(ApiError::RateLimited {
                reason: "RATE_LIMITED",
                retry_after,
                message: format!(
                    "credential {} is over its rate of {} requests a second",
                    principal.credential_id, self.limiter.per_second
                ),
            });
        }
        Ok(Caller {
            principal,
            counters,
        })
    }

    /// Waits until `principal` may send one more report of an import stream: each report counts
    /// against its credential's rate, as a SubmitReport would.
    pub async fn wait_for_report(&self, principal: &Principal) {
        self.limiter.wait_for(principal.credential_id).await;
    }

    /// Checks, for a stream that outlives the request that opened it, that the principal's
    /// credential is still neither revoked nor expired.
    pub async fn recheck(&self, principal: &Principal) -> Result<(), ApiError> {
        let counters = self.read_model.counters().await?;
        let table = self.credentials_at(counters.credential_revision).await?;
        let usable = table
            .by_secret
            .values()
            .find(|credential| credential.id == principal.credential_id)
            .is_some_and(|credential| credential.is_usable_at(Utc::now()));
        if usable {
            return Ok(());
        }
        Err(ApiError::Unauthenticated {
            reason: "CREDENTIAL_REVOKED",
            message: format!(
                "credential {} was revoked or has expired since the stream opened",
                principal.credential_id
            ),
        })
    }

    /// The credentials as of `revision`, read again if they are older.
    async fn credentials_at(&self, revision: i64) -> Result<Arc<CredentialTable>, StoreError> {
        if let Some(table) = self.credentials.read().await.as_ref()
            && table.revision >= revision
        {
            return Ok(table.clone());
        }
        let mut cached = self.credentials.write().await;
        if let Some(table) = cached.as_ref()
            && table.revision >= revision
        {
            return Ok(table.clone());
        }
        let table = Arc::new(CredentialTable {
            revision,
            by_secret: self
                .store
                .credentials_by_secret()
                .await?
                .into_iter()
                .collect(),
        });
        *cached = Some(table.clone());
        Ok(table)
    }
}

/// The secret a request presents: its bearer token, else its TLS client certificate. A malformed
/// `authorization` header is refused rather than ignored.
fn presented_secret(
    request: &http::Request<Body>,
) -> Result<Option<(CredentialKind, String)>, ApiError> {
    if let Some(header) = request.headers().get(AUTHORIZATION) {
        let malformed = || ApiError::Unauthenticated {
            reason: "CREDENTIAL_MALFORMED",
            message: "the authorization header must be `Bearer <token>`".into(),
        };
        let value = header.to_str().map_err(|_| malformed())?;
        let (scheme, token) = value.trim().split_once(' ').ok_or_else(malformed)?;
        if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
            return Err(malformed());
        }
        return Ok(Some((
            CredentialKind::Token,
            secret_sha256(token.trim().as_bytes()),
        )));
    }
    let certificate = request
        .extensions()
        .get::<TlsConnectInfo<PeerConnection>>()
        .and_then(TlsConnectInfo::peer_certs)
        .and_then(|chain| chain.first().map(|leaf| secret_sha256(leaf.as_ref())));
    Ok(certificate.map(|fingerprint| (CredentialKind::Certificate, fingerprint)))
}

/// The shortest wait a rate-limited caller is told to keep.
const MIN_RETRY_AFTER: Duration = Duration::from_millis(100);

/// A token bucket per credential: `per_second` on average, bursts of up to two seconds' worth
/// (governor's generic cell rate algorithm). Every request takes one, and so does every report
/// of an import stream.
struct RateLimiter {
    per_second: u32,
    /// `None` when there is no limit.
    limiter: Option<DefaultKeyedRateLimiter<i64>>,
}

impl RateLimiter {
    fn new(per_second: u32) -> Self {
        let limiter = NonZeroU32::new(per_second).map(|rate| {
            let burst = rate.saturating_mul(NonZeroU32::MIN.saturating_add(1));
            GovernorLimiter::keyed(Quota::per_second(rate).allow_burst(burst))
        });
        RateLimiter {
            per_second,
            limiter,
        }
    }

    /// Takes one request from the credential's bucket, or says how long to wait: until a tenth
    /// of the burst is back, so that a client that waits gets a run of requests through, not
    /// only the one it retries with.
    fn take(&self, credential_id: i64) -> Result<(), Duration> {
        let Some(limiter) = &self.limiter else {
            return Ok(());
        };
        limiter.check_key(&credential_id).map_err(|not_until| {
            let first_free = not_until.wait_time_from(DefaultClock::default().now());
            let tenth_of_burst = Duration::from_secs_f64(0.2);
            first_free.max(tenth_of_burst).max(MIN_RETRY_AFTER)
        })
    }

    /// Waits until the credential may send one more report of an import.
    async fn wait_for(&self, credential_id: i64) {
        if let Some(limiter) = &self.limiter {
            limiter.until_key_ready(&credential_id).await;
        }
    }
}

/// Failed authentications per client address: each takes one from the address's bucket (a
/// minute's worth at most); while an address's bucket is empty, a credential from it that this
/// server does not know is refused without asking the database, until the bucket refills. A flood
/// of made-up tokens then costs the server a map look-up each, and cannot be used to guess one;
/// a known credential from the same address is served as ever.
struct FailedAuthentications {
    per_minute: u32,
    /// `None` when there is no limit.
    limiter: Option<DefaultKeyedRateLimiter<IpAddr>>,
    /// Addresses refused until an instant, and how many failures since the last clean-up.
    refused_until: std::sync::Mutex<(HashMap<IpAddr, std::time::Instant>, u32)>,
}

/// Every this many failures, addresses no longer refused are forgotten.
const FAILURES_BETWEEN_CLEAN_UPS: u32 = 1_000;

impl FailedAuthentications {
    fn new(per_minute: u32) -> Self {
        let limiter = NonZeroU32::new(per_minute)
            .map(|burst| GovernorLimiter::keyed(Quota::per_minute(burst).allow_burst(burst)));
        FailedAuthentications {
            per_minute,
            limiter,
            refused_until: std::sync::Mutex::new((HashMap::new(), 0)),
        }
    }

    fn refused(&self) -> std::sync::MutexGuard<'_, (HashMap<IpAddr, std::time::Instant>, u32)> {
        self.refused_until
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// How long `address` is still refused, if it is.
    fn refusing(&self, address: IpAddr) -> Option<Duration> {
        let refused = self.refused();
        let until = refused.0.get(&address)?;
        until.checked_duration_since(std::time::Instant::now())
    }

    /// Counts a failed authentication from `address`.
    fn record(&self, address: IpAddr) {
        let Some(limiter) = &self.limiter else {
            return;
        };
        let mut refused = self.refused();
        refused.1 += 1;
        if refused.1 >= FAILURES_BETWEEN_CLEAN_UPS {
            let now = std::time::Instant::now();
            refused.0.retain(|_, until| *until > now);
            refused.1 = 0;
            limiter.retain_recent();
        }
        if let Err(not_until) = limiter.check_key(&address) {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            refused.0.insert(address, std::time::Instant::now() + wait);
            info!(%address, per_minute = self.per_minute, "too many failed authentications: refusing the address for now");
        }
    }
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

/// The tower layer that puts [`AccessControl`] in front of every service.
#[derive(Clone)]
pub struct AccessLayer {
    control: Arc<AccessControl>,
}

impl AccessLayer {
    pub fn new(control: Arc<AccessControl>) -> Self {
        AccessLayer { control }
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
                Status::from(ApiError::Store(StoreError::Unreachable(
                    "the database did not answer the server's last heartbeat".into(),
                )))
                .into_http()
            };
            if access != Access::Open && control.store.database_down() {
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
                    Ok(presented) => control.admit(&method, presented, Some(access), peer).await,
                    Err(error) => Err(error),
                };
                if let (Err(ApiError::Unauthenticated { .. }), Some(peer)) = (&admitted, peer) {
                    control.failures.record(peer);
                }
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
                answered = tokio::time::timeout(control.request_timeout, inner.call(request)) => answered,
                () = control.store.database_went_down(), if access != Access::Open => {
                    info!(%method, "the database went down during the request");
                    return Ok(database_down());
                }
            };
            match answered {
                Ok(response) => Ok(explain_oversized(response?, control.max_message_bytes)),
                Err(_) => {
                    info!(%method, timeout = ?control.request_timeout, "request timed out");
                    let status = Status::with_error_details(
                        tonic::Code::DeadlineExceeded,
                        format!(
                            "the request took longer than the server's limit of {} s",
                            control.request_timeout.as_secs_f64()
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
    let status = Status::from(ApiError::MessageTooLarge { max_message_bytes });
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

    #[test]
    fn the_rate_limit_allows_a_burst_then_refuses_with_a_wait() {
        let limiter = RateLimiter::new(5);
        for _ in 0..10 {
            assert!(limiter.take(1).is_ok());
        }
        // 5 a second, bursts of 10: a tenth of the burst is back in 200 ms.
        let wait = limiter.take(1).unwrap_err();
        assert!(
            wait >= Duration::from_millis(190) && wait <= Duration::from_millis(200),
            "{wait:?}"
        );
        // Another credential has its own bucket.
        assert!(limiter.take(2).is_ok());
        assert!(RateLimiter::new(0).take(1).is_ok());
    }
}
