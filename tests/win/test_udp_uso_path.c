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
#include "wshook.h"

#ifndef UDP_SEND_MSG_SIZE
#define UDP_SEND_MSG_SIZE 2
#endif

#define US_ALIGN(n) (((n) + _Alignof(WSACMSGHDR) - 1) & ~(size_t)(_Alignof(WSACMSGHDR) - 1))
#define US_HDR US_ALIGN(sizeof(WSACMSGHDR))

static struct {
  int sends, seg_msgs, bad;
  DWORD seg;
} seen;

static void us_parse(const char *buf, size_t len) {
  size_t off = 0;
  while (off < len) {
    WSACMSGHDR h;
    if (len - off < sizeof h) {
      seen.bad++;
      return;
    }
    memcpy(&h, buf + off, sizeof h);
    if (h.cmsg_len < US_HDR || h.cmsg_len > len - off) {
      seen.bad++;
      return;
    }
    if (h.cmsg_level == IPPROTO_UDP && h.cmsg_type == UDP_SEND_MSG_SIZE) {
      if (h.cmsg_len != US_HDR + sizeof(DWORD)) seen.bad++;
      memcpy(&seen.seg, buf + off + US_HDR, sizeof seen.seg);
      seen.seg_msgs++;
    }
    off += US_ALIGN(h.cmsg_len);
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

/* ---- IOCP: the sends through the seam --------------------------------- */

static const ws_api_t *us_under;
static LPFN_WSASENDMSG us_os_sendmsg;

static int WINAPI us_sendmsg(SOCKET s, LPWSAMSG msg, DWORD flags, LPDWORD bytes, LPWSAOVERLAPPED ov,
                             LPWSAOVERLAPPED_COMPLETION_ROUTINE done) {
  seen.sends++;
  if (msg->Control.buf != NULL) us_parse(msg->Control.buf, msg->Control.len);
  if (us_under != NULL && us_under->wsa_sendmsg != NULL)
    return us_under->wsa_sendmsg(s, msg, flags, bytes, ov, done);
  if (us_os_sendmsg == NULL) {
    GUID g = WSAID_WSASENDMSG;
    DWORD n = 0;
    if (WSAIoctl(s, SIO_GET_EXTENSION_FUNCTION_POINTER, &g, sizeof g, &us_os_sendmsg,
                 sizeof us_os_sendmsg, &n, NULL, NULL) != 0)
      return SOCKET_ERROR;
  }
  return us_os_sendmsg(s, msg, flags, bytes, ov, done);
}

static int WINAPI us_sendto(SOCKET s, LPWSABUF b, DWORD n, LPDWORD bytes, DWORD flags,
                            const struct sockaddr *to, int tolen, LPWSAOVERLAPPED ov,
                            LPWSAOVERLAPPED_COMPLETION_ROUTINE done) {
  seen.sends++;
  if (us_under != NULL && us_under->wsa_sendto != NULL)
    return us_under->wsa_sendto(s, b, n, bytes, flags, to, tolen, ov, done);
  return WSASendTo(s, b, n, bytes, flags, to, tolen, ov, done);
}

/* ---- RIO: RIOSendEx through a wrapped table --------------------------- */

#define US_REGS 64
static struct {
  RIO_BUFFERID id;
  char *base;
  DWORD len;
} us_regs[US_REGS];
static int us_nregs;
static RIO_EXTENSION_FUNCTION_TABLE us_rio, us_emu;

static RIO_BUFFERID PASCAL us_register(PCHAR base, DWORD len) {
  RIO_BUFFERID id = us_emu.RIORegisterBuffer(base, len);
  if (id != RIO_INVALID_BUFFERID && us_nregs < US_REGS) {
    us_regs[us_nregs].id = id;
    us_regs[us_nregs].base = base;
    us_regs[us_nregs].len = len;
    us_nregs++;
  }
  return id;
}

static BOOL PASCAL us_sendex(RIO_RQ rq, PRIO_BUF data, ULONG count, PRIO_BUF local, PRIO_BUF remote,
                             PRIO_BUF control, PRIO_BUF pflags, DWORD flags, PVOID ctx) {
  if (!(flags & RIO_MSG_COMMIT_ONLY)) {
    seen.sends++;
    if (control != NULL) {
      const char *c = NULL;
      ULONG total = 0, base = (ULONG)US_ALIGN(sizeof(ULONG));
      int i;
      for (i = 0; i < us_nregs; i++)
        if (us_regs[i].id == control->BufferId && control->Offset < us_regs[i].len)
          c = us_regs[i].base + control->Offset;
      if (c != NULL) memcpy(&total, c, sizeof total);
      if (c == NULL || total < base || total > control->Length) seen.bad++;
      else us_parse(c + base, total - base);
      control = NULL; /* nothing under the emulator could segment it */
    }
  }
  return us_emu.RIOSendEx(rq, data, count, local, remote, control, pflags, flags, ctx);
}

static BOOL PASCAL us_send(RIO_RQ rq, PRIO_BUF data, ULONG count, DWORD flags, PVOID ctx) {
  if (!(flags & RIO_MSG_COMMIT_ONLY)) seen.sends++;
  return us_emu.RIOSend(rq, data, count, flags, ctx);
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
  memset(&seen, 0, sizeof seen);
  H_OK(riox_sendmsg(a, buf, len, &msg, 0, NULL));
  H_EQ(h_wait_for(loop, RIOX_EV_SEND, a, &ev, NULL, 10000), 0);
  H_EQ(ev.status, 0);
  H_EQ(ev.len, len);
  H_EQ(seen.bad, 0);
  if (oneshot) {
    H_EQ(seen.sends, 1);
    if (dgrams > 1) {
      H_EQ(seen.seg_msgs, 1);
      H_EQ(seen.seg, seg);
    } else {
      H_EQ(seen.seg_msgs, 0);
    }
  } else {
    H_EQ(seen.sends, (int)dgrams);
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
  H_OK(riox_close(a));
  H_OK(riox_close(b));
  H_EQ(h_wait_for(loop, RIOX_EV_CLOSE, a, &ev, NULL, 10000), 0);
  H_EQ(h_wait_for(loop, RIOX_EV_CLOSE, b, &ev, NULL, 10000), 0);
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
  int rc = 1;
  wh_begin(&t);
  us_under = wh_under();
  t.getsockopt = us_getsockopt;
  t.wsa_sendmsg = us_sendmsg;
  t.wsa_sendto = us_sendto;
  wh_install(&t);
  if (rt_is_rio()) {
#ifdef RIOX_WITH_RIO_EMU
    if (!rt_is_emulated()) {
      wh_end();
      h_skip("real RIO: the test watches calls through the emulator's table");
    }
    us_emu = *(const RIO_EXTENSION_FUNCTION_TABLE *)rio_emu_table();
    us_rio = us_emu;
    us_rio.RIORegisterBuffer = us_register;
    us_rio.RIOSendEx = us_sendex;
    us_rio.RIOSend = us_send;
    us_nregs = 0;
    riox_test_set_rio_table(&us_rio);
    rc = cases();
    riox_test_set_rio_table(rio_emu_table());
#else
    wh_end();
    h_skip("built without the RIO emulator");
#endif
  } else {
    rc = cases();
  }
  SetEnvironmentVariableA("RIOX_UDP_OFFLOAD", NULL);
  us_fake = 0;
  wh_end();
  return rc;
}

int main(void) { return h_run("udp_uso_path", test); }
