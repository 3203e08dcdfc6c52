#!/usr/bin/env python3
"""FreeIPMI reads what satmcd serves, independently of ipmitool and of satmc's own code.

- `ipmi-fru --fru-file=` decodes every FRU image satmcd builds (the backing files in the state
  directory, the same bytes over NBD and over Read FRU Data; images at the edges: 63-byte
  fields, several custom fields, single-area devices), and the images written into it through
  Write FRU Data and through NBD.
- libfreeipmi's SDR parser and sensor-reading decoder (satmc-freeipmi-decode, built from
  freeipmi-decode.c only when libfreeipmi is found) read every record satmcd generates, from the
  `sdr` NBD export and from Get SDR over IPMB, and every Get Sensor Reading and Get Sensor
  Thresholds response; values agree with board-clients.ini within one step of the record's own
  M and Rexp as libfreeipmi parses them."""
import json, os, shutil, subprocess, sys, tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from satmc_testlib import (Rig, board_from_template, check, finish, results, skip_all,  # noqa: E402
                           wait_for)
from board_clients import READINGS, THRESHOLDS, write_value  # noqa: E402

SE, STORAGE = 0x04, 0x0A
DECODE = os.environ.get("SATMC_FREEIPMI_DECODE")
SLOW = bool(os.environ.get("SATMCD_WRAPPER"))

NAMES = ("lnc", "lcr", "lnr", "unc", "ucr", "unr")
SENSOR_TYPES = {"Board Temp": 0x01, "12V Rail": 0x02, "Fan 1": 0x04, "Inlet Temp": 0x01,
                "PSU Current": 0x03, "PSU Present": 0x25}
UNITS = {"Board Temp": 1, "12V Rail": 4, "Fan 1": 18, "Inlet Temp": 1, "PSU Current": 5}

FRU0_FIELDS = [
    ("FRU Chassis Type", "Rack Mount Chassis"),
    ("FRU Chassis Part Number", "CH-100-A"),
    ("FRU Chassis Serial Number", "CHS0001"),
    ("FRU Board Manufacturing Date/Time", "03/15/24 - 09:30:00"),
    ("FRU Board Manufacturer", "Example Networks"),
    ("FRU Board Product Name", "LC100G Line Card"),
    ("FRU Board Serial Number", "SN123456"),
    ("FRU Board Part Number", "PN-LC100G-01"),
    ("FRU FRU File ID", "lc100g.fru"),
    ("FRU Board Custom Info", "HW rev B"),
    ("FRU Product Manufacturer Name", "Example Networks"),
    ("FRU Product Name", "LC100G"),
    ("FRU Product Part/Model Number", "LC100G-R"),
    ("FRU Product Version", "2.1"),
    ("FRU Product Serial Number", "PS987654"),
    ("FRU Product Asset Tag", "ASSET-0042"),
    ("FRU Product Custom Info", "tested"),
]
# FRU 1 has no board-manufacturing-date: satmcd stores 0, "unspecified" since revision 1.2 of
# the FRU specification; FreeIPMI 1.6.10 does not know that value and shows it as the epoch.
FRU1_FIELDS = [("FRU Board Manufacturing Date/Time", "01/01/96 - 00:00:00"),
               ("FRU Board Manufacturer", "Example Networks"),
               ("FRU Board Product Name", "Fan Tray")]


def ipmi_fru(path):
    """`ipmi-fru --fru-file=PATH`: (exit status, [(name, value)] in order, whole output)."""
    r = subprocess.run(["timeout", "30", "ipmi-fru", "--fru-file=" + path],
                       capture_output=True, text=True, stdin=subprocess.DEVNULL)
    out = r.stdout + r.stderr
    pairs = [tuple(x.strip() for x in line.split(":", 1)) for line in r.stdout.splitlines()
             if line.startswith("  FRU ") and ":" in line]
    return r.returncode, pairs, out


def check_fru(path, want, what):
    rc, pairs, out = ipmi_fru(path)
    # ipmi-fru reports area checksum and format problems as lines of their own.
    complaints = [l for l in out.splitlines() if any(w in l.lower() for w in
                                                     ("invalid", "error", "checksum", "corrupt"))]
    check(rc == 0 and pairs == want and not complaints,
          "ipmi-fru %s: %d fields as configured%s" % (what, len(want),
                                                      "" if pairs == want and not complaints
                                                      else "\n" + out))


def nbd_read(uri, path):
    r = subprocess.run(["timeout", "30", "nbdcopy", uri, path], capture_output=True, text=True)
    return r.returncode == 0 and os.path.exists(path)


def read_fru_ipmb(rig, fru_id):
    """The whole FRU device over IPMB: Get FRU Inventory Area Info, then Read FRU Data in
    chunks that fit a 32-byte IPMB response."""
    f = rig.transact(STORAGE, 0x10, bytes([fru_id]))
    if f is None or f[6] != 0:
        return None
    size = f[7] | f[8] << 8
    data = b""
    while len(data) < size:
        n = min(16, size - len(data))
        off = len(data)
        f = rig.transact(STORAGE, 0x11, bytes([fru_id, off & 0xFF, off >> 8, n]))
        if f is None or f[6] != 0 or f[7] == 0:
            return None
        data += f[8:8 + f[7]]
    return data


def write_fru_ipmb(rig, fru_id, image):
    for off in range(0, len(image), 16):
        chunk = image[off:off + 16]
        f = rig.transact(STORAGE, 0x12, bytes([fru_id, off & 0xFF, off >> 8]) + chunk)
        if f is None or f[6] != 0 or f[7] != len(chunk):
            return False
    return True


def split_records(blob):
    """SDR records laid end to end (5-byte header, length in byte 4), zero padding after."""
    recs, off = [], 0
    while off + 5 <= len(blob) and blob[off + 2] == 0x51:
        n = 5 + blob[off + 4]
        recs.append(blob[off:off + n])
        off += n
    return recs


def get_sdr_ipmb(rig):
    """Every record over Storage Get SDR: reserve, then partial reads of 16 bytes."""
    f = rig.transact(STORAGE, 0x22)
    if f is None or f[6] != 0:
        return None
    res = f[7:9]
    recs, rid = [], 0
    while rid != 0xFFFF:
        f = rig.transact(STORAGE, 0x23, res + bytes([rid & 0xFF, rid >> 8, 0, 5]))
        if f is None or f[6] != 0:
            return None
        nxt, head = f[7] | f[8] << 8, f[9:14]
        body = b""
        while len(body) < head[4]:
            n = min(16, head[4] - len(body))
            f = rig.transact(STORAGE, 0x23, res + bytes([rid & 0xFF, rid >> 8, 5 + len(body), n]))
            if f is None or f[6] != 0:
                return None
            body += f[9:-1]
        recs.append(head + body)
        rid = nxt
    return recs


class Decoder:
    """satmc-freeipmi-decode as a coprocess: one request line in, one JSON line out."""

    def __init__(self):
        self.p = subprocess.Popen([DECODE], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  text=True)

    def ask(self, line):
        self.p.stdin.write(line + "\n")
        self.p.stdin.flush()
        return json.loads(self.p.stdout.readline())

    def close(self):
        self.p.stdin.close()
        return self.p.wait(30)


def step(d):
    return abs(d["m"]) * 10 ** d["rexp"]


def main():
    if not shutil.which("ipmi-fru"):
        skip_all("ipmi-fru (freeipmi-tools) not installed")
    if not DECODE:
        skip_all("libfreeipmi not found at configure time, satmc-freeipmi-decode not built")
    for tool in ("nbdcopy",):
        if not shutil.which(tool):
            skip_all("%s not installed" % tool)
    tmp, config = board_from_template("board-clients.ini", "satmc-freeipmi-")
    for name, value in READINGS.items():
        write_value(tmp, name, value)
    with open(os.path.join(tmp, "psu_present"), "w") as f:
        f.write("1\n")
    state = os.path.join(tmp, "state")
    rig = Rig(config, satmcd_args=["--state-directory", state])
    try:
        fru_tests(rig, tmp, state)
        sdr_tests(rig, tmp)
    finally:
        rc = rig.stop()
        check(rc == 0, "satmcd exits 0 on SIGTERM (%s)" % rc)
        if results["failed"]:
            # e.g. a read the sensor reader gave up on as hung (a loaded machine): logged there.
            print("satmcd's log:\n" + rig.read_stderr())
    edge_fru_tests()
    finish()


def fru_tests(rig, tmp, state):
    uri = "nbd+unix:///%s?socket=" + rig.nbd_sock
    # The images satmcd built from the configuration, three ways.
    for fru_id, want in ((0, FRU0_FIELDS), (1, FRU1_FIELDS)):
        backing = os.path.join(state, "fru%d.bin" % fru_id)
        check_fru(backing, want, "fru%d.bin (state directory)" % fru_id)
        over_nbd = os.path.join(tmp, "fru%d.nbd" % fru_id)
        check(nbd_read(uri % ("fru%d" % fru_id), over_nbd) and
              open(over_nbd, "rb").read() == open(backing, "rb").read(),
              "fru%d over NBD equals the backing file" % fru_id)
        check_fru(over_nbd, want, "fru%d read over NBD" % fru_id)
        over_ipmb = read_fru_ipmb(rig, fru_id)
        check(over_ipmb == open(backing, "rb").read(),
              "fru%d over Read FRU Data equals the backing file" % fru_id)
        path = os.path.join(tmp, "fru%d.ipmb" % fru_id)
        with open(path, "wb") as f:
            f.write(over_ipmb or b"")
        check_fru(path, want, "fru%d read over Read FRU Data" % fru_id)

    # Written in: FRU 1's image into FRU 0 with Write FRU Data, FRU 0's into FRU 1 over NBD.
    fru0 = open(os.path.join(state, "fru0.bin"), "rb").read()
    fru1 = open(os.path.join(state, "fru1.bin"), "rb").read()
    check(write_fru_ipmb(rig, 0, fru1), "Write FRU Data: fru1's image into FRU 0")
    check_fru(os.path.join(state, "fru0.bin"), FRU1_FIELDS, "fru0.bin after Write FRU Data")
    r = subprocess.run(["timeout", "30", "nbdcopy", os.path.join(tmp, "fru0.nbd"), uri % "fru1"],
                       capture_output=True, text=True)
    check(r.returncode == 0, "nbdcopy fru0's image into the fru1 export %s" % r.stderr.strip())
    wait_for(lambda: open(os.path.join(state, "fru1.bin"), "rb").read() == fru0,
             "fru1.bin to hold the NBD write")
    check_fru(os.path.join(state, "fru1.bin"), FRU0_FIELDS, "fru1.bin after the NBD write")
    path = os.path.join(tmp, "fru1-after.ipmb")
    with open(path, "wb") as f:
        f.write(read_fru_ipmb(rig, 1) or b"")
    check_fru(path, FRU0_FIELDS, "fru1 over Read FRU Data after the NBD write")


# FRU images at the edges of what satmcd builds: a 63-byte field (the longest a type/length
# byte can say), several custom fields, the first minute after the FRU epoch, a product area
# alone in a small device, a chassis area alone.
EDGE_SECTIONS = """
[fru.0]
board-manufacturing-date = 1996-01-01 00:01
board-product-name = %s
board-custom = first, second, third
product-name = xy

[fru.1]
size = 64
product-manufacturer = Only Product

[fru.2]
chassis-type = 0x01
chassis-custom = %s
""" % ("P" * 63, "C" * 63)
EDGE_FIELDS = {
    0: [("FRU Board Manufacturing Date/Time", "01/01/96 - 00:01:00"),
        ("FRU Board Product Name", "P" * 63), ("FRU Board Custom Info", "first"),
        ("FRU Board Custom Info", "second"), ("FRU Board Custom Info", "third"),
        ("FRU Product Name", "xy")],
    1: [("FRU Product Manufacturer Name", "Only Product")],
    2: [("FRU Chassis Type", "Other"), ("FRU Chassis Custom Info", "C" * 63)],
}


def edge_fru_tests():
    tmp = tempfile.mkdtemp(prefix="satmc-freeipmi-edge-")
    text = open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "board-clients.ini")).read()
    # The [fru.N] and [sensor.N] sections go; the edge FRU devices take their place.
    text = text[:text.index("[fru.0]")] + EDGE_SECTIONS
    config = os.path.join(tmp, "board.ini")
    with open(config, "w") as f:
        f.write(text)
    state = os.path.join(tmp, "state")
    rig = Rig(config, satmcd_args=["--state-directory", state])
    try:
        for fru_id, want in EDGE_FIELDS.items():
            check_fru(os.path.join(state, "fru%d.bin" % fru_id), want, "edge image fru%d" % fru_id)
    finally:
        rig.stop()


def sdr_tests(rig, tmp):
    blob_path = os.path.join(tmp, "sdr.nbd")
    check(nbd_read("nbd+unix:///sdr?socket=" + rig.nbd_sock, blob_path), "nbdcopy the sdr export")
    over_nbd = split_records(open(blob_path, "rb").read())
    over_ipmb = get_sdr_ipmb(rig)
    check(over_ipmb is not None and over_ipmb == over_nbd and len(over_nbd) == 10,
          "the sdr export and Get SDR give the same 10 records (%d, %s)"
          % (len(over_nbd), None if over_ipmb is None else len(over_ipmb)))

    dec = Decoder()
    try:
        parsed = [dec.ask("sdr " + rec.hex()) for rec in over_nbd]
        errors = [p for p in parsed if "error" in p]
        check(not errors, "libfreeipmi parses every record %s" % errors)
        ids = [p.get("record_id") for p in parsed]
        check(ids == list(range(1, len(parsed) + 1)), "record IDs 1..%d in order" % len(parsed))
        mc = [p for p in parsed if p.get("record_type") == 0x12]
        check(len(mc) == 1 and mc[0]["slave_address"] == 0x72 >> 1 and mc[0]["id"] == "LC100G" and
              mc[0]["sensor_device"] and mc[0]["fru_inventory"] and mc[0]["event_generator"] and
              not mc[0]["sdr_repository"],
              "MC locator: 0x72 (libfreeipmi: 7-bit 0x39) \"LC100G\", sensor device, FRU inventory, event generator %s" % mc)
        frus = sorted((p["fru_device_id"], p["id"], p["logical"]) for p in parsed
                      if p.get("record_type") == 0x11)
        check(frus == [(0, "LC100G Line Card", 1), (1, "Fan Tray", 1)],
              "FRU locators: logical FRU 0 and 1 %s" % frus)
        sensors = {p["id"]: p for p in parsed if p.get("record_type") == 0x01}
        check(sorted(sensors) == sorted(SENSOR_TYPES), "full sensor records %s" % sorted(sensors))
        compact = [(p["id"], p["number"], p["sensor_type"], p["event_reading_type"])
                   for p in parsed if p.get("record_type") == 0x02]
        check(compact == [("PSU Status", 7, 0x08, 0x6F)],
              "compact sensor record: PSU Status, number 7, power supply, sensor-specific %s"
              % compact)
        for name, p in sensors.items():
            check(p["sensor_type"] == SENSOR_TYPES[name] and p["linearization"] == 0 and
                  (name not in UNITS or p["base_unit"] == UNITS[name]),
                  "%s: type 0x%02x, linear, unit %s" % (name, p["sensor_type"], p["base_unit"]))

        for name, want in THRESHOLDS.items():
            p = sensors[name]
            # The SDR's copy of the thresholds, as libfreeipmi decodes it.
            got = {k: p[k] for k in NAMES if k in want}
            check(all(got[k] is not None and abs(got[k] - v) <= step(p) for k, v in want.items()),
                  "%s: SDR thresholds %s within %.5g of %s" % (name, got, step(p), want))
            # Get Sensor Thresholds, decoded with libfreeipmi's template and conversion.
            f = rig.transact(SE, 0x27, bytes([p["number"]]))
            t = dec.ask("thresholds %d %s" % (p["number"], f[5:-1].hex())) if f else {"error": "none"}
            readable = sorted(k for k in NAMES if t.get(k) is not None)
            check(readable == sorted(want) and
                  all(abs(t[k] - v) <= step(p) for k, v in want.items()),
                  "%s: Get Sensor Thresholds %s" % (name, {k: t.get(k) for k in readable}))
            # What the SDR says is readable is what Get Sensor Thresholds returns: otherwise a
            # client that reads thresholds from the SDR alone shows the unset ones as values.
            sdr_readable = sorted(k for k in NAMES if p[k] is not None)
            check(sdr_readable == readable,
                  "%s: SDR readable thresholds %s = Get Sensor Thresholds readable %s"
                  % (name, sdr_readable, readable))

        def reading(name):
            p = sensors[name]
            f = rig.transact(SE, 0x2D, bytes([p["number"]]))
            return dec.ask("reading %d %s" % (p["number"], f[5:-1].hex())) if f else {"error": "none"}

        # Until its first poll a sensor answers "reading unavailable".
        wait_for(lambda: all(reading(n).get("unavailable") == 0 for n in READINGS),
                 "first readings", timeout=30 if SLOW else 10)
        for name, want in READINGS.items():
            r = reading(name)
            check("error" not in r and not r["unavailable"] and r["scanning"] and
                  abs(r["value"] - want) <= step(sensors[name]) and r["states"] == 0,
                  "%s: libfreeipmi decodes %s, configured %s, step %.5g, no threshold crossed"
                  % (name, r.get("value"), want, step(sensors[name])))
        r = reading("PSU Present")
        check("error" not in r and r["states"] == 0x0001, "PSU Present: state 0 (present) %s" % r)

        # The ends of the ranges and threshold crossings, as libfreeipmi reads the state bits.
        cases = [("Board Temp", 90.0, 0x18), ("Board Temp", -40.0, 0x02), ("Fan 1", 20000, 0),
                 ("Fan 1", 0, 0x03), ("Inlet Temp", -55.0, 0x07), ("12V Rail", 11.4, 0x03),
                 ("12V Rail", 12.6, 0x18), ("PSU Current", 15.0, 0x10)]
        for name, value, states in cases:
            write_value(tmp, name, value)
            p = sensors[name]
            last = {}

            def settled():
                last.clear()
                last.update(reading(name))
                return "value" in last and not last.get("unavailable") and \
                    abs(last["value"] - value) <= step(p)
            try:
                wait_for(settled, "%s to read %s" % (name, value))
            except SystemExit:
                pass
            check(abs(last.get("value", float("nan")) - value) <= step(p) and
                  last.get("states") == states,
                  "%s at %s: libfreeipmi decodes %s, states 0x%02x (want 0x%02x)"
                  % (name, value, last.get("value"), last.get("states", 0xFF), states))
        with open(os.path.join(tmp, "psu_present"), "w") as f:
            f.write("0\n")
        last = {}

        def absent():
            last.update(reading("PSU Present"))
            return last.get("states") == 0x0002
        try:
            wait_for(absent, "PSU Present to read absent")
        except SystemExit:
            pass
        check(last.get("states") == 0x0002, "PSU Present: state 1 (absent) %s" % last)
    finally:
        check(dec.close() == 0, "satmc-freeipmi-decode exits 0")


if __name__ == "__main__":
    main()
