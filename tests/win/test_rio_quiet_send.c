/* A UDP send posted while the loop's RIONotify is armed still gets its
 * event at once, and nothing is left behind (src/rio/rio_rq.c, "Quiet
 * sends": such a send goes with RIO_MSG_DONT_NOTIFY, whose completion never
 * fires the notification, so the loop must not sleep while it is out).
 *
 * One loop, sockets a and b. A receive on a stays posted and nothing is
 * sent to a, so the first riox_wait times out with the notification armed.
 * Then ROUNDS sends a -> b, immediate and deferred alternately, each one
 * waited for with a long timeout: its SEND event must come well within it
 * (the wait may not sleep on the completion), and b receives every
 * datagram. On iocp the same steps run as a reference. */
#include "rioconf.h"

#define ROUNDS 20

static int quiet(void) {
  riox_loop *loop;
  riox_sock *a, *b;
  riox_addr aa, ba;
  riox_event evs[16];
  char *ra, *rb, *tx;
  int i, n, got = 0;
  H_OK(h_loop(&loop, NULL));
  if (rt_udp(loop, &a, &aa) != 0 || rt_udp(loop, &b, &ba) != 0) return 1;
  if (rt_ping(loop, a, &ba, b, 1) != 0) return 1; /* attach both */
  H_OK(riox_buf_get(loop, &ra));
  H_OK(riox_buf_get(loop, &rb));
  H_OK(riox_buf_get(loop, &tx));
  H_OK(riox_recv(a, ra, riox_loop_buf_size(loop), NULL)); /* never completes before the close */
  H_EQ(riox_wait(loop, evs, 16, 50), 0);                   /* armed, timed out */
  for (i = 0; i < ROUNDS; i++) {
    uint64_t t0 = h_now_ms();
    int sent = 0;
    h_fill(tx, 64, (uint32_t)i);
    H_OK(riox_sendto(a, tx, 64, &ba, i % 2 ? RIOX_SEND_DEFER : 0, NULL));
    while (!sent && h_now_ms() - t0 < 5000) {
      int j;
      n = riox_wait(loop, evs, 16, 5000);
      H_CHECK(n >= 0);
      for (j = 0; j < n; j++) {
        H_EQ(evs[j].status, 0);
        H_EQ(evs[j].type, RIOX_EV_SEND);
        H_CHECK(evs[j].sock == a);
        sent = 1;
      }
    }
    if (!sent || h_now_ms() - t0 > 1000) {
      H_FAIL("send %d: its event took %llu ms (sent %d): the wait slept on its completion", i,
             (unsigned long long)(h_now_ms() - t0), sent);
      return 1;
    }
    /* Between sends the loop waits again with the notification armed. */
    H_EQ(riox_wait(loop, evs, 16, 20), 0);
  }
  /* Every datagram reached b, in order. */
  for (i = 0; i < ROUNDS; i++) {
    riox_event ev;
    H_OK(riox_recv(b, rb, riox_loop_buf_size(loop), NULL));
    H_EQ(h_wait_for(loop, RIOX_EV_RECV, b, &ev, NULL, 5000), 0);
    H_EQ(ev.status, 0);
    H_EQ(ev.len, 64);
    H_EQ(h_verify(ev.data, 64, (uint32_t)i), 0);
    got++;
  }
  H_EQ(got, ROUNDS);
  H_OK(riox_buf_put(loop, rb));
  H_OK(riox_buf_put(loop, tx));
  /* The receive on a ends with the close (cancelled), then everything is back. */
  if (rt_close(loop, a) != 0 || rt_close(loop, b) != 0) return 1;
  riox_loop_close(loop);
  return 0;
}

int main(void) { return h_run("rio_quiet_send", quiet); }
