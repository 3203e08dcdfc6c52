#!/usr/bin/env python3
"""The state directory trusts nothing it finds (common/state-dir.h). Planted where satmcd keeps
its files -- a FIFO as fru0.bin or sensors.state, a symlink fru0.bin pointing outside, a second
hard link to fru0.bin, a directory as fru0.bin.tmp -- or a state directory that is a symlink or
group-writable: satmcd exits non-zero promptly, naming the file and the reason, and never
attaches to the bus (a probe written to its address is never ACKed). A stale fru0.bin.tmp of its
own is removed; one hard-linked to a file outside the directory, planted while satmcd runs, is
unlinked, never written through: the outside file is untouched by the next Write FRU Data.

"Promptly" is measured: the deadline is 1 s plus 20 times what a normal start to READY=1 took
on this machine now. SATMC_SOAK=1 repeats every case (rounds printed)."""
import os, shutil, signal, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from satmc_testlib import Rig, check, finish  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROUNDS = 10 if os.environ.get("SATMC_SOAK") else 1
SATMCD_ADDR7 = 0x72 >> 1
STORAGE = 0x0A
WRITE_FRU_DATA = 0x12

SENSOR = """
[sensor.0]
name = Board Temp
type = temperature
range = -40..125
upper-critical = 85
"""


def make_config(tmp):
    """board-fru.ini (fru0, fru1) plus a sensor, so that sensors.state is read at start."""
    path = os.path.join(tmp, "board-statedir.ini")
    with open(path, "w") as f:
        f.write(open(os.path.join(HERE, "board-fru.ini")).read() + SENSOR)
    return path


def fresh_state(tmp, name):
    path = os.path.join(tmp, name)
    os.mkdir(path, 0o750)
    os.chmod(path, 0o750)       # whatever the umask
    return path


def stop_satmcd(rig):
    rig.satmcd.send_signal(signal.SIGTERM)
    return rig.satmcd.wait(60)


def start_time(rig, state):
    """Seconds from spawning satmcd on a good state directory to its READY=1."""
    rig.satmcd_args = ["--state-directory", state]
    # A READY=1 left by an earlier satmcd (one that should have refused, and did not) is not
    # this one's.
    rig.drain_notify()
    t0 = time.monotonic()
    rig.start_satmcd()
    return time.monotonic() - t0


def expect_refusal(rig, state, what, needle, deadline):
    """satmcd on state must exit non-zero within deadline with needle in its log, and must not
    ACK one of the probes written to its address meanwhile."""
    rig.satmcd_args = ["--state-directory", state]
    log_before = len(rig.read_stderr())
    p = rig.spawn_satmcd()
    t0 = time.monotonic()
    probes = acked = 0
    while True:
        probes += 1
        acked += rig.bmc.write(SATMCD_ADDR7, b"\x00\x00")
        try:
            p.wait(0.02)
            break
        except subprocess.TimeoutExpired:
            pass
        if time.monotonic() - t0 > deadline:
            p.kill()
            p.wait()
            break
    took = time.monotonic() - t0
    log = rig.read_stderr()[log_before:]
    # 1, EXIT_FAILURE: not a signal, and not valgrind's 99 (SATMCD_WRAPPER) hiding an error.
    exited = took <= deadline and p.returncode == 1
    check(exited, "%s: satmcd exits with status 1 within %.1f s (took %.2f s, status %s)"
          % (what, deadline, took, p.returncode))
    check(needle in log, "%s: the message names it (%r)%s"
          % (what, needle, "" if needle in log else "; log:\n" + log))
    check(acked == 0, "%s: never attached to the bus (%d of %d probes ACKed)"
          % (what, acked, probes))


def refusals(tmp, outside):
    """(what, state directory, needle): each a trick planted in a fresh state directory."""
    cases = []

    s = fresh_state(tmp, "fifo-fru")
    os.mkfifo(os.path.join(s, "fru0.bin"))
    cases.append(("FIFO as fru0.bin", s, "fru0.bin is a FIFO"))

    s = fresh_state(tmp, "fifo-sensors")
    os.mkfifo(os.path.join(s, "sensors.state"))
    cases.append(("FIFO as sensors.state", s, "sensors.state is a FIFO"))

    s = fresh_state(tmp, "symlink-fru")
    os.symlink(outside, os.path.join(s, "fru0.bin"))
    cases.append(("fru0.bin a symlink to a file outside", s, "fru0.bin is a symbolic link"))

    s = fresh_state(tmp, "hardlink-fru")
    os.link(outside, os.path.join(s, "fru0.bin"))
    cases.append(("fru0.bin a hard link to a file outside", s,
                  "fru0.bin has more than one hard link"))

    s = fresh_state(tmp, "dir-tmp")
    os.mkdir(os.path.join(s, "fru0.bin.tmp"))
    cases.append(("a directory as fru0.bin.tmp", s, "fru0.bin.tmp is a directory"))

    s = fresh_state(tmp, "group-writable")
    os.chmod(s, 0o770)
    cases.append(("a group-writable state directory", s, "is writable by its group"))

    real = fresh_state(tmp, "real")
    s = os.path.join(tmp, "state-link")
    os.symlink(real, s)
    cases.append(("a state directory that is a symlink", s, "is a symbolic link"))
    return cases


def write_fru(rig, offset, data):
    f = rig.transact(STORAGE, WRITE_FRU_DATA, bytes([0, offset & 0xFF, offset >> 8]) + data,
                     timeout=3)
    return None if f is None else f[6]


def main():
    tmp = tempfile.mkdtemp(prefix="satmc-statedir-")
    config = make_config(tmp)
    outside = os.path.join(tmp, "outside.bin")
    outside_bytes = b"not satmcd's: must never change\n" * 16
    with open(outside, "wb") as f:
        f.write(outside_bytes)

    good = fresh_state(tmp, "good")
    rig = Rig(config, satmcd_args=["--state-directory", good])
    try:
        stop_satmcd(rig)
        took = start_time(rig, good)
        deadline = 1.0 + 20 * took
        print("rounds=%d start-to-READY=%.3f s deadline=%.1f s" % (ROUNDS, took, deadline),
              flush=True)
        stop_satmcd(rig)

        for _ in range(ROUNDS):
            for what, state, needle in refusals(tempfile.mkdtemp(dir=tmp), outside):
                expect_refusal(rig, state, what, needle, deadline)
        check(open(outside, "rb").read() == outside_bytes,
              "the file outside the state directory is untouched by the refusals")

        # A crash leftover of our own is removed, and satmcd starts.
        stale = os.path.join(good, "fru0.bin.tmp")
        with open(stale, "wb") as f:
            f.write(b"\x01\x00\x01")
        start_time(rig, good)
        check(not os.path.exists(stale), "a stale fru0.bin.tmp of satmcd's own is removed")

        # A hard link to a file outside, planted as the tmp name while satmcd runs: the next
        # writes unlink the name and never write through it.
        backing = os.path.join(good, "fru0.bin")
        ok = True
        for i in range(ROUNDS):
            os.link(outside, stale)
            cc = write_fru(rig, 0x100 + i, b"\xa5")
            ok &= cc == 0 and open(backing, "rb").read()[0x100 + i] == 0xA5
            ok &= open(outside, "rb").read() == outside_bytes
            ok &= os.stat(backing).st_nlink == 1 and not os.path.exists(stale)
            if os.path.exists(stale):
                os.unlink(stale)
        check(ok, "Write FRU Data with fru0.bin.tmp hard-linked outside: written to fru0.bin, "
              "the outside file untouched (%d writes)" % ROUNDS)
        check(open(outside, "rb").read() == outside_bytes, "the outside file is untouched")
    finally:
        rig.stop()
        shutil.rmtree(tmp, ignore_errors=True)  # FIFOs and links included
    finish()


if __name__ == "__main__":
    main()
