/* The send watcher of sendspy.h. */
#include "sendspy.h"

#include <string.h>

/* ws2def.h's layout: a WSACMSGHDR, its data at the header's size rounded
 * up, the next header at cmsg_len rounded up, every rounding to the
 * alignment of WSACMSGHDR (as src/win/cmsg.c writes it). */
#define SS__ALIGN(n) (((n) + _Alignof(WSACMSGHDR) - 1) & ~(size_t)(_Alignof(WSACMSGHDR) - 1))
#define SS__HDR SS__ALIGN(sizeof(WSACMSGHDR))

ss_counts ss_seen;

static ss_cmsg_fn ss__on_cmsg;
static void *ss__tally;
static size_t ss__tally_size;
static int ss__drop_ctl;

void ss_init(ss_cmsg_fn on_cmsg, void *tally, size_t size, int rio_drop_ctl) {
  ss__on_cmsg = on_cmsg;
  ss__tally = tally;
  ss__tally_size = tally != NULL ? size : 0;
  ss__drop_ctl = rio_drop_ctl;
  ss_reset();
}

void ss_reset(void) {
  memset(&ss_seen, 0, sizeof ss_seen);
  if (ss__tally != NULL) memset(ss__tally, 0, ss__tally_size);
}

int ss_send(riox_loop *loop, riox_sock *s, char *buf, uint32_t len, const riox_msg *msg) {
  riox_event ev;
  ss_reset();
  H_OK(riox_sendmsg(s, buf, len, msg, 0, NULL));
  H_EQ(h_wait_for(loop, RIOX_EV_SEND, s, &ev, NULL, 10000), 0);
  H_EQ(ev.status, 0);
  H_EQ(ev.len, len);
  return 0;
}

static void ss__walk(const char *buf, size_t len) {
  size_t off = 0;
  if (len == 0) return;
  ss_seen.ctl++;
  while (off < len) {
    WSACMSGHDR h;
    if (len - off < sizeof h) {
      ss_seen.bad++;
      return;
    }
    memcpy(&h, buf + off, sizeof h);
    if (h.cmsg_len < SS__HDR || h.cmsg_len > len - off) {
      ss_seen.bad++;
      return;
    }
    if (ss__on_cmsg != NULL)
      ss__on_cmsg(h.cmsg_level, h.cmsg_type, buf + off + SS__HDR, h.cmsg_len - SS__HDR);
    off += SS__ALIGN(h.cmsg_len);
  }
  if (off != len) ss_seen.bad++; /* the length covers the messages exactly */
}

/* ---- IOCP: the sends through the seam --------------------------------- */

static LPFN_WSASENDMSG ss__os_sendmsg;

static int WINAPI ss__sendmsg(SOCKET s, LPWSAMSG msg, DWORD flags, LPDWORD bytes,
                              LPWSAOVERLAPPED ov, LPWSAOVERLAPPED_COMPLETION_ROUTINE done) {
  const ws_api_t *u = wh_under();
  ss_seen.sends++;
  if (msg->Control.buf != NULL) ss__walk(msg->Control.buf, msg->Control.len);
  if (u != NULL && u->wsa_sendmsg != NULL) return u->wsa_sendmsg(s, msg, flags, bytes, ov, done);
  if (ss__os_sendmsg == NULL) {
    /* WSASendMsg is an extension function: not exported, asked of the
     * provider (WSAID_WSASENDMSG), as riox itself does. */
    GUID g = WSAID_WSASENDMSG;
    DWORD n = 0;
    if (WSAIoctl(s, SIO_GET_EXTENSION_FUNCTION_POINTER, &g, sizeof g, &ss__os_sendmsg,
                 sizeof ss__os_sendmsg, &n, NULL, NULL) != 0)
      return SOCKET_ERROR;
  }
  return ss__os_sendmsg(s, msg, flags, bytes, ov, done);
}

static int WINAPI ss__sendto(SOCKET s, LPWSABUF b, DWORD n, LPDWORD bytes, DWORD flags,
                             const struct sockaddr *to, int tolen, LPWSAOVERLAPPED ov,
                             LPWSAOVERLAPPED_COMPLETION_ROUTINE done) {
  const ws_api_t *u = wh_under();
  ss_seen.sends++;
  if (u != NULL && u->wsa_sendto != NULL)
    return u->wsa_sendto(s, b, n, bytes, flags, to, tolen, ov, done);
  return WSASendTo(s, b, n, bytes, flags, to, tolen, ov, done);
}

void ss_seam(ws_api_t *t) {
  t->wsa_sendmsg = ss__sendmsg;
  t->wsa_sendto = ss__sendto;
}

/* ---- RIO: the sends through a wrapped emulator table ------------------ */

#ifdef RIOX_WITH_RIO_EMU

#define SS__REGS 64
static struct {
  RIO_BUFFERID id;
  char *base;
  DWORD len;
} ss__regs[SS__REGS];
static int ss__nregs;
static RIO_EXTENSION_FUNCTION_TABLE ss__rio, ss__emu;

static RIO_BUFFERID PASCAL ss__register(PCHAR base, DWORD len) {
  RIO_BUFFERID id = ss__emu.RIORegisterBuffer(base, len);
  if (id != RIO_INVALID_BUFFERID && ss__nregs < SS__REGS) {
    ss__regs[ss__nregs].id = id;
    ss__regs[ss__nregs].base = base;
    ss__regs[ss__nregs].len = len;
    ss__nregs++;
  }
  return id;
}

/* A region riox gave back is no longer one its control slices may name. */
static VOID PASCAL ss__deregister(RIO_BUFFERID id) {
  int i;
  for (i = 0; i < ss__nregs; i++)
    if (ss__regs[i].id == id) {
      ss__regs[i] = ss__regs[--ss__nregs];
      break;
    }
  ss__emu.RIODeregisterBuffer(id);
}

/* The bytes a slice names: inside one registration whole, or NULL. */
static const char *ss__resolve(const RIO_BUF *b) {
  int i;
  for (i = 0; i < ss__nregs; i++)
    if (ss__regs[i].id == b->BufferId && b->Offset <= ss__regs[i].len &&
        b->Length <= ss__regs[i].len - b->Offset)
      return ss__regs[i].base + b->Offset;
  return NULL;
}

static BOOL PASCAL ss__sendex(RIO_RQ rq, PRIO_BUF data, ULONG count, PRIO_BUF local,
                              PRIO_BUF remote, PRIO_BUF control, PRIO_BUF pflags, DWORD flags,
                              PVOID ctx) {
  if (!(flags & RIO_MSG_COMMIT_ONLY)) {
    ss_seen.sends++;
    if (local != NULL) ss_seen.bad++; /* "reserved and must be NULL" */
    if (control != NULL) {
      /* RIO_CMSG_BUFFER: TotalLength, then the messages at its aligned size. */
      const char *c = ss__resolve(control);
      ULONG total = 0, base = (ULONG)SS__ALIGN(sizeof(ULONG));
      if (c != NULL) memcpy(&total, c, sizeof total);
      if (c == NULL || total < base || total > control->Length) ss_seen.bad++;
      else ss__walk(c + base, total - base);
      if (ss__drop_ctl) control = NULL;
    }
  }
  return ss__emu.RIOSendEx(rq, data, count, local, remote, control, pflags, flags, ctx);
}

static BOOL PASCAL ss__send(RIO_RQ rq, PRIO_BUF data, ULONG count, DWORD flags, PVOID ctx) {
  if (!(flags & RIO_MSG_COMMIT_ONLY)) ss_seen.sends++;
  return ss__emu.RIOSend(rq, data, count, flags, ctx);
}

void ss_rio_begin(void) {
  if (strcmp(h_backend, "rio-emulated") != 0)
    h_skip("real RIO: the test watches calls through the emulator's table");
  ss__emu = *(const RIO_EXTENSION_FUNCTION_TABLE *)rio_emu_table();
  ss__rio = ss__emu;
  ss__rio.RIORegisterBuffer = ss__register;
  ss__rio.RIODeregisterBuffer = ss__deregister;
  ss__rio.RIOSendEx = ss__sendex;
  ss__rio.RIOSend = ss__send;
  ss__nregs = 0;
  riox_test_set_rio_table(&ss__rio);
}

void ss_rio_end(void) { riox_test_set_rio_table(rio_emu_table()); }

#else

void ss_rio_begin(void) { h_skip("built without the RIO emulator"); }

void ss_rio_end(void) {}

#endif
