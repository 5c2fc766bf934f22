/* Sockets, the Windows side: Winsock sockets and their options, what the
 * provider behind a socket allows, binding, UDP open, addresses, and the
 * OS half of cancel and close. The state machine is the core's
 * (src/core/sock.c). */
#include <stdlib.h>
#include <string.h>

#include "riox_test.h"
#include "win.h"

int os_sock_error(const char *what) { return sock_wsa_error(what); }

int sock_wsa_error(const char *what) {
  int err = WSAGetLastError();
  return error_detail(error_from_win32((uint32_t)err), "%s failed: WSA error %d", what, err);
}

/* What the provider behind the socket allows. XP1_IFS_HANDLES
 * (SO_PROTOCOL_INFOW) says the handle is the base provider's IFS handle:
 * OVERLAPPED.Internal then holds an NTSTATUS and the completion-mode
 * shortcuts are safe. A non-IFS (layered) provider's handle is its own, and
 * unknown means the same:
 *  - its completions are decoded with WSAGetOverlappedResult (loop.c): the
 *    WSAOVERLAPPED page leaves Internal to the provider;
 *  - no FILE_SKIP_* modes: its completions may never reach the port
 *    (libuv and Go turn them off there too);
 *  - cancelling must reach the base provider's socket as well (libuv,
 *    uv__tcp_try_cancel_reqs), so that socket is remembered. */
static void sock__provider(riox_sock *sock) {
  WSAPROTOCOL_INFOW info;
  int len = sizeof info;
  UCHAR modes;
  SOCKET base;
  sock->base = INVALID_SOCKET;
  sock->ifs = (uint8_t)(ws_getsockopt(sock->s, SOL_SOCKET, SO_PROTOCOL_INFOW, (char *)&info, &len) == 0 &&
                        (info.dwServiceFlags1 & XP1_IFS_HANDLES) != 0);
  if (!sock->ifs) {
    if (afd_base_socket(sock->s, &base) == 0 && base != sock->s) sock->base = base;
    return;
  }
  /* Nobody waits on the socket handle itself (every request has its own
   * OVERLAPPED, WSAGetOverlappedResult is never asked to wait), so the
   * handle need not be signalled (libuv sets it on its sockets unless a
   * non-IFS provider is installed).
   * FILE_SKIP_COMPLETION_PORT_ON_SUCCESS saves one packet per operation
   * that completes at once, on TCP connections only: on UDP a synchronous
   * WSAEMSGSIZE is a warning status that still queues a packet, which
   * would make the result ambiguous, and a listener's AcceptEx always
   * posts its packet (tcp.c). */
  modes = FILE_SKIP_SET_EVENT_ON_HANDLE;
  if (sock->kind == SK_TCP) modes = (UCHAR)(modes | FILE_SKIP_COMPLETION_PORT_ON_SUCCESS);
  if (OSCALL_SET_MODES((HANDLE)sock->s, modes))
    sock->skip_iocp = (uint8_t)((modes & FILE_SKIP_COMPLETION_PORT_ON_SUCCESS) != 0);
}

/* Options every riox socket gets; called on fresh and accepted sockets. */
static int sock__setup(riox_sock *sock) {
  riox_loop *loop = sock->loop;
  if (OSCALL_CREATE_PORT((HANDLE)sock->s, loop->port, WIN_KEY_REQ, 0) == NULL)
    return error_detail(error_from_win32(GetLastError()),
                        "CreateIoCompletionPort(socket) failed: error %lu", GetLastError());
  if (sock->kind == SK_UDP && !(sock->flags & RIOX_UDP_REPORT_UNREACH)) {
    /* Keep a server serving: see "UDP and ICMP" in riox.h. */
    BOOL report = FALSE;
    DWORD bytes = 0;
    (void)WSAIoctl(sock->s, SIO_UDP_CONNRESET, &report, sizeof report, NULL, 0, &bytes, NULL, NULL);
  }
  sock__provider(sock);
  return 0;
}

static int sock__opt_on(riox_sock *sock, int level, int name, DWORD value, const char *what) {
  LOOP_OSCALL(sock->loop);
  if (ws_setsockopt(sock->s, level, name, (const char *)&value, (int)sizeof value) != 0)
    return sock_wsa_error(what);
  return 0;
}

/* riox.h, "Local addresses" and "Segmentation offload": the options a UDP
 * socket's flags ask for, set before its first receive, so every datagram
 * carries what was promised. A socket whose option is refused is not made:
 * the flag's promise could not be kept.
 *  - RIOX_UDP_PKTINFO: IP_PKTINFO (IPv4), IPV6_PKTINFO (IPv6); a dual-stack
 *    socket gets both, as IPv4 datagrams reach it too (msquic sets both on
 *    its dual-stack sockets for the same reason).
 *  - RIOX_UDP_GRO where the loop uses URO: UDP_RECV_MAX_COALESCED_SIZE at
 *    the pool's slot size (at most the largest UDP payload): a receive is
 *    posted into a slot, so a coalesced one that the OS caps there is never
 *    truncated by riox's own choice of buffers (the option page: the value
 *    is "the maximum message size in bytes for coalesced messages").
 *    Elsewhere the flag changes nothing.
 * Either way the receives go through WSARecvMsg / RIOReceiveEx with a
 * control buffer (rx_ctrl). */
static int sock__udp_options(riox_sock *sock) {
  int rc = 0;
  /* IOCP reads control data with WSARecvMsg only (RIO: RIOReceiveEx). */
  if ((sock->flags & RIOX_UDP_PKTINFO) && sock->loop->ext.WSARecvMsg == NULL &&
      !(sock->loop->be->os_sock_flags & WSA_FLAG_REGISTERED_IO))
    return error_detail(RIOX_ENOTSUP,
                        "RIOX_UDP_PKTINFO: the Winsock provider has no WSARecvMsg to report "
                        "local addresses with");
  if (sock->flags & RIOX_UDP_PKTINFO) {
    if (sock->family == AF_INET6)
      rc = sock__opt_on(sock, IPPROTO_IPV6, IPV6_PKTINFO, 1, "setsockopt(IPV6_PKTINFO)");
    if (rc == 0 && (sock->family == AF_INET || (sock->flags & RIOX_SOCK_DUALSTACK)))
      rc = sock__opt_on(sock, IPPROTO_IP, IP_PKTINFO, 1, "setsockopt(IP_PKTINFO)");
    if (rc < 0) return rc;
    sock->rx_ctrl = 1;
  }
  if ((sock->flags & RIOX_UDP_GRO) && sock->loop->ext.uro) {
    DWORD max = sock->loop->cfg.buf_size < sock_udp_max(sock) ? sock->loop->cfg.buf_size
                                                              : sock_udp_max(sock);
    rc = sock__opt_on(sock, IPPROTO_UDP, UDP_RECV_MAX_COALESCED_SIZE, max,
                      "setsockopt(UDP_RECV_MAX_COALESCED_SIZE)");
    if (rc < 0) return rc;
    sock->rx_ctrl = 1;
  }
  return 0;
}

/* The one rule for WSA_FLAG_REGISTERED_IO: completion sockets of a RIO loop
 * get it (RIOCreateRequestQueue needs it), readiness sockets never do: field
 * reports say a registered-I/O socket is for RIO only (FIONBIO fails with
 * WSAEOPNOTSUPP; plain send/recv and AFD polls are not to be relied on). */
DWORD sock_wsa_flags(const riox_loop *loop, int mode) {
  return WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT |
         (mode == SK_MODE_COMPLETION ? (DWORD)loop->be->os_sock_flags : 0);
}

/* RIOX_SOCK_REUSEPORT on a UDP socket ("A loop per core", docs/design.md):
 * SIO_CPU_AFFINITY with the loop's processor, before bind (after it the
 * ioctl fails with WSAEINVAL). Sockets so tied to different processors may
 * bind one address, and each flow's datagrams go to the socket of the
 * processor RSS gives the flow (WSAIoctl, Microsoft Learn; msquic's
 * per-processor sockets and ctsTraffic -EnableRecvSharding do the same).
 * The ioctl is for UDP only and incompatible with SO_REUSEADDR; older
 * Windows lacks it (which is the first is not documented: the 10.0.19041
 * SDK does not name it yet), Wine 8 refuses it with WSAEOPNOTSUPP (seen
 * here): RIOX_ENOTSUP, never a silent fallback. Listeners get nothing:
 * Windows shares no TCP port between listeners (SO_REUSEADDR there lets a
 * second listener take the port, not share it). */
static int sock__cpu_affinity(riox_sock *sock) {
  USHORT cpu;
  DWORD bytes = 0;
  int err;
  if (sock->loop->cfg.cpu == 0)
    return error_detail(RIOX_EINVAL,
                        "riox_udp_open: RIOX_SOCK_REUSEPORT on Windows needs the loop's "
                        "processor (riox_loop_config.cpu = processor index + 1): the port is "
                        "shared by per-processor sockets (SIO_CPU_AFFINITY)");
  if (sock->flags & RIOX_SOCK_REUSEADDR)
    return error_detail(RIOX_EINVAL,
                        "riox_udp_open: RIOX_SOCK_REUSEPORT and RIOX_SOCK_REUSEADDR exclude each "
                        "other on Windows (SIO_CPU_AFFINITY is incompatible with SO_REUSEADDR)");
  cpu = (USHORT)(sock->loop->cfg.cpu - 1);
  LOOP_OSCALL(sock->loop);
  if (ws_wsaioctl(sock->s, SIO_CPU_AFFINITY, &cpu, sizeof cpu, NULL, 0, &bytes) == 0) return 0;
  err = WSAGetLastError();
  if (err == WSAEOPNOTSUPP || err == WSAENOPROTOOPT)
    return error_detail(RIOX_ENOTSUP,
                        "riox_udp_open: RIOX_SOCK_REUSEPORT: this system cannot share a UDP port "
                        "between sockets (WSAIoctl(SIO_CPU_AFFINITY) failed: WSA error %d; "
                        "recent Windows 10 and 11 have it, Wine does not)",
                        err);
  return error_detail(error_from_win32((uint32_t)err),
                      "riox_udp_open: WSAIoctl(SIO_CPU_AFFINITY, processor %u) failed: WSA error %d",
                      (unsigned)cpu, err);
}

int sock_create(riox_loop *loop, int kind, int family, uint32_t flags, void *ctx,
                riox_sock **out) {
  int type = kind == SK_UDP ? SOCK_DGRAM : SOCK_STREAM;
  int proto = kind == SK_UDP ? IPPROTO_UDP : IPPROTO_TCP;
  riox_sock *sock = sock_alloc(loop, kind, family, flags, ctx);
  int rc;
  *out = NULL;
  if (sock == NULL) return error_detail(RIOX_ENOMEM, "no memory for a socket");
  sock->mode = (uint8_t)((flags & RIOX_SOCK_READINESS) ? SK_MODE_READINESS : SK_MODE_COMPLETION);
  sock->wsa_flags = sock_wsa_flags(loop, sock->mode);
  LOOP_OSCALL(loop);
  sock->s = ws_open(family, type, proto, sock->wsa_flags);
  if (sock->s == INVALID_SOCKET) {
    rc = sock_wsa_error("WSASocket");
    free(sock);
    return rc;
  }
  if (sock->mode == SK_MODE_READINESS) {
    /* riox_try_* and the non-blocking connect need it from the start. */
    u_long on = 1;
    LOOP_OSCALL(loop);
    if (ws_ioctl(sock->s, FIONBIO, &on) != 0) {
      rc = sock_wsa_error("ioctlsocket(FIONBIO)");
      goto fail;
    }
  }
  if (family == AF_INET6) {
    DWORD v6only = (flags & RIOX_SOCK_DUALSTACK) ? 0 : 1;
    if (setsockopt(sock->s, IPPROTO_IPV6, IPV6_V6ONLY, (const char *)&v6only, sizeof v6only) != 0) {
      rc = sock_wsa_error("setsockopt(IPV6_V6ONLY)");
      goto fail;
    }
  }
  if (kind == SK_UDP && (flags & RIOX_SOCK_REUSEPORT)) {
    rc = sock__cpu_affinity(sock);
    if (rc < 0) goto fail;
  }
  if (flags & RIOX_SOCK_REUSEADDR) {
    BOOL on = TRUE;
    (void)setsockopt(sock->s, SOL_SOCKET, SO_REUSEADDR, (const char *)&on, sizeof on);
  }
  if (kind == SK_UDP) {
    rc = sock__udp_options(sock);
    if (rc < 0) goto fail;
  }
  rc = sock__setup(sock);
  if (rc == 0) rc = sock_hold_close(sock);
  if (rc < 0) goto fail;
  list_insert_tail(&loop->socks, &sock->node);
  *out = sock;
  return 0;
fail:
  ws_close(sock->s);
  free(sock);
  return rc;
}

/* Wrap an accepted connection. A readiness one (accept() on a non-blocking
 * listener) is non-blocking already: accept() gives the new socket the
 * listener's properties (accept, Microsoft Learn). */
int sock_adopt(riox_loop *loop, SOCKET s, int family, int mode, DWORD wsa_flags,
               riox_sock **out) {
  riox_sock *sock = sock_alloc(loop, SK_TCP, family,
                                mode == SK_MODE_READINESS ? RIOX_SOCK_READINESS : 0, NULL);
  int rc;
  *out = NULL;
  if (sock == NULL) return error_detail(RIOX_ENOMEM, "no memory for an accepted socket");
  sock->s = s;
  sock->mode = (uint8_t)mode;
  sock->wsa_flags = wsa_flags;
  sock->accepted = 1;
  sock->connected = 1;
  rc = sock__setup(sock);
  /* An AcceptEx connection finds the room its listener held for it
   * (tcp.c gives it back just before). */
  if (rc == 0) rc = sock_hold_close(sock);
  if (rc < 0) {
    free(sock);
    return rc;
  }
  list_insert_tail(&loop->socks, &sock->node);
  *out = sock;
  return 0;
}

unsigned long riox_test_sock_wsa_flags(const riox_sock *sock) {
  return sock != NULL ? (unsigned long)sock->wsa_flags : 0;
}

uintptr_t riox_test_sock_handle(const riox_sock *sock) {
  return sock != NULL ? (uintptr_t)sock->s : (uintptr_t)INVALID_SOCKET;
}

/* Cancel every overlapped request on the socket's handle; ERROR_NOT_FOUND
 * (nothing pending) is not a failure. Under a non-IFS layered provider the
 * requests that matter may be the provider's own, on the base socket:
 * cancel there too (libuv does the same). */
void os_sock_cancel(riox_sock *sock) {
  LOOP_OSCALL(sock->loop);
  (void)ws_cancel_io((HANDLE)sock->s, NULL);
  if (sock->base == INVALID_SOCKET) return;
  LOOP_OSCALL(sock->loop);
  (void)ws_cancel_io((HANDLE)sock->base, NULL);
}

/* riox_abort: close with RST, not FIN. */
void os_sock_linger0(riox_sock *sock) {
  struct linger lg;
  lg.l_onoff = 1;
  lg.l_linger = 0;
  (void)setsockopt(sock->s, SOL_SOCKET, SO_LINGER, (const char *)&lg, sizeof lg);
}

int os_sock_shutdown_send(riox_sock *sock) {
  LOOP_OSCALL(sock->loop);
  return ws_shutdown(sock->s, SD_SEND) == 0 ? 0 : sock_wsa_error("shutdown(SD_SEND)");
}

void os_sock_release(riox_sock *sock) {
  if (sock->s == INVALID_SOCKET) return;
  ws_close(sock->s);
  sock->s = INVALID_SOCKET;
}

int os_req_set_addr(req_t *req, const riox_addr *to, int family) {
  return sockaddr_from(to, family, &req->u.addr, &req->addrlen);
}

void os_req_addr(const req_t *req, riox_addr *out) {
  (void)sockaddr_to((const struct sockaddr *)&req->u.addr, out);
}
