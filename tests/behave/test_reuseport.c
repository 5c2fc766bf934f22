/* RIOX_SOCK_REUSEPORT: N loops on N threads share one port ("A loop per
 * core", riox.h and docs/design.md).
 *  - TCP: two listeners with the flag on one port, each on its own loop and
 *    thread; 32 connections, each carrying its number, are each accepted
 *    exactly once overall, and on Linux (SO_REUSEPORT hashes the 4-tuple)
 *    both listeners get some. Windows shares no TCP port between listeners:
 *    there the second listener fails with RIOX_EADDRINUSE, as documented.
 *  - A socket without the flag finds a flagged port taken (RIOX_EADDRINUSE),
 *    UDP and TCP.
 *  - UDP: two sockets with the flag on one port, each on its own loop and
 *    thread; 640 datagrams from 32 source ports, each received exactly once
 *    overall; on Linux both sockets receive some.
 *  - Linux, riox_loop_config.cpu (SO_INCOMING_CPU): sent from a thread
 *    pinned to processor 0, every datagram goes to the loop of processor 0.
 *  - Windows: a UDP socket with the flag needs riox_loop_config.cpu
 *    (RIOX_EINVAL without); under Wine, which has no SIO_CPU_AFFINITY, it
 *    fails with RIOX_ENOTSUP, and the UDP sharing cannot be shown (skip);
 *    what Wine does with two UDP sockets on one port through SO_REUSEADDR
 *    (RIOX_SOCK_REUSEADDR) is asserted instead: the last bound gets all. */
#if defined(__linux__) && !defined(_GNU_SOURCE)
#define _GNU_SOURCE /* pthread_setaffinity_np, CPU_SET */
#endif
#include "harness.h"

#ifdef __linux__
#include <pthread.h>
#include <sched.h>
#include <unistd.h>
#endif

#define NSRC 32     /* UDP source sockets */
#define ROUNDS 20   /* datagrams per source socket */
#define NDGRAM (NSRC * ROUNDS)
#define NCONN 32    /* TCP connections */
#define DEPTH 64    /* receives kept posted per UDP socket */

/* One serving loop on its own thread (a uring loop stays on the thread that
 * created it). Errors are noted here and checked by the main thread. */
typedef struct server {
  int index, tcp;
  int use_cpu;       /* Linux: give the loop cfg.cpu too (SO_INCOMING_CPU) */
  uint16_t port;     /* in: 0 = ephemeral (the first server), out: bound */
  h_event *ready, *stop;
  int open_rc;       /* riox_udp_open / riox_tcp_listen */
  char detail[256];
  int errors;        /* unexpected events or failed calls while serving */
  char what[160];    /* the first of them */
  unsigned count;    /* datagrams or connections served */
  unsigned char seen[NDGRAM > NCONN ? NDGRAM : NCONN];
} server_t;

static void srv_note(server_t *s, const char *what, int rc) {
  if (s->errors++ == 0) snprintf(s->what, sizeof s->what, "%s: %d %s", what, rc, riox_err_name(rc));
}

static void srv_id(server_t *s, const char *data, uint32_t len, unsigned max) {
  unsigned id;
  if (len != 4) {
    srv_note(s, "payload of the wrong size", (int)len);
    return;
  }
  id = (unsigned)(unsigned char)data[0] | (unsigned)(unsigned char)data[1] << 8;
  if (id >= max) {
    srv_note(s, "unknown id", (int)id);
    return;
  }
  if (s->seen[id] < 255) s->seen[id]++;
  s->count++;
}

static void srv_event(server_t *s, riox_loop *loop, const riox_event *ev) {
  if (ev->type == RIOX_EV_ACCEPT) {
    char *buf;
    int rc;
    if (ev->status != 0) {
      srv_note(s, "accept failed", ev->status);
      return;
    }
    rc = riox_buf_get(loop, &buf);
    if (rc == 0) rc = riox_recv(ev->accepted, buf, 4, NULL);
    if (rc < 0) srv_note(s, "recv on an accepted connection", rc);
  } else if (ev->type == RIOX_EV_RECV) {
    if (ev->status == 0) {
      srv_id(s, ev->data, ev->len, s->tcp ? NCONN : NDGRAM);
      if (s->tcp) {
        riox_buf_put(loop, ev->data);
        riox_close(ev->sock);
      } else if (riox_recv(ev->sock, ev->data, riox_loop_buf_size(loop), NULL) < 0) {
        srv_note(s, "repost", -1);
        riox_buf_put(loop, ev->data);
      }
    } else {
      riox_buf_put(loop, ev->data);
      if (ev->status != RIOX_ECANCELED && ev->status != RIOX_ECLOSING && ev->status != RIOX_EOF)
        srv_note(s, "receive failed", ev->status);
      if (s->tcp) riox_close(ev->sock);
    }
  }
}

static void srv_main(void *arg) {
  server_t *s = (server_t *)arg;
  riox_loop_config cfg;
  riox_loop *loop = NULL;
  riox_sock *sock = NULL;
  riox_addr a = h_v4(s->port), bound;
  riox_event evs[64];
  int i, n, rc;
  h_config(&cfg);
  cfg.cpu = (uint32_t)s->index + 1u; /* Windows needs it; Linux: SO_INCOMING_CPU */
#ifdef __linux__
  /* With SO_INCOMING_CPU the kernel would pick the socket of the sending
   * thread's CPU (loopback takes packets in on the sender's CPU): leave it
   * to the hash, except in incoming_cpu_part. */
  if (!s->use_cpu) cfg.cpu = 0;
#endif
  rc = riox_loop_create(&cfg, &loop);
  if (rc == 0) {
    rc = s->tcp ? riox_tcp_listen(loop, &a, 0, RIOX_SOCK_REUSEPORT, NULL, &sock)
                : riox_udp_open(loop, &a, NULL, RIOX_SOCK_REUSEPORT, NULL, &sock);
  }
  s->open_rc = rc;
  snprintf(s->detail, sizeof s->detail, "%s", rc < 0 ? riox_last_detail() : "");
  if (rc == 0 && riox_sock_local(sock, &bound) == 0) s->port = bound.port;
  for (i = 0; rc == 0 && !s->tcp && i < DEPTH; i++) {
    char *buf;
    rc = riox_buf_get(loop, &buf);
    if (rc == 0) rc = riox_recv(sock, buf, riox_loop_buf_size(loop), NULL);
    if (rc < 0) srv_note(s, "posting receives", rc);
  }
  h_event_set(s->ready);
  if (s->open_rc < 0) {
    if (loop != NULL) riox_loop_close(loop);
    return;
  }
  /* Serve until told to stop, then drain for a moment. */
  while (!h_event_wait(s->stop, 0)) {
    n = riox_wait(loop, evs, 64, 20);
    for (i = 0; i < n; i++) srv_event(s, loop, &evs[i]);
  }
  for (;;) {
    n = riox_wait(loop, evs, 64, 100);
    if (n <= 0) break;
    for (i = 0; i < n; i++) srv_event(s, loop, &evs[i]);
  }
  riox_loop_close(loop);
}

static int start_servers(server_t *s, h_thread **th, int tcp, int use_cpu) {
  int i;
  memset(s, 0, 2 * sizeof *s);
  for (i = 0; i < 2; i++) {
    s[i].index = i;
    s[i].tcp = tcp;
    s[i].use_cpu = use_cpu;
    s[i].ready = h_event_new(0);
    s[i].stop = h_event_new(0);
    H_CHECK(s[i].ready != NULL && s[i].stop != NULL);
    if (i == 1) s[1].port = s[0].port; /* the port the first one got */
    H_EQ(h_thread_start(&th[i], srv_main, &s[i]), 0);
    H_CHECK(h_event_wait(s[i].ready, 20000));
    if (i == 0 && s[0].open_rc < 0) return 0; /* the caller looks at open_rc */
  }
  return 0;
}

static void stop_servers(server_t *s, h_thread **th) {
  int i;
  for (i = 0; i < 2; i++) {
    if (th[i] == NULL) continue;
    h_event_set(s[i].stop);
    h_thread_join(th[i]);
    th[i] = NULL;
  }
  for (i = 0; i < 2; i++) {
    h_event_free(s[i].ready);
    h_event_free(s[i].stop);
  }
}

/* Every id exactly once over both servers, and no error while serving. */
static int check_once(const server_t *s, unsigned max, const char *what) {
  unsigned id;
  int i;
  for (i = 0; i < 2; i++)
    if (s[i].errors != 0) {
      H_FAIL("%s server %d: %d errors, the first: %s", what, i, s[i].errors, s[i].what);
      return 1;
    }
  for (id = 0; id < max; id++) {
    unsigned got = (unsigned)s[0].seen[id] + s[1].seen[id];
    if (got != 1) {
      H_FAIL("%s #%u arrived %u times (server 0: %u, server 1: %u)", what, id, got, s[0].seen[id],
             s[1].seen[id]);
      return 1;
    }
  }
  H_EQ(s[0].count + s[1].count, max);
  return 0;
}

static void put_id(char *buf, unsigned id) {
  buf[0] = (char)(id & 0xff);
  buf[1] = (char)(id >> 8);
  buf[2] = 'r';
  buf[3] = 'p';
}

/* ------------------------------------------------------------------ TCP */

static int tcp_part(void) {
  server_t s[2];
  h_thread *th[2] = {NULL, NULL};
  riox_loop *loop;
  riox_sock *c[NCONN];
  riox_event ev;
  unsigned i;
  int connected = 0, sent = 0, closed = 0;
  uint64_t until;
  if (start_servers(s, th, 1, 0) != 0) return 1;
  if (s[0].open_rc < 0) {
    stop_servers(s, th);
    H_FAIL("a listener with RIOX_SOCK_REUSEPORT: %d %s (%s)", s[0].open_rc,
           riox_err_name(s[0].open_rc), s[0].detail);
    return 1;
  }
  if (h_windows()) {
    /* Windows has no port sharing for TCP listeners (docs/design.md). */
    if (s[1].open_rc != RIOX_EADDRINUSE) {
      stop_servers(s, th);
      H_FAIL("the second listener on Windows: %d %s, expected RIOX_EADDRINUSE", s[1].open_rc,
             riox_err_name(s[1].open_rc));
      return 1;
    }
    printf("windows: a second TCP listener with RIOX_SOCK_REUSEPORT on port %u fails with "
           "RIOX_EADDRINUSE (no TCP port sharing): one loop listens\n",
           (unsigned)s[0].port);
  } else if (s[1].open_rc < 0) {
    stop_servers(s, th);
    H_FAIL("the second listener with RIOX_SOCK_REUSEPORT: %d %s (%s)", s[1].open_rc,
           riox_err_name(s[1].open_rc), s[1].detail);
    return 1;
  }
  H_OK(h_loop(&loop, NULL));
  {
    riox_addr to = h_v4(s[0].port);
    for (i = 0; i < NCONN; i++) H_OK(riox_tcp_connect(loop, &to, NULL, 0, (void *)(uintptr_t)(i + 1), &c[i]));
  }
  until = h_now_ms() + 20000;
  while ((connected < NCONN || sent < NCONN) && h_now_ms() < until) {
    if (riox_wait(loop, &ev, 1, 100) != 1) continue;
    if (ev.type == RIOX_EV_CONNECT) {
      char *buf;
      unsigned id = (unsigned)(uintptr_t)ev.ctx - 1;
      H_EQ(ev.status, 0);
      connected++;
      H_OK(riox_buf_get(loop, &buf));
      put_id(buf, id);
      H_OK(riox_send(ev.sock, buf, 4, 0, NULL));
    } else if (ev.type == RIOX_EV_SEND) {
      H_EQ(ev.status, 0);
      H_OK(riox_buf_put(loop, ev.data));
      sent++;
    }
  }
  H_EQ(connected, NCONN);
  H_EQ(sent, NCONN);
  /* Every server closes its connection after the id: wait for that. */
  until = h_now_ms() + 20000;
  {
    char *bufs[NCONN];
    for (i = 0; i < NCONN; i++) {
      H_OK(riox_buf_get(loop, &bufs[i]));
      H_OK(riox_recv(c[i], bufs[i], 16, NULL));
    }
  }
  while (closed < NCONN && h_now_ms() < until) {
    if (riox_wait(loop, &ev, 1, 100) != 1) continue;
    if (ev.type == RIOX_EV_RECV) {
      H_EQ(ev.status, RIOX_EOF);
      H_OK(riox_buf_put(loop, ev.data));
      riox_close(ev.sock);
      closed++;
    }
  }
  H_EQ(closed, NCONN);
  stop_servers(s, th);
  riox_loop_close(loop);
  if (check_once(s, NCONN, "connection") != 0) return 1;
  printf("tcp: %d connections, listener 0 accepted %u, listener 1 accepted %u\n", NCONN,
         s[0].count, s[1].count);
  if (!h_windows()) {
    /* SO_REUSEPORT spreads by a hash of the 4-tuple: 32 connections from
     * 32 source ports all on one listener would be a 2^-31 chance. */
    H_CHECK(s[0].count > 0);
    H_CHECK(s[1].count > 0);
  }
  return 0;
}

/* ------------------------------------------- a socket without the flag */

static int without_flag(void) {
  riox_loop_config cfg;
  riox_loop *loop;
  riox_sock *a, *b;
  riox_addr any = h_v4(0), got;
  int rc;
  h_config(&cfg);
  cfg.cpu = 1;
  H_OK(h_loop(&loop, &cfg));
  /* TCP: a flagged listener, then a plain one on its port. */
  H_OK(riox_tcp_listen(loop, &any, 0, RIOX_SOCK_REUSEPORT, NULL, &a));
  H_OK(riox_sock_local(a, &got));
  H_ERR_D(riox_tcp_listen(loop, &got, 0, 0, NULL, &b), RIOX_EADDRINUSE);
  riox_close(a);
  /* UDP: the same. */
  rc = riox_udp_open(loop, &any, NULL, RIOX_SOCK_REUSEPORT, NULL, &a);
  if (rc == RIOX_ENOTSUP && h_windows()) {
    printf("udp: RIOX_SOCK_REUSEPORT is not supported here (%s)\n", riox_last_detail());
  } else {
    H_OK(rc);
    H_OK(riox_sock_local(a, &got));
    H_ERR_D(riox_udp_open(loop, &got, NULL, 0, NULL, &b), RIOX_EADDRINUSE);
    riox_close(a);
  }
  H_CHECK(h_collect(loop, RIOX_EV_CLOSE, rc == 0 ? 2 : 1, NULL, 5000) >= 1);
  riox_loop_close(loop);
  return 0;
}

/* --------------------------------------------------- Windows: cfg.cpu */

static int windows_cpu(void) {
  riox_loop *loop;
  riox_sock *a;
  riox_addr any = h_v4(0);
  riox_loop_config cfg;
  if (!h_windows()) return 0;
  H_OK(h_loop(&loop, NULL)); /* cfg.cpu = 0 */
  H_ERR_D(riox_udp_open(loop, &any, NULL, RIOX_SOCK_REUSEPORT, NULL, &a), RIOX_EINVAL);
  riox_loop_close(loop);
  h_config(&cfg);
  cfg.cpu = 65537; /* beyond SIO_CPU_AFFINITY's USHORT */
  H_ERR_D(h_loop(&loop, &cfg), RIOX_EINVAL);
  if (h_under_wine()) {
    h_config(&cfg);
    cfg.cpu = 1;
    H_OK(h_loop(&loop, &cfg));
    H_ERR_D(riox_udp_open(loop, &any, NULL, RIOX_SOCK_REUSEPORT, NULL, &a), RIOX_ENOTSUP);
    printf("wine: RIOX_SOCK_REUSEPORT on UDP fails with RIOX_ENOTSUP (%s)\n", riox_last_detail());
    riox_loop_close(loop);
  }
  return 0;
}

/* ------------------------------------------------------------------ UDP */

/* use_cpu: the servers' loops get cfg.cpu 1 and 2 (Linux: SO_INCOMING_CPU
 * 0 and 1). Returns 1 on failure; *counts what each socket received. */
static int udp_run(int use_cpu, unsigned counts[2]) {
  server_t s[2];
  h_thread *th[2] = {NULL, NULL};
  riox_loop *loop;
  riox_sock *src[NSRC];
  riox_addr any = h_v4(0), to;
  unsigned r, i;
  int sent;
  if (start_servers(s, th, 0, use_cpu) != 0) return 1;
  if (s[0].open_rc < 0 || s[1].open_rc < 0) {
    int k = s[0].open_rc < 0 ? 0 : 1;
    stop_servers(s, th);
    H_FAIL("UDP socket %d with RIOX_SOCK_REUSEPORT: %d %s (%s)", k, s[k].open_rc,
           riox_err_name(s[k].open_rc), s[k].detail);
    return 1;
  }
  H_OK(h_loop(&loop, NULL));
  for (i = 0; i < NSRC; i++) H_OK(riox_udp_open(loop, &any, NULL, 0, NULL, &src[i]));
  to = h_v4(s[0].port);
  /* A round: one datagram from each source, then their sends are waited
   * for and a breath taken, so no socket buffer overflows. */
  for (r = 0; r < ROUNDS; r++) {
    for (i = 0; i < NSRC; i++) {
      char *buf;
      H_OK(riox_buf_get(loop, &buf));
      put_id(buf, r * NSRC + i);
      H_OK(riox_sendto(src[i], buf, 4, &to, 0, NULL));
    }
    sent = 0;
    while (sent < NSRC) {
      riox_event ev;
      H_EQ(h_wait_for(loop, RIOX_EV_SEND, NULL, &ev, NULL, 10000), 0);
      H_EQ(ev.status, 0);
      H_OK(riox_buf_put(loop, ev.data));
      sent++;
    }
    h_sleep_ms(5);
  }
  h_sleep_ms(500);
  stop_servers(s, th);
  riox_loop_close(loop);
  if (check_once(s, NDGRAM, "datagram") != 0) return 1;
  counts[0] = s[0].count;
  counts[1] = s[1].count;
  return 0;
}

static int udp_part(void) {
  unsigned n[2];
  if (udp_run(0, n) != 0) return 1;
  printf("udp: %d datagrams from %d source ports, socket 0 received %u, socket 1 received %u\n",
         NDGRAM, NSRC, n[0], n[1]);
  if (!h_windows()) {
    /* The SO_REUSEPORT hash: all 32 flows on one socket is a 2^-31 chance. */
    H_CHECK(n[0] > 0);
    H_CHECK(n[1] > 0);
  }
  return 0;
}

/* Linux, cfg.cpu: SO_INCOMING_CPU on the group's sockets makes the kernel
 * pick the socket of the processor that takes the packet in, which on
 * loopback is the sender's. Sent from a thread pinned to processor 0, every
 * datagram goes to the loop with cfg.cpu 1 (processor 0). */
static int incoming_cpu_part(void) {
#ifdef __linux__
  cpu_set_t saved, one;
  unsigned n[2];
  int rc;
  if (sysconf(_SC_NPROCESSORS_ONLN) < 2 || pthread_getaffinity_np(pthread_self(), sizeof saved, &saved) != 0 ||
      !CPU_ISSET(0, &saved) || !CPU_ISSET(1, &saved)) {
    printf("incoming cpu: skipped (processors 0 and 1 are not both ours)\n");
    return 0;
  }
  CPU_ZERO(&one);
  CPU_SET(0, &one);
  H_EQ(pthread_setaffinity_np(pthread_self(), sizeof one, &one), 0);
  rc = udp_run(1, n);
  (void)pthread_setaffinity_np(pthread_self(), sizeof saved, &saved);
  if (rc != 0) return 1;
  printf("incoming cpu: sent from processor 0: the loop of processor 0 received %u, of processor 1 "
         "%u\n",
         n[0], n[1]);
  H_EQ(n[0], NDGRAM);
  H_EQ(n[1], 0);
#endif
  return 0;
}

/* ------------------------------------------- Wine: SO_REUSEADDR instead */

/* What Wine does with the one way it has to put two UDP sockets on one
 * port (RIOX_SOCK_REUSEADDR, SO_REUSEADDR): every datagram goes to the
 * socket bound last -- no spreading (Linux's SO_REUSEADDR rule, which Wine
 * maps it to). Asserted, so a Wine that changes shows here. */
static int wine_reuseaddr(void) {
  riox_loop *loop;
  riox_sock *a, *b, *src[16];
  riox_addr any = h_v4(0), port;
  unsigned i, got_a = 0, got_b = 0;
  H_OK(h_loop(&loop, NULL));
  H_OK(riox_udp_open(loop, &any, NULL, RIOX_SOCK_REUSEADDR, NULL, &a));
  H_OK(riox_sock_local(a, &port));
  H_OK(riox_udp_open(loop, &port, NULL, RIOX_SOCK_REUSEADDR, NULL, &b));
  for (i = 0; i < 64; i++) {
    char *buf;
    H_OK(riox_buf_get(loop, &buf));
    H_OK(riox_recv(i % 2 ? b : a, buf, riox_loop_buf_size(loop), NULL));
  }
  for (i = 0; i < 16; i++) {
    unsigned k;
    H_OK(riox_udp_open(loop, &any, NULL, 0, NULL, &src[i]));
    for (k = 0; k < 4; k++) {
      char *buf;
      H_OK(riox_buf_get(loop, &buf));
      put_id(buf, i * 4 + k);
      H_OK(riox_sendto(src[i], buf, 4, &port, 0, NULL));
    }
  }
  {
    /* Every event of the next two seconds: the sends, and what arrived where. */
    uint64_t until = h_now_ms() + 2000;
    unsigned sends = 0;
    riox_event ev;
    while (h_now_ms() < until) {
      if (riox_wait(loop, &ev, 1, 50) != 1) continue;
      if (ev.type == RIOX_EV_SEND) {
        H_EQ(ev.status, 0);
        sends++;
      } else if (ev.type == RIOX_EV_RECV) {
        H_EQ(ev.status, 0);
        if (ev.sock == a) got_a++;
        if (ev.sock == b) got_b++;
      }
    }
    H_EQ(sends, 64);
  }
  printf("wine: two UDP sockets with SO_REUSEADDR on port %u: the first bound received %u, the "
         "last bound %u of 64 datagrams\n",
         (unsigned)port.port, got_a, got_b);
  H_EQ(got_a, 0);
  H_EQ(got_b, 32); /* it had 32 receives posted; the rest wait in its buffer */
  riox_loop_close(loop);
  return 0;
}

static int test(void) {
  if (tcp_part() != 0) return 1;
  if (without_flag() != 0) return 1;
  if (windows_cpu() != 0) return 1;
  if (h_under_wine() && wine_reuseaddr() != 0) return 1;
  if (h_under_wine())
    return h_skip_pass("wine: UDP port sharing cannot be shown: Wine has no SIO_CPU_AFFINITY "
                       "(WSAEOPNOTSUPP, so riox answers RIOX_ENOTSUP), and its only way to bind "
                       "two UDP sockets to one port, SO_REUSEADDR, gives every datagram to the "
                       "socket bound last (what Linux does with SO_REUSEADDR); the checks above "
                       "passed");
  if (udp_part() != 0) return 1;
  return incoming_cpu_part();
}

int main(void) { return h_run("reuseport", test); }
