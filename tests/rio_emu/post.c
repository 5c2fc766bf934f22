/* RIOSend, RIOSendEx, RIOReceive, RIOReceiveEx: validation, charging,
 * RIO_MSG_DEFER and RIO_MSG_COMMIT_ONLY.
 *
 * A post that returns TRUE yields exactly one result; one that returns FALSE
 * changed nothing -- except FALSE with WSA_IO_PENDING (injected only), which
 * is accepted like TRUE. A request is charged against its RQ direction and its CQ
 * from the post until its result is dequeued, deferred or not. Commits are
 * per direction, as documented: deferred receives start with the next
 * receive call without RIO_MSG_DEFER (or a receive COMMIT_ONLY), deferred
 * sends with the next such send call. */
#include "rio_emu_int.h"

#define POST__KNOWN_FLAGS \
  (RIO_MSG_DONT_NOTIFY | RIO_MSG_DEFER | RIO_MSG_WAITALL | RIO_MSG_COMMIT_ONLY)

LONG rio_emu_charged;
static list_node_t post__free = {&post__free, &post__free};
/* Requests accepted under rio_emu_stuck_nth: charged for good, on no RQ or
 * CQ list, so no commit, socket close or CQ close ever reaches them. */
static list_node_t post__stuck = {&post__stuck, &post__stuck};

static rio_emu_req_t *post__alloc(void) {
  list_node_t *node = list_pop_front(&post__free);
  rio_emu_req_t *req;
  if (node != NULL) {
    req = container_of(node, rio_emu_req_t, node);
  } else {
    req = (rio_emu_req_t *)calloc(1, sizeof *req);
    if (req == NULL) return NULL;
    list_init(&req->node);
  }
  return req;
}

void rio_emu_req_release(rio_emu_req_t *req) {
  rio_emu_rq_t *rq = req->rq;
  int i;
  rq->out[req->dir]--;
  rq->cq[req->dir]->used--;
  for (i = 0; i < req->nref; i++) rio_emu_buf_unref(req->ref[i]);
  rio_emu_charged--;
  req->state = RIO_EMU_REQ_FREE;
  req->rq = NULL;
  req->nref = 0;
  list_insert_tail(&post__free, &req->node);
  rio_emu_rq_put(rq);
}

/* Check an optional slice; on success remember its registration. */
static int post__slice(const RIO_BUF *b, ULONG min_len, rio_emu_reg_t **refs, int *nref,
                       char **out) {
  rio_emu_reg_t *reg;
  int err;
  *out = NULL;
  if (b == NULL) return 0;
  err = rio_emu_buf_slice(b, min_len, &reg);
  if (err != 0) return err;
  refs[(*nref)++] = reg;
  *out = rio_emu_buf_ptr(reg, b);
  return 0;
}

static int post__validate(const rio_emu_rq_t *rq, int dir, PRIO_BUF data, ULONG count,
                          PRIO_BUF local, PRIO_BUF remote, DWORD flags) {
  if (flags & ~(DWORD)(RIO_MSG_DONT_NOTIFY | RIO_MSG_DEFER | RIO_MSG_WAITALL)) return WSAEINVAL;
  /* WAITALL is a receive flag, and a stream one ("not supported on UDP"). */
  if ((flags & RIO_MSG_WAITALL) && (dir == RIO_EMU_SEND || rq->type != SOCK_STREAM))
    return WSAEINVAL;
  if (count > 1 || (count == 1) != (data != NULL)) return WSAEINVAL;
  /* No data buffer is allowed only on UDP (an empty or ignored payload). */
  if (count == 0 && rq->type != SOCK_DGRAM) return WSAEINVAL;
  if (dir == RIO_EMU_SEND && local != NULL) return WSAEINVAL; /* "reserved, must be NULL" */
  if (rq->type == SOCK_STREAM && (local != NULL || remote != NULL)) return WSAEINVAL;
  return 0;
}

/* The answer of a post that was accepted: TRUE, or -- injected with
 * rio_emu_pending_nth -- FALSE with WSA_IO_PENDING, which the RIOSend and
 * RIOReceive pages list among the failure codes although the request was
 * queued and its completion will follow. */
static BOOL post__accepted(int fault) {
  if (fault != RIO_EMU_FAULT_PENDING) return TRUE;
  WSASetLastError(WSA_IO_PENDING);
  return FALSE;
}

static BOOL post__do(enum rio_emu_fn fn, int dir, RIO_RQ h, PRIO_BUF data, ULONG count,
                     PRIO_BUF local, PRIO_BUF remote, PRIO_BUF control, PRIO_BUF pflags,
                     DWORD flags, PVOID ctx) {
  static const char *const names[] = {"RIOReceive", "RIOReceiveEx", "RIOSend", "RIOSendEx"};
  rio_emu_rq_t *rq;
  rio_emu_cq_t *cq;
  rio_emu_req_t *req;
  rio_emu_reg_t *refs[RIO_EMU_MAX_REFS];
  char *pdata = NULL, *plocal = NULL, *premote = NULL, *pcontrol = NULL, *ppflags = NULL;
  int nref = 0, err = 0, i, fault, fault_err;
  ULONG cap;
  rio_emu_init();
  fault = rio_emu_fault_take(fn, &err);
  if (fault == RIO_EMU_FAULT_FAIL) {
    WSASetLastError(err);
    return FALSE;
  }
  cap = fault == RIO_EMU_FAULT_PARTIAL ? (ULONG)err : 0;
  fault_err = err;
  err = 0;
  if (flags & ~(DWORD)POST__KNOWN_FLAGS) {
    WSASetLastError(WSAEINVAL);
    return FALSE;
  }
  if (flags & RIO_MSG_COMMIT_ONLY) {
    /* Alone, with nothing else; callers need not serialize it. */
    if (flags != RIO_MSG_COMMIT_ONLY || data != NULL || count != 0 || local != NULL ||
        remote != NULL || control != NULL || pflags != NULL || ctx != NULL) {
      WSASetLastError(WSAEINVAL);
      return FALSE;
    }
    rio_emu_lock();
    rq = rio_emu_rq_get(h);
    if (rq != NULL) {
      rio_emu_rq_commit(rq, dir);
      rio_emu_rq_put(rq);
    }
    rio_emu_unlock();
    if (rq == NULL) WSASetLastError(WSAEINVAL);
    return rq != NULL ? post__accepted(fault) : FALSE;
  }
  rio_emu_enter(RIO_EMU_GUARD_RQ, (ULONG_PTR)h, names[fn]);
  rio_emu_lock();
  rq = rio_emu_rq_get(h);
  cq = rq != NULL ? rq->cq[dir] : NULL;
  err = rq == NULL ? WSAEINVAL : post__validate(rq, dir, data, count, local, remote, flags);
  if (err == 0) err = post__slice(data, 0, refs, &nref, &pdata);
  if (err == 0) err = post__slice(local, sizeof(SOCKADDR_INET), refs, &nref, &plocal);
  if (err == 0) err = post__slice(remote, sizeof(SOCKADDR_INET), refs, &nref, &premote);
  if (err == 0)
    err = post__slice(control, dir == RIO_EMU_RECV ? RIO_EMU_CMSG_BASE_SIZE : 0, refs, &nref,
                      &pcontrol);
  if (err == 0) err = post__slice(pflags, sizeof(ULONG), refs, &nref, &ppflags);
  /* A send's control data is input (ctrl.c): checked now. */
  if (err == 0 && dir == RIO_EMU_SEND && pcontrol != NULL)
    err = rio_emu_ctrl_check_send(pcontrol, control->Length);
  if (err == 0 && cq->closed) err = WSAEINVAL; /* "integrity of the CQ compromised" */
  /* Over the RQ's outstanding limit, or the CQ full: WSAENOBUFS. */
  if (err == 0 && (rq->out[dir] >= rq->max[dir] || cq->used >= cq->size)) err = WSAENOBUFS;
  req = NULL;
  if (err == 0) {
    req = post__alloc();
    if (req == NULL) err = WSAENOBUFS;
  }
  if (err != 0) {
    if (rq != NULL) rio_emu_rq_put(rq);
    rio_emu_unlock();
    rio_emu_leave(RIO_EMU_GUARD_RQ, (ULONG_PTR)h);
    WSASetLastError(err);
    return FALSE;
  }
  /* Charge: quota, CQ slot, buffers, and an RQ reference. */
  rq->out[dir]++;
  cq->used++;
  rio_emu_charged++;
  rq->refs++;
  for (i = 0; i < nref; i++) {
    rio_emu_buf_ref(refs[i]);
    req->ref[i] = refs[i];
  }
  req->nref = nref;
  req->rq = rq;
  req->dir = dir;
  req->done = 0;
  req->flags = flags;
  req->fail_status = fault == RIO_EMU_FAULT_COMPLETE ? (LONG)fault_err : 0;
  req->data = pdata;
  req->len = data != NULL ? data->Length : 0;
  req->accum = 0;
  req->cap = cap;
  req->local = plocal;
  req->remote = premote;
  req->control = pcontrol;
  req->control_len = control != NULL ? control->Length : 0;
  req->ctrunc = 0;
  req->use_msg = 0;
  req->pflags = ppflags;
  memset(&req->result, 0, sizeof req->result);
  req->result.SocketContext = rq->ctx;
  req->result.RequestContext = (ULONGLONG)(ULONG_PTR)ctx;
  if (fault == RIO_EMU_FAULT_STUCK) {
    req->state = RIO_EMU_REQ_STUCK;
    list_insert_tail(&post__stuck, &req->node);
  } else {
    req->state = RIO_EMU_REQ_DEFERRED;
    list_insert_tail(&rq->deferred[dir], &req->node);
  }
  /* Without RIO_MSG_DEFER the request goes out, and the deferred ones of
   * its direction before it. */
  if (!(flags & RIO_MSG_DEFER)) rio_emu_rq_commit(rq, dir);
  rio_emu_rq_put(rq);
  rio_emu_unlock();
  rio_emu_leave(RIO_EMU_GUARD_RQ, (ULONG_PTR)h);
  return post__accepted(fault);
}

BOOL PASCAL rio_emu_receive(RIO_RQ rq, PRIO_BUF data, ULONG count, DWORD flags, PVOID ctx) {
  return post__do(RIO_EMU_FN_RECEIVE, RIO_EMU_RECV, rq, data, count, NULL, NULL, NULL, NULL, flags,
                  ctx);
}

int PASCAL rio_emu_receive_ex(RIO_RQ rq, PRIO_BUF data, ULONG count, PRIO_BUF local,
                              PRIO_BUF remote, PRIO_BUF control, PRIO_BUF pflags, DWORD flags,
                              PVOID ctx) {
  return post__do(RIO_EMU_FN_RECEIVEEX, RIO_EMU_RECV, rq, data, count, local, remote, control,
                  pflags, flags, ctx);
}

BOOL PASCAL rio_emu_send(RIO_RQ rq, PRIO_BUF data, ULONG count, DWORD flags, PVOID ctx) {
  return post__do(RIO_EMU_FN_SEND, RIO_EMU_SEND, rq, data, count, NULL, NULL, NULL, NULL, flags,
                  ctx);
}

BOOL PASCAL rio_emu_send_ex(RIO_RQ rq, PRIO_BUF data, ULONG count, PRIO_BUF local,
                            PRIO_BUF remote, PRIO_BUF control, PRIO_BUF pflags, DWORD flags,
                            PVOID ctx) {
  return post__do(RIO_EMU_FN_SENDEX, RIO_EMU_SEND, rq, data, count, local, remote, control,
                  pflags, flags, ctx);
}
