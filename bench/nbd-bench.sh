#!/bin/bash
# SPDX-License-Identifier: MIT
#
# NBD figures for satmc-nbd-serve (daemon/nbd-server.c) against nbdkit and qemu-nbd on the same
# 1 MiB image with the same client (nbd-bench, a raw-socket client), in one run: handshake
# latency over a UNIX socket, 4 KiB random-read IOPS at queue depth 1 and 16, the ratios to
# nbdkit, and system calls per 4 KiB read of satmc-nbd-serve under strace -c -f.
# Prints figures; it is not a test. Usage: bench/nbd-bench.sh [BUILD_DIR] [SECONDS]
set -eu

build=${1:-build}
secs=${2:-3}
serve=$build/tests/harness/satmc-nbd-serve
bench=$build/bench/nbd-bench
for p in "$serve" "$bench"; do
        [ -x "$p" ] || { echo "missing $p: ninja -C $build" >&2; exit 1; }
done

dir=$(mktemp -d /tmp/satmc-nbd-bench.XXXXXX)
pids=()
cleanup() {
        for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
        wait 2>/dev/null || true
        rm -rf "$dir"
}
trap cleanup EXIT
head -c 1048576 /dev/urandom > "$dir/img"

wait_sock() {
        for _ in $(seq 200); do
                "$bench" "$1" handshake 1 >/dev/null 2>&1 && return 0
                sleep 0.05
        done
        echo "server on $1 did not come up" >&2
        exit 1
}

declare -A hs qd1 qd16
run_one() {     # name command...
        local name=$1 sock=$dir/$1.sock
        shift
        "$@" >/dev/null 2>&1 &
        pids+=($!)
        wait_sock "$sock"
        hs[$name]=$("$bench" "$sock" handshake 300 | sed 's/.*handshake_ms_median=\([^ ]*\).*/\1/')
        qd1[$name]=$("$bench" "$sock" read 1 "$secs" | sed 's/.*iops=\([^ ]*\).*/\1/')
        qd16[$name]=$("$bench" "$sock" read 16 "$secs" | sed 's/.*iops=\([^ ]*\).*/\1/')
        kill "${pids[-1]}" 2>/dev/null || true
        wait "${pids[-1]}" 2>/dev/null || true
}

run_one satmc "$serve" --socket "$dir/satmc.sock" --export "img=$dir/img"
if command -v nbdkit >/dev/null; then
        run_one nbdkit nbdkit -f -U "$dir/nbdkit.sock" file "$dir/img"
fi
if command -v qemu-nbd >/dev/null; then
        # -t: stay up after the first client (the readiness probe) leaves.
        run_one qemu-nbd qemu-nbd -t -k "$dir/qemu-nbd.sock" -f raw "$dir/img"
fi

echo "NBD over a UNIX socket, 1 MiB image, 4 KiB random reads, ${secs}s per figure, client: nbd-bench"
printf '%-10s %14s %12s %12s   %s\n' server handshake_ms iops_qd1 iops_qd16 "ratio to nbdkit (hs: nbdkit/server, iops: server/nbdkit)"
for s in satmc nbdkit qemu-nbd; do
        [ -n "${hs[$s]:-}" ] || continue
        ratio=""
        if [ -n "${hs[nbdkit]:-}" ]; then
                ratio=$(awk -v h="${hs[$s]}" -v hk="${hs[nbdkit]}" -v a="${qd1[$s]}" -v ak="${qd1[nbdkit]}" \
                            -v b="${qd16[$s]}" -v bk="${qd16[nbdkit]}" \
                            'BEGIN { printf "hs %.2fx  qd1 %.2fx  qd16 %.2fx", hk / h, a / ak, b / bk }')
        fi
        printf '%-10s %14s %12s %12s   %s\n' "$s" "${hs[$s]}" "${qd1[$s]}" "${qd16[$s]}" "$ratio"
done

if command -v strace >/dev/null; then
        n=20000
        strace -c -f -o "$dir/strace.txt" "$serve" --socket "$dir/st.sock" --export "img=$dir/img" >/dev/null 2>&1 &
        pids+=($!)
        wait_sock "$dir/st.sock"
        "$bench" "$dir/st.sock" count 1 "$n" >/dev/null
        # strace holds on to SIGINT; stop the traced server itself (strace's child).
        kill -TERM $(pgrep -P "${pids[-1]}") 2>/dev/null || true
        wait "${pids[-1]}" 2>/dev/null || true
        total=$(awk '$NF == "total" { print $4 }' "$dir/strace.txt")
        echo
        echo "satmc-nbd-serve under strace -c -f: $total system calls for $n 4 KiB reads at QD 1 (plus start-up and a few handshakes)"
        awk -v n="$n" '$NF == "total" { printf "  = %.2f system calls per 4 KiB read\n", $4 / n }' "$dir/strace.txt"
        grep -E '^ *[0-9.]+ +[0-9.]+ +[0-9]+ +[0-9]+' "$dir/strace.txt" | sort -k4 -n -r | head -6 | \
                awk '{ printf "  %-14s %s\n", $NF, $4 }'
else
        echo "strace not installed: no system-call count"
fi
