/* Helpers for the RIO conformance and backend tests (rioconf.h). */
#include "rioconf.h"

#include <mswsock.h>

RIO_EXTENSION_FUNCTION_TABLE rc_rio;
static int rc__emulated;
/* The emulator's socket-call table while it is under test, else NULL (the OS). */
static const ws_api_t *rc__ws;

SOCKET rc_socket(int af, int type, int proto, DWORD flags) {
  if (rc__ws != NULL) return rc__ws->socket(af, type, proto, NULL, 0, flags);
  return WSASocketW(af, type, proto, NULL, 0, flags);
}

int rc_closed_status(LONG st) {
  return st == WSA_OPERATION_ABORTED || st == WSAENOTSOCK || st == ERROR_NETNAME_DELETED ||
         st == WSAECONNRESET;
}

int rc_close(SOCKET s) { return rc__ws != NULL ? rc__ws->close(s) : closesocket(s); }

static void rc__wsa(void) {
  WSADATA wsa;
  if (WSAStartup(MAKEWORD(2, 2), &wsa) != 0) {
    fprintf(stderr, "WSAStartup failed: %d\n", WSAGetLastError());
    exit(1);
  }
}

/* The OS's table, through WSAIoctl on a scratch socket; 0 or the WSA error. */
static int rc__os_table(RIO_EXTENSION_FUNCTION_TABLE *t) {
  GUID guid = WSAID_MULTIPLE_RIO;
  DWORD bytes = 0;
  int err = 0;
  SOCKET s = WSASocketW(AF_INET, SOCK_DGRAM, IPPROTO_UDP, NULL, 0,
                        WSA_FLAG_OVERLAPPED | WSA_FLAG_REGISTERED_IO);
  if (s == INVALID_SOCKET) return WSAGetLastError();
  memset(t, 0, sizeof *t);
  t->cbSize = sizeof *t;
  if (WSAIoctl(s, SIO_GET_MULTIPLE_EXTENSION_FUNCTION_POINTER, &guid, sizeof guid, t, sizeof *t,
               &bytes, NULL, NULL) != 0)
    err = WSAGetLastError();
  closesocket(s);
  if (err != 0) memset(t, 0, sizeof *t);
  return err;
}

static int rc__use_emulator(int os_err) {
#ifdef RIOX_WITH_RIO_EMU
  (void)os_err;
  memcpy(&rc_rio, rio_emu_table(), sizeof rc_rio);
  rc__ws = (const ws_api_t *)rio_emu_sockapi();
  rc__emulated = 1;
  h_backend = "rio-emulated";
  return 0;
#else
  char why[160];
  snprintf(why, sizeof why,
           "the OS has no RIO (WSAIoctl answered WSA error %d) and the emulator is not linked "
           "(RIOX_RIO_EMU=OFF)",
           os_err);
  h_skip(why);
  return -1;
#endif
}

void rc_init(void) {
  int err;
  rc__wsa();
  err = rc__os_table(&rc_rio);
  if (err == 0) {
    rc__emulated = 0;
    h_backend = "rio";
    printf("rioconf: testing the OS's RIO function table\n");
    return;
  }
  if (rc__use_emulator(err) == 0)
    printf("rioconf: the OS has no RIO (WSA error %d): testing the emulator's table\n", err);
}

void rc_init_emulator(void) {
  rc__wsa();
#ifdef RIOX_WITH_RIO_EMU
  (void)rc__use_emulator(0);
#else
  h_skip("this test checks the RIO emulator's own features and the emulator is not linked "
         "(RIOX_RIO_EMU=OFF)");
#endif
}

int rc_emulated(void) { return rc__emulated; }

int rc_buf_make(rc_buf *b, DWORD size) {
  memset(b, 0, sizeof *b);
  b->base = (char *)VirtualAlloc(NULL, size, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
  if (b->base == NULL) {
    fprintf(stderr, "VirtualAlloc(%lu) failed: %lu\n", (unsigned long)size, GetLastError());
    return -1;
  }
  b->size = size;
  b->id = rc_rio.RIORegisterBuffer(b->base, size);
  if (b->id == RIO_INVALID_BUFFERID) {
    fprintf(stderr, "RIORegisterBuffer(%lu) failed: WSA error %d\n", (unsigned long)size,
            WSAGetLastError());
    VirtualFree(b->base, 0, MEM_RELEASE);
    b->base = NULL;
    return -1;
  }
  return 0;
}

void rc_buf_free(rc_buf *b) {
  if (b->id != RIO_INVALID_BUFFERID && b->base != NULL) rc_rio.RIODeregisterBuffer(b->id);
  if (b->base != NULL) VirtualFree(b->base, 0, MEM_RELEASE);
  memset(b, 0, sizeof *b);
}

RIO_BUF rc_slice(const rc_buf *b, ULONG offset, ULONG length) {
  RIO_BUF r;
  r.BufferId = b->id;
  r.Offset = offset;
  r.Length = length;
  return r;
}

static void rc__loopback(SOCKADDR_IN *a) {
  memset(a, 0, sizeof *a);
  a->sin_family = AF_INET;
  a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
}

SOCKET rc_udp(SOCKADDR_IN *addr) {
  SOCKADDR_IN a;
  int len = sizeof a;
  SOCKET s = rc_socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP, WSA_FLAG_OVERLAPPED | WSA_FLAG_REGISTERED_IO);
  if (s == INVALID_SOCKET) {
    fprintf(stderr, "WSASocket(UDP, REGISTERED_IO) failed: %d\n", WSAGetLastError());
    return INVALID_SOCKET;
  }
  rc__loopback(&a);
  if (bind(s, (SOCKADDR *)&a, sizeof a) != 0 || getsockname(s, (SOCKADDR *)&a, &len) != 0) {
    fprintf(stderr, "bind/getsockname(UDP) failed: %d\n", WSAGetLastError());
    rc_close(s);
    return INVALID_SOCKET;
  }
  if (addr != NULL) *addr = a;
  return s;
}

/* Both ends and the listener carry WSA_FLAG_REGISTERED_IO. The server end
 * comes from AcceptEx into an accept socket created with the flag: a socket
 * from plain accept() does not inherit it (RIO-SEMANTICS.md), so no request
 * queue could be made on it. */
int rc_tcp_pair(SOCKET *client, SOCKET *server) {
  GUID g_accept = WSAID_ACCEPTEX;
  LPFN_ACCEPTEX accept_ex = NULL;
  const DWORD flags = WSA_FLAG_OVERLAPPED | WSA_FLAG_REGISTERED_IO;
  char addrs[2 * (sizeof(SOCKADDR_STORAGE) + 16)];
  OVERLAPPED ov;
  SOCKADDR_IN a;
  DWORD bytes = 0, got = 0;
  int len = sizeof a;
  const char *step = "listener";
  SOCKET l = rc_socket(AF_INET, SOCK_STREAM, IPPROTO_TCP, flags);
  *client = *server = INVALID_SOCKET;
  memset(&ov, 0, sizeof ov);
  if (l == INVALID_SOCKET) goto fail;
  rc__loopback(&a);
  if (bind(l, (SOCKADDR *)&a, sizeof a) != 0 || getsockname(l, (SOCKADDR *)&a, &len) != 0 ||
      listen(l, 4) != 0)
    goto fail;
  step = "AcceptEx lookup";
  if (WSAIoctl(l, SIO_GET_EXTENSION_FUNCTION_POINTER, &g_accept, sizeof g_accept, &accept_ex,
               sizeof accept_ex, &bytes, NULL, NULL) != 0)
    goto fail;
  step = "sockets";
  *server = rc_socket(AF_INET, SOCK_STREAM, IPPROTO_TCP, flags);
  *client = rc_socket(AF_INET, SOCK_STREAM, IPPROTO_TCP, flags);
  ov.hEvent = CreateEventW(NULL, TRUE, FALSE, NULL);
  if (*server == INVALID_SOCKET || *client == INVALID_SOCKET || ov.hEvent == NULL) goto fail;
  step = "AcceptEx";
  if (!accept_ex(l, *server, addrs, 0, sizeof(SOCKADDR_STORAGE) + 16, sizeof(SOCKADDR_STORAGE) + 16,
                 &bytes, &ov) &&
      WSAGetLastError() != ERROR_IO_PENDING)
    goto fail;
  step = "connect";
  if (connect(*client, (SOCKADDR *)&a, sizeof a) != 0) goto fail;
  step = "accept completion";
  if (WaitForSingleObject(ov.hEvent, 10000) != WAIT_OBJECT_0 ||
      !GetOverlappedResult((HANDLE)l, &ov, &got, FALSE))
    goto fail;
  step = "SO_UPDATE_ACCEPT_CONTEXT";
  if (setsockopt(*server, SOL_SOCKET, SO_UPDATE_ACCEPT_CONTEXT, (const char *)&l, sizeof l) != 0)
    goto fail;
  CloseHandle(ov.hEvent);
  rc_close(l);
  return 0;
fail:
  fprintf(stderr, "TCP pair setup failed at %s: WSA error %d\n", step, WSAGetLastError());
  if (l != INVALID_SOCKET) rc_close(l); /* ends a pending AcceptEx before ov goes */
  if (ov.hEvent != NULL) CloseHandle(ov.hEvent);
  if (*client != INVALID_SOCKET) rc_close(*client);
  if (*server != INVALID_SOCKET) rc_close(*server);
  *client = *server = INVALID_SOCKET;
  return -1;
}

int rc_sendto(SOCKET s, const char *data, int len, const SOCKADDR_IN *to) {
  return sendto(s, data, len, 0, (const SOCKADDR *)to, sizeof *to);
}

int rc_recvfrom(SOCKET s, char *buf, int cap, int timeout_ms) {
  WSAPOLLFD p;
  p.fd = s;
  p.events = POLLRDNORM;
  p.revents = 0;
  if (WSAPoll(&p, 1, timeout_ms) != 1) return -1;
  return recvfrom(s, buf, cap, 0, NULL, NULL);
}

RIO_CQ rc_cq_poll(DWORD size) { return rc_rio.RIOCreateCompletionQueue(size, NULL); }

RIO_CQ rc_cq_event(DWORD size, HANDLE *event) {
  RIO_NOTIFICATION_COMPLETION nc;
  RIO_CQ cq;
  memset(&nc, 0, sizeof nc);
  *event = CreateEventW(NULL, FALSE, FALSE, NULL);
  nc.Type = RIO_EVENT_COMPLETION;
  nc.Event.EventHandle = *event;
  nc.Event.NotifyReset = FALSE;
  cq = rc_rio.RIOCreateCompletionQueue(size, &nc);
  if (cq == RIO_INVALID_CQ) {
    CloseHandle(*event);
    *event = NULL;
  }
  return cq;
}

RIO_RQ rc_rq(SOCKET s, ULONG max_recv, ULONG max_send, RIO_CQ cq, void *ctx) {
  return rc_rio.RIOCreateRequestQueue(s, max_recv, 1, max_send, 1, cq, cq, ctx);
}

int rc_dequeue_wait(RIO_CQ cq, RIORESULT *out, int want, int timeout_ms) {
  uint64_t until = h_now_ms() + (uint64_t)timeout_ms;
  int got = 0;
  for (;;) {
    ULONG n = rc_rio.RIODequeueCompletion(cq, out + got, (ULONG)(want - got));
    if (n == RIO_CORRUPT_CQ) return -1;
    got += (int)n;
    if (got >= want || h_now_ms() >= until) return got;
    Sleep(1);
  }
}

int rc_dequeue_for(RIO_CQ cq, RIORESULT *out, int max, int ms) {
  RIORESULT scratch[16];
  uint64_t until = h_now_ms() + (uint64_t)ms;
  int got = 0;
  while (h_now_ms() < until) {
    RIORESULT *dst = out != NULL ? out + got : scratch;
    ULONG room = out != NULL ? (ULONG)(max - got) : 16;
    ULONG n;
    if (room == 0) break;
    n = rc_rio.RIODequeueCompletion(cq, dst, room);
    if (n == RIO_CORRUPT_CQ) return -1;
    got += (int)n;
    Sleep(1);
  }
  return got;
}

/* ---- backend tests ------------------------------------------------------- */

int rt_is_rio(void) { return strcmp(h_backend, "iocp") != 0; }

int rt_is_emulated(void) { return strcmp(h_backend, "rio-emulated") == 0; }

int rt_count(const h_log *log, uint32_t type, riox_sock *sock) {
  int i, n = 0;
  for (i = 0; i < log->n; i++)
    if ((type == 0 || log->ev[i].type == type) && (sock == NULL || log->ev[i].sock == sock)) n++;
  return n;
}

int rt_udp(riox_loop *loop, riox_sock **s, riox_addr *addr) {
  riox_addr lo = h_v4(0);
  H_OK(riox_udp_open(loop, &lo, NULL, 0, NULL, s));
  H_OK(riox_sock_local(*s, addr));
  return 0;
}

int rt_ping(riox_loop *loop, riox_sock *from, const riox_addr *to, riox_sock *at, uint32_t seed) {
  char *rbuf, *sbuf;
  riox_event ev;
  H_OK(riox_buf_get(loop, &rbuf));
  H_OK(riox_buf_get(loop, &sbuf));
  H_OK(riox_recv(at, rbuf, riox_loop_buf_size(loop), (void *)(uintptr_t)seed));
  h_fill(sbuf, 64, seed);
  H_OK(riox_sendto(from, sbuf, 64, to, 0, (void *)(uintptr_t)seed));
  H_EQ(h_wait_for(loop, RIOX_EV_RECV, at, &ev, NULL, 5000), 0);
  H_EQ(ev.status, 0);
  H_EQ(ev.len, 64);
  H_CHECK(ev.ctx == (void *)(uintptr_t)seed);
  H_EQ(h_verify(ev.data, 64, seed), 0);
  H_EQ(h_wait_for(loop, RIOX_EV_SEND, from, &ev, NULL, 5000), 0);
  H_EQ(ev.status, 0);
  H_OK(riox_buf_put(loop, rbuf));
  H_OK(riox_buf_put(loop, sbuf));
  return 0;
}

int rt_close(riox_loop *loop, riox_sock *s) {
  riox_event ev;
  H_OK(riox_close(s));
  H_EQ(h_wait_for(loop, RIOX_EV_CLOSE, s, &ev, NULL, 5000), 0);
  return 0;
}

unsigned rt_misuse(void) {
#ifdef RIOX_WITH_RIO_EMU
  return rio_emu_misuse_count();
#else
  return 0;
#endif
}

unsigned long rt_outstanding(void) {
#ifdef RIOX_WITH_RIO_EMU
  return rio_emu_outstanding();
#else
  return 0;
#endif
}

int rt_finish(riox_loop *loop, riox_sock *const *socks, int n, unsigned misuse) {
  riox_stats st;
  int i;
  riox_loop_stats(loop, &st);
  H_EQ(st.req_in_use, 0); /* every post had its one event */
  for (i = 0; i < n; i++)
    if (rt_close(loop, socks[i]) != 0) return 1;
  riox_loop_close(loop);
  H_EQ(rt_outstanding(), 0);
  H_EQ(rt_misuse(), misuse);
  return 0;
}

void rt_skip_without_emulator(void) {
  h_skip("this program injects faults into the RIO emulator, which this build does not link "
         "(configure with -DRIOX_RIO_EMU=ON)");
}
