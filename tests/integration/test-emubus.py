#!/usr/bin/env python3
"""satmc-i2c-bus on its own: real processes, no satmcd.

Covers NAK of unowned addresses, whole delivery and ACK both ways, refused and released
attachments, the general call, several masters at once (nothing lost or merged), the fault
rules (nak, drop, corrupt, delay, clear, refused specs), seeded probabilistic drops that
replay exactly, malformed clients being cut off, the pcap (parsed here and by tshark),
satmc-i2c-send's modes and exit codes, and a clean exit with a stats line on SIGTERM."""
import collections, os, re, select, shutil, signal, socket, struct, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from satmc_testlib import check, finish, emubus, wait_for, skip  # noqa: E402

BUS = os.environ["SATMC_I2C_BUS"]
SEND = os.environ["SATMC_I2C_SEND"]
HARNESS = os.environ.get("SATMC_HARNESS", os.path.join(os.path.dirname(__file__), "../harness"))

OWNER, MASTER, OTHER = 0x39, 0x10, 0x11
WRITERS, PER_WRITER = 4, 200
M64 = (1 << 64) - 1


def xorshift(x):
    """satmc-i2c-bus's generator (rng_next), so seeded patterns can be predicted here."""
    x ^= (x << 13) & M64
    x ^= x >> 7
    x ^= (x << 17) & M64
    return x


def predict_drops(seed, n, p):
    """Which of n writes a lone "drop:p=P" rule drops, rolling one rng_unit() per write."""
    x, out = seed or 1, []
    for _ in range(n):
        x = xorshift(x)
        out.append((x >> 11) / float(1 << 53) < p)
    return out


def can_connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    try:
        s.connect(path)
        return True
    except OSError:
        return False
    finally:
        s.close()


class Bus:
    """One satmc-i2c-bus process on a socket in dir, with a pcap and its stderr kept."""

    def __init__(self, dir, name, args=()):
        self.sock = os.path.join(dir, name + ".sock")
        self.pcap = os.path.join(dir, name + ".pcap")
        self.stderr_path = os.path.join(dir, name + ".stderr")
        with open(self.stderr_path, "w") as err:
            self.proc = subprocess.Popen([BUS, "--socket", self.sock, "--pcap", self.pcap, *args],
                                         stderr=err, stdin=subprocess.DEVNULL)
        wait_for(lambda: os.path.exists(self.sock) and can_connect(self.sock), name + " socket")

    def stop(self):
        """SIGTERM; returns (exit status, stats dict or None)."""
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = "hung"
        return rc, self.stats()

    def stats(self):
        with open(self.stderr_path) as f:
            lines = f.read().splitlines()
        m = re.fullmatch(r"satmc-i2c-bus: ((?:\w+=\d+ ?)+)", lines[-1]) if lines else None
        return {k: int(v) for k, v in (kv.split("=") for kv in m.group(1).split())} if m else None

    def stderr(self):
        with open(self.stderr_path) as f:
            return f.read()


def read_pcap(path):
    """(header checks, records [(sec, nsec, pseudo5, addr8, data)])."""
    with open(path, "rb") as f:
        blob = f.read()
    magic, major, minor, zone, sigfigs, snaplen, linktype = struct.unpack_from("<IHHiIII", blob, 0)
    hdr = {"magic": magic, "version": (major, minor), "snaplen": snaplen, "linktype": linktype}
    recs, off = [], 24
    while off + 16 <= len(blob):
        sec, nsec, caplen, length = struct.unpack_from("<IIII", blob, off)
        off += 16
        body = blob[off:off + caplen]
        off += caplen
        recs.append({"sec": sec, "nsec": nsec, "caplen": caplen, "len": length,
                     "pseudo": body[:5], "addr8": body[5] if len(body) > 5 else None,
                     "data": bytes(body[6:])})
    hdr["trailing"] = len(blob) - off
    return hdr, recs


def eof_within(sock, timeout=2.0):
    """True if the bus hangs up on this socket within timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if select.select([sock], [], [], deadline - time.monotonic())[0]:
            try:
                if sock.recv(512) == b"":
                    return True
            except ConnectionResetError:
                return True
    return False


def send_cli(*args, timeout=10):
    return subprocess.run([SEND, *args], capture_output=True, text=True, timeout=timeout)


WRITER_SCRIPT = r"""
import sys
sys.path.insert(0, sys.argv[1])
import emubus
e = emubus.Endpoint(sys.argv[2])
w, n = int(sys.argv[3]), int(sys.argv[4])
print("ready", flush=True)      # connected: the test starts everyone together
sys.stdin.readline()
acks = 0
for i in range(n):
    acks += e.write(0x39, bytes([0xC0 | w, i >> 8, i & 0xFF]) + b"\xEE" * (i % 17))
print(acks, flush=True)
"""


class Tally:
    """What the bus should have recorded and counted, in the order it happened."""

    def __init__(self):
        self.wire = []                          # sequential writes: (addr7, bytes on the wire)
        self.concurrent = collections.Counter() # the several-masters phase, any order
        self.stats = collections.Counter()

    def write(self, addr7, data, acked, dropped=False, corrupted=False, delayed=False):
        self.stats["writes"] += 1
        self.stats["acked" if acked else "naked"] += 1
        self.stats["dropped"] += dropped
        self.stats["corrupted"] += corrupted
        self.stats["delayed"] += delayed
        self.wire.append((addr7, bytes(data) if acked or dropped else b""))


def main():
    tmp = tempfile.mkdtemp(prefix="satmc-emubus-")
    bus = Bus(tmp, "bus")
    t = Tally()

    def write(ep, addr7, data, **kw):
        ok = ep.write(addr7, data)
        t.write(addr7, data, ok, **kw)
        return ok

    try:
        # ---- ownership, delivery, ACK/NAK ----
        lone = emubus.Endpoint(bus.sock)
        check(not write(lone, OWNER, b"\x01"), "write to an unowned address is NAKed")

        a = emubus.Endpoint(bus.sock, [MASTER])
        b = emubus.Endpoint(bus.sock, [OWNER])
        msg = b"\x18\xc8\x20\x04\x01\xdb hello"
        check(write(a, OWNER, msg), "A -> 0x39 ACKed")
        check(b.recv(1.0) == (OWNER, msg), "A -> 0x39 delivered whole to B")
        big = bytes(range(255))
        check(write(a, OWNER, big) and b.recv(1.0) == (OWNER, big), "255-byte write delivered whole")
        check(write(b, MASTER, b"\x1c\xc4\x72") and a.recv(1.0) == (MASTER, b"\x1c\xc4\x72"),
              "B -> 0x10 ACKed and delivered to A")
        check(a.recv(0.1) is None and b.recv(0.1) is None, "nothing else delivered")

        try:
            emubus.Endpoint(bus.sock, [OWNER])
            refused = False
        except OSError:
            refused = True
        check(refused, "attaching an owned address is refused")
        try:
            emubus.Endpoint(bus.sock, [0x22, OWNER])
            refused = False
        except OSError:
            refused = True
        check(refused and not write(a, 0x22, b"\x01"),
              "a refused attach takes none of its addresses (0x22 still NAKs)")

        # ---- general call ----
        c = emubus.Endpoint(bus.sock, [OTHER])
        gc = b"\x72\x18\x76\x20\x04\x01\xdb"
        check(write(a, 0x00, gc), "general call ACKed")
        check(b.recv(1.0) == (0x00, gc), "general call reaches B")
        check(c.recv(1.0) == (0x00, gc), "general call reaches C")
        check(a.recv(0.1) is None, "general call does not come back to the writer")
        check(lone.recv(0.1) is None, "general call skips an endpoint that owns no address")

        # ---- release on disconnect ----
        b.close()
        # The bus sees B's hang-up when it next polls; until then a write may still be ACKed
        # (and is tallied as such). Tries are counted, not a pause guessed.
        for _ in range(500):
            if not write(a, OWNER, b"\x02"):
                naks_again = True
                break
            time.sleep(0.01)
        else:
            naks_again = False
        check(naks_again, "after B disconnects, 0x39 NAKs again")
        try:
            b = emubus.Endpoint(bus.sock, [OWNER])
            reattached = True
        except OSError:
            reattached = False
        check(reattached, "a new endpoint can attach B's address")
        check(write(a, OWNER, b"\x03") and b.recv(1.0) == (OWNER, b"\x03"), "and receives its writes")

        # ---- several masters at once ----
        writers = [subprocess.Popen([sys.executable, "-c", WRITER_SCRIPT, HARNESS, bus.sock,
                                     str(w), str(PER_WRITER)],
                                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
                   for w in range(WRITERS)]
        # Each says when it is connected (a Python start on a loaded machine takes seconds);
        # then all go at once, and the deliveries are counted until all came or the hang
        # guard ran out, never ended by a quiet pause.
        ready = [p.stdout.readline().strip() for p in writers]
        for p in writers:
            p.stdin.write("go\n")
            p.stdin.flush()
        got = []
        deadline = time.monotonic() + 60
        while len(got) < WRITERS * PER_WRITER and time.monotonic() < deadline:
            if not select.select([b.sock], [], [], max(0.0, deadline - time.monotonic()))[0]:
                break
            pkt = b.sock.recv(512)              # raw and fast: the bus never waits for us
            if pkt and pkt[0] == emubus.DELIVER:
                got.append((pkt[1], pkt[2:]))
        acks = []
        for p in writers:
            out, _ = p.communicate(timeout=20)
            acks.append(int(out.strip() or -1))
        sent = [(OWNER, bytes([0xC0 | w, i >> 8, i & 0xFF]) + b"\xEE" * (i % 17))
                for w in range(WRITERS) for i in range(PER_WRITER)]
        check(ready == ["ready"] * WRITERS and acks == [PER_WRITER] * WRITERS,
              "%d masters: every write ACKed (%s)" % (WRITERS, acks))
        check(len(got) == len(sent), "all %d concurrent writes delivered (got %d)" % (len(sent), len(got)))
        check(collections.Counter(got) == collections.Counter(sent),
              "each delivery is exactly one write: none lost, merged or split")
        in_order = all([d for (_, d) in got if d[0] == 0xC0 | w] ==
                       [d for (_, d) in sent if d[0] == 0xC0 | w] for w in range(WRITERS))
        check(in_order, "each master's writes arrive in its order")
        t.concurrent.update(sent)
        t.stats["writes"] += sum(max(x, 0) for x in acks)
        t.stats["acked"] += sum(max(x, 0) for x in acks)

        # ---- fault rules ----
        a.fault("nak@0x39:n=2")
        r = [write(a, OWNER, bytes([0x10, i])) for i in range(3)]
        check(r == [False, False, True], "nak@0x39:n=2: two NAKs then ACK (%s)" % r)
        check(b.recv(1.0) == (OWNER, b"\x10\x02") and b.recv(0.1) is None,
              "only the ACKed write is delivered")

        a.fault("drop@0x39:n=1")
        check(write(a, OWNER, b"\x11\x00", dropped=True), "drop@0x39:n=1: write ACKed")
        check(b.recv(0.3) is None, "but nothing delivered")
        check(write(a, OWNER, b"\x11\x01") and b.recv(1.0) == (OWNER, b"\x11\x01"),
              "next write delivered")

        a.fault("corrupt@0x39:n=1")
        orig = bytes(range(0x20, 0x30))
        ok = a.write(OWNER, orig)
        got1 = b.recv(1.0)
        data = got1[1] if got1 else b""
        t.write(OWNER, data, ok, corrupted=True)
        flipped = sum(bin(x ^ y).count("1") for x, y in zip(orig, data))
        check(ok and len(data) == len(orig) and flipped == 1,
              "corrupt@0x39:n=1: delivered with exactly one bit flipped (%s)" % data.hex())
        check(write(a, OWNER, orig) and b.recv(1.0) == (OWNER, orig), "next write intact")

        a.fault("delay@0x39:ms=150:n=1")
        a.tag = (a.tag + 1) & 0xFF
        t0 = time.monotonic()
        a.sock.send(bytes([emubus.WRITE, a.tag, OWNER]) + b"\x12\x00")
        time.sleep(0.02)
        # The bus keeps serving others while a write is held back.
        check(write(c, OWNER, b"\x12\x01") and b.recv(1.0) == (OWNER, b"\x12\x01"),
              "another master's write goes through during the delay")
        d = b.recv(2.0)
        t_deliver = time.monotonic() - t0
        pkt = a._await(emubus.WRITTEN, 2.0)
        t_ack = time.monotonic() - t0
        t.write(OWNER, b"\x12\x00", pkt[2] == 0, delayed=True)
        check(d == (OWNER, b"\x12\x00") and 0.15 <= t_deliver < 0.25,
              "delay@0x39:ms=150: delivered after %.0f ms" % (t_deliver * 1000))
        check(pkt[1] == a.tag and pkt[2] == 0 and 0.15 <= t_ack < 0.25,
              "and ACKed after %.0f ms" % (t_ack * 1000))
        # Back-to-back delays: each is held for its own ms, not rounded up to a coarse timer
        # slot (sd-event's default accuracy of 250 ms made every one after the first 250 ms).
        # A coarse slot shows in every delay after the first, the scheduler of a loaded machine
        # in a few: the median is judged, and every one must have been held its 20 ms.
        a.fault("delay@0x39:ms=20:n=5")
        held, ok = [], True
        for i in range(5):
            t0 = time.monotonic()
            ok = write(a, OWNER, bytes([0x12, 0x10 + i]), delayed=True) and ok
            held.append(time.monotonic() - t0)
            ok = ok and b.recv(1.0) == (OWNER, bytes([0x12, 0x10 + i]))
        check(ok and min(held) >= 0.02 and sorted(held)[2] < 0.12,
              "delay@0x39:ms=20:n=5: each held 20 ms, the median under 120 ms (%s)"
              % ["%.0f" % (x * 1000) for x in held])

        bad = ["explode", "drop@0x80", "drop:p=0", "drop:p=1.5", "delay:ms=x", "nak@0x39:q=1",
               "drop@", "drop:n=-1", "drop@0x39:n=1:"]
        accepted = []
        for spec in bad:
            try:
                a.fault(spec)
                accepted.append(spec)
            except OSError:
                pass
        check(not accepted, "bad fault specs refused (accepted: %s)" % accepted)
        a.fault("nak@0x39")
        a.fault("clear")
        check(write(a, OWNER, b"\x13") and b.recv(1.0) == (OWNER, b"\x13"), "clear removes every rule")

        # ---- malformed clients are cut off, others carry on ----
        for pkt, what in ((b"\x09", "unknown type"), (b"\x81\x00", "a bus-only type"),
                          (b"\x02\x01\x39", "an empty write"), (b"\x01\x05", "attach of 0x05"),
                          (b"\x02\x01\x80\x00", "a write to 0x80"), (b"\x04", "an empty fault")):
            s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
            s.connect(bus.sock)
            s.send(pkt)
            check(eof_within(s), "client sending %s (%s) is disconnected" % (pkt.hex(), what))
            s.close()
        check(write(a, OWNER, b"\x14") and b.recv(1.0) == (OWNER, b"\x14"),
              "other endpoints keep working")
        check("malformed packet" in bus.stderr(), "bus reports the malformed packet")

        # ---- satmc-i2c-send ----
        r = send_cli("--socket", bus.sock, "39", "de", "ad", "be", "ef")
        t.write(OWNER, b"\xde\xad\xbe\xef", r.returncode == 0)
        check(r.returncode == 0 and "ACK" in r.stdout, "satmc-i2c-send to owned 0x39: ACK, exit 0 (%d %r)"
              % (r.returncode, r.stdout))
        check(b.recv(1.0) == (OWNER, b"\xde\xad\xbe\xef"), "and the bytes arrive")
        r = send_cli("--socket", bus.sock, "45", "01")
        t.write(0x45, b"\x01", r.returncode == 0)
        check(r.returncode == 1 and "NAK" in r.stdout, "satmc-i2c-send to unowned 0x45: NAK, exit 1 (%d %r)"
              % (r.returncode, r.stdout))
        r = send_cli("--socket", bus.sock, "--fault", "clear")
        check(r.returncode == 0, "satmc-i2c-send --fault clear: exit 0 (%d)" % r.returncode)
        r = send_cli("--socket", bus.sock, "--fault", "bogus")
        check(r.returncode == 1 and "refused" in r.stderr, "satmc-i2c-send --fault bogus: refused, exit 1")
        for args, what in (((), "no arguments"), (("--socket", bus.sock, "39"), "no data byte"),
                           (("--socket", bus.sock, "39", "zz"), "a byte that is not hex"),
                           (("--socket", bus.sock, "80", "01"), "address 0x80"),
                           (("39", "01"), "no --socket"), (("--socket", bus.sock, "--bogus"), "unknown option"),
                           (("--socket", bus.sock, "--ipmb", "72", "06"), "--ipmb without a command")):
            r = send_cli(*args)
            check(r.returncode == 2, "satmc-i2c-send with %s: exit 2 (%d)" % (what, r.returncode))

        # --ipmb: a Python responder at 0x39 answers; the CLI listens on 0x12 (--from 0x24).
        p = subprocess.Popen([SEND, "--socket", bus.sock, "--ipmb", "--from", "24", "--seq", "9",
                              "--timeout", "5000", "72", "06", "01"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        req = b.recv(5.0)
        want_req = emubus.ipmb_request(0x72, 0x06, 0x01, 9, rq_sa=0x24)
        check(req == (OWNER, want_req[1:]), "--ipmb sends a well-formed request: %s"
              % (req[1].hex() if req else None))
        t.write(OWNER, want_req[1:], req is not None)
        head = bytes([0x24, 0x07 << 2])
        body = bytes([0x72, 9 << 2, 0x01, 0x00, 0x23, 0x03, 0x01, 0x42])
        rsp = head + bytes([emubus.checksum(head)]) + body + bytes([emubus.checksum(body)])
        check(write(b, 0x12, rsp[1:]), "the responder's answer is ACKed by the CLI's listener")
        out, err = p.communicate(timeout=10)
        check(p.returncode == 0, "--ipmb exits 0 (%s, %r)" % (p.returncode, err))
        check("  from 0x72 netfn 0x07 (app) cmd 0x01 seq 9 cc 0x00 (ok)" in out.splitlines(),
              "--ipmb prints the decoded cc line: %r" % out)
        check("  data: 23 03 01 42" in out.splitlines(), "--ipmb prints the response data")

        # The request tshark should decode (written by a Python master).
        ipmb_req = emubus.ipmb_request(0x72, 0x06, 0x01, 1)
        check(write(a, OWNER, ipmb_req[1:]) and b.recv(1.0) == (OWNER, ipmb_req[1:]),
              "IPMB Get Device ID request delivered")

        for e in (lone, a, b, c):
            e.close()
    finally:
        rc, stats = bus.stop()

    # ---- exit and stats ----
    check(rc == 0, "bus exits 0 on SIGTERM (got %s)" % rc)
    check(stats is not None, "bus prints its stats line on exit")
    want = {k: t.stats[k] for k in ("writes", "acked", "naked", "dropped", "corrupted", "delayed")}
    check(stats == want, "bus stats %s match what was sent %s" % (stats, want))
    check(not os.path.exists(bus.sock), "bus removes its socket on exit")

    # ---- the capture ----
    hdr, recs = read_pcap(bus.pcap)
    check(hdr["magic"] == 0xa1b23c4d and hdr["version"] == (2, 4) and hdr["linktype"] == 209
          and hdr["trailing"] == 0,
          "pcap header: nanosecond magic, 2.4, LINKTYPE_I2C_LINUX (%s)" % hdr)
    check(all(r["caplen"] == r["len"] == 6 + len(r["data"]) and r["pseudo"] == b"\0" * 5 for r in recs),
          "every record: 5-byte pseudo-header (bus 0, write) + address + data")
    check(all(r["nsec"] < 10**9 for r in recs) and
          all((x["sec"], x["nsec"]) <= (y["sec"], y["nsec"]) for x, y in zip(recs, recs[1:])),
          "timestamps valid and in order")
    check(all(r["addr8"] & 1 == 0 for r in recs), "every record has a write address byte")
    seen = [(r["addr8"] >> 1, r["data"]) for r in recs]
    conc = [x for x in seen if x[0] == OWNER and x[1][:1] and x[1][0] & 0xFC == 0xC0]
    seq = [x for x in seen if not (x[0] == OWNER and x[1][:1] and x[1][0] & 0xFC == 0xC0)]
    check(collections.Counter(conc) == t.concurrent, "pcap holds every concurrent write once")
    check(seq == t.wire, "pcap holds the other %d writes, in order, NAKed ones as address only"
          % len(t.wire))
    if seq != t.wire:
        for i, (x, y) in enumerate(zip(seq, t.wire)):
            if x != y:
                print("      first difference at %d: pcap %s, expected %s" % (i, x, y))
                break

    if shutil.which("tshark"):
        out = subprocess.run(["tshark", "-r", bus.pcap, "-d", "i2c.message,ipmi",
                              "-o", "ipmi.dissect_bus_commands:TRUE"],
                             capture_output=True, text=True, timeout=60).stdout
        check("Req, Get Device ID" in out, "tshark decodes the IPMB request as \"Req, Get Device ID\"")
    else:
        skip("tshark decodes the IPMB request", "tshark not installed")

    # ---- seeded probabilistic faults replay exactly ----
    patterns = {}
    for run, seed in (("seed42a", 42), ("seed42b", 42), ("seed43", 43)):
        sb = Bus(tmp, run, ["--seed", str(seed), "--fault", "drop@0x39:p=0.5"])
        try:
            owner = emubus.Endpoint(sb.sock, [OWNER])
            m = emubus.Endpoint(sb.sock)
            acked = [m.write(OWNER, bytes([0x55, i])) for i in range(64)]
            delivered = set()
            while True:
                f = owner.recv(0.3)
                if f is None:
                    break
                delivered.add(f[1][1])
            patterns[run] = [i not in delivered for i in range(64)]
            check(all(acked), "%s: every write ACKed, dropped or not" % run)
            owner.close()
            m.close()
        finally:
            src, sstats = sb.stop()
        check(src == 0 and sstats and sstats["dropped"] == sum(patterns[run]),
              "%s: bus counted %s drops, %d seen" % (run, sstats and sstats["dropped"], sum(patterns[run])))
        check(patterns[run] == predict_drops(seed, 64, 0.5),
              "%s: drop pattern is the one the seed predicts" % run)
    check(patterns["seed42a"] == patterns["seed42b"], "same seed, same drop pattern")
    check(patterns["seed42a"] != patterns["seed43"], "another seed, another pattern")
    check(16 <= sum(patterns["seed42a"]) <= 48, "p=0.5 drops about half (%d of 64)" % sum(patterns["seed42a"]))

    # ---- bus command line ----
    for args, what in ((["--fault", "bogus"], "a bad --fault"), (["--seed", "x"], "a bad --seed"),
                       (["--fault", "clear"], "--fault clear")):
        r = subprocess.run([BUS, "--socket", os.path.join(tmp, "x.sock"), *args],
                           capture_output=True, text=True, timeout=10)
        check(r.returncode == 2, "satmc-i2c-bus with %s: exit 2 (%d)" % (what, r.returncode))
    r = subprocess.run([BUS], capture_output=True, text=True, timeout=10)
    check(r.returncode == 2, "satmc-i2c-bus without --socket: exit 2")

    shutil.rmtree(tmp, ignore_errors=True)
    finish()


if __name__ == "__main__":
    main()
