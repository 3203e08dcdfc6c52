#!/usr/bin/env bash
# The adversarial suite in its long form: every test registered in the meson suite
# `adversarial` (README, "Attacking satmcd"), run with SATMC_SOAK=1 so each one scales up its
# own work (frames sent, power cuts, clients opened, ...), and a generous timeout multiplier.
# The short form of the same tests runs in every plain `meson test`.
#
# Usage: scripts/soak.sh [BUILD_DIR]       default build; set up with -Dwerror=true if missing
#   SOAK_TIMEOUT_MULTIPLIER   meson's --timeout-multiplier (default 50)
#   SOAK_TESTS                only these tests of the suite, space-separated (default: all)
#   SOAK_MEMORY_REQUESTS      also run bench/mem-soak.py for that many mixed requests (IPMB,
#                             ipmitool socket, NBD; 10000000 for issue 15's soak) on this build's
#                             satmcd, after the suite; its FAIL (memory above the bound or
#                             growing) counts as one failed test. IPMB_PEER_BENCH as for the bench.
# Exit status: the number of tests that failed or timed out (0: all passed; at most 250),
# 254 if the build or meson itself failed, 255 if the suite holds no test at all.
set -uo pipefail
cd "$(dirname "$0")/.."

build=${1:-build}
multiplier=${SOAK_TIMEOUT_MULTIPLIER:-50}

if [ ! -d "$build" ]; then
        meson setup "$build" -Dwerror=true || exit 254
fi
meson compile -C "$build" || exit 254

# Name what is about to run: the suite is found by name, so tests merged later join it.
mapfile -t tests < <(meson test -C "$build" --list --suite adversarial 2>/dev/null |
                     sed -n 's/^satmc:[^ ]* \/ //p')
if [ ${#tests[@]} -eq 0 ]; then
        echo "soak: no test in suite 'adversarial'" >&2
        exit 255
fi
if [ -n "${SOAK_TESTS:-}" ]; then
        read -r -a tests <<< "$SOAK_TESTS"
fi
echo "soak: SATMC_SOAK=1, timeout x$multiplier, ${#tests[@]} test(s): ${tests[*]}"

start=$(date +%s)
# One test at a time: each is a load of its own, and its timing should be its own.
SATMC_SOAK=1 meson test -C "$build" --suite adversarial --print-errorlogs --num-processes 1 \
        --timeout-multiplier "$multiplier" --logbase soak "${tests[@]}"
status=$?

# Count from meson's JSON log what passed and what did not, per test, in a plain closing line.
log="$build/meson-logs/soak.json"
if [ ! -f "$log" ]; then
        echo "soak: meson test failed to run (status $status)" >&2
        exit 254
fi
failed=$(python3 - "$log" "$(( $(date +%s) - start ))" <<'PY'
import json, sys
results = [json.loads(line) for line in open(sys.argv[1])]
bad = [r["name"] for r in results if r["result"] not in ("OK", "EXPECTEDFAIL", "SKIP")]
print("soak: %d test(s) in %s s: %d passed, %d failed%s" % (
    len(results), sys.argv[2], len(results) - len(bad), len(bad),
    (": " + ", ".join(bad)) if bad else ""), file=sys.stderr)
print(len(bad))
PY
)
[ -n "$failed" ] || exit 254

if [ -n "${SOAK_MEMORY_REQUESTS:-}" ]; then
        echo "soak: memory over $SOAK_MEMORY_REQUESTS mixed requests (bench/mem-soak.py)"
        if ! python3 bench/mem-soak.py --requests "$SOAK_MEMORY_REQUESTS" "$build/daemon/satmcd"; then
                echo "soak: memory soak failed" >&2
                failed=$((failed + 1))
        fi
fi
[ "$failed" -le 250 ] || failed=250
exit "$failed"
