/* Buffer pool. Slot s lives in region s / per_region, so slot -> address is
 * O(1); address -> slot needs the regions ordered by address (separate
 * mallocs land anywhere), which a sorted span table gives in O(log regions).
 *
 * Two pieces of bookkeeping are kept out of pool.h so the header others code
 * against does not change:
 *  - each region's raw malloc pointer sits in the padding just below its
 *    64-byte aligned base;
 *  - the sorted span table is allocated in the same block as `regions`,
 *    right after the nregions entries (see pool__spans). */
#include "pool.h"

#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "riox.h"

#define POOL__ALIGN 64

/* Where a region starts in memory, for the address -> region search. */
typedef struct pool__span {
  uintptr_t lo;
  uint32_t region;
} pool__span_t;

/* The spans follow the regions in one block; a region's size is a multiple
 * of its (pointer) alignment, so the spans start suitably aligned. */
typedef char pool__spans_are_aligned[sizeof(pool_region_t) % sizeof(uintptr_t) == 0 ? 1 : -1];

static pool__span_t *pool__spans(const pool_t *pool) {
  return (pool__span_t *)(void *)(pool->regions + pool->nregions);
}

/* ------------------------------------------------------ aligned regions */

static char *pool__alloc_aligned(size_t size) {
  /* Room to move up to the next 64-byte boundary after the stored pointer. */
  size_t extra = sizeof(void *) + POOL__ALIGN - 1;
  char *raw, *base;
  size_t misalign;
  if (size > SIZE_MAX - extra) return NULL;
  raw = (char *)malloc(size + extra);
  if (raw == NULL) return NULL;
  base = raw + sizeof(void *);
  misalign = (size_t)((uintptr_t)base % POOL__ALIGN);
  if (misalign != 0) base += POOL__ALIGN - misalign;
  memcpy(base - sizeof(void *), &raw, sizeof raw);
  return base;
}

static void pool__free_aligned(char *base) {
  void *raw;
  if (base == NULL) return;
  memcpy(&raw, base - sizeof(void *), sizeof raw);
  free(raw);
}

/* --------------------------------------------------------------- setup */

static int pool__span_cmp(const void *a, const void *b) {
  uintptr_t x = ((const pool__span_t *)a)->lo, y = ((const pool__span_t *)b)->lo;
  return x < y ? -1 : x > y;
}

static int pool__alloc_regions(pool_t *pool) {
  uint32_t r;
  pool__span_t *spans = pool__spans(pool);
  for (r = 0; r < pool->nregions; r++) {
    pool_region_t *reg = &pool->regions[r];
    reg->first = r * pool->per_region;
    reg->count = pool->buf_count - reg->first < pool->per_region ? pool->buf_count - reg->first
                                                                 : pool->per_region;
    reg->size = (size_t)reg->count * pool->buf_size;
    reg->base = pool__alloc_aligned(reg->size);
    if (reg->base == NULL) return RIOX_ENOMEM;
    spans[r].lo = (uintptr_t)reg->base;
    spans[r].region = r;
  }
  qsort(spans, pool->nregions, sizeof *spans, pool__span_cmp);
  return 0;
}

static int pool__check_args(uint32_t buf_size, uint32_t buf_count) {
  if (buf_size == 0 || buf_size > POOL_BUF_SIZE_MAX)
    return error_detail(RIOX_EINVAL, "buffer size %u is not in 1..%u", (unsigned)buf_size,
                        (unsigned)POOL_BUF_SIZE_MAX);
  if (buf_count == 0 || buf_count > POOL_BUF_COUNT_MAX)
    return error_detail(RIOX_EINVAL, "buffer count %u is not in 1..%u", (unsigned)buf_count,
                        (unsigned)POOL_BUF_COUNT_MAX);
  return 0;
}

int pool_init(pool_t *pool, uint32_t buf_size, uint32_t buf_count) {
  uint32_t i;
  size_t per;
  int rc;
  if (pool == NULL) return error_detail(RIOX_EINVAL, "pool_init: pool is NULL");
  /* Zeroed even on failure, so pool_destroy is always safe to call. */
  memset(pool, 0, sizeof *pool);
  rc = pool__check_args(buf_size, buf_count);
  if (rc != 0) return rc;
  per = POOL_REGION_MAX / buf_size;
  pool->buf_size = buf_size;
  pool->buf_count = buf_count;
  pool->per_region = per == 0 ? 1 : (uint32_t)per;
  pool->nregions = (buf_count + pool->per_region - 1) / pool->per_region;
  pool->regions = (pool_region_t *)calloc(pool->nregions, sizeof(pool_region_t) + sizeof(pool__span_t));
  pool->free_stack = (uint32_t *)malloc((size_t)buf_count * sizeof(uint32_t));
  pool->in_use = (uint8_t *)calloc(buf_count, 1);
  if (pool->regions == NULL || pool->free_stack == NULL || pool->in_use == NULL ||
      pool__alloc_regions(pool) != 0) {
    pool_destroy(pool);
    return error_detail(RIOX_ENOMEM, "cannot allocate a pool of %u buffers of %u bytes", (unsigned)buf_count,
                        (unsigned)buf_size);
  }
  /* Slot 0 on top of the stack: the first gets walk memory in order. */
  for (i = 0; i < buf_count; i++) pool->free_stack[i] = buf_count - 1 - i;
  pool->nfree = buf_count;
  return 0;
}

void pool_destroy(pool_t *pool) {
  uint32_t r;
  if (pool == NULL) return;
  if (pool->regions != NULL)
    for (r = 0; r < pool->nregions; r++) pool__free_aligned(pool->regions[r].base);
  free(pool->regions);
  free(pool->free_stack);
  free(pool->in_use);
  memset(pool, 0, sizeof *pool);
}

/* ------------------------------------------------------------ get / put */

static char *pool__slot_ptr(const pool_t *pool, uint32_t slot) {
  const pool_region_t *reg = &pool->regions[slot / pool->per_region];
  return reg->base + (size_t)(slot - reg->first) * pool->buf_size;
}

char *pool_get(pool_t *pool) {
  uint32_t slot, used;
  if (pool == NULL) return NULL;
  if (pool->nfree == 0) {
    pool->exhausted++;
    return NULL;
  }
  slot = pool->free_stack[--pool->nfree];
  pool->in_use[slot] = 1;
  used = pool->buf_count - pool->nfree;
  if (used > pool->high_water) pool->high_water = used;
  return pool__slot_ptr(pool, slot);
}

/* The region holding ptr: binary search for the last span starting at or
 * below it. Integers, not pointers, are compared: relational operators on
 * pointers into different allocations are undefined in C. */
static int pool__find(const pool_t *pool, const char *ptr, uint32_t *region, size_t *offset) {
  const pool__span_t *spans;
  uintptr_t p = (uintptr_t)ptr;
  uint32_t lo = 0, hi = pool->nregions;
  const pool_region_t *reg;
  if (pool->regions == NULL || ptr == NULL) return -1;
  spans = pool__spans(pool);
  while (hi - lo > 1) {
    uint32_t mid = lo + (hi - lo) / 2;
    if (spans[mid].lo <= p)
      lo = mid;
    else
      hi = mid;
  }
  if (spans[lo].lo > p) return -1;
  reg = &pool->regions[spans[lo].region];
  if (p - spans[lo].lo >= reg->size) return -1;
  *region = spans[lo].region;
  *offset = (size_t)(p - spans[lo].lo);
  return 0;
}

int pool_put(pool_t *pool, const char *ptr) {
  uint32_t region, slot;
  size_t offset;
  if (pool == NULL) return error_detail(RIOX_EINVAL, "pool_put: pool is NULL");
  if (pool__find(pool, ptr, &region, &offset) != 0)
    return error_detail(RIOX_EINVAL, "buffer %p is not inside this pool", (const void *)ptr);
  slot = pool->regions[region].first + (uint32_t)(offset / pool->buf_size);
  if (!pool->in_use[slot])
    return error_detail(RIOX_EINVAL, "buffer %p (slot %u) is already free", (const void *)ptr, (unsigned)slot);
  pool->in_use[slot] = 0;
  pool->free_stack[pool->nfree++] = slot;
  return 0;
}

int pool_locate(const pool_t *pool, const char *ptr, uint32_t len, uint32_t *slot, uint32_t *region,
                uint32_t *offset) {
  uint32_t r, s;
  size_t off, within;
  if (pool == NULL) return error_detail(RIOX_EINVAL, "pool_locate: pool is NULL");
  if (pool__find(pool, ptr, &r, &off) != 0)
    return error_detail(RIOX_EINVAL, "buffer %p is not inside this pool", (const void *)ptr);
  s = pool->regions[r].first + (uint32_t)(off / pool->buf_size);
  within = off % pool->buf_size;
  if (!pool->in_use[s])
    return error_detail(RIOX_EINVAL, "buffer %p (slot %u) is free, not owned by the caller", (const void *)ptr,
                        (unsigned)s);
  if (len > pool->buf_size - within)
    return error_detail(RIOX_EINVAL, "range of %u bytes at offset %u crosses the end of its %u-byte slot",
                        (unsigned)len, (unsigned)within, (unsigned)pool->buf_size);
  if (slot != NULL) *slot = s;
  if (region != NULL) *region = r;
  if (offset != NULL) *offset = (uint32_t)off;
  return 0;
}
