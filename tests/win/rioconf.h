/* Helpers for the RIO tests.
 *
 * test_rioconf_*.c: conformance tests, one documented RIO rule each, written
 * against the RIO function table only. rc_init() loads the OS's table where
 * Windows has RIO, else the test emulator's (under Wine), so the same
 * programs check real RIO on Windows 8+ and the emulator here. Tests named
 * test_rioconf_emu_* check what only the emulator offers (fault injection,
 * misuse reports) and always use the emulator.
 *
 * test_rio_*.c: the RIO backend through the public riox API; rt_* helpers. */
#ifndef RIOX_TEST_RIOCONF_H
#define RIOX_TEST_RIOCONF_H

#include "harness.h"

#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <winsock2.h>
#include <ws2tcpip.h>
#include <windows.h>

#include "../../src/win/ws.h"

#ifdef RIOX_WITH_RIO_EMU
#include "rio_emu.h"
#endif

/* The table under test (rc_init fills it). */
extern RIO_EXTENSION_FUNCTION_TABLE rc_rio;

/* Start Winsock and load the table: the OS's where it has RIO, else the
 * emulator's; skips (exit 77, with the reason) when neither exists. Sets
 * h_backend to "rio" or "rio-emulated" so failures say which was tested. */
void rc_init(void);
/* The same, but always the emulator's table (test_rioconf_emu_*). */
void rc_init_emulator(void);
int rc_emulated(void);

/* A registered region (VirtualAlloc'ed, so page-aligned and committed). */
typedef struct rc_buf {
  char *base;
  DWORD size;
  RIO_BUFFERID id;
} rc_buf;
int rc_buf_make(rc_buf *b, DWORD size); /* 0 or -1 (printed) */
void rc_buf_free(rc_buf *b);
RIO_BUF rc_slice(const rc_buf *b, ULONG offset, ULONG length);

/* Sockets meant for RIO are created and closed through the socket-call
 * table the emulator polices (rio_emu_sockapi) while the emulator is under
 * test, through the OS otherwise: the emulator must see each socket's flags
 * and its closesocket (that is when RIO frees the request queue). */
SOCKET rc_socket(int af, int type, int proto, DWORD flags);
int rc_close(SOCKET s);

/* Sockets on 127.0.0.1 with WSA_FLAG_REGISTERED_IO (RIO needs it), bound to
 * an ephemeral port; *addr gets the bound address. INVALID_SOCKET on failure
 * (printed). */
SOCKET rc_udp(SOCKADDR_IN *addr);
/* A connected TCP pair, both ends with WSA_FLAG_REGISTERED_IO. 0 or -1. */
int rc_tcp_pair(SOCKET *client, SOCKET *server);
/* Plain blocking helpers for the peer side of a test. */
int rc_sendto(SOCKET s, const char *data, int len, const SOCKADDR_IN *to);
/* Receive one datagram within timeout_ms; its length, or -1. */
int rc_recvfrom(SOCKET s, char *buf, int cap, int timeout_ms);

/* Completion queues: polled (no notification), or with an event. */
RIO_CQ rc_cq_poll(DWORD size);
RIO_CQ rc_cq_event(DWORD size, HANDLE *event); /* auto-reset event, created here */
/* An RQ with the given depths on one CQ (ctx = socket context). */
RIO_RQ rc_rq(SOCKET s, ULONG max_recv, ULONG max_send, RIO_CQ cq, void *ctx);

/* Dequeue until `want` results arrived or timeout_ms passed; returns how
 * many were stored in out (at most want), or -1 on RIO_CORRUPT_CQ. */
int rc_dequeue_wait(RIO_CQ cq, RIORESULT *out, int want, int timeout_ms);
/* Dequeue for `ms` milliseconds; returns how many results came (out may be NULL). */
int rc_dequeue_for(RIO_CQ cq, RIORESULT *out, int max, int ms);

/* A status Windows gives requests of a socket closed under them: the
 * documented WSA_OPERATION_ABORTED, or what production code sees on closed
 * sockets (WSAENOTSOCK, ERROR_NETNAME_DELETED, WSAECONNRESET; RIO-SEMANTICS.md).
 * The emulator cycles through all four. */
int rc_closed_status(LONG status);

/* A call that must fail (returned FALSE / invalid) with WSA error `want`. */
#define RC_FAILS(ok, want)                                                                \
  do {                                                                                    \
    int rc__ok = (ok) ? 1 : 0;                                                            \
    int rc__err = WSAGetLastError();                                                      \
    if (rc__ok) {                                                                         \
      H_FAIL("%s succeeded, expected WSA error %d", #ok, (int)(want));                    \
      return 1;                                                                           \
    }                                                                                     \
    if (rc__err != (int)(want)) {                                                         \
      H_FAIL("%s failed with WSA error %d, expected %d", #ok, rc__err, (int)(want));      \
      return 1;                                                                           \
    }                                                                                     \
  } while (0)
/* A call that must succeed (TRUE / valid); prints the WSA error otherwise. */
#define RC_OK(ok)                                                                         \
  do {                                                                                    \
    if (!(ok)) {                                                                          \
      H_FAIL("%s failed: WSA error %d", #ok, WSAGetLastError());                          \
      return 1;                                                                           \
    }                                                                                     \
  } while (0)

/* ---- backend tests (test_rio_*.c) ---------------------------------------- */

/* The current h_run pass is a RIO backend (rio or rio-emulated). */
int rt_is_rio(void);
/* The current pass runs on the emulator (fault injection available). */
int rt_is_emulated(void);
/* How many events in log match type and sock (NULL = any). */
int rt_count(const h_log *log, uint32_t type, riox_sock *sock);
/* A UDP socket on 127.0.0.1 (ephemeral port); *addr its address. 0 or 1. */
int rt_udp(riox_loop *loop, riox_sock **s, riox_addr *addr);
/* One datagram (64 bytes, pattern seed) from `from` to `to`, received by a
 * receive posted on `at`: both events arrive with status 0 and the data is
 * intact. 0 or 1 (failure printed). */
int rt_ping(riox_loop *loop, riox_sock *from, const riox_addr *to, riox_sock *at, uint32_t seed);
/* riox_close each socket and wait for its RIOX_EV_CLOSE. 0 or 1. */
int rt_close(riox_loop *loop, riox_sock *s);
/* Misuse reports the emulator made so far (0 when not emulated). */
unsigned rt_misuse(void);
/* Requests the emulator holds charged (0 when not emulated). */
unsigned long rt_outstanding(void);
/* End of a backend test: every request has had its event (req_in_use 0),
 * each of the n sockets closes with its one close event, the loop closes,
 * the emulator holds nothing charged and reported no misuse beyond
 * `misuse`. 0 or 1 (failure printed). */
int rt_finish(riox_loop *loop, riox_sock *const *socks, int n, unsigned misuse);
/* For test programs built without the emulator: print why and exit 77. */
void rt_skip_without_emulator(void);

#endif
