#!/usr/bin/env python3
"""satmcd's structured journal path (common/log.c), against a journal socket this test owns.

The test re-runs itself under `unshare --mount --propagation private`, mounts a tmpfs over
/run/systemd/journal (or the nearest existing parent) in that private namespace, and binds an
AF_UNIX datagram socket at /run/systemd/journal/socket, where sd_journal_send() writes. The host's
journald, if any, is never touched: the mount exists only in the namespace and ends with it.
satmcd's stderr is an AF_UNIX stream socket, as under systemd, and JOURNAL_STREAM names it.

Checks, each with satmcd on the emulated bus, a frame with a bad data checksum and a good Get
Device ID sent to it:
  - log-level debug, JOURNAL_STREAM matching stderr: the startup entry (priority 6), a dropped-frame
    entry with SATMC_REASON=data-checksum and a handled-request entry with SATMC_NETFN=0x06,
    SATMC_CMD=0x01 (priority 7), every entry with SATMC_BUS (the bus socket) and
    SATMC_ADDRESS=0x72, CODE_FILE/LINE/FUNC of the caller and no field twice; a refused reload
    (config file gone) logs priority 3 with ERRNO=2, entries with no error carry no ERRNO;
    nothing of this is written as text to stderr;
  - log-level info: the startup entry arrives, no per-frame entry does;
  - JOURNAL_STREAM naming another socket: no datagram at all, the text goes to stderr.
Skips (TAP `1..0 # SKIP`) when a mount namespace cannot be made (not root / no CAP_SYS_ADMIN)."""
import array, json, os, shlex, shutil, signal, socket, struct, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from satmc_testlib import Rig, check, finish, emubus, wait_for, skip_all  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
CONFIG = os.path.join(HERE, "board-test.ini")
JOURNAL_DIR = "/run/systemd/journal"
JOURNAL_SOCKET = JOURNAL_DIR + "/socket"
NS_MARK = "SATMC_TEST_JOURNAL_OUTER_MNTNS"
APP, GET_DEVICE_ID = 0x06, 0x01
SAT = 0x39                                  # satmcd, 7-bit (8-bit 0x72)
SLOW = bool(os.environ.get("SATMCD_WRAPPER"))   # satmcd under valgrind
WAIT = 30 if SLOW else 10
QUIET_WAIT = 1.0 if SLOW else 0.3
FIELDS = ("MESSAGE", "PRIORITY", "CODE_FILE", "CODE_LINE", "CODE_FUNC", "SATMC_BUS", "SATMC_ADDRESS",
          "SATMC_NETFN", "SATMC_CMD", "SATMC_REASON")


def enter_namespace():
    """Re-exec this script in a private mount namespace; skip if that is not permitted."""
    probe = subprocess.run(["unshare", "--mount", "--propagation", "private", "true"],
                           capture_output=True, text=True)
    if probe.returncode != 0:
        skip_all("cannot create a mount namespace (needs root or CAP_SYS_ADMIN): "
                 + probe.stderr.strip())
    env = dict(os.environ, **{NS_MARK: os.readlink("/proc/self/ns/mnt")})
    os.execvpe("unshare", ["unshare", "--mount", "--propagation", "private", "--",
                           sys.executable, os.path.abspath(__file__)], env)


def private_journal_dir():
    """Inside the namespace: a tmpfs holding an empty /run/systemd/journal."""
    if os.readlink("/proc/self/ns/mnt") == os.environ[NS_MARK]:
        raise SystemExit("refusing to mount: not in a mount namespace of our own")
    # Over the journal directory if it exists, else over the nearest parent that does: a
    # directory is never created outside the tmpfs, so the host sees nothing of this.
    where = next(d for d in (JOURNAL_DIR, "/run/systemd", "/run") if os.path.isdir(d))
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "mode=0755,size=1m", "satmc-test-journal",
                        where], capture_output=True, text=True)
    if r.returncode != 0:
        skip_all("cannot mount a tmpfs in the mount namespace: " + r.stderr.strip())
    os.makedirs(JOURNAL_DIR, exist_ok=True)
    print("journal socket %s on a tmpfs over %s, in mount namespace %s"
          % (JOURNAL_SOCKET, where, os.readlink("/proc/self/ns/mnt")), flush=True)


def parse_native(buf):
    """journald's native protocol: KEY=VALUE\\n, or KEY\\n<le64 size><value>\\n for any value.
    Returns [(key, value)] in order, duplicates kept."""
    fields, i = [], 0
    while i < len(buf):
        nl = buf.index(b"\n", i)
        line = buf[i:nl]
        if b"=" in line:
            key, value = line.split(b"=", 1)
            i = nl + 1
        else:
            key = line
            (size,) = struct.unpack_from("<Q", buf, nl + 1)
            value = buf[nl + 9:nl + 9 + size]
            if len(value) != size or buf[nl + 9 + size:nl + 10 + size] != b"\n":
                raise ValueError("truncated binary field " + key.decode(errors="replace"))
            i = nl + 10 + size
        fields.append((key.decode(), value.decode()))
    return fields


class Journal:
    """The datagram socket sd_journal_send() writes to. Entries are dicts of their fields;
    big messages come as a memfd passed with SCM_RIGHTS, which is handled and counted."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(JOURNAL_SOCKET)
        self.entries, self.raw, self.via_memfd, self.duplicates = [], [], 0, []

    def _take(self, flags=0):
        fds = array.array("i")
        data, anc, _, _ = self.sock.recvmsg(1 << 17, socket.CMSG_SPACE(4 * fds.itemsize), flags)
        for level, kind, payload in anc:
            if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                fds.frombytes(payload[:len(payload) - len(payload) % fds.itemsize])
        for fd in fds:
            with os.fdopen(fd, "rb") as f:
                data = f.read()
            self.via_memfd += 1
        fields = parse_native(data)
        entry = dict(fields)
        if len(entry) != len(fields):
            self.duplicates.append(fields)
        self.raw.append(data)
        self.entries.append(entry)
        print("journal: " + json.dumps(entry), flush=True)

    def wait(self, pred, what, timeout=WAIT):
        """Receive until some entry satisfies pred; return it."""
        deadline = time.monotonic() + timeout
        while True:
            for e in self.entries:
                if pred(e):
                    return e
            left = deadline - time.monotonic()
            if left <= 0:
                raise SystemExit("journal: timed out waiting for " + what)
            self.sock.settimeout(left)
            try:
                self._take()
            except socket.timeout:
                pass

    def drain(self):
        """Everything already queued (call after satmcd has exited: then that is all)."""
        self.sock.settimeout(None)
        while True:
            try:
                self._take(socket.MSG_DONTWAIT)
            except BlockingIOError:
                return

    def reset(self):
        self.drain()
        self.entries, self.raw, self.via_memfd, self.duplicates = [], [], 0, []


class JournalRig(Rig):
    """A Rig whose satmcd has one end of an AF_UNIX stream socket pair as stderr, like a service
    under systemd, with JOURNAL_STREAM naming that end (match) or the other end (not match). What
    satmcd writes to stderr is copied into the Rig's stderr file, so read_stderr() still works."""

    def __init__(self, config, match, **kw):
        self.match = match
        super().__init__(config, **kw)

    def start_satmcd(self):
        wrapper = shlex.split(os.environ.get("SATMCD_WRAPPER", ""))
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        st = os.fstat((theirs if self.match else ours).fileno())
        env = dict(os.environ, NOTIFY_SOCKET=self.notify_path,
                   JOURNAL_STREAM="%d:%d" % (st.st_dev, st.st_ino))
        self.satmcd = subprocess.Popen(wrapper + [os.environ["SATMCD"], "--config", self.config,
                                                  "--bus-socket", self.sock,
                                                  "--ipmitool-socket", self.ipmitool_sock,
                                                  "--nbd-socket", self.nbd_sock,
                                                  *self.satmcd_args],
                                       env=env, stderr=theirs, stdin=subprocess.DEVNULL)
        theirs.close()
        self.stream = ours
        self.wait_notify("READY=1", WAIT)

    def read_stderr(self):
        self.stream.setblocking(False)
        while True:
            try:
                data = self.stream.recv(65536)
            except BlockingIOError:
                break
            if not data:
                break
            os.write(self.stderr.fileno(), data)
        return super().read_stderr()


def bad_then_good(rig):
    """A Get Device ID with a broken data checksum (dropped, no answer), then a good one.
    satmcd handles frames in order, so once the good one is answered both were logged."""
    frame = emubus.ipmb_request(0x72, APP, GET_DEVICE_ID, 1)
    bad = frame[:-1] + bytes([(frame[-1] + 1) & 0xFF])
    check(rig.send_raw(SAT, bad[1:], QUIET_WAIT) is None, "bad data checksum: no answer")
    rsp = rig.transact(APP, GET_DEVICE_ID, seq=2, timeout=WAIT)
    check(rsp is not None and rsp[6] == 0, "good Get Device ID answered with cc 0")
    return len(bad)


def is_startup(e):
    return e.get("MESSAGE", "").startswith("satmcd answering at 0x72")


def stop(rig, journal, what):
    rc = rig.stop()
    check(rc == 0, "%s: satmcd exited 0 on SIGTERM (got %s)" % (what, rc))
    journal.drain()


def test_debug(journal, tmp):
    config = os.path.join(tmp, "satmcd.conf")
    shutil.copy(CONFIG, config)
    rig = JournalRig(config, True, satmcd_args=("--log-level=debug",))
    try:
        startup = journal.wait(is_startup, "the startup entry")
        n = bad_then_good(rig)
        dropped = journal.wait(lambda e: e.get("SATMC_REASON") == "data-checksum",
                               "the dropped-frame entry")
        handled = journal.wait(lambda e: e.get("SATMC_NETFN") and e.get("SATMC_REASON") == "ok",
                               "the handled-request entry")
        # A reload that cannot read the file logs an error with its errno.
        os.unlink(config)
        rig.satmcd.send_signal(signal.SIGHUP)
        failed = journal.wait(lambda e: e.get("MESSAGE", "").startswith("Failed to read"),
                              "the failed reload entry")
        journal.wait(lambda e: e.get("MESSAGE", "").startswith("Reload of"), "the refusal")
        text = rig.read_stderr()
    finally:
        stop(rig, journal, "debug")

    check(all(all(k in e for k in FIELDS) for e in journal.entries),
          "debug: every entry has MESSAGE, PRIORITY, CODE_FILE/LINE/FUNC and every SATMC_ field")
    check(not journal.duplicates, "debug: no field twice in one entry (%s)"
          % sorted({k for f in journal.duplicates for k, _ in f if [x for x, _ in f].count(k) > 1}))
    check(journal.via_memfd == 0, "debug: small entries come as datagrams, not memfds")
    check(all(e.get("PRIORITY", "") in "01234567" and len(e.get("PRIORITY", "")) == 1
              for e in journal.entries), "debug: PRIORITY is one syslog digit everywhere")
    after = journal.entries[journal.entries.index(startup):]
    check(all(e.get("SATMC_BUS") == rig.sock and e.get("SATMC_ADDRESS") == "0x72" for e in after),
          "debug: SATMC_BUS=%s and SATMC_ADDRESS=0x72 on every entry from startup on" % rig.sock)

    check(startup["PRIORITY"] == "6", "startup entry: PRIORITY=6 (info)")
    check(startup["MESSAGE"] == "satmcd answering at 0x72 on emulated-bus %s." % rig.sock,
          "startup entry: MESSAGE names the address and bus (%r)" % startup["MESSAGE"])
    check((startup["SATMC_NETFN"], startup["SATMC_CMD"], startup["SATMC_REASON"]) == ("", "", ""),
          "startup entry: per-frame fields empty")
    check(startup["CODE_FILE"].endswith("manager.c") and startup["CODE_LINE"].isdigit()
          and startup.get("CODE_FUNC") == "manager_start",
          "startup entry: CODE_FILE/LINE/FUNC point at the caller, manager_start() in manager.c")

    check(dropped["PRIORITY"] == "7", "dropped frame: PRIORITY=7 (debug)")
    check(dropped["MESSAGE"] == "Dropped %d-byte frame: data-checksum" % n,
          "dropped frame: MESSAGE %r" % dropped["MESSAGE"])
    check((dropped["SATMC_NETFN"], dropped["SATMC_CMD"]) == ("", ""),
          "dropped frame: SATMC_NETFN/SATMC_CMD empty (not decoded)")
    check(dropped.get("CODE_FUNC") == "manager_handle_bus_frame",
          "dropped frame: CODE_FUNC=manager_handle_bus_frame (got %s)" % dropped.get("CODE_FUNC"))

    check(handled["PRIORITY"] == "7", "handled request: PRIORITY=7 (debug)")
    check((handled["SATMC_NETFN"], handled["SATMC_CMD"]) == ("0x06", "0x01"),
          "handled request: SATMC_NETFN=0x06 SATMC_CMD=0x01 (got %s %s)"
          % (handled["SATMC_NETFN"], handled["SATMC_CMD"]))
    check("netfn 0x06 cmd 0x01 -> cc 0x00" in handled["MESSAGE"],
          "handled request: MESSAGE %r" % handled["MESSAGE"])
    check(journal.entries.index(startup) < journal.entries.index(dropped)
          < journal.entries.index(handled), "entries in order: startup, dropped, handled")

    check(failed["PRIORITY"] == "3" and failed.get("ERRNO") == "2",
          "failed reload: PRIORITY=3, ERRNO=2 (got %s, %s)" % (failed["PRIORITY"], failed.get("ERRNO")))
    check(all("ERRNO" not in e for e in journal.entries if e is not failed),
          "entries without an error carry no ERRNO (%d do)"
          % sum("ERRNO" in e for e in journal.entries if e is not failed))

    check("satmcd answering" not in text and "Dropped" not in text and "Failed to read" not in text,
          "debug: no log text on stderr when it is the journal stream")
    return len(journal.entries)


def test_info(journal):
    journal.reset()
    rig = JournalRig(CONFIG, True, satmcd_args=("--log-level=info",))
    try:
        journal.wait(is_startup, "the startup entry")
        bad_then_good(rig)
    finally:
        stop(rig, journal, "info")
    check(any(is_startup(e) and e["PRIORITY"] == "6" for e in journal.entries),
          "info: the startup entry arrives (PRIORITY=6)")
    check(not any(e.get("PRIORITY") == "7" for e in journal.entries), "info: no debug entry")
    check(not any(e.get("SATMC_NETFN") or e.get("SATMC_CMD") or e.get("SATMC_REASON")
                  for e in journal.entries), "info: no per-frame entry")
    return len(journal.entries)


def test_mismatch(journal):
    journal.reset()
    rig = JournalRig(CONFIG, False, satmcd_args=("--log-level=debug",))
    try:
        n = bad_then_good(rig)
        wait_for(lambda: "-> cc 0x00" in rig.read_stderr(), "the handled request on stderr", WAIT)
    finally:
        stop(rig, journal, "mismatch")
    text = rig.read_stderr()
    check(not journal.entries and not journal.raw,
          "JOURNAL_STREAM naming another socket: nothing sent to the journal socket (%d)"
          % len(journal.raw))
    check("satmcd answering at 0x72 on emulated-bus %s." % rig.sock in text,
          "JOURNAL_STREAM naming another socket: startup message on stderr")
    check("Dropped %d-byte frame: data-checksum" % n in text and "netfn 0x06 cmd 0x01 -> cc 0x00"
          in text, "JOURNAL_STREAM naming another socket: per-frame debug text on stderr")


def test_parser():
    """The binary field form, which satmcd's one-line messages never need."""
    blob = b"MESSAGE\n" + struct.pack("<Q", 7) + b"two\nrow\nPRIORITY=7\n"
    check(parse_native(blob) == [("MESSAGE", "two\nrow"), ("PRIORITY", "7")],
          "native protocol parser: binary and text fields")


def main():
    if NS_MARK not in os.environ:
        enter_namespace()
    private_journal_dir()
    test_parser()
    journal = Journal()
    seen = test_debug(journal, tempfile.mkdtemp(prefix="satmc-journal-"))
    seen += test_info(journal)
    test_mismatch(journal)
    print("journal entries seen: %d" % seen, flush=True)
    finish()


if __name__ == "__main__":
    main()
