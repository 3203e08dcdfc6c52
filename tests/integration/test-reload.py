#!/usr/bin/env python3
"""Configuration reload on SIGHUP: satmcd with a copy of board-fru.ini in a temp directory.

Changing [identity] device-id and [fru.0] board-serial-number and sending SIGHUP must show both
in answers from the same process (the bus was never dropped); a broken file must be refused with
file:line and leave the answers unchanged; a changed [mc] address must be warned about as
needing a restart while the old address keeps answering. satmcd tells its service manager
RELOADING=1 with MONOTONIC_USEC= and then READY=1 (sd_notify(3)). A threshold removed from the
file is removed by the reload (Get Sensor Thresholds no longer reads it, sensors.state agrees)."""
import os, re, shutil, signal, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from satmc_testlib import Rig, check, finish, ipmitool, wait_for  # noqa: E402
import emubus  # noqa: E402  (on the path satmc_testlib set)

HERE = os.path.dirname(os.path.abspath(__file__))
APP, SE = 0x06, 0x04


def device_id(rig):
    f = rig.transact(APP, 0x01)
    return None if f is None or f[6] != 0 else f[7]


def event_receiver(rig):
    f = rig.transact(SE, 0x01)
    return None if f is None or f[6] != 0 else (f[7], f[8])


SENSOR = """
[sensor.0]
name = Board Temp
type = temperature
range = -40..125
source = none
upper-non-critical = 60
upper-critical = 85
"""


def readable_thresholds(rig):
    """Get Sensor Thresholds of sensor 1: the readable mask (SDR_THR_* bits), or None."""
    f = rig.transact(SE, 0x27, bytes([1]))
    return None if f is None or f[6] != 0 else f[7]


def reload(rig, before):
    """SIGHUP, then wait for the reload's last line (summary or refusal) after before."""
    rig.satmcd.send_signal(signal.SIGHUP)
    wait_for(lambda: re.search(r"Reloaded |Reload of .* refused", rig.read_stderr()[before:]),
             "reload to finish", 30 if os.environ.get("SATMCD_WRAPPER") else 10)
    return rig.read_stderr()[before:]


def sockets_of(pid):
    n = 0
    for fd in os.listdir("/proc/%d/fd" % pid):
        try:
            n += os.readlink("/proc/%d/fd/%s" % (pid, fd)).startswith("socket:")
        except OSError:
            pass    # closed meanwhile
    return n


def sighup_during_start(cfg, tmp):
    """A SIGHUP that arrives while satmcd starts is held for the event loop, not fatal. The bus
    is stopped so that satmcd waits in its attach (the transport opens after the state
    directory, before the loop's signal sources): a SIGHUP then hits the start-up for sure."""
    rig = Rig(cfg, satmcd_args=["--state-directory", tmp])
    try:
        check(rig.stop() == 0, "first satmcd stops")
        rig.bus = subprocess.Popen(rig.bus.args)    # a fresh bus: stop() ended the first
        wait_for(lambda: sockets_of(rig.bus.pid) >= 1, "bus listening")
        rig.bus.send_signal(signal.SIGSTOP)
        rig.drain_notify()
        before = len(rig.read_stderr())
        rig.spawn_satmcd()
        # Both bus connections made: satmcd waits for ATTACHED (2 s) from a stopped bus.
        wait_for(lambda: rig.satmcd.poll() is not None or sockets_of(rig.satmcd.pid) >= 2,
                 "satmcd connected to the bus", 30 if os.environ.get("SATMCD_WRAPPER") else 10)
        rig.satmcd.send_signal(signal.SIGHUP)
        time.sleep(0.05)
        rig.bus.send_signal(signal.SIGCONT)
        check(rig.satmcd.poll() is None, "satmcd outlives a SIGHUP sent during its start")
        rig.wait_notify("READY=1", 30 if os.environ.get("SATMCD_WRAPPER") else 10)
        wait_for(lambda: "Reloaded " in rig.read_stderr()[before:],
                 "the held SIGHUP to reload", 30 if os.environ.get("SATMCD_WRAPPER") else 10)
        check(True, "the SIGHUP held during the start is a reload once the loop runs")
        rig.bmc = emubus.Endpoint(rig.sock, [0x10])
        check(device_id(rig) == 0x23, "and satmcd answers Get Device ID")
    finally:
        check(rig.stop() == 0, "satmcd exits 0")


def main():
    tmp = tempfile.mkdtemp(prefix="satmc-reload-")
    cfg = os.path.join(tmp, "satmcd.conf")
    with open(os.path.join(HERE, "board-fru.ini")) as f:
        text = f.read() + SENSOR
    with open(cfg, "w") as f:
        f.write(text)

    rig = Rig(cfg, satmcd_args=["--state-directory", tmp])
    try:
        pid = rig.satmcd.pid
        check(device_id(rig) == 0x23, "Get Device ID: device id 0x23 before the reload")
        r = ipmitool(rig.ipmitool_sock, "fru", "print", "0")
        check("SN123456" in r.stdout, "fru print 0 shows SN123456 before the reload")

        text = text.replace("device-id = 0x23", "device-id = 0x42")
        text = text.replace("board-serial-number = SN123456", "board-serial-number = SN654321")
        check(event_receiver(rig) == (0x20, 0), "Get Event Receiver: 0x20 before the reload")
        text = text.replace("duplicate-window-ms = 5000",
                            "duplicate-window-ms = 5000\nevent-receiver = 0x24\nevent-receiver-lun = 1")
        with open(cfg, "w") as f:
            f.write(text)
        out = reload(rig, len(rig.read_stderr()))
        check("Reloaded " in out, "the reload is logged (%r)" % out.strip())
        msg = rig.wait_notify("RELOADING=1")
        check(re.search(r"^MONOTONIC_USEC=\d+$", msg, flags=re.M) is not None,
              "RELOADING=1 comes with MONOTONIC_USEC= (%r)" % msg)
        rig.wait_notify("READY=1")
        check(True, "READY=1 follows the reload")
        check("event receiver changed" in out, "the reload names the new event receiver")
        check(event_receiver(rig) == (0x24, 1), "Get Event Receiver: 0x24 LUN 1 after the reload")
        # Set by the BMC at run time: an unrelated reload leaves it alone.
        f = rig.transact(SE, 0x00, bytes([0x20, 0x00]))
        check(f is not None and f[6] == 0, "Set Event Receiver 0x20 by IPMB")
        out = reload(rig, len(rig.read_stderr()))
        check("event receiver unchanged" in out and event_receiver(rig) == (0x20, 0),
              "a reload of an unchanged [mc] keeps the receiver the BMC set")
        check(rig.satmcd.poll() is None and rig.satmcd.pid == pid, "same satmcd process")
        check(device_id(rig) == 0x42, "Get Device ID: device id 0x42 after the reload")
        # Twelve more, their RELOADING=1 and READY=1 not waited for: the rig reads the notify
        # socket all along, as systemd does (left unread it fills at 10 datagrams, and satmcd's
        # next sd_notify() blocks its loop).
        for _ in range(12):
            reload(rig, len(rig.read_stderr()))
        check(device_id(rig) == 0x42 and rig.satmcd.poll() is None,
              "Get Device ID answered after 12 reloads in a row")
        r = ipmitool(rig.ipmitool_sock, "fru", "print", "0")
        check("SN654321" in r.stdout and "SN123456" not in r.stdout,
              "fru print 0 shows the new serial SN654321 (%s)" % r.stderr.strip())
        check("LC100G Line Card" in r.stdout, "the other FRU fields are still there")

        # A threshold removed from the file goes: UNC|UCR (0x18) before, UCR (0x10) after.
        check(readable_thresholds(rig) == 0x18, "sensor 1 reads UNC and UCR before")
        text = text.replace("upper-non-critical = 60\n", "")
        with open(cfg, "w") as f:
            f.write(text)
        out = reload(rig, len(rig.read_stderr()))
        check("needs a restart" not in out, "removing a threshold needs no restart (%r)" % out)
        got = readable_thresholds(rig)
        check(got == 0x10, "sensor 1 reads only UCR after the reload (mask %r)" % got)
        state = open(os.path.join(tmp, "sensors.state")).read()
        check(re.search(r"^0 none none none none \S+ none ", state, flags=re.M) is not None,
              "sensors.state has no upper-non-critical either (%r)" % state)

        # A broken line: refused with file:line, nothing changes.
        broken = text + "this line is not an ini line\n"
        lineno = broken.count("\n")
        with open(cfg, "w") as f:
            f.write(broken)
        before = len(rig.read_stderr())
        out = reload(rig, before)
        check("%s:%d:" % (cfg, lineno) in out, "the error names %s:%d (%r)" % (cfg, lineno, out))
        check("Reload of %s refused; the running configuration stays." % cfg in out,
              "the refusal is logged")
        check(rig.satmcd.poll() is None and rig.satmcd.pid == pid, "still the same satmcd")
        check(device_id(rig) == 0x42, "Get Device ID unchanged after the refused reload")
        r = ipmitool(rig.ipmitool_sock, "fru", "print", "0")
        check("SN654321" in r.stdout, "FRU unchanged after the refused reload")

        # A new address needs a restart: warned about, the old one keeps answering.
        with open(cfg, "w") as f:
            f.write(text.replace("address = 0x72", "address = 0x74"))
        out = reload(rig, len(rig.read_stderr()))
        check("needs a restart" in out and "address" in out,
              "a changed address is warned about as needing a restart (%r)" % out.strip())
        check(device_id(rig) == 0x42, "the old address 0x72 still answers")
        check(rig.transact(APP, 0x01, rs_sa=0x74, timeout=0.3) is None,
              "nothing answers at 0x74")
        check(rig.satmcd.pid == pid and rig.satmcd.poll() is None, "never restarted")
    finally:
        check(rig.stop() == 0, "satmcd exits 0")
    try:
        with open(cfg, "w") as f:
            f.write(open(os.path.join(HERE, "board-fru.ini")).read())
        sighup_during_start(cfg, os.path.join(tmp, "early"))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    finish()


if __name__ == "__main__":
    main()
