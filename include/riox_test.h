/* Test hooks. Not part of the stable API: tests and the example programs
 * use them to stand an RIO emulator in for the OS (Wine has no RIO). */
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

#ifdef __cplusplus
}
#endif
#endif
