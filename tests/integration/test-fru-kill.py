#!/usr/bin/env python3
"""Nothing acknowledged is lost (docs/durability.md), against the real satmcd.

1. The kill test. Write FRU Data in 22-byte pieces over the emulated IPMB, as `ipmitool fru
   write` does, so that the image is not a valid FRU image most of the time; SIGKILL satmcd at a
   random point (seeded; the seed is printed), often while a piece is being persisted; restart
   it and read the whole device back with Read FRU Data. What it serves must be exactly the
   acknowledged pieces, plus the one in flight at the kill or not: nothing else, never the
   configuration's image. The backing file must hold the same bytes, and Get Self Test Results
   must answer 0x57 (bit 5) while the image does not parse and 0x55 once it does again.
   Counts work, not time: KILLS kills (SATMC_SOAK=1: SOAK_KILLS; under valgrind
   VALGRIND_KILLS), whatever the machine's load.

2. Every other end of the process persists what NBD clients wrote without FLUSH: Cold Reset
   (re-exec), SIGINT, SIGTERM, a SIGHUP reload followed by SIGKILL, and a fatal exit (the bus
   goes away). Needs nbdsh (python3-libnbd); skipped with a visible SKIP without it.
"""
import os, random, shutil, signal, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from satmc_testlib import Rig, check, finish, fru_valid, wait_for, skip  # noqa: E402
import emubus  # noqa: E402  (satmc_testlib put the harness on sys.path)

HERE = os.path.dirname(os.path.abspath(__file__))
CONFIG = os.path.join(HERE, "board-fru.ini")
APP, STORAGE = 0x06, 0x0A
COLD_RESET, SELF_TEST = 0x02, 0x04
READ_FRU, WRITE_FRU = 0x11, 0x12
SAT = 0x72
CHUNK = 22              # ipmitool's Write FRU Data piece on a 32-byte IPMB
READ_CHUNK = 23         # what one Read FRU Data answer carries on a 32-byte IPMB
DEVICE = 512

SLOW = bool(os.environ.get("SATMCD_WRAPPER") or os.environ.get("SATMC_UNDER_VALGRIND"))
SOAK = os.environ.get("SATMC_SOAK") == "1"
KILLS = 5000 if SOAK else 20 if SLOW else 200
# How long an answer may take: generous beside what satmcd needs (it never waits itself).
ANSWER_TIMEOUT = 10.0 if SLOW else 3.0


def transact(rig, netfn, cmd, data, timeout=ANSWER_TIMEOUT):
    """One request; the response with its seq and cmd, or None. Answers left over from a killed
    satmcd (sent just before the kill, received late) are dropped here."""
    seq = rig.next_seq()
    frame = emubus.ipmb_request(SAT, netfn, cmd, seq, data)
    if not rig.bmc.write(SAT >> 1, frame[1:]):
        return None
    deadline = time.monotonic() + timeout
    while True:
        got = rig.bmc.recv(max(0.0, deadline - time.monotonic()))
        if got is None:
            return None
        f = bytes([got[0] << 1]) + bytes(got[1])
        if len(f) >= 8 and (f[1] >> 2) & 1 and f[4] >> 2 == seq and f[5] == cmd:
            return f


def read_device(rig):
    """The whole of fru0 through Read FRU Data, or None if an answer fails."""
    out = bytearray()
    while len(out) < DEVICE:
        n = min(READ_CHUNK, DEVICE - len(out))
        f = transact(rig, STORAGE, READ_FRU, bytes([0, len(out) & 0xFF, len(out) >> 8, n]))
        if f is None or f[6] != 0 or f[7] != n:
            return None
        out += f[8:8 + n]
    return bytes(out)


def self_test(rig):
    f = transact(rig, APP, SELF_TEST, b"")
    return None if f is None or f[6] != 0 else bytes(f[7:9])


def kill_test(state):
    seed = int(os.environ.get("SATMC_SEED", random.randrange(1 << 32)))
    rnd = random.Random(seed)
    print("kill test: %d kills, seed %d (SATMC_SEED=%d reproduces it)" % (KILLS, seed, seed),
          flush=True)
    backing = os.path.join(state, "fru0.bin")
    rig = Rig(CONFIG, satmcd_args=["--state-directory", state])
    original = read_device(rig)
    check(original is not None and fru_valid(original), "fru0 starts as the configuration's image")
    model = bytearray(original)
    # Generations of the whole device written piece by piece: random bytes, then the original
    # image back, and again. Half-way through, the image is never a valid FRU image.
    gen = {"target": None, "pos": DEVICE}

    def next_piece():
        if gen["pos"] >= DEVICE:
            gen["target"] = (original if gen["target"] not in (None, original) else
                             bytes(rnd.randrange(256) for _ in range(DEVICE)))
            gen["pos"] = 0
        pos = gen["pos"]
        gen["pos"] += CHUNK
        return pos, gen["target"][pos:pos + CHUNK]

    in_flight = None
    latencies = []
    acked = in_flight_present = in_flight_absent = mismatches = selftest_bad = 0
    invalid_restarts = 0
    try:
        for kill in range(KILLS):
            if kill > 0:
                rig.start_satmcd()
                served = read_device(rig)
                on_disk = open(backing, "rb").read()
                new = None
                if in_flight is not None:
                    off, data = in_flight
                    new = bytearray(model)
                    new[off:off + len(data)] = data
                ok = served is not None and served == on_disk
                if ok and served == bytes(model):
                    if new is not None and new != model:
                        in_flight_absent += 1
                elif ok and new is not None and served == bytes(new):
                    in_flight_present += 1
                    model = new
                else:
                    ok = False
                if not ok:
                    mismatches += 1
                    diff = [i for i in range(DEVICE) if served is None or served[i] != model[i]]
                    print("kill %d: served %s the acknowledged image (first differing offsets "
                          "%s, in flight %s)" % (kill, "differs from" if served else "nothing,",
                                                 diff[:8], in_flight and in_flight[0]),
                          flush=True)
                    model = bytearray(served or on_disk)
                st = self_test(rig)
                if not fru_valid(model):
                    invalid_restarts += 1
                    if st != bytes([0x57, 0x20]):
                        selftest_bad += 1
                        print("kill %d: image invalid, self test %s" % (kill, st and st.hex()),
                              flush=True)
                elif bytes(model) == original and st != bytes([0x55, 0x00]):
                    selftest_bad += 1
                    print("kill %d: image valid, self test %s" % (kill, st and st.hex()), flush=True)

            # Some acknowledged pieces, then one in flight with the kill at a random point of
            # it: anywhere from before it is sent to after its answer, scaled by how long an
            # acknowledged write took (measured, so it holds on a loaded machine).
            # At least one acknowledged piece per life, so the latency below is measured.
            for _ in range(rnd.randint(1, 7)):
                pos, data = next_piece()
                t0 = time.monotonic()
                f = transact(rig, STORAGE, WRITE_FRU, bytes([0, pos & 0xFF, pos >> 8]) + data)
                if f is None or f[6] != 0:
                    raise SystemExit("Write FRU Data at %d failed: %s" % (pos, f and f.hex()))
                latencies.append(time.monotonic() - t0)
                model[pos:pos + len(data)] = data
                acked += 1
            pos, data = next_piece()
            seq = rig.next_seq()
            frame = emubus.ipmb_request(SAT, STORAGE, WRITE_FRU, seq,
                                        bytes([0, pos & 0xFF, pos >> 8]) + data)
            typical = sorted(latencies[-50:])[len(latencies[-50:]) // 2]
            delay = rnd.uniform(0.0, 1.5 * typical)
            in_flight = (pos, data)
            if rnd.random() < 0.1:
                rig.satmcd.send_signal(signal.SIGKILL)      # before it is even sent
            else:
                rig.bmc.write(SAT >> 1, frame[1:])
                time.sleep(delay)
                rig.satmcd.send_signal(signal.SIGKILL)
            rig.satmcd.wait(30)
            # An answer that made it out before the kill makes the piece acknowledged. One
            # still on its way after this short look is treated as in flight, which the check
            # allows either way: the wait only makes the check stricter, never flaky.
            got = rig.bmc.recv(0.05)
            while got is not None:
                f = bytes([got[0] << 1]) + bytes(got[1])
                if len(f) >= 8 and f[4] >> 2 == seq and f[5] == WRITE_FRU and f[6] == 0:
                    model[pos:pos + len(data)] = data
                    acked += 1
                    in_flight = None
                got = rig.bmc.recv(0.0)
    finally:
        rig.stop()
    print("kill test: %d kills, %d acknowledged pieces, in-flight piece found after the kill %d "
          "times and absent %d times, %d restarts on an invalid image"
          % (KILLS, acked, in_flight_present, in_flight_absent, invalid_restarts), flush=True)
    check(mismatches == 0, "after each of %d SIGKILLs satmcd served exactly the acknowledged "
          "pieces (plus or minus the one in flight) and fru0.bin held the same (%d differed)"
          % (KILLS, mismatches))
    check(invalid_restarts > 0, "restarts happened on images that do not parse (%d)"
          % invalid_restarts)
    check(selftest_bad == 0, "Get Self Test Results: 57 20 on an invalid image, 55 00 on a valid "
          "one (%d wrong)" % selftest_bad)


# ---- unflushed NBD writes and every other end of the process ----

def config_with_writable_fru0(tmp):
    text = open(CONFIG).read().replace("[fru.0]\n", "[fru.0]\nnbd-writable = yes\n", 1)
    path = os.path.join(tmp, "board-nbd.ini")
    open(path, "w").write(text)
    return path


class NbdWriter:
    """An nbdsh holding one connection: writes without FLUSH and stays connected (a clean
    disconnect flushes, which is not what is tested here) until close()."""

    CODE = ("import sys\n"
            "for line in sys.stdin:\n"
            "    off, hexdata = line.split()\n"
            "    h.pwrite(bytes.fromhex(hexdata), int(off))\n"
            "    print('written', flush=True)\n")

    def __init__(self, sock):
        env = dict(os.environ, PATH="/usr/bin:" + os.environ.get("PATH", ""))
        self.p = subprocess.Popen(["nbdsh", "-u", "nbd+unix:///fru0?socket=" + sock,
                                   "-c", self.CODE], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                                  env=env)

    def pwrite(self, off, data):
        self.p.stdin.write("%d %s\n" % (off, data.hex()))
        self.p.stdin.flush()
        return self.p.stdout.readline().strip() == "written"

    def close(self):
        try:
            self.p.stdin.close()
        except OSError:
            pass
        try:
            self.p.wait(30)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()


def unflushed_write(rig, backing, off, data, what):
    """An NBD write acknowledged, visible over IPMI, not yet in the backing file."""
    w = NbdWriter(rig.nbd_sock)
    ok = w.pwrite(off, data)
    f = transact(rig, STORAGE, READ_FRU, bytes([0, off & 0xFF, off >> 8, len(data)]))
    seen = f is not None and f[6] == 0 and f[8:8 + len(data)] == data
    check(ok and seen and open(backing, "rb").read()[off:off + len(data)] != data,
          "%s: NBD WRITE acknowledged, read back over IPMI, not yet on disk" % what)
    return w


def served(rig, off, n):
    f = transact(rig, STORAGE, READ_FRU, bytes([0, off & 0xFF, off >> 8, n]))
    return None if f is None or f[6] != 0 else f[8:8 + n]


def exit_paths(tmp):
    if not shutil.which("nbdsh"):
        skip("Cold Reset, SIGINT, SIGTERM, SIGHUP and fatal-exit persistence of unflushed NBD "
             "writes", "nbdsh (python3-libnbd) not installed")
        return
    state = os.path.join(tmp, "nbd-state")
    backing = os.path.join(state, "fru0.bin")
    config = config_with_writable_fru0(tmp)
    rig = Rig(config, satmcd_args=["--state-directory", state])
    try:
        # Cold Reset: answered, then satmcd re-executes itself (the same pid) from the files.
        w = unflushed_write(rig, backing, 100, b"cold-reset", "Cold Reset")
        pid = rig.satmcd.pid
        f = transact(rig, APP, COLD_RESET, b"")
        check(f is not None and f[6] == 0, "Cold Reset answered 0x00")
        rig.wait_notify("READY=1", 60 if SLOW else 10)
        w.close()
        check(rig.satmcd.pid == pid and rig.satmcd.poll() is None, "satmcd re-executed itself")
        check(served(rig, 100, 10) == b"cold-reset" and
              open(backing, "rb").read()[100:110] == b"cold-reset",
              "after Cold Reset the unflushed NBD write is served and on disk")

        # SIGHUP (a reload, nothing changed) then SIGKILL: the reload persisted first.
        w = unflushed_write(rig, backing, 120, b"sighup", "SIGHUP")
        before = rig.read_stderr().count("Reloaded ")
        rig.satmcd.send_signal(signal.SIGHUP)
        wait_for(lambda: rig.read_stderr().count("Reloaded ") > before, "the reload",
                 timeout=60 if SLOW else 10)
        rig.satmcd.send_signal(signal.SIGKILL)
        rig.satmcd.wait(30)
        w.close()
        rig.start_satmcd()
        check(served(rig, 120, 6) == b"sighup",
              "a SIGHUP reload persisted the unflushed NBD write (it survived a SIGKILL after)")

        for sig, name in ((signal.SIGINT, "SIGINT"), (signal.SIGTERM, "SIGTERM")):
            w = unflushed_write(rig, backing, 140, name.encode(), name)
            rig.satmcd.send_signal(sig)
            rc = rig.satmcd.wait(60)
            w.close()
            check(rc == 0 and open(backing, "rb").read()[140:140 + len(name)] == name.encode(),
                  "%s: exit 0 and the unflushed NBD write on disk" % name)
            rig.start_satmcd()
            check(served(rig, 140, len(name)) == name.encode(), "%s: served after the restart" % name)

        # A fatal exit: the bus goes away under satmcd.
        w = unflushed_write(rig, backing, 160, b"fatal", "fatal exit")
        rig.bus.kill()
        rig.bus.wait()
        rc = rig.satmcd.wait(60)
        w.close()
        check(rc != 0 and open(backing, "rb").read()[160:165] == b"fatal",
              "satmcd exits non-zero when the bus goes away, and the NBD write is on disk")
    finally:
        rig.stop()


def main():
    tmp = tempfile.mkdtemp(prefix="satmc-fru-kill-")
    state = os.path.join(tmp, "state")
    try:
        kill_test(state)
        exit_paths(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    finish()


if __name__ == "__main__":
    main()
