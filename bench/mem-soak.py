#!/usr/bin/env python3
"""satmcd's own memory, at start, under load and over a soak of mixed requests (issue 15 item 2).

Starts satmcd as on a board (/dev/ipmb-0 through ipmbshim.so, as scripts/bench-instructions.sh
runs it) with a board of 64 sensors (examples/board.ini without its sensors, plus 64 file-backed
threshold sensors, as bench/sensors-bench.sh makes them), its NBD socket and its ipmitool socket,
then runs three clients at once, each in its own process, until --requests requests are answered:

  ipmb     the BMC on /dev/ipmb-0: Get Device ID, Get Sensor Reading (sensors 1..64 in turn),
           Get Device SDR (16-byte reads under a reservation, walking the repository), Read FRU
           Data (24 bytes, offsets in turn), --window requests in flight, every answer checked
           (addresses, netFn+1, cmd, seq, both checksums, completion code 0);
  dummy    ipmitool's dummy-interface protocol on the ipmitool socket: a client connects, sends
           --session requests of the same mix one at a time, leaves; the next one connects;
  nbd      an NBD client on the NBD socket: connects, NBD_OPT_GO fru0, --session reads of 64
           bytes at offsets in turn (data compared with the first read of that offset), leaves.

At every tenth of the run (and once before any load) the stock clients visit too, uncounted:
`ipmitool -I dummy sdr list` and `nbdinfo` on fru0. Memory is read from /proc/PID/smaps_rollup
(Rss, Pss, Anonymous, Private_Dirty) and /proc/PID/status (RssAnon, VmHWM, threads) at:
start (READY=1 plus --settle seconds), after each tenth, and idle after the end.

Before satmcd starts, the floor is measured the same way (the shim preloaded, READY=1, --settle
seconds): bench/mem-floor, a daemon on libsystemd and libc that runs an sd-event loop and
does nothing else. It runs alone, so that no library page is shared between the two and halved
in each one's Pss. Its row and satmcd's figures over it say what the libraries cost any program
on this machine and what satmcd adds.

Prints the table, the request rate and what 10 million requests would take at that rate, and
the verdict against the goal: RssAnon <= 400 KiB, Pss <= 1024 KiB at every sample, and flat:
RssAnon at the end within --flat KiB of the first loaded sample.

usage: mem-soak.py [--requests 300000] [--phases 10] SATMCD [SATMCD ARGS...]
  e.g. IPMB_PEER_BENCH=/work/shared/tools/ipmb-peer-bench \\
       python3 bench/mem-soak.py build-release/daemon/satmcd
  the full soak: --requests 10000000 (about 10M / rate seconds; the rate is printed).
"""
import argparse, multiprocessing as mp, os, shutil, socket, struct, subprocess, sys, tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(TOP, "tests", "integration"))
from satmc_testlib import ipmitool_dummy_structs  # noqa: E402
sys.stdout = sys.__stdout__  # satmc_tap (imported by it) marks every line as a TAP comment

SA, RQ_SA = 0x72, 0x20
APP, SENSOR, STORAGE = 0x06, 0x04, 0x0A
SENSORS = 64


def cks(b):
    return (-sum(b)) & 0xFF


# ---------------------------------------------------------------- configuration

def board(example, work, sensor_dir):
    """examples/board.ini without its sensors, sockets in work, plus 64 threshold sensors."""
    out, skip = [], False
    for line in open(example):
        if line.startswith("["):
            skip = line.startswith("[sensor.")
        if not skip:
            out.append(line)
    out.append("\n[nbd]\nsocket = %s/nbd.sock\n" % work)
    out.append("\n[ipmitool]\nsocket = %s/ipmitool.sock\n" % work)
    for i in range(SENSORS):
        src = os.path.join(sensor_dir, "s%d" % i)
        kind = i % 3
        with open(src, "w") as f:
            f.write("%d\n" % ((40000 + i * 100), (12000 + i), (6000 + i * 10))[kind])
        out.append("\n[sensor.%d]\n" % i)
        out.append((
            "name = Temp %d\ntype = temperature\nrange = -40..125\nsource = file:%s:0.001\n"
            "lower-critical = -5\nupper-non-critical = 70\nupper-critical = 85\n"
            "upper-non-recoverable = 100\nhysteresis = 2\n",
            "name = 12V Rail %d\ntype = voltage\nrange = 11.4..12.6\nsource = file:%s:0.001\n"
            "lower-critical = 11.5\nlower-non-critical = 11.7\nupper-non-critical = 12.3\n"
            "upper-critical = 12.5\nhysteresis = 0.01\n",
            "name = Fan %d\ntype = fan\nrange = 0..20000\nsource = file:%s\n"
            "lower-critical = 1000\nlower-non-critical = 2000\nhysteresis = 200\n")[kind]
            % (i, src))
    path = os.path.join(work, "board.ini")
    with open(path, "w") as f:
        f.writelines(out)
    return path


# ---------------------------------------------------------------- the request mix

class Mix:
    """The next request of the mix as (netfn, cmd, data); answers feed the SDR walk."""

    def __init__(self, fru_size):
        self.i = 0
        self.reservation = None
        self.record = 0
        self.fru_span = max(1, fru_size - 24)
        self.fru_off = 0

    def next(self):
        self.i += 1
        k = self.i % 4
        if k == 0:
            return APP, 0x01, b""
        if k == 1:
            return SENSOR, 0x2D, bytes([1 + self.i // 4 % SENSORS])
        if k == 2:
            if self.reservation is None:
                return SENSOR, 0x22, b""
            return SENSOR, 0x21, self.reservation + struct.pack("<HBB", self.record, 0, 16)
        self.fru_off = (self.fru_off + 24) % self.fru_span
        return STORAGE, 0x11, struct.pack("<BHB", 0, self.fru_off, 24)

    def answer(self, netfn, cmd, cc, data):
        """False if the answer is wrong for the request."""
        if cmd == 0x22 and netfn == SENSOR:
            self.reservation = bytes(data[:2])
            return cc == 0 and len(data) == 2
        if cmd == 0x21 and netfn == SENSOR:
            if cc == 0xC5:              # another client reserved meanwhile: reserve again
                self.reservation = None
                return True
            if cc != 0 or len(data) != 18:
                return False
            nxt = data[0] | data[1] << 8
            self.record = 0 if nxt == 0xFFFF else nxt
            return True
        return cc == 0


def fru_size_query(sock):
    """The FRU device 0's size from Get FRU Inventory Area Info on the ipmitool socket."""
    s = dummy_connect(sock)
    cc, data = dummy_ask(s, STORAGE, 0x10, b"\x00")
    s.close()
    if cc != 0 or len(data) != 3:
        sys.exit("Get FRU Inventory Area Info on the ipmitool socket failed: cc 0x%02x" % cc)
    return data[0] | data[1] << 8


# ---------------------------------------------------------------- clients

def ipmb_client(conn, total, done, stop, window, errors):
    mix = Mix(FRU_SIZE.value)
    seq = 0
    conn.settimeout(30)
    while not stop.is_set() and done.value < total:
        sent = []
        for _ in range(1 if mix.reservation is None else window):
            netfn, cmd, data = mix.next()
            h = bytes([SA, netfn << 2])
            body = bytes([RQ_SA, (seq << 2) & 0xFF, cmd]) + data
            msg = h + bytes([cks(h)]) + body + bytes([cks(body)])
            conn.send(bytes([len(msg)]) + msg)
            sent.append((netfn, cmd, seq))
            seq = (seq + 1) & 0x3F
            if cmd == 0x22:
                break               # the reservation first, the reads after it
        for netfn, cmd, sq in sent:
            r = conn.recv(512)
            ok = (len(r) >= 9 and r[0] == len(r) - 1 and r[1] == RQ_SA
                  and r[2] >> 2 == netfn + 1 and cks(r[1:3]) == r[3] and r[4] == SA
                  and r[5] >> 2 == sq and r[6] == cmd and cks(r[4:-1]) == r[-1]
                  and mix.answer(netfn, cmd, r[7], r[8:-1]))
            if not ok:
                errors.put("ipmb: bad answer to netfn 0x%02x cmd 0x%02x: %s" % (netfn, cmd, r.hex()))
                stop.set()
                return
        with done.get_lock():
            done.value += len(sent)


RQ, RS = ipmitool_dummy_structs()


def dummy_connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(30)
    s.connect(path)
    return s


def recv_exact(s, n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            raise EOFError("closed after %d of %d bytes" % (len(buf), n))
        buf += chunk
    return buf


def dummy_ask(s, netfn, cmd, data):
    s.sendall(RQ.pack(netfn, 0, cmd, 0, len(data), 0) + data)
    _, rcmd, _, _, cc, n, _ = RS.unpack(recv_exact(s, RS.size))
    if rcmd != cmd or not 0 <= n <= 255:
        raise ValueError("dummy answer for cmd 0x%02x: cmd 0x%02x, %d bytes" % (cmd, rcmd, n))
    return cc, recv_exact(s, n)


def dummy_client(path, total, done, stop, session, errors):
    mix = Mix(FRU_SIZE.value)
    while not stop.is_set() and done.value < total:
        s = dummy_connect(path)
        for _ in range(session):
            netfn, cmd, data = mix.next()
            cc, out = dummy_ask(s, netfn, cmd, data)
            if not mix.answer(netfn, cmd, cc, out):
                errors.put("dummy: cc 0x%02x to netfn 0x%02x cmd 0x%02x" % (cc, netfn, cmd))
                stop.set()
                return
        s.close()
        with done.get_lock():
            done.value += session


IHAVEOPT, REPMAGIC, REQ_MAGIC, REPLY_MAGIC = 0x49484156454F5054, 0x3e889045565a9, 0x25609513, 0x67446698


def nbd_client(path, total, done, stop, session, errors):
    seen = {}
    off = 0
    while not stop.is_set() and done.value < total:
        s = dummy_connect(path)
        recv_exact(s, 18)                                   # greeting
        s.sendall(struct.pack(">I", 3))                     # fixed newstyle, no zeroes
        name = b"fru0"
        s.sendall(struct.pack(">QII", IHAVEOPT, 7, 4 + len(name) + 2) + struct.pack(">I", len(name))
                  + name + struct.pack(">H", 0))
        size = None
        while True:
            magic, _, typ, n = struct.unpack(">QIII", recv_exact(s, 20))
            body = recv_exact(s, n)
            if magic != REPMAGIC or typ & 0x80000000:
                errors.put("nbd: option reply type 0x%x" % typ)
                stop.set()
                return
            if typ == 3 and struct.unpack(">H", body[:2])[0] == 0:
                size = struct.unpack(">Q", body[2:10])[0]
            if typ == 1:
                break
        span = max(1, size - 64)
        for i in range(session):
            off = (off + 64) % span
            s.sendall(struct.pack(">IHHQQI", REQ_MAGIC, 0, 0, i, off, 64))
            magic, err, cookie = struct.unpack(">IIQ", recv_exact(s, 16))
            data = recv_exact(s, 64) if err == 0 else b""
            if magic != REPLY_MAGIC or err or cookie != i or seen.setdefault(off, data) != data:
                errors.put("nbd: read at %d: error %d" % (off, err))
                stop.set()
                return
        s.sendall(struct.pack(">IHHQQI", REQ_MAGIC, 0, 2, 0, 0, 0))     # NBD_CMD_DISC
        s.close()
        with done.get_lock():
            done.value += session


FRU_SIZE = mp.Value("i", 0)


# ---------------------------------------------------------------- measurement

def memory(pid):
    m = {}
    for line in open("/proc/%d/smaps_rollup" % pid):
        k, _, v = line.partition(":")
        if k in ("Rss", "Pss", "Anonymous", "Private_Dirty"):
            m[k] = int(v.split()[0])
    for line in open("/proc/%d/status" % pid):
        k, _, v = line.partition(":")
        if k in ("RssAnon", "VmHWM", "Threads"):
            m[k] = int(v.split()[0])
    return m


def smaps_breakdown(pid):
    """satmcd's own pages by mapping: [(name, Anonymous, Private_Dirty, Rss, Pss)] in KiB, one
    row per file (all its mappings summed) or anonymous kind ([heap], [stack], anon), largest
    Anonymous first. A library's Anonymous is its relocated and written data (copy-on-write
    pages of .data, .got, .data.rel.ro); an anonymous mapping that continues a file's writable
    one is "after" it: its .bss, or ld.so's own allocations (link maps, the TLS block) put in
    the gap. Private_Dirty of a file counts page-cache pages not
    yet written back too: right after a build, most of satmcd's text."""
    rows, name, prev = {}, None, (None, None, -1)
    for line in open("/proc/%d/smaps" % pid):
        f = line.split()
        if "-" in f[0] and not line[0].isupper():
            lo, hi = (int(x, 16) for x in f[0].split("-"))
            path = f[5] if len(f) > 5 else None
            if path is None and prev[0] and prev[1] == "rw-p" and prev[2] == lo:
                name = "after " + os.path.basename(prev[0])
            elif path is None:
                name = "anon"
            else:
                name = os.path.basename(path) if path.startswith("/") else path
            prev = (path if path and path.startswith("/") else None, f[1], hi)
            rows.setdefault(name, [0, 0, 0, 0])
        elif f[0] in ("Anonymous:", "Private_Dirty:", "Rss:", "Pss:"):
            rows[name][("Anonymous:", "Private_Dirty:", "Rss:", "Pss:").index(f[0])] += int(f[1])
    return sorted(((n, *v) for n, v in rows.items()), key=lambda r: -r[1])


def print_smaps(title, rows, whose="satmcd's"):
    print("%s: %s mappings by file (KiB)" % (title, whose))
    print("  %-32s %9s %6s %6s %6s" % ("mapping", "Anonymous", "PrivD", "Rss", "Pss"))
    for n, anon, privd, rss, pss in rows:
        if anon or privd:
            print("  %-32s %9d %6d %6d %6d" % (n, anon, privd, rss, pss))
    print("  %-32s %9d %6d %6d %6d" % ("total", *(sum(r[i] for r in rows) for i in range(1, 5))))


def stock_clients(work, sock_env):
    """ipmitool sdr list and nbdinfo, as an operator runs them: both must succeed."""
    r = subprocess.run(["timeout", "120", "ipmitool", "-I", "dummy", "sdr", "list"], env=sock_env,
                       capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if r.returncode != 0 or r.stdout.count("\n") < SENSORS:
        sys.exit("ipmitool sdr list failed (%d): %s" % (r.returncode, r.stderr.strip()))
    if shutil.which("nbdinfo"):
        r = subprocess.run(["timeout", "60", "nbdinfo", "nbd+unix:///fru0?socket=%s/nbd.sock" % work],
                           capture_output=True, text=True, stdin=subprocess.DEVNULL)
        if r.returncode != 0:
            sys.exit("nbdinfo failed: %s" % r.stderr.strip())


def shim_path():
    if os.environ.get("IPMB_SHIM_SO"):
        return os.path.abspath(os.environ["IPMB_SHIM_SO"])
    bench = os.environ.get("IPMB_PEER_BENCH", os.path.join(TOP, "..", "shared", "tools",
                                                           "ipmb-peer-bench"))
    out = os.path.join(tempfile.mkdtemp(prefix="satmc-shim"), "ipmbshim.so")
    subprocess.run(["cc", "-shared", "-fPIC", "-O2", "-o", out,
                    os.path.join(bench, "ipmbshim.c"), "-ldl"], check=True)
    return out


def floor_memory(floor, env, work, settle, smaps):
    """Start the floor program as satmcd is started, take its memory after READY=1 and --settle
    seconds, stop it: (memory(), smaps_breakdown() or None)."""
    notify = os.path.join(work, "floor-notify.sock")
    ns = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    ns.bind(notify)
    ns.settimeout(60)
    p = subprocess.Popen([floor], env=dict(env, NOTIFY_SOCKET=notify), stdin=subprocess.DEVNULL)
    try:
        while "READY=1" not in ns.recv(4096).decode().split("\n"):
            pass
        time.sleep(settle)
        return memory(p.pid), smaps_breakdown(p.pid) if smaps else None
    finally:
        p.terminate()
        p.wait(30)
        ns.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--requests", type=int, default=300000,
                    help="requests answered in all (ipmb + dummy + nbd); 10000000 for the full soak")
    ap.add_argument("--phases", type=int, default=10, help="memory samples over the run")
    ap.add_argument("--window", type=int, default=8, help="IPMB requests in flight")
    ap.add_argument("--session", type=int, default=200,
                    help="requests per dummy-socket and per NBD connection before it leaves")
    ap.add_argument("--settle", type=float, default=1.0, help="seconds after READY=1 before 'start'")
    ap.add_argument("--flat", type=int, default=16, help="KiB of RssAnon growth counted as flat")
    ap.add_argument("--smaps", action="store_true",
                    help="print satmcd's anonymous and dirty pages by mapping at start and at the end")
    ap.add_argument("--example", default=os.path.join(TOP, "examples", "board.ini"))
    ap.add_argument("--floor", help="the floor program (default: bench/mem-floor of satmcd's "
                    "build directory; 'none' to skip it)")
    ap.add_argument("satmcd", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    cmd = a.satmcd[1:] if a.satmcd[:1] == ["--"] else a.satmcd
    if not cmd:
        ap.error("give the satmcd binary")
    floor = a.floor or os.path.join(os.path.dirname(os.path.abspath(cmd[0])), "..", "bench",
                                    "mem-floor")
    if floor != "none" and not os.access(floor, os.X_OK):
        ap.error("no floor program at %s: ninja -C BUILD bench/mem-floor, or --floor none" % floor)

    work = tempfile.mkdtemp(prefix="satmc-memsoak")
    os.makedirs(os.path.join(work, "sensors"))
    os.makedirs(os.path.join(work, "state"))
    config = board(a.example, work, os.path.join(work, "sensors"))
    ipmb, notify = os.path.join(work, "ipmb.sock"), os.path.join(work, "notify.sock")
    ls = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    ls.bind(ipmb)
    ls.listen(1)
    ns = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    ns.bind(notify)
    ns.settimeout(60)
    env = dict(os.environ, LD_PRELOAD=shim_path(), IPMB_SHIM_SOCK=ipmb, NOTIFY_SOCKET=notify)
    floor_mem, floor_smaps = (None, None) if floor == "none" else \
        floor_memory(floor, env, work, a.settle, a.smaps)
    log = open(os.path.join(work, "satmcd.log"), "w")
    p = subprocess.Popen(cmd + ["--config", config, "--device", "/dev/ipmb-0", "--log-level",
                                "warning", "--state-directory", os.path.join(work, "state")],
                         env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
    ls.settimeout(60)
    conn, _ = ls.accept()
    while "READY=1" not in ns.recv(4096).decode().split("\n"):
        pass
    time.sleep(a.settle)
    sock_env = dict(os.environ, IPMI_DUMMY_SOCK=os.path.join(work, "ipmitool.sock"))
    FRU_SIZE.value = fru_size_query(os.path.join(work, "ipmitool.sock"))

    rows = [("start", 0, 0.0, memory(p.pid))]
    smaps = [("start", smaps_breakdown(p.pid))] if a.smaps else []
    stock_clients(work, sock_env)
    rows.append(("stock clients", 0, 0.0, memory(p.pid)))

    done, stop, errors = mp.Value("q", 0), mp.Event(), mp.Queue()
    workers = [
        mp.Process(target=ipmb_client, args=(conn, a.requests, done, stop, a.window, errors)),
        mp.Process(target=dummy_client, args=(os.path.join(work, "ipmitool.sock"), a.requests,
                                              done, stop, a.session, errors)),
        mp.Process(target=nbd_client, args=(os.path.join(work, "nbd.sock"), a.requests, done,
                                            stop, a.session, errors)),
    ]
    t0 = time.monotonic()
    for w in workers:
        w.start()
    for k in range(1, a.phases + 1):
        goal = a.requests * k // a.phases
        while done.value < goal and not stop.is_set() and p.poll() is None:
            time.sleep(0.05)
        if stop.is_set() or p.poll() is not None:
            break
        rows.append(("load %d/%d" % (k, a.phases), done.value, time.monotonic() - t0,
                     memory(p.pid)))
        if k < a.phases:
            stock_clients(work, sock_env)
    stop.set()
    for w in workers:
        w.join(60)
    elapsed = time.monotonic() - t0
    total = done.value
    failed = p.poll() is not None or not errors.empty()
    if not failed:
        time.sleep(a.settle)
        rows.append(("idle after", total, elapsed, memory(p.pid)))
        if a.smaps:
            smaps.append(("idle after", smaps_breakdown(p.pid)))
    p.terminate()
    try:
        p.wait(30)
    except subprocess.TimeoutExpired:
        p.kill()
    conn.close()

    print("satmcd memory (KiB) with 64 sensors, NBD and the ipmitool socket in use; %d CPUs, "
          "loadavg %s" % (os.cpu_count(), " ".join(open("/proc/loadavg").read().split()[:3])))
    print("%-14s %10s %7s %7s %6s %6s %9s %6s %6s %7s" % (
        "phase", "requests", "secs", "RssAnon", "Pss", "Rss", "Anonymous", "PrivD", "HWM", "threads"))
    for name, n, t, m in ([("floor", 0, 0.0, floor_mem)] if floor_mem else []) + rows:
        print("%-14s %10d %7.1f %7d %6d %6d %9d %6d %6d %7d" % (
            name, n, t, m["RssAnon"], m["Pss"], m["Rss"], m["Anonymous"], m["Private_Dirty"],
            m["VmHWM"], m["Threads"]))
    if floor_smaps:
        print_smaps("floor", floor_smaps, "the floor's")
    for title, breakdown in smaps:
        print_smaps(title, breakdown)
    while not errors.empty():
        print("error:", errors.get())
    if failed:
        print("satmcd exited with %s; its log: %s" % (p.returncode, log.name))
        return 1
    rate = total / elapsed
    print("rate: %d requests in %.1f s = %.0f requests/s (ipmb window %d, sessions of %d); "
          "10 million would take %.0f min at this rate" % (total, elapsed, rate, a.window,
                                                          a.session, 1e7 / rate / 60))
    loaded = rows[2][3] if len(rows) > 2 else rows[-1][3]
    worst_anon = max(m["RssAnon"] for _, _, _, m in rows)
    worst_pss = max(m["Pss"] for _, _, _, m in rows)
    growth = rows[-1][3]["RssAnon"] - loaded["RssAnon"]
    verdict = worst_anon <= 400 and worst_pss <= 1024 and growth <= a.flat
    print("verdict: RssAnon max %d KiB (<= 400), Pss max %d KiB (<= 1024), RssAnon growth from the "
          "first loaded sample to the end %+d KiB (<= %d): %s" % (
              worst_anon, worst_pss, growth, a.flat, "PASS" if verdict else "FAIL"))
    if floor_mem:
        print("over the floor (%s, alone before satmcd): RssAnon max %+d KiB, Pss max %+d KiB; "
              "the floor itself: RssAnon %d, Pss %d KiB" % (
                  os.path.relpath(floor), worst_anon - floor_mem["RssAnon"],
                  worst_pss - floor_mem["Pss"], floor_mem["RssAnon"], floor_mem["Pss"]))
    shutil.rmtree(work, ignore_errors=True)
    return 0 if verdict else 2


if __name__ == "__main__":
    sys.exit(main())
