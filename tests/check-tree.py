#!/usr/bin/env python3
"""Keeps three kinds of rot out of the tree, as TAP points (tests/integration/satmc_tap.py):

- Functions nobody calls that the compiler cannot flag: a `static inline` function in a header
  (-Wunused-function stays silent about those), and a function declared in a header whose name
  appears nowhere but in its declaration and its definition.
- Comments that promise work instead of describing the code: TODO, FIXME, XXX, "(later)".
- A typedef for a struct or union: every type is `struct snake_case` (docs/architecture.md,
  "Naming"); typedefs of function pointers stay.

Reads the files git tracks under SATMC_SOURCE_ROOT (or this script's ../), so it sees exactly
what is committed plus local edits, never build output. Plain text matching, no compiler: the
same tree gives the same answer on every machine."""
import os, re, subprocess, sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "integration"))
from satmc_tap import check, finish, note, skip_all  # noqa: E402

ROOT = os.environ.get("SATMC_SOURCE_ROOT", os.path.join(HERE, ".."))
# Functions called by something other than C code in the tree: the dynamic linker (LD_PRELOAD
# interposers), libFuzzer, the -Wl,--wrap mechanism.
EXTERNAL = re.compile(r"^(main|LLVMFuzzer\w+|__wrap_\w+|__real_\w+)$")
PROMISE = re.compile(r"\b(TODO|FIXME|XXX)\b|(?<!\w)\(later\)")
C_COMMENT = re.compile(r"/\*.*?\*/|//[^\n]*", re.S)
C_STRING = re.compile(r'"(?:\\.|[^"\\\n])*"')
WORD = re.compile(r"\b[A-Za-z_]\w*\b")
# A header declaration starts a line: a return type and a name followed by "(". Lines starting
# with whitespace, '#', '}', 'typedef', 'struct x {' or a comment are not declarations.
HEADER_DECL = re.compile(r"^(?!static\b|typedef\b|extern\s+\"C\")(?:[A-Za-z_][\w\s]*?[\s*]+)"
                         r"([a-z_]\w*)\s*\(", re.M)
TYPEDEF_STRUCT = re.compile(r"\btypedef\s+(?:struct|union)\b")
HEADER_INLINE = re.compile(r"^static\s+inline\s+[^(;{]*?\b([A-Za-z_]\w*)\s*\(", re.M)


def tracked(*patterns):
    r = subprocess.run(["git", "-C", ROOT, "ls-files", "-z", "--", *patterns],
                       capture_output=True, text=True)
    if r.returncode != 0:
        return None
    return [f for f in r.stdout.split("\0") if f and os.path.exists(os.path.join(ROOT, f))]


def read(path):
    with open(os.path.join(ROOT, path), errors="replace") as f:
        return f.read()


def main():
    sources = tracked("*.c", "*.h")
    if sources is None:
        skip_all("not a git checkout: nothing tells tracked files from build output")
    code = {f: C_STRING.sub('""', C_COMMENT.sub(" ", read(f))) for f in sources}
    uses = {}
    for text in code.values():
        for w in WORD.findall(text):
            uses[w] = uses.get(w, 0) + 1

    for h in sorted(f for f in sources if f.endswith(".h")):
        unused = [name + "() (static inline)" for name in HEADER_INLINE.findall(code[h])
                  if uses.get(name, 0) <= 1]
        unused += [name + "() (declared and defined, never called)"
                   for name in HEADER_DECL.findall(code[h])
                   if not EXTERNAL.match(name) and uses.get(name, 0) <= 2]
        for u in unused:
            note("%s: %s" % (h, u))
        check(not unused, "%s: every function it offers is used" % h)

    typedefs = 0
    for f in sorted(sources):
        # Comments blanked but their newlines kept, so that the line numbers are the file's.
        lines = C_COMMENT.sub(lambda m: "\n" * m.group(0).count("\n") + " ", read(f))
        for n, line in enumerate(C_STRING.sub('""', lines).splitlines(), 1):
            if TYPEDEF_STRUCT.search(line):
                note("%s:%d: %s" % (f, n, line.strip()))
                typedefs += 1
    check(typedefs == 0, "no typedef of a struct or union: types are struct snake_case (%d found)"
          % typedefs)

    texts = tracked("*.c", "*.h", "*.py", "*.sh", "meson.build", "*.ini", "*.md")
    me = os.path.relpath(os.path.abspath(__file__), os.path.abspath(ROOT))
    promises = 0
    for f in texts:
        if f == me:
            continue
        for n, line in enumerate(read(f).splitlines(), 1):
            if PROMISE.search(line):
                note("%s:%d: %s" % (f, n, line.strip()))
                promises += 1
    check(promises == 0, "no TODO, FIXME, XXX or \"(later)\" in the tree (%d found)" % promises)
    finish()


if __name__ == "__main__":
    main()
