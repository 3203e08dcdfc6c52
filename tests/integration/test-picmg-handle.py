#!/usr/bin/env python3
"""PICMG handle switches end to end (docs/picmg.md, "Wiring a board"): satmcd with two managed
FRUs whose handle switches are GPIO inputs of tests/harness/satmc-hw-shim.c (LD_PRELOAD: the
lines are files in the test's directory, and writing one is an edge on it), board-picmg-handle.ini.
The test is the shelf manager at 0x20: it checks each FRU Hot Swap event byte for byte.

A bouncing close (five writes a few milliseconds apart, inside the 1 s debounce) gives one
M1 -> M2, cause 2 (handle switch), and only for the FRU whose line moved; Set FRU Activation
takes FRU 0 to M3; opening its handle then deactivates it (M3 -> M6, cause 2; M6 -> M1).
A write that leaves the level where it was, or one on the other FRU's line, moves nothing."""
import os, sys, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from satmc_testlib import (SLOW, Rig, answer_request, board_from_template,  # noqa: E402
                           check, finish, results, skip_all, wait_for)

SE, PICMG = 0x04, 0x2C
SENSOR = {0: 0xFE, 1: 0xFD}     # FRU Hot Swap sensors: the highest free numbers, FRU 0 first
LINE = {0: 17, 1: 18}
# How long an event that must come may take: a hang guard (the debounce is 1 s).
EVENT_WAIT = 30 if SLOW else 10


def hot_swap(fru, state, prev, cause):
    return bytes([0x04, 0xF0, SENSOR[fru], 0x6F, 0xA0 | state, cause << 4 | prev, fru])


class Handles:
    """The shim's chip gpiochip5, labelled "handle", which is how the configuration names it
    (satmcd finds it by label, libgpiod 2's back end by asking every chip): one file per line,
    the physical level (active low: 0 closed)."""

    def __init__(self, tmp):
        self.dir = os.path.join(tmp, "gpio", "gpiochip5")
        os.makedirs(self.dir)
        with open(os.path.join(self.dir, "label"), "w") as f:
            f.write("handle\n")

    def write(self, fru, physical):
        path = os.path.join(self.dir, str(LINE[fru]))
        with open(path + ".tmp", "w") as f:
            f.write("%d\n" % physical)
        os.rename(path + ".tmp", path)          # satmcd never reads half a write

    def close(self, fru):
        self.write(fru, 0)

    def open(self, fru):
        self.write(fru, 1)


class Events:
    """Platform Event Messages to the shelf manager at 0x20 (the rig's endpoint), each
    acknowledged as an event receiver does."""

    def __init__(self, rig):
        self.rig = rig

    def next(self, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.rig.requests:
                frame = self.rig.requests.pop(0)
            else:
                got = self.rig.bmc.recv(max(0.0, deadline - time.monotonic()))
                if got is None:
                    return None
                frame = bytes([got[0] << 1]) + bytes(got[1])
            if len(frame) < 8 or (frame[1] >> 2) & 1 or frame[5] != 0x02:
                continue
            answer_request(self.rig.bmc, frame)
            return bytes(frame[6:-1])
        return None

    def take(self, n):
        """The next n distinct events (a retry repeats the bytes of the one before)."""
        got = []
        while len(got) < n:
            ev = self.next(EVENT_WAIT)
            if ev is None:
                break
            if not got or ev != got[-1]:
                got.append(ev)
        return got

    def none(self, wait):
        ev = self.next(wait)
        return ev is None


def state_of(rig, fru):
    rsp = rig.transact(SE, 0x2D, bytes([SENSOR[fru]]), timeout=3)
    if not rsp or rsp[6] != 0:
        return None
    bits = rsp[9]
    return bits.bit_length() - 1 if bits and bits & (bits - 1) == 0 else None


def main():
    shim = os.environ.get("SATMC_HW_SHIM")
    if not shim or not os.path.exists(shim):
        skip_all("the hardware shim was not built")
    tmp, config = board_from_template("board-picmg-handle.ini", "satmc-picmg-handle-")
    handles = Handles(tmp)
    handles.open(0)
    handles.open(1)
    asan = os.environ.get("ASAN_OPTIONS", "")
    env = {"LD_PRELOAD": shim, "SATMC_HW_SHIM_DIR": tmp,
           "ASAN_OPTIONS": (asan + ":" if asan else "") + "verify_asan_link_order=0"}
    rig = Rig(config, satmcd_args=["--state-directory", os.path.join(tmp, "state")], env=env)
    ev = Events(rig)
    try:
        got = ev.take(2)
        check(got == [hot_swap(0, 1, 0, 0), hot_swap(1, 1, 0, 0)],
              "at start, both handles open: each FRU M0 -> M1 and no further (%s)" %
              [g.hex(" ") for g in got])
        wait_for(lambda: "FRU 0: handle switch (handle line 17) is open." in rig.read_stderr(),
                 "satmcd's log of FRU 0's handle")
        check(True, "satmcd read FRU 0's handle at start: open")

        # A bouncing close of FRU 0's handle: five edges, a few ms apart, then closed.
        for level in (0, 1, 0, 1, 0):
            handles.write(0, level)
            time.sleep(0.005)
        got = ev.take(1)
        check(got == [hot_swap(0, 2, 1, 2)],
              "a bouncing close: one M1 -> M2, cause 2 (handle switch) (%s)" %
              [g.hex(" ") for g in got])
        check(ev.none(1.5), "and nothing more: not one event per bounce, none for FRU 1")
        check(state_of(rig, 0) == 2 and state_of(rig, 1) == 1,
              "FRU 0 reads M2, FRU 1 still M1")

        # A write that leaves the level where it is: an edge to the shim, no move to satmcd.
        handles.close(0)
        check(ev.none(1.5) and state_of(rig, 0) == 2, "closed again while closed: nothing")

        rsp = rig.transact(PICMG, 0x0C, bytes([0, 0, 1]), timeout=3)
        got = ev.take(1)
        check(rsp is not None and rsp[6] == 0 and got == [hot_swap(0, 3, 2, 1)],
              "Set FRU Activation: M2 -> M3, cause 1 (%s)" % [g.hex(" ") for g in got])

        # Opening the handle in M3 asks for deactivation: M6 (cause 2), then M1 at once.
        handles.open(0)
        got = ev.take(2)
        check(got == [hot_swap(0, 6, 3, 2), hot_swap(0, 1, 6, 0)],
              "handle opened in M3: M3 -> M6 (cause 2), M6 -> M1 (%s)" %
              [g.hex(" ") for g in got])

        # FRU 1's own line moves FRU 1 alone.
        handles.close(1)
        got = ev.take(1)
        check(got == [hot_swap(1, 2, 1, 2)] and state_of(rig, 0) == 1,
              "FRU 1's handle closed: FRU 1 M1 -> M2, FRU 0 stays in M1 (%s)" %
              [g.hex(" ") for g in got])
    finally:
        rc = rig.stop()
        check(rc == 0, "satmcd exits 0 on SIGTERM (%s)" % rc)
        if results["failed"]:
            print("satmcd's log:\n" + rig.read_stderr())
    finish()


if __name__ == "__main__":
    main()
