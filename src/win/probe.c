/* Capability probe: which extension functions the Winsock provider offers.
 * Everything is found through WSAIoctl on a scratch socket, never by linking,
 * so one binary runs on every Windows version (and under Wine, which lacks
 * RIO and answers WSAEOPNOTSUPP). */
#include <stdio.h>
#include <string.h>

#include "win.h"
#include "riox_test.h"

/* The emulator's table, a test seam: a shipped library (no RIOX_TEST_HOOKS)
 * has no way to stand anything in for the OS's RIO. */
#ifdef RIOX_TEST_HOOKS
static const RIO_EXTENSION_FUNCTION_TABLE *probe__injected_rio;

void riox_test_set_rio_table(const void *table) {
  probe__injected_rio = (const RIO_EXTENSION_FUNCTION_TABLE *)table;
}
#endif

int win_wsa_start(void) {
  WSADATA wsa;
  int rc = WSAStartup(MAKEWORD(2, 2), &wsa);
  if (rc != 0) return error_detail(error_from_win32((uint32_t)rc), "WSAStartup failed: %d", rc);
  return 0;
}

static int probe__fn(SOCKET s, GUID guid, void *fn, size_t size) {
  DWORD bytes = 0;
  if (WSAIoctl(s, SIO_GET_EXTENSION_FUNCTION_POINTER, &guid, sizeof guid, fn, (DWORD)size,
               &bytes, NULL, NULL) != 0)
    return WSAGetLastError();
  return 0;
}

static int probe__rio(SOCKET s, RIO_EXTENSION_FUNCTION_TABLE *rio) {
  GUID guid = WSAID_MULTIPLE_RIO;
  DWORD bytes = 0;
  memset(rio, 0, sizeof *rio);
  rio->cbSize = sizeof *rio;
  if (WSAIoctl(s, SIO_GET_MULTIPLE_EXTENSION_FUNCTION_POINTER, &guid, sizeof guid, rio,
               sizeof *rio, &bytes, NULL, NULL) != 0) {
    int err = WSAGetLastError();
    memset(rio, 0, sizeof *rio);
    return err ? err : WSAEOPNOTSUPP;
  }
  return 0;
}

/* The table alone does not prove RIO works: some machines (anti-virus, per
 * wireguard-go) hand it out and then refuse every request queue, which is
 * why wireguard-go tries one before it trusts RIO. Build the smallest
 * working set of the kind the loop uses -- a UDP socket with
 * WSA_FLAG_REGISTERED_IO, a CQ that notifies a completion port (wireguard-go
 * moved its probe from a polled CQ to this one: the polled kind working did
 * not prove the other does) and an RQ on it -- and take it down again
 * (closesocket frees the RQ). 0, or the WSA error of the step that failed
 * (*step names it). */
static int probe__rio_works(const RIO_EXTENSION_FUNCTION_TABLE *rio, const char **step) {
  RIO_NOTIFICATION_COMPLETION nc;
  OVERLAPPED ov;
  RIO_CQ cq = RIO_INVALID_CQ;
  HANDLE port;
  SOCKET s = INVALID_SOCKET;
  int failed, err = 0;
  memset(&nc, 0, sizeof nc);
  memset(&ov, 0, sizeof ov);
  *step = "CreateIoCompletionPort";
  port = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 1);
  failed = port == NULL;
  if (!failed) {
    *step = "WSASocket(WSA_FLAG_REGISTERED_IO)";
    s = ws_open(AF_INET, SOCK_DGRAM, IPPROTO_UDP, WSA_FLAG_OVERLAPPED | WSA_FLAG_REGISTERED_IO);
    failed = s == INVALID_SOCKET;
  }
  if (!failed) {
    *step = "RIOCreateCompletionQueue";
    nc.Type = RIO_IOCP_COMPLETION;
    nc.Iocp.IocpHandle = port;
    nc.Iocp.CompletionKey = NULL;
    nc.Iocp.Overlapped = &ov;
    cq = rio->RIOCreateCompletionQueue(2, &nc);
    failed = cq == RIO_INVALID_CQ;
  }
  if (!failed) {
    *step = "RIOCreateRequestQueue";
    failed = rio->RIOCreateRequestQueue(s, 1, 1, 1, 1, cq, cq, NULL) == RIO_INVALID_RQ;
  }
  if (failed) err = WSAGetLastError() != 0 ? WSAGetLastError() : (int)GetLastError();
  if (failed && err == 0) err = WSAEINVAL;
  if (s != INVALID_SOCKET) ws_close(s);
  if (cq != RIO_INVALID_CQ) rio->RIOCloseCompletionQueue(cq);
  if (port != NULL) CloseHandle(port);
  return err;
}

/* USO and URO: whether a UDP socket takes the options at all. Reading them
 * is enough (msquic's probe does the same): Windows before 10 2004 and Wine
 * refuse both with WSAENOPROTOOPT/WSAEINVAL, while a Windows that has them
 * answers for every UDP socket, with or without offload-capable hardware
 * (docs/design.md, "Segmentation offload and local addresses on Windows":
 * what the NIC does is not visible here). */
static void probe__udp_offload(win_ext_t *ext) {
  SOCKET s = ws_open(AF_INET, SOCK_DGRAM, IPPROTO_UDP, WSA_FLAG_OVERLAPPED);
  DWORD v = 0;
  int len = sizeof v;
  if (s == INVALID_SOCKET) return;
  ext->uso = ws_getsockopt(s, IPPROTO_UDP, UDP_SEND_MSG_SIZE, (char *)&v, &len) == 0;
  v = 0;
  len = sizeof v;
  ext->uro = ws_getsockopt(s, IPPROTO_UDP, UDP_RECV_MAX_COALESCED_SIZE, (char *)&v, &len) == 0;
  ws_close(s);
}

int win_ext_load(win_ext_t *ext) {
  GUID g_accept = WSAID_ACCEPTEX, g_connect = WSAID_CONNECTEX;
  GUID g_sockaddrs = WSAID_GETACCEPTEXSOCKADDRS, g_disconnect = WSAID_DISCONNECTEX;
  GUID g_recvmsg = WSAID_WSARECVMSG, g_sendmsg = WSAID_WSASENDMSG;
  SOCKET s;
  memset(ext, 0, sizeof *ext);
  s = ws_open(AF_INET, SOCK_STREAM, IPPROTO_TCP, WSA_FLAG_OVERLAPPED);
  if (s == INVALID_SOCKET) {
    int err = WSAGetLastError();
    return error_detail(error_from_win32((uint32_t)err), "probe socket failed: WSA error %d", err);
  }
  /* A missing function leaves its pointer NULL; callers check. */
  (void)probe__fn(s, g_accept, &ext->AcceptEx, sizeof ext->AcceptEx);
  (void)probe__fn(s, g_connect, &ext->ConnectEx, sizeof ext->ConnectEx);
  (void)probe__fn(s, g_sockaddrs, &ext->GetAcceptExSockaddrs, sizeof ext->GetAcceptExSockaddrs);
  (void)probe__fn(s, g_disconnect, &ext->DisconnectEx, sizeof ext->DisconnectEx);
  (void)probe__fn(s, g_recvmsg, &ext->WSARecvMsg, sizeof ext->WSARecvMsg);
  (void)probe__fn(s, g_sendmsg, &ext->WSASendMsg, sizeof ext->WSASendMsg);
  ext->rio_error = probe__rio(s, &ext->rio);
  ws_close(s);
  probe__udp_offload(ext);
#ifdef RIOX_TEST_HOOKS
  /* The test emulator stands in only where the OS has no RIO of its own. */
  if (ext->rio.cbSize == 0 && probe__injected_rio != NULL) {
    ext->rio = *probe__injected_rio;
    ext->rio_emulated = 1;
  }
#endif
  if (ext->rio.cbSize == 0) {
    snprintf(ext->rio_why, sizeof ext->rio_why,
             "RIO function table not available (WSAIoctl answered WSA error %d)", ext->rio_error);
  } else {
    const char *step = NULL;
    int err = probe__rio_works(&ext->rio, &step);
    if (err == 0) {
      ext->rio_usable = 1;
    } else {
      ext->rio_error = err;
      snprintf(ext->rio_why, sizeof ext->rio_why,
               "RIO function table loaded but %s failed: WSA error %d (security software or a "
               "layered provider may block RIO)",
               step, err);
    }
  }
  return 0;
}

static int probe__skip_ok(int type, int proto) {
  WSAPROTOCOL_INFOW info;
  int len = sizeof info;
  SOCKET s = ws_open(AF_INET, type, proto, WSA_FLAG_OVERLAPPED);
  int ok;
  if (s == INVALID_SOCKET) return 0;
  ok = getsockopt(s, SOL_SOCKET, SO_PROTOCOL_INFOW, (char *)&info, &len) == 0 &&
       (info.dwServiceFlags1 & XP1_IFS_HANDLES);
  ws_close(s);
  return ok;
}

int riox_probe(riox_probe_report *out) {
  win_ext_t ext;
  SOCKET s6;
  int rc;
  if (out == NULL) return error_detail(RIOX_EINVAL, "riox_probe: out is NULL");
  memset(out, 0, sizeof *out);
  rc = win_wsa_start();
  if (rc < 0) {
    snprintf(out->detail, sizeof out->detail, "Winsock 2.2 unavailable");
    return rc;
  }
  out->winsock = 1;
  rc = win_ext_load(&ext);
  if (rc < 0) {
    WSACleanup();
    return rc;
  }
  out->rio_table = ext.rio.cbSize != 0;
  out->rio = ext.rio_usable;
  out->rio_emulated = ext.rio_emulated;
  out->rio_error = ext.rio_error;
  out->acceptex = ext.AcceptEx != NULL;
  out->connectex = ext.ConnectEx != NULL;
  out->getacceptexsockaddrs = ext.GetAcceptExSockaddrs != NULL;
  out->disconnectex = ext.DisconnectEx != NULL;
  out->wsarecvmsg = ext.WSARecvMsg != NULL;
  out->wsasendmsg = ext.WSASendMsg != NULL;
  /* What the OS offers (RIOX_UDP_OFFLOAD=0 turns its use off per loop, not
   * this report). Segmented sends go through WSASendMsg (IOCP). */
  out->uso = ext.uso && ext.WSASendMsg != NULL;
  out->uro = ext.uro && ext.WSARecvMsg != NULL;
  out->skip_on_success = probe__skip_ok(SOCK_STREAM, IPPROTO_TCP) && probe__skip_ok(SOCK_DGRAM, IPPROTO_UDP);
  s6 = ws_open(AF_INET6, SOCK_DGRAM, IPPROTO_UDP, WSA_FLAG_OVERLAPPED);
  out->ipv6 = s6 != INVALID_SOCKET;
  if (s6 != INVALID_SOCKET) ws_close(s6);
  snprintf(out->auto_backend, sizeof out->auto_backend, "%s",
           out->rio ? (out->rio_emulated ? "rio-emulated" : "rio") : "iocp");
  if (out->rio && out->rio_emulated)
    snprintf(out->detail, sizeof out->detail,
             "RIO absent from the OS (WSA error %d); using the test emulator", ext.rio_error);
  else if (out->rio)
    snprintf(out->detail, sizeof out->detail, "RIO available (a request queue was created)");
  else
    snprintf(out->detail, sizeof out->detail, "%s", ext.rio_why);
  WSACleanup();
  return 0;
}
