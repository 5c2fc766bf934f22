/* The RIO emulator reports misuse loudly (a "rio-emu: MISUSE:" line on
 * stderr, counted by rio_emu_misuse_count), where real RIO would corrupt
 * memory silently:
 *  - two threads inside calls on one CQ at once (RIO does not lock a CQ);
 *  - RIODeregisterBuffer on a buffer a request still uses; that request
 *    still completes, and later posts naming the buffer fail with WSAEFAULT;
 *  - correct, serialized use reports nothing. */
#include "rioconf.h"

#ifdef RIOX_WITH_RIO_EMU
static RIO_CQ shared_cq;
static volatile LONG stop;

static DWORD WINAPI dequeuer(LPVOID arg) {
  RIORESULT r[4];
  (void)arg;
  while (!stop) (void)rc_rio.RIODequeueCompletion(shared_cq, r, 4);
  return 0;
}
#endif

static int test(void) {
#ifdef RIOX_WITH_RIO_EMU
  RIO_CQ cq;
  RIO_RQ rq;
  SOCKET u;
  rc_buf b, b2;
  RIO_BUF s;
  RIORESULT r[4];
  HANDLE th[2];
  unsigned before, start;
  int i;
  rc_init_emulator();
  start = rio_emu_misuse_count();
  cq = rc_cq_poll(16);
  RC_OK(cq != RIO_INVALID_CQ);
  if (rc_buf_make(&b, 4096) != 0 || rc_buf_make(&b2, 4096) != 0) return 1;
  u = rc_udp(NULL);
  H_CHECK(u != INVALID_SOCKET);
  rq = rc_rq(u, 4, 4, cq, NULL);
  RC_OK(rq != RIO_INVALID_RQ);

  /* Serialized use: nothing reported. */
  before = rio_emu_misuse_count();
  s = rc_slice(&b, 0, 100);
  RC_OK(rc_rio.RIOReceive(rq, &s, 1, 0, (void *)1));
  H_EQ(rc_rio.RIODequeueCompletion(cq, r, 4), 0);
  rc_rio.RIODeregisterBuffer(b2.id); /* unused: fine */
  b2.id = RIO_INVALID_BUFFERID;
  H_EQ(rio_emu_misuse_count(), before);

  /* Two threads dequeuing one CQ. */
  printf("expect MISUSE lines below (two threads on one CQ):\n");
  fflush(stdout);
  shared_cq = cq;
  stop = 0;
  for (i = 0; i < 2; i++) th[i] = CreateThread(NULL, 0, dequeuer, NULL, 0, NULL);
  {
    uint64_t until = h_now_ms() + 3000;
    while (rio_emu_misuse_count() == before && h_now_ms() < until) Sleep(5);
  }
  stop = 1;
  WaitForMultipleObjects(2, th, TRUE, INFINITE);
  CloseHandle(th[0]);
  CloseHandle(th[1]);
  H_CHECK(rio_emu_misuse_count() > before);

  /* Deregistering the buffer of the pending receive. */
  before = rio_emu_misuse_count();
  printf("expect one MISUSE line below (deregistering a buffer in use):\n");
  fflush(stdout);
  rc_rio.RIODeregisterBuffer(b.id);
  H_EQ(rio_emu_misuse_count(), before + 1);
  RC_FAILS(rc_rio.RIOReceive(rq, &s, 1, 0, (void *)2), WSAEFAULT);
  rc_close(u);
  H_EQ(rc_dequeue_wait(cq, r, 1, 5000), 1); /* the receive still ends, once */
  H_EQ(r[0].RequestContext, 1);
  H_CHECK(rc_closed_status(r[0].Status));
  H_EQ(rio_emu_outstanding(), 0);
  b.id = RIO_INVALID_BUFFERID;
  rc_rio.RIOCloseCompletionQueue(cq);
  rc_buf_free(&b);
  rc_buf_free(&b2);
  h_expect_misuse(rio_emu_misuse_count() - start); /* all of them on purpose */
  return 0;
#else
  rc_init_emulator(); /* skips: the emulator is not linked */
  return 0;
#endif
}

int main(void) { return h_run_once("rioconf_emu_misuse", test); }
