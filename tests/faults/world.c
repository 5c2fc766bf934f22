/* The invariant checker of the fault tests (world.h). */
#include "world.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "plat.h"

void w_init(world *w, riox_loop *loop) {
  memset(w, 0, sizeof *w);
  w->loop = loop;
}

void w_violation(world *w, const char *fmt, ...) {
  va_list ap;
  if (w->failed++) return; /* the first one says most */
  va_start(ap, fmt);
  vsnprintf(w->err, sizeof w->err, fmt, ap);
  va_end(ap);
}

int w_sock_add(world *w, riox_sock *s) {
  if (w->nsocks == W_MAX_SOCKS) {
    w_violation(w, "workload: more than %d sockets", W_MAX_SOCKS);
    return -1;
  }
  memset(&w->socks[w->nsocks], 0, sizeof w->socks[0]);
  w->socks[w->nsocks].s = s;
  return w->nsocks++;
}

int w_sock_find(const world *w, const riox_sock *s) {
  int i;
  /* The newest first: a freed socket's address may come back. */
  for (i = w->nsocks - 1; i >= 0; i--)
    if (w->socks[i].s == s && !w->socks[i].closed) return i;
  return -1;
}

w_op *w_op_begin(world *w, int si, int dir, uint32_t type, char *buf) {
  w_op *op;
  if (w->nops == W_MAX_OPS) {
    w_violation(w, "workload: more than %d operations", W_MAX_OPS);
    return NULL;
  }
  op = &w->ops[w->nops++];
  memset(op, 0, sizeof *op);
  op->sock = si;
  op->dir = dir;
  op->type = type;
  op->state = 1;
  op->buf = buf;
  return op;
}

int w_posted(world *w, w_op *op, int rc) {
  if (op == NULL) return rc;
  if (rc < 0) {
    op->state = 0; /* owes nothing; its ctx must never come back */
    if (op->buf != NULL) (void)riox_buf_put(w->loop, op->buf);
    op->buf = NULL;
    return rc;
  }
  op->state = 2;
  if (op->sock >= 0) {
    w_sock *ws = &w->socks[op->sock];
    if (ws->closed) w_violation(w, "a post on a socket whose CLOSE came was accepted");
    op->seq = ws->posted[op->dir]++;
  }
  return rc;
}

void w_closing(world *w, int si, int rc) {
  if (si < 0 || rc < 0) return;
  w->socks[si].closing = 1;
}

static w_op *w__op_of(world *w, void *ctx) {
  w_op *op = (w_op *)ctx;
  if (op < w->ops || op >= w->ops + W_MAX_OPS) return NULL;
  return op;
}

static const char *w__type(uint32_t t) {
  static const char *names[] = {"?", "RECV", "SEND", "ACCEPT", "CONNECT", "SHUTDOWN",
                                "CLOSE", "TIMER", "WAKE", "ERROR", "READY"};
  return t < sizeof names / sizeof names[0] ? names[t] : "?";
}

static void w__op_event(world *w, const riox_event *ev, w_op *op) {
  if (op->state != 2) {
    w_violation(w, "%s event (status %d) for an operation %s", w__type(ev->type), ev->status,
                op->state == 3 ? "that had its event already" : "whose post failed");
    return;
  }
  if (op->type != ev->type) {
    w_violation(w, "%s event for a %s operation", w__type(ev->type), w__type(op->type));
    return;
  }
  op->state = 3;
  if (op->sock >= 0) {
    w_sock *ws = &w->socks[op->sock];
    if (ev->sock != ws->s) w_violation(w, "%s event names another socket", w__type(ev->type));
    if (op->seq != ws->done[op->dir] && op->dir != W_OTHER && !(ws->udp && op->dir == W_TX))
      w_violation(w, "%s event (status %d) of socket %d out of order: operation %u of its direction, %u expected",
                  w__type(ev->type), ev->status, op->sock, op->seq, ws->done[op->dir]);
    ws->done[op->dir]++;
  }
  if (ev->data != NULL && (ev->type == RIOX_EV_RECV || ev->type == RIOX_EV_SEND)) {
    if (ev->data != op->buf) w_violation(w, "%s event hands back another buffer", w__type(ev->type));
    (void)riox_buf_put(w->loop, ev->data);
    op->buf = NULL;
  }
}

void w_event(world *w, const riox_event *ev) {
  w_op *op;
  int si;
  switch (ev->type) {
    case RIOX_EV_RECV:
    case RIOX_EV_SEND:
    case RIOX_EV_CONNECT:
    case RIOX_EV_SHUTDOWN:
    case RIOX_EV_TIMER:
      op = w__op_of(w, ev->ctx);
      if (op == NULL) {
        w_violation(w, "%s event with a ctx nobody posted", w__type(ev->type));
        return;
      }
      if (ev->sock != NULL && w_sock_find(w, ev->sock) < 0)
        w_violation(w, "%s event after its socket's CLOSE", w__type(ev->type));
      w__op_event(w, ev, op);
      if (ev->type == RIOX_EV_CONNECT && ev->status == 0) w->connect_ok = 1;
      return;
    case RIOX_EV_ACCEPT:
      if (w_sock_find(w, ev->sock) < 0) w_violation(w, "ACCEPT event after the listener's CLOSE");
      if (ev->status == 0 && ev->accepted != NULL) {
        w->accept_seen++;
        if (w_sock_add(w, ev->accepted) >= 0) w->accepted = ev->accepted;
      }
      return;
    case RIOX_EV_CLOSE:
      si = w_sock_find(w, ev->sock);
      if (si < 0) {
        w_violation(w, "CLOSE event for a socket that had its CLOSE (or is unknown)");
        return;
      }
      if (!w->socks[si].closing) w_violation(w, "CLOSE event for a socket nobody closed");
      {
        int d;
        for (d = 0; d < 3; d++)
          if (w->socks[si].done[d] != w->socks[si].posted[d])
            w_violation(w, "CLOSE before the events of its operations (direction %d: %u of %u)", d,
                        w->socks[si].done[d], w->socks[si].posted[d]);
      }
      w->socks[si].closed = 1;
      return;
    case RIOX_EV_WAKE:
      w->wakes_seen++;
      if (w->wakes_seen > w->wakes_owed) w_violation(w, "more WAKE events than riox_wake calls");
      return;
    case RIOX_EV_READY:
      if (ev->sock == NULL || w_sock_find(w, ev->sock) < 0)
        w_violation(w, "READY event after its socket's CLOSE");
      w->ready_seen++;
      return;
    case RIOX_EV_ERROR:
      return; /* a listener's report: allowed whatever failed */
    default:
      w_violation(w, "unknown event type %u", ev->type);
  }
}

void w_pump(world *w, int ms) {
  riox_event evs[32];
  uint64_t end = h_now_ms() + (uint64_t)ms;
  do {
    uint64_t now = h_now_ms();
    int left = now >= end ? 0 : (int)(end - now), n, i;
    n = riox_wait(w->loop, evs, 32, left > 20 ? 20 : left);
    if (n < 0) {
      w_violation(w, "riox_wait failed: %d %s (%s)", n, riox_err_name(n), riox_last_detail());
      return;
    }
    for (i = 0; i < n; i++) w_event(w, &evs[i]);
  } while (h_now_ms() < end);
}

int w_pump_until(world *w, int (*pred)(world *), int ms) {
  uint64_t end = h_now_ms() + (uint64_t)ms;
  riox_event evs[32];
  while (!pred(w)) {
    int n, i;
    if (h_now_ms() >= end) return 0;
    n = riox_wait(w->loop, evs, 32, 10);
    if (n < 0) {
      w_violation(w, "riox_wait failed: %d %s (%s)", n, riox_err_name(n), riox_last_detail());
      return 0;
    }
    for (i = 0; i < n; i++) w_event(w, &evs[i]);
  }
  return 1;
}

int w_owed(const world *w) {
  int i, n = 0;
  for (i = 0; i < w->nops; i++) n += w->ops[i].state == 2;
  for (i = 0; i < w->nsocks; i++) n += w->socks[i].closing && !w->socks[i].closed;
  n += (int)(w->wakes_owed - w->wakes_seen);
  return n;
}

static int w__settled(world *w) { return w_owed(w) == 0; }

void w_finish(world *w, int ms) {
  int i;
  for (i = 0; i < w->nsocks; i++) {
    w_sock *ws = &w->socks[i];
    if (ws->closing) continue;
    w_closing(w, i, riox_close(ws->s));
    if (!ws->closing) w_violation(w, "riox_close failed: %s", riox_last_detail());
  }
  if (!w_pump_until(w, w__settled, ms)) {
    for (i = 0; i < w->nops; i++)
      if (w->ops[i].state == 2) {
        w_violation(w, "hang: no %s event for an operation (socket %d) after %d ms",
                    w__type(w->ops[i].type), w->ops[i].sock, ms);
        break;
      }
    for (i = 0; i < w->nsocks; i++)
      if (w->socks[i].closing && !w->socks[i].closed) {
        w_violation(w, "hang: socket %d never got its CLOSE (%d ms)", i, ms);
        break;
      }
    if (w->wakes_seen != w->wakes_owed) w_violation(w, "a WAKE never came");
  }
  /* Buffers of operations that never had their event stay with the loop. */
}
