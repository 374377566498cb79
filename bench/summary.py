"""Summarises bench/http.sh results: medians over rounds, and the median of
per-round ratios to the bare handler of the same round (paired): `bare-rs256`
for the RS256 servers when it was run, `bare` otherwise."""
import csv
import statistics
import sys
from collections import defaultdict

path, clk_tck = sys.argv[1], int(sys.argv[2])
rows = list(csv.DictReader(open(path), delimiter="\t"))
by = defaultdict(list)
for r in rows:
    by[r["variant"]].append(r)
order = []
for r in rows:
    if r["variant"] not in order:
        order.append(r["variant"])
def cpu_per_request(r):
    return int(r["cpu_ticks"]) / clk_tck * 1e6 / int(r["requests"])


def baseline(variant):
    """The bare handler driven with the same token (header size)."""
    if "rs256" in variant and "bare-rs256" in by:
        return "bare-rs256"
    return "bare"


bare = {b: {r["round"]: float(r["rps"]) for r in by.get(b, [])} for b in ("bare", "bare-rs256")}
bare_cpu = {b: {r["round"]: cpu_per_request(r) for r in by.get(b, [])} for b in ("bare", "bare-rs256")}


def med(xs):
    return statistics.median(xs) if xs else float("nan")


print(f"rounds: {len({r['round'] for r in rows})}")
print()
print("| server | requests/s | × bare (paired) | p50 | p99 | server CPU per request | × bare CPU | server core busy |")
print("|---|---|---|---|---|---|---|---|")
for v in order:
    rs = by[v]
    base = baseline(v)
    rps = [float(r["rps"]) for r in rs]
    cpu = [cpu_per_request(r) for r in rs]
    busy = [int(r["cpu_ticks"]) / clk_tck / float(r["seconds"]) for r in rs]
    ratios = [float(r["rps"]) / bare[base][r["round"]] for r in rs if r["round"] in bare[base]]
    cpu_ratios = [c / bare_cpu[base][r["round"]] for r, c in zip(rs, cpu) if r["round"] in bare_cpu[base]]
    p50 = [float(r["p50"]) for r in rs]
    p99 = [float(r["p99"]) for r in rs]
    print(
        f"| {v} | {med(rps):,.0f} ({min(rps):,.0f}–{max(rps):,.0f}) "
        f"| {med(ratios):.2f} ({min(ratios, default=float('nan')):.2f}–{max(ratios, default=float('nan')):.2f}) "
        f"| {med(p50):.0f} µs | {med(p99):.0f} µs "
        f"| {med(cpu):.1f} µs | {med(cpu_ratios):.2f} | {med(busy):.0%} |"
    )
