#!/bin/bash
# SPDX-License-Identifier: MIT
#
# NBD figures for satmcd itself (its fru0 export), satmc-nbd-serve (the same server code on a
# plain file), nbdkit and qemu-nbd, all serving the same 63.5 KiB image (satmcd's FRU device,
# the largest a 16-bit FRU offset allows, rounded down to 512) to the same client (nbd-bench, a
# raw-socket client), in one run: handshake latency over a UNIX socket, 4 KiB random-read IOPS
# at queue depth 1 and 16, the ratios to nbdkit, and system calls per 4 KiB read of satmcd
# under strace -c -f. Then the same with TLS (NBD_OPT_STARTTLS, a PSK from one psktool-format
# file for satmcd, satmc-nbd-serve and nbdkit --tls=require): the handshake then includes TLS,
# and the cost of TLS over plain is printed for each server.
# Prints figures; it is not a test. Usage: bench/nbd-bench.sh [BUILD_DIR] [SECONDS]
set -eu

build=${1:-build}
secs=${2:-3}
serve=$build/tests/harness/satmc-nbd-serve
bench=$build/bench/nbd-bench
satmcd=$build/daemon/satmcd
bus=$build/tools/satmc-i2c-bus
for p in "$serve" "$bench" "$satmcd" "$bus"; do
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

# satmcd needs a bus to stand on and a FRU device to export; its backing file is the image
# every other server gets too.
mkdir -p "$dir/state"
printf '%s\n' '[mc]' 'address = 0x72' 'log-level = warning' '[identity]' \
        'firmware-version = 1.00' 'manufacturer-id = 0x7ED9' 'product-id = 1' \
        'guid = 01234567-89ab-4def-8011-223344556677' '[fru.0]' 'size = 65024' \
        'board-manufacturer = Example Networks' 'board-product-name = Benchmark Board' \
        'board-serial-number = BENCH0001' > "$dir/board.ini"
"$bus" --socket "$dir/bus.sock" >/dev/null 2>&1 &
pids+=($!)
for _ in $(seq 100); do [ -S "$dir/bus.sock" ] && break; sleep 0.05; done
satmcd_cmd=("$satmcd" --config "$dir/board.ini" --bus-socket "$dir/bus.sock"
            --state-directory "$dir/state" --ipmitool-socket none)
"${satmcd_cmd[@]}" --nbd-socket "$dir/probe.sock" >/dev/null 2>&1 &
probe=$!
for _ in $(seq 100); do [ -s "$dir/state/fru0.bin" ] && break; sleep 0.05; done
kill $probe; wait $probe 2>/dev/null || true
cp "$dir/state/fru0.bin" "$dir/img"

# One PSK for every TLS server and the client, as psktool writes it (without needing psktool).
printf 'bench:%s\n' "$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')" > "$dir/keys.psk"
chmod 600 "$dir/keys.psk"
printf '%s\n' '[nbd]' 'socket-tls = require' "tls-psk-file = $dir/keys.psk" | \
        cat "$dir/board.ini" - > "$dir/board-tls.ini"
bench_psk=""           # set: nbd-bench does STARTTLS with it
nb() {
        if [ -n "$bench_psk" ]; then NBD_BENCH_PSK=$bench_psk "$bench" "$@"; else "$bench" "$@"; fi
}

wait_sock() {
        for _ in $(seq 200); do
                nb "$1" handshake 1 >/dev/null 2>&1 && return 0
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
        hs[$name]=$(nb "$sock" handshake 300 | sed 's/.*handshake_ms_median=\([^ ]*\).*/\1/')
        qd1[$name]=$(nb "$sock" read 1 "$secs" | sed 's/.*iops=\([^ ]*\).*/\1/')
        qd16[$name]=$(nb "$sock" read 16 "$secs" | sed 's/.*iops=\([^ ]*\).*/\1/')
        kill "${pids[-1]}" 2>/dev/null || true
        wait "${pids[-1]}" 2>/dev/null || true
}

run_one satmcd "${satmcd_cmd[@]}" --nbd-socket "$dir/satmcd.sock"
run_one satmc-serve "$serve" --socket "$dir/satmc-serve.sock" --export "img=$dir/img"
if command -v nbdkit >/dev/null; then
        run_one nbdkit nbdkit -f -U "$dir/nbdkit.sock" file "$dir/img"
fi
if command -v qemu-nbd >/dev/null; then
        # -t: stay up after the first client (the readiness probe) leaves.
        run_one qemu-nbd qemu-nbd -t -k "$dir/qemu-nbd.sock" -f raw "$dir/img"
fi

bench_psk=$dir/keys.psk
run_one satmcd-tls "$satmcd" --config "$dir/board-tls.ini" --bus-socket "$dir/bus.sock" \
        --state-directory "$dir/state" --ipmitool-socket none --nbd-socket "$dir/satmcd-tls.sock"
run_one satmc-serve-tls "$serve" --socket "$dir/satmc-serve-tls.sock" --export "img=$dir/img" \
        --tls require --tls-psk "$dir/keys.psk"
if command -v nbdkit >/dev/null; then
        run_one nbdkit-tls nbdkit -f -U "$dir/nbdkit-tls.sock" --tls=require \
                --tls-psk="$dir/keys.psk" file "$dir/img"
fi
bench_psk=""

echo "NBD over a UNIX socket, 63.5 KiB image, 4 KiB random reads, ${secs}s per figure, client: nbd-bench"
printf '%-12s %14s %12s %12s   %s\n' server handshake_ms iops_qd1 iops_qd16 "ratio to nbdkit (hs: nbdkit/server, iops: server/nbdkit)"
for s in satmcd satmc-serve nbdkit qemu-nbd; do
        [ -n "${hs[$s]:-}" ] || continue
        ratio=""
        if [ -n "${hs[nbdkit]:-}" ]; then
                ratio=$(awk -v h="${hs[$s]}" -v hk="${hs[nbdkit]}" -v a="${qd1[$s]}" -v ak="${qd1[nbdkit]}" \
                            -v b="${qd16[$s]}" -v bk="${qd16[nbdkit]}" \
                            'BEGIN { printf "hs %.2fx  qd1 %.2fx  qd16 %.2fx", hk / h, a / ak, b / bk }')
        fi
        printf '%-12s %14s %12s %12s   %s\n' "$s" "${hs[$s]}" "${qd1[$s]}" "${qd16[$s]}" "$ratio"
done

echo
echo "The same with TLS (NBD_OPT_STARTTLS, GnuTLS PSK; the handshake includes TLS)"
printf '%-16s %14s %12s %12s   %s\n' server handshake_ms iops_qd1 iops_qd16 "ratio to nbdkit-tls; cost of TLS (plain/TLS)"
for s in satmcd satmc-serve nbdkit; do
        t=$s-tls
        [ -n "${hs[$t]:-}" ] || continue
        ratio=""
        if [ -n "${hs[nbdkit-tls]:-}" ]; then
                ratio=$(awk -v h="${hs[$t]}" -v hk="${hs[nbdkit-tls]}" -v a="${qd1[$t]}" -v ak="${qd1[nbdkit-tls]}" \
                            -v b="${qd16[$t]}" -v bk="${qd16[nbdkit-tls]}" \
                            'BEGIN { printf "hs %.2fx qd1 %.2fx qd16 %.2fx", hk / h, a / ak, b / bk }')
        fi
        cost=""
        if [ -n "${hs[$s]:-}" ]; then
                cost=$(awk -v h="${hs[$t]}" -v hp="${hs[$s]}" -v a="${qd1[$t]}" -v ap="${qd1[$s]}" \
                           -v b="${qd16[$t]}" -v bp="${qd16[$s]}" \
                           'BEGIN { printf "; TLS: hs +%.3f ms (%.1fx), qd1 %.2fx, qd16 %.2fx", h - hp, h / hp, ap / a, bp / b }')
        fi
        printf '%-16s %14s %12s %12s   %s%s\n' "$t" "${hs[$t]}" "${qd1[$t]}" "${qd16[$t]}" "$ratio" "$cost"
done
echo

if command -v strace >/dev/null; then
        n=20000
        strace -c -f -o "$dir/strace.txt" "${satmcd_cmd[@]}" --nbd-socket "$dir/st.sock" >/dev/null 2>&1 &
        pids+=($!)
        wait_sock "$dir/st.sock"
        "$bench" "$dir/st.sock" count 1 "$n" >/dev/null
        # strace holds on to SIGINT; stop the traced server itself (strace's child).
        kill -TERM $(pgrep -P "${pids[-1]}") 2>/dev/null || true
        wait "${pids[-1]}" 2>/dev/null || true
        total=$(awk '$NF == "total" { print $4 }' "$dir/strace.txt")
        echo
        echo "satmcd under strace -c -f: $total system calls for $n 4 KiB reads at QD 1 (plus start-up and a few handshakes)"
        awk -v n="$n" '$NF == "total" { printf "  = %.2f system calls per 4 KiB read\n", $4 / n }' "$dir/strace.txt"
        grep -E '^ *[0-9.]+ +[0-9.]+ +[0-9]+ +[0-9]+' "$dir/strace.txt" | sort -k4 -n -r | head -6 | \
                awk '{ printf "  %-14s %s\n", $NF, $4 }'
else
        echo "strace not installed: no system-call count"
fi
