/* Request slab: limit and back-pressure, stable addresses, reuse, zeroing. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "riox.h"
#include "slab.h"

typedef struct req {
  uint64_t id;
  char payload[40];
} req;

static slab_t slab;

static void slab_teardown(void) { slab_destroy(&slab); }

Test(slab_init, rejects_zero_size_and_zero_limit) {
  slab_t s;
  int rc = slab_init(&s, 0, 10);
  cr_expect_eq(rc, RIOX_EINVAL, "obj_size 0: %d", rc);
  slab_destroy(&s); /* safe after a failed init */
  rc = slab_init(&s, 16, 0);
  cr_expect_eq(rc, RIOX_EINVAL, "limit 0: %d", rc);
  rc = slab_init(&s, SIZE_MAX, 1);
  cr_expect_eq(rc, RIOX_EINVAL, "obj_size SIZE_MAX: %d", rc);
  rc = slab_init(NULL, 16, 1);
  cr_expect_eq(rc, RIOX_EINVAL, "NULL slab: %d", rc);
}

Test(slab_init, object_size_is_rounded_up, .fini = slab_teardown) {
  static const size_t cases[][2] = {{1, 8}, {7, 8}, {8, 8}, {9, 16}, {13, 16}, {48, 48}, {49, 56}};
  size_t i;
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    cr_assert_eq(slab_init(&slab, cases[i][0], 4), 0, "slab_init(%lu): %s", (unsigned long)cases[i][0],
                 riox_last_detail());
    cr_expect_eq(slab.obj_size, cases[i][1], "obj_size %lu -> %lu, expected %lu", (unsigned long)cases[i][0],
                 (unsigned long)slab.obj_size, (unsigned long)cases[i][1]);
    cr_expect_geq(slab.obj_size, sizeof(void *), "obj_size %lu below a pointer", (unsigned long)slab.obj_size);
    slab_destroy(&slab);
  }
}

Test(slab_init, allocates_lazily, .fini = slab_teardown) {
  cr_assert_eq(slab_init(&slab, sizeof(req), 100), 0, "slab_init: %s", riox_last_detail());
  cr_assert_eq(slab.nchunks, 0, "nchunks %u before any alloc", slab.nchunks);
  cr_assert_null(slab.chunks, "chunk table allocated up front");
}

Test(slab_alloc, limit_gives_back_pressure, .fini = slab_teardown) {
  void *objs[5];
  int i;
  cr_assert_eq(slab_init(&slab, sizeof(req), 5), 0, "slab_init: %s", riox_last_detail());
  for (i = 0; i < 5; i++) cr_assert_not_null(objs[i] = slab_alloc(&slab), "alloc %d failed below the limit", i);
  cr_assert_null(slab_alloc(&slab), "alloc beyond the limit succeeded");
  cr_assert_null(slab_alloc(&slab), "second alloc beyond the limit succeeded");
  cr_assert_eq(slab.exhausted, 2, "exhausted %lu, expected 2", (unsigned long)slab.exhausted);
  cr_assert_eq(slab.in_use, 5, "in_use %u, expected 5", slab.in_use);
  slab_free(&slab, objs[2]);
  cr_assert_not_null(slab_alloc(&slab), "alloc after a free failed");
}

Test(slab_alloc, objects_are_zeroed_even_when_reused, .fini = slab_teardown) {
  req *r;
  size_t i;
  cr_assert_eq(slab_init(&slab, sizeof(req), 4), 0, "slab_init: %s", riox_last_detail());
  r = (req *)slab_alloc(&slab);
  memset(r, 0xEE, sizeof *r);
  slab_free(&slab, r);
  r = (req *)slab_alloc(&slab);
  for (i = 0; i < sizeof *r; i++)
    cr_assert_eq(((unsigned char *)r)[i], 0, "byte %lu of a reused object is 0x%02x", (unsigned long)i,
                 ((unsigned char *)r)[i]);
}

Test(slab_alloc, freed_object_is_reused_first, .fini = slab_teardown) {
  void *a, *b, *c;
  cr_assert_eq(slab_init(&slab, sizeof(req), 10), 0, "slab_init: %s", riox_last_detail());
  a = slab_alloc(&slab);
  b = slab_alloc(&slab);
  slab_free(&slab, a);
  c = slab_alloc(&slab);
  cr_assert_eq(c, a, "got %p after freeing %p", c, a);
  cr_assert_neq(c, b, "got the live object %p again", b);
}

Test(slab_alloc, addresses_stay_stable_across_growth, .fini = slab_teardown) {
  enum { N = 20000 };
  req **objs = (req **)malloc(N * sizeof *objs);
  int i;
  cr_assert_eq(slab_init(&slab, sizeof(req), N), 0, "slab_init: %s", riox_last_detail());
  for (i = 0; i < N; i++) {
    objs[i] = (req *)slab_alloc(&slab);
    cr_assert_not_null(objs[i], "alloc %d failed", i);
    objs[i]->id = (uint64_t)i * 2654435761u;
  }
  cr_assert_gt(slab.nchunks, 8, "only %u chunks: growth of the chunk table not exercised", slab.nchunks);
  for (i = 0; i < N; i++)
    cr_assert_eq(objs[i]->id, (uint64_t)i * 2654435761u, "object %d at %p changed: %lu", i, (void *)objs[i],
                 (unsigned long)objs[i]->id);
  free(objs);
}

Test(slab_alloc, objects_are_aligned_and_disjoint, .fini = slab_teardown) {
  enum { N = 3000 };
  uintptr_t *addr = (uintptr_t *)malloc(N * sizeof *addr);
  int i, j;
  cr_assert_eq(slab_init(&slab, 20, N), 0, "slab_init: %s", riox_last_detail());
  for (i = 0; i < N; i++) {
    char *p = (char *)slab_alloc(&slab);
    memset(p, 0x11, 20); /* ASan catches an object past its chunk */
    addr[i] = (uintptr_t)p;
    cr_assert_eq(addr[i] % 8, 0, "object %d at %p is not 8-byte aligned", i, (void *)p);
  }
  /* Sorted neighbours must be at least one object apart. */
  for (i = 1; i < N; i++) {
    uintptr_t v = addr[i];
    for (j = i - 1; j >= 0 && addr[j] > v; j--) addr[j + 1] = addr[j];
    addr[j + 1] = v;
  }
  for (i = 1; i < N; i++)
    cr_assert_geq(addr[i] - addr[i - 1], slab.obj_size, "objects at %p and %p overlap", (void *)addr[i - 1],
                  (void *)addr[i]);
  free(addr);
}

Test(slab_alloc, counters_track_use_and_peak, .fini = slab_teardown) {
  void *o[8];
  int i;
  cr_assert_eq(slab_init(&slab, 64, 100), 0, "slab_init: %s", riox_last_detail());
  for (i = 0; i < 8; i++) o[i] = slab_alloc(&slab);
  for (i = 0; i < 5; i++) slab_free(&slab, o[i]);
  cr_assert_eq(slab.in_use, 3, "in_use %u, expected 3", slab.in_use);
  cr_assert_eq(slab.high_water, 8, "high_water %u, expected 8", slab.high_water);
  cr_assert_eq(slab.exhausted, 0, "exhausted %lu, expected 0", (unsigned long)slab.exhausted);
}

Test(slab_alloc, objects_larger_than_a_chunk, .fini = slab_teardown) {
  char *a, *b;
  cr_assert_eq(slab_init(&slab, 200000, 3), 0, "slab_init: %s", riox_last_detail());
  cr_assert_eq(slab.per_chunk, 1, "per_chunk %u, expected 1", slab.per_chunk);
  a = (char *)slab_alloc(&slab);
  b = (char *)slab_alloc(&slab);
  cr_assert(a != NULL && b != NULL, "alloc failed");
  memset(a, 1, 200000);
  memset(b, 2, 200000);
  cr_assert_eq(a[199999], 1, "objects overlap");
}

Test(slab_free, null_is_ignored, .fini = slab_teardown) {
  cr_assert_eq(slab_init(&slab, 16, 2), 0, "slab_init: %s", riox_last_detail());
  (void)slab_alloc(&slab);
  slab_free(&slab, NULL);
  cr_assert_eq(slab.in_use, 1, "in_use %u after freeing NULL", slab.in_use);
}
