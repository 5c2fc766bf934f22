/* riox-perf option parsing: every option, its range and its default live in
 * this file, next to the --help text that documents them. */
#include "opts.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static const char *const perf__roles[] = {"both", "server", "client"};
static const char *const perf__modes[] = {"udp-flood", "udp-rr", "tcp-stream", "tcp-rr"};
static const char *const perf__backends[] = {"auto", "iocp", "rio", "rio-emulated", "uring", "epoll"};
/* Indexed by enum riox_rio_notify. */
static const char *const perf__notifies[] = {"iocp", "poll", "event"};

#define PERF__COUNT(a) (sizeof(a) / sizeof((a)[0]))

const char *perf_role_name(int role) {
  return role >= 0 && (size_t)role < PERF__COUNT(perf__roles) ? perf__roles[role] : "?";
}
const char *perf_mode_name(int mode) {
  return mode >= 0 && (size_t)mode < PERF__COUNT(perf__modes) ? perf__modes[mode] : "?";
}
const char *perf_backend_name(int backend) {
  return backend >= 0 && (size_t)backend < PERF__COUNT(perf__backends) ? perf__backends[backend]
                                                                        : "?";
}
const char *perf_notify_name(uint32_t notify) {
  return notify < PERF__COUNT(perf__notifies) ? perf__notifies[notify] : "?";
}

void perf_opts_usage(FILE *f) {
  fprintf(f,
          "usage: riox-perf [--role both|server|client] [--mode MODE] [--backend NAME] [options]\n"
          "\n"
          "Load generator and sink for riox: measures operations/s, bits/s, latency\n"
          "percentiles, OS calls and CPU time per operation on one backend.\n"
          "\n"
          "Roles:\n"
          "  --role both        server and client in this process, on two threads, over\n"
          "                     loopback (default)\n"
          "  --role server      serve every mode on --bind (UDP and TCP, same port) until\n"
          "                     killed, or for --duration seconds if given; prints\n"
          "                     \"ready backend=NAME udp=PORT tcp=PORT\" once listening\n"
          "  --role client      drive a riox-perf server at --target\n"
          "\n"
          "Workload:\n"
          "  --mode MODE        udp-rr (default): request/response round trips over UDP\n"
          "                     udp-flood: one-way datagrams; rate counted at the receiver\n"
          "                     tcp-stream: one-way bulk transfer over TCP\n"
          "                     tcp-rr: request/response round trips over TCP connections\n"
          "  --size BYTES       payload per operation, %u..%u for UDP, %u..%u for TCP\n"
          "                     (default 64; tcp-stream 16384)\n"
          "  --conns N          client sockets (UDP) or connections (TCP), 1..%u (default 1)\n"
          "  --depth N          operations outstanding per socket, 1..%u (default: 1 for\n"
          "                     the rr modes, 32 for udp-flood, 4 for tcp-stream); sends\n"
          "                     that are due together are issued as one deferred batch\n"
          "  --offload on|off   UDP modes: on (default where the OS has UDP segmentation\n"
          "                     offload: Linux GSO, Windows USO) = a udp-flood client sends\n"
          "                     each batch of up to 64 datagrams of --size as one segmented\n"
          "                     send, and the server takes coalesced receives (GRO/URO)\n"
          "                     and counts their datagrams; off = one datagram per send,\n"
          "                     no coalescing. Operations are datagrams either way.\n"
          "  --rate OPS         fixed total rate in operations/s (k and M suffixes, e.g.\n"
          "                     20k); latency is then measured from each operation's\n"
          "                     intended send time, so a stall is not hidden (no\n"
          "                     coordinated omission). 0 = as fast as possible (default)\n"
          "  --duration SEC     measured seconds (default 10; decimals allowed)\n"
          "  --warmup SEC       seconds run before measuring, not counted (default 1)\n"
          "  --threads N        N loops on N threads, 1..%u (default 1): the client runs N\n"
          "                     clients of --conns each (--rate is shared out), the server\n"
          "                     N loops sharing its port (RIOX_SOCK_REUSEPORT; Windows:\n"
          "                     one TCP listener, on thread 0); results are summed\n"
          "  --pin              pin thread i of each role to processor i (the loop gets it\n"
          "                     as riox_loop_config.cpu)\n"
          "\n",
          PERF_HDR_SIZE, PERF_UDP_SIZE_MAX, PERF_HDR_SIZE, PERF_TCP_SIZE_MAX, PERF_CONNS_MAX,
          PERF_DEPTH_MAX, PERF_THREADS_MAX);
  /* Two strings: C99/C11 compilers need to take literals of 4095 bytes only. */
  fprintf(f,
          "Backend:\n"
          "  --backend NAME     auto (default: Windows: RIO where the OS has it, else IOCP;\n"
          "                     Linux: uring where usable, else epoll), iocp, rio,\n"
          "                     rio-emulated (the rio backend on the test RIO emulator, in\n"
          "                     builds that include it; for hosts without RIO such as\n"
          "                     Wine), uring or epoll. RIOX_BACKEND in the environment wins.\n"
          "  --rio-notify HOW   how a RIO loop learns of completions: iocp (default),\n"
          "                     event, or poll (busy-poll, one core spins); ignored by iocp\n"
          "\n"
          "Addresses:\n"
          "  --target IP:PORT   client: the server (default 127.0.0.1:%u; an IP alone\n"
          "                     means port %u; IPv6 as [::1]:%u)\n"
          "  --bind ADDR[:PORT] server: local address (default 0.0.0.0:%u; with --role\n"
          "                     both 127.0.0.1 on an ephemeral port)\n"
          "  --connect-timeout SEC  give up on a peer that does not answer the handshake\n"
          "                     (TCP connect or UDP hello) after SEC seconds (default 3)\n"
          "  --echo-peer        client: the server is any RFC 862 echo server (riox-echo,\n"
          "                     the baselines in bench/baselines), not riox-perf: its\n"
          "                     echoed HELLO and REQ count as the answers (udp-rr, tcp-rr)\n"
          "\n"
          "Output:\n"
          "  --json             print one JSON object for the run on stdout\n"
          "  --quiet            no progress line (by default one line a second goes to\n"
          "                     stderr on runs longer than 2 s)\n"
          "  --help, -h         this text\n"
          "\n"
          "Exit status: 0 run completed; 1 the run failed (peer unreachable, nothing\n"
          "completed, I/O failure); 2 bad options; 3 the backend is not available here.\n",
          PERF_DEFAULT_PORT, PERF_DEFAULT_PORT, PERF_DEFAULT_PORT, PERF_DEFAULT_PORT);
}

/* ------------------------------------------------------------ helpers */

static int perf__fail(char *err, size_t errlen, const char *fmt, ...)
#if defined(__GNUC__) || defined(__clang__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

static int perf__fail(char *err, size_t errlen, const char *fmt, ...) {
  va_list ap;
  if (err != NULL && errlen > 0) {
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
  }
  return PERF_OPTS_ERROR;
}

static int perf__pick(const char *const *names, size_t n, const char *v, int *out) {
  size_t i;
  for (i = 0; i < n; i++) {
    if (strcmp(names[i], v) == 0) {
      *out = (int)i;
      return 0;
    }
  }
  return -1;
}

/* A whole decimal number in lo..hi. */
static int perf__u32(const char *v, uint32_t lo, uint32_t hi, uint32_t *out) {
  char *end = NULL;
  unsigned long long x;
  if (v[0] < '0' || v[0] > '9') return -1; /* strtoull would accept "-1" and " 1" */
  errno = 0;
  x = strtoull(v, &end, 10);
  if (errno != 0 || end == v || *end != '\0' || x < lo || x > hi) return -1;
  *out = (uint32_t)x;
  return 0;
}

/* A non-negative decimal (e.g. "2", "0.5"), optionally followed by one of
 * `suffixes` (each char scales by the matching entry of `scales`). */
static int perf__number(const char *v, const char *suffixes, const double *scales, double lo,
                        double hi, double *out) {
  char *end = NULL;
  double x;
  if ((v[0] < '0' || v[0] > '9') && v[0] != '.') return -1;
  errno = 0;
  x = strtod(v, &end);
  if (errno != 0 || end == v) return -1;
  if (*end != '\0') {
    const char *s = suffixes != NULL ? strchr(suffixes, *end) : NULL;
    if (s == NULL || end[1] != '\0') return -1;
    x *= scales[s - suffixes];
  }
  if (!(x >= lo && x <= hi)) return -1; /* also rejects NaN */
  *out = x;
  return 0;
}

static int perf__takes_value(const char *name) {
  static const char *const valued[] = {"--role",     "--mode",   "--backend", "--rio-notify",
                                       "--size",     "--conns",  "--depth",   "--duration",
                                       "--warmup",   "--rate",   "--target",  "--bind",
                                       "--connect-timeout", "--offload",
                                       "--threads"};
  size_t i;
  for (i = 0; i < PERF__COUNT(valued); i++)
    if (strcmp(name, valued[i]) == 0) return 1;
  return 0;
}

/* "HOST:PORT", "[V6]:PORT", or a bare IP meaning default_port. */
static int perf__endpoint(const char *v, uint16_t default_port, riox_addr *out) {
  if (riox_addr_parse_endpoint(v, out) == 0) return 0;
  if (riox_addr_parse(v, default_port, out) == 0) return 0;
  return -1;
}

/* ------------------------------------------------------------- parsing */

static void perf__defaults(perf_opts *o) {
  memset(o, 0, sizeof *o);
  o->role = PERF_ROLE_BOTH;
  o->mode = PERF_MODE_UDP_RR;
  o->backend = PERF_BACKEND_AUTO;
  o->rio_notify = RIOX_RIO_NOTIFY_IOCP;
  o->conns = 1;
  o->threads = 1;
  o->duration_s = 10.0;
  o->warmup_s = 1.0;
  o->connect_timeout_s = 3.0;
  (void)riox_addr_parse("127.0.0.1", (uint16_t)PERF_DEFAULT_PORT, &o->target);
  (void)riox_addr_parse("0.0.0.0", (uint16_t)PERF_DEFAULT_PORT, &o->bind);
}

int perf_opts_parse(int argc, char **argv, perf_opts *o, char *err, size_t errlen) {
  static const double rate_scales[] = {1e3, 1e6};
  int i, have_size = 0, have_target = 0;
  if (err != NULL && errlen > 0) err[0] = '\0';
  perf__defaults(o);
  for (i = 1; i < argc; i++) {
    char name[32];
    const char *a = argv[i], *v = NULL, *eq;
    int bad = 0;
    if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) return PERF_OPTS_HELP;
    if (strncmp(a, "--", 2) != 0)
      return perf__fail(err, errlen, "unexpected argument '%.60s' (options start with --; try --help)", a);
    /* --name=value or --name value */
    eq = strchr(a, '=');
    if (eq != NULL) {
      size_t n = (size_t)(eq - a);
      if (n >= sizeof name) return perf__fail(err, errlen, "unknown option '%.60s' (try --help)", a);
      memcpy(name, a, n);
      name[n] = '\0';
      v = eq + 1;
    } else {
      if (strlen(a) >= sizeof name) return perf__fail(err, errlen, "unknown option '%.60s' (try --help)", a);
      strcpy(name, a);
    }
    if (strcmp(name, "--json") == 0 || strcmp(name, "--quiet") == 0 ||
        strcmp(name, "--echo-peer") == 0 || strcmp(name, "--pin") == 0) {
      if (v != NULL) return perf__fail(err, errlen, "%s takes no value", name);
      if (name[2] == 'j') o->json = 1;
      else if (name[2] == 'q') o->quiet = 1;
      else if (name[2] == 'p') o->pin = 1;
      else o->echo_peer = 1;
      continue;
    }
    if (!perf__takes_value(name)) return perf__fail(err, errlen, "unknown option '%.40s' (try --help)", name);
    if (v == NULL) {
      if (i + 1 >= argc) return perf__fail(err, errlen, "%s needs a value (try --help)", name);
      v = argv[++i];
    }
    if (strcmp(name, "--role") == 0) {
      bad = perf__pick(perf__roles, PERF__COUNT(perf__roles), v, &o->role);
      if (bad) return perf__fail(err, errlen, "--role '%.40s': expected both, server or client", v);
    } else if (strcmp(name, "--mode") == 0) {
      bad = perf__pick(perf__modes, PERF__COUNT(perf__modes), v, &o->mode);
      if (bad)
        return perf__fail(err, errlen,
                          "--mode '%.40s': expected udp-flood, udp-rr, tcp-stream or tcp-rr", v);
    } else if (strcmp(name, "--backend") == 0) {
      bad = perf__pick(perf__backends, PERF__COUNT(perf__backends), v, &o->backend);
      if (bad)
        return perf__fail(err, errlen,
                          "--backend '%.40s': expected auto, iocp, rio, rio-emulated, uring or epoll",
                          v);
    } else if (strcmp(name, "--rio-notify") == 0) {
      int n = 0;
      bad = perf__pick(perf__notifies, PERF__COUNT(perf__notifies), v, &n);
      if (bad) return perf__fail(err, errlen, "--rio-notify '%.40s': expected iocp, event or poll", v);
      o->rio_notify = (uint32_t)n;
    } else if (strcmp(name, "--size") == 0) {
      if (perf__u32(v, PERF_HDR_SIZE, PERF_TCP_SIZE_MAX, &o->size) < 0)
        return perf__fail(err, errlen, "--size '%.40s': expected bytes in %u..%u", v, PERF_HDR_SIZE,
                          PERF_TCP_SIZE_MAX);
      have_size = 1;
    } else if (strcmp(name, "--threads") == 0) {
      if (perf__u32(v, 1, PERF_THREADS_MAX, &o->threads) < 0)
        return perf__fail(err, errlen, "--threads '%.40s': expected a number in 1..%u", v,
                          PERF_THREADS_MAX);
    } else if (strcmp(name, "--conns") == 0) {
      if (perf__u32(v, 1, PERF_CONNS_MAX, &o->conns) < 0)
        return perf__fail(err, errlen, "--conns '%.40s': expected a number in 1..%u", v, PERF_CONNS_MAX);
    } else if (strcmp(name, "--depth") == 0) {
      if (perf__u32(v, 1, PERF_DEPTH_MAX, &o->depth) < 0)
        return perf__fail(err, errlen, "--depth '%.40s': expected a number in 1..%u", v, PERF_DEPTH_MAX);
      o->have_depth = 1;
    } else if (strcmp(name, "--duration") == 0) {
      if (perf__number(v, NULL, NULL, 0.1, 86400.0, &o->duration_s) < 0)
        return perf__fail(err, errlen, "--duration '%.40s': expected seconds in 0.1..86400", v);
      o->have_duration = 1;
    } else if (strcmp(name, "--warmup") == 0) {
      if (perf__number(v, NULL, NULL, 0.0, 3600.0, &o->warmup_s) < 0)
        return perf__fail(err, errlen, "--warmup '%.40s': expected seconds in 0..3600", v);
    } else if (strcmp(name, "--rate") == 0) {
      if (perf__number(v, "kM", rate_scales, 0.0, 1e9, &o->rate) < 0)
        return perf__fail(err, errlen,
                          "--rate '%.40s': expected operations/s in 0..1e9 (suffix k or M allowed)", v);
    } else if (strcmp(name, "--connect-timeout") == 0) {
      if (perf__number(v, NULL, NULL, 0.1, 60.0, &o->connect_timeout_s) < 0)
        return perf__fail(err, errlen, "--connect-timeout '%.40s': expected seconds in 0.1..60", v);
    } else if (strcmp(name, "--offload") == 0) {
      if (strcmp(v, "on") == 0) o->offload = PERF_OFFLOAD_ON;
      else if (strcmp(v, "off") == 0) o->offload = PERF_OFFLOAD_OFF;
      else return perf__fail(err, errlen, "--offload '%.40s': expected on or off", v);
    } else if (strcmp(name, "--target") == 0) {
      if (perf__endpoint(v, (uint16_t)PERF_DEFAULT_PORT, &o->target) < 0 || o->target.port == 0)
        return perf__fail(err, errlen,
                          "--target '%.60s': expected IP:PORT, [IPv6]:PORT or an IP (port 1..65535)", v);
      have_target = 1;
    } else if (strcmp(name, "--bind") == 0) {
      if (perf__endpoint(v, (uint16_t)PERF_DEFAULT_PORT, &o->bind) < 0)
        return perf__fail(err, errlen, "--bind '%.60s': expected IP, IP:PORT or [IPv6]:PORT", v);
      o->have_bind = 1;
    } else {
      return perf__fail(err, errlen, "unknown option '%.40s' (try --help)", name);
    }
  }

  /* Role- and mode-dependent defaults and combinations. */
  if (o->role == PERF_ROLE_SERVER && have_target)
    return perf__fail(err, errlen, "--target is for --role client (a server listens on --bind)");
  if (o->role == PERF_ROLE_CLIENT && o->have_bind)
    return perf__fail(err, errlen, "--bind is for --role server or both (a client uses --target)");
  if (o->role == PERF_ROLE_BOTH && have_target)
    return perf__fail(err, errlen, "--target is for --role client (--role both talks to its own server)");
  if (o->role == PERF_ROLE_BOTH && !o->have_bind) {
    (void)riox_addr_parse("127.0.0.1", 0, &o->bind);
  } else if (o->role == PERF_ROLE_BOTH && o->have_bind) {
    /* A wildcard is no address to connect to. */
    static const uint8_t zero[16];
    size_t n = o->bind.family == RIOX_AF_INET ? 4 : 16;
    if (memcmp(o->bind.ip, zero, n) == 0)
      return perf__fail(err, errlen, "--bind with --role both must be a connectable IP such as 127.0.0.1 or ::1");
  }
  if (o->echo_peer && o->role != PERF_ROLE_CLIENT)
    return perf__fail(err, errlen, "--echo-peer is for --role client (a plain echo server is the peer)");
  if (o->echo_peer && o->mode != PERF_MODE_UDP_RR && o->mode != PERF_MODE_TCP_RR)
    return perf__fail(err, errlen,
                      "--echo-peer works with --mode udp-rr and tcp-rr (an echo server counts nothing)");
  if (o->role == PERF_ROLE_SERVER && !o->have_duration) o->duration_s = 0.0;
  if (!have_size) o->size = o->mode == PERF_MODE_TCP_STREAM ? 16384u : 64u;
  if (perf_mode_is_udp(o->mode) && o->size > PERF_UDP_SIZE_MAX && o->role != PERF_ROLE_SERVER)
    return perf__fail(err, errlen, "--size %u is larger than a UDP datagram can be (%u) for --mode %s",
                      o->size, PERF_UDP_SIZE_MAX, perf_mode_name(o->mode));
  if (!o->have_depth) {
    switch (o->mode) {
    case PERF_MODE_UDP_FLOOD: o->depth = 32; break;
    case PERF_MODE_TCP_STREAM: o->depth = 4; break;
    default: o->depth = 1; break;
    }
  }
  return PERF_OPTS_OK;
}
