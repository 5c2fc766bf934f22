/* Timers (riox.h, "timers"):
 *  - a timer's RIOX_EV_TIMER event carries its id and ctx, sock NULL,
 *    status 0, and never comes before its delay has passed;
 *  - timers fire in deadline order, and timers due at the same time in the
 *    order they were started;
 *  - riox_timer_cancel: the timer's event arrives (promptly) with status
 *    RIOX_ECANCELED and the timer never fires; cancelling again, cancelling
 *    a fired timer or an id never handed out answers RIOX_ENOENT;
 *  - riox_wait(-1) returns for a timer (nothing else would wake it; a
 *    watchdog thread wakes the loop after 10 s so a bug fails, not hangs). */
#include "harness.h"

static h_log evlog;

/* Collect `n` TIMER events; each event's arrival time (us) goes to at[]. */
static int collect_timers(riox_loop *loop, int n, uint64_t *at, int timeout_ms) {
  uint64_t until = h_now_ms() + (uint64_t)timeout_ms;
  evlog.n = 0;
  while (evlog.n < n && h_now_ms() < until) {
    riox_event evs[8];
    int got = riox_wait(loop, evs, 8, 100), i;
    uint64_t t = h_now_us();
    H_CHECK(got >= 0);
    for (i = 0; i < got; i++) {
      if (evs[i].type != RIOX_EV_TIMER) {
        H_FAIL("unexpected event type %u status %d", evs[i].type, evs[i].status);
        return 1;
      }
      at[evlog.n] = t;
      evlog.ev[evlog.n++] = evs[i];
    }
  }
  H_EQ(evlog.n, n);
  return 0;
}

static int order(riox_loop *loop) {
  /* Started in this order; expected firing order is by (delay, start). */
  static const uint32_t delay[] = {120, 30, 70, 30, 0, 70, 30};
  static const int expect[] = {4, 1, 3, 6, 2, 5, 0};
  enum { N = sizeof delay / sizeof delay[0] };
  uint64_t ids[N], at[N], t0 = h_now_us();
  int i, j;
  for (i = 0; i < N; i++)
    H_OK(riox_timer_start(loop, delay[i], (void *)(uintptr_t)(i + 1), &ids[i]));
  for (i = 0; i < N; i++)
    for (j = i + 1; j < N; j++) H_CHECK(ids[i] != ids[j]);
  if (collect_timers(loop, N, at, 5000) != 0) return 1;
  for (i = 0; i < N; i++) {
    const riox_event *e = &evlog.ev[i];
    int k = expect[i];
    H_EQ((uintptr_t)e->ctx, k + 1);
    H_EQ(e->timer_id, ids[k]);
    H_EQ(e->status, 0);
    H_CHECK(e->sock == NULL);
    /* Not early: the library counts whole milliseconds, allow 1 ms. */
    if (at[i] - t0 + 1000 < (uint64_t)delay[k] * 1000) {
      H_FAIL("timer %d (delay %u ms) fired after %llu us", k, delay[k],
             (unsigned long long)(at[i] - t0));
      return 1;
    }
  }
  /* Fired timers cannot be cancelled. */
  for (i = 0; i < N; i++) H_ERR(riox_timer_cancel(loop, ids[i]), RIOX_ENOENT);
  return 0;
}

/* Many timers with one delay, started back to back: start order. */
static int same_deadline(riox_loop *loop) {
  enum { N = 40 };
  uint64_t ids[N], at[N];
  int i;
  for (i = 0; i < N; i++) H_OK(riox_timer_start(loop, 20, (void *)(uintptr_t)(i + 1), &ids[i]));
  if (collect_timers(loop, N, at, 5000) != 0) return 1;
  for (i = 0; i < N; i++) {
    H_EQ((uintptr_t)evlog.ev[i].ctx, i + 1);
    H_EQ(evlog.ev[i].timer_id, ids[i]);
  }
  return 0;
}

static int cancel(riox_loop *loop) {
  uint64_t a, b, c, d, at[4], t0;
  riox_event ev;
  int i;
  H_OK(riox_timer_start(loop, 40, (void *)0xa, &a));
  H_OK(riox_timer_start(loop, 5000, (void *)0xb, &b));
  H_OK(riox_timer_start(loop, 80, (void *)0xc, &c));
  t0 = h_now_us();
  H_OK(riox_timer_cancel(loop, b));
  H_ERR(riox_timer_cancel(loop, b), RIOX_ENOENT);
  if (collect_timers(loop, 3, at, 5000) != 0) return 1;
  /* The cancellation's event first, well before b's 5 s. */
  H_EQ(evlog.ev[0].timer_id, b);
  H_CHECK(evlog.ev[0].ctx == (void *)0xb);
  H_ERR(evlog.ev[0].status, RIOX_ECANCELED);
  H_CHECK(at[0] - t0 < 1000000);
  H_EQ(evlog.ev[1].timer_id, a);
  H_EQ(evlog.ev[1].status, 0);
  H_EQ(evlog.ev[2].timer_id, c);
  H_EQ(evlog.ev[2].status, 0);
  H_ERR(riox_timer_cancel(loop, a), RIOX_ENOENT);
  H_ERR(riox_timer_cancel(loop, b), RIOX_ENOENT);

  /* A timer already due, whose event was not yet produced: whichever way
   * cancel answers, exactly one event, with the matching status. */
  H_OK(riox_timer_start(loop, 0, (void *)0xd, &d));
  h_sleep_ms(20);
  {
    int rc = riox_timer_cancel(loop, d);
    H_CHECK(rc == 0 || rc == RIOX_ENOENT);
    H_EQ(h_wait_for(loop, RIOX_EV_TIMER, NULL, &ev, NULL, 2000), 0);
    H_EQ(ev.timer_id, d);
    if (rc == 0)
      H_ERR(ev.status, RIOX_ECANCELED);
    else
      H_EQ(ev.status, 0);
  }

  /* Ids never handed out. */
  H_ERR(riox_timer_cancel(loop, 0), RIOX_ENOENT);
  H_ERR(riox_timer_cancel(loop, 0x123456789abcull), RIOX_ENOENT);

  /* b never fires: nothing at all within 300 ms. */
  for (i = 0; i < 3; i++) H_EQ(riox_wait(loop, &ev, 1, 100), 0);
  return 0;
}

typedef struct watchdog {
  riox_loop *loop;
  h_event *done;
} watchdog_t;

static void watchdog_main(void *arg) {
  watchdog_t *w = (watchdog_t *)arg;
  if (!h_event_wait(w->done, 10000)) (void)riox_wake(w->loop, (void *)0xdead);
}

static int wait_forever(riox_loop *loop) {
  watchdog_t w;
  h_thread *th;
  riox_event ev;
  uint64_t id, t0 = h_now_us();
  int n;
  w.loop = loop;
  w.done = h_event_new(0);
  H_CHECK(w.done != NULL);
  H_EQ(h_thread_start(&th, watchdog_main, &w), 0);
  H_OK(riox_timer_start(loop, 50, (void *)0xf, &id));
  n = riox_wait(loop, &ev, 1, -1);
  h_event_set(w.done);
  h_thread_join(th);
  h_event_free(w.done);
  H_EQ(n, 1);
  H_EQ(ev.type, RIOX_EV_TIMER);
  H_EQ(ev.timer_id, id);
  H_CHECK(h_now_us() - t0 + 1000 >= 50000);
  return 0;
}

static int test(void) {
  riox_loop *loop;
  H_OK(h_loop(&loop, NULL));
  if (order(loop) != 0) return 1;
  if (same_deadline(loop) != 0) return 1;
  if (cancel(loop) != 0) return 1;
  if (wait_forever(loop) != 0) return 1;
  riox_loop_close(loop);
  return 0;
}

int main(void) { return h_run("timers", test); }
