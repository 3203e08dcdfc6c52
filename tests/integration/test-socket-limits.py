#!/usr/bin/env python3
"""Nobody locks anyone out of satmcd's sockets, with real clients (adversarial suite):

- clients holding half an ipmitool request in every slot are closed at [ipmitool]
  request-timeout-ms, and stock ipmitool through satmc-ipmitool works again;
- silent TCP NBD connections beyond the TCP limit do not lock out a UNIX client (nbdinfo works
  at once), and are closed at [nbd] handshake-timeout-ms, after which TCP works again;
- a slowloris NBD client (one byte a second) is closed at the handshake timeout, counted from
  its connection;
- under umask 000 satmcd's sockets (and satmc-ipmb-bridge's) are 0660;
- a regular file at a socket path is not deleted: satmcd and the bridge refuse with a message
  naming the path;
- satmc-ipmb-bridge closes a half-sent request at its --request-timeout-ms.

SATMC_SOAK=1 scales the counts up (scripts/soak.sh); the CI form runs in seconds. Waits are
bounded by a multiple of the timeout under test, never judged by wall-clock speed; the only
time assertion is a lower bound (nothing was closed before its timeout)."""
import os, re, signal, socket, stat, struct, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from satmc_testlib import (Rig, check, finish, ipmitool, ipmitool_dummy_structs,  # noqa: E402
                           wait_for)

HERE = os.path.dirname(os.path.abspath(__file__))
CONFIG = os.path.join(HERE, "board-test.ini")
SOAK = os.environ.get("SATMC_SOAK") == "1"
SLOW = bool(os.environ.get("SATMCD_WRAPPER"))

IPMI_TIMEOUT_MS = 1000          # [ipmitool] request-timeout-ms under test
NBD_TIMEOUT_MS = 2000           # [nbd] handshake-timeout-ms under test
MAX_CLIENTS = 16                # the default, for both servers and both NBD listeners
HALF_CLIENTS = 200 if SOAK else MAX_CLIENTS + 4         # half-header ipmitool clients per round
IPMI_ROUNDS = 20 if SOAK else 1
TCP_FLOOD = 200 if SOAK else MAX_CLIENTS + 4            # silent TCP NBD connections
SLOWLORIS = 8 if SOAK else 1                            # slowloris NBD clients at once
RQ = ipmitool_dummy_structs()[0]  # ipmitool 1.8.19's dummy request header on satmcd's ABI


def bound(timeout_ms):
    """How long to wait for something due at timeout_ms: generous, and a multiple of it."""
    return (timeout_ms / 1000.0) * (20 if SLOW else 5) + 10


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def config_with(tmp, extra):
    cfg = os.path.join(tmp, "board.ini")
    with open(CONFIG) as src, open(cfg, "w") as dst:
        dst.write(src.read() + "\n" + extra)
    return cfg


def stats_lines(rig):
    """SIGUSR1, then the newest ipmitool-socket / nbd-unix / nbd-tcp lines as dicts."""
    rig.counters()
    out = {}
    for line in rig.read_stderr().splitlines():
        m = re.match(r"(ipmitool-socket|nbd-unix|nbd-tcp): (.*)", line)
        if m:
            out[m.group(1)] = {k: int(v) for k, v in (kv.split("=") for kv in m.group(2).split())}
    return out


def closed(s):
    """True once the peer closed s (reads off anything before the end of file)."""
    try:
        while True:
            b = s.recv(4096)
            if not b:
                return True
    except (BlockingIOError, socket.timeout):
        return False
    except (ConnectionResetError, BrokenPipeError):
        return True


def wait_all_closed(socks, timeout_ms, what):
    for s in socks:
        s.setblocking(False)
    deadline = time.monotonic() + bound(timeout_ms)
    left = list(socks)
    while left and time.monotonic() < deadline:
        left = [s for s in left if not closed(s)]
        time.sleep(0.05)
    return not left


def sock_mode(path):
    st = os.lstat(path)
    return stat.S_ISSOCK(st.st_mode), stat.S_IMODE(st.st_mode)


def satmc_ipmitool(sock):
    return subprocess.run(["timeout", "60" if SLOW else "20", os.environ["SATMC_IPMITOOL"],
                           "-S", sock, "mc", "info"], capture_output=True, text=True,
                          stdin=subprocess.DEVNULL)


def nbdinfo(uri):
    return subprocess.run(["timeout", "60" if SLOW else "20", "nbdinfo", "--list", uri],
                          capture_output=True, text=True, stdin=subprocess.DEVNULL)


def half_header_clients(path, n):
    """n connections that each send 5 bytes of a 16-byte request header and stop."""
    out = []
    for _ in range(n):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(path)
        try:
            s.sendall(RQ.pack(0x06, 0, 0x01, 0, 0, 0)[:5])
        except OSError:
            pass        # refused already: closed before we wrote
        out.append(s)
    return out


def ipmitool_lockout(rig):
    print("ipmitool: %d rounds of %d half-header clients, request-timeout %d ms"
          % (IPMI_ROUNDS, HALF_CLIENTS, IPMI_TIMEOUT_MS), flush=True)
    for rnd in range(IPMI_ROUNDS):
        start = time.monotonic()
        socks = half_header_clients(rig.ipmitool_sock, HALF_CLIENTS)
        # Every slot is mid-request now: a newcomer is refused (accepted and closed).
        probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        probe.connect(rig.ipmitool_sock)
        refused = wait_all_closed([probe], 0, "refused newcomer")
        all_gone = wait_all_closed(socks, IPMI_TIMEOUT_MS, "half-header clients")
        took = time.monotonic() - start
        check(refused, "round %d: with %d slots held by half requests a newcomer is refused"
              % (rnd, MAX_CLIENTS))
        check(all_gone, "round %d: all %d half-header clients closed by satmcd (%.1f s, "
              "timeout %d ms)" % (rnd, HALF_CLIENTS, took, IPMI_TIMEOUT_MS))
        check(took >= IPMI_TIMEOUT_MS / 1000.0, "round %d: not before the timeout" % rnd)
        r = satmc_ipmitool(rig.ipmitool_sock)
        check(r.returncode == 0 and "Device ID" in r.stdout,
              "round %d: satmc-ipmitool mc info works afterwards (rc %d%s)"
              % (rnd, r.returncode, ("; " + r.stderr.strip()) if r.returncode else ""))
        for s in socks + [probe]:
            s.close()
    st = stats_lines(rig).get("ipmitool-socket", {})
    check(st.get("timeouts", 0) >= MAX_CLIENTS * IPMI_ROUNDS,
          "stats line counts timeouts=%s (>= %d)" % (st.get("timeouts"), MAX_CLIENTS * IPMI_ROUNDS))
    check(st.get("refused", 0) >= (HALF_CLIENTS - MAX_CLIENTS + 1) * IPMI_ROUNDS,
          "stats line counts refused=%s" % st.get("refused"))


def nbd_tcp_flood(rig, port):
    print("nbd: %d silent TCP connections, handshake-timeout %d ms" % (TCP_FLOOD, NBD_TIMEOUT_MS),
          flush=True)
    start = time.monotonic()
    flood = []
    for _ in range(TCP_FLOOD):
        s = socket.create_connection(("127.0.0.1", port))
        flood.append(s)
    # Let satmcd accept (or refuse) them all before the UNIX client comes.
    def taken():
        st = stats_lines(rig).get("nbd-tcp", {})
        return st.get("accepted", 0) + st.get("refused", 0) >= TCP_FLOOD
    deadline = time.monotonic() + bound(NBD_TIMEOUT_MS)
    while not taken() and time.monotonic() < deadline:
        time.sleep(0.05)
    check(taken(), "satmcd took all %d TCP connections (nbd-tcp stats line)" % TCP_FLOOD)
    r = nbdinfo("nbd+unix:///?socket=" + rig.nbd_sock)
    check(r.returncode == 0 and "sdr" in r.stdout,
          "nbdinfo on the UNIX socket works with %d TCP connections open (rc %d%s)"
          % (TCP_FLOOD, r.returncode, ("; " + r.stderr.strip()) if r.returncode else ""))
    st = stats_lines(rig)
    check(st.get("nbd-tcp", {}).get("refused", 0) == TCP_FLOOD - MAX_CLIENTS,
          "TCP refused %s of %d (its own limit, %d)"
          % (st.get("nbd-tcp", {}).get("refused"), TCP_FLOOD, MAX_CLIENTS))
    check(st.get("nbd-unix", {}).get("refused", 1) == 0, "UNIX refused nobody")
    gone = wait_all_closed(flood, NBD_TIMEOUT_MS, "silent TCP clients")
    took = time.monotonic() - start
    check(gone, "all silent TCP connections closed (%.1f s, handshake timeout %d ms)"
          % (took, NBD_TIMEOUT_MS))
    check(took >= NBD_TIMEOUT_MS / 1000.0, "not before the handshake timeout")
    r = nbdinfo("nbd://127.0.0.1:%d" % port)
    check(r.returncode == 0 and "sdr" in r.stdout, "nbdinfo over TCP works again")
    st = stats_lines(rig).get("nbd-tcp", {})
    check(st.get("handshake-timeouts", 0) >= MAX_CLIENTS,
          "stats line counts nbd-tcp handshake-timeouts=%s" % st.get("handshake-timeouts"))
    for s in flood:
        s.close()


def slowloris(rig):
    """One byte a second of a handshake that would take minutes to finish."""
    print("nbd: %d slowloris clients, one byte a second" % SLOWLORIS, flush=True)
    name = b"x" * 300
    handshake = struct.pack(">I", 3) + struct.pack(">QII", 0x49484156454f5054, 1, len(name)) + name
    start = time.monotonic()
    socks = []
    for _ in range(SLOWLORIS):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(rig.nbd_sock)
        s.settimeout(bound(NBD_TIMEOUT_MS))
        greeting = b""
        while len(greeting) < 18:
            greeting += s.recv(18 - len(greeting))
        s.setblocking(False)
        socks.append(s)
    sent, open_ = 0, list(socks)
    deadline = start + bound(NBD_TIMEOUT_MS)
    while open_ and time.monotonic() < deadline and sent < len(handshake):
        still = []
        for s in open_:
            if closed(s):
                continue
            try:
                s.send(handshake[sent:sent + 1])
                still.append(s)
            except OSError:
                pass
        open_ = still
        sent += 1
        time.sleep(1.0)
    took = time.monotonic() - start
    check(not open_, "slowloris clients closed after %d bytes of %d (%.1f s, handshake timeout "
          "%d ms)" % (sent, len(handshake), took, NBD_TIMEOUT_MS))
    check(took >= NBD_TIMEOUT_MS / 1000.0, "not before the handshake timeout")
    for s in socks:
        s.close()


def open_fds(pid):
    return len(os.listdir("/proc/%d/fd" % pid))


def satmcd_sockets(tmp):
    port = free_port()
    cfg = config_with(tmp, "[ipmitool]\nrequest-timeout-ms = %d\n\n[nbd]\ntcp = 127.0.0.1:%d\n"
                           "handshake-timeout-ms = %d\n" % (IPMI_TIMEOUT_MS, port, NBD_TIMEOUT_MS))
    old = os.umask(0)           # satmcd inherits it: the sockets must not
    try:
        rig = Rig(cfg)
    finally:
        os.umask(old)
    try:
        for what, path in (("ipmitool", rig.ipmitool_sock), ("nbd", rig.nbd_sock)):
            is_sock, mode = sock_mode(path)
            check(is_sock and mode == 0o660, "umask 000: satmcd's %s socket is 0%o (want 0660)"
                  % (what, mode))
        # After each attack satmcd holds no more fds than before it: nothing leaked. The count
        # to hold it to is taken once satmcd has answered a request: READY=1 comes before the
        # main loop has made its own epoll (daemon/manager-loop.c), so a count taken right
        # after it can be one short on a loaded machine.
        r = ipmitool(rig.ipmitool_sock, "raw", "0x06", "0x01")
        check(r.returncode == 0, "satmcd answers Get Device ID before the attacks")
        fds = open_fds(rig.satmcd.pid)
        for attack in (ipmitool_lockout, lambda r: nbd_tcp_flood(r, port), slowloris):
            attack(rig)
            # The last client's hang-up may still be on its way to satmcd.
            deadline = time.monotonic() + bound(0)
            while open_fds(rig.satmcd.pid) > fds and time.monotonic() < deadline:
                time.sleep(0.05)
            # No more than before (a sanitizer's own fds may come and go).
            now = open_fds(rig.satmcd.pid)
            check(now <= fds, "satmcd holds %d fds afterwards, no more than before (%d)"
                  % (now, fds))
    finally:
        rc = rig.stop()
    check(rc == 0, "satmcd exits 0 on SIGTERM afterwards (got %s)" % rc)


def start_bus(tmp):
    path = os.path.join(tmp, "bus.sock")
    bus = subprocess.Popen([os.environ["SATMC_I2C_BUS"], "--socket", path])
    wait_for(lambda: os.path.exists(path), "bus socket")
    return bus, path


def run_refusing(args, victim):
    """Run a server that must refuse to start because victim (a regular file) is at its socket
    path: (exit status or "still running", stderr). A server that does start (deleting or
    replacing victim) is stopped at once instead of being waited for."""
    p = subprocess.Popen(args, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL,
                         stdin=subprocess.DEVNULL, text=True)
    deadline = time.monotonic() + (60 if SLOW else 30)
    while p.poll() is None and time.monotonic() < deadline:
        if not os.path.isfile(victim) or os.path.islink(victim):
            break       # it went for the path: no point waiting
        time.sleep(0.05)
    rc = p.poll()
    if rc is None:
        p.kill()
        rc = "still running"
    return rc, p.communicate()[1]


def regular_file_refused(tmp):
    bus, bus_sock = start_bus(tmp)
    try:
        for which in ("ipmitool", "nbd"):
            victim = os.path.join(tmp, which + "-victim")
            with open(victim, "w") as f:
                f.write("precious\n")
            other = os.path.join(tmp, "unused-" + which + ".sock")
            args = [os.environ["SATMCD"], "--config", CONFIG, "--bus-socket", bus_sock,
                    "--ipmitool-socket", victim if which == "ipmitool" else other,
                    "--nbd-socket", victim if which == "nbd" else other]
            rc, err = run_refusing(args, victim)
            intact = os.path.isfile(victim) and open(victim).read() == "precious\n"
            check(intact, "a regular file at the %s socket path is left alone" % which)
            check(rc not in (0, "still running") and victim in err and "not a socket" in err,
                  "satmcd refuses to start, naming %s (rc %s: %s)"
                  % (victim, rc, (err.strip().splitlines() or [""])[-1]))
    finally:
        bus.terminate()
        bus.wait(10)


def bridge(tmp):
    bus, bus_sock = start_bus(tmp)
    sock = os.path.join(tmp, "bridge.sock")
    victim = os.path.join(tmp, "bridge-victim")
    with open(victim, "w") as f:
        f.write("precious\n")
    try:
        rc, err = run_refusing([os.environ["SATMC_IPMB_BRIDGE"], "--socket", victim, "--target",
                                "0x72", "--bus-socket", bus_sock], victim)
        intact = os.path.isfile(victim) and open(victim).read() == "precious\n"
        check(intact, "a regular file at the bridge's socket path is left alone")
        check(rc not in (0, "still running") and victim in err and "not a socket" in err,
              "satmc-ipmb-bridge refuses to start, naming it (rc %s)" % rc)

        old = os.umask(0)
        try:
            br = subprocess.Popen([os.environ["SATMC_IPMB_BRIDGE"], "--socket", sock,
                                   "--target", "0x72", "--bus-socket", bus_sock,
                                   "--own", "0x24", "--request-timeout-ms", str(IPMI_TIMEOUT_MS)],
                                  stderr=subprocess.PIPE, text=True)
        finally:
            os.umask(old)
        try:
            wait_for(lambda: os.path.exists(sock) or br.poll() is not None, "bridge socket")
            if br.poll() is not None:
                check(False, "satmc-ipmb-bridge with --request-timeout-ms starts: "
                      + br.stderr.read().strip())
                return
            is_sock, mode = sock_mode(sock)
            check(is_sock and mode == 0o660, "umask 000: the bridge's socket is 0%o (want 0660)"
                  % mode)
            start = time.monotonic()
            socks = half_header_clients(sock, 4)
            gone = wait_all_closed(socks, IPMI_TIMEOUT_MS, "bridge half-header clients")
            took = time.monotonic() - start
            check(gone, "the bridge closes 4 half-header clients (%.1f s, timeout %d ms)"
                  % (took, IPMI_TIMEOUT_MS))
            check(took >= IPMI_TIMEOUT_MS / 1000.0, "not before the timeout")
            for s in socks:
                s.close()
        finally:
            br.send_signal(signal.SIGTERM)
            try:
                out = br.communicate(timeout=10)[1]
            except subprocess.TimeoutExpired:
                br.kill()
                out = br.communicate()[1]
        m = re.search(r"ipmitool-socket: .*timeouts=(\d+)", out)
        check(m is not None and int(m.group(1)) == 4,
              "the bridge's stats line counts timeouts=%s" % (m.group(1) if m else None))
    finally:
        bus.terminate()
        bus.wait(10)


def main():
    print("SATMC_SOAK=%s: %d x %d half-header clients, %d TCP connections, %d slowloris"
          % ("1" if SOAK else "0", IPMI_ROUNDS, HALF_CLIENTS, TCP_FLOOD, SLOWLORIS), flush=True)
    tmp = tempfile.mkdtemp(prefix="satmc-socket-limits-")
    satmcd_sockets(tmp)
    regular_file_refused(tmp)
    bridge(tmp)
    finish()


if __name__ == "__main__":
    main()
