#!/usr/bin/env python3
"""PICMG HPM.1 upgrade by Kontron's python-ipmi (Debian python3-pyipmi 0.4.2), the second
independent upgrade agent beside stock ipmitool (test-hpm-ipmitool.py): python-ipmi reads
satmc-mkhpm's image with its own parser (open_upgrade_image) and upgrades satmcd (board-hpm.ini) over the
emulated IPMB with its own code (install_component_from_image: abort, preparation stage, the
upgrade stage's Initiate Upgrade Action / Upload Firmware Block / Finish Firmware Upload and
activation, each long-duration step polled with Get Upgrade Status), then rolls back
(initiate_manual_rollback_and_wait, query_rollback_status). python-ipmi's Aardvark interface
reaches the bus through tests/harness/pyaardvark.py, as in test-pyipmi.py.

python-ipmi 0.4.2 was written for Python 2 in places, and two of them stand in the way on
Python 3; both are worked around here without touching the package or its protocol logic:
- upload_firmware_block() turns a block into bytes with ord() per character, which works on the
  str Python 2 read the image as, not on bytes: the upload records' data is handed to it as a
  latin-1 str (one character per byte, the same values);
- initiate_manual_rollback() reads a completion estimate its response message does not define
  (AttributeError) whenever the command completes at once; the test then checks with
  query_rollback_status(), as the HPM.1 flow does anyway.
Its array.tostring() calls are given back as in test-pyipmi.py."""
import os, subprocess, sys, time
from array import array

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from satmc_testlib import Rig, board_from_template, check, finish, results  # noqa: E402
sys.path.insert(0, os.environ.get("SATMC_HARNESS", os.path.join(HERE, "../harness")))

try:
    import pyipmi
    import pyipmi.hpm
    import pyipmi.interfaces.aardvark
    from pyipmi.errors import CompletionCodeError
except ImportError as e:
    from satmc_tap import skip_all
    skip_all("python-ipmi (Debian python3-pyipmi) not importable by %s: %s" % (sys.executable, e))
import pyaardvark  # noqa: E402

MKHPM = os.environ["SATMC_MKHPM"]
SAT, BMC = 0x72, 0x20
IDS = ["--device-id", "0x23", "--manufacturer", "0x7ED9", "--product", "0x1291", "--time", "1600000000"]


class TostringArray(array):
    def tostring(self):
        return self.tobytes()


class Aardvark(pyipmi.interfaces.aardvark.Aardvark):
    def _receive_raw(self, header):
        return TostringArray("B", super()._receive_raw(header))


def read(path):
    with open(path, "rb") as f:
        return f.read()


def write(path, data):
    with open(path, "wb") as f:
        f.write(data)


def version_of(ipmi, comp, prop=pyipmi.hpm.PROPERTY_CURRENT_VERSION):
    return str(ipmi.get_component_property(comp, prop).version)


def main():
    tmp, config = board_from_template("board-hpm.ini", "satmc-hpm-pyipmi-")
    boot0, rootfs0 = os.urandom(3000), os.urandom(5000)
    write(os.path.join(tmp, "boot.bin"), boot0)
    write(os.path.join(tmp, "rootfs-a.img"), rootfs0)
    write(os.path.join(tmp, "rootfs-b.img"), b"")
    write(os.path.join(tmp, "rootfs.slot"), b"a\n")
    write(os.path.join(tmp, "small.ver"), b"0.01\n")
    rig = Rig(config, satmcd_args=["--state-directory", os.path.join(tmp, "state")], bmc_addr7=0x11)
    try:
        pyaardvark.bus_socket = rig.sock
        intf = Aardvark(slave_address=BMC)
        intf.timeout = 2.0
        ipmi = pyipmi.create_connection(intf)
        ipmi.target = pyipmi.Target(SAT)
        run(ipmi, tmp, boot0)
    finally:
        rc = rig.stop()
        check(rc == 0, "satmcd exits 0 on SIGTERM (%s)" % rc)
        if results["failed"]:
            print("satmcd's log:\n" + rig.read_stderr())
    finish()


def run(ipmi, tmp, boot0):
    boot1, rootfs1 = os.urandom(4000), os.urandom(6000)
    write(os.path.join(tmp, "boot1"), boot1)
    write(os.path.join(tmp, "rootfs1"), rootfs1)
    write(os.path.join(tmp, "v002"), b"0.02\n")
    path = os.path.join(tmp, "both.hpm")
    r = subprocess.run([MKHPM, "-o", path, *IDS, "-c", "0:%s:1.05:bootloader" % os.path.join(tmp, "boot1"),
                        "-c", "1:%s:2.07.0000beef:rootfs" % os.path.join(tmp, "rootfs1"),
                        "-c", "2:%s:0.02:small" % os.path.join(tmp, "v002")],
                       capture_output=True, text=True)
    check(r.returncode == 0, "satmc-mkhpm builds both.hpm (%s)" % r.stderr.strip())

    # python-ipmi's parser on satmc-mkhpm's image.
    image = ipmi.open_upgrade_image(path)
    h = image.header
    check(h.signature == b"PICMGFWU" and h.device_id == 0x23 and h.manufacturer_id == 0x7ED9 and
          h.product_id == 0x1291 and h.components == [0, 1, 2] and h.time == 1600000000,
          "open_upgrade_image: header device 0x23, manufacturer 0x7ED9, product 0x1291, "
          "components [0, 1, 2]")
    uploads = [a for a in image.actions if isinstance(a, pyipmi.hpm.UpgradeActionRecordUploadForUpgrade)]
    check(len(image.actions) == 3 and len(uploads) == 3 and
          [a.components for a in uploads] == [1, 2, 4] and
          bytes(uploads[0].firmware_image_data) == boot1 and
          bytes(uploads[1].firmware_image_data) == rootfs1 and
          str(uploads[0].firmware_version) == "1.5" and str(uploads[1].firmware_version) == "2.7",
          "open_upgrade_image: three upload records, versions 1.05 and 2.07 (python-ipmi prints 1.5, "
          "2.7), data byte for byte")
    check(pyipmi.hpm.Hpm.get_upgrade_version_from_file(path) is not None,
          "get_upgrade_version_from_file reads the first upload's version")
    for a in uploads:           # Python 2's str, as upload_firmware_block() expects (docstring)
        a.firmware_image_data = a.firmware_image_data.decode("latin-1")

    # What python-ipmi reads of the target before the upgrade.
    caps = ipmi.get_target_upgrade_capabilities()
    check(caps.components == [0, 1, 2], "get_target_upgrade_capabilities: components %s" % caps.components)
    check(version_of(ipmi, 0) == "1.0",
          "component 0 current version 1.00 (%s)" % version_of(ipmi, 0))
    desc = ipmi.get_component_property(1, pyipmi.hpm.PROPERTY_DESCRIPTION_STRING).description
    check(desc == "rootfs", "component 1 description %r" % desc)

    # install_component_from_image: python-ipmi's whole flow, one component at a time.
    t0 = time.monotonic()
    for comp in (0, 1, 2):
        try:
            ipmi.install_component_from_image(image, comp)
            ok = True
        except Exception as e:      # noqa: BLE001 - reported as the failure
            ok = "%s: %s" % (type(e).__name__, e)
        check(ok is True, "install_component_from_image(image, %d) (%s)" % (comp, ok))
    check(read(os.path.join(tmp, "boot.bin")) == boot1, "component 0 activated: boot.bin is the image's")
    slot = read(os.path.join(tmp, "rootfs.slot")).strip().decode()
    check(slot == "b" and read(os.path.join(tmp, "rootfs-b.img")) == rootfs1,
          "component 1 activated: slot b holds the image's rootfs, the marker names it (%s)" % slot)
    check(read(os.path.join(tmp, "small.ver")) == b"0.02\n" and version_of(ipmi, 2) == "0.2",
          "component 2 (its own version stamp) activated: current version 0.02 (%s)" % version_of(ipmi, 2))
    # Component 0's version is the configuration's (static); the one it replaced is kept.
    check(version_of(ipmi, 0, pyipmi.hpm.PROPERTY_ROLLBACK_VERSION) == "1.0",
          "component 0 rollback version 1.00 (%s)"
          % version_of(ipmi, 0, pyipmi.hpm.PROPERTY_ROLLBACK_VERSION))
    status = ipmi.get_upgrade_status()
    check(status.last_completion_code == 0, "get_upgrade_status: last completion code 0 (%s)" % status)
    print("# python-ipmi installed three components in %.1f s" % (time.monotonic() - t0))

    # Manual rollback, python-ipmi's way.
    try:
        ipmi.initiate_manual_rollback_and_wait()
    except AttributeError:
        pass                    # the completion estimate its message lacks (docstring)
    st = None
    try:
        st = ipmi.query_rollback_status()
        ok = True
    except CompletionCodeError as e:
        ok = "cc 0x%02x" % e.cc
    check(ok is True, "query_rollback_status after the rollback answers (%s)" % ok)
    check(read(os.path.join(tmp, "boot.bin")) == boot0, "after the rollback boot.bin holds the old bytes")
    slot = read(os.path.join(tmp, "rootfs.slot")).strip().decode()
    check(slot == "a", "after the rollback the rootfs marker names slot a again (%s)" % slot)
    check(st is not None, "query_rollback_status decoded")


if __name__ == "__main__":
    main()
