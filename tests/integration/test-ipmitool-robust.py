#!/usr/bin/env python3
"""satmcd's local ipmitool socket under load and abuse: real processes, raw sockets from here.

Requests are written as ipmitool 1.8.19 writes them on satmcd's ABI (struct dummy_rq: 16-byte
header on x86-64, then the data) and responses parsed as it reads them (struct dummy_rs: 24).
Covers 32 ipmitool processes at once, 20 raw clients with 50 requests each interleaved (headers
and data of different clients arriving in between), half-sent requests and hang-ups, headers
that can never be valid (data_len 300, netFn 0x40, LUN 4, a BYE with data, 0xFF garbage: that
client is closed with exactly one log line, everyone else keeps being served), BYE, pipelined
requests, a client that never reads its answers, the max-clients limit (16 by default: a
newcomer closes the connection idle the longest, and is refused only while every connection is
in the middle of a request; also with max-clients 4 against real ipmitool), and satmcd still
answering IPMB and exiting 0 on SIGTERM afterwards."""
import os, re, shutil, socket, struct, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from satmc_testlib import Rig, check, finish, ipmitool_dummy_structs  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
CONFIG = os.path.join(HERE, "board-test.ini")
SLOW = bool(os.environ.get("SATMCD_WRAPPER"))  # satmcd under valgrind
WAIT = 20.0 if SLOW else 5.0                   # how long an answer that must come may take
QUIET = 1.0 if SLOW else 0.3                   # how long we listen to be sure nothing more comes
IPMITOOL_TIMEOUT = 90 if SLOW else 30          # ipmitool spins forever on a closed socket
DEFAULT_MAX_CLIENTS = 16
NO_TIMEOUT = "request-timeout-ms = 600000\n"   # the longest: held requests outlive the test

# The target ABI's headers: 16 and 24 bytes on x86-64 and arm64, 12 and 16 on armhf.
RQ, RS = ipmitool_dummy_structs()

APP = 0x06
DEVICE_ID = bytes([0x23, 0x83, 0x01, 0x42, 0x02, 0x09, 0xD9, 0x7E, 0x00, 0x91, 0x12,
                   0x0A, 0x0B, 0x0C, 0x0D])
GUID = bytes.fromhex("0123456789abcdef0011223344556677")[::-1]
# (netfn, cmd, data) -> (ccode, response data), from board-test.ini and the App handlers.
REQUESTS = [
    ((APP, 0x01, b""), (0x00, DEVICE_ID)),
    ((APP, 0x04, b""), (0x00, b"\x55\x00")),
    ((APP, 0x08, b""), (0x00, GUID)),
    ((APP, 0x37, b""), (0x00, GUID)),
    ((APP, 0x55, b""), (0xC1, b"")),                 # not implemented
    ((APP, 0x01, b"\x00"), (0xC7, b"")),             # Get Device ID takes no data
    ((0x2C, 0x00, b"\x00"), (0xC1, b"")),            # ipmitool's PICMG probe
    ((0x2E, 0x01, bytes(range(200))), (0xC1, b"")),  # OEM, longer than any IPMB frame
]


def rq(netfn, cmd, data=b"", lun=0, target_cmd=0, data_len=None):
    return RQ.pack(netfn, lun, cmd, target_cmd, len(data) if data_len is None else data_len, 0) + data


def bye():
    return rq(0x3F, 0xFF)


class Client:
    """One raw connection to a dummy-interface socket."""

    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(WAIT)
        self.s.connect(path)
        self.buf = b""

    def send(self, data):
        self.s.sendall(data)

    def recv(self):
        """The next response as (netfn, cmd, seq, lun, ccode, data); None when satmcd closed
        the connection; "timeout" or the exception's name if neither happened."""
        while True:
            if len(self.buf) >= RS.size:
                netfn, cmd, seq, lun, cc, n, _ = RS.unpack_from(self.buf)
                if 0 <= n <= 255 and len(self.buf) >= RS.size + n:
                    data = self.buf[RS.size:RS.size + n]
                    self.buf = self.buf[RS.size + n:]
                    return (netfn, cmd, seq, lun, cc, data)
                if not 0 <= n <= 255:
                    return "bad data_len %d" % n
            try:
                chunk = self.s.recv(4096)
            except socket.timeout:
                return "timeout"
            except OSError as e:
                return type(e).__name__
            if not chunk:
                return None
            self.buf += chunk

    def ask(self, netfn, cmd, data=b"", lun=0):
        self.send(rq(netfn, cmd, data, lun))
        return self.recv()

    def closed_by_peer(self):
        """True if satmcd closed the connection cleanly (recv returns b"") with nothing sent."""
        try:
            return self.s.recv(4096) == b""
        except (socket.timeout, OSError):
            return False

    def close(self):
        self.s.close()


def expected(netfn, cmd, data, lun=0):
    cc, rdata = dict(REQUESTS)[(netfn, cmd, data)]
    return (netfn | 1, cmd, 0, lun, cc, rdata)


def good(c, i=0):
    """One request from the table on c, answered exactly."""
    (netfn, cmd, data), _ = REQUESTS[i % len(REQUESTS)]
    return c.ask(netfn, cmd, data) == expected(netfn, cmd, data)


class Log:
    """New lines in satmcd's stderr since the last mark."""

    def __init__(self, rig):
        self.rig = rig
        self.mark()

    def mark(self):
        self.n = len(self.rig.read_stderr().splitlines())

    def new(self, wait_for_lines=0):
        deadline = time.monotonic() + WAIT
        while len(self.rig.read_stderr().splitlines()) - self.n < wait_for_lines \
                and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(QUIET)
        return self.rig.read_stderr().splitlines()[self.n:]


def one_line(lines, pattern):
    return len(lines) == 1 and re.search(pattern, lines[0]) is not None


def ipmitool(sock, *args):
    return subprocess.Popen(["timeout", str(IPMITOOL_TIMEOUT), "ipmitool", "-I", "dummy", *args],
                            env=dict(os.environ, IPMI_DUMMY_SOCK=sock), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)


def socket_stats(rig):
    """The ipmitool-socket line satmcd prints (on SIGUSR1) just before its counters line."""
    rig.counters()
    line = [l for l in rig.read_stderr().splitlines() if l.startswith("ipmitool-socket:")][-1]
    return {k: int(v) for k, v in (kv.split("=") for kv in line.split()[1:])}


def config_with(tmp, extra):
    cfg = os.path.join(tmp, "board.ini")
    with open(CONFIG) as src, open(cfg, "w") as dst:
        dst.write(src.read() + "\n" + extra)
    return cfg


def many_clients():
    """32 ipmitool processes and 20 raw clients at once: a satmcd allowed 64 clients."""
    tmp = tempfile.mkdtemp(prefix="satmc-robust-")
    rig = Rig(config_with(tmp, "[ipmitool]\nmax-clients = 64\n"))
    try:
        sock = rig.ipmitool_sock
        ref = ipmitool(sock, "mc", "info").communicate()[0]    # warm-up, and the reference
        check("Device ID                 : 35" in ref, "wide satmcd: mc info answers")
        c0 = rig.counters()

        procs = [ipmitool(sock, "mc", "info") for _ in range(32)]
        outs = [p.communicate() for p in procs]
        ok = sum(1 for p, (out, err) in zip(procs, outs) if p.returncode == 0 and out == ref)
        check(ok == 32, "32 ipmitool mc info at once: %d printed the same answer" % ok)
        for p, (out, err) in zip(procs, outs):
            if p.returncode != 0 or out != ref:
                print("      exit %d: %r" % (p.returncode, err.strip()))
                break
        c1 = rig.counters()
        check(c1["ipmitool-requests"] - c0["ipmitool-requests"] == 32 * 3,
              "ipmitool-requests grew by 96 (32 x 2 probes + Get Device ID)")

        # 20 clients, 50 requests each. Every round, all headers go out first, then all data,
        # then all answers are read: satmcd holds 20 half-received requests at once.
        clients = [Client(sock) for _ in range(20)]
        bad, sent = [], 0
        for rnd in range(50):
            reqs = [REQUESTS[(i + rnd) % len(REQUESTS)][0] for i in range(len(clients))]
            wire = [rq(n, c, d) for n, c, d in reqs]
            for c, w in zip(clients, wire):
                c.send(w[:RQ.size])
            for c, w in zip(clients, wire):
                if len(w) > RQ.size:
                    c.send(w[RQ.size:])
            for i, (c, (n, cmd, d)) in enumerate(zip(clients, reqs)):
                got = c.recv()
                sent += 1
                if got != expected(n, cmd, d):
                    bad.append((rnd, i, cmd, got if not isinstance(got, tuple) else got[:5]))
        check(not bad, "20 clients x 50 interleaved requests: all %d answered exactly%s"
              % (sent, "" if not bad else "; wrong: %s" % bad[:3]))
        closed = 0
        for c in clients:
            c.send(bye())
            closed += c.closed_by_peer()
            c.close()
        check(closed == 20, "all 20 closed by BYE")
        c2 = rig.counters()
        check(c2["ipmitool-requests"] - c1["ipmitool-requests"] == 1000,
              "ipmitool-requests grew by 1000")
        check(c2["frames-received"] == 0, "none of it touched IPMB")
    finally:
        rc = rig.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    check(rc == 0, "wide satmcd exits 0 on SIGTERM (got %s)" % rc)
    lines = rig.read_stderr().splitlines()
    noise = [l for l in lines if "ipmitool client" in l or "ipmitool socket" in l]
    check(not noise, "wide satmcd logged nothing about its clients %s" % noise[:3])
    check(not any("==" in l[:12] or "Assertion" in l for l in lines), "no valgrind report")


def evict_idle():
    """max-clients 4: idle connections make room for real ipmitool; half-sent requests never do."""
    n = 4
    tmp = tempfile.mkdtemp(prefix="satmc-robust-")
    # Half-sent requests are held for as long as the test needs: no request timeout here
    # (test-socket-limits.py tests that one).
    rig = Rig(config_with(tmp, "[ipmitool]\nmax-clients = %d\n%s" % (n, NO_TIMEOUT)))
    sock, log, held = rig.ipmitool_sock, Log(rig), []
    try:
        # n connections that never send a byte: before, ipmitool was locked out.
        idle = [Client(sock) for _ in range(n)]
        held.extend(idle)
        time.sleep(QUIET)                # all accepted, in order
        p = ipmitool(sock, "mc", "info")
        out, err = p.communicate()
        check(p.returncode == 0 and "Device ID                 : 35" in out,
              "%d idle connections: ipmitool mc info still succeeds (exit %d %r)"
              % (n, p.returncode, err.strip()))
        check(idle[0].closed_by_peer(), "the oldest idle connection was closed (EOF)")
        lines = log.new(1)
        check(one_line(lines, r"%d clients already, closing client 1 \(idle for \d+ ms\) to make "
                       r"room" % n), "one info line names it %s" % lines)
        check(all(good(c, i) for i, c in enumerate(idle[1:])), "the other idle ones still served")
        st = socket_stats(rig)
        check(st["evicted"] == 1 and st["refused"] == 0,
              "stats line: evicted=1 refused=0 (%s)" % st)

        # The oldest connection holds half a request: it is skipped, the next idle one goes.
        idle[0].close()
        fourth = Client(sock)            # ipmitool said BYE: back to n connections
        held.append(fourth)
        stalled = idle[1]                # now the longest idle ... until it sends half a header
        stalled.send(rq(APP, 0x04)[:7])
        time.sleep(QUIET)
        log.mark()
        newcomer = Client(sock)
        check(good(newcomer), "a newcomer with one half-sent request among %d: served" % n)
        check(idle[2].closed_by_peer(), "the longest idle connection without a partial request "
              "was closed, not the half-sent one")
        check(one_line(log.new(1), r"closing client \d+ .* to make room"), "... one info line")
        stalled.send(rq(APP, 0x04)[7:])
        check(stalled.recv() == expected(APP, 0x04, b""), "the half-sent request is answered")
        idle[2].close()

        # Every connection mid-request: now the newcomer is refused, as before.
        mid = [stalled, idle[3], fourth, newcomer]
        held.append(newcomer)
        for c in mid:
            c.send(rq(APP, 0x01)[:3])
        time.sleep(QUIET)
        log.mark()
        c = Client(sock)
        check(c.closed_by_peer(), "all %d mid-request: a raw newcomer is refused" % n)
        c.close()
        t0 = time.monotonic()
        p = ipmitool(sock, "mc", "info")
        out, err = p.communicate()
        check(p.returncode not in (0, 124) and time.monotonic() - t0 < IPMITOOL_TIMEOUT / 2,
              "... and ipmitool fails at once instead of spinning (exit %d %r)"
              % (p.returncode, err.strip()))
        lines = log.new(2)
        check(len(lines) == 2 and all("all in the middle of a request, refusing" in l
                                      for l in lines), "one warning per refusal %s" % lines)
        for c in mid:
            c.send(rq(APP, 0x01)[3:])
        check(all(c.recv() == expected(APP, 0x01, b"") for c in mid),
              "the %d half-sent requests all answered after the refusals" % n)
        st = socket_stats(rig)
        check(st["evicted"] == 2 and st["refused"] == 2,
              "stats line: evicted=2 refused=2 (%s)" % st)
    finally:
        for h in held:
            h.close()
        rc = rig.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    check(rc == 0, "small satmcd exits 0 on SIGTERM (got %s)" % rc)
    lines = rig.read_stderr().splitlines()
    check(any(l.startswith("ipmitool-socket:") and " evicted=2 " in l for l in lines[-3:]),
          "the stats line at exit counts evicted=2")
    check(not any("Assertion" in l or "==" in l[:12] for l in lines), "no valgrind report")


def main():
    many_clients()
    evict_idle()

    # A client stalled mid-header is kept for the whole run (see evict_idle()).
    rig = Rig(config_with(tempfile.mkdtemp(prefix="satmc-robust-"), "[ipmitool]\n" + NO_TIMEOUT))
    sock = rig.ipmitool_sock
    log = Log(rig)
    held = []
    try:
        keeper = Client(sock)            # a well-behaved client that stays connected throughout
        held.append(keeper)
        check(good(keeper), "a raw client is answered (Get Device ID bytes exact)")
        c0 = rig.counters()
        answered = 0                     # valid requests satmcd took from clients since c0

        def still_serving(what):
            nonlocal answered
            fresh = Client(sock)
            ok = good(keeper, 1) and good(fresh, 2)
            answered += 2
            fresh.send(bye())
            ok = ok and fresh.closed_by_peer()
            fresh.close()
            check(ok, "after %s: other clients, old and new, still served" % what)

        # ---- clients that hang up in the middle of a request ----
        log.mark()
        c = Client(sock)
        c.send(rq(APP, 0x01)[:8])
        time.sleep(0.05)
        c.close()
        lines = log.new(1)
        check(one_line(lines, r"hung up in the middle of a request"),
              "half a header, then hang-up: one log line %s" % lines)
        still_serving("half a header")

        log.mark()
        c = Client(sock)
        c.send(rq(0x2E, 0x01, data_len=10))
        c.send(b"\x01\x02\x03")
        time.sleep(0.05)
        c.close()
        lines = log.new(1)
        check(one_line(lines, r"hung up in the middle of a request"),
              "header announcing 10 bytes, 3 sent, hang-up: one log line %s" % lines)
        still_serving("a truncated request")

        # A half-sent request that just sits there does not hold anyone else up.
        stalled = Client(sock)
        held.append(stalled)
        stalled.send(rq(APP, 0x01, b"\x00")[:5])
        still_serving("a client stalled half-way through a header")

        # ---- headers that can never be valid: that connection closed, one line ----
        for what, blob in [
                ("data_len 300", rq(APP, 0x01, data_len=300)),
                ("netFn 0x40", rq(0x40, 0x01)),
                ("LUN 4", rq(APP, 0x01, lun=4)),
                ("BYE carrying data", rq(0x3F, 0xFF, b"\x00")),
                ("64 bytes of 0xFF", b"\xff" * 64)]:
            log.mark()
            c = Client(sock)
            c.send(blob)
            closed = c.closed_by_peer()
            c.close()
            lines = log.new(1)
            check(closed, "%s: satmcd closes the connection without an answer" % what)
            check(one_line(lines, r"ipmitool client \d+ sent an invalid request header, closing it"),
                  "%s: exactly one log line %s" % (what, lines))
            still_serving(what)

        # A valid request, then garbage in the same write: answered, then closed.
        log.mark()
        c = Client(sock)
        c.send(rq(APP, 0x04) + b"\xff" * 16)
        first, then = c.recv(), c.recv()
        c.close()
        answered += 1
        check(first == expected(APP, 0x04, b"") and then is None,
              "a request followed by garbage: the request answered, then the connection closed")
        check(one_line(log.new(1), r"invalid request header"), "... with one log line")

        # ---- quiet goodbyes ----
        log.mark()
        c = Client(sock)
        c.send(bye())
        check(c.closed_by_peer(), "BYE: satmcd closes the connection")
        c.close()
        c = Client(sock)
        c.close()                        # connects and leaves without a word
        c = Client(sock)
        c.send(rq(APP, 0x01) + bye())    # one request and BYE in one write, as ipmitool ends
        check(c.recv() == expected(APP, 0x01, b"") and c.recv() is None,
              "a request and BYE in one write: answered, then closed")
        c.close()
        answered += 1
        lines = log.new()
        check(lines == [], "BYE, or leaving without a request, logs nothing %s" % lines)

        # ---- pipelining: several requests in one write, answered one by one, in order ----
        c = Client(sock)
        trio = [REQUESTS[0][0], REQUESTS[1][0], REQUESTS[2][0]]
        c.send(b"".join(rq(*r) for r in trio))
        got = [c.recv() for _ in trio]
        check(got == [expected(*r) for r in trio], "three requests in one write: three answers in order")
        # ... and a stream cut at awkward places: mid-header, mid-data, across requests.
        stream = b"".join(rq(*r[0]) for r in REQUESTS)
        cuts = [5, RQ.size + 3, 40, 41, 100, len(stream) - 7]
        prev = 0
        for cut in cuts + [len(stream)]:
            c.send(stream[prev:cut])
            prev = cut
            time.sleep(0.01)
        got = [c.recv() for _ in REQUESTS]
        check(got == [expected(*r[0]) for r in REQUESTS],
              "%d requests cut at arbitrary byte boundaries: all answered in order" % len(REQUESTS))
        c.send(bye())
        c.closed_by_peer()
        c.close()
        answered += len(trio) + len(REQUESTS)

        # ---- a request whose asker is gone: the answer cannot be delivered ----
        log.mark()
        c = Client(sock)
        c.send(rq(APP, 0x01))
        c.close()
        answered += 1
        lines = log.new(1)
        check(len(lines) <= 1 and all("cannot send response" in l for l in lines),
              "a client gone before its answer: at most one log line %s" % lines)
        still_serving("a client that left before its answer")

        c1 = rig.counters()
        check(c1["ipmitool-requests"] - c0["ipmitool-requests"] == answered,
              "ipmitool-requests grew by exactly the %d valid requests received" % answered)

        # ---- a client that never reads its answers is dropped, once its socket is full ----
        log.mark()
        c = Client(sock)
        c.s.settimeout(WAIT)
        burst, pushed, refused = rq(APP, 0x01) * 32, 0, None
        t0 = time.monotonic()
        while pushed < 200000 and time.monotonic() - t0 < 3 * WAIT:
            try:
                c.s.sendall(burst)
                pushed += 32
            except OSError as e:
                refused = type(e).__name__
                break
        c.close()
        lines = log.new(1)
        check(refused is not None, "a client that never reads: satmcd stops taking its requests "
              "after %d (%s)" % (pushed, refused))
        check(one_line(lines, r"cannot send response, closing it"),
              "... and drops it with one log line %s" % lines)
        still_serving("a client that never read")

        # The stalled client finishes its request at last: answered (0xC7: one data byte).
        stalled.send(rq(APP, 0x01, b"\x00")[5:])
        check(stalled.recv() == expected(APP, 0x01, b"\x00"),
              "the client stalled mid-header since long ago is answered once it completes")

        # ---- more clients than max-clients, all in the middle of a request: newcomers refused ----
        for h in held:
            h.send(bye())
            h.closed_by_peer()           # satmcd freed it: its slot is free again
            h.close()
        held.clear()
        first = [Client(sock) for _ in range(DEFAULT_MAX_CLIENTS)]
        held.extend(first)
        ok = sum(good(c, i) for i, c in enumerate(first))
        check(ok == DEFAULT_MAX_CLIENTS, "%d clients at once (the default max-clients): all served (%d)"
              % (DEFAULT_MAX_CLIENTS, ok))
        s0 = socket_stats(rig)
        log.mark()
        for c in first:
            c.send(rq(APP, 0x01)[:RQ.size - 1])          # one byte short of a header
        time.sleep(QUIET)
        extra = [Client(sock) for _ in range(4)]
        closed = sum(c.closed_by_peer() for c in extra)
        for c in extra:
            c.close()
        check(closed == 4, "clients 17..20 while all 16 are mid-request: closed at once (%d of 4)"
              % closed)
        lines = log.new(4)
        check(len(lines) == 4 and all("16 clients already, all in the middle of a request, "
                                      "refusing another" in l for l in lines),
              "one log line per refused client %s" % lines[:2])
        ok = 0
        for c in first:                  # one by one, so first[0] is the one idle the longest
            c.send(rq(APP, 0x01)[RQ.size - 1:])
            ok += c.recv() == expected(APP, 0x01, b"")
        check(ok == DEFAULT_MAX_CLIENTS, "the 16 half-sent requests all answered after the "
              "refusals (%d)" % ok)
        s1 = socket_stats(rig)
        check(s1["refused"] - s0["refused"] == 4 and s1["evicted"] == s0["evicted"],
              "stats line: refused grew by 4, evicted did not (%s)" % s1)

        # ---- ... once they are idle again, a newcomer closes the one idle the longest ----
        log.mark()
        c = Client(sock)
        check(good(c), "a 17th client, with all 16 idle: served")
        check(first[0].closed_by_peer(), "the client answered first (idle the longest) was closed")
        check(one_line(log.new(1), r"16 clients already, closing client \d+ \(idle for \d+ ms\) "
                       r"to make room"), "... with one info line")
        ok = sum(good(c, i) for i, c in enumerate(first[1:]))
        check(ok == DEFAULT_MAX_CLIENTS - 1, "the other 15 still served (%d)" % ok)
        first[0].close()
        held[0] = c
        for c in held:
            c.send(bye())
            c.closed_by_peer()
            c.close()
        held.clear()
        check(socket_stats(rig)["evicted"] - s1["evicted"] == 1, "stats line: evicted grew by 1")

        # ---- still a satellite: IPMB and ipmitool work, nothing was ever answered twice ----
        f = rig.transact(APP, 0x01, seq=9)
        check(f is not None and f[6] == 0x00 and f[7:-1] == DEVICE_ID, "satmcd still answers IPMB")
        p = ipmitool(sock, "mc", "info")
        out, _ = p.communicate()
        check(p.returncode == 0 and "Device ID                 : 35" in out,
              "ipmitool mc info still works")
        check(rig.satmcd.poll() is None, "satmcd still running")
    finally:
        for h in held:
            h.close()
        rc = rig.stop()
    check(rc == 0, "satmcd exits 0 on SIGTERM (got %s)" % rc)
    lines = rig.read_stderr().splitlines()
    check(bool(lines) and lines[-1].startswith("counters:"), "counters printed at exit")
    check(not any("Assertion" in l or "Segmentation" in l or "==" in l[:12] for l in lines),
          "no crash or valgrind report in satmcd's stderr")
    finish()


if __name__ == "__main__":
    main()
