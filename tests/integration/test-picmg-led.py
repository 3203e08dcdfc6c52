#!/usr/bin/env python3
"""PICMG FRU LEDs end to end (docs/picmg-leds.md): satmcd on the emulated bus with five
[picmg-led.N] LEDs whose GPIO lines are tests/harness/satmc-hw-shim.c's (LD_PRELOAD: every
level satmcd drives is logged with its time). Stock `ipmitool picmg led prop / cap / get / set`
through satmc-ipmb-bridge and python-ipmi's get_led_state()/set_led_state() over the same bus
read and drive them; the lines are checked while the LEDs blink by counting edges over a
window (at least half and at most one more than the pattern allows: no exact milliseconds),
and a lamp test is seen to end by itself, back to the override below it. Bad FRU and LED IDs,
colors an LED does not have, a wrong PICMG Identifier and wrong lengths get their completion
codes and change nothing. Last, when OpenIPMI's ipmi_sim is installed, it joins the bus at 0x74
with its ATCA mode on and the same raw LED requests go to both, answers printed side by side:
satmcd's checked against the spec, ipmi_sim's against what 2.0.33 was seen to answer
(docs/picmg-leds.md says which follows the spec where they differ)."""
import os, re, shutil, subprocess, sys, time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from satmc_testlib import (SLOW, Bridge, Rig,  # noqa: E402
                           board_from_template, check, finish, ipmitool, pyipmi_connection,
                           results, sim_state_dir, skip, skip_all, wait_for)

SAT = 0x72
BLUE, RED, AMBER, GREEN, BLUE1, WHITE = 0, 1, 2, 3, 4, 5


class Lines:
    """The shim's log: per line, its (time in s, value) changes."""

    def __init__(self, path):
        self.path = path

    def events(self, line):
        out = []
        if not os.path.exists(self.path):
            return out
        with open(self.path) as f:
            for row in f:
                t, chip, offset, what = row.split(None, 3)
                what = what.strip()
                if chip == "leds" and int(offset) == line and what in ("0", "1"):
                    out.append((int(t) / 1e9, int(what)))
                elif chip == "leds" and int(offset) == line and what.startswith("req"):
                    out.append((int(t) / 1e9, int(what.split()[1])))
        return out

    def level(self, line):
        ev = self.events(line)
        return ev[-1][1] if ev else None

    def requests(self):
        with open(self.path) as f:
            return [r.strip().split(None, 3)[1:] for r in f if " req " in r]


def led(sock, *args):
    return ipmitool(sock, "picmg", "led", *[str(a) for a in args])


def cc_of(r):
    m = re.search(r"CC code 0x([0-9a-f]{2})", r.stderr)
    return int(m.group(1), 16) if m else None


def raw_cc(sock, *args):
    r = ipmitool(sock, "raw", *args)
    at = r.stderr.find("rsp=0x")
    return (int(r.stderr[at + 4:at + 8], 16) if at >= 0 else r.returncode), r.stdout.split()


def count_edges(lines, line, window):
    """Edges of line logged during the next window seconds (from the first edge seen after
    now): (edges, the span they cover in s)."""
    start = time.monotonic()
    time.sleep(window)
    ev = [t for t, _ in lines.events(line) if t >= start]
    return len(ev), (ev[-1] - ev[0]) if len(ev) > 1 else 0.0


PEER = 0x74
SIM_DIR = os.path.join(HERE, "ipmi-sim")


def start_ipmi_sim(rig):
    """OpenIPMI's ipmi_sim at 0x74 on the rig's bus (through the ipmb-dev shim, as in
    test-ipmi-sim-peer.py), with tests/integration/ipmi-sim/sim.emu plus atca_enable: its PICMG
    commands, LEDs included. None when it is not installed."""
    if shutil.which("ipmi_sim") is None or not os.environ.get("SATMC_IPMB_DEV_SHIM"):
        return None
    emu = os.path.join(rig.dir, "sim-atca.emu")
    with open(os.path.join(SIM_DIR, "sim.emu")) as f:
        text = f.read().replace("\nmc_enable ", "\natca_enable\nmc_enable ")
    with open(emu, "w") as f:
        f.write(text)
    state = sim_state_dir(rig.dir)
    log = open(os.path.join(rig.dir, "ipmi-sim.log"), "w")
    env = dict(os.environ, LD_PRELOAD=os.environ["SATMC_IPMB_DEV_SHIM"],
               SATMC_IPMB_DEV_BUS=rig.sock, SATMC_IPMB_DEV_ADDR="0x%02x" % (PEER >> 1))
    env.pop("ASAN_OPTIONS", None)
    return subprocess.Popen(["ipmi_sim", "-c", os.path.join(SIM_DIR, "lan.conf"), "-f", emu,
                             "-s", state, "-n"], env=env, cwd=state, stdout=log,
                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)


# (request after netFn 0x2C, satmcd's answer: the spec's, ipmi_sim 2.0.33's: recorded), each
# answer a completion code or the data bytes, or None where ipmi_sim's answer is not its own: it
# checks 3 of Set FRU LED State's 6 bytes and reads the rest from what its buffer held before
# (0xCC on 2.0.33, 00 on 2.0.37). Run last: LED1 ends in an override, on.
SIDE_BY_SIDE = [
    ("05 00 00", "00 07 01", "00 03 00"),
    ("05 00 01", "00 01 00", 0xD3),
    ("06 00 00 00", "00 02 01 01", "00 00 00 00"),
    ("06 00 00 07", 0xCC, 0xCC),
    ("07 00 00 01 fc 00 0f", "00", 0xCC),
    ("07 00 00 01 ff 00 0f", "00", "00"),
    ("08 00 00 01", "00 03 00 00 02 ff 00 04", "00 02 00 00 00 ff 00 00"),
    ("07 00 00 01 fb 05 0f", "00", 0xCC),
    ("07 00 00 01", 0xC7, None),
    ("08 01 00 00", 0xCC, 0xC1),
]


def run_side_by_side(sat_sock, peer_sock):
    def answer(sock, req):
        cc, out = raw_cc(sock, "0x2c", *["0x" + b for b in req.split()])
        return cc if cc else " ".join(out)

    print("side by side, the same requests to satmcd (0x72) and ipmi_sim (0x74):")
    for req, want_sat, want_sim in SIDE_BY_SIDE:
        sat, sim = answer(sat_sock, req), answer(peer_sock, req)
        fmt = lambda a: ("cc 0x%02x" % a) if isinstance(a, int) else a  # noqa: E731
        print("  2c %-22s satmcd: %-26s ipmi_sim: %s" % (req, fmt(sat), fmt(sim)))
        check(sat == want_sat, "2c %s: satmcd answers %s" % (req, fmt(want_sat)))
        if want_sim is not None:
            check(sim == want_sim, "2c %s: ipmi_sim answers %s (recorded)" % (req, fmt(want_sim)))


def main():
    if not shutil.which("ipmitool"):
        skip_all("ipmitool not installed")
    shim = os.environ.get("SATMC_HW_SHIM")
    if not shim or not os.path.exists(shim):
        skip_all("the hardware shim was not built")
    tmp, config = board_from_template("board-picmg-led.ini", "satmc-picmg-led-")
    log = os.path.join(tmp, "gpio.log")
    # The shim's chip "leds": one file per line, holding its physical level.
    os.makedirs(os.path.join(tmp, "gpio", "leds"))
    for n in range(6):
        with open(os.path.join(tmp, "gpio", "leds", str(n)), "w") as f:
            f.write("0\n")
    asan = os.environ.get("ASAN_OPTIONS", "")
    env = {"LD_PRELOAD": shim, "SATMC_HW_SHIM_DIR": tmp, "SATMC_HW_SHIM_GPIO_LOG": log,
           # an ASan satmcd would refuse a library loaded before its runtime
           "ASAN_OPTIONS": (asan + ":" if asan else "") + "verify_asan_link_order=0"}
    # The rig's own endpoint at 0x22; python-ipmi's adapter is the BMC at 0x20, the bridge 0x24.
    rig = Rig(config, bmc_addr7=0x11, env=env)
    bridge = sim = None
    try:
        sim = start_ipmi_sim(rig)
        peer_sock = os.path.join(rig.dir, "bridge-peer.sock")
        bridge = Bridge(rig, 0x24, ["--route", "0x%02x=%s" % (PEER, peer_sock)] if sim else [])
        run_ipmitool(rig, bridge.sock, Lines(log))
        run_pyipmi(rig, Lines(log))
        if sim:
            wait_for(lambda: ipmitool(peer_sock, "raw", "0x06", "0x01").returncode == 0,
                     "ipmi_sim answering", timeout=30 if SLOW else 10)
            run_side_by_side(bridge.sock, peer_sock)
        else:
            skip("the LED commands side by side with ipmi_sim", "ipmi_sim not installed")
    finally:
        if bridge:
            bridge.stop()
        if sim:
            sim.kill()
            sim.wait()
        rc = rig.stop()
        check(rc == 0, "satmcd exits 0 on SIGTERM (%s)" % rc)
        lines = Lines(log)
        check(all(lines.level(n) == 0 for n in (BLUE, RED, AMBER, GREEN, BLUE1, WHITE)),
              "every LED dark after exit")
        if results["failed"]:
            print("satmcd's log:\n" + rig.read_stderr())
    finish()


def run_ipmitool(rig, sock, lines):
    reqs = lines.requests()
    check(sorted(reqs) == sorted([["leds", "0", "req 0"], ["leds", "1", "req 0"],
                                  ["leds", "2", "req 0 active-low"], ["leds", "3", "req 0"],
                                  ["leds", "4", "req 0"], ["leds", "5", "req 0"]]),
          "every color's line taken dark, the amber one active low (%s)" % reqs)
    check(lines.level(GREEN) == 1, "LED2's local state on: green lit")

    r = led(sock, "prop", 0)
    check(r.returncode == 0 and re.search(r"General Status LED Properties:\s+0x\s*7", r.stdout)
          and re.search(r"App\. Specific\s+LED Count:\s+0x\s*1", r.stdout),
          "ipmitool picmg led prop 0: blue, LED1, LED2 and one application LED (%r)" % r.stdout)
    r = led(sock, "prop", 1)
    check(r.returncode == 0 and re.search(r"Properties:\s+0x\s*1\n", r.stdout) and
          re.search(r"Count:\s+0x\s*0", r.stdout), "led prop 1: its blue LED (%r)" % r.stdout)
    r = led(sock, "prop", 5)
    check(cc_of(r) == 0xCC, "led prop 5: a FRU without LEDs is 0xCC (%r)" % r.stderr)

    r = led(sock, "cap", 0, 1)
    check(r.returncode == 0 and "LED Color Capabilities: RED, AMBER," in r.stdout and
          re.search(r"LOCAL control:\s+RED", r.stdout) and
          re.search(r"OVERRIDE state:\s+AMBER", r.stdout),
          "led cap 0 1: red and amber, red locally, amber in override (%r)" % r.stdout)
    r = led(sock, "cap", 0, 3)
    check(cc_of(r) == 0xCC, "led cap 0 3: no LED3 is 0xCC")

    r = led(sock, "get", 0, 0)
    check(r.returncode == 0 and re.search(r"LED states:\s+1\s+\[LOCAL CONTROL\]", r.stdout) and
          re.search(r"Local Control function:\s+a\s+\[BLINKING\]", r.stdout) and
          re.search(r"Local Control On-Duration:\s+5a", r.stdout) and
          re.search(r"Local Control Color:\s+1\s+\[BLUE\]", r.stdout),
          "led get 0 0: local control, long blink (900 on, 100 off), blue (%r)" % r.stdout)
    edges, span = count_edges(lines, BLUE, 2.5 if not SLOW else 4)
    check(edges >= 2, "the blue LED blinks by itself (%d edges in %.2f s)" % (edges, span))

    # Override: LED1 on red, then the lines.
    r = led(sock, "set", 0, 1, 255, 0, 2)
    check(r.returncode == 0, "led set 0 1 255 0 2: LED1 on, red (%r)" % r.stderr)
    check(lines.level(RED) == 1 and lines.level(AMBER) == 0, "red lit, amber dark")
    t0 = time.monotonic()
    r = led(sock, "get", 0, 1)
    get_s = time.monotonic() - t0
    check(re.search(r"\[LOCAL CONTROL\|OVERRIDE\]", r.stdout) and
          re.search(r"Override Color:\s+2\s+\[RED\]", r.stdout),
          "led get 0 1: override, red (%r)" % r.stdout)
    r = led(sock, "set", 0, 1, 255, 0, 3)
    check(cc_of(r) == 0xCC and lines.level(RED) == 1,
          "led set green on a red/amber LED: 0xCC, nothing changes")

    # Lamp test in the override default (amber), then back to the red override. It lasts
    # (in 100 ms units, 500 ms at least, 12.7 s at most) three times what the `led get` above
    # took, so that the `led get` below lands inside it on a loaded machine too; the shim's
    # log and this process share CLOCK_MONOTONIC, which tells whether it did.
    units = min(127, max(5, int(get_s * 3 / 0.1) + 1))
    r = led(sock, "set", 0, 1, 0xfb, units, 0xf)
    check(r.returncode == 0, "led set 0 1 0xfb %d 0xf: lamp test, %d ms" % (units, units * 100))
    t0 = time.monotonic()
    r = led(sock, "get", 0, 1)
    t1 = time.monotonic()
    lamp_reported = "LAMPTEST" in r.stdout
    wait_for(lambda: lines.level(RED) == 1 and len(lines.events(AMBER)) >= 3, "lamp test end",
             timeout=units * 0.1 + (30 if SLOW else 10))
    amber = lines.events(AMBER)
    lit, dark = amber[-2], amber[-1]
    check(lit[1] == 1 and dark[1] == 0 and dark[0] - lit[0] >= units * 0.1 - 0.05,
          "the lamp test lit amber and ended by itself after %d ms (%.3f s)"
          % (units * 100, dark[0] - lit[0]))
    if t1 <= dark[0]:
        check(lamp_reported, "led get during the lamp test shows LAMPTEST (%r)" % r.stdout)
    else:
        skip("led get during the lamp test shows LAMPTEST",
             "the get took %.2f s, the lamp test ended before it was answered" % (t1 - t0))
    r = led(sock, "get", 0, 1)
    check("LAMPTEST" not in r.stdout and "OVERRIDE" in r.stdout,
          "after it, the override again (%r)" % r.stdout)

    # A blink override on the blue LED, 50 ms on, 50 ms off: counted over a window.
    r = led(sock, "set", 0, 0, 5, 5, 0xf)
    check(r.returncode == 0, "led set 0 0 5 5 0xf: blink 50 ms on, 50 ms off")
    edges, span = count_edges(lines, BLUE, 1.5 if not SLOW else 3)
    allowed = span / 0.05 + 1
    check(edges >= 4 and allowed / 2 <= edges <= allowed + 1,
          "blue LED: %d edges in %.2f s at 50/50 ms (pattern allows %.0f)" % (edges, span, allowed))
    r = led(sock, "get", 0, 0)
    check(re.search(r"Override On-Duration:\s+5\n", r.stdout) is not None,
          "led get 0 0: the override's on time 5 (%r)" % r.stdout)
    r = led(sock, "set", 0, 0, 0xfc, 0, 0xf)
    check(r.returncode == 0, "led set 0 0 0xfc: back to local control")
    r = led(sock, "get", 0, 0)
    check("OVERRIDE" not in r.stdout, "no override after restore (%r)" % r.stdout)

    # All LEDs of FRU 0 off at once; with red (not every LED has it): refused as a whole.
    # FRU 1's blue LED follows its own hot-swap state (it may blink): held on by an override.
    r = led(sock, "set", 1, 0, 0xff, 0, 1)
    check(r.returncode == 0, "led set 1 0 0xff: FRU 1's blue LED on (%s)" % r.stderr.strip())
    wait_for(lambda: lines.level(BLUE1) == 1, "FRU 1's blue LED on")
    cc, _ = raw_cc(sock, "0x2c", "0x07", "0x00", "0x00", "0xff", "0xff", "0x00", "0x02")
    check(cc == 0xCC and lines.level(GREEN) == 1, "set all LEDs red: 0xCC, none changed")
    cc, out = raw_cc(sock, "0x2c", "0x07", "0x00", "0x00", "0xff", "0x00", "0x00", "0x0f")
    check(cc == 0 and out == ["00"], "set all LEDs off: answered with the PICMG Identifier")
    wait_for(lambda: all(lines.level(n) == 0 for n in (BLUE, RED, AMBER, GREEN, WHITE)),
             "FRU 0's LEDs dark")
    check(lines.level(BLUE1) == 1, "FRU 1's LED untouched")
    led(sock, "set", 1, 0, 0xfc, 0, 0xf)

    # Bad requests.
    cc, _ = raw_cc(sock, "0x2c", "0x08", "0x01", "0x00", "0x00")
    check(cc == 0xCC, "Get FRU LED State with PICMG Identifier 0x01: 0xCC")
    cc, _ = raw_cc(sock, "0x2c", "0x08", "0x00", "0x00")
    check(cc == 0xC7, "Get FRU LED State without the LED ID: 0xC7")
    cc, _ = raw_cc(sock, "0x2c", "0x07", "0x00", "0x00", "0x01", "0xfd", "0x00", "0x0f")
    check(cc == 0xCC, "Set FRU LED State with function 0xFD (reserved): 0xCC")
    cc, _ = raw_cc(sock, "0x2c", "0x07", "0x00", "0x00", "0x01", "0x10", "0x00", "0x0f")
    check(cc == 0xCC, "a blink with no on time: 0xCC")
    cc, out = raw_cc(sock, "0x2c", "0x08", "0x00", "0x00", "0x04")
    check(cc == 0 and out == ["00", "03", "00", "00", "06", "00", "00", "06"],
          "Get FRU LED State of the application LED: the exact bytes (%s, cc %s)" % (out, cc))


def run_pyipmi(rig, lines):
    conn = pyipmi_connection(rig, SAT, 0x20)
    if not conn:
        return
    pyipmi, ipmi = conn
    import pyipmi.errors
    import pyipmi.picmg

    LedState = pyipmi.picmg.LedState

    s = ipmi.get_led_state(0, 2)
    check(s.local_state_available and s.local_function == LedState.FUNCTION_ON and
          s.local_color == 3 and s.override_enabled and
          s.override_function == LedState.FUNCTION_OFF,
          "python-ipmi get_led_state(0, 2): local on green, override off from the set-all (%s)"
          % s)
    ipmi.set_led_state(LedState(fru_id=0, led_id=2, color=0xF, function=LedState.FUNCTION_ON))
    check(lines.level(GREEN) == 1, "python-ipmi set_led_state: LED2 override on, green lit")
    s = ipmi.get_led_state(0, 2)
    check(s.override_enabled and s.override_function == LedState.FUNCTION_ON and
          s.override_color == 3, "python-ipmi reads the override back (%s)" % s)
    req = LedState(fru_id=0, led_id=1, color=0xF, function=LedState.FUNCTION_LAMP_TEST)
    req.lamp_test_duration = 20
    ipmi.set_led_state(req)
    s = ipmi.get_led_state(0, 1)
    check(s.lamp_test_enabled and 100 <= s.lamp_test_duration <= 2000,
          "python-ipmi: a lamp test of 2 s, with its time left (%s ms)" % s.lamp_test_duration)
    try:
        ipmi.get_led_state(0, 7)
        check(False, "python-ipmi get_led_state(0, 7) fails")
    except pyipmi.errors.CompletionCodeError as e:
        check(e.cc == 0xCC, "python-ipmi get_led_state(0, 7): completion code 0xCC")


if __name__ == "__main__":
    main()
