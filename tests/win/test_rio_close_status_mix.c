/* Regression (issue 8, defect 4): the requests of a RIO socket being closed
 * may end with any of several codes on Windows (WSA_OPERATION_ABORTED,
 * WSAENOTSOCK, ERROR_NETNAME_DELETED, WSAECONNRESET; the emulator cycles
 * through all four). riox mapped WSAENOTSOCK to RIOX_EINVAL and the others
 * to other errors; now every failure of a closing socket's request is
 * RIOX_ECANCELED. Receives are committed (a riox_wait runs) before the
 * close, so they are in the kernel's hands when it comes. */
#include "rioconf.h"

#define N 8

static int test(void) {
  riox_loop *loop;
  riox_sock *u, *v;
  riox_addr ua, va;
  riox_event ev;
  char *bufs[N];
  h_log *log = (h_log *)calloc(1, sizeof *log);
  unsigned misuse = rt_misuse();
  int i, recvs = 0, closed = 0;
  H_CHECK(log != NULL);
  H_OK(h_loop(&loop, NULL));
  if (rt_udp(loop, &u, &ua) != 0 || rt_udp(loop, &v, &va) != 0) return 1;
  for (i = 0; i < N; i++) {
    H_OK(riox_buf_get(loop, &bufs[i]));
    H_OK(riox_recv(u, bufs[i], riox_loop_buf_size(loop), (void *)(uintptr_t)(i + 1)));
  }
  H_EQ(riox_wait(loop, &ev, 1, 50), 0); /* commits them; nothing arrives */
  H_OK(riox_close(u));
  H_EQ(h_collect(loop, RIOX_EV_CLOSE, 1, log, 10000), 1);
  for (i = 0; i < log->n; i++) {
    if (log->ev[i].sock != u) continue;
    if (log->ev[i].type == RIOX_EV_CLOSE) {
      closed++;
      continue;
    }
    H_EQ(log->ev[i].type, RIOX_EV_RECV);
    H_EQ(log->ev[i].status, RIOX_ECANCELED);
    recvs++;
  }
  H_EQ(recvs, N);
  H_EQ(closed, 1);
  for (i = 0; i < N; i++) H_OK(riox_buf_put(loop, bufs[i]));
  free(log);
  return rt_finish(loop, &v, 1, misuse);
}

int main(void) { return h_run("rio_close_status_mix", test); }
