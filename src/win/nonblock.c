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
  SOCKADDR_STORAGE ss;
  int sslen = 0, n;
  int rc = sock_try_send_check(sock, data, len, to, &ss, &sslen);
  if (rc < 0) return rc;
  LOOP_OSCALL(sock->loop);
  if (sslen == 0)
    n = ws_send(sock->s, (const char *)data, (int)len, 0);
  else
    n = ws_sendto(sock->s, (const char *)data, (int)len, 0, (struct sockaddr *)&ss, sslen);
  if (n == SOCKET_ERROR) return nb__wsa_error(sock, sock->kind == SK_TCP ? "send" : "sendto");
  return sock_try_sent(sock, n);
}

int riox_try_accept(riox_sock *listener, riox_sock **out, riox_addr *peer) {
  riox_sock *conn;
  SOCKADDR_STORAGE ss;
  int sslen = sizeof ss;
  int rc = sock_try_accept_check(listener, out);
  SOCKET s;
  if (rc < 0) return rc;
  LOOP_OSCALL(listener->loop);
  s = ws_accept(listener->s, (struct sockaddr *)&ss, &sslen);
  if (s == INVALID_SOCKET) return nb__wsa_error(listener, "accept");
  /* accept() makes the new handle inheritable whatever the listener was
   * (Wine does; Windows documents nothing either way): clear it, like every
   * socket riox makes (ws_open). */
  ws_no_inherit(s);
  /* A readiness connection, like its listener: accept() copies the
   * listener's attributes (non-blocking, no WSA_FLAG_REGISTERED_IO). */
  rc = sock_adopt(listener->loop, s, listener->family, SK_MODE_READINESS, listener->wsa_flags, &conn);
  if (rc < 0) {
    ws_close(s);
    return rc;
  }
  sock_try_accepted(listener, conn, &ss, peer, out);
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
