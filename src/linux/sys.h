/* The Linux layer's system calls, each through a fault site (src/core/
 * fault.h) in test builds: sys_<call>(args) is the call, unless a test's
 * rule fails this pass, which then returns -1 with errno set as the kernel
 * would (ENOMEM, EAGAIN, EMFILE, ECONNRESET, EINTR), or, for a stream send
 * (RIOX_TEST_FAULT_SHORT), sends fewer bytes than asked. The SYS_F_* sets
 * say which of those are real for each call. In a release build each
 * sys_<call> is the plain call: no seam, no cost. */
#ifndef RIOX_LINUX_SYS_H
#define RIOX_LINUX_SYS_H

#include <errno.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#include "fault.h"

#define SYS_F_SOCKET (RIOX_TEST_FAULT_NOMEM | RIOX_TEST_FAULT_MFILE)
#define SYS_F_NOMEM RIOX_TEST_FAULT_NOMEM
#define SYS_F_CONNECT (RIOX_TEST_FAULT_NOMEM | RIOX_TEST_FAULT_AGAIN)
#define SYS_F_ACCEPT \
  (RIOX_TEST_FAULT_NOMEM | RIOX_TEST_FAULT_AGAIN | RIOX_TEST_FAULT_MFILE | RIOX_TEST_FAULT_CONNRESET)
#define SYS_F_RECV (RIOX_TEST_FAULT_NOMEM | RIOX_TEST_FAULT_AGAIN | RIOX_TEST_FAULT_CONNRESET)
#define SYS_F_SEND SYS_F_RECV
#define SYS_F_STREAM_SEND (SYS_F_RECV | RIOX_TEST_FAULT_SHORT)
#define SYS_F_WAIT RIOX_TEST_FAULT_INTR

#ifdef RIOX_TEST_HOOKS
/* A fault chosen by fault_hit as errno; 1 when there is one. An accept's
 * lost connection is ECONNABORTED (accept(2)), a reset elsewhere
 * ECONNRESET. */
static inline int sys__fail(unsigned f, int reset) {
  switch (f) {
    case 0:
      return 0;
    case RIOX_TEST_FAULT_NOMEM:
      errno = ENOMEM;
      break;
    case RIOX_TEST_FAULT_AGAIN:
      errno = EAGAIN;
      break;
    case RIOX_TEST_FAULT_MFILE:
      errno = EMFILE;
      break;
    case RIOX_TEST_FAULT_CONNRESET:
      errno = reset;
      break;
    default:
      errno = EINTR;
      break;
  }
  return 1;
}
#define SYS__CALL(name, faults, expr) (sys__fail(FAULT_HIT(name, faults), ECONNRESET) ? -1 : (expr))

/* A stream send: a short write takes half the bytes (at least one). */
static inline ssize_t sys__send(unsigned f, int fd, const void *buf, size_t len, int flags) {
  if (f == RIOX_TEST_FAULT_SHORT) {
    if (len > 1) len /= 2;
  } else if (sys__fail(f, ECONNRESET)) {
    return -1;
  }
  return send(fd, buf, len, flags);
}
#define sys_stream_send(fd, buf, len, flags) \
  sys__send(FAULT_HIT("send", SYS_F_STREAM_SEND), fd, buf, len, flags)
#define sys_accept4(...) \
  (sys__fail(FAULT_HIT("accept4", SYS_F_ACCEPT), ECONNABORTED) ? -1 : accept4(__VA_ARGS__))
#else
#define SYS__CALL(name, faults, expr) (expr)
#define sys_stream_send(fd, buf, len, flags) send(fd, buf, len, flags)
#define sys_accept4(...) accept4(__VA_ARGS__)
#endif

#define sys_socket(...) SYS__CALL("socket", SYS_F_SOCKET, socket(__VA_ARGS__))
#define sys_bind(...) SYS__CALL("bind", SYS_F_NOMEM, bind(__VA_ARGS__))
#define sys_listen(...) SYS__CALL("listen", SYS_F_NOMEM, listen(__VA_ARGS__))
#define sys_connect(...) SYS__CALL("connect", SYS_F_CONNECT, connect(__VA_ARGS__))
#define sys_setsockopt(...) SYS__CALL("setsockopt", SYS_F_NOMEM, setsockopt(__VA_ARGS__))
#define sys_getsockopt(...) SYS__CALL("getsockopt", SYS_F_NOMEM, getsockopt(__VA_ARGS__))
#define sys_getsockname(...) SYS__CALL("getsockname", SYS_F_NOMEM, getsockname(__VA_ARGS__))
#define sys_getpeername(...) SYS__CALL("getpeername", SYS_F_NOMEM, getpeername(__VA_ARGS__))
/* The wake eventfd's drain: EAGAIN when nothing was written. */
#define sys_read(...) SYS__CALL("read", RIOX_TEST_FAULT_AGAIN, read(__VA_ARGS__))
#define sys_shutdown(...) SYS__CALL("shutdown", SYS_F_NOMEM, shutdown(__VA_ARGS__))
#define sys_recv(...) SYS__CALL("recv", SYS_F_RECV, recv(__VA_ARGS__))
#define sys_recvmsg(...) SYS__CALL("recvmsg", SYS_F_RECV, recvmsg(__VA_ARGS__))
#define sys_recvmmsg(...) SYS__CALL("recvmmsg", SYS_F_RECV, recvmmsg(__VA_ARGS__))
#define sys_send(...) SYS__CALL("send", SYS_F_SEND, send(__VA_ARGS__))
#define sys_sendto(...) SYS__CALL("sendto", SYS_F_SEND, sendto(__VA_ARGS__))
#define sys_sendmmsg(...) SYS__CALL("sendmmsg", SYS_F_SEND, sendmmsg(__VA_ARGS__))
#define sys_epoll_create1(...) SYS__CALL("epoll_create1", SYS_F_SOCKET, epoll_create1(__VA_ARGS__))
#define sys_epoll_ctl(...) SYS__CALL("epoll_ctl", SYS_F_NOMEM, epoll_ctl(__VA_ARGS__))
#define sys_epoll_wait(...) SYS__CALL("epoll_wait", SYS_F_WAIT, epoll_wait(__VA_ARGS__))
#define sys_eventfd(...) SYS__CALL("eventfd", SYS_F_SOCKET, eventfd(__VA_ARGS__))

#endif
