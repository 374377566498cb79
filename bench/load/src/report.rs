//! Figures and their presentation: latencies (µs, sorted once at the end)
//! and their percentiles, status histograms, failures, the server's
//! memory over time; as text tables and as JSON.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::{Value, json};

use crate::server::{ProcStatus, Sample};

/// Distinct failure messages kept per kind; further ones are only counted.
const KEPT_FAILURE_MESSAGES: usize = 8;

/// What one kind of request came to.
#[derive(Debug, Clone, Default)]
pub struct KindStats {
    /// Latency of every answered request, µs; sorted by [`KindStats::finish`].
    latencies_us: Vec<u32>,
    /// How many answers had each status.
    statuses: BTreeMap<u16, u64>,
    /// Requests without an answer, by message.
    failures: BTreeMap<String, u64>,
    /// Failures whose message was not kept.
    other_failures: u64,
    /// How often the connection had to be opened again after this kind
    /// of request (the server closed it, the request failed, or the
    /// generator closed it).
    closes_after: u64,
    /// Answers that said `Connection: close`.
    announced_closes: u64,
}

impl KindStats {
    /// An answer with `status` after `latency_us`; `announced_close` if it
    /// said `Connection: close`.
    pub fn answered(&mut self, status: u16, latency_us: u32, announced_close: bool) {
        self.latencies_us.push(latency_us);
        *self.statuses.entry(status).or_default() += 1;
        self.announced_closes += u64::from(announced_close);
    }

    /// A request that got no answer, for the reason `message`.
    pub fn failed(&mut self, message: String) {
        self.add_failures(message, 1);
    }

    /// `count` requests that got no answer, for the reason `message`.
    fn add_failures(&mut self, message: String, count: u64) {
        if self.failures.len() < KEPT_FAILURE_MESSAGES || self.failures.contains_key(&message) {
            *self.failures.entry(message).or_default() += count;
        } else {
            self.other_failures += count;
        }
    }

    /// The connection was found closed after a request of this kind.
    pub fn closed_after(&mut self) {
        self.closes_after += 1;
    }

    /// Adds `other`'s figures to these.
    pub fn merge(&mut self, other: KindStats) {
        self.latencies_us.extend(other.latencies_us);
        for (status, count) in other.statuses {
            *self.statuses.entry(status).or_default() += count;
        }
        for (message, count) in other.failures {
            self.add_failures(message, count);
        }
        self.other_failures += other.other_failures;
        self.closes_after += other.closes_after;
        self.announced_closes += other.announced_closes;
    }

    /// Sorts the latencies; call once, before reading percentiles.
    pub fn finish(&mut self) {
        self.latencies_us.sort_unstable();
    }

    /// Requests sent: answered and failed.
    pub fn requests(&self) -> u64 {
        self.latencies_us.len() as u64 + self.failure_count()
    }

    /// Requests that got no answer.
    pub fn failure_count(&self) -> u64 {
        self.failures.values().sum::<u64>() + self.other_failures
    }

    /// Answers whose status is not in `expected`.
    pub fn unexpected(&self, expected: &[u16]) -> u64 {
        self.statuses
            .iter()
            .filter(|(status, _)| !expected.contains(status))
            .map(|(_, count)| count)
            .sum()
    }

    /// The status histogram, `200:1234 429:5`.
    pub fn statuses_text(&self) -> String {
        let parts: Vec<String> =
            self.statuses.iter().map(|(status, count)| format!("{status}:{count}")).collect();
        if parts.is_empty() { "-".to_owned() } else { parts.join(" ") }
    }

    /// The latency percentiles; `None` without answers. Needs
    /// [`KindStats::finish`] first.
    pub fn percentiles(&self) -> Option<Percentiles> {
        Percentiles::of_sorted(&self.latencies_us)
    }

    /// Each failure message with its count, and the count of the rest.
    pub fn failures(&self) -> (impl Iterator<Item = (&str, u64)>, u64) {
        (self.failures.iter().map(|(m, c)| (m.as_str(), *c)), self.other_failures)
    }

    /// How often the connection was opened again after this kind.
    pub fn closes(&self) -> u64 {
        self.closes_after
    }

    /// How many answers said `Connection: close`.
    pub fn announced_closes(&self) -> u64 {
        self.announced_closes
    }

    /// These figures as JSON; `seconds` is the time the requests were
    /// sent over, for the rate.
    pub fn to_json(&self, expected: &[u16], seconds: f64) -> Value {
        let statuses: serde_json::Map<String, Value> = self
            .statuses
            .iter()
            .map(|(status, count)| (status.to_string(), json!(count)))
            .collect();
        let failures: serde_json::Map<String, Value> =
            self.failures.iter().map(|(message, count)| (message.clone(), json!(count))).collect();
        json!({
            "requests": self.requests(),
            "rps": self.requests() as f64 / seconds,
            "latency_us": self.percentiles().map(|p| p.to_json()),
            "statuses": statuses,
            "expected": expected,
            "unexpected": self.unexpected(expected),
            "failures": failures,
            "other_failures": self.other_failures,
            "closes_after": self.closes_after,
            "announced_closes": self.announced_closes,
        })
    }
}

/// Latency percentiles, µs, nearest-rank.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Percentiles {
    /// Median.
    pub p50: u32,
    /// 90th percentile.
    pub p90: u32,
    /// 99th percentile.
    pub p99: u32,
    /// 99.9th percentile.
    pub p999: u32,
    /// The slowest.
    pub max: u32,
}

impl Percentiles {
    /// The percentiles of `sorted` (ascending); `None` when empty.
    pub fn of_sorted(sorted: &[u32]) -> Option<Percentiles> {
        let last = *sorted.last()?;
        let at = |quantile: f64| {
            let rank = (quantile * sorted.len() as f64).ceil() as usize;
            sorted[rank.clamp(1, sorted.len()) - 1]
        };
        Some(Percentiles { p50: at(0.5), p90: at(0.9), p99: at(0.99), p999: at(0.999), max: last })
    }

    /// As JSON, µs.
    pub fn to_json(self) -> Value {
        json!({ "p50": self.p50, "p90": self.p90, "p99": self.p99, "p99.9": self.p999, "max": self.max })
    }
}

/// `us` as milliseconds for a table: 3 significant decimals below 10 ms.
pub fn ms(us: u32) -> String {
    let ms = f64::from(us) / 1000.0;
    if ms < 10.0 { format!("{ms:.3}") } else { format!("{ms:.1}") }
}

/// KiB as MiB, one decimal.
pub fn mib(kib: u64) -> String {
    format!("{:.1}", kib as f64 / 1024.0)
}

/// One row per kind: count, rate, latency percentiles (ms), statuses, and
/// what was unexpected. `rows` holds (name, expected statuses, figures).
pub fn kind_table(rows: &[(&str, &[u16], &KindStats)], seconds: f64) -> String {
    let mut text = format!(
        "{:<17} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9}  {:<24} {}\n",
        "kind",
        "count",
        "req/s",
        "p50 ms",
        "p90 ms",
        "p99 ms",
        "p99.9 ms",
        "max ms",
        "statuses",
        "unexpected"
    );
    for (name, expected, stats) in rows {
        let count = stats.requests();
        let (p50, p90, p99, p999, max) = match stats.percentiles() {
            Some(p) => (ms(p.p50), ms(p.p90), ms(p.p99), ms(p.p999), ms(p.max)),
            None => Default::default(),
        };
        let mut unexpected = Vec::new();
        let wrong = stats.unexpected(expected);
        if wrong > 0 {
            unexpected.push(format!("{wrong} status (expected {expected:?})"));
        }
        if stats.failure_count() > 0 {
            unexpected.push(format!("{} transport errors", stats.failure_count()));
        }
        let unexpected = if unexpected.is_empty() { "-".to_owned() } else { unexpected.join(", ") };
        let _ = writeln!(
            text,
            "{name:<17} {count:>9} {:>9.1} {p50:>9} {p90:>9} {p99:>9} {p999:>9} {max:>9}  {:<24} {unexpected}",
            count as f64 / seconds,
            stats.statuses_text(),
        );
    }
    text
}

/// The failures of each kind that had any, one line per message.
pub fn failure_lines(rows: &[(&str, &[u16], &KindStats)]) -> String {
    let mut text = String::new();
    for (name, _, stats) in rows {
        let (messages, others) = stats.failures();
        for (message, count) in messages {
            let _ = writeln!(text, "  {name}: {count}x {message}");
        }
        if others > 0 {
            let _ = writeln!(text, "  {name}: {others}x with other messages");
        }
    }
    text
}

/// The server's status every `every_s` seconds (the sample nearest each
/// multiple), then minimum and maximum of RSS and threads, and the last
/// peak (VmHWM).
pub fn memory_series(samples: &[Sample], every_s: u64) -> String {
    let Some(last) = samples.last() else {
        return "  (no samples)\n".to_owned();
    };
    let mut text =
        format!("  {:>6} {:>11} {:>11} {:>8}\n", "t (s)", "VmRSS MiB", "VmHWM MiB", "Threads");
    let mut next_second = 0;
    for (position, sample) in samples.iter().enumerate() {
        let second = (sample.at_ms + 500) / 1000;
        if second < next_second && position + 1 != samples.len() {
            continue;
        }
        next_second = (second / every_s + 1) * every_s;
        let ProcStatus { rss_kib, hwm_kib, threads } = sample.status;
        let _ = writeln!(
            text,
            "  {:>6.1} {:>11} {:>11} {threads:>8}",
            sample.at_ms as f64 / 1000.0,
            mib(rss_kib),
            mib(hwm_kib)
        );
    }
    let rss = samples.iter().map(|s| s.status.rss_kib);
    let threads = samples.iter().map(|s| s.status.threads);
    let _ = writeln!(
        text,
        "  VmRSS min {} max {} MiB; Threads min {} max {}; VmHWM {} MiB ({} samples)",
        mib(rss.clone().min().unwrap_or_default()),
        mib(rss.max().unwrap_or_default()),
        threads.clone().min().unwrap_or_default(),
        threads.max().unwrap_or_default(),
        mib(last.status.hwm_kib),
        samples.len()
    );
    text
}

/// A status reading as JSON, KiB.
pub fn status_json(status: &ProcStatus) -> Value {
    json!({ "vm_rss_kib": status.rss_kib, "vm_hwm_kib": status.hwm_kib, "threads": status.threads })
}

/// Every sample as JSON.
pub fn samples_json(samples: &[Sample]) -> Value {
    samples
        .iter()
        .map(|sample| {
            let mut value = status_json(&sample.status);
            value["t_ms"] = json!(sample.at_ms);
            value
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        let sorted: Vec<u32> = (1..=1000).collect();
        let p = Percentiles::of_sorted(&sorted).expect("not empty");
        assert_eq!((p.p50, p.p90, p.p99, p.p999, p.max), (500, 900, 990, 999, 1000));
        let one = Percentiles::of_sorted(&[7]).expect("not empty");
        assert_eq!((one.p50, one.p999, one.max), (7, 7, 7));
        assert_eq!(Percentiles::of_sorted(&[]), None);
    }

    #[test]
    fn unexpected_counts_statuses_outside_the_set() {
        let mut stats = KindStats::default();
        for status in [400, 400, 429, 503] {
            stats.answered(status, 10, false);
        }
        stats.failed("request: closed".to_owned());
        assert_eq!(stats.unexpected(&[400, 429]), 1);
        assert_eq!(stats.requests(), 5);
        assert_eq!(stats.statuses_text(), "400:2 429:1 503:1");
    }
}
