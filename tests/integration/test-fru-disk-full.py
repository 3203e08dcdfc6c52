#!/usr/bin/env python3
"""A Write FRU Data that cannot be persisted, for real (docs/durability.md).

Disk full: the state directory is a 64 KiB tmpfs, mounted in a private mount namespace (the
test re-runs itself under `unshare --mount`; needs root, else a visible SKIP), filled to the
last page. Write FRU Data must answer 0xFF, leave memory as it was (Read FRU Data shows the old
bytes), leave fru0.bin and no fru0.bin.tmp behind; once space is freed, the identical retry
(same bytes, same sequence number, inside the duplicate window) must be executed, not replayed.

On the same full disk, NBD: a FLUSH that fails answers an error and the data stays in memory;
Cold Reset answers 0xFF and does not reset (it would lose the data), then, with room again,
persists it and re-executes; SIGTERM that cannot persist exits 1 and says so.

Descriptors exhausted: RLIMIT_NOFILE of the running satmcd lowered (prlimit) to exactly the
descriptors it holds, so the copy it opens fails with EMFILE: the same 0xFF, unchanged memory,
and an executed retry once the limit is back. Not under valgrind (it keeps descriptors of its
own above the limit), with a visible SKIP.
"""
import errno, os, resource, shutil, signal, subprocess, sys, tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from satmc_testlib import Rig, check, finish, skip  # noqa: E402
import emubus  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
NS_MARK = "SATMC_DISK_FULL_NS"
STORAGE, READ_FRU, WRITE_FRU = 0x0A, 0x11, 0x12
SAT = 0x72
SLOW = bool(os.environ.get("SATMCD_WRAPPER") or os.environ.get("SATMC_UNDER_VALGRIND"))
TIMEOUT = 10.0 if SLOW else 3.0


def config(tmp):
    """board-fru.ini with a duplicate window far longer than the test, so that a retry that
    were replayed would be replayed, however slow the machine; fru0 writable over NBD."""
    text = open(os.path.join(HERE, "board-fru.ini")).read()
    text = text.replace("duplicate-window-ms = 5000", "duplicate-window-ms = 60000")
    text = text.replace("[fru.0]\n", "[fru.0]\nnbd-writable = yes\n", 1)
    path = os.path.join(tmp, "board.ini")
    open(path, "w").write(text)
    return path


def send(rig, frame):
    """Send one whole request frame; the response to its seq and cmd, or None."""
    if not rig.bmc.write(SAT >> 1, frame[1:]):
        return None
    while True:
        got = rig.bmc.recv(TIMEOUT)
        if got is None:
            return None
        f = bytes([got[0] << 1]) + bytes(got[1])
        if len(f) >= 8 and f[4] == frame[4] and f[5] == frame[5]:
            return f


def write_frame(rig, off, data):
    return emubus.ipmb_request(SAT, STORAGE, WRITE_FRU, rig.next_seq(),
                               bytes([0, off & 0xFF, off >> 8]) + data)


def served(rig, off, n):
    f = send(rig, emubus.ipmb_request(SAT, STORAGE, READ_FRU, rig.next_seq(),
                                      bytes([0, off & 0xFF, off >> 8, n])))
    return None if f is None or f[6] != 0 else f[8:8 + n]


def read(path):
    with open(path, "rb") as f:
        return f.read()


def failed_then_retried(rig, state, what, off, data, fail, repair):
    """fail() makes persisting impossible, repair() undoes it; the write must fail cleanly and
    its identical retry succeed."""
    backing = os.path.join(state, "fru0.bin")
    old_mem, old_file = served(rig, off, len(data)), read(backing)
    frame = write_frame(rig, off, data)
    fail()
    try:
        f = send(rig, frame)
        check(f is not None and f[6] == 0xFF, "%s: Write FRU Data answers 0xFF (%s)"
              % (what, f and f.hex()))
        check(served(rig, off, len(data)) == old_mem,
              "%s: Read FRU Data still shows the old bytes" % what)
        check(read(backing) == old_file and not os.path.exists(backing + ".tmp"),
              "%s: fru0.bin unchanged, no fru0.bin.tmp left" % what)
    finally:
        repair()
    replayed = rig.counters()["responses-replayed"]
    f = send(rig, frame)
    check(f is not None and f[6] == 0 and rig.counters()["responses-replayed"] == replayed,
          "%s: the identical retry is executed, not replayed (%s)" % (what, f and f.hex()))
    check(served(rig, off, len(data)) == data and read(backing)[off:off + len(data)] == data,
          "%s: the retried bytes are served and on disk" % what)


def disk_full(tmp):
    state = os.path.join(tmp, "tiny")
    os.makedirs(state)
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k,mode=0755", "satmc-tiny", state],
                       capture_output=True, text=True)
    if r.returncode != 0:
        skip("disk full: Write FRU Data on a full tmpfs", "cannot mount a tmpfs: " + r.stderr.strip())
        return
    filler = os.path.join(state, "filler")
    rig = Rig(config(tmp), satmcd_args=["--state-directory", state])
    try:
        def fill():
            with open(filler, "wb", buffering=0) as f:
                for size in (4096, 512, 1):
                    try:
                        while True:
                            f.write(b"\0" * size)
                    except OSError as e:
                        if e.errno != errno.ENOSPC:
                            raise
            print("disk full: %d bytes of filler on the 64 KiB tmpfs" % os.path.getsize(filler),
                  flush=True)

        failed_then_retried(rig, state, "disk full", 300, b"disk-full-retry", fill,
                            lambda: os.unlink(filler))
        if shutil.which("nbdsh"):
            nbd_disk_full(rig, state, fill, lambda: os.unlink(filler))
        else:
            skip("disk full: NBD FLUSH, Cold Reset and exit on a full disk",
                 "nbdsh (python3-libnbd) not installed")
    finally:
        rig.stop()
        subprocess.run(["umount", state])


def nbdsh(sock, code):
    env = dict(os.environ, PATH="/usr/bin:" + os.environ.get("PATH", ""))
    return subprocess.run(["timeout", "60", "nbdsh", "-u", "nbd+unix:///fru0?socket=" + sock,
                           "-c", code], capture_output=True, text=True, env=env)


def nbd_disk_full(rig, state, fill, free):
    """NBD writes on a full disk: a FLUSH that fails leaves the data in memory, Cold Reset is
    refused rather than losing it, and persists it once there is room; an exit that cannot
    persist it says so and exits 1."""
    backing = os.path.join(state, "fru0.bin")
    fill()
    try:
        r = nbdsh(rig.nbd_sock, "h.pwrite(b'nbd-on-full-disk', 200)\n"
                                "try:\n    h.flush()\n    print('flushed')\n"
                                "except nbd.Error as e:\n    print('flush failed:', e)\n")
        check("flush failed" in r.stdout, "disk full: NBD FLUSH answers an error (%s)"
              % (r.stdout + r.stderr).strip())
        check(served(rig, 200, 16) == b"nbd-on-full-disk" and
              read(backing)[200:216] != b"nbd-on-full-disk",
              "disk full: the NBD write stays in memory (served), not on disk")
        pid = rig.satmcd.pid
        f = send(rig, emubus.ipmb_request(SAT, 0x06, 0x02, rig.next_seq()))
        check(f is not None and f[6] == 0xFF and rig.satmcd.poll() is None and
              served(rig, 200, 16) == b"nbd-on-full-disk",
              "disk full: Cold Reset answers 0xFF and keeps running with the data")
    finally:
        free()
    f = send(rig, emubus.ipmb_request(SAT, 0x06, 0x02, rig.next_seq()))
    check(f is not None and f[6] == 0, "room again: Cold Reset answers 0x00")
    rig.wait_notify("READY=1", 60 if SLOW else 10)
    check(rig.satmcd.pid == pid and served(rig, 200, 16) == b"nbd-on-full-disk" and
          read(backing)[200:216] == b"nbd-on-full-disk",
          "room again: Cold Reset persisted the NBD write, served after the re-exec")

    fill()
    r = nbdsh(rig.nbd_sock, "h.pwrite(b'lost-at-exit', 240)\n")
    rig.satmcd.send_signal(signal.SIGTERM)
    rc = rig.satmcd.wait(60)
    free()
    check(rc == 1 and "Unwritten FRU data was lost at exit" in rig.read_stderr(),
          "disk full at SIGTERM: satmcd says the unwritten NBD data was lost and exits 1 (rc %s)"
          % rc)


def fd_limit(tmp):
    if SLOW:
        skip("descriptor limit", "valgrind keeps descriptors of its own")
        return
    state = os.path.join(tmp, "fd-state")
    rig = Rig(config(tmp), satmcd_args=["--state-directory", state])
    try:
        pid = rig.satmcd.pid
        saved = resource.prlimit(pid, resource.RLIMIT_NOFILE)
        # One answer first: READY=1 can arrive before satmcd has closed the socket it sent it
        # on, and that descriptor must not be counted.
        served(rig, 0, 1)
        fds = sorted(int(n) for n in os.listdir("/proc/%d/fd" % pid))
        if fds != list(range(len(fds))):
            skip("descriptor limit", "satmcd's descriptors have gaps %s" % fds)
            return
        print("descriptor limit: satmcd holds %d descriptors, limit %s" % (len(fds), saved),
              flush=True)
        failed_then_retried(
            rig, state, "RLIMIT_NOFILE exhausted", 320, b"emfile-retry",
            lambda: resource.prlimit(pid, resource.RLIMIT_NOFILE, (len(fds), saved[1])),
            lambda: resource.prlimit(pid, resource.RLIMIT_NOFILE, saved))
    finally:
        check(rig.stop() == 0, "descriptor limit: satmcd exits 0")


def main():
    if os.geteuid() == 0 and NS_MARK not in os.environ:
        probe = subprocess.run(["unshare", "--mount", "--propagation", "private", "true"],
                               capture_output=True, text=True)
        if probe.returncode == 0:
            env = dict(os.environ, **{NS_MARK: "1"})
            os.execvpe("unshare", ["unshare", "--mount", "--propagation", "private", "--",
                                   sys.executable, os.path.abspath(__file__)], env)
    tmp = tempfile.mkdtemp(prefix="satmc-disk-full-")
    try:
        if NS_MARK in os.environ:
            disk_full(tmp)
        else:
            skip("disk full: Write FRU Data on a full tmpfs",
                 "needs root and a private mount namespace for its tmpfs")
        fd_limit(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    finish()


if __name__ == "__main__":
    main()
