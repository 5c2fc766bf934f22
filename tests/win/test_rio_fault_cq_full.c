/* RIO backend when its queues cannot grow (faults injected with the
 * emulator's rio_emu_fail_nth): back-pressure is an error code, never a
 * crash or a lost completion (issue 3).
 *  - RIOCreateRequestQueue refused (WSAEINVAL: not retried; a WSAENOBUFS
 *    is retried once after growing the CQ, test_rio_cq_room_late): the
 *    socket's first riox_recv returns the error and posts nothing; the next
 *    one creates the queue;
 *  - the CQ full and RIOResizeCompletionQueue refused: the riox_recv of the
 *    socket that needed the room returns RIOX_ENOBUFS; the sockets already
 *    served keep working; a retry grows the CQ;
 *  - a request queue full and RIOResizeRequestQueue refused (twice: riox
 *    retries a WSAENOBUFS once after growing the CQ): that riox_recv
 *    returns RIOX_ENOBUFS, the ones before it complete; a retry grows it.
 * Faults exist only in the emulator: on iocp (and real RIO) this is a note. */
#include "rioconf.h"

/* 1024 CQ slots at first, 2 x 64 per UDP socket: the ninth needs growth. */
#define FIT 8
#define DEPTH 64

static int test(void) {
#ifdef RIOX_WITH_RIO_EMU
  riox_loop *loop;
  riox_sock *s[FIT + 1];
  riox_addr addr[FIT + 1];
  riox_event ev;
  riox_stats st;
  char *buf, *deep[DEPTH + 1];
  unsigned misuse = rt_misuse();
  h_log *log;
  int i, got = 0;
  if (!rt_is_emulated()) {
    printf("NOTE: %s pass: faults can be injected only into the emulator\n", h_backend);
    return 0;
  }
  rio_emu_reset_faults();
  H_OK(h_loop(&loop, NULL));
  for (i = 0; i <= FIT; i++)
    if (rt_udp(loop, &s[i], &addr[i]) != 0) return 1;

  /* 1. Queue creation refused once. */
  H_OK(riox_buf_get(loop, &buf));
  rio_emu_fail_nth(RIO_EMU_FN_CREATE_RQ, 1, WSAEINVAL);
  H_ERR(riox_recv(s[0], buf, riox_loop_buf_size(loop), NULL), RIOX_EINVAL);
  H_EQ(riox_wait(loop, &ev, 1, 100), 0); /* it posted nothing */
  H_OK(riox_buf_put(loop, buf));
  /* Sockets 0..FIT-1 get their queues: exactly the CQ's first 1024 slots. */
  for (i = 0; i < FIT; i++)
    if (rt_ping(loop, s[(i + 1) % FIT], &addr[i], s[i], (uint32_t)(10 + i)) != 0) return 1;

  /* 2. The ninth needs a bigger CQ, and the resize is refused once. */
  H_OK(riox_buf_get(loop, &buf));
  rio_emu_fail_nth(RIO_EMU_FN_RESIZE_CQ, 1, WSAENOBUFS);
  H_ERR(riox_recv(s[FIT], buf, riox_loop_buf_size(loop), NULL), RIOX_ENOBUFS);
  H_EQ(riox_wait(loop, &ev, 1, 100), 0);
  H_OK(riox_buf_put(loop, buf));
  if (rt_ping(loop, s[1], &addr[0], s[0], 30) != 0) return 1; /* the others serve on */
  if (rt_ping(loop, s[0], &addr[FIT], s[FIT], 31) != 0) return 1; /* retried: grown */

  /* 3. A full request queue whose growth is refused. */
  for (i = 0; i < DEPTH; i++) {
    H_OK(riox_buf_get(loop, &deep[i]));
    H_OK(riox_recv(s[2], deep[i], riox_loop_buf_size(loop), (void *)(uintptr_t)i));
  }
  H_OK(riox_buf_get(loop, &deep[DEPTH]));
  /* Refused twice: riox retries a WSAENOBUFS once, after growing the CQ. */
  rio_emu_fail_nth(RIO_EMU_FN_RESIZE_RQ, 1, WSAENOBUFS);
  rio_emu_fail_nth(RIO_EMU_FN_RESIZE_RQ, 2, WSAENOBUFS);
  H_ERR(riox_recv(s[2], deep[DEPTH], riox_loop_buf_size(loop), (void *)(uintptr_t)DEPTH),
        RIOX_ENOBUFS);
  H_OK(riox_recv(s[2], deep[DEPTH], riox_loop_buf_size(loop), (void *)(uintptr_t)DEPTH));
  for (i = 0; i <= DEPTH; i++) {
    char *b;
    H_OK(riox_buf_get(loop, &b));
    h_fill(b, 20, (uint32_t)(500 + i));
    H_OK(riox_sendto(s[3], b, 20, &addr[2], RIOX_SEND_DEFER, NULL));
  }
  log = (h_log *)calloc(1, sizeof *log);
  H_CHECK(log != NULL);
  h_collect(loop, RIOX_EV_RECV, DEPTH + 1, log, 10000);
  for (i = 0; i < log->n; i++) {
    const riox_event *e = &log->ev[i];
    H_EQ(e->status, 0);
    if (e->type == RIOX_EV_RECV) {
      H_EQ((uintptr_t)e->ctx, got);
      H_EQ(h_verify(e->data, 20, (uint32_t)(500 + got)), 0);
      got++;
    }
    H_OK(riox_buf_put(loop, e->data));
  }
  H_EQ(got, DEPTH + 1);
  for (i = rt_count(log, RIOX_EV_SEND, s[3]); i < DEPTH + 1; i++) {
    H_EQ(h_wait_for(loop, RIOX_EV_SEND, s[3], &ev, NULL, 5000), 0);
    H_EQ(ev.status, 0);
    H_OK(riox_buf_put(loop, ev.data));
  }
  free(log);

  riox_loop_stats(loop, &st);
  H_EQ(st.req_in_use, 0);
  H_EQ(st.buf_in_use, 0);
  for (i = 0; i <= FIT; i++)
    if (rt_close(loop, s[i]) != 0) return 1;
  riox_loop_close(loop);
  H_EQ(rt_outstanding(), 0);
  H_EQ(rt_misuse(), misuse);
  return 0;
#else
  rt_skip_without_emulator();
  return 1;
#endif
}

int main(void) { return h_run("rio_fault_cq_full", test); }
