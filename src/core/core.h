/* The OS-neutral core: the loop and riox_wait, events and their room,
 * requests, the socket state machine (pending counts, stream order, the
 * close event last, memory freed only after it), timers, internal
 * deadlines, statistics and the buffer pool; and the backend vtable, the
 * one place the data path is chosen at run time.
 *
 * Layering (docs/design.md, "Layers"):
 *   core (src/core) -> OS layer (src/win: os.h) -> backends (src/iocp,
 *   src/rio) -> OS.
 * The OS layer owns sockets, options, the probe, OS error mapping and the
 * kernel wait; it splices its private fields into the structs below
 * (OS_REQ_FIELDS, OS_SOCK_FIELDS, OS_LOOP_FIELDS) and implements the os_*
 * functions declared at the end. Completion path (Windows):
 * GetQueuedCompletionStatusEx -> OVERLAPPED -> container_of -> req->complete();
 * backends that find completions elsewhere (a RIO CQ) call the same
 * req->complete(). */
#ifndef RIOX_CORE_H
#define RIOX_CORE_H

#include "error.h"
#include "evq.h"
#include "list.h"
#include "pool.h"
#include "riox.h"
#include "slab.h"
#include "timer.h"

#include "os.h"

typedef struct req req_t;
/* status is 0 or RIOX_E*; bytes as reported by the OS. */
typedef void (*req_cb)(riox_loop *loop, req_t *req, int status, uint32_t bytes);

enum req_kind {
  REQ_RECV = 1,
  REQ_SEND,
  REQ_ACCEPT,
  REQ_CONNECT,
  REQ_SHUTDOWN,
  REQ_POLL
};

/* One in-flight operation. Lives in the loop's slab, so its address (and
 * that of the OS object it embeds) is stable until the completion has been
 * processed. */
struct req {
  req_cb complete;
  list_node_t node;  /* inline-done list, backend queues */
  list_node_t order; /* TCP receive/send: its socket's rx_order/tx_order (sock.c) */
  riox_sock *sock;
  void *ctx;
  char *data;
  uint32_t len;   /* bytes asked for */
  uint32_t done;  /* bytes already sent (TCP partial sends) */
  uint8_t kind;   /* enum req_kind */
  uint8_t user;   /* posted by the application: yields an event */
  uint8_t has_addr;
  uint8_t finished; /* in order: completed; its event waits for the older ones */
  uint8_t issued;   /* TCP send: handed to the backend (or completed inline) */
  uint8_t taken;    /* TCP send: all its bytes are in the stream, its event comes later */
  uint8_t defer;    /* TCP send: posted with RIOX_SEND_DEFER */
  uint8_t post_failed; /* the status is the post's own immediate failure, not a completion's */
  uint32_t flush_gen; /* TCP send: loop->flush_gen when posted (sock__held) */
  int32_t status; /* inline (or, in order, waiting) completion result */
  uint32_t bytes;
  uint64_t backend_data; /* backend-private (e.g. RIO slot bookkeeping) */
  /* UDP (riox.h, "Segmentation offload", "Local addresses").
   * Send: seg_size is the datagram size of a segmented send (0: one
   * datagram; never >= len), local (family != 0) the source address
   * asked for, ifindex its interface. Receive: the backend writes what the
   * OS reported: seg_size of a coalesced receive (0: not coalesced), the
   * destination address and arrival interface (RIOX_UDP_PKTINFO). */
  uint32_t seg_size;
  uint32_t ifindex;
  riox_addr local;
  OS_REQ_FIELDS
};

enum sk_kind { SK_UDP = 1, SK_TCP_LISTEN, SK_TCP };

/* A socket is used in one style, fixed when it is created (RIOX_SOCK_READINESS
 * or not; see "readiness" in riox.h): a RIO socket (WSA_FLAG_REGISTERED_IO)
 * is for RIO only, so readiness sockets must be made without the flag. */
enum sk_mode { SK_MODE_COMPLETION = 1, SK_MODE_READINESS };

typedef struct poll_watch poll_watch_t;

/* A readiness watch (watch.c): what the application asked for, and what
 * keeps its events fresh; the OS layer adds how the socket is polled
 * (OS_WATCH_FIELDS). */
struct poll_watch {
  riox_sock *sock;
  uint32_t interest; /* RIOX_* conditions, without RIOX_ONESHOT */
  uint8_t oneshot;
  uint8_t active;    /* watched (riox_unwatch clears it) */
  uint8_t disarmed;  /* one-shot that fired */
  uint32_t queued;   /* READY events of this socket not yet handed out */
  uint64_t gen;      /* bumped by watch/modify/unwatch: older events are stale */
  list_node_t update; /* the OS layer's list of watches to (re)arm */
  void *ctx;
  OS_WATCH_FIELDS
};

enum sk_state {
  SK_OPEN = 0,    /* UDP, listener, established TCP */
  SK_CONNECTING,  /* ConnectEx pending */
  SK_CLOSING      /* riox_close called; waiting for pending == 0 */
};

struct riox_sock {
  riox_loop *loop;
  os_socket_t s;
  uint8_t kind;
  uint8_t state;
  uint8_t family;     /* AF_INET or AF_INET6 of the OS socket */
  uint8_t connected;  /* TCP established or UDP connected */
  uint8_t shut_wr;    /* riox_shutdown posted */
  uint8_t close_queued;
  uint8_t mode;       /* enum sk_mode, fixed at creation */
  uint8_t accepted;   /* made by accepting a connection */
  uint8_t attached;   /* backend sock_attach done (first completion-mode post) */
  uint8_t aborting;   /* riox_abort: close with RST, no FIN, no linger */
  uint8_t tx_broken;  /* closing: a send failed or was cancelled; the later ones are too */
  uint8_t fin_sent;   /* shutdown(SD_SEND) done */
  uint8_t lingering;  /* riox_close waits for issued sends before the FIN */
  uint8_t accept_failing; /* listener: a streak of failed AcceptEx posts was reported */
  uint8_t accept_ran_dry; /* listener: the streak is of accepts failing when they ran */
  uint32_t accept_resets; /* listener: accepts that failed in a row otherwise (tcp.c) */
  uint8_t report_hold;    /* completion listener: holds the room of its next RIOX_EV_ERROR */
  uint8_t report_queued;  /* ... which is queued now, not yet handed out (tcp.c) */
  uint32_t flags;     /* riox_sock_flags */
  uint8_t close_hold; /* holds the event room of its CLOSE (loop_hold) */
  uint32_t pending;   /* requests in flight (any kind) */
  uint32_t sends_pending;
  uint32_t accepts_pending;
  req_t *shutdown_req; /* waiting for sends_pending == 0 */
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
  OS_SOCK_FIELDS
};

/* The run-time choice between RIO and IOCP: data-path operations only.
 * Accept, connect, timers and wakes are shared and live in src/win. */
typedef struct backend_ops {
  const char *name;
  uint32_t os_sock_flags; /* extra OS socket flags of completion sockets (WSA_FLAG_REGISTERED_IO) */
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
  int (*recv)(riox_sock *sock, req_t *req);
  int (*send)(riox_sock *sock, req_t *req, uint32_t flags);
  /* Issue deferred work; returns requests issued or RIOX_E*. */
  int (*flush)(riox_loop *loop);
  /* Before the kernel wait: drain backend completions, arm notifications.
   * *timeout_ms may be lowered (0 = don't block). Returns completions. */
  int (*before_wait)(riox_loop *loop, uint32_t *timeout_ms);
  /* A backend packet arrived from the kernel wait (Windows: WIN_KEY_BACKEND). */
  void (*on_packet)(riox_loop *loop, os_packet_t *entry);
  /* What only this OS's backends do (os.h). */
  OS_BACKEND_FIELDS
} backend_ops_t;

struct riox_loop {
  const backend_ops_t *be;
  void *be_data;
  const char *backend_name; /* "iocp", "rio", "rio-emulated" */
  riox_loop_config cfg;
  pool_t pool;
  slab_t reqs;
  timer_heap_t timers;
  evq_t events;
  uint32_t holds; /* event room held by sockets and posted accepts (loop_hold) */
  uint32_t flush_gen; /* riox_flush calls so far (a deferred send is held until the next) */
  /* riox_wait's own flush is running: its kernel wait follows, so a backend
   * whose wait also submits (uring: one io_uring_enter both submits and
   * waits) may leave the deferred work to it and set flush_left; riox_wait
   * flushes again when it makes no kernel wait after all. */
  uint8_t wait_flushing, flush_left;
  list_node_t socks;       /* every socket not yet freed */
  list_node_t inline_done; /* requests completed synchronously */
  list_node_t reposts;     /* receives to post again at the next wait (swallowed ICMP) */
  timer_heap_t deadlines;  /* the library's own timers (loop_deadline_set), never events */
  list_node_t dead;        /* sockets whose close event was returned */
  riox_stats stats;
  int closing;
  OS_LOOP_FIELDS
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
/* Hold the room an event just handed out by riox_wait left: cannot fail. */
void loop_rehold(riox_loop *loop);
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
req_t *loop_req_alloc(riox_loop *loop, riox_sock *sock, uint8_t kind, req_cb cb);
int loop_req_error(riox_loop *loop, const char *what);
void loop_req_free(riox_loop *loop, req_t *req);
/* Finish a request that completed synchronously: its completion runs in the
 * next riox_wait, like any other (events never fire from inside a post). */
void loop_complete_inline(riox_loop *loop, req_t *req, int status, uint32_t bytes);
uint64_t loop_now_ms(void);
/* A socket's one internal deadline (a listener's accept retry, a closing
 * connection's linger bound): sock_deadline(sock) runs in riox_wait once
 * delay_ms have passed. Setting it again replaces it. RIOX_ENOMEM when the
 * heap cannot grow (nothing is armed then). */
int loop_deadline_set(riox_sock *sock, uint64_t delay_ms);
void loop_deadline_clear(riox_sock *sock);

/* Count one OS call on the I/O path: one that enters the kernel
 * (LOOP_OSCALL), or user-mode ring work (LOOP_RINGOP: RIODequeueCompletion,
 * a deferred RIO post, reading or writing an io_uring ring). Both count in
 * stats.os_calls. */
#define LOOP_OSCALL(loop) ((loop)->stats.os_calls++, (loop)->stats.kernel_calls++)
#define LOOP_RINGOP(loop) ((loop)->stats.os_calls++, (loop)->stats.ring_ops++)

/* sock.c */
/* Largest UDP payload: 65535 minus the IP (v4 only) and UDP headers. */
#define sock_udp_max(sock) ((sock)->family == AF_INET6 ? 65527u : 65507u)
/* riox_udp_open/riox_tcp_listen/riox_tcp_connect: flags known and meant
 * for a socket of `kind` (SK_*), else RIOX_EINVAL with a detail. */
int sock_flags_check(int kind, uint32_t flags, const char *what);
/* A fresh riox_sock, not yet on loop->socks, with no OS socket. */
riox_sock *sock_alloc(riox_loop *loop, int kind, int family, uint32_t flags, void *ctx);
/* The socket owes its RIOX_EV_CLOSE from now on: make room for it (loop.c,
 * "Event room"), so that no close can ever be lost. */
int sock_hold_close(riox_sock *sock);
void sock_release_close(riox_sock *sock);
/* Undo sock_alloc + the OS socket for a socket that never had a request. */
void sock_discard(riox_sock *sock);
/* A request of this socket has finished; when it was the last one of a
 * closing socket, the close event is queued. */
void sock_req_done(riox_sock *sock);
/* Generic end of a user receive/send: builds the event, counts, frees req.
 * On TCP the event waits until those of the direction's older requests are
 * queued, and the next waiting send goes to the backend. */
void sock_io_complete(riox_loop *loop, req_t *req, int status, uint32_t bytes);
void sock_free(riox_sock *sock);
/* Policies both backends apply before sock_io_complete:
 * a UDP receive whose completion only reports an ICMP error is re-posted
 * (riox.h, "UDP and ICMP"): returns 1 when it took req (queued on
 * loop->reposts, posted again by sock_run_reposts at the next wait), 0 when
 * the caller must complete it. Never for a post's own immediate failure
 * (req->post_failed), nor more than SOCK_ICMP_SWALLOW_MAX times in a row; */
#define SOCK_ICMP_SWALLOW_MAX 16u
int sock_recv_swallow(req_t *req, int status);
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
int sock_send_continue(req_t *req, int status, uint32_t bytes);
/* A UDP send split in software (a segmented send on a backend or OS
 * without segmentation offload): the bytes of the next datagram, from
 * req->data + req->done. sock_send_continue continues it the same way
 * as a partial TCP send, datagram after datagram, one event at the end. */
uint32_t sock_seg_next(const req_t *req);
/* A TCP send's bytes are all in the stream but its completion comes later
 * (uring SEND_ZC: after the kernel's notification): the connection's next
 * send may go to the backend now (sock.c, "Stream order"). */
void sock_send_taken(req_t *req);
/* 0 if the socket was created for `mode`; else RIOX_EBUSY, with a detail
 * naming RIOX_SOCK_READINESS. */
int sock_check_mode(const riox_sock *sock, int mode, const char *what);
/* Completion sockets: attach the backend before the first post. */
int sock_attach(riox_sock *sock);
/* riox_try_recv/riox_try_send: 0 when sock may take the call (a readiness
 * socket, not a listener, connected or connecting), else RIOX_E*. After a
 * transfer: a readiness connect still in flight is now known connected. */
int sock_try_check(riox_sock *sock, const void *buf, uint32_t len, const char *what);
void sock_try_transferred(riox_sock *sock);
int sock_try_icmp(riox_sock *sock, int status);
int sock_try_send_check(riox_sock *sock, const void *data, uint32_t len, const riox_addr *to,
                        struct sockaddr_storage *ss, int *sslen);
int sock_try_sent(riox_sock *sock, int n);
int sock_try_accept_check(riox_sock *listener, riox_sock **out);
void sock_try_accepted(riox_sock *listener, riox_sock *conn, const struct sockaddr_storage *ss,
                       riox_addr *peer, riox_sock **out);
void sock_try_from(const riox_sock *sock, const struct sockaddr_storage *ss, riox_addr *from);
/* The orderly end of a TCP connection riox_close owes the peer. */
int sock_graceful(const riox_sock *sock);

/* sockaddr.c: riox_addr <-> struct sockaddr for a socket of `family`
 * (AF_INET or AF_INET6; a dual-stack socket maps IPv4 to ::ffff:a.b.c.d
 * and back). */
int sockaddr_from(const riox_addr *addr, int family, struct sockaddr_storage *ss, int *len);
int sockaddr_to(const struct sockaddr *sa, riox_addr *out);
/* The address family (AF_INET/AF_INET6) for a socket given its local and
 * remote addresses (either may be NULL) and RIOX_SOCK_DUALSTACK. */
int sock_family_for(const riox_addr *a, const riox_addr *b, uint32_t flags, int *family);

/* ------------------------------------------------------------------
 * What the core asks of the OS layer (src/win today). */

/* Loop: the kernel side (Winsock, the completion port; on failure nothing
 * is left), the choice of backend by name ("auto" or one of the OS's), its
 * release (after every socket is freed), and one kernel wait of at most
 * timeout_ms that dispatches what it returned (no more packets than
 * loop_wait_batch allows; 0xFFFFFFFF = no timeout). */
int os_loop_init(riox_loop *loop);
int os_backend_select(riox_loop *loop, const char *name);
void os_loop_fini(riox_loop *loop);
#define OS_WAIT_INFINITE 0xFFFFFFFFu
void os_wait(riox_loop *loop, uint32_t timeout_ms);
/* How many packets one kernel wait may take: no more than the event room
 * beyond what is owed holds (loop.c, "Event room"); 0 = do not wait. */
uint32_t loop_wait_batch(riox_loop *loop, uint32_t max);
/* Queue a wake event if there is room; -1 when there is none (the OS layer
 * then keeps the wake for a later wait). */
int loop_push_wake(riox_loop *loop, void *ctx);
uint64_t loop_now_ms(void);
/* The environment variable `name` into buf (NUL-terminated); 0 when unset
 * or too long. */
int os_getenv(const char *name, char *buf, size_t len);

/* Sockets: a new OS socket of `kind` (SK_*) and family on the loop, its
 * mode (flags & RIOX_SOCK_READINESS) fixed for good; the last failed socket
 * call's OS error as RIOX_E* with a detail naming `what`. */
int sock_create(riox_loop *loop, int kind, int family, uint32_t flags, void *ctx,
                riox_sock **out);
int os_sock_error(const char *what);
/* sock.c: bind to local (NULL: the family's any address, port 0). */
int sock_bind(riox_sock *sock, const riox_addr *local);

/* Sockets: cancel every OS request of the socket (both handles under a
 * layered provider), shut it down for sending (0 or RIOX_E*), give the OS
 * socket back (s becomes OS_INVALID_SOCKET). */
void os_sock_cancel(riox_sock *sock);
int os_sock_shutdown_send(riox_sock *sock);
void os_sock_release(riox_sock *sock);
/* SO_LINGER 0: the close resets the connection (riox_abort). */
void os_sock_linger0(riox_sock *sock);
/* A send's destination into the request (RIOX_EINVAL for a bad address);
 * a received datagram's source out of it. */
int os_req_set_addr(req_t *req, const riox_addr *to, int family);
void os_req_addr(const req_t *req, riox_addr *out);

/* TCP (tcp.c): a send finished; start a waiting shutdown when it was the
 * last. Post accepts until the listener is at its depth (a retry timer when
 * the OS refuses; the deadline calls tcp_accept_retry). tcp_accept_post:
 * one accept posted (immediate resets re-posted), or RIOX_E*. */
void sock_send_drained(riox_sock *sock);
void tcp_accept_refill(riox_sock *listener);
void tcp_accept_retry(riox_sock *listener);
/* An accept request of the listener is done with the OS's status: refill,
 * or back off after a resource error (tcp.c). */
void tcp_accept_completed(riox_sock *listener, int status);
int tcp_accept_post(riox_sock *listener);
/* OS: post one accept of the listener (its request owes an ACCEPT, and a
 * hold the CLOSE of the connection it may bring), or RIOX_E* with nothing
 * posted (RIOX_ECONNRESET: the connection was gone before it was taken). */
int os_accept_post_once(riox_sock *listener);
/* A completion listener's failure report (RIOX_EV_ERROR, riox.h
 * riox_tcp_listen) must not be lost to a full queue: the listener holds room
 * for one from riox_tcp_listen to riox_close (tcp_report_release), the
 * report uses it, and riox_wait hands the room back to the listener when it
 * returns the report (tcp_report_handed_out, for any RIOX_EV_ERROR). */
void tcp_report_release(riox_sock *listener);
void tcp_report_handed_out(const riox_event *ev);
/* A completion listener's accept brought conn (peer: its address): queue
 * the RIOX_EV_ACCEPT. */
void tcp_accept_deliver(riox_sock *listener, riox_sock *conn, const riox_addr *peer);
/* riox_tcp_connect's argument checks; *family gets the socket's family. */
int tcp_connect_check(riox_loop *loop, const riox_addr *remote, const riox_addr *local,
                      uint32_t flags, riox_sock **out, int *family);
/* A readiness-mode connect finished: ok = connected, else failed. */
void tcp_connect_settled(riox_sock *sock, int ok);
/* A completion-mode connect finished with status: queue its CONNECT event
 * and free req. */
void tcp_connect_done(riox_loop *loop, req_t *req, int status);

/* Readiness (watch.c): queue a READY event for w (`owed`: a request that
 * completed owes it, so it cannot fail; else a report nothing owes, 0 when
 * the queue had no room), tagged with the watch's generation; a one-shot
 * watch is disarmed by it. The OS layer: open a new watch's polling (0 or
 * RIOX_E*), note that interest or state changed (poll again, or stop,
 * before the next wait), and that the socket's last queued event was
 * handed out (level-triggered: poll again). */
int watch_push(poll_watch_t *w, uint32_t ready, int status, int owed);
int os_watch_open(poll_watch_t *w);
void os_watch_changed(poll_watch_t *w);
void os_watch_handed_out(poll_watch_t *w);

/* Readiness (OS layer): submit or cancel the polls of sockets whose interest
 * changed; riox_close: cancel the socket's poll (its completion frees it). */
void poll_flush_updates(riox_loop *loop);
void poll_sock_closing(riox_sock *sock);
void poll_sock_free(riox_sock *sock);
void poll_loop_fini(riox_loop *loop);
/* A READY event left the queue: still worth delivering? (not unwatched,
 * closed or modified away; ev->ready is narrowed to the current interest) */
int poll_event_live(riox_event *ev);

#endif
