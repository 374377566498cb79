//! The accept loop's limits, over real sockets: connections that send
//! nothing, trickle their headers, sit idle after a response, stop
//! sending their body halfway, stop reading the answers, or never finish
//! a TLS handshake are closed within the configured time; past the
//! connection cap, new clients wait until a connection closes.
//!
//! Timeouts are set to one second here; each test checks that the
//! connection stays open until about then and is closed soon after.

mod common;

use std::time::{Duration, Instant};

use common::TestServer;
use rbac_test_support::{Request, Response, exchange};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

/// The header (and idle, and handshake) timeout and the body timeout.
const TIMEOUT: Duration = Duration::from_secs(1);

/// Slack for a loaded machine before "closed within the timeout" fails.
const SLACK: Duration = Duration::from_secs(3);

async fn start(extra: &[(&str, &str)]) -> TestServer {
    let mut vars =
        vec![("RBAC_EXAMPLE_HEADER_TIMEOUT_SECS", "1"), ("RBAC_EXAMPLE_BODY_TIMEOUT_SECS", "1")];
    vars.extend_from_slice(extra);
    TestServer::start_with(&vars).await
}

/// Reads until the server closes the connection; what it sent, and when it
/// closed (measured from `since`). Fails the test if it stays open past
/// the timeout and the slack.
async fn until_closed(stream: &mut TcpStream, since: Instant) -> (Vec<u8>, Duration) {
    let mut received = Vec::new();
    let mut buf = [0u8; 4096];
    let read = async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => received.extend_from_slice(&buf[..n]),
            }
        }
    };
    tokio::time::timeout(TIMEOUT + SLACK, read).await.expect("the server closes the connection");
    (received, since.elapsed())
}

#[tokio::test]
async fn a_connection_that_sends_nothing_is_closed() {
    let server = start(&[]).await;
    let opened = Instant::now();
    let mut stream = TcpStream::connect(server.addr).await.expect("connect");
    let (_, closed_after) = until_closed(&mut stream, opened).await;
    assert!(closed_after >= TIMEOUT - Duration::from_millis(100), "closed after {closed_after:?}");
    server.stop().await;
}

#[tokio::test]
async fn headers_trickled_past_the_timeout_are_cut_off() {
    let server = start(&[]).await;
    let opened = Instant::now();
    let mut stream = TcpStream::connect(server.addr).await.expect("connect");
    // A byte every 200 ms: each arrives in time, the whole head does not.
    let head =
        b"GET /posts HTTP/1.1\r\nHost: localhost\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    let mut cut_off = None;
    for byte in head {
        if stream.write_all(&[*byte]).await.is_err() {
            cut_off = Some(opened.elapsed());
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        if opened.elapsed() > TIMEOUT + SLACK {
            break;
        }
    }
    let closed_after = match cut_off {
        Some(after) => after,
        None => until_closed(&mut stream, opened).await.1,
    };
    assert!(closed_after >= TIMEOUT - Duration::from_millis(100), "closed after {closed_after:?}");
    assert!(closed_after <= TIMEOUT + SLACK, "still open after {closed_after:?}");
    server.stop().await;
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed() {
    let server = start(&[]).await;
    let mut stream = TcpStream::connect(server.addr).await.expect("connect");
    // A whole request, kept alive (no `Connection: close`).
    stream
        .write_all(b"GET /openapi.json HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .await
        .expect("written");
    // The answer, then silence from both sides.
    let mut head = Vec::new();
    let mut buf = [0u8; 64 * 1024];
    while !head.windows(4).any(|window| window == b"\r\n\r\n") {
        let n = stream.read(&mut buf).await.expect("read");
        assert!(n > 0, "closed before answering");
        head.extend_from_slice(&buf[..n]);
    }
    assert!(head.starts_with(b"HTTP/1.1 200"), "{}", String::from_utf8_lossy(&head));
    let answered = Instant::now();
    let (_, idle) = until_closed(&mut stream, answered).await;
    assert!(idle >= TIMEOUT - Duration::from_millis(100), "closed after {idle:?} idle");
    server.stop().await;
}

#[tokio::test]
async fn a_body_that_stops_halfway_is_408() {
    let server = start(&[]).await;
    let mut stream = TcpStream::connect(server.addr).await.expect("connect");
    let sent = Instant::now();
    // Announces 100 bytes, sends 10, and waits.
    stream
        .write_all(
            b"POST /posts HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n\
              Content-Length: 100\r\n\r\n{\"title\":",
        )
        .await
        .expect("written");
    let (received, after) = until_closed(&mut stream, sent).await;
    let response = Response::parse(&received);
    assert_eq!(response.status, 408, "{}", response.text());
    assert_eq!(response.json()["error"], "request_timeout");
    assert_eq!(response.header("connection"), Some("close"));
    assert!(after >= TIMEOUT - Duration::from_millis(100), "answered after {after:?}");
    server.stop().await;
}

#[tokio::test]
async fn past_the_cap_a_client_waits_for_a_connection_to_close() {
    let server = start(&[("RBAC_EXAMPLE_MAX_CONNECTIONS", "2")]).await;
    let opened = Instant::now();
    // Two silent connections hold both places until the header timeout.
    let mut silent = Vec::new();
    for _ in 0..2 {
        silent.push(TcpStream::connect(server.addr).await.expect("connect"));
    }
    // Give the server the moment it needs to accept both.
    tokio::time::sleep(Duration::from_millis(200)).await;

    // The third connects (the kernel's backlog takes it), sends at once,
    // and is answered only once a place is free.
    let third = TcpStream::connect(server.addr).await.expect("the backlog accepts");
    let response = exchange(third, &Request::get("/openapi.json").to_bytes("localhost")).await;
    let answered_after = opened.elapsed();
    assert_eq!(response.status, 200, "{}", response.text());
    assert!(
        answered_after >= TIMEOUT - Duration::from_millis(100),
        "answered after {answered_after:?}, before a place was free"
    );
    for mut stream in silent {
        let (_, closed_after) = until_closed(&mut stream, opened).await;
        assert!(closed_after <= answered_after + Duration::from_millis(500));
    }
    server.stop().await;
}

#[tokio::test]
async fn a_tls_handshake_that_never_starts_is_closed() {
    let server = start(&[("RBAC_EXAMPLE_TLS", "on")]).await;
    let opened = Instant::now();
    let mut stream = TcpStream::connect(server.addr).await.expect("connect");
    let (received, closed_after) = until_closed(&mut stream, opened).await;
    assert!(received.is_empty(), "nothing is sent before the client's hello");
    assert!(closed_after >= TIMEOUT - Duration::from_millis(100), "closed after {closed_after:?}");
    server.stop().await;
}

#[tokio::test]
async fn a_tls_client_that_stalls_after_its_hello_is_closed() {
    let server = start(&[("RBAC_EXAMPLE_TLS", "on")]).await;
    let opened = Instant::now();
    let mut stream = TcpStream::connect(server.addr).await.expect("connect");
    // The first bytes of a ClientHello record, and then nothing.
    stream.write_all(&[0x16, 0x03, 0x01, 0x02, 0x00, 0x01]).await.expect("written");
    let (_, closed_after) = until_closed(&mut stream, opened).await;
    assert!(closed_after >= TIMEOUT - Duration::from_millis(100), "closed after {closed_after:?}");
    server.stop().await;
}

#[tokio::test]
async fn a_client_that_stops_reading_is_disconnected() {
    let server = start(&[]).await;
    let stream = TcpStream::connect(server.addr).await.expect("connect");
    let (mut reader, mut writer) = stream.into_split();
    // Far more answers (about 14 KiB each) than socket buffers hold, asked
    // for at once and not read: the server's writes wait on the client.
    const ASKED: usize = 2_000;
    let requests = b"GET /openapi.json HTTP/1.1\r\nHost: localhost\r\n\r\n".repeat(ASKED);
    let writing = tokio::spawn(async move {
        // Refused once the server has gone; what matters is what it sent.
        let _ = writer.write_all(&requests).await;
        writer
    });
    tokio::time::sleep(TIMEOUT + Duration::from_millis(1_500)).await;

    // Now read: the server gave up on the stalled connection, so what it
    // sent ends early instead of holding all the answers asked for.
    let mut received = Vec::new();
    let mut buf = vec![0u8; 256 * 1024];
    let read = async {
        loop {
            match reader.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => received.extend_from_slice(&buf[..n]),
            }
        }
    };
    tokio::time::timeout(TIMEOUT + SLACK, read).await.expect("the server closed the connection");
    let answers = received.windows(12).filter(|window| window == b"HTTP/1.1 200").count();
    assert!(answers > 0, "some answers were written before the stall");
    assert!(answers < ASKED, "all {ASKED} answers were sent: the stall was never cut off");
    drop(writing.await);
    server.stop().await;
}
