/* RIO backend internals: one completion queue per loop, one request queue per
 * socket, the pool's regions registered once, and a registered array of
 * address slots for RIOReceiveEx/RIOSendEx.
 *
 * Slot accounting (the part RIO leaves to its users):
 *   - Every request queue's capacity (max_recv + max_send) is committed
 *     against the CQ; the CQ is grown with RIOResizeCompletionQueue before a
 *     queue is created or grown beyond it, up to RIO_MAX_CQ_SIZE.
 *   - A request counts against its queue from the post until its completion
 *     is DEQUEUED (not when the I/O ends), as RIO does.
 *   - A full queue is grown (doubling) before the post, so the application
 *     never sees WSAENOBUFS the library could have avoided. */
#ifndef RIOX_RIO_INTERNAL_H
#define RIOX_RIO_INTERNAL_H

#include "win.h"

/* The RIO table's calls as fault sites (src/core/fault.h; ws.h's WSA
 * errors): RIO_FAULT(name, faults, fail, call) makes `call` -- an entry of
 * rl->fn -- fail with `fail` in a test's run; the plain call in a release
 * build. RIONotify answers its error code: `fail` is WSAENOBUFS there. */
#define RIO_FAULT(name, faults, fail, call) WS__FAULT(name, faults, fail, call)
#define RIO_F_POST (RIOX_TEST_FAULT_NOMEM | RIOX_TEST_FAULT_CONNRESET)

#define RIO_DEQUEUE_MAX 256
#define RIO_CQ_INITIAL 1024u
#define RIO_RQ_MAX 65536u
/* RIO_CMSG_BUFFER (mswsockdef.h): a ULONG TotalLength, the control messages
 * after it at RIO_CMSG_BASE_SIZE (the header rounded up to WSACMSGHDR's
 * alignment). A slot holds that and WIN_CTRL_SIZE bytes of messages. */
#define RIO_CMSG_BASE ((sizeof(ULONG) + _Alignof(WSACMSGHDR) - 1) & ~(size_t)(_Alignof(WSACMSGHDR) - 1))
#define RIO_CTRL_SLOT ((uint32_t)(RIO_CMSG_BASE + WIN_CTRL_SIZE))
#define RIO_PORT_SKIPS 8u

typedef struct rio_rq {
  RIO_RQ rq;
  uint32_t max_recv, max_send; /* capacity, committed on the CQ */
  uint32_t recv_out, send_out; /* posted and not yet dequeued */
  /* Deferred posts not yet committed. RIO commits per direction: deferred
   * receives start with a receive call, deferred sends with a send call. */
  uint32_t defer_recv, defer_send; /* deferred posts per direction */
  list_node_t dirty; /* in rio_loop.dirty while deferred posts wait */
} rio_rq_t;

typedef struct rio_loop {
  RIO_EXTENSION_FUNCTION_TABLE fn;
  RIO_CQ cq;
  uint32_t cq_size;
  uint32_t cq_committed;
  int armed;          /* a RIONotify is outstanding: never call it again until it fires */
  int dead;           /* RIODequeueCompletion answered RIO_CORRUPT_CQ: the CQ is given up */
  int notify_failing; /* the last RIONotify failed (reported once per streak) */
  int commit_failed;  /* the last commit of some queue failed: retry soon */
  /* The drain before this wait found completions: its kernel wait (a
   * zero-timeout GetQueuedCompletionStatusEx) is skipped, at most
   * RIO_PORT_SKIPS times in a row so the port's other packets (accepts,
   * wakes, polls) are still read under steady RIO traffic. */
  int skip_port;
  uint32_t port_skips;
  /* UDP sends posted with RIO_MSG_DONT_NOTIFY (rio_rq.c, "Quiet sends"):
   * `quiet` is set while one may be outstanding, cleared when no UDP send
   * is (udp_sends_out, posted and not yet dequeued). */
  int quiet;
  uint32_t udp_sends_out;
  OVERLAPPED notify_ov;
  HANDLE event, wait; /* RIOX_RIO_NOTIFY_EVENT */
  SOCKADDR_INET *addrs; /* registered address slots */
  RIO_BUFFERID addr_id;
  uint32_t *addr_free;
  uint32_t addr_nfree, naddrs;
  /* Control-data slots (RIO_CMSG_BUFFER + WSACMSGHDRs: PKTINFO, the USO
   * segment size, the URO coalescing report), one per address slot and
   * indexed the same, registered the first time a request needs one
   * (rio_rq.c); NULL until then. */
  char *ctrls;
  RIO_BUFFERID ctrl_id;
  list_node_t dirty;
  /* req_t.node of every request RIO holds: accepted by a post (deferred
   * or not) and not yet dequeued. The node is free meanwhile: only requests
   * completed inline use it (loop_complete_inline), and those RIO never took. */
  list_node_t posted;
  /* Requests given up to a corrupt CQ (completed with RIOX_ELOOP): RIO may
   * still use their buffers and address slots, so those are never freed. */
  uint32_t abandoned;
  RIORESULT results[RIO_DEQUEUE_MAX];
} rio_loop_t;

/* rio_cq.c */
int rio_cq_create(riox_loop *loop);
void rio_cq_destroy(riox_loop *loop);
/* The loop goes away while RIO still holds requests: stop what would call
 * back into the loop, leave the CQ (and all RIO may still use) alone. */
void rio_cq_abandon(riox_loop *loop);
int rio_cq_before_wait(riox_loop *loop, uint32_t *timeout_ms);
void rio_cq_on_packet(riox_loop *loop, OVERLAPPED_ENTRY *entry);
int rio_cq_reserve(riox_loop *loop, uint32_t slots);
void rio_cq_release(riox_loop *loop, uint32_t slots);
/* The OS says the CQ lacks room although riox's own count says it has
 * (room a closed socket held comes back late on Windows): grow the CQ by at
 * least `slots` beyond its size, committing nothing. */
int rio_cq_grow(riox_loop *loop, uint32_t slots);
int rio_cq_drain(riox_loop *loop);
/* rio_cq_skip_port (declared in win.h, for os_wait) lives in rio_cq.c. */

/* rio_rq.c */
int rio_rq_attach(riox_sock *sock);
void rio_rq_detach(riox_sock *sock);
int rio_rq_recv(riox_sock *sock, req_t *req);
int rio_rq_send(riox_sock *sock, req_t *req, uint32_t flags);
/* Commit every queue with deferred posts; a queue whose commit failed stays
 * listed for the next try. Returns the deferred sends issued (riox_flush's
 * answer; receives are committed too but not counted). */
int rio_rq_commit_all(riox_loop *loop);
/* The socket is about to be closed: commit its deferred posts (both
 * directions) and take the queue off the dirty list for good. */
void rio_rq_commit_closing(riox_loop *loop, rio_rq_t *q);
/* A dequeued result for req: release its quota and address slot. */
void rio_rq_dequeued(riox_loop *loop, req_t *req);
/* The CQ turned corrupt (rl->dead set): complete every request RIO holds
 * with RIOX_ELOOP and drop every deferred commit. */
void rio_rq_abandon_all(riox_loop *loop);
/* RIOX_ELOOP with a detail naming `what`: the loop's CQ is corrupt. */
int rio_dead_error(const char *what);

static inline rio_loop_t *rio_loop_of(riox_loop *loop) { return (rio_loop_t *)loop->be_data; }

#endif
