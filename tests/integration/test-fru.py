#!/usr/bin/env python3
"""FRU inventory end to end: satmcd with board-fru.ini and its own state directory, read and
written by real ipmitool (-I dummy) and over the emulated IPMB.

Covers `ipmitool fru print 0` showing the configured fields, `ipmitool fru read 0 FILE` equal to
the backing file, a Write FRU Data that survives a restart, write-protect (0x80) locally and over
IPMB, a torn fru0.bin.tmp removed at start, and the storage rule (docs/durability.md): an image
that does not parse is served as stored and reported by Get Self Test Results, a backing file of
the wrong size stops the start-up with a message naming the file and the rebuild action, and
`satmcd --rebuild-fru=N` (refused while satmcd runs) rebuilds it. SIGKILL at random points is
tests/integration/test-fru-kill.py."""
import os, shlex, shutil, subprocess, sys, tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from satmc_testlib import Rig, check, finish, fru_valid, ipmitool, wait_for  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
CONFIG = os.path.join(HERE, "board-fru.ini")
STORAGE = 0x0A


def read(path):
    with open(path, "rb") as f:
        return f.read()


def cc_of(frame):
    return None if frame is None else frame[6]


def main():
    state = tempfile.mkdtemp(prefix="satmc-fru-state-")
    backing = os.path.join(state, "fru0.bin")
    args = ["--state-directory", state]

    rig = Rig(CONFIG, satmcd_args=args)
    try:
        check(os.path.exists(backing) and fru_valid(read(backing)),
              "fru0.bin written at start and valid")
        r = ipmitool(rig.ipmitool_sock, "fru", "print", "0")
        want = ["Rack Mount Chassis", "CH-100-A", "CHS0001", "Fri Mar 15 09:30:00 2024",
                "Example Networks", "LC100G Line Card", "SN123456", "PN-LC100G-01",
                "HW rev B", "BOM 42", "LC100G-R", "2.1", "PS987654", "ASSET-0042", "tested"]
        missing = [w for w in want if w not in r.stdout]
        check(r.returncode == 0 and not missing,
              "ipmitool fru print 0 shows every configured field%s"
              % ("" if not missing else " (missing %s; stderr %s)" % (missing, r.stderr)))

        out = os.path.join(rig.dir, "fru0.read")
        r = ipmitool(rig.ipmitool_sock, "fru", "read", "0", out)
        check(r.returncode == 0 and os.path.exists(out) and read(out) == read(backing),
              "ipmitool fru read 0 FILE equals the backing file (%s)" % r.stderr.strip())

        r = ipmitool(rig.ipmitool_sock, "mc", "info")
        check("FRU Inventory Device" in r.stdout, "mc info: FRU Inventory Device (from [fru.0])")

        # Write FRU Data into the free space after the image, then read it back.
        r = ipmitool(rig.ipmitool_sock, "raw", "0x0a", "0x12", "0x00", "0x2c", "0x01",
                     "0x41", "0x42", "0x43")
        check(r.returncode == 0 and r.stdout.split() == ["03"],
              "raw Write FRU Data answers count 3 (%r %r)" % (r.stdout, r.stderr))
        check(read(backing)[300:303] == b"ABC", "the write is on disk before the answer")

        # Over IPMB too: a 32-byte IPMB read comes back in 23-byte pieces.
        f = rig.transact(STORAGE, 0x11, bytes([0, 0x2c, 0x01, 0xFF]))
        check(f is not None and cc_of(f) == 0 and f[7] == 23 and f[8:11] == b"ABC",
              "IPMB Read FRU Data: 23 bytes at most, starting with the written ABC")
        f = rig.transact(STORAGE, 0x11, bytes([0, 0x00, 0x02, 1]))
        check(cc_of(f) == 0xC9, "IPMB Read FRU Data at the end: 0xC9")
        f = rig.transact(STORAGE, 0x10, bytes([5]))
        check(cc_of(f) == 0xCB, "IPMB Get FRU Inventory Area Info for an unknown device: 0xCB")

        # Write-protected [fru.1].
        before1 = read(os.path.join(state, "fru1.bin"))
        r = ipmitool(rig.ipmitool_sock, "raw", "0x0a", "0x12", "0x01", "0x00", "0x00", "0x41")
        check(r.returncode != 0 and "rsp=0x80" in r.stderr,
              "raw Write FRU Data to write-protected fru 1: 0x80 (%s)" % r.stderr.strip())
        f = rig.transact(STORAGE, 0x12, bytes([1, 0, 0, 0x41]))
        check(cc_of(f) == 0x80, "IPMB Write FRU Data to write-protected fru 1: 0x80")
        check(read(os.path.join(state, "fru1.bin")) == before1, "fru1.bin unchanged")
    finally:
        check(rig.stop() == 0, "satmcd exits 0")

    # The backing file wins over the configuration after a restart.
    rig = Rig(CONFIG, satmcd_args=args)
    try:
        r = ipmitool(rig.ipmitool_sock, "raw", "0x0a", "0x11", "0x00", "0x2c", "0x01", "0x03")
        check(r.returncode == 0 and r.stdout.split() == ["03", "41", "42", "43"],
              "after a restart Read FRU Data returns the written bytes (%r)" % r.stdout)
        r = ipmitool(rig.ipmitool_sock, "fru", "print", "0")
        check(r.returncode == 0 and "LC100G Line Card" in r.stdout, "fru print 0 still works")
    finally:
        check(rig.stop() == 0, "satmcd exits 0 after the restart")

    storage_rule(state, args, backing)
    shutil.rmtree(state, ignore_errors=True)
    finish()


def satmcd(*args):
    wrapper = shlex.split(os.environ.get("SATMCD_WRAPPER", ""))
    return subprocess.run(wrapper + [os.environ["SATMCD"], "--config", CONFIG, *args],
                          capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=120)


def storage_rule(state, args, backing):
    # A kill between writing the copy and renaming it leaves a .tmp; the next start drops it.
    image = read(backing)
    with open(backing + ".tmp", "wb") as f:
        f.write(b"\x01\x00torn")
    rig = Rig(CONFIG, satmcd_args=args)
    try:
        check(not os.path.exists(backing + ".tmp") and read(backing) == image,
              "a torn fru0.bin.tmp is removed at start and the image kept")
        f = rig.transact(0x06, 0x04)
        check(f is not None and f[6:9] == bytes([0, 0x55, 0x00]), "Get Self Test Results: 55 00")
        # The daemon holds the state directory: no rebuild under it.
        r = satmcd("--state-directory", state, "--rebuild-fru=0")
        check(r.returncode == 1 and "in use by another satmcd" in r.stderr,
              "--rebuild-fru refused while satmcd runs (%s)" % r.stderr.strip())
        # An image that does not parse (header checksum) is what was written: kept, reported.
        f = rig.transact(STORAGE, 0x12, bytes([0, 7, 0, image[7] ^ 0xFF]))
        check(cc_of(f) == 0, "Write FRU Data breaking the header checksum: 0x00")
    finally:
        check(rig.stop() == 0, "satmcd exits 0")
    broken = read(backing)
    rig = Rig(CONFIG, satmcd_args=args)
    try:
        f = rig.transact(STORAGE, 0x11, bytes([0, 0, 0, 8]))
        check(f is not None and f[8:16] == broken[:8] and read(backing) == broken,
              "after a restart the image that does not parse is served and kept as written")
        f = rig.transact(0x06, 0x04)
        check(f is not None and f[6:9] == bytes([0, 0x57, 0x20]),
              "Get Self Test Results: 57 20 (cannot access BMC FRU device)")
        c = rig.counters()
        check(c.get("fru-images-invalid") == 1, "counter fru-images-invalid=1")
        err = rig.read_stderr()
        check("fru0.bin does not parse as a FRU image" in err and "checksum" in err,
              "a warning names the file and its problems")
    finally:
        check(rig.stop() == 0, "satmcd exits 0")

    # A backing file of another size is not this device: satmcd refuses to start, file kept.
    with open(backing, "wb") as f:
        f.write(broken[:100])
    bus_sock = os.path.join(state, "bus.sock")
    bus = subprocess.Popen([os.environ["SATMC_I2C_BUS"], "--socket", bus_sock],
                           stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: os.path.exists(bus_sock), "bus socket")
        r = satmcd("--state-directory", state, "--bus-socket", bus_sock, "--ipmitool-socket",
                   "none", "--nbd-socket", "none")
    finally:
        bus.terminate()
        bus.wait()
    check(r.returncode == 1 and "fru0.bin is 100 bytes" in r.stderr and
          "--rebuild-fru=0" in r.stderr and read(backing) == broken[:100],
          "a 100-byte fru0.bin: satmcd refuses to start, names the file and the rebuild (%s)"
          % r.stderr.strip().splitlines()[-1:])
    r = satmcd("--state-directory", state, "--rebuild-fru=0")
    check(r.returncode == 0 and read(backing) == image_from_config(state),
          "satmcd --rebuild-fru=0 rewrites fru0.bin from the configuration (%s)"
          % (r.stdout + r.stderr).strip())
    r = satmcd("--state-directory", state, "--rebuild-fru=5")
    check(r.returncode == 1 and "no [fru.5]" in r.stderr, "--rebuild-fru=5: no such device")
    r = satmcd("--state-directory", state, "--rebuild-fru=x")
    check(r.returncode == 2, "--rebuild-fru=x: usage error")
    rig = Rig(CONFIG, satmcd_args=args)
    try:
        r = ipmitool(rig.ipmitool_sock, "fru", "print", "0")
        check(r.returncode == 0 and "LC100G Line Card" in r.stdout, "fru print 0 after the rebuild")
    finally:
        check(rig.stop() == 0, "satmcd exits 0")


def image_from_config(state):
    """What a first start writes: satmcd on an empty state directory."""
    fresh = tempfile.mkdtemp(prefix="satmc-fru-fresh-")
    try:
        r = satmcd("--state-directory", fresh, "--rebuild-fru=0")
        return read(os.path.join(fresh, "fru0.bin")) if r.returncode == 0 else None
    finally:
        shutil.rmtree(fresh, ignore_errors=True)


if __name__ == "__main__":
    main()
