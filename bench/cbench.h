/* cbench: Google Benchmark for plain C. A benchmark is a C function that
 * performs n operations on a context made by an optional setup function;
 * bench/cbench.cc (the only C++ in riox) registers it, times it in batches
 * (so no C++ call sits inside the measured loop) and reports items/s, one
 * item being one operation.
 *
 *   static void run_get_put(void *ctx, uint64_t n) { ... n get/put pairs ... }
 *   static const cbench_def def = {"pool.get_put/riox/1", setup, run_get_put, teardown, 1, 0};
 *   cbench_register(&def);
 *   return cbench_main(argc, argv);
 *
 * Naming: "<subject>/<impl>/<param>", impl "riox" or "naive", so that
 * scripts/bench.sh can put each riox number beside its naive baseline. */
#ifndef RIOX_CBENCH_H
#define RIOX_CBENCH_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cbench_def {
  const char *name;
  /* Called once per run before timing, with `arg`; its result is `ctx`.
   * NULL: ctx is NULL. */
  void *(*setup)(int64_t arg);
  /* Perform exactly n operations (n is a multiple of `batch`). */
  void (*run)(void *ctx, uint64_t n);
  /* Called after timing (may be NULL). */
  void (*teardown)(void *ctx);
  int64_t arg;
  /* Operations per call of run (0 = 64). */
  uint32_t batch;
} cbench_def;

/* Register def (which must outlive cbench_main). */
void cbench_register(const cbench_def *def);
/* Parse Google Benchmark's flags (--benchmark_filter=..., --benchmark_out=...)
 * and run what is registered. Returns the process exit code. */
int cbench_main(int argc, char **argv);
/* Make the compiler believe *p is read and written: results are kept. */
void cbench_escape(void *p);

#ifdef __cplusplus
}
#endif
#endif
