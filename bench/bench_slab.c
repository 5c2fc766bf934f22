/* Request slab alloc/free (src/common/slab.h) against calloc/free of the
 * same size (slab objects come back zeroed, hence calloc). The parameter is
 * how many requests are alive before they are all freed: 1 or 64.
 * One operation = one alloc and one free. */
#include <stdlib.h>

#include "bench.h"
#include "cbench.h"
#include "slab.h"

#define BENCH_SLAB_OBJ 192u /* about a Windows request: OVERLAPPED + bookkeeping */
#define BENCH_SLAB_LIMIT 8192u
#define BENCH_SLAB_HELD_MAX 64

typedef struct bench_slab_ctx {
  slab_t slab;
  uint32_t held_n;
  void *held[BENCH_SLAB_HELD_MAX];
} bench_slab_ctx_t;

static void *bench_slab_setup(int64_t held) {
  bench_slab_ctx_t *x = (bench_slab_ctx_t *)calloc(1, sizeof *x);
  if (x == NULL) return NULL;
  x->held_n = (uint32_t)held;
  if (slab_init(&x->slab, BENCH_SLAB_OBJ, BENCH_SLAB_LIMIT) != 0) {
    free(x);
    return NULL;
  }
  return x;
}

static void bench_slab_teardown(void *p) {
  bench_slab_ctx_t *x = (bench_slab_ctx_t *)p;
  slab_destroy(&x->slab);
  free(x);
}

static void bench_slab_run(void *p, uint64_t n) {
  bench_slab_ctx_t *x = (bench_slab_ctx_t *)p;
  uint64_t done;
  uint32_t i;
  for (done = 0; done < n; done += x->held_n) {
    for (i = 0; i < x->held_n; i++) x->held[i] = slab_alloc(&x->slab);
    cbench_escape(x->held);
    for (i = x->held_n; i-- > 0;) slab_free(&x->slab, x->held[i]);
  }
}

static void *bench_calloc_setup(int64_t held) {
  bench_slab_ctx_t *x = (bench_slab_ctx_t *)calloc(1, sizeof *x);
  if (x != NULL) x->held_n = (uint32_t)held;
  return x;
}

static void bench_calloc_run(void *p, uint64_t n) {
  bench_slab_ctx_t *x = (bench_slab_ctx_t *)p;
  uint64_t done;
  uint32_t i;
  for (done = 0; done < n; done += x->held_n) {
    for (i = 0; i < x->held_n; i++) x->held[i] = calloc(1, BENCH_SLAB_OBJ);
    cbench_escape(x->held);
    for (i = x->held_n; i-- > 0;) free(x->held[i]);
  }
}

static const cbench_def bench_slab_defs[] = {
    {"slab.alloc_free/riox/1", bench_slab_setup, bench_slab_run, bench_slab_teardown, 1, 64},
    {"slab.alloc_free/naive/1", bench_calloc_setup, bench_calloc_run, free, 1, 64},
    {"slab.alloc_free/riox/64", bench_slab_setup, bench_slab_run, bench_slab_teardown, 64, 64},
    {"slab.alloc_free/naive/64", bench_calloc_setup, bench_calloc_run, free, 64, 64},
};

void bench_slab_register(void) {
  size_t i;
  for (i = 0; i < sizeof bench_slab_defs / sizeof bench_slab_defs[0]; i++) cbench_register(&bench_slab_defs[i]);
}
