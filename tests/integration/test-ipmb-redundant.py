#!/usr/bin/env python3
"""Redundant IPMB-0 end to end: satmcd on two emulated buses (IPMB-A, the rig's, and IPMB-B,
started here), the test being the shelf manager at 0x20 on both.

Checks that a request is answered on the bus it came on, that a retry of a request on the other
bus is answered from the replay cache (not run twice) on the bus of the retry, the IPMB-0 link
sensor (F1h) reading, Set IPMB State's completion codes; then breaks IPMB-A in the middle of a
stream of requests and events (every write on it NAKed): every request sent on IPMB-B is
answered, every event arrives exactly once on IPMB-B, the link sensor reports IPMB-A disabled
byte for byte, and the counters agree. Then Set IPMB State isolates IPMB-A (its frames are
refused), enables it again, a lost event try on IPMB-B (dropped, unanswered) moves its
retry to IPMB-A, and when IPMB-A's bus goes away altogether satmcd serves on IPMB-B alone."""
import os, shutil, signal, subprocess, sys, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from satmc_testlib import (Rig, answer_request, board_from_template, check,  # noqa: E402
                           emubus, finish, ipmitool, skip, wait_for)

SLOW = bool(os.environ.get("SATMCD_WRAPPER"))   # satmcd under valgrind
WAIT = 10.0 if SLOW else 3.0            # how long an answer or event that must come may take
QUIET = 1.0 if SLOW else 0.4            # how long we listen to be sure none comes
APP, SE, PICMG = 0x06, 0x04, 0x2C
SAT, SHMC = 0x72, 0x20                  # 8-bit: satmcd, the shelf manager
LINK = 0xF1                             # board-redundant.ini's link-sensor-number
SET_IPMB_STATE = 0x09


def link_event(offset, data3):
    """The IPMB-0 sensor's Platform Event Message body: EvMRev, type F1h, number, 6Fh, event
    data 1 (OEM codes in 2 and 3, the state offset), channel 0, override/local status."""
    return bytes([0x04, 0xF1, LINK, 0x6F, 0xA0 | offset, 0x00, data3])


class Side:
    """The shelf manager's endpoint on one bus: requests out, responses in, and satmcd's event
    requests kept apart and acknowledged at once, as an event receiver does."""

    def __init__(self, name, ep):
        self.name, self.ep, self.seq, self.events = name, ep, 0, []

    def pump(self, timeout):
        """Take one frame off the bus: responses returned, requests (events) kept."""
        got = self.ep.recv(timeout)
        if got is None:
            return None
        frame = bytes([got[0] << 1]) + bytes(got[1])
        if len(frame) >= 2 and not (frame[1] >> 2) & 1:
            self.events.append(frame)
            self.ack(frame)
            return "event"
        return frame

    def send(self, netfn, cmd, data=b"", seq=None):
        """Write a request; the frame, or None when the bus did not ACK it."""
        if seq is None:
            self.seq = (self.seq + 1) & 0x3F
            seq = self.seq
        frame = emubus.ipmb_request(SAT, netfn, cmd, seq, data)
        return frame if self.ep.write(SAT >> 1, frame[1:]) else None

    def response(self, timeout=WAIT):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            got = self.pump(max(0.0, deadline - time.monotonic()))
            if got is None:
                return None
            if got != "event":
                return got
        return None

    def transact(self, netfn, cmd, data=b"", seq=None, timeout=WAIT):
        frame = self.send(netfn, cmd, data, seq)
        return (frame, self.response(timeout)) if frame else (None, None)

    def event(self, timeout=WAIT):
        """The next event request satmcd sent on this bus (whole frame), or None."""
        deadline = time.monotonic() + timeout
        while not self.events and time.monotonic() < deadline:
            self.pump(max(0.0, deadline - time.monotonic()))
        return self.events.pop(0) if self.events else None

    def ack(self, frame):
        """Answer an event request with cc 0, as an event receiver does."""
        return answer_request(self.ep, frame)


def body(frame):
    return bytes(frame[6:-1])


def set_presence(tmp, value):
    path = os.path.join(tmp, "psu_present")
    with open(path + ".new", "w") as f:
        f.write("%d\n" % value)
    os.rename(path + ".new", path)


def main():
    tmp, config = board_from_template("board-redundant.ini", "satmc-ipmb-b-")
    set_presence(tmp, 1)
    sock_b = os.path.join(tmp, "bus-b.sock")
    bus_b = subprocess.Popen([os.environ["SATMC_I2C_BUS"], "--socket", sock_b,
                              "--pcap", os.path.join(tmp, "bus-b.pcap")])
    rig = None
    try:
        wait_for(lambda: os.path.exists(sock_b), "IPMB-B socket")
        rig = Rig(config)
        a = Side("IPMB-A", rig.bmc)
        b = Side("IPMB-B", emubus.Endpoint(sock_b, [SHMC >> 1]))
        run(rig, tmp, a, b)
    finally:
        if rig:
            check(rig.stop() == 0, "satmcd exits 0 on SIGTERM")
        bus_b.send_signal(signal.SIGTERM)
        try:
            bus_b.wait(10)
        except subprocess.TimeoutExpired:
            bus_b.kill()
    finish()


def run(rig, tmp, a, b):
    # Events only now that the shelf manager listens on both buses: the presence sensor's
    # state, on the preferred bus, IPMB-A.
    _, rsp = a.transact(SE, 0x00, bytes([SHMC, 0]))
    check(rsp is not None and rsp[6] == 0, "Set Event Receiver 0x20 on IPMB-A")
    # It re-arms every sensor: the presence sensor's asserted state (from the sensor thread's
    # next reading), and at once satmcd's own: FRU 0's hot-swap state (M2, from M1 at start,
    # cause 0) and the IPMB-0 link sensor's.
    got = [body(ev) for ev in (a.event(), a.event(), a.event()) if ev is not None]
    check(bytes([0x04, 0x25, 0x01, 0x6F, 0x00]) in got, "'present' asserted, sent on IPMB-A")
    check(len(got) == 3 and bytes([0x04, 0xF0, 0xFE, 0x6F, 0xA2, 0x01, 0x00]) in got and
          link_event(3, 0x88) in got,
          "satmcd's own sensors too: FRU 0 in M2, both IPMB-0 buses enabled (%s)" %
          [g.hex() for g in got])

    # 1. Each bus is answered on itself.
    _, rsp = a.transact(APP, 0x01)
    check(rsp is not None and rsp[6] == 0x00, "Get Device ID on IPMB-A answered on IPMB-A")
    before = rig.counters()
    _, rsp = b.transact(APP, 0x01)
    check(rsp is not None and rsp[6] == 0x00, "Get Device ID on IPMB-B answered on IPMB-B")
    check(a.response(QUIET) is None, "... and not on IPMB-A")
    c = rig.counters()
    got = (c["ipmb-b-frames-received"] - before["ipmb-b-frames-received"],
           c["ipmb-b-responses-sent"] - before["ipmb-b-responses-sent"])
    check(got == (1, 1), "counters: one frame in and one answer out on IPMB-B (%s/%s)" % got)

    # 2. A retry on the other bus (same bytes, same seq) is the same request: replayed, on the
    # bus of the retry.
    frame, rsp_a = a.transact(APP, 0x01, seq=40)
    before = rig.counters()
    frame_b, rsp_b = b.transact(APP, 0x01, seq=40)
    after = rig.counters()
    check(frame == frame_b and rsp_a is not None and rsp_a == rsp_b,
          "a retry on IPMB-B of a request answered on IPMB-A gets the same answer, on IPMB-B")
    check(after["responses-replayed"] == before["responses-replayed"] + 1 and
          after["requests-handled"] == before["requests-handled"],
          "... from the replay cache: not run a second time")

    # 3. The IPMB-0 sensor: both buses enabled (offset 3).
    _, rsp = b.transact(SE, 0x2D, bytes([LINK]))
    check(rsp is not None and rsp[6] == 0 and rsp[9:11] == bytes([0x08, 0x80]),
          "IPMB-0 link sensor reads 'IPMB-A enabled, IPMB-B enabled' (%s)" %
          (rsp[6:-1].hex() if rsp else None))

    # Stock ipmitool (on satmcd's local socket) finds the sensor in the SDRs and decodes it.
    if shutil.which("ipmitool"):
        out = ipmitool(rig.ipmitool_sock, "sdr", "elist", "all")
        row = [l for l in out.stdout.splitlines() if l.startswith("IPMB-0 link")]
        check(len(row) == 1 and "IPMB-A enabled, IPMB-B enabled" in row[0] and
              "f1h" in row[0].lower(), "ipmitool sdr elist: %s" % (row or out.stdout + out.stderr))
    else:
        skip("ipmitool sdr elist shows the IPMB-0 link sensor", "no ipmitool")

    # 4. Set IPMB State's refusals change nothing.
    for data, cc, what in ((b"\x01\xff\xff", 0xCC, "PICMG identifier not 00h"),
                           (b"\x00\x02\xff", 0xCC, "link ID 1 on a bused IPMB-0"),
                           (b"\x00\x00\x04", 0xCC, "a bad IPMB-B byte with a good IPMB-A one"),
                           (b"\x00\xff", 0xC7, "one byte short")):
        _, rsp = b.transact(PICMG, SET_IPMB_STATE, data)
        check(rsp is not None and rsp[6] == cc, "Set IPMB State, %s: 0x%02x" % (what, cc))
    _, rsp = a.transact(APP, 0x01)
    check(rsp is not None and rsp[6] == 0, "IPMB-A still answers after the refused requests")

    # 5. IPMB-A breaks in the middle of a stream of requests and events: every write on it is
    # NAKed (satmcd's events and our requests alike).
    before = rig.counters()
    answered, sent = 0, 0
    for i in range(10):
        if i == 4:
            a.ep.fault("nak")
            set_presence(tmp, 0)        # an event, now, while IPMB-A is broken
        side = a if i < 4 else b
        _, rsp = side.transact(APP, 0x01)
        sent += 1
        answered += rsp is not None and rsp[6] == 0
    check(answered == sent, "every request answered: %d of %d (4 on IPMB-A, then 6 on IPMB-B)" %
          (answered, sent))
    # The NAK of the first try on IPMB-A is synchronous: the link sensor's event is queued
    # while the presence sensor queues its two, between them.
    want = [bytes([0x04, 0x25, 0x01, 0xEF, 0x00]), link_event(2, 0x8F),
            bytes([0x04, 0x25, 0x01, 0x6F, 0x01])]
    deadline = time.monotonic() + 2 * WAIT
    while len(set(b.events)) < len(want) and time.monotonic() < deadline:
        b.pump(0.1)
    b.pump(QUIET)                       # anything more that would come
    got = b.events[:]
    b.events.clear()
    # A try whose answer came late is re-sent with the same bytes (and seq): a receiver takes
    # such a copy as the same event. Distinct frames are distinct events.
    distinct = list(dict.fromkeys(got))
    check([body(e) for e in distinct] == want,
          "events on IPMB-B, in order, byte for byte: present deasserted, the IPMB-0 sensor's "
          "'IPMB-A disabled, IPMB-B enabled' with IPMB-A failing (undiagnosed), both in local "
          "control, absent asserted (%s)" % [body(e).hex() for e in got])
    check(not a.events, "no event got through on the broken IPMB-A")
    after = rig.counters()
    check(after["ipmb-failovers"] >= before["ipmb-failovers"] + 1, "counters: a failover")
    check(after["events-sent"] - before["events-sent"] == len(distinct),
          "counters: %d events delivered once each (events-sent +%d)" %
          (len(distinct), after["events-sent"] - before["events-sent"]))
    check(after["ipmb-b-requests-sent"] - before["ipmb-b-requests-sent"] == len(got),
          "counters: every try ACKed on IPMB-B arrived there (%d, ipmb-b-requests-sent +%d)" %
          (len(got), after["ipmb-b-requests-sent"] - before["ipmb-b-requests-sent"]))
    _, rsp = b.transact(SE, 0x2D, bytes([LINK]))
    check(rsp is not None and rsp[9] == 0x04, "IPMB-0 sensor reads offset 2 (IPMB-A disabled)")
    if shutil.which("ipmitool"):
        out = ipmitool(rig.ipmitool_sock, "sdr", "elist", "all")
        check("IPMB-A disabled, IPMB-B enabled" in out.stdout,
              "ipmitool sdr elist: IPMB-A disabled, IPMB-B enabled")

    # 6. Set IPMB State isolates IPMB-A: its frames are refused even once it works again.
    _, rsp = b.transact(PICMG, SET_IPMB_STATE, b"\x00\x00\xff")
    check(rsp is not None and rsp[6:8] == b"\x00\x00", "Set IPMB State: isolate IPMB-A, cc 0")
    a.ep.fault("clear")
    before = rig.counters()
    _, rsp = a.transact(APP, 0x01, timeout=QUIET)
    check(rsp is None, "an isolated IPMB-A is not answered")
    wait_for(lambda: rig.counters()["rejected-isolated"] == before["rejected-isolated"] + 1,
             "rejected-isolated")
    check(True, "counters: rejected-isolated +1")
    _, rsp = b.transact(PICMG, SET_IPMB_STATE, b"\x00\x01\xff")
    check(rsp is not None and rsp[6:8] == b"\x00\x00", "Set IPMB State: enable IPMB-A, cc 0")
    _, rsp = a.transact(APP, 0x01)
    check(rsp is not None and rsp[6] == 0, "IPMB-A answers again")
    ev = b.event()
    check(ev is not None and body(ev) == link_event(3, 0x88),
          "IPMB-0 sensor event on IPMB-B (the preference sticks): both enabled, %s" %
          link_event(3, 0x88).hex())

    # 6b. The IPMB-0 sensor answers the sensor event commands like every other sensor: with
    # its event messages off, isolating IPMB-A again sends nothing; Re-arm sends the state now.
    _, rsp = b.transact(SE, 0x28, bytes([LINK, 0x40]))
    check(rsp is not None and rsp[6] == 0, "Set Sensor Event Enable: IPMB-0 sensor events off")
    _, rsp = b.transact(SE, 0x29, bytes([LINK]))
    check(rsp is not None and rsp[6:12] == bytes([0, 0x40, 0x0F, 0, 0, 0]),
          "Get Sensor Event Enable: events off, scanning on, offsets 0..3 (%s)" %
          (rsp[6:-1].hex() if rsp else None))
    _, rsp = b.transact(PICMG, SET_IPMB_STATE, b"\x00\x00\xff")
    check(rsp is not None and rsp[6] == 0 and b.event(QUIET) is None,
          "IPMB-A isolated with the sensor's events off: no IPMB-0 sensor event")
    _, rsp = b.transact(SE, 0x2B, bytes([LINK]))
    check(rsp is not None and rsp[6:12] == bytes([0, 0x40, 0x04, 0, 0, 0]),
          "Get Sensor Event Status: offset 2 (IPMB-A disabled) asserted (%s)" %
          (rsp[6:-1].hex() if rsp else None))
    _, rsp = b.transact(SE, 0x28, bytes([LINK, 0xC0]))
    _, rsp2 = b.transact(SE, 0x2A, bytes([LINK, 0x00]))
    ev = b.event()
    check(rsp and rsp[6] == 0 and rsp2 and rsp2[6] == 0 and ev is not None and
          body(ev) == link_event(2, 0x80),
          "events on, Re-arm Sensor Events: the state now as an event, IPMB-A isolated by "
          "override (%s)" % (body(ev).hex() if ev else None))
    _, rsp = b.transact(PICMG, SET_IPMB_STATE, b"\x00\x01\xff")
    ev = b.event()
    check(rsp is not None and rsp[6] == 0 and ev is not None and body(ev) == link_event(3, 0x88),
          "IPMB-A enabled again with events on: its event as before")

    # 7. A try lost on IPMB-B (ACKed, never delivered: no answer) moves the retry to IPMB-A.
    before = rig.counters()
    b.ep.fault("drop@0x10:n=1")
    set_presence(tmp, 1)
    ev = a.event(WAIT + 1.0)
    check(ev is not None and body(ev) == bytes([0x04, 0x25, 0x01, 0xEF, 0x01]),
          "an event whose try on IPMB-B went unanswered is retried on IPMB-A (absent "
          "deasserted)")
    wait_for(lambda: rig.counters()["events-sent"] >= before["events-sent"] + 1, "events-sent")
    after = rig.counters()
    check(after["ipmb-failovers"] >= before["ipmb-failovers"] + 1 and
          after["events-retried"] >= before["events-retried"] + 1,
          "counters: a failover on a timeout, a retry")

    # 7b. The bus an activation's event is on breaks under it (issue 16 item 4). The shelf
    # manager activates FRU 0; the M2->M3 event arrives on one bus (satmcd's preferred one) and
    # that bus breaks before the event is answered: every write on it is NAKed from then on,
    # our answer included. The shelf manager deactivates the FRU on the other bus. Every
    # transition arrives, once, in order, on the bus that is up (the unanswered try is retried
    # there, same bytes and seq); the FRU ends where the shelf manager put it.
    def hot_swap(state, prev, cause):
        return bytes([0x04, 0xF0, 0xFE, 0x6F, 0xA0 | state, cause << 4 | prev, 0x00])

    def unanswered_hot_swap_event(timeout):
        """The first FRU Hot Swap event on either bus, not answered: (side, frame). Other
        events are answered as usual, responses dropped."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for side in (a, b):
                got = side.ep.recv(0.05)
                if got is None:
                    continue
                frame = bytes([got[0] << 1]) + bytes(got[1])
                if len(frame) < 8 or (frame[1] >> 2) & 1:
                    continue
                if body(frame)[1] == 0xF0:
                    return side, frame
                side.events.append(frame)
                side.ack(frame)
        return None, None

    a.events.clear()
    b.events.clear()
    before = rig.counters()
    check(a.send(PICMG, 0x0C, bytes([0, 0, 1])) is not None,
          "Set FRU Activation (activate) sent on IPMB-A")
    broken, first = unanswered_hot_swap_event(WAIT)
    check(first is not None and body(first) == hot_swap(3, 2, 1),
          "the M2->M3 event arrives (on %s); that bus breaks before it is answered" %
          (broken.name if broken else None))
    if broken is None:
        return
    up = b if broken is a else a
    broken.ep.fault("nak")
    broken.events.clear()
    _, rsp = up.transact(PICMG, 0x0C, bytes([0, 0, 0]))
    check(rsp is not None and rsp[6:8] == b"\x00\x00",
          "Set FRU Activation (deactivate) on %s while %s is broken" % (up.name, broken.name))
    want = [hot_swap(3, 2, 1), hot_swap(6, 3, 1), hot_swap(1, 6, 0)]
    deadline = time.monotonic() + 3 * WAIT
    while time.monotonic() < deadline and \
            len({body(f) for f in up.events if body(f)[1] == 0xF0}) < len(want):
        up.pump(0.1)
    up.pump(QUIET)                      # a late copy of a try, if any
    retried = [f for f in up.events if body(f)[1] == 0xF0]
    distinct = list(dict.fromkeys([first] + retried))
    check([body(f) for f in distinct] == want,
          "M2->M3 (retried on %s, same seq), M3->M6, M6->M1: each once, in order (%s)" %
          (up.name, [body(f).hex() for f in [first] + retried]))
    check(first in retried, "the unanswered try's retry on %s is the same frame (seq %d)" %
          (up.name, first[4] >> 2))
    check(not [f for f in broken.events if body(f)[1] == 0xF0],
          "nothing more on the broken %s" % broken.name)
    _, rsp = up.transact(SE, 0x2D, bytes([0xFE]))
    check(rsp is not None and rsp[6] == 0 and rsp[9] == 0x02,
          "FRU 0 reads M1, as the shelf manager left it (%s)" %
          (rsp[6:-1].hex() if rsp else None))
    after = rig.counters()
    check(after["events-dropped"] == before["events-dropped"] and
          after["ipmb-failovers"] > before["ipmb-failovers"],
          "counters: a failover, no event dropped")
    broken.ep.fault("clear")
    _, rsp = broken.transact(APP, 0x01)
    check(rsp is not None and rsp[6] == 0, "%s answers again once it works" % broken.name)
    a.events.clear()
    b.events.clear()

    # 8. IPMB-A goes away altogether (its bus process dies, the socket closes): satmcd keeps
    # serving on IPMB-B and says so with the link sensor (IPMB-A: local control, failed).
    _, rsp = b.transact(APP, 0x01)
    check(rsp is not None and rsp[6] == 0, "IPMB-B answers before IPMB-A goes away")
    rig.bus.kill()
    rig.bus.wait(10)
    # Link events of the steps before may still be on their way (each state change is one,
    # sent in order); the one that says IPMB-A is gone must come.
    seen, deadline = [], time.monotonic() + 2 * WAIT
    while time.monotonic() < deadline and link_event(2, 0x8F) not in seen:
        ev = b.event(max(0.0, deadline - time.monotonic()))
        if ev is None:
            break
        seen.append(body(ev))
    check(link_event(2, 0x8F) in seen,
          "IPMB-A's socket closed: IPMB-0 sensor event on IPMB-B, %s (%s)" %
          (link_event(2, 0x8F).hex(), [e.hex() for e in seen]))
    _, rsp = b.transact(APP, 0x01)
    check(rsp is not None and rsp[6] == 0 and rig.satmcd.poll() is None,
          "satmcd still runs and answers on IPMB-B")


if __name__ == "__main__":
    main()
