/* What the Linux layer's files share beyond the core (src/core/core.h):
 * socket creation and adoption, TCP accepts, the work list the epoll
 * backend drains, and the backends. */
#ifndef RIOX_LINUX_LINUX_H
#define RIOX_LINUX_LINUX_H

#include "core.h"

/* errno of the failed call `what` as RIOX_E*, with a detail. */
int sock_errno_error(const char *what);
/* Wrap an accepted connection (fd is non-blocking already). */
int sock_adopt(riox_loop *loop, int fd, int family, int mode, riox_sock **out);

/* tcp.c */

/* loop_os.c: the wake channel's side of a backend's wait -- the eventfd
 * fired: drain it and queue the waiting wakes into the room there is. */
void linux_wake_drain(riox_loop *loop);
/* Put the socket on the loop's work list (its I/O is tried before the
 * next wait). */
void linux_work_add(riox_sock *sock);

/* An event from the loop's epoll instance (loop->epfd): the wake channel
 * (data.ptr NULL) and readiness sockets are the layer's (ready.c); returns
 * 1 when it handled e, 0 for a completion socket, which is the epoll
 * backend's. A backend that waits elsewhere (uring) watches epfd for
 * readability and hands what epoll_wait(epfd, .., 0) returns here. */
struct epoll_event;
int linux_epoll_event(riox_loop *loop, const struct epoll_event *e);
/* ready.c: a readiness socket's epoll event. */
void ready_epoll_event(riox_sock *sock, uint32_t events);

/* Backends. */
extern const backend_ops_t epoll_backend;

#endif
