/* The Linux layer as the OS-neutral core (src/core/core.h) sees it: file
 * descriptors, the private fields of a request, a socket and a loop, and
 * what a Linux backend adds to the vtable.
 *
 * On Linux the kernel wait belongs to the backend (epoll_wait for epoll,
 * io_uring_enter for uring), so are accepts and connects; the layer owns
 * the sockets, the wake channel (an eventfd and a queue of contexts) and
 * the clock. */
#ifndef RIOX_LINUX_OS_H
#define RIOX_LINUX_OS_H

#include <netinet/in.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/uio.h>

typedef int os_socket_t;
typedef socklen_t os_socklen_t;
#define OS_INVALID_SOCKET (-1)
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
  uint8_t ring_again; /* uring: a swallowed ICMP report; re-posted first */    \
  uint8_t ring_zc;    /* uring: a TCP send issued as SEND_ZC (fixed buffer) */  \
  uint8_t ring_ended; /* uring: a SEND_ZC send's outcome is in ring_status */   \
  uint8_t ring_ms;    /* uring: a listener's multishot accept (the backend's) */ \
  int16_t ring_notifs; /* uring: SEND_ZC notifications still to come */         \
  int32_t ring_status; /* uring: the outcome held until they came */

#define OS_REQ_INIT(req) ((req)->accept_fd = -1)

/* Socket: the backend's per-socket readiness (epoll edge state) and the
 * requests it holds. */
#define OS_SOCK_FIELDS                                                         \
  uint8_t rd_ready; /* the kernel said readable and no read saw EAGAIN since */\
  uint8_t wr_ready; /* the same for writable */                                \
  uint8_t in_epoll; /* registered with the loop's epoll instance */            \
  uint8_t dirty;    /* on the backend's work list (linux_loop.work) */         \
  list_node_t rxq;  /* receives / accepts waiting for data, in order */        \
  list_node_t txq;  /* sends waiting to be written, in order */                \
  list_node_t rxhold; /* uring: TCP receives behind the one in the kernel */   \
  uint32_t ring_zc_notifs; /* uring: SEND_ZC notifications still to come */    \
  uint8_t ring_zc_reset; /* uring: closed while they were: reset (uring.c) */  \
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
  int connect_issues;

/* Readiness watch: armed in the loop's epoll set (ready.c). */
#define OS_WATCH_FIELDS uint8_t armed; /* EPOLLONESHOT not fired yet */

/* Loop: the epoll instance (the epoll backend's wait, and the readiness
 * set), the wake channel. */
#define OS_LOOP_FIELDS                                                         \
  int epfd;                                                                    \
  int wake_fd;                                                                 \
  pthread_mutex_t wake_lock;                                                   \
  void **wake_ctx; /* riox_wake contexts not yet turned into events */         \
  uint32_t wake_n, wake_cap;                                                   \
  int wake_lock_ok;                                                            \
  uint8_t wake_left; /* a drain left contexts queued (no room) */              \
  list_node_t work; /* sockets with I/O to try (OS_SOCK_FIELDS.work) */        \
  list_node_t ready_updates; /* readiness watches to (re)arm (ready.c) */

#endif
