"""Summarises bench/backends.sh run directories (one or more, pooled):
per benchmark, the median
over processes of criterion's printed estimate (the slope of its linear
regression, else the mean); per algorithm, the median and range of the
rust_crypto / aws_lc_rs ratios, paired within one process (signature,
verifier+signature, where both backends run in every process) or within
one round (decode, where each process measures its installed backend)."""
import csv
import glob
import json
import os
import statistics
import sys
from collections import defaultdict

runs = sys.argv[1:]
ALGS = ["HS256", "RS256", "ES256", "EdDSA"]
KINDS = ["decode", "signature", "verifier+signature"]
BACKENDS = ["aws_lc_rs", "rust_crypto"]

# ((run, round), installed backend) -> full_id -> ns
results = defaultdict(dict)
for i, run in enumerate(runs):
    pattern = os.path.join(run, "round*-*", "**", "new", "benchmark.json")
    for bench in glob.glob(pattern, recursive=True):
        process = os.path.relpath(bench, run).split(os.sep)[0]
        round_, installed = process[len("round"):].split("-", 1)
        full_id = json.load(open(bench))["full_id"]
        est = json.load(open(os.path.join(os.path.dirname(bench), "estimates.json")))
        value = (est.get("slope") or est["mean"])["point_estimate"]
        results[((i, int(round_)), installed)][full_id] = value

if not results:
    sys.exit(f"no criterion results under {' '.join(runs)}")


def fmt(ns):
    if ns >= 1000:
        return f"{ns / 1000:.2f} µs"
    return f"{ns:.0f} ns"


def spread(values):
    med = statistics.median(values)
    if len(values) == 1:
        return fmt(med)
    return f"{fmt(med)} ({fmt(min(values))}–{fmt(max(values))})"


def ratio_text(ratios):
    med = statistics.median(ratios)
    if len(ratios) == 1:
        return f"{med:.2f}×"
    return f"{med:.2f}× ({min(ratios):.2f}–{max(ratios):.2f}, n={len(ratios)})"


rounds = sorted({r for r, _ in results})
print(f"processes: {len(results)} ({len(rounds)} rounds × 2 installed backends)\n")
print("| algorithm | benchmark | aws_lc_rs | rust_crypto | rust_crypto ÷ aws_lc_rs |")
print("|---|---|---|---|---|")
for alg in ALGS:
    for kind in KINDS:
        values = {b: [] for b in BACKENDS}
        ratios = []
        if kind == "decode":
            for r in rounds:
                pair = [results.get((r, b), {}).get(f"decode/{alg}/{b}") for b in BACKENDS]
                for b, v in zip(BACKENDS, pair):
                    if v is not None:
                        values[b].append(v)
                if None not in pair:
                    ratios.append(pair[1] / pair[0])
        else:
            for process in sorted(results):
                pair = [results[process].get(f"{kind}/{alg}/{b}") for b in BACKENDS]
                for b, v in zip(BACKENDS, pair):
                    if v is not None:
                        values[b].append(v)
                if None not in pair:
                    ratios.append(pair[1] / pair[0])
        if not any(values.values()):
            continue
        cells = [spread(values[b]) if values[b] else "" for b in BACKENDS]
        print(f"| {alg} | `{kind}` | {cells[0]} | {cells[1]} | {ratio_text(ratios) if ratios else ''} |")

print("\n| run | round | installed | load average at start (1, 5, 15 min) | at end |")
print("|---|---|---|---|---|")
for run in runs:
    load = os.path.join(run, "load.tsv")
    if os.path.exists(load):
        for row in csv.DictReader(open(load), delimiter="\t"):
            print(
                f"| {os.path.basename(run)} | {row['round']} | {row['backend']} "
                f"| {row['load_start']} | {row['load_end']} |"
            )
