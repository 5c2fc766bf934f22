/* Readiness on Linux: a watched socket sits in the loop's epoll instance
 * (loop->epfd) with EPOLLONESHOT, so the kernel reports it once and then
 * waits to be re-armed -- which riox does once the application has taken
 * the READY event (level-triggered watch) or when riox_watch_modify asks
 * (RIOX_ONESHOT watch). Interest changes are only recorded; the epoll_ctl
 * calls happen in one pass before the loop waits (poll_flush_updates), as
 * the Windows layer does with its AFD polls (src/win/poll.c). The same set
 * serves every backend: epoll waits on it directly, a ring watches epfd.
 *
 *   watch/modify ----> queued for update ----> armed (before the wait)
 *   epoll event ----> READY event (if of interest), disarmed by the kernel
 *   event handed out ----> queued for update (level) | stays off (one-shot) */
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include "linux.h"

#define READY__INTEREST (RIOX_READABLE | RIOX_WRITABLE | RIOX_RDHUP | RIOX_HANGUP | RIOX_ERROR)

struct poll_watch {
  riox_sock *sock;
  uint32_t interest; /* RIOX_* conditions, without RIOX_ONESHOT */
  uint8_t oneshot;
  uint8_t active;   /* watched (riox_unwatch clears it) */
  uint8_t disarmed; /* one-shot that fired */
  uint8_t armed;    /* the kernel may report it (EPOLLONESHOT not fired yet) */
  uint32_t queued;  /* READY events of this socket not yet handed out */
  uint64_t gen;     /* bumped by watch/modify/unwatch: older events are stale */
  list_node_t update;
  void *ctx;
};

static void ready__queue(poll_watch_t *w) {
  if (!list_linked(&w->update)) list_insert_tail(&w->sock->loop->ready_updates, &w->update);
}

/* What the kernel is to report: interest, plus errors and hang-ups always. */
static uint32_t ready__epoll_events(const poll_watch_t *w) {
  uint32_t ev = EPOLLONESHOT | EPOLLERR | EPOLLHUP;
  if (w->interest & RIOX_READABLE) ev |= EPOLLIN | EPOLLRDHUP;
  if (w->interest & RIOX_RDHUP) ev |= EPOLLRDHUP;
  if (w->interest & RIOX_WRITABLE) ev |= EPOLLOUT;
  return ev;
}

static uint32_t ready__from_epoll(uint32_t e) {
  uint32_t r = 0;
  if (e & EPOLLIN) r |= RIOX_READABLE;
  if (e & EPOLLOUT) r |= RIOX_WRITABLE;
  if (e & EPOLLRDHUP) r |= RIOX_RDHUP | RIOX_READABLE; /* end of stream can be read */
  if (e & EPOLLHUP) r |= RIOX_HANGUP | RIOX_READABLE;
  if (e & EPOLLERR) r |= RIOX_ERROR;
  return r;
}

void poll_flush_updates(riox_loop *loop) {
  list_node_t *node;
  while ((node = list_pop_front(&loop->ready_updates)) != NULL) {
    poll_watch_t *w = container_of(node, poll_watch_t, update);
    riox_sock *sock = w->sock;
    struct epoll_event ev;
    int want = w->active && !w->disarmed && w->queued == 0 && w->interest != 0 &&
               sock->state != SK_CLOSING && sock->s >= 0;
    memset(&ev, 0, sizeof ev);
    ev.data.ptr = sock;
    ev.events = want ? ready__epoll_events(w) : 0;
    if (!want && !w->armed) continue;
    LOOP_OSCALL(loop);
    if (sock->in_epoll) {
      if (epoll_ctl(loop->epfd, EPOLL_CTL_MOD, sock->s, &ev) != 0) continue;
    } else {
      if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, sock->s, &ev) != 0) continue;
      sock->in_epoll = 1;
    }
    w->armed = (uint8_t)want;
  }
}

void ready_epoll_event(riox_sock *sock, uint32_t events) {
  poll_watch_t *w = sock->watch;
  riox_event *ev;
  uint32_t ready;
  if (w != NULL) w->armed = 0; /* EPOLLONESHOT: the kernel disarmed it */
  if (sock->state == SK_CONNECTING && (events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
    tcp_connect_settled(sock, !(events & (EPOLLERR | EPOLLHUP)));
  if (w == NULL || !w->active || w->disarmed || sock->state == SK_CLOSING) return;
  ready = ready__from_epoll(events) & (w->interest | RIOX_HANGUP | RIOX_ERROR);
  if (ready == 0) {
    ready__queue(w); /* nothing of interest: arm again */
    return;
  }
  /* A report nothing owes (no request stands behind it): with no room the
   * condition is reported anew once the socket is armed again. */
  ev = loop_push_note(sock->loop, RIOX_EV_READY, sock, w->ctx, 0);
  if (ev == NULL) {
    ready__queue(w);
    return;
  }
  ev->ready = ready;
  ev->timer_id = w->gen; /* internal tag, cleared when handed out */
  w->queued++;
  if (w->oneshot) w->disarmed = 1;
}

int poll_event_live(riox_event *ev) {
  poll_watch_t *w;
  if (ev->type != RIOX_EV_READY) return 1;
  w = ev->sock->watch;
  if (w == NULL) return 0;
  w->queued--;
  /* The last queued event of the socket is handed out: arm it again. */
  if (w->queued == 0 && w->active && ev->sock->state != SK_CLOSING) ready__queue(w);
  /* Queued before the last watch/modify/unwatch: its ctx, conditions and
   * arming belong to a watch that no longer exists (riox.h, "Modes"). */
  if (ev->sock->state == SK_CLOSING || !w->active || ev->timer_id != w->gen) return 0;
  ev->timer_id = 0;
  ev->ready &= w->interest | RIOX_HANGUP | RIOX_ERROR;
  return ev->ready != 0;
}

void poll_sock_closing(riox_sock *sock) {
  poll_watch_t *w = sock->watch;
  if (w == NULL) return;
  w->active = 0;
  list_remove(&w->update);
  /* close() takes the socket out of the interest list; nothing is pending. */
}

void poll_sock_free(riox_sock *sock) {
  poll_watch_t *w = sock->watch;
  if (w == NULL) return;
  list_remove(&w->update);
  free(w);
  sock->watch = NULL;
}

void poll_loop_fini(riox_loop *loop) { (void)loop; }

/* ------------------------------------------------------------ the API */

static int ready__check(riox_sock *sock, uint32_t events, const char *what) {
  int rc;
  if (sock == NULL) return error_detail(RIOX_EINVAL, "%s: sock is NULL", what);
  if (sock->state == SK_CLOSING) return error_detail(RIOX_ECLOSING, "%s: socket is closing", what);
  rc = sock_check_mode(sock, SK_MODE_READINESS, what);
  if (rc < 0) return rc;
  if (events & ~(uint32_t)(READY__INTEREST | RIOX_ONESHOT))
    return error_detail(RIOX_EINVAL, "%s: unknown event bits 0x%x", what, events);
  return 0;
}

static void ready__set(poll_watch_t *w, uint32_t events, void *ctx) {
  w->interest = events & READY__INTEREST;
  w->oneshot = (uint8_t)((events & RIOX_ONESHOT) != 0);
  w->ctx = ctx;
  w->gen++;
  w->active = 1;
  w->disarmed = 0;
  ready__queue(w);
}

int riox_watch(riox_sock *sock, uint32_t events, void *ctx) {
  int rc = ready__check(sock, events, "riox_watch");
  if (rc < 0) return rc;
  if (sock->watch != NULL && sock->watch->active)
    return error_detail(RIOX_EALREADY, "riox_watch: already watched; use riox_watch_modify");
  if (sock->watch == NULL) {
    poll_watch_t *w = (poll_watch_t *)calloc(1, sizeof *w);
    if (w == NULL) return error_detail(RIOX_ENOMEM, "riox_watch: no memory");
    w->sock = sock;
    list_init(&w->update);
    sock->watch = w;
  }
  ready__set(sock->watch, events, ctx);
  return 0;
}

int riox_watch_modify(riox_sock *sock, uint32_t events, void *ctx) {
  int rc = ready__check(sock, events, "riox_watch_modify");
  if (rc < 0) return rc;
  if (sock->watch == NULL || !sock->watch->active)
    return error_detail(RIOX_ENOENT, "riox_watch_modify: socket is not watched; use riox_watch");
  ready__set(sock->watch, events, ctx);
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
  ready__queue(w); /* disarmed before the next wait */
  return 0;
}
