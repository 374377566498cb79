//! What every end-to-end test needs: the real service started on
//! `127.0.0.1:0` over a temporary data directory, spoken to over a plain
//! socket or TLS with the raw HTTP/1.1 client of `rbac-test-support`, so
//! that what is tested is what a client on the network sees.

#![allow(dead_code, unreachable_pub)] // each test binary uses a part

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rbac_example::{Config, Server};
use rbac_test_support::{Request, Response, exchange};
use serde_json::Value;
use tokio::net::{TcpSocket, TcpStream};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio_rustls::TlsConnector;
use tokio_rustls::rustls::pki_types::pem::PemObject as _;
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName};
use tokio_rustls::rustls::{ClientConfig, RootCertStore};

/// A connection to `addr` from the local address `source`.
pub async fn connect_from(source: IpAddr, addr: SocketAddr) -> TcpStream {
    let socket = TcpSocket::new_v4().expect("a socket");
    socket.bind(SocketAddr::new(source, 0)).expect("bind the source address");
    socket.connect(addr).await.expect("connect to the test server")
}

/// `POST /token` to the server at `addr` with these form fields, from the
/// local address `source`; without borrowing a [`TestServer`], for tasks.
pub async fn token_request_at(
    addr: SocketAddr,
    source: IpAddr,
    fields: &[(&str, &str)],
) -> Response {
    let request = {
        // Not `Send`: gone before the first await.
        let mut form = form_urlencoded::Serializer::new(String::new());
        for (name, value) in fields {
            form.append_pair(name, value);
        }
        Request::post("/token")
            .body("application/x-www-form-urlencoded", form.finish())
            .to_bytes(&addr.to_string())
    };
    exchange(connect_from(source, addr).await, &request).await
}

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
    pub async fn send(&self, request: Request) -> Response {
        let stream = TcpStream::connect(self.addr).await.expect("connect");
        match &self.tls {
            None => exchange(stream, &request.to_bytes(&self.addr.to_string())).await,
            Some(connector) => {
                let name = ServerName::try_from("localhost").expect("a DNS name");
                let stream = connector.connect(name, stream).await.expect("TLS handshake");
                let host = format!("localhost:{}", self.addr.port());
                exchange(stream, &request.to_bytes(&host)).await
            }
        }
    }

    /// `GET path` with an optional bearer token.
    pub async fn get(&self, path: &str, token: Option<&str>) -> Response {
        let request = Request::get(path);
        self.send(match token {
            Some(token) => request.bearer(token),
            None => request,
        })
        .await
    }

    /// `DELETE path` with a bearer token.
    pub async fn delete(&self, path: &str, token: &str) -> Response {
        self.send(Request::new("DELETE", path).bearer(token)).await
    }

    /// `method path` with a JSON body and a bearer token.
    pub async fn json(&self, method: &str, path: &str, token: &str, body: Value) -> Response {
        self.send(Request::new(method, path).bearer(token).json(&body)).await
    }

    /// `POST /token` with these form fields.
    pub async fn token_request(&self, fields: &[(&str, &str)]) -> Response {
        let mut form = form_urlencoded::Serializer::new(String::new());
        for (name, value) in fields {
            form.append_pair(name, value);
        }
        let body = form.finish();
        self.send(Request::post("/token").body("application/x-www-form-urlencoded", body)).await
    }

    /// `POST /token` with these form fields, from the local address
    /// `source` (any of 127.0.0.0/8 on Linux): a client on another address.
    pub async fn token_request_from(&self, source: IpAddr, fields: &[(&str, &str)]) -> Response {
        token_request_at(self.addr, source, fields).await
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
