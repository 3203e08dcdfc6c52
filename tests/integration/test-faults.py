#!/usr/bin/env python3
"""satmcd on a faulty emulated bus: real processes, faults set at run time.

Covers a dropped request (answered on retry), a dropped response (the retry is answered from
the replay cache), corrupted requests (each rejected for the reason its bytes give), a NAKed
response (send-failed, satmcd carries on, the retry is replayed), delayed requests and
responses, and a lossy bus with a BMC that retries like OpenBMC's ipmbbridge: every request
answered, and satmcd's counters agree with what the capture and the seeded generator say
crossed the wire. satmcd must exit 0 on SIGTERM, never having crashed."""
import os, sys, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from satmc_testlib import Rig, check, finish, emubus, read_pcap  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
CONFIG = os.path.join(HERE, "board-test.ini")
SEED = 7
APP, GET_DEVICE_ID = 0x06, 0x01
SAT, BMC = 0x39, 0x10                   # 7-bit: satmcd (8-bit 0x72), the BMC (8-bit 0x20)
SLOW = bool(os.environ.get("SATMCD_WRAPPER"))   # satmcd under valgrind
ANSWER_WAIT = 10.0 if SLOW else 3.0     # how long an answer that must come may take
QUIET_WAIT = 1.0 if SLOW else 0.4       # how long we listen to be sure none comes
RETRY_TIMEOUT = 0.1                     # the lossy BMC's per-attempt timeout (ipmbbridge: 0.25)
LOSSY_REQUESTS, LOSSY_TRIES, LOSSY_P = 200, 6, 0.3
CORRUPT_K = 6
M64 = (1 << 64) - 1

REJECTIONS = ("rejected-oversize", "rejected-short", "rejected-long", "rejected-header-checksum",
              "rejected-data-checksum", "rejected-not-for-us", "rejected-not-a-request",
              "rejected-broadcast", "rejected-requester")


class Rng:
    """satmc-i2c-bus's xorshift64 (rng_next / rng_unit), to predict what a seed does."""

    def __init__(self, seed):
        self.x = seed or 1

    def next(self):
        x = self.x
        x ^= (x << 13) & M64
        x ^= x >> 7
        x ^= (x << 17) & M64
        self.x = x
        return x

    def unit(self):
        return (self.next() >> 11) / float(1 << 53)


def cks(b):
    return (-sum(b)) & 0xFF


def reject_reason(frame, own=0x72):
    """Why satmcd's decoder refuses frame (8-bit address first), in its order of checks."""
    if len(frame) < 7:
        return "rejected-short"
    if len(frame) > 32:
        return "rejected-long"
    if cks(frame[:2]) != frame[2]:
        return "rejected-header-checksum"
    if frame[0] != own:
        return "rejected-not-for-us"
    if cks(frame[3:-1]) != frame[-1]:
        return "rejected-data-checksum"
    if (frame[1] >> 2) & 1:
        return "rejected-not-a-request"
    return None


class Bmc:
    """The requester: unique requests, answers matched to them, stale answers set aside."""

    def __init__(self, rig):
        self.rig = rig
        self.n = 0
        self.seen = set()
        self.stale = 0
        self.writes_to_sat = 0          # every write to 0x39, all ACKed by satmcd's slave side

    def fresh(self, cmd=GET_DEVICE_ID, data=b""):
        """A request no earlier one repeats byte for byte (seq and rqLUN both vary), so only
        deliberate retries can hit satmcd's replay cache."""
        seq, lun = self.n % 64, (self.n // 64) % 4
        self.n += 1
        frame = emubus.ipmb_request(0x72, APP, cmd, seq, data, rq_lun=lun)
        assert frame not in self.seen
        self.seen.add(frame)
        return frame

    def send(self, frame):
        ok = self.rig.bmc.write(SAT, frame[1:])
        self.writes_to_sat += 1
        return ok

    def answer(self, frame, timeout):
        """The response to frame (whole, 8-bit address first), or None within timeout."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            got = self.rig.bmc.recv(max(left, 0)) if left > 0 else None
            if got is None:
                return None
            rsp = bytes([got[0] << 1]) + bytes(got[1])
            if matches(frame, rsp):
                return rsp
            self.stale += 1             # a late answer to an earlier attempt

    def ask(self, frame, timeout):
        if not self.send(frame):
            return None
        return self.answer(frame, timeout)


def matches(req, rsp):
    if len(rsp) < 8 or rsp[0] != 0x20:
        return False
    r = emubus.ipmb_parse_response(rsp)
    return (r["netfn"] == APP + 1 and r["rq_lun"] == req[4] & 3 and r["seq"] == req[4] >> 2
            and r["cmd"] == req[5] and r["rs_sa"] == 0x72 and r["chk1_ok"] and r["chk2_ok"])


def ok_answer(req, rsp):
    return rsp is not None and matches(req, rsp) and rsp[6] == 0x00


def main():
    rig = Rig(CONFIG, bus_args=["--seed", str(SEED)])
    bmc = Bmc(rig)
    rng = Rng(SEED)                     # advanced exactly as the bus's, rule by rule
    delivered = 0                       # frames the bus delivered to satmcd
    dropped_to_sat = 0
    exp = {"requests-handled": 0, "responses-replayed": 0, "responses-sent": 0, "send-failed": 0}
    exp.update({k: 0 for k in REJECTIONS})

    def settle(what):
        """Counters once satmcd has taken in every delivered frame (it may be slow)."""
        deadline = time.monotonic() + (30 if SLOW else 10)
        while True:
            c = rig.counters()
            if (c.get("frames-received") == delivered and
                    c.get("responses-sent", 0) + c.get("send-failed", 0) >= exp["responses-sent"] + exp["send-failed"]) \
                    or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        good = c.get("frames-received") == delivered and all(c.get(k) == v for k, v in exp.items())
        check(good, "%s: counters as expected" % what)
        if not good:
            print("      frames-received %s, expected %d" % (c.get("frames-received"), delivered))
            for k, v in exp.items():
                if c.get(k) != v:
                    print("      %s = %s, expected %d" % (k, c.get(k), v))
        return c

    try:
        # Warm up (valgrind translates satmcd's code paths on first use).
        req = bmc.fresh()
        check(ok_answer(req, bmc.ask(req, ANSWER_WAIT)), "satmcd answers on the bus before faults")
        delivered += 1
        exp["requests-handled"] += 1
        exp["responses-sent"] += 1

        # ---- a dropped request: no answer; the retry (same bytes) is answered ----
        rig.bmc.fault("drop@0x39:n=1")
        req = bmc.fresh()
        check(bmc.ask(req, QUIET_WAIT) is None, "dropped request: no answer")
        dropped_to_sat += 1
        rsp = bmc.ask(req, ANSWER_WAIT)
        check(ok_answer(req, rsp), "its retry is answered")
        delivered += 1
        exp["requests-handled"] += 1
        exp["responses-sent"] += 1
        settle("after a dropped request")

        # ---- a dropped response: the retry is answered from the replay cache ----
        rig.bmc.fault("drop@0x10:n=1")
        req = bmc.fresh()
        check(bmc.ask(req, QUIET_WAIT) is None, "dropped response: no answer")
        delivered += 1
        exp["requests-handled"] += 1
        exp["responses-sent"] += 1       # ACKed by the bus, then lost
        rsp = bmc.ask(req, ANSWER_WAIT)
        check(ok_answer(req, rsp), "the retry with the same seq is answered")
        delivered += 1
        exp["responses-replayed"] += 1
        exp["responses-sent"] += 1
        settle("after a dropped response (replayed, not handled again)")

        # ---- corrupted requests: each rejected, for the reason its bytes give ----
        before = len(read_pcap(rig.pcap))
        rig.bmc.fault("corrupt@0x39:n=%d" % CORRUPT_K)
        originals = []
        for _ in range(CORRUPT_K):
            req = bmc.fresh()
            originals.append(req)
            check(bmc.ask(req, QUIET_WAIT) is None, "corrupted request seq %d: no answer" % (req[4] >> 2))
            delivered += 1
        recs = [r for r in read_pcap(rig.pcap)[before:] if r[0] == SAT]
        corrupted = [bytes([0x72]) + d for _, d in recs]
        check(len(corrupted) == CORRUPT_K, "pcap shows the %d corrupted frames" % CORRUPT_K)
        reasons = []
        for orig, bad in zip(originals, corrupted):
            flips = sum(bin(x ^ y).count("1") for x, y in zip(orig, bad))
            at, bit = rng.next() % (len(orig) - 1), rng.next() % 8
            want = bytearray(orig)
            want[1 + at] ^= 1 << bit
            check(len(bad) == len(orig) and flips == 1 and bad == bytes(want),
                  "corruption of seq %d is one bit, the one seed %d predicts (byte %d bit %d)"
                  % (orig[4] >> 2, SEED, 1 + at, bit))
            reason = reject_reason(bad)
            reasons.append(reason)
            if reason:
                exp[reason] += 1
        print("      rejection reasons: %s" % reasons)
        check(all(reasons), "every corrupted frame is one satmcd must reject")
        c = settle("after %d corrupted requests" % CORRUPT_K)
        check(sum(c.get(k, 0) for k in REJECTIONS) == CORRUPT_K,
              "rejection counters add up to %d" % CORRUPT_K)

        # ---- a NAKed response: send-failed, satmcd carries on ----
        rig.bmc.fault("nak@0x10:n=1")
        req = bmc.fresh()
        check(bmc.ask(req, QUIET_WAIT) is None, "NAKed response: nothing arrives")
        delivered += 1
        exp["requests-handled"] += 1
        exp["send-failed"] += 1
        settle("after a NAKed response (send-failed)")
        rsp = bmc.ask(req, ANSWER_WAIT)
        check(ok_answer(req, rsp), "the retry is answered from the cache")
        delivered += 1
        exp["responses-replayed"] += 1
        exp["responses-sent"] += 1
        req = bmc.fresh(cmd=0x04)
        rsp = bmc.ask(req, ANSWER_WAIT)
        check(ok_answer(req, rsp) and rsp[7:9] == b"\x55\x00", "and the next request is answered")
        delivered += 1
        exp["requests-handled"] += 1
        exp["responses-sent"] += 1
        settle("after the NAK")

        # ---- delays: a held request, and a held response ACK within satmcd's 200 ms ----
        rig.bmc.fault("delay@0x39:ms=100:n=1")
        req = bmc.fresh()
        t0 = time.monotonic()
        rsp = bmc.ask(req, ANSWER_WAIT)
        took = time.monotonic() - t0
        check(ok_answer(req, rsp) and took >= 0.1, "request delayed 100 ms: answered after %.0f ms"
              % (took * 1000))
        delivered += 1
        exp["requests-handled"] += 1
        exp["responses-sent"] += 1
        rig.bmc.fault("delay@0x10:ms=100:n=1")
        req = bmc.fresh()
        t0 = time.monotonic()
        rsp = bmc.ask(req, ANSWER_WAIT)
        took = time.monotonic() - t0
        check(ok_answer(req, rsp) and took >= 0.1, "response delayed 100 ms: arrives after %.0f ms"
              % (took * 1000))
        delivered += 1
        exp["requests-handled"] += 1
        exp["responses-sent"] += 1      # ACKed inside satmcd's ACK timeout: not a failure
        settle("after the delays")

        # ---- a lossy bus, a BMC that retries like ipmbbridge (same bytes, 6 tries) ----
        rig.bmc.fault("clear")
        rig.bmc.fault("drop@0x39:p=%g" % LOSSY_P)
        writes_before, stale_before = bmc.writes_to_sat, bmc.stale
        pcap_before = len(read_pcap(rig.pcap))
        unanswered, tries_hist = [], [0] * (LOSSY_TRIES + 1)
        t0 = time.monotonic()
        for _ in range(LOSSY_REQUESTS):
            req = bmc.fresh()
            for attempt in range(1, LOSSY_TRIES + 1):
                if ok_answer(req, bmc.ask(req, RETRY_TIMEOUT)):
                    tries_hist[attempt] += 1
                    break
            else:
                unanswered.append(req[4] >> 2)
        # Late answers to attempts that timed out but were delivered.
        while bmc.answer(b"\0" * 8, QUIET_WAIT) is not None:
            pass
        elapsed = time.monotonic() - t0
        rig.bmc.fault("clear")
        attempts = bmc.writes_to_sat - writes_before
        check(not unanswered, "lossy bus: all %d requests answered within %d tries (%.1f s; "
              "answered on try 1..%d: %s; unanswered seqs %s)"
              % (LOSSY_REQUESTS, LOSSY_TRIES, elapsed, LOSSY_TRIES, tries_hist[1:], unanswered))
        drops = sum(rng.unit() < LOSSY_P for _ in range(attempts))
        dropped_to_sat += drops
        lossy_delivered = attempts - drops
        print("      %d attempts, %d dropped (as seed %d predicts), %d late answers"
              % (attempts, drops, SEED, bmc.stale - stale_before))
        delivered += lossy_delivered
        exp["requests-handled"] += LOSSY_REQUESTS
        exp["responses-replayed"] += lossy_delivered - LOSSY_REQUESTS
        exp["responses-sent"] += lossy_delivered
        recs = read_pcap(rig.pcap)[pcap_before:]
        check(sum(1 for a, d in recs if a == SAT and d) == attempts,
              "pcap: %d writes to 0x39 during the lossy run" % attempts)
        check(sum(1 for a, d in recs if a == BMC and d) == lossy_delivered,
              "pcap: one response from satmcd per delivered frame (%d)" % lossy_delivered)
        check(tries_hist[1] > 0 and sum(tries_hist[2:]) > 0, "some requests needed retries")
        settle("after the lossy run (frames-received = attempts - seeded drops)")

        # ---- the whole capture agrees with satmcd's counters ----
        c = rig.counters()
        recs = read_pcap(rig.pcap)
        to_sat = sum(1 for a, d in recs if a == SAT and d)
        check(c.get("frames-received") == to_sat - dropped_to_sat,
              "frames-received %s == writes to 0x39 in the pcap %d - dropped %d"
              % (c.get("frames-received"), to_sat, dropped_to_sat))
        check(c.get("responses-sent") == sum(1 for a, d in recs if a == BMC and d),
              "responses-sent == ACKed writes to 0x10 in the pcap")
        check(c.get("send-failed") == sum(1 for a, d in recs if a == BMC and not d),
              "send-failed == NAKed writes to 0x10 in the pcap")
        check(c.get("frames-received") == c.get("requests-handled") + c.get("responses-replayed")
              + sum(c.get(k, 0) for k in REJECTIONS),
              "frames-received == handled + replayed + rejected")
        check(c.get("recv-failed") == 0, "no receive failures")
        check(rig.satmcd.poll() is None, "satmcd still running after every fault")
    finally:
        rc = rig.stop()
    check(rc == 0, "satmcd exits 0 on SIGTERM (got %s)" % rc)
    lines = rig.read_stderr().splitlines()
    check(bool(lines) and lines[-1].startswith("counters:"), "counters printed at exit")
    check(not any("Assertion" in l or "Segmentation" in l or "==" in l[:12] for l in lines),
          "no crash or valgrind report in satmcd's stderr")
    finish()


if __name__ == "__main__":
    main()
