#!/usr/bin/env python3
"""The Yocto recipe (meta-satmc/) and the Buildroot package (buildroot/) against the tree they
build, as far as it can be checked without bitbake or a Buildroot tree (docs/cross-builds.md):

- what `meson install` puts in place with the recipes' options (prefix /usr, -Dtests=false, the
  units in /usr/lib/systemd/system) is exactly what the recipe packages: every installed file
  matched by a FILES pattern of the recipe or by Yocto's defaults, every explicit FILES entry
  installed, every SYSTEMD_SERVICE unit installed;
- the user the recipes create is the one units/satmc.sysusers names;
- LIC_FILES_CHKSUM's md5 is that of the lines it names;
- each library meson.build needs maps to a DEPENDS entry and to a Buildroot dependency and
  select, under the names the real layers and Buildroot give them (NAMES below, read from
  openembedded-core, meta-openembedded and buildroot);
- Config.in parses with kconfiglib (Buildroot's Kconfig dialect), when python3-kconfiglib is
  installed; the .bb and .mk files parse as assignments, blocks and directives.

By default the install list comes from `meson introspect --installed` of a fresh configuration
(seconds); with --destdir it comes from a real `meson compile` + `meson install --destdir`.
usage: check-recipes.py SOURCE_ROOT [--destdir]      TAP on stdout"""
import fnmatch, hashlib, json, os, re, subprocess, sys, tempfile

ROOT = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else ".")
REAL_INSTALL = "--destdir" in sys.argv
BB = os.path.join(ROOT, "meta-satmc/recipes-bsp/satmc/satmc_git.bb")
LAYER_CONF = os.path.join(ROOT, "meta-satmc/conf/layer.conf")
MK = os.path.join(ROOT, "br2-external/package/satmc/satmc.mk")
CONFIG_IN = os.path.join(ROOT, "br2-external/package/satmc/Config.in")

# meson.build's library -> (OE recipe, Buildroot package). Names confirmed in
# openembedded-core (systemd, json-c, meta/recipes-devtools/i2c-tools), meta-openembedded
# (meta-oe/recipes-support/inih/libinih, recipes-support/libgpiod with libgpiod_1.6.x and 2.x)
# and buildroot (package/systemd, inih, libgpiod: 1.6.x; libgpiod2 is the 2.x one, which satmc.mk
# takes instead where the configuration has it, i2c-tools, json-c).
NAMES = {
    "libsystemd": ("systemd", "systemd"),
    "inih": ("libinih", "inih"),
    "libgpiod": ("libgpiod", "libgpiod"),
    "json-c": ("json-c", "json-c"),
    "i2c": ("i2c-tools", "i2c-tools"),
    "gnutls": ("gnutls", "gnutls"),
}
# Not on the target: test-only or part of the toolchain.
NOT_TARGET_DEPS = {"cmocka", "threads", "m", "dl"}

# The recipes' configuration, and Yocto's variables for it (poky's defaults, usrmerge or not:
# both put these under /usr).
MESON_OPTS = ["--prefix=/usr", "--libdir=lib", "--sysconfdir=/etc", "-Dtests=false",
              "-Dsystemdunitdir=/usr/lib/systemd/system"]
YOCTO_VARS = {
    "PN": "satmc", "BPN": "satmc", "prefix": "/usr", "exec_prefix": "/usr",
    "bindir": "/usr/bin", "sbindir": "/usr/sbin", "libdir": "/usr/lib",
    "nonarch_libdir": "/usr/lib", "libexecdir": "/usr/libexec", "datadir": "/usr/share",
    "mandir": "/usr/share/man", "docdir": "/usr/share/doc", "sysconfdir": "/etc",
    "localstatedir": "/var", "systemd_system_unitdir": "/usr/lib/systemd/system",
}
# bitbake.conf's FILES:${PN} and FILES:${PN}-doc defaults that apply to what satmc installs.
YOCTO_DEFAULT_FILES = ["${bindir}/*", "${sbindir}/*", "${sysconfdir}", "${libdir}/${BPN}/*",
                       "${prefix}/lib/udev", "${mandir}", "${docdir}"]

n = 0
failed = 0


def check(ok, what):
    global n, failed
    n += 1
    failed += not ok
    print("%s %d - %s" % ("ok" if ok else "not ok", n, what))
    sys.stdout.flush()


def skip(what, why):
    global n
    n += 1
    print("ok %d - %s # SKIP %s" % (n, what, why))


def logical_lines(path):
    """Lines with backslash continuations joined, comments dropped."""
    out, cur = [], ""
    for line in open(path):
        line = line.rstrip("\n")
        if not cur and line.lstrip().startswith("#"):
            continue
        if line.endswith("\\"):
            cur += line[:-1] + " "
            continue
        out.append(cur + line)
        cur = ""
    return [l for l in out if l.strip()]


def parse_bitbake(path):
    """Assignments of a .bb/.conf file as {name: value}, += appended; fails on a line that is
    no assignment, directive or function block (what bitbake's parser would refuse)."""
    vars_, bad, depth = {}, [], 0
    assign = re.compile(r'^([A-Za-z0-9_${}:.\-/\[\]]+)\s*(\?\?=|\?=|\+=|=\+|\.=|=|:=)\s*"(.*)"\s*$')
    for line in logical_lines(path):
        s = line.strip()
        if depth:
            depth += s.count("{") - s.count("}") if not s.startswith("def ") else 0
            if s in ("}",) or depth <= 0:
                depth = 0
            continue
        if re.match(r"^(python\s*(\w+\s*)?\(\)|\w[\w:-]*\s*\(\))\s*\{$", s):
            depth = 1
            continue
        if re.match(r"^(inherit|require|include|addtask|EXPORT_FUNCTIONS)\b", s):
            if s.startswith("inherit"):
                vars_.setdefault("__inherit", []).extend(s.split()[1:])
            continue
        m = assign.match(s)
        if not m:
            bad.append(s)
            continue
        name, op, value = m.groups()
        if op in ("+=", "=+", ".="):
            vars_[name] = (vars_.get(name, "") + " " + value).strip()
        elif op in ("?=", "??=") and name in vars_:
            pass
        else:
            vars_[name] = value
    return vars_, bad


def expand(s):
    return re.sub(r"\$\{(\w+)\}", lambda m: YOCTO_VARS.get(m.group(1), m.group(0)), s)


def parse_make(path):
    """NAME = value and define ... endef blocks of a Buildroot .mk file."""
    vars_, bad, block = {}, [], None
    for line in logical_lines(path):
        s = line.strip()
        if block:
            if s == "endef":
                block = None
            else:
                vars_[block] = (vars_.get(block, "") + "\n" + s).strip()
            continue
        m = re.match(r"^define\s+(\w+)$", s)
        if m:
            block = m.group(1)
            continue
        if re.match(r"^\$\(eval \$\((\w|-)+\)\)$", s) or re.match(r"^(ifeq|ifneq|else|endif)\b", s):
            continue
        m = re.match(r"^(\w+)\s*(\+=|=|:=|\?=)\s*(.*)$", s)
        if not m:
            bad.append(s)
            continue
        vars_[m.group(1)] = (vars_.get(m.group(1), "") + " " + m.group(3)).strip() \
            if m.group(2) == "+=" else m.group(3)
    return vars_, bad


def installed_files():
    """Installed paths (absolute, as on the target) with the recipes' options."""
    with tempfile.TemporaryDirectory(prefix="satmc-recipes-") as tmp:
        build = os.path.join(tmp, "build")
        subprocess.run(["meson", "setup", build, ROOT, *MESON_OPTS], check=True,
                       stdout=subprocess.DEVNULL)
        if not REAL_INSTALL:
            info = json.loads(subprocess.run(["meson", "introspect", "--installed", build],
                                             check=True, capture_output=True, text=True).stdout)
            return sorted(set(info.values()))
        dest = os.path.join(tmp, "dest")
        subprocess.run(["meson", "compile", "-C", build], check=True, stdout=subprocess.DEVNULL)
        subprocess.run(["meson", "install", "-C", build, "--destdir", dest, "--quiet"],
                       check=True, stdout=subprocess.DEVNULL)
        out = []
        for d, _, files in os.walk(dest):
            out += ["/" + os.path.relpath(os.path.join(d, f), dest) for f in files]
        return sorted(out)


def meson_libraries():
    """The libraries meson.build links, by the name meson looks them up with."""
    text = open(os.path.join(ROOT, "meson.build")).read()
    names = re.findall(r"dependency\('([^']+)'", text) + re.findall(r"find_library\('([^']+)'", text)
    return sorted(set(names) - NOT_TARGET_DEPS)


def covered(path, patterns):
    for p in patterns:
        if path == p or fnmatch.fnmatchcase(path, p) or path.startswith(p.rstrip("/") + "/"):
            return True
    return False


def main():
    bb, bad = parse_bitbake(BB)
    check(not bad, "satmc_git.bb: every line an assignment, directive or block %s" % bad)
    layer, bad = parse_bitbake(LAYER_CONF)
    check(not bad and "satmc" in layer.get("BBFILE_COLLECTIONS", "").split(),
          "layer.conf parses and names the collection satmc %s" % bad)
    check({"meson", "pkgconfig", "systemd", "useradd"} <= set(bb.get("__inherit", [])),
          "the recipe inherits meson pkgconfig systemd useradd (%s)" % bb.get("__inherit"))
    mk, bad = parse_make(MK)
    check(not bad, "satmc.mk: every line an assignment, define block or eval %s" % bad)

    files = installed_files()
    print("# %d installed files (%s)" % (len(files), "meson install --destdir" if REAL_INSTALL
                                         else "meson introspect --installed"))
    explicit = [expand(p) for p in bb.get("FILES:${PN}", "").split()]
    patterns = explicit + [expand(p) for p in YOCTO_DEFAULT_FILES]
    loose = [f for f in files if not covered(f, patterns)]
    check(files and not loose, "every installed file is in a package of the recipe %s" % loose)
    stale = [p for p in explicit if not any(covered(f, [p]) for f in files)]
    check(not stale, "every FILES entry of the recipe is installed %s" % stale)
    units = bb.get("SYSTEMD_SERVICE:${PN}", "").split()
    missing = [u for u in units if YOCTO_VARS["systemd_system_unitdir"] + "/" + u not in files]
    installed_units = [os.path.basename(f) for f in files if "/systemd/system/" in f]
    check(units and not missing and sorted(units) == sorted(installed_units),
          "SYSTEMD_SERVICE is the installed units %s (installed %s)" % (units, installed_units))

    sysusers = [l.split() for l in open(os.path.join(ROOT, "units/satmc.sysusers"))
                if l.startswith("u ")]
    user = sysusers[0][1] if sysusers else None
    check(user is not None and bb.get("USERADD_PARAM:${PN}", "").split()[-1:] == [user],
          "the recipe's useradd creates %s, the user of units/satmc.sysusers" % user)
    check(user is not None and mk.get("SATMC_USERS", "").split()[:1] == [user] and
          mk["SATMC_USERS"].split()[2] == user,
          "SATMC_USERS creates %s and its group" % user)

    m = re.match(r"file://([^;]+);beginline=(\d+);endline=(\d+);md5=(\w+)$",
                 bb.get("LIC_FILES_CHKSUM", ""))
    if m:
        lines = open(os.path.join(ROOT, m.group(1)), "rb").readlines()
        digest = hashlib.md5(b"".join(lines[int(m.group(2)) - 1:int(m.group(3))])).hexdigest()
        check(digest == m.group(4) and b"MIT" in b"".join(lines[int(m.group(2)) - 1:int(m.group(2))]),
              "LIC_FILES_CHKSUM: md5 of %s lines %s-%s is %s, the MIT text" %
              (m.group(1), m.group(2), m.group(3), digest))
    else:
        check(False, "LIC_FILES_CHKSUM names a file, lines and md5 (%r)" %
              bb.get("LIC_FILES_CHKSUM"))
    check(os.path.exists(os.path.join(ROOT, mk.get("SATMC_LICENSE_FILES", "-"))),
          "SATMC_LICENSE_FILES exists (%s)" % mk.get("SATMC_LICENSE_FILES"))

    depends = bb.get("DEPENDS", "").split()
    br_deps = mk.get("SATMC_DEPENDENCIES", "").split()
    config_in = open(CONFIG_IN).read()
    for lib in meson_libraries():
        names = NAMES.get(lib)
        check(names is not None, "meson.build's %s has known layer and Buildroot names" % lib)
        if names is None:
            continue
        oe, br = names
        check(oe in depends, "DEPENDS has %s (for %s): %s" % (oe, lib, depends))
        check(br in br_deps, "SATMC_DEPENDENCIES has %s (for %s)" % (br, lib))
        symbol = "BR2_PACKAGE_" + br.upper().replace("-", "_")
        check(re.search(r"^\s*(select|depends on)\s+%s\b" % symbol, config_in, re.M) is not None,
              "Config.in selects or depends on %s" % symbol)
    check(set(depends) <= {NAMES[l][0] for l in meson_libraries() if l in NAMES},
          "DEPENDS names nothing meson.build does not use: %s" % depends)

    try:
        import kconfiglib
    except ImportError:
        # Debian's python3-kconfiglib is one pure-Python module, for the system Python; a
        # python3 earlier on PATH (pyenv, a venv) may not see it.
        sys.path.append("/usr/lib/python3/dist-packages")
        try:
            import kconfiglib
        except ImportError:
            skip("Config.in parses with kconfiglib", "python3-kconfiglib not installed")
            return
    with tempfile.TemporaryDirectory() as tmp:
        top = os.path.join(tmp, "Config.in")
        with open(top, "w") as f:
            f.write('mainmenu "check"\nsource "%s"\n' % os.path.join(ROOT, "br2-external/Config.in"))
        os.environ["BR2_EXTERNAL_SATMC_PATH"] = os.path.join(ROOT, "br2-external")
        try:
            kc = kconfiglib.Kconfig(top, warn_to_stderr=False)
            sym = kc.syms.get("BR2_PACKAGE_SATMC")
            check(sym is not None and sym.type == kconfiglib.BOOL,
                  "Config.in parses with kconfiglib: BR2_PACKAGE_SATMC is a bool")
            selects = sorted(s.name for s, _ in sym.selects) if sym else []
            check(selects == sorted("BR2_PACKAGE_" + NAMES[l][1].upper().replace("-", "_")
                                    for l in meson_libraries() if l != "libsystemd"),
                  "it selects the libraries meson.build links, systemd aside: %s" % selects)
        except kconfiglib.KconfigError as e:
            check(False, "Config.in parses with kconfiglib: %s" % e)


main()
print("1..%d" % n)
sys.exit(1 if failed else 0)
