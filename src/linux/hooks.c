/* The Linux primitives of the test hooks (src/core/hooks.h): one mutex
 * makes the counters atomic (plain POSIX, no compiler builtins; the hooks
 * are off the data path, so its cost does not matter), nanosleep sleeps.
 * Only in test builds. */
#define _POSIX_C_SOURCE 200809L /* nanosleep under -std=c11 */
#include "hooks.h"
#include "fault.h"

#ifdef RIOX_TEST_HOOKS
#include <errno.h>
#include <pthread.h>
#include <time.h>

static pthread_mutex_t hooks__lock = PTHREAD_MUTEX_INITIALIZER;
/* The fault registry's own lock (fault.h), apart from the counters'. */
static pthread_mutex_t hooks__fault_lock = PTHREAD_MUTEX_INITIALIZER;

void os_hooks_lock(void) { pthread_mutex_lock(&hooks__fault_lock); }

void os_hooks_unlock(void) { pthread_mutex_unlock(&hooks__fault_lock); }

long os_hooks_add(volatile long *p, long n) {
  long v;
  pthread_mutex_lock(&hooks__lock);
  v = *p += n;
  pthread_mutex_unlock(&hooks__lock);
  return v;
}

void os_hooks_set(volatile long *p, long v) {
  pthread_mutex_lock(&hooks__lock);
  *p = v;
  pthread_mutex_unlock(&hooks__lock);
}

void os_hooks_sleep_ms(unsigned ms) {
  struct timespec ts;
  ts.tv_sec = (time_t)(ms / 1000u);
  ts.tv_nsec = (long)(ms % 1000u) * 1000000L;
  /* A signal cuts a nanosleep short: sleep the rest. */
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}
#else
/* ISO C forbids an empty translation unit. */
typedef int hooks__release_build;
#endif
