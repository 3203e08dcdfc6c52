#!/usr/bin/env bash
# The main job, end to end on one machine: install, build, start the emulated I2C bus, start
# satmcd on it with the shipped example board, and query it over the bus like a BMC would.
# Usage: scripts/demo.sh
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh >/dev/null
[ -d build ] || meson setup build -Dwerror=true >/dev/null
meson compile -C build >/dev/null

work=$(mktemp -d /tmp/satmc-demo.XXXXXX)
pids=()
cleanup() {
        # Newest first: clients before the daemon, the daemon before its bus.
        for ((i = ${#pids[@]} - 1; i >= 0; i--)); do kill "${pids[i]}" 2>/dev/null || true; done
        wait 2>/dev/null || true
        rm -rf "$work"
}
trap cleanup EXIT

bus=$work/i2c-bus.sock
echo "== emulated I2C bus at $bus (capture: $work/bus.pcap)"
build/tools/satmc-i2c-bus --socket "$bus" --pcap "$work/bus.pcap" &
pids+=($!)
for _ in $(seq 100); do [ -S "$bus" ] && break; sleep 0.05; done

echo "== satmcd with examples/board.ini (sensors pointed at files this demo writes)"
mkdir -p "$work/state" "$work/hwmon"
# No hwmon here: the example's sensors read files the demo writes instead (same units).
echo 41500 > "$work/hwmon/temp1_input"          # millidegrees C
echo 12040 > "$work/hwmon/in1_input"            # millivolts
echo 5400 > "$work/hwmon/fan1_input"            # RPM
# No gpiochip either: the PSU's presence line reads a file holding its logical level.
echo 1 > "$work/hwmon/psu_present"
sed -E -e "s|/sys/class/hwmon/hwmon[0-9]+/|$work/hwmon/|" \
        -e "s|gpio:gpiochip0:17:active-low|file:$work/hwmon/psu_present|" \
        examples/board.ini > "$work/board.ini"
build/daemon/satmcd --config "$work/board.ini" --bus-socket "$bus" \
        --ipmitool-socket "$work/satmcd-ipmitool.sock" --nbd-socket "$work/nbd.sock" \
        --state-directory "$work/state" &
pids+=($!)

echo "== Get Device ID from the BMC's address (0x20) to the satellite (0x72), over the bus"
python3 scripts/demo-query.py "$bus"

echo "== the BMC side: stock ipmitool through satmc-ipmb-bridge, over IPMB to 0x72"
build/ipmitool-plugin/satmc-ipmb-bridge --socket "$work/bmc.sock" --target 0x72 \
        --bus-socket "$bus" &
pids+=($!)
for _ in $(seq 100); do [ -S "$work/bmc.sock" ] && break; sleep 0.05; done
echo "\$ satmc-ipmitool -S $work/bmc.sock mc info"
timeout 20 ipmitool-plugin/satmc-ipmitool -S "$work/bmc.sock" mc info
echo "\$ satmc-ipmitool -S $work/bmc.sock fru print 0      # 24-byte reads over IPMB"
timeout 30 ipmitool-plugin/satmc-ipmitool -S "$work/bmc.sock" fru print 0

echo "\$ satmc-ipmitool -S $work/bmc.sock sdr list      # sensors, over IPMB"
timeout 60 ipmitool-plugin/satmc-ipmitool -S "$work/bmc.sock" sdr list

echo "== events: the board heats past 70 C and its PSU is pulled; the BMC (the bridge at 0x20)"
echo "   receives satmcd's Platform Event Messages and acknowledges them"
# Atomic replacement, so that a poll never reads half a number.
echo 78000 > "$work/hwmon/temp1_input.new" && mv "$work/hwmon/temp1_input.new" "$work/hwmon/temp1_input"
echo 0 > "$work/hwmon/psu_present.new" && mv "$work/hwmon/psu_present.new" "$work/hwmon/psu_present"
sleep 2.5
echo "\$ satmc-ipmitool -S $work/bmc.sock sdr elist      # the same sensors, now"
timeout 60 ipmitool-plugin/satmc-ipmitool -S "$work/bmc.sock" sdr elist

echo "== the same inventory as a block device: satmcd's NBD exports"
nbdinfo --list "nbd+unix:///?socket=$work/nbd.sock" | grep -E '^export=|export-size|is_read_only|description'

echo "== what crossed the bus, decoded by tshark: the first requests, then the events"
if command -v tshark >/dev/null; then
        decode=(tshark -r "$work/bus.pcap" -d 'i2c.message,ipmi' -o ipmi.dissect_bus_commands:TRUE)
        # Whole output first, then cut: tshark must not die of a closed pipe halfway.
        "${decode[@]}" 2>/dev/null > "$work/decoded.txt" || true
        head -9 "$work/decoded.txt"
        echo "   ..."
        "${decode[@]}" -Y 'ipmi.header.netfn == 0x04 && ipmi.header.command == 0x02' \
                2>/dev/null > "$work/events.txt" || true
        cat "$work/events.txt"
else
        echo "(tshark not available)"
fi

echo "== an ATCA board: satmcd as its IPM controller ([picmg] profile = atca-ipmc) on a bus of"
echo "   its own, and a shelf manager (tests/harness/shelf-manager.py) bringing it up and down"
shelf_bus=$work/shelf-bus.sock
build/tools/satmc-i2c-bus --socket "$shelf_bus" &
pids+=($!)
for _ in $(seq 100); do [ -S "$shelf_bus" ] && break; sleep 0.05; done
cat > "$work/atca.ini" <<INI
[mc]
address = 0x72
event-receiver = 0x20

[transport]
type = emulated
bus-socket = $shelf_bus

[identity]
firmware-version = 1.00
manufacturer-id = 0x007ED9
product-id = 0x3001
guid = 6a1f83c2-4e77-4b1d-9c08-51d2e4a7b931

[picmg]
profile = atca-ipmc

[fru.0]
board-manufacturer = Example Telecom
board-product-name = ATCA Demo Blade

[picmg-power.0]
levels = 40 W, 120 W, 200 W

[picmg-link.0]
interface = base
channel = 1
ports = 0
link-type = base

[picmg-link.1]
interface = fabric
channel = 1
ports = 0 1 2 3
link-type = ethernet
extension = 4
INI
mkdir -p "$work/atca-state"
build/daemon/satmcd --config "$work/atca.ini" --ipmitool-socket "$work/atca-ipmitool.sock" \
        --nbd-socket "$work/atca-nbd.sock" --state-directory "$work/atca-state" &
pids+=($!)
for _ in $(seq 100); do [ -S "$work/atca-ipmitool.sock" ] && break; sleep 0.05; done
timeout 60 python3 tests/harness/shelf-manager.py --socket "$shelf_bus" --deactivate
