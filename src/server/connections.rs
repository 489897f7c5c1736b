//! The connections the server accepts, within limits that keep clients without a credential from
//! taking the places of clients with one. At most `max_connections` are open at once. A connection
//! is *waiting* until a request on it passes authentication, and *authenticated* from then on: at
//! most `max_waiting` connections wait at once, each for at most `authentication_timeout` from its
//! accept (whatever it sends meanwhile: an HTTP/2 preface and settings, an open health check,
//! HTTP/1.1 headers a byte at a time). When a new connection finds no place, a waiting one is
//! closed to make room: the one that has waited longest among those of the address with the most
//! waiting connections. Authenticated connections are never closed to make room.
//!
//! Why this shape: a real client authenticates within milliseconds of connecting, and sockets
//! opened without a credential, however many and however fast, only ever push out the longest
//! waiting of their own address's, never another address's client on its way to authenticating
//! nor an authenticated client. Authenticated clients can take every place. When a limit bites,
//! the log says so (at most once every few seconds, with how many times).

use std::collections::hash_map::Entry;
use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::time::Sleep;
use tokio_stream::wrappers::ReceiverStream;
use tonic::transport::server::Connected;
use tracing::{debug, warn};

use crate::api::access::{AuthenticationListener, PeerConnection};

/// How long the accept loop pauses after the system refused to accept (out of file descriptors,
/// say), rather than spinning.
const ACCEPT_ERROR_PAUSE: Duration = Duration::from_millis(100);

/// How often, at most, a limit that bites is logged.
const LOG_EVERY: Duration = Duration::from_secs(10);

#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    pub max_connections: usize,
    /// The most connections that may wait for their first authenticated request at once (at most
    /// `max_connections`).
    pub max_waiting: usize,
    pub authentication_timeout: Duration,
}

/// Accepts connections on `listener` within `limits`, as the stream of connections tonic serves.
/// The accept loop ends when the server stops reading the stream.
pub fn accept_within(
    listener: TcpListener,
    limits: ConnectionLimits,
) -> ReceiverStream<io::Result<LimitedConnection>> {
    let (accepted, incoming) = mpsc::channel(16);
    tokio::spawn(async move {
        let places = Arc::new(Places::new(limits));
        let turned_away = ThrottledCount::new(
            "connection refused: every place of --max-connections is held by an authenticated client",
        );
        let pushed_out = ThrottledCount::new(
            "closed the connection that had waited longest without authenticating, to make room",
        );
        loop {
            let (stream, peer) = tokio::select! {
                () = accepted.closed() => return,
                result = listener.accept() => match result {
                    Ok(connection) => connection,
                    Err(error) => {
                        warn!(%error, "cannot accept a connection");
                        tokio::time::sleep(ACCEPT_ERROR_PAUSE).await;
                        continue;
                    }
                },
            };
            let place = match places.take(peer.ip()) {
                Taken::Free(place) => place,
                Taken::PushedOut(place) => {
                    pushed_out.add(peer, limits.max_waiting);
                    place
                }
                Taken::Full => {
                    turned_away.add(peer, limits.max_connections);
                    continue;
                }
            };
            // Without TCP_NODELAY a response written in several segments waits for the client's
            // delayed ACK: 40 ms added to every summary, measured by `pressdx bench`.
            let _ = stream.set_nodelay(true);
            let connection = LimitedConnection {
                stream,
                place: Some(place),
                authentication_deadline: Some(Box::pin(tokio::time::sleep(
                    limits.authentication_timeout,
                ))),
                peer,
            };
            if accepted.send(Ok(connection)).await.is_err() {
                return;
            }
        }
    });
    ReceiverStream::new(incoming)
}

/// Where a connection stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Standing {
    Waiting,
    Authenticated,
    /// Closed to make room for a newer connection: its next read fails.
    PushedOut,
}

/// The places of open connections: how many are authenticated, and the waiting ones, oldest first.
struct Places {
    limits: ConnectionLimits,
    state: Mutex<PlacesState>,
}

struct PlacesState {
    authenticated: usize,
    /// Oldest first.
    waiting: VecDeque<Arc<Place>>,
    /// How many of `waiting` each address holds.
    waiting_per_address: HashMap<IpAddr, usize>,
    next_id: u64,
}

impl PlacesState {
    /// Takes a waiting place out of the queue, wherever it is.
    fn remove_waiting(&mut self, index: usize) -> Option<Arc<Place>> {
        let place = self.waiting.remove(index)?;
        if let Entry::Occupied(mut count) = self.waiting_per_address.entry(place.address) {
            *count.get_mut() -= 1;
            if *count.get() == 0 {
                count.remove();
            }
        }
        Some(place)
    }

    /// The place to close for a newcomer: the longest waiting of the address that holds the most
    /// waiting places (the lowest address among equals, so that the choice does not depend on a
    /// map's order).
    fn to_push_out(&self) -> Option<usize> {
        let (busiest, _) = self
            .waiting_per_address
            .iter()
            .max_by(|(a, count_a), (b, count_b)| count_a.cmp(count_b).then(b.cmp(a)))?;
        self.waiting
            .iter()
            .position(|place| place.address == *busiest)
    }
}

/// One connection's place.
struct Place {
    id: u64,
    address: IpAddr,
    places: Arc<Places>,
    /// Changed only under the places' lock; read without it on every request.
    authenticated: AtomicBool,
    standing: Mutex<(Standing, Option<Waker>)>,
}

/// What a new connection found.
enum Taken {
    Free(Arc<Place>),
    /// A place, freed by closing the connection that had waited longest.
    PushedOut(Arc<Place>),
    /// No place: every one is held by an authenticated connection.
    Full,
}

impl Places {
    fn new(limits: ConnectionLimits) -> Self {
        Places {
            limits: ConnectionLimits {
                max_waiting: limits.max_waiting.clamp(1, limits.max_connections.max(1)),
                ..limits
            },
            state: Mutex::new(PlacesState {
                authenticated: 0,
                waiting: VecDeque::new(),
                waiting_per_address: HashMap::new(),
                next_id: 0,
            }),
        }
    }

    fn state(&self) -> MutexGuard<'_, PlacesState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A place for a new connection from `address`, waiting.
    fn take(self: &Arc<Self>, address: IpAddr) -> Taken {
        let mut state = self.state();
        let open = state.authenticated + state.waiting.len();
        let pushed_out = if state.waiting.len() >= self.limits.max_waiting
            || open >= self.limits.max_connections
        {
            let Some(pushed_out) = state
                .to_push_out()
                .and_then(|index| state.remove_waiting(index))
            else {
                return Taken::Full;
            };
            pushed_out.set_standing(Standing::PushedOut);
            true
        } else {
            false
        };
        *state.waiting_per_address.entry(address).or_default() += 1;
        let place = Arc::new(Place {
            id: state.next_id,
            address,
            places: self.clone(),
            authenticated: AtomicBool::new(false),
            standing: Mutex::new((Standing::Waiting, None)),
        });
        state.next_id += 1;
        state.waiting.push_back(place.clone());
        if pushed_out {
            Taken::PushedOut(place)
        } else {
            Taken::Free(place)
        }
    }
}

impl Place {
    fn standing(&self) -> MutexGuard<'_, (Standing, Option<Waker>)> {
        self.standing.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Sets the standing and wakes the connection's reader, so that it acts on it at once.
    fn set_standing(&self, standing: Standing) {
        let waker = {
            let mut current = self.standing();
            current.0 = standing;
            current.1.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// Marks the connection authenticated: it no longer waits, and keeps its place until it
    /// closes. Called for every authenticated request; only the first takes the lock.
    fn authenticated(&self) {
        if self.authenticated.load(Ordering::Acquire) {
            return;
        }
        let mut state = self.places.state();
        let Some(index) = state.waiting.iter().position(|place| place.id == self.id) else {
            // Pushed out already, or authenticated by a request on another stream a moment ago.
            return;
        };
        state.remove_waiting(index);
        state.authenticated += 1;
        self.authenticated.store(true, Ordering::Release);
        drop(state);
        self.set_standing(Standing::Authenticated);
    }

    /// Gives the place back when the connection closes.
    fn release(&self) {
        let mut state = self.places.state();
        if self.authenticated.load(Ordering::Acquire) {
            state.authenticated -= 1;
        } else if let Some(index) = state.waiting.iter().position(|place| place.id == self.id) {
            state.remove_waiting(index);
        }
    }
}

/// An accepted connection, holding its place among the open ones until it closes.
pub struct LimitedConnection {
    stream: TcpStream,
    /// `None` only once dropped.
    place: Option<Arc<Place>>,
    /// Until the connection is authenticated: when it passes first, the connection is closed.
    authentication_deadline: Option<Pin<Box<Sleep>>>,
    peer: SocketAddr,
}

impl Drop for LimitedConnection {
    fn drop(&mut self) {
        if let Some(place) = self.place.take() {
            place.release();
        }
    }
}

impl Connected for LimitedConnection {
    type ConnectInfo = PeerConnection;

    fn connect_info(&self) -> PeerConnection {
        PeerConnection {
            remote_addr: self.stream.peer_addr().ok(),
            authentication: self
                .place
                .clone()
                .map(|place| place as Arc<dyn AuthenticationListener>),
        }
    }
}

impl AuthenticationListener for Place {
    fn authenticated(&self) {
        Place::authenticated(self);
    }
}

impl AsyncRead for LimitedConnection {
    fn poll_read(
        mut self: Pin<&mut Self>,
        context: &mut Context<'_>,
        buffer: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if self.authentication_deadline.is_some()
            && let Some(place) = &self.place
        {
            let mut standing = place.standing();
            match standing.0 {
                Standing::Authenticated => {
                    drop(standing);
                    self.authentication_deadline = None;
                }
                Standing::PushedOut => {
                    debug!(peer = %self.peer, "closing a connection pushed out by a newer one");
                    return Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::ConnectionAborted,
                        "closed to make room: the connection had not authenticated",
                    )));
                }
                Standing::Waiting => {
                    standing.1 = Some(context.waker().clone());
                    drop(standing);
                    if let Some(deadline) = self.authentication_deadline.as_mut()
                        && deadline.as_mut().poll(context).is_ready()
                    {
                        debug!(peer = %self.peer, "closing a connection that did not authenticate in time");
                        return Poll::Ready(Err(io::Error::new(
                            io::ErrorKind::TimedOut,
                            "no authenticated request within the authentication timeout",
                        )));
                    }
                }
            }
        }
        Pin::new(&mut self.stream).poll_read(context, buffer)
    }
}

impl AsyncWrite for LimitedConnection {
    fn poll_write(
        mut self: Pin<&mut Self>,
        context: &mut Context<'_>,
        bytes: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(context, bytes)
    }

    fn poll_flush(mut self: Pin<&mut Self>, context: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(context)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, context: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(context)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        context: &mut Context<'_>,
        buffers: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(context, buffers)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }
}

/// Counts the times a limit bit, and logs them at most every [`LOG_EVERY`].
pub struct ThrottledCount {
    what: &'static str,
    since_logged: AtomicU64,
    logged_at: Mutex<Option<Instant>>,
}

impl ThrottledCount {
    pub fn new(what: &'static str) -> Self {
        ThrottledCount {
            what,
            since_logged: AtomicU64::new(0),
            logged_at: Mutex::new(None),
        }
    }

    /// One more time the limit bit, for `peer`; logs if it is time to.
    pub fn add(&self, peer: SocketAddr, limit: usize) {
        let count = self.since_logged.fetch_add(1, Ordering::Relaxed) + 1;
        let mut logged_at = self
            .logged_at
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if logged_at.is_some_and(|at| at.elapsed() < LOG_EVERY) {
            return;
        }
        *logged_at = Some(Instant::now());
        self.since_logged.store(0, Ordering::Relaxed);
        warn!(%peer, limit, times = count, "{}", self.what);
    }
}
