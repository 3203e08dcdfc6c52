#!/usr/bin/env bash
# Install every Debian package satmc needs to build, run the demo and run the tests (Debian 12
# and 13).
# Idempotent: packages already present are skipped, so a second run costs one dpkg query.
# Usage: scripts/setup.sh     (run as root, or with sudo available)
set -euo pipefail

packages=(
        # build
        meson ninja-build pkg-config gcc clang
        libsystemd-dev libinih-dev libgpiod-dev libi2c-dev libcmocka-dev libjson-c-dev libgnutls28-dev
        # tests/check-tree.py lists the tracked sources with git
        git
        # tests and demo: real clients and peers
        python3 ipmitool tshark valgrind openipmi gpiod systemd strace man-db procps
        libnbd-bin python3-libnbd nbdkit qemu-utils fuse3
        # NBD TLS keys and certificates in the tests (psktool, certtool)
        gnutls-bin
        # BMC-side software written by others: python-ipmi (test-pyipmi), FreeIPMI (test-freeipmi)
        python3-pyipmi freeipmi-tools libfreeipmi-dev
        # the Debian package and its test (tests/package/test-deb.sh); dpkg-buildpackage
        # requires build-essential, which a minimal system (debootstrap minbase) lacks
        dpkg-dev debhelper fakeroot lintian build-essential
        # tests/check-recipes.py: the Buildroot Config.in parsed as Kconfig
        python3-kconfiglib
        # scripts/debian13.sh: a Debian 13 root for the suites
        debootstrap
)

# The packages whose names depend on the release, one per line; nothing while apt has no
# package lists yet (a fresh machine):
# - the fuzzers' and sanitizers' runtime of the clang the distribution defaults to: clang-14 on
#   Debian 12, clang-19 on 13;
# - systemd.pc, which debian/rules reads: in systemd on Debian 12, in systemd-dev from 13 on
#   (the package's "Build-Depends: systemd-dev | systemd" is met by systemd alone).
release_packages() {
        apt-cache depends clang 2>/dev/null |
                sed -n 's/^ *Depends: clang-\([0-9][0-9]*\)$/libclang-rt-\1-dev/p' | head -n 1
        apt-cache show systemd-dev >/dev/null 2>&1 && echo systemd-dev
        return 0
}
by_release=$(release_packages)
[ -z "$by_release" ] || packages+=($by_release)    # one word per package

missing=()
for p in "${packages[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && [ -n "$by_release" ] && exit 0

sudo=
[ "$(id -u)" -eq 0 ] || sudo=sudo
echo "setup: installing ${missing[*]}" >&2
# wireshark-common asks whether non-root users may capture; the tests only read pcap files.
echo "wireshark-common wireshark-common/install-setuid boolean false" | $sudo debconf-set-selections
export DEBIAN_FRONTEND=noninteractive
# A mirror caught mid-sync fails one index ("File has unexpected size"): go on with the
# indexes there are; the install below fails by itself if a package really is missing.
$sudo apt-get update -q || echo "setup: apt-get update reported errors; installing anyway" >&2
if [ -z "$by_release" ]; then
        by_release=$(release_packages)
        [ -n "$by_release" ] || { echo "setup: apt knows no clang package to take its runtime from" >&2; exit 1; }
        for p in $by_release; do
                dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
                        missing+=("$p")
        done
fi
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
