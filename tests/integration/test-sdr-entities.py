#!/usr/bin/env python3
"""Entities, sensor numbers, LUNs and SDR control end to end (board-entities.ini, a PSU: @DIR@
replaced by a temporary directory whose files the sensors read).

Stock ipmitool over the dummy socket: `sdr elist` and `sdr elist all` show each record's entity
(the MC 19.1, the FRU and two sensors 10.1, the fan 29.1) and read the LUN-1 sensors, which
share sensor number 10h with a LUN-0 one; `sdr get` shows nominal and normal readings, the
settable thresholds and the event enables; `sensor thresh` on a read-only threshold fails and
changes nothing. Over IPMB: the sensor commands answer on LUN 1 and 0xC2 on LUN 3, and the
LUN-1 sensor's event is sent from LUN 1 (its generator ID). python-ipmi as the BMC: Get Device
SDR Info per LUN, the entity and owner LUN of every record it parses, and a reading through
get_sensor_reading(number, lun=1)."""
import os, sys, time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from satmc_testlib import (Rig, board_from_template, check, emubus, fields, finish,  # noqa: E402
                           ipmitool, pyipmi_connection, results, skip, wait_for)

SLOW = bool(os.environ.get("SATMCD_WRAPPER"))
SE, APP = 0x04, 0x06
SAT = 0x72
GET_SENSOR_READING, GET_DEVICE_SDR_INFO, PLATFORM_EVENT = 0x2D, 0x20, 0x02


def rows(out):
    return {c[0]: c for c in ([x.strip() for x in line.split("|")]
                              for line in out.splitlines() if "|" in line)}


def num(text):
    try:
        return float(text.split()[0])
    except (ValueError, IndexError, AttributeError):
        return None


def write(tmp, name, value):
    with open(os.path.join(tmp, name + ".tmp"), "w") as f:
        f.write(value + "\n")
    os.rename(os.path.join(tmp, name + ".tmp"), os.path.join(tmp, name))


def request(rig, netfn, cmd, data=b"", lun=0):
    """An IPMB request to satmcd on rsLUN lun: (completion code, data, response rqLUN) or None."""
    frame = emubus.ipmb_request(SAT, netfn, cmd, rig.next_seq(), data, rs_lun=lun)
    got = rig.send_raw(SAT >> 1, frame[1:])
    if got is None or len(got) < 8:
        return None
    return got[6], bytes(got[7:-1]), got[4] & 3


def with_ipmitool(rig, tmp):
    def all_read():
        got = rows(ipmitool(rig.ipmitool_sock, "sdr", "elist").stdout)
        return len(got) == 3 and all(num(c[4]) is not None for c in got.values())
    wait_for(all_read, "first readings", timeout=30 if SLOW else 10)
    r = ipmitool(rig.ipmitool_sock, "sdr", "elist")
    print(r.stdout)
    got = rows(r.stdout)
    t, v, f = (got.get(n, [""] * 5) for n in ("PSU Temp", "PSU Vin", "PSU Fan"))
    check(r.returncode == 0 and list(got) == ["PSU Temp", "PSU Vin", "PSU Fan"],
          "sdr elist: the three sensors in order")
    check(t[1] == "10h" and t[3] == "10.1" and abs(num(t[4]) - 42.5) <= 0.325,
          "sdr elist: PSU Temp, sensor 10h on LUN 0, power supply 10.1, 42.5 C (%s)" % t)
    check(v[1] == "10h" and v[3] == "10.1" and "Volts" in v[4] and abs(num(v[4]) - 230) <= 0.6,
          "sdr elist: PSU Vin, sensor 10h on LUN 1, 10.1, 230 V (%s)" % v)
    check(f[1] == "03h" and f[3] == "29.1" and abs(num(f[4]) - 5200) <= 39.5,
          "sdr elist: PSU Fan, sensor 03h (index + 1) on LUN 1, fan 29.1 (%s)" % f)

    r = ipmitool(rig.ipmitool_sock, "sdr", "elist", "all")
    print(r.stdout)
    lines = [[x.strip() for x in line.split("|")] for line in r.stdout.splitlines() if "|" in line]
    mc = [c for c in lines if "MC @ 72h" in c[4]]
    fru = [c for c in lines if "FRU @00h" in c[4]]
    check(len(mc) == 1 and mc[0][3] == "19.1", "sdr elist all: MC locator is power unit 19.1 (%s)" % mc)
    check(len(fru) == 1 and fru[0][3] == "10.1", "sdr elist all: FRU locator is power supply 10.1 (%s)"
          % fru)

    r = ipmitool(rig.ipmitool_sock, "sdr", "get", "PSU Temp")
    print(r.stdout)
    g = fields(r.stdout)
    check(g.get("Entity ID") == "10.1 (Power Supply)", "sdr get: entity 10.1 (Power Supply)")
    check(abs((num(g.get("Nominal Reading")) or 0) - 40) <= 0.325 and
          abs((num(g.get("Normal Minimum")) or 0) - 10) <= 0.325 and
          abs((num(g.get("Normal Maximum")) or 0) - 70) <= 0.325,
          "sdr get: nominal 40, normal 10..70 (%s, %s, %s)" % (g.get("Nominal Reading"),
                                                          g.get("Normal Minimum"),
                                                          g.get("Normal Maximum")))
    check(g.get("Readable Thresholds") == "lcr unc ucr" and g.get("Settable Thresholds") == "unc",
          "sdr get: readable lcr unc ucr, settable unc only")
    check(g.get("Assertions Enabled") == "ucr+" and g.get("Deassertions Enabled") == "ucr+",
          "sdr get: events enabled for UCR going high only (%s / %s)"
          % (g.get("Assertions Enabled"), g.get("Deassertions Enabled")))

    r = ipmitool(rig.ipmitool_sock, "sensor", "get", "PSU Vin")
    print(r.stdout)
    g = fields(r.stdout)
    check(r.returncode == 0 and g.get("Entity ID") == "10.1" and
          abs((num(g.get("Sensor Reading")) or 0) - 230) <= 0.6 and
          abs((num(g.get("Upper Critical")) or 0) - 264) <= 0.6,
          "sensor get PSU Vin (LUN 1): reading and UCR")
    r = ipmitool(rig.ipmitool_sock, "sensor", "thresh", "PSU Vin", "ucr", "250")
    check(r.returncode != 0 and "Invalid data field" in r.stderr + r.stdout,
          "sensor thresh on a read-only threshold: refused, invalid data field (%s)"
          % (r.stderr.strip() or r.stdout.strip()))
    g = fields(ipmitool(rig.ipmitool_sock, "sensor", "get", "PSU Vin").stdout)
    check(abs((num(g.get("Upper Critical")) or 0) - 264) <= 0.6, "...and UCR stays 264")
    r = ipmitool(rig.ipmitool_sock, "sensor", "thresh", "PSU Temp", "unc", "65")
    g = fields(ipmitool(rig.ipmitool_sock, "sensor", "get", "PSU Temp").stdout)
    check(r.returncode == 0 and abs((num(g.get("Upper Non-Critical")) or 0) - 65) <= 0.325,
          "sensor thresh on the settable UNC works (%s)" % g.get("Upper Non-Critical"))


def over_ipmb(rig, tmp):
    got = request(rig, SE, GET_SENSOR_READING, bytes([0x10]), lun=1)
    check(got is not None and got[0] == 0 and got[2] == 1,
          "IPMB: Get Sensor Reading 10h on LUN 1 answered, from LUN 1 (%s)" % (got,))
    vin = got[1][0] if got and got[1] else None
    got = request(rig, SE, GET_SENSOR_READING, bytes([0x10]), lun=0)
    check(got is not None and got[0] == 0 and vin is not None and got[1][0] != vin,
          "IPMB: Get Sensor Reading 10h on LUN 0 is another sensor (%s)" % (got,))
    got = request(rig, SE, GET_SENSOR_READING, bytes([0x10]), lun=3)
    check(got is not None and got[0] == 0xC2, "IPMB: LUN 3 has no sensors: 0xC2 (%s)" % (got,))
    got = request(rig, APP, 0x01, lun=1)
    check(got is not None and got[0] == 0xC2, "IPMB: Get Device ID on LUN 1: 0xC2 (%s)" % (got,))
    for lun, want in ((0, 1), (1, 2)):
        got = request(rig, SE, GET_DEVICE_SDR_INFO, bytes([0]), lun=lun)
        check(got is not None and got[0] == 0 and got[1] == bytes([want, 0x03]),
              "IPMB: Get Device SDR Info on LUN %d: %d sensors, LUNs 0 and 1 (%s)" % (lun, want, got))

    # PSU Vin past its UCR (264 V): the event comes from rqLUN 1, sensor 10h, offset 9.
    rig.requests.clear()
    write(tmp, "in1_input", "280000")
    frame = None
    deadline = time.monotonic() + (10 if SLOW else 5)
    while frame is None and time.monotonic() < deadline:
        if rig.requests:
            frame = rig.requests.pop(0)
            break
        got = rig.bmc.recv(max(0.0, deadline - time.monotonic()))
        if got is not None:
            f = bytes([got[0] << 1]) + bytes(got[1])
            if not (f[1] >> 2) & 1:
                frame = f
    check(frame is not None and frame[5] == PLATFORM_EVENT and frame[4] & 3 == 1 and
          frame[3] == SAT and frame[7] == 0x02 and frame[8] == 0x10 and frame[9] == 0x01 and
          frame[10] & 0x0F == 9,
          "event from the LUN-1 sensor: rqSA 72h, rqLUN 1, voltage sensor 10h, UCR going high "
          "(%s)" % (frame.hex() if frame else None))
    if frame is not None:
        head = bytes([frame[3], (frame[1] >> 2 | 1) << 2 | (frame[4] & 3)])
        body = bytes([frame[0], frame[4] & 0xFC | (frame[1] & 3), frame[5], 0x00])
        rig.bmc.write(frame[3] >> 1, head[1:] + bytes([emubus.checksum(head)]) + body +
                      bytes([emubus.checksum(body)]))
        # The answer goes back to rqLUN 1; satmcd matches it all the same (LUNs are not part
        # of the match) and counts the event delivered.
        wait_for(lambda: rig.counters()["events-sent"] >= 1, "the event counted as sent",
                 timeout=10 if SLOW else 5)
        check(rig.counters()["events-sent"] == 1, "the answer to LUN 1 delivers the event")


def with_pyipmi(config, tmp):
    # python-ipmi's adapter is the BMC at 0x20, so the rig's own endpoint moves to 0x22 and
    # no events are sent (the adapter would have to answer them).
    with open(config) as f:
        text = f.read().replace("[mc]\n", "[mc]\nevent-receiver = none\n", 1)
    quiet = os.path.join(tmp, "board-quiet.ini")
    with open(quiet, "w") as f:
        f.write(text)
    write(tmp, "in1_input", "230000")
    rig = Rig(quiet, bmc_addr7=0x11)
    try:
        conn = pyipmi_connection(rig, SAT, 0x20)
        if not conn:
            return
        pyipmi, ipmi = conn
        import pyipmi.msgs

        for lun, want in ((0, 1), (1, 2)):
            req = pyipmi.msgs.create_request_by_name("GetDeviceSdrInfo")
            req.lun = lun
            info = ipmi.send_message(req)
            check(info.number_of_sensors == want and info.flags.lun0_has_sensors and
                  info.flags.lun1_has_sensors and not info.flags.lun3_has_sensors,
                  "python-ipmi: Get Device SDR Info on LUN %d: %d sensors, LUNs 0 and 1"
                  % (lun, info.number_of_sensors))
        records = list(ipmi.device_sdr_entries())
        by_name = {}
        for r in records:
            name = r.device_id_string
            by_name[name.decode() if isinstance(name, bytes) else str(name)] = r
        want = {"PSU Temp": (0x10, 0, 10, 1), "PSU Vin": (0x10, 1, 10, 1),
                "PSU Fan": (0x03, 1, 0x1D, 1)}
        for name, (number, lun, entity, instance) in want.items():
            r = by_name.get(name)
            check(r is not None and (r.number, r.owner_lun, r.entity_id, r.entity_instance) ==
                  (number, lun, entity, instance),
                  "python-ipmi: %s is sensor %02xh on LUN %d of entity %d.%d (%s)"
                  % (name, number, lun, entity, instance,
                     r and (r.number, r.owner_lun, r.entity_id, r.entity_instance)))
        locators = [(r.type, r.entity_id, r.entity_instance) for r in records
                    if r.type in (0x11, 0x12)]
        check(sorted(locators) == [(0x11, 10, 1), (0x12, 0x13, 1)],
              "python-ipmi: FRU locator 10.1, MC locator 19.1 (%s)" % locators)
        temp = by_name.get("PSU Temp")
        check(temp is not None and "nominal_reading" in temp.analog_characteristic and
              abs(temp.convert_sensor_raw_to_value(temp.nominal_reading) - 40) <= 0.325,
              "python-ipmi: PSU Temp's nominal reading 40")
        vin = by_name.get("PSU Vin")
        if vin is not None:
            wait_for(lambda: ipmi.get_sensor_reading(vin.number, lun=1)[0] is not None,
                     "PSU Vin's first reading", timeout=30 if SLOW else 10)
            raw, _ = ipmi.get_sensor_reading(vin.number, lun=1)
            value = vin.convert_sensor_raw_to_value(raw)
            check(abs(value - 230) <= 0.6, "python-ipmi: PSU Vin on LUN 1 reads %s V" % value)
    finally:
        rc = rig.stop()
        check(rc == 0, "satmcd (python-ipmi rig) exits 0 on SIGTERM (%s)" % rc)


def main():
    tmp, config = board_from_template("board-entities.ini", "satmc-entities-")
    for name, value in (("temp1_input", "42500"), ("in1_input", "230000"),
                        ("fan1_input", "5200")):
        write(tmp, name, value)
    ipmitool_missing = not any(os.access(os.path.join(d, "ipmitool"), os.X_OK)
                                   for d in os.environ.get("PATH", "").split(os.pathsep))
    rig = Rig(config)
    try:
        if ipmitool_missing:
            skip("ipmitool shows entities and LUN-1 sensors", "ipmitool not installed")
        else:
            with_ipmitool(rig, tmp)
        over_ipmb(rig, tmp)
    finally:
        rc = rig.stop()
        check(rc == 0, "satmcd exits 0 on SIGTERM (%s)" % rc)
        if results["failed"]:
            print("satmcd's log:\n" + rig.read_stderr())
    with_pyipmi(config, tmp)
    finish()


if __name__ == "__main__":
    main()
