#!/usr/bin/env python3
"""The Full Sensor Records say what the sensor commands answer, for every sensor of a board with
64 of them (the most satmcd takes), generated here: readable and settable threshold masks, the
threshold bytes, hysteresis, event masks and init flags of each record against Get Sensor
Thresholds, Get Sensor Hysteresis and Get Sensor Event Enable, at start, after Set Sensor
Thresholds / Hysteresis, and after a configuration reload. Thresholds without a value are
neither readable nor given a value inside the range. The records are read as ipmitool reads
them (Get Device SDR, header then exact pieces with a reservation) over IPMB."""
import os, random, re, signal, sys, tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from satmc_testlib import Rig, check, finish, wait_for  # noqa: E402

SE = 0x04
SLOW = bool(os.environ.get("SATMCD_WRAPPER"))
THR = ["lower-non-critical", "lower-critical", "lower-non-recoverable",
       "upper-non-critical", "upper-critical", "upper-non-recoverable"]   # bit order
TYPES = [("temperature", (-40, 125)), ("temperature", (0, 127.5)), ("voltage", (11.4, 12.6)),
         ("voltage", (0, 3.6)), ("current", (0, 10)), ("fan", (0, 20000)), ("power", (0, 500)),
         ("other", (-1000, 1000))]


def board(rng, generation, tmp):
    """A 64-sensor configuration: threshold sensors with random ranges' thresholds (a random
    subset, ordered) and hysteresis, and every eighth a presence sensor. generation shifts
    the values, for the reload. Returns (text, {number: expected thresholds or None})."""
    lines = ["[mc]", "address = 0x72", "max-message-length = 32",
             "[transport]", "type = emulated", "bus-socket = /nonexistent/overridden.sock",
             "[identity]", "firmware-version = 1.00", "manufacturer-id = 0x007ED9",
             "product-id = 0x0001", "guid = 01234567-89ab-cdef-0011-223344556677"]
    want = {}
    for i in range(64):
        lines.append("[sensor.%d]" % i)
        lines.append("name = Sensor %02d" % i)
        if i % 8 == 7:
            lines.append("type = presence")
            want[i + 1] = None
            continue
        kind, (lo, hi) = TYPES[i % len(TYPES)]
        lines += ["type = " + kind, "range = %g..%g" % (lo, hi)]
        if i == 0:                      # one sensor with a reading, for the scanning check
            lines += ["source = file:%s/value" % tmp, "poll-ms = 100"]
        chosen = sorted(rng.sample(range(6), rng.randint(0, 6)))
        # Ordered LNR <= LCR <= LNC <= UNC <= UCR <= UNR: fractions of the range that rise.
        order = [2, 1, 0, 3, 4, 5]
        fr = sorted(rng.uniform(0.05, 0.95) for _ in range(6))
        vals = {}
        for rank, t in enumerate(order):
            if t in chosen:
                vals[t] = lo + (hi - lo) * fr[rank] + generation * (hi - lo) * 0.001
                lines.append("%s = %.6g" % (THR[t], vals[t]))
        hyst = (hi - lo) * rng.choice([0, 0.01, 0.02]) + generation * (hi - lo) * 0.004
        lines.append("hysteresis = %.6g" % hyst)
        want[i + 1] = vals
    return "\n".join(lines) + "\n", want


def ipmb(rig, netfn, cmd, data=b""):
    f = rig.transact(netfn, cmd, bytes(data))
    if f is None or len(f) < 8:
        return None, b""
    return f[6], f[7:-1]


def read_records(rig):
    """Every record through Get Device SDR as ipmitool reads it: {sensor number: bytes}."""
    cc, d = ipmb(rig, SE, 0x22)
    res, rid, recs = d, 0, {}
    for _ in range(200):
        cc, d = ipmb(rig, SE, 0x21, b"\0\0" + rid.to_bytes(2, "little") + bytes([0, 5]))
        if cc != 0:
            break
        nxt, rec = int.from_bytes(d[:2], "little"), bytearray(d[2:])
        own, total = rec[0] | rec[1] << 8, 5 + rec[4]
        while len(rec) < total:
            n = min(20, total - len(rec))
            cc, d = ipmb(rig, SE, 0x21, res + own.to_bytes(2, "little") + bytes([len(rec), n]))
            if cc != 0 or len(d) != 2 + n:
                return None
            rec += d[2:]
        if rec[3] == 0x01:
            recs[rec[7]] = bytes(rec)
        if nxt == 0xFFFF:
            break
        rid = nxt
    return recs


def compare(rig, want, when):
    """Every sensor's record against the commands. Returns the number of disagreements."""
    recs = read_records(rig)
    if not check(recs is not None and len(recs) == 64, "%s: 64 Full Sensor Records read" % when):
        return 1
    bad = []
    for number, vals in sorted(want.items()):
        r = recs[number]
        cc, ev = ipmb(rig, SE, 0x29, [number])          # Get Sensor Event Enable
        assert_mask = r[14] | r[15] << 8
        deassert_mask = r[16] | r[17] << 8
        if cc != 0 or (assert_mask & 0x7FFF if vals is None else assert_mask & 0x0FFF) != \
                (ev[1] | ev[2] << 8) or \
                (deassert_mask & 0x7FFF if vals is None else deassert_mask & 0x0FFF) != \
                (ev[3] | ev[4] << 8):
            bad.append("%d: event masks %04x/%04x, Get Sensor Event Enable %s" %
                       (number, assert_mask, deassert_mask, ev.hex()))
        # Init byte: scanning (bit 0) and events (bit 1) enabled at start, as the flags say.
        if cc == 0 and (bool(r[10] & 0x02) != bool(ev[0] & 0x80) or
                        bool(r[10] & 0x01) != bool(ev[0] & 0x40)):
            bad.append("%d: init %02x, enables %02x" % (number, r[10], ev[0]))
        cc, th = ipmb(rig, SE, 0x27, [number])          # Get Sensor Thresholds
        cc_h, hy = ipmb(rig, SE, 0x25, [number, 0xFF])  # Get Sensor Hysteresis
        if vals is None:
            # Discrete: no thresholds, no hysteresis (0xCD); bytes 18-19 are the states
            # readable, the same as the states with events.
            if cc != 0xCD or cc_h != 0xCD or (r[11] >> 2) & 3 or \
                    (r[18] | r[19] << 8) != assert_mask & 0x7FFF:
                bad.append("%d: presence sensor: cc %s/%s, capabilities %02x, states %02x%02x" %
                           (number, cc, cc_h, r[11], r[19], r[18]))
            continue
        readable, settable = r[18] & 0x3F, r[19] & 0x3F
        # SDR bytes 36..41: UNR UCR UNC LNR LCR LNC; the command's: LNC LCR LNR UNC UCR UNR.
        sdr_bytes = [r[41], r[40], r[39], r[38], r[37], r[36]]
        expected = sum(1 << t for t in vals)
        if cc != 0 or th[0] != readable or readable != expected or list(th[1:7]) != sdr_bytes:
            bad.append("%d: SDR readable %02x bytes %s, Get Sensor Thresholds %s, configured %02x" %
                       (number, readable, bytes(sdr_bytes).hex(), th.hex(), expected))
        # All settable, threshold access "readable and settable".
        if settable != 0x3F or (r[11] >> 2) & 3 != 2:
            bad.append("%d: settable %02x, capabilities %02x" % (number, settable, r[11]))
        # Lower/upper reading masks (assertion/deassertion bits 14:12) follow readable.
        if (assert_mask >> 12) & 7 != readable & 7 or (deassert_mask >> 12) & 7 != readable >> 3:
            bad.append("%d: reading masks %x/%x, readable %02x" %
                       (number, assert_mask >> 12, deassert_mask >> 12, readable))
        # Unset thresholds: the far end of the (unsigned) codes, not a value inside.
        for t in range(6):
            if not readable & (1 << t) and sdr_bytes[t] != (0xFF if t >= 3 else 0x00):
                bad.append("%d: unset %s holds %02x" % (number, THR[t], sdr_bytes[t]))
        # Only thresholds with a value generate events (offset 2t going low, 2t+1 going high).
        events = sum(1 << (2 * t + (t >= 3)) for t in range(6) if readable & (1 << t))
        if assert_mask & 0x0FFF != events or deassert_mask & 0x0FFF != events:
            bad.append("%d: event masks %03x/%03x for readable %02x" %
                       (number, assert_mask & 0xFFF, deassert_mask & 0xFFF, readable))
        if cc_h != 0 or list(hy[:2]) != [r[42], r[43]]:
            bad.append("%d: SDR hysteresis %02x %02x, Get Sensor Hysteresis %s" %
                       (number, r[42], r[43], hy.hex()))
    check(not bad, "%s: every record agrees with the commands (%d disagree%s)" %
          (when, len(bad), ": " + "; ".join(bad[:5]) if bad else ""))
    return len(bad)


def main():
    rng = random.Random(1234)
    tmp = tempfile.mkdtemp(prefix="satmc-agree-")
    text, want = board(rng, 0, tmp)
    with open(os.path.join(tmp, "value"), "w") as f:
        f.write("42\n")
    config = os.path.join(tmp, "board.ini")
    with open(config, "w") as f:
        f.write(text)
    rig = Rig(config, satmcd_args=["--state-directory", os.path.join(tmp, "state")])
    try:
        compare(rig, want, "at start")

        # Set Sensor Thresholds: give every threshold sensor one threshold it lacked (or move
        # one it has) and new hysteresis; the records must follow.
        changed = 0
        for number, vals in want.items():
            if vals is None:
                continue
            cc, th = ipmb(rig, SE, 0x27, [number])
            missing = [t for t in range(6) if not th[0] & (1 << t)]
            raw = list(th[1:7])
            if 3 in missing:            # UNC: just above the highest lower one, below the uppers
                lower = max([raw[t] for t in (0, 1, 2) if th[0] & (1 << t)] or [0])
                upper = min([raw[t] for t in (4, 5) if th[0] & (1 << t)] or [255])
                if upper - lower >= 2:
                    raw[3] = (lower + upper) // 2
                    cc, _ = ipmb(rig, SE, 0x26, [number, 1 << 3] + raw)
                    if cc == 0:
                        vals[3] = None          # now set: readable from here on
                        changed += 1
            cc, _ = ipmb(rig, SE, 0x24, [number, 0xFF, 3, 1])
        check(changed > 10, "Set Sensor Thresholds gave %d sensors an upper non-critical" % changed)
        compare(rig, want, "after Set Sensor Thresholds/Hysteresis")

        # Scanning off on the sensor with a reading: the reading is unavailable, not stale.
        wait_for(lambda: not ipmb(rig, SE, 0x2D, [1])[1][1] & 0x20, "sensor 1's reading",
                 30 if SLOW else 10)
        cc, _ = ipmb(rig, SE, 0x28, [1, 0x80])
        cc, rd = ipmb(rig, SE, 0x2D, [1])
        check(cc == 0 and rd[1] & 0x20 and not rd[1] & 0x40,
              "scanning off: reading unavailable (flags %02x)" % (rd[1] if rd else -1))
        ipmb(rig, SE, 0x28, [1, 0xC0])

        # Reload: new values for the configured thresholds and hysteresis.
        rng2 = random.Random(1234)
        text2, want2 = board(rng2, 1, tmp)
        with open(config, "w") as f:
            f.write(text2)
        before = len(rig.read_stderr())
        rig.satmcd.send_signal(signal.SIGHUP)
        wait_for(lambda: re.search(r"Reloaded |Reload of .* refused", rig.read_stderr()[before:]),
                 "reload to finish", 30 if SLOW else 10)
        # What was set over IPMI stays set (readable); the reload's values come on top.
        for number, vals in want2.items():
            if vals is not None and want[number] is not None:
                vals.update({t: None for t in want[number] if t not in vals})
        compare(rig, want2, "after reload")
    finally:
        rc = rig.stop()
    check(rc == 0, "satmcd exits cleanly (rc %s)" % rc)
    finish()


if __name__ == "__main__":
    main()
