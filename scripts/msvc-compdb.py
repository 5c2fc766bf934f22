#!/usr/bin/env python3
"""The compilations of the real Windows build, as clang in MSVC mode runs them.

Used by scripts/msvc-check.sh. Reads the compile_commands.json CMake wrote
for a configured mingw-w64 tree, keeps what decides how a file is read (its
-D/-U/-I/-isystem: the same defines and include paths the real build uses),
replaces the compiler and its options with the MSVC-mode clang command given
after "--", and writes one entry per distinct (file, defines, includes) to a
new compile_commands.json for clang-query.

usage: msvc-compdb.py OUT_DIR ROOT [--view NAME=MINGW_DB[:PREFIX,...]]... -- CLANG ARGS...
  A view's entries are limited to files under the given PREFIXes (relative
  to ROOT), when given. Prints one line per view: "NAME COUNT".
With --canary FILE=LIKE: FILE (relative to ROOT) is also written, alone,
to OUT_DIR/../canary/compile_commands.json, with the flags of LIKE's first
entry. With --require DIR,DIR,...: every .c under those directories must be
compiled by some view (a plat_<os>.c other than plat_win.c is another OS's
and is exempt); the missing ones are listed and the exit status is 1.
"""
import json
import os
import re
import shlex
import sys

KEEP_JOINED = ("-D", "-U", "-I")
KEEP_SEPARATE = ("-D", "-U", "-I", "-isystem")
OTHER_OS = re.compile(r"(^|/)plat_(?!win\.c$)[a-z0-9]+\.c$")


def command_args(entry):
    """The compile command's arguments, response files (@file) expanded."""
    args = entry["arguments"] if "arguments" in entry else shlex.split(entry["command"])
    out = []
    for a in args:
        if a.startswith("@"):
            path = os.path.join(entry["directory"], a[1:])
            with open(path, encoding="utf-8") as f:
                out.extend(shlex.split(f.read()))
        else:
            out.append(a)
    return out


def reading_flags(args, directory):
    """Only the flags that decide what the preprocessor sees."""
    kept = []
    i = 0
    while i < len(args):
        a = args[i]
        if a in KEEP_SEPARATE and i + 1 < len(args):
            flag, value = a, args[i + 1]
            i += 2
        elif a.startswith(KEEP_JOINED) and len(a) > 2:
            flag, value = a[:2], a[2:]
            i += 1
        else:
            i += 1
            continue
        if flag in ("-I", "-isystem"):
            value = os.path.normpath(os.path.join(directory, value))
        kept.append(flag + value if flag != "-isystem" else "-isystem" + value)
    return kept


def main(argv):
    if "--" not in argv:
        sys.exit("msvc-compdb.py: missing -- CLANG ARGS")
    sep = argv.index("--")
    opts, clang = argv[1:sep], argv[sep + 1:]
    out_dir, root = opts[0], os.path.realpath(opts[1])
    views, require, canary = [], [], None
    i = 2
    while i < len(opts):
        if opts[i] == "--view":
            name, rest = opts[i + 1].split("=", 1)
            db, _, prefixes = rest.partition(":")
            views.append((name, db, [p for p in prefixes.split(",") if p]))
            i += 2
        elif opts[i] == "--canary":
            canary = opts[i + 1].split("=", 1)
            i += 2
        elif opts[i] == "--require":
            require = [d for d in opts[i + 1].split(",") if d]
            i += 2
        else:
            sys.exit("msvc-compdb.py: unknown option " + opts[i])

    seen, entries, compiled = set(), [], set()
    for name, db, prefixes in views:
        with open(db, encoding="utf-8") as f:
            mingw = json.load(f)
        count = 0
        for e in mingw:
            src = os.path.realpath(os.path.join(e["directory"], e["file"]))
            rel = os.path.relpath(src, root)
            if not src.endswith(".c"):
                continue
            if prefixes and not any(rel.startswith(p.rstrip("/") + "/") for p in prefixes):
                continue
            flags = reading_flags(command_args(e), e["directory"])
            key = (src, tuple(flags))
            if key in seen:
                continue
            seen.add(key)
            compiled.add(rel)
            count += 1
            entries.append({"directory": root, "file": src,
                            "arguments": clang + flags + ["-c", src]})
        print(name, count)

    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "compile_commands.json"), "w", encoding="utf-8") as f:
        json.dump(entries, f, indent=1)
    with open(os.path.join(out_dir, "files.txt"), "w", encoding="utf-8") as f:
        for rel in sorted(compiled):
            f.write(os.path.join(root, rel) + "\n")

    if canary is not None:
        like = os.path.join(root, canary[1])
        ref = next((e for e in entries if e["file"] == like), None)
        if ref is None:
            sys.exit("msvc-compdb.py: no compilation of " + canary[1] + " to copy flags from")
        src = os.path.join(root, canary[0])
        args = [a if a != like else src for a in ref["arguments"]]
        cdir = os.path.join(os.path.dirname(os.path.abspath(out_dir)), "canary")
        os.makedirs(cdir, exist_ok=True)
        with open(os.path.join(cdir, "compile_commands.json"), "w", encoding="utf-8") as f:
            json.dump([{"directory": root, "file": src, "arguments": args}], f, indent=1)

    missing = []
    for d in require:
        for name in sorted(os.listdir(os.path.join(root, d))):
            rel = os.path.join(d, name)
            if name.endswith(".c") and rel not in compiled and not OTHER_OS.search(rel):
                missing.append(rel)
    if missing:
        for rel in missing:
            print("not compiled by the Windows build (so not checked): " + rel, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
