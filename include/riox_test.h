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

/* Fault injection (test builds only, RIOX_TEST_HOOKS; src/core/fault.c).
 * Every OS call riox makes on a path that can fail goes through a fault
 * site: one place in riox's source, registered (numbered from 0, in the
 * order they first run) the first time it runs, with the faults that are
 * real there. A rule makes chosen passes of a site fail with one of them
 * instead of calling the OS: on Linux errno (ENOMEM, EAGAIN, EMFILE,
 * ECONNRESET), on Windows the WSA/Win32 equivalent; RIOX_TEST_FAULT_SHORT
 * makes a stream send take fewer bytes than asked (at least one). */
enum riox_test_fault {
  RIOX_TEST_FAULT_NOMEM = 1u << 0,
  RIOX_TEST_FAULT_AGAIN = 1u << 1,
  RIOX_TEST_FAULT_MFILE = 1u << 2,
  RIOX_TEST_FAULT_CONNRESET = 1u << 3,
  RIOX_TEST_FAULT_SHORT = 1u << 4,
  RIOX_TEST_FAULT_INTR = 1u << 5, /* a wait cut short by a signal (EINTR, WAIT_IO_COMPLETION) */
  RIOX_TEST_FAULT_ALL = (1u << 6) - 1u
};

typedef struct riox_test_fault_site_info {
  const char *call;    /* the OS call ("epoll_ctl", "io_uring_submit", "WSARecv") */
  const char *file;    /* where riox makes it */
  int line;
  unsigned faults;     /* RIOX_TEST_FAULT_* real there */
  unsigned long hits;  /* passes so far */
  unsigned long failed; /* of them failed by a rule */
} riox_test_fault_site_info;

/* Sites registered so far, and what is known of site k (0, or RIOX_EINVAL). */
unsigned riox_test_fault_sites(void);
int riox_test_fault_site(unsigned k, riox_test_fault_site_info *out);
/* Arm a rule (at most 4 at once): site k (site >= 0), or (site < 0) every
 * site of the OS call named `call`, counted together; its nth matching pass
 * from now (1 = the next) fails with the lowest bit of `fault` that is real
 * there -- and, with `every`, each pass after it too. Passes of a site where
 * none of `fault` is real do not count. 0, RIOX_EINVAL, or RIOX_ENOBUFS (four
 * rules armed). riox_test_fault_disarm drops every rule;
 * riox_test_fault_injected counts the faults injected since the start. */
int riox_test_fault_arm(int site, const char *call, unsigned long nth, unsigned fault, int every);
void riox_test_fault_disarm(void);
unsigned long riox_test_fault_injected(void);

#ifdef __cplusplus
}
#endif
#endif
