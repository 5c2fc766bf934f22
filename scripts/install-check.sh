#!/usr/bin/env bash
# riox as a user gets it (run by test.sh; alone: scripts/install-check.sh).
#
# For each of four builds -- Linux and Windows (mingw-w64), static and
# shared -- configure a tree to install from (-DRIOX_BUILD_TESTS=OFF),
# build it, `cmake --install` it into a scratch prefix, then:
#   - the prefix holds exactly the public files: riox.h, the generated
#     riox_version.h and riox_export.h, the library (libriox.a; or
#     libriox.so with its soname links; or riox.dll with libriox.dll.a),
#     rioxConfig.cmake, rioxConfigVersion.cmake, the targets files and
#     riox.pc; nothing test-only (riox_test.h, the RIO emulator);
#   - a shared library exports exactly the functions riox.h declares
#     RIOX_API (nm -D / the DLL's export table), all riox_*; libriox.so
#     has the soname libriox.so.<RIOX_SOVERSION> and riox.dll imports
#     only Windows' own DLLs; a static library holds no test seam;
#   - tests/install/consumer.c, outside riox's tree, builds against the
#     prefix with find_package(riox CONFIG REQUIRED) (CMake) and with
#     `pkg-config riox` (the compiler alone), and runs: natively, or under
#     Wine with riox.dll found on the installed bin/ directory;
#   - find_package(riox <next incompatible version>) is refused;
#   - add_subdirectory(riox) in the consumer's own tree builds and runs too;
#   - the consumer reads cleanly the way cl.exe would (clang in MSVC mode
#     over Wine's SDK headers, as scripts/msvc-check.sh does) against each
#     Windows prefix: a dllimport declaration for the DLL, none for the
#     static library.
# Also a test tree (RIOX_TEST_HOOKS) refuses to install.
# Exits non-zero when anything fails; the last line says what was checked.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out="$root/build/install-check"
jobs=$(nproc 2>/dev/null || echo 2)
mingw=x86_64-w64-mingw32
fails=0
checks=0

say() { echo "install-check: $*"; }
bad() {
  echo "install-check: FAILED: $*" >&2
  fails=$((fails + 1))
}
ok() { checks=$((checks + 1)); }
# run LOG CMD...: CMD's output goes to LOG; 1 (and the log's tail) on failure.
run() {
  local log=$1
  shift
  if ! "$@" >"$log" 2>&1; then
    echo "install-check: '$*' failed (log: $log):" >&2
    tail -n 20 "$log" | sed 's/^/    /' >&2
    return 1
  fi
}

for tool in cmake pkg-config nm readelf "$mingw-gcc" "$mingw-objdump" "$mingw-nm" clang; do
  command -v "$tool" >/dev/null || { bad "$tool not found (scripts/setup.sh installs it)"; exit 1; }
done

version=$(sed -n 's/^project(riox VERSION \([0-9.]*\).*/\1/p' "$root/CMakeLists.txt")
[[ "$version" =~ ^([0-9]+)\.([0-9]+)\.([0-9]+)$ ]] || { bad "no version in CMakeLists.txt"; exit 1; }
major=${BASH_REMATCH[1]} minor=${BASH_REMATCH[2]}
if [ "$major" -eq 0 ]; then soversion="$major.$minor" next="0.$((minor + 1))"; else soversion=$major next="$((major + 1)).0"; fi

# The functions riox.h declares (a declaration starts a line with its
# type), each of which must be marked RIOX_API: what a shared riox must
# export, and nothing more.
decls=$(grep -E '^(RIOX_API )?[a-z][a-z0-9_ ]*[ *]riox_[a-z0-9_]+\(' "$root/include/riox.h")
api=$(sed -n 's/^[^(]*[ *]\(riox_[a-z0-9_]*\)(.*/\1/p' <<<"$decls" | sort -u)
[ "$(wc -l <<<"$api")" -ge 40 ] || { bad "found only $(wc -l <<<"$api") functions in riox.h"; exit 1; }
unmarked=$(grep -v '^RIOX_API ' <<<"$decls" || true)
if [ -n "$unmarked" ]; then bad "riox.h declares functions without RIOX_API: $unmarked"; else ok; fi

# shellcheck source=scripts/setup.sh
. "$root/scripts/setup.sh"
wine_env() { riox_wine_prefix; }

# The MSVC view of scripts/msvc-check.sh, for the consumer's compile.
wine_inc=/usr/include/wine/wine
msvc_view=(clang --target=x86_64-pc-windows-msvc -fms-compatibility -fms-extensions
  -fms-compatibility-version=19.30 -std=c11 -fsyntax-only -nostdinc
  -isystem "$wine_inc/msvcrt" -isystem "$wine_inc/windows" -isystem "$(clang -print-resource-dir)/include"
  -D_CRT_SECURE_NO_WARNINGS -DWIN32 -D_WINDOWS -Wall -Wextra -Werror -Wpedantic -Wvla
  -Wshorten-64-to-32 -Wsign-compare -Wimplicit-int-conversion)

# The library directory of each build: linux-static installs into a
# multiarch one, as Debian's own packages do.
libdir_of() { if [ "$1-$2" = linux-static ]; then echo lib/x86_64-linux-gnu; else echo lib; fi; }

# check_files OS KIND PREFIX: the installed file list, exactly.
check_files() {
  local os=$1 kind=$2 prefix=$3 want got l
  l=$(libdir_of "$os" "$kind")
  want=(include/riox.h include/riox_version.h include/riox_export.h "$l/pkgconfig/riox.pc"
        "$l/cmake/riox/rioxConfig.cmake" "$l/cmake/riox/rioxConfigVersion.cmake"
        "$l/cmake/riox/rioxTargets.cmake" "$l/cmake/riox/rioxTargets-release.cmake")
  case "$os-$kind" in
    linux-static) want+=("$l/libriox.a") ;;
    linux-shared) want+=(lib/libriox.so "lib/libriox.so.$soversion" "lib/libriox.so.$version") ;;
    windows-static) want+=(lib/libriox.a) ;;
    windows-shared) want+=(bin/riox.dll lib/libriox.dll.a) ;;
  esac
  want=$(printf '%s\n' "${want[@]}" | sort)
  got=$(cd "$prefix" && find . \( -type f -o -type l \) | sed 's|^\./||' | sort)
  if [ "$want" != "$got" ]; then
    bad "$os-$kind: the prefix does not hold exactly the public files:"
    { diff <(echo "$want") <(echo "$got") || true; } | sed -n 's/^< /    missing: /p; s/^> /    unexpected: /p' >&2
  else ok; fi
  if [ -n "$(find "$prefix" -iname '*emu*' -o -iname 'riox_test*')" ]; then
    bad "$os-$kind: test-only files (the RIO emulator, riox_test.h) are in the prefix"
  else ok; fi
  if grep -q "@[A-Z_]*@" "$prefix/$l/pkgconfig/riox.pc" "$prefix/include/riox_version.h" \
    "$prefix/include/riox_export.h"; then bad "$os-$kind: an unsubstituted @VAR@ was installed"; else ok; fi
  grep -q "^#define RIOX_VERSION_STRING \"$version\"$" "$prefix/include/riox_version.h" &&
    grep -q "^Version: $version$" "$prefix/$l/pkgconfig/riox.pc" &&
    grep -q "PACKAGE_VERSION \"$version\"" "$prefix/$l/cmake/riox/rioxConfigVersion.cmake" ||
    { bad "$os-$kind: the installed version is not $version everywhere"; return; }
  ok
}

# check_symbols OS KIND PREFIX
check_symbols() {
  local os=$1 kind=$2 prefix=$3 got leaked
  if [ "$kind" = static ]; then
    # riox.h's functions are the archive's only global definitions (the
    # test seams, riox_test_*, and the emulator, rio_emu_*, among what must
    # not be there): cmake/library.cmake, riox_static_api_only.
    local nmtool=nm syms
    [ "$os" = windows ] && nmtool="$mingw-nm"
    if ! syms=$("$nmtool" -g --defined-only "$prefix/$(libdir_of "$os" static)/libriox.a" 2>"$out/$os-static/nm.log"); then
      bad "$os-static: nm could not read libriox.a: $(cat "$out/$os-static/nm.log")"
      return
    fi
    got=$(awk 'NF == 3 && $2 ~ /^[TDBRVW]$/ {print $3}' <<<"$syms" | sort -u)
    if [ "$got" != "$api" ]; then
      bad "$os-static: libriox.a's global definitions are not exactly riox.h's functions:"
      { diff <(echo "$api") <(echo "$got") || true; } | head -n 20 |
        sed -n 's/^< /    missing: /p; s/^> /    global, not in riox.h: /p' >&2
    else ok; fi
    return
  fi
  if [ "$os" = linux ]; then
    got=$(nm -D --defined-only "$prefix/lib/libriox.so" | awk '{print $3}' | sort -u)
    local soname
    soname=$(readelf -d "$prefix/lib/libriox.so" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
    if [ "$soname" != "libriox.so.$soversion" ]; then bad "linux-shared: soname '$soname', wanted libriox.so.$soversion"; else ok; fi
  else
    got=$("$mingw-objdump" -p "$prefix/bin/riox.dll" |
      awk '/^\[Ordinal\/Name Pointer\] Table/ {t = 1; next} t && /^\t\[ *[0-9]+\]/ {print $NF; next} t && !/^\t/ {t = 0}' | sort -u)
    local dlls
    dlls=$("$mingw-objdump" -p "$prefix/bin/riox.dll" | sed -n 's/^\tDLL Name: //p' | tr 'A-Z' 'a-z' | sort -u |
      grep -vxE 'kernel32\.dll|msvcrt\.dll|ws2_32\.dll|mswsock\.dll|ntdll\.dll|api-ms-win-.*\.dll' || true)
    if [ -n "$dlls" ]; then bad "windows-shared: riox.dll needs DLLs Windows does not have: $dlls"; else ok; fi
  fi
  if [ "$got" != "$api" ]; then
    bad "$os-shared: the exports are not exactly riox.h's RIOX_API functions:"
    { diff <(echo "$api") <(echo "$got") || true; } | sed -n 's/^< /    not exported: /p; s/^> /    exported, not in riox.h: /p' >&2
  else ok; fi
  if grep -qv '^riox_' <<<"$got"; then bad "$os-shared: an exported name does not start with riox_"; else ok; fi
}

# check_no_fault_seam OS KIND PREFIX: the installed library has no fault
# site machinery (src/core/fault.c and the macro layers' helpers: issue 13),
# not even as a local symbol: a release build's fault macros are the plain
# calls.
check_no_fault_seam() {
  local os=$1 kind=$2 prefix=$3 nmtool=nm lib syms seam
  [ "$os" = windows ] && nmtool="$mingw-nm"
  if [ "$kind" = static ]; then lib="$prefix/$(libdir_of "$os" static)/libriox.a"
  elif [ "$os" = linux ]; then lib="$prefix/lib/libriox.so"
  else lib="$prefix/bin/riox.dll"; fi
  if ! syms=$("$nmtool" -a "$lib" 2>/dev/null); then
    bad "$os-$kind: nm could not read $lib"
    return
  fi
  seam=$(awk '{print $NF}' <<<"$syms" |
    grep -E '^_?(fault_hit|fault__[a-z_]+|riox_test_fault_[a-z_]+|uring_fault_[a-z_]+|ws_fault|oscall_fault|oscall_status|sys__fail|sys__send)$' |
    sort -u | tr '\n' ' ' || true)
  if [ -n "$seam" ]; then bad "$os-$kind: the installed library has fault-seam symbols: $seam"; else ok; fi
}

# consumer OS KIND PREFIX: build tests/install/consumer.c both ways, run it.
consumer() {
  local os=$1 kind=$2 prefix=$3 dir=$out/$os-$kind tc=() exe pcflags
  [ "$os" = windows ] && tc=(-DCMAKE_TOOLCHAIN_FILE="$root/cmake/mingw-w64-x86_64.cmake")
  # CMake: find_package(riox CONFIG REQUIRED) through CMAKE_PREFIX_PATH.
  rm -rf "$dir/consumer-cmake"
  # It asks for this minor version, as the README's find_package(riox 0.1).
  if run "$dir/consumer-cmake.log" cmake -S "$root/tests/install" -B "$dir/consumer-cmake" "${tc[@]}" \
      -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$prefix" -DRIOX_CONSUMER_WANT="$major.$minor" &&
    run "$dir/consumer-cmake-build.log" cmake --build "$dir/consumer-cmake"; then
    grep -q "riox $version (" "$dir/consumer-cmake.log" || { bad "$os-$kind: find_package did not report riox $version"; }
    exe="$dir/consumer-cmake/consumer"
    [ "$os" = windows ] && exe="$exe.exe"
    run_consumer "$os" "$kind" "$prefix" "$exe" "find_package" && ok
  else bad "$os-$kind: the find_package consumer did not build"; fi
  # An incompatible version is refused by rioxConfigVersion.cmake.
  if cmake -S "$root/tests/install" -B "$dir/consumer-next" "${tc[@]}" -DCMAKE_PREFIX_PATH="$prefix" \
      -DRIOX_CONSUMER_WANT="$next" >"$dir/consumer-next.log" 2>&1; then
    bad "$os-$kind: find_package(riox $next) accepted riox $version"
  elif ! tr -s ' \n' '  ' <"$dir/consumer-next.log" | grep -q "compatible with requested version \"$next\""; then
    bad "$os-$kind: find_package(riox $next) failed, but not for the version (log: $dir/consumer-next.log)"
  else ok; fi
  # pkg-config, the compiler alone. PKG_CONFIG_LIBDIR for Windows: no
  # Linux .pc may leak into a Windows link.
  local cc=cc pcdir
  pcdir="$prefix/$(libdir_of "$os" "$kind")/pkgconfig"
  local pcenv=(PKG_CONFIG_PATH="$pcdir")
  [ "$os" = windows ] && cc="$mingw-gcc" pcenv=(PKG_CONFIG_LIBDIR="$pcdir" PKG_CONFIG_PATH=)
  if ! pcflags=$(env "${pcenv[@]}" pkg-config --cflags --libs riox 2>"$dir/pkg-config.log"); then
    bad "$os-$kind: pkg-config riox failed: $(cat "$dir/pkg-config.log")"
    return
  fi
  [ "$(env "${pcenv[@]}" pkg-config --modversion riox)" = "$version" ] || bad "$os-$kind: pkg-config --modversion is not $version"
  exe="$dir/consumer-pc"
  [ "$os" = windows ] && exe="$exe.exe"
  # shellcheck disable=SC2086 # pkg-config's flags are words
  if run "$dir/consumer-pc.log" "$cc" -std=c11 -Wall -Wextra -Werror -pedantic "$root/tests/install/consumer.c" \
      -o "$exe" $pcflags; then
    run_consumer "$os" "$kind" "$prefix" "$exe" "pkg-config" && ok
  else bad "$os-$kind: the pkg-config consumer did not build ($cc ... $pcflags)"; fi
  if [ "$os" = windows ]; then
    # cl.exe's reading of riox.h from this prefix.
    if run "$dir/consumer-msvc.log" "${msvc_view[@]}" -I"$prefix/include" "$root/tests/install/consumer.c"; then ok
    else bad "$os-$kind: the consumer does not read cleanly in the MSVC view"; fi
    local want_import=0
    [ "$kind" = shared ] && want_import=1
    printf '#include <riox.h>\nint riox_check_[(RIOX_SHARED == %d) ? 1 : -1];\n' "$want_import" >"$dir/shared.c"
    if run "$dir/consumer-msvc-shared.log" "${msvc_view[@]}" -I"$prefix/include" "$dir/shared.c"; then ok
    else bad "$os-$kind: the installed riox_export.h does not say RIOX_SHARED $want_import"; fi
  fi
}

# run_consumer OS KIND PREFIX EXE HOW
run_consumer() {
  local os=$1 kind=$2 prefix=$3 exe=$4 how=$5 log out_line
  log="$exe.run.log"
  if [ "$os" = linux ]; then
    if [ "$kind" = shared ]; then
      if ! readelf -d "$exe" | grep -q "NEEDED.*\[libriox.so.$soversion\]"; then
        bad "$os-$kind ($how): the consumer does not need libriox.so.$soversion"
        return 1
      fi
      LD_LIBRARY_PATH="$prefix/$(libdir_of "$os" "$kind")" "$exe" >"$log" 2>&1 || { bad "$os-$kind ($how): the consumer failed: $(cat "$log")"; return 1; }
    else
      if readelf -d "$exe" | grep -q "NEEDED.*libriox"; then bad "$os-$kind ($how): linked to a shared riox"; return 1; fi
      "$exe" >"$log" 2>&1 || { bad "$os-$kind ($how): the consumer failed: $(cat "$log")"; return 1; }
    fi
  else
    local imports
    imports=$("$mingw-objdump" -p "$exe" | sed -n 's/^\tDLL Name: //p' | tr 'A-Z' 'a-z')
    if [ "$kind" = shared ] && ! grep -qx "riox.dll" <<<"$imports"; then
      bad "$os-$kind ($how): the consumer does not import riox.dll"
      return 1
    fi
    if [ "$kind" = static ] && grep -qx "riox.dll" <<<"$imports"; then
      bad "$os-$kind ($how): the static consumer imports riox.dll"
      return 1
    fi
    # riox.dll from the prefix's bin/ (WINEPATH: Wine's PATH addition), as
    # a Windows program finds it on PATH.
    WINEPATH="Z:${prefix//\//\\}\\bin" "$root/scripts/wine-run.sh" "$exe" >"$log" 2>&1 ||
      { bad "$os-$kind ($how): the consumer failed under Wine: $(tr -d '\r' <"$log")"; return 1; }
  fi
  out_line=$(tr -d '\r' <"$log" | grep "^consumer: riox $version ($kind library) on .*: ok$" || true)
  if [ -z "$out_line" ]; then
    bad "$os-$kind ($how): the consumer did not report success: $(tr -d '\r' <"$log")"
    return 1
  fi
  say "$os-$kind ($how): ${out_line#consumer: }"
}

mkdir -p "$out"
for os in linux windows; do
  [ "$os" = windows ] && wine_env
  for kind in static shared; do
    dir=$out/$os-$kind
    rm -rf "$dir"
    mkdir -p "$dir"
    # The shared trees build the examples too: riox's own programs link
    # against riox.dll / libriox.so with nothing but what it exports.
    args=(-DCMAKE_BUILD_TYPE=Release -DRIOX_BUILD_TESTS=OFF -DRIOX_BUILD_EXAMPLES=OFF
          -DCMAKE_INSTALL_LIBDIR="$(libdir_of "$os" "$kind")")
    [ "$kind" = shared ] && args+=(-DBUILD_SHARED_LIBS=ON -DRIOX_BUILD_EXAMPLES=ON)
    [ "$os" = windows ] && args+=(-DCMAKE_TOOLCHAIN_FILE="$root/cmake/mingw-w64-x86_64.cmake")
    if ! run "$dir/configure.log" cmake -S "$root" -B "$dir/build" "${args[@]}" ||
      ! run "$dir/build.log" cmake --build "$dir/build" -j "$jobs" ||
      ! run "$dir/install.log" cmake --install "$dir/build" --prefix "$dir/prefix"; then
      bad "$os-$kind: the library did not configure, build and install"
      continue
    fi
    ok
    if [ "$kind" = shared ]; then
      probe=("$dir/build/bin/riox-probe")
      [ "$os" = windows ] && probe=("$root/scripts/wine-run.sh" "$dir/build/bin/riox-probe.exe")
      if run "$dir/probe.log" "${probe[@]}" --json && grep -q '"auto":"[a-z]*"' "$dir/probe.log"; then ok
      else bad "$os-shared: riox-probe, linked to the shared riox, failed (log: $dir/probe.log)"; fi
    fi
    check_files "$os" "$kind" "$dir/prefix"
    check_symbols "$os" "$kind" "$dir/prefix"
    check_no_fault_seam "$os" "$kind" "$dir/prefix"
    consumer "$os" "$kind" "$dir/prefix"
  done
done

# riox built inside the consumer's own tree (add_subdirectory): the same
# riox::riox, no tests of riox's, and the program runs.
dir=$out/subdirectory
rm -rf "$dir"
mkdir -p "$dir"
if run "$dir/configure.log" cmake -S "$root/tests/install" -B "$dir/build" -DCMAKE_BUILD_TYPE=Release \
    -DRIOX_CONSUMER_SOURCE_DIR="$root" &&
  run "$dir/build.log" cmake --build "$dir/build" -j "$jobs"; then
  grep -q "riox $version (built here" "$dir/configure.log" || bad "subdirectory: riox $version was not reported"
  run_consumer linux static "" "$dir/build/consumer" "add_subdirectory" && ok
else bad "the add_subdirectory consumer did not build"; fi

# A test tree's library has test seams (or sanitizers): it builds, and
# refuses to install.
dir=$out/test-tree
rm -rf "$dir"
mkdir -p "$dir"
if run "$dir/configure.log" cmake -S "$root" -B "$dir/build" -DCMAKE_BUILD_TYPE=Debug -DRIOX_BUILD_EXAMPLES=OFF \
    -DRIOX_BUILD_TESTS=OFF -DRIOX_TEST_HOOKS=ON -DRIOX_SANITIZE=OFF &&
  run "$dir/build.log" cmake --build "$dir/build" -j "$jobs" --target riox; then
  if cmake --install "$dir/build" --prefix "$dir/prefix" >"$dir/install.log" 2>&1; then
    bad "a library with test seams (RIOX_TEST_HOOKS=ON) was installed"
  elif ! tr -s ' \n' '  ' <"$dir/install.log" | grep -q "test seams or sanitizers compiled in"; then
    bad "installing a test tree failed, but not with the reason (log: $dir/install.log)"
  else ok; fi
else bad "the test-seam tree did not build"; fi

if [ "$fails" -ne 0 ]; then
  say "FAILED: $fails problem(s); $checks check(s) passed"
  exit 1
fi
say "riox $version: Linux and Windows, static and shared: installed, exports (riox.h's $(wc -l <<<"$api")" \
  "functions, nothing else), consumers via find_package and pkg-config run; $checks checks passed"
