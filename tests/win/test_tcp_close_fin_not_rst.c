/* riox_close on a TCP connection ends with FIN, never RST (issue 9, item 4).
 *
 * Winsock closes a connection gracefully only when no receive is pending or
 * the socket was shut down for sending first; riox_close used to cancel and
 * close at once, so a connection with a receive posted (on RIO: always, in
 * practice) was reset. Checked, on both backends, from the closing side and
 * from the peer:
 *  - riox_close alone, by the connecting and by the accepted side, and
 *    riox_shutdown + riox_close: the closing socket has a receive pending and
 *    a few MiB of sends issued at a peer that only starts reading after the
 *    close. Every send posted without RIOX_SEND_DEFER completes with status
 *    0 (riox_close lets them finish, in order), a deferred send still held
 *    at the close (waiting behind them) is cancelled, the receive ends
 *    RIOX_ECANCELED, a SHUTDOWN reports 0, CLOSE comes last. The peer reads
 *    exactly the bytes of the successful sends, in order, then RIOX_EOF --
 *    never RIOX_ECONNRESET.
 *  - the linger is bounded: with the peer not reading at all, CLOSE still
 *    comes soon after the bound (shortened here with
 *    riox_test_set_close_linger_ms); the peer then reads an unbroken prefix.
 *  - riox_abort still resets: the peer's receive fails with RIOX_ECONNRESET.
 *
 * Wine does not reset a connection closed with a receive pending, so the old
 * code would pass there. This test therefore installs a socket-call table
 * (src/win/ws.h) that models Windows under Wine: a closesocket of a socket
 * not shut down for sending, while a receive is pending on it (or was when
 * the socket's I/O was cancelled just before -- the old riox_close), is
 * made abortive (SO_LINGER 0), so the peer sees the reset Windows would
 * send. "A receive is pending" is known from the overlapped WSARecv calls
 * the table sees (IOCP) or from the RIO emulator (rio_emu_recv_in_flight).
 * On Windows the table only watches: the OS shows the real behaviour. */
#include "rioconf.h"

#include "riox_test.h"

#define SLOT (64u * 1024u)
#define NSEND 96   /* 6 MiB issued at a peer that is not reading yet */
#define NBIG 256   /* 16 MiB for the linger bound: more than loopback buffers hold */
#define LINGER_MS 300u

#define CTX_RECV ((void *)0x7001)
#define CTX_SHUT ((void *)0x7002)
#define CTX_SEND(k) ((void *)(uintptr_t)(0x100 + (k)))

/* ------------------------------------------------ the Windows model */

#define M_MAX 1024
#define M_STATUS_PENDING 0x103u

static const ws_api_t *m_base; /* the table below ours: the emulator's, or NULL (the OS) */
static ws_api_t m_api;
static struct {
  SOCKET s;
  OVERLAPPED *ov;
} m_recv[M_MAX];
static int m_nrecv;
static SOCKET m_shut[M_MAX], m_doomed[M_MAX];
static int m_nshut, m_ndoomed;
static int m_model;      /* turn such closes into resets (under Wine only) */
static int m_resets;     /* closes the model made abortive */
static int m_fin_recv;   /* closes with a receive pending after shutdown(SD_SEND) */

static int under_wine(void) {
  HMODULE ntdll = GetModuleHandleA("ntdll.dll");
  return ntdll != NULL && GetProcAddress(ntdll, "wine_get_version") != NULL;
}

static int m_has(const SOCKET *set, int n, SOCKET s) {
  int i;
  for (i = 0; i < n; i++)
    if (set[i] == s) return 1;
  return 0;
}

static void m_add(SOCKET *set, int *n, SOCKET s) {
  if (!m_has(set, *n, s) && *n < M_MAX) set[(*n)++] = s;
}

static void m_del(SOCKET *set, int *n, SOCKET s) {
  int i;
  for (i = 0; i < *n; i++)
    if (set[i] == s) set[i--] = set[--(*n)];
}

static void m_forget_ov(const OVERLAPPED *ov) {
  int i;
  for (i = 0; i < m_nrecv; i++)
    if (m_recv[i].ov == ov) m_recv[i--] = m_recv[--m_nrecv];
}

static void m_forget_sock(SOCKET s) {
  int i;
  for (i = 0; i < m_nrecv; i++)
    if (m_recv[i].s == s) m_recv[i--] = m_recv[--m_nrecv];
  m_del(m_shut, &m_nshut, s);
  m_del(m_doomed, &m_ndoomed, s);
}

/* A receive the OS holds on s right now. */
static int m_recv_pending(SOCKET s) {
  int i;
#ifdef RIOX_WITH_RIO_EMU
  if (m_base != NULL && rio_emu_recv_in_flight((unsigned long long)s) > 0) return 1;
#endif
  for (i = 0; i < m_nrecv; i++)
    if (m_recv[i].s == s && (uint32_t)m_recv[i].ov->Internal == M_STATUS_PENDING) return 1;
  return 0;
}

static int WINAPI m_wsarecv(SOCKET s, LPWSABUF bufs, DWORD n, LPDWORD bytes, LPDWORD flags,
                            LPWSAOVERLAPPED ov, LPWSAOVERLAPPED_COMPLETION_ROUTINE cr) {
  int rc, err;
  m_forget_ov(ov);
  /* Windows writes STATUS_PENDING here when the I/O starts, Wine only the
   * final status at the end: set it, so "still pending" reads the same. */
  ov->Internal = M_STATUS_PENDING;
  rc = m_base != NULL && m_base->wsa_recv != NULL ? m_base->wsa_recv(s, bufs, n, bytes, flags, ov, cr)
                                                 : WSARecv(s, bufs, n, bytes, flags, ov, cr);
  err = WSAGetLastError();
  if (rc == SOCKET_ERROR && err == WSA_IO_PENDING && m_nrecv < M_MAX) {
    m_recv[m_nrecv].s = s;
    m_recv[m_nrecv].ov = ov;
    m_nrecv++;
  }
  WSASetLastError(err);
  return rc;
}

static int WINAPI m_shutdown(SOCKET s, int how) {
  int rc = m_base != NULL && m_base->shutdown != NULL ? m_base->shutdown(s, how) : shutdown(s, how);
  int err = WSAGetLastError();
  if (rc == 0 && (how == SD_SEND || how == SD_BOTH)) m_add(m_shut, &m_nshut, s);
  WSASetLastError(err);
  return rc;
}

/* The old riox_close cancelled the receive and closed at once; Windows
 * resets that connection (issue 9), whether the receive was still pending at
 * the closesocket or only at the cancel just before. */
static BOOL WINAPI m_cancel_io(HANDLE h, LPOVERLAPPED ov) {
  SOCKET s = (SOCKET)h;
  if (!m_has(m_shut, m_nshut, s) && m_recv_pending(s)) m_add(m_doomed, &m_ndoomed, s);
  return m_base != NULL && m_base->cancel_io != NULL ? m_base->cancel_io(h, ov) : CancelIoEx(h, ov);
}

static int WINAPI m_close(SOCKET s) {
  int pending = m_recv_pending(s), shut = m_has(m_shut, m_nshut, s);
  if (pending && shut) m_fin_recv++;
  if (m_model && !shut && (pending || m_has(m_doomed, m_ndoomed, s))) {
    struct linger lg;
    lg.l_onoff = 1;
    lg.l_linger = 0;
    (void)setsockopt(s, SOL_SOCKET, SO_LINGER, (const char *)&lg, sizeof lg);
    m_resets++;
  }
  m_forget_sock(s);
  return m_base != NULL && m_base->close != NULL ? m_base->close(s) : closesocket(s);
}

static void m_install(void) {
  m_base = NULL;
#ifdef RIOX_WITH_RIO_EMU
  if (strcmp(h_backend, "rio-emulated") == 0) m_base = (const ws_api_t *)rio_emu_sockapi();
#endif
  if (m_base != NULL)
    m_api = *m_base;
  else
    memset(&m_api, 0, sizeof m_api);
  m_api.wsa_recv = m_wsarecv;
  m_api.shutdown = m_shutdown;
  m_api.cancel_io = m_cancel_io;
  m_api.close = m_close;
  m_nrecv = m_nshut = m_ndoomed = 0;
  m_resets = m_fin_recv = 0;
  m_model = under_wine();
  riox_test_set_sockapi(&m_api);
}

static void m_remove(void) { riox_test_set_sockapi(m_base); }

/* ------------------------------------------------------------ helpers */

static h_log evlog;

static int in_log(uint32_t type, riox_sock *s) {
  int i;
  for (i = 0; i < evlog.n; i++)
    if (evlog.ev[i].type == type && evlog.ev[i].sock == s) return 1;
  return 0;
}

/* Run the loop until s's CLOSE is in evlog (within ms). */
static int until_closed(riox_loop *loop, riox_sock *s, int ms) {
  uint64_t until = h_now_ms() + (uint64_t)ms;
  while (!in_log(RIOX_EV_CLOSE, s)) {
    if (h_now_ms() >= until) {
      H_FAIL("no CLOSE event within %d ms", ms);
      return 1;
    }
    h_collect(loop, 0, 1 << 30, &evlog, 50);
  }
  return 0;
}

/* The peer reads until the stream ends; the bytes must follow the sender's
 * patterns (send k: SLOT bytes of h_fill seed 1000 + k) without a hole.
 * *total gets the bytes, *end the status that ended the stream. */
static int drain(riox_loop *loop, riox_sock *peer, int nsend, uint64_t *total, int *end) {
  static char expect[SLOT];
  int cur = -1;
  char *buf;
  riox_event ev;
  uint64_t until = h_now_ms() + 60000;
  *total = 0;
  H_OK(riox_buf_get(loop, &buf));
  for (;;) {
    uint32_t done = 0;
    H_OK(riox_recv(peer, buf, SLOT, NULL));
    /* Other events stay kept for until_closed's h_collect, which logs them. */
    H_EQ(h_wait_for(loop, RIOX_EV_RECV, peer, &ev, NULL, 10000), 0);
    if (ev.status != 0) break;
    while (done < ev.len) {
      uint64_t at_all = *total + done;
      uint32_t k = (uint32_t)(at_all / SLOT), at = (uint32_t)(at_all % SLOT);
      uint32_t n = SLOT - at < ev.len - done ? SLOT - at : ev.len - done;
      H_CHECK((int)k < nsend + 1);
      if ((int)k != cur) {
        h_fill(expect, SLOT, 1000 + k);
        cur = (int)k;
      }
      if (memcmp(ev.data + done, expect + at, n) != 0) {
        H_FAIL("stream byte %llu (send %u, offset %u) differs: a hole or reordering",
               (unsigned long long)at_all, k, at);
        return 1;
      }
      done += n;
    }
    *total += ev.len;
    H_CHECK(h_now_ms() < until);
  }
  *end = ev.status;
  H_OK(riox_buf_put(loop, buf));
  return 0;
}

static int make_loop(riox_loop **loop, int nbuf) {
  riox_loop_config cfg;
  h_config(&cfg);
  cfg.buf_size = SLOT;
  cfg.buf_count = (uint32_t)nbuf + 8;
  H_OK(h_loop(loop, &cfg));
  return 0;
}

/* Post nsend sends of SLOT bytes (the last `deferred` ones RIOX_SEND_DEFER). */
static int post_sends(riox_loop *loop, riox_sock *s, int nsend, int deferred) {
  int k;
  for (k = 0; k < nsend; k++) {
    char *buf;
    H_OK(riox_buf_get(loop, &buf));
    h_fill(buf, SLOT, 1000 + (uint32_t)k);
    H_OK(riox_send(s, buf, SLOT, k >= nsend - deferred ? RIOX_SEND_DEFER : 0, CTX_SEND(k)));
  }
  return 0;
}

/* The closing socket's events in evlog: one per operation, CLOSE last.
 * Sends k < issued must have succeeded; the rest (deferred) per `deferred_ok`
 * (1: status 0, 0: RIOX_ECANCELED, -1: either). *sent = bytes reported sent. */
static int check_closer(riox_loop *loop, riox_sock *s, int nsend, int issued, int deferred_ok,
                        int shut, uint64_t *sent) {
  int i, n = 0, closes = 0, recvs = 0, shuts = 0, seen[NBIG + 1];
  memset(seen, 0, sizeof seen);
  *sent = 0;
  for (i = 0; i < evlog.n; i++) {
    const riox_event *e = &evlog.ev[i];
    if (e->sock != s) continue;
    n++;
    if (closes > 0) {
      H_FAIL("event type %u status %d after the CLOSE", e->type, e->status);
      return 1;
    }
    if (e->type == RIOX_EV_CLOSE) {
      closes++;
    } else if (e->type == RIOX_EV_RECV) {
      H_CHECK(e->ctx == CTX_RECV);
      H_ERR(e->status, RIOX_ECANCELED);
      H_EQ(e->len, 0);
      H_OK(riox_buf_put(loop, e->data));
      recvs++;
    } else if (e->type == RIOX_EV_SHUTDOWN) {
      H_CHECK(e->ctx == CTX_SHUT);
      /* riox_close let the sends finish, so the half-close happened too. */
      H_EQ(e->status, 0);
      shuts++;
    } else {
      int k = (int)((uintptr_t)e->ctx - 0x100);
      H_EQ(e->type, RIOX_EV_SEND);
      H_CHECK(k >= 0 && k < nsend);
      H_EQ(seen[k], 0);
      seen[k] = 1;
      if (k < issued) {
        if (e->status != 0) {
          H_FAIL("issued send %d ended %d %s: riox_close must let it finish", k, e->status,
                 riox_err_name(e->status));
          return 1;
        }
      } else if (deferred_ok == 1) {
        H_EQ(e->status, 0);
      } else if (deferred_ok == 0) {
        H_ERR(e->status, RIOX_ECANCELED);
      } else if (e->status != 0) {
        H_ERR(e->status, RIOX_ECANCELED);
      }
      if (e->status == 0) {
        H_EQ(e->len, SLOT);
        *sent += e->len;
      }
      H_OK(riox_buf_put(loop, e->data));
    }
  }
  for (i = 0; i < nsend; i++)
    if (!seen[i]) {
      H_FAIL("send %d never got its event", i);
      return 1;
    }
  H_EQ(recvs, 1);
  H_EQ(shuts, shut ? 1 : 0);
  H_EQ(closes, 1);
  return 0;
}

static int is_iocp(void) { return strcmp(h_backend, "iocp") == 0; }

/* ------------------------------------------------------------- cases */

/* riox_close (after riox_shutdown when `shut`) with a receive pending and
 * sends in flight; the peer reads only after the close. */
static int graceful(int closer_is_client, int shut) {
  riox_loop *loop;
  riox_sock *cli, *srv, *closer, *peer;
  char *rbuf;
  uint64_t sent, got;
  int end = 0, early = 0, i;
  const char *what = shut ? "riox_shutdown + riox_close" : "riox_close";
  m_resets = m_fin_recv = 0;
  if (make_loop(&loop, NSEND + 1) != 0) return 1;
  if (h_tcp_pair(loop, loop, 0, &cli, &srv) != 0) return 1;
  closer = closer_is_client ? cli : srv;
  peer = closer_is_client ? srv : cli;
  H_OK(riox_buf_get(loop, &rbuf));
  H_OK(riox_recv(closer, rbuf, SLOT, CTX_RECV));
  /* NSEND issued sends, then one deferred (not issued before the close). */
  if (post_sends(loop, closer, NSEND + 1, 1) != 0) return 1;
  if (shut) H_OK(riox_shutdown(closer, CTX_SHUT));
  H_OK(riox_close(closer));
  H_ERR(riox_close(closer), RIOX_ECLOSING);
  /* The peer does not read yet: sends beyond what the buffers hold wait. */
  evlog.n = 0;
  h_collect(loop, 0, 1 << 30, &evlog, 300);
  for (i = 0; i < evlog.n; i++)
    if (evlog.ev[i].sock == closer && evlog.ev[i].type == RIOX_EV_SEND) early++;
  if (drain(loop, peer, NSEND + 1, &got, &end) != 0) return 1;
  if (until_closed(loop, closer, 10000) != 0) return 1;
  printf("%s by the %s side [%s]: %d of %d sends done before the peer read; peer got %llu bytes, "
         "then %s; model: %d close(s) with a receive pending after the FIN, %d made resets\n",
         what, closer_is_client ? "connecting" : "accepted", h_backend, early, NSEND + 1,
         (unsigned long long)got, riox_err_name(end), m_fin_recv, m_resets);
  if (m_resets != 0) {
    H_FAIL("%s: closesocket with a receive pending and no shutdown(SD_SEND) first (%d time(s)): "
           "Windows resets that connection",
           what, m_resets);
    return 1;
  }
  if (end != RIOX_EOF) {
    H_FAIL("%s: the peer's stream ended with %d %s, not RIOX_EOF: the close was not a FIN", what,
           end, riox_err_name(end));
    return 1;
  }
  /* The deferred send was still held (waiting behind the others, never
   * given to the OS): cancelled on both backends. */
  if (check_closer(loop, closer, NSEND + 1, NSEND, 0, shut, &sent) != 0) return 1;
  /* Exactly the bytes of the successful sends (drain checked their order). */
  H_EQ(got, sent);
  H_OK(riox_close(peer));
  if (until_closed(loop, peer, 10000) != 0) return 1;
  {
    riox_stats st;
    riox_loop_stats(loop, &st);
    H_EQ(st.buf_in_use, 0);
    H_EQ(st.req_in_use, 0);
  }
  riox_loop_close(loop);
  return 0;
}

/* The peer never reads while the closer lingers: the close goes ahead after
 * the bound, and what the peer then reads is an unbroken prefix. */
static int linger_bounded(void) {
  riox_loop *loop;
  riox_sock *cli, *srv;
  char *rbuf;
  uint64_t sent, got, t0, took;
  int end = 0, i, cancelled = 0;
  if (make_loop(&loop, NBIG) != 0) return 1;
  if (h_tcp_pair(loop, loop, 0, &cli, &srv) != 0) return 1;
  H_OK(riox_buf_get(loop, &rbuf));
  H_OK(riox_recv(cli, rbuf, SLOT, CTX_RECV));
  if (post_sends(loop, cli, NBIG, 0) != 0) return 1;
  riox_test_set_close_linger_ms(LINGER_MS);
  t0 = h_now_ms();
  H_OK(riox_close(cli));
  riox_test_set_close_linger_ms(0);
  evlog.n = 0;
  if (until_closed(loop, cli, 10000) != 0) return 1;
  took = h_now_ms() - t0;
  for (i = 0; i < evlog.n; i++) {
    const riox_event *e = &evlog.ev[i];
    if (e->sock != cli || e->type != RIOX_EV_SEND) continue;
    if (e->status != 0) {
      H_ERR(e->status, RIOX_ECANCELED);
      cancelled++;
    }
  }
  if (check_closer(loop, cli, NBIG, 0, -1, 0, &sent) != 0) return 1;
  if (drain(loop, srv, NBIG, &got, &end) != 0) return 1;
  printf("linger bound [%s]: CLOSE after %llu ms, %d of %d sends cancelled, %llu bytes reported "
         "sent, peer got %llu then %s\n",
         h_backend, (unsigned long long)took, cancelled, NBIG, (unsigned long long)sent,
         (unsigned long long)got, riox_err_name(end));
  /* Everything reported sent arrived; a send cut short by the bound may have
   * left the rest of its bytes behind, or (Windows) reset the connection. */
  H_CHECK(end == RIOX_EOF || end == RIOX_ECONNRESET);
  if (end == RIOX_EOF) H_CHECK(got >= sent);
  H_OK(riox_close(srv));
  if (until_closed(loop, srv, 10000) != 0) return 1;
  riox_loop_close(loop);
  return 0;
}

/* A held send at the head (RIOX_SEND_DEFER, no flush before the close),
 * then a plain one behind it. IOCP holds the first back and cancels it at
 * the close; the second must then be cancelled too, or the peer's stream
 * would have a hole. RIO was given the first and commits it: both go out.
 * Either way the peer reads exactly what was reported sent, then EOF. */
static int held_head(void) {
  riox_loop *loop;
  riox_sock *cli, *srv;
  char *b0, *b1;
  uint64_t sent = 0, got;
  int end = 0, i, ok = 0, cancelled = 0;
  if (make_loop(&loop, 4) != 0) return 1;
  if (h_tcp_pair(loop, loop, 0, &cli, &srv) != 0) return 1;
  H_OK(riox_buf_get(loop, &b0));
  H_OK(riox_buf_get(loop, &b1));
  h_fill(b0, SLOT, 1000);
  h_fill(b1, SLOT, 1001);
  H_OK(riox_send(cli, b0, SLOT, RIOX_SEND_DEFER, CTX_SEND(0)));
  H_OK(riox_send(cli, b1, SLOT, 0, CTX_SEND(1)));
  H_OK(riox_close(cli));
  evlog.n = 0;
  if (until_closed(loop, cli, 10000) != 0) return 1;
  for (i = 0; i < evlog.n; i++) {
    const riox_event *e = &evlog.ev[i];
    if (e->sock != cli || e->type != RIOX_EV_SEND) continue;
    H_CHECK(e->ctx == CTX_SEND(ok + cancelled)); /* in posting order */
    if (e->status == 0) {
      H_EQ(cancelled, 0); /* nothing goes out after a cancelled send */
      H_EQ(e->len, SLOT);
      sent += e->len;
      ok++;
    } else {
      H_ERR(e->status, RIOX_ECANCELED);
      cancelled++;
    }
    H_OK(riox_buf_put(loop, e->data));
  }
  H_EQ(ok + cancelled, 2);
  if (is_iocp()) H_EQ(cancelled, 2);
  else H_EQ(ok, 2);
  if (drain(loop, srv, 2, &got, &end) != 0) return 1;
  printf("held head [%s]: %d sent, %d cancelled; peer got %llu then %s\n", h_backend, ok, cancelled,
         (unsigned long long)got, riox_err_name(end));
  H_ERR(end, RIOX_EOF);
  H_EQ(got, sent);
  H_OK(riox_close(srv));
  if (until_closed(loop, srv, 10000) != 0) return 1;
  riox_loop_close(loop);
  return 0;
}

/* riox_abort resets: the peer's receive fails with RIOX_ECONNRESET. */
static int aborted(void) {
  riox_loop *loop;
  riox_sock *cli, *srv;
  riox_event ev;
  char *rbuf, *sbuf, *pbuf;
  uint32_t have = 0;
  int i, recvs = 0;
  if (make_loop(&loop, 4) != 0) return 1;
  if (h_tcp_pair(loop, loop, 0, &cli, &srv) != 0) return 1;
  H_OK(riox_buf_get(loop, &rbuf));
  H_OK(riox_buf_get(loop, &sbuf));
  H_OK(riox_buf_get(loop, &pbuf));
  H_OK(riox_recv(cli, rbuf, SLOT, CTX_RECV));
  h_fill(sbuf, 1000, 1000);
  H_OK(riox_send(cli, sbuf, 1000, 0, CTX_SEND(0)));
  while (have < 1000) {
    H_OK(riox_recv(srv, pbuf, SLOT, NULL));
    H_EQ(h_wait_for(loop, RIOX_EV_RECV, srv, &ev, NULL, 5000), 0);
    H_EQ(ev.status, 0);
    have += ev.len;
  }
  H_EQ(h_wait_for(loop, RIOX_EV_SEND, cli, &ev, NULL, 5000), 0);
  H_EQ(ev.status, 0);
  H_OK(riox_recv(srv, pbuf, SLOT, NULL));
  H_OK(riox_abort(cli));
  evlog.n = 0;
  H_EQ(h_wait_for(loop, RIOX_EV_RECV, srv, &ev, NULL, 5000), 0);
  H_ERR(ev.status, RIOX_ECONNRESET);
  if (until_closed(loop, cli, 5000) != 0) return 1;
  for (i = 0; i < evlog.n; i++)
    if (evlog.ev[i].sock == cli && evlog.ev[i].type == RIOX_EV_RECV) {
      H_ERR(evlog.ev[i].status, RIOX_ECANCELED);
      recvs++;
    }
  H_EQ(recvs, 1);
  H_OK(riox_close(srv));
  if (until_closed(loop, srv, 5000) != 0) return 1;
  riox_loop_close(loop);
  return 0;
}

static int test(void) {
  int fails = 0;
  m_install();
  fails += graceful(1, 0);
  fails += graceful(0, 0);
  fails += graceful(1, 1);
  fails += linger_bounded();
  fails += held_head();
  fails += aborted();
  m_remove();
  return fails != 0;
}

int main(void) { return h_run("tcp_close_fin_not_rst", test); }
