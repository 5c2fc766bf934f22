/* riox-echo: an RFC 862 echo server on riox (UDP and TCP).
 *
 *   riox-echo [--udp PORT] [--tcp PORT] [--bind ADDR] [--backend NAME]
 *             [--mode completion|readiness] [--seconds N] [--udp-depth N]
 *             [--buf-count N] [--offload on|off] [--threads N [--pin]] [--quiet]
 *
 * Prints exactly one line when listening: "ready backend=<name> udp=<port>
 * tcp=<port>" (0 for a protocol not served). Every UDP datagram goes back to
 * its sender unchanged; every TCP byte is echoed, and after the peer's FIN
 * the server finishes echoing, sends its own FIN and closes.
 *
 * Two ways to serve the same protocol, one per half of riox's API:
 *  - completion (default): receives are posted into pool buffers and come
 *    back with data. Each UDP receive owns one pool buffer, which carries
 *    the reply and then the next receive; each TCP connection holds at most
 *    two: one echo in flight and one receive, or two echoes in flight, and
 *    then the next receive waits for the first echo to finish (so a peer
 *    that sends and never reads holds two buffers, not the pool).
 *  - readiness: sockets are opened with RIOX_SOCK_READINESS, watched
 *    (riox_watch) and read and written with riox_try_recv/riox_try_send
 *    into the server's own memory, like a classic epoll server. Each TCP
 *    connection owns one buffer; while it holds unsent bytes the connection
 *    waits for WRITABLE instead of reading, so memory use is fixed whatever
 *    the load.
 *
 * --threads N: N threads, each with its own loop, UDP socket and TCP
 * listener on the same ports (RIOX_SOCK_REUSEPORT, "A loop per core" in
 * docs/design.md); the OS spreads datagrams and connections over them.
 * Thread i's loop has cfg.cpu = i + 1 (Windows needs it; on Linux only with
 * --pin, which also pins thread i to processor i). Windows shares no TCP
 * port between listeners: there thread 0 alone listens.
 *
 * Stopping (--seconds over, or on Linux SIGINT/SIGTERM): every open
 * connection is aborted, the UDP socket and the listener are closed, their
 * close events are awaited (at most STOP_DRAIN_MS), then the loop is closed
 * and whatever connection state is left is freed; the exit status is 0. */
#if !defined(_WIN32) && !defined(_GNU_SOURCE)
#define _GNU_SOURCE /* pthread_setaffinity_np */
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "riox.h"
#ifdef _WIN32
#include <windows.h>
#else
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#endif
#ifdef RIOX_WITH_RIO_EMU
#include "rio_emu.h"
#include "riox_test.h"
#endif

#define ECHO_BUF_SIZE 65536u /* holds the largest UDP datagram (65507/65527) */
#define STOP_DRAIN_MS 2000u  /* a stop waits this long at most for close events */

typedef struct echo_opts {
  long udp_port, tcp_port; /* -1 = not served */
  const char *bind;
  const char *backend;
  long seconds; /* 0 = until killed */
  long udp_depth;
  long buf_count;
  int quiet;
  int readiness;
  long threads; /* loops, one per thread (--threads) */
  int pin;      /* pin thread i to processor i (--pin) */
  int offload;  /* --offload on: RIOX_UDP_GRO, coalesced receives echoed as one segmented send */
} echo_opts;

/* Every accepted connection is on its thread's list until its
 * RIOX_EV_CLOSE, so that a stop can close them all and free what is left.
 * First member of conn and rconn. */
typedef struct echo_link {
  struct echo_link *prev, *next;
  riox_sock *sock;
} echo_link;

typedef struct conn {
  echo_link link;
  int recv_posted;
  int eof;
  int sends;
  int closing;
} conn;

/* Each thread serves with its own loop: the server's state is per thread. */
#if defined(_MSC_VER)
#define ECHO_TLS __declspec(thread)
#else
#define ECHO_TLS _Thread_local
#endif

static ECHO_TLS riox_loop *g_loop;
static ECHO_TLS uint32_t g_bufsz;
static ECHO_TLS echo_link *g_conns; /* open connections (echo_link) */
static ECHO_TLS int g_stopping;      /* a stop is draining: accept nothing more */
static ECHO_TLS long g_nconns, g_conns_high; /* open connections now, and at most */

static void link_add(echo_link *l, riox_sock *s) {
  l->sock = s;
  l->prev = NULL;
  l->next = g_conns;
  if (g_conns != NULL) g_conns->prev = l;
  g_conns = l;
  if (++g_nconns > g_conns_high) g_conns_high = g_nconns;
}

static void link_del(echo_link *l) {
  if (l->prev != NULL) l->prev->next = l->next;
  else g_conns = l->next;
  if (l->next != NULL) l->next->prev = l->prev;
  g_nconns--;
}

static void usage(FILE *f) {
  fprintf(f,
          "usage: riox-echo [--udp PORT] [--tcp PORT] [--bind ADDR] [--backend NAME]\n"
          "                 [--mode completion|readiness] [--seconds N] [--udp-depth N]\n"
          "                 [--buf-count N] [--offload on|off] [--threads N [--pin]] [--quiet]\n"
          "  --udp PORT      serve UDP echo on PORT (0 = ephemeral)\n"
          "  --tcp PORT      serve TCP echo on PORT (0 = ephemeral)\n"
          "  --bind ADDR     local IP (default 0.0.0.0; \"::\" serves IPv6 and IPv4)\n"
          "  --backend NAME  auto (default); Windows: iocp, rio; Linux: uring, epoll;\n"
          "                  RIOX_BACKEND overrides\n"
          "  --mode MODE     completion (default: post receives, get data back) or\n"
          "                  readiness (watch sockets, read/write them non-blocking)\n"
          "  --seconds N     exit after N seconds (default: run until killed)\n"
          "  --udp-depth N   UDP receives kept posted (default 64)\n"
          "  --buf-count N   pool buffers of 64 KiB (default 1024)\n"
          "  --offload on|off  on: the UDP socket takes coalesced receives (RIOX_UDP_GRO)\n"
          "                  and echoes each as one segmented send (riox_sendmsg with\n"
          "                  seg_size), every datagram's boundary and bytes kept;\n"
          "                  completion mode only (default off)\n"
          "  --threads N     N loops on N threads sharing the ports (RIOX_SOCK_REUSEPORT;\n"
          "                  default 1); Windows: thread 0 alone listens on TCP\n"
          "  --pin           pin thread i to processor i (and give it to its loop)\n");
}

static int parse_long(const char *opt, const char *v, long lo, long hi, long *out) {
  char *end = NULL;
  long x;
  if (v == NULL) {
    fprintf(stderr, "riox-echo: %s needs a value\n", opt);
    return -1;
  }
  x = strtol(v, &end, 10);
  if (end == v || *end != '\0' || x < lo || x > hi) {
    fprintf(stderr, "riox-echo: %s '%s' is not a number in %ld..%ld\n", opt, v, lo, hi);
    return -1;
  }
  *out = x;
  return 0;
}

static int parse_args(int argc, char **argv, echo_opts *o) {
  int i;
  memset(o, 0, sizeof *o);
  o->udp_port = o->tcp_port = -1;
  o->bind = "0.0.0.0";
  o->backend = "auto";
  o->udp_depth = 64;
  o->buf_count = 1024;
  o->threads = 1;
  for (i = 1; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    int rc = 0;
    if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
      usage(stdout);
      exit(0);
    } else if (strcmp(a, "--quiet") == 0) {
      o->quiet = 1;
      continue;
    } else if (strcmp(a, "--pin") == 0) {
      o->pin = 1;
      continue;
    } else if (strcmp(a, "--threads") == 0) {
      rc = parse_long(a, v, 1, 256, &o->threads);
    } else if (strcmp(a, "--udp") == 0) {
      rc = parse_long(a, v, 0, 65535, &o->udp_port);
    } else if (strcmp(a, "--tcp") == 0) {
      rc = parse_long(a, v, 0, 65535, &o->tcp_port);
    } else if (strcmp(a, "--seconds") == 0) {
      rc = parse_long(a, v, 1, 86400 * 365, &o->seconds);
    } else if (strcmp(a, "--udp-depth") == 0) {
      rc = parse_long(a, v, 1, 4096, &o->udp_depth);
    } else if (strcmp(a, "--buf-count") == 0) {
      rc = parse_long(a, v, 16, 65536, &o->buf_count);
    } else if (strcmp(a, "--offload") == 0) {
      if (v != NULL && (strcmp(v, "on") == 0 || strcmp(v, "off") == 0)) {
        o->offload = v[1] == 'n';
      } else {
        fprintf(stderr, "riox-echo: --offload '%s': expected on or off\n", v != NULL ? v : "");
        return -1;
      }
    } else if (strcmp(a, "--mode") == 0) {
      if (v != NULL && strcmp(v, "completion") == 0) {
        o->readiness = 0;
      } else if (v != NULL && strcmp(v, "readiness") == 0) {
        o->readiness = 1;
      } else {
        fprintf(stderr, "riox-echo: --mode '%s': expected completion or readiness\n",
                v != NULL ? v : "");
        return -1;
      }
    } else if (strcmp(a, "--bind") == 0 || strcmp(a, "--backend") == 0) {
      if (v == NULL) {
        fprintf(stderr, "riox-echo: %s needs a value\n", a);
        return -1;
      }
      if (a[2] == 'b' && a[3] == 'i') o->bind = v;
      else o->backend = v;
    } else {
      fprintf(stderr, "riox-echo: unknown option '%s' (try --help)\n", a);
      return -1;
    }
    if (rc < 0) return -1;
    i++;
  }
  if (o->offload && o->readiness) {
    fprintf(stderr, "riox-echo: --offload on is for --mode completion (riox_try_recv reads one "
                    "datagram at a time)\n");
    return -1;
  }
  if (o->udp_port < 0 && o->tcp_port < 0) {
    fprintf(stderr, "riox-echo: nothing to serve: give --udp PORT and/or --tcp PORT\n");
    return -1;
  }
  return 0;
}

static void fail(const char *what, int rc) {
  fprintf(stderr, "riox-echo: %s: %s (%s)\n", what, riox_strerror(rc), riox_last_detail());
}

/* ------------------------------------------------------------------ UDP */

static void udp_repost(riox_sock *s, char *buf) {
  if (riox_recv(s, buf, g_bufsz, NULL) < 0) riox_buf_put(g_loop, buf);
}

static void udp_event(const riox_event *ev) {
  if (ev->type == RIOX_EV_RECV) {
    if (ev->status == 0) {
      /* Echo in place: the buffer travels with the reply. Deferred: the
       * replies to one batch of events go out together at the next
       * riox_wait (one sendmmsg, one ring submit, one RIO commit). */
      if (ev->seg_size < ev->len) {
        /* Coalesced (--offload on): datagrams of seg_size bytes, the last
         * maybe shorter; one segmented send puts the same ones back. */
        riox_msg msg;
        memset(&msg, 0, sizeof msg);
        msg.to = &ev->addr;
        msg.seg_size = ev->seg_size;
        if (riox_sendmsg(ev->sock, ev->data, ev->len, &msg, RIOX_SEND_DEFER, NULL) == 0) return;
      } else if (riox_sendto(ev->sock, ev->data, ev->len, &ev->addr, RIOX_SEND_DEFER, NULL) == 0) {
        return;
      }
      udp_repost(ev->sock, ev->data); /* out of request slots: drop it */
    } else if (ev->status == RIOX_ECANCELED || ev->status == RIOX_ECLOSING) {
      riox_buf_put(g_loop, ev->data);
    } else {
      udp_repost(ev->sock, ev->data); /* e.g. EMSGSIZE: keep serving */
    }
  } else if (ev->type == RIOX_EV_SEND) {
    if (ev->status == RIOX_ECANCELED) riox_buf_put(g_loop, ev->data);
    else udp_repost(ev->sock, ev->data);
  }
}

/* ------------------------------------------------------------------ TCP */

static void conn_maybe_finish(riox_sock *s, conn *c) {
  if (c->eof && c->sends == 0 && !c->closing) {
    c->closing = 1;
    if (riox_shutdown(s, NULL) < 0) riox_close(s);
  }
}

static void conn_post_recv(riox_sock *s, conn *c, char *buf) {
  if (buf == NULL && riox_buf_get(g_loop, &buf) < 0) return; /* retried after a send */
  if (riox_recv(s, buf, g_bufsz, NULL) < 0) {
    riox_buf_put(g_loop, buf);
    return;
  }
  c->recv_posted = 1;
}

static void tcp_accept(riox_sock *s) {
  conn *c = (conn *)calloc(1, sizeof *c);
  if (c == NULL) {
    riox_close(s);
    return;
  }
  link_add(&c->link, s);
  riox_sock_set_ctx(s, c);
  if (!g_stopping) conn_post_recv(s, c, NULL);
  if (!c->recv_posted) {
    c->closing = 1;
    riox_abort(s); /* no buffer at all: shed load, keep serving others */
  }
}

static void tcp_event(const riox_event *ev) {
  riox_sock *s = ev->sock;
  conn *c = (conn *)ev->sock_ctx;
  switch (ev->type) {
  case RIOX_EV_ACCEPT:
    if (ev->status == 0) tcp_accept(ev->accepted);
    break;
  case RIOX_EV_RECV:
    c->recv_posted = 0;
    if (ev->status == 0) {
      /* Deferred like the UDP replies: the echoes of one batch of events
       * leave with the next riox_wait (on uring in the same io_uring_enter
       * that waits; on RIO one commit). */
      if (riox_send(s, ev->data, ev->len, RIOX_SEND_DEFER, NULL) < 0) {
        riox_buf_put(g_loop, ev->data);
        if (!c->closing) {
          c->closing = 1;
          riox_abort(s);
        }
        break;
      }
      /* Keep reading while this echo is sent, but not while an earlier
       * one is still out too: the send's buffer carries the next receive. */
      if (++c->sends == 1) conn_post_recv(s, c, NULL);
    } else {
      riox_buf_put(g_loop, ev->data);
      if (ev->status == RIOX_EOF) {
        c->eof = 1;
        conn_maybe_finish(s, c);
      } else if (!c->closing) {
        c->closing = 1;
        riox_close(s); /* reset or cancelled */
      }
    }
    break;
  case RIOX_EV_SEND:
    c->sends--;
    if (ev->status == 0 && !c->eof && !c->recv_posted && !c->closing) {
      conn_post_recv(s, c, ev->data);
    } else {
      riox_buf_put(g_loop, ev->data);
    }
    if (ev->status < 0 && !c->closing) {
      c->closing = 1;
      riox_close(s);
    }
    conn_maybe_finish(s, c);
    break;
  case RIOX_EV_SHUTDOWN:
    riox_close(s);
    break;
  case RIOX_EV_CLOSE:
    if (c != NULL) {
      link_del(&c->link);
      free(c);
    }
    break;
  default:
    break;
  }
}

/* ------------------------------------------------------- readiness mode */

#define RCONN_BUF 65536u

typedef struct rconn {
  echo_link link;
  char buf[RCONN_BUF];
  uint32_t off, len; /* bytes [off, len) received, not yet echoed */
  uint32_t interest; /* what the watch asks for now */
  int eof, closing;
} rconn;

/* One datagram whose echo would have blocked, sent when writable. */
static ECHO_TLS struct {
  char data[65536];
  uint32_t len;
  riox_addr to;
  int held;
} g_udp_held;
static ECHO_TLS char g_udp_buf[65536];

static void r_set_interest(riox_sock *s, uint32_t *cur, uint32_t want, void *ctx) {
  if (*cur != want && riox_watch_modify(s, want, ctx) == 0) *cur = want;
}

static void r_udp_ready(riox_sock *s, uint32_t ready) {
  static ECHO_TLS uint32_t interest = RIOX_READABLE;
  int k, n;
  if ((ready & RIOX_WRITABLE) && g_udp_held.held) {
    n = riox_try_send(s, g_udp_held.data, g_udp_held.len, &g_udp_held.to);
    if (n == RIOX_EAGAIN) return;
    g_udp_held.held = 0;
  }
  /* A bounded batch per event keeps other sockets served. */
  for (k = 0; k < 64 && !g_udp_held.held; k++) {
    riox_addr from;
    n = riox_try_recv(s, g_udp_buf, sizeof g_udp_buf, &from);
    if (n == RIOX_EAGAIN) break;
    if (n < 0) continue; /* EMSGSIZE and the like: that datagram is gone */
    if (riox_try_send(s, g_udp_buf, (uint32_t)n, &from) == RIOX_EAGAIN) {
      memcpy(g_udp_held.data, g_udp_buf, (size_t)n);
      g_udp_held.len = (uint32_t)n;
      g_udp_held.to = from;
      g_udp_held.held = 1;
    }
  }
  r_set_interest(s, &interest, g_udp_held.held ? RIOX_WRITABLE : RIOX_READABLE, NULL);
}

static void r_conn_close(riox_sock *s, rconn *c) {
  if (!c->closing) {
    c->closing = 1;
    riox_close(s);
  }
}

static void r_conn_ready(riox_sock *s, rconn *c, uint32_t ready) {
  int n;
  if (c->closing) return;
  if (ready & (RIOX_HANGUP | RIOX_ERROR)) {
    r_conn_close(s, c);
    return;
  }
  /* Read only when everything received so far has been echoed. */
  if (c->off == c->len && !c->eof && (ready & (RIOX_READABLE | RIOX_RDHUP))) {
    n = riox_try_recv(s, c->buf, RCONN_BUF, NULL);
    if (n > 0) {
      c->off = 0;
      c->len = (uint32_t)n;
    } else if (n == RIOX_EOF) {
      c->eof = 1;
    } else if (n != RIOX_EAGAIN) {
      r_conn_close(s, c);
      return;
    }
  }
  while (c->off < c->len) {
    n = riox_try_send(s, c->buf + c->off, c->len - c->off, NULL);
    if (n == RIOX_EAGAIN) break;
    if (n < 0) {
      r_conn_close(s, c);
      return;
    }
    c->off += (uint32_t)n;
  }
  if (c->off < c->len) {
    r_set_interest(s, &c->interest, RIOX_WRITABLE, c);
  } else if (c->eof) {
    /* Everything echoed and the peer is done: FIN, then close. */
    riox_unwatch(s);
    c->closing = 1;
    if (riox_shutdown(s, NULL) < 0) riox_close(s);
  } else {
    r_set_interest(s, &c->interest, RIOX_READABLE | RIOX_RDHUP, c);
  }
}

static void r_accept_all(riox_sock *listener) {
  for (;;) {
    riox_sock *s;
    rconn *c;
    if (riox_try_accept(listener, &s, NULL) < 0) return; /* EAGAIN, or try again later */
    c = (rconn *)calloc(1, sizeof *c);
    if (c == NULL) {
      riox_abort(s); /* shed load, keep serving others */
      continue;
    }
    link_add(&c->link, s);
    riox_sock_set_ctx(s, c);
    c->interest = RIOX_READABLE | RIOX_RDHUP;
    if (g_stopping || riox_watch(s, c->interest, c) < 0) {
      c->closing = 1;
      riox_abort(s);
    }
  }
}

static void readiness_event(const riox_event *ev, riox_sock *udp, riox_sock *tcp) {
  if (ev->type == RIOX_EV_READY) {
    if (ev->sock == udp) r_udp_ready(udp, ev->ready);
    else if (ev->sock == tcp) r_accept_all(tcp);
    else r_conn_ready(ev->sock, (rconn *)ev->sock_ctx, ev->ready);
  } else if (ev->type == RIOX_EV_SHUTDOWN) {
    riox_close(ev->sock);
  } else if (ev->type == RIOX_EV_CLOSE && ev->sock != udp && ev->sock != tcp) {
    rconn *c = (rconn *)ev->sock_ctx;
    link_del(&c->link);
    free(c);
  }
}

/* ------------------------------------------------------------ threads */

/* One serving thread: its loop is created, run and closed on it (a uring
 * loop must stay on the thread that made it: SINGLE_ISSUER). */
typedef struct echo_thread {
  const echo_opts *o;
  int index;
  riox_addr bind;         /* --bind */
  long udp_port, tcp_port; /* what to open (-1 = nothing) */
  riox_loop *ctl;          /* woken once this thread is serving (or failed) */
  int rc;                  /* 0 serving, else why not (printed) */
  unsigned udp_bound, tcp_bound;
  const char *backend;
  riox_stats st;
  long conns_high; /* connections open at once, at most */
  riox_loop *live; /* the loop while it may be woken by a stop signal */
  int signalled;   /* a stop signal came before the loop was registered */
} echo_thread;

/* ------------------------------------------------------------ signals */

#ifndef _WIN32
/* SIGINT and SIGTERM are blocked in every thread and taken by one thread
 * (sigwait), which wakes every serving loop (riox_wake is no
 * async-signal-safe call, but any thread may make it). The lock keeps a
 * wake off a loop that is being closed. */
static pthread_mutex_t g_sig_lock = PTHREAD_MUTEX_INITIALIZER;
static echo_thread *g_sig_ts;
static long g_sig_n;
static int g_sig_got;  /* the signal that stopped the server (0: none) */
static int g_sig_done; /* serving is over: the signal thread ends */
static pthread_t g_sig_thread;
static int g_sig_started;

static void echo__sigset(sigset_t *set) {
  sigemptyset(set);
  sigaddset(set, SIGINT);
  sigaddset(set, SIGTERM);
}

static void *echo__sig_main(void *arg) {
  sigset_t set;
  (void)arg;
  echo__sigset(&set);
  for (;;) {
    int sig = 0;
    long i;
    if (sigwait(&set, &sig) != 0) continue;
    pthread_mutex_lock(&g_sig_lock);
    if (g_sig_done) {
      pthread_mutex_unlock(&g_sig_lock);
      return NULL;
    }
    g_sig_got = sig;
    for (i = 0; i < g_sig_n; i++)
      if (g_sig_ts[i].live != NULL) (void)riox_wake(g_sig_ts[i].live, NULL);
    pthread_mutex_unlock(&g_sig_lock);
  }
}

/* Before any other thread exists (they inherit the blocked mask). */
static void echo_signals_start(echo_thread *ts, long n) {
  sigset_t set;
  echo__sigset(&set);
  g_sig_ts = ts;
  g_sig_n = n;
  if (pthread_sigmask(SIG_BLOCK, &set, NULL) != 0) return;
  if (pthread_create(&g_sig_thread, NULL, echo__sig_main, NULL) == 0) g_sig_started = 1;
  else (void)pthread_sigmask(SIG_UNBLOCK, &set, NULL); /* they kill it, as before */
}

/* Returns the signal that stopped the server, 0 if none did. */
static int echo_signals_stop(void) {
  if (g_sig_started) {
    pthread_mutex_lock(&g_sig_lock);
    g_sig_done = 1;
    pthread_mutex_unlock(&g_sig_lock);
    (void)pthread_kill(g_sig_thread, SIGTERM);
    (void)pthread_join(g_sig_thread, NULL);
    g_sig_started = 0;
  }
  return g_sig_got;
}

/* loop: register it for stop signals; NULL: unregister (before closing). */
static void echo_live(echo_thread *t, riox_loop *loop) {
  pthread_mutex_lock(&g_sig_lock);
  t->live = loop;
  if (loop != NULL) t->signalled = g_sig_got != 0;
  pthread_mutex_unlock(&g_sig_lock);
}
#else
/* Windows: riox-echo runs until --seconds or until killed. */
static void echo_signals_start(echo_thread *ts, long n) {
  (void)ts;
  (void)n;
}
static int echo_signals_stop(void) { return 0; }
static void echo_live(echo_thread *t, riox_loop *loop) { t->live = loop; }
#endif

#ifdef _WIN32
typedef HANDLE echo_os_thread;
static DWORD WINAPI echo__thread_main(LPVOID arg);
static int echo_thread_start(echo_os_thread *t, echo_thread *arg) {
  *t = CreateThread(NULL, 0, echo__thread_main, arg, 0, NULL);
  return *t != NULL ? 0 : -1;
}
static void echo_thread_join(echo_os_thread t) {
  WaitForSingleObject(t, INFINITE);
  CloseHandle(t);
}
static int echo_pin(int cpu) {
  return cpu < (int)(8 * sizeof(DWORD_PTR)) &&
                 SetThreadAffinityMask(GetCurrentThread(), (DWORD_PTR)1 << cpu) != 0
             ? 0
             : -1;
}
#else
typedef pthread_t echo_os_thread;
static void *echo__thread_main(void *arg);
static int echo_thread_start(echo_os_thread *t, echo_thread *arg) {
  return pthread_create(t, NULL, echo__thread_main, arg) == 0 ? 0 : -1;
}
static void echo_thread_join(echo_os_thread t) { pthread_join(t, NULL); }
static int echo_pin(int cpu) {
  cpu_set_t set;
  if (cpu >= CPU_SETSIZE) return -1;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  return pthread_setaffinity_np(pthread_self(), sizeof set, &set) == 0 ? 0 : -1;
}
#endif

static void echo_fail(echo_thread *t, const char *what, int rc) {
  if (t->o->threads > 1)
    fprintf(stderr, "riox-echo: thread %d: %s: %s (%s)\n", t->index, what, riox_strerror(rc),
            riox_last_detail());
  else
    fail(what, rc);
  t->rc = rc;
}

static int echo_setup(echo_thread *t, riox_sock **udp, riox_sock **tcp) {
  const echo_opts *o = t->o;
  riox_loop_config cfg;
  riox_addr bind_addr = t->bind, a;
  uint32_t flags = 0;
  int rc;
  long i;
  riox_loop_config_init(&cfg);
  cfg.backend = o->backend;
  cfg.buf_size = ECHO_BUF_SIZE;
  cfg.buf_count = (uint32_t)o->buf_count;
  if (o->threads > 1) {
    /* Windows ties each UDP socket to its loop's processor
     * (SIO_CPU_AFFINITY); Linux prefers the socket whose CPU took the packet
     * in (SO_INCOMING_CPU), which only helps when the thread runs there. */
#ifdef _WIN32
    cfg.cpu = (uint32_t)t->index + 1u;
#else
    if (o->pin) cfg.cpu = (uint32_t)t->index + 1u;
#endif
    flags |= RIOX_SOCK_REUSEPORT;
  }
  if (o->pin && echo_pin(t->index) < 0)
    fprintf(stderr, "riox-echo: thread %d: cannot pin it to processor %d; it runs unpinned\n",
            t->index, t->index);
  rc = riox_loop_create(&cfg, &g_loop);
  if (rc < 0) {
    echo_fail(t, "cannot create the loop", rc);
    return rc;
  }
  echo_live(t, g_loop);
  g_bufsz = riox_loop_buf_size(g_loop);
  t->backend = riox_loop_backend(g_loop);
  /* "::" serves both families. */
  if (bind_addr.family == RIOX_AF_INET6) {
    static const uint8_t zero[16];
    if (memcmp(bind_addr.ip, zero, 16) == 0) flags |= RIOX_SOCK_DUALSTACK;
  }
  /* A socket's style is chosen when it is opened; the listener's
   * connections (riox_try_accept) follow it. */
  if (o->readiness) flags |= RIOX_SOCK_READINESS;
  if (t->udp_port >= 0) {
    bind_addr.port = (uint16_t)t->udp_port;
    rc = riox_udp_open(g_loop, &bind_addr, NULL, flags | (o->offload ? RIOX_UDP_GRO : 0u), NULL,
                       udp);
    if (rc == 0 && o->readiness) rc = riox_watch(*udp, RIOX_READABLE, NULL);
    if (rc < 0) {
      echo_fail(t, "cannot open the UDP socket", rc);
      return rc;
    }
    for (i = 0; !o->readiness && i < o->udp_depth; i++) {
      char *buf;
      if (riox_buf_get(g_loop, &buf) < 0) break;
      udp_repost(*udp, buf);
    }
    if (riox_sock_local(*udp, &a) == 0) t->udp_bound = a.port;
  }
  if (t->tcp_port >= 0) {
    bind_addr.port = (uint16_t)t->tcp_port;
    rc = riox_tcp_listen(g_loop, &bind_addr, 0, flags, NULL, tcp);
    if (rc == 0 && o->readiness) rc = riox_watch(*tcp, RIOX_READABLE, NULL);
    if (rc < 0) {
      echo_fail(t, "cannot listen on TCP", rc);
      return rc;
    }
    if (riox_sock_local(*tcp, &a) == 0) t->tcp_bound = a.port;
  }
  return 0;
}

static void echo_dispatch(const echo_thread *t, const riox_event *ev, riox_sock *udp,
                          riox_sock *tcp) {
  if (ev->type == RIOX_EV_ERROR)
    fprintf(stderr, "riox-echo: loop error: %s\n", riox_strerror(ev->status));
  else if (t->o->readiness) readiness_event(ev, udp, tcp);
  else if (ev->sock == udp) udp_event(ev);
  else tcp_event(ev);
}

/* The stop: abort every connection, close the UDP socket and the listener,
 * and serve their last events until all have closed or STOP_DRAIN_MS
 * passed (riox_loop_close then discards the rest; echo_close_loop frees the
 * connections still listed). */
static void echo_stop(const echo_thread *t, riox_sock *udp, riox_sock *tcp) {
  static const char drain_token = 0;
  riox_event evs[128];
  echo_link *l;
  uint64_t timer = 0;
  int udp_open = udp != NULL, tcp_open = tcp != NULL, expired = 0;
  g_stopping = 1;
  for (l = g_conns; l != NULL; l = l->next) {
    if (t->o->readiness) ((rconn *)l)->closing = 1;
    else ((conn *)l)->closing = 1;
    (void)riox_abort(l->sock); /* RIOX_ECLOSING if it was closing already */
  }
  if (udp_open && riox_close(udp) < 0) udp_open = 0;
  if (tcp_open && riox_close(tcp) < 0) tcp_open = 0;
  if (riox_timer_start(g_loop, STOP_DRAIN_MS, (void *)&drain_token, &timer) < 0) return;
  while ((g_conns != NULL || udp_open || tcp_open) && !expired) {
    int n = riox_wait(g_loop, evs, 128, -1), k;
    if (n < 0) return;
    for (k = 0; k < n; k++) {
      const riox_event *ev = &evs[k];
      if (ev->type == RIOX_EV_TIMER || ev->type == RIOX_EV_WAKE) {
        if (ev->ctx == (const void *)&drain_token) expired = 1;
        continue;
      }
      if (ev->type == RIOX_EV_CLOSE && ev->sock == udp) udp_open = 0;
      if (ev->type == RIOX_EV_CLOSE && ev->sock == tcp) tcp_open = 0;
      echo_dispatch(t, ev, udp, tcp);
    }
  }
}

/* Unregister the loop from the stop signals, close it, free what is left. */
static void echo_close_loop(echo_thread *t) {
  echo_live(t, NULL);
  if (g_loop != NULL) riox_loop_close(g_loop);
  g_loop = NULL;
  while (g_conns != NULL) {
    echo_link *l = g_conns;
    link_del(l);
    free(l); /* the conn or rconn it begins */
  }
  g_stopping = 0;
}

/* Serve until --seconds passed or a stop signal came, then stop. */
static void echo_run(echo_thread *t, riox_sock *udp, riox_sock *tcp) {
  riox_event evs[128];
  uint64_t timer = 0;
  int running = !t->signalled;
  if (t->o->seconds > 0) riox_timer_start(g_loop, (uint64_t)t->o->seconds * 1000u, NULL, &timer);
  while (running) {
    int n = riox_wait(g_loop, evs, 128, -1), k;
    if (n < 0) {
      echo_fail(t, "riox_wait", n);
      break;
    }
    for (k = 0; k < n; k++) {
      const riox_event *ev = &evs[k];
      if (ev->type == RIOX_EV_TIMER || ev->type == RIOX_EV_WAKE) running = 0;
      else echo_dispatch(t, ev, udp, tcp);
    }
  }
  riox_loop_stats(g_loop, &t->st);
  t->conns_high = g_conns_high;
  echo_stop(t, udp, tcp);
}

static void echo_serve(echo_thread *t) {
  riox_sock *udp = NULL, *tcp = NULL;
  int rc = echo_setup(t, &udp, &tcp);
  (void)riox_wake(t->ctl, t);
  if (rc == 0) echo_run(t, udp, tcp);
  echo_close_loop(t);
}

#ifdef _WIN32
static DWORD WINAPI echo__thread_main(LPVOID arg) {
  echo_serve((echo_thread *)arg);
  return 0;
}
#else
static void *echo__thread_main(void *arg) {
  echo_serve((echo_thread *)arg);
  return NULL;
}
#endif

/* Start thread i and wait until it serves (or failed): thread 0 learns the
 * ports (0 = ephemeral) that the others then share. */
static int echo_start(echo_thread *t, echo_os_thread *ot, riox_loop *ctl) {
  riox_event ev;
  int n;
  t->ctl = ctl;
  if (echo_thread_start(ot, t) < 0) {
    fprintf(stderr, "riox-echo: cannot start thread %d\n", t->index);
    return -1;
  }
  do {
    n = riox_wait(ctl, &ev, 1, -1);
  } while (n == 0 || (n > 0 && ev.type != RIOX_EV_WAKE));
  if (n < 0) {
    fail("riox_wait (threads)", n);
    return -1;
  }
  return 0;
}

/* ----------------------------------------------------------------- main */

static void echo_report_stop(const echo_opts *o, const echo_thread *ts) {
  int sig = echo_signals_stop();
  long i, high = 0;
  if (o->quiet) return;
  if (sig != 0) fprintf(stderr, "riox-echo: stopped by signal %d\n", sig);
  for (i = 0; i < o->threads; i++) high += ts[i].conns_high;
  /* The server's own memory per connection (readiness: its echo buffer). */
  fprintf(stderr, "riox-echo: connections high-water %ld of %u bytes each\n", high,
          (unsigned)(o->readiness ? sizeof(rconn) : sizeof(conn)));
}

static void echo_print_stats(const char *who, const riox_stats *st) {
  fprintf(stderr,
          "riox-echo: %srecv %llu (%llu bytes) send %llu (%llu bytes) accepts %llu os_calls %llu "
          "waits %llu drops %llu icmp %llu buffers high-water %llu/%llu\n",
          who, (unsigned long long)st->recv_ops, (unsigned long long)st->recv_bytes,
          (unsigned long long)st->send_ops, (unsigned long long)st->send_bytes,
          (unsigned long long)st->accepts, (unsigned long long)st->os_calls,
          (unsigned long long)st->waits, (unsigned long long)st->drops,
          (unsigned long long)st->icmp_errors, (unsigned long long)st->buf_high_water,
          (unsigned long long)st->buf_total);
}

int main(int argc, char **argv) {
  echo_opts o;
  riox_addr bind_addr;
  echo_thread *ts;
  echo_os_thread *ots;
  riox_loop *ctl = NULL;
  riox_stats sum;
  long i;
  if (parse_args(argc, argv, &o) < 0) return 2;
  if (riox_addr_parse(o.bind, 0, &bind_addr) < 0) {
    fprintf(stderr, "riox-echo: --bind '%s': %s\n", o.bind, riox_last_detail());
    return 2;
  }
#ifdef RIOX_WITH_RIO_EMU
  {
    const char *emu = getenv("RIOX_RIO_EMULATION");
    if (emu != NULL && strcmp(emu, "1") == 0) rio_emu_install(1);
  }
#endif
  ts = (echo_thread *)calloc((size_t)o.threads, sizeof *ts);
  ots = (echo_os_thread *)calloc((size_t)o.threads, sizeof *ots);
  if (ts == NULL || ots == NULL) {
    fprintf(stderr, "riox-echo: no memory for %ld threads\n", o.threads);
    return 1;
  }
  for (i = 0; i < o.threads; i++) {
    ts[i].o = &o;
    ts[i].index = (int)i;
    ts[i].bind = bind_addr;
    ts[i].udp_port = o.udp_port;
    ts[i].tcp_port = o.tcp_port;
  }
  if (o.threads == 1) {
    /* One loop, on this thread, as always. */
    riox_sock *udp = NULL, *tcp = NULL;
    echo_signals_start(ts, 1);
    if (echo_setup(&ts[0], &udp, &tcp) < 0) {
      echo_close_loop(&ts[0]);
      (void)echo_signals_stop();
      return 1;
    }
    printf("ready backend=%s udp=%u tcp=%u\n", ts[0].backend, ts[0].udp_bound, ts[0].tcp_bound);
    fflush(stdout);
    echo_run(&ts[0], udp, tcp);
    echo_close_loop(&ts[0]);
    echo_report_stop(&o, ts);
    if (!o.quiet) echo_print_stats("", &ts[0].st);
    i = ts[0].rc < 0 ? 1 : 0;
    free(ts);
    free(ots);
    return (int)i;
  }
  {
    /* The main thread only waits for the serving threads to be set up. */
    riox_loop_config cc;
    int rc;
    echo_signals_start(ts, o.threads);
    riox_loop_config_init(&cc);
    cc.backend = o.backend;
    cc.buf_size = 64;
    cc.buf_count = 1;
    cc.max_requests = 16;
    rc = riox_loop_create(&cc, &ctl);
    if (rc < 0) {
      fail("cannot create the control loop", rc);
      return 1;
    }
  }
  for (i = 0; i < o.threads; i++) {
    if (i > 0) {
      /* The ports thread 0 got (an ephemeral port is shared too). */
      if (o.udp_port >= 0) ts[i].udp_port = (long)ts[0].udp_bound;
      if (o.tcp_port >= 0) ts[i].tcp_port = (long)ts[0].tcp_bound;
#ifdef _WIN32
      ts[i].tcp_port = -1; /* no TCP port sharing on Windows: thread 0 listens */
#endif
    }
    if (echo_start(&ts[i], &ots[i], ctl) < 0) return 1;
    if (ts[i].rc < 0) return 1; /* said why; the process ends with its threads */
  }
  printf("ready backend=%s udp=%u tcp=%u threads=%ld\n", ts[0].backend, ts[0].udp_bound,
         ts[0].tcp_bound, o.threads);
  fflush(stdout);
  memset(&sum, 0, sizeof sum);
  for (i = 0; i < o.threads; i++) {
    echo_thread_join(ots[i]);
    sum.recv_ops += ts[i].st.recv_ops;
    sum.recv_bytes += ts[i].st.recv_bytes;
    sum.send_ops += ts[i].st.send_ops;
    sum.send_bytes += ts[i].st.send_bytes;
    sum.accepts += ts[i].st.accepts;
    sum.os_calls += ts[i].st.os_calls;
    sum.waits += ts[i].st.waits;
    sum.drops += ts[i].st.drops;
    sum.icmp_errors += ts[i].st.icmp_errors;
    sum.buf_high_water += ts[i].st.buf_high_water;
    sum.buf_total += ts[i].st.buf_total;
  }
  riox_loop_close(ctl);
  echo_report_stop(&o, ts);
  if (!o.quiet) {
    char who[32];
    echo_print_stats("", &sum);
    for (i = 0; i < o.threads; i++) {
      snprintf(who, sizeof who, "thread %ld: ", i);
      echo_print_stats(who, &ts[i].st);
    }
  }
  for (i = 0; i < o.threads; i++)
    if (ts[i].rc < 0) return 1;
  free(ts);
  free(ots);
  return 0;
}
