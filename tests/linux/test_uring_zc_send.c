/* TCP sends through SEND_ZC (linux/test_uring_zc_send/uring-zc runs it
 * with RIOX_URING_ZC_MIN=1, so every TCP send of the uring backend goes
 * zero-copy from the registered pool; by default only those of 32 KB and
 * more do, uring-basic copies all, and epoll copies: the same checks hold
 * there). riox's rule: a send's slot is the application's again
 * when its SEND event is returned (riox.h, "Buffers"), so with SEND_ZC the
 * event must wait for the kernel's notification, not its first CQE.
 *  1. A stream of sends of many sizes (1 B .. 64 KB) from a sender with a
 *     small SO_SNDBUF to a slow raw reader (so sends are taken in parts):
 *     every byte arrives in order; every send gets exactly one event, in
 *     posting order, with its full length; on each event the test scribbles
 *     over the slot and gives it back at once -- had the kernel still been
 *     reading it, the reader would see the scribble.
 *  2. riox_close with zero-copy sends in flight and a reader that never
 *     reads: every send still ends exactly once (0 or RIOX_ECANCELED), the
 *     CLOSE comes last, nothing is left in use (ASan watches the slots).
 *  3. riox_loop_close with the same in flight: returns, frees nothing
 *     early, leaks nothing (ASan). */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include "harness.h"
#include "riox_test.h"

#define SLOT 65536u
#define NSEND 96
#define NFLIGHT 24

static const uint32_t sizes[] = {1, 100, 1000, 4096, 16384, 65536, 7, 30000, 2048, 65535, 512};

static uint32_t size_of(int k) { return sizes[(unsigned)k % (sizeof sizes / sizeof sizes[0])]; }

/* A raw listener on loopback with a small receive buffer (its accepted
 * sockets inherit it), so the reader's window stays small. */
static int raw_listener(uint16_t *port) {
  struct sockaddr_in sa;
  socklen_t len = sizeof sa;
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), rcv = 8192;
  if (fd < 0) return -1;
  (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof rcv);
  memset(&sa, 0, sizeof sa);
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(fd, 8) != 0 ||
      getsockname(fd, (struct sockaddr *)&sa, &len) != 0) {
    close(fd);
    return -1;
  }
  *port = ntohs(sa.sin_port);
  return fd;
}

/* A riox connection to a raw reader; the sender's SO_SNDBUF made small. */
static int connect_pair(riox_loop *loop, riox_sock **cli, int *reader) {
  riox_addr to;
  riox_event ev;
  uint16_t port;
  int lfd = raw_listener(&port), snd = 32768, fd;
  H_CHECK(lfd >= 0);
  to = h_v4(port);
  H_OK(riox_tcp_connect(loop, &to, NULL, 0, NULL, cli));
  H_EQ(h_wait_for(loop, RIOX_EV_CONNECT, *cli, &ev, NULL, 10000), 0);
  H_EQ(ev.status, 0);
  fd = (int)riox_test_sock_handle(*cli);
  H_CHECK(fd >= 0);
  H_EQ(setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &snd, sizeof snd), 0);
  *reader = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
  close(lfd);
  H_CHECK(*reader >= 0);
  return 0;
}

static int new_loop(riox_loop **loop) {
  riox_loop_config cfg;
  h_config(&cfg);
  cfg.buf_size = SLOT;
  cfg.buf_count = NSEND + 8;
  return h_loop(loop, &cfg);
}

/* 1. */
static int stream_case(void) {
  static char expect[SLOT], got[8192];
  riox_loop *loop;
  riox_sock *cli;
  riox_event evs[16];
  riox_stats st;
  uint64_t until = h_now_ms() + 60000, total = 0, want = 0, rd = 0;
  int reader, k, posted = 0, next_ev = 0, cur = -1;
  H_OK(new_loop(&loop));
  if (connect_pair(loop, &cli, &reader) != 0) return 1;
  for (k = 0; k < NSEND; k++) want += size_of(k);
  while (next_ev < NSEND || rd < want) {
    int n, i;
    ssize_t r;
    H_CHECK(h_now_ms() < until);
    /* Keep NFLIGHT sends posted. */
    while (posted < NSEND && posted - next_ev < NFLIGHT) {
      char *buf;
      H_OK(riox_buf_get(loop, &buf));
      h_fill(buf, size_of(posted), 7000u + (uint32_t)posted);
      H_OK(riox_send(cli, buf, size_of(posted), 0, (void *)(uintptr_t)(posted + 1)));
      posted++;
    }
    n = riox_wait(loop, evs, 16, 2);
    H_CHECK(n >= 0);
    for (i = 0; i < n; i++) {
      H_EQ(evs[i].type, RIOX_EV_SEND);
      H_EQ(evs[i].status, 0);
      /* Exactly one event per send, in posting order, all of it. */
      H_EQ((uintptr_t)evs[i].ctx, (uintptr_t)(next_ev + 1));
      H_EQ(evs[i].len, size_of(next_ev));
      next_ev++;
      total += evs[i].len;
      /* The slot is ours again: anything the kernel still read from it
       * would reach the reader as this scribble. */
      memset(evs[i].data, 0xEE, SLOT);
      H_OK(riox_buf_put(loop, evs[i].data));
    }
    /* The slow reader: a little at a time. */
    r = read(reader, got, sizeof got);
    if (r < 0) H_CHECK(errno == EAGAIN || errno == EWOULDBLOCK);
    if (r == 0) H_FAIL("the stream ended early at byte %llu", (unsigned long long)rd);
    if (r <= 0) continue;
    for (i = 0; i < (int)r;) {
      /* Which send and offset stream byte rd + i belongs to. */
      uint64_t at = rd + (uint64_t)i, base = 0;
      uint32_t off, chunk;
      int s = 0;
      while (base + size_of(s) <= at) base += size_of(s++);
      H_CHECK(s < NSEND);
      off = (uint32_t)(at - base);
      if (s != cur) {
        h_fill(expect, size_of(s), 7000u + (uint32_t)s);
        cur = s;
      }
      chunk = size_of(s) - off < (uint32_t)r - (uint32_t)i ? size_of(s) - off : (uint32_t)r - (uint32_t)i;
      if (memcmp(got + i, expect + off, chunk) != 0) {
        H_FAIL("stream byte %llu (send %d, offset %u) is wrong: the slot was reused while the "
               "kernel still read it, or the stream was reordered",
               (unsigned long long)at, s, off);
        return 1;
      }
      i += (int)chunk;
    }
    rd += (uint64_t)r;
  }
  H_EQ(total, want);
  H_EQ(rd, want);
  riox_loop_stats(loop, &st);
  printf("stream: %d sends, %llu bytes, in order; %llu OS calls\n", NSEND,
         (unsigned long long)want, (unsigned long long)st.os_calls);
  H_OK(riox_close(cli));
  {
    riox_event ev;
    H_EQ(h_wait_for(loop, RIOX_EV_CLOSE, cli, &ev, NULL, 10000), 0);
  }
  riox_loop_stats(loop, &st);
  H_EQ(st.req_in_use, 0);
  H_EQ(st.buf_in_use, 0);
  close(reader);
  riox_loop_close(loop);
  return 0;
}

/* Post NFLIGHT 64 KB sends towards a reader that does not read; *done:
 * how many of them ended (in order) within the first 100 ms. */
static int post_stuck(riox_loop *loop, riox_sock *cli, int *done) {
  int k;
  for (k = 0; k < NFLIGHT; k++) {
    char *buf;
    H_OK(riox_buf_get(loop, &buf));
    h_fill(buf, SLOT, (uint32_t)k);
    H_OK(riox_send(cli, buf, SLOT, 0, (void *)(uintptr_t)(k + 1)));
  }
  /* Let the first ones reach the kernel (and some finish). */
  {
    riox_event evs[NFLIGHT];
    int n = riox_wait(loop, evs, NFLIGHT, 100), i;
    H_CHECK(n >= 0);
    for (i = 0; i < n; i++) {
      H_EQ(evs[i].type, RIOX_EV_SEND);
      H_EQ((uintptr_t)evs[i].ctx, (uintptr_t)(i + 1));
      H_OK(riox_buf_put(loop, evs[i].data));
    }
    *done = n;
    return 0;
  }
}

/* 2. */
static int close_case(void) {
  riox_loop *loop;
  riox_sock *cli;
  h_log log;
  riox_stats st;
  int reader, done, i, next, closes = 0;
  H_OK(new_loop(&loop));
  if (connect_pair(loop, &cli, &reader) != 0) return 1;
  riox_test_set_close_linger_ms(300);
  if (post_stuck(loop, cli, &done) != 0) return 1;
  next = done + 1;
  H_OK(riox_close(cli));
  log.n = 0;
  {
    uint64_t until = h_now_ms() + 15000;
    while (closes == 0 && h_now_ms() < until) {
      int from = log.n;
      h_collect(loop, 0, 1 << 30, &log, 50);
      for (i = from; i < log.n; i++) {
        riox_event *e = &log.ev[i];
        H_CHECK(closes == 0); /* nothing after the CLOSE */
        if (e->type == RIOX_EV_CLOSE) {
          closes++;
          continue;
        }
        H_EQ(e->type, RIOX_EV_SEND);
        H_EQ((uintptr_t)e->ctx, (uintptr_t)next);
        next++;
        if (e->status != 0) H_ERR(e->status, RIOX_ECANCELED);
        memset(e->data, 0xEE, SLOT);
        H_OK(riox_buf_put(loop, e->data));
      }
    }
  }
  riox_test_set_close_linger_ms(0);
  H_EQ(closes, 1);
  H_EQ(next, NFLIGHT + 1); /* every send ended, once each */
  h_collect(loop, 0, 1 << 30, &log, 200);
  riox_loop_stats(loop, &st);
  H_EQ(st.req_in_use, 0);
  H_EQ(st.buf_in_use, 0);
  printf("close: %d of %d sends done before riox_close, the rest ended after it\n", done, NFLIGHT);
  close(reader);
  riox_loop_close(loop);
  return 0;
}

/* 3. */
static int loop_close_case(void) {
  riox_loop *loop;
  riox_sock *cli;
  int reader, done;
  uint64_t t0;
  H_OK(new_loop(&loop));
  if (connect_pair(loop, &cli, &reader) != 0) return 1;
  if (post_stuck(loop, cli, &done) != 0) return 1;
  t0 = h_now_ms();
  riox_loop_close(loop); /* drains: every send ends before a slot is freed */
  printf("loop close with %d sends in flight: %llu ms\n", NFLIGHT - done,
         (unsigned long long)(h_now_ms() - t0));
  H_CHECK(h_now_ms() - t0 < 10000);
  close(reader);
  return 0;
}

static int body(void) {
  if (stream_case() != 0) return 1;
  if (close_case() != 0) return 1;
  return loop_close_case();
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  return h_run("uring_zc_send", body);
}
