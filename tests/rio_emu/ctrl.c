/* Control data of RIOSendEx and RIOReceiveEx (pControlContext), and the
 * local address of RIOReceiveEx (pLocalAddress).
 *
 * The slice holds a RIO_CMSG_BUFFER: a ULONG TotalLength, then control
 * messages laid out as WSAMSG.Control's are (ws2def.h), starting at
 * RIO_CMSG_BASE_SIZE. What the docs say and what is modelled:
 *  - RIOReceiveEx: "on completion" the slice holds the control information
 *    of the receive. The emulator receives with WSARecvMsg and hands over
 *    what the OS returned -- so only what the socket's options ask for
 *    (IP_PKTINFO, IPV6_PKTINFO, UDP_COALESCED_INFO with URO), as on
 *    Windows -- and sets TotalLength; messages that do not fit are left
 *    out whole and pFlags, when given, says MSG_CTRUNC (WSARecvMsg's rule).
 *    A slice shorter than RIO_CMSG_BASE_SIZE is refused (post.c).
 *  - pLocalAddress (receive): the address the datagram was sent to. The
 *    emulator has it only when the socket asked for PKTINFO (it then comes
 *    from IN_PKTINFO / IN6_PKTINFO); otherwise the socket's bound address
 *    stands in, which differs only for wildcard binds.
 *  - RIOSendEx: the page calls pControlContext a slice that "on completion"
 *    holds control information of the send, yet msquic's RIO path passed
 *    its source address (IN_PKTINFO / IN6_PKTINFO) and segment size
 *    (UDP_SEND_MSG_SIZE) in it, TotalLength covering them, and shipped so:
 *    the emulator takes it as input. A TotalLength below the base size or
 *    beyond the slice is refused (WSAEINVAL); the messages go to WSASendMsg
 *    as they are. UDP_SEND_MSG_SIZE where the OS under the emulator has no
 *    USO (Wine) is refused and reported as misuse: nothing could segment
 *    it, and riox must not ask (its probe says no USO there).
 *  - pLocalAddress (send) stays refused: "reserved and must be NULL" (post.c).
 * Wine 8 itself drops WSASendMsg's control data and returns no IPv6
 * PKTINFO (docs/design.md): the emulator cannot do more than the OS under
 * it, so those gaps show through here as they do on IOCP. */
#include "rio_emu_int.h"

#ifndef UDP_SEND_MSG_SIZE
#define UDP_SEND_MSG_SIZE 2
#endif

#define CTRL__ALIGN(n) (((n) + _Alignof(WSACMSGHDR) - 1) & ~(size_t)(_Alignof(WSACMSGHDR) - 1))
#define CTRL__HDR CTRL__ALIGN(sizeof(WSACMSGHDR))

static LPFN_WSARECVMSG ctrl__recvmsg;
static LPFN_WSASENDMSG ctrl__sendmsg;

/* The OS's WSARecvMsg / WSASendMsg (extension functions, looked up once on
 * any socket): what the emulated RIO requests with control data run on, and
 * what sock.c's wrappers pass the calls it allows through to. */
void rio_emu_msg_fns(SOCKET s, LPFN_WSARECVMSG *recvmsg, LPFN_WSASENDMSG *sendmsg) {
  GUID grecv = WSAID_WSARECVMSG, gsend = WSAID_WSASENDMSG;
  DWORD bytes = 0;
  if (ctrl__recvmsg == NULL)
    (void)WSAIoctl(s, SIO_GET_EXTENSION_FUNCTION_POINTER, &grecv, sizeof grecv, &ctrl__recvmsg,
                   sizeof ctrl__recvmsg, &bytes, NULL, NULL);
  if (ctrl__sendmsg == NULL)
    (void)WSAIoctl(s, SIO_GET_EXTENSION_FUNCTION_POINTER, &gsend, sizeof gsend, &ctrl__sendmsg,
                   sizeof ctrl__sendmsg, &bytes, NULL, NULL);
  if (recvmsg != NULL) *recvmsg = ctrl__recvmsg;
  if (sendmsg != NULL) *sendmsg = ctrl__sendmsg;
}

/* Walk the messages of buf[0..len): calls fn for each whole one. */
typedef void (*ctrl__fn)(const WSACMSGHDR *h, const char *data, size_t dlen, void *arg);
static void ctrl__walk(const char *buf, size_t len, ctrl__fn fn, void *arg) {
  size_t off = 0;
  while (len >= sizeof(WSACMSGHDR) && off <= len - sizeof(WSACMSGHDR)) {
    WSACMSGHDR h;
    memcpy(&h, buf + off, sizeof h);
    if (h.cmsg_len < CTRL__HDR || h.cmsg_len > len - off) return;
    fn(&h, buf + off + CTRL__HDR, h.cmsg_len - CTRL__HDR, arg);
    if (CTRL__ALIGN(h.cmsg_len) > len - off) return;
    off += CTRL__ALIGN(h.cmsg_len);
  }
}

static void ctrl__find_seg(const WSACMSGHDR *h, const char *data, size_t dlen, void *arg) {
  (void)data;
  (void)dlen;
  if (h->cmsg_level == IPPROTO_UDP && h->cmsg_type == UDP_SEND_MSG_SIZE) *(int *)arg = 1;
}

int rio_emu_ctrl_check_send(const char *control, ULONG len) {
  ULONG total;
  int seg = 0;
  if (len < RIO_EMU_CMSG_BASE_SIZE) return WSAEINVAL;
  memcpy(&total, control, sizeof total);
  if (total < RIO_EMU_CMSG_BASE_SIZE || total > len) return WSAEINVAL;
  ctrl__walk(control + RIO_EMU_CMSG_BASE_SIZE, total - RIO_EMU_CMSG_BASE_SIZE, ctrl__find_seg, &seg);
  if (seg) {
    /* Does the OS under the emulator segment? (The probe's question.) */
    SOCKET s = socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
    DWORD v = 0;
    int vlen = sizeof v, ok = 0;
    if (s != INVALID_SOCKET) {
      ok = getsockopt(s, IPPROTO_UDP, UDP_SEND_MSG_SIZE, (char *)&v, &vlen) == 0;
      closesocket(s);
    }
    if (!ok) {
      rio_emu_misuse("RIOSendEx with UDP_SEND_MSG_SIZE in pControlContext, but the OS under the "
                     "emulator has no USO (getsockopt(UDP_SEND_MSG_SIZE) fails): nothing would "
                     "segment the send");
      return WSAEINVAL;
    }
  }
  return 0;
}

int rio_emu_ctrl_io(rio_emu_req_t *req, DWORD *bytes) {
  rio_emu_rq_t *rq = req->rq;
  rio_emu_msg_fns(rq->sock, NULL, NULL);
  req->use_msg = 1;
  memset(&req->msg, 0, sizeof req->msg);
  req->msg.lpBuffers = &req->wsabuf;
  req->msg.dwBufferCount = 1;
  if (req->dir == RIO_EMU_SEND) {
    ULONG total;
    memcpy(&total, req->control, sizeof total);
    if (req->remote != NULL) {
      const SOCKADDR *to = (const SOCKADDR *)req->remote;
      req->msg.name = (LPSOCKADDR)req->remote;
      req->msg.namelen = to->sa_family == AF_INET ? (int)sizeof(SOCKADDR_IN) : (int)sizeof(SOCKADDR_IN6);
    }
    /* As the post saw it (checked there): the messages after the header. */
    req->msg.Control.buf = total > RIO_EMU_CMSG_BASE_SIZE ? req->control + RIO_EMU_CMSG_BASE_SIZE : NULL;
    req->msg.Control.len = total - RIO_EMU_CMSG_BASE_SIZE;
    if (ctrl__sendmsg == NULL) {
      WSASetLastError(WSAEOPNOTSUPP);
      return SOCKET_ERROR;
    }
    return ctrl__sendmsg(rq->sock, &req->msg, 0, bytes, &req->ov, NULL);
  }
  req->addrlen = (INT)sizeof req->addr;
  memset(&req->addr, 0, sizeof req->addr);
  memset(req->cbuf, 0, sizeof req->cbuf);
  req->msg.name = (LPSOCKADDR)&req->addr;
  req->msg.namelen = req->addrlen;
  req->msg.Control.buf = req->cbuf;
  req->msg.Control.len = (ULONG)sizeof req->cbuf;
  if (ctrl__recvmsg == NULL) {
    WSASetLastError(WSAEOPNOTSUPP);
    return SOCKET_ERROR;
  }
  return ctrl__recvmsg(rq->sock, &req->msg, bytes, &req->ov, NULL);
}

typedef struct ctrl__out {
  rio_emu_req_t *req;
  size_t off, room;
  SOCKADDR_STORAGE local;
} ctrl__out_t;

static const unsigned char ctrl__v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

static void ctrl__copy(const WSACMSGHDR *h, const char *data, size_t dlen, void *arg) {
  ctrl__out_t *o = (ctrl__out_t *)arg;
  size_t space = CTRL__HDR + CTRL__ALIGN(dlen);
  if (h->cmsg_level == IPPROTO_IP && h->cmsg_type == IP_PKTINFO && dlen >= sizeof(IN_PKTINFO) &&
      o->local.ss_family == 0) {
    IN_PKTINFO pi;
    SOCKADDR_IN *sin = (SOCKADDR_IN *)&o->local;
    memcpy(&pi, data, sizeof pi);
    sin->sin_family = AF_INET;
    sin->sin_addr = pi.ipi_addr;
  } else if (h->cmsg_level == IPPROTO_IPV6 && h->cmsg_type == IPV6_PKTINFO &&
             dlen >= sizeof(IN6_PKTINFO) && o->local.ss_family == 0) {
    IN6_PKTINFO pi;
    SOCKADDR_IN6 *sin6 = (SOCKADDR_IN6 *)&o->local;
    memcpy(&pi, data, sizeof pi);
    sin6->sin6_family = AF_INET6;
    sin6->sin6_addr = pi.ipi6_addr;
  }
  if (o->req->control == NULL) return;
  if (space > o->room - o->off) {
    o->req->ctrunc = 1; /* left out whole, as WSARecvMsg does (MSG_CTRUNC) */
    return;
  }
  memcpy(o->req->control + RIO_EMU_CMSG_BASE_SIZE + o->off, h, sizeof *h);
  memcpy(o->req->control + RIO_EMU_CMSG_BASE_SIZE + o->off + CTRL__HDR, data, dlen);
  o->off += space;
}

void rio_emu_ctrl_deliver(rio_emu_req_t *req) {
  ctrl__out_t o;
  SOCKADDR_STORAGE bound;
  int blen = sizeof bound;
  size_t got = req->msg.Control.len < sizeof req->cbuf ? req->msg.Control.len : sizeof req->cbuf;
  memset(&o, 0, sizeof o);
  o.req = req;
  o.room = req->control != NULL ? req->control_len - RIO_EMU_CMSG_BASE_SIZE : 0;
  req->ctrunc = (req->msg.dwFlags & MSG_CTRUNC) != 0;
  if (req->control != NULL) memset(req->control, 0, req->control_len);
  ctrl__walk(req->cbuf, got, ctrl__copy, &o);
  if (req->control != NULL) {
    ULONG total = (ULONG)(RIO_EMU_CMSG_BASE_SIZE + o.off);
    memcpy(req->control, &total, sizeof total);
  }
  if (req->local == NULL) return;
  memset(&bound, 0, sizeof bound);
  if (getsockname(req->rq->sock, (SOCKADDR *)&bound, &blen) != 0) bound.ss_family = 0;
  if (o.local.ss_family == AF_INET && bound.ss_family == AF_INET) {
    ((SOCKADDR_IN *)&o.local)->sin_port = ((SOCKADDR_IN *)&bound)->sin_port;
  } else if (o.local.ss_family == AF_INET6 && bound.ss_family == AF_INET6) {
    ((SOCKADDR_IN6 *)&o.local)->sin6_port = ((SOCKADDR_IN6 *)&bound)->sin6_port;
  } else if (o.local.ss_family == AF_INET && bound.ss_family == AF_INET6) {
    /* An IPv4 datagram on a dual-stack socket: the address as the socket
     * names it, v4-mapped. */
    SOCKADDR_IN6 m;
    memset(&m, 0, sizeof m);
    m.sin6_family = AF_INET6;
    m.sin6_port = ((SOCKADDR_IN6 *)&bound)->sin6_port;
    memcpy(m.sin6_addr.s6_addr, ctrl__v4mapped, 12);
    memcpy(m.sin6_addr.s6_addr + 12, &((SOCKADDR_IN *)&o.local)->sin_addr, 4);
    memcpy(&o.local, &m, sizeof m);
  } else {
    o.local = bound; /* no PKTINFO: the bound address stands in */
  }
  memset(req->local, 0, sizeof(SOCKADDR_INET));
  if (o.local.ss_family == AF_INET || o.local.ss_family == AF_INET6)
    memcpy(req->local, &o.local,
           o.local.ss_family == AF_INET6 ? sizeof(SOCKADDR_IN6) : sizeof(SOCKADDR_IN));
}
