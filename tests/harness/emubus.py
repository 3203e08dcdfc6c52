"""A client of satmc-i2c-bus, the emulated I2C bus (docs/emulated-bus.md), plus IPMB framing
helpers. Small on purpose: it is the proof that the wire format needs nothing clever."""
import collections, select, socket

ATTACH, WRITE, DELIVER, FAULT = 0x01, 0x02, 0x03, 0x04
ATTACHED, WRITTEN, FAULTED = 0x81, 0x82, 0x84


class Endpoint:
    """Owns some 7-bit addresses on the bus; writes as a master, receives what is sent to it.
    One connection does both: frames delivered while we wait for an ACK are kept for recv()."""

    def __init__(self, path, addrs7=()):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.sock.connect(path)
        self.tag = 0
        self.pending = collections.deque()
        if addrs7:
            self.attach(addrs7)

    def attach(self, addrs7):
        """Answer these 7-bit addresses too (the bus refuses one another endpoint owns)."""
        self.sock.send(bytes([ATTACH, *addrs7]))
        if self._await(ATTACHED)[1]:
            raise OSError("attach refused")

    def _await(self, kind, timeout=2.0):
        while True:
            if not select.select([self.sock], [], [], timeout)[0]:
                raise TimeoutError("no answer from the bus")
            pkt = self.sock.recv(512)
            if not pkt:
                raise ConnectionError("bus went away")
            if pkt[0] == kind:
                return pkt
            if pkt[0] == DELIVER:
                self.pending.append((pkt[1], pkt[2:]))

    def write(self, addr7, data):
        """One master write of data (the bytes after the address byte). True if ACKed."""
        self.tag = (self.tag + 1) & 0xFF
        self.sock.send(bytes([WRITE, self.tag, addr7]) + bytes(data))
        while True:
            pkt = self._await(WRITTEN)
            if pkt[1] == self.tag:
                return pkt[2] == 0

    def recv(self, timeout=1.0):
        """Next frame written to one of our addresses: (addr7, data), or None on timeout."""
        if self.pending:
            return self.pending.popleft()
        try:
            pkt = self._await(DELIVER, timeout)
        except TimeoutError:
            return None
        return pkt[1], pkt[2:]

    def fault(self, spec):
        """Add a fault rule on the bus, e.g. "drop@0x39:n=2", "corrupt:p=0.1", or "clear"."""
        self.sock.send(bytes([FAULT]) + spec.encode())
        if self._await(FAULTED)[1]:
            raise OSError("fault refused: " + spec)

    def close(self):
        self.sock.close()


def checksum(data):
    return -sum(data) & 0xFF


def ipmb_request(rs_sa, netfn, cmd, seq, data=b"", rq_sa=0x20, rs_lun=0, rq_lun=0):
    """A whole IPMB request frame, rsSA first (8-bit addresses)."""
    head = bytes([rs_sa, netfn << 2 | rs_lun])
    body = bytes([rq_sa, seq << 2 | rq_lun, cmd]) + bytes(data)
    return head + bytes([checksum(head)]) + body + bytes([checksum(body)])


def ipmb_parse_response(frame):
    """Split a whole IPMB response frame (rqSA first); checksums are checked, not trusted."""
    if len(frame) < 8:
        raise ValueError("short response: %d bytes" % len(frame))
    return {
        "rq_sa": frame[0], "netfn": frame[1] >> 2, "rq_lun": frame[1] & 3,
        "chk1_ok": checksum(frame[:2]) == frame[2],
        "rs_sa": frame[3], "seq": frame[4] >> 2, "rs_lun": frame[4] & 3,
        "cmd": frame[5], "cc": frame[6], "data": bytes(frame[7:-1]),
        "chk2_ok": checksum(frame[3:-1]) == frame[-1],
    }
