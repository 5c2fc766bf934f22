#include "harness.h"

#include <stdarg.h>

const char *h_backend = "?";
int h_failures;
static const char *h__test = "?";

void h_fail_at(const char *file, int line, const char *fmt, ...) {
  va_list ap;
  fprintf(stderr, "FAIL %s [%s] %s:%d: ", h__test, h_backend, file, line);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
  fflush(stderr);
  h_failures++;
}

void h_skip(const char *reason) {
  printf("SKIP %s: %s\n", h__test, reason);
  fflush(stdout);
  exit(H_SKIP);
}

int h_skip_pass(const char *fmt, ...) {
  va_list ap;
  printf("SKIP %s [%s]: ", h__test, h_backend);
  va_start(ap, fmt);
  vprintf(fmt, ap);
  va_end(ap);
  putchar('\n');
  fflush(stdout);
  return H_SKIP;
}

const char *h_default_backend(void) {
  const char *names[8];
  return h_plat_backends(names, 8) > 0 ? names[0] : "auto";
}

void h_config(riox_loop_config *cfg) {
  riox_loop_config_init(cfg);
  cfg->backend = h_plat_config_name(h_backend);
}

int h_loop(riox_loop **loop, const riox_loop_config *cfg) {
  riox_loop_config c;
  int rc;
  if (cfg != NULL) {
    c = *cfg;
  } else {
    h_config(&c);
  }
  rc = riox_loop_create(&c, loop);
  if (rc == 0) h_forget(*loop); /* a new loop may reuse a closed one's address */
  return rc;
}

static unsigned h__misuse_expected;

void h_expect_misuse(unsigned n) { h__misuse_expected += n; }

/* Whether the current backend has readiness: riox_watch on a readiness
 * socket of a fresh loop. 0 it has; H_SKIP it has not (RIOX_ENOTSUP; the
 * reason printed); 1 the check itself failed (printed). */
static int h__readiness_check(void) {
  riox_loop *loop;
  riox_sock *s;
  riox_addr lo = h_v4(0);
  riox_event ev;
  char why[256];
  int rc, watch;
  H_OK(h_loop(&loop, NULL));
  rc = riox_udp_open(loop, &lo, NULL, RIOX_SOCK_READINESS, NULL, &s);
  if (rc == RIOX_ENOTSUP) {
    snprintf(why, sizeof why, "%s", riox_last_detail());
    riox_loop_close(loop);
    return h_skip_pass("riox_udp_open(RIOX_SOCK_READINESS): RIOX_ENOTSUP (%s)", why);
  }
  H_OK(rc);
  watch = riox_watch(s, RIOX_READABLE, NULL);
  snprintf(why, sizeof why, "%s", riox_last_detail());
  if (watch != RIOX_ENOTSUP) H_OK(watch);
  H_OK(riox_close(s));
  H_EQ(h_wait_for(loop, RIOX_EV_CLOSE, s, &ev, NULL, 5000), 0);
  riox_loop_close(loop);
  if (watch == RIOX_ENOTSUP) return h_skip_pass("riox_watch: RIOX_ENOTSUP (%s)", why);
  return 0;
}

static int h__readiness; /* h_run_readiness: check before each pass */

/* One pass: 0 passed, 1 failed, H_SKIP skipped (reason printed). */
static int h__one(const char *backend, h_test_fn fn) {
  int before = h_failures, rc = 0;
  uint64_t t0 = h_now_ms();
  unsigned misuse0, misuse;
  h_backend = backend;
  h_plat_begin(backend);
  misuse0 = h_plat_misuse();
  h__misuse_expected = 0;
  if (h__readiness) rc = h__readiness_check();
  if (rc == 0) rc = fn();
  if (rc == H_SKIP && h_failures == before) {
    h_plat_end(backend);
    return H_SKIP;
  }
  if (rc != 0 && h_failures == before) H_FAIL("test returned %d without a message", rc);
  /* Whatever the emulator refused as Windows would (its "rio-emu: MISUSE"
   * lines on stderr) fails the pass, unless the test asked for it. */
  misuse = h_plat_misuse() - misuse0;
  if (rc == 0 && misuse != h__misuse_expected)
    H_FAIL("the RIO emulator reported %u misuse(s) (see rio-emu: MISUSE above), expected %u", misuse,
           h__misuse_expected);
  h_plat_end(backend);
  printf("%s %s [%s] %llu ms\n", h_failures == before ? "PASS" : "FAIL", h__test, backend,
         (unsigned long long)(h_now_ms() - t0));
  fflush(stdout);
  return h_failures == before ? 0 : 1;
}

int h_run_backend(const char *name, const char *backend, h_test_fn fn) {
  h__test = name;
  return h__one(backend, fn);
}

int h_run(const char *name, h_test_fn fn) {
  const char *names[8];
  char only[32], why[256];
  int n = h_plat_backends(names, 8), i, fails = 0, ran = 0, known = 0;
  int selected = h_getenv("RIOX_TEST_BACKEND", only, sizeof only);
  h__test = name;
  for (i = 0; i < n; i++) {
    int rc;
    if (selected && strcmp(only, names[i]) != 0) continue;
    known = 1;
    /* Asked when the pass is due, not before: the passes before it may be
     * a test's first riox calls (h_plat_usable probes the OS). */
    if (!h_plat_usable(names[i], why, sizeof why)) {
      if (selected) {
        printf("SKIP %s [%s]: %s\n", name, names[i], why[0] ? why : "not usable here");
      } else if (why[0] != '\0') {
        printf("NOTE %s: no %s pass: %s\n", name, names[i], why);
      }
      fflush(stdout);
      continue;
    }
    rc = h__one(names[i], fn);
    if (rc == H_SKIP) continue;
    ran++;
    fails += rc;
  }
  if (selected && !known) {
    fprintf(stderr, "FAIL %s: RIOX_TEST_BACKEND=%s is no backend of this OS (first: %s)\n", name, only,
            h_default_backend());
    return 1;
  }
  if (fails) return 1;
  return ran > 0 ? 0 : H_SKIP;
}

int h_run_readiness(const char *name, h_test_fn fn) {
  h__readiness = 1;
  return h_run(name, fn);
}

riox_addr h_v4(uint16_t port) {
  riox_addr a;
  memset(&a, 0, sizeof a);
  a.family = RIOX_AF_INET;
  a.port = port;
  a.ip[0] = 127;
  a.ip[3] = 1;
  return a;
}

riox_addr h_v6(uint16_t port) {
  riox_addr a;
  memset(&a, 0, sizeof a);
  a.family = RIOX_AF_INET6;
  a.port = port;
  a.ip[15] = 1;
  return a;
}

static void h__log(h_log *log, const riox_event *ev) {
  if (log != NULL && log->n < (int)(sizeof log->ev / sizeof log->ev[0])) log->ev[log->n++] = *ev;
}

/* Events h_wait_for received but did not want, kept (per loop) so a later
 * h_wait_for or h_collect still sees them: completions of one riox_wait
 * batch arrive in whatever order the OS finished them. */
static struct {
  riox_loop *loop;
  riox_event ev;
} h__stash[4096];
static int h__nstash;

static void h__stash_put(riox_loop *loop, const riox_event *ev) {
  if (h__nstash < (int)(sizeof h__stash / sizeof h__stash[0])) {
    h__stash[h__nstash].loop = loop;
    h__stash[h__nstash].ev = *ev;
    h__nstash++;
  }
}

/* Remove and return the oldest stashed event of loop matching type (0 = any)
 * and sock (NULL = any). */
static int h__stash_take(riox_loop *loop, uint32_t type, riox_sock *sock, riox_event *out) {
  int i;
  for (i = 0; i < h__nstash; i++) {
    const riox_event *ev = &h__stash[i].ev;
    if (h__stash[i].loop != loop) continue;
    if (type != 0 && ev->type != type) continue;
    if (sock != NULL && ev->sock != sock) continue;
    *out = *ev;
    memmove(&h__stash[i], &h__stash[i + 1], (size_t)(h__nstash - i - 1) * sizeof h__stash[0]);
    h__nstash--;
    return 1;
  }
  return 0;
}

void h_forget(riox_loop *loop) {
  riox_event ev;
  while (h__stash_take(loop, 0, NULL, &ev)) {
  }
}

int h_wait_for(riox_loop *loop, uint32_t type, riox_sock *sock, riox_event *out, h_log *others,
               int timeout_ms) {
  uint64_t until = h_now_ms() + (uint64_t)timeout_ms;
  if (h__stash_take(loop, type, sock, out)) return 0;
  for (;;) {
    riox_event evs[64];
    uint64_t now = h_now_ms();
    int n, i, found = 0;
    if (now >= until) return -1;
    n = riox_wait(loop, evs, 64, (int)(until - now));
    if (n < 0) return -1;
    for (i = 0; i < n; i++) {
      if (!found && evs[i].type == type && (sock == NULL || evs[i].sock == sock)) {
        *out = evs[i];
        found = 1;
        continue;
      }
      h__log(others, &evs[i]);
      h__stash_put(loop, &evs[i]);
    }
    if (found) return 0;
  }
}

int h_collect(riox_loop *loop, uint32_t type, int count, h_log *log, int timeout_ms) {
  uint64_t until = h_now_ms() + (uint64_t)timeout_ms;
  int got = 0;
  riox_event ev;
  while (got < count && h__stash_take(loop, 0, NULL, &ev)) {
    h__log(log, &ev);
    if (ev.type == type) got++;
  }
  while (got < count) {
    riox_event evs[64];
    uint64_t now = h_now_ms();
    int n, i;
    if (now >= until) break;
    n = riox_wait(loop, evs, 64, (int)(until - now));
    if (n < 0) break;
    for (i = 0; i < n; i++) {
      h__log(log, &evs[i]);
      if (evs[i].type == type) got++;
    }
  }
  return got;
}

int h_tcp_ready_pair(riox_loop *cloop, riox_loop *sloop, riox_sock **lst, riox_sock **cli,
                     riox_sock **srv) {
  riox_addr la = h_v4(0), at;
  riox_event ev;
  int i, rc;
  *srv = NULL;
  H_OK(riox_tcp_listen(sloop, &la, 8, RIOX_SOCK_READINESS, NULL, lst));
  H_OK(riox_sock_local(*lst, &at));
  H_OK(riox_tcp_connect(cloop, &at, NULL, RIOX_SOCK_READINESS, NULL, cli));
  for (i = 0; i < 500 && *srv == NULL; i++) {
    rc = riox_try_accept(*lst, srv, NULL);
    if (rc == RIOX_EAGAIN)
      h_sleep_ms(10);
    else
      H_OK(rc);
  }
  H_CHECK(*srv != NULL);
  /* The client's connect settles once it can write. */
  H_OK(riox_watch(*cli, RIOX_WRITABLE, NULL));
  H_EQ(h_wait_for(cloop, RIOX_EV_READY, *cli, &ev, NULL, 5000), 0);
  H_OK(riox_unwatch(*cli));
  return 0;
}

int h_closed_port(riox_loop *loop, riox_addr *out) {
  riox_addr any = h_v4(0);
  riox_sock *s;
  riox_event ev;
  H_OK(riox_udp_open(loop, &any, NULL, 0, NULL, &s));
  H_OK(riox_sock_local(s, out));
  H_OK(riox_close(s));
  H_EQ(h_wait_for(loop, RIOX_EV_CLOSE, s, &ev, NULL, 5000), 0);
  return 0;
}

int h_tcp_pair(riox_loop *cloop, riox_loop *sloop, int v6, riox_sock **cli, riox_sock **srv) {
  riox_addr la = v6 ? h_v6(0) : h_v4(0), addr;
  riox_sock *lis;
  riox_event ev;
  *cli = NULL;
  *srv = NULL;
  H_OK(riox_tcp_listen(sloop, &la, 0, 0, NULL, &lis));
  H_OK(riox_sock_local(lis, &addr));
  H_OK(riox_tcp_connect(cloop, &addr, NULL, 0, NULL, cli));
  H_EQ(h_wait_for(sloop, RIOX_EV_ACCEPT, lis, &ev, NULL, 10000), 0);
  H_EQ(ev.status, 0);
  H_CHECK(ev.accepted != NULL);
  *srv = ev.accepted;
  H_EQ(h_wait_for(cloop, RIOX_EV_CONNECT, *cli, &ev, NULL, 10000), 0);
  H_EQ(ev.status, 0);
  H_OK(riox_close(lis));
  H_EQ(h_wait_for(sloop, RIOX_EV_CLOSE, lis, &ev, NULL, 10000), 0);
  return 0;
}

int h_nothing_posted(riox_loop *loop, uint64_t reqs) {
  riox_event ev;
  riox_stats st;
  int n = riox_wait(loop, &ev, 1, 200);
  if (n != 0) {
    H_FAIL("a failed call produced an event: type %u status %d ctx %p", ev.type, ev.status, ev.ctx);
    return 1;
  }
  riox_loop_stats(loop, &st);
  H_EQ(st.req_in_use, reqs);
  return 0;
}

void h_fill(char *buf, uint32_t len, uint32_t seed) {
  uint32_t x = seed * 2654435761u + 1u, i;
  for (i = 0; i < len; i++) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    buf[i] = (char)(x & 0xff);
  }
}

uint32_t h_verify(const char *buf, uint32_t len, uint32_t seed) {
  uint32_t x = seed * 2654435761u + 1u, i;
  for (i = 0; i < len; i++) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    if (buf[i] != (char)(x & 0xff)) return i + 1;
  }
  return 0;
}
