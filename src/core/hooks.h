/* Test hooks of the core and the OS layers (other than Windows' socket-call
 * table, src/win/ws.h): failing event-queue growth and widening one-time
 * initialisation races. Release builds compile them away; test builds
 * (RIOX_TEST_HOOKS) define them once, OS-neutrally, in src/core/hooks.c, and
 * tests drive them through riox_test.h. Each OS supplies only the three
 * primitives below (src/win/hooks.c, src/linux/hooks.c). */
#ifndef RIOX_CORE_HOOKS_H
#define RIOX_CORE_HOOKS_H

#ifdef RIOX_TEST_HOOKS
/* An event queue is about to grow: 1 when the test says it must fail. */
int hooks_alloc_fails(void);
/* A one-time initialisation is running its body: count it, and sleep as
 * long as the test asked (riox_test_set_init_delay_ms). */
void hooks_init_ran(void);

/* Per OS: *p += n atomically, returning the new value (n = 0 reads it);
 * *p = v atomically; sleep the calling thread ms milliseconds. The hooks
 * are driven from several threads at once (test_init_once_race), so their
 * counters must not race themselves. */
long os_hooks_add(volatile long *p, long n);
void os_hooks_set(volatile long *p, long v);
void os_hooks_sleep_ms(unsigned ms);
#else
#define hooks_alloc_fails() 0
#define hooks_init_ran() ((void)0)
#endif

#endif
