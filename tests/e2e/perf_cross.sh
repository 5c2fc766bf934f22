#!/usr/bin/env bash
# End-to-end across OSes: the native Linux riox-perf client drives the
# Windows riox-perf server (under Wine), and the Windows client drives the
# native server -- the same wire format (examples/perf/proto.h) on both
# sides. Each direction runs udp-rr and tcp-rr for 1 s; every run must
# complete operations with no errors.
#   perf_cross.sh NATIVE_RIOX_PERF WINDOWS_BIN_DIR
set -uo pipefail
native=$1 wbin=$2
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
wexe="$wbin/riox-perf.exe"
[ -x "$native" ] || { echo "perf_cross.sh: $native is missing" >&2; exit 1; }
[ -f "$wexe" ] || { echo "perf_cross.sh: $wexe is missing" >&2; exit 1; }
unset RIOX_BACKEND RIOX_RIO_EMULATION
srv_out=$(mktemp) srv_err=$(mktemp) out=$(mktemp) err=$(mktemp)
pid=
trap 'rm -f "$srv_out" "$srv_err" "$out" "$err"; [ -n "$pid" ] && kill "$pid" 2>/dev/null' EXIT

start_server() { # how...: sets pid, port
  "$@" --role server --bind 127.0.0.1:0 --quiet >"$srv_out" 2>"$srv_err" &
  pid=$!
  for _ in $(seq 1 300); do
    grep -q '^ready ' "$srv_out" && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  line=$(grep -m1 '^ready ' "$srv_out" || true)
  [ -n "$line" ] || { echo "perf_cross.sh: the server did not start: $*" >&2; cat "$srv_out" "$srv_err" >&2; exit 1; }
  udp_port=$(sed -n 's/.* udp=\([0-9]*\).*/\1/p' <<<"$line")
  tcp_port=$(sed -n 's/.* tcp=\([0-9]*\).*/\1/p' <<<"$line")
}

stop_server() { kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; pid=; }

fail=0
check_runs() { # LABEL CLIENT...
  local label=$1 mode
  shift
  for mode in udp-rr tcp-rr; do
    port=$udp_port
    [ "$mode" = tcp-rr ] && port=$tcp_port
    if ! timeout 120 "$@" --role client --target "127.0.0.1:$port" --mode "$mode" --conns 2 \
      --duration 1 --warmup 0.2 --json --quiet >"$out" 2>"$err"; then
      echo "perf_cross.sh: FAIL $label $mode:" >&2
      cat "$err" "$out" >&2
      fail=1
      continue
    fi
    if ! python3 -c 'import json,sys; r=json.loads(open(sys.argv[1]).read()); assert r["ops"] > 0 and r["errors"] == 0, r; print("  %-28s %-7s %8d ops, backend %s" % (sys.argv[2], sys.argv[3], r["ops"], r["backend"]))' \
      "$out" "$label" "$mode"; then
      fail=1
    fi
  done
}

start_server "$root/scripts/wine-run.sh" "$wexe"
check_runs "Linux client -> Windows server" "$native"
stop_server
start_server "$native"
check_runs "Windows client -> Linux server" "$root/scripts/wine-run.sh" "$wexe"
stop_server
exit "$fail"
