#!/usr/bin/env python3
"""A satellite someone else wrote, beside satmcd on one emulated IPMB: OpenIPMI's ipmi_sim runs
its own /dev/ipmb-0 code (lan.conf: ipmb 0 ipmb_dev_int /dev/ipmb-0), put on the bus at 0x74 by
tools/ipmb-dev-shim.c, while satmcd sits at 0x72.

1. The bus's ipmb-dev-int endpoint, byte for byte against drivers/char/ipmi/ipmb_dev_int.c: this
   script re-runs itself with the shim preloaded and opens /dev/ipmb-0 like any program would
   (read/write/poll/O_NONBLOCK, short buffers, hostile lengths, bad checksums).
2. The same requests to both satellites, side by side (Get Device ID, Get Self Test Results, Get
   Device SDR Info, an unknown command, a bad length, a bad chk2): what each answers is printed,
   and what the IPMI spec requires of satmcd is checked.
3. satmc-ipmb-bridge as the BMC at 0x20 reads both in one run through stock ipmitool (mc info,
   fru print, sdr list) with NAKs and corrupted bytes on the bus, while satmcd's threshold
   events still reach the bridge.
Skipped (TAP `1..0 # SKIP` saying why) when ipmi_sim is not installed."""
import errno, os, select, shutil, signal, socket, subprocess, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from satmc_testlib import (Rig, board_from_template, check, emubus, fields, finish,  # noqa: E402
                           ipmitool, sim_state_dir, skip_all, wait_for)

HERE = os.path.dirname(os.path.abspath(__file__))
SIM_DIR = os.path.join(HERE, "ipmi-sim")
SAT, PEER, BRIDGE = 0x72, 0x74, 0x20      # 8-bit IPMB addresses
TESTER = 0x22                             # this script's own endpoint (the bridge owns 0x20)
APP, SE, STORAGE = 0x06, 0x04, 0x0A


def shim_path():
    return os.environ["SATMC_IPMB_DEV_SHIM"]


def frame8(got):
    return bytes([got[0] << 1]) + bytes(got[1])


def set_value(tmp, name, value):
    """A sensor's file, replaced whole: a poll never reads half a number."""
    path = os.path.join(tmp, name)
    with open(path + ".new", "w") as f:
        f.write("%d\n" % value)
    os.rename(path + ".new", path)


class Bridge:
    """satmc-ipmb-bridge as the BMC, ready once it sent READY=1 on our NOTIFY_SOCKET."""

    def __init__(self, rig, name, target, own, extra=()):
        self.sock = os.path.join(rig.dir, name + ".sock")
        self.stderr_path = os.path.join(rig.dir, name + ".stderr")
        self.stderr = open(self.stderr_path, "w+")
        notify_path = os.path.join(rig.dir, name + ".notify")
        notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        notify.bind(notify_path)
        self.proc = subprocess.Popen([os.environ["SATMC_IPMB_BRIDGE"], "--socket", self.sock,
                                      "--target", target, "--own", own, "--bus-socket", rig.sock,
                                      *extra],
                                     env=dict(os.environ, NOTIFY_SOCKET=notify_path),
                                     stderr=self.stderr, stdin=subprocess.DEVNULL)
        notify.settimeout(10)
        try:
            while "READY=1" not in notify.recv(4096).decode().split("\n"):
                pass
        except socket.timeout:
            self.proc.kill()
            raise SystemExit("bridge never sent READY=1:\n" + self.read_stderr())
        finally:
            notify.close()

    def read_stderr(self):
        self.stderr.flush()
        with open(self.stderr_path) as f:
            return f.read()

    def stats(self):
        before = self.read_stderr().count("bridge:")
        self.proc.send_signal(signal.SIGUSR1)
        wait_for(lambda: self.read_stderr().count("bridge:") > before, "bridge stats line")
        line = [l for l in self.read_stderr().splitlines() if l.startswith("bridge:")][-1]
        return {k: int(v) for k, v in (kv.split("=") for kv in line.split()[1:])}

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                return "hung", None
        return self.proc.returncode, None


# ---------------------------------------------------------------------------------------------
# Part 1, in a child process with the shim preloaded: the device ABI.

def abi_child(bus):
    """Runs with LD_PRELOAD=shim, SATMC_IPMB_DEV_BUS=bus. Our device is 7-bit 0x3b (IPMB 0x76)."""
    os.environ["SATMC_IPMB_DEV_ADDR"] = "0x3b"
    bmc = emubus.Endpoint(bus, [0x12])                  # a BMC at 8-bit 0x24
    fd = os.open("/dev/ipmb-0", os.O_RDWR | os.O_NONBLOCK)
    check(fd >= 0, "open(/dev/ipmb-0) through the shim attaches at 0x3b")
    try:
        os.open("/dev/ipmb-3", os.O_RDWR)
        check(False, "a second device at the same address is refused")
    except OSError as e:
        check(e.errno == errno.EADDRINUSE, "a second device at the same address: EADDRINUSE")

    def read_msg(timeout=2.0, size=256):
        if not select.select([fd], [], [], timeout)[0]:
            return None
        return os.read(fd, size)

    def empty():
        try:
            os.read(fd, 256)
            return False
        except BlockingIOError:
            return True

    p = select.poll()
    p.register(fd, select.POLLIN | select.POLLOUT)
    ev = dict(p.poll(0)).get(fd, 0)
    check(ev & select.POLLOUT and not ev & select.POLLIN, "poll: POLLOUT always, no POLLIN when empty")
    check(empty(), "O_NONBLOCK read with nothing queued: EAGAIN")

    req = emubus.ipmb_request(0x76, APP, 0x01, seq=5, rq_sa=0x24)
    check(bmc.write(0x3b, req[1:]), "a request to the device is ACKed")
    msg = read_msg()
    check(msg == bytes([len(req)]) + req,
          "read() gives [len][own addr][netFn/LUN][chk1][rqSA][seq][cmd][chk2] exactly (%s)"
          % (msg.hex() if msg else None))
    ev = dict(p.poll(0)).get(fd, 0)
    check(not ev & select.POLLIN, "poll: no POLLIN once read")

    # A short read buffer truncates the message, and the rest of it is gone (count = min).
    bmc.write(0x3b, req[1:])
    bmc.write(0x3b, emubus.ipmb_request(0x76, APP, 0x04, seq=6, rq_sa=0x24)[1:])
    wait_for(lambda: dict(p.poll(0)).get(fd, 0) & select.POLLIN, "POLLIN")
    check(dict(p.poll(0)).get(fd, 0) & select.POLLIN, "poll: POLLIN when a message is queued")
    part = os.read(fd, 4)
    check(part == (bytes([len(req)]) + req)[:4], "read() of 4 bytes: the message's first 4")
    nxt = read_msg()
    check(nxt is not None and nxt[6] == 0x04, "the rest of a truncated message is discarded")

    # What the driver drops, ACKed on the wire all the same (its slave callback never NAKs).
    bad1 = bytearray(req)
    bad1[2] ^= 0x01
    check(bmc.write(0x3b, bytes(bad1[1:])) and read_msg(0.3) is None,
          "bad chk1: ACKed, not queued (the driver checks chk1)")
    bad2 = bytearray(req)
    bad2[-1] ^= 0xFF
    bmc.write(0x3b, bytes(bad2[1:]))
    got = read_msg()
    check(got == bytes([len(req)]) + bytes(bad2), "bad chk2: queued as is (the driver does not check chk2)")
    check(bmc.write(0x3b, req[1:6]) and read_msg(0.3) is None,
          "5 bytes after the address: ACKed, not queued (fewer than 7 with the address)")
    got = (bmc.write(0x3b, req[1:7]), read_msg())
    check(got[0] and got[1] is not None and got[1][0] == 7, "6 bytes after the address: queued, len 7")
    longest = req[1:3] + bytes(range(250))
    bmc.write(0x3b, longest[:255])
    got = read_msg()
    check(got is not None and len(got) == 239 and got[0] == 238 and got[2:] == longest[:237],
          "255 bytes received: cut to the driver's 237, read() returns 239")
    gc = emubus.ipmb_request(0x76, APP, 0x01, seq=7, rq_sa=0x24)
    bmc.write(0, gc)
    check(read_msg(0.3) is None, "a general call does not reach an ipmb-dev-int device")

    # write(): one message, [len][rqSA]...; what goes on the wire is everything after rqSA.
    head = bytes([0x24, (APP + 1) << 2])
    body = bytes([0x76, 5 << 2, 0x01, 0x00, 0x23])
    rsp = head + bytes([emubus.checksum(head)]) + body + bytes([emubus.checksum(body)])
    n = os.write(fd, bytes([len(rsp)]) + rsp)
    got = bmc.recv(2.0)
    check(n == len(rsp) + 1 and got is not None and frame8(got) == rsp,
          "write() returns the count and the bus carries rsp[1:] to 0x24 (%r)" % (n,))
    odd = bytes([len(rsp), 0x25]) + rsp[1:]
    os.write(fd, odd)
    got = bmc.recv(2.0)
    check(got is not None and got[0] == 0x12, "write() to rqSA 0x25: bit 0 dropped, goes to 0x24")

    def write_errno(buf):
        try:
            os.write(fd, buf)
            return 0
        except OSError as e:
            return e.errno

    msg = bytes([len(rsp)]) + rsp
    check(write_errno(bytes([10]) + bytes(240)) == errno.EINVAL, "write() of 241 bytes: EINVAL")
    check(write_errno(msg[:-2]) == errno.EINVAL, "write() shorter than its len byte: EINVAL")
    check(write_errno(b"") == errno.EINVAL, "write() of 0 bytes: EINVAL")
    check(write_errno(bytes([0, 0x24, 0x1C])) == errno.EINVAL, "write() with len byte 0: EINVAL")
    check(write_errno(bytes([1, 0x24, 0x1C])) == errno.EINVAL, "write() with len byte 1: EINVAL")
    check(write_errno(msg[:-1]) == 0, "write() of exactly len bytes (chk2 left out): accepted")
    got = bmc.recv(2.0)
    check(got is not None and frame8(got) == rsp[:-1] + b"\x00",
          "... and the missing last byte goes out as 0")
    lost = bytes([len(rsp), 0x50]) + rsp[1:]
    check(write_errno(lost) == errno.ENXIO, "write() to an address nobody owns: ENXIO")
    os.close(fd)
    fd2 = os.open("/dev/ipmb-0", os.O_RDWR)
    check(fd2 >= 0, "after close() the address is free again")
    os.close(fd2)

    # SMBus mode (no i2c-protocol property): a block write, command byte netFn, then a count.
    os.environ["SATMC_IPMB_DEV_MODE"] = "smbus"
    fd3 = os.open("/dev/ipmb-1", os.O_RDWR)
    os.write(fd3, msg)
    got = bmc.recv(2.0)
    check(got is not None and bytes(got[1]) == bytes([rsp[1], len(rsp) - 2]) + rsp[2:],
          "SMBus mode: the wire carries netFn, a byte count, then chk1.. (a satellite's chk1 "
          "check then fails: boards need i2c-protocol)")
    os.close(fd3)
    bmc.close()
    finish()


# ---------------------------------------------------------------------------------------------
# Parts 2 and 3.

def raw_bus_checks(rig):
    """The bus's side of the ABI without the shim: hostile packets from a raw client."""
    def conn():
        c = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        c.connect(rig.sock)
        c.settimeout(2)
        return c

    w = conn()
    # Too long for the driver, and shorter than its own length byte (3 bytes saying 5).
    for size, lenbyte, want in ((241, 240, errno.EINVAL), (255, 254, errno.EINVAL),
                                (3, 5, errno.EINVAL)):
        buf = bytes([lenbyte, 0x20]) + bytes(size - 2)
        w.send(bytes([0x06, size & 0xFF, 0]) + buf)
        r = w.recv(16)
        check(r == bytes([0x86, size & 0xFF, want]),
              "DEVWRITE of %d bytes: DEVWRITTEN %s (%s)" % (size, errno.errorcode[want], r.hex()))
    w.send(bytes([0x06, 9, 0]) + bytes([7, 0x20, 0x18, 0xC8, 0x76, 0x04, 0x01, 0xDB]))
    check(w.recv(16) == bytes([0x86, 9, errno.ENXIO]), "DEVWRITE to 0x20, nobody there: ENXIO")

    d = conn()
    d.send(bytes([0x05, 0x3c, 0]))
    check(d.recv(16) == bytes([0x85, 0]), "IPMBDEV at 0x3c: accepted")
    d2 = conn()
    d2.send(bytes([0x05, 0x3c, 0]))
    check(d2.recv(16) == bytes([0x85, errno.EADDRINUSE]), "IPMBDEV at an owned address: EADDRINUSE")
    d2.close()
    # Hostile write() buffers on the device connection itself: judged and dropped, no reply,
    # the bus and the device stay up.
    for junk in (b"", b"\x00", bytes(300), bytes([200]) + bytes(10), bytes([0xFF] * 241)):
        if junk:
            d.send(junk)
    bmc = emubus.Endpoint(rig.sock, [0x13])
    req = emubus.ipmb_request(0x78, APP, 0x01, seq=3, rq_sa=0x26)
    check(bmc.write(0x3c, req[1:]), "after hostile writes the device still owns 0x3c")
    check(d.recv(300) == bytes([len(req)]) + req, "... and reads the next request whole")
    # A device that never reads: the driver ACKs and drops past 256 unread messages, it never
    # NAKs. The bus ACKs every write too and keeps at most 256 beyond what the socket holds.
    n = 2000
    acked = sum(bmc.write(0x3c, req[1:]) for _ in range(n))
    d.setblocking(False)
    queued = 0
    while True:
        try:
            d.recv(300)
            queued += 1
        except BlockingIOError:
            break
    check(acked == n and 256 <= queued < n,
          "a device that does not read: %d of %d writes ACKed, %d read back, the rest dropped"
          % (acked, n, queued))
    d.setblocking(True)
    bad = conn()
    bad.send(bytes([0x05, 0x78, 0]))
    try:
        gone = bad.recv(16) == b""
    except OSError:
        gone = True
    check(gone, "IPMBDEV at 0x78 (reserved): the bus closes that connection")
    for c in (bad, d, w):
        c.close()
    bmc.close()


def start_ipmi_sim(rig, env_extra=None):
    state = sim_state_dir(rig.dir)
    log = open(os.path.join(rig.dir, "ipmi-sim.log"), "w")
    env = dict(os.environ, LD_PRELOAD=shim_path(), SATMC_IPMB_DEV_BUS=rig.sock,
               SATMC_IPMB_DEV_ADDR="0x%02x" % (PEER >> 1), **(env_extra or {}))
    return subprocess.Popen(["ipmi_sim", "-c", os.path.join(SIM_DIR, "lan.conf"),
                             "-f", os.path.join(SIM_DIR, "sim.emu"), "-s", state, "-n"],
                            env=env, cwd=state, stdout=log, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL)


class Tester:
    """Raw IPMB requests from 0x22 to either satellite."""

    def __init__(self, rig):
        self.ep = emubus.Endpoint(rig.sock, [TESTER >> 1])
        self.seq = 0

    def raw(self, rs_sa, frame, timeout=1.0):
        """Write the whole frame (rsSA first); the response frame, or None."""
        if not self.ep.write(rs_sa >> 1, frame[1:]):
            return None
        got = self.ep.recv(timeout)
        return frame8(got) if got else None

    def request(self, rs_sa, netfn, cmd, data=b"", timeout=1.0):
        self.seq = (self.seq + 1) & 0x3F
        return self.raw(rs_sa, emubus.ipmb_request(rs_sa, netfn, cmd, self.seq, data, rq_sa=TESTER),
                        timeout)


def describe(rsp):
    if rsp is None:
        return "no answer"
    r = emubus.ipmb_parse_response(rsp)
    return "cc 0x%02x %s" % (r["cc"], r["data"].hex(" ") or "-")


def side_by_side(t):
    """The same requests to satmcd and ipmi_sim; print both answers; check satmcd against the
    spec and that ipmi_sim answers in well-formed frames. Returns {name: (sat, peer)}."""
    bad_chk2 = lambda sa: emubus.ipmb_request(sa, APP, 0x01, 40, rq_sa=TESTER)[:-1] + b"\x00"  # noqa
    cases = [
        ("Get Device ID", lambda sa: t.request(sa, APP, 0x01)),
        ("Get Self Test Results", lambda sa: t.request(sa, APP, 0x04)),
        ("Get Device SDR Info", lambda sa: t.request(sa, SE, 0x20)),
        ("Get Device SDR Info (count)", lambda sa: t.request(sa, SE, 0x20, b"\x01")),
        ("Reserve Device SDR Repository", lambda sa: t.request(sa, SE, 0x22)),
        ("unknown command App 0x77", lambda sa: t.request(sa, APP, 0x77)),
        ("unknown netFn 0x30", lambda sa: t.request(sa, 0x30, 0x01)),
        ("Get Device ID + 1 extra byte", lambda sa: t.request(sa, APP, 0x01, b"\x00")),
        ("Get Sensor Reading, no data", lambda sa: t.request(sa, SE, 0x2D)),
        ("Read FRU Data, 2 of 4 bytes", lambda sa: t.request(sa, STORAGE, 0x11, b"\x00\x00")),
        ("bad chk2", lambda sa: t.raw(sa, bad_chk2(sa), timeout=0.5)),
    ]
    out = {}
    print("side by side, same bytes to satmcd (0x72) and ipmi_sim (0x74):")
    for name, fn in cases:
        a, b = fn(SAT), fn(PEER)
        out[name] = (a, b)
        print("  %-32s satmcd: %-40s ipmi_sim: %s" % (name, describe(a)[:40], describe(b)[:60]))
    for name, (a, b) in out.items():
        for who, rsp in (("satmcd", a), ("ipmi_sim", b)):
            if rsp is not None:
                r = emubus.ipmb_parse_response(rsp)
                check(r["chk1_ok"] and r["chk2_ok"] and r["rq_sa"] == TESTER,
                      "%s: %s answered in a well-formed frame" % (who, name))
    cc = lambda rsp: rsp and emubus.ipmb_parse_response(rsp)["cc"]  # noqa: E731
    data = lambda rsp: rsp and emubus.ipmb_parse_response(rsp)["data"]  # noqa: E731
    s, p = out["Get Device ID"]
    check(cc(s) == 0 and cc(p) == 0 and data(p)[0] == 0x23 and data(s)[0] == 0x23,
          "Get Device ID: both answer, device ID 0x23")
    check(data(s)[1] & 0x80 and data(p)[1] & 0x80, "Get Device ID: both provide device SDRs (bit 7)")
    s, p = out["Get Self Test Results"]
    check(cc(s) == 0 and data(s) == b"\x55\x00", "Get Self Test Results (mandatory): satmcd 55 00")
    check(cc(p) == 0xC1, "Get Self Test Results: ipmi_sim 2.0.33 answers 0xC1 (recorded)")
    s, p = out["Get Device SDR Info"]
    check(cc(s) == 0 and cc(p) == 0, "Get Device SDR Info: both answer")
    s, p = out["Reserve Device SDR Repository"]
    check(cc(s) == 0 and cc(p) == 0xC1,
          "Reserve Device SDR Repository: satmcd reserves, ipmi_sim 0xC1 (recorded)")
    s, p = out["unknown command App 0x77"]
    check(cc(s) == 0xC1 and cc(p) == 0xC1, "unknown command: 0xC1 from both")
    s, p = out["unknown netFn 0x30"]
    check(cc(s) == 0xC1, "unknown netFn: satmcd 0xC1")
    check(cc(p) == 0xC7, "unknown netFn: ipmi_sim 0xC7 (recorded; the spec's answer is 0xC1)")
    check(cc(out["Get Device ID + 1 extra byte"][1]) == 0,
          "Get Device ID with a data byte: ipmi_sim ignores it, 0x00 (recorded)")
    check(out["bad chk2"][1] is None, "bad chk2: ipmi_sim drops the request too")
    s, p = out["Get Device ID + 1 extra byte"]
    check(cc(s) == 0xC7, "Get Device ID with a data byte: satmcd 0xC7 (request length invalid)")
    s, p = out["Get Sensor Reading, no data"]
    check(cc(s) == 0xC7, "Get Sensor Reading without its sensor number: satmcd 0xC7")
    s, p = out["Read FRU Data, 2 of 4 bytes"]
    check(cc(s) == 0xC7, "Read FRU Data, 2 of 4 bytes: satmcd 0xC7")
    s, p = out["bad chk2"]
    check(s is None, "bad chk2: satmcd drops the request (no answer)")
    return out


def main():
    if shutil.which("ipmi_sim") is None:
        skip_all("ipmi_sim not installed (apt-get install openipmi): the peer test needs it")
    shim = shim_path()
    if not os.path.exists(shim):
        skip_all("%s not built" % shim)

    tmp, config = board_from_template("board-peer.ini", "satmc-peer-")
    os.makedirs(os.path.join(tmp, "state"))
    set_value(tmp, "temp1_input", 25000)
    set_value(tmp, "fan1_input", 5000)
    set_value(tmp, "psu_present", 1)
    rig = Rig(config, bmc_addr7=0x11)       # the rig's own endpoint at 0x22 is not used
    rig.bmc.close()
    sim = bridge = None
    try:
        # ---- 1: the device ABI, from a program that opens /dev/ipmb-N ----
        child = subprocess.run([sys.executable, __file__, "--abi", rig.sock],
                               env=dict(os.environ, LD_PRELOAD=shim, SATMC_IPMB_DEV_BUS=rig.sock),
                               capture_output=True, text=True, timeout=60)
        sys.stdout.write(child.stdout)
        sys.stdout.write(child.stderr)
        # The child speaks TAP too: a plan of at least one point, none of them "not ok".
        lines = child.stdout.splitlines()
        failed = sum(1 for l in lines if l.startswith("not ok"))
        planned = any(l.startswith("1..") and l != "1..0" for l in lines)
        check(child.returncode == 0 and planned and failed == 0,
              "ipmb-dev-int ABI checks (above) all passed (%d failed)" % failed)

        raw_bus_checks(rig)

        # ---- 2: ipmi_sim at 0x74 beside satmcd at 0x72 ----
        sim = start_ipmi_sim(rig)
        t = Tester(rig)
        wait_for(lambda: t.request(PEER, APP, 0x01, timeout=0.2) is not None, "ipmi_sim answering")
        side_by_side(t)
        t.ep.close()

        # ---- 3: one BMC reads both, with faults on ----
        bridge = Bridge(rig, "bmc", "0x%02x" % SAT, "0x%02x" % BRIDGE,
                        extra=["--route", "0x%02x=%s" % (PEER, os.path.join(rig.dir, "bmc-peer.sock"))])
        peer_sock = os.path.join(rig.dir, "bmc-peer.sock")
        check(os.path.exists(peer_sock), "bridge: one more socket for --route 0x74")
        ctl = emubus.Endpoint(rig.sock)
        # NAKs and flipped bits on every write, both ways: requests, responses and events.
        # Every party checks both checksums (ipmi_sim drops a bad chk2, see above).
        for spec in ("nak:p=0.06", "corrupt:p=0.06"):
            ctl.fault(spec)

        for sock, who, devid, mfg in ((bridge.sock, "satmcd", "35", "Example Networks"),
                                      (peer_sock, "ipmi_sim", "35", "OpenIPMI")):
            r = ipmitool(sock, "mc", "info")
            f = fields(r.stdout)
            check(r.returncode == 0 and f.get("Device ID") == devid,
                  "%s through the bridge: mc info (Device ID %s)" % (who, f.get("Device ID")))
            r = ipmitool(sock, "fru", "print", "0")
            check(r.returncode == 0 and fields(r.stdout).get("Board Mfg") == mfg,
                  "%s through the bridge: fru print 0 (Board Mfg %r)" % (who, fields(r.stdout).get("Board Mfg")))
        r = ipmitool(peer_sock, "sdr", "list")
        check(r.returncode == 0 and "Peer Temp" in r.stdout and "40 degrees C" in r.stdout,
              "ipmi_sim through the bridge: sdr list (%s)" % r.stdout.strip().replace("\n", "; "))
        r = ipmitool(bridge.sock, "sdr", "list")
        check(r.returncode == 0 and "Board Temp" in r.stdout and "degrees C" in r.stdout,
              "satmcd through the bridge: sdr list (%s)" % r.stdout.strip().replace("\n", "; "))

        # satmcd's threshold event reaches the BMC (the bridge prints it) while both are read.
        set_value(tmp, "temp1_input", 70000)
        wait_for(lambda: "event from 0x72: sensor 1 " in bridge.read_stderr(), "event at the bridge")
        ev = [l for l in bridge.read_stderr().splitlines() if l.startswith("event from 0x72: sensor 1 ")]
        # Upper non-critical going high: threshold event type 0x01, offset 7.
        check(ev and "assertion, event type 0x01 offset 7" in ev[0] and
              ": temperature, upper non-critical going high asserted, reading 0x" in ev[0],
              "satmcd's threshold event reached the bridge: %s" % ev[:1])
        r = ipmitool(peer_sock, "mc", "info")
        check(r.returncode == 0, "ipmi_sim still answers after the event")

        st = bridge.stats()
        check(st["retries"] > 0 and st["timeouts"] == 0,
              "bridge: faults were felt (%d retries) and nothing timed out (%s)" % (st["retries"], st))
        ctl.fault("clear")
        ctl.close()
        rc, _ = bridge.stop()
        check(rc == 0, "bridge exits 0 on SIGTERM")
        bridge = None
        sim.send_signal(signal.SIGTERM)
        sim.wait(10)
        sim = None
    finally:
        if bridge:
            bridge.stop()
        if sim and sim.poll() is None:
            sim.kill()
            sim.wait()
        rc = rig.stop()
        print(open(os.path.join(rig.dir, "ipmi-sim.log")).read()[-2000:]
              if os.path.exists(os.path.join(rig.dir, "ipmi-sim.log")) else "")
    check(rc == 0, "satmcd exits 0")
    finish()


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--abi":
        abi_child(sys.argv[2])
    else:
        main()
