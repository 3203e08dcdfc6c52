#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""IPMB response latency of satmcd under mixed load (issue 15 item 3), beside the same bench idle.

Each run starts its own satmc-i2c-bus and satmcd (64 sensors: a third temperature, voltage and
fan, each on its own number file, 4 of them FIFOs nobody writes) and times Get Device ID and Get
Sensor Reading requests sent at a steady rate by bench/mixed-load-probe (C: the timing loop does
nothing but the bus). Two kinds of run, interleaved (idle, load, idle, load, ...) so that the
machine's own noise hits both alike:

  idle  the probe alone; the sensors are polled every 60 s (the longest poll-ms), so nothing
        else runs in satmcd while requests are timed.
  load  at the same time: the sensors polled every 100 ms (640 reads/s, 4 of them hung); an NBD
        client (bench/nbd-bench) reading 4 KiB blocks of fru0 at full speed; stock ipmitool
        looping `sdr list` on satmcd's local socket; 4 temperature sensors whose files flip
        across their thresholds every 0.5 s, so Platform Event Messages flow to the BMC (the
        probe, at 0x20), whose address the bus NAKs 10 % of the time (--fault nak@0x10:p=0.1).

Latencies are pooled over the rounds of a kind for p50/p99/p99.9/max; the p99 of each round is
listed too, and the spread of idle's p99 over its rounds is printed as the noise (as
docs/sensors.md presents it). The goal of issue 15 item 3: p99 <= 1 ms, max <= 20 ms under load.
Prints figures; it is not a test. Default run: 3 rounds of 2 x 20 s, about 2.5 minutes.
"""
import argparse, ctypes, os, shutil, signal, socket, subprocess, sys, tempfile, threading, time

HERE = os.path.dirname(os.path.abspath(__file__))
HUNG = (5, 21, 37, 53)          # sensors whose source is a FIFO nobody writes
FLIP = (0, 15, 30, 45)          # temperature sensors driven across their thresholds
SENSORS = 64


def sensor_sections(dirname, poll_ms):
    """64 [sensor.N] sections (the shapes bench/sensors-bench.sh uses) and their files."""
    out = []
    for i in range(SENSORS):
        src = os.path.join(dirname, "s%d" % i)
        if i in HUNG:
            if not os.path.exists(src):
                os.mkfifo(src)
        elif not os.path.exists(src):
            write_value(src, (40000 + i * 100, 12000 + i, 6000 + i * 10)[i % 3])
        kind = i % 3
        if kind == 0:
            body = ["name = Temp %d" % i, "type = temperature", "range = -40..125",
                    "source = file:%s:0.001" % src, "lower-critical = -5",
                    "upper-non-critical = 70", "upper-critical = 85",
                    "upper-non-recoverable = 100", "hysteresis = 2"]
        elif kind == 1:
            body = ["name = 12V Rail %d" % i, "type = voltage", "range = 11.4..12.6",
                    "source = file:%s:0.001" % src, "lower-critical = 11.5",
                    "lower-non-critical = 11.7", "upper-non-critical = 12.3",
                    "upper-critical = 12.5", "hysteresis = 0.01"]
        else:
            body = ["name = Fan %d" % i, "type = fan", "range = 0..20000", "source = file:%s" % src,
                    "lower-critical = 1000", "lower-non-critical = 2000", "hysteresis = 200"]
        out += ["", "[sensor.%d]" % i] + body + ["poll-ms = %d" % poll_ms]
    return "\n".join(out) + "\n"


def write_value(path, value):
    """Replace a sensor file whole (rename), so a read never sees it half written."""
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % value)
    os.rename(tmp, path)


class SchedAttr(ctypes.Structure):
    """struct sched_attr, as sched_setattr(2) has it (SCHED_ATTR_SIZE_VER0, 48 bytes)."""
    _fields_ = [("size", ctypes.c_uint32), ("sched_policy", ctypes.c_uint32),
                ("sched_flags", ctypes.c_uint64), ("sched_nice", ctypes.c_int32),
                ("sched_priority", ctypes.c_uint32), ("sched_runtime", ctypes.c_uint64),
                ("sched_deadline", ctypes.c_uint64), ("sched_period", ctypes.c_uint64)]


SYS_SCHED_SETATTR, SYS_SCHED_GETATTR = {"x86_64": (314, 315), "aarch64": (274, 275)}[os.uname().machine]
SCHED_FLAG_RESET_ON_FORK = 1
LIBC = ctypes.CDLL(None, use_errno=True)


def sched_getattr(tid):
    a = SchedAttr()
    if LIBC.syscall(SYS_SCHED_GETATTR, tid, ctypes.byref(a), ctypes.sizeof(a), 0) != 0:
        raise OSError(ctypes.get_errno(), "sched_getattr(%d)" % tid)
    return a


def set_slice(tid, ns, reset_on_fork):
    """Give a SCHED_OTHER thread an EEVDF slice request of ns (Linux >= 6.12), its nice kept."""
    a = sched_getattr(tid)
    a.size, a.sched_runtime = ctypes.sizeof(a), ns
    a.sched_flags = SCHED_FLAG_RESET_ON_FORK if reset_on_fork else 0
    if LIBC.syscall(SYS_SCHED_SETATTR, tid, ctypes.byref(a), 0) != 0:
        raise OSError(ctypes.get_errno(), "sched_setattr(%d)" % tid)
    if sched_getattr(tid).sched_runtime != ns:
        raise SystemExit("the kernel did not take slice %d ns (Linux < 6.12?)" % ns)


def apply_variant(pid, spec):
    """A load variant's scheduling, applied to a running satmcd from outside:
    slice=US (main thread, reset on fork: its sensor workers keep the default), slice-all=US
    (every thread, and the workers started later inherit it), nice=N (every thread); several
    joined by "+" (nice=-5+slice=500)."""
    if "+" in spec:
        for part in spec.split("+"):
            apply_variant(pid, part)
        return
    name, _, value = spec.partition("=")
    tids = sorted(int(t) for t in os.listdir("/proc/%d/task" % pid))
    if name == "slice":
        set_slice(pid, int(float(value) * 1000), True)
    elif name == "slice-all":
        for t in tids:
            set_slice(t, int(float(value) * 1000), False)
    elif name == "nice":
        for t in tids:
            os.setpriority(os.PRIO_PROCESS, t, int(value))
    elif name not in ("plain", "fifo"):
        raise SystemExit("unknown variant " + spec)


def board(dirname, poll_ms):
    """The example board without its sensors, then ours; the event receiver is the default 0x20.
    fru0 (the NBD client's default export) is made 63.5 KiB."""
    with open(os.path.join(HERE, "..", "examples", "board.ini")) as f:
        lines, skip = [], False
        for line in f:
            if line.startswith("["):
                skip = line.startswith("[sensor.")
            if not skip:
                lines.append(line)
            # A FRU device large enough for the NBD client's 4 KiB reads (the largest a
            # 16-bit FRU offset allows, rounded down to 512, as bench/nbd-bench.sh uses).
            if line.strip() == "[fru.0]":
                lines.append("size = 65024\n")
    path = os.path.join(dirname, "board-%d.ini" % poll_ms)
    with open(path, "w") as f:
        f.write("".join(lines) + sensor_sections(os.path.join(dirname, "sensors"), poll_ms))
    return path


class Run:
    """One satmc-i2c-bus and one satmcd in a directory of their own."""

    def __init__(self, args, kind, config, variant=None):
        self.args, self.kind = args, kind
        self.dir = tempfile.mkdtemp(prefix="satmc-p99-")
        self.bus_sock = os.path.join(self.dir, "bus.sock")
        self.ipmitool_sock = os.path.join(self.dir, "ipmitool.sock")
        self.nbd_sock = os.path.join(self.dir, "nbd.sock")
        self.procs = []
        fault = ["--fault", "nak@0x10:p=%g" % args.nak] if kind != "idle" and args.nak > 0 else []
        self.bus = self.spawn(rt=True, argv=[args.bus, "--socket", self.bus_sock, "--seed", "1", *fault])
        wait_for(lambda: os.path.exists(self.bus_sock), "the bus socket")
        notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        notify.bind(os.path.join(self.dir, "notify.sock"))
        notify.settimeout(30)
        self.log = open(os.path.join(args.tmp, "satmcd-%s.log" % kind), "a")
        os.mkdir(os.path.join(self.dir, "state"))
        env = dict(os.environ, NOTIFY_SOCKET=notify.getsockname())
        if args.stalls:
            env.update(LD_PRELOAD=args.shim, LOOP_STALL_OUT=os.path.join(args.tmp, "stalls-%s.txt" % kind))
        satmcd = args.satmcd_b if kind == "load-b" else args.satmcd
        fifo = ["chrt", "--fifo", "10"] if variant == "fifo" and not args.rt else []
        variant = None if variant == "fifo" else variant
        self.satmcd = self.spawn(rt=not args.harness_rt, argv=fifo + [satmcd, "--config", config, "--bus-socket", self.bus_sock,
                                  "--ipmitool-socket", self.ipmitool_sock,
                                  "--nbd-socket", self.nbd_sock, "--log-level", "warning",
                                  "--state-directory", os.path.join(self.dir, "state")],
                                 env=env, stderr=self.log)
        try:
            while b"READY=1" not in notify.recv(4096).split(b"\n"):
                pass
        except socket.timeout:
            raise SystemExit("satmcd never sent READY=1 (log: %s)" % self.log.name)
        finally:
            notify.close()
        if variant:
            apply_variant(self.satmcd.pid, variant)

    def spawn(self, argv, rt=False, **kw):
        if rt and (self.args.rt or self.args.harness_rt):
            argv = ["chrt", "--fifo", "10"] + argv
        kw.setdefault("stdout", subprocess.DEVNULL)
        kw.setdefault("stderr", subprocess.DEVNULL)
        p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, **kw)
        self.procs.append(p)
        return p

    def cpu_seconds(self):
        """satmcd's CPU time so far, all threads (utime + stime from /proc/PID/stat)."""
        with open("/proc/%d/stat" % self.satmcd.pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self):
        for p in reversed(self.procs):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in reversed(self.procs):
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def wait_for(pred, what, timeout=10):
    deadline = time.monotonic() + timeout
    while not pred():
        if time.monotonic() > deadline:
            raise SystemExit("timed out waiting for " + what)
        time.sleep(0.01)


class Loads:
    """The load of a "load" run: NBD reader, ipmitool loop, threshold flips."""

    def __init__(self, run, args, sensors_dir):
        self.run, self.args, self.stop_flag = run, args, threading.Event()
        self.sdr_lists, self.sdr_failures, self.flips = 0, 0, 0
        self.nbd = run.spawn([args.nbd_bench, run.nbd_sock, "read", str(args.nbd_qd),
                              str(args.seconds + args.warmup)], stdout=subprocess.PIPE, text=True)
        self.threads = [threading.Thread(target=self.ipmitool_loop, daemon=True),
                        threading.Thread(target=self.flip_loop, args=(sensors_dir,), daemon=True)]
        for t in self.threads:
            t.start()

    def ipmitool_loop(self):
        env = dict(os.environ, IPMI_DUMMY_SOCK=self.run.ipmitool_sock)
        while not self.stop_flag.is_set():
            r = subprocess.run(["ipmitool", "-I", "dummy", "sdr", "list"], env=env,
                               stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, timeout=60)
            if r.returncode == 0:
                self.sdr_lists += 1
            else:
                self.sdr_failures += 1

    def flip_loop(self, sensors_dir):
        high = False
        while not self.stop_flag.wait(0.5):
            high = not high
            for i in FLIP:      # 40 C <-> 90 C: across upper non-critical and critical
                write_value(os.path.join(sensors_dir, "s%d" % i), 90000 if high else 40000)
            self.flips += 1

    def finish(self):
        self.stop_flag.set()
        for t in self.threads:
            t.join()
        out = self.nbd.communicate(timeout=self.args.seconds + 30)[0]
        kv = dict(x.split("=", 1) for x in out.split() if "=" in x)
        return kv


def percentile(sorted_v, q):
    return sorted_v[min(len(sorted_v) - 1, int(len(sorted_v) * q))]


def one_run(args, kind, configs, sensors_dir, round_no):
    raw = os.path.join(args.tmp, "%s-%d.raw" % (kind, round_no))
    run = Run(args, kind, configs["idle" if kind == "idle" else "load"], args.variants.get(kind))
    try:
        loads = Loads(run, args, sensors_dir) if kind != "idle" else None
        # Let the loads get going (the hung FIFOs' first reads stall the sensor worker; the NBD
        # client and ipmitool connect) before anything is timed.
        time.sleep(args.warmup)
        cpu0 = run.cpu_seconds()
        probe = subprocess.run((["chrt", "--fifo", "10"] if args.rt or args.harness_rt else []) + [args.probe, "--bus", run.bus_sock, "--seconds", str(args.seconds),
                                "--rate", str(args.rate), "--sensors", str(SENSORS), "--raw", raw],
                               capture_output=True, text=True, timeout=args.seconds + 60)
        cpu = run.cpu_seconds() - cpu0
        if probe.returncode != 0:
            raise SystemExit("mixed-load-probe failed: %s" % probe.stderr.strip())
        res = dict(x.split("=", 1) for x in probe.stdout.split())
        res["satmcd_cpu_pct"] = 100.0 * cpu / args.seconds
        if loads:
            nbd = loads.finish()
            res["nbd_iops"] = float(nbd.get("iops", 0))
            res["sdr_lists_per_s"] = loads.sdr_lists / (args.seconds + args.warmup)
            res["sdr_failures"] = loads.sdr_failures
            res["events_per_s"] = int(res["events_acked"]) / args.seconds
    finally:
        run.stop()
        # Sensor files back to their calm values for the next run.
        for i in FLIP:
            write_value(os.path.join(sensors_dir, "s%d" % i), 40000 + i * 100)
    with open(raw) as f:
        res["lat"] = [(int(c), int(ns)) for c, ns in (l.split() for l in f)]
    return res


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=os.path.join(HERE, "..", "build"), help="meson build directory")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seconds", type=float, default=20, help="timed seconds per run")
    ap.add_argument("--warmup", type=float, default=2.5, help="seconds of load before timing")
    ap.add_argument("--rate", type=float, default=500, help="requests per second (steady)")
    ap.add_argument("--nak", type=float, default=0.1, help="chance the bus NAKs a write to the BMC")
    ap.add_argument("--nbd-qd", type=int, default=1, help="NBD client queue depth")
    ap.add_argument("--keep", action="store_true", help="keep the raw latencies and satmcd logs")
    ap.add_argument("--stalls", action="store_true",
                    help="load bench/loop-stall-shim into satmcd: its loop iterations' wall and CPU "
                         "time, and the slowest ones with their descriptors")
    ap.add_argument("--satmcd", metavar="PATH", help="satmcd binary (default: BUILD/daemon/satmcd)")
    ap.add_argument("--satmcd-b", metavar="PATH",
                    help="a second satmcd binary (a change to compare): its load runs are "
                         "interleaved with the others as \"load-b\"")
    ap.add_argument("--rt", action="store_true",
                    help="run the bus, satmcd and the probe SCHED_FIFO (chrt, needs root): what is "
                         "left of the tail is satmcd's own loop, not the machine's other work")
    ap.add_argument("--harness-rt", action="store_true",
                    help="run the bus and the probe SCHED_FIFO (root), satmcd as its kind says: they "
                         "stand for an I2C controller and a BMC, which do not share satmcd's CPUs")
    ap.add_argument("--variant", action="append", default=[], metavar="SPEC",
                    help="one more load kind, satmcd scheduled as SPEC says, interleaved with the "
                         "others: slice=US (main thread's EEVDF slice, Linux >= 6.12), slice-all=US "
                         "(every thread's), nice=N, fifo (satmcd alone SCHED_FIFO 10); repeatable")
    args = ap.parse_args()
    args.variants = {"load-" + v.replace("=", "").replace("+", ","): v for v in args.variant}
    b = args.build
    args.satmcd = args.satmcd or os.path.join(b, "daemon/satmcd")
    args.bus = os.path.join(b, "tools/satmc-i2c-bus")
    args.probe, args.nbd_bench = os.path.join(b, "bench/mixed-load-probe"), os.path.join(b, "bench/nbd-bench")
    args.shim = os.path.abspath(os.path.join(b, "bench/libloop-stall-shim.so"))
    for p in (args.satmcd, args.bus, args.probe, args.nbd_bench) + ((args.satmcd_b,) if args.satmcd_b else ()) + ((args.shim,) if args.stalls else ()):
        if not os.access(p, os.X_OK):
            raise SystemExit("missing %s: meson compile -C %s" % (p, b))
    if not shutil.which("ipmitool"):
        raise SystemExit("missing ipmitool (scripts/setup.sh installs it)")

    args.tmp = tempfile.mkdtemp(prefix="satmc-p99-bench-")
    sensors_dir = os.path.join(args.tmp, "sensors")
    os.mkdir(sensors_dir)
    configs = {"idle": board(args.tmp, 60000), "load": board(args.tmp, 100)}
    for c in configs.values():
        subprocess.run([args.satmcd, "--check-config", "--config", c], check=True,
                       stdout=subprocess.DEVNULL)

    kinds = ("idle", "load") + (("load-b",) if args.satmcd_b else ()) + tuple(args.variants)
    results = {k: [] for k in kinds}
    load0 = os.getloadavg()[0]
    started = time.monotonic()
    try:
        for r in range(args.rounds):
            for k in kinds:
                results[k].append(one_run(args, k, configs, sensors_dir, r))
                print(".", end="", file=sys.stderr, flush=True)
        print(file=sys.stderr)
        report(args, results, load0, time.monotonic() - started)
        if args.stalls:
            for k in kinds:
                print("satmcd event loop, %s runs (bench/loop-stall-shim, every run's report):" % k)
                with open(os.path.join(args.tmp, "stalls-%s.txt" % k)) as f:
                    sys.stdout.write(f.read())
    finally:
        if not args.keep:
            shutil.rmtree(args.tmp, ignore_errors=True)
    if args.keep:
        print("raw latencies and satmcd logs kept in", args.tmp)


def report(args, results, load0, took):
    def us(ns):
        return ns / 1000.0

    print("mixed-load-p99: Get Device ID + Get Sensor Reading alternately at %g/s, %g s per run, "
          "%d interleaved rounds, %d CPUs, loadavg %.2f at start, %.2f at end, %.0f s%s"
          % (args.rate, args.seconds, args.rounds, os.cpu_count(), load0, os.getloadavg()[0], took,
             ", bus/satmcd/probe SCHED_FIFO" if args.rt else
             ", bus/probe SCHED_FIFO" if args.harness_rt else ""))
    print("%-17s %-5s %7s %5s %5s %8s %8s %8s %9s  %s" % ("run", "cmd", "answers", "lost", "late",
          "p50us", "p99us", "p99.9us", "maxus", "p99 per round (us)"))
    p99s = {}
    for k, runs in results.items():
        for cmd, name in ((None, "both"), (1, "gdid"), (0x2D, "gsr")):
            pooled = sorted(ns for r in runs for c, ns in r["lat"] if cmd is None or c == cmd)
            per_round = [percentile(sorted(ns for c, ns in r["lat"] if cmd is None or c == cmd), 0.99)
                         for r in runs]
            if cmd is None:
                p99s[k] = (us(percentile(pooled, 0.99)), us(pooled[-1]), [us(x) for x in per_round])
            lost = sum(int(r["lost"]) for r in runs) if cmd is None else ""
            late = sum(int(r["late"]) for r in runs) if cmd is None else ""
            print("%-17s %-5s %7d %5s %5s %8.1f %8.1f %8.1f %9.1f  %s" % (
                k, name, len(pooled), lost, late, us(percentile(pooled, 0.5)),
                us(percentile(pooled, 0.99)), us(percentile(pooled, 0.999)), us(pooled[-1]),
                " ".join("%.1f" % us(x) for x in per_round)))
    med = lambda v: sorted(v)[len(v) // 2]  # noqa: E731
    load_kinds = [k for k in results if k != "idle"]
    print("satmcd CPU (all threads, median of rounds): " + ", ".join(
        "%s %.1f %%" % (k, med([r["satmcd_cpu_pct"] for r in results[k]])) for k in results))
    for k in load_kinds:
        loads = results[k]
        print("beside the requests in %s (median of rounds): NBD %.0f reads/s (4 KiB, QD%d), "
              "ipmitool sdr list %.2f/s (%d failed), events acknowledged %.1f/s (bus NAKs %g %% of "
              "writes to 0x20), bad completion codes %d" % (
                  k, med([r["nbd_iops"] for r in loads]), args.nbd_qd,
                  med([r["sdr_lists_per_s"] for r in loads]),
                  sum(r["sdr_failures"] for r in loads), med([r["events_per_s"] for r in loads]),
                  args.nak * 100, sum(int(r["bad_cc"]) for r in loads)))
    idle_p99, _, rounds = p99s["idle"]
    base = med(rounds)
    print("noise: idle alone ranges %.1f..%.1f us in p99 over its rounds (%+.0f%%..%+.0f%% of its median)"
          % (min(rounds), max(rounds), (min(rounds) - base) / base * 100, (max(rounds) - base) / base * 100))
    for k in load_kinds:
        p99, mx, _ = p99s[k]
        print("verdict %s: p99 %.1f us <= 1000 us: %s; max %.1f us <= 20000 us: %s" % (
            k, p99, "PASS" if p99 <= 1000 else "FAIL", mx, "PASS" if mx <= 20000 else "FAIL"))

if __name__ == "__main__":
    main()
