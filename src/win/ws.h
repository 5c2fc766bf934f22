/* The socket-level calls riox makes on its own sockets, in one place.
 *
 * Release builds call the OS directly. Test builds (RIOX_TEST_HOOKS) call
 * through a table a test may install (riox_test_set_sockapi): the RIO
 * emulator wraps it, so it sees the flags every socket was created with and
 * every socket-level call made on a RIO socket, and refuses what Windows
 * refuses there (RIO-SEMANTICS.md, "Sockets used by RIO"; Wine enforces none
 * of it). A NULL entry in an installed table means "the OS's". */
#ifndef RIOX_WIN_WS_H
#define RIOX_WIN_WS_H

#include "winapi.h"

typedef LONG(NTAPI *ws_nt_ioctl_fn)(HANDLE file, HANDLE event, PVOID apc, PVOID apc_ctx, PVOID iosb,
                                    ULONG code, PVOID in, ULONG in_len, PVOID out, ULONG out_len);

typedef struct ws_api {
  SOCKET(WINAPI *socket)(int af, int type, int protocol, LPWSAPROTOCOL_INFOW info, GROUP g,
                         DWORD flags);
  int(WINAPI *close)(SOCKET s);
  int(WINAPI *ioctl)(SOCKET s, long cmd, u_long *arg);
  SOCKET(WINAPI *accept)(SOCKET s, struct sockaddr *addr, int *len);
  int(WINAPI *recv)(SOCKET s, char *buf, int len, int flags);
  int(WINAPI *recvfrom)(SOCKET s, char *buf, int len, int flags, struct sockaddr *from, int *from_len);
  int(WINAPI *send)(SOCKET s, const char *buf, int len, int flags);
  int(WINAPI *sendto)(SOCKET s, const char *buf, int len, int flags, const struct sockaddr *to,
                      int to_len);
  BOOL(WINAPI *cancel_io)(HANDLE h, LPOVERLAPPED ov);
  /* NtDeviceIoControlFile: how AFD polls are submitted (afd.c). */
  ws_nt_ioctl_fn nt_ioctl;
  /* TCP half-close (riox_shutdown, and riox_close before closesocket). */
  int(WINAPI *shutdown)(SOCKET s, int how);
  /* The IOCP backend's overlapped receives (src/iocp/iocp.c). */
  int(WINAPI *wsarecv)(SOCKET s, LPWSABUF bufs, DWORD nbufs, LPDWORD bytes, LPDWORD flags,
                       LPWSAOVERLAPPED ov, LPWSAOVERLAPPED_COMPLETION_ROUTINE cr);
  int(WINAPI *wsarecvfrom)(SOCKET s, LPWSABUF bufs, DWORD nbufs, LPDWORD bytes, LPDWORD flags,
                           struct sockaddr *from, LPINT from_len, LPWSAOVERLAPPED ov,
                           LPWSAOVERLAPPED_COMPLETION_ROUTINE cr);
  /* AcceptEx, found at run time (win_ext_t.AcceptEx): a listener's posts. */
  BOOL(WINAPI *accept_ex)(SOCKET listener, SOCKET accept_sock, PVOID buf, DWORD recv_len,
                          DWORD local_len, DWORD remote_len, LPDWORD bytes, LPOVERLAPPED ov);
} ws_api_t;

#ifdef RIOX_TEST_HOOKS
extern const ws_api_t *ws_hook; /* NULL: the OS */
#define WS__CALL(fn, os, args) (ws_hook != NULL && ws_hook->fn != NULL ? ws_hook->fn args : os args)
#else
#define WS__CALL(fn, os, args) (os args)
#endif

#define ws_socket(af, type, proto, flags) WS__CALL(socket, WSASocketW, (af, type, proto, NULL, 0, flags))
#define ws_close(s) WS__CALL(close, closesocket, (s))
#define ws_ioctl(s, cmd, arg) WS__CALL(ioctl, ioctlsocket, (s, cmd, arg))
#define ws_accept(s, addr, len) WS__CALL(accept, accept, (s, addr, len))
#define ws_recv(s, buf, len, fl) WS__CALL(recv, recv, (s, buf, len, fl))
#define ws_recvfrom(s, buf, len, fl, from, flen) WS__CALL(recvfrom, recvfrom, (s, buf, len, fl, from, flen))
#define ws_send(s, buf, len, fl) WS__CALL(send, send, (s, buf, len, fl))
#define ws_sendto(s, buf, len, fl, to, tlen) WS__CALL(sendto, sendto, (s, buf, len, fl, to, tlen))
#define ws_cancel_io(h, ov) WS__CALL(cancel_io, CancelIoEx, (h, ov))
#define ws_nt_ioctl(os, f, ev, apc, actx, iosb, code, in, inl, out, outl) \
  WS__CALL(nt_ioctl, os, (f, ev, apc, actx, iosb, code, in, inl, out, outl))
#define ws_shutdown(s, how) WS__CALL(shutdown, shutdown, (s, how))
#define ws_wsarecv(s, bufs, n, bytes, fl, ov) WS__CALL(wsarecv, WSARecv, (s, bufs, n, bytes, fl, ov, NULL))
#define ws_wsarecvfrom(s, bufs, n, bytes, fl, from, flen, ov) \
  WS__CALL(wsarecvfrom, WSARecvFrom, (s, bufs, n, bytes, fl, from, flen, ov, NULL))
/* os: the loaded extension function (loop->ext.AcceptEx). */
#define ws_accept_ex(os, l, a, buf, rlen, llen, rmlen, bytes, ov) \
  WS__CALL(accept_ex, os, (l, a, buf, rlen, llen, rmlen, bytes, ov))

#endif
