/* Regression (issue 9, item 6): riox_cancel and riox_close called CancelIoEx
 * on the socket's own handle only. Under a non-IFS layered provider that
 * handle is the provider's; the requests it issued below are on the base
 * provider's socket (SIO_BASE_HANDLE), and libuv cancels there too
 * (uv__tcp_try_cancel_reqs). riox now remembers a non-IFS socket's base
 * socket when it is another handle, and cancels on both.
 *
 * Wine has no layered providers: the test plays one through the socket
 * seam (wshook.h). Its sockets report no XP1_IFS_HANDLES, SIO_BASE_HANDLE
 * on them answers a separate real socket (the "base"), and every CancelIoEx
 * is logged (then made for real). Checked, on both backends:
 *  - riox_cancel on a layered TCP connection and a UDP socket cancels on
 *    the socket and on its base (iocp: with a receive pending, which still
 *    ends RIOX_ECANCELED; RIO requests cannot be cancelled one by one, so
 *    there riox_cancel is made with none posted);
 *  - riox_close of the UDP socket cancels on both as well, and riox_abort
 *    of a TCP connection; the close still completes. riox_close of a TCP
 *    connection cancels nothing (item 4): it shuts the socket down for
 *    sending and lets closesocket end the receives, since cancelling a TCP
 *    receive may itself make Windows reset the connection (libuv's
 *    uv__tcp_close does the same);
 *  - an IFS socket is cancelled once, on its own handle (no extra call).
 * What only Windows can show: a real provider's own requests on the base
 * socket ending because of it. */
#include "wshook.h"

#define T_LOG 64

static ws_api_t t_api;
static int t_layered;
static SOCKET t_base = INVALID_SOCKET; /* the "base provider's" socket */
static HANDLE t_cancels[T_LOG];
static int t_ncancel;

static int WINAPI t_getsockopt(SOCKET s, int level, int name, char *val, int *len) {
  int rc = wh_getsockopt(s, level, name, val, len);
  if (rc == 0 && t_layered && level == SOL_SOCKET && name == SO_PROTOCOL_INFOW)
    ((WSAPROTOCOL_INFOW *)val)->dwServiceFlags1 &= ~(DWORD)XP1_IFS_HANDLES;
  return rc;
}

static int WINAPI t_wsaioctl(SOCKET s, DWORD code, LPVOID in, DWORD in_len, LPVOID out, DWORD out_len,
                             LPDWORD bytes, LPWSAOVERLAPPED ov, LPWSAOVERLAPPED_COMPLETION_ROUTINE done) {
  (void)ov;
  (void)done;
  if (t_layered && code == SIO_BASE_HANDLE && s != t_base && out_len >= sizeof(SOCKET)) {
    *(SOCKET *)out = t_base;
    *bytes = sizeof(SOCKET);
    return 0;
  }
  return wh_wsaioctl(s, code, in, in_len, out, out_len, bytes);
}

static BOOL WINAPI t_cancel_io(HANDLE h, LPOVERLAPPED ov) {
  if (t_ncancel < T_LOG) t_cancels[t_ncancel++] = h;
  return wh_cancel_io(h, ov);
}

static void t_install(int layered) {
  wh_begin(&t_api);
  t_api.getsockopt = t_getsockopt;
  t_api.wsaioctl = t_wsaioctl;
  t_api.cancel_io = t_cancel_io;
  t_layered = layered;
  t_ncancel = 0;
  wh_install(&t_api);
}

static int t_cancelled(HANDLE h) {
  int i, n = 0;
  for (i = 0; i < t_ncancel; i++) n += t_cancels[i] == h;
  return n;
}

/* Since the log was cleared: cancelled on s `own` times, on the base `base` times. */
static int expect(const char *what, SOCKET s, int own, int base) {
  if (t_cancelled((HANDLE)s) != own || t_cancelled((HANDLE)t_base) != base) {
    H_FAIL("%s: CancelIoEx %d time(s) on the socket, %d on its base socket; expected %d and %d "
           "(%d call(s) in all)",
           what, t_cancelled((HANDLE)s), t_cancelled((HANDLE)t_base), own, base, t_ncancel);
    return 1;
  }
  return 0;
}

static int check(riox_loop *loop, riox_sock *sock, int layered, int tcp, const char *what) {
  SOCKET s = (SOCKET)riox_test_sock_handle(sock);
  int iocp = strcmp(h_backend, "iocp") == 0, n = layered ? 1 : 0;
  riox_event ev;
  char *b = NULL;
  char label[96];
  if (iocp) {
    H_OK(riox_buf_get(loop, &b));
    H_OK(riox_recv(sock, b, riox_loop_buf_size(loop), NULL));
  }
  t_ncancel = 0;
  H_OK(riox_cancel(sock));
  snprintf(label, sizeof label, "riox_cancel(%s)", what);
  if (expect(label, s, 1, n)) return 1;
  if (iocp) {
    H_EQ(h_wait_for(loop, RIOX_EV_RECV, sock, &ev, NULL, 5000), 0);
    H_EQ(ev.status, RIOX_ECANCELED);
    H_OK(riox_buf_put(loop, ev.data));
  }
  /* Close with a receive pending (a RIO one on RIO loops). */
  H_OK(riox_buf_get(loop, &b));
  H_OK(riox_recv(sock, b, riox_loop_buf_size(loop), NULL));
  t_ncancel = 0;
  H_OK(riox_close(sock));
  snprintf(label, sizeof label, "riox_close(%s)", what);
  if (expect(label, s, tcp ? 0 : 1, tcp ? 0 : n)) return 1;
  H_EQ(h_wait_for(loop, RIOX_EV_RECV, sock, &ev, NULL, 5000), 0);
  H_EQ(ev.status, RIOX_ECANCELED);
  H_OK(riox_buf_put(loop, ev.data));
  H_EQ(h_wait_for(loop, RIOX_EV_CLOSE, sock, &ev, NULL, 5000), 0);
  return 0;
}

static int run(int layered) {
  riox_loop *loop;
  riox_sock *cli, *srv, *u;
  riox_addr lo = h_v4(0);
  riox_event ev;
  t_install(layered);
  H_OK(h_loop(&loop, NULL));
  if (h_tcp_pair(loop, loop, 0, &cli, &srv)) return 1;
  H_OK(riox_udp_open(loop, &lo, NULL, 0, NULL, &u));
  if (check(loop, srv, layered, 1, layered ? "layered TCP" : "IFS TCP")) return 1;
  if (check(loop, u, layered, 0, layered ? "layered UDP" : "IFS UDP")) return 1;
  {
    SOCKET s = (SOCKET)riox_test_sock_handle(cli);
    t_ncancel = 0;
    H_OK(riox_abort(cli));
    if (expect(layered ? "riox_abort(layered TCP)" : "riox_abort(IFS TCP)", s, 1, layered ? 1 : 0))
      return 1;
  }
  H_EQ(h_wait_for(loop, RIOX_EV_CLOSE, cli, &ev, NULL, 5000), 0);
  riox_loop_close(loop);
  wh_end();
  return 0;
}

static int test(void) {
  int rc;
  t_base = WSASocketW(AF_INET, SOCK_STREAM, IPPROTO_TCP, NULL, 0, WSA_FLAG_OVERLAPPED);
  H_CHECK(t_base != INVALID_SOCKET);
  rc = run(1) || run(0);
  closesocket(t_base);
  return rc;
}

int main(void) {
  WSADATA wsa;
  if (WSAStartup(MAKEWORD(2, 2), &wsa) != 0) return 1;
  printf("Wine has no layered providers: this test plays a non-IFS one through the socket seam; "
         "whether a real provider's own requests end is seen on Windows only\n");
  return h_run("lsp_cancel_base_handle", test);
}
