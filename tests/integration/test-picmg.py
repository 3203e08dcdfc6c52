#!/usr/bin/env python3
"""satmcd as an AdvancedTCA IPM controller ([picmg] profile = atca-ipmc, board-picmg.ini with
@DIR@ replaced by a temporary directory holding the FRU Control program and its log).

The test is the shelf manager at 0x20: it receives the FRU Hot Swap events of FRU 0 and FRU 1
and checks each byte for byte (PICMG 3.0 table 3-23: event data 1 = 0xA0 | new state, 2 = cause
<< 4 | previous state, 3 = FRU device ID), while stock ipmitool 1.8.19 drives the board through
satmc-ipmb-bridge over the emulated IPMB (`picmg properties`, `addrinfo`, `policy get/set`,
`activate`, `deactivate`, `frucontrol`), raw IPMB requests check the completion codes of bad
input, and Kontron's python-ipmi (python3-pyipmi) drives a second satmcd with its own PICMG
calls. The example examples/atca-ipmc.ini must pass --check-config."""
import os, signal, subprocess, sys, time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from satmc_testlib import (Bridge, Rig, answer_request, board_from_template,  # noqa: E402
                           check, emubus, finish, ipmitool, pyipmi_connection, results,
                           sim_state_dir, skip, wait_for)

ROOT = os.environ.get("SATMC_SOURCE_ROOT", os.path.join(HERE, "../.."))
SLOW = bool(os.environ.get("SATMCD_WRAPPER"))
SAT, BMC = 0x72, 0x20
PICMG, SE = 0x2C, 0x04
SENSOR = {0: 0xFE, 1: 0xFD}     # FRU Hot Swap sensors: the highest free numbers, FRU 0 first


def hot_swap(fru, state, prev, cause):
    """A FRU Hot Swap Platform Event Message body as satmcd must send it."""
    return bytes([0x04, 0xF0, SENSOR[fru], 0x6F, 0xA0 | state, cause << 4 | prev, fru])


def parse_request(frame):
    return {"rs_sa": frame[0], "netfn": frame[1] >> 2, "rq_sa": frame[3], "seq": frame[4] >> 2,
            "rq_lun": frame[4] & 3, "cmd": frame[5], "data": bytes(frame[6:-1]),
            "ok": emubus.checksum(frame[:2]) == frame[2] and
            emubus.checksum(frame[3:-1]) == frame[-1]}


def next_request(rig, timeout):
    deadline = time.monotonic() + timeout
    while not rig.requests:
        left = deadline - time.monotonic()
        got = rig.bmc.recv(left) if left > 0 else None
        if got is None:
            return None
        frame = bytes([got[0] << 1]) + bytes(got[1])
        if not (frame[1] >> 2) & 1:
            rig.requests.append(frame)
    return rig.requests.pop(0)


def events(rig, n, timeout=None):
    """The next n distinct event bodies, each acknowledged (a retry repeats seq and bytes)."""
    got, last = [], None
    deadline = time.monotonic() + (timeout or (40 if SLOW else 15))
    while len(got) < n and time.monotonic() < deadline:
        frame = next_request(rig, max(0.0, deadline - time.monotonic()))
        if frame is None:
            break
        q = parse_request(frame)
        if (q["rs_sa"], q["netfn"], q["cmd"], q["ok"]) != (BMC, SE, 0x02, True):
            got.append(b"unexpected " + frame)
            continue
        if frame != last:
            got.append(q["data"])
        last = frame
        answer_request(rig.bmc, frame)
    return got


def no_more_events(rig, wait=0.8):
    frame = next_request(rig, wait)
    return frame is None


def state_of(rig, fru):
    """The FRU Hot Swap sensor's state (Get Sensor Reading): n for Mn, or None."""
    rsp = rig.transact(SE, 0x2D, bytes([SENSOR[fru]]), timeout=3)
    if not rsp or rsp[6] != 0:
        return None
    bits = rsp[9]
    return bits.bit_length() - 1 if bits and bits & (bits - 1) == 0 else None


def cc_of(rig, cmd, data):
    rsp = rig.transact(PICMG, cmd, bytes(data), timeout=3)
    return rsp[6] if rsp else None


def run_ipmitool(rig, br, tmp):
    # At start: M0 -> M1 -> M2 for both FRUs (no handle switch: latched in), in that order.
    got = events(rig, 4)
    check(got == [hot_swap(0, 1, 0, 0), hot_swap(0, 2, 1, 0), hot_swap(1, 1, 0, 0),
                  hot_swap(1, 2, 1, 0)],
          "start: FRU 0 and FRU 1 each M0->M1, M1->M2 (cause normal), exact bytes (%s)" %
          [g.hex(" ") for g in got])
    check(state_of(rig, 0) == 2 and state_of(rig, 1) == 2,
          "Get Sensor Reading of the FRU Hot Swap sensors 0xFE, 0xFD: M2")

    r = ipmitool(br.sock, "picmg", "properties")
    check(r.returncode == 0 and "PICMG identifier\t: 0x00" in r.stdout and
          "PICMG Ext. Version : 2.3" in r.stdout and "Max FRU Device ID\t: 0x01" in r.stdout
          and "FRU Device ID\t\t: 0x00" in r.stdout,
          "ipmitool picmg properties: identifier 0, extension 2.3, max FRU 1, FRU 0 (%r)"
          % r.stdout)
    r = ipmitool(br.sock, "picmg", "addrinfo")
    check(r.returncode == 0 and "Hardware Address : 0x39" in r.stdout and
          "IPMB-0 Address   : 0x72" in r.stdout and "Site ID          : 0x05" in r.stdout and
          "Site Type        : ATCA board" in r.stdout,
          "ipmitool picmg addrinfo: HA 0x39, IPMB-0 0x72, site 5, ATCA board (%r)" % r.stdout)
    r = ipmitool(br.sock, "picmg", "policy", "get", "0")
    check(r.returncode == 0 and "activation not locked" in r.stdout and
          "deactivation not locked" in r.stdout, "ipmitool picmg policy get 0: nothing locked")

    r = ipmitool(br.sock, "picmg", "activate", "0")
    check(r.returncode == 0 and "Error" not in r.stderr, "ipmitool picmg activate 0 succeeds")
    got = events(rig, 1)
    check(got == [hot_swap(0, 3, 2, 1)],
          "activate: M2->M3, cause 1 (Set FRU Activation), exact bytes (%s)" %
          [g.hex(" ") for g in got])
    check(state_of(rig, 0) == 3, "FRU 0 waits in M3 for the shelf manager's power")

    r = ipmitool(br.sock, "picmg", "deactivate", "0")
    check(r.returncode == 0, "ipmitool picmg deactivate 0 succeeds")
    got = events(rig, 2)
    check(got == [hot_swap(0, 6, 3, 1), hot_swap(0, 1, 6, 0)],
          "deactivate: M3->M6 (cause 1), M6->M1 (payload off, cause normal) (%s)" %
          [g.hex(" ") for g in got])
    r = ipmitool(br.sock, "picmg", "policy", "get", "0")
    check("activation locked" in r.stdout and "deactivation not locked" in r.stdout,
          "back in M1 the Locked bit keeps FRU 0 from asking again (%r)" % r.stdout)
    check(no_more_events(rig), "no M1->M2 while locked")

    # Set FRU Activation in M1 is refused (0xD5), and changes nothing.
    check(cc_of(rig, 0x0C, [0, 0, 1]) == 0xD5 and state_of(rig, 0) == 1,
          "Set FRU Activation (activate) in M1: 0xD5, still M1")

    r = ipmitool(br.sock, "picmg", "policy", "set", "0", "1", "0")
    check(r.returncode == 0, "ipmitool picmg policy set 0 1 0 (clear Locked) succeeds")
    got = events(rig, 1)
    check(got == [hot_swap(0, 2, 1, 1)], "clearing Locked: M1->M2, cause 1 (%s)" %
          [g.hex(" ") for g in got])
    r = ipmitool(br.sock, "picmg", "policy", "set", "0", "2", "2")
    r2 = ipmitool(br.sock, "picmg", "policy", "get", "0")
    check(r.returncode == 0 and "deactivation locked" in r2.stdout and
          "activation not locked" in r2.stdout and no_more_events(rig, 0.3),
          "policy set 0 2 2: Deactivation-Locked set, Locked untouched, no transition")

    # FRU Control: a configured program runs with the FRU and option in its environment.
    log = os.path.join(tmp, "actions.log")
    r = ipmitool(br.sock, "picmg", "frucontrol", "0", "0")
    check(r.returncode == 0 and "frucontrol: ok" in r.stdout, "ipmitool picmg frucontrol 0 0 "
          "(cold reset) succeeds (%r)" % (r.stdout + r.stderr))
    wait_for(lambda: os.path.exists(log) and open(log).read().endswith("\n"),
             "the cold reset program's log", timeout=20)
    with open(log) as f:
        check(f.read() == "cold 0 cold-reset\n",
              "cold-reset-action ran: fixed argument 'cold', SATMC_FRU=0, "
              "SATMC_FRU_CONTROL=cold-reset")
    r = ipmitool(br.sock, "picmg", "frucontrol", "0", "1")
    check("0xcc" in r.stdout + r.stderr, "frucontrol 0 1 (warm reset, not configured): 0xCC")
    check(cc_of(rig, 0x04, [0, 1, 0]) == 0xCC, "FRU Control of FRU 1 (no action): 0xCC")
    rsp = rig.transact(PICMG, 0x1E, bytes([0, 0]))
    check(rsp and rsp[6:9] == bytes([0x00, 0x00, 0x04]),
          "FRU Control Capabilities of FRU 0: graceful reboot only (0x04)")
    rsp = rig.transact(PICMG, 0x0D, bytes([0, 0]))
    check(rsp and rsp[6] == 0 and rsp[7:10] == bytes([0x00, 0x01, 0x00]),
          "Get Device Locator Record ID of FRU 0: the MC Device Locator, record 1")


def run_refusals(rig):
    check(cc_of(rig, 0x00, [1]) == 0xCC, "Get PICMG Properties with identifier 0x01: 0xCC")
    check(cc_of(rig, 0x00, []) == 0xC7, "Get PICMG Properties without data: 0xC7")
    check(cc_of(rig, 0x00, [0, 0]) == 0xC7, "Get PICMG Properties with 2 bytes: 0xC7")
    check(cc_of(rig, 0x0C, [0, 5, 1]) == 0xCC, "Set FRU Activation of unmanaged FRU 5: 0xCC")
    check(cc_of(rig, 0x0C, [0, 0, 2]) == 0xCC, "Set FRU Activation with command 2: 0xCC")
    check(cc_of(rig, 0x0A, [0, 0, 4, 0]) == 0xCC, "Set FRU Activation Policy, reserved mask "
          "bit: 0xCC")
    check(cc_of(rig, 0x0B, [0, 7]) == 0xCC, "Get FRU Activation Policy of FRU 7: 0xCC")
    check(cc_of(rig, 0x04, [0, 0, 5]) == 0xCC, "FRU Control option 5: 0xCC")
    check(cc_of(rig, 0x01, [0, 0, 1, 0x74]) == 0xCB, "Get Address Info of IPMB-0 0x74 (not "
          "us): 0xCB")
    rsp = rig.transact(PICMG, 0x01, bytes([0, 0, 3, 5, 0]))
    check(rsp and rsp[6] == 0 and rsp[7:14] == bytes([0, 0x39, 0x72, 0xFF, 0, 5, 0]),
          "Get Address Info by physical address (site 5, ATCA board): our answer")
    check(cc_of(rig, 0x01, [0, 0, 3, 5]) == 0xC7, "Get Address Info, physical key without "
          "site type: 0xC7")
    check(no_more_events(rig, 0.3), "refused requests change no state")


def run_sensor_events(rig, br):
    """The FRU Hot Swap sensor answers the sensor event commands as every satmcd sensor does:
    events off really stops its Platform Event Messages, Re-arm sends the present state
    again, scanning off marks it unavailable. FRU 0 is in M2 here."""
    fe = SENSOR[0]
    rsp = rig.transact(SE, 0x29, bytes([fe]))
    check(rsp and rsp[6:12] == bytes([0, 0xC0, 0xFF, 0x00, 0, 0]),
          "Get Sensor Event Enable 0xFE: events and scanning on, M0..M7 (%s)" %
          (rsp[6:-1].hex(" ") if rsp else None))
    rsp = rig.transact(SE, 0x28, bytes([fe, 0x40]))
    check(rsp and rsp[6] == 0, "Set Sensor Event Enable 0xFE: event messages off")
    rsp = rig.transact(SE, 0x29, bytes([fe]))
    check(rsp and rsp[6:8] == bytes([0, 0x40]), "Get Sensor Event Enable: events off")
    check(cc_of(rig, 0x0C, [0, 0, 1]) == 0 and state_of(rig, 0) == 3,
          "activate with the sensor's events off: M3")
    check(no_more_events(rig), "no FRU Hot Swap event while its events are off")
    rsp = rig.transact(SE, 0x2B, bytes([fe]))
    check(rsp and rsp[6:12] == bytes([0, 0x40, 0x08, 0x00, 0, 0]),
          "Get Sensor Event Status 0xFE: M3 asserted (%s)" %
          (rsp[6:-1].hex(" ") if rsp else None))
    rsp = rig.transact(SE, 0x28, bytes([fe, 0xC0]))
    check(rsp and rsp[6] == 0, "Set Sensor Event Enable 0xFE: event messages on again")
    rsp = rig.transact(SE, 0x2A, bytes([fe, 0x80, 0x01, 0x00]))
    check(rsp and rsp[6] == 0 and no_more_events(rig, 0.5),
          "Re-arm Sensor Events for M0 only (not asserted): accepted, no event")
    rsp = rig.transact(SE, 0x2A, bytes([fe, 0x00]))
    got = events(rig, 1)
    check(rsp and rsp[6] == 0 and got == [hot_swap(0, 3, 2, 1)],
          "Re-arm Sensor Events 0xFE: the M2->M3 event again, exact bytes (%s)" %
          [g.hex(" ") for g in got])
    rsp = rig.transact(SE, 0x28, bytes([fe, 0x80]))
    rd = rig.transact(SE, 0x2D, bytes([fe]))
    check(rsp and rsp[6] == 0 and rd and rd[6:11] == bytes([0, 0, 0xA0, 0, 0x80]),
          "scanning off: Get Sensor Reading says unavailable, no state (%s)" %
          (rd[6:-1].hex(" ") if rd else None))
    check(cc_of(rig, 0x0C, [0, 0, 0]) == 0 and no_more_events(rig),
          "deactivate while not scanned: no events")
    rsp = rig.transact(SE, 0x28, bytes([fe, 0xC0]))
    check(rsp and rsp[6] == 0 and state_of(rig, 0) == 1, "scanning on again: FRU 0 in M1")
    check(rig.transact(SE, 0x28, bytes([fe, 0xF0]))[6] == 0xCC,
          "Set Sensor Event Enable with the reserved action 11b: 0xCC")
    check(rig.transact(SE, 0x29, bytes([0x80]))[6] == 0xCB,
          "Get Sensor Event Enable of a sensor that does not exist: 0xCB")

    r = ipmitool(br.sock, "sdr", "elist")
    check(r.returncode == 0 and "FRU0 Hot Swap" in r.stdout and "FRU1 Hot Swap" in r.stdout,
          "ipmitool sdr elist lists both FRU Hot Swap sensors (%r)" % r.stdout)
    r = ipmitool(br.sock, "sensor", "get", "FRU0 Hot Swap")
    check(r.returncode == 0 and "FRU Hot Swap" in r.stdout and "[Transition to M1]" in r.stdout,
          "ipmitool sensor get 'FRU0 Hot Swap': Transition to M1 asserted (%r)" % r.stdout)


def run_communication_lost(rig):
    """M7 from a real cause: the shelf manager (event receiver) stops answering. A whole round
    of tries unanswered puts every managed FRU in M7 (cause 5, communication lost, locally
    detected); its first answer brings them back. FRU 0 is in M1 (Locked) here, FRU 1 in M2."""
    check(cc_of(rig, 0x0A, [0, 0, 1, 0]) == 0, "policy: clear Locked of FRU 0 (an event)")
    tries = []
    deadline = time.monotonic() + (60 if SLOW else 20)
    # Not answered: the first round's six tries (same bytes), then the next round's first.
    while len(tries) < 7 and time.monotonic() < deadline:
        frame = next_request(rig, max(0.0, deadline - time.monotonic()))
        if frame is None:
            break
        tries.append(frame)
    rounds = [parse_request(f)["data"] for f in tries]
    check(len(tries) == 7 and all(d == hot_swap(0, 2, 1, 1) for d in rounds) and
          len(set(tries[:6])) == 1,
          "unanswered: six tries of FRU 0's M1->M2 event, then a new round (%d frames)" %
          len(tries))
    check(state_of(rig, 0) == 7 and state_of(rig, 1) == 7,
          "the round given up: FRU 0 and FRU 1 read M7 (communication lost)")
    check(cc_of(rig, 0x0C, [0, 0, 1]) == 0xD5, "Set FRU Activation in M7: 0xD5")
    if tries:
        answer_request(rig.bmc, tries[-1])
    got = events(rig, 4)
    want = [hot_swap(0, 7, 2, 5), hot_swap(1, 7, 2, 5), hot_swap(0, 2, 7, 5),
            hot_swap(1, 2, 7, 5)]
    check(got == want, "answered again: M2->M7 then M7->M2 for FRU 0 and FRU 1, cause 5, "
          "in order, exact bytes (%s)" % [g.hex(" ") for g in got])
    check(state_of(rig, 0) == 2 and state_of(rig, 1) == 2, "both FRUs back in M2")


def run_set_event_receiver(rig):
    """Set Event Receiver re-arms every sensor (IPMI v2.0 29.1), the FRU Hot Swap sensors too: a
    shelf manager that restarted learns each FRU's state, as its last transition (both FRUs
    came back from M7 to M2, cause 5), without asking. FRU 0 and FRU 1 are in M2 here."""
    rsp = rig.transact(SE, 0x00, bytes([BMC, 0]))
    got = events(rig, 2)
    check(rsp and rsp[6] == 0 and got == [hot_swap(0, 2, 7, 5), hot_swap(1, 2, 7, 5)],
          "Set Event Receiver: each FRU's present state again, its last transition, exact "
          "bytes (%s)" % [g.hex(" ") for g in got])
    check(no_more_events(rig), "and nothing else")


def run_pyipmi(config, tmp):
    """python-ipmi's PICMG calls, its Aardvark interface on the emulated bus as the BMC."""
    # No events in this part: the adapter is the BMC and python-ipmi does not take requests.
    with open(config) as f:
        text = f.read().replace("event-receiver = 0x20", "event-receiver = none")
    quiet = os.path.join(tmp, "quiet.ini")
    with open(quiet, "w") as f:
        f.write(text)
    rig = Rig(quiet, bmc_addr7=0x11)
    try:
        conn = pyipmi_connection(rig, SAT, BMC)
        if not conn:
            return
        pyipmi, ipmi = conn
        import pyipmi.picmg

        p = ipmi.get_picmg_properties()
        check((p.extension_version, p.max_fru_device_id, p.fru_device_id) == (0x32, 1, 0),
              "python-ipmi get_picmg_properties: extension 0x32, max FRU 1, FRU 0")

        def state():
            # python-ipmi's Get Sensor Reading of FRU 0's hot-swap sensor: bit n = Mn.
            return ipmi.get_sensor_reading(SENSOR[0])[1] & 0x7FFF

        check(state() == 1 << 2, "python-ipmi get_sensor_reading(0xFE): FRU 0 in M2")
        ipmi.rearm_sensor_events(SENSOR[0])      # a completion code other than 0 raises
        check(state() == 1 << 2, "python-ipmi rearm_sensor_events(0xFE): accepted, still M2")
        ipmi.set_fru_activation(0)
        check(state() == 1 << 3, "python-ipmi set_fru_activation(0): FRU 0 in M3")
        ipmi.set_fru_deactivation(0)
        check(state() == 1 << 1, "python-ipmi set_fru_deactivation(0): back in M1")
        ipmi.set_fru_activation_policy(0, ipmi.ACTIVATION_LOCK_CLEAR)
        check(state() == 1 << 2, "python-ipmi set_fru_activation_policy(0, lock clear): M2")
        ipmi.fru_control(0, pyipmi.picmg.FRU_CONTROL_GRACEFUL_REBOOT)
        log = os.path.join(tmp, "actions.log")
        wait_for(lambda: os.path.exists(log) and "graceful-reboot\n" in open(log).read(),
                 "the graceful reboot program's log", timeout=20)
        check("graceful 0 graceful-reboot\n" in open(log).read(),
              "python-ipmi fru_control(0, graceful reboot) ran graceful-reboot-action")
        try:
            ipmi.fru_control(0, pyipmi.picmg.FRU_CONTROL_WARM_RESET)
            refused = None
        except pyipmi.errors.CompletionCodeError as e:
            refused = e.cc
        check(refused == 0xCC, "python-ipmi fru_control(0, warm reset): CompletionCodeError "
              "0xCC (%s)" % refused)
    finally:
        rc = rig.stop()
        check(rc == 0, "second satmcd exits 0 on SIGTERM (%s)" % rc)


def run_ipmi_sim(config, tmp):
    """OpenIPMI's ipmi_sim in ATCA mode (lanserv/bmc_picmg.c) at 0x74 beside satmcd at 0x72, on
    one bus through tools/ipmb-dev-shim.c: the same PICMG requests to both, both answers
    printed, satmcd's checked against the spec and ipmi_sim's recorded (docs/picmg.md)."""
    import shutil
    shim = os.environ.get("SATMC_IPMB_DEV_SHIM", "")
    if shutil.which("ipmi_sim") is None or not os.path.exists(shim):
        skip("PICMG side by side with ipmi_sim", "ipmi_sim or the ipmb-dev shim not there")
        return
    with open(config) as f:
        text = f.read().replace("event-receiver = 0x20", "event-receiver = none")
    quiet = os.path.join(tmp, "quiet-sim.ini")
    with open(quiet, "w") as f:
        f.write(text)
    emu = os.path.join(tmp, "sim.emu")
    with open(os.path.join(HERE, "ipmi-sim", "sim.emu")) as f:
        # ATCA mode, and the site of hardware address 0x3A (IPMB 0x74): ATCA board, slot 6.
        body = "atca_enable\natca_set_site 0x3a 0x00 6\n" + f.read()
    with open(emu, "w") as f:
        f.write(body)
    rig = Rig(quiet, bmc_addr7=0x11)          # the tester at 0x22
    state = sim_state_dir(rig.dir)
    sim = subprocess.Popen(["ipmi_sim", "-c", os.path.join(HERE, "ipmi-sim", "lan.conf"),
                            "-f", emu, "-s", state, "-n"],
                           env=dict(os.environ, LD_PRELOAD=shim, SATMC_IPMB_DEV_BUS=rig.sock,
                                    SATMC_IPMB_DEV_ADDR="0x3a"),
                           cwd=state, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           stdin=subprocess.DEVNULL)
    seq = [0]

    def ask(sa, cmd, data):
        seq[0] = (seq[0] + 1) & 0x3F
        frame = emubus.ipmb_request(sa, PICMG, cmd, seq[0], bytes(data), rq_sa=0x22)
        rsp = rig.send_raw(sa >> 1, frame[1:], timeout=3)
        return (rsp[6], bytes(rsp[7:-1])) if rsp else None

    try:
        wait_for(lambda: ask(0x74, 0x00, [0]) is not None, "ipmi_sim answering", timeout=20)
        cases = [
            ("Get PICMG Properties", 0x00, [0]),
            ("... identifier 0x01", 0x00, [1]),
            ("Get Address Info", 0x01, [0]),
            ("... FRU 1", 0x01, [0, 1]),
            ("... key type without key", 0x01, [0, 0, 1]),
            ("Set FRU Activation (activate)", 0x0C, [0, 0, 1]),
            ("... FRU 5", 0x0C, [0, 5, 1]),
            ("Get FRU Activation Policy", 0x0B, [0, 0]),
            ("Get Device Locator Record ID", 0x0D, [0, 0]),
            ("FRU Control cold reset", 0x04, [0, 0, 0]),
            ("FRU Control option 5", 0x04, [0, 0, 5]),
            ("FRU Control Capabilities", 0x1E, [0, 0]),
        ]
        out = {}
        print("PICMG side by side, same bytes to satmcd (0x72) and ipmi_sim (0x74):")
        for name, cmd, data in cases:
            a, b = ask(0x72, cmd, data), ask(0x74, cmd, data)
            out[name] = (a, b)
            fmt = lambda r: "no answer" if r is None else "cc 0x%02x %s" % (r[0], r[1].hex(" ") or "-")  # noqa
            print("  %-32s satmcd: %-28s ipmi_sim: %s" % (name, fmt(a), fmt(b)))
        sat = {k: v[0] for k, v in out.items()}
        sim_ = {k: v[1] for k, v in out.items()}
        check(sat["Get PICMG Properties"] == (0, bytes([0, 0x32, 1, 0])) and
              sim_["Get PICMG Properties"] == (0, bytes([0, 0x22, 0, 0])),
              "Get PICMG Properties: satmcd 2.3 with FRUs 0..1, ipmi_sim 2.2 with FRU 0 (recorded)")
        check(sat["... identifier 0x01"][0] == 0xCC and sim_["... identifier 0x01"][0] == 0xC1,
              "identifier 0x01: satmcd 0xCC (invalid data field), ipmi_sim 0xC1 (recorded)")
        check(sat["Get Address Info"][1][1:4] == bytes([0x39, 0x72, 0xFF]) and
              sim_["Get Address Info"] == (0, bytes([0, 0x3A, 0x74, 0xFF, 0, 6, 0])),
              "Get Address Info: the same layout from both (HA, IPMB-0, 0xFF, FRU, site, type)")
        check(sat["... FRU 1"][0] == 0 and sim_["... FRU 1"][0] == 0xD3,
              "Get Address Info of FRU 1: satmcd manages it, ipmi_sim 0xD3 (recorded)")
        check(sat["... key type without key"][0] == 0xC7 and
              sim_["... key type without key"][0] == 0xCC,
              "key type without its key: satmcd 0xC7 (length), ipmi_sim 0xCC (recorded)")
        check(sat["Set FRU Activation (activate)"][0] == 0 and
              sim_["Set FRU Activation (activate)"][0] == 0xC1,
              "Set FRU Activation: satmcd M2->M3, ipmi_sim 0xC1 without a hot-swap sensor")
        check(sat["... FRU 5"][0] == 0xCC and sim_["... FRU 5"][0] == 0xD3,
              "unknown FRU: satmcd 0xCC, ipmi_sim 0xD3 (recorded)")
        check(sat["Get FRU Activation Policy"] == (0, bytes([0, 0])) and
              sim_["Get FRU Activation Policy"][0] == 0xC1 and
              sim_["Get Device Locator Record ID"][0] == 0xC1,
              "Get FRU Activation Policy, Get Device Locator Record ID: ipmi_sim 0xC1 (recorded)")
        check(sat["FRU Control cold reset"][0] == 0 and sim_["FRU Control cold reset"][0] == 0 and
              sat["FRU Control option 5"][0] == 0xCC and sim_["FRU Control option 5"][0] == 0xCC,
              "FRU Control: both accept a cold reset and refuse option 5 with 0xCC")
        check(sat["FRU Control Capabilities"] == (0, bytes([0, 0x04])) and
              sim_["FRU Control Capabilities"] == (0, bytes([0, 0x0E])),
              "FRU Control Capabilities: satmcd what is configured (0x04), ipmi_sim claims all "
              "three (0x0E) but carries out none (recorded)")
    finally:
        sim.send_signal(signal.SIGTERM)
        try:
            sim.wait(10)
        except subprocess.TimeoutExpired:
            sim.kill()
        rc = rig.stop()
        check(rc == 0, "third satmcd exits 0 on SIGTERM (%s)" % rc)


def main():
    example = os.path.join(ROOT, "examples", "atca-ipmc.ini")
    r = subprocess.run([os.environ["SATMCD"], "--check-config", "--config", example],
                       capture_output=True, text=True)
    check(r.returncode == 0, "examples/atca-ipmc.ini passes --check-config (%s)" %
          (r.stdout + r.stderr).strip())

    tmp, config = board_from_template("board-picmg.ini", "satmc-picmg-")
    with open(os.path.join(tmp, "temp1_input"), "w") as f:
        f.write("25000\n")
    action = os.path.join(tmp, "action.sh")
    with open(action, "w") as f:
        f.write('#!/bin/sh\necho "$1 $SATMC_FRU $SATMC_FRU_CONTROL" >> %s/actions.log\n' % tmp)
    os.chmod(action, 0o755)

    rig = Rig(config)
    br = None
    try:
        br = Bridge(rig)
        run_ipmitool(rig, br, tmp)
        run_refusals(rig)
        run_sensor_events(rig, br)
        run_communication_lost(rig)
        run_set_event_receiver(rig)
    finally:
        if br:
            check(br.stop() == 0, "the bridge exits 0 on SIGTERM")
        rc = rig.stop()
        check(rc == 0, "satmcd exits 0 on SIGTERM (%s)" % rc)
        if results["failed"]:
            print("satmcd's log:\n" + rig.read_stderr())
    if os.path.exists(os.path.join(tmp, "actions.log")):
        os.unlink(os.path.join(tmp, "actions.log"))
    run_pyipmi(config, tmp)
    run_ipmi_sim(config, tmp)
    finish()


if __name__ == "__main__":
    main()
