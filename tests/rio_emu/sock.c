/* The socket side of RIO: which sockets were made for it, and what Windows
 * refuses on them (RIO-SEMANTICS.md, "Request queues" and "Sockets used by
 * RIO"). Wine enforces none of this, so the emulator does, through the
 * socket-call table riox routes its calls through in test builds
 * (riox_test_set_sockapi, src/win/ws.h) and that the conformance tests use
 * too (rc_socket, rc_close):
 *
 *  - WSASocketW: the flags are recorded; only a socket created with
 *    WSA_FLAG_REGISTERED_IO may get a request queue, and only one.
 *  - accept(): the new socket is recorded WITHOUT the flag (field reports:
 *    it is not inherited), so no request queue can be made on it. An
 *    AcceptEx accept socket is one the caller created, flag and all.
 *  - closesocket: the request queue is closed at that moment (RIO has no
 *    other close), and a queue still holding RIO_MSG_DEFER requests that
 *    were never committed is reported as misuse, with the count: nothing
 *    documents what Windows does with them.
 *  - ioctlsocket(FIONBIO), plain recv/send/recvfrom/sendto, WSARecvMsg /
 *    WSASendMsg and AFD polls on a flagged socket fail (field reports: such a socket is for RIO only) and
 *    are reported as misuse, so a test that does it cannot pass. */
#include "rio_emu_int.h"

#include "afd.h"
#include "riox_test.h"
#include "ws.h"

#define SOCK__BUCKETS 1024
#define SOCK__AFD_POLL 0x00012024

static rio_emu_sock_t *sock__table[SOCK__BUCKETS];

static size_t sock__bucket(SOCKET s) { return (size_t)((s >> 2) % SOCK__BUCKETS); }

rio_emu_sock_t *rio_emu_sock_find(SOCKET s) {
  rio_emu_sock_t *e;
  for (e = sock__table[sock__bucket(s)]; e != NULL; e = e->next)
    if (e->s == s) return e;
  return NULL;
}

/* Forget s (closed, or its handle value taken by a new socket). Lock held. */
static void sock__forget(SOCKET s) {
  rio_emu_sock_t **p = &sock__table[sock__bucket(s)];
  while (*p != NULL) {
    if ((*p)->s == s) {
      rio_emu_sock_t *dead = *p;
      *p = dead->next;
      free(dead);
      return;
    }
    p = &(*p)->next;
  }
}

/* Record a new socket (its handle value may be a closed one's). Lock held. */
static void sock__add(SOCKET s, DWORD flags) {
  rio_emu_sock_t *e = (rio_emu_sock_t *)calloc(1, sizeof *e);
  size_t b = sock__bucket(s);
  sock__forget(s);
  if (e == NULL) {
    fprintf(stderr, "rio-emu: no memory to record a socket\n");
    abort(); /* test support: a lost record would make the rules lie */
  }
  e->s = s;
  e->flags = flags;
  e->next = sock__table[b];
  sock__table[b] = e;
}

static int sock__flagged(SOCKET s) {
  rio_emu_sock_t *e;
  int flagged;
  rio_emu_init();
  rio_emu_lock();
  e = rio_emu_sock_find(s);
  flagged = e != NULL && (e->flags & WSA_FLAG_REGISTERED_IO) != 0;
  rio_emu_unlock();
  return flagged;
}

static SOCKET WINAPI sock__socket(int af, int type, int proto, LPWSAPROTOCOL_INFOW info, GROUP g,
                                  DWORD flags) {
  SOCKET s = WSASocketW(af, type, proto, info, g, flags);
  if (s == INVALID_SOCKET) return s;
  rio_emu_init();
  rio_emu_lock();
  sock__add(s, flags);
  rio_emu_unlock();
  return s;
}

static int WINAPI sock__close(SOCKET s) {
  rio_emu_sock_t *e;
  rio_emu_init();
  rio_emu_lock();
  e = rio_emu_sock_find(s);
  if (e != NULL && e->rq != NULL) {
    rio_emu_rq_t *rq = e->rq;
    unsigned long r = 0, w = 0;
    list_node_t *node;
    for (node = rq->deferred[RIO_EMU_RECV].next; node != &rq->deferred[RIO_EMU_RECV]; node = node->next)
      r++;
    for (node = rq->deferred[RIO_EMU_SEND].next; node != &rq->deferred[RIO_EMU_SEND]; node = node->next)
      w++;
    if (r + w > 0)
      rio_emu_misuse("closesocket on RQ %lu with %lu request(s) posted with RIO_MSG_DEFER and never "
                     "committed (%lu receive(s), %lu send(s)); nothing documents what Windows does "
                     "with them: commit (RIO_MSG_COMMIT_ONLY) before closing",
                     (unsigned long)rq->id, r + w, r, w);
    rio_emu_rq_socket_closed(rq);
  }
  sock__forget(s);
  rio_emu_unlock();
  /* Issued requests end inside this call (aborted), on thread-pool waits
   * that take the lock: it must not be held here. */
  return closesocket(s);
}

static int WINAPI sock__ioctl(SOCKET s, long cmd, u_long *arg) {
  if (cmd == (long)FIONBIO && sock__flagged(s)) {
    rio_emu_misuse("ioctlsocket(FIONBIO) on socket %p, created with WSA_FLAG_REGISTERED_IO: Windows "
                   "answers WSAEOPNOTSUPP (a RIO socket is for RIO only; make readiness sockets "
                   "without the flag)",
                   (void *)s);
    WSASetLastError(WSAEOPNOTSUPP);
    return SOCKET_ERROR;
  }
  return ioctlsocket(s, cmd, arg);
}

static SOCKET WINAPI sock__accept(SOCKET s, struct sockaddr *addr, int *len) {
  SOCKET c = accept(s, addr, len);
  if (c == INVALID_SOCKET) return c;
  rio_emu_init();
  rio_emu_lock();
  sock__add(c, 0); /* WSA_FLAG_REGISTERED_IO is not inherited by accept() */
  rio_emu_unlock();
  return c;
}

/* Plain transfers on a RIO socket: refused, loudly. */
static int sock__plain_refused(SOCKET s, const char *fn) {
  if (!sock__flagged(s)) return 0;
  rio_emu_misuse("%s on socket %p, created with WSA_FLAG_REGISTERED_IO: a RIO socket is for RIO "
                 "requests only",
                 fn, (void *)s);
  WSASetLastError(WSAEOPNOTSUPP);
  return 1;
}

static int WINAPI sock__recv(SOCKET s, char *buf, int len, int flags) {
  return sock__plain_refused(s, "recv") ? SOCKET_ERROR : recv(s, buf, len, flags);
}

static int WINAPI sock__recvfrom(SOCKET s, char *buf, int len, int flags, struct sockaddr *from,
                                 int *from_len) {
  return sock__plain_refused(s, "recvfrom") ? SOCKET_ERROR
                                            : recvfrom(s, buf, len, flags, from, from_len);
}

static int WINAPI sock__send(SOCKET s, const char *buf, int len, int flags) {
  return sock__plain_refused(s, "send") ? SOCKET_ERROR : send(s, buf, len, flags);
}

static int WINAPI sock__sendto(SOCKET s, const char *buf, int len, int flags,
                               const struct sockaddr *to, int to_len) {
  return sock__plain_refused(s, "sendto") ? SOCKET_ERROR : sendto(s, buf, len, flags, to, to_len);
}

/* WSARecvMsg / WSASendMsg on a RIO socket: refused like the plain
 * transfers (riox's RIO backend must carry control data in RIOReceiveEx /
 * RIOSendEx, never fall back to overlapped calls on the socket). */
static int WINAPI sock__wsa_recvmsg(SOCKET s, LPWSAMSG msg, LPDWORD bytes, LPWSAOVERLAPPED ov,
                                    LPWSAOVERLAPPED_COMPLETION_ROUTINE done) {
  LPFN_WSARECVMSG os_recvmsg;
  if (sock__plain_refused(s, "WSARecvMsg")) return SOCKET_ERROR;
  rio_emu_msg_fns(s, &os_recvmsg, NULL);
  if (os_recvmsg == NULL) {
    WSASetLastError(WSAEOPNOTSUPP);
    return SOCKET_ERROR;
  }
  return os_recvmsg(s, msg, bytes, ov, done);
}

static int WINAPI sock__wsa_sendmsg(SOCKET s, LPWSAMSG msg, DWORD flags, LPDWORD bytes,
                                    LPWSAOVERLAPPED ov, LPWSAOVERLAPPED_COMPLETION_ROUTINE done) {
  LPFN_WSASENDMSG os_sendmsg;
  if (sock__plain_refused(s, "WSASendMsg")) return SOCKET_ERROR;
  rio_emu_msg_fns(s, NULL, &os_sendmsg);
  if (os_sendmsg == NULL) {
    WSASetLastError(WSAEOPNOTSUPP);
    return SOCKET_ERROR;
  }
  return os_sendmsg(s, msg, flags, bytes, ov, done);
}

static ws_nt_ioctl_fn sock__nt_ioctl_os;

static LONG NTAPI sock__nt_ioctl(HANDLE file, HANDLE event, PVOID apc, PVOID apc_ctx, PVOID iosb,
                                 ULONG code, PVOID in, ULONG in_len, PVOID out, ULONG out_len) {
  if (code == SOCK__AFD_POLL && in != NULL && in_len >= sizeof(afd_poll_info_t)) {
    const afd_poll_info_t *info = (const afd_poll_info_t *)in;
    ULONG i;
    for (i = 0; i < info->NumberOfHandles; i++) {
      SOCKET s = (SOCKET)info->Handles[i].Handle;
      if (sock__flagged(s)) {
        rio_emu_misuse("IOCTL_AFD_POLL names socket %p, created with WSA_FLAG_REGISTERED_IO: "
                       "readiness on a RIO socket is not to be relied on",
                       (void *)s);
        return (LONG)0xC00000BBL; /* STATUS_NOT_SUPPORTED */
      }
    }
  }
  return sock__nt_ioctl_os(file, event, apc, apc_ctx, iosb, code, in, in_len, out, out_len);
}

static ws_api_t sock__api;

static BOOL CALLBACK sock__init(PINIT_ONCE once, PVOID param, PVOID *ctx) {
  HMODULE ntdll = GetModuleHandleW(L"ntdll.dll");
  (void)once;
  (void)param;
  (void)ctx;
  sock__api.socket = sock__socket;
  sock__api.close = sock__close;
  sock__api.ioctl = sock__ioctl;
  sock__api.accept = sock__accept;
  sock__api.recv = sock__recv;
  sock__api.recvfrom = sock__recvfrom;
  sock__api.send = sock__send;
  sock__api.sendto = sock__sendto;
  sock__api.wsa_recvmsg = sock__wsa_recvmsg;
  sock__api.wsa_sendmsg = sock__wsa_sendmsg;
  sock__api.cancel_io = NULL; /* the OS's: it cancels the emulator's own I/O, as it would RIO's */
  if (ntdll != NULL)
    sock__nt_ioctl_os = (ws_nt_ioctl_fn)(void (*)(void))GetProcAddress(ntdll, "NtDeviceIoControlFile");
  if (sock__nt_ioctl_os != NULL) sock__api.nt_ioctl = sock__nt_ioctl;
  return TRUE;
}

unsigned rio_emu_recv_in_flight(unsigned long long s) {
  rio_emu_sock_t *e;
  unsigned n = 0;
  rio_emu_init();
  rio_emu_lock();
  e = rio_emu_sock_find((SOCKET)s);
  if (e != NULL && e->rq != NULL && !e->rq->closed) {
    list_node_t *node;
    for (node = e->rq->issued[RIO_EMU_RECV].next; node != &e->rq->issued[RIO_EMU_RECV];
         node = node->next)
      if (!container_of(node, rio_emu_req_t, node)->done) n++;
  }
  rio_emu_unlock();
  return n;
}

const void *rio_emu_sockapi(void) {
  static INIT_ONCE once = INIT_ONCE_STATIC_INIT;
  rio_emu_init();
  InitOnceExecuteOnce(&once, sock__init, NULL, NULL);
  return &sock__api;
}

void rio_emu_install(int on) {
  riox_test_set_rio_table(on ? rio_emu_table() : NULL);
  riox_test_set_sockapi(on ? rio_emu_sockapi() : NULL);
}
