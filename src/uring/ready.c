/* Readiness on the ring: each armed watch is one single-shot
 * IORING_OP_POLL_ADD on its socket, user_data = the poll_watch_t tagged
 * with bit 0 (uring_int.h), so a report comes out of the same
 * io_uring_enter as every completion and wake. src/linux/ready.c says when
 * a watch is polled and for what; this file only turns that into SQEs.
 *
 * Why single-shot, not IORING_POLL_ADD_MULTI: a multishot poll posts a CQE
 * only for a new wake-up of the socket's wait queue (new data, new room),
 * never again for a condition that just goes on holding. A level-triggered
 * watch whose owner read part of what is queued must be told again at the
 * next wait; with multishot nothing new arrives, so it never would be (and
 * IORING_POLL_ADD_LEVEL with multishot would instead post a CQE at every
 * task-work run while the condition holds, flooding the CQ between hand-
 * outs). A single-shot poll asked for again when the READY event is handed
 * out is exactly what ready.c does with EPOLLONESHOT on epoll: if the
 * condition still holds, the new poll completes at once, inside the same
 * enter that submitted it. RIOX_ONESHOT watches are simply not asked
 * again until riox_watch_modify. The re-arm is one SQE in the next wait's
 * enter, not a call of its own.
 *
 * Lifecycle (nothing freed early): an armed poll counts as a request of
 * its socket (sock->pending), so the socket's close event -- and so the
 * freeing of the socket and its watch -- waits for the poll's CQE. A change
 * of interest, riox_unwatch and riox_close queue an IORING_OP_POLL_REMOVE
 * of the armed poll (by its user_data) and wait for that CQE (-ECANCELED,
 * or the report if it fired first), which then asks again with the new
 * interest. riox_loop_close may give up on CQEs that never come: the ring
 * is torn down (uring loop_fini) before the sockets and watches are freed,
 * and the kernel never reads a watch. */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>

#include "uring_int.h"

/* w->removing: no POLL_REMOVE asked for (0), one on its way (1), or one
 * that answered -EALREADY, to be asked again (2). Either of the last two
 * makes the poll's report stale: it answers the interest of before. */
#define READY__REMOVING 1u
#define READY__RETRY 2u

/* A POLL_REMOVE of w's armed poll, once; the poll's own CQE ends the poll.
 * The remove's CQE counts too (uring_unpoll_cqe): a poll the kernel has
 * woken but whose task work has not run yet (DEFER_TASKRUN runs it only in
 * an enter that waits for events) answers -EALREADY, and if the condition
 * is gone when that task work runs, the kernel arms the poll again instead
 * of completing it -- it would then wait on, and a close or a new interest
 * never take effect (test_regress_uring_poll_remove_ealready). The remove
 * holds the socket (sock->pending) until its CQE, which reads w. */
static void ready__remove(poll_watch_t *w) {
  struct io_uring_sqe *sqe;
  if (!w->armed || w->removing == READY__REMOVING) return;
  sqe = uring_sqe(w->sock->loop);
  if (sqe == NULL) return; /* the poll ends when it fires; its CQE asks again */
  io_uring_prep_poll_remove(sqe, uring_ud_of_watch(w));
  io_uring_sqe_set_data64(sqe, (uint64_t)(uintptr_t)w | URING_UD_UNPOLL);
  w->removing = READY__REMOVING;
  w->sock->pending++;
}

/* The CQE of ready__remove's POLL_REMOVE. -EALREADY with the poll still
 * armed: asked again at the next poll_flush_updates (the task work will
 * have run by then: either the poll's CQE came, or the poll waits again
 * and can be removed). Other results: the poll's CQE says it all. */
void uring_unpoll_cqe(riox_loop *loop, uint64_t ud, int res) {
  poll_watch_t *w = (poll_watch_t *)(uintptr_t)(ud & ~(uint64_t)7u);
  riox_sock *sock = w->sock;
  (void)loop;
  if (res == -EALREADY && w->armed && w->removing == READY__REMOVING) {
    w->removing = READY__RETRY;
    ready_queue(w);
  }
  sock_req_done(sock); /* last: the socket's close event may be queued here */
}

void uring_watch_poll(poll_watch_t *w, uint32_t events) {
  riox_sock *sock = w->sock;
  struct io_uring_sqe *sqe;
  if (w->armed) {
    /* Asking for something else (or nothing): the poll in the kernel is
     * removed; its CQE queues the watch again (uring_watch_cqe). */
    if (events != w->polled) ready__remove(w);
    return;
  }
  if (events == 0) return;
  sqe = uring_sqe(sock->loop);
  if (sqe == NULL) {
    /* As on Windows (src/win/poll.c): reported as an error condition,
     * asked again once the application has that event. */
    (void)watch_push(w, RIOX_ERROR,
                     error_detail(RIOX_ENOBUFS, "io_uring: the submission queue is full"), 0);
    return;
  }
  io_uring_prep_poll_add(sqe, sock->s, events);
  URING_SET_DATA64(sock->loop, sqe, uring_ud_of_watch(w), "poll_add", URING_F_POLL);
  w->armed = 1;
  w->removing = 0;
  w->polled = events;
  sock->pending++; /* the socket and w live until the CQE */
}

void uring_watch_closing(poll_watch_t *w) {
  riox_loop *loop = w->sock->loop;
  if (!w->armed) return;
  ready__remove(w);
  if (w->removing != READY__REMOVING) {
    ready_queue(w); /* no SQE: the next poll_flush_updates removes it */
    return;
  }
  /* Now, not at the next wait: a POLL_ADD still in the SQ must reach the
   * kernel while the descriptor number is still this socket's (the layer
   * closes it next), and the poll holds the socket's file, so the close
   * (riox_abort's reset) takes effect only once the poll has let it go --
   * which, with DEFER_TASKRUN, happens inside an enter that runs the
   * ring's completion work (uring_submit_settle), not at submit. */
  uring_submit_settle(loop);
}

void uring_watch_cqe(riox_loop *loop, uint64_t ud, int res) {
  poll_watch_t *w = uring_watch_of_ud(ud);
  riox_sock *sock = w->sock;
  /* A report of a poll asked to go (a new interest, riox_unwatch) answers
   * the old interest: a one-shot watch modified to READABLE|WRITABLE would
   * take a READABLE-only report and be disarmed with WRITABLE never told
   * (test_regress_uring_oneshot_modify_stale_report). It is asked anew,
   * with the new interest, as epoll's EPOLL_CTL_MOD re-evaluates. */
  int stale = w->removing != 0 && w->active && sock->state != SK_CLOSING;
  (void)loop;
  w->armed = 0;
  w->removing = 0;
  w->polled = 0;
  if (res > 0 && stale) {
    ready_queue(w);
  } else if (res > 0) {
    ready_event(sock, (uint32_t)res); /* the same mapping as epoll's */
  } else if (w->active && sock->state != SK_CLOSING) {
    if (res == -ECANCELED || res == 0) {
      ready_queue(w); /* removed for a new interest: ask for that one */
    } else if (!watch_push(w, RIOX_ERROR,
                           error_detail(error_from_errno(-res), "io_uring poll: %s (errno %d)",
                                        strerror(-res), -res),
                           0)) {
      ready_queue(w);
    }
  }
  /* Last: the socket's close event may be queued here (it is freed only
   * after that event has been handed out). */
  sock_req_done(sock);
}
