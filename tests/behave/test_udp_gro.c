/* Coalesced receives (riox.h, "Segmentation offload"): a socket opened
 * with RIOX_UDP_GRO may get several datagrams in one receive, and the
 * event's seg_size marks where each ends, so the application still sees
 * every datagram's boundary and bytes, in order. Where the OS coalesces
 * (Linux with UDP_GRO and UDP_SEGMENT: a segmented send over loopback
 * arrives whole) it must happen; where it cannot (Windows without URO,
 * Wine, RIOX_UDP_OFFLOAD=0) each datagram comes alone with seg_size == len.
 * A socket without the flag is never coalesced. */
#include "harness.h"

static int expect_coalescing(void) {
  riox_probe_report p;
  const char *off = getenv("RIOX_UDP_OFFLOAD");
  if (riox_probe(&p) < 0) return 0;
  if (off != NULL && strcmp(off, "0") == 0) return 0;
  /* Linux: a GSO send stays one packet through loopback, and a UDP_GRO
   * socket takes it as it is. Windows: URO is done by the NIC; over
   * loopback nothing is promised, so it is not demanded there. */
  return p.udp_gso && p.udp_gro;
}

/* n datagrams of seg bytes (the last `last` bytes) in one segmented send
 * from a to b; b opened with `flags`. */
static int one(riox_addr (*mk)(uint16_t), uint32_t flags, uint32_t seg, uint32_t n, uint32_t last,
               int want_coalesced) {
  riox_loop_config cfg;
  riox_loop *loop;
  riox_sock *a, *b;
  riox_addr la = mk(0), lb = mk(0), pa, pb;
  riox_event ev;
  riox_msg msg;
  char *sbuf, *rbuf;
  uint32_t len = seg * (n - 1) + last, off = 0, dgrams = 0, events = 0, coalesced = 0, i;
  h_config(&cfg);
  cfg.buf_size = 65536;
  cfg.buf_count = 80;
  H_OK(h_loop(&loop, &cfg));
  H_OK(riox_udp_open(loop, &lb, NULL, flags, NULL, &b));
  H_OK(riox_sock_local(b, &pb));
  H_OK(riox_udp_open(loop, &la, NULL, 0, NULL, &a));
  H_OK(riox_sock_local(a, &pa));
  for (i = 0; i < n + 1; i++) {
    H_OK(riox_buf_get(loop, &rbuf));
    H_OK(riox_recv(b, rbuf, 65536, (void *)(uintptr_t)(i + 1)));
  }
  H_OK(riox_buf_get(loop, &sbuf));
  h_fill(sbuf, len, seg + n);
  memset(&msg, 0, sizeof msg);
  msg.to = &pb;
  msg.seg_size = seg;
  H_OK(riox_sendmsg(a, sbuf, len, &msg, 0, NULL));
  H_EQ(h_wait_for(loop, RIOX_EV_SEND, a, &ev, NULL, 10000), 0);
  H_EQ(ev.status, 0);
  H_EQ(ev.len, len);
  while (off < len) {
    uint32_t p;
    if (h_wait_for(loop, RIOX_EV_RECV, b, &ev, NULL, 10000) != 0) {
      H_FAIL("only %u of %u bytes arrived", off, len);
      return 1;
    }
    H_EQ(ev.status, 0);
    events++;
    H_CHECK(ev.ctx == (void *)(uintptr_t)events); /* posting order */
    H_EQ(ev.addr.port, pa.port);
    H_CHECK(ev.len > 0);
    H_CHECK(ev.seg_size > 0 && ev.seg_size <= ev.len);
    if (!(flags & RIOX_UDP_GRO)) H_EQ(ev.seg_size, ev.len);
    if (ev.len > ev.seg_size) coalesced++;
    /* Every datagram in this receive: seg_size bytes, the last maybe fewer,
     * each exactly the one the sender put at this offset. */
    for (p = 0; p < ev.len; p += ev.seg_size) {
      uint32_t d = ev.len - p < ev.seg_size ? ev.len - p : ev.seg_size;
      uint32_t exp = dgrams + 1 < n ? seg : last;
      H_EQ(d, exp);
      {
        char pat[65536];
        h_fill(pat, len, seg + n);
        H_EQ(memcmp(ev.data + p, pat + off, d), 0);
      }
      off += d;
      dgrams++;
    }
    riox_buf_put(loop, ev.data);
  }
  H_EQ(off, len);
  H_EQ(dgrams, n);
  if (want_coalesced) {
    if (coalesced == 0) {
      H_FAIL("%u datagrams came in %u receives, none coalesced (UDP_GRO expected to merge them)",
             n, events);
      return 1;
    }
  } else {
    H_EQ(coalesced, 0);
    H_EQ(events, n);
  }
  H_OK(riox_close(a));
  H_OK(riox_close(b));
  H_EQ(h_wait_for(loop, RIOX_EV_CLOSE, a, &ev, NULL, 10000), 0);
  H_EQ(h_wait_for(loop, RIOX_EV_CLOSE, b, &ev, NULL, 10000), 0);
  riox_loop_close(loop);
  return 0;
}

/* The rule for receives smaller than a coalesced packet (riox.h,
 * "Segmentation offload"): such a receive completes with RIOX_EMSGSIZE and
 * the bytes that fit, seg_size still marking the datagrams; the rest of
 * the packet is gone, as a datagram larger than its receive is. 8
 * datagrams of 1000 bytes sent as one, receives of 2500 bytes: coalesced,
 * the first receive holds 2 whole datagrams and half a third; not
 * coalesced, each datagram fits its own receive. */
static int small_recv(int want_coalesced) {
  riox_loop_config cfg;
  riox_loop *loop;
  riox_sock *a, *b;
  riox_addr la = h_v4(0), lb = h_v4(0), pb;
  riox_event ev;
  riox_msg msg;
  char *sbuf, *rbuf, pat[8000];
  uint32_t i;
  h_config(&cfg);
  cfg.buf_size = 65536;
  cfg.buf_count = 16;
  H_OK(h_loop(&loop, &cfg));
  H_OK(riox_udp_open(loop, &lb, NULL, RIOX_UDP_GRO, NULL, &b));
  H_OK(riox_sock_local(b, &pb));
  H_OK(riox_udp_open(loop, &la, NULL, 0, NULL, &a));
  for (i = 0; i < 8; i++) {
    H_OK(riox_buf_get(loop, &rbuf));
    H_OK(riox_recv(b, rbuf, 2500, (void *)(uintptr_t)(i + 1)));
  }
  H_OK(riox_buf_get(loop, &sbuf));
  h_fill(sbuf, 8000, 77);
  h_fill(pat, 8000, 77);
  memset(&msg, 0, sizeof msg);
  msg.to = &pb;
  msg.seg_size = 1000;
  H_OK(riox_sendmsg(a, sbuf, 8000, &msg, 0, NULL));
  H_EQ(h_wait_for(loop, RIOX_EV_SEND, a, &ev, NULL, 10000), 0);
  H_EQ(ev.status, 0);
  for (i = 0; i < (want_coalesced ? 1u : 8u); i++) {
    H_EQ(h_wait_for(loop, RIOX_EV_RECV, b, &ev, NULL, 10000), 0);
    H_CHECK(ev.ctx == (void *)(uintptr_t)(i + 1));
    if (want_coalesced) {
      H_EQ(ev.status, RIOX_EMSGSIZE);
      H_EQ(ev.len, 2500);
      H_EQ(ev.seg_size, 1000);
      H_EQ(memcmp(ev.data, pat, 2500), 0);
    } else {
      H_EQ(ev.status, 0);
      H_EQ(ev.len, 1000);
      H_EQ(ev.seg_size, 1000);
      H_EQ(memcmp(ev.data, pat + 1000 * i, 1000), 0);
    }
  }
  H_OK(riox_close(a));
  H_OK(riox_close(b));
  H_EQ(h_wait_for(loop, RIOX_EV_CLOSE, a, &ev, NULL, 10000), 0);
  H_EQ(h_wait_for(loop, RIOX_EV_CLOSE, b, &ev, NULL, 10000), 0);
  riox_loop_close(loop);
  return 0;
}

static int test(void) {
  int co = expect_coalescing();
  printf("udp_gro [%s]: coalescing %s\n", h_backend,
         co ? "expected (the probe found UDP_GSO and UDP_GRO)"
            : "not expected here (no offload found, or RIOX_UDP_OFFLOAD=0): software path");
  /* With the flag: coalesced where the OS does it. */
  if (one(h_v4, RIOX_UDP_GRO, 1000, 8, 1000, co) != 0) return 1;
  if (one(h_v4, RIOX_UDP_GRO, 1200, 20, 300, co) != 0) return 1;
  if (one(h_v6, RIOX_UDP_GRO, 1400, 40, 1400, co) != 0) return 1;
  /* Without it: never. */
  if (one(h_v4, 0, 1000, 8, 1000, 0) != 0) return 1;
  if (one(h_v6, 0, 1200, 20, 300, 0) != 0) return 1;
  /* A receive too small for what was coalesced. */
  if (small_recv(co) != 0) return 1;
  return 0;
}

int main(void) { return h_run("udp_gro", test); }
