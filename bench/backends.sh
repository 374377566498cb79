#!/usr/bin/env bash
# jsonwebtoken's crypto backends, aws_lc_rs vs rust_crypto, one
# command:
#
#   bench/backends.sh
#
# Builds bench/backends (a separate workspace with its own lock file, so
# rust_crypto's dependencies stay out of the main workspace; target dir
# bench/target), waits until the 1-minute load average is below MAX_LOAD,
# then runs rounds. Each round runs the criterion binary twice, once with
# each backend installed as jsonwebtoken's process-wide provider
# (JWT_BACKEND), in an order alternating from round to round:
#   decode/<alg>/<installed backend>     jsonwebtoken::decode
#   signature/<alg>/<both backends>      the provider's verifier, built once
#   verifier+signature/<alg>/<both>      verifier built and used per call
# for HS256, RS256 (2048-bit), ES256 and EdDSA. The summary gives, per
# benchmark, the median over processes of criterion's mean estimate and the
# median (and range) of the rust_crypto ÷ aws_lc_rs ratios paired within a
# process (signature, verifier+signature) or within a round (decode).
#
# Environment (defaults): ROUNDS=2 WARMUP=1 MEASURE=3 (s per benchmark)
# MAX_LOAD=0.7 (1-min load average to wait for) MAX_WAIT=1800 (s; then
# measure anyway, the loads are in the summary).
set -euo pipefail
cd "$(dirname "$0")"
BENCH=$PWD

ROUNDS=${ROUNDS:-2}
WARMUP=${WARMUP:-1}
MEASURE=${MEASURE:-3}
MAX_LOAD=${MAX_LOAD:-0.7}
MAX_WAIT=${MAX_WAIT:-1800}

echo "== building (bench profile)"
export CARGO_TARGET_DIR=$BENCH/target
BIN=$(cargo bench --locked --no-run --manifest-path backends/Cargo.toml --message-format=json \
    | python3 -c '
import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "backends" and m.get("executable"):
        print(m["executable"])')
[ -x "$BIN" ] || { echo "bench binary not found" >&2; exit 1; }

RUN=$BENCH/run/backends-$(date +%Y%m%d-%H%M%S)
mkdir -p "$RUN"
{
    echo "rustc: $(rustc --version)"
    echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), nproc $(nproc)"
} | tee "$RUN/machine.txt"

load1() { cut -d' ' -f1 /proc/loadavg; }
waited=0
while awk -v l="$(load1)" -v m="$MAX_LOAD" 'BEGIN { exit !(l >= m) }'; do
    if [ "$waited" -ge "$MAX_WAIT" ]; then
        # The ratios, paired within a process or a round, are what this
        # benchmark is for and stand up to load; the loads are reported.
        echo "!! load average $(load1) still >= $MAX_LOAD after ${MAX_WAIT}s: measuring anyway"
        break
    fi
    echo "   load average $(load1) >= $MAX_LOAD: waiting"
    sleep 20
    waited=$((waited + 20))
done

printf 'round\tbackend\tload_start\tload_end\n' >"$RUN/load.tsv"
echo "== load before measuring: $(cat /proc/loadavg)" | tee "$RUN/load.txt"
for round in $(seq "$ROUNDS"); do
    if [ $((round % 2)) = 1 ]; then order="aws_lc_rs rust_crypto"; else order="rust_crypto aws_lc_rs"; fi
    for backend in $order; do
        start=$(cat /proc/loadavg)
        echo "== round $round/$ROUNDS, $backend installed (load $start)"
        CRITERION_HOME=$RUN/round$round-$backend JWT_BACKEND=$backend \
            "$BIN" --bench --warm-up-time "$WARMUP" --measurement-time "$MEASURE" \
            >"$RUN/round$round-$backend.txt" 2>&1
        # criterion puts a long benchmark name on a line of its own
        awk '/time:/ { if ($1 == "time:") { $1 = prev "  time:" }; print "  " $0; next } { prev = $1 }' \
            "$RUN/round$round-$backend.txt"
        printf '%s\t%s\t%s\t%s\n' "$round" "$backend" "$(cut -d' ' -f1-3 <<<"$start")" \
            "$(cut -d' ' -f1-3 /proc/loadavg)" >>"$RUN/load.tsv"
    done
done
echo "== load after measuring: $(cat /proc/loadavg)" | tee -a "$RUN/load.txt"

python3 "$BENCH/backends/summary.py" "$RUN" | tee "$RUN/summary.md"
echo "raw results: $RUN"
