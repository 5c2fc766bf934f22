/* A program that uses an installed riox the way an application does: only
 * <riox.h>, found through find_package(riox) or pkg-config, against the
 * static or the shared library (scripts/install-check.sh builds it each
 * way, outside riox's tree).
 *
 * It checks that the header and the library it runs with agree on the
 * version, that bad input gets an error and not a crash, and that a UDP
 * datagram goes from one socket to another on the loop's backend, every
 * posted operation and close giving its one event. Exit 0: all of it held. */
#include <stdio.h>
#include <string.h>

#include <riox.h>

static int fail(const char *what, int rc) {
  fprintf(stderr, "consumer: FAIL: %s: %d %s (%s)\n", what, rc, riox_err_name(rc),
          riox_last_detail() ? riox_last_detail() : "");
  return 1;
}

/* Waits for one event of `type` on `sock`; anything else is a failure. */
static int wait_for(riox_loop *loop, uint32_t type, riox_sock *sock, riox_event *ev) {
  int n, round;
  for (round = 0; round < 100; round++) {
    n = riox_wait(loop, ev, 1, 100);
    if (n < 0) return fail("riox_wait", n);
    if (n == 0) continue;
    if (ev->type != type || ev->sock != sock) {
      fprintf(stderr, "consumer: FAIL: event type %u on %p, wanted type %u on %p\n",
              (unsigned)ev->type, (void *)ev->sock, (unsigned)type, (void *)sock);
      return 1;
    }
    return 0;
  }
  fprintf(stderr, "consumer: FAIL: no event of type %u within 10 s\n", (unsigned)type);
  return 1;
}

int main(void) {
  static const char msg[] = "riox consumer datagram";
  riox_loop_config cfg;
  riox_loop *loop = NULL;
  riox_sock *a = NULL, *b = NULL;
  riox_addr local, to;
  riox_event ev;
  char *rbuf, *sbuf;
  char text[64];
  int rc;

  if (riox_version() != RIOX_VERSION_NUMBER || strcmp(riox_version_string(), RIOX_VERSION_STRING)) {
    fprintf(stderr, "consumer: FAIL: header says %s (%d), library says %s (%u)\n",
            RIOX_VERSION_STRING, RIOX_VERSION_NUMBER, riox_version_string(), riox_version());
    return 1;
  }
  /* Bad input: a clear error, never a crash. */
  riox_loop_config_init(&cfg);
  cfg.backend = "no-such-backend";
  rc = riox_loop_create(&cfg, &loop);
  if (rc >= 0 || loop != NULL) return fail("an unknown backend was accepted", rc);
  if (riox_addr_parse("300.1.2.3", 9, &local) >= 0) return fail("300.1.2.3 parsed", 0);

  riox_loop_config_init(&cfg);
  if ((rc = riox_loop_create(&cfg, &loop)) < 0) return fail("riox_loop_create", rc);
  if ((rc = riox_addr_parse("127.0.0.1", 0, &local)) < 0) return fail("riox_addr_parse", rc);
  if ((rc = riox_udp_open(loop, &local, NULL, 0, NULL, &a)) < 0) return fail("riox_udp_open a", rc);
  if ((rc = riox_udp_open(loop, &local, NULL, 0, NULL, &b)) < 0) return fail("riox_udp_open b", rc);
  if ((rc = riox_sock_local(b, &to)) < 0) return fail("riox_sock_local", rc);

  if ((rc = riox_buf_get(loop, &rbuf)) < 0) return fail("riox_buf_get", rc);
  if ((rc = riox_recv(b, rbuf, riox_loop_buf_size(loop), NULL)) < 0) return fail("riox_recv", rc);
  if ((rc = riox_buf_get(loop, &sbuf)) < 0) return fail("riox_buf_get", rc);
  memcpy(sbuf, msg, sizeof msg);
  if ((rc = riox_sendto(a, sbuf, (uint32_t)sizeof msg, &to, 0, NULL)) < 0) return fail("riox_sendto", rc);

  /* The two events may come in either order: one SEND on a, one RECV on b. */
  {
    int got_send = 0, got_recv = 0, round;
    for (round = 0; round < 100 && !(got_send && got_recv); round++) {
      int n = riox_wait(loop, &ev, 1, 100);
      if (n < 0) return fail("riox_wait", n);
      if (n == 0) continue;
      if (ev.status != 0) return fail("an operation failed", ev.status);
      if (ev.type == RIOX_EV_SEND && ev.sock == a && !got_send) {
        if (ev.len != sizeof msg) return fail("short send", (int)ev.len);
        got_send = 1;
      } else if (ev.type == RIOX_EV_RECV && ev.sock == b && !got_recv) {
        if (ev.len != sizeof msg || memcmp(ev.data, msg, sizeof msg) != 0)
          return fail("the datagram arrived changed", (int)ev.len);
        got_recv = 1;
      } else {
        fprintf(stderr, "consumer: FAIL: unexpected event type %u\n", (unsigned)ev.type);
        return 1;
      }
      riox_buf_put(loop, ev.data);
    }
    if (!got_send || !got_recv) return fail("the datagram did not arrive within 10 s", 0);
  }

  if ((rc = riox_close(a)) < 0) return fail("riox_close a", rc);
  if (wait_for(loop, RIOX_EV_CLOSE, a, &ev)) return 1;
  if ((rc = riox_close(b)) < 0) return fail("riox_close b", rc);
  if (wait_for(loop, RIOX_EV_CLOSE, b, &ev)) return 1;
  (void)riox_addr_format(&to, text, sizeof text);
  printf("consumer: riox %s (%s library) on %s: a datagram to %s and back in one piece: ok\n",
         riox_version_string(), RIOX_SHARED ? "shared" : "static", riox_loop_backend(loop), text);
  riox_loop_close(loop);
  return 0;
}
