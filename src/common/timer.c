/* Timer heap. Entries live in a table indexed by slot (the low half of an
 * id) and are reused through a free list; the heap holds slot numbers. A
 * slot's generation (the high half of an id) changes every time the slot is
 * released, so the id of a fired or cancelled timer never matches again. */
#include "timer.h"

#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "riox.h"

#define TIMER__NONE UINT32_MAX
/* Slots are numbered below TIMER__NONE, and the table stays addressable. */
#define TIMER__CAP_MAX ((uint32_t)1 << 30)

void timer_heap_init(timer_heap_t *th) {
  memset(th, 0, sizeof *th);
  th->free_head = TIMER__NONE;
}

void timer_heap_destroy(timer_heap_t *th) {
  free(th->entries);
  free(th->heap);
  timer_heap_init(th);
}

/* ---------------------------------------------------------- heap order */

static int timer__before(const timer_heap_t *th, uint32_t a, uint32_t b) {
  const timer_entry_t *x = &th->entries[a], *y = &th->entries[b];
  if (x->deadline != y->deadline) return x->deadline < y->deadline;
  return x->seq < y->seq;
}

static void timer__place(timer_heap_t *th, uint32_t pos, uint32_t slot) {
  th->heap[pos] = slot;
  th->entries[slot].heap_index = pos;
}

static void timer__sift_up(timer_heap_t *th, uint32_t pos) {
  uint32_t slot = th->heap[pos];
  while (pos > 0) {
    uint32_t parent = (pos - 1) / 2;
    if (!timer__before(th, slot, th->heap[parent])) break;
    timer__place(th, pos, th->heap[parent]);
    pos = parent;
  }
  timer__place(th, pos, slot);
}

static void timer__sift_down(timer_heap_t *th, uint32_t pos) {
  uint32_t slot = th->heap[pos];
  for (;;) {
    uint32_t child = 2 * pos + 1;
    if (child >= th->count) break;
    if (child + 1 < th->count && timer__before(th, th->heap[child + 1], th->heap[child])) child++;
    if (!timer__before(th, th->heap[child], slot)) break;
    timer__place(th, pos, th->heap[child]);
    pos = child;
  }
  timer__place(th, pos, slot);
}

/* Take the entry at heap position pos out of the heap. */
static void timer__heap_remove(timer_heap_t *th, uint32_t pos) {
  uint32_t last = th->heap[--th->count];
  if (pos == th->count) return;
  timer__place(th, pos, last);
  /* The moved entry may belong above or below its new position. */
  if (pos > 0 && timer__before(th, last, th->heap[(pos - 1) / 2]))
    timer__sift_up(th, pos);
  else
    timer__sift_down(th, pos);
}

/* ------------------------------------------------------------- slots */

static int timer__grow(timer_heap_t *th) {
  uint32_t cap = th->cap == 0 ? 16 : th->cap * 2, i;
  timer_entry_t *entries;
  uint32_t *heap;
  uint64_t bytes = (uint64_t)cap * sizeof(timer_entry_t);
  /* The cast test catches a size that does not fit a 32-bit size_t. */
  if (th->cap >= TIMER__CAP_MAX || bytes != (size_t)bytes) return RIOX_ENOMEM;
  entries = (timer_entry_t *)realloc(th->entries, (size_t)cap * sizeof *entries);
  if (entries == NULL) return RIOX_ENOMEM;
  th->entries = entries;
  /* A failure here leaves entries larger than cap, which is harmless. */
  heap = (uint32_t *)realloc(th->heap, (size_t)cap * sizeof *heap);
  if (heap == NULL) return RIOX_ENOMEM;
  th->heap = heap;
  /* New slots go on the free list lowest first; generation 1 so that the
   * id 0 is never handed out. */
  for (i = cap; i-- > th->cap;) {
    timer_entry_t *e = &th->entries[i];
    memset(e, 0, sizeof *e);
    e->heap_index = TIMER__NONE;
    e->generation = 1;
    e->next_free = th->free_head;
    th->free_head = i;
  }
  th->cap = cap;
  return 0;
}

static void timer__release(timer_heap_t *th, uint32_t slot) {
  timer_entry_t *e = &th->entries[slot];
  e->heap_index = TIMER__NONE;
  e->ctx = NULL;
  /* Skip 0 on wrap-around so no id is ever 0. */
  e->generation = e->generation == UINT32_MAX ? 1 : e->generation + 1;
  e->next_free = th->free_head;
  th->free_head = slot;
}

static uint64_t timer__id(const timer_heap_t *th, uint32_t slot) {
  return (uint64_t)th->entries[slot].generation << 32 | slot;
}

/* ------------------------------------------------------------- public */

int timer_heap_add(timer_heap_t *th, uint64_t deadline, void *ctx, uint64_t *id) {
  uint32_t slot;
  timer_entry_t *e;
  if (th->free_head == TIMER__NONE && timer__grow(th) != 0)
    return error_detail(RIOX_ENOMEM, "cannot grow the timer heap beyond %u timers", (unsigned)th->cap);
  slot = th->free_head;
  e = &th->entries[slot];
  th->free_head = e->next_free;
  e->next_free = TIMER__NONE;
  e->deadline = deadline;
  e->seq = th->next_seq++;
  e->ctx = ctx;
  timer__place(th, th->count++, slot);
  timer__sift_up(th, e->heap_index);
  if (id != NULL) *id = timer__id(th, slot);
  return 0;
}

int timer_heap_cancel(timer_heap_t *th, uint64_t id, void **ctx) {
  uint32_t slot = (uint32_t)(id & 0xffffffffu);
  uint32_t gen = (uint32_t)(id >> 32);
  timer_entry_t *e;
  if (slot >= th->cap || th->entries[slot].generation != gen || th->entries[slot].heap_index == TIMER__NONE)
    return error_detail(RIOX_ENOENT, "timer id %lu:%lu has fired, was cancelled or never existed",
                        (unsigned long)gen, (unsigned long)slot);
  e = &th->entries[slot];
  if (ctx != NULL) *ctx = e->ctx;
  timer__heap_remove(th, e->heap_index);
  timer__release(th, slot);
  return 0;
}

uint64_t timer_heap_next(const timer_heap_t *th) {
  return th->count == 0 ? UINT64_MAX : th->entries[th->heap[0]].deadline;
}

int timer_heap_pop_due(timer_heap_t *th, uint64_t now, uint64_t *id, void **ctx) {
  uint32_t slot;
  if (th->count == 0) return 0;
  slot = th->heap[0];
  if (th->entries[slot].deadline > now) return 0;
  if (id != NULL) *id = timer__id(th, slot);
  if (ctx != NULL) *ctx = th->entries[slot].ctx;
  timer__heap_remove(th, 0);
  timer__release(th, slot);
  return 1;
}
