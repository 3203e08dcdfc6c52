#!/usr/bin/env bash
# Install what is needed, build, and run every test satmc has:
#   1. gcc, -Wall -Wextra -Werror: unit + integration suites, fuzz corpora replayed;
#   2. the unit suite again under valgrind, and the integration suite with satmcd under valgrind;
#   3. clang with ASan+UBSan: every suite again;
#   4. clang with libFuzzer: each fuzz target runs briefly from its corpus (FUZZ_SECONDS, 10);
#   5. the Debian package: built from a copy of the tree, lintian, file list, installed on this
#      machine (CI's is thrown away afterwards), units verified, purged;
#   6. armhf (32-bit ARM) cross build, -Werror, and its unit suite under qemu-user: the short
#      form of scripts/cross.sh, which runs the full matrix (arm64, armhf, big-endian s390x);
#   7. on a Debian 12 machine, Debian 13 in a chroot (scripts/debian13.sh): its packages, the
#      gcc -Werror build, unit + integration suites.
# Usage: scripts/test.sh            (CI runs exactly this)
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh

step() { printf '\n==== %s\n' "$*"; }

step "gcc build, -Werror"
[ -d build ] || meson setup build -Dwerror=true
meson compile -C build
step "unit + integration suites"
meson test -C build --print-errorlogs

step "unit suite under valgrind"
meson test -C build --setup=valgrind --suite unit --print-errorlogs
step "integration suite with satmcd under valgrind"
meson test -C build --setup=vgdaemon --suite integration --print-errorlogs

step "clang ASan+UBSan build, every suite"
[ -d build-asan ] || CC=clang meson setup build-asan -Dwerror=true \
        -Db_sanitize=address,undefined -Db_lundef=false
meson compile -C build-asan
meson test -C build-asan --setup=asan --print-errorlogs

step "libgpiod 2.x (on Debian 12: bookworm-backports beside the system's 1.6): build -Werror, unit + integration suites"
scripts/libgpiod2.sh

step "libFuzzer smoke run"
scripts/fuzz.sh "${FUZZ_SECONDS:-10}"

step "Debian package"
# Its own build, its own unit-suite run: about 1 to 2 minutes. Not a meson test, so that it runs
# once rather than once per build directory; --system installs and purges on this machine.
deb_status=0
tests/package/test-deb.sh --system || deb_status=$?
case $deb_status in
0) export SATMC_DEB_RESULT=passed ;;
77) export SATMC_DEB_RESULT=skipped ;;
*) exit "$deb_status" ;;
esac

step "armhf cross build, unit suite under qemu-user"
# Installs its cross compiler and :armhf libraries itself (about 2 to 4 minutes in all).
scripts/cross.sh --short

if [ "$(. /etc/os-release && echo "$VERSION_ID")" = 12 ]; then
        step "Debian 13 in a chroot: its packages, build -Werror, unit + integration suites"
        scripts/debian13.sh
fi

step "summary"
# One closing line over every stage's results, in the plain form CI reads.
python3 - <<'PY'
import glob, json, os
counts = {"passed": 0, "failed": 0, "skipped": 0}
for log in sorted(glob.glob("build*/meson-logs/testlog*.json")):
    for line in open(log):
        result = json.loads(line)["result"]
        key = {"OK": "passed", "EXPECTEDFAIL": "passed", "SKIP": "skipped"}.get(result, "failed")
        counts[key] += 1
counts[os.environ["SATMC_DEB_RESULT"]] += 1   # the Debian package stage, one test
print("tests: %(passed)d passed, %(failed)d failed, %(skipped)d skipped" % counts)
PY
