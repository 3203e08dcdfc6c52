#!/usr/bin/env python3
"""The example boards under examples/ (psu.ini, fan-tray.ini, line-card.ini) as a user runs
them: each passes `satmcd --check-config` as shipped, then runs on the emulated bus with its
hardware faked underneath the daemon's real code paths: hwmon paths pointed at files this test
writes, /dev/i2c-N adapters and libgpiod answered by tests/harness/satmc-hw-shim.so (LD_PRELOAD)
from a script this test writes (PMBus registers encoded in LINEAR11/LINEAR16 here, with PEC
checked by the shim). Stock ipmitool through satmc-ipmb-bridge reads back `mc info`,
`fru print -v` (the typed multirecords included) and `sdr elist` (readings and entity IDs),
`sensor get` of the PSU's discrete sensor once the fake supply raises STATUS_WORD's
POWER_GOOD# bit, the fan tray's pwm files following its curve, and its OEM command; FreeIPMI's
ipmi-fru decodes the stored FRU image. Every expected value is computed from the example's own
text (configparser), so the examples can change and the test follows them."""
import configparser, math, os, re, shutil, signal, socket, subprocess, sys, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from satmc_testlib import Rig, check, finish, ipmitool, skip, wait_for  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.environ.get("SATMC_SOURCE_ROOT", os.path.join(HERE, "../.."))
BRIDGE = os.environ["SATMC_IPMB_BRIDGE"]
BRIDGE_OWN = 0x22
EXAMPLES = ("psu.ini", "fan-tray.ini", "line-card.ini")
HWMON = re.compile(r"/sys/class/hwmon/(hwmon[0-9]+)/")
SHIM = os.environ["SATMC_HW_SHIM"]

# The PMBus commands the examples read (PMBus 1.3 Part II, table 31).
PMBUS = {"READ_VIN": 0x88, "READ_IIN": 0x89, "READ_VOUT": 0x8B, "READ_IOUT": 0x8C,
         "READ_TEMPERATURE_1": 0x8D, "READ_TEMPERATURE_2": 0x8E, "READ_TEMPERATURE_3": 0x8F,
         "READ_FAN_SPEED_1": 0x90, "READ_POUT": 0x96, "READ_PIN": 0x97, "STATUS_WORD": 0x79,
         "STATUS_VOUT": 0x7A, "STATUS_IOUT": 0x7B, "STATUS_INPUT": 0x7C,
         "STATUS_TEMPERATURE": 0x7D, "STATUS_FANS_1_2": 0x81}
VOUT_MODE, VOUT_EXPONENT = 0x20, -9     # LINEAR16 with 2^-9 V per count, as many 12 V supplies
ENTITY = {"system-board": 7, "power-supply": 10, "add-in-card": 11, "processor": 3,
          "fan-cooling-device": 29, "cooling-unit": 30, "io-module": 44}


def linear11(value):
    """value as a PMBus LINEAR11 word: the smallest exponent whose mantissa fits 11 bits."""
    for n in range(-16, 16):
        y = round(value / 2 ** n)
        if -1024 <= y <= 1023:
            return (n & 0x1F) << 11 | (y & 0x7FF), y * 2 ** n
    raise ValueError(value)


class Hardware:
    """The fake board under satmcd: the shim's adapter scripts and GPIO files in one folder."""

    def __init__(self, path):
        self.dir = path
        self.devices = {}                   # (bus, addr7) -> {"pages", "pec", "regs"}
        os.makedirs(os.path.join(path, "gpio"), exist_ok=True)

    def device(self, bus, addr, page, pec):
        d = self.devices.setdefault((bus, addr), {"pages": 1, "pec": False, "regs": {}})
        d["pages"] = max(d["pages"], page + 1)
        d["pec"] = d["pec"] or pec
        return d

    def set_reg(self, bus, addr, page, cmd, value):
        self.devices[(bus, addr)]["regs"][(page, cmd)] = value
        self.write()

    def write(self):
        for bus in {b for b, _ in self.devices}:
            lines = []
            for (b, addr), d in sorted(self.devices.items()):
                if b != bus:
                    continue
                lines.append("device 0x%02x pages=%d%s" % (addr, d["pages"], " pec" if d["pec"] else ""))
                lines += ["reg 0x%02x %d 0x%02x 0x%04x" % (addr, p, c, v)
                          for (p, c), v in sorted(d["regs"].items())]
            path = os.path.join(self.dir, "i2c-%d" % bus)
            with open(path + ".new", "w") as f:
                f.write("\n".join(lines) + "\n")
            os.rename(path + ".new", path)

    def gpio(self, chip, line, level):
        os.makedirs(os.path.join(self.dir, "gpio", chip), exist_ok=True)
        with open(os.path.join(self.dir, "gpio", chip, str(line)), "w") as f:
            f.write("%d\n" % level)

    def gpio_level(self, chip, line):
        with open(os.path.join(self.dir, "gpio", chip, str(line))) as f:
            return int(f.read())


def load_ini(path):
    cp = configparser.ConfigParser(interpolation=None, inline_comment_prefixes=(" ;",))
    cp.optionxform = str
    cp.read(path)
    return cp


def quantity(text, unit_scale):
    """'45.8 A' -> 45.8 in the unit of unit_scale's first key ({'A': 1, 'mA': 0.001})."""
    m = re.fullmatch(r"\s*(-?[0-9.]+)\s*([A-Za-z]+)\s*", text)
    return float(m.group(1)) * unit_scale[m.group(2)]


VOLTS = {"V": 1, "mV": 0.001}
AMPS = {"A": 1, "mA": 0.001}


def value_range(text, scale):
    lo, hi = text.split("..")
    unit = re.search(r"[A-Za-z]+\s*$", hi).group(0).strip()
    if not re.search(r"[A-Za-z]", lo):
        lo += " " + unit
    return quantity(lo, scale), quantity(hi, scale)


def sections(cp, prefix):
    return [s for s in cp.sections() if s.startswith(prefix)]


def ipmitool_fru_expect(cp):
    """[(title, name, value)] that `ipmitool -v fru print 0` must print for the records."""
    want = []
    for sec in sections(cp, "fru.0.power-supply"):
        s = cp[sec]
        g = lambda k, d: s.get(k, d)  # noqa: E731
        lo, hi = value_range(g("input-voltage-1", ""), VOLTS)
        want += [("Power Supply Record", "Capacity", "%d W" % quantity(g("capacity", ""), {"W": 1})),
                 ("Power Supply Record", "Peak VA", "%d VA" % quantity(g("peak-va", "65535 VA"), {"VA": 1})),
                 ("Power Supply Record", "Inrush Current", "%d A" % quantity(g("inrush-current", "255 A"), AMPS)),
                 ("Power Supply Record", "Inrush Interval", "%d ms" % quantity(g("inrush-interval", "0 ms"), {"ms": 1, "s": 1000})),
                 ("Power Supply Record", "Input Voltage Range 1", "%d-%d V" % (lo, hi))]
        if "input-frequency" in s:
            flo, fhi = value_range(s["input-frequency"], {"Hz": 1})
            want.append(("Power Supply Record", "Input Frequency Range", "%d-%d Hz" % (flo, fhi)))
        want.append(("Power Supply Record", "A/C Dropout Tolerance",
                     "%d ms" % quantity(g("ac-dropout-tolerance", "0 ms"), {"ms": 1, "s": 1000})))
        want.append(("Power Supply Record", "Peak capacity",
                     "%d W" % quantity(g("peak-capacity", "0 W"), {"W": 1})))
        want.append(("Power Supply Record", "Peak capacity holdup",
                     "%d s" % quantity(g("hold-up-time", "0 s"), {"s": 1})))
        if g("predictive-fail", "none").startswith("tachometer"):
            want.append(("Power Supply Record", "Fan lower threshold",
                         "%d RPS" % quantity(g("tachometer-lower-threshold", ""), {"RPS": 1})))
    for sec in sections(cp, "fru.0.dc-output."):
        s = cp[sec]
        want += [("DC Output Record", "Output Number", sec.rsplit(".", 1)[1]),
                 ("DC Output Record", "Standby power", "Yes" if s.get("standby") == "yes" else "No"),
                 ("DC Output Record", "Nominal voltage", "%.2f V" % quantity(s["nominal-voltage"], VOLTS)),
                 ("DC Output Record", "Max negative deviation",
                  "%.2f V" % quantity(s.get("max-negative-deviation", "0 V"), VOLTS)),
                 ("DC Output Record", "Max positive deviation",
                  "%.2f V" % quantity(s.get("max-positive-deviation", "0 V"), VOLTS)),
                 ("DC Output Record", "Ripple and noise pk-pk",
                  "%d mV" % round(quantity(s.get("ripple-noise", "0 mV"), VOLTS) * 1000)),
                 ("DC Output Record", "Minimum current draw", "%.3f A" % quantity(s.get("min-current", "0 A"), AMPS)),
                 ("DC Output Record", "Maximum current draw", "%.3f A" % quantity(s["max-current"], AMPS))]
    for sec in sections(cp, "fru.0.dc-load."):
        s = cp[sec]
        want += [("DC Load Record", "Output Number", sec.rsplit(".", 1)[1]),
                 ("DC Load Record", "Nominal voltage", "%.2f V" % quantity(s["nominal-voltage"], VOLTS)),
                 ("DC Load Record", "Min voltage allowed", "%.2f V" % quantity(s["min-voltage"], VOLTS)),
                 ("DC Load Record", "Max voltage allowed", "%.2f V" % quantity(s["max-voltage"], VOLTS)),
                 ("DC Load Record", "Ripple and noise pk-pk",
                  "%d mV" % round(quantity(s.get("ripple-noise", "0 mV"), VOLTS) * 1000)),
                 ("DC Load Record", "Minimum current load", "%.3f A" % quantity(s.get("min-current", "0 A"), AMPS)),
                 ("DC Load Record", "Maximum current load", "%.3f A" % quantity(s["max-current"], AMPS))]
    return want


def freeipmi_expect(cp):
    """[(name, value)] of `ipmi-fru -v` for the records (FreeIPMI 1.6 prints mV and mA)."""
    want = []
    for sec in sections(cp, "fru.0.power-supply"):
        s = cp[sec]
        lo, hi = value_range(s["input-voltage-1"], VOLTS)
        want += [("FRU Power Supply Overall Capacity", "%d Watts" % quantity(s["capacity"], {"W": 1})),
                 ("FRU Power Supply Low End Input Voltage 1", "%d mV" % round(lo * 1000)),
                 ("FRU Power Supply High End Input Voltage 1", "%d mV" % round(hi * 1000)),
                 ("FRU Power Supply Peak Capacity", "%d Watts" % quantity(s.get("peak-capacity", "0 W"), {"W": 1})),
                 ("FRU Power Supply Hot Swap Support", "Yes" if s.get("hot-swap") == "yes" else "No")]
    for kind, label in (("dc-output", "FRU DC Output"), ("dc-load", "FRU DC Load")):
        for sec in sections(cp, "fru.0.%s." % kind):
            s = cp[sec]
            want += [("%s Nominal Voltage" % label, "%d mV" % round(quantity(s["nominal-voltage"], VOLTS) * 1000)),
                     ("%s Maximum Current %s" % (label, "Draw" if kind == "dc-output" else "Load"),
                      "%d mA" % round(quantity(s["max-current"], AMPS) * 1000))]
    # ipmitool 1.8.19 does not decode Management Access records; FreeIPMI does.
    labels = {"system-url": "System Management URL", "system-name": "System Name",
              "system-ping-address": "System Ping Address",
              "component-url": "Component Management URL",
              "component-name": "Component Name",
              "component-ping-address": "Component Ping Address"}
    for sec in sections(cp, "fru.0.management-access"):
        for key, value in cp[sec].items():
            if key in labels and value != "none":
                want.append(("FRU Management Access %s" % labels[key], value))
    return want


def sample_value(sc):
    """A reading inside the sensor's range and thresholds: the middle of its normal band."""
    lo, hi = (float(x) for x in sc["range"].split(".."))
    floor = max([lo] + [float(sc[k]) for k in ("lower-non-critical", "lower-critical") if k in sc])
    ceil = min([hi] + [float(sc[k]) for k in ("upper-non-critical", "upper-critical") if k in sc])
    return (floor + ceil) / 2


def parse_source(src):
    """A source string as {"kind", ...} with what the fake needs."""
    f = src.split(":")
    if f[0] == "file":
        m = re.fullmatch(r"file:(/sys/class/hwmon/(hwmon[0-9]+)/([a-z0-9_]+))(?::([0-9.e-]+))?", src)
        return {"kind": "file", "dir": m.group(2), "file": m.group(3), "scale": float(m.group(4) or 1)}
    if f[0] == "gpio":
        return {"kind": "gpio", "chip": f[1], "line": int(f[2]), "active_low": f[3:] == ["active-low"]}
    if f[0] in ("pmbus", "smbus"):
        out = {"kind": f[0], "bus": int(f[1], 0), "addr": int(f[2], 0), "page": 0, "pec": False,
               "scale": 1.0, "signed": False, "width": "byte", "mask": None, "paged": False}
        out["cmd"] = PMBUS[f[3].upper()] if f[0] == "pmbus" and f[3].upper() in PMBUS else int(f[3], 0)
        out["width"] = "word" if f[0] == "pmbus" else "byte"
        for field in f[4:]:
            if field.startswith("page="):
                out["page"], out["paged"] = int(field[5:]), True
            elif field == "pec":
                out["pec"] = True
            elif field.startswith("bit="):
                out["mask"] = 1 << int(field[4:])
            elif field.startswith("mask="):
                out["mask"] = int(field[5:], 0)
            elif field in ("byte", "word", "word-be"):
                out["width"] = field
            elif field == "signed":
                out["signed"] = True
            else:
                out["scale"] = float(field)
        return out
    raise ValueError(src)


def logical_default(state):
    """The level a state source reads at start: present where presence is meant, else clear."""
    return 1 if state in ("presence", "present", None) else 0


def fake_hardware(cp, tmp, hw):
    """Every source gets a value: hwmon files, PMBus/SMBus registers in the shim's scripts, GPIO
    lines. Returns {sensor name: (value, step)} of the threshold sensors (a range), whose
    readings sdr elist must show, and {(sensor name, state): parsed source} of the discrete
    states."""
    values, states = {}, {}
    for sec in sections(cp, "sensor."):
        sc = cp[sec]
        feeds = [(k[6:], v) for k, v in sc.items() if k.startswith("state.")]
        if "source" in sc:
            feeds.append((None, sc["source"]))
        for state, text in feeds:
            src = parse_source(text)
            threshold = state is None and "range" in sc and sc.get("type") != "presence"
            if state is not None:
                states[(sc["name"], state)] = src
            if src["kind"] == "gpio":
                hw.gpio(src["chip"], src["line"], logical_default(state) ^ src["active_low"])
                continue
            if not threshold:
                level = logical_default(state)
                if src["kind"] == "file":
                    os.makedirs(os.path.join(tmp, src["dir"]), exist_ok=True)
                    with open(os.path.join(tmp, src["dir"], src["file"]), "w") as f:
                        f.write("%d\n" % level)
                else:
                    d = hw.device(src["bus"], src["addr"], src["page"], src["pec"])
                    d["regs"][(src["page"], src["cmd"])] = src["mask"] if level else 0
                continue
            v = sample_value(sc)
            lo, hi = (float(x) for x in sc["range"].split(".."))
            if src["kind"] == "file":
                os.makedirs(os.path.join(tmp, src["dir"]), exist_ok=True)
                with open(os.path.join(tmp, src["dir"], src["file"]), "w") as f:
                    f.write("%d\n" % round(v / src["scale"]))
                v = round(v / src["scale"]) * src["scale"]
            elif src["kind"] == "pmbus":
                d = hw.device(src["bus"], src["addr"], src["page"], src["pec"])
                if src["cmd"] == PMBUS["READ_VOUT"]:
                    d["regs"][(src["page"], VOUT_MODE)] = VOUT_EXPONENT & 0x1F
                    word = round(v / src["scale"] / 2 ** VOUT_EXPONENT)
                    v = word * 2 ** VOUT_EXPONENT * src["scale"]
                else:
                    word, decoded = linear11(v / src["scale"])
                    v = decoded * src["scale"]
                d["regs"][(src["page"], src["cmd"])] = word
            else:
                d = hw.device(src["bus"], src["addr"], 0, False)
                raw = round(v / src["scale"])
                v = raw * src["scale"]
                raw &= 0xFFFF if src["width"] != "byte" else 0xFF
                if src["width"] == "word-be":
                    raw = (raw >> 8) | (raw & 0xFF) << 8
                d["regs"][(0, src["cmd"])] = raw
            values[sc["name"]] = (v, (hi - lo) / 255)
    hw.write()
    return values, states


def write_pwm(cp, tmp):
    """The hwmon pwmN and pwmN_enable files of every [fan.N] output (the driver's automatic mode,
    2, until satmcd takes the fan); returns {section: pwm file in tmp}."""
    out = {}
    for sec in sections(cp, "fan."):
        m = re.fullmatch(r"pwm:/sys/class/hwmon/(hwmon[0-9]+)/(pwm[0-9]+)", cp[sec]["output"])
        os.makedirs(os.path.join(tmp, m.group(1)), exist_ok=True)
        out[sec] = os.path.join(tmp, m.group(1), m.group(2))
        for suffix, value in (("", 0), ("_enable", 2)):
            with open(out[sec] + suffix, "w") as f:
                f.write("%d\n" % value)
    return out


def oem_programs(cp, tmp):
    """A stand-in program for each [oem.N]: answers its own section number and the request
    bytes back; returns {section: (path, expected response prefix)}."""
    out = {}
    for sec in sections(cp, "oem."):
        n = int(sec.split(".")[1])
        program = os.path.join(tmp, "oem-%d" % n)
        with open(program, "w") as f:
            f.write('#!/bin/sh\nread line\necho "a0 86 01 %02x $line"\n' % n)
        os.chmod(program, 0o755)
        out[sec] = (program, "a0 86 01 %02x" % n)
    return out


def fan_pwm_expected(cp, sec, reading):
    """daemon/fan-control.c's rule, written again: the curve's level (rounded up between
    points, clamped to min/max-level), then the pwm value linear in pwm-range."""
    fc = cp[sec]
    points = [tuple(float(x) for x in p.split(":")) for p in fc["curve"].split()]
    lo_level, hi_level = int(fc.get("min-level", "0")), int(fc.get("max-level", "15"))
    if reading <= points[0][0]:
        level = points[0][1]
    elif reading >= points[-1][0]:
        level = points[-1][1]
    else:
        i = next(i for i in range(1, len(points)) if reading < points[i][0])
        (r0, l0), (r1, l1) = points[i - 1], points[i]
        level = math.ceil(l0 + (reading - r0) / (r1 - r0) * (l1 - l0) - 1e-9)
    level = int(min(max(level, lo_level), hi_level))
    pr = fc.get("pwm-range", "0..255").split("..")
    plo, phi = int(pr[0]), int(pr[1])
    return plo + ((phi - plo) * level + hi_level // 2) // hi_level


class Bridge:
    """satmc-ipmb-bridge to the example's address, ready once it sent READY=1."""

    def __init__(self, rig, target):
        self.sock = os.path.join(rig.dir, "bridge.sock")
        notify_path = os.path.join(rig.dir, "bridge.notify")
        notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        notify.bind(notify_path)
        self.stderr = open(os.path.join(rig.dir, "bridge.stderr"), "w+")
        self.proc = subprocess.Popen([BRIDGE, "--socket", self.sock, "--target", target,
                                      "--own", "0x%02x" % BRIDGE_OWN, "--bus-socket", rig.sock],
                                     env=dict(os.environ, NOTIFY_SOCKET=notify_path),
                                     stderr=self.stderr, stdin=subprocess.DEVNULL)
        try:
            notify.settimeout(10)
            while "READY=1" not in notify.recv(4096).decode().split("\n"):
                pass
        except socket.timeout:
            self.proc.kill()
            raise SystemExit("bridge never sent READY=1")
        finally:
            notify.close()

    def stop(self):
        self.proc.terminate()
        self.proc.wait(10)


def ipmitool_sections(text):
    """`fru print -v` record blocks: [(title, {name: value})] in order."""
    blocks = []
    for line in text.splitlines():
        if line.startswith(" ") and not line.startswith("  ") and ":" not in line:
            blocks.append((line.strip(), {}))
        elif line.startswith("  ") and ":" in line and blocks:
            k, _, v = line.partition(":")
            blocks[-1][1].setdefault(k.strip(), v.strip())
    return blocks


def sensor_get_states(sock, sensor):
    """The states `ipmitool sensor get` lists as asserted for a discrete sensor."""
    r = ipmitool(sock, "sensor", "get", sensor)
    lines = r.stdout.splitlines()
    got, inside = [], False
    for line in lines:
        if line.strip().startswith("States Asserted"):
            inside = True
            tail = line.split(":", 1)[1].strip()
            if tail:
                got.append(tail)
            continue
        if inside:
            if line.startswith("   ") and ":" not in line:
                got.append(line.strip().strip("[]"))
            else:
                inside = False
    return [g.strip("[]") for g in got], r.stdout


# What ipmitool 1.8.19 calls the Power Supply (08h) offsets the examples use.
PSU_STATE_TEXT = {"presence": "Presence detected", "failure": "Failure detected",
                  "predictive-failure": "Predictive failure", "input-lost": "Power Supply AC lost",
                  "input-out-of-range": "AC out-of-range, but present"}


def check_discrete(name, cp, rig, bridge, hw, states):
    """A PSU status sensor fed by PMBus bits: the fake supply raises STATUS_WORD's POWER_GOOD#
    (or whichever register feeds `failure`), and `sensor get` shows the failure asserted beside
    presence; clearing it clears the state again. A GPIO-fed state changes with its line."""
    for (sensor, state), src in sorted(states.items()):
        if state != "failure" or src["kind"] != "pmbus":
            continue
        before, text = sensor_get_states(bridge.sock, sensor)
        check(PSU_STATE_TEXT["presence"] in before and PSU_STATE_TEXT["failure"] not in before,
              "%s: sensor get %s: presence asserted, no failure (%s)" % (name, sensor, before or text))
        hw.set_reg(src["bus"], src["addr"], src["page"], src["cmd"], src["mask"])
        wait_for(lambda: PSU_STATE_TEXT["failure"] in sensor_get_states(bridge.sock, sensor)[0],
                 "%s to show the failure" % sensor, 30)
        after, _ = sensor_get_states(bridge.sock, sensor)
        check(PSU_STATE_TEXT["failure"] in after and PSU_STATE_TEXT["presence"] in after,
              "%s: after the fake supply sets %s bit 0x%04x: sensor get %s shows %s" %
              (name, "STATUS_WORD" if src["cmd"] == 0x79 else "0x%02x" % src["cmd"], src["mask"],
               sensor, after))
        hw.set_reg(src["bus"], src["addr"], src["page"], src["cmd"], 0)
        cleared = lambda: PSU_STATE_TEXT["failure"] not in sensor_get_states(bridge.sock, sensor)[0]  # noqa: E731
        wait_for(cleared, "%s to clear the failure" % sensor, 30)
        check(cleared(), "%s: the bit cleared, the failure state deasserts" % name)
    for (sensor, state), src in sorted(states.items()):
        if src["kind"] != "gpio" or state != "asserted":
            continue
        before, _ = sensor_get_states(bridge.sock, sensor)
        hw.gpio(src["chip"], src["line"], 1 ^ src["active_low"])
        wait_for(lambda: "State Asserted" in sensor_get_states(bridge.sock, sensor)[0],
                 "%s to assert" % sensor, 30)
        after, _ = sensor_get_states(bridge.sock, sensor)
        check("State Asserted" not in before and "State Asserted" in after,
              "%s: %s's GPIO line %s:%d goes %s: sensor get shows %s (was %s)" %
              (name, sensor, src["chip"], src["line"], "low" if src["active_low"] else "high",
               after, before))
        hw.gpio(src["chip"], src["line"], 0 ^ src["active_low"])


def check_presence(name, cp, bridge, hw):
    """Presence sensors on a GPIO (the line card's cages, on LUN 1): the last one's module is
    pulled (its line goes to the absent level) and sdr elist, which reads each sensor on the LUN
    of its record, says so; it is seated again after."""
    pres = [cp[s] for s in sections(cp, "sensor.")
            if cp[s].get("type") == "presence" and cp[s].get("source", "").startswith("gpio:")]
    if not pres:
        return
    sc = pres[-1]
    src = parse_source(sc["source"])

    def row():
        out = ipmitool(bridge.sock, "sdr", "elist").stdout
        return next(([c.strip() for c in l.split("|")] for l in out.splitlines()
                     if l.split("|")[0].strip() == sc["name"]), [""] * 5)
    before = row()
    hw.gpio(src["chip"], src["line"], 0 ^ src["active_low"])
    wait_for(lambda: row()[4] != before[4], "%s to change" % sc["name"], 30)
    after = row()
    check("Present" in before[4] and "Absent" in after[4],
          "%s: %s (LUN %s, number %s): %r, module pulled: %r" %
          (name, sc["name"], sc.get("lun", "0"), sc.get("number", "auto"), before[4], after[4]))
    hw.gpio(src["chip"], src["line"], 1 ^ src["active_low"])


def check_fans(name, cp, bridge, hw, pwms):
    """The fans follow their curve: the followed sensor's reading, moved by the fake hardware,
    sets each pwm file as daemon/fan-control.c's rule says (computed here again)."""
    if not pwms:
        return
    followed = {cp[sec]["follow"] for sec in pwms}
    for sensor in followed:
        sc = next(cp[s] for s in sections(cp, "sensor.") if cp[s]["name"] == sensor)
        src = parse_source(sc["source"])
        lo, hi = (float(x) for x in sc["range"].split(".."))
        step = (hi - lo) / 255
        for reading in (25.0, 42.0):
            # A reading the sensor's raw byte represents exactly, so the level is exact too.
            reading = lo + round((reading - lo) / step) * step
            raw = round(reading / src["scale"]) & 0xFFFF
            if src["width"] == "word-be":
                raw = (raw >> 8) | (raw & 0xFF) << 8
            hw.set_reg(src["bus"], src["addr"], 0, src["cmd"], raw)
            want = {sec: fan_pwm_expected(cp, sec, reading) for sec in pwms if cp[sec]["follow"] == sensor}

            def follows():
                for sec, value in want.items():
                    with open(pwms[sec]) as f:
                        if f.read().strip() != str(value):
                            return False
                return True
            wait_for(follows, "the pwm files to follow %s at %g" % (sensor, reading), 30)
            for sec, value in want.items():
                with open(pwms[sec] + "_enable") as f:
                    enable = f.read().strip()
                check(follows() and enable == "1",
                      "%s: %s reads %g: [%s] %s = %d (curve %s), %s_enable 1 (manual)" %
                      (name, sensor, reading, sec, os.path.basename(pwms[sec]), value,
                       cp[sec]["curve"], os.path.basename(pwms[sec])))


def run_example(name):
    path = os.path.join(ROOT, "examples", name)
    r = subprocess.run([os.environ["SATMCD"], "--check-config", "--config", path],
                       capture_output=True, text=True)
    check(r.returncode == 0, "%s: satmcd --check-config passes as shipped%s" %
          (name, "" if r.returncode == 0 else "\n" + r.stdout + r.stderr))
    cp = load_ini(path)
    tmp = os.path.join(os.environ.get("TMPDIR", "/tmp"), "satmc-example-%d-%s" % (os.getpid(), name))
    os.makedirs(tmp)
    hw = Hardware(os.path.join(tmp, "hw"))
    values, states = fake_hardware(cp, tmp, hw)
    pwms = write_pwm(cp, tmp)
    with open(path) as f:
        text = HWMON.sub(lambda m: "%s/%s/" % (tmp, m.group(1)), f.read())
    text = re.sub(r"(?m)^state-directory = .*\n", "", text)
    oem = oem_programs(cp, tmp)
    for sec, (program, _) in oem.items():
        text = text.replace(cp[sec]["exec"], program)
    config = os.path.join(tmp, name)
    with open(config, "w") as f:
        f.write(text)

    rig = Rig(config, env={"LD_PRELOAD": SHIM, "SATMC_HW_SHIM_DIR": hw.dir})
    bridge = None
    try:
        addr = cp["mc"]["address"]
        bridge = Bridge(rig, addr)
        ident = cp["identity"]

        r = ipmitool(bridge.sock, "mc", "info")
        info = {k.strip(): v.strip() for k, _, v in (l.partition(":") for l in r.stdout.splitlines()) if v}
        fw = ident["firmware-version"]
        check(r.returncode == 0 and info.get("Device ID") == str(int(ident["device-id"], 0)) and
              info.get("Firmware Revision") == "%d.%02d" % (int(fw.split(".")[0]), int(fw.split(".")[1])) and
              info.get("Manufacturer ID") == str(int(ident["manufacturer-id"], 0)) and
              info.get("Product ID", "").startswith(str(int(ident["product-id"], 0)) + " "),
              "%s: ipmitool mc info through the bridge to %s: device %s, firmware %s, product %s"
              % (name, addr, ident["device-id"], fw, ident["product-id"]) +
              ("" if r.returncode == 0 else "\n" + r.stderr))

        r = ipmitool(bridge.sock, "-v", "fru", "print", "0")
        fields = {}
        for line in r.stdout.splitlines():
            k, _, v = line.partition(":")
            if v and not line.startswith("  "):
                fields.setdefault(k.strip(), v.strip())
        fru = cp["fru.0"]
        for key, label in (("board-manufacturer", "Board Mfg"), ("board-product-name", "Board Product"),
                           ("board-serial-number", "Board Serial"), ("product-name", "Product Name"),
                           ("product-serial-number", "Product Serial")):
            check(fields.get(label) == fru[key], "%s: fru print: %s = %s" % (name, label, fru[key]))
        blocks = ipmitool_sections(r.stdout)
        want = ipmitool_fru_expect(cp)
        # The n-th block of a title holds the n-th record of that kind, in file order.
        seen = {}
        for title, field, value in want:
            if field in ("Capacity", "Output Number"):
                seen[title] = seen.get(title, -1) + 1
            mine = [b for t, b in blocks if t == title]
            got = mine[seen.get(title, 0)].get(field) if len(mine) > seen.get(title, 0) else None
            check(got == value, "%s: fru print -v: %s %s = %s%s" %
                  (name, title, field, value, "" if got == value else " (got %r)" % got))

        # FreeIPMI decodes the same bytes (the stored image satmcd serves).
        image = os.path.join(rig.dir, "state", "fru0.bin")
        if shutil.which("ipmi-fru"):
            r = subprocess.run(["timeout", "30", "ipmi-fru", "-v", "--fru-file=" + image],
                               capture_output=True, text=True)
            pairs = [tuple(x.strip() for x in l.split(":", 1)) for l in r.stdout.splitlines()
                     if l.startswith("  FRU ") and ":" in l]
            for field, value in freeipmi_expect(cp):
                got = [v for k, v in pairs if k == field]
                check(value in got, "%s: ipmi-fru -v: %s: %s%s" %
                      (name, field, value, "" if value in got else " (got %r)" % got))
        else:
            skip("%s: ipmi-fru decodes the records" % name, "FreeIPMI's ipmi-fru is not installed")

        # A typed record is applied by a reload, like the other FRU fields: a second DC output
        # and a new capacity, then SIGHUP, and ipmitool reads the new record area.
        ps = sections(cp, "fru.0.power-supply")
        if ps:
            with open(config) as f:
                text = f.read()
            cap = int(quantity(cp[ps[0]]["capacity"], {"W": 1}))
            text = re.sub(r"(?m)^capacity = .*$", "capacity = %d W" % (cap + 50), text)
            text += "\n[fru.0.dc-output.7]\nnominal-voltage = -12 V\nmax-current = 300 mA\n"
            with open(config, "w") as f:
                f.write(text)
            before = len(rig.read_stderr())
            rig.satmcd.send_signal(signal.SIGHUP)
            wait_for(lambda: re.search(r"Reloaded |Reload of .* refused", rig.read_stderr()[before:]),
                     "reload to finish", 30)
            r = ipmitool(bridge.sock, "-v", "fru", "print", "0")
            blocks = ipmitool_sections(r.stdout)
            psr = [b for t, b in blocks if t == "Power Supply Record"]
            dco = [b for t, b in blocks if t == "DC Output Record"]
            check(psr and psr[0].get("Capacity") == "%d W" % (cap + 50) and dco and
                  dco[-1].get("Output Number") == "7" and
                  dco[-1].get("Nominal voltage") == "-12.00 V" and
                  dco[-1].get("Maximum current draw") == "0.300 A",
                  "%s: after SIGHUP, fru print -v shows capacity %d W and DC output 7 at -12.00 V, "
                  "0.300 A%s" % (name, cap + 50, "" if psr and dco else "\n" + r.stdout))

        # Sensors: every configured one is listed with the reading written to its file.
        def elist():
            return ipmitool(bridge.sock, "sdr", "elist")
        wait_for(lambda: all("%s " % n in elist().stdout for n in values), "sdr elist with every sensor",
                 timeout=30)
        out = elist().stdout
        for sname, (v, step) in values.items():
            line = [l for l in out.splitlines() if l.split("|")[0].strip() == sname]
            got = None
            cells = line[0].split("|") if line else []
            m = re.match(r"\s*(-?[0-9.]+) ", cells[4]) if len(cells) >= 5 else None
            got = float(m.group(1)) if m else None
            check(got is not None and abs(got - v) <= step + 1e-9,
                  "%s: sdr elist: %s reads %g (within one step, %g)%s" %
                  (name, sname, v, step, "" if got is not None and abs(got - v) <= step + 1e-9
                   else "\n" + "\n".join(line or [out])))

        # Entities: every sensor's record carries the example's entity ID and instance, which
        # elist shows as "ID.instance" in its fourth column.
        rows = {l.split("|")[0].strip(): [c.strip() for c in l.split("|")] for l in out.splitlines()}
        for sec in sections(cp, "sensor."):
            sc = cp[sec]
            want = "%d.%d" % (ENTITY[sc.get("entity", "system-board")], int(sc.get("entity-instance", "0")))
            got = rows.get(sc["name"], [None] * 4)[3]
            check(got == want, "%s: sdr elist: %s is entity %s%s" %
                  (name, sc["name"], want, "" if got == want else " (got %r)" % got))
        check_discrete(name, cp, rig, bridge, hw, states)
        check_presence(name, cp, bridge, hw)
        mc = cp["mc"]
        if "entity" in mc:
            want = "%d.%d" % (ENTITY[mc["entity"]], int(mc.get("entity-instance", "0")))
            r = ipmitool(bridge.sock, "sdr", "elist", "mcloc")
            got = [c.strip() for c in r.stdout.splitlines()[0].split("|")][3] if r.stdout.strip() else None
            check(got == want, "%s: sdr elist mcloc: the MC Device Locator is entity %s (%r)" %
                  (name, want, r.stdout.strip()))
        check_fans(name, cp, bridge, hw, pwms)
        for sec, (_, prefix) in oem.items():
            r = ipmitool(bridge.sock, "raw", cp[sec]["netfn"], cp[sec]["cmd"], "0x11")
            got = " ".join(r.stdout.split())
            check(r.returncode == 0 and got == prefix + " 11",
                  "%s: ipmitool raw %s %s through the bridge runs [%s]'s program: %s 11 (got %r)" %
                  (name, cp[sec]["netfn"], cp[sec]["cmd"], sec, prefix, got + r.stderr))
    finally:
        if bridge:
            bridge.stop()
        rc = rig.stop()
        check(rc == 0, "%s: satmcd exits 0 on SIGTERM" % name)
        for sec, pwm in pwms.items():
            want = cp[sec].get("pwm-enable-at-exit", "2")
            with open(pwm + "_enable") as f:
                got = f.read().strip()
            check(got == (want if want != "saved" else "2"),
                  "%s: [%s] at exit: %s_enable is %s again" % (name, sec, os.path.basename(pwm), got))
        shutil.rmtree(tmp, ignore_errors=True)


for example in EXAMPLES:
    run_example(example)
finish()
