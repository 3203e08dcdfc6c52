#!/usr/bin/env python3
"""Actuators end to end (docs/actuators.md): satmcd on the emulated bus with [fan.0] following a
temperature file and writing a pwm file in a temporary directory that stands in for a hwmon
device, and [oem.N] commands running small programs. The pwm follows the temperature file
(through the curve, to full speed when the file goes away), pwm1_enable is manual while satmcd
runs and restored at exit; `ipmitool raw` through satmc-ipmb-bridge over the emulated IPMB runs an
OEM program and gets its answer, a command not configured gets 0xC1, a program past its timeout
0xC3, and one slower than the bridge's retry interval runs once for all the bridge's tries; the
0x2E OEM/Group form carries its IANA number, on the local ipmitool socket too."""
import os, shutil, stat, subprocess, sys, threading, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from satmc_testlib import (IPMITOOL_TIMEOUT, Bridge, Rig,  # noqa: E402
                           board_from_template, check, finish, ipmitool, skip_all, wait_for)

SCRIPTS = {
    "oem-echo": 'read line; echo "$line 5a"',
    "oem-slow": "exec sleep 600",
    # Answers only once the test has seen the bridge try again (it creates $1.go then): slower
    # than one try of the bridge (250 ms) however slow the machine, not by a sleep that a
    # loaded machine stretches past the timeout.
    "oem-count": 'echo run >> "$1"; while [ ! -e "$1.go" ]; do sleep 0.02; done; echo 01',
}


def read_int(path):
    """The number in path; None while satmcd is between truncating and writing it (a sysfs
    attribute has no such moment; a plain file standing in for one does)."""
    with open(path) as f:
        words = f.read().split()
    return int(words[0]) if words else None


def write(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.rename(tmp, path)        # the sensor thread never sees half a number


def pwm_at(level):
    return (255 * level + 7) // 15


def raw(sock, *args):
    return ipmitool(sock, "raw", *args, timeout=IPMITOOL_TIMEOUT)


def rsp_code(r):
    """The completion code ipmitool names for a failed raw command, or None."""
    text = r.stderr
    at = text.find("rsp=0x")
    return int(text[at + 4:at + 8], 16) if at >= 0 else None


def main():
    if not shutil.which("ipmitool"):
        skip_all("ipmitool not installed")
    tmp, config = board_from_template("board-actuators.ini", "satmc-actuators-")
    for name, body in SCRIPTS.items():
        path = os.path.join(tmp, name)
        with open(path, "w") as f:
            f.write("#!/bin/sh\n" + body + "\n")
        os.chmod(path, stat.S_IRWXU)
    temp, pwm, enable = (os.path.join(tmp, n) for n in ("temp1_input", "pwm1", "pwm1_enable"))
    write(temp, "20000\n")
    write(pwm, "0\n")
    write(enable, "2\n")

    rig = Rig(config)
    bridge = None
    try:
        # ---- the fan follows the temperature ----
        check(read_int(enable) == 1, "pwm1_enable is 1 (manual) while satmcd runs")
        wait_for(lambda: read_int(pwm) == pwm_at(4), "pwm at level 4 (20 C)")
        check(True, "20 C: pwm %d (level 4 of 15)" % read_int(pwm))
        write(temp, "60000\n")
        wait_for(lambda: read_int(pwm) == pwm_at(12), "pwm at level 12 (60 C)")
        check(True, "60 C: pwm %d (level 12: 11.5 rounded up)" % read_int(pwm))
        write(temp, "59000\n")      # 11.1 -> 12; within the hysteresis anyway
        time.sleep(0.5)             # several polls: nothing may change
        check(read_int(pwm) == pwm_at(12), "59 C: still level 12 (hysteresis 2)")
        os.unlink(temp)
        wait_for(lambda: read_int(pwm) == 255, "full speed without a reading")
        check(True, "temperature file gone: pwm 255 (the safe level)")
        write(temp, "40000\n")
        wait_for(lambda: read_int(pwm) == pwm_at(6), "pwm at level 6 (40 C)")
        check(True, "40 C again: pwm %d (level 6)" % read_int(pwm))

        # ---- OEM commands through the bridge, over IPMB ----
        bridge = Bridge(rig)
        r = raw(bridge.sock, "0x30", "0x01", "0x11", "0x22")
        print(r.stdout, r.stderr)
        check(r.returncode == 0 and r.stdout.split() == ["11", "22", "5a"],
              "ipmitool raw 0x30 0x01 via the bridge: the program's answer 11 22 5a")
        r = raw(bridge.sock, "0x30", "0x04")
        check(r.returncode != 0 and rsp_code(r) == 0xC1,
              "netfn 0x30 cmd 0x04 (not configured): 0xC1 (%s)" % r.stderr.strip())
        r = raw(bridge.sock, "0x32", "0x01")
        check(r.returncode != 0 and rsp_code(r) == 0xC1, "netfn 0x32 cmd 0x01: 0xC1")
        before = rig.counters()
        start = time.monotonic()
        r = raw(bridge.sock, "0x30", "0x02")
        took = time.monotonic() - start
        check(r.returncode != 0 and rsp_code(r) == 0xC3,
              "program past its 300 ms timeout: 0xC3 (%s, %.2f s)" % (r.stderr.strip(), took))
        check("oem-slow still running after 300 ms" in rig.read_stderr(),
              "satmcd logged the kill")

        runs = os.path.join(tmp, "runs")
        bs = bridge.stats()

        def release_after_a_retry():
            try:
                deadline = time.monotonic() + 10
                while bridge.stats()["retries"] <= bs["retries"] and time.monotonic() < deadline:
                    time.sleep(0.05)
            finally:
                open(runs + ".go", "w").close()

        release = threading.Thread(target=release_after_a_retry)
        release.start()
        r = raw(bridge.sock, "0x30", "0x03")
        release.join()
        check(r.returncode == 0 and r.stdout.split() == ["01"],
              "a program still running at the bridge's retry answers 01")
        bs2 = bridge.stats()
        after = rig.counters()
        with open(runs) as f:
            n_runs = len(f.read().splitlines())
        check(bs2["retries"] > bs["retries"],
              "the bridge retried while the program ran (%d retries)" % (bs2["retries"] - bs["retries"]))
        check(n_runs == 1, "the program ran once for all of them (%d runs)" % n_runs)
        check(after["responses-replayed"] > before["responses-replayed"],
              "satmcd counted the retries as replayed, not run (%d)"
              % (after["responses-replayed"] - before["responses-replayed"]))

        # ---- 0x2E OEM/Group, over IPMB and on the local socket ----
        r = raw(bridge.sock, "0x2e", "0x01", "0xd9", "0x7e", "0x00", "0x33")
        check(r.returncode == 0 and r.stdout.split() == ["d9", "7e", "00", "33", "5a"],
              "0x2E with our IANA: IANA first, then the program's answer (%s)" % r.stdout.strip())
        r = raw(bridge.sock, "0x2e", "0x01", "0xd9", "0x7e", "0x01", "0x33")
        check(r.returncode != 0 and rsp_code(r) == 0xC1, "0x2E with another IANA: 0xC1")
        r = raw(rig.ipmitool_sock, "0x2e", "0x01", "0xd9", "0x7e", "0x00", "0x44")
        check(r.returncode == 0 and r.stdout.split() == ["d9", "7e", "00", "44", "5a"],
              "local ipmitool socket: 0x2E answered the same way")
        r = raw(rig.ipmitool_sock, "0x30", "0x02")
        check(r.returncode != 0 and rsp_code(r) == 0xC3, "local ipmitool socket: timeout 0xC3")

        # ---- per-section counters (SIGUSR1) and --list-commands with the configuration ----
        rig.counters()
        text = rig.read_stderr()
        oem = {}
        for line in text[:text.rfind("\n") + 1].splitlines():
            if line.startswith("oem."):
                f = line.split()
                oem[f[0]] = {k: v for k, v in (kv.split("=") for kv in f[1:])}
        check(oem.get("oem.1", {}).get("runs") == "2" and oem["oem.1"].get("timed-out") == "2"
              and oem["oem.1"].get("ok") == "0",
              "SIGUSR1: [oem.1] ran twice, both timed out (%s)" % oem.get("oem.1"))
        check(oem.get("oem.2", {}).get("runs") == "1" and oem["oem.2"].get("ok") == "1" and
              oem["oem.2"].get("busy") == "0",
              "SIGUSR1: [oem.2] ran once for the bridge's retries, answered ok (%s)" % oem.get("oem.2"))
        check(oem.get("oem.3", {}).get("runs") == "2" and oem["oem.3"].get("ok") == "2",
              "SIGUSR1: [oem.3] (0x2E) ran twice, ok both times (%s)" % oem.get("oem.3"))
        r = subprocess.run([os.environ["SATMCD"], "--list-commands", "--config", config],
                           capture_output=True, text=True)
        listed = [l for l in r.stdout.splitlines() if l.startswith("0x") and "[oem." in l]
        check(r.returncode == 0 and len(listed) == 4 and
              listed[0].split()[:3] == ["0x30", "oem", "0x01"] and
              listed[3].split()[:3] == ["0x2e", "oem-group", "0x01"] and "IANA 0x007ED9" in listed[3],
              "satmcd --list-commands --config lists the 4 [oem.N] commands (%s)" % listed)
    finally:
        if bridge:
            bridge.stop()
        rc = rig.stop()
    check(rc == 0, "satmcd exits 0 on SIGTERM")
    check(read_int(pwm) == 255, "at exit: full speed")
    check(read_int(enable) == 2, "at exit: pwm1_enable restored to 2 (automatic)")
    finish()


if __name__ == "__main__":
    main()
