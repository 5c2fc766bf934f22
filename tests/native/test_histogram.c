/* Latency histogram: every reported percentile lies within the stated
 * relative error of the exact nearest-rank value of the same samples, for
 * known distributions drawn from a fixed-seed generator; plus the edges
 * (empty, zero, UINT64_MAX, exact small values, merge, reset). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "histogram.h"
#include "riox.h"

static histogram_t h;

static void h_fini(void) { histogram_destroy(&h); }

static void h_init7(void) {
  cr_assert_eq(histogram_init(&h, 7), 0, "histogram_init(7)");
}

/* splitmix64: a fixed seed gives the same samples on every run. */
static uint64_t rng_state;
static uint64_t rng_next(void) {
  uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}
/* Uniform in (0, 1]. */
static double rng_unit(void) { return ((double)(rng_next() >> 11) + 1.0) / 9007199254740992.0; }

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return (x > y) - (x < y);
}

static const double PCTS[] = {0.0, 1.0, 10.0, 25.0, 50.0, 75.0, 90.0, 99.0, 99.9, 99.99, 100.0};

/* Record the samples, then compare every percentile with the sorted array. */
static void check_against_sorted(uint64_t *v, size_t n, const char *what) {
  size_t i;
  double bound = histogram_rel_error(&h);
  for (i = 0; i < n; i++) histogram_record(&h, v[i]);
  qsort(v, n, sizeof *v, cmp_u64);
  cr_assert_eq(histogram_count(&h), (uint64_t)n, "%s: count %llu != %llu", what,
               (unsigned long long)histogram_count(&h), (unsigned long long)n);
  cr_assert_eq(histogram_min(&h), v[0], "%s: min %llu != %llu", what,
               (unsigned long long)histogram_min(&h), (unsigned long long)v[0]);
  cr_assert_eq(histogram_max(&h), v[n - 1], "%s: max %llu != %llu", what,
               (unsigned long long)histogram_max(&h), (unsigned long long)v[n - 1]);
  for (i = 0; i < sizeof PCTS / sizeof PCTS[0]; i++) {
    uint64_t rank = histogram_rank(PCTS[i], n);
    uint64_t exact = v[rank - 1];
    uint64_t got = histogram_percentile(&h, PCTS[i]);
    double err = exact ? fabs((double)got - (double)exact) / (double)exact : (double)got;
    cr_expect(err <= bound, "%s: p%g = %llu, exact %llu: relative error %.5f > bound %.5f", what,
              PCTS[i], (unsigned long long)got, (unsigned long long)exact, err, bound);
  }
}

/* ------------------------------------------------------------- accuracy */

Test(histogram_accuracy, uniform_1_to_1e6, .init = h_init7, .fini = h_fini) {
  size_t n = 200000, i;
  uint64_t *v = malloc(n * sizeof *v);
  cr_assert_not_null(v);
  rng_state = 42;
  for (i = 0; i < n; i++) v[i] = 1 + rng_next() % 1000000u;
  check_against_sorted(v, n, "uniform[1,1e6]");
  free(v);
}

Test(histogram_accuracy, exponential_mean_50us_in_ns, .init = h_init7, .fini = h_fini) {
  size_t n = 200000, i;
  uint64_t *v = malloc(n * sizeof *v);
  cr_assert_not_null(v);
  rng_state = 7;
  for (i = 0; i < n; i++) v[i] = (uint64_t)(-50000.0 * log(rng_unit()));
  check_against_sorted(v, n, "exponential(mean 50000)");
  free(v);
}

/* Heavy tail across eleven orders of magnitude: 1 ns .. 100 s. */
Test(histogram_accuracy, log_uniform_wide_range, .init = h_init7, .fini = h_fini) {
  size_t n = 100000, i;
  uint64_t *v = malloc(n * sizeof *v);
  cr_assert_not_null(v);
  rng_state = 2024;
  for (i = 0; i < n; i++) v[i] = (uint64_t)exp(rng_unit() * log(1e11));
  check_against_sorted(v, n, "log-uniform[1,1e11]");
  free(v);
}

/* The bound is a property of the layout, so it holds at every precision. */
Test(histogram_accuracy, every_precision_meets_its_bound, .fini = h_fini) {
  uint32_t p;
  for (p = HISTOGRAM_PRECISION_MIN; p <= HISTOGRAM_PRECISION_MAX; p += 3) {
    size_t n = 20000, i;
    uint64_t *v = malloc(n * sizeof *v);
    char what[32];
    cr_assert_not_null(v);
    cr_assert_eq(histogram_init(&h, p), 0, "histogram_init(%u)", p);
    rng_state = p;
    for (i = 0; i < n; i++) v[i] = (uint64_t)(-1e6 * log(rng_unit()));
    snprintf(what, sizeof what, "precision %u", p);
    check_against_sorted(v, n, what);
    free(v);
    histogram_destroy(&h);
  }
}

/* A single sample of any magnitude comes back within the bound: walks every
 * power of two and its neighbours up to UINT64_MAX. */
Test(histogram_accuracy, single_values_across_the_range, .init = h_init7, .fini = h_fini) {
  unsigned e;
  int d;
  double bound = histogram_rel_error(&h);
  for (e = 0; e < 64; e++) {
    for (d = -1; d <= 1; d++) {
      uint64_t v = ((uint64_t)1 << e) + (uint64_t)(int64_t)d, got;
      double err;
      if (v == 0) continue;
      histogram_reset(&h);
      /* Smaller and larger neighbours, so that p50 (rank 2 of 3) comes from
       * v's bucket and is neither the exact min nor the exact max. */
      histogram_record(&h, 0);
      histogram_record(&h, v);
      histogram_record(&h, UINT64_MAX);
      got = histogram_percentile(&h, 50.0);
      err = fabs((double)got - (double)v) / (double)v;
      cr_expect(err <= bound, "v = %llu: p50 = %llu, error %.6f > %.6f", (unsigned long long)v,
                (unsigned long long)got, err, bound);
    }
  }
}

/* ------------------------------------------------------------------ edges */

Test(histogram_edges, empty_reports_zero, .init = h_init7, .fini = h_fini) {
  cr_expect_eq(histogram_count(&h), 0);
  cr_expect_eq(histogram_percentile(&h, 50.0), 0, "p50 of nothing = %llu",
               (unsigned long long)histogram_percentile(&h, 50.0));
  cr_expect_eq(histogram_max(&h), 0);
  cr_expect_eq(histogram_min(&h), 0);
  cr_expect(histogram_mean(&h) == 0.0, "mean of nothing = %f", histogram_mean(&h));
}

Test(histogram_edges, small_values_are_exact, .init = h_init7, .fini = h_fini) {
  uint64_t v;
  /* Below 2^(precision+1) every value has its own bucket. */
  for (v = 0; v < 256; v++) {
    histogram_reset(&h);
    histogram_record(&h, v);
    cr_expect_eq(histogram_percentile(&h, 50.0), v, "value %llu reported as %llu",
                 (unsigned long long)v, (unsigned long long)histogram_percentile(&h, 50.0));
  }
}

Test(histogram_edges, zero_and_uint64_max, .init = h_init7, .fini = h_fini) {
  histogram_record(&h, 0);
  histogram_record(&h, UINT64_MAX);
  cr_expect_eq(histogram_percentile(&h, 0.0), 0, "p0 = %llu", (unsigned long long)histogram_percentile(&h, 0.0));
  cr_expect_eq(histogram_percentile(&h, 50.0), 0, "p50 = %llu", (unsigned long long)histogram_percentile(&h, 50.0));
  cr_expect_eq(histogram_percentile(&h, 100.0), UINT64_MAX, "p100 = %llu",
               (unsigned long long)histogram_percentile(&h, 100.0));
  cr_expect_eq(histogram_max(&h), UINT64_MAX);
}

Test(histogram_edges, constant_samples_report_the_constant, .init = h_init7, .fini = h_fini) {
  histogram_record_n(&h, 123456789, 1000);
  cr_expect_eq(histogram_count(&h), 1000);
  /* Clamping to [min, max] makes a constant exact, not just within the bound. */
  cr_expect_eq(histogram_percentile(&h, 1.0), 123456789);
  cr_expect_eq(histogram_percentile(&h, 99.9), 123456789);
  cr_expect(histogram_mean(&h) == 123456789.0, "mean %f", histogram_mean(&h));
}

Test(histogram_edges, record_n_zero_is_a_no_op, .init = h_init7, .fini = h_fini) {
  histogram_record_n(&h, 5, 0);
  cr_expect_eq(histogram_count(&h), 0, "count %llu", (unsigned long long)histogram_count(&h));
  cr_expect_eq(histogram_max(&h), 0);
}

Test(histogram_edges, reset_forgets_everything, .init = h_init7, .fini = h_fini) {
  histogram_record(&h, 1000);
  histogram_record(&h, 5);
  histogram_reset(&h);
  cr_expect_eq(histogram_count(&h), 0);
  histogram_record(&h, 77);
  cr_expect_eq(histogram_min(&h), 77, "min %llu after reset", (unsigned long long)histogram_min(&h));
  cr_expect_eq(histogram_max(&h), 77, "max %llu after reset", (unsigned long long)histogram_max(&h));
}

Test(histogram_edges, init_rejects_bad_precision) {
  histogram_t x;
  cr_expect_eq(histogram_init(&x, 0), RIOX_EINVAL);
  histogram_destroy(&x);
  cr_expect_eq(histogram_init(&x, HISTOGRAM_PRECISION_MAX + 1), RIOX_EINVAL);
  histogram_destroy(&x);
  cr_expect_eq(histogram_init(NULL, 7), RIOX_EINVAL);
}

Test(histogram_edges, rel_error_is_half_a_bucket) {
  histogram_t x;
  cr_assert_eq(histogram_init(&x, 7), 0);
  cr_expect(histogram_rel_error(&x) == 1.0 / 256.0, "bound %g", histogram_rel_error(&x));
  histogram_destroy(&x);
}

/* ------------------------------------------------------------------ rank */

Test(histogram_rank, nearest_rank_definition) {
  cr_expect_eq(histogram_rank(50.0, 0), 0);
  cr_expect_eq(histogram_rank(0.0, 10), 1);
  cr_expect_eq(histogram_rank(100.0, 10), 10);
  cr_expect_eq(histogram_rank(50.0, 10), 5);
  cr_expect_eq(histogram_rank(51.0, 10), 6);
  cr_expect_eq(histogram_rank(50.0, 1), 1);
  cr_expect_eq(histogram_rank(99.9, 1000), 999, "p99.9 of 1000 = rank %llu",
               (unsigned long long)histogram_rank(99.9, 1000));
  cr_expect_eq(histogram_rank(99.99, 100000), 99990, "p99.99 of 100000 = rank %llu",
               (unsigned long long)histogram_rank(99.99, 100000));
  cr_expect_eq(histogram_rank(99.0, 7), 7);
  cr_expect_eq(histogram_rank(-5.0, 7), 1);
  cr_expect_eq(histogram_rank(250.0, 7), 7);
}

/* ----------------------------------------------------------------- merge */

Test(histogram_merge, equals_recording_everything_in_one, .fini = h_fini) {
  histogram_t a, b;
  size_t i;
  double p;
  cr_assert_eq(histogram_init(&h, 7), 0);
  cr_assert_eq(histogram_init(&a, 7), 0);
  cr_assert_eq(histogram_init(&b, 7), 0);
  rng_state = 99;
  for (i = 0; i < 50000; i++) {
    uint64_t v = rng_next() % 10000000u;
    histogram_record(i % 3 ? &a : &b, v);
    histogram_record(&h, v);
  }
  cr_assert_eq(histogram_merge(&a, &b), 0, "merge: %s", riox_last_detail());
  cr_expect_eq(histogram_count(&a), histogram_count(&h));
  cr_expect_eq(histogram_min(&a), histogram_min(&h));
  cr_expect_eq(histogram_max(&a), histogram_max(&h));
  cr_expect_eq(memcmp(a.counts, h.counts, h.nbuckets * sizeof *h.counts), 0, "bucket counts differ");
  for (p = 0.0; p <= 100.0; p += 2.5)
    cr_expect_eq(histogram_percentile(&a, p), histogram_percentile(&h, p), "p%g: %llu != %llu", p,
                 (unsigned long long)histogram_percentile(&a, p),
                 (unsigned long long)histogram_percentile(&h, p));
  histogram_destroy(&a);
  histogram_destroy(&b);
}

Test(histogram_merge, empty_source_changes_nothing, .init = h_init7, .fini = h_fini) {
  histogram_t e;
  cr_assert_eq(histogram_init(&e, 7), 0);
  histogram_record(&h, 10);
  cr_expect_eq(histogram_merge(&h, &e), 0);
  cr_expect_eq(histogram_count(&h), 1);
  cr_expect_eq(histogram_min(&h), 10);
  histogram_destroy(&e);
}

Test(histogram_merge, rejects_different_precision, .init = h_init7, .fini = h_fini) {
  histogram_t o;
  cr_assert_eq(histogram_init(&o, 8), 0);
  histogram_record(&o, 3);
  cr_expect_eq(histogram_merge(&h, &o), RIOX_EINVAL);
  cr_expect_eq(histogram_count(&h), 0, "a refused merge added %llu samples",
               (unsigned long long)histogram_count(&h));
  histogram_destroy(&o);
}
