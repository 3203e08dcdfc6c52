#!/usr/bin/env bash
# satmc on the architectures its boards use, built with Debian 12's cross compilers and multiarch
# libraries and tested under qemu-user (no binfmt needed: cross/*.ini name qemu as exe_wrapper).
#   arm64   aarch64-linux-gnu: whole tree -Werror, unit suite, the integration tests that need
#           no x86-64 peer (not_emulated() says which do not), Debian's arm64 ipmitool under
#           qemu talking to an arm64 satmcd through the dummy socket
#   armhf   arm-linux-gnueabihf (32-bit: ILP32, 32-bit time_t): the same
#   s390x   big-endian: protocol/ and its unit tests alone (-Dprotocol_only=true)
# Installs what it needs (idempotent): the foreign architectures, cross gcc, qemu-user-static,
# the -dev libraries as :arm64/:armhf, and the target's ipmitool unpacked under
# /opt/satmc-cross/ARCH (Debian's ipmitool and libfreeipmi17 are not Multi-Arch: same, so they
# cannot be installed beside the native ones). docs/cross-builds.md has the results.
# Usage: scripts/cross.sh [--short | --install-only] [arm64|armhf|s390x ...]   (default: all)
#   --short         CI's stage: armhf, build and unit suite only
#   --install-only  install for the named architectures, build nothing
set -euo pipefail
cd "$(dirname "$0")/.."

short=0 install_only=0 arches=()
for a in "$@"; do
        case $a in
        --short) short=1 ;;
        --install-only) install_only=1 ;;
        arm64|armhf|s390x) arches+=("$a") ;;
        *) echo "usage: $0 [--short | --install-only] [arm64|armhf|s390x ...]" >&2; exit 2 ;;
        esac
done
[ ${#arches[@]} -gt 0 ] || { [ $short -eq 1 ] && arches=(armhf) || arches=(arm64 armhf s390x); }

triplet() {
        case $1 in
        arm64) echo aarch64-linux-gnu ;;
        armhf) echo arm-linux-gnueabihf ;;
        s390x) echo s390x-linux-gnu ;;
        esac
}
qemu_of() {
        case $1 in
        arm64) echo qemu-aarch64-static ;;
        armhf) echo qemu-arm-static ;;
        s390x) echo qemu-s390x-static ;;
        esac
}

sudo=
[ "$(id -u)" -eq 0 ] || sudo=sudo
export DEBIAN_FRONTEND=noninteractive

# A library package by the name this release gives it: Debian 13's 64-bit time_t transition
# renamed many (libssl3 is libssl3t64 there), Debian 12 has only the old names.
library_for() {
        local name=$1 arch=$2
        if apt-cache show "${name}t64:$arch" >/dev/null 2>&1; then
                echo "${name}t64:$arch"
        else
                echo "$name:$arch"
        fi
}

# The packages one architecture needs, by name as scripts/setup.sh names the native ones.
packages_for() {
        local arch=$1 t
        t=$(triplet "$arch")
        echo "gcc-$t qemu-user-static"
        if [ "$arch" = s390x ]; then
                # protocol/ needs only libc and cmocka. libc6-dev:s390x is not used: its
                # linux-libc-dev:s390x and the daemon's libraries do not resolve on Debian 12
                # together with the native security updates, the cross libc6-dev does.
                echo "libc6-dev-s390x-cross libcmocka-dev:s390x"
        else
                # The -dev libraries of scripts/setup.sh's build group, for this architecture,
                # so a library added there is cross-built too.
                echo "libc6-dev:$arch"
                sed -n '/^ *# build$/,/^ *# tests/p' scripts/setup.sh | tr ' ' '\n' |
                        grep -E '^lib.*-dev$' | grep -v '^libclang' | sed "s/\$/:$arch/"
                # The target ipmitool's libraries that are Multi-Arch: same.
                echo "$(library_for libreadline8 "$arch") $(library_for libssl3 "$arch")" \
                        "$(library_for libgcrypt20 "$arch")"
        fi
}

# A mirror caught mid-sync fails one index ("File has unexpected size"), often one
# architecture's security updates: go on with the indexes there are; the install fails by
# itself if a package it needs really is missing.
apt_update() {
        $sudo apt-get update -q || echo "cross: apt-get update reported errors; installing anyway" >&2
}

# Multi-Arch: same packages must have one version on every architecture. With one
# architecture's security index missing (above), the native side can hold security versions
# the foreign side cannot match, and apt gives up ("Breaks: libssl3:armhf (!= ...)"). Print
# pins for every such package the install needs: the installed native version where the
# foreign side has it, else the foreign candidate for both (a native downgrade or upgrade).
multiarch_pins() {
        local arch=$1 native q p v w
        shift
        native=$(dpkg --print-architecture)
        apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks \
                --no-replaces --no-enhances "$@" 2>/dev/null | grep -v '^ ' | grep ":$arch\$" |
                sort -u | while read -r q; do
                p=${q%:"$arch"}
                v=$(dpkg-query -W -f='${Version}' "$p:$native" 2>/dev/null) || continue
                [ -n "$v" ] || continue
                apt-cache show "$q" 2>/dev/null | grep -qx 'Multi-Arch: same' || continue
                if [ -n "$(apt-cache show "$q=$v" 2>/dev/null)" ]; then
                        w=$v
                else
                        w=$(apt-cache policy "$q" | awk '/Candidate:/ { print $2 }')
                fi
                echo "$p=$w $q=$w"
        done
}

install_arch() {
        local arch=$1 missing=() p
        if ! dpkg --print-foreign-architectures | grep -qx "$arch"; then
                $sudo dpkg --add-architecture "$arch"
                apt_update
        fi
        for p in $(packages_for "$arch"); do
                dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
                        missing+=("$p")
        done
        if [ ${#missing[@]} -gt 0 ]; then
                echo "cross: installing ${missing[*]}" >&2
                apt_update
                if ! $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"; then
                        echo "cross: retrying with the Multi-Arch: same versions pinned alike" >&2
                        # shellcheck disable=SC2046  # one word per pin
                        $sudo apt-get install -y -q --no-install-recommends --allow-downgrades \
                                "${missing[@]}" $(multiarch_pins "$arch" "${missing[@]}")
                fi
        fi
        [ "$arch" = s390x ] || install_target_ipmitool "$arch"
}

# Debian's ipmitool for ARCH, unpacked (not installed) under /opt/satmc-cross/ARCH/root, and
# /opt/satmc-cross/ARCH/bin/ipmitool running it under qemu-user: the cross files' target_path.
install_target_ipmitool() {
        local arch=$1 dir=/opt/satmc-cross/$1 t tmp deb
        t=$(triplet "$arch")
        [ -x "$dir/bin/ipmitool" ] && return 0
        tmp=$(mktemp -d)
        (cd "$tmp" && chmod 777 . && apt-get download -q "ipmitool:$arch" "libfreeipmi17:$arch")
        $sudo mkdir -p "$dir/root" "$dir/bin"
        for deb in "$tmp"/*.deb; do
                $sudo dpkg -x "$deb" "$dir/root"
        done
        rm -rf "$tmp"
        $sudo tee "$dir/bin/ipmitool" > /dev/null <<EOF
#!/bin/sh
# Debian's $arch ipmitool under qemu-user (scripts/cross.sh); libfreeipmi17 from beside it.
exec $(qemu_of "$arch") -E LD_LIBRARY_PATH=$dir/root/usr/lib/$t $dir/root/usr/bin/ipmitool "\$@"
EOF
        $sudo chmod 755 "$dir/bin/ipmitool"
}

step() { printf '\n==== %s\n' "$*"; }

# Integration tests that do not run under qemu-user, and why (docs/cross-builds.md):
not_emulated() {
        # An x86-64 peer: OpenIPMI's ipmi_sim, with the target's /dev/ipmb shim preloaded into it.
        echo test-ipmi-sim-peer
        echo test-bmc-in-a-box
        # Cold Reset re-executes satmcd: without binfmt_misc, an emulated process cannot execve()
        # another target binary (ENOEXEC). Every check before the Cold Reset passes.
        echo test-satmcd
        # Assumes the start-up event is acknowledged before satmcd's retry timer, though the
        # test reads two sensors first; under emulation satmcd retries it once (events-retried 1).
        echo test-events
}

for arch in "${arches[@]}"; do
        step "$arch: install"
        install_arch "$arch"
done
[ $install_only -eq 0 ] || exit 0

for arch in "${arches[@]}"; do
        b=build-$arch
        opts=(--cross-file "cross/$(triplet "$arch").ini" -Dwerror=true)
        [ "$arch" = s390x ] && opts+=(-Dprotocol_only=true)
        step "$arch: build, -Werror"
        [ -d "$b" ] || meson setup "$b" "${opts[@]}"
        meson compile -C "$b"
        if [ "$arch" = s390x ]; then
                step "$arch (big-endian): protocol/ unit tests under qemu-user"
                meson test -C "$b" --print-errorlogs
        elif [ $short -eq 1 ]; then
                step "$arch: unit suite under qemu-user"
                meson test -C "$b" --suite unit --print-errorlogs
        else
                step "$arch: unit suite and integration tests under qemu-user"
                meson test -C "$b" --suite unit --print-errorlogs
                mapfile -t runnable < <(meson test -C "$b" --list --suite integration \
                        --no-suite adversarial | grep ' / ' | sed 's/.* \/ //' | grep -vxF -f <(not_emulated))
                meson test -C "$b" --print-errorlogs "${runnable[@]}"
        fi
done
