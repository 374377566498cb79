//! `rbac-load`: a load and soak generator for the example service.
//!
//! It starts the example's release binary itself (plain HTTP on
//! `127.0.0.1:0`, a fresh data directory, address read from the start-up
//! banner), samples the server's `VmRSS`, `VmHWM` and `Threads` every
//! second, and runs one mode:
//!
//! * `soak`: a weighted mix of reads, writes, logins (good from 127.0.0.1,
//!   wrong passwords from 127.0.0.2 and up) and requests that must be
//!   refused, over many keep-alive connections; per kind the rate, latency
//!   percentiles and status histogram ([`soak`]);
//! * `flood`: rounds of concurrent logins, with the server's memory after
//!   each ([`flood`]).
//!
//! Every status outside a kind's expected set, every request without an
//! answer, and a server that dies or grows past the RSS limit fail the run
//! (exit 1). `bench/load.sh` builds and runs it; `--help` lists the
//! options.

mod cli;
mod client;
mod flood;
mod mix;
mod report;
mod server;
mod soak;
mod summary;

use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::json;

use crate::cli::{Args, Command, Mode};
use crate::mix::Requests;
use crate::server::{ExampleServer, Sampler, StopReport, cpus_allowed, load_average};
use crate::summary::Summary;

/// Seconds between the lines of the printed memory series.
const SERIES_EVERY_S: u64 = 5;

#[tokio::main]
async fn main() -> ExitCode {
    let args = match cli::parse(std::env::args().skip(1)) {
        Ok(Command::Help) => {
            print!("{}", cli::HELP);
            return ExitCode::SUCCESS;
        }
        Ok(Command::Run(args)) => args,
        Err(error) => {
            eprintln!("rbac-load: {error}");
            return ExitCode::from(2);
        }
    };
    match run(&args).await {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(error) => {
            eprintln!("rbac-load: {error}");
            ExitCode::FAILURE
        }
    }
}

/// Starts the server, runs the mode, stops the server, prints and writes
/// the figures; whether the run passed.
async fn run(args: &Args) -> Result<bool, String> {
    let load_before = load_average();
    let server = ExampleServer::start(&args.server).await?;
    let pid = server.pid();
    println!(
        "== rbac-load {}: server {} (pid {pid}) on http://{}; RUST_LOG={}",
        args.mode.name(),
        args.server.binary.display(),
        server.addr(),
        args.server.log_filter
    );
    let (server_cpus, generator_cpus) = (cpus_allowed(&pid.to_string()), cpus_allowed("self"));
    println!(
        "   server on CPUs {server_cpus}, generator on CPUs {generator_cpus}; load average \
         {load_before}"
    );

    let outcome = match &args.mode {
        Mode::Soak(options) => match soak::obtain_tokens(server.addr(), options.request_timeout)
            .await
            .and_then(|tokens| Requests::new(&server.addr().to_string(), tokens))
        {
            Ok(requests) => {
                let sampler = Sampler::start(pid, args.max_rss_kib);
                let outcome =
                    soak::run(server.addr(), requests, options, sampler.stopped_flag()).await;
                let (samples, stop_reason) = sampler.finish();
                Ok((summary::soak(options, &outcome, &samples), samples, stop_reason))
            }
            Err(error) => Err(format!("cannot get the demo users' tokens: {error}")),
        },
        Mode::Flood(options) => {
            let sampler = Sampler::start(pid, args.max_rss_kib);
            let outcome = flood::run(server.addr(), pid, options, sampler.stopped_flag()).await;
            let (samples, stop_reason) = sampler.finish();
            outcome
                .map(|outcome| (summary::flood(options, &outcome, &samples), samples, stop_reason))
        }
    };
    let stopped = server.stop().await;
    let load_after = load_average();
    let (Summary { mut text, json: mode_json, mut problems }, samples, stop_reason) = match outcome
    {
        Ok(outcome) => outcome,
        Err(error) => {
            print!("{}", stop_text(&stopped));
            return Err(error);
        }
    };

    let _ = std::fmt::Write::write_fmt(
        &mut text,
        format_args!(
            "server /proc/{pid}/status, every {SERIES_EVERY_S} s of the 1 s samples:\n{}",
            report::memory_series(&samples, SERIES_EVERY_S)
        ),
    );
    text.push_str(&stop_text(&stopped));
    if let Some(reason) = &stop_reason {
        problems.push(reason.clone());
    }
    if stopped.died_early && stop_reason.is_none() {
        problems.push(format!("the server exited during the run: {}", stopped.exit));
    }
    text.push_str(&format!("load average before {load_before}, after {load_after}\n"));
    if problems.is_empty() {
        text.push_str("RESULT: OK (every status as expected, every request answered)\n");
    } else {
        text.push_str(&format!("RESULT: FAILED\n  {}\n", problems.join("\n  ")));
    }
    print!("{text}");

    if let Some(path) = &args.json {
        let document = json!({
            "mode": args.mode.name(),
            "unix_time": SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs()),
            "server": {
                "binary": args.server.binary.display().to_string(),
                "pid": pid,
                "cpus": server_cpus,
                "rust_log": args.server.log_filter,
                "env": args.server.env.iter().map(|(n, v)| format!("{n}={v}")).collect::<Vec<_>>(),
                "exit": stopped.exit,
                "killed_after_sigterm": stopped.killed,
                "log_warn_lines": stopped.warn_lines,
                "log_error_lines": stopped.error_lines,
                "log_first_lines": stopped.first_lines,
            },
            "generator_cpus": generator_cpus,
            "max_rss_kib": args.max_rss_kib,
            "load_average_before": load_before,
            "load_average_after": load_after,
            "results": mode_json,
            "problems": problems,
            "ok": problems.is_empty(),
        });
        let bytes = serde_json::to_vec_pretty(&document).map_err(|error| error.to_string())?;
        std::fs::write(path, bytes)
            .map_err(|error| format!("cannot write {}: {error}", path.display()))?;
        println!("figures written to {}", path.display());
    }
    Ok(problems.is_empty())
}

/// How the server stopped and what it logged at WARN and ERROR.
fn stop_text(stopped: &StopReport) -> String {
    let mut text = format!(
        "server stopped{}: {}; its log: {} WARN, {} ERROR lines\n",
        if stopped.killed { " (killed: SIGTERM was not enough in 10 s)" } else { "" },
        stopped.exit,
        stopped.warn_lines,
        stopped.error_lines
    );
    for line in &stopped.first_lines {
        text.push_str(&format!("  | {line}\n"));
    }
    if let Some(log) = &stopped.kept_log {
        text.push_str(&format!("  log kept at {}\n", log.display()));
    }
    text
}
