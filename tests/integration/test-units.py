#!/usr/bin/env python3
"""The systemd side: the shipped units pass `systemd-analyze verify` with no complaint and rate
2.0 or better in `systemd-analyze security --offline=yes`; satmcd serves an ipmitool socket
passed by socket activation (systemd-socket-activate), as satmcd-ipmitool@.socket does; the
unit's ExecReload= (systemd 252 has no Type=notify-reload) reloads that satmcd in place."""
import os, re, shutil, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from satmc_testlib import check, finish, wait_for, skip_all  # noqa: E402

SRC = os.environ["SATMC_SOURCE_ROOT"]
BUILD_UNITS = os.environ["SATMC_UNITS_DIR"]
SATMCD = os.environ["SATMCD"]
BUS = os.environ["SATMC_I2C_BUS"]


def unit_copies(tmp):
    """The built units as instance ipmb-0, pointing at the binaries of this build, and the man
    pages they name on a MANPATH (verify runs `man` for Documentation=)."""
    units = os.path.join(tmp, "units")
    os.makedirs(units)
    service = open(os.path.join(BUILD_UNITS, "satmcd@.service")).read()
    service = re.sub(r"^ExecStart=\S+", "ExecStart=" + SATMCD, service, flags=re.M)
    open(os.path.join(units, "satmcd@ipmb-0.service"), "w").write(service)
    for sock in ("satmcd-ipmitool@", "satmcd-nbd@"):
        shutil.copy(os.path.join(SRC, "units", sock + ".socket"),
                    os.path.join(units, sock + "ipmb-0.socket"))
    man = os.path.join(tmp, "man")
    for sect, page in (("8", os.path.join(SRC, "man", "satmcd.8")),
                       ("5", os.path.join(os.environ["SATMC_MAN_DIR"], "satmcd.conf.5"))):
        os.makedirs(os.path.join(man, "man" + sect), exist_ok=True)
        shutil.copy(page, os.path.join(man, "man" + sect))
    return units, man


def main():
    if not shutil.which("systemd-analyze"):
        skip_all("systemd-analyze not installed")
    tmp = tempfile.mkdtemp(prefix="satmc-units-")
    units, man = unit_copies(tmp)
    env = dict(os.environ, MANPATH=man)

    for unit in ("satmcd@ipmb-0.service", "satmcd-ipmitool@ipmb-0.socket",
                 "satmcd-nbd@ipmb-0.socket"):
        r = subprocess.run(["systemd-analyze", "verify", os.path.join(units, unit)],
                           capture_output=True, text=True, env=env)
        complaints = (r.stdout + r.stderr).strip()
        check(r.returncode == 0 and complaints == "",
              "systemd-analyze verify %s is clean%s" % (unit, (": " + complaints) if complaints else ""))

    # Reload: Type=notify with ExecReload= sending SIGHUP; satmcd itself sends RELOADING=1 and
    # READY=1 around it (test-reload checks those).
    service = open(os.path.join(BUILD_UNITS, "satmcd@.service")).read()
    check(re.findall(r"^Type=(\S+)$", service, flags=re.M) == ["notify"], "Type=notify")
    reloads = re.findall(r"^ExecReload=(.+)$", service, flags=re.M)
    check(reloads == ["/bin/kill -HUP $MAINPID"],
          "ExecReload=/bin/kill -HUP $MAINPID (%s)" % reloads)

    # DevicePolicy=closed leaves satmcd its /dev/ipmb-N alone: the GPIO chips and I2C adapters
    # of gpio:, smbus: and pmbus: sources (and fan outputs, hardware-address pins, Master
    # Write-Read) are allowed by major, by the names the kernel gives them in /proc/devices
    # (systemd-analyze verify above resolves them; the security rating below still holds).
    check(re.findall(r"^DevicePolicy=(\S+)$", service, flags=re.M) == ["closed"], "DevicePolicy=closed")
    allow = re.findall(r"^DeviceAllow=(.+)$", service, flags=re.M)
    for want in ("/dev/%i rw", "char-gpiochip rw", "char-i2c rw"):
        check(want in allow, "DeviceAllow=%s (%s)" % (want, allow))

    # Anyone who can connect can Cold Reset or write FRU: the sockets are owner and group only,
    # as satmcd makes its own ([ipmitool] / [nbd] socket-mode).
    for sock in ("satmcd-ipmitool@", "satmcd-nbd@"):
        text = open(os.path.join(SRC, "units", sock + ".socket")).read()
        modes = re.findall(r"^SocketMode=(\S+)$", text, flags=re.M)
        check(modes == ["0660"], "%s.socket says SocketMode=0660 (%s)" % (sock, modes))

    r = subprocess.run(["systemd-analyze", "security", "--offline=yes",
                        os.path.join(units, "satmcd@ipmb-0.service")],
                       capture_output=True, text=True, env=env)
    m = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", r.stdout)
    score = float(m.group(1)) if m else 99.0
    check(score <= 2.0, "systemd-analyze security rates satmcd@.service %.1f (<= 2.0)" % score)

    # Socket activation: the socket exists before satmcd; the first client starts it.
    sock = os.path.join(tmp, "ipmitool.sock")
    nbd_sock = os.path.join(tmp, "nbd.sock")
    state = os.path.join(tmp, "state")
    os.makedirs(state)
    bus_sock = os.path.join(tmp, "bus.sock")
    bus = subprocess.Popen([BUS, "--socket", bus_sock])
    wait_for(lambda: os.path.exists(bus_sock), "bus socket")
    log = open(os.path.join(tmp, "satmcd.log"), "w+")
    act = subprocess.Popen(["systemd-socket-activate", "-l", sock, "-l", nbd_sock,
                            "--fdname=ipmitool:nbd", SATMCD,
                            "--config", os.path.join(SRC, "tests/integration/board-fru.ini"),
                            "--state-directory", state, "--bus-socket", bus_sock,
                            "--ipmitool-socket", "none", "--nbd-socket", "none"],
                           stderr=log, stdout=log)
    try:
        wait_for(lambda: os.path.exists(sock), "activation socket")
        if shutil.which("ipmitool"):
            out = subprocess.run(["timeout", "20", "ipmitool", "-I", "dummy", "raw", "0x06", "0x01"],
                                 capture_output=True, text=True,
                                 env=dict(os.environ, IPMI_DUMMY_SOCK=sock)).stdout
            check(len(out.split()) >= 3 and out.split()[0] == "23",
                  "ipmitool answered over the passed socket: %s" % out.strip())
        if shutil.which("nbdinfo"):
            out = subprocess.run(["timeout", "20", "nbdinfo", "--list", "nbd+unix:///?socket=" + nbd_sock],
                                 capture_output=True, text=True).stdout
            check('export="fru0"' in out and 'export="sdr"' in out,
                  "NBD served over the passed socket (fru0 and sdr listed)")
        time.sleep(0.2)
        log.flush()
        text = open(log.name).read()
        check(text.count("socket passed by the service manager") == 2,
              "satmcd says it uses both passed sockets")
        check(not os.path.exists(os.path.join(tmp, "none")), "no socket of its own created")

        # The unit's ExecReload= as systemd would run it, $MAINPID being satmcd (the activator
        # execs it, so it is act's process).
        argv = reloads[0].replace("$MAINPID", str(act.pid)).split()
        check(subprocess.run(argv).returncode == 0, "ExecReload= ran: %s" % " ".join(argv))
        wait_for(lambda: (log.flush(), "Reloaded " in open(log.name).read())[1],
                 "satmcd to log the reload")
        check(act.poll() is None, "satmcd still runs after the reload")
    finally:
        act.terminate()
        rc = act.wait(20)
        bus.terminate()
        bus.wait(10)
    check(rc == 0, "socket-activated satmcd exits 0 on SIGTERM (got %s)" % rc)
    shutil.rmtree(tmp, ignore_errors=True)
    finish()


if __name__ == "__main__":
    main()
