/* The WSABUF array of every overlapped WSARecv/WSARecvFrom/WSASend/WSASendTo
 * riox makes lives as long as the operation (issue 9, item 11).
 *
 * The WSASend page says of lpBuffers: "This array must remain valid for the
 * duration of the send operation" (WSARecv: likewise). The IOCP backend
 * used to build it on the stack of the function that made the call, which
 * returns while the operation is still pending. A socket-call table checks
 * where each array handed to the OS lies: never inside the calling thread's
 * stack. A UDP and a TCP round trip make all four calls (each is counted).
 * On RIO loops the data path makes none of these calls: the count must be
 * 0 there (the emulator's own overlapped I/O does not go through riox). */
#include "rioconf.h"

#include "riox_test.h"

#ifdef RIOX_HAVE_TEST_HOOKS

#define LEN 200u

static volatile LONG calls, on_stack;

/* On the calling thread's stack: in the same reservation as a local. */
static void check_bufs(LPWSABUF bufs) {
  MEMORY_BASIC_INFORMATION here, there;
  volatile char local = 0;
  InterlockedIncrement(&calls);
  if (VirtualQuery((const void *)&local, &here, sizeof here) == 0 ||
      VirtualQuery(bufs, &there, sizeof there) == 0 || here.AllocationBase == there.AllocationBase)
    InterlockedIncrement(&on_stack);
}

static int WINAPI w_recv(SOCKET s, LPWSABUF b, DWORD n, LPDWORD by, LPDWORD fl, LPWSAOVERLAPPED ov,
                         LPWSAOVERLAPPED_COMPLETION_ROUTINE done) {
  check_bufs(b);
  return WSARecv(s, b, n, by, fl, ov, done);
}

static int WINAPI w_recvfrom(SOCKET s, LPWSABUF b, DWORD n, LPDWORD by, LPDWORD fl,
                             struct sockaddr *from, LPINT flen, LPWSAOVERLAPPED ov,
                             LPWSAOVERLAPPED_COMPLETION_ROUTINE done) {
  check_bufs(b);
  return WSARecvFrom(s, b, n, by, fl, from, flen, ov, done);
}

static int WINAPI w_send(SOCKET s, LPWSABUF b, DWORD n, LPDWORD by, DWORD fl, LPWSAOVERLAPPED ov,
                         LPWSAOVERLAPPED_COMPLETION_ROUTINE done) {
  check_bufs(b);
  return WSASend(s, b, n, by, fl, ov, done);
}

static int WINAPI w_sendto(SOCKET s, LPWSABUF b, DWORD n, LPDWORD by, DWORD fl,
                           const struct sockaddr *to, int tlen, LPWSAOVERLAPPED ov,
                           LPWSAOVERLAPPED_COMPLETION_ROUTINE done) {
  check_bufs(b);
  return WSASendTo(s, b, n, by, fl, to, tlen, ov, done);
}

static ws_api_t checking_api;
static const void *previous_api;

static void install(void) {
  memset(&checking_api, 0, sizeof checking_api);
#ifdef RIOX_WITH_RIO_EMU
  /* Keep the emulator's policing of every other call on its pass. */
  previous_api = strcmp(h_backend, "rio-emulated") == 0 ? rio_emu_sockapi() : NULL;
  if (previous_api != NULL) checking_api = *(const ws_api_t *)previous_api;
#endif
  checking_api.wsa_recv = w_recv;
  checking_api.wsa_recvfrom = w_recvfrom;
  checking_api.wsa_send = w_send;
  checking_api.wsa_sendto = w_sendto;
  riox_test_set_sockapi(&checking_api);
}

static int one_recv(riox_loop *loop, riox_sock *s, uint32_t seed) {
  riox_event ev;
  H_EQ(h_wait_for(loop, RIOX_EV_RECV, s, &ev, NULL, 10000), 0);
  H_EQ(ev.status, 0);
  H_EQ(ev.len, LEN);
  H_EQ(h_verify(ev.data, LEN, seed), 0);
  H_OK(riox_buf_put(loop, ev.data));
  return 0;
}

static int body(void) {
  riox_loop *loop;
  riox_sock *u1, *u2, *cli, *srv;
  riox_addr any = h_v4(0), a2;
  riox_event ev;
  char *buf;
  int iocp = strcmp(h_backend, "iocp") == 0;
  calls = on_stack = 0;
  install();
  H_OK(h_loop(&loop, NULL));
  /* UDP: WSARecvFrom and WSASendTo. */
  H_OK(riox_udp_open(loop, &any, NULL, 0, NULL, &u1));
  H_OK(riox_udp_open(loop, &any, NULL, 0, NULL, &u2));
  H_OK(riox_sock_local(u2, &a2));
  H_OK(riox_buf_get(loop, &buf));
  H_OK(riox_recv(u2, buf, riox_loop_buf_size(loop), NULL));
  H_OK(riox_buf_get(loop, &buf));
  h_fill(buf, LEN, 1);
  H_OK(riox_sendto(u1, buf, LEN, &a2, 0, NULL));
  if (one_recv(loop, u2, 1) != 0) return 1;
  /* TCP: WSARecv and WSASend. */
  if (h_tcp_pair(loop, loop, 0, &cli, &srv) != 0) return 1;
  H_OK(riox_buf_get(loop, &buf));
  H_OK(riox_recv(srv, buf, riox_loop_buf_size(loop), NULL));
  H_OK(riox_buf_get(loop, &buf));
  h_fill(buf, LEN, 2);
  H_OK(riox_send(cli, buf, LEN, 0, NULL));
  if (one_recv(loop, srv, 2) != 0) return 1;
  H_EQ(h_collect(loop, RIOX_EV_SEND, 2, NULL, 10000), 2);
  riox_test_set_sockapi(previous_api);
  printf("overlapped transfers seen: %ld, with their WSABUF on the stack: %ld\n", (long)calls,
         (long)on_stack);
  if (iocp) {
    H_CHECK(calls >= 4);
    H_EQ(on_stack, 0);
  } else {
    H_EQ(calls, 0);
  }
  H_OK(riox_close(u1));
  H_OK(riox_close(u2));
  H_OK(riox_close(cli));
  H_OK(riox_close(srv));
  H_EQ(h_collect(loop, RIOX_EV_CLOSE, 4, NULL, 10000), 4);
  (void)ev;
  riox_loop_close(loop);
  return 0;
}

int main(void) { return h_run("test_iocp_wsabuf_lifetime", body); }
#else
/* The seams this test drives exist only in test builds. */
int main(void) {
  printf("SKIP test_iocp_wsabuf_lifetime: the library was built without RIOX_TEST_HOOKS\n");
  return H_SKIP;
}
#endif
