/* The UDP ICMP swallow is bounded (issue 9, item 9; riox.h, "UDP and ICMP").
 *
 * By default a UDP receive whose completion only reports an ICMP error is
 * posted again silently. It used to be re-posted from inside the dispatch,
 * and a re-post that failed at once with the same status went back on the
 * inline list and was swallowed again: riox_wait never returned. Now:
 *  - refail: the receive's completion reports an ICMP error (a real one: a
 *    datagram to a closed port from a connected socket), and every re-post
 *    fails at once with WSAECONNRESET (injected). riox_wait keeps returning
 *    within its timeout, the receive gets exactly one event -- that
 *    immediate failure, RIOX_ECONNRESET -- after exactly one re-post, and one
 *    report was swallowed (icmp_errors 1).
 *    IOCP: the failure is injected through the socket-call table (src/win/
 *    ws.h: WSARecvFrom), which also turns SIO_UDP_CONNRESET back on so that
 *    Windows reports the ICMP as Wine does; the RIO emulator: RIOReceiveEx
 *    fails (rio_emu_fail_nth). Real RIO offers no way to inject it.
 *  - streak (RIO emulator only: its receives can be made to complete with a
 *    status, rio_emu_complete_nth; an IOCP completion cannot be faked from
 *    the table): reports arriving as completions are swallowed at most
 *    SOCK_ICMP_SWALLOW_MAX (16) times in a row, then the next is delivered;
 *    a datagram in between starts the count again.
 * Under the old code the refail case spins: the table stops failing after
 * 1000 calls (the emulator after 48) so the test ends, and then fails. */
#include "rioconf.h"

#include "riox_test.h"

#define SPIN_CAP 1000
#define EMU_FAULTS 48
#define SWALLOW_MAX 16 /* SOCK_ICMP_SWALLOW_MAX, src/core/core.h */

static const ws_api_t *m_base;
static ws_api_t m_api;
static SOCKET m_target = INVALID_SOCKET;
static int m_armed;
static long m_calls;

static int WINAPI m_wsarecvfrom(SOCKET s, LPWSABUF bufs, DWORD n, LPDWORD bytes, LPDWORD flags,
                                struct sockaddr *from, LPINT from_len, LPWSAOVERLAPPED ov,
                                LPWSAOVERLAPPED_COMPLETION_ROUTINE cr) {
  if (m_armed && m_target == INVALID_SOCKET) m_target = s;
  if (s == m_target) {
    m_calls++;
    if (m_calls == 1) {
      /* riox turned reports off (SIO_UDP_CONNRESET); Windows needs them on
       * to report the ICMP as a failed receive, as Wine always does on a
       * connected socket. */
      BOOL on = TRUE;
      DWORD got = 0;
      (void)WSAIoctl(s, SIO_UDP_CONNRESET, &on, sizeof on, NULL, 0, &got, NULL, NULL);
    } else if (m_calls <= SPIN_CAP) {
      WSASetLastError(WSAECONNRESET); /* the re-post fails at once */
      return SOCKET_ERROR;
    }
  }
  if (m_base != NULL && m_base->wsa_recvfrom != NULL)
    return m_base->wsa_recvfrom(s, bufs, n, bytes, flags, from, from_len, ov, cr);
  return WSARecvFrom(s, bufs, n, bytes, flags, from, from_len, ov, cr);
}

static int is_backend(const char *name) { return strcmp(h_backend, name) == 0; }

/* A port nobody listens on. */
static int closed_port(riox_loop *loop, riox_addr *out) {
  riox_addr any = h_v4(0);
  riox_sock *s;
  riox_event ev;
  H_OK(riox_udp_open(loop, &any, NULL, 0, NULL, &s));
  H_OK(riox_sock_local(s, out));
  H_OK(riox_close(s));
  H_EQ(h_wait_for(loop, RIOX_EV_CLOSE, s, &ev, NULL, 5000), 0);
  return 0;
}

/* Run riox_wait for up to ms, each call bounded; every event of s is
 * appended to evs. Stops 200 ms after `stop_type` arrived for s. */
static int run(riox_loop *loop, riox_sock *s, uint32_t stop_type, int ms, riox_event *evs, int *nev,
               int max) {
  uint64_t until = h_now_ms() + (uint64_t)ms, stop_at = 0;
  while (h_now_ms() < until && (stop_at == 0 || h_now_ms() < stop_at)) {
    riox_event got[16];
    uint64_t t0 = h_now_ms();
    int n = riox_wait(loop, got, 16, 100), i;
    uint64_t took = h_now_ms() - t0;
    H_CHECK(n >= 0);
    if (took > 2000) {
      H_FAIL("riox_wait(timeout 100 ms) took %llu ms: the swallow kept it busy",
             (unsigned long long)took);
      return 1;
    }
    for (i = 0; i < n; i++) {
      if (got[i].sock != s) continue;
      if (*nev < max) evs[(*nev)++] = got[i];
      if (got[i].type == stop_type && stop_at == 0) stop_at = h_now_ms() + 200;
    }
  }
  return 0;
}

static int refail(void) {
  riox_loop *loop;
  riox_sock *s;
  riox_addr any = h_v4(0), closed;
  riox_event evs[16], ev;
  riox_stats st0, st;
  char *rbuf, *sbuf;
  unsigned long c0 = 0;
  int nev = 0, i, recvs = 0, sends = 0;
  long calls;
  if (is_backend("rio")) {
    printf("refail [rio]: real RIO cannot be made to fail a re-post; checked on iocp and the "
           "emulator\n");
    return 0;
  }
  H_OK(h_loop(&loop, NULL));
  if (closed_port(loop, &closed) != 0) return 1;
  H_OK(riox_udp_open(loop, &any, &closed, 0, (void *)0x5c, &s));
  m_base = NULL;
#ifdef RIOX_WITH_RIO_EMU
  if (is_backend("rio-emulated")) {
    unsigned k;
    c0 = rio_emu_calls(RIO_EMU_FN_RECEIVEEX);
    /* Call 1 is the post, 2 on the re-posts. */
    for (k = 2; k < 2 + EMU_FAULTS; k++) rio_emu_fail_nth(RIO_EMU_FN_RECEIVEEX, k, WSAECONNRESET);
  }
#endif
  if (is_backend("iocp")) {
    memset(&m_api, 0, sizeof m_api);
    m_api.wsa_recvfrom = m_wsarecvfrom;
    m_target = INVALID_SOCKET;
    m_calls = 0;
    m_armed = 1;
    riox_test_set_sockapi(&m_api);
  }
  riox_loop_stats(loop, &st0);
  H_OK(riox_buf_get(loop, &rbuf));
  H_OK(riox_buf_get(loop, &sbuf));
  H_OK(riox_recv(s, rbuf, riox_loop_buf_size(loop), (void *)1));
  /* RIO commits the receive in the next wait: let it reach the OS before
   * the datagram whose ICMP answer it must see. */
  H_EQ(riox_wait(loop, &ev, 1, 0), 0);
  H_OK(riox_send(s, sbuf, 16, 0, (void *)2));
  if (run(loop, s, RIOX_EV_RECV, 5000, evs, &nev, 16) != 0) return 1;
  riox_loop_stats(loop, &st);
#ifdef RIOX_WITH_RIO_EMU
  if (is_backend("rio-emulated")) {
    calls = (long)(rio_emu_calls(RIO_EMU_FN_RECEIVEEX) - c0);
    rio_emu_reset_faults();
  } else
#endif
  {
    calls = m_calls;
    m_armed = 0;
    riox_test_set_sockapi(NULL);
  }
  printf("refail [%s]: %d event(s), %ld receive post(s), %llu report(s) swallowed\n", h_backend,
         nev, calls, (unsigned long long)(st.icmp_errors - st0.icmp_errors));
  for (i = 0; i < nev; i++) {
    if (evs[i].type == RIOX_EV_SEND) {
      H_EQ(evs[i].status, 0);
      sends++;
    } else if (evs[i].type == RIOX_EV_RECV) {
      H_CHECK(evs[i].ctx == (void *)1);
      H_CHECK(evs[i].data == rbuf);
      H_ERR(evs[i].status, RIOX_ECONNRESET);
      H_EQ(evs[i].len, 0);
      recvs++;
    } else {
      H_FAIL("unexpected event type %u status %d", evs[i].type, evs[i].status);
      return 1;
    }
  }
  H_EQ(sends, 1);
  if (recvs != 1) {
    H_FAIL("the receive got %d events after %ld posts: a swallowed re-post that fails at once "
           "must be delivered, once",
           recvs, calls);
    return 1;
  }
  H_EQ(calls, 2); /* the post, and one re-post */
  H_EQ(st.icmp_errors - st0.icmp_errors, 1);
  H_OK(riox_close(s));
  nev = 0;
  if (run(loop, s, RIOX_EV_CLOSE, 5000, evs, &nev, 16) != 0) return 1;
  H_EQ(nev, 1);
  H_EQ(evs[0].type, RIOX_EV_CLOSE);
  H_OK(riox_buf_put(loop, rbuf));
  H_OK(riox_buf_put(loop, sbuf));
  riox_loop_close(loop);
  return 0;
}

#ifdef RIOX_WITH_RIO_EMU
/* `reports` completions with WSAECONNRESET are armed for the next receive
 * posts; the receive (ctx) is posted; then, if `datagram`, one datagram
 * from peer arrives. Returns the receive's event in *out. */
static int swallow_round(riox_loop *loop, riox_sock *s, riox_sock *peer, const riox_addr *to,
                         unsigned reports, int datagram, char *rbuf, riox_event *out) {
  riox_event evs[16];
  int nev = 0, i, found = 0;
  unsigned k;
  for (k = 1; k <= reports; k++) rio_emu_complete_nth(RIO_EMU_FN_RECEIVEEX, k, WSAECONNRESET);
  H_OK(riox_recv(s, rbuf, riox_loop_buf_size(loop), (void *)1));
  if (datagram) {
    char *buf;
    /* Let the reports be swallowed first (each waits for the next wait). */
    if (run(loop, s, RIOX_EV_RECV, 500, evs, &nev, 16) != 0) return 1;
    H_EQ(nev, 0);
    H_OK(riox_buf_get(loop, &buf));
    h_fill(buf, 40, 7);
    H_OK(riox_sendto(peer, buf, 40, to, 0, NULL));
  }
  if (run(loop, s, RIOX_EV_RECV, 5000, evs, &nev, 16) != 0) return 1;
  for (i = 0; i < nev; i++) {
    if (evs[i].type != RIOX_EV_RECV) continue;
    found++;
    *out = evs[i];
  }
  H_EQ(found, 1);
  rio_emu_reset_faults();
  return 0;
}
#endif

static int streak(void) {
#ifdef RIOX_WITH_RIO_EMU
  riox_loop *loop;
  riox_sock *s, *peer;
  riox_addr any = h_v4(0), local;
  riox_event ev;
  riox_stats st0, st;
  char *rbuf;
  unsigned long c0;
  if (!is_backend("rio-emulated")) {
    printf("streak [%s]: needs the RIO emulator's completion fault; checked on rio-emulated\n",
           h_backend);
    return 0;
  }
  H_OK(h_loop(&loop, NULL));
  H_OK(riox_udp_open(loop, &any, NULL, 0, NULL, &s));
  H_OK(riox_udp_open(loop, &any, NULL, 0, NULL, &peer));
  H_OK(riox_sock_local(s, &local));
  H_OK(riox_buf_get(loop, &rbuf));

  /* A run of reports: SWALLOW_MAX swallowed, the next delivered. */
  riox_loop_stats(loop, &st0);
  c0 = rio_emu_calls(RIO_EMU_FN_RECEIVEEX);
  if (swallow_round(loop, s, peer, &local, SWALLOW_MAX + 1, 0, rbuf, &ev) != 0) return 1;
  riox_loop_stats(loop, &st);
  printf("streak: %lu posts, %llu swallowed, then status %s\n",
         rio_emu_calls(RIO_EMU_FN_RECEIVEEX) - c0,
         (unsigned long long)(st.icmp_errors - st0.icmp_errors), riox_err_name(ev.status));
  H_ERR(ev.status, RIOX_ECONNRESET);
  H_EQ(ev.len, 0);
  H_EQ(st.icmp_errors - st0.icmp_errors, SWALLOW_MAX);
  H_EQ(rio_emu_calls(RIO_EMU_FN_RECEIVEEX) - c0, SWALLOW_MAX + 1);

  /* A datagram ends a streak: SWALLOW_MAX - 1 reports then a datagram, and
   * again, are all swallowed -- more than SWALLOW_MAX in all. */
  riox_loop_stats(loop, &st0);
  if (swallow_round(loop, s, peer, &local, SWALLOW_MAX - 1, 1, rbuf, &ev) != 0) return 1;
  H_EQ(ev.status, 0);
  H_EQ(ev.len, 40);
  H_EQ(h_verify(ev.data, 40, 7), 0);
  if (swallow_round(loop, s, peer, &local, SWALLOW_MAX - 1, 1, rbuf, &ev) != 0) return 1;
  H_EQ(ev.status, 0);
  riox_loop_stats(loop, &st);
  H_EQ(st.icmp_errors - st0.icmp_errors, 2 * (SWALLOW_MAX - 1));
  riox_loop_close(loop);
  return 0;
#else
  printf("streak: the RIO emulator is not linked; not checked\n");
  return 0;
#endif
}

static int test(void) {
  int fails = 0;
  fails += refail();
  fails += streak();
  return fails != 0;
}

int main(void) { return h_run("udp_icmp_swallow_bounded", test); }
