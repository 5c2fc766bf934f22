/* Request slab: fixed-size objects at stable addresses (the OS holds
 * pointers into them, e.g. an OVERLAPPED), carved from chunks that are never
 * moved or freed before slab_destroy. A capacity limit gives back-pressure.
 * Not thread-safe. */
#ifndef RIOX_COMMON_SLAB_H
#define RIOX_COMMON_SLAB_H

#include <stddef.h>
#include <stdint.h>

typedef struct slab_free {
  struct slab_free *next;
} slab_free_t;

typedef struct slab {
  size_t obj_size;      /* rounded up to pointer alignment, >= sizeof(void*) */
  uint32_t per_chunk;
  uint32_t limit;       /* most objects alive at once */
  uint32_t in_use;
  uint32_t high_water;
  uint64_t exhausted;   /* failed slab_alloc calls */
  void **chunks;
  uint32_t nchunks, chunks_cap;
  slab_free_t *free;
} slab_t;

/* 0 or RIOX_EINVAL (obj_size 0, limit 0). Allocates lazily. */
int slab_init(slab_t *slab, size_t obj_size, uint32_t limit);
void slab_destroy(slab_t *slab);
/* Zeroed object, or NULL when `limit` objects are alive or memory ran out. */
void *slab_alloc(slab_t *slab);
void slab_free(slab_t *slab, void *obj);

#endif
