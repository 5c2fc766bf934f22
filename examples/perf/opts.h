/* riox-perf command line: what a run is asked to do. Portable (no riox loop,
 * no OS calls), so tests/native/test_perf_opts.c checks it on Linux. */
#ifndef RIOX_PERF_OPTS_H
#define RIOX_PERF_OPTS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "riox.h"

enum perf_role { PERF_ROLE_BOTH = 0, PERF_ROLE_SERVER, PERF_ROLE_CLIENT };
enum perf_mode { PERF_MODE_UDP_FLOOD = 0, PERF_MODE_UDP_RR, PERF_MODE_TCP_STREAM, PERF_MODE_TCP_RR };
enum perf_backend {
  PERF_BACKEND_AUTO = 0,
  PERF_BACKEND_IOCP,
  PERF_BACKEND_RIO,
  PERF_BACKEND_RIO_EMULATED, /* "rio" on the test emulator where the OS has none */
  PERF_BACKEND_URING,        /* Linux */
  PERF_BACKEND_EPOLL         /* Linux */
};

/* Limits, shared with --help. */
#define PERF_HDR_SIZE 32u          /* the smallest payload: the wire header */
#define PERF_UDP_SIZE_MAX 65507u   /* largest IPv4 UDP payload */
#define PERF_TCP_SIZE_MAX 1048576u /* one pool slot at most */
#define PERF_CONNS_MAX 1024u
#define PERF_DEPTH_MAX 1024u
#define PERF_THREADS_MAX 64u
#define PERF_DEFAULT_PORT 7400u

typedef struct perf_opts {
  int role;          /* enum perf_role */
  int mode;          /* enum perf_mode */
  int backend;       /* enum perf_backend */
  uint32_t rio_notify; /* enum riox_rio_notify */
  uint32_t size;     /* payload bytes per operation (>= PERF_HDR_SIZE) */
  uint32_t conns;    /* sockets (UDP) or connections (TCP) */
  uint32_t depth;    /* operations outstanding per socket */
  double duration_s; /* measured seconds; server: 0 = until killed */
  double warmup_s;   /* seconds run but not measured, before the window */
  double rate;       /* operations/s over all sockets; 0 = as fast as possible */
  double connect_timeout_s;
  riox_addr target;  /* client: the server */
  riox_addr bind;    /* server: local address (port 0 = ephemeral) */
  int json;          /* one JSON object on stdout instead of the table */
  int quiet;         /* no progress lines */
  int echo_peer;     /* client: the server is a plain echo server (--echo-peer) */
  int offload;       /* enum perf_offload (--offload); perf_offload_on resolves the default */
  /* Set when the option was given, so role-dependent defaults can apply. */
  int have_duration, have_bind, have_depth;
  uint32_t threads;  /* --threads: loops, one per thread, per role (default 1) */
  int pin;           /* --pin: thread i runs on processor i */
  /* Not options: set by threads.c in each thread's copy (0 / NULL otherwise). */
  uint32_t loop_cpu;          /* riox_loop_config.cpu of the thread's loop */
  int reuseport;              /* server sockets share the port (RIOX_SOCK_REUSEPORT) */
  struct histogram *hist_out; /* client: its latencies are merged in here */
} perf_opts;

/* --offload: UDP segmentation offload (riox.h, "Segmentation offload"). */
enum perf_offload { PERF_OFFLOAD_DEFAULT = 0, PERF_OFFLOAD_ON, PERF_OFFLOAD_OFF };

enum { PERF_OPTS_OK = 0, PERF_OPTS_HELP = 1, PERF_OPTS_ERROR = -1 };

/* Fill *o from argv[1..argc). Returns PERF_OPTS_OK, PERF_OPTS_HELP (--help
 * was given: print perf_opts_usage and exit 0) or PERF_OPTS_ERROR with a
 * one-line reason in err (the caller exits 2). Applies role- and
 * mode-dependent defaults and checks combinations (e.g. --size over the UDP
 * maximum). */
int perf_opts_parse(int argc, char **argv, perf_opts *o, char *err, size_t errlen);
void perf_opts_usage(FILE *f);

const char *perf_role_name(int role);
const char *perf_mode_name(int mode);
const char *perf_backend_name(int backend);
const char *perf_notify_name(uint32_t notify);
static inline int perf_mode_is_udp(int mode) {
  return mode == PERF_MODE_UDP_FLOOD || mode == PERF_MODE_UDP_RR;
}
static inline int perf_mode_is_rr(int mode) {
  return mode == PERF_MODE_UDP_RR || mode == PERF_MODE_TCP_RR;
}

#endif
