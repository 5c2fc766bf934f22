/* TCP on Linux: a listener's accept requests (the backend takes the
 * connection: accept4 on readable, or an accept on the ring) and connects
 * (non-blocking connect; the backend waits for it to settle, or, when it
 * says connect_issues, issues the connect itself). The policy --
 * accept depth, re-posts, back-off, half-close -- is the core's
 * (src/core/tcp.c). */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "linux.h"

static void tcp__accept_done(riox_loop *loop, req_t *req, int status, uint32_t bytes) {
  riox_sock *listener = req->sock, *conn = NULL;
  int fd = req->accept_fd;
  int os_status = status; /* sock_adopt's failure below is no reason to back off */
  (void)bytes;
  listener->accepts_pending--;
  loop_unhold(loop); /* the room held for conn: sock_adopt takes it back */
  if (status == 0 && fd >= 0 && listener->state != SK_CLOSING) {
    riox_addr peer;
    memset(&peer, 0, sizeof peer);
    (void)sockaddr_to((const struct sockaddr *)&req->addr, &peer);
    status = sock_adopt(loop, fd, listener->family, SK_MODE_COMPLETION, &conn);
    if (status == 0) {
      tcp_accept_deliver(listener, conn, &peer);
      fd = -1; /* owned by conn now */
    } else {
      loop->stats.drops++; /* the client is lost (it sees a reset); the listener serves on */
    }
  }
  if (fd >= 0) close(fd);
  loop_req_free(loop, req);
  tcp_accept_completed(listener, os_status);
}

int os_accept_post_once(riox_sock *listener) {
  riox_loop *loop = listener->loop;
  req_t *req;
  int rc = loop_hold(loop); /* the CLOSE of the connection it may bring */
  if (rc < 0) return rc;
  req = loop_req_alloc(loop, listener, REQ_ACCEPT, tcp__accept_done);
  if (req == NULL) {
    loop_unhold(loop);
    return loop_req_error(loop, "accept");
  }
  req->addrlen = (socklen_t)sizeof req->addr;
  rc = loop->be->accept(listener, req);
  if (rc < 0) {
    loop_req_free(loop, req);
    loop_unhold(loop);
    return rc;
  }
  listener->accepts_pending++;
  return 0;
}

static void tcp__connect_cb(riox_loop *loop, req_t *req, int status, uint32_t bytes) {
  (void)bytes;
  tcp_connect_done(loop, req, status);
}

int riox_tcp_connect(riox_loop *loop, const riox_addr *remote, const riox_addr *local,
                     uint32_t flags, void *ctx, riox_sock **out) {
  riox_sock *sock;
  req_t *req = NULL;
  struct sockaddr_storage ss;
  int len = 0, family = AF_INET, rc = tcp_connect_check(loop, remote, local, flags, out, &family);
  if (rc < 0) return rc;
  rc = sock_create(loop, SK_TCP, family, flags, ctx, &sock);
  if (rc < 0) return rc;
  if (local != NULL) rc = sock_bind(sock, local);
  if (rc == 0) rc = sockaddr_from(remote, family, &ss, &len);
  if (rc == 0 && sock->mode == SK_MODE_COMPLETION) {
    req = loop_req_alloc(loop, sock, REQ_CONNECT, tcp__connect_cb);
    if (req == NULL) rc = loop_req_error(loop, "riox_tcp_connect");
  }
  if (rc < 0) {
    if (req != NULL) {
      slab_free(&loop->reqs, req);
      sock->pending--;
    }
    sock_discard(sock);
    return rc;
  }
  sock->peer = *remote;
  if (req != NULL && loop->be->connect_issues) {
    /* The backend connects (uring: on the ring); a connect() here first
     * would leave it EALREADY. */
    memcpy(&req->addr, &ss, (size_t)len);
    req->addrlen = (socklen_t)len;
    sock->state = SK_CONNECTING;
    rc = loop->be->connect(sock, req);
    if (rc < 0) loop_complete_inline(loop, req, rc, 0);
  } else if (LOOP_OSCALL(loop), sys_connect(sock->s, (struct sockaddr *)&ss, (socklen_t)len) == 0) {
    if (req == NULL) {
      sock->connected = 1;
      loop->stats.connects++;
    } else {
      sock->state = SK_CONNECTING;
      loop_complete_inline(loop, req, 0, 0);
    }
  } else if (errno == EINPROGRESS) {
    sock->state = SK_CONNECTING;
    /* Readiness: the application watches for RIOX_WRITABLE. */
    if (req != NULL) {
      rc = loop->be->connect(sock, req);
      if (rc < 0) loop_complete_inline(loop, req, rc, 0);
    }
  } else {
    rc = sock_errno_error("connect");
    if (req == NULL) {
      sock_discard(sock);
      return rc;
    }
    /* Failing at once is still the connection's outcome: its CONNECT event
     * reports it, like a failure that arrives later. */
    sock->state = SK_CONNECTING;
    loop_complete_inline(loop, req, rc, 0);
  }
  if (req != NULL) {
    req->user = 1;
    req->ctx = ctx;
  }
  *out = sock;
  return 0;
}
