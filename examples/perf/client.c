/* riox-perf client engine: the phases every mode shares (see client.h).
 *
 * Fixed rate without coordinated omission: each connection has its own
 * schedule (next_ns += interval after every operation). An operation that is
 * due but cannot go out (all `depth` slots busy) keeps its intended time, and
 * its latency is counted from that time, so a stall shows up in every
 * operation it delayed instead of in one slow sample. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"

#define CLIENT__EVENTS 256
#define CLIENT__CLOSE_NS (2000 * CLIENT_MS)
#define CLIENT__HIST_PRECISION 7u

void client_fail(client_t *c, int code, const char *fmt, ...) {
  va_list ap;
  if (c->failed) return;
  c->failed = code;
  va_start(ap, fmt);
  vsnprintf(c->err, sizeof c->err, fmt, ap);
  va_end(ap);
}

void client_op_done(client_t *c, uint64_t stamp, uint64_t now) {
  c->last_progress = now;
  if (!client_measuring(c)) return;
  c->ops++;
  histogram_record(&c->hist, now > stamp ? now - stamp : 0);
}

int client_conn_init(client_t *c, client_conn_t *k, uint32_t nbufs_wanted) {
  uint32_t i, depth = c->o->depth;
  k->c = c;
  k->bufs = (char **)calloc(nbufs_wanted, sizeof *k->bufs);
  k->slots = (client_slot_t *)calloc(depth, sizeof *k->slots);
  k->free_slots = (uint16_t *)calloc(depth, sizeof *k->free_slots);
  k->fifo = (uint64_t *)calloc(depth, sizeof *k->fifo);
  if (k->bufs == NULL || k->slots == NULL || k->free_slots == NULL || k->fifo == NULL) {
    client_fail(c, PERF_EXIT_FAIL, "no memory for connection state");
    return PERF_EXIT_FAIL;
  }
  for (i = 0; i < depth; i++) k->free_slots[i] = (uint16_t)(depth - 1u - i);
  k->nfree_slots = depth;
  for (i = 0; i < nbufs_wanted; i++) {
    char *b;
    if (riox_buf_get(c->loop, &b) < 0) {
      client_fail(c, PERF_EXIT_FAIL, "buffer pool too small: %s", riox_last_detail());
      return PERF_EXIT_FAIL;
    }
    memset(b, 0x5a, c->bufsz); /* payload bytes: anything, but defined */
    client_buf_push(k, b);
  }
  return PERF_EXIT_OK;
}

int client_all_ready(const client_t *c) {
  uint32_t i;
  for (i = 0; i < c->nconns; i++)
    if (!c->conns[i].ready) return 0;
  return 1;
}

/* ------------------------------------------------------------ phases */

static void client__snapshot(client_t *c, riox_stats *st, uint64_t *u, uint64_t *k) {
  riox_loop_stats(c->loop, st);
  plat_cpu_ns(u, k);
}

static uint64_t client__secs(double s) { return (uint64_t)(s * 1e9 + 0.5); }

static void client__start_measuring(client_t *c, uint64_t now) {
  c->phase = CLIENT_MEASURE;
  c->t_deadline = now + client__secs(c->o->duration_s);
  histogram_reset(&c->hist);
  c->ops = 0;
  c->drops = 0;
  c->t0 = now;
  client__snapshot(c, &c->st0, &c->cpu_u0, &c->cpu_k0);
  if (c->srv != NULL) (void)perf_server_command(c->srv, PERF_SRV_SNAP_START);
  c->next_report = now + 1000 * CLIENT_MS;
  c->report_ops = 0;
  c->report_sent = c->sent;
  if (c->mode->window_start != NULL) c->mode->window_start(c, now);
}

static void client__advance(client_t *c, uint64_t now) {
  uint32_t i;
  switch (c->phase) {
  case CLIENT_HANDSHAKE:
    if (client_all_ready(c)) {
      c->phase = CLIENT_WARMUP;
      c->t_begin = now;
      c->last_progress = now;
      c->t_deadline = now + client__secs(c->o->warmup_s);
      /* Stagger the connections' schedules over one interval. */
      for (i = 0; i < c->nconns; i++) c->conns[i].next_ns = now + c->interval_ns * i / c->nconns;
      if (c->o->warmup_s <= 0.0) client__start_measuring(c, now);
    } else if (now >= c->t_deadline) {
      client_fail(c, PERF_EXIT_FAIL,
                  "no answer from %s (%s) within %.1f s: is `riox-perf --role server` running there, "
                  "and reachable?",
                  c->target_text, perf_mode_is_udp(c->o->mode) ? "UDP hello" : "TCP connect",
                  c->o->connect_timeout_s);
    }
    break;
  case CLIENT_WARMUP:
    if (now >= c->t_deadline) client__start_measuring(c, now);
    break;
  case CLIENT_MEASURE:
    if (now >= c->t_deadline) {
      c->phase = CLIENT_DRAIN;
      c->t1 = now;
      client__snapshot(c, &c->st1, &c->cpu_u1, &c->cpu_k1);
      if (c->srv != NULL) (void)perf_server_command(c->srv, PERF_SRV_SNAP_END);
      c->t_deadline = now + CLIENT_DRAIN_NS;
      if (c->mode->window_end != NULL) c->mode->window_end(c, now);
    }
    break;
  case CLIENT_DRAIN:
    if (c->mode->drained(c) || now >= c->t_deadline) c->phase = CLIENT_DONE;
    break;
  default:
    break;
  }
}

/* Post every operation that is due and has room. */
static void client__pump(client_t *c, uint64_t now) {
  uint32_t i, depth = c->o->depth;
  for (i = 0; i < c->nconns; i++) {
    client_conn_t *k = &c->conns[i];
    if (!k->ready || k->closed) continue;
    while (k->inflight < depth && k->nbufs > 0) {
      uint64_t stamp = now;
      if (c->interval_ns) {
        if (k->next_ns > now) break;
        stamp = k->next_ns;
      }
      if (c->mode->send_one(c, k, stamp) < 0) break; /* out of request slots: later */
      k->inflight++;
      if (c->interval_ns) k->next_ns += c->interval_ns;
    }
  }
}

static int client__timeout_ms(const client_t *c, uint64_t now) {
  uint64_t until = c->t_deadline < c->next_tick ? c->t_deadline : c->next_tick, d;
  uint32_t i;
  if (c->progress && c->phase == CLIENT_MEASURE && c->next_report < until) until = c->next_report;
  if (c->interval_ns && (c->phase == CLIENT_WARMUP || c->phase == CLIENT_MEASURE)) {
    for (i = 0; i < c->nconns; i++) {
      const client_conn_t *k = &c->conns[i];
      if (k->ready && k->inflight < c->o->depth && k->nbufs > 0 && k->next_ns < until) until = k->next_ns;
    }
  }
  if (until <= now) return 0;
  d = (until - now + CLIENT_MS - 1) / CLIENT_MS; /* round up: never wake early and spin */
  return d > 1000 ? 1000 : (int)d;
}

static void client__progress(client_t *c, uint64_t now) {
  double secs, rate;
  int flood = c->o->mode == PERF_MODE_UDP_FLOOD;
  if (!c->progress || c->phase != CLIENT_MEASURE || now < c->next_report) return;
  secs = (double)(now - c->next_report + 1000 * CLIENT_MS) / 1e9;
  /* udp-flood counts deliveries at the server at the end; meanwhile, sends. */
  rate = flood ? (double)(c->sent - c->report_sent) / secs : (double)(c->ops - c->report_ops) / secs;
  fprintf(stderr, "riox-perf: %5.1f/%.1f s  %s %s  %.0f %s  p50 %.1f us  p99 %.1f us\n",
          (double)(now - c->t0) / 1e9, c->o->duration_s, perf_mode_name(c->o->mode),
          riox_loop_backend(c->loop), rate, flood ? "sent/s" : "ops/s",
          (double)histogram_percentile(&c->hist, 50.0) / 1e3,
          (double)histogram_percentile(&c->hist, 99.0) / 1e3);
  c->report_ops = c->ops;
  c->report_sent = c->sent;
  c->next_report = now + 1000 * CLIENT_MS;
}

static void client__check_stall(client_t *c, uint64_t now) {
  uint64_t limit = client__secs(c->o->connect_timeout_s);
  if (limit < 3000 * CLIENT_MS) limit = 3000 * CLIENT_MS;
  if (limit < 2 * c->interval_ns) limit = 2 * c->interval_ns;
  if ((c->phase == CLIENT_WARMUP || c->phase == CLIENT_MEASURE) && now - c->last_progress > limit)
    client_fail(c, PERF_EXIT_FAIL, "nothing completed for %.1f s: %s stopped answering",
                (double)(now - c->last_progress) / 1e9, c->target_text);
}

static void client__dispatch(client_t *c, const riox_event *ev, uint64_t now) {
  if (ev->type == RIOX_EV_WAKE || ev->type == RIOX_EV_TIMER) return;
  if (ev->type == RIOX_EV_ERROR) {
    client_fail(c, PERF_EXIT_FAIL, "loop error: %s", riox_strerror(ev->status));
    return;
  }
  if (ev->type == RIOX_EV_CLOSE) {
    client_conn_t *k = (client_conn_t *)ev->sock_ctx;
    if (k != NULL) {
      k->closed = 1;
      k->sock = NULL;
    }
    return;
  }
  c->mode->event(c, ev, now);
}

static void client__run(client_t *c) {
  riox_event evs[CLIENT__EVENTS];
  uint64_t now = plat_now_ns(), hard;
  /* However the peer behaves, the run ends: handshake, warm-up, window,
   * drain and a margin. */
  hard = now + client__secs(c->o->connect_timeout_s + c->o->warmup_s + c->o->duration_s) +
         CLIENT_DRAIN_NS + 3000 * CLIENT_MS;
  c->phase = CLIENT_HANDSHAKE;
  c->t_deadline = now + client__secs(c->o->connect_timeout_s);
  c->next_tick = now + CLIENT_TICK_NS;
  c->last_progress = now;
  while (!c->failed) {
    int n, i;
    now = plat_now_ns();
    client__advance(c, now);
    if (c->failed || c->phase == CLIENT_DONE) break;
    if (now >= c->next_tick) {
      c->mode->tick(c, now);
      client__check_stall(c, now);
      c->next_tick = now + CLIENT_TICK_NS;
    }
    if (c->phase == CLIENT_WARMUP || c->phase == CLIENT_MEASURE) client__pump(c, now);
    client__progress(c, now);
    n = riox_wait(c->loop, evs, CLIENT__EVENTS, client__timeout_ms(c, now));
    if (n < 0) {
      client_fail(c, PERF_EXIT_FAIL, "riox_wait: %s (%s)", riox_strerror(n), riox_last_detail());
      break;
    }
    now = plat_now_ns();
    for (i = 0; i < n; i++) client__dispatch(c, &evs[i], now);
    if (now > hard)
      client_fail(c, PERF_EXIT_FAIL, "the run did not finish in time (phase %d)", c->phase);
  }
}

/* Close every socket and take their close events (bounded). */
static void client__close_all(client_t *c) {
  riox_event evs[CLIENT__EVENTS];
  uint64_t until = plat_now_ns() + CLIENT__CLOSE_NS;
  uint32_t i, open = 0;
  int prev = c->phase;
  c->phase = CLIENT_DONE; /* events from here on are teardown */
  for (i = 0; i < c->nconns; i++) {
    if (c->conns[i].sock != NULL && !c->conns[i].closed) {
      riox_close(c->conns[i].sock);
      open++;
    }
  }
  while (open > 0 && plat_now_ns() < until) {
    int n = riox_wait(c->loop, evs, CLIENT__EVENTS, 100), j;
    if (n < 0) break;
    for (j = 0; j < n; j++) client__dispatch(c, &evs[j], plat_now_ns());
    for (open = 0, i = 0; i < c->nconns; i++) open += c->conns[i].sock != NULL && !c->conns[i].closed;
  }
  c->phase = prev;
}

/* ------------------------------------------------------------- result */

static void client__result(client_t *c, perf_result_t *r) {
  static const double pct[PERF_LAT_COUNT] = {50.0, 90.0, 99.0, 99.9, 100.0};
  uint64_t calls = c->st1.os_calls - c->st0.os_calls;
  uint64_t kcalls = c->st1.kernel_calls - c->st0.kernel_calls;
  uint64_t rops = c->st1.ring_ops - c->st0.ring_ops;
  double ops = (double)c->ops, cpu_ns;
  int i;
  memset(r, 0, sizeof *r);
  r->backend = riox_loop_backend(c->loop);
  r->backend_requested = perf_backend_name(c->o->backend);
  r->mode = perf_mode_name(c->o->mode);
  r->role = perf_role_name(c->o->role);
  r->rio_notify = perf_loop_notify_name(c->o, c->loop);
  r->latency_kind = c->mode->latency_kind;
  r->size = c->o->size;
  r->conns = c->o->conns;
  r->depth = c->o->depth;
  r->offload = (uint32_t)perf_offload_on(c->o); /* --offload, resolved */
  r->rate = c->o->rate;
  r->duration_s = c->o->duration_s;
  r->warmup_s = c->o->warmup_s;
  r->under_wine = plat_under_wine();
  r->elapsed_s = c->elapsed_override > 0 ? c->elapsed_override : (double)(c->t1 - c->t0) / 1e9;
  r->ops = c->ops;
  r->sent = c->sent;
  r->errors = c->st1.errors - c->st0.errors;
  r->drops = c->drops + (c->st1.drops - c->st0.drops);
  r->ops_per_sec = r->elapsed_s > 0 ? ops / r->elapsed_s : 0.0;
  r->bits_per_sec = r->ops_per_sec * (double)c->o->size * 8.0;
  for (i = 0; i < PERF_LAT_COUNT; i++) r->latency_us[i] = (double)histogram_percentile(&c->hist, pct[i]) / 1e3;
  r->latency_mean_us = histogram_mean(&c->hist) / 1e3;
  r->latency_samples = histogram_count(&c->hist);
  r->latency_rel_error = histogram_rel_error(&c->hist);
  r->os_calls_per_op_client = ops > 0 ? (double)calls / ops : 0.0;
  r->os_calls_per_op = r->os_calls_per_op_client;
  r->os_calls_per_op_server = -1.0;
  r->kernel_calls_per_op_client = r->kernel_calls_per_op = ops > 0 ? (double)kcalls / ops : 0.0;
  r->ring_ops_per_op_client = r->ring_ops_per_op = ops > 0 ? (double)rops / ops : 0.0;
  r->kernel_calls_per_op_server = r->ring_ops_per_op_server = -1.0;
  r->cpu_user_s = (double)(c->cpu_u1 - c->cpu_u0) / 1e9;
  r->cpu_kernel_s = (double)(c->cpu_k1 - c->cpu_k0) / 1e9;
  cpu_ns = (double)(c->cpu_u1 - c->cpu_u0) + (double)(c->cpu_k1 - c->cpu_k0);
  r->cpu_us_per_op = ops > 0 ? cpu_ns / 1e3 / ops : 0.0;
}

void perf_result_add_server(perf_result_t *r, const riox_stats *s0, const riox_stats *s1) {
  double ops = (double)r->ops;
  /* Both snapshots arrive unless the server thread was wedged. */
  if (s1->os_calls < s0->os_calls || s1->os_calls == 0) return;
  r->os_calls_per_op_server = ops > 0 ? (double)(s1->os_calls - s0->os_calls) / ops : 0.0;
  r->os_calls_per_op = r->os_calls_per_op_client + r->os_calls_per_op_server;
  r->kernel_calls_per_op_server = ops > 0 ? (double)(s1->kernel_calls - s0->kernel_calls) / ops : 0.0;
  r->kernel_calls_per_op = r->kernel_calls_per_op_client + r->kernel_calls_per_op_server;
  r->ring_ops_per_op_server = ops > 0 ? (double)(s1->ring_ops - s0->ring_ops) / ops : 0.0;
  r->ring_ops_per_op = r->ring_ops_per_op_client + r->ring_ops_per_op_server;
  r->errors += s1->errors - s0->errors;
  r->drops += s1->drops - s0->drops;
}

/* -------------------------------------------------------------- entry */

static const client_mode_t *client__mode(int mode) {
  switch (mode) {
  case PERF_MODE_UDP_FLOOD: return &client_udp_flood;
  case PERF_MODE_UDP_RR: return &client_udp_rr;
  case PERF_MODE_TCP_STREAM: return &client_tcp_stream;
  default: return &client_tcp_rr;
  }
}

static void client__free(client_t *c) {
  uint32_t i;
  if (c->conns != NULL) {
    for (i = 0; i < c->nconns; i++) {
      free(c->conns[i].bufs);
      free(c->conns[i].slots);
      free(c->conns[i].free_slots);
      free(c->conns[i].fifo);
    }
    free(c->conns);
  }
  free(c->mode_state);
  histogram_destroy(&c->hist);
  if (c->loop != NULL) riox_loop_close(c->loop);
}

int perf_client_run(const perf_opts *o, const riox_addr *target, perf_server_t *srv,
                    perf_result_t *res, char *err, size_t errlen) {
  client_t c;
  uint32_t count;
  int rc;
  memset(&c, 0, sizeof c);
  c.o = o;
  c.mode = client__mode(o->mode);
  c.srv = srv;
  c.target = *target;
  (void)riox_addr_format(target, c.target_text, sizeof c.target_text);
  c.nconns = o->conns;
  /* udp-flood with --offload on: each send carries as many datagrams of
   * --size as one segmented send may (RIOX_MAX_SEGMENTS, the UDP maximum). */
  c.batch = 1;
  if (o->mode == PERF_MODE_UDP_FLOOD && perf_offload_on(o)) {
    c.batch = PERF_UDP_SIZE_MAX / o->size;
    if (c.batch > RIOX_MAX_SEGMENTS) c.batch = RIOX_MAX_SEGMENTS;
    if (c.batch == 0) c.batch = 1;
  }
  /* Slots hold one payload (at least a few hundred bytes), 64-byte aligned. */
  c.bufsz = (o->size * c.batch < 256u ? 256u : o->size * c.batch);
  c.bufsz = (c.bufsz + 63u) & ~63u;
  /* Per connection: depth + 1 send buffers, up to depth + 2 receives. */
  count = o->conns * (2u * o->depth + 4u) + 64u;
  c.progress = !o->quiet && o->warmup_s + o->duration_s > 2.0;
  c.interval_ns = o->rate > 0 ? (uint64_t)(1e9 * (double)o->conns / o->rate) : 0;
  c.interval_ns *= c.batch; /* --rate counts datagrams */
  if (o->rate > 0 && c.interval_ns == 0) c.interval_ns = 1;
  c.session = (plat_now_ns() * 0x9E3779B97F4A7C15ull) ^ ((uint64_t)o->mode << 56) ^ 0x5851F42D4C957F2Dull;
  if (c.session == 0) c.session = 1;
  rc = perf_loop_open(o, c.bufsz, count, &c.loop, err, errlen);
  if (rc != PERF_EXIT_OK) return rc;
  if (histogram_init(&c.hist, CLIENT__HIST_PRECISION) < 0) {
    snprintf(err, errlen, "no memory for the latency histogram");
    client__free(&c);
    return PERF_EXIT_FAIL;
  }
  c.conns = (client_conn_t *)calloc(c.nconns, sizeof *c.conns);
  if (c.conns == NULL) {
    snprintf(err, errlen, "no memory for %u connections", c.nconns);
    client__free(&c);
    return PERF_EXIT_FAIL;
  }
  if (c.mode->open(&c) == PERF_EXIT_OK && !c.failed) client__run(&c);
  if (!c.failed && c.mode->finish(&c, plat_now_ns()) == PERF_EXIT_OK && c.ops == 0)
    client_fail(&c, PERF_EXIT_FAIL, "no operation completed in the measured window");
  client__close_all(&c);
  if (c.failed) {
    snprintf(err, errlen, "%s", c.err);
    rc = c.failed;
  } else {
    client__result(&c, res);
    rc = PERF_EXIT_OK;
    /* --threads: the run's percentiles come from every client's samples
     * (o->hist_out starts zeroed: it gets this histogram's precision). */
    if (o->hist_out != NULL &&
        ((o->hist_out->counts == NULL && histogram_init(o->hist_out, CLIENT__HIST_PRECISION) < 0) ||
         histogram_merge(o->hist_out, &c.hist) < 0)) {
      snprintf(err, errlen, "cannot merge the latency histograms");
      rc = PERF_EXIT_FAIL;
    }
  }
  client__free(&c);
  return rc;
}
