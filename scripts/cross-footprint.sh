#!/usr/bin/env bash
# satmcd's footprint on a target architecture, for docs/performance.md: the stripped size of
# build-ARCH/daemon/satmcd, the shared libraries it needs, and its resident memory under
# qemu-user with examples/board.ini after ipmitool (the target's own, under qemu) has read its
# device ID, SDRs and FRU. qemu-user's own memory is in the process too, so the same is measured
# for a do-nothing target program and the difference reported as satmcd's.
# Needs scripts/cross.sh ARCH to have run (the build and the target ipmitool).
# Usage: scripts/cross-footprint.sh arm64|armhf|native
set -euo pipefail
cd "$(dirname "$0")/.."

arch=${1:?usage: $0 arm64|armhf|native}
case $arch in
arm64) t=aarch64-linux-gnu qemu=(qemu-aarch64-static) b=build-arm64 ;;
armhf) t=arm-linux-gnueabihf qemu=(qemu-arm-static) b=build-armhf ;;
native) t=x86_64-linux-gnu qemu=() b=build ;;
*) echo "usage: $0 arm64|armhf|native" >&2; exit 2 ;;
esac
ipmitool=ipmitool
[ "$arch" = native ] || ipmitool=/opt/satmc-cross/$arch/bin/ipmitool
[ -x "$b/daemon/satmcd" ] || { echo "$b/daemon/satmcd: run scripts/cross.sh $arch first" >&2; exit 1; }

work=$(mktemp -d)
pids=()
cleanup() {
        for ((i = ${#pids[@]} - 1; i >= 0; i--)); do kill "${pids[i]}" 2>/dev/null || true; done
        wait 2>/dev/null || true
        rm -rf "$work"
}
trap cleanup EXIT

"$t-strip" -o "$work/satmcd.stripped" "$b/daemon/satmcd"
echo "stripped satmcd: $(stat -c %s "$work/satmcd.stripped") bytes ($arch)"
echo "needs: $(readelf -d "$b/daemon/satmcd" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' ')"

rss_kb() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status"; }
hwm_kb() { awk '/^VmHWM/ { print $2 }' "/proc/$1/status"; }

# The emulated bus is only plumbing here: the build machine's own.
build/tools/satmc-i2c-bus --socket "$work/bus.sock" &
pids+=($!)
for _ in $(seq 200); do [ -S "$work/bus.sock" ] && break; sleep 0.05; done

mkdir -p "$work/state" "$work/hwmon"
echo 41500 > "$work/hwmon/temp1_input"
echo 12040 > "$work/hwmon/in1_input"
echo 5400 > "$work/hwmon/fan1_input"
echo 1 > "$work/hwmon/psu_present"
sed -E -e "s|/sys/class/hwmon/hwmon[0-9]+/|$work/hwmon/|" \
        -e "s|gpio:gpiochip0:17:active-low|file:$work/hwmon/psu_present|" \
        examples/board.ini > "$work/board.ini"
"${qemu[@]}" "$work/satmcd.stripped" --config "$work/board.ini" --bus-socket "$work/bus.sock" \
        --ipmitool-socket "$work/ipmitool.sock" --nbd-socket "$work/nbd.sock" \
        --state-directory "$work/state" 2> "$work/satmcd.log" &
satmcd=$!
pids+=($satmcd)
for _ in $(seq 600); do [ -S "$work/ipmitool.sock" ] && break; sleep 0.05; done
[ -S "$work/ipmitool.sock" ] || { cat "$work/satmcd.log" >&2; exit 1; }
sleep 1
echo "satmcd started: VmRSS $(rss_kb $satmcd) kB"
for cmd in "mc info" "sdr list" "fru print 0"; do
        # shellcheck disable=SC2086
        IPMI_DUMMY_SOCK=$work/ipmitool.sock timeout 120 "$ipmitool" -I dummy $cmd > /dev/null
done
echo "after mc info, sdr list, fru print 0: VmRSS $(rss_kb $satmcd) kB, VmHWM $(hwm_kb $satmcd) kB"

if [ ${#qemu[@]} -gt 0 ]; then
        # The same emulator running a target program that only waits: qemu's own share.
        printf '#include <unistd.h>\nint main(void) { pause(); return 0; }\n' > "$work/idle.c"
        "$t-gcc" -O2 -o "$work/idle" "$work/idle.c"
        "${qemu[@]}" "$work/idle" &
        idle=$!
        pids+=($idle)
        sleep 1
        echo "qemu-user running an idle target program: VmRSS $(rss_kb $idle) kB"
        echo "satmcd's own share: $(( $(rss_kb $satmcd) - $(rss_kb $idle) )) kB"
fi
