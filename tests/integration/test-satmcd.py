#!/usr/bin/env python3
"""satmcd end to end on the emulated bus: real processes, bytes checked exactly.

Covers Get Device ID (direct and broadcast), GUIDs, self test, an unknown command, a wrong
length, broken checksums, a retried request, Warm and Cold Reset, counters on SIGUSR1 that
match what was sent, clean exit on SIGTERM, and a pcap that tshark decodes as IPMB."""
import os, shutil, subprocess, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from satmc_testlib import Rig, check, finish, emubus, skip  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
CONFIG = os.path.join(HERE, "board-test.ini")
APP = 0x06


def cks(b):
    return (-sum(b)) & 0xFF


def response(cmd, seq, cc, data=b"", rq_sa=0x20, rs_sa=0x72, netfn=APP):
    head = bytes([rq_sa, (netfn + 1) << 2])
    body = bytes([rs_sa, seq << 2, cmd, cc]) + data
    return head + bytes([cks(head)]) + body + bytes([cks(body)])


# From board-test.ini: device 0x23, rev 3 with bit 7 (provides device SDRs: the MC Device
# Locator), fw 1.42 (BCD 0x42), IPMI 2.0, sensor device (device SDRs) and FRU inventory bits,
# manufacturer 0x007ED9 (IANA 32473, for documentation) LE, product 0x1291 LE, aux 0a 0b 0c 0d.
DEVICE_ID = bytes([0x23, 0x83, 0x01, 0x42, 0x02, 0x09, 0xD9, 0x7E, 0x00, 0x91, 0x12,
                   0x0A, 0x0B, 0x0C, 0x0D])
# 01234567-89ab-cdef-0011-223344556677, least significant byte first.
GUID = bytes.fromhex("0123456789abcdef0011223344556677")[::-1]


def main():
    rig = Rig(CONFIG)
    sent_bad = {"header": 0, "data": 0, "short": 0, "not_for_us": 0}
    try:
        r = rig.transact(APP, 0x01, seq=5)
        check(r == response(0x01, 5, 0x00, DEVICE_ID), "Get Device ID bytes: %s" % (r or b"").hex())

        # Broadcast: general call, frame prefixed by 0x00, target address inside.
        req = emubus.ipmb_request(0x72, APP, 0x01, 6, b"")
        r = rig.send_raw(0x00, req)
        check(r == response(0x01, 6, 0x00, DEVICE_ID), "Broadcast Get Device ID answered")

        r = rig.transact(APP, 0x08, seq=7)
        check(r == response(0x08, 7, 0x00, GUID), "Get Device GUID bytes")
        r = rig.transact(APP, 0x37, seq=8)
        check(r == response(0x37, 8, 0x00, GUID), "Get System GUID bytes")
        r = rig.transact(APP, 0x04, seq=9)
        check(r == response(0x04, 9, 0x00, b"\x55\x00"), "Get Self Test Results: passed")

        r = rig.transact(APP, 0x55, seq=10)
        check(r == response(0x55, 10, 0xC1), "unknown command answered 0xC1")
        r = rig.transact(APP, 0x01, b"\x00", seq=11)
        check(r == response(0x01, 11, 0xC7), "Get Device ID with a data byte answered 0xC7")
        r = rig.transact(0x2E, 0x01, b"\x00\x00\x00", seq=12)
        check(r == response(0x01, 12, 0xC1, netfn=0x2E), "OEM netFn answered 0xC1")

        # Broken frames: counted and dropped, no answer.
        good = emubus.ipmb_request(0x72, APP, 0x01, 13, b"")
        bad = bytearray(good); bad[2] ^= 0xFF
        check(rig.send_raw(0x39, bytes(bad[1:]), timeout=0.2) is None,
              "header checksum broken: no answer"); sent_bad["header"] += 1
        bad = bytearray(good); bad[-1] ^= 0x01
        check(rig.send_raw(0x39, bytes(bad[1:]), timeout=0.2) is None,
              "data checksum broken: no answer"); sent_bad["data"] += 1
        check(rig.send_raw(0x39, good[1:4], timeout=0.2) is None,
              "short frame: no answer"); sent_bad["short"] += 1
        # On a slave device every frame arrives under our own address; "not for us" is a
        # broadcast that probes another controller.
        other = emubus.ipmb_request(0x74, APP, 0x01, 14, b"")
        check(rig.send_raw(0x00, other, timeout=0.2) is None,
              "broadcast probing 0x74: no answer"); sent_bad["not_for_us"] += 1

        # A retry: identical bytes, same seq, answered identically from the cache.
        first = rig.transact(APP, 0x04, seq=20)
        again = rig.transact(APP, 0x04, seq=20)
        check(first is not None and first == again, "retried request answered identically")

        c = rig.counters()
        check(c.get("rejected-header-checksum") == sent_bad["header"], "header-checksum counter")
        check(c.get("rejected-data-checksum") == sent_bad["data"], "data-checksum counter")
        check(c.get("rejected-short") == sent_bad["short"], "short counter")
        check(c.get("rejected-not-for-us") == sent_bad["not_for_us"], "not-for-us counter")
        check(c.get("responses-replayed") == 1, "one response replayed")
        check(c.get("answered-invalid-command") == 2, "two 0xC1 answers counted")
        check(c.get("answered-invalid-length") == 1, "one 0xC7 answer counted")
        check(c.get("frames-received") == 14, "14 frames received: %s" % c.get("frames-received"))
        check(c.get("responses-sent") == 10, "10 responses sent: %s" % c.get("responses-sent"))

        # Warm Reset: answered, daemon keeps serving, the replay cache is gone.
        r = rig.transact(APP, 0x03, seq=21)
        check(r == response(0x03, 21, 0x00), "Warm Reset answered")
        r = rig.transact(APP, 0x04, seq=20)
        check(r == response(0x04, 20, 0x00, b"\x55\x00"), "after Warm Reset seq 20 executes again")
        check(rig.counters().get("responses-replayed") == 1, "not replayed after Warm Reset")

        # Cold Reset: answered, then satmcd re-executes (same PID) and answers again.
        pid = rig.satmcd.pid
        r = rig.transact(APP, 0x02, seq=22)
        check(r == response(0x02, 22, 0x00), "Cold Reset answered")
        rig.wait_notify("READY=1", 30)
        r = rig.transact(APP, 0x01, seq=23)
        check(r == response(0x01, 23, 0x00, DEVICE_ID), "answers after Cold Reset")
        check(rig.satmcd.pid == pid and rig.satmcd.poll() is None, "same process after re-exec")
        check(rig.counters().get("frames-received") == 1, "counters start afresh after Cold Reset")
    finally:
        rc = rig.stop()
    check(rc == 0, "satmcd exits 0 on SIGTERM (got %s)" % rc)
    check("counters:" in rig.read_stderr().splitlines()[-1], "counters printed at exit")

    # Under a service manager's watchdog: READY=1, then WATCHDOG=1 at least every half period,
    # and nothing else wakes an idle satmcd.
    wd = Rig(CONFIG, env={"WATCHDOG_USEC": "200000"})
    try:
        pings = 0
        for _ in range(4):
            pings += wd.wait_notify("WATCHDOG=1", 5) is not None
        check(pings == 4, "WATCHDOG=1 sent repeatedly when WATCHDOG_USEC is set")
    finally:
        check(wd.stop() == 0, "satmcd under a watchdog exits 0 on SIGTERM")

    if shutil.which("tshark"):
        out = subprocess.run(["tshark", "-r", rig.pcap, "-d", "i2c.message,ipmi",
                              "-o", "ipmi.dissect_bus_commands:TRUE"],
                             capture_output=True, text=True).stdout
        check("Req, Get Device ID" in out and "Rsp, Get Device ID, Command Completed Normally" in out,
              "tshark decodes the capture as IPMB requests and responses")
    else:
        skip("tshark decodes the capture", "tshark not installed")
    finish()


if __name__ == "__main__":
    main()
