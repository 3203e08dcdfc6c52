#!/usr/bin/env python3
"""The power-cut replay model must be able to fail. A child process runs small replace-a-file
sequences under the real shim, "acknowledging" each version after the sequence returns; the
replay must call the wrong sequences (rename before the data's fsync, no fsync of the directory
after the rename, no fsync at all) a loss of an acknowledged version under the disk model that
exposes them, and the right ones (rename-over, O_TMPFILE + linkat, O_EXCL + renameat2 through a
directory fd) safe at every cut point under every model. A damaged log, or one with a call the
shim could not follow, is refused rather than half-replayed."""
import json, os, random, shutil, struct, subprocess, sys, tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import powercut_replay as pr  # noqa: E402

# The TAP writer the integration tests use (tests/integration/satmc_tap.py).
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../integration"))
from satmc_tap import check, finish  # noqa: E402


# Each sequence replaces the file "data" in the current directory (the watched one) with the
# bytes v, through the calls the shim must follow. d is an O_RDONLY fd on the directory.
CHILD = r'''
import ctypes, json, os, sys, time
libc = ctypes.CDLL(None, use_errno=True)   # the global namespace: the shim comes first
seq = sys.argv[1]
versions = json.loads(sys.argv[2])
d = os.open(".", os.O_RDONLY | os.O_DIRECTORY)
times = []

def write_file(name, v, flags=os.O_WRONLY | os.O_CREAT | os.O_TRUNC):
    fd = os.open(name, flags, 0o644, dir_fd=d)
    os.write(fd, v[:5])
    os.write(fd, v[5:])
    return fd

for v in versions:
    v = v.encode()
    sent = time.monotonic_ns()
    if seq == "right":
        fd = write_file("data.tmp", v)
        os.fsync(fd)
        os.close(fd)
        os.rename("data.tmp", "data", src_dir_fd=d, dst_dir_fd=d)
        os.fsync(d)
    elif seq == "tmpfile":
        fd = os.open(".", os.O_TMPFILE | os.O_WRONLY, 0o644)
        os.write(fd, v)
        os.fsync(fd)
        os.link("/proc/self/fd/%d" % fd, "data.new", dst_dir_fd=d, follow_symlinks=True)
        os.close(fd)
        os.rename("data.new", "data", src_dir_fd=d, dst_dir_fd=d)
        os.fsync(d)
    elif seq == "excl-renameat2":
        fd = write_file("data.tmp", v, os.O_WRONLY | os.O_CREAT | os.O_EXCL)
        os.fdatasync(fd)
        os.close(fd)
        if libc.renameat2(d, b"data.tmp", d, b"data", 0) != 0:
            raise OSError(ctypes.get_errno(), "renameat2")
        os.fsync(d)
    elif seq == "rename-before-fsync":
        fd = write_file("data.tmp", v)
        # Only the order of the rename and the data's fsync is wrong: the "synced" model
        # cannot see it (nothing is durable before both fsyncs), "metadata" must.
        os.rename("data.tmp", "data", src_dir_fd=d, dst_dir_fd=d)
        os.fsync(fd)
        os.close(fd)
        os.fsync(d)
    elif seq == "no-dir-fsync":
        fd = write_file("data.tmp", v)
        os.fsync(fd)
        os.close(fd)
        os.rename("data.tmp", "data", src_dir_fd=d, dst_dir_fd=d)
    elif seq == "in-place-no-fsync":
        fd = write_file("data", v)
        os.close(fd)
    times.append((sent, time.monotonic_ns()))
print(json.dumps(times))
'''


def run(seq, versions):
    """Run one sequence under the shim: (snapshot, records, [(sent, acked)])."""
    tmp = tempfile.mkdtemp(prefix="satmc-powercut-model-")
    state = os.path.join(tmp, "state")
    os.makedirs(state)
    with open(os.path.join(state, "data"), "w") as f:
        f.write(versions[0])
    log = os.path.join(tmp, "log")
    snap = pr.snapshot(state)
    env = dict(os.environ, LD_PRELOAD=os.environ["SATMC_POWERCUT_SHIM"],
               SATMC_POWERCUT_LOG=log, SATMC_POWERCUT_DIR=state)
    out = subprocess.run([sys.executable, "-c", CHILD, seq, json.dumps(versions[1:])],
                         cwd=state, env=env, capture_output=True, text=True, timeout=60)
    if out.returncode != 0:
        raise SystemExit("%s: child failed: %s" % (seq, out.stderr))
    times = json.loads(out.stdout)
    records = pr.read_log(log)
    shutil.rmtree(tmp)
    return snap, records, times


def losses(snap, records, times, versions, seed=1):
    """{model: [(k, record, what was found)]}: cut points where "data" is not one of the
    versions allowed: the last acknowledged, or a newer one already sent."""
    found = {m: [] for m in pr.MODELS}
    for k, t_cut, rec, model, view in pr.cuts(snap, records, seed=seed):
        acked = sum(1 for _, a in times if a < t_cut)
        sent = sum(1 for s, _ in times if s < t_cut)
        allowed = [v.encode() for v in versions[acked:sent + 1]]
        got = view.get("data")
        if got not in allowed:
            found[model].append((k, rec, got))
    return found


def record_ends(records):
    ends, pos = set(), 0
    for r in records:
        pos += pr.HEADER.size + len(r.name) + len(r.name2) + len(r.data)
        ends.add(pos)
    return ends


def main():
    versions = ["version zero, the original", "version one", "version two, longer than one",
                "v3"]
    ops = {}
    for seq, bad_models in (("right", ()), ("tmpfile", ()), ("excl-renameat2", ()),
                            ("rename-before-fsync", ("metadata", "torn")),
                            ("no-dir-fsync", ("synced",)),
                            ("in-place-no-fsync", pr.MODELS)):
        snap, records, times = run(seq, versions)
        ops[seq] = {pr.OP_NAMES[r.op] for r in records}
        found = losses(snap, records, times, versions)
        n = len(records) + 1
        for model in pr.MODELS:
            lost = found[model]
            example = ("; first at cut %d (before %s): found %r" % (
                lost[0][0], lost[0][1], lost[0][2])) if lost else ""
            if model in bad_models:
                check(lost, "%s: the %s model finds a lost acknowledged version (%d of %d cuts)%s"
                      % (seq, model, len(lost), n, example))
            else:
                check(not lost, "%s: the %s model finds nothing lost in %d cuts%s"
                      % (seq, model, n, example))

    # The shim saw every form it is meant to follow.
    check({"open", "write", "fsync", "close", "rename"} <= ops["right"],
          "right: open, write, fsync, close, rename logged (%s)" % sorted(ops["right"]))
    check({"link", "open"} <= ops["tmpfile"], "tmpfile: O_TMPFILE open and linkat logged")
    check({"fdatasync", "rename"} <= ops["excl-renameat2"],
          "excl-renameat2: fdatasync and renameat2 logged")

    # The torn model really tears: over many seeds, a file written in place without fsync is
    # found both empty and cut part-way.
    snap, records, times = run("in-place-no-fsync", versions)
    seen = set()
    for seed in range(20):
        for k, t_cut, rec, model, view in pr.cuts(snap, records, models=("torn",), seed=seed):
            got = view.get("data")
            if got == b"":
                seen.add("empty")
            elif got and not any(got == v.encode() for v in versions):
                seen.add("part")
    check(seen == {"empty", "part"}, "torn model: empty and part-way files both seen (%s)"
          % sorted(seen))

    # A damaged log is refused, never half-read: cut anywhere, or a record claiming more or
    # less than it holds.
    log = os.path.join(tempfile.mkdtemp(prefix="satmc-powercut-model-"), "log")
    snap, records, times = run("right", versions[:2])
    blob = b"".join(pr.HEADER.pack(pr.HEADER.size + len(r.name) + len(r.name2) + len(r.data),
                                   r.op, r.flags, r.time_ns, r.fd, r.arg, r.ino, r.ino2, r.dir,
                                   r.dir2, r.off, len(r.name), len(r.name2), len(r.data), r.tid, 0)
                    + r.name.encode() + r.name2.encode() + r.data for r in records)
    refused = 0
    for bad in [blob[:n] for n in range(1, len(blob), 7)] + \
               [blob[:at] + struct.pack("<I", size) + blob[at + 4:]
                for at in (0,) for size in (0, 1, pr.HEADER.size - 1, len(blob) + 1)]:
        with open(log, "wb") as f:
            f.write(bad)
        try:
            pr.read_log(log)
        except pr.LogError:
            refused += 1
    cut_points = len(range(1, len(blob), 7))
    # A cut exactly on a record boundary is a whole (shorter) log: not refused.
    boundaries = sum(1 for n in range(1, len(blob), 7) if n in record_ends(records))
    check(refused == cut_points - boundaries + 4, "damaged logs refused: %d of %d (%d cuts fell "
          "on a record boundary)" % (refused, cut_points + 4, boundaries))
    shutil.rmtree(os.path.dirname(log))

    # An operation the shim marks as unfollowable makes the replay refuse the log.
    r = records[0]
    r.op = pr.OP_UNSUPPORTED
    try:
        for _ in pr.cuts(snap, records):
            pass
        check(False, "a log with an unsupported call is refused")
    except pr.LogError as e:
        check(True, "a log with an unsupported call is refused (%s)" % e)

    finish()


if __name__ == "__main__":
    random.seed(0)
    main()
