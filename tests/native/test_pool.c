/* Buffer pool: get/put, exhaustion, misuse, and pool_locate across region
 * boundaries. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "pool.h"
#include "riox.h"

#define MIB ((uint32_t)1 << 20)

static pool_t pool;

static void pool_teardown(void) { pool_destroy(&pool); }

static void small_pool(void) { cr_assert_eq(pool_init(&pool, 2048, 16), 0, "pool_init: %s", riox_last_detail()); }

/* 1 MiB slots: 64 per 64 MiB region, so 70 slots need 2 regions. */
static void big_pool(void) { cr_assert_eq(pool_init(&pool, MIB, 70), 0, "pool_init: %s", riox_last_detail()); }

/* ---------------------------------------------------------------- init */

Test(pool_init, rejects_bad_sizes) {
  static const uint32_t bad[][2] = {
      {0, 16}, {POOL_BUF_SIZE_MAX + 1, 16}, {UINT32_MAX, 16}, {2048, 0}, {2048, POOL_BUF_COUNT_MAX + 1}, {2048, UINT32_MAX},
  };
  size_t i;
  for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    pool_t p;
    int rc = pool_init(&p, bad[i][0], bad[i][1]);
    cr_expect_eq(rc, RIOX_EINVAL, "pool_init(%u, %u) = %d, expected RIOX_EINVAL", bad[i][0], bad[i][1], rc);
    cr_expect_neq(riox_last_detail()[0], '\0', "pool_init(%u, %u) left no detail", bad[i][0], bad[i][1]);
    pool_destroy(&p); /* safe after a failed init */
  }
  cr_expect_eq(pool_init(NULL, 2048, 16), RIOX_EINVAL, "pool_init(NULL) accepted");
}

Test(pool_init, single_region_layout, .fini = pool_teardown) {
  small_pool();
  cr_assert_eq(pool.nregions, 1, "nregions %u, expected 1", pool.nregions);
  cr_assert_eq(pool.regions[0].count, 16, "region count %u", pool.regions[0].count);
  cr_assert_eq(pool.regions[0].size, (size_t)16 * 2048, "region size %lu", (unsigned long)pool.regions[0].size);
  cr_assert_eq(pool.per_region, (uint32_t)(POOL_REGION_MAX / 2048), "per_region %u", pool.per_region);
  cr_assert_eq(pool_in_use(&pool), 0, "in use %u", pool_in_use(&pool));
}

Test(pool_init, two_region_layout, .fini = pool_teardown) {
  big_pool();
  cr_assert_eq(pool.per_region, 64, "per_region %u, expected 64", pool.per_region);
  cr_assert_eq(pool.nregions, 2, "nregions %u, expected 2", pool.nregions);
  cr_assert_eq(pool.regions[0].first, 0, "region 0 first %u", pool.regions[0].first);
  cr_assert_eq(pool.regions[0].count, 64, "region 0 count %u", pool.regions[0].count);
  cr_assert_eq(pool.regions[1].first, 64, "region 1 first %u", pool.regions[1].first);
  cr_assert_eq(pool.regions[1].count, 6, "region 1 count %u", pool.regions[1].count);
  cr_assert_eq(pool.regions[1].size, (size_t)6 * MIB, "region 1 size %lu", (unsigned long)pool.regions[1].size);
}

Test(pool_init, region_count_is_ceiling_of_slots_per_region) {
  static const uint32_t cases[][3] = {/* buf_size, count, regions */
                                      {MIB, 64, 1},
                                      {MIB, 65, 2},
                                      {MIB, 128, 2},
                                      {MIB, 129, 3},
                                      {1, 5, 1},
                                      {3000, 22369, 1},
                                      {3000, 22370, 2}};
  size_t i;
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    pool_t p;
    int rc = pool_init(&p, cases[i][0], cases[i][1]);
    cr_expect_eq(rc, 0, "pool_init(%u, %u): %s", cases[i][0], cases[i][1], riox_last_detail());
    cr_expect_eq(p.nregions, cases[i][2], "pool_init(%u, %u): %u regions, expected %u", cases[i][0], cases[i][1],
                 p.nregions, cases[i][2]);
    pool_destroy(&p);
  }
}

Test(pool_init, region_bases_are_64_byte_aligned, .fini = pool_teardown) {
  uint32_t r;
  cr_assert_eq(pool_init(&pool, 1000, 70000), 0, "pool_init: %s", riox_last_detail());
  cr_assert_eq(pool.nregions, 2, "nregions %u", pool.nregions);
  for (r = 0; r < pool.nregions; r++)
    cr_expect_eq((uintptr_t)pool.regions[r].base % 64, 0, "region %u base %p is not 64-byte aligned", r,
                 (void *)pool.regions[r].base);
}

Test(pool_init, destroy_twice_is_safe) {
  small_pool();
  pool_destroy(&pool);
  pool_destroy(&pool);
  cr_assert_eq(pool.regions, NULL, "regions not cleared");
  cr_assert_eq(pool.buf_count, 0, "buf_count not cleared");
}

/* ------------------------------------------------------------ get/put */

Test(pool_get, slots_are_distinct_and_fully_writable, .fini = pool_teardown) {
  char *slots[70];
  int i, j;
  big_pool();
  for (i = 0; i < 70; i++) {
    slots[i] = pool_get(&pool);
    cr_assert_not_null(slots[i], "get %d returned NULL", i);
    memset(slots[i], i, MIB); /* ASan catches a slot that overruns its region */
  }
  for (i = 0; i < 70; i++) {
    cr_expect_eq((unsigned char)slots[i][0], (unsigned char)i, "slot %d first byte %u", i, (unsigned char)slots[i][0]);
    cr_expect_eq((unsigned char)slots[i][MIB - 1], (unsigned char)i, "slot %d last byte was overwritten", i);
    for (j = i + 1; j < 70; j++) cr_expect_neq(slots[i], slots[j], "slots %d and %d are both %p", i, j, slots[i]);
  }
}

Test(pool_get, first_gets_walk_slots_in_order, .fini = pool_teardown) {
  char *a, *b;
  small_pool();
  a = pool_get(&pool);
  b = pool_get(&pool);
  cr_assert_eq(a, pool.regions[0].base, "first slot %p, region base %p", a, pool.regions[0].base);
  cr_assert_eq(b, a + 2048, "second slot %p, expected %p", b, a + 2048);
}

Test(pool_get, exhaustion_returns_null_and_counts, .fini = pool_teardown) {
  int i;
  small_pool();
  for (i = 0; i < 16; i++) cr_assert_not_null(pool_get(&pool), "get %d failed early", i);
  cr_assert_null(pool_get(&pool), "got a 17th slot from 16");
  cr_assert_null(pool_get(&pool), "got an 18th slot from 16");
  cr_assert_eq(pool.exhausted, 2, "exhausted %lu, expected 2", (unsigned long)pool.exhausted);
  cr_assert_eq(pool_in_use(&pool), 16, "in use %u", pool_in_use(&pool));
}

Test(pool_get, high_water_tracks_the_peak, .fini = pool_teardown) {
  char *s[10];
  int i;
  small_pool();
  for (i = 0; i < 10; i++) s[i] = pool_get(&pool);
  for (i = 0; i < 10; i++) cr_assert_eq(pool_put(&pool, s[i]), 0, "put %d: %s", i, riox_last_detail());
  for (i = 0; i < 3; i++) s[i] = pool_get(&pool);
  cr_assert_eq(pool.high_water, 10, "high water %lu, expected 10", (unsigned long)pool.high_water);
  cr_assert_eq(pool_in_use(&pool), 3, "in use %u, expected 3", pool_in_use(&pool));
}

Test(pool_put, put_then_get_reuses_the_warm_slot, .fini = pool_teardown) {
  char *a, *b;
  small_pool();
  a = pool_get(&pool);
  (void)pool_get(&pool);
  cr_assert_eq(pool_put(&pool, a), 0, "put: %s", riox_last_detail());
  b = pool_get(&pool);
  cr_assert_eq(b, a, "got %p after putting %p", b, a);
}

Test(pool_put, interior_pointer_returns_its_slot, .fini = pool_teardown) {
  char *a;
  small_pool();
  a = pool_get(&pool);
  cr_assert_eq(pool_put(&pool, a + 2047), 0, "put of the last byte: %s", riox_last_detail());
  cr_assert_eq(pool_in_use(&pool), 0, "in use %u after put", pool_in_use(&pool));
  cr_assert_eq(pool_get(&pool), a, "the slot did not come back");
}

Test(pool_put, double_put_is_einval, .fini = pool_teardown) {
  char *a;
  int rc;
  small_pool();
  a = pool_get(&pool);
  cr_assert_eq(pool_put(&pool, a), 0, "first put: %s", riox_last_detail());
  rc = pool_put(&pool, a);
  cr_assert_eq(rc, RIOX_EINVAL, "second put = %d, expected RIOX_EINVAL", rc);
  cr_expect(strstr(riox_last_detail(), "already free") != NULL, "detail \"%s\"", riox_last_detail());
  cr_assert_eq(pool.nfree, 16, "nfree %u after a double put, expected 16", pool.nfree);
}

Test(pool_put, never_got_slot_is_einval, .fini = pool_teardown) {
  small_pool();
  cr_assert_eq(pool_put(&pool, pool.regions[0].base + 5 * 2048), RIOX_EINVAL, "put of a free slot accepted");
}

Test(pool_put, foreign_pointers_are_einval, .fini = pool_teardown) {
  char local[16];
  char *heap = (char *)malloc(64);
  char *base;
  small_pool();
  base = pool.regions[0].base;
  (void)pool_get(&pool);
  cr_expect_eq(pool_put(&pool, local), RIOX_EINVAL, "stack pointer accepted");
  cr_expect_eq(pool_put(&pool, heap), RIOX_EINVAL, "heap pointer accepted");
  cr_expect_eq(pool_put(&pool, NULL), RIOX_EINVAL, "NULL accepted");
  cr_expect_eq(pool_put(&pool, base - 1), RIOX_EINVAL, "pointer before the region accepted");
  cr_expect_eq(pool_put(&pool, base + pool.regions[0].size), RIOX_EINVAL, "pointer past the region accepted");
  cr_expect_eq(pool_in_use(&pool), 1, "in use %u, expected 1", pool_in_use(&pool));
  free(heap);
}

Test(pool_put, works_across_regions, .fini = pool_teardown) {
  char *s[70];
  int i;
  big_pool();
  for (i = 0; i < 70; i++) s[i] = pool_get(&pool);
  for (i = 69; i >= 0; i--) cr_assert_eq(pool_put(&pool, s[i] + i), 0, "put %d: %s", i, riox_last_detail());
  cr_assert_eq(pool_in_use(&pool), 0, "in use %u", pool_in_use(&pool));
}

/* -------------------------------------------------------------- locate */

Test(pool_locate, every_slot_maps_to_its_region_and_offset, .fini = pool_teardown) {
  int i;
  big_pool();
  for (i = 0; i < 70; i++) {
    char *p = pool_get(&pool);
    uint32_t slot = 99, region = 99, offset = 99;
    uint32_t want_region = (uint32_t)i / 64;
    uint32_t want_offset = ((uint32_t)i % 64) * MIB;
    int rc = pool_locate(&pool, p, MIB, &slot, &region, &offset);
    cr_assert_eq(rc, 0, "slot %d: %s", i, riox_last_detail());
    cr_expect_eq(slot, (uint32_t)i, "slot %u, expected %d", slot, i);
    cr_expect_eq(region, want_region, "slot %d: region %u, expected %u", i, region, want_region);
    cr_expect_eq(offset, want_offset, "slot %d: offset %u, expected %u", i, offset, want_offset);
    cr_expect_eq(pool.regions[region].base + offset, p, "slot %d: base+offset is not the pointer", i);
  }
}

Test(pool_locate, range_bounds_inside_a_slot, .fini = pool_teardown) {
  char *p;
  uint32_t slot, region, offset;
  big_pool();
  for (slot = 0; slot < 64; slot++) (void)pool_get(&pool);
  p = pool_get(&pool); /* slot 64: the first of region 1 */
  cr_assert_eq(pool_locate(&pool, p, 0, &slot, &region, &offset), 0, "len 0 at start: %s", riox_last_detail());
  cr_assert(slot == 64 && region == 1 && offset == 0, "slot %u region %u offset %u", slot, region, offset);
  cr_expect_eq(pool_locate(&pool, p, MIB, NULL, NULL, NULL), 0, "whole slot: %s", riox_last_detail());
  cr_expect_eq(pool_locate(&pool, p, MIB + 1, NULL, NULL, NULL), RIOX_EINVAL, "one byte past the slot accepted");
  cr_expect_eq(pool_locate(&pool, p + MIB - 1, 1, &slot, &region, &offset), 0, "last byte: %s", riox_last_detail());
  cr_expect_eq(offset, MIB - 1, "last byte offset %u", offset);
  cr_expect_eq(pool_locate(&pool, p + MIB - 1, 0, NULL, NULL, NULL), 0, "len 0 at the last byte rejected");
  cr_expect_eq(pool_locate(&pool, p + MIB - 1, 2, NULL, NULL, NULL), RIOX_EINVAL, "range crossing slots accepted");
  cr_expect_eq(pool_locate(&pool, p + 100, MIB - 100, NULL, NULL, NULL), 0, "tail range rejected");
  cr_expect_eq(pool_locate(&pool, p + 100, UINT32_MAX, NULL, NULL, NULL), RIOX_EINVAL, "huge len accepted");
}

Test(pool_locate, free_slot_and_foreign_pointer_are_einval, .fini = pool_teardown) {
  char *p, other[8];
  big_pool();
  p = pool_get(&pool);
  cr_expect_eq(pool_locate(&pool, p + MIB, 1, NULL, NULL, NULL), RIOX_EINVAL, "free neighbour slot accepted");
  cr_expect_eq(pool_locate(&pool, other, 1, NULL, NULL, NULL), RIOX_EINVAL, "stack pointer accepted");
  cr_expect_eq(pool_locate(&pool, NULL, 0, NULL, NULL, NULL), RIOX_EINVAL, "NULL accepted");
  cr_expect_eq(pool_locate(&pool, pool.regions[1].base + pool.regions[1].size, 0, NULL, NULL, NULL), RIOX_EINVAL,
               "end of region 1 accepted");
  cr_expect_eq(pool_locate(&pool, pool.regions[1].base - 1, 0, NULL, NULL, NULL), RIOX_EINVAL,
               "byte before region 1 accepted");
  pool_put(&pool, p);
  cr_expect_eq(pool_locate(&pool, p, 1, NULL, NULL, NULL), RIOX_EINVAL, "slot returned to the pool accepted");
}

Test(pool_locate, many_regions_binary_search, .fini = pool_teardown) {
  /* 1 MiB slots x 260 = 5 regions (untouched memory, so cheap), located in
   * scrambled order. */
  uint32_t i, n = 260;
  char **s = (char **)malloc(n * sizeof *s);
  cr_assert_eq(pool_init(&pool, MIB, n), 0, "pool_init: %s", riox_last_detail());
  cr_assert_eq(pool.nregions, 5, "nregions %u", pool.nregions);
  for (i = 0; i < n; i++) s[i] = pool_get(&pool);
  for (i = 0; i < n; i++) {
    uint32_t k = (i * 7919u) % n, slot, region, offset;
    int rc = pool_locate(&pool, s[k] + 17, 5, &slot, &region, &offset);
    cr_assert_eq(rc, 0, "slot %u: %s", k, riox_last_detail());
    cr_assert(slot == k && region == k / 64 && offset == (k % 64) * MIB + 17, "slot %u -> slot %u region %u offset %u",
              k, slot, region, offset);
  }
  free(s);
}
