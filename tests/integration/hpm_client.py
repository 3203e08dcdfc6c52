"""The raw HPM.1 requester the HPM integration tests share (test-hpm.py, test-hpm-kill.py,
test-hpm-disk-full.py): PICMG requests as ipmitool's lib/ipmi_hpmfwupg.c lays them out, sent
over a Rig's BMC endpoint, and Get Upgrade Status polled until a long-duration command ends.

Deadlines: a reply is awaited for REPLY_TIMEOUT (a hang guard, several hundred round trips of a
loaded machine); a long-duration command (Finish, Activate, Rollback: fsyncs and renames) is
polled for as many requests as POLL_REQUESTS, not for a wall-clock time, so a machine whose
disk is slow because a neighbour fsyncs keeps polling for as long as satmcd keeps answering."""
import os, time

import emubus

HERE = os.path.dirname(os.path.abspath(__file__))
PICMG = 0x2C
CAPS, PROPS, ABORT, INITIATE, UPLOAD, FINISH, STATUS, ACTIVATE, SELFTEST, RBSTATUS, ROLLBACK = \
    range(0x2E, 0x39)
SLOW = bool(os.environ.get("SATMCD_WRAPPER") or os.environ.get("SATMC_UNDER_VALGRIND"))
REPLY_TIMEOUT = 10.0 if SLOW else 3.0
BLOCK = 22              # python-ipmi's block size; fits a 32-byte IPMB request
# Get Upgrade Status requests before a long-duration command counts as hung. Each is one IPMB
# round trip plus POLL_PAUSE; the worker thread's job is disk work, so its length is counted in
# answers received while it runs, which a slow disk stretches only as much as it slows them.
POLL_REQUESTS = 5000
POLL_PAUSE = 0.005


def write_config(tmp, sections):
    """board-test.ini plus sections (text with {t} standing for tmp), as tmp/board.ini."""
    text = open(os.path.join(HERE, "board-test.ini")).read() + "\n" + sections.format(t=tmp)
    path = os.path.join(tmp, "board.ini")
    with open(path, "w") as f:
        f.write(text)
    return path


def send(rig, cmd, data, rq_sa=0x20, endpoint=None):
    """Send one PICMG request without waiting for its answer: its seq, or None if nobody on the
    bus acknowledged the write."""
    seq = rig.next_seq()
    frame = emubus.ipmb_request(0x72, PICMG, cmd, seq, bytes(data), rq_sa=rq_sa)
    if not (endpoint or rig.bmc).write(0x72 >> 1, frame[1:]):
        return None
    return seq


def rq(rig, cmd, data=b"", rq_sa=0x20, endpoint=None):
    """One PICMG request: (completion code, data after it) or (None, None)."""
    ep = endpoint or rig.bmc
    seq = send(rig, cmd, data, rq_sa, ep)
    if seq is None:
        return None, None
    deadline = time.monotonic() + REPLY_TIMEOUT
    while True:
        got = ep.recv(max(0.0, deadline - time.monotonic()))
        if got is None:
            return None, None
        f = bytes([got[0] << 1]) + bytes(got[1])
        if len(f) >= 8 and f[4] >> 2 == seq and f[5] == cmd:
            return f[6], f[7:-1]


def poll(rig, cmd):
    """Poll Get Upgrade Status until cmd is no longer in progress: its completion code, or None
    when POLL_REQUESTS answers all said it still runs (or satmcd stopped answering)."""
    for _ in range(POLL_REQUESTS):
        cc, d = rq(rig, STATUS, [0])
        if cc is None:
            return None
        if cc == 0 and d[1] == cmd and d[2] != 0x80:
            return d[2]
        time.sleep(POLL_PAUSE)
    return None
