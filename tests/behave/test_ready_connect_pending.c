/* A readiness connect that cannot complete yet (the listener's accept
 * queue is full, so the SYN goes unanswered) reports no RIOX_WRITABLE; once
 * the listener accepts, the connection completes and WRITABLE arrives. */
#include "harness.h"

#define NCLI 8

static int test(void) {
  riox_loop *loop;
  riox_sock *lst, *cli[NCLI], *acc[NCLI];
  riox_addr la = h_v4(0), at;
  riox_event ev;
  int writable[NCLI], nwritable = 0, naccepted = 0, i, stalled = -1;
  uint64_t until;
  H_OK(h_loop(&loop, NULL));
  H_OK(riox_tcp_listen(loop, &la, 1, RIOX_SOCK_READINESS, NULL, &lst));
  H_OK(riox_sock_local(lst, &at));
  for (i = 0; i < NCLI; i++) {
    writable[i] = 0;
    H_OK(riox_tcp_connect(loop, &at, NULL, RIOX_SOCK_READINESS, NULL, &cli[i]));
    H_OK(riox_watch(cli[i], RIOX_WRITABLE | RIOX_ONESHOT, (void *)(intptr_t)i));
  }
  until = h_now_ms() + 600;
  while (h_now_ms() < until) {
    if (riox_wait(loop, &ev, 1, 50) == 1 && ev.type == RIOX_EV_READY) {
      i = (int)(intptr_t)ev.ctx;
      H_EQ(ev.ready, RIOX_WRITABLE);
      H_EQ(writable[i], 0);
      writable[i] = 1;
      nwritable++;
    }
  }
  printf("INFO %d of %d connects completed against a full accept queue\n", nwritable, NCLI);
  for (i = 0; i < NCLI; i++)
    if (!writable[i]) stalled = i;
  H_CHECK(stalled >= 0); /* a full queue leaves some connect pending */
  H_CHECK(nwritable >= 1);
  /* Accept everything that arrives; every stalled connect then completes. */
  until = h_now_ms() + 15000;
  while (nwritable < NCLI && h_now_ms() < until) {
    int rc;
    while ((rc = riox_try_accept(lst, &acc[naccepted], NULL)) == 0) naccepted++;
    H_EQ(rc, RIOX_EAGAIN);
    if (riox_wait(loop, &ev, 1, 50) == 1 && ev.type == RIOX_EV_READY) {
      i = (int)(intptr_t)ev.ctx;
      H_EQ(ev.ready, RIOX_WRITABLE);
      H_EQ(writable[i], 0);
      writable[i] = 1;
      nwritable++;
    }
  }
  H_EQ(nwritable, NCLI);
  H_EQ(riox_sock_error(cli[stalled]), 0);
  for (i = 0; i < NCLI; i++) H_OK(riox_close(cli[i]));
  for (i = 0; i < naccepted; i++) H_OK(riox_close(acc[i]));
  H_OK(riox_close(lst));
  riox_loop_close(loop);
  return 0;
}

int main(void) { return h_run_readiness("ready_connect_pending", test); }
