"""What a disk holds after a power cut, rebuilt from the power-cut shim's log.

The shim (powercut-shim.c, record format in powercut-log.h) logs every filesystem mutation
under one directory, in order, with its data. Replaying that log over the directory's contents
before the program started, this module answers, for every cut point k (the cut comes before
the k-th logged call returned): which files, with which bytes, would be found after power comes
back, under several disk models:

  "synced"   only what was made durable survives: a file's data as of its last fsync/fdatasync
             (or sync/syncfs), a directory's entries (creates, renames, links, unlinks) as of
             the directory's last fsync. Everything else is lost.
  "metadata" every directory change reaches the disk, but file data only as far as it was
             synced: a file renamed into place before its data was fsynced is found empty (the
             classic ext4 zero-length file after a rename without fsync).
  "torn"     every directory change reaches the disk, and of each file's unsynced writes an
             arbitrary (seeded random) prefix does, the last one possibly cut part-way.

Files are followed by inode, so a rename, a hard link or an O_TMPFILE linked in later carry the
data that was fsynced through any of their names."""
import os, random, struct

HEADER = struct.Struct("<IHHQiiQQQQqIIQII")
assert HEADER.size == 88

OP_OPEN, OP_WRITE, OP_TRUNCATE, OP_FSYNC, OP_FDATASYNC, OP_SYNCFS, OP_SYNC, OP_CLOSE, \
    OP_RENAME, OP_LINK, OP_UNLINK, OP_MKDIR, OP_UNSUPPORTED = range(1, 14)
OP_NAMES = {v: k[3:].lower() for k, v in globals().items() if k.startswith("OP_")}
F_CREATED, F_TMPFILE = 1, 2
RENAME_EXCHANGE = 2
O_ACCMODE, O_TRUNC = 3, 0o1000

MODELS = ("synced", "metadata", "torn")


class LogError(Exception):
    """The log shows something this model cannot follow."""


class Record:
    __slots__ = ("index", "op", "flags", "time_ns", "fd", "arg", "ino", "ino2", "dir", "dir2",
                 "off", "name", "name2", "data", "tid")

    def __str__(self):
        what = OP_NAMES.get(self.op, "op%d" % self.op)
        parts = ["#%d %s" % (self.index, what)]
        if self.name:
            parts.append(self.name)
        if self.name2:
            parts.append("-> " + self.name2)
        if self.ino:
            parts.append("ino %d" % self.ino)
        if self.op == OP_WRITE:
            parts.append("%d bytes at %d" % (len(self.data), self.off))
        if self.op == OP_TRUNCATE:
            parts.append("to %d" % self.off)
        return " ".join(parts)


def read_log(path):
    """Every record of a shim log, in order."""
    with open(path, "rb") as f:
        blob = f.read()
    records, pos = [], 0
    while pos + HEADER.size <= len(blob):
        (size, op, flags, time_ns, fd, arg, ino, ino2, d, d2, off, nlen, n2len, dlen, tid,
         _) = HEADER.unpack_from(blob, pos)
        if size != HEADER.size + nlen + n2len + dlen or pos + size > len(blob):
            raise LogError("record %d at byte %d is malformed" % (len(records), pos))
        r = Record()
        r.index, r.op, r.flags, r.time_ns, r.fd, r.arg = len(records), op, flags, time_ns, fd, arg
        r.ino, r.ino2, r.dir, r.dir2, r.off, r.tid = ino, ino2, d, d2, off, tid
        p = pos + HEADER.size
        r.name = blob[p:p + nlen].decode("utf-8", "surrogateescape")
        p += nlen
        r.name2 = blob[p:p + n2len].decode("utf-8", "surrogateescape")
        p += n2len
        r.data = blob[p:p + dlen]
        records.append(r)
        pos += size
    if pos != len(blob):
        raise LogError("%d stray bytes at the end of the log" % (len(blob) - pos))
    return records


class Node:
    """One inode: a file (data) or a directory (entries), and what of it is durable."""
    __slots__ = ("ino", "is_dir", "data", "durable", "pending", "entries", "durable_entries")

    def __init__(self, ino, is_dir, data=b"", durable=False):
        self.ino, self.is_dir = ino, is_dir
        self.data = bytearray(data)
        self.durable = bytes(data) if durable else b""
        self.pending = []               # (op, off, data) since the last fsync
        self.entries = {}
        self.durable_entries = {}

    def sync(self):
        if self.is_dir:
            self.durable_entries = dict(self.entries)
        else:
            self.durable = bytes(self.data)
            self.pending = []


def apply_data(buf, op):
    kind, off, data = op
    if kind == "trunc":
        del buf[off:]
        buf.extend(bytes(max(0, off - len(buf))))
    else:
        if len(buf) < off:
            buf.extend(bytes(off - len(buf)))
        buf[off:off + len(data)] = data


def snapshot(root):
    """The directory's contents and inode numbers, to be taken before the logged program
    starts: (ino, None for a directory or its bytes, {name: child} for a directory)."""
    st = os.lstat(root)
    if os.path.isdir(root):
        return (st.st_ino, None, {n: snapshot(os.path.join(root, n)) for n in os.listdir(root)})
    with open(root, "rb") as f:
        return (st.st_ino, f.read(), {})


class Replay:
    """Follows a log over a directory's starting contents (snapshot()); view(model) is the disk
    after a cut at the current position."""

    def __init__(self, snap, records):
        self.records = records
        self.pos = 0
        self.by_ino = {}
        self.root = self._load(snap)

    def _load(self, snap):
        ino, data, children = snap
        if data is None:
            node = Node(ino, True)
            node.entries = {n: self._load(c) for n, c in children.items()}
            node.durable_entries = dict(node.entries)
        else:
            node = Node(ino, False, data, durable=True)
        self.by_ino[ino] = node
        return node

    def _node(self, ino, r):
        node = self.by_ino.get(ino)
        if node is None:
            raise LogError("%s: inode %d is not one the model knows" % (r, ino))
        return node

    def _dir(self, ino, r):
        node = self._node(ino, r)
        if not node.is_dir:
            raise LogError("%s: inode %d is not a directory" % (r, ino))
        return node

    def step(self):
        """Apply the next record (the cut moves past it)."""
        r = self.records[self.pos]
        self.pos += 1
        if r.op == OP_OPEN:
            if r.flags & (F_CREATED | F_TMPFILE):
                node = Node(r.ino, False)
                self.by_ino[r.ino] = node
                if r.flags & F_CREATED:
                    self._dir(r.dir, r).entries[r.name] = node
            else:
                node = self._node(r.ino, r)
                # A directory may be opened as "." or through a longer path: only files'
                # names are checked.
                if not node.is_dir and r.dir and self._dir(r.dir, r).entries.get(r.name) is not node:
                    raise LogError("%s: the model has another file under that name" % r)
            if not node.is_dir and r.arg & O_TRUNC and r.arg & O_ACCMODE:
                op = ("trunc", 0, b"")
                apply_data(node.data, op)
                node.pending.append(op)
        elif r.op in (OP_WRITE, OP_TRUNCATE):
            node = self._node(r.ino, r)
            op = ("write", r.off, r.data) if r.op == OP_WRITE else ("trunc", r.off, b"")
            apply_data(node.data, op)
            node.pending.append(op)
        elif r.op in (OP_FSYNC, OP_FDATASYNC):
            self._node(r.ino, r).sync()
        elif r.op in (OP_SYNC, OP_SYNCFS):
            for node in self.by_ino.values():
                node.sync()
        elif r.op == OP_RENAME:
            if not r.dir:
                raise LogError("%s: a file moved in from outside the watched directory" % r)
            src = self._dir(r.dir, r)
            node = src.entries.get(r.name)
            if node is None:
                raise LogError("%s: the model has no such name" % r)
            if r.arg & RENAME_EXCHANGE:
                dst = self._dir(r.dir2, r)
                src.entries[r.name], dst.entries[r.name2] = dst.entries[r.name2], node
            else:
                del src.entries[r.name]
                if r.dir2:
                    self._dir(r.dir2, r).entries[r.name2] = node
                if r.ino and node.ino != r.ino:
                    raise LogError("%s: the model moved inode %d" % (r, node.ino))
        elif r.op == OP_LINK:
            self._dir(r.dir2, r).entries[r.name2] = self._node(r.ino, r)
        elif r.op == OP_UNLINK:
            if self._dir(r.dir, r).entries.pop(r.name, None) is None:
                raise LogError("%s: the model has no such name" % r)
        elif r.op == OP_MKDIR:
            node = Node(r.ino, True)
            self.by_ino[r.ino] = node
            self._dir(r.dir, r).entries[r.name] = node
        elif r.op == OP_CLOSE:
            pass
        else:
            raise LogError("%s: %s" % (r, r.name2 or "the shim could not follow this call"))

    def view(self, model, rng=None):
        """{relative path: bytes} for files, with directories as None: the disk after a cut
        here under model (MODELS). rng (random.Random) picks the "torn" model's prefixes."""
        out = {}

        def data_of(node):
            if model != "torn" or not node.pending:
                return node.durable
            buf = bytearray(node.durable)
            keep = rng.randint(0, len(node.pending))
            for op in node.pending[:keep]:
                apply_data(buf, op)
            if keep < len(node.pending) and node.pending[keep][0] == "write":
                kind, off, data = node.pending[keep]
                apply_data(buf, (kind, off, data[:rng.randint(0, len(data))]))
            return bytes(buf)

        def walk(node, prefix, seen):
            entries = node.durable_entries if model == "synced" else node.entries
            for name in sorted(entries):
                child, path = entries[name], prefix + name
                if child.is_dir:
                    out[path] = None
                    if child.ino not in seen:
                        walk(child, path + "/", seen | {child.ino})
                else:
                    out[path] = data_of(child)
        walk(self.root, "", {self.root.ino})
        return out

    def cut_time(self):
        """The time before which an acknowledgement counts for a cut here: the moment the next
        logged call returned (its effect is not on disk); after the last, any time."""
        return self.records[self.pos].time_ns if self.pos < len(self.records) else float("inf")

    def next_record(self):
        return self.records[self.pos] if self.pos < len(self.records) else None


def cuts(snap, records, models=MODELS, seed=0):
    """(k, cut time ns, the record the cut precedes or None, model, view) for every cut point
    k = 0..len(records) and every model, over the starting contents snap (snapshot())."""
    rp = Replay(snap, records)
    rng = random.Random(seed)
    for k in range(len(records) + 1):
        for model in models:
            yield k, rp.cut_time(), rp.next_record(), model, rp.view(model, rng)
        if k < len(records):
            rp.step()


def materialize(view, dest):
    """Write a view into the (empty) directory dest."""
    for path in sorted(view):
        p = os.path.join(dest, path)
        if view[path] is None:
            os.makedirs(p, exist_ok=True)
        else:
            os.makedirs(os.path.dirname(p), exist_ok=True)
            with open(p, "wb") as f:
                f.write(view[path])


def view_key(view):
    return tuple(sorted(view.items(), key=lambda kv: kv[0]))
