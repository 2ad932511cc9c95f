//! What a connection may hold on to, seen from raw TCP clients: the header and idle timeouts, the connection
//! limit, and the end of a connection whose request body was not read.

use crate::helpers::{Storage, TestApp, spawn_with};
use axum::Router;
use bourse::Settings;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::{Instant, timeout};

const HEALTHZ: &[u8] = b"GET /healthz HTTP/1.1\r\nHost: bourse\r\n\r\n";
/// Far beyond any wait in these tests, so that only the setting under test closes anything.
const LONG_SECS: u64 = 300;

async fn spawn(adjust: impl FnOnce(&mut Settings)) -> TestApp {
    spawn_with(
        Storage::fresh().await,
        |config| {
            config.platform.server.header_read_timeout_secs = LONG_SECS;
            config.platform.server.idle_timeout_secs = LONG_SECS;
            adjust(config);
        },
        Router::new(),
    )
    .await
}

/// Reads one response with a `Content-Length` body: its head (status line and headers) and its body.
async fn read_response(stream: &mut TcpStream) -> (String, Vec<u8>) {
    let mut received = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(end) = received.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&received[..end]).to_ascii_lowercase();
            let length: usize = head
                .lines()
                .find_map(|line| line.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0);
            if received.len() >= end + 4 + length {
                return (head, received[end + 4..end + 4 + length].to_vec());
            }
        }
        let read = timeout(Duration::from_secs(10), stream.read(&mut chunk))
            .await
            .expect("a response within 10 s")
            .expect("read");
        assert!(
            read > 0,
            "connection closed mid-response: {:?}",
            String::from_utf8_lossy(&received)
        );
        received.extend_from_slice(&chunk[..read]);
    }
}

/// Waits for the server to close `stream`, answering how long that took; fails if it sends anything first.
async fn closed_after(stream: &mut TcpStream, started: Instant) -> Duration {
    let mut rest = Vec::new();
    let read = timeout(Duration::from_secs(10), stream.read_to_end(&mut rest))
        .await
        .expect("the server closes the connection within 10 s");
    // A reset is a close too.
    if read.is_ok() {
        assert!(rest.is_empty(), "nothing is sent: {:?}", String::from_utf8_lossy(&rest));
    }
    started.elapsed()
}

#[tokio::test]
async fn a_client_that_stalls_in_its_headers_is_disconnected() {
    let app = spawn(|c| c.platform.server.header_read_timeout_secs = 1).await;
    let mut stalled = TcpStream::connect(app.addr).await.unwrap();
    let started = Instant::now();
    stalled.write_all(b"GET /healthz HT").await.unwrap();
    let waited = closed_after(&mut stalled, started).await;
    assert!(
        waited >= Duration::from_millis(900),
        "not before the timeout: {waited:?}"
    );

    let mut silent = TcpStream::connect(app.addr).await.unwrap();
    let waited = closed_after(&mut silent, Instant::now()).await;
    assert!(waited >= Duration::from_millis(900), "{waited:?}");
}

#[tokio::test]
async fn a_keep_alive_connection_outlives_the_header_timeout_and_closes_after_the_idle_timeout() {
    let app = spawn(|c| {
        c.platform.server.header_read_timeout_secs = 1;
        c.platform.server.idle_timeout_secs = 3;
    })
    .await;
    let mut stream = TcpStream::connect(app.addr).await.unwrap();
    stream.write_all(HEALTHZ).await.unwrap();
    let (head, _) = read_response(&mut stream).await;
    assert!(head.starts_with("http/1.1 200"), "{head}");

    // Idle for longer than the header timeout: still open, and it serves the next request.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    stream.write_all(HEALTHZ).await.unwrap();
    let (head, _) = read_response(&mut stream).await;
    assert!(head.starts_with("http/1.1 200"), "{head}");

    let idle_from = Instant::now();
    let waited = closed_after(&mut stream, idle_from).await;
    assert!(
        waited >= Duration::from_millis(2900),
        "not before the idle timeout: {waited:?}"
    );
    assert!(waited < Duration::from_secs(6), "{waited:?}");
}

#[tokio::test]
async fn connections_past_the_limit_wait_until_one_closes() {
    let app = spawn(|c| c.platform.server.max_connections = 2).await;
    let mut held = Vec::new();
    for _ in 0..2 {
        let mut stream = TcpStream::connect(app.addr).await.unwrap();
        stream.write_all(HEALTHZ).await.unwrap();
        let (head, _) = read_response(&mut stream).await;
        assert!(head.starts_with("http/1.1 200"), "{head}");
        held.push(stream);
    }

    // The kernel completes the handshake (the backlog), but the server does not take the connection up.
    let mut waiting = TcpStream::connect(app.addr).await.unwrap();
    waiting.write_all(HEALTHZ).await.unwrap();
    let mut byte = [0u8; 1];
    let early = timeout(Duration::from_millis(500), waiting.read(&mut byte)).await;
    assert!(early.is_err(), "not served while two connections are open: {early:?}");

    drop(held.pop());
    let (head, _) = read_response(&mut waiting).await;
    assert!(
        head.starts_with("http/1.1 200"),
        "served once a connection closed: {head}"
    );
}

#[tokio::test]
async fn shutdown_finishes_the_request_in_flight_then_refuses_connections() {
    let slow = Router::new().route(
        "/test/slow",
        axum::routing::get(|| async {
            tokio::time::sleep(Duration::from_millis(500)).await;
            "done"
        }),
    );
    let app = spawn_with(Storage::fresh().await, |_| {}, slow).await;
    let addr = app.addr;
    let mut idle = TcpStream::connect(addr).await.unwrap();
    idle.write_all(HEALTHZ).await.unwrap();
    read_response(&mut idle).await;
    let mut busy = TcpStream::connect(addr).await.unwrap();
    busy.write_all(b"GET /test/slow HTTP/1.1\r\nHost: bourse\r\n\r\n")
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;

    let stopped = tokio::spawn(app.stop());
    let (head, body) = read_response(&mut busy).await;
    assert!(head.starts_with("http/1.1 200"), "{head}");
    assert_eq!(body, b"done");
    closed_after(&mut idle, Instant::now()).await;
    stopped.await.unwrap();
    assert!(TcpStream::connect(addr).await.is_err(), "no longer listening");
}

fn says_close(head: &str) -> bool {
    head.lines().any(|line| line == "connection: close")
}

#[tokio::test]
async fn a_body_refused_before_it_is_read_is_answered_with_connection_close() {
    let app = spawn(|_| {}).await;
    // Only the headers of an oversized upload: the 413 comes from the declared length alone.
    let mut oversized = TcpStream::connect(app.addr).await.unwrap();
    oversized
        .write_all(
            b"POST /v1/auth/register HTTP/1.1\r\nHost: bourse\r\nContent-Type: application/json\r\n\
              Content-Length: 10000000\r\n\r\n",
        )
        .await
        .unwrap();
    let (head, _) = read_response(&mut oversized).await;
    assert!(head.starts_with("http/1.1 413"), "{head}");
    assert!(says_close(&head), "{head}");
    closed_after(&mut oversized, Instant::now()).await;

    // Refused for want of credentials while most of the body is still on its way.
    let mut anonymous = TcpStream::connect(app.addr).await.unwrap();
    anonymous
        .write_all(
            b"POST /v1/wallets/transfers HTTP/1.1\r\nHost: bourse\r\nContent-Type: application/json\r\n\
              Idempotency-Key: k-1\r\nContent-Length: 100\r\n\r\n{\"to\":",
        )
        .await
        .unwrap();
    let (head, _) = read_response(&mut anonymous).await;
    assert!(head.starts_with("http/1.1 401"), "{head}");
    assert!(says_close(&head), "{head}");
    closed_after(&mut anonymous, Instant::now()).await;
}

#[tokio::test]
async fn a_body_read_to_its_end_keeps_the_connection_open() {
    let app = spawn(|_| {}).await;
    let mut stream = TcpStream::connect(app.addr).await.unwrap();
    let body = br#"{"email":"nobody@example.com","password":"not-the-password"}"#;
    let request = format!(
        "POST /v1/auth/login HTTP/1.1\r\nHost: bourse\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    stream.write_all(body).await.unwrap();
    let (head, _) = read_response(&mut stream).await;
    assert!(head.starts_with("http/1.1 401"), "{head}");
    assert!(!says_close(&head), "{head}");
    stream.write_all(HEALTHZ).await.unwrap();
    let (head, _) = read_response(&mut stream).await;
    assert!(head.starts_with("http/1.1 200"), "{head}");
    assert!(!says_close(&head), "{head}");
}
