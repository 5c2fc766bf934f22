/* Regression (issue 8, defect 3): riox_close of a RIO socket whose receives
 * were posted (RIO_MSG_DEFER) but never committed. riox used to forget them
 * and trust closesocket to abort them, which nothing documents. Now it
 * commits them (RIO_MSG_COMMIT_ONLY) before closesocket, so the emulator,
 * which reports closing with uncommitted requests as misuse, sees none; and
 * each receive still yields exactly one RIOX_ECANCELED event, then the one
 * close event. On iocp the same sequence must hold too. */
#include "rioconf.h"

#define N 8

static int test(void) {
  riox_loop *loop;
  riox_sock *u, *v;
  riox_addr ua, va;
  char *bufs[N];
  h_log *log = (h_log *)calloc(1, sizeof *log);
  unsigned misuse = rt_misuse();
  int i, seen[N] = {0}, closed = 0;
  H_CHECK(log != NULL);
  H_OK(h_loop(&loop, NULL));
  if (rt_udp(loop, &u, &ua) != 0 || rt_udp(loop, &v, &va) != 0) return 1;
  for (i = 0; i < N; i++) {
    H_OK(riox_buf_get(loop, &bufs[i]));
    H_OK(riox_recv(u, bufs[i], riox_loop_buf_size(loop), (void *)(uintptr_t)(i + 1)));
  }
  /* No riox_wait yet: on RIO nothing has been committed. */
  H_OK(riox_close(u));
  H_EQ(h_collect(loop, RIOX_EV_CLOSE, 1, log, 10000), 1);
  for (i = 0; i < log->n; i++) {
    const riox_event *ev = &log->ev[i];
    if (ev->sock != u) continue;
    if (ev->type == RIOX_EV_CLOSE) {
      closed++;
      continue;
    }
    H_EQ(ev->type, RIOX_EV_RECV);
    H_EQ(closed, 0); /* the close event comes last */
    H_EQ(ev->status, RIOX_ECANCELED);
    H_CHECK((uintptr_t)ev->ctx >= 1 && (uintptr_t)ev->ctx <= N);
    seen[(uintptr_t)ev->ctx - 1]++;
  }
  H_EQ(closed, 1);
  for (i = 0; i < N; i++) H_EQ(seen[i], 1);
  for (i = 0; i < N; i++) H_OK(riox_buf_put(loop, bufs[i]));
  free(log);
  return rt_finish(loop, &v, 1, misuse);
}

int main(void) { return h_run("rio_close_uncommitted", test); }
