/* A listener survives accept errors (issue 9, item 8; riox.h, riox_tcp_listen).
 *
 * An AcceptEx post that failed at once used to shrink the listener's accept
 * depth for good, and a listener left with none stayed dead. Through a
 * socket-call table (src/win/ws.h) that makes WSASocket or AcceptEx fail, on
 * both backends, with cfg.accept_depth = 2:
 *  - WSASocket for the accept socket fails 5 times with WSAEMFILE while two
 *    connections are accepted (the listener is left with nothing posted):
 *    one RIOX_EV_ERROR (the listener, RIOX_ENOBUFS), the posts are retried
 *    on a back-off timer until the OS allows, the depth is back to 2 and a
 *    new connection is accepted;
 *  - AcceptEx fails at once with WSAECONNRESET 3 times (a peer gone before
 *    its accept): no error event, each accept socket is closed, the post is
 *    retried at once, the depth stays 2;
 *  - AcceptEx fails at once with WSAENOBUFS 4 times: one RIOX_EV_ERROR, the
 *    timer retries, the depth is back to 2, a connection is accepted;
 *  - a listener closed while its retries fail: one CLOSE, and no socket is
 *    made for it afterwards.
 * "Posted" is counted by the table: AcceptEx calls the OS took, minus the
 * connections accepted. Clients connect with plain Winsock, outside the
 * table. */
#include "rioconf.h"

#include <mswsock.h>

#include "riox_test.h"

#define DEPTH 2
#define M_MAX 64

static const ws_api_t *m_base;
static ws_api_t m_api;
static LPFN_ACCEPTEX m_acceptex;
static int m_fail_socket;   /* the next n stream WSASocket calls fail (WSAEMFILE) */
static int m_fail_accept;   /* the next n AcceptEx calls fail at once with m_accept_err */
static int m_accept_err;
static long m_socket_calls; /* stream sockets asked for */
static long m_posted;       /* AcceptEx calls the OS took */
static SOCKET m_failed[M_MAX]; /* accept sockets of failed AcceptEx calls, until closed */
static int m_nfailed;
static long m_failed_closed;

static SOCKET WINAPI m_socket(int af, int type, int proto, LPWSAPROTOCOL_INFOW info, GROUP g,
                              DWORD flags) {
  if (type == SOCK_STREAM) {
    m_socket_calls++;
    if (m_fail_socket > 0) {
      m_fail_socket--;
      WSASetLastError(WSAEMFILE);
      return INVALID_SOCKET;
    }
  }
  if (m_base != NULL && m_base->socket != NULL) return m_base->socket(af, type, proto, info, g, flags);
  return WSASocketW(af, type, proto, info, g, flags);
}

static BOOL WINAPI m_accept_ex(SOCKET l, SOCKET a, PVOID buf, DWORD rlen, DWORD llen, DWORD rmlen,
                               LPDWORD bytes, LPOVERLAPPED ov) {
  BOOL ok;
  if (m_fail_accept > 0) {
    m_fail_accept--;
    if (m_nfailed < M_MAX) m_failed[m_nfailed++] = a;
    WSASetLastError(m_accept_err);
    return FALSE;
  }
  if (m_acceptex == NULL) {
    GUID guid = WSAID_ACCEPTEX;
    DWORD got = 0;
    if (WSAIoctl(l, SIO_GET_EXTENSION_FUNCTION_POINTER, &guid, sizeof guid, &m_acceptex,
                 sizeof m_acceptex, &got, NULL, NULL) != 0) {
      WSASetLastError(WSAEOPNOTSUPP);
      return FALSE;
    }
  }
  ok = m_acceptex(l, a, buf, rlen, llen, rmlen, bytes, ov);
  if (ok || WSAGetLastError() == ERROR_IO_PENDING) {
    int err = WSAGetLastError();
    m_posted++;
    WSASetLastError(err);
  }
  return ok;
}

static int WINAPI m_close(SOCKET s) {
  int i;
  for (i = 0; i < m_nfailed; i++)
    if (m_failed[i] == s) {
      m_failed[i] = m_failed[--m_nfailed];
      m_failed_closed++;
      break;
    }
  if (m_base != NULL && m_base->close != NULL) return m_base->close(s);
  return closesocket(s);
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
  m_api.socket = m_socket;
  m_api.accept_ex = m_accept_ex;
  m_api.close = m_close;
  m_fail_socket = m_fail_accept = 0;
  m_socket_calls = m_posted = m_failed_closed = 0;
  m_nfailed = 0;
  riox_test_set_sockapi(&m_api);
}

/* ------------------------------------------------------------ helpers */

static riox_sock *lis;
static long accepted, errors;
static int last_error;
static int closed;
static SOCKET clients[16];
static int nclients;

/* Run the loop for up to ms, or until cond() holds; counts what the
 * listener reports. */
static int pump(riox_loop *loop, int ms, int (*cond)(void)) {
  uint64_t until = h_now_ms() + (uint64_t)ms;
  while (h_now_ms() < until) {
    riox_event evs[16];
    int n, i;
    if (cond != NULL && cond()) return 0;
    n = riox_wait(loop, evs, 16, 20);
    H_CHECK(n >= 0);
    for (i = 0; i < n; i++) {
      const riox_event *e = &evs[i];
      if (e->sock != lis) continue;
      if (e->type == RIOX_EV_ACCEPT) {
        H_EQ(e->status, 0);
        H_CHECK(e->accepted != NULL);
        accepted++;
      } else if (e->type == RIOX_EV_ERROR) {
        errors++;
        last_error = e->status;
      } else if (e->type == RIOX_EV_CLOSE) {
        closed++;
      } else {
        H_FAIL("listener event type %u status %d", e->type, e->status);
        return 1;
      }
    }
  }
  return cond != NULL && !cond() ? -1 : 0;
}

static long outstanding(void) { return m_posted - accepted; }
static int at_depth(void) { return outstanding() == DEPTH; }
static long want_accepted;
static int accepted_enough(void) { return accepted >= want_accepted; }
static int is_closed(void) { return closed > 0; }

/* A client through plain Winsock (not riox's table): blocking connect. */
static int client(const riox_addr *to) {
  SOCKADDR_IN sin;
  SOCKET c = WSASocketW(AF_INET, SOCK_STREAM, IPPROTO_TCP, NULL, 0, 0);
  H_CHECK(c != INVALID_SOCKET);
  memset(&sin, 0, sizeof sin);
  sin.sin_family = AF_INET;
  sin.sin_port = htons(to->port);
  memcpy(&sin.sin_addr, to->ip, 4);
  if (connect(c, (struct sockaddr *)&sin, sizeof sin) != 0) {
    H_FAIL("client connect failed: WSA error %d", WSAGetLastError());
    return 1;
  }
  clients[nclients++] = c;
  return 0;
}

/* Connect one client and wait for its ACCEPT. */
static int accept_one(riox_loop *loop, const riox_addr *to, const char *when) {
  if (client(to) != 0) return 1;
  want_accepted = accepted + 1;
  if (pump(loop, 5000, accepted_enough) != 0) {
    H_FAIL("%s: the listener accepted no connection within 5 s (%ld AcceptEx posted, %ld accepted)",
           when, m_posted, accepted);
    return 1;
  }
  return 0;
}

static int back_at_depth(riox_loop *loop, const char *when) {
  if (pump(loop, 5000, at_depth) != 0) {
    H_FAIL("%s: %ld AcceptEx posted, not %d, after 5 s", when, outstanding(), DEPTH);
    return 1;
  }
  return 0;
}

static int test(void) {
  riox_loop_config cfg;
  riox_loop *loop;
  riox_addr la = h_v4(0), addr;
  riox_stats st;
  long calls;
  int i;
  accepted = errors = 0;
  last_error = 0;
  closed = 0;
  nclients = 0;
  m_install();
  h_config(&cfg);
  cfg.accept_depth = DEPTH;
  H_OK(h_loop(&loop, &cfg));
  H_OK(riox_tcp_listen(loop, &la, 0, 0, NULL, &lis));
  H_OK(riox_sock_local(lis, &addr));
  H_EQ(outstanding(), DEPTH);

  /* 1. Out of sockets while both posted accepts are used up. */
  m_fail_socket = 5;
  if (client(&addr) != 0 || client(&addr) != 0) return 1;
  want_accepted = 2;
  if (pump(loop, 5000, accepted_enough) != 0) {
    H_FAIL("the two connections were not accepted (%ld)", accepted);
    return 1;
  }
  if (back_at_depth(loop, "after WSAEMFILE") != 0) return 1;
  H_EQ(m_fail_socket, 0); /* every failure was met by a retry */
  H_EQ(errors, 1);
  H_ERR(last_error, RIOX_ENOBUFS);
  if (accept_one(loop, &addr, "after WSAEMFILE") != 0) return 1;
  if (back_at_depth(loop, "after WSAEMFILE, accepting again") != 0) return 1;

  /* 2. Peers gone before their accept: close, re-post at once, no error. */
  m_accept_err = WSAECONNRESET;
  m_fail_accept = 3;
  if (accept_one(loop, &addr, "with WSAECONNRESET") != 0) return 1;
  H_EQ(m_fail_accept, 0);
  H_EQ(outstanding(), DEPTH); /* re-posted at once, no timer */
  H_EQ(m_failed_closed, 3);
  H_EQ(m_nfailed, 0);
  H_EQ(errors, 1);

  /* 3. No buffers for AcceptEx: retried on the timer, one error. */
  m_accept_err = WSAENOBUFS;
  m_fail_accept = 4;
  if (accept_one(loop, &addr, "with WSAENOBUFS") != 0) return 1;
  if (back_at_depth(loop, "after WSAENOBUFS") != 0) return 1;
  H_EQ(m_fail_accept, 0);
  H_EQ(m_failed_closed, 7);
  H_EQ(errors, 2);
  H_ERR(last_error, RIOX_ENOBUFS);
  if (accept_one(loop, &addr, "after WSAENOBUFS") != 0) return 1;
  H_EQ(errors, 2);

  /* 4. Closed while retries keep failing: one CLOSE, no socket after it. */
  m_fail_socket = 1 << 30;
  if (accept_one(loop, &addr, "before the close") != 0) return 1;
  if (pump(loop, 200, NULL) != 0) return 1;
  H_EQ(errors, 3);
  H_CHECK(outstanding() < DEPTH);
  H_OK(riox_close(lis));
  calls = m_socket_calls;
  if (pump(loop, 5000, is_closed) != 0) {
    H_FAIL("no CLOSE for the listener");
    return 1;
  }
  if (pump(loop, 300, NULL) != 0) return 1;
  H_EQ(closed, 1);
  H_EQ(m_socket_calls, calls);
  m_fail_socket = 0;
  printf("[%s] %ld accepted, %ld AcceptEx posted, %ld errors reported, %ld failed accept sockets "
         "closed\n",
         h_backend, accepted, m_posted, errors, m_failed_closed);
  riox_loop_stats(loop, &st);
  H_EQ(st.accepts, (uint64_t)accepted);
  riox_loop_close(loop);
  riox_test_set_sockapi(m_base);
  for (i = 0; i < nclients; i++) closesocket(clients[i]);
  return 0;
}

int main(void) { return h_run("tcp_listener_survives_accept_errors", test); }
