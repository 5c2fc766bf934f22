/* The Windows layer as the OS-neutral core (src/core/core.h) sees it: the
 * OS handle types, the OS-private fields of a request, a socket and a loop
 * (spliced into the core's structs, the way libuv's uv/win.h supplies
 * UV_REQ_PRIVATE_FIELDS), and the per-OS functions the core calls.
 *
 * A request embeds its OVERLAPPED, so a port packet finds it with
 * container_of; the loop owns one completion port. */
#ifndef RIOX_WIN_OS_H
#define RIOX_WIN_OS_H

#include "winapi.h"
#include "afd.h"
#include "ws.h"

typedef SOCKET os_socket_t;
/* cmsg.c: room for the control data of one UDP request (win.h). */
#define WIN_CTRL_SIZE 128u
typedef int os_socklen_t;
/* The socket calls the core makes itself (src/core: bind, listen, a UDP
 * connect, getsockname). */
#define os_bind ws_bind
#define os_listen ws_listen
#define os_connect ws_connect
#define os_getsockname ws_getsockname
#define OS_INVALID_SOCKET INVALID_SOCKET
/* A UDP receive re-posted after a swallowed ICMP report keeps its place
 * among the socket's receives (1), or goes behind them (0):
 * the OS has the later receives queued already. */
#define OS_REPOST_KEEPS_PLACE 0
/* What one kernel wait hands a backend (RIONotify's packet). */
typedef OVERLAPPED_ENTRY os_packet_t;

/* Completion keys: where a packet on the loop's port came from. */
enum {
  WIN_KEY_REQ = 1,     /* an overlapped request: lpOverlapped is in a req_t */
  WIN_KEY_WAKE = 2,    /* riox_wake: lpOverlapped carries the user's ctx */
  WIN_KEY_BACKEND = 3  /* backend-private packet (RIONotify) */
};

/* Request: the OVERLAPPED the OS completes, the WSABUF of an IOCP transfer
 * (it must stay valid for the duration of the operation: WSASend, WSARecv,
 * so it lives here and not on the stack of the call that starts it), the
 * address or AcceptEx space, and the socket an AcceptEx accepts into. */
#define OS_REQ_FIELDS                                                          \
  OVERLAPPED ov;                                                               \
  DWORD flags; /* WSARecv flags (in/out) */                                    \
  INT addrlen;                                                                 \
  WSABUF wsabuf;                                                               \
  union {                                                                      \
    SOCKADDR_STORAGE addr; /* UDP source/destination, connect target */        \
    /* AcceptEx writes local + remote address, each with 16 spare bytes. */    \
    char accept_buf[2 * (sizeof(SOCKADDR_STORAGE) + 16)];                      \
    afd_poll_info_t poll; /* readiness: the AFD poll in flight */              \
  } u;                                                                         \
  SOCKET accept_sock;                                                          \
  /* IOCP UDP with control data (WSARecvMsg/WSASendMsg): the message and its  \
   * control buffer live as long as the operation (win.h, cmsg.c). */         \
  uint8_t use_msg;                                                             \
  WSAMSG msg;                                                                  \
  char ctrl[WIN_CTRL_SIZE];

/* A request just taken from the slab (loop_req_alloc). */
#define OS_REQ_INIT(req) ((req)->accept_sock = INVALID_SOCKET)

/* Socket: what the provider behind it allows (sock_os.c). */
#define OS_SOCK_FIELDS                                                         \
  uint8_t skip_iocp; /* FILE_SKIP_COMPLETION_PORT_ON_SUCCESS is on */          \
  uint8_t ifs;       /* the provider's handles are IFS handles */              \
  DWORD wsa_flags;   /* WSASocketW flags (riox_test_sock_wsa_flags) */         \
  SOCKET base;       /* non-IFS layered provider: the base provider's socket,  \
                        when it is another handle; else INVALID_SOCKET */      \
  uint8_t rx_ctrl;   /* UDP receives take control data (win_sock_rx_ctrl) */   \
  uint8_t port_known; /* port: the bound port, read once (cmsg.c) */          \
  uint16_t port;

/* Backends: accepts, connects and the wait are shared on Windows (the
 * completion port), so a backend adds nothing. */
#define OS_BACKEND_FIELDS

/* Readiness watch: the AFD poll behind it (poll.c). */
#define OS_WATCH_FIELDS                                                        \
  struct afd_group *group; /* the AFD handle its polls go to */               \
  SOCKET base;             /* the base provider's socket AFD polls */         \
  uint8_t cancelling;      /* req was asked to end: its packet is on the way */\
  req_t *req;              /* the AFD poll in flight, if any */               \
  ULONG polled;            /* AFD events that poll asks for */

/* Loop: the completion port and what readiness (AFD polls) needs. */
#define OS_LOOP_FIELDS                                                         \
  HANDLE port;                                                                 \
  win_ext_t ext;                                                               \
  OVERLAPPED_ENTRY *entries;                                                   \
  uint32_t nentries;                                                           \
  list_node_t poll_updates; /* sockets whose AFD poll must be (re)submitted */ \
  list_node_t afd_groups;                                                      \
  uint8_t afd_device_refused; /* a poll on the AFD device failed */

#endif
