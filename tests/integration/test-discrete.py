#!/usr/bin/env python3
"""Discrete sensors end to end on the emulated bus (board-discrete.ini, @DIR@ replaced by a
temporary directory whose files the state sources read): a Power Supply (08h) sensor with one
file per state and a digital fan-fault sensor. The test is the BMC at 0x20: it receives the
Platform Event Messages and checks their bytes (sensor type 08h, event type 6Fh, offset per
state, deassertions only where configured); stock ipmitool reads the Compact Sensor Records
and names the asserted states (`sdr elist`, `sensor get`); Get Sensor Reading and Get Sensor
Event Status carry the state bits; a failing state source makes the sensor unavailable."""
import os, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from satmc_testlib import Rig, board_from_template, check, finish, ipmitool, fields  # noqa: E402
import importlib.util  # noqa: E402

_spec = importlib.util.spec_from_file_location(
    "test_events", os.path.join(os.path.dirname(os.path.abspath(__file__)), "test-events.py"))
events = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(events)

SE = 0x04
PSU, FAN = 1, 2


def reading(rig, number):
    """(flags, state bytes 3-4) of Get Sensor Reading."""
    rsp = rig.transact(SE, 0x2D, bytes([number]))
    if not rsp or rsp[6] != 0:
        return None
    return rsp[8], rsp[9] | (rsp[10] & 0x7F) << 8


def main():
    tmp, config = board_from_template("board-discrete.ini", "satmc-discrete-")
    for name, value in (("psu_present", 1), ("psu_failed", 0), ("psu_warn", 0),
                        ("psu_ac_lost", 0), ("psu_config", 0), ("fan_fault", 0),
                        ("temp1_input", 25000)):
        events.set_value(tmp, name, value)

    rig = Rig(config)
    try:
        # At start: "presence detected" asserted, and the fan's "deasserted" state.
        got = sorted(events.collect(rig, 2, timeout=5))
        check(got == sorted([bytes([0x04, 0x08, PSU, 0x6F, 0x00]),
                             bytes([0x04, 0x04, FAN, 0x03, 0x00])]),
              "at start: PSU presence (08h/6Fh offset 0) and fan state deasserted (04h/03h "
              "offset 0), 5 bytes each (%s)" % [g.hex(" ") for g in got])
        check(reading(rig, PSU) == (0xC0, 0x0001), "Get Sensor Reading: state bit 0 (presence)")

        out = ipmitool(rig.ipmitool_sock, "sdr", "elist").stdout
        psu_line = next((l for l in out.splitlines() if l.startswith("PSU1 Status")), "")
        check("Presence detected" in psu_line,
              "ipmitool sdr elist names the asserted state: %r" % psu_line)
        fan_line = next((l for l in out.splitlines() if l.startswith("Fan Tray Fault")), "")
        check(fan_line != "", "ipmitool sdr elist lists the digital sensor: %r" % fan_line)

        # AC lost: one assertion event, offset 3; elist names it.
        events.set_value(tmp, "psu_ac_lost", 1)
        got = events.collect(rig, 1, timeout=5)
        check(got == [bytes([0x04, 0x08, PSU, 0x6F, 0x03])],
              "input lost: assertion, offset 3 (%s)" % [g.hex(" ") for g in got])
        f = fields(ipmitool(rig.ipmitool_sock, "sensor", "get", "PSU1 Status").stdout)
        check("Sensor Type (Discrete)" in f and "Power Supply" in f.get("Sensor Type (Discrete)", ""),
              "ipmitool sensor get: a discrete Power Supply sensor (%s)" %
              f.get("Sensor Type (Discrete)"))
        sdr = ipmitool(rig.ipmitool_sock, "sdr", "get", "PSU1 Status").stdout
        check("Power Supply AC lost" in sdr and "Presence detected" in sdr,
              "ipmitool sdr get: states asserted presence and AC lost")

        # Failure and a configuration error, then both gone: the configuration error's
        # deassertion is not configured, so only the failure deasserts.
        events.set_value(tmp, "psu_failed", 1)
        got = events.collect(rig, 1, timeout=5)
        check(got == [bytes([0x04, 0x08, PSU, 0x6F, 0x01])], "failure: offset 1 asserted")
        events.set_value(tmp, "psu_config", 1)
        got = events.collect(rig, 1, timeout=5)
        check(got == [bytes([0x04, 0x08, PSU, 0x6F, 0x06])], "configuration error: offset 6")
        events.set_value(tmp, "psu_failed", 0)
        events.set_value(tmp, "psu_config", 0)
        got = events.collect(rig, 2, timeout=2)
        check(got == [bytes([0x04, 0x08, PSU, 0xEF, 0x01])],
              "cleared: failure deasserted (0xEF), no event for the configuration error (%s)"
              % [g.hex(" ") for g in got])
        rsp = rig.transact(SE, 0x2B, bytes([PSU]))
        check(rsp is not None and rsp[6] == 0 and rsp[8:12] == bytes([0x09, 0x00, 0x42, 0x00]),
              "Get Sensor Event Status: presence and input lost asserted; failure and "
              "configuration error deasserted since (%s)" % (rsp[8:12].hex(" ") if rsp else None))

        # The fan fault: "asserted" asserts, "deasserted" deasserts.
        events.set_value(tmp, "fan_fault", 1)
        got = events.collect(rig, 2, timeout=5)
        check(got == [bytes([0x04, 0x04, FAN, 0x83, 0x00]), bytes([0x04, 0x04, FAN, 0x03, 0x01])],
              "fan fault: deasserted state goes, asserted state comes (%s)" %
              [g.hex(" ") for g in got])
        check(reading(rig, FAN) == (0xC0, 0x0002), "Get Sensor Reading of the fan: state bit 1")

        # One state source unreadable: the whole sensor is unavailable, and no event.
        os.unlink(os.path.join(tmp, "psu_warn"))
        unavailable = {}

        def gone():
            unavailable["r"] = reading(rig, PSU)
            return unavailable["r"] is not None and unavailable["r"][0] & 0x20
        from satmc_testlib import wait_for
        wait_for(gone, "PSU1 Status unavailable", timeout=15)
        check(unavailable["r"] == (0xE0, 0x0000),
              "a missing state source: reading unavailable, no state bits")
        check(events.collect(rig, 1, timeout=0.5) == [], "no event while unavailable")
        events.set_value(tmp, "psu_warn", 0)
        wait_for(lambda: reading(rig, PSU) == (0xC0, 0x0009), "PSU1 Status back", timeout=15)
        check(events.collect(rig, 1, timeout=0.5) == [],
              "readable again with the same states: no event")

        # Re-arm re-sends the asserted states.
        rsp = rig.transact(SE, 0x2A, bytes([PSU, 0x00]))
        check(rsp is not None and rsp[6] == 0, "Re-arm Sensor Events answered 0x00")
        got = events.collect(rig, 2, timeout=5)
        check(got == [bytes([0x04, 0x08, PSU, 0x6F, 0x00]), bytes([0x04, 0x08, PSU, 0x6F, 0x03])],
              "re-arm: presence and input lost sent again (%s)" % [g.hex(" ") for g in got])
    finally:
        rc = rig.stop()
    check(rc == 0, "satmcd exits 0 on SIGTERM")
    finish()


if __name__ == "__main__":
    main()
