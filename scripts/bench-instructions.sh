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
for t in 1 10001; do
        rm -f "$work"/cg.*
        taskset -c 0 python3 "$bench/ipmb_bench.py" --json --req "$req" -n "$t" -- \
                valgrind --tool=callgrind --callgrind-out-file="$work/cg.%p" "$@" >/dev/null 2>&1
        sleep 0.5
        grep -h '^summary:' "$work"/cg.* | awk '{print $2}'
done | paste -sd' ' | awk '{printf "%.0f\n", ($2 - $1) / 10000}'
