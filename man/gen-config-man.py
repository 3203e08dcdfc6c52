#!/usr/bin/env python3
"""Fill satmcd.conf.5's key list from `satmcd --dump-config-reference`, so the man page is the
parser's table and cannot drift. usage: gen-config-man.py REFERENCE TEMPLATE OUTPUT, where
REFERENCE holds that output (meson runs satmcd, through qemu-user in a cross build)."""
import sys

reference, template, output = sys.argv[1:4]
dump = open(reference).read()
out, desc = [], ""
for line in dump.splitlines():
    if line.startswith("["):
        out.append(".SS " + line.replace("[", "\\fB[").replace("]", "]\\fR"))
    elif line.startswith("#") and "(required)" in line:
        out += [".TP", "\\fB%s\\fR (required)" % line[1:].split("=")[0].strip(), desc]
    elif line.startswith("# "):
        desc = line[2:].replace("\\", "\\\\").replace("-", "\\-")
    elif "=" in line:
        key, default = (p.strip() for p in line.split("=", 1))
        out += [".TP", "\\fB%s\\fR (default: %s)" % (key, default.replace("-", "\\-")), desc]
text = open(template).read().replace("@KEYS@", "\n".join(out))
open(output, "w").write(text)
