/* The loop's RIO completion queue: sizing, draining and notification.
 *
 * Notification modes (riox_loop_config.rio_notify):
 *   IOCP  RIONotify posts one packet (WIN_KEY_BACKEND, &notify_ov) to the
 *         loop's port, so RIO results, accepts, timers and wakes share one
 *         kernel wait.
 *   EVENT RIONotify signals an event; a thread-pool wait turns the signal
 *         into the same packet, for applications that want the event.
 *   POLL  no RIONotify at all: riox_wait spins on RIODequeueCompletion and a
 *         zero-timeout port check -- lowest latency, one core busy.
 * RIONotify is one-shot and answers WSAEALREADY if called while armed, so
 * `armed` is set when it is called and cleared only when its packet arrives. */
#include <string.h>

#include "rio_internal.h"

/* Resize the CQ to at least `need` slots (doubling, capped). */
static int rio__cq_resize(riox_loop *loop, uint64_t need) {
  rio_loop_t *rl = rio_loop_of(loop);
  uint64_t size = (uint64_t)rl->cq_size * 2;
  if (size < need) size = need;
  if (size > RIO_MAX_CQ_SIZE) size = RIO_MAX_CQ_SIZE;
  LOOP_OSCALL(loop);
  if (!RIO_FAULT("RIOResizeCompletionQueue", RIOX_TEST_FAULT_NOMEM, FALSE,
                 rl->fn.RIOResizeCompletionQueue(rl->cq, (DWORD)size))) {
    int err = WSAGetLastError();
    return error_detail(error_from_win32((uint32_t)err),
                        "RIOResizeCompletionQueue(%u -> %llu) failed: WSA error %d", rl->cq_size,
                        (unsigned long long)size, err);
  }
  rl->cq_size = (uint32_t)size;
  return 0;
}

int rio_cq_reserve(riox_loop *loop, uint32_t slots) {
  rio_loop_t *rl = rio_loop_of(loop);
  uint64_t need = (uint64_t)rl->cq_committed + slots;
  if (rl->dead) return rio_dead_error("RIOResizeCompletionQueue");
  int rc;
  if (need > RIO_MAX_CQ_SIZE)
    return error_detail(RIOX_ENOBUFS,
                        "RIO completion queue would need %llu slots, above RIO_MAX_CQ_SIZE (%u)",
                        (unsigned long long)need, (unsigned)RIO_MAX_CQ_SIZE);
  if (need > rl->cq_size && (rc = rio__cq_resize(loop, need)) < 0) return rc;
  rl->cq_committed = (uint32_t)need;
  return 0;
}

int rio_cq_grow(riox_loop *loop, uint32_t slots) {
  rio_loop_t *rl = rio_loop_of(loop);
  uint64_t need = (uint64_t)rl->cq_size + slots;
  if (rl->cq_size >= RIO_MAX_CQ_SIZE)
    return error_detail(RIOX_ENOBUFS, "RIO completion queue already at RIO_MAX_CQ_SIZE (%u)",
                        (unsigned)RIO_MAX_CQ_SIZE);
  return rio__cq_resize(loop, need);
}

void rio_cq_release(riox_loop *loop, uint32_t slots) { rio_loop_of(loop)->cq_committed -= slots; }

static void rio__dispatch(riox_loop *loop, const RIORESULT *r) {
  req_t *req = (req_t *)(uintptr_t)r->RequestContext;
  int status = 0;
  if (r->Status != 0) {
    status = error_from_win32((uint32_t)r->Status);
    if (status == RIOX_EIO) error_detail(status, "RIO request failed: WSA error %ld", (long)r->Status);
  }
  /* Windows reports a closed socket's requests with several codes
   * (WSA_OPERATION_ABORTED, WSAENOTSOCK, and more: RIO-SEMANTICS.md); for a
   * socket riox is closing, each of them simply means cancelled. */
  if (status != 0 && req->sock->state == SK_CLOSING) status = RIOX_ECANCELED;
  loop->stats.completions++;
  rio_rq_dequeued(loop, req);
  req->complete(loop, req, status, r->BytesTransferred);
}

/* Dequeue and dispatch everything queued. Returns the number of results.
 *
 * RIO_CORRUPT_CQ is fatal to the loop, as every production user of RIO
 * treats it (WireGuard panics, msquic asserts, ctsTraffic fails fast): the
 * CQ cannot be trusted again. One RIOX_EV_ERROR (RIOX_ELOOP) says so; every
 * request RIO holds is completed with RIOX_ELOOP (rio_rq_abandon_all), so
 * each posted operation still has its one event and every socket can close;
 * the CQ is never dequeued or armed again, and later posts fail with
 * RIOX_ELOOP. */
int rio_cq_drain(riox_loop *loop) {
  rio_loop_t *rl = rio_loop_of(loop);
  int total = 0;
  if (rl->dead) return 0;
  for (;;) {
    ULONG n, i;
    /* User mode: the CQ is a ring shared with the kernel ("completion
     * operations, such as polling, can be performed entirely in user-mode
     * and without making system calls": Microsoft, "Registered Input/Output
     * (RIO) API Extensions", Windows Server 2012). */
    LOOP_RINGOP(loop);
    n = rl->fn.RIODequeueCompletion(rl->cq, rl->results, RIO_DEQUEUE_MAX);
    if (n == RIO_CORRUPT_CQ) {
      rl->dead = 1;
      (void)loop_push_note(loop, RIOX_EV_ERROR, NULL, NULL,
                           error_detail(RIOX_ELOOP,
                                   "RIODequeueCompletion answered RIO_CORRUPT_CQ: the loop's RIO "
                                   "completion queue is unusable; every pending request ends with "
                                   "RIOX_ELOOP; close the loop"));
      rio_rq_abandon_all(loop);
      return total;
    }
    for (i = 0; i < n; i++) rio__dispatch(loop, &rl->results[i]);
    total += (int)n;
    if (n < RIO_DEQUEUE_MAX) return total;
  }
}

static VOID CALLBACK rio__event_fired(PVOID ctx, BOOLEAN timed_out) {
  riox_loop *loop = (riox_loop *)ctx;
  (void)timed_out;
  PostQueuedCompletionStatus(loop->port, 0, WIN_KEY_BACKEND, &rio_loop_of(loop)->notify_ov);
}

int rio_cq_create(riox_loop *loop) {
  rio_loop_t *rl = rio_loop_of(loop);
  RIO_NOTIFICATION_COMPLETION nc;
  PRIO_NOTIFICATION_COMPLETION pnc = &nc;
  memset(&nc, 0, sizeof nc);
  if (loop->cfg.rio_notify == RIOX_RIO_NOTIFY_IOCP) {
    nc.Type = RIO_IOCP_COMPLETION;
    nc.Iocp.IocpHandle = loop->port;
    nc.Iocp.CompletionKey = (PVOID)(ULONG_PTR)WIN_KEY_BACKEND;
    nc.Iocp.Overlapped = &rl->notify_ov;
  } else if (loop->cfg.rio_notify == RIOX_RIO_NOTIFY_EVENT) {
    rl->event = CreateEventW(NULL, FALSE, FALSE, NULL);
    if (rl->event == NULL)
      return error_detail(error_from_win32(GetLastError()), "CreateEvent failed: %lu", GetLastError());
    nc.Type = RIO_EVENT_COMPLETION;
    nc.Event.EventHandle = rl->event;
    nc.Event.NotifyReset = FALSE; /* auto-reset event: the wait consumes it */
    if (!RegisterWaitForSingleObject(&rl->wait, rl->event, rio__event_fired, loop, INFINITE,
                                     WT_EXECUTEINWAITTHREAD))
      return error_detail(error_from_win32(GetLastError()),
                          "RegisterWaitForSingleObject failed: %lu", GetLastError());
  } else {
    pnc = NULL; /* polling only */
  }
  rl->cq_size = RIO_CQ_INITIAL;
  LOOP_OSCALL(loop);
  rl->cq = RIO_FAULT("RIOCreateCompletionQueue", RIOX_TEST_FAULT_NOMEM, RIO_INVALID_CQ,
                     rl->fn.RIOCreateCompletionQueue(rl->cq_size, pnc));
  if (rl->cq == RIO_INVALID_CQ) {
    int err = WSAGetLastError();
    return error_detail(error_from_win32((uint32_t)err),
                        "RIOCreateCompletionQueue(%u) failed: WSA error %d", rl->cq_size, err);
  }
  return 0;
}

void rio_cq_destroy(riox_loop *loop) {
  rio_loop_t *rl = rio_loop_of(loop);
  if (rl->wait != NULL) UnregisterWaitEx(rl->wait, INVALID_HANDLE_VALUE);
  if (rl->cq != RIO_INVALID_CQ) rl->fn.RIOCloseCompletionQueue(rl->cq);
  if (rl->event != NULL) CloseHandle(rl->event);
  rl->wait = rl->event = NULL;
  rl->cq = RIO_INVALID_CQ;
}

void rio_cq_abandon(riox_loop *loop) {
  rio_loop_t *rl = rio_loop_of(loop);
  /* The blocking form: no callback still runs once it returns. The event
   * stays open, since the CQ may still signal it. */
  if (rl->wait != NULL) UnregisterWaitEx(rl->wait, INVALID_HANDLE_VALUE);
  rl->wait = NULL;
}

/* Before the kernel wait: hand over what is queued, commit what completions
 * re-posted, else arm a notification. */
int rio_cq_before_wait(riox_loop *loop, uint32_t *timeout_ms) {
  rio_loop_t *rl = rio_loop_of(loop);
  int n = rio_cq_drain(loop);
  rl->skip_port = 0;
  /* A corrupt CQ (now or before) is never armed or polled again: the loop
   * sleeps on its port like an IOCP loop. */
  if (rl->dead) return n;
  /* Dispatch may have re-posted deferred receives (an ICMP report
   * swallowed) or deferred sends: what must reach the socket before the
   * loop sleeps is committed here (rio_rq_commit_all's rule). */
  if (!list_empty(&rl->dirty)) (void)rio_rq_commit_all(loop);
  if (n > 0) {
    /* Events are in hand: riox_wait returns them without sleeping, and
     * the zero-timeout port poll that would follow is a kernel call that
     * finds nothing RIO needs. Skipped, a bounded number of times in a
     * row (RIO_PORT_SKIPS), so the port's own packets still get read. */
    *timeout_ms = 0;
    if (rl->port_skips < RIO_PORT_SKIPS) rl->skip_port = 1;
    return n;
  }
  /* A commit that failed is retried soon. */
  if (rl->commit_failed && *timeout_ms > 1) *timeout_ms = 1;
  /* A quiet send (rio_rq.c) may still complete without firing RIONotify:
   * poll, never sleep, until every UDP send has been dequeued. */
  if (rl->quiet) *timeout_ms = 0;
  if (loop->cfg.rio_notify == RIOX_RIO_NOTIFY_POLL) {
    *timeout_ms = 0;
    return 0;
  }
  if (!rl->armed) {
    int rc;
    /* A kernel entry: arming asks the kernel to post a packet or set an
     * event when the CQ turns non-empty (LPFN_RIONOTIFY). */
    LOOP_OSCALL(loop);
    rc = RIO_FAULT("RIONotify", RIOX_TEST_FAULT_NOMEM, WSAENOBUFS, rl->fn.RIONotify(rl->cq));
    if (rc == 0 || rc == WSAEALREADY) {
      /* WSAEALREADY: a notification is still outstanding, so one will come. */
      rl->armed = 1;
      rl->notify_failing = 0;
    } else {
      /* Cannot arm: poll every millisecond rather than sleep through
       * completions, and say so once (not once per wait). */
      if (!rl->notify_failing)
        (void)loop_push_note(loop, RIOX_EV_ERROR, NULL, NULL,
                             error_detail(error_from_win32((uint32_t)rc),
                                     "RIONotify failed: WSA error %d; polling until it works", rc));
      rl->notify_failing = 1;
      if (*timeout_ms > 1) *timeout_ms = 1;
    }
  }
  return 0;
}

int rio_cq_skip_port(riox_loop *loop, uint32_t timeout_ms) {
  rio_loop_t *rl = rio_loop_of(loop);
  int skip = rl != NULL && rl->skip_port && timeout_ms == 0;
  if (rl == NULL) return 0;
  rl->skip_port = 0;
  if (skip) rl->port_skips++;
  else rl->port_skips = 0;
  return skip;
}

void rio_cq_on_packet(riox_loop *loop, OVERLAPPED_ENTRY *entry) {
  rio_loop_t *rl = rio_loop_of(loop);
  if (entry->lpOverlapped != &rl->notify_ov) return;
  rl->armed = 0;
  (void)rio_cq_drain(loop);
}
