#!/usr/bin/env python3
"""A shelf manager (or MicroTCA carrier manager) for an IPM controller on the emulated bus
(docs/emulated-bus.md), written from PICMG 3.0 and the request layouts ipmitool's
lib/ipmi_picmg.c and python-ipmi send. It does with a new board what a shelf manager does:

  1. Get Address Info and Get PICMG Properties: where the board is, what it implements;
  2. reads FRU device N (Get FRU Inventory Area Info, Read FRU Data) and finds the PICMG
     multirecords (manufacturer ID 00315Ah): power (Module Current Requirements) and E-keying
     (Board / AMC Point-to-Point Connectivity);
  3. waits for the FRU's hot-swap event into M2 (sensor type F0h), acknowledging every
     Platform Event Message as the event receiver does;
  4. Set FRU Activation (activate): M3;
  5. Compute Power Properties (how many slots the board spans, where its IPMC sits: the
     budget is per slot), Get Power Level (desired steady state levels), Set Power Level (the
     highest, copied to the present levels): M4;
  6. Set Port State (enable) for every link the Board Point-to-Point Connectivity record
     lists, and Get Port State until it reports the link enabled (an IPMC may answer Set Port
     State before its link action is done, and reports the state the link has);
  7. later Set FRU Activation (deactivate): M6, M1.

Each step is printed as it happens ("step NAME: detail"), and every Platform Event Message
as it arrives ("event HEX", the request body), so the demo can show them and a test can read
them. As a module, ShelfManager runs the steps one by one and keeps every event it
received, byte for byte.

On a redundant IPMB-0 (--socket-b) it listens on both buses and retries a request that is
NAKed or unanswered on the other bus, which it uses from then on ("bus ... retrying on
IPMB-B").

    shelf-manager.py --socket BUS.sock [--socket-b BUS-B.sock] [--target 0x72] [--fru 0]
                     [--deactivate]
"""
import argparse, os, select, sys, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import emubus  # noqa: E402

NETFN_SE, NETFN_APP, NETFN_STORAGE, NETFN_PICMG = 0x04, 0x06, 0x0A, 0x2C
PICMG_ID = 0x00
PICMG_MFR_ID = bytes([0x5A, 0x31, 0x00])         # 00315Ah, least significant byte first
RECORD_BOARD_P2P, RECORD_CURRENT, RECORD_AMC_P2P = 0x14, 0x16, 0x19
HOT_SWAP_SENSOR = 0xF0
M_STATES = ("M0 not installed", "M1 inactive", "M2 activation request",
            "M3 activation in progress", "M4 active", "M5 deactivation request",
            "M6 deactivation in progress", "M7 communication lost")


class StepFailed(Exception):
    pass


class ShelfManager:
    def __init__(self, sock, target=0x72, own=0x20, timeout=0.25, tries=6, log=print,
                 sock_b=None):
        self.target, self.own, self.timeout, self.tries, self.log = target, own, timeout, tries, log
        # IPMB-A, and IPMB-B on a redundant IPMB-0: a try that is NAKed or unanswered is
        # retried on the other bus, which is used from then on, as a shelf manager does.
        self.eps = [emubus.Endpoint(sock, [own >> 1])]
        if sock_b:
            self.eps.append(emubus.Endpoint(sock_b, [own >> 1]))
        self.bus = 0
        self.seq = 0
        self.events = []                # bodies of every Platform Event Message, in order
        self.unread = []                # ... not yet looked at by wait_event()

    def close(self):
        for ep in self.eps:
            ep.close()

    def step(self, name, detail):
        self.log("step %s: %s" % (name, detail))

    # --- the bus ---------------------------------------------------------------------------

    def _take(self, ep, frame):
        """A frame sent to us: a response (returned) or satmcd's request, which the shelf
        manager as event receiver answers at once (None)."""
        if (frame[1] >> 2) & 1:
            return frame
        netfn, seq, cmd = frame[1] >> 2, frame[4] >> 2, frame[5]
        cc = 0x00 if (netfn, cmd) == (NETFN_SE, 0x02) else 0xC1
        head = bytes([frame[3], (netfn + 1) << 2 | (frame[4] & 3)])
        body = bytes([self.own, seq << 2 | (frame[1] & 3), cmd, cc])
        ep.write(frame[3] >> 1, head[1:] + bytes([emubus.checksum(head)]) + body +
                      bytes([emubus.checksum(body)]))
        if cc == 0:
            ev = bytes(frame[6:-1])
            # A retry of the event just taken (its answer was lost) is the same event.
            if not self.events or self.events[-1] != (seq, ev):
                self.events.append((seq, ev))
                self.unread.append(ev)
                self.log("event %s" % ev.hex())
        return None

    def _poll(self, timeout):
        """One frame from whichever bus has one; None if none came within timeout."""
        ready = [ep for ep in self.eps if ep.pending]
        if not ready:
            socks = select.select([ep.sock for ep in self.eps], [], [], timeout)[0]
            ready = [ep for ep in self.eps if ep.sock in socks]
        if not ready:
            return None
        got = ready[0].recv(0)
        if got is None:
            return None
        return self._take(ready[0], bytes([got[0] << 1]) + bytes(got[1]))

    def request(self, netfn, cmd, data=b""):
        """One request, retried with the same sequence number as IPMB requesters do: (cc, data)
        of the response. StepFailed when no answer comes."""
        self.seq = (self.seq + 1) & 0x3F
        frame = emubus.ipmb_request(self.target, netfn, cmd, self.seq, data, rq_sa=self.own)
        for _ in range(self.tries):
            if not self.eps[self.bus].write(self.target >> 1, frame[1:]):
                self._fail_over("NAK")
                time.sleep(self.timeout / 4)
                continue
            deadline = time.monotonic() + self.timeout
            while time.monotonic() < deadline:
                rsp = self._poll(max(0.0, deadline - time.monotonic()))
                if rsp is None:
                    continue
                r = emubus.ipmb_parse_response(rsp)
                if (r["netfn"], r["cmd"], r["seq"], r["rs_sa"]) == \
                        (netfn + 1, cmd, self.seq, self.target) and r["chk1_ok"] and r["chk2_ok"]:
                    return r["cc"], r["data"]
            self._fail_over("no answer")
        raise StepFailed("no answer to netFn 0x%02x cmd 0x%02x" % (netfn, cmd))

    def _fail_over(self, why):
        if len(self.eps) > 1:
            self.bus ^= 1
            self.log("bus %s on IPMB-%s, retrying on IPMB-%s" % (why, "AB"[self.bus ^ 1],
                                                                 "AB"[self.bus]))

    def picmg(self, cmd, data=b""):
        """A PICMG command: data after the PICMG Identifier, which the answer must carry."""
        cc, rsp = self.request(NETFN_PICMG, cmd, bytes([PICMG_ID]) + bytes(data))
        if cc != 0:
            raise StepFailed("PICMG command 0x%02x answered 0x%02x" % (cmd, cc))
        if not rsp or rsp[0] != PICMG_ID:
            raise StepFailed("PICMG command 0x%02x: answer without the PICMG Identifier" % cmd)
        return rsp[1:]

    def wait_event(self, pred, what, timeout=15.0):
        """The first unread Platform Event Message body that pred accepts (those before it stay
        in self.events only)."""
        deadline = time.monotonic() + timeout
        while True:
            while self.unread:
                ev = self.unread.pop(0)
                if pred(ev):
                    return ev
            left = deadline - time.monotonic()
            if left <= 0:
                raise StepFailed("no event: " + what)
            self._poll(min(left, 0.1))

    # --- the steps -------------------------------------------------------------------------

    def address_info(self):
        d = self.picmg(0x01)
        if len(d) < 6:
            raise StepFailed("Get Address Info: %d bytes" % len(d))
        info = {"hardware-address": d[0], "ipmb0-address": d[1], "fru": d[3], "site-id": d[4],
                "site-type": d[5]}
        self.step("address-info", "hardware address 0x%02x, IPMB-0 0x%02x, FRU %d, site %d "
                  "type 0x%02x" % (d[0], d[1], d[3], d[4], d[5]))
        return info

    def properties(self):
        d = self.picmg(0x00)
        if len(d) < 3:
            raise StepFailed("Get PICMG Properties: %d bytes" % len(d))
        props = {"version": "%d.%d" % (d[0] & 0x0F, d[0] >> 4), "max-fru": d[1],
                 "ipmc-fru": d[2]}
        self.step("properties", "PICMG extension %s, max FRU %d, controller FRU %d" %
                  (props["version"], d[1], d[2]))
        return props

    def read_fru(self, fru):
        cc, d = self.request(NETFN_STORAGE, 0x10, bytes([fru]))
        if cc != 0 or len(d) < 3:
            raise StepFailed("Get FRU Inventory Area Info %d: cc 0x%02x" % (fru, cc))
        size, img = d[0] | d[1] << 8, b""
        while len(img) < size:
            n = min(16, size - len(img))
            cc, d = self.request(NETFN_STORAGE, 0x11, bytes([fru, len(img) & 0xFF,
                                                            len(img) >> 8, n]))
            if cc != 0 or not d or d[0] == 0 or d[0] != len(d) - 1:
                raise StepFailed("Read FRU Data %d at %d: cc 0x%02x" % (fru, len(img), cc))
            img += d[1:]
        self.step("read-fru", "FRU %d: %d bytes" % (fru, size))
        return img

    @staticmethod
    def picmg_records(img):
        """The PICMG multirecords of a FRU image: [(record ID, data after the header)]."""
        if len(img) < 8 or sum(img[:8]) & 0xFF or img[5] == 0:
            return []
        off, out = img[5] * 8, []
        for _ in range(64):
            if off + 5 > len(img):
                break
            head = img[off:off + 5]
            length = head[2]
            data = img[off + 5:off + 5 + length]
            if sum(head) & 0xFF or len(data) != length or (sum(data) + head[3]) & 0xFF:
                break
            if head[0] == 0xC0 and data[:3] == PICMG_MFR_ID and len(data) >= 5:
                out.append((data[3], bytes(data[5:])))
            if head[1] & 0x80:
                break
            off += 5 + length
        return out

    def records(self, img):
        recs = self.picmg_records(img)
        links = []
        for rid, data in recs:
            if rid == RECORD_BOARD_P2P and data:
                guids = data[0]
                body = data[1 + 16 * guids:]
                links += [body[i:i + 4] for i in range(0, len(body) - 3, 4)]
        self.step("fru-records", "PICMG records %s, %d link descriptor%s" %
                  (["0x%02x" % r for r, _ in recs] or "none", len(links),
                   "" if len(links) == 1 else "s"))
        return recs, links

    def wait_state(self, fru, state, timeout=15.0):
        def is_it(ev):
            return (len(ev) >= 7 and ev[1] == HOT_SWAP_SENSOR and ev[4] & 0x0F == state and
                    ev[6] == fru)
        ev = self.wait_event(is_it, "FRU %d into %s" % (fru, M_STATES[state]), timeout)
        self.step("hot-swap", "FRU %d: %s -> %s, cause %d (%s)" %
                  (fru, M_STATES[ev[5] & 0x0F], M_STATES[state], ev[5] >> 4, ev.hex()))
        return ev

    def activate(self, fru):
        self.picmg(0x0C, bytes([fru, 0x01]))
        self.step("activate", "Set FRU Activation (activate) FRU %d" % fru)

    def deactivate(self, fru):
        self.picmg(0x0C, bytes([fru, 0x00]))
        self.step("deactivate", "Set FRU Activation (deactivate) FRU %d" % fru)

    def power_properties(self, fru):
        d = self.picmg(0x10, bytes([fru]))
        if len(d) != 2 or d[0] < 1 or d[1] >= d[0]:
            raise StepFailed("Compute Power Properties: %s" % d.hex())
        self.step("power-properties", "FRU %d: spans %d slot%s, IPMC in slot offset %d" %
                  (fru, d[0], "" if d[0] == 1 else "s", d[1]))
        return d[0], d[1]

    def power(self, fru):
        self.power_properties(fru)
        d = self.picmg(0x12, bytes([fru, 0x01]))        # desired steady state draw levels
        if len(d) < 3:
            raise StepFailed("Get Power Level: %d bytes" % len(d))
        levels = list(d[3:])
        watts = [round(lv * d[2] / 10.0, 1) for lv in levels]
        self.step("power-levels", "FRU %d: present level %d, %d desired level%s (W) %s" %
                  (fru, d[0] & 0x1F, len(levels), "" if len(levels) == 1 else "s", watts))
        level = len(levels)
        if level:
            self.picmg(0x11, bytes([fru, level, 0x01]))
            self.step("set-power", "Set Power Level FRU %d: level %d (%.1f W), desired copied "
                      "to present" % (fru, level, watts[-1]))
        return level

    def port_state(self, link):
        """Get Port State of the link's channel: the state the FRU reports for exactly this
        link (its four bytes), or None if it does not list it."""
        d = self.picmg(0x0F, bytes([link[0]]))
        for i in range(0, len(d) - 4, 5):
            if d[i:i + 4] == bytes(link):
                return d[i + 4]
        return None

    def wait_port_enabled(self, link, timeout=15.0):
        """Get Port State until the link reports enabled, for at most timeout (the bound
        wait_event uses too): a link action may run for a while after Set Port State."""
        deadline = time.monotonic() + timeout
        state = self.port_state(link)
        while state != 0x01 and time.monotonic() < deadline:
            time.sleep(0.05)
            state = self.port_state(link)
        return state

    def enable_links(self, links):
        for link in links:
            self.picmg(0x0E, bytes(link) + b"\x01")
            state = self.wait_port_enabled(link)
            if state != 0x01:
                raise StepFailed("Get Port State after enabling %s: %s" % (link.hex(), state))
            self.step("port-state", "Set Port State enable: interface %d channel %d ports 0x%x "
                      "type 0x%02x (%s), Get Port State: enabled" %
                      (link[0] >> 6, link[0] & 0x3F, link[1] & 0x0F,
                       (link[1] >> 4) | (link[2] & 0x0F) << 4, link.hex()))
        return len(links)

    def bring_up(self, fru=0):
        self.address_info()
        self.properties()
        _, links = self.records(self.read_fru(fru))
        self.wait_state(fru, 2)
        self.activate(fru)
        self.wait_state(fru, 3)
        self.power(fru)
        self.wait_state(fru, 4)
        self.enable_links(links)

    def shut_down(self, fru=0):
        self.deactivate(fru)
        self.wait_state(fru, 6)
        self.wait_state(fru, 1)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--socket", required=True, help="the emulated bus socket (IPMB-A)")
    ap.add_argument("--socket-b", help="IPMB-B's socket, for a redundant IPMB-0")
    ap.add_argument("--target", type=lambda s: int(s, 0), default=0x72,
                    help="the controller's 8-bit IPMB address (default 0x72)")
    ap.add_argument("--address", type=lambda s: int(s, 0), default=0x20,
                    help="our own 8-bit address (default 0x20, the event receiver)")
    ap.add_argument("--fru", type=int, default=0, help="the FRU device to bring up")
    ap.add_argument("--deactivate", action="store_true", help="deactivate it at the end")
    args = ap.parse_args()

    shmc = ShelfManager(args.socket, args.target, args.address, sock_b=args.socket_b)
    try:
        shmc.bring_up(args.fru)
        if args.deactivate:
            shmc.shut_down(args.fru)
    except StepFailed as e:
        print("shelf-manager: %s" % e, file=sys.stderr)
        return 1
    finally:
        shmc.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
