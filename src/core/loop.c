/* The loop, OS-neutral: configuration, the event queue and its room,
 * requests, timers and internal deadlines, the buffer pool, statistics,
 * and riox_wait around the OS layer's one kernel wait (os_wait). riox_wait
 * is the only place events are made visible, so a completion never runs
 * inside the call that posted it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "hooks.h"
#include "riox_test.h"

#define LOOP__CLOSE_DRAIN_MS 30000

/* riox_test_set_close_drain_ms: tests shorten the close drain. */
static uint32_t loop__close_drain_ms = LOOP__CLOSE_DRAIN_MS;

void riox_test_set_close_drain_ms(unsigned ms) {
  loop__close_drain_ms = ms != 0 ? (uint32_t)ms : LOOP__CLOSE_DRAIN_MS;
}

/* ------------------------------------------------------------ config */

void riox_loop_config_init(riox_loop_config *cfg) {
  if (cfg == NULL) return;
  memset(cfg, 0, sizeof *cfg);
  cfg->backend = "auto";
  cfg->buf_size = 2048;
  cfg->buf_count = 4096;
  cfg->max_requests = 8192;
  cfg->accept_depth = 8;
  cfg->rio_notify = RIOX_RIO_NOTIFY_IOCP;
}

static int loop__check_config(const riox_loop_config *cfg) {
  if (cfg->buf_size == 0 || cfg->buf_size > POOL_BUF_SIZE_MAX)
    return error_detail(RIOX_EINVAL, "buf_size %u: must be 1..%u", cfg->buf_size,
                        POOL_BUF_SIZE_MAX);
  if (cfg->buf_count == 0 || cfg->buf_count > POOL_BUF_COUNT_MAX)
    return error_detail(RIOX_EINVAL, "buf_count %u: must be 1..%u", cfg->buf_count,
                        POOL_BUF_COUNT_MAX);
  if (cfg->max_requests == 0 || cfg->max_requests > (1u << 24))
    return error_detail(RIOX_EINVAL, "max_requests %u: must be 1..%u", cfg->max_requests,
                        1u << 24);
  if (cfg->accept_depth == 0 || cfg->accept_depth > 1024)
    return error_detail(RIOX_EINVAL, "accept_depth %u: must be 1..1024", cfg->accept_depth);
  if (cfg->rio_notify > RIOX_RIO_NOTIFY_EVENT)
    return error_detail(RIOX_EINVAL, "rio_notify %u: must be 0 (iocp), 1 (poll) or 2 (event)",
                        cfg->rio_notify);
  /* SIO_CPU_AFFINITY takes a USHORT processor index (WSAIoctl, Microsoft Learn). */
  if (cfg->cpu > 65536u)
    return error_detail(RIOX_EINVAL, "cpu %u: must be 0 (none) or processor index + 1 (1..65536)",
                        cfg->cpu);
  return 0;
}

/* ---------------------------------------------------------- lifecycle */

/* The environment (RIOX_BACKEND) wins over the config, so a deployed binary
 * can be switched without a rebuild. */
static int loop__choose_backend(riox_loop *loop) {
  char env[32];
  const char *name = loop->cfg.backend;
  if (os_getenv("RIOX_BACKEND", env, sizeof env)) name = env;
  if (name == NULL || name[0] == '\0') name = "auto";
  return os_backend_select(loop, name);
}

int riox_loop_create(const riox_loop_config *cfg, riox_loop **out) {
  riox_loop *loop;
  int rc;
  if (out == NULL) return error_detail(RIOX_EINVAL, "riox_loop_create: out is NULL");
  *out = NULL;
  loop = (riox_loop *)calloc(1, sizeof *loop);
  if (loop == NULL) return error_detail(RIOX_ENOMEM, "riox_loop_create: no memory for the loop");
  if (cfg != NULL) {
    loop->cfg = *cfg;
  } else {
    riox_loop_config_init(&loop->cfg);
  }
  list_init(&loop->socks);
  list_init(&loop->inline_done);
  list_init(&loop->reposts);
  list_init(&loop->dead);
  timer_heap_init(&loop->timers);
  timer_heap_init(&loop->deadlines);
  evq_init(&loop->events);
  rc = loop__check_config(&loop->cfg);
  if (rc == 0) rc = os_loop_init(loop);
  if (rc < 0) {
    free(loop);
    return rc;
  }
  rc = loop__choose_backend(loop);
  if (rc == 0) rc = pool_init(&loop->pool, loop->cfg.buf_size, loop->cfg.buf_count);
  if (rc == 0) {
    rc = slab_init(&loop->reqs, sizeof(req_t), loop->cfg.max_requests);
    if (rc < 0) pool_destroy(&loop->pool);
  }
  if (rc == 0) {
    rc = loop->be->loop_init(loop);
    if (rc < 0) {
      slab_destroy(&loop->reqs);
      pool_destroy(&loop->pool);
    }
  }
  if (rc < 0) {
    os_loop_fini(loop);
    timer_heap_destroy(&loop->timers);
    timer_heap_destroy(&loop->deadlines);
    evq_destroy(&loop->events);
    free(loop);
    return rc;
  }
  *out = loop;
  return 0;
}

const char *riox_loop_backend(const riox_loop *loop) {
  return loop != NULL ? loop->backend_name : "none";
}

uint32_t riox_loop_buf_size(const riox_loop *loop) {
  return loop != NULL ? loop->pool.buf_size : 0;
}

/* ------------------------------------------------------------- events
 *
 * Event room. "Every posted operation yields exactly one event" must hold when memory
 * runs out too (a lost CLOSE hangs the application, a lost RECV leaks its
 * buffer, a lost ACCEPT a connection), so an event's memory is found when
 * the operation is accepted, never when it completes. The queue's capacity
 * always covers what is queued plus everything owed:
 *
 *   cap >= count + owed, owed = requests in the slab (each owes at most one
 *     event: RECV, SEND, CONNECT, SHUTDOWN, ACCEPT or READY) + pending
 *     timers (TIMER) + holds (an open socket's CLOSE; the connection a
 *     posted AcceptEx may bring, whose CLOSE that socket then owes; a
 *     completion listener's next RIOX_EV_ERROR report, tcp.c).
 *
 * What makes an event owed first grows the queue (loop__grow) and is
 * refused with RIOX_ENOMEM when it cannot; an owed event is then queued
 * without needing memory (loop_push_event). Events nothing owes -- wakes,
 * posted from any thread and so not countable ahead, and the other error
 * and readiness reports -- only take room beyond what is owed
 * (loop_push_note), and a note that finds none is counted in stats.drops
 * (riox.h, riox_stats.drops, says which can be); the port is asked
 * for no more packets than that room holds, so a wake waits on the port
 * when there is none, and is never dropped. */

static uint32_t loop__owed(const riox_loop *loop) {
  return loop->reqs.in_use + timer_heap_count(&loop->timers) + loop->holds;
}

/* Room for n events beyond what is owed: 0 or RIOX_ENOMEM. */
static int loop__grow(riox_loop *loop, uint32_t n) {
  uint64_t need = (uint64_t)loop__owed(loop) + n;
  if (need <= evq_room(&loop->events)) return 0;
  if (need > UINT32_MAX || hooks_alloc_fails()) return RIOX_ENOMEM;
  return evq_reserve(&loop->events, (uint32_t)need) == 0 ? 0 : RIOX_ENOMEM;
}

int loop_room(riox_loop *loop, uint32_t n) {
  if (loop__grow(loop, n) == 0) return 0;
  return error_detail(RIOX_ENOMEM, "no memory to grow the event queue (%u queued, %u owed)",
                      evq_count(&loop->events), loop__owed(loop));
}

int loop_hold(riox_loop *loop) {
  int rc = loop_room(loop, 1);
  if (rc == 0) loop->holds++;
  return rc;
}

void loop_unhold(riox_loop *loop) { loop->holds--; }

/* The event just taken out of the queue left its slot free: holding it
 * needs no growth, so this cannot fail (cap >= count + owed still holds). */
void loop_rehold(riox_loop *loop) { loop->holds++; }

static riox_event *loop__fill(riox_loop *loop, uint32_t type, riox_sock *sock, void *ctx,
                              int status) {
  riox_event *ev = evq_push(&loop->events); /* room checked: never allocates */
  ev->type = type;
  ev->status = status;
  ev->sock = sock;
  ev->sock_ctx = sock != NULL ? sock->ctx : NULL;
  ev->ctx = ctx;
  if (status < 0 && status != RIOX_EOF) loop->stats.errors++;
  return ev;
}

riox_event *loop_push_event(riox_loop *loop, uint32_t type, riox_sock *sock, void *ctx,
                            int status) {
  if (evq_room(&loop->events) == 0) {
    /* Some path owed an event without making room for it, or queued one
     * it did not owe as owed. Dropping the event would break "exactly one
     * event per posted operation" without a trace: stop loudly instead. */
    fprintf(stderr, "riox: internal error: an owed event (type %u) found no room (loop.c)\n",
            (unsigned)type);
    fflush(stderr);
    abort();
  }
  return loop__fill(loop, type, sock, ctx, status);
}

riox_event *loop_push_note(riox_loop *loop, uint32_t type, riox_sock *sock, void *ctx,
                           int status) {
  if (loop__grow(loop, 1) < 0) {
    loop->stats.drops++;
    return NULL;
  }
  return loop__fill(loop, type, sock, ctx, status);
}

int loop_push_wake(riox_loop *loop, void *ctx) {
  if (loop__grow(loop, 1) < 0) return -1;
  (void)loop__fill(loop, RIOX_EV_WAKE, NULL, ctx, 0);
  return 0;
}

req_t *loop_req_alloc(riox_loop *loop, riox_sock *sock, uint8_t kind, req_cb cb) {
  req_t *req;
  if (loop__grow(loop, 1) < 0) return NULL; /* the event it owes */
  req = (req_t *)slab_alloc(&loop->reqs);
  if (req == NULL) return NULL;
  req->complete = cb;
  req->sock = sock;
  req->kind = kind;
  OS_REQ_INIT(req);
  list_init(&req->node);
  list_init(&req->order);
  if (sock != NULL) sock->pending++;
  return req;
}

int loop_req_error(riox_loop *loop, const char *what) {
  if (loop->reqs.in_use >= loop->reqs.limit)
    return error_detail(RIOX_ENOBUFS, "%s: all %u request slots in use", what, loop->reqs.limit);
  return error_detail(RIOX_ENOMEM, "%s: no memory for a request or for the event it owes", what);
}

void loop_req_free(riox_loop *loop, req_t *req) {
  riox_sock *sock = req->sock;
  slab_free(&loop->reqs, req);
  if (sock != NULL) sock_req_done(sock);
}

void loop_complete_inline(riox_loop *loop, req_t *req, int status, uint32_t bytes) {
  req->status = status;
  req->bytes = bytes;
  list_insert_tail(&loop->inline_done, &req->node);
}

/* ------------------------------------------------- internal deadlines */

/* Kept apart from the application's timers (loop->timers) so they never
 * surface as RIOX_EV_TIMER; the heap's ctx is the socket. */
int loop_deadline_set(riox_sock *sock, uint64_t delay_ms) {
  loop_deadline_clear(sock);
  return timer_heap_add(&sock->loop->deadlines, loop_now_ms() + delay_ms, sock, &sock->deadline_id);
}

void loop_deadline_clear(riox_sock *sock) {
  if (sock->deadline_id == 0) return;
  (void)timer_heap_cancel(&sock->loop->deadlines, sock->deadline_id, NULL);
  sock->deadline_id = 0;
}

/* Run every deadline due by `now` (UINT64_MAX: all of them). */
static void loop__run_deadlines(riox_loop *loop, uint64_t now) {
  void *ctx;
  while (timer_heap_pop_due(&loop->deadlines, now, NULL, &ctx)) {
    riox_sock *sock = (riox_sock *)ctx;
    sock->deadline_id = 0;
    sock_deadline(sock);
  }
}

static void loop__run_inline(riox_loop *loop) {
  list_node_t *node;
  /* Completions may queue more inline work (a re-post); take it all. */
  while ((node = list_pop_front(&loop->inline_done)) != NULL) {
    req_t *req = container_of(node, req_t, node);
    req->complete(loop, req, req->status, req->bytes);
  }
}

/* A wake is the one packet that brings an event nothing owes: read no more
 * packets than the room beyond what is owed holds (Event room, above). 0 when
 * there is none and events wait to be taken (they will make room). */
uint32_t loop_wait_batch(riox_loop *loop, uint32_t max) {
  uint32_t owed, room;
  (void)loop__grow(loop, max); /* best effort */
  owed = loop__owed(loop);
  room = evq_room(&loop->events);
  room = room > owed ? room - owed : 0;
  if (room > max) room = max;
  if (room == 0 && evq_count(&loop->events) == 0) room = 1; /* a wake then waits (below) */
  return room;
}

static void loop__expire_timers(riox_loop *loop) {
  uint64_t now, id;
  void *ctx;
  if (timer_heap_count(&loop->deadlines) > 0) loop__run_deadlines(loop, loop_now_ms());
  if (timer_heap_count(&loop->timers) == 0) return;
  now = loop_now_ms();
  while (timer_heap_pop_due(&loop->timers, now, &id, &ctx)) {
    riox_event *ev = loop_push_event(loop, RIOX_EV_TIMER, NULL, ctx, 0);
    ev->timer_id = id;
  }
}

static void loop__free_dead(riox_loop *loop) {
  list_node_t *node;
  while ((node = list_pop_front(&loop->dead)) != NULL) sock_free(container_of(node, riox_sock, node));
}

int riox_flush(riox_loop *loop) {
  int n;
  if (loop == NULL) return error_detail(RIOX_EINVAL, "riox_flush: loop is NULL");
  loop->flush_gen++; /* sends deferred so far are no longer held (sock.c) */
  /* Completions made inside earlier posts first: a send that completed in
   * its riox_send must not have its event queued behind that of a deferred
   * send posted after it, which the flush may complete at once
   * (test_regress_udp_send_order_deferred). */
  loop__run_inline(loop);
  n = loop->be->flush(loop);
  if (n > 0) loop->stats.batches++;
  return n;
}

/* Milliseconds to block: the caller's timeout, shortened by the next timer. */
static uint32_t loop__timeout(riox_loop *loop, uint64_t deadline) {
  uint64_t now = loop_now_ms(), next = timer_heap_next(&loop->timers), until = deadline;
  uint64_t internal = timer_heap_next(&loop->deadlines);
  if (next < until) until = next;
  if (internal < until) until = internal;
  if (until == UINT64_MAX) return OS_WAIT_INFINITE;
  if (until <= now) return 0;
  if (until - now > 0x7fffffffu) return 0x7fffffffu;
  return (uint32_t)(until - now);
}

/* Take up to max queued events, dropping readiness events that went stale
 * while queued (the socket was unwatched, modified or closed since). */
static uint32_t loop__pop_events(riox_loop *loop, riox_event *events, uint32_t max) {
  uint32_t n = 0, got, i;
  while (n == 0 && evq_count(&loop->events) > 0) {
    got = evq_pop(&loop->events, events, max);
    for (i = 0; i < got; i++) {
      /* A listener's failure report left the queue: its room is held for
       * the next one again (tcp.c, tcp_report_handed_out). */
      if (events[i].type == RIOX_EV_ERROR) tcp_report_handed_out(&events[i]);
      if (poll_event_live(&events[i])) events[n++] = events[i];
    }
  }
  return n;
}

int riox_wait(riox_loop *loop, riox_event *events, int max, int timeout_ms) {
  uint64_t deadline;
  uint32_t n = 0, i;
  if (loop == NULL || events == NULL || max <= 0)
    return error_detail(RIOX_EINVAL, "riox_wait: loop and events must be set and max > 0 (max %d)",
                        max);
  if (loop->closing) return error_detail(RIOX_ECLOSING, "riox_wait: the loop is closing");
  loop__free_dead(loop);
  deadline = timeout_ms < 0 ? UINT64_MAX : loop_now_ms() + (uint64_t)timeout_ms;
  for (;;) {
    uint32_t timeout;
    /* Receives that swallowed an ICMP report go out again here, never from
     * inside the dispatch that swallowed it: a re-post failing at once
     * cannot keep this call busy (sock_recv_swallow). */
    sock_run_reposts(loop);
    loop->wait_flushing = 1;
    riox_flush(loop);
    loop->wait_flushing = 0;
    loop__run_inline(loop);
    poll_flush_updates(loop);
    timeout = evq_count(&loop->events) > 0 ? 0 : loop__timeout(loop, deadline);
    loop->be->before_wait(loop, &timeout);
    if (!list_empty(&loop->inline_done) || !list_empty(&loop->reposts) ||
        evq_count(&loop->events) > 0)
      timeout = 0;
    /* With a full batch already queued there is nothing to gain from a call. */
    if (evq_count(&loop->events) < (uint32_t)max)
      os_wait(loop, timeout);
    else if (loop->flush_left)
      (void)loop->be->flush(loop); /* the deferred work the wait was to submit */
    loop->flush_left = 0;
    loop__run_inline(loop);
    loop__expire_timers(loop);
    if (evq_count(&loop->events) > 0) {
      n = loop__pop_events(loop, events, (uint32_t)max);
      if (n > 0) break;
    }
    if (timeout_ms >= 0 && loop_now_ms() >= deadline) return 0;
  }
  loop->stats.events += n;
  /* A socket whose close event is now the application's is freed at the next
   * riox_wait, so the pointer stays a valid identifier until then. */
  for (i = 0; i < n; i++) {
    if (events[i].type == RIOX_EV_CLOSE && events[i].sock != NULL) {
      list_remove(&events[i].sock->node);
      list_insert_tail(&loop->dead, &events[i].sock->node);
    }
  }
  return (int)n;
}

void riox_loop_close(riox_loop *loop) {
  list_node_t *node, *tmp;
  uint64_t id, until;
  void *ctx;
  int os_owns_pool;
  if (loop == NULL) return;
  list_for_each_safe(node, tmp, &loop->socks) {
    riox_sock *sock = container_of(node, riox_sock, node);
    if (sock->state != SK_CLOSING) riox_close(sock);
  }
  /* Nobody is left to wait for: connections lingering for their sends close
   * now (sock_deadline), listeners retry no accept. */
  loop__run_deadlines(loop, UINT64_MAX);
  while (timer_heap_pop_due(&loop->timers, UINT64_MAX, &id, &ctx)) {
  }
  loop->closing = 1;
  /* Nothing is freed while the OS may still write into it: drain every
   * request first. */
  until = loop_now_ms() + loop__close_drain_ms;
  sock_run_reposts(loop); /* closing: each completes as cancelled */
  loop__run_inline(loop);
  while (loop->reqs.in_use > 0 && loop_now_ms() < until) {
    uint32_t timeout = 100;
    riox_event gone[32];
    /* Nobody takes events any more: drop them, so the port is always read
     * (loop_wait_batch allows nothing while events wait to be taken). */
    while (evq_pop(&loop->events, gone, 32) > 0) {
    }
    loop->be->before_wait(loop, &timeout);
    os_wait(loop, timeout);
    loop__run_inline(loop);
  }
  os_owns_pool = loop->be->loop_fini(loop);
  list_for_each_safe(node, tmp, &loop->socks) sock_free(container_of(node, riox_sock, node));
  loop__free_dead(loop);
  evq_destroy(&loop->events);
  timer_heap_destroy(&loop->timers);
  timer_heap_destroy(&loop->deadlines); /* after sock_free: it clears each socket's */
  /* A request the OS never finished, or one the backend gave up while the
   * OS may still use its buffer: leaking that memory is the only safe
   * choice left. */
  if (loop->reqs.in_use == 0) slab_destroy(&loop->reqs);
  if (loop->reqs.in_use == 0 && !os_owns_pool) pool_destroy(&loop->pool);
  os_loop_fini(loop); /* after the sockets: they leave their AFD groups */
  free(loop);
}

/* ------------------------------------------------------------- timers */

int riox_timer_start(riox_loop *loop, uint64_t delay_ms, void *ctx, uint64_t *id) {
  uint64_t now;
  int rc;
  if (loop == NULL || id == NULL)
    return error_detail(RIOX_EINVAL, "riox_timer_start: loop and id must not be NULL");
  if (delay_ms > (UINT64_MAX >> 2))
    return error_detail(RIOX_EINVAL, "riox_timer_start: delay %llu ms is too large",
                        (unsigned long long)delay_ms);
  /* The timer owes its TIMER event (fired or cancelled): room first. */
  rc = loop_room(loop, 1);
  if (rc < 0) return rc;
  now = loop_now_ms();
  return timer_heap_add(&loop->timers, now + delay_ms, ctx, id);
}

int riox_timer_cancel(riox_loop *loop, uint64_t id) {
  void *ctx;
  riox_event *ev;
  int rc;
  if (loop == NULL) return error_detail(RIOX_EINVAL, "riox_timer_cancel: loop is NULL");
  rc = timer_heap_cancel(&loop->timers, id, &ctx);
  if (rc < 0) return rc;
  ev = loop_push_event(loop, RIOX_EV_TIMER, NULL, ctx, RIOX_ECANCELED);
  ev->timer_id = id;
  return 0;
}

/* ------------------------------------------------------------ buffers */

int riox_buf_get(riox_loop *loop, char **buf) {
  char *p;
  if (loop == NULL || buf == NULL)
    return error_detail(RIOX_EINVAL, "riox_buf_get: loop and buf must not be NULL");
  p = pool_get(&loop->pool);
  if (p == NULL) {
    *buf = NULL;
    return error_detail(RIOX_ENOBUFS, "buffer pool exhausted: all %u buffers in use",
                        loop->pool.buf_count);
  }
  *buf = p;
  return 0;
}

int riox_buf_put(riox_loop *loop, char *buf) {
  if (loop == NULL || buf == NULL)
    return error_detail(RIOX_EINVAL, "riox_buf_put: loop and buf must not be NULL");
  return pool_put(&loop->pool, buf);
}

/* ---------------------------------------------------------- statistics */

void riox_loop_stats(const riox_loop *loop, riox_stats *out) {
  if (loop == NULL || out == NULL) return;
  *out = loop->stats;
  out->buf_total = loop->pool.buf_count;
  out->buf_in_use = pool_in_use(&loop->pool);
  out->buf_high_water = loop->pool.high_water;
  out->buf_exhausted = loop->pool.exhausted;
  out->req_in_use = loop->reqs.in_use;
  out->req_high_water = loop->reqs.high_water;
  out->req_exhausted = loop->reqs.exhausted;
}
