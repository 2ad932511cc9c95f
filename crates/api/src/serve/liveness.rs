//! What a connection is doing, and so when it has held on too long: a connection's first request must arrive
//! within the header timeout of the accept; afterwards the connection may sit idle up to the idle timeout, and
//! once a request starts arriving its headers must be complete within the header timeout of its first byte.
//! While a request is being handled no timer of this module runs (the request timeout governs it).
//!
//! hyper's own header timeout starts as soon as it waits for a request, so it would close every idle
//! keep-alive connection after the header timeout; hence the accounting here.

use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::Notify;
use tokio::time::Instant;

#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    pub header_read: Duration,
    pub idle: Duration,
}

/// Why a connection was closed by [`Liveness`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expiry {
    HeaderRead,
    Idle,
}

impl Expiry {
    pub fn name(self) -> &'static str {
        match self {
            Expiry::HeaderRead => "header_read_timeout",
            Expiry::Idle => "idle_timeout",
        }
    }
}

#[derive(Debug)]
pub struct Liveness {
    accepted: Instant,
    served_any: bool,
    in_flight: usize,
    /// The first byte of a request not yet handed to the router, read while no request was in flight. Bytes of a
    /// pipelined request that arrive while another is handled are not noticed; the idle timeout bounds them.
    head_started: Option<Instant>,
    /// The last time bytes moved either way or a request finished.
    last_activity: Instant,
}

impl Liveness {
    pub fn new(accepted: Instant) -> Liveness {
        Liveness {
            accepted,
            served_any: false,
            in_flight: 0,
            head_started: None,
            last_activity: accepted,
        }
    }

    /// Notes bytes read; answers whether a request head has just started, which moves the deadline.
    fn read(&mut self, now: Instant) -> bool {
        self.last_activity = now;
        if self.in_flight == 0 && self.head_started.is_none() {
            self.head_started = Some(now);
            return true;
        }
        false
    }

    fn wrote(&mut self, now: Instant) {
        self.last_activity = now;
    }

    fn request_started(&mut self) {
        self.served_any = true;
        self.in_flight += 1;
        self.head_started = None;
    }

    fn request_finished(&mut self, now: Instant) {
        self.in_flight = self.in_flight.saturating_sub(1);
        self.head_started = None;
        self.last_activity = now;
    }

    /// When the connection must be closed if nothing changes, and why; `None` while a request is handled.
    pub fn deadline(&self, timeouts: Timeouts) -> Option<(Instant, Expiry)> {
        if self.in_flight > 0 {
            return None;
        }
        if !self.served_any {
            return Some((self.accepted + timeouts.header_read, Expiry::HeaderRead));
        }
        if let Some(started) = self.head_started {
            return Some((started + timeouts.header_read, Expiry::HeaderRead));
        }
        Some((self.last_activity + timeouts.idle, Expiry::Idle))
    }
}

/// A connection's [`Liveness`], shared by its byte stream, its requests and the task that enforces it; `changed`
/// wakes that task when the deadline may have moved earlier or appeared.
#[derive(Debug, Clone)]
pub struct Activity {
    liveness: Arc<Mutex<Liveness>>,
    changed: Arc<Notify>,
}

impl Activity {
    pub fn new(accepted: Instant) -> Activity {
        Activity {
            liveness: Arc::new(Mutex::new(Liveness::new(accepted))),
            changed: Arc::new(Notify::new()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Liveness> {
        self.liveness.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn deadline(&self, timeouts: Timeouts) -> Option<(Instant, Expiry)> {
        self.lock().deadline(timeouts)
    }

    pub async fn changed(&self) {
        self.changed.notified().await;
    }

    /// Marks a request as handled until the returned guard is dropped, also when its handler panics.
    pub fn request(&self) -> InFlight {
        self.lock().request_started();
        self.changed.notify_one();
        InFlight(self.clone())
    }
}

pub struct InFlight(Activity);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.lock().request_finished(Instant::now());
        self.0.changed.notify_one();
    }
}

/// A byte stream that reports its reads and writes to an [`Activity`].
pub struct Watched<S> {
    inner: S,
    activity: Activity,
}

impl<S> Watched<S> {
    pub fn new(inner: S, activity: Activity) -> Watched<S> {
        Watched { inner, activity }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Watched<S> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            let head_started = self.activity.lock().read(Instant::now());
            if head_started {
                self.activity.changed.notify_one();
            }
        }
        polled
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Watched<S> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write(cx, buf);
        if matches!(polled, Poll::Ready(Ok(written)) if written > 0) {
            self.activity.lock().wrote(Instant::now());
        }
        polled
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(polled, Poll::Ready(Ok(written)) if written > 0) {
            self.activity.lock().wrote(Instant::now());
        }
        polled
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TIMEOUTS: Timeouts = Timeouts {
        header_read: Duration::from_secs(10),
        idle: Duration::from_secs(60),
    };

    fn at(start: Instant, secs: u64) -> Instant {
        start + Duration::from_secs(secs)
    }

    #[test]
    fn the_first_request_is_due_a_header_timeout_after_the_accept() {
        let t0 = Instant::now();
        let mut liveness = Liveness::new(t0);
        assert_eq!(liveness.deadline(TIMEOUTS), Some((at(t0, 10), Expiry::HeaderRead)));
        liveness.read(at(t0, 3));
        assert_eq!(liveness.deadline(TIMEOUTS), Some((at(t0, 10), Expiry::HeaderRead)));
    }

    #[test]
    fn between_requests_the_idle_timeout_applies_until_a_head_starts() {
        let t0 = Instant::now();
        let mut liveness = Liveness::new(t0);
        liveness.read(t0);
        liveness.request_started();
        assert_eq!(liveness.deadline(TIMEOUTS), None, "no timer while a request is handled");
        liveness.read(at(t0, 1));
        liveness.request_finished(at(t0, 2));
        liveness.wrote(at(t0, 3));
        assert_eq!(liveness.deadline(TIMEOUTS), Some((at(t0, 63), Expiry::Idle)));
        assert!(liveness.read(at(t0, 30)), "a new head starts");
        assert!(!liveness.read(at(t0, 35)), "and goes on");
        assert_eq!(liveness.deadline(TIMEOUTS), Some((at(t0, 40), Expiry::HeaderRead)));
        liveness.request_started();
        liveness.request_finished(at(t0, 41));
        assert_eq!(liveness.deadline(TIMEOUTS), Some((at(t0, 101), Expiry::Idle)));
    }
}
