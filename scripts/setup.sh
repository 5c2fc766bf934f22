#!/usr/bin/env bash
# Install what riox needs on Debian 12 (as root, or with sudo), only what is
# missing. Sourced by test.sh, demo.sh and bench.sh.
riox_setup() {
  # clang, clang-tools (clang-query) and libwine-dev (Wine's Windows SDK
  # headers): the MSVC-mode check of scripts/msvc-check.sh. liburing-dev and
  # libuv1-dev: the native echo baselines in bench/baselines.
  local pkgs=(cmake make gcc g++ pkg-config python3 mingw-w64 gcc-mingw-w64-x86-64
              g++-mingw-w64-x86-64 wine64 libcriterion-dev libbenchmark-dev gnuplot-nox
              clang clang-tools libwine-dev liburing-dev libuv1-dev
              libclang-rt-14-dev) # libFuzzer for clang-14 (scripts/fuzz.sh)
  local missing=() p
  for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "setup: installing ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# Configure and build both trees: build/windows (mingw-w64, tests under
# Wine) and build/native (portable code, ASan+UBSan, Criterion).
riox_build() {
  local root jobs
  root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
  jobs=$(nproc 2>/dev/null || echo 2)
  cmake -S "$root" -B "$root/build/windows" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_TOOLCHAIN_FILE="$root/cmake/mingw-w64-x86_64.cmake" -DRIOX_RIO_EMU=ON >/dev/null
  cmake --build "$root/build/windows" -j "$jobs"
  cmake -S "$root" -B "$root/build/native" -DCMAKE_BUILD_TYPE=Debug \
    -DRIOX_WINDOWS_BIN="$root/build/windows/bin" >/dev/null
  cmake --build "$root/build/native" -j "$jobs"
}

# A private Wine prefix inside build/, created once (about 6 s).
riox_wine_prefix() {
  local root
  root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
  export WINEPREFIX="$root/build/wineprefix"
  export WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
  if [ ! -f "$WINEPREFIX/system.reg" ]; then
    echo "setup: creating the Wine prefix $WINEPREFIX"
    mkdir -p "$WINEPREFIX"
    "$root/scripts/wine-run.sh" cmd /c exit >/dev/null 2>&1 || true
    wineserver -w 2>/dev/null || true
  fi
}
