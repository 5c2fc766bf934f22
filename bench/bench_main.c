/* riox_bench: every micro-benchmark, riox beside a naive baseline.
 * scripts/bench.sh builds it in Release and writes build/bench/results.json. */
#include "bench.h"
#include "cbench.h"

int main(int argc, char **argv) {
  bench_pool_register();
  bench_slab_register();
  bench_timer_register();
  bench_addr_register();
  bench_evq_register();
  return cbench_main(argc, argv);
}
