#!/usr/bin/env bash
# HTTP throughput and latency on loopback, one command:
#
#   bench/http.sh
#
# Builds the benchmark servers in release (bench/servers: axum 0.8, bench/peers:
# jwt-authorizer on axum 0.7; separate workspaces with their own lock files,
# target dir bench/target), generates keys and tokens, starts every server
# once (pinned to one core, one tokio worker), then runs interleaved rounds:
# each round drives every server in turn with wrk (pinned to the other core,
# one thread, keep-alive, a fixed number of connections), in an order rotated
# from round to round. Per run it records requests/s, p50 and p99 latency and
# the server's CPU time (utime + stime from /proc/<pid>/stat) per request;
# the summary gives medians over rounds and, per round, the ratio to the
# bare handler of the same round (median of those paired ratios): `bare`
# receives the HS256 token's header, `bare-rs256` the longer RS256 one, and
# each RS256 server is compared with the latter.
#
# Environment (defaults): ROUNDS=5 DURATION=5 (s per run) WARMUP=2 (s)
# CONNECTIONS=16 SERVER_CPU=1 CLIENT_CPU=0 MAX_LOAD=0.7 (1-min load average
# to wait for before measuring) MAX_WAIT=1800 (s; then give up unless
# FORCE=1) VARIANTS="..." (subset, names as below).
set -euo pipefail
cd "$(dirname "$0")"
BENCH=$PWD

ROUNDS=${ROUNDS:-5}
DURATION=${DURATION:-5}
WARMUP=${WARMUP:-2}
CONNECTIONS=${CONNECTIONS:-16}
SERVER_CPU=${SERVER_CPU:-1}
CLIENT_CPU=${CLIENT_CPU:-0}
MAX_LOAD=${MAX_LOAD:-0.7}
MAX_WAIT=${MAX_WAIT:-1800}
VARIANTS=${VARIANTS:-"bare floor-hs256 requires-hs256 requires-hs256-cache protect-hs256 jwt-authorizer-hs256 bare-rs256 floor-rs256 requires-rs256 requires-rs256-cache protect-rs256 jwt-authorizer-rs256"}

if ! command -v wrk >/dev/null 2>&1; then
    echo "== installing wrk (Debian)"
    apt-get update -qq && apt-get install -y -qq wrk >/dev/null
fi

echo "== building (release)"
export CARGO_TARGET_DIR=$BENCH/target
cargo build --release --locked --manifest-path servers/Cargo.toml
cargo build --release --locked --manifest-path peers/Cargo.toml
SERVERS=$CARGO_TARGET_DIR/release/rbac-bench-servers
PEERS=$CARGO_TARGET_DIR/release/rbac-bench-peers

RUN=$BENCH/run/http-$(date +%Y%m%d-%H%M%S)
mkdir -p "$RUN/keys"
"$SERVERS" keys "$RUN/keys"

pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT

declare -A PORT PID TOKEN
port=18400
for v in $VARIANTS; do
    port=$((port + 1))
    PORT[$v]=$port
    case $v in
        jwt-authorizer-*) bin=$PEERS ;;
        *) bin=$SERVERS ;;
    esac
    taskset -c "$SERVER_CPU" "$bin" serve "$v" "127.0.0.1:$port" "$RUN/keys" >"$RUN/$v.log" 2>&1 &
    PID[$v]=$!
    pids+=("$!")
    case $v in
        *rs256*) TOKEN[$v]=$(cat "$RUN/keys/rs256.token") ;;
        *) TOKEN[$v]=$(cat "$RUN/keys/hs256.token") ;;
    esac
done

echo "== checking every server: 200 with the token, 401 without (bare: 200)"
for v in $VARIANTS; do
    url="http://127.0.0.1:${PORT[$v]}/"
    for _ in $(seq 100); do curl -s -o /dev/null "$url" && break; sleep 0.1; done
    with=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer ${TOKEN[$v]}" "$url")
    without=$(curl -s -o /dev/null -w '%{http_code}' "$url")
    body=$(curl -s -H "Authorization: Bearer ${TOKEN[$v]}" "$url")
    expected_without=401
    case $v in bare*) expected_without=200 ;; esac
    if [ "$with" != 200 ] || [ "$body" != ok ] || [ "$without" != "$expected_without" ]; then
        echo "$v: with token $with ($body), without $without: not as expected" >&2
        exit 1
    fi
    printf '  %-24s with token %s, without %s\n' "$v" "$with" "$without"
done

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

drive() { # variant seconds -> wrk output
    local v=$1 seconds=$2
    taskset -c "$CLIENT_CPU" wrk -t1 -c"$CONNECTIONS" -d"${seconds}s" --latency \
        -H "Authorization: Bearer ${TOKEN[$v]}" "http://127.0.0.1:${PORT[$v]}/"
}

load1() { cut -d' ' -f1 /proc/loadavg; }
waited=0
while awk -v l="$(load1)" -v m="$MAX_LOAD" 'BEGIN { exit !(l >= m) }'; do
    if [ "$waited" -ge "$MAX_WAIT" ]; then
        if [ "${FORCE:-0}" = 1 ]; then echo "!! load $(load1) >= $MAX_LOAD: measuring anyway (FORCE=1)"; break; fi
        echo "load average $(load1) still >= $MAX_LOAD after ${MAX_WAIT}s; rerun later or FORCE=1" >&2
        exit 1
    fi
    echo "   load average $(load1) >= $MAX_LOAD: waiting"
    sleep 20
    waited=$((waited + 20))
done
echo "== load before measuring: $(cat /proc/loadavg)" | tee "$RUN/load.txt"

echo "== warm-up: ${WARMUP}s each"
for v in $VARIANTS; do drive "$v" "$WARMUP" >/dev/null; done

RESULTS=$RUN/results.tsv
printf 'round\tvariant\trequests\tseconds\trps\tp50\tp99\tnon2xx\tcpu_ticks\n' >"$RESULTS"
read -r -a list <<<"$VARIANTS"
n=${#list[@]}
for round in $(seq "$ROUNDS"); do
    echo "== round $round/$ROUNDS (load $(load1))"
    for i in $(seq 0 $((n - 1))); do
        v=${list[$(((i + (round - 1) * 3) % n))]}
        before=$(cpu_ticks "${PID[$v]}")
        out=$(drive "$v" "$DURATION")
        after=$(cpu_ticks "${PID[$v]}")
        echo "$out" >"$RUN/round$round-$v.txt"
        line=$(python3 "$BENCH/wrk_parse.py" "$round" "$v" "$((after - before))" <<<"$out")
        echo "$line" >>"$RESULTS"
        printf '  %s\n' "$line"
    done
done
echo "== load after measuring: $(cat /proc/loadavg)" | tee -a "$RUN/load.txt"

python3 "$BENCH/summary.py" "$RESULTS" "$(getconf CLK_TCK)" | tee "$RUN/summary.md"
echo "raw results: $RUN"
