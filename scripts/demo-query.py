#!/usr/bin/env python3
"""Act as the BMC on the emulated bus: send Get Device ID to the satellite at 0x72 and print
the decoded answer. usage: demo-query.py BUS_SOCKET"""
import os, sys, time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../tests/harness"))
import emubus  # noqa: E402

bmc = emubus.Endpoint(sys.argv[1], [0x10])
frame = emubus.ipmb_request(0x72, 0x06, 0x01, 1, b"")
print("request  :", frame.hex(" "))
deadline = time.monotonic() + 5   # satmcd may still be starting: NAK until it attaches
while not bmc.write(0x72 >> 1, frame[1:]):
    if time.monotonic() > deadline:
        sys.exit("satellite did not ACK (is satmcd running?)")
    time.sleep(0.05)
got = bmc.recv(2.0)
if got is None:
    sys.exit("no response within 2 s")
addr7, data = got
print("response :", bytes([addr7 << 1]).hex(), bytes(data).hex(" "))
rsp = emubus.ipmb_parse_response(bytes([addr7 << 1]) + bytes(data))
d = rsp["data"]
if rsp["cc"] != 0 or len(d) < 11:
    sys.exit("completion code 0x%02x" % rsp["cc"])
support = [n for b, n in enumerate(["sensor", "sdr-repository", "sel", "fru-inventory",
                                    "event-receiver", "event-generator", "bridge", "chassis"])
           if d[5] >> b & 1]
print("Device ID          : 0x%02x" % d[0])
print("Device Revision    : %d%s" % (d[1] & 0x0F, " (provides device SDRs)" if d[1] & 0x80 else ""))
print("Firmware Revision  : %d.%02x" % (d[2] & 0x7F, d[3]))
print("IPMI Version       : %d.%d" % (d[4] & 0x0F, d[4] >> 4))
print("Manufacturer ID    : %d (0x%05x)" % (d[6] | d[7] << 8 | (d[8] & 0x0F) << 16,
                                            d[6] | d[7] << 8 | (d[8] & 0x0F) << 16))
print("Product ID         : %d (0x%04x)" % (d[9] | d[10] << 8, d[9] | d[10] << 8))
print("Device Support     : %s" % (" ".join(support) or "none"))
if len(d) >= 15:
    print("Aux Firmware Rev   : %s" % bytes(d[11:15]).hex(" "))
