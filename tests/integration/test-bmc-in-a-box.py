#!/usr/bin/env python3
"""scripts/bmc-in-a-box.sh as a user runs it: it comes up with the example board and ipmi_sim,
prints an ipmitool command per satellite that works as printed (with NAKs on the bus), and a
Ctrl-C (SIGINT to its whole process group, as a terminal sends it) stops every process it started
and removes its work directory. Skipped (TAP `1..0 # SKIP`) without ipmi_sim."""
import os, re, select, shlex, shutil, signal, subprocess, sys, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from satmc_testlib import IPMITOOL_TIMEOUT, check, fields, finish, skip_all  # noqa: E402

ROOT = os.environ["SATMC_SOURCE_ROOT"]
BUILD = os.path.dirname(os.path.dirname(os.environ["SATMC_I2C_BUS"]))  # BUILD/tools/satmc-i2c-bus


def read_banner(proc, timeout=30):
    """stdout lines up to "Press Ctrl-C to stop." (or the script's exit)."""
    lines, buf = [], b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not select.select([proc.stdout], [], [], max(0.0, deadline - time.monotonic()))[0]:
            break
        chunk = os.read(proc.stdout.fileno(), 4096)
        if not chunk:
            break
        buf += chunk
        *done, buf = buf.split(b"\n")
        lines += [l.decode() for l in done]
        if any(l.startswith("Press Ctrl-C") for l in lines):
            break
    return lines


def main():
    if shutil.which("ipmi_sim") is None:
        skip_all("ipmi_sim not installed (apt-get install openipmi)")
    proc = subprocess.Popen([os.path.join(ROOT, "scripts/bmc-in-a-box.sh"), "-b", BUILD,
                             "-f", "nak:p=0.05"],
                            stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, start_new_session=True)
    pgid = proc.pid
    try:
        lines = read_banner(proc)
        print("\n".join("  | " + l for l in lines))
        check(any(l.startswith("Press Ctrl-C") for l in lines), "the box comes up and says so")
        work = next((m.group(1) for l in lines for m in [re.search(r"everything under (\S+)\)", l)]
                     if m), None)
        cmds = {m.group(2): shlex.split(m.group(1)) for l in lines
                for m in [re.match(r"\s+(\S+satmc-ipmitool -S \S+) mc info\s+# (\w+)", l)] if m}
        check(set(cmds) == {"satmcd", "ipmi_sim"}, "one ipmitool command per satellite: %s" % sorted(cmds))
        for who, want in (("satmcd", "35"), ("ipmi_sim", "35")):
            if who not in cmds:
                continue
            r = subprocess.run(["timeout", str(IPMITOOL_TIMEOUT), *cmds[who], "mc", "info"],
                               capture_output=True, text=True, stdin=subprocess.DEVNULL)
            check(r.returncode == 0 and fields(r.stdout).get("Device ID") == want,
                  "%s: the printed command answers mc info (Device ID %s)"
                  % (who, fields(r.stdout).get("Device ID")))
        if "ipmi_sim" in cmds:
            r = subprocess.run(["timeout", str(IPMITOOL_TIMEOUT), *cmds["ipmi_sim"], "sdr", "list"],
                               capture_output=True, text=True, stdin=subprocess.DEVNULL)
            check(r.returncode == 0 and "Peer Temp" in r.stdout, "ipmi_sim: sdr list through the box")

        os.killpg(pgid, signal.SIGINT)          # Ctrl-C
        try:
            rc = proc.wait(30)
        except subprocess.TimeoutExpired:
            rc = "hung"
        check(rc == 130, "Ctrl-C: the script exits 130 (%s)" % rc)
        # A zombie has ended; whether it is reaped at once depends on who inherits it once the
        # script is gone (here PID 1 is not an init that reaps promptly), so it does not count.
        ps = subprocess.run(["ps", "-e", "-o", "pid=,pgid=,stat=,args="],
                            capture_output=True, text=True).stdout
        left = "".join(line + "\n" for line in ps.splitlines()
                       if line.split()[1] == str(pgid) and line.split()[2][0] != "Z")
        check(left == "", "Ctrl-C: nothing it started is left running %r" % left)
        check(work is not None and not os.path.exists(work), "Ctrl-C: its work directory is gone")
    finally:
        try:
            os.killpg(pgid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    finish()


if __name__ == "__main__":
    main()
