#!/bin/bash
# SPDX-License-Identifier: MIT
#
# What configured sensors cost satmcd, side by side in one run: satmc-bench (Get Device ID over
# the emulated bus, one request at a time) against four boards that differ only in their
# [sensor.N] sections:
#   none      the example board without its sensors
#   64x1s     64 sensors (temperature, voltage, fan; thresholds, hysteresis), each reading its
#             own number file, poll-ms = 1000
#   64x100ms  the same at poll-ms = 100: 640 reads/s through the sensor worker thread
#   64x1s+4h  as 64x1s, but 4 of the files are FIFOs nobody writes: hung reads, which satmcd
#             abandons after 2 s (leaving each stuck thread detached, one per FIFO) and does
#             not retry while that thread is still stuck
# Rounds are interleaved (none 64x1s 64x100ms 64x1s+4h none ...) so that machine noise hits
# every board alike; the table shows the median over rounds, the p99 change against "none" and
# a verdict for the requirement: with 64 sensors RSS < 4096 KiB and p99 within +10 %.
# Prints figures; it is not a test.
# Usage: bench/sensors-bench.sh [BUILD_DIR] [ROUNDS] [REQUESTS] [SATMC-BENCH OPTIONS...]
#   defaults: build, 3 rounds, 100000 requests (about 3 s, long enough for the first hung
#   read to be abandoned while requests are measured), --pin
set -euo pipefail

build=${1:-build}
rounds=${2:-3}
requests=${3:-100000}
shift $(($# < 3 ? $# : 3))
extra=("$@")
[ ${#extra[@]} -gt 0 ] || extra=(--pin)

here=$(cd "$(dirname "$0")" && pwd)
example=$here/../examples/board.ini
bench=$build/bench/satmc-bench
satmcd=$build/daemon/satmcd
bus=$build/tools/satmc-i2c-bus
for p in "$bench" "$satmcd" "$bus"; do
        [ -x "$p" ] || { echo "missing $p: meson compile -C $build" >&2; exit 1; }
done
[ -r "$example" ] || { echo "missing $example" >&2; exit 1; }

dir=$(mktemp -d /tmp/satmc-sensors-bench.XXXXXX)
trap 'rm -rf "$dir"' EXIT

# The example board without its [sensor.N] sections: everything else (FRU, identity) stays, so
# the boards differ in their sensors only.
awk '/^\[/ { skip = ($0 ~ /^\[sensor\./) } !skip' "$example" > "$dir/none.ini"

# 64 sensors, a third each temperature (hwmon millidegrees), voltage (millivolts), fan (RPM),
# each on its own file holding a value inside its thresholds.
sensors() {     # poll-ms [hung index...]
        local poll=$1 i src
        shift
        for i in $(seq 0 63); do
                src=$dir/sensors/s$i
                if [[ " $* " == *" $i "* ]]; then
                        src=$dir/sensors/hung$i
                        [ -p "$src" ] || mkfifo "$src"
                elif [ ! -e "$src" ]; then
                        case $((i % 3)) in
                        0) echo $((40000 + i * 100)) ;;
                        1) echo $((12000 + i)) ;;
                        2) echo $((6000 + i * 10)) ;;
                        esac > "$src"
                fi
                echo
                echo "[sensor.$i]"
                case $((i % 3)) in
                0) printf '%s\n' "name = Temp $i" 'type = temperature' 'range = -40..125' \
                        "source = file:$src:0.001" 'lower-critical = -5' \
                        'upper-non-critical = 70' 'upper-critical = 85' \
                        'upper-non-recoverable = 100' 'hysteresis = 2' ;;
                1) printf '%s\n' "name = 12V Rail $i" 'type = voltage' 'range = 11.4..12.6' \
                        "source = file:$src:0.001" 'lower-critical = 11.5' \
                        'lower-non-critical = 11.7' 'upper-non-critical = 12.3' \
                        'upper-critical = 12.5' 'hysteresis = 0.01' ;;
                2) printf '%s\n' "name = Fan $i" 'type = fan' 'range = 0..20000' \
                        "source = file:$src" 'lower-critical = 1000' \
                        'lower-non-critical = 2000' 'hysteresis = 200' ;;
                esac
                echo "poll-ms = $poll"
        done
}
mkdir -p "$dir/sensors"
configs=(none 64x1s 64x100ms 64x1s+4h)
{ cat "$dir/none.ini"; sensors 1000; } > "$dir/64x1s.ini"
{ cat "$dir/none.ini"; sensors 100; } > "$dir/64x100ms.ini"
{ cat "$dir/none.ini"; sensors 1000 5 21 37 53; } > "$dir/64x1s+4h.ini"
for c in "${configs[@]}"; do
        "$satmcd" --check-config --config "$dir/$c.ini" >/dev/null ||
                { echo "generated $dir/$c.ini does not load" >&2; exit 1; }
done

# One line of key=value per run; satmcd's own log (sensor warnings, counters) goes to a file.
for r in $(seq "$rounds"); do
        for c in "${configs[@]}"; do
                printf '%s round=%s %s\n' "$c" "$r" "$("$bench" --satmcd "$satmcd" --bus "$bus" \
                        --config "$dir/$c.ini" -n "$requests" --oneline "${extra[@]}" \
                        2>>"$dir/stderr.log")" >> "$dir/runs.txt"
                printf '.' >&2
        done
done
echo >&2

if [ -n "${SENSORS_BENCH_RAW:-}" ]; then
        cp "$dir/runs.txt" "$SENSORS_BENCH_RAW"
fi

echo "satmc-bench: $requests Get Device ID per run, ${extra[*]}, median of $rounds interleaved rounds, $(nproc) CPUs"
awk -v order="${configs[*]}" '
function median(key, cfg,    n, i, j, t, v) {
        n = split(vals[cfg, key], v, " ")
        for (i = 2; i <= n; i++)        # insertion sort: a handful of rounds
                for (j = i; j > 1 && v[j - 1] + 0 > v[j] + 0; j--) { t = v[j]; v[j] = v[j - 1]; v[j - 1] = t }
        return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
}
{
        for (i = 2; i <= NF; i++) {
                split($i, kv, "=")
                vals[$1, kv[1]] = vals[$1, kv[1]] (vals[$1, kv[1]] == "" ? "" : " ") kv[2]
        }
}
END {
        n = split(order, cfgs, " ")
        printf "%-9s %6s %6s %6s %7s %6s %7s %8s %8s %6s %6s %7s  %s\n", "config", "req/s", "p50us",
               "p99us", "p99chg", "cpu_us", "rssKiB", "peakKiB", "idleKiB", "anon", "pss", "wakeups",
               "p99 per round (us)"
        base = median("p99_us", "none")
        for (k = 1; k <= n; k++) {
                c = cfgs[k]
                p99 = median("p99_us", c)
                chg[c] = (p99 - base) / base * 100
                peak[c] = median("hwm_kib", c)
                split(vals[c, "hwm_kib"], h, " "); maxpeak[c] = 0
                for (i in h) if (h[i] + 0 > maxpeak[c]) maxpeak[c] = h[i] + 0
                printf "%-9s %6.0f %6.1f %6.1f %+6.1f%% %6.2f %7d %8d %8d %6d %6d %7d  %s\n", c,
                       median("rate", c), median("p50_us", c), p99, chg[c], median("cpu_us", c),
                       median("rss_kib", c), peak[c], median("rss_idle_kib", c),
                       median("anon_kib", c), median("pss_kib", c), median("wakeups", c),
                       vals[c, "p99_us"]
        }
        print "cpu_us: satmcd CPU per request, all threads. rssKiB: VmRSS after the requests; peakKiB:"
        print "VmHWM; idleKiB: VmRSS after the 2 s idle interval; anon: RssAnon and pss: Pss (KiB) then;"
        print "wakeups: context switches of all satmcd threads in the idle interval. Medians over rounds."
        nb = split(vals["none", "p99_us"], b, " "); lo = hi = b[1] + 0
        for (i = 2; i <= nb; i++) { if (b[i] + 0 < lo) lo = b[i] + 0; if (b[i] + 0 > hi) hi = b[i] + 0 }
        printf "noise: none alone ranges %.1f..%.1f us in p99 over its rounds (%+.0f%%..%+.0f%% of its median)\n",
               lo, hi, (lo - base) / base * 100, (hi - base) / base * 100
        for (k = 2; k <= n; k++) {
                c = cfgs[k]
                printf "verdict %-10s RSS peak %d KiB (highest of the rounds) < 4096 KiB: %s; p99 %+.1f%% vs none (<= +10%%): %s\n",
                       c, maxpeak[c], maxpeak[c] < 4096 ? "PASS" : "FAIL", chg[c], chg[c] <= 10 ? "PASS" : "FAIL"
        }
}' "$dir/runs.txt"

# Hung reads as satmcd reported them (once per sensor): all four, each 2 s after its read
# began; the sensors queued behind a hung read get a fresh worker after 250 ms.
hung=$(grep -c 'timed out' "$dir/stderr.log" || true)
echo "satmcd log: $hung hung reads abandoned over the $rounds runs of 64x1s+4h"
