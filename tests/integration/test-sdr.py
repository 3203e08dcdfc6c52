#!/usr/bin/env python3
"""The device SDR repository with real clients: stock ipmitool over the dummy socket
(`sdr list`, `sdr list all`, `sdr elist all`, `sdr info`: Device SDR commands for the records,
Get SDR Repository Info for the info), the same walk over IPMB in 16-byte partial reads through
Storage Get SDR as OpenBMC does it, and the read-only `sdr` NBD export, whose bytes are the
records."""
import os, shutil, subprocess, sys, tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from satmc_testlib import Rig, check, finish, ipmitool, skip_all  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
CONFIG = os.path.join(HERE, "board-fru.ini")
SE, STORAGE = 0x04, 0x0A


def rows(out):
    return [[c.strip() for c in line.split("|")] for line in out.splitlines() if "|" in line]


def nbdsh(uri, code):
    env = dict(os.environ, PATH="/usr/bin:" + os.environ.get("PATH", ""))
    return subprocess.run(["timeout", "30", "nbdsh", "-u", uri, "-c", code],
                          capture_output=True, text=True, env=env)


def ipmb(rig, netfn, cmd, data=b""):
    """(cc, data) of one IPMB request, or (None, b"")."""
    f = rig.transact(netfn, cmd, data)
    if f is None or len(f) < 8:
        return None, b""
    return f[6], f[7:-1]


def walk_ipmb(rig, chunk=16):
    """Every record through Storage Get SDR: header at offset 0 without a reservation, the
    body in chunk-byte partial reads with one. Returns (records, error)."""
    cc, d = ipmb(rig, STORAGE, 0x22)
    if cc != 0 or len(d) != 2:
        return None, "Reserve SDR Repository: cc %r" % cc
    res = d
    records, rid = [], 0
    while rid != 0xFFFF and len(records) < 16:
        cc, d = ipmb(rig, STORAGE, 0x23, b"\0\0" + rid.to_bytes(2, "little") + bytes([0, 5]))
        if cc != 0 or len(d) != 7:
            return None, "header of %#x: cc %r" % (rid, cc)
        nxt, rec = int.from_bytes(d[:2], "little"), bytearray(d[2:])
        own = rec[0] | rec[1] << 8
        total = 5 + rec[4]
        while len(rec) < total:
            n = min(chunk, total - len(rec))
            cc, d = ipmb(rig, STORAGE, 0x23, res + own.to_bytes(2, "little") + bytes([len(rec), n]))
            if cc != 0 or len(d) != 2 + n or int.from_bytes(d[:2], "little") != nxt:
                return None, "record %#x offset %d: cc %r" % (own, len(rec), cc)
            rec += d[2:]
        records.append(bytes(rec))
        rid = nxt
    return records, None


def main():
    for tool in ("ipmitool", "nbdcopy", "nbdsh"):
        if not shutil.which(tool):
            skip_all("%s not installed" % tool)
    tmp = tempfile.mkdtemp(prefix="satmc-sdr-")
    rig = Rig(CONFIG, satmcd_args=["--state-directory", tmp])
    sdr_uri = "nbd+unix:///sdr?socket=" + rig.nbd_sock
    try:
        r = ipmitool(rig.ipmitool_sock, "mc", "info")
        check(r.returncode == 0 and "Provides Device SDRs      : yes" in r.stdout,
              "mc info: provides device SDRs")

        # Sensors only by default, and there are none yet: nothing, and no error.
        r = ipmitool(rig.ipmitool_sock, "sdr", "list")
        check(r.returncode == 0 and r.stdout.strip() == "" and "rror" not in r.stderr,
              "sdr list: no sensors, no error%s" % (": " + r.stderr.strip() if r.stderr.strip() else ""))

        r = ipmitool(rig.ipmitool_sock, "sdr", "list", "all")
        check(r.returncode == 0 and rows(r.stdout) == [
            ["LC100G", "Dynamic MC @ 72h", "ok"],
            ["LC100G Line Card", "Log FRU @00h 07.0", "ok"],
            ["Fan Tray", "Log FRU @01h 07.1", "ok"],
        ], "sdr list all: MC locator and two FRU locators")

        r = ipmitool(rig.ipmitool_sock, "sdr", "elist", "all")
        got = rows(r.stdout)
        check(r.returncode == 0 and [(x[0], x[-1]) for x in got] == [
            ("LC100G", "Dynamic MC @ 72h"),
            ("LC100G Line Card", "Logical FRU @00h"),
            ("Fan Tray", "Logical FRU @01h"),
        ], "sdr elist all: MC locator and two FRU locators")

        # -v -v shows which commands ipmitool chose: the Device SDR ones (netFn 0x04).
        r = ipmitool(rig.ipmitool_sock, "-v", "-v", "sdr", "list", "all")
        check("Using Device SDRs" in r.stderr + r.stdout and "msg.cmd: 21" in r.stderr + r.stdout,
              "sdr list reads with Get Device SDR")

        r = ipmitool(rig.ipmitool_sock, "sdr", "info")
        f = {k.strip(): v.strip() for k, v in (l.split(":", 1) for l in r.stdout.splitlines() if ":" in l)}
        check(r.returncode == 0 and f.get("SDR Version") == "0x51" and f.get("Record Count") == "3"
              and f.get("Reserve SDR repository supported") == "yes"
              and f.get("Delete SDR supported") == "no" and f.get("Partial Add SDR supported") == "no",
              "sdr info: version 0x51, 3 records, reserve only")

        # Over IPMB, OpenBMC-style.
        records, err = walk_ipmb(rig, 16)
        check(records is not None and [x[3] for x in records] == [0x12, 0x11, 0x11]
              and [x[0] | x[1] << 8 for x in records] == [1, 2, 3],
              "IPMB walk with 16-byte Get SDR reads: MC locator, two FRU locators%s"
              % (": " + err if err else ""))
        check(records is not None and records[0][5] == 0x72 and records[1][6] == 0 and records[2][6] == 1,
              "MC locator at 0x72, FRU locators for devices 0 and 1")

        # Storage and Sensor/Event views agree: Get Device SDR of record 2 at offset 0.
        cc, d = ipmb(rig, SE, 0x21, b"\0\0\x02\0\0\x05")
        check(cc == 0 and records is not None and d[2:] == records[1][:5], "Get Device SDR over IPMB")
        cc, d = ipmb(rig, STORAGE, 0x23, b"\0\0\x02\0\0\xff")
        check(cc == 0xCA, "whole 32-byte record does not fit a 32-byte IPMB message: 0xCA (got %r)" % cc)
        cc, d = ipmb(rig, STORAGE, 0x23, b"\0\0\x09\0\0\x05")
        check(cc == 0xCB, "unknown record: 0xCB")
        cc, old = ipmb(rig, STORAGE, 0x22)
        cc2, new = ipmb(rig, SE, 0x22)
        check(cc == 0 and cc2 == 0 and old != new and old != b"\0\0" and new != b"\0\0",
              "each Reserve hands out a new, non-zero ID")
        cc, d = ipmb(rig, STORAGE, 0x23, old + b"\x01\0\x05\x04")
        check(cc == 0xC5, "a superseded reservation: 0xC5 (got %r)" % cc)
        cc, d = ipmb(rig, STORAGE, 0x20)
        check(cc == 0 and len(d) == 14 and d[0] == 0x51 and d[1:3] == b"\x03\x00" and d[13] == 0x02,
              "Get SDR Repository Info over IPMB")

        # NBD: the records, then zeros to 512 bytes; read-only.
        copy = os.path.join(tmp, "sdr.copy")
        r = subprocess.run(["timeout", "30", "nbdcopy", sdr_uri, copy], capture_output=True, text=True)
        blob = b"".join(records or [])
        data = open(copy, "rb").read() if r.returncode == 0 else b""
        check(r.returncode == 0 and len(data) == 512 and data[:len(blob)] == blob
              and data[len(blob):] == bytes(512 - len(blob)) and len(blob) > 0,
              "nbdcopy sdr equals the records, zero-padded to 512%s" % (": " + r.stderr.strip() if r.returncode else ""))
        r = nbdsh(sdr_uri, "\n".join([
            "print(h.is_read_only())",
            "try:",
            "    h.pwrite(b'xx', 0)",
            "    print('accepted')",
            "except nbd.Error as e:",
            "    print('refused', e.errno)",
            "print(len(h.pread(16, 0)))",
        ]))
        lines = r.stdout.split()
        check(lines[:4] in (["True", "refused", "1", "16"], ["True", "refused", "EPERM", "16"]),
              "sdr export is read-only, a write is refused with EPERM: %s%s" % (r.stdout.strip(), r.stderr.strip()))
        r = subprocess.run(["nbdinfo", "--list", "nbd+unix:///?socket=" + rig.nbd_sock],
                           capture_output=True, text=True)
        check('export="sdr"' in r.stdout and "device SDR repository" in r.stdout,
              "nbdinfo --list shows the sdr export with its description")
    finally:
        rc = rig.stop()
        check(rc == 0, "satmcd exits cleanly (rc %r)" % rc)
        shutil.rmtree(tmp, ignore_errors=True)
    finish()


if __name__ == "__main__":
    main()
