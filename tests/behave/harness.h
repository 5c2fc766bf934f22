/* Harness for the behaviour test programs: one program per behaviour, exit
 * code = verdict (0 pass, 1 fail, 77 skip with a printed reason). A test
 * body runs once per backend of this OS usable on this host:
 *   Windows: "iocp" always, "rio" where the OS has RIO, else "rio-emulated"
 *            where the RIO emulator is linked (Wine has no RIO);
 *   Linux:   every backend riox_probe reports usable ("epoll", "uring").
 * RIOX_TEST_BACKEND=<name> (CTest sets it, one test per backend) runs that
 * backend only; when it cannot run here the program says why and exits 77.
 * OS services beyond riox.h (threads, sleep, clocks) come from plat.h. */
#ifndef RIOX_TEST_HARNESS_H
#define RIOX_TEST_HARNESS_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plat.h"
#include "riox.h"

#define H_SKIP 77

extern const char *h_backend; /* backend of the current pass: "iocp", "rio", "epoll"... */
extern int h_failures;

void h_fail_at(const char *file, int line, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
#define H_FAIL(...) h_fail_at(__FILE__, __LINE__, __VA_ARGS__)

/* Assertions print both operands and the backend, then return from the
 * enclosing test function (which returns int). */
#define H_CHECK(cond)                                   \
  do {                                                  \
    if (!(cond)) {                                      \
      H_FAIL("check failed: %s", #cond);                \
      return 1;                                         \
    }                                                   \
  } while (0)
#define H_EQ(a, b)                                                                         \
  do {                                                                                     \
    long long h__a = (long long)(a), h__b = (long long)(b);                                \
    if (h__a != h__b) {                                                                    \
      H_FAIL("%s == %s failed: %lld != %lld", #a, #b, h__a, h__b);                         \
      return 1;                                                                            \
    }                                                                                      \
  } while (0)
/* A riox call that must succeed; prints the code, its name and the detail. */
#define H_OK(call)                                                                          \
  do {                                                                                      \
    int h__rc = (call);                                                                     \
    if (h__rc < 0) {                                                                        \
      H_FAIL("%s failed: %d %s (%s)", #call, h__rc, riox_err_name(h__rc), riox_last_detail()); \
      return 1;                                                                             \
    }                                                                                       \
  } while (0)
/* A riox call that must fail with exactly `want`. */
#define H_ERR(call, want)                                                                     \
  do {                                                                                        \
    int h__rc = (call);                                                                       \
    if (h__rc != (want)) {                                                                    \
      H_FAIL("%s returned %d %s, expected %d %s", #call, h__rc, riox_err_name(h__rc), (want),  \
             riox_err_name(want));                                                            \
      return 1;                                                                               \
    }                                                                                         \
  } while (0)

/* A failing call that must also say why (riox_last_detail). */
#define H_ERR_D(call, want)                 \
  do {                                      \
    H_ERR(call, want);                      \
    H_CHECK(riox_last_detail()[0] != '\0'); \
  } while (0)

typedef int (*h_test_fn)(void);

/* Run `fn` once per available backend; returns the process exit code: 1 if
 * a pass failed, 77 if every pass was skipped, 0 otherwise. A body may skip
 * its pass with `return h_skip_pass("why")`. */
int h_run(const char *name, h_test_fn fn);
/* As h_run for a readiness test (riox_watch and friends): a pass on a
 * backend where riox_watch answers RIOX_ENOTSUP (readiness not built there)
 * is skipped with riox_last_detail() as the reason. Found out at run time,
 * so the test runs the day readiness lands. */
int h_run_readiness(const char *name, h_test_fn fn);
/* Run fn once on one named backend of this OS (see h_run). */
int h_run_backend(const char *name, const char *backend, h_test_fn fn);
/* Print why this pass cannot run and return H_SKIP (for `return`). */
int h_skip_pass(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;
/* The first backend of this OS ("iocp", "epoll"): one every host has. */
const char *h_default_backend(void);
/* The current pass deliberately makes n more calls the RIO emulator reports
 * as misuse; any other count of misuse reports fails the pass. */
void h_expect_misuse(unsigned n);
/* Print a reason and exit 77. Only for a capability that cannot exist here. */
void h_skip(const char *reason);

/* A config for the current backend (cfg.backend set), defaults otherwise. */
void h_config(riox_loop_config *cfg);
/* Create a loop for the current backend with the given config (NULL = default). */
int h_loop(riox_loop **loop, const riox_loop_config *cfg);

/* 127.0.0.1:port / [::1]:port */
riox_addr h_v4(uint16_t port);
riox_addr h_v6(uint16_t port);

/* Wait (up to timeout_ms overall) for an event matching type and sock
 * (sock NULL = any). Other events are appended to the optional `others`
 * log so tests can inspect them, and are also kept: a later h_wait_for or
 * h_collect on the same loop returns them first, so the order in which the
 * OS completes a batch never loses an event. Returns 0 and *out, or -1 on
 * timeout. */
typedef struct h_log {
  riox_event ev[4096];
  int n;
} h_log;
int h_wait_for(riox_loop *loop, uint32_t type, riox_sock *sock, riox_event *out, h_log *others,
               int timeout_ms);
/* Drop the events kept for loop (h_loop does it for every new loop). */
void h_forget(riox_loop *loop);
/* Collect events (kept ones first) into log until `count` events of `type` arrived (any sock)
 * or timeout; returns how many of that type arrived. */
int h_collect(riox_loop *loop, uint32_t type, int count, h_log *log, int timeout_ms);
/* A connected TCP pair over loopback (IPv6 when v6): a listener on sloop
 * accepts the connection that cloop starts (ctx NULL on both ends); the
 * listener is closed again and its CLOSE event consumed. Other events are
 * kept as h_wait_for keeps them. Returns 0, or 1 after printing a failure. */
int h_tcp_pair(riox_loop *cloop, riox_loop *sloop, int v6, riox_sock **cli, riox_sock **srv);
/* The same in readiness style: a RIOX_SOCK_READINESS listener on sloop
 * (left open, *lst) takes with riox_try_accept the connection a readiness
 * socket on cloop starts, and the client's connect has settled (it was
 * reported writable; its watch is gone again). Returns 0, or 1 after
 * printing a failure. */
int h_tcp_ready_pair(riox_loop *cloop, riox_loop *sloop, riox_sock **lst, riox_sock **cli,
                     riox_sock **srv);
/* No event within 200 ms and no more requests in use than `reqs` (the
 * library's own, e.g. a listener's AcceptEx calls): the failed calls before
 * posted nothing. Returns 0, or 1 after printing a failure. */
int h_nothing_posted(riox_loop *loop, uint64_t reqs);
/* A UDP port on 127.0.0.1 nobody listens on: a socket is bound, its
 * address noted, and it is closed again (its CLOSE consumed). Returns 0, or
 * 1 after printing a failure. */
int h_closed_port(riox_loop *loop, riox_addr *out);
/* Fill a pool buffer with a pattern derived from seed. */
void h_fill(char *buf, uint32_t len, uint32_t seed);
/* 0 if buf holds the pattern of h_fill(seed); else the first wrong offset + 1. */
uint32_t h_verify(const char *buf, uint32_t len, uint32_t seed);

#endif
