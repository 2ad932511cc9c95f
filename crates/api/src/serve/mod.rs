//! The accept loop and the life of each HTTP/1 connection. Served by hand rather than through `axum::serve`,
//! which offers no way to time out slow or idle connections nor to bound how many are held.
//!
//! - At most `max_connections` connections are served at once. Past it the loop stops accepting: new
//!   connections wait in the kernel's listen backlog (and are served as others close) instead of being
//!   accepted only to be dropped, which would cost the same work and tell a client nothing more.
//! - [`liveness`] closes connections that are slow to send their headers or idle too long.
//! - A request whose body was not read to its end is answered with `Connection: close` ([`body`]).
//! - Handlers see the peer address as `ConnectInfo<SocketAddr>`, as with axum's connect-info service.
//! - When `shutdown` resolves: stop accepting, let every connection finish the request it is handling and
//!   close, and resolve once all have closed. The caller bounds that wait; dropping the future then closes
//!   whatever is left.

mod body;
mod liveness;

use axum::Router;
use axum::extract::ConnectInfo;
use axum::http::{HeaderValue, Request, Response, header};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use liveness::{Activity, Expiry, Timeouts, Watched};
use platform::Config;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tokio::task::JoinSet;
use tokio::time::Instant;
use tower::ServiceExt;

/// How long the loop waits after a failed accept (out of file descriptors, most often) before trying again.
const ACCEPT_RETRY: Duration = Duration::from_millis(100);

#[derive(Debug, Clone, Copy)]
pub struct ServeLimits {
    timeouts: Timeouts,
    max_connections: usize,
}

impl ServeLimits {
    pub fn from_config(config: &Config) -> ServeLimits {
        ServeLimits {
            timeouts: Timeouts {
                header_read: Duration::from_secs(config.server.header_read_timeout_secs),
                idle: Duration::from_secs(config.server.idle_timeout_secs),
            },
            max_connections: config.server.max_connections,
        }
    }
}

/// Serves `router` on `listener` until `shutdown` resolves and every connection has closed.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ServeLimits,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let (stopping, stop) = watch::channel(false);
    let mut connections = JoinSet::new();
    let mut shutdown = pin!(shutdown);
    loop {
        let (stream, peer, slot) = tokio::select! {
            () = &mut shutdown => break,
            accepted = accept(&listener, &slots) => accepted?,
        };
        // Finished connections are collected here, so their results do not pile up between accepts.
        while connections.try_join_next().is_some() {}
        let connection = Connection {
            router: router.clone(),
            peer,
            timeouts: limits.timeouts,
            stop: stop.clone(),
            _slot: slot,
        };
        connections.spawn(connection.run(stream));
    }
    drop(listener);
    let _ = stopping.send(true);
    while connections.join_next().await.is_some() {}
    Ok(())
}

/// Waits for a free connection slot, then for a connection. A failed accept is logged and retried: it concerns
/// one connection or a passing shortage, never the listener as a whole.
async fn accept(
    listener: &TcpListener,
    slots: &Arc<Semaphore>,
) -> std::io::Result<(TcpStream, SocketAddr, OwnedSemaphorePermit)> {
    let slot = slots
        .clone()
        .acquire_owned()
        .await
        .map_err(|_| std::io::Error::other("the connection slots were closed"))?;
    loop {
        match listener.accept().await {
            Ok((stream, peer)) => return Ok((stream, peer, slot)),
            Err(error) => {
                tracing::warn!(%error, "accepting a connection failed");
                tokio::time::sleep(ACCEPT_RETRY).await;
            }
        }
    }
}

struct Connection {
    router: Router,
    peer: SocketAddr,
    timeouts: Timeouts,
    stop: watch::Receiver<bool>,
    /// Held for the life of the connection: its place under `max_connections`.
    _slot: OwnedSemaphorePermit,
}

impl Connection {
    async fn run(mut self, stream: TcpStream) {
        let open = metrics::gauge!("http_connections_open");
        open.increment(1.0);
        let activity = Activity::new(Instant::now());
        let io = TokioIo::new(Watched::new(stream, activity.clone()));
        let (router, peer, requests) = (self.router.clone(), self.peer, activity.clone());
        let service = service_fn(move |request| handle(router.clone(), peer, requests.clone(), request));
        let mut builder = http1::Builder::new();
        // The timeouts are Liveness's; hyper's header timer would also cut idle keep-alive connections short.
        builder.header_read_timeout(None);
        let mut connection = pin!(builder.serve_connection(io, service).with_upgrades());
        let mut stopping = false;
        loop {
            let deadline = activity.deadline(self.timeouts);
            tokio::select! {
                served = connection.as_mut() => {
                    if let Err(error) = served {
                        tracing::debug!(peer = %self.peer, %error, "connection ended with an error");
                    }
                    break;
                }
                _ = self.stop.wait_for(|stop| *stop), if !stopping => {
                    stopping = true;
                    connection.as_mut().graceful_shutdown();
                }
                () = activity.changed() => {}
                () = sleep_until(deadline) => {
                    // Nothing runs on this connection between this check and the drop below: both are in this
                    // task, so no request can start in between.
                    if let Some(expired) = expired(&activity, self.timeouts) {
                        tracing::debug!(peer = %self.peer, reason = expired.name(), "closing a connection");
                        metrics::counter!("http_connections_timed_out_total", "reason" => expired.name())
                            .increment(1);
                        break;
                    }
                }
            }
        }
        open.decrement(1.0);
    }
}

fn expired(activity: &Activity, timeouts: Timeouts) -> Option<Expiry> {
    let (deadline, expiry) = activity.deadline(timeouts)?;
    (deadline <= Instant::now()).then_some(expiry)
}

async fn sleep_until(deadline: Option<(Instant, Expiry)>) {
    match deadline {
        Some((at, _)) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

async fn handle(
    router: Router,
    peer: SocketAddr,
    activity: Activity,
    request: Request<Incoming>,
) -> Result<Response<axum::body::Body>, Infallible> {
    let _in_flight = activity.request();
    let (parts, incoming) = request.into_parts();
    let (body, read_to_end) = body::Tracked::new(incoming);
    let mut request = Request::from_parts(parts, axum::body::Body::new(body));
    request.extensions_mut().insert(ConnectInfo(peer));
    let mut response = router.oneshot(request).await?;
    if !read_to_end.get() {
        response
            .headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    Ok(response)
}
