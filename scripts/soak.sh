#!/usr/bin/env bash
# Soak (issue 13): echo load against an ASan+UBSan riox-echo for MINUTES on
# each Linux backend, with the server's resident memory and open files
# sampled every SOAK_INTERVAL seconds; see docs/soak.md for the definitions.
#
#   scripts/soak.sh [MINUTES] [BACKENDS...]     (default: 10 epoll uring)
#
# MINUTES may have decimals (0.1 = 6 s). Per backend, at the same time:
#   - riox-perf --role client --echo-peer, udp-rr, 8 sockets;
#   - riox-perf --role client --echo-peer, tcp-rr, 8 connections;
#   - echo_client in a loop (new TCP connections and UDP sockets every run,
#     every byte checked): connection churn and a correctness check.
# The verdict per backend: PASS when there was no error (riox-perf errors,
# a failed echo_client run, riox-echo not stopping cleanly on SIGTERM:
# exit status 0 and no sanitizer report), RSS is flat (docs/soak.md) and the
# open files at the end are those of the start; else FAIL. Exit status 0
# when every backend passed, 1 when one failed, 77 when none could run.
#
# Environment:
#   SOAK_BIN       directory with ASan builds of riox-echo, riox-perf and
#                  echo_client (default: build them in build/soak)
#   SOAK_INTERVAL  seconds between samples (default 5; shorter on runs under
#                  40 s, for 8 samples, but at least 1)
#   SOAK_SLACK     RSS growth allowed, KiB (default 4096)
#   SOAK_KEEP      a directory to keep each backend's samples and logs in
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
minutes=${1:-10}
shift || true
backends=("$@")
[ ${#backends[@]} -gt 0 ] || backends=(epoll uring)
slack=${SOAK_SLACK:-4096}
seconds=$(awk -v m="$minutes" 'BEGIN { s = m * 60; if (s < 1) s = 1; printf "%d", s + 0.5 }')
# Every 5 s, or often enough for 8 samples on a short run (at most 1 a second).
interval=${SOAK_INTERVAL:-$(((seconds / 8) < 1 ? 1 : (seconds / 8) > 5 ? 5 : seconds / 8))}
[ -d /proc/self/fd ] || { echo "soak.sh: no /proc: cannot sample memory and files" >&2; exit 77; }

bin=${SOAK_BIN:-}
if [ -z "$bin" ]; then
  echo "== soak: building ASan+UBSan riox-echo, riox-perf and echo_client in build/soak"
  cmake -S "$root" -B "$root/build/soak" -DCMAKE_BUILD_TYPE=Debug -DRIOX_SANITIZE=ON >/dev/null
  cmake --build "$root/build/soak" -j 2 --target riox-echo riox-perf echo_client >/dev/null
  bin=$root/build/soak/bin
fi
for p in riox-echo riox-perf echo_client; do
  [ -x "$bin/$p" ] || { echo "soak.sh: $bin/$p is missing" >&2; exit 1; }
done
grep -q __asan_init "$bin/riox-echo" ||
  echo "soak.sh: warning: $bin/riox-echo is not built with ASan: no leak report at the end" >&2
# A freed block stays in ASan's quarantine (256 MiB by default), which would
# look like growth: capped at 2 MiB, below the slack.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=2"

work=$(mktemp -d)
pids=()
cleanup() {
  local p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# soak_one BACKEND: prints the report, returns 0 pass, 1 fail, 77 skip.
soak_one() {
  local be=$1 d=$work/$1 spid line udp tcp perf_u perf_t loop_pid t0 now n=0 st=0
  mkdir -p "$d"
  echo "== soak $be: $seconds s of echo load, a sample every $interval s"
  "$bin/riox-echo" --udp 0 --tcp 0 --bind 127.0.0.1 --backend "$be" >"$d/echo.out" 2>"$d/echo.err" &
  spid=$!
  pids+=("$spid")
  for _ in $(seq 1 100); do
    grep -q '^ready ' "$d/echo.out" && break
    kill -0 "$spid" 2>/dev/null || break
    sleep 0.1
  done
  line=$(grep -m1 '^ready ' "$d/echo.out" || true)
  if [ -z "$line" ]; then
    echo "$be: SKIP: riox-echo did not start: $(head -c 300 "$d/echo.err")"
    kill "$spid" 2>/dev/null || true
    return 77
  fi
  udp=$(sed -n 's/.* udp=\([0-9]*\).*/\1/p' <<<"$line")
  tcp=$(sed -n 's/.* tcp=\([0-9]*\).*/\1/p' <<<"$line")
  sleep 1
  local fd0 rss0
  fd0=$(find "/proc/$spid/fd" -mindepth 1 -maxdepth 1 | wc -l)
  rss0=$(awk '/^VmRSS:/ {print $2}' "/proc/$spid/status")
  "$bin/riox-perf" --role client --echo-peer --target "127.0.0.1:$udp" --mode udp-rr --backend "$be" \
    --conns 8 --duration "$seconds" --warmup 0 --json --quiet >"$d/udp.json" 2>"$d/udp.err" &
  perf_u=$!
  "$bin/riox-perf" --role client --echo-peer --target "127.0.0.1:$tcp" --mode tcp-rr --backend "$be" \
    --conns 8 --duration "$seconds" --warmup 0 --json --quiet >"$d/tcp.json" 2>"$d/tcp.err" &
  perf_t=$!
  (
    end=$((SECONDS + seconds))
    while [ "$SECONDS" -lt "$end" ]; do
      if "$bin/echo_client" --host 127.0.0.1 --udp "$udp" --tcp "$tcp" --udp-sockets 2 --udp-max 2000 \
        --udp-step 97 --tcp-conns 4 --tcp-bytes 65536 --timeout 30 --quiet >>"$d/check.log" 2>&1; then
        echo ok >>"$d/checks"
      else
        echo fail >>"$d/checks"
      fi
    done
  ) &
  loop_pid=$!
  pids+=("$perf_u" "$perf_t" "$loop_pid")
  t0=$SECONDS
  echo "t=0 rss=$rss0 fds=$fd0" >"$d/samples"
  while kill -0 "$perf_u" 2>/dev/null || kill -0 "$perf_t" 2>/dev/null; do
    sleep "$interval"
    kill -0 "$spid" 2>/dev/null || break
    now=$((SECONDS - t0))
    echo "t=$now rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$spid/status")" \
         "fds=$(find "/proc/$spid/fd" -mindepth 1 -maxdepth 1 | wc -l)" >>"$d/samples"
    n=$((n + 1))
  done
  wait "$perf_u" || echo "riox-perf udp-rr exit status $?" >>"$d/errors"
  wait "$perf_t" || echo "riox-perf tcp-rr exit status $?" >>"$d/errors"
  wait "$loop_pid" || true
  sleep 2 # the last connections close
  local fd_end=-1 rss_end=-1
  if kill -0 "$spid" 2>/dev/null; then
    fd_end=$(find "/proc/$spid/fd" -mindepth 1 -maxdepth 1 | wc -l)
    rss_end=$(awk '/^VmRSS:/ {print $2}' "/proc/$spid/status")
    kill -TERM "$spid"
  fi
  wait "$spid" || st=$?
  [ "$st" -eq 0 ] || echo "riox-echo exit status $st" >>"$d/errors"
  grep -q 'Sanitizer' "$d/echo.err" && echo "riox-echo: sanitizer report (see its stderr)" >>"$d/errors"
  [ -n "${SOAK_KEEP:-}" ] && mkdir -p "$SOAK_KEEP" && cp -r "$d" "$SOAK_KEEP/"
  python3 - "$d" "$be" "$fd0" "$fd_end" "$rss_end" "$slack" <<'PY'
import json, os, sys
d, be, fd0, fd_end, rss_end, slack = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
def rd(name):
    p = os.path.join(d, name)
    return open(p).read() if os.path.exists(p) else ""
samples = []
for l in rd("samples").split("\n"):
    if l.strip():
        kv = dict(x.split("=") for x in l.split())
        samples.append((int(kv["t"]), int(kv["rss"]), int(kv["fds"])))
errors = [e for e in rd("errors").split("\n") if e]
ops = {}
for mode in ("udp", "tcp"):
    try:
        j = json.loads(rd(mode + ".json"))
        ops[mode] = j["ops"]
        if j["errors"]:
            errors.append("riox-perf %s-rr: %d errors" % (mode, j["errors"]))
        ops[mode + "_drops"] = j["drops"]
    except (ValueError, KeyError):
        ops[mode] = 0
        ops[mode + "_drops"] = 0
        errors.append("riox-perf %s-rr: no result (%s)" % (mode, rd(mode + ".err").strip()[:200]))
checks = rd("checks").split()
bad_checks = checks.count("fail")
if bad_checks:
    errors.append("echo_client: %d of %d runs failed (%s)" % (bad_checks, len(checks), rd("check.log").strip()[-300:]))
if not checks:
    errors.append("echo_client: no run completed")
print("%s: samples (t s: rss KiB, open files):" % be)
row = []
for t, r, f in samples:
    row.append("%5d: %7d %4d" % (t, r, f))
    if len(row) == 4:
        print("  " + " | ".join(row)); row = []
if row:
    print("  " + " | ".join(row))
total = ops["udp"] + ops["tcp"] + len(checks)
print("%s: operations %d (udp-rr %d, tcp-rr %d round trips; echo_client %d runs), udp-rr drops %d, errors %d"
      % (be, total, ops["udp"], ops["tcp"], len(checks), ops["udp_drops"], len(errors)))
for e in errors:
    print("%s:   error: %s" % (be, e))
# Flat RSS: drop the first quarter of the samples (the pool and the
# allocator warming up), split the rest in halves: the later half's peak
# may exceed the earlier half's by at most the slack.
ok = not errors
post = samples[max(1, len(samples) // 4):]
if len(post) >= 2:
    h = len(post) // 2
    a, b = max(s[1] for s in post[:h]), max(s[1] for s in post[h:])
    flat = b - a <= slack
    print("%s: rss start %d, peak %d, end %d KiB; after warm-up: first-half peak %d, second-half peak %d"
          " -> growth %+d KiB (slack %d): %s" % (be, samples[0][1], max(s[1] for s in samples), rss_end,
                                                   a, b, b - a, slack, "flat" if flat else "NOT FLAT"))
    ok = ok and flat
else:
    print("%s: too few samples (%d) to judge RSS" % (be, len(samples)))
    ok = False
files_ok = 0 <= fd_end <= fd0
print("%s: open files start %d, end %d: %s" % (be, fd0, fd_end, "same" if files_ok else "NOT BACK"))
ok = ok and files_ok
print("%s: %s" % (be, "PASS" if ok else "FAIL"))
sys.exit(0 if ok else 1)
PY
}

rc=0 ran=0
summary=()
for be in "${backends[@]}"; do
  r=0
  soak_one "$be" || r=$?
  case $r in
  0) ran=1 summary+=("$be PASS") ;;
  77) summary+=("$be SKIP") ;;
  *) ran=1 rc=1 summary+=("$be FAIL") ;;
  esac
done
echo "== soak ($minutes min): ${summary[*]}"
[ "$ran" = 1 ] || exit 77
exit "$rc"
