/* Log-linear latency histogram; the layout and its error bound are explained
 * in histogram.h. With P = 2^precision:
 *   value v < 2P          -> bucket v (exact)
 *   otherwise, with e = index of v's highest set bit and s = e - precision,
 *   m = v >> s lies in [P, 2P) and the bucket is s * P + m.
 * The two cases agree at s = 0, so the index grows monotonically with v and
 * the buckets of one octave are contiguous. */
#include <stdlib.h>
#include <string.h>

#include "histogram.h"
#include "riox.h" /* RIOX_E* only: the histogram needs nothing else of riox
                     and is linked into riox-perf beside a shared riox */

#if defined(_MSC_VER)
#include <intrin.h>
#endif

/* Index of the highest set bit; v must not be 0. */
static unsigned histogram__msb(uint64_t v) {
#if defined(__GNUC__) || defined(__clang__)
  return 63u - (unsigned)__builtin_clzll(v);
#elif defined(_MSC_VER) && defined(_M_X64)
  unsigned long idx;
  _BitScanReverse64(&idx, v);
  return (unsigned)idx;
#else
  unsigned n = 0;
  while (v > 1) {
    v >>= 1;
    n++;
  }
  return n;
#endif
}

static uint32_t histogram__index(const histogram_t *h, uint64_t v) {
  uint32_t p = h->precision;
  unsigned s;
  if (v < ((uint64_t)2 << p)) return (uint32_t)v;
  s = histogram__msb(v) - p;
  return (uint32_t)(((uint64_t)s << p) + (v >> s));
}

/* The smallest value of bucket i and the bucket's width (a power of two). */
static void histogram__bounds(const histogram_t *h, uint32_t i, uint64_t *lo, uint64_t *width) {
  uint32_t p = h->precision;
  uint32_t s, m;
  if (i < (2u << p)) {
    *lo = i;
    *width = 1;
    return;
  }
  s = (i >> p) - 1u;
  m = i - (s << p);
  *lo = (uint64_t)m << s;
  *width = (uint64_t)1 << s;
}

int histogram_init(histogram_t *h, uint32_t precision) {
  if (h == NULL) return RIOX_EINVAL;
  memset(h, 0, sizeof *h);
  h->min = UINT64_MAX;
  if (precision < HISTOGRAM_PRECISION_MIN || precision > HISTOGRAM_PRECISION_MAX) return RIOX_EINVAL;
  h->precision = precision;
  /* Octaves s = 0 .. 63 - p, the first holding the 2P exact buckets. */
  h->nbuckets = (65u - precision) << precision;
  h->counts = (uint64_t *)calloc(h->nbuckets, sizeof *h->counts);
  if (h->counts == NULL) {
    h->nbuckets = 0;
    return RIOX_ENOMEM;
  }
  return 0;
}

void histogram_destroy(histogram_t *h) {
  if (h == NULL) return;
  free(h->counts);
  h->counts = NULL;
  h->nbuckets = 0;
  h->count = 0;
}

void histogram_reset(histogram_t *h) {
  if (h->counts != NULL) memset(h->counts, 0, (size_t)h->nbuckets * sizeof *h->counts);
  h->count = 0;
  h->min = UINT64_MAX;
  h->max = 0;
  h->sum = 0.0;
}

void histogram_record_n(histogram_t *h, uint64_t value, uint64_t n) {
  if (n == 0 || h->counts == NULL) return;
  h->counts[histogram__index(h, value)] += n;
  h->count += n;
  if (value < h->min) h->min = value;
  if (value > h->max) h->max = value;
  h->sum += (double)value * (double)n;
}

void histogram_record(histogram_t *h, uint64_t value) { histogram_record_n(h, value, 1); }

int histogram_merge(histogram_t *dst, const histogram_t *src) {
  uint32_t i;
  if (dst == NULL || src == NULL || dst->precision != src->precision || dst->counts == NULL ||
      src->counts == NULL)
    return RIOX_EINVAL;
  if (src->count == 0) return 0;
  for (i = 0; i < dst->nbuckets; i++) dst->counts[i] += src->counts[i];
  dst->count += src->count;
  if (src->min < dst->min) dst->min = src->min;
  if (src->max > dst->max) dst->max = src->max;
  dst->sum += src->sum;
  return 0;
}

uint64_t histogram_rank(double p, uint64_t n) {
  double x, frac;
  uint64_t r;
  if (n == 0) return 0;
  if (!(p > 0.0)) return 1; /* also NaN */
  if (p >= 100.0) return n;
  x = p * (double)n / 100.0;
  r = (uint64_t)x;
  frac = x - (double)r;
  /* A product that should be an integer may land a few ulps above it. */
  if (frac > x * 1e-15 + 1e-12) r++;
  if (r < 1) r = 1;
  if (r > n) r = n;
  return r;
}

uint64_t histogram_percentile(const histogram_t *h, double p) {
  uint64_t rank, seen = 0, lo, width, v;
  uint32_t i;
  if (h->count == 0 || h->counts == NULL) return 0;
  rank = histogram_rank(p, h->count);
  /* The extremes are known exactly. */
  if (rank == 1) return h->min;
  if (rank == h->count) return h->max;
  for (i = 0; i < h->nbuckets; i++) {
    seen += h->counts[i];
    if (seen >= rank) break;
  }
  if (i == h->nbuckets) return h->max; /* unreachable: counts sum to count */
  histogram__bounds(h, i, &lo, &width);
  v = lo + width / 2; /* the midpoint halves the worst-case error */
  if (v < h->min) v = h->min;
  if (v > h->max) v = h->max;
  return v;
}

double histogram_rel_error(const histogram_t *h) {
  return 1.0 / (double)((uint64_t)2 << h->precision);
}
