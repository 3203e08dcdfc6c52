#!/usr/bin/env python3
"""HPM.1 upload throughput over the emulated IPMB, and what an upload costs other requesters.

Starts satmc-i2c-bus and satmcd (tests/integration/board-hpm.ini in a temporary directory),
then measures, in this order:
  1. idle: a Get Device ID loop from a second requester (0x24), alone: p50/p99/max latency;
  2. upload: SIZE bytes (default 1 MiB) of random data to component 1 as an upgrade agent sends
     them at the standard 32-byte IPMB message size: Initiate Upgrade Action (upload for
     upgrade), Upload Firmware Block with 23 data bytes per block (32 - 7 bytes of IPMB framing
     - PICMG identifier - block number, what ipmitool sends: its 25-byte request limit), one
     block at a time, each answered before the next, then Finish Firmware Upload polled with
     Get Upgrade Status to completion; bytes/s from the first Initiate to the completed Finish;
  3. during: the same Get Device ID loop, in its own process, running while 2. runs.
Every response is checked (addresses, seq, checksums, completion code 0); the uploaded slot is
compared with what was sent. Prints one table and, with --json, one JSON object.

usage: hpm-upload-bench.py [--size BYTES] [--gdid N] [--json] [--satmcd PATH] [--bus PATH]
       (defaults: the build tree's satmcd and satmc-i2c-bus beside this script's build dir,
       or $SATMCD / $SATMC_I2C_BUS)"""
import argparse, json, multiprocessing, os, shutil, statistics, subprocess, sys, tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..")
sys.path.insert(0, os.path.join(ROOT, "tests/harness"))
import emubus  # noqa: E402

SAT = 0x72
AGENT, PROBE = 0x20, 0x24          # 8-bit addresses: the upgrade agent and the other requester
PICMG, APP = 0x2C, 0x06
FRAME_MAX = 32                     # the IPMB message size (board-hpm.ini max-message-length)
BLOCK = FRAME_MAX - 7 - 2          # data bytes per Upload Firmware Block


class Requester:
    """One requester on the bus: sends a request, waits for its response, checks it."""

    def __init__(self, sock, sa8):
        self.ep = emubus.Endpoint(sock, [sa8 >> 1])
        self.sa8, self.seq = sa8, 0

    def call(self, netfn, cmd, data=b"", timeout=5.0, want_cc=(0,)):
        self.seq = (self.seq + 1) & 0x3F
        frame = emubus.ipmb_request(SAT, netfn, cmd, self.seq, data, rq_sa=self.sa8)
        for _ in range(3):
            if not self.ep.write(SAT >> 1, frame[1:]):
                time.sleep(0.001)
                continue
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                got = self.ep.recv(max(0.0, deadline - time.monotonic()))
                if got is None:
                    break
                rsp = emubus.ipmb_parse_response(bytes([got[0] << 1]) + bytes(got[1]))
                if rsp["seq"] != self.seq or rsp["cmd"] != cmd or rsp["netfn"] != netfn + 1:
                    continue
                if not (rsp["chk1_ok"] and rsp["chk2_ok"]) or rsp["cc"] not in want_cc:
                    raise SystemExit("netfn 0x%02x cmd 0x%02x: bad response %s" % (netfn, cmd, rsp))
                return rsp
        raise SystemExit("netfn 0x%02x cmd 0x%02x: no response" % (netfn, cmd))


def gdid_loop(sock, n, out):
    """n Get Device IDs from PROBE, one after another; their latencies (s) into out."""
    r = Requester(sock, PROBE)
    lat = []
    for _ in range(n):
        t = time.perf_counter()
        r.call(APP, 0x01)
        lat.append(time.perf_counter() - t)
    out.put(lat)


def gdid_until(sock, stop, out):
    """Get Device ID from PROBE until stop is set (the upload finished)."""
    r = Requester(sock, PROBE)
    lat = []
    while not stop.is_set():
        t = time.perf_counter()
        r.call(APP, 0x01)
        lat.append(time.perf_counter() - t)
    out.put(lat)


def pct(lat, p):
    s = sorted(lat)
    return s[min(len(s) - 1, int(len(s) * p / 100))]


def wait_status(agent, timeout=120):
    """Poll Get Upgrade Status until the long-duration command is done; its completion code."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rsp = agent.call(PICMG, 0x34, b"\x00")
        if rsp["data"][2] != 0x80:
            return rsp["data"][2]
        time.sleep(0.01)
    raise SystemExit("long-duration command still running after %d s" % timeout)


def upload(agent, data):
    """Initiate (upload for upgrade, component 1), blocks, Finish; seconds it took."""
    t0 = time.perf_counter()
    rsp = agent.call(PICMG, 0x31, bytes([0, 0x02, 0x02]), want_cc=(0, 0x80))
    if rsp["cc"] == 0x80 and wait_status(agent) != 0:
        raise SystemExit("Initiate Upgrade Action failed")
    for i, off in enumerate(range(0, len(data), BLOCK)):
        agent.call(PICMG, 0x32, bytes([0, i & 0xFF]) + data[off:off + BLOCK], want_cc=(0,))
    rsp = agent.call(PICMG, 0x33, bytes([0, 1]) + len(data).to_bytes(4, "little"), want_cc=(0, 0x80))
    if rsp["cc"] == 0x80 and wait_status(agent) != 0:
        raise SystemExit("Finish Firmware Upload failed")
    return time.perf_counter() - t0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", type=int, default=1 << 20)
    ap.add_argument("--gdid", type=int, default=2000, help="Get Device IDs in the idle run")
    ap.add_argument("--json", action="store_true")
    build = os.environ.get("SATMC_BUILD", os.path.join(ROOT, "build"))
    ap.add_argument("--satmcd", default=os.environ.get("SATMCD", os.path.join(build, "daemon/satmcd")))
    ap.add_argument("--bus", default=os.environ.get("SATMC_I2C_BUS", os.path.join(build, "tools/satmc-i2c-bus")))
    a = ap.parse_args()

    tmp = tempfile.mkdtemp(prefix="hpm-bench-")
    with open(os.path.join(ROOT, "tests/integration/board-hpm.ini")) as f:
        text = f.read().replace("@DIR@", tmp)
    config = os.path.join(tmp, "board.ini")
    with open(config, "w") as f:
        f.write(text)
    for name, content in (("boot.bin", b"boot"), ("rootfs-a.img", b"rootfs"), ("rootfs-b.img", b""),
                          ("rootfs.slot", b"a\n"), ("small.ver", b"0.01\n")):
        with open(os.path.join(tmp, name), "wb") as f:
            f.write(content)
    sock = os.path.join(tmp, "bus.sock")
    bus = subprocess.Popen([a.bus, "--socket", sock])
    satmcd = None
    try:
        while not os.path.exists(sock):
            time.sleep(0.01)
        satmcd = subprocess.Popen([a.satmcd, "--config", config, "--bus-socket", sock,
                                   "--state-directory", os.path.join(tmp, "state"),
                                   "--ipmitool-socket", os.path.join(tmp, "ipmitool.sock"),
                                   "--nbd-socket", os.path.join(tmp, "nbd.sock")],
                                  stdin=subprocess.DEVNULL, stderr=open(os.path.join(tmp, "satmcd.log"), "w"))
        agent = Requester(sock, AGENT)
        for _ in range(200):       # until satmcd answers
            try:
                agent.call(APP, 0x01, timeout=0.2)
                break
            except SystemExit:
                time.sleep(0.05)
        ctx = multiprocessing.get_context("fork")

        q = ctx.Queue()
        p = ctx.Process(target=gdid_loop, args=(sock, a.gdid, q))
        p.start()
        idle = q.get()
        p.join()

        data = os.urandom(a.size)
        stop, q = ctx.Event(), ctx.Queue()
        p = ctx.Process(target=gdid_until, args=(sock, stop, q))
        p.start()
        seconds = upload(agent, data)
        stop.set()
        during = q.get()
        p.join()
        # Uploaded, not activated: a staging file (or the idle slot) of that size holds it.
        staged_ok = None
        for top, _, names in os.walk(tmp):
            for name in names:
                path = os.path.join(top, name)
                if os.path.isfile(path) and os.path.getsize(path) == len(data):
                    with open(path, "rb") as g:
                        staged_ok = staged_ok or g.read() == data
    finally:
        if satmcd:
            satmcd.terminate()
            satmcd.wait(30)
        bus.terminate()
        bus.wait(10)

    blocks = (a.size + BLOCK - 1) // BLOCK
    res = {
        "size": a.size, "block_data_bytes": BLOCK, "blocks": blocks, "seconds": round(seconds, 3),
        "bytes_per_s": round(a.size / seconds), "blocks_per_s": round(blocks / seconds),
        "upload_verified": staged_ok,
        "gdid_idle": {"n": len(idle), "p50_ms": round(pct(idle, 50) * 1e3, 3),
                      "p99_ms": round(pct(idle, 99) * 1e3, 3), "max_ms": round(max(idle) * 1e3, 3)},
        "gdid_during_upload": {"n": len(during), "p50_ms": round(pct(during, 50) * 1e3, 3),
                               "p99_ms": round(pct(during, 99) * 1e3, 3),
                               "max_ms": round(max(during) * 1e3, 3)},
    }
    if a.json:
        print(json.dumps(res))
        return
    print("upload: %d bytes in %d blocks of %d data bytes (32-byte IPMB messages): %.2f s, "
          "%d bytes/s, %d blocks/s, stored bytes %s" % (a.size, blocks, BLOCK, seconds,
                                                        res["bytes_per_s"], res["blocks_per_s"],
                                                        {True: "match", False: "DIFFER", None: "not found"}[staged_ok]))
    print("%-28s %8s %10s %10s %10s" % ("Get Device ID from 0x24", "n", "p50 ms", "p99 ms", "max ms"))
    for name, k in (("idle", "gdid_idle"), ("during the upload", "gdid_during_upload")):
        r = res[k]
        print("%-28s %8d %10.3f %10.3f %10.3f" % (name, r["n"], r["p50_ms"], r["p99_ms"], r["max_ms"]))
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
