/* Test hooks (hooks.h, riox_test.h), OS-neutral: only in test builds. The
 * counters are touched through the OS's atomic primitives (os_hooks_*), so
 * one thread's riox_test_* call and another's hook see whole values. */
#include "hooks.h"

#include "riox_test.h"

#ifdef RIOX_TEST_HOOKS
/* riox_test_fail_alloc_nth: the growth that fails first (1 = the next),
 * 0 = none; growths counted since it was set. */
static volatile long hooks__fail_at;
static volatile long hooks__grows;
static volatile long hooks__init_runs;
static volatile long hooks__init_delay_ms;

void riox_test_fail_alloc_nth(unsigned nth) {
  os_hooks_set(&hooks__grows, 0);
  os_hooks_set(&hooks__fail_at, (long)nth);
}

int hooks_alloc_fails(void) {
  long at = os_hooks_add(&hooks__fail_at, 0);
  if (at == 0) return 0;
  return os_hooks_add(&hooks__grows, 1) >= at;
}

void riox_test_set_init_delay_ms(unsigned ms) { os_hooks_set(&hooks__init_delay_ms, (long)ms); }

unsigned riox_test_init_runs(void) { return (unsigned)os_hooks_add(&hooks__init_runs, 0); }

void hooks_init_ran(void) {
  long ms = os_hooks_add(&hooks__init_delay_ms, 0);
  (void)os_hooks_add(&hooks__init_runs, 1);
  if (ms > 0) os_hooks_sleep_ms((unsigned)ms);
}
#else
/* ISO C forbids an empty translation unit. */
typedef int hooks__release_build;
#endif
