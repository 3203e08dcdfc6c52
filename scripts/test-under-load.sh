#!/bin/sh
# The unit + integration suites on a busy machine (issue 15 item 6): one core spinning and a
# neighbour writing 64 MiB with fsync in a loop on the same file system as the build tree,
# RUNS times; prints one line per run and the failing tests' names.
#
#   scripts/test-under-load.sh [-n RUNS] [BUILDDIR] [-- extra meson test arguments]
set -eu

runs=5
while getopts n: opt; do
	case $opt in
	n) runs=$OPTARG ;;
	*) echo "usage: $0 [-n RUNS] [BUILDDIR] [-- meson test args]" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
builddir=build
if [ $# -gt 0 ] && [ "$1" != "--" ]; then
	builddir=$1
	shift
fi
[ "${1:-}" = "--" ] && shift

scratch=$(mktemp -d "$builddir/under-load.XXXXXX")
pids=""
stop() {
	for p in $pids; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$scratch"
}
trap stop EXIT INT TERM

# One core spinning.
sh -c 'while :; do :; done' &
pids="$pids $!"
# A neighbour writing 64 MiB with fsync, over and over, on the build tree's file system.
sh -c "while :; do dd if=/dev/zero of='$scratch/neighbour' bs=1M count=64 conv=fsync status=none; done" &
pids="$pids $!"

failed_runs=0
i=1
while [ "$i" -le "$runs" ]; do
	start=$(date +%s)
	if meson test -C "$builddir" --suite unit --suite integration --num-processes 2 "$@" \
		>"$scratch/run.log" 2>&1; then
		result=pass
	else
		result=FAIL
		failed_runs=$((failed_runs + 1))
	fi
	end=$(date +%s)
	echo "run $i/$runs: $result in $((end - start)) s, load $(cut -d' ' -f1-3 /proc/loadavg)"
	grep -E '^ *[0-9]+/[0-9]+ .*(FAIL|TIMEOUT|ERROR)' "$scratch/run.log" || true
	[ "$result" = FAIL ] && cp "$builddir/meson-logs/testlog.txt" "$builddir/under-load-run$i.txt"
	i=$((i + 1))
done
echo "$((runs - failed_runs)) of $runs runs passed"
[ "$failed_runs" -eq 0 ]
