#!/usr/bin/env python3
"""Stock ipmitool (1.8.19, -I dummy) against satmc: real processes, output checked exactly.

Two paths, the same checks on each: ipmitool on satmcd's own local socket, and ipmitool on
satmc-ipmb-bridge, which carries every request over the emulated IPMB to satmcd at 0x72.
Covers raw Get Device ID bytes, `mc info` fields against board-test.ini, `mc guid` and the raw
GUID bytes, `mc selftest`, an unimplemented command (0xC1, ipmitool fails), the satmc-ipmitool
wrapper, a bridge whose satellite is absent (0xC3 after its tries), lost responses (retried
with the same seq, replayed by satmcd), and a lossy bus with a fixed seed (every request
answered, and the bridge's, satmcd's and the capture's counts agree with what the seed says
was dropped). satmcd and the bridges must exit 0 on SIGTERM."""
import os, re, shutil, signal, socket, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from satmc_testlib import Rig, check, finish, ipmitool, read_pcap, wait_for  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
CONFIG = os.path.join(HERE, "board-test.ini")
ROOT = os.environ.get("SATMC_SOURCE_ROOT", os.path.join(HERE, "../.."))
BRIDGE = os.environ["SATMC_IPMB_BRIDGE"]
WRAPPER = os.environ.get("SATMC_IPMITOOL", os.path.join(ROOT, "ipmitool-plugin/satmc-ipmitool"))
SLOW = bool(os.environ.get("SATMCD_WRAPPER"))  # satmcd under valgrind
IPMITOOL_TIMEOUT = 60 if SLOW else 20          # ipmitool spins forever on a closed socket
SEED, LOSSY_P, LOSSY_RUNS = 7, 0.3, 20         # seed 7: never more than 3 drops in a row early on
SAT, BRIDGE_OWN = 0x39, 0x22                   # 7-bit 0x39 = satmcd at 0x72; the bridge is 0x22
M64 = (1 << 64) - 1
# ipmitool -I dummy sends two probes (PICMG and VITA, netFn 0x2C) before every command.
PER_RUN = 3

# From board-test.ini: device 0x23, rev 3 (bit 7: provides device SDRs, the MC Device Locator is
# always there), fw 1.42, IPMI 2.0, sensor device (device SDRs) + FRU inventory, mfr 0x007ED9,
# product 0x1291, aux 0a 0b 0c 0d.
RAW_DEVICE_ID = " 23 83 01 42 02 09 d9 7e 00 91 12 0a 0b 0c 0d\n"
# 01234567-89ab-cdef-0011-223344556677, least significant byte first (IPMI 20.8).
RAW_GUID = " 77 66 55 44 33 22 11 00 ef cd ab 89 67 45 23 01\n"
GUID = "01234567-89ab-cdef-0011-223344556677"
MC_INFO = [
    ("Device ID", "35"),
    ("Device Revision", "3"),
    ("Firmware Revision", "1.42"),
    ("IPMI Version", "2.0"),
    ("Manufacturer ID", "32473"),
    ("Product ID", "4753 (0x1291)"),
    ("Device Available", "yes"),
    ("Provides Device SDRs", "yes"),
]


class Rng:
    """satmc-i2c-bus's xorshift64 (rng_next / rng_unit), to predict what a seed drops."""

    def __init__(self, seed):
        self.x = seed or 1

    def unit(self):
        x = self.x
        x ^= (x << 13) & M64
        x ^= x >> 7
        x ^= (x << 17) & M64
        self.x = x
        return (x >> 11) / float(1 << 53)


def wrapper(*args, env=None):
    return subprocess.run(["timeout", str(IPMITOOL_TIMEOUT), WRAPPER, *args],
                          env=dict(os.environ, **(env or {})), capture_output=True, text=True,
                          stdin=subprocess.DEVNULL)


def fields(text):
    """`Key : value` lines of ipmitool's output as a dict (first occurrence wins)."""
    out = {}
    for line in text.splitlines():
        if " : " in line or line.rstrip().endswith(":"):
            k, _, v = line.partition(":")
            out.setdefault(k.strip(), v.strip())
    return out


def section(text, title):
    """The indented lines under `title :` in ipmitool's output."""
    lines, out, inside = text.splitlines(), [], False
    for line in lines:
        if inside:
            if line.startswith("    "):
                out.append(line.strip())
                continue
            break
        if line.split(":")[0].strip() == title:
            inside = True
    return out


class Bridge:
    """satmc-ipmb-bridge as a subprocess, ready once it sent READY=1 on our NOTIFY_SOCKET."""

    def __init__(self, rig, name, target, own, extra=()):
        self.sock = os.path.join(rig.dir, name + ".sock")
        self.stderr_path = os.path.join(rig.dir, name + ".stderr")
        self.stderr = open(self.stderr_path, "w+")
        notify_path = os.path.join(rig.dir, name + ".notify")
        notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        notify.bind(notify_path)
        self.proc = subprocess.Popen([BRIDGE, "--socket", self.sock, "--target", target,
                                      "--own", own, "--bus-socket", rig.sock, *extra],
                                     env=dict(os.environ, NOTIFY_SOCKET=notify_path),
                                     stderr=self.stderr, stdin=subprocess.DEVNULL)
        try:
            notify.settimeout(10)
            deadline = time.monotonic() + 10
            while "READY=1" not in notify.recv(4096).decode().split("\n"):
                if time.monotonic() > deadline:
                    raise socket.timeout
        except socket.timeout:
            self.proc.kill()
            raise SystemExit("bridge %s never sent READY=1; stderr:\n%s" % (name, self.read_stderr()))
        finally:
            notify.close()
        self.ready_with_socket = os.path.exists(self.sock)

    def read_stderr(self):
        self.stderr.flush()
        with open(self.stderr_path) as f:
            return f.read()

    def _last_stats(self):
        line = [l for l in self.read_stderr().splitlines() if l.startswith("bridge:")][-1]
        return {k: int(v) for k, v in (kv.split("=") for kv in line.split()[1:])}

    def stats(self):
        before = self.read_stderr().count("bridge:")
        self.proc.send_signal(signal.SIGUSR1)
        wait_for(lambda: self.read_stderr().count("bridge:") > before, "bridge stats line")
        return self._last_stats()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                return "hung", None
        return self.proc.returncode, self._last_stats()


def delta(after, before):
    return {k: after.get(k, 0) - before.get(k, 0) for k in after}


def identity_checks(sock, where):
    """Everything ipmitool can ask satmcd about itself; returns how many ipmitool runs it made."""
    runs = 0

    r = ipmitool(sock, "raw", "0x06", "0x01"); runs += 1
    check(r.returncode == 0 and r.stdout == RAW_DEVICE_ID,
          "%s: raw 0x06 0x01 prints%s" % (where, r.stdout.rstrip() or " nothing: " + r.stderr.strip()))

    r = ipmitool(sock, "mc", "info"); runs += 1
    f = fields(r.stdout)
    bad = ["%s=%r" % (k, f.get(k)) for k, v in MC_INFO if f.get(k) != v]
    check(r.returncode == 0 and not bad, "%s: mc info fields match board-test.ini%s"
          % (where, (": wrong " + ", ".join(bad)) if bad else ""))
    check(section(r.stdout, "Additional Device Support") == ["Sensor Device", "FRU Inventory Device"],
          "%s: mc info device support is exactly Sensor Device, FRU Inventory Device" % where)
    check(section(r.stdout, "Aux Firmware Rev Info") == ["0x0a", "0x0b", "0x0c", "0x0d"],
          "%s: mc info aux firmware bytes 0x0a 0x0b 0x0c 0x0d" % where)

    r = ipmitool(sock, "raw", "0x06", "0x08"); runs += 1
    check(r.returncode == 0 and r.stdout == RAW_GUID,
          "%s: raw 0x06 0x08 prints the GUID least significant byte first" % where)
    r = ipmitool(sock, "raw", "0x06", "0x37"); runs += 1
    check(r.returncode == 0 and r.stdout == RAW_GUID,
          "%s: raw 0x06 0x37 (System GUID) prints the same bytes" % where)

    # Decoded with the IPMI byte order, ipmitool prints the configured string. (Plain
    # `mc guid` guesses the encoding from the version nibble; this test GUID's nibble, 0xc,
    # is invalid in IPMI order, so ipmitool settles on RFC4122 and prints the bytes reversed.
    # With a valid-version GUID the guess is IPMI: see the end of main().)
    r = ipmitool(sock, "mc", "guid", "ipmi"); runs += 1
    check(r.returncode == 0 and fields(r.stdout).get("System GUID") == GUID,
          "%s: mc guid ipmi: System GUID %s" % (where, fields(r.stdout).get("System GUID")))
    r = ipmitool(sock, "mc", "guid"); runs += 1
    check(r.returncode == 0 and fields(r.stdout).get("System GUID") == "77665544-3322-1100-efcd-ab8967452301",
          "%s: mc guid (auto) decodes the same 16 bytes (as ipmitool's guess reads them)" % where)

    r = ipmitool(sock, "mc", "selftest"); runs += 1
    check(r.returncode == 0 and r.stdout == "Selftest: passed\n", "%s: mc selftest: passed" % where)

    r = ipmitool(sock, "raw", "0x06", "0x55"); runs += 1
    check(r.returncode != 0 and "rsp=0xc1" in r.stderr and r.stdout == "",
          "%s: raw 0x06 0x55 fails with rsp=0xc1 (exit %d)" % (where, r.returncode))
    return runs


def main():
    rig = Rig(CONFIG, bus_args=["--seed", str(SEED)])
    bridges = []
    try:
        sock = rig.ipmitool_sock
        # Warm up: valgrind translates satmcd's code paths on first use.
        ipmitool(sock, "raw", "0x06", "0x01")
        c0 = rig.counters()

        # ---- (a) satmcd's local socket ----
        runs = identity_checks(sock, "local")
        d = delta(rig.counters(), c0)
        check(d["ipmitool-requests"] == PER_RUN * runs,
              "local: ipmitool-requests grew by %d (%d runs x 2 probes + 1 command)"
              % (d["ipmitool-requests"], runs))
        check(d["answered-invalid-command"] == 2 * runs + 1,
              "local: the probes and raw 0x55 answered 0xC1 (%d)" % d["answered-invalid-command"])
        check(d["frames-received"] == 0 and d["requests-handled"] == 0,
              "local: nothing went over IPMB")

        # ---- the wrapper ----
        direct = ipmitool(sock, "mc", "info")
        r = wrapper("-S", sock, "mc", "info")
        check(r.returncode == 0 and r.stdout == direct.stdout and "Device ID                 : 35" in r.stdout,
              "satmc-ipmitool -S SOCK mc info prints what ipmitool -I dummy does")
        r = wrapper("-S" + sock, "raw", "0x06", "0x01")
        check(r.returncode == 0 and r.stdout == RAW_DEVICE_ID, "satmc-ipmitool -SSOCK raw 0x06 0x01")
        r = wrapper("raw", "0x06", "0x01", env={"SATMC_IPMITOOL_SOCKET": sock})
        check(r.returncode == 0 and r.stdout == RAW_DEVICE_ID, "satmc-ipmitool with $SATMC_IPMITOOL_SOCKET")
        r = wrapper("-S", os.path.join(rig.dir, "nothing-here.sock"), "mc", "info")
        check(r.returncode == 1 and "no satmc socket" in r.stderr and r.stdout == "",
              "satmc-ipmitool with no socket: exit 1 and a message, ipmitool not started")
        r = wrapper()
        check(r.returncode == 2 and "usage" in r.stdout, "satmc-ipmitool without arguments: usage, exit 2")

        # ---- (b) the bridge, over the emulated bus ----
        br = Bridge(rig, "bridge", "0x72", "0x%02x" % BRIDGE_OWN)
        bridges.append(br)
        check(br.ready_with_socket, "bridge: READY=1 once its socket exists")
        ipmitool(br.sock, "raw", "0x06", "0x01")   # warm-up through the whole path
        c1, b1, pcap1 = rig.counters(), br.stats(), len(read_pcap(rig.pcap))
        runs = identity_checks(br.sock, "bridge")
        r = wrapper("-S", br.sock, "mc", "info")
        runs += 1
        check(r.returncode == 0 and fields(r.stdout).get("Device ID") == "35",
              "satmc-ipmitool -S BRIDGE-SOCK mc info works")
        d, bd = delta(rig.counters(), c1), delta(br.stats(), b1)
        check(bd["requests"] == PER_RUN * runs and bd["answered"] == bd["requests"]
              and bd["timeouts"] == 0 and bd["busy"] == 0,
              "bridge: %d requests forwarded, all answered (%s)" % (bd["requests"], bd))
        check(d["requests-handled"] == bd["requests"]
              and d["responses-replayed"] == bd["retries"],
              "satmcd: requests-handled grew by the bridge's requests (%d), retries replayed (%d)"
              % (d["requests-handled"], d["responses-replayed"]))
        check(d["ipmitool-requests"] == 0, "satmcd: bridged requests are not local ipmitool requests")
        to_sat = [data for a, data in read_pcap(rig.pcap)[pcap1:] if a == SAT]
        check(len(to_sat) == bd["requests"] + bd["retries"] and all(len(x) >= 6 and x[2] == BRIDGE_OWN for x in to_sat),
              "pcap: %d IPMB requests to 0x72, every one from rqSA 0x%02x" % (len(to_sat), BRIDGE_OWN))

        # ---- lost responses: retried with the same seq, answered from satmcd's replay cache ----
        c2, b2 = rig.counters(), br.stats()
        rig.bmc.fault("drop@0x%02x:n=3" % (BRIDGE_OWN >> 1))
        r = ipmitool(br.sock, "raw", "0x06", "0x01")
        check(r.returncode == 0 and r.stdout == RAW_DEVICE_ID, "3 responses lost: raw 0x06 0x01 still answered")
        time.sleep(1.0 if SLOW else 0.3)   # late duplicates, if any, reach the bridge

        def tally():
            return delta(rig.counters(), c2), delta(br.stats(), b2)

        def all_in(t):
            d, bd = t
            return d["responses-sent"] - 3 == bd["answered"] + bd["stray-frames"]
        # A retry the bridge sent because an answer was slow (not lost) is answered late: its
        # response is counted by the bridge when it arrives, which a loaded machine delays past
        # any fixed pause. Wait for it (a hang guard), then judge.
        try:
            wait_for(lambda: all_in(tally()), "the late responses at the bridge", 30 if SLOW else 10)
        except SystemExit:
            pass
        d, bd = tally()
        check(bd["retries"] >= 3 and bd["timeouts"] == 0 and bd["answered"] == PER_RUN,
              "bridge: %d retries, nothing timed out" % bd["retries"])
        check(d["requests-handled"] == PER_RUN and d["responses-replayed"] == bd["retries"]
              and d["frames-received"] == PER_RUN + bd["retries"],
              "satmcd: %d handled once each, every retry replayed (%d)"
              % (d["requests-handled"], d["responses-replayed"]))
        check(d["responses-sent"] - 3 == bd["answered"] + bd["stray-frames"],
              "every response satmcd sent and the bus delivered reached the bridge (answered %d, late %d)"
              % (bd["answered"], bd["stray-frames"]))

        # ---- the satellite is absent: 0xC3 after the bridge's tries ----
        absent = Bridge(rig, "absent", "0x74", "0x24", ["--timeout-ms", "50", "--tries", "3"])
        bridges.append(absent)
        c3 = rig.counters()
        t0 = time.monotonic()
        r = ipmitool(absent.sock, "raw", "0x06", "0x01")
        took = time.monotonic() - t0
        check(r.returncode != 0 and "rsp=0xc3" in r.stderr,
              "absent satellite: raw 0x06 0x01 fails with rsp=0xc3 after %.2f s (%s)"
              % (took, r.stderr.strip().splitlines()[-1] if r.stderr.strip() else "no message"))
        s = absent.stats()
        check(s["requests"] == PER_RUN and s["timeouts"] == PER_RUN and s["answered"] == 0
              and s["retries"] == 2 * PER_RUN and s["send-failed"] == 3 * PER_RUN,
              "absent bridge: %d timeouts after 3 NAKed tries each (%s)" % (s["timeouts"], s))
        check(absent.read_stderr().count("No answer from 0x74") == PER_RUN,
              "absent bridge logs one line per request it gave up on")
        # The tries are counted above (the bridge's stats); what time adds is only that the
        # bridge gave up by itself instead of ipmitool being stopped by its guard.
        check(r.returncode != 124,
              "3 requests x 3 tries x 50 ms: given up by the bridge, not the %d s guard (%.2f s)"
              % (IPMITOOL_TIMEOUT, took))
        check(delta(rig.counters(), c3)["frames-received"] == 0, "satmcd saw none of it")
        rc, _ = absent.stop()
        check(rc == 0, "absent bridge exits 0 on SIGTERM")

        # ---- a lossy bus: 30% of requests to 0x72 dropped, seed fixed ----
        rig.bmc.fault("clear")
        c4, b4, pcap4 = rig.counters(), br.stats(), len(read_pcap(rig.pcap))
        rig.bmc.fault("drop@0x%02x:p=%g" % (SAT, LOSSY_P))
        ok, t0 = 0, time.monotonic()
        for i in range(LOSSY_RUNS):
            r = ipmitool(br.sock, "raw", "0x06", "0x01")
            if r.returncode == 0 and r.stdout == RAW_DEVICE_ID:
                ok += 1
            else:
                print("      run %d: exit %d, %r %r" % (i, r.returncode, r.stdout, r.stderr))
        elapsed = time.monotonic() - t0
        rig.bmc.fault("clear")
        check(ok == LOSSY_RUNS, "lossy bus: %d of %d consecutive raw 0x06 0x01 answered exactly (%.1f s)"
              % (ok, LOSSY_RUNS, elapsed))
        time.sleep(1.0 if SLOW else 0.3)
        bd = delta(br.stats(), b4)
        to_sat = [data for a, data in read_pcap(rig.pcap)[pcap4:] if a == SAT]
        rng = Rng(SEED)     # the lossy rule is the only one that ever rolled the bus's generator
        drops = sum(rng.unit() < LOSSY_P for _ in range(len(to_sat)))

        def settled():
            return delta(rig.counters(), c4)["frames-received"] >= len(to_sat) - drops
        wait_for(settled, "satmcd to take in the lossy run", 30 if SLOW else 10)
        d = delta(rig.counters(), c4)
        print("      %d writes to 0x72, %d dropped (seed %d), bridge %s" % (len(to_sat), drops, SEED, bd))
        check(bd["requests"] == PER_RUN * LOSSY_RUNS and bd["answered"] == bd["requests"]
              and bd["timeouts"] == 0, "bridge: all %d requests answered, none timed out" % bd["requests"])
        check(bd["retries"] > 0 and bd["retries"] >= drops,
              "bridge: %d retries (at least one per dropped request: %d)" % (bd["retries"], drops))
        check(len(to_sat) == bd["requests"] + bd["retries"],
              "pcap: %d writes to 0x72 = requests + retries" % len(to_sat))
        runs_of_same = sum(1 for i, x in enumerate(to_sat) if i == 0 or x != to_sat[i - 1])
        check(runs_of_same == bd["requests"],
              "pcap: every retry is byte-identical to its first try (same seq): %d distinct in a row"
              % runs_of_same)
        check(d["frames-received"] == len(to_sat) - drops,
              "satmcd: frames-received %d = writes %d - drops the seed predicts %d"
              % (d["frames-received"], len(to_sat), drops))
        check(d["requests-handled"] == bd["requests"],
              "satmcd: each of the %d requests handled exactly once" % bd["requests"])
        check(d["responses-replayed"] == d["frames-received"] - d["requests-handled"],
              "satmcd: every delivered retry answered from the replay cache (%d)" % d["responses-replayed"])
        check(d["responses-sent"] == d["frames-received"] and d["send-failed"] == 0,
              "satmcd: one response per delivered frame")
        check(bd["answered"] + bd["stray-frames"] == d["responses-sent"],
              "bridge: answered %d + late duplicates %d = satmcd's responses %d"
              % (bd["answered"], bd["stray-frames"], d["responses-sent"]))
        check(d["ipmitool-requests"] == 0, "satmcd: still no local ipmitool requests counted")

        # satmcd still answers its local socket and IPMB after all this.
        r = ipmitool(rig.ipmitool_sock, "raw", "0x06", "0x01")
        check(r.returncode == 0 and r.stdout == RAW_DEVICE_ID, "local socket still answers")
        f = rig.transact(0x06, 0x01)
        check(f is not None and len(f) == 8 + 15 and f[6] == 0 and f[7] == 0x23,
              "IPMB (rig.transact) still answers")

        rc, final = br.stop()
        check(rc == 0 and final is not None, "bridge exits 0 on SIGTERM and prints its stats")
        check(not os.path.exists(br.sock), "bridge removed its socket on exit")
    finally:
        for b in bridges:
            if b.proc.poll() is None:
                b.proc.kill()
        rc = rig.stop()
    check(rc == 0, "satmcd exits 0 on SIGTERM (got %s)" % rc)
    lines = rig.read_stderr().splitlines()
    check(not any("Assertion" in l or "Segmentation" in l or "==" in l[:12] for l in lines),
          "no crash or valgrind report in satmcd's stderr")
    check(not any("ipmitool client" in l for l in lines),
          "satmcd logged nothing about its ipmitool clients (every one said BYE)")

    # A GUID whose version nibble is valid in IPMI byte order: ipmitool's plain `mc guid`
    # then recognises the encoding as IPMI and prints the configured string without a warning.
    tmp = tempfile.mkdtemp(prefix="satmc-guid-")
    v4 = "01234567-89ab-4def-8f71-223344556677"
    cfg = os.path.join(tmp, "board.ini")
    with open(CONFIG) as src, open(cfg, "w") as dst:
        dst.write(re.sub(r"(?m)^guid = .*$", "guid = " + v4, src.read()))
    rig2 = Rig(cfg)
    try:
        r = ipmitool(rig2.ipmitool_sock, "mc", "guid")
        f = fields(r.stdout)
        check(r.returncode == 0 and f.get("System GUID") == v4 and f.get("GUID Encoding") == "IPMI"
              and "WARNING" not in r.stdout and f.get("GUID Version") == "Random or pseudo-random",
              "version-4 GUID: mc guid prints %s, encoding IPMI, no warning" % f.get("System GUID"))
    finally:
        check(rig2.stop() == 0, "second satmcd exits 0 on SIGTERM")
        shutil.rmtree(tmp, ignore_errors=True)
    finish()


if __name__ == "__main__":
    main()
