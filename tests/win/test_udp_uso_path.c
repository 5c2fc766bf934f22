/* The USO path and its switches (riox.h, "Segmentation offload";
 * docs/design.md, "Segmentation offload and local addresses on Windows"),
 * which Wine cannot run: it refuses UDP_SEND_MSG_SIZE. The test plays a
 * Windows that has USO through the socket seam (getsockopt of
 * UDP_SEND_MSG_SIZE succeeds) and watches the sends riox makes:
 *  - riox_probe reports uso only where the option is accepted (Wine: 0);
 *  - with USO, a segmented send is ONE OS send (IOCP: WSASendMsg; RIO:
 *    RIOSendEx) whose control data holds UDP_SEND_MSG_SIZE = seg_size, and
 *    it completes as one event with every byte;
 *  - with RIOX_UDP_OFFLOAD=0 the same send is split in software: one OS
 *    send per datagram, no UDP_SEND_MSG_SIZE, each datagram received whole;
 *  - a send that is one datagram never carries UDP_SEND_MSG_SIZE.
 * Wine then puts what it was handed on the wire without segmenting (its
 * WSASendMsg drops control data); on RIO the watcher strips the control
 * slice before the emulator sees it, for the same reason (the emulator
 * refuses UDP_SEND_MSG_SIZE where the OS under it has no USO). So the
 * receiver's view of the USO case is not checked: on Windows the stack cuts
 * it. */
#include "rioconf.h"
#include "sendspy.h"

/* The segment sizes of the watched sends (sendspy.h counts the sends and
 * malformed control data). */
static struct {
  int seg_msgs, bad;
  DWORD seg;
} seen;

static void us_cmsg(int level, int type, const char *data, size_t len) {
  if (level == IPPROTO_UDP && type == UDP_SEND_MSG_SIZE) {
    if (len != sizeof(DWORD)) seen.bad++;
    else memcpy(&seen.seg, data, sizeof seen.seg);
    seen.seg_msgs++;
  }
}

static int us_fake; /* answer UDP_SEND_MSG_SIZE: a host with USO */

static int WINAPI us_getsockopt(SOCKET s, int level, int name, char *val, int *len) {
  if (us_fake && level == IPPROTO_UDP && name == UDP_SEND_MSG_SIZE && val != NULL && len != NULL &&
      *len >= (int)sizeof(DWORD)) {
    DWORD zero = 0; /* no socket-level segment size: the default */
    memcpy(val, &zero, sizeof zero);
    *len = (int)sizeof zero;
    return 0;
  }
  return wh_getsockopt(s, level, name, val, len);
}

/* One segmented send of len bytes in datagrams of seg; `split`: riox must
 * split it (no USO, or RIOX_UDP_OFFLOAD=0). */
static int one(uint32_t len, uint32_t seg, int split) {
  riox_loop_config cfg;
  riox_loop *loop;
  riox_sock *a, *b;
  riox_addr la = h_v4(0), lb = h_v4(0), pb;
  riox_event ev;
  riox_msg msg;
  char *buf;
  uint32_t dgrams = seg == 0 || seg >= len ? 1 : (len + seg - 1) / seg, i, got = 0;
  uint32_t oneshot = dgrams == 1 || !split;
  h_config(&cfg);
  cfg.buf_size = 65536;
  cfg.buf_count = 80;
  H_OK(h_loop(&loop, &cfg));
  H_OK(riox_udp_open(loop, &lb, NULL, 0, NULL, &b));
  H_OK(riox_sock_local(b, &pb));
  H_OK(riox_udp_open(loop, &la, NULL, 0, NULL, &a));
  for (i = 0; i < dgrams; i++) {
    H_OK(riox_buf_get(loop, &buf));
    H_OK(riox_recv(b, buf, 65536, NULL));
  }
  H_OK(riox_buf_get(loop, &buf));
  h_fill(buf, len, len + seg);
  memset(&msg, 0, sizeof msg);
  msg.to = &pb;
  msg.seg_size = seg;
  if (ss_send(loop, a, buf, len, &msg) != 0) return 1;
  H_EQ(ss_seen.bad, 0);
  H_EQ(seen.bad, 0);
  if (oneshot) {
    H_EQ(ss_seen.sends, 1);
    if (dgrams > 1) {
      H_EQ(seen.seg_msgs, 1);
      H_EQ(seen.seg, seg);
    } else {
      H_EQ(seen.seg_msgs, 0);
    }
  } else {
    H_EQ(ss_seen.sends, (int)dgrams);
    H_EQ(seen.seg_msgs, 0);
  }
  /* What arrives: the datagrams (split), or -- USO handed to a stack that
   * does not segment -- the bytes in one piece. */
  while (got < len) {
    if (h_wait_for(loop, RIOX_EV_RECV, b, &ev, NULL, 10000) != 0) {
      H_FAIL("only %u of %u bytes arrived", got, len);
      return 1;
    }
    H_EQ(ev.status, 0);
    if (split) H_EQ(ev.len, len - got < seg || seg == 0 ? len - got : seg);
    got += ev.len;
  }
  H_EQ(got, len);
  /* Not rt_finish: in the USO case receives are still posted on b. */
  if (rt_close(loop, a) != 0 || rt_close(loop, b) != 0) return 1;
  riox_loop_close(loop);
  return 0;
}

static int cases(void) {
  riox_probe_report p;
  /* The OS itself: Wine has no USO. */
  us_fake = 0;
  H_OK(riox_probe(&p));
  if (h_under_wine()) H_EQ(p.uso, 0);
  printf("udp_uso_path [%s]: the OS's probe: uso %d uro %d%s\n", h_backend, p.uso, p.uro,
         p.uso ? "" : " (software path; played USO below)");
  if (!p.uso && one(3000, 1000, 1) != 0) return 1;
  /* A host with USO. */
  us_fake = 1;
  H_OK(riox_probe(&p));
  H_EQ(p.uso, 1);
  if (one(3000, 1000, 0) != 0) return 1;
  if (one(1200, 1200, 0) != 0) return 1; /* one datagram: no segment size */
  if (one(65000, 1400, 0) != 0) return 1;
  /* ... with offload use turned off: the probe still tells, riox splits. */
  SetEnvironmentVariableA("RIOX_UDP_OFFLOAD", "0");
  H_OK(riox_probe(&p));
  H_EQ(p.uso, 1);
  if (one(3000, 1000, 1) != 0) return 1;
  if (one(11500, 1200, 1) != 0) return 1;
  SetEnvironmentVariableA("RIOX_UDP_OFFLOAD", NULL);
  us_fake = 0;
  return 0;
}

static int test(void) {
  ws_api_t t;
  int rc;
  /* On RIO the control slice is taken away before the emulator sees it:
   * it refuses UDP_SEND_MSG_SIZE where the OS under it has no USO. */
  ss_init(us_cmsg, &seen, sizeof seen, 1);
  wh_begin(&t);
  t.getsockopt = us_getsockopt;
  ss_seam(&t);
  wh_install(&t);
  if (rt_is_rio()) {
    ss_rio_begin();
    rc = cases();
    ss_rio_end();
  } else {
    rc = cases();
  }
  SetEnvironmentVariableA("RIOX_UDP_OFFLOAD", NULL);
  us_fake = 0;
  wh_end();
  return rc;
}

int main(void) { return h_run("udp_uso_path", test); }
