#!/usr/bin/env python3
"""What bench/mem-soak.py found, kept from regressing (docs/performance.md, "Memory and
start-up"): a satmcd without TLS maps no GnuTLS (common/gnutls-lazy.h: linked, libgnutls and its
eleven libraries cost every satmcd about 2 MiB of PSS and 250 KiB of anonymous memory), and one
with TLS on its NBD socket opens it at start and serves TLS with it. The memory figures
themselves are the benchmark's: they depend on the libraries and the build, not on satmcd alone.

Checks, each with satmcd on the emulated bus and its NBD and ipmitool sockets:
  - board-test.ini (NBD plain): no libgnutls in /proc/PID/maps after READY=1, nor after an NBD
    client came and went; one malloc arena (no 64 MiB arena reservation for the sensor thread);
    what the first 30 NBD and ipmitool-socket sessions cost satmcd's anonymous memory (its
    per-client buffers, sd-event's first timers, deeper stack), at most 20 KiB; and it stays
    flat: after that warm-up, 300 more NBD and 300 more ipmitool-socket sessions (connect, one
    request, leave) leave satmcd's anonymous memory within 8 KiB of where it was (a session
    keeps nothing, and its buffers come back to where the last one's were); then, after a
    first reload, 20 more (SIGHUP, READY=1 again) leave it within 12 KiB: a reload that kept the configuration it
    parsed or replaced (an anonymous mapping, which LeakSanitizer does not see) would add about
    88 KiB each (tried: 416 -> 2176 KiB); not under ASan or valgrind, whose allocators and
    shadow memory are not satmcd's;
  - the same with [nbd] socket-tls = require and a PSK file: libgnutls mapped after READY=1."""
import os, signal, socket, struct, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from satmc_testlib import Rig, check, finish, ipmitool_dummy_structs, skip  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
CONFIG = os.path.join(HERE, "board-test.ini")
IHAVEOPT, REPMAGIC = 0x49484156454F5054, 0x3e889045565a9
NBD_OPT_LIST = 3


def maps(pid):
    return open("/proc/%d/maps" % pid).read()


def gnutls_mapped(pid):
    return "libgnutls" in maps(pid)


def arena_reservations(pid):
    """64 MiB-aligned PROT_NONE reservations glibc makes for a thread's own malloc arena."""
    n = 0
    for line in maps(pid).splitlines():
        addr, perms = line.split()[:2]
        lo, hi = (int(x, 16) for x in addr.split("-"))
        if perms == "---p" and hi % (64 << 20) == 0 and hi - lo > (1 << 20):
            n += 1
    return n


def nbd_list(path):
    """A plain NBD client: greeting, NBD_OPT_LIST, the replies up to the final one; the
    final reply's type."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(30)
    s.connect(path)

    def recv(n):
        buf = b""
        while len(buf) < n:
            chunk = s.recv(n - len(buf))
            if not chunk:
                raise EOFError("server closed")
            buf += chunk
        return buf
    recv(18)
    s.sendall(struct.pack(">I", 3) + struct.pack(">QII", IHAVEOPT, NBD_OPT_LIST, 0))
    while True:
        magic, _, typ, n = struct.unpack(">QIII", recv(20))
        recv(n)
        if magic != REPMAGIC or typ != 2:       # NBD_REP_SERVER until the final one
            s.close()
            return typ


def rss_anon(pid):
    for line in open("/proc/%d/status" % pid):
        if line.startswith("RssAnon:"):
            return int(line.split()[1])
    raise ValueError("no RssAnon in /proc/%d/status" % pid)


def dummy_get_device_id(path):
    """One ipmitool-socket session: connect, Get Device ID, leave; its completion code."""
    rq, rs = ipmitool_dummy_structs()
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(30)
    s.connect(path)
    s.sendall(rq.pack(0x06, 0, 0x01, 0, 0, 0))
    buf = b""
    while len(buf) < rs.size:
        chunk = s.recv(rs.size - len(buf))
        if not chunk:
            raise EOFError("server closed")
        buf += chunk
    cc = rs.unpack(buf)[4]
    s.close()
    return cc


def sessions(rig, n):
    """n NBD and n ipmitool-socket sessions, alternating; True if every one was answered."""
    ok = True
    for _ in range(n):
        ok &= nbd_list(rig.nbd_sock) == 1
        ok &= dummy_get_device_id(rig.ipmitool_sock) == 0
    return ok


def reloads(rig, n):
    """n configuration reloads, each waited for (READY=1 after RELOADING=1)."""
    for _ in range(n):
        rig.drain_notify()
        rig.satmcd.send_signal(signal.SIGHUP)
        rig.wait_notify("READY=1")


def main():
    rig = Rig(CONFIG)
    try:
        pid = rig.satmcd.pid
        ready = rss_anon(pid)
        check(not gnutls_mapped(pid), "without TLS, satmcd maps no libgnutls after READY=1")
        check(nbd_list(rig.nbd_sock) == 1, "a plain NBD client lists the exports (NBD_REP_ACK)")
        check(not gnutls_mapped(pid), "nor after a plain NBD client came and went")
        if os.environ.get("ASAN_OPTIONS"):
            # ASan's allocator replaces glibc's: no arenas, mallopt() has nothing to set.
            skip("one malloc arena", "satmcd runs under AddressSanitizer's allocator")
        else:
            check(arena_reservations(pid) == 0,
                  "one malloc arena: no 64 MiB reservation for the sensor thread's own")
        if os.environ.get("ASAN_OPTIONS") or os.environ.get("SATMCD_WRAPPER"):
            skip("anonymous memory flat over client sessions",
                 "satmcd runs under AddressSanitizer or valgrind, not glibc's allocator alone")
        else:
            warm = sessions(rig, 30)
            before = rss_anon(pid)
            check(warm and before - ready <= 20,
                  "the first clients' sessions cost satmcd %d KiB of anonymous memory (at most "
                  "20: buffers that grow with need, 16 KiB NBD buffers cost 48)"
                  % (before - ready))
            ok = sessions(rig, 300)
            after = rss_anon(pid)
            check(warm and ok and after - before <= 8,
                  "300 NBD and 300 ipmitool-socket sessions after a warm-up: anonymous memory "
                  "%d -> %d KiB (at most +8)" % (before, after))
            reloads(rig, 1)             # warm-up: under qemu-user, its translated code
            before = rss_anon(pid)
            reloads(rig, 20)
            after = rss_anon(pid)
            check(after - before <= 12,
                  "20 configuration reloads after a first one: anonymous memory %d -> %d KiB "
                  "(at most +12)" % (before, after))
    finally:
        rig.stop()

    tls_dir = rig.dir + "-tls"
    os.makedirs(tls_dir)
    psk = os.path.join(tls_dir, "keys.psk")
    fd = os.open(psk, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.write(fd, b"bmc:" + os.urandom(32).hex().encode() + b"\n")
    os.close(fd)
    config = os.path.join(tls_dir, "board.ini")
    with open(config, "w") as f:
        f.write(open(CONFIG).read() + "\n[nbd]\nsocket-tls = require\ntls-psk-file = %s\n" % psk)
    rig = Rig(config)
    try:
        check(gnutls_mapped(rig.satmcd.pid),
              "with socket-tls = require, satmcd has opened libgnutls by READY=1")
    finally:
        rig.stop()
    finish()


if __name__ == "__main__":
    main()
