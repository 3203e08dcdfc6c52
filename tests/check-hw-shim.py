#!/usr/bin/env python3
"""Every libgpiod function satmcd calls is one that the integration tests' hardware shim answers
(tests/harness/satmc-hw-shim-gpiod1.c or -gpiod2.c). Under LD_PRELOAD the shim replaces
libgpiod's symbols and links none of the library, so a call it does not define would reach the
real libgpiod with one of the shim's own structs and fail far from its cause: here it fails by
name instead. TAP, a point per function.

Usage: check-hw-shim.py SATMCD SHIM"""
import os, subprocess, sys


def dynamic_symbols(path, which):
    """The names of the dynamic symbols of path: which is "--undefined-only" or
    "--defined-only"."""
    nm = os.environ.get("NM", "nm")
    out = subprocess.run([nm, "-D", which, path], capture_output=True, text=True, check=True)
    return {line.split()[-1].split("@")[0] for line in out.stdout.splitlines() if line.strip()}


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    satmcd, shim = sys.argv[1:]
    called = sorted(s for s in dynamic_symbols(satmcd, "--undefined-only")
                    if s.startswith("gpiod_"))
    faked = dynamic_symbols(shim, "--defined-only")
    print("1..%d" % (len(called) + 1))
    print("%s 1 - satmcd calls libgpiod (%d functions)" % ("ok" if called else "not ok",
                                                           len(called)))
    for n, name in enumerate(called, start=2):
        print("%s %d - %s is faked by %s" % ("ok" if name in faked else "not ok", n, name,
                                             os.path.basename(shim)))


main()
