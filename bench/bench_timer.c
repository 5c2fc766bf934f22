/* Timer insert/expire (src/common/timer.h, a binary heap) against an
 * unsorted array scanned linearly for the earliest deadline. The parameter
 * is how many timers are pending (16 or 1024); one operation = start one
 * timer with a pseudo-random delay and expire the earliest, so the count
 * stays steady and time moves forward like a loop's clock. */
#include <stdlib.h>

#include "bench.h"
#include "cbench.h"
#include "timer.h"

#define BENCH_TIMER_SPREAD 1024u /* delays 1..1024 ms */

typedef struct bench_timer_ctx {
  timer_heap_t th;
  uint64_t clock, rng;
  /* naive: parallel arrays, unsorted */
  uint64_t *deadline, *seq;
  uint32_t count, next_seq;
} bench_timer_ctx_t;

static void *bench_timer_setup(int64_t pending) {
  bench_timer_ctx_t *x = (bench_timer_ctx_t *)calloc(1, sizeof *x);
  int64_t i;
  uint64_t id;
  if (x == NULL) return NULL;
  timer_heap_init(&x->th);
  x->rng = 0x2545F4914F6CDD1Dull;
  for (i = 0; i < pending; i++) {
    if (timer_heap_add(&x->th, 1 + bench_rand(&x->rng) % BENCH_TIMER_SPREAD, NULL, &id) != 0) {
      timer_heap_destroy(&x->th);
      free(x);
      return NULL;
    }
  }
  return x;
}

static void bench_timer_teardown(void *p) {
  bench_timer_ctx_t *x = (bench_timer_ctx_t *)p;
  timer_heap_destroy(&x->th);
  free(x);
}

static void bench_timer_run(void *p, uint64_t n) {
  bench_timer_ctx_t *x = (bench_timer_ctx_t *)p;
  uint64_t i, id;
  void *ctx;
  for (i = 0; i < n; i++) {
    (void)timer_heap_add(&x->th, x->clock + 1 + bench_rand(&x->rng) % BENCH_TIMER_SPREAD, NULL, &id);
    x->clock = timer_heap_next(&x->th);
    (void)timer_heap_pop_due(&x->th, x->clock, &id, &ctx);
  }
  cbench_escape(&x->clock);
}

static void *bench_scan_setup(int64_t pending) {
  bench_timer_ctx_t *x = (bench_timer_ctx_t *)calloc(1, sizeof *x);
  int64_t i;
  if (x == NULL) return NULL;
  x->deadline = (uint64_t *)calloc((size_t)pending + 1, sizeof *x->deadline);
  x->seq = (uint64_t *)calloc((size_t)pending + 1, sizeof *x->seq);
  if (x->deadline == NULL || x->seq == NULL) {
    free(x->deadline);
    free(x->seq);
    free(x);
    return NULL;
  }
  x->rng = 0x2545F4914F6CDD1Dull;
  for (i = 0; i < pending; i++) {
    x->deadline[x->count] = 1 + bench_rand(&x->rng) % BENCH_TIMER_SPREAD;
    x->seq[x->count++] = x->next_seq++;
  }
  return x;
}

static void bench_scan_teardown(void *p) {
  bench_timer_ctx_t *x = (bench_timer_ctx_t *)p;
  free(x->deadline);
  free(x->seq);
  free(x);
}

static void bench_scan_run(void *p, uint64_t n) {
  bench_timer_ctx_t *x = (bench_timer_ctx_t *)p;
  uint64_t i;
  for (i = 0; i < n; i++) {
    uint32_t j, best = 0;
    x->deadline[x->count] = x->clock + 1 + bench_rand(&x->rng) % BENCH_TIMER_SPREAD;
    x->seq[x->count++] = x->next_seq++;
    /* Earliest deadline, start order breaking ties, as the heap does. */
    for (j = 1; j < x->count; j++)
      if (x->deadline[j] < x->deadline[best] ||
          (x->deadline[j] == x->deadline[best] && x->seq[j] < x->seq[best]))
        best = j;
    x->clock = x->deadline[best];
    x->count--;
    x->deadline[best] = x->deadline[x->count];
    x->seq[best] = x->seq[x->count];
  }
  cbench_escape(&x->clock);
}

static const cbench_def bench_timer_defs[] = {
    {"timer.insert_expire/riox/16", bench_timer_setup, bench_timer_run, bench_timer_teardown, 16, 64},
    {"timer.insert_expire/naive/16", bench_scan_setup, bench_scan_run, bench_scan_teardown, 16, 64},
    {"timer.insert_expire/riox/1024", bench_timer_setup, bench_timer_run, bench_timer_teardown, 1024, 64},
    {"timer.insert_expire/naive/1024", bench_scan_setup, bench_scan_run, bench_scan_teardown, 1024, 64},
};

void bench_timer_register(void) {
  size_t i;
  for (i = 0; i < sizeof bench_timer_defs / sizeof bench_timer_defs[0]; i++) cbench_register(&bench_timer_defs[i]);
}
