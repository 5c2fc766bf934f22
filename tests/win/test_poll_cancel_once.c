/* Regression (issue 9, item 12, second part): a pending AFD poll was
 * cancelled again at every interest change, and again at riox_close, until
 * its packet came back: the poll's status stays STATUS_PENDING until the
 * cancellation completes, so afd_cancel could not tell it had been asked,
 * and each NtCancelIoFileEx makes the driver walk the group's polls. Each
 * poll now carries a "cancel requested" mark.
 *
 * The test holds the first NtCancelIoFileEx (seen through the socket seam,
 * wshook.h, and made for real only later), so the poll stays pending for
 * as long as the test needs, which a fast host would not give it. On both
 * loops:
 *  - modify, wait, modify again, wait: one cancel, not two; once it is let
 *    through, the poll comes back and is resubmitted with the latest
 *    interest (WRITABLE is reported);
 *  - modify, wait, riox_close: one cancel, not two; the close completes. */
#include "wshook.h"

static ws_api_t t_api;
static int t_cancels;
static HANDLE t_held_file;
static PVOID t_held_iosb;

static LONG NTAPI t_nt_cancel(HANDLE file, PVOID iosb, PVOID cancel_iosb) {
  t_cancels++;
  if (t_held_iosb == NULL) {
    /* Hold it: the poll stays pending until release(). */
    t_held_file = file;
    t_held_iosb = iosb;
    (void)cancel_iosb;
    return 0;
  }
  return wh_nt_cancel(file, iosb, cancel_iosb);
}

static void release(void) {
  ULONG_PTR ciosb[2];
  if (t_held_iosb != NULL) (void)wh_nt_cancel(t_held_file, t_held_iosb, ciosb);
  t_held_iosb = NULL;
}

static void pump(riox_loop *loop) {
  riox_event ev[4];
  (void)riox_wait(loop, ev, 4, 0); /* flushes interest changes; nothing is ready */
}

static int modify_twice(riox_loop *loop) {
  riox_sock *r;
  riox_addr lo = h_v4(0);
  riox_event ev;
  H_OK(riox_udp_open(loop, &lo, NULL, RIOX_SOCK_READINESS, NULL, &r));
  t_cancels = 0;
  H_OK(riox_watch(r, RIOX_READABLE, NULL));
  pump(loop); /* the READABLE poll is pending: no datagram */
  H_OK(riox_watch_modify(r, RIOX_RDHUP, NULL));
  pump(loop);
  H_EQ(t_cancels, 1);
  H_CHECK(t_held_iosb != NULL);
  H_OK(riox_watch_modify(r, RIOX_READABLE | RIOX_WRITABLE, NULL));
  pump(loop);
  if (t_cancels != 1) {
    H_FAIL("%d NtCancelIoFileEx calls for one pending poll (modified twice before it came back)", t_cancels);
    return 1;
  }
  release();
  if (h_wait_for(loop, RIOX_EV_READY, r, &ev, NULL, 5000) != 0) {
    H_FAIL("the cancelled poll was not resubmitted with the latest interest: no WRITABLE");
    return 1;
  }
  H_CHECK((ev.ready & RIOX_WRITABLE) != 0);
  H_EQ(t_cancels, 1);
  H_OK(riox_close(r));
  H_EQ(h_wait_for(loop, RIOX_EV_CLOSE, r, &ev, NULL, 5000), 0);
  return 0;
}

static int close_while_cancelling(riox_loop *loop) {
  riox_sock *r;
  riox_addr lo = h_v4(0);
  riox_event ev;
  H_OK(riox_udp_open(loop, &lo, NULL, RIOX_SOCK_READINESS, NULL, &r));
  t_cancels = 0;
  H_OK(riox_watch(r, RIOX_READABLE, NULL));
  pump(loop);
  H_OK(riox_watch_modify(r, RIOX_RDHUP, NULL));
  pump(loop);
  H_EQ(t_cancels, 1);
  H_OK(riox_close(r));
  if (t_cancels != 1) {
    H_FAIL("riox_close cancelled a poll whose cancellation was already requested (%d calls)", t_cancels);
    return 1;
  }
  release();
  H_EQ(h_wait_for(loop, RIOX_EV_CLOSE, r, &ev, NULL, 5000), 0);
  return 0;
}

static int test(void) {
  riox_loop *loop;
  int rc;
  wh_begin(&t_api);
  t_api.nt_cancel = t_nt_cancel;
  t_held_iosb = NULL;
  wh_install(&t_api);
  H_OK(h_loop(&loop, NULL));
  rc = modify_twice(loop) || close_while_cancelling(loop);
  release();
  if (rc) return 1;
  riox_loop_close(loop);
  wh_end();
  return 0;
}

int main(void) { return h_run("poll_cancel_once", test); }
