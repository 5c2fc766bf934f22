/* Buffer pool get/put (src/common/pool.h) against malloc/free of the same
 * size. The parameter is how many buffers are taken before they are all
 * given back: 1 (a receive re-posted at once) or 64 (a burst in flight).
 * One operation = one get and one put. */
#include <stdlib.h>

#include "bench.h"
#include "cbench.h"
#include "pool.h"

#define BENCH_POOL_BUF 2048u
#define BENCH_POOL_COUNT 4096u
#define BENCH_POOL_HELD_MAX 64

typedef struct bench_pool_ctx {
  pool_t pool;
  uint32_t held_n;
  char *held[BENCH_POOL_HELD_MAX];
} bench_pool_ctx_t;

static void *bench_pool_setup(int64_t held) {
  bench_pool_ctx_t *x = (bench_pool_ctx_t *)calloc(1, sizeof *x);
  if (x == NULL) return NULL;
  x->held_n = (uint32_t)held;
  if (pool_init(&x->pool, BENCH_POOL_BUF, BENCH_POOL_COUNT) != 0) {
    free(x);
    return NULL;
  }
  return x;
}

static void bench_pool_teardown(void *p) {
  bench_pool_ctx_t *x = (bench_pool_ctx_t *)p;
  pool_destroy(&x->pool);
  free(x);
}

static void bench_pool_run(void *p, uint64_t n) {
  bench_pool_ctx_t *x = (bench_pool_ctx_t *)p;
  uint64_t done;
  uint32_t i;
  for (done = 0; done < n; done += x->held_n) {
    for (i = 0; i < x->held_n; i++) x->held[i] = pool_get(&x->pool);
    cbench_escape(x->held);
    for (i = x->held_n; i-- > 0;) pool_put(&x->pool, x->held[i]);
  }
}

static void *bench_malloc_setup(int64_t held) {
  bench_pool_ctx_t *x = (bench_pool_ctx_t *)calloc(1, sizeof *x);
  if (x != NULL) x->held_n = (uint32_t)held;
  return x;
}

static void bench_malloc_run(void *p, uint64_t n) {
  bench_pool_ctx_t *x = (bench_pool_ctx_t *)p;
  uint64_t done;
  uint32_t i;
  for (done = 0; done < n; done += x->held_n) {
    for (i = 0; i < x->held_n; i++) x->held[i] = (char *)malloc(BENCH_POOL_BUF);
    cbench_escape(x->held);
    for (i = x->held_n; i-- > 0;) free(x->held[i]);
  }
}

static const cbench_def bench_pool_defs[] = {
    {"pool.get_put/riox/1", bench_pool_setup, bench_pool_run, bench_pool_teardown, 1, 64},
    {"pool.get_put/naive/1", bench_malloc_setup, bench_malloc_run, free, 1, 64},
    {"pool.get_put/riox/64", bench_pool_setup, bench_pool_run, bench_pool_teardown, 64, 64},
    {"pool.get_put/naive/64", bench_malloc_setup, bench_malloc_run, free, 64, 64},
};

void bench_pool_register(void) {
  size_t i;
  for (i = 0; i < sizeof bench_pool_defs / sizeof bench_pool_defs[0]; i++) cbench_register(&bench_pool_defs[i]);
}
