// cbench.h implemented on Google Benchmark: each C benchmark becomes a
// registered lambda that runs the C function in batches.
#include "cbench.h"

#include <benchmark/benchmark.h>

namespace {

void cbench_run(benchmark::State &state, const cbench_def *def) {
  void *ctx = def->setup != nullptr ? def->setup(def->arg) : nullptr;
  const uint64_t batch = def->batch != 0 ? def->batch : 64u;
  if (def->setup != nullptr && ctx == nullptr) {
    state.SkipWithError("setup failed");
    return;
  }
  while (state.KeepRunningBatch(static_cast<benchmark::IterationCount>(batch))) def->run(ctx, batch);
  state.SetItemsProcessed(state.iterations());
  if (def->teardown != nullptr) def->teardown(ctx);
}

}  // namespace

extern "C" void cbench_register(const cbench_def *def) {
  benchmark::RegisterBenchmark(def->name, cbench_run, def);
}

extern "C" int cbench_main(int argc, char **argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}

extern "C" void cbench_escape(void *p) { benchmark::DoNotOptimize(p); benchmark::ClobberMemory(); }
