/* RIO emulator: a test-only RIO_EXTENSION_FUNCTION_TABLE built on overlapped
 * Winsock, for hosts without Registered I/O (Wine). It obeys the rules written
 * down in RIO-SEMANTICS.md; tests/win/test_rioconf_*.c check it against them
 * (and can check real RIO the same way).
 *
 * How it works (details in rio_emu_int.h and docs/rio-emulator.md):
 *  - every committed request becomes one overlapped WSARecv/WSARecvFrom/
 *    WSASend/WSASendTo whose OVERLAPPED.hEvent has its low bit set,
 *    so no packet reaches the completion port the caller bound the socket to;
 *  - that event is one event shared by all emulator I/O; one emulator thread
 *    waits on it, learns which I/O ended, and files the RIORESULT into the CQ
 *    under the emulator's lock, in issue order per request queue and
 *    direction, then fires an armed RIONotify (PostQueuedCompletionStatus or
 *    SetEvent). No thread per I/O: the process's threads (and, under Wine,
 *    their fds) do not grow with the load;
 *  - a pending SIO_ADDRESS_LIST_CHANGE ioctl per request queue, watched the
 *    same way, tells the emulator when the caller closes the socket.
 *
 * This header needs no Windows header: tests include it anywhere. */
#ifndef RIOX_RIO_EMU_H
#define RIOX_RIO_EMU_H

#ifdef __cplusplus
extern "C" {
#endif

/* The emulated table (RIO_EXTENSION_FUNCTION_TABLE*), valid for the process lifetime. */
const void *rio_emu_table(void);

/* The socket-call table (a ws_api_t, src/win/ws.h) through which the emulator sees the
 * flags of every socket and polices the calls made on RIO sockets (sock.c). Sockets
 * meant for emulated RIO must be created and closed through it. */
const void *rio_emu_sockapi(void);
/* Receives RIO holds on socket s (a SOCKET) whose I/O has started and not
 * ended: what a test needs to model what Windows does at closesocket with a
 * receive pending (test_tcp_close_fin_not_rst). 0 for a socket without a
 * request queue. */
unsigned rio_emu_recv_in_flight(unsigned long long s);
/* Install (on != 0) or remove both tables in riox: riox_test_set_rio_table and
 * riox_test_set_sockapi. Call before creating loops. */
void rio_emu_install(int on);

/* Machine models (persistent until changed; 0 turns each off):
 *  - every RIOCreateRequestQueue fails with WSA error `err`, as on machines whose security
 *    software or layered providers return the RIO table but refuse queues. The environment
 *    variable RIOX_RIO_EMU_REFUSE_RQ=<err> sets it when the emulator starts (for programs
 *    such as riox-probe);
 *  - the CQ room a closed socket's RQ held comes back `ms` milliseconds after closesocket,
 *    not at once (Windows returns it late). */
void rio_emu_set_rq_refused(int err);
void rio_emu_set_cq_release_delay(unsigned ms);

/* Fault injection: make the nth (1-based, counted from now) call of function `fn`
 * fail with WSA error `err` (e.g. RIO_EMU_FN_RECEIVE, 3, WSAENOBUFS). For RIONotify the
 * error is returned; for BOOL/handle functions set WSAGetLastError and return FALSE/invalid.
 * A failed call has no other effect: nothing is queued, charged or completed.
 * RIO_EMU_FN_DEQUEUE is different: it corrupts the CQ that dequeue names, for good.
 * That call and every later RIODequeueCompletion on the same CQ return RIO_CORRUPT_CQ
 * (with err == -1 the last error is left alone, else that call sets WSAGetLastError to
 * err), as real RIO's answer is fatal: every production user gives the CQ up. Its
 * results stay queued and charged until RIOCloseCompletionQueue drops them; the CQ's
 * other calls (RIONotify, resize, close) and the posts of its RQs keep working.
 * RIO_EMU_FN_DEREGISTER and RIO_EMU_FN_CLOSE_CQ name functions that return nothing:
 * their calls are counted (rio_emu_calls), and faults cannot be injected into them. */
enum rio_emu_fn {
  RIO_EMU_FN_RECEIVE,
  RIO_EMU_FN_RECEIVEEX,
  RIO_EMU_FN_SEND,
  RIO_EMU_FN_SENDEX,
  RIO_EMU_FN_CREATE_CQ,
  RIO_EMU_FN_CREATE_RQ,
  RIO_EMU_FN_DEQUEUE,
  RIO_EMU_FN_NOTIFY,
  RIO_EMU_FN_REGISTER,
  RIO_EMU_FN_RESIZE_CQ,
  RIO_EMU_FN_RESIZE_RQ,
  RIO_EMU_FN_DEREGISTER, /* RIODeregisterBuffer: counted only */
  RIO_EMU_FN_CLOSE_CQ,   /* RIOCloseCompletionQueue: counted only */
  RIO_EMU_FN_COUNT
};
void rio_emu_fail_nth(enum rio_emu_fn fn, unsigned nth, int err);
/* Posts only (RECEIVE, RECEIVEEX, SEND, SENDEX; ignored for other functions): the nth
 * call does everything a TRUE return would (the request is queued, charged, committed
 * as its flags say, and yields exactly one result), then returns FALSE with
 * WSAGetLastError() == WSA_IO_PENDING (a call that would fail anyway fails as usual,
 * and the fault is spent). Microsoft lists WSA_IO_PENDING among the failure
 * codes of RIOSend(Ex)/RIOReceive(Ex): the request was queued and its completion
 * will follow, so a caller must count it as posted. */
void rio_emu_pending_nth(enum rio_emu_fn fn, unsigned nth);
/* Posts only: the nth call is accepted (returns TRUE and is charged: quota, CQ slot,
 * buffer registrations) but its request is never issued and never completes -- not when
 * it is committed, not when its socket is closed, not when its CQ is closed. It stays
 * charged for the life of the process (rio_emu_outstanding counts it; deregistering its
 * buffer is reported as misuse). For testing what a caller does when the OS never
 * finishes a request. */
void rio_emu_stuck_nth(enum rio_emu_fn fn, unsigned nth);
/* Sends only (SEND, SENDEX; ignored for other functions): the nth call is accepted as
 * usual, but its request moves at most `bytes` bytes (1 or more) and then completes
 * successfully with that count: a partial completion. Nothing documents one for a stream
 * send (an overlapped send completes once the transport has consumed its buffer: WSPSend),
 * but a caller that continues one must still keep the stream in order. */
void rio_emu_partial_nth(enum rio_emu_fn fn, unsigned nth, unsigned long bytes);
/* Posts only: the nth call is accepted (returns TRUE, charged as usual), and once its
 * request is issued its I/O ends at once with WSA status `err` and no bytes, as if the OS
 * had reported it (an ICMP report on a UDP receive: WSAECONNRESET). Its result reaches the
 * CQ like any other. For testing what a caller does with failures that arrive as
 * completions rather than as the post's answer. */
void rio_emu_complete_nth(enum rio_emu_fn fn, unsigned nth, int err);
/* Disarms every fault not yet hit (a corrupt CQ stays corrupt, a stuck request stuck). */
void rio_emu_reset_faults(void);

/* Misuse reports (concurrent use of one CQ/RQ, deregistering a buffer in use; RIONotify
 * while armed is NOT misuse -- it is WSAEALREADY): the count; each is printed to stderr as
 * "rio-emu: MISUSE: ..." (after five concurrent-use reports, those are counted only). */
unsigned rio_emu_misuse_count(void);

/* Calls made into the table, per function (tests use it to count OS calls). */
unsigned long rio_emu_calls(enum rio_emu_fn fn);

/* Requests charged right now, over every queue: posted and not yet dequeued
 * (nor dropped by RIOCloseCompletionQueue). 0 once everything is released --
 * the leak check for tests. */
unsigned long rio_emu_outstanding(void);

#ifdef __cplusplus
}
#endif
#endif
