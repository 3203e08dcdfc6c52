#!/usr/bin/env bash
# The Debian package, as a board builder gets it: build it with dpkg-buildpackage from a copy
# of this tree (the tree itself is left untouched), run lintian, check the file list, unpack it
# into a scratch root and check what postinst would do there (sysusers, tmpfiles) and the
# installed units (systemd-analyze verify --root). With --system it is also installed on this
# machine, checked, purged, and the machine checked for leftovers: only for a throwaway machine
# (CI), as root; it is skipped, saying why, when not root or when satmc or its paths are
# there already.
# Usage: tests/package/test-deb.sh [--system]
#   DEB_BUILD_OPTIONS is passed on (e.g. nocheck to skip the unit suite at build time);
#   SATMC_DEB_KEEP=1 keeps the work directory and prints where it is.
# Exit status: 0 passed, 77 skipped (no dpkg-buildpackage/debhelper/lintian), 1 failed.
set -euo pipefail

src=$(cd "$(dirname "$0")/../.." && pwd)
system=0
case "${1:-}" in
--system) system=1 ;;
"") ;;
*) echo "usage: $0 [--system]" >&2; exit 2 ;;
esac

for tool in dpkg-buildpackage dh lintian systemd-analyze; do
	if ! command -v "$tool" >/dev/null; then
		echo "SKIP: $tool not found (apt-get install dpkg-dev debhelper lintian systemd)"
		exit 77
	fi
done

failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
ok() { echo "ok: $*"; }

work=$(mktemp -d "${TMPDIR:-/tmp}/satmc-deb.XXXXXX")
cleanup() {
	if [ "${SATMC_DEB_KEEP:-0}" = 1 ]; then echo "kept: $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

version=$(sed -n '1s/^satmc (\([^)]*\)).*/\1/p' "$src/debian/changelog")
upstream=${version%-*}
tree="$work/satmc-$upstream"
mkdir -p "$tree"
# The files of the tree as it is (committed or not), without build directories or anything
# .gitignore names; a tree that is not a git checkout is copied without its build*/ folders.
if git -C "$src" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	git -C "$src" ls-files -z --cached --others --exclude-standard |
		tar -C "$src" --null --ignore-failed-read -T - -cf - | tar -C "$tree" -xf -
else
	tar -C "$src" --exclude='./build*' -cf - . | tar -C "$tree" -xf -
fi

echo "building satmc $version in $work"
build_log="$work/build.log"
start=$SECONDS
if ! (cd "$tree" && DEB_BUILD_OPTIONS="${DEB_BUILD_OPTIONS:-} parallel=$(nproc)" \
	dpkg-buildpackage -us -uc -b >"$build_log" 2>&1); then
	tail -n 60 "$build_log"
	echo "FAIL: dpkg-buildpackage (log above)"
	exit 1
fi
ok "dpkg-buildpackage -us -uc -b ($((SECONDS - start)) s)"
arch=$(dpkg-architecture -qDEB_HOST_ARCH)
deb="$work/satmc_${version}_${arch}.deb"
changes="$work/satmc_${version}_${arch}.changes"
[ -f "$deb" ] || { echo "FAIL: $deb not built"; exit 1; }
if grep -q '^Ok:' "$build_log"; then
	ok "unit suite at build time: $(grep -E '^(Ok|Fail|Skipped):' "$build_log" | tr -s ' ' | tr '\n' ' ')"
fi

# Errors and warnings both fail: each warning is fixed or overridden with its reason in
# debian/satmc.lintian-overrides. (As root lintian says root is not recommended; it works.)
if lintian --fail-on error,warning "$changes" >"$work/lintian.log" 2>&1; then
	ok "lintian: no errors or warnings"
else
	cat "$work/lintian.log"
	fail "lintian"
fi

# The file list: every path the board needs, and nothing outside the places it belongs.
dpkg-deb -c "$deb" | awk '{ print $6 }' | sed 's|^\./|/|; s|/$||' | grep -v '^$' >"$work/files"
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
required=(
	/usr/sbin/satmcd
	/usr/bin/satmc-i2c-bus /usr/bin/satmc-i2c-send /usr/bin/satmc-ipmb-bridge /usr/bin/satmc-ipmitool
	/usr/lib/sysusers.d/satmc.conf /usr/lib/tmpfiles.d/satmc.conf
	/usr/lib/udev/rules.d/60-satmc-ipmb.rules
	/usr/share/man/man8/satmcd.8.gz /usr/share/man/man5/satmcd.conf.5.gz
	/usr/share/doc/satmc/examples/board.ini /usr/share/doc/satmc/copyright
	/etc/satmc
)
for path in "${required[@]}"; do
	grep -qxF "$path" "$work/files" || fail "$path missing from the package"
done
units=(satmcd@.service satmcd-ipmitool@.socket satmcd-nbd@.socket)
for unit in "${units[@]}"; do
	grep -qxE "(/usr)?/lib/systemd/system/$unit" "$work/files" ||
		fail "$unit missing from the package"
done
# Every installed program has its man page, whatever installs it.
for prog in $(grep -E '^/usr/s?bin/.' "$work/files"); do
	name=$(basename "$prog")
	grep -qE "^/usr/share/man/man[18]/$name\.[18]\.gz$" "$work/files" ||
		fail "$prog has no man page in the package"
done
unexpected=$(grep -vE "^(/etc(/satmc)?|/lib(/systemd(/system(/.*)?)?)?|/usr(/s?bin(/.*)?)?|/usr/lib(/systemd(/system(/.*)?)?)?|/usr/lib/(sysusers|tmpfiles)\.d(/satmc\.conf)?|/usr/lib/udev(/rules\.d(/60-satmc-ipmb\.rules)?)?|/usr/lib/$multiarch(/satmc(/.*)?)?|/usr/share(/man(/.*)?)?|/usr/share/lintian(/overrides(/satmc)?)?|/usr/share/doc(/satmc(/.*)?)?)$" "$work/files" || true)
[ -z "$unexpected" ] || fail "paths outside where satmc belongs: $unexpected"
[ "$failures" -eq 0 ] && ok "file list: $(wc -l <"$work/files") paths, binaries, units, sysusers, tmpfiles, udev rule, man pages, examples"

# What the package's postinst runs must be there: the user before the directories it owns.
dpkg-deb -e "$deb" "$work/control"
grep -q 'systemd-sysusers.*satmc.conf' "$work/control/postinst" || fail "postinst does not run systemd-sysusers"
grep -q 'systemd-tmpfiles.*--create satmc.conf' "$work/control/postinst" || fail "postinst does not run systemd-tmpfiles"

# Scratch root: the package unpacked, plus the parts of a Debian system its units refer to
# (systemd's targets, /bin/kill of ExecReload=), so systemd-analyze checks the units against
# the installed files rather than against this machine.
root="$work/root"
dpkg -x "$deb" "$root"
mkdir -p "$root/usr/lib/systemd/system" "$root/bin" "$root/etc"
cp -a /lib/systemd/system/*.target "$root/usr/lib/systemd/system/"
cp /bin/kill "$root/bin/kill"
systemd-sysusers --root="$root" satmc.conf 2>"$work/sysusers.log" || cat "$work/sysusers.log"
systemd-tmpfiles --root="$root" --create satmc.conf || fail "systemd-tmpfiles --root --create"
if grep -q '^satmc:' "$root/etc/passwd" && grep -q '^satmc:' "$root/etc/group"; then
	ok "sysusers: user and group satmc"
else
	fail "systemd-sysusers --root did not create satmc"
fi
uid=$(awk -F: '$1 == "satmc" { print $3 }' "$root/etc/passwd")
state=$(stat -c '%a %u' "$root/var/lib/satmc" 2>/dev/null || true)
[ "$state" = "750 $uid" ] && ok "tmpfiles: /var/lib/satmc 0750 satmc" ||
	fail "tmpfiles: /var/lib/satmc is '$state', want '750 $uid'"
instances=(satmcd@ipmb-0.service satmcd-ipmitool@ipmb-0.socket satmcd-nbd@ipmb-0.socket)
# MANPATH: Documentation=man:... is checked against the package's own man pages.
if MANPATH="$root/usr/share/man" systemd-analyze verify --root="$root" "${instances[@]}" \
	>"$work/verify.log" 2>&1 && [ ! -s "$work/verify.log" ]; then
	ok "systemd-analyze verify --root: ${instances[*]}"
else
	cat "$work/verify.log"
	fail "systemd-analyze verify --root"
fi
# The packaged satmcd accepts the packaged example.
if "$root/usr/sbin/satmcd" --check-config --config "$root/usr/share/doc/satmc/examples/board.ini"; then
	ok "packaged satmcd --check-config accepts the packaged example"
else
	fail "packaged satmcd --check-config on examples/board.ini"
fi

# The machine must not have satmc already: the install would replace it and the purge
# would delete its state. Then the system part is skipped, saying why, not failed.
system_blocker=
if [ "$system" = 1 ]; then
	if [ "$(id -u)" -ne 0 ]; then
		system_blocker="not root"
	elif dpkg-query -W satmc >/dev/null 2>&1; then
		system_blocker="satmc is installed on this machine already"
	else
		for path in /var/lib/satmc /run/satmc /etc/satmc $(grep satmc "$work/files"); do
			if [ -e "$path" ]; then system_blocker="$path exists already"; break; fi
		done
	fi
	[ -z "$system_blocker" ] || echo "SKIP: install on this machine: $system_blocker"
fi

if [ "$system" = 1 ] && [ -z "$system_blocker" ]; then
	leftovers=(/var/lib/satmc /run/satmc /etc/satmc)
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$deb" \
		>"$work/install.log" 2>&1 || { cat "$work/install.log"; fail "apt-get install"; exit 1; }
	ok "installed on this machine"
	getent passwd satmc >/dev/null || fail "postinst did not create the satmc user"
	[ "$(stat -c '%a %U' /var/lib/satmc 2>/dev/null)" = "750 satmc" ] ||
		fail "postinst did not create /var/lib/satmc 0750 satmc"
	if MANPATH=/usr/share/man systemd-analyze verify "${instances[@]}" >"$work/verify-system.log" 2>&1 &&
		[ ! -s "$work/verify-system.log" ]; then
		ok "systemd-analyze verify of the installed units"
	else
		cat "$work/verify-system.log"
		fail "systemd-analyze verify of the installed units"
	fi
	satmcd --check-config --config /usr/share/doc/satmc/examples/board.ini ||
		fail "installed satmcd --check-config"
	before_purge=$failures
	dpkg --purge satmc >"$work/purge.log" 2>&1 || { cat "$work/purge.log"; fail "dpkg --purge"; }
	dpkg-query -W satmc >/dev/null 2>&1 && fail "satmc still known to dpkg after purge"
	for path in "${leftovers[@]}" $(grep satmc "$work/files"); do
		[ ! -e "$path" ] || fail "$path left after purge"
	done
	# Debian keeps system users on purge (files they owned may remain elsewhere).
	[ "$failures" -ne "$before_purge" ] || ok "purged; nothing left but the satmc user, which Debian keeps"
fi

if [ "$failures" -ne 0 ]; then
	echo "test-deb: $failures check(s) failed"
	exit 1
fi
echo "test-deb: passed"
