/* The overlapped Winsock I/O behind a committed request, and its end.
 *
 * The caller's socket is associated with the caller's completion port, so a
 * plain overlapped call would post a packet there that the caller cannot
 * explain. With the low-order bit of OVERLAPPED.hEvent set, Windows (and
 * Wine 8: checked) signals the event but queues no packet. The event is the
 * one watch.c shares among all emulator I/O; its thread records the result
 * (no thread per I/O: see watch.c for why). I/O that ends inside the call
 * (success or failure) is recorded at once and is not watched. */
#include "rio_emu_int.h"

/* After rio_emu_int.h (winapi.h): the SDK's winternl.h needs windows.h first. */
#include <winternl.h>

/* NTSTATUS values an overlapped socket I/O ends with (ntstatus.h). */
#define IO__STATUS_BUFFER_OVERFLOW ((LONG)0x80000005L)
#define IO__STATUS_HANDLES_CLOSED ((LONG)0x8000000AL) /* Wine: I/O of a closed handle */
#define IO__STATUS_ACCESS_VIOLATION ((LONG)0xC0000005L)
#define IO__STATUS_INVALID_HANDLE ((LONG)0xC0000008L)
#define IO__STATUS_INVALID_PARAMETER ((LONG)0xC000000DL)
#define IO__STATUS_BUFFER_TOO_SMALL ((LONG)0xC0000023L)
#define IO__STATUS_INSUFFICIENT_RESOURCES ((LONG)0xC000009AL)
#define IO__STATUS_IO_TIMEOUT ((LONG)0xC00000B5L)
#define IO__STATUS_NOT_SUPPORTED ((LONG)0xC00000BBL)
#define IO__STATUS_CANCELLED ((LONG)0xC0000120L)
#define IO__STATUS_LOCAL_DISCONNECT ((LONG)0xC000013BL)
#define IO__STATUS_REMOTE_DISCONNECT ((LONG)0xC000013CL)
#define IO__STATUS_INVALID_CONNECTION ((LONG)0xC0000140L)
#define IO__STATUS_CONNECTION_REFUSED ((LONG)0xC0000236L)
#define IO__STATUS_NETWORK_UNREACHABLE ((LONG)0xC000023CL)
#define IO__STATUS_HOST_UNREACHABLE ((LONG)0xC000023DL)
#define IO__STATUS_PORT_UNREACHABLE ((LONG)0xC000023FL)
#define IO__STATUS_CONNECTION_RESET ((LONG)0xC000020DL)
#define IO__STATUS_CONNECTION_ABORTED ((LONG)0xC0000241L)

LONG rio_emu_status_to_wsa(LONG st) {
  switch (st) {
  case 0: return 0;
  case IO__STATUS_BUFFER_OVERFLOW: return WSAEMSGSIZE;
  case IO__STATUS_CANCELLED:
  case IO__STATUS_HANDLES_CLOSED:
  case IO__STATUS_INVALID_HANDLE: return WSA_OPERATION_ABORTED;
  case IO__STATUS_ACCESS_VIOLATION:
  case IO__STATUS_BUFFER_TOO_SMALL: return WSAEFAULT;
  case IO__STATUS_INVALID_PARAMETER: return WSAEINVAL;
  case IO__STATUS_INSUFFICIENT_RESOURCES: return WSAENOBUFS;
  case IO__STATUS_IO_TIMEOUT: return WSAETIMEDOUT;
  case IO__STATUS_NOT_SUPPORTED: return WSAEOPNOTSUPP;
  case IO__STATUS_LOCAL_DISCONNECT:
  case IO__STATUS_CONNECTION_ABORTED: return WSAECONNABORTED;
  case IO__STATUS_REMOTE_DISCONNECT:
  case IO__STATUS_CONNECTION_RESET:
  case IO__STATUS_PORT_UNREACHABLE: return WSAECONNRESET;
  case IO__STATUS_INVALID_CONNECTION: return WSAENOTCONN;
  case IO__STATUS_CONNECTION_REFUSED: return WSAECONNREFUSED;
  case IO__STATUS_NETWORK_UNREACHABLE: return WSAENETUNREACH;
  case IO__STATUS_HOST_UNREACHABLE: return WSAEHOSTUNREACH;
  default: break;
  }
  /* Not a socket status we know: the Win32 code is the best we can say. */
  return (LONG)RtlNtStatusToDosError(st);
}

/* The watch thread saw the I/O end (lock held). */
static void io__ended(rio_emu_watch_t *w) {
  rio_emu_req_t *req = container_of(w, rio_emu_req_t, watch);
  rio_emu_io_finish(req, rio_emu_status_to_wsa((LONG)req->ov.Internal),
                    (ULONG)req->ov.InternalHigh);
}

/* Copy a socket address into a SOCKADDR_INET slice (zero-filled). */
static void io__put_addr(char *slice, const SOCKADDR_STORAGE *ss) {
  size_t n = ss->ss_family == AF_INET6 ? sizeof(SOCKADDR_IN6) : sizeof(SOCKADDR_IN);
  memset(slice, 0, sizeof(SOCKADDR_INET));
  if (ss->ss_family == AF_INET || ss->ss_family == AF_INET6) memcpy(slice, ss, n);
}

void rio_emu_io_start(rio_emu_req_t *req) {
  rio_emu_rq_t *rq = req->rq;
  static char io__empty; /* the WSABUF of an empty datagram */
  DWORD bytes = 0;
  int rc;
  if (rq->closed) {
    /* Never hand I/O to a closed socket: its handle may name another one. */
    rio_emu_io_finish(req, rio_emu_closed_status(), 0);
    return;
  }
  if (req->fail_status != 0) {
    /* rio_emu_complete_nth: the OS "reported" this status for the I/O. */
    rio_emu_io_finish(req, req->fail_status, 0);
    return;
  }
  memset(&req->ov, 0, sizeof req->ov);
  req->ov.Internal = (ULONG_PTR)STATUS_PENDING; /* Wine writes it only at the end */
  req->ov.hEvent = rio_emu_watch_event();
  req->wsabuf.buf = req->data != NULL ? req->data + req->accum : &io__empty;
  req->wsabuf.len = req->len - req->accum;
  if (req->cap != 0 && req->wsabuf.len > req->cap) req->wsabuf.len = req->cap;
  req->wsaflags = 0;
  req->use_msg = 0;
  if (req->dir == RIO_EMU_SEND && req->control != NULL && rq->type == SOCK_DGRAM) {
    rc = rio_emu_ctrl_io(req, &bytes); /* WSASendMsg with the caller's messages */
  } else if (req->dir == RIO_EMU_RECV && rq->type == SOCK_DGRAM &&
             (req->control != NULL || req->local != NULL)) {
    rc = rio_emu_ctrl_io(req, &bytes); /* WSARecvMsg: PKTINFO and the like */
  } else if (req->dir == RIO_EMU_SEND) {
    if (req->remote != NULL) {
      const SOCKADDR *to = (const SOCKADDR *)req->remote;
      int tolen = to->sa_family == AF_INET ? (int)sizeof(SOCKADDR_IN) : (int)sizeof(SOCKADDR_IN6);
      rc = WSASendTo(rq->sock, &req->wsabuf, 1, &bytes, 0, to, tolen, &req->ov, NULL);
    } else {
      rc = WSASend(rq->sock, &req->wsabuf, 1, &bytes, 0, &req->ov, NULL);
    }
  } else if (rq->type == SOCK_DGRAM) {
    req->addrlen = (INT)sizeof req->addr;
    memset(&req->addr, 0, sizeof req->addr);
    rc = WSARecvFrom(rq->sock, &req->wsabuf, 1, &bytes, &req->wsaflags, (SOCKADDR *)&req->addr,
                     &req->addrlen, &req->ov, NULL);
  } else {
    rc = WSARecv(rq->sock, &req->wsabuf, 1, &bytes, &req->wsaflags, &req->ov, NULL);
  }
  if (rc != 0) rc = WSAGetLastError();
  /* The call reset the shared event; check before anything else runs. */
  rio_emu_watch_called();
  if (rc == 0) {
    rio_emu_io_finish(req, 0, (ULONG)req->ov.InternalHigh);
    return;
  }
  if (rc == WSA_IO_PENDING) {
    rio_emu_watch_add(&req->watch, &req->ov, io__ended);
    return;
  }
  /* Ended inside the call. A truncated datagram still carries data. */
  rio_emu_io_finish(req, rc, rc == WSAEMSGSIZE ? (ULONG)req->ov.InternalHigh : 0);
}

void rio_emu_io_finish(rio_emu_req_t *req, LONG status, ULONG bytes) {
  rio_emu_rq_t *rq = req->rq;
  int recv = req->dir == RIO_EMU_RECV;
  if (recv && status == 0 && (req->flags & RIO_MSG_WAITALL) && bytes > 0 &&
      req->accum + bytes < req->len && !rq->closed) {
    /* RIO_MSG_WAITALL: keep receiving until the slice is full, the
     * connection ends or an error occurs. */
    req->accum += bytes;
    rio_emu_io_start(req);
    return;
  }
  if (recv && status == 0 && req->accum + bytes == 0 && req->len > 0 && rq->type == SOCK_STREAM &&
      !rq->closed) {
    /* Wine workaround: a receive that starts after the peer's reset ends
     * with 0 bytes (end of stream) under Wine, where Windows answers
     * WSAECONNRESET. Wine still shows the reset as POLLERR (a FIN shows only
     * POLLHUP), so restore Windows' answer from that. */
    WSAPOLLFD p;
    p.fd = rq->sock;
    p.events = POLLRDNORM;
    p.revents = 0;
    if (WSAPoll(&p, 1, 0) == 1 && (p.revents & POLLERR)) status = WSAECONNRESET;
  }
  /* Closed locally: Windows may say any of several codes (rio_emu_closed_status). */
  if (status != 0 && rq->closed) status = rio_emu_closed_status();
  req->result.Status = status;
  req->result.BytesTransferred = req->accum + bytes;
  if (recv && (status == 0 || status == WSAEMSGSIZE)) {
    if (req->remote != NULL) io__put_addr(req->remote, &req->addr);
    if (req->use_msg) {
      rio_emu_ctrl_deliver(req); /* control messages and local address (ctrl.c) */
    } else if (req->local != NULL) {
      SOCKADDR_STORAGE ss;
      int len = sizeof ss;
      memset(&ss, 0, sizeof ss);
      if (getsockname(rq->sock, (SOCKADDR *)&ss, &len) != 0) ss.ss_family = 0;
      io__put_addr(req->local, &ss);
    }
  }
  if (recv && req->control != NULL && !(req->use_msg && (status == 0 || status == WSAEMSGSIZE))) {
    /* A failed receive, or a stream's: an RIO_CMSG_BUFFER holding no
     * control message. */
    ULONG total = RIO_EMU_CMSG_BASE_SIZE;
    memcpy(req->control, &total, sizeof total);
  }
  if (req->pflags != NULL) {
    ULONG f = status == WSAEMSGSIZE ? (ULONG)MSG_TRUNC : 0;
    if (recv && req->ctrunc) f |= (ULONG)MSG_CTRUNC;
    memcpy(req->pflags, &f, sizeof f);
  }
  req->done = 1;
  rio_emu_rq_drain(rq, req->dir);
}
