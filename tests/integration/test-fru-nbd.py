#!/usr/bin/env python3
"""One truth: satmcd's FRU devices as NBD exports, checked with real NBD clients against the
FRU commands. An NBD write is what the next Read FRU Data returns and a Write FRU Data is what
the next NBD read returns; NBD FLUSH persists to the backing file; a read-only export refuses
writes with EPERM and stays usable; a real kernel block device (nbdfuse + losetup) shows the
same bytes."""
import os, shutil, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from satmc_testlib import ANSWER_TIMEOUT, Rig, check, finish, skip, skip_all  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
STORAGE = 0x0A


def config_with_writable_fru0(tmp):
    """board-fru.ini, with fru0 writable over NBD (fru1 stays write-protected, read-only)."""
    text = open(os.path.join(HERE, "board-fru.ini")).read()
    text = text.replace("[fru.0]\n", "[fru.0]\nnbd-writable = yes\n", 1)
    path = os.path.join(tmp, "board-nbd.ini")
    open(path, "w").write(text)
    return path


def nbdsh(uri, code):
    # nbdsh runs `python3 -m nbd`; give it the system Python (which has python3-libnbd)
    # first on PATH, even where another python3 would come first.
    env = dict(os.environ, PATH="/usr/bin:" + os.environ.get("PATH", ""))
    return subprocess.run(["timeout", "30", "nbdsh", "-u", uri, "-c", code],
                          capture_output=True, text=True, env=env)


def main():
    for tool in ("nbdinfo", "nbdcopy", "nbdsh"):
        if not shutil.which(tool):
            skip_all("%s not installed" % tool)
    tmp = tempfile.mkdtemp(prefix="satmc-fru-nbd-")
    state = os.path.join(tmp, "state")
    os.makedirs(state)
    rig = Rig(config_with_writable_fru0(tmp), satmcd_args=["--state-directory", state])
    fru0 = "nbd+unix:///fru0?socket=" + rig.nbd_sock
    fru1 = "nbd+unix:///fru1?socket=" + rig.nbd_sock
    backing = os.path.join(state, "fru0.bin")
    try:
        out = subprocess.run(["nbdinfo", "--list", "nbd+unix:///?socket=" + rig.nbd_sock],
                             capture_output=True, text=True).stdout
        check('export="fru0"' in out and 'export="fru1"' in out, "nbdinfo --list shows fru0 and fru1")
        info0 = subprocess.run(["nbdinfo", "--json", fru0], capture_output=True, text=True).stdout
        info1 = subprocess.run(["nbdinfo", "--json", fru1], capture_output=True, text=True).stdout
        check('"is_read_only": false' in info0, "fru0 is writable over NBD (nbd-writable = yes)")
        check('"is_read_only": true' in info1, "fru1 is read-only (write-protected)")

        copy = os.path.join(tmp, "fru0.copy")
        r = subprocess.run(["nbdcopy", fru0, copy], capture_output=True, text=True)
        check(r.returncode == 0 and open(copy, "rb").read() == open(backing, "rb").read(),
              "nbdcopy fru0 out equals the backing file")

        # Write FRU Data over IPMB, then read the same bytes over NBD.
        f = rig.transact(STORAGE, 0x12, bytes([0, 0x00, 0x01]) + b"\xa5\x5a\xc3")
        check(f is not None and f[6] == 0 and f[7] == 3, "Write FRU Data over IPMB: 3 bytes written")
        r = nbdsh(fru0, "print(h.pread(3, 0x100).hex())")
        check(r.stdout.strip() == "a55ac3", "NBD read returns what Write FRU Data wrote: %s" % r.stdout.strip())

        # Write over NBD with a flush, then Read FRU Data over IPMB and the file on disk.
        r = nbdsh(fru0, "h.pwrite(b'\\x11\\x22\\x33\\x44', 0x120); h.flush()")
        check(r.returncode == 0, "NBD pwrite + flush on fru0%s" % (": " + r.stderr.strip() if r.returncode else ""))
        f = rig.transact(STORAGE, 0x11, bytes([0, 0x20, 0x01, 4]))
        check(f is not None and f[6] == 0 and f[7] == 4 and f[8:12] == b"\x11\x22\x33\x44",
              "Read FRU Data returns what NBD wrote")
        check(open(backing, "rb").read()[0x120:0x124] == b"\x11\x22\x33\x44",
              "NBD flush persisted the write to fru0.bin")

        # A write without flush is persisted when the client disconnects.
        r = nbdsh(fru0, "h.pwrite(b'\\x99', 0x130)")
        # satmcd persists it when it sees the disconnect, after nbdsh has exited: waited for
        # (a hang guard), not a fixed pause an fsync on a busy disk outlasts.
        deadline = time.monotonic() + ANSWER_TIMEOUT
        while open(backing, "rb").read()[0x130] != 0x99 and time.monotonic() < deadline:
            time.sleep(0.01)
        check(open(backing, "rb").read()[0x130] == 0x99, "an unflushed NBD write is persisted at disconnect")

        # Read-only export: EPERM, and the connection keeps working.
        r = nbdsh(fru1, "\n".join([
            "try:",
            "    h.pwrite(b'xx', 0)",
            "    print('accepted')",
            "except nbd.Error as e:",
            "    print('refused', e.errno)",
            "print(len(h.pread(16, 0)))",
        ]))
        lines = r.stdout.split()
        check(lines[:3] == ["refused", "1", "16"] or lines[:3] == ["refused", "EPERM", "16"],
              "write to read-only fru1 refused with EPERM, stream still in sync: %s" % r.stdout.strip())

        # Past the end: an error reply, not a disconnect.
        r = nbdsh(fru0, "\n".join([
            "try:",
            "    h.pread(16, h.get_size())",
            "except nbd.Error as e:",
            "    print('refused')",
            "print(len(h.pread(8, 0)))",
        ]))
        check(r.stdout.split() == ["refused", "8"], "read past the end refused, connection usable")

        if shutil.which("qemu-img"):
            r = subprocess.run(["qemu-img", "compare", "-f", "raw", "-F", "raw", fru0, backing],
                               capture_output=True, text=True)
            check(r.returncode == 0, "qemu-img compare: export and backing file are identical")

        # A kernel block device on top: nbdfuse exposes the export as a file, losetup a loop
        # device on it, and dd reads it through the block layer.
        can_loop = os.path.exists("/dev/fuse") and os.path.exists("/dev/loop-control") and \
            shutil.which("nbdfuse") and shutil.which("losetup") and os.geteuid() == 0
        if can_loop:
            mnt = os.path.join(tmp, "mnt")
            os.makedirs(mnt)
            fuse = subprocess.Popen(["nbdfuse", "-r", os.path.join(mnt, "fru0"), fru0])
            loop = None
            try:
                for _ in range(100):
                    if os.path.exists(os.path.join(mnt, "fru0")):
                        break
                    time.sleep(0.05)
                r = subprocess.run(["losetup", "-f", "--show", "-r", os.path.join(mnt, "fru0")],
                                   capture_output=True, text=True)
                loop = r.stdout.strip()
                if r.returncode != 0 or not loop:
                    skip("nbdfuse + losetup reads the same bytes as fru0.bin",
                         "losetup failed here: %s" % r.stderr.strip())
                else:
                    data = subprocess.run(["dd", "if=" + loop, "bs=512", "status=none"],
                                          capture_output=True).stdout
                    check(data == open(backing, "rb").read(),
                          "%s (nbdfuse + losetup) reads the same bytes as fru0.bin" % loop)
            finally:
                if loop:
                    subprocess.run(["losetup", "-d", loop])
                subprocess.run(["fusermount3", "-u", mnt], capture_output=True)
                subprocess.run(["umount", mnt], capture_output=True)
                fuse.terminate()
                try:
                    fuse.wait(10)
                except subprocess.TimeoutExpired:
                    fuse.kill()
        else:
            skip("nbdfuse + losetup reads the same bytes as fru0.bin",
                 "no /dev/fuse, loop devices or root: kernel block device not tried")
    finally:
        rc = rig.stop()
    check(rc == 0, "satmcd exits 0 on SIGTERM (got %s)" % rc)
    shutil.rmtree(tmp, ignore_errors=True)
    finish()


if __name__ == "__main__":
    main()
