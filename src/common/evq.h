/* Event queue: a growable ring of riox_event, in arrival order. The loop
 * queues every event here and riox_wait copies them out, so an event is never
 * lost when the caller's array is smaller than a batch. Not thread-safe. */
#ifndef RIOX_COMMON_EVQ_H
#define RIOX_COMMON_EVQ_H

#include "riox.h"

typedef struct evq {
  riox_event *ring;
  uint32_t head, count, cap; /* cap is a power of two or 0 */
} evq_t;

void evq_init(evq_t *q);
void evq_destroy(evq_t *q);
/* A slot at the tail to fill in (zeroed), or NULL when memory ran out. */
riox_event *evq_push(evq_t *q);
/* Copy up to max events out of the head; returns the number copied. */
uint32_t evq_pop(evq_t *q, riox_event *out, uint32_t max);
/* Reserve room for n more events up front (0 or RIOX_ENOMEM), so that code
 * which must not fail half-way can push without checking. */
int evq_reserve(evq_t *q, uint32_t n);
static inline uint32_t evq_count(const evq_t *q) { return q->count; }
/* Events that fit before the ring must grow. */
static inline uint32_t evq_room(const evq_t *q) { return q->cap - q->count; }

#endif
