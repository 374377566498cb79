//! The server under load: the example's release binary, started on
//! `127.0.0.1:0` with a fresh data directory, its address read from its
//! start-up banner; its memory and threads read from `/proc/<pid>/status`
//! every second; stopped with SIGTERM at the end.

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use tokio::io::{AsyncBufReadExt as _, AsyncRead, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// The banner line that names the bound address (`examples/src/demo.rs`).
const BANNER: &str = "rbac-example is listening on ";

/// How long start-up may take, banner included.
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// How long the server has to stop after SIGTERM before it is killed.
const STOP_TIMEOUT: Duration = Duration::from_secs(10);

/// Log lines at WARN or ERROR kept for the report.
const KEPT_LOG_LINES: usize = 10;

/// How to start the server.
#[derive(Debug, Clone)]
pub struct ServerOptions {
    /// The `rbac-example` binary (a release build).
    pub binary: PathBuf,
    /// CPUs to pin it to (`taskset -c`), if any.
    pub cpus: Option<String>,
    /// Its `RUST_LOG`.
    pub log_filter: String,
    /// Further environment variables (`NAME=value`), set after the
    /// generator's own, so that they win.
    pub env: Vec<(String, String)>,
    /// Keep the data directory and the log after stopping.
    pub keep_files: bool,
}

/// The running server.
#[derive(Debug)]
pub struct ExampleServer {
    child: Child,
    pid: u32,
    addr: SocketAddr,
    work_dir: PathBuf,
    log_path: PathBuf,
    keep_files: bool,
    log_tasks: Vec<JoinHandle<()>>,
}

/// How the server ended, and what it logged at WARN or above.
#[derive(Debug)]
pub struct StopReport {
    /// Its exit status, as the OS tells it.
    pub exit: String,
    /// Whether it had exited before it was asked to stop.
    pub died_early: bool,
    /// Whether SIGTERM was not enough and it was killed.
    pub killed: bool,
    /// Log lines at WARN.
    pub warn_lines: usize,
    /// Log lines at ERROR.
    pub error_lines: usize,
    /// The first WARN or ERROR lines.
    pub first_lines: Vec<String>,
    /// The log file, when kept.
    pub kept_log: Option<PathBuf>,
}

impl ExampleServer {
    /// Starts the server and waits for its banner.
    pub async fn start(options: &ServerOptions) -> Result<ExampleServer, String> {
        let work_dir = fresh_work_dir()?;
        let data_dir = work_dir.join("data");
        let log_path = work_dir.join("server.log");
        let log = std::fs::File::create(&log_path)
            .map_err(|error| format!("cannot create {}: {error}", log_path.display()))?;
        let log = Arc::new(Mutex::new(log));

        let mut command = match &options.cpus {
            Some(cpus) => {
                let mut command = Command::new("taskset");
                command.arg("-c").arg(cpus).arg(&options.binary);
                command
            }
            None => Command::new(&options.binary),
        };
        // Nothing of the caller's configuration leaks in (TLS, trust...).
        for (name, _) in std::env::vars_os() {
            if name.to_string_lossy().starts_with("RBAC_EXAMPLE_") {
                command.env_remove(name);
            }
        }
        command
            .env("RBAC_EXAMPLE_ADDR", "127.0.0.1:0")
            .env("RBAC_EXAMPLE_DATA_DIR", &data_dir)
            // Longest allowed: tokens taken at start outlive any run.
            .env("RBAC_EXAMPLE_TOKEN_TTL_SECS", "86400")
            .env("RBAC_EXAMPLE_DEMO_TOKENS", "false")
            .env("RUST_LOG", &options.log_filter)
            .env("NO_COLOR", "1")
            .envs(options.env.iter().map(|(name, value)| (name, value)))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let mut child = command
            .spawn()
            .map_err(|error| format!("cannot start {}: {error}", options.binary.display()))?;
        let pid = child.id().ok_or("the server exited at once")?;

        let (banner_tx, banner_rx) = oneshot::channel();
        let stdout = child.stdout.take().ok_or("no stdout pipe")?;
        let stderr = child.stderr.take().ok_or("no stderr pipe")?;
        let log_tasks = vec![
            tokio::spawn(copy_lines(stdout, Arc::clone(&log), Some(banner_tx))),
            tokio::spawn(copy_lines(stderr, log, None)),
        ];
        let mut server = ExampleServer {
            child,
            pid,
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            work_dir,
            log_path,
            keep_files: options.keep_files,
            log_tasks,
        };
        let banner = tokio::time::timeout(START_TIMEOUT, banner_rx).await;
        let line = match banner {
            Ok(Ok(line)) => line,
            Ok(Err(_)) => {
                // stdout closed without a banner: the server has exited.
                let status = server.child.wait().await.map(|s| s.to_string());
                let tail = server.log_tail();
                server.remove_files();
                return Err(format!(
                    "the server exited before its banner ({}); its output:\n{tail}",
                    status.unwrap_or_else(|error| error.to_string())
                ));
            }
            Err(_) => {
                let tail = server.log_tail();
                return Err(format!(
                    "no banner within {} s; the server's output:\n{tail}",
                    START_TIMEOUT.as_secs()
                ));
            }
        };
        server.addr = parse_banner(&line)?;
        Ok(server)
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// Stops the server (SIGTERM, then SIGKILL after [`STOP_TIMEOUT`]),
    /// reads what it logged at WARN and ERROR, and removes its files
    /// unless they are to be kept.
    pub async fn stop(mut self) -> StopReport {
        let early = self.child.try_wait().ok().flatten();
        let mut killed = false;
        let status = match early {
            Some(status) => Ok(status),
            None => {
                signal(self.pid, "TERM");
                match tokio::time::timeout(STOP_TIMEOUT, self.child.wait()).await {
                    Ok(status) => status,
                    Err(_) => {
                        killed = true;
                        let _ = self.child.kill().await;
                        self.child.wait().await
                    }
                }
            }
        };
        for task in self.log_tasks.drain(..) {
            let _ = task.await;
        }
        let (warn_lines, error_lines, first_lines) = scan_log(&self.log_path);
        let kept_log = self.keep_files.then(|| self.log_path.clone());
        self.remove_files();
        StopReport {
            exit: status.map_or_else(|error| format!("unknown ({error})"), |s| s.to_string()),
            died_early: early.is_some(),
            killed,
            warn_lines,
            error_lines,
            first_lines,
            kept_log,
        }
    }

    /// The last lines of the log, for start-up errors.
    fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log_path).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }

    /// Removes the data directory and log unless they are to be kept.
    fn remove_files(&self) {
        if !self.keep_files {
            let _ = std::fs::remove_dir_all(&self.work_dir);
        }
    }
}

/// A new directory for one run's data and log, under the system's
/// temporary directory, readable by its owner only.
fn fresh_work_dir() -> Result<PathBuf, String> {
    use std::os::unix::fs::DirBuilderExt as _;
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    let dir = std::env::temp_dir().join(format!("rbac-load-{}-{nanos}", std::process::id()));
    std::fs::DirBuilder::new()
        .mode(0o700)
        .create(&dir)
        .map_err(|error| format!("cannot create {}: {error}", dir.display()))?;
    Ok(dir)
}

/// Copies `stream`'s lines to `log`; the first banner line is also sent
/// to `banner` (dropped unsent if the stream ends first).
async fn copy_lines(
    stream: impl AsyncRead + Unpin,
    log: Arc<Mutex<std::fs::File>>,
    mut banner: Option<oneshot::Sender<String>>,
) {
    let mut lines = BufReader::new(stream).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        if line.contains(BANNER)
            && let Some(banner) = banner.take()
        {
            let _ = banner.send(line.clone());
        }
        let mut log = log.lock().unwrap_or_else(PoisonError::into_inner);
        let _ = writeln!(log, "{line}");
    }
}

/// The address in the banner line `http://ip:port`.
fn parse_banner(line: &str) -> Result<SocketAddr, String> {
    let url = line.split(BANNER).nth(1).unwrap_or_default().trim();
    let Some(authority) = url.strip_prefix("http://") else {
        return Err(format!("the server does not serve plain HTTP: {url:?}"));
    };
    authority.parse().map_err(|error| format!("banner address {authority:?}: {error}"))
}

/// Sends `SIGname` to `pid` with `kill(1)`.
fn signal(pid: u32, name: &str) {
    let _ = std::process::Command::new("kill")
        .arg(format!("-{name}"))
        .arg(pid.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// Counts the log's WARN and ERROR lines and keeps the first few.
fn scan_log(path: &Path) -> (usize, usize, Vec<String>) {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let (mut warn, mut error, mut first) = (0, 0, Vec::new());
    for line in text.lines() {
        let level = line.split_whitespace().nth(1).unwrap_or_default();
        match level {
            "WARN" => warn += 1,
            "ERROR" => error += 1,
            _ => continue,
        }
        if first.len() < KEPT_LOG_LINES {
            first.push(line.to_owned());
        }
    }
    (warn, error, first)
}

/// What `/proc/<pid>/status` says of the server's memory and threads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcStatus {
    /// Resident set size, KiB (`VmRSS`).
    pub rss_kib: u64,
    /// Peak resident set size, KiB (`VmHWM`).
    pub hwm_kib: u64,
    /// Threads (`Threads`).
    pub threads: u64,
}

/// Reads `/proc/<pid>/status`.
pub fn read_status(pid: u32) -> Result<ProcStatus, String> {
    let path = format!("/proc/{pid}/status");
    let text = std::fs::read_to_string(&path).map_err(|error| format!("{path}: {error}"))?;
    let field = |name: &str| -> Result<u64, String> {
        text.lines()
            .find_map(|line| line.strip_prefix(name)?.strip_prefix(':'))
            .and_then(|value| value.split_whitespace().next()?.parse().ok())
            .ok_or_else(|| format!("{path}: no {name}"))
    };
    Ok(ProcStatus {
        rss_kib: field("VmRSS")?,
        hwm_kib: field("VmHWM")?,
        threads: field("Threads")?,
    })
}

/// One reading of [`ProcStatus`], `at_ms` after sampling started.
#[derive(Debug, Clone, Copy)]
pub struct Sample {
    /// Milliseconds since the sampler started.
    pub at_ms: u64,
    /// The reading.
    pub status: ProcStatus,
}

/// Reads the server's status every second in the background, and kills
/// the server if its RSS goes over a limit (so that a runaway server
/// cannot exhaust the machine) or notices that it has gone.
#[derive(Debug)]
pub struct Sampler {
    samples: Arc<Mutex<Vec<Sample>>>,
    stop_reason: Arc<Mutex<Option<String>>>,
    stopped: Arc<AtomicBool>,
    task: JoinHandle<()>,
}

impl Sampler {
    /// Starts sampling `pid` now; over `max_rss_kib` the server is killed.
    pub fn start(pid: u32, max_rss_kib: u64) -> Sampler {
        let samples = Arc::new(Mutex::new(Vec::new()));
        let stop_reason = Arc::new(Mutex::new(None));
        let stopped = Arc::new(AtomicBool::new(false));
        let started = Instant::now();
        let task = tokio::spawn({
            let (samples, stop_reason, stopped) =
                (Arc::clone(&samples), Arc::clone(&stop_reason), Arc::clone(&stopped));
            async move {
                let mut tick = tokio::time::interval(Duration::from_secs(1));
                tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                loop {
                    tick.tick().await;
                    let at_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
                    let reason = match read_status(pid) {
                        Ok(status) => {
                            samples
                                .lock()
                                .unwrap_or_else(PoisonError::into_inner)
                                .push(Sample { at_ms, status });
                            if status.rss_kib <= max_rss_kib {
                                continue;
                            }
                            // Raised first: failures from here on are the kill's.
                            stopped.store(true, Ordering::SeqCst);
                            signal(pid, "KILL");
                            format!(
                                "server killed: VmRSS {} MiB over the limit of {} MiB",
                                status.rss_kib / 1024,
                                max_rss_kib / 1024
                            )
                        }
                        Err(error) => format!("the server is gone ({error})"),
                    };
                    eprintln!("!! {reason}");
                    *stop_reason.lock().unwrap_or_else(PoisonError::into_inner) = Some(reason);
                    stopped.store(true, Ordering::SeqCst);
                    return;
                }
            }
        });
        Sampler { samples, stop_reason, stopped, task }
    }

    /// A flag that turns true when the server was killed or has gone:
    /// load should stop.
    pub fn stopped_flag(&self) -> Arc<AtomicBool> {
        Arc::clone(&self.stopped)
    }

    /// Stops sampling; the samples taken, and why the server was stopped
    /// or lost, if it was.
    pub fn finish(self) -> (Vec<Sample>, Option<String>) {
        self.task.abort();
        let samples =
            std::mem::take(&mut *self.samples.lock().unwrap_or_else(PoisonError::into_inner));
        let reason = self.stop_reason.lock().unwrap_or_else(PoisonError::into_inner).take();
        (samples, reason)
    }
}

/// The CPUs a process may run on (`Cpus_allowed_list` of
/// `/proc/<pid>/status`; `self` for this process).
pub fn cpus_allowed(pid: &str) -> String {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|text| {
            text.lines()
                .find_map(|line| line.strip_prefix("Cpus_allowed_list:"))
                .map(|list| list.trim().to_owned())
        })
        .unwrap_or_else(|| "?".to_owned())
}

/// The machine's load averages over 1, 5 and 15 minutes (`/proc/loadavg`).
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|text| text.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".to_owned())
}
