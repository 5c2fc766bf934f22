/* Windows core shared by both backends: the loop (one completion port), the
 * socket state machine, requests that embed their OVERLAPPED, and the backend
 * vtable (the one place the RIO-vs-IOCP choice is made at run time).
 *
 * Layering: api (loop.c, sock.c, tcp.c) -> backend (src/iocp, src/rio) -> OS.
 * Completion path: GetQueuedCompletionStatusEx -> OVERLAPPED -> container_of ->
 * req->complete(); backends that find completions elsewhere (a RIO CQ) call
 * the same req->complete(). */
#ifndef RIOX_WIN_CORE_H
#define RIOX_WIN_CORE_H

#include "winapi.h"
#include "afd.h"
#include "ws.h"

#include "error.h"
#include "evq.h"
#include "list.h"
#include "pool.h"
#include "riox.h"
#include "slab.h"
#include "timer.h"

/* Completion keys: where a packet on the loop's port came from. */
enum {
  WIN_KEY_REQ = 1,     /* an overlapped request: lpOverlapped is in a win_req_t */
  WIN_KEY_WAKE = 2,    /* riox_wake: lpOverlapped carries the user's ctx */
  WIN_KEY_BACKEND = 3  /* backend-private packet (RIONotify) */
};

typedef struct win_req win_req_t;
/* status is 0 or RIOX_E*; bytes as reported by the OS. */
typedef void (*win_req_cb)(riox_loop *loop, win_req_t *req, int status, uint32_t bytes);

enum win_req_kind {
  WIN_REQ_RECV = 1,
  WIN_REQ_SEND,
  WIN_REQ_ACCEPT,
  WIN_REQ_CONNECT,
  WIN_REQ_SHUTDOWN,
  WIN_REQ_POLL
};

/* One in-flight operation. Lives in the loop's slab, so its address (and its
 * OVERLAPPED's) is stable until the completion has been processed. */
struct win_req {
  OVERLAPPED ov;
  win_req_cb complete;
  list_node_t node;  /* inline-done list, backend queues */
  list_node_t order; /* TCP receive/send: its socket's rx_order/tx_order (sock.c) */
  riox_sock *sock;
  void *ctx;
  char *data;
  uint32_t len;   /* bytes asked for */
  uint32_t done;  /* bytes already sent (TCP partial sends) */
  uint8_t kind;   /* enum win_req_kind */
  uint8_t user;   /* posted by the application: yields an event */
  uint8_t has_addr;
  uint8_t finished; /* in order: completed; its event waits for the older ones */
  uint8_t issued;   /* TCP send: handed to the backend (or completed inline) */
  uint8_t defer;    /* TCP send: posted with RIOX_SEND_DEFER */
  uint32_t flush_gen; /* TCP send: loop->flush_gen when posted (sock_send_held) */
  uint8_t post_failed; /* the status is the post's own immediate failure, not a completion's */
  int32_t status; /* inline (or, in order, waiting) completion result */
  uint32_t bytes;
  DWORD flags;    /* WSARecv flags (in/out) */
  INT addrlen;
  /* IOCP: the WSABUF of the WSARecv/WSASend in flight. It must stay valid
   * for the duration of the operation (WSASend, WSARecv), so it lives here
   * and not on the stack of the call that starts it. */
  WSABUF wsabuf;
  union {
    SOCKADDR_STORAGE addr; /* UDP source/destination, connect target */
    /* AcceptEx writes local + remote address, each with 16 spare bytes. */
    char accept_buf[2 * (sizeof(SOCKADDR_STORAGE) + 16)];
    afd_poll_info_t poll; /* readiness: the AFD poll in flight */
  } u;
  SOCKET accept_sock;
  uint64_t backend_data; /* backend-private (e.g. RIO slot bookkeeping) */
};

enum win_sock_kind { WIN_SOCK_UDP = 1, WIN_SOCK_TCP_LISTEN, WIN_SOCK_TCP };

/* A socket is used in one style, fixed when it is created (RIOX_SOCK_READINESS
 * or not; see "readiness" in riox.h): a RIO socket (WSA_FLAG_REGISTERED_IO)
 * is for RIO only, so readiness sockets must be made without the flag. */
enum win_sock_mode { WIN_MODE_COMPLETION = 1, WIN_MODE_READINESS };

typedef struct poll_watch poll_watch_t;

enum win_sock_state {
  WIN_SOCK_OPEN = 0,    /* UDP, listener, established TCP */
  WIN_SOCK_CONNECTING,  /* ConnectEx pending */
  WIN_SOCK_CLOSING      /* riox_close called; waiting for pending == 0 */
};

struct riox_sock {
  riox_loop *loop;
  SOCKET s;
  uint8_t kind;
  uint8_t state;
  uint8_t family;     /* AF_INET or AF_INET6 of the OS socket */
  uint8_t connected;  /* TCP established or UDP connected */
  uint8_t skip_iocp;  /* FILE_SKIP_COMPLETION_PORT_ON_SUCCESS is on */
  uint8_t shut_wr;    /* riox_shutdown posted */
  uint8_t close_queued;
  uint8_t mode;       /* enum win_sock_mode, fixed at creation */
  uint8_t accepted;   /* made by accepting a connection */
  uint8_t attached;   /* backend sock_attach done (first completion-mode post) */
  uint8_t ifs;        /* the provider's handles are IFS handles (XP1_IFS_HANDLES) */
  uint8_t aborting;   /* riox_abort: close with RST, no FIN, no linger */
  uint8_t tx_broken;  /* closing: a send failed or was cancelled; the later ones are too */
  uint8_t fin_sent;   /* shutdown(SD_SEND) done */
  uint8_t lingering;  /* riox_close waits for issued sends before the FIN */
  uint8_t accept_failing; /* listener: a streak of failed AcceptEx posts was reported */
  uint32_t flags;     /* riox_sock_flags */
  DWORD wsa_flags;    /* WSASocketW flags of the OS socket (riox_test_sock_wsa_flags) */
  uint8_t close_hold; /* holds the event room of its CLOSE (loop_hold) */
  SOCKET base;        /* non-IFS layered provider: the base provider's socket, when it is
                         another handle (cancel reaches it too); else INVALID_SOCKET */
  uint32_t pending;   /* requests in flight (any kind) */
  uint32_t sends_pending;
  uint32_t accepts_pending;
  win_req_t *shutdown_req; /* waiting for sends_pending == 0 */
  uint32_t icmp_streak;    /* UDP: ICMP reports swallowed in a row (sock_recv_swallow) */
  uint32_t accept_retry_ms; /* listener: the next back-off of a failing AcceptEx post */
  uint64_t deadline_id;    /* loop_deadline_set: accept retry or linger bound; 0 = none */
  void *ctx;
  list_node_t node;   /* loop->socks */
  /* TCP: the receives and the sends not yet reported, in posting order;
   * only the first send is ever in the OS (sock.c, "Stream order"). */
  list_node_t rx_order, tx_order;
  riox_addr peer;
  void *backend;      /* backend-private per-socket state (RIO request queue) */
  poll_watch_t *watch; /* readiness state, once riox_watch was called */
};

/* The run-time choice between RIO and IOCP: data-path operations only.
 * Accept, connect, timers and wakes are shared and live in src/win. */
typedef struct backend_ops {
  const char *name;
  DWORD wsa_flags; /* extra WSASocket flags of completion sockets (WSA_FLAG_REGISTERED_IO) */
  int (*loop_init)(riox_loop *loop);
  /* Release the backend's OS objects once no request is outstanding (or the
   * close drain gave up). Returns 1 when the OS may still write into the
   * loop's buffer pool, which must then be leaked, else 0. */
  int (*loop_fini)(riox_loop *loop);
  /* A completion socket's first receive or send is about to be posted
   * (never called for readiness sockets). */
  int (*sock_attach)(riox_sock *sock);
  /* riox_cancel/riox_close: complete (RIOX_ECANCELED) what the backend
   * holds back, e.g. deferred sends not yet issued. RIOX_ENOTSUP when the
   * backend cannot cancel without closing (riox_cancel reports it). */
  int (*sock_cancel)(riox_sock *sock);
  /* After the last completion: free per-socket backend state. */
  void (*sock_detach)(riox_sock *sock);
  /* Post a receive/send. 0: one completion will follow (maybe inline);
   * negative: nothing posted. */
  int (*recv)(riox_sock *sock, win_req_t *req);
  int (*send)(riox_sock *sock, win_req_t *req, uint32_t flags);
  /* Issue deferred work; returns requests issued or RIOX_E*. */
  int (*flush)(riox_loop *loop);
  /* Before the kernel wait: drain backend completions, arm notifications.
   * *timeout_ms may be lowered (0 = don't block). Returns completions. */
  int (*before_wait)(riox_loop *loop, DWORD *timeout_ms);
  /* A WIN_KEY_BACKEND packet arrived. */
  void (*on_packet)(riox_loop *loop, OVERLAPPED_ENTRY *entry);
} backend_ops_t;

struct riox_loop {
  HANDLE port;
  const backend_ops_t *be;
  void *be_data;
  const char *backend_name; /* "iocp", "rio", "rio-emulated" */
  riox_loop_config cfg;
  win_ext_t ext;
  pool_t pool;
  slab_t reqs;
  timer_heap_t timers;
  evq_t events;
  uint32_t holds; /* event room held by sockets and posted accepts (loop_hold) */
  uint32_t flush_gen; /* riox_flush calls so far (a deferred send is held until the next) */
  list_node_t socks;       /* every socket not yet freed */
  list_node_t inline_done; /* requests completed synchronously */
  list_node_t reposts;     /* receives to post again at the next wait (swallowed ICMP) */
  timer_heap_t deadlines;  /* the library's own timers (loop_deadline_set), never events */
  list_node_t dead;        /* sockets whose close event was returned */
  riox_stats stats;
  int closing;
  OVERLAPPED_ENTRY *entries;
  uint32_t nentries;
  list_node_t poll_updates; /* sockets whose AFD poll must be (re)submitted */
  list_node_t afd_groups;
  uint8_t afd_device_refused; /* a poll on the AFD device failed: groups use sockets */
};

/* loop.c */
/* Event room (see "Event room" in loop.c): the event queue always has room
 * for every event riox owes -- one per request in the slab, one per pending
 * timer, one per hold (loop_hold) -- so owing an event is decided when the
 * operation is accepted, and queuing it can never fail. */
/* Make room for n more owed events: 0, or RIOX_ENOMEM (with a detail) when
 * the queue cannot grow; the caller then accepts nothing. */
int loop_room(riox_loop *loop, uint32_t n);
/* Owe one event beyond requests and timers (a socket's CLOSE; the new
 * connection a posted AcceptEx may bring): loop_room(1) and keep it.
 * loop_unhold gives the room back once that event is queued or never will be. */
int loop_hold(riox_loop *loop);
void loop_unhold(riox_loop *loop);
/* Queue an owed event (of a request, a timer or a hold): cannot fail. */
riox_event *loop_push_event(riox_loop *loop, uint32_t type, riox_sock *sock, void *ctx,
                            int status);
/* Queue an event nothing owes (a wake, an error report) into room beyond
 * what is owed; NULL, counted in stats.drops, when there is none. */
riox_event *loop_push_note(riox_loop *loop, uint32_t type, riox_sock *sock, void *ctx,
                           int status);
/* A request (counted in sock->pending), with room made for the event it
 * owes. NULL when the slab is full or the event queue cannot grow; then
 * loop_req_error says which, for `what`. */
win_req_t *loop_req_alloc(riox_loop *loop, riox_sock *sock, uint8_t kind, win_req_cb cb);
int loop_req_error(riox_loop *loop, const char *what);
void loop_req_free(riox_loop *loop, win_req_t *req);
/* Finish a request that completed synchronously: its completion runs in the
 * next riox_wait, like any other (events never fire from inside a post). */
void loop_complete_inline(riox_loop *loop, win_req_t *req, int status, uint32_t bytes);
uint64_t loop_now_ms(void);
/* A socket's one internal deadline (a listener's accept retry, a closing
 * connection's linger bound): sock_deadline(sock) runs in riox_wait once
 * delay_ms have passed. Setting it again replaces it. RIOX_ENOMEM when the
 * heap cannot grow (nothing is armed then). */
int loop_deadline_set(riox_sock *sock, uint64_t delay_ms);
void loop_deadline_clear(riox_sock *sock);

/* Count one OS call on the I/O path. */
#define LOOP_OSCALL(loop) ((loop)->stats.os_calls++)

/* sock.c */
/* The failed Winsock call's WSAGetLastError as RIOX_E*, with a detail. */
int sock_wsa_error(const char *what);
/* Largest UDP payload: 65535 minus the IP (v4 only) and UDP headers. */
#define sock_udp_max(sock) ((sock)->family == AF_INET6 ? 65527u : 65507u)
/* WSASocketW flags for a socket of this mode: WSA_FLAG_REGISTERED_IO (the
 * backend's wsa_flags) only for completion sockets. */
DWORD sock_wsa_flags(const riox_loop *loop, int mode);
/* A new socket; flags & RIOX_SOCK_READINESS chooses its mode for good
 * (readiness sockets are non-blocking from the start). */
int sock_create(riox_loop *loop, int kind, int family, uint32_t flags, void *ctx,
                riox_sock **out);
/* A request of this socket has finished; when it was the last one of a
 * closing socket, the close event is queued. */
void sock_req_done(riox_sock *sock);
/* Generic end of a user receive/send: builds the event, counts, frees req.
 * On TCP the event waits until those of the direction's older requests are
 * queued, and the next waiting send goes to the backend. */
void sock_io_complete(riox_loop *loop, win_req_t *req, int status, uint32_t bytes);
int sock_bind(riox_sock *sock, const riox_addr *local);
/* Wrap an accepted connection: from AcceptEx (completion mode) or accept()
 * on a readiness listener (readiness mode); wsa_flags as it was made with. */
int sock_adopt(riox_loop *loop, SOCKET s, int family, int mode, DWORD wsa_flags,
               riox_sock **out);
void sock_free(riox_sock *sock);
/* TCP: a send finished; start a waiting shutdown when it was the last. */
void sock_send_drained(riox_sock *sock);
/* Policies both backends apply before sock_io_complete:
 * a UDP receive whose completion only reports an ICMP error is re-posted
 * (riox.h, "UDP and ICMP"): returns 1 when it took req (queued on
 * loop->reposts, posted again by sock_run_reposts at the next wait), 0 when
 * the caller must complete it. Never for a post's own immediate failure
 * (req->post_failed), nor more than SOCK_ICMP_SWALLOW_MAX times in a row; */
#define SOCK_ICMP_SWALLOW_MAX 16u
int sock_recv_swallow(win_req_t *req, int status);
/* The default policy applies: status is an ICMP report riox hides on this
 * socket (riox_try_recv answers RIOX_EAGAIN for it). */
int sock_icmp_report(const riox_sock *sock, int status);
/* riox_wait, before it flushes: post the swallowed receives again. */
void sock_run_reposts(riox_loop *loop);
/* An internal deadline of sock fired (loop_deadline_set). */
void sock_deadline(riox_sock *sock);
/* The linger of a closing connection is over (its sends drained): FIN, close. */
void sock_linger_end(riox_sock *sock);
/* UDP: an ICMP unreachable report is RIOX_ECONNRESET whatever the OS called
 * it (Windows: ECONNRESET; Wine on a connected socket: ECONNREFUSED). */
int sock_udp_icmp_status(const riox_sock *sock, int status);
/* a TCP send that moved only part of its bytes continues: returns 1 (and
 * advances req->done) when the caller should issue the rest. */
int sock_send_continue(win_req_t *req, int status, uint32_t bytes);

/* 0 if the socket was created for `mode`; else RIOX_EBUSY, with a detail
 * naming RIOX_SOCK_READINESS. */
int sock_check_mode(const riox_sock *sock, int mode, const char *what);
/* Completion sockets: attach the backend before the first post. */
int sock_attach(riox_sock *sock);

/* poll.c */
/* Submit or cancel AFD polls for sockets whose interest changed. */
void poll_flush_updates(riox_loop *loop);
/* riox_close: cancel the socket's poll (its completion frees it). */
void poll_sock_closing(riox_sock *sock);
void poll_sock_free(riox_sock *sock);
void poll_loop_fini(riox_loop *loop);
/* A READY event left the queue: still worth delivering? (not unwatched,
 * closed or modified away; ev->ready is narrowed to the current interest) */
int poll_event_live(riox_event *ev);

/* tcp.c */
int tcp_accept_post(riox_sock *listener);
/* A listener's accept retry deadline fired: post what is missing. */
void tcp_accept_retry(riox_sock *listener);
/* A readiness-mode connect finished: ok = connected, else failed. */
void tcp_connect_settled(riox_sock *sock, int ok);

/* sockaddr.c */
int win_sockaddr_from(const riox_addr *addr, int family, SOCKADDR_STORAGE *ss, int *len);
int win_sockaddr_to(const struct sockaddr *sa, riox_addr *out);

/* Backends. */
extern const backend_ops_t iocp_backend;
extern const backend_ops_t rio_backend;

#endif
