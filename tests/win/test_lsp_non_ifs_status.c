/* Regression (issue 9, item 5): every completion's status was decoded from
 * OVERLAPPED.Internal as an NTSTATUS. Microsoft's WSAOVERLAPPED page leaves
 * Internal to the provider when its handles are not IFS handles (a layered
 * provider without XP1_IFS_HANDLES): only WSAGetOverlappedResult tells the
 * result then. riox now remembers per socket whether the provider is IFS
 * and asks WSAGetOverlappedResult for non-IFS sockets' completions.
 *
 * Wine has no layered providers, so this test plays one through the socket
 * seam (wshook.h): SO_PROTOCOL_INFOW reports no XP1_IFS_HANDLES, and the
 * provider's WSAGetOverlappedResult is the real one, except that the test
 * can make it deliver a verdict Internal does not carry (a failure while
 * the kernel's NTSTATUS says success), as a provider that keeps its own
 * books in Internal would. It checks:
 *  - connect and accept completions of non-IFS sockets are decoded by the
 *    provider (both backends: they come through the port on RIO loops too),
 *    and so are receives and sends (iocp: RIO data completes in the CQ);
 *  - the provider's verdict is what the application sees: a connect the
 *    provider failed is RIOX_ECONNREFUSED, a receive it failed (iocp) is
 *    RIOX_ECONNRESET, although Internal says STATUS_SUCCESS;
 *  - a non-IFS socket closed with a receive pending gets RIOX_ECANCELED
 *    (the socket is gone, so the provider cannot be asked any more);
 *  - IFS sockets never pay the extra call (the fast path is unchanged).
 * What only Windows can show: a real non-IFS provider's use of Internal. */
#include "wshook.h"

static ws_api_t t_api;
static int t_non_ifs;               /* SO_PROTOCOL_INFOW hides XP1_IFS_HANDLES */
static unsigned t_calls;            /* WSAGetOverlappedResult calls */
static SOCKET t_fake_sock = INVALID_SOCKET;
static int t_fake_err;              /* the provider's next verdict for t_fake_sock */
static int t_faked;                 /* verdicts delivered */

static int WINAPI t_getsockopt(SOCKET s, int level, int name, char *val, int *len) {
  int rc = wh_getsockopt(s, level, name, val, len);
  if (rc == 0 && t_non_ifs && level == SOL_SOCKET && name == SO_PROTOCOL_INFOW)
    ((WSAPROTOCOL_INFOW *)val)->dwServiceFlags1 &= ~(DWORD)XP1_IFS_HANDLES;
  return rc;
}

static BOOL WINAPI t_get_ov_result(SOCKET s, LPWSAOVERLAPPED ov, LPDWORD bytes, BOOL wait,
                                   LPDWORD flags) {
  t_calls++;
  if (t_fake_err != 0 && s == t_fake_sock) {
    *bytes = 0;
    WSASetLastError(t_fake_err);
    t_fake_err = 0;
    t_faked++;
    return FALSE;
  }
  return wh_get_ov_result(s, ov, bytes, wait, flags);
}

static void t_install(int non_ifs) {
  wh_begin(&t_api);
  t_api.getsockopt = t_getsockopt;
  t_api.get_ov_result = t_get_ov_result;
  t_non_ifs = non_ifs;
  t_calls = 0;
  t_fake_err = 0;
  t_faked = 0;
  t_fake_sock = INVALID_SOCKET;
  wh_install(&t_api);
}

static int closed(riox_loop *loop, riox_sock *s) {
  riox_event ev;
  H_OK(riox_close(s));
  H_EQ(h_wait_for(loop, RIOX_EV_CLOSE, s, &ev, NULL, 5000), 0);
  return 0;
}

/* One TCP message cli -> srv, and one UDP datagram, with completion calls. */
static int exchange(riox_loop *loop, riox_sock *cli, riox_sock *srv) {
  riox_event ev;
  char *b;
  H_OK(riox_buf_get(loop, &b));
  H_OK(riox_recv(srv, b, riox_loop_buf_size(loop), NULL));
  H_OK(riox_buf_get(loop, &b));
  memcpy(b, "layered", 7);
  H_OK(riox_send(cli, b, 7, 0, NULL));
  H_EQ(h_wait_for(loop, RIOX_EV_SEND, cli, &ev, NULL, 5000), 0);
  H_EQ(ev.status, 0);
  H_EQ(ev.len, 7);
  H_OK(riox_buf_put(loop, ev.data));
  H_EQ(h_wait_for(loop, RIOX_EV_RECV, srv, &ev, NULL, 5000), 0);
  H_EQ(ev.status, 0);
  H_CHECK(ev.len >= 1 && ev.len <= 7);
  H_EQ(memcmp(ev.data, "layered", ev.len), 0);
  H_OK(riox_buf_put(loop, ev.data));
  return 0;
}

static int udp_exchange(riox_loop *loop) {
  riox_sock *a, *b;
  riox_addr lo = h_v4(0), pb;
  riox_event ev;
  char *buf;
  H_OK(riox_udp_open(loop, &lo, NULL, 0, NULL, &a));
  H_OK(riox_udp_open(loop, &lo, NULL, 0, NULL, &b));
  H_OK(riox_sock_local(b, &pb));
  H_OK(riox_buf_get(loop, &buf));
  H_OK(riox_recv(b, buf, riox_loop_buf_size(loop), NULL));
  H_OK(riox_buf_get(loop, &buf));
  memcpy(buf, "dgram", 5);
  H_OK(riox_sendto(a, buf, 5, &pb, 0, NULL));
  H_EQ(h_wait_for(loop, RIOX_EV_SEND, a, &ev, NULL, 5000), 0);
  H_EQ(ev.status, 0);
  H_OK(riox_buf_put(loop, ev.data));
  H_EQ(h_wait_for(loop, RIOX_EV_RECV, b, &ev, NULL, 5000), 0);
  H_EQ(ev.status, 0);
  H_EQ(ev.len, 5);
  H_EQ(memcmp(ev.data, "dgram", 5), 0);
  H_OK(riox_buf_put(loop, ev.data));
  if (closed(loop, a) || closed(loop, b)) return 1;
  return 0;
}

static int layered(void) {
  riox_loop *loop;
  riox_sock *lis, *cli, *srv, *c2;
  riox_addr lo = h_v4(0), at;
  riox_event ev;
  char *b;
  int iocp = strcmp(h_backend, "iocp") == 0;
  unsigned before;
  t_install(1);
  H_OK(h_loop(&loop, NULL));

  /* Connect and accept, decoded by the provider. */
  if (h_tcp_pair(loop, loop, 0, &cli, &srv)) return 1;
  if (t_calls < 2) {
    H_FAIL("%u WSAGetOverlappedResult call(s) for the non-IFS accept and connect, expected >= 2: "
           "their status was read from OVERLAPPED.Internal",
           t_calls);
    return 1;
  }
  before = t_calls;
  if (exchange(loop, cli, srv) || udp_exchange(loop)) return 1;
  if (iocp && t_calls < before + 4) {
    H_FAIL("%u WSAGetOverlappedResult call(s) for 4 non-IFS receive/send completions", t_calls - before);
    return 1;
  }

  /* The provider fails a connect that the kernel completed: the
   * application must hear the provider. */
  H_OK(riox_tcp_listen(loop, &lo, 4, 0, NULL, &lis));
  H_OK(riox_sock_local(lis, &at));
  H_OK(riox_tcp_connect(loop, &at, NULL, 0, NULL, &c2));
  t_fake_sock = (SOCKET)riox_test_sock_handle(c2);
  t_fake_err = WSAECONNREFUSED;
  H_EQ(h_wait_for(loop, RIOX_EV_CONNECT, c2, &ev, NULL, 5000), 0);
  H_EQ(t_faked, 1);
  if (ev.status != RIOX_ECONNREFUSED) {
    H_FAIL("CONNECT status %d %s: the provider said WSAECONNREFUSED (OVERLAPPED.Internal said "
           "success), expected RIOX_ECONNREFUSED",
           ev.status, riox_err_name(ev.status));
    return 1;
  }
  if (closed(loop, c2) || closed(loop, lis)) return 1;

  if (iocp) {
    /* The same for a receive whose data arrived. */
    H_OK(riox_buf_get(loop, &b));
    t_fake_sock = (SOCKET)riox_test_sock_handle(srv);
    t_fake_err = WSAECONNRESET;
    H_OK(riox_recv(srv, b, riox_loop_buf_size(loop), NULL));
    H_OK(riox_buf_get(loop, &b));
    memcpy(b, "x", 1);
    H_OK(riox_send(cli, b, 1, 0, NULL));
    H_EQ(h_wait_for(loop, RIOX_EV_SEND, cli, &ev, NULL, 5000), 0);
    H_EQ(ev.status, 0);
    H_OK(riox_buf_put(loop, ev.data));
    H_EQ(h_wait_for(loop, RIOX_EV_RECV, srv, &ev, NULL, 5000), 0);
    H_EQ(t_faked, 2);
    if (ev.status != RIOX_ECONNRESET) {
      H_FAIL("RECV status %d %s: the provider said WSAECONNRESET, expected RIOX_ECONNRESET", ev.status,
             riox_err_name(ev.status));
      return 1;
    }
    H_OK(riox_buf_put(loop, ev.data));
  }
  t_fake_err = 0;

  /* Closed with a receive pending: cancelled, whatever Internal holds. */
  H_OK(riox_buf_get(loop, &b));
  H_OK(riox_recv(cli, b, riox_loop_buf_size(loop), NULL));
  H_OK(riox_close(cli));
  H_EQ(h_wait_for(loop, RIOX_EV_RECV, cli, &ev, NULL, 5000), 0);
  H_EQ(ev.status, RIOX_ECANCELED);
  H_OK(riox_buf_put(loop, ev.data));
  H_EQ(h_wait_for(loop, RIOX_EV_CLOSE, cli, &ev, NULL, 5000), 0);
  if (closed(loop, srv)) return 1;
  riox_loop_close(loop);
  wh_end();
  return 0;
}

/* IFS sockets: the same traffic, not one WSAGetOverlappedResult call. */
static int ifs(void) {
  riox_loop *loop;
  riox_sock *cli, *srv;
  t_install(0);
  H_OK(h_loop(&loop, NULL));
  if (h_tcp_pair(loop, loop, 0, &cli, &srv) || exchange(loop, cli, srv) || udp_exchange(loop)) return 1;
  if (closed(loop, cli) || closed(loop, srv)) return 1;
  riox_loop_close(loop);
  wh_end();
  H_EQ(t_calls, 0);
  return 0;
}

static int test(void) { return layered() || ifs(); }

int main(void) {
  printf("Wine has no layered providers: this test plays a non-IFS one through the socket seam "
         "(a real provider's use of OVERLAPPED.Internal is seen on Windows only)\n");
  return h_run("lsp_non_ifs_status", test);
}
