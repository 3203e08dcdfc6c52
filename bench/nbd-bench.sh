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
# The plain figures come from ROUNDS interleaved rounds (every server at QD 1, then every one at
# QD 16): each round's ratios to nbdkit, their median, and where one QD 1 round trip's time goes
# (see below) are printed, so a machine whose load changes during the run still gives ratios
# from like conditions.
# Last, satmcd's user-space instructions per QD 1 read under callgrind (load-independent).
# Prints figures; it is not a test. Usage: bench/nbd-bench.sh [BUILD_DIR] [SECONDS] [ROUNDS]
# (defaults build, 2, 3: about two minutes).
set -eu

build=${1:-build}
secs=${2:-2}
rounds=${3:-3}
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

declare -A hs qd1 qd16 pid
run_one() {     # name command...: start it, measure it, stop it (TLS figures)
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

start_server() {        # name command...: start it and take its handshake figure; it stays up
        local name=$1
        shift
        "$@" >/dev/null 2>&1 &
        pids+=($!)
        pid[$name]=$!
        wait_sock "$dir/$name.sock"
        hs[$name]=$(nb "$dir/$name.sock" handshake 300 | sed 's/.*handshake_ms_median=\([^ ]*\).*/\1/')
}

# A server's time on a CPU and waiting for one (ns, schedstat of its live threads), and its user
# and system ticks (every thread, ended ones too: nbdkit serves a connection on a thread that
# ends with it, so its schedstat is lost and only the ticks count it): "run wait utime stime".
server_time() {
        local run=0 wait=0 a b
        for t in /proc/"$1"/task/*/schedstat; do
                read -r a b _ < "$t" || continue
                run=$((run + a))
                wait=$((wait + b))
        done
        echo "$run $wait $(awk '{ print $14, $15 }' /proc/"$1"/stat)"
}

field() { sed -n "s/.*$1=\([^ ]*\).*/\1/p"; }

hz=$(getconf CLK_TCK)
servers=(satmcd satmc-serve)
start_server satmcd "${satmcd_cmd[@]}" --nbd-socket "$dir/satmcd.sock"
start_server satmc-serve "$serve" --socket "$dir/satmc-serve.sock" --export "img=$dir/img"
if command -v nbdkit >/dev/null; then
        start_server nbdkit nbdkit -f -U "$dir/nbdkit.sock" file "$dir/img"
        servers+=(nbdkit)
fi
if command -v qemu-nbd >/dev/null; then
        # -t: stay up after the first client (the readiness probe) leaves.
        start_server qemu-nbd qemu-nbd -t -k "$dir/qemu-nbd.sock" -f raw "$dir/img"
        servers+=(qemu-nbd)
fi

# Rounds: every server in turn at QD 1, then every server at QD 16, so that a change in the
# machine's load hits all of them alike within a round; ratios are taken within a round.
# At QD 1 one read is one round trip: its wall time is the client's and the server's time on a
# CPU, and a gap with neither running: each waiting for a CPU (other load) or a wake-up in flight
# (the kernel's: a CPU leaving idle, an IPI).
{
        printf 'round server iops_qd1 iops_qd16 wall_us srv_user_us srv_sys_us srv_wait_us '
        printf 'cli_user_us cli_sys_us cli_wait_us gap_us\n'
} > "$dir/rounds"
for round in $(seq "$rounds"); do
        declare -A line=()
        for s in "${servers[@]}"; do
                before=$(server_time "${pid[$s]}")
                out=$(nb "$dir/$s.sock" read 1 "$secs")
                after=$(server_time "${pid[$s]}")
                line[$s]=$(awk -v hz="$hz" -v b="$before" -v a="$after" -v n="$(field reads <<< "$out")" \
                               -v iops="$(field iops <<< "$out")" \
                               -v cu="$(field client_user_us <<< "$out")" \
                               -v cs="$(field client_sys_us <<< "$out")" \
                               -v cw="$(field client_wait_us <<< "$out")" 'BEGIN {
                        split(b, x, " "); split(a, y, " ")
                        run = (y[1] - x[1]) / 1e3 / n; wait = (y[2] - x[2]) / 1e3 / n
                        user = (y[3] - x[3]) * 1e6 / hz / n; sys = (y[4] - x[4]) * 1e6 / hz / n
                        # The threads schedstat saw did not do the work: their wait says nothing.
                        w = run < (user + sys) / 2 ? "-" : sprintf("%.2f", wait)
                        wall = 1e6 / iops
                        printf "%s %.2f %.2f %.2f %s %.2f %.2f %.2f %.2f", iops, wall, user, sys,
                               w, cu, cs, cw, wall - user - sys - cu - cs
                }')
        done
        for s in "${servers[@]}"; do
                q16=$(nb "$dir/$s.sock" read 16 "$secs" | field iops)
                set -- ${line[$s]}
                echo "$round $s $1 $q16 ${*:2}" >> "$dir/rounds"
        done
done
for s in "${servers[@]}"; do
        qd1[$s]=$(awk -v s="$s" '$2 == s { print $3 }' "$dir/rounds" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
        qd16[$s]=$(awk -v s="$s" '$2 == s { print $4 }' "$dir/rounds" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
done
for s in "${servers[@]}"; do
        kill "${pid[$s]}" 2>/dev/null || true
        wait "${pid[$s]}" 2>/dev/null || true
done

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
echo "(IOPS: the median of $rounds interleaved rounds; load average at the end: $(cut -d' ' -f1-3 /proc/loadavg))"
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
echo "Each round's ratio to nbdkit (server IOPS / nbdkit IOPS in the same round)"
if [ -n "${hs[nbdkit]:-}" ]; then
        awk '$1 != "round" { q1[$1, $2] = $3; q16[$1, $2] = $4; if (!($2 in seen)) { seen[$2]; order[++n] = $2 }
                             if ($1 > r) r = $1 }
             END { for (i = 1; i <= r; i++) for (k = 1; k <= n; k++) { s = order[k]
                       if (s == "nbdkit") continue
                       printf "  round %d %-12s qd1 %.2fx  qd16 %.2fx\n", i, s, q1[i, s] / q1[i, "nbdkit"], q16[i, s] / q16[i, "nbdkit"] } }' "$dir/rounds"
fi
echo
echo "One QD 1 read, µs (median over rounds): wall = 1/IOPS; the server's and the client's time on a"
echo "CPU, user and system (server: tick counts; client: schedstat, split as getrusage says); gap ="
echo "wall minus both, when neither runs: waiting for a CPU (wait: runnable, not running; a"
echo "program's wait can overlap the other's run) or a wake-up in flight (CPU leaving idle, IPI)."
printf '%-12s %8s %9s %9s %9s %9s %9s %9s %8s\n' server wall srv_user srv_sys srv_wait cli_user cli_sys cli_wait gap
for s in "${servers[@]}"; do
        printf '%-12s' "$s"
        for col in $(seq 5 12); do
                awk -v s="$s" -v c="$col" '$2 == s { print $c }' "$dir/rounds" | sort -n |
                        awk -v w=$([ "$col" = 5 ] && echo 8 || echo 9) '{ v[NR] = $1 }
                            END { m = v[int((NR + 1) / 2)]
                                  if (m == "-") printf " %*s", w, "-"; else printf " %*.2f", w, m }'
        done
        echo
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

# User-space instructions per QD 1 read, which load does not change: satmcd under callgrind
# for two counts of reads, the difference divided by the difference (start-up cancels out).
if command -v valgrind >/dev/null; then
        cg_total() {    # reads: satmcd's total instructions serving that many
                local out=$dir/cg.$1 p
                rm -rf "$dir/cgstate"; mkdir "$dir/cgstate"
                valgrind --tool=callgrind --callgrind-out-file="$out" "$satmcd" \
                        --config "$dir/board.ini" --bus-socket "$dir/bus.sock" \
                        --state-directory "$dir/cgstate" --ipmitool-socket none \
                        --nbd-socket "$dir/cg.sock" >/dev/null 2>&1 &
                p=$!
                pids+=($p)
                wait_sock "$dir/cg.sock"
                "$bench" "$dir/cg.sock" count 1 "$1" >/dev/null
                kill -TERM "$p"
                wait "$p" 2>/dev/null || true
                awk '/^summary:/ { print $2 }' "$out"
        }
        a=$(cg_total 1000)
        b=$(cg_total 6000)
        echo
        awk -v a="$a" -v b="$b" 'BEGIN { printf "satmcd under callgrind: %.0f user-space instructions per 4 KiB read at QD 1 ((%d - %d) / 5000)\n", (b - a) / 5000, b, a }'
fi
