/* Request queues: RIOCreateRequestQueue, RIOResizeRequestQueue, ordering of
 * results, commits, and the socket's close.
 *
 * RIO has no call that closes a request queue: closesocket frees it, aborts
 * what it holds and gives its capacity back to the CQ. The emulator sees the
 * close through the socket-call table (sock.c), at the moment it happens,
 * before Wine reuses the handle value for the next socket. CancelIoEx on the
 * socket is NOT a close: it cancels the I/O behind the requests, which then
 * complete with WSA_OPERATION_ABORTED, and the queue stays usable. */
#include "rio_emu_int.h"

static rio_emu_htab_t rq__tab;
static int rq__refuse_err; /* rio_emu_set_rq_refused */
static int rq__env_read;   /* RIOX_RIO_EMU_REFUSE_RQ looked at */

/* The environment sets the model for whole programs (riox-probe). Lock held. */
static void rq__read_env(void) {
  char v[16];
  DWORD n;
  if (rq__env_read) return;
  rq__env_read = 1;
  n = GetEnvironmentVariableA("RIOX_RIO_EMU_REFUSE_RQ", v, sizeof v);
  if (n > 0 && n < sizeof v && rq__refuse_err == 0) rq__refuse_err = atoi(v);
}
static LONG rq__closed_seq;

void rio_emu_set_rq_refused(int err) {
  rio_emu_init();
  rio_emu_lock();
  rq__env_read = 1; /* an explicit choice wins over the environment */
  rq__refuse_err = err;
  rio_emu_unlock();
}

LONG rio_emu_closed_status(void) {
  /* The documented one first, then what msquic saw on closed sockets. */
  static const LONG statuses[] = {WSA_OPERATION_ABORTED, WSAENOTSOCK, ERROR_NETNAME_DELETED,
                                  WSAECONNRESET};
  return statuses[(rq__closed_seq++) % 4];
}

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

void rio_emu_rq_socket_closed(rio_emu_rq_t *rq) {
  int dir;
  if (rq->closed) return;
  rq->closed = 1;
  rq->refs++; /* held across the drains below */
  for (dir = 0; dir < 2; dir++) {
    list_node_t *node;
    rio_emu_cq_uncommit(rq->cq[dir], rq->max[dir]);
    /* Deferred requests were never handed to the socket (sock.c reported
     * that as misuse); they end as aborted, after the ones issued. */
    while ((node = list_pop_front(&rq->deferred[dir])) != NULL) {
      rio_emu_req_t *req = container_of(node, rio_emu_req_t, node);
      req->state = RIO_EMU_REQ_ISSUED;
      list_insert_tail(&rq->issued[dir], &req->node);
      rio_emu_io_finish(req, rio_emu_closed_status(), 0);
    }
    rio_emu_rq_drain(rq, dir);
  }
  rio_emu_rq_put(rq); /* the socket's reference */
  rio_emu_rq_put(rq);
}

rio_emu_rq_t *rio_emu_rq_get(RIO_RQ h) {
  rio_emu_rq_t *rq = (rio_emu_rq_t *)rio_emu_htab_get(&rq__tab, (ULONG_PTR)h);
  if (rq == NULL || rq->closed) return NULL;
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
  rio_emu_cq_release_due(rcq);
  rio_emu_cq_release_due(scq);
  if (rcq == scq) return rcq->committed + add_recv + add_send <= rcq->size;
  return rcq->committed + add_recv <= rcq->size && scq->committed + add_send <= scq->size;
}

RIO_RQ PASCAL rio_emu_create_rq(SOCKET s, ULONG max_recv, ULONG recv_bufs, ULONG max_send,
                                ULONG send_bufs, RIO_CQ recv_cq, RIO_CQ send_cq, PVOID ctx) {
  rio_emu_cq_t *rcq, *scq;
  rio_emu_rq_t *rq;
  rio_emu_sock_t *rec;
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
  for (dir = 0; dir < 2; dir++) {
    list_init(&rq->deferred[dir]);
    list_init(&rq->issued[dir]);
  }
  rio_emu_lock();
  rcq = rio_emu_cq_find(recv_cq);
  scq = rio_emu_cq_find(send_cq);
  rec = rio_emu_sock_find(s);
  rq__read_env();
  if (rq__refuse_err != 0) {
    err = rq__refuse_err; /* rio_emu_set_rq_refused: a machine that refuses queues */
  } else if (rec == NULL || !(rec->flags & WSA_FLAG_REGISTERED_IO)) {
    /* Not created with WSA_FLAG_REGISTERED_IO (an accept()ed socket never
     * is: the flag is not inherited), or not through the socket table. */
    err = WSAEINVAL;
  } else if (rec->rq != NULL) {
    err = WSAEINVAL; /* one request queue per socket, for its lifetime */
  } else if (rcq == NULL || scq == NULL) {
    err = WSAEINVAL;
  } else if (!rq__cq_room(rcq, scq, max_recv, max_send)) {
    /* Every RQ's outstanding capacity must fit its CQs at all times. */
    err = WSAENOBUFS;
  } else {
    rq->id = rio_emu_htab_add(&rq__tab, rq);
    if (rq->id == 0) err = WSAENOBUFS; /* cannot happen before 2^30 queues */
  }
  if (err != 0) {
    rio_emu_unlock();
    free(rq);
    WSASetLastError(err);
    return RIO_INVALID_RQ;
  }
  rq->refs = 1; /* the socket's, dropped at closesocket */
  rq->cq[RIO_EMU_RECV] = rcq;
  rq->cq[RIO_EMU_SEND] = scq;
  rio_emu_cq_ref(rcq);
  rio_emu_cq_ref(scq);
  rcq->committed += max_recv;
  scq->committed += max_send;
  rec->rq = rq;
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
    /* No CQ-room check here: the RIOResizeRequestQueue page documents none
     * (only RIOCreateRequestQueue's "not enough room" WSAENOBUFS); the
     * caller's accounting must keep the CQ big enough (issue 8, item 10). */
    if (!rq->closed) {
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
