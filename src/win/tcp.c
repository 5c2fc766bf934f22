/* TCP connection management shared by both backends: listeners keep
 * cfg.accept_depth AcceptEx calls posted, connects go through ConnectEx, and
 * half-close waits for the sends posted before it. All of it completes
 * through the loop's port; only the data path differs between backends. */
#include <string.h>

#include "win.h"

#define TCP__ADDR_SPACE ((DWORD)(sizeof(SOCKADDR_STORAGE) + 16))

/* ------------------------------------------------------------- accept */

static void tcp__accept_done(riox_loop *loop, req_t *req, int status, uint32_t bytes);

/* Immediate resets re-posted at once by one tcp_accept_post. */
#define TCP__RESET_BURST 64u
/* Back-off of a listener whose posts fail: 10 ms, doubling, at most 1 s. */
#define TCP__RETRY_FIRST_MS 10u
#define TCP__RETRY_MAX_MS 1000u

static int tcp__accept_post_once(riox_sock *listener) {
  riox_loop *loop = listener->loop;
  req_t *req;
  DWORD bytes = 0;
  int rc;
  /* The connection it may bring owes its CLOSE: hold that room now, so an
   * accepted connection never finds the event queue full (loop.c). */
  rc = loop_hold(loop);
  if (rc < 0) return rc;
  req = loop_req_alloc(loop, listener, REQ_ACCEPT, tcp__accept_done);
  if (req == NULL) {
    loop_unhold(loop);
    return loop_req_error(loop, "AcceptEx");
  }
  LOOP_OSCALL(loop);
  /* Only completion listeners post AcceptEx, and their connections are
   * completion sockets: RIO needs WSA_FLAG_REGISTERED_IO on every accept
   * socket (RIO-SEMANTICS.md, "Request queues"). */
  req->accept_sock = ws_open(listener->family, SOCK_STREAM, IPPROTO_TCP,
                             sock_wsa_flags(loop, SK_MODE_COMPLETION));
  if (req->accept_sock == INVALID_SOCKET) {
    rc = sock_wsa_error("WSASocket(accept)");
    loop_req_free(loop, req);
    loop_unhold(loop);
    return rc;
  }
  LOOP_OSCALL(loop);
  if (!ws_accept_ex(loop->ext.AcceptEx, listener->s, req->accept_sock, req->u.accept_buf, 0,
                    TCP__ADDR_SPACE, TCP__ADDR_SPACE, &bytes, &req->ov) &&
      WSAGetLastError() != ERROR_IO_PENDING) {
    rc = sock_wsa_error("AcceptEx");
    LOOP_OSCALL(loop);
    ws_close(req->accept_sock);
    loop_req_free(loop, req);
    loop_unhold(loop);
    return rc;
  }
  /* The listener never has skip-on-success: a packet always follows. */
  listener->accepts_pending++;
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
    int rc = tcp__accept_post_once(listener);
    if (rc != RIOX_ECONNRESET || ++resets > TCP__RESET_BURST) return rc;
  }
}

/* Keep the listener at its accept depth. When a post fails (the OS out of
 * sockets, buffers or memory; all of the loop's request slots in use), post
 * again on a back-off timer rather than leave the depth short for good --
 * a listener with nothing posted would never hear of a connection again --
 * and report the first failure of the streak as RIOX_EV_ERROR (riox.h,
 * riox_tcp_listen). Request slots are the application's own limit
 * (max_requests), not a failure: they are reported only when they leave the
 * listener with no accept at all. */
static void tcp__accept_refill(riox_sock *listener) {
  riox_loop *loop = listener->loop;
  uint32_t delay;
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
    listener->accept_failing = 0; /* the streak is over */
    listener->accept_retry_ms = 0;
    return;
  }
  if (!listener->accept_failing && rc != RIOX_ECONNRESET &&
      (!slots || listener->accepts_pending == 0)) {
    listener->accept_failing = 1;
    (void)loop_push_note(loop, RIOX_EV_ERROR, listener, NULL, rc);
  }
  delay = listener->accept_retry_ms != 0 ? listener->accept_retry_ms : TCP__RETRY_FIRST_MS;
  listener->accept_retry_ms = delay * 2 > TCP__RETRY_MAX_MS ? TCP__RETRY_MAX_MS : delay * 2;
  /* No memory for the timer: the next accept completion refills instead. */
  (void)loop_deadline_set(listener, delay);
}

void tcp_accept_retry(riox_sock *listener) { tcp__accept_refill(listener); }

static void tcp__accept_done(riox_loop *loop, req_t *req, int status, uint32_t bytes) {
  riox_sock *listener = req->sock, *conn = NULL;
  SOCKET s = req->accept_sock;
  (void)bytes;
  listener->accepts_pending--;
  loop_unhold(loop); /* the room held for conn: sock_adopt takes it back */
  if (status == 0 && listener->state != SK_CLOSING) {
    struct sockaddr *local = NULL, *remote = NULL;
    INT llen = 0, rlen = 0;
    riox_addr peer;
    LOOP_OSCALL(loop);
    if (setsockopt(s, SOL_SOCKET, SO_UPDATE_ACCEPT_CONTEXT, (const char *)&listener->s,
                   sizeof listener->s) != 0)
      status = sock_wsa_error("setsockopt(SO_UPDATE_ACCEPT_CONTEXT)");
    if (status == 0) {
      loop->ext.GetAcceptExSockaddrs(req->u.accept_buf, 0, TCP__ADDR_SPACE, TCP__ADDR_SPACE, &local,
                                     &llen, &remote, &rlen);
      memset(&peer, 0, sizeof peer);
      if (remote != NULL) (void)win_sockaddr_to(remote, &peer);
      status = sock_adopt(loop, s, listener->family, SK_MODE_COMPLETION,
                          sock_wsa_flags(loop, SK_MODE_COMPLETION), &conn);
    }
    if (status == 0) {
      riox_event *ev;
      conn->peer = peer;
      ev = loop_push_event(loop, RIOX_EV_ACCEPT, listener, NULL, 0);
      ev->accepted = conn;
      ev->addr = peer;
      loop->stats.accepts++;
      s = INVALID_SOCKET; /* owned by conn now */
    } else {
      /* The client is lost (it will see a reset); the listener serves on. */
      loop->stats.drops++;
    }
  }
  /* A reset before accept (ECONNRESET) or a cancelled accept is not the
   * application's business: close and re-post. */
  if (s != INVALID_SOCKET) ws_close(s);
  loop_req_free(loop, req);
  tcp__accept_refill(listener);
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
  family = (local->family == RIOX_AF_INET6 || (flags & RIOX_SOCK_DUALSTACK)) ? AF_INET6 : AF_INET;
  rc = sock_create(loop, SK_TCP_LISTEN, family, flags, ctx, &sock);
  if (rc < 0) return rc;
  rc = sock_bind(sock, local);
  if (rc == 0 && listen(sock->s, backlog > 0 ? backlog : SOMAXCONN) != 0) rc = sock_wsa_error("listen");
  if (rc == 0 && sock->mode == SK_MODE_READINESS) {
    /* No AcceptEx: the application accepts with riox_try_accept when the
     * listener reports RIOX_READABLE. */
    *out = sock;
    return 0;
  }
  if (rc == 0) rc = tcp_accept_post(sock);
  if (rc < 0) {
    /* No accept (or only this failing one) was posted: close quietly. */
    list_remove(&sock->node);
    ws_close(sock->s);
    sock->s = INVALID_SOCKET;
    if (sock->pending == 0) {
      sock_free(sock);
    } else {
      /* Unreachable today: tcp_accept_post frees its request on failure. */
      sock->state = SK_CLOSING;
      list_insert_tail(&loop->socks, &sock->node);
    }
    return rc;
  }
  tcp__accept_refill(sock);
  *out = sock;
  return 0;
}

/* ------------------------------------------------------------ connect */

static void tcp__connect_done(riox_loop *loop, req_t *req, int status, uint32_t bytes) {
  riox_sock *sock = req->sock;
  riox_event *ev;
  (void)bytes;
  if (status == 0 && sock->state == SK_CLOSING) status = RIOX_ECANCELED;
  if (status == 0) {
    LOOP_OSCALL(loop);
    if (setsockopt(sock->s, SOL_SOCKET, SO_UPDATE_CONNECT_CONTEXT, NULL, 0) != 0)
      status = sock_wsa_error("setsockopt(SO_UPDATE_CONNECT_CONTEXT)");
  }
  if (sock->state == SK_CONNECTING) sock->state = SK_OPEN;
  if (status == 0) {
    sock->connected = 1;
    loop->stats.connects++;
  }
  ev = loop_push_event(loop, RIOX_EV_CONNECT, sock, req->ctx, status);
  ev->addr = sock->peer;
  loop_req_free(loop, req);
}

/* Readiness connect: a plain connect() on the socket sock_create made
 * non-blocking; the application watches for RIOX_WRITABLE (connected) or
 * RIOX_HANGUP|RIOX_ERROR (failed). A failure known at once is returned
 * here, nothing is created. */
static int tcp__connect_nonblocking(riox_sock *sock, const riox_addr *remote, int family) {
  SOCKADDR_STORAGE ss;
  int len, rc, err;
  rc = win_sockaddr_from(remote, family, &ss, &len);
  if (rc < 0) return rc;
  sock->peer = *remote;
  LOOP_OSCALL(sock->loop);
  if (connect(sock->s, (struct sockaddr *)&ss, len) == 0) {
    sock->connected = 1;
    sock->loop->stats.connects++;
    return 0;
  }
  err = WSAGetLastError();
  if (err != WSAEWOULDBLOCK && err != WSAEINPROGRESS) return sock_wsa_error("connect");
  sock->state = SK_CONNECTING;
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

int riox_tcp_connect(riox_loop *loop, const riox_addr *remote, const riox_addr *local,
                     uint32_t flags, void *ctx, riox_sock **out) {
  riox_sock *sock;
  req_t *req;
  int family, rc;
  if (loop == NULL || remote == NULL || out == NULL)
    return error_detail(RIOX_EINVAL, "riox_tcp_connect: loop, remote and out must not be NULL");
  *out = NULL;
  if (loop->closing) return error_detail(RIOX_ECLOSING, "riox_tcp_connect: the loop is closing");
  if (remote->family != RIOX_AF_INET && remote->family != RIOX_AF_INET6)
    return error_detail(RIOX_EINVAL, "riox_tcp_connect: address family %u is not valid",
                        (unsigned)remote->family);
  if (remote->port == 0) return error_detail(RIOX_EINVAL, "riox_tcp_connect: remote port 0");
  family = (remote->family == RIOX_AF_INET6 || (flags & RIOX_SOCK_DUALSTACK)) ? AF_INET6 : AF_INET;
  if (local != NULL && local->family == RIOX_AF_INET6 && family == AF_INET)
    return error_detail(RIOX_EAFNOSUPPORT, "riox_tcp_connect: IPv6 local address, IPv4 remote");
  rc = sock_create(loop, SK_TCP, family, flags, ctx, &sock);
  if (rc < 0) return rc;
  /* ConnectEx needs a bound socket. */
  rc = sock_bind(sock, local);
  req = NULL;
  if (rc == 0 && sock->mode == SK_MODE_READINESS) {
    rc = tcp__connect_nonblocking(sock, remote, family);
    if (rc == 0) {
      *out = sock;
      return 0;
    }
  } else if (rc == 0) {
    req = loop_req_alloc(loop, sock, REQ_CONNECT, tcp__connect_done);
    if (req == NULL) rc = loop_req_error(loop, "riox_tcp_connect");
  }
  if (rc == 0) rc = win_sockaddr_from(remote, family, &req->u.addr, &req->addrlen);
  if (rc < 0) {
    if (req != NULL) {
      slab_free(&loop->reqs, req);
      sock->pending--;
    }
    list_remove(&sock->node);
    ws_close(sock->s);
    sock->s = INVALID_SOCKET;
    sock_free(sock);
    return rc;
  }
  req->user = 1;
  req->ctx = ctx;
  sock->peer = *remote;
  sock->state = SK_CONNECTING;
  LOOP_OSCALL(loop);
  if (loop->ext.ConnectEx(sock->s, (struct sockaddr *)&req->u.addr, req->addrlen, NULL, 0, NULL,
                          &req->ov)) {
    if (sock->skip_iocp) loop_complete_inline(loop, req, 0, 0);
  } else {
    int err = WSAGetLastError();
    /* Failing at once is still the connection's outcome: report it as the
     * CONNECT event, like a failure that arrives later. */
    if (err != ERROR_IO_PENDING)
      loop_complete_inline(loop, req,
                           error_detail(error_from_win32((uint32_t)err), "ConnectEx: WSA error %d", err),
                           0);
  }
  *out = sock;
  return 0;
}

/* ----------------------------------------------------------- shutdown */

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
    if (sock->s == INVALID_SOCKET || (sock->state == SK_CLOSING && !sock->lingering)) {
      status = RIOX_ECANCELED;
    } else {
      LOOP_OSCALL(sock->loop);
      if (ws_shutdown(sock->s, SD_SEND) != 0) status = sock_wsa_error("shutdown(SD_SEND)");
      else sock->fin_sent = 1;
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
