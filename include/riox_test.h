/* Test hooks. Not part of the stable API: tests and the example programs
 * use them to stand an RIO emulator in for the OS (Wine has no RIO), and
 * tests to shorten waits. */
#ifndef RIOX_TEST_H
#define RIOX_TEST_H

#ifdef __cplusplus
extern "C" {
#endif

/* Use `table` (a RIO_EXTENSION_FUNCTION_TABLE) as the RIO function table of
 * loops created afterwards, but only where the OS offers no RIO of its own;
 * such loops report the backend "rio-emulated". NULL removes the hook.
 * Not thread-safe: call before creating loops. */
void riox_test_set_rio_table(const void *table);

/* Test only: how long riox_loop_close waits for outstanding requests before
 * giving up on them (and leaking what the OS may still use), in
 * milliseconds, for loops closed afterwards. 0 restores the default (30 s).
 * Lets a test force the give-up path without waiting 30 s. Not thread-safe. */
void riox_test_set_close_drain_ms(unsigned ms);

#ifdef __cplusplus
}
#endif
#endif
