/* Test hooks. Not part of the stable API: tests and the example programs
 * use them to stand an RIO emulator in for the OS (Wine has no RIO), and
 * tests to shorten waits. */
#ifndef RIOX_TEST_H
#define RIOX_TEST_H

#include "riox.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Use `table` (a RIO_EXTENSION_FUNCTION_TABLE) as the RIO function table of
 * loops created afterwards, but only where the OS offers no RIO of its own;
 * such loops report the backend "rio-emulated". NULL removes the hook.
 * Not thread-safe: call before creating loops. */
void riox_test_set_rio_table(const void *table);

/* Test builds only (RIOX_TEST_HOOKS): route the socket-level calls riox
 * makes (socket creation and close, ioctlsocket, accept, the non-blocking
 * transfers, CancelIoEx, AFD polls, shutdown, the IOCP backend's overlapped
 * receives, AcceptEx) through `api`, a ws_api_t (src/win/ws.h), so the RIO
 * emulator can see and police them and tests can inject failures. NULL
 * restores the OS's. Not thread-safe: call before creating loops. */
void riox_test_set_sockapi(const void *api);

/* The WSASocketW flags riox gave the OS socket behind `sock` (for a
 * connection: those of the socket it was accepted into, or for accept() the
 * listener's, whose attributes it copies); 0 for NULL. Lets tests check
 * which sockets carry WSA_FLAG_REGISTERED_IO (0x100). */
unsigned long riox_test_sock_wsa_flags(const riox_sock *sock);

/* Test only: how long riox_loop_close waits for outstanding requests before
 * giving up on them (and leaking what the OS may still use), in
 * milliseconds, for loops closed afterwards. 0 restores the default (30 s).
 * Lets a test force the give-up path without waiting 30 s. Not thread-safe. */
void riox_test_set_close_drain_ms(unsigned ms);

/* Test only: how long riox_close lets a TCP connection's issued sends run
 * before it closes anyway (riox.h, riox_close), in milliseconds, for
 * closes started afterwards. 0 restores the default (5 s). Not thread-safe. */
void riox_test_set_close_linger_ms(unsigned ms);

#ifdef __cplusplus
}
#endif
#endif
