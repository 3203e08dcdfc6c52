#!/usr/bin/env python3
"""HPM.1 on a full disk, for real (daemon/hpm.h).

The state directory (where uploads are staged and the journal kept) is a 64 KiB tmpfs in a
private mount namespace (the test re-runs itself under `unshare --mount`; needs root, else a
visible SKIP), filled to the last byte:

- Upload Firmware Block answers 0xC4 (out of space); the component is untouched and the upload
  can be aborted;
- with room again, the same upload goes through;
- with the disk full again before Activate, the activation cannot write its journal: Get
  Upgrade Status reports 0xC4 and the component is still the old version, whole;
- with room again, satmcd still runs the old version and a new upload and activation work.
"""
import os, shutil, subprocess, sys, tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from satmc_testlib import Rig, check, finish, skip  # noqa: E402
from hpm_client import (ABORT, ACTIVATE, BLOCK, FINISH, INITIATE, UPLOAD, poll,  # noqa: E402
                        rq, write_config)

NS_MARK = "SATMC_HPM_DISK_FULL_NS"
SECTIONS = "\n[hpm.component.0]\nname = boot\nversion = 1.00\npath = {t}/boot.bin\n"


def upload(rig, payload):
    """Initiate + blocks: the first refusal (step, cc) or None."""
    cc, _ = rq(rig, INITIATE, [0, 1, 2])
    if cc != 0:
        return ("initiate", cc)
    for n, off in enumerate(range(0, len(payload), BLOCK)):
        cc, _ = rq(rig, UPLOAD, bytes([0, n & 0xFF]) + payload[off:off + BLOCK])
        if cc != 0:
            return ("upload", cc)
    return None


def fill(path):
    with open(path, "wb", buffering=0) as f:
        for size in (4096, 512, 1):
            try:
                while True:
                    f.write(b"\0" * size)
            except OSError:
                pass


def disk_full(tmp):
    state = os.path.join(tmp, "state")
    os.mkdir(state, 0o755)
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k,mode=0755", "satmc-tiny", state],
                       capture_output=True, text=True)
    if r.returncode != 0:
        skip("HPM.1 on a full tmpfs", "cannot mount a tmpfs: " + r.stderr.strip())
        return
    old = os.urandom(3000)
    new = os.urandom(2000)
    boot = os.path.join(tmp, "boot.bin")
    open(boot, "wb").write(old)
    filler = os.path.join(state, "filler")
    rig = Rig(write_config(tmp, SECTIONS), satmcd_args=["--state-directory", state])
    try:
        fill(filler)
        check(upload(rig, new) == ("upload", 0xC4),
              "Upload Firmware Block on a full disk: 0xC4 (out of space)")
        check(open(boot, "rb").read() == old, "the component is untouched")
        check(rq(rig, ABORT, [0])[0] == 0, "the upload can be aborted")
        os.unlink(filler)
        check(upload(rig, new) is None, "with room again the upload goes through")
        cc, _ = rq(rig, FINISH, [0, 0] + list(len(new).to_bytes(4, "little")))
        check(cc == 0x80 and poll(rig, FINISH) == 0, "Finish: fsynced and read back")
        fill(filler)
        cc, _ = rq(rig, ACTIVATE, [0])
        status = poll(rig, ACTIVATE) if cc == 0x80 else cc
        check(status == 0xC4, "Activate with no room for the journal: 0xC4 (%s)" % status)
        check(open(boot, "rb").read() == old and
              not os.path.exists(os.path.join(tmp, ".boot.bin.hpm-new")),
              "the component is the old version, whole, and no copy is left beside it")
        os.unlink(filler)
        check(upload(rig, new) is None, "a new upload after the failed activation")
        cc, _ = rq(rig, FINISH, [0, 0] + list(len(new).to_bytes(4, "little")))
        ok = cc == 0x80 and poll(rig, FINISH) == 0
        cc, _ = rq(rig, ACTIVATE, [0])
        check(ok and cc == 0x80 and poll(rig, ACTIVATE) == 0 and open(boot, "rb").read() == new,
              "... and its activation put the new version in place")
    finally:
        rig.stop()
        subprocess.run(["umount", state])


def main():
    if os.geteuid() == 0 and NS_MARK not in os.environ:
        probe = subprocess.run(["unshare", "--mount", "--propagation", "private", "true"],
                               capture_output=True, text=True)
        if probe.returncode == 0:
            env = dict(os.environ, **{NS_MARK: "1"})
            os.execvpe("unshare", ["unshare", "--mount", "--propagation", "private", "--",
                                   sys.executable, os.path.abspath(__file__)], env)
    tmp = tempfile.mkdtemp(prefix="satmc-hpm-disk-full-")
    try:
        if NS_MARK in os.environ:
            disk_full(tmp)
        else:
            skip("HPM.1 on a full tmpfs", "needs root and a private mount namespace for its tmpfs")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    finish()


if __name__ == "__main__":
    main()
