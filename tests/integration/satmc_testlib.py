"""Shared plumbing for satmc integration tests: start the emulated bus and satmcd as real
processes, wait for satmcd's READY=1 on a NOTIFY_SOCKET we own, and tear everything down.

Binaries come from the environment (set by tests/integration/meson.build):
SATMCD, SATMC_I2C_BUS, SATMC_HARNESS (the directory holding emubus.py).
SATMCD_WRAPPER, if set, is prefixed to satmcd's command line (e.g. valgrind)."""
import os, queue, shlex, signal, socket, struct, subprocess, sys, tempfile, threading, time

sys.path.insert(0, os.environ.get("SATMC_HARNESS", os.path.join(os.path.dirname(__file__), "../harness")))
import emubus  # noqa: E402

# A cross build's tests (tests/integration/meson.build) find the target's ipmitool here first.
if os.environ.get("SATMC_TARGET_PATH"):
    os.environ["PATH"] = os.environ["SATMC_TARGET_PATH"] + os.pathsep + os.environ["PATH"]


def ipmitool_dummy_structs():
    """ipmitool 1.8.19's struct dummy_rq and struct dummy_rs (protocol/ipmi-dummy.h) as
    struct.Struct, laid out for the ABI satmcd was built for: SATMC_TARGET_ABI (meson's
    sizes and alignments of the target's pointer and int, and its byte order) by the psABI rule
    (a member at the next multiple of its alignment, the size rounded up to the largest), so a
    raw client talks to an armhf satmcd as armhf ipmitool does. Without it, this machine's.
    Fields: netfn, lun, cmd, target_cmd, data_len, pointer / netfn, cmd, seq, lun, ccode,
    data_len, pointer."""
    abi = dict(kv.split("=") for kv in os.environ.get("SATMC_TARGET_ABI", "").split(":") if kv)
    native = {"ptr": struct.calcsize("P"), "ptralign": struct.calcsize("xP") - struct.calcsize("P"),
              "int": struct.calcsize("i"), "intalign": struct.calcsize("xi") - struct.calcsize("i"),
              "endian": sys.byteorder}
    a = {k: abi.get(k, native[k]) for k in native}
    ptr, pa, isz, ia = (int(a[k]) for k in ("ptr", "ptralign", "int", "intalign"))
    up = lambda n, al: (n + al - 1) // al * al  # noqa: E731
    pfmt, ifmt = {4: "I", 8: "Q"}[ptr], {4: "i", 2: "h"}[isz]
    order = "<" if a["endian"] == "little" else ">"

    def layout(fields):
        """fields: (format char, size, alignment) in order -> Struct with explicit padding."""
        fmt, off, most = order, 0, 1
        for ch, size, al in fields:
            fmt += "%dx" % (up(off, al) - off) if up(off, al) > off else ""
            off = up(off, al) + size
            fmt += ch
            most = max(most, al)
        return struct.Struct(fmt + ("%dx" % (up(off, most) - off) if up(off, most) > off else ""))

    rq = layout([("B", 1, 1)] * 4 + [("H", 2, 2), (pfmt, ptr, pa)])
    rs = layout([("B", 1, 1)] * 5 + [(ifmt, isz, ia), (pfmt, ptr, pa)])
    return rq, rs


# Re-exported: every test takes its TAP writer from here.
from satmc_tap import check, finish, note, results, skip, skip_all  # noqa: E402,F401

# satmcd under valgrind answers slower; ipmitool's dummy client spins forever on a socket
# closed under it, so every run of it is bounded.
SLOW = bool(os.environ.get("SATMCD_WRAPPER"))
IPMITOOL_TIMEOUT = 60 if SLOW else 20
# How long Rig.transact()/send_raw() wait for an answer that must come: a hang guard, never a
# latency claim. An answer may sit behind satmcd's fsync of a FRU write while a neighbour
# fsyncs 64 MiB on the same file system (scripts/test-under-load.sh), which a 1 s wait lost.
# A test that expects no answer passes its own short timeout (a missing answer proves nothing
# about how long to wait for it); one that checks latency measures it.
ANSWER_TIMEOUT = 30.0 if SLOW else 10.0


class Rig:
    """One emulated bus, one satmcd, and a BMC endpoint at 7-bit 0x10 (8-bit 0x20)."""

    def __init__(self, config, bus_args=(), satmcd_args=(), bmc_addr7=0x10, env=None):
        self.dir = tempfile.mkdtemp(prefix="satmc-it-")
        self.sock = os.path.join(self.dir, "bus.sock")
        self.pcap = os.path.join(self.dir, "bus.pcap")
        self.bus = subprocess.Popen([os.environ["SATMC_I2C_BUS"], "--socket", self.sock,
                                     "--pcap", self.pcap, *bus_args])
        wait_for(lambda: os.path.exists(self.sock), "bus socket")
        self.notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.notify_path = os.path.join(self.dir, "notify.sock")
        self.notify.bind(self.notify_path)
        self.notes = queue.Queue()
        threading.Thread(target=self._read_notify, daemon=True).start()
        self.stderr_path = os.path.join(self.dir, "satmcd.stderr")
        self.stderr = open(self.stderr_path, "w+")
        # Each rig has its own local ipmitool socket, so rigs can run side by side.
        self.ipmitool_sock = os.path.join(self.dir, "ipmitool.sock")
        self.nbd_sock = os.path.join(self.dir, "nbd.sock")
        self.config, self.satmcd_args, self.env = config, satmcd_args, env
        try:
            self.start_satmcd()
            self.bmc = emubus.Endpoint(self.sock, [bmc_addr7])
        except BaseException:
            # Never leave a bus behind: it holds meson's pipe open until the test times out.
            if getattr(self, "satmcd", None):
                self.satmcd.kill()
            self.bus.kill()
            raise
        self.seq = 0
        # Requests satmcd sent to the BMC (Platform Event Messages), as whole frames, set aside
        # by send_raw() while it waits for a response.
        self.requests = []

    def spawn_satmcd(self):
        """(Re)start satmcd on the running bus without waiting for it (a test of a start-up
        that must fail); returns the Popen."""
        wrapper = shlex.split(os.environ.get("SATMCD_WRAPPER", ""))
        env = dict(os.environ, NOTIFY_SOCKET=self.notify_path, **(self.env or {}))
        # Never the default /var/lib/satmc: satmcd locks its state directory, so two rigs (or a
        # test and an installed satmc) would refuse each other.
        state = []
        if "--state-directory" not in self.satmcd_args and \
                "state-directory" not in open(self.config).read():
            state = ["--state-directory", os.path.join(self.dir, "state")]
        self.satmcd = subprocess.Popen(wrapper + [os.environ["SATMCD"], "--config", self.config,
                                                  "--bus-socket", self.sock,
                                                  "--ipmitool-socket", self.ipmitool_sock,
                                                  "--nbd-socket", self.nbd_sock,
                                                  *state, *self.satmcd_args],
                                       env=env, stderr=self.stderr, stdin=subprocess.DEVNULL)
        return self.satmcd

    def start_satmcd(self):
        """(Re)start satmcd on the running bus and wait for its READY=1."""
        self.drain_notify()
        self.spawn_satmcd()
        self.wait_notify("READY=1", 30 if SLOW else 10)

    def _read_notify(self):
        """Take every datagram satmcd sends, for as long as the test runs, as a service manager
        does. A socket left unread fills (net.unix.max_dgram_qlen, 10 datagrams: five reloads'
        RELOADING=1 and READY=1) and the next sd_notify() blocks satmcd's loop for good."""
        while True:
            try:
                msg = self.notify.recv(4096)
            except OSError:
                return
            self.notes.put(msg.decode(errors="replace"))

    def drain_notify(self):
        """Drop what an earlier satmcd sent (a reload's READY=1): not this start's."""
        try:
            while True:
                self.notes.get_nowait()
        except queue.Empty:
            pass

    def wait_notify(self, what, timeout=10):
        """The next message satmcd sent that has the line what (READY=1, RELOADING=1)."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                msg = self.notes.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                break
            if what in msg.split("\n"):
                return msg
        raise SystemExit("satmcd never sent %s; stderr:\n%s" % (what, self.read_stderr()))

    def read_stderr(self):
        self.stderr.flush()
        with open(self.stderr_path) as f:
            return f.read()

    def next_seq(self):
        self.seq = (self.seq + 1) & 0x3F
        return self.seq

    def transact(self, netfn, cmd, data=b"", seq=None, rs_sa=0x72, timeout=None):
        """Send an IPMB request to rs_sa; return the whole frame that comes back, or None."""
        seq = self.next_seq() if seq is None else seq
        frame = emubus.ipmb_request(rs_sa, netfn, cmd, seq, data)
        return self.send_raw(rs_sa >> 1, frame[1:], timeout)

    def send_raw(self, addr7, data, timeout=None):
        """One master write of data (the bytes after the address byte) to addr7; return the
        whole frame that comes back (8-bit destination first), or None after timeout seconds
        (ANSWER_TIMEOUT unless given)."""
        if timeout is None:
            timeout = ANSWER_TIMEOUT
        if not self.bmc.write(addr7, data):
            return None
        deadline = time.monotonic() + timeout
        while True:
            got = self.bmc.recv(max(0.0, deadline - time.monotonic()))
            if got is None:
                return None
            frame = bytes([got[0] << 1]) + bytes(got[1])
            # satmcd's own requests (events) may arrive first: keep them for the test.
            if len(frame) >= 2 and not (frame[1] >> 2) & 1:
                self.requests.append(frame)
                continue
            return frame

    def counters(self):
        """Ask satmcd for its counters (SIGUSR1) and parse the newest counters line, once it
        has been written whole (satmcd under valgrind may be caught halfway through it)."""
        def complete_lines():
            text = self.read_stderr()
            return [l for l in text[:text.rfind("\n") + 1].splitlines() if l.startswith("counters:")]

        before = len(complete_lines())
        self.satmcd.send_signal(signal.SIGUSR1)
        wait_for(lambda: len(complete_lines()) > before, "counters line")
        line = complete_lines()[-1]
        return {k: int(v) for k, v in (kv.split("=") for kv in line.split()[1:])}

    def stop(self):
        rc = None
        if self.satmcd.poll() is None:
            self.satmcd.send_signal(signal.SIGTERM)
            try:
                rc = self.satmcd.wait(30)
            except subprocess.TimeoutExpired:
                self.satmcd.kill()
                rc = "hung"
        else:
            rc = self.satmcd.returncode
        self.bus.send_signal(signal.SIGTERM)
        try:
            self.bus.wait(10)
        except subprocess.TimeoutExpired:
            self.bus.kill()
        return rc


def board_from_template(name, prefix):
    """Copy tests/integration/NAME into a new temporary directory with @DIR@ replaced by that
    directory (where the test writes the files its sensors read): (directory, config path)."""
    tmp = tempfile.mkdtemp(prefix=prefix)
    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), name)) as f:
        text = f.read().replace("@DIR@", tmp)
    config = os.path.join(tmp, "board.ini")
    with open(config, "w") as f:
        f.write(text)
    return tmp, config


def sim_state_dir(parent, temp_c=40):
    """A new state directory for OpenIPMI's ipmi_sim under parent, holding the file peer-temp
    that tests/integration/ipmi-sim/sim.emu's sensor polls: run ipmi_sim there (cwd), where
    that relative path finds it. Its path."""
    state = os.path.join(parent, "ipmi-sim-state")
    os.makedirs(state, exist_ok=True)
    with open(os.path.join(state, "peer-temp"), "w") as f:
        f.write("%d\n" % temp_c)
    return state


def ipmitool(sock, *args, timeout=None):
    """Stock `ipmitool -I dummy ARGS` against the dummy socket sock: a CompletedProcess."""
    env = dict(os.environ, IPMI_DUMMY_SOCK=sock)
    return subprocess.run(["timeout", str(timeout or IPMITOOL_TIMEOUT), "ipmitool", "-I", "dummy",
                           *args], env=env, capture_output=True, text=True,
                          stdin=subprocess.DEVNULL)


def satmc_ipmitool(sock, *args):
    """The satmc-ipmitool wrapper (SATMC_IPMITOOL), as an operator runs it, on satmcd's socket
    sock: a CompletedProcess."""
    wrapper = os.environ.get("SATMC_IPMITOOL",
                             os.path.join(os.path.dirname(__file__), "../../ipmitool-plugin/satmc-ipmitool"))
    return subprocess.run(["timeout", str(IPMITOOL_TIMEOUT), wrapper, "-S", sock, *args],
                          capture_output=True, text=True, stdin=subprocess.DEVNULL)


def fields(out):
    """ipmitool's "Name : value" lines as {name: value}."""
    return {k.strip(): v.strip() for k, v in (l.split(":", 1) for l in out.splitlines() if ":" in l)}


def read_pcap(path, times=False):
    """[(addr7, data)] of every record of satmc-i2c-bus's capture (LINKTYPE_I2C_LINUX, 5-byte
    pseudo-header); with times, [(seconds, addr7, data)]."""
    with open(path, "rb") as f:
        blob = f.read()
    recs, off = [], 24
    while off + 16 <= len(blob):
        sec, nsec, caplen = struct.unpack_from("<III", blob, off)
        body = blob[off + 16:off + 16 + caplen]
        off += 16 + caplen
        if len(body) >= 6:
            rec = (body[5] >> 1, bytes(body[6:]))
            recs.append((sec + nsec / 1e9, *rec) if times else rec)
    return recs


def wait_for(pred, what, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return
        time.sleep(0.01)
    raise SystemExit("timed out waiting for " + what)


def fru_valid(img):
    """Header and every info area checksum: what makes an image "not a FRU image" in satmcd's
    eyes for certain (its parser checks more), and what a torn write would break."""
    if len(img) < 8 or img[0] != 1 or sum(img[:8]) & 0xFF:
        return False
    for i in (2, 3, 4):
        off = img[i] * 8
        if off == 0:
            continue
        if off + 2 > len(img) or img[off] != 1:
            return False
        alen = img[off + 1] * 8
        if alen == 0 or off + alen > len(img) or sum(img[off:off + alen]) & 0xFF:
            return False
    return True


class Bridge:
    """satmc-ipmb-bridge on a rig's bus at `own` (8-bit), serving stock ipmitool (-I dummy) on
    its own socket for satmcd at 0x72; extra: more bridge arguments (--route ...). Started when
    it says READY=1 (sd_notify), which under valgrind takes longer."""

    def __init__(self, rig, own=0x22, extra=()):
        self.sock = os.path.join(rig.dir, "bridge.sock")
        self.stderr = open(os.path.join(rig.dir, "bridge.stderr"), "w+")
        notify_path = os.path.join(rig.dir, "bridge.notify")
        notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        notify.bind(notify_path)
        self.proc = subprocess.Popen([os.environ["SATMC_IPMB_BRIDGE"], "--socket", self.sock,
                                      "--target", "0x72", "--own", "0x%02x" % own,
                                      "--bus-socket", rig.sock, *extra],
                                     env=dict(os.environ, NOTIFY_SOCKET=notify_path),
                                     stderr=self.stderr, stdin=subprocess.DEVNULL)
        notify.settimeout(30 if SLOW else 10)
        try:
            while "READY=1" not in notify.recv(4096).decode().split("\n"):
                pass
        except socket.timeout:
            self.proc.kill()
            raise SystemExit("the bridge never sent READY=1")
        finally:
            notify.close()

    def stats(self):
        """The bridge's counters (its SIGUSR1 line) as {name: value}."""
        def lines():
            self.stderr.flush()
            with open(self.stderr.name) as f:
                return [l for l in f.read().splitlines() if l.startswith("bridge:")]
        before = len(lines())
        self.proc.send_signal(signal.SIGUSR1)
        wait_for(lambda: len(lines()) > before, "bridge stats line")
        return {k: int(v) for k, v in (kv.split("=") for kv in lines()[-1].split()[1:])}

    def stop(self):
        """SIGTERM, then the bridge's exit status (killed if it does not exit in 10 s)."""
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait()


def pyipmi_connection(rig, target=0x72, own=0x20):
    """Kontron's python-ipmi (python3-pyipmi 0.4.2) on the rig's bus through its Aardvark
    interface, which tests/harness/pyaardvark.py puts on the emulated bus: (the pyipmi package,
    the connection) talking to satmcd at target from own (8-bit addresses), or None, with the
    python-ipmi points skipped, when python3-pyipmi cannot be imported."""
    try:
        import pyipmi
        import pyipmi.errors
        import pyipmi.fru
        import pyipmi.interfaces.aardvark
    except ImportError as e:
        skip("python-ipmi", "python3-pyipmi not importable by %s: %s" % (sys.executable, e))
        return None
    import array
    import types
    import pyaardvark

    # 0.4.2 still calls array.tostring(), gone since Python 3.9.
    class TostringArray(array.array):
        def tostring(self):
            return self.tobytes()

    class Aardvark(pyipmi.interfaces.aardvark.Aardvark):
        def _receive_raw(self, header):
            return TostringArray("B", super()._receive_raw(header))

    pyipmi.fru.array = types.SimpleNamespace(array=TostringArray)
    pyaardvark.bus_socket = rig.sock
    intf = Aardvark(slave_address=own)
    intf.timeout = 2.0
    ipmi = pyipmi.create_connection(intf)
    ipmi.target = pyipmi.Target(target)
    return pyipmi, ipmi


def answer_request(ep, frame, cc=0x00):
    """Answer IPMB request `frame` (whole, 8-bit addresses first) from endpoint ep with
    completion code cc and no data, as its responder does: how a test that is the event
    receiver acknowledges satmcd's Platform Event Messages. True when the bus ACKed it."""
    rs_sa, netfn, rs_lun = frame[0], frame[1] >> 2, frame[1] & 3
    rq_sa, seq, rq_lun, cmd = frame[3], frame[4] >> 2, frame[4] & 3, frame[5]
    head = bytes([rq_sa, (netfn | 1) << 2 | rq_lun])
    body = bytes([rs_sa, seq << 2 | rs_lun, cmd, cc])
    rsp = head + bytes([emubus.checksum(head)]) + body + bytes([emubus.checksum(body)])
    return ep.write(rq_sa >> 1, rsp[1:])
