/* The loop's Windows side: Winsock and the completion port, the choice
 * between RIO and IOCP, one kernel wait (GetQueuedCompletionStatusEx) and
 * its dispatch, wakes, and the clock. */
#include <stdlib.h>
#include <string.h>

#include "hooks.h"
#include "win.h"

/* After win.h (winapi.h): the SDK's winternl.h needs windows.h first. */
#include <winternl.h>

#define LOOP__ENTRIES 256

/* Winsock, the extension functions (AcceptEx, ConnectEx, RIO) and the
 * completion port. On failure nothing is left behind. */
int os_loop_init(riox_loop *loop) {
  int rc;
  list_init(&loop->poll_updates);
  list_init(&loop->afd_groups);
  loop->port = NULL;
  rc = win_wsa_start();
  if (rc < 0) return rc;
  rc = win_ext_load(&loop->ext);
  if (rc == 0 && (loop->ext.AcceptEx == NULL || loop->ext.ConnectEx == NULL ||
                  loop->ext.GetAcceptExSockaddrs == NULL))
    rc = error_detail(RIOX_ENOTSUP, "the Winsock provider lacks AcceptEx/ConnectEx");
  if (rc == 0) win_offload_select(loop);
  if (rc == 0) {
    loop->nentries = LOOP__ENTRIES;
    loop->entries = (OVERLAPPED_ENTRY *)calloc(loop->nentries, sizeof *loop->entries);
    if (loop->entries == NULL) rc = error_detail(RIOX_ENOMEM, "no memory for completion entries");
  }
  if (rc == 0) {
    loop->port = OSCALL_CREATE_PORT(INVALID_HANDLE_VALUE, NULL, 0, 1);
    if (loop->port == NULL)
      rc = error_detail(error_from_win32(GetLastError()), "CreateIoCompletionPort failed: error %lu",
                        GetLastError());
  }
  if (rc < 0) {
    free(loop->entries);
    loop->entries = NULL;
    WSACleanup();
  }
  return rc;
}

void os_loop_fini(riox_loop *loop) {
  poll_loop_fini(loop); /* after the sockets: they leave their AFD groups */
  CloseHandle(loop->port);
  free(loop->entries);
  WSACleanup();
}

int os_getenv(const char *name, char *buf, size_t len) {
  DWORD n = GetEnvironmentVariableA(name, buf, (DWORD)len);
  return n > 0 && n < len;
}

/* The offloads this loop uses: what the probe found, with WSASendMsg /
 * WSARecvMsg to carry them, unless RIOX_UDP_OFFLOAD=0 (as on Linux: the
 * software path on a host that has the offloads). */
void win_offload_select(riox_loop *loop) {
  char v[8];
  if (loop->ext.WSASendMsg == NULL) loop->ext.uso = 0;
  if (loop->ext.WSARecvMsg == NULL) loop->ext.uro = 0;
  if (os_getenv("RIOX_UDP_OFFLOAD", v, sizeof v) && strcmp(v, "0") == 0)
    loop->ext.uso = loop->ext.uro = 0;
}

/* "auto" is RIO when the probe found it usable (probe.c), else IOCP;
 * "rio" where it is not usable fails with the reason, never a downgrade. */
int os_backend_select(riox_loop *loop, const char *name) {
  int have_rio = loop->ext.rio_usable;
  if (strcmp(name, "auto") == 0) name = have_rio ? "rio" : "iocp";
  if (strcmp(name, "iocp") == 0) {
    loop->be = &iocp_backend;
    loop->backend_name = "iocp";
    return 0;
  }
  if (strcmp(name, "rio") == 0) {
    if (!have_rio)
      return error_detail(RIOX_ENOTSUP,
                          "backend \"rio\" requested but Registered I/O is not usable: %s; use "
                          "\"auto\" or \"iocp\"",
                          loop->ext.rio_why);
    loop->be = &rio_backend;
    loop->backend_name = loop->ext.rio_emulated ? "rio-emulated" : "rio";
    return 0;
  }
  return error_detail(RIOX_EINVAL, "unknown backend \"%.40s\": expected auto, iocp or rio", name);
}

/* The counter's frequency is fixed at boot (QueryPerformanceFrequency), so
 * it is read once per process. Loops on several threads may ask for it
 * first at the same moment: InitOnceExecuteOnce makes that one write that
 * every reader sees complete, instead of a data race on a static. */
static LARGE_INTEGER loop__qpc_freq;

static BOOL CALLBACK loop__qpc_init(PINIT_ONCE once, PVOID param, PVOID *ctx) {
  (void)once;
  (void)param;
  (void)ctx;
  hooks_init_ran();
  QueryPerformanceFrequency(&loop__qpc_freq); /* cannot fail since Windows XP */
  return TRUE;
}

uint64_t loop_now_ms(void) {
  static INIT_ONCE once = INIT_ONCE_STATIC_INIT;
  LARGE_INTEGER now;
  uint64_t freq;
  InitOnceExecuteOnce(&once, loop__qpc_init, NULL, NULL);
  freq = (uint64_t)loop__qpc_freq.QuadPart;
  QueryPerformanceCounter(&now);
  return (uint64_t)now.QuadPart / freq * 1000u + (uint64_t)now.QuadPart % freq * 1000u / freq;
}

static int loop__status_of(const OVERLAPPED *ov) {
  uint32_t st = (uint32_t)ov->Internal;
  int rc = error_from_ntstatus(st);
  if (rc == RIOX_EIO) {
    /* Not in our table: let the OS name the Win32 code, then map that. */
    ULONG code = RtlNtStatusToDosError((NTSTATUS)st);
    rc = error_from_win32(code);
    if (rc == RIOX_EIO) error_detail(RIOX_EIO, "I/O failed with NTSTATUS 0x%08lx", (unsigned long)st);
  }
  return rc;
}

/* The status of a request whose packet came from the port. Internal holds
 * an NTSTATUS only where the kernel wrote it: IFS providers, and AFD polls
 * (the driver's own IO_STATUS_BLOCK). A non-IFS provider may use Internal
 * as it likes (WSAOVERLAPPED, Microsoft Learn), so its result is asked for
 * with WSAGetOverlappedResult, which needs the socket: once riox_close has
 * closed it, the request was cancelled (riox.h, "Socket lifecycle"). */
static int loop__req_status(req_t *req) {
  riox_sock *sock = req->sock;
  DWORD bytes = 0, flags = 0;
  int err;
  if (req->kind == REQ_POLL || sock == NULL || sock->ifs) return loop__status_of(&req->ov);
  if (sock->s == INVALID_SOCKET)
    return error_detail(RIOX_ECANCELED, "cancelled by riox_close (non-IFS provider)");
  LOOP_OSCALL(sock->loop);
  if (ws_get_ov_result(sock->s, &req->ov, &bytes, &flags)) return 0;
  err = WSAGetLastError();
  return error_detail(error_from_win32((uint32_t)err), "overlapped I/O (non-IFS provider): WSA error %d",
                      err);
}

/* A wake with no room left goes back to the port, to be read when there is
 * (only when memory ran out and every slot of the queue is owed). */
static void loop__wake(riox_loop *loop, OVERLAPPED_ENTRY *e) {
  if (loop_push_wake(loop, (void *)e->lpOverlapped) == 0) return;
  if (!OSCALL_POST(loop->port, 0, WIN_KEY_WAKE, e->lpOverlapped))
    loop->stats.drops++;
}

/* One kernel wait; dispatch every packet it returned. */
void os_wait(riox_loop *loop, uint32_t timeout) {
  ULONG count = 0, i, batch = loop_wait_batch(loop, loop->nentries);
  BOOL ok;
  if (batch == 0) return;
  /* RIO handed over completions before this wait: no call for a poll. */
  if (loop->be == &rio_backend && rio_cq_skip_port(loop, timeout)) return;
  LOOP_OSCALL(loop);
  loop->stats.waits++;
  ok = OSCALL_WAIT(loop->port, loop->entries, batch, &count, (DWORD)timeout);
  if (!ok) return; /* WAIT_TIMEOUT: nothing arrived */
  for (i = 0; i < count; i++) {
    OVERLAPPED_ENTRY *e = &loop->entries[i];
    switch (e->lpCompletionKey) {
    case WIN_KEY_REQ: {
      req_t *req = container_of(e->lpOverlapped, req_t, ov);
      loop->stats.completions++;
      req->complete(loop, req, OSCALL_STATUS(loop__req_status(req)), e->dwNumberOfBytesTransferred);
      break;
    }
    case WIN_KEY_WAKE:
      loop__wake(loop, e);
      break;
    case WIN_KEY_BACKEND:
      loop->be->on_packet(loop, e);
      break;
    default:
      break;
    }
  }
}

int riox_wake(riox_loop *loop, void *ctx) {
  if (loop == NULL) return error_detail(RIOX_EINVAL, "riox_wake: loop is NULL");
  if (!OSCALL_POST(loop->port, 0, WIN_KEY_WAKE, (OVERLAPPED *)ctx))
    return error_detail(error_from_win32(GetLastError()), "PostQueuedCompletionStatus failed: %lu",
                        GetLastError());
  return 0;
}
