/* Regression: RIORESULT.Status is a WSA/Win32 error code, not an NTSTATUS.
 *
 * Microsoft's RIORESULT page: Status is "the completion status of the
 * Winsock registered I/O request", a WSA/Win32 code (WSAEMSGSIZE,
 * WSAECONNRESET, WSA_OPERATION_ABORTED...). A comment in src/common/error.c
 * said riox found NTSTATUS values there; code following it would read every
 * such code (all below 0x80000000) as success. This test pins the decoding
 * through the RIO result path, with statuses both backends produce alike:
 *  - a UDP datagram larger than the receive: RIOX_EMSGSIZE, with the bytes
 *    that fit (WSAEMSGSIZE, 10040);
 *  - a TCP receive when the peer resets: RIOX_ECONNRESET (WSAECONNRESET);
 *  - a receive aborted by riox_close: RIOX_ECANCELED (WSA_OPERATION_ABORTED,
 *    995), before the socket's one RIOX_EV_CLOSE.
 * The iocp pass checks the same events (there the codes are NTSTATUS in
 * OVERLAPPED.Internal, decoded by the other table). */
#include "rioconf.h"

static int test(void) {
  riox_loop *loop;
  riox_sock *a, *b, *cli, *srv;
  riox_addr aa, ba;
  riox_event ev;
  char *rb, *sb;
  unsigned misuse = rt_misuse();
  H_OK(h_loop(&loop, NULL));
  if (rt_udp(loop, &a, &aa) != 0 || rt_udp(loop, &b, &ba) != 0) return 1;
  H_OK(riox_buf_get(loop, &rb));
  H_OK(riox_buf_get(loop, &sb));

  /* WSAEMSGSIZE: 300 bytes into a 100-byte receive. */
  H_OK(riox_recv(b, rb, 100, (void *)1));
  h_fill(sb, 300, 7);
  H_OK(riox_sendto(a, sb, 300, &ba, 0, NULL));
  H_EQ(h_wait_for(loop, RIOX_EV_RECV, b, &ev, NULL, 5000), 0);
  H_ERR(ev.status, RIOX_EMSGSIZE);
  H_EQ(ev.len, 100);
  H_EQ(h_verify(ev.data, 100, 7), 0);
  H_EQ(h_wait_for(loop, RIOX_EV_SEND, a, &ev, NULL, 5000), 0);
  H_ERR(ev.status, 0);

  /* WSAECONNRESET: the peer aborts while a receive waits. */
  if (h_tcp_pair(loop, loop, 0, &cli, &srv) != 0) return 1;
  H_OK(riox_recv(srv, rb, riox_loop_buf_size(loop), (void *)2));
  H_EQ(riox_wait(loop, &ev, 1, 50), 0); /* the receive reaches the socket */
  H_OK(riox_abort(cli));
  H_EQ(h_wait_for(loop, RIOX_EV_RECV, srv, &ev, NULL, 5000), 0);
  H_ERR(ev.status, RIOX_ECONNRESET);
  H_EQ(h_wait_for(loop, RIOX_EV_CLOSE, cli, &ev, NULL, 5000), 0);

  /* WSA_OPERATION_ABORTED: riox_close aborts a waiting receive. */
  H_OK(riox_recv(b, rb, riox_loop_buf_size(loop), (void *)3));
  H_EQ(riox_wait(loop, &ev, 1, 50), 0);
  H_OK(riox_close(b));
  H_EQ(h_wait_for(loop, RIOX_EV_RECV, b, &ev, NULL, 5000), 0);
  H_ERR(ev.status, RIOX_ECANCELED);
  H_EQ(h_wait_for(loop, RIOX_EV_CLOSE, b, &ev, NULL, 5000), 0);

  H_OK(riox_buf_put(loop, rb));
  H_OK(riox_buf_put(loop, sb));
  {
    riox_sock *const socks[] = {srv, a};
    if (rt_finish(loop, socks, (int)(sizeof socks / sizeof socks[0]), misuse) != 0) return 1;
  }
  return 0;
}

int main(void) { return h_run("rio_result_status_wsa", test); }
