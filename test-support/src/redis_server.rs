//! A `redis-server` for a test: its own process on a free loopback port
//! and its own directory, stopped (SIGSTOP), resumed, killed and restarted
//! on demand, and killed when dropped. Without `redis-server` on `PATH`
//! the test is skipped, loudly, unless `RBAC_REQUIRE_TOOLS` is set (CI),
//! when it fails (see [`require_tool`](crate::require_tool)).

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::process::{Child, Command};

/// How to install what the tests need.
const INSTALL: &str = "apt-get install redis-server";

/// Whether the server keeps an append-only file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Persistence {
    /// `--appendonly no`: a restart loses everything.
    None,
    /// `--appendonly yes --appendfsync always`: a restart keeps every
    /// acknowledged write.
    AppendOnly,
}

/// A `redis-server` on a free loopback port with its own directory; killed
/// when dropped (even when stopped).
pub struct RedisServer {
    program: PathBuf,
    port: u16,
    persistence: Persistence,
    dir: tempfile::TempDir,
    child: Option<Child>,
}

impl RedisServer {
    /// A server for `test`, or `None` when `redis-server` is not installed
    /// (the test is then skipped; see the module's documentation).
    pub async fn start(test: &str, persistence: Persistence) -> Option<Self> {
        let program = crate::require_tool(test, &["redis-server"], INSTALL)?;
        let dir = tempfile::tempdir().expect("a temporary directory");
        // The port is free when the kernel hands it out, but something may
        // take it before the server binds it: then try another.
        for _ in 0..10 {
            let port = free_port();
            let mut child = spawn(&program, port, persistence, dir.path());
            if wait_ready(port, &mut child).await {
                return Some(Self { program, port, persistence, dir, child: Some(child) });
            }
            let _ = child.kill().await;
        }
        panic!("redis-server did not start");
    }

    /// Its URL.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// Stops the process (SIGSTOP): it keeps its connections but answers
    /// nothing.
    pub fn stop(&self) {
        self.signal("-STOP");
    }

    /// Resumes a stopped process (SIGCONT).
    pub fn resume(&self) {
        self.signal("-CONT");
    }

    fn signal(&self, signal: &str) {
        let pid = self.child.as_ref().and_then(Child::id).expect("a running redis-server");
        let status = std::process::Command::new("kill")
            .args([signal, &pid.to_string()])
            .status()
            .expect("kill(1)");
        assert!(status.success(), "kill {signal} {pid}");
    }

    /// Kills the process (SIGKILL) and waits until it is gone; the port is
    /// closed until [`restart`](Self::restart).
    pub async fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.start_kill().expect("SIGKILL");
            child.wait().await.expect("the killed redis-server");
        }
    }

    /// Kills the process if it runs, then starts it again on the same port
    /// with the same directory (an append-only file there is loaded).
    pub async fn restart(&mut self) {
        self.kill().await;
        let mut child = spawn(&self.program, self.port, self.persistence, self.dir.path());
        assert!(wait_ready(self.port, &mut child).await, "redis-server restarted on its port");
        self.child = Some(child);
    }
}

/// A port the kernel just handed out, and released.
pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
    listener.local_addr().expect("its address").port()
}

fn spawn(program: &Path, port: u16, persistence: Persistence, dir: &Path) -> Child {
    let mut command = Command::new(program);
    command
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", ""])
        .args(["--daemonize", "no", "--loglevel", "warning"])
        .arg("--dir")
        .arg(dir);
    match persistence {
        Persistence::None => command.args(["--appendonly", "no"]),
        Persistence::AppendOnly => command.args(["--appendonly", "yes", "--appendfsync", "always"]),
    };
    command
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("redis-server runs")
}

/// Whether the server answers `PING` within 5 s (plain RESP over TCP) as
/// this `child` (its `process_id`, so that another server that took the
/// port cannot pass for it); not when it exited (its port taken, most
/// likely).
async fn wait_ready(port: u16, child: &mut Child) -> bool {
    let Some(pid) = child.id() else { return false };
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return false;
        }
        let answered = tokio::time::timeout(Duration::from_secs(1), answering_pid(port)).await;
        if let Ok(Some(answering)) = answered {
            return answering == pid;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    false
}

/// The process id of the server answering `PING` with `+PONG` on `port`:
/// `None` while it refuses connections or is still loading (`-LOADING`).
async fn answering_pid(port: u16) -> Option<u32> {
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port)).await.ok()?;
    stream.write_all(b"PING\r\nINFO server\r\n").await.ok()?;
    let mut reply = Vec::new();
    let mut buffer = [0_u8; 4096];
    loop {
        let read = stream.read(&mut buffer).await.ok()?;
        if read == 0 || reply.len() > 64 * 1024 {
            return None;
        }
        reply.extend_from_slice(&buffer[..read]);
        if reply.len() >= 7 && !reply.starts_with(b"+PONG\r\n") {
            return None;
        }
        let text = String::from_utf8_lossy(&reply);
        if let Some(rest) = text.split("\r\nprocess_id:").nth(1)
            && let Some((digits, _)) = rest.split_once("\r\n")
        {
            return digits.parse().ok();
        }
    }
}
