/* Timer heap: a binary min-heap ordered by (deadline, sequence), so timers
 * due at the same time fire in start order. Ids are (generation << 32 | slot)
 * so a stale id is recognised, never confused with a newer timer.
 * Time is whatever monotonic milliseconds the caller passes. Not thread-safe. */
#ifndef RIOX_COMMON_TIMER_H
#define RIOX_COMMON_TIMER_H

#include <stdint.h>

typedef struct timer_entry {
  uint64_t deadline;
  uint64_t seq;
  void *ctx;
  uint32_t heap_index; /* UINT32_MAX when free */
  uint32_t generation;
  uint32_t next_free;
} timer_entry_t;

typedef struct timer_heap {
  timer_entry_t *entries;
  uint32_t *heap; /* entry indices */
  uint32_t count, cap;
  uint32_t free_head; /* UINT32_MAX = none */
  uint64_t next_seq;
} timer_heap_t;

void timer_heap_init(timer_heap_t *th);
void timer_heap_destroy(timer_heap_t *th);
/* 0 and *id, or RIOX_ENOMEM. */
int timer_heap_add(timer_heap_t *th, uint64_t deadline, void *ctx, uint64_t *id);
/* 0 and *ctx, or RIOX_ENOENT for an id that is not pending. */
int timer_heap_cancel(timer_heap_t *th, uint64_t id, void **ctx);
/* Earliest deadline, or UINT64_MAX when empty. */
uint64_t timer_heap_next(const timer_heap_t *th);
/* Pop one timer with deadline <= now: 1 with id and ctx set, or 0 when none is due. */
int timer_heap_pop_due(timer_heap_t *th, uint64_t now, uint64_t *id, void **ctx);
static inline uint32_t timer_heap_count(const timer_heap_t *th) { return th->count; }

#endif
