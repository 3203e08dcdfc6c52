#!/usr/bin/env bash
# A BMC and two satellites in a box, for board bring-up without an IPMB adapter: the emulated
# I2C bus, satmcd with your board config (at its [mc] address, 0x72 in the example),
# OpenIPMI's ipmi_sim at 0x74 (on the bus through its own /dev/ipmb-0 code, via the ipmb-dev
# shim), and satmc-ipmb-bridge as the BMC at 0x20 serving one ipmitool socket per satellite.
# Ctrl-C stops everything.
#
# Usage: scripts/bmc-in-a-box.sh [-c BOARD.INI] [-d WORKDIR] [-f FAULT]... [--no-ipmi-sim]
#                                [-b BUILDDIR]
#   -c BOARD.INI   satmcd's board config, used as it is (satmcd is pointed at the box's bus);
#                  default examples/board.ini with its sensors reading files in WORKDIR/hwmon
#                  (write numbers there to move them)
#   -d WORKDIR     where sockets, state, logs and the bus capture go (default: a new /tmp dir,
#                  removed on exit; a directory you name is kept)
#   -f FAULT       a bus fault rule, e.g. nak:p=0.05 or corrupt@0x3a:p=0.1 (docs/emulated-bus.md)
#   --no-ipmi-sim  just the BMC and satmcd
#   -b BUILDDIR    take the binaries from this meson build directory (default build/)
# Binaries come from build/ (meson setup build && meson compile -C build) or, installed, $PATH.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

board="" work="" keep=0 sim=1 faults=() builddir=$root/build
while [ $# -gt 0 ]; do
        case "$1" in
        -c) board=$(realpath "$2"); shift 2 ;;
        -d) work=$2; keep=1; shift 2 ;;
        -f) faults+=(--fault "$2"); shift 2 ;;
        --no-ipmi-sim) sim=0; shift ;;
        -b) builddir=$(realpath "$2"); shift 2 ;;
        -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
        *) echo "bmc-in-a-box: unknown argument $1 (try --help)" >&2; exit 2 ;;
        esac
done

find_bin() {    # build tree first, then $PATH
        local b=$builddir/$1
        if [ -x "$b" ]; then echo "$b"; elif command -v "${1##*/}" >/dev/null; then command -v "${1##*/}"
        else echo "bmc-in-a-box: ${1##*/} not found: build with meson first" >&2; exit 1; fi
}
bus_bin=$(find_bin tools/satmc-i2c-bus)
satmcd_bin=$(find_bin daemon/satmcd)
bridge_bin=$(find_bin ipmitool-plugin/satmc-ipmb-bridge)
send_bin=$(find_bin tools/satmc-i2c-send)
shim=$builddir/tools/satmc-ipmb-dev-shim.so
[ -e "$shim" ] || shim=$(ls /usr/lib/*/satmc/satmc-ipmb-dev-shim.so /usr/local/lib/*/satmc/satmc-ipmb-dev-shim.so 2>/dev/null | head -1 || true)
if [ $sim = 1 ] && ! command -v ipmi_sim >/dev/null; then
        echo "bmc-in-a-box: no ipmi_sim (apt-get install openipmi); running without it" >&2
        sim=0
fi
if [ $sim = 1 ] && [ ! -e "$shim" ]; then
        echo "bmc-in-a-box: satmc-ipmb-dev-shim.so not found; running without ipmi_sim" >&2
        sim=0
fi

if [ -z "$work" ]; then work=$(mktemp -d /tmp/bmc-in-a-box.XXXXXX); fi
mkdir -p "$work/state" "$work/hwmon" "$work/ipmi-sim"
work=$(cd "$work" && pwd)
pids=()
cleanup() {
        trap - INT TERM EXIT
        echo; echo "== stopping"
        # Newest first: the BMC before its satellites, the satellites before their bus.
        for ((i = ${#pids[@]} - 1; i >= 0; i--)); do kill "${pids[i]}" 2>/dev/null || true; done
        wait 2>/dev/null || true
        [ $keep = 1 ] || rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

wait_socket() {
        local i
        for i in $(seq 200); do [ -S "$1" ] && return 0; sleep 0.05; done
        echo "bmc-in-a-box: $2 did not come up; see $work/*.log" >&2
        exit 1
}

bus=$work/bus.sock
"$bus_bin" --socket "$bus" --pcap "$work/bus.pcap" "${faults[@]}" 2>"$work/bus.log" &
pids+=($!)
wait_socket "$bus" "the bus"

if [ -z "$board" ]; then
        # The example board, its sensors reading files here instead of hwmon and a GPIO line.
        echo 41500 > "$work/hwmon/temp1_input"
        echo 12040 > "$work/hwmon/in1_input"
        echo 5400 > "$work/hwmon/fan1_input"
        echo 1 > "$work/hwmon/psu_present"
        sed -E -e "s|/sys/class/hwmon/hwmon[0-9]+/|$work/hwmon/|" \
                -e "s|gpio:gpiochip0:17:active-low|file:$work/hwmon/psu_present|" \
                "$root/examples/board.ini" > "$work/board.ini"
        board=$work/board.ini
fi
"$satmcd_bin" --config "$board" --bus-socket "$bus" --ipmitool-socket "$work/satmcd-local.sock" \
        --nbd-socket "$work/nbd.sock" --state-directory "$work/state" 2>"$work/satmcd.log" &
pids+=($!)
wait_socket "$work/satmcd-local.sock" "satmcd"

# The satellite's address, from the config's [mc] section (0x72 if it does not say).
sat=$(awk -F= '/^\[/ { mc = ($0 ~ /^\[mc\]/) } mc && $1 ~ /^[ \t]*address[ \t]*$/ { gsub(/[ \t]/, "", $2); print $2; exit }' "$board")
sat=${sat:-0x72}
if [ $sim = 1 ] && [ $((sat)) = $((0x74)) ]; then
        echo "bmc-in-a-box: satmcd's config says 0x74, where ipmi_sim sits; use --no-ipmi-sim" >&2
        exit 2
fi

routes=()
if [ $sim = 1 ]; then
        # ipmi_sim runs its unmodified /dev/ipmb-0 code; the shim puts it on the bus at 7-bit
        # 0x3a (IPMB 0x74), as a device tree's reg would. It runs in its state directory, where
        # its sensor polls the file peer-temp (degrees C).
        echo 40 > "$work/ipmi-sim/peer-temp"
        (cd "$work/ipmi-sim" && SATMC_IPMB_DEV_BUS=$bus SATMC_IPMB_DEV_ADDR=0x3a LD_PRELOAD=$shim \
                exec ipmi_sim -c "$root/tests/integration/ipmi-sim/lan.conf" \
                -f "$root/tests/integration/ipmi-sim/sim.emu" -s "$work/ipmi-sim" -n) \
                >"$work/ipmi-sim.log" 2>&1 &
        pids+=($!)
        routes=(--route "0x74=$work/bmc-0x74.sock")
        # Ready once it answers Get Device ID on the bus (asked from 0x20 before the bridge
        # takes that address), so the first ipmitool command does not race its start-up.
        for i in $(seq 200); do
                "$send_bin" --socket "$bus" --ipmb 74 06 01 >/dev/null 2>&1 && break
                [ "$i" = 200 ] && { echo "bmc-in-a-box: ipmi_sim does not answer; see $work/ipmi-sim.log" >&2; exit 1; }
                sleep 0.05
        done
fi

"$bridge_bin" --socket "$work/bmc-$sat.sock" --target "$sat" "${routes[@]}" --bus-socket "$bus" \
        2>"$work/bridge.log" &
pids+=($!)
wait_socket "$work/bmc-$sat.sock" "the bridge"

ipmitool_wrapper=$root/ipmitool-plugin/satmc-ipmitool
cat <<EOT

BMC in a box is up (everything under $work):
  bus          $bus   capture $work/bus.pcap
  BMC 0x20     satmc-ipmb-bridge: events from satellites are printed in $work/bridge.log
  satmcd $sat  config $board, log $work/satmcd.log
EOT
[ $sim = 0 ] || echo "  ipmi_sim 0x74 $root/tests/integration/ipmi-sim/sim.emu, log $work/ipmi-sim.log"
cat <<EOT

Point ipmitool at a satellite through the BMC:
  $ipmitool_wrapper -S $work/bmc-$sat.sock mc info        # satmcd
EOT
[ $sim = 0 ] || echo "  $ipmitool_wrapper -S $work/bmc-0x74.sock mc info        # ipmi_sim"
cat <<EOT
  (or: IPMI_DUMMY_SOCK=$work/bmc-$sat.sock ipmitool -I dummy sdr list)
Faults at run time:   $send_bin --socket $bus --fault nak:p=0.1
Decode the capture:   tshark -r $work/bus.pcap -d 'i2c.message,ipmi' -o ipmi.dissect_bus_commands:TRUE
Press Ctrl-C to stop.
EOT
wait -n "${pids[@]}" || true
echo "bmc-in-a-box: a process exited; see the logs in $work" >&2
