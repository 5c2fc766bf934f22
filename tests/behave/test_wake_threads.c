/* riox_wake from other threads (riox.h: "Thread-safe ... Each successful
 * call yields exactly one event" -- so wakes are never coalesced):
 *  - 4 threads call riox_wake 250 times each, all at once, while the loop's
 *    thread is inside riox_wait: every call returns 0 and every ctx arrives
 *    exactly once, as a RIOX_EV_WAKE with sock NULL and status 0;
 *  - a loop blocked in riox_wait(-1) returns for a wake from another thread;
 *  - riox_stats.events counts what riox_wait returned. */
#include "harness.h"

#define NTHREAD 4
#define PER_THREAD 250
#define TOTAL (NTHREAD * PER_THREAD)

typedef struct waker {
  riox_loop *loop;
  h_event *go;
  int index;
  int failures; /* riox_wake calls that did not return 0 */
  unsigned delay_ms;
} waker_t;

static h_log evlog;

static void *ctx_of(int thread, int i) { return (void *)(uintptr_t)((thread + 1) << 16 | i); }

static void waker_main(void *arg) {
  waker_t *w = (waker_t *)arg;
  int i;
  h_event_wait(w->go, -1);
  if (w->delay_ms) h_sleep_ms(w->delay_ms);
  for (i = 0; i < PER_THREAD; i++)
    if (riox_wake(w->loop, ctx_of(w->index, i)) != 0) w->failures++;
}

static int many(riox_loop *loop) {
  static unsigned char seen[NTHREAD][PER_THREAD];
  waker_t w[NTHREAD];
  h_thread *th[NTHREAD];
  h_event *go;
  riox_stats before, after;
  int i, got;
  memset(seen, 0, sizeof seen);
  go = h_event_new(0);
  H_CHECK(go != NULL);
  for (i = 0; i < NTHREAD; i++) {
    w[i].loop = loop;
    w[i].go = go;
    w[i].index = i;
    w[i].failures = 0;
    w[i].delay_ms = 20; /* the loop thread is in riox_wait by then */
    H_EQ(h_thread_start(&th[i], waker_main, &w[i]), 0);
  }
  riox_loop_stats(loop, &before);
  h_event_set(go);
  evlog.n = 0;
  got = h_collect(loop, RIOX_EV_WAKE, TOTAL, &evlog, 20000);
  for (i = 0; i < NTHREAD; i++) h_thread_join(th[i]);
  for (i = 0; i < NTHREAD; i++) H_EQ(w[i].failures, 0);
  h_event_free(go);
  /* Anything beyond TOTAL (a duplicate) would show within a moment. */
  {
    riox_event ev;
    int extra = riox_wait(loop, &ev, 1, 200);
    if (extra != 0) {
      H_FAIL("an event beyond the %d wakes: type %u ctx %p", TOTAL, ev.type, ev.ctx);
      return 1;
    }
  }
  H_EQ(got, TOTAL);
  H_EQ(evlog.n, TOTAL);
  for (i = 0; i < evlog.n; i++) {
    const riox_event *e = &evlog.ev[i];
    uintptr_t v = (uintptr_t)e->ctx;
    int t = (int)(v >> 16) - 1, k = (int)(v & 0xffff);
    H_EQ(e->type, RIOX_EV_WAKE);
    H_EQ(e->status, 0);
    H_CHECK(e->sock == NULL);
    H_CHECK(t >= 0 && t < NTHREAD && k < PER_THREAD);
    if (seen[t][k]) {
      H_FAIL("wake ctx thread %d #%d arrived twice", t, k);
      return 1;
    }
    seen[t][k] = 1;
  }
  riox_loop_stats(loop, &after);
  H_EQ(after.events - before.events, TOTAL);
  return 0;
}

static int blocked(riox_loop *loop) {
  waker_t w;
  h_thread *th;
  riox_event ev;
  uint64_t t0;
  int n;
  memset(&w, 0, sizeof w);
  w.loop = loop;
  w.go = h_event_new(1);
  w.index = 7;
  w.delay_ms = 100;
  H_CHECK(w.go != NULL);
  t0 = h_now_ms();
  H_EQ(h_thread_start(&th, waker_main, &w), 0);
  n = riox_wait(loop, &ev, 1, -1);
  H_EQ(n, 1);
  H_EQ(ev.type, RIOX_EV_WAKE);
  H_CHECK(ev.ctx == ctx_of(7, 0));
  H_CHECK(h_now_ms() - t0 >= 80);
  h_thread_join(th);
  h_event_free(w.go);
  H_EQ(w.failures, 0);
  /* The rest of that thread's wakes, each once. */
  evlog.n = 0;
  H_EQ(h_collect(loop, RIOX_EV_WAKE, PER_THREAD - 1, &evlog, 10000), PER_THREAD - 1);
  H_EQ(evlog.n, PER_THREAD - 1);
  {
    static unsigned char seen[PER_THREAD];
    int i;
    memset(seen, 0, sizeof seen);
    seen[0] = 1;
    for (i = 0; i < evlog.n; i++) {
      uintptr_t v = (uintptr_t)evlog.ev[i].ctx;
      H_EQ(v >> 16, 8);
      H_CHECK((v & 0xffff) < PER_THREAD);
      H_EQ(seen[v & 0xffff], 0);
      seen[v & 0xffff] = 1;
    }
  }
  /* NULL is a valid ctx. */
  H_OK(riox_wake(loop, NULL));
  H_EQ(riox_wait(loop, &ev, 1, 2000), 1);
  H_EQ(ev.type, RIOX_EV_WAKE);
  H_CHECK(ev.ctx == NULL);
  return 0;
}

static int test(void) {
  riox_loop *loop;
  H_OK(h_loop(&loop, NULL));
  if (many(loop) != 0) return 1;
  if (blocked(loop) != 0) return 1;
  riox_loop_close(loop);
  return 0;
}

int main(void) { return h_run("wake_threads", test); }
