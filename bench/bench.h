/* The micro-benchmark groups; each registers riox beside its naive baseline. */
#ifndef RIOX_BENCH_H
#define RIOX_BENCH_H

#include <stdint.h>

void bench_pool_register(void);
void bench_slab_register(void);
void bench_timer_register(void);
void bench_addr_register(void);
void bench_evq_register(void);

/* xorshift64: a fixed-seed generator, so every run does the same work. */
static inline uint64_t bench_rand(uint64_t *s) {
  uint64_t x = *s;
  x ^= x << 13;
  x ^= x >> 7;
  x ^= x << 17;
  return *s = x;
}

#endif
