/* Fuzz target: riox-perf's option parser (examples/perf/opts.c).
 *
 * Input: byte 0 sets the size of the error buffer (0..63), the rest are
 * argv words separated by NUL bytes; a word that starts with a byte below
 * 0x20 is a token from the table below (an option or a value the parser
 * knows), so the fuzzer reaches the combinations quickly, else it is taken
 * as it is. Checked:
 *   - the result is PERF_OPTS_OK, _HELP or _ERROR; argv is not changed;
 *   - the error buffer: never written past its size (guard bytes), always
 *     NUL-terminated, a reason given whenever there is room for one, empty
 *     on success;
 *   - on success every field is in its documented range (opts.h, --help):
 *     sizes, counts, seconds, rates, names, addresses, the combinations
 *     (a UDP size no datagram exceeds, --echo-peer only for rr clients, a
 *     connectable --bind for --role both, a target port);
 *   - parsing the same words again gives the same result. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "fuzz_check.h"
#include "opts.h"

#define MAXW 24
#define GUARD 16

static const char *const tokens[] = {
    "--role", "--mode", "--backend", "--rio-notify", "--size", "--conns", "--depth", "--duration",
    "--warmup", "--rate", "--connect-timeout", "--target", "--bind", "--json", "--quiet",
    "--echo-peer", "--threads", "--pin", "--offload", "--help", "both", "server", "client",
    "udp-flood", "udp-rr", "tcp-stream", "tcp-rr", "auto", "iocp", "rio", "uring", "epoll",
    "rio-emulated", "poll", "event", "on", "off", "127.0.0.1", "::1", "[::1]:7400",
    "127.0.0.1:0", "0.0.0.0", "65507", "65508", "1048576", "32", "1024", "1e9", "2.5k", "0.1"};

static void check_ok(const perf_opts *o) {
  static const uint8_t zero[16];
  FZ_CHECK(o->role >= PERF_ROLE_BOTH && o->role <= PERF_ROLE_CLIENT, "role %d", o->role);
  FZ_CHECK(o->mode >= PERF_MODE_UDP_FLOOD && o->mode <= PERF_MODE_TCP_RR, "mode %d", o->mode);
  FZ_CHECK(o->backend >= PERF_BACKEND_AUTO && o->backend <= PERF_BACKEND_EPOLL, "backend %d", o->backend);
  FZ_CHECK(o->rio_notify <= RIOX_RIO_NOTIFY_EVENT, "rio_notify %u", o->rio_notify);
  FZ_CHECK(o->size >= PERF_HDR_SIZE && o->size <= PERF_TCP_SIZE_MAX, "size %u", o->size);
  FZ_CHECK(!perf_mode_is_udp(o->mode) || o->role == PERF_ROLE_SERVER || o->size <= PERF_UDP_SIZE_MAX,
           "UDP size %u", o->size);
  FZ_CHECK(o->conns >= 1 && o->conns <= PERF_CONNS_MAX, "conns %u", o->conns);
  FZ_CHECK(o->depth >= 1 && o->depth <= PERF_DEPTH_MAX, "depth %u", o->depth);
  FZ_CHECK(o->threads >= 1 && o->threads <= PERF_THREADS_MAX, "threads %u", o->threads);
  FZ_CHECK((o->duration_s >= 0.1 && o->duration_s <= 86400.0) ||
               (o->duration_s == 0.0 && o->role == PERF_ROLE_SERVER && !o->have_duration),
           "duration %g", o->duration_s);
  FZ_CHECK(o->warmup_s >= 0.0 && o->warmup_s <= 3600.0, "warmup %g", o->warmup_s);
  FZ_CHECK(o->rate >= 0.0 && o->rate <= 1e9 && !isnan(o->rate), "rate %g", o->rate);
  FZ_CHECK(o->connect_timeout_s >= 0.1 && o->connect_timeout_s <= 60.0, "connect timeout %g",
           o->connect_timeout_s);
  FZ_CHECK(o->offload >= PERF_OFFLOAD_DEFAULT && o->offload <= PERF_OFFLOAD_OFF, "offload %d", o->offload);
  FZ_CHECK(o->target.family == RIOX_AF_INET || o->target.family == RIOX_AF_INET6, "target family");
  FZ_CHECK(o->bind.family == RIOX_AF_INET || o->bind.family == RIOX_AF_INET6, "bind family");
  FZ_CHECK(o->target.port != 0, "target port 0");
  FZ_CHECK(o->role != PERF_ROLE_BOTH ||
               memcmp(o->bind.ip, zero, o->bind.family == RIOX_AF_INET ? 4 : 16) != 0,
           "--role both with a wildcard bind");
  FZ_CHECK(!o->echo_peer || (o->role == PERF_ROLE_CLIENT && perf_mode_is_rr(o->mode)),
           "--echo-peer role %d mode %d", o->role, o->mode);
  FZ_CHECK(strcmp(perf_role_name(o->role), "?") != 0 && strcmp(perf_mode_name(o->mode), "?") != 0 &&
               strcmp(perf_backend_name(o->backend), "?") != 0 &&
               strcmp(perf_notify_name(o->rio_notify), "?") != 0,
           "a name without a text");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char words[MAXW][128], copy[MAXW][128];
  char *argv[MAXW + 2];
  char area[GUARD + 64 + GUARD];
  char *err = area + GUARD;
  size_t errlen, i = 1, k;
  int argc = 1, rc, rc2;
  perf_opts o, o2;
  if (size == 0) return 0;
  errlen = data[0] % 64u;
  argv[0] = (char *)"riox-perf";
  while (i < size && argc <= MAXW) {
    size_t n = 0;
    char *w = words[argc - 1];
    if (data[i] < 0x20 && data[i] != 0) {
      strcpy(w, tokens[data[i] % (sizeof tokens / sizeof tokens[0])]);
      i++;
      while (i < size && data[i] != 0) i++; /* the rest of the word is ignored */
    } else {
      while (i < size && data[i] != 0 && n < sizeof words[0] - 1) w[n++] = (char)data[i++];
      w[n] = '\0';
      while (i < size && data[i] != 0) i++;
    }
    i++; /* the NUL */
    argv[argc] = w;
    argc++;
  }
  argv[argc] = NULL;
  for (k = 1; k < (size_t)argc; k++) strcpy(copy[k - 1], argv[k]);
  memset(area, 0x5a, sizeof area);
  rc = perf_opts_parse(argc, argv, &o, errlen > 0 ? err : NULL, errlen);
  FZ_CHECK(rc == PERF_OPTS_OK || rc == PERF_OPTS_HELP || rc == PERF_OPTS_ERROR, "result %d", rc);
  for (k = 0; k < sizeof area; k++)
    if (k < GUARD || k >= GUARD + errlen)
      FZ_CHECK(area[k] == 0x5a, "error buffer of %zu written at %ld", errlen, (long)k - GUARD);
  if (errlen > 0) {
    FZ_CHECK(memchr(err, '\0', errlen) != NULL, "error text not terminated in %zu bytes", errlen);
    if (rc == PERF_OPTS_ERROR && errlen > 1) FZ_CHECK(err[0] != '\0', "an error without a reason");
    if (rc == PERF_OPTS_OK) FZ_CHECK(err[0] == '\0', "success with an error text \"%s\"", err);
  }
  for (k = 1; k < (size_t)argc; k++) FZ_CHECK(strcmp(copy[k - 1], argv[k]) == 0, "argv[%zu] changed", k);
  if (rc == PERF_OPTS_OK) check_ok(&o);
  rc2 = perf_opts_parse(argc, argv, &o2, NULL, 0);
  FZ_CHECK(rc2 == rc, "parsed twice: %d then %d", rc, rc2);
  if (rc == PERF_OPTS_OK)
    FZ_CHECK(o.size == o2.size && o.depth == o2.depth && o.mode == o2.mode && o.role == o2.role &&
                 o.conns == o2.conns && memcmp(&o.target, &o2.target, sizeof o.target) == 0,
             "parsed twice: other options");
  return 0;
}
