/* Test hooks. Not part of the stable API, and never installed: tests and the example programs
 * use them to stand an RIO emulator in for the OS (Wine has no RIO), and
 * tests to shorten waits and to force failures and races. Those marked
 * "test builds only" exist when the library is built with RIOX_TEST_HOOKS
 * (on in the Windows tree with the RIO emulator and in the native test
 * trees); test programs see RIOX_HAVE_TEST_HOOKS then (cmake/behave.cmake). */
#ifndef RIOX_TEST_H
#define RIOX_TEST_H

#include "riox.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Test builds only (RIOX_TEST_HOOKS): use `table` (a
 * RIO_EXTENSION_FUNCTION_TABLE) as the RIO function table of
 * loops created afterwards, but only where the OS offers no RIO of its own;
 * such loops report the backend "rio-emulated". NULL removes the hook.
 * Not thread-safe: call before creating loops. */
void riox_test_set_rio_table(const void *table);

/* Test builds only (RIOX_TEST_HOOKS): route the socket-level calls riox
 * makes (socket creation and close, ioctlsocket, accept, the non-blocking
 * transfers, CancelIoEx, AFD polls, shutdown, the IOCP backend's overlapped
 * transfers, AcceptEx) through `api`, a ws_api_t (src/win/ws.h), so the RIO
 * emulator can see and police them, and tests can inject failures and play
 * what the host has not got (a layered provider, an older Windows). NULL
 * restores the OS's. 0, or RIOX_ENOTSUP in a build without RIOX_TEST_HOOKS
 * (nothing is routed there). Not thread-safe: call before creating loops. */
int riox_test_set_sockapi(const void *api);

/* The WSASocketW flags riox gave the OS socket behind `sock` (for a
 * connection: those of the socket it was accepted into, or for accept() the
 * listener's, whose attributes it copies); 0 for NULL. Lets tests check
 * which sockets carry WSA_FLAG_REGISTERED_IO (0x100). The flags are those
 * asked for first: WSA_FLAG_NO_HANDLE_INHERIT (0x80) is among them even where
 * an old Windows refused it and the handle's inherit flag was cleared. */
unsigned long riox_test_sock_wsa_flags(const riox_sock *sock);

/* The OS socket (a SOCKET) behind `sock`, INVALID_SOCKET's value once it is
 * closed or for NULL: lets tests ask the OS about riox's own sockets
 * (handle inheritance, completion modes) and play a layered provider for
 * one socket. */
uintptr_t riox_test_sock_handle(const riox_sock *sock);

/* Test only: how long riox_loop_close waits for outstanding requests before
 * giving up on them (and leaking what the OS may still use), in
 * milliseconds, for loops closed afterwards. 0 restores the default (30 s).
 * Lets a test force the give-up path without waiting 30 s. Not thread-safe. */
void riox_test_set_close_drain_ms(unsigned ms);

/* Test builds only (RIOX_TEST_HOOKS): from now on the nth growth of an
 * event queue (1 = the next one) and every growth after it fail as if
 * memory had run out, in every loop; 0 lets them succeed again. Lets a test
 * make the event queue unable to grow. Not thread-safe: call it from the
 * loop's thread. */
void riox_test_fail_alloc_nth(unsigned nth);

/* Test builds only: the process-wide one-time initialisations (Windows: the
 * QueryPerformanceFrequency value behind every timeout, the ntdll entry
 * points behind AFD polls; Linux: the io_uring check the first uring or
 * auto loop makes) sleep `ms` inside their body from now on, so
 * threads that reach one first at the same time overlap there.
 * riox_test_init_runs says how often their bodies have run so far: once
 * each, whatever the threads do, is right. */
void riox_test_set_init_delay_ms(unsigned ms);
unsigned riox_test_init_runs(void);

/* Test only: how long riox_close lets a TCP connection's issued sends run
 * before it closes anyway (riox.h, riox_close), in milliseconds, for
 * closes started afterwards. 0 restores the default (5 s). Not thread-safe. */
void riox_test_set_close_linger_ms(unsigned ms);

#ifdef __cplusplus
}
#endif
#endif
