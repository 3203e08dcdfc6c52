#!/usr/bin/env python3
"""tests/harness/shelf-manager.py against satmcd on the emulated bus: the client a shelf
manager is, run as a program, and every step it prints checked, with the hot-swap event
sequence byte for byte.

The board (board-shelf.ini) is an ATCA IPM controller when this build knows [picmg]
(satmcd --dump-config-reference says so); its FRU 0 carries a PICMG Board Point-to-Point
Connectivity record with two links, which the client must find and enable. Steps whose
commands this build does not implement (answered 0xC1) are reported as skipped, by name: the
client is the same either way."""
import importlib.util, os, re, signal, subprocess, sys, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from satmc_testlib import (Rig, board_from_template, check, finish, skip,  # noqa: E402
                           wait_for)

SLOW = bool(os.environ.get("SATMCD_WRAPPER"))
HARNESS = os.environ.get("SATMC_HARNESS") or os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "harness")
CLIENT = os.path.join(HARNESS, "shelf-manager.py")
# The Board Point-to-Point Connectivity record's link descriptors (board-shelf.ini): the Base
# Interface channel 1 (port 0, link type 01h), the Fabric Interface channel 1 (ports 0-3, link
# type 02h, extension 1).
LINKS = ("01110000", "412f1000")
PICMG_RECORD = "0x14"


def reference():
    return subprocess.run([os.environ["SATMCD"], "--dump-config-reference"],
                          capture_output=True, text=True).stdout


# The board's power levels and links as a build with [picmg-power.N] and [picmg-link.N]
# configures them; it builds the Board Point-to-Point Connectivity record from the links,
# which must then be the same bytes board-shelf.ini's raw record holds.
POWER = """
[picmg-power.0]
levels = 20 W, 40 W, 60 W

[picmg-link.0]
interface = base
channel = 1
ports = 0
link-type = 0x01

[picmg-link.1]
interface = fabric
channel = 1
ports = 0 1 2 3
link-type = 0x02
extension = 1
"""


def board(text, ref, sock_b=None):
    """board-shelf.ini's text for this build: [picmg] when it has the profile, the power and
    link sections instead of the raw record when it has those, IPMB-B when asked."""
    if "[picmg]" in ref:
        text += "\n[picmg]\nprofile = atca-ipmc\n"
    if "[picmg-power.0]" in ref and "[picmg-link.0]" in ref:
        text = re.sub(r"\nmultirecord = .*\n", "\n", text) + POWER
    if sock_b:
        text = text.replace("bus-socket = /nonexistent/overridden-by-the-test.sock\n",
                            "bus-socket = /nonexistent/overridden-by-the-test.sock\n"
                            "bus-socket-b = %s\n" % sock_b)
    return text


def write_board(prefix, ref, sock_b=None):
    tmp, config = board_from_template("board-shelf.ini", prefix)
    with open(config) as f:
        text = board(f.read(), ref, os.path.join(tmp, "bus-b.sock") if sock_b else None)
    with open(config, "w") as f:
        f.write(text)
    return tmp, config


def load_client():
    spec = importlib.util.spec_from_file_location("shelf_manager", CLIENT)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def hot_swap(current, previous, cause, fru=0, number=None):
    """A FRU Hot Swap sensor event body, as the shelf manager must see it (PICMG 3.0): event
    data 1 Ah | current state, 2 cause << 4 | previous state, 3 the FRU device ID."""
    return bytes([0x04, 0xF0, number, 0x6F, 0xA0 | current, cause << 4 | previous, fru])


def lifecycle(number):
    """A board without a handle switch, brought up and deactivated by the shelf manager: the
    transitions and causes of PICMG 3.0's state diagram (0 normal state change, 1 commanded by
    the shelf manager with Set FRU Activation): inserted M0>M1, latched at start M1>M2,
    activated M2>M3, power granted M3>M4, deactivated in M4 straight to M6, payload off M6>M1."""
    return [hot_swap(1, 0, 0, number=number), hot_swap(2, 1, 0, number=number),
            hot_swap(3, 2, 1, number=number), hot_swap(4, 3, 0, number=number),
            hot_swap(6, 4, 1, number=number), hot_swap(1, 6, 0, number=number)]


def main():
    ref = reference()
    picmg = "[picmg]" in ref
    _, config = write_board("satmc-shelf-", ref)
    # The shelf manager is 0x20, the event receiver; the rig's own endpoint stays out of its way.
    rig = Rig(config, bmc_addr7=0x11)
    try:
        run(rig, picmg)
    finally:
        check(rig.stop() == 0, "satmcd exits 0 on SIGTERM")
    run_redundant(picmg, ref)
    finish()


def run_redundant(picmg, ref):
    """The same board on a redundant IPMB-0, the shelf manager on both buses; IPMB-A breaks
    (every write NAKed) once the board asked to be activated: the activation and everything
    after it goes over IPMB-B, and no event is lost."""
    tmp, config = write_board("satmc-shelf-ab-", ref, sock_b=True)
    sock_b = os.path.join(tmp, "bus-b.sock")
    bus_b = subprocess.Popen([os.environ["SATMC_I2C_BUS"], "--socket", sock_b])
    rig = None
    try:
        wait_for(lambda: os.path.exists(sock_b), "IPMB-B socket")
        rig = Rig(config, bmc_addr7=0x11)
        log = []
        shmc = load_client().ShelfManager(rig.sock, sock_b=sock_b, log=log.append,
                                          timeout=1.0 if SLOW else 0.25)
        try:
            redundant_steps(rig, shmc, log, picmg)
        finally:
            shmc.close()
        print("\n".join(log))
    finally:
        if rig:
            check(rig.stop() == 0, "redundant IPMB-0: satmcd exits 0 on SIGTERM")
        bus_b.send_signal(signal.SIGTERM)
        try:
            bus_b.wait(10)
        except subprocess.TimeoutExpired:
            bus_b.kill()


def redundant_steps(rig, shmc, log, picmg):
    if not picmg:
        rig.bmc.fault("nak")
        recs, links = shmc.records(shmc.read_fru(0))
        check([bytes(l).hex() for l in links] == list(LINKS) and
              any("retrying on IPMB-B" in l for l in log),
              "redundant IPMB-0, IPMB-A NAKing: the client fails over and reads FRU 0 and its "
              "links over IPMB-B")
        check(rig.counters()["ipmb-b-frames-received"] > 0, "satmcd answered on IPMB-B")
        skip("redundant IPMB-0: activation with IPMB-A broken", "this build has no [picmg] profile")
        return
    wait = 40 if SLOW else 15
    shmc.address_info()
    shmc.properties()
    _, links = shmc.records(shmc.read_fru(0))
    shmc.wait_state(0, 2, wait)
    rig.bmc.fault("nak")                # IPMB-A breaks: everything NAKed from now on
    shmc.activate(0)
    shmc.wait_state(0, 3, wait)
    shmc.power(0)
    shmc.wait_state(0, 4, wait)
    shmc.enable_links(links)
    shmc.deactivate(0)
    shmc.wait_state(0, 6, wait)
    shmc.wait_state(0, 1, wait)
    hs = [ev for _, ev in shmc.events if len(ev) >= 2 and ev[1] == 0xF0]
    number = hs[0][2] if hs else 0
    want = lifecycle(number)
    check(hs == want,
          "IPMB-A broken during the activation: every hot-swap event arrived once, in order, "
          "byte for byte: %s" % [e.hex() for e in hs])
    check(any(ev[1] == 0xF1 for _, ev in shmc.events),
          "the IPMB-0 link sensor reported IPMB-A's failure")
    c = rig.counters()
    check(c["ipmb-failovers"] >= 1 and c["ipmb-b-requests-sent"] >= 5,
          "counters: events failed over to IPMB-B (ipmb-failovers %d, ipmb-b-requests-sent %d)" %
          (c["ipmb-failovers"], c["ipmb-b-requests-sent"]))


def run(rig, picmg):
    t0 = time.monotonic()
    proc = subprocess.run([sys.executable, CLIENT, "--socket", rig.sock, "--deactivate"],
                          capture_output=True, text=True, timeout=120 if SLOW else 60)
    took = time.monotonic() - t0
    lines = proc.stdout.splitlines()
    print(proc.stdout + proc.stderr)
    steps = [l.split(":", 1)[0][5:] for l in lines if l.startswith("step ")]
    events = [bytes.fromhex(l[6:]) for l in lines if l.startswith("event ")]
    text = "\n".join(lines)

    # The FRU part needs nothing PICMG: the client reads FRU 0 and finds the record and its
    # links byte for byte, whatever this build's profile.
    shmc = load_client().ShelfManager(rig.sock, own=0x24, log=lambda line: None)
    try:
        recs, links = shmc.records(shmc.read_fru(0))
    finally:
        shmc.close()
    check([r for r, _ in recs] == [0x14] and [bytes(l).hex() for l in links] == list(LINKS),
          "the client reads FRU 0 and finds its Board Point-to-Point Connectivity record and "
          "its links: %s" % [bytes(l).hex() for l in links])

    # What this build answers with or without PICMG: the address info comes first.
    if not picmg:
        check(proc.returncode == 1 and "PICMG command 0x01 answered 0xc1" in proc.stderr,
              "without [picmg] the client stops at Get Address Info, answered 0xC1")
        for what in ("address info", "properties", "M2 event", "activation", "power properties", "power levels", "port states", "deactivation"):
            skip("shelf manager step: " + what, "this build has no [picmg] profile")
        return

    check(proc.returncode == 0, "the shelf manager brought the board up and down (%.1f s)" % took)
    want = ["address-info", "properties", "read-fru", "fru-records", "hot-swap", "activate",
            "hot-swap", "power-properties", "power-levels", "set-power", "hot-swap"] + \
        ["port-state"] * len(LINKS) + ["deactivate", "hot-swap", "hot-swap"]
    check(steps == want, "steps in order: %s" % steps)
    check(re.search(r"step address-info: hardware address 0x[0-9a-f]{2}, IPMB-0 0x72, FRU 0", text)
          is not None, "Get Address Info: IPMB-0 address 0x72, FRU 0")
    check(re.search(r"step properties: PICMG extension 2\.\d, max FRU \d+, controller FRU 0",
                    text) is not None, "Get PICMG Properties: PICMG 3.0 (extension 2.x)")
    check("step power-properties: FRU 0: spans 1 slot, IPMC in slot offset 0" in text,
          "Compute Power Properties before Get Power Level: one slot, the IPMC in it")
    check("PICMG records ['%s'], %d link descriptors" % (PICMG_RECORD, len(LINKS)) in text,
          "the FRU's Board Point-to-Point Connectivity record and its %d links" % len(LINKS))
    for link in LINKS:
        check("(%s), Get Port State: enabled" % link in text,
              "Set Port State enabled link %s, Get Port State reports it enabled" % link)
    # The hot-swap events, byte for byte, in order: the sensor number is the board's.
    hs = [e for e in events if len(e) >= 2 and e[1] == 0xF0]
    number = hs[0][2] if hs else 0
    want_events = lifecycle(number)
    check(hs == want_events, "hot-swap events M0>M1>M2>M3>M4>M6>M1 byte for byte: %s" %
          [e.hex() for e in hs])


if __name__ == "__main__":
    main()
