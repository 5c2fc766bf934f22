/* Buffer pool: fixed-size slots cut from a few large regions allocated once.
 * Regions are what the RIO backend registers (one RIORegisterBuffer each);
 * pool_locate() turns a pointer into (region, offset) for a RIO_BUF.
 * Not thread-safe: a pool belongs to one loop. */
#ifndef RIOX_COMMON_POOL_H
#define RIOX_COMMON_POOL_H

#include <stddef.h>
#include <stdint.h>

/* Largest region: regions hold at most this many bytes (several regions are
 * made when buf_size * buf_count is larger). */
#define POOL_REGION_MAX ((size_t)64 << 20)
#define POOL_BUF_SIZE_MAX ((uint32_t)1 << 20)
#define POOL_BUF_COUNT_MAX ((uint32_t)1 << 22)

typedef struct pool_region {
  char *base;
  size_t size;       /* bytes used by slots in this region */
  uint32_t first;    /* index of its first slot */
  uint32_t count;    /* slots in it */
  void *user;        /* for the backend (e.g. a RIO buffer id) */
} pool_region_t;

typedef struct pool {
  uint32_t buf_size;   /* slot stride and capacity */
  uint32_t buf_count;
  uint32_t per_region; /* slots per region (last may hold fewer) */
  uint32_t nregions;
  pool_region_t *regions;
  uint32_t *free_stack; /* indices of free slots (LIFO, warm slots first) */
  uint32_t nfree;
  uint8_t *in_use;      /* one byte per slot: double-put detection */
  uint64_t high_water;
  uint64_t exhausted;   /* failed pool_get calls */
} pool_t;

/* 0, RIOX_EINVAL (zero/too large sizes), RIOX_ENOMEM. buf_size is used as
 * given (callers choose an aligned size); each region base is 64-byte aligned
 * at least. */
int pool_init(pool_t *pool, uint32_t buf_size, uint32_t buf_count);
void pool_destroy(pool_t *pool);
/* A free slot or NULL (counts pool->exhausted). */
char *pool_get(pool_t *pool);
/* 0, or RIOX_EINVAL when ptr is not inside a slot or the slot is free. */
int pool_put(pool_t *pool, const char *ptr);
/* Where [ptr, ptr+len) lives: 0 and the slot, region and offset (offset from the
 * region base), or RIOX_EINVAL when the range is not wholly inside one slot
 * that is in use. len 0 is a valid range at ptr. */
int pool_locate(const pool_t *pool, const char *ptr, uint32_t len, uint32_t *slot,
                uint32_t *region, uint32_t *offset);
static inline uint32_t pool_in_use(const pool_t *pool) { return pool->buf_count - pool->nfree; }

#endif
