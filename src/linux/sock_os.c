/* Sockets, the Linux side: non-blocking close-on-exec sockets and their
 * options, adoption of accepted connections, and the OS half of cancel and
 * close. The state machine is the core's (src/core/sock.c). */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "linux.h"
#include "riox_test.h"

int sock_errno_error(const char *what) {
  int e = errno;
  return error_detail(error_from_errno(e), "%s failed: %s (errno %d)", what, strerror(e), e);
}

int os_sock_error(const char *what) { return sock_errno_error(what); }

static void sock__init_os(riox_sock *sock) {
  list_init(&sock->rxq);
  list_init(&sock->txq);
  list_init(&sock->rxhold);
  list_init(&sock->rxback);
  list_init(&sock->work);
}

/* RIOX_SOCK_REUSEPORT ("A loop per core", riox.h): SO_REUSEPORT before
 * bind, so the kernel spreads datagrams and connections over every socket
 * of the group by a hash of the flow (socket(7)). With the loop's cpu, also
 * SO_INCOMING_CPU: the group then prefers the socket whose CPU took the
 * packet in (honoured inside reuseport groups since Linux 6.2). */
static int sock__reuseport(riox_sock *sock, uint32_t cpu) {
  int on = 1;
  if (sys_setsockopt(sock->s, SOL_SOCKET, SO_REUSEPORT, &on, sizeof on) != 0)
    return sock_errno_error("setsockopt(SO_REUSEPORT)");
  if (cpu != 0) {
    int c = (int)(cpu - 1);
    if (sys_setsockopt(sock->s, SOL_SOCKET, SO_INCOMING_CPU, &c, sizeof c) != 0)
      return sock_errno_error("setsockopt(SO_INCOMING_CPU)");
  }
  return 0;
}

/* Every socket is non-blocking: the completion backends never block in a
 * call, and readiness sockets need it for riox_try_*. */
int sock_create(riox_loop *loop, int kind, int family, uint32_t flags, void *ctx,
                riox_sock **out) {
  int type = (kind == SK_UDP ? SOCK_DGRAM : SOCK_STREAM) | SOCK_NONBLOCK | SOCK_CLOEXEC;
  riox_sock *sock = sock_alloc(loop, kind, family, flags, ctx);
  int rc = 0, on = 1;
  *out = NULL;
  if (sock == NULL) return error_detail(RIOX_ENOMEM, "no memory for a socket");
  sock__init_os(sock);
  sock->mode = (uint8_t)((flags & RIOX_SOCK_READINESS) ? SK_MODE_READINESS : SK_MODE_COMPLETION);
  LOOP_OSCALL(loop);
  sock->s = sys_socket(family, type, kind == SK_UDP ? IPPROTO_UDP : IPPROTO_TCP);
  if (sock->s < 0) {
    rc = sock_errno_error("socket");
    free(sock);
    return rc;
  }
  if (family == AF_INET6) {
    int v6only = (flags & RIOX_SOCK_DUALSTACK) ? 0 : 1;
    if (sys_setsockopt(sock->s, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof v6only) != 0)
      rc = sock_errno_error("setsockopt(IPV6_V6ONLY)");
  }
  /* Listeners rebind at once after a restart, as Windows allows by default. */
  if (rc == 0 && (kind == SK_TCP_LISTEN || (flags & RIOX_SOCK_REUSEADDR)))
    (void)sys_setsockopt(sock->s, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  if (rc == 0 && kind == SK_TCP) (void)sys_setsockopt(sock->s, IPPROTO_TCP, 1 /* TCP_NODELAY */, &on, sizeof on);
  if (rc == 0 && kind == SK_UDP) rc = linux_udp_sock_opts(sock);
  if (rc == 0 && (flags & RIOX_SOCK_REUSEPORT)) rc = sock__reuseport(sock, loop->cfg.cpu);
  if (rc == 0) rc = sock_hold_close(sock);
  if (rc < 0) {
    close(sock->s);
    free(sock);
    return rc;
  }
  list_insert_tail(&loop->socks, &sock->node);
  *out = sock;
  return 0;
}

int sock_adopt(riox_loop *loop, int fd, int family, int mode, riox_sock **out) {
  riox_sock *sock = sock_alloc(loop, SK_TCP, family, mode == SK_MODE_READINESS ? RIOX_SOCK_READINESS : 0,
                               NULL);
  int rc, on = 1;
  *out = NULL;
  if (sock == NULL) return error_detail(RIOX_ENOMEM, "no memory for an accepted socket");
  sock__init_os(sock);
  sock->s = fd;
  sock->mode = (uint8_t)mode;
  sock->accepted = 1;
  sock->connected = 1;
  (void)sys_setsockopt(fd, IPPROTO_TCP, 1 /* TCP_NODELAY */, &on, sizeof on);
  /* The connection finds the room its listener held for it (tcp.c). */
  rc = sock_hold_close(sock);
  if (rc < 0) {
    free(sock);
    return rc;
  }
  list_insert_tail(&loop->socks, &sock->node);
  *out = sock;
  return 0;
}

unsigned long riox_test_sock_wsa_flags(const riox_sock *sock) {
  (void)sock;
  return 0; /* Windows only */
}

uintptr_t riox_test_sock_handle(const riox_sock *sock) {
  return sock != NULL && sock->s >= 0 ? (uintptr_t)sock->s : (uintptr_t)-1;
}

/* The backend holds every request of the socket (nothing is in the kernel
 * with epoll; a ring cancels its own): it ends them. */
void os_sock_cancel(riox_sock *sock) {
  if (sock->attached || !list_empty(&sock->rxq) || !list_empty(&sock->txq) ||
      !list_empty(&sock->rxhold) || !list_empty(&sock->rxback))
    sock->loop->be->sock_abort_io(sock);
}

int os_sock_shutdown_send(riox_sock *sock) {
  LOOP_OSCALL(sock->loop);
  return sys_shutdown(sock->s, SHUT_WR) == 0 ? 0 : sock_errno_error("shutdown(SHUT_WR)");
}

/* close() ends nothing riox holds (unlike closesocket, which aborts the
 * overlapped requests): the backend ends them first, as cancelled. */
void os_sock_release(riox_sock *sock) {
  if (sock->s < 0) return;
  os_sock_cancel(sock);
  close(sock->s);
  sock->s = -1;
}

int os_req_set_addr(req_t *req, const riox_addr *to, int family) {
  int len = 0;
  int rc = sockaddr_from(to, family, &req->addr, &len);
  req->addrlen = (socklen_t)len;
  return rc;
}

void os_req_addr(const req_t *req, riox_addr *out) {
  (void)sockaddr_to((const struct sockaddr *)&req->addr, out);
}

/* riox_abort: close with RST, not FIN. */
void os_sock_linger0(riox_sock *sock) {
  struct linger lg;
  lg.l_onoff = 1;
  lg.l_linger = 0;
  (void)sys_setsockopt(sock->s, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
}
