/* Test hooks of the Windows core other than the socket-call table (ws.h):
 * failing event-queue growth and widening one-time-initialisation races.
 * Release builds compile them away; test builds (RIOX_TEST_HOOKS) define
 * them in hooks.c and let tests drive them (riox_test.h). */
#ifndef RIOX_WIN_HOOKS_H
#define RIOX_WIN_HOOKS_H

#ifdef RIOX_TEST_HOOKS
/* An event queue is about to grow: 1 when the test says it must fail. */
int hooks_alloc_fails(void);
/* A one-time initialisation is running its body: count it, and sleep as
 * long as the test asked (riox_test_set_init_delay_ms). */
void hooks_init_ran(void);
#else
#define hooks_alloc_fails() 0
#define hooks_init_ran() ((void)0)
#endif

#endif
