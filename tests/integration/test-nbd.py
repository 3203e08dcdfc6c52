#!/usr/bin/env python3
"""common/nbd-server.c through satmc-nbd-serve, against real NBD clients and a raw socket.

Real clients: nbdinfo (list, sizes, read-only flag, descriptions, block sizes), nbdcopy out
and back in (the file changes after flush/disconnect), qemu-img info/compare, nbdsh scripts
with libnbd's client-side checks off so odd requests reach the server (read past the end,
writes to a read-only export, flush, zero, trim: errors come back and the connection stays
usable), ten nbdcopy at once, and nbdfuse + losetup for the kernel's block layer.
Raw socket: malformed, unknown, too many and oversized options, unknown client flags,
EXPORT_NAME with and without NO_ZEROES, ABORT, a refused WRITE drained in sync, pipelined and
split requests, and a bad request magic ending the session. Skips (TAP `1..0 # SKIP`) without nbdinfo."""
import json, os, shlex, shutil, socket, struct, subprocess, tempfile, time

SERVE = os.environ.get("SATMC_NBD_SERVE")
from satmc_tap import check, finish, skip, skip_all  # noqa: E402

NBDMAGIC, IHAVEOPT, REPMAGIC = 0x4e42444d41474943, 0x49484156454F5054, 0x3e889045565a9
REQ_MAGIC, REPLY_MAGIC = 0x25609513, 0x67446698
OPT_EXPORT_NAME, OPT_ABORT, OPT_LIST, OPT_INFO, OPT_GO, OPT_STRUCTURED_REPLY = 1, 2, 3, 6, 7, 8
REP_ACK, REP_SERVER, REP_INFO = 1, 2, 3
ERR = 1 << 31
REP_ERR_UNSUP, REP_ERR_INVALID, REP_ERR_UNKNOWN, REP_ERR_TOO_BIG = ERR | 1, ERR | 3, ERR | 6, ERR | 9
CMD_READ, CMD_WRITE, CMD_DISC, CMD_FLUSH, CMD_TRIM, CMD_CACHE, CMD_WRITE_ZEROES = 0, 1, 2, 3, 4, 5, 6
EPERM, EINVAL, ENOSPC = 1, 22, 28


def run(args, timeout=60, **kw):
    # nbdsh runs "python3" from PATH; the system one has the libnbd bindings.
    env = dict(os.environ, PATH="/usr/bin:/usr/sbin:" + os.environ.get("PATH", ""))
    return subprocess.run(args, capture_output=True, text=True, timeout=timeout, env=env, **kw)


class Server:
    def __init__(self, dir, exports, tcp=None):
        self.sock = os.path.join(dir, "nbd.sock")
        self.log = os.path.join(dir, "serve.log")
        # SATMCD_WRAPPER (meson test --setup=vgdaemon) runs the server under valgrind.
        args = shlex.split(os.environ.get("SATMCD_WRAPPER", "")) + [SERVE, "--socket", self.sock]
        if tcp:
            args += ["--tcp", tcp]
        for e in exports:
            args += ["--export", e]
        self.err = open(self.log, "w")
        self.proc = subprocess.Popen(args, stderr=self.err, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.connect(self.sock)
                s.close()
                return
            except OSError:
                time.sleep(0.02)
        raise SystemExit("satmc-nbd-serve did not come up:\n" + self.stderr())

    def uri(self, name=""):
        return "nbd+unix:///%s?socket=%s" % (name, self.sock)

    def stderr(self):
        self.err.flush()
        with open(self.log) as f:
            return f.read()

    def stop(self):
        self.proc.terminate()
        try:
            return self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return -1


class Raw:
    """A hand-driven NBD client on the UNIX socket."""

    def __init__(self, path, flags=3):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(5)
        self.s.connect(path)
        magic, opt, hs = struct.unpack(">QQH", self.recv(18))
        self.greeting = (magic, opt, hs)
        if flags is not None:
            self.s.sendall(struct.pack(">I", flags))

    def recv(self, n):
        buf = b""
        while len(buf) < n:
            chunk = self.s.recv(n - len(buf))
            if not chunk:
                raise EOFError("closed after %d of %d bytes" % (len(buf), n))
            buf += chunk
        return buf

    def closed(self):
        """True if the server hung up (EOF or reset) with nothing more to say."""
        try:
            return self.s.recv(1) == b""
        except ConnectionResetError:
            return True
        except socket.timeout:
            return False

    def option(self, opt, data=b"", length=None):
        self.s.sendall(struct.pack(">QII", IHAVEOPT, opt, len(data) if length is None else length) + data)

    def reply(self):
        magic, opt, typ, n = struct.unpack(">QIII", self.recv(20))
        if magic != REPMAGIC:
            raise ValueError("bad option reply magic %x" % magic)
        return opt, typ, self.recv(n)

    def replies_until_final(self):
        out = []
        while True:
            r = self.reply()
            out.append(r)
            if r[1] != REP_INFO and r[1] != REP_SERVER:
                return out

    def go(self, name, reqs=(), opt=OPT_GO):
        data = struct.pack(">I", len(name)) + name + struct.pack(">H", len(reqs))
        data += b"".join(struct.pack(">H", r) for r in reqs)
        self.option(opt, data)
        return self.replies_until_final()

    def request(self, typ, offset=0, length=0, flags=0, cookie=1, payload=b""):
        self.s.sendall(struct.pack(">IHHQQI", REQ_MAGIC, flags, typ, cookie, offset, length) + payload)

    def simple_reply(self, datalen=0):
        magic, err, cookie = struct.unpack(">IIQ", self.recv(16))
        if magic != REPLY_MAGIC:
            raise ValueError("bad reply magic %x" % magic)
        data = self.recv(datalen) if err == 0 and datalen else b""
        return err, cookie, data

    def close(self):
        self.s.close()


def raw_tests(srv, files):
    fru0 = files["fru0"]
    c = Raw(srv.sock)
    check(c.greeting == (NBDMAGIC, IHAVEOPT, 3), "greeting: NBDMAGIC IHAVEOPT, FIXED_NEWSTYLE|NO_ZEROES")
    # Lying name length: REP_ERR_INVALID, and haggling goes on.
    c.option(OPT_GO, struct.pack(">I", 100) + b"fru0" + b"\0\0")
    opt, typ, _ = c.reply()
    check(opt == OPT_GO and typ == REP_ERR_INVALID, "GO with a lying name length -> REP_ERR_INVALID")
    c.option(OPT_INFO, struct.pack(">I", 4) + b"fru0" + struct.pack(">H", 5) + b"\0\1")
    check(c.reply()[1] == REP_ERR_INVALID, "INFO with a lying request count -> REP_ERR_INVALID")
    c.option(OPT_LIST, b"x")
    check(c.reply()[1] == REP_ERR_INVALID, "LIST with data -> REP_ERR_INVALID")
    # Unknown options, and ones we do not do: REP_ERR_UNSUP with the payload read off.
    c.option(0x1234, b"some payload")
    opt, typ, _ = c.reply()
    check(opt == 0x1234 and typ == REP_ERR_UNSUP, "unknown option -> REP_ERR_UNSUP")
    c.option(OPT_STRUCTURED_REPLY)
    check(c.reply()[1] == REP_ERR_UNSUP, "STRUCTURED_REPLY -> REP_ERR_UNSUP (simple replies only)")
    check(c.go(b"nope")[-1][1] == REP_ERR_UNKNOWN, "GO for an unknown export -> REP_ERR_UNKNOWN")
    # Oversized but sane: drained, REP_ERR_TOO_BIG, still in sync.
    c.option(0x99, b"z" * 5000)
    check(c.reply()[1:] == (REP_ERR_TOO_BIG, b"option data too long"), "5000-byte option -> REP_ERR_TOO_BIG")
    # INFO with every request; then GO on "" is the first export.
    reps = c.go(b"fru0", (0, 1, 2, 3), OPT_INFO)
    infos = {struct.unpack(">H", d[:2])[0]: d[2:] for _, t, d in reps if t == REP_INFO}
    check(reps[-1][1] == REP_ACK and set(infos) == {0, 1, 2, 3}, "INFO: export, name, description, block size, ACK")
    check(struct.unpack(">QH", infos.get(0, b"\0" * 10)) == (len(fru0), 0x16d),
          "INFO_EXPORT: size and flags HAS_FLAGS|FLUSH|FUA|TRIM|WRITE_ZEROES|MULTI_CONN")
    check(infos.get(1) == b"fru0" and infos.get(2) == b"FRU device 0", "INFO_NAME and INFO_DESCRIPTION")
    check(struct.unpack(">III", infos.get(3, b"\0" * 12)) == (1, 512, 65536), "INFO_BLOCK_SIZE 1/512/64K")
    reps = c.go(b"", (1,))
    names = [d[2:] for _, t, d in reps if t == REP_INFO and d[:2] == b"\0\1"]
    check(reps[-1][1] == REP_ACK and names == [b"fru0"], "GO with the empty name serves the first export")
    # Transmission: pipelined, and split across sends.
    c.s.sendall(struct.pack(">IHHQQI", REQ_MAGIC, 0, CMD_READ, 7, 0, 16) +
                struct.pack(">IHHQQI", REQ_MAGIC, 0, CMD_READ, 8, 16, 16)[:10])
    time.sleep(0.05)
    c.s.sendall(struct.pack(">IHHQQI", REQ_MAGIC, 0, CMD_READ, 8, 16, 16)[10:])
    r1, r2 = c.simple_reply(16), c.simple_reply(16)
    check(r1 == (0, 7, fru0[:16]) and r2 == (0, 8, fru0[16:32]), "pipelined and split READs answered in order")
    c.request(CMD_READ, len(fru0) - 1, 2, cookie=9)
    check(c.simple_reply(2)[:2] == (EINVAL, 9), "READ past the end -> EINVAL")
    c.request(CMD_WRITE, len(fru0) - 1, 2, cookie=10, payload=b"ab")
    check(c.simple_reply()[:2] == (ENOSPC, 10), "WRITE past the end -> ENOSPC, payload drained")
    c.request(CMD_CACHE, 0, 1, cookie=11)
    check(c.simple_reply()[:2] == (EINVAL, 11), "CACHE (not advertised) -> EINVAL")
    c.request(0x4242, 0, 1, cookie=12)
    check(c.simple_reply()[:2] == (EINVAL, 12), "unknown command -> EINVAL")
    c.request(CMD_READ, 0, 1, flags=0x10, cookie=13)
    check(c.simple_reply()[:2] == (EINVAL, 13), "unknown command flag -> EINVAL")
    c.request(CMD_FLUSH, 1, 0, cookie=14)
    check(c.simple_reply()[:2] == (EINVAL, 14), "FLUSH with an offset -> EINVAL")
    c.request(CMD_READ, 0, 4, cookie=15)
    check(c.simple_reply(4) == (0, 15, fru0[:4]), "still in sync after the refusals")
    c.s.sendall(struct.pack(">IHHQQI", REPLY_MAGIC, 0, CMD_READ, 16, 0, 4))
    check(c.closed(), "bad request magic ends the session")
    c.close()

    # A refused WRITE on the read-only export, its payload split over two sends.
    c = Raw(srv.sock)
    check(c.go(b"sdr")[-1][1] == REP_ACK, "GO sdr")
    c.s.sendall(struct.pack(">IHHQQI", REQ_MAGIC, 0, CMD_WRITE, 1, 0, 300) + b"\x11" * 100)
    time.sleep(0.05)
    c.s.sendall(b"\x11" * 200)
    c.request(CMD_READ, 0, 8, cookie=2)
    check(c.simple_reply()[:2] == (EPERM, 1) and c.simple_reply(8) == (0, 2, files["sdr"][:8]),
          "WRITE to read-only -> EPERM, payload drained, next READ in sync")
    c.request(CMD_DISC, cookie=3)
    check(c.closed(), "DISC closes without a reply")
    c.close()

    # Too many options: 32 are answered, the 33rd hangs up.
    c = Raw(srv.sock)
    for _ in range(33):
        c.option(0x4321)
    answered = 0
    try:
        while True:
            c.reply()
            answered += 1
    except (EOFError, ConnectionResetError, socket.timeout):
        pass
    check(answered == 32 and c.closed(), "33 options: 32 answered, then closed (got %d)" % answered)
    c.close()

    c = Raw(srv.sock)
    c.option(0x77, length=1 << 20)
    check(c.closed(), "an option claiming 1 MiB closes the connection")
    c.close()

    c = Raw(srv.sock, flags=0x10003)
    check(c.closed(), "unknown client flags close the connection")
    c.close()

    c = Raw(srv.sock)
    c.option(OPT_ABORT)
    check(c.reply()[:2] == (OPT_ABORT, REP_ACK) and c.closed(), "ABORT is ACKed, then closed")
    c.close()

    # EXPORT_NAME: 134 bytes without NO_ZEROES, 10 with; an unknown name hangs up.
    c = Raw(srv.sock, flags=1)
    c.option(OPT_EXPORT_NAME, b"sdr")
    size, tflags = struct.unpack(">QH", c.recv(10))
    zeroes = c.recv(124)
    check(size == len(files["sdr"]) and tflags & 2 and zeroes == b"\0" * 124,
          "EXPORT_NAME without NO_ZEROES: size, READ_ONLY, 124 zeroes")
    c.request(CMD_READ, 0, 4, cookie=5)
    check(c.simple_reply(4) == (0, 5, files["sdr"][:4]), "READ after EXPORT_NAME")
    c.close()
    c = Raw(srv.sock)
    c.option(OPT_EXPORT_NAME, b"")
    size, tflags = struct.unpack(">QH", c.recv(10))
    c.request(CMD_READ, 0, 4, cookie=6)
    check(size == len(fru0) and c.simple_reply(4) == (0, 6, fru0[:4]),
          "EXPORT_NAME \"\" with NO_ZEROES: first export, 10 bytes")
    c.close()
    c = Raw(srv.sock)
    c.option(OPT_EXPORT_NAME, b"nope")
    check(c.closed(), "EXPORT_NAME of an unknown export closes")
    c.close()


def client_tests(srv, dir, paths, files):
    r = run(["nbdinfo", "--list", "--json", srv.uri()])
    ok = r.returncode == 0
    listed = {}
    if ok:
        for e in json.loads(r.stdout)["exports"]:
            listed[e["export-name"]] = e
    check(ok and sorted(listed) == ["fru0", "img", "sdr"], "nbdinfo --list shows fru0, sdr, img")
    check(listed.get("fru0", {}).get("description") == "FRU device 0" and
          listed.get("sdr", {}).get("description") == "SDR repository", "nbdinfo --list descriptions")

    for name in ("fru0", "sdr", "img"):
        r = run(["nbdinfo", "--json", srv.uri(name)])
        info = json.loads(r.stdout)["exports"][0] if r.returncode == 0 else {}
        check(info.get("export-size") == len(files[name]) and
              info.get("is_read_only") == (name != "fru0") and
              info.get("block_size_minimum") == 1 and info.get("block_size_preferred") == 512 and
              info.get("block_size_maximum") == 65536,
              "nbdinfo %s: size %d, read-only %s, block sizes" % (name, len(files[name]), name != "fru0"))

    out = os.path.join(dir, "img.out")
    r = run(["nbdcopy", srv.uri("img"), out])
    check(r.returncode == 0 and open(out, "rb").read() == files["img"], "nbdcopy out: bytes equal the file")

    new = os.urandom(len(files["fru0"]))
    src = os.path.join(dir, "fru0.new")
    open(src, "wb").write(new)
    r = run(["nbdcopy", src, srv.uri("fru0")])
    check(r.returncode == 0, "nbdcopy in to fru0: " + r.stderr.strip())
    check(open(paths["fru0"], "rb").read() == new, "fru0's file holds the new bytes after nbdcopy")
    files["fru0"] = new
    r = run(["nbdcopy", src, srv.uri("sdr")])
    check(r.returncode != 0 and open(paths["sdr"], "rb").read() == files["sdr"], "nbdcopy in to sdr fails, file unchanged")

    r = run(["qemu-img", "info", "--output=json", srv.uri("img")])
    check(r.returncode == 0 and json.loads(r.stdout).get("virtual-size") == len(files["img"]),
          "qemu-img info: virtual size")
    r = run(["qemu-img", "compare", "-f", "raw", "-F", "raw", srv.uri("img"), paths["img"]])
    check(r.returncode == 0, "qemu-img compare with the file: identical")

    # libnbd checks bounds and read-only itself; strict mode 0 lets the odd requests through.
    script = r'''
import errno
h.set_strict_mode(0)
def err(f):
    try:
        f()
        return None
    except nbd.Error as e:
        # libnbd's Python binding reports the errno by name ("EINVAL").
        return e.errno if isinstance(e.errno, str) else errno.errorcode.get(e.errno)
size = h.get_size()
out = []
out.append(err(lambda: h.pread(1, size)) == "EINVAL")
out.append(err(lambda: h.pread(2, size - 1)) == "EINVAL")
out.append(len(h.pread(16, 0)) == 16)
if h.is_read_only():
    out.append(err(lambda: h.pwrite(b"x", 0)) == "EPERM")
    out.append(err(lambda: h.zero(1, 0)) == "EPERM")
    out.append(err(lambda: h.trim(1, 0)) == "EPERM")
else:
    out.append(err(lambda: h.pwrite(b"xy", size - 1)) == "ENOSPC")
    h.pwrite(b"\xaa" * 8, 8, nbd.CMD_FLAG_FUA)
    h.zero(4, 0)
    h.zero(4, 4, nbd.CMD_FLAG_NO_HOLE)
    h.trim(8, 8)
    out.append(h.pread(16, 0) == b"\0" * 8 + b"\xaa" * 8)
h.flush()
out.append(len(h.pread(16, 0)) == 16)
print(all(out), out)
'''
    for name in ("sdr", "fru0"):
        r = run(["nbdsh", "-u", srv.uri(name), "-c", script])
        check(r.returncode == 0 and r.stdout.startswith("True"),
              "nbdsh odd requests on %s: %s%s" % (name, r.stdout.strip(), r.stderr.strip()))
    data = open(paths["fru0"], "rb").read()
    check(data[:16] == b"\0" * 8 + b"\xaa" * 8, "fru0's file shows the nbdsh writes (FUA, zero, flush)")
    files["fru0"] = data

    procs = [subprocess.Popen(["nbdcopy", srv.uri("img"), os.path.join(dir, "par%d" % i)],
                              stderr=subprocess.PIPE) for i in range(10)]
    rcs = [p.wait(60) for p in procs]
    same = all(open(os.path.join(dir, "par%d" % i), "rb").read() == files["img"] for i in range(10))
    check(rcs == [0] * 10 and same, "10 parallel nbdcopy: all succeed, all bytes equal")


def fuse_loop_test(srv, dir, files):
    if not os.path.exists("/dev/fuse") or not shutil.which("nbdfuse") or not shutil.which("losetup"):
        skip("nbdfuse + losetup", "no /dev/fuse, nbdfuse or losetup")
        return
    if not os.path.exists("/dev/loop-control") or os.geteuid() != 0:
        skip("nbdfuse + losetup", "no loop devices (or not root)")
        return
    mnt = os.path.join(dir, "fuse")
    os.mkdir(mnt)
    fuse = subprocess.Popen(["nbdfuse", "-r", os.path.join(mnt, "disk"), srv.uri("img")],
                            stderr=subprocess.PIPE)
    loop = None
    try:
        disk = os.path.join(mnt, "disk")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not os.path.exists(disk):
            if fuse.poll() is not None:
                break
            time.sleep(0.05)
        if not os.path.exists(disk):
            check(False, "nbdfuse exposes the export: " + (fuse.stderr.read().decode() if fuse.poll() is not None else "timeout"))
            return
        check(open(disk, "rb").read() == files["img"], "nbdfuse: the file reads as the export")
        r = run(["losetup", "-f", "--show", "-r", disk])
        if r.returncode != 0:
            skip("losetup: the kernel block layer reads the export", r.stderr.strip())
            return
        loop = r.stdout.strip()
        r = subprocess.run(["dd", "if=" + loop, "bs=64k", "iflag=direct", "status=none"], capture_output=True, timeout=30)
        check(r.returncode == 0 and r.stdout == files["img"], "losetup %s: the kernel block layer reads the export" % loop)
    finally:
        if loop:
            subprocess.run(["losetup", "-d", loop])
        subprocess.run(["fusermount3", "-u", mnt], capture_output=True)
        try:
            fuse.wait(10)
        except subprocess.TimeoutExpired:
            fuse.kill()
            fuse.wait()


def main():
    if not shutil.which("nbdinfo"):
        skip_all("nbdinfo not installed")
    if not SERVE:
        raise SystemExit("SATMC_NBD_SERVE is not set")
    dir = tempfile.mkdtemp(prefix="satmc-nbd-")
    files = {"fru0": os.urandom(2048), "sdr": os.urandom(512), "img": os.urandom(1 << 20)}
    paths = {}
    for k, v in files.items():
        paths[k] = os.path.join(dir, k + ".bin")
        open(paths[k], "wb").write(v)
    srv = Server(dir, ["fru0=%s:rw:desc=FRU device 0" % paths["fru0"],
                       "sdr=%s:desc=SDR repository" % paths["sdr"],
                       "img=%s" % paths["img"]])
    try:
        raw_tests(srv, files)
        client_tests(srv, dir, paths, files)
        fuse_loop_test(srv, dir, files)
        check(srv.proc.poll() is None, "server still running after everything")
    finally:
        rc = srv.stop()
        log = srv.stderr()
        check(rc == 0, "server exits 0 on SIGTERM")
        print("---- server log (tail) ----\n" + "\n".join(log.splitlines()[-15:]))
        shutil.rmtree(dir, ignore_errors=True)
    finish()


if __name__ == "__main__":
    main()
