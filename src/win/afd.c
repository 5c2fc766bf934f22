/* Talking to the AFD driver. The two ntdll entry points are found at run
 * time so the code does not depend on which of them a given SDK's
 * winternl.h declares. */
#include <string.h>
#include <winternl.h>

#include "afd.h"
#include "error.h"
#include "hooks.h"
#include "ws.h"

#define AFD__IOCTL_POLL 0x00012024
#ifndef STATUS_PENDING
#define STATUS_PENDING ((NTSTATUS)0x00000103L)
#endif

typedef NTSTATUS(NTAPI *afd__ioctl_fn)(HANDLE, HANDLE, PVOID, PVOID, PIO_STATUS_BLOCK, ULONG, PVOID,
                                       ULONG, PVOID, ULONG);
typedef NTSTATUS(NTAPI *afd__cancel_fn)(HANDLE, PIO_STATUS_BLOCK, PIO_STATUS_BLOCK);

static afd__ioctl_fn afd__ioctl;
static afd__cancel_fn afd__cancel;

/* OVERLAPPED starts with the same two fields as IO_STATUS_BLOCK (status,
 * information), which is what lets a poll packet be dispatched like any
 * other request. */
_Static_assert(offsetof(OVERLAPPED, Internal) == 0, "OVERLAPPED.Internal is the status");
_Static_assert(offsetof(OVERLAPPED, InternalHigh) == sizeof(ULONG_PTR),
               "OVERLAPPED.InternalHigh is the information");

/* Both pointers are found once per process, for every loop on every
 * thread: InitOnceExecuteOnce makes the lookup run once and publishes both
 * pointers together to whoever comes after, where a plain "if NULL, look
 * up" would let threads write them concurrently and let one see the first
 * pointer set while the second is still NULL. */
static BOOL CALLBACK afd__load_once(PINIT_ONCE once, PVOID param, PVOID *ctx) {
  HMODULE ntdll = GetModuleHandleW(L"ntdll.dll");
  afd__cancel_fn cancel = NULL;
  afd__ioctl_fn ioctl = NULL;
  (void)once;
  (void)param;
  (void)ctx;
  hooks_init_ran();
  if (ntdll != NULL) {
    /* Casting through FARPROC is how GetProcAddress results are typed. */
    cancel = (afd__cancel_fn)(void (*)(void))GetProcAddress(ntdll, "NtCancelIoFileEx");
    ioctl = (afd__ioctl_fn)(void (*)(void))GetProcAddress(ntdll, "NtDeviceIoControlFile");
  }
  if (cancel != NULL && ioctl != NULL) {
    afd__cancel = cancel;
    afd__ioctl = ioctl;
  }
  return TRUE;
}

static int afd__load(void) {
  static INIT_ONCE once = INIT_ONCE_STATIC_INIT;
  InitOnceExecuteOnce(&once, afd__load_once, NULL, NULL);
  if (afd__ioctl == NULL)
    return error_detail(RIOX_ENOTSUP, "ntdll lacks NtDeviceIoControlFile/NtCancelIoFileEx");
  return 0;
}

int afd_open(HANDLE port, ULONG_PTR key, SOCKET *owner, HANDLE *out) {
  SOCKET s, base;
  int rc = afd__load();
  if (rc < 0) return rc;
  /* Any socket is a file of the AFD driver, so a private, never-connected
   * socket can carry polls for others (the approach libuv takes). Opening
   * \Device\Afd directly also works on Windows, but Wine 8 rejects polls
   * submitted on such a handle with STATUS_INVALID_PARAMETER; a socket
   * works on both. */
  s = ws_socket(AF_INET, SOCK_STREAM, IPPROTO_TCP, WSA_FLAG_OVERLAPPED);
  if (s == INVALID_SOCKET) {
    int err = WSAGetLastError();
    return error_detail(error_from_win32((uint32_t)err), "poll socket: WSASocket failed: WSA error %d",
                        err);
  }
  rc = afd_base_socket(s, &base);
  if (rc == 0 && CreateIoCompletionPort((HANDLE)base, port, key, 0) == NULL)
    rc = error_detail(error_from_win32(GetLastError()), "CreateIoCompletionPort(poll socket) failed: %lu",
                      GetLastError());
  if (rc < 0) {
    ws_close(s);
    return rc;
  }
  /* Nobody waits on the handle itself; skip signalling it. */
  (void)SetFileCompletionNotificationModes((HANDLE)base, FILE_SKIP_SET_EVENT_ON_HANDLE);
  *owner = s;
  *out = (HANDLE)base;
  return 0;
}

void afd_close(SOCKET owner) { ws_close(owner); }

int afd_poll(HANDLE afd, afd_poll_info_t *info, OVERLAPPED *ov) {
  NTSTATUS st;
  memset(ov, 0, sizeof *ov);
  ov->Internal = (ULONG_PTR)STATUS_PENDING;
  st = ws_nt_ioctl(afd__ioctl, afd, NULL, NULL, ov, (PIO_STATUS_BLOCK)ov, AFD__IOCTL_POLL, info,
                   sizeof *info, info, sizeof *info);
  /* Success and pending both queue a packet (the handle does not skip the
   * port on success); only a failure returned here posts none. */
  if (st == 0 || st == STATUS_PENDING) return 0;
  return error_detail(error_from_ntstatus((uint32_t)st), "IOCTL_AFD_POLL failed: NTSTATUS 0x%08lx",
                      (unsigned long)st);
}

void afd_cancel(HANDLE afd, OVERLAPPED *ov) {
  IO_STATUS_BLOCK cancel_iosb;
  /* STATUS_NOT_FOUND means it already finished: its packet is queued. */
  if ((NTSTATUS)ov->Internal != STATUS_PENDING) return;
  (void)afd__cancel(afd, (PIO_STATUS_BLOCK)ov, &cancel_iosb);
}

static int afd__ioctl_handle(SOCKET s, DWORD code, SOCKET *out) {
  DWORD bytes = 0;
  SOCKET h = INVALID_SOCKET;
  if (WSAIoctl(s, code, NULL, 0, &h, sizeof h, &bytes, NULL, NULL) != 0 || h == INVALID_SOCKET) return -1;
  *out = h;
  return 0;
}

int afd_base_socket(SOCKET s, SOCKET *base) {
  int err;
  if (afd__ioctl_handle(s, SIO_BASE_HANDLE, base) == 0) return 0;
  err = WSAGetLastError();
  /* A layered provider that hides SIO_BASE_HANDLE usually still answers the
   * BSP queries made for select/poll. */
  if (afd__ioctl_handle(s, SIO_BSP_HANDLE_POLL, base) == 0) return 0;
  if (afd__ioctl_handle(s, SIO_BSP_HANDLE_SELECT, base) == 0) return 0;
  if (afd__ioctl_handle(s, SIO_BSP_HANDLE, base) == 0) return 0;
  return error_detail(error_from_win32((uint32_t)err), "no base socket handle: WSA error %d", err);
}
