/* What riox hands the OS for a send with a source address (riox.h, "Local
 * addresses"): the part of test_udp_pktinfo that Wine cannot show on the
 * wire, as its WSASendMsg drops control data (docs/design.md,
 * "Segmentation offload and local addresses on Windows").
 *  - IOCP: the send is a WSASendMsg whose control data holds one IN_PKTINFO
 *    (IPPROTO_IP; also on a dual-stack socket for an IPv4 source) or
 *    IN6_PKTINFO (IPPROTO_IPV6) naming msg.from and msg.ifindex;
 *  - RIO: the same messages after the RIO_CMSG_BUFFER header of RIOSendEx's
 *    pControlContext, TotalLength covering exactly them, pLocalAddress NULL;
 *  - a segmented send split in software (no USO here) repeats them on every
 *    datagram, and carries no UDP_SEND_MSG_SIZE;
 *  - a send without msg.from carries no control data at all.
 * The calls are watched through the socket seam (IOCP) and a wrapped RIO
 * table (rio-emulated), each forwarding to what riox would have called. */
#include "rioconf.h"
#include "wshook.h"

#ifndef UDP_SEND_MSG_SIZE
#define UDP_SEND_MSG_SIZE 2
#endif

#define CT_ALIGN(n) (((n) + _Alignof(WSACMSGHDR) - 1) & ~(size_t)(_Alignof(WSACMSGHDR) - 1))
#define CT_HDR CT_ALIGN(sizeof(WSACMSGHDR))

typedef struct ct_seen {
  int sends;    /* sends that went through the watched call */
  int with_ctl; /* ... with control data */
  int v4, v6, seg, other, bad;
  uint8_t ip[16];
  ULONG ifindex;
} ct_seen;

static ct_seen seen;

static void ct_parse(const char *buf, size_t len) {
  size_t off = 0;
  if (len == 0) return;
  seen.with_ctl++;
  while (off < len) {
    WSACMSGHDR h;
    if (len - off < sizeof h) {
      seen.bad++;
      return;
    }
    memcpy(&h, buf + off, sizeof h);
    if (h.cmsg_len < CT_HDR || h.cmsg_len > len - off) {
      seen.bad++;
      return;
    }
    if (h.cmsg_level == IPPROTO_IP && h.cmsg_type == IP_PKTINFO &&
        h.cmsg_len == CT_HDR + sizeof(IN_PKTINFO)) {
      IN_PKTINFO pi;
      memcpy(&pi, buf + off + CT_HDR, sizeof pi);
      memcpy(seen.ip, &pi.ipi_addr, 4);
      seen.ifindex = pi.ipi_ifindex;
      seen.v4++;
    } else if (h.cmsg_level == IPPROTO_IPV6 && h.cmsg_type == IPV6_PKTINFO &&
               h.cmsg_len == CT_HDR + sizeof(IN6_PKTINFO)) {
      IN6_PKTINFO pi;
      memcpy(&pi, buf + off + CT_HDR, sizeof pi);
      memcpy(seen.ip, &pi.ipi6_addr, 16);
      seen.ifindex = pi.ipi6_ifindex;
      seen.v6++;
    } else if (h.cmsg_level == IPPROTO_UDP && h.cmsg_type == UDP_SEND_MSG_SIZE) {
      seen.seg++;
    } else {
      seen.other++;
    }
    off += CT_ALIGN(h.cmsg_len);
  }
  if (off != len) seen.bad++; /* the length covers the messages exactly */
}

/* ---- IOCP: WSASendMsg through the seam -------------------------------- */

static ws_api_t ct_table;
static const ws_api_t *ct_under;
static LPFN_WSASENDMSG ct_os_sendmsg;

static int WINAPI ct_sendmsg(SOCKET s, LPWSAMSG msg, DWORD flags, LPDWORD bytes, LPWSAOVERLAPPED ov,
                             LPWSAOVERLAPPED_COMPLETION_ROUTINE done) {
  seen.sends++;
  ct_parse(msg->Control.buf, msg->Control.buf != NULL ? msg->Control.len : 0);
  if (ct_under != NULL && ct_under->wsa_sendmsg != NULL)
    return ct_under->wsa_sendmsg(s, msg, flags, bytes, ov, done);
  if (ct_os_sendmsg == NULL) {
    GUID g = WSAID_WSASENDMSG;
    DWORD n = 0;
    if (WSAIoctl(s, SIO_GET_EXTENSION_FUNCTION_POINTER, &g, sizeof g, &ct_os_sendmsg,
                 sizeof ct_os_sendmsg, &n, NULL, NULL) != 0)
      return SOCKET_ERROR;
  }
  return ct_os_sendmsg(s, msg, flags, bytes, ov, done);
}

static int WINAPI ct_sendto(SOCKET s, LPWSABUF b, DWORD n, LPDWORD bytes, DWORD flags,
                            const struct sockaddr *to, int tolen, LPWSAOVERLAPPED ov,
                            LPWSAOVERLAPPED_COMPLETION_ROUTINE done) {
  seen.sends++;
  if (ct_under != NULL && ct_under->wsa_sendto != NULL)
    return ct_under->wsa_sendto(s, b, n, bytes, flags, to, tolen, ov, done);
  return WSASendTo(s, b, n, bytes, flags, to, tolen, ov, done);
}

/* ---- RIO: RIOSendEx through a wrapped table --------------------------- */

#define CT_REGS 64
static struct {
  RIO_BUFFERID id;
  char *base;
  DWORD len;
} ct_regs[CT_REGS];
static int ct_nregs;
static RIO_EXTENSION_FUNCTION_TABLE ct_rio, ct_emu;

static RIO_BUFFERID PASCAL ct_register(PCHAR base, DWORD len) {
  RIO_BUFFERID id = ct_emu.RIORegisterBuffer(base, len);
  if (id != RIO_INVALID_BUFFERID && ct_nregs < CT_REGS) {
    ct_regs[ct_nregs].id = id;
    ct_regs[ct_nregs].base = base;
    ct_regs[ct_nregs].len = len;
    ct_nregs++;
  }
  return id;
}

static const char *ct_resolve(const RIO_BUF *b) {
  int i;
  for (i = 0; i < ct_nregs; i++)
    if (ct_regs[i].id == b->BufferId && b->Offset <= ct_regs[i].len &&
        b->Length <= ct_regs[i].len - b->Offset)
      return ct_regs[i].base + b->Offset;
  return NULL;
}

static BOOL PASCAL ct_sendex(RIO_RQ rq, PRIO_BUF data, ULONG count, PRIO_BUF local, PRIO_BUF remote,
                             PRIO_BUF control, PRIO_BUF pflags, DWORD flags, PVOID ctx) {
  if (!(flags & RIO_MSG_COMMIT_ONLY)) {
    seen.sends++;
    if (local != NULL) seen.bad++; /* "reserved and must be NULL" */
    if (control != NULL) {
      const char *c = ct_resolve(control);
      ULONG total = 0, base = (ULONG)CT_ALIGN(sizeof(ULONG));
      if (c != NULL) memcpy(&total, c, sizeof total);
      if (c == NULL || total < base || total > control->Length) seen.bad++;
      else ct_parse(c + base, total - base);
    }
  }
  return ct_emu.RIOSendEx(rq, data, count, local, remote, control, pflags, flags, ctx);
}

static BOOL PASCAL ct_send(RIO_RQ rq, PRIO_BUF data, ULONG count, DWORD flags, PVOID ctx) {
  if (!(flags & RIO_MSG_COMMIT_ONLY)) seen.sends++;
  return ct_emu.RIOSend(rq, data, count, flags, ctx);
}

static riox_addr ct_ip(const char *ip, uint16_t port) {
  riox_addr a;
  memset(&a, 0, sizeof a);
  (void)riox_addr_parse(ip, port, &a);
  return a;
}

/* One riox_sendmsg from s (bound to `any`) to a client on `cli`, with
 * msg.from = `from` (NULL: none), seg bytes per datagram (0: one); the
 * client gets every datagram. */
static int one(const char *any_ip, const char *cli_ip, uint32_t flags, const char *from_ip,
               uint32_t ifindex, uint32_t len, uint32_t seg) {
  riox_loop_config cfg;
  riox_loop *loop;
  riox_sock *s, *c;
  riox_addr any = ct_ip(any_ip, 0), cl = ct_ip(cli_ip, 0), pc, from;
  riox_event ev;
  riox_msg msg;
  char *buf;
  uint32_t want = seg == 0 ? 1 : (len + seg - 1) / seg, i;
  h_config(&cfg);
  cfg.buf_size = 65536;
  cfg.buf_count = 80;
  H_OK(h_loop(&loop, &cfg));
  H_OK(riox_udp_open(loop, &any, NULL, flags | RIOX_UDP_PKTINFO, NULL, &s));
  H_OK(riox_udp_open(loop, &cl, NULL, 0, NULL, &c));
  H_OK(riox_sock_local(c, &pc));
  for (i = 0; i < want; i++) {
    H_OK(riox_buf_get(loop, &buf));
    H_OK(riox_recv(c, buf, 65536, NULL));
  }
  H_OK(riox_buf_get(loop, &buf));
  h_fill(buf, len, len);
  memset(&msg, 0, sizeof msg);
  msg.to = &pc;
  msg.seg_size = seg;
  if (from_ip != NULL) {
    from = ct_ip(from_ip, 0);
    msg.from = &from;
    msg.ifindex = ifindex;
  }
  memset(&seen, 0, sizeof seen);
  H_OK(riox_sendmsg(s, buf, len, &msg, 0, NULL));
  H_EQ(h_wait_for(loop, RIOX_EV_SEND, s, &ev, NULL, 10000), 0);
  H_EQ(ev.status, 0);
  H_EQ(ev.len, len);
  for (i = 0; i < want; i++) {
    H_EQ(h_wait_for(loop, RIOX_EV_RECV, c, &ev, NULL, 10000), 0);
    H_EQ(ev.status, 0);
  }
  /* One OS send per datagram (no USO under Wine), each with the source. */
  H_EQ(seen.sends, (int)want);
  H_EQ(seen.bad, 0);
  H_EQ(seen.seg, 0);
  H_EQ(seen.other, 0);
  if (from_ip == NULL) {
    H_EQ(seen.with_ctl, 0);
  } else {
    H_EQ(seen.with_ctl, (int)want);
    if (from.family == RIOX_AF_INET) {
      H_EQ(seen.v4, (int)want);
      H_EQ(seen.v6, 0);
      H_EQ(memcmp(seen.ip, from.ip, 4), 0);
    } else {
      H_EQ(seen.v6, (int)want);
      H_EQ(seen.v4, 0);
      H_EQ(memcmp(seen.ip, from.ip, 16), 0);
    }
    H_EQ(seen.ifindex, ifindex);
  }
  H_OK(riox_close(s));
  H_OK(riox_close(c));
  H_EQ(h_wait_for(loop, RIOX_EV_CLOSE, s, &ev, NULL, 10000), 0);
  H_EQ(h_wait_for(loop, RIOX_EV_CLOSE, c, &ev, NULL, 10000), 0);
  riox_loop_close(loop);
  return 0;
}

static int cases(void) {
  if (one("0.0.0.0", "127.0.0.1", 0, "127.0.0.2", 1, 100, 0) != 0) return 1;
  if (one("0.0.0.0", "127.0.0.1", 0, "127.0.0.2", 0, 3500, 1000) != 0) return 1;
  if (one("::", "::1", 0, "::1", 1, 100, 0) != 0) return 1;
  if (one("::", "127.0.0.1", RIOX_SOCK_DUALSTACK, "127.0.0.2", 0, 2400, 1200) != 0) return 1;
  if (one("0.0.0.0", "127.0.0.1", 0, NULL, 0, 2000, 500) != 0) return 1;
  return 0;
}

static int test(void) {
  int rc;
  if (rt_is_rio()) {
#ifdef RIOX_WITH_RIO_EMU
    if (!rt_is_emulated()) h_skip("real RIO: the test watches calls through the emulator's table");
    ct_emu = *(const RIO_EXTENSION_FUNCTION_TABLE *)rio_emu_table();
    ct_rio = ct_emu;
    ct_rio.RIORegisterBuffer = ct_register;
    ct_rio.RIOSendEx = ct_sendex;
    ct_rio.RIOSend = ct_send;
    ct_nregs = 0;
    riox_test_set_rio_table(&ct_rio);
    rc = cases();
    riox_test_set_rio_table(rio_emu_table());
    return rc;
#else
    h_skip("built without the RIO emulator");
#endif
  }
  wh_begin(&ct_table);
  ct_under = wh_under();
  ct_table.wsa_sendmsg = ct_sendmsg;
  ct_table.wsa_sendto = ct_sendto;
  wh_install(&ct_table);
  rc = cases();
  wh_end();
  return rc;
}

int main(void) { return h_run("udp_pktinfo_ctrl", test); }
