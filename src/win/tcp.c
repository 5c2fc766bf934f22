/* TCP connection management shared by both backends: listeners keep
 * cfg.accept_depth AcceptEx calls posted, connects go through ConnectEx, and
 * half-close waits for the sends posted before it. All of it completes
 * through the loop's port; only the data path differs between backends. */
#include <string.h>

#include "win.h"

#define TCP__ADDR_SPACE ((DWORD)(sizeof(SOCKADDR_STORAGE) + 16))

/* ------------------------------------------------------------- accept */

static void tcp__accept_done(riox_loop *loop, req_t *req, int status, uint32_t bytes);

int os_accept_post_once(riox_sock *listener) {
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

static void tcp__accept_done(riox_loop *loop, req_t *req, int status, uint32_t bytes) {
  riox_sock *listener = req->sock, *conn = NULL;
  SOCKET s = req->accept_sock;
  int os_status = status; /* sock_adopt's failure below is no reason to back off */
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
      if (remote != NULL) (void)sockaddr_to(remote, &peer);
      status = sock_adopt(loop, s, listener->family, SK_MODE_COMPLETION,
                          sock_wsa_flags(loop, SK_MODE_COMPLETION), &conn);
    }
    if (status == 0) {
      tcp_accept_deliver(listener, conn, &peer);
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
  tcp_accept_completed(listener, os_status);
}

/* ------------------------------------------------------------ connect */

static void tcp__connect_done(riox_loop *loop, req_t *req, int status, uint32_t bytes) {
  riox_sock *sock = req->sock;
  (void)bytes;
  if (status == 0 && sock->state != SK_CLOSING) {
    LOOP_OSCALL(loop);
    if (setsockopt(sock->s, SOL_SOCKET, SO_UPDATE_CONNECT_CONTEXT, NULL, 0) != 0)
      status = sock_wsa_error("setsockopt(SO_UPDATE_CONNECT_CONTEXT)");
  }
  tcp_connect_done(loop, req, status);
}

/* Readiness connect: a plain connect() on the socket sock_create made
 * non-blocking; the application watches for RIOX_WRITABLE (connected) or
 * RIOX_HANGUP|RIOX_ERROR (failed). A failure known at once is returned
 * here, nothing is created. */
static int tcp__connect_nonblocking(riox_sock *sock, const riox_addr *remote, int family) {
  SOCKADDR_STORAGE ss;
  int len, rc, err;
  rc = sockaddr_from(remote, family, &ss, &len);
  if (rc < 0) return rc;
  sock->peer = *remote;
  LOOP_OSCALL(sock->loop);
  if (ws_connect(sock->s, (struct sockaddr *)&ss, len) == 0) {
    sock->connected = 1;
    sock->loop->stats.connects++;
    return 0;
  }
  err = WSAGetLastError();
  if (err != WSAEWOULDBLOCK && err != WSAEINPROGRESS) return sock_wsa_error("connect");
  sock->state = SK_CONNECTING;
  return 0;
}


int riox_tcp_connect(riox_loop *loop, const riox_addr *remote, const riox_addr *local,
                     uint32_t flags, void *ctx, riox_sock **out) {
  riox_sock *sock;
  req_t *req;
  int family = AF_INET, rc = tcp_connect_check(loop, remote, local, flags, out, &family);
  if (rc < 0) return rc;
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
  if (rc == 0) rc = sockaddr_from(remote, family, &req->u.addr, &req->addrlen);
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
  if (ws_connect_ex(loop->ext.ConnectEx, sock->s, (struct sockaddr *)&req->u.addr, req->addrlen,
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

