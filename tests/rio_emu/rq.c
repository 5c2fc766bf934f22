/* Request queues: RIOCreateRequestQueue, RIOResizeRequestQueue, ordering of
 * results, commits, and noticing that the socket was closed.
 *
 * RIO has no call that closes a request queue: closesocket frees it, aborts
 * what it holds and gives its capacity back to the CQ. The emulator learns of
 * the close from a "close marker": an overlapped SIO_ADDRESS_LIST_CHANGE
 * ioctl kept pending on the socket (with watch.c's shared low-bit event, so
 * the caller's completion port sees nothing, and no thread of its own). It
 * ends only when the address list changes (it is re-armed) or when the
 * socket is closed or its I/O cancelled (the queue is then treated as
 * closed: CancelIoEx on a RIO socket is outside what riox does, and under
 * Wine a closed socket's handle value is reused at once, so the handle
 * cannot be asked). Wine ends the marker inside
 * closesocket, so checking mark_ov before each use sees the close at once. */
#include "rio_emu_int.h"

static rio_emu_htab_t rq__tab;
static list_node_t rq__live = {&rq__live, &rq__live};

static void rq__free(rio_emu_rq_t *rq) {
  int dir;
  rio_emu_htab_clear(&rq__tab, rq->id);
  for (dir = 0; dir < 2; dir++)
    if (rq->cq[dir] != NULL) rio_emu_cq_put(rq->cq[dir]);
  free(rq);
}

void rio_emu_rq_put(rio_emu_rq_t *rq) {
  if (--rq->refs == 0) rq__free(rq);
}

/* The socket is gone: give back CQ capacity, abort what was never started. */
static void rq__closed(rio_emu_rq_t *rq) {
  int dir;
  if (rq->closed) return;
  rq->closed = 1;
  list_remove(&rq->live);
  rq->refs++; /* held across the drains below */
  for (dir = 0; dir < 2; dir++) {
    list_node_t *node;
    rq->cq[dir]->committed -= rq->max[dir];
    /* Deferred requests were never handed to the socket; closesocket
     * completes them with WSA_OPERATION_ABORTED, after the ones issued. */
    while ((node = list_pop_front(&rq->deferred[dir])) != NULL) {
      rio_emu_req_t *req = container_of(node, rio_emu_req_t, node);
      req->state = RIO_EMU_REQ_ISSUED;
      list_insert_tail(&rq->issued[dir], &req->node);
      rio_emu_io_finish(req, WSA_OPERATION_ABORTED, 0);
    }
    rio_emu_rq_drain(rq, dir);
  }
  rio_emu_rq_put(rq); /* the socket's reference */
  rio_emu_rq_put(rq);
}

static int rq__marker_ended(const rio_emu_rq_t *rq) {
  LONG st = (LONG)rq->mark_ov.Internal;
  return rq->mark_armed && st != STATUS_PENDING && st != 0;
}

void rio_emu_rq_check_closed(rio_emu_rq_t *rq) {
  if (!rq->closed && rq__marker_ended(rq)) rq__closed(rq);
}

void rio_emu_rq_reap(void) {
  list_node_t *node, *tmp;
  list_for_each_safe(node, tmp, &rq__live) {
    rio_emu_rq_t *rq = container_of(node, rio_emu_rq_t, live);
    rio_emu_rq_check_closed(rq);
  }
}

static void rq__marker_done(rio_emu_watch_t *w);

/* Start (or restart) the close marker. 0 or a WSA error. Lock held. */
static int rq__arm_marker(rio_emu_rq_t *rq) {
  DWORD bytes = 0;
  int rc;
  memset(&rq->mark_ov, 0, sizeof rq->mark_ov);
  rq->mark_ov.Internal = (ULONG_PTR)STATUS_PENDING; /* Wine leaves it alone until the end */
  rq->mark_ov.hEvent = rio_emu_watch_event();
  rc = WSAIoctl(rq->sock, SIO_ADDRESS_LIST_CHANGE, NULL, 0, NULL, 0, &bytes, &rq->mark_ov, NULL);
  if (rc != 0) rc = WSAGetLastError();
  rio_emu_watch_called();
  if (rc == 0) return WSAEOPNOTSUPP; /* completed at once: cannot watch for the close */
  if (rc != WSA_IO_PENDING) return rc;
  rq->refs++; /* the marker's reference */
  rq->mark_armed = 1;
  rio_emu_watch_add(&rq->mark_watch, &rq->mark_ov, rq__marker_done);
  return 0;
}

/* The watch thread saw the marker end (lock held). */
static void rq__marker_done(rio_emu_watch_t *w) {
  rio_emu_rq_t *rq = container_of(w, rio_emu_rq_t, mark_watch);
  if (!rq->closed && (LONG)rq->mark_ov.Internal == 0) {
    /* The address list changed; the socket is still open: watch again. */
    rq->mark_armed = 0;
    if (rq__arm_marker(rq) != 0) {
      rio_emu_misuse("RQ %lu: cannot re-arm the close marker; socket close will go unnoticed",
                     (unsigned long)rq->id);
    }
  } else {
    rq__closed(rq);
    rq->mark_armed = 0;
  }
  rio_emu_rq_put(rq); /* the ended marker's reference */
}

rio_emu_rq_t *rio_emu_rq_get(RIO_RQ h) {
  rio_emu_rq_t *rq = (rio_emu_rq_t *)rio_emu_htab_get(&rq__tab, (ULONG_PTR)h);
  if (rq == NULL) return NULL;
  rio_emu_rq_check_closed(rq);
  if (rq->closed) return NULL;
  rq->refs++;
  return rq;
}

void rio_emu_rq_drain(rio_emu_rq_t *rq, int dir) {
  rq->refs++; /* a release inside cq_push may drop the last other reference */
  while (!list_empty(&rq->issued[dir])) {
    rio_emu_req_t *req = container_of(rq->issued[dir].next, rio_emu_req_t, node);
    if (!req->done) break; /* results leave in issue order */
    list_remove(&req->node);
    rio_emu_cq_push(rq->cq[dir], req);
  }
  rio_emu_rq_put(rq);
}

void rio_emu_rq_commit(rio_emu_rq_t *rq, int dir) {
  list_node_t *node;
  rq->refs++;
  while ((node = list_pop_front(&rq->deferred[dir])) != NULL) {
    rio_emu_req_t *req = container_of(node, rio_emu_req_t, node);
    req->state = RIO_EMU_REQ_ISSUED;
    list_insert_tail(&rq->issued[dir], &req->node);
    rio_emu_io_start(req);
  }
  rio_emu_rq_drain(rq, dir);
  rio_emu_rq_put(rq);
}

/* Room on the CQs for `add` more receive / send capacity? Lock held. */
static int rq__cq_room(rio_emu_cq_t *rcq, rio_emu_cq_t *scq, ULONGLONG add_recv,
                       ULONGLONG add_send) {
  rio_emu_rq_reap();
  if (rcq == scq) return rcq->committed + add_recv + add_send <= rcq->size;
  return rcq->committed + add_recv <= rcq->size && scq->committed + add_send <= scq->size;
}

RIO_RQ PASCAL rio_emu_create_rq(SOCKET s, ULONG max_recv, ULONG recv_bufs, ULONG max_send,
                                ULONG send_bufs, RIO_CQ recv_cq, RIO_CQ send_cq, PVOID ctx) {
  rio_emu_cq_t *rcq, *scq;
  rio_emu_rq_t *rq;
  WSAPROTOCOL_INFOW info;
  int type = 0, len = sizeof type, ilen = sizeof info, err = 0, dir;
  rio_emu_init();
  if (rio_emu_fault_hit(RIO_EMU_FN_CREATE_RQ, &err)) {
    WSASetLastError(err);
    return RIO_INVALID_RQ;
  }
  if (recv_bufs != 1 || send_bufs != 1 || (max_recv == 0 && max_send == 0)) {
    WSASetLastError(WSAEINVAL);
    return RIO_INVALID_RQ;
  }
  if (getsockopt(s, SOL_SOCKET, SO_TYPE, (char *)&type, &len) != 0 ||
      getsockopt(s, SOL_SOCKET, SO_PROTOCOL_INFOW, (char *)&info, &ilen) != 0) {
    WSASetLastError(WSAENOTSOCK);
    return RIO_INVALID_RQ;
  }
  if (type != SOCK_STREAM && type != SOCK_DGRAM) {
    WSASetLastError(WSAEOPNOTSUPP);
    return RIO_INVALID_RQ;
  }
  rq = (rio_emu_rq_t *)calloc(1, sizeof *rq);
  if (rq == NULL) {
    WSASetLastError(WSAENOBUFS);
    return RIO_INVALID_RQ;
  }
  rq->sock = s;
  rq->type = type;
  rq->family = info.iAddressFamily;
  rq->ctx = (ULONGLONG)(ULONG_PTR)ctx;
  rq->max[RIO_EMU_RECV] = max_recv;
  rq->max[RIO_EMU_SEND] = max_send;
  list_init(&rq->live);
  for (dir = 0; dir < 2; dir++) {
    list_init(&rq->deferred[dir]);
    list_init(&rq->issued[dir]);
  }
  rio_emu_lock();
  rcq = rio_emu_cq_find(recv_cq);
  scq = rio_emu_cq_find(send_cq);
  if (rcq == NULL || scq == NULL) {
    err = WSAEINVAL;
  } else if (!rq__cq_room(rcq, scq, max_recv, max_send)) {
    /* Every RQ's outstanding capacity must fit its CQs at all times. */
    err = WSAENOBUFS;
  } else {
    rq->refs = 1; /* the socket's */
    err = rq__arm_marker(rq);
  }
  if (err == 0) {
    rq->id = rio_emu_htab_add(&rq__tab, rq);
    if (rq->id == 0) {
      /* Cannot happen before 2^30 queues; the marker stays, harmlessly. */
      err = WSAENOBUFS;
    }
  }
  if (err != 0) {
    if (rq->refs == 0) {
      free(rq);
    } else {
      /* The marker holds it: it is freed when the marker ends. */
      rq->closed = 1;
      rq->refs--;
      rq->cq[0] = rq->cq[1] = NULL;
    }
    rio_emu_unlock();
    WSASetLastError(err);
    return RIO_INVALID_RQ;
  }
  rq->cq[RIO_EMU_RECV] = rcq;
  rq->cq[RIO_EMU_SEND] = scq;
  rio_emu_cq_ref(rcq);
  rio_emu_cq_ref(scq);
  rcq->committed += max_recv;
  scq->committed += max_send;
  list_insert_tail(&rq__live, &rq->live);
  rio_emu_unlock();
  return (RIO_RQ)(ULONG_PTR)rq->id;
}

BOOL PASCAL rio_emu_resize_rq(RIO_RQ h, DWORD max_recv, DWORD max_send) {
  rio_emu_rq_t *rq;
  int err = 0;
  rio_emu_init();
  if (rio_emu_fault_hit(RIO_EMU_FN_RESIZE_RQ, &err)) {
    WSASetLastError(err);
    return FALSE;
  }
  rio_emu_enter(RIO_EMU_GUARD_RQ, (ULONG_PTR)h, "RIOResizeRequestQueue");
  rio_emu_lock();
  rq = rio_emu_rq_get(h);
  if (rq == NULL || (max_recv == 0 && max_send == 0)) {
    if (rq != NULL) rio_emu_rq_put(rq);
    rio_emu_unlock();
    rio_emu_leave(RIO_EMU_GUARD_RQ, (ULONG_PTR)h);
    WSASetLastError(WSAEINVAL);
    return FALSE;
  }
  if (max_recv < rq->out[RIO_EMU_RECV] || max_send < rq->out[RIO_EMU_SEND]) {
    err = WSAETOOMANYREFS; /* smaller than what is outstanding now */
  } else {
    ULONGLONG add_r = max_recv > rq->max[RIO_EMU_RECV] ? max_recv - rq->max[RIO_EMU_RECV] : 0;
    ULONGLONG add_s = max_send > rq->max[RIO_EMU_SEND] ? max_send - rq->max[RIO_EMU_SEND] : 0;
    if (!rq__cq_room(rq->cq[RIO_EMU_RECV], rq->cq[RIO_EMU_SEND], add_r, add_s)) {
      err = WSAENOBUFS; /* the CQ must be grown first */
    } else if (!rq->closed) {
      rq->cq[RIO_EMU_RECV]->committed += (ULONGLONG)max_recv;
      rq->cq[RIO_EMU_RECV]->committed -= rq->max[RIO_EMU_RECV];
      rq->cq[RIO_EMU_SEND]->committed += (ULONGLONG)max_send;
      rq->cq[RIO_EMU_SEND]->committed -= rq->max[RIO_EMU_SEND];
      rq->max[RIO_EMU_RECV] = max_recv;
      rq->max[RIO_EMU_SEND] = max_send;
    } else {
      err = WSAEINVAL;
    }
  }
  rio_emu_rq_put(rq);
  rio_emu_unlock();
  rio_emu_leave(RIO_EMU_GUARD_RQ, (ULONG_PTR)h);
  if (err != 0) {
    WSASetLastError(err);
    return FALSE;
  }
  return TRUE;
}
