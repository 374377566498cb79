//! What every end-to-end test needs: the real service started on
//! `127.0.0.1:0` over a temporary data directory, and a small HTTP/1.1
//! client over a plain socket, so that what is tested is what a client on
//! the network sees.

#![allow(dead_code, unreachable_pub)] // each test binary uses a part

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rbac_example::{Config, Server};
use serde_json::Value;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio_rustls::TlsConnector;
use tokio_rustls::rustls::pki_types::pem::PemObject as _;
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName};
use tokio_rustls::rustls::{ClientConfig, RootCertStore};

/// Longest a request may take before a test fails instead of hanging.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// The demo users' credentials, as `--help` documents them.
pub const ALICE: (&str, &str) = ("alice", "alice-demo");
pub const BOB: (&str, &str) = ("bob", "bob-demo");
pub const CAROL: (&str, &str) = ("carol", "carol-demo");

/// A running service and the temporary directory it keeps its data in.
pub struct TestServer {
    pub addr: SocketAddr,
    pub data_dir: PathBuf,
    /// The served certificate's fingerprint, when TLS is on.
    pub fingerprint: Option<String>,
    /// In resource-server mode with fetched keys: whether they had arrived
    /// when start-up stopped waiting ([`Server::trusted_keys_ready`]).
    pub trusted_keys_ready: Option<bool>,
    /// Set by [`TestServer::trust`]: requests go over TLS.
    tls: Option<TlsConnector>,
    // Dropped last: the directory outlives the server.
    _dir: Option<tempfile::TempDir>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<std::io::Result<()>>>,
}

impl TestServer {
    /// A fresh service over a new temporary data directory.
    pub async fn start() -> TestServer {
        TestServer::start_with(&[]).await
    }

    /// A fresh service with extra configuration variables.
    pub async fn start_with(vars: &[(&str, &str)]) -> TestServer {
        let dir = tempfile::tempdir().expect("temporary directory");
        let mut server = TestServer::start_in(dir.path(), vars).await;
        server._dir = Some(dir);
        server
    }

    /// A service over an existing data directory (which the caller keeps).
    pub async fn start_in(data_dir: &Path, vars: &[(&str, &str)]) -> TestServer {
        let data_dir_text = data_dir.to_str().expect("UTF-8 temporary path").to_owned();
        let config = Config::from_lookup(|name| match name {
            "RBAC_EXAMPLE_ADDR" => Some("127.0.0.1:0".to_owned()),
            "RBAC_EXAMPLE_DATA_DIR" => Some(data_dir_text.clone()),
            _ => vars.iter().find(|(key, _)| *key == name).map(|(_, value)| (*value).to_owned()),
        })
        .expect("test configuration is valid");
        let server = Server::bind(&config).await.expect("the service starts");
        let addr = server.local_addr().expect("bound address");
        let fingerprint = server.tls_fingerprint().map(str::to_owned);
        let trusted_keys_ready = server.trusted_keys_ready();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(server.run(async {
            let _ = stopped.await;
        }));
        TestServer {
            addr,
            data_dir: data_dir.to_owned(),
            fingerprint,
            trusted_keys_ready,
            tls: None,
            _dir: None,
            stop: Some(stop),
            task: Some(task),
        }
    }

    /// Stops the service and waits until it has.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.expect("server task").expect("server ran cleanly");
        }
    }

    /// From now on, speaks TLS to the server, trusting only the PEM
    /// certificate at `cert`, and naming the server `localhost`.
    pub fn trust(&mut self, cert: &Path) {
        self.tls = Some(tls_connector(cert));
    }

    /// Sends one request.
    pub async fn send(&self, request: Request<'_>) -> Response {
        let stream = TcpStream::connect(self.addr).await.expect("connect");
        match &self.tls {
            None => exchange(stream, &self.addr.to_string(), request).await,
            Some(connector) => {
                let name = ServerName::try_from("localhost").expect("a DNS name");
                let stream = connector.connect(name, stream).await.expect("TLS handshake");
                exchange(stream, &format!("localhost:{}", self.addr.port()), request).await
            }
        }
    }

    /// `GET path` with an optional bearer token.
    pub async fn get(&self, path: &str, token: Option<&str>) -> Response {
        self.send(Request::new("GET", path).bearer(token)).await
    }

    /// `DELETE path` with a bearer token.
    pub async fn delete(&self, path: &str, token: &str) -> Response {
        self.send(Request::new("DELETE", path).bearer(Some(token))).await
    }

    /// `method path` with a JSON body and a bearer token.
    pub async fn json(&self, method: &str, path: &str, token: &str, body: Value) -> Response {
        self.send(Request::new(method, path).bearer(Some(token)).json(&body)).await
    }

    /// `POST /token` with these form fields.
    pub async fn token_request(&self, fields: &[(&str, &str)]) -> Response {
        let mut form = form_urlencoded::Serializer::new(String::new());
        for (name, value) in fields {
            form.append_pair(name, value);
        }
        let body = form.finish();
        self.send(
            Request::new("POST", "/token")
                .header("Content-Type", "application/x-www-form-urlencoded")
                .body(body.into_bytes()),
        )
        .await
    }

    /// A token from the password grant; panics unless it is granted.
    pub async fn login(&self, (username, password): (&str, &str), scope: Option<&str>) -> String {
        let mut fields =
            vec![("grant_type", "password"), ("username", username), ("password", password)];
        if let Some(scope) = scope {
            fields.push(("scope", scope));
        }
        let response = self.token_request(&fields).await;
        assert_eq!(response.status, 200, "login of {username}: {}", response.text());
        response.json()["access_token"].as_str().expect("access_token is a string").to_owned()
    }

    /// The id of the demo or created user `username`, as `GET /users` shows.
    pub async fn user_id(&self, admin_token: &str, username: &str) -> i64 {
        let users = self.get("/users", Some(admin_token)).await;
        assert_eq!(users.status, 200, "{}", users.text());
        users
            .json()
            .as_array()
            .expect("a list")
            .iter()
            .find(|user| user["username"] == username)
            .and_then(|user| user["id"].as_i64())
            .unwrap_or_else(|| panic!("no user {username}"))
    }

    /// The signing key the service generated in its data directory.
    pub fn signing_key(&self) -> Vec<u8> {
        std::fs::read(self.data_dir.join("signing-key.bin")).expect("signing key file")
    }
}

/// A request to send.
pub struct Request<'a> {
    method: &'a str,
    path: &'a str,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl<'a> Request<'a> {
    pub fn new(method: &'a str, path: &'a str) -> Self {
        Request { method, path, headers: Vec::new(), body: Vec::new() }
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    pub fn bearer(self, token: Option<&str>) -> Self {
        match token {
            Some(token) => self.header("Authorization", &format!("Bearer {token}")),
            None => self,
        }
    }

    pub fn json(self, body: &Value) -> Self {
        self.header("Content-Type", "application/json").body(body.to_string().into_bytes())
    }

    pub fn body(mut self, body: Vec<u8>) -> Self {
        self.body = body;
        self
    }
}

/// A response as received.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    /// The value of header `name` (case-insensitive), if present once.
    pub fn header(&self, name: &str) -> Option<&str> {
        let mut values = self.headers.iter().filter(|(key, _)| key.eq_ignore_ascii_case(name));
        let value = values.next().map(|(_, value)| value.as_str());
        assert!(values.next().is_none(), "header {name} appears more than once");
        value
    }

    /// The body as JSON; panics when it is not.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|error| panic!("not JSON ({error}): {}", self.text()))
    }

    /// The body as text, for messages.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The JSON body's `error` member.
    pub fn error_code(&self) -> String {
        self.json()["error"].as_str().unwrap_or_default().to_owned()
    }
}

/// Writes `request` to `stream` and reads the whole response (the request
/// asks the server to close the connection after it).
pub async fn exchange<S>(mut stream: S, host: &str, request: Request<'_>) -> Response
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut head = format!(
        "{} {} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nContent-Length: {}\r\n",
        request.method,
        request.path,
        request.body.len()
    );
    for (name, value) in &request.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    let io = async {
        stream.write_all(head.as_bytes()).await?;
        stream.write_all(&request.body).await?;
        stream.flush().await?;
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).await?;
        Ok::<_, std::io::Error>(raw)
    };
    let raw = tokio::time::timeout(REQUEST_TIMEOUT, io)
        .await
        .expect("the server answers in time")
        .expect("request and response over the socket");
    parse_response(&raw)
}

fn parse_response(raw: &[u8]) -> Response {
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").expect("a complete header block");
    let head = std::str::from_utf8(&raw[..split]).expect("an ASCII header block");
    let mut lines = head.split("\r\n");
    let status_line = lines.next().expect("a status line");
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("bad status line {status_line:?}"));
    let headers: Vec<(String, String)> = lines
        .map(|line| {
            let (name, value) = line.split_once(':').expect("a header line");
            (name.trim().to_owned(), value.trim().to_owned())
        })
        .collect();
    let rest = &raw[split + 4..];
    let chunked = headers.iter().any(|(name, value)| {
        name.eq_ignore_ascii_case("transfer-encoding") && value.eq_ignore_ascii_case("chunked")
    });
    let body = if chunked { dechunk(rest) } else { rest.to_vec() };
    Response { status, headers, body }
}

fn dechunk(mut rest: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    loop {
        let line_end = rest.windows(2).position(|w| w == b"\r\n").expect("a chunk size line");
        let size_text = std::str::from_utf8(&rest[..line_end]).expect("ASCII chunk size");
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
            .expect("a hexadecimal chunk size");
        rest = &rest[line_end + 2..];
        if size == 0 {
            return body;
        }
        body.extend_from_slice(&rest[..size]);
        rest = &rest[size + 2..];
    }
}

/// The claims of a JWT, read without verifying it.
pub fn claims(token: &str) -> Value {
    use base64::Engine as _;
    let payload = token.split('.').nth(1).expect("a JWT has a payload");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .expect("base64url payload");
    serde_json::from_slice(&bytes).expect("a JSON payload")
}

/// A token signed with `key`, carrying `claims`.
pub fn forge(key: &[u8], claims: &Value) -> String {
    use rbac_axum::jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
    encode(&Header::new(Algorithm::HS256), claims, &EncodingKey::from_secret(key))
        .expect("signing a test token")
}

/// A TLS client trusting only the PEM certificate(s) at `cert`.
pub fn tls_connector(cert: &Path) -> TlsConnector {
    let mut roots = RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(cert).expect("a PEM file") {
        roots.add(cert.expect("a PEM certificate")).expect("a usable certificate");
    }
    let provider = Arc::new(tokio_rustls::rustls::crypto::aws_lc_rs::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("TLS versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    TlsConnector::from(Arc::new(config))
}

/// Seconds since the Unix epoch.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| elapsed.as_secs() as i64)
        .expect("a clock after 1970")
}
