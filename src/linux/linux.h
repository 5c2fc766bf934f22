/* What the Linux layer's files share beyond the core (src/core/core.h):
 * socket creation and adoption, TCP accepts, the wake channel, the work
 * list the epoll backend drains, readiness reports, and the backends. */
#ifndef RIOX_LINUX_LINUX_H
#define RIOX_LINUX_LINUX_H

#include "core.h"

/* errno of the failed call `what` as RIOX_E*, with a detail. */
int sock_errno_error(const char *what);
/* Wrap an accepted connection (fd is non-blocking already). */
int sock_adopt(riox_loop *loop, int fd, int family, int mode, riox_sock **out);

/* tcp.c */

/* loop_os.c: the wake channel's side of a backend's wait. linux_wake_drain:
 * the eventfd fired -- read it (reset the count) and queue the waiting
 * wakes into the room there is; linux_wake_take: the same without the read,
 * for a backend whose own read of the eventfd completed (uring). */
void linux_wake_drain(riox_loop *loop);
void linux_wake_take(riox_loop *loop);
/* Put the socket on the loop's work list (its I/O is tried before the
 * next wait). */
void linux_work_add(riox_sock *sock);

/* ready.c: a readiness socket's report (poll(2) bits, the same values as
 * epoll's), from the backend that polled it; queue a watch for the next
 * poll_flush_updates. */
void ready_event(riox_sock *sock, uint32_t events);
void ready_queue(poll_watch_t *w);

/* Backends. */
extern const backend_ops_t epoll_backend;

/* src/epoll/ready.c: the epoll backend's epoll instance (loop->epfd), made
 * by its loop_init with the wake eventfd in it, and its readiness hooks. An
 * event from epfd: the wake channel (data.ptr NULL) and readiness sockets
 * are handled here (returns 1); 0 for a completion socket, which is
 * epoll.c's. */
int epoll_set_open(riox_loop *loop);
void epoll_set_close(riox_loop *loop);
void epoll_watch_poll(poll_watch_t *w, uint32_t events);
void epoll_watch_closing(poll_watch_t *w);
struct epoll_event;
int linux_epoll_event(riox_loop *loop, const struct epoll_event *e);

#endif
