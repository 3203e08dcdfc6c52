#!/usr/bin/env bash
# User-space instructions per request of one IPMB responder for one request, counted as
# ../shared/tools/ipmb-peer-bench/run.sh --instructions counts them (callgrind totals at 10001
# requests minus at 1, over 10000, all threads), for any request, through the same ipmbshim.so:
#   scripts/bench-instructions.sh [--reserve NETFN:CMD] NETFN:CMD[:HEXDATA] TARGET ARGS...
# --reserve sends that request first and puts the reservation ID it answers where HEXDATA says
# "rrrr" (bench/ipmb-req-bench.py), as ipmitool does before reading SDRs.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bench=${IPMB_PEER_BENCH:-$(cd "$here/../.." && pwd)/shared/tools/ipmb-peer-bench}
reserve=()
if [ "${1:-}" = --reserve ]; then reserve=(--reserve "$2"); shift 2; fi
[ $# -ge 2 ] || { echo "usage: $0 [--reserve NETFN:CMD] NETFN:CMD[:HEXDATA] TARGET ARGS..." >&2; exit 2; }
req=$1; shift
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
cc -shared -fPIC -O2 -o "$work/ipmbshim.so" "$bench/ipmbshim.c" -ldl
export IPMB_SHIM_SO="$work/ipmbshim.so"
# A run that failed (on a loaded machine: the target too slow to answer) must say so, not
# print the difference of two partial counts.
count() {
        local n=$1; shift
        rm -f "$work"/cg.*
        if ! taskset -c 0 python3 "$here/../bench/ipmb-req-bench.py" --req "$req" \
                ${reserve[@]+"${reserve[@]}"} -n "$n" -- \
                valgrind --tool=callgrind --callgrind-out-file="$work/cg.%p" "$@" \
                >"$work/out" 2>&1; then
                echo "$0: the run of $n requests failed:" >&2
                tail -3 "$work/out" >&2
                exit 1
        fi
        sleep 0.5
        grep -h '^summary:' "$work"/cg.* | awk '{s += $2} END {print s}'
}
one=$(count 1 "$@")
many=$(count 10001 "$@")
awk -v a="$one" -v b="$many" 'BEGIN {printf "%.0f\n", (b - a) / 10000}'
