#!/usr/bin/env bash
# The MSVC view of every Windows source, checked on Linux (run by test.sh).
#
# riox is built here with mingw-w64 only; Microsoft's compiler never runs on
# this machine. This script reads every C file the Windows build compiles the
# way cl.exe would: clang in MSVC mode (--target=x86_64-pc-windows-msvc
# -fms-compatibility: _MSC_VER (1930, VS 2022) and _WIN64 defined, __GNUC__
# not, LLP64 so long is 32 bits) over the Windows SDK headers of Debian's libwine-dev
# instead of mingw-w64's, as C11, with -Wall -Wextra -Werror and the clang
# warnings nearest to what /W4 /WX rejects. Any diagnostic fails it.
#
# What is compiled, and with which defines: the compile commands CMake
# writes for two configured (never built) mingw-w64 trees, so the file list
# and the -D/-I of each file are the real build's, globs included:
#   tests    -DRIOX_RIO_EMU=ON (as test.sh and .github/workflows/windows.yml
#            build it): library with RIOX_TEST_HOOKS=1, examples, tests/win
#            and the emulator with RIOX_WITH_RIO_EMU=1;
#   release  -DRIOX_RIO_EMU=OFF: the library and examples as shipped
#            (no test hooks, no emulator);
#   shared   -DBUILD_SHARED_LIBS=ON -DRIOX_BUILD_TESTS=OFF: the library as
#            riox.dll (RIOX_API is __declspec(dllexport)) and the examples
#            as its users (dllimport).
# Every .c under the Windows source directories must be among them. Plus
# what CMakeLists.txt and CMake add for cl.exe only: _CRT_SECURE_NO_WARNINGS,
# WIN32, _WINDOWS.
#
# cl.exe /W4 warning -> what stands for it here
#   C4244 int -> smaller integer (L4), __int64 -> int (L3), floating ->
#         integer (L2), double -> float, __int64 -> double:
#         -Wimplicit-int-conversion, -Wshorten-64-to-32, -Wfloat-conversion,
#         -Wimplicit-float-conversion, -Wimplicit-int-float-conversion; and
#         the C4244 matchers of scripts/msvc-w4.query, because clang stays
#         silent when it can prove the value fits (uint8_t f = (a == b);
#         uint8_t m = x & 0xff; u8 += 1) where cl.exe warns anyway.
#   C4267 size_t -> int/DWORD (L3): -Wshorten-64-to-32 + the C4267 matcher.
#   C4018 signed/unsigned <, <=, >, >= (L3) and C4389 signed/unsigned ==,
#         != (L4): -Wsign-compare + the C4389/C4018 matcher, because clang
#         does not warn when the unsigned side is a constant that fits
#         (NTSTATUS st == STATUS_PENDING, a DWORD: the C4389 of issue 9).
#   C4706 assignment as a condition (L4): the C4706 matcher (-Wparentheses,
#         in -Wall, accepts if ((a = b)); older cl.exe does not).
#   C4100 unused parameter, C4189 unused local, C4101: -Wall -Wextra.
#   C4456-C4459 shadowing: -Wshadow (also in the mingw build).
#   C2057 and friends: cl.exe has no VLAs: -Wvla.
#   /std:c11 without extensions: -std=c11 -Wpedantic -Wstrict-prototypes
#         (an enumerator must fit an int, no GNU extensions).
# Not covered (only a real cl.exe build shows them): the real SDK headers
# (Wine's differ in places: types, which header declares what); C4245 /
# C4146 (negative constant to unsigned: -Wsign-conversion is much broader
# and flags the SDK's own FIONBIO); C4127, C4201, C4204, C4214, C4701/C4703
# (flow analysis); code under `defined(__GNUC__) || defined(__clang__)`,
# which clang takes and cl.exe does not (the _MSC_VER branch of
# src/common/histogram.c); code generation, linking, /std:c11 in CMake.
#
# The check tests itself on every run: tests/msvc/canary.c holds one
# offence per warning above, and the run fails unless each is reported,
# exactly on its line. The last line says how many files and compilations
# were checked.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out="$root/build/msvc-check"
wine_inc=/usr/include/wine/wine

die() {
  echo "msvc-check: FAILED: $*" >&2
  exit 1
}

for tool in clang clang-query cmake python3 x86_64-w64-mingw32-gcc; do
  command -v "$tool" >/dev/null || die "$tool not found (scripts/setup.sh installs it)"
done
if [ ! -f "$wine_inc/windows/windows.h" ] || [ ! -f "$wine_inc/msvcrt/stdio.h" ]; then
  die "Wine's SDK headers are not in $wine_inc (package libwine-dev; scripts/setup.sh)"
fi
resource=$(clang -print-resource-dir)

view=(clang --target=x86_64-pc-windows-msvc -fms-compatibility -fms-extensions
  -fms-compatibility-version=19.30 -std=c11 -fsyntax-only
  -nostdinc -isystem "$wine_inc/msvcrt" -isystem "$wine_inc/windows" -isystem "$resource/include"
  -D_CRT_SECURE_NO_WARNINGS -DWIN32 -D_WINDOWS
  -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wpedantic -Wvla
  -Wimplicit-int-conversion -Wshorten-64-to-32 -Wfloat-conversion
  -Wimplicit-float-conversion -Wimplicit-int-float-conversion -Wsign-compare)

configure() {
  local name=$1
  shift
  cmake -S "$root" -B "$out/$name" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_TOOLCHAIN_FILE="$root/cmake/mingw-w64-x86_64.cmake" \
    -DCMAKE_EXPORT_COMPILE_COMMANDS=ON "$@" >"$out/$name.configure.log" 2>&1 ||
    die "cmake configure of the $name view failed: $out/$name.configure.log"
}
mkdir -p "$out"
configure tests -DRIOX_RIO_EMU=ON
configure release -DRIOX_RIO_EMU=OFF -DRIOX_TEST_HOOKS=OFF
configure shared -DBUILD_SHARED_LIBS=ON -DRIOX_BUILD_TESTS=OFF

counts=$(python3 "$root/scripts/msvc-compdb.py" "$out/db" "$root" \
  --view "tests=$out/tests/compile_commands.json" \
  --view "release=$out/release/compile_commands.json:src,examples" \
  --view "shared=$out/shared/compile_commands.json:src,examples" \
  --require src/core,src/win,src/iocp,src/rio,src/common,examples,examples/perf,tests/win,tests/behave,tests/rio_emu \
  --canary "tests/msvc/canary.c=src/win/poll.c" \
  -- "${view[@]}") || die "the Windows build does not compile every Windows source (above)"
mapfile -t files <"$out/db/files.txt"
units=$(awk '{n += $2} END {print n}' <<<"$counts")

# clang-query parses each compilation once: it prints the compiler's own
# diagnostics (-Werror: each is an error) and then what the matchers found.
query() { # LOG DB FILE...
  local log=$1 db=$2
  shift 2
  clang-query -p "$db" -f "$root/scripts/msvc-w4.query" "$@" >"$log" 2>&1 || true
}
# The diagnostics of a log, as "FILE:LINE:COL: MESSAGE".
diagnostics() { grep -E '(warning|error): ' "$1" | sed "s|^$root/||" | sort -u || true; }
# What clang-query said about the query file itself (a matcher it cannot
# parse matches nothing, silently).
query_errors() { grep -E '^[0-9]+:[0-9]+: |Matcher not found|Error parsing' "$1" | sort -u || true; }
# Matches of a log, as "FILE:LINE:COL: MSVC-WARNING: source line".
matches() {
  awk -v root="$root/" '
    take { sub(/^ +/, ""); print loc ": " id ": " $0; take = 0 }
    / note: "[^"]*" binds here$/ {
      loc = $1; sub(/:$/, "", loc); sub("^" root, "", loc)
      id = $0; sub(/^[^"]*"/, "", id); sub(/".*/, "", id); take = 1
    }' "$1" | sort -u
}

# 1. The canary: each "expect:" line reported with exactly the names it
# lists (a clang -W flag, or a matcher's MSVC warning), no other line.
canary="$root/tests/msvc/canary.c"
query "$out/canary.log" "$out/canary" "$canary"
want=$(awk 'match($0, /\/\* expect: [^*]*\*\//) {
    n = split(substr($0, RSTART + 11, RLENGTH - 13), name, " ")
    for (i = 1; i <= n; i++) print NR, name[i]
  }' "$canary" | sort -u)
got=$({
  diagnostics "$out/canary.log" | sed -n 's|^tests/msvc/canary\.c:\([0-9]*\):.*\[\(-Werror,\)\{0,1\}\(-W[^],]*\)\]$|\1 \3|p'
  matches "$out/canary.log" | sed -n 's|^tests/msvc/canary\.c:\([0-9]*\):[0-9]*: \([^:]*\): .*|\1 \2|p'
} | sort -u)
if [ -z "$want" ] || [ "$want" != "$got" ]; then
  echo "msvc-check: the canary (tests/msvc/canary.c) is not reported as expected:" >&2
  { diff <(echo "$want") <(echo "$got") || true; } |
    sed -n 's/^< /  missing (line, name): /p; s/^> /  unexpected (line, name): /p' >&2
  query_errors "$out/canary.log" | sed 's/^/  clang-query: /' >&2
  die "the check itself is broken (log: $out/canary.log)"
fi

# 2. Every Windows source, both views: 16 files per clang-query (it keeps
# every AST of its files in memory, about 20 MB each), two at a time. It
# exits 0 whatever the diagnostics; anything else (a crash) is a failure.
rm -f "$out"/query.*.log
# shellcheck disable=SC2016 # the inner script expands its own arguments
printf '%s\0' "${files[@]}" | xargs -0 -n 16 -P 2 bash -c '
  log=$(mktemp "$2/query.XXXXXX.log")
  clang-query -p "$2/db" -f "$1" "${@:3}" >"$log" 2>&1 || { echo "clang-query exit $?: $log" >&2; exit 1; }
' _ "$root/scripts/msvc-w4.query" "$out" || die "clang-query did not finish (above): nothing is proved"
cat "$out"/query.*.log >"$out/query.log"

fail=0
diags=$(diagnostics "$out/query.log")
if [ -n "$diags" ]; then
  fail=1
  echo "msvc-check: compiler diagnostics in the MSVC view:" >&2
  sed 's/^/  /' <<<"$diags" >&2
  # The file a diagnostic belongs to: its own, or the first of the include
  # stack clang prints before a diagnostic located in a header.
  bad=$(awk -v root="$root/" '
    /^In file included from / { if (!inc) { unit = $5; sub(/:[0-9]+:$/, "", unit) } inc = 1; next }
    /(warning|error): / {
      f = $1; sub(/:[0-9]+:[0-9]+:$/, "", f)
      if (!inc && f ~ /\.c$/) unit = f
      inc = 0; u = unit; sub("^" root, "", u); print (u == "" ? "(the command line)" : u); next
    }
    { inc = 0 }' "$out/query.log" | sort -u)
  echo "  files that do not compile cleanly ($(wc -l <<<"$bad")):" >&2
  head -n 30 <<<"$bad" | sed 's/^/    /' >&2
  [ "$(wc -l <<<"$bad")" -le 30 ] || echo "    ..." >&2
fi
qerr=$(query_errors "$out/query.log")
if [ -n "$qerr" ]; then
  fail=1
  echo "msvc-check: clang-query rejected scripts/msvc-w4.query:" >&2
  sed 's/^/  /' <<<"$qerr" >&2
fi
found=$(matches "$out/query.log")
if [ -n "$found" ]; then
  fail=1
  echo "msvc-check: what cl.exe /W4 /WX would reject and clang let through (scripts/msvc-w4.query):" >&2
  sed 's/^/  /' <<<"$found" >&2
  echo "  files: $(cut -d: -f1 <<<"$found" | sort -u | paste -sd ' ')" >&2
fi
if [ "$fail" -ne 0 ]; then
  die "${#files[@]} files ($units compilations) checked; see above (log: $out/query.log)"
fi
views=$(awk '{printf "%s%s view %s", (NR > 1 ? ", " : ""), $1, $2}' <<<"$counts")
echo "msvc-check: ${#files[@]} files, $units compilations ($views): no diagnostic;" \
  "canary: all $(wc -l <<<"$want") expected reports present"
