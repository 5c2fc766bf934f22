/* Fault injection (test builds only, RIOX_TEST_HOOKS): the registry of OS
 * call sites (src/core/fault.c) behind riox_test_fault_* (riox_test.h).
 * Each OS layer wraps its calls in macros (src/linux/sys.h, src/win/ws.h
 * and oscall.h, src/uring/uring.h, src/rio/rio_internal.h) that ask
 * fault_hit first; in a release build those macros are the plain call and
 * nothing here exists. */
#ifndef RIOX_CORE_FAULT_H
#define RIOX_CORE_FAULT_H

#include "riox_test.h"

#ifdef RIOX_TEST_HOOKS
/* The call at file:line (a string literal each) is about to be made;
 * `faults` are the RIOX_TEST_FAULT_* bits that are real for it. Returns the
 * one fault to inject now (a single bit of `faults`), or 0: make the call.
 * The site is registered on its first pass. Thread-safe. */
unsigned fault_hit(const char *call, const char *file, int line, unsigned faults);
#define FAULT_HIT(call, faults) fault_hit(call, __FILE__, __LINE__, faults)
/* Per OS (src/linux/hooks.c, src/win/hooks.c): one process-wide lock
 * around the registry (never held across another hook). */
void os_hooks_lock(void);
void os_hooks_unlock(void);
#else
#define FAULT_HIT(call, faults) 0u
#endif

#endif
