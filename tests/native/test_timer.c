/* Timer heap: ordering, FIFO ties, cancellation, stale ids, and a long
 * random run checked against a naive model. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "riox.h"
#include "timer.h"

static timer_heap_t th;

static void th_setup(void) { timer_heap_init(&th); }
static void th_teardown(void) { timer_heap_destroy(&th); }

static uint32_t rng_state;
static uint32_t rng(void) {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 17;
  rng_state ^= rng_state << 5;
  return rng_state;
}

static uint64_t add(uint64_t deadline, uintptr_t ctx) {
  uint64_t id = 0;
  int rc = timer_heap_add(&th, deadline, (void *)ctx, &id);
  cr_assert_eq(rc, 0, "timer_heap_add(%lu) = %d", (unsigned long)deadline, rc);
  return id;
}

/* ------------------------------------------------------------- basics */

Test(timer, empty_heap, .init = th_setup, .fini = th_teardown) {
  uint64_t id = 1;
  void *ctx = NULL;
  cr_assert_eq(timer_heap_next(&th), UINT64_MAX, "next %lu on an empty heap", (unsigned long)timer_heap_next(&th));
  cr_assert_eq(timer_heap_pop_due(&th, UINT64_MAX, &id, &ctx), 0, "popped from an empty heap");
  cr_assert_eq(timer_heap_count(&th), 0, "count %u", timer_heap_count(&th));
  cr_assert_eq(timer_heap_cancel(&th, 0, &ctx), RIOX_ENOENT, "cancelled id 0 on an empty heap");
}

Test(timer, ids_are_never_zero_and_start_at_generation_1, .init = th_setup, .fini = th_teardown) {
  int i;
  for (i = 0; i < 100; i++) {
    uint64_t id = add((uint64_t)i, 0);
    cr_expect_neq(id, 0, "timer %d got id 0", i);
    cr_expect_eq(id >> 32, 1, "timer %d: generation %lu, expected 1", i, (unsigned long)(id >> 32));
    cr_expect_eq(id & 0xffffffffu, (uint64_t)i, "timer %d: slot %lu", i, (unsigned long)(id & 0xffffffffu));
  }
}

Test(timer, pop_respects_now_and_next_is_earliest, .init = th_setup, .fini = th_teardown) {
  uint64_t id;
  void *ctx;
  add(30, 3);
  add(10, 1);
  add(20, 2);
  cr_assert_eq(timer_heap_next(&th), 10, "next %lu, expected 10", (unsigned long)timer_heap_next(&th));
  cr_assert_eq(timer_heap_pop_due(&th, 9, &id, &ctx), 0, "popped a timer due at 10 at time 9");
  cr_assert_eq(timer_heap_pop_due(&th, 15, &id, &ctx), 1, "timer due at 10 not popped at 15");
  cr_assert_eq((uintptr_t)ctx, 1, "ctx %lu, expected 1", (unsigned long)(uintptr_t)ctx);
  cr_assert_eq(timer_heap_pop_due(&th, 15, &id, &ctx), 0, "timer due at 20 popped at 15");
  cr_assert_eq(timer_heap_next(&th), 20, "next %lu, expected 20", (unsigned long)timer_heap_next(&th));
  cr_assert_eq(timer_heap_count(&th), 2, "count %u, expected 2", timer_heap_count(&th));
}

Test(timer, random_deadlines_pop_sorted, .init = th_setup, .fini = th_teardown) {
  const uint32_t seed = 12345;
  uint64_t last = 0, id;
  void *ctx;
  uint64_t *deadline_of = (uint64_t *)calloc(2000, sizeof *deadline_of);
  int i, n = 0;
  rng_state = seed;
  for (i = 0; i < 2000; i++) {
    deadline_of[i] = rng() % 100000;
    add(deadline_of[i], (uintptr_t)i);
  }
  while (timer_heap_pop_due(&th, UINT64_MAX, &id, &ctx)) {
    uint64_t d = deadline_of[(uintptr_t)ctx];
    cr_assert_geq(d, last, "seed %u: pop %d has deadline %lu after %lu", seed, n, (unsigned long)d,
                  (unsigned long)last);
    last = d;
    n++;
  }
  cr_assert_eq(n, 2000, "popped %d of 2000", n);
  free(deadline_of);
}

Test(timer, equal_deadlines_fire_in_start_order, .init = th_setup, .fini = th_teardown) {
  uint64_t id;
  void *ctx;
  uintptr_t i;
  for (i = 0; i < 500; i++) add(7, i);
  for (i = 0; i < 500; i++) {
    cr_assert_eq(timer_heap_pop_due(&th, 7, &id, &ctx), 1, "pop %lu failed", (unsigned long)i);
    cr_assert_eq((uintptr_t)ctx, i, "pop %lu returned timer %lu", (unsigned long)i, (unsigned long)(uintptr_t)ctx);
  }
}

Test(timer, ties_stay_fifo_after_cancels_and_reuse, .init = th_setup, .fini = th_teardown) {
  uint64_t ids[10], id;
  void *ctx;
  uintptr_t i, expect[] = {0, 2, 4, 6, 8, 10, 11, 12};
  for (i = 0; i < 10; i++) ids[i] = add(50, i);
  for (i = 1; i < 10; i += 2) cr_assert_eq(timer_heap_cancel(&th, ids[i], NULL), 0, "cancel %lu", (unsigned long)i);
  add(50, 10); /* reuses freed slots, but starts later */
  add(50, 11);
  add(50, 12);
  for (i = 0; i < sizeof expect / sizeof expect[0]; i++) {
    cr_assert_eq(timer_heap_pop_due(&th, 50, &id, &ctx), 1, "pop %lu failed", (unsigned long)i);
    cr_assert_eq((uintptr_t)ctx, expect[i], "pop %lu returned %lu, expected %lu", (unsigned long)i,
                 (unsigned long)(uintptr_t)ctx, (unsigned long)expect[i]);
  }
}

/* ----------------------------------------------------------- cancel */

Test(timer, cancel_in_the_middle, .init = th_setup, .fini = th_teardown) {
  uint64_t ids[5], id;
  void *ctx = NULL;
  uintptr_t got[4];
  int i, n = 0;
  for (i = 0; i < 5; i++) ids[i] = add((uint64_t)(10 * (i + 1)), (uintptr_t)(100 + i));
  cr_assert_eq(timer_heap_cancel(&th, ids[2], &ctx), 0, "cancel failed");
  cr_assert_eq((uintptr_t)ctx, 102, "cancel returned ctx %lu, expected 102", (unsigned long)(uintptr_t)ctx);
  cr_assert_eq(timer_heap_count(&th), 4, "count %u after cancel", timer_heap_count(&th));
  while (timer_heap_pop_due(&th, 1000, &id, &ctx)) {
    cr_assert_lt(n, 4, "more than 4 timers popped");
    got[n++] = (uintptr_t)ctx;
    cr_assert_neq(id, ids[2], "the cancelled timer fired");
  }
  cr_assert(n == 4 && got[0] == 100 && got[1] == 101 && got[2] == 103 && got[3] == 104,
            "popped %d: %lu %lu %lu %lu", n, (unsigned long)got[0], (unsigned long)got[1], (unsigned long)got[2],
            (unsigned long)got[3]);
}

Test(timer, stale_id_after_fire_is_enoent, .init = th_setup, .fini = th_teardown) {
  uint64_t id = add(5, 1), popped;
  void *ctx;
  int rc;
  cr_assert_eq(timer_heap_pop_due(&th, 5, &popped, &ctx), 1, "did not fire");
  cr_assert_eq(popped, id, "popped id 0x%lx, started 0x%lx", (unsigned long)popped, (unsigned long)id);
  rc = timer_heap_cancel(&th, id, &ctx);
  cr_assert_eq(rc, RIOX_ENOENT, "cancel after fire = %d, expected RIOX_ENOENT", rc);
}

Test(timer, stale_id_after_cancel_is_enoent, .init = th_setup, .fini = th_teardown) {
  uint64_t id = add(5, 1);
  int rc;
  cr_assert_eq(timer_heap_cancel(&th, id, NULL), 0, "first cancel failed");
  rc = timer_heap_cancel(&th, id, NULL);
  cr_assert_eq(rc, RIOX_ENOENT, "second cancel = %d, expected RIOX_ENOENT", rc);
}

Test(timer, stale_id_does_not_touch_the_slots_new_timer, .init = th_setup, .fini = th_teardown) {
  uint64_t old = add(5, 1), fresh;
  void *ctx;
  cr_assert_eq(timer_heap_cancel(&th, old, NULL), 0, "cancel failed");
  fresh = add(6, 2);
  cr_assert_eq(fresh & 0xffffffffu, old & 0xffffffffu, "slot not reused (test premise)");
  cr_assert_neq(fresh, old, "reused slot got the same id 0x%lx", (unsigned long)fresh);
  cr_assert_eq(timer_heap_cancel(&th, old, NULL), RIOX_ENOENT, "stale id cancelled something");
  cr_assert_eq(timer_heap_count(&th), 1, "count %u, the new timer is gone", timer_heap_count(&th));
  cr_assert_eq(timer_heap_pop_due(&th, 6, NULL, &ctx), 1, "new timer did not fire");
  cr_assert_eq((uintptr_t)ctx, 2, "ctx %lu", (unsigned long)(uintptr_t)ctx);
}

Test(timer, bogus_ids_are_enoent, .init = th_setup, .fini = th_teardown) {
  uint64_t id = add(5, 1);
  cr_expect_eq(timer_heap_cancel(&th, 0, NULL), RIOX_ENOENT, "id 0 accepted");
  cr_expect_eq(timer_heap_cancel(&th, id + 1, NULL), RIOX_ENOENT, "neighbouring slot accepted");
  cr_expect_eq(timer_heap_cancel(&th, id + ((uint64_t)1 << 32), NULL), RIOX_ENOENT, "future generation accepted");
  cr_expect_eq(timer_heap_cancel(&th, UINT64_MAX, NULL), RIOX_ENOENT, "UINT64_MAX accepted");
  cr_expect_eq(timer_heap_cancel(&th, 1ull << 32 | 0xfffffffeu, NULL), RIOX_ENOENT, "huge slot accepted");
  cr_expect_eq(timer_heap_count(&th), 1, "count %u", timer_heap_count(&th));
}

Test(timer, destroy_with_pending_timers, .init = th_setup) {
  int i;
  for (i = 0; i < 1000; i++) add((uint64_t)i, 0);
  timer_heap_destroy(&th);
  cr_assert_eq(timer_heap_count(&th), 0, "count %u after destroy", timer_heap_count(&th));
  cr_assert_eq(timer_heap_next(&th), UINT64_MAX, "next after destroy");
  add(1, 0); /* usable again */
  timer_heap_destroy(&th);
}

/* --------------------------------------------------- reference model */

typedef struct model_timer {
  uint64_t id, deadline, seq;
  uintptr_t ctx;
} model_timer;

typedef struct model {
  model_timer *live;
  size_t n;
  uint64_t *dead; /* ids that fired or were cancelled */
  size_t ndead;
  uint64_t seq;
} model;

/* Index of the live timer that must pop next at `now`, or -1. */
static long model_due(const model *m, uint64_t now) {
  long best = -1;
  size_t i;
  for (i = 0; i < m->n; i++) {
    const model_timer *t = &m->live[i];
    if (t->deadline > now) continue;
    if (best < 0 || t->deadline < m->live[best].deadline ||
        (t->deadline == m->live[best].deadline && t->seq < m->live[best].seq))
      best = (long)i;
  }
  return best;
}

static uint64_t model_earliest(const model *m) {
  uint64_t earliest = UINT64_MAX;
  size_t i;
  for (i = 0; i < m->n; i++)
    if (m->live[i].deadline < earliest) earliest = m->live[i].deadline;
  return earliest;
}

static void model_kill(model *m, size_t i) {
  m->dead[m->ndead++] = m->live[i].id;
  m->live[i] = m->live[--m->n];
}

Test(timer, ten_thousand_random_ops_match_a_naive_model, .init = th_setup, .fini = th_teardown) {
  enum { OPS = 10000 };
  const uint32_t seed = 0xC0FFEEu;
  model m;
  uint64_t now = 0, earliest;
  uintptr_t next_ctx = 1;
  int op;
  memset(&m, 0, sizeof m);
  m.live = (model_timer *)calloc(OPS, sizeof *m.live);
  m.dead = (uint64_t *)calloc(OPS, sizeof *m.dead);
  rng_state = seed;
  for (op = 0; op < OPS; op++) {
    uint32_t r = rng() % 100;
    if (r < 45) { /* start */
      model_timer t;
      t.deadline = now + rng() % 64; /* narrow range: many ties */
      t.ctx = next_ctx++;
      t.seq = m.seq++;
      t.id = add(t.deadline, t.ctx);
      m.live[m.n++] = t;
    } else if (r < 70) { /* cancel a live timer, or a dead id */
      void *ctx = NULL;
      if (m.n > 0 && (m.ndead == 0 || rng() % 4 != 0)) {
        size_t i = rng() % m.n;
        int rc = timer_heap_cancel(&th, m.live[i].id, &ctx);
        cr_assert_eq(rc, 0, "seed 0x%x op %d: cancel of live id 0x%lx = %d", seed, op, (unsigned long)m.live[i].id,
                     rc);
        cr_assert_eq((uintptr_t)ctx, m.live[i].ctx, "seed 0x%x op %d: cancel ctx %lu, model %lu", seed, op,
                     (unsigned long)(uintptr_t)ctx, (unsigned long)m.live[i].ctx);
        model_kill(&m, i);
      } else if (m.ndead > 0) {
        uint64_t id = m.dead[rng() % m.ndead];
        int rc = timer_heap_cancel(&th, id, &ctx);
        cr_assert_eq(rc, RIOX_ENOENT, "seed 0x%x op %d: cancel of dead id 0x%lx = %d", seed, op, (unsigned long)id,
                     rc);
      }
    } else { /* time passes; everything due pops, in order */
      uint64_t id;
      void *ctx;
      long want;
      now += rng() % 24;
      while ((want = model_due(&m, now)) >= 0) {
        int got = timer_heap_pop_due(&th, now, &id, &ctx);
        cr_assert_eq(got, 1, "seed 0x%x op %d: nothing popped at %lu, model has timer %lu due at %lu", seed, op,
                     (unsigned long)now, (unsigned long)m.live[want].ctx, (unsigned long)m.live[want].deadline);
        cr_assert_eq(id, m.live[want].id, "seed 0x%x op %d: popped id 0x%lx, model 0x%lx", seed, op,
                     (unsigned long)id, (unsigned long)m.live[want].id);
        cr_assert_eq((uintptr_t)ctx, m.live[want].ctx, "seed 0x%x op %d: popped ctx %lu, model %lu", seed, op,
                     (unsigned long)(uintptr_t)ctx, (unsigned long)m.live[want].ctx);
        model_kill(&m, (size_t)want);
      }
      cr_assert_eq(timer_heap_pop_due(&th, now, &id, &ctx), 0, "seed 0x%x op %d: heap popped a timer the model lacks",
                   seed, op);
    }
    cr_assert_eq(timer_heap_count(&th), (uint32_t)m.n, "seed 0x%x op %d: count %u, model %lu", seed, op,
                 timer_heap_count(&th), (unsigned long)m.n);
    earliest = model_earliest(&m);
    cr_assert_eq(timer_heap_next(&th), earliest, "seed 0x%x op %d: next %lu, model %lu", seed, op,
                 (unsigned long)timer_heap_next(&th), (unsigned long)earliest);
  }
  free(m.live);
  free(m.dead);
}
