#!/usr/bin/env bash
# satmc on libgpiod 2.x (Debian 13, Yocto scarthgap, Buildroot's libgpiod2) on a Debian 12
# machine: bookworm-backports' libgpiod-dev and libgpiod3 unpacked under the user's cache
# directory, beside the system's 1.6 (the two -dev packages conflict, and the other stages
# build on 1.6), the whole tree built against 2.x with -Werror, and the unit and integration
# suites run in build-gpiod2/ (tests/harness/satmc-hw-shim-gpiod2.c answers libgpiod's 2.x calls
# as satmc-hw-shim-gpiod1.c does the 1.6 ones). Needs the network for the two packages only.
# Usage: scripts/libgpiod2.sh [--install-only]
set -euo pipefail
cd "$(dirname "$0")/.."

install_only=0
case ${1:-} in
"") ;;
--install-only) install_only=1 ;;
*) echo "usage: $0 [--install-only]" >&2; exit 2 ;;
esac

# Debian 13 has only libgpiod 2.x: there every other stage already builds and tests on it.
system=$(pkg-config --modversion libgpiod 2>/dev/null || echo none)
case $system in
2.*)
        echo "the system's libgpiod is $system: the other stages build and test on 2.x; nothing to add"
        exit 0 ;;
esac

root=${XDG_CACHE_HOME:-$HOME/.cache}/satmc/libgpiod2
arch=$(dpkg --print-architecture)
multiarch=$(gcc -print-multiarch)

# apt with a sources list, lists and cache of its own: nothing of the system's apt changes.
apt_private() {
        apt-get -q -o Dir::Etc::SourceList="$root/apt/sources.list" \
                -o Dir::Etc::SourceParts=/dev/null -o Dir::State::Lists="$root/apt/lists" \
                -o Dir::Cache="$root/apt/cache" -o APT::Sandbox::User="$(id -un)" "$@"
}

if [ ! -f "$root/pc/libgpiod.pc" ]; then
        rm -rf "$root"
        mkdir -p "$root/apt/lists/partial" "$root/apt/cache/archives/partial" "$root/debs" \
                "$root/sysroot" "$root/pc"
        echo "deb http://deb.debian.org/debian bookworm-backports main" > "$root/apt/sources.list"
        apt_private update
        (cd "$root/debs" && apt_private download "libgpiod-dev:$arch/bookworm-backports" \
                "libgpiod3:$arch/bookworm-backports")
        for deb in "$root"/debs/*.deb; do
                dpkg-deb -x "$deb" "$root/sysroot"
        done
        # The package's .pc says prefix=/usr; here it lives under the sysroot.
        sed "s|^prefix=/usr\$|prefix=$root/sysroot/usr|" \
                "$root/sysroot/usr/lib/$multiarch/pkgconfig/libgpiod.pc" > "$root/pc/libgpiod.pc"
fi
echo "libgpiod $(PKG_CONFIG_PATH=$root/pc pkg-config --modversion libgpiod) in $root/sysroot"
[ $install_only -eq 0 ] || exit 0

# satmcd finds the library through the build's rpath; the test shim links none.
[ -d build-gpiod2 ] || PKG_CONFIG_PATH=$root/pc meson setup build-gpiod2 -Dwerror=true
grep -q "Run-time dependency libgpiod found: YES 2\." build-gpiod2/meson-logs/meson-log.txt ||
        { echo "build-gpiod2 is not configured with libgpiod 2.x" >&2; exit 1; }
meson compile -C build-gpiod2
meson test -C build-gpiod2 --print-errorlogs
