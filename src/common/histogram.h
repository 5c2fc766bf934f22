/* Latency histogram with bounded relative error.
 *
 * Buckets are log-linear: values below 2^(p+1) (p = the precision in bits)
 * each have a bucket of their own; above that, every power of two [2^e,
 * 2^(e+1)) is cut into 2^p equal buckets. A bucket is therefore never wider
 * than 1/2^p of the smallest value it holds, and a percentile is reported as
 * its bucket's midpoint, so it is within 1/2^(p+1) of the exact value
 * (histogram_rel_error), whatever the distribution and over the whole
 * uint64_t range. Precision 7 (the perf harness's choice): 0.39 %, 7,424
 * buckets, 58 KiB.
 *
 * Percentiles use the nearest-rank definition: the value at 1-based rank
 * histogram_rank(p, n) of the sorted samples. min, max, count and the sum are
 * kept exactly. Recording is O(1) with no allocation. Not thread-safe: merge
 * per-thread histograms instead. */
#ifndef RIOX_COMMON_HISTOGRAM_H
#define RIOX_COMMON_HISTOGRAM_H

#include <stdint.h>

#define HISTOGRAM_PRECISION_MIN 1u
#define HISTOGRAM_PRECISION_MAX 14u

typedef struct histogram {
  uint32_t precision; /* p: 2^p buckets per power of two */
  uint32_t nbuckets;
  uint64_t *counts;
  uint64_t count;
  uint64_t min, max;  /* exact; min is UINT64_MAX while empty */
  double sum;         /* for the mean */
} histogram_t;

/* 0, RIOX_EINVAL (precision outside 1..14) or RIOX_ENOMEM, without a
 * riox_last_detail: riox-perf links the histogram beside a shared riox,
 * whose per-thread detail it cannot reach. */
int histogram_init(histogram_t *h, uint32_t precision);
/* Safe after a failed init and on a zeroed struct. */
void histogram_destroy(histogram_t *h);
/* Forget every sample, keep the precision. */
void histogram_reset(histogram_t *h);

void histogram_record(histogram_t *h, uint64_t value);
void histogram_record_n(histogram_t *h, uint64_t value, uint64_t n);
/* Add src's samples to dst: 0, or RIOX_EINVAL when the precisions differ. */
int histogram_merge(histogram_t *dst, const histogram_t *src);

/* The p-th percentile (0..100), within histogram_rel_error of the exact
 * nearest-rank value and clamped to [min, max]; exact at ranks 1 and n (min
 * and max). 0 when empty. */
uint64_t histogram_percentile(const histogram_t *h, double p);
/* The 1-based nearest-rank position of percentile p among n sorted samples:
 * ceil(p / 100 * n) clamped to 1..n (0 when n is 0). Floating-point noise of a
 * few ulps is ignored, so p = 99.9, n = 1000 gives 999, not 1000. */
uint64_t histogram_rank(double p, uint64_t n);
/* Largest relative error of a reported percentile: 1 / 2^(precision + 1). */
double histogram_rel_error(const histogram_t *h);

static inline uint64_t histogram_count(const histogram_t *h) { return h->count; }
static inline uint64_t histogram_max(const histogram_t *h) { return h->max; }
static inline uint64_t histogram_min(const histogram_t *h) { return h->count ? h->min : 0; }
static inline double histogram_mean(const histogram_t *h) {
  return h->count ? h->sum / (double)h->count : 0.0;
}

#endif
