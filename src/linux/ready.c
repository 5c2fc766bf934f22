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
  if (!watch_push(w, ready, 0, 0)) ready__queue(w);
}

void os_watch_handed_out(poll_watch_t *w) { ready__queue(w); }

void os_watch_changed(poll_watch_t *w) { ready__queue(w); }

int os_watch_open(poll_watch_t *w) {
  (void)w; /* added to the epoll set when first armed (poll_flush_updates) */
  return 0;
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
