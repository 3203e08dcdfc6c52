#!/usr/bin/env bash
# Build every libFuzzer target with clang (ASan+UBSan) and fuzz each for a while, starting from
# its checked-in corpus. New inputs go to a scratch copy; a crash leaves its reproducer in
# build-fuzz/crashes/ and fails the run. Promote interesting inputs into tests/fuzz/corpus/ by
# hand so the gcc build replays them.
# Usage: scripts/fuzz.sh [SECONDS_PER_TARGET]     (default 10)
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-10}
[ -d build-fuzz ] || CC=clang meson setup build-fuzz -Dfuzzing=true -Dtests=false \
        -Db_sanitize=address,undefined -Db_lundef=false -Dwerror=true >/dev/null
meson compile -C build-fuzz >/dev/null

mkdir -p build-fuzz/crashes
status=0
for src in tests/fuzz/fuzz-*.c; do
        name=$(basename "$src" .c)
        [ "$name" = fuzz-replay ] && continue
        corpus=tests/fuzz/corpus/${name#fuzz-}
        scratch=build-fuzz/corpus/${name#fuzz-}
        mkdir -p "$scratch"
        cp -n "$corpus"/* "$scratch"/ 2>/dev/null || true
        printf '%-18s ' "$name"
        if UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
           "build-fuzz/tests/fuzz/$name" -max_total_time="$seconds" -print_final_stats=1 \
                -artifact_prefix=build-fuzz/crashes/"$name"- "$scratch" \
                >build-fuzz/"$name".log 2>&1; then
                runs=$(sed -n 's/^stat::number_of_executed_units: *//p' build-fuzz/"$name".log)
                echo "ok, ${runs:-?} runs, corpus $(ls "$scratch" | wc -l) inputs"
        else
                echo "FAILED (build-fuzz/$name.log)"
                tail -30 build-fuzz/"$name".log
                status=1
        fi
done
exit $status
