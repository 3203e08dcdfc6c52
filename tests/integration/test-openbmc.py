#!/usr/bin/env python3
"""OpenBMC's dbus-sensors reading satmcd, reproduced from its source: the BMC at 0x20 on the
emulated bus does exactly what IpmbSDRSensor and IpmbSensor send, and accepts only what they
accept, against satmcd running examples/board.ini (its hwmon files and GPIO replaced by files
this test writes).

Upstream: openbmc/dbus-sensors, src/ipmb/IpmbSDRSensor.cpp and .hpp (the SDR scan and decode),
src/ipmb/IpmbSensor.cpp and .hpp (the MESensor reading), src/Thresholds.cpp (the thresholds of
an Entity-Manager configuration); every rule below names the function it comes from. Their
transport is ipmbbridged's sendRequest, which answers (status, netfn, lun, cmd, cc, data):
status is 0 when a response arrived, data is what follows the completion code, and neither
IpmbSDRSensor nor IpmbSensor looks at cc (validateStatus(), ipmbRequestCompletionCb() check
std::get<0>, the status, only)."""
import json, math, os, re, subprocess, sys, tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from satmc_testlib import Rig, check, finish, wait_for  # noqa: E402

ROOT = os.environ.get("SATMC_SOURCE_ROOT", os.path.join(os.path.dirname(__file__), "../.."))
EXAMPLE = os.path.join(ROOT, "examples", "board.ini")
SE, STORAGE = 0x04, 0x0A
SLOW = bool(os.environ.get("SATMCD_WRAPPER"))

# What the test writes for the example's sources, in their own units (hwmon: milli-units).
VALUES = {"temp1_input": 41500, "in1_input": 12040, "fan1_input": 5400, "psu_present": 1}
SCALE = {"temp1_input": 0.001, "in1_input": 0.001, "fan1_input": 1}


def example_board(tmp):
    """examples/board.ini with its sources pointed at files in tmp (as scripts/demo.sh does):
    (config path, {sensor name: engineering value}, parsed [sensor.N] sections)."""
    with open(EXAMPLE) as f:
        text = f.read()
    text = re.sub(r"/sys/class/hwmon/hwmon[0-9]+/", tmp + "/", text)
    text = text.replace("gpio:gpiochip0:17:active-low", "file:%s/psu_present" % tmp)
    for name, v in VALUES.items():
        with open(os.path.join(tmp, name), "w") as f:
            f.write("%d\n" % v)
    path = os.path.join(tmp, "board.ini")
    with open(path, "w") as f:
        f.write(text)
    sensors, cur = {}, None
    for line in text.splitlines():
        line = line.strip()
        m = re.match(r"\[sensor\.(\d+)\]", line)
        if m:
            cur = sensors.setdefault(int(m.group(1)), {})
        elif line.startswith("["):
            cur = None
        elif cur is not None and "=" in line and not line.startswith("#"):
            k, v = (s.strip() for s in line.split("=", 1))
            cur[k] = v
    values = {}
    for s in sensors.values():
        src = os.path.basename(s["source"].split(":")[1])
        if src in SCALE:
            values[s["name"]] = VALUES[src] * SCALE[src]
    return path, values, sensors


class Ipmbbridged:
    """ipmbbridged's sendRequest as dbus-sensors sees it: (status, data). ipmbbridged tries 6
    times, 250 ms apart (ipmbbridged.hpp: ipmbNumberOfTries, ipmbRequestRetryTimeout) with the
    same sequence number; one try with the whole 1.5 s here, satmcd's replay window covers the
    retries (docs/compatibility.md)."""

    def __init__(self, rig):
        self.rig, self.requests = rig, 0

    def send(self, netfn, cmd, data=b""):
        self.requests += 1
        f = self.rig.transact(netfn, cmd, bytes(data), timeout=5 if SLOW else 1.5)
        if f is None or len(f) < 8:
            return 4, b""                   # ipmbResponseStatus::timeout
        return 0, f[7:-1]


def sdr_scan(bus):
    """IpmbSDRDevice's scan (IpmbSDRSensor.cpp), step by step. Returns (records, error): every
    record as IpmbSDRSensor ends up with it, and why it stopped early (None if it did not)."""
    # getSDRRepositoryInfo(): Storage 0x20, no data; at least 14 data bytes (sdrInfoDataSize),
    # the record count in bytes 1 (LSB) and 2 (MSB).
    st, data = bus.send(STORAGE, 0x20)
    if st != 0 or len(data) < 14:
        return [], "Get SDR Repository Info: status %d, %d data bytes" % (st, len(data))
    record_count = data[1] | data[2] << 8
    # reserveSDRRepository(): Storage 0x22; at least 2 data bytes (sdrReserveDataSize).
    st, data = bus.send(STORAGE, 0x22)
    if st != 0 or len(data) < 2:
        return [], "Reserve SDR Repository: status %d, %d data bytes" % (st, len(data))
    reservation = data[0:2]

    # getSDRSensorData() / handleSDRData(): members validRecordCount = 1, iCnt = 0,
    # nextRecordID = 0000h, sdrData empty (IpmbSDRSensor.hpp).
    valid_record_count, i_cnt, next_id, sdr_data, records = 1, 0, b"\0\0", bytearray(), []
    while bus.requests < 10000:
        # Get SDR: reservation, record ID, offset = perCountByte * iCnt (a uint8_t), count
        # perCountByte = 16, from record 0000h on.
        st, data = bus.send(STORAGE, 0x23, reservation + next_id + bytes([(16 * i_cnt) & 0xFF, 16]))
        if st != 0:
            return records, "Get SDR status %d" % st
        # getSDRSensorData(): fewer than sdrSensorDataSize = 18 data bytes (2 for the next
        # record ID, 16 of the record) ends the scan ("IPMB SDR sensor data is empty").
        if len(data) < 18:
            return records, "Get SDR of %s at offset %d: %d data bytes, fewer than 18" % (
                next_id.hex(), 16 * i_cnt, len(data))
        # handleSDRData(): the answers go back to back, next-record-ID prefixes included; the
        # record is complete once there are sdrData[6] + 7 bytes (a uint8_t sum: the length
        # byte is at index 6 behind the first prefix, dataLengthByte + 1 = 7).
        sdr_data += data
        data_length = (sdr_data[6] + 7) & 0xFF
        if len(sdr_data) < data_length:
            i_cnt += 1
            continue
        records.append(check_sdr_data(sdr_data, data_length))
        i_cnt = 0
        # The next record ID is the first answer's prefix.
        next_id = bytes(sdr_data[0:2])
        sdr_data = bytearray()
        if valid_record_count == record_count:
            return records, None
        valid_record_count += 1
    return records, "no end after 10000 requests"


def check_sdr_data(b, data_length):
    """checkSDRData() and checkSDRType01Threshold(): b is the framed record (every 16-byte
    piece behind its 2-byte prefix), indices as in IpmbSDRSensor.hpp."""
    if len(b) < data_length:
        return {"type": None}
    if b[5] != 1:                           # sdr::sdrType: only Full Sensor Records (01h)
        return {"type": b[5]}
    # checkSDRData(): dataLen = byte 6; strLen = byte 53 (nameLengthByte) & 0x1F; the name
    # starts at dataLen + (dataLen / perCountByte) * 4 - (strLen - 1), integer division.
    data_len = b[6]
    str_len = b[53] & 0x1F
    str_addr = data_len + (data_len // 16) * 4 - (str_len - 1)
    name = bytes(b[str_addr:str_addr + str_len]) if str_addr + str_len <= len(b) else None
    rec = {"type": 1, "name": name.decode("latin-1") if name is not None else None}
    # checkSDRType01Threshold(): only linear sensors (sdrLinearByte 27 == 0).
    if b[27] != 0:
        rec["linear"] = False
        return rec
    # Threshold access: capabilities (byte 13) & 0x0C.
    rec["cap"] = b[13] & 0x0C
    # M and B: 10 bits each, low byte plus bits 7:6 of the next one shifted by 2, as
    # unsigned numbers (uint16_t mData, bData): a negative M or B is read as 1024 + it.
    m = (b[29] & 0xC0) << 2 | b[28]
    bb = (b[31] & 0xC0) << 2 | b[30]
    # Exponents (byte 33, rbExpDataByte): Bexp in bits 3:0; above 7 it becomes
    # (~Bexp + 1) & 0xF, its magnitude, and stays positive (the sign is lost). Rexp in
    # bits 7:4 the same way, then negated: Rexp's sign is kept.
    b_exp = b[33] & 0xF
    if b_exp > 7:
        b_exp = (~b_exp + 1) & 0xF
    r_exp = (b[33] >> 4) & 0xF
    if r_exp > 7:
        r_exp = -((~r_exp + 1) & 0xF)
    b_val = bb * 10.0 ** b_exp
    exp_val = 10.0 ** r_exp

    def value(raw):                         # sensorValCalculation(): ((M * x) + B') * 10^K2
        return (m * raw + b_val) * exp_val

    rec.update(number=b[9], unit=b[25], neg_read=b[24], m=m, b_val=b_val, exp_val=exp_val,
               step=m * exp_val, value=value,
               # Thresholds: upper critical is byte 43, lower critical byte 46, the raw
               # byte as an unsigned number.
               uc=value(b[43]), lc=value(b[46]))
    return rec


def me_sensor_reading(bus, address):
    """IpmbSensor with Class MESensor: loadDefaults() sends Get Sensor Reading (netFn 04h,
    cmd 2Dh) with {Address}; processReading(byte0) refuses what ipmi::sensor::isValid()
    refuses (fewer than 3 data bytes, or bit 5 of byte 1, "reading unavailable", set) and
    takes data[0] as an unsigned number. None when refused."""
    st, data = bus.send(SE, 0x2D, bytes([address]))
    if st != 0 or not data:                 # ipmbRequestCompletionCb(): status, data.empty()
        return None
    if len(data) < 3 or data[1] & (1 << 5):
        return None
    return data[0]


def threshold_value(sensor, key):
    return float(sensor[key]) if key in sensor else None


def main():
    tmp = tempfile.mkdtemp(prefix="satmc-openbmc-")
    config, values, sections = example_board(tmp)
    threshold_sensors = {s["name"]: s for s in sections.values() if s.get("type") != "presence"}

    # --print-bmc-config=openbmc: the Entity-Manager JSON an integrator pastes.
    r = subprocess.run([os.environ["SATMCD"], "--config", config, "--print-bmc-config=openbmc"],
                       capture_output=True, text=True)
    try:
        em = json.loads(r.stdout)
    except ValueError:
        em = {"Exposes": []}
    check(r.returncode == 0 and em["Exposes"], "--print-bmc-config=openbmc prints JSON (rc %d: %s)"
          % (r.returncode, r.stderr.strip()[:200]))
    exposes = {e["Name"]: e for e in em["Exposes"]}
    # createSensors(): Type "IpmbSensor"; Address and Class are required (loadVariant throws
    # without them); sensorClassType() knows MESensor; sensorSubType() knows these names.
    check(all(e.get("Type") == "IpmbSensor" and e.get("Class") == "MESensor" and
              isinstance(e.get("Address"), int) and
              e.get("SensorType") in ("temperature", "voltage", "current", "power")
              for e in exposes.values()),
          "every expose is an IpmbSensor/MESensor with a numeric Address and a known SensorType")
    check(set(exposes) == {"Board Temp", "12V Rail"},
          "exposed: the temperature and the voltage; fan and presence left out (%s)" % sorted(exposes))
    check("Fan 1" in r.stderr and "PSU Present" in r.stderr,
          "the sensors left out are named on stderr")
    r = subprocess.run([os.environ["SATMCD"], "--config", config, "--print-bmc-config=redfish"],
                       capture_output=True, text=True)
    check(r.returncode == 2 and not r.stdout and "openbmc" in r.stderr,
          "--print-bmc-config of an unknown stack: usage error, nothing printed")

    rig = Rig(config, satmcd_args=["--state-directory", os.path.join(tmp, "state")])
    bus = Ipmbbridged(rig)
    try:
        # Every source read once: Get Sensor Reading without "reading unavailable".
        for s in threshold_sensors.values():
            number = int([k for k, v in sections.items() if v is s][0]) + 1
            wait_for(lambda: me_sensor_reading(bus, number) is not None, "%s read" % s["name"],
                     timeout=30 if SLOW else 10)

        # The SDR scan: every record, in 16-byte pieces.
        bus.requests = 0
        records, error = sdr_scan(bus)
        check(error is None, "IpmbSDRSensor scan reads to the end (%s, %d requests)" %
              (error or "ok", bus.requests))
        st, info = bus.send(STORAGE, 0x20)
        count = info[1] | info[2] << 8 if len(info) >= 3 else -1
        check(len(records) == count == 2 + len(sections),
              "every record read: %d of %d (MC locator, FRU locator, %d sensors)" %
              (len(records), count, len(sections)))
        full = {rec["name"]: rec for rec in records if rec.get("type") == 1}
        check(set(full) == {s["name"] for s in sections.values()},
              "every Full Sensor Record's name decodes: %s" % sorted(map(str, full)))

        for name, s in threshold_sensors.items():
            rec = full.get(name)
            if not rec or "value" not in rec:
                check(False, "%s: no Full Sensor Record decoded" % name)
                continue
            step = rec["step"]
            lo, hi = (float(x) for x in s["range"].split(".."))
            # UC/LC as IpmbSDRSensor decodes them: the configured value within one step; an
            # unset one lies at or beyond the end of the range (no in-range reading crosses it).
            for key, got, unset_ok in (("upper-critical", rec["uc"], lambda v: v >= hi),
                                       ("lower-critical", rec["lc"], lambda v: v <= lo)):
                want = threshold_value(s, key)
                if want is None:
                    check(unset_ok(got), "%s: %s unset, decoded %g, beyond the range %g..%g" %
                          (name, key, got, lo, hi))
                else:
                    check(abs(got - want) <= step, "%s: SDR %s %g, configured %g (step %g)" %
                          (name, key, got, want, step))
            # The reading through the SDR's conversion (sensorValRecord: M, B * 10^K1, 10^K2),
            # byte 0 as IpmbSensor takes it.
            raw = me_sensor_reading(bus, rec["number"])
            got = rec["value"](raw) if raw is not None else None
            check(got is not None and abs(got - values[name]) <= step,
                  "%s: value through the SDR %s, file says %g (step %g)" %
                  (name, got, values[name], step))

            e = exposes.get(name)
            if e is None:
                continue
            # The MESensor path: byte 0 * ScaleValue + OffsetValue (ipmbRequestCompletionCb()).
            check(e["Address"] == rec["number"], "%s: JSON Address %s is the SDR's sensor number %d"
                  % (name, e["Address"], rec["number"]))
            raw = me_sensor_reading(bus, e["Address"])
            got = raw * e["ScaleValue"] + e["OffsetValue"] if raw is not None else None
            check(got is not None and abs(got - values[name]) <= step,
                  "%s: IpmbSensor value %s, file says %g (step %g)" % (name, got, values[name], step))
            check(math.isclose(e["ScaleValue"], rec["m"] * rec["exp_val"], rel_tol=1e-9) and
                  math.isclose(e["OffsetValue"], rec["b_val"] * rec["exp_val"], rel_tol=1e-9,
                               abs_tol=1e-12),
                  "%s: JSON ScaleValue/OffsetValue %g/%g are the SDR's M*10^K2, B*10^(K1+K2)" %
                  (name, e["ScaleValue"], e["OffsetValue"]))
            # parseThresholdsFromConfig(): Direction "greater than"/"less than", Severity 0
            # (warning), 1 (critical), 4 (hard shutdown), Value.
            want = set()
            for key, direction, severity in (
                    ("upper-non-recoverable", "greater than", 4), ("upper-critical", "greater than", 1),
                    ("upper-non-critical", "greater than", 0), ("lower-non-critical", "less than", 0),
                    ("lower-critical", "less than", 1), ("lower-non-recoverable", "less than", 4)):
                if key in s:
                    want.add((direction, severity, float(s[key])))
            got = {(t["Direction"], t["Severity"], float(t["Value"])) for t in e["Thresholds"]}
            check(got == want, "%s: JSON thresholds are the configured ones" % name)

        # ipmbbridged's retry (ipmbbridged.cpp, IpmbChannel::requestAdd()): when no response
        # came within ipmbRequestRetryTimeout (250 ms) it sends the same frame again, same
        # sequence number, up to ipmbNumberOfTries (6) times: 1.5 s, inside satmcd's 5 s
        # duplicate-window-ms. A retried Reserve SDR Repository must not reserve again (that
        # would cancel the reservation the first answer handed out): the replay cache answers.
        before = rig.counters()
        seq = rig.next_seq()
        first = rig.transact(STORAGE, 0x22, seq=seq, timeout=5 if SLOW else 1.5)
        retries = [rig.transact(STORAGE, 0x22, seq=seq, timeout=5 if SLOW else 1.5)
                   for _ in range(5)]
        after = rig.counters()
        check(first is not None and all(r == first for r in retries) and
              after["responses-replayed"] - before["responses-replayed"] == 5,
              "ipmbbridged's 5 retries of one Reserve: the same reservation, replayed (%d)" %
              (after["responses-replayed"] - before["responses-replayed"]))
        st, d = bus.send(STORAGE, 0x23, first[7:9] + b"\0\0" + bytes([16, 16]))
        check(st == 0 and len(d) == 18, "the replayed reservation is the one in force")

        # Scanning off (Set Sensor Event Enable, byte 2 bit 6 clear): the reading is
        # unavailable, so IpmbSensor's isValid() refuses it instead of using a stale value.
        number = exposes.get("Board Temp", {}).get("Address", 1)
        st, _ = bus.send(SE, 0x28, bytes([number, 0x80]))
        check(me_sensor_reading(bus, number) is None,
              "scanning disabled: IpmbSensor refuses the reading (reading unavailable)")
        bus.send(SE, 0x28, bytes([number, 0xC0]))
        wait_for(lambda: me_sensor_reading(bus, number) is not None, "reading after scanning on",
                 timeout=30 if SLOW else 10)
        check(True, "scanning on again: a fresh reading")
    finally:
        rc = rig.stop()
    check(rc == 0, "satmcd exits cleanly (rc %s)" % rc)
    finish()


if __name__ == "__main__":
    main()
