/* What the fuzz targets share: a check that stops the program the way a
 * sanitizer would (libFuzzer keeps the input as a crash; the replay of
 * the native test tree fails). Header only. */
#ifndef RIOX_FUZZ_CHECK_H
#define RIOX_FUZZ_CHECK_H

#include <stdio.h>
#include <stdlib.h>

#define FZ_CHECK(cond, ...)                                                   \
  do {                                                                        \
    if (!(cond)) {                                                            \
      fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__, __LINE__, #cond); \
      fprintf(stderr, __VA_ARGS__);                                           \
      fputc('\n', stderr);                                                    \
      abort();                                                                \
    }                                                                         \
  } while (0)

#endif
