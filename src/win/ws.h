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
#include "../core/fault.h"

typedef LONG(NTAPI *ws_nt_ioctl_fn)(HANDLE file, HANDLE event, PVOID apc, PVOID apc_ctx, PVOID iosb,
                                    ULONG code, PVOID in, ULONG in_len, PVOID out, ULONG out_len);
/* NtCancelIoFileEx(file, iosb, cancel_iosb). */
typedef LONG(NTAPI *ws_nt_cancel_fn)(HANDLE file, PVOID iosb, PVOID cancel_iosb);
/* NtCreateFile, with the object attributes and IO_STATUS_BLOCK as PVOID so
 * this header needs no winternl.h. */
typedef LONG(NTAPI *ws_nt_create_fn)(PHANDLE file, ACCESS_MASK access, PVOID attrs, PVOID iosb,
                                     PLARGE_INTEGER alloc, ULONG attributes, ULONG share,
                                     ULONG disposition, ULONG options, PVOID ea, ULONG ea_len);

#ifndef WSA_FLAG_NO_HANDLE_INHERIT
#define WSA_FLAG_NO_HANDLE_INHERIT 0x80 /* WSASocketW, Windows 7 SP1 and later */
#endif
#ifndef FILE_SKIP_SET_EVENT_ON_HANDLE
#define FILE_SKIP_SET_EVENT_ON_HANDLE 0x2 /* SetFileCompletionNotificationModes */
#endif

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
  /* The overlapped transfers of the IOCP backend (src/iocp). */
  int(WINAPI *wsa_recv)(SOCKET s, LPWSABUF bufs, DWORD nbufs, LPDWORD bytes, LPDWORD flags,
                        LPWSAOVERLAPPED ov, LPWSAOVERLAPPED_COMPLETION_ROUTINE done);
  int(WINAPI *wsa_recvfrom)(SOCKET s, LPWSABUF bufs, DWORD nbufs, LPDWORD bytes, LPDWORD flags,
                            struct sockaddr *from, LPINT from_len, LPWSAOVERLAPPED ov,
                            LPWSAOVERLAPPED_COMPLETION_ROUTINE done);
  int(WINAPI *wsa_send)(SOCKET s, LPWSABUF bufs, DWORD nbufs, LPDWORD bytes, DWORD flags,
                        LPWSAOVERLAPPED ov, LPWSAOVERLAPPED_COMPLETION_ROUTINE done);
  int(WINAPI *wsa_sendto)(SOCKET s, LPWSABUF bufs, DWORD nbufs, LPDWORD bytes, DWORD flags,
                          const struct sockaddr *to, int to_len, LPWSAOVERLAPPED ov,
                          LPWSAOVERLAPPED_COMPLETION_ROUTINE done);
  /* NtDeviceIoControlFile: how AFD polls are submitted (afd.c). */
  ws_nt_ioctl_fn nt_ioctl;
  /* What a layered provider answers (tests play one: Wine has none). */
  int(WINAPI *getsockopt)(SOCKET s, int level, int name, char *val, int *len);
  int(WINAPI *wsaioctl)(SOCKET s, DWORD code, LPVOID in, DWORD in_len, LPVOID out, DWORD out_len,
                        LPDWORD bytes, LPWSAOVERLAPPED ov, LPWSAOVERLAPPED_COMPLETION_ROUTINE done);
  BOOL(WINAPI *get_ov_result)(SOCKET s, LPWSAOVERLAPPED ov, LPDWORD bytes, BOOL wait, LPDWORD flags);
  /* NtCancelIoFileEx (cancelling an AFD poll) and NtCreateFile (opening
   * \Device\Afd for polls): afd.c. */
  ws_nt_cancel_fn nt_cancel;
  ws_nt_create_fn nt_create;
  /* TCP half-close (riox_shutdown, and riox_close before closesocket). */
  int(WINAPI *shutdown)(SOCKET s, int how);
  /* AcceptEx, found at run time (win_ext_t.AcceptEx): a listener's posts. */
  BOOL(WINAPI *accept_ex)(SOCKET listener, SOCKET accept_sock, PVOID buf, DWORD recv_len,
                          DWORD local_len, DWORD remote_len, LPDWORD bytes, LPOVERLAPPED ov);
  /* Socket options riox sets on its sockets (PKTINFO, URO; the probe's
   * USO/URO check), and the control-data transfers of the IOCP backend
   * (WSARecvMsg/WSASendMsg, found at run time: win_ext_t). */
  int(WINAPI *setsockopt)(SOCKET s, int level, int name, const char *val, int len);
  int(WINAPI *wsa_recvmsg)(SOCKET s, LPWSAMSG msg, LPDWORD bytes, LPWSAOVERLAPPED ov,
                           LPWSAOVERLAPPED_COMPLETION_ROUTINE done);
  int(WINAPI *wsa_sendmsg)(SOCKET s, LPWSAMSG msg, DWORD flags, LPDWORD bytes, LPWSAOVERLAPPED ov,
                           LPWSAOVERLAPPED_COMPLETION_ROUTINE done);
} ws_api_t;

#ifdef RIOX_TEST_HOOKS
extern const ws_api_t *ws_hook; /* NULL: the OS */
#define WS__CALL(fn, os, args) (ws_hook != NULL && ws_hook->fn != NULL ? ws_hook->fn args : os args)
/* Fault sites (src/core/fault.h): each use of a macro below is one; a
 * fault a test armed there makes the call fail as Windows would --
 * `fail` returned, the WSA error set (ws_fault, ws.c: WSAENOBUFS,
 * WSAEWOULDBLOCK, WSAEMFILE, WSAECONNRESET, WSAEINTR) -- without calling. */
int ws_fault(unsigned fault);
#define WS__FAULT(name, faults, fail, expr) (ws_fault(FAULT_HIT(name, faults)) ? (fail) : (expr))
#else
#define WS__CALL(fn, os, args) (os args)
#define WS__FAULT(name, faults, fail, expr) (expr)
#endif
#define WS__FCALL(fn, os, args, name, faults, fail) WS__FAULT(name, faults, fail, WS__CALL(fn, os, args))

/* The faults real for each kind of call. */
#define WS_F_NOMEM RIOX_TEST_FAULT_NOMEM
#define WS_F_SOCKET (RIOX_TEST_FAULT_NOMEM | RIOX_TEST_FAULT_MFILE)
#define WS_F_ACCEPT \
  (RIOX_TEST_FAULT_NOMEM | RIOX_TEST_FAULT_AGAIN | RIOX_TEST_FAULT_MFILE | RIOX_TEST_FAULT_CONNRESET)
#define WS_F_XFER (RIOX_TEST_FAULT_NOMEM | RIOX_TEST_FAULT_AGAIN | RIOX_TEST_FAULT_CONNRESET)
#define WS_F_POST (RIOX_TEST_FAULT_NOMEM | RIOX_TEST_FAULT_CONNRESET)
#define WS_F_ACCEPT_EX (RIOX_TEST_FAULT_NOMEM | RIOX_TEST_FAULT_MFILE | RIOX_TEST_FAULT_CONNRESET)
#define WS_F_CONNECT (RIOX_TEST_FAULT_NOMEM | RIOX_TEST_FAULT_AGAIN)
/* STATUS_INSUFFICIENT_RESOURCES: an NT call's answer to a fault. */
#define WS_NT_FAIL ((LONG)0xC000009AL)

#define ws_socket(af, type, proto, flags) \
  WS__FCALL(socket, WSASocketW, (af, type, proto, NULL, 0, flags), "WSASocketW", WS_F_SOCKET, INVALID_SOCKET)
#define ws_close(s) WS__CALL(close, closesocket, (s))
#define ws_ioctl(s, cmd, arg) WS__FCALL(ioctl, ioctlsocket, (s, cmd, arg), "ioctlsocket", WS_F_NOMEM, SOCKET_ERROR)
#define ws_accept(s, addr, len) WS__FCALL(accept, accept, (s, addr, len), "accept", WS_F_ACCEPT, INVALID_SOCKET)
#define ws_recv(s, buf, len, fl) WS__FCALL(recv, recv, (s, buf, len, fl), "recv", WS_F_XFER, SOCKET_ERROR)
#define ws_recvfrom(s, buf, len, fl, from, flen) \
  WS__FCALL(recvfrom, recvfrom, (s, buf, len, fl, from, flen), "recvfrom", WS_F_XFER, SOCKET_ERROR)
#define ws_send(s, buf, len, fl) WS__FCALL(send, send, (s, buf, len, fl), "send", WS_F_XFER, SOCKET_ERROR)
#define ws_sendto(s, buf, len, fl, to, tlen) \
  WS__FCALL(sendto, sendto, (s, buf, len, fl, to, tlen), "sendto", WS_F_XFER, SOCKET_ERROR)
#define ws_cancel_io(h, ov) WS__CALL(cancel_io, CancelIoEx, (h, ov))
#define ws_wsa_recv(s, b, n, by, fl, ov) \
  WS__FCALL(wsa_recv, WSARecv, (s, b, n, by, fl, ov, NULL), "WSARecv", WS_F_POST, SOCKET_ERROR)
#define ws_wsa_recvfrom(s, b, n, by, fl, from, flen, ov)                                       \
  WS__FCALL(wsa_recvfrom, WSARecvFrom, (s, b, n, by, fl, from, flen, ov, NULL), "WSARecvFrom", \
            WS_F_POST, SOCKET_ERROR)
#define ws_wsa_send(s, b, n, by, fl, ov) \
  WS__FCALL(wsa_send, WSASend, (s, b, n, by, fl, ov, NULL), "WSASend", WS_F_POST, SOCKET_ERROR)
#define ws_wsa_sendto(s, b, n, by, fl, to, tlen, ov)                                              \
  WS__FCALL(wsa_sendto, WSASendTo, (s, b, n, by, fl, to, tlen, ov, NULL), "WSASendTo", WS_F_POST, \
            SOCKET_ERROR)
#define ws_nt_ioctl(os, f, ev, apc, actx, iosb, code, in, inl, out, outl)                           \
  WS__FCALL(nt_ioctl, os, (f, ev, apc, actx, iosb, code, in, inl, out, outl), "NtDeviceIoControlFile", \
            WS_F_NOMEM, WS_NT_FAIL)
#define ws_getsockopt(s, lvl, name, val, len) \
  WS__FCALL(getsockopt, getsockopt, (s, lvl, name, val, len), "getsockopt", WS_F_NOMEM, SOCKET_ERROR)
#define ws_wsaioctl(s, code, in, inl, out, outl, bytes)                                           \
  WS__FCALL(wsaioctl, WSAIoctl, (s, code, in, inl, out, outl, bytes, NULL, NULL), "WSAIoctl", WS_F_NOMEM, \
            SOCKET_ERROR)
#define ws_get_ov_result(s, ov, bytes, flags) \
  WS__CALL(get_ov_result, WSAGetOverlappedResult, (s, ov, bytes, FALSE, flags))
#define ws_nt_cancel(os, f, iosb, ciosb) WS__CALL(nt_cancel, os, (f, iosb, ciosb))
#define ws_nt_create(os, f, acc, attrs, iosb, alloc, attr, share, disp, opt, ea, eal)                 \
  WS__FCALL(nt_create, os, (f, acc, attrs, iosb, alloc, attr, share, disp, opt, ea, eal), "NtCreateFile", \
            WS_F_NOMEM, WS_NT_FAIL)

#define ws_shutdown(s, how) WS__FCALL(shutdown, shutdown, (s, how), "shutdown", WS_F_NOMEM, SOCKET_ERROR)
/* os: the loaded extension function (loop->ext.AcceptEx). */
#define ws_accept_ex(os, l, a, buf, rlen, llen, rmlen, bytes, ov)                                  \
  WS__FCALL(accept_ex, os, (l, a, buf, rlen, llen, rmlen, bytes, ov), "AcceptEx", WS_F_ACCEPT_EX, \
            FALSE)

#define ws_setsockopt(s, lvl, name, val, len) \
  WS__FCALL(setsockopt, setsockopt, (s, lvl, name, val, len), "setsockopt", WS_F_NOMEM, SOCKET_ERROR)
/* os: the loaded extension function (loop->ext.WSARecvMsg / WSASendMsg). */
#define ws_wsa_recvmsg(os, s, msg, bytes, ov) \
  WS__FCALL(wsa_recvmsg, os, (s, msg, bytes, ov, NULL), "WSARecvMsg", WS_F_POST, SOCKET_ERROR)
#define ws_wsa_sendmsg(os, s, msg, fl, bytes, ov) \
  WS__FCALL(wsa_sendmsg, os, (s, msg, fl, bytes, ov, NULL), "WSASendMsg", WS_F_POST, SOCKET_ERROR)

/* Calls with no entry in the table, fault sites only: bind, listen, the
 * connects (the core's, readiness connect(), ConnectEx: os the loaded
 * extension function), getsockname. */
#define ws_bind(s, sa, len) WS__FAULT("bind", WS_F_NOMEM, SOCKET_ERROR, bind(s, sa, len))
#define ws_listen(s, n) WS__FAULT("listen", WS_F_NOMEM, SOCKET_ERROR, listen(s, n))
#define ws_connect(s, sa, len) WS__FAULT("connect", WS_F_CONNECT, SOCKET_ERROR, connect(s, sa, len))
#define ws_connect_ex(os, s, sa, len, ov) \
  WS__FAULT("ConnectEx", WS_F_CONNECT, FALSE, os(s, sa, len, NULL, 0, NULL, ov))
#define ws_getsockname(s, sa, len) WS__FAULT("getsockname", WS_F_NOMEM, SOCKET_ERROR, getsockname(s, sa, len))

/* ws.c. A socket no child process inherits: WSASocketW with `flags` plus
 * WSA_FLAG_NO_HANDLE_INHERIT, so a child cannot keep a port open or a
 * connection alive (the WSASocketW page: sockets are inheritable by
 * default). Windows before 7 SP1 refuses the flag with WSAEINVAL: then the
 * socket is made without it and its handle's inherit flag is cleared
 * (SetHandleInformation), which leaves a short window in which a
 * CreateProcess on another thread may still inherit it. */
SOCKET ws_open(int af, int type, int protocol, DWORD flags);
/* Clear the inherit flag of a socket riox did not create itself: accept()
 * (Wine makes its handle inheritable whatever the listener was; Windows
 * documents nothing either way). */
void ws_no_inherit(SOCKET s);

#endif
