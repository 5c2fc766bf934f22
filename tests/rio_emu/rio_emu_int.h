/* RIO emulator internals: the objects behind RIO_BUFFERID, RIO_CQ and RIO_RQ,
 * and the functions the files share.
 *
 * Files, one job each:
 *   core.c   the one emulator lock, handle tables, caller-serialization guards
 *   fault.c  call counters, fault injection, misuse reports
 *   buf.c    RIORegisterBuffer / RIODeregisterBuffer, RIO_BUF slice checks
 *   cq.c     completion queues: results, RIONotify, dequeue, resize, close
 *   rq.c     request queues: create, resize, socket-close detection, lifetime
 *   post.c   RIOSend(Ex) / RIOReceive(Ex): validation, charging, DEFER/COMMIT
 *   io.c     the overlapped Winsock I/O behind a request, and its completion
 *   watch.c  the one thread that learns when an emulator I/O has ended
 *   table.c  the function table
 *
 * Locking: one CRITICAL_SECTION (rio_emu_lock) guards every emulator object.
 * The caller's thread takes it inside table functions; the watch thread
 * (watch.c) takes it when an I/O ends. Under it the emulator only makes
 * calls that do not block: overlapped WSARecv/WSASend, PostQueuedCompletionStatus,
 * SetEvent.
 *
 * Lifetimes are reference counts taken and dropped under the lock:
 *   CQ: 1 for its handle + 1 per request-queue direction attached.
 *   RQ: 1 while its socket is open +
 *       1 per charged request + 1 per call in progress.
 * A request is charged (RQ quota, CQ slot, buffer registrations, an RQ
 * reference) from the post that accepted it until RIODequeueCompletion hands
 * its result out (or its CQ is closed), as RIO releases them only at
 * dequeue. */
#ifndef RIOX_RIO_EMU_INT_H
#define RIOX_RIO_EMU_INT_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "winapi.h"
#include "list.h"
#include "rio_emu.h"

#ifndef STATUS_PENDING
#define STATUS_PENDING ((LONG)0x00000103L)
#endif

/* ws2def.h: a length rounded up to the alignment of WSACMSGHDR (Wine's
 * headers lack it). */
#ifndef WSA_CMSGHDR_ALIGN
#define WSA_CMSGHDR_ALIGN(len) (((len) + _Alignof(WSACMSGHDR) - 1) & ~(_Alignof(WSACMSGHDR) - 1))
#endif

/* RIO_CMSG_BUFFER: the control slice of RIOReceiveEx starts with its total
 * length; control messages would follow at this offset. */
#define RIO_EMU_CMSG_BASE_SIZE ((ULONG)WSA_CMSGHDR_ALIGN(sizeof(ULONG)))

enum { RIO_EMU_RECV = 0, RIO_EMU_SEND = 1 };

typedef struct rio_emu_rq rio_emu_rq_t;
typedef struct rio_emu_cq rio_emu_cq_t;

/* ---- core.c ------------------------------------------------------------ */

void rio_emu_init(void);
void rio_emu_lock(void);
void rio_emu_unlock(void);

/* Handle tables: id = index + 1, never reused, so a stale id is recognised
 * for ever. Lock held for every call. */
typedef struct rio_emu_htab {
  void **slot;
  ULONG n, cap;
} rio_emu_htab_t;
ULONG rio_emu_htab_add(rio_emu_htab_t *t, void *obj); /* 0: no memory / full */
void *rio_emu_htab_get(const rio_emu_htab_t *t, ULONG_PTR id);
void rio_emu_htab_clear(rio_emu_htab_t *t, ULONG_PTR id);

/* Caller serialization check: RIO does not lock a CQ or RQ, so two threads
 * inside calls on one of them at once is the caller's bug. The guards live
 * outside the objects, in a lock-free table keyed by handle value, and are
 * entered BEFORE the emulator lock is taken and left after it is dropped:
 * inside the lock the calls are serialized and no overlap could be seen.
 * enter() reports (rio_emu_misuse) when another thread is already inside. */
enum { RIO_EMU_GUARD_CQ = 0, RIO_EMU_GUARD_RQ = 1 };
void rio_emu_enter(int kind, ULONG_PTR id, const char *fn);
void rio_emu_leave(int kind, ULONG_PTR id);

/* ---- watch.c ----------------------------------------------------------- */

/* One overlapped operation whose end is awaited. */
typedef struct rio_emu_watch {
  list_node_t node;
  OVERLAPPED *ov;
  void (*fn)(struct rio_emu_watch *w); /* called once, lock held, on the watch thread */
} rio_emu_watch_t;

/* Start the watch thread (from rio_emu_init, once). */
void rio_emu_watch_init(void);
/* The value for OVERLAPPED.hEvent of every emulator I/O: the shared event
 * with the low-order bit set (signalled, but no completion-port packet). */
HANDLE rio_emu_watch_event(void);
/* ov's call answered pending: call fn(w) once its status is final. Lock held,
 * in the same hold as the call. */
void rio_emu_watch_add(rio_emu_watch_t *w, OVERLAPPED *ov, void (*fn)(rio_emu_watch_t *w));
/* After every overlapped call naming the shared event (which the call
 * resets): re-signal it if a watched I/O has ended meanwhile. Lock held. */
void rio_emu_watch_called(void);

/* ---- fault.c ----------------------------------------------------------- */

enum rio_emu_fault {
  RIO_EMU_FAULT_NONE = 0,
  RIO_EMU_FAULT_FAIL,    /* rio_emu_fail_nth: the call fails with *err */
  RIO_EMU_FAULT_PENDING, /* rio_emu_pending_nth: accepted, answers FALSE + WSA_IO_PENDING */
  RIO_EMU_FAULT_STUCK,   /* rio_emu_stuck_nth: accepted, never issued nor completed */
  RIO_EMU_FAULT_PARTIAL, /* rio_emu_partial_nth: accepted, moves only *err bytes */
  RIO_EMU_FAULT_COMPLETE /* rio_emu_complete_nth: accepted, its I/O ends with *err */
};
/* Count a call of fn; the fault armed for this call (enum rio_emu_fault), and
 * *err for RIO_EMU_FAULT_FAIL. Posts use it; other functions rio_emu_fault_hit. */
int rio_emu_fault_take(enum rio_emu_fn fn, int *err);
/* Count a call of fn; 1 (and *err) when an injected failure hits it. */
int rio_emu_fault_hit(enum rio_emu_fn fn, int *err);
/* Report (and count) a misuse; fmt NULL counts without printing. */
void rio_emu_misuse(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;

/* ---- buf.c ------------------------------------------------------------- */

typedef struct rio_emu_reg {
  char *base;
  ULONG len;
  ULONG id;
  LONG inuse; /* charged requests naming it */
  int dead;   /* deregistered: later posts answer WSAEFAULT */
} rio_emu_reg_t;

/* Check one RIO_BUF: inside a live registration and at least min_len long.
 * 0 and *reg, or WSAEINVAL (bad id, outside, too short) / WSAEFAULT
 * (deregistered). Lock held. */
int rio_emu_buf_slice(const RIO_BUF *b, ULONG min_len, rio_emu_reg_t **reg);
/* The caller memory a checked slice names. */
char *rio_emu_buf_ptr(const rio_emu_reg_t *reg, const RIO_BUF *b);
/* A charged request names the registration / no longer does. Lock held. */
void rio_emu_buf_ref(rio_emu_reg_t *reg);
void rio_emu_buf_unref(rio_emu_reg_t *reg);

/* ---- requests (post.c, io.c) ------------------------------------------- */

#define RIO_EMU_MAX_REFS 5

enum rio_emu_req_state {
  RIO_EMU_REQ_FREE = 0,
  RIO_EMU_REQ_DEFERRED, /* in rq->deferred[dir]: posted with RIO_MSG_DEFER */
  RIO_EMU_REQ_ISSUED,   /* in rq->issued[dir]: I/O started, or finished (done) */
  RIO_EMU_REQ_QUEUED,   /* in cq->results: waiting for RIODequeueCompletion */
  RIO_EMU_REQ_STUCK     /* on post.c's stuck list: never issued, never completes */
};

typedef struct rio_emu_req {
  list_node_t node;
  OVERLAPPED ov;         /* hEvent = rio_emu_watch_event(): no completion-port packet */
  rio_emu_watch_t watch; /* while the I/O is pending */
  rio_emu_rq_t *rq;
  int dir;
  int state;
  int done; /* result final: goes to the CQ once every earlier request has */
  DWORD flags; /* RIO_MSG_* */
  LONG fail_status; /* rio_emu_complete_nth: the WSA status its I/O ends with, 0 = none */
  RIORESULT result;
  rio_emu_reg_t *ref[RIO_EMU_MAX_REFS];
  int nref;
  /* Caller memory (inside registered buffers). */
  char *data;
  ULONG len, accum; /* accum: bytes done by earlier parts (RIO_MSG_WAITALL) */
  ULONG cap;        /* sends: most bytes the I/O moves (rio_emu_partial_nth); 0 = all */
  char *local, *remote, *control, *pflags;
  ULONG control_len; /* the control slice's length */
  int ctrunc;        /* control messages did not all fit the caller's slice */
  /* Winsock state that must outlive the call starting the I/O. */
  WSABUF wsabuf;
  DWORD wsaflags;
  SOCKADDR_STORAGE addr;
  INT addrlen;
  /* UDP with control data (ctrl.c): WSARecvMsg / WSASendMsg. */
  int use_msg;
  WSAMSG msg;
  char cbuf[256];
} rio_emu_req_t;

/* ctrl.c: the control data of RIOSendEx / RIOReceiveEx (pControlContext,
 * a RIO_CMSG_BUFFER: TotalLength, then WSACMSGHDRs at
 * RIO_EMU_CMSG_BASE_SIZE). A send's is input (msquic's use: IN_PKTINFO /
 * IN6_PKTINFO, UDP_SEND_MSG_SIZE), checked at the post: 0 or the WSA
 * error. A receive's is output: what the OS returned, as WSARecvMsg would.
 * Lock held for all. */
/* The OS's WSARecvMsg / WSASendMsg, looked up once (either out may be NULL). */
void rio_emu_msg_fns(SOCKET s, LPFN_WSARECVMSG *recvmsg, LPFN_WSASENDMSG *sendmsg);
int rio_emu_ctrl_check_send(const char *control, ULONG len);
/* Start the I/O of a UDP request that carries or wants control data (or a
 * local address): WSASendMsg / WSARecvMsg. Returns the call's result as
 * WSASend does (0 or SOCKET_ERROR). */
int rio_emu_ctrl_io(rio_emu_req_t *req, DWORD *bytes);
/* A receive with control data ended well: fill the caller's control and
 * local-address slices. */
void rio_emu_ctrl_deliver(rio_emu_req_t *req);

/* post.c: uncharge a request (RQ quota, CQ slot, buffers, RQ reference) and
 * recycle it. Lock held. */
void rio_emu_req_release(rio_emu_req_t *req);

/* io.c: start the overlapped I/O of a committed request (already on its RQ's
 * issued list). Its result reaches the CQ in issue order. Lock held. */
void rio_emu_io_start(rio_emu_req_t *req);
/* io.c: the request ended with WSA status `status`: record the result. Lock held. */
void rio_emu_io_finish(rio_emu_req_t *req, LONG status, ULONG bytes);
/* io.c: WSA error code for the NTSTATUS an overlapped socket I/O ended with. */
LONG rio_emu_status_to_wsa(LONG status);

/* ---- sock.c: the sockets the caller made (through rio_emu_sockapi) ---- */

typedef struct rio_emu_sock {
  SOCKET s;
  DWORD flags;       /* as passed to WSASocketW; 0 for accept()ed sockets */
  rio_emu_rq_t *rq;  /* its one request queue, until closesocket */
  struct rio_emu_sock *next;
} rio_emu_sock_t;

/* The record of s, or NULL (not made through the table, or closed). Lock held. */
rio_emu_sock_t *rio_emu_sock_find(SOCKET s);

/* ---- cq.c -------------------------------------------------------------- */

struct rio_emu_cq {
  LONG refs;
  ULONG id;
  ULONG size;
  ULONGLONG committed; /* capacity of the RQ directions attached to it */
  ULONG used;          /* charged requests of any RQ, queued or not */
  list_node_t results; /* rio_emu_req_t.node, in completion order */
  ULONG queued;
  ULONG notify_queued; /* queued results without RIO_MSG_DONT_NOTIFY */
  list_node_t late;    /* slots of closed RQs not yet given back (cq.c) */
  int has_notify, armed, closed;
  int corrupt; /* an injected RIO_CORRUPT_CQ: every later dequeue answers it too */
  RIO_NOTIFICATION_COMPLETION notify;
};

/* Lookup by handle (lock held): NULL if invalid or closed. No reference. */
rio_emu_cq_t *rio_emu_cq_find(RIO_CQ h);
void rio_emu_cq_ref(rio_emu_cq_t *cq);
void rio_emu_cq_put(rio_emu_cq_t *cq);
/* File a finished request's result (dropped when the CQ is closed). */
void rio_emu_cq_push(rio_emu_cq_t *cq, rio_emu_req_t *req);
/* A closed RQ gives back `n` committed slots: now, or after the configured
 * delay (rio_emu_set_cq_release_delay). Lock held. */
void rio_emu_cq_uncommit(rio_emu_cq_t *cq, ULONGLONG n);
/* Give back delayed slots whose time has come. Lock held. */
void rio_emu_cq_release_due(rio_emu_cq_t *cq);

/* ---- rq.c -------------------------------------------------------------- */

struct rio_emu_rq {
  LONG refs;
  ULONG id;
  SOCKET sock;
  int type;   /* SOCK_STREAM or SOCK_DGRAM */
  int family; /* AF_INET or AF_INET6 */
  ULONGLONG ctx;
  rio_emu_cq_t *cq[2];
  ULONG max[2], out[2]; /* capacity and charged requests per direction */
  list_node_t deferred[2], issued[2];
  int closed;       /* the socket was closed: RQ invalid for callers */
};

/* Lookup by handle (lock held). NULL if invalid or its socket was closed.
 * Takes a reference (rio_emu_rq_put). */
rio_emu_rq_t *rio_emu_rq_get(RIO_RQ h);
void rio_emu_rq_put(rio_emu_rq_t *rq);
/* closesocket (sock.c): the RQ is gone for the caller; its capacity goes
 * back to the CQ and what it holds is aborted. Lock held. */
void rio_emu_rq_socket_closed(rio_emu_rq_t *rq);
/* The WSA status a request of a closed socket ends with: Windows reports
 * several (RIO-SEMANTICS.md), so the emulator cycles through them. */
LONG rio_emu_closed_status(void);
/* Move finished requests at the head of the issued list to the CQ. */
void rio_emu_rq_drain(rio_emu_rq_t *rq, int dir);
/* Start every deferred request of one direction, in posting order. */
void rio_emu_rq_commit(rio_emu_rq_t *rq, int dir);

/* ---- post.c: counters --------------------------------------------------- */

extern LONG rio_emu_charged; /* requests charged now, all queues (lock held) */

/* ---- the table's functions (table.c assembles them) -------------------- */

RIO_BUFFERID PASCAL rio_emu_register_buffer(PCHAR data, DWORD len);
VOID PASCAL rio_emu_deregister_buffer(RIO_BUFFERID id);
RIO_CQ PASCAL rio_emu_create_cq(DWORD size, PRIO_NOTIFICATION_COMPLETION notify);
VOID PASCAL rio_emu_close_cq(RIO_CQ cq);
ULONG PASCAL rio_emu_dequeue(RIO_CQ cq, PRIORESULT array, ULONG n);
INT PASCAL rio_emu_notify(RIO_CQ cq);
BOOL PASCAL rio_emu_resize_cq(RIO_CQ cq, DWORD size);
RIO_RQ PASCAL rio_emu_create_rq(SOCKET s, ULONG max_recv, ULONG recv_bufs, ULONG max_send,
                                ULONG send_bufs, RIO_CQ recv_cq, RIO_CQ send_cq, PVOID ctx);
BOOL PASCAL rio_emu_resize_rq(RIO_RQ rq, DWORD max_recv, DWORD max_send);
BOOL PASCAL rio_emu_receive(RIO_RQ rq, PRIO_BUF data, ULONG count, DWORD flags, PVOID ctx);
int PASCAL rio_emu_receive_ex(RIO_RQ rq, PRIO_BUF data, ULONG count, PRIO_BUF local,
                              PRIO_BUF remote, PRIO_BUF control, PRIO_BUF pflags, DWORD flags,
                              PVOID ctx);
BOOL PASCAL rio_emu_send(RIO_RQ rq, PRIO_BUF data, ULONG count, DWORD flags, PVOID ctx);
BOOL PASCAL rio_emu_send_ex(RIO_RQ rq, PRIO_BUF data, ULONG count, PRIO_BUF local,
                            PRIO_BUF remote, PRIO_BUF control, PRIO_BUF pflags, DWORD flags,
                            PVOID ctx);

#endif
