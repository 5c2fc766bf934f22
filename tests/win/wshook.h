/* For tests that play what Wine has not got (a layered provider, an older
 * Windows, a host that refuses \Device\Afd polls): a socket-call table
 * (ws_api_t, src/win/ws.h) that wraps the one riox uses in the current
 * pass, the RIO emulator's on "rio-emulated" and the OS's otherwise, so the
 * emulator still sees and polices every call.
 *
 *   ws_api_t t;
 *   wh_begin(&t);             t = the table under this pass
 *   t.getsockopt = my_fn;     override; my_fn forwards with wh_getsockopt
 *   wh_install(&t);           (skips the test in a build without test hooks)
 *   ...
 *   wh_end();                 the pass's own table again
 *
 * Header-only (static inline), so each test program stays one file. */
#ifndef RIOX_TEST_WSHOOK_H
#define RIOX_TEST_WSHOOK_H

#include "harness.h"

#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <winsock2.h>
#include <ws2tcpip.h>
#include <mswsock.h>
#include <windows.h>

#include "../../src/win/ws.h"
#include "riox_test.h"

#ifdef RIOX_WITH_RIO_EMU
#include "rio_emu.h"
#endif

#define WH_STATUS_INVALID_PARAMETER ((LONG)0xC000000DL)
#define WH_STATUS_ACCESS_DENIED ((LONG)0xC0000022L)
#define WH_IOCTL_AFD_POLL 0x00012024u

/* The table riox uses in this pass (NULL: the OS's). */
static inline const ws_api_t *wh_under(void) {
#ifdef RIOX_WITH_RIO_EMU
  if (strcmp(h_backend, "rio-emulated") == 0) return (const ws_api_t *)rio_emu_sockapi();
#endif
  return NULL;
}

static inline void wh_begin(ws_api_t *t) {
  const ws_api_t *u = wh_under();
  if (u != NULL) {
    *t = *u;
  } else {
    memset(t, 0, sizeof *t);
  }
}

static inline void wh_install(const ws_api_t *t) {
  if (riox_test_set_sockapi(t) < 0)
    h_skip("this build has no test hooks (RIOX_TEST_HOOKS=OFF): the socket seam the test plays the "
           "host through is compiled out");
}

static inline void wh_end(void) { (void)riox_test_set_sockapi(wh_under()); }

static inline FARPROC wh_ntdll(const char *name) {
  return GetProcAddress(GetModuleHandleW(L"ntdll.dll"), name);
}

/* Forwarders: what riox would have called without the test's table. */
static inline SOCKET wh_socket(int af, int type, int proto, DWORD flags) {
  const ws_api_t *u = wh_under();
  if (u != NULL && u->socket != NULL) return u->socket(af, type, proto, NULL, 0, flags);
  return WSASocketW(af, type, proto, NULL, 0, flags);
}

static inline int wh_getsockopt(SOCKET s, int level, int name, char *val, int *len) {
  const ws_api_t *u = wh_under();
  if (u != NULL && u->getsockopt != NULL) return u->getsockopt(s, level, name, val, len);
  return getsockopt(s, level, name, val, len);
}

static inline int wh_wsaioctl(SOCKET s, DWORD code, LPVOID in, DWORD in_len, LPVOID out,
                              DWORD out_len, LPDWORD bytes) {
  const ws_api_t *u = wh_under();
  if (u != NULL && u->wsaioctl != NULL) return u->wsaioctl(s, code, in, in_len, out, out_len, bytes, NULL, NULL);
  return WSAIoctl(s, code, in, in_len, out, out_len, bytes, NULL, NULL);
}

static inline BOOL wh_get_ov_result(SOCKET s, LPWSAOVERLAPPED ov, LPDWORD bytes, BOOL wait,
                                    LPDWORD flags) {
  const ws_api_t *u = wh_under();
  if (u != NULL && u->get_ov_result != NULL) return u->get_ov_result(s, ov, bytes, wait, flags);
  return WSAGetOverlappedResult(s, ov, bytes, wait, flags);
}

static inline BOOL wh_cancel_io(HANDLE h, LPOVERLAPPED ov) {
  const ws_api_t *u = wh_under();
  if (u != NULL && u->cancel_io != NULL) return u->cancel_io(h, ov);
  return CancelIoEx(h, ov);
}

static inline LONG wh_nt_ioctl(HANDLE file, HANDLE event, PVOID apc, PVOID apc_ctx, PVOID iosb,
                               ULONG code, PVOID in, ULONG in_len, PVOID out, ULONG out_len) {
  const ws_api_t *u = wh_under();
  ws_nt_ioctl_fn os;
  if (u != NULL && u->nt_ioctl != NULL)
    return u->nt_ioctl(file, event, apc, apc_ctx, iosb, code, in, in_len, out, out_len);
  os = (ws_nt_ioctl_fn)(void (*)(void))wh_ntdll("NtDeviceIoControlFile");
  return os(file, event, apc, apc_ctx, iosb, code, in, in_len, out, out_len);
}

static inline LONG wh_nt_cancel(HANDLE file, PVOID iosb, PVOID cancel_iosb) {
  const ws_api_t *u = wh_under();
  ws_nt_cancel_fn os;
  if (u != NULL && u->nt_cancel != NULL) return u->nt_cancel(file, iosb, cancel_iosb);
  os = (ws_nt_cancel_fn)(void (*)(void))wh_ntdll("NtCancelIoFileEx");
  return os(file, iosb, cancel_iosb);
}

static inline LONG wh_nt_create(PHANDLE file, ACCESS_MASK access, PVOID attrs, PVOID iosb,
                                PLARGE_INTEGER alloc, ULONG attributes, ULONG share,
                                ULONG disposition, ULONG options, PVOID ea, ULONG ea_len) {
  const ws_api_t *u = wh_under();
  ws_nt_create_fn os;
  if (u != NULL && u->nt_create != NULL)
    return u->nt_create(file, access, attrs, iosb, alloc, attributes, share, disposition, options, ea,
                        ea_len);
  os = (ws_nt_create_fn)(void (*)(void))wh_ntdll("NtCreateFile");
  return os(file, access, attrs, iosb, alloc, attributes, share, disposition, options, ea, ea_len);
}

/* The handle's completion modes (FILE_SKIP_* bits), as the OS reports them
 * (NtQueryInformationFile, FileIoCompletionNotificationInformation = 41).
 * 0 and *modes, or the NTSTATUS of a query this host does not answer. */
static inline LONG wh_completion_modes(HANDLE h, ULONG *modes) {
  typedef LONG(NTAPI * query_fn)(HANDLE, PVOID, PVOID, ULONG, ULONG);
  query_fn q = (query_fn)(void (*)(void))wh_ntdll("NtQueryInformationFile");
  ULONG_PTR iosb[2] = {0, 0};
  *modes = 0;
  return q(h, iosb, modes, sizeof *modes, 41);
}

#endif
