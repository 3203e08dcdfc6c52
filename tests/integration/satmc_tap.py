"""TAP output for satmc's Python tests (meson runs them with `protocol : 'tap'`).

Each check() is one numbered test point, `ok N - what` or `not ok N - what`; skip() is a test point
`ok N - what # SKIP reason`, so meson counts it as skipped rather than passed; finish() prints the
plan `1..N` (a trailing plan: a test does not know beforehand how many checks its rig allows) and
exits 0: the verdict is in the `not ok` lines, and meson reports a test with one as FAIL. A
non-zero exit is kept for a test that broke (an exception, a SystemExit with a message, a rig that
never came up): meson reports that as ERROR, so a failed check and a broken test read differently.
A test that cannot run at all calls skip_all(reason): `1..0 # SKIP
reason`, exit 0 (under the TAP protocol meson takes exit 77 for an error, not a skip).

Everything else a test prints to stdout is a diagnostic: sys.stdout is replaced by a writer that
puts `# ` in front of every line, so a print() can never be mistaken for a test point, or make
meson warn about lines it does not understand. A test that dies (an exception, SystemExit with a
message) exits non-zero and meson reports it as an error whatever it printed before."""
import sys

results = {"passed": 0, "failed": 0, "skipped": 0}
_tap = sys.__stdout__
_points = 0


class _Diagnostics:
    """sys.stdout for the test: whole lines, each as a TAP diagnostic."""

    def __init__(self):
        self.pending = ""

    def write(self, text):
        self.pending += text
        *lines, self.pending = self.pending.split("\n")
        for line in lines:
            _tap.write(("# " + line).rstrip() + "\n")
        return len(text)

    def flush(self):
        if self.pending:
            self.write("\n")
        _tap.flush()

    def isatty(self):
        return False


sys.stdout = _Diagnostics()


def _point(line):
    global _points
    sys.stdout.flush()
    _points += 1
    _tap.write(line % _points + "\n")
    _tap.flush()


def _describe(what):
    # A '#' would start a TAP directive, a newline a new line: neither may end the description.
    return " ".join(str(what).split()).replace("#", "\\#")


def check(cond, what):
    """One test point: passes if cond is true. Returns cond."""
    results["passed" if cond else "failed"] += 1
    _point(("ok %d - " if cond else "not ok %d - ") + _describe(what).replace("%", "%%"))
    return cond


def skip(what, reason):
    """One test point that could not be run here, and why."""
    results["skipped"] += 1
    _point("ok %d - " + (_describe(what) + " # SKIP " + _describe(reason)).replace("%", "%%"))


def note(text):
    """Diagnostic lines (`# ...`): what a reader of the log needs to make sense of the checks."""
    print(text, flush=True)


def skip_all(reason):
    """The whole test cannot run here (a tool, a library or a privilege is missing)."""
    if _points:
        skip("the rest of this test", reason)
        finish()
    sys.stdout.flush()
    _tap.write("1..0 # SKIP " + _describe(reason) + "\n")
    _tap.flush()
    sys.exit(0)


def finish():
    """The plan line, a summary diagnostic, and exit 0 (see the module's docstring)."""
    sys.stdout.flush()
    if not _points:
        skip_all("no check could run here")
    _tap.write("1..%d\n" % _points)
    _tap.write("# %d passed, %d failed, %d skipped\n"
               % (results["passed"], results["failed"], results["skipped"]))
    _tap.flush()
    sys.exit(0)
