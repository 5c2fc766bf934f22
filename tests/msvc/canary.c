/* The check's own test: scripts/msvc-check.sh compiles this file like a
 * library source on every run and fails unless each line marked "expect:"
 * gets exactly the diagnostic it names (a clang -W flag, or the MSVC warning
 * a scripts/msvc-w4.query matcher stands for) and no other line gets one.
 * A flag that stopped working, a matcher that stopped matching or a broken
 * query file therefore fails the check instead of silently passing.
 * Never part of any build. */
#include <stddef.h>
#include <stdint.h>

#include "winapi.h"

/* After winapi.h, as in the library (the SDK's order). */
#include <winternl.h>

enum canary__flags { CANARY__LOW = 1, CANARY__HIGH = 1u << 31 }; /* expect: -Wmicrosoft-enum-value */

uint8_t canary__conversions(int i, uint32_t u, size_t z, int64_t i64, double d, uint8_t *out);

uint8_t canary__conversions(int i, uint32_t u, size_t z, int64_t i64, double d, uint8_t *out) {
  int n = 0;
  float f;
  uint8_t b;
  NTSTATUS st = (NTSTATUS)i;
  char *p = NULL;
  char *q = (char *)out;
  b = i;                            /* expect: -Wimplicit-int-conversion C4244 */
  out[0] = (u & 4) != 0;            /* expect: C4244 */
  out[1] = u & 0xff;                /* expect: C4244 */
  out[2] += 1;                      /* expect: C4244 */
  n += z;                           /* expect: C4267 */
  n += (int)(z & 0xff) + (int)(z >> 32);
  out[3] = (uint8_t)((u & 4) != 0); /* a cast says the narrowing is meant: no warning */
  n = z & 0xff;                     /* expect: C4267 */
  n = d;                            /* expect: -Wfloat-conversion */
  f = d;                            /* expect: -Wimplicit-float-conversion */
  d = i64;                          /* expect: -Wimplicit-int-float-conversion */
  if (i < u) n++;                   /* expect: -Wsign-compare C4389/C4018 */
  if (st == STATUS_PENDING) n++;    /* expect: C4389/C4018 */
  if (st == (NTSTATUS)STATUS_PENDING) n++;
  if ((p = q)) n++;                 /* expect: C4706 */
  if (n > 0 && (p = q) != NULL) n++;
  n += CANARY__LOW;
  return (uint8_t)(b + n + (int)f + (int)d + (p != NULL));
}
