/* Readiness on Linux, the part both backends share: when a watched socket
 * is to be polled, for what, and what a report means. How it is polled is
 * the backend's (OS_BACKEND_FIELDS.watch_poll / watch_closing):
 *  - epoll (src/epoll/ready.c): the socket sits in the loop's epoll
 *    instance with EPOLLONESHOT;
 *  - uring (src/uring/ready.c): one single-shot IORING_OP_POLL_ADD on the
 *    loop's ring.
 * Either way the kernel reports a socket once and then waits to be asked
 * again -- which riox does once the application has taken the READY event
 * (level-triggered watch) or when riox_watch_modify asks (RIOX_ONESHOT
 * watch). Interest changes are only recorded; the backend is asked in one
 * pass before the loop waits (poll_flush_updates), as the Windows layer does
 * with its AFD polls (src/win/poll.c).
 *
 *   watch/modify ----> queued for update ----> polled (before the wait)
 *   report ----> READY event (if of interest); the kernel asks no more
 *   event handed out ----> queued for update (level) | stays off (one-shot)
 *
 * Events are poll(2) bits: EPOLLIN..EPOLLRDHUP have the same values as
 * POLLIN..POLLRDHUP (checked below), so one mapping serves a POLL_ADD's
 * revents and an epoll event. */
#define _GNU_SOURCE
#include <poll.h>
#include <stdlib.h>
#include <sys/epoll.h>

#include "linux.h"

_Static_assert(EPOLLIN == POLLIN && EPOLLOUT == POLLOUT && EPOLLERR == POLLERR &&
                   EPOLLHUP == POLLHUP && EPOLLRDHUP == POLLRDHUP,
               "epoll and poll event bits differ");

void ready_queue(poll_watch_t *w) {
  if (!list_linked(&w->update)) list_insert_tail(&w->sock->loop->ready_updates, &w->update);
}

/* What the kernel is to report: interest, plus errors and hang-ups always. */
static uint32_t ready__events(const poll_watch_t *w) {
  uint32_t ev = POLLERR | POLLHUP;
  if (w->interest & RIOX_READABLE) ev |= POLLIN | POLLRDHUP;
  if (w->interest & RIOX_RDHUP) ev |= POLLRDHUP;
  if (w->interest & RIOX_WRITABLE) ev |= POLLOUT;
  return ev;
}

static uint32_t ready__from_poll(uint32_t e) {
  uint32_t r = 0;
  if (e & POLLIN) r |= RIOX_READABLE;
  if (e & POLLOUT) r |= RIOX_WRITABLE;
  if (e & POLLRDHUP) r |= RIOX_RDHUP | RIOX_READABLE; /* end of stream can be read */
  if (e & POLLHUP) r |= RIOX_HANGUP | RIOX_READABLE;
  if (e & POLLERR) r |= RIOX_ERROR;
  return r;
}

void poll_flush_updates(riox_loop *loop) {
  list_node_t batch, *node;
  /* The watches queued so far: one the backend queues again (an arm that
   * failed with no room for its report) waits for the next pass. */
  list_take_all(&batch, &loop->ready_updates);
  while ((node = list_pop_front(&batch)) != NULL) {
    poll_watch_t *w = container_of(node, poll_watch_t, update);
    riox_sock *sock = w->sock;
    /* No report while one of the socket's events is still queued: its hand-
     * out queues the watch again, so a level condition is never queued
     * twice. */
    int want = w->active && !w->disarmed && w->queued == 0 && w->interest != 0 &&
               sock->state != SK_CLOSING && sock->s >= 0;
    if (!want && !w->armed) continue;
    loop->be->watch_poll(w, want ? ready__events(w) : 0);
  }
}

void ready_event(riox_sock *sock, uint32_t events) {
  poll_watch_t *w = sock->watch;
  uint32_t ready;
  if (sock->state == SK_CONNECTING && (events & (POLLOUT | POLLERR | POLLHUP)))
    tcp_connect_settled(sock, !(events & (POLLERR | POLLHUP)));
  if (w == NULL || !w->active || w->disarmed || sock->state == SK_CLOSING) return;
  ready = ready__from_poll(events) & (w->interest | RIOX_HANGUP | RIOX_ERROR);
  if (ready == 0) {
    ready_queue(w); /* nothing of interest: ask again */
    return;
  }
  /* A report nothing owes (no request stands behind it): with no room the
   * condition is reported anew once the socket is polled again. */
  if (!watch_push(w, ready, 0, 0)) ready_queue(w);
}

void os_watch_handed_out(poll_watch_t *w) { ready_queue(w); }

void os_watch_changed(poll_watch_t *w) { ready_queue(w); }

int os_watch_open(poll_watch_t *w) {
  (void)w; /* polled when first armed (poll_flush_updates) */
  return 0;
}

void poll_sock_closing(riox_sock *sock) {
  poll_watch_t *w = sock->watch;
  if (w == NULL) return;
  w->active = 0;
  list_remove(&w->update);
  /* Before the descriptor is closed: the backend ends its poll (uring), or
   * close() does (epoll). */
  sock->loop->be->watch_closing(w);
}

/* After the socket's close event: no poll of it is left (a uring poll holds
 * a request of the socket, sock->pending, until its CQE). */
void poll_sock_free(riox_sock *sock) {
  poll_watch_t *w = sock->watch;
  if (w == NULL) return;
  list_remove(&w->update);
  free(w);
  sock->watch = NULL;
}

void poll_loop_fini(riox_loop *loop) { (void)loop; }
