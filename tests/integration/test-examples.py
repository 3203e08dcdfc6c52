#!/usr/bin/env python3
"""The example boards under examples/ (psu.ini, fan-tray.ini, line-card.ini) as a user runs
them: each passes `satmcd --check-config` as shipped, then runs on the emulated bus with its
hwmon paths pointed at files this test writes, and stock ipmitool through satmc-ipmb-bridge
reads back `mc info`, `fru print -v` (the typed multirecords included) and `sdr elist`, and
FreeIPMI's ipmi-fru decodes the stored FRU image. Every expected value is computed from the
example's own text (configparser), so the examples can change and the test follows them."""
import configparser, os, re, shutil, signal, socket, subprocess, sys, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from satmc_testlib import Rig, check, finish, ipmitool, skip, wait_for  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.environ.get("SATMC_SOURCE_ROOT", os.path.join(HERE, "../.."))
BRIDGE = os.environ["SATMC_IPMB_BRIDGE"]
BRIDGE_OWN = 0x22
EXAMPLES = ("psu.ini", "fan-tray.ini", "line-card.ini")
HWMON = re.compile(r"/sys/class/hwmon/(hwmon[0-9]+)/")


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


def write_hwmon(cp, tmp):
    """Every file source gets a value in its hwmon unit; returns {sensor name: (value, step)}
    of the threshold sensors (a range), whose readings sdr elist must show."""
    values = {}
    for sec in sections(cp, "sensor."):
        sc = cp[sec]
        src = sc["source"]
        m = re.fullmatch(r"file:(/sys/class/hwmon/(hwmon[0-9]+)/([a-z0-9_]+))(?::([0-9.e-]+))?", src)
        if not m:
            continue
        if "range" not in sc:
            # A discrete sensor (presence, a state bit): its file reads 1, present/asserted.
            os.makedirs(os.path.join(tmp, m.group(2)), exist_ok=True)
            with open(os.path.join(tmp, m.group(2), m.group(3)), "w") as f:
                f.write("1\n")
            continue
        scale = float(m.group(4) or 1)
        v = sample_value(sc)
        os.makedirs(os.path.join(tmp, m.group(2)), exist_ok=True)
        with open(os.path.join(tmp, m.group(2), m.group(3)), "w") as f:
            f.write("%d\n" % round(v / scale))
        lo, hi = (float(x) for x in sc["range"].split(".."))
        values[sc["name"]] = (round(v / scale) * scale, (hi - lo) / 255)
    return values


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


def run_example(name):
    path = os.path.join(ROOT, "examples", name)
    r = subprocess.run([os.environ["SATMCD"], "--check-config", "--config", path],
                       capture_output=True, text=True)
    check(r.returncode == 0, "%s: satmcd --check-config passes as shipped%s" %
          (name, "" if r.returncode == 0 else "\n" + r.stdout + r.stderr))
    cp = load_ini(path)
    tmp = os.path.join(os.environ.get("TMPDIR", "/tmp"), "satmc-example-%d-%s" % (os.getpid(), name))
    os.makedirs(tmp)
    values = write_hwmon(cp, tmp)
    with open(path) as f:
        text = HWMON.sub(lambda m: "%s/%s/" % (tmp, m.group(1)), f.read())
    text = re.sub(r"(?m)^state-directory = .*\n", "", text)
    config = os.path.join(tmp, name)
    with open(config, "w") as f:
        f.write(text)

    rig = Rig(config)
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
    finally:
        if bridge:
            bridge.stop()
        rc = rig.stop()
        check(rc == 0, "%s: satmcd exits 0 on SIGTERM" % name)
        shutil.rmtree(tmp, ignore_errors=True)


for example in EXAMPLES:
    run_example(example)
finish()
