//! HTTPS over a real socket: a generated self-signed certificate, or
//! certificate files from the configuration; HSTS on every answer; and a
//! client that does not trust the certificate gets nowhere.

mod common;

use std::path::Path;

use common::{BOB, CAROL, TestServer, tls_connector};
use rbac_example::{Config, Server, StartError};
use rbac_test_support::Request;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;
use tokio_rustls::rustls::pki_types::ServerName;
use tokio_rustls::rustls::pki_types::pem::PemObject as _;

/// SHA-256 of the first certificate in a PEM file, `AB:CD:…`.
fn fingerprint_of(pem: &Path) -> String {
    let der = tokio_rustls::rustls::pki_types::CertificateDer::from_pem_file(pem)
        .expect("a PEM certificate");
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, der.as_ref());
    digest.as_ref().iter().map(|b| format!("{b:02X}")).collect::<Vec<_>>().join(":")
}

#[tokio::test]
async fn self_signed_certificate_serves_https_with_hsts() {
    let mut server = TestServer::start_with(&[("RBAC_EXAMPLE_TLS", "on")]).await;
    let cert = server.data_dir.join("tls-cert.pem");
    assert_eq!(server.fingerprint.as_deref(), Some(fingerprint_of(&cert).as_str()));
    server.trust(&cert);

    let login = server
        .token_request(&[("grant_type", "password"), ("username", BOB.0), ("password", BOB.1)])
        .await;
    assert_eq!(login.status, 200, "{}", login.text());
    assert_eq!(login.header("strict-transport-security"), Some("max-age=3600"));
    let token = login.json()["access_token"].as_str().expect("a token").to_owned();

    let posts = server.get("/posts", Some(&token)).await;
    assert_eq!(posts.status, 200, "{}", posts.text());
    assert_eq!(posts.header("strict-transport-security"), Some("max-age=3600"));
    let refused = server.get("/users/me", None).await;
    assert_eq!(refused.status, 401);
    assert!(refused.header("strict-transport-security").is_some(), "refusals carry HSTS too");
    server.stop().await;
}

#[tokio::test]
async fn a_client_that_does_not_trust_the_certificate_gets_nowhere() {
    let server = TestServer::start_with(&[("RBAC_EXAMPLE_TLS", "on")]).await;

    // A client trusting another certificate: the handshake fails.
    let other = tempfile::tempdir().expect("temporary directory");
    let other_cert = other.path().join("other.pem");
    let generated =
        rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).expect("a certificate");
    std::fs::write(&other_cert, generated.cert.pem()).expect("written");
    let stream = TcpStream::connect(server.addr).await.expect("connect");
    let name = ServerName::try_from("localhost").expect("a DNS name");
    let handshake = tls_connector(&other_cert).connect(name, stream).await;
    assert!(handshake.is_err(), "a certificate the client does not trust was accepted");

    // Plain HTTP on the TLS port: no HTTP answer.
    let mut stream = TcpStream::connect(server.addr).await.expect("connect");
    stream
        .write_all(b"GET /posts HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .await
        .expect("write");
    let mut answer = Vec::new();
    let _ =
        tokio::time::timeout(std::time::Duration::from_secs(15), stream.read_to_end(&mut answer))
            .await;
    assert!(!answer.starts_with(b"HTTP/"), "plain HTTP was answered on the TLS port");

    // The service is still there for a client that trusts it.
    let mut server = server;
    server.trust(&server.data_dir.join("tls-cert.pem"));
    assert_eq!(server.get("/posts", None).await.status, 401);
    server.stop().await;
}

/// A certificate for `localhost` and its key, written as PEM files.
fn write_certificate(dir: &Path) -> (String, String) {
    let generated =
        rcgen::generate_simple_self_signed(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
            .expect("a certificate");
    let cert = dir.join("cert.pem");
    let key = dir.join("key.pem");
    std::fs::write(&cert, generated.cert.pem()).expect("written");
    std::fs::write(&key, generated.signing_key.serialize_pem()).expect("written");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    }
    (cert.to_str().expect("UTF-8").to_owned(), key.to_str().expect("UTF-8").to_owned())
}

#[tokio::test]
async fn certificate_files_from_the_configuration_are_served() {
    let files = tempfile::tempdir().expect("temporary directory");
    let (cert, key) = write_certificate(files.path());
    let mut server =
        TestServer::start_with(&[("RBAC_EXAMPLE_TLS_CERT", &cert), ("RBAC_EXAMPLE_TLS_KEY", &key)])
            .await;
    assert_eq!(server.fingerprint.as_deref(), Some(fingerprint_of(Path::new(&cert)).as_str()));
    assert!(!server.data_dir.join("tls-cert.pem").exists(), "nothing generated");
    server.trust(Path::new(&cert));

    let token = server.login(CAROL, None).await;
    let response = server.send(Request::get("/posts").bearer(&token)).await;
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(response.header("strict-transport-security"), Some("max-age=31536000"));
    server.stop().await;
}

#[cfg(unix)]
#[tokio::test]
async fn a_tls_key_others_can_read_is_refused_at_start() {
    use std::os::unix::fs::PermissionsExt as _;
    let files = tempfile::tempdir().expect("temporary directory");
    let (cert, key) = write_certificate(files.path());
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let data = tempfile::tempdir().expect("temporary directory");
    let data_dir = data.path().to_str().expect("UTF-8").to_owned();
    let config = Config::from_lookup(|name| match name {
        "RBAC_EXAMPLE_ADDR" => Some("127.0.0.1:0".to_owned()),
        "RBAC_EXAMPLE_DATA_DIR" => Some(data_dir.clone()),
        "RBAC_EXAMPLE_TLS_CERT" => Some(cert.clone()),
        "RBAC_EXAMPLE_TLS_KEY" => Some(key.clone()),
        _ => None,
    })
    .expect("valid configuration");
    match Server::bind(&config).await {
        Err(StartError::Tls { path, message }) => {
            assert_eq!(path.to_str(), Some(key.as_str()));
            assert!(message.contains("chmod 600"), "{message}");
        }
        other => panic!("expected a TLS error, got {:?}", other.map(|_| "a server")),
    }
}
