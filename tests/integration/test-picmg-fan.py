#!/usr/bin/env python3
"""An ATCA fan tray's IPMC (board-picmg-fan.ini, docs/picmg-fan-tray.md) driven as a shelf
manager drives one, with software someone else wrote: Kontron's python-ipmi
(get_fan_speed_properties, set_fan_level, get_fan_level) over the emulated IPMB, and stock
ipmitool's raw (ipmitool has no fan tray subcommand) through satmc-ipmb-bridge. After every
command the test reads the pwm files satmcd writes: both fans of a tray move together, the
level is the override's or the greater of override and the temperature curve's, 0xFF hands
the tray back to its curve, and what is refused (0xFE, levels outside min..max, local control
on a tray without, unknown FRUs and trays without fans) changes no pwm file."""
import os, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from satmc_testlib import (Bridge, Rig, board_from_template, check, finish,  # noqa: E402
                           ipmitool, pyipmi_connection, results, wait_for)


def write(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.rename(tmp, path)        # the sensor thread never sees half a number


def read_int(path):
    """The number in path; None while satmcd is between truncating and writing it."""
    with open(path) as f:
        words = f.read().split()
    return int(words[0]) if words else None


def pwm_at(level, max_level):
    """The pwm value of level with the default pwm-range 0..255 (docs/actuators.md)."""
    return (255 * level + max_level // 2) // max_level


class Tray:
    """The pwm files of the test's trays: FRU 0 (pwm1, pwm2: max-level 15), FRU 1 (pwm3: 10)."""

    def __init__(self, tmp):
        self.tmp = tmp

    def pwm(self, n):
        return read_int(os.path.join(self.tmp, "pwm%d" % n))

    def at(self, fru, level):
        """Whether every fan of the tray is at level."""
        if fru == 0:
            return self.pwm(1) == self.pwm(2) == pwm_at(level, 15)
        return self.pwm(3) == pwm_at(level, 10)

    def files(self):
        return [self.pwm(n) for n in (1, 2, 3)]


def raw(bridge, *args):
    """ipmitool raw 0x2c ARGS through the bridge: (completion code, response bytes)."""
    r = ipmitool(bridge.sock, "raw", "0x2c", *args)
    if r.returncode == 0:
        return 0, [int(b, 16) for b in r.stdout.split()]
    at = r.stderr.find("rsp=0x")
    return (int(r.stderr[at + 4:at + 8], 16) if at >= 0 else None), []


def with_ipmitool(bridge, tray, tmp):
    cc, rsp = raw(bridge, "0x14", "0x00", "0x00")
    check(cc == 0 and rsp == [0x00, 2, 15, 6, 0x80],
          "Get Fan Speed Properties FRU 0: min 2, max 15, normal 6, local control (%s %s)"
          % (cc, rsp))
    cc, rsp = raw(bridge, "0x14", "0x00", "0x01")
    check(cc == 0 and rsp == [0x00, 3, 10, 3, 0x00],
          "Get Fan Speed Properties FRU 1: min 3, max 10, normal min-level, no local control "
          "(%s %s)" % (cc, rsp))

    # 40 C: the curve asks for level 6 (30:4 .. 50:8).
    wait_for(lambda: tray.at(0, 6), "FRU 0's fans at level 6 (40 C)")
    cc, rsp = raw(bridge, "0x16", "0x00", "0x00")
    check(cc == 0 and rsp == [0x00, 0xFF, 6, 1],
          "Get Fan Level FRU 0: local control (FFh), local level 6, enabled (%s %s)" % (cc, rsp))

    # An override above the curve's level wins while local control stays enabled...
    cc, _ = raw(bridge, "0x15", "0x00", "0x00", "0x0b", "0x01")
    wait_for(lambda: tray.at(0, 11), "both fans of FRU 0 at the override 11")
    check(cc == 0, "Set Fan Level FRU 0 to 11, local control enabled: both fans at 11 (%s)"
          % tray.files())
    # ... one below it does not.
    cc, _ = raw(bridge, "0x15", "0x00", "0x00", "0x03", "0x01")
    wait_for(lambda: tray.at(0, 6), "FRU 0 back at the curve's 6 (override 3 is below it)")
    check(cc == 0, "override 3 with local control: the greater, the curve's 6")
    # Local control disabled: the override alone.
    cc, _ = raw(bridge, "0x15", "0x00", "0x00", "0x03", "0x00")
    wait_for(lambda: tray.at(0, 3), "FRU 0 at the override 3, local control disabled")
    cc2, rsp = raw(bridge, "0x16", "0x00", "0x00")
    check(cc == 0 and cc2 == 0 and rsp == [0x00, 3, 6, 0],
          "local control disabled: level 3, Get Fan Level 3 / local 6 / disabled (%s)" % rsp)

    # Refused, each leaving every pwm file as it was.
    before = tray.files()
    for args, want, what in [
            (("0x15", "0x00", "0x00", "0xfe"), 0xC9, "0xFE (emergency shut down): 0xC9"),
            (("0x15", "0x00", "0x00", "0x10"), 0xC9, "level 16 above max-level 15: 0xC9"),
            (("0x15", "0x00", "0x00", "0x01"), 0xC9, "level 1 below min-level 2: 0xC9"),
            (("0x15", "0x00", "0x00", "0x05", "0x02"), 0xCC, "local control byte 2: 0xCC"),
            (("0x15", "0x00", "0x01", "0xff"), 0xCC, "FRU 1 (no local control), FFh: 0xCC"),
            (("0x15", "0x00", "0x01", "0x05", "0x01"), 0xCC,
             "FRU 1, local control enable: 0xCC"),
            (("0x15", "0x00", "0x02", "0x05"), 0xCC, "FRU 2 (no fans): 0xCC"),
            (("0x15", "0x00", "0x03", "0x05"), 0xCC, "FRU 3 (no [fru.3]): 0xCC"),
            (("0x15", "0x01", "0x00", "0x05"), 0xCC, "PICMG identifier 0x01: 0xCC"),
            (("0x15", "0x00", "0x00"), 0xC7, "Set Fan Level without a level: 0xC7"),
            (("0x14", "0x00", "0x00", "0x00"), 0xC7, "Get Fan Speed Properties, 3 bytes: 0xC7"),
            (("0x16", "0x00", "0x02"), 0xCC, "Get Fan Level FRU 2 (no fans): 0xCC")]:
        cc, _ = raw(bridge, *args)
        check(cc == want and tray.files() == before, "refused: %s (got %s)" % (what, cc))

    # FRU 1: the override alone, its Get Fan Level without the local bytes.
    cc, _ = raw(bridge, "0x15", "0x00", "0x01", "0x04")
    wait_for(lambda: tray.at(1, 4), "FRU 1's fan at level 4")
    cc2, rsp = raw(bridge, "0x16", "0x00", "0x01")
    check(cc == 0 and cc2 == 0 and rsp == [0x00, 4],
          "FRU 1 at 4, FRU 0 untouched; Get Fan Level: 00 04 (%s)" % rsp)
    check(tray.at(0, 3), "FRU 0 still at 3 (%s)" % tray.files())

    # 0xFF: back to the curve, which follows the temperature again.
    cc, _ = raw(bridge, "0x15", "0x00", "0x00", "0xff", "0x01")
    wait_for(lambda: tray.at(0, 6), "FRU 0 back on its curve (6)")
    write(os.path.join(tmp, "temp1_input"), "60000\n")
    wait_for(lambda: tray.at(0, 12), "FRU 0 at the curve's 12 for 60 C")
    check(cc == 0, "FFh: FRU 0 follows its curve again (60 C: level 12)")


def with_pyipmi(rig, tray):
    conn = pyipmi_connection(rig)
    if not conn:
        return
    pyipmi, ipmi = conn
    p = ipmi.get_fan_speed_properties(0)
    check((p.minimum_speed_level, p.maximum_speed_level, p.normal_operation_level,
           p.local_control_supported) == (2, 15, 6, 1),
          "python-ipmi get_fan_speed_properties(0): 2, 15, 6, local control (%s)" % vars(p))
    # python-ipmi 0.4.2 always sends the fourth byte, 0: local control disabled.
    ipmi.set_fan_level(0, 9)
    wait_for(lambda: tray.at(0, 9), "python-ipmi set_fan_level(0, 9): FRU 0 at 9")
    got = ipmi.get_fan_level(0)
    check(got == (9, 12), "set_fan_level(0, 9) (local control off): level 9 although the "
          "curve asks 12; get_fan_level(0) = %s" % (got,))
    ipmi.set_fan_level(1, 10)
    wait_for(lambda: tray.at(1, 10), "python-ipmi set_fan_level(1, 10): FRU 1 at 10")
    check(ipmi.get_fan_level(1) == (10, None), "get_fan_level(1): (10, None), no local control")
    try:
        ipmi.set_fan_level(1, 11)
        check(False, "set_fan_level(1, 11) above max-level 10 refused")
    except pyipmi.errors.CompletionCodeError as e:
        check(e.cc == 0xC9 and tray.at(1, 10),
              "set_fan_level(1, 11): CompletionCodeError 0xC9, FRU 1 still at 10")


def main():
    tmp, config = board_from_template("board-picmg-fan.ini", "satmc-picmg-fan-")
    write(os.path.join(tmp, "temp1_input"), "40000\n")
    for n in (1, 2, 3):
        write(os.path.join(tmp, "pwm%d" % n), "0\n")
    tray = Tray(tmp)
    rig = Rig(config, satmcd_args=["--state-directory", os.path.join(tmp, "state")],
              bmc_addr7=0x12)
    bridge = None
    try:
        # FRU 1 has no curve: it starts at its safe level, max-level.
        wait_for(lambda: tray.at(1, 10), "FRU 1's fan at max-level 10 at start")
        bridge = Bridge(rig)
        with_ipmitool(bridge, tray, tmp)
        with_pyipmi(rig, tray)
    finally:
        if bridge:
            bridge.stop()
        rc = rig.stop()
        check(rc == 0, "satmcd exits 0 on SIGTERM (%s)" % rc)
        check(tray.files() == [255, 255, 255], "at exit: every fan at full speed")
        if results["failed"]:
            print("satmcd's log:\n" + rig.read_stderr())
    finish()


if __name__ == "__main__":
    main()
