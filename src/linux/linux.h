/* What the Linux layer's files share beyond the core (src/core/core.h):
 * socket creation and adoption, TCP accepts, the wake channel, the work
 * list the epoll backend drains, readiness reports, and the backends. */
#ifndef RIOX_LINUX_LINUX_H
#define RIOX_LINUX_LINUX_H

#include "core.h"
#include "sys.h"

/* udp(7)'s offload options, for C libraries whose headers predate them
 * (the same numbers the kernel's uapi gives; an identical redefinition is
 * harmless where <netinet/udp.h> has them). */
#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif
#ifndef UDP_GRO
#define UDP_GRO 104
#endif

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

/* udp_msg.c: UDP ancillary data (riox.h, "Segmentation offload", "Local
 * addresses"). linux_udp_offload_init: loop->udp_gso/udp_gro from the
 * kernel and RIOX_UDP_OFFLOAD (os_loop_init). linux_udp_sock_opts: a new UDP
 * socket's UDP_GRO / PKTINFO options (sets sock->udp_cmsg). linux_udp_gso:
 * req (a send) goes as one UDP_SEGMENT send; else linux_udp_nsegs datagrams
 * of req->seg_size. linux_udp_gso_refused: errno of a UDP_SEGMENT send that
 * riox re-sends split (req->udp_soft). linux_udp_ctl_send: req->ctl filled
 * for a send (UDP_SEGMENT when gso, PKTINFO when req->local is set), returns
 * its length (0: none). linux_udp_ctl_recv: a receive's control messages
 * (ctl, len: what the kernel wrote; NULL/0 for none) into req->seg_size,
 * req->local (with the socket's port) and req->ifindex. */
void linux_udp_offload_init(riox_loop *loop);
int linux_udp_sock_opts(riox_sock *sock);
int linux_udp_gso(const riox_sock *sock, const req_t *req);
uint32_t linux_udp_nsegs(const req_t *req);
int linux_udp_gso_refused(int err);
size_t linux_udp_ctl_send(const riox_sock *sock, req_t *req, int gso);
void linux_udp_ctl_recv(riox_sock *sock, req_t *req, const void *ctl, size_t len);

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
