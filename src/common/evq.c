/* Event queue: a power-of-two ring that doubles when full. Growing copies the
 * live events to the front of the new ring so that head/count stay simple. */
#include "evq.h"

#include <stdlib.h>
#include <string.h>

#include "error.h"

#define EVQ__MIN_CAP 64u
#define EVQ__MAX_CAP ((uint32_t)1 << 31)

void evq_init(evq_t *q) { memset(q, 0, sizeof *q); }

void evq_destroy(evq_t *q) {
  free(q->ring);
  evq_init(q);
}

/* Copy the n oldest events into dst, in order, across the wrap-around. */
static void evq__copy_out(const evq_t *q, riox_event *dst, uint32_t n) {
  uint32_t start = q->head;
  uint32_t first = q->cap - start < n ? q->cap - start : n;
  memcpy(dst, q->ring + start, (size_t)first * sizeof *dst);
  memcpy(dst + first, q->ring, (size_t)(n - first) * sizeof *dst);
}

/* Make room for `need` events in total (a power of two at least that). */
static int evq__grow_to(evq_t *q, uint64_t need) {
  uint32_t cap = q->cap == 0 ? EVQ__MIN_CAP : q->cap;
  riox_event *ring;
  uint64_t bytes;
  if (need <= q->cap) return 0;
  if (need > EVQ__MAX_CAP) return RIOX_ENOMEM;
  while (cap < need) cap *= 2;
  bytes = (uint64_t)cap * sizeof *ring;
  /* The cast test catches a size that does not fit a 32-bit size_t. */
  if (bytes != (size_t)bytes) return RIOX_ENOMEM;
  ring = (riox_event *)malloc((size_t)bytes);
  if (ring == NULL) return RIOX_ENOMEM;
  if (q->count > 0) evq__copy_out(q, ring, q->count);
  free(q->ring);
  q->ring = ring;
  q->cap = cap;
  q->head = 0;
  return 0;
}

int evq_reserve(evq_t *q, uint32_t n) {
  if (evq__grow_to(q, (uint64_t)q->count + n) != 0)
    return error_detail(RIOX_ENOMEM, "cannot grow the event queue to %lu events",
                        (unsigned long)((uint64_t)q->count + n));
  return 0;
}

riox_event *evq_push(evq_t *q) {
  riox_event *ev;
  if (q->count == q->cap && evq_reserve(q, 1) != 0) return NULL;
  ev = &q->ring[(q->head + q->count) & (q->cap - 1)];
  memset(ev, 0, sizeof *ev);
  q->count++;
  return ev;
}

uint32_t evq_pop(evq_t *q, riox_event *out, uint32_t max) {
  uint32_t n = q->count < max ? q->count : max;
  if (n == 0 || out == NULL) return 0;
  evq__copy_out(q, out, n);
  q->head = (q->head + n) & (q->cap - 1);
  q->count -= n;
  return n;
}
