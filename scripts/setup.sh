#!/usr/bin/env bash
# Install every Debian 12 package satmc needs to build, run the demo and run the tests.
# Idempotent: packages already present are skipped, so a second run costs one dpkg query.
# Usage: scripts/setup.sh     (run as root, or with sudo available)
set -euo pipefail

packages=(
        # build
        meson ninja-build pkg-config gcc clang libclang-rt-14-dev
        libsystemd-dev libinih-dev libgpiod-dev libi2c-dev libcmocka-dev libjson-c-dev libgnutls28-dev
        # tests and demo: real clients and peers
        python3 ipmitool tshark valgrind openipmi gpiod systemd strace man-db procps
        libnbd-bin python3-libnbd nbdkit qemu-utils fuse3
        # NBD TLS keys and certificates in the tests (psktool, certtool)
        gnutls-bin
        # BMC-side software written by others: python-ipmi (test-pyipmi), FreeIPMI (test-freeipmi)
        python3-pyipmi freeipmi-tools libfreeipmi-dev
        # the Debian package and its test (tests/package/test-deb.sh)
        dpkg-dev debhelper fakeroot lintian
        # tests/check-recipes.py: the Buildroot Config.in parsed as Kconfig
        python3-kconfiglib
)

missing=()
for p in "${packages[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=
[ "$(id -u)" -eq 0 ] || sudo=sudo
echo "setup: installing ${missing[*]}" >&2
# wireshark-common asks whether non-root users may capture; the tests only read pcap files.
echo "wireshark-common wireshark-common/install-setuid boolean false" | $sudo debconf-set-selections
export DEBIAN_FRONTEND=noninteractive
# A mirror caught mid-sync fails one index ("File has unexpected size"): go on with the
# indexes there are; the install below fails by itself if a package really is missing.
$sudo apt-get update -q || echo "setup: apt-get update reported errors; installing anyway" >&2
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
