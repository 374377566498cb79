#!/usr/bin/env bash
# Builds every fuzz target and runs each for SECONDS (default 30) from the
# checked-in seeds. Needs cargo-fuzz; runs on stable (no sanitizer).
set -euo pipefail
cd "$(dirname "$0")"
seconds=${1:-30}
cargo fuzz build -s none
for target in bearer token claims; do
    mkdir -p "corpus/$target"
    dict=()
    [ -f "$target.dict" ] && dict=(-dict="$target.dict")
    echo "== fuzz $target for ${seconds}s"
    cargo fuzz run -s none "$target" "corpus/$target" "seeds/$target" -- \
        -max_total_time="$seconds" "${dict[@]}" 2>&1 | grep -E "^(Done|INFO: seed corpus)|ERROR|panicked|SUMMARY" || true
    # cargo fuzz exits non-zero on a crash; the pipeline above hides it,
    # so check for crash artifacts explicitly.
    if compgen -G "artifacts/$target/*" > /dev/null; then
        echo "fuzz target $target found a crash: see fuzz/artifacts/$target" >&2
        exit 1
    fi
done
