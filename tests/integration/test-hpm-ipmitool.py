#!/usr/bin/env python3
"""PICMG HPM.1 firmware upgrade with stock ipmitool (1.8.19, `ipmitool hpm`) through
satmc-ipmb-bridge, over the emulated IPMB, against satmcd with board-hpm.ini's components:
0 "bootloader" (activate = rename), 1 "rootfs" (A/B slots), 2 "small" (max-size 64, no rollback).

Images come from satmc-mkhpm. Covered: `hpm check`, `hpm check IMAGE`, `hpm upgrade IMAGE
activate`, `upgrade ... component N` then `activate`, `compare` (equal and different), the
version skip and `force`, `rollback`, `rollbackstatus`, `selftestresult`, `upgstatus`, `abort`,
`targetcap`, `compprop`; what lands on disk is compared byte for byte each time (the component
file, the slot written, the slot marker). Refused images: truncated, a bad header checksum, a
bad action record checksum, another device / manufacturer / product, an unknown component,
a component larger than satmcd takes, and a requester satmcd does not accept: each with what
ipmitool prints and exits with, and nothing on disk changed."""
import hashlib, os, re, shutil, signal, socket, subprocess, sys, time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from satmc_testlib import Rig, board_from_template, check, finish, results  # noqa: E402

MKHPM = os.environ["SATMC_MKHPM"]
BRIDGE = os.environ["SATMC_IPMB_BRIDGE"]
SLOW = bool(os.environ.get("SATMCD_WRAPPER"))
# An upgrade polls Get Upgrade Status once a second per long-duration step: generous bounds,
# only there to stop a hang.
TIMEOUT = 600 if SLOW else 180
OWN, OTHER = 0x22, 0x24         # the bridge satmcd accepts, and one it does not
IDS = ["--device-id", "0x23", "--manufacturer", "0x7ED9", "--product", "0x1291", "--time", "1600000000"]


class Bridge:
    """satmc-ipmb-bridge: ipmitool -I dummy on its socket reaches satmcd at 0x72 over IPMB."""

    def __init__(self, rig, name, own):
        self.sock = os.path.join(rig.dir, name + ".sock")
        self.stderr = open(os.path.join(rig.dir, name + ".stderr"), "w+")
        notify_path = os.path.join(rig.dir, name + ".notify")
        notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        notify.bind(notify_path)
        self.proc = subprocess.Popen([BRIDGE, "--socket", self.sock, "--target", "0x72",
                                      "--own", "0x%02x" % own, "--bus-socket", rig.sock],
                                     env=dict(os.environ, NOTIFY_SOCKET=notify_path),
                                     stderr=self.stderr, stdin=subprocess.DEVNULL)
        notify.settimeout(10)
        try:
            while "READY=1" not in notify.recv(4096).decode().split("\n"):
                pass
        finally:
            notify.close()

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return "hung"


def hpm(sock, *args, answer="n\n"):
    """`ipmitool -I dummy hpm ARGS` on sock; answer is what the operator types at a prompt."""
    r = subprocess.run(["timeout", str(TIMEOUT), "ipmitool", "-I", "dummy", "hpm", *args],
                       env=dict(os.environ, IPMI_DUMMY_SOCK=sock), capture_output=True,
                       text=True, input=answer)
    r.out = r.stdout + r.stderr
    return r


def mkhpm(path, *args):
    r = subprocess.run([MKHPM, "-o", path, *args], capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit("satmc-mkhpm %s failed: %s" % (" ".join(args), r.stderr))
    return path


def read(path):
    with open(path, "rb") as f:
        return f.read()


def write(path, data):
    with open(path, "wb") as f:
        f.write(data)


def fix_md5(img):
    return img[:-16] + hashlib.md5(img[:-16]).digest()


def row(out, comp):
    """ipmitool's table row for component comp: |FLAGS ID|NAME|ACTIVE|BACKUP|FILE or DEFERRED|."""
    for line in out.splitlines():
        m = re.match(r"\|([ *])([ ^]) *(\d+)\|([^|]*)\|([^|]*)\|([^|]*)\|(?:([^|]*)\|)?", line)
        if m and int(m.group(3)) == comp:
            return {"upgradable": m.group(2) == "^", "name": m.group(4).strip(),
                    "active": m.group(5).strip(), "backup": m.group(6).strip(),
                    "file": (m.group(7) or "").strip()}
    return None


def snapshot(d):
    return {n: read(os.path.join(d, n)) for n in sorted(os.listdir(d))
            if n.startswith(("boot", "rootfs", "small")) and os.path.isfile(os.path.join(d, n))}


def active_rootfs(d):
    slot = read(os.path.join(d, "rootfs.slot")).strip().decode()
    return read(os.path.join(d, "rootfs-%s.img" % slot)), slot


def main():
    tmp, config = board_from_template("board-hpm.ini", "satmc-hpm-")
    boot0, rootfs0 = os.urandom(3000), os.urandom(5000)
    write(os.path.join(tmp, "boot.bin"), boot0)
    write(os.path.join(tmp, "rootfs-a.img"), rootfs0)
    write(os.path.join(tmp, "rootfs-b.img"), b"")
    write(os.path.join(tmp, "rootfs.slot"), b"a\n")
    write(os.path.join(tmp, "small.ver"), b"0.01\n")
    rig = Rig(config, satmcd_args=["--state-directory", os.path.join(tmp, "state")])
    bridges = []
    try:
        br = Bridge(rig, "bridge", OWN)
        bridges.append(br)
        run(rig, tmp, br.sock, lambda: bridges.append(Bridge(rig, "other", OTHER)) or bridges[-1])
    finally:
        for b in bridges:
            check(b.stop() == 0, "bridge exits 0 on SIGTERM")
        rc = rig.stop()
        check(rc == 0, "satmcd exits 0 on SIGTERM (%s)" % rc)
        if results["failed"]:
            print("satmcd's log:\n" + rig.read_stderr())
    finish()


def run(rig, tmp, sock, other_bridge):
    files = os.path.join(tmp, "files")
    os.mkdir(files)
    boot1, rootfs1, boot2 = os.urandom(7000), os.urandom(9000), os.urandom(2500)
    write(os.path.join(files, "boot1"), boot1)
    write(os.path.join(files, "rootfs1"), rootfs1)
    write(os.path.join(files, "boot2"), boot2)
    write(os.path.join(files, "big"), os.urandom(65))
    img = lambda name: os.path.join(files, name)  # noqa: E731
    both = mkhpm(img("both.hpm"), *IDS, "-c", "0:%s:1.01:bootloader" % img("boot1"),
                 "-c", "1:%s:2.01.00000002:rootfs" % img("rootfs1"))
    boot_only = mkhpm(img("boot2.hpm"), *IDS, "-c", "0:%s:1.02:bootloader" % img("boot2"))
    before = snapshot(tmp)

    # ---- hpm check: the target's components as ipmitool sees them ----
    r = hpm(sock, "check")
    check(r.returncode == 0, "hpm check: exit 0 (%s)" % r.out.strip()[-200:])
    r0, r1, r2 = row(r.out, 0), row(r.out, 1), row(r.out, 2)
    check(r0 and r0["name"] == "bootloader" and r0["active"] == "1.00 00000000",
          "hpm check: component 0 bootloader, active 1.00 (%s)" % r0)
    check(r1 and r1["name"] == "rootfs" and r1["active"] == "2.00 00000001",
          "hpm check: component 1 rootfs, active 2.00 00000001 (%s)" % r1)
    check(r2 and r2["name"] == "small" and r2["active"] == "0.01 00000000",
          "hpm check: component 2 small, active 0.01 (%s)" % r2)
    check(row(r.out, 3) is None, "hpm check: no component 3")
    r = hpm(sock, "targetcap")
    check(r.returncode == 0 and "Component 0 presence....[y]" in r.out and
          "Component 2 presence....[y]" in r.out and "Component 3 presence....[n]" in r.out and
          "Upgrade timeout.........[60 sec]" in r.out,
          "hpm targetcap: components 0-2 present, upgrade timeout 60 s")
    r = hpm(sock, "compprop", "1", "2")
    check(r.returncode == 0 and "Description string: rootfs" in r.out,
          "hpm compprop 1 2: description rootfs")

    # ---- hpm check IMAGE: the image against the target, nothing changed ----
    r = hpm(sock, "check", both)
    i0, i1 = row(r.out, 0), row(r.out, 1)
    check(r.returncode == 0 and i0 and i0["file"] == "1.01 00000000" and i0["upgradable"] and
          i1 and i1["file"] == "2.01 00000002" and i1["upgradable"],
          "hpm check IMAGE: image versions 1.01 and 2.01 00000002, both marked upgradable (%s %s)"
          % (i0, i1))
    check(snapshot(tmp) == before, "hpm check IMAGE changes nothing")

    # ---- hpm upgrade IMAGE activate ----
    r = hpm(sock, "upgrade", both, "activate")
    check(r.returncode == 0 and "Firmware upgrade procedure successful" in r.out,
          "hpm upgrade both.hpm activate: successful (exit %d: %s)" % (r.returncode, r.out.strip()[-300:]))
    check(read(os.path.join(tmp, "boot.bin")) == boot1,
          "after activation boot.bin holds the image's component 0, byte for byte")
    data, slot = active_rootfs(tmp)
    check(slot == "b" and data == rootfs1,
          "after activation the marker names slot b, which holds component 1 (slot %s)" % slot)
    check(read(os.path.join(tmp, "rootfs-a.img")) == before["rootfs-a.img"],
          "slot a (the rollback copy) is untouched")
    # satmcd knows a component's version from the configuration (version) or from a file the
    # installed component keeps (version-file): the static ones stay, and the version before
    # the activation becomes the backup (rollback) version.
    r = hpm(sock, "check")
    r0, r1 = row(r.out, 0), row(r.out, 1)
    check(r0 and r0["active"] == "1.00 00000000" and r0["backup"] == "1.00 00000000",
          "hpm check after upgrade: component 0 backup 1.00 (the version it replaced) (%s)" % r0)
    check(r1 and r1["backup"] == "2.00 00000001",
          "hpm check after upgrade: component 1 backup 2.00 00000001 (%s)" % r1)

    # ---- a component whose version the target reads back: the skip and force ----
    write(img("v002"), b"0.02\n")
    small = mkhpm(img("small.hpm"), *IDS, "-c", "2:%s:0.02:small" % img("v002"))
    r = hpm(sock, "upgrade", small, "activate")
    check(r.returncode == 0 and "Firmware upgrade procedure successful" in r.out and
          read(os.path.join(tmp, "small.ver")) == b"0.02\n",
          "hpm upgrade small.hpm activate: component 2 now holds 0.02 (%s)" % r.out.strip()[-200:])
    r2 = row(hpm(sock, "check").out, 2)
    check(r2 and r2["active"] == "0.02 00000000", "hpm check: component 2 active 0.02 (%s)" % r2)
    r = hpm(sock, "check", small)
    r2 = row(r.out, 2)
    check(r2 and not r2["upgradable"] and r2["file"] == "0.02 00000000",
          "hpm check small.hpm: component 2 at the image's version, not marked upgradable (%s)" % r2)
    r = hpm(sock, "upgrade", small, "activate")
    check(r.returncode == 0 and "No components updated. Skipping activation stage." in r.out,
          "hpm upgrade of the running version: skipped (%s)" % r.out.strip()[-200:])
    r = hpm(sock, "upgrade", both, "component", "0", "force", "activate")
    check(r.returncode == 0 and "Firmware upgrade procedure successful" in r.out and
          read(os.path.join(tmp, "boot.bin")) == boot1,
          "hpm upgrade ... component 0 force activate: uploaded again, same bytes")

    # ---- compare ----
    # satmcd answers Finish Firmware Upload 0x80 and compares in its worker; ipmitool then reads
    # the outcome from Get Upgrade Status, and says it in its closing line (its "Comparison
    # passed" row is printed only for a Finish answered at once).
    r = hpm(sock, "compare", both)
    check(r.returncode == 0 and "Firmware comparison procedure complete" in r.out,
          "hpm compare both.hpm: both components compare equal (%s)" % r.out.strip()[-300:])
    r = hpm(sock, "compare", boot_only)
    check(r.returncode != 0 and "Firmware comparison procedure failed" in r.out,
          "hpm compare boot2.hpm: component 0 differs (%s)" % r.out.strip()[-200:])
    check(read(os.path.join(tmp, "boot.bin")) == boot1, "hpm compare changes nothing")

    # ---- upgrade one component without activating, then hpm activate ----
    r = hpm(sock, "upgrade", boot_only, "component", "0")
    check(r.returncode == 0 and "Firmware upgrade procedure successful" in r.out,
          "hpm upgrade boot2.hpm component 0 (no activate): successful")
    check(read(os.path.join(tmp, "boot.bin")) == boot1, "not activated yet: boot.bin unchanged")
    r = hpm(sock, "upgstatus")
    check(r.returncode == 0 and re.search(r"Command in progress: +[0-9a-f]+", r.out) and
          re.search(r"Last command completion code: +0\b", r.out),
          "hpm upgstatus: last command completed with 0 (%s)" % r.out.strip()[-200:])
    r = hpm(sock, "activate")
    check(r.returncode == 0 and read(os.path.join(tmp, "boot.bin")) == boot2,
          "hpm activate: boot.bin now holds boot2 (%s)" % r.out.strip()[-200:])

    # ---- rollback ----
    r = hpm(sock, "rollback")
    check(r.returncode == 0 and "Rollback occurred on component mask" in r.out,
          "hpm rollback: rollback occurred (%s)" % r.out.strip()[-200:])
    check(read(os.path.join(tmp, "boot.bin")) == boot1, "after rollback boot.bin holds boot1 again")
    r = hpm(sock, "rollbackstatus")
    check(r.returncode == 0 and ("Rollback occurred on component mask" in r.out or
                                 "No Firmware rollback occurred" in r.out),
          "hpm rollbackstatus answers (%s)" % r.out.strip()[-200:])
    r = hpm(sock, "selftestresult")
    check(r.returncode == 0 and "Self test results:" in r.out and "Result1 = 55" in r.out,
          "hpm selftestresult: Result1 = 55 (passed) (%s)" % r.out.strip()[-200:])

    # ---- abort: an upload started and abandoned leaves nothing behind ----
    r = hpm(sock, "abort")
    check(r.returncode == 0, "hpm abort with nothing under way: exit 0 (%s)" % r.out.strip()[-200:])

    # ---- refused images: ipmitool's own checks, nothing reaches the components ----
    settled = snapshot(tmp)
    good = read(both)

    def refused(name, blob, expect, *extra):
        write(img(name), blob)
        r = hpm(sock, "upgrade", img(name), *extra, "activate")
        check(r.returncode != 0 and expect in r.out and "Firmware upgrade procedure failed" in r.out,
              "%s: refused, ipmitool says %r (exit %d: %s)" % (name, expect, r.returncode,
                                                             r.out.strip()[-200:]))
        check(snapshot(tmp) == settled, "%s: components on disk unchanged" % name)

    refused("truncated.hpm", good[:len(good) // 2], "Invalid MD5 signature")
    bad = bytearray(good)
    bad[9] ^= 0x01
    refused("header-checksum.hpm", fix_md5(bytes(bad)), "Invalid header checksum")
    bad = bytearray(good)
    bad[37] ^= 0x01             # the first upload record's checksum (no OEM data, no backup)
    refused("action-checksum.hpm", fix_md5(bytes(bad)), "Invalid Action record")

    def other(name, *ids):
        args = list(IDS)
        for k, v in zip(ids[::2], ids[1::2]):
            args[args.index(k) + 1] = v
        return read(mkhpm(img(name), *args, "-c", "0:%s:1.09:bootloader" % img("boot2")))

    refused("device.hpm", other("device.hpm", "--device-id", "0x24"), "Invalid device ID 23")
    refused("manufacturer.hpm", other("manufacturer.hpm", "--manufacturer", "0x315A"),
            "Invalid image file for manufacturer")
    refused("product.hpm", other("product.hpm", "--product", "0x1292"), "Invalid image file for product")
    write(img("five"), b"component five")
    refused("unknown.hpm", read(mkhpm(img("unknown.hpm"), *IDS, "-c", "5:%s:1.00:five" % img("five"))),
            "Some components present in the image file are not supported by the IPMC")
    # satmcd's own refusal: 65 bytes for a component that takes 64.
    refused("big.hpm", read(mkhpm(img("big.hpm"), *IDS, "-c", "2:%s:0.03:small" % img("big"))),
            "compcode=0xc4")
    # A requester not in [hpm] requesters may look, not change.
    ob = other_bridge()
    r = hpm(ob.sock, "check")
    check(r.returncode == 0 and row(r.out, 0) is not None, "another requester may run hpm check")
    r = hpm(ob.sock, "upgrade", boot_only, "force", "activate")
    check(r.returncode != 0 and "compcode=0xd4" in r.out,
          "another requester's upgrade: refused with 0xd4 (%s)" % r.out.strip()[-200:])
    check(snapshot(tmp) == settled, "another requester's upgrade: components on disk unchanged")

    # The upload satmcd refused (big.hpm, 0xC4 halfway) leaves its upload state open: the
    # next Initiate Upgrade Action is answered 0xD5 until the operator runs `hpm abort`.
    r = hpm(sock, "upgrade", boot_only, "activate")
    check(r.returncode != 0 and "compcode=0xd5" in r.out and read(os.path.join(tmp, "boot.bin")) == boot1,
          "after a refused upload, the next upgrade is refused with 0xd5, nothing changed (%s)"
          % r.out.strip()[-200:])
    r = hpm(sock, "abort")
    check(r.returncode == 0, "hpm abort after the refused upload: exit 0 (%s)" % r.out.strip()[-200:])
    r = hpm(sock, "upgrade", boot_only, "activate")
    check(r.returncode == 0 and read(os.path.join(tmp, "boot.bin")) == boot2,
          "after hpm abort, hpm upgrade boot2.hpm activate works (%s)" % r.out.strip()[-300:])


if __name__ == "__main__":
    main()
