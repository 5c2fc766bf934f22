/* Non-blocking calls for readiness users: one plain Winsock call each, into
 * or out of the application's own memory. WSAEWOULDBLOCK becomes
 * RIOX_EAGAIN. Only readiness sockets (RIOX_SOCK_READINESS: non-blocking,
 * without WSA_FLAG_REGISTERED_IO) take them. */
#include <limits.h>
#include <string.h>

#include "win.h"

static int nb__wsa_error(riox_sock *sock, const char *what) {
  int err = WSAGetLastError();
  if (err == WSAEWOULDBLOCK) {
    error_detail(RIOX_EAGAIN, "%s: would block", what);
    return RIOX_EAGAIN;
  }
  if (sock->kind == SK_TCP && sock->state == SK_CONNECTING && err != WSAENOTCONN)
    tcp_connect_settled(sock, 0);
  return sock_wsa_error(what);
}

int riox_try_recv(riox_sock *sock, void *buf, uint32_t cap, riox_addr *from) {
  riox_loop *loop;
  int rc, n;
  rc = sock_try_check(sock, buf, cap, "riox_try_recv");
  if (rc < 0) return rc;
  if (cap == 0) return error_detail(RIOX_EINVAL, "riox_try_recv: capacity 0");
  loop = sock->loop;
  LOOP_OSCALL(loop);
  if (sock->kind == SK_UDP) {
    SOCKADDR_STORAGE ss;
    int sslen = sizeof ss;
    memset(&ss, 0, sizeof ss);
    n = ws_recvfrom(sock->s, (char *)buf, (int)cap, 0, (struct sockaddr *)&ss, &sslen);
    if (n == SOCKET_ERROR) {
      int err = WSAGetLastError();
      if (err == WSAEMSGSIZE) {
        /* The datagram was longer than cap: the rest is gone, as with
         * RIOX_EMSGSIZE on a completion receive. */
        loop->stats.recv_ops++;
        loop->stats.recv_bytes += cap;
        if (from != NULL) (void)sockaddr_to((struct sockaddr *)&ss, from);
        return error_detail(RIOX_EMSGSIZE, "riox_try_recv: datagram longer than %u bytes, truncated",
                            cap);
      }
      rc = err == WSAEWOULDBLOCK ? 0 : sock_try_icmp(sock, error_from_win32((uint32_t)err));
      if (rc != 0) return rc;
      WSASetLastError(err);
      return nb__wsa_error(sock, "recvfrom");
    }
    sock_try_from(sock, &ss, from);
  } else {
    n = ws_recv(sock->s, (char *)buf, (int)cap, 0);
    if (n == SOCKET_ERROR) return nb__wsa_error(sock, "recv");
    sock_try_transferred(sock);
    if (n == 0) {
      error_detail(RIOX_EOF, "riox_try_recv: end of stream");
      return RIOX_EOF;
    }
    if (from != NULL) *from = sock->peer;
  }
  loop->stats.recv_ops++;
  loop->stats.recv_bytes += (uint64_t)n;
  return n;
}

int riox_try_send(riox_sock *sock, const void *data, uint32_t len, const riox_addr *to) {
  riox_loop *loop;
  int rc, n;
  rc = sock_try_check(sock, data, len, "riox_try_send");
  if (rc < 0) return rc;
  loop = sock->loop;
  if (sock->kind == SK_TCP) {
    if (len == 0) return error_detail(RIOX_EINVAL, "riox_try_send: zero-length TCP send");
    if (to != NULL) return error_detail(RIOX_EINVAL, "riox_try_send: a TCP send takes no destination");
    if (sock->shut_wr) return error_detail(RIOX_ESHUTDOWN, "riox_try_send: riox_shutdown was called");
    LOOP_OSCALL(loop);
    n = ws_send(sock->s, (const char *)data, (int)len, 0);
    if (n == SOCKET_ERROR) return nb__wsa_error(sock, "send");
    sock_try_transferred(sock);
  } else {
    uint32_t max = sock_udp_max(sock);
    if (len > max)
      return error_detail(RIOX_EMSGSIZE, "riox_try_send: %u bytes exceed the UDP maximum of %u", len,
                          max);
    if (to == NULL) {
      if (!sock->connected)
        return error_detail(RIOX_ENOTCONN,
                            "riox_try_send: UDP socket is not connected; pass a destination");
      LOOP_OSCALL(loop);
      n = ws_send(sock->s, (const char *)data, (int)len, 0);
    } else {
      SOCKADDR_STORAGE ss;
      int sslen;
      if (to->port == 0) return error_detail(RIOX_EINVAL, "riox_try_send: destination port 0");
      rc = sockaddr_from(to, sock->family, &ss, &sslen);
      if (rc < 0) return rc;
      LOOP_OSCALL(loop);
      n = ws_sendto(sock->s, (const char *)data, (int)len, 0, (struct sockaddr *)&ss, sslen);
    }
    if (n == SOCKET_ERROR) return nb__wsa_error(sock, "sendto");
  }
  loop->stats.send_ops++;
  loop->stats.send_bytes += (uint64_t)n;
  return n;
}

int riox_try_accept(riox_sock *listener, riox_sock **out, riox_addr *peer) {
  riox_loop *loop;
  riox_sock *conn;
  SOCKADDR_STORAGE ss;
  int sslen = sizeof ss, rc;
  SOCKET s;
  if (out != NULL) *out = NULL;
  if (listener == NULL || out == NULL)
    return error_detail(RIOX_EINVAL, "riox_try_accept: listener and out must not be NULL");
  if (listener->kind != SK_TCP_LISTEN)
    return error_detail(RIOX_EPROTO, "riox_try_accept: not a listener");
  if (listener->state == SK_CLOSING)
    return error_detail(RIOX_ECLOSING, "riox_try_accept: listener is closing");
  rc = sock_check_mode(listener, SK_MODE_READINESS, "riox_try_accept");
  if (rc < 0) return rc;
  loop = listener->loop;
  LOOP_OSCALL(loop);
  s = ws_accept(listener->s, (struct sockaddr *)&ss, &sslen);
  if (s == INVALID_SOCKET) return nb__wsa_error(listener, "accept");
  /* accept() makes the new handle inheritable whatever the listener was
   * (Wine does; Windows documents nothing either way): clear it, like every
   * socket riox makes (ws_open). */
  ws_no_inherit(s);
  /* A readiness connection, like its listener: accept() copies the
   * listener's attributes (non-blocking, no WSA_FLAG_REGISTERED_IO). */
  rc = sock_adopt(loop, s, listener->family, SK_MODE_READINESS, listener->wsa_flags, &conn);
  if (rc < 0) {
    ws_close(s);
    return rc;
  }
  (void)sockaddr_to((struct sockaddr *)&ss, &conn->peer);
  if (peer != NULL) *peer = conn->peer;
  loop->stats.accepts++;
  *out = conn;
  return 0;
}

int riox_sock_error(riox_sock *sock) {
  int err = 0, len = sizeof err;
  if (sock == NULL) return error_detail(RIOX_EINVAL, "riox_sock_error: sock is NULL");
  if (sock->s == INVALID_SOCKET) return error_detail(RIOX_ECLOSING, "riox_sock_error: socket is closed");
  LOOP_OSCALL(sock->loop);
  if (getsockopt(sock->s, SOL_SOCKET, SO_ERROR, (char *)&err, &len) != 0)
    return nb__wsa_error(sock, "getsockopt(SO_ERROR)");
  if (err == 0) return 0;
  return error_detail(error_from_win32((uint32_t)err), "pending socket error: WSA error %d", err);
}
