/* Readiness on top of the loop's completion port: one AFD poll request per
 * watched socket, sockets grouped on shared AFD handles (see afd_open): a
 * \Device\Afd handle, or a private socket where the device cannot be had.
 *
 * Groups stay small (POLL__GROUP_MAX sockets per AFD handle) because the
 * driver walks a handle's polls when one is cancelled. Interest changes are
 * only recorded; polls are (re)submitted or cancelled in one pass just before
 * the loop waits (poll_flush_updates), so a burst of changes costs one
 * submission per socket. A poll's packet comes back as a req_t like any
 * other request, which is also how close waits for it.
 *
 *   interest set ----> queued for update ----> poll submitted (before wait)
 *   poll done ----> READY event (if of interest) ----> queued for update
 *                    (level-triggered) or disarmed (one-shot)
 *   interest changed while a poll is pending ----> cancel, resubmit on return */
#include <stdlib.h>
#include <string.h>

#include "win.h"

#define POLL__GROUP_MAX 32

typedef struct afd_group {
  afd_handle_t afd;
  uint8_t proven; /* a poll was accepted on afd.h (so some may be pending) */
  uint32_t members;
  list_node_t node;
} afd_group_t;


static ULONG poll__afd_events(const poll_watch_t *w) {
  ULONG ev = AFD_POLL_ABORT | AFD_POLL_CONNECT_FAIL | AFD_POLL_LOCAL_CLOSE;
  if (!w->active || w->disarmed || w->interest == 0) return 0;
  if (w->interest & RIOX_READABLE) ev |= AFD_POLL_RECEIVE | AFD_POLL_ACCEPT | AFD_POLL_DISCONNECT;
  if (w->interest & RIOX_RDHUP) ev |= AFD_POLL_DISCONNECT;
  if (w->interest & RIOX_WRITABLE) ev |= AFD_POLL_SEND;
  return ev;
}

static uint32_t poll__ready(ULONG afd) {
  uint32_t r = 0;
  if (afd & (AFD_POLL_RECEIVE | AFD_POLL_ACCEPT | AFD_POLL_DISCONNECT)) r |= RIOX_READABLE;
  if (afd & AFD_POLL_SEND) r |= RIOX_WRITABLE;
  if (afd & AFD_POLL_DISCONNECT) r |= RIOX_RDHUP;
  if (afd & AFD_POLL_ABORT) r |= RIOX_HANGUP | RIOX_ERROR;
  /* Linux reports a failed connect as writable too, so a writer wakes up
   * and finds the error; do the same. */
  if (afd & AFD_POLL_CONNECT_FAIL) r |= RIOX_HANGUP | RIOX_ERROR | RIOX_WRITABLE;
  return r;
}

static void poll__queue(poll_watch_t *w) {
  if (!list_linked(&w->update)) list_insert_tail(&w->sock->loop->poll_updates, &w->update);
}

static int poll__join_group(riox_loop *loop, poll_watch_t *w) {
  list_node_t *node, *tmp;
  afd_group_t *g;
  int rc;
  list_for_each_safe(node, tmp, &loop->afd_groups) {
    g = container_of(node, afd_group_t, node);
    if (g->members < POLL__GROUP_MAX) {
      g->members++;
      w->group = g;
      return 0;
    }
  }
  g = (afd_group_t *)calloc(1, sizeof *g);
  if (g == NULL) return error_detail(RIOX_ENOMEM, "no memory for an AFD poll group");
  rc = afd_open(loop->port, WIN_KEY_REQ, loop->afd_device_refused, &g->afd);
  if (rc < 0) {
    free(g);
    return rc;
  }
  g->members = 1;
  list_insert_tail(&loop->afd_groups, &g->node);
  w->group = g;
  return 0;
}

static void poll__done(riox_loop *loop, req_t *req, int status, uint32_t bytes) {
  riox_sock *sock = req->sock;
  poll_watch_t *w = sock->watch;
  ULONG afd = 0;
  (void)bytes;
  w->req = NULL;
  w->cancelling = 0;
  if (status == 0 && req->u.poll.NumberOfHandles > 0) afd = req->u.poll.Handles[0].Events;
  if (sock->state == SK_CONNECTING && (afd & (AFD_POLL_SEND | AFD_POLL_CONNECT_FAIL)))
    tcp_connect_settled(sock, !(afd & (AFD_POLL_CONNECT_FAIL | AFD_POLL_ABORT)));
  if (sock->state != SK_CLOSING && w->active && !(afd & AFD_POLL_LOCAL_CLOSE)) {
    uint32_t ready = poll__ready(afd) & (w->interest | RIOX_HANGUP | RIOX_ERROR);
    if (status < 0 && status != RIOX_ECANCELED) ready |= RIOX_ERROR;
    if (ready == 0 || w->disarmed || !watch_push(w, ready, status == RIOX_ECANCELED ? 0 : status, 1)) {
      /* Nothing reported: ask again before the next wait. (After a report
       * the socket is polled again once the application has the event,
       * see poll_event_live.) */
      poll__queue(w);
    }
  }
  loop_req_free(loop, req);
}

/* The first poll on a group's \Device\Afd handle failed (no packet
 * follows a refused poll, and none was accepted before: nothing can be
 * pending on it). A host may refuse polls on the device (an earlier note
 * here said Wine 8 did; Wine 8.0 accepts them), so the group moves to a
 * private socket, which every AFD accepts; once a poll then
 * succeeds there, the loop's later groups start on sockets. 0 when the
 * group moved, else nonzero (the original failure stands). */
static int poll__group_fallback(riox_loop *loop, afd_group_t *g) {
  afd_handle_t sock_afd;
  if (g->proven || g->afd.owner != INVALID_SOCKET) return -1;
  if (afd_open(loop->port, WIN_KEY_REQ, 1, &sock_afd) < 0) return -1;
  afd_close(&g->afd);
  g->afd = sock_afd;
  return 0;
}

static int poll__submit(riox_loop *loop, poll_watch_t *w, ULONG events) {
  req_t *req = loop_req_alloc(loop, w->sock, REQ_POLL, poll__done);
  int rc;
  if (req == NULL) return loop_req_error(loop, "AFD poll");
  req->u.poll.Timeout.QuadPart = INT64_MAX;
  req->u.poll.NumberOfHandles = 1;
  req->u.poll.Exclusive = FALSE;
  req->u.poll.Handles[0].Handle = (HANDLE)w->base;
  req->u.poll.Handles[0].Events = events;
  req->u.poll.Handles[0].Status = 0;
  LOOP_OSCALL(loop);
  rc = afd_poll(w->group->afd.h, &req->u.poll, &req->ov);
  if (rc < 0 && poll__group_fallback(loop, w->group) == 0) {
    LOOP_OSCALL(loop);
    rc = afd_poll(w->group->afd.h, &req->u.poll, &req->ov);
    if (rc == 0) loop->afd_device_refused = 1;
  }
  if (rc < 0) {
    loop_req_free(loop, req);
    return rc;
  }
  w->group->proven = 1;
  w->req = req;
  w->polled = events;
  return 0;
}

/* Ask the pending poll to end, once: until its packet is back, asking
 * again only costs the driver another walk of the handle's polls (the
 * poll's status stays STATUS_PENDING until then, so afd_cancel cannot tell
 * it was asked). */
static void poll__cancel(riox_loop *loop, poll_watch_t *w) {
  if (w->req == NULL || w->cancelling) return;
  w->cancelling = 1;
  LOOP_OSCALL(loop);
  afd_cancel(w->group->afd.h, &w->req->ov);
}

void poll_flush_updates(riox_loop *loop) {
  list_node_t *node;
  int rc;
  while ((node = list_pop_front(&loop->poll_updates)) != NULL) {
    poll_watch_t *w = container_of(node, poll_watch_t, update);
    ULONG want = poll__afd_events(w);
    if (w->sock->state == SK_CLOSING) continue;
    /* An event of the socket is still queued (the application asked for
     * fewer events than were ready): poll_event_live queues the socket
     * again when it hands the last one out, so level-triggered mode never
     * queues the same condition twice. */
    if (w->req == NULL && w->queued > 0) continue;
    if (w->req != NULL) {
      /* A pending poll asking for something else is cancelled; its
       * completion queues the socket again with the new interest. */
      if (w->polled != want) poll__cancel(loop, w);
      continue;
    }
    /* A poll that cannot be submitted is reported as an error condition;
     * it is tried again once the application has that event. (Should even
     * that event find no memory, riox_watch_modify re-arms the watch.) */
    if (want != 0 && (rc = poll__submit(loop, w, want)) < 0) (void)watch_push(w, RIOX_ERROR, rc, 0);
  }
}

void os_watch_handed_out(poll_watch_t *w) {
  if (w->req == NULL) poll__queue(w);
}

void os_watch_changed(poll_watch_t *w) { poll__queue(w); }

int os_watch_open(poll_watch_t *w) {
  int rc = afd_base_socket(w->sock->s, &w->base);
  if (rc == 0) rc = poll__join_group(w->sock->loop, w);
  return rc;
}

void poll_sock_closing(riox_sock *sock) {
  poll_watch_t *w = sock->watch;
  if (w == NULL) return;
  w->active = 0;
  list_remove(&w->update);
  poll__cancel(sock->loop, w);
}

void poll_sock_free(riox_sock *sock) {
  poll_watch_t *w = sock->watch;
  if (w == NULL) return;
  list_remove(&w->update);
  if (w->group != NULL) w->group->members--;
  free(w);
  sock->watch = NULL;
}

void poll_loop_fini(riox_loop *loop) {
  list_node_t *node;
  while ((node = list_pop_front(&loop->afd_groups)) != NULL) {
    afd_group_t *g = container_of(node, afd_group_t, node);
    afd_close(&g->afd);
    free(g);
  }
}
