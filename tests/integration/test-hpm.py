#!/usr/bin/env python3
"""PICMG HPM.1 on the real satmcd over the emulated IPMB, with raw requests (byte layouts as
ipmitool's lib/ipmi_hpmfwupg.c sends them): capabilities and properties, an upload for upgrade
of a renamed file component, of an A/B slot component and of one installed by a command
(which also fails once), the 0x80 + Get Upgrade Status
polling of Finish and Activate, upload for compare (equal and different), manual rollback and
Query Rollback Status, self-test, and the refusals: wrong PICMG Identifier, a block out of
sequence, a wrong size at Finish, an unknown component, a requester not in [hpm] requesters,
and a restart dropping a half upload without touching the component.
"""
import os, random, sys, tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from satmc_testlib import Rig, check, finish  # noqa: E402
from hpm_client import (ABORT, ACTIVATE, BLOCK, CAPS, FINISH, INITIATE, PROPS,  # noqa: E402
                        RBSTATUS, ROLLBACK, SELFTEST, UPLOAD, poll, rq, write_config)
import emubus  # noqa: E402

SECTIONS = """
[hpm]
requesters = 0x20

[hpm.component.0]
name = bootloader
version = 1.02 0000abcd
path = {t}/boot.bin

[hpm.component.1]
name = rootfs
activate = slot
version = 0.01
version-file = {t}/rootfs.version
slot-a = {t}/slot-a
slot-b = {t}/slot-b
path = {t}/slot.marker

[hpm.component.2]
name = fpga
version = 3.00
activate = command
command = {t}/install.sh
path = {t}/fpga.bit
rollback = no
"""


def upload(rig, component, payload, action=2):
    """Initiate + blocks + Finish + poll: the final completion code (or the first refusal)."""
    cc, _ = rq(rig, INITIATE, [0, 1 << component, action])
    if cc != 0:
        return ("initiate", cc)
    for n, off in enumerate(range(0, len(payload), BLOCK)):
        cc, _ = rq(rig, UPLOAD, bytes([0, n & 0xFF]) + payload[off:off + BLOCK])
        if cc != 0:
            return ("upload", cc)
    cc, _ = rq(rig, FINISH, bytes([0, component]) + len(payload).to_bytes(4, "little"))
    if cc != 0x80:
        return ("finish", cc)
    return ("status", poll(rig, FINISH))


def activate(rig):
    cc, _ = rq(rig, ACTIVATE, [0])
    if cc != 0x80:
        return ("activate", cc)
    return ("status", poll(rig, ACTIVATE))


def main():
    tmp = tempfile.mkdtemp(prefix="satmc-hpm-")
    rnd = random.Random(17)
    old_boot = bytes(rnd.randrange(256) for _ in range(1000))
    open(os.path.join(tmp, "boot.bin"), "wb").write(old_boot)
    old_root = bytes(rnd.randrange(256) for _ in range(3000))
    open(os.path.join(tmp, "slot-a"), "wb").write(old_root)
    open(os.path.join(tmp, "slot-b"), "wb").write(b"")
    open(os.path.join(tmp, "slot.marker"), "w").write("a\n")
    open(os.path.join(tmp, "rootfs.version"), "w").write("2.10 01020304\n")
    rig = Rig(write_config(tmp, SECTIONS))
    try:
        cc, d = rq(rig, CAPS, [0])
        check(cc == 0 and len(d) == 8 and d[0] == 0 and d[7] == 0x07,
              "Get Target Upgrade Capabilities: components 0, 1 and 2 (%s %s)" % (cc, d and d.hex()))
        check(cc == 0 and d[2] & 0x04 and d[3] == 12,
              "... manual rollback, upgrade timeout 60 s in units of 5 s")
        cc, d = rq(rig, PROPS, [0, 0, 1])
        check(cc == 0 and d == bytes([0, 1, 0x02, 0, 0, 0xab, 0xcd]),
              "current version of component 0: 1.02 aux 0000abcd (%s)" % (d and d.hex()))
        cc, d = rq(rig, PROPS, [0, 1, 1])
        check(cc == 0 and d == bytes([0, 2, 0x10, 1, 2, 3, 4]),
              "current version of component 1 from its version-file: 2.10 (%s)" % (d and d.hex()))
        cc, d = rq(rig, PROPS, [0, 0, 2])
        check(cc == 0 and d == b"\0bootloader\0\0", "description: 12 bytes, NUL padded")
        cc, d = rq(rig, PROPS, [0, 0, 0])
        check(cc == 0 and d == bytes([0, 0x0E]),
              "general properties: manual rollback, preparation, comparison (%s)" % (d and d.hex()))
        check(rq(rig, PROPS, [0, 2, 0]) == (0, bytes([0, 0x04])),
              "general properties of the command component: preparation only")
        check(rq(rig, PROPS, [0, 5, 0])[0] == 0x82, "an unknown component: 0x82")
        check(rq(rig, PROPS, [0, 0, 9])[0] == 0x83, "an unknown selector: 0x83")
        check(rq(rig, CAPS, [1])[0] == 0xCC, "a PICMG Identifier other than 0: 0xCC")
        check(rq(rig, CAPS, [0, 0])[0] == 0xC7, "a request too long: 0xC7")
        check(rq(rig, UPLOAD, [0, 0, 1])[0] == 0xD5, "a block before Initiate: 0xD5")
        check(rq(rig, INITIATE, [0, 0x08, 2])[0] == 0x81, "initiate for an absent component: 0x81")
        check(rq(rig, INITIATE, [0, 0x03, 2])[0] == 0x81, "upload for two components: 0x81")

        # Refusals in the middle of an upload leave it going.
        new_boot = bytes(rnd.randrange(256) for _ in range(1500))
        check(rq(rig, INITIATE, [0, 1, 2])[0] == 0, "initiate upload for upgrade, component 0")
        check(rq(rig, UPLOAD, bytes([0, 1]) + new_boot[:BLOCK])[0] == 0xCC,
              "a first block numbered 1: 0xCC")
        check(rq(rig, UPLOAD, bytes([0, 0]) + new_boot[:BLOCK])[0] == 0, "block 0")
        check(rq(rig, UPLOAD, bytes([0, 0]) + new_boot[:BLOCK])[0] == 0,
              "block 0 again (its answer lost): accepted at the same offset")
        check(rq(rig, FINISH, bytes([0, 0]) + (BLOCK + 1).to_bytes(4, "little"))[0] == 0x81,
              "Finish with a size that is not what was uploaded: 0x81")
        check(rq(rig, ABORT, [0])[0] == 0, "Abort Firmware Upgrade")
        check(open(os.path.join(tmp, "boot.bin"), "rb").read() == old_boot,
              "the component is untouched by the aborted upload")

        # A whole upgrade of the renamed component.
        check(upload(rig, 0, new_boot) == ("status", 0),
              "upload for upgrade: Finish answered 0x80, then status 0x00")
        check(open(os.path.join(tmp, "boot.bin"), "rb").read() == old_boot,
              "nothing runs the upload before Activate (deferred activation)")
        check(activate(rig) == ("status", 0), "Activate Firmware: 0x80, then status 0x00")
        check(open(os.path.join(tmp, "boot.bin"), "rb").read() == new_boot,
              "the component is the upload after activation")
        check(activate(rig) == ("activate", 0xD5),
              "a second Activate has nothing left to activate: 0xD5")
        check(open(os.path.join(tmp, ".boot.bin.hpm-rollback"), "rb").read() == old_boot,
              "the previous version is kept beside it")
        cc, d = rq(rig, SELFTEST, [0])
        check(cc == 0 and d == bytes([0, 0x55, 0]), "self-test after activation: 55 00")
        cc, d = rq(rig, RBSTATUS, [0])
        check(cc == 0 and d == bytes([0, 0]), "Query Rollback Status: nothing rolled back")
        cc, d = rq(rig, PROPS, [0, 0, 3])
        check(cc == 0 and d == bytes([0, 1, 0x02, 0, 0, 0xab, 0xcd]),
              "rollback version: the one that ran before (%s)" % (d and d.hex()))

        check(upload(rig, 0, new_boot, action=3) == ("status", 0),
              "upload for compare of the running content: equal")
        check(upload(rig, 0, old_boot, action=3) == ("status", 0x83),
              "upload for compare of other content: 0x83")
        check(activate(rig) == ("activate", 0xD5), "nothing to activate after compare: 0xD5")

        cc, _ = rq(rig, ROLLBACK, [0])
        check(cc == 0x80 and poll(rig, ROLLBACK) == 0, "Initiate Manual Rollback")
        check(open(os.path.join(tmp, "boot.bin"), "rb").read() == old_boot,
              "the previous version runs again")
        cc, d = rq(rig, RBSTATUS, [0])
        check(cc == 0 and d == bytes([0, 0x01]), "Query Rollback Status: component 0 rolled back")
        check(rq(rig, ROLLBACK, [0])[0] == 0x83, "a second rollback has nothing to go back to: 0x83")

        # The A/B slot component.
        new_root = bytes(rnd.randrange(256) for _ in range(2500))
        check(upload(rig, 1, new_root) == ("status", 0), "upload to the idle slot")
        check(open(os.path.join(tmp, "slot-b"), "rb").read() == new_root and
              open(os.path.join(tmp, "slot.marker")).read() == "a\n",
              "slot b holds the upload; the marker still says a")
        check(activate(rig) == ("status", 0), "activate the slot component")
        check(open(os.path.join(tmp, "slot.marker")).read() == "b\n" and
              open(os.path.join(tmp, "slot-a"), "rb").read() == old_root,
              "the marker says b; slot a keeps the previous version")
        cc, _ = rq(rig, ROLLBACK, [0])
        check(cc == 0x80 and poll(rig, ROLLBACK) == 0 and
              open(os.path.join(tmp, "slot.marker")).read() == "a\n",
              "manual rollback switches the marker back to a")

        # The command component: the installer gets the staged upload and path, and starts as
        # every program satmcd runs does: no signal blocked (satmcd blocks those sd-event
        # handles) and a process group of its own (a timeout kills the installer whole).
        install = os.path.join(tmp, "install.sh")
        started = os.path.join(tmp, "install.started")
        # Python, not sh: dash clears its signal mask when it starts, hiding the one inherited.
        open(install, "w").write(
            "#!%s\nimport os, shutil, sys\nshutil.copyfile(sys.argv[1], sys.argv[2])\n"
            "blk = [l.split()[1] for l in open('/proc/self/status') if l.startswith('SigBlk:')]\n"
            "open(%r, 'w').write('%%d %%d %%s' %% (os.getpid(), os.getpgid(0), blk[0]))\n"
            % (sys.executable, started))
        os.chmod(install, 0o755)
        fpga = bytes(rnd.randrange(256) for _ in range(700))
        check(upload(rig, 2, fpga) == ("status", 0) and activate(rig) == ("status", 0) and
              open(os.path.join(tmp, "fpga.bit"), "rb").read() == fpga,
              "activate = command: the command installed the upload at path")
        pid, pgid, sigblk = (open(started).read().split() + ["?"] * 3)[:3]
        check(pgid == pid, "... in a process group of its own (pid %s, pgid %s)" % (pid, pgid))
        check(sigblk.strip("0") == "", "... with no signal blocked (SigBlk %s)" % sigblk)
        check(rq(rig, INITIATE, [0, 4, 3])[0] == 0x81, "no upload for compare of it: 0x81")
        open(install, "w").write("#!/bin/sh\nexit 3\n")
        check(upload(rig, 2, fpga[:100]) == ("status", 0) and activate(rig) == ("status", 0xFF),
              "a command that fails: Get Upgrade Status reports 0xFF")
        cc, d = rq(rig, RBSTATUS, [0])
        check(cc == 0 and d[1] & 0x04 and open(os.path.join(tmp, "fpga.bit"), "rb").read() == fpga,
              "... Query Rollback Status names it and the installed copy is the previous one")

        # Someone else on the bus may read, not change.
        other = emubus.Endpoint(rig.sock, [0x41])
        cc, _ = rq(rig, CAPS, [0], rq_sa=0x82, endpoint=other)
        check(cc == 0, "a requester not in [hpm] requesters reads the capabilities")
        cc, _ = rq(rig, INITIATE, [0, 1, 2], rq_sa=0x82, endpoint=other)
        check(cc == 0xD4, "... but may not initiate an upgrade: 0xD4 (%s)" % cc)

        # A half upload does not survive a restart, and the component is untouched.
        check(rq(rig, INITIATE, [0, 1, 2])[0] == 0 and
              rq(rig, UPLOAD, bytes([0, 0]) + new_boot[:BLOCK])[0] == 0, "a half upload")
        rig.satmcd.terminate()
        rig.satmcd.wait(30)
        rig.start_satmcd()
        check(rq(rig, UPLOAD, bytes([0, 1]) + new_boot[BLOCK:2 * BLOCK])[0] == 0xD5,
              "after a restart the upload is gone (0xD5)")
        check(open(os.path.join(tmp, "boot.bin"), "rb").read() == old_boot and
              not os.path.exists(os.path.join(rig.dir, "state", "hpm0.upload")),
              "the component is untouched and the staging file removed")
    finally:
        rig.stop()
    finish()


if __name__ == "__main__":
    main()
