#!/usr/bin/env python3
"""One IPMB request, N times, as ../shared/tools/ipmb-peer-bench/ipmb_bench.py sends it (same
ipmbshim.so, same kernel byte layout, every response checked: addresses, netFn+1, cmd, seq, both
checksums, completion code 0), with what a BMC does first that ipmb_bench.py cannot:

  --reserve NETFN:CMD   send this once before the run; the first two data bytes of its answer
                        (a reservation ID, LS byte first) replace "rrrr" in --req's data.

So Get Device SDR is measured as ipmitool reads a record, under a reservation:
  ipmb-req-bench.py --reserve 0x04:0x22 --req 0x04:0x21:rrrr00000510 -n 10000 -- satmcd ...
Prints one JSON object like ipmb_bench.py --json. scripts/bench-instructions.sh uses it to count
user instructions per request under callgrind.

usage: ipmb-req-bench.py [-n N] [--sa 0x72] --req NETFN:CMD[:HEX] [--reserve NETFN:CMD] -- TARGET...
"""
import argparse, json, os, socket, subprocess, sys, tempfile, time


def cks(b):
    return (-sum(b)) & 0xFF


def parse_req(s):
    parts = s.split(":")
    return int(parts[0], 0), int(parts[1], 0), parts[2] if len(parts) > 2 else ""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-n", type=int, default=20000)
    ap.add_argument("--sa", type=lambda s: int(s, 0), default=0x72)
    ap.add_argument("--rq", type=lambda s: int(s, 0), default=0x20)
    ap.add_argument("--req", required=True)
    ap.add_argument("--reserve")
    ap.add_argument("--shim", default=os.environ.get("IPMB_SHIM_SO", "ipmbshim.so"))
    ap.add_argument("--connect-timeout", type=float, default=60,
                    help="seconds for TARGET to open /dev/ipmb-N (valgrind on a busy machine)")
    ap.add_argument("target", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    target = a.target[1:] if a.target[:1] == ["--"] else a.target

    d = tempfile.mkdtemp(prefix="ipmbreq")
    path = os.path.join(d, "ipmb.sock")
    ls = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    ls.bind(path)
    ls.listen(1)
    env = dict(os.environ, LD_PRELOAD=os.path.abspath(a.shim), IPMB_SHIM_SOCK=path)
    p = subprocess.Popen(target, env=env, stdin=subprocess.DEVNULL)
    ls.settimeout(a.connect_timeout)
    try:
        s, _ = ls.accept()
    except socket.timeout:
        p.kill()
        sys.exit("target never opened /dev/ipmb-N")
    s.settimeout(30)
    time.sleep(0.5)

    def once(netfn, cmd, data, seq):
        h = bytes([a.sa, netfn << 2])
        body = bytes([a.rq, (seq << 2) & 0xFF, cmd]) + data
        msg = h + bytes([cks(h)]) + body + bytes([cks(body)])
        s.send(bytes([len(msg)]) + msg)
        r = s.recv(512)
        ok = (len(r) >= 9 and r[0] == len(r) - 1 and r[1] == a.rq and r[2] >> 2 == netfn + 1
              and cks(r[1:3]) == r[3] and r[4] == a.sa and r[5] >> 2 == seq & 0x3F
              and r[6] == cmd and r[7] == 0 and cks(r[4:-1]) == r[-1])
        if not ok:
            p.kill()
            sys.exit(f"bad response to netfn 0x{netfn:02x} cmd 0x{cmd:02x} seq {seq}: {r.hex()}")
        return r

    netfn, cmd, hexdata = parse_req(a.req)
    if a.reserve:
        rn, rc, rd = parse_req(a.reserve)
        r = once(rn, rc, bytes.fromhex(rd), 63)
        hexdata = hexdata.replace("rrrr", r[8:10].hex())
    data = bytes.fromhex(hexdata)
    first = once(netfn, cmd, data, 0)
    for i in range(200):
        once(netfn, cmd, data, i)
    lat = []
    t0 = time.perf_counter_ns()
    for i in range(a.n):
        t = time.perf_counter_ns()
        once(netfn, cmd, data, i)
        lat.append(time.perf_counter_ns() - t)
    t1 = time.perf_counter_ns()
    p.terminate()
    try:
        p.wait(30)
    except subprocess.TimeoutExpired:
        p.kill()
    lat.sort()
    q = lambda f: lat[min(len(lat) - 1, int(f * len(lat)))] / 1000
    print(json.dumps({"target": " ".join(target), "requests": a.n,
                      "rate": a.n / ((t1 - t0) / 1e9), "p50_us": q(0.5), "p99_us": q(0.99),
                      "response": first.hex()}))


if __name__ == "__main__":
    main()
