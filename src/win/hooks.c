/* Test hooks (hooks.h, riox_test.h): only in test builds. */
#include "hooks.h"

#include "riox_test.h"
#include "winapi.h"

#ifdef RIOX_TEST_HOOKS
/* Growths still allowed before the failing one, plus one; 0 = never fail. */
static unsigned hooks__fail_at;
static unsigned hooks__grows;
static volatile LONG hooks__init_runs;
static volatile LONG hooks__init_delay_ms;

void riox_test_fail_alloc_nth(unsigned nth) {
  hooks__fail_at = nth;
  hooks__grows = 0;
}

int hooks_alloc_fails(void) {
  if (hooks__fail_at == 0) return 0;
  return ++hooks__grows >= hooks__fail_at;
}

void riox_test_set_init_delay_ms(unsigned ms) { InterlockedExchange(&hooks__init_delay_ms, (LONG)ms); }

unsigned riox_test_init_runs(void) { return (unsigned)hooks__init_runs; }

void hooks_init_ran(void) {
  LONG ms = hooks__init_delay_ms;
  InterlockedIncrement(&hooks__init_runs);
  if (ms > 0) Sleep((DWORD)ms);
}
#else
/* ISO C forbids an empty translation unit. */
typedef int hooks__release_build;
#endif
