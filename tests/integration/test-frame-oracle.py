#!/usr/bin/env python3
"""Hostile frames against the real satmcd on the emulated bus, each one judged by an oracle.

Every frame sent is first run through a model written here from the IPMB rules and satmcd's
documented behaviour (docs/architecture.md, "One request, from the wire to the response"), not
from satmcd's code: the model says whether satmcd must stay silent (and which counter the drop
goes to) or answer, and if it answers, the exact header (to rqSA, netFn + 1 with rqLUN, from
our address, seq with rsLUN, cmd), both checksums and the completion code — 0xC1 for a command
not in `satmcd --list-commands`, 0xC2 for a listed one on a non-zero LUN, 0xC7 for a data length
outside the listed range, 0x00 for the side-effect-free commands the generator lets through —
and that a retry within the replay cache (16 answers deep, docs: response-cache.h) gets the very
bytes of the first answer. Answers to requesters nobody owns are NAKed by the bus and must show
in the capture as such, with send-failed counted.

The frames: good requests, truncations, single bit flips, a bad chk1 or chk2 alone, broadcasts
(general call) to us and to someone else, broadcasts of other commands, odd, reserved and our own
rqSA (bug 8: never executed, never answered), every netFn on every LUN (all 256 pairs, first),
data lengths off the table, over-long frames (the limit and past the receive buffer), response
frames sent to us, retries of the frame just sent, and random bytes. They go in bursts; each
burst ends with a good Get Device ID whose answer proves satmcd alive and, since one requester's
frames are handled in order, that every answer due before it has arrived: silence is proven by
order, not by waiting.
At the end satmcd's counters must equal the model's, reason by reason.

Seeded: SATMC_ORACLE_SEED replays a run (the seed is printed). Counts, not time: a few thousand
frames by default, SATMC_SOAK=1 sends 500,000 (SATMC_ORACLE_FRAMES sets any number)."""
import os, random, struct, subprocess, sys, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from satmc_testlib import Rig, check, finish, emubus, wait_for  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
CONFIG = os.path.join(HERE, "board-test.ini")   # address 0x72, 32-byte messages, 5 s window
SOAK = os.environ.get("SATMC_SOAK", "") not in ("", "0")
FRAMES = int(os.environ.get("SATMC_ORACLE_FRAMES", 500000 if SOAK else 4000))
SEED = int(os.environ.get("SATMC_ORACLE_SEED", random.SystemRandom().randrange(1 << 32)))
SLOW = bool(os.environ.get("SATMCD_WRAPPER"))   # satmcd under valgrind
ANSWER_WAIT = 30.0 if SLOW else 10.0            # how long an answer that must come may take
BURST_MAX = 48
COUNTERS_EVERY = 200                            # bursts between counter comparisons

OWN = 0x72                      # satmcd, 8-bit (board-test.ini)
MAX_MSG = 32                    # max-message-length (board-test.ini)
RECV_MAX = 129                  # satmcd's receive buffer: 128 (ipmb-dev-int) + a broadcast byte
CACHE_SLOTS = 16                # the replay cache keeps the last 16 answers ...
CACHE_SURE = 1.0                # ... for 5 s (board-test.ini); a repeat sent within 1 s of its
                                # original is a sure replay, one sent later is never generated
BMC = 0x20
OWNED = (0x20, 0x10, 0x22, 0x82, 0xEE)          # requesters this test answers for (8-bit)
ABSENT = (0x30, 0xC4)           # IPMB nodes nobody attached: answers to them are NAKed
APP, SENSOR_EVENT = 0x06, 0x04
GET_DEVICE_ID, COLD_RESET, WARM_RESET = 0x01, 0x02, 0x03
CC_OK, CC_INVALID_COMMAND, CC_INVALID_FOR_LUN, CC_BAD_LENGTH = 0x00, 0xC1, 0xC2, 0xC7

# Commands whose answer is cc 0x00 with no side effect the model cannot follow, when sent with
# a listed length on LUN 0; "stable" ones answer the same data every time. Every other listed
# command is only ever sent where the dispatcher refuses it before its handler (LUN, length).
SAFE = {(APP, 0x01): "stable", (APP, 0x04): "stable", (APP, 0x08): "stable",
        (APP, 0x37): "stable", (SENSOR_EVENT, 0x01): "stable",
        (SENSOR_EVENT, 0x20): "varies", (SENSOR_EVENT, 0x22): "varies", (0x0A, 0x20): "varies",
        (0x0A, 0x22): "varies", (APP, WARM_RESET): "warm-reset"}

DROP_REASONS = ("rejected-oversize", "rejected-short", "rejected-long",
                "rejected-header-checksum", "rejected-data-checksum", "rejected-not-for-us",
                "rejected-not-a-request", "rejected-broadcast", "rejected-requester",
                "responses-unmatched")
COUNTED = DROP_REASONS + ("frames-received", "requests-handled", "responses-sent",
                          "responses-replayed", "send-failed", "answered-invalid-command",
                          "answered-invalid-length", "answered-error")


def cks(b):
    return -sum(b) & 0xFF


def is_node(sa):
    """An IPMB node's address: a 7-bit I2C address shifted left (bit 0 clear), outside the I2C
    reserved 7-bit 0x00-0x07 and 0x78-0x7F (UM10204 table 4): 8-bit 0x10..0xEE, even."""
    return sa & 1 == 0 and 0x10 <= sa <= 0xEE


def list_commands():
    """{(netfn, cmd): (min_len, max_len)} from `satmcd --list-commands`."""
    out = subprocess.run([os.environ["SATMCD"], "--list-commands"], capture_output=True,
                         text=True, check=True).stdout
    table = {}
    for line in out.splitlines():
        f = line.split()
        if len(f) < 4 or not f[0].startswith("0x"):
            continue
        lo, _, hi = f[3].partition("-")
        table[int(f[0], 16), int(f[2], 16)] = (int(lo), int(hi or lo))
    return table


def request(rs_sa, netfn, cmd, seq, data=b"", rq_sa=BMC, rs_lun=0, rq_lun=0):
    head = bytes([rs_sa, netfn << 2 | rs_lun])
    body = bytes([rq_sa, seq << 2 | rq_lun, cmd]) + bytes(data)
    return head + bytes([cks(head)]) + body + bytes([cks(body)])


class Verdict:
    """What satmcd must do with one frame: drop it (counted as reason), or answer: with the
    header and cc head (error answers carry no data), its cache entry filled in once the answer
    is seen; or with the very bytes of the earlier answer in replay_of."""

    def __init__(self, reason=None, head=None, entry=None, replay_of=None, cmd=None):
        self.reason, self.head, self.entry, self.replay_of, self.cmd = \
            reason, head, entry, replay_of, cmd


class Model:
    """satmcd as the documents describe it: decode, requester, broadcast, replay, dispatch."""

    def __init__(self, table):
        self.table = table
        self.cache = []                 # [[request frame, answer frame, sent at]], oldest first
        self.counters = {k: 0 for k in COUNTED}

    def decode(self, frame):
        """The reason a frame is not a request to execute, or None; frame as satmcd receives
        it: the 8-bit address it was written to (ours, or 0x00 for a general call) first."""
        if len(frame) > RECV_MAX:
            return "rejected-oversize"
        bcast = frame[0] == 0x00
        f = frame[1:] if bcast else frame
        if len(f) < 7:
            return "rejected-short"
        if len(f) > MAX_MSG:
            return "rejected-long"
        if cks(f[:2]) != f[2]:
            return "rejected-header-checksum"
        if f[0] != OWN:
            return "rejected-not-for-us"
        if cks(f[3:-1]) != f[-1]:
            return "rejected-data-checksum"
        if (f[1] >> 2) & 1:
            # A response (odd netFn): for the event sender, which has asked nothing (no sensors
            # here), unless it is too short to be one or came as a broadcast.
            return "responses-unmatched" if not bcast and len(f) >= 8 else "rejected-not-a-request"
        if not is_node(f[3]) or f[3] == OWN:
            return "rejected-requester"
        if bcast and (f[1] >> 2, f[5]) != (APP, GET_DEVICE_ID):
            return "rejected-broadcast"
        return None

    def cached(self, frame):
        """The cache entry an identical earlier request left, or None."""
        for e in self.cache:
            if e[0] == frame:
                return e
        return None

    def unpredictable(self, frame):
        """True for a frame whose fate the model cannot tell: one that would run a handler the
        model does not follow, or repeat a request so long after it that the replay cache
        window (time, not count) decides."""
        if self.decode(frame):
            return False
        hit = self.cached(frame)
        if hit:
            return time.monotonic() - hit[2] > CACHE_SURE
        f = frame[1:] if frame[0] == 0x00 else frame
        key, lun, dlen = (f[1] >> 2, f[5]), f[1] & 3, len(f) - 7
        lim = self.table.get(key)
        return bool(lim and lun == 0 and lim[0] <= dlen <= lim[1] and key not in SAFE)

    def predict(self, frame):
        """The Verdict for frame, and the model's state moved past it."""
        reason = self.decode(frame)
        if reason != "rejected-oversize":
            self.counters["frames-received"] += 1
        if reason:
            self.counters[reason] += 1
            return Verdict(reason=reason)
        f = frame[1:] if frame[0] == 0x00 else frame
        rq_sa = f[3]
        hit = self.cached(frame)
        if hit:
            self.counters["responses-replayed"] += 1
            self.counters["responses-sent" if rq_sa in OWNED else "send-failed"] += 1
            return Verdict(replay_of=hit, cmd=(f[1] >> 2, f[5]))
        self.counters["requests-handled"] += 1
        netfn, lun, seq, rq_lun, cmd = f[1] >> 2, f[1] & 3, f[4] >> 2, f[4] & 3, f[5]
        lim = self.table.get((netfn, cmd))
        dlen = len(f) - 7
        if lim and lun != 0:
            cc = CC_INVALID_FOR_LUN
            self.counters["answered-invalid-command"] += 1
        elif not lim:
            cc = CC_INVALID_COMMAND
            self.counters["answered-invalid-command"] += 1
        elif not lim[0] <= dlen <= lim[1]:
            cc = CC_BAD_LENGTH
            self.counters["answered-invalid-length"] += 1
        else:
            assert (netfn, cmd) in SAFE, "generator let through %s" % frame.hex()
            cc = CC_OK
        h = bytes([rq_sa, (netfn + 1) << 2 | rq_lun])
        head = h + bytes([cks(h), OWN, seq << 2 | lun, cmd, cc])
        self.counters["responses-sent" if rq_sa in OWNED else "send-failed"] += 1
        # Every answer sent (or NAKed) is kept, its bytes filled in when they are seen.
        entry = [frame, None, time.monotonic()]
        self.cache.append(entry)
        del self.cache[:-CACHE_SLOTS]
        if (netfn, cmd) == (APP, WARM_RESET) and cc == CC_OK:
            self.cache.clear()          # Warm Reset drops volatile protocol state, after
        return Verdict(head=head, entry=entry, cmd=(netfn, cmd))


class Generator:
    """Hostile and good frames, as (8-bit address written to, frame satmcd receives)."""

    def __init__(self, rng, model):
        self.rng, self.model = rng, model
        self.listed = sorted(model.table)
        self.safe = sorted(k for k in SAFE if k in model.table)
        self.prev = None
        self.kinds = [
            (10, self.good), (6, self.unknown_command), (6, self.wrong_lun), (6, self.bad_length),
            (8, self.bad_requester), (6, self.truncated), (8, self.bit_flip), (3, self.bad_chk1),
            (3, self.bad_chk2), (4, self.broadcast), (3, self.wrong_destination),
            (4, self.over_long), (4, self.response), (8, self.retry), (8, self.random_bytes),
        ]
        self.total = sum(w for w, _ in self.kinds)

    def rq(self):
        r = self.rng.random()
        return self.rng.choice(OWNED) if r < 0.9 else self.rng.choice(ABSENT)

    def seq(self):
        return self.rng.randrange(64)

    def data(self, n):
        return bytes(self.rng.randrange(256) for _ in range(n))

    def safe_request(self, bcast=False):
        netfn, cmd = (APP, GET_DEVICE_ID) if bcast else self.rng.choice(self.safe)
        lo, hi = self.model.table[netfn, cmd]
        f = request(OWN, netfn, cmd, self.seq(), self.data(self.rng.randint(lo, hi)),
                    rq_sa=self.rq(), rq_lun=self.rng.randrange(4))
        return (b"\x00" + f) if bcast else f

    def good(self):
        return self.safe_request(bcast=self.rng.random() < 0.1)

    def unknown_command(self):
        while True:
            netfn, cmd = self.rng.randrange(0, 64, 2), self.rng.randrange(256)
            if (netfn, cmd) not in self.model.table:
                break
        return request(OWN, netfn, cmd, self.seq(), self.data(self.rng.randint(0, MAX_MSG - 7)),
                       rq_sa=self.rq(), rs_lun=self.rng.randrange(4), rq_lun=self.rng.randrange(4))

    def wrong_lun(self):
        netfn, cmd = self.rng.choice(self.listed)
        lo, hi = self.model.table[netfn, cmd]
        n = self.rng.randint(lo, min(hi, MAX_MSG - 7))
        return request(OWN, netfn, cmd, self.seq(), self.data(n), rq_sa=self.rq(),
                       rs_lun=self.rng.randrange(1, 4), rq_lun=self.rng.randrange(4))

    def bad_length(self):
        while True:
            netfn, cmd = self.rng.choice(self.listed)
            lo, hi = self.model.table[netfn, cmd]
            wrong = [n for n in range(MAX_MSG - 7 + 1) if not lo <= n <= hi]
            if wrong:
                break
        return request(OWN, netfn, cmd, self.seq(), self.data(self.rng.choice(wrong)),
                       rq_sa=self.rq(), rq_lun=self.rng.randrange(4))

    def bad_requester(self):
        sa = self.rng.choice([0x00, OWN, self.rng.randrange(0x00, 0x10),
                              self.rng.randrange(0xF0, 0x100), self.rng.randrange(1, 256, 2)])
        netfn, cmd = self.rng.choice(self.listed + [(APP, COLD_RESET)] * 4)
        lo, hi = self.model.table[netfn, cmd]
        f = request(OWN, netfn, cmd, self.seq(), self.data(self.rng.randint(lo, min(hi, 25))),
                    rq_sa=sa, rs_lun=self.rng.choice((0, 0, 0, 1)), rq_lun=self.rng.randrange(4))
        return (b"\x00" + f) if self.rng.random() < 0.2 else f

    def truncated(self):
        f = self.any_request()
        return f[:self.rng.randrange(2, len(f))]

    def bit_flip(self):
        f = bytearray(self.any_request())
        i = self.rng.randrange(1, len(f))   # the address byte is the bus's, not ours to flip
        f[i] ^= 1 << self.rng.randrange(8)
        return bytes(f)

    def bad_chk1(self):
        f = bytearray(self.any_request())
        o = 3 if f[0] == 0x00 else 2
        f[o] = (f[o] + self.rng.randrange(1, 256)) & 0xFF
        return bytes(f)

    def bad_chk2(self):
        f = bytearray(self.any_request())
        f[-1] = (f[-1] + self.rng.randrange(1, 256)) & 0xFF
        return bytes(f)

    def broadcast(self):
        netfn, cmd = self.rng.choice(self.listed + [(APP, GET_DEVICE_ID)] * 4)
        lo, hi = self.model.table[netfn, cmd]
        return b"\x00" + request(OWN, netfn, cmd, self.seq(),
                                 self.data(self.rng.randint(lo, min(hi, 25))), rq_sa=self.rq(),
                                 rs_lun=self.rng.choice((0, 0, 0, 1, 2, 3)),
                                 rq_lun=self.rng.randrange(4))

    def wrong_destination(self):
        # On I2C only a general call reaches a device under another address than its own.
        rs = self.rng.choice([self.rng.randrange(256), 0x74, 0x20])
        if rs == OWN:
            rs ^= 2
        return b"\x00" + request(rs, APP, GET_DEVICE_ID, self.seq(), rq_sa=self.rq())

    def over_long(self):
        n = self.rng.choice([MAX_MSG - 6, self.rng.randint(MAX_MSG - 6, 121),
                             self.rng.randint(122, 248)])
        f = request(OWN, APP, self.rng.randrange(256), self.seq(), self.data(n), rq_sa=self.rq())
        return (b"\x00" + f) if self.rng.random() < 0.2 else f

    def response(self):
        h = bytes([OWN, (self.rng.randrange(1, 64, 2)) << 2 | self.rng.randrange(4)])
        body = bytes([self.rng.choice((BMC, 0x00, 0x21)), self.seq() << 2,
                      self.rng.randrange(256)]) + self.data(self.rng.randint(0, 25))
        f = h + bytes([cks(h)]) + body + bytes([cks(body)])
        return (b"\x00" + f) if self.rng.random() < 0.1 else f

    def retry(self):
        return self.prev if self.prev else self.good()

    def random_bytes(self):
        n = self.rng.choice([self.rng.randint(1, 12), self.rng.randint(1, 40),
                             self.rng.randint(1, 140)])
        return bytes([self.rng.choice((OWN, OWN, OWN, 0x00))]) + self.data(n)

    def every_netfn_lun(self):
        """One frame for each of the 64 netFns on each of the 4 LUNs, cmd picked at random
        among those the model can follow: requests and, for odd netFns, responses."""
        frames = []
        for netfn in range(64):
            for lun in range(4):
                while True:
                    f = request(OWN, netfn, self.rng.randrange(256), self.seq(), rq_sa=self.rq(),
                                rs_lun=lun, rq_lun=self.rng.randrange(4))
                    if not self.model.unpredictable(f):
                        break
                frames.append(("every_netfn_lun", f))
        self.rng.shuffle(frames)
        return frames

    def any_request(self):
        k = self.rng.randrange(5)
        return (self.good, self.unknown_command, self.wrong_lun, self.bad_length,
                self.bad_requester)[k]()

    def next(self):
        while True:
            r = self.rng.randrange(self.total)
            for w, kind in self.kinds:
                if r < w:
                    break
                r -= w
            frame = kind()
            # Never a handler the model cannot follow (Cold Reset, writes): mutate it away.
            if not self.model.unpredictable(frame):
                self.prev = frame
                return kind.__name__, frame


class Capture:
    """satmc-i2c-bus's pcap, read incrementally: [(addr7, data)] since the last call."""

    def __init__(self, path):
        self.f = open(path, "rb")
        self.f.read(24)
        self.buf = b""

    def new(self):
        self.buf += self.f.read()
        recs, off = [], 0
        while off + 16 <= len(self.buf):
            caplen = struct.unpack_from("<I", self.buf, off + 8)[0]
            if off + 16 + caplen > len(self.buf):
                break
            body = self.buf[off + 16:off + 16 + caplen]
            recs.append((body[5] >> 1, bytes(body[6:])))
            off += 16 + caplen
        self.buf = self.buf[off:]
        return recs


def main():
    print("seed %d, %d frames (replay: SATMC_ORACLE_SEED=%d)" % (SEED, FRAMES, SEED), flush=True)
    rng = random.Random(SEED)
    table = list_commands()
    check(len(table) > 10 and (APP, GET_DEVICE_ID) in table,
          "satmcd --list-commands lists %d commands" % len(table))
    model = Model(table)
    gen = Generator(rng, model)

    rig = Rig(CONFIG)
    # One connection for every requester address, so answers arrive in the order sent.
    rig.bmc.close()

    def attach():
        try:
            rig.bmc = emubus.Endpoint(rig.sock, [a >> 1 for a in OWNED])
            return True
        except OSError:
            return False
    wait_for(attach, "the requester addresses on the bus")
    cap = Capture(rig.pcap)
    cap.new()

    sent = {}                   # kind -> frames sent
    failures = 0
    stable = {}                 # (netfn, cmd) -> data of the first answer
    sentinel_n = 0
    frames = 0
    bursts = 0

    def fail(what):
        nonlocal failures
        failures += 1
        if failures <= 20:
            check(False, what)

    def sentinel():
        nonlocal sentinel_n
        while True:
            seq, lun = sentinel_n % 64, (sentinel_n // 64) % 4
            sentinel_n += 1
            f = request(OWN, APP, GET_DEVICE_ID, seq, rq_sa=BMC, rq_lun=lun)
            if not model.cached(f):
                return f

    def judge(frame, v, got, kind):
        """Check one answer against its verdict; returns the answer to remember."""
        if v.replay_of:
            first = v.replay_of[1]
            if got is None or got != first:
                fail("%s %s: replay %s, expected the first answer %s"
                     % (kind, frame.hex(), got.hex() if got else None,
                        first.hex() if first else None))
            return got
        ok = (got is not None and len(got) >= 8 and got[:7] == v.head
              and cks(got[3:-1]) == got[-1])
        if ok and v.head[6] != CC_OK:
            ok = len(got) == 8
        if ok and v.head[6] == CC_OK and SAFE.get(v.cmd) == "stable":
            first = stable.setdefault(v.cmd, got[7:-1])
            ok = got[7:-1] == first
        if not ok:
            fail("%s %s: answered %s, expected header %s + data + chk2"
                 % (kind, frame.hex(), got.hex() if got else None, v.head.hex()))
        return got

    def run_burst(batch):
        """Send batch then a sentinel; check what came back and what crossed the bus."""
        verdicts = []
        writes = []
        for kind, frame in batch + [("sentinel", sentinel())]:
            v = model.predict(frame)
            verdicts.append((kind, frame, v))
            writes.append((frame[0] >> 1, frame[1:]))
            if not rig.bmc.write(frame[0] >> 1, frame[1:]):
                fail("%s %s: write NAKed" % (kind, frame.hex()))
            sent[kind] = sent.get(kind, 0) + 1

        # Answers to us arrive in order; the sentinel's is the last of the burst.
        due = [(k, f, v) for k, f, v in verdicts
               if not v.reason and (f[4] if f[0] == 0 else f[3]) in OWNED]
        got = []
        deadline = time.monotonic() + ANSWER_WAIT
        while len(got) < len(due):
            d = rig.bmc.recv(max(0.0, deadline - time.monotonic()))
            if d is None:
                break
            got.append(bytes([d[0] << 1]) + bytes(d[1]))
        if len(got) < len(due):
            fail("burst %d: %d answers of %d within %.0f s (satmcd %s)"
                 % (bursts, len(got), len(due), ANSWER_WAIT,
                    "alive" if rig.satmcd.poll() is None else "dead"))
        answers = iter(got)
        for k, f, v in verdicts:
            if v.reason:
                continue
            rq_sa = f[4] if f[0] == 0 else f[3]
            rsp = next(answers, None) if rq_sa in OWNED else None
            if rq_sa in OWNED:
                rsp = judge(f, v, rsp, k)
            if v.entry:
                v.entry[1] = rsp

        # Everything satmcd wrote, ours aside: exactly the answers predicted, NAKed ones too.
        recs = cap.new()
        mine = iter(writes)
        want = next(mine, None)
        theirs = []
        for rec in recs:
            if want is not None and rec == want:
                want = next(mine, None)
            else:
                theirs.append(rec)
        expect = []
        ans = iter(got)
        for k, f, v in verdicts:
            if v.reason:
                continue
            rq_sa = f[4] if f[0] == 0 else f[3]
            if rq_sa in OWNED:
                a = next(ans, None)
                if a is not None:
                    expect.append((a[0] >> 1, a[1:]))
            else:
                expect.append((rq_sa >> 1, b""))
        if want is not None or theirs != expect:
            fail("burst %d: the capture shows satmcd writing %s, expected %s"
                 % (bursts, theirs[:4], expect[:4]))

    def compare_counters(what):
        c = rig.counters()
        bad = [(k, c.get(k), v) for k, v in model.counters.items() if c.get(k) != v]
        check(not bad, "%s: satmcd's counters equal the model's (%s)" % (what, ", ".join(
            "%s=%d" % (k, v) for k, v in model.counters.items() if v)))
        for k, got, want in bad:
            print("      %s = %s, expected %d" % (k, got, want))

    t0 = time.monotonic()
    try:
        sweep = gen.every_netfn_lun()
        while frames < FRAMES:
            n = min(rng.randint(1, BURST_MAX), FRAMES - frames)
            batch = [sweep.pop() if sweep else gen.next() for _ in range(n)]
            run_burst(batch)
            frames += n
            bursts += 1
            if failures > 20 or rig.satmcd.poll() is not None:
                break
            if bursts % COUNTERS_EVERY == 0:
                compare_counters("after %d frames" % frames)
        took = time.monotonic() - t0
        check(failures == 0, "%d frames in %d bursts, every answer and every silence as the "
              "model predicts (%.1f s, %.0f frames/s)" % (frames, bursts, took,
                                                          frames / max(took, 1e-9)))
        print("      sent: %s" % ", ".join("%s %d" % kv for kv in sorted(sent.items())))
        check(rig.bmc.recv(0) is None, "nothing more arrived after the last sentinel's answer")
        dev = stable.get((APP, GET_DEVICE_ID), b"")
        check(len(dev) >= 11 and dev[0] == 0x23 and dev[6:11] == bytes.fromhex("d97e009112"),
              "Get Device ID answers board-test.ini's identity: %s" % dev.hex(" "))
        if FRAMES >= 1000:
            for what in DROP_REASONS + ("responses-replayed", "send-failed",
                                        "answered-invalid-command", "answered-invalid-length"):
                check(model.counters[what] > 0, "the run exercised %s" % what)
        compare_counters("at the end")
        check(rig.satmcd.poll() is None, "satmcd is still running")
    finally:
        rc = rig.stop()
    check(rc == 0, "satmcd exits 0 on SIGTERM (got %s)" % rc)
    finish()


if __name__ == "__main__":
    main()
