#!/usr/bin/env python3
"""Power loss, not just kill -9: satmcd runs under the power-cut shim (tests/powercut/), which
logs every filesystem mutation in its state directory with a CLOCK_MONOTONIC time, while this
test makes acknowledged changes and notes when each was sent and acknowledged:

  fru0  Write FRU Data over IPMB in 22-byte chunks (as `ipmitool fru write` sends a file): a new
        board serial number, so the image is invalid between the first and the last chunk;
  fru1  NBD WRITE with FUA, and NBD WRITEs followed by FLUSH (only the FLUSH acknowledges);
  sensor 1..3  Set Sensor Thresholds and Set Sensor Hysteresis (both in sensors.state).

For every cut point of the log (the cut comes before a call returned) and every disk model of
tests/powercut/powercut_replay.py ("synced": only fsynced data and fsynced directory entries
survive; "metadata": every rename/create reaches the disk, unsynced data does not; "torn": a
random part of the unsynced data does too), the rebuilt state directory is served by a fresh
satmcd and must hold, for every FRU device and sensor, the last change acknowledged before the
cut or a newer one already sent (the one in flight): never an older one, never a torn one.

Cut points with the same rebuilt directory share one satmcd start. The CI form serves a seeded
sample of the distinct directories (the seed and the counts are printed); SATMC_SOAK=1 makes
more changes and serves every one. SATMC_POWERCUT_SEED picks the seed. Every second round leaves
the state directory for satmcd to make (a first boot without systemd's StateDirectory=), so that
its mkdir is under test too; SATMC_POWERCUT_FIRST_BOOT=1 makes every round one."""
import os, random, shutil, signal, sys, time

HERE = os.path.dirname(os.path.abspath(__file__))
try:
    import nbd
except ImportError:
    # python3-libnbd is the system Python's: run there if another python3 came first.
    if os.path.exists("/usr/bin/python3") and not os.environ.get("SATMC_POWERCUT_REEXEC"):
        os.environ["SATMC_POWERCUT_REEXEC"] = "1"
        os.execv("/usr/bin/python3", ["/usr/bin/python3", os.path.abspath(__file__)] + sys.argv[1:])
    from satmc_tap import skip_all
    skip_all("python3-libnbd not installed")

sys.path.insert(0, HERE)
sys.path.insert(0, os.environ.get("SATMC_POWERCUT_TOOLS", os.path.join(HERE, "../powercut")))
from satmc_testlib import Rig, board_from_template, check, finish, skip_all  # noqa: E402
import powercut_replay as pr  # noqa: E402

SE, STORAGE = 0x04, 0x0A
SENSORS = (1, 2, 3)
CHUNK = 22                      # ipmitool fru write's chunk at a 32-byte max message length
# Get/Set Sensor Thresholds bit order is LNC LCR LNR UNC UCR UNR; they must rise in this order.
RISING = (2, 1, 0, 3, 4, 5)

SOAK = bool(os.environ.get("SATMC_SOAK"))
# satmcd makes its state directory itself, as on a first boot without systemd's StateDirectory=.
FIRST_BOOT_ALWAYS = bool(os.environ.get("SATMC_POWERCUT_FIRST_BOOT"))
SEED = int(os.environ.get("SATMC_POWERCUT_SEED", random.SystemRandom().randrange(1 << 32)))
COUNTS = {
    "rounds": 6 if SOAK else 2,             # satmcd runs under the shim, seeds SEED, SEED + 1...
    "fru_rewrites": 3 if SOAK else 2,       # chunked rewrites of fru0
    "nbd_fua": 12 if SOAK else 4,
    "nbd_flush_rounds": 6 if SOAK else 3,   # each: two WRITEs, then FLUSH
    "thresholds": 30 if SOAK else 8,
    "served_max": None if SOAK else 150,    # distinct directories given to a fresh satmcd
}


def now():
    return time.monotonic_ns()      # CLOCK_MONOTONIC, the shim's clock


class Versions:
    """What one FRU device or sensor held after each change: the value, when the change was
    sent and when it was acknowledged as durable (None: not by itself)."""

    def __init__(self, name, initial):
        self.name = name
        self.v = [(initial, 0, 0)]

    def add(self, value, sent):
        self.v.append((value, sent, None))
        return len(self.v) - 1

    def ack(self, index, when):
        value, sent, _ = self.v[index]
        self.v[index] = (value, sent, when)

    def allowed(self, t_cut):
        """Indexes of the versions a cut at t_cut may leave: from the newest acknowledged before
        it to the newest sent before it."""
        acked = max(i for i, (_, _, a) in enumerate(self.v) if a is not None and a < t_cut)
        sent = max(i for i, (_, s, _) in enumerate(self.v) if s < t_cut)
        return range(acked, max(acked, sent) + 1)

    def which(self, value):
        return [i for i, (v, _, _) in enumerate(self.v) if v == value]


# ---- talking to satmcd ----

def ipmi(rig, netfn, cmd, data):
    """(completion code or None, response data)."""
    f = rig.transact(netfn, cmd, bytes(data), timeout=5)
    if f is None or len(f) < 8:
        return None, b""
    return f[6], f[7:-1]


def thresholds(rig, number):
    """(readable mask, the six raw thresholds, raw hysteresis +/-) of a sensor, or None."""
    cc, d = ipmi(rig, SE, 0x27, [number])
    cch, h = ipmi(rig, SE, 0x25, [number, 0xFF])
    if cc != 0 or len(d) < 7 or cch != 0 or len(h) < 2:
        return None
    return d[0], bytes(d[1:7]), bytes(h[:2])


def nbd_open(rig, export):
    h = nbd.NBD()
    h.connect_uri("nbd+unix:///%s?socket=%s" % (export, rig.nbd_sock))
    return h


def nbd_read_all(rig, export):
    h = nbd_open(rig, export)
    try:
        return h.pread(h.get_size(), 0)
    finally:
        h.shutdown()


def served(rig):
    """What the running satmcd serves: {key: value}."""
    got = {"fru0": nbd_read_all(rig, "fru0"), "fru1": nbd_read_all(rig, "fru1")}
    for n in SENSORS:
        got["sensor%d" % n] = thresholds(rig, n)
    return got


def stop_satmcd(rig):
    rig.satmcd.send_signal(signal.SIGTERM)
    try:
        return rig.satmcd.wait(30)
    except Exception:
        rig.satmcd.kill()
        return "hung"


# ---- the changes ----

def fru_image_end(img):
    """Where the last info area of a FRU image ends (what `ipmitool fru write` would send)."""
    end = 8
    for k in (2, 3, 4):                 # chassis, board, product area offsets
        if img[k]:
            off = img[k] * 8
            end = max(end, off + img[off + 1] * 8)
    return end


def with_board_serial(img, rng):
    """img with a new board serial number (same length) and the board area checksum fixed."""
    img = bytearray(img)
    at = img.find(b"SN")
    if at < 0:
        raise SystemExit("fru0 has no board serial number to change")
    img[at + 2:at + 8] = ("%06d" % rng.randrange(10 ** 6)).encode()
    off = img[3] * 8
    length = img[off + 1] * 8
    img[off + length - 1] = (-sum(img[off:off + length - 1])) & 0xFF
    return bytes(img)


# Each kind of change is a generator that makes one change per step, so that the kinds can be
# interleaved: a cut then falls between changes to different files too. Each counts in stats
# what was acknowledged.

def fru_chunks(rig, keys, rng, stats):
    """Rewrites of fru0 in 22-byte Write FRU Data chunks, each a new board serial number."""
    for _ in range(COUNTS["fru_rewrites"]):
        cur = keys["fru0"].v[-1][0]
        new = with_board_serial(cur, rng)
        end = fru_image_end(new)
        for off in range(0, end, CHUNK):
            chunk = new[off:min(end, off + CHUNK)]
            value = cur[:off] + chunk + cur[off + len(chunk):]
            i = keys["fru0"].add(value, now())
            cc, d = ipmi(rig, STORAGE, 0x12, [0, off & 0xFF, off >> 8, *chunk])
            stats["fru chunks sent"] += 1
            if cc == 0 and d[:1] == bytes([len(chunk)]):
                keys["fru0"].ack(i, now())
                stats["fru chunks acked"] += 1
            cur = value
            yield


def nbd_writes(h, keys, rng, stats):
    """NBD WRITEs to fru1 after its image (which stays valid): with FUA, then pairs of WRITEs
    acknowledged by a FLUSH."""
    size = h.get_size()
    tail = fru_image_end(keys["fru1"].v[-1][0])

    def one_write(flags):
        cur = keys["fru1"].v[-1][0]
        n = rng.randrange(1, 33)
        off = rng.randrange(tail, size - n)
        data = bytes(rng.randrange(256) for _ in range(n))
        i = keys["fru1"].add(cur[:off] + data + cur[off + n:], now())
        h.pwrite(data, off, flags)
        return i

    for _ in range(COUNTS["nbd_fua"]):
        i = one_write(nbd.CMD_FLAG_FUA)
        keys["fru1"].ack(i, now())
        stats["nbd fua acked"] += 1
        yield
    for _ in range(COUNTS["nbd_flush_rounds"]):
        one_write(0)
        yield
        i = one_write(0)
        yield
        h.flush()
        keys["fru1"].ack(i, now())
        stats["nbd flush acked"] += 1
        yield


def set_thresholds(rig, keys, rng, stats):
    """COUNTS["thresholds"] acknowledged Set Sensor Thresholds, and about a third as many Set
    Sensor Hysteresis (same file). Values are picked between the neighbours in raw order; a
    sensor whose raw codes are signed may call that disordered (0xCC) and keep its thresholds:
    such a refusal is no change and is simply tried again."""
    for _ in range(COUNTS["thresholds"] // 3):
        n = rng.choice(SENSORS)
        mask, raw, hyst = keys["sensor%d" % n].v[-1][0]
        new = bytes([rng.randrange(0, 8), rng.randrange(0, 8)])
        i = keys["sensor%d" % n].add((mask, raw, new), now())
        cc, _ = ipmi(rig, SE, 0x24, [n, 0xFF, *new])
        if cc == 0:
            keys["sensor%d" % n].ack(i, now())
            stats["hysteresis acked"] += 1
        elif cc is not None:
            keys["sensor%d" % n].v.pop()
        yield

    attempts = 0
    while stats["thresholds acked"] < COUNTS["thresholds"] and attempts < 20 * COUNTS["thresholds"]:
        attempts += 1
        n = SENSORS[stats["thresholds acked"] % len(SENSORS)]     # each gets some
        mask, raw, hyst = keys["sensor%d" % n].v[-1][0]
        defined = [b for b in RISING if mask & (1 << b)]
        b = rng.choice(defined)
        pos = defined.index(b)
        lo = raw[defined[pos - 1]] + 1 if pos > 0 else 1
        hi = raw[defined[pos + 1]] - 1 if pos + 1 < len(defined) else 254
        choices = [x for x in range(lo, hi + 1) if x != raw[b]]
        if not choices:
            continue
        new = bytearray(raw)
        new[b] = rng.choice(choices)
        i = keys["sensor%d" % n].add((mask, bytes(new), hyst), now())
        cc, _ = ipmi(rig, SE, 0x26, [n, 1 << b, *new])
        if cc == 0:
            keys["sensor%d" % n].ack(i, now())
            stats["thresholds acked"] += 1
        elif cc is not None:
            # Refused: nothing changed. (No answer at all: it may have, and stays in flight.)
            keys["sensor%d" % n].v.pop()
        yield


# ---- the check ----

def describe(keys, key, value, allowed):
    found = keys[key].which(value)
    if not found:
        return "%s: served a value that is no version of it (torn or foreign)" % key
    return "%s: served version %s, allowed %d..%d" % (key, found, allowed[0], allowed[-1])


def run_round(shim, seed, first_boot, failures, coverage):
    """One satmcd under the shim making changes, then every cut point of its log under every
    model, served by a fresh satmcd. Adds to failures {(key, model): [text]} and to coverage
    {key: set of version indexes served}."""
    rng = random.Random(seed)
    tmp, config = board_from_template("board-powercut.ini", "satmc-powercut-")
    for name, value in (("temp1_input", "42500"), ("in1_input", "12030"), ("fan1_input", "5200")):
        with open(os.path.join(tmp, name), "w") as f:
            f.write(value + "\n")
    # The shim watches var/, the state directory's parent, so that a state directory satmcd
    # makes itself (first_boot) is in the log too.
    var = os.path.join(tmp, "var")
    state = os.path.join(var, "state")
    os.makedirs(var)
    if not first_boot:
        os.makedirs(state)
    log = os.path.join(tmp, "powercut.log")
    snap = pr.snapshot(var)
    asan = os.environ.get("ASAN_OPTIONS", "")
    env = {"LD_PRELOAD": shim, "SATMC_POWERCUT_LOG": log, "SATMC_POWERCUT_DIR": var,
           # an ASan satmcd would refuse a library loaded before its runtime
           "ASAN_OPTIONS": (asan + ":" if asan else "") + "verify_asan_link_order=0"}

    # 1. The changes, under the shim. satmcd's first start (writing fru0.bin and fru1.bin
    # from the configuration) is in the log too.
    rig = Rig(config, satmcd_args=["--state-directory", state], env=env)
    try:
        first = served(rig)
        keys = {k: Versions(k, v) for k, v in first.items()}
        check(all(v is not None for v in first.values()), "satmcd under the shim serves fru0, "
              "fru1 and the thresholds of sensors %s" % (SENSORS,))
        stats = dict.fromkeys(("fru chunks sent", "fru chunks acked", "nbd fua acked",
                               "nbd flush acked", "thresholds acked", "hysteresis acked"), 0)
        h = nbd_open(rig, "fru1")
        try:
            steps = [fru_chunks(rig, keys, rng, stats), nbd_writes(h, keys, rng, stats),
                     set_thresholds(rig, keys, rng, stats)]
            while steps:
                g = rng.choice(steps)
                if next(g, StopIteration) is StopIteration:
                    steps.remove(g)
        finally:
            h.shutdown()
        check(stats["fru chunks acked"] == stats["fru chunks sent"] > 0
              and stats["nbd fua acked"] == COUNTS["nbd_fua"]
              and stats["nbd flush acked"] == COUNTS["nbd_flush_rounds"]
              and stats["thresholds acked"] == COUNTS["thresholds"]
              and stats["hysteresis acked"] == COUNTS["thresholds"] // 3,
              "every change acknowledged: %s" % stats)
        check(served(rig) == {k: v.v[-1][0] for k, v in keys.items()},
              "satmcd serves every change it acknowledged")
        rc = stop_satmcd(rig)
        check(rc == 0, "satmcd under the shim exits 0 on SIGTERM (got %s)" % rc)

        records = pr.read_log(log)
        ops = {}
        for r in records:
            ops[pr.OP_NAMES[r.op]] = ops.get(pr.OP_NAMES[r.op], 0) + 1
        print("log: %d records %s" % (len(records), ops), flush=True)
        check(ops.get("fsync", 0) > 0 and ops.get("rename", 0) > 0,
              "the shim saw satmcd's writes, fsyncs and renames")

        # 2. Every cut point under every model, grouped by the directory it leaves.
        views = {}
        for k, t_cut, rec, model, view in pr.cuts(snap, records, seed=seed):
            key = pr.view_key(view)
            views.setdefault(key, (view, []))[1].append((k, t_cut, rec, model))
        n_cuts = (len(records) + 1) * len(pr.MODELS)
        order = sorted(views, key=lambda key: min(c[0] for c in views[key][1]))
        chosen = order
        if COUNTS["served_max"] is not None and len(order) > COUNTS["served_max"]:
            chosen = sorted(random.Random(seed).sample(order, COUNTS["served_max"]),
                            key=order.index)
        covered = sum(len(views[key][1]) for key in chosen)
        print("%d cut points x %d models = %d cuts, %d distinct directories, serving %d of them "
              "(%d cuts)" % (len(records) + 1, len(pr.MODELS), n_cuts, len(views), len(chosen),
                             covered), flush=True)

        # 3. A fresh satmcd on each chosen directory, on the same bus.
        started = time.monotonic()
        bad_exits = []
        for key in chosen:
            view, cutlist = views[key]
            d = os.path.join(tmp, "cut")
            shutil.rmtree(d, ignore_errors=True)
            os.makedirs(d)
            pr.materialize(view, d)
            rig.satmcd_args, rig.env = ["--state-directory", os.path.join(d, "state")], None
            files = ", ".join("%s (%s)" % (p, "dir" if b is None else "%d bytes" % len(b))
                              for p, b in sorted(view.items())) or "empty"
            before = len(rig.read_stderr())
            try:
                rig.start_satmcd()
                got = served(rig)
                rc = stop_satmcd(rig)
                if rc != 0:
                    bad_exits.append("cut %d: exit %s" % (cutlist[0][0], rc))
            except (SystemExit, nbd.Error) as e:
                got = None
                err = str(e).splitlines()[0] if str(e) else type(e).__name__
                if rig.satmcd.poll() is None:
                    rig.satmcd.kill()
                    rig.satmcd.wait()
            # What satmcd said about the files it found (a rebuild says why a change is gone).
            said = [l.strip() for l in rig.read_stderr()[before:].splitlines()
                    if not l.startswith("counters:")
                    and ("rebuild" in l or "cannot" in l or "invalid" in l or "Failed" in l)]
            files += "; satmcd: " + " / ".join(said) if said else ""
            for k, t_cut, rec, model in cutlist:
                for name, versions in keys.items():
                    allowed = versions.allowed(t_cut)
                    if got is not None:
                        coverage.setdefault(name, set()).update(versions.which(got[name]))
                    if got is None:
                        what = "satmcd did not serve it: %s" % err
                    elif got[name] in [versions.v[j][0] for j in allowed]:
                        continue
                    else:
                        what = describe(keys, name, got[name], allowed)
                    failures.setdefault((name, model), []).append(
                        "seed %d cut %d (before %s): %s; files: %s"
                        % (seed, k, rec or "the end", what, files))
        elapsed = time.monotonic() - started
        print("served %d directories in %.1f s (%.0f ms each)"
              % (len(chosen), elapsed, 1000 * elapsed / max(1, len(chosen))), flush=True)
        check(not bad_exits, "every satmcd on a rebuilt directory exits 0 on SIGTERM %s"
              % bad_exits[:5])
    finally:
        if rig.satmcd.poll() is None:
            stop_satmcd(rig)
        rig.stop()
    shutil.rmtree(tmp, ignore_errors=True)
    return keys


def main():
    shim = os.environ.get("SATMC_POWERCUT_SHIM")
    if not shim or not os.path.exists(shim):
        skip_all("SATMC_POWERCUT_SHIM not built")
    print("seed %d (SATMC_POWERCUT_SEED=%d to repeat), soak %s, first boot %s, counts %s"
          % (SEED, SEED, SOAK, "every round" if FIRST_BOOT_ALWAYS else "every second round",
             COUNTS), flush=True)
    failures, coverage = {}, {}
    for r in range(COUNTS["rounds"]):
        first_boot = FIRST_BOOT_ALWAYS or r % 2 == 1
        print("round %d of %d, seed %d, first boot %s" % (r + 1, COUNTS["rounds"], SEED + r,
                                                          first_boot), flush=True)
        keys = run_round(shim, SEED + r, first_boot, failures, coverage)

    # The cuts must reach back into the changes: had every cut been served the newest state,
    # nothing would have been tested.
    for name in keys:
        check(len(coverage.get(name, ())) >= 3, "%s: cuts were served %d different versions of it"
              % (name, len(coverage.get(name, ()))))
    for name in keys:
        for model in pr.MODELS:
            bad = failures.get((name, model), [])
            check(not bad, "%s, %s model: every acknowledged change survives every cut%s"
                  % (name, model, "" if not bad else " -- lost at %d cuts, e.g.\n      %s"
                     % (len(bad), "\n      ".join(bad[:3]))))
    finish()


if __name__ == "__main__":
    main()
