//! The command line: the mode, the server to start and how, and each
//! mode's settings, with their defaults and `--help`.

use std::path::PathBuf;
use std::time::Duration;

use crate::flood::FloodOptions;
use crate::mix::{DEMO_USERS, Weights};
use crate::server::ServerOptions;
use crate::soak::SoakOptions;

/// What `--help` prints.
pub const HELP: &str = "\
rbac-load: load and soak generator for rbac-example (plain HTTP).

Starts the example's release binary on 127.0.0.1:0 with a fresh data
directory, reads its banner for the address, then runs one mode:

  soak   a weighted mix of requests over many keep-alive connections, for a
         while; every kind has the statuses it may get, any other is
         counted as unexpected
  flood  rounds of concurrent POST /token (good password), each request on
         its own connection; the server's memory after each round and
         after a pause

Exits 1 if any status was unexpected, any request got no answer, or the
server died or was killed; 2 for a usage error.

usage: rbac-load [soak|flood] [options]

common:
  --server PATH            the rbac-example binary (default: $RBAC_LOAD_SERVER)
  --server-cpus LIST       pin the server with `taskset -c LIST`
                           (default: $RBAC_LOAD_SERVER_CPUS; unset: not pinned)
  --server-env NAME=VALUE  another variable for the server (repeatable)
  --server-log FILTER      the server's RUST_LOG (default: warn)
  --max-rss-mib N          kill the server and fail when its VmRSS is over N MiB
                           (default: 12288)
  --timeout SECS           longest wait for one answer (default: 60)
  --json FILE              also write every figure to FILE as JSON
  --keep-files             keep the server's data directory and log

soak (the default mode):
  --duration SECS          how long to send (default: 60)
  --connections N          connections, one task each (default: 256)
  --bad-addresses N        source addresses of wrong-password logins,
                           127.0.0.2 up (default: 16)
  --weights NAME=N,...     weights of the picks, replacing the defaults named:
                           get_posts=300 get_me=300 write=150 login_good=5
                           login_bad=20 no_token=75 viewer_on_editor=75
                           too_large=75 (`write` is POST /posts, then DELETE
                           of that post)
  --seed N                 seed of the picks (default: 1)

flood:
  --rounds N               rounds (default: 4)
  --concurrency N          logins per round, all at once, one connection
                           each (default: 200)
  --settle SECS            wait after the last round before the final
                           reading (default: 12)
  --user NAME              the demo user logging in: alice, bob, carol
                           (default: bob)
";

/// Which load to run.
#[derive(Debug, Clone)]
pub enum Mode {
    /// The weighted mix.
    Soak(SoakOptions),
    /// Rounds of concurrent logins.
    Flood(FloodOptions),
}

impl Mode {
    /// The mode's name.
    pub fn name(&self) -> &'static str {
        match self {
            Mode::Soak(_) => "soak",
            Mode::Flood(_) => "flood",
        }
    }
}

/// Everything the command line says.
#[derive(Debug, Clone)]
pub struct Args {
    /// The mode and its settings.
    pub mode: Mode,
    /// How to start the server.
    pub server: ServerOptions,
    /// The server's VmRSS limit, KiB.
    pub max_rss_kib: u64,
    /// Where to write the JSON, if anywhere.
    pub json: Option<PathBuf>,
}

/// What the command line asks for.
#[derive(Debug)]
pub enum Command {
    /// Print [`HELP`].
    Help,
    /// Run.
    Run(Box<Args>),
}

/// Options of one mode only, and that mode.
const MODE_OPTIONS: &[(&str, &str)] = &[
    ("--duration", "soak"),
    ("--connections", "soak"),
    ("--bad-addresses", "soak"),
    ("--weights", "soak"),
    ("--seed", "soak"),
    ("--rounds", "flood"),
    ("--concurrency", "flood"),
    ("--settle", "flood"),
    ("--user", "flood"),
];

/// Parses the arguments after the program name.
pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Command, String> {
    let mut args = args.into_iter().peekable();
    let mode = match args.peek().map(String::as_str) {
        Some("soak" | "flood") => args.next().unwrap_or_default(),
        _ => "soak".to_owned(),
    };

    let mut server = ServerOptions {
        binary: std::env::var_os("RBAC_LOAD_SERVER").map(PathBuf::from).unwrap_or_default(),
        cpus: std::env::var("RBAC_LOAD_SERVER_CPUS").ok().filter(|cpus| !cpus.trim().is_empty()),
        log_filter: "warn".to_owned(),
        env: Vec::new(),
        keep_files: false,
    };
    let mut max_rss_mib: u64 = 12 * 1024;
    let mut timeout = Duration::from_secs(60);
    let mut json = None;
    let mut soak = SoakOptions::default();
    let mut flood = FloodOptions::default();

    while let Some(arg) = args.next() {
        let (name, inline) = match arg.split_once('=') {
            Some((name, value)) if name.starts_with("--") => {
                (name.to_owned(), Some(value.to_owned()))
            }
            _ => (arg.clone(), None),
        };
        if name == "--help" || name == "-h" {
            return Ok(Command::Help);
        }
        if name == "--keep-files" {
            server.keep_files = true;
            continue;
        }
        if let Some((_, only)) = MODE_OPTIONS.iter().find(|(option, _)| *option == name)
            && *only != mode
        {
            return Err(format!("{name} is an option of {only} only"));
        }
        let value = match inline {
            Some(value) => value,
            None => args.next().ok_or_else(|| format!("{name} needs a value"))?,
        };
        match name.as_str() {
            "--server" => server.binary = PathBuf::from(value),
            "--server-cpus" => server.cpus = Some(value).filter(|cpus| !cpus.trim().is_empty()),
            "--server-env" => {
                let (var, val) = value.split_once('=').ok_or("--server-env needs NAME=VALUE")?;
                server.env.push((var.to_owned(), val.to_owned()));
            }
            "--server-log" => server.log_filter = value,
            "--max-rss-mib" => max_rss_mib = number(&name, &value)?,
            "--timeout" => timeout = seconds(&name, &value)?,
            "--json" => json = Some(PathBuf::from(value)),
            "--duration" => soak.duration = seconds(&name, &value)?,
            "--connections" => soak.connections = positive(&name, &value)?,
            "--bad-addresses" => {
                soak.bad_addresses = positive(&name, &value)?;
                if soak.bad_addresses > 250 {
                    return Err("--bad-addresses: at most 250 (127.0.0.2 to 127.0.0.251)".into());
                }
            }
            "--weights" => soak.weights = Weights::parse(&value)?,
            "--seed" => soak.seed = number(&name, &value)?,
            "--rounds" => flood.rounds = positive(&name, &value)?,
            "--concurrency" => flood.concurrency = positive(&name, &value)?,
            "--settle" => flood.settle = seconds(&name, &value)?,
            "--user" => {
                flood.user = DEMO_USERS
                    .into_iter()
                    .find(|user| user.username == value)
                    .ok_or_else(|| format!("--user: no demo user {value:?}"))?;
            }
            _ => return Err(format!("unknown argument {name:?}; see --help")),
        }
    }

    if server.binary.as_os_str().is_empty() {
        return Err("no server binary: give --server PATH or set RBAC_LOAD_SERVER".to_owned());
    }
    soak.request_timeout = timeout;
    flood.request_timeout = timeout;
    let mode = if mode == "flood" { Mode::Flood(flood) } else { Mode::Soak(soak) };
    Ok(Command::Run(Box::new(Args { mode, server, max_rss_kib: max_rss_mib * 1024, json })))
}

/// `value` as a number.
fn number<T: std::str::FromStr>(name: &str, value: &str) -> Result<T, String>
where
    T::Err: std::fmt::Display,
{
    value.trim().parse().map_err(|error| format!("{name} {value:?}: {error}"))
}

/// `value` as a number above zero.
fn positive(name: &str, value: &str) -> Result<usize, String> {
    match number(name, value)? {
        0 => Err(format!("{name}: must be above zero")),
        n => Ok(n),
    }
}

/// `value` as seconds (a decimal number above zero).
fn seconds(name: &str, value: &str) -> Result<Duration, String> {
    let seconds: f64 = number(name, value)?;
    Duration::try_from_secs_f64(seconds)
        .ok()
        .filter(|duration| !duration.is_zero())
        .ok_or_else(|| format!("{name}: {value} is not a positive number of seconds"))
}
