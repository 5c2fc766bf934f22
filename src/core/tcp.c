/* TCP, OS-neutral: a listener kept at its accept depth (re-posts after
 * resets at once, after resource errors on a back-off timer), and the
 * half-close, which waits for the sends posted before it, then shuts the
 * connection down for sending (FIN). */
#include "core.h"

/* Immediate resets re-posted at once by one tcp_accept_post. */
#define TCP__RESET_BURST 64u
/* Accepts that failed when they ran (not for want of descriptors or
 * memory) re-posted at once, in a row, before the listener backs off. */
#define TCP__GONE_BURST 16u
/* Back-off of a listener whose posts fail: 10 ms, doubling, at most 1 s. */
#define TCP__RETRY_FIRST_MS 10u
#define TCP__RETRY_MAX_MS 1000u


static void tcp__shutdown_done(riox_loop *loop, req_t *req, int status, uint32_t bytes) {
  (void)bytes;
  loop_push_event(loop, RIOX_EV_SHUTDOWN, req->sock, req->ctx, status);
  loop_req_free(loop, req);
}

/* Called when a socket's last pending send finished (or at close). */
void sock_send_drained(riox_sock *sock) {
  req_t *req = sock->shutdown_req;
  int status = 0;
  if (req != NULL) {
    sock->shutdown_req = NULL;
    /* A connection closing gracefully still has its socket while its sends
     * run (riox_close lingers): its half-close happens as asked. */
    if (sock->s == OS_INVALID_SOCKET || (sock->state == SK_CLOSING && !sock->lingering)) {
      status = RIOX_ECANCELED;
    } else {
      status = os_sock_shutdown_send(sock);
      if (status == 0) sock->fin_sent = 1;
    }
    loop_complete_inline(sock->loop, req, status, 0);
  }
  /* riox_close waited for these sends: now the FIN, then closesocket. */
  if (sock->lingering) sock_linger_end(sock);
}

int riox_shutdown(riox_sock *sock, void *ctx) {
  req_t *req;
  if (sock == NULL) return error_detail(RIOX_EINVAL, "riox_shutdown: sock is NULL");
  if (sock->state == SK_CLOSING)
    return error_detail(RIOX_ECLOSING, "riox_shutdown: socket is closing");
  if (sock->kind != SK_TCP) return error_detail(RIOX_EPROTO, "riox_shutdown: not a TCP connection");
  if (!sock->connected) return error_detail(RIOX_ENOTCONN, "riox_shutdown: not connected");
  if (sock->shut_wr) return error_detail(RIOX_EALREADY, "riox_shutdown: already shut down");
  req = loop_req_alloc(sock->loop, sock, REQ_SHUTDOWN, tcp__shutdown_done);
  if (req == NULL) return loop_req_error(sock->loop, "riox_shutdown");
  req->user = 1;
  req->ctx = ctx;
  sock->shut_wr = 1;
  sock->shutdown_req = req;
  /* Deferred sends count as pending: FIN goes after them too. */
  if (sock->sends_pending == 0) sock_send_drained(sock);
  return 0;
}

/* One AcceptEx posted, or RIOX_E* with nothing posted. An immediate
 * WSAECONNRESET says the connection AcceptEx took from the backlog was
 * reset before it could be accepted: that is no failure of the listener,
 * so the accept socket is closed (its state after a failed AcceptEx is not
 * to be reused) and a fresh one posted -- a burst at most, since each reset
 * only removes one dead connection from the backlog. */
int tcp_accept_post(riox_sock *listener) {
  unsigned resets = 0;
  for (;;) {
    int rc = os_accept_post_once(listener);
    if (rc != RIOX_ECONNRESET || ++resets > TCP__RESET_BURST) return rc;
  }
}

/* The listener's report of a failing streak. The room held for it since
 * riox_tcp_listen takes it (an owed event then, which cannot be dropped:
 * a listener that stopped accepting must be able to say so even when the
 * event queue is full and cannot grow -- exactly when accepts fail with
 * RIOX_ENOMEM). Only while that report is still queued (the application
 * has not taken it yet) does a next streak's report need spare room, and
 * is counted in stats.drops when there is none. */
static void tcp__report(riox_sock *listener, int status) {
  riox_loop *loop = listener->loop;
  if (!listener->report_hold) {
    (void)loop_push_note(loop, RIOX_EV_ERROR, listener, NULL, status);
    return;
  }
  listener->report_hold = 0;
  loop_unhold(loop);
  (void)loop_push_event(loop, RIOX_EV_ERROR, listener, NULL, status);
  listener->report_queued = 1;
}

void tcp_report_handed_out(const riox_event *ev) {
  riox_sock *listener = ev->sock;
  /* Only the held report: not the RIO backend's loop errors (sock NULL),
   * nor a note queued while the held one was out. */
  if (listener == NULL || listener->kind != SK_TCP_LISTEN || !listener->report_queued) return;
  listener->report_queued = 0;
  /* Its slot is free now; a closing listener reports nothing more. */
  if (listener->state == SK_CLOSING) return;
  loop_rehold(listener->loop);
  listener->report_hold = 1;
}

void tcp_report_release(riox_sock *listener) {
  if (!listener->report_hold) return;
  listener->report_hold = 0;
  loop_unhold(listener->loop);
}

/* Keep the listener at its accept depth. When a post fails (the OS out of
 * sockets, buffers or memory; all of the loop's request slots in use), post
 * again on a back-off timer rather than leave the depth short for good --
 * a listener with nothing posted would never hear of a connection again --
 * and report the first failure of the streak as RIOX_EV_ERROR (riox.h,
 * riox_tcp_listen). Request slots are the application's own limit
 * (max_requests), not a failure: they are reported only when they leave the
 * listener with no accept at all. */
static void tcp__back_off(riox_sock *listener, int rc, int slots);

void tcp_accept_refill(riox_sock *listener) {
  riox_loop *loop = listener->loop;
  int rc = 0, slots = 0;
  /* A retry is scheduled: the back-off decides when to try again. */
  if (listener->deadline_id != 0) return;
  while (listener->state != SK_CLOSING && listener->accepts_pending < loop->cfg.accept_depth) {
    slots = loop->reqs.in_use >= loop->reqs.limit;
    rc = tcp_accept_post(listener);
    if (rc < 0) break;
  }
  if (listener->state == SK_CLOSING) return;
  if (rc == 0) {
    /* The streak is over -- unless its accepts failed when they ran, not
     * at the post: then only an accepted connection ends it. */
    if (!listener->accept_ran_dry && listener->accept_resets <= TCP__GONE_BURST) {
      listener->accept_failing = 0;
      listener->accept_retry_ms = 0;
    }
    return;
  }
  tcp__back_off(listener, rc, slots);
}

/* A streak of failures: report its first one, try again later. */
static void tcp__back_off(riox_sock *listener, int rc, int slots) {
  uint32_t delay;
  if (!listener->accept_failing && rc != RIOX_ECONNRESET &&
      (!slots || listener->accepts_pending == 0)) {
    listener->accept_failing = 1;
    tcp__report(listener, rc);
  }
  delay = listener->accept_retry_ms != 0 ? listener->accept_retry_ms : TCP__RETRY_FIRST_MS;
  listener->accept_retry_ms = delay * 2 > TCP__RETRY_MAX_MS ? TCP__RETRY_MAX_MS : delay * 2;
  /* No memory for the timer: the next accept completion refills instead. */
  (void)loop_deadline_set(listener, delay);
}

void tcp_accept_retry(riox_sock *listener) { tcp_accept_refill(listener); }

/* An accept request is done, with the OS's status. Out of descriptors or
 * memory when it ran (Linux's accept4 and the ring's accept fail there, not
 * at the post; EMFILE and ENFILE are RIOX_ENOBUFS): a post now would fail
 * the same way as soon as it runs, and on a listener whose backlog stays
 * readable that is a loop that never waits -- so back off as for a failed
 * post. Anything else: keep the depth now. */
void tcp_accept_completed(riox_sock *listener, int status) {
  /* Any other failure (the connection gone before it was taken: a reset),
   * re-posted at once -- but not without end: a kernel that keeps failing
   * them would keep riox_wait from ever waiting. Beyond a burst in a row the
   * listener backs off too; an accepted connection ends the streak. */
  if (status < 0 && status != RIOX_ENOBUFS && status != RIOX_ENOMEM && status != RIOX_ECANCELED) {
    if (++listener->accept_resets > TCP__GONE_BURST && listener->state != SK_CLOSING &&
        listener->deadline_id == 0) {
      tcp__back_off(listener, status, 0);
      return;
    }
  } else if (status == 0) {
    listener->accept_resets = 0;
  }
  if (status == RIOX_ENOBUFS || status == RIOX_ENOMEM) {
    listener->accept_ran_dry = 1;
    if (listener->state != SK_CLOSING && listener->deadline_id == 0) {
      tcp__back_off(listener, status, 0);
      return;
    }
  } else if (status == 0 && listener->accept_ran_dry) {
    listener->accept_ran_dry = 0; /* accepting again: the streak is over */
    listener->accept_failing = 0;
    listener->accept_retry_ms = 0;
  }
  tcp_accept_refill(listener);
}

int riox_tcp_listen(riox_loop *loop, const riox_addr *local, int backlog, uint32_t flags,
                    void *ctx, riox_sock **out) {
  riox_sock *sock;
  int family, rc;
  if (loop == NULL || local == NULL || out == NULL)
    return error_detail(RIOX_EINVAL, "riox_tcp_listen: loop, local and out must not be NULL");
  *out = NULL;
  if (loop->closing) return error_detail(RIOX_ECLOSING, "riox_tcp_listen: the loop is closing");
  if (local->family != RIOX_AF_INET && local->family != RIOX_AF_INET6)
    return error_detail(RIOX_EINVAL, "riox_tcp_listen: address family %u is not valid",
                        (unsigned)local->family);
  rc = sock_flags_check(SK_TCP_LISTEN, flags, "riox_tcp_listen");
  if (rc < 0) return rc;
  family = (local->family == RIOX_AF_INET6 || (flags & RIOX_SOCK_DUALSTACK)) ? AF_INET6 : AF_INET;
  rc = sock_create(loop, SK_TCP_LISTEN, family, flags, ctx, &sock);
  if (rc < 0) return rc;
  rc = sock_bind(sock, local);
  if (rc == 0 && os_listen(sock->s, backlog > 0 ? backlog : SOMAXCONN) != 0) rc = os_sock_error("listen");
  if (rc == 0 && sock->mode == SK_MODE_READINESS) {
    /* No accept posted: the application accepts with riox_try_accept when the
     * listener reports RIOX_READABLE. */
    *out = sock;
    return 0;
  }
  /* Room for the listener's failure report (tcp__report), before any
   * accept can fail. */
  if (rc == 0) {
    rc = loop_hold(loop);
    if (rc == 0) sock->report_hold = 1;
  }
  if (rc == 0) rc = tcp_accept_post(sock);
  if (rc < 0) {
    /* No accept (or only this failing one) was posted: close quietly. */
    tcp_report_release(sock);
    list_remove(&sock->node);
    os_sock_release(sock);
    if (sock->pending == 0) {
      sock_free(sock);
    } else {
      /* Unreachable today: tcp_accept_post frees its request on failure. */
      sock->state = SK_CLOSING;
      list_insert_tail(&loop->socks, &sock->node);
    }
    return rc;
  }
  tcp_accept_refill(sock);
  *out = sock;
  return 0;
}

/* riox_tcp_connect's checks of its arguments, and the family of the socket
 * to make (AF_INET6 for an IPv6 remote or a dual-stack socket). */
int tcp_connect_check(riox_loop *loop, const riox_addr *remote, const riox_addr *local,
                      uint32_t flags, riox_sock **out, int *family) {
  if (loop == NULL || remote == NULL || out == NULL)
    return error_detail(RIOX_EINVAL, "riox_tcp_connect: loop, remote and out must not be NULL");
  *out = NULL;
  if (loop->closing) return error_detail(RIOX_ECLOSING, "riox_tcp_connect: the loop is closing");
  if (remote->family != RIOX_AF_INET && remote->family != RIOX_AF_INET6)
    return error_detail(RIOX_EINVAL, "riox_tcp_connect: address family %u is not valid",
                        (unsigned)remote->family);
  if (remote->port == 0) return error_detail(RIOX_EINVAL, "riox_tcp_connect: remote port 0");
  if (sock_flags_check(SK_TCP, flags, "riox_tcp_connect") < 0) return RIOX_EINVAL;
  *family = (remote->family == RIOX_AF_INET6 || (flags & RIOX_SOCK_DUALSTACK)) ? AF_INET6 : AF_INET;
  if (local != NULL && local->family == RIOX_AF_INET6 && *family == AF_INET)
    return error_detail(RIOX_EAFNOSUPPORT, "riox_tcp_connect: IPv6 local address, IPv4 remote");
  return 0;
}

/* A readiness connect in progress finished (seen by a poll or a try_*). */
void tcp_connect_settled(riox_sock *sock, int ok) {
  if (sock->state != SK_CONNECTING || sock->mode != SK_MODE_READINESS) return;
  sock->state = SK_OPEN;
  if (ok) {
    sock->connected = 1;
    sock->loop->stats.connects++;
  }
}

/* A completion connect finished: its CONNECT event. */
void tcp_connect_done(riox_loop *loop, req_t *req, int status) {
  riox_sock *sock = req->sock;
  riox_event *ev;
  if (status == 0 && sock->state == SK_CLOSING) status = RIOX_ECANCELED;
  if (sock->state == SK_CONNECTING) sock->state = SK_OPEN;
  if (status == 0) {
    sock->connected = 1;
    loop->stats.connects++;
  }
  ev = loop_push_event(loop, RIOX_EV_CONNECT, sock, req->ctx, status);
  ev->addr = sock->peer;
  loop_req_free(loop, req);
}

/* A completion listener's accept brought conn: its RIOX_EV_ACCEPT (the
 * room was held when the accept was posted). */
void tcp_accept_deliver(riox_sock *listener, riox_sock *conn, const riox_addr *peer) {
  riox_loop *loop = listener->loop;
  riox_event *ev;
  conn->peer = *peer;
  ev = loop_push_event(loop, RIOX_EV_ACCEPT, listener, NULL, 0);
  ev->accepted = conn;
  ev->addr = *peer;
  loop->stats.accepts++;
}
