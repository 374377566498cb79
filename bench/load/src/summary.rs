//! What each mode prints and writes as JSON, and the problems that make
//! the run fail: unexpected statuses, requests without an answer, a
//! server that died or was killed.

use std::fmt::Write as _;

use serde_json::{Value, json};

use crate::flood::{self, FloodOptions, FloodOutcome};
use crate::mix::{Kind, Pick};
use crate::report::{self, KindStats, mib, ms};
use crate::server::{ProcStatus, Sample};
use crate::soak::{SoakOptions, SoakOutcome};

/// A mode's summary: the text to print, the JSON to write, and what went
/// wrong (empty: the run passed).
#[derive(Debug)]
pub struct Summary {
    /// Human-readable figures.
    pub text: String,
    /// Every figure.
    pub json: Value,
    /// Why the run fails, one line each.
    pub problems: Vec<String>,
}

/// The soak's summary; `samples` are the server's status readings.
pub fn soak(options: &SoakOptions, outcome: &SoakOutcome, samples: &[Sample]) -> Summary {
    let seconds = outcome.elapsed.as_secs_f64();
    let rows: Vec<(&str, &[u16], &KindStats)> = Kind::ALL
        .iter()
        .map(|kind| (kind.name(), kind.expected(), &outcome.kinds[kind.index()]))
        .collect();
    let total: u64 = outcome.kinds.iter().map(KindStats::requests).sum();
    let failures: u64 = outcome.kinds.iter().map(KindStats::failure_count).sum();
    let last_bad = 1 + options.bad_addresses;

    let mut text = String::new();
    let _ = writeln!(
        text,
        "== soak: {} s asked, {seconds:.1} s from the first request to the last answer; {} \
         connections (closed loop), wrong-password logins from 127.0.0.2-127.0.0.{last_bad}",
        options.duration.as_secs_f64(),
        options.connections,
    );
    let _ = writeln!(
        text,
        "weights per pick (seed {}; `write` is POST /posts, then DELETE of that post):\n  {}",
        options.seed, options.weights
    );
    let _ = writeln!(
        text,
        "requests: {total} = {:.1} req/s; transport errors {failures}; reconnects {} (idle \
         connections reopened: {})",
        total as f64 / seconds,
        outcome.reconnects,
        outcome.idle_reopens
    );
    text.push_str(&report::kind_table(&rows, seconds));
    let closes: Vec<String> = rows
        .iter()
        .filter(|(_, _, stats)| stats.closes() > 0)
        .map(|(name, _, stats)| format!("{name} {}", stats.closes()))
        .collect();
    if !closes.is_empty() {
        let _ = writeln!(text, "connection opened again after: {}", closes.join(", "));
    }
    let too_large = &outcome.kinds[Kind::TooLarge.index()];
    let _ = writeln!(
        text,
        "too_large answers saying `Connection: close`: {} of {} (the generator never reuses the \
         connection after one: the server may close it unannounced)",
        too_large.announced_closes(),
        too_large.requests() - too_large.failure_count()
    );
    let failure_lines = report::failure_lines(&rows);
    if !failure_lines.is_empty() {
        let _ = write!(text, "transport errors:\n{failure_lines}");
    }
    let _ = writeln!(text, "kinds:");
    for kind in Kind::ALL {
        let _ = writeln!(text, "  {:<17} {} -> {:?}", kind.name(), kind.request(), kind.expected());
    }

    let problems = kind_problems(&rows);
    let kinds: serde_json::Map<String, Value> = rows
        .iter()
        .map(|(name, expected, stats)| (name.to_string(), stats.to_json(expected, seconds)))
        .collect();
    let weights: serde_json::Map<String, Value> = Pick::ALL
        .iter()
        .map(|pick| (pick.name().to_owned(), json!(options.weights.of(*pick))))
        .collect();
    let json = json!({
        "options": {
            "duration_s": options.duration.as_secs_f64(),
            "connections": options.connections,
            "bad_addresses": options.bad_addresses,
            "seed": options.seed,
            "weights": weights,
            "request_timeout_s": options.request_timeout.as_secs_f64(),
        },
        "elapsed_s": seconds,
        "requests": total,
        "rps": total as f64 / seconds,
        "transport_errors": failures,
        "reconnects": outcome.reconnects,
        "idle_reopens": outcome.idle_reopens,
        "kinds": kinds,
        "memory": memory_json(samples),
    });
    Summary { text, json, problems }
}

/// The flood's summary; `samples` are the server's status readings.
pub fn flood(options: &FloodOptions, outcome: &FloodOutcome, samples: &[Sample]) -> Summary {
    let expected = flood::expected();
    let mut text = String::new();
    let _ = writeln!(
        text,
        "== flood: {} rounds of {} concurrent POST /token as {} (right password, one connection \
         each), then {} s of rest",
        options.rounds,
        options.concurrency,
        options.user.username,
        options.settle.as_secs_f64()
    );
    let _ = writeln!(text, "at rest before round 1: {}", status_text(&outcome.resting));
    let _ = writeln!(
        text,
        "{:<6} {:>8} {:>9} {:>9} {:>9} {:>9}  {:<16} {:>10} {:>10} {:>8}  (after the round)",
        "round",
        "wall s",
        "p50 ms",
        "p90 ms",
        "p99 ms",
        "max ms",
        "statuses",
        "VmRSS MiB",
        "VmHWM MiB",
        "Threads"
    );
    let mut problems = Vec::new();
    let mut rounds_json = Vec::new();
    for (number, round) in (1..).zip(&outcome.rounds) {
        let (p50, p90, p99, max) = match round.logins.percentiles() {
            Some(p) => (ms(p.p50), ms(p.p90), ms(p.p99), ms(p.max)),
            None => Default::default(),
        };
        let (rss, hwm, threads) = match &round.after {
            Ok(status) => (mib(status.rss_kib), mib(status.hwm_kib), status.threads.to_string()),
            Err(_) => ("?".to_owned(), "?".to_owned(), "?".to_owned()),
        };
        let mut statuses = round.logins.statuses_text();
        if round.logins.failure_count() > 0 {
            let _ = write!(statuses, " no-answer:{}", round.logins.failure_count());
        }
        let _ = writeln!(
            text,
            "{number:<6} {:>8.2} {p50:>9} {p90:>9} {p99:>9} {max:>9}  {statuses:<16} {rss:>10} \
             {hwm:>10} {threads:>8}",
            round.wall.as_secs_f64()
        );
        let name = format!("round {number}");
        let rows: [(&str, &[u16], &KindStats); 1] = [(&name, expected, &round.logins)];
        problems.extend(kind_problems(&rows));
        let failure_lines = report::failure_lines(&rows);
        if !failure_lines.is_empty() {
            let _ = write!(text, "{failure_lines}");
        }
        let seconds = round.wall.as_secs_f64();
        rounds_json.push(json!({
            "round": number,
            "wall_s": seconds,
            "logins": round.logins.to_json(expected, seconds),
            "after": status_json(&round.after),
        }));
    }
    let _ = writeln!(
        text,
        "{} s after the last round: {}",
        options.settle.as_secs_f64(),
        status_text(&outcome.settled)
    );
    let json = json!({
        "options": {
            "rounds": options.rounds,
            "concurrency": options.concurrency,
            "settle_s": options.settle.as_secs_f64(),
            "user": options.user.username,
            "request_timeout_s": options.request_timeout.as_secs_f64(),
        },
        "resting": status_json(&outcome.resting),
        "rounds": rounds_json,
        "settled": status_json(&outcome.settled),
        "memory": memory_json(samples),
    });
    Summary { text, json, problems }
}

/// One line per kind with unexpected statuses or transport errors.
fn kind_problems(rows: &[(&str, &[u16], &KindStats)]) -> Vec<String> {
    let mut problems = Vec::new();
    for (name, expected, stats) in rows {
        let unexpected = stats.unexpected(expected);
        if unexpected > 0 {
            problems.push(format!(
                "{name}: {unexpected} unexpected statuses ({}; expected {expected:?})",
                stats.statuses_text()
            ));
        }
        if stats.failure_count() > 0 {
            problems.push(format!("{name}: {} requests without an answer", stats.failure_count()));
        }
    }
    problems
}

/// `VmRSS … MiB, VmHWM … MiB, Threads …`, or why there is no reading.
fn status_text(status: &Result<ProcStatus, String>) -> String {
    match status {
        Ok(status) => format!(
            "VmRSS {} MiB, VmHWM (peak) {} MiB, Threads {}",
            mib(status.rss_kib),
            mib(status.hwm_kib),
            status.threads
        ),
        Err(error) => format!("no reading ({error})"),
    }
}

/// A reading as JSON, or `null`.
fn status_json(status: &Result<ProcStatus, String>) -> Value {
    status.as_ref().map_or(Value::Null, report::status_json)
}

/// The samples and their extremes as JSON.
fn memory_json(samples: &[Sample]) -> Value {
    let rss = samples.iter().map(|s| s.status.rss_kib);
    let threads = samples.iter().map(|s| s.status.threads);
    json!({
        "vm_rss_kib_min": rss.clone().min(),
        "vm_rss_kib_max": rss.max(),
        "threads_min": threads.clone().min(),
        "threads_max": threads.max(),
        "vm_hwm_kib_last": samples.last().map(|s| s.status.hwm_kib),
        "samples": report::samples_json(samples),
    })
}
