//! The connections the server accepts, within limits: at most `max_connections` open at once (one
//! more is closed as soon as it is accepted), and each must start speaking within
//! `handshake_timeout` of being accepted or is closed. Thousands of sockets opened and left silent
//! can then neither exhaust the server nor lock real clients out; when a limit bites, the log says
//! so (at most once every few seconds, with how many it turned away).

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc};
use tokio::time::Sleep;
use tokio_stream::wrappers::ReceiverStream;
use tonic::transport::server::{Connected, TcpConnectInfo};
use tracing::{debug, warn};

/// How long the accept loop pauses after the system refused to accept (out of file descriptors,
/// say), rather than spinning.
const ACCEPT_ERROR_PAUSE: Duration = Duration::from_millis(100);

/// How often, at most, a limit that bites is logged.
const LOG_EVERY: Duration = Duration::from_secs(10);

#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    pub max_connections: usize,
    pub handshake_timeout: Duration,
}

/// Accepts connections on `listener` within `limits`, as the stream of connections tonic serves.
/// The accept loop ends when the server stops reading the stream.
pub fn accept_within(
    listener: TcpListener,
    limits: ConnectionLimits,
) -> ReceiverStream<io::Result<LimitedConnection>> {
    let (accepted, incoming) = mpsc::channel(16);
    tokio::spawn(async move {
        let open = Arc::new(Semaphore::new(limits.max_connections));
        let turned_away =
            ThrottledCount::new("connection refused: the server has --max-connections open");
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
            let Ok(permit) = open.clone().try_acquire_owned() else {
                turned_away.add(peer, limits.max_connections);
                continue;
            };
            // Without TCP_NODELAY a response written in several segments waits for the client's
            // delayed ACK: 40 ms added to every summary, measured by `pressdx bench`.
            let _ = stream.set_nodelay(true);
            let connection = LimitedConnection {
                stream,
                _permit: permit,
                handshake_deadline: Some(Box::pin(tokio::time::sleep(limits.handshake_timeout))),
                peer,
            };
            if accepted.send(Ok(connection)).await.is_err() {
                return;
            }
        }
    });
    ReceiverStream::new(incoming)
}

/// An accepted connection, holding its place among the open ones until it closes.
pub struct LimitedConnection {
    stream: TcpStream,
    _permit: OwnedSemaphorePermit,
    /// Until the client's first bytes arrive: when it passes, the connection is closed.
    handshake_deadline: Option<Pin<Box<Sleep>>>,
    peer: SocketAddr,
}

impl Connected for LimitedConnection {
    type ConnectInfo = TcpConnectInfo;

    fn connect_info(&self) -> TcpConnectInfo {
        self.stream.connect_info()
    }
}

impl AsyncRead for LimitedConnection {
    fn poll_read(
        mut self: Pin<&mut Self>,
        context: &mut Context<'_>,
        buffer: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let filled_before = buffer.filled().len();
        let read = Pin::new(&mut self.stream).poll_read(context, buffer);
        match &read {
            Poll::Ready(Ok(())) if buffer.filled().len() > filled_before => {
                self.handshake_deadline = None;
            }
            Poll::Pending => {
                if let Some(deadline) = self.handshake_deadline.as_mut()
                    && deadline.as_mut().poll(context).is_ready()
                {
                    debug!(peer = %self.peer, "closing a connection that never spoke");
                    return Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        "the client sent nothing within the handshake timeout",
                    )));
                }
            }
            Poll::Ready(_) => {}
        }
        read
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
    logged_at: std::sync::Mutex<Option<Instant>>,
}

impl ThrottledCount {
    pub fn new(what: &'static str) -> Self {
        ThrottledCount {
            what,
            since_logged: AtomicU64::new(0),
            logged_at: std::sync::Mutex::new(None),
        }
    }

    /// One more time the limit bit, for `peer`; logs if it is time to.
    pub fn add(&self, peer: SocketAddr, limit: usize) {
        let count = self.since_logged.fetch_add(1, Ordering::Relaxed) + 1;
        let mut logged_at = self
            .logged_at
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if logged_at.is_some_and(|at| at.elapsed() < LOG_EVERY) {
            return;
        }
        *logged_at = Some(Instant::now());
        self.since_logged.store(0, Ordering::Relaxed);
        warn!(%peer, limit, times = count, "{}", self.what);
    }
}
