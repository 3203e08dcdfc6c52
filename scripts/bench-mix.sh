#!/usr/bin/env bash
# User-space instructions per request for what a BMC sends a satellite, satmcd beside OpenIPMI's
# ipmi_sim (bench/ipmi-sim/: a sensor, its device SDR and FRU device 0 added), each row counted
# by scripts/bench-instructions.sh (callgrind, 10001 requests minus 1, all threads).
#   scripts/bench-mix.sh SATMCD [CONFIG]     e.g. scripts/bench-mix.sh build-release/daemon/satmcd
# One row at a time: two targets at once would share the CPU and spoil nothing but time, yet
# two satmcd on one state directory would (docs/performance.md). About 3 minutes on an idle
# 2-core machine (16 callgrind runs).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
satmcd=$1 config=${2:-$here/../examples/board.ini}
state=$(mktemp -d) simstate=$(mktemp -d); trap 'rm -rf "$state" "$simstate"' EXIT
sat=("$satmcd" --config "$config" --device /dev/ipmb-0 --log-level warning --state-directory "$state")
sim=(ipmi_sim -c "$here/../bench/ipmi-sim/lan.conf" -f "$here/../bench/ipmi-sim/sim.emu" -s "$simstate" -n)
# name|satmcd's request|ipmi_sim's request ("-": no row). ipmi_sim answers Reserve Device SDR
# Repository with 0xC1 (not implemented) and accepts reservation ID 0000: it reads the same
# bytes without one.
rows=(
        "Get Device ID|6:1|6:1"
        "Get Sensor Reading, sensor 1|0x04:0x2d:01|0x04:0x2d:01"
        "Get Device SDR, record 0, offset 5, 16 bytes|--reserve 0x04:0x22 0x04:0x21:rrrr00000510|0x04:0x21:000000000510"
        "Read FRU Data, device 0, 24 bytes|0x0a:0x11:00000018|0x0a:0x11:00000018"
)
printf '%-46s %10s %10s\n' request satmcd ipmi_sim
for row in "${rows[@]}"; do
        IFS='|' read -r name req simreq <<<"$row"
        # shellcheck disable=SC2086 # $req is the options and the request
        a=$("$here/bench-instructions.sh" $req "${sat[@]}")
        b=-
        # shellcheck disable=SC2086
        [ "$simreq" = - ] || b=$("$here/bench-instructions.sh" $simreq "${sim[@]}")
        printf '%-46s %10s %10s\n' "$name" "$a" "$b"
done
