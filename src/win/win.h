/* What the Windows layer's files share beyond the core (src/core/core.h):
 * Winsock errors and socket flags, socket creation and adoption, TCP, and
 * address conversion, for src/win, src/iocp and src/rio. */
#ifndef RIOX_WIN_WIN_H
#define RIOX_WIN_WIN_H

#include "core.h"
#include "oscall.h"

/* The failed Winsock call's WSAGetLastError as RIOX_E*, with a detail. */
int sock_wsa_error(const char *what);
/* WSASocketW flags for a socket of this mode: WSA_FLAG_REGISTERED_IO (the
 * backend's os_sock_flags) only for completion sockets. */
DWORD sock_wsa_flags(const riox_loop *loop, int mode);
/* Wrap an accepted connection: from AcceptEx (completion mode) or accept()
 * on a readiness listener (readiness mode); wsa_flags as it was made with. */
int sock_adopt(riox_loop *loop, SOCKET s, int family, int mode, DWORD wsa_flags,
               riox_sock **out);

/* loop_os.c: the UDP offloads this loop uses (loop->ext.uso/uro): the
 * probe's, unless RIOX_UDP_OFFLOAD=0. */
void win_offload_select(riox_loop *loop);

/* cmsg.c: UDP control data (riox.h, "Segmentation offload", "Local
 * addresses"). WIN_CTRL_SIZE holds every control message riox sends or
 * asks for (PKTINFO of either family, UDP_SEND_MSG_SIZE or
 * UDP_COALESCED_INFO), with RIO's RIO_CMSG_BUFFER header in front.
 * win_cmsg_send: the control messages of a send -- its source address
 * (req->local, req->ifindex) when asked, its segment size when seg != 0 --
 * into buf; returns their length (0: none).
 * win_cmsg_recv: what a receive's control data says, into req->local
 * (port = the socket's), req->ifindex and req->seg_size; buf[0..len) may be
 * anything the OS wrote (it is walked with bounds checks).
 * win_cmsg_recv_reset: before a receive is posted (again). */
uint32_t win_cmsg_send(char *buf, uint32_t cap, const riox_sock *sock, const req_t *req,
                       uint32_t seg);
void win_cmsg_recv(riox_sock *sock, req_t *req, const char *buf, uint32_t len);
void win_cmsg_recv_reset(req_t *req);
/* A UDP receive of this socket needs control data: PKTINFO asked, or
 * coalescing asked where the loop uses URO. */
#define win_sock_rx_ctrl(sock) ((sock)->rx_ctrl != 0)

/* Backends. */
extern const backend_ops_t iocp_backend;
extern const backend_ops_t rio_backend;
/* RIO: os_wait skips its kernel wait when this answers 1 (src/rio/rio_cq.c). */
int rio_cq_skip_port(riox_loop *loop, uint32_t timeout_ms);

#endif
