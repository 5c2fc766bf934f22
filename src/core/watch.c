/* Readiness bookkeeping, OS-neutral: the watch API, interest and mode
 * (level-triggered or RIOX_ONESHOT), generation tags that keep a queued
 * READY event from being delivered stale, and the queue count that keeps a
 * level-triggered condition from being reported twice. How a socket is
 * polled is the OS layer's (src/win/poll.c: AFD polls; src/linux/ready.c:
 * single-shot polls, an epoll set's EPOLLONESHOT or a ring's POLL_ADD),
 * through os_watch_open, os_watch_changed and os_watch_handed_out. */
#include <stdlib.h>

#include "core.h"

#define WATCH__INTEREST (RIOX_READABLE | RIOX_WRITABLE | RIOX_RDHUP | RIOX_HANGUP | RIOX_ERROR)

int watch_push(poll_watch_t *w, uint32_t ready, int status, int owed) {
  riox_loop *loop = w->sock->loop;
  riox_event *ev = owed ? loop_push_event(loop, RIOX_EV_READY, w->sock, w->ctx, status)
                        : loop_push_note(loop, RIOX_EV_READY, w->sock, w->ctx, status);
  if (ev == NULL) return 0;
  ev->ready = ready;
  ev->timer_id = w->gen; /* internal tag, cleared when handed out */
  w->queued++;
  if (w->oneshot) w->disarmed = 1;
  return 1;
}

int poll_event_live(riox_event *ev) {
  poll_watch_t *w;
  if (ev->type != RIOX_EV_READY) return 1;
  w = ev->sock->watch;
  if (w == NULL) return 0;
  w->queued--;
  /* The last queued event of the socket is handed out: poll it again. */
  if (w->queued == 0 && w->active && ev->sock->state != SK_CLOSING) os_watch_handed_out(w);
  /* Queued before the last watch/modify/unwatch: its ctx, its conditions
   * and (one-shot) its arming belong to a watch that no longer exists. A
   * condition that still holds is reported again by the next poll. */
  if (ev->sock->state == SK_CLOSING || !w->active || ev->timer_id != w->gen) return 0;
  ev->timer_id = 0;
  ev->ready &= w->interest | RIOX_HANGUP | RIOX_ERROR;
  return ev->ready != 0;
}

static int watch__check(riox_sock *sock, uint32_t events, const char *what) {
  int rc;
  if (sock == NULL) return error_detail(RIOX_EINVAL, "%s: sock is NULL", what);
  if (sock->state == SK_CLOSING) return error_detail(RIOX_ECLOSING, "%s: socket is closing", what);
  /* Polls only on readiness sockets: a RIO socket is for RIO only. */
  rc = sock_check_mode(sock, SK_MODE_READINESS, what);
  if (rc < 0) return rc;
  if (events & ~(uint32_t)(WATCH__INTEREST | RIOX_ONESHOT))
    return error_detail(RIOX_EINVAL, "%s: unknown event bits 0x%x", what, events);
  return 0;
}

static void watch__set(poll_watch_t *w, uint32_t events, void *ctx) {
  w->interest = events & WATCH__INTEREST;
  w->oneshot = (uint8_t)((events & RIOX_ONESHOT) != 0);
  w->ctx = ctx;
  w->gen++;
  w->active = 1;
  w->disarmed = 0;
  os_watch_changed(w);
}

int riox_watch(riox_sock *sock, uint32_t events, void *ctx) {
  int rc = watch__check(sock, events, "riox_watch");
  if (rc < 0) return rc;
  if (sock->watch != NULL && sock->watch->active)
    return error_detail(RIOX_EALREADY, "riox_watch: already watched; use riox_watch_modify");
  if (sock->watch == NULL) {
    poll_watch_t *w = (poll_watch_t *)calloc(1, sizeof *w);
    if (w == NULL) return error_detail(RIOX_ENOMEM, "riox_watch: no memory");
    w->sock = sock;
    list_init(&w->update);
    rc = os_watch_open(w);
    if (rc < 0) {
      free(w);
      return rc;
    }
    sock->watch = w;
  }
  watch__set(sock->watch, events, ctx);
  return 0;
}

int riox_watch_modify(riox_sock *sock, uint32_t events, void *ctx) {
  int rc = watch__check(sock, events, "riox_watch_modify");
  if (rc < 0) return rc;
  if (sock->watch == NULL || !sock->watch->active)
    return error_detail(RIOX_ENOENT, "riox_watch_modify: socket is not watched; use riox_watch");
  watch__set(sock->watch, events, ctx);
  return 0;
}

int riox_unwatch(riox_sock *sock) {
  poll_watch_t *w;
  if (sock == NULL) return error_detail(RIOX_EINVAL, "riox_unwatch: sock is NULL");
  if (sock->mode != SK_MODE_READINESS) return sock_check_mode(sock, SK_MODE_READINESS, "riox_unwatch");
  w = sock->watch;
  if (w == NULL || !w->active) return error_detail(RIOX_ENOENT, "riox_unwatch: socket is not watched");
  w->active = 0;
  w->gen++;
  os_watch_changed(w); /* the OS poll ends before the next wait */
  return 0;
}
