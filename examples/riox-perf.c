/* riox-perf: the RIO-vs-IOCP load-testing harness.
 *
 *   riox-perf --mode udp-rr --backend iocp                  # both roles, loopback
 *   riox-perf --role server --bind 0.0.0.0:7400             # on one machine
 *   riox-perf --role client --target 10.0.0.2:7400 --mode udp-flood --json
 *
 * Measures operations/s, bits/s, latency percentiles (histogram with a
 * bounded relative error), OS calls per operation (riox_stats.os_calls) and
 * process CPU time per operation. --help documents every option; docs/perf.md
 * explains every number. The roles and modes live in examples/perf/. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "perf.h"
#include "plat.h"

#define PERF__SERVER_READY_MS 15000u
/* A standalone server does not know the client's payload size: its slots
 * hold the largest datagram. */
#define PERF__SERVER_BUF 65536u

/* ------------------------------------------------------------ server */

static int perf__run_server(const perf_opts *o) {
  perf_server_t *srv;
  riox_addr ua, ta;
  riox_stats st;
  char err[400];
  int rc = perf_server_open(o, 1, 1, PERF__SERVER_BUF, &srv, err, sizeof err);
  if (rc != PERF_EXIT_OK) {
    fprintf(stderr, "riox-perf: server: %s\n", err);
    return rc;
  }
  perf_server_addrs(srv, &ua, &ta);
  printf("ready backend=%s udp=%u tcp=%u\n", riox_loop_backend(perf_server_loop(srv)), ua.port,
         ta.port);
  fflush(stdout);
  rc = perf_server_run(srv, o->duration_s);
  riox_loop_stats(perf_server_loop(srv), &st);
  if (!o->quiet)
    fprintf(stderr,
            "riox-perf: server: received %llu ops (%llu bytes), sent %llu, accepts %llu, OS calls "
            "%llu (kernel %llu + ring %llu), errors %llu, drops %llu\n",
            (unsigned long long)st.recv_ops, (unsigned long long)st.recv_bytes,
            (unsigned long long)st.send_ops, (unsigned long long)st.accepts,
            (unsigned long long)st.os_calls, (unsigned long long)st.kernel_calls,
            (unsigned long long)st.ring_ops, (unsigned long long)st.errors,
            (unsigned long long)st.drops);
  perf_server_close(srv);
  return rc;
}

/* ------------------------------------------------------ both in-process */

typedef struct perf__both {
  const perf_opts *o;
  perf_server_t *srv;
  plat_signal_t *ready;
  int open_rc, run_rc;
  riox_addr addr;   /* where the client connects */
  riox_stats s0, s1;
  char err[400];
} perf__both_t;

/* The server thread: its loop is created, used and closed here. */
static void perf__server_thread(void *arg) {
  perf__both_t *b = (perf__both_t *)arg;
  const perf_opts *o = b->o;
  int udp = perf_mode_is_udp(o->mode);
  uint32_t bufsz = o->size < 2048u ? 2048u : (o->size + 63u) & ~63u;
  /* --offload on: coalesced receives need slots of 64 KiB (riox.h). */
  if (o->mode == PERF_MODE_UDP_FLOOD && perf_offload_on(o)) bufsz = PERF__SERVER_BUF;
  riox_addr ua, ta;
  b->open_rc = perf_server_open(o, udp, !udp, bufsz, &b->srv, b->err, sizeof b->err);
  if (b->open_rc == PERF_EXIT_OK) {
    perf_server_addrs(b->srv, &ua, &ta);
    b->addr = udp ? ua : ta;
  }
  plat_signal_set(b->ready);
  if (b->open_rc != PERF_EXIT_OK) return;
  b->run_rc = perf_server_run(b->srv, 0);
  perf_server_snapshots(b->srv, &b->s0, &b->s1);
  perf_server_close(b->srv);
}

static int perf__run_both(const perf_opts *o, perf_result_t *res, char *err, size_t errlen) {
  perf__both_t b;
  plat_thread_t *t = NULL;
  int rc;
  memset(&b, 0, sizeof b);
  b.o = o;
  if (plat_signal_create(&b.ready) < 0 || plat_thread_start(&t, perf__server_thread, &b) < 0) {
    snprintf(err, errlen, "cannot start the server thread");
    plat_signal_destroy(b.ready);
    return PERF_EXIT_FAIL;
  }
  if (!plat_signal_wait(b.ready, PERF__SERVER_READY_MS)) {
    /* Not joined: a wedged thread would hang us; the process is ending. */
    snprintf(err, errlen, "the server thread did not start within %u s", PERF__SERVER_READY_MS / 1000u);
    return PERF_EXIT_FAIL;
  }
  if (b.open_rc != PERF_EXIT_OK) {
    plat_thread_join(t);
    plat_signal_destroy(b.ready);
    snprintf(err, errlen, "server: %.300s", b.err);
    return b.open_rc;
  }
  rc = perf_client_run(o, &b.addr, b.srv, res, err, errlen);
  if (perf_server_command(b.srv, PERF_SRV_STOP) < 0) {
    snprintf(err, errlen, "cannot stop the server thread: %s", riox_last_detail());
    return PERF_EXIT_FAIL;
  }
  plat_thread_join(t);
  plat_signal_destroy(b.ready);
  if (rc == PERF_EXIT_OK) perf_result_add_server(res, &b.s0, &b.s1);
  return rc;
}

/* -------------------------------------------------------------- main */

int main(int argc, char **argv) {
  perf_opts o;
  perf_result_t res;
  char err[400];
  const char *env;
  int rc = perf_opts_parse(argc, argv, &o, err, sizeof err);
  if (rc == PERF_OPTS_HELP) {
    perf_opts_usage(stdout);
    return PERF_EXIT_OK;
  }
  if (rc != PERF_OPTS_OK) {
    fprintf(stderr, "riox-perf: %s\n", err);
    return PERF_EXIT_USAGE;
  }
  rc = perf_backend_prepare(&o, err, sizeof err);
  if (rc != PERF_EXIT_OK) {
    fprintf(stderr, "riox-perf: %s\n", err);
    return rc;
  }
  env = getenv("RIOX_BACKEND");
  if (env != NULL && env[0] != '\0' && !o.json)
    fprintf(stderr, "riox-perf: note: RIOX_BACKEND=%s in the environment overrides --backend\n", env);
  if (o.role == PERF_ROLE_SERVER && o.threads > 1) {
    rc = perf_threads_run(&o, &res, err, sizeof err); /* examples/perf/threads.c */
    if (rc != PERF_EXIT_OK) fprintf(stderr, "riox-perf: %s\n", err);
    return rc;
  }
  if (o.role == PERF_ROLE_SERVER) return perf__run_server(&o);
  if (o.rate > 0) plat_timer_fine_begin(); /* pacing wakes up on time */
  if (o.threads > 1) rc = perf_threads_run(&o, &res, err, sizeof err);
  else if (o.role == PERF_ROLE_CLIENT) rc = perf_client_run(&o, &o.target, NULL, &res, err, sizeof err);
  else rc = perf__run_both(&o, &res, err, sizeof err);
  if (o.rate > 0) plat_timer_fine_end();
  if (rc != PERF_EXIT_OK) {
    fprintf(stderr, "riox-perf: %s\n", err);
    return rc;
  }
  if (o.json) perf_report_json(stdout, &res);
  else perf_report_table(stdout, &res);
  fflush(stdout);
  return PERF_EXIT_OK;
}
