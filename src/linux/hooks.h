/* Test hooks of the core (see src/win/hooks.h): on Linux the native tests
 * do not drive them yet, so they compile away. */
#ifndef RIOX_LINUX_HOOKS_H
#define RIOX_LINUX_HOOKS_H

#define hooks_alloc_fails() 0
#define hooks_init_ran() ((void)0)

#endif
