#!/usr/bin/env python3
"""Keeps the layering of docs/architecture.md from regressing, by reading #include lines.

    protocol/  <-  transport/  <-  common/  <-  daemon/, tools/, ipmitool-plugin/

A folder may include its own headers and those of the layers below it, never one above: protocol/
nothing from transport/, common/ or daemon/; transport/ nothing from common/ or daemon/; common/
nothing from daemon/; no program outside daemon/ (tools/, ipmitool-plugin/, tests/harness/,
bench/) anything from daemon/. The libraries only satmcd's policy needs (inih, libgpiod, libi2c,
json-c) are included in daemon/ alone, and protocol/ and transport/ include no libsystemd.

A quoted include is resolved as the compiler does: the including file's folder first, then the
include path (common/ is on it for whoever links common/, the source root for everyone).
With --build-dir, the link lines in its build.ninja are checked too: no program outside daemon/
links satmcd-core or the daemon-only libraries, so each tool links only what it uses.

Every offending line is printed as file:line: include (or the program and what it links), with
the rule it breaks; exit status 1.

Usage: check-layering.py [--build-dir BUILD] [SOURCE_ROOT]   (default: this file's folder's parent)
"""
import os
import re
import sys

# Folder -> layers (top-level folders) it must not include from.
FORBIDDEN_LAYERS = {
    "protocol": {"transport", "common", "daemon", "tools", "ipmitool-plugin"},
    "transport": {"common", "daemon", "tools", "ipmitool-plugin"},
    "common": {"daemon", "tools", "ipmitool-plugin"},
    "tools": {"daemon", "ipmitool-plugin"},
    "ipmitool-plugin": {"daemon", "tools"},
    "tests/harness": {"daemon"},
    "bench": {"daemon"},
}

# System headers of libraries that only daemon/ may use (its meson dependencies).
DAEMON_ONLY_HEADERS = re.compile(r"^(ini\.h|gpiod\.h|i2c/|json-c/|json\.h)")
LIBSYSTEMD_HEADERS = re.compile(r"^systemd/")
# Test stand-ins for a daemon-only library: they include its header to define its functions in
# place of it (LD_PRELOAD), and link nothing of it (the link check below still holds them).
STAND_INS = {
    "tests/harness/satmc-hw-shim-gpiod1.c": re.compile(r"^gpiod\.h$"),
    "tests/harness/satmc-hw-shim-gpiod2.c": re.compile(r"^gpiod\.h$"),
}
NO_LIBSYSTEMD = {"protocol", "transport"}

INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]')
SOURCE_SUFFIXES = (".c", ".h")


def resolve(root, folder, name):
    """The top-level layer a quoted include lands in, or None (generated or system header)."""
    if os.path.exists(os.path.join(root, folder, name)):
        return os.path.normpath(os.path.join(folder, name)).split(os.sep)[0]
    if os.path.exists(os.path.join(root, "common", name)):
        return "common"
    if os.path.exists(os.path.join(root, name)):
        return os.path.normpath(name).split(os.sep)[0]
    return None


def check_file(root, folder, path):
    rel = os.path.relpath(path, root)
    file_folder = os.path.dirname(rel)
    problems = []
    with open(path, encoding="utf-8", errors="replace") as f:
        for lineno, line in enumerate(f, 1):
            m = INCLUDE.match(line)
            if not m:
                continue
            kind, name = m.groups()
            where = f"{rel}:{lineno}: {line.strip()}"
            if kind == '"':
                layer = resolve(root, file_folder, name)
                if layer in FORBIDDEN_LAYERS[folder]:
                    problems.append(f"{where}  ({folder}/ must not include from {layer}/)")
            else:
                if DAEMON_ONLY_HEADERS.match(name) and not \
                        (rel in STAND_INS and STAND_INS[rel].match(name)):
                    problems.append(f"{where}  (only daemon/ uses inih, libgpiod, libi2c, json-c)")
                elif folder in NO_LIBSYSTEMD and LIBSYSTEMD_HEADERS.match(name):
                    problems.append(f"{where}  ({folder}/ does not use libsystemd)")
    return problems


# In build.ninja: "build OUTPUT: c_LINKER inputs | implicit inputs", then " LINK_ARGS = ...".
LINK_RULE = re.compile(r"^build ([^:]+): c_LINKER (.*)$")
DAEMON_ONLY_LINKS = re.compile(r"(libsatmcd-core\.a|libinih|libgpiod|libi2c|-li2c\b|libjson-c)")


def check_links(build_dir):
    """Programs outside daemon/ and the tests that link the daemon, and what they pull in."""
    problems = []
    with open(os.path.join(build_dir, "build.ninja"), encoding="utf-8") as f:
        lines = f.read().split("\n")
    for i, line in enumerate(lines):
        m = LINK_RULE.match(line)
        if not m:
            continue
        output = m.group(1)
        if not any(output.startswith(folder + "/") for folder in FORBIDDEN_LAYERS):
            continue
        link = m.group(2)
        for follow in lines[i + 1:]:
            if not follow.startswith(" "):
                break
            link += " " + follow
        bad = sorted(set(DAEMON_ONLY_LINKS.findall(link)))
        if bad:
            problems.append(f"{output}: links {', '.join(bad)}  (only daemon/ links satmcd-core, "
                            "inih, libgpiod, libi2c, json-c)")
    return problems


def main():
    args = sys.argv[1:]
    build_dir = None
    if args[:1] == ["--build-dir"]:
        build_dir = args[1]
        args = args[2:]
    root = os.path.abspath(args[0] if args else os.path.join(os.path.dirname(__file__), ".."))
    problems = []
    checked = 0
    for folder in FORBIDDEN_LAYERS:
        top = os.path.join(root, folder)
        if not os.path.isdir(top):
            continue
        for dirpath, _, files in os.walk(top):
            for name in sorted(files):
                if name.endswith(SOURCE_SUFFIXES):
                    checked += 1
                    problems += check_file(root, folder, os.path.join(dirpath, name))
    if checked == 0:
        print(f"check-layering: no sources under {root}", file=sys.stderr)
        return 2
    if build_dir is not None:
        problems += check_links(build_dir)
    for p in problems:
        print(p)
    print(f"check-layering: {checked} files, {len(problems)} layering violations")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
