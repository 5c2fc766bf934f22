/* The Linux layer as the OS-neutral core (src/core/core.h) sees it: file
 * descriptors, the private fields of a request, a socket and a loop, and
 * what a Linux backend adds to the vtable.
 *
 * On Linux the kernel wait belongs to the backend (epoll_wait for epoll,
 * io_uring_enter for uring), so are accepts and connects; the layer owns
 * the sockets, the wake channel (an eventfd and a queue of contexts) and
 * the clock; when a readiness socket is polled is the layer's, how (an
 * epoll set, POLL_ADDs on a ring) the backend's. */
#ifndef RIOX_LINUX_OS_H
#define RIOX_LINUX_OS_H

#include <netinet/in.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "sys.h"

typedef int os_socket_t;
/* Room for a UDP request's ancillary data: a receive's UDP_GRO (24 bytes)
 * with IPV6_PKTINFO (40) and, on a dual-stack socket, IP_PKTINFO (32); a
 * send's UDP_SEGMENT (24) with one PKTINFO (<= 40). src/linux/udp_msg.c. */
#define LINUX_UDP_CTL 128
typedef socklen_t os_socklen_t;
/* The socket calls the core makes itself (src/core: bind, listen, a UDP
 * connect, getsockname), through their fault sites (sys.h). */
#define os_bind sys_bind
#define os_listen sys_listen
#define os_connect sys_connect
#define os_getsockname sys_getsockname
#define OS_INVALID_SOCKET (-1)
/* A UDP receive re-posted after a swallowed ICMP report keeps its place
 * among the socket's receives (1), or goes behind them (0):
 * the backends hold a socket's later receives back until it is in front again. */
#define OS_REPOST_KEEPS_PLACE 1
/* What a backend's wait hands its own packet handler (unused by epoll). */
typedef struct os_packet os_packet_t;

/* Request: the destination or source address, the accepted descriptor,
 * and the scatter entry a vectored call points at (it lives here, not on
 * a stack, for as long as the kernel may read it: io_uring). */
#define OS_REQ_FIELDS                                                          \
  struct sockaddr_storage addr;                                                \
  socklen_t addrlen;                                                           \
  int accept_fd;                                                               \
  struct iovec iov;                                                            \
  struct msghdr msg;                                                           \
  uint8_t ring_nop;   /* uring: its SQE was turned into a NOP (riox_cancel) */ \
  uint8_t ring_defer; /* uring: a RIOX_SEND_DEFER send (uring_loop.deferred) */ \
  uint8_t ring_again; /* a swallowed ICMP report; re-posted first */        \
  uint8_t ring_linked; /* uring: a UDP receive behind another in one chain */ \
  uint8_t ring_cut;   /* uring: ended by riox_cancel/close, not re-issued */  \
  uint8_t ring_zc;    /* uring: a TCP send issued as SEND_ZC (fixed buffer) */  \
  uint8_t ring_ended; /* uring: a SEND_ZC send's outcome is in ring_status */   \
  uint8_t ring_ms;    /* uring: a listener's multishot accept (the backend's) */ \
  int16_t ring_notifs; /* uring: SEND_ZC notifications still to come */         \
  int32_t ring_status; /* uring: the outcome held until they came */           \
  uint8_t udp_soft;   /* UDP segmented send split by riox (no GSO, or refused) */ \
  /* UDP: the ancillary data of a send (UDP_SEGMENT, IP(V6)_PKTINFO) or of a  \
   * receive the kernel fills later (uring); it lives as long as the request. */ \
  uint64_t ctl[LINUX_UDP_CTL / 8];

#define OS_REQ_INIT(req) ((req)->accept_fd = -1)

/* Socket: the backend's per-socket readiness (epoll edge state) and the
 * requests it holds. */
#define OS_SOCK_FIELDS                                                         \
  uint8_t rd_ready; /* the kernel said readable and no read saw EAGAIN since */\
  uint8_t wr_ready; /* the same for writable */                                \
  uint8_t in_epoll; /* registered with the loop's epoll instance */            \
  uint8_t dirty;    /* on the backend's work list (linux_loop.work) */         \
  uint8_t rx_batch; /* epoll: recvmmsg entries the next call prepares */     \
  list_node_t rxq;  /* receives / accepts waiting for data, in order */        \
  list_node_t txq;  /* sends waiting to be written, in order */                \
  list_node_t rxhold; /* uring: receives behind the ones in the kernel */     \
  list_node_t rxback; /* uring: UDP receives a broken chain gave back */       \
  uint8_t rx_wait;  /* a swallowed UDP receive is still to come back */   \
  uint32_t ring_zc_notifs; /* uring: SEND_ZC notifications still to come */    \
  uint8_t ring_zc_reset; /* uring: closed while they were: reset (uring.c) */  \
  uint8_t udp_cmsg; /* UDP completion socket: receives ask for ancillary data  \
                       (UDP_GRO set, or RIOX_UDP_PKTINFO): udp_msg.c */        \
  uint16_t udp_port; /* its bound port, once a PKTINFO receive asked (udp_msg.c) */ \
  list_node_t work;

/* A backend of this OS also waits, accepts, connects, and ends every
 * request it holds for a socket whose I/O is cancelled or closed. */
#define OS_BACKEND_FIELDS                                                      \
  /* One kernel wait of at most timeout_ms, dispatching what it returned;  \
   * no more completions than `batch` (loop_wait_batch). */                    \
  void (*wait)(riox_loop *loop, uint32_t timeout_ms, uint32_t batch);          \
  /* A listener's accept request: complete it once a connection is taken  \
   * (req->accept_fd set) or the accept failed. */                             \
  int (*accept)(riox_sock *listener, req_t *req);                              \
  /* A non-blocking connect returned EINPROGRESS: complete req when it     \
   * settles (status from SO_ERROR). */                                        \
  int (*connect)(riox_sock *sock, req_t *req);                                 \
  /* riox_cancel, riox_abort, close: every request still held for the      \
   * socket ends with RIOX_ECANCELED. */                                       \
  void (*sock_abort_io)(riox_sock *sock);                                      \
  /* 1: the backend issues the connect itself (uring: IORING_OP_CONNECT to \
   * req->addr), so the layer calls no connect() first; 0: connect()      \
   * returned EINPROGRESS before `connect` is called (epoll). */               \
  int connect_issues;                                                          \
  /* Readiness (src/linux/ready.c says when and for what): ask the kernel  \
   * for one report of `events` (poll(2) bits; 0 = stop asking) on w's     \
   * socket in place of what was asked before; the report goes to         \
   * ready_event. watch_closing: riox_close of a watched socket, before    \
   * its descriptor is closed. */                                               \
  void (*watch_poll)(poll_watch_t *w, uint32_t events);                        \
  void (*watch_closing)(poll_watch_t *w);

/* Readiness watch: how its socket is polled (src/linux/ready.c; epoll:
 * src/epoll/ready.c, uring: src/uring/ready.c). */
#define OS_WATCH_FIELDS                                                        \
  uint8_t armed;    /* a report is asked for: EPOLLONESHOT not fired (epoll),  \
                       the POLL_ADD's CQE not back (uring) */                  \
  uint8_t removing; /* uring: a POLL_REMOVE of the armed poll was queued */    \
  uint32_t polled;  /* uring: the events the armed POLL_ADD asks for */

/* Loop: the epoll backend's epoll instance (its wait, the wake eventfd and
 * its readiness set; -1 on a ring, which watches both itself), the wake
 * channel. */
#define OS_LOOP_FIELDS                                                         \
  int epfd;                                                                    \
  int wake_fd;                                                                 \
  pthread_mutex_t wake_lock;                                                   \
  void **wake_ctx; /* riox_wake contexts not yet turned into events */         \
  uint32_t wake_n, wake_cap;                                                   \
  int wake_lock_ok;                                                            \
  uint8_t wake_left; /* a drain left contexts queued (no room) */              \
  list_node_t work; /* sockets with I/O to try (OS_SOCK_FIELDS.work) */        \
  list_node_t ready_updates; /* readiness watches to (re)arm (ready.c) */      \
  /* UDP offloads this loop uses (os_loop_init: what the kernel takes, unless \
   * RIOX_UDP_OFFLOAD=0): UDP_SEGMENT sends, UDP_GRO on RIOX_UDP_GRO sockets. */ \
  uint8_t udp_gso, udp_gro;

#endif
