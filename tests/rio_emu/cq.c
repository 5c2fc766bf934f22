/* Completion queues: RIOCreateCompletionQueue, RIONotify,
 * RIODequeueCompletion, RIOResizeCompletionQueue, RIOCloseCompletionQueue.
 *
 * A CQ holds finished requests in completion order. Capacity has two
 * meanings, both from the RIO documentation: `committed` (the outstanding
 * capacity of every request queue attached, checked when a queue is created
 * or resized) and `used` (requests charged now, checked by every post: a CQ
 * "full" answers WSAENOBUFS). */
#include "rio_emu_int.h"

static rio_emu_htab_t cq__tab;

rio_emu_cq_t *rio_emu_cq_find(RIO_CQ h) {
  rio_emu_cq_t *cq = (rio_emu_cq_t *)rio_emu_htab_get(&cq__tab, (ULONG_PTR)h);
  return cq != NULL && !cq->closed ? cq : NULL;
}

void rio_emu_cq_ref(rio_emu_cq_t *cq) { cq->refs++; }

/* Slots of a closed RQ that come back later (rio_emu_set_cq_release_delay). */
typedef struct cq__late {
  list_node_t node;
  ULONGLONG slots;
  ULONGLONG due_ms;
} cq__late_t;

static unsigned cq__release_delay_ms;

void rio_emu_set_cq_release_delay(unsigned ms) {
  rio_emu_init();
  rio_emu_lock();
  cq__release_delay_ms = ms;
  rio_emu_unlock();
}

void rio_emu_cq_uncommit(rio_emu_cq_t *cq, ULONGLONG n) {
  cq__late_t *late;
  if (n == 0) return;
  if (cq__release_delay_ms == 0 || (late = (cq__late_t *)calloc(1, sizeof *late)) == NULL) {
    cq->committed -= n;
    return;
  }
  late->slots = n;
  late->due_ms = GetTickCount64() + cq__release_delay_ms;
  list_insert_tail(&cq->late, &late->node);
}

void rio_emu_cq_release_due(rio_emu_cq_t *cq) {
  ULONGLONG now = GetTickCount64();
  while (!list_empty(&cq->late)) {
    cq__late_t *late = container_of(cq->late.next, cq__late_t, node);
    if (late->due_ms > now) break; /* in order of due time: one delay for all */
    list_remove(&late->node);
    cq->committed -= late->slots;
    free(late);
  }
}

void rio_emu_cq_put(rio_emu_cq_t *cq) {
  list_node_t *node;
  if (--cq->refs > 0) return;
  while ((node = list_pop_front(&cq->late)) != NULL) free(container_of(node, cq__late_t, node));
  free(cq);
}

/* One notification: the armed RIONotify fires now. */
static void cq__fire(rio_emu_cq_t *cq) {
  cq->armed = 0;
  if (cq->notify.Type == RIO_IOCP_COMPLETION) {
    if (!PostQueuedCompletionStatus(cq->notify.Iocp.IocpHandle, 0,
                                    (ULONG_PTR)cq->notify.Iocp.CompletionKey,
                                    (LPOVERLAPPED)cq->notify.Iocp.Overlapped))
      rio_emu_misuse("CQ %lu: PostQueuedCompletionStatus to the notification port failed "
                     "(error %lu): was the port closed before the CQ?",
                     (unsigned long)cq->id, GetLastError());
  } else {
    if (!SetEvent(cq->notify.Event.EventHandle))
      rio_emu_misuse("CQ %lu: SetEvent on the notification event failed (error %lu): was the "
                     "event closed before the CQ?",
                     (unsigned long)cq->id, GetLastError());
  }
}

void rio_emu_cq_push(rio_emu_cq_t *cq, rio_emu_req_t *req) {
  if (cq->closed) {
    /* RIOCloseCompletionQueue: later completions are dropped. */
    rio_emu_req_release(req);
    return;
  }
  req->state = RIO_EMU_REQ_QUEUED;
  list_insert_tail(&cq->results, &req->node);
  cq->queued++;
  if (!(req->flags & RIO_MSG_DONT_NOTIFY)) {
    cq->notify_queued++;
    if (cq->armed) cq__fire(cq);
  }
}

RIO_CQ PASCAL rio_emu_create_cq(DWORD size, PRIO_NOTIFICATION_COMPLETION notify) {
  rio_emu_cq_t *cq;
  ULONG id;
  int err;
  rio_emu_init();
  if (rio_emu_fault_hit(RIO_EMU_FN_CREATE_CQ, &err)) {
    WSASetLastError(err);
    return RIO_INVALID_CQ;
  }
  if (size < 1 || size > RIO_MAX_CQ_SIZE) {
    WSASetLastError(WSAEINVAL);
    return RIO_INVALID_CQ;
  }
  if (notify != NULL) {
    int ok = 0;
    if (notify->Type == RIO_IOCP_COMPLETION)
      ok = notify->Iocp.IocpHandle != NULL && notify->Iocp.Overlapped != NULL;
    else if (notify->Type == RIO_EVENT_COMPLETION)
      ok = notify->Event.EventHandle != NULL;
    if (!ok) {
      WSASetLastError(WSAEINVAL);
      return RIO_INVALID_CQ;
    }
  }
  cq = (rio_emu_cq_t *)calloc(1, sizeof *cq);
  if (cq == NULL) {
    WSASetLastError(WSAENOBUFS);
    return RIO_INVALID_CQ;
  }
  cq->refs = 1;
  cq->size = size;
  list_init(&cq->results);
  list_init(&cq->late);
  if (notify != NULL) {
    cq->has_notify = 1;
    cq->notify = *notify;
  }
  rio_emu_lock();
  id = rio_emu_htab_add(&cq__tab, cq);
  cq->id = id;
  rio_emu_unlock();
  if (id == 0) {
    free(cq);
    WSASetLastError(WSAENOBUFS);
    return RIO_INVALID_CQ;
  }
  return (RIO_CQ)(ULONG_PTR)id;
}

VOID PASCAL rio_emu_close_cq(RIO_CQ h) {
  rio_emu_cq_t *cq;
  list_node_t *node;
  int err;
  rio_emu_init();
  (void)rio_emu_fault_take(RIO_EMU_FN_CLOSE_CQ, &err); /* counted; never fails */
  rio_emu_enter(RIO_EMU_GUARD_CQ, (ULONG_PTR)h, "RIOCloseCompletionQueue");
  rio_emu_lock();
  cq = rio_emu_cq_find(h);
  if (cq == NULL) {
    /* An invalid CQ is ignored, as RIO documents. */
    rio_emu_unlock();
    rio_emu_leave(RIO_EMU_GUARD_CQ, (ULONG_PTR)h);
    return;
  }
  cq->closed = 1;
  cq->armed = 0;
  rio_emu_htab_clear(&cq__tab, cq->id);
  /* Results nobody will dequeue now: release what they hold. */
  while ((node = list_pop_front(&cq->results)) != NULL) {
    cq->queued--;
    rio_emu_req_release(container_of(node, rio_emu_req_t, node));
  }
  cq->notify_queued = 0;
  rio_emu_cq_put(cq);
  rio_emu_unlock();
  rio_emu_leave(RIO_EMU_GUARD_CQ, (ULONG_PTR)h);
}

ULONG PASCAL rio_emu_dequeue(RIO_CQ h, PRIORESULT array, ULONG n) {
  rio_emu_cq_t *cq;
  ULONG got = 0;
  int err = 0, fault;
  rio_emu_init();
  fault = rio_emu_fault_hit(RIO_EMU_FN_DEQUEUE, &err);
  rio_emu_enter(RIO_EMU_GUARD_CQ, (ULONG_PTR)h, "RIODequeueCompletion");
  rio_emu_lock();
  cq = rio_emu_cq_find(h);
  /* An injected corruption is for good: a damaged CQ does not heal, and
   * production users of RIO treat the answer as fatal. */
  if (cq != NULL && fault) cq->corrupt = 1;
  if (cq == NULL || cq->corrupt || (array == NULL && n > 0)) {
    /* "If the I/O completion queue passed in the CQ parameter is not valid
     * or damaged, RIODequeueCompletion returns RIO_CORRUPT_CQ." */
    rio_emu_unlock();
    rio_emu_leave(RIO_EMU_GUARD_CQ, (ULONG_PTR)h);
    if (fault && err != -1) WSASetLastError(err);
    return RIO_CORRUPT_CQ;
  }
  while (got < n && !list_empty(&cq->results)) {
    rio_emu_req_t *req = container_of(list_pop_front(&cq->results), rio_emu_req_t, node);
    array[got++] = req->result;
    cq->queued--;
    if (!(req->flags & RIO_MSG_DONT_NOTIFY)) cq->notify_queued--;
    /* Quota, CQ slot and buffer association are released only now. */
    rio_emu_req_release(req);
  }
  rio_emu_unlock();
  rio_emu_leave(RIO_EMU_GUARD_CQ, (ULONG_PTR)h);
  return got;
}

INT PASCAL rio_emu_notify(RIO_CQ h) {
  rio_emu_cq_t *cq;
  int err = 0;
  rio_emu_init();
  if (rio_emu_fault_hit(RIO_EMU_FN_NOTIFY, &err)) return err;
  rio_emu_enter(RIO_EMU_GUARD_CQ, (ULONG_PTR)h, "RIONotify");
  rio_emu_lock();
  cq = rio_emu_cq_find(h);
  if (cq == NULL || !cq->has_notify) {
    /* No such CQ, or one created for polling only (no notification). */
    rio_emu_unlock();
    rio_emu_leave(RIO_EMU_GUARD_CQ, (ULONG_PTR)h);
    return WSAEINVAL;
  }
  if (cq->armed) {
    err = WSAEALREADY; /* one-shot: the previous RIONotify has not fired */
  } else {
    if (cq->notify.Type == RIO_EVENT_COMPLETION && cq->notify.Event.NotifyReset)
      ResetEvent(cq->notify.Event.EventHandle);
    cq->armed = 1;
    /* Fires at once when a result that may notify is already queued. */
    if (cq->notify_queued > 0) cq__fire(cq);
  }
  rio_emu_unlock();
  rio_emu_leave(RIO_EMU_GUARD_CQ, (ULONG_PTR)h);
  return err;
}

BOOL PASCAL rio_emu_resize_cq(RIO_CQ h, DWORD size) {
  rio_emu_cq_t *cq;
  int err = 0;
  rio_emu_init();
  if (rio_emu_fault_hit(RIO_EMU_FN_RESIZE_CQ, &err)) {
    WSASetLastError(err);
    return FALSE;
  }
  rio_emu_enter(RIO_EMU_GUARD_CQ, (ULONG_PTR)h, "RIOResizeCompletionQueue");
  rio_emu_lock();
  cq = rio_emu_cq_find(h);
  if (cq == NULL || size < 1 || size > RIO_MAX_CQ_SIZE) {
    rio_emu_unlock();
    rio_emu_leave(RIO_EMU_GUARD_CQ, (ULONG_PTR)h);
    WSASetLastError(WSAEINVAL);
    return FALSE;
  }
  rio_emu_cq_release_due(cq);
  if ((ULONGLONG)size < cq->committed || size < cq->used)
    err = WSAETOOMANYREFS; /* smaller than what is attached or charged */
  else
    cq->size = size; /* queued results stay */
  rio_emu_unlock();
  rio_emu_leave(RIO_EMU_GUARD_CQ, (ULONG_PTR)h);
  if (err != 0) {
    WSASetLastError(err);
    return FALSE;
  }
  return TRUE;
}
