#!/usr/bin/env bash
# User-space instructions per request of one IPMB responder for one request, counted as
# ../shared/tools/ipmb-peer-bench/run.sh --instructions counts them (callgrind totals at 10001
# requests minus at 1, over 10000), but for any request ipmb_bench.py --req accepts.
# usage: scripts/bench-instructions.sh NETFN:CMD[:HEXDATA] TARGET ARGS...
set -euo pipefail
bench=${IPMB_PEER_BENCH:-$(cd "$(dirname "$0")/../.." && pwd)/shared/tools/ipmb-peer-bench}
[ $# -ge 2 ] || { echo "usage: $0 NETFN:CMD[:HEXDATA] TARGET ARGS..." >&2; exit 2; }
req=$1; shift
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
cc -shared -fPIC -O2 -o "$work/ipmbshim.so" "$bench/ipmbshim.c" -ldl
export IPMB_SHIM_SO="$work/ipmbshim.so"
# A run that failed (on a loaded machine: the target too slow to open the device within the
# client's timeout) must say so, not print the difference of a partial count.
count() {
        local n=$1; shift
        rm -f "$work"/cg.*
        if ! taskset -c 0 python3 "$bench/ipmb_bench.py" --json --req "$req" -n "$n" -- \
                valgrind --tool=callgrind --callgrind-out-file="$work/cg.%p" "$@" \
                >"$work/out" 2>&1; then
                echo "$0: the run of $n requests failed:" >&2
                tail -3 "$work/out" >&2
                exit 1
        fi
        sleep 0.5
        grep -h '^summary:' "$work"/cg.* | awk '{s += $2} END {print s}'
}
target=("$@")
one=$(count 1 "${target[@]}")
many=$(count 10001 "${target[@]}")
awk -v a="$one" -v b="$many" 'BEGIN {printf "%.0f\n", (b - a) / 10000}'
