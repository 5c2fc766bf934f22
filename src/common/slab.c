/* Request slab. Objects are carved from chunks allocated on demand and never
 * moved or freed before slab_destroy, because the OS keeps pointers into them
 * (an OVERLAPPED, a RIO request context) until the operation completes. */
#include "slab.h"

#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "riox.h"

/* 8 rather than sizeof(void *): a uint64_t or double inside a request stays
 * naturally aligned on 32-bit targets too, where pointers are 4 bytes. */
#define SLAB__ALIGN 8
/* Chunk payload aimed at; big objects get one object per chunk. */
#define SLAB__CHUNK_BYTES ((size_t)64 << 10)

int slab_init(slab_t *slab, size_t obj_size, uint32_t limit) {
  size_t size, per;
  if (slab == NULL) return error_detail(RIOX_EINVAL, "slab_init: slab is NULL");
  /* Zeroed even on failure, so slab_destroy is always safe to call. */
  memset(slab, 0, sizeof *slab);
  if (obj_size == 0 || obj_size > SIZE_MAX - SLAB__ALIGN)
    return error_detail(RIOX_EINVAL, "slab object size %lu is not valid", (unsigned long)obj_size);
  if (limit == 0) return error_detail(RIOX_EINVAL, "slab limit is 0");
  size = (obj_size + SLAB__ALIGN - 1) & ~(size_t)(SLAB__ALIGN - 1);
  if (size < sizeof(slab_free_t)) size = sizeof(slab_free_t);
  per = SLAB__CHUNK_BYTES / size;
  if (per == 0) per = 1;
  if (per > limit) per = limit;
  slab->obj_size = size;
  slab->per_chunk = (uint32_t)per;
  slab->limit = limit;
  return 0;
}

void slab_destroy(slab_t *slab) {
  uint32_t i;
  if (slab == NULL) return;
  for (i = 0; i < slab->nchunks; i++) free(slab->chunks[i]);
  free(slab->chunks);
  memset(slab, 0, sizeof *slab);
}

/* Record a chunk, growing the table (the table moves, the chunks do not). */
static int slab__track_chunk(slab_t *slab, void *chunk) {
  if (slab->nchunks == slab->chunks_cap) {
    uint32_t cap = slab->chunks_cap == 0 ? 8 : slab->chunks_cap * 2;
    uint64_t bytes = (uint64_t)cap * sizeof(void *);
    void **grown;
    /* The cast test catches a size that does not fit a 32-bit size_t. */
    if (cap < slab->chunks_cap || bytes != (size_t)bytes) return -1;
    grown = (void **)realloc(slab->chunks, (size_t)bytes);
    if (grown == NULL) return -1;
    slab->chunks = grown;
    slab->chunks_cap = cap;
  }
  slab->chunks[slab->nchunks++] = chunk;
  return 0;
}

/* Add one chunk's objects to the free list, lowest address on top. */
static int slab__grow(slab_t *slab) {
  char *chunk;
  uint32_t i;
  if (slab->obj_size > SIZE_MAX / slab->per_chunk) return -1;
  chunk = (char *)malloc(slab->obj_size * slab->per_chunk);
  if (chunk == NULL) return -1;
  if (slab__track_chunk(slab, chunk) != 0) {
    free(chunk);
    return -1;
  }
  for (i = slab->per_chunk; i-- > 0;) {
    slab_free_t *f = (slab_free_t *)(void *)(chunk + (size_t)i * slab->obj_size);
    f->next = slab->free;
    slab->free = f;
  }
  return 0;
}

void *slab_alloc(slab_t *slab) {
  slab_free_t *obj;
  if (slab->in_use >= slab->limit || (slab->free == NULL && slab__grow(slab) != 0)) {
    slab->exhausted++;
    return NULL;
  }
  obj = slab->free;
  slab->free = obj->next;
  memset(obj, 0, slab->obj_size);
  slab->in_use++;
  if (slab->in_use > slab->high_water) slab->high_water = slab->in_use;
  return obj;
}

void slab_free(slab_t *slab, void *obj) {
  slab_free_t *f = (slab_free_t *)obj;
  if (obj == NULL) return;
  f->next = slab->free;
  slab->free = f;
  slab->in_use--;
}
