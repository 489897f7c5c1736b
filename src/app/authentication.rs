//! Authentication: who is calling (a bearer token, or a TLS client certificate), whether their
//! role may call the method at all, and whether they are within their request rate. Deny by
//! default: a method no rule names is refused to everyone. What a principal may then touch (an
//! agency, a scope, a record) is decided by `app::access`, from the [`Caller`] made here.
//!
//! The credentials are read from the database whenever its credential revision moves, checked on
//! the same single-row counters query that keeps the read model fresh, so a token revoked on any
//! server sharing the database is refused from the next request on.

use std::collections::HashMap;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use chrono::{SecondsFormat, Utc};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter as GovernorLimiter};
use tokio::sync::RwLock;
use tracing::info;

use super::error::AppError;
use super::read_model::ReadModel;
use crate::domain::access::{Principal, Role};
use crate::store::{Counters, Credential, CredentialKind, Store, StoreError, secret_sha256};

/// The secret a request presents, hashed as the credentials are kept.
#[derive(Clone)]
pub struct Presented {
    kind: CredentialKind,
    secret: String,
}

impl Presented {
    /// A bearer token, as sent in `authorization: Bearer <token>`.
    pub fn bearer_token(token: &str) -> Presented {
        Presented {
            kind: CredentialKind::Token,
            secret: secret_sha256(token.as_bytes()),
        }
    }

    /// A TLS client certificate, DER-encoded.
    pub fn certificate(der: &[u8]) -> Presented {
        Presented {
            kind: CredentialKind::Certificate,
            secret: secret_sha256(der),
        }
    }
}

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

/// Who is calling, as authentication established it: made only by [`Authenticator::admit`], so a
/// value of it is proof that the credential was checked. Every capability of `app::access` is
/// made from one.
#[derive(Debug, Clone)]
pub struct Caller {
    principal: Principal,
    /// The database's counters as the server knew them when the request arrived (see
    /// `app::read_model`): the service reads as of them rather than asking again.
    counters: Counters,
}

impl Caller {
    /// A caller as if authenticated, for the unit tests of the rules.
    #[cfg(test)]
    pub(in crate::app) fn for_tests(principal: Principal) -> Caller {
        Caller {
            principal,
            counters: Counters::default(),
        }
    }

    /// The principal the credential names.
    pub fn principal(&self) -> &Principal {
        &self.principal
    }

    /// The database's counters when the request was admitted.
    pub fn counters(&self) -> Counters {
        self.counters
    }

    /// The counters a read asking for `min_data_as_of` uses: the caller's when they reach that
    /// change-feed position, else the database's, read now (the position may be another
    /// server's commit this one has not heard of yet). A position past the database's head is
    /// OUT_OF_RANGE (DATA_AS_OF_AHEAD): no receipt ever named it.
    pub(in crate::app) async fn counters_reaching(
        &self,
        read_model: &ReadModel,
        min_data_as_of: i64,
    ) -> Result<Counters, AppError> {
        if min_data_as_of < 0 {
            return Err(AppError::invalid_argument(
                "min_data_as_of",
                "a change-feed position is 0 or more",
            ));
        }
        let counters = read_model
            .counters_reaching(self.counters, min_data_as_of)
            .await?;
        if counters.feed_position < min_data_as_of {
            return Err(AppError::OutOfRange {
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

/// Settings of authentication.
#[derive(Debug, Clone, Copy)]
pub struct AuthenticationSettings {
    /// Requests per second each credential may make on average; 0 for no limit.
    pub rate_per_second: u32,
    /// Failed authentications a client address may make a minute; 0 for no limit.
    pub failed_authentications_per_minute: u32,
}

/// Who is calling, and whether they may: the credentials, as of the latest credential revision,
/// and the rate limits. Shared across requests, connections and faces.
pub struct Authenticator {
    store: Store,
    read_model: Arc<ReadModel>,
    credentials: RwLock<Option<Arc<CredentialTable>>>,
    limiter: RateLimiter,
    failures: FailedAuthentications,
}

/// The credentials as of one credential revision, by the SHA-256 of their secret.
struct CredentialTable {
    revision: i64,
    by_secret: HashMap<String, Credential>,
}

impl Authenticator {
    pub fn new(store: Store, read_model: Arc<ReadModel>, settings: AuthenticationSettings) -> Self {
        Authenticator {
            store,
            read_model,
            credentials: RwLock::new(None),
            limiter: RateLimiter::new(settings.rate_per_second),
            failures: FailedAuthentications::new(settings.failed_authentications_per_minute),
        }
    }

    /// Checks a request from `peer` for `method` against `access`, the rule of that method
    /// (`None` when no rule names it: refused to everyone); the caller if it may go on. A failed
    /// authentication counts against `peer`.
    pub async fn admit(
        &self,
        method: &str,
        presented: Option<Presented>,
        access: Option<Access>,
        peer: Option<IpAddr>,
    ) -> Result<Caller, AppError> {
        let admitted = self.admit_unrecorded(method, presented, access, peer).await;
        if let (Err(AppError::Unauthenticated { .. }), Some(peer)) = (&admitted, peer) {
            self.failures.record(peer);
        }
        admitted
    }

    async fn admit_unrecorded(
        &self,
        method: &str,
        presented: Option<Presented>,
        access: Option<Access>,
        peer: Option<IpAddr>,
    ) -> Result<Caller, AppError> {
        let mut counters = self.read_model.counters().await?;
        let mut table = self.credentials_at(counters.credential_revision).await?;
        // A credential another process created a moment ago may not have been heard of yet:
        // the database is asked before it is refused, unless its address has failed too often
        // (a flood of made-up tokens then costs a map look-up each). A credential this server
        // knows is never refused for its address: a proxy in front of many clients must not
        // lock them all out for one client's mistakes.
        if let Some(Presented { secret, .. }) = &presented
            && !table.by_secret.contains_key(secret)
        {
            if let Some(wait) = peer.and_then(|peer| self.failures.refusing(peer)) {
                return Err(AppError::RateLimited {
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
                return Err(AppError::Unauthenticated {
                    reason: "CREDENTIAL_MISSING",
                    message: "no credential: send `authorization: Bearer <token>` (see `pressdx token create`), or a client certificate registered with pressdx".into(),
                });
            }
            Some(Presented { kind, secret }) => table
                .by_secret
                .get(secret)
                .filter(|credential| credential.kind == *kind)
                .ok_or_else(|| AppError::Unauthenticated {
                    reason: "CREDENTIAL_UNKNOWN",
                    message: format!("this {} is not one pressdx issued", kind.as_str()),
                })?,
        };
        if let Some(revoked_at) = credential.revoked_at {
            return Err(AppError::Unauthenticated {
                reason: "CREDENTIAL_REVOKED",
                message: format!(
                    "credential {} was revoked at {}",
                    credential.id,
                    revoked_at.to_rfc3339_opts(SecondsFormat::Secs, true)
                ),
            });
        }
        if !credential.is_usable_at(Utc::now()) {
            return Err(AppError::Unauthenticated {
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
            return Err(AppError::PermissionDenied {
                reason: "ROLE_NOT_ALLOWED",
                message: format!("a {} credential may not call {method}", principal.role),
            });
        }
        if let Err(retry_after) = self.limiter.take(principal.credential_id) {
            return Err(AppError::RateLimited {
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
    pub async fn recheck(&self, principal: &Principal) -> Result<(), AppError> {
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
        Err(AppError::Unauthenticated {
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

#[cfg(test)]
mod tests {
    use super::*;

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
