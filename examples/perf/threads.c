/* riox-perf --threads N: a loop per core ("A loop per core" in
 * docs/design.md). Each role runs N threads, each with its own loop:
 *  - server: N loops whose sockets share the port (RIOX_SOCK_REUSEPORT), so
 *    the OS spreads datagrams and connections over them. Windows shares no
 *    TCP port between listeners: there thread 0 alone listens on TCP;
 *  - client: N clients of --conns each, --rate shared out, each measuring
 *    its own window; the results are summed (rates add up, latencies come
 *    from every client's samples, OS calls per operation over all loops).
 * Thread i's loop gets riox_loop_config.cpu = i + 1 on Windows (a shared
 * UDP port needs it: SIO_CPU_AFFINITY) and with --pin (which also pins the
 * thread to processor i; on Linux the loop then prefers the flows its CPU
 * takes in, SO_INCOMING_CPU). With --role both, server i and client i get
 * the same processor. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "histogram.h"
#include "perf.h"
#include "plat.h"

#define THR__READY_MS 15000u
#define THR__SERVER_BUF 65536u /* a standalone server: the largest datagram */

typedef struct thr__server {
  perf_opts o; /* this thread's copy of the options */
  uint32_t index;
  int udp, tcp;
  uint32_t bufsz;
  double duration_s; /* perf_server_run's: 0 = until PERF_SRV_STOP */
  perf_server_t *srv;
  plat_signal_t *ready;
  plat_thread_t *thread;
  int open_rc, run_rc;
  riox_addr ua, ta;
  riox_stats s0, s1, total;
  char err[400];
} thr__server_t;

typedef struct thr__client {
  perf_opts o;
  uint32_t index;
  riox_addr target;
  perf_server_t *srv; /* in-process server for the snapshot commands, or NULL */
  plat_thread_t *thread;
  perf_result_t res;
  histogram_t hist;
  int rc;
  char err[400];
} thr__client_t;

static int thr__windows(void) {
#ifdef _WIN32
  return 1;
#else
  return 0;
#endif
}

/* Thread i's options: its loop's processor, and its pinning. */
static void thr__options(perf_opts *o, const perf_opts *base, uint32_t i) {
  *o = *base;
  o->loop_cpu = (thr__windows() || base->pin) ? i + 1u : 0u;
  o->hist_out = NULL;
}

static void thr__pin(const perf_opts *o, uint32_t i) {
  if (o->pin && plat_thread_pin(i) < 0 && !o->json)
    fprintf(stderr, "riox-perf: note: cannot pin thread %u to processor %u; it runs unpinned\n", i, i);
}

/* riox_stats is all uint64_t counters: sum them field by field. */
static void thr__stats_add(riox_stats *sum, const riox_stats *x) {
  uint64_t *d = (uint64_t *)(void *)sum;
  const uint64_t *s = (const uint64_t *)(const void *)x;
  size_t k;
  for (k = 0; k < sizeof *sum / sizeof(uint64_t); k++) d[k] += s[k];
}

/* ------------------------------------------------------------ servers */

static void thr__server_main(void *arg) {
  thr__server_t *s = (thr__server_t *)arg;
  thr__pin(&s->o, s->index);
  s->open_rc = perf_server_open(&s->o, s->udp, s->tcp, s->bufsz, &s->srv, s->err, sizeof s->err);
  if (s->open_rc == PERF_EXIT_OK) perf_server_addrs(s->srv, &s->ua, &s->ta);
  plat_signal_set(s->ready);
  if (s->open_rc != PERF_EXIT_OK) return;
  s->run_rc = perf_server_run(s->srv, s->duration_s);
  perf_server_snapshots(s->srv, &s->s0, &s->s1);
  riox_loop_stats(perf_server_loop(s->srv), &s->total);
  perf_server_close(s->srv);
}

/* Start n server threads one after the other: thread 0 binds first (an
 * ephemeral port is chosen there), the others bind the ports it got.
 * Returns how many started, or -1 with err set (the started ones keep
 * running: the process is ending). */
static int thr__servers_start(const perf_opts *base, thr__server_t *s, uint32_t n, int udp, int tcp,
                              uint32_t bufsz, double duration_s, char *err, size_t errlen) {
  uint32_t i;
  for (i = 0; i < n; i++) {
    thr__server_t *t = &s[i];
    memset(t, 0, sizeof *t);
    thr__options(&t->o, base, i);
    t->o.reuseport = 1;
    t->index = i;
    t->udp = udp;
    t->tcp = tcp;
    t->bufsz = bufsz;
    t->duration_s = duration_s;
    if (i > 0) {
      t->o.bind.port = (uint16_t)(udp ? s[0].ua.port : s[0].ta.port);
      if (thr__windows()) t->tcp = 0; /* no TCP port sharing: thread 0 listens */
      if (!t->udp && !t->tcp) break;  /* Windows, TCP only: one server loop */
    }
    if (plat_signal_create(&t->ready) < 0 || plat_thread_start(&t->thread, thr__server_main, t) < 0) {
      snprintf(err, errlen, "cannot start server thread %u", i);
      return -1;
    }
    if (!plat_signal_wait(t->ready, THR__READY_MS)) {
      snprintf(err, errlen, "server thread %u did not start within %u s", i, THR__READY_MS / 1000u);
      return -1;
    }
    if (t->open_rc != PERF_EXIT_OK) {
      snprintf(err, errlen, "server thread %u: %.300s", i, t->err);
      return -1;
    }
  }
  return (int)i;
}

static void thr__servers_join(thr__server_t *s, uint32_t n) {
  uint32_t i;
  for (i = 0; i < n; i++) {
    plat_thread_join(s[i].thread);
    plat_signal_destroy(s[i].ready);
  }
}

/* ------------------------------------------------------------ clients */

static void thr__client_main(void *arg) {
  thr__client_t *c = (thr__client_t *)arg;
  thr__pin(&c->o, c->index);
  c->rc = perf_client_run(&c->o, &c->target, c->srv, &c->res, c->err, sizeof c->err);
}

/* The run's result from every client's (c[0..n) all succeeded). */
static void thr__sum(const perf_opts *base, thr__client_t *c, uint32_t n, histogram_t *all,
                     perf_result_t *r) {
  static const double pct[PERF_LAT_COUNT] = {50.0, 90.0, 99.0, 99.9, 100.0};
  double calls = 0.0, ops;
  uint32_t i;
  int k;
  *r = c[0].res;
  r->threads = n;
  r->rate = base->rate;
  r->ops = r->sent = r->errors = r->drops = 0;
  r->ops_per_sec = r->bits_per_sec = r->elapsed_s = 0.0;
  r->cpu_user_s = r->cpu_kernel_s = 0.0;
  for (i = 0; i < n; i++) {
    const perf_result_t *x = &c[i].res;
    r->ops += x->ops;
    r->sent += x->sent;
    r->errors += x->errors;
    r->drops += x->drops;
    r->ops_per_sec += x->ops_per_sec;
    r->bits_per_sec += x->bits_per_sec;
    calls += x->os_calls_per_op_client * (double)x->ops;
    if (x->elapsed_s > r->elapsed_s) r->elapsed_s = x->elapsed_s;
    /* Process CPU time over each client's window: the windows overlap, so
     * the longest is the run's (not their sum). */
    if (x->cpu_user_s + x->cpu_kernel_s > r->cpu_user_s + r->cpu_kernel_s) {
      r->cpu_user_s = x->cpu_user_s;
      r->cpu_kernel_s = x->cpu_kernel_s;
    }
  }
  ops = (double)r->ops;
  r->os_calls_per_op_client = ops > 0 ? calls / ops : 0.0;
  r->os_calls_per_op = r->os_calls_per_op_client;
  r->os_calls_per_op_server = -1.0;
  r->cpu_us_per_op = ops > 0 ? (r->cpu_user_s + r->cpu_kernel_s) * 1e6 / ops : 0.0;
  for (k = 0; k < PERF_LAT_COUNT; k++) r->latency_us[k] = (double)histogram_percentile(all, pct[k]) / 1e3;
  r->latency_mean_us = histogram_mean(all) / 1e3;
  r->latency_samples = histogram_count(all);
  r->latency_rel_error = histogram_rel_error(all);
}

/* Run n clients against target (servers: the in-process ones, or NULL). */
static int thr__clients_run(const perf_opts *base, const riox_addr *target, thr__server_t *servers,
                            uint32_t nservers, perf_result_t *res, char *err, size_t errlen) {
  uint32_t n = base->threads, i, started = 0;
  thr__client_t *c = (thr__client_t *)calloc(n, sizeof *c);
  histogram_t all;
  int rc = PERF_EXIT_OK;
  if (c == NULL) {
    snprintf(err, errlen, "no memory for %u client threads", n);
    return PERF_EXIT_FAIL;
  }
  memset(&all, 0, sizeof all);
  for (i = 0; i < n; i++) {
    thr__options(&c[i].o, base, i);
    c[i].o.rate = base->rate / (double)n;
    c[i].o.hist_out = &c[i].hist;
    c[i].index = i;
    c[i].target = *target;
    c[i].srv = servers != NULL ? servers[i % nservers].srv : NULL;
    if (plat_thread_start(&c[i].thread, thr__client_main, &c[i]) < 0) {
      snprintf(err, errlen, "cannot start client thread %u", i);
      rc = PERF_EXIT_FAIL;
      break;
    }
    started++;
  }
  for (i = 0; i < started; i++) plat_thread_join(c[i].thread);
  for (i = 0; rc == PERF_EXIT_OK && i < n; i++) {
    if (c[i].rc != PERF_EXIT_OK) {
      snprintf(err, errlen, "client thread %u: %.300s", i, c[i].err);
      rc = c[i].rc;
    } else if ((all.counts == NULL && histogram_init(&all, c[i].hist.precision) < 0) ||
               histogram_merge(&all, &c[i].hist) < 0) {
      snprintf(err, errlen, "cannot merge the latency histograms");
      rc = PERF_EXIT_FAIL;
    }
  }
  if (rc == PERF_EXIT_OK) thr__sum(base, c, n, &all, res);
  for (i = 0; i < n; i++)
    if (c[i].hist.counts != NULL) histogram_destroy(&c[i].hist);
  if (all.counts != NULL) histogram_destroy(&all);
  free(c);
  return rc;
}

/* ---------------------------------------------------------------- roles */

int perf_threads_run(const perf_opts *o, perf_result_t *res, char *err, size_t errlen) {
  uint32_t n = o->threads;
  thr__server_t *s;
  int udp = perf_mode_is_udp(o->mode), ns, rc, i;
  riox_addr target;
  riox_stats s0, s1;
  if (o->role == PERF_ROLE_CLIENT) return thr__clients_run(o, &o->target, NULL, 0, res, err, errlen);
  s = (thr__server_t *)calloc(n, sizeof *s);
  if (s == NULL) {
    snprintf(err, errlen, "no memory for %u server threads", n);
    return PERF_EXIT_FAIL;
  }
  if (o->role == PERF_ROLE_SERVER) {
    riox_stats st;
    ns = thr__servers_start(o, s, n, 1, 1, THR__SERVER_BUF, o->duration_s, err, errlen);
    if (ns < 0) return PERF_EXIT_FAIL;
    printf("ready backend=%s udp=%u tcp=%u threads=%d\n", riox_loop_backend(perf_server_loop(s[0].srv)),
           s[0].ua.port, s[0].ta.port, ns);
    fflush(stdout);
    thr__servers_join(s, (uint32_t)ns);
    memset(&st, 0, sizeof st);
    rc = PERF_EXIT_OK;
    for (i = 0; i < ns; i++) {
      thr__stats_add(&st, &s[i].total);
      if (s[i].run_rc != PERF_EXIT_OK) rc = s[i].run_rc;
      if (!o->quiet)
        fprintf(stderr, "riox-perf: server thread %d: received %llu ops, accepts %llu\n", i,
                (unsigned long long)s[i].total.recv_ops, (unsigned long long)s[i].total.accepts);
    }
    if (!o->quiet)
      fprintf(stderr,
              "riox-perf: server: received %llu ops (%llu bytes), sent %llu, accepts %llu, OS calls "
              "%llu, errors %llu, drops %llu\n",
              (unsigned long long)st.recv_ops, (unsigned long long)st.recv_bytes,
              (unsigned long long)st.send_ops, (unsigned long long)st.accepts,
              (unsigned long long)st.os_calls, (unsigned long long)st.errors,
              (unsigned long long)st.drops);
    free(s);
    if (rc != PERF_EXIT_OK) snprintf(err, errlen, "a server thread failed");
    return rc;
  }
  /* --role both: N server loops, then N clients against them. */
  {
    uint32_t bufsz = o->size < 2048u ? 2048u : (o->size + 63u) & ~63u;
    ns = thr__servers_start(o, s, n, udp, !udp, bufsz, 0.0, err, errlen);
    if (ns < 0) return PERF_EXIT_FAIL;
  }
  target = udp ? s[0].ua : s[0].ta;
  rc = thr__clients_run(o, &target, s, (uint32_t)ns, res, err, errlen);
  for (i = 0; i < ns; i++)
    if (perf_server_command(s[i].srv, PERF_SRV_STOP) < 0) {
      snprintf(err, errlen, "cannot stop server thread %d: %s", i, riox_last_detail());
      return PERF_EXIT_FAIL; /* not joined: the process is ending */
    }
  thr__servers_join(s, (uint32_t)ns);
  memset(&s0, 0, sizeof s0);
  memset(&s1, 0, sizeof s1);
  for (i = 0; i < ns; i++) {
    thr__stats_add(&s0, &s[i].s0);
    thr__stats_add(&s1, &s[i].s1);
  }
  if (rc == PERF_EXIT_OK) perf_result_add_server(res, &s0, &s1);
  free(s);
  return rc;
}
