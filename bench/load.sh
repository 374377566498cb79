#!/usr/bin/env bash
# Load and soak test of the example service (rbac-example), one command:
#
#   bench/load.sh [soak|flood] [rbac-load options]     # soak by default
#   bench/load.sh soak --duration 300 --connections 512
#   bench/load.sh flood --rounds 6 --concurrency 300
#   SERVER=/path/to/rbac-example bench/load.sh flood   # test that binary, build nothing
#
# Builds the example in release (`cargo build --release -p rbac-example` in
# the main workspace, target dir $EXAMPLE_TARGET) and the generator
# (bench/load: its own workspace and lock file, target dir $LOAD_TARGET),
# then runs the generator, which starts the example itself: plain HTTP on
# 127.0.0.1:0, a fresh data directory in $TMPDIR (removed afterwards unless
# --keep-files), RUST_LOG=warn, the address read from its start-up banner.
# `rbac-load --help` lists every option.
#
# Pinning: this is a 2-core machine, so the server runs on CPU $SERVER_CPU
# and the generator on CPU $CLIENT_CPU (taskset), as bench/http.sh does:
# the generator's work does not steal the server's core. The server then
# sizes itself for one core (tokio workers, password-hashing threads,
# both from the CPUs it may use). SERVER_CPU= CLIENT_CPU= (empty) pins
# nothing; the header line says where each ran.
#
# soak: every connection is a task sending requests back to back (closed
# loop) for --duration seconds, each request drawn by weight:
#   get_posts, get_me    GET /posts, GET /users/me with a token (200)
#   write                POST /posts (201), then DELETE of that post (204)
#   login_good           POST /token, right password, from 127.0.0.1 (200)
#   login_bad            POST /token, wrong password (400 invalid_grant, or
#                        429 once a throttle refuses), from 127.0.0.2 and up
#   no_token             GET /posts without a token (401)
#   viewer_on_editor     POST /posts with the viewer's token (403)
#   too_large            POST /posts, a body one byte over 64 KiB (413)
# Logins are a small share by default: each costs an Argon2 hash (15-20 ms
# of a core), and in a closed loop the connections that draw one queue for
# the hashing threads; raise them with --weights login_good=50,...
#
# flood: --rounds rounds (4) of --concurrency (200) POST /token, right
# password, each on its own connection, all connections opened first and
# the requests released at once; the server's memory at rest before round
# 1, after each round, and --settle seconds (12) after the last.
#
# Reading the output:
#   * the header: binary, pid, address, the CPUs of server and generator,
#     the load average (the machine is shared: a busy machine shows there);
#   * soak: total requests and req/s; per kind the count, req/s, latency
#     percentiles in ms (from sending the request to the end of the
#     answer, connecting not included), the status histogram, and what was
#     unexpected (a status outside the kind's set, or no answer: the
#     transport errors are listed by message under the table);
#     "connection opened again after" tells which kinds the connection was
#     lost or closed after (the generator never reuses one after a 413);
#   * flood: per round the wall time from release to the last answer, the
#     latency percentiles, the statuses, and VmRSS / VmHWM / Threads of the
#     server right after the round;
#   * both: VmRSS, VmHWM (the peak) and Threads from /proc/<pid>/status,
#     sampled every second (a line every 5 s, then min/max), the server's
#     exit status and its WARN/ERROR log lines;
#   * the last line: RESULT: OK, or FAILED with every reason. The exit
#     status is 1 on any unexpected status, any request without an answer,
#     a server that died, or one killed for VmRSS over --max-rss-mib
#     (12288 by default, so that a runaway server cannot take the machine).
# Every figure is also written as JSON to bench/run/load-<mode>-<time>.json
# (or where --json says).
#
# Environment (defaults): SERVER_CPU=1 CLIENT_CPU=0
# EXAMPLE_TARGET=/tmp/load-example-target LOAD_TARGET=/tmp/load-target
# SERVER= (a prebuilt rbac-example binary: then the example is not built).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

MODE=soak
case ${1:-} in
    soak | flood) MODE=$1; shift ;;
esac
SERVER_CPU=${SERVER_CPU-1}
CLIENT_CPU=${CLIENT_CPU-0}
EXAMPLE_TARGET=${EXAMPLE_TARGET:-/tmp/load-example-target}
LOAD_TARGET=${LOAD_TARGET:-/tmp/load-target}
SERVER=${SERVER:-}

if [ -z "$SERVER" ]; then
    echo "== building rbac-example (release, target dir $EXAMPLE_TARGET)"
    CARGO_TARGET_DIR=$EXAMPLE_TARGET cargo build --release -p rbac-example
    SERVER=$EXAMPLE_TARGET/release/rbac-example
fi
echo "== building rbac-load (release, target dir $LOAD_TARGET)"
CARGO_TARGET_DIR=$LOAD_TARGET cargo build --release --locked --manifest-path bench/load/Cargo.toml

json=()
case " $* " in
    *" --json "* | *" --json="*) ;;
    *)
        mkdir -p bench/run
        json=(--json "$ROOT/bench/run/load-$MODE-$(date +%Y%m%d-%H%M%S).json")
        ;;
esac
pin=()
if [ -n "$CLIENT_CPU" ]; then pin=(taskset -c "$CLIENT_CPU"); fi

export RBAC_LOAD_SERVER=$SERVER
export RBAC_LOAD_SERVER_CPUS=$SERVER_CPU
echo "== rbac-load $MODE $*"
exec "${pin[@]}" "$LOAD_TARGET/release/rbac-load" "$MODE" "${json[@]}" "$@"
