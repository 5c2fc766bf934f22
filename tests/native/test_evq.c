/* Event queue: order across growth and wrap-around, partial pops, reserve. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <string.h>

#include "evq.h"
#include "riox.h"

static evq_t q;

static void q_setup(void) { evq_init(&q); }
static void q_teardown(void) { evq_destroy(&q); }

static void push_seq(uint32_t from, uint32_t n) {
  uint32_t i;
  for (i = 0; i < n; i++) {
    riox_event *ev = evq_push(&q);
    cr_assert_not_null(ev, "push %u failed", from + i);
    ev->type = RIOX_EV_WAKE;
    ev->len = from + i;
  }
}

/* Pop n events and check they carry from, from+1, ... */
static void pop_expect(uint32_t from, uint32_t n, uint32_t batch) {
  riox_event out[37];
  uint32_t seen = 0;
  cr_assert_leq(batch, 37, "test batch too large");
  while (seen < n) {
    uint32_t want = n - seen < batch ? n - seen : batch, got, i;
    got = evq_pop(&q, out, want);
    cr_assert_eq(got, want, "popped %u, expected %u (after %u of %u)", got, want, seen, n);
    for (i = 0; i < got; i++)
      cr_assert_eq(out[i].len, from + seen + i, "event %u carries %u, expected %u", seen + i, out[i].len,
                   from + seen + i);
    seen += got;
  }
}

static int is_pow2(uint32_t v) { return v != 0 && (v & (v - 1)) == 0; }

Test(evq, starts_empty, .init = q_setup, .fini = q_teardown) {
  riox_event out[4];
  cr_assert_eq(evq_count(&q), 0, "count %u", evq_count(&q));
  cr_assert_eq(evq_pop(&q, out, 4), 0, "popped from an empty queue");
  cr_assert_eq(q.cap, 0, "cap %u before any push", q.cap);
}

Test(evq, pushed_slots_are_zeroed, .init = q_setup, .fini = q_teardown) {
  riox_event *ev, zero, out;
  memset(&zero, 0, sizeof zero);
  ev = evq_push(&q);
  memset(ev, 0xAB, sizeof *ev);
  cr_assert_eq(evq_pop(&q, &out, 1), 1, "pop failed");
  ev = evq_push(&q); /* the same ring slot is handed out again */
  cr_assert(memcmp(ev, &zero, sizeof zero) == 0, "pushed slot is not zeroed");
}

Test(evq, fifo_order, .init = q_setup, .fini = q_teardown) {
  push_seq(0, 10);
  pop_expect(0, 10, 37);
  cr_assert_eq(evq_count(&q), 0, "count %u after popping everything", evq_count(&q));
}

Test(evq, partial_pop_leaves_the_rest_in_order, .init = q_setup, .fini = q_teardown) {
  push_seq(0, 10);
  pop_expect(0, 3, 3);
  cr_assert_eq(evq_count(&q), 7, "count %u, expected 7", evq_count(&q));
  push_seq(10, 2);
  pop_expect(3, 9, 4);
}

Test(evq, pop_more_than_queued_returns_what_there_is, .init = q_setup, .fini = q_teardown) {
  riox_event out[8];
  push_seq(0, 3);
  cr_assert_eq(evq_pop(&q, out, 8), 3, "pop of 8 from 3");
  cr_assert_eq(out[2].len, 2, "third event carries %u", out[2].len);
}

Test(evq, pop_zero_takes_nothing, .init = q_setup, .fini = q_teardown) {
  riox_event out[1];
  push_seq(0, 2);
  cr_assert_eq(evq_pop(&q, out, 0), 0, "pop of 0 returned events");
  cr_assert_eq(evq_pop(&q, NULL, 5), 0, "pop into NULL returned events");
  cr_assert_eq(evq_count(&q), 2, "count %u, expected 2", evq_count(&q));
}

Test(evq, growth_across_wrap_around_preserves_order, .init = q_setup, .fini = q_teardown) {
  uint32_t cap0;
  push_seq(0, 40);
  cap0 = q.cap;
  pop_expect(0, 30, 7); /* head is now well inside the ring */
  push_seq(40, cap0 - 10); /* fills it exactly, wrapping around */
  cr_assert_eq(q.cap, cap0, "grew early: cap %u -> %u", cap0, q.cap);
  cr_assert_lt(q.head + q.count, 2 * q.cap, "test premise: contents wrap");
  cr_assert_gt(q.head + q.count, q.cap, "test premise: contents wrap (head %u count %u cap %u)", q.head, q.count,
               q.cap);
  push_seq(30 + cap0, 500); /* forces growth while wrapped */
  cr_assert_gt(q.cap, cap0, "did not grow: cap %u", q.cap);
  cr_assert(is_pow2(q.cap), "cap %u is not a power of two", q.cap);
  pop_expect(30, cap0 + 500, 37);
}

Test(evq, long_interleaved_run_keeps_order, .init = q_setup, .fini = q_teardown) {
  uint32_t next_push = 0, next_pop = 0, round;
  for (round = 0; round < 200; round++) {
    uint32_t n_push = (round * 37) % 101, n_pop = (round * 53) % 97;
    push_seq(next_push, n_push);
    next_push += n_push;
    if (n_pop > next_push - next_pop) n_pop = next_push - next_pop;
    pop_expect(next_pop, n_pop, 37);
    next_pop += n_pop;
    cr_assert_eq(evq_count(&q), next_push - next_pop, "round %u: count %u, expected %u", round, evq_count(&q),
                 next_push - next_pop);
  }
  pop_expect(next_pop, next_push - next_pop, 37);
}

Test(evq, reserve_makes_pushes_allocation_free, .init = q_setup, .fini = q_teardown) {
  riox_event *ring;
  cr_assert_eq(evq_reserve(&q, 1000), 0, "reserve failed");
  cr_assert_geq(q.cap, 1000, "cap %u after reserving 1000", q.cap);
  cr_assert(is_pow2(q.cap), "cap %u is not a power of two", q.cap);
  ring = q.ring;
  push_seq(0, 1000);
  cr_assert_eq(q.ring, ring, "the ring moved during reserved pushes");
  pop_expect(0, 1000, 37);
}

Test(evq, reserve_counts_queued_events, .init = q_setup, .fini = q_teardown) {
  push_seq(0, 60);
  pop_expect(0, 50, 25);
  push_seq(60, 30); /* 40 queued, wrapped in a ring of 64 */
  cr_assert_eq(evq_reserve(&q, 100), 0, "reserve failed");
  cr_assert_geq(q.cap, 140, "cap %u < 40 queued + 100 reserved", q.cap);
  pop_expect(50, 40, 37);
}

Test(evq, reserve_zero_and_within_capacity_is_a_no_op, .init = q_setup, .fini = q_teardown) {
  riox_event *ring;
  push_seq(0, 1);
  ring = q.ring;
  cr_assert_eq(evq_reserve(&q, 0), 0, "reserve 0 failed");
  cr_assert_eq(evq_reserve(&q, q.cap - 1), 0, "reserve of the free room failed");
  cr_assert_eq(q.ring, ring, "ring reallocated needlessly");
}

Test(evq, impossible_reserve_is_enomem, .init = q_setup, .fini = q_teardown) {
  int rc;
  push_seq(0, 5);
  rc = evq_reserve(&q, UINT32_MAX);
  cr_assert_eq(rc, RIOX_ENOMEM, "reserve(UINT32_MAX) = %d, expected RIOX_ENOMEM", rc);
  pop_expect(0, 5, 37); /* queue untouched */
}

Test(evq, destroy_resets, .init = q_setup) {
  push_seq(0, 100);
  evq_destroy(&q);
  cr_assert_eq(evq_count(&q), 0, "count %u after destroy", evq_count(&q));
  cr_assert_null(q.ring, "ring kept after destroy");
  push_seq(0, 3); /* usable again */
  pop_expect(0, 3, 37);
  evq_destroy(&q);
}
