/* Per-socket RIO request queues: creation, growth, posting and commit.
 *
 * Batching: receives are always posted with RIO_MSG_DEFER, and so are sends
 * the application marks RIOX_SEND_DEFER; a queue with deferred work is put on
 * the loop's dirty list and committed once per direction (RIOReceive or
 * RIOSend with RIO_MSG_COMMIT_ONLY) when the loop flushes, which riox_wait
 * does before it waits. RIO commits per direction ("to trigger execution for
 * all receives in a request queue, call RIOReceive or RIOReceiveEx without
 * RIO_MSG_DEFER"), so a send never starts deferred receives. A send without
 * RIOX_SEND_DEFER goes out at once and carries the deferred sends with it. */
#include <stdlib.h>
#include <string.h>

#include "rio_internal.h"

#define RIO__RQ_INITIAL_UDP 64u
#define RIO__RQ_INITIAL_TCP 16u

int rio_dead_error(const char *what) {
  return error_detail(RIOX_ELOOP,
                      "%s: the loop's RIO completion queue is corrupt (RIODequeueCompletion "
                      "answered RIO_CORRUPT_CQ); no RIO request can be made on this loop: close it",
                      what);
}

int rio_rq_attach(riox_sock *sock) {
  riox_loop *loop = sock->loop;
  rio_loop_t *rl = rio_loop_of(loop);
  uint32_t depth = sock->kind == SK_UDP ? RIO__RQ_INITIAL_UDP : RIO__RQ_INITIAL_TCP;
  rio_rq_t *q;
  int rc;
  /* A request queue needs CQ room, and the CQ is given up. */
  if (rl->dead) return rio_dead_error("first RIO use of a socket");
  q = (rio_rq_t *)calloc(1, sizeof *q);
  if (q == NULL) return error_detail(RIOX_ENOMEM, "no memory for a RIO request queue");
  rc = rio_cq_reserve(loop, 2 * depth);
  if (rc < 0) {
    free(q);
    return rc;
  }
  LOOP_OSCALL(loop);
  q->rq = RIO_FAULT("RIOCreateRequestQueue", RIOX_TEST_FAULT_NOMEM, RIO_INVALID_RQ,
                    rl->fn.RIOCreateRequestQueue(sock->s, depth, 1, depth, 1, rl->cq, rl->cq, sock));
  if (q->rq == RIO_INVALID_RQ && WSAGetLastError() == WSAENOBUFS &&
      rio_cq_grow(loop, 2 * depth) == 0) {
    /* Room a closed socket's queue held may come back some time after its
     * closesocket: grown, the CQ has it now. Once; then the error stands. */
    LOOP_OSCALL(loop);
    q->rq = rl->fn.RIOCreateRequestQueue(sock->s, depth, 1, depth, 1, rl->cq, rl->cq, sock);
  }
  if (q->rq == RIO_INVALID_RQ) {
    rc = sock_wsa_error("RIOCreateRequestQueue");
    rio_cq_release(loop, 2 * depth);
    free(q);
    return rc;
  }
  q->max_recv = q->max_send = depth;
  list_init(&q->dirty);
  sock->backend = q;
  return 0;
}

/* The socket's last completion has been dequeued (closesocket already freed
 * the RIO queue itself): give its slots back to the CQ. */
void rio_rq_detach(riox_sock *sock) {
  rio_rq_t *q = (rio_rq_t *)sock->backend;
  if (q == NULL) return;
  rio_cq_release(sock->loop, q->max_recv + q->max_send);
  list_remove(&q->dirty);
  q->defer_recv = q->defer_send = 0;
  free(q);
  sock->backend = NULL;
}

/* Make room for one more request of this kind, growing queue and CQ. */
static int rio__reserve(riox_sock *sock, rio_rq_t *q, int recv) {
  rio_loop_t *rl = rio_loop_of(sock->loop);
  uint32_t cur = recv ? q->max_recv : q->max_send, out = recv ? q->recv_out : q->send_out;
  uint32_t grown;
  BOOL ok;
  int rc;
  if (out < cur) return 0;
  if (cur >= RIO_RQ_MAX)
    return error_detail(RIOX_ENOBUFS, "RIO request queue full: %u %s outstanding (the maximum)", out,
                        recv ? "receives" : "sends");
  grown = cur * 2 > RIO_RQ_MAX ? RIO_RQ_MAX : cur * 2;
  rc = rio_cq_reserve(sock->loop, grown - cur);
  if (rc < 0) return rc;
  LOOP_OSCALL(sock->loop);
  ok = RIO_FAULT("RIOResizeRequestQueue", RIOX_TEST_FAULT_NOMEM, FALSE,
                 rl->fn.RIOResizeRequestQueue(q->rq, recv ? grown : q->max_recv, recv ? q->max_send : grown));
  if (!ok && WSAGetLastError() == WSAENOBUFS && rio_cq_grow(sock->loop, grown - cur) == 0) {
    LOOP_OSCALL(sock->loop); /* as in rio_rq_attach: grow the CQ, retry once */
    ok = rl->fn.RIOResizeRequestQueue(q->rq, recv ? grown : q->max_recv, recv ? q->max_send : grown);
  }
  if (!ok) {
    rc = sock_wsa_error("RIOResizeRequestQueue");
    rio_cq_release(sock->loop, grown - cur);
    return rc;
  }
  if (recv) q->max_recv = grown;
  else q->max_send = grown;
  return 0;
}

static int rio__slice(riox_loop *loop, const char *data, uint32_t len, RIO_BUF *buf) {
  uint32_t slot, region, offset;
  if (pool_locate(&loop->pool, data, len, &slot, &region, &offset) < 0)
    return error_detail(RIOX_EINVAL, "RIO: buffer outside the registered pool");
  buf->BufferId = (RIO_BUFFERID)loop->pool.regions[region].user;
  buf->Offset = offset;
  buf->Length = len;
  return 0;
}

/* A request's slot: an index into the registered address array and, when
 * needed, the control array (one slot per request: max_requests of each). */
static int rio__slot(rio_loop_t *rl, req_t *req) {
  if (req->backend_data != 0) return 0;
  if (rl->addr_nfree == 0) return error_detail(RIOX_ENOBUFS, "RIO: no address slot free");
  req->backend_data = (uint64_t)rl->addr_free[--rl->addr_nfree] + 1;
  return 0;
}

static int rio__addr_slot(rio_loop_t *rl, req_t *req, RIO_BUF *buf) {
  int rc = rio__slot(rl, req);
  if (rc < 0) return rc;
  buf->BufferId = rl->addr_id;
  buf->Offset = (ULONG)(req->backend_data - 1) * (ULONG)sizeof(SOCKADDR_INET);
  buf->Length = (ULONG)sizeof(SOCKADDR_INET);
  return 0;
}

/* The control array, registered once, the first time a socket needs it:
 * loops that never ask for PKTINFO or offloads pay nothing. Control data
 * must be in registered memory like every RIO_BUF (RIOReceiveEx: "a buffer
 * slice"), hence not in the request itself as on IOCP. */
static int rio__ctrl_region(riox_loop *loop) {
  rio_loop_t *rl = rio_loop_of(loop);
  SIZE_T size = (SIZE_T)rl->naddrs * RIO_CTRL_SLOT;
  if (rl->ctrls != NULL) return 0;
  rl->ctrls = (char *)OSCALL_VALLOC(size);
  if (rl->ctrls == NULL)
    return error_detail(RIOX_ENOMEM, "no memory for %u RIO control slots", rl->naddrs);
  LOOP_OSCALL(loop);
  rl->ctrl_id = RIO_FAULT("RIORegisterBuffer", RIOX_TEST_FAULT_NOMEM, RIO_INVALID_BUFFERID,
                          rl->fn.RIORegisterBuffer(rl->ctrls, (DWORD)size));
  if (rl->ctrl_id == RIO_INVALID_BUFFERID) {
    int err = WSAGetLastError();
    VirtualFree(rl->ctrls, 0, MEM_RELEASE);
    rl->ctrls = NULL;
    return error_detail(error_from_win32((uint32_t)err),
                        "RIORegisterBuffer(control slots) failed: WSA error %d", err);
  }
  return 0;
}

/* The request's control slot (its slot taken already) as a RIO_BUF of len
 * bytes; returns its RIO_CMSG_BUFFER. */
static char *rio__ctrl_slot(rio_loop_t *rl, const req_t *req, uint32_t len, RIO_BUF *buf) {
  uint32_t idx = (uint32_t)(req->backend_data - 1);
  buf->BufferId = rl->ctrl_id;
  buf->Offset = idx * RIO_CTRL_SLOT;
  buf->Length = len;
  return rl->ctrls + (size_t)idx * RIO_CTRL_SLOT;
}

static void rio__addr_free(rio_loop_t *rl, req_t *req) {
  if (req->backend_data == 0) return;
  rl->addr_free[rl->addr_nfree++] = (uint32_t)(req->backend_data - 1);
  req->backend_data = 0;
}

void rio_rq_dequeued(riox_loop *loop, req_t *req) {
  rio_loop_t *rl = rio_loop_of(loop);
  rio_rq_t *q = (rio_rq_t *)req->sock->backend;
  list_remove(&req->node); /* off rl->posted */
  if (req->kind == REQ_RECV) {
    q->recv_out--;
    if (req->backend_data != 0)
      memcpy(&req->u.addr, &rl->addrs[req->backend_data - 1], sizeof(SOCKADDR_INET));
    if (req->backend_data != 0 && win_sock_rx_ctrl(req->sock) && rl->ctrls != NULL) {
      /* What RIO wrote into the RIO_CMSG_BUFFER: TotalLength bytes, the
       * control messages after the header (bounded by the slot, whatever
       * it says). */
      const char *c = rl->ctrls + (size_t)(req->backend_data - 1) * RIO_CTRL_SLOT;
      ULONG total;
      memcpy(&total, c, sizeof total);
      if (total > RIO_CTRL_SLOT) total = RIO_CTRL_SLOT;
      if (total > RIO_CMSG_BASE)
        win_cmsg_recv(req->sock, req, c + RIO_CMSG_BASE, (uint32_t)(total - RIO_CMSG_BASE));
    }
  } else {
    q->send_out--;
    if (req->sock->kind == SK_UDP && --rl->udp_sends_out == 0) rl->quiet = 0;
  }
  rio__addr_free(rl, req);
}

/* RIO took req: one completion will follow (from the CQ, or from
 * rio_rq_abandon_all should the CQ turn corrupt first). */
static void rio__posted(riox_loop *loop, req_t *req) {
  list_insert_tail(&rio_loop_of(loop)->posted, &req->node);
}

static int rio__commit(riox_loop *loop, rio_rq_t *q, int all);

void rio_rq_abandon_all(riox_loop *loop) {
  rio_loop_t *rl = rio_loop_of(loop);
  list_node_t *node;
  /* Deferred posts are committed one last time, so that every request is
   * one the kernel knows before its socket is closed (nothing documents
   * what closesocket does with uncommitted ones), then completed below with
   * the rest. Nothing is committed on the dead loop after this. */
  while ((node = list_pop_front(&rl->dirty)) != NULL) {
    rio_rq_t *q = container_of(node, rio_rq_t, dirty);
    (void)rio__commit(loop, q, 1);
    q->defer_recv = q->defer_send = 0;
  }
  /* RIO may still own these buffers (a corrupt CQ says nothing about the
   * I/O behind it), yet completing the requests is the documented choice:
   * RIO delivers a request's completion only through its CQ, and this CQ
   * can never deliver it. Without an event here a request would stay
   * pending for ever, breaking "every posted operation yields exactly one
   * event", and its socket could never close. The memory RIO may still
   * write is kept: loop_fini (rio.c) leaks the registered buffers and address
   * slots of a loop that abandoned requests (rl->abandoned). */
  while ((node = list_pop_front(&rl->posted)) != NULL) {
    req_t *req = container_of(node, req_t, node);
    rio_rq_t *q = (rio_rq_t *)req->sock->backend;
    if (req->kind == REQ_RECV) q->recv_out--;
    else q->send_out--;
    if (req->kind != REQ_RECV && req->sock->kind == SK_UDP && --rl->udp_sends_out == 0) rl->quiet = 0;
    req->backend_data = 0; /* its address slot is never reused either */
    rl->abandoned++;
    loop_complete_inline(loop, req, RIOX_ELOOP, 0);
  }
}

static void rio__mark_dirty(riox_loop *loop, rio_rq_t *q, int recv) {
  if (recv) q->defer_recv++;
  else q->defer_send++;
  if (!list_linked(&q->dirty)) list_insert_tail(&rio_loop_of(loop)->dirty, &q->dirty);
}

/* Did RIO take the request? TRUE, and also FALSE with WSA_IO_PENDING: the
 * RIOSend, RIOSendEx, RIOReceive and RIOReceiveEx pages list WSA_IO_PENDING
 * among the failure codes, meaning the request was queued and its completion
 * will follow -- completing it here too would give it two completions. */
static int rio__accepted(BOOL ok) { return ok || WSAGetLastError() == WSA_IO_PENDING; }

/* A post the OS refused: report it as the request's completion (as IOCP
 * does for I/O that fails at once), never as a lost request. */
static int rio__refused(riox_loop *loop, req_t *req, const char *what) {
  int err = WSAGetLastError();
  rio__addr_free(rio_loop_of(loop), req);
  req->post_failed = 1; /* never swallowed as an ICMP report (sock_recv_swallow) */
  loop_complete_inline(loop, req,
                       error_detail(error_from_win32((uint32_t)err), "%s failed: WSA error %d", what, err),
                       0);
  return 0;
}

static void rio__recv_done(riox_loop *loop, req_t *req, int status, uint32_t bytes);

int rio_rq_recv(riox_sock *sock, req_t *req) {
  riox_loop *loop = sock->loop;
  rio_loop_t *rl = rio_loop_of(loop);
  rio_rq_t *q = (rio_rq_t *)sock->backend;
  RIO_BUF data, addr, ctrl;
  PRIO_BUF pctrl = NULL;
  BOOL ok;
  int rc;
  if (rl->dead) return rio_dead_error("riox_recv");
  rc = rio__reserve(sock, q, 1);
  if (rc == 0) rc = rio__slice(loop, req->data, req->len, &data);
  if (rc == 0 && sock->kind == SK_UDP && win_sock_rx_ctrl(sock)) rc = rio__ctrl_region(loop);
  if (rc == 0 && sock->kind == SK_UDP) rc = rio__addr_slot(rl, req, &addr);
  if (rc < 0) return rc;
  req->complete = rio__recv_done;
  req->post_failed = 0;
  req->has_addr = (uint8_t)(sock->kind == SK_UDP);
  if (sock->kind == SK_UDP) win_cmsg_recv_reset(req);
  if (sock->kind == SK_UDP && win_sock_rx_ctrl(sock)) {
    /* PKTINFO / URO: RIO returns the control messages WSARecvMsg would, in
     * the RIO_CMSG_BUFFER of pControlContext (the way msquic's RIO path
     * read IN_PKTINFO and UDP_COALESCED_INFO). Zeroed, so a completion
     * that wrote none reads as empty. pLocalAddress stays NULL: IN_PKTINFO
     * also names the interface, which riox reports. */
    char *c = rio__ctrl_slot(rl, req, RIO_CTRL_SLOT, &ctrl);
    memset(c, 0, RIO_CTRL_SLOT);
    pctrl = &ctrl;
  }
  /* Deferred: a ring operation, no kernel call (RIO_MSG_DEFER only inserts
   * the request into the queue: LPFN_RIORECEIVE); committed at the next
   * flush. */
  LOOP_RINGOP(loop);
  if (sock->kind == SK_UDP)
    ok = RIO_FAULT("RIOReceiveEx", RIO_F_POST, FALSE,
                   rl->fn.RIOReceiveEx(q->rq, &data, 1, NULL, &addr, pctrl, NULL, RIO_MSG_DEFER, req));
  else
    ok = RIO_FAULT("RIOReceive", RIO_F_POST, FALSE, rl->fn.RIOReceive(q->rq, &data, 1, RIO_MSG_DEFER, req));
  if (!rio__accepted(ok)) return rio__refused(loop, req, "RIOReceive");
  rio__posted(loop, req);
  q->recv_out++;
  rio__mark_dirty(loop, q, 1);
  return 0;
}

static void rio__recv_done(riox_loop *loop, req_t *req, int status, uint32_t bytes) {
  /* A swallowed ICMP report: the receive is re-posted at the next wait. */
  if (sock_recv_swallow(req, status)) return;
  sock_io_complete(loop, req, status, bytes);
}

static void rio__send_done(riox_loop *loop, req_t *req, int status, uint32_t bytes);

/* A post with RIO_MSG_DEFER only inserts the request into the request queue
 * ("does not need to be executed immediately": LPFN_RIOSEND), a user-mode
 * ring operation; without it the call starts the queue's sends, a kernel
 * entry. */
static void rio__count_post(riox_loop *loop, DWORD rflags) {
  if (rflags & RIO_MSG_DEFER) LOOP_RINGOP(loop);
  else LOOP_OSCALL(loop);
}

/* A UDP send is one datagram per RIOSendEx, or -- a segmented send where
 * the loop uses USO -- all of them in one, with UDP_SEND_MSG_SIZE in its
 * control data (riox.h, "Segmentation offload"). Without USO the datagrams
 * go one after the other: the next is issued when the previous one's result
 * is dequeued (rio__send_done, sock_send_continue), so one send slot of the
 * request queue is used at a time, the wire order is the buffer's, and the
 * request yields one event at the end. A source address (msg.from) rides
 * as IN_PKTINFO / IN6_PKTINFO in the same control data: RIOSendEx's
 * pLocalAddress "is reserved and must be NULL", and msquic's RIO path sent
 * its source address and segment size this way (a RIO_CMSG_BUFFER whose
 * TotalLength covers the messages, in pControlContext). */
static int rio__issue_send(riox_sock *sock, req_t *req, uint32_t flags) {
  riox_loop *loop = sock->loop;
  rio_loop_t *rl = rio_loop_of(loop);
  rio_rq_t *q = (rio_rq_t *)sock->backend;
  RIO_BUF data, addr, ctrl;
  PRIO_BUF pdata = &data, paddr = NULL, pctrl = NULL;
  ULONG count = 1;
  DWORD rflags = (flags & RIOX_SEND_DEFER) ? RIO_MSG_DEFER : 0;
  uint32_t len = req->len - req->done, seg = 0;
  BOOL ok;
  int rc;
  /* Quiet sends. A UDP send posted while a RIONotify is armed would fire
   * it with its own completion (a send completes in microseconds), and the
   * loop, waiting for the answer to that send, would wake once for nothing
   * and arm again: two kernel calls per send. Posted with
   * RIO_MSG_DONT_NOTIFY ("the request should not trigger the RIONotify
   * function when the request completion is inserted into its completion
   * queue": LPFN_RIOSEND), it leaves the notification to the receives.
   * Such a completion never wakes a wait, so no wait may sleep while one
   * can be outstanding: rio_cq_before_wait does not sleep (timeout 0)
   * while `quiet` is set, i.e. until every UDP send of the loop has been
   * dequeued. UDP only: a TCP send can stay pending as long as the peer
   * does not read, and the loop must not poll meanwhile. */
  if (sock->kind == SK_UDP && rl->armed) rflags |= RIO_MSG_DONT_NOTIFY;
  if (rl->dead) return rio_dead_error(req->has_addr ? "riox_sendto" : "riox_send");
  rc = rio__reserve(sock, q, 0);
  if (rc < 0) return rc;
  if (sock->kind == SK_UDP) {
    seg = loop->ext.uso && req->seg_size != 0 ? req->seg_size : 0;
    if (seg == 0) len = sock_seg_next(req);
  }
  if (len == 0) {
    pdata = NULL; /* an empty datagram: no data buffer (UDP only) */
    count = 0;
  } else {
    rc = rio__slice(loop, req->data + req->done, len, &data);
    if (rc < 0) return rc;
  }
  req->complete = rio__send_done;
  if (sock->kind == SK_UDP && (seg != 0 || req->local.family != 0)) {
    char *c;
    ULONG total;
    rc = rio__ctrl_region(loop);
    if (rc == 0) rc = rio__slot(rl, req);
    if (rc < 0) return rc;
    c = rio__ctrl_slot(rl, req, 0, &ctrl);
    total = (ULONG)(RIO_CMSG_BASE + win_cmsg_send(c + RIO_CMSG_BASE, WIN_CTRL_SIZE, sock, req, seg));
    memcpy(c, &total, sizeof total);
    ctrl.Length = total;
    pctrl = &ctrl;
  }
  if (sock->kind == SK_UDP && req->has_addr) {
    rc = rio__addr_slot(rl, req, &addr);
    if (rc < 0) {
      rio__addr_free(rl, req);
      return rc;
    }
    memset(&rl->addrs[req->backend_data - 1], 0, sizeof(SOCKADDR_INET));
    memcpy(&rl->addrs[req->backend_data - 1], &req->u.addr,
           (size_t)req->addrlen < sizeof(SOCKADDR_INET) ? (size_t)req->addrlen : sizeof(SOCKADDR_INET));
    paddr = &addr;
  }
  if (paddr != NULL || pctrl != NULL) {
    rio__count_post(loop, rflags);
    ok = RIO_FAULT("RIOSendEx", RIO_F_POST, FALSE,
                   rl->fn.RIOSendEx(q->rq, pdata, count, NULL, paddr, pctrl, NULL, rflags, req));
  } else {
    rio__count_post(loop, rflags);
    ok = RIO_FAULT("RIOSend", RIO_F_POST, FALSE, rl->fn.RIOSend(q->rq, pdata, count, rflags, req));
  }
  if (!rio__accepted(ok)) return rio__refused(loop, req, "RIOSend");
  rio__posted(loop, req);
  q->send_out++;
  if (sock->kind == SK_UDP) rl->udp_sends_out++;
  if (rflags & RIO_MSG_DONT_NOTIFY) rl->quiet = 1; /* taken: one completion will come */
  if (rflags & RIO_MSG_DEFER) {
    rio__mark_dirty(loop, q, 0);
  } else {
    /* This send committed the queue's deferred sends (not its receives). */
    q->defer_send = 0;
    if (!q->defer_recv) list_remove(&q->dirty);
  }
  return 0;
}

int rio_rq_send(riox_sock *sock, req_t *req, uint32_t flags) {
  return rio__issue_send(sock, req, flags);
}

static void rio__send_done(riox_loop *loop, req_t *req, int status, uint32_t bytes) {
  if (sock_send_continue(req, status, bytes)) {
    int rc = rio__issue_send(req->sock, req, 0);
    if (rc == 0) return;
    status = rc;
    bytes = 0;
  }
  sock_io_complete(loop, req, status, bytes);
}

/* Must the queue's deferred receives be committed now? Receives the kernel
 * already has (committed, not yet dequeued) keep the socket served, and the
 * first of them to complete wakes the loop (none is posted with
 * RIO_MSG_DONT_NOTIFY), which then decides again; so deferred receives wait
 * while they are no more than the committed ones, and one commit then
 * starts several (a server that keeps many receives posted commits about
 * once per half of them instead of once per datagram). With none committed
 * they go at once: the loop never sleeps on a socket the kernel has no
 * receive for. A closing socket (rio_rq_commit_closing) commits them all. */
static int rio__recv_commit_due(const rio_rq_t *q) {
  uint32_t committed = q->recv_out - q->defer_recv;
  return q->defer_recv > 0 && (committed == 0 || q->defer_recv > committed);
}

/* One queue's deferred posts, per direction (receives only when due, unless
 * `all`); returns the sends committed. A direction whose commit failed keeps
 * its count and sets commit_failed. */
static int rio__commit(riox_loop *loop, rio_rq_t *q, int all) {
  rio_loop_t *rl = rio_loop_of(loop);
  int n = 0;
  /* Each commit is a kernel entry: it hands the deferred requests to the
   * kernel for execution (RIO_MSG_COMMIT_ONLY, LPFN_RIOSEND/LPFN_RIORECEIVE). */
  if (q->defer_recv && (all || rio__recv_commit_due(q))) {
    LOOP_OSCALL(loop);
    if (rio__accepted(rl->fn.RIOReceive(q->rq, NULL, 0, RIO_MSG_COMMIT_ONLY, NULL)))
      q->defer_recv = 0;
    else
      rl->commit_failed = 1;
  }
  if (q->defer_send) {
    LOOP_OSCALL(loop);
    if (rio__accepted(rl->fn.RIOSend(q->rq, NULL, 0, RIO_MSG_COMMIT_ONLY, NULL))) {
      n = (int)q->defer_send;
      q->defer_send = 0;
    } else {
      rl->commit_failed = 1;
    }
  }
  return n;
}

void rio_rq_commit_closing(riox_loop *loop, rio_rq_t *q) {
  if (q->defer_recv || q->defer_send) (void)rio__commit(loop, q, 1);
  if (q->defer_recv || q->defer_send)
    /* The commit failed: the close still aborts what RIO holds, but say so. */
    error_detail(RIOX_EIO, "RIO commit before close failed: WSA error %d", WSAGetLastError());
  list_remove(&q->dirty);
  q->defer_recv = q->defer_send = 0;
}

int rio_rq_commit_all(riox_loop *loop) {
  rio_loop_t *rl = rio_loop_of(loop);
  list_node_t *node, retry;
  int n = 0;
  list_init(&retry);
  rl->commit_failed = 0;
  while ((node = list_pop_front(&rl->dirty)) != NULL) {
    rio_rq_t *q = container_of(node, rio_rq_t, dirty);
    n += rio__commit(loop, q, 0);
    /* A failed commit leaves the requests queued in RIO, charged and
     * unstarted: try again at the next flush (rio_cq_before_wait keeps the
     * wait short meanwhile, commit_failed). Receives held back (not due)
     * wait on the list for a later flush. A closed socket is never listed
     * here. */
    if (q->defer_recv || q->defer_send) list_insert_tail(&retry, &q->dirty);
  }
  while ((node = list_pop_front(&retry)) != NULL) list_insert_tail(&rl->dirty, node);
  return n;
}
