#!/usr/bin/env bash
# End-to-end, defect 12: after the abuse a public server meets (1,000 TCP
# connections opened and closed or reset, 300 idle connections, datagrams
# that draw ICMP, oversize datagrams), riox-echo must give its sockets back
# as promptly on rio as on iocp: 3 s after the abuse ends, the server process
# may hold at most FD_MARGIN (10) more open files than at its start, and its
# resident memory may have grown by at most the pool memory the abuse
# legitimately touched plus 8 MiB.
#
# Why these measures: under Wine every socket, and every Wine thread (four
# server pipes each, and about 1 MiB of memory), is a Unix fd / resident
# memory of the process that runs the .exe, so /proc/PID/fd and VmRSS show
# both sockets kept open and threads kept alive. The pool term: the 64 KiB
# receive posted on each idle connection becomes resident under Wine, and
# riox's buffer pool keeps its memory (measured on iocp: 300 idle connections
# alone add 19 MiB, 1,000 closed connections 1 MiB), so the allowance is
# IDLE x 64 KiB + 8 MiB; a dozen lingering threads exceed it.
#
#   abuse_fd_release.sh ABUSE_CLIENT RIOX_ECHO_EXE BACKEND [extra riox-echo args]
#
# Environment: FD_MARGIN (default 10), ABUSE_LATE=1 also samples at +10 s
# (for reports; the verdict is at +3 s either way).
set -euo pipefail
client=$1 server=$2 backend=$3
shift 3
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
fd_margin=${FD_MARGIN:-10}
conns=1000 idle=300 idle_ms=2000 icmp=200 oversize=64
rss_margin=$((idle * 64 + 8192)) # KiB, see above
[ -d /proc/self/fd ] || { echo "abuse_fd_release.sh: no /proc: cannot count fds" >&2; exit 77; }
# shellcheck source=tests/e2e/server.sh
. "$root/tests/e2e/server.sh"
# The server stops by itself well after the measurement (bounded run).
e2e_start_server abuse_fd_release.sh "$server" "$backend" 90 --quiet "$@"
# wine-run.sh execs the Wine loader, which runs the program in this very
# process: make sure the pid counted is the one running riox-echo.exe.
if ! tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q 'riox-echo'; then
  echo "abuse_fd_release.sh: pid $pid does not run riox-echo.exe: $(tr '\0' ' ' <"/proc/$pid/cmdline")" >&2
  exit 1
fi
echo "server: $line (pid $pid)"

fds() { find "/proc/$pid/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l; }
sockets() { find "/proc/$pid/fd" -mindepth 1 -maxdepth 1 -lname 'socket:*' 2>/dev/null | wc -l; }
rss() { awk '/^VmRSS:/ {print $2}' "/proc/$pid/status"; }
threads() { awk '/^Threads:/ {print $2}' "/proc/$pid/status"; }
sample() {
  printf '%-6s fds %4d (sockets %4d)  threads %4d  rss %7d KiB\n' "$1" "$(fds)" "$(sockets)" \
    "$(threads)" "$(rss)"
}

sleep 1 # let the loop settle into its first wait
fd0=$(fds) rss0=$(rss)
sample start
t0=$(date +%s.%N)
"$client" --host 127.0.0.1 --tcp "$tcp" --udp "$udp" --conns "$conns" --idle "$idle" \
  --idle-ms "$idle_ms" --icmp "$icmp" --oversize "$oversize" --timeout 40 || {
  echo "abuse_fd_release.sh: the abuse could not be delivered" >&2
  cat "$e2e_err" >&2
  exit 1
}
t1=$(date +%s.%N)
echo "abuse took $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s"
sample end
sleep 1
sample +1s
sleep 2
fd3=$(fds) rss3=$(rss)
sample +3s
if [ "${ABUSE_LATE:-0}" = 1 ]; then
  sleep 7
  sample +10s
fi
if ! kill -0 "$pid" 2>/dev/null; then
  echo "abuse_fd_release.sh: riox-echo died during the abuse" >&2
  cat "$e2e_err" >&2
  exit 1
fi
kill "$pid" 2>/dev/null || true
wait "$pid" 2>/dev/null || true
pid=
rc=0
if [ "$fd3" -gt $((fd0 + fd_margin)) ]; then
  echo "FAIL: 3 s after the abuse riox-echo ($backend) holds $fd3 open files, started with $fd0" \
       "(margin $fd_margin)" >&2
  rc=1
fi
if [ "$rss3" -gt $((rss0 + rss_margin)) ]; then
  echo "FAIL: 3 s after the abuse riox-echo ($backend) has $rss3 KiB resident, started with" \
       "$rss0 KiB (margin $rss_margin KiB)" >&2
  rc=1
fi
[ "$rc" -eq 0 ] && echo "abuse_fd_release.sh: PASS ($backend: fds $fd0 -> $fd3, rss $rss0 -> $rss3 KiB)"
exit "$rc"
