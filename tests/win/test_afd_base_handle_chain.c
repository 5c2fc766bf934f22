/* Regression (issue 9, item 7): afd_base_socket stopped one layer short.
 * Where a layered provider intercepts SIO_BASE_HANDLE (Komodia-based ones
 * do, though the Winsock IOCTLs page forbids it), it took the socket that
 * SIO_BSP_HANDLE_POLL names, which is only the next layer's, and then even
 * fell back to SIO_BSP_HANDLE_SELECT / SIO_BSP_HANDLE answers: AFD polled a
 * layer's socket, whose readiness is not the connection's. Now, as wepoll's
 * ws_get_base_socket does, SIO_BASE_HANDLE is asked again of the socket
 * SIO_BSP_HANDLE_POLL names, until one answers, and nothing else is used.
 *
 * Wine has no layered providers: the test plays them through the socket
 * seam (wshook.h), per watched socket, with a separate real socket X as
 * the intermediate layer, and logs which handle each AFD poll names:
 *  - chain: SIO_BASE_HANDLE fails on the socket, SIO_BSP_HANDLE_POLL names
 *    X, SIO_BASE_HANDLE on X answers the real base: polls name the real
 *    base, never X, and the socket's READABLE arrives;
 *  - only SIO_BSP_HANDLE_SELECT and SIO_BSP_HANDLE answer (X): riox_watch
 *    fails instead of polling X;
 *  - SIO_BASE_HANDLE answers WSAENOTSOCK: riox_watch fails without asking
 *    further (wepoll stops there too);
 *  - two layers that name each other: riox_watch fails, and returns.
 * Runs on both loops (readiness sockets). What only Windows can show: a
 * real layered provider's answers. */
#include "wshook.h"

#include "../../src/win/afd.h"

#define T_LOG 256

/* SIO_BSP_HANDLE_* come from winapi.h (through ws.h) where the headers lack them. */

enum { T_CHAIN = 1, T_SELECT_ONLY, T_NOTSOCK, T_CYCLE };

static ws_api_t t_api;
static SOCKET t_target = INVALID_SOCKET; /* the watched socket's handle */
static int t_mode;
static SOCKET t_x = INVALID_SOCKET;      /* the intermediate layer */
static HANDLE t_polled[T_LOG];
static int t_npolled, t_bsp_asked;

static int t_answer(void *out, DWORD out_len, LPDWORD bytes, SOCKET h) {
  if (out_len < sizeof h) {
    WSASetLastError(WSAEFAULT);
    return SOCKET_ERROR;
  }
  *(SOCKET *)out = h;
  *bytes = sizeof h;
  return 0;
}

static int t_refuse(int err) {
  WSASetLastError(err);
  return SOCKET_ERROR;
}

static int WINAPI t_wsaioctl(SOCKET s, DWORD code, LPVOID in, DWORD in_len, LPVOID out, DWORD out_len,
                             LPDWORD bytes, LPWSAOVERLAPPED ov, LPWSAOVERLAPPED_COMPLETION_ROUTINE done) {
  (void)ov;
  (void)done;
  if (t_mode != 0 && s == t_target) {
    if (code == SIO_BASE_HANDLE) return t_refuse(t_mode == T_NOTSOCK ? WSAENOTSOCK : WSAEOPNOTSUPP);
    if (code == SIO_BSP_HANDLE_POLL) {
      t_bsp_asked++;
      if (t_mode == T_SELECT_ONLY) return t_refuse(WSAEOPNOTSUPP);
      return t_answer(out, out_len, bytes, t_x);
    }
    if (code == SIO_BSP_HANDLE_SELECT || code == SIO_BSP_HANDLE) return t_answer(out, out_len, bytes, t_x);
  }
  if (t_mode != 0 && s == t_x) {
    if (code == SIO_BASE_HANDLE) {
      if (t_mode == T_CYCLE) return t_refuse(WSAEOPNOTSUPP);
      /* The layer below X is the base provider: the target's real base. */
      return wh_wsaioctl(t_target, code, in, in_len, out, out_len, bytes);
    }
    if (code == SIO_BSP_HANDLE_POLL) return t_answer(out, out_len, bytes, t_target);
  }
  return wh_wsaioctl(s, code, in, in_len, out, out_len, bytes);
}

static LONG NTAPI t_nt_ioctl(HANDLE file, HANDLE event, PVOID apc, PVOID apc_ctx, PVOID iosb, ULONG code,
                             PVOID in, ULONG in_len, PVOID out, ULONG out_len) {
  if (code == WH_IOCTL_AFD_POLL && in != NULL && t_npolled < T_LOG)
    t_polled[t_npolled++] = ((const afd_poll_info_t *)in)->Handles[0].Handle;
  return wh_nt_ioctl(file, event, apc, apc_ctx, iosb, code, in, in_len, out, out_len);
}

static int t_polls_of(HANDLE h) {
  int i, n = 0;
  for (i = 0; i < t_npolled; i++) n += t_polled[i] == h;
  return n;
}

static int chain(riox_loop *loop) {
  riox_sock *r, *p;
  riox_addr lo = h_v4(0), at;
  riox_event ev;
  SOCKET base = INVALID_SOCKET;
  DWORD bytes = 0;
  H_OK(riox_udp_open(loop, &lo, NULL, RIOX_SOCK_READINESS, NULL, &r));
  H_OK(riox_udp_open(loop, &lo, NULL, RIOX_SOCK_READINESS, NULL, &p));
  H_OK(riox_sock_local(r, &at));
  t_target = (SOCKET)riox_test_sock_handle(r);
  H_EQ(wh_wsaioctl(t_target, SIO_BASE_HANDLE, NULL, 0, &base, sizeof base, &bytes), 0);
  t_mode = T_CHAIN;
  t_npolled = 0;
  H_OK(riox_watch(r, RIOX_READABLE, NULL));
  H_EQ(riox_try_send(p, "up", 2, &at), 2);
  if (h_wait_for(loop, RIOX_EV_READY, r, &ev, NULL, 3000) != 0 || t_polls_of((HANDLE)t_x) != 0) {
    H_FAIL("chain: %d poll(s) named the intermediate layer's socket, %d the base socket; READABLE "
           "%s (the lookup stopped one layer short)",
           t_polls_of((HANDLE)t_x), t_polls_of((HANDLE)base),
           t_polls_of((HANDLE)t_x) ? "was never reported" : "arrived");
    return 1;
  }
  H_CHECK(t_polls_of((HANDLE)base) >= 1);
  H_CHECK((ev.ready & RIOX_READABLE) != 0);
  t_mode = 0;
  H_OK(riox_close(r));
  H_EQ(h_wait_for(loop, RIOX_EV_CLOSE, r, &ev, NULL, 5000), 0);
  H_OK(riox_close(p));
  H_EQ(h_wait_for(loop, RIOX_EV_CLOSE, p, &ev, NULL, 5000), 0);
  return 0;
}

static int refused(riox_loop *loop, int mode, const char *what) {
  riox_sock *r;
  riox_addr lo = h_v4(0);
  riox_event ev;
  int rc;
  H_OK(riox_udp_open(loop, &lo, NULL, RIOX_SOCK_READINESS, NULL, &r));
  t_target = (SOCKET)riox_test_sock_handle(r);
  t_mode = mode;
  t_npolled = 0;
  t_bsp_asked = 0;
  rc = riox_watch(r, RIOX_READABLE, NULL);
  if (rc == 0) (void)riox_wait(loop, &ev, 1, 0); /* submit the poll, to log it */
  t_mode = 0;
  if (rc >= 0) {
    H_FAIL("%s: riox_watch succeeded (%d poll(s) named the layer's socket): expected a failure",
           what, t_polls_of((HANDLE)t_x));
    return 1;
  }
  printf("%s: riox_watch refused as expected: %s (%s)\n", what, riox_err_name(rc), riox_last_detail());
  if (mode == T_NOTSOCK) H_EQ(t_bsp_asked, 0);
  H_EQ(t_polls_of((HANDLE)t_x), 0);
  H_OK(riox_close(r));
  H_EQ(h_wait_for(loop, RIOX_EV_CLOSE, r, &ev, NULL, 5000), 0);
  return 0;
}

static int test(void) {
  riox_loop *loop;
  wh_begin(&t_api);
  t_api.wsaioctl = t_wsaioctl;
  t_api.nt_ioctl = t_nt_ioctl;
  t_mode = 0;
  wh_install(&t_api);
  t_x = WSASocketW(AF_INET, SOCK_DGRAM, IPPROTO_UDP, NULL, 0, WSA_FLAG_OVERLAPPED);
  H_CHECK(t_x != INVALID_SOCKET);
  H_OK(h_loop(&loop, NULL));
  if (chain(loop) || refused(loop, T_SELECT_ONLY, "only SIO_BSP_HANDLE_SELECT/SIO_BSP_HANDLE answer") ||
      refused(loop, T_NOTSOCK, "SIO_BASE_HANDLE answers WSAENOTSOCK") ||
      refused(loop, T_CYCLE, "two layers name each other"))
    return 1;
  riox_loop_close(loop);
  closesocket(t_x);
  wh_end();
  return 0;
}

int main(void) {
  WSADATA wsa;
  if (WSAStartup(MAKEWORD(2, 2), &wsa) != 0) return 1;
  printf("Wine has no layered providers: this test plays them through the socket seam (real "
         "providers' SIO_BASE_HANDLE/SIO_BSP_HANDLE_* answers are seen on Windows only)\n");
  return h_run("afd_base_handle_chain", test);
}
