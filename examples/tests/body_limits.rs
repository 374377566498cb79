//! Bodies over the limits, over a real socket: 413 with a JSON error, for
//! the API's JSON bodies and for token requests, and at once for a request
//! that announces an absurd `Content-Length` and sends nothing.

mod common;

use common::{BOB, TestServer};
use rbac_test_support::{Request, send};
use serde_json::json;

#[tokio::test]
async fn a_json_body_over_the_limit_is_413() {
    let server = TestServer::start().await;
    let token = server.login(BOB, Some("posts:read posts:write")).await;
    let post = json!({ "title": "long", "body": "x".repeat(70 * 1024) });
    let response = server.send(Request::post("/posts").bearer(&token).json(&post)).await;
    assert_eq!(response.status, 413, "{}", response.text());
    assert_eq!(response.json()["error"], "payload_too_large");
    // Under the limit, the same request is served.
    let post = json!({ "title": "short", "body": "x".repeat(1024) });
    let response = server.send(Request::post("/posts").bearer(&token).json(&post)).await;
    assert_eq!(response.status, 201, "{}", response.text());
    server.stop().await;
}

#[tokio::test]
async fn a_token_request_over_its_limit_is_413() {
    let server = TestServer::start().await;
    let form = format!("grant_type=password&username=bob&password={}", "p".repeat(5 * 1024));
    let request = Request::post("/token").body("application/x-www-form-urlencoded", form);
    let response = server.send(request).await;
    assert_eq!(response.status, 413, "{}", response.text());
    assert_eq!(response.header("cache-control"), Some("no-store"));
    server.stop().await;
}

#[tokio::test]
async fn an_absurd_content_length_is_answered_at_once() {
    let server = TestServer::start().await;
    for path in ["/posts", "/token"] {
        // The headers only: the client then waits for the answer (the
        // test client's timeout fails the test if none comes).
        let raw = format!(
            "POST {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n\
             Content-Length: 10000000000000000000\r\nConnection: close\r\n\r\n"
        );
        let response = send(server.addr, raw.as_bytes()).await;
        assert_eq!(response.status, 413, "{path}: {}", response.text());
        assert_eq!(response.json()["error"], "payload_too_large", "{path}");
        // The body is never read: the connection cannot carry another request.
        assert_eq!(response.header("connection"), Some("close"), "{path}");
    }
    server.stop().await;
}

#[tokio::test]
async fn a_chunked_body_over_the_limit_is_413_when_read() {
    let server = TestServer::start().await;
    let token = server.login(BOB, Some("posts:read posts:write")).await;
    // No `Content-Length`: the limit is found while reading.
    let body = json!({ "title": "long", "body": "x".repeat(70 * 1024) }).to_string();
    let raw = format!(
        "POST /posts HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n{:x}\r\n{body}\r\n0\r\n\r\n",
        body.len()
    );
    let response = send(server.addr, raw.as_bytes()).await;
    assert_eq!(response.status, 413, "{}", response.text());
    assert_eq!(response.json()["error"], "payload_too_large");
    server.stop().await;
}
