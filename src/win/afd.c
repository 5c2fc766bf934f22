/* Talking to the AFD driver. The ntdll entry points are found at run time
 * so the code does not depend on which of them a given SDK's winternl.h
 * declares (or an import library exports). */
#include <string.h>

#include "afd.h"
#include "error.h"
#include "hooks.h"
#include "oscall.h"
#include "ws.h"

/* After afd.h (winapi.h): the SDK's winternl.h needs windows.h first. */
#include <winternl.h>

#define AFD__IOCTL_POLL 0x00012024
#ifndef STATUS_PENDING
#define STATUS_PENDING ((NTSTATUS)0x00000103L)
#endif

typedef NTSTATUS(NTAPI *afd__ioctl_fn)(HANDLE, HANDLE, PVOID, PVOID, PIO_STATUS_BLOCK, ULONG, PVOID,
                                       ULONG, PVOID, ULONG);

static afd__ioctl_fn afd__ioctl;
static ws_nt_cancel_fn afd__cancel;
static ws_nt_create_fn afd__create;

/* The device polls are submitted on (afd__open_device). */
static const WCHAR afd__device[] = L"\\Device\\Afd\\riox";

/* OVERLAPPED starts with the same two fields as IO_STATUS_BLOCK (status,
 * information), which is what lets a poll packet be dispatched like any
 * other request. */
_Static_assert(offsetof(OVERLAPPED, Internal) == 0, "OVERLAPPED.Internal is the status");
_Static_assert(offsetof(OVERLAPPED, InternalHigh) == sizeof(ULONG_PTR),
               "OVERLAPPED.InternalHigh is the information");

/* The three pointers are found once per process, for every loop on every
 * thread: InitOnceExecuteOnce makes the lookup run once and publishes them
 * together to whoever comes after, where a plain "if NULL, look up" would
 * let threads write them concurrently and let one see the first pointer
 * set while another is still NULL. */
static BOOL CALLBACK afd__load_once(PINIT_ONCE once, PVOID param, PVOID *ctx) {
  HMODULE ntdll = GetModuleHandleW(L"ntdll.dll");
  ws_nt_cancel_fn cancel = NULL;
  ws_nt_create_fn create = NULL;
  afd__ioctl_fn ioctl = NULL;
  (void)once;
  (void)param;
  (void)ctx;
  hooks_init_ran();
  if (ntdll != NULL) {
    /* Casting through FARPROC is how GetProcAddress results are typed. */
    cancel = (ws_nt_cancel_fn)(void (*)(void))GetProcAddress(ntdll, "NtCancelIoFileEx");
    create = (ws_nt_create_fn)(void (*)(void))GetProcAddress(ntdll, "NtCreateFile");
    ioctl = (afd__ioctl_fn)(void (*)(void))GetProcAddress(ntdll, "NtDeviceIoControlFile");
  }
  if (cancel != NULL && create != NULL && ioctl != NULL) {
    afd__cancel = cancel;
    afd__create = create;
    afd__ioctl = ioctl;
  }
  return TRUE;
}

static int afd__load(void) {
  static INIT_ONCE once = INIT_ONCE_STATIC_INIT;
  InitOnceExecuteOnce(&once, afd__load_once, NULL, NULL);
  if (afd__ioctl == NULL)
    return error_detail(RIOX_ENOTSUP, "ntdll lacks NtDeviceIoControlFile/NtCancelIoFileEx/NtCreateFile");
  return 0;
}

/* \Device\Afd\riox opened without extended attributes: a handle to the
 * driver with no endpoint behind it, which accepts IOCTL_AFD_POLL for any
 * socket (wepoll's afd_create_device_handle). NULL when it cannot be had. */
static HANDLE afd__open_device(HANDLE port, ULONG_PTR key) {
  UNICODE_STRING name;
  OBJECT_ATTRIBUTES attrs;
  IO_STATUS_BLOCK iosb;
  HANDLE h = NULL;
  NTSTATUS st;
  name.Buffer = (PWSTR)afd__device;
  name.Length = (USHORT)(sizeof afd__device - sizeof afd__device[0]);
  name.MaximumLength = (USHORT)sizeof afd__device;
  memset(&attrs, 0, sizeof attrs); /* no OBJ_INHERIT: no child process gets it */
  attrs.Length = sizeof attrs;
  attrs.ObjectName = &name;
  st = ws_nt_create(afd__create, &h, SYNCHRONIZE, &attrs, &iosb, NULL, 0,
                    FILE_SHARE_READ | FILE_SHARE_WRITE, FILE_OPEN, 0, NULL, 0);
  if (st != 0 || h == NULL) return NULL;
  if (OSCALL_CREATE_PORT(h, port, key, 0) == NULL) {
    CloseHandle(h);
    return NULL;
  }
  /* Nobody waits on the handle itself; skip signalling it. */
  (void)OSCALL_SET_MODES(h, FILE_SKIP_SET_EVENT_ON_HANDLE);
  return h;
}

/* The fallback: any socket is a file of the AFD driver, so a private,
 * never-connected socket can carry polls for others (libuv's approach). */
static int afd__open_socket(HANDLE port, ULONG_PTR key, afd_handle_t *out) {
  SOCKET s, base;
  int rc;
  s = ws_open(AF_INET, SOCK_STREAM, IPPROTO_TCP, WSA_FLAG_OVERLAPPED);
  if (s == INVALID_SOCKET) {
    int err = WSAGetLastError();
    return error_detail(error_from_win32((uint32_t)err), "poll socket: WSASocket failed: WSA error %d",
                        err);
  }
  rc = afd_base_socket(s, &base);
  if (rc == 0 && OSCALL_CREATE_PORT((HANDLE)base, port, key, 0) == NULL)
    rc = error_detail(error_from_win32(GetLastError()), "CreateIoCompletionPort(poll socket) failed: %lu",
                      GetLastError());
  if (rc < 0) {
    ws_close(s);
    return rc;
  }
  /* Nobody waits on the handle itself; skip signalling it. */
  (void)OSCALL_SET_MODES((HANDLE)base, FILE_SKIP_SET_EVENT_ON_HANDLE);
  out->owner = s;
  out->h = (HANDLE)base;
  return 0;
}

int afd_open(HANDLE port, ULONG_PTR key, int use_socket, afd_handle_t *out) {
  int rc = afd__load();
  if (rc < 0) return rc;
  out->owner = INVALID_SOCKET;
  out->h = use_socket ? NULL : afd__open_device(port, key);
  if (out->h != NULL) return 0;
  return afd__open_socket(port, key, out);
}

void afd_close(afd_handle_t *afd) {
  if (afd->owner != INVALID_SOCKET) {
    ws_close(afd->owner);
  } else if (afd->h != NULL) {
    CloseHandle(afd->h);
  }
  afd->owner = INVALID_SOCKET;
  afd->h = NULL;
}

int afd_poll(HANDLE afd, afd_poll_info_t *info, OVERLAPPED *ov) {
  NTSTATUS st;
  memset(ov, 0, sizeof *ov);
  ov->Internal = (ULONG_PTR)STATUS_PENDING;
  st = ws_nt_ioctl(afd__ioctl, afd, NULL, NULL, ov, (PIO_STATUS_BLOCK)ov, AFD__IOCTL_POLL, info,
                   sizeof *info, info, sizeof *info);
  /* Success and pending both queue a packet (the handle does not skip the
   * port on success); only a failure returned here posts none. */
  if (st == 0 || st == (NTSTATUS)STATUS_PENDING) return 0;
  return error_detail(error_from_ntstatus((uint32_t)st), "IOCTL_AFD_POLL failed: NTSTATUS 0x%08lx",
                      (unsigned long)st);
}

void afd_cancel(HANDLE afd, OVERLAPPED *ov) {
  IO_STATUS_BLOCK cancel_iosb;
  /* STATUS_NOT_FOUND means it already finished: its packet is queued. */
  if ((NTSTATUS)ov->Internal != (NTSTATUS)STATUS_PENDING) return;
  (void)ws_nt_cancel(afd__cancel, afd, (PIO_STATUS_BLOCK)ov, &cancel_iosb);
}

/* More layers than any real chain has: a bound against providers that
 * name each other in a cycle. */
#define AFD__MAX_LAYERS 16

static int afd__ioctl_handle(SOCKET s, DWORD code, SOCKET *out) {
  DWORD bytes = 0;
  SOCKET h = INVALID_SOCKET;
  if (ws_wsaioctl(s, code, NULL, 0, &h, sizeof h, &bytes) != 0 || h == INVALID_SOCKET) return -1;
  *out = h;
  return 0;
}

int afd_base_socket(SOCKET s, SOCKET *base) {
  SOCKET next;
  int err = 0, layer;
  for (layer = 0; layer < AFD__MAX_LAYERS; layer++) {
    if (afd__ioctl_handle(s, SIO_BASE_HANDLE, base) == 0) return 0;
    err = WSAGetLastError();
    if (err == WSAENOTSOCK) break;
    /* Some layered providers (Komodia's) intercept SIO_BASE_HANDLE, which
     * the Winsock IOCTLs page says no provider may do, yet pass
     * SIO_BSP_HANDLE_POLL: that names the next layer's socket only, so ask
     * that one for its base in turn (wepoll's ws_get_base_socket). The
     * SIO_BSP_HANDLE_SELECT and SIO_BSP_HANDLE answers are not used: they
     * too can stop at a layer, and AFD cannot poll a layer's socket. */
    if (afd__ioctl_handle(s, SIO_BSP_HANDLE_POLL, &next) != 0 || next == s) break;
    s = next;
  }
  return error_detail(error_from_win32((uint32_t)err), "no base socket handle: WSA error %d%s", err,
                      layer == AFD__MAX_LAYERS ? " (layered providers name each other in a cycle)" : "");
}
