#!/usr/bin/env python3
"""satmcd's start-up and idle, as on a board (/dev/ipmb-0 through ipmbshim.so, as
scripts/bench-instructions.sh runs it):

  start: time from just before exec to the READY=1 it sends to $NOTIFY_SOCKET (a socket of ours,
         as systemd's), median/min/max of --runs runs; beside it satmcd's own CPU time up to
         READY=1 (all threads, /proc/PID/task/*/schedstat read when READY=1 arrives), which a
         loaded machine inflates far less than the wall-clock time it spends waiting for a CPU;
  idle:  wake-ups of every thread over --idle seconds after READY=1, from the voluntary and
         involuntary context switches in /proc/PID/task/*/status, with the configuration given
         by --idle-config (one without polled sensors: the goal is zero).

usage: start-idle.py [--runs 21] [--idle 10] [--idle-config INI] -- SATMCD ARGS...
(ARGS without --config for the idle run: it gets --config INI appended.)
"""
import argparse, os, socket, statistics, subprocess, sys, tempfile, time


def wakeups(pid):
    total = 0
    for t in os.listdir(f"/proc/{pid}/task"):
        try:
            for line in open(f"/proc/{pid}/task/{t}/status"):
                if line.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total


def cpu_ms(pid):
    total = 0
    for t in os.listdir(f"/proc/{pid}/task"):
        try:
            total += int(open(f"/proc/{pid}/task/{t}/schedstat").read().split()[0])
        except OSError:
            pass
    return total / 1e6


def start(cmd, shim, workdir):
    """Start cmd; return (Popen, seconds from exec to READY=1, the device socket, CPU ms)."""
    ipmb = os.path.join(workdir, "ipmb.sock")
    notify = os.path.join(workdir, "notify.sock")
    for p in (ipmb, notify):
        if os.path.exists(p):
            os.unlink(p)
    ls = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    ls.bind(ipmb)
    ls.listen(1)
    ns = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    ns.bind(notify)
    ns.settimeout(30)
    env = dict(os.environ, LD_PRELOAD=shim, IPMB_SHIM_SOCK=ipmb, NOTIFY_SOCKET=notify)
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    ls.settimeout(30)
    conn, _ = ls.accept()
    while True:
        msg = ns.recv(4096).decode()
        if "READY=1" in msg.split("\n"):
            t1 = time.perf_counter()
            cpu = cpu_ms(p.pid)
            break
    ls.close()
    ns.close()
    return p, t1 - t0, conn, cpu


def stop(p):
    p.terminate()
    try:
        p.wait(10)
    except subprocess.TimeoutExpired:
        p.kill()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=21)
    ap.add_argument("--idle", type=float, default=10)
    ap.add_argument("--idle-config")
    ap.add_argument("--shim", default=os.environ.get("IPMB_SHIM_SO", "ipmbshim.so"))
    ap.add_argument("cmd", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    cmd = a.cmd[1:] if a.cmd[:1] == ["--"] else a.cmd
    shim = os.path.abspath(a.shim)
    work = tempfile.mkdtemp(prefix="satmc-start")

    times, cpus = [], []
    for _ in range(a.runs):
        p, dt, conn, cpu = start(cmd, shim, work)
        times.append(dt * 1000)
        cpus.append(cpu)
        stop(p)
        conn.close()
    load = " ".join(open("/proc/loadavg").read().split()[:3])
    print(f"start (exec -> READY=1), {a.runs} runs: median {statistics.median(times):.1f} ms, "
          f"min {min(times):.1f} ms, max {max(times):.1f} ms; satmcd CPU to READY=1: median "
          f"{statistics.median(cpus):.2f} ms, max {max(cpus):.2f} ms (loadavg {load})")

    if a.idle_config:
        p, _, conn, _ = start(cmd + ["--config", a.idle_config], shim, work)
        time.sleep(1)  # what start-up left to do (the sensor thread's first round, if any)
        w0 = wakeups(p.pid)
        time.sleep(a.idle)
        w1 = wakeups(p.pid)
        threads = len(os.listdir(f"/proc/{p.pid}/task"))
        stop(p)
        conn.close()
        print(f"idle {a.idle:.0f} s with {a.idle_config}: {w1 - w0} wake-ups "
              f"({threads} thread{'s' if threads != 1 else ''})")


if __name__ == "__main__":
    sys.exit(main())
