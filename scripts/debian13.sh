#!/usr/bin/env bash
# satmc on Debian 13 (trixie) from a Debian 12 machine: a minimal trixie root made by debootstrap,
# a clone of this tree's committed HEAD in it, scripts/setup.sh run there (so Debian 13's own
# packages: libgpiod 2.x, clang 19, OpenIPMI 2.0.37, Python 3.13, ...), then the gcc -Werror
# build and the unit and integration suites. Their log lands in build-debian13/meson-logs/ here,
# where scripts/test.sh's summary counts it. A fresh root catches what Debian 13 changed:
# setup.sh's package names, the libgpiod 2 build, ipmi_sim 2.0.37's answers.
#
# The root lives under the user's cache directory and is made once (delete it to start over).
# Everything mounted for the chroot is mounted in a mount namespace of its own, so it goes away
# with this script however it ends. Needs root (it runs itself with sudo otherwise) and the
# network.
# Usage: scripts/debian13.sh
set -euo pipefail
# debootstrap, chroot and the mounts need root: as the README's other commands, sudo otherwise.
[ "$(id -u)" -eq 0 ] || exec sudo -- "$0" "$@"
cd "$(dirname "$0")/.."
command -v debootstrap >/dev/null ||
        { echo "debian13.sh: debootstrap missing (scripts/setup.sh installs it)" >&2; exit 1; }

root=${XDG_CACHE_HOME:-$HOME/.cache}/satmc/trixie
if [ ! -x "$root/usr/bin/apt-get" ] || [ ! -f "$root/.satmc-complete" ]; then
        rm -rf "$root"
        mkdir -p "$root"
        debootstrap --variant=minbase trixie "$root" http://deb.debian.org/debian
        touch "$root/.satmc-complete"
fi
cp /etc/resolv.conf "$root/etc/resolv.conf"

# A new clone of HEAD each run: what is committed is what is tested, as in CI.
rm -rf "$root/root/satmc"
git clone -q --no-hardlinks "$PWD" "$root/root/satmc"

# The root is bind-mounted onto itself, so that inside the chroot "/" is a mount point: the
# tests that make a private mount namespace (test-journal, test-hpm-disk-full) need one.
status=0
unshare --mount --propagation private bash -euo pipefail -c '
        root=$1
        mount --bind "$root" "$root"
        mount -t proc proc "$root/proc"
        mount --rbind /dev "$root/dev"
        mount --rbind /sys "$root/sys"
        mount -t tmpfs tmpfs "$root/tmp"
        chroot "$root" /usr/bin/env -i HOME=/root PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 \
                bash -euo pipefail -c "
                        cd /root/satmc
                        . /etc/os-release && echo \"debian13.sh: \$PRETTY_NAME\"
                        apt-get update -q
                        scripts/setup.sh
                        meson setup build -Dwerror=true
                        meson compile -C build
                        meson test -C build --print-errorlogs"
' bash "$root" || status=$?

mkdir -p build-debian13/meson-logs
cp "$root/root/satmc/build/meson-logs/testlog.json" build-debian13/meson-logs/ 2>/dev/null ||
        { echo "debian13.sh: the suites left no log" >&2; [ $status -ne 0 ] || status=1; }
exit $status
