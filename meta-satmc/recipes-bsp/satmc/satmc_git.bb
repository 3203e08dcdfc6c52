SUMMARY = "IPMB satellite management controller"
DESCRIPTION = "satmcd answers the chassis BMC over IPMB through the Linux ipmb-dev-int \
device (/dev/ipmb-N): device ID, FRU inventory, SDRs, threshold and presence sensors."
SECTION = "admin"
LICENSE = "MIT"
# satmc has no LICENSE file: the MIT text of debian/copyright (tests/check-recipes.py checks it).
LIC_FILES_CHKSUM = "file://debian/copyright;beginline=21;endline=37;md5=5d064f3d4ed0ab2e046fdae2adda1639"

# satmc is not published at a fixed address: point SATMC_GIT_URI at your copy in local.conf or
# a bbappend, e.g. SATMC_GIT_URI = "git://git.example.com/satmc.git;protocol=https;branch=main",
# and pin SRCREV. Without it the recipe is skipped with that message rather than failing.
SATMC_GIT_URI ??= ""
SRC_URI = "${SATMC_GIT_URI}"
SRCREV ??= "${AUTOREV}"
PV = "0.1.0+git${SRCPV}"
S = "${WORKDIR}/git"

python () {
    if not d.getVar('SATMC_GIT_URI'):
        raise bb.parse.SkipRecipe("set SATMC_GIT_URI to the satmc git repository (docs/cross-builds.md)")
}

# libgpiod 1.6 or 2.x, whichever meta-oe's libgpiod recipe the release prefers: meson.build
# builds the back end of the version it finds.
DEPENDS = "systemd libinih libgpiod i2c-tools json-c gnutls"

inherit meson pkgconfig systemd useradd

# No unit tests on the build host (cmocka, the emulated bus); units where this distro keeps them.
EXTRA_OEMESON = "-Dtests=false -Dsystemdunitdir=${systemd_system_unitdir}"

# The unprivileged user of units/satmc.sysusers, also at rootfs time so that the state
# directories and socket files have an owner before systemd-sysusers first runs.
USERADD_PACKAGES = "${PN}"
USERADD_PARAM:${PN} = "--system --home-dir ${localstatedir}/lib/satmc --no-create-home \
    --shell /sbin/nologin --user-group satmc"

# satmcd@.service is a template: one instance per IPMB bus (satmcd@ipmb-0), each needing its
# /etc/satmc/ipmb-N.conf, so nothing is enabled until the image adds one.
SYSTEMD_SERVICE:${PN} = "satmcd@.service satmcd-ipmitool@.socket satmcd-nbd@.socket"
SYSTEMD_AUTO_ENABLE = "disable"

FILES:${PN} += " \
    ${systemd_system_unitdir}/satmcd@.service \
    ${systemd_system_unitdir}/satmcd-ipmitool@.socket \
    ${systemd_system_unitdir}/satmcd-nbd@.socket \
    ${nonarch_libdir}/sysusers.d/satmc.conf \
    ${nonarch_libdir}/tmpfiles.d/satmc.conf \
    ${nonarch_libdir}/udev/rules.d/60-satmc-ipmb.rules \
    ${libdir}/satmc/satmc-ipmb-dev-shim.so \
"
# The LD_PRELOAD shim is a plugin, not a library to link against: no -dev split.
INSANE_SKIP:${PN} += "dev-so"

# satmc-ipmitool, a /bin/sh script, runs ipmitool (meta-oe) on the board itself.
RRECOMMENDS:${PN} += "ipmitool"
