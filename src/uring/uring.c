/* The uring backend: io_uring, RIO's twin on Linux. Every receive, send,
 * accept and connect is one SQE whose user_data is its req_t (the slab
 * keeps it, and the msghdr/iovec/address it embeds, in place until the
 * CQE); its CQE is its completion: req->complete(status, bytes), status
 * from -cqe->res (0 on success).
 *  - One ring per loop. Receives and RIOX_SEND_DEFER sends only fill SQEs:
 *    the kernel sees them at the next riox_flush/riox_wait, whose one
 *    io_uring_enter both submits and waits (uring__wait). A send without
 *    RIOX_SEND_DEFER, a connect and an accept are submitted in the call
 *    that posts them (riox.h: only deferred sends wait for a flush; a
 *    connect must be under way, and bound, when riox_tcp_connect returns;
 *    the peer may be served by another loop that is the one waiting). Posts
 *    made while a wait dispatches its CQEs go with one submit at its end.
 *    SINGLE_ISSUER holds: a loop is used only by the thread that created it
 *    (riox.h), wakes come through the eventfd.
 *  - Receives armed side by side on one socket are woken in no promised
 *    order (the socket's wait queue is LIFO), so a later one could take the
 *    earlier bytes or datagram: a TCP stream would be reordered (the core
 *    reports receives in posting order), and the k-th UDP receive would not
 *    hold the k-th datagram (riox.h: receives complete in posting order).
 *    So a socket's receives never wait side by side in the kernel:
 *    - UDP: the receives posted on a socket wait in sock->rxhold until the
 *      next submit, which issues them as one linked chain (IOSQE_IO_LINK,
 *      uring__chains): the kernel starts each only when the one before it
 *      is done, so they fill in posting order, and a burst of datagrams
 *      fills a whole chain inside one io_uring_enter with no return to user
 *      space between them. A chain in the kernel is the socket's only one;
 *      receives posted meanwhile form the next chain when it has drained.
 *      A receive that fails (an ICMP report, say) cancels the rest of its
 *      chain: those come back -ECANCELED, are kept in sock->rxback in
 *      order, and are issued again, first, once the chain has drained.
 *    - TCP: one receive in the kernel at a time (a linked READ that comes
 *      back short would cut the chain every time), the others wait in
 *      sock->rxhold, each issued when the one before it is done.
 *  - The pool's regions are registered once (loop_init): TCP receives read
 *    into them with READ_FIXED. TCP sends are IORING_OP_SEND with
 *    MSG_NOSIGNAL (a copy), or SEND_ZC from the registered region at or
 *    above a threshold (the kernel takes a registered buffer for a send only
 *    as SEND_ZC: IORING_OP_SEND with IORING_RECVSEND_FIXED_BUF is EINVAL,
 *    and WRITE_FIXED on a socket raises SIGPIPE): from 32 KB by default,
 *    see "Zero-copy sends" below for the numbers. Without the
 *    registration (RLIMIT_MEMLOCK) receives use plain RECV, sends copy.
 *  - Accept: one multishot ACCEPT per listener serves the core's posted
 *    accepts, oldest first (see "Multishot accept"); single-shot ACCEPT per
 *    request where the kernel lacks it (uring_caps()->multishot) or
 *    RIOX_URING_NO_MULTISHOT=1 (the test switch) asks for it.
 *  - UDP: RECVMSG / SENDMSG through the request's own msghdr, with its
 *    control messages in req->ctl (UDP_SEGMENT, PKTINFO, UDP_GRO:
 *    src/linux/udp_msg.c). A segmented send is one SENDMSG with
 *    UDP_SEGMENT, or, where riox splits it, one SENDMSG per datagram, each
 *    issued by the CQE of the one before (uring__udp_send_cqe).
 *  - Cancel, close: held receives end at once; the socket's SQEs not yet
 *    read by the kernel become NOPs that complete as cancelled; the rest
 *    are cancelled on the ring
 *    (ASYNC_CANCEL by fd, all of them, or one per request on kernels before
 *    5.19), submitted at once -- before the layer closes the descriptor, so
 *    no SQE can reach a reused number -- and each still ends with its own
 *    CQE (-ECANCELED, or its result when it had finished).
 *  - Wakes and readiness come out of the same wait: an IORING_OP_READ of
 *    the layer's wake eventfd (8 bytes into uring_loop.wake_buf) is kept
 *    armed on the ring and re-armed at the next wait after its CQE, which
 *    turns the queued riox_wake contexts into events (linux_wake_take; no
 *    read() of our own); readiness sockets are single-shot POLL_ADDs on
 *    the ring (ready.c). The loop has no epoll instance. user_data scheme:
 *    uring_int.h. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "uring_int.h"

#define URING__SQ 1024
#define URING__CQE_BATCH 256 /* CQEs one wait takes at most */
#define URING__UD_CANCEL URING_UD_CANCEL /* an ASYNC_CANCEL: its own result is ignored */

typedef struct uring_loop {
  struct io_uring ring;
  unsigned setup_flags;
  int enabled;     /* uring_ring_enable done (by the issuing thread) */
  int fixed;       /* the pool's regions are registered: buf_index = region */
  int cancel_fd;   /* IORING_ASYNC_CANCEL_FD | _ALL */
  int wake_armed;  /* the read (or poll) of loop->wake_fd is in the ring */
  int wake_poll;   /* that read answered -EAGAIN: poll the eventfd instead */
  int dispatching; /* uring__wait is handing out CQEs: pushes wait for its end */
  int push_owed;   /* a push came while dispatching */
  int swallowed;   /* the receive just completed was swallowed (ICMP report) */
  int rx_next;     /* a dispatched receive put the next held one in the SQ */
  uint32_t deferred; /* RIOX_SEND_DEFER sends in the SQ (riox_flush's count) */
  uint32_t inflight; /* issues whose last CQE has not come (a SEND_ZC's: its notification) */
  uint32_t zc_min;   /* TCP sends of at least this many bytes go as SEND_ZC; 0 = never */
  int ms_accept;     /* listeners accept with one multishot ACCEPT */
  uint64_t wake_buf; /* what the wake read takes (kept until its CQE) */
  uring_rx_t *rx;    /* UDP receives by multishot RECVMSG (udp_rx.c); NULL: linked chains */
} uring_loop_t;

static uring_loop_t *uring__of(riox_loop *loop) { return (uring_loop_t *)loop->be_data; }

uring_rx_t *uring_rx_of(riox_loop *loop) { return uring__of(loop)->rx; }

/* A listener under multishot accept (sock->backend): the one ACCEPT in the
 * kernel, and the connections it brought while no accept request waited
 * (the requests that wait are on sock->rxhold, oldest first). */
typedef struct uring_lsn {
  req_t *ms;      /* the multishot ACCEPT (a request of the backend's own), or NULL */
  int cancelling; /* an ASYNC_CANCEL of ms is on its way (the backlog is full) */
  int error;      /* a resource error ended ms: posts try accept4 first */
  int *fds;       /* the backlog: accepted, waiting for a request, oldest first */
  uint32_t n, cap;
} uring_lsn_t;

static void uring__lsn_drop_backlog(uring_lsn_t *ls) {
  while (ls->n > 0) close(ls->fds[--ls->n]);
}

static void uring__lsn_free(riox_sock *sock) {
  uring_lsn_t *ls = (uring_lsn_t *)sock->backend;
  if (ls == NULL) return;
  uring__lsn_drop_backlog(ls);
  free(ls->fds);
  free(ls);
  sock->backend = NULL;
}

/* One io_uring_enter that submits what the SQ holds (and, with wait,
 * waits); counted as the OS call it is. */
static int uring__enable(riox_loop *loop) {
  uring_loop_t *ul = uring__of(loop);
  int rc;
  if (ul->enabled) return 0;
  LOOP_OSCALL(loop);
  rc = URING_CALL("io_uring_register", RIOX_TEST_FAULT_NOMEM, uring_ring_enable(&ul->ring));
  if (rc < 0) return error_detail(error_from_errno(-rc), "io_uring enable: %s", strerror(-rc));
  ul->enabled = 1;
  return 0;
}

static void uring__chains(riox_loop *loop);
static void uring__udp_release_fd(riox_sock *sock);

static void uring__submit_now(riox_loop *loop) {
  uring_loop_t *ul = uring__of(loop);
  int pass;
  /* Twice at most: chains that found no room in a full SQ get it once the
   * first submit has emptied it. */
  for (pass = 0; pass < 2; pass++) {
    uring__chains(loop);
    if (io_uring_sq_ready(&ul->ring) == 0 || uring__enable(loop) < 0) return;
    LOOP_OSCALL(loop);
    /* A failure leaves the SQEs for the next enter. */
    if (URING_CALL("io_uring_submit", URING_F_ENTER, io_uring_submit(&ul->ring)) < 0 || io_uring_sq_ready(&ul->ring) != 0) return;
    ul->deferred = 0;
    if (list_empty(&loop->work)) return;
  }
}

/* A post that must reach the kernel before the call returns. */
static void uring__push(riox_loop *loop) {
  uring_loop_t *ul = uring__of(loop);
  if (ul->dispatching)
    ul->push_owed = 1;
  else
    uring__submit_now(loop);
}

/* An SQE; when the SQ is full, what it holds goes to the kernel first. */
static struct io_uring_sqe *uring__sqe(riox_loop *loop) {
  uring_loop_t *ul = uring__of(loop);
  struct io_uring_sqe *sqe = URING_GET_SQE(&ul->ring);
  if (sqe == NULL) {
    uring__submit_now(loop);
    sqe = URING_GET_SQE(&ul->ring);
  }
  if (sqe != NULL) LOOP_RINGOP(loop); /* one ring op per SQE written (docs/design.md) */
  return sqe;
}

/* The SQE of request req, which waits on `q` (the socket's rxq or txq) for
 * its CQE. NULL: the SQ is full and could not be emptied. */
static struct io_uring_sqe *uring__req_sqe(riox_loop *loop, req_t *req, list_node_t *q) {
  struct io_uring_sqe *sqe = uring__sqe(loop);
  if (sqe == NULL) return NULL;
  list_insert_tail(q, &req->node);
  uring__of(loop)->inflight++;
  req->ring_nop = 0;
  req->ring_defer = 0;
  return sqe;
}

struct io_uring_sqe *uring_sqe(riox_loop *loop) { return uring__sqe(loop); }

/* Submit, and run the kernel's completion work of what that started in the
 * same enter (with DEFER_TASKRUN it runs only inside an enter that asks for
 * events): a POLL_REMOVE then has ended its poll, and let go of the
 * socket's file, when this returns. The CQEs wait for the next wait. */
void uring_submit_settle(riox_loop *loop) {
  uring_loop_t *ul = uring__of(loop);
  if (uring__enable(loop) < 0) return;
  LOOP_OSCALL(loop);
  if (URING_CALL("io_uring_submit", URING_F_ENTER, io_uring_submit_and_get_events(&ul->ring)) >= 0 && io_uring_sq_ready(&ul->ring) == 0)
    ul->deferred = 0;
}

static int uring__sq_full(void) {
  return error_detail(RIOX_ENOBUFS, "io_uring: the submission queue is full");
}

static int uring__status(int res, const char *what);
static void uring__done(riox_loop *loop, req_t *req, int status, uint32_t bytes);
static void uring__zc_closing(riox_sock *sock);
static void uring__prep_udp_send(riox_sock *sock, req_t *req, struct io_uring_sqe *sqe);

/* ----------------------------------------------------------- lifecycle */

/* Registers the pool's regions: buf_index of a slot = its region. */
static void uring__register(riox_loop *loop) {
  uring_loop_t *ul = uring__of(loop);
  struct iovec *iov = (struct iovec *)calloc(loop->pool.nregions, sizeof *iov);
  uint32_t i;
  if (iov == NULL) return;
  for (i = 0; i < loop->pool.nregions; i++) {
    iov[i].iov_base = loop->pool.regions[i].base;
    iov[i].iov_len = loop->pool.regions[i].size;
  }
  LOOP_OSCALL(loop);
  ul->fixed = URING_CALL("io_uring_register_buffers", RIOX_TEST_FAULT_NOMEM,
                                io_uring_register_buffers(&ul->ring, iov, loop->pool.nregions)) == 0;
  free(iov);
}

static int uring__env_is(const char *name, const char *want) {
  char v[16];
  return os_getenv(name, v, sizeof v) && strcmp(v, want) == 0;
}

/* Zero-copy sends (SEND_ZC from the registered region) and where they pay.
 * SEND_ZC posts two CQEs: its result (IORING_CQE_F_MORE set when a second
 * follows) and, once the kernel holds no reference to the pages any more
 * (on TCP: the bytes were acknowledged), a notification (IORING_CQE_F_NOTIF)
 * -- io_uring_enter(2), IORING_OP_SEND_ZC. riox hands the slot back with the
 * SEND event (riox.h, "Buffers"), so the event waits for every notification
 * of the send; the connection's next send goes as soon as the result says
 * all bytes are in the stream (sock_send_taken), not after the event.
 *
 * Measured on this project's 2-core VM (kernel 6.18, loopback, shared with
 * other engineers' builds: load average 4-7, so rates are noisy), Release
 * build, one connection, depth 4, medians of 3 or 5 runs alternating copy
 * and SEND_ZC:
 *   RIOX_URING_ZC_MIN=0|1 build/bench/bin/riox-perf --role both \
 *     --mode tcp-stream --backend uring --size S --duration 3 --warmup 1 --json
 *   size   copy kops/s  ZC kops/s   copy CPU us/op  ZC CPU us/op
 *   1K         89.7        44.6          6.1           13.8
 *   4K         63.9        43.2          8.6           14.3
 *   16K        50.1        61.0         16.4           15.9   (5 runs)
 *   32K        37.4        43.6         25.5           21.9   (5 runs)
 *   64K        20.2        38.8         44.6           25.9   (5 runs)
 *   256K        3.6         4.4        130.0          121.4
 * Small sends lose (the notification costs a CQE and an acknowledgement's
 * wait; the kernel's MSG_ZEROCOPY notes say the same below ~10 KB); from
 * 32 KB on both rate and CPU per byte win, so that is the default.
 * docs/perf-notes/uring-send-zc.md has every run. RIOX_URING_ZC_MIN=<bytes>
 * sets the threshold (0 = never) for measurement and tests. The price: a
 * send's event comes an acknowledgement later, and a connection closed with
 * such pages still held is reset (uring__zc_closing). */
#define URING__ZC_MIN_DEFAULT 32768u

static void uring__zc_config(riox_loop *loop) {
  uring_loop_t *ul = uring__of(loop);
  char v[16], *end;
  unsigned long n = URING__ZC_MIN_DEFAULT;
  if (os_getenv("RIOX_URING_ZC_MIN", v, sizeof v)) {
    n = strtoul(v, &end, 10);
    if (*end != '\0' || n > UINT32_MAX) n = URING__ZC_MIN_DEFAULT;
  }
  /* SEND_ZC of a registered buffer needs both the opcode and the
   * registration; without either every send copies. */
  ul->zc_min = uring_caps()->send_zc && ul->fixed ? (uint32_t)n : 0u;
}

static int uring__loop_init(riox_loop *loop) {
  uring_loop_t *ul = (uring_loop_t *)calloc(1, sizeof *ul);
  unsigned cq = 2 * URING__SQ;
  int rc;
  if (ul == NULL) return error_detail(RIOX_ENOMEM, "no memory for the uring backend");
  /* Room for a CQE of every request the slab can hold (the kernel keeps
   * overflow too, IORING_FEAT_NODROP, but at a cost). */
  while (cq < loop->cfg.max_requests + 64u && cq < 65536u) cq *= 2;
  rc = URING_CALL("io_uring_queue_init", SYS_F_SOCKET,
                  uring_ring_init(&ul->ring, URING__SQ, cq, &ul->setup_flags));
  if (rc < 0) {
    free(ul);
    return error_detail(error_from_errno(-rc), "io_uring_queue_init: %s", strerror(-rc));
  }
  loop->be_data = ul;
  ul->cancel_fd = uring_caps()->cancel_fd;
  ul->wake_poll = uring_wake_poll_forced(); /* test switch: as after an -EAGAIN */
  uring__register(loop); /* best effort: RLIMIT_MEMLOCK may refuse it */
  uring__zc_config(loop);
  ul->ms_accept = uring_caps()->multishot && !uring__env_is("RIOX_URING_NO_MULTISHOT", "1");
  /* Multishot receives came with 6.0 (multishot accept with 5.19; riox
   * takes both from 6.0, with SEND_ZC: ring.c); without a
   * provided-buffer ring (or with the test switch) UDP uses linked chains. */
  if (ul->ms_accept) ul->rx = uring_rx_init(&ul->ring, loop->pool.buf_size);
  return 0;
}

/* The wake read is always armed once the loop has waited (the close drain
 * waits too), and it reads into ul->wake_buf: it is cancelled, and its CQE
 * awaited, before ul goes (bounded; CQEs of requests that come meanwhile
 * only mean the kernel is done with them). 0 when it is gone. */
static int uring__wake_cancel(riox_loop *loop) {
  uring_loop_t *ul = uring__of(loop);
  struct io_uring_sqe *sqe;
  uint64_t until = loop_now_ms() + 1000;
  if (!ul->wake_armed) return 0;
  sqe = uring__sqe(loop);
  if (sqe == NULL) return -1;
  io_uring_prep_cancel64(sqe, URING_UD_WAKE, 0);
  io_uring_sqe_set_data64(sqe, URING_UD_CANCEL);
  while (ul->wake_armed && loop_now_ms() < until) {
    struct io_uring_cqe *cqe;
    struct __kernel_timespec ts;
    unsigned head, n = 0;
    ts.tv_sec = 0;
    ts.tv_nsec = 100000000;
    if (io_uring_submit_and_wait_timeout(&ul->ring, &cqe, 1, &ts, NULL) < 0 &&
        io_uring_cq_ready(&ul->ring) == 0)
      continue;
    io_uring_for_each_cqe(&ul->ring, head, cqe) {
      if (cqe->user_data == URING_UD_WAKE) ul->wake_armed = 0;
      else if (uring_ud_is_req(cqe->user_data) && ul->inflight > 0) ul->inflight--;
      n++;
    }
    io_uring_cq_advance(&ul->ring, n);
  }
  return ul->wake_armed ? -1 : 0;
}

static int uring__loop_fini(riox_loop *loop) {
  uring_loop_t *ul = uring__of(loop);
  int wake_gone = uring__wake_cancel(loop) == 0;
  /* The close drain gave up with requests in the kernel: the ring's
   * teardown runs on in the kernel after this returns, and may still write
   * into their buffers. */
  int os_may_write = ul->inflight > 0;
  list_node_t *node;
  io_uring_queue_exit(&ul->ring); /* unregisters the buffers too */
  uring_fault_loop_gone(loop);
  /* Listeners the drain gave up on keep their state until here. */
  for (node = loop->socks.next; node != &loop->socks; node = node->next) {
    riox_sock *sock = container_of(node, riox_sock, node);
    if (sock->kind == SK_TCP_LISTEN) uring__lsn_free(sock);
    uring__udp_release_fd(sock); /* a number retired for a chain (chain mode only) */
    if (sock->kind == SK_UDP) uring_rx_detach(sock); /* so are UDP sockets */
  }
  uring_rx_fini(ul->rx); /* the ring that used its buffers is gone */
  ul->rx = NULL;
  /* A wake read that would not end may still write wake_buf: leaked. */
  if (wake_gone) free(ul);
  loop->be_data = NULL;
  return os_may_write;
}

/* Nothing to arm: a completion socket's I/O is its own SQEs. */
static int uring__sock_attach(riox_sock *sock) {
  (void)sock;
  return 0;
}

/* Off the list of sockets with UDP receives to chain (loop->work); a
 * listener's multishot state goes. */
static void uring__sock_detach(riox_sock *sock) {
  if (sock->dirty) {
    list_remove(&sock->work);
    sock->dirty = 0;
  }
  if (sock->kind == SK_TCP_LISTEN) uring__lsn_free(sock);
  uring__udp_release_fd(sock);
  if (sock->kind == SK_UDP) uring_rx_detach(sock);
}

/* riox_cancel/riox_close: nothing to do first; sock_abort_io ends every
 * request, those still in the SQ (a deferred send, a receive) included. */
static int uring__sock_cancel(riox_sock *sock) {
  (void)sock;
  return 0;
}

/* The socket's SQEs the kernel has not read yet become NOPs (their CQE then
 * says -ECANCELED, uring__cqe): an ASYNC_CANCEL behind them in the same
 * submit would come too late for a send, which the submit itself runs to
 * the end, and riox_cancel must not let a request it ends succeed. Without
 * SQPOLL the kernel reads the SQ only inside this thread's io_uring_enter,
 * so the slots from the kernel's head to our tail are still ours. */
static void uring__nop_unsubmitted(riox_sock *sock) {
  uring_loop_t *ul = uring__of(sock->loop);
  struct io_uring *ring = &ul->ring;
  unsigned p = io_uring_smp_load_acquire(ring->sq.khead);
  for (; p != ring->sq.sqe_tail; p++) {
    struct io_uring_sqe *sqe = &ring->sq.sqes[p & ring->sq.ring_mask];
    uint64_t ud = sqe->user_data;
    req_t *req;
    if (!uring_ud_is_req(ud)) continue; /* the wake, a watch's poll, a cancel */
    req = (req_t *)(uintptr_t)ud;
    if (req->sock != sock) continue;
    io_uring_prep_nop(sqe);
    io_uring_sqe_set_data(sqe, req);
    req->ring_nop = 1;
    if (req->ring_defer && ul->deferred > 0) ul->deferred--; /* no longer riox_flush's */
  }
}

/* Whether a request of the socket is in the kernel (not made a NOP). */
static int uring__any_live(list_node_t *q) {
  list_node_t *node;
  for (node = q->next; node != q; node = node->next)
    if (!container_of(node, req_t, node)->ring_nop) return 1;
  return 0;
}

/* An ASYNC_CANCEL of each request of the socket in the kernel, by its
 * user_data (not by descriptor). */
static void uring__cancel_each(riox_sock *sock) {
  list_node_t *qs[2], *node;
  struct io_uring_sqe *sqe;
  int k;
  qs[0] = &sock->rxq;
  qs[1] = &sock->txq;
  for (k = 0; k < 2; k++) {
    for (node = qs[k]->next; node != qs[k]; node = node->next) {
      if (container_of(node, req_t, node)->ring_nop) continue;
      sqe = uring__sqe(sock->loop);
      if (sqe == NULL) return;
      io_uring_prep_cancel64(sqe, (uint64_t)(uintptr_t)container_of(node, req_t, node), 0);
      io_uring_sqe_set_data64(sqe, URING__UD_CANCEL);
    }
  }
}

/* The socket's cancel by descriptor is still in the SQ (the submit of
 * riox_close failed): the layer closes the descriptor next, so by the time
 * the kernel read it the number would name nothing (or another socket),
 * and the requests it was to end -- which hold the socket's file -- would
 * never end (regression test_regress_uring_cancel_after_close). It becomes a
 * NOP; the requests are cancelled by user_data instead. 1 if it was there. */
static int uring__fd_cancel_unsent(riox_sock *sock) {
  struct io_uring *ring = &uring__of(sock->loop)->ring;
  unsigned p = io_uring_smp_load_acquire(ring->sq.khead);
  int found = 0;
  for (; p != ring->sq.sqe_tail; p++) {
    struct io_uring_sqe *sqe = &ring->sq.sqes[p & ring->sq.ring_mask];
    if (sqe->opcode != IORING_OP_ASYNC_CANCEL || sqe->user_data != URING__UD_CANCEL ||
        sqe->fd != sock->s || !(sqe->cancel_flags & IORING_ASYNC_CANCEL_FD))
      continue;
    io_uring_prep_nop(sqe);
    io_uring_sqe_set_data64(sqe, URING__UD_CANCEL);
    found = 1;
  }
  return found;
}

/* ASYNC_CANCEL of what the socket has in the kernel: by descriptor, all of
 * them, or one per request on kernels before 5.19. */
static void uring__cancel_live(riox_sock *sock) {
  riox_loop *loop = sock->loop;
  struct io_uring_sqe *sqe;
  if (!uring__any_live(&sock->rxq) && !uring__any_live(&sock->txq)) {
    /* nothing in the kernel to cancel */
  } else if (uring__of(loop)->cancel_fd) {
    sqe = uring__sqe(loop);
    if (sqe != NULL) {
      io_uring_prep_cancel_fd(sqe, sock->s, IORING_ASYNC_CANCEL_ALL);
      io_uring_sqe_set_data64(sqe, URING__UD_CANCEL);
    }
  } else {
    uring__cancel_each(sock);
  }
}

/* A UDP receive chain in the kernel when riox_cancel or riox_close ends it
 * (test_regress_uring_udp_chain_close_busy_head,
 * test_regress_uring_udp_chain_close_fd_reuse): io_uring issues a linked
 * request only once the one before it is done, and looks its descriptor
 * number up only then. A head that completed just before the cancel (its
 * datagram was there) has its next receive not issued yet: the cancel
 * cannot find it, and it would be issued later -- after a close on the
 * number's next owner, after a cancel on this socket, where it waits for a
 * datagram and takes it from the receives posted since. So the number
 * itself is retired: the socket moves to a duplicate (sock->s; the same
 * socket, the layer closes that one), the old number is pointed at an
 * eventfd, on which every later receive of the chain fails at once (its
 * event says cancelled: ring_cut), and it is closed once the chain has
 * drained (uring__udp_release_fd). What was issued on the socket between
 * the cancel and the switch (task work run on the way out of the submit,
 * on rings without DEFER_TASKRUN) is cancelled by the new number. The
 * retired number is kept in sock->backend (unused by UDP sockets when the
 * loop uses chains) as number + 1. Best effort: without descriptors to
 * spare, things stay as they were. */
static void uring__udp_retire_fd(riox_sock *sock) {
  riox_loop *loop = sock->loop;
  int old = sock->s, dup_fd, dead;
  if (uring__of(loop)->rx != NULL || sock->backend != NULL || old < 0) return;
  LOOP_OSCALL(loop);
  dup_fd = fcntl(old, F_DUPFD_CLOEXEC, 0);
  if (dup_fd < 0) return;
  LOOP_OSCALL(loop);
  dead = eventfd(0, EFD_CLOEXEC);
  LOOP_OSCALL(loop);
  if (dead < 0 || dup3(dead, old, O_CLOEXEC) < 0) {
    if (dead >= 0) close(dead);
    close(dup_fd);
    return;
  }
  LOOP_OSCALL(loop);
  close(dead);
  sock->s = dup_fd;
  sock->backend = (void *)(uintptr_t)((unsigned)old + 1u);
  uring__cancel_live(sock);
  uring__submit_now(loop);
}

/* The chain that used a retired number has drained (or the socket goes). */
static void uring__udp_release_fd(riox_sock *sock) {
  if (sock->kind != SK_UDP || uring__of(sock->loop)->rx != NULL || sock->backend == NULL) return;
  LOOP_OSCALL(sock->loop);
  close((int)((uintptr_t)sock->backend - 1u));
  sock->backend = NULL;
}

/* A PKTINFO receive may complete after the close (the kernel had it done
 * when the cancel came, its CQE not yet handed out): the port its local
 * address needs is found now, while the descriptor is there
 * (test_regress_udp_pktinfo_port_after_close). */
static void uring__udp_keep_port(riox_sock *sock) {
  struct sockaddr_storage ss;
  socklen_t len = sizeof ss;
  if (sock->kind != SK_UDP || !sock->udp_cmsg || sock->udp_port != 0 || sock->s < 0) return;
  LOOP_OSCALL(sock->loop);
  if (getsockname(sock->s, (struct sockaddr *)&ss, &len) != 0) return;
  sock->udp_port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                                  : ((struct sockaddr_in *)&ss)->sin_port);
}

static void uring__sock_abort_io(riox_sock *sock) {
  riox_loop *loop = sock->loop;
  uring_loop_t *ul = uring__of(loop);
  list_node_t *node;
  uring__udp_keep_port(sock);
  if (sock->kind == SK_UDP && ul->rx != NULL) {
    /* Multishot: the posted receives end now, the backlog goes, the
     * multishot is asked to end -- now, before the descriptor is closed. */
    uring_rx_abort(sock);
    if (list_empty(&sock->txq)) {
      uring__submit_now(loop);
      return;
    }
  } else if (sock->kind == SK_UDP && !list_empty(&sock->rxq)) {
    /* A chain is in the kernel: the receives held behind it (and those it
     * gave back) end after it, as cancelled, in posting order, once it has
     * drained (uring__udp_drained); what the kernel holds is not issued
     * again whatever it comes back with. */
    list_node_t *qs[3];
    int k;
    qs[0] = &sock->rxq;
    qs[1] = &sock->rxback;
    qs[2] = &sock->rxhold;
    for (k = 0; k < 3; k++)
      for (node = qs[k]->next; node != qs[k]; node = node->next)
        container_of(node, req_t, node)->ring_cut = 1;
  } else {
    /* Held receives never reached the kernel: they end here. */
    while ((node = list_pop_front(&sock->rxhold)) != NULL)
      loop_complete_inline(loop, container_of(node, req_t, node), RIOX_ECANCELED, 0);
  }
  /* A listener's connections no accept took: the clients see a reset. */
  if (sock->kind == SK_TCP_LISTEN && sock->backend != NULL)
    uring__lsn_drop_backlog((uring_lsn_t *)sock->backend);
  if (list_empty(&sock->rxq) && list_empty(&sock->txq)) {
    uring__zc_closing(sock);
    return;
  }
  uring__nop_unsubmitted(sock);
  uring__zc_closing(sock);
  uring__cancel_live(sock);
  /* Now, not at the next wait: the layer closes the descriptor next, and
   * both the socket's own SQEs and the cancel must reach the kernel while
   * the number is still this socket's. */
  uring__submit_now(loop);
  if (io_uring_sq_ready(&ul->ring) != 0 && ul->cancel_fd && uring__fd_cancel_unsent(sock)) {
    uring__cancel_each(sock);
    uring__submit_now(loop);
  }
  if (sock->kind == SK_UDP && uring__any_live(&sock->rxq)) uring__udp_retire_fd(sock);
}

/* ------------------------------------------------------------ issuing */

static void uring__recv_done(riox_loop *loop, req_t *req, int status, uint32_t bytes) {
  /* A swallowed ICMP report: the receive is re-posted at the next wait. */
  if (sock_recv_swallow(req, status)) {
    req->ring_again = 1;
    uring__of(loop)->swallowed = 1;
    if (req->sock->kind == SK_UDP) req->sock->rx_wait++; /* no chain before it is back */
    return;
  }
  sock_io_complete(loop, req, status, bytes);
}

static int uring__recv_issue(riox_sock *sock, req_t *req);

/* The socket has UDP receives to chain at the next submit, if no chain of
 * its own is in the kernel and no swallowed receive is still to come back
 * ahead of them. 1 when it is now on the list (loop->work). */
static int uring__rx_pend(riox_sock *sock) {
  if (list_empty(&sock->rxhold) || !list_empty(&sock->rxq) || sock->rx_wait > 0) return 0;
  linux_work_add(sock);
  return 1;
}

#define URING__CHAIN_MAX 64 /* UDP receives linked in one chain */

/* The receives held by each socket on loop->work go into the SQ, one
 * linked chain per socket, in posting order. The SQEs of a chain must be
 * consecutive and reach the kernel in one submit: a chain is only started
 * when the SQ has room for it (else it is cut to the room there is, the
 * rest waiting for the next chain). */
static void uring__chains(riox_loop *loop) {
  uring_loop_t *ul = uring__of(loop);
  list_node_t batch, *node;
  if (list_empty(&loop->work)) return;
  list_take_all(&batch, &loop->work);
  while ((node = list_pop_front(&batch)) != NULL) {
    riox_sock *sock = container_of(node, riox_sock, work);
    unsigned room = io_uring_sq_space_left(&ul->ring), n = 0;
    sock->dirty = 0;
    if (ul->rx != NULL && sock->kind == SK_UDP) {
      uring_rx_arm(sock); /* one multishot receive, not a chain */
      continue;
    }
    if (list_empty(&sock->rxhold) || !list_empty(&sock->rxq) || sock->rx_wait > 0) continue;
    if (room == 0) {
      /* No room: this socket and the rest wait for the next submit. */
      linux_work_add(sock);
      while ((node = list_pop_front(&batch)) != NULL) {
        riox_sock *rest = container_of(node, riox_sock, work);
        rest->dirty = 0;
        linux_work_add(rest);
      }
      return;
    }
    if (room > URING__CHAIN_MAX) room = URING__CHAIN_MAX;
    while (n < room && !list_empty(&sock->rxhold)) {
      req_t *req = container_of(sock->rxhold.next, req_t, node);
      struct io_uring_sqe *sqe;
      list_remove(&req->node);
      sqe = uring__req_sqe(loop, req, &sock->rxq); /* room was checked: never NULL */
      req->ring_linked = n > 0;
      req->ring_cut = 0;
      req->iov.iov_base = req->data;
      req->iov.iov_len = req->len;
      memset(&req->msg, 0, sizeof req->msg);
      req->msg.msg_name = &req->addr;
      req->msg.msg_namelen = sizeof req->addr;
      req->msg.msg_iov = &req->iov;
      req->msg.msg_iovlen = 1;
      if (sock->udp_cmsg) { /* UDP_GRO, PKTINFO (udp_msg.c); zeroed: the end is found */
        memset(req->ctl, 0, sizeof req->ctl);
        req->msg.msg_control = req->ctl;
        req->msg.msg_controllen = sizeof req->ctl;
      }
      io_uring_prep_recvmsg(sqe, sock->s, &req->msg, 0);
      io_uring_sqe_set_data(sqe, req);
      /* Linked to the next one, if any: the last SQE of a chain has no link. */
      if (n + 1 < room && !list_empty(&sock->rxhold)) sqe->flags |= IOSQE_IO_LINK;
      n++;
    }
  }
}

/* A UDP receive's CQE. One that a failure earlier in its chain cancelled
 * (-ECANCELED, linked, not ended by riox_cancel/close) is given back, to be
 * issued again; so is every CQE of the chain after it (they are all
 * cancelled), to keep their order. Once the chain has drained: what it
 * gave back goes first, receives ended by a cancel end now, in order, and
 * the rest form the next chain. */
static void uring__done(riox_loop *loop, req_t *req, int status, uint32_t bytes);
static int uring__status(int res, const char *what);

static void uring__udp_drained(riox_sock *sock) {
  riox_loop *loop = sock->loop;
  uring__udp_release_fd(sock);
  if (!list_empty(&sock->rxback)) {
    /* rxback, in order, in front of rxhold */
    list_node_t *first = sock->rxback.next, *last = sock->rxback.prev;
    first->prev = &sock->rxhold;
    last->next = sock->rxhold.next;
    sock->rxhold.next->prev = last;
    sock->rxhold.next = first;
    list_init(&sock->rxback);
  }
  while (!list_empty(&sock->rxhold)) {
    req_t *req = container_of(sock->rxhold.next, req_t, node);
    if (!req->ring_cut && sock->s >= 0 && sock->state != SK_CLOSING) break;
    list_remove(&req->node);
    loop_complete_inline(loop, req, RIOX_ECANCELED, 0);
  }
  if (uring__rx_pend(sock)) uring__of(loop)->rx_next = 1;
}

static void uring__udp_recv_cqe(riox_loop *loop, riox_sock *sock, req_t *req, int res) {
  /* Ended by riox_cancel/close: issued on the retired number (-ENOTSOCK),
   * cancelled, or cut short -- cancelled, whatever the kernel said. */
  if (req->ring_cut && res < 0) res = -ECANCELED;
  if (res == -ECANCELED &&
      (!list_empty(&sock->rxback) || (req->ring_linked && !req->ring_cut && sock->s >= 0 &&
                                      sock->state != SK_CLOSING))) {
    list_insert_tail(&sock->rxback, &req->node);
  } else if (res < 0) {
    uring__done(loop, req, uring__status(res, "recvmsg"), 0);
  } else {
    req->has_addr = 1;
    req->addrlen = req->msg.msg_namelen;
    if (sock->udp_cmsg) linux_udp_ctl_recv(sock, req, req->ctl, req->msg.msg_controllen);
    uring__done(loop, req, (req->msg.msg_flags & MSG_TRUNC) ? RIOX_EMSGSIZE : 0, (uint32_t)res);
  }
  /* req may be gone; the socket lives on (freed from loop->dead). */
  if (list_empty(&sock->rxq)) uring__udp_drained(sock);
}

static int uring__recv(riox_sock *sock, req_t *req) {
  req->complete = uring__recv_done;
  req->post_failed = 0;
  req->ring_cut = 0;
  if (sock->kind == SK_UDP && uring__of(sock->loop)->rx != NULL) return uring_rx_post(sock, req);
  if (sock->kind == SK_UDP) {
    if (req->ring_again) {
      /* A swallowed receive keeps its place: it is older than every
       * receive given back by its chain and every one held. */
      req->ring_again = 0;
      if (sock->rx_wait > 0) sock->rx_wait--;
      list_insert_tail(list_empty(&sock->rxq) ? sock->rxhold.next : sock->rxback.next, &req->node);
    } else {
      list_insert_tail(&sock->rxhold, &req->node);
    }
    uring__rx_pend(sock);
    return 0;
  }
  if (req->ring_again) {
    /* A swallowed receive keeps its place: first of the held ones. */
    req->ring_again = 0;
    if (!list_empty(&sock->rxq)) {
      list_insert_tail(sock->rxhold.next, &req->node);
      return 0;
    }
  } else if (!list_empty(&sock->rxq) || !list_empty(&sock->rxhold)) {
    list_insert_tail(&sock->rxhold, &req->node); /* behind the one in the kernel */
    return 0;
  }
  return uring__recv_issue(sock, req);
}

static int uring__recv_issue(riox_sock *sock, req_t *req) {
  /* TCP only: UDP receives go out in chains (uring__chains). */
  riox_loop *loop = sock->loop;
  uint32_t slot, region, off;
  struct io_uring_sqe *sqe = uring__req_sqe(loop, req, &sock->rxq);
  if (sqe == NULL) return uring__sq_full();
  if (uring__of(loop)->fixed && pool_locate(&loop->pool, req->data, req->len, &slot, &region, &off) == 0)
    io_uring_prep_read_fixed(sqe, sock->s, req->data, req->len, 0, (int)region);
  else
    io_uring_prep_recv(sqe, sock->s, req->data, req->len, 0);
  URING_SET_DATA(loop, sqe, req, "recv", URING_F_RECV);
  return 0;
}

/* A TCP send from byte req->backend_data on (the tail of a partial one):
 * SEND_ZC from its registered region when the send was chosen for it
 * (req->ring_zc, uring__send), else a copying SEND. */
static void uring__prep_tcp_send(riox_sock *sock, req_t *req, struct io_uring_sqe *sqe) {
  uint32_t done = (uint32_t)req->backend_data, slot, region, off;
  if (req->ring_zc &&
      pool_locate(&sock->loop->pool, req->data + done, req->len - done, &slot, &region, &off) == 0)
    io_uring_prep_send_zc_fixed(sqe, sock->s, req->data + done, req->len - done, MSG_NOSIGNAL, 0,
                                region);
  else
    io_uring_prep_send(sqe, sock->s, req->data + done, req->len - done, MSG_NOSIGNAL);
  URING_SET_DATA(sock->loop, sqe, req, "send", URING_F_STREAM_SEND);
}

/* A UDP send from byte req->backend_data on: the whole of it (one
 * datagram, or with UDP_SEGMENT the kernel cuts it), or, split by riox (no
 * GSO, RIOX_UDP_OFFLOAD=0, or the kernel refused this one with it), its
 * next datagram; each CQE of a split send issues the next datagram
 * (uring__udp_send_cqe), so they reach the wire in order, one event at the
 * end. The msghdr, address and control data live in req until the CQE. */
static void uring__prep_udp_send(riox_sock *sock, req_t *req, struct io_uring_sqe *sqe) {
  uint32_t off = (uint32_t)req->backend_data, part = req->len - off;
  int gso = linux_udp_gso(sock, req);
  size_t ctl = req->local.family != 0 || gso ? linux_udp_ctl_send(sock, req, gso) : 0;
  if (!gso && req->seg_size != 0 && part > req->seg_size) part = req->seg_size;
  req->iov.iov_base = req->data + off;
  req->iov.iov_len = part;
  memset(&req->msg, 0, sizeof req->msg);
  if (req->has_addr) {
    req->msg.msg_name = &req->addr;
    req->msg.msg_namelen = req->addrlen;
  }
  req->msg.msg_iov = &req->iov;
  req->msg.msg_iovlen = 1;
  if (ctl != 0) {
    req->msg.msg_control = req->ctl;
    req->msg.msg_controllen = ctl;
  }
  io_uring_prep_sendmsg(sqe, sock->s, &req->msg, MSG_NOSIGNAL);
  URING_SET_DATA(sock->loop, sqe, req, "sendmsg", URING_F_SEND);
}

static int uring__send(riox_sock *sock, req_t *req, uint32_t flags) {
  struct io_uring_sqe *sqe = uring__req_sqe(sock->loop, req, &sock->txq);
  if (sqe == NULL) return uring__sq_full();
  req->complete = sock_io_complete;
  req->backend_data = 0;
  req->ring_zc = sock->kind == SK_TCP && uring__of(sock->loop)->zc_min > 0 &&
                 req->len >= uring__of(sock->loop)->zc_min;
  if (sock->kind == SK_UDP) {
    uring__prep_udp_send(sock, req, sqe);
  } else {
    uring__prep_tcp_send(sock, req, sqe);
  }
  if (flags & RIOX_SEND_DEFER) {
    req->ring_defer = 1;
    uring__of(sock->loop)->deferred++;
  } else
    uring__push(sock->loop);
  return 0;
}

static void uring__prep_accept(riox_sock *listener, req_t *req, struct io_uring_sqe *sqe) {
  req->addrlen = (socklen_t)sizeof req->addr;
  io_uring_prep_accept(sqe, listener->s, (struct sockaddr *)&req->addr, &req->addrlen,
                       SOCK_NONBLOCK | SOCK_CLOEXEC);
  URING_SET_DATA(listener->loop, sqe, req, "accept", URING_F_ACCEPT);
}

static int uring__ms_accept(riox_sock *listener, req_t *req);

static int uring__accept(riox_sock *listener, req_t *req) {
  struct io_uring_sqe *sqe;
  int rc = sock_attach(listener);
  if (rc < 0) return rc;
  if (uring__of(listener->loop)->ms_accept) return uring__ms_accept(listener, req);
  sqe = uring__req_sqe(listener->loop, req, &listener->rxq);
  if (sqe == NULL) return uring__sq_full();
  uring__prep_accept(listener, req, sqe);
  uring__push(listener->loop);
  return 0;
}

/* ---------------------------------------------------- multishot accept
 *
 * One multishot ACCEPT (io_uring_prep_multishot_accept) per listener takes
 * every connection; each of its CQEs (IORING_CQE_F_MORE while it stays
 * armed) brings one descriptor, handed to the oldest accept request the
 * core posted (sock->rxhold, posting order). With none waiting the
 * descriptor goes to a small backlog that the next posted request takes at
 * once; when the backlog reaches URING__BACKLOG_SOFT the multishot is
 * cancelled (the kernel's listen queue holds the rest) and armed again
 * when requests wait. A CQE without F_MORE ends it: re-armed while
 * requests wait, except after a resource error (EMFILE, ENFILE, ENOMEM,
 * ENOBUFS), which ends the oldest request with that error; the posts after
 * it try one accept4 first and fail while the error lasts, so the core's
 * back-off and its RIOX_EV_ERROR run (src/core/tcp.c, tcp_accept_refill).
 * The multishot is a request of the backend's own (req->ring_ms, no
 * event): it keeps the listener, and the close drain, waiting for its last
 * CQE. Its CQEs carry no address (the
 * kernel would write every connection's into the same buffer), so
 * getpeername asks; a connection gone by then is dropped, as accept(2)
 * itself answers ECONNABORTED for it. */
#define URING__BACKLOG_SOFT 8u

static int uring__resource_error(int res) {
  return res == -EMFILE || res == -ENFILE || res == -ENOMEM || res == -ENOBUFS;
}

static uring_lsn_t *uring__lsn(riox_sock *listener) {
  if (listener->backend == NULL) listener->backend = calloc(1, sizeof(uring_lsn_t));
  return (uring_lsn_t *)listener->backend;
}

/* The multishot's end (its request owes no event). */
static void uring__ms_free(riox_loop *loop, req_t *req, int status, uint32_t bytes) {
  (void)status;
  (void)bytes;
  loop_req_free(loop, req);
}

/* Arm the multishot when accept requests wait and none is in the kernel.
 * Without a request slot or an SQE for it, the oldest waiting request is
 * issued as a single-shot accept instead (or, with no SQE, ends with
 * RIOX_ENOBUFS), so a waiting request never waits for nothing. */
static void uring__ms_arm(riox_sock *listener) {
  riox_loop *loop = listener->loop;
  uring_lsn_t *ls = (uring_lsn_t *)listener->backend;
  struct io_uring_sqe *sqe;
  req_t *ms, *oldest;
  if (ls == NULL || ls->ms != NULL || listener->state == SK_CLOSING || listener->s < 0 ||
      list_empty(&listener->rxhold))
    return;
  ms = loop_req_alloc(loop, listener, REQ_ACCEPT, uring__ms_free);
  if (ms != NULL) {
    sqe = uring__req_sqe(loop, ms, &listener->rxq);
    if (sqe != NULL) {
      ms->ring_ms = 1;
      io_uring_prep_multishot_accept(sqe, listener->s, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
      URING_SET_DATA(loop, sqe, ms, "accept_multishot", URING_F_ACCEPT);
      ls->ms = ms;
      ls->cancelling = 0;
      uring__push(loop);
      return;
    }
    loop_req_free(loop, ms);
  }
  oldest = container_of(listener->rxhold.next, req_t, node);
  list_remove(&oldest->node);
  sqe = uring__req_sqe(loop, oldest, &listener->rxq);
  if (sqe == NULL) {
    loop_complete_inline(loop, oldest, uring__sq_full(), 0);
    return;
  }
  uring__prep_accept(listener, oldest, sqe);
  uring__push(loop);
}

/* Connection fd for accept request req: its peer's address into req.
 * 0 when the connection is already gone (fd closed; req keeps waiting). */
static int uring__ms_give(riox_sock *listener, req_t *req, int fd) {
  req->addrlen = (socklen_t)sizeof req->addr;
  LOOP_OSCALL(listener->loop);
  if (sys_getpeername(fd, (struct sockaddr *)&req->addr, &req->addrlen) != 0) {
    close(fd);
    return 0;
  }
  req->accept_fd = fd;
  return 1;
}

static int uring__ms_accept(riox_sock *listener, req_t *req) {
  uring_lsn_t *ls = uring__lsn(listener);
  if (ls == NULL) return error_detail(RIOX_ENOMEM, "accept: no memory for the listener's state");
  if (ls->error != 0) {
    /* Out of descriptors or memory a moment ago: find out now, with one
     * accept4 of our own, so that a post fails for as long as it lasts and
     * the core's back-off grows (an SQE would fail only later, each retry
     * would look like a success and the back-off would start over). */
    int fd;
    LOOP_OSCALL(listener->loop);
    fd = sys_accept4(listener->s, (struct sockaddr *)&req->addr, &req->addrlen,
                 SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0 && uring__resource_error(-errno)) return uring__status(-errno, "accept");
    ls->error = 0;
    if (fd >= 0) {
      req->accept_fd = fd;
      loop_complete_inline(listener->loop, req, 0, 0);
      return 0;
    }
  }
  while (ls->n > 0) {
    int fd = ls->fds[0];
    ls->n--;
    memmove(ls->fds, ls->fds + 1, ls->n * sizeof *ls->fds);
    if (uring__ms_give(listener, req, fd)) {
      /* Its event comes from the next wait, as any completion does. */
      loop_complete_inline(listener->loop, req, 0, 0);
      return 0;
    }
  }
  list_insert_tail(&listener->rxhold, &req->node);
  uring__ms_arm(listener);
  return 0;
}

/* A connection the multishot brought. */
static void uring__ms_conn(riox_sock *listener, int fd) {
  riox_loop *loop = listener->loop;
  uring_lsn_t *ls = (uring_lsn_t *)listener->backend;
  struct io_uring_sqe *sqe;
  if (listener->state == SK_CLOSING || listener->s < 0) {
    close(fd); /* accepted just before the cancel: the client sees a reset */
    return;
  }
  if (!list_empty(&listener->rxhold)) {
    req_t *req = container_of(listener->rxhold.next, req_t, node);
    if (uring__ms_give(listener, req, fd)) {
      list_remove(&req->node);
      uring__done(loop, req, 0, 0);
    }
    return;
  }
  if (ls->n == ls->cap) {
    uint32_t cap = ls->cap ? 2 * ls->cap : 2 * URING__BACKLOG_SOFT;
    int *p = (int *)realloc(ls->fds, cap * sizeof *p);
    if (p == NULL) {
      close(fd);
      loop->stats.drops++;
      return;
    }
    ls->fds = p;
    ls->cap = cap;
  }
  ls->fds[ls->n++] = fd;
  /* Full: stop taking connections until requests come for these. What the
   * kernel accepted before the cancel lands still comes, and is kept. */
  if (ls->n >= URING__BACKLOG_SOFT && ls->ms != NULL && !ls->cancelling) {
    sqe = uring__sqe(loop);
    if (sqe == NULL) return; /* tried again at the next connection */
    io_uring_prep_cancel64(sqe, (uint64_t)(uintptr_t)ls->ms, 0);
    io_uring_sqe_set_data64(sqe, URING__UD_CANCEL);
    ls->cancelling = 1;
    uring__push(loop);
  }
}

/* A CQE of the multishot ACCEPT ms. */
static void uring__ms_cqe(riox_loop *loop, req_t *ms, int res, unsigned flags) {
  riox_sock *listener = ms->sock;
  uring_lsn_t *ls = (uring_lsn_t *)listener->backend;
  int more = (flags & IORING_CQE_F_MORE) != 0;
  if (ms->ring_nop) { /* riox_cancel/close made its SQE a NOP */
    res = -ECANCELED;
    more = 0;
  }
  if (res >= 0) uring__ms_conn(listener, res);
  if (more) return;
  list_remove(&ms->node);
  uring__of(loop)->inflight--;
  ls->ms = NULL;
  if (res < 0 && uring__resource_error(res) && listener->state != SK_CLOSING) {
    ls->error = res;
    if (!list_empty(&listener->rxhold)) {
      req_t *req = container_of(listener->rxhold.next, req_t, node);
      list_remove(&req->node);
      uring__done(loop, req, uring__status(res, "accept"), 0);
    }
  } else if (res < 0 && res != -ECANCELED && listener->state != SK_CLOSING &&
             !list_empty(&listener->rxhold)) {
    /* ECONNABORTED and the like: the oldest waiting request ends with it
     * and the core posts again -- a burst at most before it backs off
     * (src/core/tcp.c, tcp_accept_completed), so a multishot the kernel
     * keeps failing is not re-armed without end. The next post arms it. */
    req_t *req = container_of(listener->rxhold.next, req_t, node);
    list_remove(&req->node);
    uring__done(loop, req, uring__status(res, "accept"), 0);
  } else {
    /* Cancelled (a full backlog, riox_cancel), or ended after a
     * connection: again, while requests wait. */
    uring__ms_arm(listener);
  }
  uring__done(loop, ms, 0, 0);
}

/* The layer hands the connect over before calling connect() itself
 * (connect_issues): it is issued on the ring, to req->addr. */
static int uring__connect(riox_sock *sock, req_t *req) {
  struct io_uring_sqe *sqe;
  int rc = sock_attach(sock);
  if (rc < 0) return rc;
  sqe = uring__req_sqe(sock->loop, req, &sock->txq);
  if (sqe == NULL) return uring__sq_full();
  io_uring_prep_connect(sqe, sock->s, (struct sockaddr *)&req->addr, req->addrlen);
  URING_SET_DATA(sock->loop, sqe, req, "connect", URING_F_CONNECT);
  uring__push(sock->loop);
  return 0;
}

/* riox_flush: the deferred sends in the SQ go to the kernel now (with the
 * receives beside them); the count is theirs. */
static int uring__flush(riox_loop *loop) {
  uring_loop_t *ul = uring__of(loop);
  int n = (int)ul->deferred;
  if (n == 0) return 0;
  if (loop->wait_flushing)
    loop->flush_left = 1; /* riox_wait's enter submits them, and waits */
  else
    uring__submit_now(loop);
  return n;
}

static int uring__before_wait(riox_loop *loop, uint32_t *timeout_ms) {
  (void)loop;
  (void)timeout_ms;
  return 0;
}

/* --------------------------------------------------------- completion */

static int uring__status(int res, const char *what) {
  return error_detail(error_from_errno(-res), "%s: %s (errno %d)", what, strerror(-res), -res);
}

static void uring__done(riox_loop *loop, req_t *req, int status, uint32_t bytes) {
  loop->stats.completions++;
  req->complete(loop, req, status, bytes);
}

/* A send's outcome: its event now, or, while SEND_ZC notifications of it
 * are still to come (the kernel may still read the slot), once they came. */
static void uring__send_end(riox_loop *loop, req_t *req, int status, uint32_t bytes) {
  if (req->ring_notifs > 0) {
    req->ring_ended = 1;
    req->ring_status = status;
    req->backend_data = bytes;
    /* Every byte is in the stream: the connection's next send need not
     * wait for the acknowledgement the notification waits for. */
    if (status == 0 && req->sock->kind == SK_TCP) sock_send_taken(req);
    return;
  }
  uring__done(loop, req, status, bytes);
}

/* A SEND_ZC notification: one issue of req no longer uses its buffer. The
 * result CQE comes first (io_uring_enter(2)), but the count does not rely
 * on it: the send ends when both are in, whichever came last. */
static void uring__zc_notif(riox_loop *loop, req_t *req) {
  riox_sock *sock = req->sock;
  uring__of(loop)->inflight--;
  req->ring_notifs--;
  if (sock->ring_zc_notifs > 0) sock->ring_zc_notifs--;
  if (req->ring_notifs == 0 && req->ring_ended) {
    int status = req->ring_status;
    /* The reset threw away what the send had handed the kernel. */
    if (status == 0 && sock->ring_zc_reset) status = RIOX_ECANCELED;
    req->ring_ended = 0;
    uring__done(loop, req, status, (uint32_t)req->backend_data);
  }
}

/* A connection being closed with SEND_ZC sends out (the linger bound
 * passed, riox_abort, the loop closing): the kernel keeps their pages
 * until the peer acknowledges the bytes, which a peer that does not read
 * never does -- and their slots, the SEND events and the CLOSE would wait
 * with them. A copying send leaves its bytes to the orphaned socket; a
 * zero-copy one cannot, so the close resets the connection (SO_LINGER 0:
 * close(2) discards the send queue), and the notifications come. */
static void uring__zc_closing(riox_sock *sock) {
  list_node_t *node;
  int live = sock->ring_zc_notifs > 0;
  struct linger lg;
  if (sock->kind != SK_TCP || sock->state != SK_CLOSING || sock->s < 0) return;
  for (node = sock->txq.next; node != &sock->txq && !live; node = node->next) {
    req_t *req = container_of(node, req_t, node);
    live = req->ring_zc && !req->ring_nop;
  }
  if (!live) return;
  lg.l_onoff = 1;
  lg.l_linger = 0;
  LOOP_OSCALL(sock->loop);
  if (sys_setsockopt(sock->s, SOL_SOCKET, SO_LINGER, &lg, sizeof lg) == 0) sock->ring_zc_reset = 1;
}

/* Issue req again (a send's tail, the next connection of an accept);
 * completes it with an error when the SQ cannot take it. */
static void uring__reissue(riox_sock *sock, req_t *req, int tx) {
  struct io_uring_sqe *sqe = uring__req_sqe(sock->loop, req, tx ? &sock->txq : &sock->rxq);
  if (sqe == NULL) {
    if (tx)
      uring__send_end(sock->loop, req, uring__sq_full(), (uint32_t)req->backend_data);
    else
      uring__done(sock->loop, req, uring__sq_full(), 0);
    return;
  }
  if (tx && sock->kind == SK_UDP)
    uring__prep_udp_send(sock, req, sqe);
  else if (tx)
    uring__prep_tcp_send(sock, req, sqe);
  else
    uring__prep_accept(sock, req, sqe);
  uring__push(sock->loop); /* a send's tail, an accept: as their first issue */
}

/* The next held receive goes to the kernel (its predecessor's CQE is
 * in: whatever it took is before what this one will take). */
static void uring__recv_next(riox_sock *sock) {
  riox_loop *loop = sock->loop;
  while (!list_empty(&sock->rxhold)) {
    req_t *req = container_of(sock->rxhold.next, req_t, node);
    list_remove(&req->node);
    if (sock->s < 0 || sock->state == SK_CLOSING) {
      loop_complete_inline(loop, req, RIOX_ECANCELED, 0);
      continue;
    }
    if (uring__recv_issue(sock, req) == 0) {
      uring__of(loop)->rx_next = 1;
      return;
    }
    uring__done(loop, req, uring__sq_full(), 0);
  }
}

/* A UDP send's CQE: done, or (a send riox splits) the next datagram; a
 * UDP_SEGMENT send the kernel refused (linux_udp_gso_refused) goes again,
 * split. A failure, or a socket riox_cancel/close ended, stops it: the
 * event reports the bytes of the datagrams that went. */
static void uring__udp_send_cqe(riox_loop *loop, riox_sock *sock, req_t *req, int res) {
  int alive = sock->s >= 0 && sock->state != SK_CLOSING && !req->ring_nop;
  if (res < 0 && alive && linux_udp_gso(sock, req) && linux_udp_gso_refused(-res)) {
    req->udp_soft = 1;
    uring__reissue(sock, req, 1);
    return;
  }
  if (res < 0) {
    uring__done(loop, req, uring__status(res, "sendmsg"), (uint32_t)req->backend_data);
    return;
  }
  req->backend_data += (uint32_t)res;
  if (req->backend_data < req->len && alive) {
    uring__reissue(sock, req, 1);
    return;
  }
  uring__done(loop, req, req->backend_data < req->len ? RIOX_ECANCELED : 0,
              (uint32_t)req->backend_data);
}

static void uring__cqe(riox_loop *loop, req_t *req, int res, unsigned flags) {
  riox_sock *sock = req->sock;
  if (flags & IORING_CQE_F_NOTIF) {
    uring__zc_notif(loop, req);
    return;
  }
  if (req->ring_ms) {
    uring__ms_cqe(loop, req, res, flags);
    return;
  }
  list_remove(&req->node);
  /* A SEND_ZC result with F_MORE: its notification follows, and ends the
   * issue (uring__zc_notif). */
  if ((flags & IORING_CQE_F_MORE) && req->kind == REQ_SEND) {
    req->ring_notifs++;
    sock->ring_zc_notifs++;
  } else
    uring__of(loop)->inflight--;
  if (req->ring_nop) res = -ECANCELED; /* riox_cancel made it a NOP (uring__nop_unsubmitted) */
  switch (req->kind) {
    case REQ_RECV:
      uring__of(loop)->swallowed = 0; /* set by uring__recv_done */
      if (sock->kind == SK_UDP) {
        uring__udp_recv_cqe(loop, sock, req, res);
        break;
      }
      if (res < 0) {
        uring__done(loop, req, uring__status(res, "recv"), 0);
      } else {
        uring__done(loop, req, 0, (uint32_t)res); /* 0 bytes: end of stream */
      }
      /* req may be gone; the socket lives on (freed from loop->dead). A
       * swallowed receive is re-posted at the next wait, ahead of the rest. */
      if (!uring__of(loop)->swallowed) uring__recv_next(sock);
      break;
    case REQ_SEND:
      if (res == -EOPNOTSUPP && req->ring_zc && !req->ring_nop && sock->s >= 0) {
        /* No zero-copy on this socket (io_uring_enter(2): copy instead). */
        req->ring_zc = 0;
        uring__reissue(sock, req, 1);
      } else if (sock->kind == SK_UDP) {
        uring__udp_send_cqe(loop, sock, req, res);
      } else if (res < 0) {
        uring__send_end(loop, req, uring__status(res, "send"), (uint32_t)req->backend_data);
      } else {
        /* A stream send may take part of the bytes: the tail goes before
         * anything else of the socket (only this send is out); each issue
         * of a SEND_ZC has its own notification. */
        req->backend_data += (uint32_t)res;
        if (res > 0 && req->backend_data < req->len && sock->s >= 0) {
          uring__reissue(sock, req, 1);
          break;
        }
        uring__send_end(loop, req, 0, (uint32_t)req->backend_data);
      }
      break;
    case REQ_ACCEPT:
      if (res >= 0) {
        req->accept_fd = res;
        uring__done(loop, req, 0, 0);
      } else if ((res == -ECONNABORTED || res == -EPROTO || res == -EINTR || res == -EAGAIN) &&
                 sock->state != SK_CLOSING && sock->s >= 0 && req->done++ < 8u) {
        /* Gone before it was taken: the next one -- a burst at most, then
         * the core decides (src/core/tcp.c, tcp_accept_completed). */
        uring__reissue(sock, req, 0);
      } else {
        /* Out of descriptors or memory: the core re-posts on a back-off. */
        uring__done(loop, req, uring__status(res, "accept"), 0);
      }
      break;
    default: /* REQ_CONNECT */
      uring__done(loop, req, res < 0 ? uring__status(res, "connect") : 0, 0);
      break;
  }
}

/* The wake channel on the ring: an 8-byte IORING_OP_READ of the layer's
 * eventfd. The eventfd is non-blocking (riox_wake's write and the layer's
 * own drain must never block), which io_uring honours by polling it
 * internally where the file supports that (6.x kernels) and by answering
 * -EAGAIN where not; after an -EAGAIN the ring polls the eventfd instead
 * (POLL_ADD, then linux_wake_drain reads it: one call more per wake, on
 * those kernels only). Kept armed: re-armed at the start of each wait after
 * its CQE, so the next riox_wake ends that wait's enter. */
static void uring__arm_wake(riox_loop *loop) {
  uring_loop_t *ul = uring__of(loop);
  struct io_uring_sqe *sqe;
  if (ul->wake_armed) return;
  sqe = uring__sqe(loop);
  if (sqe == NULL) return; /* tried again at the next wait */
  if (ul->wake_poll)
    io_uring_prep_poll_add(sqe, loop->wake_fd, POLLIN);
  else
    io_uring_prep_read(sqe, loop->wake_fd, &ul->wake_buf, sizeof ul->wake_buf, 0);
  URING_SET_DATA64(loop, sqe, URING_UD_WAKE, "wake_read", URING_F_WAKE);
  ul->wake_armed = 1;
}

static void uring__wake_cqe(riox_loop *loop, int res) {
  uring_loop_t *ul = uring__of(loop);
  ul->wake_armed = 0;
  if (ul->wake_poll) {
    if (res > 0) linux_wake_drain(loop); /* readable: read it here */
  } else if (res == (int)sizeof ul->wake_buf) {
    linux_wake_take(loop); /* the ring read the count: take the contexts */
  } else if (res < 0 && res != -ECANCELED) {
    /* -EAGAIN: nothing was written when it ran (a context queued since
     * comes with its own write, which the poll sees). Any other failure
     * would come back at every wait: poll instead, as well. */
    ul->wake_poll = 1;
  }
  /* -ECANCELED (loop_fini, or the kernel's): re-armed at the next wait. */
}

static void uring__wait(riox_loop *loop, uint32_t timeout_ms, uint32_t batch) {
  uring_loop_t *ul = uring__of(loop);
  struct io_uring_cqe *cqe, *cqes[64];
  uint32_t taken = 0;
  if (uring__enable(loop) < 0) return;
  uring__arm_wake(loop);
  uring__chains(loop);
  if (batch > URING__CQE_BATCH) batch = URING__CQE_BATCH;
  /* The one enter of this cycle: submit the SQ and wait for a CQE (none
   * when CQEs wait already and nothing is to go). */
  loop->stats.waits++;
  ul->dispatching = 1;
  if (io_uring_cq_ready(&ul->ring) > 0 && io_uring_sq_ready(&ul->ring) == 0) {
    /* nothing to call the kernel for */
  } else if (io_uring_cq_ready(&ul->ring) > 0 || timeout_ms == 0) {
    LOOP_OSCALL(loop);
    (void)URING_CALL("io_uring_enter", URING_F_ENTER, io_uring_submit_and_get_events(&ul->ring)); /* runs deferred task work, no wait */
  } else if (timeout_ms == OS_WAIT_INFINITE) {
    LOOP_OSCALL(loop);
    (void)URING_CALL("io_uring_enter", URING_F_ENTER, io_uring_submit_and_wait(&ul->ring, 1));
  } else {
    struct __kernel_timespec ts;
    ts.tv_sec = timeout_ms / 1000u;
    ts.tv_nsec = (long long)(timeout_ms % 1000u) * 1000000;
    LOOP_OSCALL(loop);
    (void)URING_CALL("io_uring_enter", URING_F_ENTER,
                     io_uring_submit_and_wait_timeout(&ul->ring, &cqe, 1, &ts, NULL)); /* -ETIME: none came */
  }
  if (io_uring_sq_ready(&ul->ring) == 0) ul->deferred = 0;
  while (taken < batch) {
    struct {
      uint64_t ud;
      int res;
      unsigned flags;
    } got[64];
    unsigned want = batch - taken < 64 ? batch - taken : 64, n, i;
    n = io_uring_peek_batch_cqe(&ul->ring, cqes, want);
    if (n == 0 && ul->rx_next) {
      /* Receives issued behind the ones just done: data already queued
       * (a burst of datagrams) completes them inside one more enter, so a
       * wait takes a burst, not one receive of each socket. */
      ul->rx_next = 0;
      uring__chains(loop);
      LOOP_OSCALL(loop);
      (void)URING_CALL("io_uring_enter", URING_F_ENTER, io_uring_submit_and_get_events(&ul->ring));
      if (io_uring_sq_ready(&ul->ring) == 0) ul->deferred = 0;
      ul->push_owed = 0;
      continue;
    }
    if (n == 0) break;
    /* Copied out and given back first: a completion may submit. */
    for (i = 0; i < n; i++) {
      LOOP_RINGOP(loop); /* one ring op per CQE reaped */
      got[i].ud = cqes[i]->user_data;
      got[i].res = URING_CQE_RES(got[i].ud, cqes[i]->res);
      got[i].flags = cqes[i]->flags;
    }
    io_uring_cq_advance(&ul->ring, n);
    for (i = 0; i < n; i++) {
      if (uring_ud_is_req(got[i].ud))
        uring__cqe(loop, (req_t *)(uintptr_t)got[i].ud, got[i].res, got[i].flags);
      else if (uring_ud_is_watch(got[i].ud))
        uring_watch_cqe(loop, got[i].ud, got[i].res);
      else if (uring_ud_is_unpoll(got[i].ud))
        uring_unpoll_cqe(loop, got[i].ud, got[i].res);
      else if (uring_ud_is_sock(got[i].ud))
        uring_rx_cqe(loop, got[i].ud, got[i].res, got[i].flags);
      else if (got[i].ud == URING_UD_WAKE)
        uring__wake_cqe(loop, got[i].res);
      /* else a cancel's own CQE, the wait's timeout: nothing to do */
    }
    taken += n;
  }
  ul->dispatching = 0;
  ul->rx_next = 0;
  /* What the completions posted that must not wait for the next enter. */
  if (ul->push_owed) {
    ul->push_owed = 0;
    uring__submit_now(loop);
  }
}

static void uring__on_packet(riox_loop *loop, os_packet_t *p) {
  (void)loop;
  (void)p;
}

const backend_ops_t uring_backend = {
    "uring",
    0,
    uring__loop_init,
    uring__loop_fini,
    uring__sock_attach,
    uring__sock_cancel,
    uring__sock_detach,
    uring__recv,
    uring__send,
    uring__flush,
    uring__before_wait,
    uring__on_packet,
    uring__wait,
    uring__accept,
    uring__connect,
    uring__sock_abort_io,
    1, /* connect_issues */
    uring_watch_poll,
    uring_watch_closing,
};
