/* The Windows primitives of the test hooks (src/core/hooks.h): Interlocked*
 * (a LONG is a long on Windows: LLP64) and Sleep. Only in test builds. */
#include "hooks.h"
#include "fault.h"

#include "winapi.h"

#ifdef RIOX_TEST_HOOKS
long os_hooks_add(volatile long *p, long n) { return InterlockedExchangeAdd(p, n) + n; }

void os_hooks_set(volatile long *p, long v) { (void)InterlockedExchange(p, v); }

void os_hooks_sleep_ms(unsigned ms) { Sleep((DWORD)ms); }

/* The fault registry's lock (fault.h): a slim reader/writer lock needs no
 * initialisation call. */
static SRWLOCK hooks__fault_lock = SRWLOCK_INIT;

void os_hooks_lock(void) { AcquireSRWLockExclusive(&hooks__fault_lock); }

void os_hooks_unlock(void) { ReleaseSRWLockExclusive(&hooks__fault_lock); }
#else
/* ISO C forbids an empty translation unit. */
typedef int hooks__release_build;
#endif
