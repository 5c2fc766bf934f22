/* Non-blocking calls for readiness users on Linux: one plain call each,
 * into or out of the application's own memory; EAGAIN is RIOX_EAGAIN. The
 * checks they share with Windows are the core's (sock_try_check). */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "linux.h"

static int nb__errno(riox_sock *sock, const char *what) {
  int e = errno;
  if (e == EAGAIN || e == EWOULDBLOCK) {
    error_detail(RIOX_EAGAIN, "%s: would block", what);
    return RIOX_EAGAIN;
  }
  if (sock->kind == SK_TCP && sock->state == SK_CONNECTING && e != ENOTCONN)
    tcp_connect_settled(sock, 0);
  return sock_errno_error(what);
}

int riox_try_recv(riox_sock *sock, void *buf, uint32_t cap, riox_addr *from) {
  riox_loop *loop;
  ssize_t n;
  int rc = sock_try_check(sock, buf, cap, "riox_try_recv");
  if (rc < 0) return rc;
  if (cap == 0) return error_detail(RIOX_EINVAL, "riox_try_recv: capacity 0");
  loop = sock->loop;
  LOOP_OSCALL(loop);
  if (sock->kind == SK_UDP) {
    struct sockaddr_storage ss;
    struct iovec iov;
    struct msghdr m;
    memset(&ss, 0, sizeof ss);
    memset(&m, 0, sizeof m);
    iov.iov_base = buf;
    iov.iov_len = cap;
    m.msg_name = &ss;
    m.msg_namelen = sizeof ss;
    m.msg_iov = &iov;
    m.msg_iovlen = 1;
    n = sys_recvmsg(sock->s, &m, MSG_DONTWAIT);
    if (n < 0) {
      int e = errno;
      rc = sock_try_icmp(sock, error_from_errno(e));
      if (rc != 0) return rc;
      errno = e;
      return nb__errno(sock, "recvmsg");
    }
    sock_try_from(sock, &ss, from);
    if (m.msg_flags & MSG_TRUNC) {
      /* Longer than cap: the rest is gone, as with RIOX_EMSGSIZE on a
       * completion receive. */
      loop->stats.recv_ops++;
      loop->stats.recv_bytes += cap;
      return error_detail(RIOX_EMSGSIZE, "riox_try_recv: datagram longer than %u bytes, truncated", cap);
    }
  } else {
    n = sys_recv(sock->s, buf, cap, MSG_DONTWAIT);
    if (n < 0) return nb__errno(sock, "recv");
    sock_try_transferred(sock);
    if (n == 0) {
      error_detail(RIOX_EOF, "riox_try_recv: end of stream");
      return RIOX_EOF;
    }
    if (from != NULL) *from = sock->peer;
  }
  loop->stats.recv_ops++;
  loop->stats.recv_bytes += (uint64_t)n;
  return (int)n;
}

int riox_try_send(riox_sock *sock, const void *data, uint32_t len, const riox_addr *to) {
  struct sockaddr_storage ss;
  int sslen = 0;
  ssize_t n;
  int rc = sock_try_send_check(sock, data, len, to, &ss, &sslen);
  if (rc < 0) return rc;
  LOOP_OSCALL(sock->loop);
  if (sslen == 0)
    n = sys_send(sock->s, data, len, MSG_DONTWAIT | MSG_NOSIGNAL);
  else
    n = sys_sendto(sock->s, data, len, MSG_DONTWAIT | MSG_NOSIGNAL, (struct sockaddr *)&ss, (socklen_t)sslen);
  if (n < 0) return nb__errno(sock, sock->kind == SK_TCP ? "send" : "sendto");
  return sock_try_sent(sock, (int)n);
}

int riox_try_accept(riox_sock *listener, riox_sock **out, riox_addr *peer) {
  riox_sock *conn;
  struct sockaddr_storage ss;
  socklen_t sslen = sizeof ss;
  int rc = sock_try_accept_check(listener, out), fd;
  if (rc < 0) return rc;
  LOOP_OSCALL(listener->loop);
  fd = sys_accept4(listener->s, (struct sockaddr *)&ss, &sslen, SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (fd < 0) return nb__errno(listener, "accept4");
  rc = sock_adopt(listener->loop, fd, listener->family, SK_MODE_READINESS, &conn);
  if (rc < 0) {
    close(fd);
    return rc;
  }
  sock_try_accepted(listener, conn, &ss, peer, out);
  return 0;
}

int riox_sock_error(riox_sock *sock) {
  int err = 0;
  socklen_t len = sizeof err;
  if (sock == NULL) return error_detail(RIOX_EINVAL, "riox_sock_error: sock is NULL");
  if (sock->s < 0) return error_detail(RIOX_ECLOSING, "riox_sock_error: socket is closed");
  LOOP_OSCALL(sock->loop);
  if (sys_getsockopt(sock->s, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
    return nb__errno(sock, "getsockopt(SO_ERROR)");
  if (err == 0) return 0;
  return error_detail(error_from_errno(err), "pending socket error: %s (errno %d)", strerror(err), err);
}
